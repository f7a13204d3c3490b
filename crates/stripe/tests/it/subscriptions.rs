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

fn subscription_path() -> String {
    format!("{SUBSCRIPTIONS_PATH}/{SUBSCRIPTION_ID}")
}

fn stripe_get(request_path: &str) -> wiremock::MockBuilder {
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .and(wiremock::matchers::path(request_path))
        .and(header("authorization", format!("Bearer {}", crate::support::SECRET_KEY).as_str()))
        .and(header("stripe-version", frontdesk_stripe::API_VERSION))
}

#[tokio::test]
async fn a_plan_change_replaces_the_flat_items_price_prorated_and_keeps_the_metered_ones() {
    let server = MockServer::start().await;
    let on_starter = ["price_1StarterMonthly", "price_1ExtraMinutes", "price_1SmsSegments"];
    let on_pro = ["price_1ProMonthly", "price_1ExtraMinutes", "price_1SmsSegments"];
    stripe_get(&subscription_path())
        .respond_with(ResponseTemplate::new(200).set_body_json(subscription_json("active", &on_starter)))
        .expect(1)
        .mount(&server)
        .await;
    stripe_post(&subscription_path())
        .and(header("idempotency-key", "plan-change-1"))
        .and(body_string(
            "items%5B0%5D%5Bid%5D=si_Item0&items%5B0%5D%5Bprice%5D=price_1ProMonthly&proration_behavior=create_prorations",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(subscription_json("active", &on_pro)))
        .expect(1)
        .mount(&server)
        .await;

    let moved = stripe(&server).change_plan(SUBSCRIPTION_ID, Plan::Pro, "plan-change-1").await.expect("moved");
    assert_eq!(moved.items[0].price_id, "price_1ProMonthly");
    assert_eq!(moved.items.len(), 3);
}

#[tokio::test]
async fn a_subscription_already_on_the_plan_is_left_alone() {
    let server = MockServer::start().await;
    let on_pro = ["price_1ProMonthly", "price_1ExtraMinutes", "price_1SmsSegments"];
    stripe_get(&subscription_path())
        .respond_with(ResponseTemplate::new(200).set_body_json(subscription_json("active", &on_pro)))
        .expect(1)
        .mount(&server)
        .await;
    // Nothing to change, nothing sent.
    stripe_post(&subscription_path()).respond_with(ResponseTemplate::new(500)).expect(0).mount(&server).await;
    let same = stripe(&server).change_plan(SUBSCRIPTION_ID, Plan::Pro, "plan-change-2").await.expect("unchanged");
    assert_eq!(same.id, SUBSCRIPTION_ID);
    server.verify().await;
}

#[tokio::test]
async fn without_a_flat_item_the_plans_price_is_added() {
    let server = MockServer::start().await;
    stripe_get(&subscription_path())
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(subscription_json("active", &["price_1Unknown", "price_1ExtraMinutes"])),
        )
        .mount(&server)
        .await;
    stripe_post(&subscription_path())
        .and(body_string("items%5B0%5D%5Bprice%5D=price_1CoreMonthly&proration_behavior=create_prorations"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(subscription_json("active", &["price_1CoreMonthly", "price_1ExtraMinutes"])),
        )
        .expect(1)
        .mount(&server)
        .await;
    stripe(&server).change_plan(SUBSCRIPTION_ID, Plan::Core, "plan-change-3").await.expect("added");
}

#[tokio::test]
async fn a_plan_without_a_price_or_a_strange_id_is_refused_before_sending() {
    let server = MockServer::start().await;
    let client = stripe(&server);
    let no_price = client.change_plan(SUBSCRIPTION_ID, Plan::Enterprise, "k").await;
    assert!(
        matches!(&no_price, Err(StripeError::NotSent { reason, .. }) if reason.contains("no price for plan enterprise")),
        "{no_price:?}"
    );
    let bad_id = client.change_plan("sub_1/../customers", Plan::Pro, "k").await;
    assert!(matches!(&bad_id, Err(StripeError::NotSent { .. })), "{bad_id:?}");
    let sent = server.received_requests().await.unwrap_or_else(|| panic!("wiremock records requests"));
    assert!(sent.is_empty(), "refused before sending: {sent:?}");
}

#[tokio::test]
async fn a_missing_subscription_is_stripes_404() {
    let server = MockServer::start().await;
    stripe_get(&subscription_path())
        .respond_with(stripe_error(
            404,
            json!({"code": "resource_missing", "message": "No such subscription: 'sub_1QxYz2AbCdEfGhIj'", "param": "id", "type": "invalid_request_error"}),
        ))
        .mount(&server)
        .await;
    let error = stripe(&server).change_plan(SUBSCRIPTION_ID, Plan::Pro, "k").await.expect_err("missing");
    let api = expect_api_error(&error);
    assert_eq!(api.status, 404);
    assert!(error.to_string().contains("GET /v1/subscriptions/sub_1QxYz2AbCdEfGhIj"), "{error}");
}
