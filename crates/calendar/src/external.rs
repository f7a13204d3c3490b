//! The `ExternalCalendar` port: a calendar outside Frontdesk (Google
//! Calendar) that contributes busy times and mirrors bookings as events.
//!
//! Reads (`busy`) happen during availability and must be fast and allowed to
//! fail (the caller falls back to the built-in view). Writes happen in jobs,
//! which retry what `CalendarError::is_retryable` says is worth retrying.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_core::TenantId;

/// A busy interval reported by an external calendar, `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BusyInterval {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// A booking as an event in an external calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarEvent {
    /// Deterministic, derived from the booking id: lowercase `[a-v0-9]`
    /// (base32hex), 5 to 1024 characters, so a retried insert is recognised.
    pub event_id: String,
    pub summary: String,
    pub description: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The tenant's IANA zone; the event is shown in it.
    pub time_zone: String,
    /// Stored on the event (private extended properties) for lookups.
    pub booking_id: String,
    pub tenant_id: String,
}

/// What went wrong, classified for retrying.
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    /// 429, or 403 with reason `rateLimitExceeded` / `userRateLimitExceeded` / `quotaExceeded`.
    #[error("the calendar API is rate limiting us")]
    RateLimited { retry_after: Option<Duration> },
    /// 5xx, timeouts, connection failures.
    #[error("the calendar API is unavailable: {0}")]
    Unavailable(String),
    /// 403 for permissions (calendar not shared with the service account, …).
    #[error("permission denied: {0}")]
    PermissionDenied(String),
    /// Credentials rejected (`invalid_grant`, `unauthorized_client`, a 401 that
    /// persists after a fresh token), or no credentials configured.
    #[error("authentication failed: {0}")]
    Auth(String),
    #[error("not found: {0}")]
    NotFound(String),
    /// 400 and other requests that will never succeed as they are.
    #[error("rejected: {0}")]
    Rejected(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl CalendarError {
    /// Worth trying again later (with backoff).
    pub fn is_retryable(&self) -> bool {
        matches!(self, CalendarError::RateLimited { .. } | CalendarError::Unavailable(_) | CalendarError::Unexpected(_))
    }
}

/// An external calendar. Every method takes the tenant first: credentials
/// may be the tenant's own.
#[async_trait]
pub trait ExternalCalendar: Send + Sync {
    /// Busy intervals of `calendar_id` overlapping `[from, to)`. A calendar
    /// that the service reports as failed (for example `notFound` inside an
    /// otherwise successful reply) MUST be an error, never "no busy times".
    async fn busy(
        &self,
        tenant: &TenantId,
        calendar_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<BusyInterval>, CalendarError>;

    /// Creates the event with its deterministic id. An event that already
    /// exists with that id (a retried insert) counts as success.
    async fn insert_event(
        &self,
        tenant: &TenantId,
        calendar_id: &str,
        event: &CalendarEvent,
    ) -> Result<(), CalendarError>;

    /// Changes an existing event's time and text (a reschedule). MUST return
    /// `NotFound` when the event does not exist.
    async fn patch_event(
        &self,
        tenant: &TenantId,
        calendar_id: &str,
        event: &CalendarEvent,
    ) -> Result<(), CalendarError>;

    /// Deletes the event. An event already deleted or never created counts
    /// as success.
    async fn delete_event(&self, tenant: &TenantId, calendar_id: &str, event_id: &str) -> Result<(), CalendarError>;
}
