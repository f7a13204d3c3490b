//! What the operators are told about a shop's money: a cap reached (with
//! the decision that records it) and a failed payment (with the provider
//! event that reports it), each an operator alert job enqueued in the same
//! transaction, once per alert key.

use chrono::{DateTime, Utc};
use frontdesk_core::TenantId;
use frontdesk_jobs::NewJob;
use frontdesk_notify::{OperatorEvent, operator_alert_job};

use crate::model::{AccountChange, CapDecision, CapLevel, CapMetric};

/// Where the operator sees every shop's standing.
const SHOPS_PAGE: &str = "/ops/shops";

/// Micro-dollars as dollars and cents, rounded down.
fn dollars(micros: i64) -> String {
    let cents = micros.max(0) / 10_000;
    format!("${}.{:02}", cents / 100, cents % 100)
}

/// The operators' alert for a cap decision (80 % or 100 % of the minutes
/// or of the AI budget), keyed by the decision's metric, level and cap.
pub fn cap_alert_for_operators(decision: &CapDecision) -> NewJob {
    let CapDecision { tenant, period, metric, level, used, cap, decided_at } = decision;
    let percent = if *cap > 0 { used.saturating_mul(100) / cap } else { 100 };
    let (what, amounts) = match metric {
        CapMetric::Minutes => ("minute cap", format!("{used} of {cap} minutes")),
        CapMetric::AiSpend => ("AI budget", format!("{} of {}", dollars(*used), dollars(*cap))),
    };
    let consequence = match (level, metric) {
        (CapLevel::Soft, _) => "Nothing changes yet.",
        (CapLevel::Hard, CapMetric::Minutes) => "AI answering is paused: calls are forwarded to the owner's phone.",
        (CapLevel::Hard, CapMetric::AiSpend) => "Paid models are paused; calls are still answered.",
    };
    let subject = format!("Frontdesk: {tenant} reached {percent}% of its {what} for {period}");
    let body = format!("Shop {tenant} has used {amounts} in {period} ({percent}%). {consequence}");
    let detail = format!("{}:{}:{cap}", metric.as_str(), level.as_str());
    operator_alert_job(
        OperatorEvent::CapReached,
        Some(tenant),
        decided_at.date_naive(),
        Some(&detail),
        &subject,
        &body,
        Some(SHOPS_PAGE),
    )
}

/// The operators' alerts a provider event's change to `tenant`'s account
/// calls for: a failed payment (once a day per shop).
pub fn account_change_alerts(tenant: &TenantId, change: &AccountChange, at: DateTime<Utc>) -> Vec<NewJob> {
    match change {
        AccountChange::PaymentFailed { .. } => vec![operator_alert_job(
            OperatorEvent::PaymentFailed,
            Some(tenant),
            at.date_naive(),
            None,
            &format!("Frontdesk: a payment by {tenant} failed"),
            &format!(
                "Stripe reports a failed payment by shop {tenant}: it is past due. After the grace period its calls go to the owner's phone without AI until it pays."
            ),
            Some(SHOPS_PAGE),
        )],
        AccountChange::Paid | AccountChange::Subscription { .. } => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::period::BillingPeriod;

    #[test]
    fn a_cap_alert_says_which_cap_and_is_keyed_by_the_decision() {
        let tenant = TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}"));
        let at = Utc.with_ymd_and_hms(2026, 12, 8, 15, 0, 0).single().unwrap_or_default();
        let period = BillingPeriod::containing(at, chrono_tz::America::New_York);
        let decision = CapDecision {
            tenant: tenant.clone(),
            period,
            metric: CapMetric::Minutes,
            level: CapLevel::Hard,
            used: 500,
            cap: 500,
            decided_at: at,
        };
        let job = cap_alert_for_operators(&decision);
        assert_eq!(job.unique_key.as_deref(), Some("alert:cap_reached:fresh-cuts:2026-12-08:minutes:hard:500"));
        assert_eq!(
            job.payload["body"],
            "Shop fresh-cuts has used 500 of 500 minutes in 2026-12 (100%). AI answering is paused: calls are forwarded to the owner's phone."
        );
        let failed = account_change_alerts(&tenant, &AccountChange::PaymentFailed { at }, at);
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].unique_key.as_deref(), Some("alert:payment_failed:fresh-cuts:2026-12-08"));
        assert!(account_change_alerts(&tenant, &AccountChange::Paid, at).is_empty());
    }
}
