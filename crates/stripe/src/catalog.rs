//! Which Stripe prices and meters Frontdesk's plans and usage map to. The
//! prices and meters are created in the Stripe dashboard (or by a setup
//! script); their ids come from configuration.

use std::collections::{BTreeMap, BTreeSet};

use frontdesk_billing::UsageKind;
use frontdesk_core::Plan;

/// Prices for subscriptions and meter event names for usage.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StripeCatalog {
    /// Each plan's flat monthly price (`price_…`). A plan without one cannot
    /// be subscribed to.
    pub plan_prices: BTreeMap<Plan, String>,
    /// Metered prices added to every subscription, after the flat price
    /// (e.g. extra call minutes, SMS segments). Each references a meter.
    pub metered_prices: Vec<String>,
    /// The Billing Meter `event_name` each kind of usage is reported under.
    /// Kinds without one are not reported to Stripe.
    pub meter_events: BTreeMap<UsageKind, String>,
}

impl StripeCatalog {
    /// The prices of a subscription to `plan`: its flat price, then the
    /// metered prices. `None` when the plan has no price.
    pub fn subscription_prices(&self, plan: Plan) -> Option<Vec<&str>> {
        let flat = self.plan_prices.get(&plan)?;
        Some(std::iter::once(flat.as_str()).chain(self.metered_prices.iter().map(String::as_str)).collect())
    }

    /// The meter event name usage of `kind` is reported under.
    pub fn meter_event_name(&self, kind: UsageKind) -> Option<&str> {
        self.meter_events.get(&kind).map(String::as_str)
    }

    /// Ids and names Stripe would refuse, described for a startup error.
    pub(crate) fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for (plan, price) in &self.plan_prices {
            if !is_plain_id(price) {
                problems.push(format!("the price for plan {plan} ({price:?}) is not a Stripe id"));
            }
        }
        let mut seen = BTreeSet::new();
        for price in &self.metered_prices {
            if !is_plain_id(price) {
                problems.push(format!("the metered price {price:?} is not a Stripe id"));
            } else if !seen.insert(price.as_str()) {
                problems.push(format!("the metered price {price} is listed twice"));
            } else if self.plan_prices.values().any(|flat| flat == price) {
                // A subscription cannot have the same price on two items.
                problems.push(format!("the metered price {price} is also a plan's flat price"));
            }
        }
        for (kind, event_name) in &self.meter_events {
            if event_name.trim().is_empty() || event_name.len() > 100 {
                problems.push(format!(
                    "the meter event name for {} ({event_name:?}) must be 1 to 100 characters",
                    kind.as_str()
                ));
            }
        }
        problems
    }
}

/// Stripe ids are `prefix_` and letters or digits; anything else is a
/// configuration mistake (a name pasted instead of an id, a stray space).
fn is_plain_id(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> StripeCatalog {
        StripeCatalog {
            plan_prices: BTreeMap::from([(Plan::Starter, "price_starter".into()), (Plan::Pro, "price_pro".into())]),
            metered_prices: vec!["price_minutes".into(), "price_sms".into()],
            meter_events: BTreeMap::from([(UsageKind::CallMinutes, "frontdesk_call_minutes".into())]),
        }
    }

    #[test]
    fn subscriptions_get_the_flat_price_then_the_metered_ones() {
        assert_eq!(catalog().subscription_prices(Plan::Pro), Some(vec!["price_pro", "price_minutes", "price_sms"]));
        assert_eq!(catalog().subscription_prices(Plan::Enterprise), None);
        assert_eq!(catalog().meter_event_name(UsageKind::CallMinutes), Some("frontdesk_call_minutes"));
        assert_eq!(catalog().meter_event_name(UsageKind::LlmTokens), None);
        assert!(catalog().problems().is_empty());
    }

    #[test]
    fn describes_configuration_mistakes() {
        let mut catalog = catalog();
        catalog.plan_prices.insert(Plan::Core, "Core monthly".into());
        catalog.metered_prices.extend(["price_sms".into(), "price_pro".into(), String::new()]);
        catalog.meter_events.insert(UsageKind::SmsSegments, " ".into());
        assert_eq!(
            catalog.problems(),
            vec![
                "the price for plan core (\"Core monthly\") is not a Stripe id",
                "the metered price price_sms is listed twice",
                "the metered price price_pro is also a plan's flat price",
                "the metered price \"\" is not a Stripe id",
                "the meter event name for sms_segments (\" \") must be 1 to 100 characters",
            ]
        );
    }
}
