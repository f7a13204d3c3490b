//! `/app/calls` and `/app/calls/{sid}`: the shop's calls, and one call's
//! transcript (stored with card numbers already removed), its knowledge
//! sources and what it cost us beyond its minutes: its AI, and the
//! outbound legs placed for it (transfers to the owner, call backs).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use frontdesk_core::TenantId;
use frontdesk_routing::{CallSid, CallSummary};
use serde::Deserialize;

use super::owner::{shop_of, unavailable};
use super::{OwnerSession, notice, page};
use crate::app::AppState;

const DAY_CHOICES: [i64; 3] = [1, 7, 30];
/// Calls a page of the list shows; "more" shows as many again.
const PAGE: usize = 200;

struct CallRow {
    sid: String,
    when: String,
    caller: String,
    length: String,
    outcome: String,
    booking: &'static str,
    /// Its AI and its outbound legs.
    cost: String,
}

#[derive(Template)]
#[template(path = "owner_calls.html")]
struct CallsPage {
    shop: String,
    page: &'static str,
    days: i64,
    choices: Vec<i64>,
    rows: Vec<CallRow>,
    /// The period's calls, of which `rows` are the newest.
    total: usize,
    /// The link that shows more of them, when there are more, and how many more.
    more: Option<(String, usize)>,
}

struct Line {
    at: String,
    speaker: &'static str,
    who: &'static str,
    text: String,
    sources: String,
}

#[derive(Template)]
#[template(path = "owner_call.html")]
struct CallPage {
    shop: String,
    page: &'static str,
    when: String,
    caller: String,
    length: String,
    outcome: String,
    ai_cost: String,
    /// The outbound legs placed for it (`–` when none).
    legs_cost: String,
    recording: Option<String>,
    /// How the realtime voice answered, for a call it answered.
    realtime: Option<String>,
    lines: Vec<Line>,
}

#[derive(Deserialize)]
pub(crate) struct DaysQuery {
    days: Option<i64>,
    /// How many of the newest calls to show (a multiple of [`PAGE`]).
    shown: Option<usize>,
}

fn when(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone).format("%a %-d %b, %-I:%M %p").to_string()
}

fn length(call: &CallSummary) -> String {
    match call.duration_secs {
        Some(seconds) => format!("{}:{:02}", seconds / 60, seconds % 60),
        None if call.ended_at.is_none() => "in progress".to_owned(),
        None => "–".to_owned(),
    }
}

fn outcome(call: &CallSummary) -> String {
    call.outcome
        .and_then(|outcome| frontdesk_insights::CallOutcome::parse(outcome.as_str()))
        .map(|outcome| outcome.label().to_owned())
        .unwrap_or_else(|| "–".to_owned())
}

/// The realtime voice's part of a call, from its saved state: how many
/// times the caller spoke and how long they waited for each answer.
fn realtime_line(state: &str) -> Option<String> {
    let latency = frontdesk_routing::CallState::from_json(state).realtime?;
    let turns = match latency.turns {
        1 => "1 turn".to_owned(),
        turns => format!("{turns} turns"),
    };
    Some(match (latency.p50_ms, latency.p95_ms) {
        (Some(p50), Some(p95)) => {
            format!("Answered by the realtime voice: {turns}, reply after {p50} ms (p50), {p95} ms (p95)")
        }
        _ => format!("Answered by the realtime voice: {turns}"),
    })
}

fn dollars(micros: i64) -> String {
    if micros <= 0 { "–".to_owned() } else { format!("${:.4}", micros as f64 / 1e6) }
}

pub(crate) async fn calls(
    State(state): State<AppState>,
    owner: OwnerSession,
    Query(query): Query<DaysQuery>,
) -> Response {
    let days = query.days.filter(|days| DAY_CHOICES.contains(days)).unwrap_or(7);
    let shown = query.shown.unwrap_or(PAGE).clamp(PAGE, 100 * PAGE);
    let Some(shop) = shop_of(&state, &owner).await else { return unavailable() };
    let profile = &shop.profile;
    let now = state.clock.now();
    let from = now - Duration::days(days);
    let calls = match state.calls.call_summaries(&owner.tenant, from, now + Duration::minutes(1)).await {
        Ok(calls) => calls,
        Err(error) => {
            tracing::error!(%error, "could not list a shop's calls");
            return unavailable();
        }
    };
    // Newest first; the AI and legs' cost of those shown, in one read.
    let newest = &calls[..calls.len().min(shown)];
    let keys: Vec<(TenantId, String)> =
        newest.iter().map(|call| (owner.tenant.clone(), call.call_sid.as_str().to_owned())).collect();
    let since = newest.iter().map(|call| call.started_at).min().unwrap_or(from);
    let ai = state.metering.calls_model_usage(&keys, since).await;
    if let Err(error) = &ai {
        tracing::error!(%error, "could not read the calls' model use");
    }
    let rows = newest
        .iter()
        .zip(&keys)
        .map(|(call, key)| CallRow {
            sid: call.call_sid.as_str().to_owned(),
            when: when(call.started_at, profile.timezone()),
            caller: call.caller.as_ref().map_or_else(|| "withheld".to_owned(), |caller| caller.as_str().to_owned()),
            length: length(call),
            outcome: outcome(call),
            booking: if call.booking_id.is_some() { "yes" } else { "" },
            cost: match &ai {
                Ok(ai) => dollars(ai.get(key).map_or(0, |used| used.extra_cost_micros())),
                Err(_) => "?".to_owned(),
            },
        })
        .collect();
    let more = (calls.len() > shown)
        .then(|| (format!("/app/calls?days={days}&shown={}", shown + PAGE), PAGE.min(calls.len() - shown)));
    let choices = DAY_CHOICES.to_vec();
    page(
        CallsPage { shop: profile.name().to_owned(), page: "calls", days, choices, rows, total: calls.len(), more }
            .render(),
    )
}

pub(crate) async fn call(State(state): State<AppState>, owner: OwnerSession, Path(sid): Path<String>) -> Response {
    let missing = || notice(StatusCode::NOT_FOUND, "No such call", "That call is not one of your shop's.");
    let Ok(sid) = CallSid::parse(&sid) else { return missing() };
    let Some(shop) = shop_of(&state, &owner).await else { return unavailable() };
    let profile = &shop.profile;
    // Only this shop's calls are looked up: another shop's id finds nothing.
    let call = match state.calls.call(&owner.tenant, &sid).await {
        Ok(Some(call)) => call,
        Ok(None) => return missing(),
        Err(error) => {
            tracing::error!(%error, "could not read a call");
            return unavailable();
        }
    };
    let ai = state.metering.call_model_usage(&owner.tenant, sid.as_str(), call.started_at).await;
    let zone = profile.timezone();
    let lines = call
        .turns
        .iter()
        .map(|turn| {
            let caller = turn.speaker.as_str() == "caller";
            Line {
                at: turn.at.with_timezone(&zone).format("%-I:%M:%S %p").to_string(),
                speaker: if caller { "caller" } else { "agent" },
                who: if caller { "Caller" } else { "Receptionist" },
                text: turn.text.clone(),
                sources: turn.sources.join(", "),
            }
        })
        .collect();
    page(
        CallPage {
            shop: profile.name().to_owned(),
            page: "calls",
            when: when(call.started_at, zone),
            caller: call.caller.as_ref().map_or_else(|| "withheld".to_owned(), |caller| caller.as_str().to_owned()),
            length: length(&CallSummary::from(&call)),
            outcome: outcome(&CallSummary::from(&call)),
            ai_cost: ai.as_ref().map(|ai| dollars(ai.cost_micros)).unwrap_or_else(|_| "?".to_owned()),
            legs_cost: ai.as_ref().map(|ai| dollars(ai.leg_cost_micros)).unwrap_or_else(|_| "?".to_owned()),
            recording: call.recording_url.clone().filter(|url| url.starts_with("https://")),
            realtime: realtime_line(&call.state),
            lines,
        }
        .render(),
    )
}
