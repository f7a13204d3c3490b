//! `POST /twilio/porting`: Twilio's porting events (port-in requests and
//! their numbers), each applied to the port-in record it names.
//!
//! Authentication: Twilio's documentation of the porting webhooks (public
//! beta) lists the events but says nothing of how they are signed. They
//! are JSON, so this route checks the standard `X-Twilio-Signature` of a
//! JSON webhook with the platform's auth token: the URL Twilio requested
//! (rebuilt from `FRONTDESK_PUBLIC_BASE_URL`) carries `bodySHA256`, the hash
//! of the raw body, and the signature covers that URL. A request that fails
//! the check changes nothing (403). If Twilio turns out to sign these events
//! otherwise, every event is refused and logged, never applied unsigned.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use frontdesk_core::E164;
use frontdesk_provisioning::{PORT_EVENTS_PATH, PortEventOutcome, PortInSid, PortingEvent, ProvisioningError};
use frontdesk_twilio::PortingNotification;
use serde_json::json;

use crate::app::AppState;
use crate::error::ApiError;

pub fn routes() -> Router<AppState> {
    Router::new().route(PORT_EVENTS_PATH, post(port_event))
}

async fn port_event(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Some(telephony) = &state.twilio else { return Ok(StatusCode::NOT_FOUND.into_response()) };
    let signature = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::new(StatusCode::FORBIDDEN, "missing_signature", "missing X-Twilio-Signature"))?;
    let path_and_query = uri.path_and_query().map(|p| p.as_str()).unwrap_or(uri.path());
    let url = format!("{}{path_and_query}", telephony.public_base_url);
    if !telephony.validator.validate_with_body(&url, &body, signature) {
        tracing::warn!(%url, "rejected a porting event: its signature (over the URL with bodySHA256) does not match");
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "invalid_signature",
            "X-Twilio-Signature does not match this URL and body; check the Twilio auth token and FRONTDESK_PUBLIC_BASE_URL",
        ));
    }
    let notification =
        PortingNotification::parse(&body).map_err(|problem| ApiError::bad_request("bad_event", problem))?;
    let event = PortingEvent {
        request: PortInSid::parse(&notification.port_in_request_sid)
            .map_err(|e| ApiError::bad_request("bad_event", e.to_string()))?,
        number: notification
            .phone_number
            .as_deref()
            .map(E164::parse)
            .transpose()
            .map_err(|e| ApiError::bad_request("bad_event", e.to_string()))?,
        status: notification.status,
        reason: notification.reason,
    };
    let outcome = match state.provisioning.apply_port_event(&event).await {
        Ok(outcome) => outcome,
        Err(ProvisioningError::Invalid(problem)) => return Err(ApiError::bad_request("bad_event", problem)),
        Err(error) => return Err(error.into()),
    };
    let body = match &outcome {
        PortEventOutcome::Unknown => json!({"applied": false, "reason": "no port-in request of ours has this id"}),
        PortEventOutcome::Stale(record) => {
            json!({"applied": false, "reason": "older than what is known", "status": record.status.as_str()})
        }
        PortEventOutcome::Applied(record) => {
            // A completed port attaches the number: every gateway forgets the tenant.
            state.directory.forget(&record.tenant);
            state.flags.tenant_changed(&record.tenant).await;
            tracing::info!(tenant_id = %record.tenant, port_in = %record.sid, status = record.status.as_str(), "porting event applied");
            json!({"applied": true, "status": record.status.as_str(), "detail": record.detail})
        }
    };
    Ok(axum::Json(body).into_response())
}
