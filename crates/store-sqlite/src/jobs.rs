//! The job ports on SQLite. Times are stored as unix milliseconds.
//! Multi-statement operations run in `BEGIN IMMEDIATE` transactions, which
//! serialise writers, so two workers can never claim the same job.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use frontdesk_jobs::{
    DueSchedule, EnqueueOutcome, Job, JobAdmin, JobCounts, JobEffects, JobError, JobId, JobKind, JobLeases, JobQueue,
    JobSchedules, JobState, JobTransaction, Lease, NewJob, StoredJob, WorkerId, lease_lost,
};
use sqlx::{Sqlite, SqliteConnection, Transaction};

use crate::SqliteStore;

const JOB_COLUMNS: &str = "job_id, tenant_id, kind, payload, state, attempts, max_attempts, run_at, unique_key, \
                           last_error, locked_by, locked_until, created_at, updated_at, finished_at";

#[derive(sqlx::FromRow)]
struct JobRow {
    job_id: String,
    tenant_id: Option<String>,
    kind: String,
    payload: String,
    state: String,
    attempts: i64,
    max_attempts: i64,
    run_at: i64,
    unique_key: Option<String>,
    last_error: Option<String>,
    locked_by: Option<String>,
    locked_until: Option<i64>,
    created_at: i64,
    updated_at: i64,
    finished_at: Option<i64>,
}

pub(crate) fn ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

pub(crate) fn from_ms(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

impl TryFrom<JobRow> for Job {
    type Error = JobError;
    fn try_from(row: JobRow) -> Result<Job, JobError> {
        Job::try_from(StoredJob {
            job_id: row.job_id,
            tenant_id: row.tenant_id,
            kind: row.kind,
            payload: row.payload,
            state: row.state,
            attempts: row.attempts,
            max_attempts: row.max_attempts,
            run_at: from_ms(row.run_at),
            unique_key: row.unique_key,
            last_error: row.last_error,
            locked_by: row.locked_by,
            locked_until: row.locked_until.map(from_ms),
            created_at: from_ms(row.created_at),
            updated_at: from_ms(row.updated_at),
            finished_at: row.finished_at.map(from_ms),
        })
    }
}

fn unexpected(context: &'static str) -> impl FnOnce(sqlx::Error) -> JobError {
    move |error| JobError::Unexpected(crate::unexpected(context)(error))
}

fn sql(statement: String) -> sqlx::AssertSqlSafe<String> {
    // Only ever called with JOB_COLUMNS and fixed SQL text.
    sqlx::AssertSqlSafe(statement)
}

/// The one enqueue, used by `enqueue` and inside transactions.
/// A job inserted unless a live job holds its unique key (`RETURNING` its id
/// when inserted).
const ENQUEUE: &str = "INSERT INTO jobs (job_id, tenant_id, kind, payload, state, attempts, max_attempts, run_at,
                       unique_key, created_at, updated_at)
     VALUES (?1, ?2, ?3, ?4, 'queued', 0, ?5, ?6, ?7, ?8, ?8)
     ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND state <> 'cancelled' DO NOTHING
     RETURNING job_id";

/// [`enqueue_on`] inside a transaction of the direct connection (the phone
/// path's bookings): a job whose unique key is taken is simply not added.
pub(crate) fn enqueue_direct(conn: &rusqlite::Connection, job: &NewJob, now: DateTime<Utc>) -> rusqlite::Result<()> {
    let mut statement = conn.prepare_cached(ENQUEUE)?;
    let mut rows = statement.query(rusqlite::params![
        job.id.to_string(),
        job.tenant.as_ref().map(|t| t.as_str()),
        job.kind.as_str(),
        job.payload.to_string(),
        i64::from(job.max_attempts),
        ms(job.run_at.unwrap_or(now)),
        job.unique_key.as_deref(),
        ms(now),
    ])?;
    while rows.next()?.is_some() {}
    Ok(())
}

pub(crate) async fn enqueue_on(
    conn: &mut SqliteConnection,
    job: &NewJob,
    now: DateTime<Utc>,
) -> Result<EnqueueOutcome, JobError> {
    let inserted: Option<String> = sqlx::query_scalar(ENQUEUE)
        .bind(job.id.to_string())
        .bind(job.tenant.as_ref().map(|t| t.as_str().to_owned()))
        .bind(job.kind.as_str())
        .bind(job.payload.to_string())
        .bind(i64::from(job.max_attempts))
        .bind(ms(job.run_at.unwrap_or(now)))
        .bind(job.unique_key.as_deref())
        .bind(ms(now))
        .fetch_optional(&mut *conn)
        .await
        .map_err(unexpected("enqueueing job"))?;
    if inserted.is_some() {
        return Ok(EnqueueOutcome::Enqueued(job.id));
    }
    let existing: String = sqlx::query_scalar("SELECT job_id FROM jobs WHERE unique_key = ?1 AND state <> 'cancelled'")
        .bind(job.unique_key.as_deref())
        .fetch_one(&mut *conn)
        .await
        .map_err(unexpected("finding the job holding a unique key"))?;
    let id = existing.parse().map_err(|e| JobError::Corrupt { id: existing.clone(), reason: format!("{e}") })?;
    Ok(EnqueueOutcome::AlreadyQueued(id))
}

struct SqliteJobTransaction {
    tx: Transaction<'static, Sqlite>,
    now: DateTime<Utc>,
}

#[async_trait]
impl JobTransaction for SqliteJobTransaction {
    async fn enqueue(&mut self, job: NewJob) -> Result<EnqueueOutcome, JobError> {
        enqueue_on(&mut self.tx, &job, self.now).await
    }

    async fn commit(self: Box<Self>) -> Result<(), JobError> {
        self.tx.commit().await.map_err(unexpected("committing"))
    }

    async fn rollback(self: Box<Self>) -> Result<(), JobError> {
        self.tx.rollback().await.map_err(unexpected("rolling back"))
    }
}

impl SqliteStore {
    /// `UPDATE jobs SET {set}` on the job only while it is still running under
    /// this lease (worker and attempt); `?4` in `set` is `at`.
    async fn fenced_update(
        &self,
        lease: &Lease,
        set: &str,
        at: DateTime<Utc>,
        context: &'static str,
    ) -> Result<(), JobError> {
        let done = sqlx::query(sql(format!(
            "UPDATE jobs SET {set} WHERE job_id = ?1 AND state = 'running' AND locked_by = ?2 AND attempts = ?3"
        )))
        .bind(lease.job.id.to_string())
        .bind(lease.worker.as_str())
        .bind(i64::from(lease.attempt()))
        .bind(ms(at))
        .execute(&self.pool)
        .await
        .map_err(unexpected(context))?;
        if done.rows_affected() == 1 { Ok(()) } else { Err(lease_lost(lease)) }
    }

    async fn job_state(&self, id: JobId) -> Result<JobState, JobError> {
        let state: Option<String> = sqlx::query_scalar("SELECT state FROM jobs WHERE job_id = ?1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(unexpected("reading job state"))?;
        let state = state.ok_or(JobError::NotFound(id))?;
        JobState::parse(&state).ok_or_else(|| JobError::Corrupt { id: id.to_string(), reason: state })
    }
}

#[async_trait]
impl JobQueue for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all, fields(kind = %job.kind))]
    async fn enqueue(&self, job: NewJob) -> Result<EnqueueOutcome, JobError> {
        let mut conn = self.pool.acquire().await.map_err(unexpected("acquiring a connection"))?;
        enqueue_on(&mut conn, &job, self.clock.now()).await
    }

    async fn begin(&self) -> Result<Box<dyn JobTransaction>, JobError> {
        let tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(unexpected("beginning"))?;
        Ok(Box::new(SqliteJobTransaction { tx, now: self.clock.now() }))
    }

    async fn cancel(&self, id: JobId) -> Result<(), JobError> {
        let now = ms(self.clock.now());
        let done = sqlx::query(
            "UPDATE jobs SET state = 'cancelled', finished_at = ?2, updated_at = ?2
             WHERE job_id = ?1 AND state IN ('queued', 'failed')",
        )
        .bind(id.to_string())
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(unexpected("cancelling job"))?;
        if done.rows_affected() == 1 {
            return Ok(());
        }
        let state = self.job_state(id).await?;
        Err(JobError::InvalidState { id, state, action: "cancel", needed: "queued or failed" })
    }

    async fn cancel_by_key(&self, unique_key: &str) -> Result<bool, JobError> {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'cancelled', finished_at = ?2, updated_at = ?2
             WHERE unique_key = ?1 AND state IN ('queued', 'failed')",
        )
        .bind(unique_key)
        .bind(ms(self.clock.now()))
        .execute(&self.pool)
        .await
        .map_err(unexpected("cancelling job by key"))?;
        Ok(done.rows_affected() > 0)
    }
}

#[async_trait]
impl JobLeases for SqliteStore {
    async fn claim(
        &self,
        worker: &WorkerId,
        kinds: &[JobKind],
        limit: u32,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<Lease>, JobError> {
        let kinds_json = serde_json::Value::from(kinds.iter().map(JobKind::as_str).collect::<Vec<_>>()).to_string();
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(unexpected("beginning claim"))?;
        sqlx::query(
            "UPDATE jobs SET state = 'dead', locked_by = NULL, locked_until = NULL, finished_at = ?1, updated_at = ?1,
                 last_error = 'the worker running the last allowed attempt stopped answering (lease expired)'
             WHERE state = 'running' AND locked_until <= ?1 AND attempts >= max_attempts",
        )
        .bind(ms(now))
        .execute(&mut *tx)
        .await
        .map_err(unexpected("dead-lettering expired last attempts"))?;
        let rows: Vec<JobRow> = sqlx::query_as(sql(format!(
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_by = ?1, locked_until = ?2,
                 updated_at = ?3
             WHERE job_id IN (
                 SELECT job_id FROM jobs
                 WHERE kind IN (SELECT value FROM json_each(?4))
                   AND ((state IN ('queued', 'failed') AND run_at <= ?3)
                        OR (state = 'running' AND locked_until <= ?3))
                 ORDER BY run_at, job_id
                 LIMIT ?5)
             RETURNING {JOB_COLUMNS}"
        )))
        .bind(worker.as_str())
        .bind(ms(now + lease))
        .bind(ms(now))
        .bind(kinds_json)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .map_err(unexpected("claiming jobs"))?;
        tx.commit().await.map_err(unexpected("committing claim"))?;
        let mut leases = rows
            .into_iter()
            .map(|row| Job::try_from(row).map(|job| Lease { job, worker: worker.clone() }))
            .collect::<Result<Vec<_>, _>>()?;
        leases.sort_by_key(|l| (l.job.run_at, l.job.id));
        Ok(leases)
    }

    async fn heartbeat(&self, lease: &Lease, until: DateTime<Utc>) -> Result<(), JobError> {
        self.fenced_update(lease, "locked_until = ?4", until, "extending lease").await
    }

    async fn complete(&self, lease: &Lease, now: DateTime<Utc>) -> Result<(), JobError> {
        let set = "state = 'succeeded', locked_by = NULL, locked_until = NULL, finished_at = ?4, updated_at = ?4";
        self.fenced_update(lease, set, now, "completing job").await
    }

    async fn fail(
        &self,
        lease: &Lease,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<JobState, JobError> {
        let state: Option<String> = sqlx::query_scalar(
            "UPDATE jobs SET
                 state = CASE WHEN ?4 IS NULL OR attempts >= max_attempts THEN 'dead' ELSE 'failed' END,
                 finished_at = CASE WHEN ?4 IS NULL OR attempts >= max_attempts THEN ?6 END,
                 run_at = COALESCE(?4, run_at), last_error = ?5, locked_by = NULL, locked_until = NULL,
                 updated_at = ?6
             WHERE job_id = ?1 AND state = 'running' AND locked_by = ?2 AND attempts = ?3
             RETURNING state",
        )
        .bind(lease.job.id.to_string())
        .bind(lease.worker.as_str())
        .bind(i64::from(lease.attempt()))
        .bind(retry_at.map(ms))
        .bind(error)
        .bind(ms(now))
        .fetch_optional(&self.pool)
        .await
        .map_err(unexpected("recording failed attempt"))?;
        let state = state.ok_or_else(|| lease_lost(lease))?;
        JobState::parse(&state).ok_or_else(|| JobError::Corrupt { id: lease.job.id.to_string(), reason: state })
    }

    async fn release(&self, lease: &Lease, now: DateTime<Utc>) -> Result<(), JobError> {
        let set = "state = CASE WHEN attempts > 1 THEN 'failed' ELSE 'queued' END, attempts = attempts - 1, \
                   locked_by = NULL, locked_until = NULL, updated_at = ?4";
        self.fenced_update(lease, set, now, "releasing job").await
    }
}

#[async_trait]
impl JobAdmin for SqliteStore {
    async fn job(&self, id: JobId) -> Result<Option<Job>, JobError> {
        let row: Option<JobRow> = sqlx::query_as(sql(format!("SELECT {JOB_COLUMNS} FROM jobs WHERE job_id = ?1")))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(unexpected("reading job"))?;
        row.map(Job::try_from).transpose()
    }

    async fn list_jobs(&self, state: Option<JobState>, limit: u32) -> Result<Vec<Job>, JobError> {
        let rows: Vec<JobRow> = sqlx::query_as(sql(format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE ?1 IS NULL OR state = ?1
             ORDER BY updated_at DESC, job_id DESC LIMIT ?2"
        )))
        .bind(state.map(JobState::as_str))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(unexpected("listing jobs"))?;
        rows.into_iter().map(Job::try_from).collect()
    }

    async fn job_counts(&self) -> Result<JobCounts, JobError> {
        let rows: Vec<(String, i64)> = sqlx::query_as("SELECT state, COUNT(*) FROM jobs GROUP BY state")
            .fetch_all(&self.pool)
            .await
            .map_err(unexpected("counting jobs"))?;
        let mut counts = JobCounts::default();
        for (state, count) in rows {
            if let Some(state) = JobState::parse(&state) {
                counts.add(state, u64::try_from(count).unwrap_or(0));
            }
        }
        Ok(counts)
    }

    async fn retry_job(&self, id: JobId, now: DateTime<Utc>) -> Result<Job, JobError> {
        let row: Option<JobRow> = sqlx::query_as(sql(format!(
            "UPDATE jobs SET state = 'queued', attempts = 0, run_at = ?2, locked_by = NULL, locked_until = NULL,
                 finished_at = NULL, updated_at = ?2
             WHERE job_id = ?1 AND state = 'dead'
             RETURNING {JOB_COLUMNS}"
        )))
        .bind(id.to_string())
        .bind(ms(now))
        .fetch_optional(&self.pool)
        .await
        .map_err(unexpected("retrying job"))?;
        match row {
            Some(row) => Job::try_from(row),
            None => {
                let state = self.job_state(id).await?;
                Err(JobError::InvalidState { id, state, action: "retry", needed: "dead" })
            }
        }
    }
}

#[async_trait]
impl JobEffects for SqliteStore {
    async fn record_effect(&self, job: JobId, effect: &str, value: &str, now: DateTime<Utc>) -> Result<bool, JobError> {
        let done = sqlx::query(
            "INSERT INTO job_effects (job_id, effect, value, recorded_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (job_id, effect) DO NOTHING",
        )
        .bind(job.to_string())
        .bind(effect)
        .bind(value)
        .bind(ms(now))
        .execute(&self.pool)
        .await
        .map_err(unexpected("recording effect"))?;
        Ok(done.rows_affected() == 1)
    }

    async fn effect(&self, job: JobId, effect: &str) -> Result<Option<String>, JobError> {
        sqlx::query_scalar("SELECT value FROM job_effects WHERE job_id = ?1 AND effect = ?2")
            .bind(job.to_string())
            .bind(effect)
            .fetch_optional(&self.pool)
            .await
            .map_err(unexpected("reading effect"))
    }
}

#[async_trait]
impl JobSchedules for SqliteStore {
    async fn register_schedule(
        &self,
        name: &str,
        definition: &str,
        next_run_at: DateTime<Utc>,
    ) -> Result<(), JobError> {
        sqlx::query(
            "INSERT INTO job_schedules (name, definition, next_run_at, updated_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, next_run_at = excluded.next_run_at,
                 updated_at = excluded.updated_at
             WHERE job_schedules.definition <> excluded.definition",
        )
        .bind(name)
        .bind(definition)
        .bind(ms(next_run_at))
        .bind(ms(self.clock.now()))
        .execute(&self.pool)
        .await
        .map_err(unexpected("registering schedule"))?;
        Ok(())
    }

    async fn due_schedules(&self, now: DateTime<Utc>) -> Result<Vec<DueSchedule>, JobError> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT name, next_run_at FROM job_schedules WHERE next_run_at <= ?1 ORDER BY name")
                .bind(ms(now))
                .fetch_all(&self.pool)
                .await
                .map_err(unexpected("reading due schedules"))?;
        Ok(rows.into_iter().map(|(name, at)| DueSchedule { name, next_run_at: from_ms(at) }).collect())
    }

    async fn advance_schedule(
        &self,
        name: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        job: NewJob,
    ) -> Result<bool, JobError> {
        let now = self.clock.now();
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(unexpected("beginning"))?;
        let moved = sqlx::query(
            "UPDATE job_schedules SET next_run_at = ?3, updated_at = ?4 WHERE name = ?1 AND next_run_at = ?2",
        )
        .bind(name)
        .bind(ms(from))
        .bind(ms(to))
        .bind(ms(now))
        .execute(&mut *tx)
        .await
        .map_err(unexpected("advancing schedule"))?;
        if moved.rows_affected() == 0 {
            return Ok(false);
        }
        enqueue_on(&mut tx, &job, now).await?;
        tx.commit().await.map_err(unexpected("committing schedule"))?;
        Ok(true)
    }
}
