//! The sync use case (`sync_once`): read everything the till changed, then
//! the workbook; merge, reconcile the sales, rebuild the RestockList; write
//! the worksheets that changed in one batch; and only then move the cursors
//! on. A failure at any step before the write leaves the workbook and the
//! cursors as they were; a failed write leaves the previous rows in place
//! (the sink's contract). Everything goes through the ports: the app only
//! chooses the adapters.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::config::{CONFIG_SHEET, ConfigWarning, merge_config, read_config};
use crate::merge::{MergeReport, Merged, TillData, merge_inventory};
use crate::ports::{InventorySource, Sheet, SheetSink, SinkError, SourceError, WriteReport};
use crate::reconcile::{
    ReconcileReport, Reconciled, SALES_LOG_SHEET, append_sales_log, read_sales_log, reconcile_sales,
    sales_counted_since,
};
use crate::restock::{RESTOCK_SHEET, restock_list, restock_sheet_rows};
use crate::row::{INVENTORY_SHEET, inventory_sheet_rows, read_inventory};
use crate::source::{Changes, Cursor};
use crate::state::{StateStoreError, StockLevelStore, SyncKey, SyncState, SyncStateStore};
use crate::table::ImportErrors;

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
    /// Since when the QtySold column counts sales, as saved with the
    /// cursors (`SyncState::sales_since`).
    pub sales_since: Option<DateTime<Utc>>,
}

impl SyncReport {
    /// One line: what was fetched, what changed, what was written.
    pub fn summary(&self) -> String {
        format!(
            "fetched {} products, {} stock levels, {} sales; {} added, {} changed, {} removed; \
             {} sale lines applied, {} reversed, {} already applied, {} waiting (open sales); \
             {} inventory rows and {} restock rows; {}",
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
            match self.write.write_requests {
                0 => "nothing to write, the workbook was already up to date".to_owned(),
                1 => "the changes written in 1 request".to_owned(),
                n => format!("the changes written in {n} requests"),
            },
        )
    }
}

impl SyncReport {
    /// What the sync did, in the shop owner's words: what is new in the
    /// sheet, not how many requests it took. For the page's banner; the log
    /// keeps [`SyncReport::summary`].
    pub fn plain(&self) -> String {
        fn count(n: usize, one: &str, many: &str) -> String {
            if n == 1 { format!("1 {one}") } else { format!("{n} {many}") }
        }
        fn distinct<'a>(sale_ids: impl Iterator<Item = &'a str>) -> usize {
            sale_ids.collect::<std::collections::HashSet<_>>().len()
        }
        let sold: i64 = self.sales.applied.iter().map(|line| line.quantity.max(0)).sum();
        let returned: i64 = self.sales.applied.iter().map(|line| (-line.quantity).max(0)).sum();
        let voided = distinct(self.sales.reversed.iter().map(|line| line.sale_id.as_str()));
        let mut news = Vec::new();
        let merge = &self.merge;
        for (n, one, many) in [
            (merge.added.len(), "new product", "new products"),
            (merge.changed.len(), "product updated", "products updated"),
            (merge.removed.len(), "product removed from the till", "products removed from the till"),
            (usize::try_from(sold).unwrap_or(usize::MAX), "item sold", "items sold"),
            (usize::try_from(returned).unwrap_or(usize::MAX), "item returned", "items returned"),
            (voided, "voided sale taken back", "voided sales taken back"),
        ] {
            if n > 0 {
                news.push(count(n, one, many));
            }
        }
        let mut text = if news.is_empty() {
            "nothing changed in the till since the last sync".to_owned()
        } else {
            news.join(", ")
        };
        let open = distinct(self.sales.open.iter().map(|line| line.sale_id.as_str()));
        if open > 0 {
            let open = count(open, "sale is", "sales are");
            text.push_str(&format!("; {open} still open and will count once completed"));
        }
        if !self.config_warnings.is_empty() {
            let warnings = count(self.config_warnings.len(), "setting", "settings");
            text.push_str(&format!("; {warnings} on the Config sheet could not be read and kept their defaults"));
        }
        text.push_str(". The sheet is up to date");
        text
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
    State(#[from] StateStoreError),
}

/// Which connection syncs, and which of the till's outlets count.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Names the till and workbook pair whose cursors are used.
    pub key: SyncKey,
    /// Only this outlet's stock and sales; `None` = all outlets summed.
    pub outlet: Option<String>,
}

fn sheet<'a>(sheets: &'a [Sheet], name: &str) -> &'a [Vec<String>] {
    sheets.iter().find(|sheet| sheet.name == name).map(|sheet| sheet.rows.as_slice()).unwrap_or(&[])
}

/// What a sync keeps between runs: its cursors, and each outlet's stock.
#[derive(Clone)]
pub struct SyncStores {
    pub state: Arc<dyn SyncStateStore>,
    pub levels: Arc<dyn StockLevelStore>,
}

impl SyncStores {
    /// Both from one store that keeps them all (an in-memory one in tests).
    pub fn of<S: SyncStateStore + StockLevelStore + 'static>(store: Arc<S>) -> SyncStores {
        SyncStores { state: store.clone(), levels: store }
    }
}

/// Runs one sync (see the module documentation).
pub async fn sync_once(
    source: &dyn InventorySource,
    sink: &dyn SheetSink,
    stores: &SyncStores,
    options: &SyncOptions,
    now: DateTime<Utc>,
) -> Result<SyncReport, SyncError> {
    let SyncStores { state, levels } = stores;
    let saved = state.load_sync_state(&options.key).await?;
    let products = source.products(saved.products).await?;
    let stock_changes = source.inventory(saved.inventory).await?;
    let sales = source.sales(saved.sales).await?;
    let fetched = (products.items.len(), stock_changes.items.len(), sales.items.len());
    let stock = match options.outlet {
        // One outlet: its changed levels are all there is to know.
        Some(_) => stock_changes,
        // All outlets summed: a product whose stock changed at one outlet
        // needs every outlet's level, kept from earlier syncs, so the stock
        // feed is read from the cursor like the others.
        None => {
            levels.record_stock_levels(&options.key, &stock_changes.items).await?;
            if saved.inventory == Cursor::START {
                // Read from the start: every level is here already.
                stock_changes
            } else {
                let mut changed: Vec<&str> =
                    stock_changes.items.iter().map(|level| level.product_id.as_str()).collect();
                changed.sort_unstable();
                changed.dedup();
                let every_outlet = levels.stock_levels(&options.key, &changed).await?;
                Changes { items: every_outlet, cursor: stock_changes.cursor }
            }
        }
    };
    let cursors = (products.cursor, stock.cursor, sales.cursor);

    let sheets = sink.read(&[INVENTORY_SHEET, CONFIG_SHEET, SALES_LOG_SHEET, RESTOCK_SHEET]).await?;
    // Each intermediate table is dropped as soon as the next one is built,
    // and all of them before the write: at 100,000 variants each copy of
    // the table is tens of megabytes.
    let (out, built) = {
        let config_rows = sheet(&sheets, CONFIG_SHEET);
        let log_rows = sheet(&sheets, SALES_LOG_SHEET);
        let existing = read_inventory(sheet(&sheets, INVENTORY_SHEET))
            .map_err(|errors| SyncError::Worksheet { sheet: INVENTORY_SHEET, errors })?;
        let log = read_sales_log(log_rows).map_err(|errors| SyncError::Worksheet { sheet: SALES_LOG_SHEET, errors })?;
        let (config, config_warnings) = read_config(config_rows);

        let till = TillData { products: &products.items, stock: &stock.items, outlet: options.outlet.as_deref() };
        let Merged { rows: merged, refreshed, report: merge } = merge_inventory(&existing.rows, &till, now);
        drop((existing, products, stock));
        let Reconciled { rows, new_log_rows, report: sales_report, unresolved_from } =
            reconcile_sales(&merged, &log, &sales.items, &refreshed, now);
        drop((merged, refreshed, sales));
        let sales_since = sales_counted_since(&saved, &log, &new_log_rows, now);
        let mut full_log = log;
        full_log.extend(new_log_rows.iter().cloned());
        let restock = restock_list(&rows, &full_log, &config, now);
        drop(full_log);

        // The owner's Config is written only to add missing settings: their
        // own values are never written over (not even with what was read).
        let wanted = [
            (INVENTORY_SHEET, inventory_sheet_rows(&rows)),
            (RESTOCK_SHEET, restock_sheet_rows(&restock)),
            (SALES_LOG_SHEET, append_sales_log(log_rows, &new_log_rows)),
            (CONFIG_SHEET, merge_config(config_rows)),
        ];
        let built = Built {
            merge,
            sales: sales_report,
            config_warnings,
            inventory_rows: rows.len(),
            restock_rows: restock.len(),
            unresolved_from,
            sales_since,
        };
        drop((rows, restock, new_log_rows));
        // A worksheet that already says this is left alone: a sync with
        // nothing new writes nothing (Google's write quota is per minute and
        // shared).
        let out: Vec<Sheet> = wanted
            .into_iter()
            .filter(|(name, rows)| !sink.already_holds(sheet(&sheets, name), rows))
            .map(|(name, rows)| Sheet { name: name.to_owned(), rows })
            .collect();
        (out, built)
    };
    drop(sheets);
    let write = if out.is_empty() { WriteReport::default() } else { sink.write(&out).await? };
    drop(out);

    // Lines that could not be applied yet (unknown products) are read again
    // next time, so the sales cursor stays before them.
    let (products_cursor, stock_cursor, sales_cursor) = cursors;
    let sales_cursor = built.unresolved_from.map_or(sales_cursor, |unresolved| unresolved.min(sales_cursor));
    state
        .save_sync_state(
            &options.key,
            &SyncState {
                products: products_cursor,
                inventory: stock_cursor,
                sales: sales_cursor,
                last_sync: Some(now),
                sales_since: built.sales_since,
            },
        )
        .await?;
    Ok(SyncReport {
        products_fetched: fetched.0,
        stock_levels_fetched: fetched.1,
        sales_fetched: fetched.2,
        merge: built.merge,
        sales: built.sales,
        config_warnings: built.config_warnings,
        inventory_rows: built.inventory_rows,
        restock_rows: built.restock_rows,
        write,
        sales_since: built.sales_since,
    })
}

/// What the report needs of the tables a sync built.
struct Built {
    merge: MergeReport,
    sales: ReconcileReport,
    config_warnings: Vec<ConfigWarning>,
    inventory_rows: usize,
    restock_rows: usize,
    unresolved_from: Option<Cursor>,
    sales_since: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcile::{LineChange, LineRef};
    use crate::row::Sku;

    fn report() -> SyncReport {
        SyncReport {
            products_fetched: 120,
            stock_levels_fetched: 480,
            sales_fetched: 0,
            merge: MergeReport::default(),
            sales: ReconcileReport::default(),
            config_warnings: Vec::new(),
            inventory_rows: 120,
            restock_rows: 4,
            write: WriteReport::default(),
            sales_since: None,
        }
    }

    fn line(sale: &str, line: &str, quantity: i64) -> LineChange {
        let sku = Sku::parse("DD1391-100-10").unwrap_or_else(|e| panic!("{e}"));
        LineChange { sale_id: sale.into(), line_id: line.into(), sku, quantity }
    }

    #[test]
    fn the_banner_says_what_changed_in_the_owners_words() {
        assert_eq!(report().plain(), "nothing changed in the till since the last sync. The sheet is up to date");

        let mut busy = report();
        let sku = |raw: &str| Sku::parse(raw).unwrap_or_else(|e| panic!("{e}"));
        busy.merge.added = vec![sku("A-1"), sku("A-2")];
        busy.merge.changed = vec![sku("B-1")];
        busy.sales.applied = vec![line("s1", "l1", 2), line("s1", "l2", 1), line("s2", "l1", -1)];
        busy.sales.reversed = vec![line("s3", "l1", -1), line("s3", "l2", -1)];
        busy.sales.open = vec![LineRef { sale_id: "s4".into(), line_id: "l1".into() }];
        let text = busy.plain();
        assert_eq!(
            text,
            "2 new products, 1 product updated, 3 items sold, 1 item returned, 1 voided sale taken back; \
             1 sale is still open and will count once completed. The sheet is up to date"
        );
        for jargon in ["fetched", "request", "stock levels", "sale lines", "restock rows"] {
            assert!(!text.contains(jargon), "{jargon:?} in {text:?}");
        }
    }
}
