use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use frontdesk_core::SystemClock;
use frontdesk_inventory::{
    Changes, Cursor, InventorySource, MemoryStateStore, Outlet, Product, Sale, SheetSink, SourceError, SyncError,
    SyncKey, SyncOptions, SyncState, SyncStateStore, SyncStores, sync_once,
};
use frontdesk_lightspeed::{LightspeedConfig, LightspeedSource, PersonalToken};
use frontdesk_sheets::LocalWorkbook;
use inventory_sync::demo::{DemoCatalog, fake_lightspeed};
use secrecy::SecretString;

/// The options of the one connection these tests sync.
pub(crate) fn options() -> SyncOptions {
    SyncOptions { key: SyncKey::parse("demo|workbook:test").unwrap_or_else(|e| panic!("{e}")), outlet: None }
}

pub(crate) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 15, 0, 0).single().unwrap_or_default()
}

/// The fake Lightspeed API on a local port; returns its base URL.
pub(crate) async fn serve_fake(catalog: DemoCatalog) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(async move { axum::serve(listener, fake_lightspeed(catalog)).await });
    format!("http://{addr}/api/2.0")
}

pub(crate) fn source(base_url: &str) -> LightspeedSource {
    let mut config = LightspeedConfig::with_base_url(base_url);
    config.page_size = 50;
    config.backoff_base = Duration::from_millis(1);
    config.max_retries = 1;
    let token = PersonalToken::new(SecretString::from("demo-token".to_owned())).unwrap_or_else(|e| panic!("{e}"));
    LightspeedSource::new(config, Arc::new(token), Arc::new(SystemClock)).unwrap_or_else(|e| panic!("{e}"))
}

fn read_csv(dir: &std::path::Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(format!("{name}.csv"))).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_sync_fills_the_workbook_and_a_second_changes_nothing() {
    let catalog = DemoCatalog::generate(7, now());
    let variants = catalog.products.len();
    let base = serve_fake(catalog).await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let workbook = LocalWorkbook::new(dir.path().join("workbook"));
    let state = Arc::new(MemoryStateStore::new());
    let till = source(&base);

    let first = sync_once(&till, &workbook, &SyncStores::of(state.clone()), &options(), now())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(first.products_fetched, variants);
    assert_eq!(first.inventory_rows, variants);
    assert!(first.restock_rows > 0, "the demo has low stock");
    assert!(first.sales.unknown.is_empty(), "every sale refers to a real SKU: {:?}", first.sales.unknown);
    assert!(!first.sales.reversed.is_empty() || !first.sales.voided_unapplied.is_empty(), "the void is seen");
    assert_eq!(first.sales.open.len(), 1, "the parked sale waits");
    assert_eq!(first.write.write_requests, 4, "four worksheet files, one batch");

    let sheets =
        workbook.read(&["Inventory", "RestockList", "Config", "SalesLog"]).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sheets[0].rows.len(), variants + 1, "a header and one row per variant");
    assert_eq!(
        sheets[0].rows[0],
        [
            "ItemID",
            "SKU",
            "Name",
            "Category",
            "Color",
            "Size",
            "Barcode",
            "RetailPrice",
            "QtyOnHand",
            "QtySold",
            "Location",
            "LastUpdated"
        ]
    );
    assert!(read_csv(&dir.path().join("workbook"), "Config").contains("LowStockThreshold"));
    let log_lines = sheets[3].rows.len();
    assert!(log_lines > 60, "sales lines logged: {log_lines}");

    let requests_before = till.requests_sent();
    let second = sync_once(&till, &workbook, &SyncStores::of(state.clone()), &options(), now())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(second.products_fetched, 0, "only changes are fetched");
    assert_eq!(second.sales_fetched, 0);
    assert!(second.sales.applied.is_empty(), "nothing is applied twice");
    assert!(second.merge.changed.is_empty() && second.merge.added.is_empty());
    assert_eq!(second.write.write_requests, 0, "nothing new: no worksheet is written");
    assert!(second.summary().ends_with("the workbook was already up to date"), "{}", second.summary());
    let again = workbook.read(&["Inventory", "SalesLog"]).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again[0].rows, sheets[0].rows, "the Inventory is unchanged");
    assert_eq!(again[1].rows.len(), log_lines, "no sale logged twice");
    assert!(
        till.requests_sent() - requests_before <= 6,
        "a second sync reads little: {}",
        till.requests_sent() - requests_before
    );
}

#[tokio::test]
async fn a_sync_that_cannot_read_the_till_writes_nothing() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let workbook_dir = dir.path().join("workbook");
    std::fs::create_dir_all(&workbook_dir).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        workbook_dir.join("Inventory.csv"),
        "SKU,Name,QtyOnHand,Location\r\nX-1,Owner's row,3,Back shelf\r\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let workbook = LocalWorkbook::new(&workbook_dir);
    let state = Arc::new(MemoryStateStore::new());
    // Nothing listens on port 9: every request fails.
    let result =
        sync_once(&source("http://127.0.0.1:9/api/2.0"), &workbook, &SyncStores::of(state.clone()), &options(), now())
            .await;
    assert!(matches!(result, Err(SyncError::Source(_))), "{result:?}");
    assert_eq!(
        read_csv(&workbook_dir, "Inventory"),
        "SKU,Name,QtyOnHand,Location\r\nX-1,Owner's row,3,Back shelf\r\n",
        "the owner's workbook is untouched"
    );
    let saved = state.load_sync_state(&options().key).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(saved, SyncState::default(), "no cursor moved");
}

/// The local workbook, recording which worksheets each write carried.
struct RecordingWorkbook {
    inner: LocalWorkbook,
    written: std::sync::Mutex<Vec<Vec<String>>>,
}

#[async_trait::async_trait]
impl SheetSink for RecordingWorkbook {
    async fn read(&self, names: &[&str]) -> Result<Vec<frontdesk_inventory::Sheet>, frontdesk_inventory::SinkError> {
        self.inner.read(names).await
    }

    async fn write(
        &self,
        sheets: &[frontdesk_inventory::Sheet],
    ) -> Result<frontdesk_inventory::WriteReport, frontdesk_inventory::SinkError> {
        let names = sheets.iter().map(|sheet| sheet.name.clone()).collect();
        self.written.lock().unwrap_or_else(|e| panic!("{e}")).push(names);
        self.inner.write(sheets).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_worksheets_that_change_are_written() {
    let base = serve_fake(DemoCatalog::generate(7, now())).await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let workbook =
        RecordingWorkbook { inner: LocalWorkbook::new(dir.path().join("workbook")), written: Default::default() };
    let state = Arc::new(MemoryStateStore::new());
    let till = source(&base);
    sync_once(&till, &workbook, &SyncStores::of(state.clone()), &options(), now())
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    // The owner raises the low-stock threshold: only the RestockList follows.
    let config = read_csv(&dir.path().join("workbook"), "Config");
    let raised = config
        .lines()
        .map(
            |line| {
                if line.starts_with("LowStockThreshold,") { line.replacen(",5,", ",12,", 1) } else { line.to_owned() }
            },
        )
        .collect::<Vec<_>>()
        .join("\r\n");
    assert_ne!(raised.trim_end(), config.trim_end(), "the Config has the default threshold: {config}");
    std::fs::write(dir.path().join("workbook/Config.csv"), format!("{raised}\r\n")).unwrap_or_else(|e| panic!("{e}"));
    let after_edit = sync_once(&till, &workbook, &SyncStores::of(state.clone()), &options(), now())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(after_edit.write.write_requests, 1);

    let writes = workbook.written.lock().unwrap_or_else(|e| panic!("{e}")).clone();
    assert_eq!(writes.len(), 2);
    assert_eq!(writes[0], ["Inventory", "RestockList", "SalesLog", "Config"], "the first sync writes everything");
    assert_eq!(writes[1], ["RestockList"], "the owner's Config is read, never written back");
    assert!(read_csv(&dir.path().join("workbook"), "Config").contains("LowStockThreshold,12,"));
}

/// A till with two outlets whose stock the test changes between syncs;
/// every feed honours its cursor like Lightspeed's.
struct TwoOutletTill {
    stock: std::sync::Mutex<Vec<frontdesk_inventory::StockLevel>>,
}

impl TwoOutletTill {
    fn level(product: &str, outlet: &str, on_hand: i64, version: i64) -> frontdesk_inventory::StockLevel {
        frontdesk_inventory::StockLevel {
            product_id: product.to_owned(),
            outlet_id: outlet.to_owned(),
            on_hand,
            deleted: false,
            version,
        }
    }

    fn set(&self, level: frontdesk_inventory::StockLevel) {
        let mut stock = self.stock.lock().unwrap_or_else(|e| panic!("{e}"));
        stock.retain(|l| !(l.product_id == level.product_id && l.outlet_id == level.outlet_id));
        stock.push(level);
    }
}

fn changes<T: Clone>(items: &[T], version: impl Fn(&T) -> i64, after: Cursor) -> Changes<T> {
    let items: Vec<T> = items.iter().filter(|item| version(item) > after.0).cloned().collect();
    let cursor = items.iter().map(&version).max().map_or(after, Cursor);
    Changes { items, cursor }
}

#[async_trait::async_trait]
impl InventorySource for TwoOutletTill {
    async fn outlets(&self) -> Result<Vec<Outlet>, SourceError> {
        Ok(["main", "warehouse"].map(|id| Outlet { id: id.to_owned(), name: id.to_owned() }).to_vec())
    }

    async fn products(&self, after: Cursor) -> Result<Changes<Product>, SourceError> {
        let product = |id: &str, sku: &str, version: i64| Product {
            id: id.to_owned(),
            sku: sku.to_owned(),
            name: "Nike Dunk Low".to_owned(),
            category: "Sneakers".to_owned(),
            brand: Some("Nike".to_owned()),
            color: None,
            size: Some(if sku.ends_with('9') { "9" } else { "10" }.to_owned()),
            barcode: None,
            retail_price_cents: 11000,
            active: true,
            deleted: false,
            version,
        };
        Ok(changes(&[product("p1", "DUNK-9", 1), product("p2", "DUNK-10", 2)], |p| p.version, after))
    }

    async fn inventory(&self, after: Cursor) -> Result<Changes<frontdesk_inventory::StockLevel>, SourceError> {
        Ok(changes(&self.stock.lock().unwrap_or_else(|e| panic!("{e}")), |l| l.version, after))
    }

    async fn sales(&self, after: Cursor) -> Result<Changes<Sale>, SourceError> {
        Ok(Changes { items: Vec::new(), cursor: after })
    }
}

/// Each Inventory row's SKU and QtyOnHand.
async fn on_hand(workbook: &LocalWorkbook) -> Vec<(String, u32)> {
    let sheets = workbook.read(&["Inventory"]).await.unwrap_or_else(|e| panic!("{e}"));
    let rows = frontdesk_inventory::read_inventory(&sheets[0].rows).unwrap_or_else(|e| panic!("{e}")).rows;
    rows.iter().map(|row| (row.sku.as_str().to_owned(), row.qty_on_hand)).collect()
}

#[tokio::test]
async fn all_outlets_are_summed_from_only_the_stock_that_changed() {
    let level = TwoOutletTill::level;
    let till = TwoOutletTill {
        stock: std::sync::Mutex::new(vec![
            level("p1", "main", 3, 10),
            level("p1", "warehouse", 4, 11),
            level("p2", "main", 1, 12),
            level("p2", "warehouse", 0, 13),
        ]),
    };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let workbook = LocalWorkbook::new(dir.path().join("workbook"));
    let state = Arc::new(MemoryStateStore::new());
    let first = sync_once(&till, &workbook, &SyncStores::of(state.clone()), &options(), now())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(first.stock_levels_fetched, 4);
    assert_eq!(on_hand(&workbook).await, [("DUNK-9".to_owned(), 7), ("DUNK-10".to_owned(), 1)]);

    // Two pairs leave the main store's shelf: only that level changes.
    till.set(level("p1", "main", 1, 14));
    let second = sync_once(&till, &workbook, &SyncStores::of(state.clone()), &options(), now())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(second.stock_levels_fetched, 1, "only the change is read");
    assert_eq!(
        on_hand(&workbook).await,
        [("DUNK-9".to_owned(), 5), ("DUNK-10".to_owned(), 1)],
        "1 at the main store plus the warehouse's 4, kept from the first sync"
    );

    let third = sync_once(&till, &workbook, &SyncStores::of(state.clone()), &options(), now())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(third.stock_levels_fetched, 0);
    assert_eq!(third.write.write_requests, 0);
}
