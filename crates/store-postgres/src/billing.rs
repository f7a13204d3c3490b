//! `UsageStore` and `BillingStore` on PostgreSQL. "Once per key" is a
//! unique constraint with `ON CONFLICT DO NOTHING`, so a concurrent duplicate
//! waits for the first and then inserts nothing; account writes lock the
//! tenant's `tenant_billing` row, so they serialise per tenant.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_billing::{
    AccountChange, BillingAccount, BillingPeriod, BillingStore, CallModelUsage, CapDecision, DailyCost, Invoice,
    NewUsage, PlanChange, StoredInvoice, TenantBilling, UsageKind, UsageStore, UsageSum, UsageTotals, usage_by_call,
};
use frontdesk_core::{StoreError, TenantId, stored_tenant};
use frontdesk_jobs::NewJob;
use sqlx::PgConnection;

use crate::PostgresStore;
use crate::jobs::enqueue_on;
use crate::{store_error as unexpected, tenant_row_error as classify};

const ACCOUNT_COLUMNS: &str =
    "plan, minute_cap, stripe_customer_id, stripe_subscription_id, subscription_status, past_due_since";

const INVOICE_COLUMNS: &str =
    "tenant_id, period, status, currency, total, lines::text AS lines, updated_at, finalized_at";

/// A `tenant_billing` row; every column NULL when nothing was recorded.
#[derive(sqlx::FromRow)]
pub(crate) struct AccountRow {
    pub(crate) plan: Option<String>,
    minute_cap: Option<i64>,
    stripe_customer_id: Option<String>,
    stripe_subscription_id: Option<String>,
    subscription_status: Option<String>,
    past_due_since: Option<DateTime<Utc>>,
}

impl From<AccountRow> for BillingAccount {
    fn from(row: AccountRow) -> BillingAccount {
        BillingAccount {
            stripe_customer_id: row.stripe_customer_id,
            stripe_subscription_id: row.stripe_subscription_id,
            subscription_status: row.subscription_status,
            past_due_since: row.past_due_since,
            minute_cap: row.minute_cap,
        }
    }
}

/// A tenant and its account, as every tenant's are read at once.
#[derive(sqlx::FromRow)]
struct TenantAccountRow {
    tenant_id: String,
    #[sqlx(flatten)]
    account: AccountRow,
}

#[derive(sqlx::FromRow)]
struct InvoiceRow {
    tenant_id: String,
    period: String,
    status: String,
    currency: String,
    total: i64,
    lines: String,
    updated_at: DateTime<Utc>,
    finalized_at: Option<DateTime<Utc>>,
}

impl TryFrom<InvoiceRow> for StoredInvoice {
    type Error = StoreError;
    fn try_from(row: InvoiceRow) -> Result<StoredInvoice, StoreError> {
        StoredInvoice::from_stored(
            &row.tenant_id,
            &row.period,
            &row.status,
            row.currency,
            row.total,
            &row.lines,
            row.updated_at,
            row.finalized_at,
        )
    }
}

fn sql(statement: String) -> sqlx::AssertSqlSafe<String> {
    // Only ever called with the column lists and fixed SQL text.
    sqlx::AssertSqlSafe(statement)
}

/// The tenant's account row, created empty if missing and locked until the
/// caller's transaction ends. `None` when the tenant does not exist.
pub(crate) async fn account_for_update(
    conn: &mut PgConnection,
    tenant: &TenantId,
) -> Result<Option<AccountRow>, StoreError> {
    sqlx::query(
        "INSERT INTO tenant_billing (tenant_id) SELECT tenant_id FROM tenants WHERE tenant_id = $1
         ON CONFLICT (tenant_id) DO NOTHING",
    )
    .bind(tenant.as_str())
    .execute(&mut *conn)
    .await
    .map_err(unexpected("creating billing account"))?;
    sqlx::query_as(sql(format!("SELECT {ACCOUNT_COLUMNS} FROM tenant_billing WHERE tenant_id = $1 FOR UPDATE")))
        .bind(tenant.as_str())
        .fetch_optional(&mut *conn)
        .await
        .map_err(unexpected("locking billing account"))
}

async fn ensure_tenant(conn: &mut PgConnection, tenant: &TenantId) -> Result<(), StoreError> {
    let found: Option<i32> = sqlx::query_scalar("SELECT 1 FROM tenants WHERE tenant_id = $1")
        .bind(tenant.as_str())
        .fetch_optional(&mut *conn)
        .await
        .map_err(unexpected("checking tenant"))?;
    found.map(|_| ()).ok_or_else(|| StoreError::NotFound(tenant.clone()))
}

/// Enqueues `jobs` in the caller's transaction, through the adapter's one `enqueue_on`.
pub(crate) async fn enqueue_jobs(
    conn: &mut PgConnection,
    jobs: &[NewJob],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for job in jobs {
        enqueue_on(conn, job, now)
            .await
            .map_err(|e| StoreError::Unexpected(anyhow::Error::new(e).context("enqueueing jobs")))?;
    }
    Ok(())
}

async fn invoice_of(
    conn: &mut PgConnection,
    tenant: &TenantId,
    period: BillingPeriod,
) -> Result<Option<StoredInvoice>, StoreError> {
    let row: Option<InvoiceRow> =
        sqlx::query_as(sql(format!("SELECT {INVOICE_COLUMNS} FROM invoices WHERE tenant_id = $1 AND period = $2")))
            .bind(tenant.as_str())
            .bind(period.to_string())
            .fetch_optional(&mut *conn)
            .await
            .map_err(unexpected("reading invoice"))?;
    row.map(StoredInvoice::try_from).transpose()
}

#[async_trait]
impl UsageStore for PostgresStore {
    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %usage.tenant, key = %usage.key))]
    async fn record_usage(&self, usage: &NewUsage, jobs: &[NewJob]) -> Result<bool, StoreError> {
        let now = self.clock.now();
        let mut tx = self.pool.begin().await.map_err(unexpected("beginning record_usage"))?;
        let recorded: Option<String> = sqlx::query_scalar(
            "INSERT INTO usage_records (id, tenant_id, kind, quantity, key, period, occurred_at, cost_micros)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (tenant_id, key) DO NOTHING
             RETURNING id",
        )
        .bind(&usage.id)
        .bind(usage.tenant.as_str())
        .bind(usage.kind.as_str())
        .bind(usage.quantity)
        .bind(&usage.key)
        .bind(usage.period.to_string())
        .bind(usage.occurred_at)
        .bind(usage.cost_micros)
        .fetch_optional(&mut *tx)
        .await
        .map_err(classify(&usage.tenant, "recording usage"))?;
        if recorded.is_none() {
            return Ok(false);
        }
        enqueue_jobs(&mut tx, jobs, now).await?;
        tx.commit().await.map_err(unexpected("committing usage"))?;
        Ok(true)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %tenant, %period))]
    async fn usage_totals(&self, tenant: &TenantId, period: BillingPeriod) -> Result<UsageTotals, StoreError> {
        let mut conn = self.lean.get().await.map_err(unexpected("borrowing a connection"))?;
        let rows: Vec<(String, i64, i64)> =
            sqlx::query_as("SELECT kind, quantity, cost_micros FROM usage_totals WHERE tenant_id = $1 AND period = $2")
                .bind(tenant.as_str())
                .bind(period.to_string())
                .fetch_all(&mut *conn)
                .await
                .map_err(unexpected("summing usage"))?;
        conn.finished();
        UsageTotals::from_stored(tenant, rows)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %tenant))]
    async fn call_model_usage(
        &self,
        tenant: &TenantId,
        call_sid: &str,
        since: DateTime<Utc>,
    ) -> Result<CallModelUsage, StoreError> {
        // The records that may name the call; `usage_by_call` keeps those
        // that do, as for many calls.
        let rows: Vec<(String, String, String, i64, i64)> = sqlx::query_as(
            "SELECT tenant_id, kind, key, quantity, cost_micros FROM usage_records
             WHERE tenant_id = $1 AND kind IN ('llm_tokens', 'outbound_minutes', 'forwarded_minutes')
                 AND occurred_at >= $3 AND (strpos(key, ':' || $2 || ':') > 0 OR key = 'call:' || $2)",
        )
        .bind(tenant.as_str())
        .bind(call_sid)
        .bind(since)
        .fetch_all(&self.pool)
        .await
        .map_err(unexpected("summing a call's model usage"))?;
        let call = (tenant.clone(), call_sid.to_owned());
        Ok(usage_by_call(std::slice::from_ref(&call), rows).remove(&call).unwrap_or_default())
    }

    async fn calls_model_usage(
        &self,
        calls: &[(TenantId, String)],
        since: DateTime<Utc>,
    ) -> Result<HashMap<(TenantId, String), CallModelUsage>, StoreError> {
        let Some((first, _)) = calls.first() else { return Ok(HashMap::new()) };
        // One tenant's calls (a shop's page) read that tenant's records only;
        // both from the covering indexes by (tenant,) kind and time alone.
        let rows: Vec<(String, String, String, i64, i64)> = if calls.iter().all(|(tenant, _)| tenant == first) {
            sqlx::query_as(
                "SELECT tenant_id, kind, key, quantity, cost_micros FROM usage_records
                 WHERE tenant_id = $1 AND kind IN ('llm_tokens', 'outbound_minutes', 'forwarded_minutes')
                     AND occurred_at >= $2",
            )
            .bind(first.as_str())
            .bind(since)
            .fetch_all(&self.pool)
            .await
        } else {
            sqlx::query_as(
                "SELECT tenant_id, kind, key, quantity, cost_micros FROM usage_records
                 WHERE kind IN ('llm_tokens', 'outbound_minutes', 'forwarded_minutes') AND occurred_at >= $1",
            )
            .bind(since)
            .fetch_all(&self.pool)
            .await
        }
        .map_err(unexpected("summing calls' model usage"))?;
        Ok(usage_by_call(calls, rows))
    }

    async fn usage_totals_of_all_tenants(
        &self,
        period: BillingPeriod,
    ) -> Result<HashMap<TenantId, UsageTotals>, StoreError> {
        let rows: Vec<(String, String, i64, i64)> =
            sqlx::query_as("SELECT tenant_id, kind, quantity, cost_micros FROM usage_totals WHERE period = $1")
                .bind(period.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(unexpected("summing every tenant's usage"))?;
        let mut by_tenant: HashMap<String, Vec<(String, i64, i64)>> = HashMap::new();
        for (tenant, kind, quantity, cost_micros) in rows {
            by_tenant.entry(tenant).or_default().push((kind, quantity, cost_micros));
        }
        by_tenant
            .into_iter()
            .map(|(tenant, rows)| {
                let tenant = stored_tenant(&tenant)?;
                let totals = UsageTotals::from_stored(&tenant, rows)?;
                Ok((tenant, totals))
            })
            .collect()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn daily_costs_of_all_tenants(&self, since: DateTime<Utc>) -> Result<Vec<DailyCost>, StoreError> {
        let rows: Vec<(String, chrono::NaiveDate, i64)> = sqlx::query_as(
            "SELECT tenant_id, (occurred_at AT TIME ZONE 'UTC')::date, SUM(cost_micros)::int8 FROM usage_records
             WHERE occurred_at >= $1 GROUP BY 1, 2 ORDER BY 1, 2",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await
        .map_err(unexpected("summing every tenant's daily costs"))?;
        rows.into_iter()
            .map(|(tenant, day, cost_micros)| Ok(DailyCost { tenant: stored_tenant(&tenant)?, day, cost_micros }))
            .collect()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(kind = kind.as_str()))]
    async fn usage_of_kind_of_all_tenants(
        &self,
        kind: UsageKind,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<HashMap<TenantId, UsageSum>, StoreError> {
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT tenant_id, SUM(quantity)::int8, SUM(cost_micros)::int8 FROM usage_records
             WHERE kind = $1 AND occurred_at >= $2 AND occurred_at < $3 GROUP BY tenant_id",
        )
        .bind(kind.as_str())
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await
        .map_err(unexpected("summing every tenant's usage of a kind"))?;
        rows.into_iter()
            .map(|(tenant, quantity, cost_micros)| Ok((stored_tenant(&tenant)?, UsageSum { quantity, cost_micros })))
            .collect()
    }
}

#[async_trait]
impl BillingStore for PostgresStore {
    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %tenant))]
    async fn billing_account(&self, tenant: &TenantId) -> Result<BillingAccount, StoreError> {
        let mut conn = self.lean.get().await.map_err(unexpected("borrowing a connection"))?;
        let row: Option<AccountRow> = sqlx::query_as(
            "SELECT b.plan, b.minute_cap, b.stripe_customer_id, b.stripe_subscription_id, b.subscription_status,
                 b.past_due_since
             FROM tenants t LEFT JOIN tenant_billing b ON b.tenant_id = t.tenant_id
             WHERE t.tenant_id = $1",
        )
        .bind(tenant.as_str())
        .fetch_optional(&mut *conn)
        .await
        .map_err(unexpected("reading billing account"))?;
        conn.finished();
        row.map(BillingAccount::from).ok_or_else(|| StoreError::NotFound(tenant.clone()))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %tenant))]
    async fn set_stripe_ids(
        &self,
        tenant: &TenantId,
        customer_id: &str,
        subscription_id: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(unexpected("beginning set_stripe_ids"))?;
        account_for_update(&mut tx, tenant).await?.ok_or_else(|| StoreError::NotFound(tenant.clone()))?;
        // A subscription id learned earlier is kept when only the customer is known now.
        sqlx::query(
            "UPDATE tenant_billing
             SET stripe_customer_id = $2, stripe_subscription_id = COALESCE($3, stripe_subscription_id)
             WHERE tenant_id = $1",
        )
        .bind(tenant.as_str())
        .bind(customer_id)
        .bind(subscription_id)
        .execute(&mut *tx)
        .await
        .map_err(|error| match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Unexpected(anyhow::anyhow!(
                "Stripe customer {customer_id} already belongs to another tenant"
            )),
            _ => unexpected("setting Stripe ids")(error),
        })?;
        tx.commit().await.map_err(unexpected("committing Stripe ids"))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %tenant))]
    async fn set_minute_cap(&self, tenant: &TenantId, minutes: Option<i64>) -> Result<Option<i64>, StoreError> {
        let mut tx = self.pool.begin().await.map_err(unexpected("beginning set_minute_cap"))?;
        let account = account_for_update(&mut tx, tenant).await?.ok_or_else(|| StoreError::NotFound(tenant.clone()))?;
        sqlx::query("UPDATE tenant_billing SET minute_cap = $2 WHERE tenant_id = $1")
            .bind(tenant.as_str())
            .bind(minutes)
            .execute(&mut *tx)
            .await
            .map_err(unexpected("setting minute cap"))?;
        tx.commit().await.map_err(unexpected("committing minute cap"))?;
        Ok(account.minute_cap)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn tenant_by_stripe_customer(&self, customer_id: &str) -> Result<Option<TenantId>, StoreError> {
        let tenant: Option<String> =
            sqlx::query_scalar("SELECT tenant_id FROM tenant_billing WHERE stripe_customer_id = $1")
                .bind(customer_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(unexpected("finding tenant by Stripe customer"))?;
        tenant.as_deref().map(stored_tenant).transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(event_id = %event_id, event_type = %event_type))]
    async fn apply_provider_event(
        &self,
        event_id: &str,
        event_type: &str,
        change: Option<(&TenantId, &AccountChange)>,
        received_at: DateTime<Utc>,
        jobs: &[NewJob],
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await.map_err(unexpected("beginning provider event"))?;
        let recorded: Option<String> = sqlx::query_scalar(
            "INSERT INTO provider_events (event_id, event_type, tenant_id, received_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (event_id) DO NOTHING
             RETURNING event_id",
        )
        .bind(event_id)
        .bind(event_type)
        .bind(change.map(|(tenant, _)| tenant.as_str()))
        .bind(received_at)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|error| match change {
            Some((tenant, _)) => classify(tenant, "recording provider event")(error),
            None => unexpected("recording provider event")(error),
        })?;
        if recorded.is_none() {
            return Ok(false);
        }
        if let Some((tenant, change)) = change {
            account_for_update(&mut tx, tenant).await?.ok_or_else(|| StoreError::NotFound(tenant.clone()))?;
            let update = match change {
                AccountChange::PaymentFailed { at } => {
                    sqlx::query("UPDATE tenant_billing SET past_due_since = COALESCE(past_due_since, $2) WHERE tenant_id = $1")
                        .bind(tenant.as_str())
                        .bind(*at)
                }
                AccountChange::Paid => {
                    sqlx::query("UPDATE tenant_billing SET past_due_since = NULL WHERE tenant_id = $1").bind(tenant.as_str())
                }
                AccountChange::Subscription { id, status } => sqlx::query(
                    // The cancellation of a subscription that is no longer the
                    // tenant's (replaced after it ended; Stripe does not order
                    // its events) is history and changes nothing.
                    "UPDATE tenant_billing SET stripe_subscription_id = $2, subscription_status = $3
                     WHERE tenant_id = $1
                       AND NOT ($3 = 'canceled' AND stripe_subscription_id IS NOT NULL AND stripe_subscription_id <> $2)",
                )
                .bind(tenant.as_str())
                .bind(id)
                .bind(status),
            };
            update.execute(&mut *tx).await.map_err(unexpected("applying provider event"))?;
        }
        enqueue_jobs(&mut tx, jobs, self.clock.now()).await?;
        tx.commit().await.map_err(unexpected("committing provider event"))?;
        Ok(true)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %tenant))]
    async fn plan_changes(&self, tenant: &TenantId) -> Result<Vec<PlanChange>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(unexpected("acquiring a connection"))?;
        let rows: Vec<(String, DateTime<Utc>)> =
            sqlx::query_as("SELECT plan, at FROM plan_changes WHERE tenant_id = $1 ORDER BY at, change_id")
                .bind(tenant.as_str())
                .fetch_all(&mut *conn)
                .await
                .map_err(unexpected("reading plan history"))?;
        if rows.is_empty() {
            ensure_tenant(&mut conn, tenant).await?;
        }
        rows.into_iter().map(|(plan, at)| PlanChange::from_stored(tenant, &plan, at)).collect()
    }

    async fn billing_of_all_tenants(&self, period: BillingPeriod) -> Result<Vec<TenantBilling>, StoreError> {
        // One read-only transaction (repeatable read): the accounts,
        // histories and decisions of one moment.
        let mut tx = self.pool.begin().await.map_err(unexpected("beginning to read every tenant's billing"))?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .execute(&mut *tx)
            .await
            .map_err(unexpected("setting the isolation level"))?;
        let accounts: Vec<TenantAccountRow> = sqlx::query_as(
            "SELECT t.tenant_id, b.plan, b.minute_cap, b.stripe_customer_id, b.stripe_subscription_id,
                 b.subscription_status, b.past_due_since
             FROM tenants t LEFT JOIN tenant_billing b ON b.tenant_id = t.tenant_id ORDER BY t.tenant_id",
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(unexpected("reading every billing account"))?;
        let changes: Vec<(String, String, DateTime<Utc>)> =
            sqlx::query_as("SELECT tenant_id, plan, at FROM plan_changes ORDER BY at, change_id")
                .fetch_all(&mut *tx)
                .await
                .map_err(unexpected("reading every plan history"))?;
        // Within one instant, the soft decision before the hard one.
        let decisions: Vec<(String, String, String, i64, i64, DateTime<Utc>)> = sqlx::query_as(
            "SELECT tenant_id, metric, level, cap, used, decided_at FROM cap_decisions WHERE period = $1
             ORDER BY decided_at, metric DESC, cap, level DESC",
        )
        .bind(period.to_string())
        .fetch_all(&mut *tx)
        .await
        .map_err(unexpected("reading every tenant's cap decisions"))?;
        tx.commit().await.map_err(unexpected("ending the read of every tenant's billing"))?;
        let accounts = accounts.into_iter().map(|row| (row.tenant_id, BillingAccount::from(row.account))).collect();
        TenantBilling::from_stored(period, accounts, changes, decisions)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %decision.tenant, period = %decision.period))]
    async fn record_cap_decision(&self, decision: &CapDecision, jobs: &[NewJob]) -> Result<bool, StoreError> {
        let now = self.clock.now();
        let mut tx = self.pool.begin().await.map_err(unexpected("beginning cap decision"))?;
        let recorded: Option<i32> = sqlx::query_scalar(
            "INSERT INTO cap_decisions (tenant_id, period, level, cap, used, decided_at, metric)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (tenant_id, period, metric, level, cap) DO NOTHING
             RETURNING 1",
        )
        .bind(decision.tenant.as_str())
        .bind(decision.period.to_string())
        .bind(decision.level.as_str())
        .bind(decision.cap)
        .bind(decision.used)
        .bind(decision.decided_at)
        .bind(decision.metric.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(classify(&decision.tenant, "recording cap decision"))?;
        if recorded.is_none() {
            return Ok(false);
        }
        enqueue_jobs(&mut tx, jobs, now).await?;
        tx.commit().await.map_err(unexpected("committing cap decision"))?;
        Ok(true)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %tenant, %period))]
    async fn cap_decisions(&self, tenant: &TenantId, period: BillingPeriod) -> Result<Vec<CapDecision>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(unexpected("acquiring a connection"))?;
        // Within one instant, the soft decision before the hard one.
        let rows: Vec<(String, String, i64, i64, DateTime<Utc>)> = sqlx::query_as(
            "SELECT metric, level, cap, used, decided_at FROM cap_decisions WHERE tenant_id = $1 AND period = $2
             ORDER BY decided_at, metric DESC, cap, level DESC",
        )
        .bind(tenant.as_str())
        .bind(period.to_string())
        .fetch_all(&mut *conn)
        .await
        .map_err(unexpected("reading cap decisions"))?;
        if rows.is_empty() {
            ensure_tenant(&mut conn, tenant).await?;
        }
        rows.into_iter()
            .map(|(metric, level, cap, used, decided_at)| {
                CapDecision::from_stored(tenant, period, &metric, &level, cap, used, decided_at)
            })
            .collect()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %tenant, %period))]
    async fn put_draft_invoice(
        &self,
        tenant: &TenantId,
        period: BillingPeriod,
        invoice: &Invoice,
        at: DateTime<Utc>,
    ) -> Result<StoredInvoice, StoreError> {
        let lines = serde_json::to_string(&invoice.lines)
            .map_err(|e| StoreError::Unexpected(anyhow::Error::new(e).context("encoding invoice lines")))?;
        let mut conn = self.pool.acquire().await.map_err(unexpected("acquiring a connection"))?;
        let row: Option<InvoiceRow> = sqlx::query_as(sql(format!(
            "INSERT INTO invoices (tenant_id, period, status, currency, total, lines, updated_at)
             VALUES ($1, $2, 'draft', $3, $4, $5::jsonb, $6)
             ON CONFLICT (tenant_id, period) DO UPDATE SET currency = EXCLUDED.currency, total = EXCLUDED.total,
                 lines = EXCLUDED.lines, updated_at = EXCLUDED.updated_at
             WHERE invoices.status = 'draft'
             RETURNING {INVOICE_COLUMNS}"
        )))
        .bind(tenant.as_str())
        .bind(period.to_string())
        .bind(&invoice.currency)
        .bind(invoice.total)
        .bind(lines)
        .bind(at)
        .fetch_optional(&mut *conn)
        .await
        .map_err(classify(tenant, "storing draft invoice"))?;
        match row {
            Some(row) => StoredInvoice::try_from(row),
            // Finalized already, which never changes again: return it as it is.
            None => invoice_of(&mut conn, tenant, period).await?.ok_or_else(|| StoreError::NotFound(tenant.clone())),
        }
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %tenant, %period))]
    async fn finalize_invoice(
        &self,
        tenant: &TenantId,
        period: BillingPeriod,
        at: DateTime<Utc>,
    ) -> Result<StoredInvoice, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(unexpected("acquiring a connection"))?;
        let row: Option<InvoiceRow> = sqlx::query_as(sql(format!(
            "UPDATE invoices SET status = 'finalized', finalized_at = $3, updated_at = $3
             WHERE tenant_id = $1 AND period = $2 AND status = 'draft'
             RETURNING {INVOICE_COLUMNS}"
        )))
        .bind(tenant.as_str())
        .bind(period.to_string())
        .bind(at)
        .fetch_optional(&mut *conn)
        .await
        .map_err(unexpected("finalizing invoice"))?;
        match row {
            Some(row) => StoredInvoice::try_from(row),
            None => invoice_of(&mut conn, tenant, period).await?.ok_or_else(|| StoreError::NotFound(tenant.clone())),
        }
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %tenant))]
    async fn list_invoices(&self, tenant: &TenantId) -> Result<Vec<StoredInvoice>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(unexpected("acquiring a connection"))?;
        let rows: Vec<InvoiceRow> = sqlx::query_as(sql(format!(
            "SELECT {INVOICE_COLUMNS} FROM invoices WHERE tenant_id = $1 ORDER BY period DESC"
        )))
        .bind(tenant.as_str())
        .fetch_all(&mut *conn)
        .await
        .map_err(unexpected("listing invoices"))?;
        if rows.is_empty() {
            ensure_tenant(&mut conn, tenant).await?;
        }
        rows.into_iter().map(StoredInvoice::try_from).collect()
    }
}
