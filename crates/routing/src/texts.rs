//! Texts to customers about their bookings: what they say, and the job that
//! sends them (recording each in the message log, honouring opt-outs, and
//! never sending twice for one job).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_calendar::{Booking, BookingId, BookingStore, NOTIFY_CUSTOMER};
use frontdesk_jobs::{HandlerError, JobContext, JobHandler, JobKind};
use frontdesk_tenant::{TenantProfile, TenantStore};

use crate::calls::{MessageLog, MessageRecord};
use crate::messaging::{Messaging, MessagingError, OutboundSms, SentSms};

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
}

/// The effect recorded once a text was accepted by the provider.
const SENT: &str = "sms.sent";

#[async_trait]
impl JobHandler for BookingTexts {
    fn kind(&self) -> JobKind {
        JobKind::parse(NOTIFY_CUSTOMER).unwrap_or_else(|_| unreachable!("a valid kind"))
    }

    async fn run(&self, context: &JobContext) -> Result<(), HandlerError> {
        let job = &context.job;
        let retry = |e: &dyn std::fmt::Display| HandlerError::Retry(e.to_string());
        if context.effects.effect(job.id, SENT).await.map_err(|e| retry(&e))?.is_some() {
            return Ok(()); // sent by an attempt that crashed before completing
        }
        let tenant = job.tenant.clone().ok_or_else(|| HandlerError::Permanent("text job without a tenant".into()))?;
        let booking_id: BookingId = job.payload["booking_id"]
            .as_str()
            .and_then(|raw| raw.parse().ok())
            .ok_or_else(|| HandlerError::Permanent("text job without a booking id".into()))?;
        let event = job.payload["event"].as_str().unwrap_or("booked");
        let profile = self.tenants.get_tenant(&tenant).await.map_err(|e| retry(&e))?;
        let profile = profile.ok_or_else(|| HandlerError::Permanent(format!("tenant {tenant} is gone")))?.profile;
        let booking = self.bookings.booking(&tenant, booking_id).await.map_err(|e| retry(&e))?;
        let booking = booking.ok_or_else(|| HandlerError::Permanent(format!("booking {booking_id} is gone")))?;
        let from = profile
            .phone_numbers()
            .first()
            .cloned()
            .ok_or_else(|| HandlerError::Permanent(format!("tenant {tenant} has no number to text from")))?;
        let now = context.clock.now();
        let mut record = MessageRecord {
            id: job.id.to_string(),
            tenant: tenant.clone(),
            to: booking.customer.phone.clone(),
            from: from.clone(),
            body: booking_text(&profile, &booking, event),
            status: "queued".to_owned(),
            provider_id: None,
            booking_id: Some(booking_id.to_string()),
            error: None,
            created_at: now,
            updated_at: now,
        };
        if self.messages.is_opted_out(&tenant, &booking.customer.phone).await.map_err(|e| retry(&e))? {
            record.status = "failed".to_owned();
            record.error = Some("the customer replied STOP; texts are off for this number".to_owned());
            self.messages.upsert_message(&record).await.map_err(|e| retry(&e))?;
            return Ok(());
        }
        self.messages.upsert_message(&record).await.map_err(|e| retry(&e))?;
        let sms = OutboundSms { tenant, to: record.to.clone(), from, body: record.body.clone() };
        match self.messaging.send_sms(&sms).await {
            Ok(sent) => {
                context.effects.record_effect(job.id, SENT, &sent.provider_id, now).await.map_err(|e| retry(&e))?;
                record.status = "sent".to_owned();
                record.provider_id = Some(sent.provider_id);
                record.updated_at = context.clock.now();
                self.messages.upsert_message(&record).await.map_err(|e| retry(&e))?;
                Ok(())
            }
            Err(error) if error.is_retryable() => Err(HandlerError::Retry(error.to_string())),
            Err(error) => {
                record.status = "failed".to_owned();
                record.error = Some(error.to_string());
                record.updated_at = context.clock.now();
                self.messages.upsert_message(&record).await.map_err(|e| retry(&e))?;
                Err(HandlerError::Permanent(error.to_string()))
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
