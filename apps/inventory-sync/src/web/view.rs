//! What is shown: search, filter, sort, pages, and what every view derives
//! from the workbook once per read.
//!
//! The page shows one line per model (the domain's `group_models`: a
//! product's sizes taken together). Search and filters look at each size: a
//! model is shown when at least one of its sizes matches, and the view says
//! which sizes matched (`Item::matched`), so a search for `size 10` or the
//! Sold out filter shows each model once with the sizes it was found for
//! picked out among the others. The CSV export is the matching sizes, one
//! Inventory row each.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use frontdesk_inventory::{
    Brand, CONFIG_SHEET, Config, INVENTORY_SHEET, InventoryRow, ModelTotals, ProductKind, RESTOCK_SHEET, SearchQuery,
    SearchText, SheetSink, group_models, is_low_stock, kind_of, read_config, read_inventory, sort_rows,
};
use serde::Deserialize;

use super::routes::WebError;

/// The query of `/` and `/export.csv`; unknown values fall back to the
/// default rather than failing the page.
#[derive(Debug, Default, Deserialize)]
pub(super) struct ViewParams {
    pub(super) q: Option<String>,
    pub(super) kind: Option<String>,
    /// `low` or `out`: the rows the Low stock or Sold out total counts.
    pub(super) stock: Option<String>,
    pub(super) sort: Option<String>,
    pub(super) dir: Option<String>,
    /// How the sync just asked for went (`POST /sync` redirects with it).
    pub(super) sync: Option<String>,
    /// Which page of the matching rows, from 1.
    pub(super) page: Option<String>,
    /// `connected` after `/lightspeed/callback` connected the till.
    pub(super) lightspeed: Option<String>,
}

/// Models per page: a big shop's 100,000 variants would be tens of megabytes
/// of HTML on one page.
pub const ROWS_PER_PAGE: usize = 250;

/// The rows of page `requested` (from 1; anything unreadable is page 1, a
/// page past the end is the last page), with its number and the page count.
pub(super) fn page_of<'a, T>(items: &'a [T], requested: Option<&str>) -> (&'a [T], usize, usize) {
    let pages = items.len().div_ceil(ROWS_PER_PAGE).max(1);
    let page = requested.and_then(|p| p.trim().parse::<usize>().ok()).unwrap_or(1).clamp(1, pages);
    let start = (page - 1) * ROWS_PER_PAGE;
    (&items[start..(start + ROWS_PER_PAGE).min(items.len())], page, pages)
}

/// The filters of the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    All,
    Sneakers,
    Clothing,
}

impl Kind {
    pub(super) const ALL: [Kind; 3] = [Kind::All, Kind::Sneakers, Kind::Clothing];

    pub(super) fn key(self) -> &'static str {
        match self {
            Kind::All => "all",
            Kind::Sneakers => "sneakers",
            Kind::Clothing => "clothing",
        }
    }

    pub(super) fn label(self) -> &'static str {
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

/// The stock filter, set by clicking the Low stock or Sold out total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stock {
    Any,
    /// Models with a size at or under the Config sheet's low-stock
    /// threshold (sold out included).
    Low,
    /// Models with a sold-out size.
    Out,
}

impl Stock {
    pub(super) fn key(self) -> &'static str {
        match self {
            Stock::Any => "any",
            Stock::Low => "low",
            Stock::Out => "out",
        }
    }

    fn parse(key: &str) -> Option<Stock> {
        [Stock::Any, Stock::Low, Stock::Out].into_iter().find(|stock| stock.key().eq_ignore_ascii_case(key.trim()))
    }

    fn shows(self, row: &InventoryRow, config: &Config) -> bool {
        match self {
            Stock::Any => true,
            Stock::Low => is_low_stock(row, config),
            Stock::Out => row.qty_on_hand == 0,
        }
    }
}

/// The table's columns, in table order; all but Sizes sort.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Column {
    Name,
    Brand,
    Category,
    Color,
    Sizes,
    Price,
    OnHand,
    Value,
    Sold,
    Location,
    Updated,
}

impl Column {
    pub(super) const ALL: [Column; 11] = [
        Column::Name,
        Column::Brand,
        Column::Category,
        Column::Color,
        Column::Sizes,
        Column::Price,
        Column::OnHand,
        Column::Value,
        Column::Sold,
        Column::Location,
        Column::Updated,
    ];

    pub(super) fn key(self) -> &'static str {
        match self {
            Column::Name => "name",
            Column::Brand => "brand",
            Column::Category => "category",
            Column::Color => "color",
            Column::Sizes => "sizes",
            Column::Price => "price",
            Column::OnHand => "on_hand",
            Column::Value => "value",
            Column::Sold => "sold",
            Column::Location => "location",
            Column::Updated => "updated",
        }
    }

    pub(super) fn label(self) -> &'static str {
        match self {
            Column::Name => "Name",
            Column::Brand => "Brand",
            Column::Category => "Category",
            Column::Color => "Color",
            Column::Sizes => "Sizes",
            Column::Price => "Price",
            Column::OnHand => "On hand",
            Column::Value => "Stock value",
            Column::Sold => "Sold",
            Column::Location => "Location",
            Column::Updated => "Last updated",
        }
    }

    /// Sizes are chips, one per size: there is nothing to sort them by.
    pub(super) fn sorts(self) -> bool {
        self != Column::Sizes
    }

    fn parse(key: &str) -> Option<Column> {
        Column::ALL
            .into_iter()
            .filter(|column| column.sorts())
            .find(|column| column.key().eq_ignore_ascii_case(key.trim()))
    }

    /// Ascending; text ignoring case, a price range by its lowest price
    /// (then its highest); models with no brand or no time after the others.
    fn compare(self, a: &Model, b: &Model, rows: &[InventoryRow]) -> Ordering {
        let text = |x: &str, y: &str| x.to_lowercase().cmp(&y.to_lowercase());
        let (x, y) = (a.first(rows), b.first(rows));
        match self {
            Column::Name => text(&x.name, &y.name),
            Column::Brand => match (a.brand, b.brand) {
                (Some(p), Some(q)) => text(p.name(), q.name()),
                (p, q) => p.is_none().cmp(&q.is_none()),
            },
            Column::Category => text(&x.category, &y.category),
            Column::Color => text(&x.color, &y.color),
            Column::Sizes => Ordering::Equal,
            Column::Price => a.price_cents.cmp(&b.price_cents),
            Column::OnHand => a.totals.on_hand.cmp(&b.totals.on_hand),
            Column::Value => a.totals.value_cents.cmp(&b.totals.value_cents),
            Column::Sold => a.totals.sold.cmp(&b.totals.sold),
            Column::Location => text(&a.location, &b.location),
            Column::Updated => match (a.last_updated, b.last_updated) {
                (Some(p), Some(q)) => p.cmp(&q),
                (p, q) => p.is_none().cmp(&q.is_none()),
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Direction {
    Ascending,
    Descending,
}

/// The parsed query: what to show and in which order.
#[derive(Debug, Clone)]
pub(super) struct View {
    pub(super) query: String,
    pub(super) kind: Kind,
    pub(super) stock: Stock,
    /// `None`: the Inventory order (Category, Name, natural Size).
    pub(super) sort: Option<(Column, Direction)>,
}

impl View {
    pub(super) fn from_params(params: &ViewParams) -> View {
        let query = params.q.as_deref().unwrap_or_default().trim().to_owned();
        let kind = params.kind.as_deref().and_then(Kind::parse).unwrap_or(Kind::All);
        let stock = params.stock.as_deref().and_then(Stock::parse).unwrap_or(Stock::Any);
        let direction = match params.dir.as_deref().map(str::trim) {
            Some(dir) if dir.eq_ignore_ascii_case("desc") => Direction::Descending,
            _ => Direction::Ascending,
        };
        let sort = params.sort.as_deref().and_then(Column::parse).map(|column| (column, direction));
        View { query, kind, stock, sort }
    }

    /// The query string that gives this view (without `?`), for links.
    pub(super) fn query_string(&self) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if !self.query.is_empty() {
            query.append_pair("q", &self.query);
        }
        if self.kind != Kind::All {
            query.append_pair("kind", self.kind.key());
        }
        if self.stock != Stock::Any {
            query.append_pair("stock", self.stock.key());
        }
        if let Some((column, direction)) = self.sort {
            query.append_pair("sort", column.key());
            query.append_pair("dir", if direction == Direction::Descending { "desc" } else { "asc" });
        }
        query.finish()
    }

    pub(super) fn link(&self, path: &str) -> String {
        let query = self.query_string();
        if query.is_empty() { path.to_owned() } else { format!("{path}?{query}") }
    }
}

/// One model (a product in every size), with what the page derives from
/// its sizes.
pub(super) struct Model {
    /// Its rows, as indices into `Workbook::rows`, in natural size order.
    pub(super) sizes: Vec<usize>,
    pub(super) brand: Option<Brand>,
    /// On hand, sold and stock value, summed over its sizes.
    pub(super) totals: ModelTotals,
    /// The lowest and highest price of its sizes, in cents.
    pub(super) price_cents: (i64, i64),
    /// Its sizes' distinct locations, in size order.
    pub(super) location: String,
    /// When any of its sizes last changed.
    pub(super) last_updated: Option<DateTime<Utc>>,
    /// Whether a size is at or under the low-stock threshold.
    pub(super) low: bool,
}

impl Model {
    fn new(sizes: Vec<usize>, workbook_rows: &[InventoryRow], search: &[SearchText], config: &Config) -> Model {
        let rows = || sizes.iter().map(|&index| &workbook_rows[index]);
        let mut locations: Vec<&str> = Vec::new();
        for location in rows().map(|row| row.location.trim()).filter(|location| !location.is_empty()) {
            if !locations.contains(&location) {
                locations.push(location);
            }
        }
        let prices = rows().map(|row| row.retail_price_cents);
        Model {
            brand: sizes.first().and_then(|&index| search[index].brand()),
            totals: ModelTotals::of(rows()),
            price_cents: (prices.clone().min().unwrap_or_default(), prices.max().unwrap_or_default()),
            location: locations.join(" · "),
            last_updated: rows().filter_map(|row| row.last_updated).max(),
            low: rows().any(|row| is_low_stock(row, config)),
            sizes,
        }
    }

    /// The row that names the model (its Name, Category and Color).
    pub(super) fn first<'a>(&self, rows: &'a [InventoryRow]) -> &'a InventoryRow {
        // A model is made from at least one row.
        &rows[self.sizes[0]]
    }
}

/// A model the view shows, and which of its sizes matched the view.
pub(super) struct Item<'a> {
    pub(super) model: &'a Model,
    /// Positions in `model.sizes` that matched, when not all of them did.
    pub(super) matched: Option<Vec<usize>>,
}

impl Item<'_> {
    /// Whether the size at `position` in the model matched the view.
    pub(super) fn matches(&self, position: usize) -> bool {
        self.matched.as_ref().is_none_or(|matched| matched.contains(&position))
    }

    /// The matching sizes' rows, in size order.
    pub(super) fn matching_rows<'r>(&self, rows: &'r [InventoryRow]) -> impl Iterator<Item = &'r InventoryRow> {
        self.model
            .sizes
            .iter()
            .enumerate()
            .filter(|(position, _)| self.matches(*position))
            .map(move |(_, &index)| &rows[index])
    }
}

/// The models the view shows, in the order it shows them, each with the
/// sizes that matched. The models are in the Inventory order of their first
/// size; the sort is stable, so ties keep that order.
pub(super) fn shown<'a>(workbook: &'a Workbook, view: &View) -> Vec<Item<'a>> {
    let query = SearchQuery::parse(&view.query);
    let size_matches = |index: usize| {
        view.kind.shows(workbook.kinds[index])
            && view.stock.shows(&workbook.rows[index], &workbook.config)
            && query.matches(&workbook.search[index])
    };
    let mut matched: Vec<usize> = Vec::new();
    let mut items: Vec<Item<'a>> = Vec::new();
    for model in &workbook.models {
        matched.clear();
        matched.extend(model.sizes.iter().enumerate().filter(|(_, index)| size_matches(**index)).map(|(at, _)| at));
        if matched.is_empty() {
            continue;
        }
        let matched = (matched.len() < model.sizes.len()).then(|| matched.clone());
        items.push(Item { model, matched });
    }
    if let Some((column, direction)) = view.sort {
        items.sort_by(|a, b| {
            let order = column.compare(a.model, b.model, &workbook.rows);
            if direction == Direction::Descending { order.reverse() } else { order }
        });
    }
    items
}

/// The workbook as the page needs it, with what every view derives from
/// its rows worked out once per read (at 100,000 rows, per view it would
/// cost a quarter of a second).
pub(super) struct Workbook {
    pub(super) rows: Vec<InventoryRow>,
    pub(super) config: Config,
    /// Per row: its searchable text (and brand), and its kind.
    search: Vec<SearchText>,
    kinds: Vec<Option<ProductKind>>,
    /// The rows taken together by model, in the Inventory order.
    pub(super) models: Vec<Model>,
    pub(super) totals: Totals,
    /// The RestockList worksheet as the last sync wrote it.
    pub(super) restock: Vec<RestockLine>,
}

/// One line of the RestockList worksheet, as written there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct RestockLine {
    pub(super) sku: String,
    pub(super) name: String,
    pub(super) size: String,
    pub(super) on_hand: String,
    pub(super) suggested: String,
    pub(super) location: String,
}

/// The RestockList's lines, columns found by their header (an owner may
/// reorder them); nothing when the sheet is missing or has no SKU column.
fn restock_lines(sheet: &[Vec<String>]) -> Vec<RestockLine> {
    let Some((header, lines)) = sheet.split_first() else { return Vec::new() };
    let column = |name: &str| header.iter().position(|cell| cell.trim().eq_ignore_ascii_case(name));
    let Some(sku) = column("SKU") else { return Vec::new() };
    let [name, size, on_hand, suggested, location] =
        ["Name", "Size", "QtyOnHand", "SuggestedQty", "Location"].map(column);
    let cell = |line: &[String], index: Option<usize>| {
        index.and_then(|i| line.get(i)).map(|text| text.trim().to_owned()).unwrap_or_default()
    };
    lines
        .iter()
        .filter(|line| !cell(line, Some(sku)).is_empty())
        .map(|line| RestockLine {
            sku: cell(line, Some(sku)),
            name: cell(line, name),
            size: cell(line, size),
            on_hand: cell(line, on_hand),
            suggested: cell(line, suggested),
            location: cell(line, location),
        })
        .collect()
}

impl Workbook {
    fn new(rows: Vec<InventoryRow>, config: Config, restock: Vec<RestockLine>) -> Workbook {
        let search: Vec<SearchText> = rows.iter().map(SearchText::of).collect();
        let kinds = rows.iter().map(|row| kind_of(&row.category)).collect();
        let models: Vec<Model> =
            group_models(&rows).into_iter().map(|sizes| Model::new(sizes, &rows, &search, &config)).collect();
        let totals = totals(&rows, &models, &config);
        Workbook { rows, config, search, kinds, models, totals, restock }
    }
}

pub(super) async fn read_workbook(sink: &dyn SheetSink) -> Result<Workbook, WebError> {
    let sheets = sink.read(&[INVENTORY_SHEET, CONFIG_SHEET, RESTOCK_SHEET]).await?;
    let sheet = |name: &str| sheets.iter().find(|s| s.name == name).map(|s| s.rows.as_slice()).unwrap_or(&[]);
    let mut rows = read_inventory(sheet(INVENTORY_SHEET)).map_err(WebError::Worksheet)?.rows;
    sort_rows(&mut rows);
    let (config, _warnings) = read_config(sheet(CONFIG_SHEET));
    Ok(Workbook::new(rows, config, restock_lines(sheet(RESTOCK_SHEET))))
}

/// The totals of the whole inventory: sizes (SKUs) and the models they
/// make up.
pub(super) struct Totals {
    pub(super) skus: usize,
    pub(super) models: usize,
    pub(super) units: u128,
    /// Sizes at or under the threshold, and the models they belong to.
    pub(super) low_stock: usize,
    pub(super) low_stock_models: usize,
    pub(super) sold_out: usize,
    pub(super) sold_out_models: usize,
    pub(super) value_cents: i128,
}

fn totals(rows: &[InventoryRow], models: &[Model], config: &Config) -> Totals {
    let models_with = |stock: Stock| {
        models.iter().filter(|model| model.sizes.iter().any(|&index| stock.shows(&rows[index], config))).count()
    };
    Totals {
        skus: rows.len(),
        models: models.len(),
        units: rows.iter().map(|row| u128::from(row.qty_on_hand)).sum(),
        low_stock: rows.iter().filter(|row| Stock::Low.shows(row, config)).count(),
        low_stock_models: models_with(Stock::Low),
        sold_out: rows.iter().filter(|row| Stock::Out.shows(row, config)).count(),
        sold_out_models: models_with(Stock::Out),
        value_cents: rows.iter().map(|row| i128::from(row.retail_price_cents) * i128::from(row.qty_on_hand)).sum(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn restock_lines_are_read_by_their_header_whatever_the_column_order() {
        let cells = |row: &[&str]| row.iter().map(|cell| (*cell).to_owned()).collect::<Vec<_>>();
        let sheet = vec![
            cells(&["SuggestedQty", "Name", "SKU", "Size", "QtyOnHand"]),
            cells(&["6", "Dunk Low", "DD1391-100-10", "10", "0"]),
            cells(&["", "", "", "", ""]),
            cells(&["3", "Samba OG"]),
        ];
        let lines = restock_lines(&sheet);
        assert_eq!(lines.len(), 1, "blank lines and lines without a SKU are skipped: {lines:?}");
        assert_eq!(
            lines[0],
            RestockLine {
                sku: "DD1391-100-10".into(),
                name: "Dunk Low".into(),
                size: "10".into(),
                on_hand: "0".into(),
                suggested: "6".into(),
                location: String::new(),
            }
        );
        assert!(restock_lines(&[]).is_empty(), "no sheet yet");
        assert!(restock_lines(&[cells(&["Name", "Size"]), cells(&["x", "y"])]).is_empty(), "no SKU column");
    }

    #[test]
    fn a_view_round_trips_through_its_query_string() {
        let params = ViewParams {
            q: Some(" air jordan & co ".into()),
            kind: Some("Sneakers".into()),
            stock: Some("Low".into()),
            sort: Some("price".into()),
            dir: Some("desc".into()),
            sync: None,
            page: None,
            lightspeed: None,
        };
        let view = View::from_params(&params);
        assert_eq!(view.query_string(), "q=air+jordan+%26+co&kind=sneakers&stock=low&sort=price&dir=desc");
        let unknown = View::from_params(&ViewParams {
            kind: Some("boats".into()),
            sort: Some("colour".into()),
            ..ViewParams::default()
        });
        assert_eq!(unknown.query_string(), "", "unknown values fall back to the defaults");
    }
}
