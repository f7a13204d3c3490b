//! A delivery reads its channel when it runs, is made once, and says
//! whether a failure is worth another attempt.

use std::sync::Arc;

use frontdesk_core::{Clock, ManualClock};
use frontdesk_jobs::{HandlerError, JobHandler, NewJob};
use frontdesk_notify::{
    Channel, DELIVERED, Deliveries, MemoryDigestLog, NotificationEvent, Notifier, NotifyError, OperatorChannels,
    OwnerEvent, OwnerNotifications, owner_notification_job,
};
use frontdesk_tenant::TenantProfile;

use crate::support::{
    MemoryEffects, RecordingQueue, ScriptedNotifier, SharedQueue, at, context, running, shop, tenants_with,
};

/// The delivery jobs of one booking event for `profile`.
async fn deliveries_of(profile: &TenantProfile) -> Vec<NewJob> {
    let job = owner_notification_job(
        profile,
        OwnerEvent::BookingMade,
        "b1",
        "Jane Doe booked a Haircut for Wed, Dec 9 at 2:00 PM.",
        Some("/app/bookings"),
    )
    .unwrap_or_else(|| panic!("wanted"));
    let queue = Arc::new(RecordingQueue::default());
    let fan_out = OwnerNotifications {
        tenants: tenants_with(profile).await,
        queue: Arc::new(SharedQueue(queue.clone())),
        digests: Arc::new(MemoryDigestLog::default()),
    };
    let clock = Arc::new(ManualClock::new(at("2026-12-08 15:00")));
    assert_eq!(fan_out.run(&context(running(&job, clock.now()), Arc::default(), clock)).await, Ok(()));
    queue.taken()
}

#[tokio::test]
async fn a_delivery_goes_to_the_owners_address_once_with_an_absolute_link() {
    let profile = shop("sms = false\nslack_webhook_url = \"https://hooks.slack.com/services/T0/B0/x\"");
    let jobs = deliveries_of(&profile).await;
    assert_eq!(jobs.len(), 1);
    let notifier = Arc::new(ScriptedNotifier::default());
    let handler = Deliveries {
        tenants: tenants_with(&profile).await,
        notifier: notifier.clone(),
        operators: OperatorChannels::default(),
        public_base_url: Some("https://frontdesk.example/".to_owned()),
    };
    let clock = Arc::new(ManualClock::new(at("2026-12-08 15:00")));
    let effects = Arc::new(MemoryEffects::default());
    for _ in 0..2 {
        let run = handler.run(&context(running(&jobs[0], clock.now()), effects.clone(), clock.clone())).await;
        assert_eq!(run, Ok(()));
    }
    let given = notifier.given();
    assert_eq!(given.len(), 1, "delivered once, however often the job runs");
    let (tenant, notification, channel) = &given[0];
    assert_eq!(tenant.as_ref(), Some(profile.slug()));
    assert!(matches!(channel, Channel::Slack(url) if url.expose() == "https://hooks.slack.com/services/T0/B0/x"));
    assert_eq!(notification.event, NotificationEvent::Owner(OwnerEvent::BookingMade));
    assert_eq!(notification.subject, "Fresh Cuts: new booking by phone");
    assert_eq!(notification.link.as_deref(), Some("https://frontdesk.example/app/bookings"));
    assert_eq!(notification.id, jobs[0].id.to_string());
    use frontdesk_jobs::JobEffects;
    assert_eq!(effects.effect(jobs[0].id, DELIVERED).await.ok().flatten().as_deref(), Some("ok"));
}

#[tokio::test]
async fn outages_are_retried_and_refusals_are_not() {
    let profile = shop("");
    let jobs = deliveries_of(&profile).await;
    type Expected = fn(&HandlerError) -> bool;
    let cases: [(NotifyError, Expected); 5] = [
        (NotifyError::Unavailable("503".into()), |e| matches!(e, HandlerError::Retry(_))),
        (NotifyError::RateLimited { retry_after: None }, |e| matches!(e, HandlerError::Retry(_))),
        // Slack's 429 says how long to wait: the retry waits that long.
        (
            NotifyError::RateLimited { retry_after: Some(std::time::Duration::from_secs(30)) },
            |e| matches!(e, HandlerError::RetryAfter(_, after) if *after == std::time::Duration::from_secs(30)),
        ),
        (NotifyError::Rejected("no_service".into()), |e| matches!(e, HandlerError::Permanent(_))),
        (NotifyError::NotConfigured(frontdesk_notify::ChannelKind::Sms), |e| matches!(e, HandlerError::Permanent(_))),
    ];
    for (answer, expected) in cases {
        let shown = answer.to_string();
        let notifier: Arc<dyn Notifier> = Arc::new(ScriptedNotifier::answering(vec![Err(answer)]));
        let handler = Deliveries {
            tenants: tenants_with(&profile).await,
            notifier,
            operators: OperatorChannels::default(),
            public_base_url: None,
        };
        let clock = Arc::new(ManualClock::new(at("2026-12-08 15:00")));
        let run = handler.run(&context(running(&jobs[0], clock.now()), Arc::default(), clock)).await;
        assert!(run.as_ref().is_err_and(expected), "{shown}: {run:?}");
    }
}

#[tokio::test]
async fn a_channel_the_owner_dropped_since_is_not_sent_to() {
    let before = shop("email = \"owner@shop.example\"");
    let jobs = deliveries_of(&before).await;
    let email = jobs.iter().find(|j| j.payload["channel"] == "email").cloned().unwrap_or_else(|| panic!("email"));
    let notifier = Arc::new(ScriptedNotifier::default());
    let handler = Deliveries {
        tenants: tenants_with(&shop("")).await,
        notifier: notifier.clone(),
        operators: OperatorChannels::default(),
        public_base_url: None,
    };
    let clock = Arc::new(ManualClock::new(at("2026-12-08 15:00")));
    assert_eq!(handler.run(&context(running(&email, clock.now()), Arc::default(), clock)).await, Ok(()));
    assert!(notifier.given().is_empty());
}
