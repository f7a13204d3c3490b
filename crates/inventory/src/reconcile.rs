//! Sales reconciliation: the till's sales applied to the Inventory rows
//! exactly once, with the SalesLog worksheet as the ledger of what has been
//! applied.
//!
//! The rules:
//! - A sale line is identified by its sale's id and its own line id, never
//!   by its content: two identical lines of one sale, or two identical
//!   sales on one day, are different lines.
//! - The ledger is the SalesLog: one row per change applied, so the sum of
//!   `Qty` over a line's rows is what is applied for it now. A line with
//!   rows has been processed; it is never applied again, whatever its
//!   content says now.
//! - A closed sale's line applies: `QtySold += qty`, and
//!   `QtyOnHand -= qty` unless that SKU's on-hand was refreshed from the
//!   till's inventory in this sync (the till's level already counts its own
//!   sales). A return is a negative quantity: QtySold goes down, stock
//!   comes back.
//! - A voided sale's lines are undone by what the ledger says is applied
//!   (a row with the opposite quantity); a voided line never applied is
//!   ignored; one already undone is a duplicate.
//! - Open sales (parked, layby, on account) are not applied yet; they come
//!   back through the feed when they close.
//! - A line whose product is not in the Inventory (no row with that ItemID,
//!   or for an undo no row with the logged SKU) is reported, not applied
//!   and not logged, so it applies once the row exists; `unresolved_from`
//!   says where the sales feed must be read from again for that. Only for
//!   sales of the last [`RETRY_UNKNOWN_FOR`]: a line that stays unknown
//!   longer (a deleted product, a product without a SKU, a gift card) is
//!   reported as given up, so it cannot hold the sales feed back forever.
//! - No quantity goes below zero silently: it stops at 0 and the clamp is
//!   reported.
//!
//! The lines are processed in the feed's order (by sale version), a sale
//! given more than once counting only at its highest version.

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use chrono::{DateTime, Duration, SubsecRound, Utc};

use crate::row::{InventoryRow, Sku};
use crate::source::{Cursor, Sale, SaleStatus};
use crate::state::SyncState;
use crate::table::{
    ImportErrors, ImportWarning, Table, format_timestamp, parse_required_text, parse_signed_quantity, parse_sku,
    parse_timestamp,
};

/// The worksheet's name in the owner's workbook.
pub const SALES_LOG_SHEET: &str = "SalesLog";

/// The SalesLog worksheet's columns.
pub const SALES_LOG_HEADER: [&str; 6] = ["SaleId", "LineId", "SKU", "Qty", "SaleDate", "ProcessedAt"];

/// One change applied to the Inventory for one sale line: the line's
/// quantity when applied, its opposite when a void undid it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesLogRow {
    pub sale_id: String,
    pub line_id: String,
    /// The row the change was applied to.
    pub sku: Sku,
    pub quantity: i64,
    pub sale_date: DateTime<Utc>,
    pub processed_at: DateTime<Utc>,
}

impl SalesLogRow {
    /// The row's cells in `SALES_LOG_HEADER` order.
    pub fn to_sheet_row(&self) -> Vec<String> {
        vec![
            self.sale_id.clone(),
            self.line_id.clone(),
            self.sku.to_string(),
            self.quantity.to_string(),
            format_timestamp(self.sale_date),
            format_timestamp(self.processed_at),
        ]
    }
}

/// Reads the SalesLog worksheet (header first, every column required).
/// Any invalid cell fails the whole read: reconciling against a ledger
/// that cannot be read could apply a sale twice.
pub fn read_sales_log(rows: &[Vec<String>]) -> Result<Vec<SalesLogRow>, ImportErrors> {
    let mut warnings: Vec<ImportWarning> = Vec::new();
    let table = match Table::read(rows, SALES_LOG_SHEET, &SALES_LOG_HEADER, &SALES_LOG_HEADER, &mut warnings) {
        Ok(Some(table)) => table,
        Ok(None) => return Ok(Vec::new()),
        Err(errors) => return Err(ImportErrors { errors }),
    };
    let mut errors = Vec::new();
    let mut log = Vec::new();
    for (row, cells) in table.data_rows(&mut warnings) {
        let mut cells = table.cells(row, cells, &mut errors);
        let parsed = (
            cells.required(0, parse_required_text),
            cells.required(1, parse_required_text),
            cells.required(2, parse_sku),
            cells.required(3, parse_signed_quantity),
            cells.required(4, parse_timestamp),
            cells.required(5, parse_timestamp),
        );
        if let (Some(sale_id), Some(line_id), Some(sku), Some(quantity), Some(sale_date), Some(processed_at)) = parsed {
            log.push(SalesLogRow { sale_id, line_id, sku, quantity, sale_date, processed_at });
        }
    }
    if errors.is_empty() { Ok(log) } else { Err(ImportErrors { errors }) }
}

/// Since when the QtySold column counts sales, after a sync that added
/// `new_rows` to the SalesLog `logged_before`, its state having been
/// `saved`; `None` while that cannot be known.
///
/// - Once known, the start only moves back: a sale logged later with an
///   earlier date (a layby completed, a line whose product arrived late).
/// - Counting begins with a connection's first sync (no start known, its
///   sales cursor at the start, nothing logged yet). That sync reads the
///   till's whole sales history, so the count starts at the earliest sale
///   it logged, or at the sync itself when the till had no sale yet (the
///   cursor then stays at the start: the start kept says it was counted).
/// - A state saved before the start was kept says nothing; the SalesLog is
///   the ledger of every line counted, so its earliest sale is the start
///   (unknown while it is empty). So it is when the store lost the state
///   but the workbook kept its SalesLog.
pub fn sales_counted_since(
    saved: &SyncState,
    logged_before: &[SalesLogRow],
    new_rows: &[SalesLogRow],
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let earliest_new = new_rows.iter().map(|row| row.sale_date).min();
    if saved.sales_since.is_none() && saved.sales == Cursor::START && logged_before.is_empty() {
        return Some(earliest_new.map_or(now, |earliest| earliest.min(now)));
    }
    let known = saved.sales_since.or_else(|| logged_before.iter().map(|row| row.sale_date).min());
    match (known, earliest_new) {
        (Some(known), Some(earliest)) => Some(known.min(earliest)),
        (known, earliest) => known.or(earliest),
    }
}

/// The SalesLog worksheet to write: the existing rows exactly as they are,
/// then the new ones; an empty sheet gets the header first.
pub fn append_sales_log(existing: &[Vec<String>], new: &[SalesLogRow]) -> Vec<Vec<String>> {
    let mut rows = existing.to_vec();
    if existing.iter().all(|row| crate::table::is_blank(row)) {
        rows.push(SALES_LOG_HEADER.iter().map(|name| (*name).to_owned()).collect());
    }
    rows.extend(new.iter().map(SalesLogRow::to_sheet_row));
    rows
}

/// A sale line, by its identity.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LineRef {
    pub sale_id: String,
    pub line_id: String,
}

/// A change made to a row for a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineChange {
    pub sale_id: String,
    pub line_id: String,
    pub sku: Sku,
    /// Added to QtySold (and taken from QtyOnHand unless refreshed).
    pub quantity: i64,
}

/// A line that could not be applied because its row is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownLine {
    pub sale_id: String,
    pub line_id: String,
    pub product_id: String,
    /// For an undo: the SKU it was applied to, which has no row now.
    pub sku: Option<Sku>,
    /// The sale is older than [`RETRY_UNKNOWN_FOR`]: it is not read again.
    pub given_up: bool,
}

/// How long a sale whose line has no row is read again, sync after sync,
/// in case the row appears.
pub const RETRY_UNKNOWN_FOR: Duration = Duration::days(7);

impl fmt::Display for UnknownLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let UnknownLine { sale_id, line_id, product_id, sku, given_up } = self;
        let when = if *given_up {
            format!(", given up (the sale is over {} days old)", RETRY_UNKNOWN_FOR.num_days())
        } else {
            " yet".to_owned()
        };
        match sku {
            None => write!(
                f,
                "sale {sale_id} line {line_id}: product {product_id} is not in the Inventory; not applied{when}"
            ),
            Some(sku) => write!(
                f,
                "sale {sale_id} line {line_id} was voided but SKU {sku} is not in the Inventory; not undone{when}"
            ),
        }
    }
}

/// A quantity that would have gone below zero and stopped at 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clamp {
    pub sale_id: String,
    pub line_id: String,
    pub sku: Sku,
    /// `QtyOnHand` or `QtySold`.
    pub column: &'static str,
    /// What it would have been.
    pub would_be: i64,
}

impl fmt::Display for Clamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Clamp { sale_id, line_id, sku, column, would_be } = self;
        write!(f, "sale {sale_id} line {line_id}: {column} of {sku} would be {would_be}; set to 0")
    }
}

/// What reconciliation did, line by line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    pub applied: Vec<LineChange>,
    /// Lines of voided sales undone; `quantity` is the undoing change.
    pub reversed: Vec<LineChange>,
    /// Lines already processed: nothing changed.
    pub duplicates: Vec<LineRef>,
    /// Lines of sales not completed yet.
    pub open: Vec<LineRef>,
    /// Lines of voided sales that had never been applied.
    pub voided_unapplied: Vec<LineRef>,
    pub unknown: Vec<UnknownLine>,
    pub clamped: Vec<Clamp>,
}

/// The rows after the sales, what to append to the SalesLog, and the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconciled {
    /// The rows in the order given; a changed row has `last_updated = now`.
    pub rows: Vec<InventoryRow>,
    pub new_log_rows: Vec<SalesLogRow>,
    pub report: ReconcileReport,
    /// When lines could not be applied: the sales cursor to read from next
    /// time so their sales come again (just before the oldest such sale).
    /// The caller keeps the older of this and the feed's cursor.
    pub unresolved_from: Option<Cursor>,
}

/// Applies the till's sales to the rows (see the module documentation).
/// `log` is the SalesLog as read; `refreshed` the SKUs whose on-hand came
/// from the till's inventory in this sync. A sale line finds its row by
/// the row's ItemID (the till's product id).
pub fn reconcile_sales(
    rows: &[InventoryRow],
    log: &[SalesLogRow],
    sales: &[Sale],
    refreshed: &BTreeSet<Sku>,
    now: DateTime<Utc>,
) -> Reconciled {
    let now = now.trunc_subsecs(0);
    let mut rows = rows.to_vec();
    let mut by_item_id: HashMap<&str, usize> = HashMap::new();
    let mut by_sku: HashMap<&Sku, usize> = HashMap::new();
    let originals = rows.clone();
    for (index, row) in originals.iter().enumerate() {
        if !row.item_id.is_empty() {
            by_item_id.entry(row.item_id.as_str()).or_insert(index);
        }
        by_sku.entry(&row.sku).or_insert(index);
    }
    // What is applied now per line, and to which SKU.
    let mut ledger: HashMap<LineRef, (Sku, i64)> = HashMap::new();
    for entry in log {
        let key = LineRef { sale_id: entry.sale_id.clone(), line_id: entry.line_id.clone() };
        ledger.entry(key).or_insert_with(|| (entry.sku.clone(), 0)).1 += entry.quantity;
    }

    let mut latest: HashMap<&str, &Sale> = HashMap::new();
    for sale in sales {
        match latest.get(sale.id.as_str()) {
            Some(seen) if seen.version > sale.version => {}
            _ => {
                latest.insert(&sale.id, sale);
            }
        }
    }
    let mut sales: Vec<&Sale> = latest.into_values().collect();
    sales.sort_by(|a, b| a.version.cmp(&b.version).then_with(|| a.id.cmp(&b.id)));

    let mut work = Work { rows: &mut rows, refreshed, report: ReconcileReport::default(), touched: Vec::new() };
    let mut new_log_rows = Vec::new();
    let mut oldest_unresolved: Option<i64> = None;
    for sale in sales {
        for line in &sale.lines {
            let key = LineRef { sale_id: sale.id.clone(), line_id: line.line_id.clone() };
            let applied = ledger.get(&key).cloned();
            let given_up = now - sale.sale_date > RETRY_UNKNOWN_FOR;
            let mut unknown = |sku: Option<Sku>, report: &mut ReconcileReport| {
                report.unknown.push(UnknownLine {
                    sale_id: key.sale_id.clone(),
                    line_id: key.line_id.clone(),
                    product_id: line.product_id.clone(),
                    sku,
                    given_up,
                });
                if !given_up {
                    oldest_unresolved = Some(oldest_unresolved.map_or(sale.version, |v| v.min(sale.version)));
                }
            };
            let change = match (sale.status, applied) {
                (SaleStatus::Open, None) => {
                    work.report.open.push(key);
                    continue;
                }
                (SaleStatus::Voided, None) => {
                    work.report.voided_unapplied.push(key);
                    continue;
                }
                (SaleStatus::Closed | SaleStatus::Open, Some(_)) | (SaleStatus::Voided, Some((_, 0))) => {
                    work.report.duplicates.push(key);
                    continue;
                }
                (SaleStatus::Closed, None) => match by_item_id.get(line.product_id.as_str()) {
                    Some(&index) => (index, line.quantity),
                    None => {
                        unknown(None, &mut work.report);
                        continue;
                    }
                },
                (SaleStatus::Voided, Some((sku, applied_quantity))) => match by_sku.get(&sku) {
                    Some(&index) => (index, -applied_quantity),
                    None => {
                        unknown(Some(sku), &mut work.report);
                        continue;
                    }
                },
            };
            let (index, quantity) = change;
            let applied = work.apply(index, &key, quantity);
            let entry = ledger.entry(key.clone()).or_insert_with(|| (applied.sku.clone(), 0));
            entry.1 += quantity;
            new_log_rows.push(SalesLogRow {
                sale_id: key.sale_id,
                line_id: key.line_id,
                sku: applied.sku.clone(),
                quantity,
                sale_date: sale.sale_date,
                processed_at: now,
            });
            if sale.status == SaleStatus::Voided {
                work.report.reversed.push(applied);
            } else {
                work.report.applied.push(applied);
            }
        }
    }
    let Work { report, touched, .. } = work;
    for index in touched {
        if !rows[index].same_values(&originals[index]) {
            rows[index].last_updated = Some(now);
        }
    }
    let unresolved_from = oldest_unresolved.map(|version| Cursor(version.saturating_sub(1)));
    Reconciled { rows, new_log_rows, report, unresolved_from }
}

struct Work<'a> {
    rows: &'a mut Vec<InventoryRow>,
    refreshed: &'a BTreeSet<Sku>,
    report: ReconcileReport,
    touched: Vec<usize>,
}

impl Work<'_> {
    /// Sells `quantity` (negative: takes back) from the row at `index`.
    fn apply(&mut self, index: usize, line: &LineRef, quantity: i64) -> LineChange {
        let row = &mut self.rows[index];
        let sku = row.sku.clone();
        let mut clamp = |column: &'static str, value: i64| -> u32 {
            if value < 0 {
                self.report.clamped.push(Clamp {
                    sale_id: line.sale_id.clone(),
                    line_id: line.line_id.clone(),
                    sku: sku.clone(),
                    column,
                    would_be: value,
                });
            }
            u32::try_from(value.max(0)).unwrap_or(u32::MAX)
        };
        row.qty_sold = clamp("QtySold", i64::from(row.qty_sold).saturating_add(quantity));
        if !self.refreshed.contains(&row.sku) {
            row.qty_on_hand = clamp("QtyOnHand", i64::from(row.qty_on_hand).saturating_sub(quantity));
        }
        self.touched.push(index);
        LineChange { sale_id: line.sale_id.clone(), line_id: line.line_id.clone(), sku, quantity }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::row::tests::row;
    use crate::source::SaleLine;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
    }

    #[test]
    fn sales_are_counted_since_the_earliest_sale_of_the_first_sync_and_only_move_back() {
        let logged = |day: u32| SalesLogRow {
            sale_id: format!("s{day}"),
            line_id: "l1".into(),
            sku: Sku::parse("A-9").unwrap(),
            quantity: 1,
            sale_date: at(day, 10),
            processed_at: at(24, 12),
        };
        let state = |sales: i64, since: Option<DateTime<Utc>>| SyncState {
            sales: Cursor(sales),
            sales_since: since,
            ..SyncState::default()
        };
        let now = at(24, 12);
        // (case, saved state, SalesLog before, logged by this sync, counted since)
        type Case = (&'static str, SyncState, Vec<SalesLogRow>, Vec<SalesLogRow>, Option<DateTime<Utc>>);
        let cases: [Case; 8] = [
            ("first sync, the till's history", state(0, None), vec![], vec![logged(5), logged(3)], Some(at(3, 10))),
            ("first sync, no sale yet", state(0, None), vec![], vec![], Some(now)),
            (
                "after a first sync without sales (the cursor still at the start)",
                state(0, Some(at(1, 0))),
                vec![],
                vec![logged(9)],
                Some(at(1, 0)),
            ),
            ("later, nothing new", state(40, Some(at(3, 10))), vec![logged(3)], vec![], Some(at(3, 10))),
            ("later, newer sales", state(40, Some(at(3, 10))), vec![logged(3)], vec![logged(20)], Some(at(3, 10))),
            ("later, an older sale", state(40, Some(at(3, 10))), vec![logged(3)], vec![logged(2)], Some(at(2, 10))),
            (
                "not kept before: the SalesLog",
                state(40, None),
                vec![logged(7), logged(4)],
                vec![logged(8)],
                Some(at(4, 10)),
            ),
            ("not kept before, nothing logged", state(40, None), vec![], vec![], None),
        ];
        for (case, saved, before, new, expected) in cases {
            assert_eq!(sales_counted_since(&saved, &before, &new, now), expected, "{case}");
        }
        let reset_with_a_log = sales_counted_since(&state(0, None), &[logged(6)], &[logged(7)], now);
        assert_eq!(
            reset_with_a_log,
            Some(at(6, 10)),
            "cursors lost, the SalesLog kept: it still counts from its start"
        );
    }

    fn sku(text: &str) -> Sku {
        Sku::parse(text).unwrap()
    }

    /// Rows A (product pa), B (pb), C (pc) with the given (on hand, sold).
    fn rows(a: (u32, u32), b: (u32, u32), c: (u32, u32)) -> Vec<InventoryRow> {
        [("A", a), ("B", b), ("C", c)]
            .into_iter()
            .map(|(name, (on_hand, sold))| InventoryRow {
                item_id: format!("p{}", name.to_lowercase()),
                qty_on_hand: on_hand,
                qty_sold: sold,
                last_updated: Some(at(1, 9)),
                ..row(name)
            })
            .collect()
    }

    /// A sale: lines as (line id, product id, quantity).
    fn sale(id: &str, status: SaleStatus, version: i64, lines: &[(&str, &str, i64)]) -> Sale {
        Sale {
            id: id.into(),
            outlet_id: "o1".into(),
            status,
            sale_date: at(20, 15),
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

    fn closed(id: &str, version: i64, lines: &[(&str, &str, i64)]) -> Sale {
        sale(id, SaleStatus::Closed, version, lines)
    }

    fn voided(id: &str, version: i64, lines: &[(&str, &str, i64)]) -> Sale {
        sale(id, SaleStatus::Voided, version, lines)
    }

    fn open(id: &str, version: i64, lines: &[(&str, &str, i64)]) -> Sale {
        sale(id, SaleStatus::Open, version, lines)
    }

    /// A ledger row: (sale, line, sku, qty).
    fn logged(entries: &[(&str, &str, &str, i64)]) -> Vec<SalesLogRow> {
        entries
            .iter()
            .map(|(sale_id, line_id, sku_text, quantity)| SalesLogRow {
                sale_id: (*sale_id).into(),
                line_id: (*line_id).into(),
                sku: sku(sku_text),
                quantity: *quantity,
                sale_date: at(20, 15),
                processed_at: at(20, 16),
            })
            .collect()
    }

    struct Case {
        name: &'static str,
        rows: Vec<InventoryRow>,
        log: Vec<SalesLogRow>,
        sales: Vec<Sale>,
        refreshed: &'static [&'static str],
        /// (on hand, sold) of A, B, C afterwards.
        expected: [(u32, u32); 3],
        /// New SalesLog rows: (sale, line, sku, qty).
        new_log: &'static [(&'static str, &'static str, &'static str, i64)],
        /// The report, one line per entry (see `summary`).
        report: &'static [&'static str],
    }

    fn summary(report: &ReconcileReport) -> Vec<String> {
        let mut lines = Vec::new();
        let change = |c: &LineChange| format!("{}/{} {} {}", c.sale_id, c.line_id, c.sku, c.quantity);
        let line = |l: &LineRef| format!("{}/{}", l.sale_id, l.line_id);
        lines.extend(report.applied.iter().map(|c| format!("applied {}", change(c))));
        lines.extend(report.reversed.iter().map(|c| format!("reversed {}", change(c))));
        lines.extend(report.duplicates.iter().map(|l| format!("duplicate {}", line(l))));
        lines.extend(report.open.iter().map(|l| format!("open {}", line(l))));
        lines.extend(report.voided_unapplied.iter().map(|l| format!("voided unapplied {}", line(l))));
        lines.extend(report.unknown.iter().map(|u| match &u.sku {
            None => format!("unknown {}/{} product {}", u.sale_id, u.line_id, u.product_id),
            Some(sku) => format!("unknown {}/{} sku {sku}", u.sale_id, u.line_id),
        }));
        lines.extend(
            report
                .clamped
                .iter()
                .map(|c| format!("clamped {}/{} {} {} {}", c.sale_id, c.line_id, c.sku, c.column, c.would_be)),
        );
        lines
    }

    fn check(case: Case) {
        let refreshed: BTreeSet<Sku> = case.refreshed.iter().map(|s| sku(s)).collect();
        let result = reconcile_sales(&case.rows, &case.log, &case.sales, &refreshed, at(24, 12));
        let quantities: Vec<(u32, u32)> = result.rows.iter().map(|r| (r.qty_on_hand, r.qty_sold)).collect();
        assert_eq!(quantities, case.expected, "{}: quantities", case.name);
        let new_log: Vec<(&str, &str, &str, i64)> = result
            .new_log_rows
            .iter()
            .map(|r| (r.sale_id.as_str(), r.line_id.as_str(), r.sku.as_str(), r.quantity))
            .collect();
        assert_eq!(new_log, case.new_log, "{}: new SalesLog rows", case.name);
        assert_eq!(summary(&result.report), case.report, "{}: report", case.name);

        // The invariants of every case:
        for (before, after) in case.rows.iter().zip(&result.rows) {
            let changed = !before.same_values(after);
            let stamp = if changed { Some(at(24, 12)) } else { before.last_updated };
            assert_eq!(after.last_updated, stamp, "{}: LastUpdated of {}", case.name, after.sku);
        }
        for entry in &result.new_log_rows {
            assert_eq!(entry.processed_at, at(24, 12));
            assert_eq!(entry.sale_date, at(20, 15));
        }
        // Running again with the log written changes nothing.
        let mut log = case.log.clone();
        log.extend(result.new_log_rows.iter().cloned());
        let again = reconcile_sales(&result.rows, &log, &case.sales, &refreshed, at(25, 12));
        assert_eq!(again.rows, result.rows, "{}: a second run changes no row", case.name);
        assert_eq!(again.new_log_rows, [], "{}: a second run logs nothing", case.name);
        assert_eq!(again.report.unknown, result.report.unknown, "{}: still unknown", case.name);
    }

    #[test]
    fn reconciliation_by_the_rules() {
        let cases = vec![
            Case {
                name: "a closed sale: sold up, stock down",
                rows: rows((10, 0), (5, 1), (3, 0)),
                log: vec![],
                sales: vec![closed("s1", 101, &[("l1", "pa", 2), ("l2", "pb", 1)])],
                refreshed: &[],
                expected: [(8, 2), (4, 2), (3, 0)],
                new_log: &[("s1", "l1", "A", 2), ("s1", "l2", "B", 1)],
                report: &["applied s1/l1 A 2", "applied s1/l2 B 1"],
            },
            Case {
                name: "two identical lines in one sale are two lines",
                rows: rows((10, 0), (5, 0), (3, 0)),
                log: vec![],
                sales: vec![closed("s1", 101, &[("l1", "pa", 1), ("l2", "pa", 1)])],
                refreshed: &[],
                expected: [(8, 2), (5, 0), (3, 0)],
                new_log: &[("s1", "l1", "A", 1), ("s1", "l2", "A", 1)],
                report: &["applied s1/l1 A 1", "applied s1/l2 A 1"],
            },
            Case {
                name: "two identical sales on one day are two sales",
                rows: rows((10, 0), (5, 0), (3, 0)),
                log: vec![],
                sales: vec![closed("s1", 101, &[("l1", "pa", 1)]), closed("s2", 102, &[("l1", "pa", 1)])],
                refreshed: &[],
                expected: [(8, 2), (5, 0), (3, 0)],
                new_log: &[("s1", "l1", "A", 1), ("s2", "l1", "A", 1)],
                report: &["applied s1/l1 A 1", "applied s2/l1 A 1"],
            },
            Case {
                name: "a sale already in the SalesLog changes nothing",
                rows: rows((8, 2), (5, 0), (3, 0)),
                log: logged(&[("s1", "l1", "A", 2)]),
                sales: vec![closed("s1", 101, &[("l1", "pa", 2)])],
                refreshed: &[],
                expected: [(8, 2), (5, 0), (3, 0)],
                new_log: &[],
                report: &["duplicate s1/l1"],
            },
            Case {
                name: "a processed line is never applied again, even if its content changed",
                rows: rows((8, 2), (5, 0), (3, 0)),
                log: logged(&[("s1", "l1", "A", 2)]),
                sales: vec![closed("s1", 105, &[("l1", "pa", 3), ("l2", "pb", 1)])],
                refreshed: &[],
                expected: [(8, 2), (4, 1), (3, 0)],
                new_log: &[("s1", "l2", "B", 1)],
                report: &["applied s1/l2 B 1", "duplicate s1/l1"],
            },
            Case {
                name: "the same sale twice in one feed counts once, at its highest version",
                rows: rows((10, 0), (5, 0), (3, 0)),
                log: vec![],
                sales: vec![closed("s1", 102, &[("l1", "pa", 1)]), open("s1", 101, &[("l1", "pa", 1)])],
                refreshed: &[],
                expected: [(9, 1), (5, 0), (3, 0)],
                new_log: &[("s1", "l1", "A", 1)],
                report: &["applied s1/l1 A 1"],
            },
            Case {
                name: "a refreshed SKU's stock already counts the sale: only QtySold moves",
                rows: rows((10, 0), (5, 0), (3, 0)),
                log: vec![],
                sales: vec![closed("s1", 101, &[("l1", "pa", 2), ("l2", "pb", 2)])],
                refreshed: &["A"],
                expected: [(10, 2), (3, 2), (3, 0)],
                new_log: &[("s1", "l1", "A", 2), ("s1", "l2", "B", 2)],
                report: &["applied s1/l1 A 2", "applied s1/l2 B 2"],
            },
            Case {
                name: "a return: sold down, stock back",
                rows: rows((3, 5), (5, 0), (3, 0)),
                log: vec![],
                sales: vec![closed("r1", 101, &[("l1", "pa", -1)])],
                refreshed: &[],
                expected: [(4, 4), (5, 0), (3, 0)],
                new_log: &[("r1", "l1", "A", -1)],
                report: &["applied r1/l1 A -1"],
            },
            Case {
                name: "a return of something sold before counting began: QtySold stops at 0",
                rows: rows((3, 0), (5, 0), (3, 0)),
                log: vec![],
                sales: vec![closed("r1", 101, &[("l1", "pa", -2)])],
                refreshed: &[],
                expected: [(5, 0), (5, 0), (3, 0)],
                new_log: &[("r1", "l1", "A", -2)],
                report: &["applied r1/l1 A -2", "clamped r1/l1 A QtySold -2"],
            },
            Case {
                name: "selling more than is on hand stops at 0 and says so",
                rows: rows((1, 0), (5, 0), (0, 0)),
                log: vec![],
                sales: vec![closed("s1", 101, &[("l1", "pa", 3), ("l2", "pc", 1)])],
                refreshed: &[],
                expected: [(0, 3), (5, 0), (0, 1)],
                new_log: &[("s1", "l1", "A", 3), ("s1", "l2", "C", 1)],
                report: &[
                    "applied s1/l1 A 3",
                    "applied s1/l2 C 1",
                    "clamped s1/l1 A QtyOnHand -2",
                    "clamped s1/l2 C QtyOnHand -1",
                ],
            },
            Case {
                name: "a voided sale that was applied is undone and logged as such",
                rows: rows((8, 2), (4, 1), (3, 0)),
                log: logged(&[("s1", "l1", "A", 2), ("s1", "l2", "B", 1)]),
                sales: vec![voided("s1", 110, &[("l1", "pa", 2), ("l2", "pb", 1)])],
                refreshed: &[],
                expected: [(10, 0), (5, 0), (3, 0)],
                new_log: &[("s1", "l1", "A", -2), ("s1", "l2", "B", -1)],
                report: &["reversed s1/l1 A -2", "reversed s1/l2 B -1"],
            },
            Case {
                name: "a voided sale undoes what the ledger says was applied, not what the void says",
                rows: rows((8, 2), (5, 0), (3, 0)),
                log: logged(&[("s1", "l1", "A", 2)]),
                sales: vec![voided("s1", 110, &[("l1", "pa", 5)])],
                refreshed: &[],
                expected: [(10, 0), (5, 0), (3, 0)],
                new_log: &[("s1", "l1", "A", -2)],
                report: &["reversed s1/l1 A -2"],
            },
            Case {
                name: "a voided return takes the stock back out",
                rows: rows((4, 4), (5, 0), (3, 0)),
                log: logged(&[("r1", "l1", "A", -1)]),
                sales: vec![voided("r1", 110, &[("l1", "pa", -1)])],
                refreshed: &[],
                expected: [(3, 5), (5, 0), (3, 0)],
                new_log: &[("r1", "l1", "A", 1)],
                report: &["reversed r1/l1 A 1"],
            },
            Case {
                name: "a void of a refreshed SKU leaves its stock to the till",
                rows: rows((8, 2), (5, 0), (3, 0)),
                log: logged(&[("s1", "l1", "A", 2)]),
                sales: vec![voided("s1", 110, &[("l1", "pa", 2)])],
                refreshed: &["A"],
                expected: [(8, 0), (5, 0), (3, 0)],
                new_log: &[("s1", "l1", "A", -2)],
                report: &["reversed s1/l1 A -2"],
            },
            Case {
                name: "a voided sale never applied is ignored",
                rows: rows((10, 0), (5, 0), (3, 0)),
                log: vec![],
                sales: vec![voided("s1", 110, &[("l1", "pa", 2)])],
                refreshed: &[],
                expected: [(10, 0), (5, 0), (3, 0)],
                new_log: &[],
                report: &["voided unapplied s1/l1"],
            },
            Case {
                name: "a void already undone is a duplicate",
                rows: rows((10, 0), (5, 0), (3, 0)),
                log: logged(&[("s1", "l1", "A", 2), ("s1", "l1", "A", -2)]),
                sales: vec![voided("s1", 110, &[("l1", "pa", 2)])],
                refreshed: &[],
                expected: [(10, 0), (5, 0), (3, 0)],
                new_log: &[],
                report: &["duplicate s1/l1"],
            },
            Case {
                name: "a sale closed and voided in the same feed: the void is its latest state",
                rows: rows((10, 0), (5, 0), (3, 0)),
                log: vec![],
                sales: vec![closed("s1", 101, &[("l1", "pa", 2)]), voided("s1", 102, &[("l1", "pa", 2)])],
                refreshed: &[],
                expected: [(10, 0), (5, 0), (3, 0)],
                new_log: &[],
                report: &["voided unapplied s1/l1"],
            },
            Case {
                name: "a voided sale whose row is gone is reported and undone later",
                rows: rows((10, 0), (5, 0), (3, 0)),
                log: logged(&[("s1", "l1", "GONE", 2)]),
                sales: vec![voided("s1", 110, &[("l1", "pgone", 2)])],
                refreshed: &[],
                expected: [(10, 0), (5, 0), (3, 0)],
                new_log: &[],
                report: &["unknown s1/l1 sku GONE"],
            },
            Case {
                name: "open sales are not applied yet",
                rows: rows((10, 0), (5, 0), (3, 0)),
                log: vec![],
                sales: vec![open("p1", 101, &[("l1", "pa", 1)])],
                refreshed: &[],
                expected: [(10, 0), (5, 0), (3, 0)],
                new_log: &[],
                report: &["open p1/l1"],
            },
            Case {
                name: "a line for an unknown product is reported and not logged",
                rows: rows((10, 0), (5, 0), (3, 0)),
                log: vec![],
                sales: vec![closed("s1", 101, &[("l1", "pzz", 1), ("l2", "pb", 1)])],
                refreshed: &[],
                expected: [(10, 0), (4, 1), (3, 0)],
                new_log: &[("s1", "l2", "B", 1)],
                report: &["applied s1/l2 B 1", "unknown s1/l1 product pzz"],
            },
            Case {
                name: "a return and a sale of one SKU in one feed, in version order",
                rows: rows((0, 3), (5, 0), (3, 0)),
                log: vec![],
                sales: vec![closed("s2", 102, &[("l1", "pa", 1)]), closed("r1", 101, &[("l1", "pa", -1)])],
                refreshed: &[],
                expected: [(0, 3), (5, 0), (3, 0)],
                new_log: &[("r1", "l1", "A", -1), ("s2", "l1", "A", 1)],
                report: &["applied r1/l1 A -1", "applied s2/l1 A 1"],
            },
            Case {
                name: "nothing new: nothing changes",
                rows: rows((10, 0), (5, 0), (3, 0)),
                log: logged(&[("s1", "l1", "A", 2)]),
                sales: vec![],
                refreshed: &["A", "B"],
                expected: [(10, 0), (5, 0), (3, 0)],
                new_log: &[],
                report: &[],
            },
        ];
        for case in cases {
            check(case);
        }
    }

    #[test]
    fn an_unknown_line_holds_the_sales_cursor_and_applies_once_its_row_exists() {
        let sales = vec![
            closed("s1", 101, &[("l1", "pa", 1)]),
            closed("s2", 205, &[("l1", "pnew", 2)]),
            closed("s3", 300, &[("l1", "pnew", 1)]),
        ];
        let first = reconcile_sales(&rows((10, 0), (5, 0), (3, 0)), &[], &sales, &BTreeSet::new(), at(24, 12));
        assert_eq!(first.unresolved_from, Some(Cursor(204)), "read again from just before s2");
        assert_eq!(first.report.unknown.len(), 2);
        assert_eq!(
            first.report.unknown[0].to_string(),
            "sale s2 line l1: product pnew is not in the Inventory; not applied yet"
        );

        let mut with_new_product = first.rows.clone();
        with_new_product.push(InventoryRow { item_id: "pnew".into(), qty_on_hand: 6, qty_sold: 0, ..row("NEW") });
        let second = reconcile_sales(&with_new_product, &first.new_log_rows, &sales, &BTreeSet::new(), at(24, 13));
        assert_eq!(second.unresolved_from, None);
        assert_eq!(summary(&second.report), ["applied s2/l1 NEW 2", "applied s3/l1 NEW 1", "duplicate s1/l1"]);
        let new = second.rows.iter().find(|r| r.sku.as_str() == "NEW").unwrap();
        assert_eq!((new.qty_on_hand, new.qty_sold), (3, 3));
    }

    #[test]
    fn an_unknown_line_older_than_the_retry_window_is_given_up() {
        let mut old = closed("s-old", 150, &[("l1", "gift-card", 1)]);
        old.sale_date = at(24, 12) - RETRY_UNKNOWN_FOR - Duration::hours(1);
        let mut recent = closed("s-new", 400, &[("l1", "pnew", 1)]);
        recent.sale_date = at(24, 12) - RETRY_UNKNOWN_FOR + Duration::hours(1);

        let only_old =
            reconcile_sales(&rows((10, 0), (5, 0), (3, 0)), &[], &[old.clone()], &BTreeSet::new(), at(24, 12));
        assert_eq!(only_old.unresolved_from, None, "an old unknown line does not hold the cursor back");
        assert!(only_old.report.unknown[0].given_up);
        assert_eq!(
            only_old.report.unknown[0].to_string(),
            "sale s-old line l1: product gift-card is not in the Inventory; not applied, given up (the sale is over 7 days old)"
        );

        let both = reconcile_sales(&rows((10, 0), (5, 0), (3, 0)), &[], &[old, recent], &BTreeSet::new(), at(24, 12));
        assert_eq!(both.unresolved_from, Some(Cursor(399)), "only the recent one is read again");
        assert_eq!(both.report.unknown.iter().map(|u| u.given_up).collect::<Vec<_>>(), [true, false]);
    }

    #[test]
    fn the_sales_log_round_trips_through_its_worksheet() {
        let mut log = logged(&[("s1", "l1", "A", 2), ("s1", "l1", "A", -2), ("r1", "l1", "B, \"b\"", -1)]);
        log[0].processed_at = at(21, 8) + chrono::Duration::milliseconds(5);
        let sheet = append_sales_log(&[], &log);
        assert_eq!(sheet[0], SALES_LOG_HEADER);
        assert_eq!(sheet[1], ["s1", "l1", "A", "2", "2026-11-20T15:00:00Z", "2026-11-21T08:00:00.005Z"]);
        assert_eq!(read_sales_log(&sheet).unwrap(), log);

        let more = logged(&[("s9", "l1", "C", 1)]);
        let appended = append_sales_log(&sheet, &more);
        assert_eq!(appended[..sheet.len()], sheet[..], "existing rows are kept as they are");
        assert_eq!(appended.len(), sheet.len() + 1);
        assert_eq!(read_sales_log(&appended).unwrap().len(), 4);
        assert_eq!(read_sales_log(&[]).unwrap(), []);
    }

    #[test]
    fn an_unreadable_sales_log_fails_with_every_problem() {
        let sheet: Vec<Vec<String>> = [
            &["SaleId", "LineId", "SKU", "Qty", "SaleDate", "ProcessedAt"][..],
            &["s1", "l1", "A", "two", "2026-11-20T15:00:00Z", "2026-11-20T15:00:00Z"],
            &["s2", "", "A", "1", "2026-11-20T15:00:00Z", "soon"],
        ]
        .iter()
        .map(|row| row.iter().map(|cell| (*cell).to_owned()).collect())
        .collect();
        let messages: Vec<String> =
            read_sales_log(&sheet).unwrap_err().errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            [
                "row 2, column Qty: \"two\" is not a whole number",
                "row 3, column LineId: required but empty",
                "row 3, column ProcessedAt: \"soon\" is not a date and time like 2026-11-24T15:00:00Z",
            ]
        );
        let missing = read_sales_log(&[vec!["SaleId".into(), "SKU".into()]]).unwrap_err();
        assert_eq!(missing.to_string(), "missing required columns: LineId, Qty, SaleDate, ProcessedAt");
    }
}
