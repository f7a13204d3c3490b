//! `/admin/sandboxes`: copies of a shop for test traffic (`adminctl
//! loadtest`, `simulate`), never billed, their texts never sent, purged with
//! every row when the run is over. Operator only.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use frontdesk_core::{Plan, TenantId};
use frontdesk_flags::FlagSource;
use frontdesk_tenant::{
    ProfileDocument, PurgeOutcome, PutTenantError, TenantKind, TenantProfile, sandbox_number, sandbox_profile,
    sandbox_slug,
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::Admin;
use super::tenants::record_json;
use crate::app::AppState;
use crate::error::ApiError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/sandboxes", get(list_sandboxes).post(create_sandbox))
        .route("/admin/sandboxes/{slug}", delete(purge_sandbox))
}

/// Tries with fresh ids this often before giving up (two draws colliding
/// with existing sandboxes in a row is already unlikely).
const ATTEMPTS: usize = 5;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SandboxRequest {
    /// The shop to copy (its profile, plan and flag overrides); absent:
    /// the demo barbershop on Pro.
    copy_of: Option<String>,
    /// The sandbox's plan, instead of the copied shop's.
    plan: Option<String>,
}

async fn list_sandboxes(State(state): State<AppState>, admin: Admin) -> Result<Json<Value>, ApiError> {
    admin.require_operator()?;
    let records = state.tenants.list_tenants().await?;
    let sandboxes: Vec<Value> =
        records.iter().filter(|record| record.kind == TenantKind::Sandbox).map(record_json).collect();
    Ok(Json(json!({"sandboxes": sandboxes})))
}

/// `POST /admin/sandboxes` (`{"copy_of": "fresh-cuts"}`, both fields
/// optional): 201 with the new tenant, its number in `profile.phone_numbers`.
async fn create_sandbox(State(state): State<AppState>, admin: Admin, body: Bytes) -> Result<Response, ApiError> {
    admin.require_operator()?;
    let request: SandboxRequest = if body.iter().all(u8::is_ascii_whitespace) {
        SandboxRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::bad_request("bad_json", e.to_string()))?
    };
    let plan = request
        .plan
        .as_deref()
        .map(Plan::parse)
        .transpose()
        .map_err(|e| ApiError::bad_request("bad_plan", e.to_string()))?;
    let (source, source_plan, overrides) = match &request.copy_of {
        Some(raw) => {
            let tenant = admin.tenant(raw)?;
            let record = state.tenants.get_tenant(&tenant).await?;
            let record = record.ok_or_else(|| ApiError::not_found(format!("tenant {tenant} does not exist")))?;
            let flags = state.flags.effective(&tenant).await?;
            let overrides: Vec<_> = flags
                .as_ref()
                .map(|f| f.values().iter().filter(|v| v.source == FlagSource::Override).copied().collect())
                .unwrap_or_default();
            (record.profile, flags.map_or(Plan::DEFAULT, |f| f.plan()), overrides)
        }
        None => (demo_shop()?, Plan::Pro, Vec::new()),
    };
    let plan = plan.unwrap_or(source_plan);

    let profile = create(&state, &source).await?;
    let tenant = profile.slug().clone();
    let now = state.clock.now();
    let mut configured = state.flags.set_plan(&tenant, plan, now, &[]).await.map(drop);
    for value in &overrides {
        if configured.is_ok() {
            configured = state.flags.set_flag(&tenant, value.flag, Some(value.enabled), now).await.map(drop);
        }
    }
    if let Err(error) = configured {
        // Half a sandbox is no use to anyone: take it away again.
        if let Err(purge) = state.tenants.purge_sandbox(&tenant).await {
            tracing::error!(tenant_id = %tenant, error = %purge, "could not remove a half-made sandbox");
        }
        return Err(error.into());
    }
    state.directory.forget(&tenant);
    let record =
        state.tenants.get_tenant(&tenant).await?.ok_or_else(|| {
            ApiError::internal(anyhow::anyhow!("sandbox {tenant} vanished right after it was created"))
        })?;
    let copied = request.copy_of.as_deref().unwrap_or("the demo barbershop");
    tracing::info!(tenant_id = %tenant, copy_of = copied, plan = %plan, by = %admin.0.subject, "sandbox created");
    let after = json!({"copy_of": copied, "plan": plan.as_str(), "number": profile.phone_numbers()[0].as_str()});
    admin.audit(&state, Some(&tenant), "sandbox.create", tenant.as_str(), None, Some(after)).await;
    let mut response = (StatusCode::CREATED, Json(record_json(&record))).into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("/admin/tenants/{tenant}")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// Creates the sandbox copy of `source` under a fresh id and number.
async fn create(state: &AppState, source: &TenantProfile) -> Result<TenantProfile, ApiError> {
    for _ in 0..ATTEMPTS {
        let slug = sandbox_slug(random(state));
        let profile = sandbox_profile(source, &slug, sandbox_number(random(state))).map_err(|errors| {
            ApiError::internal(anyhow::anyhow!("the sandbox copy of {} is not valid: {errors}", source.slug()))
        })?;
        match state.tenants.create_sandbox(&profile).await {
            Ok(()) => return Ok(profile),
            Err(PutTenantError::Exists(_) | PutTenantError::PhoneNumbersTaken(_)) => continue,
            Err(PutTenantError::Store(error)) => return Err(error.into()),
        }
    }
    Err(ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "sandbox_ids_exhausted",
        format!("no free sandbox id and number after {ATTEMPTS} tries; purge old sandboxes (adminctl sandbox list)"),
    ))
}

/// 32 random bits (the random tail of a new UUIDv7).
fn random(state: &AppState) -> u32 {
    state.ids.new_id().as_u128() as u32
}

/// The demo barbershop compiled into the binary.
fn demo_shop() -> Result<TenantProfile, ApiError> {
    let (file, text) = crate::demo::DEMO_TENANTS[0];
    let document = ProfileDocument::from_toml(text).map_err(|e| ApiError::internal(anyhow::anyhow!("{file}: {e}")))?;
    TenantProfile::parse(&document).map_err(|e| ApiError::internal(anyhow::anyhow!("{file}: {e}")))
}

/// `DELETE /admin/sandboxes/{slug}`: the sandbox and every row kept for it
/// (the audit log stays). A live tenant gets 409: it is disabled, never purged.
async fn purge_sandbox(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
) -> Result<Json<Value>, ApiError> {
    admin.require_operator()?;
    let tenant: TenantId = admin.tenant(&slug)?;
    match state.tenants.purge_sandbox(&tenant).await? {
        PurgeOutcome::Live => Err(ApiError::new(
            StatusCode::CONFLICT,
            "live_tenant",
            format!(
                "{tenant} is a live shop, not a sandbox: it can be disabled (DELETE /admin/tenants/{tenant}), never purged"
            ),
        )),
        PurgeOutcome::Purged => {
            state.directory.forget(&tenant);
            state.flags.tenant_changed(&tenant).await;
            tracing::info!(tenant_id = %tenant, by = %admin.0.subject, "sandbox purged");
            admin.audit(&state, Some(&tenant), "sandbox.purge", tenant.as_str(), None, None).await;
            Ok(Json(json!({"purged": tenant.as_str()})))
        }
    }
}
