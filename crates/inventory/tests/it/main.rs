//! The inventory domain end to end, through its public API only: syncs
//! composed the way the app composes them, against worksheets held in
//! memory as cell text.

mod sync;
