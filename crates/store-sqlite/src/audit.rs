//! `AuditLog` on SQLite. Entries are never updated or deleted; `before` and
//! `after` are kept as JSON text.

use async_trait::async_trait;
use frontdesk_audit::{AuditEntry, AuditLog, AuditQuery, NewAuditEntry};
use frontdesk_tenant::StoreError;
use serde_json::Value;

use crate::SqliteStore;
use crate::billing::{corrupt, stored_tenant};
use crate::jobs::{from_ms, ms};

/// What `Corrupt` names for an entry that concerns no tenant.
const NO_TENANT: &str = "(audit log)";

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: String,
    at: i64,
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
        let owner = row.tenant_id.as_deref().unwrap_or(NO_TENANT);
        let json = |text: Option<&str>| {
            text.map(serde_json::from_str::<Value>)
                .transpose()
                .map_err(|e| corrupt(owner, format!("audit entry {} has unreadable JSON: {e}", row.id)))
        };
        Ok(AuditEntry {
            before: json(row.before.as_deref())?,
            after: json(row.after.as_deref())?,
            tenant: row.tenant_id.as_deref().map(stored_tenant).transpose()?,
            id: row.id,
            at: from_ms(row.at),
            actor: row.actor,
            action: row.action,
            target: row.target,
        })
    }
}

fn unexpected(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |error| StoreError::Unexpected(crate::unexpected(context)(error))
}

fn sql(statement: String) -> sqlx::AssertSqlSafe<String> {
    // Only ever called with fixed SQL text.
    sqlx::AssertSqlSafe(statement)
}

#[async_trait]
impl AuditLog for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = ?entry.tenant, action = %entry.action))]
    async fn append(&self, entry: &NewAuditEntry) -> Result<(), StoreError> {
        // A retried request appends the same entry (same id) once.
        sqlx::query(
            "INSERT INTO audit_log (id, at, actor, tenant_id, action, target, before, after)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(&entry.id)
        .bind(ms(entry.at))
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
        // Open bounds become the extreme instants, so the time range can use an index.
        let tenant_condition = if query.tenant.is_some() { "tenant_id = ?1" } else { "?1 IS NULL" };
        let rows: Vec<AuditRow> = sqlx::query_as(sql(format!(
            "SELECT id, at, actor, tenant_id, action, target, before, after FROM audit_log
             WHERE {tenant_condition} AND at >= ?2 AND at < ?3
             ORDER BY at, seq LIMIT ?4"
        )))
        .bind(query.tenant.as_ref().map(|tenant| tenant.as_str()))
        .bind(query.from.map_or(i64::MIN, ms))
        .bind(query.to.map_or(i64::MAX, ms))
        .bind(i64::from(query.limit))
        .fetch_all(&self.pool)
        .await
        .map_err(unexpected("reading audit log"))?;
        rows.into_iter().map(AuditEntry::try_from).collect()
    }
}
