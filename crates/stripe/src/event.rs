//! Stripe's webhook events (`{"id":"evt_…","object":"event","type":…,
//! "data":{"object":{…}}}`), read only as far as Frontdesk needs them.
//!
//! The shape of `data.object` depends on the event type and the API version
//! the endpoint was created with, so it is kept as JSON and read through
//! accessors that answer `None` rather than fail. Unknown fields are
//! ignored everywhere.

use serde::Deserialize;
use serde_json::Value;

/// The body of a webhook is not a Stripe event (or not a v1 "snapshot"
/// event: v2 "thin" events carry no `data.object`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the webhook body is not a Stripe event: {0}")]
pub struct EventParseError(String);

/// One Stripe event. Deliveries repeat and arrive out of order: deduplicate
/// on [`id`](StripeEvent::id).
#[derive(Debug, Clone, PartialEq)]
pub struct StripeEvent {
    /// `evt_…`.
    pub id: String,
    /// `customer.subscription.updated`, `invoice.paid`, … (the `type` field).
    pub event_type: String,
    /// When Stripe created the event, in seconds since the epoch.
    pub created: i64,
    pub livemode: bool,
    /// The API version `data.object` is rendered in.
    pub api_version: Option<String>,
    /// `data.object`: the customer, subscription, invoice, … as it is after
    /// the change.
    pub object: Value,
}

impl StripeEvent {
    /// Reads a webhook body. Verify its signature first
    /// ([`WebhookVerifier::verify`](crate::WebhookVerifier::verify)).
    pub fn parse(raw_body: &[u8]) -> Result<StripeEvent, EventParseError> {
        let wire: EventWire = serde_json::from_slice(raw_body).map_err(|error| EventParseError(error.to_string()))?;
        Ok(StripeEvent {
            id: wire.id,
            event_type: wire.event_type,
            created: wire.created,
            livemode: wire.livemode,
            api_version: wire.api_version,
            object: wire.data.object,
        })
    }

    /// What `data.object` is: `customer`, `subscription`, `invoice`, ….
    pub fn object_type(&self) -> Option<&str> {
        self.object.get("object")?.as_str()
    }

    /// `data.object.id`: `cus_…`, `sub_…`, `in_…`.
    pub fn object_id(&self) -> Option<&str> {
        self.object.get("id")?.as_str()
    }

    /// The customer the event is about: the object itself when it is a
    /// customer, otherwise its `customer` field (an id, or an expanded
    /// customer object).
    pub fn customer_id(&self) -> Option<&str> {
        if self.object_type() == Some("customer") {
            return self.object_id();
        }
        match self.object.get("customer")? {
            Value::String(id) => Some(id),
            Value::Object(customer) => customer.get("id")?.as_str(),
            _ => None,
        }
    }

    /// The subscription's `status` (`active`, `past_due`, `canceled`, …),
    /// when the object is a subscription. Other objects have statuses too
    /// (an invoice is `paid`), which must not be mistaken for this one.
    pub fn subscription_status(&self) -> Option<&str> {
        if self.object_type() != Some("subscription") {
            return None;
        }
        self.object.get("status")?.as_str()
    }
}

#[derive(Deserialize)]
struct EventWire {
    id: String,
    #[serde(rename = "type")]
    event_type: String,
    created: i64,
    #[serde(default)]
    livemode: bool,
    #[serde(default)]
    api_version: Option<String>,
    data: EventDataWire,
}

#[derive(Deserialize)]
struct EventDataWire {
    object: Value,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event(object: Value) -> StripeEvent {
        let body = json!({
            "id": "evt_1QxYz2AbCdEf",
            "object": "event",
            "api_version": "2025-03-31.basil",
            "created": 1_700_000_000,
            "data": { "object": object, "previous_attributes": { "status": "incomplete" } },
            "livemode": false,
            "pending_webhooks": 1,
            "request": { "id": "req_abc", "idempotency_key": "key-1" },
            "type": "customer.subscription.updated",
        });
        StripeEvent::parse(body.to_string().as_bytes()).expect("valid event")
    }

    #[test]
    fn reads_a_subscription_event() {
        let event = event(json!({
            "id": "sub_1QxYz2",
            "object": "subscription",
            "customer": "cus_RfHq1S8dXxYz12",
            "status": "active",
            "items": { "object": "list", "data": [] },
        }));
        assert_eq!(event.id, "evt_1QxYz2AbCdEf");
        assert_eq!(event.event_type, "customer.subscription.updated");
        assert_eq!(event.created, 1_700_000_000);
        assert!(!event.livemode);
        assert_eq!(event.api_version.as_deref(), Some("2025-03-31.basil"));
        assert_eq!(event.object_type(), Some("subscription"));
        assert_eq!(event.object_id(), Some("sub_1QxYz2"));
        assert_eq!(event.customer_id(), Some("cus_RfHq1S8dXxYz12"));
        assert_eq!(event.subscription_status(), Some("active"));
    }

    #[test]
    fn a_customer_is_its_own_customer() {
        let event = event(json!({ "id": "cus_RfHq1S8dXxYz12", "object": "customer", "name": "Fresh Cuts" }));
        assert_eq!(event.customer_id(), Some("cus_RfHq1S8dXxYz12"));
        assert_eq!(event.subscription_status(), None);
    }

    #[test]
    fn reads_expanded_customers_and_ignores_other_statuses() {
        let event = event(json!({
            "id": "in_1QxYz2",
            "object": "invoice",
            "customer": { "id": "cus_RfHq1S8dXxYz12", "object": "customer" },
            "status": "paid",
        }));
        assert_eq!(event.customer_id(), Some("cus_RfHq1S8dXxYz12"));
        assert_eq!(event.subscription_status(), None);
    }

    #[test]
    fn accessors_answer_none_for_odd_objects() {
        for object in [json!(null), json!("sub_1"), json!({ "customer": 7, "id": 3 }), json!({})] {
            let event = event(object.clone());
            assert_eq!(
                (event.object_type(), event.object_id(), event.customer_id(), event.subscription_status()),
                (None, None, None, None),
                "{object}"
            );
        }
    }

    #[test]
    fn reads_the_python_sdk_test_body() {
        let body = "{\n  \"id\": \"evt_test_webhook\",\n  \"object\": \"event\",\n  \"data\": { \"object\": { \"id\": \"rdr_123\", \"object\": \"terminal.reader\" } }\n}";
        // It has no `type` or `created`, which every real event has.
        let error = StripeEvent::parse(body.as_bytes()).expect_err("incomplete event");
        assert!(error.to_string().contains("missing field `type`"), "{error}");
    }

    #[test]
    fn rejects_what_is_not_an_event() {
        let cases: [(&[u8], &str); 4] = [
            (b"", "EOF while parsing"),
            (b"not json", "expected ident"),
            (br#"{"id":"evt_1","type":"invoice.paid","created":"yesterday","data":{"object":{}}}"#, "invalid type"),
            (
                br#"{"id":"evt_1","type":"v1.billing.meter.no_meter_found","created":1,"related_object":{}}"#,
                "missing field `data`",
            ),
        ];
        for (body, expected) in cases {
            let error = StripeEvent::parse(body).expect_err("not an event");
            assert!(error.to_string().contains(expected), "{:?}: {error}", String::from_utf8_lossy(body));
        }
    }
}
