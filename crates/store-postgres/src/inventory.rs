//! `SyncStateStore` and `CredentialStore` on PostgreSQL: one row per sync key in
//! `inventory_sync_state` and `inventory_credentials`. Every save is a single
//! upsert, so it lands whole or not at all and concurrent saves of one key
//! leave one of them, never a mix.
//!
//! `last_sync` and `sales_since` are read back as unix milliseconds computed by the server, not
//! decoded as a timestamp: the driver panics on times chrono cannot hold,
//! which a hand-edited row may contain, and those must read as `Corrupt`.
//! Milliseconds are also what the SQLite adapter keeps.
//!
//! `StockLevelStore`: one row per sync key, product and outlet in
//! `inventory_stock_levels`. A first sync of a big shop records some 200,000
//! levels at once, so they go in as upserts of whole arrays (`UNNEST`) in
//! one transaction, and reads pass the product ids as one array.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_inventory::{
    CredentialStore, StateStoreError, StockLevel, StockLevelStore, SyncKey, SyncState, SyncStateStore,
};
use secrecy::{ExposeSecret, SecretString};

use crate::PostgresStore;

fn unavailable(context: &'static str) -> impl FnOnce(sqlx::Error) -> StateStoreError {
    move |error| StateStoreError::Unavailable(format!("{:#}", crate::unexpected(context)(error)))
}

#[derive(sqlx::FromRow)]
struct SyncStateRow {
    products_cursor: i64,
    inventory_cursor: i64,
    sales_cursor: i64,
    /// Unix milliseconds.
    last_sync: Option<i64>,
    /// Unix milliseconds.
    sales_since: Option<i64>,
}

impl SyncStateRow {
    fn into_state(self, key: &SyncKey) -> Result<SyncState, StateStoreError> {
        SyncState::from_stored(
            key,
            [self.products_cursor, self.inventory_cursor, self.sales_cursor],
            [self.last_sync, self.sales_since],
        )
    }
}

#[async_trait]
impl SyncStateStore for PostgresStore {
    #[tracing::instrument(level = "debug", skip_all, fields(sync_key = %key))]
    async fn load_sync_state(&self, key: &SyncKey) -> Result<SyncState, StateStoreError> {
        let row: Option<SyncStateRow> = sqlx::query_as(
            "SELECT products_cursor, inventory_cursor, sales_cursor,
                 floor(EXTRACT(EPOCH FROM last_sync) * 1000)::BIGINT AS last_sync,
                 floor(EXTRACT(EPOCH FROM sales_since) * 1000)::BIGINT AS sales_since
             FROM inventory_sync_state WHERE sync_key = $1",
        )
        .bind(key.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(unavailable("reading sync state"))?;
        row.map_or_else(|| Ok(SyncState::default()), |row| row.into_state(key))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(sync_key = %key))]
    async fn save_sync_state(&self, key: &SyncKey, state: &SyncState) -> Result<(), StateStoreError> {
        state.check(key)?;
        sqlx::query(
            "INSERT INTO inventory_sync_state
                 (sync_key, products_cursor, inventory_cursor, sales_cursor, last_sync, updated_at, sales_since)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (sync_key) DO UPDATE SET products_cursor = EXCLUDED.products_cursor,
                 inventory_cursor = EXCLUDED.inventory_cursor, sales_cursor = EXCLUDED.sales_cursor,
                 last_sync = EXCLUDED.last_sync, updated_at = EXCLUDED.updated_at,
                 sales_since = EXCLUDED.sales_since",
        )
        .bind(key.as_str())
        .bind(state.products.0)
        .bind(state.inventory.0)
        .bind(state.sales.0)
        .bind(state.last_sync)
        .bind(self.clock.now())
        .bind(state.sales_since)
        .execute(&self.pool)
        .await
        .map_err(unavailable("saving sync state"))?;
        Ok(())
    }
}

#[async_trait]
impl CredentialStore for PostgresStore {
    #[tracing::instrument(level = "debug", skip_all, fields(sync_key = %key))]
    async fn load_credential(&self, key: &SyncKey) -> Result<Option<SecretString>, StateStoreError> {
        let secret: Option<String> =
            sqlx::query_scalar("SELECT secret FROM inventory_credentials WHERE credential_key = $1")
                .bind(key.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(unavailable("reading credential"))?;
        Ok(secret.map(SecretString::from))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(sync_key = %key))]
    async fn save_credential(
        &self,
        key: &SyncKey,
        value: &SecretString,
        at: DateTime<Utc>,
    ) -> Result<(), StateStoreError> {
        sqlx::query(
            "INSERT INTO inventory_credentials (credential_key, secret, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (credential_key) DO UPDATE SET secret = EXCLUDED.secret, updated_at = EXCLUDED.updated_at",
        )
        .bind(key.as_str())
        .bind(value.expose_secret())
        .bind(at)
        .execute(&self.pool)
        .await
        .map_err(unavailable("saving credential"))?;
        Ok(())
    }
}

/// Levels per upsert. The arrays are bound parameters, so PostgreSQL has no
/// limit to respect; chunks only bound the size of one message.
const LEVELS_PER_INSERT: usize = 10_000;

#[derive(sqlx::FromRow)]
struct StockLevelRow {
    product_id: String,
    outlet_id: String,
    on_hand: i64,
    deleted: bool,
    version: i64,
}

impl From<StockLevelRow> for StockLevel {
    fn from(row: StockLevelRow) -> StockLevel {
        StockLevel {
            product_id: row.product_id,
            outlet_id: row.outlet_id,
            on_hand: row.on_hand,
            deleted: row.deleted,
            version: row.version,
        }
    }
}

#[async_trait]
impl StockLevelStore for PostgresStore {
    #[tracing::instrument(level = "debug", skip_all, fields(sync_key = %key, levels = levels.len()))]
    async fn record_stock_levels(&self, key: &SyncKey, levels: &[StockLevel]) -> Result<(), StateStoreError> {
        let newest = StockLevel::newest(levels);
        if newest.is_empty() {
            return Ok(());
        }
        // One transaction: a sync that fails halfway records nothing.
        let mut tx = self.pool.begin().await.map_err(unavailable("beginning to record stock levels"))?;
        for chunk in newest.chunks(LEVELS_PER_INSERT) {
            let product_ids: Vec<&str> = chunk.iter().map(|level| level.product_id.as_str()).collect();
            let outlet_ids: Vec<&str> = chunk.iter().map(|level| level.outlet_id.as_str()).collect();
            let on_hand: Vec<i64> = chunk.iter().map(|level| level.on_hand).collect();
            let deleted: Vec<bool> = chunk.iter().map(|level| level.deleted).collect();
            let versions: Vec<i64> = chunk.iter().map(|level| level.version).collect();
            sqlx::query(
                "INSERT INTO inventory_stock_levels (sync_key, product_id, outlet_id, on_hand, deleted, version)
                 SELECT $1, level.product_id, level.outlet_id, level.on_hand, level.deleted, level.version
                 FROM UNNEST($2::text[], $3::text[], $4::bigint[], $5::boolean[], $6::bigint[])
                     AS level (product_id, outlet_id, on_hand, deleted, version)
                 ON CONFLICT (sync_key, product_id, outlet_id) DO UPDATE SET on_hand = EXCLUDED.on_hand,
                     deleted = EXCLUDED.deleted, version = EXCLUDED.version
                 WHERE EXCLUDED.version >= inventory_stock_levels.version",
            )
            .bind(key.as_str())
            .bind(&product_ids)
            .bind(&outlet_ids)
            .bind(&on_hand)
            .bind(&deleted)
            .bind(&versions)
            .execute(&mut *tx)
            .await
            .map_err(unavailable("recording stock levels"))?;
        }
        tx.commit().await.map_err(unavailable("committing stock levels"))?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(sync_key = %key, products = product_ids.len()))]
    async fn stock_levels(&self, key: &SyncKey, product_ids: &[&str]) -> Result<Vec<StockLevel>, StateStoreError> {
        if product_ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<StockLevelRow> = sqlx::query_as(
            "SELECT product_id, outlet_id, on_hand, deleted, version FROM inventory_stock_levels
             WHERE sync_key = $1 AND product_id = ANY($2::text[])",
        )
        .bind(key.as_str())
        .bind(product_ids)
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable("reading stock levels"))?;
        Ok(rows.into_iter().map(StockLevel::from).collect())
    }
}

#[cfg(test)]
mod tests {
    //! Rows no port would write (a manual edit, a bug) read as `Corrupt`,
    //! never as a place to resume from. Runs when `FRONTDESK_TEST_POSTGRES_URL`
    //! is set, like the integration tests.

    use std::sync::Arc;

    use frontdesk_core::ManualClock;

    use super::*;

    const URL_VAR: &str = "FRONTDESK_TEST_POSTGRES_URL";

    fn key(raw: &str) -> SyncKey {
        SyncKey::parse(raw).unwrap_or_else(|e| panic!("{e}"))
    }

    #[tokio::test]
    async fn negative_cursors_and_unrepresentable_times_are_corrupt() {
        let Ok(server) = std::env::var(URL_VAR) else {
            eprintln!("skipped: {URL_VAR} is not set");
            return;
        };
        let name = format!("frontdesk_test_{}", uuid::Uuid::new_v4().simple());
        let url = PostgresStore::create_database(&server, &name).await.unwrap_or_else(|e| panic!("{e:#}"));
        let clock = Arc::new(ManualClock::new(DateTime::<Utc>::UNIX_EPOCH));
        let store = PostgresStore::connect(&url, clock).await.unwrap_or_else(|e| panic!("{e:#}"));
        let rows = [
            "INSERT INTO inventory_sync_state VALUES ('negative-products', -1, 0, 0, NULL, now())",
            "INSERT INTO inventory_sync_state VALUES ('negative-inventory', 0, -1, 0, NULL, now())",
            "INSERT INTO inventory_sync_state VALUES ('negative-sales', 0, 0, -9223372036854775808, NULL, now())",
            // Valid for PostgreSQL, past the last year chrono can represent (262143).
            "INSERT INTO inventory_sync_state VALUES ('far-future', 0, 0, 0, '290000-01-01 00:00:00+00', now())",
            "INSERT INTO inventory_sync_state VALUES ('sales-since-far-future', 0, 0, 0, NULL, now(), '290000-01-01 00:00:00+00')",
        ];
        for row in rows {
            let inserted = sqlx::query(row).execute(store.pool()).await;
            assert!(inserted.is_ok(), "{row}: {inserted:?}");
        }
        for raw in ["negative-products", "negative-inventory", "negative-sales", "far-future", "sales-since-far-future"]
        {
            let loaded = store.load_sync_state(&key(raw)).await;
            assert!(matches!(&loaded, Err(StateStoreError::Corrupt { key, .. }) if key == raw), "{raw}: {loaded:?}");
        }
        let infinite = "INSERT INTO inventory_sync_state VALUES ('infinite', 0, 0, 0, 'infinity', now())";
        assert!(sqlx::query(infinite).execute(store.pool()).await.is_err(), "the schema refuses an infinite last_sync");
        let infinite = "INSERT INTO inventory_sync_state VALUES ('infinite-since', 0, 0, 0, NULL, now(), 'infinity')";
        assert!(sqlx::query(infinite).execute(store.pool()).await.is_err(), "and an infinite sales_since");
    }
}
