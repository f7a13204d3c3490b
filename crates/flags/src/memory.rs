//! `MemoryFlagStore`: plans and overrides in memory, for tests and for
//! integrators who embed the flags without a database.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_core::{Plan, StoreError, TenantId};
use frontdesk_jobs::NewJob;

use crate::flag::{Flag, TenantFlagSettings};
use crate::ports::FlagStore;

/// A `FlagStore` in memory. It counts reads, so a test can tell a cache hit
/// from a store read, and keeps the jobs plan changes enqueued (there is no
/// queue to run them). Plan history is not kept.
#[derive(Default)]
pub struct MemoryFlagStore {
    tenants: tokio::sync::Mutex<HashMap<TenantId, TenantFlagSettings>>,
    enqueued: tokio::sync::Mutex<Vec<NewJob>>,
    reads: AtomicUsize,
}

impl MemoryFlagStore {
    /// Adds (or resets) a tenant on `plan` without overrides.
    pub async fn add(&self, tenant: &TenantId, plan: Plan) {
        self.tenants.lock().await.insert(tenant.clone(), TenantFlagSettings::on_plan(plan));
    }

    /// How many times `flag_settings` was called.
    pub fn reads(&self) -> usize {
        self.reads.load(Ordering::SeqCst)
    }

    /// The jobs plan changes enqueued, oldest first.
    pub async fn enqueued_jobs(&self) -> Vec<NewJob> {
        self.enqueued.lock().await.clone()
    }
}

#[async_trait]
impl FlagStore for MemoryFlagStore {
    async fn flag_settings(&self, tenant: &TenantId) -> Result<Option<TenantFlagSettings>, StoreError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        Ok(self.tenants.lock().await.get(tenant).cloned())
    }

    async fn set_plan(
        &self,
        tenant: &TenantId,
        plan: Plan,
        _at: DateTime<Utc>,
        jobs: &[NewJob],
    ) -> Result<Plan, StoreError> {
        let mut tenants = self.tenants.lock().await;
        let settings = tenants.get_mut(tenant).ok_or_else(|| StoreError::NotFound(tenant.clone()))?;
        // Under the tenants lock, so the plan and its jobs change together.
        self.enqueued.lock().await.extend_from_slice(jobs);
        Ok(std::mem::replace(&mut settings.plan, plan))
    }

    async fn set_flag_override(
        &self,
        tenant: &TenantId,
        flag: Flag,
        value: Option<bool>,
        _at: DateTime<Utc>,
    ) -> Result<Option<bool>, StoreError> {
        let mut tenants = self.tenants.lock().await;
        let settings = tenants.get_mut(tenant).ok_or_else(|| StoreError::NotFound(tenant.clone()))?;
        Ok(match value {
            Some(enabled) => settings.overrides.insert(flag, enabled),
            None => settings.overrides.remove(&flag),
        })
    }
}
