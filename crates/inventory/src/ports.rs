use std::time::Duration;

use async_trait::async_trait;

use crate::source::{Changes, Cursor, Outlet, Product, Sale, StockLevel};

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// 401/403: the token is wrong, expired or revoked. Not retried.
    #[error("the till refused our credentials: {0}")]
    Credentials(String),
    /// 429 after our own retries: try again after `retry_after`.
    #[error("the till's rate limit is exhausted")]
    RateLimited { retry_after: Option<Duration> },
    /// 5xx or network trouble after our own retries.
    #[error("the till is unavailable: {0}")]
    Unavailable(String),
    /// A reply we could not understand.
    #[error("unexpected reply from the till: {0}")]
    Invalid(String),
}

/// The till: products, stock and sales as change feeds. Each call follows
/// every page and returns all changes after `after`, with the new cursor;
/// a call that fails returns nothing (no partial result).
#[async_trait]
pub trait InventorySource: Send + Sync {
    async fn outlets(&self) -> Result<Vec<Outlet>, SourceError>;
    async fn products(&self, after: Cursor) -> Result<Changes<Product>, SourceError>;
    async fn inventory(&self, after: Cursor) -> Result<Changes<StockLevel>, SourceError>;
    async fn sales(&self, after: Cursor) -> Result<Changes<Sale>, SourceError>;
}

/// One worksheet: its name and its rows of cell text, header row first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sheet {
    pub name: String,
    pub rows: Vec<Vec<String>>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Requests sent to write (Google: batchUpdate and batchClear calls).
    pub write_requests: u32,
    pub rows_written: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error("the spreadsheet refused our credentials: {0}")]
    Credentials(String),
    #[error("the spreadsheet's quota is exhausted")]
    RateLimited { retry_after: Option<Duration> },
    #[error("the spreadsheet is unavailable: {0}")]
    Unavailable(String),
    #[error("cannot read or write the workbook: {0}")]
    Io(String),
}

/// The owner's workbook (Google Sheets, or a directory of CSV files).
#[async_trait]
pub trait SheetSink: Send + Sync {
    /// The named worksheets as they are now; a missing worksheet is empty.
    async fn read(&self, names: &[&str]) -> Result<Vec<Sheet>, SinkError>;

    /// Writes each sheet's rows from its first cell, then clears whatever
    /// was below the last row written. Never clears before the new rows are
    /// written; a failure leaves the previous rows in place.
    async fn write(&self, sheets: &[Sheet]) -> Result<WriteReport, SinkError>;

    /// Whether a worksheet that reads as `read` already holds `rows`, as
    /// this sink would store them, so writing them would change nothing.
    /// The default: the same text, trailing empty cells aside (a sink may
    /// leave them out of what it reads back).
    fn already_holds(&self, read: &[Vec<String>], rows: &[Vec<String>]) -> bool {
        same_rows(read, rows, |read, written| read == written)
    }
}

/// Row by row and cell by cell with `same_cell`; trailing empty cells do
/// not count.
pub fn same_rows(read: &[Vec<String>], written: &[Vec<String>], same_cell: impl Fn(&str, &str) -> bool) -> bool {
    fn cells(row: &[String]) -> &[String] {
        let end = row.iter().rposition(|cell| !cell.is_empty()).map_or(0, |last| last + 1);
        &row[..end]
    }
    read.len() == written.len()
        && read.iter().zip(written).all(|(a, b)| {
            let (a, b) = (cells(a), cells(b));
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same_cell(a, b))
        })
}
