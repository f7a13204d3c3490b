//! The worker loop itself, in-process on a SQLite store: retries with
//! backoff, permanent failures, panics, and cron schedules shared by two
//! workers.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::TimeZone;
use frontdesk_core::{Clock, ManualClock, SystemClock};
use frontdesk_jobs::{
    CronSchedule, HandlerError, JobAdmin, JobContext, JobHandler, JobKind, JobQueue, JobState, NewJob, PING,
    PingHandler, RecurringJob, RetryPolicy, Worker, WorkerConfig, WorkerId,
};
use frontdesk_store_sqlite::SqliteStore;
use serde_json::json;
use tokio::sync::watch;
use tokio::time::Instant;

async fn store(dir: &tempfile::TempDir, clock: Arc<dyn Clock>) -> Arc<SqliteStore> {
    let url = format!("sqlite://{}", dir.path().join("engine.db").display());
    Arc::new(SqliteStore::open(&url, clock).await.unwrap_or_else(|e| panic!("{e:#}")))
}

fn config(name: &str) -> WorkerConfig {
    let mut config = WorkerConfig::new(WorkerId::new(name));
    config.poll_interval = Duration::from_millis(10);
    config.lease = chrono::Duration::seconds(30);
    config.retry =
        RetryPolicy { base: chrono::Duration::milliseconds(50), max: chrono::Duration::seconds(1), jitter: 0.0 };
    config.shutdown_grace = Duration::from_secs(2);
    config
}

/// Starts `worker`; the returned sender stops it.
fn start(worker: Worker) -> (watch::Sender<bool>, tokio::task::JoinHandle<frontdesk_jobs::WorkerReport>) {
    let (stop, mut stopped) = watch::channel(false);
    let handle = tokio::spawn(async move {
        worker
            .run(async move {
                let _ = stopped.wait_for(|s| *s).await;
            })
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    });
    (stop, handle)
}

async fn wait_until(what: &str, limit: Duration, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn kind(raw: &str) -> JobKind {
    JobKind::parse(raw).unwrap_or_else(|e| panic!("{e}"))
}

/// Fails permanently on "permanent", panics on "panic", otherwise succeeds.
struct Picky {
    runs: AtomicU32,
}

#[async_trait]
impl JobHandler for Picky {
    fn kind(&self) -> JobKind {
        kind("test.picky")
    }

    async fn run(&self, context: &JobContext) -> Result<(), HandlerError> {
        self.runs.fetch_add(1, Ordering::SeqCst);
        match context.job.payload["mode"].as_str() {
            Some("permanent") => Err(HandlerError::Permanent("the number is not a mobile".into())),
            Some("panic") => panic!("handler bug"),
            _ => Ok(()),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_attempts_are_retried_with_backoff_until_they_succeed() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store = store(&dir, clock.clone()).await;
    let id = store
        .enqueue(NewJob::new(kind(PING), json!({"fail_attempts": 2})).max_attempts(5))
        .await
        .map(|o| o.job_id())
        .unwrap_or_else(|e| panic!("{e}"));
    let worker = Worker::new(store.clone(), store.clone(), clock, config("w1")).handler(Arc::new(PingHandler));
    let (stop, handle) = start(worker);
    wait_until("the ping to succeed", Duration::from_secs(10), async || {
        store.job(id).await.ok().flatten().is_some_and(|j| j.state == JobState::Succeeded)
    })
    .await;
    let _ = stop.send(true);
    let report = handle.await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((report.succeeded, report.retried, report.dead), (1, 2, 0));
    let job = store.job(id).await.ok().flatten().unwrap_or_else(|| panic!("job"));
    assert_eq!(job.attempts, 3);
    let waited = job.finished_at.unwrap_or_default() - job.created_at;
    assert!(waited >= chrono::Duration::milliseconds(150), "50 ms then 100 ms of backoff: {waited}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permanent_failures_and_panics_are_settled_not_lost() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store = store(&dir, clock.clone()).await;
    let enqueue = async |mode: &str, attempts: u32| {
        store
            .enqueue(NewJob::new(kind("test.picky"), json!({"mode": mode})).max_attempts(attempts))
            .await
            .map(|o| o.job_id())
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let permanent = enqueue("permanent", 5).await;
    let panicky = enqueue("panic", 2).await;
    let fine = enqueue("fine", 1).await;
    let picky = Arc::new(Picky { runs: AtomicU32::new(0) });
    let worker = Worker::new(store.clone(), store.clone(), clock, config("w1")).handler(picky.clone());
    let (stop, handle) = start(worker);
    wait_until("every job to settle", Duration::from_secs(10), async || {
        store.job_counts().await.map(|c| c.depth() == 0).unwrap_or(false)
    })
    .await;
    let _ = stop.send(true);
    let report = handle.await.unwrap_or_else(|e| panic!("{e}"));

    let state = async |id| store.job(id).await.ok().flatten().map(|j| (j.state, j.attempts, j.last_error));
    assert_eq!(
        state(permanent).await,
        Some((JobState::Dead, 1, Some("the number is not a mobile".to_owned()))),
        "a permanent failure is not retried"
    );
    assert_eq!(state(panicky).await, Some((JobState::Dead, 2, Some("the handler panicked".to_owned()))));
    assert_eq!(state(fine).await.map(|s| s.0), Some(JobState::Succeeded));
    assert_eq!(picky.runs.load(Ordering::SeqCst), 4, "permanent once, panic twice, fine once");
    assert_eq!((report.succeeded, report.dead), (1, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_enqueue_each_cron_occurrence_once() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let start_at = chrono::Utc.with_ymd_and_hms(2026, 11, 24, 2, 59, 0).single().unwrap_or_default();
    let manual = Arc::new(ManualClock::new(start_at));
    let clock: Arc<dyn Clock> = manual.clone();
    let store = store(&dir, clock.clone()).await;
    let nightly = RecurringJob {
        name: "nightly-ping".to_owned(),
        schedule: CronSchedule::parse("0 3 * * *").unwrap_or_else(|e| panic!("{e}")),
        kind: kind(PING),
        payload: json!({}),
    };
    let workers: Vec<_> = ["w1", "w2"]
        .into_iter()
        .map(|name| {
            start(
                Worker::new(store.clone(), store.clone(), clock.clone(), config(name))
                    .recurring(store.clone(), vec![nightly.clone()])
                    .handler(Arc::new(PingHandler)),
            )
        })
        .collect();

    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(store.job_counts().await.map(|c| c.succeeded + c.depth()).ok(), Some(0), "not due before 03:00");

    for night in 0..3 {
        manual.set(start_at + chrono::Duration::minutes(1) + chrono::Duration::days(night));
        wait_until("the nightly ping", Duration::from_secs(10), async || {
            store.job_counts().await.map(|c| c.succeeded == night as u64 + 1 && c.depth() == 0).unwrap_or(false)
        })
        .await;
        // Both workers keep looking for a while; still one job per night.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let counts = store.job_counts().await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(counts.succeeded + counts.depth(), night as u64 + 1, "night {night}: {counts:?}");
    }
    let jobs = store.list_jobs(None, 10).await.unwrap_or_default();
    let mut keys: Vec<String> = jobs.iter().filter_map(|j| j.unique_key.clone()).collect();
    keys.sort();
    assert_eq!(keys, ["cron:nightly-ping:1795489200", "cron:nightly-ping:1795575600", "cron:nightly-ping:1795662000"]);
    for (stop, handle) in workers {
        let _ = stop.send(true);
        assert!(handle.await.is_ok());
    }
}

/// Keeps the kinds of the jobs it was told died.
#[derive(Default)]
struct Mourner {
    died: std::sync::Mutex<Vec<(String, String)>>,
}

#[async_trait]
impl frontdesk_jobs::DeadLetterWatch for Mourner {
    async fn job_died(&self, job: &frontdesk_jobs::Job, error: &str) {
        self.died.lock().unwrap_or_else(|p| p.into_inner()).push((job.kind.to_string(), error.to_owned()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dead_letter_watch_hears_of_each_job_that_dies_after_the_store_recorded_it() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store = store(&dir, clock.clone()).await;
    for (mode, attempts) in [("permanent", 5), ("panic", 2), ("fine", 1)] {
        let job = NewJob::new(kind("test.picky"), json!({"mode": mode})).max_attempts(attempts);
        store.enqueue(job).await.unwrap_or_else(|e| panic!("{e}"));
    }
    let mourner = Arc::new(Mourner::default());
    let worker = Worker::new(store.clone(), store.clone(), clock, config("w1"))
        .handler(Arc::new(Picky { runs: AtomicU32::new(0) }))
        .watching_dead_letters(mourner.clone());
    let (stop, handle) = start(worker);
    wait_until("every job to settle", Duration::from_secs(10), async || {
        store.job_counts().await.map(|c| c.depth() == 0).unwrap_or(false)
    })
    .await;
    let _ = stop.send(true);
    let report = handle.await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.dead, 2);
    let mut died = mourner.died.lock().unwrap_or_else(|p| p.into_inner()).clone();
    died.sort();
    assert_eq!(
        died,
        [
            ("test.picky".to_owned(), "the handler panicked".to_owned()),
            ("test.picky".to_owned(), "the number is not a mobile".to_owned()),
        ],
        "told once per dead job, not of retries or successes"
    );
}
