//! The Stripe objects the client returns, read as far as Frontdesk uses
//! them. Unknown fields are ignored, so new API versions do not break them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};

/// A created customer (`cus_…`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Customer {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    #[serde(default)]
    pub created: i64,
    #[serde(default)]
    pub livemode: bool,
}

/// A created subscription (`sub_…`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Subscription {
    pub id: String,
    /// `incomplete`, `active`, `past_due`, `canceled`, ….
    pub status: String,
    /// The customer's id (also when Stripe expanded the customer).
    #[serde(deserialize_with = "id_or_object")]
    pub customer: String,
    #[serde(default, deserialize_with = "list_data")]
    pub items: Vec<SubscriptionItem>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    #[serde(default)]
    pub created: i64,
    #[serde(default)]
    pub livemode: bool,
}

/// One price on a subscription (`si_…`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SubscriptionItem {
    pub id: String,
    /// The price's id (`price_…`).
    #[serde(rename = "price", deserialize_with = "id_or_object")]
    pub price_id: String,
    /// Absent on metered items.
    #[serde(default)]
    pub quantity: Option<u64>,
}

/// A meter event to send: `value` units of `event_name` used by a customer
/// at `timestamp`, named by `identifier` so that sending it twice counts
/// once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewMeterEvent<'a> {
    /// The meter's `event_name`.
    pub event_name: &'a str,
    /// `cus_…`, sent as `payload[stripe_customer_id]`.
    pub customer_id: &'a str,
    /// Sent as `payload[value]`.
    pub value: i64,
    /// At most 100 characters; unique over at least 24 hours.
    pub identifier: &'a str,
    /// Within the past 35 days, or up to 5 minutes ahead.
    pub timestamp: DateTime<Utc>,
}

/// A meter event as Stripe echoes it: the payload values come back as
/// strings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MeterEvent {
    pub event_name: String,
    pub identifier: String,
    #[serde(default)]
    pub payload: BTreeMap<String, String>,
    pub timestamp: i64,
    #[serde(default)]
    pub created: i64,
    #[serde(default)]
    pub livemode: bool,
}

/// What became of a meter event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MeterEventReceipt {
    /// Accepted now. Stripe processes meter events asynchronously: problems
    /// with the customer or value arrive later as
    /// `v1.billing.meter.error_report_triggered` events.
    Recorded(MeterEvent),
    /// Stripe already had an event with this identifier: the usage was
    /// reported before (a retried job), and counts once.
    AlreadyRecorded,
}

/// Stripe writes a related object as its id, or as the object when asked to
/// expand it.
fn id_or_object<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum IdOrObject {
        Id(String),
        Object { id: String },
    }
    Ok(match IdOrObject::deserialize(deserializer)? {
        IdOrObject::Id(id) | IdOrObject::Object { id } => id,
    })
}

/// A Stripe list (`{"object":"list","data":[…],"has_more":…}`), read as its
/// items.
fn list_data<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Vec<T>, D::Error> {
    #[derive(Deserialize)]
    struct List<T> {
        data: Vec<T>,
    }
    Ok(List::deserialize(deserializer)?.data)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reads_subscriptions_with_plain_or_expanded_references() {
        let subscription: Subscription = serde_json::from_value(json!({
            "id": "sub_1",
            "object": "subscription",
            "status": "active",
            "customer": { "id": "cus_1", "object": "customer" },
            "items": {
                "object": "list",
                "data": [
                    { "id": "si_1", "object": "subscription_item", "price": "price_flat", "quantity": 1 },
                    { "id": "si_2", "object": "subscription_item", "price": { "id": "price_minutes", "object": "price" } },
                ],
                "has_more": false,
            },
            "discounts": [],
        }))
        .expect("valid subscription");
        assert_eq!(subscription.customer, "cus_1");
        assert_eq!(
            subscription.items,
            vec![
                SubscriptionItem { id: "si_1".into(), price_id: "price_flat".into(), quantity: Some(1) },
                SubscriptionItem { id: "si_2".into(), price_id: "price_minutes".into(), quantity: None },
            ]
        );
        assert!(subscription.metadata.is_empty());
    }

    #[test]
    fn a_subscription_needs_an_id_status_and_customer() {
        let error = serde_json::from_value::<Subscription>(json!({ "id": "sub_1", "customer": "cus_1" }))
            .expect_err("no status");
        assert!(error.to_string().contains("missing field `status`"), "{error}");
    }
}
