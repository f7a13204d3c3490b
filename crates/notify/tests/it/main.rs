//! The notification jobs over in-memory fakes: what the owner chose decides
//! the channels, the digest replaces single events, a delivery is made once,
//! and operators hear about trouble.

mod deliveries;
mod digest;
mod fanout;
mod ops;
mod support;
