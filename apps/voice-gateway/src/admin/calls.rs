//! `/admin/tenants/{slug}/calls`, `/admin/tenants/{slug}/messages` and
//! `/admin/tenants/{slug}/questions`: what happened on the phone.

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use frontdesk_messaging::MessageRecord;
use frontdesk_routing::CallRecord;
use serde::Deserialize;
use serde_json::{Value, json};

use super::Admin;
use crate::app::AppState;
use crate::error::ApiError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/tenants/{slug}/calls", get(list_calls))
        .route("/admin/tenants/{slug}/calls/{call_sid}", get(get_call))
        .route("/admin/tenants/{slug}/messages", get(list_messages))
        .route("/admin/tenants/{slug}/questions", get(list_questions))
}

fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub fn call_json(call: &CallRecord, with_turns: bool) -> Value {
    let mut value = json!({
        "call_sid": call.call_sid.as_str(),
        "caller": call.caller.as_ref().map(|c| c.as_str()),
        "called": call.called.as_str(),
        "status": call.status.as_str(),
        "started_at": time(call.started_at),
        "ended_at": call.ended_at.map(time),
        "duration_secs": call.duration_secs,
        "outcome": call.outcome.map(|o| o.as_str()),
        "booking_id": call.booking_id.map(|id| id.to_string()),
        "recording_url": call.recording_url,
    });
    if with_turns {
        value["turns"] = call
            .turns
            .iter()
            .map(|t| {
                let mut turn = json!({"at": time(t.at), "speaker": t.speaker.as_str(), "text": t.text});
                if !t.sources.is_empty() {
                    turn["sources"] = json!(t.sources);
                }
                turn
            })
            .collect();
    }
    value
}

/// A call answered (in part) by the realtime voice: its caller turns and
/// how long the caller waited for each answer (speech stopped → first audio
/// sent), from the call's saved state; `None` for any other call.
fn realtime_json(call: &CallRecord) -> Option<Value> {
    let latency = frontdesk_routing::CallState::from_json(&call.state).realtime?;
    Some(json!({
        "turns": latency.turns,
        "latency_ms": {"p50": latency.p50_ms, "p95": latency.p95_ms},
    }))
}

fn message_json(message: &MessageRecord) -> Value {
    json!({
        "id": message.id,
        "to": message.to.as_str(),
        "from": message.from.as_str(),
        "body": message.body,
        "status": message.status,
        "provider_id": message.provider_id,
        "booking_id": message.booking_id,
        "error": message.error,
        "created_at": time(message.created_at),
        "updated_at": time(message.updated_at),
    })
}

#[derive(Deserialize)]
struct Range {
    from: Option<String>,
    to: Option<String>,
}

/// An RFC 3339 time, or a plain `YYYY-MM-DD`: that day's start in the shop's
/// zone (`through` gives the day after, so `--to` includes its day).
fn instant(
    field: &str,
    raw: Option<&str>,
    default: DateTime<Utc>,
    zone: chrono_tz::Tz,
    through: bool,
) -> Result<DateTime<Utc>, ApiError> {
    let Some(raw) = raw.filter(|r| !r.is_empty()) else { return Ok(default) };
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Ok(at.with_timezone(&Utc));
    }
    let day = chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| {
        ApiError::bad_request(
            "invalid_time",
            format!("{field} must be a date like 2026-11-27 or an RFC 3339 time, got {raw:?}"),
        )
    })?;
    let day = if through { day.succ_opt().unwrap_or(day) } else { day };
    day.and_hms_opt(0, 0, 0)
        .and_then(|midnight| chrono::TimeZone::from_local_datetime(&zone, &midnight).earliest())
        .map(|at| at.with_timezone(&Utc))
        .ok_or_else(|| {
            ApiError::bad_request("invalid_time", format!("{field}: {raw} has no midnight in the shop's zone"))
        })
}

async fn list_calls(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
    Query(range): Query<Range>,
) -> Result<Json<Value>, ApiError> {
    let tenant = admin.tenant(&slug)?;
    let record = state.tenants.get_tenant(&tenant).await?;
    let zone = record
        .map(|r| r.profile.timezone())
        .ok_or_else(|| ApiError::not_found(format!("tenant {tenant} does not exist")))?;
    let now = state.clock.now();
    let from = instant("from", range.from.as_deref(), now - Duration::days(7), zone, false)?;
    let to = instant("to", range.to.as_deref(), now + Duration::minutes(1), zone, true)?;
    let calls = state.calls.list_calls(&tenant, from, to).await?;
    Ok(Json(json!({"calls": calls.iter().map(|c| call_json(c, false)).collect::<Vec<_>>()})))
}

async fn get_call(
    State(state): State<AppState>,
    admin: Admin,
    Path((slug, call_sid)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let tenant = admin.tenant(&slug)?;
    let missing = || ApiError::not_found(format!("no call {call_sid}"));
    // An id that cannot name a call names none.
    let sid = frontdesk_routing::CallSid::parse(&call_sid).map_err(|_| missing())?;
    let call = state.calls.call(&tenant, &sid).await?.ok_or_else(missing)?;
    let ai = state.metering.call_model_usage(&tenant, sid.as_str(), call.started_at).await?;
    let mut body = call_json(&call, true);
    body["ai_cost"] = json!({"tokens": ai.tokens, "cost_micros": ai.cost_micros});
    // The outbound legs placed for it (transfers, call backs): a cost of the
    // call, never billed to the shop.
    body["legs_cost"] = json!({"minutes": ai.leg_minutes, "cost_micros": ai.leg_cost_micros});
    body["forwarded"] = json!(ai.forwarded);
    if let Some(realtime) = realtime_json(&call) {
        body["realtime"] = realtime;
    }
    Ok(Json(body))
}

async fn list_messages(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let tenant = admin.tenant(&slug)?;
    let messages = state.messages.list_messages(&tenant, 200).await?;
    Ok(Json(json!({"messages": messages.iter().map(message_json).collect::<Vec<_>>()})))
}

async fn list_questions(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let tenant = admin.tenant(&slug)?;
    let questions = state.calls.questions(&tenant).await?;
    let list: Vec<Value> = questions.iter().map(question_json).collect();
    Ok(Json(json!({"questions": list})))
}

/// A question as the admin API shows it.
pub(super) fn question_json(question: &frontdesk_routing::AskedQuestion) -> Value {
    json!({
        "id": question.id,
        "asked_at": time(question.asked_at),
        "question": question.question,
        "answered_at": question.answered_at.map(time),
        "nearest": question.nearest.as_ref().map(|nearest| json!({"source": nearest.source, "coverage": nearest.coverage})),
    })
}
