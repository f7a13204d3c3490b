//! The job ports on PostgreSQL. Claims use `FOR UPDATE SKIP LOCKED`, so
//! several workers share the queue without waiting on each other and without
//! ever leasing one job twice.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use frontdesk_jobs::{
    DueSchedule, EnqueueOutcome, Job, JobAdmin, JobCounts, JobEffects, JobError, JobId, JobKind, JobLeases, JobQueue,
    JobSchedules, JobState, JobTransaction, Lease, NewJob, StoredJob, WorkerId, lease_lost,
};
use sqlx::{PgConnection, Postgres, Transaction};

use crate::PostgresStore;

const JOB_COLUMNS: &str = "job_id::text AS job_id, tenant_id, kind, payload::text AS payload, state, \
                           attempts::int8 AS attempts, max_attempts::int8 AS max_attempts, run_at, unique_key, \
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
    run_at: DateTime<Utc>,
    unique_key: Option<String>,
    last_error: Option<String>,
    locked_by: Option<String>,
    locked_until: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
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
            run_at: row.run_at,
            unique_key: row.unique_key,
            last_error: row.last_error,
            locked_by: row.locked_by,
            locked_until: row.locked_until,
            created_at: row.created_at,
            updated_at: row.updated_at,
            finished_at: row.finished_at,
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

pub(crate) async fn enqueue_on(
    conn: &mut PgConnection,
    job: &NewJob,
    now: DateTime<Utc>,
) -> Result<EnqueueOutcome, JobError> {
    let inserted: Option<uuid::Uuid> = sqlx::query_scalar(
        "INSERT INTO jobs (job_id, tenant_id, kind, payload, state, attempts, max_attempts, run_at, unique_key,
                           created_at, updated_at)
         VALUES ($1, $2, $3, $4::jsonb, 'queued', 0, $5, $6, $7, $8, $8)
         ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND state <> 'cancelled' DO NOTHING
         RETURNING job_id",
    )
    .bind(job.id.as_uuid())
    .bind(job.tenant.as_ref().map(|t| t.as_str().to_owned()))
    .bind(job.kind.as_str())
    .bind(job.payload.to_string())
    .bind(i32::try_from(job.max_attempts).unwrap_or(i32::MAX))
    .bind(job.run_at.unwrap_or(now))
    .bind(job.unique_key.as_deref())
    .bind(now)
    .fetch_optional(&mut *conn)
    .await
    .map_err(unexpected("enqueueing job"))?;
    if inserted.is_some() {
        return Ok(EnqueueOutcome::Enqueued(job.id));
    }
    let existing: uuid::Uuid =
        sqlx::query_scalar("SELECT job_id FROM jobs WHERE unique_key = $1 AND state <> 'cancelled'")
            .bind(job.unique_key.as_deref())
            .fetch_one(&mut *conn)
            .await
            .map_err(unexpected("finding the job holding a unique key"))?;
    Ok(EnqueueOutcome::AlreadyQueued(JobId::from_uuid(existing)))
}

/// `INSERT … SELECT FROM UNNEST($1, … $7)` of many jobs in one statement,
/// those rows kept that pass `condition` (bind [`job_columns`] in order,
/// then `now` as $8), each skipped while its unique key is held, as
/// [`enqueue_on`] does.
pub(crate) fn enqueue_many(condition: &str) -> String {
    format!(
        "INSERT INTO jobs (job_id, tenant_id, kind, payload, state, attempts, max_attempts, run_at, unique_key,
                           created_at, updated_at)
         SELECT id, tenant, kind, payload::jsonb, 'queued', 0, max_attempts, COALESCE(run_at, $8), unique_key, $8, $8
         FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::int4[], $6::timestamptz[], $7::text[])
             AS j (id, tenant, kind, payload, max_attempts, run_at, unique_key)
         WHERE {condition}
         ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND state <> 'cancelled' DO NOTHING"
    )
}

/// The columns of [`enqueue_many`], one array each.
#[allow(clippy::type_complexity)]
pub(crate) fn job_columns(
    jobs: &[NewJob],
) -> (
    Vec<uuid::Uuid>,
    Vec<Option<String>>,
    Vec<String>,
    Vec<String>,
    Vec<i32>,
    Vec<Option<DateTime<Utc>>>,
    Vec<Option<String>>,
) {
    (
        jobs.iter().map(|job| job.id.as_uuid()).collect(),
        jobs.iter().map(|job| job.tenant.as_ref().map(|t| t.as_str().to_owned())).collect(),
        jobs.iter().map(|job| job.kind.as_str().to_owned()).collect(),
        jobs.iter().map(|job| job.payload.to_string()).collect(),
        jobs.iter().map(|job| i32::try_from(job.max_attempts).unwrap_or(i32::MAX)).collect(),
        jobs.iter().map(|job| job.run_at).collect(),
        jobs.iter().map(|job| job.unique_key.clone()).collect(),
    )
}

struct PgJobTransaction {
    tx: Transaction<'static, Postgres>,
    now: DateTime<Utc>,
}

#[async_trait]
impl JobTransaction for PgJobTransaction {
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

impl PostgresStore {
    /// `UPDATE jobs SET {set}` on the job only while it is still running under
    /// this lease (worker and attempt); `$4` in `set` is `at`.
    async fn fenced_update(
        &self,
        lease: &Lease,
        set: &str,
        at: DateTime<Utc>,
        context: &'static str,
    ) -> Result<(), JobError> {
        let done = sqlx::query(sql(format!(
            "UPDATE jobs SET {set} WHERE job_id = $1 AND state = 'running' AND locked_by = $2 AND attempts = $3"
        )))
        .bind(lease.job.id.as_uuid())
        .bind(lease.worker.as_str())
        .bind(i32::try_from(lease.attempt()).unwrap_or(i32::MAX))
        .bind(at)
        .execute(&self.pool)
        .await
        .map_err(unexpected(context))?;
        if done.rows_affected() == 1 { Ok(()) } else { Err(lease_lost(lease)) }
    }

    async fn job_state(&self, id: JobId) -> Result<JobState, JobError> {
        let state: Option<String> = sqlx::query_scalar("SELECT state FROM jobs WHERE job_id = $1")
            .bind(id.as_uuid())
            .fetch_optional(&self.pool)
            .await
            .map_err(unexpected("reading job state"))?;
        let state = state.ok_or(JobError::NotFound(id))?;
        JobState::parse(&state).ok_or_else(|| JobError::Corrupt { id: id.to_string(), reason: state })
    }
}

#[async_trait]
impl JobQueue for PostgresStore {
    #[tracing::instrument(level = "debug", skip_all, fields(kind = %job.kind))]
    async fn enqueue(&self, job: NewJob) -> Result<EnqueueOutcome, JobError> {
        let mut conn = self.pool.acquire().await.map_err(unexpected("acquiring a connection"))?;
        enqueue_on(&mut conn, &job, self.clock.now()).await
    }

    async fn begin(&self) -> Result<Box<dyn JobTransaction>, JobError> {
        let tx = self.pool.begin().await.map_err(unexpected("beginning"))?;
        Ok(Box::new(PgJobTransaction { tx, now: self.clock.now() }))
    }

    async fn cancel(&self, id: JobId) -> Result<(), JobError> {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'cancelled', finished_at = $2, updated_at = $2
             WHERE job_id = $1 AND state IN ('queued', 'failed')",
        )
        .bind(id.as_uuid())
        .bind(self.clock.now())
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
            "UPDATE jobs SET state = 'cancelled', finished_at = $2, updated_at = $2
             WHERE unique_key = $1 AND state IN ('queued', 'failed')",
        )
        .bind(unique_key)
        .bind(self.clock.now())
        .execute(&self.pool)
        .await
        .map_err(unexpected("cancelling job by key"))?;
        Ok(done.rows_affected() > 0)
    }
}

#[async_trait]
impl JobLeases for PostgresStore {
    async fn claim(
        &self,
        worker: &WorkerId,
        kinds: &[JobKind],
        limit: u32,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<Lease>, JobError> {
        let kinds: Vec<String> = kinds.iter().map(|k| k.as_str().to_owned()).collect();
        sqlx::query(
            "UPDATE jobs SET state = 'dead', locked_by = NULL, locked_until = NULL, finished_at = $1, updated_at = $1,
                 last_error = 'the worker running the last allowed attempt stopped answering (lease expired)'
             WHERE state = 'running' AND locked_until <= $1 AND attempts >= max_attempts",
        )
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(unexpected("dead-lettering expired last attempts"))?;
        let rows: Vec<JobRow> = sqlx::query_as(sql(format!(
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_by = $1, locked_until = $2,
                 updated_at = $3
             WHERE job_id IN (
                 SELECT job_id FROM jobs
                 WHERE kind = ANY($4)
                   AND ((state IN ('queued', 'failed') AND run_at <= $3)
                        OR (state = 'running' AND locked_until <= $3 AND attempts < max_attempts))
                 ORDER BY run_at, job_id
                 LIMIT $5
                 FOR UPDATE SKIP LOCKED)
             RETURNING {JOB_COLUMNS}"
        )))
        .bind(worker.as_str())
        .bind(now + lease)
        .bind(now)
        .bind(&kinds)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(unexpected("claiming jobs"))?;
        let mut leases = rows
            .into_iter()
            .map(|row| Job::try_from(row).map(|job| Lease { job, worker: worker.clone() }))
            .collect::<Result<Vec<_>, _>>()?;
        leases.sort_by_key(|l| (l.job.run_at, l.job.id));
        Ok(leases)
    }

    async fn heartbeat(&self, lease: &Lease, until: DateTime<Utc>) -> Result<(), JobError> {
        self.fenced_update(lease, "locked_until = $4", until, "extending lease").await
    }

    async fn complete(&self, lease: &Lease, now: DateTime<Utc>) -> Result<(), JobError> {
        let set = "state = 'succeeded', locked_by = NULL, locked_until = NULL, finished_at = $4, updated_at = $4";
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
                 state = CASE WHEN $4::timestamptz IS NULL OR attempts >= max_attempts THEN 'dead' ELSE 'failed' END,
                 finished_at = CASE WHEN $4::timestamptz IS NULL OR attempts >= max_attempts THEN $6 END,
                 run_at = COALESCE($4, run_at), last_error = $5, locked_by = NULL, locked_until = NULL,
                 updated_at = $6
             WHERE job_id = $1 AND state = 'running' AND locked_by = $2 AND attempts = $3
             RETURNING state",
        )
        .bind(lease.job.id.as_uuid())
        .bind(lease.worker.as_str())
        .bind(i32::try_from(lease.attempt()).unwrap_or(i32::MAX))
        .bind(retry_at)
        .bind(error)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(unexpected("recording failed attempt"))?;
        let state = state.ok_or_else(|| lease_lost(lease))?;
        JobState::parse(&state).ok_or_else(|| JobError::Corrupt { id: lease.job.id.to_string(), reason: state })
    }

    async fn release(&self, lease: &Lease, now: DateTime<Utc>) -> Result<(), JobError> {
        let set = "state = CASE WHEN attempts > 1 THEN 'failed' ELSE 'queued' END, attempts = attempts - 1, \
                   locked_by = NULL, locked_until = NULL, updated_at = $4";
        self.fenced_update(lease, set, now, "releasing job").await
    }
}

#[async_trait]
impl JobAdmin for PostgresStore {
    async fn job(&self, id: JobId) -> Result<Option<Job>, JobError> {
        let row: Option<JobRow> = sqlx::query_as(sql(format!("SELECT {JOB_COLUMNS} FROM jobs WHERE job_id = $1")))
            .bind(id.as_uuid())
            .fetch_optional(&self.pool)
            .await
            .map_err(unexpected("reading job"))?;
        row.map(Job::try_from).transpose()
    }

    async fn list_jobs(&self, state: Option<JobState>, limit: u32) -> Result<Vec<Job>, JobError> {
        let rows: Vec<JobRow> = sqlx::query_as(sql(format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE $1::text IS NULL OR state = $1
             ORDER BY updated_at DESC, job_id DESC LIMIT $2"
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
            "UPDATE jobs SET state = 'queued', attempts = 0, run_at = $2, locked_by = NULL, locked_until = NULL,
                 finished_at = NULL, updated_at = $2
             WHERE job_id = $1 AND state = 'dead'
             RETURNING {JOB_COLUMNS}"
        )))
        .bind(id.as_uuid())
        .bind(now)
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
impl JobEffects for PostgresStore {
    async fn record_effect(&self, job: JobId, effect: &str, value: &str, now: DateTime<Utc>) -> Result<bool, JobError> {
        let done = sqlx::query(
            "INSERT INTO job_effects (job_id, effect, value, recorded_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (job_id, effect) DO NOTHING",
        )
        .bind(job.as_uuid())
        .bind(effect)
        .bind(value)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(unexpected("recording effect"))?;
        Ok(done.rows_affected() == 1)
    }

    async fn effect(&self, job: JobId, effect: &str) -> Result<Option<String>, JobError> {
        sqlx::query_scalar("SELECT value FROM job_effects WHERE job_id = $1 AND effect = $2")
            .bind(job.as_uuid())
            .bind(effect)
            .fetch_optional(&self.pool)
            .await
            .map_err(unexpected("reading effect"))
    }
}

#[async_trait]
impl JobSchedules for PostgresStore {
    async fn register_schedule(
        &self,
        name: &str,
        definition: &str,
        next_run_at: DateTime<Utc>,
    ) -> Result<(), JobError> {
        sqlx::query(
            "INSERT INTO job_schedules (name, definition, next_run_at, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (name) DO UPDATE SET definition = EXCLUDED.definition, next_run_at = EXCLUDED.next_run_at,
                 updated_at = EXCLUDED.updated_at
             WHERE job_schedules.definition <> EXCLUDED.definition",
        )
        .bind(name)
        .bind(definition)
        .bind(next_run_at)
        .bind(self.clock.now())
        .execute(&self.pool)
        .await
        .map_err(unexpected("registering schedule"))?;
        Ok(())
    }

    async fn due_schedules(&self, now: DateTime<Utc>) -> Result<Vec<DueSchedule>, JobError> {
        let rows: Vec<(String, DateTime<Utc>)> =
            sqlx::query_as("SELECT name, next_run_at FROM job_schedules WHERE next_run_at <= $1 ORDER BY name")
                .bind(now)
                .fetch_all(&self.pool)
                .await
                .map_err(unexpected("reading due schedules"))?;
        Ok(rows.into_iter().map(|(name, next_run_at)| DueSchedule { name, next_run_at }).collect())
    }

    async fn advance_schedule(
        &self,
        name: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        job: NewJob,
    ) -> Result<bool, JobError> {
        let now = self.clock.now();
        let mut tx = self.pool.begin().await.map_err(unexpected("beginning"))?;
        let moved = sqlx::query(
            "UPDATE job_schedules SET next_run_at = $3, updated_at = $4 WHERE name = $1 AND next_run_at = $2",
        )
        .bind(name)
        .bind(from)
        .bind(to)
        .bind(now)
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
