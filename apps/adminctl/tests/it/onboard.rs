//! `adminctl onboard` end to end: a gateway (in process, its worker
//! running) whose Twilio hosts and Stripe are one local fake, and the
//! binary run as an operator runs it. On SQLite always; on PostgreSQL when
//! `FRONTDESK_TEST_POSTGRES_URL` is set.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::process::Command;
use voice_gateway::{Application, Settings};
use wiremock::matchers::{body_string_contains, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::{SECRET, fixture};

const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
const NUMBERS: &str = "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/IncomingPhoneNumbers.json";
const PUBLIC_URL: &str = "https://frontdesk.example.com";
const TWILIO_TOKEN: &str = "onboarding-test-twilio-token";
const BOUGHT: &str = "+17185550123";

/// Twilio's hosts and Stripe, one fake: a number for sale in 718, bought
/// once; a customer and a subscription.
async fn fake_providers() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/2010-04-01/Accounts/{ACCOUNT}/AvailablePhoneNumbers/US/Local.json")))
        .and(query_param("AreaCode", "718"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"available_phone_numbers": [{
            "friendly_name": "(718) 555-0123", "phone_number": BOUGHT, "locality": "Brooklyn", "region": "NY",
            "postal_code": "11211", "iso_country": "US", "address_requirements": "none", "beta": false,
            "capabilities": {"voice": true, "SMS": true, "MMS": true}
        }]})))
        .mount(&server)
        .await;
    // The account holds nothing yet: no orphan to adopt, the number not owned.
    Mock::given(method("GET"))
        .and(path(NUMBERS))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"incoming_phone_numbers": [], "next_page_uri": null})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(NUMBERS))
        .and(body_string_contains("PhoneNumber=%2B17185550123"))
        .and(body_string_contains("FriendlyName=frontdesk%3Anew-cuts"))
        .and(body_string_contains("VoiceFallbackUrl=https%3A%2F%2Fhandler.twilio.com"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "sid": "PN0123456789abcdef0123456789abcdef", "account_sid": ACCOUNT, "phone_number": BOUGHT,
            "friendly_name": "frontdesk:new-cuts", "voice_url": format!("{PUBLIC_URL}/twilio/voice"),
            "sms_url": format!("{PUBLIC_URL}/twilio/sms"), "status_callback": format!("{PUBLIC_URL}/twilio/status"),
            "voice_fallback_url": "https://handler.twilio.com/twiml/EH0123456789abcdef0123456789abcdef?Owner=%2B15555550199",
            "capabilities": {"voice": true, "SMS": true, "MMS": true, "fax": false}, "status": "in-use"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/customers"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "cus_onboard1", "object": "customer", "name": "New Cuts", "metadata": {"tenant_id": "new-cuts"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/subscriptions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "sub_onboard1", "object": "subscription", "status": "active", "customer": "cus_onboard1",
            "items": {"object": "list", "data": [{"id": "si_1", "price": {"id": "price_core"}, "quantity": 1}]},
            "metadata": {"tenant_id": "new-cuts"}, "created": 1765700000, "livemode": false
        })))
        .mount(&server)
        .await;
    server
}

async fn gateway(server: &MockServer, database_url: String) -> voice_gateway::RunningGateway {
    let fake = server.uri();
    let env: HashMap<String, String> = [
        ("FRONTDESK_HTTP_ADDR", "127.0.0.1:0".to_owned()),
        ("FRONTDESK_DATABASE_URL", database_url),
        ("FRONTDESK_ADMIN_JWT_SECRET", SECRET.to_owned()),
        ("FRONTDESK_TWILIO_AUTH_TOKEN", TWILIO_TOKEN.to_owned()),
        ("FRONTDESK_STRIPE_WEBHOOK_SECRET", "whsec_test".to_owned()),
        ("FRONTDESK_PUBLIC_BASE_URL", PUBLIC_URL.to_owned()),
        ("FRONTDESK_DEMO", "false".to_owned()),
        ("FRONTDESK_RUN_WORKER", "true".to_owned()),
        ("FRONTDESK_WORKER_POLL_MS", "50".to_owned()),
        ("FRONTDESK_TWILIO_ACCOUNT_SID", ACCOUNT.to_owned()),
        ("FRONTDESK_TWILIO_API_BASE_URL", fake.clone()),
        ("FRONTDESK_TWILIO_NUMBERS_BASE_URL", fake.clone()),
        ("FRONTDESK_TWILIO_MESSAGING_BASE_URL", fake.clone()),
        ("FRONTDESK_TWILIO_TRUSTHUB_BASE_URL", fake.clone()),
        (
            "FRONTDESK_VOICE_FALLBACK_URL",
            "https://handler.twilio.com/twiml/EH0123456789abcdef0123456789abcdef?Owner={owner}".to_owned(),
        ),
        ("FRONTDESK_STRIPE_SECRET_KEY", "sk_test_onboarding".to_owned()),
        ("FRONTDESK_STRIPE_API_BASE_URL", fake),
        ("FRONTDESK_STRIPE_PRICE_STARTER", "price_starter".to_owned()),
        ("FRONTDESK_STRIPE_PRICE_CORE", "price_core".to_owned()),
        ("FRONTDESK_STRIPE_PRICE_PRO", "price_pro".to_owned()),
        ("FRONTDESK_STRIPE_PRICE_ENTERPRISE", "price_enterprise".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let settings = Settings::from_sources(None, env).unwrap_or_else(|e| panic!("{e}"));
    let application = Application::build(&settings).await.unwrap_or_else(|e| panic!("{e:#}"));
    application.spawn().unwrap_or_else(|e| panic!("{e}"))
}

/// A new shop's profile: the demo barbershop under another name, no number yet.
fn profile_file(dir: &std::path::Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(fixture("fresh-cuts.toml")).unwrap_or_default();
    let text: String = text
        .replace("slug = \"fresh-cuts\"", "slug = \"new-cuts\"")
        .replace("name = \"Fresh Cuts Barbershop\"", "name = \"New Cuts\"")
        .lines()
        .filter(|line| !line.starts_with("phone_numbers"))
        .map(|line| format!("{line}\n"))
        .collect();
    let file = dir.join("new-cuts.toml");
    assert!(std::fs::write(&file, text).is_ok());
    file
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    took: Duration,
}

async fn onboard(url: &str, args: &[&str]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_adminctl"));
    command
        .env_clear()
        .env("FRONTDESK_ADMIN_URL", url)
        .env("FRONTDESK_ADMIN_JWT_SECRET", SECRET)
        .env("FRONTDESK_TWILIO_AUTH_TOKEN", TWILIO_TOKEN)
        .arg("onboard")
        .args(args);
    let started = Instant::now();
    let output = command.output().await.unwrap_or_else(|e| panic!("{e}"));
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        took: started.elapsed(),
    }
}

async fn admin_get(url: &str, path: &str) -> Value {
    let token = frontdesk_auth::TokenSecret::new(SECRET.as_bytes())
        .mint("test", &frontdesk_auth::Scope::Admin, chrono::Duration::seconds(60), chrono::Utc::now())
        .unwrap_or_else(|e| panic!("{e}"));
    let reply = reqwest::Client::new().get(format!("{url}{path}")).bearer_auth(token).send().await;
    reply.unwrap_or_else(|e| panic!("{e}")).json().await.unwrap_or(Value::Null)
}

async fn onboard_a_shop_end_to_end(database_url: String, store: &str) {
    let server = fake_providers().await;
    let running = gateway(&server, database_url).await;
    let url = running.base_url();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = profile_file(dir.path());
    let file = file.to_str().unwrap_or_default();
    let args = [file, "--plan", "core", "--area-code", "718", "--gateway", &url, "--public-url", PUBLIC_URL];

    let run = onboard(&url, &args).await;
    assert_eq!(run.code, Some(0), "{store}: {}\n{}", run.stdout, run.stderr);
    eprintln!("{store}: onboarding took {:.2} s end to end\n{}", run.took.as_secs_f64(), run.stdout);
    for expected in [
        "[done] shop new-cuts (New Cuts) created",
        "[done] plan: core",
        "[done] number +17185550123 bought: calls → https://frontdesk.example.com/twilio/voice, if the gateway fails → https://handler.twilio.com/",
        "[done] test call booked Haircut on",
        "and a second call cancelled it (sandbox copy",
        "[done] Stripe customer cus_onboard1",
        "[waits] texting registration: not started; texts wait (waiting for texting registration: its texting registration has not been submitted)",
        "[done] answering: the receptionist answers on +17185550123",
        "onboarded in",
    ] {
        assert!(run.stdout.contains(expected), "{store}: {expected:?} missing from:\n{}", run.stdout);
    }
    let tenant = admin_get(&url, "/admin/tenants/new-cuts").await;
    assert_eq!(tenant["profile"]["phone_numbers"], json!([BOUGHT]), "{tenant}");
    let sandboxes = admin_get(&url, "/admin/sandboxes").await;
    assert_eq!(sandboxes["sandboxes"], json!([]), "the test call's sandbox is purged: {sandboxes}");

    // Run again: everything is done already; nothing is bought twice (the
    // fake expects one purchase), nothing is created twice.
    let again = onboard(&url, &args).await;
    assert_eq!(again.code, Some(0), "{store}: {}\n{}", again.stdout, again.stderr);
    assert!(again.stdout.contains("[done] shop new-cuts (New Cuts) updated"), "{}", again.stdout);
    assert!(again.stdout.contains("[done] plan: core (unchanged)"), "{}", again.stdout);
    assert!(again.stdout.contains("[done] number +17185550123 attached already"), "{}", again.stdout);
    let tenant = admin_get(&url, "/admin/tenants/new-cuts").await;
    assert_eq!(tenant["profile"]["phone_numbers"], json!([BOUGHT]), "a re-run keeps the number: {tenant}");
    assert!(run.took < Duration::from_secs(60), "{store}: onboarding took {:?}", run.took);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn onboarding_takes_a_shop_from_its_profile_to_answering_on_sqlite() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    onboard_a_shop_end_to_end(format!("sqlite://{}", dir.path().join("f.db").display()), "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn onboarding_takes_a_shop_from_its_profile_to_answering_on_postgres() {
    let Ok(server) = std::env::var("FRONTDESK_TEST_POSTGRES_URL") else {
        eprintln!("skipped: FRONTDESK_TEST_POSTGRES_URL is not set");
        return;
    };
    let name = format!("frontdesk_test_onboard_{}", chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0));
    let database_url = frontdesk_store_postgres::PostgresStore::create_database(&server, &name)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    onboard_a_shop_end_to_end(database_url, "postgres").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn onboarding_with_a_port_buys_a_number_to_forward_to_and_says_how() {
    let server = fake_providers().await;
    let old_line = "+17185550100";
    Mock::given(method("GET"))
        .and(path(format!("/v1/Porting/Portability/PhoneNumber/{old_line}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "phone_number": old_line, "portable": true, "pin_and_account_number_required": false,
            "not_portable_reason": null, "number_type": "LOCAL", "country": "US"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/Porting/Configuration/Webhook"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/Porting/PortIn"))
        .respond_with(ResponseTemplate::new(202).set_body_json(json!({
            "port_in_request_sid": "KW0123456789abcdef0123456789abcdef",
            "port_in_request_status": "Waiting for Signature",
            "signature_request_url": "https://sign.example.com/loa/KW0123",
        })))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let running = gateway(&server, format!("sqlite://{}", dir.path().join("f.db").display())).await;
    let url = running.base_url();
    let file = profile_file(dir.path());
    let args = [
        file.to_str().unwrap_or_default(),
        "--port",
        old_line,
        "--customer-name",
        "New Cuts LLC",
        "--representative",
        "Marco Rossi",
        "--email",
        "marco@newcuts.example",
        "--document",
        "RD0123456789abcdef0123456789abcdef",
        "--no-test-call",
        "--wait-secs",
        "5",
    ];
    let run = onboard(&url, &args).await;
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    for expected in [
        "[done] number +17185550123 bought",
        "[waits] port of +17185550100 (KW0123456789abcdef0123456789abcdef): waiting for the owner's signature; the owner signs at https://sign.example.com/loa/KW0123",
        "[waits] test call: skipped (--no-test-call)",
        "forwarding meanwhile: Until the port of +17185550100 completes",
        "dial *72 7185550123",
    ] {
        assert!(run.stdout.contains(expected), "{expected:?} missing from:\n{}", run.stdout);
    }
}
