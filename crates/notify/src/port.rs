//! The `Notifier` port: one notification to one channel.

use std::sync::Arc;

use async_trait::async_trait;
use frontdesk_core::TenantId;

use crate::model::{Channel, ChannelKind, Delivered, Notification, NotifyError};

/// Delivers one notification to one channel. Adapters: SMS (through the
/// messaging port), Slack incoming webhooks, e-mail over SMTP.
#[async_trait]
pub trait Notifier: Send + Sync {
    /// Hands `notification`, about `tenant`'s shop (`None`: the platform as
    /// a whole), to `channel`. MUST return `Unavailable` or `RateLimited`
    /// when a later attempt may succeed (an outage, a timeout, a 429),
    /// `Rejected` when none will (the channel refused it for good), and
    /// `NotConfigured` for a kind of channel it does not serve. Repeating a
    /// call with the same `notification.id` after a failure is safe; after
    /// a success the caller records it and does not repeat it.
    async fn deliver(
        &self,
        tenant: Option<&TenantId>,
        notification: &Notification,
        channel: &Channel,
    ) -> Result<Delivered, NotifyError>;
}

/// One notifier per kind of channel, as one [`Notifier`]: a kind without
/// one is `NotConfigured`.
#[derive(Clone, Default)]
pub struct ChannelNotifiers {
    pub sms: Option<Arc<dyn Notifier>>,
    pub slack: Option<Arc<dyn Notifier>>,
    pub email: Option<Arc<dyn Notifier>>,
}

impl ChannelNotifiers {
    /// Whether a kind of channel can be delivered to here.
    pub fn serves(&self, kind: ChannelKind) -> bool {
        self.for_kind(kind).is_some()
    }

    fn for_kind(&self, kind: ChannelKind) -> Option<&Arc<dyn Notifier>> {
        match kind {
            ChannelKind::Sms => self.sms.as_ref(),
            ChannelKind::Slack => self.slack.as_ref(),
            ChannelKind::Email => self.email.as_ref(),
        }
    }
}

#[async_trait]
impl Notifier for ChannelNotifiers {
    async fn deliver(
        &self,
        tenant: Option<&TenantId>,
        notification: &Notification,
        channel: &Channel,
    ) -> Result<Delivered, NotifyError> {
        match self.for_kind(channel.kind()) {
            Some(notifier) => notifier.deliver(tenant, notification, channel).await,
            None => Err(NotifyError::NotConfigured(channel.kind())),
        }
    }
}
