//! `CallStore` on PostgreSQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_core::{E164, TenantId};
use frontdesk_routing::calls::CallBrief;
use frontdesk_routing::{
    AskedQuestion, CallError, CallRecord, CallSid, CallStatus, CallStore, CallSummary, CallTurn, IncomingCall,
    NearestPassage, Outcome, SavedTurn, TurnKey, TurnUpdate, decode_turns, encode_turns,
};

use crate::PostgresStore;

/// The columns of a [`CallSummary`], as [`SummaryRow`] reads them: by
/// position, so every query selects them first and in this order.
macro_rules! summary_columns {
    () => {
        "call_sid, tenant_id, caller, called, status, started_at, ended_at, \
         duration_secs::int8 AS duration_secs, outcome, booking_id"
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
    started_at: DateTime<Utc>,
    ended_at: Option<DateTime<Utc>>,
    duration_secs: Option<i64>,
    outcome: Option<&'row str>,
    booking_id: Option<&'row str>,
}

impl<'row> SummaryRow<'row> {
    // By position, not by name: a page reads thousands of these, and finding
    // each column by its name was a good part of reading a row.
    fn read(row: &'row sqlx::postgres::PgRow) -> Result<SummaryRow<'row>, sqlx::Error> {
        use sqlx::Row;
        Ok(SummaryRow {
            call_sid: row.try_get(0)?,
            tenant_id: row.try_get(1)?,
            caller: row.try_get(2)?,
            called: row.try_get(3)?,
            status: row.try_get(4)?,
            started_at: row.try_get(5)?,
            ended_at: row.try_get(6)?,
            duration_secs: row.try_get(7)?,
            outcome: row.try_get(8)?,
            booking_id: row.try_get(9)?,
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
            started_at: self.started_at,
            ended_at: self.ended_at,
            duration_secs: self.duration_secs.and_then(|d| u32::try_from(d).ok()),
            outcome: self.outcome.map(|o| Outcome::parse(o).ok_or_else(|| corrupt("outcome"))).transpose()?,
            booking_id: self.booking_id.map(str::parse).transpose().map_err(|_| corrupt("booking id"))?,
        })
    }
}

/// A call's summary, parsed as its row is read: a driver's error fails the
/// read, a stored value that does not parse is kept for the caller to see.
struct Summary(Result<CallSummary, CallError>);

impl<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> for Summary {
    fn from_row(row: &'r sqlx::postgres::PgRow) -> Result<Summary, sqlx::Error> {
        Ok(Summary(SummaryRow::read(row)?.parse()))
    }
}

/// The columns of a [`CallBrief`], as [`Brief`] reads them: by position.
const BRIEF_COLUMNS: &str =
    "call_sid, tenant_id, started_at, ended_at, duration_secs::int8 AS duration_secs, outcome, booking_id";

/// A call's brief, parsed as its row is read (as [`Summary`]).
struct Brief(Result<CallBrief, CallError>);

impl<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> for Brief {
    fn from_row(row: &'r sqlx::postgres::PgRow) -> Result<Brief, sqlx::Error> {
        use sqlx::Row;
        let (call_sid, tenant_id): (&str, &str) = (row.try_get(0)?, row.try_get(1)?);
        let started_at: DateTime<Utc> = row.try_get(2)?;
        let ended_at: Option<DateTime<Utc>> = row.try_get(3)?;
        let duration_secs: Option<i64> = row.try_get(4)?;
        let (outcome, booking_id): (Option<&str>, Option<&str>) = (row.try_get(5)?, row.try_get(6)?);
        let corrupt = |what: &str| CallError::Unexpected(anyhow::anyhow!("stored call {call_sid} has a bad {what}"));
        let brief = || -> Result<CallBrief, CallError> {
            Ok(CallBrief {
                call_sid: CallSid::parse(call_sid).map_err(|_| corrupt("call sid"))?,
                tenant: TenantId::parse(tenant_id).map_err(|_| corrupt("tenant"))?,
                started_at,
                ended_at,
                duration_secs: duration_secs.and_then(|d| u32::try_from(d).ok()),
                outcome: outcome.map(|o| Outcome::parse(o).ok_or_else(|| corrupt("outcome"))).transpose()?,
                booking_id: booking_id.map(str::parse).transpose().map_err(|_| corrupt("booking id"))?,
            })
        };
        Ok(Brief(brief()))
    }
}

#[derive(sqlx::FromRow)]
struct CallRow {
    #[sqlx(flatten)]
    summary: Summary,
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
        let summary = row.summary.0?;
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

#[derive(sqlx::FromRow)]
struct CallTurnRow {
    #[sqlx(flatten)]
    call: CallRow,
    answered: Option<String>,
}

#[async_trait]
impl CallStore for PostgresStore {
    async fn open_call(
        &self,
        tenant: &TenantId,
        call: &IncomingCall,
        initial_state: &str,
        now: DateTime<Utc>,
    ) -> Result<CallRecord, CallError> {
        let call_sid = &call.call_sid;
        // Insert and read back in one statement; the existing call when the
        // provider repeats the first webhook.
        let row: Option<CallRow> = sqlx::query_as(sql(format!(
            "WITH opened AS (
                 INSERT INTO calls (call_sid, tenant_id, caller, called, status, started_at, state, updated_at)
                 VALUES ($1, $2, $3, $4, 'in-progress', $5, $6, $5)
                 ON CONFLICT (call_sid) DO NOTHING
                 RETURNING {CALL_COLUMNS})
             SELECT * FROM opened
             UNION ALL
             SELECT {CALL_COLUMNS} FROM calls WHERE tenant_id = $2 AND call_sid = $1 AND NOT EXISTS (SELECT 1 FROM opened)"
        )))
        .bind(call_sid.as_str())
        .bind(tenant.as_str())
        .bind(call.caller.as_ref().map(E164::as_str))
        .bind(call.called.as_str())
        .bind(now)
        .bind(initial_state)
        .fetch_optional(&self.pool)
        .await
        .map_err(unexpected("opening call"))?;
        match row {
            Some(row) => CallRecord::try_from(row),
            // A concurrent first webhook committed after this statement began.
            None => self.call(tenant, call_sid).await?.ok_or_else(|| CallError::NotFound(call_sid.to_string())),
        }
    }

    async fn call(&self, tenant: &TenantId, call_sid: &CallSid) -> Result<Option<CallRecord>, CallError> {
        let row: Option<CallRow> =
            sqlx::query_as(sql(format!("SELECT {CALL_COLUMNS} FROM calls WHERE tenant_id = $1 AND call_sid = $2")))
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
        let mut conn = self.lean.get().await.map_err(unexpected("borrowing a connection"))?;
        // Every turn reads this: its text is built once.
        static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
            format!(
                "SELECT {CALL_COLUMNS},
                     (SELECT r.reply FROM call_replies r WHERE r.call_sid = calls.call_sid AND r.turn_key = $3)
                         AS answered
                 FROM calls WHERE tenant_id = $1 AND call_sid = $2"
            )
        });
        let row: Option<CallTurnRow> = sqlx::query_as(sqlx::AssertSqlSafe(SQL.as_str()))
            .bind(tenant.as_str())
            .bind(call_sid.as_str())
            .bind(turn.as_key())
            .fetch_optional(&mut *conn)
            .await
            .map_err(unexpected("reading call"))?;
        conn.finished();
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
        // One statement, so one round trip and atomic: the reply is inserted
        // (only for a call of this tenant, once per turn key: a concurrent
        // delivery waits on the key and then inserts nothing); the call row
        // and the question are written only when that insert happened.
        // The UPDATE re-reads the row it locks, so appending the turns is
        // safe also when two turns of one call race.
        let key = turn.as_key();
        let mut conn = self.lean.get().await.map_err(unexpected("borrowing a connection"))?;
        let row: (bool, bool, Option<String>) = sqlx::query_as(
            "WITH found AS (SELECT call_sid FROM calls WHERE tenant_id = $1 AND call_sid = $2),
             saved AS (
                 INSERT INTO call_replies (call_sid, turn_key, reply, created_at)
                 SELECT call_sid, $3, $4, $5 FROM found
                 ON CONFLICT (call_sid, turn_key) DO NOTHING
                 RETURNING call_sid),
             updated AS (
                 UPDATE calls SET state = $6,
                     turns = CASE WHEN $7 = '[]' THEN turns ELSE (turns::jsonb || $7::jsonb)::text END,
                     outcome = COALESCE($8, outcome), booking_id = COALESCE($9, booking_id),
                     recording_url = COALESCE($10, recording_url), updated_at = $5
                 WHERE tenant_id = $1 AND call_sid IN (SELECT call_sid FROM saved)
                 RETURNING call_sid),
             asked AS (
                 INSERT INTO call_questions (tenant_id, call_sid, question, asked_at, nearest_source, nearest_coverage)
                 SELECT $1, call_sid, $11, $5, $12, $13 FROM updated WHERE $11::text IS NOT NULL)
             SELECT EXISTS (SELECT 1 FROM found), EXISTS (SELECT 1 FROM saved),
                 (SELECT reply FROM call_replies WHERE call_sid = $2 AND turn_key = $3)",
        )
        .bind(tenant.as_str())
        .bind(call_sid.as_str())
        .bind(&key)
        .bind(&update.reply)
        .bind(now)
        .bind(&update.state)
        .bind(encode_turns(&update.turns))
        .bind(update.outcome.map(Outcome::as_str))
        .bind(update.booking_id.map(|id| id.to_string()))
        .bind(update.recording_url.as_deref())
        .bind(update.question.as_deref())
        .bind(update.nearest.as_ref().map(|n| n.source.as_str()))
        .bind(update.nearest.as_ref().map(|n| n.coverage))
        .fetch_one(&mut *conn)
        .await
        .map_err(unexpected("saving turn"))?;
        conn.finished();
        match row {
            (false, _, _) => Err(CallError::NotFound(call_sid.to_string())),
            (true, true, _) => Ok(SavedTurn::Saved),
            (true, false, Some(first)) => Ok(SavedTurn::AlreadyAnswered(first)),
            // A concurrent delivery committed the reply after this
            // statement's snapshot was taken: read it now.
            (true, false, None) => {
                let first: Option<String> =
                    sqlx::query_scalar("SELECT reply FROM call_replies WHERE call_sid = $1 AND turn_key = $2")
                        .bind(call_sid.as_str())
                        .bind(&key)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(unexpected("reading turn reply"))?;
                first.map(SavedTurn::AlreadyAnswered).ok_or_else(|| {
                    CallError::Unexpected(anyhow::anyhow!("turn {key} of {call_sid} neither saved nor found"))
                })
            }
        }
    }

    async fn open_call_greeted(
        &self,
        tenant: &TenantId,
        call: &IncomingCall,
        greeting: &TurnUpdate,
        now: DateTime<Utc>,
    ) -> Result<SavedTurn, CallError> {
        // One statement for a new call: the call inserted with its greeting
        // applied, the greeting's reply and question beside it. A call that
        // exists already (a repeated first webhook, or another tenant's sid)
        // inserts nothing here and is saved as `save_turn` would.
        let call_sid = &call.call_sid;
        let mut conn = self.lean.get().await.map_err(unexpected("borrowing a connection"))?;
        let opened: bool = sqlx::query_scalar(
            "WITH opened AS (
                 INSERT INTO calls (call_sid, tenant_id, caller, called, status, started_at, state, turns,
                     outcome, booking_id, recording_url, updated_at)
                 VALUES ($1, $2, $3, $4, 'in-progress', $5, $6, $7, $8, $9, $10, $5)
                 ON CONFLICT (call_sid) DO NOTHING
                 RETURNING call_sid),
             saved AS (
                 INSERT INTO call_replies (call_sid, turn_key, reply, created_at)
                 SELECT call_sid, $11, $12, $5 FROM opened
                 RETURNING call_sid),
             asked AS (
                 INSERT INTO call_questions (tenant_id, call_sid, question, asked_at, nearest_source, nearest_coverage)
                 SELECT $2, call_sid, $13, $5, $14, $15 FROM saved WHERE $13::text IS NOT NULL)
             SELECT EXISTS (SELECT 1 FROM saved)",
        )
        .bind(call_sid.as_str())
        .bind(tenant.as_str())
        .bind(call.caller.as_ref().map(E164::as_str))
        .bind(call.called.as_str())
        .bind(now)
        .bind(&greeting.state)
        .bind(encode_turns(&greeting.turns))
        .bind(greeting.outcome.map(Outcome::as_str))
        .bind(greeting.booking_id.map(|id| id.to_string()))
        .bind(greeting.recording_url.as_deref())
        .bind(TurnKey::Greeting.as_key())
        .bind(&greeting.reply)
        .bind(greeting.question.as_deref())
        .bind(greeting.nearest.as_ref().map(|n| n.source.as_str()))
        .bind(greeting.nearest.as_ref().map(|n| n.coverage))
        .fetch_one(&mut *conn)
        .await
        .map_err(unexpected("opening call"))?;
        conn.finished();
        if opened {
            return Ok(SavedTurn::Saved);
        }
        self.save_turn(tenant, call_sid, &TurnKey::Greeting, greeting, now).await
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
                 status = CASE WHEN last_sequence < $4 THEN $3 ELSE status END,
                 ended_at = CASE WHEN last_sequence < $4 AND $5::boolean THEN COALESCE(ended_at, $7) ELSE ended_at END,
                 outcome = CASE WHEN last_sequence < $4 AND $5::boolean THEN $8 ELSE outcome END,
                 updated_at = CASE WHEN last_sequence < $4 THEN $7 ELSE updated_at END,
                 last_sequence = GREATEST(last_sequence, $4),
                 duration_secs = GREATEST(duration_secs, $6)
             WHERE tenant_id = $1 AND call_sid = $2",
        )
        .bind(tenant.as_str())
        .bind(call_sid.as_str())
        .bind(status.as_str())
        .bind(i32::try_from(sequence).unwrap_or(i32::MAX))
        .bind(status.is_final())
        .bind(duration_secs.and_then(|d| i32::try_from(d).ok()))
        .bind(now)
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
            "SELECT {CALL_COLUMNS} FROM calls WHERE tenant_id = $1 AND started_at >= $2 AND started_at < $3
             ORDER BY started_at DESC"
        )))
        .bind(tenant.as_str())
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await
        .map_err(unexpected("listing calls"))?;
        rows.into_iter().map(CallRecord::try_from).collect()
    }

    async fn call_summaries(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CallSummary>, CallError> {
        let rows: Vec<Summary> = self.started_between(SUMMARY_COLUMNS, Some(tenant), from, to).await?;
        rows.into_iter().map(|row| row.0).collect()
    }

    async fn call_summaries_of_all_tenants(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CallSummary>, CallError> {
        let rows: Vec<Summary> = self.started_between(SUMMARY_COLUMNS, None, from, to).await?;
        rows.into_iter().map(|row| row.0).collect()
    }

    async fn call_briefs(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CallBrief>, CallError> {
        let rows: Vec<Brief> = self.started_between(BRIEF_COLUMNS, Some(tenant), from, to).await?;
        rows.into_iter().map(|row| row.0).collect()
    }

    async fn call_briefs_of_all_tenants(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CallBrief>, CallError> {
        let rows: Vec<Brief> = self.started_between(BRIEF_COLUMNS, None, from, to).await?;
        rows.into_iter().map(|row| row.0).collect()
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
        let rows: Vec<QuestionRow> = sqlx::query_as(
            "SELECT question_id, asked_at, question, answered_at, nearest_source, nearest_coverage FROM call_questions
             WHERE tenant_id = $1
             ORDER BY asked_at DESC, question_id DESC",
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
            "UPDATE call_questions SET answered_at = COALESCE(answered_at, $3) WHERE tenant_id = $1 AND question_id = $2
             RETURNING question_id, asked_at, question, answered_at, nearest_source, nearest_coverage",
        )
        .bind(tenant.as_str())
        .bind(id)
        .bind(at)
        .fetch_optional(&self.pool)
        .await
        .map_err(unexpected("closing a question"))?;
        Ok(row.map(asked_question))
    }
}

type QuestionRow = (i64, DateTime<Utc>, String, Option<DateTime<Utc>>, Option<String>, Option<f32>);

fn asked_question((id, asked_at, question, answered_at, source, coverage): QuestionRow) -> AskedQuestion {
    let nearest = source.map(|source| NearestPassage { source, coverage: coverage.unwrap_or(0.0) });
    AskedQuestion { id, asked_at, question, answered_at, nearest }
}

impl PostgresStore {
    /// The `columns` of the calls started in `[from, to)`, of `tenant` or of
    /// every tenant, newest first, each read as an `R`. Two statements, not
    /// one with an optional filter, so each keeps its own index.
    async fn started_between<R>(
        &self,
        columns: &str,
        tenant: Option<&TenantId>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<R>, CallError>
    where
        R: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
    {
        let query = match tenant {
            Some(tenant) => sqlx::query_as(sql(format!(
                "SELECT {columns} FROM calls WHERE tenant_id = $1 AND started_at >= $2 AND started_at < $3
                 ORDER BY started_at DESC"
            )))
            .bind(tenant.as_str()),
            None => sqlx::query_as(sql(format!(
                "SELECT {columns} FROM calls WHERE started_at >= $1 AND started_at < $2 ORDER BY started_at DESC"
            ))),
        };
        query.bind(from).bind(to).fetch_all(&self.pool).await.map_err(unexpected("listing the calls of a period"))
    }
}
