//! A tenant with a Google Calendar, end to end on SQLite against a local fake
//! of Google: busy times shape availability, bookings reach the calendar
//! through jobs (never inside the request), cancellations remove them, and a
//! failing Google falls back to the built-in view.

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeZone;
use frontdesk_calendar::{
    BookingId, BookingRequest, BookingService, BookingSource, CALENDAR_DELETE, CALENDAR_INSERT, CALENDAR_PATCH,
    CalendarSync, Customer, ExternalCalendar,
};
use frontdesk_core::{Clock, E164, ManualClock};
use frontdesk_google_calendar::{GoogleCalendar, GoogleCalendarConfig, ServiceAccountKey};
use frontdesk_jobs::{JobAdmin, JobState, Worker, WorkerConfig, WorkerId};
use frontdesk_store_sqlite::SqliteStore;
use frontdesk_tenant::{ProfileDocument, TenantProfile, TenantStore};
use serde_json::json;
use tokio::sync::watch;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SHOP_CALENDAR: &str = "fresh-cuts@group.calendar.google.com";

fn fresh_cuts_with_calendar() -> TenantProfile {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/tenants/fresh-cuts.toml");
    let mut document = ProfileDocument::from_toml(&std::fs::read_to_string(path).unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}"));
    document.calendar_id = Some(SHOP_CALENDAR.to_owned());
    TenantProfile::parse(&document).unwrap_or_else(|e| panic!("{e}"))
}

async fn google(server: &MockServer, clock: Arc<dyn Clock>) -> Arc<dyn ExternalCalendar> {
    let key_path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/google/test-service-account.json");
    let mut key: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(key_path).unwrap_or_default()).unwrap_or_else(|e| panic!("{e}"));
    key["token_uri"] = json!(format!("{}/token", server.uri()));
    let config = GoogleCalendarConfig {
        api_base: server.uri(),
        platform_key: Some(ServiceAccountKey::from_json(&key.to_string()).unwrap_or_else(|e| panic!("{e}"))),
        ..GoogleCalendarConfig::default()
    };
    Arc::new(GoogleCalendar::new(config, clock).unwrap_or_else(|e| panic!("{e}")))
}

async fn mount_token(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "ya29.test", "expires_in": 3599, "token_type": "Bearer"})),
        )
        .mount(server)
        .await;
}

fn local(at: &str) -> chrono::DateTime<chrono::Utc> {
    let naive = chrono::NaiveDateTime::parse_from_str(at, "%Y-%m-%d %H:%M").unwrap_or_else(|e| panic!("{e}"));
    chrono_tz::America::New_York
        .from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_default()
}

fn starts(slots: &[frontdesk_calendar::Slot]) -> Vec<String> {
    slots.iter().map(|s| s.start.with_timezone(&chrono_tz::America::New_York).format("%H:%M").to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bookings_follow_and_reach_the_shop_s_google_calendar() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    Mock::given(method("POST"))
        .and(path("/freeBusy"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "kind": "calendar#freeBusy",
            "calendars": {SHOP_CALENDAR: {"busy": [{"start": "2026-11-27T19:00:00Z", "end": "2026-11-27T20:00:00Z"}]}}
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/calendars/fresh-cuts%40group.calendar.google.com/events"))
        .and(header("authorization", "Bearer ya29.test"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "x", "status": "confirmed"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "x", "status": "confirmed"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE")).respond_with(ResponseTemplate::new(204)).expect(1).mount(&server).await;

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let clock = Arc::new(ManualClock::new(local("2026-11-23 12:00")));
    let store = Arc::new(
        SqliteStore::open(&format!("sqlite://{}", dir.path().join("c.db").display()), clock.clone())
            .await
            .unwrap_or_else(|e| panic!("{e:#}")),
    );
    let profile = fresh_cuts_with_calendar();
    assert!(store.put_tenant(&profile).await.is_ok());
    let calendar = google(&server, clock.clone()).await;
    let service = BookingService::new(store.clone(), clock.clone()).with_external_calendar(calendar.clone());

    // The shop's calendar is busy 14:00-15:00 on Friday: nobody is offered then.
    let friday = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap_or_default();
    let slots = service.availability(&profile, "haircut", None, friday, 1).await.unwrap_or_else(|e| panic!("{e}"));
    let offered = starts(&slots);
    for busy in ["13:30", "13:45", "14:00", "14:30", "14:45"] {
        assert!(!offered.contains(&busy.to_owned()), "{busy} overlaps Google busy time: {offered:?}");
    }
    assert!(offered.contains(&"15:00".to_owned()));

    // A booking enqueues the calendar write in its transaction; the request never calls Google.
    let request = BookingRequest {
        service: "haircut".to_owned(),
        start: local("2026-11-27 16:00"),
        staff: None,
        customer: Customer {
            name: "Jane Doe".to_owned(),
            phone: E164::parse("+15555551234").unwrap_or_else(|e| panic!("{e}")),
        },
        source: BookingSource::Phone,
        idempotency_key: None,
        hold: None,
        notify_customer: false,
    };
    let booking = service.book(&profile, request).await.unwrap_or_else(|e| panic!("{e}"));
    let inserts = server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path().contains("/events"))
        .count();
    assert_eq!(inserts, 0, "no calendar write inside the booking");
    // The calendar write, and the owner's notification of a booking by phone.
    assert_eq!(store.job_counts().await.map(|c| c.queued).ok(), Some(2));

    // The worker mirrors it.
    let mut config = WorkerConfig::new(WorkerId::new("calendar-test"));
    config.poll_interval = Duration::from_millis(10);
    let mut worker = Worker::new(store.clone(), store.clone(), clock.clone(), config);
    for kind in [CALENDAR_INSERT, CALENDAR_PATCH, CALENDAR_DELETE] {
        worker = worker.handler(Arc::new(CalendarSync {
            kind,
            tenants: store.clone(),
            bookings: store.clone(),
            calendar: calendar.clone(),
        }));
    }
    let (stop, mut stopped) = watch::channel(false);
    let running = tokio::spawn(worker.run(async move {
        let _ = stopped.wait_for(|s| *s).await;
    }));
    wait_for_succeeded(&store, 1).await;
    let insert = server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .find(|r| r.method.as_str() == "POST" && r.url.path().ends_with("/events"))
        .unwrap_or_else(|| panic!("no insert"));
    let body: serde_json::Value = serde_json::from_slice(&insert.body).unwrap_or_default();
    assert_eq!(body["id"], booking.id.event_id());
    assert_eq!(body["start"]["dateTime"], "2026-11-27T16:00:00-05:00");
    assert_eq!(body["extendedProperties"]["private"]["booking_id"], booking.id.to_string());

    // Rescheduling moves the same event (its id stays the first booking's).
    let moved = service
        .reschedule(&profile, booking.id, local("2026-11-28 10:00"), None, frontdesk_calendar::Notify::Nobody)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    wait_for_succeeded(&store, 2).await;
    let patch = server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .find(|r| r.method.as_str() == "PATCH")
        .unwrap_or_else(|| panic!("no patch"));
    assert!(patch.url.path().ends_with(&format!("/events/{}", booking.id.event_id())), "{}", patch.url);
    let body: serde_json::Value = serde_json::from_slice(&patch.body).unwrap_or_default();
    assert_eq!(body["start"]["dateTime"], "2026-11-28T10:00:00-05:00");

    // Cancelling the moved booking removes that same event, again through a job.
    assert!(
        service
            .cancel(&profile, moved.id, frontdesk_calendar::Notice::Waive, frontdesk_calendar::Notify::Nobody)
            .await
            .is_ok()
    );
    wait_for_succeeded(&store, 3).await;
    let _ = stop.send(true);
    assert!(running.await.is_ok());
    let deleted = server.received_requests().await.unwrap_or_default().into_iter().any(|r| {
        r.method.as_str() == "DELETE"
            && r.url.path().ends_with(&format!("/events/{}", BookingId::event_id(&booking.id)))
    });
    assert!(deleted);
}

async fn wait_for_succeeded(store: &SqliteStore, count: u64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let counts = store.job_counts().await.unwrap_or_default();
        if counts.succeeded >= count {
            return;
        }
        assert!(counts.dead == 0, "a calendar job died: {:?}", store.list_jobs(Some(JobState::Dead), 5).await.ok());
        assert!(tokio::time::Instant::now() < deadline, "calendar jobs did not finish: {counts:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_google_calendar_falls_back_to_the_built_in_view() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    Mock::given(method("POST")).and(path("/freeBusy")).respond_with(ResponseTemplate::new(503)).mount(&server).await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let clock = Arc::new(ManualClock::new(local("2026-11-23 12:00")));
    let store = Arc::new(
        SqliteStore::open(&format!("sqlite://{}", dir.path().join("c.db").display()), clock.clone())
            .await
            .unwrap_or_else(|e| panic!("{e:#}")),
    );
    let profile = fresh_cuts_with_calendar();
    assert!(store.put_tenant(&profile).await.is_ok());
    let service =
        BookingService::new(store.clone(), clock.clone()).with_external_calendar(google(&server, clock.clone()).await);
    let friday = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap_or_default();
    let slots = service.availability(&profile, "haircut", None, friday, 1).await;
    assert_eq!(slots.map(|s| s.len()).ok(), Some(35), "every slot of the built-in view, no error");
}
