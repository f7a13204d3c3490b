//! Numbers, port-ins, texting registration and suspension through the admin
//! API and Twilio's porting webhook, against a local fake of Twilio's hosts
//! (wiremock, Twilio's request fields and reply shapes). Nothing here
//! reaches the internet.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use chrono::Duration as Span;
use frontdesk_core::{Clock, E164, TenantId};
use frontdesk_jobs::{HandlerError, JobQueue};
use frontdesk_messaging::{MessageLog, Messaging, MessagingError, OutboundSms, SentSms};
use frontdesk_provisioning::{
    BrandSid, BrandStatus, CampaignSid, CampaignStatus, MessagingServiceSid, NumberOrder, NumberState, NumberWebhooks,
    Providers, Provisioning, ProvisioningStore, RegistrationGate, TextingRegistration,
};
use frontdesk_runtime::TwilioProvisioning;
use frontdesk_twilio::{TwilioRest, TwilioRestConfig};
use serde_json::{Value, json};
use tower::ServiceExt;
use voice_gateway::{HttpLimits, router};
use wiremock::matchers::{body_string_contains, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{PUBLIC_URL, TWILIO_TOKEN, TestApp, booking_service, gateway_state, run_next, shop_json};

const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
const NUMBERS: &str = "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/IncomingPhoneNumbers.json";
const PN: &str = "PN0123456789abcdef0123456789abcdef";
const KW: &str = "KW0123456789abcdef0123456789abcdef";
const FALLBACK: &str = "https://handler.twilio.com/twiml/EH0123456789abcdef0123456789abcdef?Owner={owner}";
const NEW_NUMBER: &str = "+17185550123";

/// A gateway whose provisioning talks to `server` (every Twilio host), each
/// request given up after 300 ms, one purchase attempt per call.
async fn app_with_twilio(server: &MockServer) -> TestApp {
    let mut app = TestApp::new().await;
    let rest = TwilioRest::new(TwilioRestConfig {
        base_url: server.uri(),
        numbers_base_url: server.uri(),
        messaging_base_url: server.uri(),
        trusthub_base_url: server.uri(),
        timeout: Duration::from_millis(300),
        ..TwilioRestConfig::new(ACCOUNT, "twilio-test-token")
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let twilio = Arc::new(TwilioProvisioning(rest));
    let providers =
        Providers { numbers: Some(twilio.clone()), porting: Some(twilio.clone()), registration: Some(twilio) };
    let webhooks = NumberWebhooks::new(PUBLIC_URL, Some(FALLBACK)).unwrap_or_else(|e| panic!("{e}"));
    let provisioning = Provisioning::new(app.store.clone(), app.store.clone(), providers, webhooks, app.clock.clone())
        .with_jobs(app.store.clone())
        .with_retries(1, Duration::ZERO);
    let bookings = booking_service(&app.store, &app.clock);
    let twilio_settings = voice_gateway::TwilioSettings {
        public_base_url: PUBLIC_URL.to_owned(),
        validator: Arc::new(frontdesk_twilio::RequestValidator::new(TWILIO_TOKEN)),
        dialogue: Arc::new(frontdesk_routing::Dialogue::new(bookings.clone())),
        check_durations: false,
        transcribe_messages: false,
    };
    let (mut state, billing) =
        gateway_state(app.store.clone(), app.clock.clone(), bookings, Some(twilio_settings)).await;
    state.provisioning = Arc::new(provisioning);
    let limits = HttpLimits { request_timeout: Duration::from_secs(10), body_limit_bytes: 64 * 1024 };
    app.router = router(state, limits);
    app.billing = billing;
    app
}

/// Twilio's `IncomingPhoneNumber` as set up for `slug`.
fn incoming(number: &str, slug: &str, owner: &str) -> Value {
    json!({
        "sid": PN,
        "account_sid": ACCOUNT,
        "phone_number": number,
        "friendly_name": format!("frontdesk:{slug}"),
        "voice_url": format!("{PUBLIC_URL}/twilio/voice"),
        "voice_method": "POST",
        "voice_fallback_url": FALLBACK.replace("{owner}", &owner.replace('+', "%2B")),
        "voice_fallback_method": "GET",
        "sms_url": format!("{PUBLIC_URL}/twilio/sms"),
        "sms_method": "POST",
        "status_callback": format!("{PUBLIC_URL}/twilio/status"),
        "capabilities": {"voice": true, "SMS": true, "MMS": true, "fax": false},
        "status": "in-use",
    })
}

fn owned_list(numbers: Vec<Value>) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "incoming_phone_numbers": numbers, "next_page_uri": null, "page": 0, "page_size": 50,
    }))
}

async fn new_shop(app: &TestApp, slug: &str) {
    let created = app.admin(Method::PUT, &format!("/admin/tenants/{slug}"), Some(&shop_json(slug, &[]))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
}

async fn profile_numbers(app: &TestApp, slug: &str) -> Vec<String> {
    let tenant = app.admin(Method::GET, &format!("/admin/tenants/{slug}"), None).await;
    tenant.body["profile"]["phone_numbers"]
        .as_array()
        .map(|numbers| numbers.iter().filter_map(|n| n.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_purchase_retried_after_a_timeout_buys_once() {
    let server = MockServer::start().await;
    // Before the purchase the account does not hold the number; after the
    // request that timed out, it does (Twilio bought it).
    Mock::given(method("GET"))
        .and(path(NUMBERS))
        .and(query_param("PhoneNumber", NEW_NUMBER))
        .respond_with(owned_list(vec![]))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(NUMBERS))
        .and(query_param("PhoneNumber", NEW_NUMBER))
        .respond_with(owned_list(vec![incoming(NEW_NUMBER, "new-shop", "+447700900999")]))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(NUMBERS))
        .and(body_string_contains("PhoneNumber=%2B17185550123"))
        .and(body_string_contains("FriendlyName=frontdesk%3Anew-shop"))
        .and(body_string_contains("VoiceUrl=https%3A%2F%2Ffrontdesk.example.com%2Ftwilio%2Fvoice"))
        .and(body_string_contains("Owner%3D%252B447700900999"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(incoming(NEW_NUMBER, "new-shop", "+447700900999"))
                .set_delay(Duration::from_secs(2)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let app = app_with_twilio(&server).await;
    new_shop(&app, "new-shop").await;

    let first = app.admin(Method::POST, "/admin/tenants/new-shop/numbers", Some(&json!({"number": NEW_NUMBER}))).await;
    assert_eq!(first.status, StatusCode::SERVICE_UNAVAILABLE, "{}", first.body);
    assert!(first.body["error"]["message"].as_str().is_some_and(|m| m.contains("never buys twice")), "{}", first.body);
    let orders = app.admin(Method::GET, "/admin/tenants/new-shop/numbers", None).await;
    let order = &orders.body["numbers"][0];
    assert_eq!(order["state"], "chosen", "written down before the purchase: {}", orders.body);
    assert_eq!(order["purchase_attempts"], 1);
    assert!(order["last_error"].as_str().is_some_and(|e| e.contains("timed out")), "{order}");
    assert!(profile_numbers(&app, "new-shop").await.is_empty(), "not attached yet");

    let retried =
        app.admin(Method::POST, "/admin/tenants/new-shop/numbers", Some(&json!({"number": NEW_NUMBER}))).await;
    assert_eq!(retried.status, StatusCode::CREATED, "{}", retried.body);
    assert_eq!(retried.body["purchases_sent"], 0, "the retry found it owned and bought nothing");
    assert_eq!(retried.body["order"]["state"], "attached");
    assert_eq!(retried.body["order"]["sid"], PN);
    assert_eq!(profile_numbers(&app, "new-shop").await, [NEW_NUMBER]);

    // A third call changes nothing and buys nothing.
    let again = app.admin(Method::POST, "/admin/tenants/new-shop/numbers", Some(&json!({"number": NEW_NUMBER}))).await;
    assert_eq!((again.status, again.body["purchases_sent"].clone()), (StatusCode::CREATED, json!(0)));
    let audit = app.admin(Method::GET, "/admin/audit?tenant=new-shop", None).await;
    assert!(audit.body.to_string().contains("number.buy"), "{}", audit.body);
    // MockServer checks on drop that exactly one purchase was requested.
}

#[tokio::test]
async fn a_search_reads_sms_and_mms_in_any_case() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/2010-04-01/Accounts/{ACCOUNT}/AvailablePhoneNumbers/US/Local.json")))
        .and(query_param("AreaCode", "718"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"available_phone_numbers": [
            {"friendly_name": "(718) 555-0123", "phone_number": NEW_NUMBER, "locality": "Brooklyn", "region": "NY",
             "postal_code": "11211", "iso_country": "US", "address_requirements": "none", "beta": false,
             "capabilities": {"voice": true, "SMS": true, "MMS": true}},
            {"friendly_name": "(718) 555-0124", "phone_number": "+17185550124", "locality": "Brooklyn", "region": "NY",
             "postal_code": "11211", "iso_country": "US", "address_requirements": "none", "beta": false,
             "capabilities": {"voice": true, "sms": true, "mms": false}}
        ]})))
        .expect(1)
        .mount(&server)
        .await;
    let app = app_with_twilio(&server).await;
    let found = app.admin(Method::GET, "/admin/numbers/available?area_code=718", None).await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    let numbers = found.body["numbers"].as_array().cloned().unwrap_or_default();
    assert_eq!(numbers.len(), 2);
    assert_eq!(numbers[0]["capabilities"], json!({"voice": true, "sms": true, "mms": true}));
    assert_eq!(numbers[1]["capabilities"], json!({"voice": true, "sms": true, "mms": false}));
    let bad = app.admin(Method::GET, "/admin/numbers/available?area_code=71", None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let shop = app.token("tenant:fresh-cuts");
    let refused = app.call(Method::GET, "/admin/numbers/available?area_code=718", Some(&shop), None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "the operator's only");
}

#[tokio::test]
async fn a_number_is_released_only_with_the_number_typed_again() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(NUMBERS))
        .and(query_param("PhoneNumber", NEW_NUMBER))
        .respond_with(owned_list(vec![incoming(NEW_NUMBER, "new-shop", "+447700900999")]))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("/2010-04-01/Accounts/{ACCOUNT}/IncomingPhoneNumbers/{PN}.json")))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let app = app_with_twilio(&server).await;
    new_shop(&app, "new-shop").await;
    let assigned =
        app.admin(Method::POST, "/admin/tenants/new-shop/numbers/assign", Some(&json!({"number": NEW_NUMBER}))).await;
    assert_eq!(assigned.status, StatusCode::OK, "{}", assigned.body);
    assert_eq!(profile_numbers(&app, "new-shop").await, [NEW_NUMBER]);

    let release = "/admin/tenants/new-shop/numbers/+17185550123/release";
    let unconfirmed = app.admin(Method::POST, release, Some(&json!({"confirm": "+17185550199"}))).await;
    assert_eq!(unconfirmed.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", unconfirmed.body);
    assert_eq!(profile_numbers(&app, "new-shop").await, [NEW_NUMBER], "nothing changed");
    let missing = app.admin(Method::POST, release, Some(&json!({}))).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);

    let released = app.admin(Method::POST, release, Some(&json!({"confirm": "+1 (718) 555-0123"}))).await;
    assert_eq!(released.status, StatusCode::OK, "{}", released.body);
    assert_eq!(released.body["order"]["state"], "released");
    assert!(profile_numbers(&app, "new-shop").await.is_empty(), "calls to it no longer reach the shop");
}

/// A porting event as Twilio posts it: JSON, signed over the URL with the
/// body's hash in `bodySHA256`.
async fn porting_event(app: &TestApp, body: &Value, forge: bool) -> (StatusCode, Value) {
    let raw = body.to_string();
    let hash = frontdesk_twilio::body_sha256_hex(raw.as_bytes());
    let path = format!("/twilio/porting?bodySHA256={hash}");
    let token = if forge { "someone-elses-token" } else { TWILIO_TOKEN };
    let signature =
        frontdesk_twilio::RequestValidator::new(token).compute_signature(&format!("{PUBLIC_URL}{path}"), &[]);
    let request = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header("content-type", "application/json")
        .header("x-twilio-signature", signature)
        .body(Body::from(raw))
        .unwrap_or_else(|e| panic!("{e}"));
    let response = app.router.clone().oneshot(request).await.unwrap_or_else(|e| match e {});
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap_or_default();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

async fn port_in_status(app: &TestApp, slug: &str) -> Value {
    let listed = app.admin(Method::GET, &format!("/admin/tenants/{slug}/port-ins"), None).await;
    listed.body["port_ins"][0].clone()
}

#[tokio::test]
async fn a_port_in_is_kept_current_by_signed_porting_events_and_attaches_the_number_when_done() {
    let server = MockServer::start().await;
    let old_line = "+17185550100";
    Mock::given(method("GET"))
        .and(path(format!("/v1/Porting/Portability/PhoneNumber/{old_line}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "phone_number": old_line, "portable": true, "pin_and_account_number_required": false,
            "not_portable_reason": null, "not_portable_reason_code": null, "number_type": "LOCAL", "country": "US"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/Porting/Configuration/Webhook"))
        .and(wiremock::matchers::body_partial_json(
            json!({"port_in_target_url": format!("{PUBLIC_URL}/twilio/porting")}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/Porting/PortIn"))
        .and(wiremock::matchers::body_partial_json(json!({
            "account_sid": ACCOUNT,
            "phone_numbers": [{"phone_number": old_line}],
            "losing_carrier_information": {"customer_name": "New Shop LLC"},
        })))
        .respond_with(ResponseTemplate::new(202).set_body_json(json!({
            "port_in_request_sid": KW,
            "port_in_request_status": "Waiting for Signature",
            "signature_request_url": "https://sign.example.com/loa/KW0123",
        })))
        .expect(1)
        .mount(&server)
        .await;
    // Once ported, the account holds the old line (unlabelled): it is set up for the shop.
    Mock::given(method("GET"))
        .and(path(NUMBERS))
        .and(query_param("PhoneNumber", old_line))
        .respond_with(owned_list(vec![json!({
            "sid": PN, "phone_number": old_line, "friendly_name": "(718) 555-0100", "voice_url": "",
            "sms_url": "", "status_callback": null, "voice_fallback_url": null,
            "capabilities": {"voice": true, "SMS": true, "MMS": false}, "status": "in-use"
        })]))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/2010-04-01/Accounts/{ACCOUNT}/IncomingPhoneNumbers/{PN}.json")))
        .and(body_string_contains("FriendlyName=frontdesk%3Anew-shop"))
        .respond_with(ResponseTemplate::new(200).set_body_json(incoming(old_line, "new-shop", "+447700900999")))
        .expect(1)
        .mount(&server)
        .await;
    let app = app_with_twilio(&server).await;
    new_shop(&app, "new-shop").await;

    let application = json!({
        "number": old_line,
        "customer_name": "New Shop LLC",
        "authorized_representative": "Marco Rossi",
        "authorized_representative_email": "marco@newshop.example",
        "documents": ["RD0123456789abcdef0123456789abcdef"],
        "forward_to": NEW_NUMBER,
    });
    let filed = app.admin(Method::POST, "/admin/tenants/new-shop/port-ins", Some(&application)).await;
    assert_eq!(filed.status, StatusCode::CREATED, "{}", filed.body);
    assert_eq!(filed.body["port_in"]["status"], "waiting_for_signature");
    assert!(
        filed.body["forwarding_instructions"].as_str().is_some_and(|t| t.contains("*72 7185550123")),
        "{}",
        filed.body
    );

    let (status, _) = porting_event(&app, &json!({"port_in_request_sid": KW, "status": "In progress"}), true).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a forged event changes nothing");
    assert_eq!(port_in_status(&app, "new-shop").await["status"], "waiting_for_signature");

    let (status, reply) =
        porting_event(&app, &json!({"port_in_request_sid": KW, "status": "In progress"}), false).await;
    assert_eq!((status, reply["applied"].clone()), (StatusCode::OK, json!(true)), "{reply}");
    assert_eq!(port_in_status(&app, "new-shop").await["status"], "in_progress");

    let rejected = json!({
        "port_in_request_sid": KW, "port_in_phone_number_sid": "PU0123456789abcdef0123456789abcdef",
        "phone_number": old_line, "status": "Rejected", "rejection_reason": "PIN mismatch",
    });
    assert_eq!(porting_event(&app, &rejected, false).await.0, StatusCode::OK);
    let record = port_in_status(&app, "new-shop").await;
    assert_eq!(
        (record["status"].clone(), record["number_status"].clone()),
        (json!("action_required"), json!("rejected"))
    );
    assert_eq!(record["detail"], "PIN mismatch");

    let unknown = json!({"port_in_request_sid": "KWfedcba9876543210fedcba9876543210", "status": "Completed"});
    let (status, reply) = porting_event(&app, &unknown, false).await;
    assert_eq!((status, reply["applied"].clone()), (StatusCode::OK, json!(false)), "another system's request");

    let completed =
        json!({"port_in_request_sid": KW, "phone_number": old_line, "status": "PortInPhoneNumberCompleted"});
    assert_eq!(porting_event(&app, &completed, false).await.0, StatusCode::OK);
    let record = port_in_status(&app, "new-shop").await;
    assert_eq!(record["status"], "completed");
    assert!(record["detail"].as_str().is_some_and(|d| d.contains("now reaches the shop")), "{record}");
    assert_eq!(profile_numbers(&app, "new-shop").await, [old_line], "the ported number answers for the shop");

    let late = json!({"port_in_request_sid": KW, "status": "In progress"});
    let (status, reply) = porting_event(&app, &late, false).await;
    assert_eq!((status, reply["applied"].clone()), (StatusCode::OK, json!(false)), "a late event changes nothing");
    assert_eq!(port_in_status(&app, "new-shop").await["status"], "completed");
}

#[tokio::test]
async fn a_refresh_asks_twilio_where_a_port_in_stands_when_no_event_came() {
    let server = MockServer::start().await;
    let old_line = "+17185550100";
    Mock::given(method("GET"))
        .and(path(format!("/v1/Porting/Portability/PhoneNumber/{old_line}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"phone_number": old_line, "portable": true})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/Porting/Configuration/Webhook"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/Porting/PortIn"))
        .respond_with(ResponseTemplate::new(202).set_body_json(json!({"port_in_request_sid": KW})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/Porting/PortIn/{KW}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "port_in_request_sid": KW,
            "port_in_request_status": "Action Required",
            "account_sid": ACCOUNT,
            "phone_numbers": [{
                "phone_number": old_line,
                "port_in_phone_number_sid": "PU0123456789abcdef0123456789abcdef",
                "port_in_phone_number_status": "Rejected",
                "rejection_reason": "Account number mismatch",
                "rejection_reason_code": 22105
            }]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let app = app_with_twilio(&server).await;
    new_shop(&app, "new-shop").await;
    let application = json!({
        "number": old_line,
        "customer_name": "New Shop LLC",
        "authorized_representative": "Marco Rossi",
        "authorized_representative_email": "marco@newshop.example",
        "documents": ["RD0123456789abcdef0123456789abcdef"],
    });
    let filed = app.admin(Method::POST, "/admin/tenants/new-shop/port-ins", Some(&application)).await;
    assert_eq!(filed.body["port_in"]["status"], "waiting_for_signature", "{}", filed.body);

    let refreshed = app.admin(Method::POST, "/admin/tenants/new-shop/port-ins/refresh", None).await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.body);
    let record = &refreshed.body["port_ins"][0];
    assert_eq!(record["status"], "action_required", "{record}");
    assert_eq!(record["number_status"], "rejected");
    assert_eq!(record["detail"], "Account number mismatch");
}

/// Records what it is asked to send.
#[derive(Default)]
struct Outgoing(std::sync::Mutex<Vec<OutboundSms>>);

#[async_trait::async_trait]
impl Messaging for Outgoing {
    async fn send_sms(&self, sms: &OutboundSms) -> Result<SentSms, MessagingError> {
        let mut sent = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        sent.push(sms.clone());
        Ok(SentSms { provider_id: format!("SM{}", sent.len()), status: "queued".to_owned() })
    }
}

/// `number` is one Frontdesk got for `shop`: its texts are 10DLC traffic.
async fn attach_our_number(app: &TestApp, shop: &TenantId, number: &E164) {
    let now = app.clock.now();
    let order = NumberOrder {
        tenant: shop.clone(),
        number: number.clone(),
        state: NumberState::Attached,
        sid: None,
        attempts: 1,
        last_error: None,
        created_at: now,
        updated_at: now,
    };
    assert!(app.store.put_number_order(&order).await.is_ok());
}

/// `shop`'s texting registration: its brand approved, its campaign `status`.
fn campaign(shop: &TenantId, status: CampaignStatus, now: chrono::DateTime<chrono::Utc>) -> TextingRegistration {
    TextingRegistration {
        messaging_service: Some(
            MessagingServiceSid::parse("MG0123456789abcdef0123456789abcdef").unwrap_or_else(|e| panic!("{e}")),
        ),
        brand: Some(BrandSid::parse("BN0123456789abcdef0123456789abcdef").unwrap_or_else(|e| panic!("{e}"))),
        brand_status: Some(BrandStatus::Approved),
        campaign: Some(CampaignSid::parse("QE0123456789abcdef0123456789abcdef").unwrap_or_else(|e| panic!("{e}"))),
        campaign_status: Some(status),
        ..TextingRegistration::new(shop.clone(), now)
    }
}

#[tokio::test]
async fn texts_of_a_shop_whose_campaign_is_not_approved_wait_in_the_outbox_with_the_reason() {
    let app = TestApp::new().await;
    let shop = TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}"));
    let number = E164::parse("+15555550100").unwrap_or_else(|e| panic!("{e}"));
    let now = app.clock.now();
    attach_our_number(&app, &shop, &number).await;
    let kind = frontdesk_jobs::JobKind::parse(frontdesk_billing::CAP_ALERT).unwrap_or_else(|e| panic!("{e}"));
    let payload = json!({"metric": "minutes", "level": "soft", "period": "2026-11", "used": 400, "cap": 500});
    let job = frontdesk_jobs::NewJob::new(kind, payload).for_tenant(shop.clone());
    assert!(app.store.enqueue(job).await.is_ok());
    let outgoing = Arc::new(Outgoing::default());
    let handler = frontdesk_routing::CapAlerts {
        tenants: app.store.clone(),
        messages: app.store.clone(),
        messaging: Arc::new(RegistrationGate::new(outgoing.clone(), app.store.clone())),
        metering: app.billing.metering.clone(),
    };

    let waited = run_next(&app.store, &app.clock, &handler).await;
    assert!(
        matches!(&waited, Err(HandlerError::Retry(why)) if why.starts_with("waiting for texting registration")),
        "{waited:?}"
    );
    assert!(outgoing.0.lock().map(|sent| sent.is_empty()).unwrap_or(false), "nothing reached the provider");
    let texts = app.store.list_messages(&shop, 10).await.unwrap_or_default();
    assert_eq!(texts.len(), 1);
    assert_eq!(texts[0].status, "queued");
    assert!(texts[0].error.as_deref().is_some_and(|e| e.contains("has not been submitted")), "{:?}", texts[0]);
    let status = app.admin(Method::GET, "/admin/tenants/fresh-cuts/provisioning", None).await;
    assert_eq!(status.body["texting"]["cleared"], false, "{}", status.body);
    assert_eq!(status.body["texts_waiting"].as_array().map(Vec::len), Some(1), "the operator sees why");
    let messages = app.admin(Method::GET, "/admin/tenants/fresh-cuts/messages", None).await;
    assert!(messages.body.to_string().contains("waiting for texting registration"), "{}", messages.body);

    // Under review: still waiting, now saying so.
    let mut registration = campaign(&shop, CampaignStatus::InProgress, now);
    assert!(app.store.put_registration(&registration).await.is_ok());
    app.clock.advance(Span::hours(2));
    assert!(matches!(run_next(&app.store, &app.clock, &handler).await, Err(HandlerError::Retry(_))));
    let text = &app.store.list_messages(&shop, 10).await.unwrap_or_default()[0];
    assert!(text.error.as_deref().is_some_and(|e| e.contains("under review by the carriers")), "{text:?}");

    // Verified: the text goes out, once.
    registration.campaign_status = Some(CampaignStatus::Verified);
    assert!(app.store.put_registration(&registration).await.is_ok());
    app.clock.advance(Span::hours(2));
    assert!(run_next(&app.store, &app.clock, &handler).await.is_ok());
    let sent = outgoing.0.lock().map(|sent| sent.clone()).unwrap_or_default();
    assert_eq!(sent.len(), 1);
    assert!(sent[0].body.contains("has used 400 of 500 included call minutes"), "{:?}", sent[0]);
    let text = &app.store.list_messages(&shop, 10).await.unwrap_or_default()[0];
    assert_eq!((text.status.as_str(), text.provider_id.as_deref()), ("sent", Some("SM1")));
    let status = app.admin(Method::GET, "/admin/tenants/fresh-cuts/provisioning", None).await;
    assert_eq!(status.body["texting"]["cleared"], true);
    assert_eq!(status.body["texts_waiting"].as_array().map(Vec::len), Some(0));
}

/// The text the owner's Today page and the operator's shops page show about
/// waiting texts, if any.
fn texting_banner(html: &str) -> Option<&str> {
    let at = html.find("Texts to customers are waiting")?;
    let end = html[at..].find('<').map_or(html.len(), |end| at + end);
    Some(&html[at..end])
}

#[tokio::test]
async fn the_owner_and_the_operator_see_why_texts_wait_for_carrier_registration() {
    let app = TestApp::new().await;
    let shop = TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}"));
    let number = E164::parse("+15555550100").unwrap_or_else(|e| panic!("{e}"));
    let owner = crate::web::sign_in_by_code(&app, crate::web::FRESH_CUTS_OWNER, "fresh-cuts").await;
    let operator = crate::web_ops::operator_cookie(&app).await;
    let pages = || async {
        let today = crate::support::browse(&app, Method::GET, "/app", &[], Some(&owner)).await;
        let shops = crate::support::browse(&app, Method::GET, "/ops/shops", &[], Some(&operator)).await;
        assert_eq!((today.status, shops.status), (StatusCode::OK, StatusCode::OK), "{}{}", today.html, shops.html);
        (today.html, shops.html)
    };
    let (today, shops) = pages().await;
    assert_eq!((texting_banner(&today), texting_banner(&shops)), (None, None), "texts go out: nothing to say");

    // A number bought here, no registration yet: a text waits.
    attach_our_number(&app, &shop, &number).await;
    let kind = frontdesk_jobs::JobKind::parse(frontdesk_billing::CAP_ALERT).unwrap_or_else(|e| panic!("{e}"));
    let payload = json!({"metric": "minutes", "level": "soft", "period": "2026-11", "used": 400, "cap": 500});
    let job = frontdesk_jobs::NewJob::new(kind, payload).for_tenant(shop.clone());
    assert!(app.store.enqueue(job).await.is_ok());
    let handler = frontdesk_routing::CapAlerts {
        tenants: app.store.clone(),
        messages: app.store.clone(),
        messaging: Arc::new(RegistrationGate::new(Arc::new(Outgoing::default()), app.store.clone())),
        metering: app.billing.metering.clone(),
    };
    assert!(matches!(run_next(&app.store, &app.clock, &handler).await, Err(HandlerError::Retry(_))));
    let (today, _) = pages().await;
    assert_eq!(
        texting_banner(&today),
        Some(
            "Texts to customers are waiting for carrier registration (1 waiting) since Tuesday, November 24 at 10 AM. Status: its texting registration has not been submitted."
        ),
        "{today}"
    );

    // Under review: both pages say so, with the count and since when.
    let registration = campaign(&shop, CampaignStatus::InProgress, app.clock.now());
    assert!(app.store.put_registration(&registration).await.is_ok());
    let (today, shops) = pages().await;
    let expected = "Texts to customers are waiting for carrier registration (1 waiting) since Tuesday, November 24 at 10 AM. Status: its texting campaign is under review by the carriers (usually a few days).";
    assert_eq!(texting_banner(&today), Some(expected), "{today}");
    assert_eq!(texting_banner(&shops), Some(expected), "{shops}");
    let row = shops.find("id=\"shop-fresh-cuts\"").unwrap_or_else(|| panic!("{shops}"));
    let next_row = shops[row..].find("</tr>").map_or(shops.len(), |end| row + end);
    assert!(shops[row..next_row].contains(expected), "under fresh-cuts' own row: {shops}");
    // The shop's owner sees only their own shop's texts.
    let dentist = crate::web::sign_in_by_code(&app, "+15555550299", "bright-smile").await;
    let theirs = crate::support::browse(&app, Method::GET, "/app", &[], Some(&dentist)).await;
    assert_eq!(texting_banner(&theirs.html), None, "{}", theirs.html);

    // Refused: the reason changes.
    let refused = TextingRegistration {
        detail: Some("opt-in flow unclear".to_owned()),
        ..campaign(&shop, CampaignStatus::Failed, app.clock.now())
    };
    assert!(app.store.put_registration(&refused).await.is_ok());
    let (today, shops) = pages().await;
    for html in [&today, &shops] {
        let banner = texting_banner(html).unwrap_or_else(|| panic!("{html}"));
        assert!(
            banner.ends_with("Status: its texting campaign was refused; fix and resubmit it (opt-in flow unclear)."),
            "{banner}"
        );
    }

    // Approved: nothing waits any more.
    assert!(app.store.put_registration(&campaign(&shop, CampaignStatus::Verified, app.clock.now())).await.is_ok());
    let (today, shops) = pages().await;
    assert_eq!((texting_banner(&today), texting_banner(&shops)), (None, None));
}

#[tokio::test]
async fn a_shop_not_cleared_to_text_answers_no_text_but_still_records_opt_outs() {
    let app = TestApp::new().await;
    let shop = TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}"));
    let number = E164::parse("+15555550100").unwrap_or_else(|e| panic!("{e}"));
    let caller = E164::parse("+15555551234").unwrap_or_else(|e| panic!("{e}"));
    let now = app.clock.now();
    attach_our_number(&app, &shop, &number).await;
    let text = |sid: &'static str, body: &'static str| {
        [("MessageSid", sid), ("From", "+15555551234"), ("To", "+15555550100"), ("Body", body)]
    };
    let usage = || async { app.admin(Method::GET, "/admin/tenants/fresh-cuts/usage", None).await.body };

    // Not registered yet: no reply to anything, nothing metered, but STOP
    // and START still count.
    for (sid, body) in [("SM-a2p-1", "HELP"), ("SM-a2p-2", "hello, are you open?"), ("SM-a2p-3", "C")] {
        let (status, twiml) = app.twilio("/twilio/sms", &text(sid, body)).await;
        assert!(status == StatusCode::OK && !twiml.contains("<Message"), "{body}: {twiml}");
    }
    let (_, twiml) = app.twilio("/twilio/sms", &text("SM-a2p-4", "STOP")).await;
    assert!(!twiml.contains("<Message"), "{twiml}");
    assert!(matches!(app.store.is_opted_out(&shop, &caller).await, Ok(true)));
    let (_, twiml) = app.twilio("/twilio/sms", &text("SM-a2p-5", "START")).await;
    assert!(!twiml.contains("<Message"), "the opt-in is recorded, not answered: {twiml}");
    assert!(matches!(app.store.is_opted_out(&shop, &caller).await, Ok(false)));
    assert_eq!(usage().await["usage"]["sms_segments"], 0, "nothing was sent, nothing is metered");

    // Cleared: the shop answers again.
    let registration = campaign(&shop, CampaignStatus::Verified, now);
    assert!(app.store.put_registration(&registration).await.is_ok());
    let (_, twiml) = app.twilio("/twilio/sms", &text("SM-a2p-6", "HELP")).await;
    assert!(twiml.contains("<Message>") && twiml.contains("For help call us"), "{twiml}");
    assert!(usage().await["usage"]["sms_segments"].as_i64().is_some_and(|n| n >= 1));
}

#[tokio::test]
async fn a_suspended_shops_call_goes_to_the_owner_with_no_ai() {
    let app = TestApp::new().await;
    let suspended = app.admin(Method::POST, "/admin/tenants/fresh-cuts/suspend", None).await;
    assert_eq!(suspended.status, StatusCode::OK, "{}", suspended.body);
    assert_eq!(suspended.body["answering"], "forward_to_owner");
    let call = [("CallSid", "CA-suspended-1"), ("From", "+15555551234"), ("To", "+15555550100")];
    let (status, twiml) = app.twilio("/twilio/voice", &call).await;
    assert_eq!(status, StatusCode::OK, "{twiml}");
    assert!(twiml.contains("<Dial") && twiml.contains("+15555550199"), "the owner's phone rings: {twiml}");
    assert!(!twiml.contains("<Gather"), "no receptionist listens: {twiml}");
    let done = [
        ("CallSid", "CA-suspended-1"),
        ("To", "+15555550100"),
        ("CallStatus", "completed"),
        ("CallDuration", "95"),
        ("SequenceNumber", "3"),
    ];
    let (status, _) = app.twilio("/twilio/status", &done).await;
    assert!(status.is_success());
    let usage = app.admin(Method::GET, "/admin/tenants/fresh-cuts/usage", None).await;
    assert_eq!(usage.body["usage"]["llm_tokens"], 0, "no AI: {}", usage.body);
    assert_eq!(usage.body["answering"], "forward_to_owner");
    // Nothing metered for the shop: the forwarded call's 2 minutes are
    // costed apart, never billed.
    assert_eq!(usage.body["usage"]["call_minutes"], 0, "{}", usage.body);
    assert_eq!(usage.body["usage"]["forwarded_minutes"], 2, "{}", usage.body);
    let again = app.admin(Method::POST, "/admin/tenants/fresh-cuts/suspend", None).await;
    assert_eq!(again.status, StatusCode::OK, "suspending twice is fine");

    let resumed = app.admin(Method::POST, "/admin/tenants/fresh-cuts/resume", None).await;
    assert_eq!(resumed.status, StatusCode::OK, "{}", resumed.body);
    assert_eq!(resumed.body["answering"], "ai");
    let next = [("CallSid", "CA-resumed-1"), ("From", "+15555551234"), ("To", "+15555550100")];
    let (_, twiml) = app.twilio("/twilio/voice", &next).await;
    assert!(twiml.contains("<Gather"), "the receptionist answers again: {twiml}");
    let audit = app.admin(Method::GET, "/admin/audit?tenant=fresh-cuts", None).await;
    let actions = audit.body.to_string();
    assert!(actions.contains("shop.suspend") && actions.contains("shop.resume"), "{actions}");
    let shop = app.token("tenant:fresh-cuts");
    let refused = app.call(Method::POST, "/admin/tenants/fresh-cuts/resume", Some(&shop), None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "an owner cannot lift a suspension");
}

#[tokio::test]
async fn without_a_twilio_account_provisioning_says_so() {
    let app = TestApp::new().await;
    let buy = app.admin(Method::POST, "/admin/tenants/fresh-cuts/numbers", Some(&json!({"area_code": "718"}))).await;
    assert_eq!(buy.status, StatusCode::SERVICE_UNAVAILABLE, "{}", buy.body);
    assert_eq!(buy.body["error"]["code"], "not_configured");
    let status = app.admin(Method::GET, "/admin/tenants/fresh-cuts/provisioning", None).await;
    assert_eq!(status.status, StatusCode::OK, "{}", status.body);
    assert_eq!(status.body["texting"]["cleared"], true, "a shop with no number of ours texts as before");
}
