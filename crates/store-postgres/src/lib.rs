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

mod bookings;
mod jobs;
mod tenants;

static MIGRATOR: Migrator = sqlx::migrate!("../../migrations/postgres");

/// Every store port, backed by one PostgreSQL database.
#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
    clock: Arc<dyn Clock>,
}

fn unexpected(context: &'static str) -> impl FnOnce(sqlx::Error) -> anyhow::Error {
    move |error| anyhow::Error::new(error).context(context)
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user@host:5432/db`) and applies pending
    /// migrations.
    pub async fn connect(url: &str, clock: Arc<dyn Clock>) -> anyhow::Result<PostgresStore> {
        let options = PgConnectOptions::from_str(url).context("invalid PostgreSQL URL")?;
        PostgresStore::connect_with(options, clock).await
    }

    pub async fn connect_with(options: PgConnectOptions, clock: Arc<dyn Clock>) -> anyhow::Result<PostgresStore> {
        let database = options.get_database().unwrap_or("(default)").to_owned();
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await
            .with_context(|| format!("cannot connect to PostgreSQL database {database}"))?;
        MIGRATOR.run(&pool).await.context("applying PostgreSQL migrations")?;
        Ok(PostgresStore { pool, clock })
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
