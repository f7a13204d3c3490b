//! The `Messaging` port: sending a text through a provider.

use std::time::Duration;

use async_trait::async_trait;
use frontdesk_core::{E164, TenantId};

/// A text to send on behalf of a tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundSms {
    pub tenant: TenantId,
    pub to: E164,
    /// One of the tenant's own numbers.
    pub from: E164,
    pub body: String,
}

/// What the provider said when it accepted a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentSms {
    /// The provider's id for the message (Twilio: `SM…`); recorded so a retry
    /// after a crash does not send the text twice.
    pub provider_id: String,
    /// The provider's status word (`queued`, `accepted`, `sent`, …).
    pub status: String,
}

/// Why a text was not sent, classified for retrying.
#[derive(Debug, thiserror::Error)]
pub enum MessagingError {
    /// The number cannot receive texts (Twilio 21211, 21614, …): final.
    #[error("invalid recipient number: {0}")]
    InvalidNumber(String),
    /// The recipient replied STOP (Twilio 21610): final until they reply START.
    #[error("the recipient has opted out of texts: {0}")]
    OptedOut(String),
    /// 429 (Twilio 20429): retry later.
    #[error("rate limited by the messaging provider")]
    RateLimited { retry_after: Option<Duration> },
    /// 5xx, timeouts, connection failures: retry later.
    #[error("the messaging provider is unavailable: {0}")]
    Unavailable(String),
    /// Any other refusal (bad credentials, unknown sender number, …): final.
    #[error("the messaging provider refused the text: {0}")]
    Rejected(String),
    /// The shop may not text yet (its texting registration is not
    /// approved): nothing was sent; the text waits and is tried again.
    #[error("{0}")]
    NotCleared(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl MessagingError {
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            MessagingError::RateLimited { .. }
                | MessagingError::Unavailable(_)
                | MessagingError::NotCleared(_)
                | MessagingError::Unexpected(_)
        )
    }
}

/// Sends texts. Implementations: Twilio's Messages API, and the embedded
/// outbox that records texts without sending them anywhere.
#[async_trait]
pub trait Messaging: Send + Sync {
    /// Sends one text. MUST classify failures as above.
    async fn send_sms(&self, sms: &OutboundSms) -> Result<SentSms, MessagingError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_passing_failures_are_retried() {
        for (error, retry) in [
            (MessagingError::InvalidNumber("21211".into()), false),
            (MessagingError::OptedOut("21610".into()), false),
            (MessagingError::Rejected("20003".into()), false),
            (MessagingError::RateLimited { retry_after: None }, true),
            (MessagingError::Unavailable("502".into()), true),
            (MessagingError::Unexpected(anyhow::anyhow!("garbled reply")), true),
            (MessagingError::NotCleared("waiting for texting registration".into()), true),
        ] {
            assert_eq!(error.is_retryable(), retry, "{error:?}");
        }
    }
}
