use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_core::{StoreError, TenantId};
use frontdesk_jobs::NewJob;

use crate::model::{
    AccountChange, BillingAccount, CallModelUsage, CapDecision, DailyCost, Invoice, NewUsage, PlanChange,
    StoredInvoice, TenantBilling, UsageKind, UsageSum, UsageTotals,
};
use crate::period::BillingPeriod;

/// Metered usage. Also the port later features (the LLM adapters) report
/// their tokens through.
#[async_trait]
pub trait UsageStore: Send + Sync {
    /// Records `usage` once per tenant and `usage.key`, and enqueues `jobs` in
    /// the same transaction. `Ok(true)` when recorded now; `Ok(false)` (and
    /// no jobs) when the key was already recorded.
    async fn record_usage(&self, usage: &NewUsage, jobs: &[NewJob]) -> Result<bool, StoreError>;

    /// Sums of the tenant's usage in `period` (zero when there is none).
    async fn usage_totals(&self, tenant: &TenantId, period: BillingPeriod) -> Result<UsageTotals, StoreError>;

    /// What one call cost since `since` (its start) besides its own
    /// minutes, as `frontdesk_billing::usage_by_call` sums it: the tokens of
    /// every `llm_tokens` record whose key names the call as a whole
    /// segment (`llm:{purpose}:{call_sid}:{turn}:{n}`), the minutes of the
    /// `outbound_minutes` legs placed for it (`leg:{call_sid}:{leg}`), and
    /// whether its minutes were `forwarded_minutes` (`call:{call_sid}`).
    async fn call_model_usage(
        &self,
        tenant: &TenantId,
        call_sid: &str,
        since: DateTime<Utc>,
    ) -> Result<CallModelUsage, StoreError>;

    /// [`UsageStore::call_model_usage`] of many calls at once (a page of
    /// calls, the platform's calls of a period), with one `since` for all
    /// (the earliest call's start): each `(tenant, call_sid)` of `calls`
    /// with its own tenant's records. Calls without any are left out.
    /// Stores answer it in one read; this default asks call by call.
    async fn calls_model_usage(
        &self,
        calls: &[(TenantId, String)],
        since: DateTime<Utc>,
    ) -> Result<HashMap<(TenantId, String), CallModelUsage>, StoreError> {
        let mut usage = HashMap::new();
        for (tenant, call_sid) in calls {
            let used = self.call_model_usage(tenant, call_sid, since).await?;
            if used != CallModelUsage::default() {
                usage.insert((tenant.clone(), call_sid.clone()), used);
            }
        }
        Ok(usage)
    }

    /// [`UsageStore::usage_totals`] of every tenant with usage in `period`
    /// (a tenant's local month), in one read: the operator's pages. Tenants
    /// without usage in it are left out.
    async fn usage_totals_of_all_tenants(
        &self,
        period: BillingPeriod,
    ) -> Result<HashMap<TenantId, UsageTotals>, StoreError>;

    /// What every tenant's usage recorded at or after `since` cost, per
    /// tenant and UTC day (ordered by tenant, then day), in one read: the
    /// operators' cost-spike alert. Days without usage are left out.
    async fn daily_costs_of_all_tenants(&self, since: DateTime<Utc>) -> Result<Vec<DailyCost>, StoreError>;

    /// What every tenant's usage of `kind` recorded in `[from, to)` came to
    /// (Σ quantity, Σ estimated cost), by tenant, in one read: the
    /// operator's margins count every text this way (a text's record names
    /// the message, not a call). Tenants without any are left out.
    async fn usage_of_kind_of_all_tenants(
        &self,
        kind: UsageKind,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<HashMap<TenantId, UsageSum>, StoreError>;
}

/// Billing accounts, plan history, cap decisions, provider events and
/// invoices. Every method names its tenant and touches no other's rows.
#[async_trait]
pub trait BillingStore: Send + Sync {
    /// The tenant's account (all `None` if nothing was ever recorded).
    /// MUST return `NotFound` for an unknown tenant.
    async fn billing_account(&self, tenant: &TenantId) -> Result<BillingAccount, StoreError>;

    /// Sets the Stripe ids learned when the customer and subscription were
    /// created. `NotFound` for an unknown tenant.
    async fn set_stripe_ids(
        &self,
        tenant: &TenantId,
        customer_id: &str,
        subscription_id: Option<&str>,
    ) -> Result<(), StoreError>;

    /// Sets (`Some`) or removes (`None`) the operator's minute cap. Returns
    /// the previous one. `NotFound` for an unknown tenant.
    async fn set_minute_cap(&self, tenant: &TenantId, minutes: Option<i64>) -> Result<Option<i64>, StoreError>;

    /// The tenant whose Stripe customer this is.
    async fn tenant_by_stripe_customer(&self, customer_id: &str) -> Result<Option<TenantId>, StoreError>;

    /// Records that provider event `event_id` was handled, applies `change`
    /// to `tenant`'s account and enqueues `jobs` (the operators' alerts), in
    /// one transaction. `Ok(false)`, and nothing changed or enqueued, when
    /// the event was handled before.
    async fn apply_provider_event(
        &self,
        event_id: &str,
        event_type: &str,
        change: Option<(&TenantId, &AccountChange)>,
        received_at: DateTime<Utc>,
        jobs: &[NewJob],
    ) -> Result<bool, StoreError>;

    /// Every plan the tenant was put on, oldest first.
    async fn plan_changes(&self, tenant: &TenantId) -> Result<Vec<PlanChange>, StoreError>;

    /// Every tenant's account, plan history and cap decisions of `period`
    /// (a tenant's local month) in three reads whatever the number of
    /// tenants: the operator's pages. A tenant never given a plan has an
    /// empty history; one without decisions in `period`, an empty list.
    async fn billing_of_all_tenants(&self, period: BillingPeriod) -> Result<Vec<TenantBilling>, StoreError>;

    /// Records a cap decision and enqueues `jobs` (the owner's alert) in the
    /// same transaction, once per tenant, period, level and cap. `Ok(false)`
    /// when it was recorded before.
    async fn record_cap_decision(&self, decision: &CapDecision, jobs: &[NewJob]) -> Result<bool, StoreError>;

    /// The tenant's cap decisions in `period`, oldest first.
    async fn cap_decisions(&self, tenant: &TenantId, period: BillingPeriod) -> Result<Vec<CapDecision>, StoreError>;

    /// Stores `invoice` as the period's draft, replacing an earlier draft.
    /// A finalized invoice is never changed: it is returned as it is.
    async fn put_draft_invoice(
        &self,
        tenant: &TenantId,
        period: BillingPeriod,
        invoice: &Invoice,
        at: DateTime<Utc>,
    ) -> Result<StoredInvoice, StoreError>;

    /// Finalizes the period's draft. `NotFound` when there is no invoice;
    /// finalizing twice returns the finalized invoice unchanged.
    async fn finalize_invoice(
        &self,
        tenant: &TenantId,
        period: BillingPeriod,
        at: DateTime<Utc>,
    ) -> Result<StoredInvoice, StoreError>;

    /// The tenant's invoices, newest period first.
    async fn list_invoices(&self, tenant: &TenantId) -> Result<Vec<StoredInvoice>, StoreError>;
}

/// Why the payment provider did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// Rate limits, 5xx, 409 lock conflicts, network trouble: try again later.
    #[error("payment provider unavailable: {message}")]
    Retryable { message: String, retry_after: Option<std::time::Duration> },
    /// Refused for good (bad request, bad key, unknown customer): retrying
    /// the same request cannot help.
    #[error("payment provider refused the request: {0}")]
    Permanent(String),
}

/// A subscription as the provider reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderSubscription {
    pub id: String,
    pub status: String,
}

/// The payment provider (Stripe). Every call carries an idempotency key or
/// identifier chosen by the caller, so a retried job never charges twice.
#[async_trait]
pub trait PaymentProvider: Send + Sync {
    /// Creates the tenant's customer; returns the provider's customer id.
    async fn create_customer(
        &self,
        tenant: &TenantId,
        name: &str,
        idempotency_key: &str,
    ) -> Result<String, ProviderError>;

    /// Subscribes the customer to `plan` (its flat price and the metered
    /// prices).
    async fn create_subscription(
        &self,
        tenant: &TenantId,
        customer_id: &str,
        plan: frontdesk_core::Plan,
        idempotency_key: &str,
    ) -> Result<ProviderSubscription, ProviderError>;

    /// Moves the subscription to `plan`'s flat price (prorated; metered
    /// prices stay). Nothing changes when it is already on that price.
    async fn change_plan(
        &self,
        subscription_id: &str,
        plan: frontdesk_core::Plan,
        idempotency_key: &str,
    ) -> Result<ProviderSubscription, ProviderError>;

    /// Reports metered usage. `identifier` is our usage record id: reporting
    /// the same record twice counts once.
    async fn report_usage(
        &self,
        customer_id: &str,
        kind: crate::UsageKind,
        quantity: i64,
        identifier: &str,
        at: DateTime<Utc>,
    ) -> Result<(), ProviderError>;
}
