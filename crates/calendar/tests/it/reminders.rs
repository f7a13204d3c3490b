//! Reminder texts: when each goes out (the shop's hours before, the send
//! window, bookings made too late), and that booking, cancelling and moving
//! schedule and withdraw them with the booking.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use chrono_tz::America::New_York;
use frontdesk_calendar::{
    Booking, BookingService, MemoryBookingStore, Notice, Notify, ReminderSwitch, SEND_REMINDER, reminder_key,
    reminder_schedule,
};
use frontdesk_core::{ManualClock, TenantId};
use frontdesk_jobs::{EnqueueOutcome, JobError, JobId, JobQueue, JobTransaction, NewJob};
use frontdesk_tenant::TenantProfile;

use crate::{local, profile_from_toml};

/// Fresh Cuts' profile with `[reminders] hours_before = …` (the default when `None`).
fn shop(hours_before: Option<&str>) -> TenantProfile {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/tenants/fresh-cuts.toml");
    let mut text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{e}"));
    if let Some(hours) = hours_before {
        text.push_str(&format!("\n[reminders]\nhours_before = {hours}\n"));
    }
    profile_from_toml(&text)
}

fn shown(at: DateTime<Utc>) -> String {
    at.with_timezone(&New_York).format("%a %H:%M").to_string()
}

#[test]
fn reminders_go_out_a_day_and_two_hours_before_inside_eight_to_eight() {
    let profile = shop(None);
    // Booked on Monday 2026-11-23 at noon.
    let now = local(New_York, "2026-11-23 12:00");
    let cases: [(&str, &[&str], &str); 8] = [
        ("2026-11-25 14:00", &["24h Tue 14:00", "2h Wed 12:00"], "both as set"),
        ("2026-11-24 13:00", &["2h Tue 11:00"], "booked 25 h ahead: too late for the day-before one (needs 26 h)"),
        ("2026-11-23 14:30", &[], "booked 2.5 h ahead: too late for both (the 2 h one needs 3 h)"),
        ("2026-11-23 15:00", &["2h Mon 13:00"], "booked 3 h ahead: just in time for the 2 h one"),
        ("2026-11-25 09:00", &["24h Tue 09:00"], "a 7:00 two-hour reminder is not moved 11 h earlier: skipped"),
        ("2026-11-25 07:00", &["24h Mon 19:59"], "a 7:00 day-before reminder moves to the evening before it"),
        ("2026-11-25 21:30", &["24h Tue 19:59", "2h Wed 19:30"], "a 21:30 day-before one moves to 20:00"),
        ("2026-11-25 22:30", &["24h Tue 19:59", "2h Wed 19:59"], "20:30 is moved half an hour earlier"),
    ];
    for (start, expected, why) in cases {
        let due = reminder_schedule(&profile, local(New_York, start), now);
        let due: Vec<String> = due.iter().map(|d| format!("{}h {}", d.hours_before, shown(d.at))).collect();
        assert_eq!(due, expected, "{start}: {why}");
    }
}

#[test]
fn a_shops_own_hours_before_are_used_and_close_reminders_merge() {
    let now = local(New_York, "2026-11-23 12:00");
    let start = local(New_York, "2026-11-25 14:00");
    let due = |hours: &str| -> Vec<String> {
        reminder_schedule(&shop(Some(hours)), start, now)
            .iter()
            .map(|d| format!("{}h {}", d.hours_before, shown(d.at)))
            .collect()
    };
    assert_eq!(due("[]"), Vec::<String>::new(), "no reminders at all");
    assert_eq!(due("[48, 3]"), ["3h Wed 11:00"], "48 h before is Monday noon: already past");
    assert_eq!(due("[4, 3]"), ["4h Wed 10:00", "3h Wed 11:00"], "an hour apart: both");
    let evening = reminder_schedule(&shop(Some("[2, 1]")), local(New_York, "2026-11-25 21:00"), now);
    let evening: Vec<String> = evening.iter().map(|d| format!("{}h {}", d.hours_before, shown(d.at))).collect();
    assert_eq!(evening, ["2h Wed 19:00"], "the 1 h one moved to 19:59 would come within the hour: only one text");
}

/// Whether the shop has reminders (its plan).
struct Switch(bool);

#[async_trait]
impl ReminderSwitch for Switch {
    async fn reminders_on(&self, _tenant: &TenantId) -> bool {
        self.0
    }
}

/// A job queue that only records what was withdrawn.
#[derive(Default)]
struct Withdrawn(Mutex<Vec<String>>);

impl Withdrawn {
    fn keys(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

#[async_trait]
impl JobQueue for Withdrawn {
    async fn enqueue(&self, _job: NewJob) -> Result<EnqueueOutcome, JobError> {
        Err(JobError::Unexpected(anyhow::anyhow!("jobs commit with the booking, never alone")))
    }
    async fn begin(&self) -> Result<Box<dyn JobTransaction>, JobError> {
        Err(JobError::Unexpected(anyhow::anyhow!("not used")))
    }
    async fn cancel(&self, _id: JobId) -> Result<(), JobError> {
        Err(JobError::Unexpected(anyhow::anyhow!("not used")))
    }
    async fn cancel_by_key(&self, unique_key: &str) -> Result<bool, JobError> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(unique_key.to_owned());
        Ok(true)
    }
}

struct Booked {
    profile: TenantProfile,
    store: Arc<MemoryBookingStore>,
    queue: Arc<Withdrawn>,
    service: BookingService,
}

fn booked(reminders_on: bool) -> Booked {
    let clock = Arc::new(ManualClock::new(local(New_York, "2026-11-23 12:00")));
    let store = Arc::new(MemoryBookingStore::new());
    let queue = Arc::new(Withdrawn::default());
    let service =
        BookingService::new(store.clone(), clock).with_reminders(Arc::new(Switch(reminders_on)), queue.clone());
    Booked { profile: shop(None), store, queue, service }
}

impl Booked {
    async fn book(&self, at: &str) -> Booking {
        let request = crate::janes_haircut(at, true);
        self.service.book(&self.profile, request).await.unwrap_or_else(|e| panic!("{at}: {e}"))
    }

    /// The reminder jobs committed so far: (key, run at).
    fn reminders(&self) -> Vec<(String, String)> {
        self.store
            .jobs()
            .iter()
            .filter(|job| job.kind.as_str() == SEND_REMINDER)
            .map(|job| (job.unique_key.clone().unwrap_or_default(), job.run_at.map(shown).unwrap_or_default()))
            .collect()
    }
}

#[tokio::test]
async fn a_booking_commits_its_reminders_and_a_cancellation_withdraws_them() {
    let shop = booked(true);
    let booking = shop.book("2026-11-25 14:00").await;
    let expected =
        [(reminder_key(booking.id, 24), "Tue 14:00".to_owned()), (reminder_key(booking.id, 2), "Wed 12:00".to_owned())];
    assert_eq!(shop.reminders(), expected);
    let reminder = shop.store.jobs().into_iter().find(|job| job.kind.as_str() == SEND_REMINDER);
    let payload = reminder.map(|job| job.payload).unwrap_or_default();
    assert_eq!(payload["booking_id"], booking.id.to_string());
    assert_eq!(payload["start"], booking.start.to_rfc3339());
    assert!(shop.queue.keys().is_empty());

    shop.service
        .cancel(&shop.profile, booking.id, Notice::Enforce, Notify::Customer)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(shop.queue.keys(), [reminder_key(booking.id, 24), reminder_key(booking.id, 2)]);
}

#[tokio::test]
async fn a_reschedule_schedules_the_new_times_reminders_and_withdraws_the_old_ones() {
    let shop = booked(true);
    let booking = shop.book("2026-11-25 14:00").await;
    let moved = shop
        .service
        .reschedule(&shop.profile, booking.id, local(New_York, "2026-11-27 10:00"), None, Notify::Customer)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(shop.queue.keys(), [reminder_key(booking.id, 24), reminder_key(booking.id, 2)]);
    let new_ones: Vec<(String, String)> =
        shop.reminders().into_iter().filter(|(key, _)| key.contains(&moved.id.to_string())).collect();
    assert_eq!(
        new_ones,
        [(reminder_key(moved.id, 24), "Thu 10:00".to_owned()), (reminder_key(moved.id, 2), "Fri 08:00".to_owned())]
    );
}

#[tokio::test]
async fn a_shop_without_reminders_on_its_plan_gets_none() {
    let shop = booked(false);
    shop.book("2026-11-25 14:00").await;
    assert!(shop.reminders().is_empty());
    let without = BookingService::new(
        Arc::new(MemoryBookingStore::new()),
        Arc::new(ManualClock::new(local(New_York, "2026-11-23 12:00"))),
    );
    let request = crate::janes_haircut("2026-11-25 14:00", false);
    assert!(without.book(&shop.profile, request).await.is_ok(), "a service without reminders books as before");
}
