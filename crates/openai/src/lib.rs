//! OpenAI's wire, and any OpenAI-compatible server's (Ollama, vLLM,
//! llama.cpp by base URL): embeddings for a shop's knowledge, behind the
//! domain's [`Embedder`] port. Nothing of the domain is decided here.
//!
//! Requests carry a Bearer key and a deadline. A 408, 409, 429 for a rate
//! limit (never for `insufficient_quota`) or 5xx is retried a bounded number
//! of times, after `retry-after-ms`, `retry-after` or a jittered backoff, and
//! an `x-should-retry` header has the last word. A reply that does not add
//! up (a vector missing, a dimension off) is an error, never a guess.

use std::time::Duration;

use async_trait::async_trait;
use frontdesk_rag::{EmbedError, Embedded, Embedder, unit_length};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;

/// OpenAI's API.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
/// Inputs per embeddings request at most (OpenAI's limit).
pub const MAX_INPUTS_PER_REQUEST: usize = 2_048;
/// The default embedding model and the dimensions asked of it.
pub const DEFAULT_EMBED_MODEL: &str = "text-embedding-3-small";
pub const DEFAULT_EMBED_DIMS: usize = 512;
/// A wait longer than this is not waited for: the error is returned.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(8);

/// Where the API is and who we are to it.
#[derive(Debug, Clone)]
pub struct OpenAiConfig {
    pub api_key: SecretString,
    /// Without a trailing slash, ending in the API version (`…/v1`).
    pub base_url: String,
    /// For each request, connecting included.
    pub timeout: Duration,
    /// Retries after the first attempt.
    pub retries: u32,
    pub embed_model: String,
    /// Asked of `-3-` models (`dimensions`); vectors are scaled to unit
    /// length again after. `None` takes the model's own size.
    pub embed_dims: Option<usize>,
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
    /// 5xx, timeouts, connection failures (after the retries): later.
    #[error("the model provider is unavailable: {0}")]
    Unavailable(String),
    /// 429 `insufficient_quota`: no retry helps until the account is topped up.
    #[error("the model provider's quota is used up: {0}")]
    Quota(String),
    /// 4xx: the key, the model or the request is wrong.
    #[error("the model provider refused the request: {0}")]
    Refused(String),
    /// A 2xx whose body does not add up.
    #[error("the model provider's reply is unusable: {0}")]
    Invalid(String),
}

impl From<OpenAiError> for EmbedError {
    fn from(error: OpenAiError) -> EmbedError {
        match error {
            OpenAiError::RateLimited(_) | OpenAiError::Unavailable(_) => EmbedError::Unavailable(error.to_string()),
            OpenAiError::Quota(_) | OpenAiError::Refused(_) | OpenAiError::Invalid(_) => {
                EmbedError::Refused(error.to_string())
            }
        }
    }
}

/// An OpenAI (or compatible) API client. `Debug` never shows the key.
pub struct OpenAi {
    http: reqwest::Client,
    base_url: String,
    api_key: SecretString,
    retries: u32,
    embed_model: String,
    embed_dims: Option<usize>,
    model_id: String,
}

impl std::fmt::Debug for OpenAi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAi")
            .field("base_url", &self.base_url)
            .field("model", &self.model_id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Deserialize)]
struct EmbeddingsReply {
    data: Vec<EmbeddingItem>,
    #[serde(default)]
    usage: Option<Usage>,
}

#[derive(Debug, Deserialize)]
struct EmbeddingItem {
    index: usize,
    embedding: Vec<f32>,
}

#[derive(Debug, Deserialize)]
struct Usage {
    #[serde(default)]
    total_tokens: u64,
}

#[derive(Debug, Default, Deserialize)]
struct ErrorReply {
    error: Option<ErrorBody>,
}

#[derive(Debug, Default, Deserialize)]
struct ErrorBody {
    message: Option<String>,
    code: Option<serde_json::Value>,
    #[serde(rename = "type")]
    kind: Option<String>,
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
        })
    }

    /// Embeds `texts` (each non-empty), in requests of at most
    /// [`MAX_INPUTS_PER_REQUEST`] inputs; one vector per text, in order.
    pub async fn embeddings(&self, texts: &[String]) -> Result<Embedded, OpenAiError> {
        let mut vectors = Vec::with_capacity(texts.len());
        let mut tokens = 0;
        for batch in texts.chunks(MAX_INPUTS_PER_REQUEST) {
            let mut body = json!({"model": self.embed_model, "input": batch, "encoding_format": "float"});
            if let Some(dims) = self.embed_dims {
                body["dimensions"] = json!(dims);
            }
            let text = self.post("embeddings", &body).await?;
            let reply: EmbeddingsReply =
                serde_json::from_str(&text).map_err(|e| OpenAiError::Invalid(format!("embeddings: {e}")))?;
            tokens += reply.usage.map_or(0, |usage| usage.total_tokens);
            let mut items = reply.data;
            items.sort_by_key(|item| item.index);
            let in_order = items.iter().enumerate().all(|(i, item)| item.index == i);
            if items.len() != batch.len() || !in_order {
                return Err(OpenAiError::Invalid(format!(
                    "{} embeddings for {} inputs (indexes {:?})",
                    items.len(),
                    batch.len(),
                    items.iter().map(|i| i.index).collect::<Vec<_>>()
                )));
            }
            for item in items {
                if let Some(dims) = self.embed_dims
                    && item.embedding.len() != dims
                {
                    return Err(OpenAiError::Invalid(format!(
                        "an embedding of {} dimensions, {dims} asked",
                        item.embedding.len()
                    )));
                }
                vectors.push(unit_length(item.embedding));
            }
        }
        Ok(Embedded { vectors, tokens })
    }

    /// POSTs JSON to `{base}/{path}`, retrying what may pass; the body of
    /// the first 2xx.
    async fn post(&self, path: &str, body: &serde_json::Value) -> Result<String, OpenAiError> {
        let url = format!("{}/{path}", self.base_url);
        let mut attempt = 0;
        loop {
            let sent = self.http.post(&url).bearer_auth(self.api_key.expose_secret()).json(body).send().await;
            let (failure, wait) = match sent {
                Err(error) => (OpenAiError::Unavailable(describe_transport(&error)), None),
                Ok(response) => {
                    let status = response.status();
                    let headers = response.headers().clone();
                    let text = response.text().await.map_err(|e| OpenAiError::Unavailable(describe_transport(&e)))?;
                    if status.is_success() {
                        return Ok(text);
                    }
                    let failure = classify(status, &text);
                    let retryable = match headers.get("x-should-retry").and_then(|v| v.to_str().ok()) {
                        Some("true") => !matches!(failure, OpenAiError::Quota(_)),
                        Some("false") => false,
                        _ => matches!(failure, OpenAiError::RateLimited(_) | OpenAiError::Unavailable(_)),
                    };
                    if !retryable {
                        return Err(failure);
                    }
                    (failure, retry_after(&headers))
                }
            };
            if attempt >= self.retries {
                return Err(failure);
            }
            let wait = wait.unwrap_or_else(|| backoff(attempt));
            if wait > MAX_RETRY_WAIT {
                return Err(failure);
            }
            tracing::warn!(%failure, attempt, wait_ms = wait.as_millis() as u64, "retrying a model provider request");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }
}

#[async_trait]
impl Embedder for OpenAi {
    fn model_id(&self) -> &str {
        &self.model_id
    }

    fn dims(&self) -> usize {
        self.embed_dims.unwrap_or(1536)
    }

    async fn embed(&self, texts: &[String]) -> Result<Embedded, EmbedError> {
        Ok(self.embeddings(texts).await?)
    }
}

/// What a non-2xx reply means.
fn classify(status: StatusCode, text: &str) -> OpenAiError {
    let body: ErrorReply = serde_json::from_str(text).unwrap_or_default();
    let error = body.error.unwrap_or_default();
    let code = error.code.as_ref().and_then(|c| c.as_str().map(str::to_owned)).or(error.kind.clone());
    let message = error.message.unwrap_or_else(|| text.chars().take(200).collect());
    let described = match &code {
        Some(code) => format!("{message} ({code}, HTTP {})", status.as_u16()),
        None => format!("{message} (HTTP {})", status.as_u16()),
    };
    match status {
        StatusCode::TOO_MANY_REQUESTS if code.as_deref() == Some("insufficient_quota") => OpenAiError::Quota(described),
        StatusCode::TOO_MANY_REQUESTS => OpenAiError::RateLimited(described),
        StatusCode::REQUEST_TIMEOUT | StatusCode::CONFLICT => OpenAiError::Unavailable(described),
        status if status.is_server_error() => OpenAiError::Unavailable(described),
        _ => OpenAiError::Refused(described),
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
