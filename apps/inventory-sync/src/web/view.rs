//! What is shown: search, filter, sort, pages, and what every view derives
//! from the workbook once per read.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use frontdesk_inventory::{
    Brand, CONFIG_SHEET, INVENTORY_SHEET, InventoryRow, ProductKind, RESTOCK_SHEET, SearchQuery, SearchText, SheetSink,
    compare_sizes, is_low_stock, kind_of, read_config, read_inventory, sort_rows,
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
}

/// Rows per page: a big shop's 100,000 variants would be tens of megabytes
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
    /// At or under the Config sheet's low-stock threshold (sold out included).
    Low,
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

    fn shows(self, row: &InventoryRow, config: &frontdesk_inventory::Config) -> bool {
        match self {
            Stock::Any => true,
            Stock::Low => is_low_stock(row, config),
            Stock::Out => row.qty_on_hand == 0,
        }
    }
}

/// The sortable columns, in table order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Column {
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
    pub(super) const ALL: [Column; 11] = [
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

    pub(super) fn key(self) -> &'static str {
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

    pub(super) fn label(self) -> &'static str {
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

/// A row with what the page derives from it.
pub(super) struct Item<'a> {
    pub(super) row: &'a InventoryRow,
    pub(super) brand: Option<Brand>,
    /// The sizes in stock of its product, as shown.
    pub(super) sizes: Option<&'a str>,
}

/// The rows the view shows, in the order it shows them. The workbook's rows
/// are in the Inventory order; the sort is stable, so ties keep that order.
pub(super) fn shown<'a>(workbook: &'a Workbook, view: &View) -> Vec<Item<'a>> {
    let query = SearchQuery::parse(&view.query);
    let mut items: Vec<Item<'a>> = (0..workbook.rows.len())
        .filter(|&index| view.kind.shows(workbook.kinds[index]))
        .filter(|&index| view.stock.shows(&workbook.rows[index], &workbook.config))
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
pub(super) struct Workbook {
    pub(super) rows: Vec<InventoryRow>,
    pub(super) config: frontdesk_inventory::Config,
    /// Per row: its searchable text (and brand), and its kind.
    search: Vec<SearchText>,
    kinds: Vec<Option<ProductKind>>,
    /// Per row: the sizes in stock of its product (name and color), as shown.
    sizes: Vec<Option<Arc<str>>>,
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
    fn new(rows: Vec<InventoryRow>, config: frontdesk_inventory::Config, restock: Vec<RestockLine>) -> Workbook {
        let search = rows.iter().map(SearchText::of).collect();
        let kinds = rows.iter().map(|row| kind_of(&row.category)).collect();
        let in_stock = sizes_in_stock(&rows);
        let shown: HashMap<&(String, String), Arc<str>> =
            in_stock.iter().map(|(product, sizes)| (product, Arc::from(sizes.join(" · ")))).collect();
        let sizes = rows.iter().map(|row| shown.get(&product_key(row)).cloned()).collect();
        let totals = totals(&rows, &config);
        Workbook { rows, config, search, kinds, sizes, totals, restock }
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

pub(super) struct Totals {
    pub(super) skus: usize,
    pub(super) units: u128,
    pub(super) low_stock: usize,
    pub(super) sold_out: usize,
    pub(super) value_cents: i128,
}

fn totals(rows: &[InventoryRow], config: &frontdesk_inventory::Config) -> Totals {
    Totals {
        skus: rows.len(),
        units: rows.iter().map(|row| u128::from(row.qty_on_hand)).sum(),
        low_stock: rows.iter().filter(|row| Stock::Low.shows(row, config)).count(),
        sold_out: rows.iter().filter(|row| Stock::Out.shows(row, config)).count(),
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
