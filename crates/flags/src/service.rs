use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use frontdesk_core::{Plan, StoreError, TenantId};
use frontdesk_jobs::NewJob;

use crate::flag::{EffectiveFlags, Flag};
use crate::ports::{CacheError, FlagCache, FlagStore};

/// Reads a tenant's effective flags through the cache and changes them in the
/// store.
///
/// The cache is an optimisation, never a dependency: when it fails, reads go
/// to the store and writes still succeed, and the failure is logged. Calls
/// keep working through a cache outage.
pub struct FlagService {
    store: Arc<dyn FlagStore>,
    cache: Arc<dyn FlagCache>,
    cache_warnings: WarningLimiter,
}

impl FlagService {
    /// How often, at most, a failing cache on the read path is logged.
    pub const CACHE_WARNING_INTERVAL: Duration = Duration::from_secs(10);

    /// A service reading through `cache` (a `LocalFlagCache` for one
    /// process, a shared cache for several) in front of `store`.
    pub fn new(store: Arc<dyn FlagStore>, cache: Arc<dyn FlagCache>) -> FlagService {
        FlagService { store, cache, cache_warnings: WarningLimiter::new(FlagService::CACHE_WARNING_INTERVAL) }
    }

    /// The tenant's flags: from the cache when it has them, otherwise from the
    /// store (and then cached). `Ok(None)` when the tenant does not exist.
    ///
    /// A failing cache is logged (at most once per `CACHE_WARNING_INTERVAL`,
    /// with the number of failures not logged since) and the store answers
    /// instead; only a store error is an error.
    #[tracing::instrument(skip_all, fields(tenant_id = %tenant))]
    pub async fn effective(&self, tenant: &TenantId) -> Result<Option<EffectiveFlags>, StoreError> {
        let cache_usable = match self.cache.get(tenant).await {
            Ok(Some(settings)) => return Ok(Some(EffectiveFlags::evaluate(&settings))),
            Ok(None) => true,
            Err(error) => {
                self.warn_cache_unavailable(tenant, "read", &error);
                false
            }
        };
        let Some(settings) = self.store.flag_settings(tenant).await? else {
            return Ok(None);
        };
        // After a failed read, a write would most likely fail too and only
        // add latency to the call.
        if cache_usable && let Err(error) = self.cache.put(tenant, &settings).await {
            self.warn_cache_unavailable(tenant, "fill", &error);
        }
        Ok(Some(EffectiveFlags::evaluate(&settings)))
    }

    /// Puts the tenant on `plan` from `at` on, enqueues `jobs` in the same
    /// transaction, and returns the previous plan.
    ///
    /// The change is visible at once in every process sharing the cache. If
    /// the cache cannot be invalidated, the change is still saved and the
    /// failure logged; processes that cached the old settings then keep them
    /// until their entry expires, so the cache's TTL bounds the staleness.
    #[tracing::instrument(skip_all, fields(tenant_id = %tenant, plan = %plan, jobs = jobs.len()))]
    pub async fn set_plan(
        &self,
        tenant: &TenantId,
        plan: Plan,
        at: DateTime<Utc>,
        jobs: &[NewJob],
    ) -> Result<Plan, StoreError> {
        let previous = self.store.set_plan(tenant, plan, at, jobs).await?;
        self.invalidate(tenant).await;
        Ok(previous)
    }

    /// Sets (`Some`) or removes (`None`) the tenant's override of `flag` and
    /// returns the previous override.
    ///
    /// Visibility and cache failures are as for `set_plan`: the TTL bounds
    /// the staleness when the cache cannot be invalidated.
    #[tracing::instrument(skip_all, fields(tenant_id = %tenant, flag = %flag, value = ?value))]
    pub async fn set_flag(
        &self,
        tenant: &TenantId,
        flag: Flag,
        value: Option<bool>,
        at: DateTime<Utc>,
    ) -> Result<Option<bool>, StoreError> {
        let previous = self.store.set_flag_override(tenant, flag, value, at).await?;
        self.invalidate(tenant).await;
        Ok(previous)
    }

    /// Tells every process sharing the cache that `tenant` changed (its
    /// profile, numbers or status, not only its flags): their flag entries,
    /// and whatever follows [`FlagService::invalidations`], are dropped.
    pub async fn tenant_changed(&self, tenant: &TenantId) {
        self.invalidate(tenant).await;
    }

    /// The tenants any process sharing the cache invalidated, when the
    /// cache is shared (see [`FlagCache::invalidations`]).
    pub fn invalidations(&self) -> Option<tokio::sync::broadcast::Receiver<TenantId>> {
        self.cache.invalidations()
    }

    async fn invalidate(&self, tenant: &TenantId) {
        // Not rate limited: operator changes are rare, and each failure here
        // means some process may serve the old flags until the TTL.
        if let Err(error) = self.cache.invalidate(tenant).await {
            tracing::warn!(
                tenant_id = %tenant,
                %error,
                "flag change saved, but the flag cache could not be invalidated; other processes may use the old flags until their cache entry expires"
            );
        }
    }

    fn warn_cache_unavailable(&self, tenant: &TenantId, operation: &'static str, error: &CacheError) {
        if let Some(suppressed) = self.cache_warnings.allow(Instant::now()) {
            tracing::warn!(
                tenant_id = %tenant,
                operation,
                %error,
                suppressed_warnings = suppressed,
                "flag cache unavailable; reading flags from the store"
            );
        }
    }
}

/// Lets one warning through per interval and counts the ones it holds back,
/// so an outage during a call storm logs a line every few seconds instead of
/// one per call.
struct WarningLimiter {
    interval: Duration,
    state: Mutex<LimiterState>,
}

#[derive(Default)]
struct LimiterState {
    last_logged: Option<Instant>,
    suppressed: u64,
}

impl WarningLimiter {
    fn new(interval: Duration) -> WarningLimiter {
        WarningLimiter { interval, state: Mutex::new(LimiterState::default()) }
    }

    /// `Some(number held back since the last one let through)` when a warning
    /// may be logged at `now`, `None` when it must be held back.
    fn allow(&self, now: Instant) -> Option<u64> {
        // The state is two plain numbers; a panic elsewhere cannot corrupt it.
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let due = match state.last_logged {
            None => true,
            Some(last) => now.saturating_duration_since(last) >= self.interval,
        };
        if due {
            state.last_logged = Some(now);
            Some(std::mem::take(&mut state.suppressed))
        } else {
            state.suppressed += 1;
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use async_trait::async_trait;
    use chrono::TimeZone;
    use frontdesk_core::ManualClock;

    use super::*;
    use crate::flag::{FlagSource, TenantFlagSettings};
    use crate::local::LocalFlagCache;
    use crate::memory::MemoryFlagStore;

    /// A cache whose every operation fails, as Redis does during an outage.
    #[derive(Default)]
    struct FailingFlagCache {
        calls: AtomicUsize,
    }

    #[async_trait]
    impl FlagCache for FailingFlagCache {
        async fn get(&self, _tenant: &TenantId) -> Result<Option<TenantFlagSettings>, CacheError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            Err(CacheError("connection refused".to_owned()))
        }

        async fn put(&self, _tenant: &TenantId, _settings: &TenantFlagSettings) -> Result<(), CacheError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            Err(CacheError("connection refused".to_owned()))
        }

        async fn invalidate(&self, _tenant: &TenantId) -> Result<(), CacheError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            Err(CacheError("connection refused".to_owned()))
        }
    }

    fn tenant(raw: &str) -> TenantId {
        TenantId::parse(raw).unwrap_or_else(|error| panic!("{error}"))
    }

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 8, 6, 0, 0).single().unwrap_or_default()
    }

    async fn service_with_local_cache() -> (FlagService, Arc<MemoryFlagStore>, TenantId) {
        let store = Arc::new(MemoryFlagStore::default());
        let fresh_cuts = tenant("fresh-cuts");
        store.add(&fresh_cuts, Plan::Starter).await;
        let cache = Arc::new(LocalFlagCache::new(Arc::new(ManualClock::new(at()))));
        (FlagService::new(store.clone(), cache), store, fresh_cuts)
    }

    async fn effective(service: &FlagService, tenant: &TenantId) -> EffectiveFlags {
        match service.effective(tenant).await {
            Ok(Some(flags)) => flags,
            other => panic!("expected flags for {tenant}, got {other:?}"),
        }
    }

    fn source(flags: &EffectiveFlags, flag: Flag) -> Option<(bool, FlagSource)> {
        flags.values().iter().find(|value| value.flag == flag).map(|value| (value.enabled, value.source))
    }

    #[tokio::test]
    async fn a_miss_reads_the_store_once_and_then_the_cache_answers() {
        let (service, store, fresh_cuts) = service_with_local_cache().await;
        let first = effective(&service, &fresh_cuts).await;
        let second = effective(&service, &fresh_cuts).await;
        assert_eq!(first, second);
        assert_eq!(store.reads(), 1);
    }

    #[tokio::test]
    async fn an_unknown_tenant_has_no_flags_and_is_not_cached() {
        let (service, store, _) = service_with_local_cache().await;
        let nobody = tenant("nobody-here");
        assert!(matches!(service.effective(&nobody).await, Ok(None)));
        assert!(matches!(service.effective(&nobody).await, Ok(None)));
        assert_eq!(store.reads(), 2);
        assert!(matches!(service.set_plan(&nobody, Plan::Pro, at(), &[]).await, Err(StoreError::NotFound(_))));
        assert!(matches!(
            service.set_flag(&nobody, Flag::EnableRag, Some(true), at()).await,
            Err(StoreError::NotFound(_))
        ));
    }

    #[tokio::test]
    async fn default_then_plan_then_override_through_the_service() {
        let (service, _, fresh_cuts) = service_with_local_cache().await;

        let flags = effective(&service, &fresh_cuts).await;
        assert_eq!(source(&flags, Flag::AllowAiBooking), Some((true, FlagSource::Default)));
        assert_eq!(source(&flags, Flag::AfterHoursAnswering), Some((false, FlagSource::Plan(Plan::Starter))));

        assert!(matches!(service.set_plan(&fresh_cuts, Plan::Pro, at(), &[]).await, Ok(Plan::Starter)));
        let flags = effective(&service, &fresh_cuts).await;
        assert_eq!(flags.plan(), Plan::Pro);
        assert_eq!(source(&flags, Flag::AfterHoursAnswering), Some((true, FlagSource::Plan(Plan::Pro))));

        assert!(matches!(service.set_flag(&fresh_cuts, Flag::AfterHoursAnswering, Some(false), at()).await, Ok(None)));
        let flags = effective(&service, &fresh_cuts).await;
        assert_eq!(source(&flags, Flag::AfterHoursAnswering), Some((false, FlagSource::Override)));

        assert!(matches!(service.set_flag(&fresh_cuts, Flag::AllowAiBooking, Some(false), at()).await, Ok(None)));
        let flags = effective(&service, &fresh_cuts).await;
        assert_eq!(source(&flags, Flag::AllowAiBooking), Some((false, FlagSource::Override)));

        // Removing the override falls back to the plan, and returns what it was.
        assert!(matches!(service.set_flag(&fresh_cuts, Flag::AfterHoursAnswering, None, at()).await, Ok(Some(false))));
        let flags = effective(&service, &fresh_cuts).await;
        assert_eq!(source(&flags, Flag::AfterHoursAnswering), Some((true, FlagSource::Plan(Plan::Pro))));
    }

    #[tokio::test]
    async fn a_change_is_visible_at_once_despite_a_cached_entry() {
        let (service, store, fresh_cuts) = service_with_local_cache().await;
        assert!(!effective(&service, &fresh_cuts).await.enabled(Flag::EnableRag));
        assert!(!effective(&service, &fresh_cuts).await.enabled(Flag::EnableRag));
        assert_eq!(store.reads(), 1);

        assert!(service.set_flag(&fresh_cuts, Flag::EnableRag, Some(true), at()).await.is_ok());
        assert!(effective(&service, &fresh_cuts).await.enabled(Flag::EnableRag));
        assert_eq!(store.reads(), 2);

        assert!(service.set_plan(&fresh_cuts, Plan::Enterprise, at(), &[]).await.is_ok());
        assert_eq!(effective(&service, &fresh_cuts).await.plan(), Plan::Enterprise);
        assert_eq!(store.reads(), 3);
    }

    #[tokio::test]
    async fn a_failing_cache_falls_back_to_the_store_and_writes_still_succeed() {
        let store = Arc::new(MemoryFlagStore::default());
        let fresh_cuts = tenant("fresh-cuts");
        store.add(&fresh_cuts, Plan::Core).await;
        let cache = Arc::new(FailingFlagCache::default());
        let service = FlagService::new(store.clone(), cache.clone());

        for _ in 0..3 {
            let flags = effective(&service, &fresh_cuts).await;
            assert_eq!(flags.plan(), Plan::Core);
            assert!(flags.enabled(Flag::EnableRag));
        }
        assert_eq!(store.reads(), 3);
        // Only the read is tried: no fill after a failed read.
        assert_eq!(cache.calls.load(Ordering::SeqCst), 3);

        assert!(matches!(service.set_plan(&fresh_cuts, Plan::Pro, at(), &[]).await, Ok(Plan::Core)));
        assert!(matches!(service.set_flag(&fresh_cuts, Flag::EnableRag, Some(false), at()).await, Ok(None)));
        let flags = effective(&service, &fresh_cuts).await;
        assert_eq!(flags.plan(), Plan::Pro);
        assert!(!flags.enabled(Flag::EnableRag));
    }

    #[test]
    fn the_limiter_lets_one_warning_through_per_interval_and_counts_the_rest() {
        let limiter = WarningLimiter::new(Duration::from_secs(10));
        let start = Instant::now();
        let after = |seconds: u64| start + Duration::from_secs(seconds);

        assert_eq!(limiter.allow(start), Some(0));
        assert_eq!(limiter.allow(after(1)), None);
        assert_eq!(limiter.allow(after(9)), None);
        assert_eq!(limiter.allow(start + Duration::from_millis(9_999)), None);
        assert_eq!(limiter.allow(after(10)), Some(3));
        assert_eq!(limiter.allow(after(11)), None);
        assert_eq!(limiter.allow(after(60)), Some(1));
        assert_eq!(limiter.allow(after(70)), Some(0));
    }
}
