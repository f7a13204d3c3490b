//! Who we are to Lightspeed: a retailer's personal token, or OAuth access
//! tokens refreshed with a refresh token that rotates on every refresh.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use frontdesk_core::Clock;
use frontdesk_inventory::{CredentialStore, SourceError, SyncKey};
use reqwest::{StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::sync::Mutex;

use crate::config::{DEFAULT_TIMEOUT, InvalidDomainPrefix, default_token_url};
use crate::http::{complaint, network_error, retry_after};

/// Refresh this long before the access token expires (at most half its
/// lifetime), so a token never expires between pages.
const REFRESH_EARLY: TimeDelta = TimeDelta::minutes(10);
/// Lightspeed's access tokens last a day; used when a reply says nothing.
const DEFAULT_TOKEN_LIFETIME: TimeDelta = TimeDelta::seconds(86_400);
/// Lifetimes come from the network; nothing Lightspeed grants is longer.
const MAX_TOKEN_LIFETIME: TimeDelta = TimeDelta::days(30);

/// Where the bearer token for each request comes from.
#[async_trait]
pub trait AccessTokenProvider: Send + Sync {
    /// A token to send now, fetched or refreshed if needed. Errors:
    /// `Credentials` when no token can be had (refresh token refused or
    /// missing), `RateLimited`/`Unavailable` when the token endpoint is busy
    /// or down, `Invalid` when its answer makes no sense.
    async fn access_token(&self) -> Result<SecretString, SourceError>;

    /// Lightspeed answered 401 to `rejected`. Returns whether another token
    /// can be tried (the next `access_token` fetches a fresh one); `false`
    /// means the 401 is final.
    async fn token_rejected(&self, rejected: &SecretString) -> bool;
}

/// Why a token source could not be built (a startup error). Never contains
/// a secret.
#[derive(Debug, thiserror::Error)]
pub enum AuthSetupError {
    #[error("the Lightspeed token is not usable: {0}")]
    Token(&'static str),
    #[error("the Lightspeed OAuth client is not usable: {0}")]
    Client(&'static str),
    #[error("the Lightspeed token URL {0:?} is not an http(s) URL")]
    TokenUrl(String),
    #[error(transparent)]
    DomainPrefix(#[from] InvalidDomainPrefix),
    #[error("could not build the HTTP client for the Lightspeed token endpoint: {0}")]
    HttpClient(#[source] reqwest::Error),
}

/// A retailer's personal token (`FRONTDESK_LIGHTSPEED_TOKEN`): sent as is,
/// never refreshed, so a 401 is final.
pub struct PersonalToken {
    token: SecretString,
}

impl PersonalToken {
    pub fn new(token: SecretString) -> Result<PersonalToken, AuthSetupError> {
        check_secret(token.expose_secret()).map_err(AuthSetupError::Token)?;
        Ok(PersonalToken { token })
    }
}

impl fmt::Debug for PersonalToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PersonalToken").finish_non_exhaustive()
    }
}

#[async_trait]
impl AccessTokenProvider for PersonalToken {
    async fn access_token(&self) -> Result<SecretString, SourceError> {
        Ok(self.token.clone())
    }

    async fn token_rejected(&self, _rejected: &SecretString) -> bool {
        false
    }
}

/// Tokens and secrets are header values: no blanks, no control characters.
fn check_secret(secret: &str) -> Result<(), &'static str> {
    if secret.is_empty() {
        return Err("it is empty");
    }
    if !secret.bytes().all(|byte| byte.is_ascii_graphic()) {
        return Err("it contains spaces or other characters a token never has (a trailing newline?)");
    }
    Ok(())
}

/// Where a shop's owner is sent to connect their till to our OAuth
/// application: Lightspeed asks them to log in and approve, then redirects
/// to `redirect_uri` with `code`, `domain_prefix` and our `state`.
pub fn connect_url(client_id: &str, redirect_uri: &str, state: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("state", state)
        .finish();
    format!("https://secure.retail.lightspeed.app/connect?{query}")
}

/// The OAuth application and where it refreshes tokens.
#[derive(Debug, Clone)]
pub struct OAuthConfig {
    /// `https://{domain_prefix}.retail.lightspeed.app/api/1.0/token` unless
    /// overridden (tests point it at a fake).
    pub token_url: String,
    pub client_id: String,
    pub client_secret: SecretString,
    pub user_agent: String,
    /// Limit for each token request, connecting included.
    pub timeout: Duration,
}

impl OAuthConfig {
    pub fn for_domain_prefix(
        domain_prefix: &str,
        client_id: impl Into<String>,
        client_secret: SecretString,
    ) -> Result<OAuthConfig, AuthSetupError> {
        Ok(OAuthConfig::with_token_url(default_token_url(domain_prefix)?, client_id, client_secret))
    }

    pub fn with_token_url(
        token_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: SecretString,
    ) -> OAuthConfig {
        OAuthConfig {
            token_url: token_url.into(),
            client_id: client_id.into(),
            client_secret,
            user_agent: concat!("frontdesk-lightspeed/", env!("CARGO_PKG_VERSION")).to_owned(),
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// Where the current refresh token is kept between runs.
///
/// Lightspeed rotates refresh tokens: each refresh voids the one it used and
/// answers a new one. `save` must therefore be durable and atomic (after a
/// crash, `load` returns the old token or the new one, never a torn one),
/// and [`OAuthTokens`] calls it before the new access token is used.
#[async_trait]
pub trait RefreshTokenStore: Send + Sync {
    /// The refresh token to use next. `TokenStoreError::Missing` when none
    /// was ever stored.
    async fn load(&self) -> Result<SecretString, TokenStoreError>;
    /// Replaces the stored refresh token with `refresh_token`.
    async fn save(&self, refresh_token: &SecretString) -> Result<(), TokenStoreError>;
}

#[derive(Debug, thiserror::Error)]
pub enum TokenStoreError {
    /// Nothing stored: the shop has to connect (authorize) again.
    #[error("no Lightspeed refresh token stored: {0}")]
    Missing(String),
    #[error("could not read or write the Lightspeed refresh token: {0}")]
    Io(String),
}

/// The refresh token of one connection in the platform's store (SQLite or
/// PostgreSQL, through the inventory domain's [`CredentialStore`] port),
/// where a save is one atomic upsert.
pub struct StoredRefreshToken {
    store: Arc<dyn CredentialStore>,
    key: SyncKey,
    clock: Arc<dyn Clock>,
}

impl StoredRefreshToken {
    pub fn new(store: Arc<dyn CredentialStore>, key: SyncKey, clock: Arc<dyn Clock>) -> StoredRefreshToken {
        StoredRefreshToken { store, key, clock }
    }
}

impl fmt::Debug for StoredRefreshToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredRefreshToken").field("key", &self.key).finish_non_exhaustive()
    }
}

#[async_trait]
impl RefreshTokenStore for StoredRefreshToken {
    async fn load(&self) -> Result<SecretString, TokenStoreError> {
        match self.store.load_credential(&self.key).await {
            Ok(Some(token)) if !token.expose_secret().trim().is_empty() => Ok(token),
            Ok(_) => Err(TokenStoreError::Missing(format!("none stored for {}; connect the shop first", self.key))),
            Err(error) => Err(TokenStoreError::Io(error.to_string())),
        }
    }

    async fn save(&self, refresh_token: &SecretString) -> Result<(), TokenStoreError> {
        self.store
            .save_credential(&self.key, refresh_token, self.clock.now())
            .await
            .map_err(|error| TokenStoreError::Io(error.to_string()))
    }
}

/// OAuth access tokens, refreshed with the refresh token in a
/// [`RefreshTokenStore`]: shortly before the access token expires, and when
/// Lightspeed answers 401 to it.
///
/// A refresh sends `POST {token_url}` with the form
/// `grant_type=refresh_token&client_id&client_secret&refresh_token` and
/// gets `{"access_token","token_type":"Bearer","expires","expires_in","refresh_token",…}`.
/// The new refresh token is saved before the new access token is returned;
/// when saving fails the call fails, and the next call saves again before
/// anything else (the old refresh token is already void).
pub struct OAuthTokens {
    http: reqwest::Client,
    token_url: String,
    client_id: String,
    client_secret: SecretString,
    store: Arc<dyn RefreshTokenStore>,
    clock: Arc<dyn Clock>,
    /// Held while refreshing, so concurrent calls share one refresh instead
    /// of racing with the same (single-use) refresh token.
    state: Mutex<OAuthState>,
}

#[derive(Default)]
struct OAuthState {
    /// The access token in use.
    current: Option<Grant>,
    /// A refresh that succeeded but whose refresh token is not saved yet.
    unsaved: Option<Grant>,
}

struct Grant {
    access_token: SecretString,
    refresh_token: Option<SecretString>,
    refresh_at: DateTime<Utc>,
}

/// Lightspeed's token reply; other fields (`domain_prefix`, `scope`, …) are ignored.
#[derive(Deserialize)]
struct TokenReply {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: Option<i64>,
    /// Epoch seconds.
    #[serde(default)]
    expires: Option<i64>,
}

impl OAuthTokens {
    pub fn new(
        config: OAuthConfig,
        store: Arc<dyn RefreshTokenStore>,
        clock: Arc<dyn Clock>,
    ) -> Result<OAuthTokens, AuthSetupError> {
        let token_url_is_http = Url::parse(&config.token_url).is_ok_and(|url| matches!(url.scheme(), "http" | "https"));
        if !token_url_is_http {
            return Err(AuthSetupError::TokenUrl(config.token_url));
        }
        if config.client_id.trim().is_empty() {
            return Err(AuthSetupError::Client("the client id is empty"));
        }
        check_secret(config.client_secret.expose_secret()).map_err(|_| {
            AuthSetupError::Client("the client secret is empty or contains spaces or control characters")
        })?;
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .user_agent(config.user_agent)
            // A token POST that is redirected would be replayed as a GET.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(AuthSetupError::HttpClient)?;
        Ok(OAuthTokens {
            http,
            token_url: config.token_url,
            client_id: config.client_id,
            client_secret: config.client_secret,
            store,
            clock,
            state: Mutex::new(OAuthState::default()),
        })
    }

    /// Connects a shop: trades the authorization `code` that Lightspeed's
    /// connect page sent to `redirect_uri` for the first tokens
    /// (`grant_type=authorization_code`), and stores the refresh token
    /// before anything else. The access token is kept for the next calls.
    #[tracing::instrument(skip_all)]
    pub async fn connect(&self, code: &SecretString, redirect_uri: &str) -> Result<(), SourceError> {
        let mut state = self.state.lock().await;
        let what = "POST the Lightspeed token endpoint (authorization_code grant)";
        let grant = self
            .grant(what, "authorization_code", &[("code", code.expose_secret()), ("redirect_uri", redirect_uri)])
            .await?;
        let Some(refresh_token) = &grant.refresh_token else {
            return Err(SourceError::Invalid(
                "the Lightspeed token reply to the authorization code has no refresh_token".to_owned(),
            ));
        };
        self.store.save(refresh_token).await.map_err(|error| {
            SourceError::Unavailable(format!("could not store the new refresh token, connect again: {error}"))
        })?;
        state.unsaved = None;
        state.current = Some(grant);
        Ok(())
    }

    async fn refresh(&self, refresh_token: &SecretString) -> Result<Grant, SourceError> {
        let what = "POST the Lightspeed token endpoint (refresh_token grant)";
        self.grant(what, "refresh_token", &[("refresh_token", refresh_token.expose_secret())]).await
    }

    /// One token request: `grant_type`, the client's id and secret, then
    /// the grant's own `params`.
    #[tracing::instrument(skip_all)]
    async fn grant(&self, what: &str, grant_type: &str, params: &[(&str, &str)]) -> Result<Grant, SourceError> {
        let now = self.clock.now();
        let mut form = vec![
            ("grant_type", grant_type),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.expose_secret()),
        ];
        form.extend_from_slice(params);
        let response =
            self.http.post(&self.token_url).form(&form).send().await.map_err(|error| network_error(what, error))?;
        let status = response.status();
        let wait = retry_after(response.headers(), now);
        let body = response.text().await.map_err(|error| network_error(what, error))?;
        if !status.is_success() {
            let text = format!("{what}: HTTP {}: {}", status.as_u16(), complaint(&body));
            return Err(match status {
                StatusCode::TOO_MANY_REQUESTS => SourceError::RateLimited { retry_after: wait },
                status if status.is_server_error() => SourceError::Unavailable(text),
                // invalid_grant (a refresh token used twice or revoked, a
                // code used twice or expired), invalid_client, …: only
                // connecting the shop again helps.
                _ => SourceError::Credentials(text),
            });
        }
        let reply: TokenReply = serde_json::from_str(&body)
            .map_err(|error| SourceError::Invalid(format!("{what}: the reply has no access token: {error}")))?;
        check_secret(&reply.access_token)
            .map_err(|problem| SourceError::Invalid(format!("{what}: the access token in the reply: {problem}")))?;
        let lifetime = match (reply.expires_in, reply.expires) {
            (Some(seconds), _) => TimeDelta::seconds(seconds),
            (None, Some(epoch)) => TimeDelta::seconds(epoch.saturating_sub(now.timestamp())),
            (None, None) => DEFAULT_TOKEN_LIFETIME,
        }
        .clamp(TimeDelta::zero(), MAX_TOKEN_LIFETIME);
        let refresh_early = REFRESH_EARLY.min(lifetime / 2);
        let rotated = reply.refresh_token.filter(|token| !token.trim().is_empty()).map(SecretString::from);
        if rotated.is_none() {
            tracing::warn!("the Lightspeed token reply has no refresh_token; keeping the stored one");
        }
        tracing::debug!(expires_in = lifetime.num_seconds(), "got a Lightspeed access token");
        Ok(Grant {
            access_token: SecretString::from(reply.access_token),
            refresh_token: rotated,
            refresh_at: now + lifetime - refresh_early,
        })
    }
}

#[async_trait]
impl AccessTokenProvider for OAuthTokens {
    async fn access_token(&self) -> Result<SecretString, SourceError> {
        let mut state = self.state.lock().await;
        if let Some(current) = &state.current
            && self.clock.now() < current.refresh_at
        {
            return Ok(current.access_token.clone());
        }
        let grant = match state.unsaved.take() {
            Some(grant) => grant,
            None => {
                let refresh_token = self.store.load().await.map_err(|error| match error {
                    TokenStoreError::Missing(_) => SourceError::Credentials(error.to_string()),
                    TokenStoreError::Io(_) => SourceError::Unavailable(error.to_string()),
                })?;
                self.refresh(&refresh_token).await?
            }
        };
        // Saved before the access token is used: the refresh token we sent is
        // void now, so losing the new one would disconnect the shop.
        if let Some(refresh_token) = &grant.refresh_token
            && let Err(error) = self.store.save(refresh_token).await
        {
            state.unsaved = Some(grant);
            return Err(SourceError::Unavailable(format!("could not store the rotated refresh token: {error}")));
        }
        let access_token = grant.access_token.clone();
        state.current = Some(grant);
        Ok(access_token)
    }

    async fn token_rejected(&self, rejected: &SecretString) -> bool {
        let mut state = self.state.lock().await;
        // A newer token that another call fetched meanwhile is kept.
        if state
            .current
            .as_ref()
            .is_some_and(|current| current.access_token.expose_secret() == rejected.expose_secret())
        {
            state.current = None;
        }
        true
    }
}

impl fmt::Debug for OAuthTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthTokens")
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_tokens_must_be_header_safe() {
        assert!(PersonalToken::new(SecretString::from("lsxs_pt_5f2c9a")).is_ok());
        for bad in ["", "lsxs_pt_5f2c9a\n", "two words"] {
            let error = PersonalToken::new(SecretString::from(bad)).err().unwrap_or_else(|| panic!("{bad:?}"));
            assert!(bad.trim().is_empty() || !error.to_string().contains(bad.trim()), "{error}");
        }
    }
}
