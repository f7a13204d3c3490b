//! The pure parts of talking to Lightspeed: when to retry and how long to
//! wait, what `Retry-After` and the rate-limit headers mean, and how an
//! answer becomes a `SourceError`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use frontdesk_inventory::SourceError;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// No backoff wait is longer than this, jitter included.
const BACKOFF_CAP: Duration = Duration::from_secs(10);
/// Lightspeed answers `{"error","message"}`; this much of any other body is
/// kept for the error message.
const BODY_EXCERPT_CHARS: usize = 200;

/// When to retry and how long to wait first.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RetryPolicy {
    pub(crate) max_retries: u32,
    pub(crate) backoff_base: Duration,
    pub(crate) max_retry_after: Duration,
}

/// A failed attempt, as far as retrying is concerned.
#[derive(Debug)]
pub(crate) enum Attempt {
    /// Final: credentials, or a reply we cannot use.
    Fatal(SourceError),
    /// 401: the access token was refused.
    Unauthorized(SourceError),
    /// 429: wait `retry_after` (Lightspeed's wait, when it gave one).
    RateLimited { retry_after: Option<Duration> },
    /// 5xx or network trouble.
    Unavailable(SourceError),
}

impl RetryPolicy {
    /// The wait before retry number `retries_done + 1`, or the error to
    /// return. `jitter` is uniform in `[0, 1)`.
    ///
    /// 5xx and network errors: `base·2ⁿ` capped at 10 s, scaled into its
    /// upper half by the jitter, never less than `base`. 429: exactly the
    /// `Retry-After` when there is one (Lightspeed's window resets then, and
    /// earlier is refused again), the backoff otherwise; a `Retry-After`
    /// beyond `max_retry_after` is returned to the caller at once.
    pub(crate) fn wait_before_retry(
        &self,
        attempt: Attempt,
        retries_done: u32,
        jitter: f64,
    ) -> Result<Duration, SourceError> {
        let backoff = || {
            let exponential = self.backoff_base.saturating_mul(2_u32.saturating_pow(retries_done)).min(BACKOFF_CAP);
            exponential.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0)).max(self.backoff_base)
        };
        match attempt {
            Attempt::Fatal(error) | Attempt::Unauthorized(error) => Err(error),
            Attempt::Unavailable(error) if retries_done >= self.max_retries => Err(error),
            Attempt::Unavailable(_) => Ok(backoff()),
            Attempt::RateLimited { retry_after } => match retry_after {
                Some(wait) if wait > self.max_retry_after || retries_done >= self.max_retries => {
                    Err(SourceError::RateLimited { retry_after: Some(wait) })
                }
                Some(wait) => Ok(wait),
                None if retries_done >= self.max_retries => Err(SourceError::RateLimited { retry_after: None }),
                None => Ok(backoff()),
            },
        }
    }
}

/// How long Lightspeed asks us to wait, from `now`.
///
/// Lightspeed sends `Retry-After` as an RFC 1123 date
/// (`Tue, 24 Nov 2026 10:00:00 GMT`); delta-seconds are accepted too. The
/// token endpoint sends `X-RateLimit-Reset` as epoch seconds instead. A
/// moment already past means "now".
pub(crate) fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    if let Some(value) = header_text(headers, RETRY_AFTER.as_str()) {
        if let Ok(seconds) = value.parse::<u64>() {
            return Some(Duration::from_secs(seconds));
        }
        if let Ok(date) = DateTime::parse_from_rfc2822(value) {
            return Some(until(date.with_timezone(&Utc), now));
        }
    }
    let reset = header_text(headers, "x-ratelimit-reset")?.parse::<i64>().ok()?;
    Some(until(DateTime::<Utc>::from_timestamp(reset, 0)?, now))
}

fn until(moment: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    (moment - now).to_std().unwrap_or(Duration::ZERO)
}

/// `X-RateLimit-Limit` and `X-RateLimit-Remaining`, when both are there.
pub(crate) fn rate_budget(headers: &HeaderMap) -> Option<(u64, u64)> {
    let limit = header_text(headers, "x-ratelimit-limit")?.parse().ok()?;
    let remaining = header_text(headers, "x-ratelimit-remaining")?.parse().ok()?;
    Some((limit, remaining))
}

/// How long to leave between requests, given what is left of the budget.
///
/// Lightspeed counts requests per retailer in a fixed five-minute window
/// (350 for a one-register shop) and gives no reset time, so once the
/// remaining budget falls to a tenth of the limit the rest is spread over a
/// window: `window / (remaining + 1)`, at most `window / 10`. A full sync
/// then slows down instead of running into 429s, and some budget is left
/// for the retailer's other integrations. Above the tenth: no pause.
pub(crate) fn budget_pause(limit: u64, remaining: u64, window: Duration) -> Duration {
    let reserve = (limit / 10).max(1);
    if limit == 0 || remaining > reserve {
        return Duration::ZERO;
    }
    let spread = window.div_f64((remaining + 1) as f64);
    spread.min(window / 10)
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name)?.to_str().ok().map(str::trim).filter(|value| !value.is_empty())
}

/// What an unsuccessful answer means. `what` names the request
/// (`GET /products after 1002`).
pub(crate) fn classify(what: &str, status: StatusCode, retry_after: Option<Duration>, body: &str) -> Attempt {
    let text = format!("{what}: HTTP {}: {}", status.as_u16(), complaint(body));
    match status {
        StatusCode::UNAUTHORIZED => Attempt::Unauthorized(SourceError::Credentials(text)),
        StatusCode::FORBIDDEN => Attempt::Fatal(SourceError::Credentials(text)),
        StatusCode::TOO_MANY_REQUESTS => Attempt::RateLimited { retry_after },
        // 408 is a timeout on Lightspeed's side: as retryable as a 5xx.
        status if status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT => {
            Attempt::Unavailable(SourceError::Unavailable(text))
        }
        // 400, 404, 422, …: repeating the request will not change the answer.
        _ => Attempt::Fatal(SourceError::Invalid(text)),
    }
}

/// Lightspeed's `{"error","message"}` (or OAuth's `error_description`), or
/// the start of whatever else came back.
pub(crate) fn complaint(body: &str) -> String {
    #[derive(serde::Deserialize)]
    struct ErrorBody {
        error: Option<serde_json::Value>,
        message: Option<String>,
        error_description: Option<String>,
    }
    if let Ok(parsed) = serde_json::from_str::<ErrorBody>(body) {
        let error = match parsed.error {
            Some(serde_json::Value::String(error)) => Some(error),
            Some(other) => Some(other.to_string()),
            None => None,
        };
        let detail = parsed.message.or(parsed.error_description);
        match (error, detail) {
            (Some(error), Some(detail)) => return format!("{error} ({detail})"),
            (Some(text), None) | (None, Some(text)) => return text,
            (None, None) => {}
        }
    }
    let excerpt: String = body.trim().chars().take(BODY_EXCERPT_CHARS).collect();
    if excerpt.is_empty() { "(empty body)".to_owned() } else { format!("{excerpt:?}") }
}

/// A request that never got an answer: timeouts, refused connections, TLS
/// and DNS failures. reqwest's own message hides the cause, so the source
/// chain is kept; the URL is not (it is in `what`).
pub(crate) fn network_error(what: &str, error: reqwest::Error) -> SourceError {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let error = error.without_url();
    let mut text = format!("{what}: {kind}: {error}");
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    SourceError::Unavailable(text)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use reqwest::header::HeaderValue;

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, 9, 59, 30).single().unwrap_or_else(|| panic!("bad test time"))
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, HeaderValue::from_str(value).unwrap_or_else(|e| panic!("{value}: {e}")));
        }
        headers
    }

    #[test]
    fn http_dates_are_rfc_1123_and_chrono_reads_them_as_rfc_2822() {
        let parsed = DateTime::parse_from_rfc2822("Tue, 24 Nov 2026 10:00:00 GMT").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(parsed.with_timezone(&Utc), Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap());
    }

    #[test]
    fn retry_after_is_read_as_a_date_or_as_seconds() {
        let check = |pairs: &[(&'static str, &str)], expected: Option<Duration>| {
            assert_eq!(retry_after(&headers(pairs), now()), expected, "{pairs:?}");
        };
        check(&[("retry-after", "Tue, 24 Nov 2026 10:00:00 GMT")], Some(Duration::from_secs(30)));
        check(&[("retry-after", "Tue, 24 Nov 2026 09:00:00 GMT")], Some(Duration::ZERO));
        check(&[("retry-after", "7")], Some(Duration::from_secs(7)));
        check(&[("retry-after", " 0 ")], Some(Duration::ZERO));
        check(&[("retry-after", "soon")], None);
        check(&[("retry-after", "-5")], None);
        check(&[], None);
        let reset = (now().timestamp() + 12).to_string();
        check(&[("x-ratelimit-reset", &reset)], Some(Duration::from_secs(12)));
        check(&[("retry-after", "3"), ("x-ratelimit-reset", &reset)], Some(Duration::from_secs(3)));
    }

    #[test]
    fn rate_budget_needs_both_headers() {
        assert_eq!(
            rate_budget(&headers(&[("x-ratelimit-limit", "350"), ("x-ratelimit-remaining", "12")])),
            Some((350, 12))
        );
        assert_eq!(rate_budget(&headers(&[("x-ratelimit-limit", "350")])), None);
        assert_eq!(rate_budget(&headers(&[("x-ratelimit-limit", "x"), ("x-ratelimit-remaining", "1")])), None);
    }

    #[test]
    fn the_budget_slows_requests_only_in_its_last_tenth() {
        let window = Duration::from_secs(300);
        let check = |limit: u64, remaining: u64, expected: Duration| {
            assert_eq!(budget_pause(limit, remaining, window), expected, "limit {limit}, remaining {remaining}");
        };
        check(350, 349, Duration::ZERO);
        check(350, 36, Duration::ZERO);
        check(350, 35, window.div_f64(36.0));
        check(350, 9, Duration::from_secs(30));
        check(350, 0, Duration::from_secs(30));
        check(350, 99, Duration::ZERO);
        check(5, 1, Duration::from_secs(30));
        check(5, 2, Duration::ZERO);
        check(0, 0, Duration::ZERO);
    }

    const POLICY: RetryPolicy = RetryPolicy {
        max_retries: 3,
        backoff_base: Duration::from_millis(500),
        max_retry_after: Duration::from_secs(60),
    };

    fn unavailable() -> Attempt {
        Attempt::Unavailable(SourceError::Unavailable("GET /products: HTTP 503".into()))
    }

    #[test]
    fn server_errors_back_off_exponentially_with_jitter() {
        let check = |retries_done: u32, jitter: f64, expected: Option<u64>| {
            let wait = POLICY.wait_before_retry(unavailable(), retries_done, jitter).ok();
            assert_eq!(wait, expected.map(Duration::from_millis), "retry {retries_done}, jitter {jitter}");
        };
        check(0, 0.0, Some(500));
        check(0, 0.999, Some(500));
        check(1, 1.0, Some(1000));
        check(2, 0.5, Some(1500));
        check(3, 0.5, None);
        let slow = RetryPolicy { max_retries: 10, ..POLICY };
        assert_eq!(slow.wait_before_retry(unavailable(), 8, 1.0).ok(), Some(Duration::from_secs(10)));
    }

    #[test]
    fn rate_limits_wait_exactly_retry_after_within_the_cap() {
        let limited = |seconds: Option<u64>| Attempt::RateLimited { retry_after: seconds.map(Duration::from_secs) };
        assert_eq!(POLICY.wait_before_retry(limited(Some(2)), 0, 0.9).ok(), Some(Duration::from_secs(2)));
        assert_eq!(POLICY.wait_before_retry(limited(Some(60)), 0, 0.9).ok(), Some(Duration::from_secs(60)));
        let too_long = POLICY.wait_before_retry(limited(Some(61)), 0, 0.9);
        assert!(
            matches!(too_long, Err(SourceError::RateLimited { retry_after: Some(wait) }) if wait == Duration::from_secs(61)),
            "{too_long:?}"
        );
        let used_up = POLICY.wait_before_retry(limited(Some(1)), 3, 0.9);
        assert!(matches!(used_up, Err(SourceError::RateLimited { retry_after: Some(_) })), "{used_up:?}");
        assert_eq!(POLICY.wait_before_retry(limited(None), 0, 0.0).ok(), Some(Duration::from_millis(500)));
    }

    #[test]
    fn answers_are_classified_by_status() {
        let check = |status: u16, expected: &str| {
            let status = StatusCode::from_u16(status).unwrap_or_else(|e| panic!("{e}"));
            let attempt = classify("GET /products", status, None, r#"{"error":"Nope","message":"no"}"#);
            let actual = match attempt {
                Attempt::Fatal(SourceError::Credentials(_)) => "credentials",
                Attempt::Unauthorized(SourceError::Credentials(_)) => "unauthorized",
                Attempt::RateLimited { .. } => "rate limited",
                Attempt::Unavailable(SourceError::Unavailable(_)) => "unavailable",
                Attempt::Fatal(SourceError::Invalid(_)) => "invalid",
                other => panic!("{status}: {other:?}"),
            };
            assert_eq!(actual, expected, "{status}");
        };
        check(401, "unauthorized");
        check(403, "credentials");
        check(429, "rate limited");
        check(500, "unavailable");
        check(502, "unavailable");
        check(503, "unavailable");
        check(408, "unavailable");
        check(400, "invalid");
        check(404, "invalid");
    }

    #[test]
    fn complaints_quote_lightspeed_or_the_start_of_the_body() {
        assert_eq!(
            complaint(r#"{"error":"Too Many Requests","message":"Rate limiting enforced"}"#),
            "Too Many Requests (Rate limiting enforced)"
        );
        assert_eq!(complaint(r#"{"error":"invalid_grant","error_description":"bad"}"#), "invalid_grant (bad)");
        assert_eq!(complaint("<html>Bad Gateway</html>"), "\"<html>Bad Gateway</html>\"");
        assert_eq!(complaint(""), "(empty body)");
    }
}
