//! The phone domain: what a caller wants and the dialogue that serves them,
//! call records, and the [`Messaging`] port through which texts are sent.
//!
//! Knows nothing of Twilio, HTTP or SQL.

pub mod messaging;

pub use messaging::{Messaging, MessagingError, OutboundSms, SentSms};
