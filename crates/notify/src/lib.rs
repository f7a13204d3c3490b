//! Owner notifications and operator alerts.
//!
//! Owners hear about what the receptionist did for them (a booking,
//! cancellation or reschedule made by phone or text, a voicemail, a
//! callback to make, a message, a customer's text that needs them), each as
//! it happens or in one [daily digest](digest), on the channels they chose
//! in their profile (`[notifications]`); operators hear about trouble (caps
//! reached, failed payments, dead jobs, failing texts, cost spikes) on the
//! channels the settings name.
//!
//! A [`Notification`] goes to one [`Channel`] through the [`Notifier`]
//! port; its adapters (SMS through the messaging port, Slack incoming
//! webhooks, e-mail over SMTP) live elsewhere. Every notification is a
//! durable job ([`jobs`]): an outage delays it and never loses it, and a
//! channel that took it is never sent to twice.
//!
//! This crate knows nothing of HTTP, SMTP, SQL or any vendor.

pub mod dead;
pub mod digest;
pub mod jobs;
mod model;
pub mod ops;
mod port;

pub use dead::DeadJobAlerts;
pub use digest::{
    DIGEST, DIGEST_HOUR, DIGEST_SWEEP, DailyDigests, DigestEntry, DigestLog, DigestSweep, MemoryDigestLog,
    latest_digest,
};
pub use jobs::{
    DELIVERED, Deliveries, NOTIFY_ALERT, NOTIFY_DELIVER, NOTIFY_OWNER, OperatorAlerts, OperatorChannels,
    OwnerNotifications, operator_alert_job, owner_channels, owner_notification_job, owner_subject,
};
pub use model::{
    Audience, Channel, ChannelKind, Delivered, Notification, NotificationEvent, NotifyError, OperatorEvent,
};
pub use ops::{OPS_SWEEP, OperatorFacts, OperatorSweep, TextOutcome, operator_alerts};
pub use port::{ChannelNotifiers, Notifier};
// What the owner chooses is the shop's data: re-exported for callers here.
pub use frontdesk_tenant::{EmailAddress, OwnerEvent, WebhookUrl};
