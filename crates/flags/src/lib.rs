//! Feature flags. A tenant's effective flags are the built-in defaults, then
//! what its plan switches on or off, then the operator's overrides for that
//! tenant. Evaluation is pure (`EffectiveFlags::evaluate`); the `FlagStore`
//! port keeps plans and overrides, the `FlagCache` port keeps them close to
//! the call path, and `FlagService` puts the two together.

mod codec;
mod flag;
mod local;
mod memory;
mod ports;
mod service;
mod stored;

pub use codec::DecodeError;
pub use flag::{EffectiveFlags, Flag, FlagSource, FlagValue, TenantFlagSettings, UnknownFlag};
pub use local::LocalFlagCache;
pub use memory::MemoryFlagStore;
pub use ports::{CacheError, FlagCache, FlagStore};
pub use service::FlagService;
pub use stored::stored_plan;
