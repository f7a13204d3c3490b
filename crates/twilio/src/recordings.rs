//! A call recording's audio: `GET {RecordingUrl}.mp3` with the account's
//! credentials (HTTP Basic, `AccountSid:AuthToken`: accounts that enforce
//! authentication on media require it).
//!
//! The URL comes from a webhook, so it is checked before anything is sent:
//! only a recording's path on Twilio's own API host (the configured base
//! URL: scheme, host and port) is fetched, rebuilt from its parts; any
//! other URL is refused without a request, so the credentials never go
//! anywhere else. Twilio may answer with a redirect to short-lived storage:
//! it is followed once, without the credentials.

use reqwest::header::{CONTENT_TYPE, LOCATION};
use reqwest::{StatusCode, Url};
use secrecy::ExposeSecret;

use crate::rest::{Failure, Reply, TwilioRest, describe_transport_error, is_sid, retry_after};

const API_VERSION: &str = "2010-04-01";

/// A recording's audio as Twilio served it.
#[derive(Clone, PartialEq, Eq)]
pub struct RecordingMedia {
    pub bytes: Vec<u8>,
    /// The `Content-Type` Twilio sent (`audio/mpeg`), if any.
    pub content_type: Option<String>,
}

impl std::fmt::Debug for RecordingMedia {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordingMedia")
            .field("bytes", &self.bytes.len())
            .field("content_type", &self.content_type)
            .finish()
    }
}

/// Why a recording's audio was not fetched.
#[derive(Debug, thiserror::Error)]
pub enum RecordingFetchError {
    /// Not a recording on Twilio's API host: nothing was requested.
    #[error("not a Twilio recording URL: {0}")]
    ForeignUrl(String),
    /// 404: Twilio has not finished the recording yet, or it was deleted.
    #[error("Twilio has no such recording (yet): {0}")]
    NotFound(String),
    /// 429 (Twilio 20429): retry later.
    #[error("rate limited by Twilio")]
    RateLimited { retry_after: Option<std::time::Duration> },
    /// 5xx, timeouts, connection failures: retry later.
    #[error("Twilio is unavailable: {0}")]
    Unavailable(String),
    /// Any other refusal (credentials, …): final.
    #[error("Twilio refused to serve the recording: {0}")]
    Rejected(String),
    /// Larger than the caller takes: final.
    #[error("the recording is larger than {0} bytes")]
    TooLarge(usize),
}

impl TwilioRest {
    /// The MP3 audio of the recording at `recording_url` (a webhook's
    /// `RecordingUrl`: `{base}/2010-04-01/Accounts/{AC…}/Recordings/{RE…}`,
    /// with or without an extension), at most `max_bytes` of it.
    #[tracing::instrument(skip_all)]
    pub async fn fetch_recording(
        &self,
        recording_url: &str,
        max_bytes: usize,
    ) -> Result<RecordingMedia, RecordingFetchError> {
        let url = self.recording_media_url(recording_url)?;
        let request = self.http.get(url.clone()).basic_auth(&self.account_sid, Some(self.auth_token.expose_secret()));
        let response =
            request.send().await.map_err(|e| RecordingFetchError::Unavailable(describe_transport_error(e)))?;
        let response = if response.status().is_redirection() {
            let target = response
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|location| url.join(location).ok())
                .ok_or_else(|| RecordingFetchError::Rejected("a redirect without a usable Location".to_owned()))?;
            // Storage Twilio hands out is https; a local fake (tests) may
            // redirect within itself. Never with the account's credentials.
            if target.scheme() != "https" && target.origin() != url.origin() {
                return Err(RecordingFetchError::Rejected(format!("a redirect to {}", target.scheme())));
            }
            self.http
                .get(target)
                .send()
                .await
                .map_err(|e| RecordingFetchError::Unavailable(describe_transport_error(e)))?
        } else {
            response
        };
        read_media(response, max_bytes).await
    }

    /// `recording_url` checked and rebuilt on the API base: the `.mp3` of
    /// `{base}/2010-04-01/Accounts/{AC…}/Recordings/{RE…}`.
    fn recording_media_url(&self, recording_url: &str) -> Result<Url, RecordingFetchError> {
        let foreign = |why: &str| RecordingFetchError::ForeignUrl(format!("{why}: {}", shown(recording_url)));
        let api = Url::parse(&self.api_base).map_err(|_| foreign("the Twilio base URL does not parse"))?;
        let url = Url::parse(recording_url.trim()).map_err(|_| foreign("not a URL"))?;
        if url.origin() != api.origin() {
            return Err(foreign("not Twilio's API host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(foreign("credentials in the URL"));
        }
        let prefix = api.path().trim_end_matches('/');
        let rest = url.path().strip_prefix(prefix).ok_or_else(|| foreign("not under Twilio's API"))?;
        let segments: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
        let [API_VERSION, "Accounts", account, "Recordings", recording] = segments[..] else {
            return Err(foreign("not a recording's path"));
        };
        let recording = [".mp3", ".wav", ".json"]
            .iter()
            .find_map(|extension| recording.strip_suffix(extension))
            .unwrap_or(recording);
        if !is_sid(account) || !is_sid(recording) {
            return Err(foreign("not a recording's path"));
        }
        let media = format!("{}/{API_VERSION}/Accounts/{account}/Recordings/{recording}.mp3", self.api_base);
        Url::parse(&media).map_err(|_| foreign("not a recording's path"))
    }
}

/// The body of a 2xx, at most `max_bytes` of it; any other answer classified.
async fn read_media(mut response: reqwest::Response, max_bytes: usize) -> Result<RecordingMedia, RecordingFetchError> {
    let status = response.status();
    if !status.is_success() {
        let retry_after = retry_after(response.headers());
        let body = response.text().await.unwrap_or_default();
        return Err(match (Reply { status, retry_after, body }).failure() {
            Failure::RateLimited { retry_after } => RecordingFetchError::RateLimited { retry_after },
            Failure::Unavailable(text) => RecordingFetchError::Unavailable(text),
            Failure::Refused { status: StatusCode::NOT_FOUND, text, .. } => RecordingFetchError::NotFound(text),
            Failure::Refused { text, .. } | Failure::Unexpected(text) => RecordingFetchError::Rejected(text),
        });
    }
    if response.content_length().is_some_and(|length| length > max_bytes as u64) {
        return Err(RecordingFetchError::TooLarge(max_bytes));
    }
    let content_type = response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let mut bytes = Vec::new();
    while let Some(chunk) =
        response.chunk().await.map_err(|e| RecordingFetchError::Unavailable(describe_transport_error(e)))?
    {
        if bytes.len() + chunk.len() > max_bytes {
            return Err(RecordingFetchError::TooLarge(max_bytes));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(RecordingMedia { bytes, content_type })
}

/// A URL as it may be logged: no query, no credentials, not too long.
fn shown(raw: &str) -> String {
    let cut = raw.split(['?', '#']).next().unwrap_or_default();
    let cut = cut.rsplit_once('@').map_or(cut, |(_, host_and_path)| host_and_path);
    cut.chars().take(120).collect()
}
