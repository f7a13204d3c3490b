//! OAuth access tokens for one service-account key and scope: a signed JWT
//! assertion exchanged at the key's `token_uri`, cached until shortly before
//! it expires.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use frontdesk_core::Clock;
use jsonwebtoken::{Algorithm, Header};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::credentials::ServiceAccountKey;

const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// Google refuses assertions that live longer than an hour.
const ASSERTION_LIFETIME: TimeDelta = TimeDelta::seconds(3600);
/// Refresh this long before expiry, so a token never expires in flight and
/// small clock differences with Google do not matter.
const REFRESH_EARLY: TimeDelta = TimeDelta::minutes(5);
/// Google's tokens last an hour; used if a reply leaves `expires_in` out.
const DEFAULT_TOKEN_LIFETIME_SECONDS: i64 = 3600;

/// Why no access token could be had. The texts are complete sentences that
/// name the token endpoint and the service account, never key material, so
/// an adapter can put them into its own error unchanged.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The token endpoint refused the assertion (`invalid_grant`: bad
    /// signature, clock skew, deleted key; `unauthorized_client`;
    /// `invalid_scope`; …) or the key could not sign. Retrying will not help.
    #[error("{0}")]
    Refused(String),
    /// The token endpoint answered 429.
    #[error("the Google token endpoint is rate limiting us")]
    RateLimited { retry_after: Option<Duration> },
    /// 5xx, timeouts, refused connections: worth trying again later.
    #[error("{0}")]
    Unavailable(String),
    /// A success status without a usable token in the body.
    #[error("{0}")]
    Invalid(String),
}

#[derive(Serialize)]
struct AssertionClaims<'a> {
    iss: &'a str,
    scope: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
}

/// `POST token` reply.
#[derive(Deserialize)]
struct TokenReply {
    access_token: String,
    expires_in: Option<i64>,
}

/// The token endpoint's error body (OAuth 2.0 style).
#[derive(Deserialize)]
struct TokenErrorReply {
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: String,
}

struct CachedToken {
    access_token: String,
    refresh_at: DateTime<Utc>,
}

/// The access token of one key for one scope. The lock is held while
/// fetching, so concurrent calls for the same key wait for one token request
/// instead of each making their own.
pub struct TokenSource {
    key: ServiceAccountKey,
    scope: String,
    cached: Mutex<Option<CachedToken>>,
}

impl TokenSource {
    /// Tokens for `key` limited to `scope` (an OAuth scope URL such as
    /// `https://www.googleapis.com/auth/spreadsheets`; several are separated
    /// by spaces). Nothing is fetched until the first `access_token`.
    pub fn new(key: ServiceAccountKey, scope: impl Into<String>) -> TokenSource {
        TokenSource { key, scope: scope.into(), cached: Mutex::new(None) }
    }

    pub fn key(&self) -> &ServiceAccountKey {
        &self.key
    }

    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// A token that is valid for at least a few more minutes, from the cache
    /// or fetched now. Time comes from `clock`, so expiry is testable.
    pub async fn access_token(&self, http: &reqwest::Client, clock: &dyn Clock) -> Result<String, TokenError> {
        let mut cached = self.cached.lock().await;
        if let Some(token) = cached.as_ref()
            && clock.now() < token.refresh_at
        {
            return Ok(token.access_token.clone());
        }
        let token = self.fetch(http, clock).await?;
        let access_token = token.access_token.clone();
        *cached = Some(token);
        Ok(access_token)
    }

    /// Drops `rejected` from the cache (Google answered 401 to it). A newer
    /// token that another call fetched meanwhile is kept.
    pub async fn forget(&self, rejected: &str) {
        let mut cached = self.cached.lock().await;
        if cached.as_ref().is_some_and(|token| token.access_token == rejected) {
            *cached = None;
        }
    }

    #[tracing::instrument(skip_all, fields(client_email = %self.key.client_email(), scope = %self.scope))]
    async fn fetch(&self, http: &reqwest::Client, clock: &dyn Clock) -> Result<CachedToken, TokenError> {
        let key = &self.key;
        let now = clock.now();
        let claims = AssertionClaims {
            iss: key.client_email(),
            scope: &self.scope,
            aud: key.token_uri(),
            iat: now.timestamp(),
            exp: (now + ASSERTION_LIFETIME).timestamp(),
        };
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(key.private_key_id().to_owned());
        let assertion = jsonwebtoken::encode(&header, &claims, key.signing_key()).map_err(|error| {
            TokenError::Refused(format!("could not sign a token request as {}: {error}", key.client_email()))
        })?;

        let response = http
            .post(key.token_uri())
            .form(&[("grant_type", JWT_BEARER_GRANT), ("assertion", assertion.as_str())])
            .send()
            .await
            .map_err(|error| unavailable(&error))?;
        let status = response.status();
        let retry_after = retry_after_seconds(response.headers());
        let body = response.text().await.map_err(|error| unavailable(&error))?;

        if status.is_success() {
            let reply: TokenReply = serde_json::from_str(&body).map_err(|error| {
                TokenError::Invalid(format!(
                    "the Google token endpoint answered {status} without an access token: {error}"
                ))
            })?;
            // Clamped: the number comes from the network, and a day is far
            // more than Google ever grants.
            let lifetime_seconds = reply.expires_in.unwrap_or(DEFAULT_TOKEN_LIFETIME_SECONDS).clamp(0, 86_400);
            let lifetime = TimeDelta::seconds(lifetime_seconds);
            tracing::debug!(expires_in = lifetime.num_seconds(), "fetched a Google access token");
            return Ok(CachedToken { access_token: reply.access_token, refresh_at: now + lifetime - REFRESH_EARLY });
        }

        let complaint = serde_json::from_str::<TokenErrorReply>(&body)
            .map(|reply| format!("{} ({})", reply.error, reply.error_description))
            .unwrap_or_else(|_| body.trim().chars().take(200).collect());
        let text = format!("the Google token endpoint answered {status} for {}: {complaint}", key.client_email());
        Err(match status {
            StatusCode::TOO_MANY_REQUESTS => TokenError::RateLimited { retry_after },
            status if status.is_server_error() => TokenError::Unavailable(text),
            // invalid_grant (bad signature, clock skew, deleted key),
            // unauthorized_client (delegation not granted), invalid_scope, …:
            // the credentials are wrong and retrying will not fix them.
            _ => TokenError::Refused(text),
        })
    }
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSource").field("key", &self.key).field("scope", &self.scope).finish_non_exhaustive()
    }
}

/// A token request that never got an HTTP answer: timeouts, refused
/// connections, TLS and DNS failures. The whole source chain is kept, because
/// reqwest's own message ("error sending request") hides the cause.
fn unavailable(error: &reqwest::Error) -> TokenError {
    let mut text = format!("the Google token endpoint did not answer: {error}");
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    TokenError::Unavailable(text)
}

/// `Retry-After` in seconds; the HTTP-date form is ignored (Google sends seconds).
fn retry_after_seconds(headers: &HeaderMap) -> Option<Duration> {
    let seconds = headers.get(RETRY_AFTER)?.to_str().ok()?.trim().parse::<u64>().ok()?;
    Some(Duration::from_secs(seconds))
}
