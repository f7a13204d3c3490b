//! `CallStore` on SQLite.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_core::{E164, TenantId};
use frontdesk_routing::{
    AskedQuestion, CallError, CallRecord, CallSid, CallStatus, CallStore, CallTurn, IncomingCall, NearestPassage,
    Outcome, SavedTurn, TurnKey, TurnUpdate, decode_turns, encode_turns,
};

use crate::SqliteStore;
use crate::jobs::{from_ms, ms};

const CALL_COLUMNS: &str = "call_sid, tenant_id, caller, called, status, started_at, ended_at, duration_secs, outcome, \
                            booking_id, recording_url, state, turns";

#[derive(sqlx::FromRow)]
struct CallRow {
    call_sid: String,
    tenant_id: String,
    caller: Option<String>,
    called: String,
    status: String,
    started_at: i64,
    ended_at: Option<i64>,
    duration_secs: Option<i64>,
    outcome: Option<String>,
    booking_id: Option<String>,
    recording_url: Option<String>,
    state: String,
    turns: String,
}

fn unexpected(context: &'static str) -> impl FnOnce(sqlx::Error) -> CallError {
    move |error| CallError::Unexpected(crate::unexpected(context)(error))
}

fn sql(statement: String) -> sqlx::AssertSqlSafe<String> {
    // Only ever called with the column lists and fixed SQL text.
    sqlx::AssertSqlSafe(statement)
}

impl TryFrom<CallRow> for CallRecord {
    type Error = CallError;
    fn try_from(row: CallRow) -> Result<CallRecord, CallError> {
        let corrupt =
            |what: &str| CallError::Unexpected(anyhow::anyhow!("stored call {} has a bad {what}", row.call_sid));
        Ok(CallRecord {
            call_sid: CallSid::parse(&row.call_sid).map_err(|_| corrupt("call sid"))?,
            tenant: TenantId::parse(&row.tenant_id).map_err(|_| corrupt("tenant"))?,
            caller: row.caller.as_deref().map(E164::parse).transpose().map_err(|_| corrupt("caller"))?,
            called: E164::parse(&row.called).map_err(|_| corrupt("called number"))?,
            status: CallStatus::parse(&row.status).map_err(|_| corrupt("status"))?,
            started_at: from_ms(row.started_at),
            ended_at: row.ended_at.map(from_ms),
            duration_secs: row.duration_secs.and_then(|d| u32::try_from(d).ok()),
            outcome: row.outcome.as_deref().map(|o| Outcome::parse(o).ok_or_else(|| corrupt("outcome"))).transpose()?,
            booking_id: row.booking_id.as_deref().map(str::parse).transpose().map_err(|_| corrupt("booking id"))?,
            recording_url: row.recording_url,
            state: row.state,
            turns: decode_turns(&row.turns)?,
        })
    }
}

#[derive(sqlx::FromRow)]
struct CallTurnRow {
    #[sqlx(flatten)]
    call: CallRow,
    answered: Option<String>,
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
        // Insert and read back in one round trip to the connection's thread.
        let row: Option<CallRow> = sqlx::query_as(sql(format!(
            "INSERT INTO calls (call_sid, tenant_id, caller, called, status, started_at, state, updated_at)
                 VALUES (?1, ?2, ?3, ?4, 'in-progress', ?5, ?6, ?5)
                 ON CONFLICT (call_sid) DO NOTHING;
             SELECT {CALL_COLUMNS} FROM calls WHERE tenant_id = ?2 AND call_sid = ?1"
        )))
        .bind(call_sid.as_str())
        .bind(tenant.as_str())
        .bind(call.caller.as_ref().map(E164::as_str))
        .bind(call.called.as_str())
        .bind(ms(now))
        .bind(initial_state)
        .fetch_optional(&self.pool)
        .await
        .map_err(unexpected("opening call"))?;
        row.map(CallRecord::try_from).transpose()?.ok_or_else(|| CallError::NotFound(call_sid.to_string()))
    }

    async fn call(&self, tenant: &TenantId, call_sid: &CallSid) -> Result<Option<CallRecord>, CallError> {
        let row: Option<CallRow> =
            sqlx::query_as(sql(format!("SELECT {CALL_COLUMNS} FROM calls WHERE tenant_id = ?1 AND call_sid = ?2")))
                .bind(tenant.as_str())
                .bind(call_sid.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(unexpected("reading call"))?;
        row.map(CallRecord::try_from).transpose()
    }

    async fn call_for_turn(
        &self,
        tenant: &TenantId,
        call_sid: &CallSid,
        turn: &TurnKey,
    ) -> Result<Option<CallTurn>, CallError> {
        let row: Option<CallTurnRow> = sqlx::query_as(sql(format!(
            "SELECT {CALL_COLUMNS},
                 (SELECT r.reply FROM call_replies r WHERE r.call_sid = calls.call_sid AND r.turn_key = ?3) AS answered
             FROM calls WHERE tenant_id = ?1 AND call_sid = ?2"
        )))
        .bind(tenant.as_str())
        .bind(call_sid.as_str())
        .bind(turn.as_key())
        .fetch_optional(&self.pool)
        .await
        .map_err(unexpected("reading call"))?;
        row.map(|row| Ok(CallTurn { call: CallRecord::try_from(row.call)?, answered: row.answered })).transpose()
    }

    async fn save_turn(
        &self,
        tenant: &TenantId,
        call_sid: &CallSid,
        turn: &TurnKey,
        update: &TurnUpdate,
        now: DateTime<Utc>,
    ) -> Result<SavedTurn, CallError> {
        // One round trip to the connection's thread inside the transaction:
        // the reply is inserted first (only for a call of this tenant, and
        // only once per turn key); the call is updated, and the question
        // recorded, only when that insert happened (`changes() = 1`); the
        // stored reply comes back either way.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(unexpected("beginning"))?;
        let rows: Vec<(String, String)> = sqlx::query_as(
            "INSERT INTO call_replies (call_sid, turn_key, reply, created_at)
                 SELECT call_sid, ?3, ?4, ?5 FROM calls WHERE tenant_id = ?1 AND call_sid = ?2
                 ON CONFLICT (call_sid, turn_key) DO NOTHING
                 RETURNING 'saved', reply;
             UPDATE calls SET state = ?6,
                     turns = CASE WHEN ?7 = '[]' THEN turns WHEN turns = '[]' THEN ?7
                                  ELSE substr(turns, 1, length(turns) - 1) || ',' || substr(?7, 2) END,
                     outcome = COALESCE(?8, outcome), booking_id = COALESCE(?9, booking_id),
                     recording_url = COALESCE(?10, recording_url), updated_at = ?5
                 WHERE tenant_id = ?1 AND call_sid = ?2 AND changes() = 1;
             INSERT INTO call_questions (tenant_id, call_sid, question, asked_at, nearest_source, nearest_coverage)
                 SELECT ?1, ?2, ?11, ?5, ?12, ?13 WHERE ?11 IS NOT NULL AND changes() = 1;
             SELECT 'stored', r.reply FROM call_replies r JOIN calls c ON c.call_sid = r.call_sid
                 WHERE c.tenant_id = ?1 AND r.call_sid = ?2 AND r.turn_key = ?3",
        )
        .bind(tenant.as_str())
        .bind(call_sid.as_str())
        .bind(turn.as_key())
        .bind(&update.reply)
        .bind(ms(now))
        .bind(&update.state)
        .bind(encode_turns(&update.turns))
        .bind(update.outcome.map(Outcome::as_str))
        .bind(update.booking_id.map(|id| id.to_string()))
        .bind(update.recording_url.as_deref())
        .bind(update.question.as_deref())
        .bind(update.nearest.as_ref().map(|n| n.source.as_str()))
        .bind(update.nearest.as_ref().map(|n| f64::from(n.coverage)))
        .fetch_all(&mut *tx)
        .await
        .map_err(unexpected("saving turn"))?;
        tx.commit().await.map_err(unexpected("committing turn"))?;
        saved_turn(call_sid, rows)
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
        sqlx::query(
            "UPDATE calls SET
                 status = CASE WHEN last_sequence < ?4 THEN ?3 ELSE status END,
                 ended_at = CASE WHEN last_sequence < ?4 AND ?5 THEN COALESCE(ended_at, ?7) ELSE ended_at END,
                 outcome = CASE WHEN last_sequence < ?4 AND ?5 THEN ?8 ELSE outcome END,
                 updated_at = CASE WHEN last_sequence < ?4 THEN ?7 ELSE updated_at END,
                 last_sequence = max(last_sequence, ?4),
                 duration_secs = CASE WHEN ?6 IS NULL THEN duration_secs WHEN duration_secs IS NULL THEN ?6
                                      ELSE max(duration_secs, ?6) END
             WHERE tenant_id = ?1 AND call_sid = ?2",
        )
        .bind(tenant.as_str())
        .bind(call_sid.as_str())
        .bind(status.as_str())
        .bind(i64::from(sequence))
        .bind(status.is_final())
        .bind(duration_secs.map(i64::from))
        .bind(ms(now))
        .bind(ended_outcome.as_str())
        .execute(&self.pool)
        .await
        .map_err(unexpected("recording call status"))?;
        Ok(())
    }

    async fn list_calls(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CallRecord>, CallError> {
        let rows: Vec<CallRow> = sqlx::query_as(sql(format!(
            "SELECT {CALL_COLUMNS} FROM calls WHERE tenant_id = ?1 AND started_at >= ?2 AND started_at < ?3
             ORDER BY started_at DESC"
        )))
        .bind(tenant.as_str())
        .bind(ms(from))
        .bind(ms(to))
        .fetch_all(&self.pool)
        .await
        .map_err(unexpected("listing calls"))?;
        rows.into_iter().map(CallRecord::try_from).collect()
    }

    async fn questions(&self, tenant: &TenantId) -> Result<Vec<AskedQuestion>, CallError> {
        let rows: Vec<QuestionRow> = sqlx::query_as(
            "SELECT rowid, asked_at, question, answered_at, nearest_source, nearest_coverage FROM call_questions
             WHERE tenant_id = ?1
             ORDER BY asked_at DESC, rowid DESC",
        )
        .bind(tenant.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(unexpected("listing questions"))?;
        Ok(rows.into_iter().map(asked_question).collect())
    }

    async fn close_question(
        &self,
        tenant: &TenantId,
        id: i64,
        at: DateTime<Utc>,
    ) -> Result<Option<AskedQuestion>, CallError> {
        let row: Option<QuestionRow> = sqlx::query_as(
            "UPDATE call_questions SET answered_at = COALESCE(answered_at, ?3) WHERE tenant_id = ?1 AND rowid = ?2
             RETURNING rowid, asked_at, question, answered_at, nearest_source, nearest_coverage",
        )
        .bind(tenant.as_str())
        .bind(id)
        .bind(ms(at))
        .fetch_optional(&self.pool)
        .await
        .map_err(unexpected("closing a question"))?;
        Ok(row.map(asked_question))
    }
}

type QuestionRow = (i64, i64, String, Option<i64>, Option<String>, Option<f64>);

fn asked_question((id, asked_at, question, answered_at, source, coverage): QuestionRow) -> AskedQuestion {
    let nearest = source.map(|source| NearestPassage { source, coverage: coverage.unwrap_or(0.0) as f32 });
    AskedQuestion { id, asked_at: from_ms(asked_at), question, answered_at: answered_at.map(from_ms), nearest }
}

/// What a save's rows say: a `saved` row when this save wrote the turn,
/// else the reply stored first, else no such call.
fn saved_turn(call_sid: &CallSid, rows: Vec<(String, String)>) -> Result<SavedTurn, CallError> {
    if rows.iter().any(|(kind, _)| kind == "saved") {
        return Ok(SavedTurn::Saved);
    }
    match rows.into_iter().next() {
        Some((_, first)) => Ok(SavedTurn::AlreadyAnswered(first)),
        None => Err(CallError::NotFound(call_sid.to_string())),
    }
}
