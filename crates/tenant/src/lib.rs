//! Tenant profiles: a shop modelled once, as data.
//!
//! A [`ProfileDocument`] is the wire/file form (TOML in `fixtures/tenants/`,
//! JSON over the admin API). [`TenantProfile::parse`] turns it into the
//! validated domain type, or lists *every* problem with its field path
//! (`hours.mon[1]: overlaps 09:00-12:00`). The dialogue and the booking engine
//! only ever see a `TenantProfile`.
//!
//! [`TenantStore`] is the port through which profiles are persisted.
//!
//! This crate knows nothing of databases, HTTP or any vendor API.

mod directory;
mod document;
mod hours;
mod memory;
mod notifications;
mod problems;
mod profile;
mod sandbox;
mod store;

pub use directory::{NumberLookup, TenantDirectory};
pub use document::{
    BookingRulesDocument, DocumentError, FaqDocument, HoursDocument, NotificationsDocument, ProfileDocument, REDACTED,
    RemindersDocument, ServiceDocument, StaffDocument,
};
pub use hours::{TimeOfDay, TimeRange, WeeklyHours};
pub use memory::MemoryTenantStore;
pub use notifications::{EmailAddress, NotificationPreferences, OwnerEvent, WebhookUrl};
pub use problems::{FieldProblem, ValidationErrors};
pub use profile::{BookingRules, Faq, ReminderRules, Service, StaffMember, TenantProfile};
pub use sandbox::{SANDBOX_PREFIX, sandbox_number, sandbox_profile, sandbox_slug};
pub use store::{
    PurgeOutcome, PutOutcome, PutTenantError, TenantKind, TenantRecord, TenantStatus, TenantStore, TenantSummary,
    stored_numbers,
};

/// Lowercases, turns punctuation into spaces and collapses whitespace, so that
/// names and aliases compare the way a caller would hear them:
/// `"Skin-Fade!"` and `"skin fade"` are the same service.
pub fn normalize_phrase(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for word in
        raw.split(|c: char| !c.is_alphanumeric() && c != '\'').map(|w| w.trim_matches('\'')).filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn normalize_phrase() {
        let cases = [
            ("Skin-Fade!", "skin fade"),
            ("  Beard   Trim ", "beard trim"),
            ("Kids' cut", "kids cut"),
            ("Men's Cut", "men's cut"),
            ("", ""),
        ];
        for (raw, expected) in cases {
            assert_eq!(super::normalize_phrase(raw), expected, "{raw:?}");
        }
    }
}
