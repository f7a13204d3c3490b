use std::sync::Arc;

use frontdesk_core::Clock;
pub use frontdesk_ports::Backend;
use frontdesk_store_postgres::PostgresStore;
use frontdesk_store_sqlite::SqliteStore;
use secrecy::ExposeSecret;

use crate::settings::DatabaseUrl;

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
