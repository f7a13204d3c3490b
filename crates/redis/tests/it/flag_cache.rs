use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use fred::prelude::{Builder, Client, ClientLike, Config, KeysInterface};
use frontdesk_core::{ManualClock, Plan, TenantId};
use frontdesk_flags::{EffectiveFlags, Flag, FlagService, FlagSource};
use frontdesk_redis::{RedisFlagCache, RedisFlagCacheOptions};

use frontdesk_flags::MemoryFlagStore;

/// How long a change may take to reach another process: far below the 30 s
/// TTL, so only the invalidation message can explain seeing it.
const PROPAGATION_LIMIT: Duration = Duration::from_secs(2);

fn redis_url() -> Option<String> {
    match std::env::var("FRONTDESK_TEST_REDIS_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            println!("skipped: FRONTDESK_TEST_REDIS_URL is not set");
            None
        }
    }
}

/// A namespace and a tenant no other test run uses.
fn unique_run() -> (String, TenantId) {
    let suffix = format!("{:016x}", fastrand::u64(..));
    let tenant = TenantId::parse(&format!("shop-{suffix}")).unwrap_or_else(|error| panic!("{error}"));
    (format!("frontdesk-test-{suffix}"), tenant)
}

/// One gateway process: its own Redis connections and service, over the
/// shared store. Its clock never moves, so its entries never expire by TTL.
struct Gateway {
    cache: Arc<RedisFlagCache>,
    service: FlagService,
}

async fn gateway(url: &str, namespace: &str, store: Arc<MemoryFlagStore>) -> Gateway {
    let start = Utc.with_ymd_and_hms(2026, 3, 8, 6, 0, 0).single().unwrap_or_default();
    let options = RedisFlagCacheOptions { namespace: namespace.to_owned(), ..RedisFlagCacheOptions::default() };
    let cache = RedisFlagCache::connect_with(url, Arc::new(ManualClock::new(start)), options)
        .await
        .unwrap_or_else(|error| panic!("connect to {url}: {error}"));
    let cache = Arc::new(cache);
    assert!(cache.is_connected(), "not connected and subscribed to {url} after connect");
    Gateway { service: FlagService::new(store, cache.clone()), cache }
}

/// A plain connection, to look at what the cache keeps in Redis.
async fn raw_client(url: &str) -> Client {
    let config = Config::from_url(url).unwrap_or_else(|error| panic!("{error}"));
    let raw = Builder::from_config(config).build().unwrap_or_else(|error| panic!("{error}"));
    raw.init().await.unwrap_or_else(|error| panic!("{error}"));
    raw
}

async fn flags(gateway: &Gateway, tenant: &TenantId) -> EffectiveFlags {
    match gateway.service.effective(tenant).await {
        Ok(Some(flags)) => flags,
        other => panic!("expected flags for {tenant}, got {other:?}"),
    }
}

fn value(flags: &EffectiveFlags, flag: Flag) -> Option<(bool, FlagSource)> {
    flags.values().iter().find(|value| value.flag == flag).map(|value| (value.enabled, value.source))
}

/// Polls `gateway` until `expected` holds, for at most `PROPAGATION_LIMIT`;
/// returns how long it took.
async fn seen_within_limit(
    gateway: &Gateway,
    tenant: &TenantId,
    expected: impl Fn(&EffectiveFlags) -> bool,
) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < PROPAGATION_LIMIT {
        if expected(&flags(gateway, tenant).await) {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    None
}

#[tokio::test]
async fn a_change_made_in_one_process_reaches_another_well_before_the_ttl() {
    let Some(url) = redis_url() else { return };
    let (namespace, tenant) = unique_run();
    let store = Arc::new(MemoryFlagStore::default());
    store.add(&tenant, Plan::Starter).await;
    let a = gateway(&url, &namespace, store.clone()).await;
    let b = gateway(&url, &namespace, store.clone()).await;

    // B reads once from the store and then from its cache; A finds B's entry
    // in Redis.
    assert!(!flags(&b, &tenant).await.enabled(Flag::EnableRag));
    assert!(!flags(&b, &tenant).await.enabled(Flag::EnableRag));
    assert!(!flags(&a, &tenant).await.enabled(Flag::EnableRag));
    assert_eq!(store.reads(), 1);

    // Prove B answers from its own memory, not Redis: change the shared
    // entry behind its back. Only an invalidation message can now update B.
    let raw = raw_client(&url).await;
    let key = format!("{namespace}:flags:{tenant}");
    let () = raw.set(&key, "v1;plan=enterprise", None, None, false).await.unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(flags(&b, &tenant).await.plan(), Plan::Starter);

    let previous = a.service.set_flag(&tenant, Flag::EnableRag, Some(true), Utc::now()).await;
    assert!(matches!(previous, Ok(None)), "{previous:?}");
    let took = seen_within_limit(&b, &tenant, |flags| flags.enabled(Flag::EnableRag)).await;
    assert!(took.is_some(), "B still serves the old flags {PROPAGATION_LIMIT:?} after A's change");
    println!("B saw A's change after {took:?}");
    assert_eq!(flags(&b, &tenant).await.plan(), Plan::Starter);

    let _ = raw.quit().await;
    a.cache.quit().await;
    b.cache.quit().await;
}

#[tokio::test]
async fn default_then_plan_then_override_across_processes() {
    let Some(url) = redis_url() else { return };
    let (namespace, tenant) = unique_run();
    let store = Arc::new(MemoryFlagStore::default());
    store.add(&tenant, Plan::Starter).await;
    let a = gateway(&url, &namespace, store.clone()).await;
    let b = gateway(&url, &namespace, store.clone()).await;

    let flags_b = flags(&b, &tenant).await;
    assert_eq!(value(&flags_b, Flag::AllowAiBooking), Some((true, FlagSource::Default)));
    assert_eq!(value(&flags_b, Flag::AfterHoursAnswering), Some((false, FlagSource::Plan(Plan::Starter))));

    assert!(matches!(a.service.set_plan(&tenant, Plan::Pro, Utc::now(), &[]).await, Ok(Plan::Starter)));
    let on_pro = |flags: &EffectiveFlags| {
        value(flags, Flag::AfterHoursAnswering) == Some((true, FlagSource::Plan(Plan::Pro)))
            && value(flags, Flag::AllowAiBooking) == Some((true, FlagSource::Default))
    };
    assert!(seen_within_limit(&b, &tenant, on_pro).await.is_some(), "B never saw the Pro plan");

    let previous = a.service.set_flag(&tenant, Flag::AfterHoursAnswering, Some(false), Utc::now()).await;
    assert!(matches!(previous, Ok(None)), "{previous:?}");
    let overridden = |flags: &EffectiveFlags| {
        value(flags, Flag::AfterHoursAnswering) == Some((false, FlagSource::Override)) && flags.plan() == Plan::Pro
    };
    assert!(seen_within_limit(&b, &tenant, overridden).await.is_some(), "B never saw the override");

    let previous = a.service.set_flag(&tenant, Flag::AfterHoursAnswering, None, Utc::now()).await;
    assert!(matches!(previous, Ok(Some(false))), "{previous:?}");
    assert!(seen_within_limit(&b, &tenant, on_pro).await.is_some(), "B never saw the override removed");

    a.cache.quit().await;
    b.cache.quit().await;
}

#[tokio::test]
async fn entries_are_kept_in_redis_as_versioned_text_with_the_ttl() {
    let Some(url) = redis_url() else { return };
    let (namespace, tenant) = unique_run();
    let store = Arc::new(MemoryFlagStore::default());
    store.add(&tenant, Plan::Core).await;
    let a = gateway(&url, &namespace, store.clone()).await;
    assert!(a.service.set_flag(&tenant, Flag::EnableSms, Some(false), Utc::now()).await.is_ok());
    assert_eq!(flags(&a, &tenant).await.plan(), Plan::Core);

    let raw = raw_client(&url).await;
    let key = format!("{namespace}:flags:{tenant}");
    let text: Option<String> = raw.get(&key).await.unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(text.as_deref(), Some("v1;plan=core;enable_sms=0"));
    let ttl: i64 = raw.ttl(&key).await.unwrap_or_else(|error| panic!("{error}"));
    assert!((1..=30).contains(&ttl), "TTL of {key} is {ttl}");

    assert!(a.service.set_plan(&tenant, Plan::Pro, Utc::now(), &[]).await.is_ok());
    let text: Option<String> = raw.get(&key).await.unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(text, None, "the change must delete the shared entry");

    let _ = raw.quit().await;
    a.cache.quit().await;
}

/// Needs no Redis: nothing listens on port 1.
#[tokio::test]
async fn a_cache_whose_redis_is_down_still_serves_flags_from_the_store_quickly() {
    let (_, tenant) = unique_run();
    let store = Arc::new(MemoryFlagStore::default());
    store.add(&tenant, Plan::Core).await;
    let started = Instant::now();

    let cache = RedisFlagCache::connect("redis://127.0.0.1:1", Arc::new(ManualClock::new(Utc::now())))
        .await
        .unwrap_or_else(|error| panic!("an unreachable Redis must not be a startup error: {error}"));
    let cache = Arc::new(cache);
    assert!(!cache.is_connected());
    let service = FlagService::new(store.clone(), cache.clone());
    let down = Gateway { cache, service };

    for _ in 0..5 {
        let flags = flags(&down, &tenant).await;
        assert_eq!(flags.plan(), Plan::Core);
        assert!(flags.enabled(Flag::EnableRag));
    }
    assert!(matches!(down.service.set_flag(&tenant, Flag::EnableRag, Some(false), Utc::now()).await, Ok(None)));
    assert!(!flags(&down, &tenant).await.enabled(Flag::EnableRag));
    assert_eq!(store.reads(), 6);

    let took = started.elapsed();
    println!("connect, 6 reads and a write with Redis down took {took:?}");
    assert!(took < Duration::from_secs(2), "took {took:?}");
    down.cache.quit().await;
}
