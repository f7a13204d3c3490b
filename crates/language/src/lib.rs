//! Understanding what callers say: the words a speech recogniser heard, turned
//! into what the dialogue needs: the caller's intent, the service they named,
//! the date and time they want, their name, a yes or a no, a booking code, and
//! card numbers that must be removed before anything is stored.
//!
//! Recognised speech is messy: no or odd punctuation, random case, fillers
//! ("uh", "like"), numbers as words or digits, small misspellings. Every
//! function here takes that text as it comes and is rule-based, deterministic
//! and cheap, so the dialogue can call them on every turn.
//!
//! This crate is pure text in, values out. It knows nothing of Twilio, HTTP,
//! databases, tenants or the dialogue's state, does no IO, and never reads the
//! system clock: relative dates are resolved against a `now` the caller passes.

mod card;
mod code;
mod intent;
mod name;
mod service;
mod text;
mod when;
mod yes_no;

pub use card::{TurnRedaction, find_card_numbers, redact_card_numbers, redact_turn};
pub use code::{CODE_ALPHABET, CODE_LENGTH, extract_code};
pub use intent::{Intent, IntentScore, classify};
pub use name::extract_name;
pub use service::{ServiceMatch, ServiceNames, match_service};
pub use text::normalize;
pub use when::{DateSpec, PartOfDay, TimeSpec, When, extract_when};
pub use yes_no::yes_no;
