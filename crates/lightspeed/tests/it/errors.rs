//! Rate limits, server and network failures, refused credentials and
//! replies that make no sense: what is retried, how long it waits, and the
//! `SourceError` each case must return.

use std::time::{Duration, Instant};

use chrono::TimeDelta;
use frontdesk_core::Clock;
use frontdesk_inventory::{Cursor, InventorySource, SourceError};
use frontdesk_lightspeed::{AccessTokenProvider, LightspeedConfig, LightspeedSource, PersonalToken};
use secrecy::SecretString;
use std::sync::Arc;
use wiremock::ResponseTemplate;

use crate::support::*;

/// `GET /products` answers `first` once, then an empty page.
async fn products_answering_then_empty(fake: &Fake, first: ResponseTemplate) {
    list("/products", 0).respond_with(first).up_to_n_times(1).expect(1).mount(&fake.server).await;
    fake.serve_page("/products", 0, EMPTY_PAGE).await;
}

#[tokio::test]
async fn too_many_requests_with_an_http_date_waits_until_that_date_then_succeeds() {
    let fake = Fake::new().await;
    // Lightspeed's Retry-After is an RFC 1123 date; the adapter reads it
    // against its clock, which stands at monday_afternoon().
    let retry_at = fake.clock.now() + TimeDelta::seconds(1);
    products_answering_then_empty(
        &fake,
        too_many_requests().insert_header("Retry-After", http_date(retry_at).as_str()),
    )
    .await;

    let started = Instant::now();
    let changes = fake.source.products(Cursor::START).await.unwrap_or_else(|e| panic!("products: {e}"));

    assert!(started.elapsed() >= Duration::from_millis(990), "waited only {:?}", started.elapsed());
    assert!(started.elapsed() < Duration::from_secs(5), "waited {:?}", started.elapsed());
    assert_eq!(changes.cursor, Cursor::START);
    assert_eq!(fake.api_requests().await.len(), 2);
}

#[tokio::test]
async fn too_many_requests_with_seconds_waits_that_long_then_succeeds() {
    let fake = Fake::new().await;
    products_answering_then_empty(&fake, too_many_requests().insert_header("Retry-After", "1")).await;

    let started = Instant::now();
    fake.source.products(Cursor::START).await.unwrap_or_else(|e| panic!("products: {e}"));

    assert!(started.elapsed() >= Duration::from_millis(990), "waited only {:?}", started.elapsed());
    assert_eq!(fake.api_requests().await.len(), 2);
}

#[tokio::test]
async fn a_retry_after_beyond_the_cap_is_returned_as_rate_limited_at_once() {
    let fake = Fake::new().await;
    let retry_at = fake.clock.now() + TimeDelta::minutes(4);
    list("/products", 0)
        .respond_with(too_many_requests().insert_header("Retry-After", http_date(retry_at).as_str()))
        .expect(1)
        .mount(&fake.server)
        .await;

    let started = Instant::now();
    let result = fake.source.products(Cursor::START).await;

    assert!(
        matches!(result, Err(SourceError::RateLimited { retry_after: Some(wait) }) if wait == Duration::from_secs(240)),
        "{result:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
}

#[tokio::test]
async fn rate_limits_that_persist_give_up_after_max_retries() {
    let fake = Fake::new().await;
    list("/products", 0)
        .respond_with(too_many_requests().insert_header("Retry-After", "0"))
        .expect(u64::from(1 + MAX_RETRIES))
        .mount(&fake.server)
        .await;

    let result = fake.source.products(Cursor::START).await;

    assert!(matches!(result, Err(SourceError::RateLimited { retry_after: Some(_) })), "{result:?}");
}

#[tokio::test]
async fn a_refused_personal_token_is_a_credentials_error_and_not_retried() {
    let fake = Fake::new().await;
    list("/products", 0)
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(serde_json::json!({"error": "Unauthorized", "message": "Invalid token"})),
        )
        .expect(1)
        .mount(&fake.server)
        .await;

    let result = fake.source.products(Cursor::START).await;

    assert!(matches!(result, Err(SourceError::Credentials(ref text)) if text.contains("Invalid token")), "{result:?}");
}

#[tokio::test]
async fn forbidden_is_a_credentials_error_and_not_retried() {
    let fake = Fake::new().await;
    list("/sales", 0)
        .respond_with(ResponseTemplate::new(403).set_body_json(
            serde_json::json!({"error": "Forbidden", "message": "The token is missing the sales:read scope"}),
        ))
        .expect(1)
        .mount(&fake.server)
        .await;

    let result = fake.source.sales(Cursor::START).await;

    assert!(matches!(result, Err(SourceError::Credentials(ref text)) if text.contains("sales:read")), "{result:?}");
}

#[tokio::test]
async fn a_server_error_is_retried_and_the_retry_succeeds() {
    let fake = Fake::new().await;
    products_answering_then_empty(&fake, ResponseTemplate::new(500).set_body_string("upstream connect error")).await;

    let changes = fake.source.products(Cursor::START).await.unwrap_or_else(|e| panic!("products: {e}"));

    assert_eq!(changes.cursor, Cursor::START);
    assert_eq!(fake.api_requests().await, ["/products?after=0", "/products?after=0"]);
}

#[tokio::test]
async fn server_errors_that_persist_are_unavailable_after_max_retries() {
    let fake = Fake::new().await;
    list("/products", 0)
        .respond_with(
            ResponseTemplate::new(500).set_body_json(
                serde_json::json!({"error": "Internal Server Error", "message": "Something went wrong"}),
            ),
        )
        .expect(u64::from(1 + MAX_RETRIES))
        .mount(&fake.server)
        .await;

    let result = fake.source.products(Cursor::START).await;

    assert!(
        matches!(result, Err(SourceError::Unavailable(ref text)) if text.contains("HTTP 500") && text.contains("Something went wrong")),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_reply_that_is_not_a_list_page_is_invalid_and_not_retried() {
    let fake = Fake::new().await;
    list("/products", 0)
        .respond_with(ResponseTemplate::new(200).set_body_string("<html><body>Maintenance</body></html>"))
        .expect(1)
        .mount(&fake.server)
        .await;

    let result = fake.source.products(Cursor::START).await;

    assert!(matches!(result, Err(SourceError::Invalid(_))), "{result:?}");
}

#[tokio::test]
async fn a_price_that_is_not_a_number_is_invalid() {
    let fake = Fake::new().await;
    let page = PRODUCTS_PAGE_1.replacen("\"price_including_tax\": 129.99", "\"price_including_tax\": \"call us\"", 1);
    assert_ne!(page, PRODUCTS_PAGE_1);
    fake.serve_page("/products", 0, &page).await;

    let result = fake.source.products(Cursor::START).await;

    assert!(
        matches!(result, Err(SourceError::Invalid(ref text)) if text.contains(AJ1_10) && text.contains("call us")),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_bad_request_is_invalid_and_not_retried() {
    let fake = Fake::new().await;
    list("/products", 0)
        .respond_with(
            ResponseTemplate::new(400).set_body_json(
                serde_json::json!({"error": "Bad Request", "message": "page_size must be at most 5000"}),
            ),
        )
        .expect(1)
        .mount(&fake.server)
        .await;

    let result = fake.source.products(Cursor::START).await;

    assert!(matches!(result, Err(SourceError::Invalid(ref text)) if text.contains("page_size")), "{result:?}");
}

#[tokio::test]
async fn a_till_that_refuses_connections_is_unavailable_after_retries() {
    // A port that was free a moment ago: nothing listens there now.
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .unwrap_or_else(|e| panic!("binding a local port: {e}"))
        .port();
    let tokens: Arc<dyn AccessTokenProvider> =
        Arc::new(PersonalToken::new(SecretString::from(PERSONAL_TOKEN)).unwrap_or_else(|e| panic!("{e}")));
    let config = LightspeedConfig {
        max_retries: 2,
        backoff_base: Duration::from_millis(5),
        ..LightspeedConfig::with_base_url(format!("http://127.0.0.1:{closed_port}/api/2.0"))
    };
    let clock = Arc::new(frontdesk_core::ManualClock::new(monday_afternoon()));
    let source = LightspeedSource::new(config, tokens, clock).unwrap_or_else(|e| panic!("adapter: {e}"));

    let result = source.products(Cursor::START).await;

    assert!(matches!(result, Err(SourceError::Unavailable(ref text)) if text.contains("connect")), "{result:?}");
    assert_eq!(source.requests_sent(), 3);
}

#[tokio::test]
async fn a_reply_slower_than_the_timeout_is_unavailable() {
    let fake =
        Fake::with_config(|config| LightspeedConfig { timeout: Duration::from_millis(200), max_retries: 0, ..config })
            .await;
    list("/products", 0)
        .respond_with(json_reply(EMPTY_PAGE).set_delay(Duration::from_secs(3)))
        .mount(&fake.server)
        .await;

    let result = fake.source.products(Cursor::START).await;

    assert!(matches!(result, Err(SourceError::Unavailable(ref text)) if text.contains("timed out")), "{result:?}");
}

#[test]
fn bad_settings_are_refused_at_startup() {
    let tokens: Arc<dyn AccessTokenProvider> =
        Arc::new(PersonalToken::new(SecretString::from(PERSONAL_TOKEN)).unwrap_or_else(|e| panic!("{e}")));
    let clock = Arc::new(frontdesk_core::ManualClock::new(monday_afternoon()));
    let check = |config: LightspeedConfig| LightspeedSource::new(config, tokens.clone(), clock.clone()).err();
    let base = LightspeedConfig::with_base_url("https://sneakerden.retail.lightspeed.app/api/2.0");
    assert!(check(base.clone()).is_none());
    assert!(check(LightspeedConfig { base_url: "sneakerden.retail.lightspeed.app".into(), ..base.clone() }).is_some());
    assert!(check(LightspeedConfig { page_size: 0, ..base.clone() }).is_some());
    assert!(check(LightspeedConfig { page_size: 5001, ..base.clone() }).is_some());
    assert!(check(LightspeedConfig { outlet_id: Some("  ".into()), ..base }).is_some());
}
