use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use frontdesk_core::TenantId;
use uuid::Uuid;

/// A job's id (UUIDv7: ordered by creation).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JobId(Uuid);

impl JobId {
    pub fn new() -> JobId {
        JobId(Uuid::now_v7())
    }

    pub fn from_uuid(uuid: Uuid) -> JobId {
        JobId(uuid)
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl Default for JobId {
    fn default() -> JobId {
        JobId::new()
    }
}

impl FromStr for JobId {
    type Err = uuid::Error;
    fn from_str(raw: &str) -> Result<JobId, uuid::Error> {
        Uuid::parse_str(raw).map(JobId)
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Debug for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JobId({})", self.0)
    }
}

/// What a job does, naming its handler: `sms.send`, `diagnostics.ping`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JobKind(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("job kind {0:?} must be 1 to 64 lowercase letters, digits, '.', '_' or '-'")]
pub struct JobKindError(String);

impl JobKind {
    pub fn parse(raw: &str) -> Result<JobKind, JobKindError> {
        let valid = (1..=64).contains(&raw.len())
            && raw.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
        if valid { Ok(JobKind(raw.to_owned())) } else { Err(JobKindError(raw.to_owned())) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JobKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for JobKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JobKind({})", self.0)
    }
}

/// Where a job is in its life.
///
/// `queued` → `running` → `succeeded`; a failed attempt goes to `failed`
/// (waiting for its retry at `run_at`) and back to `running`, until the last
/// allowed attempt fails: then `dead` (the dead letter, with the last error)
/// until an operator retries it. `cancelled` jobs never run again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobState {
    Queued,
    Running,
    Failed,
    Succeeded,
    Dead,
    Cancelled,
}

impl JobState {
    pub const ALL: [JobState; 6] = [
        JobState::Queued,
        JobState::Running,
        JobState::Failed,
        JobState::Succeeded,
        JobState::Dead,
        JobState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Failed => "failed",
            JobState::Succeeded => "succeeded",
            JobState::Dead => "dead",
            JobState::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Option<JobState> {
        JobState::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Waiting to run (now or later).
    pub fn is_pending(self) -> bool {
        matches!(self, JobState::Queued | JobState::Failed)
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub id: JobId,
    pub kind: JobKind,
    pub payload: serde_json::Value,
    pub tenant: Option<TenantId>,
    /// Not before this time; `None` = as soon as possible.
    pub run_at: Option<DateTime<Utc>>,
    /// While a job with this key exists and is not cancelled, enqueueing
    /// another with the same key returns the existing one.
    pub unique_key: Option<String>,
    pub max_attempts: u32,
}

impl NewJob {
    pub const DEFAULT_MAX_ATTEMPTS: u32 = 10;

    pub fn new(kind: JobKind, payload: serde_json::Value) -> NewJob {
        NewJob {
            id: JobId::new(),
            kind,
            payload,
            tenant: None,
            run_at: None,
            unique_key: None,
            max_attempts: NewJob::DEFAULT_MAX_ATTEMPTS,
        }
    }

    pub fn for_tenant(mut self, tenant: TenantId) -> NewJob {
        self.tenant = Some(tenant);
        self
    }

    pub fn run_at(mut self, at: DateTime<Utc>) -> NewJob {
        self.run_at = Some(at);
        self
    }

    pub fn unique_key(mut self, key: impl Into<String>) -> NewJob {
        self.unique_key = Some(key.into());
        self
    }

    pub fn max_attempts(mut self, attempts: u32) -> NewJob {
        self.max_attempts = attempts.max(1);
        self
    }
}

/// A stored job.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: JobId,
    pub kind: JobKind,
    pub payload: serde_json::Value,
    pub tenant: Option<TenantId>,
    pub state: JobState,
    /// Attempts started so far (including a running one).
    pub attempts: u32,
    pub max_attempts: u32,
    pub run_at: DateTime<Utc>,
    pub unique_key: Option<String>,
    pub last_error: Option<String>,
    pub locked_by: Option<String>,
    pub locked_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// Identifies one worker process (or in-process worker) in leases and logs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WorkerId(String);

impl WorkerId {
    pub fn new(name: impl Into<String>) -> WorkerId {
        WorkerId(name.into())
    }

    /// `worker-<host-ish>-<pid>-<random>`: unique across restarts.
    pub fn generate(prefix: &str) -> WorkerId {
        WorkerId(format!("{prefix}-{}-{:08x}", std::process::id(), fastrand::u32(..)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for WorkerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A job claimed by a worker for one attempt. Every state change made
/// through a lease is fenced by (worker, attempt): a worker whose lease
/// expired and was taken over cannot complete or fail the job any more.
#[derive(Debug, Clone, PartialEq)]
pub struct Lease {
    pub job: Job,
    pub worker: WorkerId,
}

impl Lease {
    pub fn attempt(&self) -> u32 {
        self.job.attempts
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnqueueOutcome {
    Enqueued(JobId),
    /// A job with the same unique key already exists; nothing was added.
    AlreadyQueued(JobId),
}

impl EnqueueOutcome {
    pub fn job_id(self) -> JobId {
        match self {
            EnqueueOutcome::Enqueued(id) | EnqueueOutcome::AlreadyQueued(id) => id,
        }
    }
}

/// How many jobs are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobCounts {
    pub queued: u64,
    pub running: u64,
    pub failed: u64,
    pub succeeded: u64,
    pub dead: u64,
    pub cancelled: u64,
}

impl JobCounts {
    pub fn add(&mut self, state: JobState, count: u64) {
        match state {
            JobState::Queued => self.queued += count,
            JobState::Running => self.running += count,
            JobState::Failed => self.failed += count,
            JobState::Succeeded => self.succeeded += count,
            JobState::Dead => self.dead += count,
            JobState::Cancelled => self.cancelled += count,
        }
    }

    pub fn get(&self, state: JobState) -> u64 {
        match state {
            JobState::Queued => self.queued,
            JobState::Running => self.running,
            JobState::Failed => self.failed,
            JobState::Succeeded => self.succeeded,
            JobState::Dead => self.dead,
            JobState::Cancelled => self.cancelled,
        }
    }

    /// Jobs still to be done: queued, running or waiting for a retry.
    pub fn depth(&self) -> u64 {
        self.queued + self.running + self.failed
    }
}

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("job {0} does not exist")]
    NotFound(JobId),
    /// The lease expired and another worker took the job over, or it was
    /// already settled: this worker must not touch it again.
    #[error("job {0} is no longer leased to this worker")]
    LeaseLost(JobId),
    #[error("job {id} is {state}; {action} needs it {needed}")]
    InvalidState { id: JobId, state: JobState, action: &'static str, needed: &'static str },
    #[error("stored job {id} is corrupt: {reason}")]
    Corrupt { id: String, reason: String },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_kinds() {
        assert!(JobKind::parse("sms.send").is_ok());
        assert!(JobKind::parse("diagnostics.ping").is_ok());
        for bad in ["", "SMS", "sms send", &"x".repeat(65)] {
            assert!(JobKind::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn states_round_trip() {
        for state in JobState::ALL {
            assert_eq!(JobState::parse(state.as_str()), Some(state));
        }
        assert_eq!(JobState::parse("done"), None);
    }
}

/// A job row as every store keeps it, before parsing: adapters fill one from
/// their own row type and convert with `Job::try_from`, so both backends
/// decode jobs the same way.
#[derive(Debug, Clone)]
pub struct StoredJob {
    pub job_id: String,
    pub tenant_id: Option<String>,
    pub kind: String,
    pub payload: String,
    pub state: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: DateTime<Utc>,
    pub unique_key: Option<String>,
    pub last_error: Option<String>,
    pub locked_by: Option<String>,
    pub locked_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl TryFrom<StoredJob> for Job {
    type Error = JobError;

    fn try_from(row: StoredJob) -> Result<Job, JobError> {
        let corrupt = |reason: String| JobError::Corrupt { id: row.job_id.clone(), reason };
        Ok(Job {
            id: row.job_id.parse().map_err(|e| corrupt(format!("id: {e}")))?,
            kind: JobKind::parse(&row.kind).map_err(|e| corrupt(e.to_string()))?,
            payload: serde_json::from_str(&row.payload).map_err(|e| corrupt(format!("payload: {e}")))?,
            tenant: row.tenant_id.as_deref().map(TenantId::parse).transpose().map_err(|e| corrupt(e.to_string()))?,
            state: JobState::parse(&row.state).ok_or_else(|| corrupt(format!("state {:?}", row.state)))?,
            attempts: u32::try_from(row.attempts).map_err(|_| corrupt("attempts".to_owned()))?,
            max_attempts: u32::try_from(row.max_attempts).map_err(|_| corrupt("max_attempts".to_owned()))?,
            run_at: row.run_at,
            unique_key: row.unique_key.clone(),
            last_error: row.last_error.clone(),
            locked_by: row.locked_by.clone(),
            locked_until: row.locked_until,
            created_at: row.created_at,
            updated_at: row.updated_at,
            finished_at: row.finished_at,
        })
    }
}

/// The error for a fenced update that matched nothing: lost lease.
pub fn lease_lost(lease: &Lease) -> JobError {
    JobError::LeaseLost(lease.job.id)
}
