//! `TenantStore` on SQLite.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_auth::web::Principal;
use frontdesk_core::{E164, StoreError, TenantId};
use frontdesk_tenant::{
    PurgeOutcome, PutOutcome, PutTenantError, TenantKind, TenantProfile, TenantRecord, TenantStatus, TenantStore,
    TenantSummary, stored_numbers,
};

use crate::SqliteStore;
use crate::calls::{optional_text, text};
use crate::store_error as unexpected;

type TenantRow = (String, String, String, String, DateTime<Utc>, DateTime<Utc>);

fn record(row: TenantRow) -> Result<TenantRecord, StoreError> {
    let (tenant_id, profile, status, kind, created_at, updated_at) = row;
    TenantRecord::from_stored(&tenant_id, &profile, &status, &kind, created_at, updated_at)
}

/// The numbers as a JSON array, for `json_each(?)` (SQLite has no array binds).
fn numbers_json(numbers: &[E164]) -> String {
    serde_json::Value::from(numbers.iter().map(E164::as_str).collect::<Vec<_>>()).to_string()
}

#[async_trait]
impl TenantStore for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %profile.slug()))]
    async fn put_tenant(&self, profile: &TenantProfile) -> Result<PutOutcome, PutTenantError> {
        self.write_tenant(profile, None).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %profile.slug()))]
    async fn create_sandbox(&self, profile: &TenantProfile) -> Result<(), PutTenantError> {
        self.write_tenant(profile, Some(TenantKind::Sandbox)).await.map(|_| ())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %tenant))]
    async fn purge_sandbox(&self, tenant: &TenantId) -> Result<PurgeOutcome, StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(unexpected("beginning purge_sandbox"))?;
        let kind: Option<String> = sqlx::query_scalar("SELECT kind FROM tenants WHERE tenant_id = ?1")
            .bind(tenant.as_str())
            .fetch_optional(&mut *tx)
            .await
            .map_err(unexpected("reading tenant kind"))?;
        match kind.as_deref().map(TenantKind::parse) {
            None => return Err(StoreError::NotFound(tenant.clone())),
            Some(Some(TenantKind::Sandbox)) => {}
            Some(Some(TenantKind::Live)) => return Ok(PurgeOutcome::Live),
            Some(None) => return Err(StoreError::corrupt(tenant.as_str(), format!("unknown kind {kind:?}"))),
        }
        for statement in PURGE {
            sqlx::query(statement)
                .bind(tenant.as_str())
                .execute(&mut *tx)
                .await
                .map_err(unexpected("purging a sandbox tenant"))?;
        }
        // Its owner's sessions: keyed by principal, not by tenant id.
        sqlx::query("DELETE FROM web_sessions WHERE principal = ?1")
            .bind(Principal::Owner(tenant.clone()).key())
            .execute(&mut *tx)
            .await
            .map_err(unexpected("ending a sandbox owner's sessions"))?;
        tx.commit().await.map_err(unexpected("committing purge_sandbox"))?;
        Ok(PurgeOutcome::Purged)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %tenant))]
    async fn get_tenant(&self, tenant: &TenantId) -> Result<Option<TenantRecord>, StoreError> {
        let row: Option<TenantRow> = sqlx::query_as(
            "SELECT tenant_id, profile, status, kind, created_at, updated_at FROM tenants WHERE tenant_id = ?1",
        )
        .bind(tenant.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(unexpected("reading tenant"))?;
        row.map(record).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_tenants(&self) -> Result<Vec<TenantRecord>, StoreError> {
        let rows: Vec<TenantRow> = sqlx::query_as(
            "SELECT tenant_id, profile, status, kind, created_at, updated_at FROM tenants ORDER BY tenant_id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(unexpected("listing tenants"))?;
        rows.into_iter().map(record).collect()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn tenant_summaries(&self) -> Result<Vec<TenantSummary>, StoreError> {
        // Out of the stored document, without parsing it into a profile; on
        // the direct connection, each value read where it sits in the row
        // (the pool's driver copies every value of every row first).
        let rows = self
            .direct
            .run(|conn| {
                let mut statement = conn.prepare_cached(
                    "SELECT tenant_id, json_extract(profile, '$.name'), json_extract(profile, '$.timezone'),
                     json_array_length(profile, '$.phone_numbers'), status, kind FROM tenants ORDER BY tenant_id",
                )?;
                let rows = statement.query_map([], |row| {
                    let (tenant_id, status, kind) = (text(row, 0)?, text(row, 4)?, text(row, 5)?);
                    let (name, timezone) = (optional_text(row, 1)?, optional_text(row, 2)?);
                    Ok(TenantSummary::from_stored(tenant_id, name, timezone, row.get(3)?, status, kind))
                })?;
                rows.collect::<rusqlite::Result<Vec<_>>>()
            })
            .await;
        let rows =
            rows.map_err(|e| StoreError::Unexpected(anyhow::Error::new(e).context("listing tenant summaries")))?;
        rows.into_iter().collect()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %tenant))]
    async fn set_tenant_status(&self, tenant: &TenantId, status: TenantStatus) -> Result<TenantRecord, StoreError> {
        let row: Option<TenantRow> = sqlx::query_as(
            "UPDATE tenants SET status = ?2, updated_at = ?3 WHERE tenant_id = ?1
             RETURNING tenant_id, profile, status, kind, created_at, updated_at",
        )
        .bind(tenant.as_str())
        .bind(status.as_str())
        .bind(self.clock.now())
        .fetch_optional(&self.pool)
        .await
        .map_err(unexpected("changing tenant status"))?;
        row.map(record).transpose()?.ok_or_else(|| StoreError::NotFound(tenant.clone()))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(number = %number.last_four()))]
    async fn tenant_by_number(&self, number: &E164) -> Result<Option<TenantRecord>, StoreError> {
        let row: Option<TenantRow> = sqlx::query_as(
            "SELECT t.tenant_id, t.profile, t.status, t.kind, t.created_at, t.updated_at
             FROM tenant_phone_numbers n JOIN tenants t ON t.tenant_id = n.tenant_id
             WHERE n.phone_number = ?1",
        )
        .bind(number.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(unexpected("finding tenant by number"))?;
        row.map(record).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %tenant))]
    async fn numbers_owned_elsewhere(&self, tenant: &TenantId, numbers: &[E164]) -> Result<Vec<E164>, StoreError> {
        let taken: Vec<String> = sqlx::query_scalar(
            "SELECT phone_number FROM tenant_phone_numbers
             WHERE tenant_id <> ?1 AND phone_number IN (SELECT value FROM json_each(?2))
             ORDER BY phone_number",
        )
        .bind(tenant.as_str())
        .bind(numbers_json(numbers))
        .fetch_all(&self.pool)
        .await
        .map_err(unexpected("checking phone number owners"))?;
        stored_numbers(taken)
    }
}

/// Every row kept for a tenant, children first. The audit log stays (it
/// outlives what it describes); a provider event keeps its id (so a replay
/// is still recognised) and forgets the tenant.
const PURGE: [&str; 29] = [
    "DELETE FROM call_replies WHERE call_sid IN (SELECT call_sid FROM calls WHERE tenant_id = ?1)",
    "DELETE FROM callbacks WHERE tenant_id = ?1",
    "DELETE FROM calls WHERE tenant_id = ?1",
    "DELETE FROM call_questions WHERE tenant_id = ?1",
    "DELETE FROM messages WHERE tenant_id = ?1",
    "DELETE FROM knowledge_documents WHERE tenant_id = ?1",
    "DELETE FROM knowledge_versions WHERE tenant_id = ?1",
    "DELETE FROM knowledge_vectors WHERE tenant_id = ?1",
    "DELETE FROM sms_opt_outs WHERE tenant_id = ?1",
    "DELETE FROM sms_offers WHERE tenant_id = ?1",
    "DELETE FROM digest_entries WHERE tenant_id = ?1",
    "DELETE FROM number_orders WHERE tenant_id = ?1",
    "DELETE FROM port_ins WHERE tenant_id = ?1",
    "DELETE FROM texting_registrations WHERE tenant_id = ?1",
    "DELETE FROM calendar_blocks WHERE tenant_id = ?1",
    "DELETE FROM bookings WHERE tenant_id = ?1",
    "DELETE FROM usage_records WHERE tenant_id = ?1",
    "DELETE FROM usage_totals WHERE tenant_id = ?1",
    "DELETE FROM cap_decisions WHERE tenant_id = ?1",
    "DELETE FROM invoices WHERE tenant_id = ?1",
    "DELETE FROM plan_changes WHERE tenant_id = ?1",
    "DELETE FROM flag_overrides WHERE tenant_id = ?1",
    "UPDATE provider_events SET tenant_id = NULL WHERE tenant_id = ?1",
    "DELETE FROM tenant_billing WHERE tenant_id = ?1",
    "DELETE FROM job_effects WHERE job_id IN (SELECT job_id FROM jobs WHERE tenant_id = ?1)",
    "DELETE FROM jobs WHERE tenant_id = ?1",
    "DELETE FROM login_challenges WHERE tenant_id = ?1",
    "DELETE FROM tenant_phone_numbers WHERE tenant_id = ?1",
    "DELETE FROM tenants WHERE tenant_id = ?1",
];

impl SqliteStore {
    /// `put_tenant` (`kind` `None`: create live or replace, keeping the
    /// kind) and `create_sandbox` (`Some`: create only).
    async fn write_tenant(
        &self,
        profile: &TenantProfile,
        create: Option<TenantKind>,
    ) -> Result<PutOutcome, PutTenantError> {
        let tenant = profile.slug().as_str();
        let numbers = numbers_json(profile.phone_numbers());
        let now = self.clock.now();
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(unexpected("beginning put_tenant"))?;

        let taken: Vec<String> = sqlx::query_scalar(
            "SELECT phone_number FROM tenant_phone_numbers
             WHERE tenant_id <> ?1 AND phone_number IN (SELECT value FROM json_each(?2))
             ORDER BY phone_number",
        )
        .bind(tenant)
        .bind(&numbers)
        .fetch_all(&mut *tx)
        .await
        .map_err(unexpected("checking phone number owners"))?;
        if !taken.is_empty() {
            return Err(PutTenantError::PhoneNumbersTaken(stored_numbers(taken)?));
        }

        let updated = if create.is_some() {
            let exists: Option<i64> = sqlx::query_scalar("SELECT 1 FROM tenants WHERE tenant_id = ?1")
                .bind(tenant)
                .fetch_optional(&mut *tx)
                .await
                .map_err(unexpected("checking tenant"))?;
            if exists.is_some() {
                return Err(PutTenantError::Exists(profile.slug().clone()));
            }
            0
        } else {
            sqlx::query("UPDATE tenants SET profile = ?2, updated_at = ?3 WHERE tenant_id = ?1")
                .bind(tenant)
                .bind(profile.to_stored_json())
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(unexpected("updating tenant"))?
                .rows_affected()
        };
        let outcome = if updated == 0 {
            sqlx::query(
                "INSERT INTO tenants (tenant_id, profile, status, kind, created_at, updated_at)
                 VALUES (?1, ?2, 'active', ?4, ?3, ?3)",
            )
            .bind(tenant)
            .bind(profile.to_stored_json())
            .bind(now)
            .bind(create.unwrap_or(TenantKind::Live).as_str())
            .execute(&mut *tx)
            .await
            .map_err(unexpected("inserting tenant"))?;
            PutOutcome::Created
        } else {
            PutOutcome::Replaced
        };

        sqlx::query("DELETE FROM tenant_phone_numbers WHERE tenant_id = ?1")
            .bind(tenant)
            .execute(&mut *tx)
            .await
            .map_err(unexpected("releasing phone numbers"))?;
        sqlx::query("INSERT INTO tenant_phone_numbers (phone_number, tenant_id) SELECT value, ?1 FROM json_each(?2)")
            .bind(tenant)
            .bind(&numbers)
            .execute(&mut *tx)
            .await
            .map_err(unexpected("claiming phone numbers"))?;
        tx.commit().await.map_err(unexpected("committing put_tenant"))?;
        Ok(outcome)
    }
}
