use std::sync::Arc;

use frontdesk_core::{E164, Readiness};
use frontdesk_store_contract::{profile, test_clock};
use frontdesk_store_sqlite::SqliteStore;
use frontdesk_tenant::TenantStore;

#[tokio::test]
async fn a_restart_loses_nothing_and_migrations_are_applied_once() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("data/frontdesk.db");
    let url = format!("sqlite://{}", path.display());
    let clock = Arc::new(test_clock());

    let first = SqliteStore::open(&url, clock.clone()).await.unwrap_or_else(|e| panic!("{e:#}"));
    assert!(first.put_tenant(&profile("fresh-cuts", &["+15555550100"])).await.is_ok());
    first.pool().close().await;
    drop(first);
    assert!(path.exists(), "the database is a file on disk");

    let second = SqliteStore::open(&url, clock).await.unwrap_or_else(|e| panic!("{e:#}"));
    let owner = second.tenant_by_number(&E164::parse("+15555550100").unwrap_or_else(|e| panic!("{e}"))).await;
    assert!(matches!(owner, Ok(Some(r)) if r.profile.slug().as_str() == "fresh-cuts"));
    let versions: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations").fetch_all(second.pool()).await.unwrap_or_default();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations/sqlite");
    let mut expected: Vec<i64> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.split('_').next()?.parse().ok())
        .collect();
    expected.sort_unstable();
    assert_eq!(versions, expected, "each migration recorded exactly once");
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(second.pool()).await.unwrap_or_default();
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn readiness_fails_when_a_migration_is_missing() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let url = format!("sqlite://{}", dir.path().join("f.db").display());
    let store = SqliteStore::open(&url, Arc::new(test_clock())).await.unwrap_or_else(|e| panic!("{e:#}"));
    assert!(store.check_ready().await.is_ok());
    let deleted = sqlx::query("DELETE FROM _sqlx_migrations").execute(store.pool()).await;
    assert!(deleted.is_ok());
    let not_ready = store.check_ready().await;
    assert!(
        matches!(&not_ready, Err(e) if e.0.contains("20261124000001") && e.0.contains("not applied")),
        "{not_ready:?}"
    );
}

/// The call and booking ports run on the calling thread. When another
/// writer holds the database (here the sqlx pool, as the job worker does),
/// they wait without blocking that thread: on a single-threaded runtime a
/// blocked thread could never let the other writer commit, and the hold
/// would fail after the busy timeout instead of being placed.
#[tokio::test(flavor = "current_thread")]
async fn a_write_waits_for_another_writer_without_blocking_the_thread() {
    use frontdesk_calendar::{BookingStore, HoldId, NewHold};
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let url = format!("sqlite://{}", dir.path().join("f.db").display());
    let clock = Arc::new(test_clock());
    let store = Arc::new(SqliteStore::open(&url, clock.clone()).await.unwrap_or_else(|e| panic!("{e:#}")));
    let shop = profile("fresh-cuts", &["+15555550100"]);
    assert!(store.put_tenant(&shop).await.is_ok());

    let mut other_writer = store.pool().begin_with("BEGIN IMMEDIATE").await.unwrap_or_else(|e| panic!("{e}"));
    sqlx::query("UPDATE tenants SET updated_at = updated_at").execute(&mut *other_writer).await.ok();
    let now = frontdesk_core::Clock::now(clock.as_ref());
    let hold = NewHold {
        id: HoldId::new(),
        service: "Haircut".to_owned(),
        staff: None,
        start: now + chrono::Duration::days(1),
        end: now + chrono::Duration::days(1) + chrono::Duration::minutes(30),
        occupied_until: now + chrono::Duration::days(1) + chrono::Duration::minutes(30),
        expires_at: now + chrono::Duration::minutes(5),
    };
    let holding = {
        let (store, tenant, hold) = (store.clone(), shop.slug().clone(), hold.clone());
        tokio::spawn(async move { store.place_hold(&tenant, &hold, now).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    assert!(!holding.is_finished(), "the hold waits for the other writer");
    let started = std::time::Instant::now();
    other_writer.commit().await.unwrap_or_else(|e| panic!("{e}"));
    let placed = holding.await.unwrap_or_else(|e| panic!("{e}"));
    assert!(placed.is_ok(), "{placed:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(1), "placed soon after: {:?}", started.elapsed());
}

/// The direct connection never checkpoints on a request's thread; a timer
/// copies the log into the database file through the pool instead.
#[tokio::test]
async fn the_log_is_copied_into_the_database_file_by_the_timer() {
    use frontdesk_routing::{CallSid, CallStore, IncomingCall};
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("f.db");
    let clock = Arc::new(test_clock());
    let store = SqliteStore::open(&format!("sqlite://{}", path.display()), clock.clone())
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    let shop = profile("fresh-cuts", &["+15555550100"]);
    assert!(store.put_tenant(&shop).await.is_ok());
    tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
    let before = std::fs::metadata(&path).map(|m| m.len()).unwrap_or_default();
    let state = "x".repeat(2_000);
    let now = frontdesk_core::Clock::now(clock.as_ref());
    for n in 0..200 {
        let call = IncomingCall {
            call_sid: CallSid::parse(&format!("CA{n:032}")).unwrap_or_else(|e| panic!("{e}")),
            caller: None,
            called: E164::parse("+15555550100").unwrap_or_else(|e| panic!("{e}")),
        };
        assert!(store.open_call(shop.slug(), &call, &state, now).await.is_ok());
    }
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    let after = std::fs::metadata(&path).map(|m| m.len()).unwrap_or_default();
    assert!(after > before + 200 * 2_000, "{before} -> {after} bytes");
}
