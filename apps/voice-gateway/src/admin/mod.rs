//! The admin API: `/admin/...`, authenticated by bearer JWTs.

mod audit;
mod billing;
mod bookings;
mod callbacks;
mod calls;
mod jobs;
pub(crate) mod knowledge;
mod provisioning;
mod sandboxes;
pub(crate) mod tenants;
mod web_access;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use frontdesk_auth::{AdminClaims, TokenError};
use frontdesk_core::TenantId;

use crate::app::AppState;
use crate::error::ApiError;

pub fn routes() -> Router<AppState> {
    tenants::routes()
        .merge(jobs::routes())
        .merge(bookings::routes())
        .merge(calls::routes())
        .merge(callbacks::routes())
        .merge(billing::routes())
        .merge(audit::routes())
        .merge(sandboxes::routes())
        .merge(knowledge::routes())
        .merge(provisioning::routes())
        .merge(web_access::routes())
}

/// A JSON body, or the extractor's complaint as a JSON error.
pub(super) fn json_body<T>(
    body: Result<axum::Json<T>, axum::extract::rejection::JsonRejection>,
) -> Result<T, ApiError> {
    body.map(|axum::Json(v)| v).map_err(|e| ApiError::new(e.status(), "bad_request", e.body_text()))
}

/// A caller who presented a valid admin token.
pub struct Admin(pub AdminClaims);

/// The token of an `Authorization: Bearer <token>` header, or why not.
pub(crate) fn bearer_token(headers: &axum::http::HeaderMap) -> Result<&str, ApiError> {
    let header = headers
        .get(AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("missing Authorization: Bearer <token> header"))?;
    let value = header.to_str().map_err(|_| ApiError::unauthorized("malformed Authorization header"))?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => Ok(token.trim()),
        _ => Err(ApiError::unauthorized("the Authorization header must be \"Bearer <token>\"")),
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Admin, ApiError> {
        let token = bearer_token(&parts.headers)?;
        match state.tokens.verify(token, state.clock.now()) {
            Ok(claims) => {
                tracing::Span::current().record("admin_sub", claims.subject.as_str());
                Ok(Admin(claims))
            }
            Err(error @ TokenError::UnknownScope(_)) => Err(ApiError::forbidden(error.to_string())),
            Err(error) => Err(ApiError::unauthorized(error.to_string())),
        }
    }
}

impl Admin {
    /// Parses the tenant in the path and checks this caller may touch it.
    /// A tenant-scoped caller gets 403 for any other tenant, existing or not,
    /// so it cannot probe which tenants exist.
    pub fn tenant(&self, raw: &str) -> Result<TenantId, ApiError> {
        let tenant = TenantId::parse(raw).map_err(|e| ApiError::bad_request("invalid_tenant_id", e.to_string()))?;
        tracing::Span::current().record("tenant_id", tenant.as_str());
        if self.0.scope.allows_tenant(&tenant) {
            Ok(tenant)
        } else {
            Err(ApiError::forbidden(format!("scope {} may not access tenant {tenant}", self.0.scope)))
        }
    }

    pub fn require_operator(&self) -> Result<(), ApiError> {
        if self.0.scope.is_admin() {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!("scope {} may not do this; it needs scope admin", self.0.scope)))
        }
    }
}

/// With an embedding model configured, a change to a shop's knowledge
/// brings its reindex job (written with the change, so neither is lost).
pub(super) fn reindex_jobs(state: &AppState, tenant: &TenantId) -> Vec<frontdesk_jobs::NewJob> {
    if state.reindex_knowledge { vec![frontdesk_routing::reindex_job(tenant)] } else { Vec::new() }
}

/// A profile change with an embedding model configured: the reindex is
/// enqueued after the write (`TenantStore::put_tenant` takes no jobs). A
/// lost enqueue is logged; the next change, or the words-only ranking
/// meanwhile, covers it.
pub(super) async fn reindex_after_profile_change(state: &AppState, tenant: &TenantId) {
    for job in reindex_jobs(state, tenant) {
        if let Err(error) = state.jobs.enqueue(job).await {
            tracing::error!(%error, tenant_id = %tenant, "could not enqueue the knowledge reindex");
        }
    }
}
