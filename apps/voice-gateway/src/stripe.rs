//! `POST /stripe/webhook`: Stripe's billing events.
//!
//! The `Stripe-Signature` is checked over the raw body exactly as Stripe
//! signs it (never a re-serialised one); anything unsigned, tampered with or
//! older than the tolerance gets 400 and changes nothing. Each event id is
//! applied once: Stripe resends, and a resent event is acknowledged with 200.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use frontdesk_billing::{AccountChange, account_change_alerts};
use frontdesk_stripe::StripeEvent;
use serde_json::json;

use crate::app::AppState;
use crate::error::ApiError;

/// Stripe's events can be larger than an admin request.
const STRIPE_BODY_LIMIT: usize = 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new().route("/stripe/webhook", post(webhook).layer(DefaultBodyLimit::max(STRIPE_BODY_LIMIT)))
}

/// What an event means for the tenant's account, if anything.
fn account_change(event: &StripeEvent, now: chrono::DateTime<chrono::Utc>) -> Option<AccountChange> {
    match event.event_type.as_str() {
        "invoice.paid" => Some(AccountChange::Paid),
        "invoice.payment_failed" => Some(AccountChange::PaymentFailed { at: now }),
        "customer.subscription.created" | "customer.subscription.updated" => Some(AccountChange::Subscription {
            id: event.object_id()?.to_owned(),
            status: event.subscription_status().unwrap_or("unknown").to_owned(),
        }),
        "customer.subscription.deleted" => {
            Some(AccountChange::Subscription { id: event.object_id()?.to_owned(), status: "canceled".to_owned() })
        }
        _ => None,
    }
}

async fn webhook(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::bad_request("invalid_signature", "missing Stripe-Signature header"))?;
    if let Err(error) = state.stripe_webhook.verify(signature, &body, now.timestamp()) {
        tracing::warn!(%error, "rejected a Stripe webhook");
        return Err(ApiError::bad_request("invalid_signature", error.to_string()));
    }
    let event = StripeEvent::parse(&body).map_err(|e| ApiError::bad_request("bad_event", e.to_string()))?;
    let change = account_change(&event, now);
    let tenant = match event.customer_id() {
        Some(customer) => state.billing.tenant_by_stripe_customer(customer).await?,
        None => None,
    };
    if change.is_some() && tenant.is_none() {
        tracing::warn!(event_id = %event.id, event_type = %event.event_type, customer = ?event.customer_id(), "Stripe event for a customer no tenant has; recorded, nothing changed");
    }
    let target = tenant.as_ref().zip(change.as_ref());
    // The operators hear about a failed payment, with the event applied.
    let alerts = target.map(|(tenant, change)| account_change_alerts(tenant, change, now)).unwrap_or_default();
    let applied = state.billing.apply_provider_event(&event.id, &event.event_type, target, now, &alerts).await?;
    if let Some((tenant, change)) = target
        && applied
    {
        tracing::info!(tenant_id = %tenant, event_id = %event.id, event_type = %event.event_type, ?change, "billing event applied");
    }
    Ok((StatusCode::OK, Json(json!({"received": true, "duplicate": !applied}))).into_response())
}
