//! The billing side of the job worker: texts metered in SMS segments and
//! switched off by `enable_sms`, owner alerts, and usage and customers sent
//! to Stripe (a local fake speaking Stripe's wire format) by jobs.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use frontdesk_billing::{BillingStore, CustomerSetup, PriceTable, UsageReporter};
use frontdesk_core::{Clock, ManualClock, Plan, TenantId};
use frontdesk_jobs::{JobHandler, JobKind, JobLeases, WorkerId};
use frontdesk_messaging::MessageLog;
use frontdesk_routing::{BookingTexts, CapAlerts, OutboxMessaging};
use frontdesk_runtime::{Backend, Billing};
use frontdesk_store_sqlite::SqliteStore;
use serde_json::json;
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{TestApp, run_next, start_time};

fn fresh_cuts() -> TenantId {
    TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}"))
}

fn billing(
    store: &Arc<SqliteStore>,
    clock: &Arc<ManualClock>,
    provider: Option<Arc<dyn frontdesk_billing::PaymentProvider>>,
) -> Billing {
    let backend = Backend::from_store("sqlite", store.clone());
    let cache = Arc::new(frontdesk_flags::LocalFlagCache::new(clock.clone()));
    Billing::new(&backend, cache, provider, Duration::from_secs(7 * 86_400), PriceTable::standard())
}

async fn book(app: &TestApp, start: &str) {
    let request =
        json!({"service": "Haircut", "start": start, "customer_name": "Sam", "customer_phone": "+15555551234"});
    let reply = app.admin(Method::POST, "/admin/tenants/fresh-cuts/bookings", Some(&request)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
}

#[tokio::test]
async fn texts_are_metered_in_segments_and_switched_off_by_enable_sms() {
    let app = TestApp::new().await;
    let billing = app.billing.clone();
    let texts = BookingTexts {
        tenants: app.store.clone(),
        bookings: app.store.clone(),
        messages: app.store.clone(),
        messaging: Arc::new(OutboxMessaging),
        flags: billing.flags.clone(),
        metering: billing.metering.clone(),
    };
    book(&app, "2026-11-27T14:00").await;
    run_next(&app.store, &app.clock, &texts).await.unwrap_or_else(|e| panic!("{e}"));
    let usage = app.admin(Method::GET, "/admin/tenants/fresh-cuts/usage", None).await;
    assert_eq!(usage.body["usage"]["sms_segments"], 1, "{}", usage.body);

    let flag = json!({"enabled": false});
    let off = app.admin(Method::PUT, "/admin/tenants/fresh-cuts/flags/enable_sms", Some(&flag)).await;
    assert_eq!(off.status, StatusCode::OK);
    book(&app, "2026-11-27T15:00").await;
    run_next(&app.store, &app.clock, &texts).await.unwrap_or_else(|e| panic!("{e}"));
    let messages = app.store.list_messages(&fresh_cuts(), 10).await.unwrap_or_else(|e| panic!("{e}"));
    let statuses: Vec<(&str, Option<&str>)> =
        messages.iter().map(|m| (m.status.as_str(), m.error.as_deref())).collect();
    assert!(statuses.contains(&("sent", None)), "{statuses:?}");
    let off = Some("texts are switched off for this shop (flag enable_sms)");
    assert!(statuses.contains(&("failed", off)), "{statuses:?}");
    let usage = app.admin(Method::GET, "/admin/tenants/fresh-cuts/usage", None).await;
    assert_eq!(usage.body["usage"]["sms_segments"], 1, "a text not sent is not metered");
}

#[tokio::test]
async fn the_owner_is_texted_when_a_cap_is_reached() {
    let app = TestApp::new().await;
    let billing = billing(&app.store, &app.clock, None);
    let tenant = fresh_cuts();
    billing.metering.set_minute_cap(&tenant, Some(10)).await.unwrap_or_else(|e| panic!("{e}"));
    billing.metering.record_call(&tenant, "CA-alert", 8 * 60, app.clock.now()).await.unwrap_or_else(|e| panic!("{e}"));
    let alerts = CapAlerts {
        tenants: app.store.clone(),
        messages: app.store.clone(),
        messaging: Arc::new(OutboxMessaging),
        metering: billing.metering.clone(),
    };
    run_next(&app.store, &app.clock, &alerts).await.unwrap_or_else(|e| panic!("{e}"));
    let messages = app.store.list_messages(&tenant, 10).await.unwrap_or_else(|e| panic!("{e}"));
    let alert = messages.first().unwrap_or_else(|| panic!("no alert text"));
    assert_eq!(alert.to.as_str(), "+15555550199", "to the owner's phone");
    assert!(alert.body.contains("8 of 10 included call minutes for 2026-11 (80%)"), "{}", alert.body);
    assert_eq!(alert.status, "sent");

    // A cap of 0 is an operator's suspension: calls go to the owner, and the
    // owner is not told they "used all 0 minutes".
    let other = frontdesk_core::TenantId::parse("bright-smile").unwrap_or_else(|e| panic!("{e}"));
    billing.metering.set_minute_cap(&other, Some(0)).await.unwrap_or_else(|e| panic!("{e}"));
    billing.metering.record_call(&other, "CA-suspended", 60, app.clock.now()).await.unwrap_or_else(|e| panic!("{e}"));
    let jobs = app.admin(Method::GET, "/admin/jobs?limit=100", None).await;
    let alerts_for = |slug: &str| {
        jobs.body["jobs"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|job| job["kind"] == "billing.cap_alert" && job["tenant"] == slug)
            .count()
    };
    assert_eq!(alerts_for("fresh-cuts"), 1, "the listing shows alerts by tenant: {}", jobs.body);
    assert_eq!(alerts_for("bright-smile"), 0, "{}", jobs.body);
}

fn stripe_provider(server: &MockServer) -> Arc<dyn frontdesk_billing::PaymentProvider> {
    let mut catalog = frontdesk_stripe::StripeCatalog::default();
    catalog.plan_prices.insert(Plan::Pro, "price_pro".to_owned());
    catalog.plan_prices.insert(Plan::Core, "price_core".to_owned());
    catalog.metered_prices = vec!["price_minutes".to_owned()];
    catalog.meter_events.insert(frontdesk_billing::UsageKind::CallMinutes, "frontdesk_call_minutes".to_owned());
    let mut config = frontdesk_stripe::StripeConfig::new("sk_test_frontdesk".to_owned(), catalog);
    config.base_url = server.uri();
    config.backoff_base = Duration::from_millis(1);
    Arc::new(frontdesk_stripe::StripeClient::new(config).unwrap_or_else(|e| panic!("{e}")))
}

#[tokio::test]
async fn usage_reaches_stripe_as_meter_events_identified_by_our_record_id() {
    let server = MockServer::start().await;
    let app = TestApp::new().await;
    let billing = billing(&app.store, &app.clock, Some(stripe_provider(&server)));
    let tenant = fresh_cuts();
    app.store.set_stripe_ids(&tenant, "cus_fresh", Some("sub_fresh")).await.unwrap_or_else(|e| panic!("{e}"));
    billing.metering.record_call(&tenant, "CA-stripe", 61, app.clock.now()).await.unwrap_or_else(|e| panic!("{e}"));
    // A repeated callback adds no second report.
    billing.metering.record_call(&tenant, "CA-stripe", 61, app.clock.now()).await.unwrap_or_else(|e| panic!("{e}"));
    let jobs = app.admin(Method::GET, "/admin/jobs?limit=100", None).await;
    let reports: Vec<_> =
        jobs.body["jobs"].as_array().into_iter().flatten().filter(|j| j["kind"] == "billing.report_usage").collect();
    assert_eq!(reports.len(), 1, "{}", jobs.body);
    let usage_id = reports[0]["payload"]["usage_id"].as_str().unwrap_or_default().to_owned();
    assert!(!usage_id.is_empty());

    let timestamp = start_time().timestamp();
    Mock::given(method("POST"))
        .and(path("/v1/billing/meter_events"))
        .and(header("authorization", "Bearer sk_test_frontdesk"))
        .and(header("idempotency-key", format!("meter-event:{usage_id}").as_str()))
        .and(body_string_contains(format!("identifier={usage_id}").as_str()))
        .and(body_string_contains("payload%5Bvalue%5D=2"))
        .and(body_string_contains("payload%5Bstripe_customer_id%5D=cus_fresh"))
        .and(body_string_contains("event_name=frontdesk_call_minutes"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "object": "billing.meter_event", "created": timestamp, "event_name": "frontdesk_call_minutes",
            "identifier": usage_id, "livemode": false,
            "payload": {"stripe_customer_id": "cus_fresh", "value": "2"}, "timestamp": timestamp,
        })))
        .expect(1)
        .mount(&server)
        .await;
    let reporter = UsageReporter { provider: billing.provider.clone().unwrap_or_else(|| panic!("provider")) };
    run_next(&app.store, &app.clock, &reporter).await.unwrap_or_else(|e| panic!("{e}"));
    server.verify().await;
}

#[tokio::test]
async fn a_tenant_gets_its_stripe_customer_and_subscription_once() {
    let server = MockServer::start().await;
    let app = TestApp::new().await;
    let billing = billing(&app.store, &app.clock, Some(stripe_provider(&server)));
    Mock::given(method("POST"))
        .and(path("/v1/customers"))
        .and(header("idempotency-key", "customer-fresh-cuts"))
        .and(body_string_contains("metadata%5Btenant_id%5D=fresh-cuts"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "cus_new", "object": "customer", "created": 1_764_000_000, "livemode": false,
            "metadata": {"tenant_id": "fresh-cuts"}, "name": "Fresh Cuts Barbershop",
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/subscriptions"))
        .and(body_string_contains("customer=cus_new"))
        .and(body_string_contains("items%5B0%5D%5Bprice%5D=price_pro&items%5B1%5D%5Bprice%5D=price_minutes"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "sub_new", "object": "subscription", "status": "active", "customer": "cus_new",
            "created": 1_764_000_000, "livemode": false, "metadata": {"tenant_id": "fresh-cuts"},
            "items": {"object": "list", "data": [], "has_more": false, "url": "/v1/subscription_items"},
        })))
        .expect(1)
        .mount(&server)
        .await;
    let tenant = fresh_cuts();
    let queue: &dyn frontdesk_jobs::JobQueue = app.store.as_ref();
    let change = app.clock.now();
    queue.enqueue(CustomerSetup::job(&tenant, Plan::Pro, change)).await.unwrap_or_else(|e| panic!("{e}"));
    let setup = CustomerSetup {
        ports: billing.ports.clone(),
        provider: billing.provider.clone().unwrap_or_else(|| panic!("provider")),
    };
    run_next(&app.store, &app.clock, &setup).await.unwrap_or_else(|e| panic!("{e}"));
    let account = app.store.billing_account(&tenant).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(account.stripe_customer_id.as_deref(), Some("cus_new"));
    assert_eq!(account.stripe_subscription_id.as_deref(), Some("sub_new"));
    // The same change enqueued again: the queue keeps the one setup job.
    let again = queue.enqueue(CustomerSetup::job(&tenant, Plan::Pro, change)).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(again, frontdesk_jobs::EnqueueOutcome::AlreadyQueued(_)), "{again:?}");
    server.verify().await;
}

fn subscription_reply(id: &str, status: &str, flat_price: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": id, "object": "subscription", "status": status, "customer": "cus_fresh",
        "created": 1_764_000_000, "livemode": false, "metadata": {"tenant_id": "fresh-cuts"},
        "items": {"object": "list", "has_more": false, "url": "/v1/subscription_items", "data": [
            {"id": "si_flat", "object": "subscription_item", "price": {"id": flat_price, "object": "price"}, "quantity": 1},
            {"id": "si_minutes", "object": "subscription_item", "price": {"id": "price_minutes", "object": "price"}},
        ]},
    }))
}

#[tokio::test]
async fn a_plan_change_moves_the_stripe_subscription_and_a_cancelled_one_is_replaced() {
    let server = MockServer::start().await;
    let app = TestApp::new().await;
    let billing = billing(&app.store, &app.clock, Some(stripe_provider(&server)));
    let tenant = fresh_cuts();
    app.store.set_stripe_ids(&tenant, "cus_fresh", Some("sub_live")).await.unwrap_or_else(|e| panic!("{e}"));
    let setup = CustomerSetup {
        ports: billing.ports.clone(),
        provider: billing.provider.clone().unwrap_or_else(|| panic!("provider")),
    };
    let queue: &dyn frontdesk_jobs::JobQueue = app.store.as_ref();

    // The operator moves the shop from Pro to Core.
    let moved = app.admin(Method::PUT, "/admin/tenants/fresh-cuts/plan", Some(&json!({"plan": "core"}))).await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    Mock::given(method("GET"))
        .and(path("/v1/subscriptions/sub_live"))
        .respond_with(subscription_reply("sub_live", "active", "price_pro"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/subscriptions/sub_live"))
        .and(wiremock::matchers::body_string(
            "items%5B0%5D%5Bid%5D=si_flat&items%5B0%5D%5Bprice%5D=price_core&proration_behavior=create_prorations",
        ))
        .respond_with(subscription_reply("sub_live", "active", "price_core"))
        .expect(1)
        .mount(&server)
        .await;
    queue.enqueue(CustomerSetup::job(&tenant, Plan::Core, app.clock.now())).await.unwrap_or_else(|e| panic!("{e}"));
    run_next(&app.store, &app.clock, &setup).await.unwrap_or_else(|e| panic!("{e}"));
    server.verify().await;
    let keys: Vec<String> = server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter_map(|r| r.headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_owned))
        .collect();
    assert_eq!(keys.len(), 1);
    assert!(keys[0].starts_with("plan-sub_live-core-job-"), "{keys:?}");

    // Stripe cancels it; the next setup subscribes the shop anew.
    server.reset().await;
    let cancelled = crate::support::stripe_event(
        "evt_cancel",
        "customer.subscription.deleted",
        json!({"id": "sub_live", "object": "subscription", "customer": "cus_fresh", "status": "canceled"}),
    );
    let now = app.clock.now().timestamp();
    let reply = app
        .stripe(&cancelled, Some(&crate::support::stripe_signature(&cancelled, now, crate::support::STRIPE_SECRET)))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    Mock::given(method("POST"))
        .and(path("/v1/subscriptions"))
        .and(header("idempotency-key", "subscription-fresh-cuts-cus_fresh-after-sub_live"))
        .and(body_string_contains("customer=cus_fresh"))
        .and(body_string_contains("items%5B0%5D%5Bprice%5D=price_core"))
        .respond_with(subscription_reply("sub_next", "active", "price_core"))
        .expect(1)
        .mount(&server)
        .await;
    app.clock.advance(chrono::Duration::minutes(5));
    // The operator sets the plan again to subscribe the shop anew.
    queue.enqueue(CustomerSetup::job(&tenant, Plan::Core, app.clock.now())).await.unwrap_or_else(|e| panic!("{e}"));
    run_next(&app.store, &app.clock, &setup).await.unwrap_or_else(|e| panic!("{e}"));
    server.verify().await;
    let account = app.store.billing_account(&tenant).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(account.stripe_subscription_id.as_deref(), Some("sub_next"));
}

#[tokio::test]
async fn the_daily_close_finalizes_last_month_and_skips_tenants_that_started_later() {
    let app = TestApp::new().await;
    // 2 December, 07:00 UTC: November is over in New York.
    app.clock.set(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 12, 2, 7, 0, 0).single().unwrap_or_default());
    let shop = crate::support::shop_json("december-shop", &["+442071838751"]);
    let created = app.admin(Method::PUT, "/admin/tenants/december-shop", Some(&shop)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let queue: &dyn frontdesk_jobs::JobQueue = app.store.as_ref();
    let kind = JobKind::parse(frontdesk_billing::CLOSE_PERIOD).unwrap_or_else(|e| panic!("{e}"));
    queue.enqueue(frontdesk_jobs::NewJob::new(kind, json!({}))).await.unwrap_or_else(|e| panic!("{e}"));
    let close = frontdesk_billing::PeriodClose { ports: app.billing.ports.clone() };
    run_next(&app.store, &app.clock, &close).await.unwrap_or_else(|e| panic!("{e}"));

    let invoices = app.admin(Method::GET, "/admin/tenants/fresh-cuts/invoices", None).await;
    assert_eq!(invoices.body["invoices"][0]["period"], "2026-11", "{}", invoices.body);
    assert_eq!(invoices.body["invoices"][0]["status"], "finalized");
    // Pro from 24 November, 10:00 local: a day counts under the plan in force
    // at its midnight, so 25-30 November, 6 of 30 days of $399 (79.80), and
    // the $249 setup fee.
    let lines = invoices.body["invoices"][0]["lines"].as_array().cloned().unwrap_or_default();
    let amounts: Vec<i64> = lines.iter().filter_map(|l| l["amount"].as_i64()).collect();
    assert_eq!(amounts, [7980, 24900], "{}", invoices.body);
    assert_eq!(invoices.body["invoices"][0]["total"], 32880);
    let none = app.admin(Method::GET, "/admin/tenants/december-shop/invoices", None).await;
    assert_eq!(none.body["invoices"], json!([]), "a tenant that started in December has no November invoice");
    let before = app.admin(Method::GET, "/admin/tenants/december-shop/invoices/preview?period=2026-11", None).await;
    assert_eq!(before.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", before.body);
    assert_eq!(crate::support::error_code(&before), "nothing_to_bill");
}

/// Counts the texts handed to the provider.
#[derive(Default)]
struct CountingMessaging(std::sync::atomic::AtomicUsize);

#[async_trait::async_trait]
impl frontdesk_messaging::Messaging for CountingMessaging {
    async fn send_sms(
        &self,
        _sms: &frontdesk_messaging::OutboundSms,
    ) -> Result<frontdesk_messaging::SentSms, frontdesk_messaging::MessagingError> {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(frontdesk_messaging::SentSms { provider_id: "SM-provider".to_owned(), status: "queued".to_owned() })
    }
}

#[tokio::test]
async fn a_sandbox_answers_as_its_shop_is_never_billed_never_texts_and_is_purged_whole() {
    let app = TestApp::new().await;
    let copy = json!({"copy_of": "fresh-cuts"});
    let own = app.token("tenant:fresh-cuts");
    let refused = app.call(Method::POST, "/admin/sandboxes", Some(&own), Some(&copy)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "only the operator makes sandboxes");
    let off = json!({"enabled": false});
    let flag = app.admin(Method::PUT, "/admin/tenants/fresh-cuts/flags/enable_reminders", Some(&off)).await;
    assert_eq!(flag.status, StatusCode::OK, "{}", flag.body);

    let created = app.admin(Method::POST, "/admin/sandboxes", Some(&copy)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["kind"], "sandbox");
    let slug = created.body["slug"].as_str().unwrap_or_default().to_owned();
    assert!(slug.starts_with("sandbox-"), "{slug}");
    assert_eq!(created.body["profile"]["name"], "Fresh Cuts Barbershop (sandbox)");
    let number = created.body["profile"]["phone_numbers"][0].as_str().unwrap_or_default().to_owned();
    assert_eq!(number.get(5..10), Some("55501"), "a fictional 555-01xx number: {number}");
    let flags = app.admin(Method::GET, &format!("/admin/tenants/{slug}/flags"), None).await;
    let live_flags = app.admin(Method::GET, "/admin/tenants/fresh-cuts/flags", None).await;
    assert_eq!(flags.body["plan"], live_flags.body["plan"], "the shop's plan: {}", flags.body);
    assert_eq!(flags.body["flags"], live_flags.body["flags"], "and its overrides");

    // It answers on its number as the shop does.
    let call = [("CallSid", "CA-sandbox-1"), ("From", "+15555551234"), ("To", number.as_str())];
    let (status, twiml) = app.twilio("/twilio/voice", &call).await;
    assert_eq!(status, StatusCode::OK, "{twiml}");
    assert!(twiml.contains("Thanks for calling Fresh Cuts Barbershop"), "{twiml}");
    let done = [
        ("CallSid", "CA-sandbox-1"),
        ("To", number.as_str()),
        ("CallStatus", "completed"),
        ("CallDuration", "600"),
        ("SequenceNumber", "3"),
    ];
    let (status, body) = app.twilio("/twilio/status", &done).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    // A booking's text is logged, never handed to the provider, never metered;
    // the shop's own text goes out as before.
    let messaging = Arc::new(CountingMessaging::default());
    let texts = BookingTexts {
        tenants: app.store.clone(),
        bookings: app.store.clone(),
        messages: app.store.clone(),
        messaging: messaging.clone(),
        flags: app.billing.flags.clone(),
        metering: app.billing.metering.clone(),
    };
    let request = json!({"service": "Haircut", "start": "2026-11-27T14:00", "customer_name": "Sam", "customer_phone": "+15555551234"});
    let booked = app.admin(Method::POST, &format!("/admin/tenants/{slug}/bookings"), Some(&request)).await;
    assert_eq!(booked.status, StatusCode::CREATED, "{}", booked.body);
    run_next(&app.store, &app.clock, &texts).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(messaging.0.load(std::sync::atomic::Ordering::SeqCst), 0, "nothing reached the provider");
    let sandbox = TenantId::parse(&slug).unwrap_or_else(|e| panic!("{e}"));
    let logged = app.store.list_messages(&sandbox, 10).await.unwrap_or_else(|e| panic!("{e}"));
    let logged: Vec<(&str, bool)> = logged
        .iter()
        .map(|m| (m.status.as_str(), m.provider_id.as_deref().is_some_and(|id| id.starts_with("sandbox-"))))
        .collect();
    assert_eq!(logged, [("sent", true)], "the log shows what would have gone out");
    book(&app, "2026-11-27T15:00").await;
    run_next(&app.store, &app.clock, &texts).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(messaging.0.load(std::sync::atomic::Ordering::SeqCst), 1, "the live shop's text was sent");

    let usage = app.admin(Method::GET, &format!("/admin/tenants/{slug}/usage"), None).await;
    assert_eq!(usage.status, StatusCode::OK, "{}", usage.body);
    assert_eq!((&usage.body["usage"]["call_minutes"], &usage.body["usage"]["sms_segments"]), (&json!(0), &json!(0)));
    let preview = app.admin(Method::GET, &format!("/admin/tenants/{slug}/invoices/preview?period=2026-11"), None).await;
    assert_eq!(preview.status, StatusCode::CONFLICT, "{}", preview.body);
    assert_eq!(crate::support::error_code(&preview), "sandbox_not_billed");
    // The daily close passes the sandbox by instead of failing on it.
    app.clock.set(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 12, 2, 7, 0, 0).single().unwrap_or_default());
    let queue: &dyn frontdesk_jobs::JobQueue = app.store.as_ref();
    let kind = JobKind::parse(frontdesk_billing::CLOSE_PERIOD).unwrap_or_else(|e| panic!("{e}"));
    queue.enqueue(frontdesk_jobs::NewJob::new(kind, json!({}))).await.unwrap_or_else(|e| panic!("{e}"));
    let close = frontdesk_billing::PeriodClose { ports: app.billing.ports.clone() };
    run_next(&app.store, &app.clock, &close).await.unwrap_or_else(|e| panic!("{e}"));
    let invoices = app.admin(Method::GET, &format!("/admin/tenants/{slug}/invoices"), None).await;
    assert_eq!(invoices.body["invoices"], json!([]), "{}", invoices.body);

    // Purged whole; a live shop never is.
    let listed = app.admin(Method::GET, "/admin/sandboxes", None).await;
    assert_eq!(listed.body["sandboxes"][0]["slug"], slug.as_str(), "{}", listed.body);
    let live = app.admin(Method::DELETE, "/admin/sandboxes/fresh-cuts", None).await;
    assert_eq!(live.status, StatusCode::CONFLICT, "{}", live.body);
    assert_eq!(crate::support::error_code(&live), "live_tenant");
    let own = app.token("tenant:fresh-cuts");
    let by_shop = app.call(Method::DELETE, &format!("/admin/sandboxes/{slug}"), Some(&own), None).await;
    assert_eq!(by_shop.status, StatusCode::FORBIDDEN);
    let purged = app.admin(Method::DELETE, &format!("/admin/sandboxes/{slug}"), None).await;
    assert_eq!(purged.status, StatusCode::OK, "{}", purged.body);
    let gone = app.admin(Method::GET, &format!("/admin/tenants/{slug}"), None).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let (status, twiml) = app
        .twilio("/twilio/voice", &[("CallSid", "CA-sandbox-2"), ("From", "+15555551234"), ("To", number.as_str())])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(twiml.contains("not in service"), "the number is free again: {twiml}");
    let again = app.admin(Method::DELETE, &format!("/admin/sandboxes/{slug}"), None).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let shop = app.admin(Method::GET, "/admin/tenants/fresh-cuts", None).await;
    assert_eq!(shop.status, StatusCode::OK, "the live shop is untouched");
    let audit = app.admin(Method::GET, &format!("/admin/audit?tenant={slug}"), None).await;
    let actions: Vec<&str> =
        audit.body["entries"].as_array().into_iter().flatten().filter_map(|e| e["action"].as_str()).collect();
    assert!(actions.contains(&"sandbox.create") && actions.contains(&"sandbox.purge"), "{}", audit.body);
}

#[tokio::test]
async fn a_short_completed_callback_is_corrected_from_twilios_call_record() {
    const SID: &str = "CA0123456789abcdef0123456789abcdef";
    const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
    let app = TestApp::checking_call_durations().await;
    let shop = "+15555550100";
    let (status, twiml) =
        app.twilio("/twilio/voice", &[("CallSid", SID), ("From", "+15555551234"), ("To", shop)]).await;
    assert_eq!(status, StatusCode::OK, "{twiml}");
    // A callback that says the call lasted 30 s (forged with the shop's own
    // token, say): one minute is metered at once.
    let done =
        [("CallSid", SID), ("To", shop), ("CallStatus", "completed"), ("CallDuration", "30"), ("SequenceNumber", "3")];
    let (status, body) = app.twilio("/twilio/status", &done).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let usage = app.admin(Method::GET, "/admin/tenants/fresh-cuts/usage", None).await;
    assert_eq!(usage.body["usage"]["call_minutes"], 1, "{}", usage.body);

    // Twilio's own record (its Call resource, through the adapter the
    // runtime builds from FRONTDESK_TWILIO_ACCOUNT_SID) says 10 min 2 s.
    let server = MockServer::start().await;
    let record = json!({"sid": SID, "account_sid": ACCOUNT, "status": "completed", "duration": "602",
        "direction": "inbound", "from": "+15555551234", "to": shop, "price": "-0.08500", "price_unit": "USD"});
    Mock::given(method("GET"))
        .and(path(format!("/2010-04-01/Accounts/{ACCOUNT}/Calls/{SID}.json")))
        .respond_with(ResponseTemplate::new(200).set_body_json(record))
        .expect(1)
        .mount(&server)
        .await;
    let settings = crate::support::settings_with(&[
        ("FRONTDESK_TWILIO_ACCOUNT_SID", ACCOUNT.to_owned()),
        ("FRONTDESK_TWILIO_API_BASE_URL", server.uri()),
    ]);
    let ledger = frontdesk_runtime::build_call_ledger(&settings).unwrap_or_else(|e| panic!("{e:#}"));
    let check = frontdesk_routing::CallDurationCheck {
        calls: app.store.clone(),
        ledger: ledger.unwrap_or_else(|| panic!("a ledger with an account SID")),
        allowance: Arc::new(frontdesk_routing::PlanAllowance::new(
            app.billing.flags.clone(),
            app.billing.metering.clone(),
        )),
    };
    // The check waits two minutes for Twilio to settle the record.
    let kinds = [check.kind()];
    let early =
        app.store.claim(&WorkerId::new("test"), &kinds, 1, chrono::Duration::seconds(30), app.clock.now()).await;
    assert_eq!(early.map(|leases| leases.len()).ok(), Some(0), "not due yet");
    app.clock.advance(chrono::Duration::minutes(3));
    run_next(&app.store, &app.clock, &check).await.unwrap_or_else(|e| panic!("{e}"));
    let usage = app.admin(Method::GET, "/admin/tenants/fresh-cuts/usage", None).await;
    assert_eq!(usage.body["usage"]["call_minutes"], 11, "ten more minutes: {}", usage.body);
    let call = app.admin(Method::GET, &format!("/admin/tenants/fresh-cuts/calls/{SID}"), None).await;
    assert_eq!(call.body["duration_secs"], 602, "{}", call.body);
}

#[tokio::test]
async fn a_knowledge_change_is_reindexed_by_a_job_through_openais_wire_and_its_tokens_metered() {
    // OpenAI's embeddings endpoint, faked: 4 dimensions, 9 tokens per input.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/embeddings"))
        .and(header("authorization", "Bearer sk-test"))
        .respond_with(|request: &wiremock::Request| {
            let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap_or_default();
            let inputs = body["input"].as_array().cloned().unwrap_or_default();
            let data: Vec<serde_json::Value> = inputs
                .iter()
                .enumerate()
                .map(|(i, text)| {
                    let ramp = text.as_str().unwrap_or_default().contains("ramp");
                    json!({"object": "embedding", "index": i, "embedding": if ramp { [1.0, 0.0, 0.0, 0.0] } else { [0.0, 1.0, 0.0, 0.0] }})
                })
                .collect();
            ResponseTemplate::new(200).set_body_json(json!({"object": "list", "data": data, "model": "text-embedding-3-small",
                "usage": {"prompt_tokens": 9 * inputs.len(), "total_tokens": 9 * inputs.len()}}))
        })
        .mount(&server)
        .await;
    let settings = crate::support::settings_with(&[
        ("FRONTDESK_OPENAI_API_KEY", "sk-test".to_owned()),
        ("FRONTDESK_OPENAI_BASE_URL", format!("{}/v1", server.uri())),
        ("FRONTDESK_OPENAI_EMBEDDING_DIMENSIONS", "4".to_owned()),
    ]);
    let embedders = frontdesk_runtime::build_embedders(&settings).unwrap_or_else(|e| panic!("{e:#}"));
    let embedders = embedders.unwrap_or_else(|| panic!("embedders with an API key"));
    let app = TestApp::with_embedder(embedders.questions.clone()).await;

    let document = json!({"title": "Getting in", "format": "markdown",
        "text": "## Wheelchairs\n\nUse the side door on North 4th Street, which has a ramp."});
    let put = app.admin(Method::PUT, "/admin/tenants/fresh-cuts/knowledge/access", Some(&document)).await;
    assert_eq!(put.status, StatusCode::CREATED, "{}", put.body);
    let reindex = frontdesk_routing::KnowledgeReindex {
        tenants: app.store.clone(),
        retriever: Arc::new(frontdesk_rag::Retriever::new(app.store.clone())),
        embedder: embedders.passages.clone(),
        metering: app.billing.metering.clone(),
    };
    run_next(&app.store, &app.clock, &reindex).await.unwrap_or_else(|e| panic!("{e}"));
    let model = frontdesk_rag::Embedder::model_id(embedders.passages.as_ref()).to_owned();
    assert_eq!(model, "text-embedding-3-small@4");
    let vectors = frontdesk_rag::KnowledgeStore::chunk_vectors(app.store.as_ref(), &fresh_cuts(), &model).await;
    let stored = vectors.map(|v| v.len()).unwrap_or_default();
    assert!(stored > 5, "every passage of the profile and the document: {stored}");
    let usage = app.admin(Method::GET, "/admin/tenants/fresh-cuts/usage", None).await;
    assert_eq!(usage.body["usage"]["llm_tokens"], 9 * stored as i64, "{}", usage.body);

    // A question now ranks by meaning too (its vector comes from the fake), and is answered.
    let asked = app
        .admin(Method::POST, "/admin/tenants/fresh-cuts/knowledge/ask", Some(&json!({"question": "is there a ramp"})))
        .await;
    assert_eq!(asked.body["outcome"], "answer", "{}", asked.body);
    assert_eq!(asked.body["sources"][0]["source"], "doc:access");

    // Nothing changed: a second reindex embeds nothing and meters nothing.
    let queue: &dyn frontdesk_jobs::JobQueue = app.store.as_ref();
    queue.enqueue(frontdesk_routing::reindex_job(&fresh_cuts())).await.unwrap_or_else(|e| panic!("{e}"));
    let before = server.received_requests().await.unwrap_or_default().len();
    run_next(&app.store, &app.clock, &reindex).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(server.received_requests().await.unwrap_or_default().len(), before);
    let usage = app.admin(Method::GET, "/admin/tenants/fresh-cuts/usage", None).await;
    assert_eq!(usage.body["usage"]["llm_tokens"], 9 * stored as i64);
    // $0.02 per million tokens (0.02 micro-dollars a token), each record
    // rounded up to a micro-dollar.
    let reindex_cost = (9 * stored as u64 * 2).div_ceil(100);
    assert_eq!(usage.body["usage"]["ai_cost_micros"], reindex_cost, "{}", usage.body);

    // A caller's question is embedded as well, and metered with its cost.
    let embedded = || async { server.received_requests().await.unwrap_or_default().len() };
    let before = embedded().await;
    let twiml = crate::knowledge::ask_on_a_call(&app, "CA-paid-1", "which door do wheelchairs use").await;
    assert!(twiml.contains("which has a ramp"), "{twiml}");
    assert_eq!(embedded().await, before + 1, "the question went to the model");
    let usage = app.admin(Method::GET, "/admin/tenants/fresh-cuts/usage", None).await;
    assert_eq!(usage.body["usage"]["llm_tokens"], 9 * stored as i64 + 9, "{}", usage.body);
    assert_eq!(usage.body["usage"]["ai_cost_micros"], reindex_cost + 1, "{}", usage.body);
    assert_eq!(usage.body["ai_budget"]["paid_models"], true, "{}", usage.body);

    // A runaway month spends the Pro plan's AI budget: the owner is alerted
    // (80 % and 100 %), and paid models stop while calls are still answered.
    let budget = frontdesk_billing::PlanTerms::standard(frontdesk_core::Plan::Pro).included_ai_micros();
    let runaway = frontdesk_billing::TokenCount::input(u64::try_from(budget).unwrap_or_default() * 50);
    let recorded = app
        .billing
        .metering
        .record_tokens(&fresh_cuts(), "test:runaway", "text-embedding-3-small", runaway, app.clock.now())
        .await;
    assert!(matches!(recorded, Ok(true)), "{recorded:?}");
    let usage = app.admin(Method::GET, "/admin/tenants/fresh-cuts/usage", None).await;
    assert_eq!(usage.body["ai_budget"]["level"], "hard", "{}", usage.body);
    assert_eq!(usage.body["ai_budget"]["paid_models"], false, "{}", usage.body);
    assert_eq!(usage.body["answering"], "ai", "the receptionist still answers: {}", usage.body);
    let decided: Vec<(String, String)> = usage.body["decisions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            (d["metric"].as_str().unwrap_or_default().to_owned(), d["level"].as_str().unwrap_or_default().to_owned())
        })
        .collect();
    assert_eq!(decided, [("ai_spend".to_owned(), "soft".to_owned()), ("ai_spend".to_owned(), "hard".to_owned())]);
    let jobs = frontdesk_jobs::JobAdmin::list_jobs(app.store.as_ref(), None, 100).await;
    let alerts: Vec<_> = jobs
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .filter(|job| job.kind.as_str() == "billing.cap_alert")
        .collect();
    assert_eq!(alerts.len(), 2, "{alerts:?}");
    assert!(alerts.iter().all(|job| job.payload["metric"] == "ai_spend"), "{alerts:?}");

    let before = embedded().await;
    let twiml = crate::knowledge::ask_on_a_call(&app, "CA-paid-2", "which door do wheelchairs use").await;
    assert!(twiml.contains("which has a ramp"), "answered by its words: {twiml}");
    assert_eq!(embedded().await, before, "no paid model once the budget is spent");
    // A knowledge change is not embedded either; its words serve at once.
    let changed = json!({"title": "Getting in", "format": "markdown",
        "text": "## Wheelchairs\n\nUse the side door on North 4th Street, which has a ramp and a bell."});
    let put = app.admin(Method::PUT, "/admin/tenants/fresh-cuts/knowledge/access", Some(&changed)).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    run_next(&app.store, &app.clock, &reindex).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(embedded().await, before, "nothing embedded");
}
