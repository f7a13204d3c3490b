//! The `FlagStore` contract (and the plan history it writes, read through
//! `BillingStore::plan_changes`, and the jobs a plan change enqueues).

use std::collections::BTreeMap;

use chrono::Duration;
use frontdesk_billing::PlanChange;
use frontdesk_core::{Clock, Plan, StoreError};
use frontdesk_flags::{Flag, TenantFlagSettings};
use frontdesk_jobs::{JobKind, JobState, NewJob};
use serde_json::json;

use crate::{Stores, tenant, with_tenants};

async fn settings(stores: &Stores, slug: &str) -> TenantFlagSettings {
    match stores.flags.flag_settings(&tenant(slug)).await {
        Ok(Some(settings)) => settings,
        other => panic!("flag settings of {slug}: {other:?}"),
    }
}

async fn set_override(stores: &Stores, slug: &str, flag: Flag, value: Option<bool>) -> Option<bool> {
    let at = stores.clock.now();
    stores.flags.set_flag_override(&tenant(slug), flag, value, at).await.unwrap_or_else(|e| panic!("{e}"))
}

fn setup_job(slug: &str) -> NewJob {
    let kind = JobKind::parse("billing.setup_customer").unwrap_or_else(|e| panic!("{e}"));
    NewJob::new(kind, json!({"plan": "pro"})).for_tenant(tenant(slug))
}

async fn job_count(stores: &Stores) -> u64 {
    let counts = stores.job_admin.job_counts().await.unwrap_or_else(|e| panic!("{e}"));
    JobState::ALL.iter().map(|state| counts.get(*state)).sum()
}

pub async fn a_new_tenant_is_on_the_default_plan_without_overrides(stores: Stores) {
    with_tenants(&stores, &["shop-a"]).await;
    assert_eq!(settings(&stores, "shop-a").await, TenantFlagSettings::on_plan(Plan::DEFAULT));
    assert!(matches!(stores.billing.plan_changes(&tenant("shop-a")).await, Ok(history) if history.is_empty()));
}

pub async fn unknown_tenants_are_absent_or_not_found(stores: Stores) {
    with_tenants(&stores, &["shop-a"]).await;
    let ghost = tenant("ghost");
    let now = stores.clock.now();
    assert!(matches!(stores.flags.flag_settings(&ghost).await, Ok(None)));
    let plan = stores.flags.set_plan(&ghost, Plan::Pro, now, &[]).await;
    assert!(matches!(&plan, Err(StoreError::NotFound(t)) if *t == ghost), "{plan:?}");
    let flag = stores.flags.set_flag_override(&ghost, Flag::EnableRag, Some(true), now).await;
    assert!(matches!(&flag, Err(StoreError::NotFound(t)) if *t == ghost), "{flag:?}");
    assert!(matches!(stores.flags.flag_settings(&ghost).await, Ok(None)), "the refused writes created nothing");
    assert_eq!(settings(&stores, "shop-a").await, TenantFlagSettings::on_plan(Plan::DEFAULT));
}

pub async fn set_plan_returns_the_previous_plan_and_appends_history(stores: Stores) {
    with_tenants(&stores, &["shop-a", "shop-b"]).await;
    let shop = tenant("shop-a");
    let first = stores.clock.now();
    assert_eq!(stores.flags.set_plan(&shop, Plan::Core, first, &[]).await.ok(), Some(Plan::DEFAULT));
    let second = first + Duration::days(3);
    assert_eq!(stores.flags.set_plan(&shop, Plan::Pro, second, &[]).await.ok(), Some(Plan::Core));
    // Two changes at one instant keep the order they were made in.
    assert_eq!(stores.flags.set_plan(&shop, Plan::Enterprise, second, &[]).await.ok(), Some(Plan::Pro));
    assert_eq!(stores.flags.set_plan(&shop, Plan::Pro, second, &[]).await.ok(), Some(Plan::Enterprise));
    // An earlier `at` (a backdated change) is still ordered by time.
    let backdated = first - Duration::days(1);
    assert_eq!(stores.flags.set_plan(&shop, Plan::Starter, backdated, &[]).await.ok(), Some(Plan::Pro));

    assert_eq!(settings(&stores, "shop-a").await.plan, Plan::Starter, "the latest call wins, whatever its `at`");
    let history = stores.billing.plan_changes(&shop).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        history,
        [
            PlanChange { plan: Plan::Starter, at: backdated },
            PlanChange { plan: Plan::Core, at: first },
            PlanChange { plan: Plan::Pro, at: second },
            PlanChange { plan: Plan::Enterprise, at: second },
            PlanChange { plan: Plan::Pro, at: second },
        ]
    );
    assert_eq!(settings(&stores, "shop-b").await, TenantFlagSettings::on_plan(Plan::DEFAULT));
    assert!(matches!(stores.billing.plan_changes(&tenant("shop-b")).await, Ok(h) if h.is_empty()));
}

pub async fn overrides_are_set_replaced_and_removed(stores: Stores) {
    with_tenants(&stores, &["shop-a", "shop-b"]).await;
    assert_eq!(set_override(&stores, "shop-a", Flag::EnableRag, Some(true)).await, None);
    assert_eq!(set_override(&stores, "shop-a", Flag::AllowAiBooking, Some(false)).await, None);
    assert_eq!(set_override(&stores, "shop-a", Flag::EnableRag, Some(false)).await, Some(true), "replaced");
    assert_eq!(set_override(&stores, "shop-a", Flag::EnableRag, Some(false)).await, Some(false), "same value");
    assert!(stores.flags.set_plan(&tenant("shop-a"), Plan::Core, stores.clock.now(), &[]).await.is_ok());
    assert_eq!(
        settings(&stores, "shop-a").await,
        TenantFlagSettings {
            plan: Plan::Core,
            overrides: BTreeMap::from([(Flag::AllowAiBooking, false), (Flag::EnableRag, false)]),
        },
        "a plan change keeps the overrides"
    );

    assert_eq!(set_override(&stores, "shop-a", Flag::EnableRag, None).await, Some(false), "removed");
    assert_eq!(set_override(&stores, "shop-a", Flag::EnableRag, None).await, None, "removing nothing");
    assert_eq!(settings(&stores, "shop-a").await.overrides, BTreeMap::from([(Flag::AllowAiBooking, false)]));
    assert_eq!(settings(&stores, "shop-b").await, TenantFlagSettings::on_plan(Plan::DEFAULT), "B is untouched");

    for flag in Flag::ALL {
        assert_eq!(set_override(&stores, "shop-b", flag, Some(true)).await, None);
    }
    let every = settings(&stores, "shop-b").await.overrides;
    assert_eq!(every, Flag::ALL.into_iter().map(|flag| (flag, true)).collect::<BTreeMap<_, _>>());
}

pub async fn a_plan_change_and_its_jobs_commit_together_or_not_at_all(stores: Stores) {
    with_tenants(&stores, &["shop-a"]).await;
    let shop = tenant("shop-a");
    let now = stores.clock.now();

    let setup = setup_job("shop-a");
    let plan = stores.flags.set_plan(&shop, Plan::Pro, now, std::slice::from_ref(&setup)).await;
    assert_eq!(plan.ok(), Some(Plan::DEFAULT));
    let stored = stores.job_admin.job(setup.id).await.unwrap_or_else(|e| panic!("{e}"));
    let stored = stored.unwrap_or_else(|| panic!("the job committed with the plan change"));
    assert_eq!((stored.kind, stored.tenant, stored.state), (setup.kind.clone(), Some(shop.clone()), JobState::Queued));
    assert_eq!(stores.flags.set_plan(&shop, Plan::Core, now, &[]).await.ok(), Some(Plan::Pro), "no jobs is fine");
    assert_eq!(job_count(&stores).await, 1);

    // A refused change enqueues nothing.
    let ghost = tenant("ghost");
    let refused = stores.flags.set_plan(&ghost, Plan::Pro, now, &[setup_job("ghost")]).await;
    assert!(matches!(&refused, Err(StoreError::NotFound(t)) if *t == ghost), "{refused:?}");
    assert_eq!(job_count(&stores).await, 1, "no job for the unknown tenant");

    // A job that cannot be enqueued (its id is taken) undoes the change.
    let taken = stores.flags.set_plan(&shop, Plan::Enterprise, now + Duration::days(1), &[setup]).await;
    assert!(taken.is_err(), "enqueueing a job under a taken id must fail: {taken:?}");
    assert_eq!(settings(&stores, "shop-a").await.plan, Plan::Core, "the plan is unchanged");
    let history = stores.billing.plan_changes(&shop).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(history.iter().map(|change| change.plan).collect::<Vec<_>>(), [Plan::Pro, Plan::Core]);
    assert_eq!(job_count(&stores).await, 1);
}
