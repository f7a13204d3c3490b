//! A small client for the two Twilio REST calls Frontdesk makes: sending a
//! text (the [`Messaging`] port) and replacing a live call's TwiML.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use frontdesk_messaging::{Messaging, MessagingError, OutboundSms, SentSms};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// Twilio's production API.
pub const DEFAULT_BASE_URL: &str = "https://api.twilio.com";
/// Twilio's numbers API (porting, portability).
pub const DEFAULT_NUMBERS_BASE_URL: &str = "https://numbers.twilio.com";
/// Twilio's messaging API (messaging services, A2P 10DLC registration).
pub const DEFAULT_MESSAGING_BASE_URL: &str = "https://messaging.twilio.com";
/// Twilio's TrustHub API (business profiles behind A2P brands).
pub const DEFAULT_TRUSTHUB_BASE_URL: &str = "https://trusthub.twilio.com";
/// Twilio usually answers in well under a second; a text that cannot be
/// handed over in 10 s is retried later rather than holding up a worker.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

const API_VERSION: &str = "2010-04-01";

/// Twilio error codes that mean the recipient number cannot get texts.
const INVALID_NUMBER_CODES: &[u64] = &[
    21211, // invalid 'To' phone number
    21408, // permission to send to this region is not enabled
    21614, // 'To' number is not a valid mobile number
];
const OPTED_OUT_CODE: u64 = 21610;
const TOO_MANY_REQUESTS_CODE: u64 = 20429;
const NOT_FOUND_CODE: u64 = 20404;
const CALL_NOT_IN_PROGRESS_CODE: u64 = 21220;

/// Which account to act as, and where Twilio is.
#[derive(Debug, Clone)]
pub struct TwilioRestConfig {
    /// `AC…`.
    pub account_sid: String,
    pub auth_token: SecretString,
    /// Without a trailing slash; tests point it at a local fake.
    pub base_url: String,
    /// `numbers.twilio.com`; its paths are disjoint from the others', so one
    /// fake may serve every host.
    pub numbers_base_url: String,
    /// `messaging.twilio.com`.
    pub messaging_base_url: String,
    /// `trusthub.twilio.com`.
    pub trusthub_base_url: String,
    /// Sent as `StatusCallback` with every text, so delivery reports arrive.
    pub status_callback: Option<String>,
    /// Limit for each request, connecting included.
    pub timeout: Duration,
}

impl TwilioRestConfig {
    /// Production base URL, no status callback, [`DEFAULT_TIMEOUT`].
    pub fn new(account_sid: impl Into<String>, auth_token: impl Into<SecretString>) -> TwilioRestConfig {
        TwilioRestConfig {
            account_sid: account_sid.into(),
            auth_token: auth_token.into(),
            base_url: DEFAULT_BASE_URL.to_owned(),
            numbers_base_url: DEFAULT_NUMBERS_BASE_URL.to_owned(),
            messaging_base_url: DEFAULT_MESSAGING_BASE_URL.to_owned(),
            trusthub_base_url: DEFAULT_TRUSTHUB_BASE_URL.to_owned(),
            status_callback: None,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// Why the client could not be built (a startup error).
#[derive(Debug, thiserror::Error)]
pub enum TwilioSetupError {
    #[error("the Twilio account SID {0:?} is not a Twilio SID (letters and digits, e.g. AC0123…)")]
    AccountSid(String),
    #[error("the Twilio base_url {0:?} is not an http(s) URL")]
    BaseUrl(String),
    #[error("could not build the HTTP client for Twilio: {0}")]
    HttpClient(#[source] reqwest::Error),
}

/// Why a live call's instructions were not replaced.
#[derive(Debug, thiserror::Error)]
pub enum CallUpdateError {
    /// The call has already ended or never existed (HTTP 404, Twilio 20404
    /// or 21220): final, and usually nothing to do.
    #[error("the call is no longer in progress: {0}")]
    CallEnded(String),
    /// 429 (Twilio 20429): retry later.
    #[error("rate limited by Twilio")]
    RateLimited { retry_after: Option<Duration> },
    /// 5xx, timeouts, connection failures: retry while the call lasts.
    #[error("Twilio is unavailable: {0}")]
    Unavailable(String),
    /// Any other refusal (bad credentials, invalid TwiML, …): final.
    #[error("Twilio refused the call update: {0}")]
    Rejected(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Why Twilio's record of a call could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CallFetchError {
    /// 429 (Twilio 20429): retry later.
    #[error("rate limited by Twilio")]
    RateLimited { retry_after: Option<Duration> },
    /// 5xx, timeouts, connection failures: retry later.
    #[error("Twilio is unavailable: {0}")]
    Unavailable(String),
    /// Any other refusal (bad credentials, …): final.
    #[error("Twilio refused to show the call: {0}")]
    Rejected(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// What Twilio's Call resource says about a call (only what we use).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallResource {
    /// `queued`, `ringing`, `in-progress`, `completed`, `busy`, `failed`,
    /// `no-answer` or `canceled`.
    pub status: String,
    /// Whole seconds, once the call has ended (Twilio sends it as a string,
    /// `null` before).
    pub duration_secs: Option<u32>,
}

/// Twilio's REST API for one account. Cheap to share as
/// `Arc<dyn Messaging>`; `Debug` never shows the auth token.
pub struct TwilioRest {
    pub(crate) http: reqwest::Client,
    pub(crate) api_base: String,
    pub(crate) account_url: String,
    pub(crate) account_sid: String,
    pub(crate) auth_token: SecretString,
    status_callback: Option<String>,
    pub(crate) numbers_base: String,
    pub(crate) messaging_base: String,
    pub(crate) trusthub_base: String,
}

impl TwilioRest {
    pub fn new(config: TwilioRestConfig) -> Result<TwilioRest, TwilioSetupError> {
        if !is_sid(&config.account_sid) {
            return Err(TwilioSetupError::AccountSid(config.account_sid));
        }
        let base = |raw: &str| -> Result<String, TwilioSetupError> {
            let trimmed = raw.trim_end_matches('/');
            if Url::parse(trimmed).is_ok_and(|url| matches!(url.scheme(), "http" | "https")) {
                Ok(trimmed.to_owned())
            } else {
                Err(TwilioSetupError::BaseUrl(raw.to_owned()))
            }
        };
        let base_url = base(&config.base_url)?;
        let numbers_base = base(&config.numbers_base_url)?;
        let messaging_base = base(&config.messaging_base_url)?;
        let trusthub_base = base(&config.trusthub_base_url)?;
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            // Twilio does not redirect API calls; following one would turn a POST into a GET.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(TwilioSetupError::HttpClient)?;
        let account_url = format!("{base_url}/{API_VERSION}/Accounts/{}", config.account_sid);
        Ok(TwilioRest {
            http,
            api_base: base_url,
            account_url,
            account_sid: config.account_sid,
            auth_token: config.auth_token,
            status_callback: config.status_callback,
            numbers_base,
            messaging_base,
            trusthub_base,
        })
    }

    /// Replaces the instructions of a call in progress with `twiml` (a
    /// whole document, e.g. [`VoiceResponse::to_xml`](crate::twiml::VoiceResponse::to_xml)):
    /// `POST …/Calls/{call_sid}.json` with `Twiml=`.
    #[tracing::instrument(skip_all, fields(call_sid = %call_sid))]
    pub async fn update_call(&self, call_sid: &str, twiml: &str) -> Result<(), CallUpdateError> {
        if !is_sid(call_sid) {
            return Err(CallUpdateError::Rejected(format!("{call_sid:?} is not a Twilio call SID")));
        }
        let url = format!("{}/Calls/{call_sid}.json", self.account_url);
        let reply = self.post_form(&url, &[("Twiml", twiml)]).await.map_err(CallUpdateError::Unavailable)?;
        if reply.status.is_success() {
            return Ok(());
        }
        Err(match reply.failure() {
            Failure::RateLimited { retry_after } => CallUpdateError::RateLimited { retry_after },
            Failure::Unavailable(text) => CallUpdateError::Unavailable(text),
            Failure::Refused { status, code, text }
                if status == StatusCode::NOT_FOUND
                    || code == Some(NOT_FOUND_CODE)
                    || code == Some(CALL_NOT_IN_PROGRESS_CODE) =>
            {
                CallUpdateError::CallEnded(text)
            }
            Failure::Refused { text, .. } => CallUpdateError::Rejected(text),
            Failure::Unexpected(text) => CallUpdateError::Unexpected(anyhow::anyhow!(text)),
        })
    }

    /// Twilio's record of a call in this account: `GET …/Calls/{call_sid}.json`.
    /// `Ok(None)` when the account has no such call (a call to a tenant with
    /// its own Twilio account, say).
    #[tracing::instrument(skip_all, fields(call_sid = %call_sid))]
    pub async fn fetch_call(&self, call_sid: &str) -> Result<Option<CallResource>, CallFetchError> {
        if !is_sid(call_sid) {
            return Err(CallFetchError::Rejected(format!("{call_sid:?} is not a Twilio call SID")));
        }
        let url = format!("{}/Calls/{call_sid}.json", self.account_url);
        let response = self
            .http
            .get(&url)
            .basic_auth(&self.account_sid, Some(self.auth_token.expose_secret()))
            .send()
            .await
            .map_err(|e| CallFetchError::Unavailable(describe_transport_error(e)))?;
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let body = response.text().await.map_err(|e| CallFetchError::Unavailable(describe_transport_error(e)))?;
        let reply = Reply { status, retry_after, body };
        if reply.status.is_success() {
            let call: CallJson = serde_json::from_str(&reply.body)
                .map_err(|e| anyhow::anyhow!("Twilio's call record is unreadable: {e}"))?;
            let duration_secs = match call.duration {
                None => None,
                Some(raw) => Some(raw.seconds().ok_or_else(|| {
                    anyhow::anyhow!("Twilio's call record has a duration that is not whole seconds: {raw:?}")
                })?),
            };
            return Ok(Some(CallResource { status: call.status, duration_secs }));
        }
        Err(match reply.failure() {
            Failure::RateLimited { retry_after } => CallFetchError::RateLimited { retry_after },
            Failure::Unavailable(text) => CallFetchError::Unavailable(text),
            Failure::Refused { status, code, .. }
                if status == StatusCode::NOT_FOUND || code == Some(NOT_FOUND_CODE) =>
            {
                return Ok(None);
            }
            Failure::Refused { text, .. } => CallFetchError::Rejected(text),
            Failure::Unexpected(text) => CallFetchError::Unexpected(anyhow::anyhow!(text)),
        })
    }

    /// Sends one form POST and reads the answer whole; `Err` is a transport
    /// failure (timeout, connection), described.
    pub(crate) async fn post_form(&self, url: &str, form: &[(&str, &str)]) -> Result<Reply, String> {
        self.send(self.http.post(url).form(form)).await
    }

    /// Sends a request with the account's credentials and reads the answer
    /// whole; `Err` is a transport failure (timeout, connection), described.
    pub(crate) async fn send(&self, request: reqwest::RequestBuilder) -> Result<Reply, String> {
        let response = request
            .basic_auth(&self.account_sid, Some(self.auth_token.expose_secret()))
            .send()
            .await
            .map_err(describe_transport_error)?;
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let body = response.text().await.map_err(describe_transport_error)?;
        Ok(Reply { status, retry_after, body })
    }
}

impl fmt::Debug for TwilioRest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioRest")
            .field("account_url", &self.account_url)
            .field("status_callback", &self.status_callback)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Messaging for TwilioRest {
    #[tracing::instrument(skip_all, fields(tenant_id = %sms.tenant, to = sms.to.last_four()))]
    async fn send_sms(&self, sms: &OutboundSms) -> Result<SentSms, MessagingError> {
        let url = format!("{}/Messages.json", self.account_url);
        let mut form = vec![("To", sms.to.as_str()), ("From", sms.from.as_str()), ("Body", sms.body.as_str())];
        if let Some(status_callback) = &self.status_callback {
            form.push(("StatusCallback", status_callback.as_str()));
        }
        let reply = self.post_form(&url, &form).await.map_err(MessagingError::Unavailable)?;
        if reply.status.is_success() {
            let created: CreatedMessage = serde_json::from_str(&reply.body).map_err(|error| {
                // The text was probably accepted; say so, since retrying may send it twice.
                anyhow::anyhow!("Twilio accepted the text (HTTP {}) but its reply is unreadable: {error}", reply.status)
            })?;
            tracing::debug!(message_sid = %created.sid, status = %created.status, "text handed to Twilio");
            return Ok(SentSms { provider_id: created.sid, status: created.status });
        }
        Err(match reply.failure() {
            Failure::RateLimited { retry_after } => MessagingError::RateLimited { retry_after },
            Failure::Unavailable(text) => MessagingError::Unavailable(text),
            Failure::Refused { code: Some(code), text, .. } if INVALID_NUMBER_CODES.contains(&code) => {
                MessagingError::InvalidNumber(text)
            }
            Failure::Refused { code: Some(OPTED_OUT_CODE), text, .. } => MessagingError::OptedOut(text),
            Failure::Refused { text, .. } => MessagingError::Rejected(text),
            Failure::Unexpected(text) => MessagingError::Unexpected(anyhow::anyhow!(text)),
        })
    }
}

/// Twilio's Call resource (only what we read).
#[derive(Debug, Deserialize)]
struct CallJson {
    status: String,
    duration: Option<Seconds>,
}

/// Twilio writes durations as strings (`"42"`); accept a number too.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Seconds {
    Text(String),
    Number(u64),
}

impl Seconds {
    fn seconds(&self) -> Option<u32> {
        match self {
            Seconds::Text(text) => text.trim().parse().ok(),
            Seconds::Number(number) => u32::try_from(*number).ok(),
        }
    }
}

/// Twilio's answer to a created message (only what we keep).
#[derive(Debug, Deserialize)]
struct CreatedMessage {
    sid: String,
    status: String,
}

/// Twilio's error body: `{"code":21211,"message":…,"more_info":…,"status":400}`.
#[derive(Debug, Default, Deserialize)]
struct ErrorBody {
    code: Option<u64>,
    message: Option<String>,
    more_info: Option<String>,
}

/// An HTTP answer, read whole (Twilio's replies are small).
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) retry_after: Option<Duration>,
    pub(crate) body: String,
}

/// A non-2xx answer, classified once for every call.
pub(crate) enum Failure {
    RateLimited {
        retry_after: Option<Duration>,
    },
    Unavailable(String),
    /// A 4xx other than 429; `text` names Twilio's code and message.
    Refused {
        status: StatusCode,
        code: Option<u64>,
        text: String,
    },
    /// Neither success nor an HTTP error (1xx, 3xx).
    Unexpected(String),
}

impl Reply {
    pub(crate) fn failure(&self) -> Failure {
        // Error bodies are not guaranteed JSON (a proxy's 502 page, say).
        let error: ErrorBody = serde_json::from_str(&self.body).unwrap_or_default();
        let text = describe_error(self.status, &error, &self.body);
        if self.status == StatusCode::TOO_MANY_REQUESTS || error.code == Some(TOO_MANY_REQUESTS_CODE) {
            Failure::RateLimited { retry_after: self.retry_after }
        } else if self.status.is_server_error() {
            Failure::Unavailable(text)
        } else if self.status.is_client_error() {
            Failure::Refused { status: self.status, code: error.code, text }
        } else {
            Failure::Unexpected(text)
        }
    }
}

/// `Twilio error 21211: The 'To' number … (HTTP 400; https://…)`.
fn describe_error(status: StatusCode, error: &ErrorBody, raw_body: &str) -> String {
    let what = match (error.code, &error.message) {
        (Some(code), Some(message)) => format!("Twilio error {code}: {message}"),
        (Some(code), None) => format!("Twilio error {code}"),
        (None, Some(message)) => format!("Twilio error: {message}"),
        (None, None) => {
            let excerpt: String = raw_body.chars().take(200).collect();
            format!("Twilio answered {excerpt:?}")
        }
    };
    let status = status.as_u16();
    match &error.more_info {
        Some(more_info) => format!("{what} (HTTP {status}; {more_info})"),
        None => format!("{what} (HTTP {status})"),
    }
}

pub(crate) fn describe_transport_error(error: reqwest::Error) -> String {
    let what = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    // reqwest's own message is generic; the cause (refused, reset, …) is in the source chain.
    let error = error.without_url();
    let mut text = format!("Twilio {what}: {error}");
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}

/// `Retry-After` in seconds; Twilio does not send the HTTP-date form.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds = headers.get(RETRY_AFTER)?.to_str().ok()?.trim().parse::<u64>().ok()?;
    Some(Duration::from_secs(seconds))
}

/// Twilio SIDs are two letters and 32 hex digits; anything alphanumeric is
/// accepted, which is enough to keep a SID from changing the URL's path.
pub(crate) fn is_sid(sid: &str) -> bool {
    !sid.is_empty() && sid.bytes().all(|byte| byte.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_text_names_code_message_and_status() {
        let error = ErrorBody {
            code: Some(21211),
            message: Some("The 'To' number +1555 is not a valid phone number.".into()),
            more_info: Some("https://www.twilio.com/docs/errors/21211".into()),
        };
        assert_eq!(
            describe_error(StatusCode::BAD_REQUEST, &error, ""),
            "Twilio error 21211: The 'To' number +1555 is not a valid phone number. \
             (HTTP 400; https://www.twilio.com/docs/errors/21211)"
        );
        assert_eq!(
            describe_error(StatusCode::BAD_GATEWAY, &ErrorBody::default(), "<html>bad gateway</html>"),
            "Twilio answered \"<html>bad gateway</html>\" (HTTP 502)"
        );
    }

    #[test]
    fn sids_cannot_reshape_the_path() {
        assert!(is_sid("CA0123456789abcdef0123456789abcdef"));
        for bad in ["", "CA1/../Messages", "CA1?x=1", "CA1#", "CA 1", "CA%2F"] {
            assert!(!is_sid(bad), "{bad:?}");
        }
    }
}
