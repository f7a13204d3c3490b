//! How calls' transfers to a person ended (`CallStore::transfer_ends`), read
//! from the calls' reply keys.

use chrono::{DateTime, Utc};
use frontdesk_core::TenantId;
use frontdesk_routing::transfers::{ACCEPTED_REPLY_PREFIX, NOT_TAKEN_REPLY_PREFIX, OUTCOMES_AFTER_A_TRANSFER};
use frontdesk_routing::{CallError, CallTransfer};

use crate::PostgresStore;

impl PostgresStore {
    /// The tenant's calls that started in `[from, to)` with an acceptance or
    /// a transfer nobody took among their replies: one read, only the
    /// calls whose outcome may follow a transfer, each one's replies from the
    /// primary key.
    pub(crate) async fn read_transfer_ends(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CallTransfer>, CallError> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT r.call_sid, r.turn_key FROM calls c JOIN call_replies r ON r.call_sid = c.call_sid
             WHERE c.tenant_id = $1 AND c.started_at >= $2 AND c.started_at < $3 AND c.outcome = ANY($6)
               AND (starts_with(r.turn_key, $4) OR starts_with(r.turn_key, $5))",
        )
        .bind(tenant.as_str())
        .bind(from)
        .bind(to)
        .bind(ACCEPTED_REPLY_PREFIX)
        .bind(NOT_TAKEN_REPLY_PREFIX)
        .bind(OUTCOMES_AFTER_A_TRANSFER.map(|outcome| outcome.as_str()).to_vec())
        .fetch_all(&self.pool)
        .await
        .map_err(|error| CallError::Unexpected(crate::unexpected("reading calls' transfers")(error)))?;
        CallTransfer::from_rows(rows)
    }
}
