//! Inventory sync for a retail shop: what the till (Lightspeed X-Series)
//! knows, turned into the owner's worksheets. The ports are `InventorySource`
//! (products, stock, sales, each as a change feed with a cursor),
//! `SheetSink` (worksheets read and written in batches), and
//! `SyncStateStore`/`CredentialStore` (cursors and the till's rotating
//! refresh token, kept per connection in the platform's store). No IO here.
//!
//! The domain, all pure: an Inventory row and its worksheet layout
//! (`InventoryRow`), the natural order of rows and sizes (`sort_rows`),
//! brands and search (`brand_of`, `matches_search`), footwear and apparel
//! (`kind_of`), models: a product's variants taken together (`group_models`),
//! the till's changes merged into the rows
//! (`merge_inventory`), sales applied exactly once (`reconcile_sales`, with
//! the SalesLog as the ledger), the owner's settings (`read_config`,
//! `merge_config`), the RestockList (`restock_list`) and CSV import and
//! export (`import_csv`, `export_csv`).
//!
//! The use case, through the ports only: one sync (`sync_once`) reads the
//! till's changes and the worksheets, merges the till's products and stock,
//! reconciles its sales, builds the RestockList, writes the worksheets that
//! changed, and only then saves the cursors (`SyncStores`).

mod brand;
mod config;
mod csv;
mod kind;
mod merge;
mod model;
mod order;
mod ports;
mod reconcile;
mod restock;
mod row;
mod source;
mod state;
mod sync;
mod table;
mod text;

pub use brand::{Brand, SearchQuery, SearchText, brand_of, matches_search};
pub use config::{CONFIG_HEADER, CONFIG_SHEET, Config, ConfigProblem, ConfigWarning, merge_config, read_config};
pub use csv::{CsvProblem, CsvSyntaxError, export_csv, export_sheet_csv, import_csv};
pub use kind::{ProductKind, kind_of};
pub use merge::{MergeProblem, MergeReport, Merged, TillData, merge_inventory};
pub use model::{ModelKey, ModelTotals, group_models};
pub use order::{compare_rows, compare_sizes, sort_rows};
pub use ports::{InventorySource, Sheet, SheetSink, SinkError, SourceError, WriteReport, same_rows};
pub use reconcile::{
    Clamp, LineChange, LineRef, RETRY_UNKNOWN_FOR, ReconcileReport, Reconciled, SALES_LOG_HEADER, SALES_LOG_SHEET,
    SalesLogRow, UnknownLine, append_sales_log, read_sales_log, reconcile_sales, sales_counted_since,
};
pub use restock::{RESTOCK_HEADER, RESTOCK_SHEET, RestockRow, is_low_stock, restock_list, restock_sheet_rows};
pub use row::{
    INVENTORY_HEADER, INVENTORY_SHEET, Import, InventoryRow, Sku, SkuError, inventory_sheet_rows, read_inventory,
};
pub use source::{Changes, Cursor, Outlet, Product, Sale, SaleLine, SaleStatus, StockLevel};
pub use state::{
    CredentialStore, MemoryStateStore, StateStoreError, StockLevelStore, SyncKey, SyncKeyError, SyncState,
    SyncStateStore,
};
pub use sync::{SyncError, SyncOptions, SyncReport, SyncStores, sync_once};
pub use table::{CellProblem, ImportError, ImportErrors, ImportWarning};
