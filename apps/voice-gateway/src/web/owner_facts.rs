//! A shop's records as the plain facts `frontdesk-insights` computes its
//! figures from: the adapter between the stores and the metric
//! definitions (which live in the insights crate, not here).
//!
//! Whether the owner picked up a transfer comes from the call's replies
//! (`CallStore::transfer_ends`, read as `frontdesk_routing::TransferEnd`
//! says). Minutes come from the month's totals (one record at the month's
//! start), which is all the projection needs.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use frontdesk_billing::{BillingPeriod, PlanTerms};
use frontdesk_calendar::{BookingBrief, BookingStatus as Status};
use frontdesk_insights::{
    BookingFact, BookingRef, BookingSource, BookingStatus, CallFact, CallOutcome, CallRef, OwnerFacts, Periods,
    ShopTerms, TransferResult, UsageKind, UsageRecord,
};
use frontdesk_routing::calls::CallBrief;
use frontdesk_routing::{CallSid, TransferEnd, shop_is_open};
use frontdesk_tenant::TenantProfile;

use crate::app::AppState;

/// How much earlier than the periods the facts reach: a booking made in a
/// period on a call that started just before it.
const MARGIN: Duration = Duration::days(1);

/// The shop's facts for `periods` (and this month) around `now`, or why
/// they could not be read. Only what the figures of those periods use is
/// read: the calls from the previous period's start, in brief (when, how
/// they ended, what they booked: not who called, nor the transcript); the
/// bookings starting from then (a booking the receptionist made in a period
/// starts after it was made) up to the furthest one can be booked, in
/// brief too (not who booked).
pub async fn owner_facts(
    state: &AppState,
    profile: &TenantProfile,
    periods: &Periods,
    now: DateTime<Utc>,
) -> anyhow::Result<OwnerFacts> {
    let tenant = profile.slug();
    let period = BillingPeriod::containing(now, profile.timezone());
    let month_start = period.start(profile.timezone());
    let calls_from = periods.previous.window.start() - MARGIN;
    let from = calls_from.min(month_start - MARGIN);
    let ahead = Duration::days(i64::from(profile.booking().max_days_ahead) + 1);
    // The calls (the biggest read) on another thread, beside the bookings
    // and the month's usage.
    let calls = tokio::spawn({
        let (store, tenant, to) = (state.calls.clone(), tenant.clone(), now + Duration::minutes(1));
        async move {
            let (briefs, transfers) = tokio::try_join!(
                store.call_briefs(&tenant, calls_from, to),
                store.transfer_ends(&tenant, calls_from, to)
            )?;
            Ok::<_, frontdesk_routing::CallError>((briefs, transfers))
        }
    });
    let bookings =
        async { Ok::<_, anyhow::Error>(state.bookings.store().booking_briefs(tenant, from, now + ahead).await?) };
    let report = async { Ok::<_, anyhow::Error>(state.metering.report(tenant, period).await?) };
    let (bookings, report) = tokio::try_join!(bookings, report)?;
    let (calls, transfers) = calls.await??;
    let transfers: HashMap<CallSid, TransferEnd> =
        transfers.into_iter().map(|transfer| (transfer.call_sid, transfer.end)).collect();
    let terms = PlanTerms::standard(report.plan);
    let usage = vec![UsageRecord {
        occurred_at: month_start,
        kind: UsageKind::CallMinutes,
        quantity: report.totals.call_minutes,
        cost_micros: 0,
        call: None,
    }];
    let currency = profile.currency();
    let shop = ShopTerms {
        zone: profile.timezone(),
        currency,
        cancellation_notice_hours: profile.booking().cancellation_notice_hours,
        plan_price: frontdesk_core::Money::from_minor(terms.monthly_price(), currency),
        included_minutes: report.included_minutes,
    };
    let calls = calls.iter().map(|call| call_fact(profile, call, transfers.get(&call.call_sid).copied())).collect();
    let bookings = bookings.iter().map(|booking| booking_fact(profile, booking)).collect();
    Ok(OwnerFacts::new(shop, calls, bookings, usage)?)
}

/// `recorded`: what the call's replies say of its transfer, if anything.
fn call_fact(profile: &TenantProfile, call: &CallBrief, recorded: Option<TransferEnd>) -> CallFact {
    CallFact {
        id: CallRef::new(call.call_sid.as_str()),
        started_at: call.started_at,
        outcome: call.outcome.and_then(|outcome| CallOutcome::parse(outcome.as_str())),
        after_hours: !shop_is_open(profile, call.started_at),
        transfer: TransferEnd::of_call(call.outcome, recorded).map(|end| match end {
            TransferEnd::Taken => TransferResult::Answered,
            TransferEnd::NotTaken => TransferResult::NotAnswered,
        }),
        booking: call.booking_id.map(|id| BookingRef::new(id.to_string())),
    }
}

fn booking_fact(profile: &TenantProfile, booking: &BookingBrief) -> BookingFact {
    let price = profile
        .services()
        .iter()
        .find(|service| service.name() == booking.service)
        .map(|service| service.price())
        .unwrap_or_else(|| frontdesk_core::Money::zero(profile.currency()));
    let status = match booking.status {
        Status::Confirmed => BookingStatus::Confirmed,
        Status::Cancelled => BookingStatus::Cancelled,
        Status::Completed => BookingStatus::Completed,
        Status::NoShow => BookingStatus::NoShow,
    };
    BookingFact {
        id: BookingRef::new(booking.id.to_string()),
        service: booking.service.clone(),
        price,
        source: match booking.source {
            frontdesk_calendar::BookingSource::Phone => BookingSource::Phone,
            frontdesk_calendar::BookingSource::Admin => BookingSource::Admin,
        },
        status,
        start: booking.start,
        end: booking.end,
        created_at: booking.created_at,
        // A cancellation's time is the booking's last change.
        cancelled_at: (booking.status == Status::Cancelled).then_some(booking.updated_at),
        replaces: booking.rescheduled_from.map(|id| BookingRef::new(id.to_string())),
        replaced_by: booking.rescheduled_to.map(|id| BookingRef::new(id.to_string())),
    }
}
