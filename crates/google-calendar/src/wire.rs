//! Google's JSON, as Google spells it, and the translation of its errors into
//! `CalendarError`. Nothing here leaves the crate.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use frontdesk_calendar::{CalendarError, CalendarEvent};
use frontdesk_google_auth::TokenError;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::{Deserialize, Serialize};

/// `POST freeBusy` body.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FreeBusyRequest<'a> {
    pub time_min: String,
    pub time_max: String,
    pub time_zone: &'static str,
    pub items: [FreeBusyItem<'a>; 1],
}

#[derive(Serialize)]
pub(crate) struct FreeBusyItem<'a> {
    pub id: &'a str,
}

impl<'a> FreeBusyRequest<'a> {
    pub(crate) fn new(calendar_id: &'a str, from: DateTime<Utc>, to: DateTime<Utc>) -> FreeBusyRequest<'a> {
        FreeBusyRequest {
            time_min: from.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            time_max: to.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            time_zone: "UTC",
            items: [FreeBusyItem { id: calendar_id }],
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct FreeBusyReply {
    #[serde(default)]
    pub calendars: HashMap<String, FreeBusyCalendar>,
}

#[derive(Deserialize)]
pub(crate) struct FreeBusyCalendar {
    #[serde(default)]
    pub busy: Vec<BusyPeriod>,
    /// Per-calendar failures inside an otherwise successful reply.
    #[serde(default)]
    pub errors: Vec<FreeBusyError>,
}

#[derive(Deserialize)]
pub(crate) struct BusyPeriod {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

#[derive(Deserialize)]
pub(crate) struct FreeBusyError {
    #[serde(default)]
    pub domain: String,
    #[serde(default)]
    pub reason: String,
}

/// The body of `events.insert` and `events.patch`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EventBody<'a> {
    /// Only on insert: the deterministic id that makes a retried insert a 409.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<&'a str>,
    pub summary: &'a str,
    pub description: &'a str,
    pub start: EventTime<'a>,
    pub end: EventTime<'a>,
    /// Only on insert: the booking never moves to another tenant or booking.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extended_properties: Option<ExtendedProperties<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EventTime<'a> {
    pub date_time: String,
    pub time_zone: &'a str,
}

#[derive(Serialize)]
pub(crate) struct ExtendedProperties<'a> {
    pub private: PrivateProperties<'a>,
}

#[derive(Serialize)]
pub(crate) struct PrivateProperties<'a> {
    pub booking_id: &'a str,
    pub tenant_id: &'a str,
}

impl<'a> EventBody<'a> {
    pub(crate) fn for_insert(event: &'a CalendarEvent) -> Result<EventBody<'a>, CalendarError> {
        let mut body = EventBody::for_patch(event)?;
        body.id = Some(&event.event_id);
        body.extended_properties = Some(ExtendedProperties {
            private: PrivateProperties { booking_id: &event.booking_id, tenant_id: &event.tenant_id },
        });
        Ok(body)
    }

    pub(crate) fn for_patch(event: &'a CalendarEvent) -> Result<EventBody<'a>, CalendarError> {
        let zone: Tz = event.time_zone.parse().map_err(|_| {
            CalendarError::Rejected(format!(
                "event {} has time zone {:?}, which is not an IANA zone",
                event.event_id, event.time_zone
            ))
        })?;
        // Written in the tenant's offset so the event reads naturally in
        // Google's UI and API; the instant is the same.
        let local = |instant: DateTime<Utc>| instant.with_timezone(&zone).to_rfc3339_opts(SecondsFormat::AutoSi, false);
        Ok(EventBody {
            id: None,
            summary: &event.summary,
            description: &event.description,
            start: EventTime { date_time: local(event.start), time_zone: &event.time_zone },
            end: EventTime { date_time: local(event.end), time_zone: &event.time_zone },
            extended_properties: None,
        })
    }
}

/// `{"error":{"errors":[{"domain","reason","message"}],"code","message"}}`
#[derive(Deserialize)]
struct GoogleErrorReply {
    error: GoogleError,
}

#[derive(Deserialize)]
struct GoogleError {
    #[serde(default)]
    message: String,
    #[serde(default)]
    errors: Vec<GoogleErrorItem>,
}

#[derive(Deserialize)]
struct GoogleErrorItem {
    #[serde(default)]
    reason: String,
}

/// 403 reasons that mean "slow down", not "you may not".
const RATE_LIMIT_REASONS: [&str; 3] = ["rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"];

/// What Google said, for error messages: the reasons and the message.
pub(crate) struct GoogleComplaint {
    pub reasons: Vec<String>,
    pub message: String,
}

impl GoogleComplaint {
    pub(crate) fn parse(body: &str) -> GoogleComplaint {
        match serde_json::from_str::<GoogleErrorReply>(body) {
            Ok(reply) => GoogleComplaint {
                reasons: reply.error.errors.into_iter().map(|item| item.reason).filter(|r| !r.is_empty()).collect(),
                message: reply.error.message,
            },
            // Proxies and load balancers answer in HTML or plain text.
            Err(_) => GoogleComplaint { reasons: Vec::new(), message: body.trim().chars().take(200).collect() },
        }
    }

    fn has_reason(&self, wanted: &[&str]) -> bool {
        self.reasons.iter().any(|reason| wanted.contains(&reason.as_str()))
    }

    fn describe(&self, status: StatusCode) -> String {
        match self.reasons.as_slice() {
            [] => format!("Google answered {status}: {}", self.message),
            reasons => format!("Google answered {status} ({}): {}", reasons.join(", "), self.message),
        }
    }
}

/// Classifies a failed Calendar API reply. `what` says which call failed.
pub(crate) fn classify(what: &str, status: StatusCode, retry_after: Option<Duration>, body: &str) -> CalendarError {
    let complaint = GoogleComplaint::parse(body);
    let text = format!("{what}: {}", complaint.describe(status));
    match status {
        StatusCode::TOO_MANY_REQUESTS => CalendarError::RateLimited { retry_after },
        StatusCode::FORBIDDEN if complaint.has_reason(&RATE_LIMIT_REASONS) => {
            CalendarError::RateLimited { retry_after }
        }
        StatusCode::FORBIDDEN => CalendarError::PermissionDenied(text),
        StatusCode::UNAUTHORIZED => CalendarError::Auth(text),
        StatusCode::NOT_FOUND | StatusCode::GONE => CalendarError::NotFound(text),
        status if status.is_server_error() => CalendarError::Unavailable(text),
        // 400 and the other 4xx (409, 412, …) will not succeed by repeating them.
        _ => CalendarError::Rejected(text),
    }
}

/// A token that could not be had, as the port's error.
pub(crate) fn token_error(error: TokenError) -> CalendarError {
    match error {
        TokenError::Refused(text) => CalendarError::Auth(text),
        TokenError::RateLimited { retry_after } => CalendarError::RateLimited { retry_after },
        TokenError::Unavailable(text) => CalendarError::Unavailable(text),
        TokenError::Invalid(text) => CalendarError::Unexpected(anyhow::anyhow!(text)),
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

/// `Retry-After` in seconds; the HTTP-date form is ignored (Google sends seconds).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds = headers.get(RETRY_AFTER)?.to_str().ok()?.trim().parse::<u64>().ok()?;
    Some(Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_google_errors() {
        let body = |code: u16, reason: &str| {
            format!(
                r#"{{"error":{{"errors":[{{"domain":"d","reason":"{reason}","message":"m"}}],"code":{code},"message":"Google says {reason}"}}}}"#
            )
        };
        let check = |status: u16, reason: &str, expected: &str| {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::IM_A_TEAPOT);
            let error = classify("test call", status, None, &body(status.as_u16(), reason));
            let actual = format!("{error:?}");
            assert!(actual.starts_with(expected), "{status} {reason}: got {actual}");
        };
        check(429, "rateLimitExceeded", "RateLimited");
        check(403, "rateLimitExceeded", "RateLimited");
        check(403, "userRateLimitExceeded", "RateLimited");
        check(403, "quotaExceeded", "RateLimited");
        check(403, "forbidden", "PermissionDenied");
        check(403, "forbiddenForServiceAccounts", "PermissionDenied");
        check(401, "authError", "Auth");
        check(404, "notFound", "NotFound");
        check(410, "deleted", "NotFound");
        check(400, "timeRangeEmpty", "Rejected");
        check(409, "duplicate", "Rejected");
        check(412, "conditionNotMet", "Rejected");
        check(500, "backendError", "Unavailable");
        check(503, "backendError", "Unavailable");
    }

    #[test]
    fn error_text_carries_googles_message() {
        let error = classify("patch", StatusCode::BAD_GATEWAY, None, "<html>Bad Gateway</html>");
        assert_eq!(
            error.to_string(),
            "the calendar API is unavailable: patch: Google answered 502 Bad Gateway: <html>Bad Gateway</html>"
        );
    }
}
