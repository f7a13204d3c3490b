//! Two gateway processes sharing one database and one Redis: a flag changed
//! through one is obeyed by the other at once (pub/sub invalidation), not
//! after the cache's TTL. Needs `FRONTDESK_TEST_REDIS_URL` (`.ci/run` sets it).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use frontdesk_core::ManualClock;
use frontdesk_redis::{RedisFlagCache, RedisFlagCacheOptions};
use frontdesk_runtime::{Backend, Billing};
use frontdesk_store_sqlite::SqliteStore;
use serde_json::{Value, json};
use tower::ServiceExt;
use voice_gateway::{AppState, HttpLimits, TwilioSettings, router};

use crate::support::{PUBLIC_URL, SECRET, STRIPE_SECRET, TWILIO_TOKEN, token_at};

/// Monday 23 November 2026, 10:00 in New York: Fresh Cuts is open.
fn monday_morning() -> chrono::DateTime<chrono::Utc> {
    chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 23, 15, 0, 0).single().unwrap_or_default()
}

fn redis_url() -> Option<String> {
    let url = std::env::var("FRONTDESK_TEST_REDIS_URL").ok().filter(|u| !u.is_empty());
    if url.is_none() {
        eprintln!("skipped: FRONTDESK_TEST_REDIS_URL is not set");
    }
    url
}

/// One "gateway process": its own store connection, its own Redis
/// connections and its own in-process cache level.
async fn gateway(database: &str, redis: &str, namespace: &str, clock: Arc<ManualClock>) -> Router {
    let store = Arc::new(SqliteStore::open(database, clock.clone()).await.unwrap_or_else(|e| panic!("{e:#}")));
    let backend = Backend::from_store("sqlite", store.clone());
    let options = RedisFlagCacheOptions { namespace: namespace.to_owned(), ..RedisFlagCacheOptions::default() };
    let cache = RedisFlagCache::connect_with(redis, clock.clone(), options).await.unwrap_or_else(|e| panic!("{e}"));
    let billing = Billing::new(
        &backend,
        Arc::new(cache),
        None,
        Duration::from_secs(7 * 86_400),
        frontdesk_billing::PriceTable::standard(),
    );
    let bookings = Arc::new(frontdesk_calendar::BookingService::new(store.clone(), clock.clone()));
    let twilio = TwilioSettings {
        public_base_url: PUBLIC_URL.to_owned(),
        validator: Arc::new(frontdesk_twilio::RequestValidator::new(TWILIO_TOKEN)),
        dialogue: Arc::new(frontdesk_routing::Dialogue::new(bookings.clone())),
        check_durations: false,
        transcribe_messages: false,
    };
    let tokens = frontdesk_auth::TokenSecret::new(SECRET.as_bytes());
    let webhook = frontdesk_stripe::WebhookVerifier::new(STRIPE_SECRET).unwrap_or_else(|e| panic!("{e}"));
    let state = AppState::new(&backend, &billing, bookings, clock, tokens, webhook, Some(twilio));
    router(state, HttpLimits { request_timeout: Duration::from_secs(10), body_limit_bytes: 64 * 1024 })
}

async fn admin(router: &Router, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let token = token_at("admin", monday_morning(), 60);
    let mut request = Request::builder().method(method).uri(path).header("authorization", format!("Bearer {token}"));
    let body = match body {
        Some(json) => {
            request = request.header("content-type", "application/json");
            Body::from(json.to_string())
        }
        None => Body::empty(),
    };
    let response = router.clone().oneshot(request.body(body).unwrap_or_else(|e| panic!("{e}"))).await;
    let response = response.unwrap_or_else(|e| match e {});
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap_or_default();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

async fn booking_call(router: &Router, call_sid: &str) -> String {
    let turns: [(&str, Vec<(&str, &str)>); 2] = [
        ("/twilio/voice", vec![]),
        ("/twilio/gather?turn=1", vec![("SpeechResult", "can I book a haircut tomorrow at 2")]),
    ];
    let mut twiml = String::new();
    for (path, extra) in turns {
        let params: Vec<(String, String)> = [("CallSid", call_sid), ("From", "+15555551234"), ("To", "+15555550100")]
            .iter()
            .chain(extra.iter())
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        twiml = crate::support::twilio_post(router, path, &params).await.1;
    }
    twiml
}

fn allow_ai_booking(flags: &Value) -> (Value, Value) {
    let flag = flags["flags"].as_array().and_then(|f| f.iter().find(|f| f["flag"] == "allow_ai_booking")).cloned();
    let flag = flag.unwrap_or_else(|| panic!("no allow_ai_booking in {flags}"));
    (flag["enabled"].clone(), flag["source"].clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flag_changed_through_one_gateway_is_obeyed_by_the_other_at_once() {
    let Some(redis) = redis_url() else { return };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let database = format!("sqlite://{}", dir.path().join("shared.db").display());
    let namespace = format!("frontdesk-test-{}", uuid::Uuid::new_v4().simple());
    let clock = Arc::new(ManualClock::new(monday_morning()));
    let first = gateway(&database, &redis, &namespace, clock.clone()).await;
    let store = SqliteStore::open(&database, clock.clone()).await.unwrap_or_else(|e| panic!("{e:#}"));
    voice_gateway::demo::seed_demo_tenants(&store).await.unwrap_or_else(|e| panic!("{e:#}"));
    let second = gateway(&database, &redis, &namespace, clock.clone()).await;

    // Both read (and cache) the flags: the default lets the AI book.
    for router in [&first, &second] {
        let (status, flags) = admin(router, Method::GET, "/admin/tenants/fresh-cuts/flags", None).await;
        assert_eq!(status, StatusCode::OK, "{flags}");
        assert_eq!(allow_ai_booking(&flags), (json!(true), json!("default")));
    }
    assert!(booking_call(&second, "CA-shared-1").await.contains("<Gather"), "B books");

    // The operator switches bookings off through A.
    let path = "/admin/tenants/fresh-cuts/flags/allow_ai_booking";
    let (status, body) = admin(&first, Method::PUT, path, Some(json!({"enabled": false}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // B obeys well before the 30 s TTL (the clock is frozen: only the
    // invalidation message can make B forget).
    let started = Instant::now();
    loop {
        let (_, flags) = admin(&second, Method::GET, "/admin/tenants/fresh-cuts/flags", None).await;
        if allow_ai_booking(&flags) == (json!(false), json!("override")) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(2), "B still serves the old value: {flags}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let twiml = booking_call(&second, "CA-shared-2").await;
    assert!(twiml.contains("<Record"), "B takes a message instead of booking: {twiml}");
}

#[tokio::test]
async fn with_redis_down_flags_come_from_the_store_and_calls_are_answered() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let database = format!("sqlite://{}", dir.path().join("down.db").display());
    let clock = Arc::new(ManualClock::new(monday_morning()));
    let store = SqliteStore::open(&database, clock.clone()).await.unwrap_or_else(|e| panic!("{e:#}"));
    voice_gateway::demo::seed_demo_tenants(&store).await.unwrap_or_else(|e| panic!("{e:#}"));
    let started = Instant::now();
    let gateway = gateway(&database, "redis://127.0.0.1:1", "frontdesk-down", clock.clone()).await;
    let (status, _) = admin(
        &gateway,
        Method::PUT,
        "/admin/tenants/fresh-cuts/flags/allow_ai_booking",
        Some(json!({"enabled": false})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "a write still lands in the store");
    let (_, flags) = admin(&gateway, Method::GET, "/admin/tenants/fresh-cuts/flags", None).await;
    assert_eq!(allow_ai_booking(&flags), (json!(false), json!("override")), "read from the store");
    let twiml = booking_call(&gateway, "CA-down-1").await;
    assert!(twiml.contains("<Record"), "the call is answered and obeys the flag: {twiml}");
    assert!(started.elapsed() < Duration::from_secs(5), "no long stalls: {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_disabled_through_one_gateway_is_out_of_service_on_the_other_at_once() {
    let Some(redis) = redis_url() else { return };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let database = format!("sqlite://{}", dir.path().join("tenants.db").display());
    let namespace = format!("frontdesk-test-{}", uuid::Uuid::new_v4().simple());
    let clock = Arc::new(ManualClock::new(monday_morning()));
    let first = gateway(&database, &redis, &namespace, clock.clone()).await;
    let store = SqliteStore::open(&database, clock.clone()).await.unwrap_or_else(|e| panic!("{e:#}"));
    voice_gateway::demo::seed_demo_tenants(&store).await.unwrap_or_else(|e| panic!("{e:#}"));
    let second = gateway(&database, &redis, &namespace, clock.clone()).await;

    // B resolves the shop's number (and keeps it in its directory).
    assert!(booking_call(&second, "CA-tenant-1").await.contains("<Gather"), "B answers for the shop");

    // The operator disables the shop through A.
    let (status, body) = admin(&first, Method::DELETE, "/admin/tenants/fresh-cuts", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // B stops answering for it well before its directory's TTL (the clock is
    // frozen: only the invalidation message can make B forget).
    let started = Instant::now();
    loop {
        let twiml = booking_call(&second, &format!("CA-tenant-{}", started.elapsed().as_micros())).await;
        if twiml.contains("not in service") {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(2), "B still answers for a disabled shop: {twiml}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
