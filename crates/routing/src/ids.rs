//! The call path's identifiers and statuses, parsed once at the edge.
//!
//! A [`CallSid`] names a call, a [`TurnKey`] names one answered webhook of it
//! (so a repeated webhook is recognised), a [`TurnNumber`] is the position of
//! a caller's turn, and [`CallStatus`] is the telephony provider's view of the
//! call. Nothing on the call path passes these around as bare strings.

use std::fmt;

/// Why an identifier from the outside was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("a call id must be 1 to 64 letters, digits, '-' or '_', got {0:?}")]
    CallSid(String),
    #[error("a turn number must be a whole number from 1 to {max}, got {raw:?}", max = TurnNumber::MAX)]
    TurnNumber { raw: String },
    #[error("unknown call status {0:?}")]
    CallStatus(String),
}

fn is_reference(raw: &str) -> bool {
    (1..=64).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The provider's id of one phone call (Twilio: `CA` and 32 hex digits).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallSid(String);

impl CallSid {
    pub fn parse(raw: &str) -> Result<CallSid, IdError> {
        if is_reference(raw) { Ok(CallSid(raw.to_owned())) } else { Err(IdError::CallSid(raw.to_owned())) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CallSid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The position of a caller's turn in a call: 1 for the answer to the
/// greeting, then 2, 3, … A call never needs more than [`TurnNumber::MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TurnNumber(u16);

impl TurnNumber {
    /// Far more turns than any phone call takes; a larger number is forged.
    pub const MAX: u16 = 1000;
    pub const FIRST: TurnNumber = TurnNumber(1);

    /// `"3"` → turn 3; anything else (0, negative, huge, not a number) is refused.
    pub fn parse(raw: &str) -> Result<TurnNumber, IdError> {
        match raw.trim().parse::<u16>() {
            Ok(n) if (1..=TurnNumber::MAX).contains(&n) => Ok(TurnNumber(n)),
            _ => Err(IdError::TurnNumber { raw: raw.to_owned() }),
        }
    }

    pub fn get(self) -> u16 {
        self.0
    }

    /// The turn after this one (saturating at the maximum).
    pub fn next(self) -> TurnNumber {
        TurnNumber((self.0 + 1).min(TurnNumber::MAX))
    }
}

impl fmt::Display for TurnNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// One answered webhook of a call. The store keeps the answer under
/// [`TurnKey::as_key`], so a webhook the provider repeats gets the same
/// answer and changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TurnKey {
    /// The call starting: the greeting.
    Greeting,
    /// The caller's `n`th turn.
    Caller(TurnNumber),
    /// A transfer ended; the transferred leg's id when the provider gave one.
    TransferEnded(Option<CallSid>),
    /// A voicemail was recorded; the recording's id when the provider gave one.
    Recording(Option<CallSid>),
    /// The person a warm transfer rang pressed 1 on this leg.
    Accepted(CallSid),
    /// What a realtime voice model heard and said on the call.
    Streamed,
    /// The call's realtime stream ended and the call goes on (or not).
    StreamEnded,
    /// A realtime voice model's tool call (the provider's call id): the
    /// call's state after it.
    Tool(String),
}

impl TurnKey {
    /// The key as stores keep it (`turn-0`, `turn-3`, `dial-CA…`, `recording-RE…`, `accept-CA…`).
    pub fn as_key(&self) -> String {
        fn or_none(id: &Option<CallSid>) -> &str {
            id.as_ref().map_or("none", CallSid::as_str)
        }
        match self {
            TurnKey::Greeting => "turn-0".to_owned(),
            TurnKey::Caller(n) => format!("turn-{n}"),
            TurnKey::TransferEnded(leg) => format!("dial-{}", or_none(leg)),
            TurnKey::Recording(recording) => format!("recording-{}", or_none(recording)),
            TurnKey::Accepted(leg) => format!("accept-{leg}"),
            TurnKey::Streamed => "stream".to_owned(),
            TurnKey::StreamEnded => "stream-ended".to_owned(),
            TurnKey::Tool(id) => format!("tool-{id}"),
        }
    }
}

impl fmt::Display for TurnKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_key())
    }
}

/// Where a call is, as the telephony provider reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallStatus {
    Queued,
    Ringing,
    InProgress,
    Completed,
    Busy,
    NoAnswer,
    Canceled,
    Failed,
}

impl CallStatus {
    pub const ALL: [CallStatus; 8] = [
        CallStatus::Queued,
        CallStatus::Ringing,
        CallStatus::InProgress,
        CallStatus::Completed,
        CallStatus::Busy,
        CallStatus::NoAnswer,
        CallStatus::Canceled,
        CallStatus::Failed,
    ];

    /// The word stores keep (the same words Twilio uses).
    pub fn as_str(self) -> &'static str {
        match self {
            CallStatus::Queued => "queued",
            CallStatus::Ringing => "ringing",
            CallStatus::InProgress => "in-progress",
            CallStatus::Completed => "completed",
            CallStatus::Busy => "busy",
            CallStatus::NoAnswer => "no-answer",
            CallStatus::Canceled => "canceled",
            CallStatus::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Result<CallStatus, IdError> {
        CallStatus::ALL.into_iter().find(|s| s.as_str() == raw).ok_or_else(|| IdError::CallStatus(raw.to_owned()))
    }

    /// The call is over: nothing more will happen on it.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            CallStatus::Completed | CallStatus::Busy | CallStatus::NoAnswer | CallStatus::Canceled | CallStatus::Failed
        )
    }
}

impl fmt::Display for CallStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
