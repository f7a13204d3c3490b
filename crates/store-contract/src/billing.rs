//! The `UsageStore` and `BillingStore` contract.

use chrono::{DateTime, Duration, Utc};
use frontdesk_billing::{
    AccountChange, BillingAccount, BillingPeriod, CallModelUsage, CapDecision, CapLevel, CapMetric, Invoice,
    InvoiceLine, InvoiceStatus, NewUsage, StoredInvoice, UsageKind, UsageSum, UsageTotals,
};
use frontdesk_core::{Clock, Plan, StoreError, TenantId};
use frontdesk_jobs::{JobId, JobKind, JobState, NewJob};
use serde_json::json;

use crate::{Stores, tenant, with_tenants};

fn period(raw: &str) -> BillingPeriod {
    BillingPeriod::parse(raw).unwrap_or_else(|e| panic!("{e}"))
}

/// A job without a unique key, so only the store decides whether it exists.
fn job(kind: &str) -> NewJob {
    NewJob::new(JobKind::parse(kind).unwrap_or_else(|e| panic!("{e}")), json!({}))
}

async fn job_exists(stores: &Stores, id: JobId) -> bool {
    stores.job_admin.job(id).await.unwrap_or_else(|e| panic!("{e}")).is_some()
}

async fn job_count(stores: &Stores) -> u64 {
    let counts = stores.job_admin.job_counts().await.unwrap_or_else(|e| panic!("{e}"));
    JobState::ALL.iter().map(|s| counts.get(*s)).sum()
}

/// Call minutes in November 2026, id derived from tenant and key.
fn minutes(slug: &str, key: &str, quantity: i64, occurred_at: DateTime<Utc>) -> NewUsage {
    NewUsage {
        id: format!("usage-{slug}-{key}"),
        tenant: tenant(slug),
        kind: UsageKind::CallMinutes,
        quantity,
        key: key.to_owned(),
        period: period("2026-11"),
        occurred_at,
        cost_micros: 0,
    }
}

async fn record(stores: &Stores, usage: &NewUsage, jobs: &[NewJob]) -> bool {
    stores.usage.record_usage(usage, jobs).await.unwrap_or_else(|e| panic!("record_usage {}: {e}", usage.key))
}

async fn totals(stores: &Stores, slug: &str, raw_period: &str) -> UsageTotals {
    stores.usage.usage_totals(&tenant(slug), period(raw_period)).await.unwrap_or_else(|e| panic!("{e}"))
}

async fn account(stores: &Stores, slug: &str) -> BillingAccount {
    stores.billing.billing_account(&tenant(slug)).await.unwrap_or_else(|e| panic!("billing account {slug}: {e}"))
}

async fn apply(stores: &Stores, event_id: &str, change: Option<(&TenantId, &AccountChange)>) -> bool {
    let now = stores.clock.now();
    stores
        .billing
        .apply_provider_event(event_id, "test.event", change, now, &[])
        .await
        .unwrap_or_else(|e| panic!("event {event_id}: {e}"))
}

fn decision(slug: &str, raw_period: &str, level: CapLevel, cap: i64, used: i64, at: DateTime<Utc>) -> CapDecision {
    let metric = CapMetric::Minutes;
    CapDecision { tenant: tenant(slug), period: period(raw_period), metric, level, used, cap, decided_at: at }
}

fn line(description: &str, quantity: i64, unit_price: i64) -> InvoiceLine {
    InvoiceLine { description: description.to_owned(), quantity, unit_price, amount: quantity * unit_price }
}

fn invoice(lines: Vec<InvoiceLine>) -> Invoice {
    let total = lines.iter().map(|line| line.amount).sum();
    Invoice { currency: "USD".to_owned(), lines, total }
}

async fn put_draft(stores: &Stores, slug: &str, raw_period: &str, draft: &Invoice, at: DateTime<Utc>) -> StoredInvoice {
    stores
        .billing
        .put_draft_invoice(&tenant(slug), period(raw_period), draft, at)
        .await
        .unwrap_or_else(|e| panic!("draft {raw_period}: {e}"))
}

fn is_not_found<T: std::fmt::Debug>(result: &Result<T, StoreError>, slug: &str) -> bool {
    matches!(result, Err(StoreError::NotFound(t)) if t.as_str() == slug)
}

pub async fn usage_is_recorded_once_per_key_with_its_jobs(stores: Stores) {
    with_tenants(&stores, &["shop-a"]).await;
    let now = stores.clock.now();
    let first_job = job("billing.report_usage");
    let usage = minutes("shop-a", "call:CA1", 3, now);
    assert!(record(&stores, &usage, std::slice::from_ref(&first_job)).await);
    assert!(job_exists(&stores, first_job.id).await, "the job committed with the usage");

    // A retried job (same record) and a repeated callback (new record id, same key).
    let retry_job = job("billing.report_usage");
    assert!(!record(&stores, &usage, std::slice::from_ref(&retry_job)).await);
    let repeated = NewUsage { id: "usage-other-id".to_owned(), quantity: 5, ..usage.clone() };
    let repeated_job = job("billing.report_usage");
    assert!(!record(&stores, &repeated, std::slice::from_ref(&repeated_job)).await);
    assert!(!job_exists(&stores, retry_job.id).await && !job_exists(&stores, repeated_job.id).await);
    assert_eq!(job_count(&stores).await, 1);
    assert_eq!(totals(&stores, "shop-a", "2026-11").await.call_minutes, 3, "counted once, as first recorded");

    // Several jobs, and no jobs at all, for new keys.
    let (one, two) = (job("billing.report_usage"), job("billing.check_caps"));
    assert!(record(&stores, &minutes("shop-a", "call:CA2", 1, now), &[one.clone(), two.clone()]).await);
    assert!(job_exists(&stores, one.id).await && job_exists(&stores, two.id).await);
    assert!(record(&stores, &minutes("shop-a", "call:CA3", 2, now), &[]).await);
    assert_eq!(job_count(&stores).await, 3);
    assert_eq!(totals(&stores, "shop-a", "2026-11").await.call_minutes, 6);
}

pub async fn concurrent_usage_with_one_key_is_recorded_once(stores: Stores) {
    with_tenants(&stores, &["shop-a"]).await;
    let now = stores.clock.now();
    let mut racers = Vec::new();
    for n in 0..16 {
        let usage_store = stores.usage.clone();
        let usage = NewUsage { id: format!("usage-race-{n}"), ..minutes("shop-a", "call:CA-race", 4, now) };
        let racer_job = job("billing.report_usage");
        racers.push(tokio::spawn(async move { usage_store.record_usage(&usage, &[racer_job]).await }));
    }
    let mut recorded = 0;
    for racer in racers {
        if racer.await.unwrap_or_else(|e| panic!("{e}")).unwrap_or_else(|e| panic!("{e}")) {
            recorded += 1;
        }
    }
    assert_eq!(recorded, 1, "exactly one racer recorded the key");
    assert_eq!(job_count(&stores).await, 1, "and only its job was enqueued");
    assert_eq!(totals(&stores, "shop-a", "2026-11").await.call_minutes, 4);
}

/// Records of one shop's month written at once all land in its totals
/// (which a store may keep as records are written, not sum on each read).
pub async fn concurrent_usage_of_one_shop_adds_up_in_its_totals(stores: Stores) {
    with_tenants(&stores, &["shop-a"]).await;
    let now = stores.clock.now();
    let mut writers = Vec::new();
    for n in 0..24_i64 {
        let usage_store = stores.usage.clone();
        let usage = NewUsage { cost_micros: 100 + n, ..minutes("shop-a", &format!("call:CA-{n}"), 1 + n % 3, now) };
        writers.push(tokio::spawn(async move { usage_store.record_usage(&usage, &[]).await }));
    }
    for writer in writers {
        assert!(matches!(writer.await, Ok(Ok(true))));
    }
    let expected = UsageTotals {
        call_minutes: (0..24).map(|n| 1 + n % 3).sum(),
        call_cost_micros: (0..24).map(|n| 100 + n).sum(),
        ..Default::default()
    };
    assert_eq!(totals(&stores, "shop-a", "2026-11").await, expected);
    let all = stores.usage.usage_totals_of_all_tenants(period("2026-11")).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(all.get(&tenant("shop-a")), Some(&expected), "every shop's totals agree");
}

/// A call's model use and outbound legs are summed from its own records
/// only: not a call whose sid starts the same, not another tenant's, not
/// its minutes, not before it; its forwarded minutes are told.
pub async fn a_calls_model_usage_sums_its_own_records(stores: Stores) {
    with_tenants(&stores, &["shop-a", "shop-b"]).await;
    let now = stores.clock.now();
    let tokens = |slug: &str, key: &str, quantity: i64, cost_micros: i64, at: DateTime<Utc>| NewUsage {
        kind: UsageKind::LlmTokens,
        cost_micros,
        ..minutes(slug, key, quantity, at)
    };
    let leg = |slug: &str, key: &str, quantity: i64, cost_micros: i64, at: DateTime<Utc>| NewUsage {
        kind: UsageKind::OutboundMinutes,
        cost_micros,
        ..minutes(slug, key, quantity, at)
    };
    let facts = [
        tokens("shop-a", "llm:llm-turn:CA1:1:0", 100, 5, now),
        tokens("shop-a", "llm:embed-question:CA1:2:0", 9, 1, now + Duration::seconds(20)),
        tokens("shop-a", "llm:llm-turn:CA10:1:0", 1_000, 50, now),
        tokens("shop-a", "llm:llm-turn:CA1:1:0-earlier", 1_000, 50, now - Duration::hours(1)),
        tokens("shop-b", "llm:llm-turn:CA1:1:0", 1_000, 50, now),
        minutes("shop-a", "call:CA1", 3, now),
        // A transfer's owner leg and a call back's leg, placed for CA1.
        leg("shop-a", "leg:CA1:CA7", 2, 28_000, now + Duration::seconds(90)),
        leg("shop-a", "leg:CA1:CA8", 1, 14_000, now + Duration::hours(2)),
        leg("shop-a", "leg:CA10:CA9", 5, 70_000, now),
        leg("shop-b", "leg:CA1:CA7", 5, 70_000, now),
        // CA3 went to the owner, not the AI.
        NewUsage { kind: UsageKind::ForwardedMinutes, cost_micros: 8_500, ..minutes("shop-a", "call:CA3", 1, now) },
    ];
    for fact in &facts {
        assert!(record(&stores, fact, &[]).await, "{}", fact.key);
    }
    let usage = stores.usage.call_model_usage(&tenant("shop-a"), "CA1", now).await;
    let expected =
        CallModelUsage { tokens: 109, cost_micros: 6, leg_minutes: 3, leg_cost_micros: 42_000, forwarded: false };
    assert_eq!(usage.ok(), Some(expected));
    let none = stores.usage.call_model_usage(&tenant("shop-a"), "CA2", now).await;
    assert_eq!(none.ok(), Some(CallModelUsage::default()));
    // A leg is never a cost of itself.
    let leg_itself = stores.usage.call_model_usage(&tenant("shop-a"), "CA7", now).await;
    assert_eq!(leg_itself.ok(), Some(CallModelUsage::default()));
    let forwarded = stores.usage.call_model_usage(&tenant("shop-a"), "CA3", now).await;
    assert_eq!(forwarded.ok(), Some(CallModelUsage { forwarded: true, ..CallModelUsage::default() }));
}

pub async fn usage_totals_count_one_tenant_and_period_per_kind(stores: Stores) {
    with_tenants(&stores, &["shop-a", "shop-b"]).await;
    let now = stores.clock.now();
    assert_eq!(totals(&stores, "shop-a", "2026-11").await, UsageTotals::default(), "zero before any usage");
    let facts = [
        NewUsage { cost_micros: 25_500, ..minutes("shop-a", "call:1", 3, now) },
        NewUsage { cost_micros: 59_500, ..minutes("shop-a", "call:2", 7, now) },
        // A record made before minutes were costed.
        minutes("shop-a", "call:uncosted", 5, now),
        NewUsage { kind: UsageKind::SmsSegments, cost_micros: 16_600, ..minutes("shop-a", "sms:1", 2, now) },
        NewUsage { kind: UsageKind::LlmTokens, cost_micros: 30, ..minutes("shop-a", "llm:1", 1_500_000, now) },
        NewUsage {
            kind: UsageKind::LlmTokens,
            cost_micros: 3_000_000_000,
            ..minutes("shop-a", "llm:2", 2_500_000_000, now)
        },
        NewUsage { period: period("2026-10"), cost_micros: 850_000, ..minutes("shop-a", "call:october", 100, now) },
        NewUsage { period: period("2026-12"), ..minutes("shop-a", "call:december", 200, now) },
        // Another tenant's usage, with a key shop-a also uses.
        NewUsage { cost_micros: 425_000, ..minutes("shop-b", "call:1", 50, now) },
        // A call forwarded to the owner while answering was suspended:
        // costed, kept apart from the billed minutes.
        NewUsage { kind: UsageKind::ForwardedMinutes, cost_micros: 17_000, ..minutes("shop-a", "call:3", 2, now) },
        // A transfer's dialled leg: costed at the outbound rate, not billed.
        NewUsage { kind: UsageKind::OutboundMinutes, cost_micros: 28_000, ..minutes("shop-a", "leg:1:2", 2, now) },
    ];
    for fact in &facts {
        assert!(record(&stores, fact, &[]).await, "{}", fact.key);
    }
    // A call is metered once, whichever kind its minutes were counted as.
    let again =
        NewUsage { kind: UsageKind::ForwardedMinutes, cost_micros: 8_500, ..minutes("shop-a", "call:1", 1, now) };
    assert!(!record(&stores, &again, &[]).await, "the key is the call's");
    let november = totals(&stores, "shop-a", "2026-11").await;
    assert_eq!(
        november,
        UsageTotals {
            call_minutes: 15,
            sms_segments: 2,
            llm_tokens: 2_501_500_000,
            // Only the tokens' cost: what the AI budget counts.
            ai_cost_micros: 3_000_000_030,
            call_cost_micros: 85_000,
            sms_cost_micros: 16_600,
            forwarded_minutes: 2,
            forwarded_cost_micros: 17_000,
            outbound_minutes: 2,
            outbound_cost_micros: 28_000,
        }
    );
    assert_eq!(november.total_cost_micros(), 3_000_146_630, "every kind's estimated cost");
    let october = totals(&stores, "shop-a", "2026-10").await;
    assert_eq!(october, UsageTotals { call_minutes: 100, call_cost_micros: 850_000, ..Default::default() });
    assert_eq!(october.total_cost_micros(), 850_000);
    assert_eq!(
        totals(&stores, "shop-b", "2026-11").await,
        UsageTotals { call_minutes: 50, call_cost_micros: 425_000, ..Default::default() }
    );
    assert_eq!(totals(&stores, "shop-b", "2026-12").await, UsageTotals::default());
}

pub async fn a_new_account_is_empty(stores: Stores) {
    with_tenants(&stores, &["shop-a"]).await;
    assert_eq!(account(&stores, "shop-a").await, BillingAccount::default());
    let shop = tenant("shop-a");
    assert!(matches!(stores.billing.cap_decisions(&shop, period("2026-11")).await, Ok(d) if d.is_empty()));
    assert!(matches!(stores.billing.list_invoices(&shop).await, Ok(i) if i.is_empty()));
    assert!(matches!(stores.billing.tenant_by_stripe_customer("cus_nobody").await, Ok(None)));
}

pub async fn unknown_tenants_are_not_found(stores: Stores) {
    with_tenants(&stores, &["shop-a"]).await;
    let ghost = tenant("ghost");
    let november = period("2026-11");
    let now = stores.clock.now();
    let billing = &stores.billing;
    assert!(is_not_found(&billing.billing_account(&ghost).await, "ghost"));
    assert!(is_not_found(&billing.set_stripe_ids(&ghost, "cus_ghost", Some("sub_ghost")).await, "ghost"));
    assert!(is_not_found(&billing.set_minute_cap(&ghost, Some(100)).await, "ghost"));
    assert!(is_not_found(&billing.plan_changes(&ghost).await, "ghost"));
    let cap = decision("ghost", "2026-11", CapLevel::Soft, 100, 80, now);
    assert!(is_not_found(&billing.record_cap_decision(&cap, &[job("billing.cap_alert")]).await, "ghost"));
    assert!(is_not_found(&billing.cap_decisions(&ghost, november).await, "ghost"));
    assert!(is_not_found(&billing.put_draft_invoice(&ghost, november, &invoice(Vec::new()), now).await, "ghost"));
    assert!(is_not_found(&billing.finalize_invoice(&ghost, november, now).await, "ghost"));
    assert!(is_not_found(&billing.list_invoices(&ghost).await, "ghost"));
    let usage = minutes("ghost", "call:1", 1, now);
    assert!(is_not_found(&stores.usage.record_usage(&usage, &[job("billing.report_usage")]).await, "ghost"));
    assert_eq!(stores.usage.usage_totals(&ghost, november).await.ok(), Some(UsageTotals::default()));
    assert_eq!(job_count(&stores).await, 0, "refused writes enqueue nothing");
    assert!(matches!(billing.tenant_by_stripe_customer("cus_ghost").await, Ok(None)));

    // A refused event is not recorded as handled: once the tenant exists it applies.
    let change = AccountChange::Paid;
    let refused = billing.apply_provider_event("evt_ghost", "invoice.paid", Some((&ghost, &change)), now, &[]).await;
    assert!(is_not_found(&refused, "ghost"), "{refused:?}");
    with_tenants(&stores, &["ghost"]).await;
    assert!(apply(&stores, "evt_ghost", Some((&ghost, &change))).await);
}

pub async fn stripe_ids_are_kept_and_find_their_tenant(stores: Stores) {
    with_tenants(&stores, &["shop-a", "shop-b"]).await;
    let (a, b) = (tenant("shop-a"), tenant("shop-b"));
    assert!(stores.billing.set_stripe_ids(&a, "cus_A", None).await.is_ok());
    let customer_only = account(&stores, "shop-a").await;
    assert_eq!(
        (customer_only.stripe_customer_id.as_deref(), customer_only.stripe_subscription_id.as_deref()),
        (Some("cus_A"), None)
    );
    assert!(stores.billing.set_stripe_ids(&a, "cus_A", Some("sub_A")).await.is_ok());
    // A retried customer step (subscription unknown to it) keeps the subscription.
    assert!(stores.billing.set_stripe_ids(&a, "cus_A", None).await.is_ok());
    assert_eq!(
        account(&stores, "shop-a").await,
        BillingAccount {
            stripe_customer_id: Some("cus_A".to_owned()),
            stripe_subscription_id: Some("sub_A".to_owned()),
            ..Default::default()
        }
    );
    assert_eq!(stores.billing.tenant_by_stripe_customer("cus_A").await.ok().flatten(), Some(a.clone()));
    assert!(matches!(stores.billing.tenant_by_stripe_customer("cus_B").await, Ok(None)));

    // One customer belongs to one tenant.
    assert!(stores.billing.set_stripe_ids(&b, "cus_A", None).await.is_err());
    assert_eq!(account(&stores, "shop-b").await, BillingAccount::default());
    assert!(stores.billing.set_stripe_ids(&b, "cus_B", Some("sub_B")).await.is_ok());
    assert_eq!(stores.billing.tenant_by_stripe_customer("cus_B").await.ok().flatten(), Some(b));
    assert_eq!(stores.billing.tenant_by_stripe_customer("cus_A").await.ok().flatten(), Some(a));
}

pub async fn minute_caps_are_set_and_removed(stores: Stores) {
    with_tenants(&stores, &["shop-a", "shop-b"]).await;
    let shop = tenant("shop-a");
    assert_eq!(stores.billing.set_minute_cap(&shop, Some(500)).await.ok(), Some(None));
    assert_eq!(account(&stores, "shop-a").await.minute_cap, Some(500));
    assert_eq!(stores.billing.set_minute_cap(&shop, Some(800)).await.ok(), Some(Some(500)));
    assert_eq!(stores.billing.set_minute_cap(&shop, None).await.ok(), Some(Some(800)));
    assert_eq!(stores.billing.set_minute_cap(&shop, None).await.ok(), Some(None));
    assert_eq!(account(&stores, "shop-a").await, BillingAccount::default());
    assert_eq!(stores.billing.set_minute_cap(&shop, Some(0)).await.ok(), Some(None), "zero is a cap");
    assert_eq!(account(&stores, "shop-a").await.minute_cap, Some(0));
    assert_eq!(account(&stores, "shop-b").await.minute_cap, None);
}

pub async fn provider_events_apply_once(stores: Stores) {
    with_tenants(&stores, &["shop-a"]).await;
    let shop = tenant("shop-a");
    let active = AccountChange::Subscription { id: "sub_1".to_owned(), status: "active".to_owned() };
    assert!(apply(&stores, "evt_1", Some((&shop, &active))).await);
    let expected = BillingAccount {
        stripe_subscription_id: Some("sub_1".to_owned()),
        subscription_status: Some("active".to_owned()),
        ..Default::default()
    };
    assert_eq!(account(&stores, "shop-a").await, expected);

    // A redelivery, even carrying another change, is recognised and changes nothing.
    let cancelled = AccountChange::Subscription { id: "sub_2".to_owned(), status: "canceled".to_owned() };
    assert!(!apply(&stores, "evt_1", Some((&shop, &cancelled))).await);
    let failed = AccountChange::PaymentFailed { at: stores.clock.now() };
    assert!(!apply(&stores, "evt_1", Some((&shop, &failed))).await);
    assert_eq!(account(&stores, "shop-a").await, expected);

    // Events that concern no tenant are remembered too.
    assert!(apply(&stores, "evt_ping", None).await);
    assert!(!apply(&stores, "evt_ping", None).await);

    // Concurrent deliveries of one event: exactly one applies.
    let mut racers = Vec::new();
    for n in 0..12 {
        let billing = stores.billing.clone();
        let now = stores.clock.now();
        racers.push(tokio::spawn(async move {
            let change = AccountChange::Subscription { id: format!("sub_race_{n}"), status: "past_due".to_owned() };
            billing.apply_provider_event("evt_race", "test.event", Some((&tenant("shop-a"), &change)), now, &[]).await
        }));
    }
    let mut applied = 0;
    for racer in racers {
        if racer.await.unwrap_or_else(|e| panic!("{e}")).unwrap_or_else(|e| panic!("{e}")) {
            applied += 1;
        }
    }
    assert_eq!(applied, 1);
    let raced = account(&stores, "shop-a").await;
    assert_eq!(raced.subscription_status.as_deref(), Some("past_due"));
    assert!(raced.stripe_subscription_id.is_some_and(|id| id.starts_with("sub_race_")));
}

pub async fn a_late_cancellation_of_a_replaced_subscription_changes_nothing(stores: Stores) {
    with_tenants(&stores, &["shop-a"]).await;
    let shop = tenant("shop-a");
    let change = |id: &str, status: &str| AccountChange::Subscription { id: id.to_owned(), status: status.to_owned() };
    assert!(apply(&stores, "evt_old_created", Some((&shop, &change("sub_old", "active")))).await);
    assert!(apply(&stores, "evt_old_cancelled", Some((&shop, &change("sub_old", "canceled")))).await);
    assert_eq!(account(&stores, "shop-a").await.subscription_status.as_deref(), Some("canceled"));
    // The replacement takes over from the cancelled one.
    assert!(apply(&stores, "evt_new_created", Some((&shop, &change("sub_new", "active")))).await);
    // Stripe resends the old cancellation (or sends it late): recorded, ignored.
    assert!(apply(&stores, "evt_old_cancelled_again", Some((&shop, &change("sub_old", "canceled")))).await);
    let now = account(&stores, "shop-a").await;
    assert_eq!(now.stripe_subscription_id.as_deref(), Some("sub_new"));
    assert_eq!(now.subscription_status.as_deref(), Some("active"));
    // The current subscription's own cancellation still applies.
    assert!(apply(&stores, "evt_new_cancelled", Some((&shop, &change("sub_new", "canceled")))).await);
    assert_eq!(account(&stores, "shop-a").await.subscription_status.as_deref(), Some("canceled"));
}

pub async fn past_due_is_set_once_and_cleared_by_payment(stores: Stores) {
    with_tenants(&stores, &["shop-a", "shop-b"]).await;
    let shop = tenant("shop-a");
    let first = stores.clock.now();
    let second = first + Duration::days(2);
    assert!(apply(&stores, "evt_fail_1", Some((&shop, &AccountChange::PaymentFailed { at: first }))).await);
    assert_eq!(account(&stores, "shop-a").await.past_due_since, Some(first));
    assert!(apply(&stores, "evt_fail_2", Some((&shop, &AccountChange::PaymentFailed { at: second }))).await);
    assert_eq!(account(&stores, "shop-a").await.past_due_since, Some(first), "past due since the first failure");
    assert_eq!(account(&stores, "shop-b").await.past_due_since, None);

    assert!(apply(&stores, "evt_paid", Some((&shop, &AccountChange::Paid))).await);
    assert_eq!(account(&stores, "shop-a").await.past_due_since, None);
    let third = second + Duration::days(30);
    assert!(apply(&stores, "evt_fail_3", Some((&shop, &AccountChange::PaymentFailed { at: third }))).await);
    assert_eq!(account(&stores, "shop-a").await.past_due_since, Some(third));
    assert!(!apply(&stores, "evt_paid", Some((&shop, &AccountChange::Paid))).await, "a replayed payment");
    assert_eq!(account(&stores, "shop-a").await.past_due_since, Some(third));
}

pub async fn cap_decisions_are_recorded_once_with_their_jobs(stores: Stores) {
    with_tenants(&stores, &["shop-a", "shop-b"]).await;
    let billing = &stores.billing;
    let now = stores.clock.now();
    let later = now + Duration::hours(5);
    let soft = decision("shop-a", "2026-11", CapLevel::Soft, 500, 400, now);
    let alert = job("billing.cap_alert");
    assert_eq!(billing.record_cap_decision(&soft, std::slice::from_ref(&alert)).await.ok(), Some(true));
    assert!(job_exists(&stores, alert.id).await);
    // Crossing 80 % again (more minutes used, later) is the same decision.
    let again = CapDecision { used: 450, decided_at: later, ..soft.clone() };
    let second_alert = job("billing.cap_alert");
    assert_eq!(billing.record_cap_decision(&again, std::slice::from_ref(&second_alert)).await.ok(), Some(false));
    assert!(!job_exists(&stores, second_alert.id).await);

    // Another level, cap, period or tenant is another decision.
    let others = [
        decision("shop-a", "2026-11", CapLevel::Hard, 500, 500, later),
        decision("shop-a", "2026-11", CapLevel::Soft, 800, 640, later + Duration::hours(1)),
        decision("shop-a", "2026-12", CapLevel::Soft, 500, 400, later),
        decision("shop-b", "2026-11", CapLevel::Soft, 500, 400, now),
        // The AI budget's decision at the same level and cap value is its own.
        CapDecision { metric: CapMetric::AiSpend, ..soft.clone() },
    ];
    for other in &others {
        assert_eq!(billing.record_cap_decision(other, &[job("billing.cap_alert")]).await.ok(), Some(true));
    }
    assert_eq!(job_count(&stores).await, 6);

    // Concurrent deciders: one records it and enqueues its alert.
    let mut racers = Vec::new();
    for _ in 0..12 {
        let billing = stores.billing.clone();
        let hard = decision("shop-b", "2026-11", CapLevel::Hard, 500, 501, later);
        racers.push(tokio::spawn(async move { billing.record_cap_decision(&hard, &[job("billing.cap_alert")]).await }));
    }
    let mut recorded = 0;
    for racer in racers {
        if racer.await.unwrap_or_else(|e| panic!("{e}")).unwrap_or_else(|e| panic!("{e}")) {
            recorded += 1;
        }
    }
    assert_eq!(recorded, 1);
    assert_eq!(job_count(&stores).await, 7);

    let listed = billing.cap_decisions(&tenant("shop-a"), period("2026-11")).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        listed,
        [soft, others[4].clone(), others[0].clone(), others[1].clone()],
        "oldest first, as first recorded; within an instant minutes first"
    );
    let december = billing.cap_decisions(&tenant("shop-a"), period("2026-12")).await.unwrap_or_default();
    assert_eq!(december, [others[2].clone()]);
    let b = billing.cap_decisions(&tenant("shop-b"), period("2026-11")).await.unwrap_or_default();
    assert_eq!(b.iter().map(|d| (d.level, d.used)).collect::<Vec<_>>(), [(CapLevel::Soft, 400), (CapLevel::Hard, 501)]);
}

pub async fn drafts_are_replaced_until_finalized_and_then_never_change(stores: Stores) {
    with_tenants(&stores, &["shop-a"]).await;
    let shop = tenant("shop-a");
    let november = period("2026-11");
    let t0 = stores.clock.now();
    let first = invoice(vec![line("Core plan", 1, 9900)]);
    let stored = put_draft(&stores, "shop-a", "2026-11", &first, t0).await;
    assert_eq!(
        stored,
        StoredInvoice {
            tenant: shop.clone(),
            period: november,
            status: InvoiceStatus::Draft,
            invoice: first,
            updated_at: t0,
            finalized_at: None,
        }
    );

    let t1 = t0 + Duration::hours(1);
    let second = invoice(vec![line("Core plan", 1, 9900), line("Extra minutes", 12, 25)]);
    let replaced = put_draft(&stores, "shop-a", "2026-11", &second, t1).await;
    assert_eq!((replaced.status, &replaced.invoice, replaced.updated_at), (InvoiceStatus::Draft, &second, t1));
    assert_eq!(stores.billing.list_invoices(&shop).await.ok(), Some(vec![replaced.clone()]), "replaced, not added");

    let t2 = t1 + Duration::hours(1);
    let finalized = stores.billing.finalize_invoice(&shop, november, t2).await.unwrap_or_else(|e| panic!("{e}"));
    let expected =
        StoredInvoice { status: InvoiceStatus::Finalized, updated_at: t2, finalized_at: Some(t2), ..replaced };
    assert_eq!(finalized, expected);

    // A later recomputation is refused quietly: the finalized invoice comes back.
    let t3 = t2 + Duration::hours(1);
    let late = invoice(vec![line("Core plan", 1, 1)]);
    assert_eq!(put_draft(&stores, "shop-a", "2026-11", &late, t3).await, expected);
    assert_eq!(stores.billing.finalize_invoice(&shop, november, t3).await.ok(), Some(expected.clone()));
    assert_eq!(stores.billing.list_invoices(&shop).await.ok(), Some(vec![expected]));
}

pub async fn finalizing_a_missing_invoice_is_not_found(stores: Stores) {
    with_tenants(&stores, &["shop-a", "shop-b"]).await;
    let now = stores.clock.now();
    assert!(is_not_found(&stores.billing.finalize_invoice(&tenant("shop-a"), period("2026-11"), now).await, "shop-a"));
    put_draft(&stores, "shop-b", "2026-11", &invoice(vec![line("Starter plan", 1, 2900)]), now).await;
    let theirs = stores.billing.finalize_invoice(&tenant("shop-a"), period("2026-11"), now).await;
    assert!(is_not_found(&theirs, "shop-a"), "another tenant's invoice is not ours to finalize");
    let b = stores.billing.list_invoices(&tenant("shop-b")).await.unwrap_or_default();
    assert_eq!(b.iter().map(|i| i.status).collect::<Vec<_>>(), [InvoiceStatus::Draft]);
}

pub async fn invoices_list_newest_first_and_lines_round_trip(stores: Stores) {
    with_tenants(&stores, &["shop-a", "shop-b"]).await;
    let now = stores.clock.now();
    let awkward = invoice(vec![
        line("Pro plan — November (prorated 17/30 days)", 1, 19_767),
        line("Extra call minutes \"overage\"\n", 1_234, 7),
        line("SMS segments ✉️", 0, 1),
        line("Goodwill credit", 1, -2_500),
        line("Tokens", 9_000_000_000, 1),
        line("", 1, 0),
    ]);
    let empty = Invoice { currency: "EUR".to_owned(), lines: Vec::new(), total: 0 };
    for (raw, draft) in [("2026-10", &awkward), ("2027-01", &empty), ("2025-12", &awkward), ("2026-11", &empty)] {
        put_draft(&stores, "shop-a", raw, draft, now).await;
    }
    put_draft(&stores, "shop-b", "2027-02", &empty, now).await;
    let listed = stores.billing.list_invoices(&tenant("shop-a")).await.unwrap_or_else(|e| panic!("{e}"));
    let periods: Vec<String> = listed.iter().map(|i| i.period.to_string()).collect();
    assert_eq!(periods, ["2027-01", "2026-11", "2026-10", "2025-12"]);
    assert!(listed.iter().all(|i| i.tenant.as_str() == "shop-a"));
    assert_eq!(listed[2].invoice, awkward, "lines come back exactly");
    assert_eq!(listed[1].invoice, empty);
}

/// Many calls' model use in one read agrees with asking call by call, each
/// call summed from its own tenant's records; one tenant's calls or many.
pub async fn many_calls_model_usage_agrees_with_one_call_at_a_time(stores: Stores) {
    with_tenants(&stores, &["shop-a", "shop-b"]).await;
    let now = stores.clock.now();
    let tokens = |slug: &str, key: &str, quantity: i64, cost_micros: i64, at: DateTime<Utc>| NewUsage {
        kind: UsageKind::LlmTokens,
        cost_micros,
        ..minutes(slug, key, quantity, at)
    };
    let facts = [
        tokens("shop-a", "llm:llm-turn:CA1:1:0", 100, 5, now),
        tokens("shop-a", "llm:embed-question:CA1:2:0", 9, 1, now + Duration::seconds(20)),
        tokens("shop-a", "llm:llm-turn:CA10:1:0", 1_000, 50, now),
        tokens("shop-a", "llm:llm-turn:CA2:1:0", 7, 2, now),
        tokens("shop-a", "llm:llm-turn:CA1:1:0-earlier", 1_000, 50, now - Duration::hours(1)),
        tokens("shop-b", "llm:llm-turn:CA1:1:0", 40, 4, now),
        minutes("shop-a", "call:CA1", 3, now),
        NewUsage {
            kind: UsageKind::OutboundMinutes,
            cost_micros: 28_000,
            ..minutes("shop-a", "leg:CA1:CA3", 2, now + Duration::minutes(5))
        },
        NewUsage { kind: UsageKind::OutboundMinutes, cost_micros: 14_000, ..minutes("shop-b", "leg:CA10:CA4", 1, now) },
        NewUsage { kind: UsageKind::ForwardedMinutes, cost_micros: 8_500, ..minutes("shop-a", "call:CA3", 1, now) },
    ];
    for fact in &facts {
        assert!(record(&stores, fact, &[]).await, "{}", fact.key);
    }
    let call = |slug: &str, sid: &str| (tenant(slug), sid.to_owned());
    let of_shop_a = [call("shop-a", "CA1"), call("shop-a", "CA2"), call("shop-a", "CA3")];
    let of_both = [call("shop-a", "CA1"), call("shop-b", "CA1"), call("shop-b", "CA10")];
    for calls in [&of_shop_a[..], &of_both[..]] {
        let at_once = stores.usage.calls_model_usage(calls, now).await.unwrap_or_else(|e| panic!("{e}"));
        for (shop, sid) in calls {
            let one = stores.usage.call_model_usage(shop, sid, now).await.unwrap_or_else(|e| panic!("{e}"));
            let expected = (one != CallModelUsage::default()).then_some(one);
            assert_eq!(at_once.get(&(shop.clone(), sid.clone())).copied(), expected, "{shop} {sid}");
        }
        assert!(at_once.keys().all(|key| calls.contains(key)), "only the calls asked about: {at_once:?}");
    }
    let both = stores.usage.calls_model_usage(&of_both, now).await.unwrap_or_else(|e| panic!("{e}"));
    let legs = CallModelUsage { leg_minutes: 2, leg_cost_micros: 28_000, ..CallModelUsage::default() };
    assert_eq!(both.get(&call("shop-a", "CA1")), Some(&CallModelUsage { tokens: 109, cost_micros: 6, ..legs }));
    assert_eq!(
        both.get(&call("shop-b", "CA1")),
        Some(&CallModelUsage { tokens: 40, cost_micros: 4, ..Default::default() })
    );
    let leg_of_b = CallModelUsage { leg_minutes: 1, leg_cost_micros: 14_000, ..CallModelUsage::default() };
    assert_eq!(both.get(&call("shop-b", "CA10")), Some(&leg_of_b));
    let shop_a = stores.usage.calls_model_usage(&of_shop_a, now).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(shop_a.get(&call("shop-a", "CA3")), Some(&CallModelUsage { forwarded: true, ..Default::default() }));
    assert_eq!(stores.usage.calls_model_usage(&[], now).await.map(|usage| usage.len()).ok(), Some(0));
}

/// Every tenant's usage totals of a month, and every tenant's account,
/// plan history and cap decisions of a month, each agree with the
/// tenant's own reads.
pub async fn every_tenants_usage_and_billing_agree_with_each_tenants_own(stores: Stores) {
    with_tenants(&stores, &["shop-a", "shop-b", "shop-c"]).await;
    let now = stores.clock.now();
    let facts = [
        NewUsage { cost_micros: 25_500, ..minutes("shop-a", "call:1", 3, now) },
        NewUsage { kind: UsageKind::LlmTokens, cost_micros: 30, ..minutes("shop-a", "llm:1", 1_500, now) },
        NewUsage { kind: UsageKind::SmsSegments, ..minutes("shop-b", "sms:1", 2, now) },
        NewUsage { period: period("2026-10"), ..minutes("shop-b", "call:october", 100, now) },
    ];
    for fact in &facts {
        assert!(record(&stores, fact, &[]).await, "{}", fact.key);
    }
    let november = stores.usage.usage_totals_of_all_tenants(period("2026-11")).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(november.len(), 2, "shop-c has no usage: {november:?}");
    for slug in ["shop-a", "shop-b"] {
        assert_eq!(november.get(&tenant(slug)), Some(&totals(&stores, slug, "2026-11").await), "{slug}");
    }

    let first = now - Duration::days(40);
    for (slug, plan, at) in
        [("shop-a", Plan::Core, first), ("shop-a", Plan::Pro, now), ("shop-b", Plan::Starter, first)]
    {
        assert!(stores.flags.set_plan(&tenant(slug), plan, at, &[]).await.is_ok());
    }
    assert!(stores.billing.set_minute_cap(&tenant("shop-b"), Some(0)).await.is_ok());
    for made in [
        decision("shop-a", "2026-11", CapLevel::Soft, 500, 400, now),
        decision("shop-a", "2026-10", CapLevel::Soft, 500, 400, first),
        decision("shop-c", "2026-11", CapLevel::Hard, 500, 500, now),
    ] {
        assert_eq!(stores.billing.record_cap_decision(&made, &[]).await.ok(), Some(true));
    }
    let every = stores.billing.billing_of_all_tenants(period("2026-11")).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(every.iter().map(|shop| shop.tenant.as_str()).collect::<Vec<_>>(), ["shop-a", "shop-b", "shop-c"]);
    for shop in &every {
        let own = &shop.tenant;
        assert_eq!(shop.account, account(&stores, own.as_str()).await, "{own}");
        assert_eq!(Some(&shop.plan_changes), stores.billing.plan_changes(own).await.ok().as_ref(), "{own}");
        let decisions = stores.billing.cap_decisions(own, period("2026-11")).await.ok();
        assert_eq!(Some(&shop.decisions), decisions.as_ref(), "{own}");
    }
    assert_eq!(every[0].plan_changes.iter().map(|change| change.plan).collect::<Vec<_>>(), [Plan::Core, Plan::Pro]);
    assert_eq!((every[1].account.minute_cap, every[2].plan_changes.len()), (Some(0), 0));
    assert_eq!(every[0].decisions.len(), 1, "November's only");
}

pub async fn a_provider_events_jobs_commit_with_it_once(stores: Stores) {
    with_tenants(&stores, &["shop-a"]).await;
    let shop = tenant("shop-a");
    let failed = AccountChange::PaymentFailed { at: stores.clock.now() };
    let now = stores.clock.now();
    let alert = job("notify.alert");
    let applied = stores
        .billing
        .apply_provider_event(
            "evt_f1",
            "invoice.payment_failed",
            Some((&shop, &failed)),
            now,
            std::slice::from_ref(&alert),
        )
        .await;
    assert_eq!(applied.ok(), Some(true));
    assert!(job_exists(&stores, alert.id).await, "the alert commits with the event");
    let resent = job("notify.alert");
    let again = stores
        .billing
        .apply_provider_event(
            "evt_f1",
            "invoice.payment_failed",
            Some((&shop, &failed)),
            now,
            std::slice::from_ref(&resent),
        )
        .await;
    assert_eq!(again.ok(), Some(false));
    assert!(!job_exists(&stores, resent.id).await, "a redelivered event enqueues nothing");

    let ghost = tenant("ghost");
    let lost = job("notify.alert");
    let refused = stores
        .billing
        .apply_provider_event(
            "evt_f2",
            "invoice.payment_failed",
            Some((&ghost, &failed)),
            now,
            std::slice::from_ref(&lost),
        )
        .await;
    assert!(refused.is_err());
    assert!(!job_exists(&stores, lost.id).await, "nothing is enqueued when the event is not applied");
}

pub async fn every_tenants_daily_costs_are_summed_per_utc_day(stores: Stores) {
    with_tenants(&stores, &["shop-a", "shop-b"]).await;
    let day =
        |d: u32, h: u32| chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, d, h, 0, 0).single().unwrap_or_default();
    let costed = |slug: &str, key: &str, at: DateTime<Utc>, cost_micros: i64| NewUsage {
        cost_micros,
        ..minutes(slug, key, 1, at)
    };
    for usage in [
        costed("shop-a", "a-old", day(20, 12), 900),
        costed("shop-a", "a1", day(22, 0), 100),
        costed("shop-a", "a2", day(22, 23), 250),
        costed("shop-a", "a3", day(23, 9), 1_000),
        costed("shop-b", "b1", day(23, 10), 7),
    ] {
        assert!(record(&stores, &usage, &[]).await);
    }
    let costs = stores.usage.daily_costs_of_all_tenants(day(21, 0)).await.unwrap_or_else(|e| panic!("{e}"));
    let found: Vec<(String, String, i64)> =
        costs.iter().map(|c| (c.tenant.to_string(), c.day.to_string(), c.cost_micros)).collect();
    let expected = [("shop-a", "2026-11-22", 350), ("shop-a", "2026-11-23", 1_000), ("shop-b", "2026-11-23", 7)]
        .map(|(t, d, c)| (t.to_owned(), d.to_owned(), c));
    assert_eq!(found, expected, "per tenant and UTC day, since the instant");
}

pub async fn usage_of_a_kind_is_summed_per_tenant_over_a_time(stores: Stores) {
    with_tenants(&stores, &["shop-a", "shop-b", "shop-c"]).await;
    let from = stores.clock.now();
    let to = from + Duration::days(7);
    let sms = |slug: &str, key: &str, segments: i64, cost_micros: i64, at: DateTime<Utc>| NewUsage {
        kind: UsageKind::SmsSegments,
        cost_micros,
        ..minutes(slug, key, segments, at)
    };
    let facts = [
        sms("shop-a", "sms:1", 1, 8_300, from),
        sms("shop-a", "sms:2", 3, 24_900, from + Duration::days(6)),
        // Just outside: at `to`, and a millisecond before `from`.
        sms("shop-a", "sms:late", 1, 8_300, to),
        sms("shop-a", "sms:early", 1, 8_300, from - Duration::milliseconds(1)),
        // Another kind in the window: not texts.
        NewUsage { cost_micros: 8_500, ..minutes("shop-a", "call:1", 1, from) },
        sms("shop-b", "sms:1", 2, 16_600, from + Duration::hours(1)),
        // shop-c sent no text in the window: left out.
        NewUsage { cost_micros: 17_000, ..minutes("shop-c", "call:1", 2, from) },
    ];
    for fact in &facts {
        assert!(record(&stores, fact, &[]).await, "{}", fact.key);
    }
    let read = stores.usage.usage_of_kind_of_all_tenants(UsageKind::SmsSegments, from, to).await;
    let texts = read.unwrap_or_else(|e| panic!("{e}"));
    let mut texts: Vec<(String, UsageSum)> = texts.into_iter().map(|(t, sum)| (t.to_string(), sum)).collect();
    texts.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        texts,
        [
            ("shop-a".to_owned(), UsageSum { quantity: 4, cost_micros: 33_200 }),
            ("shop-b".to_owned(), UsageSum { quantity: 2, cost_micros: 16_600 }),
        ]
    );
    let calls = stores.usage.usage_of_kind_of_all_tenants(UsageKind::CallMinutes, from, to).await;
    let calls = calls.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(calls.get(&tenant("shop-c")), Some(&UsageSum { quantity: 2, cost_micros: 17_000 }));
    let none = stores.usage.usage_of_kind_of_all_tenants(UsageKind::LlmTokens, from, to).await;
    assert!(none.unwrap_or_else(|e| panic!("{e}")).is_empty());
}
