//! The sheet adapters: `GoogleSheets` against a local fake of Google
//! (wiremock: token endpoint and Sheets v4), with the exact requests it
//! sends, and `LocalWorkbook` on temporary directories. Nothing here reaches
//! the internet.

mod google_read;
mod google_write;
mod support;
mod workbook;
