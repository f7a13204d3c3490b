//! One sync: read everything the till changed, then the workbook; merge,
//! reconcile the sales, rebuild the RestockList; write every worksheet in
//! one batch; and only then move the cursors on. A failure at any step
//! before the write leaves the workbook and the cursors as they were; a
//! failed write leaves the previous rows in place (the sink's contract).

use chrono::{DateTime, Utc};
use frontdesk_inventory::{
    CONFIG_SHEET, ConfigWarning, Cursor, INVENTORY_SHEET, ImportErrors, InventorySource, MergeReport, RESTOCK_SHEET,
    ReconcileReport, SALES_LOG_SHEET, Sheet, SheetSink, SinkError, SourceError, TillData, WriteReport,
    append_sales_log, inventory_sheet_rows, merge_config, merge_inventory, read_config, read_inventory, read_sales_log,
    reconcile_sales, restock_list, restock_sheet_rows,
};

use crate::state::{StateError, StateFile, SyncState};

/// What a sync fetched, changed and wrote.
#[derive(Debug, Clone)]
pub struct SyncReport {
    pub products_fetched: usize,
    pub stock_levels_fetched: usize,
    pub sales_fetched: usize,
    pub merge: MergeReport,
    pub sales: ReconcileReport,
    pub config_warnings: Vec<ConfigWarning>,
    pub inventory_rows: usize,
    pub restock_rows: usize,
    pub write: WriteReport,
}

impl SyncReport {
    /// One line: what was fetched, what changed, what was written.
    pub fn summary(&self) -> String {
        format!(
            "fetched {} products, {} stock levels, {} sales; {} added, {} changed, {} removed; \
             {} sale lines applied, {} reversed, {} already applied, {} waiting (open sales); \
             wrote {} inventory rows and {} restock rows ({} write requests)",
            self.products_fetched,
            self.stock_levels_fetched,
            self.sales_fetched,
            self.merge.added.len(),
            self.merge.changed.len(),
            self.merge.removed.len(),
            self.sales.applied.len(),
            self.sales.reversed.len(),
            self.sales.duplicates.len(),
            self.sales.open.len(),
            self.inventory_rows,
            self.restock_rows,
            self.write.write_requests,
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("reading from Lightspeed failed, nothing was written: {0}")]
    Source(#[from] SourceError),
    #[error("the workbook: {0}")]
    Sink(#[from] SinkError),
    #[error("the {sheet} worksheet cannot be read, nothing was written:\n{errors}")]
    Worksheet { sheet: &'static str, errors: ImportErrors },
    #[error(transparent)]
    State(#[from] StateError),
}

/// Which of the till's outlets count.
#[derive(Debug, Clone, Default)]
pub struct SyncOptions {
    /// Only this outlet's stock and sales; `None` = all outlets summed.
    pub outlet: Option<String>,
}

fn sheet<'a>(sheets: &'a [Sheet], name: &str) -> &'a [Vec<String>] {
    sheets.iter().find(|sheet| sheet.name == name).map(|sheet| sheet.rows.as_slice()).unwrap_or(&[])
}

/// Runs one sync (see the module documentation).
pub async fn sync_once(
    source: &dyn InventorySource,
    sink: &dyn SheetSink,
    state: &StateFile,
    options: &SyncOptions,
    now: DateTime<Utc>,
) -> Result<SyncReport, SyncError> {
    let saved = state.load()?;
    // Stock summed over several outlets needs every outlet's level of a
    // product, so without an outlet the stock feed is read from the start;
    // with one outlet its changes are enough.
    let stock_from = if options.outlet.is_some() { Cursor(saved.inventory) } else { Cursor::START };
    let products = source.products(Cursor(saved.products)).await?;
    let stock = source.inventory(stock_from).await?;
    let sales = source.sales(Cursor(saved.sales)).await?;

    let sheets = sink.read(&[INVENTORY_SHEET, CONFIG_SHEET, SALES_LOG_SHEET]).await?;
    let inventory_rows = sheet(&sheets, INVENTORY_SHEET);
    let config_rows = sheet(&sheets, CONFIG_SHEET);
    let log_rows = sheet(&sheets, SALES_LOG_SHEET);
    let existing =
        read_inventory(inventory_rows).map_err(|errors| SyncError::Worksheet { sheet: INVENTORY_SHEET, errors })?;
    let log = read_sales_log(log_rows).map_err(|errors| SyncError::Worksheet { sheet: SALES_LOG_SHEET, errors })?;
    let (config, config_warnings) = read_config(config_rows);

    let till = TillData { products: &products.items, stock: &stock.items, outlet: options.outlet.as_deref() };
    let merged = merge_inventory(&existing.rows, &till, now);
    let reconciled = reconcile_sales(&merged.rows, &log, &sales.items, &merged.refreshed, now);
    let mut full_log = log;
    full_log.extend(reconciled.new_log_rows.iter().cloned());
    let restock = restock_list(&reconciled.rows, &full_log, &config, now);

    let mut out = vec![
        Sheet { name: INVENTORY_SHEET.to_owned(), rows: inventory_sheet_rows(&reconciled.rows) },
        Sheet { name: RESTOCK_SHEET.to_owned(), rows: restock_sheet_rows(&restock) },
        Sheet { name: SALES_LOG_SHEET.to_owned(), rows: append_sales_log(log_rows, &reconciled.new_log_rows) },
    ];
    // The owner's Config is written only to add missing settings: their own
    // values are never written over (not even with what was just read).
    let config_out = merge_config(config_rows);
    if config_out.as_slice() != config_rows {
        out.push(Sheet { name: CONFIG_SHEET.to_owned(), rows: config_out });
    }
    let write = sink.write(&out).await?;

    // Lines that could not be applied yet (unknown products) are read again
    // next time, so the sales cursor stays before them.
    let sales_cursor = reconciled.unresolved_from.map_or(sales.cursor, |unresolved| unresolved.min(sales.cursor));
    state.save(&SyncState {
        products: products.cursor.0,
        inventory: stock.cursor.0,
        sales: sales_cursor.0,
        last_sync: Some(now),
    })?;
    Ok(SyncReport {
        products_fetched: products.items.len(),
        stock_levels_fetched: stock.items.len(),
        sales_fetched: sales.items.len(),
        merge: merged.report,
        sales: reconciled.report,
        config_warnings,
        inventory_rows: reconciled.rows.len(),
        restock_rows: restock.len(),
        write,
    })
}
