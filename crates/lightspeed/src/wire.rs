//! Lightspeed's 2.0 JSON as it comes over the wire, and its conversion into
//! the inventory domain's types. Nothing here leaves the crate.
//!
//! The reading is tolerant where Lightspeed's own documents disagree (`brand`
//! and `type` are objects with a `name`, `{}` when unset, sometimes plain
//! strings; stock is `inventory_level` or `current_amount`) and strict where
//! a guess would corrupt data (ids, versions, prices and quantities that are
//! not numbers are `SourceError::Invalid`).

use chrono::{DateTime, NaiveDateTime, Utc};
use frontdesk_inventory::{Outlet, Product, Sale, SaleLine, SaleStatus, SourceError, StockLevel};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::value::RawValue;

/// One page of a 2.0 list: `{"data":[…],"version":{"min":N,"max":M}}`.
/// `version` is `{"min":null,"max":null}` (or missing) on an empty page.
#[derive(Debug, Deserialize)]
pub(crate) struct Page<T> {
    pub(crate) data: Vec<T>,
    #[serde(default)]
    pub(crate) version: Option<VersionRange>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct VersionRange {
    #[serde(default)]
    pub(crate) max: Option<i64>,
}

/// Each wire type knows its own `version`, so the cursor can still advance
/// when a page's `version.max` is missing.
pub(crate) trait Versioned: DeserializeOwned {
    fn version(&self) -> i64;
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireOutlet {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    deleted_at: Option<String>,
    #[serde(default)]
    version: i64,
}

impl Versioned for WireOutlet {
    fn version(&self) -> i64 {
        self.version
    }
}

#[derive(Debug, Deserialize)]
struct VariantOption {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    value: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ProductCode {
    #[serde(default, rename = "type")]
    code_type: Option<String>,
    #[serde(default)]
    code: Option<String>,
}

/// A product as `GET /products` returns it. A variant is a product of its
/// own: `name` is the family's name, shared by every variant ("Air Jordan 1
/// Retro High OG"), and `variant_name` is that name with the option values
/// appended ("Air Jordan 1 Retro High OG / 10 / Chicago").
#[derive(Debug, Deserialize)]
pub(crate) struct WireProduct {
    id: String,
    version: i64,
    #[serde(default)]
    sku: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    variant_name: Option<String>,
    #[serde(default)]
    variant_options: Vec<VariantOption>,
    #[serde(default)]
    product_codes: Vec<ProductCode>,
    #[serde(default)]
    brand: Option<Value>,
    #[serde(default, rename = "type")]
    product_type: Option<Value>,
    #[serde(default, rename = "product_type")]
    product_type_alias: Option<Value>,
    #[serde(default)]
    product_category: Option<Value>,
    #[serde(default)]
    price_including_tax: Option<Box<RawValue>>,
    #[serde(default)]
    price_excluding_tax: Option<Box<RawValue>>,
    #[serde(default)]
    is_active: Option<bool>,
    #[serde(default)]
    active: Option<bool>,
    #[serde(default)]
    deleted_at: Option<String>,
}

impl Versioned for WireProduct {
    fn version(&self) -> i64 {
        self.version
    }
}

/// An inventory record of `GET /inventory`: one product at one outlet.
#[derive(Debug, Deserialize)]
pub(crate) struct WireInventory {
    product_id: String,
    outlet_id: String,
    version: i64,
    #[serde(default)]
    inventory_level: Option<Box<RawValue>>,
    #[serde(default)]
    current_amount: Option<Box<RawValue>>,
    /// The date-versioned API's name for the same number.
    #[serde(default)]
    current_inventory_level: Option<Box<RawValue>>,
    #[serde(default)]
    deleted_at: Option<String>,
}

impl Versioned for WireInventory {
    fn version(&self) -> i64 {
        self.version
    }
}

#[derive(Debug, Deserialize)]
struct WireLineItem {
    #[serde(default)]
    id: Option<String>,
    product_id: String,
    quantity: Box<RawValue>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireSale {
    id: String,
    outlet_id: String,
    version: i64,
    #[serde(default)]
    status: Option<String>,
    /// The date-versioned API's `parked|pending|voided|closed`.
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    sale_date: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    deleted_at: Option<String>,
    #[serde(default)]
    line_items: Vec<WireLineItem>,
}

impl Versioned for WireSale {
    fn version(&self) -> i64 {
        self.version
    }
}

impl WireOutlet {
    /// `None` for a deleted outlet.
    pub(crate) fn into_outlet(self) -> Option<Outlet> {
        if is_set(&self.deleted_at) {
            return None;
        }
        Some(Outlet { name: self.name.unwrap_or_default(), id: self.id })
    }
}

impl WireProduct {
    pub(crate) fn into_product(self) -> Result<Product, SourceError> {
        let invalid =
            |what: String| SourceError::Invalid(format!("product {} (version {}): {what}", self.id, self.version));
        // Tax-exclusive stores may leave the tax-inclusive price out; their
        // shelf price is the one without tax.
        let price = present(&self.price_including_tax).or(present(&self.price_excluding_tax));
        let retail_price_cents = match price {
            Some(price) => {
                decimal(price.get(), 2)
                    .ok_or_else(|| invalid(format!("the price {} is not a number", price.get())))?
                    .value
            }
            None => 0,
        };
        let sku = self.sku.clone().unwrap_or_default();
        let size = self.option(&["size"]);
        let color = self.option(&["colour", "color"]);
        let barcode = barcode(&self.product_codes, &sku);
        let category = [&self.product_type, &self.product_type_alias, &self.product_category]
            .into_iter()
            .find_map(|value| value.as_ref().and_then(name_of))
            .unwrap_or_default();
        let brand = self.brand.as_ref().and_then(name_of);
        let name = self.family_name();
        Ok(Product {
            sku,
            name,
            category,
            brand,
            color,
            size,
            barcode,
            retail_price_cents,
            active: self.is_active.or(self.active).unwrap_or(true),
            deleted: is_set(&self.deleted_at),
            version: self.version,
            id: self.id,
        })
    }

    /// The value of the first variant option called one of `names`
    /// (case-insensitive, so "Size", "SIZE" and "size" all count).
    fn option(&self, names: &[&str]) -> Option<String> {
        self.variant_options
            .iter()
            .filter(|option| {
                option
                    .name
                    .as_deref()
                    .is_some_and(|name| names.iter().any(|wanted| name.trim().eq_ignore_ascii_case(wanted)))
            })
            .find_map(|option| non_empty(option.value.as_deref()))
    }

    /// `name` is already the family name. Only when it is missing is
    /// `variant_name` used, without its " / option / option" suffix.
    fn family_name(&self) -> String {
        if let Some(name) = non_empty(self.name.as_deref()) {
            return name;
        }
        let variant_name = self.variant_name.as_deref().unwrap_or_default();
        let mut name = variant_name;
        for option in self.variant_options.iter().rev() {
            if let Some(value) = option.value.as_deref()
                && let Some(stripped) = name.strip_suffix(value).and_then(|rest| rest.strip_suffix(" / "))
            {
                name = stripped;
            }
        }
        name.trim().to_owned()
    }
}

/// The product's barcode: a UPC or EAN when it has one (then the other GS1
/// types), otherwise a custom code. Lightspeed adds the SKU to
/// `product_codes` as a custom code, so a custom code equal to the SKU is not
/// a barcode.
fn barcode(codes: &[ProductCode], sku: &str) -> Option<String> {
    const PREFERENCE: [&str; 6] = ["UPC", "EAN", "JAN", "ISBN", "ITF", "CUSTOM"];
    let rank = |code: &ProductCode| {
        let code_type = code.code_type.as_deref().unwrap_or("CUSTOM").trim();
        PREFERENCE.iter().position(|wanted| code_type.eq_ignore_ascii_case(wanted)).unwrap_or(PREFERENCE.len())
    };
    codes
        .iter()
        .filter_map(|code| non_empty(code.code.as_deref()).map(|text| (rank(code), text)))
        .filter(|(rank, text)| *rank < PREFERENCE.len() - 1 || text != sku)
        .min_by_key(|(rank, _)| *rank)
        .map(|(_, text)| text)
}

impl WireInventory {
    pub(crate) fn into_stock_level(self) -> Result<StockLevel, SourceError> {
        let amount =
            [&self.inventory_level, &self.current_amount, &self.current_inventory_level].into_iter().find_map(present);
        let on_hand = match amount {
            Some(raw) => whole_units(raw.get()).ok_or_else(|| {
                SourceError::Invalid(format!(
                    "inventory of product {} at outlet {} (version {}): the quantity {} is not a number",
                    self.product_id,
                    self.outlet_id,
                    self.version,
                    raw.get()
                ))
            })?,
            // A record without a count: nothing on hand.
            None => 0,
        };
        Ok(StockLevel {
            product_id: self.product_id,
            outlet_id: self.outlet_id,
            on_hand,
            deleted: is_set(&self.deleted_at),
            version: self.version,
        })
    }

    pub(crate) fn outlet_id(&self) -> &str {
        &self.outlet_id
    }
}

impl WireSale {
    pub(crate) fn into_sale(self) -> Result<Sale, SourceError> {
        let invalid =
            |what: String| SourceError::Invalid(format!("sale {} (version {}): {what}", self.id, self.version));
        let date_text = self
            .sale_date
            .as_deref()
            .or(self.created_at.as_deref())
            .ok_or_else(|| invalid("it has no sale_date".to_owned()))?;
        let sale_date =
            timestamp(date_text).ok_or_else(|| invalid(format!("the sale_date {date_text:?} is not a date")))?;
        let mut lines = Vec::with_capacity(self.line_items.len());
        for (index, line) in self.line_items.iter().enumerate() {
            let quantity = whole_units(line.quantity.get()).ok_or_else(|| {
                invalid(format!("line {index}: the quantity {} is not a number", line.quantity.get()))
            })?;
            let line_id = non_empty(line.id.as_deref()).unwrap_or_else(|| index.to_string());
            lines.push(SaleLine { line_id, product_id: line.product_id.clone(), quantity });
        }
        Ok(Sale {
            status: self.status(),
            sale_date,
            lines,
            version: self.version,
            outlet_id: self.outlet_id,
            id: self.id,
        })
    }

    /// CLOSED, and the closed forms of laybys and on-account sales
    /// (LAYBY_CLOSED, ONACCOUNT_CLOSED, …), are completed sales; VOIDED (or
    /// a deleted sale) is voided; SAVED, LAYBY, ONACCOUNT and anything new
    /// are not completed yet.
    fn status(&self) -> SaleStatus {
        if is_set(&self.deleted_at) {
            return SaleStatus::Voided;
        }
        let status = self.status.as_deref().or(self.state.as_deref()).unwrap_or_default().trim().to_ascii_uppercase();
        match status.as_str() {
            "VOIDED" => SaleStatus::Voided,
            "CLOSED" => SaleStatus::Closed,
            status if status.ends_with("_CLOSED") => SaleStatus::Closed,
            _ => SaleStatus::Open,
        }
    }

    pub(crate) fn outlet_id(&self) -> &str {
        &self.outlet_id
    }
}

/// The `name` of a `{"id","name",…}` object, or the string itself; `{}`,
/// `null` and blanks are no name.
fn name_of(value: &Value) -> Option<String> {
    match value {
        Value::String(name) => non_empty(Some(name)),
        Value::Object(fields) => fields.get("name").and_then(Value::as_str).and_then(|name| non_empty(Some(name))),
        _ => None,
    }
}

/// A number that is there: neither missing nor `null`.
fn present(raw: &Option<Box<RawValue>>) -> Option<&RawValue> {
    raw.as_deref().filter(|raw| raw.get().trim() != "null")
}

fn non_empty(text: Option<&str>) -> Option<String> {
    text.map(str::trim).filter(|text| !text.is_empty()).map(str::to_owned)
}

fn is_set(text: &Option<String>) -> bool {
    text.as_deref().is_some_and(|text| !text.trim().is_empty())
}

/// Lightspeed's dates: RFC 3339 (`2026-03-09T14:05:12+00:00`, `…Z`), or the
/// older `2026-03-09 14:05:12` in UTC.
fn timestamp(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(date) = DateTime::parse_from_rfc3339(text) {
        return Some(date.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").ok().map(|naive| naive.and_utc())
}

/// A quantity in whole units. Lightspeed sends counts as decimals (`1.0`);
/// a fraction (a product sold by weight) is rounded to the nearest unit,
/// halves away from zero, and logged.
fn whole_units(raw: &str) -> Option<i64> {
    let quantity = decimal(raw, 0)?;
    if !quantity.exact {
        tracing::warn!(quantity = raw, rounded = quantity.value, "fractional quantity rounded to whole units");
    }
    Some(quantity.value)
}

/// A decimal number scaled by `10^scale` and rounded half away from zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Scaled {
    pub(crate) value: i64,
    /// Nothing was rounded away.
    pub(crate) exact: bool,
}

/// Reads a JSON number's text (`129.99`, `130`, `-1.0`, `1.5e2`; also the
/// same in a JSON string) exactly, without going through a float: `129.99`
/// at scale 2 is 12999, where `129.99 * 100.0` is 12998.999…
pub(crate) fn decimal(raw: &str, scale: u32) -> Option<Scaled> {
    let text = raw.trim();
    let text = text.strip_prefix('"').and_then(|rest| rest.strip_suffix('"')).unwrap_or(text).trim();
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => {
            let exponent = unsigned[at + 1..].strip_prefix('+').unwrap_or(&unsigned[at + 1..]);
            (&unsigned[..at], exponent.parse::<i32>().ok()?)
        }
        None => (unsigned, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
    if whole.is_empty()
        || !all_digits(whole)
        || !all_digits(fraction)
        || (mantissa.contains('.') && fraction.is_empty())
    {
        return None;
    }
    let digits: Vec<u8> = whole.bytes().chain(fraction.bytes()).map(|byte| byte - b'0').collect();
    // The number is digits × 10^shift once scaled.
    let shift = i64::from(exponent) - fraction.len() as i64 + i64::from(scale);
    let (kept, dropped): (&[u8], &[u8]) = if shift >= 0 {
        (&digits, &[])
    } else {
        let drop = usize::try_from(-shift).ok()?;
        if drop >= digits.len() { (&[], &digits) } else { digits.split_at(digits.len() - drop) }
    };
    let mut value: i128 = 0;
    for digit in kept {
        value = value.checked_mul(10)?.checked_add(i128::from(*digit))?;
    }
    if shift > 0 {
        value = value.checked_mul(10_i128.checked_pow(u32::try_from(shift).ok()?)?)?;
    }
    // Only the first dropped digit decides, and only when it is the digit
    // right after the last kept one (more dropped digits than there are
    // means the number is below half a unit).
    let rounds_up =
        shift < 0 && usize::try_from(-shift).ok()? <= digits.len() && dropped.first().is_some_and(|d| *d >= 5);
    if rounds_up {
        value = value.checked_add(1)?;
    }
    let exact = dropped.iter().all(|digit| *digit == 0);
    let value = i64::try_from(if negative { -value } else { value }).ok()?;
    Some(Scaled { value, exact })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_read_exactly_and_rounded_half_away_from_zero() {
        let check = |raw: &str, scale: u32, expected: Option<(i64, bool)>| {
            let actual = decimal(raw, scale).map(|scaled| (scaled.value, scaled.exact));
            assert_eq!(actual, expected, "{raw:?} at scale {scale}");
        };
        check("129.99", 2, Some((12999, true)));
        check("129.9", 2, Some((12990, true)));
        check("130", 2, Some((13000, true)));
        check("0", 2, Some((0, true)));
        check("\"129.99\"", 2, Some((12999, true)));
        check("3.02632", 2, Some((303, false)));
        check("126.5", 2, Some((12650, true)));
        check("1.005", 2, Some((101, false))); // 1.005 * 100.0 is 100.49999…
        check("0.285", 2, Some((29, false)));
        check("0.004", 2, Some((0, false)));
        check("0.0049", 2, Some((0, false)));
        check("0.005", 2, Some((1, false)));
        check("-1.005", 2, Some((-101, false)));
        check("1.5e2", 2, Some((15000, true)));
        check("1.2345E1", 2, Some((1235, false)));
        check("125E-2", 2, Some((125, true)));
        check("1e-5", 2, Some((0, false)));
        check("1.0", 0, Some((1, true)));
        check("-1.0", 0, Some((-1, true)));
        check("2", 0, Some((2, true)));
        check("0.5", 0, Some((1, false)));
        check("-2.5", 0, Some((-3, false)));
        check("1.49", 0, Some((1, false)));
        check("99999999999999999999", 0, None);
        check("1e400", 2, None);
        for bad in ["", "null", "abc", "1.", ".5", "1.2.3", "--1", "1e", "\"\"", "1,5", "+1"] {
            check(bad, 2, None);
        }
    }

    #[test]
    fn timestamps_in_both_of_lightspeeds_formats() {
        let expected = DateTime::parse_from_rfc3339("2026-03-09T14:05:12Z").map(|d| d.with_timezone(&Utc)).ok();
        assert_eq!(timestamp("2026-03-09T14:05:12+00:00"), expected);
        assert_eq!(timestamp("2026-03-09T14:05:12Z"), expected);
        assert_eq!(timestamp("2026-03-09T16:05:12+02:00"), expected);
        assert_eq!(timestamp("2026-03-09 14:05:12"), expected);
        assert_eq!(timestamp("yesterday"), None);
    }

    #[test]
    fn names_come_from_objects_or_strings() {
        let check = |json: &str, expected: Option<&str>| {
            let value: Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"));
            assert_eq!(name_of(&value).as_deref(), expected, "{json}");
        };
        check(r#"{"id":"b1","name":"Jordan","version":3}"#, Some("Jordan"));
        check(r#""Fear of God Essentials""#, Some("Fear of God Essentials"));
        check("{}", None);
        check("null", None);
        check(r#"{"name":"  "}"#, None);
        check("7", None);
    }

    fn code(code_type: &str, code: &str) -> ProductCode {
        ProductCode { code_type: Some(code_type.to_owned()), code: Some(code.to_owned()) }
    }

    #[test]
    fn barcodes_prefer_upc_and_ean_and_skip_the_sku() {
        let check = |codes: Vec<ProductCode>, expected: Option<&str>| {
            assert_eq!(barcode(&codes, "AJ1-CHI-10").as_deref(), expected, "{codes:?}");
        };
        check(vec![code("CUSTOM", "AJ1-CHI-10"), code("UPC", "195244123456")], Some("195244123456"));
        check(vec![code("EAN", "0195244123463"), code("UPC", "195244123456")], Some("195244123456"));
        check(vec![code("custom", "X-1"), code("ean", "0195244123463")], Some("0195244123463"));
        check(vec![code("CUSTOM", "AJ1-CHI-10")], None);
        check(vec![code("custom", "4006381333931")], Some("4006381333931"));
        check(vec![code("UPC", "  ")], None);
        check(vec![], None);
    }
}
