//! The inventory page over a big shop: 100,000 variants synced from the
//! demo's fake Lightspeed into a local workbook, then page views through
//! the real router in process. Prints what each view costs: the first
//! (reads and parses the workbook), later ones (the cached read), a search,
//! a sort, and the CSV export of everything; with response sizes, and the
//! CPU time each view costs (every thread of the process, from
//! `/proc/self/task/*/schedstat`, so waiting on a busy machine does not
//! count).
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
const RUNS: usize = 20;

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
        lightspeed: None,
    };
    let app = router(syncer, workbook, config);

    println!(
        "Inventory page over {VARIANTS} variants (local workbook, release build, median of {RUNS} views after the first)"
    );
    println!("| view | first | median | CPU per view | response |");
    println!("|---|---:|---:|---:|---:|");
    for (label, path) in [
        ("page 1, Inventory order", "/"),
        ("search \"jordan\"", "/?q=jordan"),
        ("sort by price, descending, page 40", "/?sort=price&dir=desc&page=40"),
        ("Sneakers only", "/?kind=sneakers"),
        ("CSV export of everything", "/export.csv"),
    ] {
        let mut times = Vec::new();
        let mut bytes = 0;
        let mut cpu_after_first = Duration::ZERO;
        for run in 0..=RUNS {
            if run == 1 {
                cpu_after_first = cpu_time();
            }
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
        let cpu_per_view = cpu_time().saturating_sub(cpu_after_first) / u32::try_from(RUNS).unwrap_or(u32::MAX);
        let first = times.remove(0);
        times.sort();
        let median = times[times.len() / 2];
        println!(
            "| {label} | {:.1} ms | {:.1} ms | {:.2} ms | {:.1} KB |",
            first.as_secs_f64() * 1e3,
            median.as_secs_f64() * 1e3,
            cpu_per_view.as_secs_f64() * 1e3,
            bytes as f64 / 1e3
        );
    }
    println!(
        "(\"first\" of the first view includes reading and parsing the workbook; later views use the cached read; \
         CPU per view is the mean over the {RUNS} views after the first)"
    );
}

/// CPU time used so far by every live thread of this process, to the
/// nanosecond: the first field of each thread's `schedstat`. Zero where
/// there is no `/proc` (the column then says nothing).
fn cpu_time() -> Duration {
    let Ok(threads) = std::fs::read_dir("/proc/self/task") else { return Duration::ZERO };
    let nanos: u64 = threads
        .filter_map(Result::ok)
        .filter_map(|thread| std::fs::read_to_string(thread.path().join("schedstat")).ok())
        .filter_map(|stat| stat.split_whitespace().next().and_then(|ns| ns.parse::<u64>().ok()))
        .sum();
    Duration::from_nanos(nanos)
}
