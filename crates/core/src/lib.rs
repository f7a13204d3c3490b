//! Frontdesk's vocabulary: the parsed newtypes every other crate speaks in
//! (`TenantId`, `E164`, `Money`), the `Clock` port, id generation, and
//! `StoreError`, the one error of every domain's store ports.
//!
//! This crate does no IO and knows nothing of databases, HTTP or serialisation
//! formats. Every type here is parsed once at the edge (`parse() -> Result`) and
//! is valid for the rest of its life.

mod clock;
mod ids;
mod money;
mod phone;
mod plan;
mod readiness;
mod store_error;
mod tenant_id;
mod text;

pub use clock::{Clock, ManualClock, SystemClock};
pub use ids::{IdGenerator, SequentialIds, UuidV7Ids};
pub use money::{Currency, Money, MoneyError};
pub use phone::{E164, PhoneNumberError};
pub use plan::{Plan, UnknownPlan};
pub use readiness::{NotReady, Readiness};
pub use store_error::{StoreError, stored_tenant};
pub use tenant_id::{TenantId, TenantIdError};
pub use text::TextRule;
