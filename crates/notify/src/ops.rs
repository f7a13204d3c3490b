//! The operators' sweep: every hour, each shop's day so far against the
//! rules of `frontdesk-insights::alerts` (a cost spike, failing texts), an
//! alert once per `alert:{kind}:{tenant}:{day}` (UTC day).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use frontdesk_core::{StoreError, TenantId};
use frontdesk_insights::alerts::{cost_spike, failing_texts};
use frontdesk_jobs::{HandlerError, JobContext, JobHandler, JobKind, JobQueue, NewJob};

use crate::jobs::{kind, operator_alert_job, retry};
use crate::model::OperatorEvent;

/// Look for trouble in every shop's day so far (hourly).
pub const OPS_SWEEP: &str = "notify.ops_sweep";

/// Days of costs a spike is judged against (before the day itself).
const USUAL_DAYS: i64 = 7;

/// One text as the sweep counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextOutcome {
    pub tenant: TenantId,
    pub failed: bool,
    /// Why it failed (the provider's code and words).
    pub error: Option<String>,
}

/// What the sweep reads: every shop at once, never one read per shop.
#[async_trait]
pub trait OperatorFacts: Send + Sync {
    /// Every shop's cost per UTC day, for usage recorded at or after `since`.
    async fn daily_costs(&self, since: DateTime<Utc>) -> Result<Vec<(TenantId, NaiveDate, i64)>, StoreError>;

    /// Every shop's texts created at or after `since`.
    async fn texts_since(&self, since: DateTime<Utc>) -> Result<Vec<TextOutcome>, StoreError>;
}

/// Micro-dollars as dollars and cents.
fn dollars(micros: i64) -> String {
    let cents = micros.max(0) / 10_000;
    format!("${}.{:02}", cents / 100, cents % 100)
}

/// The alerts `facts` call for at `now`.
pub async fn operator_alerts(facts: &dyn OperatorFacts, now: DateTime<Utc>) -> Result<Vec<NewJob>, StoreError> {
    let today = now.date_naive();
    let first = today - Duration::days(USUAL_DAYS);
    let since = first.and_hms_opt(0, 0, 0).map(|start| start.and_utc()).unwrap_or(now);
    let mut costs: HashMap<TenantId, BTreeMap<NaiveDate, i64>> = HashMap::new();
    for (tenant, day, cost) in facts.daily_costs(since).await? {
        *costs.entry(tenant).or_default().entry(day).or_default() += cost;
    }
    let mut alerts = Vec::new();
    let mut shops: Vec<&TenantId> = costs.keys().collect();
    shops.sort();
    for tenant in shops {
        let days = &costs[tenant];
        let daily: Vec<i64> =
            (0..=USUAL_DAYS).map(|n| days.get(&(first + Duration::days(n))).copied().unwrap_or(0)).collect();
        if let Some((day_cost, usual)) = cost_spike(&daily) {
            alerts.push(operator_alert_job(
                OperatorEvent::CostSpike,
                Some(tenant),
                today,
                None,
                &format!("Frontdesk: {tenant}'s costs spiked today"),
                &format!(
                    "Shop {tenant} has cost {} so far today (UTC) against a usual {} a day over the last week.",
                    dollars(day_cost),
                    dollars(usual)
                ),
                Some("/ops/alerts"),
            ));
        }
    }

    let mut texts: BTreeMap<TenantId, (usize, Vec<Option<String>>)> = BTreeMap::new();
    for text in facts.texts_since(now - Duration::hours(24)).await? {
        let tally = texts.entry(text.tenant).or_default();
        tally.0 += 1;
        if text.failed {
            tally.1.push(text.error);
        }
    }
    for (tenant, (sent, failed)) in &texts {
        if failing_texts(*sent, failed.len()) {
            let reasons: Vec<&str> = failed.iter().flatten().map(String::as_str).take(3).collect();
            alerts.push(operator_alert_job(
                OperatorEvent::FailingTexts,
                Some(tenant),
                today,
                None,
                &format!("Frontdesk: {tenant}'s texts are failing"),
                &format!(
                    "{} of {sent} texts of shop {tenant} in the last 24 hours failed: {}",
                    failed.len(),
                    if reasons.is_empty() { "no reason given".to_owned() } else { reasons.join("; ") }
                ),
                Some("/ops/alerts"),
            ));
        }
    }
    Ok(alerts)
}

/// The `notify.ops_sweep` handler: enqueues the alerts that are due; one
/// already raised today (its key) is not raised again.
pub struct OperatorSweep {
    pub facts: Arc<dyn OperatorFacts>,
    pub queue: Arc<dyn JobQueue>,
}

#[async_trait]
impl JobHandler for OperatorSweep {
    fn kind(&self) -> JobKind {
        kind(OPS_SWEEP)
    }

    async fn run(&self, context: &JobContext) -> Result<(), HandlerError> {
        let alerts = operator_alerts(self.facts.as_ref(), context.clock.now()).await.map_err(retry)?;
        for alert in alerts {
            self.queue.enqueue(alert).await.map_err(retry)?;
        }
        Ok(())
    }
}
