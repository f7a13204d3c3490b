//! Whether customers came: how a booking counts as time passes after its
//! end, and a shop's no-show rates, split by whether the customer confirmed.
//!
//! The shop marks a booking completed or no-show once it has started. A
//! confirmed booking nobody marked is *unmarked* for [`UNMARKED_GRACE_HOURS`]
//! after its end and counts as completed from then on, so pages and figures
//! never wait forever for a busy owner.

use chrono::{DateTime, Duration, Utc};

use crate::model::{Booking, BookingStatus};

/// Hours after its end at which a booking nobody marked counts as
/// completed.
pub const UNMARKED_GRACE_HOURS: i64 = 24;

/// How [`AttendanceSummary`] counts, in words for the people reading it.
pub const NO_SHOW_RATE_DEFINITION: &str = "No-show rate: no-shows ÷ (completed + no-shows) of the bookings that \
     started in the period. A booking still unmarked 24 hours after its end counts as completed; before that it is \
     \"unmarked\" and left out. Confirmed: the customer confirmed the booking (confirmed_at is set).";

/// A booking's status as pages and figures count it at a given instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EffectiveStatus {
    /// Confirmed and not ended yet.
    Scheduled,
    /// Confirmed, ended less than [`UNMARKED_GRACE_HOURS`] ago, and marked
    /// neither completed nor no-show.
    Unmarked,
    /// Marked completed, or unmarked for [`UNMARKED_GRACE_HOURS`] after its
    /// end.
    Completed,
    NoShow,
    Cancelled,
}

impl EffectiveStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EffectiveStatus::Scheduled => "scheduled",
            EffectiveStatus::Unmarked => "unmarked",
            EffectiveStatus::Completed => "completed",
            EffectiveStatus::NoShow => "no_show",
            EffectiveStatus::Cancelled => "cancelled",
        }
    }
}

/// The status `booking` counts as at `now`: unmarked bookings count as
/// completed 24 h after their end (exactly [`UNMARKED_GRACE_HOURS`] after
/// it, and later); before that, once ended, they are unmarked.
pub fn effective_status(booking: &Booking, now: DateTime<Utc>) -> EffectiveStatus {
    match booking.status {
        BookingStatus::Cancelled => EffectiveStatus::Cancelled,
        BookingStatus::Completed => EffectiveStatus::Completed,
        BookingStatus::NoShow => EffectiveStatus::NoShow,
        BookingStatus::Confirmed if now < booking.end => EffectiveStatus::Scheduled,
        BookingStatus::Confirmed if now - booking.end < Duration::hours(UNMARKED_GRACE_HOURS) => {
            EffectiveStatus::Unmarked
        }
        BookingStatus::Confirmed => EffectiveStatus::Completed,
    }
}

/// No-shows among bookings that took place (completed or no-show, by
/// effective status).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoShowRate {
    pub completed: u64,
    pub no_show: u64,
}

impl NoShowRate {
    /// `no_show ÷ (completed + no_show)`; `None` when nothing took place.
    pub fn rate(&self) -> Option<f64> {
        let took_place = self.completed + self.no_show;
        // Counts of bookings stay far below 2^53, so the division is exact enough.
        (took_place > 0).then(|| self.no_show as f64 / took_place as f64)
    }
}

/// How the bookings of a period went: counts by effective status
/// (cancelled ones left out) and the no-show rate of those the customer
/// confirmed against those they did not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AttendanceSummary {
    /// Marked completed, or unmarked 24 h after their end.
    pub completed: u64,
    pub no_show: u64,
    /// Ended less than 24 h ago and not marked yet.
    pub unmarked: u64,
    /// Not ended yet.
    pub scheduled: u64,
    /// Completed and no-shows of bookings with `confirmed_at` set.
    pub confirmed: NoShowRate,
    /// Completed and no-shows of bookings without `confirmed_at`.
    pub unconfirmed: NoShowRate,
}

impl AttendanceSummary {
    /// Counts `bookings` (the caller picks them, e.g. those that started in
    /// a period) as they stand at `now`.
    pub fn of(bookings: &[Booking], now: DateTime<Utc>) -> AttendanceSummary {
        let mut summary = AttendanceSummary::default();
        for booking in bookings {
            let group = if booking.confirmed_at.is_some() { &mut summary.confirmed } else { &mut summary.unconfirmed };
            match effective_status(booking, now) {
                EffectiveStatus::Completed => {
                    summary.completed += 1;
                    group.completed += 1;
                }
                EffectiveStatus::NoShow => {
                    summary.no_show += 1;
                    group.no_show += 1;
                }
                EffectiveStatus::Unmarked => summary.unmarked += 1,
                EffectiveStatus::Scheduled => summary.scheduled += 1,
                EffectiveStatus::Cancelled => {}
            }
        }
        summary
    }

    /// Every booking that took place, confirmed or not.
    pub fn overall(&self) -> NoShowRate {
        NoShowRate { completed: self.completed, no_show: self.no_show }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use frontdesk_core::{E164, TenantId};

    use super::*;
    use crate::model::{BookingId, BookingSource, ConfirmationCode, Customer};

    /// 2026-11-27 at `hour:00` UTC, plus `minutes`.
    fn at(hour: u32, minutes: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, hour, 0, 0).single().unwrap_or_default() + Duration::minutes(minutes)
    }

    /// A 30-minute booking from 10:00 to 10:30.
    fn booking(status: BookingStatus, confirmed: bool) -> Booking {
        Booking {
            id: BookingId::new(),
            tenant: TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}")),
            code: ConfirmationCode::generate(),
            service: "Haircut".to_owned(),
            staff: None,
            start: at(10, 0),
            end: at(10, 30),
            customer: Customer {
                name: "Jane Doe".to_owned(),
                phone: E164::parse("+15555551234").unwrap_or_else(|e| panic!("{e}")),
            },
            status,
            source: BookingSource::Phone,
            idempotency_key: None,
            rescheduled_from: None,
            rescheduled_to: None,
            confirmed_at: confirmed.then(|| at(8, 0)),
            attendance_marked_at: None,
            created_at: at(8, 0),
            updated_at: at(8, 0),
        }
    }

    #[test]
    fn unmarked_bookings_count_as_completed_24_hours_after_their_end() {
        use BookingStatus::*;
        use EffectiveStatus as E;
        let day = 24 * 60;
        let check = |status: BookingStatus, now: DateTime<Utc>, expected: EffectiveStatus| {
            assert_eq!(effective_status(&booking(status, false), now), expected, "{status:?} at {now}");
        };
        check(Confirmed, at(9, 0), E::Scheduled);
        check(Confirmed, at(10, 0), E::Scheduled);
        check(Confirmed, at(10, 29), E::Scheduled);
        check(Confirmed, at(10, 30), E::Unmarked);
        check(Confirmed, at(10, 30 + day - 1), E::Unmarked);
        check(Confirmed, at(10, 30 + day), E::Completed);
        check(Confirmed, at(10, 30 + 30 * day), E::Completed);
        check(Completed, at(10, 5), E::Completed);
        check(NoShow, at(10, 5), E::NoShow);
        check(NoShow, at(10, 30 + 30 * day), E::NoShow);
        check(Cancelled, at(9, 0), E::Cancelled);
        check(Cancelled, at(10, 30 + 30 * day), E::Cancelled);
    }

    #[test]
    fn attendance_parses_the_wire_words_only() {
        assert_eq!(crate::Attendance::parse("completed"), Some(crate::Attendance::Completed));
        assert_eq!(crate::Attendance::parse("no_show"), Some(crate::Attendance::NoShow));
        for bad in ["", "no-show", "NO_SHOW", "confirmed", "cancelled", " completed"] {
            assert_eq!(crate::Attendance::parse(bad), None, "{bad:?}");
        }
        for attendance in crate::Attendance::ALL {
            assert_eq!(attendance.status().attendance(), Some(attendance));
        }
        assert_eq!(BookingStatus::Confirmed.attendance(), None);
        assert_eq!(BookingStatus::Cancelled.attendance(), None);
    }

    /// `(status, customer confirmed)` of each 10:00–10:30 booking → the
    /// summary `now_minutes` after 10:00.
    fn check_summary(bookings: &[(BookingStatus, bool)], now_minutes: i64, expected: AttendanceSummary) {
        let bookings: Vec<Booking> = bookings.iter().map(|(s, c)| booking(*s, *c)).collect();
        assert_eq!(AttendanceSummary::of(&bookings, at(10, now_minutes)), expected, "{bookings:?}");
    }

    #[test]
    fn the_summary_counts_by_effective_status_and_splits_by_confirmation() {
        use BookingStatus::*;
        let rate = |completed, no_show| NoShowRate { completed, no_show };
        check_summary(&[], 90, AttendanceSummary::default());
        check_summary(
            &[(Completed, true), (NoShow, false), (NoShow, false), (Completed, false), (Cancelled, true)],
            90,
            AttendanceSummary {
                completed: 2,
                no_show: 2,
                unmarked: 0,
                scheduled: 0,
                confirmed: rate(1, 0),
                unconfirmed: rate(1, 2),
            },
        );
        // An hour after the end, unmarked ones are left out; a day later they count as completed.
        let mixed = [(Confirmed, true), (Confirmed, false), (NoShow, true)];
        check_summary(
            &mixed,
            90,
            AttendanceSummary {
                completed: 0,
                no_show: 1,
                unmarked: 2,
                scheduled: 0,
                confirmed: rate(0, 1),
                unconfirmed: rate(0, 0),
            },
        );
        check_summary(
            &mixed,
            30 + 24 * 60,
            AttendanceSummary {
                completed: 2,
                no_show: 1,
                unmarked: 0,
                scheduled: 0,
                confirmed: rate(1, 1),
                unconfirmed: rate(1, 0),
            },
        );
        check_summary(
            &mixed,
            15,
            AttendanceSummary {
                completed: 0,
                no_show: 1,
                unmarked: 0,
                scheduled: 2,
                confirmed: rate(0, 1),
                unconfirmed: rate(0, 0),
            },
        );
    }

    #[test]
    fn rates_are_no_shows_of_those_that_took_place_and_none_without_any() {
        let check = |completed, no_show, expected: Option<f64>| {
            assert_eq!(NoShowRate { completed, no_show }.rate(), expected, "{completed} completed, {no_show} no-shows");
        };
        check(0, 0, None);
        check(3, 0, Some(0.0));
        check(3, 1, Some(0.25));
        check(0, 2, Some(1.0));
        let summary = AttendanceSummary {
            completed: 5,
            no_show: 3,
            confirmed: NoShowRate { completed: 4, no_show: 0 },
            unconfirmed: NoShowRate { completed: 1, no_show: 3 },
            ..AttendanceSummary::default()
        };
        assert_eq!(summary.overall().rate(), Some(0.375));
        assert_eq!((summary.confirmed.rate(), summary.unconfirmed.rate()), (Some(0.0), Some(0.75)));
    }
}
