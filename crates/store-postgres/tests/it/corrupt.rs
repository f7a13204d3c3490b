//! Rows no port would write (a bug, a manual edit, a newer binary's values)
//! are reported as `Corrupt`, never skipped or replaced by a default.

use std::sync::Arc;

use frontdesk_audit::{AuditLog, AuditQuery};
use frontdesk_billing::{BillingPeriod, BillingStore, UsageStore};
use frontdesk_core::{Clock, Plan, StoreError, TenantId};
use frontdesk_flags::FlagStore;
use frontdesk_store_contract::{profile, test_clock};
use frontdesk_tenant::TenantStore;

fn is_corrupt<T: std::fmt::Debug>(result: Result<T, StoreError>) -> bool {
    matches!(result, Err(StoreError::Corrupt { .. }))
}

#[tokio::test]
async fn unreadable_rows_are_corrupt_never_skipped() {
    let Some(store) = crate::fresh_store(Arc::new(test_clock())).await else { return };
    for slug in ["bad-flag", "bad-plan", "bad-usage", "bad-lines", "bad-period"] {
        assert!(store.put_tenant(&profile(slug, &[])).await.is_ok());
    }
    let rows = [
        "INSERT INTO flag_overrides (tenant_id, flag, enabled, updated_at) VALUES ('bad-flag', 'enable_magic', true, now())",
        "INSERT INTO tenant_billing (tenant_id, plan) VALUES ('bad-plan', 'gold')",
        "INSERT INTO plan_changes (tenant_id, plan, at) VALUES ('bad-plan', 'gold', now())",
        "INSERT INTO usage_records (id, tenant_id, kind, quantity, key, period, occurred_at)
         VALUES ('u1', 'bad-usage', 'carrier_pigeons', 1, 'k', '2026-11', now())",
        "INSERT INTO invoices (tenant_id, period, status, currency, total, lines, updated_at)
         VALUES ('bad-lines', '2026-11', 'draft', 'USD', 0, '{\"not\": \"lines\"}', now())",
        "INSERT INTO invoices (tenant_id, period, status, currency, total, lines, updated_at)
         VALUES ('bad-period', 'November', 'draft', 'USD', 0, '[]', now())",
        // jsonb refuses malformed JSON, but not a tenant id that is no slug.
        "INSERT INTO audit_log (id, at, actor, tenant_id, action, target)
         VALUES ('a1', now(), 'ops', 'Fresh Cuts!', 'tenant.put', 'x')",
    ];
    for row in rows {
        let inserted = sqlx::query(row).execute(store.pool()).await;
        assert!(inserted.is_ok(), "{row}: {inserted:?}");
    }
    let id = |slug: &str| TenantId::parse(slug).unwrap_or_else(|e| panic!("{e}"));
    let november = BillingPeriod::parse("2026-11").unwrap_or_else(|e| panic!("{e}"));
    let now = test_clock().now();

    assert!(is_corrupt(store.flag_settings(&id("bad-flag")).await));
    assert!(is_corrupt(store.flag_settings(&id("bad-plan")).await));
    assert!(is_corrupt(store.set_plan(&id("bad-plan"), Plan::Pro, now, &[]).await), "the previous plan is unknown");
    assert!(is_corrupt(store.plan_changes(&id("bad-plan")).await));
    assert!(is_corrupt(store.usage_totals(&id("bad-usage"), november).await));
    assert!(is_corrupt(store.list_invoices(&id("bad-lines")).await));
    assert!(is_corrupt(store.list_invoices(&id("bad-period")).await));
    assert!(is_corrupt(store.audit_entries(&AuditQuery { limit: 10, ..Default::default() }).await));
}
