//! The inventory domain end to end, through its public API only: the
//! product-kind rules as tables, syncs composed the way `sync_once`
//! composes them against worksheets held in memory as cell text, and
//! `sync_once` itself against in-memory ports.

mod kind;
mod sync;
mod sync_once;
