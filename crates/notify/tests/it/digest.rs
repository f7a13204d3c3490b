//! An owner who chose the digest gets one summary a day instead of each event.

use std::sync::Arc;

use frontdesk_core::{Clock, ManualClock};
use frontdesk_jobs::JobHandler;
use frontdesk_notify::{
    DIGEST, DailyDigests, DigestLog, DigestSweep, MemoryDigestLog, NOTIFY_DELIVER, OwnerEvent, OwnerNotifications,
    owner_notification_job,
};

use crate::support::{RecordingQueue, SharedQueue, at, context, running, shop, tenants_with};

#[tokio::test]
async fn the_digest_replaces_single_events_and_sums_up_the_day_once() {
    let profile = shop("digest = true\nslack_webhook_url = \"https://hooks.slack.com/services/T0/B0/x\"");
    let tenants = tenants_with(&profile).await;
    let queue = Arc::new(RecordingQueue::default());
    let digests = Arc::new(MemoryDigestLog::default());
    let owner = OwnerNotifications {
        tenants: tenants.clone(),
        queue: Arc::new(SharedQueue(queue.clone())),
        digests: digests.clone(),
    };
    let clock = Arc::new(ManualClock::new(at("2026-12-08 15:00")));
    // Three events on Tuesday (New York: UTC-5), one after Tuesday's 19:00.
    let events = [
        ("2026-12-08 15:00", OwnerEvent::BookingMade, "b1", "Jane Doe booked a Haircut for Wed, Dec 9 at 2:00 PM."),
        ("2026-12-08 16:30", OwnerEvent::BookingMade, "b2", "Sam Lee booked a Haircut for Thu, Dec 10 at 9:00 AM."),
        ("2026-12-08 23:10", OwnerEvent::Voicemail, "CA1", "Voicemail from +15555550123: call me back about Friday."),
        ("2026-12-09 00:30", OwnerEvent::BookingCancelled, "b1", "Jane Doe cancelled her Haircut."),
    ];
    for (when, event, key, body) in events {
        let job = owner_notification_job(&profile, event, key, body, None).unwrap_or_else(|| panic!("wanted"));
        assert_eq!(owner.run(&context(running(&job, at(when)), Arc::default(), clock.clone())).await, Ok(()));
        // A retried event is kept once.
        assert_eq!(owner.run(&context(running(&job, at(when)), Arc::default(), clock.clone())).await, Ok(()));
    }
    assert!(queue.taken().is_empty(), "no single event is sent");

    // The hourly sweep after Tuesday 19:00 enqueues Tuesday's digest, once.
    let sweep = DigestSweep { tenants: tenants.clone(), queue: Arc::new(SharedQueue(queue.clone())) };
    clock.set(at("2026-12-09 00:05"));
    let sweep_job = frontdesk_jobs::NewJob::new(
        frontdesk_jobs::JobKind::parse("notify.digest_sweep").unwrap_or_else(|e| panic!("{e}")),
        serde_json::json!({}),
    );
    for _ in 0..2 {
        assert_eq!(sweep.run(&context(running(&sweep_job, clock.now()), Arc::default(), clock.clone())).await, Ok(()));
    }
    let due = queue.taken();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].kind.as_str(), DIGEST);
    assert_eq!(due[0].unique_key.as_deref(), Some("notify.digest:fresh-cuts:2026-12-08"));

    let daily = DailyDigests { tenants, queue: Arc::new(SharedQueue(queue.clone())), digests: digests.clone() };
    assert_eq!(daily.run(&context(running(&due[0], clock.now()), Arc::default(), clock.clone())).await, Ok(()));
    let deliveries = queue.taken();
    let channels: Vec<&str> = deliveries.iter().map(|j| j.payload["channel"].as_str().unwrap_or("?")).collect();
    assert_eq!(channels, ["sms", "slack"]);
    assert!(deliveries.iter().all(|j| j.kind.as_str() == NOTIFY_DELIVER && j.payload["event"] == "daily_digest"));
    let body = deliveries[0].payload["body"].as_str().unwrap_or_default();
    assert_eq!(
        body,
        "Fresh Cuts since yesterday evening: 2 bookings made, 1 voicemail.\n\
         - Tue 10:00 AM: Jane Doe booked a Haircut for Wed, Dec 9 at 2:00 PM.\n\
         - Tue 11:30 AM: Sam Lee booked a Haircut for Thu, Dec 10 at 9:00 AM.\n\
         - Tue 6:10 PM: Voicemail from +15555550123: call me back about Friday."
    );
    assert_eq!(deliveries[0].payload["subject"], "Fresh Cuts: your day, Tue, Dec 8");
    let later = digests.digest_entries(profile.slug(), at("2026-12-09 00:00"), at("2026-12-10 00:00")).await;
    assert_eq!(later.map(|e| e.len()).ok(), Some(1), "the cancellation after 19:00 waits for Wednesday's digest");
}

#[tokio::test]
async fn a_quiet_day_sends_no_digest_and_a_shop_without_the_digest_gets_none() {
    let profile = shop("digest = true");
    let queue = Arc::new(RecordingQueue::default());
    let clock = Arc::new(ManualClock::new(at("2026-12-09 00:05")));
    let daily = DailyDigests {
        tenants: tenants_with(&profile).await,
        queue: Arc::new(SharedQueue(queue.clone())),
        digests: Arc::new(MemoryDigestLog::default()),
    };
    let job = frontdesk_jobs::NewJob::new(
        frontdesk_jobs::JobKind::parse(DIGEST).unwrap_or_else(|e| panic!("{e}")),
        serde_json::json!({"day": "2026-12-08"}),
    )
    .for_tenant(profile.slug().clone());
    assert_eq!(daily.run(&context(running(&job, clock.now()), Arc::default(), clock.clone())).await, Ok(()));
    assert!(queue.taken().is_empty());

    let plain = shop("");
    let sweep = DigestSweep { tenants: tenants_with(&plain).await, queue: Arc::new(SharedQueue(queue.clone())) };
    assert_eq!(sweep.run(&context(running(&job, clock.now()), Arc::default(), clock)).await, Ok(()));
    assert!(queue.taken().is_empty());
}
