//! `CallbackStore` on PostgreSQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_core::TenantId;
use frontdesk_routing::{CallError, CallSid, Callback, CallbackStatus, CallbackStore};

use crate::PostgresStore;

const COLUMNS: &str =
    "call_sid, tenant_id, caller, name, reason, recording_url, transcript, status, created_at, done_at";

type Row = (
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    String,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);

fn callback(row: Row) -> Result<Callback, CallError> {
    let (call_sid, tenant, caller, name, reason, recording_url, transcript, status, created_at, done_at) = row;
    Callback::from_stored(
        &call_sid,
        &tenant,
        caller.as_deref(),
        name,
        reason,
        recording_url,
        transcript,
        &status,
        created_at,
        done_at,
    )
}

fn unexpected(doing: &'static str) -> impl Fn(sqlx::Error) -> CallError {
    move |error| CallError::Unexpected(anyhow::Error::new(error).context(doing))
}

fn sql(statement: String) -> sqlx::AssertSqlSafe<String> {
    // Only ever called with the column list and fixed SQL text.
    sqlx::AssertSqlSafe(statement)
}

#[async_trait]
impl CallbackStore for PostgresStore {
    async fn open_callback(&self, c: &Callback) -> Result<bool, CallError> {
        let owned: Option<i64> = sqlx::query_scalar("SELECT 1::int8 FROM calls WHERE call_sid = $1 AND tenant_id = $2")
            .bind(c.call_sid.as_str())
            .bind(c.tenant.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(unexpected("finding the callback's call"))?;
        if owned.is_none() {
            return Err(CallError::NotFound(c.call_sid.to_string()));
        }
        let written = sqlx::query(
            "INSERT INTO callbacks (call_sid, tenant_id, caller, name, reason, recording_url, transcript, status,
                 created_at, done_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (call_sid) DO NOTHING",
        )
        .bind(c.call_sid.as_str())
        .bind(c.tenant.as_str())
        .bind(c.caller.as_ref().map(|n| n.as_str()))
        .bind(c.name.as_deref())
        .bind(&c.reason)
        .bind(c.recording_url.as_deref())
        .bind(c.transcript.as_deref())
        .bind(c.status.as_str())
        .bind(c.created_at)
        .bind(c.done_at)
        .execute(&self.pool)
        .await
        .map_err(unexpected("opening a callback"))?;
        Ok(written.rows_affected() == 1)
    }

    async fn attach_recording(&self, tenant: &TenantId, call: &CallSid, url: &str) -> Result<bool, CallError> {
        let changed = sqlx::query("UPDATE callbacks SET recording_url = $3 WHERE tenant_id = $1 AND call_sid = $2")
            .bind(tenant.as_str())
            .bind(call.as_str())
            .bind(url)
            .execute(&self.pool)
            .await
            .map_err(unexpected("attaching a recording to a callback"))?;
        Ok(changed.rows_affected() == 1)
    }

    async fn attach_transcript(&self, tenant: &TenantId, call: &CallSid, text: &str) -> Result<bool, CallError> {
        let changed = sqlx::query("UPDATE callbacks SET transcript = $3 WHERE tenant_id = $1 AND call_sid = $2")
            .bind(tenant.as_str())
            .bind(call.as_str())
            .bind(text)
            .execute(&self.pool)
            .await
            .map_err(unexpected("attaching a transcript to a callback"))?;
        Ok(changed.rows_affected() == 1)
    }

    async fn callback(&self, tenant: &TenantId, call: &CallSid) -> Result<Option<Callback>, CallError> {
        let row: Option<Row> =
            sqlx::query_as(sql(format!("SELECT {COLUMNS} FROM callbacks WHERE tenant_id = $1 AND call_sid = $2")))
                .bind(tenant.as_str())
                .bind(call.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(unexpected("reading a callback"))?;
        row.map(callback).transpose()
    }

    async fn callbacks(&self, tenant: &TenantId, status: Option<CallbackStatus>) -> Result<Vec<Callback>, CallError> {
        let rows: Vec<Row> = sqlx::query_as(sql(format!(
            "SELECT {COLUMNS} FROM callbacks WHERE tenant_id = $1 AND ($2::text IS NULL OR status = $2)
             ORDER BY created_at, call_sid"
        )))
        .bind(tenant.as_str())
        .bind(status.map(CallbackStatus::as_str))
        .fetch_all(&self.pool)
        .await
        .map_err(unexpected("listing callbacks"))?;
        rows.into_iter().map(callback).collect()
    }

    async fn close_callback(&self, tenant: &TenantId, call: &CallSid, now: DateTime<Utc>) -> Result<bool, CallError> {
        let changed = sqlx::query(
            "UPDATE callbacks SET status = 'done', done_at = COALESCE(done_at, $3) WHERE tenant_id = $1 AND call_sid = $2",
        )
        .bind(tenant.as_str())
        .bind(call.as_str())
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(unexpected("closing a callback"))?;
        Ok(changed.rows_affected() == 1)
    }
}
