//! `SyncStateStore` and `CredentialStore` on SQLite: one row per sync key in
//! `inventory_sync_state` and `inventory_credentials`. Every save is a single
//! upsert, so it lands whole or not at all and concurrent saves of one key
//! leave one of them, never a mix.
//!
//! `StockLevelStore`: one row per sync key, product and outlet in
//! `inventory_stock_levels`. A first sync of a big shop records some 200,000
//! levels at once, so they go in as multi-row upserts in one `BEGIN
//! IMMEDIATE` transaction, and reads ask for many products per query.

use std::collections::BTreeSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_inventory::{
    CredentialStore, StateStoreError, StockLevel, StockLevelStore, SyncKey, SyncState, SyncStateStore,
};
use secrecy::{ExposeSecret, SecretString};

use crate::SqliteStore;
use crate::jobs::ms;

fn unavailable(context: &'static str) -> impl FnOnce(sqlx::Error) -> StateStoreError {
    move |error| StateStoreError::Unavailable(format!("{:#}", crate::unexpected(context)(error)))
}

#[derive(sqlx::FromRow)]
struct SyncStateRow {
    products_cursor: i64,
    inventory_cursor: i64,
    sales_cursor: i64,
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
impl SyncStateStore for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all, fields(sync_key = %key))]
    async fn load_sync_state(&self, key: &SyncKey) -> Result<SyncState, StateStoreError> {
        let row: Option<SyncStateRow> = sqlx::query_as(
            "SELECT products_cursor, inventory_cursor, sales_cursor, last_sync, sales_since
             FROM inventory_sync_state WHERE sync_key = ?1",
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
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (sync_key) DO UPDATE SET products_cursor = excluded.products_cursor,
                 inventory_cursor = excluded.inventory_cursor, sales_cursor = excluded.sales_cursor,
                 last_sync = excluded.last_sync, updated_at = excluded.updated_at,
                 sales_since = excluded.sales_since",
        )
        .bind(key.as_str())
        .bind(state.products.0)
        .bind(state.inventory.0)
        .bind(state.sales.0)
        .bind(state.last_sync.map(ms))
        .bind(ms(self.clock.now()))
        .bind(state.sales_since.map(ms))
        .execute(&self.pool)
        .await
        .map_err(unavailable("saving sync state"))?;
        Ok(())
    }
}

#[async_trait]
impl CredentialStore for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all, fields(sync_key = %key))]
    async fn load_credential(&self, key: &SyncKey) -> Result<Option<SecretString>, StateStoreError> {
        let secret: Option<String> =
            sqlx::query_scalar("SELECT secret FROM inventory_credentials WHERE credential_key = ?1")
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
            "INSERT INTO inventory_credentials (credential_key, secret, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (credential_key) DO UPDATE SET secret = excluded.secret, updated_at = excluded.updated_at",
        )
        .bind(key.as_str())
        .bind(value.expose_secret())
        .bind(ms(at))
        .execute(&self.pool)
        .await
        .map_err(unavailable("saving credential"))?;
        Ok(())
    }
}

/// Levels per upsert: six bound parameters each, well under SQLite's limit
/// of 32766, and few enough statements for 200,000.
const LEVELS_PER_INSERT: usize = 1000;
/// Product ids per read, likewise under the bound-parameter limit.
const PRODUCTS_PER_SELECT: usize = 1000;

fn sql(statement: String) -> sqlx::AssertSqlSafe<String> {
    // Only ever called with fixed SQL text and placeholders.
    sqlx::AssertSqlSafe(statement)
}

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

/// An upsert of `rows` levels, six parameters each. Anonymous placeholders:
/// SQLite looks numbered ones up by name, in time growing with their count.
fn upsert_levels_sql(rows: usize) -> String {
    format!(
        "INSERT INTO inventory_stock_levels (sync_key, product_id, outlet_id, on_hand, deleted, version)
         VALUES {}
         ON CONFLICT (sync_key, product_id, outlet_id) DO UPDATE SET on_hand = excluded.on_hand,
             deleted = excluded.deleted, version = excluded.version
         WHERE excluded.version >= inventory_stock_levels.version",
        vec!["(?, ?, ?, ?, ?, ?)"; rows].join(", ")
    )
}

/// The levels of `products` products: the sync key, then one parameter per
/// product id.
fn select_levels_sql(products: usize) -> String {
    format!(
        "SELECT product_id, outlet_id, on_hand, deleted, version FROM inventory_stock_levels
         WHERE sync_key = ? AND product_id IN ({})",
        vec!["?"; products].join(", ")
    )
}

#[async_trait]
impl StockLevelStore for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all, fields(sync_key = %key, levels = levels.len()))]
    async fn record_stock_levels(&self, key: &SyncKey, levels: &[StockLevel]) -> Result<(), StateStoreError> {
        let newest = StockLevel::newest(levels);
        if newest.is_empty() {
            return Ok(());
        }
        // One transaction: a sync that fails halfway records nothing, and
        // SQLite syncs the file once instead of once per statement.
        let mut tx =
            self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(unavailable("beginning to record stock levels"))?;
        for chunk in newest.chunks(LEVELS_PER_INSERT) {
            let mut upsert = sqlx::query(sql(upsert_levels_sql(chunk.len())));
            for level in chunk {
                upsert = upsert
                    .bind(key.as_str())
                    .bind(level.product_id.as_str())
                    .bind(level.outlet_id.as_str())
                    .bind(level.on_hand)
                    .bind(level.deleted)
                    .bind(level.version);
            }
            upsert.execute(&mut *tx).await.map_err(unavailable("recording stock levels"))?;
        }
        tx.commit().await.map_err(unavailable("committing stock levels"))?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(sync_key = %key, products = product_ids.len()))]
    async fn stock_levels(&self, key: &SyncKey, product_ids: &[&str]) -> Result<Vec<StockLevel>, StateStoreError> {
        if product_ids.is_empty() {
            return Ok(Vec::new());
        }
        // Each product once, or one asked for twice in two chunks would be read twice.
        let products: Vec<&str> = product_ids.iter().copied().collect::<BTreeSet<_>>().into_iter().collect();
        // One read transaction, so every chunk sees the same snapshot.
        let mut tx = self.pool.begin().await.map_err(unavailable("beginning to read stock levels"))?;
        let mut levels = Vec::new();
        for chunk in products.chunks(PRODUCTS_PER_SELECT) {
            let mut select = sqlx::query_as::<_, StockLevelRow>(sql(select_levels_sql(chunk.len()))).bind(key.as_str());
            for product in chunk {
                select = select.bind(*product);
            }
            let rows = select.fetch_all(&mut *tx).await.map_err(unavailable("reading stock levels"))?;
            levels.extend(rows.into_iter().map(StockLevel::from));
        }
        tx.commit().await.map_err(unavailable("ending the stock level read"))?;
        Ok(levels)
    }
}

#[cfg(test)]
mod tests {
    //! Rows no port would write (a manual edit, a bug) read as `Corrupt`,
    //! never as a place to resume from.

    use std::sync::Arc;

    use frontdesk_core::ManualClock;

    use super::*;

    async fn store() -> (SqliteStore, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let url = format!("sqlite://{}", dir.path().join("f.db").display());
        let clock = Arc::new(ManualClock::new(DateTime::<Utc>::UNIX_EPOCH));
        let store = SqliteStore::open(&url, clock).await.unwrap_or_else(|e| panic!("{e:#}"));
        (store, dir)
    }

    fn key(raw: &str) -> SyncKey {
        SyncKey::parse(raw).unwrap_or_else(|e| panic!("{e}"))
    }

    #[tokio::test]
    async fn negative_cursors_and_unrepresentable_times_are_corrupt() {
        let (store, _dir) = store().await;
        let rows = [
            "INSERT INTO inventory_sync_state VALUES ('negative-products', -1, 0, 0, NULL, 0, NULL)",
            "INSERT INTO inventory_sync_state VALUES ('negative-inventory', 0, -1, 0, NULL, 0, NULL)",
            "INSERT INTO inventory_sync_state VALUES ('negative-sales', 0, 0, -9223372036854775808, NULL, 0, NULL)",
            "INSERT INTO inventory_sync_state VALUES ('far-future', 0, 0, 0, 9223372036854775807, 0, NULL)",
            "INSERT INTO inventory_sync_state VALUES ('sales-since-far-future', 0, 0, 0, NULL, 0, 9223372036854775807)",
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
    }
}
