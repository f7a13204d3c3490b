//! The worker binary as it runs in deployment: killed mid-job, stopped with
//! SIGTERM, and two of them sharing one PostgreSQL queue. `engine` tests the
//! worker loop in-process.

mod calendar;
mod engine;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use frontdesk_core::{Clock, SystemClock};
use frontdesk_jobs::{JobAdmin, JobEffects, JobId, JobKind, JobQueue, JobState, NewJob, PING, PONG};
use serde_json::json;
use tokio::time::Instant;

/// The store ports a test needs, on either backend.
struct Db {
    queue: Arc<dyn JobQueue>,
    admin: Arc<dyn JobAdmin>,
    effects: Arc<dyn JobEffects>,
    url: String,
    _dir: Option<tempfile::TempDir>,
}

async fn sqlite_db() -> Db {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let url = format!("sqlite://{}", dir.path().join("jobs.db").display());
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store =
        Arc::new(frontdesk_store_sqlite::SqliteStore::open(&url, clock).await.unwrap_or_else(|e| panic!("{e:#}")));
    Db { queue: store.clone(), admin: store.clone(), effects: store, url, _dir: Some(dir) }
}

/// A fresh database on the server named by FRONTDESK_TEST_POSTGRES_URL.
async fn postgres_db() -> Option<Db> {
    let Ok(server) = std::env::var("FRONTDESK_TEST_POSTGRES_URL") else {
        eprintln!("skipped: FRONTDESK_TEST_POSTGRES_URL is not set");
        return None;
    };
    let name = format!("frontdesk_test_{}", uuid::Uuid::new_v4().simple());
    let url = frontdesk_store_postgres::PostgresStore::create_database(&server, &name)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store = Arc::new(
        frontdesk_store_postgres::PostgresStore::connect(&url, clock).await.unwrap_or_else(|e| panic!("{e:#}")),
    );
    Some(Db { queue: store.clone(), admin: store.clone(), effects: store, url, _dir: None })
}

struct WorkerProcess(Child);

impl WorkerProcess {
    fn start(dir: &Path, database_url: &str, extra: &[(&str, &str)]) -> WorkerProcess {
        let mut command = Command::new(env!("CARGO_BIN_EXE_worker"));
        command
            .current_dir(dir)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("FRONTDESK_DATABASE_URL", database_url)
            .env("FRONTDESK_ADMIN_JWT_SECRET", "worker-test-secret-long-enough-for-hs256")
            .env("FRONTDESK_TWILIO_AUTH_TOKEN", "token")
            .env("FRONTDESK_STRIPE_WEBHOOK_SECRET", "whsec_test")
            .env("FRONTDESK_PUBLIC_BASE_URL", "https://frontdesk.example.com")
            .env("FRONTDESK_WORKER_POLL_MS", "20")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (key, value) in extra {
            command.env(key, value);
        }
        WorkerProcess(command.spawn().unwrap_or_else(|e| panic!("spawning worker: {e}")))
    }

    fn signal(&self, signal: &str) {
        let sent = Command::new("kill").args([signal, &self.0.id().to_string()]).status();
        assert!(matches!(sent, Ok(s) if s.success()), "kill {signal}");
    }

    async fn wait(mut self, limit: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Ok(Some(status)) = self.0.try_wait() {
                return status;
            }
            assert!(Instant::now() < deadline, "worker did not exit within {limit:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn ping(payload: serde_json::Value) -> NewJob {
    NewJob::new(JobKind::parse(PING).unwrap_or_else(|e| panic!("{e}")), payload)
}

async fn wait_for_state(db: &Db, id: JobId, wanted: JobState, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let job = db.admin.job(id).await.ok().flatten();
        if job.as_ref().is_some_and(|j| j.state == wanted) {
            return;
        }
        assert!(Instant::now() < deadline, "job never became {wanted}: {job:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// SIGKILL while a job runs: after the lease expires another worker picks it
/// up, and the handler's side effect happens exactly once.
async fn a_killed_worker_s_job_completes_exactly_once(db: Db) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let id =
        db.queue.enqueue(ping(json!({"delay_ms": 1500}))).await.map(|o| o.job_id()).unwrap_or_else(|e| panic!("{e}"));
    let lease = [("FRONTDESK_WORKER_LEASE_SECS", "2")];

    let first = WorkerProcess::start(dir.path(), &db.url, &lease);
    wait_for_state(&db, id, JobState::Running, Duration::from_secs(20)).await;
    first.signal("-KILL");
    let _ = first.wait(Duration::from_secs(5)).await;
    assert!(matches!(db.effects.effect(id, PONG).await, Ok(None)), "the killed attempt did not get to its effect");

    let second = WorkerProcess::start(dir.path(), &db.url, &lease);
    wait_for_state(&db, id, JobState::Succeeded, Duration::from_secs(30)).await;
    let job = db.admin.job(id).await.ok().flatten().unwrap_or_else(|| panic!("job"));
    assert_eq!(job.attempts, 2, "one killed attempt, one that finished");
    let effect = db.effects.effect(id, PONG).await.ok().flatten().unwrap_or_default();
    assert!(effect.starts_with("attempt 2 by worker-"), "recorded once, by the second attempt: {effect:?}");
    second.signal("-TERM");
    assert!(second.wait(Duration::from_secs(10)).await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_safety_on_sqlite() {
    a_killed_worker_s_job_completes_exactly_once(sqlite_db().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_safety_on_postgres() {
    if let Some(db) = postgres_db().await {
        a_killed_worker_s_job_completes_exactly_once(db).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_releases_a_job_that_cannot_finish_in_time() {
    let db = sqlite_db().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let id =
        db.queue.enqueue(ping(json!({"delay_ms": 60_000}))).await.map(|o| o.job_id()).unwrap_or_else(|e| panic!("{e}"));
    let worker = WorkerProcess::start(dir.path(), &db.url, &[("FRONTDESK_WORKER_SHUTDOWN_GRACE_SECS", "1")]);
    wait_for_state(&db, id, JobState::Running, Duration::from_secs(20)).await;
    worker.signal("-TERM");
    let status = worker.wait(Duration::from_secs(10)).await;
    assert!(status.success(), "{status:?}");
    let job = db.admin.job(id).await.ok().flatten().unwrap_or_else(|| panic!("job"));
    assert_eq!((job.state, job.attempts, job.locked_by), (JobState::Queued, 0, None), "released, attempt not spent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_on_postgres_complete_a_thousand_pings_once_each() {
    let Some(db) = postgres_db().await else { return };
    let mut tx = db.queue.begin().await.unwrap_or_else(|e| panic!("{e}"));
    let mut ids = Vec::new();
    for _ in 0..1000 {
        ids.push(tx.enqueue(ping(json!({}))).await.map(|o| o.job_id()).unwrap_or_else(|e| panic!("{e}")));
    }
    assert!(tx.commit().await.is_ok());

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let workers = [WorkerProcess::start(dir.path(), &db.url, &[]), WorkerProcess::start(dir.path(), &db.url, &[])];
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let counts = db.admin.job_counts().await.unwrap_or_else(|e| panic!("{e}"));
        if counts.succeeded == 1000 {
            assert_eq!((counts.depth(), counts.dead), (0, 0));
            break;
        }
        assert!(Instant::now() < deadline, "not done in time: {counts:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut by_worker = std::collections::BTreeMap::<String, usize>::new();
    for id in &ids {
        let job = db.admin.job(*id).await.ok().flatten().unwrap_or_else(|| panic!("job {id}"));
        assert_eq!(job.attempts, 1, "no job ran twice");
        let effect = db.effects.effect(*id, PONG).await.ok().flatten().unwrap_or_else(|| panic!("no pong for {id}"));
        let worker = effect.split(" by ").nth(1).unwrap_or_default().to_owned();
        *by_worker.entry(worker).or_default() += 1;
    }
    assert_eq!(by_worker.values().sum::<usize>(), 1000);
    assert_eq!(by_worker.len(), 2, "both workers took part: {by_worker:?}");
    for worker in workers {
        worker.signal("-TERM");
        assert!(worker.wait(Duration::from_secs(10)).await.success());
    }
}
