//! How a call's transfer to a person ended, as the call record keeps it.
//!
//! The record holds no column for it: the call session's replies say it.
//! A warm transfer the person accepted (pressed 1 on the leg) leaves an
//! `accept-{leg}` reply ([`crate::TurnKey::Accepted`]); a transfer nobody took
//! (no answer, a decline, a voicemail box on a warm transfer, or a cold
//! transfer that never bridged) leaves a `dial-{leg}` reply
//! ([`crate::TurnKey::TransferEnded`]), written only then, as the caller is sent
//! to leave a message. A cold transfer that bridged leaves no reply: the
//! call's outcome stays `transferred`.

use std::collections::HashMap;

use crate::calls::{CallError, Outcome};
use crate::ids::CallSid;

/// The prefix of the reply key a warm transfer's acceptance leaves.
pub const ACCEPTED_REPLY_PREFIX: &str = "accept-";

/// The prefix of the reply key a transfer nobody took leaves.
pub const NOT_TAKEN_REPLY_PREFIX: &str = "dial-";

/// The outcomes a call whose replies record a transfer has: `transferred`
/// once the person accepted (and while it rings), `message_taken` once
/// nobody took it (the caller is sent to leave a message). Stores look at
/// these calls' replies only: most calls have neither outcome.
pub const OUTCOMES_AFTER_A_TRANSFER: [Outcome; 2] = [Outcome::Transferred, Outcome::MessageTaken];

/// Whether the person a call was transferred to took it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransferEnd {
    /// Accepted (a warm transfer: pressed 1) or bridged (a cold one).
    Taken,
    /// Nobody took it: the caller was asked to leave a message.
    NotTaken,
}

impl TransferEnd {
    /// What a call's reply keys (any of them, in any order) say of its
    /// transfer: `None` when they hold neither an acceptance nor a
    /// transfer nobody took. An acceptance wins: the person took the call.
    pub fn from_reply_keys<'a>(keys: impl IntoIterator<Item = &'a str>) -> Option<TransferEnd> {
        let mut end = None;
        for key in keys {
            if key.starts_with(ACCEPTED_REPLY_PREFIX) {
                return Some(TransferEnd::Taken);
            }
            if key.starts_with(NOT_TAKEN_REPLY_PREFIX) {
                end = Some(TransferEnd::NotTaken);
            }
        }
        end
    }

    /// How a call's transfer ended, from what its replies say (`recorded`,
    /// [`TransferEnd::from_reply_keys`]) and its outcome: a call still
    /// `transferred` with nothing recorded was bridged (a cold transfer) or
    /// is still ringing, and counts as taken (never as missed). `None`: no
    /// transfer was tried.
    pub fn of_call(outcome: Option<Outcome>, recorded: Option<TransferEnd>) -> Option<TransferEnd> {
        recorded.or((outcome == Some(Outcome::Transferred)).then_some(TransferEnd::Taken))
    }
}

/// One call's transfer and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallTransfer {
    pub call_sid: CallSid,
    pub end: TransferEnd,
}

impl CallTransfer {
    /// Each call's transfer from a store's `(call_sid, reply key)` rows (in
    /// any order; calls whose keys say nothing of a transfer left out).
    pub fn from_rows(rows: Vec<(String, String)>) -> Result<Vec<CallTransfer>, CallError> {
        let mut keys: HashMap<String, Vec<String>> = HashMap::new();
        for (call_sid, key) in rows {
            keys.entry(call_sid).or_default().push(key);
        }
        let mut ends = Vec::with_capacity(keys.len());
        for (call_sid, keys) in keys {
            let Some(end) = TransferEnd::from_reply_keys(keys.iter().map(String::as_str)) else { continue };
            let call_sid = CallSid::parse(&call_sid)
                .map_err(|error| CallError::Unexpected(anyhow::anyhow!("stored call {call_sid:?}: {error}")))?;
            ends.push(CallTransfer { call_sid, end });
        }
        Ok(ends)
    }
}

/// Whether `key` (a stored reply key) is one [`TransferEnd::from_reply_keys`]
/// reads: what a store's query keeps.
pub fn is_transfer_reply_key(key: &str) -> bool {
    key.starts_with(ACCEPTED_REPLY_PREFIX) || key.starts_with(NOT_TAKEN_REPLY_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::TurnKey;

    fn sid(raw: &str) -> CallSid {
        CallSid::parse(raw).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_session_keys_carry_the_prefixes() {
        assert!(TurnKey::Accepted(sid("CA-leg")).as_key().starts_with(ACCEPTED_REPLY_PREFIX));
        assert!(TurnKey::TransferEnded(Some(sid("CA-leg"))).as_key().starts_with(NOT_TAKEN_REPLY_PREFIX));
        assert!(TurnKey::TransferEnded(None).as_key().starts_with(NOT_TAKEN_REPLY_PREFIX));
    }

    #[test]
    fn a_call_transfer_ends_as_its_replies_and_outcome_say() {
        use Outcome::*;
        use TransferEnd::*;
        // (reply keys, outcome, expected)
        let cases: [(&[&str], Option<Outcome>, Option<TransferEnd>); 9] = [
            (&[], None, None),
            (&["turn-0", "turn-1"], Some(Booked), None),
            (&["turn-0", "turn-1"], Some(Transferred), Some(Taken)),
            (&["turn-0", "accept-CA2"], Some(Transferred), Some(Taken)),
            (&["turn-0", "dial-CA2"], Some(MessageTaken), Some(NotTaken)),
            (&["dial-none", "recording-RE1"], Some(MessageTaken), Some(NotTaken)),
            (&["dial-CA2", "accept-CA2"], Some(MessageTaken), Some(Taken)),
            (&["accept-CA2", "dial-CA3"], Some(Transferred), Some(Taken)),
            (&["turn-0", "recording-RE1"], Some(MessageTaken), None),
        ];
        for (keys, outcome, expected) in cases {
            let recorded = TransferEnd::from_reply_keys(keys.iter().copied());
            assert_eq!(TransferEnd::of_call(outcome, recorded), expected, "{keys:?} {outcome:?}");
            // A store keeping only the keys it needs reads the same.
            let kept = keys.iter().copied().filter(|key| is_transfer_reply_key(key));
            assert_eq!(TransferEnd::from_reply_keys(kept), recorded, "{keys:?}");
        }
    }
}
