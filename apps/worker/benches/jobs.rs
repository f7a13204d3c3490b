//! `cargo bench -p worker --bench jobs` (or `just bench-jobs`): job throughput
//! with real worker processes, and enqueue latency, on SQLite and on
//! PostgreSQL (`FRONTDESK_TEST_POSTGRES_URL`, a role that may create
//! databases). Prints a table and rewrites the jobs section of
//! docs/benchmarks.md.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use frontdesk_core::{Clock, SystemClock};
use frontdesk_jobs::{JobAdmin, JobKind, JobQueue, NewJob, PING};
use serde_json::json;

const JOBS: usize = 5_000;
const ENQUEUE_SAMPLES: usize = 2_000;

struct Db {
    queue: Arc<dyn JobQueue>,
    admin: Arc<dyn JobAdmin>,
    url: String,
}

struct Row {
    backend: &'static str,
    workers: usize,
    jobs: usize,
    seconds: f64,
    enqueue_p50_us: f64,
    enqueue_p99_us: f64,
}

fn ping() -> NewJob {
    NewJob::new(JobKind::parse(PING).unwrap_or_else(|e| panic!("{e}")), json!({}))
}

async fn sqlite(dir: &Path, name: &str) -> Db {
    let url = format!("sqlite://{}", dir.join(format!("{name}.db")).display());
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store =
        Arc::new(frontdesk_store_sqlite::SqliteStore::open(&url, clock).await.unwrap_or_else(|e| panic!("{e:#}")));
    Db { queue: store.clone(), admin: store, url }
}

async fn postgres(server: &str) -> Db {
    let name = format!("frontdesk_test_bench_{}", uuid::Uuid::new_v4().simple());
    let url = frontdesk_store_postgres::PostgresStore::create_database(server, &name)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store = Arc::new(
        frontdesk_store_postgres::PostgresStore::connect(&url, clock).await.unwrap_or_else(|e| panic!("{e:#}")),
    );
    Db { queue: store.clone(), admin: store, url }
}

fn start_worker(url: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_worker"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("FRONTDESK_DATABASE_URL", url)
        .env("FRONTDESK_ADMIN_JWT_SECRET", "bench-secret-long-enough-for-hs256-signing")
        .env("FRONTDESK_TWILIO_AUTH_TOKEN", "token")
        .env("FRONTDESK_PUBLIC_BASE_URL", "https://frontdesk.example.com")
        .env("FRONTDESK_WORKER_CONCURRENCY", "16")
        .env("FRONTDESK_WORKER_POLL_MS", "20")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("spawning worker: {e}"))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// Single enqueues, one at a time, with no worker running.
async fn enqueue_latency(db: &Db) -> (f64, f64) {
    let mut micros = Vec::with_capacity(ENQUEUE_SAMPLES);
    for _ in 0..ENQUEUE_SAMPLES {
        let started = Instant::now();
        db.queue.enqueue(ping()).await.unwrap_or_else(|e| panic!("{e}"));
        micros.push(started.elapsed().as_secs_f64() * 1e6);
    }
    micros.sort_by(f64::total_cmp);
    (percentile(&micros, 0.50), percentile(&micros, 0.99))
}

/// Workers start on an empty queue; then `JOBS` pings are enqueued in one
/// transaction and the clock runs until every job has succeeded.
async fn throughput(db: &Db, workers: usize) -> f64 {
    let mut children: Vec<Child> = (0..workers).map(|_| start_worker(&db.url)).collect();
    tokio::time::sleep(Duration::from_millis(1500)).await; // let them start and migrate
    let before = db.admin.job_counts().await.unwrap_or_else(|e| panic!("{e}")).succeeded;
    let started = Instant::now();
    let mut tx = db.queue.begin().await.unwrap_or_else(|e| panic!("{e}"));
    for _ in 0..JOBS {
        tx.enqueue(ping()).await.unwrap_or_else(|e| panic!("{e}"));
    }
    tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
    loop {
        let counts = db.admin.job_counts().await.unwrap_or_else(|e| panic!("{e}"));
        if counts.succeeded - before >= JOBS as u64 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(600), "benchmark stalled: {counts:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    for child in &mut children {
        let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        let _ = child.wait();
    }
    seconds
}

async fn scenario(backend: &'static str, db: Db, workers: usize) -> Row {
    let (enqueue_p50_us, enqueue_p99_us) = enqueue_latency(&db).await;
    // The latency samples are still queued; drain them so they do not count.
    drain(&db, workers).await;
    let seconds = throughput(&db, workers).await;
    Row { backend, workers, jobs: JOBS, seconds, enqueue_p50_us, enqueue_p99_us }
}

/// Runs whatever is queued to completion.
async fn drain(db: &Db, workers: usize) {
    let mut children: Vec<Child> = (0..workers).map(|_| start_worker(&db.url)).collect();
    let started = Instant::now();
    loop {
        let counts = db.admin.job_counts().await.unwrap_or_else(|e| panic!("{e}"));
        if counts.depth() == 0 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(600), "prefill stalled: {counts:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for child in &mut children {
        let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        let _ = child.wait();
    }
}

fn render(rows: &[Row]) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "Measured {} on this machine ({} cores), release build, `cargo bench -p worker --bench jobs`.\n\
         Each worker is a separate `worker` process with concurrency 16 and a 20 ms poll interval; \
         throughput is {JOBS} ping jobs enqueued in one transaction into a running pool until the last one succeeds \
         (each job: claim, handler checks and records its idempotency effect, complete). Enqueue latency is \
         {ENQUEUE_SAMPLES} single `enqueue` calls, one at a time.\n\n",
        chrono::Utc::now().format("%Y-%m-%d"),
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
    ));
    out.push_str("| backend | workers | jobs | seconds | jobs/s | enqueue p50 | enqueue p99 |\n");
    out.push_str("|---|---:|---:|---:|---:|---:|---:|\n");
    for row in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {:.2} | {:.0} | {:.0} µs | {:.0} µs |\n",
            row.backend,
            row.workers,
            row.jobs,
            row.seconds,
            row.jobs as f64 / row.seconds,
            row.enqueue_p50_us,
            row.enqueue_p99_us
        ));
    }
    out
}

/// Replaces the text between the jobs markers in docs/benchmarks.md.
fn write_report(section: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/benchmarks.md");
    let begin = "<!-- bench:jobs:begin -->";
    let end = "<!-- bench:jobs:end -->";
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    let replacement = format!("{begin}\n{section}{end}");
    let updated = match (current.find(begin), current.find(end)) {
        (Some(start), Some(stop)) if stop > start => {
            format!("{}{replacement}{}", &current[..start], &current[stop + end.len()..])
        }
        _ => format!("{current}\n## Jobs\n\n{replacement}\n"),
    };
    if let Err(error) = std::fs::write(&path, updated) {
        eprintln!("could not write {}: {error}", path.display());
    } else {
        println!("wrote {}", path.display());
    }
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return; // `cargo test --benches` probes; nothing to do
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut rows = Vec::new();
    println!("jobs benchmark: SQLite, 1 worker");
    rows.push(scenario("SQLite", sqlite(dir.path(), "one").await, 1).await);
    match std::env::var("FRONTDESK_TEST_POSTGRES_URL") {
        Ok(server) => {
            for workers in [1, 2] {
                println!("jobs benchmark: PostgreSQL, {workers} worker(s)");
                rows.push(scenario("PostgreSQL", postgres(&server).await, workers).await);
            }
        }
        Err(_) => println!("skipping PostgreSQL: FRONTDESK_TEST_POSTGRES_URL is not set"),
    }
    let section = render(&rows);
    println!("\n{section}");
    write_report(&section);
}
