//! A shop's numbers, port-ins and texting registration, and suspending or
//! resuming its numbers: `/admin/numbers/available`,
//! `/admin/tenants/{slug}/{numbers,port-ins,registration,provisioning,suspend,resume}`.
//! Every change is the operator's (scope admin) and is audited; the use
//! cases are `frontdesk-provisioning`'s.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{NaiveDate, SecondsFormat};
use frontdesk_core::{E164, TenantId};
use frontdesk_provisioning::{
    BrandDetails, BundleSid, Clearance, NumberOrder, NumberOutcome, NumberSearch, OwnedNumber, PortAddress, PortIn,
    PortInApplication, ProvisioningStatus, TextingRegistration, forwarding_instructions, waiting_texts,
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::Admin;
use crate::app::AppState;
use crate::error::ApiError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/numbers/available", get(available_numbers))
        .route("/admin/tenants/{slug}/numbers", get(list_numbers).post(buy_number))
        .route("/admin/tenants/{slug}/numbers/assign", post(assign_number))
        .route("/admin/tenants/{slug}/numbers/{number}/release", post(release_number))
        .route("/admin/tenants/{slug}/port-ins", get(list_port_ins).post(start_port_in))
        .route("/admin/tenants/{slug}/port-ins/refresh", post(refresh_port_ins))
        .route("/admin/tenants/{slug}/registration", get(registration).post(start_registration))
        .route("/admin/tenants/{slug}/registration/refresh", post(refresh_registration))
        .route("/admin/tenants/{slug}/provisioning", get(provisioning_status))
        .route("/admin/tenants/{slug}/suspend", post(suspend))
        .route("/admin/tenants/{slug}/resume", post(resume))
}

fn at(time: chrono::DateTime<chrono::Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn order_json(order: &NumberOrder) -> Value {
    json!({
        "number": order.number.as_str(),
        "state": order.state.as_str(),
        "sid": order.sid.as_ref().map(|s| s.as_str()),
        "purchase_attempts": order.attempts,
        "last_error": order.last_error,
        "created_at": at(order.created_at),
        "updated_at": at(order.updated_at),
    })
}

fn owned_json(owned: &OwnedNumber) -> Value {
    json!({
        "sid": owned.sid.as_str(),
        "number": owned.number.as_str(),
        "label": owned.label,
        "voice_url": owned.voice_url,
        "sms_url": owned.sms_url,
        "status_callback": owned.status_callback,
        "voice_fallback_url": owned.voice_fallback_url,
        "capabilities": {"voice": owned.capabilities.voice, "sms": owned.capabilities.sms, "mms": owned.capabilities.mms},
    })
}

fn outcome_json(outcome: &NumberOutcome) -> Value {
    json!({
        "order": order_json(&outcome.order),
        "provider": outcome.owned.as_ref().map(owned_json),
        "purchases_sent": outcome.purchases_sent,
    })
}

fn port_in_json(port_in: &PortIn) -> Value {
    json!({
        "sid": port_in.sid.as_str(),
        "number": port_in.number.as_str(),
        "status": port_in.status.as_str(),
        "status_label": port_in.status.label(),
        "number_status": port_in.number_status.map(|s| s.as_str()),
        "signature_url": port_in.signature_url,
        "detail": port_in.detail,
        "forwarding_to": port_in.forwarding_to.as_ref().map(E164::as_str),
        "created_at": at(port_in.created_at),
        "updated_at": at(port_in.updated_at),
    })
}

fn registration_json(registration: &TextingRegistration) -> Value {
    json!({
        "messaging_service": registration.messaging_service.as_ref().map(|s| s.as_str()),
        "brand": registration.brand.as_ref().map(|s| s.as_str()),
        "brand_status": registration.brand_status.map(|s| s.as_str()),
        "campaign": registration.campaign.as_ref().map(|s| s.as_str()),
        "campaign_status": registration.campaign_status.map(|s| s.as_str()),
        "detail": registration.detail,
        "created_at": at(registration.created_at),
        "updated_at": at(registration.updated_at),
    })
}

fn clearance_json(clearance: &Clearance) -> Value {
    match clearance {
        Clearance::Cleared => json!({"cleared": true, "reason": null}),
        Clearance::Waiting(reason) => json!({"cleared": false, "reason": reason}),
    }
}

/// A JSON body, with a 400 naming what is wrong.
fn body<T: serde::de::DeserializeOwned>(raw: &[u8], example: &str) -> Result<T, ApiError> {
    serde_json::from_slice(raw).map_err(|e| ApiError::bad_request("bad_json", format!("{e}; expected {example}")))
}

fn number(raw: &str, field: &str) -> Result<E164, ApiError> {
    E164::parse(raw).map_err(|e| ApiError::bad_request("invalid_number", format!("{field}: {e}")))
}

/// The tenant changed (a number attached or detached): every gateway's
/// directory and cache forget it.
async fn tenant_changed(state: &AppState, tenant: &TenantId) {
    state.directory.forget(tenant);
    state.flags.tenant_changed(tenant).await;
}

#[derive(Deserialize)]
struct SearchQuery {
    area_code: Option<String>,
    contains: Option<String>,
    limit: Option<u32>,
}

/// `GET /admin/numbers/available?area_code=718&contains=55&limit=10`.
async fn available_numbers(
    State(state): State<AppState>,
    admin: Admin,
    Query(query): Query<SearchQuery>,
) -> Result<Json<Value>, ApiError> {
    admin.require_operator()?;
    let search = NumberSearch::parse(query.area_code.as_deref(), query.contains.as_deref(), query.limit)
        .map_err(|problem| ApiError::bad_request("invalid_search", problem))?;
    let found = state.provisioning.search(&search).await?;
    Ok(Json(json!({"numbers": found.iter().map(|n| json!({
        "number": n.number.as_str(),
        "friendly_name": n.friendly_name,
        "locality": n.locality,
        "region": n.region,
        "postal_code": n.postal_code,
        "capabilities": {"voice": n.capabilities.voice, "sms": n.capabilities.sms, "mms": n.capabilities.mms},
        "address_required": n.address_required,
    })).collect::<Vec<_>>()})))
}

/// `GET /admin/tenants/{slug}/numbers`: the numbers the tenant was given.
async fn list_numbers(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let tenant = admin.tenant(&slug)?;
    let status = state.provisioning.status(&tenant).await?;
    Ok(Json(json!({"numbers": status.numbers.iter().map(order_json).collect::<Vec<_>>()})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BuyRequest {
    /// This number (bought, or set up if the account holds it already).
    number: Option<String>,
    /// Or the first number for sale matching these.
    area_code: Option<String>,
    contains: Option<String>,
}

/// `POST /admin/tenants/{slug}/numbers` `{"number": "+17185550123"}` or
/// `{"area_code": "718"}`: 201 with the order, Twilio's view of the number
/// and how many purchase requests this call sent. A failed purchase may
/// be retried: it never buys twice.
async fn buy_number(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
    raw: Bytes,
) -> Result<Response, ApiError> {
    let tenant = admin.tenant(&slug)?;
    admin.require_operator()?;
    let request: BuyRequest = body(&raw, r#"{"number": "+17185550123"} or {"area_code": "718"}"#)?;
    let outcome = match (&request.number, &request.area_code, &request.contains) {
        (Some(raw), None, None) => state.provisioning.buy(&tenant, &number(raw, "number")?).await,
        (None, area_code, contains) => {
            let search = NumberSearch::parse(area_code.as_deref(), contains.as_deref(), None)
                .map_err(|problem| ApiError::bad_request("invalid_search", problem))?;
            state.provisioning.buy_matching(&tenant, &search).await
        }
        (Some(_), _, _) => {
            return Err(ApiError::bad_request("bad_json", "give either number, or area_code and/or contains"));
        }
    };
    // A partial step (chosen, bought) may have changed the profile too.
    tenant_changed(&state, &tenant).await;
    let outcome = outcome?;
    let after = outcome_json(&outcome);
    admin.audit(&state, Some(&tenant), "number.buy", outcome.order.number.as_str(), None, Some(after.clone())).await;
    tracing::info!(tenant_id = %tenant, number = %outcome.order.number, purchases = outcome.purchases_sent, by = %admin.0.subject, "number bought and attached");
    Ok((StatusCode::CREATED, Json(after)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NumberRequest {
    number: String,
}

/// `POST /admin/tenants/{slug}/numbers/assign` `{"number": "+1…"}`: a
/// number the account already holds, set up and attached; never bought.
async fn assign_number(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
    raw: Bytes,
) -> Result<Json<Value>, ApiError> {
    let tenant = admin.tenant(&slug)?;
    admin.require_operator()?;
    let request: NumberRequest = body(&raw, r#"{"number": "+17185550123"}"#)?;
    let outcome = state.provisioning.assign(&tenant, &number(&request.number, "number")?).await;
    tenant_changed(&state, &tenant).await;
    let outcome = outcome?;
    let after = outcome_json(&outcome);
    admin.audit(&state, Some(&tenant), "number.assign", outcome.order.number.as_str(), None, Some(after.clone())).await;
    Ok(Json(after))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReleaseRequest {
    /// The number again, typed: releasing cannot be undone.
    confirm: String,
}

/// `POST /admin/tenants/{slug}/numbers/{number}/release` `{"confirm": "+1…"}`.
async fn release_number(
    State(state): State<AppState>,
    admin: Admin,
    Path((slug, raw_number)): Path<(String, String)>,
    raw: Bytes,
) -> Result<Json<Value>, ApiError> {
    let tenant = admin.tenant(&slug)?;
    admin.require_operator()?;
    let released = number(&raw_number, "the number in the path")?;
    let request: ReleaseRequest = body(&raw, &format!(r#"{{"confirm": "{released}"}}"#))?;
    let outcome = state.provisioning.release(&tenant, &released, &request.confirm).await;
    tenant_changed(&state, &tenant).await;
    let outcome = outcome?;
    let after = outcome_json(&outcome);
    admin
        .audit(
            &state,
            Some(&tenant),
            "number.release",
            released.as_str(),
            Some(json!({"number": released.as_str()})),
            Some(after.clone()),
        )
        .await;
    tracing::warn!(tenant_id = %tenant, number = %released, by = %admin.0.subject, "number released");
    Ok(Json(after))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddressRequest {
    street: String,
    city: String,
    state: String,
    zip: String,
    country: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PortInRequest {
    number: String,
    customer_name: String,
    authorized_representative: String,
    authorized_representative_email: String,
    customer_type: Option<String>,
    account_number: Option<String>,
    pin: Option<String>,
    address: Option<AddressRequest>,
    #[serde(default)]
    documents: Vec<String>,
    /// `YYYY-MM-DD`.
    target_date: Option<String>,
    /// The bought number the line forwards to meanwhile (for the instructions).
    forward_to: Option<String>,
}

/// `POST /admin/tenants/{slug}/port-ins`: files the port-in of the shop's
/// own number; 201 with the record and the forwarding instructions.
async fn start_port_in(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
    raw: Bytes,
) -> Result<Response, ApiError> {
    let tenant = admin.tenant(&slug)?;
    admin.require_operator()?;
    let request: PortInRequest = body(
        &raw,
        r#"{"number": "+1…", "customer_name": "…", "authorized_representative": "…", "authorized_representative_email": "…", "documents": ["RD…"]}"#,
    )?;
    let forward_to = request.forward_to.as_deref().map(|raw| number(raw, "forward_to")).transpose()?;
    let target_date = request
        .target_date
        .as_deref()
        .map(|raw| {
            NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .map_err(|_| ApiError::bad_request("invalid_date", format!("target_date {raw:?} is not YYYY-MM-DD")))
        })
        .transpose()?;
    let application = PortInApplication {
        number: number(&request.number, "number")?,
        customer_name: request.customer_name,
        authorized_representative: request.authorized_representative,
        authorized_representative_email: request.authorized_representative_email,
        customer_type: request.customer_type,
        account_number: request.account_number,
        pin: request.pin,
        address: request.address.map(|a| PortAddress {
            street: a.street,
            city: a.city,
            state: a.state,
            zip: a.zip,
            country: a.country.unwrap_or_else(|| "US".to_owned()),
        }),
        documents: request.documents,
        target_date,
    };
    let port_in = state.provisioning.start_port_in(&tenant, &application, forward_to.clone()).await?;
    let instructions = forward_to.as_ref().map(|to| forwarding_instructions(&port_in.number, to));
    let after = json!({"port_in": port_in_json(&port_in), "forwarding_instructions": instructions});
    admin.audit(&state, Some(&tenant), "port_in.start", port_in.number.as_str(), None, Some(after.clone())).await;
    Ok((StatusCode::CREATED, Json(after)).into_response())
}

/// `GET /admin/tenants/{slug}/port-ins`.
async fn list_port_ins(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let tenant = admin.tenant(&slug)?;
    let status = state.provisioning.status(&tenant).await?;
    Ok(Json(json!({"port_ins": status.port_ins.iter().map(port_in_json).collect::<Vec<_>>()})))
}

/// `POST /admin/tenants/{slug}/port-ins/refresh`: asks Twilio where the
/// shop's open port-ins stand and applies it as the events would (a
/// completed port attaches the number); the worker does it hourly.
async fn refresh_port_ins(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let tenant = admin.tenant(&slug)?;
    admin.require_operator()?;
    let refreshed = state.provisioning.refresh_port_ins(Some(&tenant)).await;
    tenant_changed(&state, &tenant).await;
    let refreshed = refreshed?;
    Ok(Json(json!({"port_ins": refreshed.iter().map(port_in_json).collect::<Vec<_>>()})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistrationRequest {
    customer_profile: String,
    a2p_profile: String,
    brand_type: Option<String>,
    #[serde(default)]
    mock: bool,
}

/// `POST /admin/tenants/{slug}/registration` `{"customer_profile": "BU…",
/// "a2p_profile": "BU…"}`: the sender pool, the brand, and (once the brand
/// is approved) the campaign.
async fn start_registration(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
    raw: Bytes,
) -> Result<Json<Value>, ApiError> {
    let tenant = admin.tenant(&slug)?;
    admin.require_operator()?;
    let request: RegistrationRequest = body(&raw, r#"{"customer_profile": "BU…", "a2p_profile": "BU…"}"#)?;
    let bundle = |raw: &str, field: &str| {
        BundleSid::parse(raw).map_err(|e| ApiError::bad_request("invalid_bundle", format!("{field}: {e}")))
    };
    let brand = BrandDetails {
        customer_profile: bundle(&request.customer_profile, "customer_profile")?,
        a2p_profile: bundle(&request.a2p_profile, "a2p_profile")?,
        brand_type: request.brand_type,
        mock: request.mock,
    };
    let registration = state.provisioning.start_registration(&tenant, &brand).await?;
    let after = registration_json(&registration);
    admin.audit(&state, Some(&tenant), "registration.start", tenant.as_str(), None, Some(after.clone())).await;
    Ok(Json(json!({"registration": after, "texting": clearance_json(&registration.clearance())})))
}

/// `GET /admin/tenants/{slug}/registration`: the records and whether texts go out.
async fn registration(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let tenant = admin.tenant(&slug)?;
    let status = state.provisioning.status(&tenant).await?;
    Ok(Json(json!({
        "registration": status.registration.as_ref().map(registration_json),
        "texting": clearance_json(&status.texting),
    })))
}

/// `POST /admin/tenants/{slug}/registration/refresh`: asks the provider now.
async fn refresh_registration(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let tenant = admin.tenant(&slug)?;
    admin.require_operator()?;
    let registration = state.provisioning.refresh_registration(&tenant).await?;
    Ok(Json(json!({
        "registration": registration_json(&registration),
        "texting": clearance_json(&registration.clearance()),
    })))
}

/// `GET /admin/tenants/{slug}/provisioning`: what is done and what waits
/// (numbers, port-ins, texting registration and the texts waiting for it,
/// plan, the Stripe customer, whether calls are answered by the AI).
async fn provisioning_status(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let tenant = admin.tenant(&slug)?;
    let record = state
        .tenants
        .get_tenant(&tenant)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("tenant {tenant} does not exist")))?;
    let ProvisioningStatus { numbers, port_ins, registration, texting } = state.provisioning.status(&tenant).await?;
    let messages = state.messages.list_messages(&tenant, 500).await?;
    let waiting: Vec<Value> = waiting_texts(&messages)
        .map(|m| json!({"id": m.id, "to": m.to.last_four(), "reason": m.error, "created_at": at(m.created_at)}))
        .collect();
    let account = state.billing.billing_account(&tenant).await?;
    let flags = state.flags.effective(&tenant).await?;
    let zone = record.profile.timezone();
    let answering = state.metering.answering(&tenant, zone, state.clock.now()).await?;
    Ok(Json(json!({
        "tenant": tenant.as_str(),
        "status": record.status.as_str(),
        "kind": record.kind.as_str(),
        "phone_numbers": record.profile.phone_numbers().iter().map(E164::as_str).collect::<Vec<_>>(),
        "numbers": numbers.iter().map(order_json).collect::<Vec<_>>(),
        "port_ins": port_ins.iter().map(port_in_json).collect::<Vec<_>>(),
        "registration": registration.as_ref().map(registration_json),
        "texting": clearance_json(&texting),
        "texts_waiting": waiting,
        "plan": flags.map(|f| f.plan().as_str()),
        "payments": state.plans.sets_up_at_provider(),
        "stripe_customer": account.stripe_customer_id,
        "stripe_subscription": account.stripe_subscription_id,
        "suspended": account.minute_cap == Some(0),
        "answering": match answering {
            frontdesk_billing::AnsweringMode::Normal => "ai",
            frontdesk_billing::AnsweringMode::Suspended(_) => "forward_to_owner",
        },
    })))
}

/// `POST /admin/tenants/{slug}/suspend`: the shop's calls go to the owner's
/// phone with no AI (a minute cap of 0, as the operator page does).
/// Idempotent.
async fn suspend(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let tenant = admin.tenant(&slug)?;
    admin.require_operator()?;
    let previous = state.metering.set_minute_cap(&tenant, Some(0)).await?;
    if previous != Some(0) {
        admin
            .audit(
                &state,
                Some(&tenant),
                "shop.suspend",
                "minutes",
                Some(json!({"minutes": previous})),
                Some(json!({"minutes": 0})),
            )
            .await;
        tracing::info!(tenant_id = %tenant, by = %admin.0.subject, "shop suspended: calls go to the owner");
    }
    Ok(Json(json!({"tenant": tenant.as_str(), "suspended": true, "answering": "forward_to_owner"})))
}

/// `POST /admin/tenants/{slug}/resume`: the cap the shop had before it was
/// suspended comes back (or the plan's included minutes). Idempotent.
async fn resume(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let tenant = admin.tenant(&slug)?;
    admin.require_operator()?;
    let account = state.billing.billing_account(&tenant).await?;
    if account.minute_cap == Some(0) {
        let restored = cap_before_suspension(&state, &tenant).await?;
        state.metering.set_minute_cap(&tenant, restored).await?;
        admin
            .audit(
                &state,
                Some(&tenant),
                "shop.resume",
                "minutes",
                Some(json!({"minutes": 0})),
                Some(json!({"minutes": restored})),
            )
            .await;
        tracing::info!(tenant_id = %tenant, by = %admin.0.subject, "shop resumed: the receptionist answers again");
    }
    let answering = state.metering.answering(&tenant, zone_of(&state, &tenant).await?, state.clock.now()).await?;
    let answering = match answering {
        frontdesk_billing::AnsweringMode::Normal => "ai",
        frontdesk_billing::AnsweringMode::Suspended(_) => "forward_to_owner",
    };
    Ok(Json(json!({"tenant": tenant.as_str(), "suspended": false, "answering": answering})))
}

async fn zone_of(state: &AppState, tenant: &TenantId) -> Result<chrono_tz::Tz, ApiError> {
    let record = state
        .tenants
        .get_tenant(tenant)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("tenant {tenant} does not exist")))?;
    Ok(record.profile.timezone())
}

/// The minute cap the shop had before the latest change that set it to 0
/// (a suspension, here or on the operator page, or the admin API's
/// `cap.set`); `None`, the plan's included minutes, when the log does not
/// say. The operator page reads the audit log the same way.
async fn cap_before_suspension(state: &AppState, tenant: &TenantId) -> Result<Option<i64>, ApiError> {
    let query = frontdesk_audit::AuditQuery {
        tenant: Some(tenant.clone()),
        from: None,
        to: None,
        limit: 500,
        newest_first: true,
    };
    let entries = state.audit.audit_entries(&query).await?;
    let minutes = |value: &Option<Value>| value.as_ref().and_then(|value| value.get("minutes")).and_then(Value::as_i64);
    Ok(entries
        .iter()
        .find(|entry| matches!(entry.action.as_str(), "shop.suspend" | "cap.set") && minutes(&entry.after) == Some(0))
        .and_then(|entry| minutes(&entry.before))
        .filter(|cap| *cap > 0))
}
