//! The sync use case through its ports: a till and a workbook held in
//! memory, cursors and stock levels in `MemoryStateStore`. What is asserted
//! is what a sync leaves behind: the worksheets written, the cursors saved.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Duration, TimeZone, Utc};
use frontdesk_inventory::{
    CONFIG_SHEET, Changes, Cursor, INVENTORY_SHEET, InventoryRow, InventorySource, MemoryStateStore, Outlet, Product,
    RESTOCK_SHEET, SALES_LOG_SHEET, Sale, SaleLine, SaleStatus, Sheet, SheetSink, SinkError, SourceError, StockLevel,
    SyncError, SyncKey, SyncOptions, SyncReport, SyncState, SyncStateStore, SyncStores, WriteReport, read_inventory,
    sync_once,
};

// ---------------------------------------------------------------------------
// In-memory ports.

/// A till whose feeds honour their cursors like Lightspeed's: the items
/// with a higher `version`, and the highest version as the next cursor.
#[derive(Default)]
struct MemoryTill {
    products: Mutex<Vec<Product>>,
    stock: Mutex<Vec<StockLevel>>,
    sales: Mutex<Vec<Sale>>,
    /// Every feed answers `Unavailable`.
    down: AtomicBool,
}

impl MemoryTill {
    fn add_product(&self, product: Product) {
        self.products.lock().unwrap().push(product);
    }

    /// Replaces the level of the same product and outlet.
    fn set_stock(&self, level: StockLevel) {
        let mut stock = self.stock.lock().unwrap();
        stock.retain(|kept| !(kept.product_id == level.product_id && kept.outlet_id == level.outlet_id));
        stock.push(level);
    }

    fn add_sale(&self, sale: Sale) {
        self.sales.lock().unwrap().push(sale);
    }

    fn feed<T: Clone>(&self, items: &Mutex<Vec<T>>, version: impl Fn(&T) -> i64, after: Cursor) -> FeedResult<T> {
        if self.down.load(Ordering::SeqCst) {
            return Err(SourceError::Unavailable("the till is down (test)".to_owned()));
        }
        let items: Vec<T> = items.lock().unwrap().iter().filter(|item| version(item) > after.0).cloned().collect();
        let cursor = items.iter().map(&version).max().map_or(after, Cursor);
        Ok(Changes { items, cursor })
    }
}

type FeedResult<T> = Result<Changes<T>, SourceError>;

#[async_trait]
impl InventorySource for MemoryTill {
    async fn outlets(&self) -> Result<Vec<Outlet>, SourceError> {
        Ok(["main", "warehouse"].map(|id| Outlet { id: id.to_owned(), name: id.to_owned() }).to_vec())
    }

    async fn products(&self, after: Cursor) -> FeedResult<Product> {
        self.feed(&self.products, |product| product.version, after)
    }

    async fn inventory(&self, after: Cursor) -> FeedResult<StockLevel> {
        self.feed(&self.stock, |level| level.version, after)
    }

    async fn sales(&self, after: Cursor) -> FeedResult<Sale> {
        self.feed(&self.sales, |sale| sale.version, after)
    }
}

/// A workbook of worksheets as cell text, remembering which worksheets
/// each write carried.
#[derive(Default)]
struct MemoryWorkbook {
    sheets: Mutex<BTreeMap<String, Vec<Vec<String>>>>,
    writes: Mutex<Vec<Vec<String>>>,
    /// Every write answers `Unavailable` (and changes nothing).
    refuse_writes: AtomicBool,
}

impl MemoryWorkbook {
    fn rows(&self, name: &str) -> Vec<Vec<String>> {
        self.sheets.lock().unwrap().get(name).cloned().unwrap_or_default()
    }

    fn put(&self, name: &str, rows: Vec<Vec<String>>) {
        self.sheets.lock().unwrap().insert(name.to_owned(), rows);
    }

    fn inventory(&self) -> Vec<InventoryRow> {
        read_inventory(&self.rows(INVENTORY_SHEET)).unwrap().rows
    }

    /// The worksheets each write carried, by name, in order.
    fn writes(&self) -> Vec<Vec<String>> {
        self.writes.lock().unwrap().clone()
    }
}

#[async_trait]
impl SheetSink for MemoryWorkbook {
    async fn read(&self, names: &[&str]) -> Result<Vec<Sheet>, SinkError> {
        Ok(names.iter().map(|name| Sheet { name: (*name).to_owned(), rows: self.rows(name) }).collect())
    }

    async fn write(&self, sheets: &[Sheet]) -> Result<WriteReport, SinkError> {
        if self.refuse_writes.load(Ordering::SeqCst) {
            return Err(SinkError::Unavailable("the workbook is down (test)".to_owned()));
        }
        let mut kept = self.sheets.lock().unwrap();
        let mut rows_written = 0;
        for sheet in sheets {
            rows_written += sheet.rows.len() as u64;
            kept.insert(sheet.name.clone(), sheet.rows.clone());
        }
        self.writes.lock().unwrap().push(sheets.iter().map(|sheet| sheet.name.clone()).collect());
        Ok(WriteReport { write_requests: 1, rows_written })
    }
}

// ---------------------------------------------------------------------------
// The shop.

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
}

fn key() -> SyncKey {
    SyncKey::parse("memory-till|workbook:memory").unwrap()
}

fn all_outlets() -> SyncOptions {
    SyncOptions { key: key(), outlet: None }
}

/// A product named after its SKU's model (`DUNK-9` is a `DUNK`).
fn product(id: &str, sku: &str, category: &str, size: &str, version: i64) -> Product {
    Product {
        id: id.into(),
        sku: sku.into(),
        name: sku.split('-').next().unwrap_or(sku).to_owned(),
        category: category.into(),
        brand: None,
        color: Some("Black".into()),
        size: Some(size.into()),
        barcode: None,
        retail_price_cents: 11_000,
        active: true,
        deleted: false,
        version,
    }
}

fn level(product_id: &str, outlet_id: &str, on_hand: i64, version: i64) -> StockLevel {
    StockLevel { product_id: product_id.into(), outlet_id: outlet_id.into(), on_hand, deleted: false, version }
}

fn closed_sale(id: &str, day: u32, version: i64, lines: &[(&str, i64)]) -> Sale {
    Sale {
        id: id.into(),
        outlet_id: "main".into(),
        status: SaleStatus::Closed,
        sale_date: at(day, 15),
        lines: lines
            .iter()
            .enumerate()
            .map(|(index, (product_id, quantity))| SaleLine {
                line_id: format!("l{}", index + 1),
                product_id: (*product_id).into(),
                quantity: *quantity,
            })
            .collect(),
        version,
    }
}

/// Three products at one outlet, and one sale of two pairs.
fn shop() -> MemoryTill {
    let till = MemoryTill::default();
    till.add_product(product("p1", "DUNK-9", "Sneakers", "9", 1));
    till.add_product(product("p2", "DUNK-10", "Sneakers", "10", 2));
    till.add_product(product("p3", "HOODIE-M", "Hoodies", "M", 3));
    till.set_stock(level("p1", "main", 5, 10));
    till.set_stock(level("p2", "main", 1, 11));
    till.set_stock(level("p3", "main", 8, 12));
    till.add_sale(closed_sale("s1", 23, 100, &[("p1", 2)]));
    till
}

async fn sync(
    till: &MemoryTill,
    workbook: &MemoryWorkbook,
    state: &Arc<MemoryStateStore>,
    now: DateTime<Utc>,
) -> SyncReport {
    sync_once(till, workbook, &SyncStores::of(state.clone()), &all_outlets(), now).await.unwrap()
}

async fn saved(state: &MemoryStateStore) -> SyncState {
    state.load_sync_state(&key()).await.unwrap()
}

/// Each Inventory row's SKU, QtyOnHand and QtySold, in the worksheet's order.
fn stock(workbook: &MemoryWorkbook) -> Vec<(String, u32, u32)> {
    workbook.inventory().iter().map(|row| (row.sku.as_str().to_owned(), row.qty_on_hand, row.qty_sold)).collect()
}

fn owned(rows: &[(&str, u32, u32)]) -> Vec<(String, u32, u32)> {
    rows.iter().map(|(sku, on_hand, sold)| ((*sku).to_owned(), *on_hand, *sold)).collect()
}

fn all_four_worksheets() -> Vec<String> {
    [INVENTORY_SHEET, RESTOCK_SHEET, SALES_LOG_SHEET, CONFIG_SHEET].map(str::to_owned).to_vec()
}

// ---------------------------------------------------------------------------
// The tests.

#[tokio::test]
async fn a_first_sync_writes_every_worksheet_in_one_batch_then_saves_the_cursors() {
    let (till, workbook, state) = (shop(), MemoryWorkbook::default(), Arc::new(MemoryStateStore::new()));

    let report = sync(&till, &workbook, &state, at(24, 12)).await;

    assert_eq!(
        (report.products_fetched, report.stock_levels_fetched, report.sales_fetched),
        (3, 3, 1),
        "everything is read from the start"
    );
    assert_eq!(report.merge.added.len(), 3);
    assert_eq!(report.sales.applied.len(), 1);
    assert_eq!(report.inventory_rows, 3);
    assert_eq!(workbook.writes(), [all_four_worksheets()], "one write, all four worksheets");
    assert_eq!(report.write.write_requests, 1);
    let rows_in_workbook: usize = all_four_worksheets().iter().map(|name| workbook.rows(name).len()).sum();
    assert_eq!(report.write.rows_written, rows_in_workbook as u64);

    // The till's stock already counts its sales: only QtySold moves.
    assert_eq!(stock(&workbook), owned(&[("HOODIE-M", 8, 0), ("DUNK-9", 5, 2), ("DUNK-10", 1, 0)]));
    assert_eq!(workbook.rows(SALES_LOG_SHEET).len(), 2, "a header and the one sale line");
    assert_eq!(workbook.rows(INVENTORY_SHEET).len(), 4, "a header and one row per product");
    assert!(!workbook.rows(CONFIG_SHEET).is_empty(), "the default settings are added");
    assert_eq!(report.restock_rows, workbook.rows(RESTOCK_SHEET).len() - 1);

    assert_eq!(
        saved(&state).await,
        SyncState {
            products: Cursor(3),
            inventory: Cursor(12),
            sales: Cursor(100),
            last_sync: Some(at(24, 12)),
            sales_since: Some(at(23, 15))
        },
        "each cursor at the highest version read; QtySold counts from the earliest sale the first sync read"
    );
    assert_eq!(report.sales_since, Some(at(23, 15)), "the report says so too");
}

#[tokio::test]
async fn a_till_without_sales_counts_them_from_the_first_sync_and_later_sales_keep_that_start() {
    let till = MemoryTill::default();
    till.add_product(product("p1", "DUNK-9", "Sneakers", "9", 1));
    till.set_stock(level("p1", "main", 5, 10));
    let (workbook, state) = (MemoryWorkbook::default(), Arc::new(MemoryStateStore::new()));
    let first = sync(&till, &workbook, &state, at(24, 12)).await;
    assert_eq!(first.sales_since, Some(at(24, 12)), "nothing sold before the first sync");
    assert_eq!(saved(&state).await.sales_since, Some(at(24, 12)));

    till.add_sale(closed_sale("s1", 25, 100, &[("p1", 1)]));
    sync(&till, &workbook, &state, at(25, 18)).await;
    assert_eq!(stock(&workbook), owned(&[("DUNK-9", 4, 1)]));
    assert_eq!(saved(&state).await.sales_since, Some(at(24, 12)), "a later sale does not move the start");
}

#[tokio::test]
async fn a_second_sync_with_nothing_new_writes_nothing() {
    let (till, workbook, state) = (shop(), MemoryWorkbook::default(), Arc::new(MemoryStateStore::new()));
    sync(&till, &workbook, &state, at(24, 12)).await;
    let before: Vec<_> = all_four_worksheets().iter().map(|name| workbook.rows(name)).collect();

    let second = sync(&till, &workbook, &state, at(24, 13)).await;

    assert_eq!((second.products_fetched, second.stock_levels_fetched, second.sales_fetched), (0, 0, 0));
    assert!(second.sales.applied.is_empty(), "nothing is applied twice");
    assert_eq!(second.write, WriteReport::default(), "no write request at all");
    assert_eq!(workbook.writes().len(), 1, "only the first sync wrote");
    let after: Vec<_> = all_four_worksheets().iter().map(|name| workbook.rows(name)).collect();
    assert_eq!(after, before);
    assert!(
        second.summary().ends_with("nothing to write, the workbook was already up to date"),
        "{}",
        second.summary()
    );
    assert_eq!(
        saved(&state).await,
        SyncState {
            products: Cursor(3),
            inventory: Cursor(12),
            sales: Cursor(100),
            last_sync: Some(at(24, 13)),
            sales_since: Some(at(23, 15))
        },
        "the cursors stay, the time of the last sync moves"
    );
}

#[tokio::test]
async fn a_later_sync_reads_and_writes_only_what_changed() {
    let (till, workbook, state) = (shop(), MemoryWorkbook::default(), Arc::new(MemoryStateStore::new()));
    sync(&till, &workbook, &state, at(24, 12)).await;

    // Since then: a hoodie sold, so its stock went down at the till too.
    till.set_stock(level("p3", "main", 7, 13));
    till.add_sale(closed_sale("s2", 24, 101, &[("p3", 1)]));
    let report = sync(&till, &workbook, &state, at(24, 13)).await;

    assert_eq!((report.products_fetched, report.stock_levels_fetched, report.sales_fetched), (0, 1, 1));
    assert_eq!(report.sales.applied.len(), 1);
    assert_eq!(stock(&workbook), owned(&[("HOODIE-M", 7, 1), ("DUNK-9", 5, 2), ("DUNK-10", 1, 0)]));
    assert_eq!(workbook.rows(SALES_LOG_SHEET).len(), 3, "the new line appended");
    let written = workbook.writes();
    assert_eq!(written.len(), 2);
    assert!(!written[1].contains(&CONFIG_SHEET.to_owned()), "Config is not written again: {:?}", written[1]);
    assert_eq!(
        saved(&state).await,
        SyncState {
            products: Cursor(3),
            inventory: Cursor(13),
            sales: Cursor(101),
            last_sync: Some(at(24, 13)),
            sales_since: Some(at(23, 15))
        }
    );
}

#[tokio::test]
async fn stock_summed_over_outlets_needs_only_the_levels_that_changed() {
    let till = MemoryTill::default();
    till.add_product(product("p1", "DUNK-9", "Sneakers", "9", 1));
    till.set_stock(level("p1", "main", 3, 10));
    till.set_stock(level("p1", "warehouse", 4, 11));
    let (workbook, state) = (MemoryWorkbook::default(), Arc::new(MemoryStateStore::new()));
    sync(&till, &workbook, &state, at(24, 12)).await;
    assert_eq!(stock(&workbook), owned(&[("DUNK-9", 7, 0)]));

    // Two pairs leave the main store's shelf: the feed has only that level.
    till.set_stock(level("p1", "main", 1, 12));
    let report = sync(&till, &workbook, &state, at(24, 13)).await;

    assert_eq!(report.stock_levels_fetched, 1);
    assert_eq!(
        stock(&workbook),
        owned(&[("DUNK-9", 5, 0)]),
        "1 at the main store and the warehouse's 4, kept by the first sync"
    );
}

#[tokio::test]
async fn one_outlet_counts_only_its_own_stock() {
    let till = MemoryTill::default();
    till.add_product(product("p1", "DUNK-9", "Sneakers", "9", 1));
    till.set_stock(level("p1", "main", 3, 10));
    till.set_stock(level("p1", "warehouse", 4, 11));
    let (workbook, state) = (MemoryWorkbook::default(), Arc::new(MemoryStateStore::new()));
    let options = SyncOptions { key: key(), outlet: Some("warehouse".to_owned()) };

    sync_once(&till, &workbook, &SyncStores::of(state.clone()), &options, at(24, 12)).await.unwrap();

    assert_eq!(stock(&workbook), owned(&[("DUNK-9", 4, 0)]));
}

#[tokio::test]
async fn a_sale_of_a_product_not_yet_known_is_read_again_next_time() {
    let (till, workbook, state) = (shop(), MemoryWorkbook::default(), Arc::new(MemoryStateStore::new()));
    // A sale of a product the product feed has not delivered yet.
    till.add_sale(closed_sale("s2", 24, 101, &[("p4", 1)]));
    till.add_sale(closed_sale("s3", 24, 102, &[("p1", 1)]));

    let first = sync(&till, &workbook, &state, at(24, 12)).await;
    assert_eq!(first.sales.unknown.len(), 1);
    assert_eq!(saved(&state).await.sales, Cursor(100), "the sales cursor stays just before s2");

    till.add_product(product("p4", "CAP-OS", "Accessories", "OS", 4));
    till.set_stock(level("p4", "main", 6, 13));
    let second = sync(&till, &workbook, &state, at(24, 13)).await;

    assert_eq!(second.sales_fetched, 2, "s2 and s3 are read again");
    assert_eq!(second.sales.applied.len(), 1, "s2 is applied now");
    assert_eq!(second.sales.duplicates.len(), 1, "s3 is not applied twice");
    assert!(stock(&workbook).contains(&("CAP-OS".to_owned(), 6, 1)), "{:?}", stock(&workbook));
    assert_eq!(saved(&state).await.sales, Cursor(102));
}

#[tokio::test]
async fn a_sync_that_cannot_read_the_till_writes_nothing_and_moves_no_cursor() {
    let (till, workbook, state) = (shop(), MemoryWorkbook::default(), Arc::new(MemoryStateStore::new()));
    till.down.store(true, Ordering::SeqCst);

    let result = sync_once(&till, &workbook, &SyncStores::of(state.clone()), &all_outlets(), at(24, 12)).await;

    assert!(matches!(result, Err(SyncError::Source(SourceError::Unavailable(_)))), "{result:?}");
    assert_eq!(workbook.writes(), Vec::<Vec<String>>::new());
    assert_eq!(saved(&state).await, SyncState::default());
}

#[tokio::test]
async fn a_failed_write_moves_no_cursor() {
    let (till, workbook, state) = (shop(), MemoryWorkbook::default(), Arc::new(MemoryStateStore::new()));
    sync(&till, &workbook, &state, at(24, 12)).await;
    let before = saved(&state).await;
    till.add_sale(closed_sale("s2", 24, 101, &[("p2", 1)]));
    workbook.refuse_writes.store(true, Ordering::SeqCst);

    let result = sync_once(&till, &workbook, &SyncStores::of(state.clone()), &all_outlets(), at(24, 13)).await;

    assert!(matches!(result, Err(SyncError::Sink(SinkError::Unavailable(_)))), "{result:?}");
    assert_eq!(saved(&state).await, before, "the sale is read again by the next sync");
    workbook.refuse_writes.store(false, Ordering::SeqCst);
    let retried = sync(&till, &workbook, &state, at(24, 14)).await;
    assert_eq!(retried.sales.applied.len(), 1);
    assert_eq!(stock(&workbook), owned(&[("HOODIE-M", 8, 0), ("DUNK-9", 5, 2), ("DUNK-10", 0, 1)]));
}

#[tokio::test]
async fn an_unreadable_inventory_worksheet_stops_the_sync_before_any_write() {
    let (till, workbook, state) = (shop(), MemoryWorkbook::default(), Arc::new(MemoryStateStore::new()));
    let rows = [["SKU", "Name", "QtyOnHand"], ["X-1", "Owner's row", "three"]];
    workbook.put(INVENTORY_SHEET, rows.iter().map(|row| row.map(str::to_owned).to_vec()).collect());

    let result = sync_once(&till, &workbook, &SyncStores::of(state.clone()), &all_outlets(), at(24, 12)).await;

    match result {
        Err(SyncError::Worksheet { sheet, errors }) => {
            assert_eq!(sheet, INVENTORY_SHEET);
            assert_eq!(errors.to_string(), "row 2, column QtyOnHand: \"three\" is not a whole number");
        }
        other => panic!("expected the Inventory worksheet to be refused, got {other:?}"),
    }
    assert_eq!(workbook.writes(), Vec::<Vec<String>>::new(), "the owner's workbook is untouched");
    assert_eq!(saved(&state).await, SyncState::default());
}

#[tokio::test]
async fn the_owners_edits_survive_a_sync() {
    let (till, workbook, state) = (shop(), MemoryWorkbook::default(), Arc::new(MemoryStateStore::new()));
    sync(&till, &workbook, &state, at(24, 12)).await;
    let mut inventory = workbook.rows(INVENTORY_SHEET);
    let location = inventory[0].iter().position(|header| header == "Location").unwrap();
    inventory[1][location] = "Wall A, top".to_owned();
    workbook.put(INVENTORY_SHEET, inventory);

    till.set_stock(level("p3", "main", 2, 13));
    sync(&till, &workbook, &state, at(24, 13) + Duration::minutes(5)).await;

    let rows = workbook.inventory();
    assert_eq!(rows[0].location, "Wall A, top");
    assert_eq!(rows[0].qty_on_hand, 2);
}
