//! PostgreSQL adapters for Frontdesk's store ports: the production backend.
//!
//! Migrated at startup from `migrations/postgres/`. Invariants that matter
//! under concurrency (a phone number has one owner) are enforced by
//! constraints, so two gateways racing each other cannot both win.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use frontdesk_core::{Clock, NotReady, Readiness};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

mod audit;
mod billing;
mod bookings;
mod callbacks;
mod calls;
mod digests;
mod flags;
mod inventory;
mod jobs;
mod knowledge;
mod lean;
mod messages;
mod provisioning;
mod tenants;
mod transfers;
mod web_auth;

static MIGRATOR: Migrator = sqlx::migrate!("../../migrations/postgres");

/// Every store port, backed by one PostgreSQL database.
#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
    /// The phone path's connections (see [`lean`]).
    lean: Arc<lean::LeanConnections>,
    clock: Arc<dyn Clock>,
}

/// A failed query as the domain's `StoreError` (what every store port but
/// calls, bookings and jobs returns).
pub(crate) fn store_error(context: &'static str) -> impl FnOnce(sqlx::Error) -> frontdesk_core::StoreError {
    move |error| frontdesk_core::StoreError::Unexpected(unexpected(context)(error))
}

/// A failed write of a tenant-owned row: a foreign key violation means the
/// tenant does not exist; anything else is unexpected.
pub(crate) fn tenant_row_error(
    tenant: &frontdesk_core::TenantId,
    context: &'static str,
) -> impl FnOnce(sqlx::Error) -> frontdesk_core::StoreError {
    move |error| match &error {
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
            frontdesk_core::StoreError::NotFound(tenant.clone())
        }
        _ => store_error(context)(error),
    }
}

/// How long a statement waits for a free connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a pooled connection may sit unused before it is pinged on its
/// way out of the pool.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(10);

fn unexpected(context: &'static str) -> impl FnOnce(sqlx::Error) -> anyhow::Error {
    move |error| anyhow::Error::new(error).context(context)
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user@host:5432/db`) and applies pending
    /// migrations.
    pub async fn connect(url: &str, clock: Arc<dyn Clock>) -> anyhow::Result<PostgresStore> {
        PostgresStore::connect_sized(url, clock, PostgresStore::DEFAULT_MAX_CONNECTIONS).await
    }

    /// Connections a process keeps unless told otherwise. Every gateway and
    /// worker process has its own pool, and the server's `max_connections`
    /// (100 by default) is shared by all of them.
    pub const DEFAULT_MAX_CONNECTIONS: u32 = 16;

    /// The phone path's own connections beside a pool of `max_connections`:
    /// half as many again (at least 2), opened only when calls come in.
    fn lean_connections(max_connections: u32) -> usize {
        (max_connections as usize / 2).max(2)
    }

    /// [`PostgresStore::connect`] with a pool of at most `max_connections`.
    pub async fn connect_sized(
        url: &str,
        clock: Arc<dyn Clock>,
        max_connections: u32,
    ) -> anyhow::Result<PostgresStore> {
        let options = PgConnectOptions::from_str(url).context("invalid PostgreSQL URL")?;
        PostgresStore::connect_with(options, clock, max_connections).await
    }

    pub async fn connect_with(
        options: PgConnectOptions,
        clock: Arc<dyn Clock>,
        max_connections: u32,
    ) -> anyhow::Result<PostgresStore> {
        let database = options.get_database().unwrap_or("(default)").to_owned();
        let lean = Arc::new(lean::LeanConnections::new(
            options.clone(),
            PostgresStore::lean_connections(max_connections),
            ACQUIRE_TIMEOUT,
        ));
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(ACQUIRE_TIMEOUT)
            // sqlx pings every connection it hands out by default: a second
            // round trip for each statement, most of a phone turn's cost.
            // Only a connection left idle a while is checked (a restarted
            // server or a dropped socket shows there); a busy one is in use.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= IDLE_BEFORE_PING {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            })
            .connect_with(options)
            .await
            .with_context(|| format!("cannot connect to PostgreSQL database {database}"))?;
        MIGRATOR.run(&pool).await.context("applying PostgreSQL migrations")?;
        Ok(PostgresStore { pool, lean, clock })
    }

    /// Creates an empty database `name` on the server `server_url` points at
    /// (its role needs CREATEDB) and returns the URL of the new database.
    /// For dedicated per-tenant databases, tests and benchmarks.
    pub async fn create_database(server_url: &str, name: &str) -> anyhow::Result<String> {
        use sqlx::ConnectOptions;
        let valid = !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        anyhow::ensure!(valid, "database name {name:?} must be lowercase letters, digits and underscores");
        let options = PgConnectOptions::from_str(server_url).context("invalid PostgreSQL URL")?;
        let mut admin = options.connect().await.context("connecting to create a database")?;
        // `name` was checked above; identifiers cannot be bound as parameters.
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .with_context(|| format!("CREATE DATABASE {name}"))?;
        let (base, _) = server_url.split_once('?').map_or((server_url, ""), |(b, q)| (b, q));
        let server = base.rsplit_once('/').map_or(base, |(server, _)| server);
        Ok(format!("{server}/{name}"))
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

#[async_trait]
impl Readiness for PostgresStore {
    fn component(&self) -> &'static str {
        "database"
    }

    async fn check_ready(&self) -> Result<(), NotReady> {
        let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(&self.pool)
            .await
            .map_err(|e| NotReady(format!("PostgreSQL unreachable: {e}")))?;
        match MIGRATOR.iter().find(|m| !applied.contains(&m.version)) {
            Some(missing) => {
                Err(NotReady(format!("migration {} ({}) is not applied", missing.version, missing.description)))
            }
            None => Ok(()),
        }
    }
}
