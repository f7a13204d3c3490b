//! The web inventory page (`inventory-sync serve`) and the sync schedule
//! behind it.
//!
//! The page is server-rendered HTML that works without JavaScript; its one
//! stylesheet is compiled in (`assets/app.css`), so it works offline. The
//! page shows the Inventory and Config worksheets read through the same
//! `SheetSink` the sync writes. One read serves every view until a sync
//! finishes or `page_refresh` passes (the owner's own edits show up by
//! then): with Google Sheets every read is a `values:batchGet` against a
//! per-minute quota that the syncs need too, so page views must not spend
//! it. Concurrent views wait for one read rather than each starting one.
//!
//! Routes:
//! - `GET /` — totals, the inventory table, search (`q`), filter (`kind`),
//!   sort (`sort`, `dir`), [`ROWS_PER_PAGE`] rows a page (`page`), the
//!   "Sync now" form;
//! - `GET /export.csv` — the same query, every matching row (all pages), in
//!   the page's order, as an Inventory CSV;
//! - `POST /sync` — one sync now, with the token (`Authorization: Bearer`
//!   or a form field `token`); answers 303 back to the page with
//!   `sync=done|failed|busy`; 403 when the token is wrong or none is
//!   configured;
//! - `GET /health` — `{"status":"ok","last_sync":…,"last_error":…}`;
//! - `GET /assets/app.css`.
//!
//! Filters: **Sneakers** are footwear categories (Sneakers, Shoes,
//! Trainers, Boots, …), **Clothing** is apparel (Hoodies, T-Shirts, Pants,
//! Jackets, Shorts, …); anything else (caps, socks, bags: Accessories) is
//! shown under **All** only: the domain's `kind_of` decides, the page only
//! names its filters.
//!
//! Syncs never overlap: `Syncer` holds one lock; a sync asked for while one
//! runs (the button, or a scheduled one) is not queued but answered
//! "already running", since the running one is about to write the same
//! data.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use frontdesk_core::Clock;
use frontdesk_inventory::{
    Brand, CONFIG_SHEET, INVENTORY_SHEET, ImportErrors, InventoryRow, InventorySource, ProductKind, SearchQuery,
    SearchText, SheetSink, SinkError, SyncOptions, SyncReport, SyncStores, compare_sizes, export_csv, is_low_stock,
    kind_of, read_config, read_inventory, sort_rows, sync_once,
};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use subtle::ConstantTimeEq;

// ---------------------------------------------------------------------------
// Syncing: one at a time, on a schedule and on demand.

/// What asked for a sync (logged with each run).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Startup,
    Schedule,
    Button,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Trigger::Startup => "startup",
            Trigger::Schedule => "schedule",
            Trigger::Button => "button",
        }
    }
}

/// How a requested sync went.
#[derive(Debug)]
pub enum SyncOutcome {
    Synced(Box<SyncReport>),
    Failed(String),
    /// Another sync was running; this one did not start.
    AlreadyRunning,
}

/// What the page and `/health` say about the syncs so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncStatus {
    /// The last successful sync (from the store at startup).
    pub last_sync: Option<DateTime<Utc>>,
    /// Why the last sync failed; cleared by a successful one.
    pub last_error: Option<String>,
    /// One line on what the last successful sync of this process did.
    pub last_summary: Option<String>,
}

/// Runs `sync_once`, never two at once, and remembers how the last went.
pub struct Syncer {
    source: Arc<dyn InventorySource>,
    sink: Arc<dyn SheetSink>,
    stores: SyncStores,
    options: SyncOptions,
    clock: Arc<dyn Clock>,
    running: Arc<tokio::sync::Mutex<()>>,
    status: std::sync::Mutex<SyncStatus>,
    /// Counts finished syncs, so a page cache knows the workbook moved on.
    finished: AtomicU64,
}

impl Syncer {
    pub async fn new(
        source: Arc<dyn InventorySource>,
        sink: Arc<dyn SheetSink>,
        stores: SyncStores,
        options: SyncOptions,
        clock: Arc<dyn Clock>,
    ) -> Arc<Syncer> {
        let last_sync = match stores.state.load_sync_state(&options.key).await {
            Ok(saved) => saved.last_sync,
            Err(error) => {
                tracing::warn!(%error, "the sync state cannot be read; the next sync will say why");
                None
            }
        };
        Arc::new(Syncer {
            source,
            sink,
            stores,
            options,
            clock,
            running: Arc::new(tokio::sync::Mutex::new(())),
            status: std::sync::Mutex::new(SyncStatus { last_sync, ..SyncStatus::default() }),
            finished: AtomicU64::new(0),
        })
    }

    /// How many syncs of this process have finished (either way).
    pub fn finished_syncs(&self) -> u64 {
        self.finished.load(AtomicOrdering::Acquire)
    }

    pub fn status(&self) -> SyncStatus {
        self.status.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Whether a sync is running right now.
    pub fn is_running(&self) -> bool {
        self.running.try_lock().is_err()
    }

    /// Waits until no sync is running (for a clean shutdown).
    pub async fn wait_idle(&self) {
        drop(self.running.lock().await);
    }

    /// One sync now, unless one is running. The sync runs in its own task,
    /// so a caller that goes away (a closed browser tab) cannot stop it
    /// halfway.
    pub async fn run(self: &Arc<Self>, trigger: Trigger) -> SyncOutcome {
        let Ok(guard) = Arc::clone(&self.running).try_lock_owned() else {
            tracing::info!(trigger = trigger.as_str(), "a sync is already running; not starting another");
            return SyncOutcome::AlreadyRunning;
        };
        let syncer = Arc::clone(self);
        let task = tokio::spawn(async move {
            let _running = guard;
            syncer.sync(trigger).await
        });
        match task.await {
            Ok(outcome) => outcome,
            Err(error) => {
                let message = format!("the sync stopped unexpectedly: {error}");
                tracing::error!(trigger = trigger.as_str(), %error, "the sync stopped unexpectedly");
                self.status.lock().unwrap_or_else(PoisonError::into_inner).last_error = Some(message.clone());
                SyncOutcome::Failed(message)
            }
        }
    }

    async fn sync(&self, trigger: Trigger) -> SyncOutcome {
        let started = Instant::now();
        let now = self.clock.now();
        let result = sync_once(self.source.as_ref(), self.sink.as_ref(), &self.stores, &self.options, now).await;
        // Even a failed sync may have written some worksheets.
        self.finished.fetch_add(1, AtomicOrdering::Release);
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let mut status = self.status.lock().unwrap_or_else(PoisonError::into_inner);
        match result {
            Ok(report) => {
                log_report(trigger, &report, elapsed_ms);
                status.last_sync = Some(now);
                status.last_error = None;
                status.last_summary = Some(report.summary());
                SyncOutcome::Synced(Box::new(report))
            }
            Err(error) => {
                tracing::error!(trigger = trigger.as_str(), elapsed_ms, %error, "sync failed");
                status.last_error = Some(error.to_string());
                SyncOutcome::Failed(error.to_string())
            }
        }
    }
}

/// Syncs now, then every `every` until the task is dropped. A scheduled
/// sync that finds one running (from the button) is skipped; a sync that
/// takes longer than `every` delays the next one rather than piling up.
pub async fn sync_every(syncer: Arc<Syncer>, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut trigger = Trigger::Startup;
    loop {
        ticks.tick().await;
        syncer.run(trigger).await;
        trigger = Trigger::Schedule;
    }
}

fn log_report(trigger: Trigger, report: &SyncReport, elapsed_ms: u64) {
    tracing::info!(
        trigger = trigger.as_str(),
        elapsed_ms,
        products_fetched = report.products_fetched,
        stock_levels_fetched = report.stock_levels_fetched,
        sales_fetched = report.sales_fetched,
        added = report.merge.added.len(),
        changed = report.merge.changed.len(),
        removed = report.merge.removed.len(),
        sale_lines_applied = report.sales.applied.len(),
        sale_lines_reversed = report.sales.reversed.len(),
        sale_lines_already_applied = report.sales.duplicates.len(),
        sale_lines_waiting = report.sales.open.len(),
        inventory_rows = report.inventory_rows,
        restock_rows = report.restock_rows,
        write_requests = report.write.write_requests,
        rows_written = report.write.rows_written,
        "sync finished"
    );
    for unknown in &report.sales.unknown {
        tracing::warn!(trigger = trigger.as_str(), "{unknown}");
    }
    for clamp in &report.sales.clamped {
        tracing::warn!(trigger = trigger.as_str(), "{clamp}");
    }
    for problem in &report.merge.problems {
        tracing::warn!(trigger = trigger.as_str(), "{problem}");
    }
    for warning in &report.config_warnings {
        tracing::warn!(trigger = trigger.as_str(), "Config: {warning}");
    }
}

/// Reads a humane duration: a number and a unit, repeated (`90s`, `15m`,
/// `1h`, `1h30m`, `2d`; units s, m, h, d). Zero and more than 365 days are
/// refused.
pub fn parse_every(raw: &str) -> Result<Duration, String> {
    let explain =
        || format!("{raw:?} is not a duration: use a number and a unit, like 15m, 1h or 1h30m (units: s, m, h, d)");
    let text: String = raw.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
    if text.is_empty() {
        return Err(explain());
    }
    let mut total: u64 = 0;
    let mut rest = text.as_str();
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        let (number, after) = rest.split_at(digits);
        let unit = after.chars().next().ok_or_else(explain)?;
        let seconds_per_unit = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(explain()),
        };
        let number: u64 = number.parse().map_err(|_| explain())?;
        total = number.checked_mul(seconds_per_unit).and_then(|s| total.checked_add(s)).ok_or_else(explain)?;
        rest = &after[1..];
    }
    if total == 0 {
        return Err(format!("{raw:?}: the interval must be more than zero"));
    }
    if total > 365 * 86_400 {
        return Err(format!("{raw:?}: the interval can be at most 365 days"));
    }
    Ok(Duration::from_secs(total))
}

/// `3600 s` → `1h`, `5400 s` → `1h30m`.
pub fn format_every(every: Duration) -> String {
    let mut seconds = every.as_secs();
    let mut text = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        if seconds >= size {
            let _ = write!(text, "{}{unit}", seconds / size);
            seconds %= size;
        }
    }
    if text.is_empty() { "0s".to_owned() } else { text }
}

// ---------------------------------------------------------------------------
// The router.

/// How the page is served.
pub struct WebConfig {
    /// `FRONTDESK_SYNC_TOKEN`: without it, `POST /sync` is refused and the
    /// page has no "Sync now" button.
    pub sync_token: Option<SecretString>,
    /// Demo mode: the token is a published dev-only value, so the form
    /// comes with it filled in.
    pub prefill_token: bool,
    /// How long one read of the workbook serves page views (a sync always
    /// ends it); zero reads on every view.
    pub page_refresh: Duration,
}

struct App {
    syncer: Arc<Syncer>,
    sink: Arc<dyn SheetSink>,
    sync_token: Option<SecretString>,
    prefill_token: bool,
    page_refresh: Duration,
    last_read: tokio::sync::Mutex<Option<LastRead>>,
}

/// The workbook as last read for the page.
struct LastRead {
    at: tokio::time::Instant,
    /// `Syncer::finished_syncs` when it was read.
    syncs: u64,
    workbook: Arc<Workbook>,
}

impl App {
    /// The workbook for a page view: the last read while it is fresh,
    /// else a new one (which concurrent views then share).
    async fn workbook(&self) -> Result<Arc<Workbook>, WebError> {
        let mut last_read = self.last_read.lock().await;
        let syncs = self.syncer.finished_syncs();
        if let Some(read) = last_read.as_ref()
            && read.syncs == syncs
            && read.at.elapsed() < self.page_refresh
        {
            return Ok(Arc::clone(&read.workbook));
        }
        let workbook = Arc::new(read_workbook(self.sink.as_ref()).await?);
        *last_read = Some(LastRead { at: tokio::time::Instant::now(), syncs, workbook: Arc::clone(&workbook) });
        Ok(workbook)
    }
}

const STYLESHEET: &str = include_str!("../assets/app.css");

const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The page's routes (see the module documentation).
pub fn router(syncer: Arc<Syncer>, sink: Arc<dyn SheetSink>, config: WebConfig) -> Router {
    let app = Arc::new(App {
        syncer,
        sink,
        sync_token: config.sync_token,
        prefill_token: config.prefill_token,
        page_refresh: config.page_refresh,
        last_read: tokio::sync::Mutex::new(None),
    });
    Router::new()
        .route("/", get(inventory_page))
        .route("/export.csv", get(export))
        .route("/sync", post(sync_now))
        .route("/health", get(health))
        .route("/assets/app.css", get(stylesheet))
        .fallback(not_found)
        .layer(axum::middleware::map_response(security_headers))
        .with_state(app)
}

async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    response
}

/// Everything a handler can fail with; turned into a response, and
/// logged, in one place (`into_response`).
#[derive(Debug, thiserror::Error)]
enum WebError {
    #[error("the workbook cannot be read: {0}")]
    Workbook(#[from] SinkError),
    #[error("the Inventory worksheet cannot be read:\n{0}")]
    Worksheet(ImportErrors),
    #[error("sync from the web page is off")]
    SyncDisabled,
    #[error("the sync token is missing or wrong")]
    WrongToken,
    #[error("no such page")]
    NotFound,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, title, message) = match &self {
            WebError::Workbook(error) => {
                tracing::error!(%error, "the page cannot read the workbook");
                (StatusCode::BAD_GATEWAY, "The workbook cannot be read", self.to_string())
            }
            WebError::Worksheet(errors) => {
                tracing::error!(%errors, "the page cannot read the Inventory worksheet");
                (StatusCode::INTERNAL_SERVER_ERROR, "The Inventory worksheet cannot be read", self.to_string())
            }
            WebError::SyncDisabled => {
                tracing::warn!("POST /sync refused: no FRONTDESK_SYNC_TOKEN is configured");
                (
                    StatusCode::FORBIDDEN,
                    "Sync from the web page is off",
                    "Nothing was synced. To turn on the Sync now button, start `inventory-sync serve` with \
                     FRONTDESK_SYNC_TOKEN set to a secret of your choice, then give that token in the form \
                     (or as `Authorization: Bearer <token>`). The scheduled syncs run either way."
                        .to_owned(),
                )
            }
            WebError::WrongToken => {
                tracing::warn!("POST /sync refused: the sync token is missing or wrong");
                (
                    StatusCode::FORBIDDEN,
                    "Missing or wrong sync token",
                    "Nothing was synced: the sync token is missing or wrong. It is the value of \
                     FRONTDESK_SYNC_TOKEN the server was started with."
                        .to_owned(),
                )
            }
            WebError::NotFound => (StatusCode::NOT_FOUND, "Not found", "There is no such page here.".to_owned()),
        };
        let mut page = Html::new();
        page.document_start(title);
        page.tag("<main class=\"message\"><h1>").text(title).tag("</h1><p class=\"explanation\">");
        page.text(&message);
        page.tag("</p><p><a href=\"/\">Back to the inventory</a></p></main>");
        page.document_end();
        (status, page.into_response()).into_response()
    }
}

async fn not_found() -> WebError {
    WebError::NotFound
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8")),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600")),
        ],
        STYLESHEET,
    )
        .into_response()
}

async fn health(State(app): State<Arc<App>>) -> Response {
    let status = app.syncer.status();
    axum::Json(serde_json::json!({
        "status": "ok",
        "last_sync": status.last_sync.map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        "last_error": status.last_error,
    }))
    .into_response()
}

// ---------------------------------------------------------------------------
// What is shown: search, filter, sort.

/// The query of `/` and `/export.csv`; unknown values fall back to the
/// default rather than failing the page.
#[derive(Debug, Default, Deserialize)]
struct ViewParams {
    q: Option<String>,
    kind: Option<String>,
    sort: Option<String>,
    dir: Option<String>,
    /// How the sync just asked for went (`POST /sync` redirects with it).
    sync: Option<String>,
    /// Which page of the matching rows, from 1.
    page: Option<String>,
}

/// Rows per page: a big shop's 100,000 variants would be tens of megabytes
/// of HTML on one page.
pub const ROWS_PER_PAGE: usize = 250;

/// The rows of page `requested` (from 1; anything unreadable is page 1, a
/// page past the end is the last page), with its number and the page count.
fn page_of<'a, T>(items: &'a [T], requested: Option<&str>) -> (&'a [T], usize, usize) {
    let pages = items.len().div_ceil(ROWS_PER_PAGE).max(1);
    let page = requested.and_then(|p| p.trim().parse::<usize>().ok()).unwrap_or(1).clamp(1, pages);
    let start = (page - 1) * ROWS_PER_PAGE;
    (&items[start..(start + ROWS_PER_PAGE).min(items.len())], page, pages)
}

/// The filters of the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    All,
    Sneakers,
    Clothing,
}

impl Kind {
    const ALL: [Kind; 3] = [Kind::All, Kind::Sneakers, Kind::Clothing];

    fn key(self) -> &'static str {
        match self {
            Kind::All => "all",
            Kind::Sneakers => "sneakers",
            Kind::Clothing => "clothing",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Kind::All => "All",
            Kind::Sneakers => "Sneakers",
            Kind::Clothing => "Clothing",
        }
    }

    fn parse(key: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.key().eq_ignore_ascii_case(key.trim()))
    }

    /// Whether a row of this kind of product (`kind_of` its Category) is
    /// shown under this filter.
    fn shows(self, product: Option<ProductKind>) -> bool {
        match self {
            Kind::All => true,
            Kind::Sneakers => product == Some(ProductKind::Footwear),
            Kind::Clothing => product == Some(ProductKind::Apparel),
        }
    }
}

/// The sortable columns, in table order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Name,
    Brand,
    Category,
    Color,
    Size,
    Sku,
    Price,
    OnHand,
    Sold,
    Location,
    Updated,
}

impl Column {
    const ALL: [Column; 11] = [
        Column::Name,
        Column::Brand,
        Column::Category,
        Column::Color,
        Column::Size,
        Column::Sku,
        Column::Price,
        Column::OnHand,
        Column::Sold,
        Column::Location,
        Column::Updated,
    ];

    fn key(self) -> &'static str {
        match self {
            Column::Name => "name",
            Column::Brand => "brand",
            Column::Category => "category",
            Column::Color => "color",
            Column::Size => "size",
            Column::Sku => "sku",
            Column::Price => "price",
            Column::OnHand => "on_hand",
            Column::Sold => "sold",
            Column::Location => "location",
            Column::Updated => "updated",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Column::Name => "Name",
            Column::Brand => "Brand",
            Column::Category => "Category",
            Column::Color => "Color",
            Column::Size => "Size",
            Column::Sku => "SKU",
            Column::Price => "Price",
            Column::OnHand => "On hand",
            Column::Sold => "Sold",
            Column::Location => "Location",
            Column::Updated => "Last updated",
        }
    }

    fn parse(key: &str) -> Option<Column> {
        Column::ALL.into_iter().find(|column| column.key().eq_ignore_ascii_case(key.trim()))
    }

    /// Ascending; text ignoring case, sizes in natural size order; rows
    /// with no brand or no time after the others.
    fn compare(self, a: &Item<'_>, b: &Item<'_>) -> Ordering {
        let text = |x: &str, y: &str| x.to_lowercase().cmp(&y.to_lowercase());
        let (x, y) = (a.row, b.row);
        match self {
            Column::Name => text(&x.name, &y.name),
            Column::Brand => match (a.brand, b.brand) {
                (Some(p), Some(q)) => text(p.name(), q.name()),
                (p, q) => p.is_none().cmp(&q.is_none()),
            },
            Column::Category => text(&x.category, &y.category),
            Column::Color => text(&x.color, &y.color),
            Column::Size => compare_sizes(&x.size, &y.size),
            Column::Sku => text(x.sku.as_str(), y.sku.as_str()),
            Column::Price => x.retail_price_cents.cmp(&y.retail_price_cents),
            Column::OnHand => x.qty_on_hand.cmp(&y.qty_on_hand),
            Column::Sold => x.qty_sold.cmp(&y.qty_sold),
            Column::Location => text(&x.location, &y.location),
            Column::Updated => match (x.last_updated, y.last_updated) {
                (Some(p), Some(q)) => p.cmp(&q),
                (p, q) => p.is_none().cmp(&q.is_none()),
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Ascending,
    Descending,
}

/// The parsed query: what to show and in which order.
#[derive(Debug, Clone)]
struct View {
    query: String,
    kind: Kind,
    /// `None`: the Inventory order (Category, Name, natural Size).
    sort: Option<(Column, Direction)>,
}

impl View {
    fn from_params(params: &ViewParams) -> View {
        let query = params.q.as_deref().unwrap_or_default().trim().to_owned();
        let kind = params.kind.as_deref().and_then(Kind::parse).unwrap_or(Kind::All);
        let direction = match params.dir.as_deref().map(str::trim) {
            Some(dir) if dir.eq_ignore_ascii_case("desc") => Direction::Descending,
            _ => Direction::Ascending,
        };
        let sort = params.sort.as_deref().and_then(Column::parse).map(|column| (column, direction));
        View { query, kind, sort }
    }

    /// The query string that gives this view (without `?`), for links.
    fn query_string(&self) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if !self.query.is_empty() {
            query.append_pair("q", &self.query);
        }
        if self.kind != Kind::All {
            query.append_pair("kind", self.kind.key());
        }
        if let Some((column, direction)) = self.sort {
            query.append_pair("sort", column.key());
            query.append_pair("dir", if direction == Direction::Descending { "desc" } else { "asc" });
        }
        query.finish()
    }

    fn link(&self, path: &str) -> String {
        let query = self.query_string();
        if query.is_empty() { path.to_owned() } else { format!("{path}?{query}") }
    }
}

/// A row with what the page derives from it.
struct Item<'a> {
    row: &'a InventoryRow,
    brand: Option<Brand>,
    /// The sizes in stock of its product, as shown.
    sizes: Option<&'a str>,
}

/// The rows the view shows, in the order it shows them. The workbook's rows
/// are in the Inventory order; the sort is stable, so ties keep that order.
fn shown<'a>(workbook: &'a Workbook, view: &View) -> Vec<Item<'a>> {
    let query = SearchQuery::parse(&view.query);
    let mut items: Vec<Item<'a>> = (0..workbook.rows.len())
        .filter(|&index| view.kind.shows(workbook.kinds[index]))
        .filter(|&index| query.matches(&workbook.search[index]))
        .map(|index| Item {
            row: &workbook.rows[index],
            brand: workbook.search[index].brand(),
            sizes: workbook.sizes[index].as_deref(),
        })
        .collect();
    if let Some((column, direction)) = view.sort {
        items.sort_by(|a, b| {
            let order = column.compare(a, b);
            if direction == Direction::Descending { order.reverse() } else { order }
        });
    }
    items
}

/// The workbook as the page needs it, with what every view derives from
/// its rows worked out once per read (at 100,000 rows, per view it would
/// cost a quarter of a second).
struct Workbook {
    rows: Vec<InventoryRow>,
    config: frontdesk_inventory::Config,
    /// Per row: its searchable text (and brand), and its kind.
    search: Vec<SearchText>,
    kinds: Vec<Option<ProductKind>>,
    /// Per row: the sizes in stock of its product (name and color), as shown.
    sizes: Vec<Option<Arc<str>>>,
    totals: Totals,
}

impl Workbook {
    fn new(rows: Vec<InventoryRow>, config: frontdesk_inventory::Config) -> Workbook {
        let search = rows.iter().map(SearchText::of).collect();
        let kinds = rows.iter().map(|row| kind_of(&row.category)).collect();
        let in_stock = sizes_in_stock(&rows);
        let shown: HashMap<&(String, String), Arc<str>> =
            in_stock.iter().map(|(product, sizes)| (product, Arc::from(sizes.join(" · ")))).collect();
        let sizes = rows.iter().map(|row| shown.get(&product_key(row)).cloned()).collect();
        let totals = totals(&rows, &config);
        Workbook { rows, config, search, kinds, sizes, totals }
    }
}

async fn read_workbook(sink: &dyn SheetSink) -> Result<Workbook, WebError> {
    let sheets = sink.read(&[INVENTORY_SHEET, CONFIG_SHEET]).await?;
    let sheet = |name: &str| sheets.iter().find(|s| s.name == name).map(|s| s.rows.as_slice()).unwrap_or(&[]);
    let mut rows = read_inventory(sheet(INVENTORY_SHEET)).map_err(WebError::Worksheet)?.rows;
    sort_rows(&mut rows);
    let (config, _warnings) = read_config(sheet(CONFIG_SHEET));
    Ok(Workbook::new(rows, config))
}

async fn export(State(app): State<Arc<App>>, Query(params): Query<ViewParams>) -> Result<Response, WebError> {
    let workbook = app.workbook().await?;
    let view = View::from_params(&params);
    let rows: Vec<InventoryRow> = shown(&workbook, &view).into_iter().map(|item| item.row.clone()).collect();
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
            (header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"inventory.csv\"")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        export_csv(&rows),
    )
        .into_response())
}

// ---------------------------------------------------------------------------
// POST /sync

/// `POST /sync`: checks the token, runs one sync (or finds one running)
/// and sends the browser back to the page it came from.
async fn sync_now(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Result<Response, WebError> {
    let Some(expected) = &app.sync_token else {
        return Err(WebError::SyncDisabled);
    };
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim_start().starts_with("application/x-www-form-urlencoded"));
    let form: HashMap<String, String> =
        if is_form { url::form_urlencoded::parse(&body).into_owned().collect() } else { HashMap::new() };
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    let given = bearer.or(form.get("token").map(String::as_str)).unwrap_or_default();
    if !token_matches(expected, given) {
        return Err(WebError::WrongToken);
    }
    let outcome = app.syncer.run(Trigger::Button).await;
    let view = View::from_params(&ViewParams {
        q: form.get("q").cloned(),
        kind: form.get("kind").cloned(),
        sort: form.get("sort").cloned(),
        dir: form.get("dir").cloned(),
        sync: None,
        page: None,
    });
    let said = match outcome {
        SyncOutcome::Synced(_) => "done",
        SyncOutcome::Failed(_) => "failed",
        SyncOutcome::AlreadyRunning => "busy",
    };
    let query = view.query_string();
    let location = if query.is_empty() { format!("/?sync={said}") } else { format!("/?{query}&sync={said}") };
    Ok(Redirect::to(&location).into_response())
}

/// Constant time in the token's contents (its length may show).
fn token_matches(expected: &SecretString, given: &str) -> bool {
    let expected = expected.expose_secret().as_bytes();
    !given.is_empty() && bool::from(expected.ct_eq(given.as_bytes()))
}

// ---------------------------------------------------------------------------
// The page.

/// HTML built from static markup (`tag`, which takes only `&'static str`,
/// so nothing read at run time can slip in unescaped) and escaped text
/// (`text`, safe in element content and in double-quoted attributes).
struct Html {
    out: String,
}

impl Html {
    fn new() -> Html {
        Html { out: String::with_capacity(64 * 1024) }
    }

    fn tag(&mut self, markup: &'static str) -> &mut Html {
        self.out.push_str(markup);
        self
    }

    fn text(&mut self, text: &str) -> &mut Html {
        for c in text.chars() {
            match c {
                '&' => self.out.push_str("&amp;"),
                '<' => self.out.push_str("&lt;"),
                '>' => self.out.push_str("&gt;"),
                '"' => self.out.push_str("&quot;"),
                '\'' => self.out.push_str("&#39;"),
                c => self.out.push(c),
            }
        }
        self
    }

    fn document_start(&mut self, title: &str) {
        self.tag("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
            .tag("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .tag("<link rel=\"stylesheet\" href=\"/assets/app.css\"><title>")
            .text(title)
            .tag("</title></head><body>");
    }

    fn document_end(&mut self) {
        self.tag("</body></html>\n");
    }

    fn into_response(self) -> Response {
        (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
            self.out,
        )
            .into_response()
    }
}

/// `1234567` → `1,234,567`.
fn grouped(number: u128) -> String {
    let digits = number.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// Cents as money: `$1,234.50`, `-$0.05`. The workbook has no currency
/// column; the page writes dollars.
fn money(cents: i128) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let magnitude = cents.unsigned_abs();
    format!("{sign}${}.{:02}", grouped(magnitude / 100), magnitude % 100)
}

fn timestamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// Each product's sizes with stock, in natural size order. A product is a
/// Name and Color (case and surrounding spaces aside); computed over the
/// whole inventory, so a filter does not hide a size that is on the shelf.
fn sizes_in_stock(rows: &[InventoryRow]) -> HashMap<(String, String), Vec<&str>> {
    let mut sizes: HashMap<(String, String), Vec<&str>> = HashMap::new();
    for row in rows.iter().filter(|row| row.qty_on_hand > 0) {
        sizes.entry(product_key(row)).or_default().push(row.size.trim());
    }
    for list in sizes.values_mut() {
        list.sort_by(|a, b| compare_sizes(a, b));
        list.dedup();
    }
    sizes
}

fn product_key(row: &InventoryRow) -> (String, String) {
    (row.name.trim().to_lowercase(), row.color.trim().to_lowercase())
}

struct Totals {
    skus: usize,
    units: u128,
    low_stock: usize,
    value_cents: i128,
}

fn totals(rows: &[InventoryRow], config: &frontdesk_inventory::Config) -> Totals {
    Totals {
        skus: rows.len(),
        units: rows.iter().map(|row| u128::from(row.qty_on_hand)).sum(),
        low_stock: rows.iter().filter(|row| is_low_stock(row, config)).count(),
        value_cents: rows.iter().map(|row| i128::from(row.retail_price_cents) * i128::from(row.qty_on_hand)).sum(),
    }
}

async fn inventory_page(State(app): State<Arc<App>>, Query(params): Query<ViewParams>) -> Result<Response, WebError> {
    let workbook = app.workbook().await?;
    let view = View::from_params(&params);
    let items = shown(&workbook, &view);
    let status = app.syncer.status();
    let mut page = Html::new();
    page.document_start("Inventory");
    page.tag("<header class=\"top\"><div class=\"brandline\"><h1>Inventory</h1><p class=\"last-sync\">");
    match status.last_sync {
        Some(at) => page.tag("Last sync ").text(&timestamp(at)),
        None => page.tag("Not synced yet"),
    };
    if app.syncer.is_running() {
        page.tag(" · <strong>syncing now…</strong>");
    }
    page.tag("</p></div>");
    render_sync_form(&mut page, &app, &view);
    page.tag("</header><main>");
    render_sync_message(&mut page, params.sync.as_deref(), &status);
    render_totals(&mut page, &workbook.totals);
    render_filters(&mut page, &view);
    page.tag("<p class=\"showing\"><span id=\"shown-count\">").text(&grouped(items.len() as u128));
    page.tag("</span> of ")
        .text(&grouped(workbook.rows.len() as u128))
        .tag(" items shown · <a class=\"export\" href=\"");
    page.text(&view.link("/export.csv")).tag("\" download>Export CSV</a></p>");
    let (rows, number, pages) = page_of(&items, params.page.as_deref());
    render_table(&mut page, &view, rows, &workbook);
    render_pager(&mut page, &view, number, pages);
    page.tag("</main>");
    page.document_end();
    Ok(page.into_response())
}

/// Previous and next links, when the matching rows take more than a page.
fn render_pager(page: &mut Html, view: &View, number: usize, pages: usize) {
    if pages < 2 {
        return;
    }
    let link = |n: usize| {
        let query = view.query_string();
        if query.is_empty() { format!("/?page={n}") } else { format!("/?{query}&page={n}") }
    };
    page.tag("<nav class=\"pager\" aria-label=\"Pages\">");
    if number > 1 {
        page.tag("<a rel=\"prev\" href=\"").text(&link(number - 1)).tag("\">← Previous</a>");
    }
    page.tag("<span id=\"page-of\">Page ").text(&number.to_string()).tag(" of ").text(&pages.to_string());
    page.tag("</span>");
    if number < pages {
        page.tag("<a rel=\"next\" href=\"").text(&link(number + 1)).tag("\">Next →</a>");
    }
    page.tag("</nav>");
}

fn render_sync_form(page: &mut Html, app: &App, view: &View) {
    let Some(token) = &app.sync_token else {
        page.tag("<p class=\"sync-off\">Sync now is off (set FRONTDESK_SYNC_TOKEN).</p>");
        return;
    };
    page.tag("<form class=\"sync\" method=\"post\" action=\"/sync\">");
    hidden_view_fields(page, view);
    page.tag("<label>Sync token <input type=\"password\" name=\"token\" autocomplete=\"current-password\" required");
    if app.prefill_token {
        page.tag(" value=\"").text(token.expose_secret()).tag("\"");
    }
    page.tag("></label><button type=\"submit\">Sync now</button></form>");
}

fn hidden_view_fields(page: &mut Html, view: &View) {
    if !view.query.is_empty() {
        page.tag("<input type=\"hidden\" name=\"q\" value=\"").text(&view.query).tag("\">");
    }
    if view.kind != Kind::All {
        page.tag("<input type=\"hidden\" name=\"kind\" value=\"").text(view.kind.key()).tag("\">");
    }
    if let Some((column, direction)) = view.sort {
        page.tag("<input type=\"hidden\" name=\"sort\" value=\"").text(column.key()).tag("\">");
        page.tag(if direction == Direction::Descending {
            "<input type=\"hidden\" name=\"dir\" value=\"desc\">"
        } else {
            "<input type=\"hidden\" name=\"dir\" value=\"asc\">"
        });
    }
}

fn render_sync_message(page: &mut Html, said: Option<&str>, status: &SyncStatus) {
    match said {
        Some("done") => {
            page.tag("<p class=\"notice notice-ok\" role=\"status\">Sync finished");
            if let Some(summary) = &status.last_summary {
                page.tag(": ").text(summary);
            }
            page.tag(".</p>");
        }
        Some("failed") => {
            page.tag("<p class=\"notice notice-error\" role=\"alert\">The sync failed");
            if let Some(error) = &status.last_error {
                page.tag(": ").text(error);
            }
            page.tag("</p>");
        }
        Some("busy") => {
            page.tag(
                "<p class=\"notice\" role=\"status\">A sync is already running; reload in a moment to see its result.</p>",
            );
        }
        _ => {}
    }
}

fn render_totals(page: &mut Html, totals: &Totals) {
    let cards = [
        ("SKUs", "total-skus", grouped(totals.skus as u128)),
        ("Units on hand", "total-units", grouped(totals.units)),
        ("Low stock", "total-low", grouped(totals.low_stock as u128)),
        ("Stock value", "total-value", money(totals.value_cents)),
    ];
    page.tag("<section class=\"totals\" aria-label=\"Totals\">");
    for (label, id, value) in cards {
        page.tag("<div class=\"total\"><p class=\"total-label\">").text(label);
        page.tag("</p><p class=\"total-value\" id=\"").text(id).tag("\">").text(&value).tag("</p></div>");
    }
    page.tag("</section>");
}

fn render_filters(page: &mut Html, view: &View) {
    page.tag("<nav class=\"kinds\" aria-label=\"Filter\">");
    for kind in Kind::ALL {
        let link = View { kind, ..view.clone() }.link("/");
        page.tag("<a href=\"").text(&link).tag("\"");
        if kind == view.kind {
            page.tag(" aria-current=\"page\"");
        }
        page.tag(">").text(kind.label()).tag("</a>");
    }
    page.tag("</nav>");
    page.tag("<form class=\"search\" method=\"get\" action=\"/\" role=\"search\">");
    page.tag("<label class=\"search-box\"><span>Search</span><input type=\"search\" name=\"q\" value=\"");
    page.text(&view.query).tag("\" placeholder=\"jordan, bape, fog, size 10, SKU…\"></label>");
    if view.kind != Kind::All {
        page.tag("<input type=\"hidden\" name=\"kind\" value=\"").text(view.kind.key()).tag("\">");
    }
    page.tag("<label><span>Sort</span><select name=\"sort\"><option value=\"\">Inventory order</option>");
    for column in Column::ALL {
        page.tag("<option value=\"").text(column.key()).tag("\"");
        if view.sort.is_some_and(|(sorted, _)| sorted == column) {
            page.tag(" selected");
        }
        page.tag(">").text(column.label()).tag("</option>");
    }
    page.tag("</select></label><label><span>Order</span><select name=\"dir\">");
    let descending = view.sort.is_some_and(|(_, direction)| direction == Direction::Descending);
    page.tag(if descending {
        "<option value=\"asc\">Ascending</option><option value=\"desc\" selected>Descending</option>"
    } else {
        "<option value=\"asc\" selected>Ascending</option><option value=\"desc\">Descending</option>"
    });
    page.tag("</select></label><button type=\"submit\">Show</button></form>");
}

fn render_table(page: &mut Html, view: &View, items: &[Item<'_>], workbook: &Workbook) {
    page.tag("<table class=\"inventory\"><thead><tr>");
    for column in Column::ALL {
        let current = view.sort.filter(|(sorted, _)| *sorted == column).map(|(_, direction)| direction);
        // A click sorts ascending, a second click on the same column descending.
        let next = if current == Some(Direction::Ascending) { Direction::Descending } else { Direction::Ascending };
        let link = View { sort: Some((column, next)), ..view.clone() }.link("/");
        page.tag("<th scope=\"col\"");
        match current {
            Some(Direction::Ascending) => page.tag(" aria-sort=\"ascending\""),
            Some(Direction::Descending) => page.tag(" aria-sort=\"descending\""),
            None => page,
        };
        page.tag("><a href=\"").text(&link).tag("\">").text(column.label());
        match current {
            Some(Direction::Ascending) => page.tag(" <span aria-hidden=\"true\">▲</span>"),
            Some(Direction::Descending) => page.tag(" <span aria-hidden=\"true\">▼</span>"),
            None => page,
        };
        page.tag("</a></th>");
    }
    page.tag("</tr></thead><tbody>");
    for item in items {
        render_row(page, item, workbook);
    }
    page.tag("</tbody></table>");
    if items.is_empty() {
        page.tag("<p class=\"empty\">Nothing matches");
        if !view.query.is_empty() {
            page.tag(" “").text(&view.query).tag("”");
        }
        page.tag(". <a href=\"/\">Show everything</a></p>");
    }
}

fn render_row(page: &mut Html, item: &Item<'_>, workbook: &Workbook) {
    let row = item.row;
    let low = is_low_stock(row, &workbook.config);
    page.tag("<tr data-sku=\"").text(row.sku.as_str()).tag("\"");
    if low {
        page.tag(" class=\"low\"");
    }
    page.tag(">");
    page.tag("<td data-label=\"Name\" class=\"name\"><span class=\"product\">").text(&row.name).tag("</span>");
    page.tag("<span class=\"sizes-in-stock\">");
    match item.sizes {
        Some(in_stock) => page.tag("Sizes in stock: ").text(in_stock),
        None => page.tag("No size in stock"),
    };
    page.tag("</span></td>");
    page.tag("<td data-label=\"Brand\">").text(item.brand.map(Brand::name).unwrap_or_default()).tag("</td>");
    page.tag("<td data-label=\"Category\">").text(&row.category).tag("</td>");
    page.tag("<td data-label=\"Color\">").text(&row.color).tag("</td>");
    page.tag("<td data-label=\"Size\">").text(&row.size).tag("</td>");
    page.tag("<td data-label=\"SKU\" class=\"sku\">").text(row.sku.as_str()).tag("</td>");
    page.tag("<td data-label=\"Price\" class=\"number\">").text(&money(i128::from(row.retail_price_cents)));
    page.tag("</td><td data-label=\"On hand\" class=\"number\">").text(&row.qty_on_hand.to_string());
    if row.qty_on_hand == 0 {
        page.tag(" <span class=\"badge badge-out\">Sold out</span>");
    } else if low {
        page.tag(" <span class=\"badge badge-low\">Low</span>");
    }
    page.tag("</td><td data-label=\"Sold\" class=\"number\">").text(&row.qty_sold.to_string()).tag("</td>");
    page.tag("<td data-label=\"Location\">").text(&row.location).tag("</td>");
    page.tag("<td data-label=\"Last updated\">");
    if let Some(at) = row.last_updated {
        page.tag("<time datetime=\"").text(&at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)).tag("\">");
        page.text(&timestamp(at)).tag("</time>");
    }
    page.tag("</td></tr>");
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn humane_durations() {
        let cases: [(&str, Result<u64, &str>); 12] = [
            ("15m", Ok(900)),
            ("1h", Ok(3600)),
            ("1h30m", Ok(5400)),
            (" 1h 30m ", Ok(5400)),
            ("90s", Ok(90)),
            ("2d", Ok(172_800)),
            ("1H", Ok(3600)),
            ("15", Err("use a number and a unit")),
            ("m", Err("use a number and a unit")),
            ("1w", Err("use a number and a unit")),
            ("0m", Err("more than zero")),
            ("366d", Err("at most 365 days")),
        ];
        for (raw, expected) in cases {
            match (parse_every(raw), expected) {
                (Ok(got), Ok(seconds)) => assert_eq!(got, Duration::from_secs(seconds), "{raw:?}"),
                (Err(got), Err(says)) => assert!(got.contains(says), "{raw:?}: {got}"),
                (got, expected) => panic!("{raw:?}: got {got:?}, expected {expected:?}"),
            }
        }
        assert!(parse_every("99999999999999999999d").is_err(), "overflow is an error, not a panic");
        for seconds in [90, 900, 3600, 5400, 90_061] {
            let every = Duration::from_secs(seconds);
            assert_eq!(parse_every(&format_every(every)), Ok(every), "{}", format_every(every));
        }
        assert_eq!(format_every(Duration::from_secs(5400)), "1h30m");
    }

    #[test]
    fn money_and_numbers_are_grouped() {
        let cases = [(0, "$0.00"), (5, "$0.05"), (-5, "-$0.05"), (11_500, "$115.00"), (123_456_789, "$1,234,567.89")];
        for (cents, expected) in cases {
            assert_eq!(money(cents), expected);
        }
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(1_234_567), "1,234,567");
    }

    #[test]
    fn text_is_escaped_and_tags_are_not() {
        let mut html = Html::new();
        html.tag("<p title=\"").text("\"><script>x</script>").tag("\">").text("Tom & Jerry's").tag("</p>");
        assert_eq!(html.out, "<p title=\"&quot;&gt;&lt;script&gt;x&lt;/script&gt;\">Tom &amp; Jerry&#39;s</p>");
    }

    #[test]
    fn a_view_round_trips_through_its_query_string() {
        let params = ViewParams {
            q: Some(" air jordan & co ".into()),
            kind: Some("Sneakers".into()),
            sort: Some("price".into()),
            dir: Some("desc".into()),
            sync: None,
            page: None,
        };
        let view = View::from_params(&params);
        assert_eq!(view.query_string(), "q=air+jordan+%26+co&kind=sneakers&sort=price&dir=desc");
        let unknown = View::from_params(&ViewParams {
            kind: Some("boats".into()),
            sort: Some("colour".into()),
            ..ViewParams::default()
        });
        assert_eq!(unknown.query_string(), "", "unknown values fall back to the defaults");
    }

    #[test]
    fn tokens_must_match_exactly() {
        let token = SecretString::from("s3cret".to_owned());
        assert!(token_matches(&token, "s3cret"));
        for wrong in ["", "s3cre", "s3cret!", "S3CRET"] {
            assert!(!token_matches(&token, wrong), "{wrong:?}");
        }
    }
}
