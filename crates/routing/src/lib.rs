//! The phone domain: what a caller wants and the dialogue that serves them,
//! call records, and the [`Messaging`] port through which texts are sent.
//!
//! Knows nothing of Twilio, HTTP or SQL.

pub mod calls;
pub mod dialogue;
pub mod messaging;
pub mod texts;
pub mod understand;

pub use calls::{
    CallError, CallRecord, CallStore, MessageLog, MessageRecord, Outcome, SavedTurn, Speaker, Turn, TurnUpdate,
    decode_turns, encode_turns, is_final_status,
};
pub use dialogue::{
    BookingStrategy, CallContext, CallPolicy, CallState, CallerInput, ChangeStrategy, Dialogue, EscalationStrategy,
    InformationStrategy, IntentStrategy, Next, Reply, Stage,
};
pub use messaging::{Messaging, MessagingError, OutboundSms, SentSms};
pub use texts::{BookingTexts, CapAlerts, OutboxMessaging, booking_text, cap_alert_text, spoken_time};
pub use understand::{Intent, IntentClassifier, RuleBasedClassifier, Understood};
