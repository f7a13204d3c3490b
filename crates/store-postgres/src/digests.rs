//! `DigestLog` on PostgreSQL: owners' events kept for their daily digest.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_core::{StoreError, TenantId};
use frontdesk_notify::{DigestEntry, DigestLog};

use crate::PostgresStore;
use crate::{store_error as unexpected, tenant_row_error as classify};

#[async_trait]
impl DigestLog for PostgresStore {
    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %tenant))]
    async fn keep_for_digest(&self, tenant: &TenantId, entry: &DigestEntry) -> Result<bool, StoreError> {
        let kept = sqlx::query(
            "INSERT INTO digest_entries (tenant_id, entry_key, event, body, link, at) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (tenant_id, entry_key) DO NOTHING",
        )
        .bind(tenant.as_str())
        .bind(&entry.key)
        .bind(entry.event.as_str())
        .bind(&entry.body)
        .bind(entry.link.as_deref())
        .bind(entry.at)
        .execute(&self.pool)
        .await
        .map_err(classify(tenant, "keeping a digest entry"))?;
        Ok(kept.rows_affected() == 1)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %tenant))]
    async fn digest_entries(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<DigestEntry>, StoreError> {
        let rows: Vec<(String, String, String, Option<String>, DateTime<Utc>)> = sqlx::query_as(
            "SELECT entry_key, event, body, link, at FROM digest_entries
             WHERE tenant_id = $1 AND at >= $2 AND at < $3 ORDER BY at, entry_key",
        )
        .bind(tenant.as_str())
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await
        .map_err(unexpected("reading digest entries"))?;
        rows.into_iter()
            .map(|(key, event, body, link, at)| DigestEntry::from_stored(tenant, key, &event, body, link, at))
            .collect()
    }
}
