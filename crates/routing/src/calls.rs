//! The `CallStore` port: one record per phone call, keyed by Twilio's
//! CallSid, holding the dialogue state (so any gateway process can serve any
//! turn), the transcript, the outcome, and the reply to each turn (so a
//! repeated webhook gets the same answer and never books twice).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_core::{E164, TenantId};

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
    Abandoned,
}

impl Outcome {
    pub const ALL: [Outcome; 7] = [
        Outcome::Booked,
        Outcome::Cancelled,
        Outcome::Rescheduled,
        Outcome::Answered,
        Outcome::Transferred,
        Outcome::MessageTaken,
        Outcome::Abandoned,
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
        }
    }

    pub fn parse(raw: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == raw)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    pub call_sid: String,
    pub tenant: TenantId,
    pub caller: Option<E164>,
    pub called: String,
    /// Twilio's latest call status (`in-progress`, `completed`, …).
    pub status: String,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub duration_secs: Option<u32>,
    pub outcome: Option<Outcome>,
    pub booking_id: Option<String>,
    pub recording_url: Option<String>,
    /// The dialogue's state, serialised by the dialogue (opaque here).
    pub state: String,
    pub turns: Vec<Turn>,
}

/// What one turn changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnUpdate {
    pub state: String,
    pub turns: Vec<Turn>,
    pub outcome: Option<Outcome>,
    pub booking_id: Option<String>,
    pub recording_url: Option<String>,
    /// The TwiML answered for this turn, replayed if the turn repeats.
    pub reply: String,
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
    /// Creates the call record, or returns the existing one (Twilio may
    /// repeat the first webhook).
    async fn open_call(
        &self,
        tenant: &TenantId,
        call_sid: &str,
        caller: Option<&E164>,
        called: &str,
        initial_state: &str,
        now: DateTime<Utc>,
    ) -> Result<CallRecord, CallError>;

    async fn call(&self, tenant: &TenantId, call_sid: &str) -> Result<Option<CallRecord>, CallError>;

    /// The reply already given to `turn_key`, if any.
    async fn answered_turn(
        &self,
        tenant: &TenantId,
        call_sid: &str,
        turn_key: &str,
    ) -> Result<Option<String>, CallError>;

    /// Applies one turn atomically. MUST return `AlreadyAnswered` with the
    /// first reply (and change nothing) if `turn_key` was saved before, also
    /// when two requests race.
    async fn save_turn(
        &self,
        tenant: &TenantId,
        call_sid: &str,
        turn_key: &str,
        update: &TurnUpdate,
        now: DateTime<Utc>,
    ) -> Result<SavedTurn, CallError>;

    /// A status callback. Callbacks arrive out of order and repeat: one whose
    /// `sequence` is not newer than the last applied is ignored. A final
    /// status (`completed`, `busy`, `no-answer`, `canceled`, `failed`) sets
    /// `ended_at` and the duration; a call that ends with no outcome is
    /// `abandoned`.
    async fn record_status(
        &self,
        tenant: &TenantId,
        call_sid: &str,
        status: &str,
        sequence: u32,
        duration_secs: Option<u32>,
        now: DateTime<Utc>,
    ) -> Result<(), CallError>;

    /// Calls that started in `[from, to)`, newest first.
    async fn list_calls(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CallRecord>, CallError>;

    /// A question the profile could not answer, for the owner ("FAQ gaps").
    async fn record_question(
        &self,
        tenant: &TenantId,
        call_sid: &str,
        question: &str,
        now: DateTime<Utc>,
    ) -> Result<(), CallError>;

    async fn questions(&self, tenant: &TenantId) -> Result<Vec<(DateTime<Utc>, String)>, CallError>;
}

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

/// The record of texts: written when a text is queued, updated when it is
/// sent or fails.
#[async_trait]
pub trait MessageLog: Send + Sync {
    /// Inserts or replaces the record with this id.
    async fn upsert_message(&self, message: &MessageRecord) -> Result<(), CallError>;
    async fn message(&self, tenant: &TenantId, id: &str) -> Result<Option<MessageRecord>, CallError>;
    /// Newest first.
    async fn list_messages(&self, tenant: &TenantId, limit: u32) -> Result<Vec<MessageRecord>, CallError>;
    /// Opt-out list (STOP / START).
    async fn set_opt_out(
        &self,
        tenant: &TenantId,
        phone: &E164,
        opted_out: bool,
        now: DateTime<Utc>,
    ) -> Result<(), CallError>;
    async fn is_opted_out(&self, tenant: &TenantId, phone: &E164) -> Result<bool, CallError>;
}

/// Turns as stores keep them: one JSON array, decoded the same way by every
/// adapter.
pub fn encode_turns(turns: &[Turn]) -> String {
    let items: Vec<serde_json::Value> = turns
        .iter()
        .map(|t| serde_json::json!({"at": t.at.to_rfc3339(), "speaker": t.speaker.as_str(), "text": t.text}))
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
            Ok(Turn { at: at.with_timezone(&Utc), speaker, text })
        })
        .collect()
}

/// Twilio's final call statuses.
pub fn is_final_status(status: &str) -> bool {
    matches!(status, "completed" | "busy" | "no-answer" | "canceled" | "failed")
}
