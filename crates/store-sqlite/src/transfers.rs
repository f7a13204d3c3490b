//! How calls' transfers to a person ended (`CallStore::transfer_ends`), read
//! from the calls' reply keys.

use chrono::{DateTime, Utc};
use frontdesk_core::TenantId;
use frontdesk_routing::transfers::{ACCEPTED_REPLY_PREFIX, NOT_TAKEN_REPLY_PREFIX, OUTCOMES_AFTER_A_TRANSFER};
use frontdesk_routing::{CallError, CallTransfer};
use rusqlite::params;

use crate::SqliteStore;
use crate::jobs::ms;

impl SqliteStore {
    /// The tenant's calls that started in `[from, to)` with an acceptance or
    /// a transfer nobody took among their replies: one read, the calls
    /// from the covering `calls_by_start` index (their outcome is in it),
    /// each one's replies from the primary key.
    pub(crate) async fn read_transfer_ends(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CallTransfer>, CallError> {
        let rows = self
            .direct
            .run(|conn| {
                let mut statement = conn.prepare_cached(
                    "SELECT r.call_sid, r.turn_key FROM calls c JOIN call_replies r ON r.call_sid = c.call_sid
                     WHERE c.tenant_id = ?1 AND c.started_at >= ?2 AND c.started_at < ?3 AND c.outcome IN (?6, ?7)
                       AND (substr(r.turn_key, 1, length(?4)) = ?4 OR substr(r.turn_key, 1, length(?5)) = ?5)",
                )?;
                let [first, second] = OUTCOMES_AFTER_A_TRANSFER.map(|outcome| outcome.as_str());
                let rows = statement.query_map(
                    params![
                        tenant.as_str(),
                        ms(from),
                        ms(to),
                        ACCEPTED_REPLY_PREFIX,
                        NOT_TAKEN_REPLY_PREFIX,
                        first,
                        second
                    ],
                    |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)),
                )?;
                rows.collect::<rusqlite::Result<Vec<(String, String)>>>()
            })
            .await
            .map_err(|error| CallError::Unexpected(anyhow::Error::new(error).context("reading calls' transfers")))?;
        CallTransfer::from_rows(rows)
    }
}
