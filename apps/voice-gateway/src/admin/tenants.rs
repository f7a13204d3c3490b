//! `/admin/tenants`: create, replace, read, list, disable and enable tenants.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::SecondsFormat;
use frontdesk_core::E164;
use frontdesk_tenant::{
    DocumentError, FieldProblem, ProfileDocument, PutOutcome, TenantProfile, TenantRecord, TenantStatus,
};
use serde_json::{Value, json};

use super::Admin;
use crate::app::AppState;
use crate::error::ApiError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/tenants", get(list_tenants))
        .route("/admin/tenants/{slug}", get(get_tenant).put(put_tenant).delete(disable_tenant))
        .route("/admin/tenants/{slug}/enable", post(enable_tenant))
}

/// The JSON form of a stored tenant.
pub fn record_json(record: &TenantRecord) -> Value {
    json!({
        "slug": record.profile.slug().as_str(),
        "status": record.status.as_str(),
        "kind": record.kind.as_str(),
        "created_at": record.created_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        "updated_at": record.updated_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        "profile": record.profile.to_document().redacted().to_json(),
    })
}

async fn list_tenants(State(state): State<AppState>, admin: Admin) -> Result<Json<Value>, ApiError> {
    admin.require_operator()?;
    let records = state.tenants.list_tenants().await?;
    Ok(Json(json!({"tenants": records.iter().map(record_json).collect::<Vec<_>>()})))
}

async fn get_tenant(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let tenant = admin.tenant(&slug)?;
    match state.tenants.get_tenant(&tenant).await? {
        Some(record) => Ok(Json(record_json(&record))),
        None => Err(ApiError::not_found(format!("tenant {tenant} does not exist"))),
    }
}

/// Create (operator only) or replace a profile. Nothing changes unless the
/// whole document is valid and every number is free.
async fn put_tenant(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let tenant = admin.tenant(&slug)?;
    let mut document = read_json_document(&headers, &body)?;

    let mut problems: Vec<FieldProblem> = Vec::new();
    match &document.slug {
        None => document.slug = Some(tenant.to_string()),
        Some(body_slug) if body_slug != tenant.as_str() => problems.push(FieldProblem {
            field: "slug".to_owned(),
            message: format!("{body_slug:?} does not match the tenant in the URL ({tenant})"),
        }),
        Some(_) => {}
    }
    let existing = state.tenants.get_tenant(&tenant).await?;
    if existing.is_none() {
        admin
            .require_operator()
            .map_err(|_| ApiError::forbidden("only the operator (scope admin) may create tenants"))?;
    }
    // A read-modify-write sends the redaction marker back: keep the stored secret.
    // (With nothing stored, the marker stays and validation refuses it.)
    if document.twilio_auth_token.as_deref() == Some(frontdesk_tenant::REDACTED)
        && let Some(stored) = existing.as_ref().and_then(|r| r.profile.twilio_auth_token())
    {
        document.twilio_auth_token = Some(stored.to_owned());
    }
    if document.notifications.slack_webhook_url.as_deref() == Some(frontdesk_tenant::REDACTED)
        && let Some(stored) = existing.as_ref().and_then(|r| r.profile.notifications().slack_webhook_url())
    {
        document.notifications.slack_webhook_url = Some(stored.expose().to_owned());
    }
    let profile = TenantProfile::parse(&document).map_err(|errors| problems.extend(errors.into_problems()));
    problems.extend(numbers_taken_by_others(&state, &tenant, &document).await?);
    let profile = match profile {
        Ok(profile) if problems.is_empty() => profile,
        _ => return Err(ApiError::validation(&problems)),
    };
    if let Some(existing) = &existing {
        let trusted = existing.profile.trusted_changes(&profile);
        if !trusted.is_empty() && admin.require_operator().is_err() {
            return Err(ApiError::forbidden(format!(
                "only the operator (scope admin) may change {}",
                trusted.join(", ")
            )));
        }
    }

    let outcome = save_profile(&state, &profile).await?;
    if outcome == PutOutcome::Created {
        // The plan history starts with the tenant: billing prorates from here.
        state.flags.set_plan(&tenant, frontdesk_core::Plan::DEFAULT, state.clock.now(), &[]).await?;
    }
    let record =
        state.tenants.get_tenant(&tenant).await?.ok_or_else(|| {
            ApiError::internal(anyhow::anyhow!("tenant {tenant} vanished right after it was written"))
        })?;
    tracing::info!(tenant_id = %tenant, outcome = ?outcome, by = %admin.0.subject, "tenant profile written");
    let before = existing.as_ref().map(|r| r.profile.to_document().redacted().to_json());
    let after = record.profile.to_document().redacted().to_json();
    admin.audit(&state, Some(&tenant), "tenant.put", tenant.as_str(), before, Some(after)).await;
    let status = match outcome {
        PutOutcome::Created => StatusCode::CREATED,
        PutOutcome::Replaced => StatusCode::OK,
    };
    let mut response = (status, Json(record_json(&record))).into_response();
    if outcome == PutOutcome::Created
        && let Ok(location) = HeaderValue::from_str(&format!("/admin/tenants/{tenant}"))
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// Writes a validated profile and lets everything that caches or indexes
/// it know (the number directory, other gateways, the knowledge reindex):
/// the one write behind the admin API and the owner's settings page.
pub(crate) async fn save_profile(state: &AppState, profile: &TenantProfile) -> Result<PutOutcome, ApiError> {
    let tenant = profile.slug();
    let outcome = state.tenants.put_tenant(profile).await?;
    state.directory.forget(tenant);
    super::reindex_after_profile_change(state, tenant).await;
    state.flags.tenant_changed(tenant).await;
    Ok(outcome)
}

/// `phone_numbers[i]: … is already assigned to another tenant`, for every
/// well-formed number in the document that another tenant owns.
async fn numbers_taken_by_others(
    state: &AppState,
    tenant: &frontdesk_core::TenantId,
    document: &ProfileDocument,
) -> Result<Vec<FieldProblem>, ApiError> {
    let parsed: Vec<(usize, E164)> = document
        .phone_numbers
        .iter()
        .enumerate()
        .filter_map(|(i, raw)| E164::parse(raw).ok().map(|n| (i, n)))
        .collect();
    let numbers: Vec<E164> = parsed.iter().map(|(_, n)| n.clone()).collect();
    let taken = state.tenants.numbers_owned_elsewhere(tenant, &numbers).await?;
    Ok(parsed
        .into_iter()
        .filter(|(_, number)| taken.contains(number))
        .map(|(index, number)| FieldProblem {
            field: format!("phone_numbers[{index}]"),
            message: format!("{number} is already assigned to another tenant"),
        })
        .collect())
}

/// `DELETE` disables: the numbers stop being answered, every row is kept.
async fn disable_tenant(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
) -> Result<Json<Value>, ApiError> {
    set_status(state, admin, slug, TenantStatus::Disabled).await
}

async fn enable_tenant(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
) -> Result<Json<Value>, ApiError> {
    set_status(state, admin, slug, TenantStatus::Active).await
}

async fn set_status(
    state: AppState,
    admin: Admin,
    slug: String,
    status: TenantStatus,
) -> Result<Json<Value>, ApiError> {
    let tenant = admin.tenant(&slug)?;
    admin.require_operator()?;
    let before = state.tenants.get_tenant(&tenant).await?.map(|r| json!({"status": r.status.as_str()}));
    let record = state.tenants.set_tenant_status(&tenant, status).await?;
    state.directory.forget(&tenant);
    state.flags.tenant_changed(&tenant).await;
    tracing::info!(tenant_id = %tenant, status = status.as_str(), by = %admin.0.subject, "tenant status changed");
    let after = json!({"status": status.as_str()});
    admin.audit(&state, Some(&tenant), "tenant.status", tenant.as_str(), before, Some(after)).await;
    Ok(Json(record_json(&record)))
}

fn read_json_document(headers: &HeaderMap, body: &Bytes) -> Result<ProfileDocument, ApiError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !content_type.starts_with("application/json") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the profile as JSON with Content-Type: application/json",
        ));
    }
    ProfileDocument::from_json(body).map_err(|error| match error {
        DocumentError::Syntax(message) => ApiError::bad_request("bad_json", message),
        DocumentError::Shape(problems) => ApiError::validation(&problems),
    })
}
