//! The calendar domain: what can be booked, and booking it without ever
//! double-booking.
//!
//! [`Availability`] computes free slots from a tenant profile and the
//! [`Block`]s that stores and external calendars report. [`BookingStore`] is
//! the persistence port (the database enforces that blocks never overlap);
//! [`ExternalCalendar`] is the port for calendars such as Google's.
//! [`BookingService`] ties them together with the booking rules, including
//! marking attendance; [`effective_status`] and [`AttendanceSummary`] say
//! how bookings count once they are over.
//!
//! Knows nothing of SQL, HTTP or any vendor.

mod attendance;
mod availability;
mod error;
pub mod external;
mod memory;
mod model;
mod owner_notices;
mod reminders;
mod service;
mod store;

pub use attendance::{
    AttendanceSummary, EffectiveStatus, NO_SHOW_RATE_DEFINITION, NoShowRate, UNMARKED_GRACE_HOURS, effective_status,
};
pub use availability::Availability;
pub use error::BookingError;
pub use external::{BusyInterval, CalendarError, CalendarEvent, ExternalCalendar};
pub use memory::MemoryBookingStore;
pub use model::{
    Attendance, Block, Booking, BookingBrief, BookingId, BookingSource, BookingStatus, CODE_ALPHABET, ConfirmationCode,
    Customer, Hold, HoldId, NewBooking, Slot, StoredBooking, StoredBookingBrief,
};
pub use owner_notices::ChangedBy;
pub use reminders::{
    DueReminder, ReminderSwitch, SEND_FROM_HOUR, SEND_REMINDER, SEND_UNTIL_HOUR, in_send_window, reminder_jobs,
    reminder_key, reminder_keys, reminder_schedule,
};
pub use service::{
    BookingRequest, BookingService, CALENDAR_DELETE, CALENDAR_INSERT, CALENDAR_PATCH, CalendarSync, NOTIFY_CUSTOMER,
    Notice, Notify,
};
pub use store::{BookingStore, NewHold};
