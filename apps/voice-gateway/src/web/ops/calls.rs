//! `/ops/calls`: the calls in progress on the whole platform, the page
//! reloading itself every 5 seconds (a `<meta>` refresh: no script).
//!
//! A live call is one with no end yet that started less than 4 hours ago
//! (older ones lost their final status callback). Every shop's calls of the
//! last 4 hours are read at once, without transcripts; then each live call
//! (for its stage) and its shop (for the name): reads that grow with the
//! calls in progress, not with the shops.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Duration, Utc};
use frontdesk_core::{E164, TenantId};
use frontdesk_insights::CallOutcome;
use frontdesk_routing::{CallRecord, CallState, Stage};

use super::{Header, unavailable};
use crate::app::AppState;
use crate::web::{OperatorSession, page};

/// Calls older than this without an end are not live any more.
const LIVE_FOR: Duration = Duration::hours(4);

struct LiveCall {
    shop: String,
    caller: String,
    started: String,
    duration: String,
    stage: &'static str,
    outcome: &'static str,
}

#[derive(Template)]
#[template(path = "ops_calls.html")]
struct CallsPage {
    header: Header,
    as_of: String,
    calls: Vec<LiveCall>,
}

pub(super) async fn live_calls(State(state): State<AppState>, operator: OperatorSession) -> Response {
    let now = state.clock.now();
    match live(&state, now).await {
        Ok(calls) => page(
            CallsPage { header: Header::new(&operator, "calls"), as_of: now.format("%H:%M:%S UTC").to_string(), calls }
                .render(),
        ),
        Err(error) => unavailable(&error),
    }
}

async fn live(state: &AppState, now: DateTime<Utc>) -> anyhow::Result<Vec<LiveCall>> {
    let recent = state.calls.call_summaries_of_all_tenants(now - LIVE_FOR, now + Duration::minutes(1)).await?;
    let mut names: HashMap<TenantId, String> = HashMap::new();
    let mut live: Vec<(String, CallRecord)> = Vec::new();
    for summary in recent.iter().filter(|call| call.ended_at.is_none()) {
        // Gone meanwhile (ended and purged with a sandbox): not live.
        let Some(call) = state.calls.call(&summary.tenant, &summary.call_sid).await? else { continue };
        if !names.contains_key(&summary.tenant) {
            let name = state.tenants.get_tenant(&summary.tenant).await?.map(|shop| shop.profile.name().to_owned());
            names.insert(summary.tenant.clone(), name.unwrap_or_else(|| summary.tenant.to_string()));
        }
        let name = names.get(&summary.tenant).cloned().unwrap_or_default();
        live.push((name, call));
    }
    // The longest-running first.
    live.sort_by_key(|(_, call)| call.started_at);
    Ok(live
        .into_iter()
        .map(|(shop, call)| LiveCall {
            shop,
            caller: masked(call.caller.as_ref()),
            started: call.started_at.format("%H:%M:%S UTC").to_string(),
            duration: so_far(now - call.started_at),
            stage: stage(&CallState::from_json(&call.state).stage),
            outcome: call
                .outcome
                .and_then(|outcome| CallOutcome::parse(outcome.as_str()))
                .map_or("—", CallOutcome::label),
        })
        .collect())
}

/// The caller's last 4 digits only.
pub(super) fn masked(caller: Option<&E164>) -> String {
    match caller {
        Some(number) => {
            let mut last: Vec<char> = number.as_str().chars().rev().filter(char::is_ascii_digit).take(4).collect();
            last.reverse();
            format!("••• {}", last.into_iter().collect::<String>())
        }
        None => "withheld".to_owned(),
    }
}

/// `m:ss`, or `h:mm:ss`.
fn so_far(elapsed: Duration) -> String {
    let seconds = elapsed.num_seconds().max(0);
    let (hours, minutes, seconds) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if hours > 0 { format!("{hours}:{minutes:02}:{seconds:02}") } else { format!("{minutes}:{seconds:02}") }
}

fn stage(stage: &Stage) -> &'static str {
    match stage {
        Stage::Menu => "Listening",
        Stage::Booking => "Booking",
        Stage::AskName => "Asking the caller's name",
        Stage::ChooseOption => "Choosing between times",
        Stage::ConfirmBooking => "Confirming a booking",
        Stage::CancelFind => "Finding a booking to cancel",
        Stage::CancelConfirm => "Confirming a cancellation",
        Stage::RescheduleWhen => "Moving a booking",
        Stage::RescheduleConfirm => "Confirming a move",
        Stage::OfferHelp => "Offering more help",
        Stage::Ended => "Put through or ending",
    }
}
