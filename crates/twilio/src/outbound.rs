//! Placing an outbound call (a call back): `POST …/Calls.json` with `To`,
//! `From`, `Url` and `Method`, and `StatusCallback` (with
//! `StatusCallbackEvent=completed` and `StatusCallbackMethod=POST`); Twilio
//! answers 201 with the new call's resource, once the called party picks up
//! asks `Url` for TwiML, and once the call ends posts its `CallDuration` to
//! `StatusCallback` (what the leg costs).

use std::time::Duration;

use serde::Deserialize;

use crate::rest::{Failure, TwilioRest};

/// Why Twilio did not place the call.
#[derive(Debug, thiserror::Error)]
pub enum CallCreateError {
    /// 429 (Twilio 20429): retry later.
    #[error("rate limited by Twilio")]
    RateLimited { retry_after: Option<Duration> },
    /// 5xx, timeouts, connection failures: retry later.
    #[error("Twilio is unavailable: {0}")]
    Unavailable(String),
    /// Any other refusal (a number Twilio cannot call, a caller ID the
    /// account does not own, bad credentials): final.
    #[error("Twilio refused the call: {0}")]
    Rejected(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

#[derive(Deserialize)]
struct CreatedCall {
    sid: String,
}

impl TwilioRest {
    /// Rings `to` from `from` (a number of this account); once answered,
    /// Twilio POSTs to `url` for what to do, and once the call is over
    /// (answered or not) to `status_callback` with its `CallDuration`. The
    /// new call's SID.
    #[tracing::instrument(skip_all)]
    pub async fn create_call(
        &self,
        from: &str,
        to: &str,
        url: &str,
        status_callback: &str,
    ) -> Result<String, CallCreateError> {
        let endpoint = format!("{}/Calls.json", self.account_url);
        let form = [
            ("To", to),
            ("From", from),
            ("Url", url),
            ("Method", "POST"),
            ("StatusCallback", status_callback),
            ("StatusCallbackEvent", "completed"),
            ("StatusCallbackMethod", "POST"),
        ];
        let reply = self.post_form(&endpoint, &form).await.map_err(CallCreateError::Unavailable)?;
        if reply.status.is_success() {
            let created: CreatedCall = serde_json::from_str(&reply.body)
                .map_err(|e| anyhow::anyhow!("Twilio's new call record is unreadable: {e}"))?;
            return Ok(created.sid);
        }
        Err(match reply.failure() {
            Failure::RateLimited { retry_after } => CallCreateError::RateLimited { retry_after },
            Failure::Unavailable(text) => CallCreateError::Unavailable(text),
            Failure::Refused { text, .. } => CallCreateError::Rejected(text),
            Failure::Unexpected(text) => CallCreateError::Unexpected(anyhow::anyhow!(text)),
        })
    }
}
