//! The owner's figures: what the receptionist answered, booked and
//! recovered, and how the shop's appointments went. Every definition is in
//! the crate documentation and in [`definitions`].

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc};
use frontdesk_core::Money;
use serde::Serialize;

use crate::facts::{
    BookingFact, BookingSource, BookingStatus, CallFact, CallOutcome, OwnerFacts, TransferResult, UsageKind,
};
use crate::figures::{Amount, Compared, Fraction, ratio};
use crate::period::{Period, PeriodChoice, PeriodError, Periods, Window, month_containing};

/// The definitions the owner's pages print beside their figures.
pub mod definitions {
    pub const CALLS_ANSWERED: &str = "Calls answered: calls that started in the period; after hours when the shop was closed (outside its hours or in a closure) as the call started.";
    pub const OUTCOME_MIX: &str =
        "Outcome mix: how each call of the period ended; calls still in progress have no outcome yet.";
    pub const BOOKINGS_MADE: &str = "Bookings by the receptionist: bookings made on a call (source phone) in the period; a reschedule is not a new booking.";
    pub const CONVERSION: &str = "Conversion: calls that ended booked ÷ calls that ended and were not hung up before being served, shown as \"N of M\".";
    pub const REVENUE_BOOKED: &str =
        "Revenue booked: Σ price of the receptionist's bookings of the period that are not cancelled now.";
    pub const REVENUE_RECOVERED: &str = "Revenue recovered: Σ price of the receptionist's bookings of the period, made on calls the shop would have missed, that became completed. A call the shop would have missed started after hours, or the receptionist put it through to you and nobody took it (no answer, declined, or not pressing 1), so the caller left a message; a call you took counts only if it was after hours. Those still ahead are \"on the books\" and not counted yet. No-shows and cancellations never count.";
    pub const NO_SHOW_RATE: &str = "No-show rate: no-shows ÷ (completed + no-shows) of the appointments that started in the period. A booking still unmarked 24 hours after its end counts as completed; before that it is \"unmarked\" and left out.";
    pub const CANCELLATION_RATE: &str = "Cancellation rate: cancelled ÷ appointments scheduled to start in the period (a reschedule is not a cancellation); late when cancelled inside the shop's cancellation notice.";
    pub const MINUTES: &str = "Minutes: call minutes used this month (each started minute counts whole) against the plan's included minutes; projected to the month's end in proportion to the days elapsed, today included.";
    pub const ROI: &str = "Plan against bookings: the plan's monthly price beside the revenue booked this month, and how many times over it was booked.";
    pub const HEAT_MAP: &str =
        "Busiest hours: calls of the period by weekday and hour of their start, in the shop's time zone.";
    pub const TOP_SERVICES: &str = "Top services: the receptionist's bookings of the period by service, with their value (cancelled ones count, but add no value).";
}

/// Hours after its end at which a booking nobody marked counts as
/// completed.
pub const UNMARKED_GRACE_HOURS: i64 = 24;

/// A booking's status as the figures count it at a given instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
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

/// The status a booking counts as at `now`: a confirmed booking that ended
/// [`UNMARKED_GRACE_HOURS`] or more ago counts as completed; one that ended
/// less long ago is unmarked.
pub fn effective_status(status: BookingStatus, end: DateTime<Utc>, now: DateTime<Utc>) -> EffectiveStatus {
    match status {
        BookingStatus::Cancelled => EffectiveStatus::Cancelled,
        BookingStatus::Completed => EffectiveStatus::Completed,
        BookingStatus::NoShow => EffectiveStatus::NoShow,
        BookingStatus::Confirmed if now < end => EffectiveStatus::Scheduled,
        BookingStatus::Confirmed if now - end < Duration::hours(UNMARKED_GRACE_HOURS) => EffectiveStatus::Unmarked,
        BookingStatus::Confirmed => EffectiveStatus::Completed,
    }
}

/// Calls of a period, split by whether the shop was open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CallCounts {
    pub total: u64,
    pub open_hours: u64,
    pub after_hours: u64,
}

/// How many calls of a period ended one way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct OutcomeCount {
    pub outcome: CallOutcome,
    pub label: &'static str,
    pub count: u64,
}

/// How the calls of a period ended: every outcome, in
/// [`CallOutcome::ALL`]'s order, zeros included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutcomeMix {
    pub outcomes: Vec<OutcomeCount>,
    /// Calls still in progress.
    pub in_progress: u64,
}

impl OutcomeMix {
    pub fn count(&self, outcome: CallOutcome) -> u64 {
        self.outcomes.iter().find(|entry| entry.outcome == outcome).map_or(0, |entry| entry.count)
    }
}

/// Money from calls the shop would have missed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Recovered {
    /// Σ price of those that became completed.
    pub recovered: Amount,
    pub recovered_bookings: u64,
    /// Σ price of those still ahead (or ended and not marked yet).
    pub on_the_books: Amount,
    pub on_the_books_bookings: u64,
    pub definition: &'static str,
}

/// No-shows among the appointments that started in a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct NoShows {
    /// No-shows of (completed + no-shows).
    pub rate: Fraction,
    /// Ended, confirmed, and not marked yet (less than 24 hours ago).
    pub unmarked: u64,
}

/// Cancellations among the appointments scheduled in a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Cancellations {
    /// Cancelled of scheduled.
    pub rate: Fraction,
    /// Of the cancelled, those inside the shop's cancellation notice.
    pub late: u64,
}

/// Call minutes of the current month against those the plan includes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MinutesUsage {
    pub month: Period,
    pub used: i64,
    pub included: i64,
    /// Used of included.
    pub share_used: Fraction,
    /// The days of the month elapsed, today included.
    pub elapsed_days: u64,
    /// `used × days in month ÷ elapsed days`, rounded to the nearest minute.
    pub projected: i64,
    /// Projected of included.
    pub projected_share: Fraction,
    /// Whether 80 % of the included minutes are used (any use when none are
    /// included).
    pub past_80_percent: bool,
}

/// The plan's price beside what the receptionist booked this month.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Roi {
    pub month: Period,
    pub plan_price: Amount,
    pub booked: Amount,
    /// `booked ÷ plan price`; `None` for a free plan or when the two are in
    /// different currencies.
    pub multiple: Option<f64>,
}

impl Roi {
    /// "plan 149.00 USD → 2340.00 USD booked (15.7×)".
    pub fn line(&self) -> String {
        match self.multiple {
            Some(multiple) => format!("plan {} → {} booked ({multiple:.1}×)", self.plan_price, self.booked),
            None => format!("plan {} → {} booked", self.plan_price, self.booked),
        }
    }
}

/// Weekday names, Monday first, as the heat map's rows.
pub const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Calls by local weekday (rows, Monday first) and hour of the day
/// (columns, 0 to 23).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct HeatMap {
    pub counts: [[u64; 24]; 7],
}

impl HeatMap {
    /// `weekday` counts from Monday (0) to Sunday (6).
    pub fn count(&self, weekday: usize, hour: usize) -> u64 {
        self.counts.get(weekday).and_then(|row| row.get(hour)).copied().unwrap_or(0)
    }

    pub fn max(&self) -> u64 {
        self.counts.iter().flatten().copied().max().unwrap_or(0)
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().flatten().sum()
    }
}

/// One service among the receptionist's bookings of a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceFigure {
    pub service: String,
    pub bookings: u64,
    /// Σ price of those not cancelled.
    pub value: Amount,
}

/// Everything the insights page shows for a chosen period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OwnerInsights {
    pub periods: Periods,
    pub calls: Compared<u64>,
    pub open_hours_calls: Compared<u64>,
    pub after_hours_calls: Compared<u64>,
    pub outcomes: OutcomeMix,
    pub previous_outcomes: OutcomeMix,
    pub bookings_made: Compared<u64>,
    pub conversion: Compared<Fraction>,
    pub revenue_booked: Compared<Amount>,
    pub revenue_recovered: Compared<Amount>,
    /// The current period's recovered revenue in detail.
    pub recovered: Recovered,
    pub no_show_rate: Compared<Fraction>,
    /// Appointments of the current period not marked yet.
    pub unmarked: u64,
    pub cancellation_rate: Compared<Fraction>,
    /// Late cancellations of the current period.
    pub late_cancellations: u64,
    /// This month, whatever the period.
    pub minutes: MinutesUsage,
    /// This month, whatever the period.
    pub roi: Roi,
    /// Calls of the current period, day by day (for a sparkline).
    pub calls_by_day: Vec<DayCount>,
    pub heat_map: HeatMap,
    pub top_services: Vec<ServiceFigure>,
}

/// How many calls started on one local day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DayCount {
    pub day: NaiveDate,
    pub calls: u64,
}

/// Whether the shop would have missed the call without the receptionist.
fn would_have_missed(call: &CallFact) -> bool {
    call.after_hours || call.transfer == Some(TransferResult::NotAnswered)
}

impl OwnerFacts {
    fn calls_in<'a>(&'a self, window: &'a Window) -> impl Iterator<Item = &'a CallFact> + 'a {
        self.calls.iter().filter(move |call| window.contains(call.started_at))
    }

    /// The receptionist's bookings made in `window`, replacements of
    /// rescheduled bookings left out.
    fn made_in<'a>(&'a self, window: &'a Window) -> impl Iterator<Item = &'a BookingFact> + 'a {
        self.bookings.iter().filter(move |booking| {
            booking.source == BookingSource::Phone && booking.replaces.is_none() && window.contains(booking.created_at)
        })
    }

    /// The appointments that start in `window`: bookings that were not moved
    /// elsewhere (a moved one's replacement stands for it).
    fn appointments_in<'a>(&'a self, window: &'a Window) -> impl Iterator<Item = &'a BookingFact> + 'a {
        self.bookings.iter().filter(move |booking| booking.replaced_by.is_none() && window.contains(booking.start))
    }

    /// The booking that stands for `booking` now: itself, or the last one it
    /// was rescheduled to. A replacement missing from the facts (or a cycle
    /// in bad data) stops the walk where it is.
    fn standing<'a>(&'a self, booking: &'a BookingFact) -> &'a BookingFact {
        let mut current = booking;
        for _ in 0..=self.bookings.len() {
            match current.replaced_by.as_ref().and_then(|next| self.booking(next)) {
                Some(next) => current = next,
                None => break,
            }
        }
        current
    }

    /// Whether a booking counts as cancelled now: cancelled and not moved, or
    /// moved to one that is cancelled. A booking moved to one the facts do
    /// not hold still stands.
    fn cancelled_now(&self, booking: &BookingFact) -> bool {
        let standing = self.standing(booking);
        standing.status == BookingStatus::Cancelled && standing.replaced_by.is_none()
    }

    /// Calls that started in `window`.
    pub fn calls_answered(&self, window: &Window) -> CallCounts {
        self.calls_in(window).fold(CallCounts::default(), |mut counts, call| {
            counts.total += 1;
            if call.after_hours {
                counts.after_hours += 1;
            } else {
                counts.open_hours += 1;
            }
            counts
        })
    }

    /// How the calls that started in `window` ended.
    pub fn outcome_mix(&self, window: &Window) -> OutcomeMix {
        // Counted by the outcome's place in `CallOutcome::ALL`.
        let mut counts = [0_u64; CallOutcome::ALL.len()];
        let mut in_progress = 0;
        for call in self.calls_in(window) {
            match call.outcome.and_then(|outcome| CallOutcome::ALL.iter().position(|each| *each == outcome)) {
                Some(place) => counts[place] += 1,
                None => in_progress += 1,
            }
        }
        let outcomes = CallOutcome::ALL
            .into_iter()
            .zip(counts)
            .map(|(outcome, count)| OutcomeCount { outcome, label: outcome.label(), count })
            .collect();
        OutcomeMix { outcomes, in_progress }
    }

    /// Booked calls of (ended calls − hung up unserved).
    pub fn conversion(&self, window: &Window) -> Fraction {
        conversion_of(&self.outcome_mix(window))
    }

    /// How many bookings the receptionist made in `window`.
    pub fn bookings_made(&self, window: &Window) -> u64 {
        self.made_in(window).count() as u64
    }

    /// Σ price of the receptionist's bookings made in `window` that are not
    /// cancelled now (a moved one at the price of the booking it became).
    pub fn revenue_booked(&self, window: &Window) -> Amount {
        let prices = self
            .made_in(window)
            .filter(|booking| !self.cancelled_now(booking))
            .map(|booking| self.standing(booking).price);
        Amount::sum(self.terms.currency, prices)
    }

    /// What the receptionist's bookings made in `window` on calls the shop
    /// would have missed became by `now`.
    pub fn revenue_recovered(&self, window: &Window, now: DateTime<Utc>) -> Recovered {
        let rescuing_calls: HashMap<_, _> = self
            .calls
            .iter()
            .filter(|call| would_have_missed(call))
            .filter_map(|call| call.booking.as_ref().map(|booking| (booking, call)))
            .collect();
        let (mut recovered, mut on_the_books) = (Vec::new(), Vec::new());
        for booking in self.made_in(window).filter(|booking| rescuing_calls.contains_key(&booking.id)) {
            let standing = self.standing(booking);
            match effective_status(standing.status, standing.end, now) {
                EffectiveStatus::Completed => recovered.push(standing.price),
                EffectiveStatus::Scheduled | EffectiveStatus::Unmarked => on_the_books.push(standing.price),
                _ => {}
            }
        }
        let currency = self.terms.currency;
        Recovered {
            recovered_bookings: recovered.len() as u64,
            recovered: Amount::sum(currency, recovered),
            on_the_books_bookings: on_the_books.len() as u64,
            on_the_books: Amount::sum(currency, on_the_books),
            definition: definitions::REVENUE_RECOVERED,
        }
    }

    /// No-shows of (completed + no-shows) among the appointments that started
    /// in `window`, as they count at `now`.
    pub fn no_shows(&self, window: &Window, now: DateTime<Utc>) -> NoShows {
        let (mut completed, mut no_shows, mut unmarked) = (0, 0, 0);
        for booking in self.appointments_in(window) {
            match effective_status(booking.status, booking.end, now) {
                EffectiveStatus::Completed => completed += 1,
                EffectiveStatus::NoShow => no_shows += 1,
                EffectiveStatus::Unmarked => unmarked += 1,
                EffectiveStatus::Scheduled | EffectiveStatus::Cancelled => {}
            }
        }
        NoShows { rate: Fraction::new(no_shows, completed + no_shows), unmarked }
    }

    /// Cancelled of the appointments scheduled to start in `window`.
    pub fn cancellations(&self, window: &Window) -> Cancellations {
        let notice = Duration::hours(i64::from(self.terms.cancellation_notice_hours));
        let (mut scheduled, mut cancelled, mut late) = (0, 0, 0);
        for booking in self.appointments_in(window) {
            scheduled += 1;
            if booking.status == BookingStatus::Cancelled {
                cancelled += 1;
                if booking.cancelled_at.is_some_and(|at| booking.start - at < notice) {
                    late += 1;
                }
            }
        }
        Cancellations { rate: Fraction::new(cancelled, scheduled), late }
    }

    /// Call minutes of the local month containing `now`, and where they are
    /// heading.
    pub fn minutes(&self, now: DateTime<Utc>) -> Result<MinutesUsage, PeriodError> {
        let zone = self.terms.zone;
        let today = now.with_timezone(&zone).date_naive();
        let month = Period::new(month_containing(today)?, zone)?;
        let used = self
            .usage
            .iter()
            .filter(|record| record.kind == UsageKind::CallMinutes && month.window.contains(record.occurred_at))
            .fold(0_i64, |total, record| total.saturating_add(record.quantity));
        let elapsed_days = u64::try_from((today - month.days.first_day()).num_days() + 1).unwrap_or(1).max(1);
        let projected = project(used, month.days.days(), elapsed_days);
        let included = self.terms.included_minutes;
        let past_80_percent = if included > 0 { i128::from(used) * 5 >= i128::from(included) * 4 } else { used > 0 };
        let unsigned = |minutes: i64| u64::try_from(minutes).unwrap_or(0);
        Ok(MinutesUsage {
            month,
            used,
            included,
            share_used: Fraction::new(unsigned(used), unsigned(included)),
            elapsed_days,
            projected,
            projected_share: Fraction::new(unsigned(projected), unsigned(included)),
            past_80_percent,
        })
    }

    /// The plan's price beside the revenue booked in the local month
    /// containing `now`.
    pub fn roi(&self, now: DateTime<Utc>) -> Result<Roi, PeriodError> {
        let zone = self.terms.zone;
        let month = Period::new(month_containing(now.with_timezone(&zone).date_naive())?, zone)?;
        let booked = self.revenue_booked(&month.window);
        let plan_price = Amount::new(self.terms.plan_price);
        let multiple = if plan_price.currency() == booked.currency() {
            ratio(booked.minor() as f64, plan_price.minor() as f64)
        } else {
            None
        };
        Ok(Roi { month, plan_price, booked, multiple })
    }

    /// Calls that started on each local day of `period`, every day listed.
    pub fn calls_by_day(&self, period: &Period) -> Vec<DayCount> {
        // Counted by the day's place in the period.
        let first = period.days.first_day();
        let mut by_day = vec![0_u64; usize::try_from(period.days.days()).unwrap_or(0)];
        for call in self.calls_in(&period.window) {
            let day = call.started_at.with_timezone(&self.terms.zone).date_naive();
            if let Some(count) = usize::try_from((day - first).num_days()).ok().and_then(|place| by_day.get_mut(place))
            {
                *count += 1;
            }
        }
        first
            .iter_days()
            .take_while(|day| *day < period.days.end_day())
            .zip(by_day)
            .map(|(day, calls)| DayCount { day, calls })
            .collect()
    }

    /// Calls that started in `window` by local weekday and hour.
    pub fn call_heat_map(&self, window: &Window) -> HeatMap {
        let mut map = HeatMap::default();
        for call in self.calls_in(window) {
            let local = call.started_at.with_timezone(&self.terms.zone);
            let weekday = local.weekday().num_days_from_monday() as usize;
            let hour = local.hour() as usize;
            if let Some(cell) = map.counts.get_mut(weekday).and_then(|row| row.get_mut(hour)) {
                *cell += 1;
            }
        }
        map
    }

    /// The receptionist's bookings made in `window` by service: the most
    /// valuable first, then the most booked, then by name.
    pub fn top_services(&self, window: &Window) -> Vec<ServiceFigure> {
        let mut by_service: HashMap<&str, (u64, Vec<Money>)> = HashMap::new();
        for booking in self.made_in(window) {
            let standing = self.standing(booking);
            let entry = by_service.entry(standing.service.as_str()).or_default();
            entry.0 += 1;
            if !self.cancelled_now(booking) {
                entry.1.push(standing.price);
            }
        }
        let mut figures: Vec<ServiceFigure> = by_service
            .into_iter()
            .map(|(service, (bookings, prices))| ServiceFigure {
                service: service.to_owned(),
                bookings,
                value: Amount::sum(self.terms.currency, prices),
            })
            .collect();
        figures.sort_by(|a, b| {
            b.value.minor().cmp(&a.value.minor()).then(b.bookings.cmp(&a.bookings)).then(a.service.cmp(&b.service))
        });
        figures
    }

    /// Every figure of the insights page for `choice` at `now`.
    pub fn insights(&self, choice: PeriodChoice, now: DateTime<Utc>) -> Result<OwnerInsights, PeriodError> {
        let periods = choice.resolve(now, self.terms.zone)?;
        let (current, previous) = (&periods.current.window, &periods.previous.window);
        let (calls, previous_calls) = (self.calls_answered(current), self.calls_answered(previous));
        let (outcomes, previous_outcomes) = (self.outcome_mix(current), self.outcome_mix(previous));
        let recovered = self.revenue_recovered(current, now);
        let no_shows = self.no_shows(current, now);
        let cancellations = self.cancellations(current);
        Ok(OwnerInsights {
            periods,
            calls: Compared::new(calls.total, previous_calls.total),
            open_hours_calls: Compared::new(calls.open_hours, previous_calls.open_hours),
            after_hours_calls: Compared::new(calls.after_hours, previous_calls.after_hours),
            conversion: Compared::new(conversion_of(&outcomes), conversion_of(&previous_outcomes)),
            outcomes,
            previous_outcomes,
            bookings_made: Compared::new(self.bookings_made(current), self.bookings_made(previous)),
            revenue_booked: Compared::new(self.revenue_booked(current), self.revenue_booked(previous)),
            revenue_recovered: Compared::new(recovered.recovered, self.revenue_recovered(previous, now).recovered),
            recovered,
            no_show_rate: Compared::new(no_shows.rate, self.no_shows(previous, now).rate),
            unmarked: no_shows.unmarked,
            cancellation_rate: Compared::new(cancellations.rate, self.cancellations(previous).rate),
            late_cancellations: cancellations.late,
            minutes: self.minutes(now)?,
            roi: self.roi(now)?,
            calls_by_day: self.calls_by_day(&periods.current),
            heat_map: self.call_heat_map(current),
            top_services: self.top_services(current),
        })
    }
}

/// Booked calls of (ended calls − hung up unserved), from a period's mix.
fn conversion_of(mix: &OutcomeMix) -> Fraction {
    let ended: u64 = mix.outcomes.iter().map(|entry| entry.count).sum();
    Fraction::new(mix.count(CallOutcome::Booked), ended - mix.count(CallOutcome::Abandoned))
}

/// `used × days ÷ elapsed`, rounded half up, saturating.
fn project(used: i64, days: u64, elapsed: u64) -> i64 {
    let (days, elapsed) = (i128::from(days), i128::from(elapsed.max(1)));
    let projected = (i128::from(used) * days * 2 + elapsed) / (elapsed * 2);
    i64::try_from(projected).unwrap_or(i64::MAX)
}
