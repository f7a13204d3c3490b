//! The plain facts the metrics are computed from. The gateway converts its
//! domain records (call records, bookings, usage records, the tenant's
//! profile and plan terms) into these, so this crate knows nothing of where
//! they are stored. Names and meanings mirror `frontdesk-routing`'s
//! `Outcome`, `frontdesk-calendar`'s `BookingStatus` and `BookingSource`, and
//! `frontdesk-billing`'s `UsageKind`.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use frontdesk_core::{Currency, Money};
use serde::Serialize;

/// A call's identity (Twilio's CallSid), opaque here.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct CallRef(String);

impl CallRef {
    pub fn new(id: impl Into<String>) -> CallRef {
        CallRef(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A booking's identity, opaque here.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct BookingRef(String);

impl BookingRef {
    pub fn new(id: impl Into<String>) -> BookingRef {
        BookingRef(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BookingRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a call ended, from the shop's point of view (as `frontdesk-routing`
/// records it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallOutcome {
    Booked,
    Cancelled,
    Rescheduled,
    Answered,
    Transferred,
    MessageTaken,
    /// The caller hung up without being served.
    Abandoned,
    /// The caller hung up in the middle of booking, moving or cancelling.
    AbandonedBooking,
}

impl CallOutcome {
    /// In the order the outcome mix shows them.
    pub const ALL: [CallOutcome; 8] = [
        CallOutcome::Booked,
        CallOutcome::Rescheduled,
        CallOutcome::Cancelled,
        CallOutcome::Answered,
        CallOutcome::Transferred,
        CallOutcome::MessageTaken,
        CallOutcome::AbandonedBooking,
        CallOutcome::Abandoned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CallOutcome::Booked => "booked",
            CallOutcome::Cancelled => "cancelled",
            CallOutcome::Rescheduled => "rescheduled",
            CallOutcome::Answered => "answered",
            CallOutcome::Transferred => "transferred",
            CallOutcome::MessageTaken => "message_taken",
            CallOutcome::Abandoned => "abandoned",
            CallOutcome::AbandonedBooking => "abandoned_booking",
        }
    }

    pub fn parse(raw: &str) -> Option<CallOutcome> {
        CallOutcome::ALL.into_iter().find(|outcome| outcome.as_str() == raw)
    }

    /// What an owner reads on the page.
    pub fn label(self) -> &'static str {
        match self {
            CallOutcome::Booked => "Booked",
            CallOutcome::Cancelled => "Cancelled",
            CallOutcome::Rescheduled => "Rescheduled",
            CallOutcome::Answered => "Answered",
            CallOutcome::Transferred => "Transferred",
            CallOutcome::MessageTaken => "Message taken",
            CallOutcome::Abandoned => "Hung up",
            CallOutcome::AbandonedBooking => "Hung up while booking",
        }
    }
}

/// Whether the owner took a call the receptionist transferred to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferResult {
    Answered,
    /// No answer, busy or failed: the caller came back to the receptionist.
    NotAnswered,
}

/// One phone call to the shop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallFact {
    pub id: CallRef,
    pub started_at: DateTime<Utc>,
    /// `None` while the call is in progress.
    pub outcome: Option<CallOutcome>,
    /// Whether the shop was closed when the call started (outside its hours
    /// or in a closure): a call voicemail would otherwise have taken.
    pub after_hours: bool,
    /// `None` when no transfer to the owner was tried.
    pub transfer: Option<TransferResult>,
    /// The booking this call made, if it made one.
    pub booking: Option<BookingRef>,
}

/// A booking's recorded status (as `frontdesk-calendar` stores it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BookingStatus {
    Confirmed,
    Cancelled,
    Completed,
    NoShow,
}

/// Who made a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BookingSource {
    /// The receptionist, on a call.
    Phone,
    /// The shop, through the admin API or its pages.
    Admin,
}

/// One booking. A reschedule cancels the booking it moves (`replaced_by`
/// set) and creates its replacement (`replaces` set, same source, created
/// when it was moved): the pair is one appointment, not a cancellation and a
/// new booking. Pass the replacements of the bookings you pass: a booking
/// moved to one the facts do not hold still counts as booked, but never as
/// recovered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingFact {
    pub id: BookingRef,
    pub service: String,
    pub price: Money,
    pub source: BookingSource,
    pub status: BookingStatus,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    /// When it was cancelled (the record's last update, for a cancelled one).
    pub cancelled_at: Option<DateTime<Utc>>,
    /// The booking this one moved (`rescheduled_from`).
    pub replaces: Option<BookingRef>,
    /// The booking this one was moved to (`rescheduled_to`).
    pub replaced_by: Option<BookingRef>,
}

/// What is metered (as `frontdesk-billing` meters it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UsageKind {
    /// Call minutes, each started minute counted whole.
    CallMinutes,
    SmsSegments,
    LlmTokens,
    /// Anything else the rate card prices: number rent, transfer and callback
    /// legs, the minutes of calls forwarded to the owner (not answered, so
    /// not the shop's minutes), speech.
    Other,
}

/// One usage record with the cost it was estimated to have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRecord {
    pub occurred_at: DateTime<Utc>,
    pub kind: UsageKind,
    pub quantity: i64,
    /// The estimated cost, in millionths of the currency's main unit (US
    /// micro-dollars, as usage records store it).
    pub cost_micros: i64,
    /// The call the cost belongs to, when it belongs to one.
    pub call: Option<CallRef>,
}

/// What the metrics need to know about the shop itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopTerms {
    /// Every period, heat-map hour and month is in this zone.
    pub zone: Tz,
    /// The currency of the shop's prices.
    pub currency: Currency,
    /// A cancellation closer to the start than this is late.
    pub cancellation_notice_hours: u32,
    /// What the shop's plan costs a month.
    pub plan_price: Money,
    /// Call minutes the plan includes in a month.
    pub included_minutes: i64,
}

/// Why a set of facts cannot be reported on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FactsError {
    #[error("booking {booking} is priced in {found}, but the shop's prices are in {expected}")]
    BookingCurrency { booking: BookingRef, expected: Currency, found: Currency },
    #[error("booking {0} ends before it starts")]
    EndsBeforeStart(BookingRef),
    #[error("booking {0} appears twice")]
    DuplicateBooking(BookingRef),
    #[error("{what} must not be negative, got {value}")]
    Negative { what: &'static str, value: i64 },
    #[error("{what} of {shop} is in {found}, but the platform reports in {expected}")]
    ShopCurrency { shop: String, what: &'static str, expected: Currency, found: Currency },
    #[error("shop {0} appears twice")]
    DuplicateShop(String),
}

/// One shop's facts, checked: every price in the shop's currency, every
/// booking ending after it starts, no booking twice, no negative usage.
///
/// For [`OwnerFacts::insights`], pass the calls and the bookings created or
/// starting in the chosen period and the previous one, the bookings created
/// in the current month, the replacements of all of them, and the call
/// minutes of the current month. Facts outside those are simply not
/// counted.
#[derive(Debug, Clone)]
pub struct OwnerFacts {
    pub(crate) terms: ShopTerms,
    pub(crate) calls: Vec<CallFact>,
    pub(crate) bookings: Vec<BookingFact>,
    pub(crate) usage: Vec<UsageRecord>,
    pub(crate) booking_index: HashMap<BookingRef, usize>,
}

impl OwnerFacts {
    pub fn new(
        terms: ShopTerms,
        calls: Vec<CallFact>,
        bookings: Vec<BookingFact>,
        usage: Vec<UsageRecord>,
    ) -> Result<OwnerFacts, FactsError> {
        if terms.included_minutes < 0 {
            return Err(FactsError::Negative { what: "included minutes", value: terms.included_minutes });
        }
        let mut booking_index = HashMap::with_capacity(bookings.len());
        for (position, booking) in bookings.iter().enumerate() {
            if booking.price.currency() != terms.currency {
                return Err(FactsError::BookingCurrency {
                    booking: booking.id.clone(),
                    expected: terms.currency,
                    found: booking.price.currency(),
                });
            }
            if booking.price.minor() < 0 {
                return Err(FactsError::Negative { what: "a booking's price", value: booking.price.minor() });
            }
            if booking.end < booking.start {
                return Err(FactsError::EndsBeforeStart(booking.id.clone()));
            }
            if booking_index.insert(booking.id.clone(), position).is_some() {
                return Err(FactsError::DuplicateBooking(booking.id.clone()));
            }
        }
        check_usage(&usage)?;
        Ok(OwnerFacts { terms, calls, bookings, usage, booking_index })
    }

    pub fn terms(&self) -> &ShopTerms {
        &self.terms
    }

    pub fn calls(&self) -> &[CallFact] {
        &self.calls
    }

    pub fn bookings(&self) -> &[BookingFact] {
        &self.bookings
    }

    pub fn usage(&self) -> &[UsageRecord] {
        &self.usage
    }

    pub(crate) fn booking(&self, id: &BookingRef) -> Option<&BookingFact> {
        self.booking_index.get(id).and_then(|position| self.bookings.get(*position))
    }
}

pub(crate) fn check_usage(usage: &[UsageRecord]) -> Result<(), FactsError> {
    for record in usage {
        if record.quantity < 0 {
            return Err(FactsError::Negative { what: "a usage quantity", value: record.quantity });
        }
        if record.cost_micros < 0 {
            return Err(FactsError::Negative { what: "a usage cost", value: record.cost_micros });
        }
    }
    Ok(())
}
