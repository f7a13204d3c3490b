//! Which shop a called number belongs to, on the call path.
//!
//! A store that cannot answer is not the same as a number nobody owns: the
//! first must never tell a caller "this number is not in service". The
//! directory remembers the last tenant each number resolved to, so that while
//! the store is down a call can still be handed to the right shop's owner.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use frontdesk_core::E164;

use crate::store::{TenantRecord, TenantStore};

/// Numbers remembered at most; past it the memory starts over (it is only a
/// fallback for outages, not a cache the call path relies on).
const REMEMBERED_NUMBERS: usize = 10_000;

/// What a called number resolves to.
#[derive(Debug, Clone, PartialEq)]
pub enum NumberLookup {
    /// The tenant that owns the number (active or not: callers decide).
    Found(TenantRecord),
    /// No tenant owns the number.
    NotFound,
    /// The store could not answer; the tenant this number last resolved to
    /// in this process, if any.
    Unavailable { last_known: Option<TenantRecord>, error: String },
}

pub struct TenantDirectory {
    store: Arc<dyn TenantStore>,
    last_known: Mutex<HashMap<E164, TenantRecord>>,
}

impl TenantDirectory {
    pub fn new(store: Arc<dyn TenantStore>) -> TenantDirectory {
        TenantDirectory { store, last_known: Mutex::default() }
    }

    /// The tenant owning `number`.
    pub async fn by_number(&self, number: &E164) -> NumberLookup {
        match self.store.tenant_by_number(number).await {
            Ok(Some(record)) => {
                let mut remembered = self.last_known.lock().unwrap_or_else(|p| p.into_inner());
                if remembered.len() >= REMEMBERED_NUMBERS && !remembered.contains_key(number) {
                    remembered.clear();
                }
                remembered.insert(number.clone(), record.clone());
                NumberLookup::Found(record)
            }
            Ok(None) => {
                self.last_known.lock().unwrap_or_else(|p| p.into_inner()).remove(number);
                NumberLookup::NotFound
            }
            Err(error) => {
                let last_known = self.last_known.lock().unwrap_or_else(|p| p.into_inner()).get(number).cloned();
                NumberLookup::Unavailable { last_known, error: error.to_string() }
            }
        }
    }
}
