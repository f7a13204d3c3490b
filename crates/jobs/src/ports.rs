use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use crate::model::{EnqueueOutcome, Job, JobCounts, JobError, JobId, JobKind, JobState, Lease, NewJob, WorkerId};

/// Producing and cancelling jobs.
#[async_trait]
pub trait JobQueue: Send + Sync {
    /// Adds a job (or, for a unique key already in use by a job that is not
    /// cancelled, returns that job: `AlreadyQueued`).
    async fn enqueue(&self, job: NewJob) -> Result<EnqueueOutcome, JobError>;

    /// A transaction in which jobs are enqueued together with other writes of
    /// the same store: all of them commit, or none (a dropped transaction
    /// rolls back).
    async fn begin(&self) -> Result<Box<dyn JobTransaction>, JobError>;

    /// Cancels a job that has not started (queued, or failed and waiting for
    /// its retry). MUST return `InvalidState` for running or finished jobs and
    /// `NotFound` for unknown ids.
    async fn cancel(&self, id: JobId) -> Result<(), JobError>;

    /// Cancels the pending job holding `unique_key`, if any; `Ok(false)` when
    /// there is none (also when it is already running or finished).
    async fn cancel_by_key(&self, unique_key: &str) -> Result<bool, JobError>;
}

/// Enqueueing inside a store transaction.
#[async_trait]
pub trait JobTransaction: Send {
    async fn enqueue(&mut self, job: NewJob) -> Result<EnqueueOutcome, JobError>;
    async fn commit(self: Box<Self>) -> Result<(), JobError>;
    async fn rollback(self: Box<Self>) -> Result<(), JobError>;
}

/// What workers do with jobs. Every method but `claim` is fenced by the
/// lease: it MUST return `LeaseLost` (and change nothing) when the job is no
/// longer running under this worker and attempt.
#[async_trait]
pub trait JobLeases: Send + Sync {
    /// Leases up to `limit` jobs of `kinds` that are due at `now` (pending with
    /// `run_at <= now`, or running with an expired lease), oldest `run_at`
    /// first, each for `lease` and with its attempt counted. Two concurrent
    /// claims never return the same job. A job whose lease expired on its last
    /// allowed attempt goes to `dead` instead of being handed out again.
    async fn claim(
        &self,
        worker: &WorkerId,
        kinds: &[JobKind],
        limit: u32,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<Lease>, JobError>;

    /// Extends a running job's lease to `until`.
    async fn heartbeat(&self, lease: &Lease, until: DateTime<Utc>) -> Result<(), JobError>;

    async fn complete(&self, lease: &Lease, now: DateTime<Utc>) -> Result<(), JobError>;

    /// Records a failed attempt: `retry_at = Some(t)` makes it `failed` until
    /// `t` (or `dead` if that was its last allowed attempt); `None` makes it
    /// `dead` at once. Returns the new state.
    async fn fail(
        &self,
        lease: &Lease,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<JobState, JobError>;

    /// Gives a job back untouched (graceful shutdown): it becomes pending
    /// again and the attempt does not count.
    async fn release(&self, lease: &Lease, now: DateTime<Utc>) -> Result<(), JobError>;
}

/// What operators see and do.
#[async_trait]
pub trait JobAdmin: Send + Sync {
    async fn job(&self, id: JobId) -> Result<Option<Job>, JobError>;

    /// Most recently updated first; `None` = every state.
    async fn list_jobs(&self, state: Option<JobState>, limit: u32) -> Result<Vec<Job>, JobError>;

    async fn job_counts(&self) -> Result<JobCounts, JobError>;

    /// Puts a dead job back in the queue with a fresh set of attempts. MUST
    /// return `InvalidState` unless the job is dead.
    async fn retry_job(&self, id: JobId, now: DateTime<Utc>) -> Result<Job, JobError>;
}

/// Idempotency records: what a job's handler already did, so a retry after a
/// crash does not repeat a side effect (`("sms.sent", provider message id)`).
#[async_trait]
pub trait JobEffects: Send + Sync {
    /// Records `effect` for `job`; `Ok(false)` if it was already recorded (the
    /// first value is kept).
    async fn record_effect(&self, job: JobId, effect: &str, value: &str, now: DateTime<Utc>) -> Result<bool, JobError>;

    async fn effect(&self, job: JobId, effect: &str) -> Result<Option<String>, JobError>;
}

/// A recurring job's next occurrence, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct DueSchedule {
    pub name: String,
    pub next_run_at: DateTime<Utc>,
}

/// Cron-like schedules whose occurrences are enqueued once each, however
/// many workers look at them.
#[async_trait]
pub trait JobSchedules: Send + Sync {
    /// Creates the schedule, or updates its definition. `next_run_at` is set
    /// when the schedule is new or its `definition` (cron text, kind, payload)
    /// changed; otherwise the stored occurrence is kept.
    async fn register_schedule(&self, name: &str, definition: &str, next_run_at: DateTime<Utc>)
    -> Result<(), JobError>;

    /// Schedules whose next occurrence is at or before `now`.
    async fn due_schedules(&self, now: DateTime<Utc>) -> Result<Vec<DueSchedule>, JobError>;

    /// Atomically moves `name` from occurrence `from` to `to` and enqueues
    /// `job`; `Ok(false)` (and nothing enqueued) if another worker already did.
    async fn advance_schedule(
        &self,
        name: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        job: NewJob,
    ) -> Result<bool, JobError>;
}
