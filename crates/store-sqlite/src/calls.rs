//! `CallStore` on SQLite.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_core::{E164, TenantId};
use frontdesk_routing::calls::CallBrief;
use frontdesk_routing::{
    AskedQuestion, CallError, CallRecord, CallSid, CallStatus, CallStore, CallSummary, CallTurn, IncomingCall,
    NearestPassage, Outcome, SavedTurn, TurnKey, TurnUpdate, decode_turns, encode_turns,
};

use rusqlite::{OptionalExtension, params};

use crate::SqliteStore;
use crate::jobs::{from_ms, ms};

/// The columns of a [`CallSummary`], in the order [`SummaryRow::read`] reads them.
macro_rules! summary_columns {
    () => {
        "call_sid, tenant_id, caller, called, status, started_at, ended_at, duration_secs, outcome, booking_id"
    };
}

const SUMMARY_COLUMNS: &str = summary_columns!();
const CALL_COLUMNS: &str = concat!(summary_columns!(), ", recording_url, state, turns");

/// A summary's columns as they sit in the row: the pages list thousands of
/// calls, and copying every text column out of its row before parsing it
/// cost more than the parsing.
struct SummaryRow<'row> {
    call_sid: &'row str,
    tenant_id: &'row str,
    caller: Option<&'row str>,
    called: &'row str,
    status: &'row str,
    started_at: i64,
    ended_at: Option<i64>,
    duration_secs: Option<i64>,
    outcome: Option<&'row str>,
    booking_id: Option<&'row str>,
}

/// A text column's value where it sits in the row.
pub(crate) fn text<'row>(row: &'row rusqlite::Row<'_>, column: usize) -> rusqlite::Result<&'row str> {
    row.get_ref(column)?.as_str().map_err(|e| not_text(column, e))
}

/// A text column's value, or `None` for NULL, where it sits in the row.
pub(crate) fn optional_text<'row>(row: &'row rusqlite::Row<'_>, column: usize) -> rusqlite::Result<Option<&'row str>> {
    row.get_ref(column)?.as_str_or_null().map_err(|e| not_text(column, e))
}

fn not_text(column: usize, error: rusqlite::types::FromSqlError) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, Box::new(error))
}

impl<'row> SummaryRow<'row> {
    /// The columns of [`SUMMARY_COLUMNS`], in order, from `row`.
    fn read(row: &'row rusqlite::Row<'_>) -> rusqlite::Result<SummaryRow<'row>> {
        Ok(SummaryRow {
            call_sid: text(row, 0)?,
            tenant_id: text(row, 1)?,
            caller: optional_text(row, 2)?,
            called: text(row, 3)?,
            status: text(row, 4)?,
            started_at: row.get(5)?,
            ended_at: row.get(6)?,
            duration_secs: row.get(7)?,
            outcome: optional_text(row, 8)?,
            booking_id: optional_text(row, 9)?,
        })
    }

    fn parse(self) -> Result<CallSummary, CallError> {
        let corrupt =
            |what: &str| CallError::Unexpected(anyhow::anyhow!("stored call {} has a bad {what}", self.call_sid));
        Ok(CallSummary {
            call_sid: CallSid::parse(self.call_sid).map_err(|_| corrupt("call sid"))?,
            tenant: TenantId::parse(self.tenant_id).map_err(|_| corrupt("tenant"))?,
            caller: self.caller.map(E164::parse).transpose().map_err(|_| corrupt("caller"))?,
            called: E164::parse(self.called).map_err(|_| corrupt("called number"))?,
            status: CallStatus::parse(self.status).map_err(|_| corrupt("status"))?,
            started_at: from_ms(self.started_at),
            ended_at: self.ended_at.map(from_ms),
            duration_secs: self.duration_secs.and_then(|d| u32::try_from(d).ok()),
            outcome: self.outcome.map(|o| Outcome::parse(o).ok_or_else(|| corrupt("outcome"))).transpose()?,
            booking_id: self.booking_id.map(str::parse).transpose().map_err(|_| corrupt("booking id"))?,
        })
    }
}

/// A call's summary from the columns of [`SUMMARY_COLUMNS`]: the outer
/// error is the driver's, the inner one a stored value that does not parse.
fn read_summary(row: &rusqlite::Row<'_>) -> rusqlite::Result<Result<CallSummary, CallError>> {
    Ok(SummaryRow::read(row)?.parse())
}

/// The columns of a [`CallBrief`], in the order [`read_brief`] reads them.
const BRIEF_COLUMNS: &str = "call_sid, tenant_id, started_at, ended_at, duration_secs, outcome, booking_id";

/// A call's brief from the columns of [`BRIEF_COLUMNS`], read in place as
/// a summary is: the outer error is the driver's, the inner one a stored
/// value that does not parse.
fn read_brief(row: &rusqlite::Row<'_>) -> rusqlite::Result<Result<CallBrief, CallError>> {
    let (call_sid, tenant_id) = (text(row, 0)?, text(row, 1)?);
    let (started_at, ended_at, duration_secs): (i64, Option<i64>, Option<i64>) =
        (row.get(2)?, row.get(3)?, row.get(4)?);
    let (outcome, booking_id) = (optional_text(row, 5)?, optional_text(row, 6)?);
    let corrupt = |what: &str| CallError::Unexpected(anyhow::anyhow!("stored call {call_sid} has a bad {what}"));
    let brief = || -> Result<CallBrief, CallError> {
        Ok(CallBrief {
            call_sid: CallSid::parse(call_sid).map_err(|_| corrupt("call sid"))?,
            tenant: TenantId::parse(tenant_id).map_err(|_| corrupt("tenant"))?,
            started_at: from_ms(started_at),
            ended_at: ended_at.map(from_ms),
            duration_secs: duration_secs.and_then(|d| u32::try_from(d).ok()),
            outcome: outcome.map(|o| Outcome::parse(o).ok_or_else(|| corrupt("outcome"))).transpose()?,
            booking_id: booking_id.map(str::parse).transpose().map_err(|_| corrupt("booking id"))?,
        })
    };
    Ok(brief())
}

struct CallRow {
    summary: Result<CallSummary, CallError>,
    recording_url: Option<String>,
    state: String,
    turns: String,
}

impl CallRow {
    /// The columns of [`CALL_COLUMNS`], in order, from `row`.
    fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<CallRow> {
        Ok(CallRow {
            summary: read_summary(row)?,
            recording_url: row.get(10)?,
            state: row.get(11)?,
            turns: row.get(12)?,
        })
    }
}

fn unexpected(context: &'static str) -> impl FnOnce(rusqlite::Error) -> CallError {
    move |error| CallError::Unexpected(anyhow::Error::new(error).context(context))
}

impl TryFrom<CallRow> for CallRecord {
    type Error = CallError;
    fn try_from(row: CallRow) -> Result<CallRecord, CallError> {
        let summary = row.summary?;
        Ok(CallRecord {
            call_sid: summary.call_sid,
            tenant: summary.tenant,
            caller: summary.caller,
            called: summary.called,
            status: summary.status,
            started_at: summary.started_at,
            ended_at: summary.ended_at,
            duration_secs: summary.duration_secs,
            outcome: summary.outcome,
            booking_id: summary.booking_id,
            recording_url: row.recording_url,
            state: row.state,
            turns: decode_turns(&row.turns)?,
        })
    }
}

/// A `SELECT` of the call's columns where the tenant and call sid are
/// `?1` and `?2`.
fn select_call() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| format!("SELECT {CALL_COLUMNS} FROM calls WHERE tenant_id = ?1 AND call_sid = ?2"))
}

fn read_call(conn: &rusqlite::Connection, tenant: &TenantId, call_sid: &CallSid) -> rusqlite::Result<Option<CallRow>> {
    conn.prepare_cached(select_call())?.query_row(params![tenant.as_str(), call_sid.as_str()], CallRow::read).optional()
}

/// [`CallStore::save_turn`] inside `tx`: the reply is inserted first (only
/// for a call of this tenant, and only once per turn key); the call is
/// updated, and the question recorded, only when that insert happened;
/// otherwise the reply stored first is the answer. `None`: no such call.
fn save_turn_in(
    tx: &rusqlite::Transaction<'_>,
    tenant: &TenantId,
    call_sid: &CallSid,
    turn: &TurnKey,
    update: &TurnUpdate,
    now: DateTime<Utc>,
) -> rusqlite::Result<Option<SavedTurn>> {
    let key = turn.as_key();
    let inserted = tx
        .prepare_cached(
            "INSERT INTO call_replies (call_sid, turn_key, reply, created_at)
             SELECT call_sid, ?3, ?4, ?5 FROM calls WHERE tenant_id = ?1 AND call_sid = ?2
             ON CONFLICT (call_sid, turn_key) DO NOTHING",
        )?
        .execute(params![tenant.as_str(), call_sid.as_str(), key, update.reply, ms(now)])?;
    if inserted == 0 {
        let first: Option<String> = tx
            .prepare_cached(
                "SELECT r.reply FROM call_replies r JOIN calls c ON c.call_sid = r.call_sid
                 WHERE c.tenant_id = ?1 AND r.call_sid = ?2 AND r.turn_key = ?3",
            )?
            .query_row(params![tenant.as_str(), call_sid.as_str(), key], |row| row.get(0))
            .optional()?;
        return Ok(first.map(SavedTurn::AlreadyAnswered));
    }
    // The state and transcript change on every turn and are in no index;
    // the outcome, booking and recording are in the covering indexes, and
    // an UPDATE naming a column rewrites its index entries even when the
    // value stays: they are written apart, only when one of them changes.
    tx.prepare_cached(
        "UPDATE calls SET state = ?3,
             turns = CASE WHEN ?4 = '[]' THEN turns WHEN turns = '[]' THEN ?4
                          ELSE substr(turns, 1, length(turns) - 1) || ',' || substr(?4, 2) END,
             updated_at = ?5
         WHERE tenant_id = ?1 AND call_sid = ?2",
    )?
    .execute(params![tenant.as_str(), call_sid.as_str(), update.state, encode_turns(&update.turns), ms(now)])?;
    if update.outcome.is_some() || update.booking_id.is_some() || update.recording_url.is_some() {
        tx.prepare_cached(
            "UPDATE calls SET outcome = COALESCE(?3, outcome), booking_id = COALESCE(?4, booking_id),
                 recording_url = COALESCE(?5, recording_url)
             WHERE tenant_id = ?1 AND call_sid = ?2
                 AND (outcome IS NOT COALESCE(?3, outcome) OR booking_id IS NOT COALESCE(?4, booking_id)
                      OR recording_url IS NOT COALESCE(?5, recording_url))",
        )?
        .execute(params![
            tenant.as_str(),
            call_sid.as_str(),
            update.outcome.map(Outcome::as_str),
            update.booking_id.map(|id| id.to_string()),
            update.recording_url.as_deref(),
        ])?;
    }
    record_question(tx, tenant, call_sid, update, now)?;
    Ok(Some(SavedTurn::Saved))
}

/// Inserts `call` as `update` leaves it (its state, transcript, outcome,
/// booking and recording) unless the call sid exists: the rows inserted.
fn insert_call(
    conn: &rusqlite::Connection,
    tenant: &TenantId,
    call: &IncomingCall,
    update: &TurnUpdate,
    now: DateTime<Utc>,
) -> rusqlite::Result<usize> {
    conn.prepare_cached(
        "INSERT INTO calls (call_sid, tenant_id, caller, called, status, started_at, state, turns, outcome,
             booking_id, recording_url, updated_at)
         VALUES (?1, ?2, ?3, ?4, 'in-progress', ?5, ?6, ?7, ?8, ?9, ?10, ?5)
         ON CONFLICT (call_sid) DO NOTHING",
    )?
    .execute(params![
        call.call_sid.as_str(),
        tenant.as_str(),
        call.caller.as_ref().map(E164::as_str),
        call.called.as_str(),
        ms(now),
        update.state,
        encode_turns(&update.turns),
        update.outcome.map(Outcome::as_str),
        update.booking_id.map(|id| id.to_string()),
        update.recording_url.as_deref(),
    ])
}

/// The turn's unanswered question, if it has one.
fn record_question(
    tx: &rusqlite::Transaction<'_>,
    tenant: &TenantId,
    call_sid: &CallSid,
    update: &TurnUpdate,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    let Some(question) = &update.question else { return Ok(()) };
    tx.prepare_cached(
        "INSERT INTO call_questions (tenant_id, call_sid, question, asked_at, nearest_source, nearest_coverage)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        tenant.as_str(),
        call_sid.as_str(),
        question,
        ms(now),
        update.nearest.as_ref().map(|n| n.source.as_str()),
        update.nearest.as_ref().map(|n| f64::from(n.coverage)),
    ])?;
    Ok(())
}

#[async_trait]
impl CallStore for SqliteStore {
    async fn open_call(
        &self,
        tenant: &TenantId,
        call: &IncomingCall,
        initial_state: &str,
        now: DateTime<Utc>,
    ) -> Result<CallRecord, CallError> {
        let call_sid = &call.call_sid;
        let row = self
            .direct
            .run(|conn| {
                let opening = TurnUpdate {
                    state: initial_state.to_owned(),
                    turns: Vec::new(),
                    outcome: None,
                    booking_id: None,
                    recording_url: None,
                    question: None,
                    nearest: None,
                    reply: String::new(),
                };
                insert_call(conn, tenant, call, &opening, now)?;
                read_call(conn, tenant, call_sid)
            })
            .await;
        let row = row.map_err(unexpected("opening call"))?;
        row.map(CallRecord::try_from).transpose()?.ok_or_else(|| CallError::NotFound(call_sid.to_string()))
    }

    async fn call(&self, tenant: &TenantId, call_sid: &CallSid) -> Result<Option<CallRecord>, CallError> {
        let row =
            self.direct.run(|conn| read_call(conn, tenant, call_sid)).await.map_err(unexpected("reading call"))?;
        row.map(CallRecord::try_from).transpose()
    }

    async fn call_for_turn(
        &self,
        tenant: &TenantId,
        call_sid: &CallSid,
        turn: &TurnKey,
    ) -> Result<Option<CallTurn>, CallError> {
        let found = self
            .direct
            .run(|conn| {
                let Some(call) = read_call(conn, tenant, call_sid)? else { return Ok(None) };
                let answered: Option<String> = conn
                    .prepare_cached("SELECT reply FROM call_replies WHERE call_sid = ?1 AND turn_key = ?2")?
                    .query_row(params![call_sid.as_str(), turn.as_key()], |row| row.get(0))
                    .optional()?;
                Ok(Some((call, answered)))
            })
            .await;
        let found = found.map_err(unexpected("reading call"))?;
        found.map(|(call, answered)| Ok(CallTurn { call: CallRecord::try_from(call)?, answered })).transpose()
    }

    async fn save_turn(
        &self,
        tenant: &TenantId,
        call_sid: &CallSid,
        turn: &TurnKey,
        update: &TurnUpdate,
        now: DateTime<Utc>,
    ) -> Result<SavedTurn, CallError> {
        let saved = self
            .direct
            .run(|conn| {
                let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                let saved = save_turn_in(&tx, tenant, call_sid, turn, update, now)?;
                tx.commit()?;
                Ok(saved)
            })
            .await;
        saved.map_err(unexpected("saving turn"))?.ok_or_else(|| CallError::NotFound(call_sid.to_string()))
    }

    async fn open_call_greeted(
        &self,
        tenant: &TenantId,
        call: &IncomingCall,
        greeting: &TurnUpdate,
        now: DateTime<Utc>,
    ) -> Result<SavedTurn, CallError> {
        // One write transaction: a new call is inserted with its greeting
        // already applied, and the greeting's reply beside it; a call that
        // exists (the provider repeated the first webhook) is saved as
        // `save_turn` would.
        let call_sid = &call.call_sid;
        let saved =
            self.direct
                .run(|conn| {
                    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                    let opened = insert_call(&tx, tenant, call, greeting, now)?;
                    let saved =
                        if opened == 0 {
                            save_turn_in(&tx, tenant, call_sid, &TurnKey::Greeting, greeting, now)?
                        } else {
                            tx.prepare_cached(
                        "INSERT INTO call_replies (call_sid, turn_key, reply, created_at) VALUES (?1, ?2, ?3, ?4)",
                    )?
                    .execute(params![call_sid.as_str(), TurnKey::Greeting.as_key(), greeting.reply, ms(now)])?;
                            record_question(&tx, tenant, call_sid, greeting, now)?;
                            Some(SavedTurn::Saved)
                        };
                    tx.commit()?;
                    Ok(saved)
                })
                .await;
        saved.map_err(unexpected("opening call"))?.ok_or_else(|| CallError::NotFound(call_sid.to_string()))
    }

    async fn record_status(
        &self,
        tenant: &TenantId,
        call_sid: &CallSid,
        status: CallStatus,
        sequence: u32,
        duration_secs: Option<u32>,
        ended_outcome: Outcome,
        now: DateTime<Utc>,
    ) -> Result<(), CallError> {
        let recorded = self
            .direct
            .run(|conn| {
                conn.prepare_cached(
                    "UPDATE calls SET
                     status = CASE WHEN last_sequence < ?4 THEN ?3 ELSE status END,
                     ended_at = CASE WHEN last_sequence < ?4 AND ?5 THEN COALESCE(ended_at, ?7) ELSE ended_at END,
                     outcome = CASE WHEN last_sequence < ?4 AND ?5 THEN ?8 ELSE outcome END,
                     updated_at = CASE WHEN last_sequence < ?4 THEN ?7 ELSE updated_at END,
                     last_sequence = max(last_sequence, ?4),
                     duration_secs = CASE WHEN ?6 IS NULL THEN duration_secs WHEN duration_secs IS NULL THEN ?6
                                          ELSE max(duration_secs, ?6) END
                 WHERE tenant_id = ?1 AND call_sid = ?2",
                )?
                .execute(params![
                    tenant.as_str(),
                    call_sid.as_str(),
                    status.as_str(),
                    i64::from(sequence),
                    status.is_final(),
                    duration_secs.map(i64::from),
                    ms(now),
                    ended_outcome.as_str(),
                ])
            })
            .await;
        recorded.map_err(unexpected("recording call status"))?;
        Ok(())
    }

    async fn list_calls(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CallRecord>, CallError> {
        let rows = self
            .direct
            .run(|conn| {
                let sql = format!(
                    "SELECT {CALL_COLUMNS} FROM calls WHERE tenant_id = ?1 AND started_at >= ?2 AND started_at < ?3
                 ORDER BY started_at DESC"
                );
                let mut statement = conn.prepare_cached(&sql)?;
                let rows = statement.query_map(params![tenant.as_str(), ms(from), ms(to)], CallRow::read)?;
                rows.collect::<rusqlite::Result<Vec<CallRow>>>()
            })
            .await;
        rows.map_err(unexpected("listing calls"))?.into_iter().map(CallRecord::try_from).collect()
    }

    async fn call_summaries(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CallSummary>, CallError> {
        let rows = self.direct.run(|conn| started_between(conn, SUMMARY_COLUMNS, Some(tenant), from, to, read_summary));
        rows.await.map_err(unexpected("listing call summaries"))?.into_iter().collect()
    }

    async fn call_summaries_of_all_tenants(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CallSummary>, CallError> {
        let rows = self.direct.run(|conn| started_between(conn, SUMMARY_COLUMNS, None, from, to, read_summary));
        rows.await.map_err(unexpected("listing every tenant's call summaries"))?.into_iter().collect()
    }

    async fn call_briefs(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CallBrief>, CallError> {
        let rows = self.direct.run(|conn| started_between(conn, BRIEF_COLUMNS, Some(tenant), from, to, read_brief));
        rows.await.map_err(unexpected("listing call briefs"))?.into_iter().collect()
    }

    async fn call_briefs_of_all_tenants(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CallBrief>, CallError> {
        let rows = self.direct.run(|conn| started_between(conn, BRIEF_COLUMNS, None, from, to, read_brief));
        rows.await.map_err(unexpected("listing every tenant's call briefs"))?.into_iter().collect()
    }

    async fn transfer_ends(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<frontdesk_routing::CallTransfer>, CallError> {
        self.read_transfer_ends(tenant, from, to).await
    }

    async fn questions(&self, tenant: &TenantId) -> Result<Vec<AskedQuestion>, CallError> {
        let rows = self
            .direct
            .run(|conn| {
                let mut statement = conn.prepare_cached(
                "SELECT rowid, asked_at, question, answered_at, nearest_source, nearest_coverage FROM call_questions
                 WHERE tenant_id = ?1 ORDER BY asked_at DESC, rowid DESC",
            )?;
                let rows = statement.query_map(params![tenant.as_str()], question_row)?;
                rows.collect::<rusqlite::Result<Vec<QuestionRow>>>()
            })
            .await;
        Ok(rows.map_err(unexpected("listing questions"))?.into_iter().map(asked_question).collect())
    }

    async fn close_question(
        &self,
        tenant: &TenantId,
        id: i64,
        at: DateTime<Utc>,
    ) -> Result<Option<AskedQuestion>, CallError> {
        let row = self
            .direct
            .run(|conn| {
                conn.prepare_cached(
                "UPDATE call_questions SET answered_at = COALESCE(answered_at, ?3) WHERE tenant_id = ?1 AND rowid = ?2
                 RETURNING rowid, asked_at, question, answered_at, nearest_source, nearest_coverage",
            )?
            .query_row(params![tenant.as_str(), id, ms(at)], question_row)
            .optional()
            })
            .await;
        Ok(row.map_err(unexpected("closing a question"))?.map(asked_question))
    }
}

fn question_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<QuestionRow> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?))
}

type QuestionRow = (i64, i64, String, Option<i64>, Option<String>, Option<f64>);

fn asked_question((id, asked_at, question, answered_at, source, coverage): QuestionRow) -> AskedQuestion {
    let nearest = source.map(|source| NearestPassage { source, coverage: coverage.unwrap_or(0.0) as f32 });
    AskedQuestion { id, asked_at: from_ms(asked_at), question, answered_at: answered_at.map(from_ms), nearest }
}

/// The `columns` of the calls started in `[from, to)`, of `tenant` or of
/// every tenant, newest first, each read by `read`. Two statements, not one
/// with an optional filter, so each keeps its own index.
fn started_between<T>(
    conn: &rusqlite::Connection,
    columns: &str,
    tenant: Option<&TenantId>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    read: fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    match tenant {
        Some(tenant) => {
            let sql = format!(
                "SELECT {columns} FROM calls WHERE tenant_id = ?1 AND started_at >= ?2 AND started_at < ?3
                 ORDER BY started_at DESC"
            );
            let mut statement = conn.prepare_cached(&sql)?;
            statement.query_map(params![tenant.as_str(), ms(from), ms(to)], read)?.collect()
        }
        None => {
            let sql = format!(
                "SELECT {columns} FROM calls WHERE started_at >= ?1 AND started_at < ?2 ORDER BY started_at DESC"
            );
            let mut statement = conn.prepare_cached(&sql)?;
            statement.query_map(params![ms(from), ms(to)], read)?.collect()
        }
    }
}
