//! The order of the Inventory worksheet: Category, then Name, then Size in
//! natural size order, then SKU (then ItemID), so the order is total and the
//! same rows always come out the same way.
//!
//! Category and Name compare as a person reads them: case and accents
//! folded, numbers as numbers ("Air Jordan 4" before "Air Jordan 11"); the
//! raw Category and Name only break a tie after SKU and ItemID, so
//! "Sneakers" and "sneakers" sort together.
//!
//! Sizes, by kind, in this fixed order when kinds are mixed:
//! 1. numeric sizes, by number: `8 < 8.5 < 9 < 10.5 < 11`; a prefix is
//!    ignored for the number (`US 9` = `9`, `EU 42 2/3`), a suffix is kept
//!    as a tie-break (`9.5` before `9.5W`; women's sizes are not converted);
//!    a second number orders waist × length (`30x32`, `W30 L32`). Kids'
//!    sizes come first: toddler/little kids (`10C`, `TD`, `PS`) before
//!    youth (`5Y`, `GS`) before adult. Waist sizes are numbers like any
//!    other (`28 < 30 < 32`);
//! 2. letter sizes: `XXS < XS < S < M < L < XL < XXL < XXXL`, with `2XL` =
//!    `XXL`, `Small`/`Medium`/`Large`/`X-Large` spelled out, and `S/M`
//!    between `S` and `M`;
//! 3. anything else, naturally ordered;
//! 4. one size (`OS`, `O/S`, `One Size`, `OSFA`);
//! 5. no size.

use std::cmp::Ordering;

use crate::row::InventoryRow;
use crate::text::{FoldedText, NaturalText, fold};

/// Compares two sizes in natural size order; equal only when identical
/// (surrounding spaces aside).
pub fn compare_sizes(a: &str, b: &str) -> Ordering {
    SizeKey::parse(a).cmp(&SizeKey::parse(b))
}

/// The Inventory order: Category, Name, Size, SKU, ItemID.
pub fn compare_rows(a: &InventoryRow, b: &InventoryRow) -> Ordering {
    RowKey::of(a).cmp(&RowKey::of(b))
}

/// Sorts rows into the Inventory order. Stable: rows equal in every sort
/// column keep their relative order.
pub fn sort_rows(rows: &mut [InventoryRow]) {
    rows.sort_by_cached_key(RowKey::of);
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct RowKey {
    category: FoldedText,
    name: FoldedText,
    size: SizeKey,
    sku: String,
    item_id: String,
    raw_category: String,
    raw_name: String,
}

impl RowKey {
    pub(crate) fn of(row: &InventoryRow) -> RowKey {
        RowKey {
            category: FoldedText::new(&row.category),
            name: FoldedText::new(&row.name),
            size: SizeKey::parse(&row.size),
            sku: row.sku.as_str().to_owned(),
            item_id: row.item_id.clone(),
            raw_category: row.category.clone(),
            raw_name: row.name.clone(),
        }
    }
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct SizeKey {
    kind: SizeKind,
    raw: NaturalText,
}

/// Declaration order is the order of kinds.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum SizeKind {
    /// `group`: 0 little kids, 1 youth, 2 adult. Numbers in thousandths.
    Numeric {
        group: u8,
        value: u64,
        second: Option<u64>,
    },
    /// Twice the rank (M = 0, L = 2, XL = 4, S = -2), so a range like
    /// `S/M` (-1) sits between its ends.
    Letter(i32),
    Text,
    OneSize,
    Empty,
}

impl SizeKey {
    fn parse(raw: &str) -> SizeKey {
        SizeKey { kind: size_kind(raw), raw: NaturalText::new(raw.trim()) }
    }
}

fn size_kind(raw: &str) -> SizeKind {
    let folded = fold(raw.trim());
    let compact: String = folded.chars().filter(|c| c.is_alphanumeric()).collect();
    if compact.is_empty() {
        return SizeKind::Empty;
    }
    if matches!(compact.as_str(), "os" | "osfa" | "osfm" | "onesize" | "onesizefitsall") {
        return SizeKind::OneSize;
    }
    if let Some(rank) = letter_range(&folded) {
        return SizeKind::Letter(rank);
    }
    numeric(&folded).unwrap_or(SizeKind::Text)
}

/// `M` → 0, `XL` → 4, `S/M` → -1 (doubled ranks, see `SizeKind::Letter`).
fn letter_range(folded: &str) -> Option<i32> {
    if let Some((low, high)) = folded.split_once(['/', '-'])
        && let (Some(low), Some(high)) = (letter_rank(low), letter_rank(high))
    {
        return Some(low + high);
    }
    letter_rank(folded).map(|rank| rank * 2)
}

fn letter_rank(folded: &str) -> Option<i32> {
    let compact: String = folded.chars().filter(|c| c.is_alphanumeric()).collect();
    let spelled = compact.replace("extra", "x").replace("small", "s").replace("medium", "m").replace("large", "l");
    let (count, rest) = match spelled.strip_prefix(|c: char| c.is_ascii_digit()) {
        // `2XL`: the digit says how many X's, and is followed by one X.
        Some(rest) => {
            let digit = spelled.chars().next().and_then(|c| c.to_digit(10)).and_then(|d| i32::try_from(d).ok())?;
            (digit, rest.strip_prefix('x')?)
        }
        None => {
            let rest = spelled.trim_start_matches('x');
            (i32::try_from(spelled.len() - rest.len()).ok()?, rest)
        }
    };
    match rest {
        "s" => Some(-1 - count),
        "m" if count == 0 => Some(0),
        "l" => Some(1 + count),
        _ => None,
    }
}

fn numeric(folded: &str) -> Option<SizeKind> {
    let text = folded.trim();
    let prefix_length = text.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(text.len());
    if prefix_length > 6 {
        return None;
    }
    let (prefix, after_prefix) = text.split_at(prefix_length);
    let (value, rest) = leading_number(after_prefix.trim_start())?;
    let (value, rest) = with_fraction(value, rest);
    if rest.chars().count() > 12 {
        return None;
    }
    let suffix: String = rest.chars().take_while(|c| !c.is_ascii_digit()).filter(|c| c.is_alphabetic()).collect();
    let second = rest.find(|c: char| c.is_ascii_digit()).and_then(|start| leading_number(&rest[start..])).map(|n| n.0);
    let group = |marker: &str| match marker {
        "c" | "k" | "t" | "td" | "ps" | "i" => Some(0),
        "y" | "gs" => Some(1),
        _ => None,
    };
    let group = group(&suffix).or_else(|| group(prefix)).unwrap_or(2);
    Some(SizeKind::Numeric { group, value, second })
}

/// A number at the start (`9`, `10.5`) in thousandths, and what follows.
fn leading_number(text: &str) -> Option<(u64, &str)> {
    let integer_end = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    if integer_end == 0 || integer_end > 9 {
        return None;
    }
    let integer: u64 = text[..integer_end].parse().ok()?;
    let mut value = integer * 1000;
    let mut rest = &text[integer_end..];
    if let Some(after_point) = rest.strip_prefix('.') {
        let fraction_end = after_point.find(|c: char| !c.is_ascii_digit()).unwrap_or(after_point.len());
        if fraction_end > 0 {
            let digits = &after_point[..fraction_end.min(3)];
            let thousandths: u64 = format!("{digits:0<3}").parse().ok()?;
            value += thousandths;
            rest = &after_point[fraction_end..];
        }
    }
    Some((value, rest))
}

/// `42 2/3`, `9½`: a fraction right after the whole number.
fn with_fraction(value: u64, rest: &str) -> (u64, &str) {
    let trimmed = rest.trim_start();
    for (glyph, thousandths) in [('½', 500), ('⅓', 333), ('⅔', 667), ('¼', 250), ('¾', 750)] {
        if let Some(after) = trimmed.strip_prefix(glyph) {
            return (value + thousandths, after);
        }
    }
    let bytes = trimmed.as_bytes();
    if rest.starts_with(' ') && bytes.len() >= 3 && bytes[1] == b'/' {
        let (numerator, denominator) = (bytes[0].wrapping_sub(b'0'), bytes[2].wrapping_sub(b'0'));
        let single_digits = numerator <= 9 && (2..=9).contains(&denominator);
        let ends = bytes.get(3).is_none_or(|b| !b.is_ascii_digit());
        if single_digits && ends && numerator < denominator {
            let thousandths = (u64::from(numerator) * 1000 + u64::from(denominator) / 2) / u64::from(denominator);
            return (value + thousandths, &trimmed[3..]);
        }
    }
    (value, rest)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::row::Sku;
    use crate::row::tests::row;

    /// Sorting any arrangement of `expected` gives `expected`.
    fn check(expected: &[&str]) {
        let mut reversed = expected.to_vec();
        reversed.reverse();
        let mut rotated = expected.to_vec();
        rotated.rotate_left(expected.len() / 2);
        for mut arrangement in [reversed, rotated] {
            arrangement.sort_by(|a, b| compare_sizes(a, b));
            assert_eq!(arrangement, expected);
        }
        for pair in expected.windows(2) {
            assert_eq!(compare_sizes(pair[0], pair[1]), Ordering::Less, "{:?} < {:?}", pair[0], pair[1]);
        }
    }

    #[test]
    fn numeric_sizes_by_number() {
        check(&["4", "7.5", "8", "8.5", "9", "9.5", "10", "10.5", "11", "12", "13", "14"]);
        check(&["US 8", "8.5", "US 9", "9.5", "US 10"]);
        check(&["9", "9.5", "9.5W", "10"]);
        check(&["EU 42", "EU 42 1/3", "EU 42 2/3", "EU 43"]);
        check(&["9", "9½", "10"]);
        check(&["7.5 W", "8 W", "8.5 W"]);
    }

    #[test]
    fn kids_sizes_before_adult_sizes() {
        check(&["10C", "10.5C", "13.5C", "1Y", "3.5Y", "7Y", "4", "8", "9.5"]);
        check(&["TD 6", "TD 9", "GS 4", "GS 7", "8"]);
    }

    #[test]
    fn waist_sizes_and_waist_by_length() {
        check(&["28", "30", "32", "34", "36"]);
        check(&["30x30", "30x32", "32x30", "32x32"]);
        check(&["W30 L30", "W30 L32", "W32 L30"]);
    }

    #[test]
    fn letter_sizes_from_smallest_to_largest() {
        check(&["XXS", "XS", "S", "M", "L", "XL", "XXL", "XXXL"]);
        check(&["xs", "s", "m", "l", "xl", "2XL", "3XL", "4XL"]);
        check(&["2XL", "XXL"]);
        check(&["Small", "Medium", "Large", "X-Large", "XX-Large"]);
        check(&["S", "S/M", "M", "M/L", "L", "L/XL", "XL"]);
        check(&["Small", "S/M", "Medium", "M-L", "Large"]);
        check(&["3XS", "XXS", "XS"]);
    }

    #[test]
    fn mixed_kinds_in_a_fixed_order() {
        check(&["5Y", "9", "30", "S", "M", "XL", "L Tall", "Regular", "One Size", "OS", ""]);
        check(&["O/S", "ONE SIZE", "one size", "OS", "OSFA", ""]);
        // "M 9" is a men's 9: a number, so before the letters.
        check(&["M 9", "M"]);
    }

    #[test]
    fn sizes_are_equal_only_when_identical() {
        assert_eq!(compare_sizes("9", "9"), Ordering::Equal);
        assert_eq!(compare_sizes(" 9 ", "9"), Ordering::Equal, "surrounding space is not part of a size");
        assert_ne!(compare_sizes("US 9", "9"), Ordering::Equal);
        assert_ne!(compare_sizes("m", "M"), Ordering::Equal);
        assert_ne!(compare_sizes("9.50", "9.5"), Ordering::Equal);
    }

    #[test]
    fn sizes_that_are_not_sizes_do_not_panic() {
        for odd in ["", " ", "/", "-", "x", "xx", "2x", "9x", ".", "9.", "1/2", " 1/", "99999999999", "½", "M/", "/L"]
        {
            let _ = compare_sizes(odd, "9");
            let _ = compare_sizes("M", odd);
        }
        assert_eq!(size_kind("99999999999"), SizeKind::Text);
        assert_eq!(size_kind("Extra Long Name Size 9"), SizeKind::Text);
    }

    fn product(category: &str, name: &str, size: &str, sku: &str) -> InventoryRow {
        InventoryRow {
            category: category.into(),
            name: name.into(),
            size: size.into(),
            sku: Sku::parse(sku).unwrap(),
            ..row("X")
        }
    }

    #[test]
    fn rows_by_category_then_name_then_size_then_sku() {
        let expected = [
            product("Hoodies", "BAPE Shark Full Zip Hoodie", "M", "BAPE-M"),
            product("Hoodies", "BAPE Shark Full Zip Hoodie", "XL", "BAPE-XL"),
            product("Hoodies", "Essentials Hoodie", "S", "FOG-S"),
            product("Pants", "Carhartt WIP Double Knee Pant", "30", "WIP-30"),
            product("Pants", "Carhartt WIP Double Knee Pant", "32", "WIP-32"),
            product("Sneakers", "Air Jordan 4 Retro", "9", "AJ4-9"),
            product("Sneakers", "Air Jordan 11 Retro", "8.5", "AJ11-8.5"),
            product("Sneakers", "Air Jordan 11 Retro", "9", "AJ11-9"),
            product("sneakers", "Air Jordan 11 Retro", "9", "AJ11-9-B"),
            product("Sneakers", "nike dunk low", "10", "DUNK-10"),
            product("Sneakers", "Nike Dunk Low", "10", "DUNK-10-A"),
            product("Sneakers", "Nike Dunk Low", "10", "DUNK-10-B"),
            product("Sneakers", "Nike Dunk Low", "10.5", "DUNK-10.5"),
            product("Sneakers", "Stüssy Slide", "OS", "STU-OS"),
        ];
        let mut rows = expected.to_vec();
        rows.reverse();
        sort_rows(&mut rows);
        let skus = |rows: &[InventoryRow]| rows.iter().map(|r| r.sku.to_string()).collect::<Vec<_>>();
        assert_eq!(skus(&rows), skus(&expected));
        for pair in expected.windows(2) {
            assert_eq!(compare_rows(&pair[0], &pair[1]), Ordering::Less, "{} < {}", pair[0].sku, pair[1].sku);
        }
    }

    #[test]
    fn rows_equal_in_every_sort_column_keep_their_order() {
        let first = InventoryRow { location: "first".into(), ..row("A") };
        let second = InventoryRow { location: "second".into(), ..row("A") };
        let mut rows = vec![first.clone(), second.clone()];
        sort_rows(&mut rows);
        assert_eq!(rows, [first.clone(), second.clone()]);
        let mut rows = vec![second.clone(), first.clone()];
        sort_rows(&mut rows);
        assert_eq!(rows, [second, first]);
    }
}
