//! `POST /v1/customers`: the exact form body and headers, and what comes back.

use frontdesk_stripe::StripeError;
use wiremock::matchers::{body_string, header};
use wiremock::{MockServer, ResponseTemplate};

use crate::support::{
    CUSTOMER_ID, CUSTOMERS_PATH, customer_json, expect_api_error, stripe, stripe_error, stripe_post, tenant,
};

#[tokio::test]
async fn sends_the_name_and_tenant_metadata_with_the_callers_idempotency_key() {
    let server = MockServer::start().await;
    stripe_post(CUSTOMERS_PATH)
        .and(header("idempotency-key", "customer:fresh-cuts:0190a3b2"))
        .and(body_string("name=Fresh+Cuts&metadata%5Btenant_id%5D=fresh-cuts"))
        .respond_with(ResponseTemplate::new(200).set_body_json(customer_json("Fresh Cuts")))
        .expect(1)
        .mount(&server)
        .await;

    let customer = stripe(&server)
        .create_customer(&tenant(), "Fresh Cuts", "customer:fresh-cuts:0190a3b2")
        .await
        .expect("created");

    assert_eq!(customer.id, CUSTOMER_ID);
    assert_eq!(customer.name.as_deref(), Some("Fresh Cuts"));
    assert_eq!(customer.metadata.get("tenant_id").map(String::as_str), Some("fresh-cuts"));
    assert_eq!(customer.created, 1_700_000_000);
    assert!(!customer.livemode);
}

#[tokio::test]
async fn percent_encodes_reserved_and_non_ascii_characters() {
    let server = MockServer::start().await;
    stripe_post(CUSTOMERS_PATH)
        .and(body_string(
            "name=Caf%C3%A9+Zo%C3%AB+%26+Co.+Hair%2FNails+100%25+%3D+%5Bbest%5D&metadata%5Btenant_id%5D=fresh-cuts",
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(customer_json("Café Zoë & Co. Hair/Nails 100% = [best]")),
        )
        .expect(1)
        .mount(&server)
        .await;

    let customer = stripe(&server)
        .create_customer(&tenant(), "Café Zoë & Co. Hair/Nails 100% = [best]", "customer:fresh-cuts:1")
        .await
        .expect("created");

    assert_eq!(customer.name.as_deref(), Some("Café Zoë & Co. Hair/Nails 100% = [best]"));
}

#[tokio::test]
async fn an_invalid_request_is_typed_with_stripes_fields() {
    let server = MockServer::start().await;
    let error_body = serde_json::json!({
        "code": "parameter_invalid_empty",
        "doc_url": "https://stripe.com/docs/error-codes/parameter-invalid-empty",
        "message": "You passed an empty string for 'name'. We assume empty values are an attempt to unset a parameter; however 'name' cannot be unset. You should remove 'name' from your request or supply a non-empty value.",
        "param": "name",
        "request_log_url": "https://dashboard.stripe.com/test/logs/req_fake0001?t=1700000000",
        "type": "invalid_request_error",
    });
    stripe_post(CUSTOMERS_PATH).respond_with(stripe_error(400, error_body)).expect(1).mount(&server).await;

    let error = stripe(&server).create_customer(&tenant(), "", "customer:fresh-cuts:2").await.expect_err("refused");

    let api = expect_api_error(&error);
    assert_eq!(api.status, 400);
    assert_eq!(api.error_type.as_deref(), Some("invalid_request_error"));
    assert_eq!(api.code.as_deref(), Some("parameter_invalid_empty"));
    assert_eq!(api.param.as_deref(), Some("name"));
    assert_eq!(api.request_id.as_deref(), Some("req_fake0001"));
    assert!(api.message.as_deref().is_some_and(|message| message.starts_with("You passed an empty string for 'name'")));
    assert!(!error.is_retryable());
    let text = error.to_string();
    assert!(
        text.starts_with("POST /v1/customers: Stripe answered HTTP 400 invalid_request_error (code parameter_invalid_empty, param name): You passed"),
        "{text}"
    );
    assert!(text.ends_with("[req_fake0001; https://stripe.com/docs/error-codes/parameter-invalid-empty]"), "{text}");
}

#[tokio::test]
async fn a_bad_key_is_permanent_and_never_echoed() {
    let server = MockServer::start().await;
    let error_body = serde_json::json!({
        "message": "Invalid API Key provided: sk_test_****************************6789",
        "type": "invalid_request_error",
    });
    stripe_post(CUSTOMERS_PATH).respond_with(stripe_error(401, error_body)).expect(1).mount(&server).await;

    let error =
        stripe(&server).create_customer(&tenant(), "Fresh Cuts", "customer:fresh-cuts:3").await.expect_err("refused");

    assert_eq!(expect_api_error(&error).status, 401);
    assert!(!error.is_retryable());
    assert!(!format!("{error} {error:?}").contains(crate::support::SECRET_KEY));
}

#[tokio::test]
async fn unusable_idempotency_keys_are_not_sent() {
    let server = MockServer::start().await;
    stripe_post(CUSTOMERS_PATH).respond_with(ResponseTemplate::new(200)).expect(0).mount(&server).await;

    for key in [String::new(), "k".repeat(256), "has spaces".to_owned()] {
        let error = stripe(&server).create_customer(&tenant(), "Fresh Cuts", &key).await.expect_err("not sent");
        assert!(matches!(&error, StripeError::NotSent { request, .. } if request == "POST /v1/customers"), "{error:?}");
        assert!(!error.is_retryable());
    }
}
