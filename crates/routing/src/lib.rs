//! The phone domain: the call as a use case ([`CallSession`]), what a caller
//! wants and the dialogue that serves them, call records, and the job
//! handlers that text customers and owners (through `frontdesk-messaging`).
//!
//! Knows nothing of Twilio, HTTP or SQL.

pub mod allowance;
pub mod callbacks;
pub mod calls;
pub mod dialogue;
pub mod ids;
pub mod inbound;
pub mod knowledge;
pub mod memory;
pub mod realtime;
pub mod realtime_tools;
pub mod reconcile;
pub mod reminders;
#[cfg(feature = "scenarios")]
pub mod scenarios;
pub mod session;
pub mod spend;
pub mod texts;
pub mod transfers;
pub mod understand;
pub mod voicemail;

pub use allowance::{Admission, CallAllowance, CallMinutes, PlanAllowance};
pub use callbacks::{
    CallBackError, Callback, CallbackStatus, CallbackStore, CallingBack, OutboundCalls, PlaceCallError,
    call_back_briefing, call_back_target,
};
pub use calls::{
    AskedQuestion, CallError, CallRecord, CallStore, CallSummary, CallTurn, IncomingCall, NearestPassage, Outcome,
    SavedTurn, Speaker, Turn, TurnUpdate, decode_turns, encode_turns,
};
pub use dialogue::{
    BookingStrategy, CallContext, CallPolicy, CallState, CallerInput, Change, ChangeStrategy, Dialogue,
    EscalationStrategy, Exchange, Flows, InformationStrategy, IntentStrategy, KnowledgeChoice, Next, Reply, Stage,
    hours_sentence, shop_is_open, spoken_clock, spoken_date, spoken_slot, spoken_when,
};
pub use ids::{CallSid, CallStatus, IdError, TurnKey, TurnNumber};
pub use inbound::{InboundText, InboundTexts};
pub use knowledge::{KnowledgeReindex, REINDEX_KNOWLEDGE, reindex_job};
pub use memory::MemoryCallStore;
pub use realtime::{
    REALTIME_CALL_CAP, RealtimeLatency, RealtimeRecord, RealtimeStart, StreamEnd, TranscriptionTokens, realtime_start,
};
pub use realtime_tools::{ANSWER_WAIT, RealtimeTools, realtime_tool_specs};
pub use reconcile::{CHECK_CALL_DURATION, CallDurationCheck, CallLedger, LedgerCall, LedgerError, duration_check_job};
pub use reminders::{FlagReminders, ReminderTexts, reminder_text, when_from};
pub use session::{Answer, CallSession, NO_MESSAGE_WAIT, StartedCall, StatusReport, TRANSCRIPTION_WAIT, TransferEnded};
pub use spend::{ModelSpend, ModelUse};
pub use texts::{
    BookingTexts, CapAlerts, NOTIFY_OWNER, OWNER_TEXT, OutboxMessaging, OwnerNotices, OwnerTexts, booking_text,
    cap_alert_text, owner_notice_job, spoken_time,
};
pub use transfers::{CallTransfer, TransferEnd};
pub use understand::{ClassifyError, Intent, IntentClassifier, RuleBasedClassifier, Understood};
pub use voicemail::{CallRecordings, RecordingError, TRANSCRIBE_VOICEMAIL, VoicemailTranscription, transcription_job};
