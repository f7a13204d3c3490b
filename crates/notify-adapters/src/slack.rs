//! Slack incoming webhooks: `POST {"text": …}` to the hook's URL.
//!
//! Slack answers 200 with the body `ok`; 400 (`invalid_payload`,
//! `no_text`), 403 (`invalid_token`, `action_prohibited`), 404
//! (`no_service`, `channel_not_found`) and 410 (`channel_is_archived`)
//! are final; 429 comes with `Retry-After` (seconds); 5xx and transport
//! errors are outages.

use std::time::Duration;

use async_trait::async_trait;
use frontdesk_core::TenantId;
use frontdesk_notify::{Channel, Delivered, Notification, Notifier, NotifyError};
use reqwest::StatusCode;

/// Posts notifications to Slack incoming webhooks.
#[derive(Clone)]
pub struct SlackWebhooks {
    client: reqwest::Client,
}

impl SlackWebhooks {
    /// A client that gives up on a webhook after `timeout`.
    pub fn new(timeout: Duration) -> Result<SlackWebhooks, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("frontdesk/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(SlackWebhooks { client })
    }
}

/// Slack's three control characters, escaped as Slack asks.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The message: the subject in bold, the body, the link.
pub(crate) fn slack_text(notification: &Notification) -> String {
    let mut text = format!("*{}*\n{}", escape(&notification.subject), escape(&notification.body));
    if let Some(link) = &notification.link {
        text.push_str(&format!("\n<{}|Open in Frontdesk>", link.replace(['<', '>', '|'], "")));
    }
    text
}

#[async_trait]
impl Notifier for SlackWebhooks {
    async fn deliver(
        &self,
        tenant: Option<&TenantId>,
        notification: &Notification,
        channel: &Channel,
    ) -> Result<Delivered, NotifyError> {
        let Channel::Slack(webhook) = channel else { return Err(NotifyError::NotConfigured(channel.kind())) };
        tracing::debug!(tenant_id = ?tenant, notification = %notification.id, "posting to a Slack webhook");
        let body = serde_json::json!({ "text": slack_text(notification) });
        let response = self.client.post(webhook.expose()).json(&body).send().await.map_err(|error| {
            // The error names the URL, which is a secret: say what happened only.
            let what = if error.is_timeout() {
                "timed out"
            } else if error.is_connect() {
                "no connection"
            } else {
                "failed"
            };
            NotifyError::Unavailable(format!("Slack webhook request {what}"))
        })?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let answer = response.text().await.unwrap_or_default();
        let answer: String = answer.trim().chars().take(200).collect();
        match status {
            StatusCode::OK => Ok(Delivered { receipt: if answer.is_empty() { "ok".to_owned() } else { answer } }),
            StatusCode::TOO_MANY_REQUESTS => Err(NotifyError::RateLimited { retry_after }),
            status if status.is_server_error() => {
                Err(NotifyError::Unavailable(format!("Slack answered {status} {answer}")))
            }
            status => Err(NotifyError::Rejected(format!("Slack answered {status} {answer}"))),
        }
    }
}
