//! What a sync keeps between runs, per connection (one till mirrored into
//! one workbook): the change-feed cursors, and the till's OAuth refresh
//! token, which rotates on every refresh. Both live in the platform's store
//! (SQLite or PostgreSQL) behind the two ports below.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use secrecy::SecretString;

use crate::source::{Cursor, StockLevel};

/// Names one connection: which till (and outlet) is mirrored into which
/// workbook, e.g. `lightspeed:myshop|workbook:/srv/data/workbook`.
/// Cursors belong to the pair: pointing a sync at another workbook starts
/// from the beginning instead of skipping what the new workbook never saw.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SyncKey(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncKeyError {
    #[error("a sync key cannot be empty")]
    Empty,
    #[error("a sync key is at most {max} characters (this one has {len})", max = SyncKey::MAX_CHARS)]
    TooLong { len: usize },
    #[error("a sync key cannot contain control characters")]
    ControlCharacter,
}

impl SyncKey {
    pub const MAX_CHARS: usize = 512;

    pub fn parse(raw: &str) -> Result<SyncKey, SyncKeyError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(SyncKeyError::Empty);
        }
        let len = raw.chars().count();
        if len > SyncKey::MAX_CHARS {
            return Err(SyncKeyError::TooLong { len });
        }
        if raw.chars().any(char::is_control) {
            return Err(SyncKeyError::ControlCharacter);
        }
        Ok(SyncKey(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SyncKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where the last sync of a connection left off.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncState {
    pub products: Cursor,
    pub inventory: Cursor,
    pub sales: Cursor,
    /// When the last successful sync ran; `None` before the first.
    pub last_sync: Option<DateTime<Utc>>,
    /// Since when the QtySold column counts sales (see
    /// [`sales_counted_since`](crate::sales_counted_since)); `None` when
    /// that is not known.
    pub sales_since: Option<DateTime<Utc>>,
}

impl SyncState {
    /// Checks a state before it is stored: cursors are positions in a
    /// change feed, never negative.
    pub fn check(&self, key: &SyncKey) -> Result<(), StateStoreError> {
        for (name, cursor) in [("products", self.products), ("inventory", self.inventory), ("sales", self.sales)] {
            if cursor.0 < 0 {
                let reason = format!("the {name} cursor is negative ({})", cursor.0);
                return Err(StateStoreError::Invalid { key: key.to_string(), reason });
            }
        }
        Ok(())
    }

    /// A state as a store keeps it: three cursors, and `last_sync` and
    /// `sales_since` in Unix milliseconds. A row no save could have written
    /// is `Corrupt`.
    pub fn from_stored(
        key: &SyncKey,
        [products, inventory, sales]: [i64; 3],
        [last_sync_millis, sales_since_millis]: [Option<i64>; 2],
    ) -> Result<SyncState, StateStoreError> {
        let corrupt = |reason: String| StateStoreError::Corrupt { key: key.to_string(), reason };
        let time = |name: &str, millis: Option<i64>| match millis {
            None => Ok(None),
            Some(millis) => DateTime::<Utc>::from_timestamp_millis(millis)
                .map(Some)
                .ok_or_else(|| corrupt(format!("{name} ({millis} ms) is not a representable time"))),
        };
        let state = SyncState {
            products: Cursor(products),
            inventory: Cursor(inventory),
            sales: Cursor(sales),
            last_sync: time("last_sync", last_sync_millis)?,
            sales_since: time("sales_since", sales_since_millis)?,
        };
        state.check(key).map_err(|error| match error {
            StateStoreError::Invalid { reason, .. } => corrupt(reason),
            other => other,
        })?;
        Ok(state)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StateStoreError {
    #[error("the sync state store is unavailable: {0}")]
    Unavailable(String),
    /// A state no store keeps (a bug upstream), refused before it is written.
    #[error("refusing to store the sync state of {key}: {reason}")]
    Invalid { key: String, reason: String },
    #[error("the stored sync state of {key} is corrupt: {reason}")]
    Corrupt { key: String, reason: String },
}

/// The cursors of each connection.
#[async_trait]
pub trait SyncStateStore: Send + Sync {
    /// The saved state; a connection never synced is at the start.
    async fn load_sync_state(&self, key: &SyncKey) -> Result<SyncState, StateStoreError>;
    /// Replaces the saved state, atomically.
    async fn save_sync_state(&self, key: &SyncKey, state: &SyncState) -> Result<(), StateStoreError>;
}

/// A credential that rotates, such as an OAuth refresh token: each use
/// voids it and yields the next, so `save` must be durable and atomic
/// before the new one is relied on.
#[async_trait]
pub trait CredentialStore: Send + Sync {
    /// The stored credential, or `None` when none was ever stored.
    async fn load_credential(&self, key: &SyncKey) -> Result<Option<SecretString>, StateStoreError>;
    /// Replaces the stored credential.
    async fn save_credential(
        &self,
        key: &SyncKey,
        value: &SecretString,
        at: DateTime<Utc>,
    ) -> Result<(), StateStoreError>;
}

/// The till's stock per product and outlet as last read, per connection.
/// Stock summed over several outlets needs every outlet's level of a
/// product whose stock changed at one of them; keeping the levels lets a
/// sync read only the stock feed's changes.
#[async_trait]
pub trait StockLevelStore: Send + Sync {
    /// Keeps each level unless a newer one (higher `version`) of the same
    /// product and outlet is kept already. Idempotent.
    async fn record_stock_levels(&self, key: &SyncKey, levels: &[StockLevel]) -> Result<(), StateStoreError>;
    /// Every kept level (all outlets) of `product_ids`, in no particular order.
    async fn stock_levels(&self, key: &SyncKey, product_ids: &[&str]) -> Result<Vec<StockLevel>, StateStoreError>;
}

/// The ports in memory: for tests and for embedders with nothing to keep.
#[derive(Debug, Default)]
pub struct MemoryStateStore {
    states: Mutex<HashMap<SyncKey, SyncState>>,
    credentials: Mutex<HashMap<SyncKey, SecretString>>,
    levels: Mutex<HashMap<(SyncKey, String, String), StockLevel>>,
}

impl MemoryStateStore {
    pub fn new() -> MemoryStateStore {
        MemoryStateStore::default()
    }
}

fn poisoned<T>(_: T) -> StateStoreError {
    StateStoreError::Unavailable("a previous writer panicked".to_owned())
}

#[async_trait]
impl SyncStateStore for MemoryStateStore {
    async fn load_sync_state(&self, key: &SyncKey) -> Result<SyncState, StateStoreError> {
        Ok(self.states.lock().map_err(poisoned)?.get(key).copied().unwrap_or_default())
    }

    async fn save_sync_state(&self, key: &SyncKey, state: &SyncState) -> Result<(), StateStoreError> {
        state.check(key)?;
        self.states.lock().map_err(poisoned)?.insert(key.clone(), *state);
        Ok(())
    }
}

#[async_trait]
impl CredentialStore for MemoryStateStore {
    async fn load_credential(&self, key: &SyncKey) -> Result<Option<SecretString>, StateStoreError> {
        Ok(self.credentials.lock().map_err(poisoned)?.get(key).cloned())
    }

    async fn save_credential(
        &self,
        key: &SyncKey,
        value: &SecretString,
        _at: DateTime<Utc>,
    ) -> Result<(), StateStoreError> {
        self.credentials.lock().map_err(poisoned)?.insert(key.clone(), value.clone());
        Ok(())
    }
}

#[async_trait]
impl StockLevelStore for MemoryStateStore {
    async fn record_stock_levels(&self, key: &SyncKey, levels: &[StockLevel]) -> Result<(), StateStoreError> {
        let mut kept = self.levels.lock().map_err(poisoned)?;
        for level in StockLevel::newest(levels) {
            let slot = (key.clone(), level.product_id.clone(), level.outlet_id.clone());
            if kept.get(&slot).is_none_or(|old| old.version <= level.version) {
                kept.insert(slot, level.clone());
            }
        }
        Ok(())
    }

    async fn stock_levels(&self, key: &SyncKey, product_ids: &[&str]) -> Result<Vec<StockLevel>, StateStoreError> {
        let kept = self.levels.lock().map_err(poisoned)?;
        Ok(kept
            .iter()
            .filter(|((k, product, _), _)| k == key && product_ids.contains(&product.as_str()))
            .map(|(_, level)| level.clone())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_keys_are_trimmed_and_checked() {
        assert_eq!(SyncKey::parse("  demo|workbook:data ").map(|k| k.to_string()), Ok("demo|workbook:data".to_owned()));
        assert_eq!(SyncKey::parse(" "), Err(SyncKeyError::Empty));
        assert_eq!(SyncKey::parse("a\nb"), Err(SyncKeyError::ControlCharacter));
        let long = "x".repeat(SyncKey::MAX_CHARS + 1);
        assert_eq!(SyncKey::parse(&long), Err(SyncKeyError::TooLong { len: SyncKey::MAX_CHARS + 1 }));
        assert!(SyncKey::parse(&"é".repeat(SyncKey::MAX_CHARS)).is_ok(), "the limit counts characters");
    }
}
