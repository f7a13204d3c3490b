//! Notifications as durable jobs.
//!
//! An event becomes one job that says what happened (`notify.owner` for
//! the shop's owner, `notify.alert` for the operators), enqueued where the
//! event happens (in the booking's transaction, with the cap decision…).
//! Its handler reads who wants it and where, now, and fans it out into one
//! `notify.deliver` job per channel, each with its own unique key: a Slack
//! or SMTP outage retries that channel later and holds up no other, and a
//! channel that delivered is never sent to again (the delivery is recorded
//! as the job's effect before the job reports success). An owner who chose
//! the digest gets the event kept for the day's summary instead.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::NaiveDate;
use frontdesk_core::TenantId;
use frontdesk_jobs::{HandlerError, Job, JobContext, JobHandler, JobKind, JobQueue, NewJob};
use frontdesk_tenant::{EmailAddress, OwnerEvent, TenantProfile, TenantStore, WebhookUrl};
use serde_json::{Value, json};

use crate::digest::{DigestEntry, DigestLog};
use crate::model::{Audience, Channel, ChannelKind, Notification, NotificationEvent, NotifyError, OperatorEvent};
use crate::port::Notifier;

/// Tell the shop's owner about an event (payload: `event`, `key`,
/// `subject`, `body`, `link`).
pub const NOTIFY_OWNER: &str = "notify.owner";
/// Tell the operators about trouble (payload as [`NOTIFY_OWNER`]'s).
pub const NOTIFY_ALERT: &str = "notify.alert";
/// Deliver one notification to one channel (payload: `audience`,
/// `channel`, `event`, `subject`, `body`, `link`).
pub const NOTIFY_DELIVER: &str = "notify.deliver";

/// The effect a delivery records once its channel took the notification.
pub const DELIVERED: &str = "notify.delivered";

pub(crate) fn kind(name: &str) -> JobKind {
    JobKind::parse(name).unwrap_or_else(|_| unreachable!("{name} is a valid kind"))
}

pub(crate) fn retry(error: impl std::fmt::Display) -> HandlerError {
    HandlerError::Retry(error.to_string())
}

/// What the owner is told, in a subject line.
pub fn owner_subject(shop: &str, event: OwnerEvent) -> String {
    let what = match event {
        OwnerEvent::BookingMade => "new booking by phone",
        OwnerEvent::BookingCancelled => "booking cancelled",
        OwnerEvent::BookingRescheduled => "booking moved",
        OwnerEvent::Voicemail => "new voicemail",
        OwnerEvent::CallbackCreated => "a caller wants a call back",
        OwnerEvent::MessageTaken => "a caller left a message",
        OwnerEvent::CustomerText => "a customer's text needs you",
    };
    format!("{shop}: {what}")
}

/// The job that tells `profile`'s owner about `event`, once per `key`
/// (what it is about: a booking id, a call sid), saying `body`, with a
/// `link` to the details (a path on the gateway such as `/app/calls/CA…`,
/// or an absolute URL). Enqueue it in the transaction of the change it
/// reports. `None` when the owner does not want to hear about `event`.
pub fn owner_notification_job(
    profile: &TenantProfile,
    event: OwnerEvent,
    key: &str,
    body: &str,
    link: Option<&str>,
) -> Option<NewJob> {
    if !profile.notifications().wants(event) {
        return None;
    }
    let tenant = profile.slug();
    let payload = json!({
        "event": event.as_str(),
        "key": key,
        "subject": owner_subject(profile.name(), event),
        "body": body,
        "link": link,
    });
    Some(
        NewJob::new(kind(NOTIFY_OWNER), payload)
            .for_tenant(tenant.clone())
            .unique_key(format!("{NOTIFY_OWNER}:{tenant}:{event}:{key}")),
    )
}

/// The job that tells the operators about `event`, about `tenant`'s shop
/// (`None`: the platform) on `day`, at most once per alert key
/// `alert:{event}:{tenant}:{day}` (and `:{detail}`, when one day may
/// raise several alerts of the kind: a cap's level, a job's kind).
pub fn operator_alert_job(
    event: OperatorEvent,
    tenant: Option<&TenantId>,
    day: NaiveDate,
    detail: Option<&str>,
    subject: &str,
    body: &str,
    link: Option<&str>,
) -> NewJob {
    let about = tenant.map_or("platform", TenantId::as_str);
    let key = match detail {
        Some(detail) => format!("alert:{event}:{about}:{day}:{detail}", event = event.as_str()),
        None => format!("alert:{event}:{about}:{day}", event = event.as_str()),
    };
    let payload = json!({ "event": event.as_str(), "key": key, "subject": subject, "body": body, "link": link });
    let job = NewJob::new(kind(NOTIFY_ALERT), payload).unique_key(key);
    match tenant {
        Some(tenant) => job.for_tenant(tenant.clone()),
        None => job,
    }
}

/// What a `notify.owner`/`notify.alert` job says.
struct Said {
    event: NotificationEvent,
    key: String,
    subject: String,
    body: String,
    link: Option<String>,
}

impl Said {
    fn read(job: &Job) -> Result<Said, HandlerError> {
        let payload = &job.payload;
        let text = |field: &str| payload[field].as_str().map(str::to_owned);
        let event = text("event").as_deref().and_then(NotificationEvent::parse);
        let event = event.ok_or_else(|| HandlerError::Permanent(format!("{} without a known event", job.kind)))?;
        let body = text("body").filter(|b| !b.trim().is_empty());
        let body = body.ok_or_else(|| HandlerError::Permanent(format!("{} without a text", job.kind)))?;
        Ok(Said {
            event,
            key: text("key").unwrap_or_else(|| job.id.to_string()),
            subject: text("subject").unwrap_or_else(|| first_line(&body)),
            body,
            link: text("link"),
        })
    }

    /// The delivery job of this to one channel.
    fn delivery(&self, audience: Audience, tenant: Option<&TenantId>, channel: ChannelKind) -> NewJob {
        let payload = json!({
            "audience": audience.as_str(),
            "channel": channel.as_str(),
            "event": self.event.as_str(),
            "subject": self.subject,
            "body": self.body,
            "link": self.link,
        });
        let about = tenant.map_or("platform", TenantId::as_str);
        let job = NewJob::new(kind(NOTIFY_DELIVER), payload)
            .unique_key(format!("{NOTIFY_DELIVER}:{about}:{}:{}:{channel}", self.event, self.key));
        match tenant {
            Some(tenant) => job.for_tenant(tenant.clone()),
            None => job,
        }
    }
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().chars().take(120).collect()
}

/// The kinds of channel the owner of `profile` chose, now.
pub fn owner_channels(profile: &TenantProfile) -> Vec<ChannelKind> {
    let preferences = profile.notifications();
    let mut kinds = Vec::new();
    if preferences.sms() {
        kinds.push(ChannelKind::Sms);
    }
    if preferences.slack_webhook_url().is_some() {
        kinds.push(ChannelKind::Slack);
    }
    if preferences.email().is_some() {
        kinds.push(ChannelKind::Email);
    }
    kinds
}

/// Enqueues every job of `jobs` in one transaction (all or none).
pub(crate) async fn enqueue_all(queue: &dyn JobQueue, jobs: Vec<NewJob>) -> Result<(), HandlerError> {
    if jobs.is_empty() {
        return Ok(());
    }
    let mut transaction = queue.begin().await.map_err(retry)?;
    for job in jobs {
        transaction.enqueue(job).await.map_err(retry)?;
    }
    transaction.commit().await.map_err(retry)
}

/// The `notify.owner` handler: what the owner wants now decides what
/// happens to the event: nothing (not an event they chose), kept for the
/// digest, or one delivery job per channel they chose.
pub struct OwnerNotifications {
    pub tenants: Arc<dyn TenantStore>,
    pub queue: Arc<dyn JobQueue>,
    pub digests: Arc<dyn DigestLog>,
}

#[async_trait]
impl JobHandler for OwnerNotifications {
    fn kind(&self) -> JobKind {
        kind(NOTIFY_OWNER)
    }

    async fn run(&self, context: &JobContext) -> Result<(), HandlerError> {
        let job = &context.job;
        let tenant = job.tenant.clone().ok_or_else(|| HandlerError::Permanent("a notice without a tenant".into()))?;
        let said = Said::read(job)?;
        let NotificationEvent::Owner(event) = said.event else {
            return Err(HandlerError::Permanent(format!("{} is not an owner's event", said.event)));
        };
        let record = self.tenants.get_tenant(&tenant).await.map_err(retry)?;
        let record = record.ok_or_else(|| HandlerError::Permanent(format!("tenant {tenant} is gone")))?;
        let preferences = record.profile.notifications();
        if !preferences.wants(event) {
            tracing::info!(tenant_id = %tenant, %event, "the owner does not want this event; not sent");
            return Ok(());
        }
        if preferences.digest() {
            let key = format!("{event}:{}", said.key);
            let entry = DigestEntry { key, event, body: said.body, link: said.link, at: job.created_at };
            self.digests.keep_for_digest(&tenant, &entry).await.map_err(retry)?;
            return Ok(());
        }
        let channels = owner_channels(&record.profile);
        if channels.is_empty() {
            tracing::info!(tenant_id = %tenant, %event, "the owner chose no channel; not sent");
        }
        let deliveries = channels.into_iter().map(|channel| said.delivery(Audience::Owner, Some(&tenant), channel));
        enqueue_all(self.queue.as_ref(), deliveries.collect()).await
    }
}

/// Where the operators hear about trouble (from the settings).
#[derive(Debug, Clone, Default)]
pub struct OperatorChannels {
    pub slack: Option<WebhookUrl>,
    pub email: Option<EmailAddress>,
}

impl OperatorChannels {
    pub fn kinds(&self) -> Vec<ChannelKind> {
        let mut kinds = Vec::new();
        if self.slack.is_some() {
            kinds.push(ChannelKind::Slack);
        }
        if self.email.is_some() {
            kinds.push(ChannelKind::Email);
        }
        kinds
    }

    fn channel(&self, kind: ChannelKind) -> Option<Channel> {
        match kind {
            ChannelKind::Slack => self.slack.clone().map(Channel::Slack),
            ChannelKind::Email => self.email.clone().map(Channel::Email),
            ChannelKind::Sms => None,
        }
    }
}

/// The `notify.alert` handler: one delivery job per operators' channel.
/// Without any, the alert is only logged.
pub struct OperatorAlerts {
    pub queue: Arc<dyn JobQueue>,
    pub channels: OperatorChannels,
}

#[async_trait]
impl JobHandler for OperatorAlerts {
    fn kind(&self) -> JobKind {
        kind(NOTIFY_ALERT)
    }

    async fn run(&self, context: &JobContext) -> Result<(), HandlerError> {
        let job = &context.job;
        let said = Said::read(job)?;
        if said.event.audience() != Audience::Operators {
            return Err(HandlerError::Permanent(format!("{} is not an operators' event", said.event)));
        }
        let tenant = job.tenant.as_ref();
        let kinds = self.channels.kinds();
        if kinds.is_empty() {
            tracing::warn!(tenant_id = ?tenant, event = %said.event, alert = %said.body, "operator alert (no FRONTDESK_OPS_SLACK_WEBHOOK_URL or FRONTDESK_OPS_EMAIL: logged only)");
            return Ok(());
        }
        let deliveries = kinds.into_iter().map(|channel| said.delivery(Audience::Operators, tenant, channel));
        enqueue_all(self.queue.as_ref(), deliveries.collect()).await
    }
}

/// The `notify.deliver` handler: reads the channel's address now (the
/// owner's phone, webhook or address from the profile; the operators'
/// from the settings), delivers through the notifier, and records the
/// delivery before it reports success. A channel the owner has since
/// dropped is not sent to.
pub struct Deliveries {
    pub tenants: Arc<dyn TenantStore>,
    pub notifier: Arc<dyn Notifier>,
    pub operators: OperatorChannels,
    /// The gateway's public URL: a link given as a path (`/app/calls/…`)
    /// is made absolute with it.
    pub public_base_url: Option<String>,
}

impl Deliveries {
    fn absolute(&self, link: Option<String>) -> Option<String> {
        match (link, &self.public_base_url) {
            (Some(path), Some(base)) if path.starts_with('/') => Some(format!("{}{path}", base.trim_end_matches('/'))),
            (link, _) => link,
        }
    }

    async fn owner_channel(&self, tenant: &TenantId, kind: ChannelKind) -> Result<Option<Channel>, HandlerError> {
        let record = self.tenants.get_tenant(tenant).await.map_err(retry)?;
        let record = record.ok_or_else(|| HandlerError::Permanent(format!("tenant {tenant} is gone")))?;
        let profile = &record.profile;
        let preferences = profile.notifications();
        Ok(match kind {
            ChannelKind::Sms => preferences.sms().then(|| Channel::Sms(profile.owner_phone().clone())),
            ChannelKind::Slack => preferences.slack_webhook_url().cloned().map(Channel::Slack),
            ChannelKind::Email => preferences.email().cloned().map(Channel::Email),
        })
    }
}

#[async_trait]
impl JobHandler for Deliveries {
    fn kind(&self) -> JobKind {
        kind(NOTIFY_DELIVER)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(job_id = %context.job.id, tenant_id = ?context.job.tenant))]
    async fn run(&self, context: &JobContext) -> Result<(), HandlerError> {
        let job = &context.job;
        if context.effects.effect(job.id, DELIVERED).await.map_err(retry)?.is_some() {
            return Ok(()); // delivered by an attempt that crashed before completing
        }
        let payload: &Value = &job.payload;
        let audience = payload["audience"].as_str().and_then(Audience::parse);
        let audience = audience.ok_or_else(|| HandlerError::Permanent("a delivery without an audience".into()))?;
        let kind = payload["channel"].as_str().and_then(ChannelKind::parse);
        let kind = kind.ok_or_else(|| HandlerError::Permanent("a delivery without a channel".into()))?;
        let said = Said::read(job)?;
        let tenant = job.tenant.as_ref();
        let channel = match audience {
            Audience::Owner => {
                let tenant =
                    tenant.ok_or_else(|| HandlerError::Permanent("an owner's delivery without a tenant".into()))?;
                self.owner_channel(tenant, kind).await?
            }
            Audience::Operators => self.operators.channel(kind),
        };
        let Some(channel) = channel else {
            tracing::info!(tenant_id = ?tenant, channel = %kind, "the channel is no longer chosen; not sent");
            return Ok(());
        };
        let notification = Notification {
            id: job.id.to_string(),
            event: said.event,
            subject: said.subject,
            body: said.body,
            link: self.absolute(said.link),
        };
        match self.notifier.deliver(tenant, &notification, &channel).await {
            Ok(delivered) => {
                let now = context.clock.now();
                context.effects.record_effect(job.id, DELIVERED, &delivered.receipt, now).await.map_err(retry)?;
                tracing::info!(tenant_id = ?tenant, channel = %kind, event = %notification.event, "notification delivered");
                Ok(())
            }
            Err(error) if error.is_retryable() => {
                tracing::warn!(tenant_id = ?tenant, channel = %kind, %error, "notification not delivered; will retry");
                let after = match error {
                    NotifyError::RateLimited { retry_after } => retry_after,
                    _ => None,
                };
                Err(HandlerError::retry_after(error.to_string(), after))
            }
            Err(error) => Err(HandlerError::Permanent(error.to_string())),
        }
    }
}
