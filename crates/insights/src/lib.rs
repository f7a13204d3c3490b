//! What the owner's and the operator's pages show, and how each figure is
//! defined. The pages only render what this crate computes.
//!
//! This crate is pure: plain facts in ([`OwnerFacts`], [`OperatorFacts`]),
//! plain figures out, all `Serialize` so a JSON API can serve the same
//! numbers. It knows nothing of databases, HTTP, templates or the clock; the
//! gateway converts its records into facts and passes `now`. It depends on
//! `frontdesk-core` for money only.
//!
//! # Periods
//!
//! An owner's period is a run of whole local days in the shop's time zone
//! ([`PeriodChoice`]): today, the last 7 days (today included), the last 30
//! days, this calendar month, or custom days `[from, to)`. It covers the
//! instants from the local midnight that starts its first day to the one
//! that ends its last, so a day with a daylight-saving change is 23 or 25
//! hours long. Every figure is shown beside the same figure for the previous
//! period of equal length: the same number of days right before it, except
//! that this month is compared with the whole previous calendar month.
//! Figures reflect the records as they stand now: a booking made in March
//! and cancelled in April no longer counts in March's revenue.
//!
//! # The owner's figures
//!
//! - **Calls answered**: calls that started in the period, split into open
//!   hours and after hours (the shop was closed, outside its hours or in a
//!   closure, as the call started: calls voicemail would have taken).
//! - **Outcome mix**: how the period's calls ended: booked, rescheduled,
//!   cancelled, answered, transferred, message taken, hung up while booking
//!   (`abandoned_booking`), hung up unserved (`abandoned`). Calls still in
//!   progress have no outcome yet and are counted apart.
//! - **Bookings by the receptionist**: bookings with source `phone` created
//!   in the period. A reschedule cancels the booking it moves and creates a
//!   replacement; the pair is one booking, neither a new booking nor a
//!   cancellation, and the replacement's fate is the original's.
//! - **Conversion**: calls that ended `booked` ÷ (calls that ended −
//!   `abandoned`), shown as "N of M". Hanging up mid-booking stays in the
//!   denominator: that is a booking lost.
//! - **Revenue booked**: Σ price of the receptionist's bookings of the period
//!   that are not cancelled now.
//! - **Revenue recovered** (conservative, and stated on the page as
//!   [`owner::definitions::REVENUE_RECOVERED`]): Σ price of the
//!   receptionist's bookings of the period, made on calls the shop would have
//!   missed (after hours, or a transfer the owner did not pick up), that
//!   became completed. Those still ahead, or ended and not marked yet, are
//!   "on the books" and shown apart; no-shows and cancellations never count.
//! - **Effective status** ([`effective_status`]): a booking still confirmed
//!   after its end is *unmarked*; [`UNMARKED_GRACE_HOURS`] (24) hours after
//!   its end it counts as completed.
//! - **No-show rate**: no-shows ÷ (completed + no-shows) of the appointments
//!   that started in the period, by effective status; the unmarked ones are
//!   left out and shown as "N unmarked".
//! - **Cancellation rate**: cancelled ÷ appointments scheduled to start in
//!   the period (cancelled ones included, moved ones counted once); *late*
//!   when cancelled less than the shop's cancellation notice hours before the
//!   start.
//! - **Minutes**: call minutes of the current local month (each started
//!   minute whole, as billing meters them) against the plan's included
//!   minutes, with the 80 % mark; projected to the month's end as
//!   `used × days in month ÷ days elapsed` (today counts as elapsed),
//!   rounded to the nearest minute.
//! - **Plan against bookings** ([`Roi`]): the plan's monthly price beside the
//!   revenue booked this month, and the multiple `booked ÷ price`
//!   ("plan 149.00 USD → 2340.00 USD booked (15.7×)").
//! - **Busiest hours**: the period's calls by local weekday (Monday first)
//!   and hour of their start, 7 × 24 counts.
//! - **Top services**: the receptionist's bookings of the period by service,
//!   with the count and the value (Σ price of those not cancelled), the most
//!   valuable first.
//!
//! # The operator's figures
//!
//! Each comes with its formula ([`Stated`], [`operator::formulas`]).
//!
//! - **MRR**: Σ monthly plan price of the enabled, paying shops; no setup
//!   fees, overage, tax or sandboxes.
//! - **Movements** over a window, from each shop's MRR changes
//!   ([`MrrChange`]): from zero to more is *new* (its first time) or
//!   *reactivation* (it paid before); to zero is *churn*; up is *expansion*;
//!   down is *contraction*. Every change counts, so a shop that churns and
//!   comes back within the window shows both. **Net new MRR** = new +
//!   expansion + reactivation − contraction − churn, which equals MRR at the
//!   end minus MRR at the start.
//! - **Gross MRR churn** = (churn + contraction) ÷ MRR at the start; **net
//!   MRR churn** = (churn + contraction − expansion − reactivation) ÷ MRR at
//!   the start; MRR at the start is what the changes add up to just before
//!   the window.
//! - **ARPA** = MRR ÷ active shops (enabled and paying).
//! - **Minutes per shop**: billable call minutes of the window per active
//!   shop, mean and median.
//! - **Gross margin** = (revenue − cost) ÷ revenue, per shop and overall;
//!   revenue is what was billed for the window without tax and setup fees,
//!   cost is the Σ estimated cost of the window's usage records.
//! - **Cost per call**: Σ estimated cost of each call's usage records, mean
//!   and p95 (nearest rank: the ⌈0.95 n⌉-th smallest, so with fewer than 20
//!   calls the largest) against a target, $0.08 by default
//!   ([`CostTarget::DEFAULT`]).
//!
//! # Dividing by zero
//!
//! A rate over nothing (no calls, no appointments, no revenue, no MRR at the
//! start) is `None`, never NaN or zero: the page shows a dash.
//!
//! # Charts
//!
//! [`charts`] draws bars, stacked bars, a sparkline and the heat map as
//! inline SVG strings (no script, no external font, no `style` attribute),
//! each with a table of the same numbers ([`Chart::rows`]).

pub mod alerts;
pub mod charts;
mod facts;
mod figures;
pub mod operator;
pub mod owner;
mod period;

pub use charts::{
    BarChart, Chart, Datum, HeatMapChart, Sparkline, Stack, StackedBarChart, Svg, TableRow, calls_sparkline,
    heat_map_chart, outcome_mix_chart, top_services_chart,
};
pub use facts::{
    BookingFact, BookingRef, BookingSource, BookingStatus, CallFact, CallOutcome, CallRef, FactsError, OwnerFacts,
    ShopTerms, TransferResult, UsageKind, UsageRecord,
};
pub use figures::{Amount, AmountChange, Compared, CountChange, Fraction, Measure, RateChange, Stated};
pub use operator::{
    CostPerCall, CostTarget, Margin, Margins, MinutesPerShop, Movement, MrrChange, MrrMovements, OperatorFacts,
    OperatorOverview, ShopAccount, nearest_rank,
};
pub use owner::{
    CallCounts, Cancellations, DayCount, EffectiveStatus, HeatMap, MinutesUsage, NoShows, OutcomeCount, OutcomeMix,
    OwnerInsights, Recovered, Roi, ServiceFigure, UNMARKED_GRACE_HOURS, WEEKDAYS, effective_status,
};
pub use period::{DayRange, Period, PeriodChoice, PeriodError, Periods, Window, month_containing};
