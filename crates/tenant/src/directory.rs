//! Which shop a called number belongs to, on the call path.
//!
//! Every webhook names the number that was called, so this lookup runs on
//! every turn: the directory answers it from memory, reading the store at
//! most once per number every [`TenantDirectory::DEFAULT_TTL`], and forgets a
//! tenant at once when this process changes it ([`TenantDirectory::forget`]).
//!
//! A store that cannot answer is not the same as a number nobody owns: the
//! first must never tell a caller "this number is not in service". When the
//! store fails, the directory still knows the tenant the number last
//! resolved to, so the call can be handed to the right shop's owner.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use frontdesk_core::{Clock, E164, TenantId};

use crate::store::{TenantRecord, TenantStore};

/// Numbers remembered at most; past it the memory starts over.
const REMEMBERED_NUMBERS: usize = 10_000;

/// What a called number resolves to.
#[derive(Debug, Clone, PartialEq)]
pub enum NumberLookup {
    /// The tenant that owns the number (active or not: callers decide).
    Found(Arc<TenantRecord>),
    /// No tenant owns the number.
    NotFound,
    /// The store could not answer; the tenant this number last resolved to
    /// in this process, if any.
    Unavailable { last_known: Option<Arc<TenantRecord>>, error: String },
}

struct Entry {
    /// `None`: nobody owns the number.
    record: Option<Arc<TenantRecord>>,
    fetched_at: DateTime<Utc>,
}

pub struct TenantDirectory {
    store: Arc<dyn TenantStore>,
    clock: Arc<dyn Clock>,
    ttl: Duration,
    entries: Mutex<HashMap<E164, Entry>>,
}

impl TenantDirectory {
    /// How long an answer is reused: a change made by another process is
    /// seen within this time (this process's own changes at once).
    pub const DEFAULT_TTL: Duration = Duration::seconds(5);

    pub fn new(store: Arc<dyn TenantStore>, clock: Arc<dyn Clock>) -> TenantDirectory {
        TenantDirectory::with_ttl(store, clock, TenantDirectory::DEFAULT_TTL)
    }

    pub fn with_ttl(store: Arc<dyn TenantStore>, clock: Arc<dyn Clock>, ttl: Duration) -> TenantDirectory {
        TenantDirectory { store, clock, ttl, entries: Mutex::default() }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<E164, Entry>> {
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The tenant owning `number`.
    pub async fn by_number(&self, number: &E164) -> NumberLookup {
        let now = self.clock.now();
        if let Some(entry) = self.entries().get(number)
            && now - entry.fetched_at < self.ttl
        {
            return match &entry.record {
                Some(record) => NumberLookup::Found(record.clone()),
                None => NumberLookup::NotFound,
            };
        }
        match self.store.tenant_by_number(number).await {
            Ok(found) => {
                let record = found.map(Arc::new);
                let mut entries = self.entries();
                if entries.len() >= REMEMBERED_NUMBERS && !entries.contains_key(number) {
                    entries.clear();
                }
                entries.insert(number.clone(), Entry { record: record.clone(), fetched_at: now });
                match record {
                    Some(record) => NumberLookup::Found(record),
                    None => NumberLookup::NotFound,
                }
            }
            Err(error) => {
                let last_known = self.entries().get(number).and_then(|entry| entry.record.clone());
                NumberLookup::Unavailable { last_known, error: error.to_string() }
            }
        }
    }

    /// Forgets every number: the next call of each reads the store (for a
    /// follower that missed changes).
    pub fn forget_all(&self) {
        self.entries().clear();
    }

    /// Forgets what is known of `tenant`'s numbers, and every "nobody owns
    /// it" (the tenant may have taken one of those numbers): the next call
    /// reads the store. Call it after any change to a tenant.
    pub fn forget(&self, tenant: &TenantId) {
        self.entries().retain(|_, entry| entry.record.as_ref().is_some_and(|record| record.profile.slug() != tenant));
    }
}
