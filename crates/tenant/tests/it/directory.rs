//! The call path's tenant directory: the store is read once per number per
//! TTL, a change made here is seen at once, and an outage is not "no tenant".

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use frontdesk_core::{E164, ManualClock, StoreError, TenantId};
use frontdesk_tenant::{
    NumberLookup, ProfileDocument, PurgeOutcome, PutOutcome, PutTenantError, TenantDirectory, TenantKind,
    TenantProfile, TenantRecord, TenantStatus, TenantStore,
};
use mockall::predicate::eq;

use crate::read_fixture;

mockall::mock! {
    pub Tenants {}
    #[async_trait]
    impl TenantStore for Tenants {
        async fn put_tenant(&self, profile: &TenantProfile) -> Result<PutOutcome, PutTenantError>;
        async fn get_tenant(&self, tenant: &TenantId) -> Result<Option<TenantRecord>, StoreError>;
        async fn list_tenants(&self) -> Result<Vec<TenantRecord>, StoreError>;
        async fn set_tenant_status(&self, tenant: &TenantId, status: TenantStatus) -> Result<TenantRecord, StoreError>;
        async fn tenant_by_number(&self, number: &E164) -> Result<Option<TenantRecord>, StoreError>;
        async fn numbers_owned_elsewhere(&self, tenant: &TenantId, numbers: &[E164]) -> Result<Vec<E164>, StoreError>;
        async fn create_sandbox(&self, profile: &TenantProfile) -> Result<(), PutTenantError>;
        async fn purge_sandbox(&self, tenant: &TenantId) -> Result<PurgeOutcome, StoreError>;
    }
}

fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-23T15:00:00Z").map(|t| t.with_timezone(&Utc)).unwrap_or_default()
}

fn barbershop() -> TenantRecord {
    let document = ProfileDocument::from_toml(&read_fixture("fresh-cuts.toml")).unwrap_or_else(|e| panic!("{e}"));
    let profile = TenantProfile::parse(&document).unwrap_or_else(|e| panic!("{e}"));
    TenantRecord {
        profile,
        status: TenantStatus::Active,
        kind: TenantKind::Live,
        created_at: start(),
        updated_at: start(),
    }
}

fn number(raw: &str) -> E164 {
    E164::parse(raw).unwrap_or_else(|e| panic!("{e}"))
}

fn slug(record: &NumberLookup) -> Option<&str> {
    match record {
        NumberLookup::Found(record) => Some(record.profile.slug().as_str()),
        _ => None,
    }
}

#[tokio::test]
async fn a_number_is_read_once_per_ttl_and_at_once_after_a_change_here() {
    let shop = number("+15555550100");
    let mut store = MockTenants::new();
    // First call, the call after the TTL, the call after `forget`: three reads, no more.
    store.expect_tenant_by_number().with(eq(shop.clone())).times(3).returning(|_| Ok(Some(barbershop())));
    let clock = Arc::new(ManualClock::new(start()));
    let directory = TenantDirectory::new(Arc::new(store), clock.clone());
    for _ in 0..50 {
        assert_eq!(slug(&directory.by_number(&shop).await), Some("fresh-cuts"));
    }
    clock.advance(TenantDirectory::DEFAULT_TTL);
    assert_eq!(slug(&directory.by_number(&shop).await), Some("fresh-cuts"), "read again after the TTL");
    assert_eq!(slug(&directory.by_number(&shop).await), Some("fresh-cuts"));
    directory.forget(&TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}")));
    assert_eq!(slug(&directory.by_number(&shop).await), Some("fresh-cuts"), "read again after forget");
}

#[tokio::test]
async fn a_number_nobody_owns_is_remembered_until_any_tenant_changes() {
    let free = number("+15555550999");
    let mut store = MockTenants::new();
    store.expect_tenant_by_number().with(eq(free.clone())).times(2).returning(|_| Ok(None));
    let directory = TenantDirectory::new(Arc::new(store), Arc::new(ManualClock::new(start())));
    assert_eq!(directory.by_number(&free).await, NumberLookup::NotFound);
    assert_eq!(directory.by_number(&free).await, NumberLookup::NotFound);
    // Another tenant may just have taken the number.
    directory.forget(&TenantId::parse("someone-else").unwrap_or_else(|e| panic!("{e}")));
    assert_eq!(directory.by_number(&free).await, NumberLookup::NotFound);
}

#[tokio::test]
async fn an_outage_is_unavailable_with_the_last_known_tenant_never_not_found() {
    let (shop, never_seen) = (number("+15555550100"), number("+15555550200"));
    let mut store = MockTenants::new();
    let mut sequence = mockall::Sequence::new();
    store.expect_tenant_by_number().times(1).in_sequence(&mut sequence).returning(|_| Ok(Some(barbershop())));
    store
        .expect_tenant_by_number()
        .times(2)
        .in_sequence(&mut sequence)
        .returning(|_| Err(StoreError::Unexpected(anyhow::anyhow!("connection refused"))));
    let clock = Arc::new(ManualClock::new(start()));
    let directory = TenantDirectory::new(Arc::new(store), clock.clone());
    assert_eq!(slug(&directory.by_number(&shop).await), Some("fresh-cuts"));
    clock.advance(Duration::minutes(10));
    match directory.by_number(&shop).await {
        NumberLookup::Unavailable { last_known: Some(record), error } => {
            assert_eq!(record.profile.slug().as_str(), "fresh-cuts");
            assert!(error.contains("connection refused"), "{error}");
        }
        other => panic!("expected the last known tenant, got {other:?}"),
    }
    assert!(
        matches!(directory.by_number(&never_seen).await, NumberLookup::Unavailable { last_known: None, .. }),
        "a number never resolved is unknown, not 'not in service'"
    );
}
