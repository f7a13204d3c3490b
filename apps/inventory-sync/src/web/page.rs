//! The inventory page: HTML built so that nothing read at run time goes
//! out unescaped (`Html`), and the page rendered from a view of the
//! workbook.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use frontdesk_inventory::{Brand, InventoryRow, is_low_stock};
use secrecy::ExposeSecret;

use super::routes::{App, WebError};
use super::syncer::SyncStatus;
use super::view::{Column, Direction, Item, Kind, Stock, Totals, View, ViewParams, Workbook, page_of, shown};

/// HTML built from static markup (`tag`, which takes only `&'static str`,
/// so nothing read at run time can slip in unescaped) and escaped text
/// (`text`, safe in element content and in double-quoted attributes).
pub(super) struct Html {
    out: String,
}

impl Html {
    pub(super) fn new() -> Html {
        Html { out: String::with_capacity(64 * 1024) }
    }

    pub(super) fn tag(&mut self, markup: &'static str) -> &mut Html {
        self.out.push_str(markup);
        self
    }

    pub(super) fn text(&mut self, text: &str) -> &mut Html {
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

    pub(super) fn document_start(&mut self, title: &str) {
        self.tag("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
            .tag("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .tag("<link rel=\"stylesheet\" href=\"/assets/app.css\"><title>")
            .text(title)
            .tag("</title></head><body>");
    }

    pub(super) fn document_end(&mut self) {
        self.tag("</body></html>\n");
    }

    pub(super) fn into_response(self) -> Response {
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

/// A page that says one thing: a title, an explanation, and the way back.
pub(super) fn message_page(status: StatusCode, title: &str, message: &str) -> Response {
    let mut page = Html::new();
    page.document_start(title);
    page.tag("<main class=\"message\"><h1>").text(title).tag("</h1><p class=\"explanation\">");
    page.text(message);
    page.tag("</p><p><a href=\"/\">Back to the inventory</a></p></main>");
    page.document_end();
    (status, page.into_response()).into_response()
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

/// A day in the shop's zone: `3 Nov 2026`.
fn day(at: DateTime<Utc>, zone: chrono_tz::Tz) -> String {
    at.with_timezone(&zone).format("%-d %b %Y").to_string()
}

/// Over which period the Sold column counts, or that it is not known.
fn render_sold_since(page: &mut Html, since: Option<&str>) {
    page.tag("<p class=\"sold-since\" id=\"sold-since\">");
    match since {
        Some(since) => page.tag("Sold counts the units sold (returns taken off) since ").text(since).tag("."),
        None => page.tag(
            "Sold counts the units sold (returns taken off) since the sync began counting them; \
             when that was is not recorded yet.",
        ),
    };
    page.tag("</p>");
}

/// A time in the shop's zone, with the zone's abbreviation (`EST`, `UTC`).
fn timestamp(at: DateTime<Utc>, zone: chrono_tz::Tz) -> String {
    at.with_timezone(&zone).format("%Y-%m-%d %H:%M %Z").to_string()
}

pub(super) async fn inventory_page(
    State(app): State<Arc<App>>,
    Query(params): Query<ViewParams>,
) -> Result<Response, WebError> {
    let workbook = app.workbook().await?;
    let view = View::from_params(&params);
    let items = shown(&workbook, &view);
    let status = app.syncer.status();
    let mut page = Html::new();
    let heading = match &app.shop_name {
        Some(name) => format!("{name} · Inventory"),
        None => "Inventory".to_owned(),
    };
    page.document_start(&heading);
    page.tag("<header class=\"top\"><div class=\"brandline\"><h1>").text(&heading);
    page.tag("</h1><p class=\"last-sync\">");
    match status.last_sync {
        Some(at) => page.tag("Last sync ").text(&timestamp(at, app.zone)),
        None => page.tag("Not synced yet"),
    };
    if app.syncer.is_running() {
        page.tag(" · <strong>syncing now…</strong>");
    }
    if app.lightspeed.is_some() {
        page.tag(" · <a class=\"connect\" href=\"/lightspeed/connect\">Connect Lightspeed</a>");
    }
    page.tag("</p></div>");
    render_sync_form(&mut page, &app, &view);
    page.tag("</header><main>");
    if params.lightspeed.as_deref() == Some("connected") && app.lightspeed.is_some() {
        page.tag(
            "<p class=\"notice notice-ok\" role=\"status\">Connected to Lightspeed: the till's refresh token is \
             stored, so syncs read the till from now on. Sync now, or wait for the next scheduled sync.</p>",
        );
    }
    render_sync_message(&mut page, params.sync.as_deref(), &status);
    render_totals(&mut page, &workbook.totals, &view);
    let sold_since = status.sales_since.map(|since| day(since, app.zone));
    render_sold_since(&mut page, sold_since.as_deref());
    render_filters(&mut page, &view);
    page.tag("<p class=\"showing\"><span id=\"shown-count\">").text(&grouped(items.len() as u128));
    page.tag("</span> of ").text(&grouped(workbook.models.len() as u128)).tag(" models shown");
    if items.iter().any(|item| item.matched.is_some()) {
        page.tag(
            " · <span class=\"match-note\">the sizes that match are <span class=\"chip chip-match\">outlined</span>, \
             the model's other sizes dimmed</span>",
        );
    }
    page.tag(" · <a class=\"export\" href=\"");
    page.text(&view.link("/export.csv")).tag("\" download>Export CSV</a></p>");
    let (rows, number, pages) = page_of(&items, params.page.as_deref());
    render_table(&mut page, &view, rows, &workbook, app.zone, sold_since.as_deref());
    render_pager(&mut page, &view, number, pages);
    render_restock(&mut page, &workbook);
    page.tag("</main>");
    page.document_end();
    Ok(page.into_response())
}

/// The RestockList the last sync wrote: what to order, sold out first.
fn render_restock(page: &mut Html, workbook: &Workbook) {
    page.tag("<section class=\"restock\" id=\"restock\" aria-labelledby=\"restock-title\">");
    page.tag("<h2 id=\"restock-title\">Restock list</h2>");
    if workbook.restock.is_empty() {
        page.tag("<p class=\"restock-empty\">Nothing to reorder: every item is above the low-stock threshold ");
        page.text(&format!("({}).", workbook.config.low_stock_threshold)).tag("</p></section>");
        return;
    }
    let units: u64 = workbook.restock.iter().filter_map(|line| line.suggested.parse::<u64>().ok()).sum();
    page.tag("<p class=\"restock-summary\">").text(&grouped(workbook.restock.len() as u128));
    page.tag(" items to reorder, ").text(&grouped(u128::from(units))).tag(" units in all.</p>");
    page.tag("<div class=\"restock-scroll\"><table class=\"restock-list\"><thead><tr><th scope=\"col\">Item</th><th scope=\"col\">Size</th>");
    page.tag("<th scope=\"col\">SKU</th><th scope=\"col\" class=\"number\">On hand</th>");
    page.tag("<th scope=\"col\" class=\"number\">Order</th><th scope=\"col\">Location</th></tr></thead><tbody>");
    for line in workbook.restock.iter().take(RESTOCK_ON_PAGE) {
        page.tag("<tr data-restock-sku=\"").text(&line.sku).tag("\"><td data-label=\"Item\">").text(&line.name);
        page.tag("</td><td data-label=\"Size\">").text(&line.size);
        page.tag("</td><td data-label=\"SKU\">").text(&line.sku);
        page.tag("</td><td data-label=\"On hand\" class=\"number\">").text(&line.on_hand);
        page.tag("</td><td data-label=\"Order\" class=\"number\">").text(&line.suggested);
        page.tag("</td><td data-label=\"Location\">").text(&line.location).tag("</td></tr>");
    }
    page.tag("</tbody></table></div>");
    if workbook.restock.len() > RESTOCK_ON_PAGE {
        page.tag("<p class=\"restock-more\">The ").text(&RESTOCK_ON_PAGE.to_string());
        page.tag(" most urgent are shown. ");
        page.tag("<a href=\"/restock.csv\" download>Download the whole list</a> (");
        page.text(&grouped(workbook.restock.len() as u128)).tag(" items, CSV).</p>");
    }
    page.tag("</section>");
}

/// Restock lines shown on the page (sold out first); the rest are in
/// `/restock.csv`. A big shop's list would otherwise make every page
/// megabytes long.
pub(super) const RESTOCK_ON_PAGE: usize = 50;

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
    if view.stock != Stock::Any {
        page.tag("<input type=\"hidden\" name=\"stock\" value=\"").text(view.stock.key()).tag("\">");
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

/// The totals of the whole inventory. Low stock and Sold out count sizes,
/// and are filters: a click shows the models with such a size (in the
/// current search and kind), another click shows every model again.
fn render_totals(page: &mut Html, totals: &Totals, view: &View) {
    let count = |n: usize| grouped(n as u128);
    let models = |n: usize| if n == 1 { "1 model".to_owned() } else { format!("{} models", count(n)) };
    let cards = [
        (
            "Models",
            "total-models",
            count(totals.models),
            Some(("total-skus", count(totals.skus), " SKUs".to_owned())),
            None,
        ),
        ("Units on hand", "total-units", grouped(totals.units), None, None),
        (
            "Low stock",
            "total-low",
            count(totals.low_stock),
            Some(("total-low-models", models(totals.low_stock_models), String::new())),
            Some(Stock::Low),
        ),
        (
            "Sold out",
            "total-out",
            count(totals.sold_out),
            Some(("total-out-models", models(totals.sold_out_models), String::new())),
            Some(Stock::Out),
        ),
        ("Stock value", "total-value", money(totals.value_cents), None, None),
    ];
    page.tag("<section class=\"totals\" aria-label=\"Totals\">");
    for (label, id, value, detail, filter) in cards {
        match filter {
            Some(stock) => {
                let active = view.stock == stock;
                let target = View { stock: if active { Stock::Any } else { stock }, ..view.clone() };
                page.tag("<a class=\"total total-filter\" href=\"").text(&target.link("/")).tag("\"");
                page.tag(if active { " aria-current=\"true\"" } else { "" });
                page.tag(" title=\"")
                    .text(if active { "Show every model" } else { "Show only the models with such sizes" })
                    .tag("\">");
            }
            None => {
                page.tag("<div class=\"total\">");
            }
        }
        page.tag("<p class=\"total-label\">").text(label);
        page.tag("</p><p class=\"total-value\" id=\"").text(id).tag("\">").text(&value).tag("</p>");
        if let Some((detail_id, detail_value, after)) = detail {
            page.tag("<p class=\"total-detail\">");
            if filter.is_some() {
                page.tag("sizes, in ");
            }
            page.tag("<span id=\"").text(detail_id).tag("\">").text(&detail_value).tag("</span>").text(&after);
            page.tag("</p>");
        }
        page.tag(if filter.is_some() { "</a>" } else { "</div>" });
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
    for column in Column::ALL.into_iter().filter(|column| column.sorts()) {
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

fn render_table(
    page: &mut Html,
    view: &View,
    items: &[Item<'_>],
    workbook: &Workbook,
    zone: chrono_tz::Tz,
    sold_since: Option<&str>,
) {
    let sold_label = sold_since.map(|since| format!("Sold since {since}"));
    let sold_label = sold_label.as_deref().unwrap_or("Sold");
    page.tag("<table class=\"inventory\"><thead><tr>");
    for column in Column::ALL {
        if !column.sorts() {
            page.tag("<th scope=\"col\">").text(column.label()).tag("</th>");
            continue;
        }
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
        if let (Column::Sold, Some(since)) = (column, sold_since) {
            page.tag(" <span class=\"since\">since ").text(since).tag("</span>");
        }
        match current {
            Some(Direction::Ascending) => page.tag(" <span aria-hidden=\"true\">▲</span>"),
            Some(Direction::Descending) => page.tag(" <span aria-hidden=\"true\">▼</span>"),
            None => page,
        };
        page.tag("</a></th>");
    }
    page.tag("</tr></thead><tbody>");
    for item in items {
        render_model(page, item, workbook, zone, sold_label);
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

/// One model: its figures summed over its sizes, and one chip per size
/// with what is on hand (sold out and low stock marked; when the view
/// matched only some sizes, those outlined and the others dimmed).
fn render_model(page: &mut Html, item: &Item<'_>, workbook: &Workbook, zone: chrono_tz::Tz, sold_label: &str) {
    let model = item.model;
    let rows = &workbook.rows;
    let first = model.first(rows);
    page.tag("<tr data-model=\"").text(first.sku.as_str()).tag("\"");
    if model.low {
        page.tag(" class=\"low\"");
    }
    page.tag(">");
    page.tag("<td data-label=\"Name\" class=\"name\"><span class=\"product\">").text(&first.name).tag("</span></td>");
    page.tag("<td data-label=\"Brand\">").text(model.brand.map(Brand::name).unwrap_or_default()).tag("</td>");
    page.tag("<td data-label=\"Category\">").text(&first.category).tag("</td>");
    page.tag("<td data-label=\"Color\">").text(&first.color).tag("</td>");
    page.tag("<td data-label=\"Sizes\" class=\"sizes\"><ul class=\"chips\">");
    for (position, &index) in model.sizes.iter().enumerate() {
        render_chip(page, &rows[index], workbook, item.matched.as_ref().map(|_| item.matches(position)));
    }
    page.tag("</ul></td>");
    let (lowest, highest) = model.price_cents;
    page.tag("<td data-label=\"Price\" class=\"number\">").text(&money(i128::from(lowest)));
    if highest != lowest {
        page.tag("–").text(&money(i128::from(highest)));
    }
    page.tag("</td><td data-label=\"On hand\" class=\"number\">").text(&model.totals.on_hand.to_string());
    if model.totals.on_hand == 0 {
        page.tag(" <span class=\"badge badge-out\">Sold out</span>");
    } else if model.low {
        page.tag(" <span class=\"badge badge-low\">Low</span>");
    }
    page.tag("</td><td data-label=\"Stock value\" class=\"number\">").text(&money(model.totals.value_cents));
    page.tag("</td><td data-label=\"").text(sold_label).tag("\" class=\"number\">");
    page.text(&model.totals.sold.to_string()).tag("</td>");
    page.tag("<td data-label=\"Location\">").text(&model.location).tag("</td>");
    page.tag("<td data-label=\"Last updated\">");
    if let Some(at) = model.last_updated {
        page.tag("<time datetime=\"").text(&at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)).tag("\">");
        page.text(&timestamp(at, zone)).tag("</time>");
    }
    page.tag("</td></tr>");
}

/// One size: `9 ·2`. `matched`: `None` when the view matched every size of
/// the model, else whether it matched this one.
fn render_chip(page: &mut Html, row: &InventoryRow, workbook: &Workbook, matched: Option<bool>) {
    let size = if row.size.trim().is_empty() { "One size" } else { row.size.trim() };
    let (class, stock) = if row.qty_on_hand == 0 {
        ("chip chip-out", "sold out")
    } else if is_low_stock(row, &workbook.config) {
        ("chip chip-low", "low stock")
    } else {
        ("chip", "in stock")
    };
    page.tag("<li class=\"").tag(class);
    match matched {
        Some(true) => page.tag(" chip-match"),
        Some(false) => page.tag(" chip-other"),
        None => page,
    };
    page.tag("\" data-sku=\"").text(row.sku.as_str()).tag("\" title=\"");
    page.text(&format!("Size {size}: {} on hand ({stock}), {} sold · SKU {}", row.qty_on_hand, row.qty_sold, row.sku));
    page.tag("\"><span class=\"chip-size\">").text(size).tag("</span> <span class=\"chip-qty\">·");
    page.text(&row.qty_on_hand.to_string()).tag("</span></li>");
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

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
}
