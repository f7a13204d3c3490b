//! `FlagStore` on PostgreSQL: the plan lives in the tenant's `tenant_billing`
//! row, overrides in `flag_overrides`, every plan change in `plan_changes`
//! (with the jobs it causes, in the same transaction).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_core::{Plan, StoreError, TenantId};
use frontdesk_flags::{Flag, FlagStore, TenantFlagSettings, stored_plan};
use frontdesk_jobs::NewJob;

use crate::PostgresStore;
use crate::billing::{account_for_update, enqueue_jobs};
use crate::store_error as unexpected;

#[async_trait]
impl FlagStore for PostgresStore {
    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %tenant))]
    async fn flag_settings(&self, tenant: &TenantId) -> Result<Option<TenantFlagSettings>, StoreError> {
        // One snapshot for both reads, so the plan and the overrides are from the same moment.
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await
            .map_err(unexpected("beginning flag_settings"))?;
        let plan: Option<Option<String>> = sqlx::query_scalar(
            "SELECT b.plan FROM tenants t LEFT JOIN tenant_billing b ON b.tenant_id = t.tenant_id
             WHERE t.tenant_id = $1",
        )
        .bind(tenant.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(unexpected("reading plan"))?;
        let Some(plan) = plan else { return Ok(None) };
        let rows: Vec<(String, bool)> = sqlx::query_as("SELECT flag, enabled FROM flag_overrides WHERE tenant_id = $1")
            .bind(tenant.as_str())
            .fetch_all(&mut *tx)
            .await
            .map_err(unexpected("reading flag overrides"))?;
        tx.commit().await.map_err(unexpected("ending flag_settings"))?;
        TenantFlagSettings::from_stored(tenant, plan.as_deref(), rows).map(Some)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %tenant, %plan))]
    async fn set_plan(
        &self,
        tenant: &TenantId,
        plan: Plan,
        at: DateTime<Utc>,
        jobs: &[NewJob],
    ) -> Result<Plan, StoreError> {
        let now = self.clock.now();
        let mut tx = self.pool.begin().await.map_err(unexpected("beginning set_plan"))?;
        let account = account_for_update(&mut tx, tenant).await?.ok_or_else(|| StoreError::NotFound(tenant.clone()))?;
        let previous = stored_plan(tenant, account.plan.as_deref())?;
        sqlx::query("UPDATE tenant_billing SET plan = $2 WHERE tenant_id = $1")
            .bind(tenant.as_str())
            .bind(plan.as_str())
            .execute(&mut *tx)
            .await
            .map_err(unexpected("setting plan"))?;
        sqlx::query("INSERT INTO plan_changes (tenant_id, plan, at) VALUES ($1, $2, $3)")
            .bind(tenant.as_str())
            .bind(plan.as_str())
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(unexpected("recording plan change"))?;
        enqueue_jobs(&mut tx, jobs, now).await?;
        tx.commit().await.map_err(unexpected("committing set_plan"))?;
        Ok(previous)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %tenant, %flag, ?value))]
    async fn set_flag_override(
        &self,
        tenant: &TenantId,
        flag: Flag,
        value: Option<bool>,
        at: DateTime<Utc>,
    ) -> Result<Option<bool>, StoreError> {
        let mut tx = self.pool.begin().await.map_err(unexpected("beginning set_flag_override"))?;
        account_for_update(&mut tx, tenant).await?.ok_or_else(|| StoreError::NotFound(tenant.clone()))?;
        let previous: Option<bool> =
            sqlx::query_scalar("SELECT enabled FROM flag_overrides WHERE tenant_id = $1 AND flag = $2")
                .bind(tenant.as_str())
                .bind(flag.as_str())
                .fetch_optional(&mut *tx)
                .await
                .map_err(unexpected("reading flag override"))?;
        let write = match value {
            Some(enabled) => sqlx::query(
                "INSERT INTO flag_overrides (tenant_id, flag, enabled, updated_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (tenant_id, flag) DO UPDATE SET enabled = EXCLUDED.enabled,
                     updated_at = EXCLUDED.updated_at",
            )
            .bind(tenant.as_str())
            .bind(flag.as_str())
            .bind(enabled)
            .bind(at),
            None => sqlx::query("DELETE FROM flag_overrides WHERE tenant_id = $1 AND flag = $2")
                .bind(tenant.as_str())
                .bind(flag.as_str()),
        };
        write.execute(&mut *tx).await.map_err(unexpected("writing flag override"))?;
        tx.commit().await.map_err(unexpected("committing set_flag_override"))?;
        Ok(previous)
    }
}
