use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

/// Where a change feed stands: the highest `version` seen (Lightspeed's
/// global, monotonically increasing item version). `Cursor::START` reads
/// everything.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cursor(pub i64);

impl Cursor {
    pub const START: Cursor = Cursor(0);
}

/// Items changed after a cursor, and the cursor to ask from next time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changes<T> {
    pub items: Vec<T>,
    pub cursor: Cursor,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outlet {
    pub id: String,
    pub name: String,
}

/// A sellable product (one size of a shoe is its own product, a variant of
/// its parent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub id: String,
    pub sku: String,
    /// The product's name without the variant (`Air Jordan 1 Retro High OG`).
    pub name: String,
    /// Lightspeed's product type, used as the category (`Sneakers`, `Hoodies`).
    pub category: String,
    pub brand: Option<String>,
    pub color: Option<String>,
    /// From `variant_options` named Size.
    pub size: Option<String>,
    pub barcode: Option<String>,
    /// Retail price including tax, in cents.
    pub retail_price_cents: i64,
    pub active: bool,
    /// `deleted_at` was set: the product is gone from the till.
    pub deleted: bool,
    pub version: i64,
}

/// On-hand quantity of a product at an outlet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockLevel {
    pub product_id: String,
    pub outlet_id: String,
    pub on_hand: i64,
    pub deleted: bool,
    pub version: i64,
}

impl StockLevel {
    /// One level per product and outlet: the one recording `levels` one by
    /// one would keep (the highest version; of equal versions, the later).
    /// Sorted by product and outlet, so stores that upsert them lock rows
    /// in the same order every time (no deadlock between concurrent
    /// records) and never write one row twice in a statement.
    pub fn newest(levels: &[StockLevel]) -> Vec<&StockLevel> {
        let mut newest: BTreeMap<(&str, &str), &StockLevel> = BTreeMap::new();
        for level in levels {
            newest
                .entry((level.product_id.as_str(), level.outlet_id.as_str()))
                .and_modify(|kept| {
                    if kept.version <= level.version {
                        *kept = level;
                    }
                })
                .or_insert(level);
        }
        newest.into_values().collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaleStatus {
    Closed,
    Voided,
    /// Parked, layby, on account: not a completed sale yet.
    Open,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sale {
    pub id: String,
    pub outlet_id: String,
    pub status: SaleStatus,
    pub sale_date: DateTime<Utc>,
    pub lines: Vec<SaleLine>,
    pub version: i64,
}

/// One line of a sale. `line_id` is the line item's own id (or its position
/// when the till gives none): two identical lines are two lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleLine {
    pub line_id: String,
    pub product_id: String,
    /// Negative for a return.
    pub quantity: i64,
}
