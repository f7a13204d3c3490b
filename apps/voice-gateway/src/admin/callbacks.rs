//! `/admin/tenants/{slug}/callbacks`: callers owed a call back (a transfer
//! nobody took, a message left), oldest first, and marking one done.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, SecondsFormat, Utc};
use frontdesk_routing::{CallBackError, CallSid, Callback, CallbackStatus, PlaceCallError};
use serde::Deserialize;
use serde_json::{Value, json};

use super::Admin;
use crate::app::AppState;
use crate::error::ApiError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/tenants/{slug}/callbacks", get(list_callbacks))
        .route("/admin/tenants/{slug}/callbacks/{call_sid}/done", post(mark_done))
        .route("/admin/tenants/{slug}/callbacks/{call_sid}/call", post(call_back))
}

fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A callback as the admin API shows it (its transcript has no card numbers).
pub fn callback_json(callback: &Callback, now: DateTime<Utc>) -> Value {
    json!({
        "call_sid": callback.call_sid.as_str(),
        "caller": callback.caller.as_ref().map(|c| c.as_str()),
        "name": callback.name,
        "reason": callback.reason,
        "recording_url": callback.recording_url,
        "transcript": callback.transcript,
        "status": callback.status.as_str(),
        "created_at": time(callback.created_at),
        "waiting_minutes": (callback.status == CallbackStatus::Open).then(|| (now - callback.created_at).num_minutes()),
        "done_at": callback.done_at.map(time),
    })
}

#[derive(Deserialize)]
struct Filter {
    status: Option<String>,
}

async fn list_callbacks(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
    Query(filter): Query<Filter>,
) -> Result<Json<Value>, ApiError> {
    let tenant = admin.tenant(&slug)?;
    let status = match filter.status.as_deref().filter(|s| !s.is_empty() && *s != "all") {
        None => None,
        Some(raw) => Some(CallbackStatus::parse(raw).ok_or_else(|| {
            ApiError::bad_request("invalid_status", format!("status must be open, done or all, got {raw:?}"))
        })?),
    };
    let callbacks = state.callbacks.callbacks(&tenant, status).await?;
    let now = state.clock.now();
    Ok(Json(json!({"callbacks": callbacks.iter().map(|c| callback_json(c, now)).collect::<Vec<_>>()})))
}

async fn mark_done(
    State(state): State<AppState>,
    admin: Admin,
    Path((slug, call_sid)): Path<(String, String)>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let tenant = admin.tenant(&slug)?;
    let missing = || ApiError::not_found(format!("no callback for call {call_sid}"));
    let sid = CallSid::parse(&call_sid).map_err(|_| missing())?;
    if !state.callbacks.close_callback(&tenant, &sid, state.clock.now()).await? {
        return Err(missing());
    }
    let callback = state.callbacks.callback(&tenant, &sid).await?.ok_or_else(missing)?;
    Ok((StatusCode::OK, Json(callback_json(&callback, state.clock.now()))))
}

/// Calls the customer back: the owner's phone rings first (from the shop's
/// number), they hear who called and why, press 1, and the customer is
/// rung with the shop's number as caller ID. 202 with the placed call.
async fn call_back(
    State(state): State<AppState>,
    admin: Admin,
    Path((slug, call_sid)): Path<(String, String)>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let tenant = admin.tenant(&slug)?;
    let missing = || ApiError::not_found(format!("no callback for call {call_sid}"));
    let sid = CallSid::parse(&call_sid).map_err(|_| missing())?;
    let calling_back = state.calling_back.clone().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "calls_unavailable",
            "calling back needs Twilio: set FRONTDESK_TWILIO_ACCOUNT_SID (and its auth token)",
        )
    })?;
    let record = state.tenants.get_tenant(&tenant).await?;
    let profile =
        record.map(|r| r.profile).ok_or_else(|| ApiError::not_found(format!("tenant {tenant} does not exist")))?;
    match calling_back.start(&profile, &sid).await {
        Ok(placed) => Ok((
            StatusCode::ACCEPTED,
            Json(json!({"placed_call_sid": placed.as_str(), "ringing": profile.owner_phone().as_str()})),
        )),
        Err(CallBackError::NotFound(_)) => Err(missing()),
        Err(error @ CallBackError::Done(_)) => {
            Err(ApiError::new(StatusCode::CONFLICT, "callback_done", error.to_string()))
        }
        Err(error @ (CallBackError::NoNumber | CallBackError::NoShopNumber)) => {
            Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "cannot_call_back", error.to_string()))
        }
        Err(CallBackError::Place(PlaceCallError::Unavailable(reason))) => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "provider_unavailable",
            format!("the call could not be placed now, try again: {reason}"),
        )),
        Err(CallBackError::Place(PlaceCallError::Rejected(reason))) => Err(ApiError::new(
            StatusCode::BAD_GATEWAY,
            "provider_refused",
            format!("Twilio refused the call: {reason}"),
        )),
        Err(CallBackError::Store(error)) => Err(error.into()),
    }
}
