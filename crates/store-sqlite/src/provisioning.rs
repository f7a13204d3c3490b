//! `ProvisioningStore` on SQLite: number orders, port-ins and texting
//! registrations.

use async_trait::async_trait;
use frontdesk_core::{E164, StoreError, TenantId};
use frontdesk_provisioning::{NumberOrder, PortIn, PortInSid, ProvisioningStore, TextingRegistration};

use crate::SqliteStore;
use crate::jobs::{from_ms, ms};
use crate::{store_error as unexpected, tenant_row_error as classify};

fn sql(statement: String) -> sqlx::AssertSqlSafe<String> {
    // Only ever called with the column lists and fixed SQL text.
    sqlx::AssertSqlSafe(statement)
}

const ORDER_COLUMNS: &str = "tenant_id, phone_number, state, number_sid, attempts, last_error, created_at, updated_at";
type OrderRow = (String, String, String, Option<String>, i64, Option<String>, i64, i64);

fn order(row: OrderRow) -> Result<NumberOrder, StoreError> {
    let (tenant, number, state, sid, attempts, last_error, created_at, updated_at) = row;
    NumberOrder::from_stored(
        &tenant,
        &number,
        &state,
        sid.as_deref(),
        attempts,
        last_error,
        from_ms(created_at),
        from_ms(updated_at),
    )
}

const PORT_IN_COLUMNS: &str = "tenant_id, port_in_sid, phone_number, status, number_status, signature_url, detail, \
                               forwarding_to, created_at, updated_at";
type PortInRow =
    (String, String, String, String, Option<String>, Option<String>, Option<String>, Option<String>, i64, i64);

fn port_in(row: PortInRow) -> Result<PortIn, StoreError> {
    let (tenant, sid, number, status, number_status, signature_url, detail, forwarding_to, created_at, updated_at) =
        row;
    PortIn::from_stored(
        &tenant,
        &sid,
        &number,
        &status,
        number_status.as_deref(),
        signature_url,
        detail,
        forwarding_to.as_deref(),
        from_ms(created_at),
        from_ms(updated_at),
    )
}

const REGISTRATION_COLUMNS: &str = "tenant_id, messaging_service_sid, brand_sid, brand_status, campaign_sid, \
                                    campaign_status, detail, created_at, updated_at";
type RegistrationRow =
    (String, Option<String>, Option<String>, Option<String>, Option<String>, Option<String>, Option<String>, i64, i64);

fn registration(row: RegistrationRow) -> Result<TextingRegistration, StoreError> {
    let (tenant, service, brand, brand_status, campaign, campaign_status, detail, created_at, updated_at) = row;
    TextingRegistration::from_stored(
        &tenant,
        service.as_deref(),
        brand.as_deref(),
        brand_status.as_deref(),
        campaign.as_deref(),
        campaign_status.as_deref(),
        detail,
        from_ms(created_at),
        from_ms(updated_at),
    )
}

#[async_trait]
impl ProvisioningStore for SqliteStore {
    async fn put_number_order(&self, o: &NumberOrder) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO number_orders (tenant_id, phone_number, state, number_sid, attempts, last_error, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (tenant_id, phone_number) DO UPDATE SET state = excluded.state,
                 number_sid = excluded.number_sid, attempts = excluded.attempts,
                 last_error = excluded.last_error, updated_at = excluded.updated_at",
        )
        .bind(o.tenant.as_str())
        .bind(o.number.as_str())
        .bind(o.state.as_str())
        .bind(o.sid.as_ref().map(|s| s.as_str()))
        .bind(i64::from(o.attempts))
        .bind(o.last_error.as_deref())
        .bind(ms(o.created_at))
        .bind(ms(o.updated_at))
        .execute(&self.pool)
        .await
        .map_err(classify(&o.tenant, "writing a number order"))?;
        Ok(())
    }

    async fn number_order(&self, tenant: &TenantId, number: &E164) -> Result<Option<NumberOrder>, StoreError> {
        let row: Option<OrderRow> = sqlx::query_as(sql(format!(
            "SELECT {ORDER_COLUMNS} FROM number_orders WHERE tenant_id = ?1 AND phone_number = ?2"
        )))
        .bind(tenant.as_str())
        .bind(number.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(unexpected("reading a number order"))?;
        row.map(order).transpose()
    }

    async fn number_orders(&self, tenant: &TenantId) -> Result<Vec<NumberOrder>, StoreError> {
        let rows: Vec<OrderRow> = sqlx::query_as(sql(format!(
            "SELECT {ORDER_COLUMNS} FROM number_orders WHERE tenant_id = ?1 ORDER BY created_at, phone_number"
        )))
        .bind(tenant.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(unexpected("listing number orders"))?;
        rows.into_iter().map(order).collect()
    }

    async fn put_port_in(&self, p: &PortIn) -> Result<(), StoreError> {
        let written = sqlx::query(
            "INSERT INTO port_ins (port_in_sid, tenant_id, phone_number, status, number_status, signature_url, detail,
                 forwarding_to, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT (port_in_sid) DO UPDATE SET phone_number = excluded.phone_number, status = excluded.status,
                 number_status = excluded.number_status, signature_url = excluded.signature_url,
                 detail = excluded.detail, forwarding_to = excluded.forwarding_to, updated_at = excluded.updated_at
             WHERE port_ins.tenant_id = excluded.tenant_id",
        )
        .bind(p.sid.as_str())
        .bind(p.tenant.as_str())
        .bind(p.number.as_str())
        .bind(p.status.as_str())
        .bind(p.number_status.map(|s| s.as_str()))
        .bind(p.signature_url.as_deref())
        .bind(p.detail.as_deref())
        .bind(p.forwarding_to.as_ref().map(E164::as_str))
        .bind(ms(p.created_at))
        .bind(ms(p.updated_at))
        .execute(&self.pool)
        .await
        .map_err(classify(&p.tenant, "writing a port-in"))?;
        // The id is another tenant's port-in: never overwrite it.
        if written.rows_affected() == 0 {
            return Err(StoreError::Unexpected(anyhow::anyhow!("port-in {} belongs to another tenant", p.sid)));
        }
        Ok(())
    }

    async fn port_in_by_sid(&self, sid: &PortInSid) -> Result<Option<PortIn>, StoreError> {
        let row: Option<PortInRow> =
            sqlx::query_as(sql(format!("SELECT {PORT_IN_COLUMNS} FROM port_ins WHERE port_in_sid = ?1")))
                .bind(sid.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(unexpected("reading a port-in"))?;
        row.map(port_in).transpose()
    }

    async fn port_ins(&self, tenant: &TenantId) -> Result<Vec<PortIn>, StoreError> {
        let rows: Vec<PortInRow> = sqlx::query_as(sql(format!(
            "SELECT {PORT_IN_COLUMNS} FROM port_ins WHERE tenant_id = ?1 ORDER BY created_at, port_in_sid"
        )))
        .bind(tenant.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(unexpected("listing port-ins"))?;
        rows.into_iter().map(port_in).collect()
    }

    async fn open_port_ins(&self) -> Result<Vec<PortIn>, StoreError> {
        let rows: Vec<PortInRow> = sqlx::query_as(sql(format!(
            "SELECT {PORT_IN_COLUMNS} FROM port_ins WHERE status NOT IN ('completed', 'canceled', 'expired')
             ORDER BY created_at, port_in_sid"
        )))
        .fetch_all(&self.pool)
        .await
        .map_err(unexpected("listing open port-ins"))?;
        rows.into_iter().map(port_in).collect()
    }

    async fn put_registration(&self, r: &TextingRegistration) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO texting_registrations (tenant_id, messaging_service_sid, brand_sid, brand_status, campaign_sid,
                 campaign_status, detail, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (tenant_id) DO UPDATE SET messaging_service_sid = excluded.messaging_service_sid,
                 brand_sid = excluded.brand_sid, brand_status = excluded.brand_status,
                 campaign_sid = excluded.campaign_sid, campaign_status = excluded.campaign_status,
                 detail = excluded.detail, updated_at = excluded.updated_at",
        )
        .bind(r.tenant.as_str())
        .bind(r.messaging_service.as_ref().map(|s| s.as_str()))
        .bind(r.brand.as_ref().map(|s| s.as_str()))
        .bind(r.brand_status.map(|s| s.as_str()))
        .bind(r.campaign.as_ref().map(|s| s.as_str()))
        .bind(r.campaign_status.map(|s| s.as_str()))
        .bind(r.detail.as_deref())
        .bind(ms(r.created_at))
        .bind(ms(r.updated_at))
        .execute(&self.pool)
        .await
        .map_err(classify(&r.tenant, "writing a texting registration"))?;
        Ok(())
    }

    async fn registration(&self, tenant: &TenantId) -> Result<Option<TextingRegistration>, StoreError> {
        let row: Option<RegistrationRow> = sqlx::query_as(sql(format!(
            "SELECT {REGISTRATION_COLUMNS} FROM texting_registrations WHERE tenant_id = ?1"
        )))
        .bind(tenant.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(unexpected("reading a texting registration"))?;
        row.map(registration).transpose()
    }

    async fn registrations(&self) -> Result<Vec<TextingRegistration>, StoreError> {
        let rows: Vec<RegistrationRow> =
            sqlx::query_as(sql(format!("SELECT {REGISTRATION_COLUMNS} FROM texting_registrations ORDER BY tenant_id")))
                .fetch_all(&self.pool)
                .await
                .map_err(unexpected("listing texting registrations"))?;
        rows.into_iter().map(registration).collect()
    }
}
