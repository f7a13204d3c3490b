//! The web pages: shop owners under `/app`, operators under `/ops`.
//!
//! Server-rendered HTML (askama templates, checked at compile time), one
//! stylesheet served from the binary, no JavaScript: every action is a
//! form POST answered with a redirect. Every page carries a strict
//! Content-Security-Policy; every POST passes the cross-site check of
//! tower-http's `CsrfLayer` (`Sec-Fetch-Site` / `Origin`).
//!
//! Sign-in and sessions are `frontdesk_auth::web`'s; here the session
//! rides in a cookie (`__Host-fd_session`, HttpOnly, Secure, SameSite=Lax;
//! `fd_session` without Secure only when the public URL is plain `http://`
//! on localhost, 127.0.0.1 or [::1], a developer's machine). An owner
//! session sees its own shop only: [`OwnerSession`] carries the tenant, and
//! no owner route takes a tenant from the request.

mod ops;
mod owner;
mod owner_bookings;
mod owner_callbacks;
mod owner_calls;
mod owner_facts;
mod owner_insights;
mod owner_plan;
mod owner_questions;
mod owner_settings;
mod texting;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use frontdesk_auth::web::{Principal, SecretToken, WebLogins, WebSession};
use frontdesk_core::TenantId;

use crate::app::AppState;

/// What the pages need beyond the API's state.
#[derive(Clone)]
pub struct Web {
    pub logins: Arc<WebLogins>,
    /// Texts the owner's sign-in code.
    pub messaging: Arc<dyn frontdesk_messaging::Messaging>,
    /// Texts go nowhere (the embedded outbox): the sign-in text is kept in
    /// full in the shop's message log, the only place it can be read.
    pub texts_go_nowhere: bool,
    /// Cookies are `Secure` and `__Host-` prefixed unless this is plain
    /// `http://` on the local machine.
    pub public_base_url: String,
    /// Sign-in attempts per client address.
    pub limiter: Arc<AttemptLimiter>,
}

impl Web {
    pub fn new(
        logins: Arc<WebLogins>,
        messaging: Arc<dyn frontdesk_messaging::Messaging>,
        texts_go_nowhere: bool,
        public_base_url: String,
    ) -> Web {
        Web {
            logins,
            messaging,
            texts_go_nowhere,
            public_base_url,
            limiter: Arc::new(AttemptLimiter::new(SIGN_IN_ATTEMPTS, chrono::Duration::minutes(15))),
        }
    }

    /// The cookie is `Secure` (and `__Host-` prefixed, which requires it)
    /// everywhere but a developer's machine: a plain `http://` public URL
    /// on `localhost`, `127.0.0.1` or `[::1]`. Plain http on any other host
    /// still gets a `Secure` cookie, which a browser never sends back over
    /// http: sign-in there fails rather than sending the session in clear.
    fn secure(&self) -> bool {
        !plain_localhost(&self.public_base_url)
    }

    fn cookie_name(&self) -> &'static str {
        if self.secure() { "__Host-fd_session" } else { "fd_session" }
    }

    /// The `Set-Cookie` value that keeps `token` (or, `None`, removes it).
    pub(crate) fn session_cookie(&self, token: Option<&SecretToken>) -> HeaderValue {
        let secure = if self.secure() { "; Secure" } else { "" };
        let value = match token {
            Some(token) => format!(
                "{}={}; Path=/; HttpOnly; SameSite=Lax{secure}; Max-Age={}",
                self.cookie_name(),
                token.as_str(),
                frontdesk_auth::web::SESSION_LIFETIME.num_seconds()
            ),
            None => format!("{}=; Path=/; HttpOnly; SameSite=Lax{secure}; Max-Age=0", self.cookie_name()),
        };
        HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("fd_session=; Max-Age=0"))
    }

    /// The session cookie's token in `headers`, if any.
    fn cookie_token(&self, headers: &HeaderMap) -> Option<SecretToken> {
        let name = self.cookie_name();
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(key, _)| *key == name)
            .and_then(|(_, value)| SecretToken::parse(value))
    }
}

/// Whether `base_url` is plain `http://` on the local machine (any port).
fn plain_localhost(base_url: &str) -> bool {
    let Ok(url) = url::Url::parse(base_url) else { return false };
    url.scheme() == "http"
        && match url.host() {
            Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip == std::net::Ipv4Addr::LOCALHOST,
            Some(url::Host::Ipv6(ip)) => ip == std::net::Ipv6Addr::LOCALHOST,
            None => false,
        }
}

/// Sign-in attempts (POSTs) one client address may make per window.
const SIGN_IN_ATTEMPTS: u32 = 20;

/// A fixed-window counter per client address, in process.
pub struct AttemptLimiter {
    limit: u32,
    window: chrono::Duration,
    seen: Mutex<HashMap<IpAddr, (DateTime<Utc>, u32)>>,
}

impl AttemptLimiter {
    pub fn new(limit: u32, window: chrono::Duration) -> AttemptLimiter {
        AttemptLimiter { limit, window, seen: Mutex::new(HashMap::new()) }
    }

    /// Counts an attempt; `false` once over the limit for this window.
    pub fn allow(&self, client: Option<IpAddr>, now: DateTime<Utc>) -> bool {
        let Some(client) = client else { return true };
        let mut seen = self.seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if seen.len() > 100_000 {
            let window = self.window;
            seen.retain(|_, (start, _)| *start + window > now);
        }
        let entry = seen.entry(client).or_insert((now, 0));
        if entry.0 + self.window <= now {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= self.limit
    }
}

/// The peer's address, when the server was started with it.
pub(crate) fn client_address(parts: &Parts) -> Option<IpAddr> {
    parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.ip())
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/assets/app.css", get(stylesheet)).merge(owner::routes()).merge(ops::routes())
}

/// The one stylesheet, from the binary.
async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../assets/app.css"),
    )
        .into_response()
}

/// The headers of every page.
pub(crate) fn page(html: Result<String, askama::Error>) -> Response {
    match html {
        Ok(html) => {
            let mut response = Html(html).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
                     frame-ancestors 'none'; base-uri 'none'",
                ),
            );
            headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
            headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(error) => {
            tracing::error!(%error, "a page could not be rendered");
            let mut response =
                Html("<!doctype html><title>Frontdesk</title><p>Sorry, this page could not be shown.</p>")
                    .into_response();
            *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            response
        }
    }
}

#[derive(askama::Template)]
#[template(path = "notice.html")]
struct Notice<'a> {
    heading: &'a str,
    message: &'a str,
}

/// An error page: what went wrong, in words, with its status.
pub(crate) fn notice(status: StatusCode, heading: &str, message: &str) -> Response {
    use askama::Template;
    let mut response = page(Notice { heading, message }.render());
    *response.status_mut() = status;
    response
}

/// Records a change an owner made on their pages (as the admin API records
/// its changes); a failure to record it is logged, the change stands.
pub(crate) async fn audit_owner(
    state: &AppState,
    owner: &OwnerSession,
    action: &str,
    target: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) {
    let entry = frontdesk_audit::NewAuditEntry::new(
        state.ids.new_id().to_string(),
        state.clock.now(),
        &format!("owner of {} (web)", owner.tenant),
        Some(&owner.tenant),
        action,
        target,
        before,
        after,
    );
    if let Err(error) = state.audit.append(&entry).await {
        tracing::error!(%error, action, target, "could not write an audit log entry");
    }
}

/// A signed-in shop owner: their shop, and nothing else.
pub struct OwnerSession {
    pub tenant: TenantId,
    pub session: WebSession,
    pub token: SecretToken,
}

/// Not signed in (or not as an owner): to the sign-in page.
pub struct SignInFirst {
    /// The session cookie to clear, when one was sent.
    clear: Option<HeaderValue>,
    to: &'static str,
}

impl IntoResponse for SignInFirst {
    fn into_response(self) -> Response {
        let mut response = Redirect::to(self.to).into_response();
        if let Some(cookie) = self.clear {
            response.headers_mut().insert(header::SET_COOKIE, cookie);
        }
        response
    }
}

/// The live session behind the request's cookie, or where to send the
/// browser (`login`: the sign-in page of the pages it asked for).
async fn live_session(
    parts: &Parts,
    state: &AppState,
    login: &'static str,
) -> Result<(WebSession, SecretToken), Response> {
    let web = &state.web;
    let Some(token) = web.cookie_token(&parts.headers) else {
        return Err(SignInFirst { clear: None, to: login }.into_response());
    };
    match web.logins.session(&token, state.clock.now()).await {
        Ok(Some(session)) => Ok((session, token)),
        Ok(None) => Err(SignInFirst { clear: Some(web.session_cookie(None)), to: login }.into_response()),
        Err(error) => {
            tracing::error!(%error, "could not read a web session");
            Err(notice(
                StatusCode::SERVICE_UNAVAILABLE,
                "Signing in is unavailable",
                "Sorry, signing in is unavailable right now. Try again in a minute.",
            ))
        }
    }
}

impl FromRequestParts<AppState> for OwnerSession {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<OwnerSession, Response> {
        let (session, token) = live_session(parts, state, "/app/login").await?;
        match &session.principal {
            Principal::Owner(tenant) => {
                tracing::Span::current().record("tenant_id", tenant.as_str());
                Ok(OwnerSession { tenant: tenant.clone(), session: session.clone(), token })
            }
            // An operator's session is not a shop owner's.
            Principal::Operator(_) => Err(SignInFirst { clear: None, to: "/app/login" }.into_response()),
        }
    }
}

/// A signed-in operator.
pub struct OperatorSession {
    pub email: frontdesk_auth::web::OperatorEmail,
    pub session: WebSession,
    pub token: SecretToken,
}

impl FromRequestParts<AppState> for OperatorSession {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<OperatorSession, Response> {
        let (session, token) = live_session(parts, state, "/ops/login").await?;
        match &session.principal {
            Principal::Operator(email) => Ok(OperatorSession { email: email.clone(), session: session.clone(), token }),
            // A shop owner's session never reaches the operator pages.
            Principal::Owner(_) => Err(SignInFirst { clear: None, to: "/ops/login" }.into_response()),
        }
    }
}
