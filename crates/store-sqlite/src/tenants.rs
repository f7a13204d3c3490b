//! `TenantStore` on SQLite.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_core::{E164, StoreError, TenantId};
use frontdesk_tenant::{
    PutOutcome, PutTenantError, TenantProfile, TenantRecord, TenantStatus, TenantStore, stored_numbers,
};

use crate::SqliteStore;

type TenantRow = (String, String, String, DateTime<Utc>, DateTime<Utc>);

fn unexpected(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |error| StoreError::Unexpected(crate::unexpected(context)(error))
}

fn record(row: TenantRow) -> Result<TenantRecord, StoreError> {
    let (tenant_id, profile, status, created_at, updated_at) = row;
    TenantRecord::from_stored(&tenant_id, &profile, &status, created_at, updated_at)
}

/// The numbers as a JSON array, for `json_each(?)` (SQLite has no array binds).
fn numbers_json(numbers: &[E164]) -> String {
    serde_json::Value::from(numbers.iter().map(E164::as_str).collect::<Vec<_>>()).to_string()
}

#[async_trait]
impl TenantStore for SqliteStore {
    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %profile.slug()))]
    async fn put_tenant(&self, profile: &TenantProfile) -> Result<PutOutcome, PutTenantError> {
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

        let updated = sqlx::query("UPDATE tenants SET profile = ?2, updated_at = ?3 WHERE tenant_id = ?1")
            .bind(tenant)
            .bind(profile.to_stored_json())
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(unexpected("updating tenant"))?;
        let outcome = if updated.rows_affected() == 0 {
            sqlx::query(
                "INSERT INTO tenants (tenant_id, profile, status, created_at, updated_at)
                 VALUES (?1, ?2, 'active', ?3, ?3)",
            )
            .bind(tenant)
            .bind(profile.to_stored_json())
            .bind(now)
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

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %tenant))]
    async fn get_tenant(&self, tenant: &TenantId) -> Result<Option<TenantRecord>, StoreError> {
        let row: Option<TenantRow> = sqlx::query_as(
            "SELECT tenant_id, profile, status, created_at, updated_at FROM tenants WHERE tenant_id = ?1",
        )
        .bind(tenant.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(unexpected("reading tenant"))?;
        row.map(record).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_tenants(&self) -> Result<Vec<TenantRecord>, StoreError> {
        let rows: Vec<TenantRow> =
            sqlx::query_as("SELECT tenant_id, profile, status, created_at, updated_at FROM tenants ORDER BY tenant_id")
                .fetch_all(&self.pool)
                .await
                .map_err(unexpected("listing tenants"))?;
        rows.into_iter().map(record).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %tenant))]
    async fn set_tenant_status(&self, tenant: &TenantId, status: TenantStatus) -> Result<TenantRecord, StoreError> {
        let row: Option<TenantRow> = sqlx::query_as(
            "UPDATE tenants SET status = ?2, updated_at = ?3 WHERE tenant_id = ?1
             RETURNING tenant_id, profile, status, created_at, updated_at",
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
            "SELECT t.tenant_id, t.profile, t.status, t.created_at, t.updated_at
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
