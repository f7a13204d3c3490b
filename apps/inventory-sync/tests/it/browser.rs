//! The web inventory page in a real browser: Debian's headless Chromium,
//! driven through chromedriver (WebDriver) as a user would, with clicks and
//! typing, over a temp workbook filled by one demo sync.
//!
//! Each test starts its own chromedriver (`--port=0`: it picks a free port
//! and says which) and its own Chromium session, so tests run in parallel.
//! Without `/usr/bin/chromium` or a `chromedriver` on the PATH they say so
//! and pass: `.ci/run` installs both.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use frontdesk_core::ManualClock;
use frontdesk_inventory::{
    InventoryRow, MemoryStateStore, SheetSink, SyncStores, export_csv, import_csv, read_inventory, sort_rows, sync_once,
};
use frontdesk_sheets::LocalWorkbook;
use hyper_util::client::legacy::connect::HttpConnector;
use inventory_sync::demo::{DEMO_SEED, DemoCatalog, demo_now};
use inventory_sync::web::{Syncer, WebConfig, router};
use secrecy::SecretString;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::sync::{now, options, serve_fake, source};
use crate::web::in_model_order;

const CHROMIUM: &str = "/usr/bin/chromium";
const TOKEN: &str = "s3cret-sync-token";

/// How long a page may take to show what a click or a key asked for.
const PATIENCE: Duration = Duration::from_secs(20);

/// chromedriver on a port of its own, killed when dropped.
struct Chromedriver {
    _process: Child,
    url: String,
}

fn chromedriver_path() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join("chromedriver")).find(|candidate| candidate.is_file())
}

impl Chromedriver {
    /// `None` (having said why) when Chromium or chromedriver is not installed.
    async fn start() -> Option<Chromedriver> {
        let driver = chromedriver_path();
        let Some(driver) = driver.filter(|_| Path::new(CHROMIUM).is_file()) else {
            println!("skipped: chromium/chromedriver not installed (apt-get install chromium chromium-driver)");
            return None;
        };
        let mut process = Command::new(&driver)
            .arg("--port=0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e}", driver.display()));
        // It prints "ChromeDriver was started successfully on port 40425."
        // once it listens.
        let stdout = process.stdout.take().unwrap_or_else(|| panic!("chromedriver's stdout is piped"));
        let mut lines = BufReader::new(stdout).lines();
        let port = loop {
            let line = tokio::time::timeout(PATIENCE, lines.next_line())
                .await
                .unwrap_or_else(|_| panic!("chromedriver did not start within {PATIENCE:?}"))
                .unwrap_or_else(|e| panic!("chromedriver's output: {e}"))
                .unwrap_or_else(|| panic!("chromedriver exited before it listened"));
            if let Some(rest) = line.split("started successfully on port ").nth(1) {
                break rest.trim_end_matches('.').trim().to_owned();
            }
        };
        // Keep draining its output so it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Some(Chromedriver { _process: process, url: format!("http://127.0.0.1:{port}") })
    }

    /// A new headless Chromium session, its window desktop-sized.
    async fn session(&self) -> Client {
        let options = json!({
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900"],
        });
        let capabilities = serde_json::Map::from_iter([("goog:chromeOptions".to_owned(), options)]);
        ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("a Chromium session through {}: {e}", self.url))
    }
}

/// The page served on a local port over a temp workbook filled by one demo
/// sync, with the sync token `TOKEN`.
struct Shop {
    _dir: tempfile::TempDir,
    workbook_dir: PathBuf,
    base_url: String,
}

impl Shop {
    async fn open() -> Shop {
        let till = serve_fake(DemoCatalog::generate(DEMO_SEED, demo_now())).await;
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let workbook_dir = dir.path().join("workbook");
        let sink = Arc::new(LocalWorkbook::new(&workbook_dir));
        let state = Arc::new(MemoryStateStore::new());
        sync_once(&source(&till), sink.as_ref(), &SyncStores::of(state.clone()), &options(), now())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let syncer = Syncer::new(
            Arc::new(source(&till)),
            sink.clone(),
            SyncStores::of(state),
            options(),
            Arc::new(ManualClock::new(now() + TimeDelta::days(1))),
        )
        .await;
        let config = WebConfig {
            sync_token: Some(SecretString::from(TOKEN.to_owned())),
            prefill_token: false,
            page_refresh: Duration::from_secs(60),
            access_token: None,
            shop_name: None,
            zone: chrono_tz::UTC,
            lightspeed: None,
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        tokio::spawn(async move { axum::serve(listener, router(syncer, sink, config)).await });
        Shop { _dir: dir, workbook_dir, base_url: format!("http://{addr}") }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// The Inventory worksheet, in the page's default order (the
    /// Inventory order, each model's sizes together).
    async fn rows(&self) -> Vec<InventoryRow> {
        let sheets =
            LocalWorkbook::new(&self.workbook_dir).read(&["Inventory"]).await.unwrap_or_else(|e| panic!("{e}"));
        let mut rows = read_inventory(&sheets[0].rows).unwrap_or_else(|e| panic!("{e}")).rows;
        sort_rows(&mut rows);
        in_model_order(&rows).into_iter().cloned().collect()
    }
}

/// Runs `test` against the demo shop's page in a fresh Chromium session,
/// which is closed afterwards even when the test fails.
async fn in_browser<Test, Run>(test: Test)
where
    Test: FnOnce(Client, Shop) -> Run,
    Run: Future<Output = ()> + Send + 'static,
{
    let Some(driver) = Chromedriver::start().await else { return };
    let client = driver.session().await;
    let shop = Shop::open().await;
    client.goto(&shop.url("/")).await.unwrap_or_else(|e| panic!("{e}"));
    let outcome = tokio::spawn(test(client.clone(), shop)).await;
    // Ends the session, which quits Chromium, before chromedriver is killed.
    let _ = client.close().await;
    drop(driver);
    if let Err(error) = outcome {
        match error.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(error) => panic!("{error}"),
        }
    }
}

/// One model's line as the browser renders it: the SKUs of the sizes the
/// view matched (every size, unless a filter picked some out) and the
/// rendered text of its cells, keyed by their labels.
#[derive(Debug)]
struct ShownRow {
    skus: Vec<String>,
    cells: serde_json::Map<String, serde_json::Value>,
}

impl ShownRow {
    fn cell(&self, label: &str) -> &str {
        self.cells.get(label).and_then(|text| text.as_str()).unwrap_or_else(|| panic!("no {label} cell in {self:?}"))
    }

    /// The Price cell in cents, the lowest of a range: `"$1,234.50"` → 123450.
    fn price_cents(&self) -> i64 {
        let lowest = self.cell("Price").split('–').next().unwrap_or_default();
        let digits: String = lowest.chars().filter(char::is_ascii_digit).collect();
        digits.parse().unwrap_or_else(|e| panic!("{:?}: {e}", self.cell("Price")))
    }
}

/// The table's rows the user can see, top to bottom.
async fn visible_rows(client: &Client) -> Vec<ShownRow> {
    let script = "return [...document.querySelectorAll('table.inventory tbody tr')]
        .filter(row => row.checkVisibility())
        .map(row => ({
            skus: [...row.querySelectorAll('li.chip')]
                .filter(chip => !chip.classList.contains('chip-other'))
                .map(chip => chip.dataset.sku),
            cells: Object.fromEntries([...row.cells].map(cell => [cell.dataset.label, cell.innerText.trim()])),
        }));";
    let rows = client.execute(script, vec![]).await.unwrap_or_else(|e| panic!("{e}"));
    let rows = rows.as_array().cloned().unwrap_or_else(|| panic!("not a list: {rows}"));
    rows.into_iter()
        .map(|row| ShownRow {
            skus: row["skus"]
                .as_array()
                .unwrap_or_else(|| panic!("no SKUs: {row}"))
                .iter()
                .map(|sku| sku.as_str().unwrap_or_else(|| panic!("a chip without a SKU: {row}")).to_owned())
                .collect(),
            cells: row["cells"].as_object().cloned().unwrap_or_else(|| panic!("no cells: {row}")),
        })
        .collect()
}

fn skus_of(rows: &[ShownRow]) -> Vec<String> {
    rows.iter().flat_map(|row| row.skus.clone()).collect()
}

/// How many models (Name and Color, case aside) the rows make up.
fn model_count<'a>(rows: impl IntoIterator<Item = &'a InventoryRow>) -> usize {
    let models: std::collections::HashSet<(String, String)> =
        rows.into_iter().map(|row| (row.name.to_lowercase(), row.color.to_lowercase())).collect();
    models.len()
}

fn skus<'a>(rows: impl IntoIterator<Item = &'a InventoryRow>) -> Vec<String> {
    rows.into_iter().map(|row| row.sku.to_string()).collect()
}

async fn find(client: &Client, css: &str) -> Element {
    client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"))
}

/// Waits for the page the last click or key asked for: the element `css`
/// matches only there (server-rendered attributes, not what was typed).
async fn arrived(client: &Client, css: &str) -> Element {
    client.wait().at_most(PATIENCE).for_element(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"))
}

async fn text(element: &Element) -> String {
    element.text().await.unwrap_or_else(|e| panic!("{e}"))
}

/// Types `query` into the search box (replacing what is there) and presses Enter.
async fn search_for(client: &Client, query: &str) {
    let search_box = find(client, "form.search input[name=q]").await;
    search_box.clear().await.unwrap_or_else(|e| panic!("{e}"));
    search_box.send_keys(query).await.unwrap_or_else(|e| panic!("{e}"));
    search_box.send_keys(&Key::Enter.to_string()).await.unwrap_or_else(|e| panic!("{e}"));
    arrived(client, &format!("form.search input[name=q][value='{query}']")).await;
}

async fn click(client: &Client, css: &str) {
    find(client, css).await.click().await.unwrap_or_else(|e| panic!("{css}: {e}"));
}

async fn click_link(client: &Client, label: &str) {
    let link = client.find(Locator::LinkText(label)).await.unwrap_or_else(|e| panic!("{label}: {e}"));
    link.click().await.unwrap_or_else(|e| panic!("{label}: {e}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn searching_shows_only_the_brands_products() {
    in_browser(|client, shop| async move {
        let rows = shop.rows().await;
        assert_eq!(visible_rows(&client).await.len(), model_count(&rows), "every model before a search");

        search_for(&client, "jordan").await;
        let shown = visible_rows(&client).await;
        let jordans = rows.iter().filter(|row| row.name.contains("Jordan"));
        assert_eq!(skus_of(&shown), skus(jordans), "exactly the Jordan products, in the Inventory order");
        for row in &shown {
            assert_eq!(row.cell("Brand"), "Jordan", "{row:?}");
            assert!(row.cell("Name").starts_with("Air Jordan"), "{row:?}");
        }
        let count = text(&find(&client, "#shown-count").await).await;
        assert_eq!(count, shown.len().to_string());

        search_for(&client, "bape").await;
        let shown = visible_rows(&client).await;
        let bapes = rows.iter().filter(|row| row.name.starts_with("BAPE"));
        assert_eq!(skus_of(&shown), skus(bapes));
        assert!(!shown.is_empty());
        for row in &shown {
            assert_eq!(row.cell("Brand"), "A Bathing Ape", "{row:?}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sneakers_and_clothing_filters() {
    in_browser(|client, shop| async move {
        let rows = shop.rows().await;

        click_link(&client, "Sneakers").await;
        arrived(&client, "nav.kinds a[aria-current=page][href='/?kind=sneakers']").await;
        let shown = visible_rows(&client).await;
        assert_eq!(skus_of(&shown), skus(rows.iter().filter(|row| row.category == "Sneakers")));
        assert!(shown.iter().all(|row| row.cell("Category") == "Sneakers"));

        click_link(&client, "Clothing").await;
        arrived(&client, "nav.kinds a[aria-current=page][href='/?kind=clothing']").await;
        let shown = visible_rows(&client).await;
        let clothing = ["Hoodies", "T-Shirts", "Pants"];
        assert_eq!(skus_of(&shown), skus(rows.iter().filter(|row| clothing.contains(&row.category.as_str()))));
        assert!(!shown.is_empty());
        for row in &shown {
            assert!(clothing.contains(&row.cell("Category")), "{row:?}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clicking_the_sold_out_and_low_stock_totals_filters_the_rows() {
    in_browser(|client, shop| async move {
        let rows = shop.rows().await;

        click(&client, "a.total-filter[href='/?stock=out']").await;
        arrived(&client, "a.total-filter[aria-current=true][href='/']").await;
        let shown = visible_rows(&client).await;
        assert_eq!(skus_of(&shown), skus(rows.iter().filter(|row| row.qty_on_hand == 0)));
        assert!(!shown.is_empty() && shown.iter().all(|row| row.cell("Sizes").contains("·0")), "{shown:?}");
        assert_eq!(shown.len(), model_count(rows.iter().filter(|row| row.qty_on_hand == 0)), "a card per model");

        click(&client, "a.total-filter[href='/?stock=low']").await;
        arrived(&client, "a.total-filter[aria-current=true][href='/']").await;
        let low = visible_rows(&client).await;
        assert!(low.len() > shown.len(), "low stock includes the sold out");

        // Clicking the active total again shows every model.
        click(&client, "a.total-filter[aria-current=true]").await;
        arrived(&client, "a.total-filter[href='/?stock=low']:not([aria-current])").await;
        assert_eq!(visible_rows(&client).await.len(), model_count(&rows));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clicking_the_price_header_sorts_by_price() {
    in_browser(|client, shop| async move {
        let rows = shop.rows().await;
        let cheapest = rows.iter().map(|row| row.retail_price_cents).min().unwrap_or_default();
        let dearest = rows.iter().map(|row| row.retail_price_cents).max().unwrap_or_default();

        click_link(&client, "Price").await;
        let header = arrived(&client, "th[aria-sort=ascending]").await;
        assert_eq!(text(&header).await, "Price ▲", "the header says it sorts cheapest first");
        let prices: Vec<i64> = visible_rows(&client).await.iter().map(ShownRow::price_cents).collect();
        assert_eq!(prices.len(), model_count(&rows));
        assert_eq!(prices[0], cheapest);
        assert!(prices.is_sorted(), "cheapest first: {prices:?}");

        click_link(&client, "Price ▲").await;
        let header = arrived(&client, "th[aria-sort=descending]").await;
        assert_eq!(text(&header).await, "Price ▼");
        let shown = visible_rows(&client).await;
        assert_eq!(shown[0].price_cents(), dearest, "the demo prices every size of a model alike");
        assert!(shown[0].cell("Name").starts_with("BAPE"), "the most expensive first: {:?}", shown[0]);
        let prices: Vec<i64> = shown.iter().map(ShownRow::price_cents).collect();
        assert!(prices.is_sorted_by(|a, b| a >= b), "dearest first: {prices:?}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_export_link_downloads_exactly_the_rows_shown() {
    in_browser(|client, shop| async move {
        let rows = shop.rows().await;
        search_for(&client, "jordan").await;
        click_link(&client, "Price").await;
        arrived(&client, "th[aria-sort=ascending]").await;
        click_link(&client, "Price ▲").await;
        arrived(&client, "th[aria-sort=descending]").await;
        let shown = skus_of(&visible_rows(&client).await);
        assert!(shown.len() > 1);

        let export = client.find(Locator::LinkText("Export CSV")).await.unwrap_or_else(|e| panic!("{e}"));
        let href = export.prop("href").await.unwrap_or_else(|e| panic!("{e}")).unwrap_or_default();
        assert_eq!(href, shop.url("/export.csv?q=jordan&sort=price&dir=desc"), "the link as the browser resolves it");

        let reply = reqwest::get(&href).await.unwrap_or_else(|e| panic!("{href}: {e}"));
        assert_eq!(reply.status(), reqwest::StatusCode::OK);
        let content_type = reply.headers().get(reqwest::header::CONTENT_TYPE).cloned();
        assert_eq!(content_type.as_ref().and_then(|value| value.to_str().ok()), Some("text/csv; charset=utf-8"));
        let csv = reply.text().await.unwrap_or_else(|e| panic!("{e}"));
        let exported = import_csv(&csv).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(skus(&exported.rows), shown, "the page's rows, in the page's order");
        let shown_rows: Vec<InventoryRow> = shown
            .iter()
            .map(|sku| rows.iter().find(|row| row.sku.as_str() == sku).cloned().unwrap_or_else(|| panic!("{sku}")))
            .collect();
        assert_eq!(csv, export_csv(&shown_rows), "every column of those rows");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_now_with_the_token_and_with_a_wrong_one() {
    in_browser(|client, shop| async move {
        search_for(&client, "jordan").await;
        let jordans = skus_of(&visible_rows(&client).await);

        find(&client, "form.sync input[name=token]").await.send_keys(TOKEN).await.unwrap_or_else(|e| panic!("{e}"));
        click(&client, "form.sync button[type=submit]").await;
        let notice = arrived(&client, "p.notice-ok").await;
        let message = text(&notice).await;
        assert!(message.starts_with("Sync finished: "), "{message}");
        assert!(message.ends_with("The sheet is up to date."), "{message}");
        assert!(!message.contains("fetched") && !message.contains("request"), "plain words: {message}");
        let url = client.current_url().await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(url.as_str(), shop.url("/?q=jordan&sync=done"), "back to the same view");
        assert_eq!(skus_of(&visible_rows(&client).await), jordans);
        let last_sync = text(&find(&client, "p.last-sync").await).await;
        assert!(last_sync.contains("2026-11-25"), "the sync's time (the test's clock): {last_sync}");

        find(&client, "form.sync input[name=token]").await.send_keys("wrong").await.unwrap_or_else(|e| panic!("{e}"));
        click(&client, "form.sync button[type=submit]").await;
        let title = arrived(&client, "main.message h1").await;
        assert_eq!(text(&title).await, "Missing or wrong sync token");
        let explanation = text(&find(&client, "main.message .explanation").await).await;
        assert!(explanation.starts_with("Nothing was synced: the sync token is missing or wrong."), "{explanation}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_phone_the_rows_are_cards_and_the_header_is_hidden() {
    in_browser(|client, _shop| async move {
        let layout = "const thead = document.querySelector('table.inventory thead');
            const rows = document.querySelectorAll('table.inventory tbody tr');
            const brand = rows[0].querySelector('td[data-label=Brand]');
            return {
                width: window.innerWidth,
                thead_position: getComputedStyle(thead).position,
                thead_height: thead.getBoundingClientRect().height,
                row_display: getComputedStyle(rows[0]).display,
                row_radius: getComputedStyle(rows[0]).borderTopLeftRadius,
                label: getComputedStyle(brand, '::before').content,
                stacked: rows[1].getBoundingClientRect().top >= rows[0].getBoundingClientRect().bottom,
            };";

        let desktop = client.execute(layout, vec![]).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(desktop["width"], 1280, "{desktop}");
        assert_eq!(desktop["row_display"], "table-row", "a table on a desktop: {desktop}");
        assert_eq!(desktop["thead_position"], "static", "{desktop}");
        assert!(desktop["thead_height"].as_f64().unwrap_or_default() > 10.0, "the header shows: {desktop}");
        assert_eq!(desktop["label"], "none", "{desktop}");

        client.set_window_size(390, 844).await.unwrap_or_else(|e| panic!("{e}"));
        let phone = client.execute(layout, vec![]).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(phone["width"], 390, "{phone}");
        assert_eq!(phone["thead_position"], "absolute", "the header is out of the flow: {phone}");
        assert!(phone["thead_height"].as_f64().unwrap_or(f64::MAX) <= 1.0, "and clipped away: {phone}");
        assert_eq!(phone["row_display"], "block", "each row is a card: {phone}");
        assert_eq!(phone["row_radius"], "8px", "{phone}");
        assert_eq!(phone["stacked"], true, "cards one below the other: {phone}");
        assert_eq!(phone["label"], "\"Brand\"", "each cell says what it is: {phone}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_small_phones_the_totals_fit_and_nothing_scrolls_sideways() {
    in_browser(|client, _shop| async move {
        let fits = "const value = document.getElementById('total-value');
            const card = value.closest('.total');
            return {
                width: window.innerWidth,
                page: document.documentElement.scrollWidth,
                value: value.scrollWidth,
                room: value.clientWidth,
                card_right: card.getBoundingClientRect().right,
                text: value.innerText,
            };";
        for width in [390, 360] {
            client.set_window_size(width, 844).await.unwrap_or_else(|e| panic!("{e}"));
            let shown = client.execute(fits, vec![]).await.unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(shown["width"], width, "{shown}");
            let number = |key: &str| shown[key].as_f64().unwrap_or(f64::MAX);
            assert!(number("value") <= number("room"), "Stock value fits its card at {width} px: {shown}");
            assert!(number("card_right") <= f64::from(width), "the card is on the screen: {shown}");
            assert!(number("page") <= f64::from(width), "nothing scrolls sideways at {width} px: {shown}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_phone_a_model_is_one_card_with_its_size_chips() {
    in_browser(|client, shop| async move {
        let name = "Air Jordan 1 Retro High OG";
        let rows = shop.rows().await;
        let chips: Vec<String> = rows
            .iter()
            .filter(|row| row.name == name)
            .map(|row| format!("{} ·{}", row.size, row.qty_on_hand))
            .collect();
        assert!(chips.len() > 3, "{chips:?}");
        let card = "const name = arguments[0];
            const lines = [...document.querySelectorAll('table.inventory tbody tr')]
                .filter(row => row.querySelector('.product').innerText === name);
            const card = lines[0].getBoundingClientRect();
            const chips = [...lines[0].querySelectorAll('li.chip')];
            const inside = box => box.left >= card.left && box.right <= card.right
                && box.top >= card.top && box.bottom <= card.bottom;
            return {
                width: window.innerWidth,
                page: document.documentElement.scrollWidth,
                lines: lines.length,
                display: getComputedStyle(lines[0]).display,
                chips: chips.map(chip => chip.innerText.trim()),
                visible: chips.every(chip => chip.checkVisibility()),
                inside: chips.every(chip => inside(chip.getBoundingClientRect())),
                label: getComputedStyle(lines[0].querySelector('td.sizes'), '::before').content,
            };";
        for width in [390, 360] {
            client.set_window_size(width, 844).await.unwrap_or_else(|e| panic!("{e}"));
            let shown = client.execute(card, vec![json!(name)]).await.unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(shown["width"], width, "{shown}");
            assert_eq!(shown["lines"], 1, "one card for the model, not one per size: {shown}");
            assert_eq!(shown["display"], "block", "a card: {shown}");
            assert_eq!(shown["chips"], json!(chips), "its sizes as chips, with what is on hand: {shown}");
            assert_eq!(shown["visible"], true, "{shown}");
            assert_eq!(shown["inside"], true, "the chips wrap inside the card at {width} px: {shown}");
            assert_eq!(shown["label"], "\"Sizes\"", "{shown}");
            let page = shown["page"].as_f64().unwrap_or(f64::MAX);
            assert!(page <= f64::from(width), "nothing scrolls sideways at {width} px: {shown}");
        }
    })
    .await;
}
