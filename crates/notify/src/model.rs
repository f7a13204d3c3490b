//! What a notification is: who it is for, what happened, what it says, and
//! the channel it goes out on.

use std::fmt;
use std::time::Duration;

use frontdesk_core::E164;
use frontdesk_tenant::{EmailAddress, OwnerEvent, WebhookUrl};

/// Who a notification is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Audience {
    /// The shop's owner, on the channels the shop chose.
    Owner,
    /// The people who run Frontdesk, on the channels the settings name.
    Operators,
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Owner => "owner",
            Audience::Operators => "operators",
        }
    }

    pub fn parse(raw: &str) -> Option<Audience> {
        [Audience::Owner, Audience::Operators].into_iter().find(|a| a.as_str() == raw)
    }
}

/// Trouble the operators hear about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OperatorEvent {
    /// A shop reached 80 % or 100 % of a cap (minutes, AI budget).
    CapReached,
    /// A shop's payment failed (it is past due).
    PaymentFailed,
    /// A job used up its attempts.
    DeadJob,
    /// More than 5 % of a shop's texts of a day failed.
    FailingTexts,
    /// A shop's day cost more than three times its usual day.
    CostSpike,
}

impl OperatorEvent {
    pub const ALL: [OperatorEvent; 5] = [
        OperatorEvent::CapReached,
        OperatorEvent::PaymentFailed,
        OperatorEvent::DeadJob,
        OperatorEvent::FailingTexts,
        OperatorEvent::CostSpike,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OperatorEvent::CapReached => "cap_reached",
            OperatorEvent::PaymentFailed => "payment_failed",
            OperatorEvent::DeadJob => "dead_job",
            OperatorEvent::FailingTexts => "failing_texts",
            OperatorEvent::CostSpike => "cost_spike",
        }
    }

    pub fn parse(raw: &str) -> Option<OperatorEvent> {
        OperatorEvent::ALL.into_iter().find(|event| event.as_str() == raw)
    }
}

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotificationEvent {
    /// Something the owner chose to hear about.
    Owner(OwnerEvent),
    /// The owner's one summary of a day's events.
    DailyDigest,
    /// Trouble for the operators.
    Operator(OperatorEvent),
}

impl NotificationEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationEvent::Owner(event) => event.as_str(),
            NotificationEvent::DailyDigest => "daily_digest",
            NotificationEvent::Operator(event) => event.as_str(),
        }
    }

    pub fn parse(raw: &str) -> Option<NotificationEvent> {
        match raw {
            "daily_digest" => Some(NotificationEvent::DailyDigest),
            _ => OwnerEvent::parse(raw)
                .map(NotificationEvent::Owner)
                .or_else(|| OperatorEvent::parse(raw).map(NotificationEvent::Operator)),
        }
    }

    /// Who hears about it.
    pub fn audience(self) -> Audience {
        match self {
            NotificationEvent::Owner(_) | NotificationEvent::DailyDigest => Audience::Owner,
            NotificationEvent::Operator(_) => Audience::Operators,
        }
    }
}

impl fmt::Display for NotificationEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One message for people: a subject (the e-mail's, the first line
/// elsewhere), a plain-text body and, optionally, where to look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The same for every attempt at one delivery (the delivery job's id):
    /// adapters use it as a message id or idempotency key.
    pub id: String,
    pub event: NotificationEvent,
    pub subject: String,
    pub body: String,
    /// An absolute URL to the page with the details.
    pub link: Option<String>,
}

impl Notification {
    /// The body with the link under it: what a text or a chat message says.
    pub fn text(&self) -> String {
        match &self.link {
            Some(link) => format!("{}\n{link}", self.body),
            None => self.body.clone(),
        }
    }
}

/// Where one notification goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Channel {
    /// A text to this phone.
    Sms(E164),
    /// A Slack incoming webhook.
    Slack(WebhookUrl),
    /// An e-mail to this address.
    Email(EmailAddress),
}

impl Channel {
    pub fn kind(&self) -> ChannelKind {
        match self {
            Channel::Sms(_) => ChannelKind::Sms,
            Channel::Slack(_) => ChannelKind::Slack,
            Channel::Email(_) => ChannelKind::Email,
        }
    }
}

/// A kind of channel, without its address: what a delivery job names (the
/// address is read when it runs, so a secret webhook never sits in the
/// queue, and a changed address is the one used).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChannelKind {
    Sms,
    Slack,
    Email,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 3] = [ChannelKind::Sms, ChannelKind::Slack, ChannelKind::Email];

    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Sms => "sms",
            ChannelKind::Slack => "slack",
            ChannelKind::Email => "email",
        }
    }

    pub fn parse(raw: &str) -> Option<ChannelKind> {
        ChannelKind::ALL.into_iter().find(|kind| kind.as_str() == raw)
    }
}

impl fmt::Display for ChannelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A notification handed over: the channel's own id for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    /// The provider's message id, or what the channel answered (`ok`), or
    /// why nothing went out although that is final (a sandbox shop, an
    /// owner who opted out of texts).
    pub receipt: String,
}

/// Why a notification was not delivered, classified for retrying.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The channel is down or did not answer in time (5xx, a refused
    /// connection, a timeout, SMTP 4xx): try again later.
    #[error("the channel is unavailable: {0}")]
    Unavailable(String),
    /// Too many messages: try again, not before `retry_after` if given.
    #[error("rate limited by the channel (retry after {retry_after:?})")]
    RateLimited { retry_after: Option<Duration> },
    /// The channel refused it for good (a webhook that no longer exists, a
    /// revoked token, an address that cannot receive, SMTP 5xx): no retry
    /// will help.
    #[error("the channel refused the notification: {0}")]
    Rejected(String),
    /// No adapter for this channel is configured here.
    #[error("no {0} channel is configured")]
    NotConfigured(ChannelKind),
}

impl NotifyError {
    /// Whether another attempt later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, NotifyError::Unavailable(_) | NotifyError::RateLimited { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_reads_back_and_knows_its_audience() {
        for event in OwnerEvent::ALL {
            let parsed = NotificationEvent::parse(event.as_str());
            assert_eq!(parsed, Some(NotificationEvent::Owner(event)));
            assert_eq!(parsed.map(NotificationEvent::audience), Some(Audience::Owner));
        }
        for event in OperatorEvent::ALL {
            let parsed = NotificationEvent::parse(event.as_str());
            assert_eq!(parsed, Some(NotificationEvent::Operator(event)));
            assert_eq!(parsed.map(NotificationEvent::audience), Some(Audience::Operators));
        }
        assert_eq!(NotificationEvent::parse("daily_digest"), Some(NotificationEvent::DailyDigest));
        assert_eq!(NotificationEvent::parse("nonsense"), None);
        for kind in ChannelKind::ALL {
            assert_eq!(ChannelKind::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn only_outages_and_rate_limits_are_retried() {
        assert!(NotifyError::Unavailable("503".into()).is_retryable());
        assert!(NotifyError::RateLimited { retry_after: None }.is_retryable());
        assert!(!NotifyError::Rejected("no_service".into()).is_retryable());
        assert!(!NotifyError::NotConfigured(ChannelKind::Email).is_retryable());
    }
}
