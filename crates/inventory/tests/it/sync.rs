//! One sync: read the worksheets, merge the till's products and stock,
//! reconcile its sales, build the RestockList, write the worksheets. Run
//! again, it changes nothing; the owner's edits survive it.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use frontdesk_inventory::{
    CONFIG_SHEET, INVENTORY_SHEET, InventoryRow, Product, RESTOCK_SHEET, ReconcileReport, SALES_LOG_SHEET, Sale,
    SaleLine, SaleStatus, StockLevel, TillData, append_sales_log, export_csv, import_csv, inventory_sheet_rows,
    merge_config, merge_inventory, read_config, read_inventory, read_sales_log, reconcile_sales, restock_list,
    restock_sheet_rows,
};

type Workbook = HashMap<&'static str, Vec<Vec<String>>>;

struct Feed {
    products: Vec<Product>,
    stock: Vec<StockLevel>,
    sales: Vec<Sale>,
}

struct Outcome {
    report: ReconcileReport,
    changed_rows: usize,
}

fn sync(workbook: &mut Workbook, feed: &Feed, now: DateTime<Utc>) -> Outcome {
    let sheet = |name| workbook.get(name).cloned().unwrap_or_default();
    let inventory = read_inventory(&sheet(INVENTORY_SHEET)).unwrap();
    let (config, warnings) = read_config(&sheet(CONFIG_SHEET));
    assert_eq!(warnings, []);
    let log = read_sales_log(&sheet(SALES_LOG_SHEET)).unwrap();

    let till = TillData { products: &feed.products, stock: &feed.stock, outlet: None };
    let merged = merge_inventory(&inventory.rows, &till, now);
    let reconciled = reconcile_sales(&merged.rows, &log, &feed.sales, &merged.refreshed, now);
    let mut full_log = log;
    full_log.extend(reconciled.new_log_rows.iter().cloned());
    let restock = restock_list(&reconciled.rows, &full_log, &config, now);

    let changed_rows = reconciled.rows.iter().filter(|row| !inventory.rows.contains(row)).count();
    let sales_log = append_sales_log(&sheet(SALES_LOG_SHEET), &reconciled.new_log_rows);
    let config_rows = merge_config(&sheet(CONFIG_SHEET));
    workbook.insert(INVENTORY_SHEET, inventory_sheet_rows(&reconciled.rows));
    workbook.insert(RESTOCK_SHEET, restock_sheet_rows(&restock));
    workbook.insert(CONFIG_SHEET, config_rows);
    workbook.insert(SALES_LOG_SHEET, sales_log);
    Outcome { report: reconciled.report, changed_rows }
}

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
}

fn product(id: &str, sku: &str, name: &str, category: &str, size: &str, version: i64) -> Product {
    Product {
        id: id.into(),
        sku: sku.into(),
        name: name.into(),
        category: category.into(),
        brand: None,
        color: Some("Black".into()),
        size: Some(size.into()),
        barcode: Some(format!("0019{version}")),
        retail_price_cents: 12_999,
        active: true,
        deleted: false,
        version,
    }
}

fn catalog() -> Vec<Product> {
    vec![
        product("p1", "DD1391-100-9", "Nike Dunk Low Retro", "Sneakers", "9", 1),
        product("p2", "DD1391-100-10.5", "Nike Dunk Low Retro", "Sneakers", "10.5", 2),
        product("p3", "DD1391-100-8.5", "Nike Dunk Low Retro", "Sneakers", "8.5", 3),
        product("p4", "001ZPJ801002-XL", "BAPE Shark Full Zip Hoodie", "Hoodies", "XL", 4),
        product("p5", "001ZPJ801002-M", "BAPE Shark Full Zip Hoodie", "Hoodies", "M", 5),
        product("p6", "10003436", "New Era 59FIFTY Yankees Cap", "Accessories", "OS", 6),
    ]
}

fn level(product_id: &str, on_hand: i64, version: i64) -> StockLevel {
    StockLevel { product_id: product_id.into(), outlet_id: "o1".into(), on_hand, deleted: false, version }
}

fn sale(id: &str, status: SaleStatus, day: u32, version: i64, lines: &[(&str, &str, i64)]) -> Sale {
    Sale {
        id: id.into(),
        outlet_id: "o1".into(),
        status,
        sale_date: at(day, 15),
        lines: lines
            .iter()
            .map(|(line_id, product_id, quantity)| SaleLine {
                line_id: (*line_id).into(),
                product_id: (*product_id).into(),
                quantity: *quantity,
            })
            .collect(),
        version,
    }
}

/// What the till says when read from the start: the stock already counts
/// every sale.
fn everything() -> Feed {
    Feed {
        products: catalog(),
        stock: vec![
            level("p1", 4, 10),
            level("p2", 0, 11),
            level("p3", 12, 12),
            level("p4", 2, 13),
            level("p5", 9, 14),
        ],
        sales: vec![
            // Two identical sales on one day, a return, a void, a parked sale.
            sale("s1", SaleStatus::Closed, 20, 100, &[("l1", "p1", 1), ("l2", "p1", 1)]),
            sale("s2", SaleStatus::Closed, 20, 101, &[("l1", "p1", 1)]),
            sale("s3", SaleStatus::Closed, 20, 102, &[("l1", "p1", 1)]),
            sale("s4", SaleStatus::Closed, 21, 103, &[("l1", "p1", -1)]),
            sale("s5", SaleStatus::Voided, 22, 104, &[("l1", "p4", 1)]),
            sale("s6", SaleStatus::Open, 22, 105, &[("l1", "p5", 1)]),
            sale("s7", SaleStatus::Closed, 22, 106, &[("l1", "p6", 2)]),
        ],
    }
}

fn rows(workbook: &Workbook) -> Vec<InventoryRow> {
    read_inventory(&workbook[INVENTORY_SHEET]).unwrap().rows
}

fn column(workbook: &Workbook, sheet: &str, name: &str) -> Vec<String> {
    let rows = &workbook[sheet];
    let index = rows[0].iter().position(|header| header == name).unwrap();
    rows[1..].iter().map(|row| row[index].clone()).collect()
}

#[test]
fn a_first_sync_fills_every_worksheet() {
    let mut workbook = Workbook::new();
    let outcome = sync(&mut workbook, &everything(), at(24, 12));

    assert_eq!(
        column(&workbook, INVENTORY_SHEET, "SKU"),
        ["10003436", "001ZPJ801002-M", "001ZPJ801002-XL", "DD1391-100-8.5", "DD1391-100-9", "DD1391-100-10.5",],
        "Category, then Name, then Size in natural order"
    );
    let sold_and_on_hand: Vec<(u32, u32)> = rows(&workbook).iter().map(|r| (r.qty_sold, r.qty_on_hand)).collect();
    // The till's stock already counts its sales: only QtySold moves. The cap
    // (p6) has no stock level in the feed, so its sale is taken from 0: clamped.
    assert_eq!(sold_and_on_hand, [(2, 0), (0, 9), (0, 2), (0, 12), (3, 4), (0, 0)]);
    assert_eq!(outcome.report.applied.len(), 6);
    assert_eq!(outcome.report.open.len(), 1);
    assert_eq!(outcome.report.voided_unapplied.len(), 1);
    assert_eq!(outcome.report.clamped.len(), 1);

    assert_eq!(
        column(&workbook, RESTOCK_SHEET, "SKU"),
        ["10003436", "DD1391-100-10.5", "001ZPJ801002-XL", "DD1391-100-9"]
    );
    assert_eq!(column(&workbook, RESTOCK_SHEET, "SuggestedQty"), ["6", "6", "4", "2"]);
    assert_eq!(
        column(&workbook, CONFIG_SHEET, "Setting"),
        ["LowStockThreshold", "RestockLookbackDays", "RestockCoverWeeks"]
    );
    assert_eq!(column(&workbook, SALES_LOG_SHEET, "SaleId"), ["s1", "s1", "s2", "s3", "s4", "s7"]);
}

#[test]
fn syncing_again_changes_nothing_and_the_owners_edits_survive() {
    let mut workbook = Workbook::new();
    sync(&mut workbook, &everything(), at(24, 12));

    // The owner writes a Location and lowers the threshold in the sheet.
    let inventory = workbook.get_mut(INVENTORY_SHEET).unwrap();
    let location = inventory[0].iter().position(|h| h == "Location").unwrap();
    inventory[5][location] = "Wall A, top".into();
    let config = workbook.get_mut(CONFIG_SHEET).unwrap();
    config[1][1] = "2".into();
    config.push(vec!["# reorder on Mondays".into()]);
    let before = workbook.clone();

    let outcome = sync(&mut workbook, &everything(), at(25, 12));
    assert_eq!(outcome.changed_rows, 0);
    assert_eq!(outcome.report.applied, []);
    assert_eq!(outcome.report.duplicates.len(), 6);
    for sheet in [INVENTORY_SHEET, CONFIG_SHEET, SALES_LOG_SHEET] {
        assert_eq!(workbook[sheet], before[sheet], "{sheet} is unchanged, LastUpdated included");
    }
    assert_eq!(column(&workbook, INVENTORY_SHEET, "Location")[4], "Wall A, top", "row 5 of the sheet");
    assert_eq!(
        column(&workbook, RESTOCK_SHEET, "SKU"),
        ["10003436", "DD1391-100-10.5", "001ZPJ801002-XL"],
        "the owner's threshold (2) applies"
    );
}

#[test]
fn a_later_sync_applies_only_what_changed() {
    let mut workbook = Workbook::new();
    sync(&mut workbook, &everything(), at(24, 12));
    let before = rows(&workbook);

    // Since then: s2 voided, the parked sale s6 closed, a new sale of the
    // cap with no stock change seen yet, and new stock for the Dunk 10.5.
    let changes = Feed {
        products: vec![],
        stock: vec![level("p2", 6, 20)],
        sales: vec![
            sale("s2", SaleStatus::Voided, 20, 200, &[("l1", "p1", 1)]),
            sale("s6", SaleStatus::Closed, 22, 201, &[("l1", "p5", 1)]),
            sale("s8", SaleStatus::Closed, 25, 202, &[("l1", "p2", 1)]),
        ],
    };
    let outcome = sync(&mut workbook, &changes, at(25, 12));
    assert_eq!(outcome.report.reversed.len(), 1);
    assert_eq!(outcome.report.applied.len(), 2);
    let after = rows(&workbook);
    let changed: Vec<(&str, u32, u32)> = after
        .iter()
        .filter(|row| !before.contains(row))
        .map(|row| (row.sku.as_str(), row.qty_sold, row.qty_on_hand))
        .collect();
    assert_eq!(
        changed,
        [
            ("001ZPJ801002-M", 1, 8),  // s6 closed: not refreshed, so stock goes down too
            ("DD1391-100-9", 2, 5),    // s2 voided: sold back down, stock back up
            ("DD1391-100-10.5", 1, 6), // refreshed from the till: only QtySold moves
        ]
    );
    assert!(after.iter().filter(|row| !before.contains(row)).all(|row| row.last_updated == Some(at(25, 12))));
    assert_eq!(column(&workbook, SALES_LOG_SHEET, "Qty")[6..], ["-1", "1", "1"], "the void is logged as such");
}

#[test]
fn the_inventory_survives_a_csv_round_trip() {
    let mut workbook = Workbook::new();
    sync(&mut workbook, &everything(), at(24, 12));
    let mut inventory = rows(&workbook);
    inventory[0].location = "Back room, shelf \"B\"\nsecond row".into();
    inventory[1].name = "Stüssy × BAPE, ナイキ".into();
    let imported = import_csv(&export_csv(&inventory)).unwrap();
    assert_eq!(imported.rows, inventory);
    assert_eq!(imported.warnings, []);
}

#[test]
fn a_sync_an_hour_later_keeps_last_updated_on_unchanged_rows() {
    let mut workbook = Workbook::new();
    sync(&mut workbook, &everything(), at(24, 12));
    sync(&mut workbook, &Feed { products: catalog(), stock: vec![], sales: vec![] }, at(24, 12) + Duration::hours(1));
    let stamps: Vec<String> = column(&workbook, INVENTORY_SHEET, "LastUpdated");
    assert!(stamps.iter().all(|stamp| stamp == "2026-11-24T12:00:00Z"), "{stamps:?}");
}
