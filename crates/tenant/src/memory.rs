//! `MemoryTenantStore`: tenants in memory, for tests and for integrators who
//! embed the domain without a database. Purging forgets the tenant only:
//! other domains' rows live in their own stores.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_core::{E164, StoreError, TenantId};

use crate::profile::TenantProfile;
use crate::store::{PurgeOutcome, PutOutcome, PutTenantError, TenantKind, TenantRecord, TenantStatus, TenantStore};

/// A `TenantStore` in memory. Every record carries the same fixed time, so
/// tests compare records without a clock.
#[derive(Default)]
pub struct MemoryTenantStore {
    tenants: Mutex<BTreeMap<TenantId, TenantRecord>>,
}

impl MemoryTenantStore {
    fn tenants(&self) -> std::sync::MutexGuard<'_, BTreeMap<TenantId, TenantRecord>> {
        self.tenants.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self, profile: &TenantProfile, create: Option<TenantKind>) -> Result<PutOutcome, PutTenantError> {
        let mut tenants = self.tenants();
        let slug = profile.slug();
        let taken: Vec<E164> = profile
            .phone_numbers()
            .iter()
            .filter(|number| {
                tenants.values().any(|r| r.profile.slug() != slug && r.profile.phone_numbers().contains(number))
            })
            .cloned()
            .collect();
        if !taken.is_empty() {
            return Err(PutTenantError::PhoneNumbersTaken(taken));
        }
        match (tenants.get_mut(slug), create) {
            (Some(_), Some(_)) => Err(PutTenantError::Exists(slug.clone())),
            (Some(existing), None) => {
                existing.profile = profile.clone();
                Ok(PutOutcome::Replaced)
            }
            (None, kind) => {
                let at = DateTime::<Utc>::UNIX_EPOCH;
                let kind = kind.unwrap_or(TenantKind::Live);
                let record = TenantRecord {
                    profile: profile.clone(),
                    status: TenantStatus::Active,
                    kind,
                    created_at: at,
                    updated_at: at,
                };
                tenants.insert(slug.clone(), record);
                Ok(PutOutcome::Created)
            }
        }
    }
}

#[async_trait]
impl TenantStore for MemoryTenantStore {
    async fn put_tenant(&self, profile: &TenantProfile) -> Result<PutOutcome, PutTenantError> {
        self.write(profile, None)
    }

    async fn get_tenant(&self, tenant: &TenantId) -> Result<Option<TenantRecord>, StoreError> {
        Ok(self.tenants().get(tenant).cloned())
    }

    async fn list_tenants(&self) -> Result<Vec<TenantRecord>, StoreError> {
        Ok(self.tenants().values().cloned().collect())
    }

    async fn set_tenant_status(&self, tenant: &TenantId, status: TenantStatus) -> Result<TenantRecord, StoreError> {
        let mut tenants = self.tenants();
        let record = tenants.get_mut(tenant).ok_or_else(|| StoreError::NotFound(tenant.clone()))?;
        record.status = status;
        Ok(record.clone())
    }

    async fn tenant_by_number(&self, number: &E164) -> Result<Option<TenantRecord>, StoreError> {
        Ok(self.tenants().values().find(|r| r.profile.phone_numbers().contains(number)).cloned())
    }

    async fn numbers_owned_elsewhere(&self, tenant: &TenantId, numbers: &[E164]) -> Result<Vec<E164>, StoreError> {
        let tenants = self.tenants();
        Ok(numbers
            .iter()
            .filter(|number| {
                tenants.values().any(|r| r.profile.slug() != tenant && r.profile.phone_numbers().contains(number))
            })
            .cloned()
            .collect())
    }

    async fn create_sandbox(&self, profile: &TenantProfile) -> Result<(), PutTenantError> {
        self.write(profile, Some(TenantKind::Sandbox)).map(|_| ())
    }

    async fn purge_sandbox(&self, tenant: &TenantId) -> Result<PurgeOutcome, StoreError> {
        let mut tenants = self.tenants();
        match tenants.get(tenant).map(|r| r.kind) {
            None => Err(StoreError::NotFound(tenant.clone())),
            Some(TenantKind::Live) => Ok(PurgeOutcome::Live),
            Some(TenantKind::Sandbox) => {
                tenants.remove(tenant);
                Ok(PurgeOutcome::Purged)
            }
        }
    }
}
