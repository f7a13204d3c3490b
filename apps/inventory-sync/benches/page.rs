//! The inventory page over a big shop: 100,000 variants synced from the
//! demo's fake Lightspeed into a local workbook, then page views through
//! the real router in process. Prints what each view costs: the first
//! (reads and parses the workbook), later ones (the cached read), a search,
//! a sort, and the CSV export of everything; with response sizes.
//!
//! `cargo bench -p inventory-sync --bench page`

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, TimeZone, Utc};
use frontdesk_core::SystemClock;
use frontdesk_inventory::{MemoryStateStore, SyncKey, SyncOptions, SyncStores, sync_once};
use frontdesk_lightspeed::{LightspeedConfig, LightspeedSource, PersonalToken};
use frontdesk_sheets::LocalWorkbook;
use inventory_sync::demo::{DemoCatalog, fake_lightspeed};
use inventory_sync::web::{Syncer, WebConfig, router};
use secrecy::SecretString;
use tower::ServiceExt;

const VARIANTS: usize = 100_000;
const SALE_LINES: usize = 10_000;
const RUNS: usize = 5;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 15, 0, 0).single().unwrap_or_else(|| panic!("bad time"))
}

fn main() {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap_or_else(|e| panic!("runtime: {e}"));
    runtime.block_on(bench());
}

async fn bench() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let catalog = DemoCatalog::generate_sized(7, now(), VARIANTS, SALE_LINES);
    tokio::spawn(async move { axum::serve(listener, fake_lightspeed(catalog)).await });
    let mut config = LightspeedConfig::with_base_url(format!("http://{addr}/api/2.0"));
    config.page_size = 5000;
    let token = PersonalToken::new(SecretString::from("bench".to_owned())).unwrap_or_else(|e| panic!("{e}"));
    let till = Arc::new(
        LightspeedSource::new(config, Arc::new(token), Arc::new(SystemClock)).unwrap_or_else(|e| panic!("{e}")),
    );
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let workbook = Arc::new(LocalWorkbook::new(dir.path().join("workbook")));
    let state = Arc::new(MemoryStateStore::new());
    let options = SyncOptions { key: SyncKey::parse("bench|page").unwrap_or_else(|e| panic!("{e}")), outlet: None };
    sync_once(till.as_ref(), workbook.as_ref(), &SyncStores::of(state.clone()), &options, now())
        .await
        .unwrap_or_else(|e| panic!("sync: {e}"));

    let syncer = Syncer::new(till, workbook.clone(), SyncStores::of(state), options, Arc::new(SystemClock)).await;
    let config = WebConfig {
        sync_token: None,
        prefill_token: false,
        page_refresh: Duration::from_secs(3600),
        access_token: None,
        shop_name: None,
        zone: chrono_tz::UTC,
    };
    let app = router(syncer, workbook, config);

    println!(
        "Inventory page over {VARIANTS} variants (local workbook, release build, median of {RUNS} views after the first)"
    );
    println!("| view | first | median | response |");
    println!("|---|---:|---:|---:|");
    for (label, path) in [
        ("page 1, Inventory order", "/"),
        ("search \"jordan\"", "/?q=jordan"),
        ("sort by price, descending, page 40", "/?sort=price&dir=desc&page=40"),
        ("Sneakers only", "/?kind=sneakers"),
        ("CSV export of everything", "/export.csv"),
    ] {
        let mut times = Vec::new();
        let mut bytes = 0;
        for _ in 0..=RUNS {
            let started = Instant::now();
            let response = app
                .clone()
                .oneshot(Request::get(path).body(Body::empty()).unwrap_or_else(|e| panic!("{e}")))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap_or_else(|e| panic!("{e}"));
            times.push(started.elapsed());
            bytes = body.len();
        }
        let first = times.remove(0);
        times.sort();
        let median = times[times.len() / 2];
        println!(
            "| {label} | {:.1} ms | {:.1} ms | {:.1} KB |",
            first.as_secs_f64() * 1e3,
            median.as_secs_f64() * 1e3,
            bytes as f64 / 1e3
        );
    }
    println!(
        "(\"first\" of the first view includes reading and parsing the workbook; later views use the cached read)"
    );
}
