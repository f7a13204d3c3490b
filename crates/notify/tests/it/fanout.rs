//! One event, one delivery job per channel the owner (or the settings) chose.

use std::sync::Arc;

use chrono::NaiveDate;
use frontdesk_core::{Clock, ManualClock, TenantId};
use frontdesk_jobs::{DeadLetterWatch, JobHandler, JobKind, NewJob};
use frontdesk_notify::{
    DeadJobAlerts, MemoryDigestLog, NOTIFY_ALERT, NOTIFY_DELIVER, OperatorAlerts, OperatorChannels, OperatorEvent,
    OwnerEvent, OwnerNotifications, WebhookUrl, operator_alert_job, owner_notification_job,
};

use crate::support::{MemoryEffects, RecordingQueue, SharedQueue, at, context, running, shop, tenants_with};

/// The delivery jobs an owner's event fans out into: `(channel, unique key)`.
async fn deliveries_for(notifications: &str, event: OwnerEvent) -> Option<Vec<(String, String)>> {
    let profile = shop(notifications);
    let job = owner_notification_job(&profile, event, "booking-1", "Jane Doe booked a Haircut", Some("/app"))?;
    let queue = Arc::new(RecordingQueue::default());
    let handler = OwnerNotifications {
        tenants: tenants_with(&profile).await,
        queue: Arc::new(SharedQueue(queue.clone())),
        digests: Arc::new(MemoryDigestLog::default()),
    };
    let clock = Arc::new(ManualClock::new(at("2026-12-08 15:00")));
    let result = handler.run(&context(running(&job, clock.now()), Arc::default(), clock)).await;
    assert_eq!(result, Ok(()));
    let jobs = queue.taken();
    assert!(jobs.iter().all(|j| j.kind.as_str() == NOTIFY_DELIVER && j.tenant == Some(profile.slug().clone())));
    Some(
        jobs.iter()
            .map(|j| {
                (j.payload["channel"].as_str().unwrap_or("?").to_owned(), j.unique_key.clone().unwrap_or_default())
            })
            .collect(),
    )
}

#[tokio::test]
async fn the_owners_preferences_choose_the_channels_and_the_events() {
    let key = |channel: &str| format!("notify.deliver:fresh-cuts:booking_made:booking-1:{channel}");
    let cases: [(&str, OwnerEvent, Option<Vec<&str>>); 5] = [
        ("", OwnerEvent::BookingMade, Some(vec!["sms"])),
        (
            "slack_webhook_url = \"https://hooks.slack.com/services/T0/B0/x\"\nemail = \"owner@shop.example\"",
            OwnerEvent::BookingMade,
            Some(vec!["sms", "slack", "email"]),
        ),
        ("sms = false\nemail = \"owner@shop.example\"", OwnerEvent::BookingMade, Some(vec!["email"])),
        ("sms = false", OwnerEvent::BookingMade, Some(vec![])),
        ("events = [\"voicemail\"]", OwnerEvent::BookingMade, None),
    ];
    for (notifications, event, expected) in cases {
        let found = deliveries_for(notifications, event).await;
        let expected: Option<Vec<(String, String)>> =
            expected.map(|channels| channels.into_iter().map(|c| (c.to_owned(), key(c))).collect());
        assert_eq!(found, expected, "{notifications:?}");
    }
}

#[tokio::test]
async fn an_event_the_owner_dropped_after_it_was_queued_is_not_sent() {
    let before = shop("");
    let job = owner_notification_job(&before, OwnerEvent::BookingMade, "booking-1", "Jane booked", None);
    let job = job.unwrap_or_else(|| panic!("wanted when queued"));
    let now_unwanted = shop("events = [\"voicemail\"]");
    let queue = Arc::new(RecordingQueue::default());
    let handler = OwnerNotifications {
        tenants: tenants_with(&now_unwanted).await,
        queue: Arc::new(SharedQueue(queue.clone())),
        digests: Arc::new(MemoryDigestLog::default()),
    };
    let clock = Arc::new(ManualClock::new(at("2026-12-08 15:00")));
    assert_eq!(handler.run(&context(running(&job, clock.now()), Arc::default(), clock)).await, Ok(()));
    assert!(queue.taken().is_empty());
}

fn fresh_cuts() -> TenantId {
    TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn operator_alerts_go_to_the_configured_channels_once_per_key() {
    let day = NaiveDate::from_ymd_opt(2026, 12, 8).unwrap_or_default();
    let job = operator_alert_job(
        OperatorEvent::CapReached,
        Some(&fresh_cuts()),
        day,
        Some("minutes:hard"),
        "Frontdesk: Fresh Cuts reached its minute cap",
        "Fresh Cuts has used all 500 included minutes for 2026-12.",
        Some("/ops/shops"),
    );
    assert_eq!(job.kind.as_str(), NOTIFY_ALERT);
    assert_eq!(job.unique_key.as_deref(), Some("alert:cap_reached:fresh-cuts:2026-12-08:minutes:hard"));

    let queue = Arc::new(RecordingQueue::default());
    let slack = WebhookUrl::parse("https://hooks.slack.com/services/T0/B0/ops").unwrap_or_else(|e| panic!("{e}"));
    let handler = OperatorAlerts {
        queue: Arc::new(SharedQueue(queue.clone())),
        channels: OperatorChannels { slack: Some(slack), email: None },
    };
    let clock = Arc::new(ManualClock::new(at("2026-12-08 15:00")));
    assert_eq!(handler.run(&context(running(&job, clock.now()), Arc::default(), clock.clone())).await, Ok(()));
    let deliveries = queue.taken();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].payload["audience"], "operators");
    assert_eq!(deliveries[0].payload["channel"], "slack");
    assert!(!deliveries[0].payload.to_string().contains("hooks.slack.com"), "the webhook never sits in the queue");

    let nowhere = OperatorAlerts { queue: Arc::new(SharedQueue(queue.clone())), channels: OperatorChannels::default() };
    assert_eq!(nowhere.run(&context(running(&job, clock.now()), Arc::default(), clock)).await, Ok(()));
    assert!(queue.taken().is_empty(), "without channels the alert is only logged");
}

#[tokio::test]
async fn a_dead_job_alerts_the_operators_once_a_day_per_kind() {
    let queue = Arc::new(RecordingQueue::default());
    let clock = Arc::new(ManualClock::new(at("2026-12-08 15:00")));
    let watch = DeadJobAlerts { queue: Arc::new(SharedQueue(queue.clone())), clock: clock.clone() };
    let kind = JobKind::parse("sms.booking").unwrap_or_else(|e| panic!("{e}"));
    for _ in 0..3 {
        let job = NewJob::new(kind.clone(), serde_json::json!({})).for_tenant(fresh_cuts());
        watch.job_died(&running(&job, clock.now()), "21211: invalid 'To' number").await;
    }
    let alerts = queue.taken();
    assert_eq!(alerts.len(), 1, "three dead texts, one alert");
    assert_eq!(alerts[0].unique_key.as_deref(), Some("alert:dead_job:fresh-cuts:2026-12-08:sms.booking"));
    assert!(alerts[0].payload["body"].as_str().unwrap_or_default().contains("21211: invalid 'To' number"));
}

#[tokio::test]
async fn effects_are_not_needed_to_fan_out() {
    // Fanning out is idempotent by the deliveries' unique keys: running the
    // same event twice enqueues each delivery once.
    let profile = shop("email = \"owner@shop.example\"");
    let job = owner_notification_job(&profile, OwnerEvent::Voicemail, "CA1", "A voicemail from +15555550123", None);
    let job = job.unwrap_or_else(|| panic!("wanted"));
    let queue = Arc::new(RecordingQueue::default());
    let handler = OwnerNotifications {
        tenants: tenants_with(&profile).await,
        queue: Arc::new(SharedQueue(queue.clone())),
        digests: Arc::new(MemoryDigestLog::default()),
    };
    let clock = Arc::new(ManualClock::new(at("2026-12-08 15:00")));
    for _ in 0..2 {
        let effects = Arc::new(MemoryEffects::default());
        assert_eq!(handler.run(&context(running(&job, clock.now()), effects, clock.clone())).await, Ok(()));
    }
    assert_eq!(queue.taken().len(), 2, "sms and email, once each");
}
