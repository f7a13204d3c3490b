//! frontdesk-store-sqlite integration tests: the shared store contract, plus
//! what only a file database has to prove (restarts lose nothing).

use std::sync::Arc;

use frontdesk_core::ManualClock;
use frontdesk_store_contract::{Stores, store_contract_tests};
use frontdesk_store_sqlite::SqliteStore;

mod corrupt;
mod file;

/// A fresh database file per test, in its own temporary directory.
async fn open_stores(clock: Arc<ManualClock>) -> Option<Stores> {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let url = format!("sqlite://{}", dir.path().join("nested/dir/frontdesk.db").display());
    let store = SqliteStore::open(&url, clock.clone()).await.unwrap_or_else(|e| panic!("{e:#}"));
    Some(Stores::from_store(Arc::new(store), clock, Box::new(dir)))
}

store_contract_tests!(open_stores);
