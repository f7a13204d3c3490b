-- Whether the customer came, and whether they confirmed beforehand. Times
-- are unix milliseconds. `confirmed_at`: when the customer confirmed (a
-- reply to a reminder). `attendance_marked_at`: when the shop last marked
-- the booking completed or no-show (the status says which).
ALTER TABLE bookings ADD COLUMN confirmed_at INTEGER;
ALTER TABLE bookings ADD COLUMN attendance_marked_at INTEGER;
