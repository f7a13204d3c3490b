//! The web inventory page, driven in-process (tower `oneshot`) over a temp
//! workbook filled by one demo sync: the demo catalog behind the fake
//! Lightspeed API on a local port, the real Lightspeed and local workbook
//! adapters. The same page in a real headless Chromium is in `browser.rs`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use chrono::{DateTime, TimeZone, Utc};
use frontdesk_core::ManualClock;
use frontdesk_inventory::{
    Changes, Config, Cursor, InventoryRow, InventorySource, MemoryStateStore, Outlet, Product, Sale, Sheet, SheetSink,
    SinkError, SourceError, StockLevel, SyncStateStore, SyncStores, WriteReport, export_csv, import_csv, read_config,
    read_inventory, read_sales_log, sort_rows, sync_once,
};
use frontdesk_lightspeed::LightspeedSource;
use frontdesk_sheets::LocalWorkbook;
use inventory_sync::demo::{DEMO_SEED, DemoCatalog, demo_now};
use inventory_sync::web::{ROWS_PER_PAGE, Syncer, WebConfig, router};
use secrecy::SecretString;
use tokio::sync::{Notify, Semaphore};
use tower::ServiceExt;

use crate::sync::{now, options, serve_fake, source};

const TOKEN: &str = "s3cret-sync-token";

/// When a sync started from the page happens, by the test's clock.
fn button_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 9, 30, 0).single().unwrap_or_default()
}

/// The till, counting the syncs that reach it; `hold` makes a sync wait
/// inside its first request until the test releases it.
struct Till {
    inner: LightspeedSource,
    syncs_started: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    hold: AtomicBool,
    entered: Notify,
    release: Semaphore,
}

#[async_trait]
impl InventorySource for Till {
    async fn outlets(&self) -> Result<Vec<Outlet>, SourceError> {
        self.inner.outlets().await
    }

    async fn products(&self, after: Cursor) -> Result<Changes<Product>, SourceError> {
        // `products` is the first call of every sync.
        self.syncs_started.fetch_add(1, Ordering::SeqCst);
        let running = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(running, Ordering::SeqCst);
        if self.hold.load(Ordering::SeqCst) {
            self.entered.notify_one();
            if let Ok(permit) = self.release.acquire().await {
                permit.forget();
            }
        }
        let result = self.inner.products(after).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        result
    }

    async fn inventory(&self, after: Cursor) -> Result<Changes<StockLevel>, SourceError> {
        self.inner.inventory(after).await
    }

    async fn sales(&self, after: Cursor) -> Result<Changes<Sale>, SourceError> {
        self.inner.sales(after).await
    }
}

struct Shop {
    _dir: tempfile::TempDir,
    workbook_dir: PathBuf,
    router: Router,
    till: Arc<Till>,
    workbook: Arc<CountingWorkbook>,
}

/// The local workbook, counting reads.
struct CountingWorkbook {
    inner: LocalWorkbook,
    reads: AtomicUsize,
}

#[async_trait]
impl SheetSink for CountingWorkbook {
    async fn read(&self, names: &[&str]) -> Result<Vec<Sheet>, SinkError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.read(names).await
    }

    async fn write(&self, sheets: &[Sheet]) -> Result<WriteReport, SinkError> {
        self.inner.write(sheets).await
    }
}

impl CountingWorkbook {
    fn reads(&self) -> usize {
        self.reads.load(Ordering::SeqCst)
    }
}

/// How long the page keeps a read in these tests (the default).
const PAGE_REFRESH: Duration = Duration::from_secs(60);

/// The page over a workbook at `dir/workbook`, its syncs reading `base_url`
/// and keeping cursors in `state`.
async fn page_over(dir: tempfile::TempDir, base_url: &str, token: Option<&str>, state: Arc<MemoryStateStore>) -> Shop {
    page_with_access(dir, base_url, token, state, None, None).await
}

/// [`page_over`], the page guarded by the access token `access`.
async fn page_with_access(
    dir: tempfile::TempDir,
    base_url: &str,
    token: Option<&str>,
    state: Arc<MemoryStateStore>,
    access: Option<&str>,
    shop: Option<(&str, chrono_tz::Tz)>,
) -> Shop {
    let workbook_dir = dir.path().join("workbook");
    let till = Arc::new(Till {
        inner: source(base_url),
        syncs_started: AtomicUsize::new(0),
        in_flight: AtomicUsize::new(0),
        max_in_flight: AtomicUsize::new(0),
        hold: AtomicBool::new(false),
        entered: Notify::new(),
        release: Semaphore::new(0),
    });
    let workbook = Arc::new(CountingWorkbook { inner: LocalWorkbook::new(&workbook_dir), reads: AtomicUsize::new(0) });
    let syncer = Syncer::new(
        till.clone(),
        workbook.clone(),
        SyncStores::of(state),
        options(),
        Arc::new(ManualClock::new(button_time())),
    )
    .await;
    let config = WebConfig {
        sync_token: token.map(|token| SecretString::from(token.to_owned())),
        prefill_token: false,
        page_refresh: PAGE_REFRESH,
        access_token: access.map(|token| SecretString::from(token.to_owned())),
        shop_name: shop.map(|(name, _)| name.to_owned()),
        zone: shop.map_or(chrono_tz::UTC, |(_, zone)| zone),
        lightspeed: None,
    };
    Shop { router: router(syncer, workbook.clone(), config), workbook_dir, till, workbook, _dir: dir }
}

/// The demo shop after one sync, its page with the sync token `token`.
async fn demo_shop(token: Option<&str>) -> Shop {
    let base = serve_fake(DemoCatalog::generate(DEMO_SEED, demo_now())).await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let workbook = LocalWorkbook::new(dir.path().join("workbook"));
    let state = Arc::new(MemoryStateStore::new());
    sync_once(&source(&base), &workbook, &SyncStores::of(state.clone()), &options(), now())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    page_over(dir, &base, token, state).await
}

/// A shop whose workbook is `inventory_csv` and whose till cannot be reached.
async fn offline_shop(inventory_csv: &str, token: Option<&str>) -> Shop {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir_all(dir.path().join("workbook")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.path().join("workbook/Inventory.csv"), inventory_csv).unwrap_or_else(|e| panic!("{e}"));
    // Nothing listens on port 9.
    page_over(dir, "http://127.0.0.1:9/api/2.0", token, Arc::new(MemoryStateStore::new())).await
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Reply {
    fn header(&self, name: header::HeaderName) -> &str {
        self.headers.get(name).and_then(|value| value.to_str().ok()).unwrap_or_default()
    }
}

async fn send(router: &Router, request: Request<Body>) -> Reply {
    let response = router.clone().oneshot(request).await.unwrap_or_else(|e| match e {});
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap_or_else(|e| panic!("{e}"));
    Reply { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
}

async fn get(router: &Router, uri: &str) -> Reply {
    send(router, Request::get(uri).body(Body::empty()).unwrap_or_else(|e| panic!("{e}"))).await
}

fn sync_request(form: &str, bearer: Option<&str>) -> Request<Body> {
    let mut request = Request::post("/sync").header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(token) = bearer {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    request.body(Body::from(form.to_owned())).unwrap_or_else(|e| panic!("{e}"))
}

/// One size chip of a model's line: its SKU, its text (`9 ·2`), and its
/// classes (`chip chip-low chip-match`).
#[derive(Debug)]
struct Chip {
    sku: String,
    text: String,
    class: String,
}

impl Chip {
    /// Whether the view matched this size: when it matched only some sizes
    /// of the model, those are outlined (`chip-match`) and the others
    /// dimmed (`chip-other`).
    fn matched(&self) -> bool {
        !self.class.split(' ').any(|class| class == "chip-other")
    }
}

/// The table's lines, top to bottom: one per model, with its size chips.
fn models_shown(html: &str) -> Vec<Vec<Chip>> {
    let tag_text = |fragment: &str| -> String {
        let mut text = String::new();
        let mut in_tag = false;
        for c in fragment.chars() {
            match c {
                '<' => in_tag = true,
                '>' => in_tag = false,
                c if !in_tag => text.push(c),
                _ => {}
            }
        }
        text
    };
    html.split("<tr data-model=\"")
        .skip(1)
        .map(|line| {
            let line = line.split("</tr>").next().unwrap_or_default();
            line.split("<li class=\"")
                .skip(1)
                .map(|chip| {
                    let chip = chip.split("</li>").next().unwrap_or_default();
                    let class = chip.split('"').next().unwrap_or_default().to_owned();
                    let sku = chip.split("data-sku=\"").nth(1).and_then(|rest| rest.split('"').next());
                    let inner = chip.split_once("\">").map(|(_, inner)| inner).unwrap_or_default();
                    Chip { sku: sku.unwrap_or_default().to_owned(), text: tag_text(inner), class }
                })
                .collect()
        })
        .collect()
}

/// The SKUs of the sizes the view matched, model by model, top to bottom.
fn skus_shown(html: &str) -> Vec<String> {
    models_shown(html).into_iter().flatten().filter(Chip::matched).map(|chip| chip.sku).collect()
}

/// Rows in the page's default order: models (Name and Color, case aside)
/// in the order of their first row, each model's sizes together in the
/// Inventory order (which is natural size order within a model).
pub(crate) fn in_model_order<'a>(rows: impl IntoIterator<Item = &'a InventoryRow>) -> Vec<&'a InventoryRow> {
    let mut models: Vec<((String, String), Vec<&InventoryRow>)> = Vec::new();
    for row in rows {
        let key = (row.name.trim().to_lowercase(), row.color.trim().to_lowercase());
        match models.iter_mut().find(|(model, _)| *model == key) {
            Some((_, sizes)) => sizes.push(row),
            None => models.push((key, vec![row])),
        }
    }
    models.into_iter().flat_map(|(_, sizes)| sizes).collect()
}

/// The text of the element with `id`.
fn text_of<'a>(html: &'a str, id: &str) -> &'a str {
    let start = format!("id=\"{id}\">");
    html.split(&start).nth(1).and_then(|rest| rest.split('<').next()).unwrap_or_else(|| panic!("no #{id}"))
}

/// `"1,234"` → 1234, `"$1,234.50"` → 123450.
fn number(text: &str) -> i128 {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    digits.parse().unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

/// The Inventory worksheet in the page's default order (the Inventory
/// order, each model's sizes together: [`in_model_order`]), and the Config.
async fn workbook(dir: &Path) -> (Vec<InventoryRow>, Config) {
    let sheets = LocalWorkbook::new(dir).read(&["Inventory", "Config"]).await.unwrap_or_else(|e| panic!("{e}"));
    let mut rows = read_inventory(&sheets[0].rows).unwrap_or_else(|e| panic!("{e}")).rows;
    sort_rows(&mut rows);
    let rows = in_model_order(&rows).into_iter().cloned().collect();
    let (config, _) = read_config(&sheets[1].rows);
    (rows, config)
}

fn skus(rows: &[&InventoryRow]) -> Vec<String> {
    rows.iter().map(|row| row.sku.to_string()).collect()
}

#[tokio::test]
async fn the_dashboard_totals_and_the_table_match_the_workbook() {
    let shop = demo_shop(Some(TOKEN)).await;
    let (rows, config) = workbook(&shop.workbook_dir).await;
    assert_eq!(rows.len(), 140);
    let page = get(&shop.router, "/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.header(header::CONTENT_TYPE), "text/html; charset=utf-8");
    let html = &page.body;

    let units: i128 = rows.iter().map(|row| i128::from(row.qty_on_hand)).sum();
    let low = rows.iter().filter(|row| row.qty_on_hand <= config.low_stock_threshold).count();
    let value: i128 = rows.iter().map(|row| i128::from(row.retail_price_cents) * i128::from(row.qty_on_hand)).sum();
    assert_eq!(text_of(html, "total-skus"), "140");
    assert_eq!(number(text_of(html, "total-units")), units);
    assert_eq!(number(text_of(html, "total-low")), low as i128);
    assert!(low > 0, "the demo has low stock");
    assert!(text_of(html, "total-value").starts_with('$'), "{}", text_of(html, "total-value"));
    assert_eq!(number(text_of(html, "total-value")), value, "Σ price × on hand, in cents");
    assert!(value > 1_000_000, "thousands of dollars, grouped: {}", text_of(html, "total-value"));
    assert!(text_of(html, "total-value").contains(','));

    let models = in_model_order(&rows);
    let model_count = models_shown(html).len();
    assert_eq!(skus_shown(html), skus(&models), "every size, model by model");
    assert!(model_count < rows.len() / 3, "one line per model, not per size: {model_count}");
    assert_eq!(text_of(html, "shown-count"), model_count.to_string());
    assert_eq!(text_of(html, "total-models"), model_count.to_string());
    let out = rows.iter().filter(|row| row.qty_on_hand == 0).count();
    assert_eq!(html.matches("class=\"chip chip-out").count(), out, "every sold-out size is marked");
    assert_eq!(html.matches("class=\"chip chip-low").count(), low - out, "and every other low-stock size");
    for label in ["Name", "Brand", "Category", "Color", "Sizes", "Price", "On hand", "Stock value", "Location"] {
        assert!(html.contains(&format!("data-label=\"{label}\"")), "cells are labelled for the phone layout: {label}");
    }
    assert!(html.contains("data-label=\"Last updated\"><time datetime=\"2026-11-24T15:00:00Z\">"));
    assert!(html.contains("data-label=\"Sold since "), "the Sold cells say over which period");
}

/// A model's line from the page's HTML, and the text of its cell `label`.
fn model_line<'a>(html: &'a str, name: &str) -> &'a str {
    let mut lines = html
        .split("<tr data-model=\"")
        .skip(1)
        .map(|line| line.split("</tr>").next().unwrap_or_default())
        .filter(|line| line.contains(&format!("<span class=\"product\">{name}</span>")));
    let line = lines.next().unwrap_or_else(|| panic!("no line for {name}"));
    assert!(lines.next().is_none(), "{name} has one line");
    line
}

/// The text of a model line's number cell whose label starts with `label`
/// (the Sold column's says since when it counts: `Sold since 25 Oct 2026`).
fn cell<'a>(line: &'a str, label: &str) -> &'a str {
    let after_label = line.split(&format!("data-label=\"{label}")).nth(1).unwrap_or_else(|| panic!("no {label}"));
    let content = after_label.split_once('>').map(|(_, content)| content).unwrap_or_default();
    content.split(['<', ' ']).next().unwrap_or_default()
}

#[tokio::test]
async fn each_model_is_one_line_with_its_sizes_as_chips_and_its_figures_summed() {
    let shop = demo_shop(Some(TOKEN)).await;
    let (rows, config) = workbook(&shop.workbook_dir).await;
    let html = get(&shop.router, "/").await.body;
    let mut seen_low_and_out = (false, false);
    let sold_out = rows.iter().find(|row| row.qty_on_hand == 0).unwrap_or_else(|| panic!("the demo has sold out"));
    for name in ["Air Jordan 1 Retro High OG", "Essentials Hoodie", "Carhartt WIP Double Knee Pant", &sold_out.name] {
        let sizes: Vec<&InventoryRow> = rows.iter().filter(|row| row.name == name).collect();
        assert!(sizes.len() > 2, "{name} comes in several sizes");
        let line = model_line(&html, name);
        let chips: Vec<Chip> = models_shown(&format!("<tr data-model=\"{line}</tr>")).remove(0);
        let expected: Vec<(String, String, &str)> = sizes
            .iter()
            .map(|row| {
                let class = match row.qty_on_hand {
                    0 => "chip chip-out",
                    n if n <= config.low_stock_threshold => "chip chip-low",
                    _ => "chip",
                };
                (row.sku.to_string(), format!("{} ·{}", row.size, row.qty_on_hand), class)
            })
            .collect();
        let got: Vec<(String, String, &str)> =
            chips.iter().map(|chip| (chip.sku.clone(), chip.text.clone(), chip.class.as_str())).collect();
        assert_eq!(got, expected, "{name}: a chip per size, in size order, with what is on hand");
        seen_low_and_out.0 |= expected.iter().any(|(_, _, class)| *class == "chip chip-low");
        seen_low_and_out.1 |= expected.iter().any(|(_, _, class)| *class == "chip chip-out");

        let on_hand: u64 = sizes.iter().map(|row| u64::from(row.qty_on_hand)).sum();
        let sold: u64 = sizes.iter().map(|row| u64::from(row.qty_sold)).sum();
        let value: i128 =
            sizes.iter().map(|row| i128::from(row.retail_price_cents) * i128::from(row.qty_on_hand)).sum();
        assert_eq!(cell(line, "On hand"), on_hand.to_string(), "{name}");
        assert_eq!(cell(line, "Sold"), sold.to_string(), "{name}");
        assert_eq!(number(cell(line, "Stock value")), value, "{name}");
        assert!(sold > 0, "the demo sold some {name}");
    }
    assert_eq!(seen_low_and_out, (true, true), "the models checked have low and sold-out sizes");
}

#[tokio::test]
async fn a_size_search_shows_each_model_once_with_the_size_picked_out() {
    let shop = demo_shop(Some(TOKEN)).await;
    let (rows, _) = workbook(&shop.workbook_dir).await;
    let page = get(&shop.router, "/?q=jordan+size+10").await;
    let models = models_shown(&page.body);
    let jordans: Vec<&InventoryRow> = rows.iter().filter(|row| row.name.contains("Jordan")).collect();
    let with_a_ten = in_model_order(jordans.iter().copied().filter(|row| row.size == "10"));
    assert!(!with_a_ten.is_empty());
    assert_eq!(models.len(), with_a_ten.len(), "each Jordan model with a size 10, once: {models:?}");
    for chips in &models {
        let matched: Vec<&Chip> = chips.iter().filter(|chip| chip.matched()).collect();
        assert_eq!(matched.len(), 1, "{chips:?}");
        assert!(matched[0].text.starts_with("10 ·") && matched[0].class.contains("chip-match"), "{chips:?}");
        assert!(chips.len() > 1, "the model's other sizes are still there: {chips:?}");
        assert!(chips.iter().filter(|chip| !chip.matched()).all(|chip| chip.class.contains("chip-other")));
    }
    assert!(page.body.contains("class=\"match-note\""), "the page says what the outline means");
    assert!(!get(&shop.router, "/?q=jordan").await.body.contains("chip-match"), "a search by name picks no size");
}

#[tokio::test]
async fn the_page_names_the_shop_and_shows_times_in_its_zone() {
    let base = serve_fake(DemoCatalog::generate(DEMO_SEED, demo_now())).await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let state = Arc::new(MemoryStateStore::new());
    let zone = chrono_tz::America::New_York;
    let shop = page_with_access(dir, &base, Some(TOKEN), state, None, Some(("Kicks & Co", zone))).await;
    let synced = send(&shop.router, sync_request(&format!("token={TOKEN}"), None)).await;
    assert_eq!(synced.status, StatusCode::SEE_OTHER);

    let page = get(&shop.router, "/").await;
    assert!(page.body.contains("<title>Kicks &amp; Co · Inventory</title>"), "{}", page.body);
    assert!(page.body.contains("<h1>Kicks &amp; Co · Inventory</h1>"), "escaped: {}", page.body);
    // The sync ran at 09:30 UTC: 04:30 in New York in November.
    assert!(page.body.contains("Last sync 2026-11-25 04:30 EST"), "{}", page.body);
    assert!(!page.body.contains(" UTC<"), "no time is left in UTC: {}", page.body);
    let (rows, _) = workbook(&shop.workbook_dir).await;
    let updated = rows.iter().find_map(|row| row.last_updated).unwrap_or_else(|| panic!("no times"));
    let shown = updated.with_timezone(&zone).format("%Y-%m-%d %H:%M EST").to_string();
    assert!(page.body.contains(&shown), "Last updated in the shop's zone ({shown})");
}

/// The earliest SaleDate in the workbook's SalesLog.
async fn earliest_sale(dir: &Path) -> DateTime<Utc> {
    let sheets = LocalWorkbook::new(dir).read(&["SalesLog"]).await.unwrap_or_else(|e| panic!("{e}"));
    let log = read_sales_log(&sheets[0].rows).unwrap_or_else(|e| panic!("{e}"));
    log.iter().map(|row| row.sale_date).min().unwrap_or_else(|| panic!("no sale in the SalesLog"))
}

#[tokio::test]
async fn the_page_says_since_when_sold_counts_in_the_shops_zone() {
    let base = serve_fake(DemoCatalog::generate(DEMO_SEED, demo_now())).await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let state = Arc::new(MemoryStateStore::new());
    let zone = chrono_tz::Australia::Sydney;
    let shop = page_with_access(dir, &base, Some(TOKEN), state.clone(), None, Some(("Kicks", zone))).await;

    let before = get(&shop.router, "/").await.body;
    assert!(
        before.contains("id=\"sold-since\">Sold counts the units sold (returns taken off) since the sync began counting them; when that was is not recorded yet."),
        "no recorded start, said honestly: {before}"
    );
    assert!(before.contains("\">Sold</a></th>"), "the header claims no period");

    let synced = send(&shop.router, sync_request(&format!("token={TOKEN}"), None)).await;
    assert_eq!(synced.header(header::LOCATION), "/?sync=done");
    // The first sync read the demo till's whole history (30 days of sales),
    // so Sold counts from its earliest sale, not from the sync.
    let earliest = earliest_sale(&shop.workbook_dir).await;
    assert!(earliest < button_time() - chrono::TimeDelta::days(20), "{earliest}");
    let since = earliest.with_timezone(&zone).format("%-d %b %Y").to_string();
    let page = get(&shop.router, "/").await.body;
    assert!(
        page.contains(&format!("id=\"sold-since\">Sold counts the units sold (returns taken off) since {since}.")),
        "{since}: {page}"
    );
    assert!(
        page.contains(&format!("\">Sold <span class=\"since\">since {since}</span></a></th>")),
        "the header names the period"
    );
    assert!(page.contains(&format!("data-label=\"Sold since {since}\"")), "so do the cards on a phone");
    let saved = state.load_sync_state(&options().key).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(saved.sales_since, Some(earliest), "kept with the cursors");

    // A page started later reads it from the store.
    let later = page_over(tempfile::tempdir().unwrap_or_else(|e| panic!("{e}")), &base, None, state).await;
    let later = get(&later.router, "/").await.body;
    let in_utc = earliest.format("%-d %b %Y").to_string();
    assert!(later.contains(&format!("since {in_utc}.")), "{later}");
}

#[tokio::test]
async fn the_restock_list_is_on_the_page_as_the_sync_wrote_it() {
    let shop = demo_shop(Some(TOKEN)).await;
    let sheets = LocalWorkbook::new(&shop.workbook_dir).read(&["RestockList"]).await.unwrap_or_else(|e| panic!("{e}"));
    let sheet = &sheets[0].rows;
    assert_eq!(sheet[0][0], "SKU", "{:?}", sheet[0]);
    let written: Vec<(String, String)> = sheet[1..].iter().map(|row| (row[0].clone(), row[5].clone())).collect();
    assert!(written.len() > 3, "the demo has things to reorder: {written:?}");

    let page = get(&shop.router, "/").await;
    let section = page.body.split("<section class=\"restock\"").nth(1).unwrap_or_else(|| panic!("no restock list"));
    let shown: Vec<(String, String)> = section
        .split("<tr data-restock-sku=\"")
        .skip(1)
        .map(|row| {
            let sku = row.split('"').next().unwrap_or_default().to_owned();
            let order = row.split("data-label=\"Order\" class=\"number\">").nth(1).unwrap_or_default();
            (sku, order.split('<').next().unwrap_or_default().to_owned())
        })
        .collect();
    assert_eq!(shown, written, "every line, in the sheet's order, with its suggested quantity");
    let units: u64 = written.iter().map(|(_, order)| order.parse::<u64>().unwrap_or_else(|e| panic!("{e}"))).sum();
    assert!(section.contains(&format!("{} items to reorder, {units} units in all.", written.len())), "{section}");
    // A search or filter narrows the table, not the restock list.
    let searched = get(&shop.router, "/?q=zzzz-no-such-thing").await;
    assert_eq!(searched.body.matches("<tr data-restock-sku=").count(), written.len());
}

#[tokio::test]
async fn a_long_restock_list_shows_the_most_urgent_and_downloads_whole() {
    let shop = offline_shop("SKU,Name,QtyOnHand\r\nX-1,Tee,3\r\n", Some(TOKEN)).await;
    let mut sheet = String::from("SKU,Name,Size,QtyOnHand,SuggestedQty,Location\r\n");
    for n in 0..120 {
        sheet.push_str(&format!("R-{n:03},\"Dunk Low, Panda\",10,0,{},Main\r\n", n % 7 + 1));
    }
    let path = shop.workbook_dir.join("RestockList.csv");
    std::fs::write(&path, &sheet).unwrap_or_else(|e| panic!("{e}"));

    let page = get(&shop.router, "/").await;
    let section = page.body.split("<section class=\"restock\"").nth(1).unwrap_or_else(|| panic!("no restock list"));
    let shown: Vec<&str> =
        section.split("<tr data-restock-sku=\"").skip(1).map(|row| row.split('"').next().unwrap_or_default()).collect();
    assert_eq!(shown.len(), 50, "the 50 most urgent");
    assert_eq!((shown[0], shown[49]), ("R-000", "R-049"), "in the sheet's order");
    assert!(section.contains("120 items to reorder"), "{section}");
    assert!(section.contains("href=\"/restock.csv\"") && section.contains("(120 items, CSV)"), "{section}");

    let csv = get(&shop.router, "/restock.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    let lines: Vec<&str> = csv.body.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 121, "the header and every line");
    assert_eq!(lines[0], "SKU,Name,Size,QtyOnHand,SuggestedQty,Location");
    assert_eq!(lines[120], "R-119,\"Dunk Low, Panda\",10,0,1,Main");
}

#[tokio::test]
async fn the_low_stock_and_sold_out_totals_are_filters() {
    let shop = demo_shop(Some(TOKEN)).await;
    let (rows, config) = workbook(&shop.workbook_dir).await;
    let low: Vec<&InventoryRow> = rows.iter().filter(|row| row.qty_on_hand <= config.low_stock_threshold).collect();
    let out: Vec<&InventoryRow> = rows.iter().filter(|row| row.qty_on_hand == 0).collect();
    assert!(!out.is_empty() && out.len() < low.len(), "the demo has both, sold out a part of low");

    let home = get(&shop.router, "/").await;
    assert_eq!(number(text_of(&home.body, "total-out")), out.len() as i128);
    assert!(home.body.contains("<a class=\"total total-filter\" href=\"/?stock=low\""), "{}", home.body);
    assert!(home.body.contains("<a class=\"total total-filter\" href=\"/?stock=out\""), "{}", home.body);
    assert_eq!(skus_shown(&get(&shop.router, "/?stock=low").await.body), skus(&low));
    let sold_out = get(&shop.router, "/?stock=out").await;
    assert_eq!(skus_shown(&sold_out.body), skus(&out), "the sold-out sizes are the ones picked out");
    // One line per model with a sold-out size, the total says how many.
    let mut out_models: Vec<(String, String)> = out.iter().map(|row| (row.name.clone(), row.color.clone())).collect();
    out_models.dedup();
    assert_eq!(models_shown(&sold_out.body).len(), out_models.len());
    assert_eq!(text_of(&home.body, "total-out-models"), format!("{} models", out_models.len()));
    // The active filter is marked, and a second click shows every row again.
    assert!(sold_out.body.contains("href=\"/\" aria-current=\"true\""), "{}", sold_out.body);

    // It keeps the search and the kind, and they keep it; so does the export.
    let jordans_out: Vec<&InventoryRow> = out.iter().copied().filter(|row| row.name.contains("Jordan")).collect();
    let page = get(&shop.router, "/?q=jordan&stock=out").await;
    assert_eq!(skus_shown(&page.body), skus(&jordans_out));
    assert!(page.body.contains("href=\"/?q=jordan&amp;kind=sneakers&amp;stock=out\""), "kind links keep it");
    assert!(page.body.contains("href=\"/export.csv?q=jordan&amp;stock=out\""), "the export link keeps it");
    let export = get(&shop.router, "/export.csv?stock=out").await;
    assert_eq!(export.status, StatusCode::OK);
    assert_eq!(export.body.lines().count(), out.len() + 1, "a header and the sold-out rows: {}", export.body);
}

#[tokio::test]
async fn size_search_and_every_search_hint_find_what_they_say() {
    let shop = demo_shop(Some(TOKEN)).await;
    let (rows, _) = workbook(&shop.workbook_dir).await;
    let tens: Vec<&InventoryRow> = rows.iter().filter(|row| row.size == "10").collect();
    assert!(!tens.is_empty());
    for query in ["size+10", "sz+10", "Size%2010"] {
        let page = get(&shop.router, &format!("/?q={query}")).await;
        assert_eq!(skus_shown(&page.body), skus(&tens), "q={query}: size 10 only, not 10.5");
    }
    let jordan_tens: Vec<&InventoryRow> = tens.iter().copied().filter(|row| row.name.contains("Jordan")).collect();
    assert!(!jordan_tens.is_empty());
    assert_eq!(skus_shown(&get(&shop.router, "/?q=jordan+size+10").await.body), skus(&jordan_tens));

    // Every example the search box suggests finds something.
    let home = get(&shop.router, "/").await;
    let hint = home.body.split("placeholder=\"").nth(1).and_then(|rest| rest.split('"').next());
    let hint = hint.unwrap_or_else(|| panic!("no search hint: {}", home.body));
    for example in hint.split(", ").filter(|example| !example.ends_with('…')) {
        let page = get(&shop.router, &format!("/?q={}", example.replace(' ', "+"))).await;
        assert!(!skus_shown(&page.body).is_empty(), "the hint {example:?} finds nothing");
    }
}

#[tokio::test]
async fn brand_aware_search_finds_exactly_the_brands_products() {
    let shop = demo_shop(Some(TOKEN)).await;
    let (rows, _) = workbook(&shop.workbook_dir).await;
    let cases: [(&str, &[&str]); 5] = [
        ("jordan", &["Air Jordan 1 Retro High OG", "Air Jordan 4 Retro"]),
        ("JORDAN", &["Air Jordan 1 Retro High OG", "Air Jordan 4 Retro"]),
        ("bape", &["BAPE Shark Full Zip Hoodie"]),
        ("a+bathing+ape", &["BAPE Shark Full Zip Hoodie"]),
        ("fog", &["Essentials Hoodie", "Essentials Sweatpant"]),
    ];
    for (query, names) in cases {
        let expected: Vec<&InventoryRow> = rows.iter().filter(|row| names.contains(&row.name.as_str())).collect();
        assert!(!expected.is_empty());
        let page = get(&shop.router, &format!("/?q={query}")).await;
        assert_eq!(skus_shown(&page.body), skus(&expected), "q={query}");
    }
    let nothing = get(&shop.router, "/?q=zzzz-no-such-thing").await;
    assert_eq!(skus_shown(&nothing.body), Vec::<String>::new());
    assert!(nothing.body.contains("Nothing matches"));
    assert!(nothing.body.contains("value=\"zzzz-no-such-thing\""), "the search box keeps the query");
}

#[tokio::test]
async fn the_sneakers_and_clothing_filters() {
    let shop = demo_shop(Some(TOKEN)).await;
    let (rows, _) = workbook(&shop.workbook_dir).await;
    let sneakers: Vec<&InventoryRow> = rows.iter().filter(|row| row.category == "Sneakers").collect();
    let clothing: Vec<&InventoryRow> =
        rows.iter().filter(|row| ["Hoodies", "T-Shirts", "Pants"].contains(&row.category.as_str())).collect();
    let accessories: HashSet<String> =
        rows.iter().filter(|row| row.category == "Accessories").map(|row| row.sku.to_string()).collect();
    assert!(!sneakers.is_empty() && !clothing.is_empty() && !accessories.is_empty());
    assert_eq!(sneakers.len() + clothing.len() + accessories.len(), rows.len(), "the demo's categories");

    assert_eq!(skus_shown(&get(&shop.router, "/?kind=sneakers").await.body), skus(&sneakers));
    let clothing_page = get(&shop.router, "/?kind=clothing").await;
    assert_eq!(skus_shown(&clothing_page.body), skus(&clothing));
    assert!(clothing_page.body.contains("<a href=\"/?kind=clothing\" aria-current=\"page\">Clothing</a>"));
    let all = skus_shown(&get(&shop.router, "/?kind=all").await.body);
    assert!(accessories.iter().all(|sku| all.contains(sku)), "accessories are under All only");

    let fog: Vec<&InventoryRow> = clothing.iter().copied().filter(|row| row.name.starts_with("Essentials")).collect();
    assert_eq!(skus_shown(&get(&shop.router, "/?kind=clothing&q=fog").await.body), skus(&fog));
    assert_eq!(skus_shown(&get(&shop.router, "/?kind=sneakers&q=fog").await.body), Vec::<String>::new());
}

#[tokio::test]
async fn sorting_by_price_descending_keeps_ties_in_inventory_order() {
    let shop = demo_shop(Some(TOKEN)).await;
    let (rows, _) = workbook(&shop.workbook_dir).await;
    // Models, each its SKUs and its price range (lowest, highest).
    let mut models: Vec<(Vec<String>, (i64, i64))> = Vec::new();
    for row in &rows {
        let key = (row.name.to_lowercase(), row.color.to_lowercase());
        let same = |skus: &Vec<String>| {
            let first = rows.iter().find(|other| other.sku.as_str() == skus[0]).unwrap_or_else(|| panic!("{skus:?}"));
            (first.name.to_lowercase(), first.color.to_lowercase()) == key
        };
        match models.iter_mut().find(|(skus, _)| same(skus)) {
            Some((skus, (low, high))) => {
                skus.push(row.sku.to_string());
                *low = (*low).min(row.retail_price_cents);
                *high = (*high).max(row.retail_price_cents);
            }
            None => models.push((vec![row.sku.to_string()], (row.retail_price_cents, row.retail_price_cents))),
        }
    }
    let page = get(&shop.router, "/?sort=price&dir=desc").await;
    models.sort_by_key(|(_, price)| std::cmp::Reverse(*price));
    let expected: Vec<String> = models.iter().flat_map(|(skus, _)| skus.clone()).collect();
    assert_eq!(skus_shown(&page.body), expected);
    assert!(page.body.split("<tr data-model=").nth(1).unwrap_or_default().contains(">BAPE"), "the dearest first");
    assert!(
        page.body.contains("<th scope=\"col\" aria-sort=\"descending\"><a href=\"/?sort=price&amp;dir=asc\">Price"),
        "the sorted column says so and its link turns the order around"
    );
    assert!(page.body.contains("<a href=\"/?sort=name&amp;dir=asc\">Name</a>"), "the other columns sort ascending");
    assert!(page.body.contains("<th scope=\"col\">Sizes</th>"), "sizes are chips, nothing to sort by");

    let ascending = get(&shop.router, "/?sort=price").await;
    models.sort_by_key(|(_, price)| *price);
    let expected: Vec<String> = models.iter().flat_map(|(skus, _)| skus.clone()).collect();
    assert_eq!(skus_shown(&ascending.body), expected);
}

#[tokio::test]
async fn the_csv_export_is_exactly_the_rows_shown_in_the_same_order() {
    let shop = demo_shop(Some(TOKEN)).await;
    let (rows, _) = workbook(&shop.workbook_dir).await;
    for query in [
        "",
        "q=jordan",
        "kind=clothing&sort=price&dir=desc",
        "q=fog&sort=value&dir=desc",
        "q=size+10&stock=low",
        "kind=sneakers&sort=on_hand&dir=asc",
    ] {
        let page = get(&shop.router, &format!("/?{query}")).await;
        let shown = skus_shown(&page.body);
        let link = if query.is_empty() { "/export.csv".to_owned() } else { format!("/export.csv?{query}") };
        assert!(page.body.contains(&format!("href=\"{}\"", link.replace('&', "&amp;"))), "{query}: {link}");

        let csv = get(&shop.router, &link).await;
        assert_eq!(csv.status, StatusCode::OK);
        assert_eq!(csv.header(header::CONTENT_TYPE), "text/csv; charset=utf-8");
        assert!(csv.header(header::CONTENT_DISPOSITION).starts_with("attachment"));
        let shown_rows: Vec<InventoryRow> = shown
            .iter()
            .map(|sku| rows.iter().find(|row| row.sku.as_str() == sku).cloned().unwrap_or_else(|| panic!("{sku}")))
            .collect();
        assert_eq!(csv.body, export_csv(&shown_rows), "{query}");
        let exported = import_csv(&csv.body).unwrap_or_else(|e| panic!("{e}"));
        let exported_skus: Vec<String> = exported.rows.iter().map(|row| row.sku.to_string()).collect();
        assert_eq!(exported_skus, shown, "{query}");
    }
}

#[tokio::test]
async fn sync_now_needs_the_right_token() {
    let shop = demo_shop(Some(TOKEN)).await;
    let page = get(&shop.router, "/").await;
    assert!(page.body.contains("<form class=\"sync\" method=\"post\" action=\"/sync\">"));
    assert!(!page.body.contains(TOKEN), "the token is never in the page (outside the demo)");

    for (form, bearer) in [
        ("", None),
        ("token=", None),
        ("token=wrong", None),
        (&format!("token={TOKEN}x") as &str, None),
        ("", Some("wrong")),
    ] {
        let refused = send(&shop.router, sync_request(form, bearer)).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{form:?} {bearer:?}");
        assert!(refused.body.contains("missing or wrong"), "{}", refused.body);
    }
    assert_eq!(shop.till.syncs_started.load(Ordering::SeqCst), 0, "no sync without the token");

    let synced = send(&shop.router, sync_request(&format!("q=jordan&kind=sneakers&token={TOKEN}"), None)).await;
    assert_eq!(synced.status, StatusCode::SEE_OTHER);
    assert_eq!(synced.header(header::LOCATION), "/?q=jordan&kind=sneakers&sync=done", "back to the same view");
    assert_eq!(shop.till.syncs_started.load(Ordering::SeqCst), 1, "a sync happened");
    let health = get(&shop.router, "/health").await;
    let health: serde_json::Value = serde_json::from_str(&health.body).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(health["last_sync"], "2026-11-25T09:30:00Z", "the sync's time");

    let by_header = send(&shop.router, sync_request("", Some(TOKEN))).await;
    assert_eq!(by_header.status, StatusCode::SEE_OTHER);
    assert_eq!(by_header.header(header::LOCATION), "/?sync=done");
    assert_eq!(shop.till.syncs_started.load(Ordering::SeqCst), 2);

    let after = get(&shop.router, "/?sync=done").await;
    assert!(
        after.body.contains("Sync finished: nothing changed in the till since the last sync. The sheet is up to date."),
        "the result is shown, in plain words"
    );
}

#[tokio::test]
async fn without_a_configured_token_there_is_no_button_and_sync_is_refused() {
    let shop = demo_shop(None).await;
    let page = get(&shop.router, "/").await;
    assert!(!page.body.contains("action=\"/sync\""), "no Sync now form");
    assert!(page.body.contains("FRONTDESK_SYNC_TOKEN"));
    for (form, bearer) in [("", None), ("token=anything", None), ("", Some("anything"))] {
        let refused = send(&shop.router, sync_request(form, bearer)).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert!(refused.body.contains("FRONTDESK_SYNC_TOKEN"), "says how to turn it on: {}", refused.body);
    }
    assert_eq!(shop.till.syncs_started.load(Ordering::SeqCst), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sync_requests_never_run_two_syncs_at_once() {
    let shop = demo_shop(Some(TOKEN)).await;
    shop.till.hold.store(true, Ordering::SeqCst);
    let first = tokio::spawn({
        let router = shop.router.clone();
        async move { send(&router, sync_request(&format!("token={TOKEN}"), None)).await }
    });
    shop.till.entered.notified().await;

    // The first sync is inside the till now; a second request finds it.
    let second = send(&shop.router, sync_request(&format!("token={TOKEN}"), None)).await;
    assert_eq!(second.status, StatusCode::SEE_OTHER);
    assert_eq!(second.header(header::LOCATION), "/?sync=busy");
    let page = get(&shop.router, "/?sync=busy").await;
    assert!(page.body.contains("A sync is already running"));
    assert!(page.body.contains("syncing now"), "the page stays up during a sync");
    assert_eq!(get(&shop.router, "/health").await.status, StatusCode::OK);

    shop.till.release.add_permits(1);
    let first = first.await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    assert_eq!(first.header(header::LOCATION), "/?sync=done");
    assert_eq!(shop.till.syncs_started.load(Ordering::SeqCst), 1, "the second request started no sync");
    assert_eq!(shop.till.max_in_flight.load(Ordering::SeqCst), 1);

    // Once it is done, the next request syncs again.
    shop.till.hold.store(false, Ordering::SeqCst);
    let third = send(&shop.router, sync_request(&format!("token={TOKEN}"), None)).await;
    assert_eq!(third.header(header::LOCATION), "/?sync=done");
    assert_eq!(shop.till.syncs_started.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn health_reports_the_last_sync_and_the_last_error() {
    let shop = demo_shop(Some(TOKEN)).await;
    let reply = get(&shop.router, "/health").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.header(header::CONTENT_TYPE).starts_with("application/json"));
    let health: serde_json::Value = serde_json::from_str(&reply.body).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        health,
        serde_json::json!({"status": "ok", "last_sync": "2026-11-24T15:00:00Z", "last_error": null}),
        "the last sync from the store"
    );

    let offline = offline_shop("SKU,Name,QtyOnHand\r\nX-1,Tee,3\r\n", Some(TOKEN)).await;
    let health: serde_json::Value =
        serde_json::from_str(&get(&offline.router, "/health").await.body).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(health, serde_json::json!({"status": "ok", "last_sync": null, "last_error": null}));
    let failed = send(&offline.router, sync_request(&format!("token={TOKEN}"), None)).await;
    assert_eq!(failed.header(header::LOCATION), "/?sync=failed");
    let health: serde_json::Value =
        serde_json::from_str(&get(&offline.router, "/health").await.body).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(health["status"], "ok");
    assert_eq!(health["last_sync"], serde_json::Value::Null);
    let error = health["last_error"].as_str().unwrap_or_default();
    assert!(error.contains("reading from Lightspeed failed, nothing was written"), "{error}");
    let page = get(&offline.router, "/?sync=failed").await;
    assert!(
        page.body.contains("The sync failed: reading from Lightspeed failed, nothing was written"),
        "{}",
        page.body
    );
    assert_eq!(skus_shown(&page.body), ["X-1"], "the workbook is as it was");
}

#[tokio::test]
async fn every_cell_and_the_query_are_escaped() {
    let shop = offline_shop(
        "SKU,Name,Category,Color,QtyOnHand,Location\r\n\
         X-<b>1,\"<script>alert(\"\"x\"\")</script> Tee\",T-Shirts,Red & Blue,3,\"\"\"><img src=x onerror=alert(1)>\"\r\n",
        Some(TOKEN),
    ).await;
    let page = get(&shop.router, "/?q=%3Cscript%3E%22").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = &page.body;
    assert!(!html.contains("<script") && !html.contains("<img") && !html.contains("<b>"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Tee"), "{html}");
    assert!(html.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
    assert!(html.contains("Red &amp; Blue"));
    assert!(html.contains("data-sku=\"X-&lt;b&gt;1\""));
    assert!(html.contains("value=\"&lt;script&gt;&quot;\""), "the search box's value");
}

#[tokio::test]
async fn the_stylesheet_is_served_and_every_response_has_a_content_security_policy() {
    let shop = offline_shop("SKU,Name,QtyOnHand\r\nX-1,Tee,3\r\n", None).await;
    let css = get(&shop.router, "/assets/app.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.header(header::CONTENT_TYPE), "text/css; charset=utf-8");
    assert!(css.body.contains("@media (max-width: 720px)"), "cards on phones");

    let page = get(&shop.router, "/").await;
    assert!(page.body.contains("<link rel=\"stylesheet\" href=\"/assets/app.css\">"));
    assert!(page.body.contains("name=\"viewport\""));
    assert!(!page.body.contains("http://") && !page.body.contains("https://"), "nothing from elsewhere: works offline");
    assert!(!page.body.contains("<script") && !page.body.contains("style=\""), "no inline script or style");
    for reply in [&css, &page, &get(&shop.router, "/health").await, &get(&shop.router, "/nope").await] {
        assert!(reply.header(header::CONTENT_SECURITY_POLICY).starts_with("default-src 'self'"));
        assert_eq!(reply.header(header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    }
    assert_eq!(get(&shop.router, "/nope").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn one_read_serves_every_view_until_a_sync_and_concurrent_views_share_it() {
    let shop = demo_shop(Some(TOKEN)).await;
    let replies = tokio::join!(
        get(&shop.router, "/"),
        get(&shop.router, "/?q=jordan"),
        get(&shop.router, "/export.csv"),
        get(&shop.router, "/?kind=clothing&sort=qty&dir=desc"),
        get(&shop.router, "/"),
    );
    let statuses = [replies.0.status, replies.1.status, replies.2.status, replies.3.status, replies.4.status];
    assert_eq!(statuses, [StatusCode::OK; 5]);
    assert_eq!(shop.workbook.reads(), 1, "five concurrent views, one read");
    get(&shop.router, "/").await;
    assert_eq!(shop.workbook.reads(), 1, "a later view within the refresh time reads nothing");

    let synced = send(&shop.router, sync_request(&format!("token={TOKEN}"), None)).await;
    assert_eq!(synced.header(header::LOCATION), "/?sync=done");
    let reads_by_sync = shop.workbook.reads() - 1;
    assert_eq!(reads_by_sync, 1, "the sync reads the workbook once");
    get(&shop.router, "/").await;
    assert_eq!(shop.workbook.reads(), 3, "the first view after a sync reads the workbook again");
}

#[tokio::test]
async fn the_owners_own_edits_show_once_the_refresh_time_has_passed() {
    let shop = offline_shop("SKU,Name,QtyOnHand\r\nX-1,Tee,3\r\n", Some(TOKEN)).await;
    tokio::time::pause();
    assert_eq!(skus_shown(&get(&shop.router, "/").await.body), ["X-1"]);
    std::fs::write(shop.workbook_dir.join("Inventory.csv"), "SKU,Name,QtyOnHand\r\nX-1,Tee,3\r\nX-2,Cap,1\r\n")
        .unwrap_or_else(|e| panic!("{e}"));
    tokio::time::advance(PAGE_REFRESH - Duration::from_secs(1)).await;
    assert_eq!(skus_shown(&get(&shop.router, "/").await.body), ["X-1"], "still the last read");
    tokio::time::advance(Duration::from_secs(2)).await;
    assert_eq!(skus_shown(&get(&shop.router, "/").await.body), ["X-2", "X-1"], "read again (Cap before Tee)");
    assert_eq!(shop.workbook.reads(), 2);
}

#[tokio::test]
async fn a_failed_read_is_not_kept() {
    let shop = offline_shop("SKU,Name,QtyOnHand\r\nX-1,Tee,three\r\n", Some(TOKEN)).await;
    assert_ne!(get(&shop.router, "/").await.status, StatusCode::OK);
    std::fs::write(shop.workbook_dir.join("Inventory.csv"), "SKU,Name,QtyOnHand\r\nX-1,Tee,3\r\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let fixed = get(&shop.router, "/").await;
    assert_eq!(fixed.status, StatusCode::OK, "the next view reads again");
    assert_eq!(skus_shown(&fixed.body), ["X-1"]);
}

#[tokio::test]
async fn a_big_catalog_is_shown_a_page_at_a_time_and_exported_whole() {
    let mut csv = String::from("SKU,Name,Category,QtyOnHand\r\n");
    for n in 0..600 {
        csv.push_str(&format!("TEE-{n:04},Box Logo Tee {n:04},T-Shirts,3\r\n"));
    }
    let shop = offline_shop(&csv, Some(TOKEN)).await;

    let first = get(&shop.router, "/").await;
    assert_eq!(skus_shown(&first.body).len(), ROWS_PER_PAGE);
    assert_eq!(skus_shown(&first.body)[0], "TEE-0000");
    assert_eq!(text_of(&first.body, "shown-count"), "600", "the count is of every matching row");
    assert_eq!(text_of(&first.body, "page-of"), "Page 1 of 3");
    assert!(first.body.contains("href=\"/?page=2\"") && !first.body.contains("rel=\"prev\""), "{}", first.body);

    let last = get(&shop.router, "/?page=3").await;
    assert_eq!(skus_shown(&last.body).len(), 600 - 2 * ROWS_PER_PAGE);
    assert_eq!(skus_shown(&last.body)[0], format!("TEE-{:04}", 2 * ROWS_PER_PAGE));
    assert!(last.body.contains("href=\"/?page=2\"") && !last.body.contains("rel=\"next\""));
    assert_eq!(
        skus_shown(&get(&shop.router, "/?page=99").await.body),
        skus_shown(&last.body),
        "past the end: the last"
    );
    assert_eq!(
        skus_shown(&get(&shop.router, "/?page=abc").await.body),
        skus_shown(&first.body),
        "unreadable: the first"
    );

    // The view travels with the pager; the export is every matching row.
    let sorted = get(&shop.router, "/?q=tee&sort=name&dir=desc").await;
    assert_eq!(skus_shown(&sorted.body)[0], "TEE-0599");
    assert!(sorted.body.contains("href=\"/?q=tee&amp;sort=name&amp;dir=desc&amp;page=2\""), "{}", sorted.body);
    let export = get(&shop.router, "/export.csv?q=tee&sort=name&dir=desc").await;
    assert_eq!(export.body.lines().count(), 601, "a header and all 600 rows");

    let small = demo_shop(Some(TOKEN)).await;
    assert!(!get(&small.router, "/").await.body.contains("class=\"pager\""), "140 sizes fit on one page");
}

#[tokio::test]
async fn the_page_and_its_export_need_the_access_link_and_health_does_not() {
    let base = serve_fake(DemoCatalog::generate(DEMO_SEED, demo_now())).await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let workbook = LocalWorkbook::new(dir.path().join("workbook"));
    let state = Arc::new(MemoryStateStore::new());
    sync_once(&source(&base), &workbook, &SyncStores::of(state.clone()), &options(), now())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let shop = page_with_access(dir, &base, Some("sync-token"), state, Some("view-token-0123"), None).await;

    // Without the link: refused, and nothing of the stock is shown.
    for path in ["/", "/export.csv", "/restock.csv", "/?q=jordan", "/?access=wrong"] {
        let reply = get(&shop.router, path).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{path}");
        assert!(reply.body.contains("needs its access link") && !reply.body.contains("SKU"), "{path}: {}", reply.body);
    }
    assert_eq!(get(&shop.router, "/health").await.status, StatusCode::OK, "health stays open");
    assert_eq!(get(&shop.router, "/assets/app.css").await.status, StatusCode::OK);

    // The link sets an HttpOnly cookie and drops the token from the address.
    let link = get(&shop.router, "/?access=view-token-0123&q=jordan").await;
    assert_eq!(link.status, StatusCode::SEE_OTHER, "{}", link.body);
    assert_eq!(link.header(header::LOCATION), "/?q=jordan");
    let cookie = link.header(header::SET_COOKIE).to_owned();
    assert!(cookie.starts_with("inventory_access=view-token-0123;") && cookie.contains("HttpOnly"), "{cookie}");
    let with_cookie = |path: &str| {
        Request::get(path)
            .header(header::COOKIE, "theme=dark; inventory_access=view-token-0123")
            .body(Body::empty())
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let page = send(&shop.router, with_cookie("/?q=jordan")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(send(&shop.router, with_cookie("/export.csv")).await.status, StatusCode::OK);
    assert_eq!(send(&shop.router, with_cookie("/restock.csv")).await.status, StatusCode::OK);

    // The page's access does not let anyone sync: that still needs the sync token.
    let sync = Request::post("/sync")
        .header(header::COOKIE, "inventory_access=view-token-0123")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("token=view-token-0123"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(send(&shop.router, sync).await.status, StatusCode::FORBIDDEN);
}
