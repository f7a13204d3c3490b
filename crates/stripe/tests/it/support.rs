//! A local fake of Stripe's API (wiremock) and the client pointed at it.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use frontdesk_billing::UsageKind;
use frontdesk_core::{Plan, TenantId};
use frontdesk_stripe::{API_VERSION, StripeCatalog, StripeClient, StripeConfig, StripeError};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockBuilder, MockServer, ResponseTemplate};

pub const SECRET_KEY: &str = "sk_test_51FrontdeskNotARealKey0123456789";
pub const CUSTOMER_ID: &str = "cus_RfHq1S8dXxYz12";
pub const SUBSCRIPTION_ID: &str = "sub_1QxYz2AbCdEfGhIj";
pub const CUSTOMERS_PATH: &str = "/v1/customers";
pub const SUBSCRIPTIONS_PATH: &str = "/v1/subscriptions";
pub const METER_EVENTS_PATH: &str = "/v1/billing/meter_events";

pub fn catalog() -> StripeCatalog {
    StripeCatalog {
        plan_prices: BTreeMap::from([
            (Plan::Starter, "price_1StarterMonthly".to_owned()),
            (Plan::Core, "price_1CoreMonthly".to_owned()),
            (Plan::Pro, "price_1ProMonthly".to_owned()),
        ]),
        metered_prices: vec!["price_1ExtraMinutes".to_owned(), "price_1SmsSegments".to_owned()],
        meter_events: BTreeMap::from([
            (UsageKind::CallMinutes, "frontdesk_call_minutes".to_owned()),
            (UsageKind::SmsSegments, "frontdesk_sms_segments".to_owned()),
        ]),
    }
}

/// Retries that wait about a millisecond, so retry tests stay fast.
pub fn config(server: &MockServer) -> StripeConfig {
    StripeConfig {
        base_url: server.uri(),
        timeout: Duration::from_secs(5),
        backoff_base: Duration::from_millis(1),
        ..StripeConfig::new(SECRET_KEY, catalog())
    }
}

pub fn stripe(server: &MockServer) -> StripeClient {
    StripeClient::new(config(server)).expect("test config is valid")
}

pub fn tenant() -> TenantId {
    TenantId::parse("fresh-cuts").expect("valid tenant")
}

pub fn at(unix_seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(unix_seconds, 0).single().expect("valid test time")
}

/// A form POST to `request_path` with our key and pinned version.
pub fn stripe_post(request_path: &str) -> MockBuilder {
    Mock::given(method("POST"))
        .and(path(request_path))
        .and(header("authorization", format!("Bearer {SECRET_KEY}").as_str()))
        .and(header("stripe-version", API_VERSION))
        .and(header("content-type", "application/x-www-form-urlencoded"))
}

/// Stripe's error body, with its request id header.
pub fn stripe_error(status: u16, error: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).insert_header("Request-Id", "req_fake0001").set_body_json(json!({ "error": error }))
}

pub fn customer_json(name: &str) -> Value {
    json!({
        "id": CUSTOMER_ID,
        "object": "customer",
        "address": null,
        "balance": 0,
        "created": 1_700_000_000,
        "currency": null,
        "default_source": null,
        "delinquent": false,
        "description": null,
        "email": null,
        "invoice_prefix": "8E2A1B3C",
        "invoice_settings": { "custom_fields": null, "default_payment_method": null, "footer": null, "rendering_options": null },
        "livemode": false,
        "metadata": { "tenant_id": "fresh-cuts" },
        "name": name,
        "next_invoice_sequence": 1,
        "phone": null,
        "preferred_locales": [],
        "shipping": null,
        "tax_exempt": "none",
        "test_clock": null,
    })
}

pub fn subscription_json(status: &str, prices: &[&str]) -> Value {
    let items: Vec<Value> = prices
        .iter()
        .enumerate()
        .map(|(index, price)| {
            let metered = index > 0;
            let mut item = json!({
                "id": format!("si_Item{index}"),
                "object": "subscription_item",
                "created": 1_700_000_001,
                "current_period_start": 1_700_000_000,
                "current_period_end": 1_702_592_000,
                "metadata": {},
                "price": {
                    "id": price,
                    "object": "price",
                    "active": true,
                    "currency": "usd",
                    "recurring": {
                        "interval": "month",
                        "interval_count": 1,
                        "meter": if metered { json!("mtr_test_61Ro") } else { json!(null) },
                        "usage_type": if metered { "metered" } else { "licensed" },
                    },
                    "type": "recurring",
                    "unit_amount": if metered { 5 } else { 4900 },
                },
                "subscription": SUBSCRIPTION_ID,
            });
            if !metered {
                item["quantity"] = json!(1);
            }
            item
        })
        .collect();
    json!({
        "id": SUBSCRIPTION_ID,
        "object": "subscription",
        "billing_cycle_anchor": 1_700_000_000,
        "cancel_at_period_end": false,
        "collection_method": "charge_automatically",
        "created": 1_700_000_000,
        "currency": "usd",
        "customer": CUSTOMER_ID,
        "items": {
            "object": "list",
            "data": items,
            "has_more": false,
            "total_count": prices.len(),
            "url": format!("/v1/subscription_items?subscription={SUBSCRIPTION_ID}"),
        },
        "latest_invoice": "in_1QxYz2Invoice",
        "livemode": false,
        "metadata": { "tenant_id": "fresh-cuts" },
        "status": status,
    })
}

/// Stripe's echo of a meter event: the payload's value comes back as a string.
pub fn meter_event_json(event_name: &str, value: &str, identifier: &str, timestamp: i64) -> Value {
    json!({
        "object": "billing.meter_event",
        "created": timestamp + 5,
        "event_name": event_name,
        "identifier": identifier,
        "livemode": false,
        "payload": { "stripe_customer_id": CUSTOMER_ID, "value": value },
        "timestamp": timestamp,
    })
}

/// The `Idempotency-Key` of every request the fake received, in order.
pub async fn idempotency_keys(server: &MockServer) -> Vec<String> {
    let requests = server.received_requests().await.expect("request recording is on");
    requests
        .iter()
        .map(|request| {
            let value = request.headers.get("idempotency-key").expect("every POST has an Idempotency-Key");
            value.to_str().expect("ASCII key").to_owned()
        })
        .collect()
}

/// The bodies of every request the fake received, in order.
pub async fn bodies(server: &MockServer) -> Vec<String> {
    let requests = server.received_requests().await.expect("request recording is on");
    requests.iter().map(|request| String::from_utf8(request.body.clone()).expect("UTF-8 body")).collect()
}

pub fn expect_api_error(error: &StripeError) -> &frontdesk_stripe::ApiError {
    error.api_error().unwrap_or_else(|| panic!("expected an API error, got {error:?}"))
}
