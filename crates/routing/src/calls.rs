//! The `CallStore` port: one record per phone call, keyed by Twilio's
//! CallSid, holding the dialogue state (so any gateway process can serve any
//! turn), the transcript, the outcome, and the reply to each turn (so a
//! repeated webhook gets the same answer and never books twice).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_calendar::BookingId;
use frontdesk_core::{E164, TenantId};

use crate::ids::{CallSid, CallStatus, TurnKey};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Speaker {
    Caller,
    Agent,
}

impl Speaker {
    pub fn as_str(self) -> &'static str {
        match self {
            Speaker::Caller => "caller",
            Speaker::Agent => "agent",
        }
    }
}

/// One utterance in a call's transcript. Caller text is stored with card
/// numbers already removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turn {
    pub at: DateTime<Utc>,
    pub speaker: Speaker,
    pub text: String,
    /// The knowledge an agent's answer came from (`doc:payments`, `faq:2`).
    pub sources: Vec<String>,
}

impl Turn {
    /// A turn that cites nothing.
    pub fn said(at: DateTime<Utc>, speaker: Speaker, text: impl Into<String>) -> Turn {
        Turn { at, speaker, text: text.into(), sources: Vec::new() }
    }
}

/// How a call ended, from the shop's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    Booked,
    Cancelled,
    Rescheduled,
    Answered,
    Transferred,
    MessageTaken,
    /// The caller hung up without being served.
    Abandoned,
    /// The caller hung up in the middle of booking, moving or cancelling: a
    /// booking the shop may have lost.
    AbandonedBooking,
}

impl Outcome {
    pub const ALL: [Outcome; 8] = [
        Outcome::Booked,
        Outcome::Cancelled,
        Outcome::Rescheduled,
        Outcome::Answered,
        Outcome::Transferred,
        Outcome::MessageTaken,
        Outcome::Abandoned,
        Outcome::AbandonedBooking,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Booked => "booked",
            Outcome::Cancelled => "cancelled",
            Outcome::Rescheduled => "rescheduled",
            Outcome::Answered => "answered",
            Outcome::Transferred => "transferred",
            Outcome::MessageTaken => "message_taken",
            Outcome::Abandoned => "abandoned",
            Outcome::AbandonedBooking => "abandoned_booking",
        }
    }

    pub fn parse(raw: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == raw)
    }

    /// The call's outcome once this turn's `reported` outcome is taken into
    /// account: an answered question never hides what the call already
    /// achieved (a goodbye after a booking keeps it "booked").
    pub fn after_turn(reported: Option<Outcome>, so_far: Option<Outcome>) -> Option<Outcome> {
        match (reported, so_far) {
            (Some(Outcome::Answered), Some(earlier)) => Some(earlier),
            (Some(now), _) => Some(now),
            (None, earlier) => earlier,
        }
    }

    /// The outcome of a call that ended: one that served nothing is
    /// abandoned, and one that ended in the middle of a booking (or a change
    /// to one) is a lost booking, whatever was answered before.
    pub fn on_hang_up(so_far: Option<Outcome>, mid_booking: bool) -> Outcome {
        match so_far {
            None | Some(Outcome::Answered) if mid_booking => Outcome::AbandonedBooking,
            None => Outcome::Abandoned,
            Some(outcome) => outcome,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    pub call_sid: CallSid,
    pub tenant: TenantId,
    pub caller: Option<E164>,
    pub called: E164,
    /// The provider's latest call status.
    pub status: CallStatus,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub duration_secs: Option<u32>,
    pub outcome: Option<Outcome>,
    pub booking_id: Option<BookingId>,
    pub recording_url: Option<String>,
    /// The dialogue's state, serialised by the dialogue (opaque here).
    pub state: String,
    pub turns: Vec<Turn>,
}

/// A call without its transcript and dialogue state: what lists of many
/// calls show and count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallSummary {
    pub call_sid: CallSid,
    pub tenant: TenantId,
    pub caller: Option<E164>,
    pub called: E164,
    pub status: CallStatus,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub duration_secs: Option<u32>,
    pub outcome: Option<Outcome>,
    pub booking_id: Option<BookingId>,
}

impl From<&CallRecord> for CallSummary {
    fn from(call: &CallRecord) -> CallSummary {
        CallSummary {
            call_sid: call.call_sid.clone(),
            tenant: call.tenant.clone(),
            caller: call.caller.clone(),
            called: call.called.clone(),
            status: call.status,
            started_at: call.started_at,
            ended_at: call.ended_at,
            duration_secs: call.duration_secs,
            outcome: call.outcome,
            booking_id: call.booking_id,
        }
    }
}

/// A call as the figures count it: when it started and ended, how it ended
/// and what it booked; not who called, nor what was said. The pages that
/// count thousands of calls at once (Insights, the operator's) read these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallBrief {
    pub call_sid: CallSid,
    pub tenant: TenantId,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub duration_secs: Option<u32>,
    pub outcome: Option<Outcome>,
    pub booking_id: Option<BookingId>,
}

impl From<&CallSummary> for CallBrief {
    fn from(call: &CallSummary) -> CallBrief {
        CallBrief {
            call_sid: call.call_sid.clone(),
            tenant: call.tenant.clone(),
            started_at: call.started_at,
            ended_at: call.ended_at,
            duration_secs: call.duration_secs,
            outcome: call.outcome,
            booking_id: call.booking_id,
        }
    }
}

/// A call that is starting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingCall {
    pub call_sid: CallSid,
    /// `None` when the caller withheld their number.
    pub caller: Option<E164>,
    /// The shop's number that was called.
    pub called: E164,
}

/// What one turn changes.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnUpdate {
    pub state: String,
    pub turns: Vec<Turn>,
    /// The call's outcome after this turn (`None`: unchanged).
    pub outcome: Option<Outcome>,
    pub booking_id: Option<BookingId>,
    pub recording_url: Option<String>,
    /// A question the shop could not answer, recorded for the owner with the
    /// turn (so a repeated turn never records it twice).
    pub question: Option<String>,
    /// The passage that came closest to answering `question`, if any.
    pub nearest: Option<NearestPassage>,
    /// The answer given to this turn, as the call session encodes it;
    /// replayed if the turn repeats.
    pub reply: String,
}

/// A call as one turn needs it: the record, and the answer already given to
/// this turn's key if the webhook is a repeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallTurn {
    pub call: CallRecord,
    pub answered: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SavedTurn {
    Saved,
    /// The turn had been answered already (a webhook retry): its first reply.
    AlreadyAnswered(String),
}

#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("call {0} does not exist")]
    NotFound(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

#[async_trait]
pub trait CallStore: Send + Sync {
    /// Creates the call record, or returns the existing one (the provider may
    /// repeat the first webhook).
    async fn open_call(
        &self,
        tenant: &TenantId,
        call: &IncomingCall,
        initial_state: &str,
        now: DateTime<Utc>,
    ) -> Result<CallRecord, CallError>;

    /// Opens the call already greeted: [`CallStore::open_call`] with
    /// `greeting`'s state, then [`CallStore::save_turn`] of
    /// [`TurnKey::Greeting`]; the stores do both in one write. A repeated
    /// first webhook gets `AlreadyAnswered` with the first greeting and
    /// changes nothing; a call sid of another tenant is `NotFound`.
    async fn open_call_greeted(
        &self,
        tenant: &TenantId,
        call: &IncomingCall,
        greeting: &TurnUpdate,
        now: DateTime<Utc>,
    ) -> Result<SavedTurn, CallError> {
        self.open_call(tenant, call, &greeting.state, now).await?;
        self.save_turn(tenant, &call.call_sid, &TurnKey::Greeting, greeting, now).await
    }

    async fn call(&self, tenant: &TenantId, call_sid: &CallSid) -> Result<Option<CallRecord>, CallError>;

    /// The call and the answer already given to `turn` (if any), in one read:
    /// the only read a turn makes.
    async fn call_for_turn(
        &self,
        tenant: &TenantId,
        call_sid: &CallSid,
        turn: &TurnKey,
    ) -> Result<Option<CallTurn>, CallError>;

    /// Applies one turn atomically, with its question if it has one. MUST
    /// return `AlreadyAnswered` with the first reply (and change nothing) if
    /// `turn` was saved before, also when two requests race; MUST return
    /// `NotFound` for a call this tenant does not have.
    async fn save_turn(
        &self,
        tenant: &TenantId,
        call_sid: &CallSid,
        turn: &TurnKey,
        update: &TurnUpdate,
        now: DateTime<Utc>,
    ) -> Result<SavedTurn, CallError>;

    /// A status callback. Callbacks arrive out of order and repeat: one whose
    /// `sequence` is not newer than the last applied is ignored. A final
    /// status sets `ended_at`, the duration and the call's outcome to
    /// `ended_outcome` (the call session decides it). The duration kept is
    /// the largest one reported, whatever the callbacks' order.
    #[allow(clippy::too_many_arguments)]
    async fn record_status(
        &self,
        tenant: &TenantId,
        call_sid: &CallSid,
        status: CallStatus,
        sequence: u32,
        duration_secs: Option<u32>,
        ended_outcome: Outcome,
        now: DateTime<Utc>,
    ) -> Result<(), CallError>;

    /// Calls that started in `[from, to)`, newest first.
    async fn list_calls(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CallRecord>, CallError>;

    /// [`CallStore::list_calls`] without transcripts and dialogue states:
    /// calls that started in `[from, to)`, newest first. Stores read only
    /// the columns a summary holds; this default reads whole calls.
    async fn call_summaries(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CallSummary>, CallError> {
        Ok(self.list_calls(tenant, from, to).await?.iter().map(CallSummary::from).collect())
    }

    /// [`CallStore::call_summaries`] of every tenant at once, newest first:
    /// the operator's pages (a thousand shops in one read).
    async fn call_summaries_of_all_tenants(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CallSummary>, CallError>;

    /// [`CallStore::call_summaries`] in brief: the same calls, in the same
    /// order. Stores read only the columns a brief holds; this default
    /// reads summaries.
    async fn call_briefs(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CallBrief>, CallError> {
        Ok(self.call_summaries(tenant, from, to).await?.iter().map(CallBrief::from).collect())
    }

    /// [`CallStore::call_summaries_of_all_tenants`] in brief: the same
    /// calls, in the same order.
    async fn call_briefs_of_all_tenants(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CallBrief>, CallError> {
        Ok(self.call_summaries_of_all_tenants(from, to).await?.iter().map(CallBrief::from).collect())
    }

    /// How the transfers to a person ended on the tenant's calls that
    /// started in `[from, to)`, as their replies record them
    /// ([`crate::TransferEnd::from_reply_keys`] over the keys
    /// [`crate::transfers::is_transfer_reply_key`] keeps): one entry per call
    /// whose replies hold an acceptance or a transfer nobody took, in no
    /// particular order. Only calls whose outcome is one of
    /// [`crate::transfers::OUTCOMES_AFTER_A_TRANSFER`] are looked at. A cold
    /// transfer that bridged records none ([`crate::TransferEnd::of_call`]
    /// reads it from the outcome).
    async fn transfer_ends(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<crate::CallTransfer>, CallError>;

    /// Questions the shop could not answer ("FAQ gaps"), newest first,
    /// answered ones included (with when they were answered).
    async fn questions(&self, tenant: &TenantId) -> Result<Vec<AskedQuestion>, CallError>;

    /// Marks the tenant's question `id` answered at `at` (the first time
    /// only). `Ok(None)` when the tenant has no such question.
    async fn close_question(
        &self,
        tenant: &TenantId,
        id: i64,
        at: DateTime<Utc>,
    ) -> Result<Option<AskedQuestion>, CallError>;
}

/// A question a caller asked that the receptionist could not answer.
#[derive(Debug, Clone, PartialEq)]
pub struct AskedQuestion {
    /// Unique within its tenant; the answer route names it.
    pub id: i64,
    pub asked_at: DateTime<Utc>,
    pub question: String,
    /// When the owner answered it (its answer is then in the shop's knowledge).
    pub answered_at: Option<DateTime<Utc>>,
    /// What came closest in the shop's knowledge: where the owner looks
    /// first (a passage that nearly says it, or nothing at all).
    pub nearest: Option<NearestPassage>,
}

/// The best passage for a question the knowledge did not answer, and how
/// much of the question it held.
#[derive(Debug, Clone, PartialEq)]
pub struct NearestPassage {
    /// Its source id (`doc:parking`, `faq:2`).
    pub source: String,
    /// The share of the question's weight the passage holds (0 to 1).
    pub coverage: f32,
}

/// Turns as stores keep them: one JSON array, decoded the same way by every
/// adapter.
pub fn encode_turns(turns: &[Turn]) -> String {
    let items: Vec<serde_json::Value> = turns
        .iter()
        .map(|t| {
            let mut item = serde_json::json!({"at": t.at.to_rfc3339(), "speaker": t.speaker.as_str(), "text": t.text});
            if !t.sources.is_empty() {
                item["sources"] = serde_json::Value::from(t.sources.clone());
            }
            item
        })
        .collect();
    serde_json::Value::from(items).to_string()
}

pub fn decode_turns(raw: &str) -> Result<Vec<Turn>, CallError> {
    let corrupt = |what: &str| CallError::Unexpected(anyhow::anyhow!("stored call turns are corrupt: {what}"));
    let items: Vec<serde_json::Value> = serde_json::from_str(raw).map_err(|e| corrupt(&e.to_string()))?;
    items
        .iter()
        .map(|item| {
            let at =
                item["at"].as_str().and_then(|s| DateTime::parse_from_rfc3339(s).ok()).ok_or_else(|| corrupt("at"))?;
            let speaker = match item["speaker"].as_str() {
                Some("caller") => Speaker::Caller,
                Some("agent") => Speaker::Agent,
                _ => return Err(corrupt("speaker")),
            };
            let text = item["text"].as_str().ok_or_else(|| corrupt("text"))?.to_owned();
            let sources = match &item["sources"] {
                serde_json::Value::Null => Vec::new(),
                serde_json::Value::Array(ids) => ids
                    .iter()
                    .map(|id| id.as_str().map(str::to_owned).ok_or_else(|| corrupt("sources")))
                    .collect::<Result<_, _>>()?,
                _ => return Err(corrupt("sources")),
            };
            Ok(Turn { at: at.with_timezone(&Utc), speaker, text, sources })
        })
        .collect()
}

#[cfg(test)]
mod turn_tests {
    use super::*;

    #[test]
    fn turns_round_trip_with_their_sources_and_old_rows_still_decode() {
        let at =
            DateTime::parse_from_rfc3339("2026-12-06T15:00:00Z").map(|t| t.with_timezone(&Utc)).unwrap_or_default();
        let turns = vec![
            Turn::said(at, Speaker::Caller, "is there a ramp"),
            Turn {
                at,
                speaker: Speaker::Agent,
                text: "Use the side door.".into(),
                sources: vec!["doc:accessibility".into()],
            },
        ];
        let encoded = encode_turns(&turns);
        assert_eq!(decode_turns(&encoded).ok(), Some(turns));
        assert!(!encoded.contains("\"sources\":[]"), "a turn citing nothing stores no sources: {encoded}");
        let old = r#"[{"at":"2026-12-06T15:00:00Z","speaker":"agent","text":"Hi"}]"#;
        assert_eq!(decode_turns(old).ok().map(|t| t[0].sources.len()), Some(0));
        let bad = r#"[{"at":"2026-12-06T15:00:00Z","speaker":"agent","text":"Hi","sources":[1]}]"#;
        assert!(decode_turns(bad).is_err(), "a source that is not text is corrupt");
    }
}
