//! Low stock and the RestockList worksheet.
//!
//! An item is low on stock when its quantity on hand is at or below
//! `LowStockThreshold`. The RestockList holds exactly those items, out of
//! stock first, then by quantity on hand (lowest first), then in the
//! Inventory order.
//!
//! SuggestedQty, with `sold` the net units of the SKU in the SalesLog with
//! a sale date in the last `RestockLookbackDays` days (returns and voids
//! subtract; never below 0):
//!
//! ```text
//! target    = ceil(sold × RestockCoverWeeks × 7 / RestockLookbackDays)
//! suggested = max(target, LowStockThreshold + 1) − QtyOnHand
//! ```
//!
//! That is: enough to cover the cover period at the recent pace, and at
//! least enough to get back above the threshold, so an item that has not
//! sold lately still gets a small top-up and never a suggestion of 0.
//! Example: threshold 5, 12 sold in 30 days, cover 4 weeks, 2 on hand →
//! target ceil(12 × 28 / 30) = 12 → suggest 10.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use crate::config::Config;
use crate::order::RowKey;
use crate::reconcile::SalesLogRow;
use crate::row::{InventoryRow, Sku};
use crate::table::format_timestamp;

/// The worksheet's name in the owner's workbook.
pub const RESTOCK_SHEET: &str = "RestockList";

/// The RestockList worksheet's columns.
pub const RESTOCK_HEADER: [&str; 8] =
    ["SKU", "Name", "Size", "QtyOnHand", "Threshold", "SuggestedQty", "Location", "UpdatedAt"];

/// An item to reorder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestockRow {
    pub sku: Sku,
    pub name: String,
    pub size: String,
    pub qty_on_hand: u32,
    pub threshold: u32,
    pub suggested_qty: u32,
    pub location: String,
    /// The Inventory row's LastUpdated: how fresh `qty_on_hand` is.
    pub updated_at: Option<DateTime<Utc>>,
}

impl RestockRow {
    /// The row's cells in `RESTOCK_HEADER` order.
    pub fn to_sheet_row(&self) -> Vec<String> {
        vec![
            self.sku.to_string(),
            self.name.clone(),
            self.size.clone(),
            self.qty_on_hand.to_string(),
            self.threshold.to_string(),
            self.suggested_qty.to_string(),
            self.location.clone(),
            self.updated_at.map(format_timestamp).unwrap_or_default(),
        ]
    }
}

/// Whether the row is at or below the low-stock threshold.
pub fn is_low_stock(row: &InventoryRow, config: &Config) -> bool {
    row.qty_on_hand <= config.low_stock_threshold
}

/// The RestockList: every low-stock row with a suggested reorder quantity
/// from the sales in `sales_log` up to `now` (see the module documentation).
pub fn restock_list(
    rows: &[InventoryRow],
    sales_log: &[SalesLogRow],
    config: &Config,
    now: DateTime<Utc>,
) -> Vec<RestockRow> {
    let since = now - Duration::days(i64::from(config.restock_lookback_days));
    let mut sold: HashMap<&Sku, i64> = HashMap::new();
    for entry in sales_log.iter().filter(|entry| entry.sale_date > since && entry.sale_date <= now) {
        *sold.entry(&entry.sku).or_default() += entry.quantity;
    }
    let mut low: Vec<&InventoryRow> = rows.iter().filter(|row| is_low_stock(row, config)).collect();
    low.sort_by_cached_key(|row| (row.qty_on_hand, RowKey::of(row)));
    low.into_iter()
        .map(|row| RestockRow {
            sku: row.sku.clone(),
            name: row.name.clone(),
            size: row.size.clone(),
            qty_on_hand: row.qty_on_hand,
            threshold: config.low_stock_threshold,
            suggested_qty: suggested_quantity(row.qty_on_hand, sold.get(&row.sku).copied().unwrap_or(0), config),
            location: row.location.clone(),
            updated_at: row.last_updated,
        })
        .collect()
}

/// The RestockList worksheet: the header, then the rows as given.
pub fn restock_sheet_rows(list: &[RestockRow]) -> Vec<Vec<String>> {
    let header = RESTOCK_HEADER.iter().map(|name| (*name).to_owned()).collect();
    std::iter::once(header).chain(list.iter().map(RestockRow::to_sheet_row)).collect()
}

fn suggested_quantity(on_hand: u32, sold: i64, config: &Config) -> u32 {
    let sold = u64::try_from(sold).unwrap_or(0);
    let cover_days = u64::from(config.restock_cover_weeks) * 7;
    let lookback_days = u64::from(config.restock_lookback_days).max(1);
    let target = sold.saturating_mul(cover_days).div_ceil(lookback_days);
    let above_threshold = u64::from(config.low_stock_threshold) + 1;
    let suggested = target.max(above_threshold).saturating_sub(u64::from(on_hand));
    u32::try_from(suggested).unwrap_or(u32::MAX)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::row::tests::row;

    fn config(threshold: u32, lookback: u32, cover: u32) -> Config {
        Config { low_stock_threshold: threshold, restock_lookback_days: lookback, restock_cover_weeks: cover }
    }

    #[test]
    fn low_stock_is_at_or_below_the_threshold() {
        let cases = [(0, 5, true), (4, 5, true), (5, 5, true), (6, 5, false), (0, 0, true), (1, 0, false)];
        for (on_hand, threshold, expected) in cases {
            let item = InventoryRow { qty_on_hand: on_hand, ..row("A") };
            assert_eq!(
                is_low_stock(&item, &config(threshold, 30, 4)),
                expected,
                "{on_hand} on hand, threshold {threshold}"
            );
        }
    }

    #[test]
    fn suggested_quantities_by_the_formula() {
        // (on hand, sold in the lookback, threshold, lookback days, cover weeks, suggested)
        let cases = [
            (2, 12, 5, 30, 4, 10), // ceil(12 × 28 / 30) = 12, minus 2
            (0, 12, 5, 30, 4, 12), // out of stock: the whole target
            (0, 0, 5, 30, 4, 6),   // no sales: back above the threshold (6)
            (5, 0, 5, 30, 4, 1),   // at the threshold: one more gets above it
            (3, 2, 5, 30, 4, 3),   // target ceil(1.87) = 2 < 6: the threshold floor wins
            (1, 1, 5, 30, 4, 5),   // a single sale does not beat the floor
            (0, 30, 0, 30, 1, 7),  // a unit a day, one week's cover
            (4, 30, 5, 30, 8, 52), // 56 for eight weeks, minus 4
            (0, 10, 5, 7, 4, 40),  // a short lookback extrapolates: 10 a week for 4 weeks
            (0, 1, 0, 365, 1, 1),  // ceil(7 / 365) = 1
            (2, -3, 5, 30, 4, 4),  // more returned than sold counts as none sold
            (0, i64::MAX, 5, 1, 52, u32::MAX),
        ];
        for (on_hand, sold, threshold, lookback, cover, expected) in cases {
            assert_eq!(
                suggested_quantity(on_hand, sold, &config(threshold, lookback, cover)),
                expected,
                "{on_hand} on hand, {sold} sold in {lookback} days, threshold {threshold}, cover {cover} weeks"
            );
        }
    }

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, 12, 0, 0).unwrap()
    }

    fn sale(sku: &str, quantity: i64, day: u32) -> SalesLogRow {
        SalesLogRow {
            sale_id: format!("s-{sku}-{day}-{quantity}"),
            line_id: "l1".into(),
            sku: Sku::parse(sku).unwrap(),
            quantity,
            sale_date: at(day),
            processed_at: at(day),
        }
    }

    fn item(sku: &str, name: &str, size: &str, on_hand: u32) -> InventoryRow {
        InventoryRow {
            sku: Sku::parse(sku).unwrap(),
            name: name.into(),
            size: size.into(),
            qty_on_hand: on_hand,
            ..row("X")
        }
    }

    #[test]
    fn the_list_is_the_low_rows_out_of_stock_first_then_lowest_then_inventory_order() {
        let rows = [
            item("DUNK-10", "Nike Dunk Low", "10", 3),
            item("DUNK-9", "Nike Dunk Low", "9", 3),
            item("SAMBA-9", "Adidas Samba OG", "9", 0),
            item("AF1-9", "Nike Air Force 1", "9", 12),
            item("DUNK-8", "Nike Dunk Low", "8", 5),
            item("GAZ-9", "Adidas Gazelle", "9", 0),
            item("DUNK-11", "Nike Dunk Low", "11", 6),
        ];
        let list = restock_list(&rows, &[], &config(5, 30, 4), at(24));
        let got: Vec<(&str, u32, u32)> =
            list.iter().map(|r| (r.sku.as_str(), r.qty_on_hand, r.suggested_qty)).collect();
        assert_eq!(got, [("GAZ-9", 0, 6), ("SAMBA-9", 0, 6), ("DUNK-9", 3, 3), ("DUNK-10", 3, 3), ("DUNK-8", 5, 1)]);
        assert!(list.iter().all(|r| r.threshold == 5));
    }

    #[test]
    fn only_sales_of_the_sku_inside_the_lookback_count() {
        let rows = [item("A", "Dunk", "9", 1), item("B", "Dunk", "10", 1)];
        let log = [
            sale("A", 6, 23),   // counts
            sale("A", 4, 1),    // counts: 23 days ago, inside 30
            sale("A", -1, 20),  // a return counts against
            sale("A", 50, 24),  // now, counts
            sale("A", 100, 25), // after now: not yet
            sale("B", 9, 24),
            sale("A", 70, 1), // another sale on the 1st: counts too
        ];
        let list = restock_list(&rows, &log, &config(5, 30, 4), at(24));
        let a = list.iter().find(|r| r.sku.as_str() == "A").unwrap();
        // sold = 6 + 4 - 1 + 50 + 70 = 129; ceil(129 × 28 / 30) = 121; minus 1 on hand.
        assert_eq!(a.suggested_qty, 120);
        let short = restock_list(&rows, &log, &config(5, 7, 4), at(24));
        let a = short.iter().find(|r| r.sku.as_str() == "A").unwrap();
        // Only the 23rd, 20th and 24th are in the last 7 days: 6 - 1 + 50 = 55; 55 × 28 / 7 = 220.
        assert_eq!(a.suggested_qty, 219);
        let b = short.iter().find(|r| r.sku.as_str() == "B").unwrap();
        assert_eq!(b.suggested_qty, 35, "B's own sales only: 9 × 4 = 36, minus 1");
    }

    #[test]
    fn a_restock_row_is_written_in_header_order() {
        let rows =
            [InventoryRow { qty_on_hand: 2, location: "Wall A".into(), ..item("DUNK-9", "Nike Dunk Low", "9", 2) }];
        let sheet = restock_sheet_rows(&restock_list(&rows, &[], &Config::default(), at(24)));
        assert_eq!(sheet[0], RESTOCK_HEADER);
        assert_eq!(sheet[1], ["DUNK-9", "Nike Dunk Low", "9", "2", "5", "4", "Wall A", "2026-11-24T15:00:00Z"]);
        assert_eq!(restock_sheet_rows(&[]).len(), 1, "the header alone when nothing is low");
    }
}
