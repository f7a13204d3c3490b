//! Reminder texts before appointments: the `sms.reminder` job handler, and
//! the switch that says whether a shop's plan sends them. When each one is
//! due is the calendar's (`frontdesk_calendar::reminder_schedule`); what a
//! customer's reply does is [`crate::inbound`]'s.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use frontdesk_billing::Metering;
use frontdesk_calendar::{
    Booking, BookingId, BookingStatus, BookingStore, ReminderSwitch, SEND_REMINDER, in_send_window,
};
use frontdesk_core::TenantId;
use frontdesk_flags::{Flag, FlagService};
use frontdesk_jobs::{HandlerError, JobContext, JobHandler, JobKind};
use frontdesk_messaging::{MessageLog, Messaging};
use frontdesk_tenant::{TenantProfile, TenantStore};

use crate::texts::{Outbox, new_record, retry};

/// Reminders follow the shop's flags: `enable_reminders` (Core and up) and
/// `enable_sms`. Flags that cannot be read send none (a reminder missed is
/// better than one the shop's plan does not allow).
pub struct FlagReminders {
    flags: Arc<FlagService>,
}

impl FlagReminders {
    pub fn new(flags: Arc<FlagService>) -> FlagReminders {
        FlagReminders { flags }
    }
}

#[async_trait]
impl ReminderSwitch for FlagReminders {
    async fn reminders_on(&self, tenant: &TenantId) -> bool {
        match self.flags.effective(tenant).await {
            Ok(flags) => flags.is_some_and(|f| f.enabled(Flag::EnableReminders) && f.enabled(Flag::EnableSms)),
            Err(error) => {
                tracing::error!(%error, tenant_id = %tenant, "could not read the shop's flags; no reminders");
                false
            }
        }
    }
}

/// "today at 2:00 PM", "tomorrow at 9:30 AM", "Tue, Dec 8 at 2:00 PM":
/// when `at` is, said from `now`, in the shop's zone.
pub fn when_from(profile: &TenantProfile, at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let zone = profile.timezone();
    let (day, today) = (at.with_timezone(&zone).date_naive(), now.with_timezone(&zone).date_naive());
    let time = at.with_timezone(&zone).format("%-I:%M %p");
    if day == today {
        format!("today at {time}")
    } else if today.succ_opt() == Some(day) {
        format!("tomorrow at {time}")
    } else {
        format!("{} at {time}", at.with_timezone(&zone).format("%a, %b %-d"))
    }
}

/// The reminder: one short text, no links (previews fetch them), the
/// reply words, and how to stop.
pub fn reminder_text(profile: &TenantProfile, booking: &Booking, now: DateTime<Utc>) -> String {
    let with = booking.staff.as_deref().map(|s| format!(" with {s}")).unwrap_or_default();
    format!(
        "{}: reminder, {} {}{with}. Reply C to confirm, R to reschedule, X to cancel. STOP to opt out",
        profile.name(),
        booking.service.to_lowercase(),
        when_from(profile, booking.start, now),
    )
}

/// The `sms.reminder` job handler. Before it sends it checks that the
/// booking is still confirmed at the time the reminder was made for (a
/// reminder a cancellation or a move could not withdraw says nothing), that
/// the shop still has reminders, and that the text would arrive inside the
/// shop's 08:00–20:00 (a reminder run late, after the worker was down, is
/// dropped rather than sent at night). Opt-outs, sandboxes, the log and
/// metering are the outbox's, as for every text.
pub struct ReminderTexts {
    pub tenants: Arc<dyn TenantStore>,
    pub bookings: Arc<dyn BookingStore>,
    pub messages: Arc<dyn MessageLog>,
    pub messaging: Arc<dyn Messaging>,
    pub switch: Arc<dyn ReminderSwitch>,
    pub metering: Arc<Metering>,
}

/// Why a due reminder was not sent.
fn dropped(booking: BookingId, why: &str) -> Result<(), HandlerError> {
    tracing::info!(booking_id = %booking, why, "reminder not sent");
    Ok(())
}

#[async_trait]
impl JobHandler for ReminderTexts {
    fn kind(&self) -> JobKind {
        JobKind::parse(SEND_REMINDER).unwrap_or_else(|_| unreachable!("a valid kind"))
    }

    async fn run(&self, context: &JobContext) -> Result<(), HandlerError> {
        let job = &context.job;
        if context.effects.effect(job.id, crate::texts::SENT).await.map_err(retry)?.is_some() {
            return Ok(()); // sent by an attempt that crashed before completing
        }
        let tenant =
            job.tenant.clone().ok_or_else(|| HandlerError::Permanent("reminder job without a tenant".into()))?;
        let booking_id: BookingId = job.payload["booking_id"]
            .as_str()
            .and_then(|raw| raw.parse().ok())
            .ok_or_else(|| HandlerError::Permanent("reminder job without a booking id".into()))?;
        let made_for = job.payload["start"]
            .as_str()
            .and_then(|raw| DateTime::parse_from_rfc3339(raw).ok())
            .map(|at| at.with_timezone(&Utc))
            .ok_or_else(|| HandlerError::Permanent("reminder job without the booking's start".into()))?;
        let record = self.tenants.get_tenant(&tenant).await.map_err(retry)?;
        let record = record.ok_or_else(|| HandlerError::Permanent(format!("tenant {tenant} is gone")))?;
        let profile = &record.profile;
        let Some(booking) = self.bookings.booking(&tenant, booking_id).await.map_err(retry)? else {
            return dropped(booking_id, "the booking is gone");
        };
        let now = context.clock.now();
        if booking.status != BookingStatus::Confirmed || booking.start != made_for {
            return dropped(booking_id, "the booking was cancelled or moved");
        }
        if booking.start - now < Duration::minutes(30) {
            return dropped(booking_id, "too close to the appointment");
        }
        if !in_send_window(profile, now) {
            return dropped(booking_id, "outside 08:00-20:00 shop time (the reminder ran late)");
        }
        if !self.switch.reminders_on(&tenant).await {
            return dropped(booking_id, "the shop's plan has no reminders now");
        }
        let mut text =
            new_record(context, profile, booking.customer.phone.clone(), reminder_text(profile, &booking, now))?;
        text.booking_id = Some(booking_id.to_string());
        let outbox = Outbox::new(self.messages.as_ref(), self.messaging.as_ref(), &self.metering, record.kind);
        outbox.deliver(context, text).await
    }
}
