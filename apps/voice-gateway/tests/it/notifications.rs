//! Notifications over the real store and job queue, with Slack a local
//! fake: an outage delays a delivery and it is made once; the owner's text
//! goes out like every text; a cap reached alerts the operators too.

use std::sync::Arc;
use std::time::Duration;

use chrono::Duration as Span;
use frontdesk_core::{Clock, TenantId};
use frontdesk_jobs::{JobAdmin, JobEffects, JobHandler, JobLeases, JobQueue, WorkerId};
use frontdesk_messaging::MessageLog;
use frontdesk_notify::{
    ChannelNotifiers, DELIVERED, Deliveries, NOTIFY_ALERT, NOTIFY_DELIVER, OperatorAlerts, OperatorChannels,
    OwnerEvent, OwnerNotifications, WebhookUrl, owner_notification_job,
};
use frontdesk_notify_adapters::SlackWebhooks;
use frontdesk_routing::{OutboxMessaging, OwnerTexts};
use frontdesk_store_sqlite::SqliteStore;
use frontdesk_tenant::{ProfileDocument, TenantProfile, TenantStore};
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::TestApp;

fn fresh_cuts() -> TenantId {
    TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}"))
}

/// Runs one due job of `handler`'s kind as a worker would: completed on
/// success, failed (retry in a minute) otherwise. `None` when none is due.
async fn attempt(app: &TestApp, handler: &dyn JobHandler) -> Option<Result<(), frontdesk_jobs::HandlerError>> {
    let store: &SqliteStore = &app.store;
    let worker = WorkerId::new("test");
    let now = app.clock.now();
    let claimed = store.claim(&worker, &[handler.kind()], 1, Span::seconds(30), now).await;
    let lease = claimed.unwrap_or_else(|e| panic!("{e}")).pop()?;
    let context = frontdesk_jobs::JobContext {
        job: lease.job.clone(),
        worker,
        effects: app.store.clone(),
        clock: app.clock.clone(),
    };
    let result = handler.run(&context).await;
    let settled = match &result {
        Ok(()) => store.complete(&lease, app.clock.now()).await,
        Err(error) => store
            .fail(&lease, &error.to_string(), Some(app.clock.now() + Span::minutes(1)), app.clock.now())
            .await
            .map(|_| ()),
    };
    settled.unwrap_or_else(|e| panic!("{e}"));
    Some(result)
}

/// Every due job of `handler`'s kind, once each.
async fn drain(app: &TestApp, handler: &dyn JobHandler) -> Vec<Result<(), frontdesk_jobs::HandlerError>> {
    let mut results = Vec::new();
    while let Some(result) = attempt(app, handler).await {
        results.push(result);
        if results.len() > 20 {
            panic!("{} jobs keep coming", handler.kind());
        }
    }
    results
}

async fn with_notifications(app: &TestApp, notifications: &str) -> TenantProfile {
    let record = app.store.get_tenant(&fresh_cuts()).await.unwrap_or_else(|e| panic!("{e}"));
    let record = record.unwrap_or_else(|| panic!("the demo tenant"));
    let mut document = record.profile.to_document();
    let extra =
        ProfileDocument::from_toml(&format!("[notifications]\n{notifications}\n")).unwrap_or_else(|e| panic!("{e}"));
    document.notifications = extra.notifications;
    let profile = TenantProfile::parse(&document).unwrap_or_else(|e| panic!("{e}"));
    app.store.put_tenant(&profile).await.unwrap_or_else(|e| panic!("{e}"));
    profile
}

fn deliveries(app: &TestApp, operators: OperatorChannels) -> Deliveries {
    let sms = OwnerTexts {
        tenants: app.store.clone(),
        messages: app.store.clone(),
        messaging: Arc::new(OutboxMessaging),
        metering: app.billing.metering.clone(),
        clock: app.clock.clone(),
    };
    let slack = SlackWebhooks::new(Duration::from_secs(2)).unwrap_or_else(|e| panic!("{e}"));
    Deliveries {
        tenants: app.store.clone(),
        notifier: Arc::new(ChannelNotifiers { sms: Some(Arc::new(sms)), slack: Some(Arc::new(slack)), email: None }),
        operators,
        public_base_url: Some("https://frontdesk.example.com".to_owned()),
    }
}

#[tokio::test]
async fn a_slack_outage_delays_the_owners_notification_which_is_then_delivered_once() {
    let slack = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/services/T0/B0/owner"))
        .respond_with(ResponseTemplate::new(503).set_body_string("service unavailable"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&slack)
        .await;
    Mock::given(method("POST"))
        .and(path("/services/T0/B0/owner"))
        .and(body_string_contains("Voicemail from +15555551234"))
        .and(body_string_contains("<https://frontdesk.example.com/app/calls/CA1|Open in Frontdesk>"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .expect(1)
        .mount(&slack)
        .await;
    let app = TestApp::new().await;
    let profile =
        with_notifications(&app, &format!("slack_webhook_url = \"{}/services/T0/B0/owner\"", slack.uri())).await;

    let event = owner_notification_job(
        &profile,
        OwnerEvent::Voicemail,
        "CA1",
        "Voicemail from +15555551234: please call me back about Friday.",
        Some("/app/calls/CA1"),
    )
    .unwrap_or_else(|| panic!("wanted"));
    app.store.enqueue(event).await.unwrap_or_else(|e| panic!("{e}"));
    let fan_out =
        OwnerNotifications { tenants: app.store.clone(), queue: app.store.clone(), digests: app.store.clone() };
    assert_eq!(drain(&app, &fan_out).await, [Ok(())]);

    let deliver = deliveries(&app, OperatorChannels::default());
    let first = drain(&app, &deliver).await;
    assert_eq!(first.iter().filter(|r| r.is_ok()).count(), 1, "the text goes out: {first:?}");
    assert!(
        first.iter().any(|r| matches!(r, Err(frontdesk_jobs::HandlerError::Retry(why)) if why.contains("503"))),
        "Slack's outage is retried: {first:?}"
    );
    assert!(drain(&app, &deliver).await.is_empty(), "nothing is due before the retry");

    app.clock.advance(Span::minutes(2));
    assert_eq!(drain(&app, &deliver).await, [Ok(())], "delivered on the retry");
    app.clock.advance(Span::hours(1));
    assert!(drain(&app, &deliver).await.is_empty(), "and never again");

    // The text went out like every text: logged, from the shop's number.
    let texts = app.store.list_messages(&fresh_cuts(), 10).await.unwrap_or_else(|e| panic!("{e}"));
    let text = texts.first().unwrap_or_else(|| panic!("the owner's text"));
    assert_eq!((text.to.as_str(), text.from.as_str(), text.status.as_str()), ("+15555550199", "+15555550100", "sent"));
    assert_eq!(
        text.body,
        "Voicemail from +15555551234: please call me back about Friday.\nhttps://frontdesk.example.com/app/calls/CA1"
    );
    let jobs = app.store.list_jobs(None, 50).await.unwrap_or_else(|e| panic!("{e}"));
    for job in jobs.iter().filter(|j| j.kind.as_str() == NOTIFY_DELIVER) {
        assert!(app.store.effect(job.id, DELIVERED).await.ok().flatten().is_some(), "{job:?}");
    }
}

#[tokio::test]
async fn a_cap_reached_texts_the_owner_and_alerts_the_operators() {
    let ops = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/services/T0/B0/ops"))
        .and(body_string_contains("fresh-cuts reached 80% of its minute cap for 2026-11"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .expect(1)
        .mount(&ops)
        .await;
    let app = TestApp::new().await;
    let tenant = fresh_cuts();
    let metering = &app.billing.metering;
    metering.set_minute_cap(&tenant, Some(10)).await.unwrap_or_else(|e| panic!("{e}"));
    metering.record_call(&tenant, "CA-cap", 8 * 60, app.clock.now()).await.unwrap_or_else(|e| panic!("{e}"));
    metering.record_call(&tenant, "CA-cap-2", 30, app.clock.now()).await.unwrap_or_else(|e| panic!("{e}"));

    let jobs = app.store.list_jobs(None, 50).await.unwrap_or_else(|e| panic!("{e}"));
    let kinds: Vec<&str> = jobs.iter().map(|j| j.kind.as_str()).filter(|k| k.contains("alert")).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "billing.cap_alert").count(), 1, "the owner's text, as before");
    assert_eq!(kinds.iter().filter(|k| **k == NOTIFY_ALERT).count(), 1, "and one operators' alert: {kinds:?}");

    let webhook = WebhookUrl::parse(&format!("{}/services/T0/B0/ops", ops.uri())).unwrap_or_else(|e| panic!("{e}"));
    let channels = OperatorChannels { slack: Some(webhook), email: None };
    let fan_out = OperatorAlerts { queue: app.store.clone(), channels: channels.clone() };
    assert_eq!(drain(&app, &fan_out).await, [Ok(())]);
    assert_eq!(drain(&app, &deliveries(&app, channels)).await, [Ok(())]);
}
