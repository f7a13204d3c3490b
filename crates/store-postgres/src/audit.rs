//! `AuditLog` on PostgreSQL. Entries are never updated or deleted; `before`
//! and `after` are kept as `jsonb`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_audit::{AuditEntry, AuditLog, AuditQuery, NewAuditEntry};
use frontdesk_core::StoreError;
use serde_json::Value;

use crate::PostgresStore;
use crate::store_error as unexpected;

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: String,
    at: DateTime<Utc>,
    actor: String,
    tenant_id: Option<String>,
    action: String,
    target: String,
    before: Option<String>,
    after: Option<String>,
}

impl TryFrom<AuditRow> for AuditEntry {
    type Error = StoreError;
    fn try_from(row: AuditRow) -> Result<AuditEntry, StoreError> {
        AuditEntry::from_stored(
            row.id,
            row.at,
            row.actor,
            row.tenant_id.as_deref(),
            row.action,
            row.target,
            row.before.as_deref(),
            row.after.as_deref(),
        )
    }
}

fn sql(statement: String) -> sqlx::AssertSqlSafe<String> {
    // Only ever called with fixed SQL text.
    sqlx::AssertSqlSafe(statement)
}

#[async_trait]
impl AuditLog for PostgresStore {
    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = ?entry.tenant, action = %entry.action))]
    async fn append(&self, entry: &NewAuditEntry) -> Result<(), StoreError> {
        // A retried request appends the same entry (same id) once.
        sqlx::query(
            "INSERT INTO audit_log (id, at, actor, tenant_id, action, target, before, after)
             VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb)
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(&entry.id)
        .bind(entry.at)
        .bind(&entry.actor)
        .bind(entry.tenant.as_ref().map(|tenant| tenant.as_str()))
        .bind(&entry.action)
        .bind(&entry.target)
        .bind(entry.before.as_ref().map(Value::to_string))
        .bind(entry.after.as_ref().map(Value::to_string))
        .execute(&self.pool)
        .await
        .map_err(unexpected("appending audit entry"))?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = ?query.tenant))]
    async fn audit_entries(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
        // Open bounds become infinite instants, so the time range can use an index.
        let order = if query.newest_first { "at DESC, seq DESC" } else { "at, seq" };
        let tenant_condition = if query.tenant.is_some() { "tenant_id = $1" } else { "$1::text IS NULL" };
        let rows: Vec<AuditRow> = sqlx::query_as(sql(format!(
            "SELECT id, at, actor, tenant_id, action, target, before::text AS before, after::text AS after FROM audit_log
             WHERE {tenant_condition}
               AND at >= COALESCE($2, '-infinity'::timestamptz) AND at < COALESCE($3, 'infinity'::timestamptz)
             ORDER BY {order} LIMIT $4"
        )))
        .bind(query.tenant.as_ref().map(|tenant| tenant.as_str()))
        .bind(query.from)
        .bind(query.to)
        .bind(i64::from(query.limit))
        .fetch_all(&self.pool)
        .await
        .map_err(unexpected("reading audit log"))?;
        rows.into_iter().map(AuditEntry::try_from).collect()
    }
}
