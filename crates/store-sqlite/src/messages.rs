//! `MessageLog` on SQLite: the texts a shop sends, and its opt-outs.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_core::{E164, StoreError, TenantId};
use frontdesk_messaging::{MessageLog, MessageRecord, TextOffer};

use crate::SqliteStore;
use crate::jobs::{from_ms, ms};
use crate::{store_error as unexpected, tenant_row_error as classify};

fn sql(statement: String) -> sqlx::AssertSqlSafe<String> {
    // Only ever called with the column list and fixed SQL text.
    sqlx::AssertSqlSafe(statement)
}

const MESSAGE_COLUMNS: &str = "message_id, tenant_id, to_number, from_number, body, status, provider_id, booking_id, error, created_at, updated_at";

type MessageRow =
    (String, String, String, String, String, String, Option<String>, Option<String>, Option<String>, i64, i64);

fn message(row: MessageRow) -> Result<MessageRecord, StoreError> {
    let (id, tenant, to, from, body, status, provider_id, booking_id, error, created_at, updated_at) = row;
    MessageRecord::from_stored(
        id,
        &tenant,
        &to,
        &from,
        body,
        status,
        provider_id,
        booking_id,
        error,
        from_ms(created_at),
        from_ms(updated_at),
    )
}

#[async_trait]
impl MessageLog for SqliteStore {
    async fn upsert_message(&self, m: &MessageRecord) -> Result<(), StoreError> {
        let written = sqlx::query(
            "INSERT INTO messages (message_id, tenant_id, to_number, from_number, body, status, provider_id, booking_id,
                 error, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT (message_id) DO UPDATE SET status = excluded.status, provider_id = excluded.provider_id,
                 error = excluded.error, updated_at = excluded.updated_at
             WHERE messages.tenant_id = excluded.tenant_id",
        )
        .bind(&m.id)
        .bind(m.tenant.as_str())
        .bind(m.to.as_str())
        .bind(m.from.as_str())
        .bind(&m.body)
        .bind(&m.status)
        .bind(m.provider_id.as_deref())
        .bind(m.booking_id.as_deref())
        .bind(m.error.as_deref())
        .bind(ms(m.created_at))
        .bind(ms(m.updated_at))
        .execute(&self.pool)
        .await
        .map_err(classify(&m.tenant, "writing message"))?;
        // The id is another tenant's message: never overwrite it.
        if written.rows_affected() == 0 {
            return Err(StoreError::Unexpected(anyhow::anyhow!("message {} belongs to another tenant", m.id)));
        }
        Ok(())
    }

    async fn message(&self, tenant: &TenantId, id: &str) -> Result<Option<MessageRecord>, StoreError> {
        let row: Option<MessageRow> = sqlx::query_as(sql(format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE tenant_id = ?1 AND message_id = ?2"
        )))
        .bind(tenant.as_str())
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(unexpected("reading message"))?;
        row.map(message).transpose()
    }

    async fn list_messages(&self, tenant: &TenantId, limit: u32) -> Result<Vec<MessageRecord>, StoreError> {
        let rows: Vec<MessageRow> = sqlx::query_as(sql(format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE tenant_id = ?1 ORDER BY created_at DESC, message_id DESC LIMIT ?2"
        )))
        .bind(tenant.as_str())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(unexpected("listing messages"))?;
        rows.into_iter().map(message).collect()
    }

    async fn messages_of_bookings(
        &self,
        tenant: &TenantId,
        bookings: &[String],
    ) -> Result<Vec<MessageRecord>, StoreError> {
        // The ids as one JSON array: SQLite has no array parameters.
        let ids = serde_json::to_string(bookings)
            .map_err(|e| StoreError::Unexpected(anyhow::Error::new(e).context("listing bookings' messages")))?;
        let rows: Vec<MessageRow> = sqlx::query_as(sql(format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages
             WHERE tenant_id = ?1 AND booking_id IN (SELECT value FROM json_each(?2))
             ORDER BY created_at DESC, message_id DESC"
        )))
        .bind(tenant.as_str())
        .bind(ids)
        .fetch_all(&self.pool)
        .await
        .map_err(unexpected("listing bookings' messages"))?;
        rows.into_iter().map(message).collect()
    }

    async fn messages_of_all_tenants_since(&self, since: DateTime<Utc>) -> Result<Vec<MessageRecord>, StoreError> {
        let rows: Vec<MessageRow> = sqlx::query_as(sql(format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE created_at >= ?1 ORDER BY created_at DESC, message_id DESC"
        )))
        .bind(ms(since))
        .fetch_all(&self.pool)
        .await
        .map_err(unexpected("listing every tenant's messages"))?;
        rows.into_iter().map(message).collect()
    }

    async fn set_opt_out(
        &self,
        tenant: &TenantId,
        phone: &E164,
        opted_out: bool,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let query = if opted_out {
            sqlx::query(
                "INSERT INTO sms_opt_outs (tenant_id, phone, opted_out_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
            )
            .bind(tenant.as_str())
            .bind(phone.as_str())
            .bind(ms(now))
        } else {
            sqlx::query("DELETE FROM sms_opt_outs WHERE tenant_id = ?1 AND phone = ?2")
                .bind(tenant.as_str())
                .bind(phone.as_str())
        };
        query.execute(&self.pool).await.map_err(classify(tenant, "recording opt-out"))?;
        Ok(())
    }

    async fn is_opted_out(&self, tenant: &TenantId, phone: &E164) -> Result<bool, StoreError> {
        let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM sms_opt_outs WHERE tenant_id = ?1 AND phone = ?2")
            .bind(tenant.as_str())
            .bind(phone.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(unexpected("reading opt-outs"))?;
        Ok(found.is_some())
    }

    async fn put_offer(&self, offer: &TextOffer) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sms_offers (tenant_id, phone, payload, expires_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (tenant_id, phone) DO UPDATE SET payload = excluded.payload, expires_at = excluded.expires_at",
        )
        .bind(offer.tenant.as_str())
        .bind(offer.phone.as_str())
        .bind(&offer.payload)
        .bind(ms(offer.expires_at))
        .execute(&self.pool)
        .await
        .map_err(classify(&offer.tenant, "keeping a text offer"))?;
        Ok(())
    }

    async fn take_offer(&self, tenant: &TenantId, phone: &E164) -> Result<Option<TextOffer>, StoreError> {
        let row: Option<(String, i64)> =
            sqlx::query_as("DELETE FROM sms_offers WHERE tenant_id = ?1 AND phone = ?2 RETURNING payload, expires_at")
                .bind(tenant.as_str())
                .bind(phone.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(unexpected("taking a text offer"))?;
        Ok(row.map(|(payload, expires_at)| TextOffer {
            tenant: tenant.clone(),
            phone: phone.clone(),
            payload,
            expires_at: from_ms(expires_at),
        }))
    }
}
