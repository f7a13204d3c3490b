use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_core::{Plan, StoreError, TenantId};
use frontdesk_jobs::NewJob;

use crate::flag::{Flag, TenantFlagSettings};

/// Where plans and overrides are kept (the tenant's database rows).
#[async_trait]
pub trait FlagStore: Send + Sync {
    /// `Ok(None)` when the tenant does not exist. A tenant never given a plan
    /// is on `Plan::DEFAULT`.
    async fn flag_settings(&self, tenant: &TenantId) -> Result<Option<TenantFlagSettings>, StoreError>;

    /// Puts the tenant on `plan` from `at` on, records the change in its
    /// plan history (billing prorates from it) and enqueues `jobs` (what the
    /// change causes, e.g. the provider's subscription update), all in one
    /// transaction. Returns the previous plan.
    ///
    /// MUST return `NotFound` for an unknown tenant, and on any error leave
    /// the plan, its history and the job queue as they were.
    async fn set_plan(
        &self,
        tenant: &TenantId,
        plan: Plan,
        at: DateTime<Utc>,
        jobs: &[NewJob],
    ) -> Result<Plan, StoreError>;

    /// `Some(value)` sets the tenant's override, `None` removes it. Returns
    /// the previous override. MUST return `NotFound` for an unknown tenant.
    async fn set_flag_override(
        &self,
        tenant: &TenantId,
        flag: Flag,
        value: Option<bool>,
        at: DateTime<Utc>,
    ) -> Result<Option<bool>, StoreError>;
}

#[derive(Debug, thiserror::Error)]
#[error("flag cache unavailable: {0}")]
pub struct CacheError(pub String);

/// A cache of `TenantFlagSettings` in front of the store, shared by every
/// gateway process when it is Redis.
#[async_trait]
pub trait FlagCache: Send + Sync {
    async fn get(&self, tenant: &TenantId) -> Result<Option<TenantFlagSettings>, CacheError>;

    async fn put(&self, tenant: &TenantId, settings: &TenantFlagSettings) -> Result<(), CacheError>;

    /// Forgets the tenant's entry here and in every other process sharing
    /// this cache, at once (not after a TTL).
    async fn invalidate(&self, tenant: &TenantId) -> Result<(), CacheError>;

    /// The tenants invalidated by any process sharing this cache (this one
    /// included), as the invalidations arrive, for other per-process caches
    /// of tenant data to follow. `None` for a cache that no other process
    /// shares (this process's own changes are then all there is to follow).
    fn invalidations(&self) -> Option<tokio::sync::broadcast::Receiver<TenantId>> {
        None
    }
}
