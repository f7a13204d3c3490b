//! Redis adapters. Today one: `RedisFlagCache`, the `FlagCache` shared by
//! every gateway process, with an in-process first level and invalidation
//! over pub/sub.
//!
//! This crate is the only place that knows fred: no fred type appears in its
//! public API. Redis is a cache here, never a source of truth, so every
//! operation fails fast when Redis is away and the caller falls back to the
//! store.

mod flag_cache;

pub use flag_cache::{ConnectError, RedisFlagCache, RedisFlagCacheOptions};
