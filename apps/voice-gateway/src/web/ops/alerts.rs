//! `/ops/alerts`: what needs the operator's eye now, worst first.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use chrono::{Duration, NaiveDate};
use frontdesk_core::TenantId;
use frontdesk_insights::PeriodChoice;
use frontdesk_insights::alerts::{cost_spike, failing_texts};
use frontdesk_jobs::JobState;
use frontdesk_messaging::MessageRecord;

use super::facts::{Reads, platform};
use super::{Header, micro_dollars, unavailable};
use crate::app::AppState;
use crate::web::{OperatorSession, page};

/// The cost per call the platform aims under, in micro-dollars.
const COST_PER_CALL_TARGET_MICROS: f64 = 80_000.0;
/// Calls a shop needs before its cost per call is judged.
const MIN_CALLS: usize = 20;

pub(super) struct Alert {
    /// Sorts the list: lower first.
    rank: u8,
    kind: &'static str,
    shop: String,
    what: String,
}

#[derive(Template)]
#[template(path = "ops_alerts.html")]
struct AlertsPage {
    header: Header,
    alerts: Vec<Alert>,
}

pub(super) async fn alerts(State(state): State<AppState>, operator: OperatorSession) -> Response {
    match gather(&state).await {
        Ok(alerts) => page(AlertsPage { header: Header::new(&operator, "alerts"), alerts }.render()),
        Err(error) => unavailable(&error),
    }
}

async fn gather(state: &AppState) -> anyhow::Result<Vec<Alert>> {
    let now = state.clock.now();
    let window = PeriodChoice::Last30Days.resolve(now, chrono_tz::UTC)?.current.window;
    // Costs and standings only: no revenue, no MRR movements.
    let platform = platform(state, &window, now, Reads { revenue: false, movements: false }).await?;
    // Every shop's texts of the last day, in one read.
    let mut texts: HashMap<&TenantId, Vec<&MessageRecord>> = HashMap::new();
    let sent = state.messages.messages_of_all_tenants_since(now - Duration::hours(24)).await?;
    for text in &sent {
        texts.entry(&text.tenant).or_default().push(text);
    }
    let mut alerts = Vec::new();
    let today = now.date_naive();
    for (shop, account) in platform.shops.iter().zip(platform.facts.shops()) {
        let name = shop.tenant.name.clone();
        for what in super::shops::alerts(shop) {
            alerts.push(Alert { rank: 1, kind: "Caps and payments", shop: name.clone(), what });
        }
        // Costs per day (UTC) of the last 8 days, and per call.
        let mut by_day: BTreeMap<NaiveDate, i64> = BTreeMap::new();
        for day in 0..8 {
            by_day.insert(today - Duration::days(day), 0);
        }
        let mut call_costs: BTreeMap<&str, i64> = BTreeMap::new();
        for record in &account.usage {
            if let Some(total) = by_day.get_mut(&record.occurred_at.date_naive()) {
                *total += record.cost_micros;
            }
            if let Some(call) = &record.call {
                *call_costs.entry(call.as_str()).or_default() += record.cost_micros;
            }
        }
        let daily: Vec<i64> = by_day.values().copied().collect();
        // The rules are the alert job's (`frontdesk-insights::alerts`).
        if let Some((day, usual)) = cost_spike(&daily) {
            alerts.push(Alert {
                rank: 0,
                kind: "Cost spike",
                shop: name.clone(),
                what: format!(
                    "{} today against a usual {} a day",
                    micro_dollars(day as f64),
                    micro_dollars(usual as f64)
                ),
            });
        }
        if call_costs.len() >= MIN_CALLS {
            let mean = call_costs.values().sum::<i64>() as f64 / call_costs.len() as f64;
            if mean > COST_PER_CALL_TARGET_MICROS {
                alerts.push(Alert {
                    rank: 2,
                    kind: "Cost per call",
                    shop: name.clone(),
                    what: format!(
                        "{} a call over {} calls (target {})",
                        micro_dollars(mean),
                        call_costs.len(),
                        micro_dollars(COST_PER_CALL_TARGET_MICROS)
                    ),
                });
            }
        }
        let recent: Vec<&MessageRecord> = texts
            .get(shop.slug())
            .map(|texts| texts.iter().copied().filter(|text| text.created_at > now - Duration::hours(24)).collect())
            .unwrap_or_default();
        let failed: Vec<_> = recent.iter().filter(|text| text.status == "failed").collect();
        if failing_texts(recent.len(), failed.len()) {
            let reasons: Vec<&str> = failed.iter().filter_map(|text| text.error.as_deref()).take(3).collect();
            alerts.push(Alert {
                rank: 3,
                kind: "Failing texts",
                shop: name,
                what: format!(
                    "{} of {} texts of the last day failed: {}",
                    failed.len(),
                    recent.len(),
                    reasons.join("; ")
                ),
            });
        }
    }
    let dead = state.job_admin.list_jobs(Some(JobState::Dead), 100).await?;
    if !dead.is_empty() {
        let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
        for job in &dead {
            *kinds.entry(job.kind.as_str().to_owned()).or_default() += 1;
        }
        let listed: Vec<String> = kinds.iter().map(|(kind, count)| format!("{count} {kind}")).collect();
        alerts.push(Alert {
            rank: 2,
            kind: "Dead jobs",
            shop: "—".to_owned(),
            what: format!("{} (retry with adminctl jobs retry)", listed.join(", ")),
        });
    }
    alerts.sort_by_key(|alert| alert.rank);
    Ok(alerts)
}
