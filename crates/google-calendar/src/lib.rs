//! Google Calendar v3 behind Frontdesk's [`ExternalCalendar`] port: busy
//! times from `freeBusy`, bookings mirrored as events, authenticated as a
//! Google service account (the platform's, or a tenant's own).
//!
//! This crate knows Google Calendar's wire format and nothing else (the
//! service-account keys and tokens are `frontdesk-google-auth`'s, asked for
//! the calendar scope): not bookings, availability rules or stores (that is
//! `frontdesk-calendar`), not where keys are kept or how settings are loaded
//! (that is the app's composition root, which builds a
//! [`GoogleCalendarConfig`]). No Google type leaves it; callers see only
//! [`BusyInterval`], [`CalendarEvent`] and [`CalendarError`].
//!
//! Time comes from a [`Clock`], so token expiry is testable without waiting.

mod wire;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_calendar::{BusyInterval, CalendarError, CalendarEvent, ExternalCalendar};
use frontdesk_core::{Clock, TenantId};
use reqwest::{Method, StatusCode, Url};
use serde::Serialize;

pub use frontdesk_google_auth::{DEFAULT_TOKEN_URI, ServiceAccountKey, ServiceAccountKeyError};

use frontdesk_google_auth::TokenSource;
use frontdesk_google_auth::percent_encode;
use wire::{EventBody, FreeBusyReply, FreeBusyRequest, classify, retry_after, token_error, unavailable};

/// Google Calendar's production endpoint.
pub const DEFAULT_API_BASE: &str = "https://www.googleapis.com/calendar/v3";
/// Short, because `busy` runs while a caller waits on the phone; the caller
/// falls back to Frontdesk's own view when Google is slow.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// Full read/write access to calendars shared with the service account.
const CALENDAR_SCOPE: &str = "https://www.googleapis.com/auth/calendar";
/// Never email attendees: Frontdesk sends its own confirmations.
const SEND_UPDATES_NONE: &[(&str, &str)] = &[("sendUpdates", "none")];
const NO_QUERY: &[(&str, &str)] = &[];
const NO_BODY: Option<&()> = None;

/// How to reach Google and as whom.
///
/// A tenant's own key (in `tenant_keys`) wins; otherwise the platform key is
/// used; with neither, calls for that tenant fail with `CalendarError::Auth`.
#[derive(Debug, Clone)]
pub struct GoogleCalendarConfig {
    /// Base URL of the Calendar API, without a trailing slash. Tests point
    /// it at a local fake.
    pub api_base: String,
    /// The platform's service account, used for tenants without their own.
    pub platform_key: Option<ServiceAccountKey>,
    /// Tenants that brought their own service account.
    pub tenant_keys: HashMap<TenantId, ServiceAccountKey>,
    /// Limit for each HTTP request (token or API), connecting included.
    pub timeout: Duration,
}

impl Default for GoogleCalendarConfig {
    fn default() -> GoogleCalendarConfig {
        GoogleCalendarConfig {
            api_base: DEFAULT_API_BASE.to_owned(),
            platform_key: None,
            tenant_keys: HashMap::new(),
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// Why the adapter could not be built (a startup error).
#[derive(Debug, thiserror::Error)]
pub enum GoogleCalendarSetupError {
    #[error("the Google Calendar api_base {0:?} is not an http(s) URL")]
    ApiBase(String),
    #[error("could not build the HTTP client for Google Calendar: {0}")]
    HttpClient(#[source] reqwest::Error),
}

/// The Google Calendar adapter. Cheap to share as `Arc<dyn ExternalCalendar>`;
/// it caches one access token per service-account key.
pub struct GoogleCalendar {
    http: reqwest::Client,
    api_base: String,
    platform_tokens: Option<Arc<TokenSource>>,
    tenant_tokens: HashMap<TenantId, Arc<TokenSource>>,
    clock: Arc<dyn Clock>,
}

impl GoogleCalendar {
    pub fn new(
        config: GoogleCalendarConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<GoogleCalendar, GoogleCalendarSetupError> {
        let api_base = config.api_base.trim_end_matches('/').to_owned();
        let api_base_is_http = Url::parse(&api_base).is_ok_and(|url| matches!(url.scheme(), "http" | "https"));
        if !api_base_is_http {
            return Err(GoogleCalendarSetupError::ApiBase(config.api_base));
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .build()
            .map_err(GoogleCalendarSetupError::HttpClient)?;

        // Tenants configured with the same service account share its token.
        let mut sources: HashMap<(String, String, String), Arc<TokenSource>> = HashMap::new();
        let mut token_source = |key: ServiceAccountKey| {
            let identity = (key.client_email().to_owned(), key.private_key_id().to_owned(), key.token_uri().to_owned());
            Arc::clone(sources.entry(identity).or_insert_with(|| Arc::new(TokenSource::new(key, CALENDAR_SCOPE))))
        };
        let platform_tokens = config.platform_key.map(&mut token_source);
        let tenant_tokens = config.tenant_keys.into_iter().map(|(tenant, key)| (tenant, token_source(key))).collect();
        Ok(GoogleCalendar { http, api_base, platform_tokens, tenant_tokens, clock })
    }

    fn tokens_for(&self, tenant: &TenantId) -> Result<&TokenSource, CalendarError> {
        self.tenant_tokens.get(tenant).or(self.platform_tokens.as_ref()).map(Arc::as_ref).ok_or_else(|| {
            CalendarError::Auth(format!(
                "no Google credentials configured for tenant {tenant} (no tenant key and no platform key)"
            ))
        })
    }

    fn url(&self, path: &str) -> Result<Url, CalendarError> {
        let url = format!("{}{path}", self.api_base);
        Url::parse(&url).map_err(|error| anyhow::anyhow!("could not build the URL {url:?}: {error}").into())
    }

    fn event_url(&self, calendar_id: &str, event_id: &str) -> Result<Url, CalendarError> {
        self.url(&format!("/calendars/{}/events/{}", percent_encode(calendar_id), percent_encode(event_id)))
    }

    /// Sends an authenticated request. A 401 means Google no longer accepts
    /// our cached token (revoked, or expired early): fetch a fresh one and
    /// try once more; a second 401 is an `Auth` error.
    async fn call<B: Serialize + Sync>(
        &self,
        tenant: &TenantId,
        method: Method,
        url: Url,
        query: &[(&str, &str)],
        body: Option<&B>,
    ) -> Result<Reply, CalendarError> {
        let tokens = self.tokens_for(tenant)?;
        let mut refreshed = false;
        loop {
            let access_token = tokens.access_token(&self.http, self.clock.as_ref()).await.map_err(token_error)?;
            let mut request = self.http.request(method.clone(), url.clone()).query(query).bearer_auth(&access_token);
            if let Some(body) = body {
                request = request.json(body);
            }
            let response = request.send().await.map_err(|error| unavailable("Google Calendar", &error))?;
            let status = response.status();
            let retry_after = retry_after(response.headers());
            let body = response.text().await.map_err(|error| unavailable("Google Calendar", &error))?;
            if status != StatusCode::UNAUTHORIZED {
                return Ok(Reply { status, retry_after, body });
            }
            tokens.forget(&access_token).await;
            if refreshed {
                let client_email = tokens.key().client_email();
                let what = format!("{method} {} with a fresh token for {client_email}", url.path());
                return Err(classify(&what, status, retry_after, &body));
            }
            tracing::debug!("Google Calendar answered 401; retrying once with a fresh token");
            refreshed = true;
        }
    }
}

impl fmt::Debug for GoogleCalendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut tenants: Vec<&str> = self.tenant_tokens.keys().map(TenantId::as_str).collect();
        tenants.sort_unstable();
        f.debug_struct("GoogleCalendar")
            .field("api_base", &self.api_base)
            .field("platform_key", &self.platform_tokens.as_ref().map(|tokens| tokens.key().client_email()))
            .field("tenants_with_own_key", &tenants)
            .finish_non_exhaustive()
    }
}

/// An HTTP answer, read whole (Calendar replies are small).
struct Reply {
    status: StatusCode,
    retry_after: Option<Duration>,
    body: String,
}

#[async_trait]
impl ExternalCalendar for GoogleCalendar {
    #[tracing::instrument(skip(self, tenant), fields(tenant_id = %tenant))]
    async fn busy(
        &self,
        tenant: &TenantId,
        calendar_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<BusyInterval>, CalendarError> {
        if to <= from {
            // Nothing overlaps an empty range, and Google would answer 400 timeRangeEmpty.
            return Ok(Vec::new());
        }
        let request = FreeBusyRequest::new(calendar_id, from, to);
        let reply = self.call(tenant, Method::POST, self.url("/freeBusy")?, NO_QUERY, Some(&request)).await?;
        let what = format!("freeBusy for calendar {calendar_id}");
        if !reply.status.is_success() {
            return Err(classify(&what, reply.status, reply.retry_after, &reply.body));
        }
        let mut parsed: FreeBusyReply = serde_json::from_str(&reply.body)
            .map_err(|error| anyhow::anyhow!("{what}: Google's reply is not a freeBusy reply: {error}"))?;
        let calendar = parsed
            .calendars
            .remove(calendar_id)
            .ok_or_else(|| anyhow::anyhow!("{what}: Google's reply does not mention the calendar"))?;
        // A failed calendar comes back as 200 with no busy times; reporting
        // it as free would let us book over the owner's appointments.
        if let Some(error) = calendar.errors.first() {
            let text = format!("{what}: Google reports {} (domain {})", error.reason, error.domain);
            return Err(match error.reason.as_str() {
                "notFound" => CalendarError::NotFound(text),
                "internalError" | "backendError" => CalendarError::Unavailable(text),
                _ => CalendarError::Rejected(text),
            });
        }
        Ok(calendar.busy.into_iter().map(|period| BusyInterval { start: period.start, end: period.end }).collect())
    }

    #[tracing::instrument(skip(self, tenant, event), fields(tenant_id = %tenant, event_id = %event.event_id))]
    async fn insert_event(
        &self,
        tenant: &TenantId,
        calendar_id: &str,
        event: &CalendarEvent,
    ) -> Result<(), CalendarError> {
        let body = EventBody::for_insert(event)?;
        let url = self.url(&format!("/calendars/{}/events", percent_encode(calendar_id)))?;
        let reply = self.call(tenant, Method::POST, url, SEND_UPDATES_NONE, Some(&body)).await?;
        match reply.status {
            status if status.is_success() => Ok(()),
            // The id is derived from the booking, so a conflict is our own
            // earlier insert whose reply was lost: the event is there.
            StatusCode::CONFLICT => {
                tracing::debug!("event already exists; counting the retried insert as done");
                Ok(())
            }
            status => {
                let what = format!("insert event {} into calendar {calendar_id}", event.event_id);
                Err(classify(&what, status, reply.retry_after, &reply.body))
            }
        }
    }

    #[tracing::instrument(skip(self, tenant, event), fields(tenant_id = %tenant, event_id = %event.event_id))]
    async fn patch_event(
        &self,
        tenant: &TenantId,
        calendar_id: &str,
        event: &CalendarEvent,
    ) -> Result<(), CalendarError> {
        let body = EventBody::for_patch(event)?;
        let url = self.event_url(calendar_id, &event.event_id)?;
        let reply = self.call(tenant, Method::PATCH, url, SEND_UPDATES_NONE, Some(&body)).await?;
        if reply.status.is_success() {
            return Ok(());
        }
        // 404 and 410 (deleted) classify as NotFound, as the port requires.
        let what = format!("patch event {} in calendar {calendar_id}", event.event_id);
        Err(classify(&what, reply.status, reply.retry_after, &reply.body))
    }

    #[tracing::instrument(skip(self, tenant), fields(tenant_id = %tenant))]
    async fn delete_event(&self, tenant: &TenantId, calendar_id: &str, event_id: &str) -> Result<(), CalendarError> {
        let url = self.event_url(calendar_id, event_id)?;
        let reply = self.call(tenant, Method::DELETE, url, SEND_UPDATES_NONE, NO_BODY).await?;
        match reply.status {
            status if status.is_success() => Ok(()),
            // Already deleted (410) or never created (404): the goal is met.
            StatusCode::NOT_FOUND | StatusCode::GONE => Ok(()),
            status => {
                let what = format!("delete event {event_id} from calendar {calendar_id}");
                Err(classify(&what, status, reply.retry_after, &reply.body))
            }
        }
    }
}
