//! The `FlagStore` contract (and the plan history it writes, read through
//! `BillingStore::plan_changes`).

use std::collections::BTreeMap;

use chrono::Duration;
use frontdesk_billing::PlanChange;
use frontdesk_core::{Clock, Plan, TenantId};
use frontdesk_flags::{Flag, TenantFlagSettings};
use frontdesk_tenant::StoreError;

use crate::{Stores, profile};

fn tenant(slug: &str) -> TenantId {
    TenantId::parse(slug).unwrap_or_else(|e| panic!("{e}"))
}

async fn with_tenants(stores: &Stores, slugs: &[&str]) {
    for slug in slugs {
        stores.tenants.put_tenant(&profile(slug, &[])).await.unwrap_or_else(|e| panic!("{e}"));
    }
}

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
    let plan = stores.flags.set_plan(&ghost, Plan::Pro, now).await;
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
    assert_eq!(stores.flags.set_plan(&shop, Plan::Core, first).await.ok(), Some(Plan::DEFAULT));
    let second = first + Duration::days(3);
    assert_eq!(stores.flags.set_plan(&shop, Plan::Pro, second).await.ok(), Some(Plan::Core));
    // Two changes at one instant keep the order they were made in.
    assert_eq!(stores.flags.set_plan(&shop, Plan::Enterprise, second).await.ok(), Some(Plan::Pro));
    assert_eq!(stores.flags.set_plan(&shop, Plan::Pro, second).await.ok(), Some(Plan::Enterprise));
    // An earlier `at` (a backdated change) is still ordered by time.
    let backdated = first - Duration::days(1);
    assert_eq!(stores.flags.set_plan(&shop, Plan::Starter, backdated).await.ok(), Some(Plan::Pro));

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
    assert!(stores.flags.set_plan(&tenant("shop-a"), Plan::Core, stores.clock.now()).await.is_ok());
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
