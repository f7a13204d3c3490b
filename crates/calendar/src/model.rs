use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use frontdesk_core::{E164, TenantId};
use uuid::Uuid;

macro_rules! uuid_id {
    ($name:ident) => {
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(Uuid);

        impl $name {
            pub fn new() -> $name {
                $name(Uuid::now_v7())
            }
            pub fn from_uuid(uuid: Uuid) -> $name {
                $name(uuid)
            }
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> $name {
                $name::new()
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(raw: &str) -> Result<$name, uuid::Error> {
                Uuid::parse_str(raw).map($name)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
    };
}

uuid_id!(BookingId);
uuid_id!(HoldId);

impl BookingId {
    /// The id of this booking's event in an external calendar: the UUID's
    /// hex digits, which are valid base32hex (`[a-v0-9]`).
    pub fn event_id(&self) -> String {
        self.0.simple().to_string()
    }
}

/// A short code a caller can read out: six characters from an alphabet
/// without look-alikes (no 0/O, 1/I/L, 2/Z, 5/S, 8/B).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConfirmationCode(String);

pub const CODE_ALPHABET: &[u8] = b"ACDEFGHJKMNPQRTUVWXY34679";
pub const CODE_LENGTH: usize = 6;

impl ConfirmationCode {
    pub fn generate() -> ConfirmationCode {
        let code: String =
            (0..CODE_LENGTH).map(|_| char::from(CODE_ALPHABET[fastrand::usize(..CODE_ALPHABET.len())])).collect();
        ConfirmationCode(code)
    }

    /// Accepts what a caller or an operator types: any case, with spaces or
    /// dashes (`"k7m-3qx"`).
    pub fn parse(raw: &str) -> Option<ConfirmationCode> {
        let code: String =
            raw.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_uppercase()).collect();
        let valid = code.len() == CODE_LENGTH && code.bytes().all(|b| CODE_ALPHABET.contains(&b));
        valid.then_some(ConfirmationCode(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// "K, 7, M, 3, Q, X": for reading out on the phone.
    pub fn spelled(&self) -> String {
        self.0.chars().map(String::from).collect::<Vec<_>>().join(", ")
    }
}

impl fmt::Display for ConfirmationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ConfirmationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ConfirmationCode({})", self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BookingStatus {
    Confirmed,
    Cancelled,
    Completed,
    NoShow,
}

impl BookingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BookingStatus::Confirmed => "confirmed",
            BookingStatus::Cancelled => "cancelled",
            BookingStatus::Completed => "completed",
            BookingStatus::NoShow => "no_show",
        }
    }

    pub fn parse(raw: &str) -> Option<BookingStatus> {
        [BookingStatus::Confirmed, BookingStatus::Cancelled, BookingStatus::Completed, BookingStatus::NoShow]
            .into_iter()
            .find(|s| s.as_str() == raw)
    }

    /// The attendance this status records, if it records one.
    pub fn attendance(self) -> Option<Attendance> {
        match self {
            BookingStatus::Completed => Some(Attendance::Completed),
            BookingStatus::NoShow => Some(Attendance::NoShow),
            BookingStatus::Confirmed | BookingStatus::Cancelled => None,
        }
    }
}

/// Whether the customer came: what the shop marks once a booking has
/// started (and may correct afterwards).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Attendance {
    Completed,
    NoShow,
}

impl Attendance {
    pub const ALL: [Attendance; 2] = [Attendance::Completed, Attendance::NoShow];

    /// `completed` or `no_show`, as in [`BookingStatus::as_str`].
    pub fn as_str(self) -> &'static str {
        self.status().as_str()
    }

    pub fn parse(raw: &str) -> Option<Attendance> {
        Attendance::ALL.into_iter().find(|a| a.as_str() == raw)
    }

    /// The booking status that records this attendance.
    pub fn status(self) -> BookingStatus {
        match self {
            Attendance::Completed => BookingStatus::Completed,
            Attendance::NoShow => BookingStatus::NoShow,
        }
    }
}

impl fmt::Display for Attendance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BookingSource {
    Phone,
    Admin,
}

impl BookingSource {
    pub fn as_str(self) -> &'static str {
        match self {
            BookingSource::Phone => "phone",
            BookingSource::Admin => "admin",
        }
    }

    pub fn parse(raw: &str) -> Option<BookingSource> {
        match raw {
            "phone" => Some(BookingSource::Phone),
            "admin" => Some(BookingSource::Admin),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    pub name: String,
    pub phone: E164,
}

/// A bookable start: `[start, end)` with the staff member who would do it
/// (`None` when the shop has no staff roster).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub staff: Option<String>,
}

/// Time a staff member (or the whole shop: `staff == None`) is occupied:
/// a booking including its buffer, an unexpired hold, or external busy time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub staff: Option<String>,
    pub start: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booking {
    pub id: BookingId,
    pub tenant: TenantId,
    pub code: ConfirmationCode,
    pub service: String,
    pub staff: Option<String>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub customer: Customer,
    pub status: BookingStatus,
    pub source: BookingSource,
    pub idempotency_key: Option<String>,
    pub rescheduled_from: Option<BookingId>,
    pub rescheduled_to: Option<BookingId>,
    /// When the customer confirmed they are coming (a reply to a reminder);
    /// `None` until they do.
    pub confirmed_at: Option<DateTime<Utc>>,
    /// When the shop last marked the attendance (`status` completed or
    /// no-show); `None` while unmarked.
    pub attendance_marked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Booking {
    /// The attendance the shop marked, if it did (see
    /// [`crate::effective_status`] for how unmarked bookings count).
    pub fn attendance(&self) -> Option<Attendance> {
        self.status.attendance()
    }
}

/// A booking to write. `occupied_until` is `end` plus the tenant's buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBooking {
    pub id: BookingId,
    pub code: ConfirmationCode,
    pub service: String,
    pub staff: Option<String>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub occupied_until: DateTime<Utc>,
    pub customer: Customer,
    pub source: BookingSource,
    pub idempotency_key: Option<String>,
    /// Consume this hold instead of taking the slot afresh.
    pub hold: Option<HoldId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    pub id: HoldId,
    pub tenant: TenantId,
    pub service: String,
    pub staff: Option<String>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub occupied_until: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_avoid_look_alikes_and_parse_leniently() {
        for _ in 0..500 {
            let code = ConfirmationCode::generate();
            assert_eq!(code.as_str().len(), 6);
            assert!(!code.as_str().chars().any(|c| "0O1IL2Z5S8B".contains(c)), "{code}");
            assert_eq!(ConfirmationCode::parse(code.as_str()), Some(code));
        }
        assert_eq!(ConfirmationCode::parse(" k7m-3qx ").map(|c| c.to_string()), Some("K7M3QX".to_owned()));
        assert_eq!(ConfirmationCode::parse("K7M3Q0"), None, "0 is not in the alphabet");
        assert_eq!(ConfirmationCode::parse("K7M3Q"), None);
        assert_eq!(ConfirmationCode::parse("K7M3QX").map(|c| c.spelled()), Some("K, 7, M, 3, Q, X".to_owned()));
    }

    #[test]
    fn event_ids_are_base32hex() {
        let id = BookingId::new().event_id();
        assert_eq!(id.len(), 32);
        assert!(id.chars().all(|c| c.is_ascii_digit() || ('a'..='v').contains(&c)), "{id}");
    }
}

/// A booking row as every store keeps it, before parsing; adapters convert
/// with `Booking::try_from` so both backends decode bookings the same way.
#[derive(Debug, Clone)]
pub struct StoredBooking {
    pub booking_id: String,
    pub tenant_id: String,
    pub code: String,
    pub service: String,
    pub staff: Option<String>,
    pub start_at: DateTime<Utc>,
    pub end_at: DateTime<Utc>,
    pub customer_name: String,
    pub customer_phone: String,
    pub status: String,
    pub source: String,
    pub idempotency_key: Option<String>,
    pub rescheduled_from: Option<String>,
    pub rescheduled_to: Option<String>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub attendance_marked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<StoredBooking> for Booking {
    type Error = crate::BookingError;

    fn try_from(row: StoredBooking) -> Result<Booking, crate::BookingError> {
        let corrupt = |what: &str| {
            crate::BookingError::Unexpected(anyhow::anyhow!("stored booking {} has a bad {what}", row.booking_id))
        };
        let id =
            |raw: &Option<String>| raw.as_deref().map(str::parse::<BookingId>).transpose().map_err(|_| corrupt("link"));
        Ok(Booking {
            id: row.booking_id.parse().map_err(|_| corrupt("id"))?,
            tenant: TenantId::parse(&row.tenant_id).map_err(|_| corrupt("tenant"))?,
            code: ConfirmationCode::parse(&row.code).ok_or_else(|| corrupt("code"))?,
            service: row.service.clone(),
            staff: row.staff.clone().filter(|s| !s.is_empty()),
            start: row.start_at,
            end: row.end_at,
            customer: Customer {
                name: row.customer_name.clone(),
                phone: E164::parse(&row.customer_phone).map_err(|_| corrupt("phone"))?,
            },
            status: BookingStatus::parse(&row.status).ok_or_else(|| corrupt("status"))?,
            source: BookingSource::parse(&row.source).ok_or_else(|| corrupt("source"))?,
            idempotency_key: row.idempotency_key.clone(),
            rescheduled_from: id(&row.rescheduled_from)?,
            rescheduled_to: id(&row.rescheduled_to)?,
            confirmed_at: row.confirmed_at,
            attendance_marked_at: row.attendance_marked_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// A booking as the figures count it: what was booked, when, how it stands
/// and where it came from; not who booked it, nor its code or staff member.
/// The pages that count thousands of bookings at once (Insights) read
/// these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingBrief {
    pub id: BookingId,
    pub service: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub status: BookingStatus,
    pub source: BookingSource,
    pub rescheduled_from: Option<BookingId>,
    pub rescheduled_to: Option<BookingId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&Booking> for BookingBrief {
    fn from(booking: &Booking) -> BookingBrief {
        BookingBrief {
            id: booking.id,
            service: booking.service.clone(),
            start: booking.start,
            end: booking.end,
            status: booking.status,
            source: booking.source,
            rescheduled_from: booking.rescheduled_from,
            rescheduled_to: booking.rescheduled_to,
            created_at: booking.created_at,
            updated_at: booking.updated_at,
        }
    }
}

/// A [`BookingBrief`]'s row as every store reads it, before parsing;
/// adapters convert with `BookingBrief::try_from`, as they do whole
/// bookings with [`StoredBooking`].
#[derive(Debug, Clone)]
pub struct StoredBookingBrief {
    pub booking_id: String,
    pub service: String,
    pub start_at: DateTime<Utc>,
    pub end_at: DateTime<Utc>,
    pub status: String,
    pub source: String,
    pub rescheduled_from: Option<String>,
    pub rescheduled_to: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<StoredBookingBrief> for BookingBrief {
    type Error = crate::BookingError;

    fn try_from(row: StoredBookingBrief) -> Result<BookingBrief, crate::BookingError> {
        let corrupt = |what: &str| {
            crate::BookingError::Unexpected(anyhow::anyhow!("stored booking {} has a bad {what}", row.booking_id))
        };
        let id =
            |raw: &Option<String>| raw.as_deref().map(str::parse::<BookingId>).transpose().map_err(|_| corrupt("link"));
        Ok(BookingBrief {
            id: row.booking_id.parse().map_err(|_| corrupt("id"))?,
            status: BookingStatus::parse(&row.status).ok_or_else(|| corrupt("status"))?,
            source: BookingSource::parse(&row.source).ok_or_else(|| corrupt("source"))?,
            rescheduled_from: id(&row.rescheduled_from)?,
            rescheduled_to: id(&row.rescheduled_to)?,
            service: row.service,
            start: row.start_at,
            end: row.end_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

impl NewBooking {
    /// The booking this becomes once written at `now`.
    pub fn confirmed(&self, tenant: &TenantId, now: DateTime<Utc>, rescheduled_from: Option<BookingId>) -> Booking {
        Booking {
            id: self.id,
            tenant: tenant.clone(),
            code: self.code.clone(),
            service: self.service.clone(),
            staff: self.staff.clone(),
            start: self.start,
            end: self.end,
            customer: self.customer.clone(),
            status: BookingStatus::Confirmed,
            source: self.source,
            idempotency_key: self.idempotency_key.clone(),
            rescheduled_from,
            rescheduled_to: None,
            confirmed_at: None,
            attendance_marked_at: None,
            created_at: now,
            updated_at: now,
        }
    }
}
