use chrono::NaiveDate;

use crate::model::{BookingId, BookingStatus, Slot};

/// Why a booking operation did not happen. The first group are the caller's
/// to fix (422), `Conflict` carries alternatives (409).
#[derive(Debug, thiserror::Error)]
pub enum BookingError {
    #[error("unknown service {0:?}")]
    UnknownService(String),
    #[error("unknown staff member {0:?}")]
    UnknownStaff(String),
    #[error("{staff} does not perform {service}")]
    StaffDoesNotPerform { staff: String, service: String },
    #[error("the shop is closed on {date}")]
    Closed { date: NaiveDate },
    #[error("that time is outside opening hours")]
    OutsideHours,
    #[error("bookings need at least {minutes} minutes' notice")]
    TooShortNotice { minutes: u32 },
    #[error("bookings can be made at most {days} days ahead")]
    TooFarAhead { days: u32 },
    #[error("that time is in the past")]
    InThePast,
    #[error("that time is already taken")]
    Conflict { alternatives: Vec<Slot> },
    #[error("the hold expired or does not exist; check availability again")]
    HoldExpired,
    #[error("booking {0} does not exist")]
    NotFound(BookingId),
    #[error("cancellations need {hours} hours' notice; please call the shop")]
    TooLateToCancel { hours: u32 },
    #[error("the booking is {0:?}, not confirmed")]
    NotConfirmed(BookingStatus),
    /// Attendance is marked from a booking's start on.
    #[error("the booking has not started yet; its attendance can be marked once it starts")]
    NotStarted,
    /// A cancelled booking took place for nobody: it is neither completed
    /// nor a no-show.
    #[error("booking {0} was cancelled; only a booking that took place can be marked completed or no-show")]
    Cancelled(BookingId),
    /// The customer's name is blank, too long or holds control characters.
    #[error("the customer's name {0}")]
    InvalidCustomerName(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<frontdesk_jobs::JobError> for BookingError {
    fn from(error: frontdesk_jobs::JobError) -> BookingError {
        BookingError::Unexpected(anyhow::Error::new(error))
    }
}
