//! The operator's pages under `/ops`: sign-in with e-mail and password, the
//! platform's figures, the shops (suspend and resume), live calls and the
//! audit log.
//!
//! Every page but the sign-in form takes an [`OperatorSession`]: a
//! signed-out browser, or a shop owner's session, is sent to `/ops/login`.
//! The figures are `frontdesk-insights`' definitions over the stores'
//! records ([`facts`]); what the records cannot say yet is stated on the
//! page beside the figure it affects.

mod alerts;
mod audit;
mod calls;
mod facts;
mod overview;
mod shops;

use askama::Template;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use frontdesk_auth::web::{OperatorEmail, WebAuthError};
use serde::Deserialize;

use super::{OperatorSession, client_address, page};
use crate::app::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/ops/login", get(login_page).post(sign_in))
        .route("/ops/logout", post(sign_out))
        .route("/ops/logout-everywhere", post(sign_out_everywhere))
        .route("/ops", get(overview::overview))
        .route("/ops/shops", get(shops::shops))
        .route("/ops/shops/{slug}/suspend", post(shops::suspend))
        .route("/ops/shops/{slug}/resume", post(shops::resume))
        .route("/ops/calls", get(calls::live_calls))
        .route("/ops/audit", get(audit::audit_log))
        .route("/ops/alerts", get(alerts::alerts))
}

/// What every operator page's header shows.
pub(crate) struct Header {
    operator: String,
    page: &'static str,
}

impl Header {
    fn new(operator: &OperatorSession, page: &'static str) -> Header {
        Header { operator: operator.email.as_str().to_owned(), page }
    }
}

#[derive(Template)]
#[template(path = "ops_notice.html")]
struct OpsNotice<'a> {
    heading: &'a str,
    message: &'a str,
}

/// An operator page's error: what went wrong, in words, with its status,
/// and a way back to the overview.
fn ops_notice(status: StatusCode, heading: &str, message: &str) -> Response {
    let mut response = page(OpsNotice { heading, message }.render());
    *response.status_mut() = status;
    response
}

/// A store could not be read: logged here, said plainly on the page.
fn unavailable(error: &anyhow::Error) -> Response {
    tracing::error!(error = format!("{error:#}"), "an operator page could not read its records");
    ops_notice(
        StatusCode::SERVICE_UNAVAILABLE,
        "Unavailable",
        "Sorry, this page could not read its records. Try again in a minute; the server log says why.",
    )
}

#[derive(Template)]
#[template(path = "ops_login.html")]
struct LoginPage {
    email: String,
    error: Option<&'static str>,
}

async fn login_page() -> Response {
    page(LoginPage { email: String::new(), error: None }.render())
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

/// The client's address, for the attempt limit.
struct Client(Option<std::net::IpAddr>);

impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Client, Self::Rejection> {
        Ok(Client(client_address(parts)))
    }
}

/// One reply for an unknown e-mail and a wrong password alike.
const REFUSED: &str = "That e-mail and password do not match an operator.";

async fn sign_in(State(state): State<AppState>, client: Client, Form(form): Form<LoginForm>) -> Response {
    let now = state.clock.now();
    if !state.web.limiter.allow(client.0, now) {
        return ops_notice(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many attempts",
            "Too many sign-in attempts from here; wait a few minutes and try again.",
        );
    }
    let signed = match OperatorEmail::parse(&form.email) {
        Ok(email) => state.web.logins.sign_in_operator(&email, &form.password, now).await,
        Err(error) => Err(error),
    };
    match signed {
        Ok(signed) => {
            tracing::info!(operator = signed.session.principal.key(), "an operator signed in");
            let mut response = Redirect::to("/ops").into_response();
            response.headers_mut().insert(header::SET_COOKIE, state.web.session_cookie(Some(&signed.token)));
            response
        }
        Err(WebAuthError::Refused | WebAuthError::Invalid(_)) => {
            let mut response = page(LoginPage { email: form.email, error: Some(REFUSED) }.render());
            *response.status_mut() = StatusCode::UNAUTHORIZED;
            response
        }
        Err(error) => {
            tracing::error!(%error, "an operator could not sign in");
            ops_notice(
                StatusCode::SERVICE_UNAVAILABLE,
                "Signing in is unavailable",
                "Sorry, signing in is unavailable right now. Try again in a minute.",
            )
        }
    }
}

fn signed_out(state: &AppState) -> Response {
    let mut response = Redirect::to("/ops/login").into_response();
    response.headers_mut().insert(header::SET_COOKIE, state.web.session_cookie(None));
    response
}

async fn sign_out(State(state): State<AppState>, operator: OperatorSession) -> Response {
    if let Err(error) = state.web.logins.sign_out(&operator.token).await {
        tracing::error!(%error, "could not end an operator's web session");
    }
    signed_out(&state)
}

async fn sign_out_everywhere(State(state): State<AppState>, operator: OperatorSession) -> Response {
    if let Err(error) = state.web.logins.sign_out_everywhere(&operator.session.principal).await {
        tracing::error!(%error, "could not end an operator's web sessions");
    }
    signed_out(&state)
}

/// `12.3 %`, or a dash when there is no rate.
fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "—".to_owned(), |rate| format!("{:.1} %", rate * 100.0))
}

/// US micro-dollars as dollars to a hundredth of a cent (`$0.0123`).
fn micro_dollars(micros: f64) -> String {
    format!("${:.4}", micros / 1_000_000.0)
}
