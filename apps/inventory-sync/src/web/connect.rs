//! Connecting the till with OAuth from the page: `GET /lightspeed/connect`
//! sends the owner to Lightspeed's connect page with a fresh random
//! `state`, kept in a short-lived cookie; `GET /lightspeed/callback` is
//! where Lightspeed sends them back with `code`, `domain_prefix` and that
//! `state`. The code is traded (`OAuthTokens::connect`, which stores the
//! refresh token) only when the state matches the cookie and the shop is
//! the configured one, so an answer from another browser, an old one or a
//! forged one stores nothing.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use frontdesk_inventory::SourceError;
use frontdesk_lightspeed::{OAuthTokens, connect_url};
use secrecy::SecretString;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::page::message_page;
use super::routes::{App, WebError, cookie};

/// Connecting the till with OAuth from the page.
pub struct LightspeedConnect {
    /// Trades the code and stores the refresh token: the same tokens the
    /// syncs use, so the first sync after connecting needs no refresh.
    pub tokens: Arc<OAuthTokens>,
    pub client_id: String,
    /// The redirect URI registered with the OAuth application: this page's
    /// `/lightspeed/callback`.
    pub redirect_uri: String,
    /// The shop's domain prefix (`FRONTDESK_LIGHTSPEED_DOMAIN_PREFIX`): a
    /// callback for another shop is refused. `None` (a till configured by
    /// URL only) checks nothing more than that one is given.
    pub domain_prefix: Option<String>,
}

/// The cookie that carries the `state` of a connection under way.
const STATE_COOKIE: &str = "lightspeed_state";

/// How long the owner has to approve the connection at Lightspeed.
const STATE_MAX_AGE_SECS: u32 = 600;

/// `GET /lightspeed/connect`: a new `state`, kept in an HttpOnly cookie,
/// and 303 to Lightspeed's connect page.
pub(super) async fn start(State(app): State<Arc<App>>) -> Result<Response, WebError> {
    let connect = app.lightspeed.as_ref().ok_or(WebError::LightspeedOff)?;
    // 122 random bits from the operating system's generator.
    let state = uuid::Uuid::new_v4().simple().to_string();
    let secure = if connect.redirect_uri.starts_with("https://") { "; Secure" } else { "" };
    let cookie = format!(
        "{STATE_COOKIE}={state}; Path=/lightspeed; Max-Age={STATE_MAX_AGE_SECS}; HttpOnly; SameSite=Lax{secure}"
    );
    let mut response = Redirect::to(&connect_url(&connect.client_id, &connect.redirect_uri, &state)).into_response();
    set_cookie(&mut response, &cookie);
    tracing::info!("sent the owner to Lightspeed to connect the till");
    Ok(response)
}

/// What Lightspeed sends back to the redirect URI.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Callback {
    code: Option<String>,
    domain_prefix: Option<String>,
    state: Option<String>,
    /// `access_denied` when the owner did not approve.
    error: Option<String>,
}

/// `GET /lightspeed/callback`: checks the state and the shop, trades the
/// code, and sends the owner to the page with "Connected to Lightspeed".
pub(super) async fn callback(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(callback): Query<Callback>,
) -> Result<Response, WebError> {
    let connect = app.lightspeed.as_ref().ok_or(WebError::LightspeedOff)?;
    let expected = cookie(&headers, STATE_COOKIE).unwrap_or_default();
    let given = callback.state.as_deref().unwrap_or_default();
    let state_matches = !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(given.as_bytes()));
    if let Some(error) = callback.error.as_deref() {
        // Nothing is traded on this path, so the state does not matter.
        tracing::info!(error, "Lightspeed sent the owner back without connecting");
        let message = if error == "access_denied" {
            "The connection was not approved at Lightspeed, so nothing changed: the page keeps reading the till \
             as before. To connect, open Connect Lightspeed again and choose Allow."
                .to_owned()
        } else {
            format!("Lightspeed did not connect the till ({error}), so nothing changed. Try Connect Lightspeed again.")
        };
        let mut response = message_page(StatusCode::OK, "Lightspeed was not connected", &message);
        set_cookie(&mut response, &clear_state_cookie());
        return Ok(response);
    }
    if !state_matches {
        return Err(WebError::ConnectUnchecked);
    }
    let Some(code) = callback.code.as_deref().map(str::trim).filter(|code| !code.is_empty()) else {
        return Err(WebError::ConnectNoCode);
    };
    let shop = callback.domain_prefix.as_deref().map(str::trim).unwrap_or_default();
    let other_shop = match &connect.domain_prefix {
        Some(configured) => !configured.eq_ignore_ascii_case(shop),
        None => shop.is_empty(),
    };
    if other_shop {
        return Err(WebError::ConnectOtherShop {
            given: shop.to_owned(),
            configured: connect.domain_prefix.clone().unwrap_or_default(),
        });
    }
    connect.tokens.connect(&SecretString::from(code.to_owned()), &connect.redirect_uri).await.map_err(|error| {
        match error {
            SourceError::Credentials(_) => WebError::ConnectRefused(error.to_string()),
            other => WebError::ConnectUnavailable(other.to_string()),
        }
    })?;
    tracing::info!(domain_prefix = shop, "connected the till: the refresh token is stored");
    let mut response = Redirect::to("/?lightspeed=connected").into_response();
    set_cookie(&mut response, &clear_state_cookie());
    Ok(response)
}

fn clear_state_cookie() -> String {
    format!("{STATE_COOKIE}=; Path=/lightspeed; Max-Age=0; HttpOnly; SameSite=Lax")
}

fn set_cookie(response: &mut Response, cookie: &str) {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}
