//! OAuth access tokens for one service-account key: a signed JWT assertion
//! exchanged at the key's `token_uri`, cached until shortly before it expires.

use chrono::{DateTime, TimeDelta, Utc};
use frontdesk_calendar::CalendarError;
use frontdesk_core::Clock;
use jsonwebtoken::{Algorithm, Header};
use reqwest::StatusCode;
use serde::Serialize;
use tokio::sync::Mutex;

use crate::credentials::ServiceAccountKey;
use crate::wire::{TokenErrorReply, TokenReply, retry_after};

/// Full read/write access to calendars shared with the service account.
pub(crate) const CALENDAR_SCOPE: &str = "https://www.googleapis.com/auth/calendar";
const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// Google refuses assertions that live longer than an hour.
const ASSERTION_LIFETIME: TimeDelta = TimeDelta::seconds(3600);
/// Refresh this long before expiry, so a token never expires in flight and
/// small clock differences with Google do not matter.
const REFRESH_EARLY: TimeDelta = TimeDelta::minutes(5);
/// Google's tokens last an hour; used if a reply leaves `expires_in` out.
const DEFAULT_TOKEN_LIFETIME_SECONDS: i64 = 3600;

#[derive(Serialize)]
struct AssertionClaims<'a> {
    iss: &'a str,
    scope: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
}

struct CachedToken {
    access_token: String,
    refresh_at: DateTime<Utc>,
}

/// The access token of one key. The lock is held while fetching, so
/// concurrent calls for the same key wait for one token request instead of
/// each making their own.
pub(crate) struct TokenSource {
    key: ServiceAccountKey,
    cached: Mutex<Option<CachedToken>>,
}

impl TokenSource {
    pub(crate) fn new(key: ServiceAccountKey) -> TokenSource {
        TokenSource { key, cached: Mutex::new(None) }
    }

    pub(crate) fn key(&self) -> &ServiceAccountKey {
        &self.key
    }

    /// A token that is valid for at least a few more minutes.
    pub(crate) async fn access_token(
        &self,
        http: &reqwest::Client,
        clock: &dyn Clock,
    ) -> Result<String, CalendarError> {
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
    pub(crate) async fn forget(&self, rejected: &str) {
        let mut cached = self.cached.lock().await;
        if cached.as_ref().is_some_and(|token| token.access_token == rejected) {
            *cached = None;
        }
    }

    #[tracing::instrument(skip_all, fields(client_email = %self.key.client_email()))]
    async fn fetch(&self, http: &reqwest::Client, clock: &dyn Clock) -> Result<CachedToken, CalendarError> {
        let key = &self.key;
        let now = clock.now();
        let claims = AssertionClaims {
            iss: key.client_email(),
            scope: CALENDAR_SCOPE,
            aud: key.token_uri(),
            iat: now.timestamp(),
            exp: (now + ASSERTION_LIFETIME).timestamp(),
        };
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(key.private_key_id().to_owned());
        let assertion = jsonwebtoken::encode(&header, &claims, key.signing_key()).map_err(|error| {
            CalendarError::Auth(format!("could not sign a token request as {}: {error}", key.client_email()))
        })?;

        let response = http
            .post(key.token_uri())
            .form(&[("grant_type", JWT_BEARER_GRANT), ("assertion", assertion.as_str())])
            .send()
            .await
            .map_err(|error| unavailable("the Google token endpoint", &error))?;
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let body = response.text().await.map_err(|error| unavailable("the Google token endpoint", &error))?;

        if status.is_success() {
            let reply: TokenReply = serde_json::from_str(&body).map_err(|error| {
                anyhow::anyhow!("the Google token endpoint answered {status} without an access token: {error}")
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
            StatusCode::TOO_MANY_REQUESTS => CalendarError::RateLimited { retry_after },
            status if status.is_server_error() => CalendarError::Unavailable(text),
            // invalid_grant (bad signature, clock skew, deleted key),
            // unauthorized_client (delegation not granted), invalid_scope, …:
            // the credentials are wrong and retrying will not fix them.
            _ => CalendarError::Auth(text),
        })
    }
}

/// A request that never got an HTTP answer: timeouts, refused connections,
/// TLS and DNS failures. The whole source chain is kept, because reqwest's
/// own message ("error sending request") hides the cause.
pub(crate) fn unavailable(peer: &str, error: &reqwest::Error) -> CalendarError {
    let mut text = format!("{peer} did not answer: {error}");
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    CalendarError::Unavailable(text)
}
