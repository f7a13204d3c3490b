//! `POST /v1/subscriptions`: the flat price then every metered price, and
//! how refusals come back.

use frontdesk_core::Plan;
use frontdesk_stripe::{StripeError, SubscriptionItem};
use serde_json::json;
use wiremock::matchers::{body_string, header};
use wiremock::{MockServer, ResponseTemplate};

use crate::support::{
    CUSTOMER_ID, SUBSCRIPTION_ID, SUBSCRIPTIONS_PATH, expect_api_error, stripe, stripe_error, stripe_post,
    subscription_json, tenant,
};

#[tokio::test]
async fn subscribes_to_the_plans_flat_price_and_every_metered_price() {
    let server = MockServer::start().await;
    let prices = ["price_1ProMonthly", "price_1ExtraMinutes", "price_1SmsSegments"];
    stripe_post(SUBSCRIPTIONS_PATH)
        .and(header("idempotency-key", "subscription:fresh-cuts:pro"))
        .and(body_string(
            "customer=cus_RfHq1S8dXxYz12\
             &items%5B0%5D%5Bprice%5D=price_1ProMonthly\
             &items%5B1%5D%5Bprice%5D=price_1ExtraMinutes\
             &items%5B2%5D%5Bprice%5D=price_1SmsSegments\
             &metadata%5Btenant_id%5D=fresh-cuts",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(subscription_json("active", &prices)))
        .expect(1)
        .mount(&server)
        .await;

    let subscription = stripe(&server)
        .create_subscription(&tenant(), CUSTOMER_ID, Plan::Pro, "subscription:fresh-cuts:pro")
        .await
        .expect("subscribed");

    assert_eq!(subscription.id, SUBSCRIPTION_ID);
    assert_eq!(subscription.status, "active");
    assert_eq!(subscription.customer, CUSTOMER_ID);
    assert_eq!(subscription.metadata.get("tenant_id").map(String::as_str), Some("fresh-cuts"));
    assert_eq!(
        subscription.items,
        vec![
            SubscriptionItem { id: "si_Item0".into(), price_id: "price_1ProMonthly".into(), quantity: Some(1) },
            SubscriptionItem { id: "si_Item1".into(), price_id: "price_1ExtraMinutes".into(), quantity: None },
            SubscriptionItem { id: "si_Item2".into(), price_id: "price_1SmsSegments".into(), quantity: None },
        ]
    );
}

#[tokio::test]
async fn reports_an_incomplete_subscription_as_stripe_does() {
    // Without a payment method Stripe creates the subscription as `incomplete`.
    let server = MockServer::start().await;
    let prices = ["price_1StarterMonthly", "price_1ExtraMinutes", "price_1SmsSegments"];
    stripe_post(SUBSCRIPTIONS_PATH)
        .and(body_string(
            "customer=cus_RfHq1S8dXxYz12\
             &items%5B0%5D%5Bprice%5D=price_1StarterMonthly\
             &items%5B1%5D%5Bprice%5D=price_1ExtraMinutes\
             &items%5B2%5D%5Bprice%5D=price_1SmsSegments\
             &metadata%5Btenant_id%5D=fresh-cuts",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(subscription_json("incomplete", &prices)))
        .expect(1)
        .mount(&server)
        .await;

    let subscription =
        stripe(&server).create_subscription(&tenant(), CUSTOMER_ID, Plan::Starter, "sub-key-1").await.expect("created");

    assert_eq!(subscription.status, "incomplete");
}

#[tokio::test]
async fn a_plan_without_a_price_is_not_sent() {
    let server = MockServer::start().await;
    stripe_post(SUBSCRIPTIONS_PATH).respond_with(ResponseTemplate::new(200)).expect(0).mount(&server).await;

    let error = stripe(&server)
        .create_subscription(&tenant(), CUSTOMER_ID, Plan::Enterprise, "sub-key-2")
        .await
        .expect_err("no price for enterprise");

    assert!(matches!(&error, StripeError::NotSent { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "POST /v1/subscriptions: not sent: the Stripe catalog has no price for plan enterprise"
    );
}

#[tokio::test]
async fn a_declined_card_is_typed_and_not_retried() {
    let server = MockServer::start().await;
    let declined = json!({
        "charge": "ch_3QxYz2Declined",
        "code": "card_declined",
        "decline_code": "insufficient_funds",
        "doc_url": "https://stripe.com/docs/error-codes/card-declined",
        "message": "Your card has insufficient funds.",
        "param": "",
        "request_log_url": "https://dashboard.stripe.com/test/logs/req_fake0001?t=1700000000",
        "type": "card_error",
    });
    stripe_post(SUBSCRIPTIONS_PATH).respond_with(stripe_error(402, declined)).expect(1).mount(&server).await;

    let error = stripe(&server)
        .create_subscription(&tenant(), CUSTOMER_ID, Plan::Core, "sub-key-3")
        .await
        .expect_err("declined");

    let api = expect_api_error(&error);
    assert_eq!(api.status, 402);
    assert_eq!(api.error_type.as_deref(), Some("card_error"));
    assert_eq!(api.code.as_deref(), Some("card_declined"));
    assert_eq!(api.decline_code.as_deref(), Some("insufficient_funds"));
    assert_eq!(api.param, None);
    assert_eq!(api.message.as_deref(), Some("Your card has insufficient funds."));
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn an_unknown_customer_is_typed_and_not_retried() {
    let server = MockServer::start().await;
    let missing = json!({
        "code": "resource_missing",
        "doc_url": "https://stripe.com/docs/error-codes/resource-missing",
        "message": "No such customer: 'cus_Gone'",
        "param": "customer",
        "type": "invalid_request_error",
    });
    stripe_post(SUBSCRIPTIONS_PATH).respond_with(stripe_error(400, missing)).expect(1).mount(&server).await;

    let error =
        stripe(&server).create_subscription(&tenant(), "cus_Gone", Plan::Core, "sub-key-4").await.expect_err("refused");

    let api = expect_api_error(&error);
    assert_eq!(
        (api.status, api.code.as_deref(), api.param.as_deref()),
        (400, Some("resource_missing"), Some("customer"))
    );
    assert!(!error.is_retryable());
}
