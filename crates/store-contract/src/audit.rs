//! The `AuditLog` contract.

use chrono::{DateTime, Duration, Utc};
use frontdesk_audit::{AuditEntry, AuditQuery, NewAuditEntry};
use frontdesk_core::Clock;
use serde_json::{Value, json};

use crate::{Stores, tenant};

fn entry(id: &str, at: DateTime<Utc>, slug: Option<&str>, action: &str) -> NewAuditEntry {
    NewAuditEntry {
        id: id.to_owned(),
        at,
        actor: "ops@example.com".to_owned(),
        tenant: slug.map(tenant),
        action: action.to_owned(),
        target: format!("target-of-{id}"),
        before: None,
        after: Some(json!({"id": id})),
    }
}

async fn append(stores: &Stores, entry: &NewAuditEntry) {
    stores.audit.append(entry).await.unwrap_or_else(|e| panic!("append {}: {e}", entry.id));
}

async fn ids(stores: &Stores, query: AuditQuery) -> Vec<String> {
    let entries = stores.audit.audit_entries(&query).await.unwrap_or_else(|e| panic!("{query:?}: {e}"));
    entries.into_iter().map(|entry| entry.id).collect()
}

pub async fn entries_read_back_oldest_first_with_their_json(stores: Stores) {
    // Audit entries need no tenant row: they outlive what they describe.
    let now = stores.clock.now();
    let before = json!({
        "name": "Fresh Cuts",
        "hours": {"mon": ["09:00-12:00", "13:00-17:00"], "sun": []},
        "price_cents": 4500,
        "ratio": 0.25,
        "big": 9_007_199_254_740_993_i64,
        "negative": -3,
        "flags": [true, false, null],
        "note": "naïve café \"quoted\" \\ back\nslash ✂️",
        "empty": {},
    });
    let full = NewAuditEntry::new(
        "a-2".to_owned(),
        now,
        "ops@example.com",
        Some(&tenant("fresh-cuts")),
        "tenant.put",
        "fresh-cuts",
        Some(before),
        Some(json!({"twilio_auth_token": "secret", "name": "Fresh Cuts"})),
    );
    let bare = NewAuditEntry {
        tenant: None,
        before: None,
        after: None,
        ..entry("a-1", now - Duration::minutes(1), None, "job.retry")
    };
    let null_values = NewAuditEntry {
        before: Some(Value::Null),
        after: Some(json!("plain string")),
        ..entry("a-3", now + Duration::milliseconds(1), Some("fresh-cuts"), "flag.set")
    };
    for appended in [&full, &bare, &null_values] {
        append(&stores, appended).await;
    }
    let all = stores
        .audit
        .audit_entries(&AuditQuery { limit: 10, ..Default::default() })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let expected: Vec<AuditEntry> = vec![bare, full, null_values];
    assert_eq!(all, expected, "every field, JSON included, comes back exactly, oldest first");
    assert_eq!(all[1].after, Some(json!({"twilio_auth_token": "[redacted]", "name": "Fresh Cuts"})));
}

pub async fn queries_filter_by_tenant_and_time_range(stores: Stores) {
    let t0 = stores.clock.now();
    let at = |minutes: i64| t0 + Duration::minutes(minutes);
    // Appended out of order; same-instant entries keep their append order.
    let entries = [
        entry("e-3", at(3), Some("shop-a"), "plan.set"),
        entry("e-1", at(1), Some("shop-a"), "tenant.put"),
        entry("e-2", at(2), Some("shop-b"), "tenant.put"),
        entry("e-4", at(3), None, "job.retry"),
        entry("e-5", at(5), Some("shop-a"), "flag.set"),
        entry("e-0", at(3), Some("shop-a"), "cap.set"),
    ];
    for appended in &entries {
        append(&stores, appended).await;
    }
    let query = |tenant_slug: Option<&str>, from: Option<i64>, to: Option<i64>, limit: u32| AuditQuery {
        tenant: tenant_slug.map(tenant),
        from: from.map(at),
        to: to.map(at),
        limit,
        newest_first: false,
    };
    assert_eq!(ids(&stores, query(None, None, None, 100)).await, ["e-1", "e-2", "e-3", "e-4", "e-0", "e-5"]);
    assert_eq!(ids(&stores, query(Some("shop-a"), None, None, 100)).await, ["e-1", "e-3", "e-0", "e-5"]);
    assert_eq!(ids(&stores, query(Some("shop-b"), None, None, 100)).await, ["e-2"]);
    assert!(ids(&stores, query(Some("shop-c"), None, None, 100)).await.is_empty());
    // `from` inclusive, `to` exclusive.
    assert_eq!(ids(&stores, query(None, Some(2), Some(5), 100)).await, ["e-2", "e-3", "e-4", "e-0"]);
    assert_eq!(ids(&stores, query(Some("shop-a"), Some(3), Some(5), 100)).await, ["e-3", "e-0"]);
    assert_eq!(ids(&stores, query(Some("shop-a"), Some(3), None, 100)).await, ["e-3", "e-0", "e-5"]);
    assert_eq!(ids(&stores, query(None, None, Some(3), 100)).await, ["e-1", "e-2"]);
    assert!(ids(&stores, query(None, Some(3), Some(3), 100)).await.is_empty());
    // At most `limit`, the oldest ones.
    assert_eq!(ids(&stores, query(None, None, None, 2)).await, ["e-1", "e-2"]);
    assert_eq!(ids(&stores, query(Some("shop-a"), Some(2), None, 1)).await, ["e-3"]);
    assert!(ids(&stores, query(None, None, None, 0)).await.is_empty());
    // The latest ones, newest first (same-instant entries in reverse append order).
    let newest = |tenant_slug: Option<&str>, limit: u32| AuditQuery {
        newest_first: true,
        ..query(tenant_slug, None, None, limit)
    };
    assert_eq!(ids(&stores, newest(None, 3)).await, ["e-5", "e-0", "e-4"]);
    assert_eq!(ids(&stores, newest(Some("shop-a"), 100)).await, ["e-5", "e-0", "e-3", "e-1"]);
}

pub async fn appending_an_entry_twice_keeps_one(stores: Stores) {
    let now = stores.clock.now();
    let first = entry("dup", now, Some("shop-a"), "booking.cancel");
    append(&stores, &first).await;
    // A retried request appends the same entry again.
    append(&stores, &first).await;
    let all = stores.audit.audit_entries(&AuditQuery { limit: 10, ..Default::default() }).await;
    assert_eq!(all.ok(), Some(vec![first]));
}
