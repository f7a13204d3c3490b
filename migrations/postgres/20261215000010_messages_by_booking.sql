-- A booking's texts (the owner's Today page: which reminders went out),
-- found by the booking, not by reading the shop's latest texts.
CREATE INDEX messages_by_booking ON messages (tenant_id, booking_id) WHERE booking_id IS NOT NULL;
