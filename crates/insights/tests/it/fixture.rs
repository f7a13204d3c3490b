//! A fixture month for a New York shop: March 2026, whose Sunday 8 March
//! loses an hour (02:00 EST → 03:00 EDT), and helpers to build facts.
//!
//! | call | New York time        | hours | transfer     | outcome           | booking |
//! |------|----------------------|-------|--------------|-------------------|---------|
//! | c00  | Fri 27 Feb 10:00     | open  |              | booked            | b00     |
//! | c01  | Mon 2 Mar 10:15      | open  |              | booked            | b01     |
//! | c02  | Mon 2 Mar 19:30      | after |              | booked            | b02     |
//! | c03  | Tue 3 Mar 11:00      | open  |              | answered          |         |
//! | c04  | Wed 4 Mar 12:00      | open  | answered     | transferred       |         |
//! | c05  | Wed 4 Mar 13:00      | open  | not answered | booked            | b03     |
//! | c06  | Thu 5 Mar 22:00      | after |              | abandoned         |         |
//! | c07  | Fri 6 Mar 09:05      | open  |              | abandoned_booking |         |
//! | c08  | Sat 7 Mar 08:00      | after |              | message_taken     |         |
//! | c09  | Sun 8 Mar 03:30 EDT  | after |              | booked            | b04     |
//! | c10  | Mon 9 Mar 10:00      | open  |              | rescheduled       | b04r    |
//! | c11  | Tue 10 Mar 10:00     | open  |              | cancelled         |         |
//! | c12  | Mon 16 Mar 20:00     | after |              | booked            | b06     |
//! | c13  | Tue 31 Mar 23:30     | after |              | booked            | b07     |
//!
//! | booking | source | service    | price | created      | starts (1 h)  | status                          |
//! |---------|--------|------------|-------|--------------|---------------|---------------------------------|
//! | b00     | phone  | Haircut    | 40    | 27 Feb 10:00 | 3 Mar 10:00   | completed                       |
//! | b01     | phone  | Haircut    | 40    | 2 Mar 10:15  | 5 Mar 10:00   | completed                       |
//! | b02     | phone  | Colour     | 120   | 2 Mar 19:30  | 6 Mar 14:00   | confirmed (unmarked)            |
//! | b03     | phone  | Haircut    | 40    | 4 Mar 13:00  | 10 Mar 09:00  | no_show                         |
//! | b04     | phone  | Beard trim | 25    | 8 Mar 03:30  | 12 Mar 15:00  | moved to b04r on 9 Mar 10:00    |
//! | b04r    | phone  | Beard trim | 25    | 9 Mar 10:00  | 14 Apr 15:00  | confirmed                       |
//! | b05     | admin  | Haircut    | 40    | 20 Feb 10:00 | 13 Mar 10:00  | cancelled 10 Mar 10:00 (72 h)   |
//! | b06     | phone  | Colour     | 120   | 16 Mar 20:00 | 18 Mar 10:00  | cancelled 17 Mar 18:00 (16 h)   |
//! | b07     | phone  | Haircut    | 40    | 31 Mar 23:30 | 1 Apr 10:00   | confirmed (unmarked)            |
//! | b08     | admin  | Manicure   | 30    | 1 Mar 09:00  | 20 Mar 16:00  | completed                       |
//! | b09     | admin  | Manicure   | 30    | 1 Mar 09:00  | 25 Mar 16:00  | no_show                         |
//!
//! The shop: 24 hours' cancellation notice, the Core plan at 149.00 USD with
//! 500 minutes.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::America::New_York;
use chrono_tz::Tz;
use frontdesk_core::{Currency, Money};
use frontdesk_insights::{
    BookingFact, BookingRef, BookingSource, BookingStatus, CallFact, CallOutcome, CallRef, OwnerFacts, ShopTerms,
    TransferResult, UsageKind, UsageRecord, Window,
};

pub const ZONE: Tz = New_York;

/// A New York wall-clock time (the earlier one when it happens twice).
pub fn ny(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    ZONE.with_ymd_and_hms(year, month, day, hour, minute, 0)
        .earliest()
        .map(|local| local.with_timezone(&Utc))
        .expect("a time that exists in New York")
}

/// A time in March 2026 in New York.
pub fn mar(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    ny(2026, 3, day, hour, minute)
}

pub fn utc(raw: &str) -> DateTime<Utc> {
    raw.parse().expect("an RFC 3339 instant")
}

pub fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("a date")
}

pub fn usd(cents: i64) -> Money {
    Money::from_minor(cents, Currency::USD)
}

/// The days of March 2026 in New York.
pub fn march() -> Window {
    Window::new(mar(1, 0, 0), ny(2026, 4, 1, 0, 0)).expect("March")
}

/// When the fixture is read: Thursday 2 April 2026, 12:00 in New York,
/// 25 hours after b07 ended.
pub fn april_2_noon() -> DateTime<Utc> {
    ny(2026, 4, 2, 12, 0)
}

pub fn terms() -> ShopTerms {
    ShopTerms {
        zone: ZONE,
        currency: Currency::USD,
        cancellation_notice_hours: 24,
        plan_price: usd(14_900),
        included_minutes: 500,
    }
}

/// A call in opening hours, without a transfer or a booking.
pub fn call(id: &str, started_at: DateTime<Utc>, outcome: Option<CallOutcome>) -> CallFact {
    CallFact { id: CallRef::new(id), started_at, outcome, after_hours: false, transfer: None, booking: None }
}

pub fn after_hours(call: CallFact) -> CallFact {
    CallFact { after_hours: true, ..call }
}

pub fn made(call: CallFact, booking: &str) -> CallFact {
    CallFact { booking: Some(BookingRef::new(booking)), ..call }
}

pub fn transfer(call: CallFact, result: TransferResult) -> CallFact {
    CallFact { transfer: Some(result), ..call }
}

/// A confirmed one-hour phone booking.
pub fn booking(id: &str, service: &str, cents: i64, created_at: DateTime<Utc>, start: DateTime<Utc>) -> BookingFact {
    BookingFact {
        id: BookingRef::new(id),
        service: service.to_owned(),
        price: usd(cents),
        source: BookingSource::Phone,
        status: BookingStatus::Confirmed,
        start,
        end: start + chrono::Duration::hours(1),
        created_at,
        cancelled_at: None,
        replaces: None,
        replaced_by: None,
    }
}

pub fn with_status(booking: BookingFact, status: BookingStatus) -> BookingFact {
    BookingFact { status, ..booking }
}

pub fn cancelled(booking: BookingFact, at: DateTime<Utc>) -> BookingFact {
    BookingFact { status: BookingStatus::Cancelled, cancelled_at: Some(at), ..booking }
}

pub fn by_admin(booking: BookingFact) -> BookingFact {
    BookingFact { source: BookingSource::Admin, ..booking }
}

/// `original` moved to `replacement` at `at`: the original cancelled and
/// pointing at its replacement, the replacement created then.
pub fn moved(original: BookingFact, replacement: BookingFact, at: DateTime<Utc>) -> [BookingFact; 2] {
    let replacement = BookingFact { replaces: Some(original.id.clone()), created_at: at, ..replacement };
    let original = BookingFact {
        status: BookingStatus::Cancelled,
        cancelled_at: Some(at),
        replaced_by: Some(replacement.id.clone()),
        ..original
    };
    [original, replacement]
}

pub fn minutes(at: DateTime<Utc>, quantity: i64) -> UsageRecord {
    UsageRecord { occurred_at: at, kind: UsageKind::CallMinutes, quantity, cost_micros: 0, call: None }
}

pub fn fixture_calls() -> Vec<CallFact> {
    use CallOutcome::*;
    vec![
        made(call("c00", ny(2026, 2, 27, 10, 0), Some(Booked)), "b00"),
        made(call("c01", mar(2, 10, 15), Some(Booked)), "b01"),
        made(after_hours(call("c02", mar(2, 19, 30), Some(Booked))), "b02"),
        call("c03", mar(3, 11, 0), Some(Answered)),
        transfer(call("c04", mar(4, 12, 0), Some(Transferred)), TransferResult::Answered),
        made(transfer(call("c05", mar(4, 13, 0), Some(Booked)), TransferResult::NotAnswered), "b03"),
        after_hours(call("c06", mar(5, 22, 0), Some(Abandoned))),
        call("c07", mar(6, 9, 5), Some(AbandonedBooking)),
        after_hours(call("c08", mar(7, 8, 0), Some(MessageTaken))),
        made(after_hours(call("c09", mar(8, 3, 30), Some(Booked))), "b04"),
        made(call("c10", mar(9, 10, 0), Some(Rescheduled)), "b04r"),
        call("c11", mar(10, 10, 0), Some(Cancelled)),
        made(after_hours(call("c12", mar(16, 20, 0), Some(Booked))), "b06"),
        made(after_hours(call("c13", mar(31, 23, 30), Some(Booked))), "b07"),
    ]
}

pub fn fixture_bookings() -> Vec<BookingFact> {
    let [b04, b04r] = moved(
        booking("b04", "Beard trim", 2_500, mar(8, 3, 30), mar(12, 15, 0)),
        booking("b04r", "Beard trim", 2_500, mar(9, 10, 0), ny(2026, 4, 14, 15, 0)),
        mar(9, 10, 0),
    );
    vec![
        with_status(booking("b00", "Haircut", 4_000, ny(2026, 2, 27, 10, 0), mar(3, 10, 0)), BookingStatus::Completed),
        with_status(booking("b01", "Haircut", 4_000, mar(2, 10, 15), mar(5, 10, 0)), BookingStatus::Completed),
        booking("b02", "Colour", 12_000, mar(2, 19, 30), mar(6, 14, 0)),
        with_status(booking("b03", "Haircut", 4_000, mar(4, 13, 0), mar(10, 9, 0)), BookingStatus::NoShow),
        b04,
        b04r,
        by_admin(cancelled(booking("b05", "Haircut", 4_000, ny(2026, 2, 20, 10, 0), mar(13, 10, 0)), mar(10, 10, 0))),
        cancelled(booking("b06", "Colour", 12_000, mar(16, 20, 0), mar(18, 10, 0)), mar(17, 18, 0)),
        booking("b07", "Haircut", 4_000, mar(31, 23, 30), ny(2026, 4, 1, 10, 0)),
        by_admin(with_status(
            booking("b08", "Manicure", 3_000, mar(1, 9, 0), mar(20, 16, 0)),
            BookingStatus::Completed,
        )),
        by_admin(with_status(booking("b09", "Manicure", 3_000, mar(1, 9, 0), mar(25, 16, 0)), BookingStatus::NoShow)),
    ]
}

pub fn fixture() -> OwnerFacts {
    shop(fixture_calls(), fixture_bookings())
}

pub fn shop(calls: Vec<CallFact>, bookings: Vec<BookingFact>) -> OwnerFacts {
    OwnerFacts::new(terms(), calls, bookings, Vec::new()).expect("valid facts")
}
