use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

use async_trait::async_trait;
use chrono::Duration;
use frontdesk_core::Clock;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::model::{Job, JobError, JobId, JobKind, JobState, Lease, NewJob, WorkerId};
use crate::ports::{JobAdmin, JobEffects, JobLeases, JobSchedules};
use crate::retry::RetryPolicy;
use crate::schedule::RecurringJob;

/// Why a handler did not finish its job.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandlerError {
    /// Worth another attempt later (timeouts, 429, 5xx).
    #[error("{0}")]
    Retry(String),
    /// Worth another attempt, not before the wait the provider asked for
    /// (a 429's `Retry-After`), nor sooner than the usual backoff.
    #[error("{0}")]
    RetryAfter(String, StdDuration),
    /// Will never succeed (invalid number, bad payload): dead-letter now.
    #[error("{0}")]
    Permanent(String),
}

impl HandlerError {
    /// Worth another attempt: not before `after` when the provider said
    /// how long to wait (a 429's `Retry-After`), else after the backoff.
    pub fn retry_after(message: impl Into<String>, after: Option<StdDuration>) -> HandlerError {
        match after {
            Some(after) => HandlerError::RetryAfter(message.into(), after),
            None => HandlerError::Retry(message.into()),
        }
    }
}

/// What a handler gets for one attempt.
pub struct JobContext {
    pub job: Job,
    pub worker: WorkerId,
    /// Record what the handler did before reporting success, and check it
    /// first: a retry after a crash must not repeat a side effect.
    pub effects: Arc<dyn JobEffects>,
    pub clock: Arc<dyn Clock>,
}

/// Runs jobs of one kind. Handlers must be idempotent (see `JobContext::effects`).
#[async_trait]
pub trait JobHandler: Send + Sync {
    fn kind(&self) -> JobKind;
    async fn run(&self, context: &JobContext) -> Result<(), HandlerError>;
}

/// Told when an attempt sends a job to the dead letter, after the store
/// recorded it (so people hear about it). A job whose lease ran out on its
/// last attempt is dead-lettered by the next claim instead, without this
/// call; the operator's pages count those too.
#[async_trait]
pub trait DeadLetterWatch: Send + Sync {
    /// Must not fail the worker: a watch that cannot tell anyone logs why.
    async fn job_died(&self, job: &Job, error: &str);
}

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub id: WorkerId,
    /// Jobs run at the same time.
    pub concurrency: usize,
    /// How long a claimed job is ours without a heartbeat; a crashed worker's
    /// jobs are picked up again after it.
    pub lease: Duration,
    /// How often to look for work when the queue was empty.
    pub poll_interval: StdDuration,
    pub retry: RetryPolicy,
    /// On shutdown, how long running jobs may finish before they are released.
    pub shutdown_grace: StdDuration,
    /// How often queue depth is logged.
    pub report_every: StdDuration,
}

impl WorkerConfig {
    pub fn new(id: WorkerId) -> WorkerConfig {
        WorkerConfig {
            id,
            concurrency: 8,
            lease: Duration::seconds(60),
            poll_interval: StdDuration::from_millis(500),
            retry: RetryPolicy::default(),
            shutdown_grace: StdDuration::from_secs(20),
            report_every: StdDuration::from_secs(60),
        }
    }
}

/// What a worker did, returned when it stops.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkerReport {
    pub succeeded: u64,
    pub retried: u64,
    pub dead: u64,
    pub released: u64,
}

#[derive(Default)]
struct Counters {
    succeeded: AtomicU64,
    retried: AtomicU64,
    dead: AtomicU64,
}

/// The job engine: claims due jobs, runs their handlers with a heartbeat,
/// settles each attempt (complete, retry with backoff, dead-letter), enqueues
/// recurring jobs, and on shutdown stops claiming and finishes or releases
/// what it runs.
pub struct Worker {
    leases: Arc<dyn JobLeases>,
    effects: Arc<dyn JobEffects>,
    admin: Option<Arc<dyn JobAdmin>>,
    schedules: Option<(Arc<dyn JobSchedules>, Vec<RecurringJob>)>,
    handlers: HashMap<JobKind, Arc<dyn JobHandler>>,
    dead_letters: Option<Arc<dyn DeadLetterWatch>>,
    clock: Arc<dyn Clock>,
    config: WorkerConfig,
}

impl Worker {
    pub fn new(
        leases: Arc<dyn JobLeases>,
        effects: Arc<dyn JobEffects>,
        clock: Arc<dyn Clock>,
        config: WorkerConfig,
    ) -> Worker {
        Worker {
            leases,
            effects,
            admin: None,
            schedules: None,
            handlers: HashMap::new(),
            dead_letters: None,
            clock,
            config,
        }
    }

    pub fn handler(mut self, handler: Arc<dyn JobHandler>) -> Worker {
        self.handlers.insert(handler.kind(), handler);
        self
    }

    /// Logs queue depth every `report_every`.
    pub fn reporting_to(mut self, admin: Arc<dyn JobAdmin>) -> Worker {
        self.admin = Some(admin);
        self
    }

    pub fn recurring(mut self, schedules: Arc<dyn JobSchedules>, jobs: Vec<RecurringJob>) -> Worker {
        self.schedules = Some((schedules, jobs));
        self
    }

    /// Tells `watch` about every job an attempt sends to the dead letter.
    pub fn watching_dead_letters(mut self, watch: Arc<dyn DeadLetterWatch>) -> Worker {
        self.dead_letters = Some(watch);
        self
    }

    /// Runs until `shutdown` resolves, then stops claiming, gives running jobs
    /// `shutdown_grace` to finish, and releases the rest.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<WorkerReport, JobError> {
        let (stop_tx, mut stop_rx) = watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        });
        let worker = Arc::new(self);
        worker.register_schedules().await?;
        let kinds: Vec<JobKind> = worker.handlers.keys().cloned().collect();
        let in_flight: Arc<Mutex<HashMap<JobId, Lease>>> = Arc::default();
        let counters = Arc::new(Counters::default());
        let mut tasks: JoinSet<()> = JoinSet::new();
        let mut last_report = Instant::now();
        let mut last_schedule_check: Option<Instant> = None;
        tracing::info!(worker = %worker.config.id, kinds = ?kinds, concurrency = worker.config.concurrency, "worker started");

        while !*stop_rx.borrow() {
            while tasks.try_join_next().is_some() {}
            if last_schedule_check.is_none_or(|t| t.elapsed() >= StdDuration::from_secs(1)) {
                worker.enqueue_due_schedules().await;
                last_schedule_check = Some(Instant::now());
            }
            if last_report.elapsed() >= worker.config.report_every {
                worker.report_depth().await;
                last_report = Instant::now();
            }

            let free = worker.config.concurrency.saturating_sub(tasks.len());
            let mut claimed = 0;
            if free > 0 && !kinds.is_empty() {
                let now = worker.clock.now();
                match worker.leases.claim(&worker.config.id, &kinds, free as u32, worker.config.lease, now).await {
                    Ok(leases) => {
                        claimed = leases.len();
                        for lease in leases {
                            lock(&in_flight).insert(lease.job.id, lease.clone());
                            tasks.spawn(worker.clone().run_attempt(lease, in_flight.clone(), counters.clone()));
                        }
                    }
                    Err(error) => tracing::error!(%error, "claiming jobs failed; retrying after the poll interval"),
                }
            }
            if claimed > 0 && claimed == free {
                continue; // probably more work waiting
            }
            tokio::select! {
                _ = stop_rx.changed() => {}
                _ = tokio::time::sleep(worker.config.poll_interval) => {}
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            }
        }

        tracing::info!(worker = %worker.config.id, running = tasks.len(), "worker stopping: no new jobs; finishing running ones");
        let grace = tokio::time::sleep(worker.config.shutdown_grace);
        tokio::pin!(grace);
        loop {
            tokio::select! {
                () = &mut grace => break,
                next = tasks.join_next() => if next.is_none() { break },
            }
        }
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
        let leftovers: Vec<Lease> = lock(&in_flight).drain().map(|(_, lease)| lease).collect();
        let mut released = 0;
        for lease in leftovers {
            match worker.leases.release(&lease, worker.clock.now()).await {
                Ok(()) => {
                    released += 1;
                    tracing::warn!(job_id = %lease.job.id, kind = %lease.job.kind, "released unfinished job for another worker");
                }
                Err(error) => {
                    tracing::error!(job_id = %lease.job.id, %error, "could not release job; its lease will expire")
                }
            }
        }
        let report = WorkerReport {
            succeeded: counters.succeeded.load(Ordering::Relaxed),
            retried: counters.retried.load(Ordering::Relaxed),
            dead: counters.dead.load(Ordering::Relaxed),
            released,
        };
        tracing::info!(worker = %worker.config.id, ?report, "worker stopped");
        Ok(report)
    }

    /// One attempt: the handler runs in its own task (so a panic is an
    /// ordinary failure) while the lease is kept alive by heartbeats.
    async fn run_attempt(
        self: Arc<Self>,
        lease: Lease,
        in_flight: Arc<Mutex<HashMap<JobId, Lease>>>,
        counters: Arc<Counters>,
    ) {
        let job = &lease.job;
        let started = self.clock.now();
        let Some(handler) = self.handlers.get(&job.kind).cloned() else {
            // Claims only ask for kinds we have handlers for.
            return;
        };
        let context = JobContext {
            job: job.clone(),
            worker: self.config.id.clone(),
            effects: self.effects.clone(),
            clock: self.clock.clone(),
        };
        let mut attempt = tokio::spawn(async move { handler.run(&context).await });
        let outcome = tokio::select! {
            joined = &mut attempt => Some(match joined {
                Ok(result) => result,
                Err(join) if join.is_panic() => Err(HandlerError::Retry("the handler panicked".to_owned())),
                Err(join) => Err(HandlerError::Retry(format!("the handler was stopped: {join}"))),
            }),
            lost = self.keep_lease_alive(&lease) => {
                attempt.abort();
                tracing::warn!(job_id = %job.id, error = %lost, "lease lost; abandoning the attempt");
                None
            }
        };
        if let Some(outcome) = outcome {
            self.settle(&lease, outcome, started, &counters).await;
        }
        lock(&in_flight).remove(&job.id);
    }

    /// Returns only when a heartbeat fails.
    async fn keep_lease_alive(&self, lease: &Lease) -> JobError {
        let period =
            (self.config.lease / 3).to_std().unwrap_or(StdDuration::from_secs(1)).max(StdDuration::from_millis(50));
        loop {
            tokio::time::sleep(period).await;
            let until = self.clock.now() + self.config.lease;
            match self.leases.heartbeat(lease, until).await {
                Ok(()) => {}
                Err(error @ JobError::LeaseLost(_)) => return error,
                Err(error) => tracing::warn!(job_id = %lease.job.id, %error, "heartbeat failed; will try again"),
            }
        }
    }

    async fn settle(
        &self,
        lease: &Lease,
        outcome: Result<(), HandlerError>,
        started: chrono::DateTime<chrono::Utc>,
        counters: &Counters,
    ) {
        let job = &lease.job;
        let now = self.clock.now();
        let waited_ms = (started - job.run_at).num_milliseconds().max(0);
        let took_ms = (now - started).num_milliseconds();
        let settled = match outcome {
            Ok(()) => self.leases.complete(lease, now).await.map(|()| {
                counters.succeeded.fetch_add(1, Ordering::Relaxed);
                tracing::info!(job_id = %job.id, kind = %job.kind, attempt = job.attempts, waited_ms, took_ms, "job succeeded");
            }),
            Err(error) => {
                let message = error.to_string();
                let retry_at = match &error {
                    HandlerError::Retry(_) if job.attempts < job.max_attempts => {
                        Some(now + self.config.retry.delay(job.attempts))
                    }
                    HandlerError::RetryAfter(_, asked) if job.attempts < job.max_attempts => {
                        let asked = Duration::from_std(*asked).unwrap_or(self.config.retry.max);
                        Some(now + self.config.retry.delay_at_least(job.attempts, asked))
                    }
                    _ => None,
                };
                let failed = self.leases.fail(lease, &message, retry_at, now).await;
                if let Ok(state) = failed {
                    if state == JobState::Dead {
                        counters.dead.fetch_add(1, Ordering::Relaxed);
                        tracing::error!(job_id = %job.id, kind = %job.kind, attempt = job.attempts, error = %message, "job is dead");
                        if let Some(watch) = &self.dead_letters {
                            watch.job_died(job, &message).await;
                        }
                    } else {
                        counters.retried.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(job_id = %job.id, kind = %job.kind, attempt = job.attempts, error = %message, retry_at = ?retry_at, "job failed; will retry");
                    }
                }
                failed.map(|_| ())
            }
        };
        if let Err(error) = settled {
            tracing::warn!(job_id = %job.id, %error, "could not record the attempt's outcome");
        }
    }

    async fn register_schedules(&self) -> Result<(), JobError> {
        let Some((schedules, jobs)) = &self.schedules else { return Ok(()) };
        let now = self.clock.now();
        for job in jobs {
            let Some(next) = job.schedule.next_after(now) else { continue };
            schedules.register_schedule(&job.name, &job.definition(), next).await?;
        }
        Ok(())
    }

    async fn enqueue_due_schedules(&self) {
        let Some((schedules, jobs)) = &self.schedules else { return };
        let now = self.clock.now();
        let due = match schedules.due_schedules(now).await {
            Ok(due) => due,
            Err(error) => return tracing::error!(%error, "reading schedules failed"),
        };
        for occurrence in due {
            let Some(job) = jobs.iter().find(|j| j.name == occurrence.name) else { continue };
            // Missed occurrences (workers were down) collapse into one run.
            let Some(next) = job.schedule.next_after(now.max(occurrence.next_run_at)) else { continue };
            let new_job = NewJob::new(job.kind.clone(), job.payload.clone()).unique_key(format!(
                "cron:{}:{}",
                job.name,
                occurrence.next_run_at.timestamp()
            ));
            match schedules.advance_schedule(&job.name, occurrence.next_run_at, next, new_job).await {
                Ok(true) => {
                    tracing::info!(schedule = %job.name, occurrence = %occurrence.next_run_at, "enqueued recurring job")
                }
                Ok(false) => {}
                Err(error) => tracing::error!(schedule = %job.name, %error, "enqueueing recurring job failed"),
            }
        }
    }

    async fn report_depth(&self) {
        let Some(admin) = &self.admin else { return };
        match admin.job_counts().await {
            Ok(counts) => tracing::info!(
                depth = counts.depth(),
                queued = counts.queued,
                running = counts.running,
                retrying = counts.failed,
                dead = counts.dead,
                "job queue"
            ),
            Err(error) => tracing::warn!(%error, "reading queue depth failed"),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_providers_wait_makes_a_retry_after_and_none_a_plain_retry() {
        let after = StdDuration::from_secs(30);
        assert_eq!(HandlerError::retry_after("429", Some(after)), HandlerError::RetryAfter("429".to_owned(), after));
        assert_eq!(HandlerError::retry_after("503", None), HandlerError::Retry("503".to_owned()));
    }
}
