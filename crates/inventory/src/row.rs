//! One row of the Inventory worksheet: a sellable variant (one size of one
//! shoe) with its stock, as the owner sees it, and the worksheet's layout.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::table::{
    ImportError, ImportErrors, ImportWarning, Table, format_cents, format_timestamp, parse_cents, parse_quantity,
    parse_required_text, parse_sku, parse_timestamp,
};

/// A stock-keeping unit: the key of a row. Never empty, never with
/// surrounding whitespace; case is kept and matters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sku(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SkuError {
    #[error("a SKU cannot be empty")]
    Empty,
}

impl Sku {
    /// Trims surrounding whitespace; empty is an error.
    pub fn parse(raw: &str) -> Result<Sku, SkuError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() { Err(SkuError::Empty) } else { Ok(Sku(trimmed.to_owned())) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Sku {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Sku {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// The worksheet's name in the owner's workbook.
pub const INVENTORY_SHEET: &str = "Inventory";

/// The Inventory worksheet's columns, in the order they are written.
pub const INVENTORY_HEADER: [&str; 12] = [
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
    "LastUpdated",
];

const ITEM_ID: usize = 0;
const SKU: usize = 1;
const NAME: usize = 2;
const CATEGORY: usize = 3;
const COLOR: usize = 4;
const SIZE: usize = 5;
const BARCODE: usize = 6;
const RETAIL_PRICE: usize = 7;
const QTY_ON_HAND: usize = 8;
const QTY_SOLD: usize = 9;
const LOCATION: usize = 10;
const LAST_UPDATED: usize = 11;

/// The columns a row cannot do without; the others default to empty (text),
/// 0 (RetailPrice, QtySold) or no time (LastUpdated).
const REQUIRED: [&str; 3] = ["SKU", "Name", "QtyOnHand"];

/// One sellable variant and its stock. Quantities are never negative: the
/// sync clamps (and reports) anything that would go below zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventoryRow {
    /// The till's product id; empty for a row the till does not know (yet).
    pub item_id: String,
    pub sku: Sku,
    pub name: String,
    /// The till's product type (`Sneakers`, `Hoodies`).
    pub category: String,
    pub color: String,
    pub size: String,
    pub barcode: String,
    /// Including tax, in cents; shown as `129.99`.
    pub retail_price_cents: i64,
    pub qty_on_hand: u32,
    /// Net units sold since the sync started counting (returns subtract).
    pub qty_sold: u32,
    /// Where the item is kept; maintained by the owner, never by the till.
    pub location: String,
    /// When any other value of the row last changed.
    pub last_updated: Option<DateTime<Utc>>,
}

impl InventoryRow {
    /// The row's cells in `INVENTORY_HEADER` order.
    pub fn to_sheet_row(&self) -> Vec<String> {
        vec![
            self.item_id.clone(),
            self.sku.to_string(),
            self.name.clone(),
            self.category.clone(),
            self.color.clone(),
            self.size.clone(),
            self.barcode.clone(),
            format_cents(self.retail_price_cents),
            self.qty_on_hand.to_string(),
            self.qty_sold.to_string(),
            self.location.clone(),
            self.last_updated.map(format_timestamp).unwrap_or_default(),
        ]
    }

    /// Whether every value but `last_updated` is the same.
    pub(crate) fn same_values(&self, other: &InventoryRow) -> bool {
        // Spelled out, so a new column cannot be forgotten here.
        let InventoryRow {
            item_id,
            sku,
            name,
            category,
            color,
            size,
            barcode,
            retail_price_cents,
            qty_on_hand,
            qty_sold,
            location,
            last_updated: _,
        } = self;
        *item_id == other.item_id
            && *sku == other.sku
            && *name == other.name
            && *category == other.category
            && *color == other.color
            && *size == other.size
            && *barcode == other.barcode
            && *retail_price_cents == other.retail_price_cents
            && *qty_on_hand == other.qty_on_hand
            && *qty_sold == other.qty_sold
            && *location == other.location
    }
}

/// Rows read from the Inventory worksheet or an imported file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    pub rows: Vec<InventoryRow>,
    pub warnings: Vec<ImportWarning>,
}

/// Reads Inventory rows: header first (columns by name, any order, case
/// and spaces ignored; SKU, Name and QtyOnHand required), blank rows
/// skipped, a repeated SKU skipped with a warning. Any invalid cell makes
/// the whole read fail, with every problem listed; no rows at all is an
/// empty inventory.
pub fn read_inventory(rows: &[Vec<String>]) -> Result<Import, ImportErrors> {
    let mut warnings = Vec::new();
    let table = match Table::read(rows, INVENTORY_SHEET, &INVENTORY_HEADER, &REQUIRED, &mut warnings) {
        Ok(Some(table)) => table,
        Ok(None) => return Ok(Import { rows: Vec::new(), warnings }),
        Err(errors) => return Err(ImportErrors { errors }),
    };
    let mut errors: Vec<ImportError> = Vec::new();
    let mut parsed = Vec::new();
    let mut first_row_of: std::collections::HashMap<Sku, usize> = std::collections::HashMap::new();
    for (row, cells) in table.data_rows(&mut warnings) {
        let mut cells = table.cells(row, cells, &mut errors);
        let sku = cells.required(SKU, parse_sku);
        let name = cells.required(NAME, parse_required_text);
        let retail_price_cents = cells.optional(RETAIL_PRICE, parse_cents, 0);
        let qty_on_hand = cells.required(QTY_ON_HAND, parse_quantity);
        let qty_sold = cells.optional(QTY_SOLD, parse_quantity, 0);
        let last_updated = cells.optional(LAST_UPDATED, |text| parse_timestamp(text).map(Some), None);
        let (Some(sku), Some(name), Some(retail_price_cents), Some(qty_on_hand), Some(qty_sold), Some(last_updated)) =
            (sku, name, retail_price_cents, qty_on_hand, qty_sold, last_updated)
        else {
            continue;
        };
        if let Some(&first_row) = first_row_of.get(&sku) {
            warnings.push(ImportWarning::DuplicateSku { row, first_row, sku });
            continue;
        }
        first_row_of.insert(sku.clone(), row);
        parsed.push(InventoryRow {
            item_id: cells.text(ITEM_ID),
            sku,
            name,
            category: cells.text(CATEGORY),
            color: cells.text(COLOR),
            size: cells.text(SIZE),
            barcode: cells.text(BARCODE),
            retail_price_cents,
            qty_on_hand,
            qty_sold,
            location: cells.text(LOCATION),
            last_updated,
        });
    }
    if errors.is_empty() { Ok(Import { rows: parsed, warnings }) } else { Err(ImportErrors { errors }) }
}

/// The Inventory worksheet: the header, then the rows as given.
pub fn inventory_sheet_rows(rows: &[InventoryRow]) -> Vec<Vec<String>> {
    let header = INVENTORY_HEADER.iter().map(|name| (*name).to_owned()).collect();
    std::iter::once(header).chain(rows.iter().map(InventoryRow::to_sheet_row)).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::table::CellProblem;

    /// A complete row for tests: `sku` with plausible values elsewhere.
    pub(crate) fn row(sku: &str) -> InventoryRow {
        InventoryRow {
            item_id: format!("id-{sku}"),
            sku: Sku::parse(sku).unwrap(),
            name: "Nike Dunk Low Retro".into(),
            category: "Sneakers".into(),
            color: "White/Black".into(),
            size: "9".into(),
            barcode: "195866000001".into(),
            retail_price_cents: 11_500,
            qty_on_hand: 7,
            qty_sold: 2,
            location: "Wall A".into(),
            last_updated: Some(Utc.with_ymd_and_hms(2026, 11, 24, 15, 0, 0).unwrap()),
        }
    }

    fn sheet(rows: &[&[&str]]) -> Vec<Vec<String>> {
        rows.iter().map(|row| row.iter().map(|cell| (*cell).to_owned()).collect()).collect()
    }

    #[test]
    fn skus_are_trimmed_and_never_empty() {
        let cases = [
            ("DD1391-100-9", Ok("DD1391-100-9")),
            ("  dd1391-100-9\t", Ok("dd1391-100-9")),
            ("", Err(SkuError::Empty)),
            (" \n", Err(SkuError::Empty)),
        ];
        for (raw, expected) in cases {
            assert_eq!(Sku::parse(raw).as_ref().map(Sku::as_str), expected.as_ref().map(|s| *s), "{raw:?}");
        }
    }

    #[test]
    fn a_row_is_written_in_header_order() {
        let cells = row("DD1391-100-9").to_sheet_row();
        assert_eq!(cells.len(), INVENTORY_HEADER.len());
        assert_eq!(
            cells,
            [
                "id-DD1391-100-9",
                "DD1391-100-9",
                "Nike Dunk Low Retro",
                "Sneakers",
                "White/Black",
                "9",
                "195866000001",
                "115.00",
                "7",
                "2",
                "Wall A",
                "2026-11-24T15:00:00Z"
            ]
        );
        let never = InventoryRow { last_updated: None, ..row("A") };
        assert_eq!(never.to_sheet_row()[LAST_UPDATED], "");
    }

    #[test]
    fn written_rows_read_back_exactly() {
        let tricky = InventoryRow {
            name: "Stüssy \"8 Ball\" Tee, washed\nblack ".into(),
            location: " back room ".into(),
            retail_price_cents: -50,
            qty_on_hand: 0,
            qty_sold: u32::MAX,
            last_updated: None,
            item_id: String::new(),
            ..row("ST-8BALL-M")
        };
        let rows = vec![row("A"), tricky];
        let read = read_inventory(&inventory_sheet_rows(&rows)).unwrap();
        assert_eq!(read.rows, rows);
        assert_eq!(read.warnings, []);
    }

    #[test]
    fn columns_are_found_by_name_in_any_order_and_missing_optional_ones_default() {
        let read = read_inventory(&sheet(&[
            &["qty on hand", "name", "SKU", "Location"],
            &["3", "Adidas Samba OG", "B75806-9", "Shelf 2"],
        ]))
        .unwrap();
        assert_eq!(
            read.rows,
            [InventoryRow {
                item_id: String::new(),
                sku: Sku::parse("B75806-9").unwrap(),
                name: "Adidas Samba OG".into(),
                category: String::new(),
                color: String::new(),
                size: String::new(),
                barcode: String::new(),
                retail_price_cents: 0,
                qty_on_hand: 3,
                qty_sold: 0,
                location: "Shelf 2".into(),
                last_updated: None,
            }]
        );
    }

    #[test]
    fn reading_an_empty_sheet_is_an_empty_inventory() {
        for rows in [sheet(&[]), sheet(&[&[""], &["", " "]]), sheet(&[&INVENTORY_HEADER])] {
            let read = read_inventory(&rows).unwrap();
            assert_eq!(read.rows, []);
            assert_eq!(read.warnings, []);
        }
    }

    #[test]
    fn every_bad_cell_is_reported_with_row_column_and_value() {
        let result = read_inventory(&sheet(&[
            &["SKU", "Name", "QtyOnHand", "RetailPrice", "QtySold", "LastUpdated"],
            &["A", "Dunk", "ten", "115.00", "1", ""],
            &["", "", "3", "$1,15", "-1", "yesterday"],
            &[],
            &["C", "Gazelle", "", "", "", ""],
        ]));
        let cell = |row, column, value: &str, problem| ImportError::Cell { row, column, value: value.into(), problem };
        assert_eq!(
            result.unwrap_err().errors,
            [
                cell(2, "QtyOnHand", "ten", CellProblem::NotAWholeNumber),
                cell(3, "SKU", "", CellProblem::Empty),
                cell(3, "Name", "", CellProblem::Empty),
                cell(3, "RetailPrice", "$1,15", CellProblem::NotAPrice),
                cell(3, "QtySold", "-1", CellProblem::Negative),
                cell(3, "LastUpdated", "yesterday", CellProblem::NotATimestamp),
                cell(5, "QtyOnHand", "", CellProblem::Empty),
            ]
        );
    }

    #[test]
    fn a_repeated_sku_keeps_the_first_row_and_warns() {
        let read = read_inventory(&sheet(&[
            &["SKU", "Name", "QtyOnHand"],
            &["A", "First", "1"],
            &["B", "Other", "2"],
            &[" A ", "Second", "3"],
        ]))
        .unwrap();
        let names: Vec<&str> = read.rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["First", "Other"]);
        assert_eq!(
            read.warnings,
            [ImportWarning::DuplicateSku { row: 4, first_row: 2, sku: Sku::parse("A").unwrap() }]
        );
        assert_eq!(read.warnings[0].to_string(), "row 4: SKU A is already on row 2; row 4 is skipped");
    }

    #[test]
    fn same_values_ignores_only_last_updated() {
        let a = row("A");
        assert!(a.same_values(&InventoryRow { last_updated: None, ..a.clone() }));
        assert!(!a.same_values(&InventoryRow { location: "Wall B".into(), ..a.clone() }));
        assert!(!a.same_values(&InventoryRow { qty_on_hand: 8, ..a.clone() }));
    }
}
