//! Texts as the domain sees them: the [`Messaging`] port through which one is
//! sent, and the [`MessageLog`] that records every text a shop sends and the
//! numbers that replied STOP.
//!
//! This crate exists so that a provider adapter (Twilio) can implement
//! sending without compiling above the rest of the domain: it depends on
//! `frontdesk-core` only. It knows nothing of calls, bookings, plans or flags
//! (why a text is sent is the business of the crate that sends it:
//! `frontdesk-routing`'s job handlers), and nothing of Twilio, HTTP or SQL.

pub mod log;
pub mod sending;

pub use log::{MessageLog, MessageRecord, TextOffer};
pub use sending::{Messaging, MessagingError, OutboundSms, SentSms};
