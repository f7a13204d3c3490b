//! The `Notifier` adapters that speak a vendor's wire: Slack incoming
//! webhooks ([`SlackWebhooks`]) and e-mail over SMTP ([`SmtpMailer`]).
//! Texts go through the messaging port instead (`frontdesk-routing`'s
//! `OwnerTexts`), where they are logged and metered like every text.
//!
//! Knows the wire formats and how each failure is classified for retrying;
//! nothing of the product. Depends on no other adapter crate.

mod slack;
mod smtp;

pub use slack::SlackWebhooks;
pub use smtp::{SmtpConfig, SmtpMailer, SmtpSecurity};
