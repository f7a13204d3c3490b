//! The heart of a sync: what the till says now, merged into the Inventory
//! worksheet the owner already has.
//!
//! The till's data is a change feed (a first sync reads it from the start),
//! so a product the feed does not mention keeps its row as it is. Rules:
//! - A product finds its row by ItemID (the till's product id), else by SKU
//!   among rows no other product of this feed has taken (a row imported
//!   without an ItemID gets one; a product deleted and re-created with the
//!   same SKU keeps its row). Otherwise it gets a new row.
//! - The till owns ItemID, SKU, Name, Category, Color, Size, Barcode,
//!   RetailPrice and, when the feed has stock for the product, QtyOnHand.
//!   The owner owns Location; QtySold belongs to sales reconciliation. A
//!   new row starts with 0 on hand, 0 sold and no Location.
//! - A product deleted in the till loses its row. A product only made
//!   inactive keeps its row and its stock: inactive means "not for sale at
//!   the till right now", the pairs on the shelf are still there and still
//!   count.
//! - On-hand is the sum of the product's levels in the feed over every
//!   outlet, or the one outlet chosen (a deleted level counts 0, the latest
//!   version per outlet counts). Summing is only right if the feed has every
//!   outlet's level of that product, as a feed read from the start does;
//!   with one outlet a change feed is enough. A negative level (the till
//!   allows selling below zero) is shown as 0 and reported.
//! - A row keeps its LastUpdated unless one of its values changed; a new or
//!   changed row gets `now`. Rows come out in the Inventory order.
//! - Rows the feed does not mention are kept: nothing disappears except by
//!   the till's own deletion.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;

use chrono::{DateTime, SubsecRound, Utc};

use crate::order::sort_rows;
use crate::row::{InventoryRow, Sku};
use crate::source::{Product, StockLevel};

/// What the till says since the last sync.
#[derive(Debug, Clone, Copy)]
pub struct TillData<'a> {
    pub products: &'a [Product],
    pub stock: &'a [StockLevel],
    /// Count only this outlet's stock; `None` sums every outlet's.
    pub outlet: Option<&'a str>,
}

/// The new Inventory rows, and what happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    /// Sorted in the Inventory order.
    pub rows: Vec<InventoryRow>,
    /// SKUs whose QtyOnHand was set from the till's stock in this merge
    /// (for `reconcile_sales`: their sales are already counted).
    pub refreshed: BTreeSet<Sku>,
    pub report: MergeReport,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MergeReport {
    /// New rows, by SKU.
    pub added: Vec<Sku>,
    /// Rows with a value changed, by SKU.
    pub changed: Vec<Sku>,
    /// Rows of products deleted in the till, by SKU.
    pub removed: Vec<Sku>,
    pub problems: Vec<MergeProblem>,
}

/// Something in the till's data the Inventory cannot show as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MergeProblem {
    /// The product has an empty SKU: it gets no row (or keeps its old one).
    MissingSku { product_id: String, name: String },
    /// More than one row has this SKU: sales apply to the first.
    DuplicateSku { sku: Sku, rows: usize },
    /// Stock for a product with no row: ignored.
    UnknownStock { product_id: String },
    /// The till has less than nothing: shown as 0.
    NegativeStock { sku: Sku, on_hand: i64 },
}

impl fmt::Display for MergeProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MergeProblem::MissingSku { product_id, name } => {
                write!(f, "product {product_id} ({name}) has no SKU in the till, so it has no Inventory row")
            }
            MergeProblem::DuplicateSku { sku, rows } => {
                write!(f, "SKU {sku} is on {rows} Inventory rows; sales are counted on the first")
            }
            MergeProblem::UnknownStock { product_id } => {
                write!(f, "the till has stock for product {product_id}, which has no Inventory row; ignored")
            }
            MergeProblem::NegativeStock { sku, on_hand } => {
                write!(f, "the till has {on_hand} of {sku} on hand; shown as 0")
            }
        }
    }
}

/// What a product of the feed does to the row it found.
enum Claim<'p> {
    Update(&'p Product, Sku),
    Delete,
    /// Matched but unusable (no SKU): the row stays as it is.
    Keep,
}

/// Merges the till's changes into the existing rows (see the module
/// documentation for the rules).
pub fn merge_inventory(existing: &[InventoryRow], till: &TillData<'_>, now: DateTime<Utc>) -> Merged {
    let now = now.trunc_subsecs(0);
    let mut report = MergeReport::default();

    let mut latest: HashMap<&str, &Product> = HashMap::new();
    for product in till.products {
        match latest.get(product.id.as_str()) {
            Some(seen) if seen.version > product.version => {}
            _ => {
                latest.insert(&product.id, product);
            }
        }
    }
    let mut products: Vec<&Product> = latest.into_values().collect();
    products.sort_by(|a, b| a.version.cmp(&b.version).then_with(|| a.id.cmp(&b.id)));

    let mut by_item_id: HashMap<&str, usize> = HashMap::new();
    let mut by_sku: HashMap<&Sku, usize> = HashMap::new();
    for (index, row) in existing.iter().enumerate() {
        if !row.item_id.is_empty() {
            by_item_id.entry(&row.item_id).or_insert(index);
        }
        by_sku.entry(&row.sku).or_insert(index);
    }

    let missing_sku =
        |product: &Product| MergeProblem::MissingSku { product_id: product.id.clone(), name: product.name.clone() };
    let mut claims: HashMap<usize, Claim<'_>> = HashMap::new();
    let mut unmatched = Vec::new();
    for &product in &products {
        match by_item_id.get(product.id.as_str()) {
            Some(&index) if !claims.contains_key(&index) => {
                let claim = match (product.deleted, Sku::parse(&product.sku)) {
                    (true, _) => Claim::Delete,
                    (false, Ok(sku)) => Claim::Update(product, sku),
                    (false, Err(_)) => {
                        report.problems.push(missing_sku(product));
                        Claim::Keep
                    }
                };
                claims.insert(index, claim);
            }
            _ => unmatched.push(product),
        }
    }
    let mut new_products = Vec::new();
    for product in unmatched {
        if product.deleted {
            continue;
        }
        let Ok(sku) = Sku::parse(&product.sku) else {
            report.problems.push(missing_sku(product));
            continue;
        };
        match by_sku.get(&sku) {
            Some(&index) if matches!(claims.get(&index), None | Some(Claim::Delete)) => {
                claims.insert(index, Claim::Update(product, sku));
            }
            _ => new_products.push((product, sku)),
        }
    }

    // Each row with the index of the existing row it came from.
    let mut rows: Vec<(InventoryRow, Option<usize>)> = Vec::with_capacity(existing.len() + new_products.len());
    for (index, row) in existing.iter().enumerate() {
        match claims.get(&index) {
            Some(Claim::Delete) => report.removed.push(row.sku.clone()),
            Some(Claim::Update(product, sku)) => {
                let mut row = row.clone();
                take_till_columns(&mut row, product, sku.clone());
                rows.push((row, Some(index)));
            }
            Some(Claim::Keep) | None => rows.push((row.clone(), Some(index))),
        }
    }
    for (product, sku) in new_products {
        let mut row = InventoryRow {
            item_id: String::new(),
            sku: sku.clone(),
            name: String::new(),
            category: String::new(),
            color: String::new(),
            size: String::new(),
            barcode: String::new(),
            retail_price_cents: 0,
            qty_on_hand: 0,
            qty_sold: 0,
            location: String::new(),
            last_updated: None,
        };
        take_till_columns(&mut row, product, sku);
        rows.push((row, None));
    }

    let refreshed = apply_stock(&mut rows, till, &products, &mut report);

    let mut merged = Vec::with_capacity(rows.len());
    for (mut row, origin) in rows {
        match origin {
            None => {
                row.last_updated = Some(now);
                report.added.push(row.sku.clone());
            }
            Some(index) if !row.same_values(&existing[index]) => {
                row.last_updated = Some(now);
                report.changed.push(row.sku.clone());
            }
            Some(_) => {}
        }
        merged.push(row);
    }
    sort_rows(&mut merged);
    let mut counts: BTreeMap<&Sku, usize> = BTreeMap::new();
    for row in &merged {
        *counts.entry(&row.sku).or_default() += 1;
    }
    for (sku, rows) in counts.into_iter().filter(|(_, count)| *count > 1) {
        report.problems.push(MergeProblem::DuplicateSku { sku: sku.clone(), rows });
    }
    report.added.sort();
    report.changed.sort();
    report.removed.sort();
    Merged { rows: merged, refreshed, report }
}

fn take_till_columns(row: &mut InventoryRow, product: &Product, sku: Sku) {
    row.item_id.clone_from(&product.id);
    row.sku = sku;
    row.name.clone_from(&product.name);
    row.category.clone_from(&product.category);
    row.color = product.color.clone().unwrap_or_default();
    row.size = product.size.clone().unwrap_or_default();
    row.barcode = product.barcode.clone().unwrap_or_default();
    row.retail_price_cents = product.retail_price_cents;
}

/// Sets QtyOnHand from the feed's stock levels; returns the SKUs set.
fn apply_stock(
    rows: &mut [(InventoryRow, Option<usize>)],
    till: &TillData<'_>,
    products: &[&Product],
    report: &mut MergeReport,
) -> BTreeSet<Sku> {
    let mut levels: HashMap<(&str, &str), &StockLevel> = HashMap::new();
    for level in till.stock.iter().filter(|level| till.outlet.is_none_or(|outlet| level.outlet_id == outlet)) {
        let key = (level.product_id.as_str(), level.outlet_id.as_str());
        match levels.get(&key) {
            Some(seen) if seen.version > level.version => {}
            _ => {
                levels.insert(key, level);
            }
        }
    }
    let mut totals: BTreeMap<&str, i64> = BTreeMap::new();
    for ((product_id, _), level) in levels {
        let on_hand = if level.deleted { 0 } else { level.on_hand };
        let total = totals.entry(product_id).or_default();
        *total = total.saturating_add(on_hand);
    }
    let deleted: HashSet<&str> = products.iter().filter(|p| p.deleted).map(|p| p.id.as_str()).collect();
    let mut by_item_id: HashMap<String, usize> = HashMap::new();
    for (index, (row, _)) in rows.iter().enumerate() {
        if !row.item_id.is_empty() {
            by_item_id.entry(row.item_id.clone()).or_insert(index);
        }
    }
    let mut refreshed = BTreeSet::new();
    for (product_id, total) in totals {
        let Some(&index) = by_item_id.get(product_id) else {
            if !deleted.contains(product_id) {
                report.problems.push(MergeProblem::UnknownStock { product_id: product_id.to_owned() });
            }
            continue;
        };
        let row = &mut rows[index].0;
        if total < 0 {
            report.problems.push(MergeProblem::NegativeStock { sku: row.sku.clone(), on_hand: total });
        }
        row.qty_on_hand = u32::try_from(total.max(0)).unwrap_or(u32::MAX);
        refreshed.insert(row.sku.clone());
    }
    refreshed
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, 12, 0, 0).unwrap()
    }

    /// A sneaker variant at version `version`.
    fn product(id: &str, sku: &str, name: &str, size: &str, version: i64) -> Product {
        Product {
            id: id.into(),
            sku: sku.into(),
            name: name.into(),
            category: "Sneakers".into(),
            brand: None,
            color: Some("White/Black".into()),
            size: Some(size.into()),
            barcode: Some(format!("19{id}")),
            retail_price_cents: 11_500,
            active: true,
            deleted: false,
            version,
        }
    }

    fn deleted(id: &str, sku: &str, version: i64) -> Product {
        Product { deleted: true, ..product(id, sku, "Nike Dunk Low", "9", version) }
    }

    fn level(product_id: &str, outlet_id: &str, on_hand: i64, version: i64) -> StockLevel {
        StockLevel { product_id: product_id.into(), outlet_id: outlet_id.into(), on_hand, deleted: false, version }
    }

    /// A row as the last sync left it for `product(id, sku, "Nike Dunk Low", size, _)`.
    fn synced(id: &str, sku: &str, size: &str, on_hand: u32, location: &str) -> InventoryRow {
        InventoryRow {
            item_id: id.into(),
            sku: Sku::parse(sku).unwrap(),
            name: "Nike Dunk Low".into(),
            category: "Sneakers".into(),
            color: "White/Black".into(),
            size: size.into(),
            barcode: format!("19{id}"),
            retail_price_cents: 11_500,
            qty_on_hand: on_hand,
            qty_sold: 4,
            location: location.into(),
            last_updated: Some(at(1)),
        }
    }

    struct Case {
        name: &'static str,
        existing: Vec<InventoryRow>,
        products: Vec<Product>,
        stock: Vec<StockLevel>,
        outlet: Option<&'static str>,
        /// (SKU, ItemID, Name, on hand, sold, Location, stamped now), in order.
        rows: &'static [(&'static str, &'static str, &'static str, u32, u32, &'static str, bool)],
        refreshed: &'static [&'static str],
        /// `added`, `changed`, `removed` and the problems, one line each.
        report: &'static [&'static str],
    }

    fn summary(report: &MergeReport) -> Vec<String> {
        let mut lines = Vec::new();
        lines.extend(report.added.iter().map(|sku| format!("added {sku}")));
        lines.extend(report.changed.iter().map(|sku| format!("changed {sku}")));
        lines.extend(report.removed.iter().map(|sku| format!("removed {sku}")));
        lines.extend(report.problems.iter().map(ToString::to_string));
        lines
    }

    fn check(case: Case) {
        let till = TillData { products: &case.products, stock: &case.stock, outlet: case.outlet };
        let merged = merge_inventory(&case.existing, &till, at(24));
        let rows: Vec<(&str, &str, &str, u32, u32, &str, bool)> = merged
            .rows
            .iter()
            .map(|r| {
                let stamped = r.last_updated == Some(at(24));
                (
                    r.sku.as_str(),
                    r.item_id.as_str(),
                    r.name.as_str(),
                    r.qty_on_hand,
                    r.qty_sold,
                    r.location.as_str(),
                    stamped,
                )
            })
            .collect();
        assert_eq!(rows, case.rows, "{}: rows", case.name);
        let refreshed: Vec<&str> = merged.refreshed.iter().map(Sku::as_str).collect();
        assert_eq!(refreshed, case.refreshed, "{}: refreshed", case.name);
        assert_eq!(summary(&merged.report), case.report, "{}: report", case.name);

        // Every case: sorted, unstamped rows untouched since, and merging the
        // same feed again changes nothing.
        let mut sorted = merged.rows.clone();
        sort_rows(&mut sorted);
        assert_eq!(sorted, merged.rows, "{}: sorted", case.name);
        for row in merged.rows.iter().filter(|r| r.last_updated != Some(at(24))) {
            assert!(case.existing.contains(row), "{}: {} is unstamped but not as it was", case.name, row.sku);
        }
        let again = merge_inventory(&merged.rows, &till, at(25));
        assert_eq!(again.rows, merged.rows, "{}: merging again changes nothing", case.name);
        assert_eq!(again.report.added, [] as [Sku; 0], "{}", case.name);
        assert_eq!(again.report.changed, [] as [Sku; 0], "{}", case.name);
    }

    #[test]
    fn merging_by_the_rules() {
        let cases = vec![
            Case {
                name: "first sync: a row per product, sorted, stamped",
                existing: vec![],
                products: vec![
                    product("p1", "DUNK-10", "Nike Dunk Low", "10", 1),
                    product("p2", "DUNK-9", "Nike Dunk Low", "9", 2),
                    Product { category: "Hoodies".into(), ..product("p3", "BAPE-M", "BAPE Shark Hoodie", "M", 3) },
                ],
                stock: vec![level("p1", "o1", 3, 10), level("p2", "o1", 0, 11)],
                outlet: None,
                rows: &[
                    ("BAPE-M", "p3", "BAPE Shark Hoodie", 0, 0, "", true),
                    ("DUNK-9", "p2", "Nike Dunk Low", 0, 0, "", true),
                    ("DUNK-10", "p1", "Nike Dunk Low", 3, 0, "", true),
                ],
                refreshed: &["DUNK-10", "DUNK-9"],
                report: &["added BAPE-M", "added DUNK-10", "added DUNK-9"],
            },
            Case {
                name: "an unchanged product keeps its LastUpdated",
                existing: vec![synced("p1", "DUNK-9", "9", 3, "Wall A")],
                products: vec![product("p1", "DUNK-9", "Nike Dunk Low", "9", 5)],
                stock: vec![level("p1", "o1", 3, 12)],
                outlet: None,
                rows: &[("DUNK-9", "p1", "Nike Dunk Low", 3, 4, "Wall A", false)],
                refreshed: &["DUNK-9"],
                report: &[],
            },
            Case {
                name: "a renamed or repriced product: till columns change, Location and QtySold stay",
                existing: vec![synced("p1", "DUNK-9", "9", 3, "Wall A")],
                products: vec![Product {
                    retail_price_cents: 9_900,
                    ..product("p1", "DUNK-9", "Nike Dunk Low Retro", "9", 5)
                }],
                stock: vec![],
                outlet: None,
                rows: &[("DUNK-9", "p1", "Nike Dunk Low Retro", 3, 4, "Wall A", true)],
                refreshed: &[],
                report: &["changed DUNK-9"],
            },
            Case {
                name: "new stock from the till",
                existing: vec![synced("p1", "DUNK-9", "9", 3, "Wall A"), synced("p2", "DUNK-10", "10", 5, "")],
                products: vec![],
                stock: vec![level("p1", "o1", 12, 20)],
                outlet: None,
                rows: &[
                    ("DUNK-9", "p1", "Nike Dunk Low", 12, 4, "Wall A", true),
                    ("DUNK-10", "p2", "Nike Dunk Low", 5, 4, "", false),
                ],
                refreshed: &["DUNK-9"],
                report: &["changed DUNK-9"],
            },
            Case {
                name: "stock summed over outlets, the latest level per outlet, a deleted level as 0",
                existing: vec![synced("p1", "DUNK-9", "9", 0, ""), synced("p2", "DUNK-10", "10", 9, "")],
                products: vec![],
                stock: vec![
                    level("p1", "o1", 3, 20),
                    level("p1", "o2", 4, 21),
                    level("p1", "o1", 2, 22),
                    level("p1", "o3", 1, 19),
                    StockLevel { deleted: true, ..level("p2", "o1", 9, 23) },
                ],
                outlet: None,
                rows: &[
                    ("DUNK-9", "p1", "Nike Dunk Low", 7, 4, "", true),
                    ("DUNK-10", "p2", "Nike Dunk Low", 0, 4, "", true),
                ],
                refreshed: &["DUNK-10", "DUNK-9"],
                report: &["changed DUNK-10", "changed DUNK-9"],
            },
            Case {
                name: "one outlet chosen: the others' stock is not counted nor reported",
                existing: vec![synced("p1", "DUNK-9", "9", 0, ""), synced("p2", "DUNK-10", "10", 5, "")],
                products: vec![],
                stock: vec![
                    level("p1", "o1", 3, 20),
                    level("p1", "o2", 4, 21),
                    level("p2", "o2", 8, 22),
                    level("p9", "o2", 1, 23),
                ],
                outlet: Some("o1"),
                rows: &[
                    ("DUNK-9", "p1", "Nike Dunk Low", 3, 4, "", true),
                    ("DUNK-10", "p2", "Nike Dunk Low", 5, 4, "", false),
                ],
                refreshed: &["DUNK-9"],
                report: &["changed DUNK-9"],
            },
            Case {
                name: "a product deleted in the till disappears; its stock is no news",
                existing: vec![synced("p1", "DUNK-9", "9", 3, "Wall A"), synced("p2", "DUNK-10", "10", 5, "")],
                products: vec![deleted("p1", "DUNK-9", 30)],
                stock: vec![level("p1", "o1", 0, 31)],
                outlet: None,
                rows: &[("DUNK-10", "p2", "Nike Dunk Low", 5, 4, "", false)],
                refreshed: &[],
                report: &["removed DUNK-9"],
            },
            Case {
                name: "deleted and re-created with the same SKU: the row and its Location carry over",
                existing: vec![synced("p1", "DUNK-9", "9", 3, "Wall A")],
                products: vec![deleted("p1", "DUNK-9", 30), product("p9", "DUNK-9", "Nike Dunk Low", "9", 31)],
                stock: vec![level("p9", "o1", 6, 32)],
                outlet: None,
                rows: &[("DUNK-9", "p9", "Nike Dunk Low", 6, 4, "Wall A", true)],
                refreshed: &["DUNK-9"],
                report: &["changed DUNK-9"],
            },
            Case {
                name: "a new SKU for a product, its old SKU given to a new product: rows follow ItemIDs",
                existing: vec![synced("p1", "DUNK-9", "9", 3, "Wall A")],
                products: vec![
                    product("p9", "DUNK-9", "Nike Dunk Low", "9", 30),
                    product("p1", "DUNK-9-OLD", "Nike Dunk Low", "9", 31),
                ],
                stock: vec![],
                outlet: None,
                rows: &[
                    ("DUNK-9", "p9", "Nike Dunk Low", 0, 0, "", true),
                    ("DUNK-9-OLD", "p1", "Nike Dunk Low", 3, 4, "Wall A", true),
                ],
                refreshed: &[],
                report: &["added DUNK-9", "changed DUNK-9-OLD"],
            },
            Case {
                name: "a row without an ItemID (imported) is found by SKU and gets one",
                existing: vec![InventoryRow { item_id: String::new(), ..synced("p1", "DUNK-9", "9", 3, "Wall A") }],
                products: vec![product("p1", "DUNK-9", "Nike Dunk Low", "9", 5)],
                stock: vec![],
                outlet: None,
                rows: &[("DUNK-9", "p1", "Nike Dunk Low", 3, 4, "Wall A", true)],
                refreshed: &[],
                report: &["changed DUNK-9"],
            },
            Case {
                name: "rows the feed does not mention stay as they are",
                existing: vec![
                    InventoryRow { item_id: String::new(), ..synced("", "OWN-1", "OS", 2, "Counter") },
                    synced("p2", "DUNK-10", "10", 5, ""),
                ],
                products: vec![product("p1", "DUNK-9", "Nike Dunk Low", "9", 5)],
                stock: vec![],
                outlet: None,
                rows: &[
                    ("DUNK-9", "p1", "Nike Dunk Low", 0, 0, "", true),
                    ("DUNK-10", "p2", "Nike Dunk Low", 5, 4, "", false),
                    ("OWN-1", "", "Nike Dunk Low", 2, 4, "Counter", false),
                ],
                refreshed: &[],
                report: &["added DUNK-9"],
            },
            Case {
                name: "an inactive product keeps its row and its stock",
                existing: vec![synced("p1", "DUNK-9", "9", 3, "Wall A")],
                products: vec![Product { active: false, ..product("p1", "DUNK-9", "Nike Dunk Low", "9", 5) }],
                stock: vec![level("p1", "o1", 3, 6)],
                outlet: None,
                rows: &[("DUNK-9", "p1", "Nike Dunk Low", 3, 4, "Wall A", false)],
                refreshed: &["DUNK-9"],
                report: &[],
            },
            Case {
                name: "negative stock from the till is shown as 0 and reported",
                existing: vec![synced("p1", "DUNK-9", "9", 1, "")],
                products: vec![],
                stock: vec![level("p1", "o1", -2, 6), level("p1", "o2", 1, 7)],
                outlet: None,
                rows: &[("DUNK-9", "p1", "Nike Dunk Low", 0, 4, "", true)],
                refreshed: &["DUNK-9"],
                report: &["changed DUNK-9", "the till has -1 of DUNK-9 on hand; shown as 0"],
            },
            Case {
                name: "stock for a product without a row is reported",
                existing: vec![],
                products: vec![],
                stock: vec![level("p7", "o1", 2, 6)],
                outlet: None,
                rows: &[],
                refreshed: &[],
                report: &["the till has stock for product p7, which has no Inventory row; ignored"],
            },
            Case {
                name: "a product without a SKU is reported: no new row, an old row stays as it was",
                existing: vec![synced("p1", "DUNK-9", "9", 3, "")],
                products: vec![product("p1", " ", "Nike Dunk Low Retro", "9", 5), product("p2", "", "Mystery", "9", 6)],
                stock: vec![],
                outlet: None,
                rows: &[("DUNK-9", "p1", "Nike Dunk Low", 3, 4, "", false)],
                refreshed: &[],
                report: &[
                    "product p1 (Nike Dunk Low Retro) has no SKU in the till, so it has no Inventory row",
                    "product p2 (Mystery) has no SKU in the till, so it has no Inventory row",
                ],
            },
            Case {
                name: "two products with one SKU: two rows, reported",
                existing: vec![],
                products: vec![
                    product("p1", "DUNK-9", "Nike Dunk Low", "9", 5),
                    product("p2", "DUNK-9", "Nike Dunk Low", "9", 6),
                ],
                stock: vec![level("p1", "o1", 1, 7), level("p2", "o1", 2, 8)],
                outlet: None,
                rows: &[
                    ("DUNK-9", "p1", "Nike Dunk Low", 1, 0, "", true),
                    ("DUNK-9", "p2", "Nike Dunk Low", 2, 0, "", true),
                ],
                refreshed: &["DUNK-9"],
                report: &[
                    "added DUNK-9",
                    "added DUNK-9",
                    "SKU DUNK-9 is on 2 Inventory rows; sales are counted on the first",
                ],
            },
            Case {
                name: "the same product twice in the feed: the highest version wins",
                existing: vec![],
                products: vec![
                    product("p1", "DUNK-9", "Nike Dunk Low Retro", "9", 9),
                    product("p1", "DUNK-9", "Nike Dunk Low", "9", 5),
                ],
                stock: vec![],
                outlet: None,
                rows: &[("DUNK-9", "p1", "Nike Dunk Low Retro", 0, 0, "", true)],
                refreshed: &[],
                report: &["added DUNK-9"],
            },
        ];
        for case in cases {
            check(case);
        }
    }

    #[test]
    fn a_product_without_size_color_or_barcode_has_empty_cells() {
        let bare = Product { color: None, size: None, barcode: None, ..product("p1", "GIFT-25", "Gift Card", "", 1) };
        let merged = merge_inventory(&[], &TillData { products: &[bare], stock: &[], outlet: None }, at(24));
        let row = &merged.rows[0];
        assert_eq!((row.color.as_str(), row.size.as_str(), row.barcode.as_str()), ("", "", ""));
        assert_eq!(row.retail_price_cents, 11_500);
        assert_eq!(row.category, "Sneakers");
    }

    #[test]
    fn now_is_recorded_to_the_second() {
        let precise = at(24) + chrono::Duration::milliseconds(750);
        let feed = [product("p1", "DUNK-9", "Nike Dunk Low", "9", 1)];
        let merged = merge_inventory(&[], &TillData { products: &feed, stock: &[], outlet: None }, precise);
        assert_eq!(merged.rows[0].last_updated, Some(at(24)));
    }
}
