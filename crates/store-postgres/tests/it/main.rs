//! frontdesk-store-postgres integration tests: the shared store contract,
//! each test in its own throwaway database.
//!
//! Runs when `FRONTDESK_TEST_POSTGRES_URL` names a server and a role that may
//! `CREATE DATABASE` (`.ci/run` sets it); otherwise each test says it was
//! skipped.

use std::str::FromStr;
use std::sync::Arc;

use frontdesk_core::ManualClock;
use frontdesk_store_contract::{Stores, store_contract_tests};
use frontdesk_store_postgres::PostgresStore;
use sqlx::ConnectOptions;
use sqlx::postgres::PgConnectOptions;

mod corrupt;

const URL_VAR: &str = "FRONTDESK_TEST_POSTGRES_URL";

/// Test databases are named `frontdesk_test_<uuid>`; `.ci/run` drops leftovers.
async fn fresh_store(clock: Arc<ManualClock>) -> Option<PostgresStore> {
    let Ok(url) = std::env::var(URL_VAR) else {
        eprintln!("skipped: {URL_VAR} is not set");
        return None;
    };
    let admin = PgConnectOptions::from_str(&url).unwrap_or_else(|e| panic!("{URL_VAR}: {e}"));
    let name = format!("frontdesk_test_{}", uuid::Uuid::new_v4().simple());
    let mut connection = admin.connect().await.unwrap_or_else(|e| panic!("connecting to {URL_VAR}: {e}"));
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut connection)
        .await
        .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
    let store = PostgresStore::connect_with(admin.database(&name), clock, PostgresStore::DEFAULT_MAX_CONNECTIONS)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    Some(store)
}

async fn open_stores(clock: Arc<ManualClock>) -> Option<Stores> {
    let store = fresh_store(clock.clone()).await?;
    Some(Stores::from_store(Arc::new(store), clock, Box::new(())))
}

store_contract_tests!(open_stores);
