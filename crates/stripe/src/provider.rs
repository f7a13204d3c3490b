//! [`StripeClient`] behind Frontdesk's [`PaymentProvider`] port.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_billing::{PaymentProvider, ProviderError, ProviderSubscription, UsageKind};
use frontdesk_core::{Plan, TenantId};

use crate::client::StripeClient;
use crate::objects::{MeterEventReceipt, NewMeterEvent};

#[async_trait]
impl PaymentProvider for StripeClient {
    async fn create_customer(
        &self,
        tenant: &TenantId,
        name: &str,
        idempotency_key: &str,
    ) -> Result<String, ProviderError> {
        let customer = StripeClient::create_customer(self, tenant, name, idempotency_key).await?;
        Ok(customer.id)
    }

    async fn create_subscription(
        &self,
        tenant: &TenantId,
        customer_id: &str,
        plan: Plan,
        idempotency_key: &str,
    ) -> Result<ProviderSubscription, ProviderError> {
        let subscription = StripeClient::create_subscription(self, tenant, customer_id, plan, idempotency_key).await?;
        Ok(ProviderSubscription { id: subscription.id, status: subscription.status })
    }

    async fn change_plan(
        &self,
        subscription_id: &str,
        plan: Plan,
        idempotency_key: &str,
    ) -> Result<ProviderSubscription, ProviderError> {
        let subscription = StripeClient::change_plan(self, subscription_id, plan, idempotency_key).await?;
        Ok(ProviderSubscription { id: subscription.id, status: subscription.status })
    }

    #[tracing::instrument(skip_all, fields(customer_id = %customer_id, kind = kind.as_str(), identifier = %identifier))]
    async fn report_usage(
        &self,
        customer_id: &str,
        kind: UsageKind,
        quantity: i64,
        identifier: &str,
        at: DateTime<Utc>,
    ) -> Result<(), ProviderError> {
        let Some(event_name) = self.catalog().meter_event_name(kind) else {
            tracing::debug!("no Stripe meter for this kind of usage; not reported");
            return Ok(());
        };
        let event = NewMeterEvent { event_name, customer_id, value: quantity, identifier, timestamp: at };
        match self.create_meter_event(&event, &meter_event_idempotency_key(identifier)).await? {
            MeterEventReceipt::Recorded(_) | MeterEventReceipt::AlreadyRecorded => Ok(()),
        }
    }
}

/// The identifier deduplicates the usage for a day; the idempotency key
/// makes a retry after a lost reply get the first reply back. Prefixed so
/// it cannot collide with the keys callers choose for other requests.
pub fn meter_event_idempotency_key(identifier: &str) -> String {
    format!("meter-event:{identifier}")
}
