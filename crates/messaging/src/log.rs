//! The `MessageLog` port: the record of texts a shop sends, and its opt-out
//! list.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_core::{E164, StoreError, TenantId, stored_tenant};

/// A text message as the shop sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRecord {
    pub id: String,
    pub tenant: TenantId,
    pub to: E164,
    pub from: E164,
    pub body: String,
    /// `queued`, `sent` or `failed`.
    pub status: String,
    pub provider_id: Option<String>,
    pub booking_id: Option<String>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl MessageRecord {
    /// Rebuilds a record from the columns every store adapter keeps, in the
    /// order they select them: the one decoder both store adapters use. A
    /// tenant id or phone number that no longer parses is `Corrupt`.
    #[allow(clippy::too_many_arguments)]
    pub fn from_stored(
        id: String,
        tenant: &str,
        to: &str,
        from: &str,
        body: String,
        status: String,
        provider_id: Option<String>,
        booking_id: Option<String>,
        error: Option<String>,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    ) -> Result<MessageRecord, StoreError> {
        let number = |raw: &str, what: &str| {
            E164::parse(raw).map_err(|e| StoreError::corrupt(tenant, format!("message {id} has a bad {what}: {e}")))
        };
        Ok(MessageRecord {
            tenant: stored_tenant(tenant)?,
            to: number(to, "recipient")?,
            from: number(from, "sender")?,
            body,
            status,
            provider_id,
            booking_id,
            error,
            created_at,
            updated_at,
            id,
        })
    }
}

/// A numbered choice a text offered one number ("reply 1, 2 or 3"), kept
/// until the answer comes or it expires. What the numbers mean is the
/// sender's business: `payload` is its own encoding, kept as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextOffer {
    pub tenant: TenantId,
    pub phone: E164,
    pub payload: String,
    pub expires_at: DateTime<Utc>,
}

/// The record of texts: written when a text is queued, updated when it is
/// sent or fails; and the numbers that replied STOP.
///
/// Errors, for every method: a stored row that no longer decodes MUST be
/// `StoreError::Corrupt`; a failure of the store itself (down, a query
/// failed) MUST be `StoreError::Unexpected`. Reads about a tenant that does
/// not exist are not errors: they find nothing.
#[async_trait]
pub trait MessageLog: Send + Sync {
    /// Inserts the record with this id, or updates its status, provider id,
    /// error and `updated_at` if it exists. MUST return
    /// `StoreError::NotFound` if `message.tenant` does not exist.
    async fn upsert_message(&self, message: &MessageRecord) -> Result<(), StoreError>;

    /// The record with this id if it belongs to `tenant`; `None` otherwise
    /// (another tenant's id included).
    async fn message(&self, tenant: &TenantId, id: &str) -> Result<Option<MessageRecord>, StoreError>;

    /// The tenant's latest `limit` records, newest first.
    async fn list_messages(&self, tenant: &TenantId, limit: u32) -> Result<Vec<MessageRecord>, StoreError>;

    /// The tenant's records linked to any of `bookings` (booking ids as
    /// the records keep them), newest first: the owner's Today page (which
    /// reminders went out), however many other texts the shop sent since.
    async fn messages_of_bookings(
        &self,
        tenant: &TenantId,
        bookings: &[String],
    ) -> Result<Vec<MessageRecord>, StoreError>;

    /// Every tenant's records created at or after `since`, newest first, in
    /// one read: the operator's alerts (failing texts) across a thousand
    /// shops.
    async fn messages_of_all_tenants_since(&self, since: DateTime<Utc>) -> Result<Vec<MessageRecord>, StoreError>;

    /// Records a STOP (`opted_out`) or a START (not). Idempotent: a second
    /// STOP or a START for a number that never stopped is `Ok`. MUST return
    /// `StoreError::NotFound` if `tenant` does not exist and `opted_out` is
    /// set.
    async fn set_opt_out(
        &self,
        tenant: &TenantId,
        phone: &E164,
        opted_out: bool,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Whether `phone` replied STOP to this tenant (and not START since).
    /// Opt-outs are per tenant: a STOP to one shop silences no other.
    async fn is_opted_out(&self, tenant: &TenantId, phone: &E164) -> Result<bool, StoreError>;

    /// Keeps `offer` as the one open offer to its number at its tenant,
    /// replacing any earlier one. MUST return `StoreError::NotFound` if the
    /// tenant does not exist.
    async fn put_offer(&self, offer: &TextOffer) -> Result<(), StoreError>;

    /// Takes the offer to `phone`: returns it and removes it in one step,
    /// so two deliveries of one answer never both act on it; `None` when
    /// there is none. An expired offer is returned too (the sender says it
    /// expired); its `expires_at` tells.
    async fn take_offer(&self, tenant: &TenantId, phone: &E164) -> Result<Option<TextOffer>, StoreError>;
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn decode(tenant: &str, to: &str, from: &str) -> Result<MessageRecord, StoreError> {
        let at = Utc.with_ymd_and_hms(2026, 11, 24, 15, 0, 0).single().unwrap_or_default();
        MessageRecord::from_stored(
            "msg-1".to_owned(),
            tenant,
            to,
            from,
            "hi".to_owned(),
            "sent".to_owned(),
            Some("SM1".to_owned()),
            None,
            None,
            at,
            at,
        )
    }

    #[test]
    fn a_stored_row_decodes_or_is_corrupt() {
        let record = decode("shop-a", "+15555551234", "+15555550100");
        assert!(record.is_ok_and(|r| r.tenant.as_str() == "shop-a" && r.to.as_str() == "+15555551234"));
        for (tenant, to, from, reason) in [
            ("Not A Slug!", "+15555551234", "+15555550100", "tenant id"),
            ("shop-a", "nonsense", "+15555550100", "recipient"),
            ("shop-a", "+15555551234", "", "sender"),
        ] {
            let decoded = decode(tenant, to, from);
            assert!(
                matches!(&decoded, Err(StoreError::Corrupt { tenant: t, .. }) if t == tenant),
                "{reason}: {decoded:?}"
            );
        }
    }
}
