//! What every request shares: where the API is, the key, the deadline, and
//! which failures are worth another attempt.
//!
//! A 408, 409, 429 for a rate limit (never for `insufficient_quota`) or 5xx
//! is retried a bounded number of times, after `retry-after-ms`,
//! `retry-after` or a jittered backoff, and an `x-should-retry` header has
//! the last word. No wait passes the caller's deadline: the failure in hand
//! is returned instead.

use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

/// OpenAI's API.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
/// Inputs per embeddings request at most (OpenAI's limit).
pub const MAX_INPUTS_PER_REQUEST: usize = 2_048;
/// The default embedding model and the dimensions asked of it.
pub const DEFAULT_EMBED_MODEL: &str = "text-embedding-3-small";
pub const DEFAULT_EMBED_DIMS: usize = 512;
/// The default chat model: the cheapest of the GPT-5.x tier that takes
/// `reasoning_effort: "none"` (quick enough for a phone turn).
pub const DEFAULT_CHAT_MODEL: &str = "gpt-5.6-luna";
/// A wait longer than this is not waited for: the error is returned.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(8);

/// Where the API is and who we are to it.
#[derive(Debug, Clone)]
pub struct OpenAiConfig {
    pub api_key: SecretString,
    /// Without a trailing slash, ending in the API version (`…/v1`).
    pub base_url: String,
    /// For each attempt, connecting and a streamed body included.
    pub timeout: Duration,
    /// Retries after the first attempt.
    pub retries: u32,
    pub embed_model: String,
    /// Asked of `-3-` models (`dimensions`); vectors are scaled to unit
    /// length again after. `None` takes the model's own size.
    pub embed_dims: Option<usize>,
    /// For chat requests that name no model.
    pub chat_model: String,
}

impl OpenAiConfig {
    pub fn new(api_key: impl Into<SecretString>) -> OpenAiConfig {
        OpenAiConfig {
            api_key: api_key.into(),
            base_url: DEFAULT_BASE_URL.to_owned(),
            timeout: Duration::from_secs(20),
            retries: 2,
            embed_model: DEFAULT_EMBED_MODEL.to_owned(),
            embed_dims: Some(DEFAULT_EMBED_DIMS),
            chat_model: DEFAULT_CHAT_MODEL.to_owned(),
        }
    }
}

/// Why the client could not be built (a startup error, never a secret).
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("the OpenAI base URL {0:?} is not an http(s) URL")]
    BaseUrl(String),
    #[error("the OpenAI API key is empty")]
    Key,
    #[error("could not build the HTTP client for OpenAI: {0}")]
    HttpClient(#[source] reqwest::Error),
}

/// Why a request failed, classified for whoever decides what to do next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenAiError {
    /// 429 `rate_limit_exceeded` (after the retries): later.
    #[error("rate limited by the model provider: {0}")]
    RateLimited(String),
    /// 5xx, timeouts, a passed deadline, connection failures, a stream cut
    /// short (after the retries): later.
    #[error("the model provider is unavailable: {0}")]
    Unavailable(String),
    /// 429 `insufficient_quota`: no retry helps until the account is topped up.
    #[error("the model provider's quota is used up: {0}")]
    Quota(String),
    /// 4xx: the key, the model or the request is wrong; the provider's
    /// message says which.
    #[error("the model provider refused the request: {0}")]
    Refused(String),
    /// A 2xx whose body does not add up.
    #[error("the model provider's reply is unusable: {0}")]
    Invalid(String),
}

impl OpenAiError {
    /// Whether another attempt may pass (the provider may still say no
    /// with `x-should-retry`).
    pub(crate) fn may_pass(&self) -> bool {
        matches!(self, OpenAiError::RateLimited(_) | OpenAiError::Unavailable(_))
    }
}

/// An OpenAI (or compatible) API client. `Debug` never shows the key.
pub struct OpenAi {
    http: reqwest::Client,
    base_url: String,
    api_key: SecretString,
    retries: u32,
    pub(crate) embed_model: String,
    pub(crate) embed_dims: Option<usize>,
    pub(crate) model_id: String,
    pub(crate) chat_model: String,
}

impl std::fmt::Debug for OpenAi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAi")
            .field("base_url", &self.base_url)
            .field("model", &self.model_id)
            .field("chat_model", &self.chat_model)
            .finish_non_exhaustive()
    }
}

/// OpenAI's error body, `{"error": {"message", "type", "param", "code"}}`;
/// also what a stream sends when it fails midway.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ErrorReply {
    pub(crate) error: Option<ErrorBody>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ErrorBody {
    message: Option<String>,
    code: Option<serde_json::Value>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

impl ErrorBody {
    /// `code`, else `type` (`insufficient_quota` comes as either).
    fn code(&self) -> Option<String> {
        self.code.as_ref().and_then(|c| c.as_str().map(str::to_owned)).or_else(|| self.kind.clone())
    }
}

/// One attempt that did not succeed, and whether another may.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) error: OpenAiError,
    pub(crate) retry: bool,
    /// What the provider asked us to wait, if it said.
    pub(crate) wait: Option<Duration>,
}

impl Failure {
    /// Retried when its kind may pass.
    pub(crate) fn new(error: OpenAiError) -> Failure {
        Failure { retry: error.may_pass(), error, wait: None }
    }

    /// Never retried.
    pub(crate) fn fatal(error: OpenAiError) -> Failure {
        Failure { error, retry: false, wait: None }
    }
}

impl OpenAi {
    pub fn new(config: OpenAiConfig) -> Result<OpenAi, SetupError> {
        let base_url = config.base_url.trim_end_matches('/').to_owned();
        if !Url::parse(&base_url).is_ok_and(|url| matches!(url.scheme(), "http" | "https")) {
            return Err(SetupError::BaseUrl(config.base_url));
        }
        if config.api_key.expose_secret().trim().is_empty() {
            return Err(SetupError::Key);
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .build()
            .map_err(SetupError::HttpClient)?;
        let model_id = match config.embed_dims {
            Some(dims) => format!("{}@{dims}", config.embed_model),
            None => config.embed_model.clone(),
        };
        Ok(OpenAi {
            http,
            base_url,
            api_key: config.api_key,
            retries: config.retries,
            embed_model: config.embed_model,
            embed_dims: config.embed_dims,
            model_id,
            chat_model: config.chat_model,
        })
    }

    /// `work` (attempts and the waits between them), given up with
    /// `Unavailable` when `deadline` passes.
    pub(crate) async fn within<T>(
        &self,
        deadline: Option<Instant>,
        work: impl Future<Output = Result<T, OpenAiError>>,
    ) -> Result<T, OpenAiError> {
        let Some(deadline) = deadline else { return work.await };
        tokio::time::timeout_at(deadline, work)
            .await
            .unwrap_or_else(|_| Err(OpenAiError::Unavailable("no complete reply before the deadline".to_owned())))
    }

    /// After a failed attempt: waits before the next one, or gives the
    /// error back when it cannot pass, the retries are used up, or the wait
    /// is too long or would pass `deadline`.
    pub(crate) async fn wait_to_retry(
        &self,
        failure: Failure,
        retry: &mut u32,
        deadline: Option<Instant>,
    ) -> Result<(), OpenAiError> {
        if !failure.retry || *retry >= self.retries {
            return Err(failure.error);
        }
        let wait = failure.wait.unwrap_or_else(|| backoff(*retry));
        let passes_deadline = deadline.is_some_and(|deadline| Instant::now() + wait >= deadline);
        if wait > MAX_RETRY_WAIT || passes_deadline {
            return Err(failure.error);
        }
        let error = &failure.error;
        tracing::warn!(%error, retry = *retry, wait_ms = wait.as_millis() as u64, "retrying a model provider request");
        tokio::time::sleep(wait).await;
        *retry += 1;
        Ok(())
    }

    /// POSTs JSON to `{base}/{path}` once: the response if it is a 2xx,
    /// else the failure classified (its body read, the key never in it).
    pub(crate) async fn send(&self, path: &str, body: &impl Serialize) -> Result<reqwest::Response, Failure> {
        self.send_with(path, |request| request.json(body)).await
    }

    /// POSTs to `{base}/{path}` once with the body `attach` sets (a
    /// multipart form, say), classified as [`OpenAi::send`] does.
    pub(crate) async fn send_with(
        &self,
        path: &str,
        attach: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, Failure> {
        let url = format!("{}/{path}", self.base_url);
        let sent = attach(self.http.post(&url).bearer_auth(self.api_key.expose_secret())).send().await;
        let response = sent.map_err(|e| self.transport_failure(&e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let headers = response.headers().clone();
        let text = response.text().await.map_err(|e| self.transport_failure(&e))?;
        let error = self.redacted(classify(status, &text));
        let retry = match headers.get("x-should-retry").and_then(|v| v.to_str().ok()) {
            Some("true") => !matches!(error, OpenAiError::Quota(_)),
            Some("false") => false,
            _ => error.may_pass(),
        };
        let request_id = headers.get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
        tracing::debug!(%error, request_id, retry, "the model provider said no");
        Err(Failure { error, retry, wait: retry_after(&headers) })
    }

    /// A connection that failed, timed out or was cut: retried.
    pub(crate) fn transport_failure(&self, error: &reqwest::Error) -> Failure {
        Failure::new(OpenAiError::Unavailable(self.redact(describe_transport(error))))
    }

    /// Mid-stream error objects carry no status: their `code` and `type`
    /// decide, and an unknown one counts as an outage.
    pub(crate) fn stream_error(&self, body: ErrorBody) -> OpenAiError {
        let code = body.code.as_ref().and_then(|c| c.as_str()).unwrap_or("").to_owned();
        let kind = body.kind.clone().unwrap_or_default();
        let described = self.redact(describe(body.message.clone().unwrap_or_default(), body.code().as_deref(), None));
        let is = |names: &[&str]| names.contains(&code.as_str()) || names.contains(&kind.as_str());
        if is(&["insufficient_quota"]) {
            OpenAiError::Quota(described)
        } else if is(&["rate_limit_exceeded", "rate_limit_error", "requests", "tokens"]) {
            OpenAiError::RateLimited(described)
        } else if is(&["invalid_request_error", "authentication_error", "permission_error", "invalid_api_key"]) {
            OpenAiError::Refused(described)
        } else {
            OpenAiError::Unavailable(described)
        }
    }

    fn redacted(&self, error: OpenAiError) -> OpenAiError {
        match error {
            OpenAiError::RateLimited(m) => OpenAiError::RateLimited(self.redact(m)),
            OpenAiError::Unavailable(m) => OpenAiError::Unavailable(self.redact(m)),
            OpenAiError::Quota(m) => OpenAiError::Quota(self.redact(m)),
            OpenAiError::Refused(m) => OpenAiError::Refused(self.redact(m)),
            OpenAiError::Invalid(m) => OpenAiError::Invalid(self.redact(m)),
        }
    }

    /// A compatible server may echo the key back in its message
    /// ("Incorrect API key provided: …"); it never goes further.
    fn redact(&self, text: String) -> String {
        let key = self.api_key.expose_secret();
        if key.is_empty() || !text.contains(key) { text } else { text.replace(key, "[redacted]") }
    }
}

/// What a non-2xx reply means.
fn classify(status: StatusCode, text: &str) -> OpenAiError {
    let body: ErrorReply = serde_json::from_str(text).unwrap_or_default();
    let error = body.error.unwrap_or_default();
    let code = error.code();
    let message = error.message.unwrap_or_else(|| text.chars().take(200).collect());
    let described = describe(message, code.as_deref(), Some(status));
    match status {
        StatusCode::TOO_MANY_REQUESTS if code.as_deref() == Some("insufficient_quota") => OpenAiError::Quota(described),
        StatusCode::TOO_MANY_REQUESTS => OpenAiError::RateLimited(described),
        StatusCode::REQUEST_TIMEOUT | StatusCode::CONFLICT => OpenAiError::Unavailable(described),
        status if status.is_server_error() => OpenAiError::Unavailable(described),
        _ => OpenAiError::Refused(described),
    }
}

/// `message (code, HTTP status)`, whichever of the two are known.
fn describe(message: String, code: Option<&str>, status: Option<StatusCode>) -> String {
    match (code, status) {
        (Some(code), Some(status)) => format!("{message} ({code}, HTTP {})", status.as_u16()),
        (None, Some(status)) => format!("{message} (HTTP {})", status.as_u16()),
        (Some(code), None) => format!("{message} ({code})"),
        (None, None) => message,
    }
}

/// `retry-after-ms`, else `retry-after` in seconds.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let read = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<f64>().ok());
    if let Some(ms) = read("retry-after-ms").filter(|ms| *ms >= 0.0) {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    read(RETRY_AFTER.as_str()).filter(|s| *s >= 0.0).map(Duration::from_secs_f64)
}

/// 0.5 s · 2ⁿ with up to a quarter of jitter.
fn backoff(attempt: u32) -> Duration {
    let base = Duration::from_millis(500).saturating_mul(1 << attempt.min(4));
    base.mul_f64(1.0 - fastrand::f64() * 0.25)
}

fn describe_transport(error: &reqwest::Error) -> String {
    let what = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    // The URL carries nothing secret, but keep log lines short and uniform.
    let mut text = error.to_string();
    if let Some(url) = error.url() {
        text = text.replace(url.as_str(), "<url>");
    }
    format!("{what}: {text}")
}
