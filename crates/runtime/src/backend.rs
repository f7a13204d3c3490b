use std::sync::Arc;

use frontdesk_audit::AuditLog;
use frontdesk_billing::{BillingStore, UsageStore};
use frontdesk_calendar::BookingStore;
use frontdesk_core::{Clock, Readiness};
use frontdesk_flags::FlagStore;
use frontdesk_inventory::{CredentialStore, StockLevelStore, SyncStateStore};
use frontdesk_jobs::{JobAdmin, JobEffects, JobLeases, JobQueue, JobSchedules};
use frontdesk_routing::{CallStore, MessageLog};
use frontdesk_store_postgres::PostgresStore;
use frontdesk_store_sqlite::SqliteStore;
use frontdesk_tenant::TenantStore;
use secrecy::ExposeSecret;

use crate::settings::DatabaseUrl;

/// Every store port, implemented by the one backend the settings chose.
#[derive(Clone)]
pub struct Backend {
    pub name: &'static str,
    pub tenants: Arc<dyn TenantStore>,
    pub bookings: Arc<dyn BookingStore>,
    pub calls: Arc<dyn CallStore>,
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
    pub readiness: Arc<dyn Readiness>,
}

impl Backend {
    /// Every port from one store that implements them all.
    pub fn from_store<S>(name: &'static str, store: Arc<S>) -> Backend
    where
        S: TenantStore
            + BookingStore
            + CallStore
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
            + Readiness
            + 'static,
    {
        Backend {
            name,
            tenants: store.clone(),
            bookings: store.clone(),
            calls: store.clone(),
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
            readiness: store,
        }
    }
}

/// Opens (and migrates) the database named by `FRONTDESK_DATABASE_URL`,
/// with a pool of at most `max_connections` (`FRONTDESK_DATABASE_MAX_CONNECTIONS`;
/// `None`: the backend's default, 8 on SQLite, 16 on PostgreSQL).
pub async fn open_backend(
    database: &DatabaseUrl,
    max_connections: Option<u32>,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<Backend> {
    Ok(match database {
        DatabaseUrl::Sqlite(url) => {
            let max = max_connections.unwrap_or(SqliteStore::DEFAULT_MAX_CONNECTIONS);
            Backend::from_store("sqlite", Arc::new(SqliteStore::open_sized(url, clock, max).await?))
        }
        DatabaseUrl::Postgres(url) => {
            let max = max_connections.unwrap_or(PostgresStore::DEFAULT_MAX_CONNECTIONS);
            Backend::from_store(
                "postgres",
                Arc::new(PostgresStore::connect_sized(url.expose_secret(), clock, max).await?),
            )
        }
    })
}
