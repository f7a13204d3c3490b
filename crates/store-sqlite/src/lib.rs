//! SQLite adapters for Frontdesk's store ports: the embedded default.
//!
//! One file (default `data/frontdesk.db`), created if missing, in WAL mode
//! with a busy timeout, migrated at startup from `migrations/sqlite/`. Writes
//! that must not interleave run in `BEGIN IMMEDIATE` transactions, so SQLite
//! takes the write lock up front instead of failing at the first write.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use frontdesk_core::{Clock, NotReady, Readiness};
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

mod audit;
mod billing;
mod bookings;
mod callbacks;
mod calls;
mod digests;
mod direct;
mod flags;
mod inventory;
mod jobs;
mod knowledge;
mod messages;
mod provisioning;
mod tenants;
mod transfers;
mod web_auth;

static MIGRATOR: Migrator = sqlx::migrate!("../../migrations/sqlite");

/// How long a writer waits for another to finish before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Every store port, backed by one SQLite database.
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// The call and booking ports' connection, used on the calling thread.
    direct: Arc<direct::DirectConnection>,
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

fn unexpected(context: &'static str) -> impl FnOnce(sqlx::Error) -> anyhow::Error {
    move |error| anyhow::Error::new(error).context(context)
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `url`
    /// (`sqlite://data/frontdesk.db`, `sqlite:relative.db`,
    /// `sqlite:///absolute/path.db`) and applies pending migrations.
    pub async fn open(url: &str, clock: Arc<dyn Clock>) -> anyhow::Result<SqliteStore> {
        SqliteStore::open_sized(url, clock, SqliteStore::DEFAULT_MAX_CONNECTIONS).await
    }

    /// Connections a store keeps unless told otherwise. SQLite has one
    /// writer at a time; a few readers beside it are all that helps.
    pub const DEFAULT_MAX_CONNECTIONS: u32 = 8;

    /// [`SqliteStore::open`] with a pool of at most `max_connections`.
    pub async fn open_sized(url: &str, clock: Arc<dyn Clock>, max_connections: u32) -> anyhow::Result<SqliteStore> {
        let options = SqliteConnectOptions::from_str(url)
            .with_context(|| format!("invalid SQLite URL {url:?}"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let file = options.get_filename().to_path_buf();
        if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create the database directory {}", parent.display()))?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections.max(1))
            // A file on this machine does not drop connections; the default
            // ping before every acquire is a round trip to the connection's
            // thread on every query.
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .with_context(|| format!("cannot open SQLite database {}", file.display()))?;
        MIGRATOR.run(&pool).await.context("applying SQLite migrations")?;
        let direct = Arc::new(direct::DirectConnection::open(&file, BUSY_TIMEOUT)?);
        checkpoint_periodically(&pool);
        Ok(SqliteStore { pool, direct, clock })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

/// How often the write-ahead log is copied into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// Copies the write-ahead log into the database every [`CHECKPOINT_EVERY`]
/// through the pool (whose connections run on threads of their own), in
/// `PASSIVE` mode: it never waits for, nor blocks, a writer. The direct
/// connection never checkpoints on a request's thread. Stops when the
/// pool is closed or dropped.
fn checkpoint_periodically(pool: &SqlitePool) {
    let pool = pool.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(CHECKPOINT_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            if pool.is_closed() {
                return;
            }
            if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
                tracing::warn!(%error, "could not checkpoint the SQLite log");
            }
        }
    });
}

#[async_trait]
impl Readiness for SqliteStore {
    fn component(&self) -> &'static str {
        "database"
    }

    async fn check_ready(&self) -> Result<(), NotReady> {
        let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success = 1")
            .fetch_all(&self.pool)
            .await
            .map_err(|e| NotReady(format!("SQLite database unreachable: {e}")))?;
        match MIGRATOR.iter().find(|m| !applied.contains(&m.version)) {
            Some(missing) => {
                Err(NotReady(format!("migration {} ({}) is not applied", missing.version, missing.description)))
            }
            None => Ok(()),
        }
    }
}
