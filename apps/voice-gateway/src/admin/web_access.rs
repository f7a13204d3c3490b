//! `/admin/operators` (people who sign in to the operator pages) and
//! `/admin/tenants/{slug}/owner-login-link` (a shop owner's sign-in link,
//! for local use when texts go nowhere). Operator scope only.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use frontdesk_auth::web::{OperatorEmail, WebAuthError};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Admin, json_body};
use crate::app::AppState;
use crate::error::ApiError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/operators", post(put_operator))
        .route("/admin/tenants/{slug}/owner-login-link", post(owner_login_link))
}

fn web_error(error: WebAuthError) -> ApiError {
    match error {
        WebAuthError::Invalid(message) => ApiError::bad_request("invalid", message),
        WebAuthError::TooMany => ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many", error.to_string()),
        other => {
            tracing::error!(error = %other, "web sign-in failed");
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "sign-in is unavailable; see the server log")
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OperatorBody {
    email: String,
    password: String,
}

/// Adds an operator, or sets a new password for one (at least 12
/// characters). The password is never logged nor audited.
async fn put_operator(
    State(state): State<AppState>,
    admin: Admin,
    body: Result<Json<OperatorBody>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    admin.require_operator()?;
    let body = json_body(body)?;
    let email = OperatorEmail::parse(&body.email).map_err(web_error)?;
    state.web.logins.add_operator(&email, &body.password, state.clock.now()).await.map_err(web_error)?;
    admin.audit(&state, None, "operator.put", email.as_str(), None, Some(json!({"email": email.as_str()}))).await;
    Ok((StatusCode::CREATED, Json(json!({"email": email.as_str()}))))
}

/// A sign-in link and code for the shop's owner, returned instead of
/// texted (a developer's machine, a support call).
async fn owner_login_link(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
) -> Result<Json<Value>, ApiError> {
    admin.require_operator()?;
    let tenant = admin.tenant(&slug)?;
    if state.tenants.get_tenant(&tenant).await?.is_none() {
        return Err(ApiError::not_found(format!("no tenant {tenant}")));
    }
    let login = state.web.logins.start_owner_login(&tenant, state.clock.now()).await.map_err(web_error)?;
    admin.audit(&state, Some(&tenant), "owner.login_link", tenant.as_str(), None, None).await;
    Ok(Json(json!({
        "link": format!("{}/app/login/link?token={}", state.web.public_base_url, login.link.as_str()),
        "code": login.code,
        "expires_at": login.expires_at.to_rfc3339(),
    })))
}
