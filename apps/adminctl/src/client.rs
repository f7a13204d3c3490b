//! A thin admin API client: mints a fresh short-lived token per request and
//! turns error replies into [`Failure`]s that print well.

use chrono::{Duration, Utc};
use frontdesk_auth::{Scope, TokenSecret};
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// Tokens minted by adminctl live this long: enough for one request.
const TOKEN_LIFETIME: Duration = Duration::seconds(60);

#[derive(Debug)]
pub enum Failure {
    /// The gateway said no (exit 1).
    Refused(String),
    /// Bad usage or local input (exit 2).
    Usage(String),
    /// The gateway could not be reached (exit 3).
    Unreachable(String),
}

impl Failure {
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Refused(_) => 1,
            Failure::Usage(_) => 2,
            Failure::Unreachable(_) => 3,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            Failure::Refused(m) | Failure::Usage(m) | Failure::Unreachable(m) => m,
        }
    }
}

pub struct AdminClient {
    base: String,
    http: reqwest::Client,
    secret: TokenSecret,
}

impl AdminClient {
    pub fn new(base: &str, secret: TokenSecret) -> Result<AdminClient, Failure> {
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(Failure::Usage(format!("error: --url {base:?} must start with http:// or https://")));
        }
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(|e| Failure::Usage(format!("error: cannot build an HTTP client: {e}")))?;
        Ok(AdminClient { base: base.trim_end_matches('/').to_owned(), http, secret })
    }

    pub async fn get(&self, path: &str) -> Result<Value, Failure> {
        self.send(Method::GET, path, None).await.map(|(_, body)| body)
    }

    /// `None` when the gateway answers 404.
    pub async fn get_if_found(&self, path: &str) -> Result<Option<Value>, Failure> {
        match self.send(Method::GET, path, None).await {
            Ok((_, body)) => Ok(Some(body)),
            Err(Failure::Refused(message)) if message.ends_with("(404)") || message.contains("(404)\n") => Ok(None),
            Err(failure) => Err(failure),
        }
    }

    pub async fn delete(&self, path: &str) -> Result<Value, Failure> {
        self.send(Method::DELETE, path, None).await.map(|(_, body)| body)
    }

    pub async fn post(&self, path: &str, body: Option<&Value>) -> Result<Value, Failure> {
        self.send(Method::POST, path, body).await.map(|(_, body)| body)
    }

    /// Returns the status too: 201 created, 200 replaced.
    pub async fn put(&self, path: &str, body: &Value) -> Result<(u16, Value), Failure> {
        self.send(Method::PUT, path, Some(body)).await
    }

    async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Result<(u16, Value), Failure> {
        let token = self
            .secret
            .mint(&actor(), &Scope::Admin, TOKEN_LIFETIME, Utc::now())
            .map_err(|e| Failure::Usage(format!("error: cannot mint a token: {e}")))?;
        let url = format!("{}{path}", self.base);
        let mut request = self.http.request(method, &url).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| Failure::Unreachable(format!("error: cannot reach the gateway at {}: {e}", self.base)))?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if status.is_success() {
            return Ok((status.as_u16(), json));
        }
        Err(Failure::Refused(describe_error(status, &json, &text)))
    }
}

/// `error: the document has 2 problems (422)` followed by one line per detail.
fn describe_error(status: StatusCode, json: &Value, raw: &str) -> String {
    let error = &json["error"];
    let message = error["message"].as_str().map(str::to_owned).unwrap_or_else(|| raw.chars().take(200).collect());
    let mut out = format!("error: {message} ({})", status.as_u16());
    for detail in error["details"].as_array().into_iter().flatten() {
        match (detail["field"].as_str(), detail["start"].as_str()) {
            (Some(field), _) => out.push_str(&format!("\n  {field}: {}", detail["message"].as_str().unwrap_or("?"))),
            (None, Some(start)) => out.push_str(&format!(
                "\n  free instead: {start}{}",
                detail["staff"].as_str().map(|s| format!(" with {s}")).unwrap_or_default()
            )),
            (None, None) => out.push_str(&format!("\n  {detail}")),
        }
    }
    out
}

/// Query-string encoding for the few characters service names contain.
pub(crate) fn encode(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Who is running adminctl, as the audit log records it: `adminctl:USER@HOST`
/// (`FRONTDESK_ADMIN_ACTOR` overrides it, for automation).
pub fn actor() -> String {
    if let Ok(actor) = std::env::var("FRONTDESK_ADMIN_ACTOR")
        && !actor.trim().is_empty()
    {
        return actor.trim().to_owned();
    }
    let user = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "unknown".to_owned());
    let host = std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_owned()).unwrap_or_default();
    if host.is_empty() { format!("adminctl:{user}") } else { format!("adminctl:{user}@{host}") }
}
