//! Inventory sync for a retail shop: what the till (Lightspeed X-Series)
//! knows, turned into the owner's worksheets. The ports are `InventorySource`
//! (products, stock, sales, each as a change feed with a cursor) and
//! `SheetSink` (worksheets read and written in batches). No IO here.

mod ports;
mod source;

pub use ports::{InventorySource, Sheet, SheetSink, SinkError, SourceError, WriteReport};
pub use source::{Changes, Cursor, Outlet, Product, Sale, SaleLine, SaleStatus, StockLevel};
