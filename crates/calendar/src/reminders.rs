//! When a booking's reminder texts go out: the shop's `[reminders]` hours
//! before the appointment, moved into the hours a text may arrive, or not at
//! all when the booking was made too late for them. The texts themselves
//! are `routing`'s job handler; this module only schedules them.

use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveTime, Timelike, Utc};
use frontdesk_core::TenantId;
use frontdesk_jobs::{JobKind, NewJob};
use frontdesk_tenant::TenantProfile;
use serde_json::json;

use crate::model::BookingId;

/// Text a reminder (payload: `booking_id`, `hours_before`, `start`).
pub const SEND_REMINDER: &str = "sms.reminder";

/// The first local hour a reminder may arrive at.
pub const SEND_FROM_HOUR: u32 = 8;
/// The local hour from which no reminder arrives (20:00: the strictest
/// states' evening limit).
pub const SEND_UNTIL_HOUR: u32 = 20;

/// Whether a shop's bookings get reminders now (its plan's
/// `enable_reminders`). Asked when a booking is made or moved; the job
/// handler asks again before it sends.
#[async_trait]
pub trait ReminderSwitch: Send + Sync {
    async fn reminders_on(&self, tenant: &TenantId) -> bool;
}

/// One reminder to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueReminder {
    /// The shop's setting it comes from (24 for "a day before").
    pub hours_before: u32,
    /// When it goes out.
    pub at: DateTime<Utc>,
}

/// Whether `at` is inside the hours a text may arrive, in the shop's zone.
pub fn in_send_window(profile: &TenantProfile, at: DateTime<Utc>) -> bool {
    (SEND_FROM_HOUR..SEND_UNTIL_HOUR).contains(&at.with_timezone(&profile.timezone()).hour())
}

/// The reminders of an appointment starting at `start`, booked at `now`,
/// earliest first. For each of the shop's `hours_before`:
/// - skipped when the booking was made too late for it: less than the
///   hours before plus a margin of a twelfth of them (at least an hour)
///   ahead, so the 24 h one needs 26 h, the 2 h one 3 h;
/// - moved earlier to 20:00 when it would arrive in the evening or the
///   night (a 7:00 appointment's day-before reminder goes out at 20:00 two
///   evenings before it), and skipped when that moves it by more than half
///   its lead (a 9:00 appointment gets no 7:00 two-hour reminder);
/// - skipped when it would arrive within an hour of a longer one.
pub fn reminder_schedule(profile: &TenantProfile, start: DateTime<Utc>, now: DateTime<Utc>) -> Vec<DueReminder> {
    let mut due: Vec<DueReminder> = Vec::new();
    // Latest lead first: a longer reminder wins a clash.
    for &hours_before in profile.reminders().hours_before() {
        let lead = Duration::hours(i64::from(hours_before));
        let margin = Duration::minutes((i64::from(hours_before) * 60 / 12).max(60));
        if start - now < lead + margin {
            continue;
        }
        let Some(at) = latest_allowed(profile, start - lead) else { continue };
        if (start - lead) - at > lead / 2 || at <= now {
            continue;
        }
        if due.iter().any(|other| (other.at - at).abs() < Duration::hours(1)) {
            continue;
        }
        due.push(DueReminder { hours_before, at });
    }
    due.sort_by_key(|reminder| reminder.at);
    due
}

/// The latest instant at or before `at` inside the send window.
fn latest_allowed(profile: &TenantProfile, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let zone = profile.timezone();
    let local = at.with_timezone(&zone);
    if in_send_window(profile, at) {
        return Some(at);
    }
    let evening = if local.hour() >= SEND_UNTIL_HOUR { local.date_naive() } else { local.date_naive().pred_opt()? };
    // A minute before the end: still inside the window.
    let last = NaiveTime::from_hms_opt(SEND_UNTIL_HOUR - 1, 59, 0)?;
    evening.and_time(last).and_local_timezone(zone).earliest().map(|t| t.with_timezone(&Utc))
}

/// The job key of a booking's reminder: cancelling by it withdraws the
/// reminder.
pub fn reminder_key(booking: BookingId, hours_before: u32) -> String {
    format!("reminder:{booking}:{hours_before}h")
}

/// The keys of every reminder `booking` may have (whatever the shop's
/// settings were when it was booked, within the limits a profile allows).
pub fn reminder_keys(profile: &TenantProfile, booking: BookingId) -> Vec<String> {
    profile.reminders().hours_before().iter().map(|hours| reminder_key(booking, *hours)).collect()
}

/// The jobs that send the reminders of `booking_id`, starting at `start`.
pub fn reminder_jobs(
    profile: &TenantProfile,
    booking_id: BookingId,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Vec<NewJob> {
    let Ok(kind) = JobKind::parse(SEND_REMINDER) else { return Vec::new() };
    reminder_schedule(profile, start, now)
        .into_iter()
        .map(|due| {
            let payload = json!({
                "booking_id": booking_id.to_string(),
                "hours_before": due.hours_before,
                "start": start.to_rfc3339(),
            });
            NewJob::new(kind.clone(), payload)
                .for_tenant(profile.slug().clone())
                .run_at(due.at)
                .unique_key(reminder_key(booking_id, due.hours_before))
                // A reminder an hour late is still worth sending; one
                // retried all day is not.
                .max_attempts(5)
        })
        .collect()
}
