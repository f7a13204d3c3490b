//! `TenantStore` on PostgreSQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_auth::web::Principal;
use frontdesk_core::{E164, StoreError, TenantId};
use frontdesk_tenant::{
    PurgeOutcome, PutOutcome, PutTenantError, TenantKind, TenantProfile, TenantRecord, TenantStatus, TenantStore,
    TenantSummary, stored_numbers,
};

use crate::PostgresStore;
use crate::store_error as unexpected;

type TenantRow = (String, String, String, String, DateTime<Utc>, DateTime<Utc>);

fn record(row: TenantRow) -> Result<TenantRecord, StoreError> {
    let (tenant_id, profile, status, kind, created_at, updated_at) = row;
    TenantRecord::from_stored(&tenant_id, &profile, &status, &kind, created_at, updated_at)
}

/// `tenant_id, name, timezone, phone numbers, status, kind`.
type SummaryRow = (String, Option<String>, Option<String>, Option<i64>, String, String);

fn summary(row: SummaryRow) -> Result<TenantSummary, StoreError> {
    let (tenant_id, name, timezone, numbers, status, kind) = row;
    TenantSummary::from_stored(&tenant_id, name.as_deref(), timezone.as_deref(), numbers, &status, &kind)
}

fn number_strings(numbers: &[E164]) -> Vec<String> {
    numbers.iter().map(ToString::to_string).collect()
}

impl PostgresStore {
    /// `put_tenant` (`create` `None`: create live or replace, keeping the
    /// kind) and `create_sandbox` (`Some`: create only).
    async fn try_put_tenant(
        &self,
        profile: &TenantProfile,
        create: Option<TenantKind>,
    ) -> Result<PutOutcome, PutTenantError> {
        let tenant = profile.slug().as_str();
        let numbers = number_strings(profile.phone_numbers());
        let mut tx = self.pool.begin().await.map_err(unexpected("beginning put_tenant"))?;

        let taken: Vec<String> = sqlx::query_scalar(
            "SELECT phone_number FROM tenant_phone_numbers
             WHERE tenant_id <> $1 AND phone_number = ANY($2)
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

        // The upsert takes the tenant's row lock, so concurrent puts of one
        // tenant serialise here. A create-only insert returns no row when
        // the id is taken.
        let upsert = if create.is_some() {
            "INSERT INTO tenants (tenant_id, profile, status, kind, created_at, updated_at)
             VALUES ($1, $2::jsonb, 'active', $4, $3, $3)
             ON CONFLICT (tenant_id) DO NOTHING
             RETURNING true"
        } else {
            "INSERT INTO tenants (tenant_id, profile, status, kind, created_at, updated_at)
             VALUES ($1, $2::jsonb, 'active', $4, $3, $3)
             ON CONFLICT (tenant_id) DO UPDATE SET profile = EXCLUDED.profile, updated_at = EXCLUDED.updated_at
             RETURNING (xmax = 0)"
        };
        let inserted: Option<bool> = sqlx::query_scalar(upsert)
            .bind(tenant)
            .bind(profile.to_stored_json())
            .bind(self.clock.now())
            .bind(create.unwrap_or(TenantKind::Live).as_str())
            .fetch_optional(&mut *tx)
            .await
            .map_err(unexpected("upserting tenant"))?;
        let Some(inserted) = inserted else {
            return Err(PutTenantError::Exists(profile.slug().clone()));
        };

        sqlx::query("DELETE FROM tenant_phone_numbers WHERE tenant_id = $1")
            .bind(tenant)
            .execute(&mut *tx)
            .await
            .map_err(unexpected("releasing phone numbers"))?;
        sqlx::query("INSERT INTO tenant_phone_numbers (phone_number, tenant_id) SELECT unnest($2::text[]), $1")
            .bind(tenant)
            .bind(&numbers)
            .execute(&mut *tx)
            .await
            .map_err(unexpected("claiming phone numbers"))?;
        tx.commit().await.map_err(unexpected("committing put_tenant"))?;
        Ok(if inserted { PutOutcome::Created } else { PutOutcome::Replaced })
    }

    async fn put_tenant_as(
        &self,
        profile: &TenantProfile,
        create: Option<TenantKind>,
    ) -> Result<PutOutcome, PutTenantError> {
        match self.try_put_tenant(profile, create).await {
            // Another transaction claimed one of our numbers between our check
            // and our insert; the primary key stopped us. Report who won.
            Err(error) if is_unique_violation(&error) => {
                let taken = self.numbers_owned_elsewhere(profile.slug(), profile.phone_numbers()).await?;
                if taken.is_empty() { Err(error) } else { Err(PutTenantError::PhoneNumbersTaken(taken)) }
            }
            other => other,
        }
    }
}

fn is_unique_violation(error: &PutTenantError) -> bool {
    let PutTenantError::Store(StoreError::Unexpected(error)) = error else { return false };
    matches!(error.downcast_ref::<sqlx::Error>(), Some(sqlx::Error::Database(db)) if db.is_unique_violation())
}

#[async_trait]
impl TenantStore for PostgresStore {
    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %profile.slug()))]
    async fn put_tenant(&self, profile: &TenantProfile) -> Result<PutOutcome, PutTenantError> {
        self.put_tenant_as(profile, None).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %profile.slug()))]
    async fn create_sandbox(&self, profile: &TenantProfile) -> Result<(), PutTenantError> {
        self.put_tenant_as(profile, Some(TenantKind::Sandbox)).await.map(|_| ())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %tenant))]
    async fn purge_sandbox(&self, tenant: &TenantId) -> Result<PurgeOutcome, StoreError> {
        let mut tx = self.pool.begin().await.map_err(unexpected("beginning purge_sandbox"))?;
        // The row lock keeps a concurrent put from writing under our feet.
        let kind: Option<String> = sqlx::query_scalar("SELECT kind FROM tenants WHERE tenant_id = $1 FOR UPDATE")
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
        sqlx::query("DELETE FROM web_sessions WHERE principal = $1")
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
            "SELECT tenant_id, profile::text, status, kind, created_at, updated_at FROM tenants WHERE tenant_id = $1",
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
            "SELECT tenant_id, profile::text, status, kind, created_at, updated_at FROM tenants ORDER BY tenant_id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(unexpected("listing tenants"))?;
        rows.into_iter().map(record).collect()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn tenant_summaries(&self) -> Result<Vec<TenantSummary>, StoreError> {
        // Out of the stored document, without parsing it into a profile.
        let rows: Vec<SummaryRow> = sqlx::query_as(
            "SELECT tenant_id, profile->>'name', profile->>'timezone',
             jsonb_array_length(profile->'phone_numbers')::int8, status, kind FROM tenants ORDER BY tenant_id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(unexpected("listing tenant summaries"))?;
        rows.into_iter().map(summary).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %tenant))]
    async fn set_tenant_status(&self, tenant: &TenantId, status: TenantStatus) -> Result<TenantRecord, StoreError> {
        let row: Option<TenantRow> = sqlx::query_as(
            "UPDATE tenants SET status = $2, updated_at = $3 WHERE tenant_id = $1
             RETURNING tenant_id, profile::text, status, kind, created_at, updated_at",
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
            "SELECT t.tenant_id, t.profile::text, t.status, t.kind, t.created_at, t.updated_at
             FROM tenant_phone_numbers n JOIN tenants t ON t.tenant_id = n.tenant_id
             WHERE n.phone_number = $1",
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
             WHERE tenant_id <> $1 AND phone_number = ANY($2)
             ORDER BY phone_number",
        )
        .bind(tenant.as_str())
        .bind(number_strings(numbers))
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
    "DELETE FROM call_replies WHERE call_sid IN (SELECT call_sid FROM calls WHERE tenant_id = $1)",
    "DELETE FROM callbacks WHERE tenant_id = $1",
    "DELETE FROM calls WHERE tenant_id = $1",
    "DELETE FROM call_questions WHERE tenant_id = $1",
    "DELETE FROM messages WHERE tenant_id = $1",
    "DELETE FROM knowledge_documents WHERE tenant_id = $1",
    "DELETE FROM knowledge_versions WHERE tenant_id = $1",
    "DELETE FROM knowledge_vectors WHERE tenant_id = $1",
    "DELETE FROM sms_opt_outs WHERE tenant_id = $1",
    "DELETE FROM sms_offers WHERE tenant_id = $1",
    "DELETE FROM digest_entries WHERE tenant_id = $1",
    "DELETE FROM number_orders WHERE tenant_id = $1",
    "DELETE FROM port_ins WHERE tenant_id = $1",
    "DELETE FROM texting_registrations WHERE tenant_id = $1",
    "DELETE FROM calendar_blocks WHERE tenant_id = $1",
    "DELETE FROM bookings WHERE tenant_id = $1",
    "DELETE FROM usage_records WHERE tenant_id = $1",
    "DELETE FROM usage_totals WHERE tenant_id = $1",
    "DELETE FROM cap_decisions WHERE tenant_id = $1",
    "DELETE FROM invoices WHERE tenant_id = $1",
    "DELETE FROM plan_changes WHERE tenant_id = $1",
    "DELETE FROM flag_overrides WHERE tenant_id = $1",
    "UPDATE provider_events SET tenant_id = NULL WHERE tenant_id = $1",
    "DELETE FROM tenant_billing WHERE tenant_id = $1",
    "DELETE FROM job_effects WHERE job_id IN (SELECT job_id FROM jobs WHERE tenant_id = $1)",
    "DELETE FROM jobs WHERE tenant_id = $1",
    "DELETE FROM login_challenges WHERE tenant_id = $1",
    "DELETE FROM tenant_phone_numbers WHERE tenant_id = $1",
    "DELETE FROM tenants WHERE tenant_id = $1",
];
