//! Texts sent by jobs: to customers about their bookings, and to owners
//! about their usage. Each is recorded in the message log, honours opt-outs,
//! is never sent twice for one job, and is metered once sent. Owners'
//! notifications go through `frontdesk-notify`; their SMS channel is
//! [`OwnerTexts`], a text like these.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_billing::{CAP_ALERT, Metering};
use frontdesk_calendar::{Booking, BookingId, BookingStore, NOTIFY_CUSTOMER};
use frontdesk_core::{Clock, E164, TenantId};
use frontdesk_flags::{Flag, FlagService};
use frontdesk_jobs::{HandlerError, JobContext, JobHandler, JobKind, JobQueue, NewJob};
use frontdesk_messaging::{MessageLog, MessageRecord, Messaging, MessagingError, OutboundSms, SentSms};
use frontdesk_notify::{Channel, Delivered, Notification, Notifier, NotifyError, OwnerEvent};
use frontdesk_tenant::{TenantKind, TenantProfile, TenantStore};

/// "Fri, Nov 27 at 2:00 PM" in the shop's zone.
pub fn spoken_time(profile: &TenantProfile, at: DateTime<Utc>) -> String {
    at.with_timezone(&profile.timezone()).format("%a, %b %-d at %-I:%M %p").to_string()
}

/// The text for a booking event (`booked`, `cancelled`, `rescheduled`).
pub fn booking_text(profile: &TenantProfile, booking: &Booking, event: &str) -> String {
    let when = spoken_time(profile, booking.start);
    let with = booking.staff.as_deref().map(|s| format!(" with {s}")).unwrap_or_default();
    let shop = profile.name();
    let service = &booking.service;
    match event {
        "cancelled" => format!("{shop}: your {service} on {when} is cancelled. We hope to see you another time."),
        "rescheduled" => {
            format!("{shop}: your {service} is moved to {when}{with}. Confirmation code {}.", booking.code)
        }
        _ => format!("{shop}: your {service} is booked for {when}{with}. Confirmation code {}.", booking.code),
    }
}

/// The `sms.booking` job handler.
pub struct BookingTexts {
    pub tenants: Arc<dyn TenantStore>,
    pub bookings: Arc<dyn BookingStore>,
    pub messages: Arc<dyn MessageLog>,
    pub messaging: Arc<dyn Messaging>,
    /// `enable_sms` off: the text is logged as not sent, and nothing goes out.
    pub flags: Arc<FlagService>,
    /// Every text sent is metered (SMS segments).
    pub metering: Arc<Metering>,
}

/// The effect recorded once a text was accepted by the provider.
pub(crate) const SENT: &str = "sms.sent";

/// The provider id a sandbox's text is logged with (it is never sent).
pub const SANDBOX_PROVIDER_PREFIX: &str = "sandbox-";

pub(crate) fn retry(error: impl std::fmt::Display) -> HandlerError {
    HandlerError::Retry(error.to_string())
}

#[async_trait]
impl JobHandler for BookingTexts {
    fn kind(&self) -> JobKind {
        JobKind::parse(NOTIFY_CUSTOMER).unwrap_or_else(|_| unreachable!("a valid kind"))
    }

    async fn run(&self, context: &JobContext) -> Result<(), HandlerError> {
        let job = &context.job;
        if context.effects.effect(job.id, SENT).await.map_err(retry)?.is_some() {
            return Ok(()); // sent by an attempt that crashed before completing
        }
        let tenant = job.tenant.clone().ok_or_else(|| HandlerError::Permanent("text job without a tenant".into()))?;
        let booking_id: BookingId = job.payload["booking_id"]
            .as_str()
            .and_then(|raw| raw.parse().ok())
            .ok_or_else(|| HandlerError::Permanent("text job without a booking id".into()))?;
        let event = job.payload["event"].as_str().unwrap_or("booked");
        let record = self.tenants.get_tenant(&tenant).await.map_err(retry)?;
        let record = record.ok_or_else(|| HandlerError::Permanent(format!("tenant {tenant} is gone")))?;
        let profile = &record.profile;
        let booking = self.bookings.booking(&tenant, booking_id).await.map_err(retry)?;
        let booking = booking.ok_or_else(|| HandlerError::Permanent(format!("booking {booking_id} is gone")))?;
        let mut text =
            new_record(context, profile, booking.customer.phone.clone(), booking_text(profile, &booking, event))?;
        text.booking_id = Some(booking_id.to_string());
        let texts_on =
            self.flags.effective(&tenant).await.map_err(retry)?.is_none_or(|flags| flags.enabled(Flag::EnableSms));
        if !texts_on {
            text.status = "failed".to_owned();
            text.error = Some("texts are switched off for this shop (flag enable_sms)".to_owned());
            self.messages.upsert_message(&text).await.map_err(retry)?;
            return Ok(());
        }
        let outbox = Outbox::new(self.messages.as_ref(), self.messaging.as_ref(), &self.metering, record.kind);
        outbox.deliver(context, text).await
    }
}

/// A message-log record for a text from the tenant's first number.
pub(crate) fn new_record(
    context: &JobContext,
    profile: &TenantProfile,
    to: E164,
    body: String,
) -> Result<MessageRecord, HandlerError> {
    let tenant = profile.slug().clone();
    let from = profile
        .phone_numbers()
        .first()
        .cloned()
        .ok_or_else(|| HandlerError::Permanent(format!("tenant {tenant} has no number to text from")))?;
    let now = context.clock.now();
    Ok(MessageRecord {
        id: context.job.id.to_string(),
        tenant,
        to,
        from,
        body,
        status: "queued".to_owned(),
        provider_id: None,
        booking_id: None,
        error: None,
        created_at: now,
        updated_at: now,
    })
}

/// Sends a text from a job: honours opt-outs, records each step in the
/// message log, never sends twice for one job, meters what was sent. A
/// sandbox's text is recorded and never handed to the provider.
pub(crate) struct Outbox<'a> {
    messages: &'a dyn MessageLog,
    messaging: &'a dyn Messaging,
    metering: &'a Metering,
    /// The sending tenant's kind.
    kind: TenantKind,
}

impl<'a> Outbox<'a> {
    pub(crate) fn new(
        messages: &'a dyn MessageLog,
        messaging: &'a dyn Messaging,
        metering: &'a Metering,
        kind: TenantKind,
    ) -> Outbox<'a> {
        Outbox { messages, messaging, metering, kind }
    }

    pub(crate) async fn deliver(&self, context: &JobContext, mut record: MessageRecord) -> Result<(), HandlerError> {
        let job = &context.job;
        if self.messages.is_opted_out(&record.tenant, &record.to).await.map_err(retry)? {
            record.status = "failed".to_owned();
            record.error = Some("the recipient replied STOP; texts are off for this number".to_owned());
            self.messages.upsert_message(&record).await.map_err(retry)?;
            return Ok(());
        }
        if self.kind == TenantKind::Sandbox {
            // Test traffic: the log shows what would have been sent.
            let now = context.clock.now();
            record.status = "sent".to_owned();
            record.provider_id = Some(format!("{SANDBOX_PROVIDER_PREFIX}{}", job.id));
            record.updated_at = now;
            self.messages.upsert_message(&record).await.map_err(retry)?;
            tracing::info!(tenant_id = %record.tenant, message_id = %record.id, "sandbox text recorded, not sent");
            return Ok(());
        }
        self.messages.upsert_message(&record).await.map_err(retry)?;
        let sms = OutboundSms {
            tenant: record.tenant.clone(),
            to: record.to.clone(),
            from: record.from.clone(),
            body: record.body.clone(),
        };
        match self.messaging.send_sms(&sms).await {
            Ok(sent) => {
                let now = context.clock.now();
                context.effects.record_effect(job.id, SENT, &sent.provider_id, now).await.map_err(retry)?;
                record.status = "sent".to_owned();
                record.provider_id = Some(sent.provider_id);
                record.updated_at = now;
                self.messages.upsert_message(&record).await.map_err(retry)?;
                // The text is out: a metering failure is logged, never a resend.
                if let Err(error) = self.metering.record_sms(&record.tenant, &record.id, &record.body, now).await {
                    tracing::error!(%error, message_id = %record.id, "could not meter a sent text");
                }
                Ok(())
            }
            Err(MessagingError::NotCleared(reason)) => self.wait(context, record, reason).await,
            Err(error) if error.is_retryable() => {
                let after = match error {
                    MessagingError::RateLimited { retry_after } => retry_after,
                    _ => None,
                };
                Err(HandlerError::retry_after(error.to_string(), after))
            }
            Err(error) => {
                record.status = "failed".to_owned();
                record.error = Some(error.to_string());
                record.updated_at = context.clock.now();
                self.messages.upsert_message(&record).await.map_err(retry)?;
                Err(HandlerError::Permanent(error.to_string()))
            }
        }
    }
}

impl Outbox<'_> {
    /// The shop may not text yet (its texting registration is not
    /// approved): the text stays queued with the reason, which the owner
    /// and the operator see, and the job tries again later.
    async fn wait(&self, context: &JobContext, mut record: MessageRecord, reason: String) -> Result<(), HandlerError> {
        record.status = "queued".to_owned();
        record.error = Some(reason.clone());
        record.updated_at = context.clock.now();
        self.messages.upsert_message(&record).await.map_err(retry)?;
        tracing::info!(tenant_id = %record.tenant, message_id = %record.id, %reason, "text waits");
        Err(HandlerError::Retry(reason))
    }
}

/// The `billing.cap_alert` job handler: texts the owner when the shop has
/// used 80 % of its minutes, and when AI answering is suspended at 100 %.
pub struct CapAlerts {
    pub tenants: Arc<dyn TenantStore>,
    pub messages: Arc<dyn MessageLog>,
    pub messaging: Arc<dyn Messaging>,
    pub metering: Arc<Metering>,
}

/// The owner's alert for a cap decision. `metric` is the cap's
/// (`minutes`, or `ai_spend` with `used` and `cap` in micro-dollars).
pub fn cap_alert_text(shop: &str, metric: &str, level: &str, period: &str, used: i64, cap: i64) -> String {
    let percent = if cap > 0 { used.saturating_mul(100) / cap } else { 100 };
    match (metric, level) {
        ("ai_spend", "hard") => format!(
            "Frontdesk: {shop} has used its {} AI budget for {period}. Calls are still answered; smart features (meaning-based answers, the language model) pause until the month ends or the budget is raised.",
            dollars(cap)
        ),
        ("ai_spend", _) => format!(
            "Frontdesk: {shop} has used {} of its {} AI budget for {period} ({percent}%). At 100% smart features pause; calls are still answered.",
            dollars(used),
            dollars(cap)
        ),
        (_, "hard") => format!(
            "Frontdesk: {shop} has used all {cap} included call minutes for {period} ({used} used). AI answering is paused and calls are forwarded to this phone until the cap is raised or the month ends."
        ),
        _ => format!(
            "Frontdesk: {shop} has used {used} of {cap} included call minutes for {period} ({percent}%). At 100% AI answering pauses and calls are forwarded to this phone."
        ),
    }
}

/// Micro-dollars as dollars and cents (`$4.00`), rounded down.
fn dollars(micros: i64) -> String {
    let cents = micros.max(0) / 10_000;
    format!("${}.{:02}", cents / 100, cents % 100)
}

#[async_trait]
impl JobHandler for CapAlerts {
    fn kind(&self) -> JobKind {
        JobKind::parse(CAP_ALERT).unwrap_or_else(|_| unreachable!("a valid kind"))
    }

    async fn run(&self, context: &JobContext) -> Result<(), HandlerError> {
        let job = &context.job;
        if context.effects.effect(job.id, SENT).await.map_err(retry)?.is_some() {
            return Ok(());
        }
        let tenant = job.tenant.clone().ok_or_else(|| HandlerError::Permanent("alert job without a tenant".into()))?;
        let record = self.tenants.get_tenant(&tenant).await.map_err(retry)?;
        let record = record.ok_or_else(|| HandlerError::Permanent(format!("tenant {tenant} is gone")))?;
        let profile = &record.profile;
        let payload = &job.payload;
        let body = cap_alert_text(
            profile.name(),
            payload["metric"].as_str().unwrap_or("minutes"),
            payload["level"].as_str().unwrap_or("soft"),
            payload["period"].as_str().unwrap_or("this month"),
            payload["used"].as_i64().unwrap_or(0),
            payload["cap"].as_i64().unwrap_or(0),
        );
        tracing::warn!(tenant_id = %tenant, alert = %body, "usage alert for the owner");
        let text = new_record(context, profile, profile.owner_phone().clone(), body)?;
        let outbox = Outbox::new(self.messages.as_ref(), self.messaging.as_ref(), &self.metering, record.kind);
        outbox.deliver(context, text).await
    }
}

/// The kind of the notices queued before owners' notifications went
/// through `frontdesk-notify` (payload: `body`); [`OwnerNotices`] hands
/// each one on as an owner's notification.
pub const OWNER_TEXT: &str = "sms.owner";

/// What the owner is told about is a notification now: its job kind.
pub use frontdesk_notify::NOTIFY_OWNER;

/// The job that tells the owner `body` about a customer's text (a late
/// cancellation, a CANCEL that keeps the appointment), once per `key`
/// (what it is about), on the channels the owner chose; `None` when the
/// owner does not want to hear about customers' texts.
pub fn owner_notice_job(profile: &TenantProfile, key: &str, body: &str) -> Option<NewJob> {
    frontdesk_notify::owner_notification_job(profile, OwnerEvent::CustomerText, key, body, None)
}

/// The `sms.owner` job handler, for notices queued before notifications:
/// each becomes the owner's notification (same key), which goes where the
/// owner now wants it.
pub struct OwnerNotices {
    pub tenants: Arc<dyn TenantStore>,
    pub queue: Arc<dyn JobQueue>,
}

#[async_trait]
impl JobHandler for OwnerNotices {
    fn kind(&self) -> JobKind {
        JobKind::parse(OWNER_TEXT).unwrap_or_else(|_| unreachable!("a valid kind"))
    }

    async fn run(&self, context: &JobContext) -> Result<(), HandlerError> {
        let job = &context.job;
        let tenant = job.tenant.clone().ok_or_else(|| HandlerError::Permanent("notice without a tenant".into()))?;
        let body = job.payload["body"].as_str().filter(|b| !b.trim().is_empty());
        let body = body.ok_or_else(|| HandlerError::Permanent("notice without a text".into()))?.to_owned();
        let record = self.tenants.get_tenant(&tenant).await.map_err(retry)?;
        let record = record.ok_or_else(|| HandlerError::Permanent(format!("tenant {tenant} is gone")))?;
        let old_key = job.unique_key.as_deref().unwrap_or_default();
        let key =
            old_key.strip_prefix(&format!("{OWNER_TEXT}:{tenant}:")).map_or_else(|| job.id.to_string(), str::to_owned);
        if let Some(notification) = owner_notice_job(&record.profile, &key, &body) {
            self.queue.enqueue(notification).await.map_err(retry)?;
        }
        Ok(())
    }
}

/// The SMS channel of owners' notifications: a text to the owner from the
/// shop's first number through the messaging port, like every other text:
/// logged (under the delivery's id, so a repeat is not sent again), an
/// opt-out honoured, a sandbox's recorded and never sent, metered once
/// sent.
pub struct OwnerTexts {
    pub tenants: Arc<dyn TenantStore>,
    pub messages: Arc<dyn MessageLog>,
    pub messaging: Arc<dyn Messaging>,
    pub metering: Arc<Metering>,
    pub clock: Arc<dyn Clock>,
}

fn unavailable(error: impl std::fmt::Display) -> NotifyError {
    NotifyError::Unavailable(error.to_string())
}

#[async_trait]
impl Notifier for OwnerTexts {
    async fn deliver(
        &self,
        tenant: Option<&TenantId>,
        notification: &Notification,
        channel: &Channel,
    ) -> Result<Delivered, NotifyError> {
        let Channel::Sms(to) = channel else { return Err(NotifyError::NotConfigured(channel.kind())) };
        let tenant = tenant.ok_or_else(|| NotifyError::Rejected("a text needs a shop to send it from".into()))?;
        let record = self.tenants.get_tenant(tenant).await.map_err(unavailable)?;
        let record = record.ok_or_else(|| NotifyError::Rejected(format!("tenant {tenant} is gone")))?;
        let from = record.profile.phone_numbers().first().cloned();
        let from = from.ok_or_else(|| NotifyError::Rejected(format!("tenant {tenant} has no number to text from")))?;
        if let Some(sent) = self.messages.message(tenant, &notification.id).await.map_err(unavailable)?
            && sent.status == "sent"
        {
            return Ok(Delivered { receipt: sent.provider_id.unwrap_or_default() });
        }
        let now = self.clock.now();
        let mut text = MessageRecord {
            id: notification.id.clone(),
            tenant: tenant.clone(),
            to: to.clone(),
            from,
            body: notification.text(),
            status: "queued".to_owned(),
            provider_id: None,
            booking_id: None,
            error: None,
            created_at: now,
            updated_at: now,
        };
        if self.messages.is_opted_out(tenant, to).await.map_err(unavailable)? {
            text.status = "failed".to_owned();
            text.error = Some("the owner replied STOP; texts are off for this number".to_owned());
            self.messages.upsert_message(&text).await.map_err(unavailable)?;
            return Ok(Delivered { receipt: "withheld: the owner opted out of texts".to_owned() });
        }
        if record.kind == TenantKind::Sandbox {
            text.status = "sent".to_owned();
            text.provider_id = Some(format!("{SANDBOX_PROVIDER_PREFIX}{}", notification.id));
            self.messages.upsert_message(&text).await.map_err(unavailable)?;
            return Ok(Delivered { receipt: "withheld: a sandbox's texts are recorded, not sent".to_owned() });
        }
        self.messages.upsert_message(&text).await.map_err(unavailable)?;
        let sms = OutboundSms {
            tenant: tenant.clone(),
            to: text.to.clone(),
            from: text.from.clone(),
            body: text.body.clone(),
        };
        match self.messaging.send_sms(&sms).await {
            Ok(sent) => {
                text.status = "sent".to_owned();
                text.provider_id = Some(sent.provider_id.clone());
                text.updated_at = self.clock.now();
                if let Err(error) = self.messages.upsert_message(&text).await {
                    tracing::error!(%error, message_id = %text.id, "a sent notice could not be logged as sent");
                }
                // The text is out: a metering failure is logged, never a resend.
                if let Err(error) = self.metering.record_sms(tenant, &text.id, &text.body, text.updated_at).await {
                    tracing::error!(%error, message_id = %text.id, "could not meter a sent text");
                }
                Ok(Delivered { receipt: sent.provider_id })
            }
            Err(MessagingError::RateLimited { retry_after }) => Err(NotifyError::RateLimited { retry_after }),
            Err(error) if error.is_retryable() => {
                text.error = Some(error.to_string());
                text.updated_at = self.clock.now();
                self.messages.upsert_message(&text).await.map_err(unavailable)?;
                Err(NotifyError::Unavailable(error.to_string()))
            }
            Err(error) => {
                text.status = "failed".to_owned();
                text.error = Some(error.to_string());
                text.updated_at = self.clock.now();
                self.messages.upsert_message(&text).await.map_err(unavailable)?;
                Err(NotifyError::Rejected(error.to_string()))
            }
        }
    }
}

/// The embedded default: texts are recorded in the message log and go
/// nowhere (nothing leaves the machine).
pub struct OutboxMessaging;

#[async_trait]
impl Messaging for OutboxMessaging {
    async fn send_sms(&self, _sms: &OutboundSms) -> Result<SentSms, MessagingError> {
        Ok(SentSms { provider_id: format!("outbox-{}", uuid::Uuid::now_v7().simple()), status: "sent".to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cap_alert_says_which_cap_and_what_happens_next() {
        let cases = [
            ("minutes", "soft", 400, 500, "has used 400 of 500 included call minutes for 2026-12 (80%)"),
            ("minutes", "hard", 500, 500, "calls are forwarded to this phone until the cap is raised"),
            ("ai_spend", "soft", 4_000_000, 5_000_000, "has used $4.00 of its $5.00 AI budget for 2026-12 (80%)"),
            (
                "ai_spend",
                "hard",
                5_000_123,
                5_000_000,
                "has used its $5.00 AI budget for 2026-12. Calls are still answered",
            ),
        ];
        for (metric, level, used, cap, expected) in cases {
            let text = cap_alert_text("Fresh Cuts", metric, level, "2026-12", used, cap);
            assert!(text.contains(expected), "{metric}/{level}: {text}");
        }
        assert_eq!(dollars(1_239_999), "$1.23");
    }
}
