//! The owner's workbook behind Frontdesk's [`SheetSink`] port, two ways:
//!
//! - [`GoogleSheets`]: a Google spreadsheet through Sheets v4, as a service
//!   account ([`ServiceAccountKey`], with tokens from the key's `token_uri`).
//!   One `values:batchGet` per read; per write one `values:batchUpdate` (split
//!   only past 2 MB) and then one `values:batchClear` for leftover rows, with
//!   missing worksheets added first. Retries 429 `RESOURCE_EXHAUSTED` and 5xx
//!   with [`Backoff`].
//! - [`LocalWorkbook`]: a directory of CSV files, one per worksheet
//!   (`{name}.csv`), each replaced atomically. The embedded default and the
//!   demo target.
//!
//! This crate knows Google's wire format and the CSV layout of the local
//! workbook, and nothing of inventory: which worksheets exist, what their
//! columns mean and which rows to write are `frontdesk-inventory`'s. Neither
//! does it know where settings come from (the app builds a
//! [`GoogleSheetsConfig`] or picks a directory). No Google or file-system
//! type leaves it; callers see [`Sheet`], [`WriteReport`] and [`SinkError`].
//!
//! The local workbook's CSV is RFC 4180 in UTF-8, written with `\r\n`
//! after each record and no byte-order mark, read with `\r\n` or `\n` and
//! with or without a BOM. Its codec is private: it is a storage format, not
//! the owner's CSV import and export.
//!
//! [`Sheet`]: frontdesk_inventory::Sheet
//! [`WriteReport`]: frontdesk_inventory::WriteReport
//! [`SinkError`]: frontdesk_inventory::SinkError

mod a1;
mod csv;
mod google;
mod retry;
mod wire;
mod workbook;

pub use frontdesk_google_auth::{ServiceAccountKey, ServiceAccountKeyError};
pub use frontdesk_inventory::SheetSink;
pub use google::{
    DEFAULT_API_BASE, DEFAULT_MAX_PAYLOAD_BYTES, DEFAULT_TIMEOUT, GoogleSheets, GoogleSheetsConfig,
    GoogleSheetsSetupError, SPREADSHEETS_SCOPE,
};
pub use retry::Backoff;
pub use workbook::LocalWorkbook;
