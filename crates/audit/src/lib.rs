//! The audit log: every admin mutation, with who made it (the token's
//! subject), what it changed (before and after), and when. Values pass
//! through `redact` on the way in, so secrets and card data never reach it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_core::{StoreError, TenantId, stored_tenant};
use serde_json::Value;

/// An entry to append.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAuditEntry {
    pub id: String,
    pub at: DateTime<Utc>,
    /// The admin token's `sub`.
    pub actor: String,
    /// The tenant concerned, when there is one.
    pub tenant: Option<TenantId>,
    /// What was done: `tenant.put`, `plan.set`, `flag.set`, `cap.set`,
    /// `booking.create`, `booking.cancel`, `booking.reschedule`, `job.retry`, …
    pub action: String,
    /// What it was done to: a flag name, a booking id, a job id, …
    pub target: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl NewAuditEntry {
    /// An entry with `before` and `after` redacted.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: String,
        at: DateTime<Utc>,
        actor: &str,
        tenant: Option<&TenantId>,
        action: &str,
        target: &str,
        before: Option<Value>,
        after: Option<Value>,
    ) -> NewAuditEntry {
        NewAuditEntry {
            id,
            at,
            actor: actor.to_owned(),
            tenant: tenant.cloned(),
            action: action.to_owned(),
            target: target.to_owned(),
            before: before.map(redact),
            after: after.map(redact),
        }
    }
}

/// A recorded entry.
pub type AuditEntry = NewAuditEntry;

/// What `Corrupt` names for an entry that concerns no tenant.
const NO_TENANT: &str = "(audit log)";

impl AuditEntry {
    /// Rebuilds an entry from the columns every store adapter keeps, in the
    /// order they select them, `before` and `after` as JSON text: the one
    /// decoder both store adapters use. Nothing is redacted again (that
    /// happened on the way in); unreadable JSON or tenant id is `Corrupt`.
    #[allow(clippy::too_many_arguments)]
    pub fn from_stored(
        id: String,
        at: DateTime<Utc>,
        actor: String,
        tenant_id: Option<&str>,
        action: String,
        target: String,
        before: Option<&str>,
        after: Option<&str>,
    ) -> Result<AuditEntry, StoreError> {
        let owner = tenant_id.unwrap_or(NO_TENANT);
        let json = |text: Option<&str>| {
            text.map(serde_json::from_str::<Value>)
                .transpose()
                .map_err(|e| StoreError::corrupt(owner, format!("audit entry {id} has unreadable JSON: {e}")))
        };
        Ok(AuditEntry {
            before: json(before)?,
            after: json(after)?,
            tenant: tenant_id.map(stored_tenant).transpose()?,
            id,
            at,
            actor,
            action,
            target,
        })
    }
}

/// Which entries to read: all bounds optional, `to` exclusive.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditQuery {
    pub tenant: Option<TenantId>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub limit: u32,
    /// The latest `limit` entries, newest first (default: the earliest, oldest first).
    pub newest_first: bool,
}

#[async_trait]
pub trait AuditLog: Send + Sync {
    async fn append(&self, entry: &NewAuditEntry) -> Result<(), StoreError>;

    /// Matching entries, at most `query.limit`: the oldest, oldest first, or
    /// with `newest_first` the newest, newest first.
    async fn audit_entries(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError>;
}

const REDACTED: &str = "[redacted]";

/// Replaces the value of every key that names a secret (`token`, `secret`,
/// `password`, `key`, `authorization`) and every card-like number anywhere in
/// `value` with `"[redacted]"`.
pub fn redact(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            Value::Object(
                map.into_iter()
                    .map(|(key, value)| {
                        if is_secret_key(&key) {
                            (key, Value::String(REDACTED.to_owned()))
                        } else {
                            (key, redact(value))
                        }
                    })
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(redact).collect()),
        Value::String(text) if looks_like_card_number(&text) => Value::String(REDACTED.to_owned()),
        // A card number inside other text ("Card 4111 1111 1111 1111").
        Value::String(text) => Value::String(frontdesk_language::redact_card_numbers(&text)),
        other => other,
    }
}

fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["token", "secret", "password", "api_key", "private_key", "authorization", "card"]
        .iter()
        .any(|word| key.contains(word))
}

/// 13 to 19 digits, possibly separated by spaces or dashes.
fn looks_like_card_number(text: &str) -> bool {
    let digits = text.bytes().filter(u8::is_ascii_digit).count();
    let only_card_characters = text.bytes().all(|b| b.is_ascii_digit() || b == b' ' || b == b'-');
    only_card_characters && (13..=19).contains(&digits)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn secrets_and_card_numbers_are_redacted_at_any_depth() {
        let value = json!({
            "name": "Fresh Cuts",
            "twilio_auth_token": "abc123",
            "nested": {"client_secret": "s", "phones": ["+15555550100"], "note": "4242 4242 4242 4242"},
            "Authorization": "Bearer x",
            "plan": "core",
        });
        assert_eq!(
            redact(value),
            json!({
                "name": "Fresh Cuts",
                "twilio_auth_token": "[redacted]",
                "nested": {"client_secret": "[redacted]", "phones": ["+15555550100"], "note": "[redacted]"},
                "Authorization": "[redacted]",
                "plan": "core",
            })
        );
    }

    #[test]
    fn card_numbers_inside_text_are_redacted_and_the_rest_kept() {
        let value = json!({
            "customer_name": "Card 4111 1111 1111 1111",
            "faqs": [{"answer": "Call 4111-1111-1111-1111 or pay cash"}],
            "greeting": "Open 9 to 5, call +1 555 555 0100",
            "booking": {"start": "2026-12-01T10:00:00-05:00"},
        });
        assert_eq!(
            redact(value),
            json!({
                "customer_name": "Card [card number removed]",
                "faqs": [{"answer": "Call [card number removed] or pay cash"}],
                "greeting": "Open 9 to 5, call +1 555 555 0100",
                "booking": {"start": "2026-12-01T10:00:00-05:00"},
            })
        );
    }

    #[test]
    fn stored_entries_decode_as_kept_and_unreadable_json_is_corrupt() {
        let decode = |tenant_id: Option<&str>, before: Option<&str>| {
            AuditEntry::from_stored(
                "a1".to_owned(),
                DateTime::UNIX_EPOCH,
                "ops@example.com".to_owned(),
                tenant_id,
                "tenant.put".to_owned(),
                "fresh-cuts".to_owned(),
                before,
                None,
            )
        };
        let entry = decode(Some("fresh-cuts"), Some(r#"{"twilio_auth_token": "kept as stored"}"#));
        assert_eq!(
            entry.map_err(|e| e.to_string()),
            Ok(AuditEntry {
                id: "a1".to_owned(),
                at: DateTime::UNIX_EPOCH,
                actor: "ops@example.com".to_owned(),
                tenant: TenantId::parse("fresh-cuts").ok(),
                action: "tenant.put".to_owned(),
                target: "fresh-cuts".to_owned(),
                before: Some(json!({"twilio_auth_token": "kept as stored"})),
                after: None,
            })
        );
        for (tenant_id, owner) in [(Some("fresh-cuts"), "fresh-cuts"), (None, NO_TENANT)] {
            let entry = decode(tenant_id, Some("not json"));
            assert!(
                matches!(&entry, Err(StoreError::Corrupt { tenant, reason })
                    if tenant == owner && reason.starts_with("audit entry a1 has unreadable JSON: ")),
                "{entry:?}"
            );
        }
        assert!(matches!(decode(Some("Not A Slug!"), None), Err(StoreError::Corrupt { .. })));
    }

    #[test]
    fn entries_are_redacted_when_built() {
        let entry = NewAuditEntry::new(
            "a1".to_owned(),
            DateTime::UNIX_EPOCH,
            "ops@example.com",
            None,
            "tenant.put",
            "fresh-cuts",
            Some(json!({"twilio_auth_token": "old"})),
            Some(json!({"twilio_auth_token": "new"})),
        );
        assert_eq!(entry.before, Some(json!({"twilio_auth_token": "[redacted]"})));
        assert_eq!(entry.after, Some(json!({"twilio_auth_token": "[redacted]"})));
    }
}
