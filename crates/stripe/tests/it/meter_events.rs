//! `POST /v1/billing/meter_events`: the exact form body, Stripe's echo, and
//! an identifier Stripe already has counting as success.

use frontdesk_stripe::{MeterEventReceipt, NewMeterEvent, StripeError};
use serde_json::json;
use wiremock::matchers::{body_string, header};
use wiremock::{MockServer, ResponseTemplate};

use crate::support::{
    CUSTOMER_ID, METER_EVENTS_PATH, at, expect_api_error, meter_event_json, stripe, stripe_error, stripe_post,
};

const IDENTIFIER: &str = "0190a3b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b";

fn call_minutes(value: i64) -> NewMeterEvent<'static> {
    NewMeterEvent {
        event_name: "frontdesk_call_minutes",
        customer_id: CUSTOMER_ID,
        value,
        identifier: IDENTIFIER,
        timestamp: at(1_700_000_000),
    }
}

#[tokio::test]
async fn sends_the_event_and_reads_the_echo() {
    let server = MockServer::start().await;
    stripe_post(METER_EVENTS_PATH)
        .and(header("idempotency-key", "meter-event:0190a3b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b"))
        .and(body_string(
            "event_name=frontdesk_call_minutes\
             &payload%5Bstripe_customer_id%5D=cus_RfHq1S8dXxYz12\
             &payload%5Bvalue%5D=25\
             &identifier=0190a3b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b\
             &timestamp=1700000000",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(meter_event_json(
            "frontdesk_call_minutes",
            "25",
            IDENTIFIER,
            1_700_000_000,
        )))
        .expect(1)
        .mount(&server)
        .await;

    let receipt = stripe(&server)
        .create_meter_event(&call_minutes(25), "meter-event:0190a3b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b")
        .await
        .expect("recorded");

    let MeterEventReceipt::Recorded(event) = receipt else { panic!("expected Recorded, got {receipt:?}") };
    assert_eq!(event.event_name, "frontdesk_call_minutes");
    assert_eq!(event.identifier, IDENTIFIER);
    assert_eq!(event.timestamp, 1_700_000_000);
    assert_eq!(event.payload.get("value").map(String::as_str), Some("25"));
    assert_eq!(event.payload.get("stripe_customer_id").map(String::as_str), Some(CUSTOMER_ID));
}

#[tokio::test]
async fn an_identifier_stripe_already_has_counts_as_already_recorded() {
    // What Stripe answers for a second event with the same identifier.
    let server = MockServer::start().await;
    let duplicate = json!({
        "message": format!("An event already exists with identifier {IDENTIFIER}."),
        "type": "invalid_request_error",
    });
    stripe_post(METER_EVENTS_PATH)
        .respond_with(stripe_error(400, duplicate).insert_header("Stripe-Should-Retry", "false"))
        .expect(1)
        .mount(&server)
        .await;

    let receipt = stripe(&server).create_meter_event(&call_minutes(25), "key-1").await.expect("counts as done");

    assert_eq!(receipt, MeterEventReceipt::AlreadyRecorded);
}

#[tokio::test]
async fn the_resource_already_exists_code_also_counts_as_already_recorded() {
    let server = MockServer::start().await;
    let duplicate = json!({
        "code": "resource_already_exists",
        "message": "A meter event with this identifier was already submitted.",
        "type": "invalid_request_error",
    });
    stripe_post(METER_EVENTS_PATH).respond_with(stripe_error(400, duplicate)).expect(1).mount(&server).await;

    let receipt = stripe(&server).create_meter_event(&call_minutes(25), "key-2").await.expect("counts as done");

    assert_eq!(receipt, MeterEventReceipt::AlreadyRecorded);
}

#[tokio::test]
async fn other_refusals_are_errors() {
    let server = MockServer::start().await;
    let no_meter = json!({
        "message": "No active meter was found for event_name frontdesk_call_minutes.",
        "param": "event_name",
        "type": "invalid_request_error",
    });
    stripe_post(METER_EVENTS_PATH).respond_with(stripe_error(400, no_meter)).expect(1).mount(&server).await;

    let error = stripe(&server).create_meter_event(&call_minutes(25), "key-3").await.expect_err("refused");

    assert_eq!(expect_api_error(&error).param.as_deref(), Some("event_name"));
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn identifiers_over_100_characters_are_not_sent() {
    let server = MockServer::start().await;
    stripe_post(METER_EVENTS_PATH).respond_with(ResponseTemplate::new(200)).expect(0).mount(&server).await;
    let long = "u".repeat(101);
    let event = NewMeterEvent { identifier: &long, ..call_minutes(1) };

    let error = stripe(&server).create_meter_event(&event, "key-4").await.expect_err("not sent");

    assert!(matches!(&error, StripeError::NotSent { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "POST /v1/billing/meter_events: not sent: a meter event identifier must be 1 to 100 characters, not 101"
    );
}
