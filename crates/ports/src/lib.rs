//! Every store port of the domain crates, held once: [`Backend`] is what an
//! app gets from the store its settings chose (through `frontdesk-runtime`),
//! and what the store contract suite runs its cases against. [`StoreAdapter`]
//! is the bound a store that implements every port meets, so a new port is
//! added here, in one place, and both follow.
//!
//! No IO and no adapter here: only the domain crates' traits.

use std::sync::Arc;

use frontdesk_audit::AuditLog;
use frontdesk_auth::web::WebAuthStore;
use frontdesk_billing::{BillingStore, UsageStore};
use frontdesk_calendar::BookingStore;
use frontdesk_core::Readiness;
use frontdesk_flags::FlagStore;
use frontdesk_inventory::{CredentialStore, StockLevelStore, SyncStateStore};
use frontdesk_jobs::{JobAdmin, JobEffects, JobLeases, JobQueue, JobSchedules};
use frontdesk_messaging::MessageLog;
use frontdesk_notify::DigestLog;
use frontdesk_provisioning::ProvisioningStore;
use frontdesk_rag::KnowledgeStore;
use frontdesk_routing::{CallStore, CallbackStore};
use frontdesk_tenant::TenantStore;

/// A store that implements every port (SQLite, PostgreSQL).
pub trait StoreAdapter:
    TenantStore
    + BookingStore
    + CallStore
    + CallbackStore
    + MessageLog
    + JobQueue
    + JobLeases
    + JobAdmin
    + JobEffects
    + JobSchedules
    + FlagStore
    + UsageStore
    + BillingStore
    + AuditLog
    + SyncStateStore
    + CredentialStore
    + StockLevelStore
    + KnowledgeStore
    + WebAuthStore
    + DigestLog
    + ProvisioningStore
    + Readiness
    + 'static
{
}

impl<S> StoreAdapter for S where
    S: TenantStore
        + BookingStore
        + CallStore
        + CallbackStore
        + MessageLog
        + JobQueue
        + JobLeases
        + JobAdmin
        + JobEffects
        + JobSchedules
        + FlagStore
        + UsageStore
        + BillingStore
        + AuditLog
        + SyncStateStore
        + CredentialStore
        + StockLevelStore
        + KnowledgeStore
        + WebAuthStore
        + DigestLog
        + ProvisioningStore
        + Readiness
        + 'static
{
}

/// Every store port, implemented by one store.
#[derive(Clone)]
pub struct Backend {
    /// `sqlite` or `postgres`: for logs and readiness reports.
    pub name: &'static str,
    pub tenants: Arc<dyn TenantStore>,
    pub bookings: Arc<dyn BookingStore>,
    pub calls: Arc<dyn CallStore>,
    pub callbacks: Arc<dyn CallbackStore>,
    pub messages: Arc<dyn MessageLog>,
    pub jobs: Arc<dyn JobQueue>,
    pub leases: Arc<dyn JobLeases>,
    pub job_admin: Arc<dyn JobAdmin>,
    pub effects: Arc<dyn JobEffects>,
    pub schedules: Arc<dyn JobSchedules>,
    pub flags: Arc<dyn FlagStore>,
    pub usage: Arc<dyn UsageStore>,
    pub billing: Arc<dyn BillingStore>,
    pub audit: Arc<dyn AuditLog>,
    pub sync_state: Arc<dyn SyncStateStore>,
    pub credentials: Arc<dyn CredentialStore>,
    pub stock_levels: Arc<dyn StockLevelStore>,
    pub knowledge: Arc<dyn KnowledgeStore>,
    pub web_auth: Arc<dyn WebAuthStore>,
    pub digests: Arc<dyn DigestLog>,
    pub provisioning: Arc<dyn ProvisioningStore>,
    pub readiness: Arc<dyn Readiness>,
}

impl Backend {
    /// Every port from one store that implements them all.
    pub fn from_store<S: StoreAdapter>(name: &'static str, store: Arc<S>) -> Backend {
        Backend {
            name,
            tenants: store.clone(),
            bookings: store.clone(),
            calls: store.clone(),
            callbacks: store.clone(),
            messages: store.clone(),
            jobs: store.clone(),
            leases: store.clone(),
            job_admin: store.clone(),
            effects: store.clone(),
            schedules: store.clone(),
            flags: store.clone(),
            usage: store.clone(),
            billing: store.clone(),
            audit: store.clone(),
            sync_state: store.clone(),
            credentials: store.clone(),
            stock_levels: store.clone(),
            knowledge: store.clone(),
            web_auth: store.clone(),
            digests: store.clone(),
            provisioning: store.clone(),
            readiness: store,
        }
    }
}
