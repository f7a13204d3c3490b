//! The `TenantStore` contract.

use std::collections::BTreeSet;

use chrono::Duration;
use frontdesk_core::{Clock, E164, StoreError, TenantId};
use frontdesk_tenant::{PutOutcome, PutTenantError, TenantRecord, TenantStatus, TenantSummary};

use crate::{Stores, profile, profile_named};

fn id(slug: &str) -> TenantId {
    TenantId::parse(slug).unwrap_or_else(|e| panic!("{e}"))
}

fn number(raw: &str) -> E164 {
    E164::parse(raw).unwrap_or_else(|e| panic!("{e}"))
}

async fn must_get(stores: &Stores, slug: &str) -> TenantRecord {
    match stores.tenants.get_tenant(&id(slug)).await {
        Ok(Some(record)) => record,
        other => panic!("expected tenant {slug}, got {other:?}"),
    }
}

async fn must_put(stores: &Stores, profile: &frontdesk_tenant::TenantProfile) -> PutOutcome {
    match stores.tenants.put_tenant(profile).await {
        Ok(outcome) => outcome,
        Err(error) => panic!("put {} failed: {error}", profile.slug()),
    }
}

async fn owner_of(stores: &Stores, raw: &str) -> Option<String> {
    match stores.tenants.tenant_by_number(&number(raw)).await {
        Ok(record) => record.map(|r| r.profile.slug().to_string()),
        Err(error) => panic!("tenant_by_number({raw}): {error}"),
    }
}

pub async fn put_creates_and_get_returns_the_same_profile(stores: Stores) {
    let shop = profile("fresh-cuts", &["+15555550100", "+15555550101"]);
    assert_eq!(must_put(&stores, &shop).await, PutOutcome::Created);

    let record = must_get(&stores, "fresh-cuts").await;
    assert_eq!(record.profile, shop);
    assert_eq!(record.status, TenantStatus::Active);
    assert_eq!(record.created_at, stores.clock.now());
    assert_eq!(record.updated_at, stores.clock.now());
}

pub async fn put_again_replaces_and_keeps_created_at(stores: Stores) {
    let created_at = stores.clock.now();
    must_put(&stores, &profile("fresh-cuts", &["+15555550100", "+15555550101"])).await;
    stores.clock.advance(Duration::minutes(5));

    let renamed = profile_named("fresh-cuts", "Fresh Cuts Uptown", &["+15555550101", "+15555550102"]);
    assert_eq!(must_put(&stores, &renamed).await, PutOutcome::Replaced);

    let record = must_get(&stores, "fresh-cuts").await;
    assert_eq!(record.profile.name(), "Fresh Cuts Uptown");
    assert_eq!(record.created_at, created_at);
    assert_eq!(record.updated_at, stores.clock.now());
    assert_eq!(owner_of(&stores, "+15555550100").await, None, "a dropped number is released");
    assert_eq!(owner_of(&stores, "+15555550101").await.as_deref(), Some("fresh-cuts"));
    assert_eq!(owner_of(&stores, "+15555550102").await.as_deref(), Some("fresh-cuts"));
}

pub async fn unknown_tenants_are_absent(stores: Stores) {
    assert!(matches!(stores.tenants.get_tenant(&id("nobody")).await, Ok(None)));
    assert!(matches!(
        stores.tenants.set_tenant_status(&id("nobody"), TenantStatus::Disabled).await,
        Err(StoreError::NotFound(slug)) if slug.as_str() == "nobody"
    ));
    assert_eq!(owner_of(&stores, "+15555550100").await, None);
    assert!(matches!(stores.tenants.list_tenants().await, Ok(list) if list.is_empty()));
}

pub async fn list_is_ordered_and_includes_disabled_tenants(stores: Stores) {
    let numbers: [(&str, &[&str]); 3] =
        [("zeta-cuts", &["+15555550141", "+15555550142"]), ("alpha-dental", &[]), ("mid-salon", &["+15555550143"])];
    for (slug, numbers) in numbers {
        must_put(&stores, &profile_named(slug, &format!("  {slug} shop "), numbers)).await;
    }
    if let Err(error) = stores.tenants.set_tenant_status(&id("mid-salon"), TenantStatus::Disabled).await {
        panic!("{error}");
    }
    let records = match stores.tenants.list_tenants().await {
        Ok(records) => records,
        Err(error) => panic!("{error}"),
    };
    let listed: Vec<(String, TenantStatus)> =
        records.iter().map(|r| (r.profile.slug().to_string(), r.status)).collect();
    assert_eq!(
        listed,
        [
            ("alpha-dental".to_owned(), TenantStatus::Active),
            ("mid-salon".to_owned(), TenantStatus::Disabled),
            ("zeta-cuts".to_owned(), TenantStatus::Active),
        ]
    );
    // The summaries are the same tenants, in the same order, saying what
    // their records say.
    let summaries = match stores.tenants.tenant_summaries().await {
        Ok(summaries) => summaries,
        Err(error) => panic!("{error}"),
    };
    let expected: Vec<TenantSummary> = records.iter().map(TenantSummary::from).collect();
    assert_eq!(summaries, expected);
    assert_eq!(summaries.iter().map(|s| s.phone_numbers).collect::<Vec<_>>(), [0, 1, 2]);
    assert_eq!(summaries[0].name, "alpha-dental shop");
}

pub async fn disabling_keeps_the_data_and_enabling_restores_it(stores: Stores) {
    let shop = profile("fresh-cuts", &["+15555550100"]);
    must_put(&stores, &shop).await;
    stores.clock.advance(Duration::hours(1));

    let disabled = stores.tenants.set_tenant_status(&id("fresh-cuts"), TenantStatus::Disabled).await;
    assert!(matches!(&disabled, Ok(r) if r.status == TenantStatus::Disabled && r.profile == shop), "{disabled:?}");
    let record = must_get(&stores, "fresh-cuts").await;
    assert_eq!(record.status, TenantStatus::Disabled);
    assert_eq!(record.updated_at, stores.clock.now());
    assert_eq!(record.profile, shop, "disabling keeps the profile");
    assert_eq!(owner_of(&stores, "+15555550100").await.as_deref(), Some("fresh-cuts"), "and the numbers");

    // Replacing the profile of a disabled tenant does not re-enable it.
    must_put(&stores, &profile_named("fresh-cuts", "Renamed", &["+15555550100"])).await;
    assert_eq!(must_get(&stores, "fresh-cuts").await.status, TenantStatus::Disabled);

    let enabled = stores.tenants.set_tenant_status(&id("fresh-cuts"), TenantStatus::Active).await;
    assert!(matches!(enabled, Ok(r) if r.status == TenantStatus::Active));
}

pub async fn numbers_find_their_owner(stores: Stores) {
    must_put(&stores, &profile("fresh-cuts", &["+15555550100"])).await;
    must_put(&stores, &profile("bright-smile", &["+15555550200", "+15555550201"])).await;
    assert_eq!(owner_of(&stores, "+15555550100").await.as_deref(), Some("fresh-cuts"));
    assert_eq!(owner_of(&stores, "+15555550201").await.as_deref(), Some("bright-smile"));
    assert_eq!(owner_of(&stores, "+15555550999").await, None);

    let elsewhere = stores
        .tenants
        .numbers_owned_elsewhere(
            &id("fresh-cuts"),
            &[number("+15555550100"), number("+15555550200"), number("+15555550999")],
        )
        .await;
    assert!(matches!(&elsewhere, Ok(n) if *n == [number("+15555550200")]), "{elsewhere:?}");
}

pub async fn a_number_owned_by_another_tenant_is_refused_and_nothing_changes(stores: Stores) {
    must_put(&stores, &profile("fresh-cuts", &["+15555550100"])).await;
    let before_b = profile("bright-smile", &["+15555550200"]);
    must_put(&stores, &before_b).await;

    // A new tenant claiming a taken number is not created at all.
    let thief = profile("new-shop", &["+15555550300", "+15555550100"]);
    let refused = stores.tenants.put_tenant(&thief).await;
    assert!(
        matches!(&refused, Err(PutTenantError::PhoneNumbersTaken(n)) if *n == [number("+15555550100")]),
        "{refused:?}"
    );
    assert!(matches!(stores.tenants.get_tenant(&id("new-shop")).await, Ok(None)));
    assert_eq!(owner_of(&stores, "+15555550300").await, None, "no number of a refused put is claimed");

    // An existing tenant's refused replacement leaves its old profile and numbers.
    let grabby = profile_named("bright-smile", "Grabby", &["+15555550201", "+15555550100"]);
    let refused = stores.tenants.put_tenant(&grabby).await;
    assert!(matches!(refused, Err(PutTenantError::PhoneNumbersTaken(_))));
    assert_eq!(must_get(&stores, "bright-smile").await.profile, before_b);
    assert_eq!(owner_of(&stores, "+15555550200").await.as_deref(), Some("bright-smile"));
    assert_eq!(owner_of(&stores, "+15555550201").await, None);
    assert_eq!(owner_of(&stores, "+15555550100").await.as_deref(), Some("fresh-cuts"));
}

pub async fn concurrent_claims_on_one_number_let_exactly_one_win(stores: Stores) {
    let contenders = 8;
    let mut tasks = Vec::new();
    for index in 0..contenders {
        let tenants = stores.tenants.clone();
        tasks.push(tokio::spawn(async move {
            let shop = profile(&format!("racer-{index}"), &["+15555550777", &format!("+1555555080{index}")]);
            tenants.put_tenant(&shop).await
        }));
    }
    let mut winners = 0;
    for task in tasks {
        match task.await {
            Ok(Ok(_)) => winners += 1,
            Ok(Err(PutTenantError::PhoneNumbersTaken(taken))) => assert_eq!(taken, [number("+15555550777")]),
            Ok(Err(other)) => panic!("unexpected error: {other}"),
            Err(join) => panic!("task panicked: {join}"),
        }
    }
    assert_eq!(winners, 1, "exactly one tenant may own +15555550777");
    let listed = stores.tenants.list_tenants().await.map(|l| l.len());
    assert!(matches!(listed, Ok(1)), "losers left no tenant behind: {listed:?}");
}

pub async fn concurrent_puts_of_one_new_tenant_both_succeed(stores: Stores) {
    let first = stores.tenants.clone();
    let second = stores.tenants.clone();
    let a = tokio::spawn(async move { first.put_tenant(&profile("fresh-cuts", &["+15555550100"])).await });
    let b = tokio::spawn(async move { second.put_tenant(&profile("fresh-cuts", &["+15555550100"])).await });
    let outcomes: BTreeSet<String> = [a.await, b.await]
        .into_iter()
        .map(|r| match r {
            Ok(Ok(outcome)) => format!("{outcome:?}"),
            other => panic!("both puts of one tenant must succeed: {other:?}"),
        })
        .collect();
    assert_eq!(outcomes, BTreeSet::from(["Created".to_owned(), "Replaced".to_owned()]));
    assert_eq!(owner_of(&stores, "+15555550100").await.as_deref(), Some("fresh-cuts"));
}

/// Tenant A cannot read or overwrite tenant B's rows through any method.
pub async fn no_port_method_reaches_another_tenants_rows(stores: Stores) {
    let a = profile("tenant-a", &["+15555550100"]);
    let b = profile("tenant-b", &["+15555550200"]);
    must_put(&stores, &a).await;
    must_put(&stores, &b).await;

    // get: each id yields only its own profile.
    assert_eq!(must_get(&stores, "tenant-a").await.profile, a);
    assert_eq!(must_get(&stores, "tenant-b").await.profile, b);

    // put: replacing A (even with every number dropped) leaves B untouched.
    must_put(&stores, &profile_named("tenant-a", "A again", &[])).await;
    assert_eq!(must_get(&stores, "tenant-b").await.profile, b);
    assert_eq!(owner_of(&stores, "+15555550200").await.as_deref(), Some("tenant-b"));

    // put: A cannot take B's number over.
    let takeover = stores.tenants.put_tenant(&profile("tenant-a", &["+15555550200"])).await;
    assert!(matches!(takeover, Err(PutTenantError::PhoneNumbersTaken(_))));
    assert_eq!(owner_of(&stores, "+15555550200").await.as_deref(), Some("tenant-b"));

    // set_tenant_status: disabling A leaves B active.
    assert!(stores.tenants.set_tenant_status(&id("tenant-a"), TenantStatus::Disabled).await.is_ok());
    assert_eq!(must_get(&stores, "tenant-b").await.status, TenantStatus::Active);

    // numbers_owned_elsewhere: from A's point of view B's number is foreign,
    // from B's it is its own.
    let from_a = stores.tenants.numbers_owned_elsewhere(&id("tenant-a"), &[number("+15555550200")]).await;
    let from_b = stores.tenants.numbers_owned_elsewhere(&id("tenant-b"), &[number("+15555550200")]).await;
    assert!(matches!(&from_a, Ok(n) if n.len() == 1), "{from_a:?}");
    assert!(matches!(&from_b, Ok(n) if n.is_empty()), "{from_b:?}");
}

pub async fn readiness_reports_ready_after_migrations(stores: Stores) {
    assert_eq!(stores.readiness.component(), "database");
    let ready = stores.readiness.check_ready().await;
    assert!(ready.is_ok(), "{ready:?}");
}
