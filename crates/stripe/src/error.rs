//! What can go wrong talking to Stripe, classified once: whether a retry can
//! help, and what Stripe said.

use std::fmt;
use std::time::Duration;

use frontdesk_billing::ProviderError;
use serde::Deserialize;

/// Why a Stripe call did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum StripeError {
    /// Stripe answered with an error status (boxed: it carries a lot).
    #[error("{0}")]
    Api(Box<ApiError>),
    /// No answer: could not connect, timed out, or the connection dropped.
    #[error("{request}: could not reach Stripe: {message}")]
    Network { request: String, message: String },
    /// A success status whose body is not what Stripe documents. The call
    /// probably took effect; a retry with the same idempotency key replays
    /// the same reply, so it is not retried.
    #[error("{request}: Stripe answered HTTP {status} but its reply could not be read: {message}")]
    Decode { request: String, status: u16, message: String },
    /// Not sent: an argument Stripe would refuse (an idempotency key over
    /// 255 characters, a plan without a price in the catalog, …).
    #[error("{request}: not sent: {reason}")]
    NotSent { request: String, reason: String },
}

impl StripeError {
    /// Whether sending the same request again (same idempotency key) may
    /// succeed: network trouble, 409, 429 and 5xx, unless Stripe said
    /// otherwise with `Stripe-Should-Retry`.
    pub fn is_retryable(&self) -> bool {
        match self {
            StripeError::Api(error) => error.is_retryable(),
            StripeError::Network { .. } => true,
            StripeError::Decode { .. } | StripeError::NotSent { .. } => false,
        }
    }

    /// How long Stripe asked us to wait (`Retry-After`).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            StripeError::Api(error) => error.retry_after,
            _ => None,
        }
    }

    /// What Stripe said, when it answered with an error.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            StripeError::Api(error) => Some(error),
            _ => None,
        }
    }
}

impl From<StripeError> for ProviderError {
    fn from(error: StripeError) -> ProviderError {
        if error.is_retryable() {
            ProviderError::Retryable { retry_after: error.retry_after(), message: error.to_string() }
        } else {
            ProviderError::Permanent(error.to_string())
        }
    }
}

/// Stripe's answer to a failed request: the HTTP status, the `error` object
/// of the body (`{"error":{"type","code","message","param","doc_url"}}`)
/// and the headers that steer retries. Empty strings are read as absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// `POST /v1/customers`.
    pub request: String,
    pub status: u16,
    /// `api_error`, `card_error`, `idempotency_error`, `invalid_request_error`.
    pub error_type: Option<String>,
    /// `card_declined`, `resource_missing`, `resource_already_exists`, …
    pub code: Option<String>,
    /// The issuer's reason, on card errors.
    pub decline_code: Option<String>,
    /// Stripe's explanation; for a body that is not Stripe's JSON (a
    /// proxy's error page), the start of that body.
    pub message: Option<String>,
    /// The parameter at fault: `customer`, `items[0][price]`, ….
    pub param: Option<String>,
    pub doc_url: Option<String>,
    /// `Request-Id`, for Stripe support and the dashboard's logs.
    pub request_id: Option<String>,
    /// `Stripe-Should-Retry`, which overrides the status-based decision.
    pub should_retry: Option<bool>,
    /// `Retry-After`, in seconds.
    pub retry_after: Option<Duration>,
}

impl ApiError {
    /// Builds the error from an answer read whole.
    pub(crate) fn from_reply(request: &str, status: u16, headers: ReplyHeaders, body: &str) -> ApiError {
        match serde_json::from_str::<ErrorEnvelope>(body) {
            Ok(ErrorEnvelope { error }) => ApiError {
                request: request.to_owned(),
                status,
                error_type: non_empty(error.error_type),
                code: non_empty(error.code),
                decline_code: non_empty(error.decline_code),
                message: non_empty(error.message),
                param: non_empty(error.param),
                doc_url: non_empty(error.doc_url),
                request_id: headers.request_id,
                should_retry: headers.should_retry,
                retry_after: headers.retry_after,
            },
            Err(_) => {
                let excerpt: String = body.chars().take(200).collect();
                ApiError {
                    request: request.to_owned(),
                    status,
                    error_type: None,
                    code: None,
                    decline_code: None,
                    message: (!excerpt.trim().is_empty()).then(|| format!("non-Stripe answer {excerpt:?}")),
                    param: None,
                    doc_url: None,
                    request_id: headers.request_id,
                    should_retry: headers.should_retry,
                    retry_after: headers.retry_after,
                }
            }
        }
    }

    pub fn is_retryable(&self) -> bool {
        self.should_retry.unwrap_or(matches!(self.status, 409 | 429) || self.status >= 500)
    }

    /// A meter event refused because an event with its identifier was
    /// already recorded: Stripe answers 400 with "An event already exists
    /// with identifier …" (and, in some versions, the code
    /// `resource_already_exists`).
    pub(crate) fn is_duplicate_meter_identifier(&self) -> bool {
        if self.status != 400 {
            return false;
        }
        if self.code.as_deref() == Some("resource_already_exists") {
            return true;
        }
        self.message.as_deref().is_some_and(|message| {
            let message = message.to_ascii_lowercase();
            message.contains("already exists") && message.contains("identifier")
        })
    }
}

impl fmt::Display for ApiError {
    /// `POST /v1/customers: Stripe answered HTTP 400 invalid_request_error
    /// (code parameter_missing, param name): Missing required param: name.
    /// [request req_123; https://stripe.com/docs/error-codes/…]`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: Stripe answered HTTP {}", self.request, self.status)?;
        if let Some(error_type) = &self.error_type {
            write!(f, " {error_type}")?;
        }
        let details: Vec<String> = [
            self.code.as_ref().map(|code| format!("code {code}")),
            self.decline_code.as_ref().map(|decline_code| format!("decline_code {decline_code}")),
            self.param.as_ref().map(|param| format!("param {param}")),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !details.is_empty() {
            write!(f, " ({})", details.join(", "))?;
        }
        if let Some(message) = &self.message {
            write!(f, ": {message}")?;
        }
        let references: Vec<&str> =
            [self.request_id.as_deref(), self.doc_url.as_deref()].into_iter().flatten().collect();
        if !references.is_empty() {
            write!(f, " [{}]", references.join("; "))?;
        }
        Ok(())
    }
}

/// The headers of an answer that matter for errors and retries.
#[derive(Debug, Clone, Default)]
pub(crate) struct ReplyHeaders {
    pub(crate) request_id: Option<String>,
    pub(crate) should_retry: Option<bool>,
    pub(crate) retry_after: Option<Duration>,
}

impl ReplyHeaders {
    pub(crate) fn read(headers: &reqwest::header::HeaderMap) -> ReplyHeaders {
        let text = |name: &str| headers.get(name).and_then(|value| value.to_str().ok()).map(str::trim);
        ReplyHeaders {
            request_id: text("request-id").filter(|id| !id.is_empty()).map(str::to_owned),
            should_retry: match text("stripe-should-retry") {
                Some("true") => Some(true),
                Some("false") => Some(false),
                _ => None,
            },
            // Stripe sends seconds; the HTTP-date form is not used by its API.
            retry_after: text("retry-after").and_then(|seconds| seconds.parse::<u64>().ok()).map(Duration::from_secs),
        }
    }
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: ErrorObject,
}

#[derive(Deserialize)]
struct ErrorObject {
    #[serde(rename = "type", default)]
    error_type: Option<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    decline_code: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    param: Option<String>,
    #[serde(default)]
    doc_url: Option<String>,
}

fn non_empty(text: Option<String>) -> Option<String> {
    text.filter(|text| !text.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api_error(status: u16, body: &str, headers: ReplyHeaders) -> ApiError {
        ApiError::from_reply("POST /v1/customers", status, headers, body)
    }

    #[test]
    fn describes_a_stripe_error_fully() {
        let body = r#"{"error":{"code":"card_declined","decline_code":"insufficient_funds",
            "doc_url":"https://stripe.com/docs/error-codes/card-declined","message":"Your card has insufficient funds.",
            "param":"","request_log_url":"https://dashboard.stripe.com/test/logs/req_1","type":"card_error"}}"#;
        let headers = ReplyHeaders { request_id: Some("req_1".into()), ..ReplyHeaders::default() };
        let error = api_error(402, body, headers);
        assert_eq!(error.param, None);
        assert_eq!(
            error.to_string(),
            "POST /v1/customers: Stripe answered HTTP 402 card_error (code card_declined, decline_code insufficient_funds): \
             Your card has insufficient funds. [req_1; https://stripe.com/docs/error-codes/card-declined]"
        );
    }

    #[test]
    fn describes_answers_that_are_not_stripe_json() {
        let error = api_error(502, "<html>Bad Gateway</html>", ReplyHeaders::default());
        assert_eq!(
            error.to_string(),
            "POST /v1/customers: Stripe answered HTTP 502: non-Stripe answer \"<html>Bad Gateway</html>\""
        );
        let error = api_error(503, "", ReplyHeaders::default());
        assert_eq!(error.to_string(), "POST /v1/customers: Stripe answered HTTP 503");
    }

    #[test]
    fn decides_retries_from_status_unless_stripe_says_otherwise() {
        let check = |status: u16, should_retry: Option<bool>, expected: bool| {
            let headers = ReplyHeaders { should_retry, ..ReplyHeaders::default() };
            let error = api_error(status, "{}", headers);
            assert_eq!(error.is_retryable(), expected, "HTTP {status}, Stripe-Should-Retry {should_retry:?}");
        };
        check(400, None, false);
        check(401, None, false);
        check(402, None, false);
        check(404, None, false);
        check(409, None, true);
        check(429, None, true);
        check(500, None, true);
        check(503, None, true);
        check(500, Some(false), false);
        check(409, Some(false), false);
        check(400, Some(true), true);
    }

    #[test]
    fn recognises_duplicate_meter_identifiers() {
        let check = |status: u16, body: &str, expected: bool| {
            let error = api_error(status, body, ReplyHeaders::default());
            assert_eq!(error.is_duplicate_meter_identifier(), expected, "HTTP {status} {body}");
        };
        let by_message = r#"{"error":{"type":"invalid_request_error","message":"An event already exists with identifier usage-0001."}}"#;
        let by_code =
            r#"{"error":{"type":"invalid_request_error","code":"resource_already_exists","message":"Duplicate."}}"#;
        check(400, by_message, true);
        check(400, by_code, true);
        check(409, by_message, false);
        check(400, r#"{"error":{"type":"invalid_request_error","message":"No such customer: 'cus_1'"}}"#, false);
        check(
            400,
            r#"{"error":{"type":"invalid_request_error","message":"A meter with this event_name already exists."}}"#,
            false,
        );
    }

    #[test]
    fn maps_to_provider_errors() {
        let rate_limited = r#"{"error":{"code":"rate_limit","message":"Request rate limit exceeded.","type":"invalid_request_error"}}"#;
        let retryable = StripeError::Api(Box::new(api_error(
            429,
            rate_limited,
            ReplyHeaders { retry_after: Some(Duration::from_secs(2)), ..ReplyHeaders::default() },
        )));
        match ProviderError::from(retryable) {
            ProviderError::Retryable { retry_after, message } => {
                assert_eq!(retry_after, Some(Duration::from_secs(2)));
                assert_eq!(
                    message,
                    "POST /v1/customers: Stripe answered HTTP 429 invalid_request_error (code rate_limit): \
                     Request rate limit exceeded."
                );
            }
            other => panic!("expected Retryable, got {other:?}"),
        }
        let network = StripeError::Network { request: "POST /v1/customers".into(), message: "timed out".into() };
        assert!(matches!(ProviderError::from(network), ProviderError::Retryable { retry_after: None, .. }));
        let decode = StripeError::Decode { request: "POST /v1/customers".into(), status: 200, message: "eof".into() };
        assert!(matches!(ProviderError::from(decode), ProviderError::Permanent(_)));
    }

    #[test]
    fn reads_retry_headers() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("Request-Id", "req_abc".parse().expect("valid header"));
        headers.insert("Stripe-Should-Retry", "false".parse().expect("valid header"));
        headers.insert("Retry-After", " 3 ".parse().expect("valid header"));
        let read = ReplyHeaders::read(&headers);
        assert_eq!(read.request_id.as_deref(), Some("req_abc"));
        assert_eq!(read.should_retry, Some(false));
        assert_eq!(read.retry_after, Some(Duration::from_secs(3)));

        headers.insert("Stripe-Should-Retry", "maybe".parse().expect("valid header"));
        headers.insert("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT".parse().expect("valid header"));
        let read = ReplyHeaders::read(&headers);
        assert_eq!((read.should_retry, read.retry_after), (None, None));
    }
}
