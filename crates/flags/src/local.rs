use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use frontdesk_core::{Clock, TenantId};

use crate::flag::TenantFlagSettings;
use crate::ports::{CacheError, FlagCache};

/// The in-process `FlagCache`: a map with a time to live.
///
/// On its own it suits a single process: `invalidate` reaches only this
/// process, so with several processes another one sees a change only when its
/// entry expires. A shared-cache adapter uses it as its first level and calls
/// `evict`/`clear` when told another process changed something.
///
/// Expired entries are dropped when read, not swept: there is one entry per
/// tenant that took a call, so the map stays small.
pub struct LocalFlagCache {
    clock: Arc<dyn Clock>,
    ttl: TimeDelta,
    entries: Mutex<HashMap<TenantId, Entry>>,
}

struct Entry {
    settings: TenantFlagSettings,
    stored_at: DateTime<Utc>,
}

impl LocalFlagCache {
    /// How long an entry is served before the store is asked again, when
    /// nothing invalidates it sooner.
    pub const DEFAULT_TTL: Duration = Duration::from_secs(30);

    /// A cache whose entries live `DEFAULT_TTL`, timed by `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> LocalFlagCache {
        LocalFlagCache::with_ttl(clock, LocalFlagCache::DEFAULT_TTL)
    }

    /// A cache whose entries live `ttl`: an entry stored at `t` is served
    /// until just before `t + ttl` and is gone at `t + ttl`.
    pub fn with_ttl(clock: Arc<dyn Clock>, ttl: Duration) -> LocalFlagCache {
        let ttl = TimeDelta::from_std(ttl).unwrap_or(TimeDelta::MAX);
        LocalFlagCache { clock, ttl, entries: Mutex::new(HashMap::new()) }
    }

    /// The tenant's settings, unless absent or expired.
    pub fn lookup(&self, tenant: &TenantId) -> Option<TenantFlagSettings> {
        let now = self.clock.now();
        let mut entries = self.lock();
        let entry = entries.get(tenant)?;
        let age = now.signed_duration_since(entry.stored_at);
        // A clock stepped backwards must not keep an entry alive for longer.
        if age >= self.ttl || age < TimeDelta::zero() {
            entries.remove(tenant);
            return None;
        }
        Some(entry.settings.clone())
    }

    /// Keeps `settings` for the tenant from now on, replacing what was there.
    pub fn store(&self, tenant: &TenantId, settings: &TenantFlagSettings) {
        let entry = Entry { settings: settings.clone(), stored_at: self.clock.now() };
        self.lock().insert(tenant.clone(), entry);
    }

    /// Forgets the tenant's entry in this process only.
    pub fn evict(&self, tenant: &TenantId) {
        self.lock().remove(tenant);
    }

    /// Forgets every entry in this process: for when invalidations from other
    /// processes may have been missed (a lost connection).
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<TenantId, Entry>> {
        // A panic while holding the lock cannot leave a half-written entry
        // (every change is one insert or remove), so the map is still sound.
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl FlagCache for LocalFlagCache {
    async fn get(&self, tenant: &TenantId) -> Result<Option<TenantFlagSettings>, CacheError> {
        Ok(self.lookup(tenant))
    }

    async fn put(&self, tenant: &TenantId, settings: &TenantFlagSettings) -> Result<(), CacheError> {
        self.store(tenant, settings);
        Ok(())
    }

    /// Evicts the entry here; other processes are not told (see the type's
    /// documentation).
    async fn invalidate(&self, tenant: &TenantId) -> Result<(), CacheError> {
        self.evict(tenant);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use frontdesk_core::{ManualClock, Plan};

    fn tenant(raw: &str) -> TenantId {
        TenantId::parse(raw).unwrap_or_else(|error| panic!("{error}"))
    }

    fn clock() -> Arc<ManualClock> {
        let start = Utc.with_ymd_and_hms(2026, 3, 8, 6, 0, 0).single().unwrap_or_default();
        Arc::new(ManualClock::new(start))
    }

    #[tokio::test]
    async fn an_entry_is_served_until_its_ttl_and_gone_at_exactly_the_ttl() {
        let clock = clock();
        let cache = LocalFlagCache::new(clock.clone());
        let fresh_cuts = tenant("fresh-cuts");
        let settings = TenantFlagSettings::on_plan(Plan::Pro);

        assert_eq!(cache.get(&fresh_cuts).await.ok(), Some(None));
        cache.put(&fresh_cuts, &settings).await.ok();
        assert_eq!(cache.get(&fresh_cuts).await.ok(), Some(Some(settings.clone())));

        clock.advance(TimeDelta::seconds(30) - TimeDelta::milliseconds(1));
        assert_eq!(cache.get(&fresh_cuts).await.ok(), Some(Some(settings.clone())));

        clock.advance(TimeDelta::milliseconds(1));
        assert_eq!(cache.get(&fresh_cuts).await.ok(), Some(None));

        // A clock stepped backwards expires the entry rather than extending it.
        cache.put(&fresh_cuts, &settings).await.ok();
        clock.advance(TimeDelta::seconds(-1));
        assert_eq!(cache.get(&fresh_cuts).await.ok(), Some(None));
        clock.advance(TimeDelta::seconds(1));

        // Storing again restarts the clock for that entry.
        cache.put(&fresh_cuts, &settings).await.ok();
        clock.advance(TimeDelta::seconds(29));
        assert_eq!(cache.get(&fresh_cuts).await.ok(), Some(Some(settings)));
    }

    #[tokio::test]
    async fn a_custom_ttl_is_honoured() {
        let clock = clock();
        let cache = LocalFlagCache::with_ttl(clock.clone(), Duration::from_secs(5));
        let fresh_cuts = tenant("fresh-cuts");
        cache.store(&fresh_cuts, &TenantFlagSettings::on_plan(Plan::Core));
        clock.advance(TimeDelta::seconds(4));
        assert!(cache.lookup(&fresh_cuts).is_some());
        clock.advance(TimeDelta::seconds(1));
        assert!(cache.lookup(&fresh_cuts).is_none());
    }

    #[tokio::test]
    async fn invalidate_and_evict_forget_only_that_tenant() {
        let cache = LocalFlagCache::new(clock());
        let fresh_cuts = tenant("fresh-cuts");
        let bright_smile = tenant("bright-smile");
        let settings = TenantFlagSettings::on_plan(Plan::Starter);
        cache.store(&fresh_cuts, &settings);
        cache.store(&bright_smile, &settings);

        cache.invalidate(&fresh_cuts).await.ok();
        assert_eq!(cache.lookup(&fresh_cuts), None);
        assert_eq!(cache.lookup(&bright_smile), Some(settings.clone()));

        cache.evict(&bright_smile);
        assert_eq!(cache.lookup(&bright_smile), None);

        // Forgetting what is not there is not an error.
        assert!(cache.invalidate(&fresh_cuts).await.is_ok());
    }

    #[test]
    fn clear_forgets_everything() {
        let cache = LocalFlagCache::new(clock());
        let settings = TenantFlagSettings::on_plan(Plan::Starter);
        cache.store(&tenant("fresh-cuts"), &settings);
        cache.store(&tenant("bright-smile"), &settings);
        cache.clear();
        assert_eq!(cache.lookup(&tenant("fresh-cuts")), None);
        assert_eq!(cache.lookup(&tenant("bright-smile")), None);
    }
}
