//! Which failures are retried, how often, how long apart, and that every
//! retry carries the same idempotency key and body.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use frontdesk_core::Plan;
use frontdesk_stripe::{StripeClient, StripeConfig, StripeError};
use serde_json::json;
use wiremock::{MockServer, ResponseTemplate};

use crate::support::{
    CUSTOMER_ID, CUSTOMERS_PATH, SUBSCRIPTIONS_PATH, bodies, config, customer_json, expect_api_error, idempotency_keys,
    stripe, stripe_error, stripe_post, tenant,
};

fn api_error_body() -> serde_json::Value {
    json!({ "message": "An unknown error occurred", "type": "api_error" })
}

fn lock_timeout() -> serde_json::Value {
    json!({
        "code": "lock_timeout",
        "message": "This object cannot be accessed right now because another API request or Stripe process is currently accessing it.",
        "type": "invalid_request_error",
    })
}

/// `first` once, then a created customer.
async fn fail_once_then_succeed(server: &MockServer, first: ResponseTemplate) {
    stripe_post(CUSTOMERS_PATH).respond_with(first).up_to_n_times(1).with_priority(1).mount(server).await;
    stripe_post(CUSTOMERS_PATH)
        .respond_with(ResponseTemplate::new(200).set_body_json(customer_json("Fresh Cuts")))
        .with_priority(2)
        .mount(server)
        .await;
}

async fn create_customer(server: &MockServer) -> Result<frontdesk_stripe::Customer, StripeError> {
    stripe(server).create_customer(&tenant(), "Fresh Cuts", "customer:fresh-cuts:retry").await
}

#[tokio::test]
async fn a_server_error_is_retried_with_the_same_idempotency_key_and_body() {
    let server = MockServer::start().await;
    fail_once_then_succeed(&server, stripe_error(500, api_error_body())).await;

    let customer = create_customer(&server).await.expect("created on the retry");

    assert_eq!(customer.id, CUSTOMER_ID);
    assert_eq!(idempotency_keys(&server).await, vec!["customer:fresh-cuts:retry"; 2]);
    assert_eq!(bodies(&server).await, vec!["name=Fresh+Cuts&metadata%5Btenant_id%5D=fresh-cuts"; 2]);
}

#[tokio::test]
async fn a_lock_conflict_is_retried() {
    let server = MockServer::start().await;
    fail_once_then_succeed(&server, stripe_error(409, lock_timeout())).await;

    create_customer(&server).await.expect("created on the retry");

    assert_eq!(idempotency_keys(&server).await.len(), 2);
}

#[tokio::test]
async fn a_non_json_gateway_error_is_retried() {
    let server = MockServer::start().await;
    fail_once_then_succeed(&server, ResponseTemplate::new(502).set_body_string("<html>502 Bad Gateway</html>")).await;

    create_customer(&server).await.expect("created on the retry");

    assert_eq!(idempotency_keys(&server).await.len(), 2);
}

#[tokio::test]
async fn a_rate_limit_is_retried_after_retry_after() {
    let server = MockServer::start().await;
    let rate_limited = stripe_error(
        429,
        json!({ "code": "rate_limit", "message": "Request rate limit exceeded.", "type": "invalid_request_error" }),
    )
    .insert_header("Retry-After", "1");
    fail_once_then_succeed(&server, rate_limited).await;

    let started = Instant::now();
    create_customer(&server).await.expect("created on the retry");

    assert!(started.elapsed() >= Duration::from_secs(1), "retried after {:?}", started.elapsed());
    assert_eq!(idempotency_keys(&server).await.len(), 2);
}

#[tokio::test]
async fn a_retry_after_over_a_minute_is_left_to_the_caller() {
    let server = MockServer::start().await;
    stripe_post(CUSTOMERS_PATH)
        .respond_with(
            stripe_error(429, json!({ "code": "rate_limit", "type": "invalid_request_error" }))
                .insert_header("Retry-After", "120"),
        )
        .expect(1)
        .mount(&server)
        .await;

    let error = create_customer(&server).await.expect_err("not waited out");

    assert!(error.is_retryable());
    assert_eq!(error.retry_after(), Some(Duration::from_secs(120)));
}

#[tokio::test]
async fn stripe_should_retry_false_stops_a_server_error_from_being_retried() {
    let server = MockServer::start().await;
    stripe_post(CUSTOMERS_PATH)
        .respond_with(stripe_error(500, api_error_body()).insert_header("Stripe-Should-Retry", "false"))
        .expect(1)
        .mount(&server)
        .await;

    let error = create_customer(&server).await.expect_err("not retried");

    let api = expect_api_error(&error);
    assert_eq!((api.status, api.should_retry), (500, Some(false)));
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn stripe_should_retry_true_makes_a_client_error_retried() {
    let server = MockServer::start().await;
    let first = stripe_error(400, lock_timeout()).insert_header("Stripe-Should-Retry", "true");
    fail_once_then_succeed(&server, first).await;

    create_customer(&server).await.expect("created on the retry");

    assert_eq!(idempotency_keys(&server).await.len(), 2);
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    for status in [400, 401, 402, 403, 404] {
        let server = MockServer::start().await;
        let error_body = json!({ "message": format!("refused with {status}"), "type": "invalid_request_error" });
        stripe_post(CUSTOMERS_PATH).respond_with(stripe_error(status, error_body)).expect(1).mount(&server).await;

        let error = create_customer(&server).await.expect_err("refused");

        assert_eq!(expect_api_error(&error).status, status);
        assert!(!error.is_retryable(), "HTTP {status}");
    }
}

#[tokio::test]
async fn gives_up_after_max_retries_with_the_last_error() {
    let server = MockServer::start().await;
    stripe_post(SUBSCRIPTIONS_PATH)
        .respond_with(stripe_error(503, api_error_body()))
        .expect(3) // the first attempt and DEFAULT_MAX_RETRIES (2) retries
        .mount(&server)
        .await;

    let error = stripe(&server)
        .create_subscription(&tenant(), CUSTOMER_ID, Plan::Core, "subscription:fresh-cuts:core")
        .await
        .expect_err("still failing");

    assert_eq!(expect_api_error(&error).status, 503);
    assert!(error.is_retryable());
    assert_eq!(idempotency_keys(&server).await, vec!["subscription:fresh-cuts:core"; 3]);
}

#[tokio::test]
async fn zero_retries_sends_once() {
    let server = MockServer::start().await;
    stripe_post(CUSTOMERS_PATH).respond_with(stripe_error(500, api_error_body())).expect(1).mount(&server).await;
    let client = StripeClient::new(StripeConfig { max_retries: 0, ..config(&server) }).expect("valid config");

    let error = client.create_customer(&tenant(), "Fresh Cuts", "key").await.expect_err("failed");

    assert!(error.is_retryable());
}

#[tokio::test]
async fn a_timeout_is_retried() {
    let server = MockServer::start().await;
    let slow = ResponseTemplate::new(200).set_body_json(customer_json("Fresh Cuts")).set_delay(Duration::from_secs(3));
    fail_once_then_succeed(&server, slow).await;
    let client = StripeClient::new(StripeConfig { timeout: Duration::from_millis(300), ..config(&server) })
        .expect("valid config");

    let customer = client.create_customer(&tenant(), "Fresh Cuts", "customer:fresh-cuts:slow").await.expect("created");

    assert_eq!(customer.id, CUSTOMER_ID);
    assert_eq!(idempotency_keys(&server).await, vec!["customer:fresh-cuts:slow"; 2]);
}

#[tokio::test]
async fn an_unreachable_stripe_is_a_retryable_network_error() {
    // A port that was just free: nothing listens there.
    let port = TcpListener::bind("127.0.0.1:0").and_then(|listener| listener.local_addr()).expect("free port").port();
    let config = StripeConfig {
        base_url: format!("http://127.0.0.1:{port}"),
        max_retries: 1,
        ..config(&MockServer::start().await)
    };

    let error = StripeClient::new(config)
        .expect("valid config")
        .create_customer(&tenant(), "Fresh Cuts", "key")
        .await
        .expect_err("nothing listens");

    assert!(
        matches!(&error, StripeError::Network { request, message } if request == "POST /v1/customers" && message.starts_with("could not connect")),
        "{error:?}"
    );
    assert!(error.is_retryable());
}

#[tokio::test]
async fn an_unreadable_success_is_not_retried() {
    let server = MockServer::start().await;
    stripe_post(CUSTOMERS_PATH)
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>captive portal</html>"))
        .expect(1)
        .mount(&server)
        .await;

    let error = create_customer(&server).await.expect_err("unreadable");

    assert!(matches!(&error, StripeError::Decode { status: 200, .. }), "{error:?}");
    assert!(!error.is_retryable());
}
