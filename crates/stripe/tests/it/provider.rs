//! `StripeClient` as Frontdesk's `PaymentProvider`: what the port returns
//! and how Stripe's failures become `Retryable` or `Permanent`.

use std::sync::Arc;
use std::time::Duration;

use frontdesk_billing::{PaymentProvider, ProviderError, ProviderSubscription, UsageKind};
use frontdesk_core::Plan;
use serde_json::json;
use wiremock::matchers::{body_string, header};
use wiremock::{MockServer, ResponseTemplate};

use crate::support::{
    CUSTOMER_ID, CUSTOMERS_PATH, METER_EVENTS_PATH, SUBSCRIPTION_ID, SUBSCRIPTIONS_PATH, at, customer_json,
    meter_event_json, stripe, stripe_error, stripe_post, subscription_json, tenant,
};

const USAGE_ID: &str = "0190a3b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b";

fn provider(server: &MockServer) -> Arc<dyn PaymentProvider> {
    Arc::new(stripe(server))
}

#[tokio::test]
async fn create_customer_returns_the_customer_id() {
    let server = MockServer::start().await;
    stripe_post(CUSTOMERS_PATH)
        .and(header("idempotency-key", "customer:fresh-cuts"))
        .and(body_string("name=Fresh+Cuts&metadata%5Btenant_id%5D=fresh-cuts"))
        .respond_with(ResponseTemplate::new(200).set_body_json(customer_json("Fresh Cuts")))
        .expect(1)
        .mount(&server)
        .await;

    let customer_id = provider(&server).create_customer(&tenant(), "Fresh Cuts", "customer:fresh-cuts").await;

    assert_eq!(customer_id.expect("created"), CUSTOMER_ID);
}

#[tokio::test]
async fn create_subscription_returns_the_id_and_status() {
    let server = MockServer::start().await;
    stripe_post(SUBSCRIPTIONS_PATH)
        .and(header("idempotency-key", "subscription:fresh-cuts:starter"))
        .respond_with(ResponseTemplate::new(200).set_body_json(subscription_json(
            "incomplete",
            &["price_1StarterMonthly", "price_1ExtraMinutes", "price_1SmsSegments"],
        )))
        .expect(1)
        .mount(&server)
        .await;

    let subscription = provider(&server)
        .create_subscription(&tenant(), CUSTOMER_ID, Plan::Starter, "subscription:fresh-cuts:starter")
        .await
        .expect("created");

    assert_eq!(subscription, ProviderSubscription { id: SUBSCRIPTION_ID.into(), status: "incomplete".into() });
}

#[tokio::test]
async fn report_usage_sends_a_meter_event_keyed_by_the_usage_record() {
    let server = MockServer::start().await;
    stripe_post(METER_EVENTS_PATH)
        .and(header("idempotency-key", "meter-event:0190a3b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b"))
        .and(body_string(
            "event_name=frontdesk_sms_segments\
             &payload%5Bstripe_customer_id%5D=cus_RfHq1S8dXxYz12\
             &payload%5Bvalue%5D=3\
             &identifier=0190a3b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b\
             &timestamp=1700000123",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(meter_event_json(
            "frontdesk_sms_segments",
            "3",
            USAGE_ID,
            1_700_000_123,
        )))
        .expect(1)
        .mount(&server)
        .await;

    provider(&server)
        .report_usage(CUSTOMER_ID, UsageKind::SmsSegments, 3, USAGE_ID, at(1_700_000_123))
        .await
        .expect("reported");
}

#[tokio::test]
async fn reporting_the_same_usage_twice_counts_once() {
    let server = MockServer::start().await;
    let duplicate = json!({
        "message": format!("An event already exists with identifier {USAGE_ID}."),
        "type": "invalid_request_error",
    });
    stripe_post(METER_EVENTS_PATH)
        .respond_with(stripe_error(400, duplicate).insert_header("Stripe-Should-Retry", "false"))
        .expect(1)
        .mount(&server)
        .await;

    let reported =
        provider(&server).report_usage(CUSTOMER_ID, UsageKind::CallMinutes, 4, USAGE_ID, at(1_700_000_000)).await;

    assert!(reported.is_ok(), "{reported:?}");
}

#[tokio::test]
async fn usage_without_a_meter_is_not_reported() {
    let server = MockServer::start().await;
    stripe_post(METER_EVENTS_PATH).respond_with(ResponseTemplate::new(200)).expect(0).mount(&server).await;

    let reported =
        provider(&server).report_usage(CUSTOMER_ID, UsageKind::LlmTokens, 1200, USAGE_ID, at(1_700_000_000)).await;

    assert!(reported.is_ok(), "{reported:?}");
}

#[tokio::test]
async fn unavailable_stripe_is_retryable() {
    let server = MockServer::start().await;
    stripe_post(METER_EVENTS_PATH)
        .respond_with(stripe_error(503, json!({ "message": "Service unavailable", "type": "api_error" })))
        .expect(3)
        .mount(&server)
        .await;

    let error = provider(&server)
        .report_usage(CUSTOMER_ID, UsageKind::CallMinutes, 4, USAGE_ID, at(1_700_000_000))
        .await
        .expect_err("unavailable");

    match error {
        ProviderError::Retryable { message, retry_after: None } => {
            assert_eq!(
                message,
                "POST /v1/billing/meter_events: Stripe answered HTTP 503 api_error: Service unavailable [req_fake0001]"
            );
        }
        other => panic!("expected Retryable, got {other:?}"),
    }
}

#[tokio::test]
async fn a_long_retry_after_reaches_the_caller() {
    let server = MockServer::start().await;
    stripe_post(CUSTOMERS_PATH)
        .respond_with(
            stripe_error(429, json!({ "code": "rate_limit", "message": "Request rate limit exceeded.", "type": "invalid_request_error" }))
                .insert_header("Retry-After", "90"),
        )
        .expect(1)
        .mount(&server)
        .await;

    let error = provider(&server).create_customer(&tenant(), "Fresh Cuts", "key").await.expect_err("rate limited");

    assert!(
        matches!(error, ProviderError::Retryable { retry_after: Some(wait), .. } if wait == Duration::from_secs(90)),
        "{error:?}"
    );
}

#[tokio::test]
async fn refusals_are_permanent_with_stripes_message() {
    let server = MockServer::start().await;
    let missing = json!({
        "code": "resource_missing",
        "message": "No such customer: 'cus_Gone'",
        "param": "customer",
        "type": "invalid_request_error",
    });
    stripe_post(SUBSCRIPTIONS_PATH).respond_with(stripe_error(400, missing)).expect(1).mount(&server).await;

    let error =
        provider(&server).create_subscription(&tenant(), "cus_Gone", Plan::Pro, "key").await.expect_err("refused");

    match error {
        ProviderError::Permanent(message) => assert_eq!(
            message,
            "POST /v1/subscriptions: Stripe answered HTTP 400 invalid_request_error (code resource_missing, param customer): \
             No such customer: 'cus_Gone' [req_fake0001]"
        ),
        other => panic!("expected Permanent, got {other:?}"),
    }
}

#[tokio::test]
async fn a_plan_without_a_price_is_permanent() {
    let server = MockServer::start().await;
    stripe_post(SUBSCRIPTIONS_PATH).respond_with(ResponseTemplate::new(200)).expect(0).mount(&server).await;

    let error = provider(&server)
        .create_subscription(&tenant(), CUSTOMER_ID, Plan::Enterprise, "key")
        .await
        .expect_err("no price");

    assert!(
        matches!(&error, ProviderError::Permanent(message) if message.contains("no price for plan enterprise")),
        "{error:?}"
    );
}
