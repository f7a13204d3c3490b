//! Worksheet-shaped input (a header row, then rows of cell text) as people
//! and spreadsheets produce it: columns found by header name in any order
//! (case, spaces and underscores ignored: `qty_on_hand` is `QtyOnHand`),
//! blank rows skipped, cells parsed leniently only where the meaning is
//! unambiguous (`$1,299.00`, `12.0`), and every problem reported at once
//! with the row number a spreadsheet shows (the first row is row 1) and the
//! column's name.

use std::fmt;

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};

use crate::csv::CsvSyntaxError;
use crate::row::Sku;

/// What is wrong with one cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellProblem {
    /// The column is required and the cell is blank.
    Empty,
    NotAWholeNumber,
    Negative,
    TooLarge,
    NotAPrice,
    NotATimestamp,
}

impl CellProblem {
    fn describe(self, value: &str) -> String {
        match self {
            CellProblem::Empty => "required but empty".to_owned(),
            CellProblem::NotAWholeNumber => format!("{value:?} is not a whole number"),
            CellProblem::Negative => format!("{value:?} is negative"),
            CellProblem::TooLarge => format!("{value:?} is too large"),
            CellProblem::NotAPrice => format!("{value:?} is not a price like 129.99"),
            CellProblem::NotATimestamp => format!("{value:?} is not a date and time like 2026-11-24T15:00:00Z"),
        }
    }
}

/// A reason rows cannot be read. Reading reports all of them at once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("the file is empty")]
    Empty,
    #[error(transparent)]
    Csv(#[from] CsvSyntaxError),
    #[error("the columns are separated by ';', not ','; save the file as comma-separated CSV")]
    SemicolonSeparated,
    #[error("missing required column{}: {}", if .columns.len() == 1 { "" } else { "s" }, .columns.join(", "))]
    MissingColumns { columns: Vec<&'static str> },
    #[error("column {column} appears twice (columns {first} and {second})")]
    DuplicateColumn { column: &'static str, first: String, second: String },
    #[error("row {row}, column {column}: {}", .problem.describe(.value))]
    Cell { row: usize, column: &'static str, value: String, problem: CellProblem },
}

/// Every reason the rows cannot be read; nothing was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportErrors {
    pub errors: Vec<ImportError>,
}

impl fmt::Display for ImportErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.errors.iter().enumerate() {
            if index > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ImportErrors {}

/// Something read but worth telling the owner about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportWarning {
    /// The same SKU again: the later row is skipped.
    DuplicateSku { row: usize, first_row: usize, sku: Sku },
    /// A column this worksheet does not have: ignored.
    UnknownColumn { sheet: &'static str, column: String, name: String },
    /// A row with cells to the right of the last header: they are ignored.
    ExtraCells { row: usize, cells: usize, header: usize },
    /// A header and nothing else.
    NoRows,
}

impl fmt::Display for ImportWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportWarning::DuplicateSku { row, first_row, sku } => {
                write!(f, "row {row}: SKU {sku} is already on row {first_row}; row {row} is skipped")
            }
            ImportWarning::UnknownColumn { sheet, column, name } if name.is_empty() => {
                write!(f, "column {column} has no header but holds values; it is not a {sheet} column and is ignored")
            }
            ImportWarning::UnknownColumn { sheet, column, name } => {
                write!(f, "column {column} ({name}) is not a {sheet} column and is ignored")
            }
            ImportWarning::ExtraCells { row, cells, header } => {
                write!(f, "row {row} has {cells} cells but the header has {header}; the extra cells are ignored")
            }
            ImportWarning::NoRows => write!(f, "there is a header but no rows"),
        }
    }
}

/// The spreadsheet letter of a 0-based column: 0 → A, 26 → AA.
pub(crate) fn column_letter(index: usize) -> String {
    let mut letters = Vec::new();
    let mut n = index + 1;
    while n > 0 {
        let remainder = (n - 1) % 26;
        letters.push(char::from(b'A' + remainder as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

/// A header name as compared: letters and digits only, lowercase.
pub(crate) fn header_key(name: &str) -> String {
    name.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

pub(crate) fn is_blank(row: &[String]) -> bool {
    row.iter().all(|cell| cell.trim().is_empty())
}

/// Rows under a header whose columns have been found.
pub(crate) struct Table<'a> {
    rows: &'a [Vec<String>],
    header_index: usize,
    /// For each known column (by its index in `names`), its position.
    positions: Vec<Option<usize>>,
    names: &'static [&'static str],
}

impl<'a> Table<'a> {
    /// Finds the header (the first non-blank row) and the known columns in
    /// it. `Ok(None)` when there is no non-blank row at all.
    pub(crate) fn read(
        rows: &'a [Vec<String>],
        sheet: &'static str,
        names: &'static [&'static str],
        required: &[&'static str],
        warnings: &mut Vec<ImportWarning>,
    ) -> Result<Option<Table<'a>>, Vec<ImportError>> {
        let Some(header_index) = rows.iter().position(|row| !is_blank(row)) else {
            return Ok(None);
        };
        let header = &rows[header_index];
        let keys: Vec<String> = names.iter().map(|name| header_key(name)).collect();
        let mut positions = vec![None; names.len()];
        let mut errors = Vec::new();
        for (position, cell) in header.iter().enumerate() {
            let key = header_key(cell);
            if key.is_empty() {
                let holds_values =
                    rows[header_index + 1..].iter().any(|row| row.get(position).is_some_and(|c| !c.trim().is_empty()));
                if holds_values {
                    let column = column_letter(position);
                    warnings.push(ImportWarning::UnknownColumn { sheet, column, name: String::new() });
                }
                continue;
            }
            match keys.iter().position(|known| *known == key) {
                Some(known) => match positions[known] {
                    Some(first) => errors.push(ImportError::DuplicateColumn {
                        column: names[known],
                        first: column_letter(first),
                        second: column_letter(position),
                    }),
                    None => positions[known] = Some(position),
                },
                None => warnings.push(ImportWarning::UnknownColumn {
                    sheet,
                    column: column_letter(position),
                    name: cell.trim().to_owned(),
                }),
            }
        }
        let missing: Vec<&'static str> = names
            .iter()
            .zip(&positions)
            .filter(|(name, position)| position.is_none() && required.contains(name))
            .map(|(name, _)| *name)
            .collect();
        if !missing.is_empty() {
            errors.insert(0, ImportError::MissingColumns { columns: missing });
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Some(Table { rows, header_index, positions, names }))
    }

    /// The non-blank rows under the header, with their row numbers.
    pub(crate) fn data_rows(&self, warnings: &mut Vec<ImportWarning>) -> Vec<(usize, &'a [String])> {
        let header = self.rows[self.header_index].len();
        let mut data = Vec::new();
        for (index, cells) in self.rows.iter().enumerate().skip(self.header_index + 1) {
            if is_blank(cells) {
                continue;
            }
            let row = index + 1;
            if cells.len() > header && !is_blank(&cells[header..]) {
                warnings.push(ImportWarning::ExtraCells { row, cells: cells.len(), header });
            }
            data.push((row, cells.as_slice()));
        }
        data
    }

    /// A row's cells, read column by column; problems go to `errors`.
    pub(crate) fn cells<'t>(
        &'t self,
        row: usize,
        cells: &'a [String],
        errors: &'t mut Vec<ImportError>,
    ) -> Cells<'t, 'a> {
        Cells { table: self, row, cells, errors }
    }
}

pub(crate) struct Cells<'t, 'a> {
    table: &'t Table<'a>,
    row: usize,
    cells: &'a [String],
    errors: &'t mut Vec<ImportError>,
}

impl Cells<'_, '_> {
    /// The cell's text as it is (text columns are not trimmed, so a value
    /// survives a round trip exactly); "" when the column is absent.
    pub(crate) fn text(&self, column: usize) -> String {
        self.raw(column).to_owned()
    }

    /// A required cell: blank is an error.
    pub(crate) fn required<T>(&mut self, column: usize, parse: fn(&str) -> Result<T, CellProblem>) -> Option<T> {
        let raw = self.raw(column);
        match parse(raw) {
            Ok(value) => Some(value),
            Err(problem) => {
                self.errors.push(ImportError::Cell {
                    row: self.row,
                    column: self.table.names[column],
                    value: raw.to_owned(),
                    problem,
                });
                None
            }
        }
    }

    /// An optional cell: blank (or an absent column) is `default`.
    pub(crate) fn optional<T>(
        &mut self,
        column: usize,
        parse: fn(&str) -> Result<T, CellProblem>,
        default: T,
    ) -> Option<T> {
        if self.raw(column).trim().is_empty() { Some(default) } else { self.required(column, parse) }
    }

    fn raw(&self, column: usize) -> &str {
        self.table.positions[column].and_then(|position| self.cells.get(position)).map_or("", String::as_str)
    }
}

/// A number as written: sign, optional currency symbol, digits with
/// optional thousands commas (in groups of three), optional fraction.
struct Decimal {
    negative: bool,
    integer: String,
    fraction: String,
}

fn decimal(text: &str, currency: bool) -> Option<Decimal> {
    let mut rest = text.trim();
    let mut negative = false;
    if let Some(after) = rest.strip_prefix('-') {
        negative = true;
        rest = after;
    } else if let Some(after) = rest.strip_prefix('+') {
        rest = after;
    }
    if currency && let Some(after) = rest.strip_prefix(['$', '€', '£']) {
        rest = after;
        if !negative && let Some(after) = rest.strip_prefix('-') {
            negative = true;
            rest = after;
        }
    }
    let (integer, fraction) = rest.split_once('.').unwrap_or((rest, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let integer_ok = if integer.contains(',') {
        let mut groups = integer.split(',');
        let first_ok = groups.next().is_some_and(|first| (1..=3).contains(&first.len()) && digits(first));
        first_ok && groups.all(|group| group.len() == 3 && digits(group))
    } else {
        digits(integer)
    };
    if !integer_ok || !digits(fraction) || (integer.is_empty() && fraction.is_empty()) {
        return None;
    }
    Some(Decimal { negative, integer: integer.replace(',', ""), fraction: fraction.to_owned() })
}

/// A whole number of units, at least 0: `12`, `12.0`, `1,200`.
pub(crate) fn parse_quantity(text: &str) -> Result<u32, CellProblem> {
    let value = parse_signed_quantity(text)?;
    if value < 0 {
        return Err(CellProblem::Negative);
    }
    u32::try_from(value).map_err(|_| CellProblem::TooLarge)
}

/// A whole number of units, negative allowed (returns).
pub(crate) fn parse_signed_quantity(text: &str) -> Result<i64, CellProblem> {
    if text.trim().is_empty() {
        return Err(CellProblem::Empty);
    }
    let number = decimal(text, false).ok_or(CellProblem::NotAWholeNumber)?;
    if number.fraction.bytes().any(|b| b != b'0') {
        return Err(CellProblem::NotAWholeNumber);
    }
    let digits = number.integer.trim_start_matches('0');
    if digits.is_empty() {
        return Ok(0);
    }
    let magnitude: i64 = digits.parse().map_err(|_| CellProblem::TooLarge)?;
    Ok(if number.negative { -magnitude } else { magnitude })
}

/// A price in cents: `129.99`, `$1,299.00`, `-5`, `129.9` (= 129.90).
/// More than two decimals is an error unless the extra digits are zeros.
pub(crate) fn parse_cents(text: &str) -> Result<i64, CellProblem> {
    if text.trim().is_empty() {
        return Err(CellProblem::Empty);
    }
    let number = decimal(text, true).ok_or(CellProblem::NotAPrice)?;
    let fraction = number.fraction.trim_end_matches('0');
    if fraction.len() > 2 {
        return Err(CellProblem::NotAPrice);
    }
    let units: i64 = match number.integer.trim_start_matches('0') {
        "" => 0,
        digits => digits.parse().map_err(|_| CellProblem::TooLarge)?,
    };
    let cents_part: i64 = format!("{fraction:0<2}").parse().map_err(|_| CellProblem::NotAPrice)?;
    let cents = units.checked_mul(100).and_then(|c| c.checked_add(cents_part)).ok_or(CellProblem::TooLarge)?;
    Ok(if number.negative { -cents } else { cents })
}

/// Cents as the sheet shows them: `129.99`, `-0.50`.
pub(crate) fn format_cents(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let magnitude = cents.unsigned_abs();
    format!("{sign}{}.{:02}", magnitude / 100, magnitude % 100)
}

/// RFC 3339 with any offset (stored as UTC), or `2026-11-24 15:00:00`
/// read as UTC (what a spreadsheet may turn a timestamp into).
pub(crate) fn parse_timestamp(text: &str) -> Result<DateTime<Utc>, CellProblem> {
    let text = text.trim();
    if text.is_empty() {
        return Err(CellProblem::Empty);
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
        .map(|naive| naive.and_utc())
        .map_err(|_| CellProblem::NotATimestamp)
}

/// RFC 3339 in UTC with a `Z`; fractions of a second only when there are
/// any, so every timestamp reads back exactly.
pub(crate) fn format_timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

pub(crate) fn parse_sku(text: &str) -> Result<Sku, CellProblem> {
    Sku::parse(text).map_err(|_| CellProblem::Empty)
}

pub(crate) fn parse_required_text(text: &str) -> Result<String, CellProblem> {
    if text.trim().is_empty() { Err(CellProblem::Empty) } else { Ok(text.to_owned()) }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn quantities() {
        let cases: [(&str, Result<u32, CellProblem>); 14] = [
            ("12", Ok(12)),
            (" 12 ", Ok(12)),
            ("0", Ok(0)),
            ("-0", Ok(0)),
            ("007", Ok(7)),
            ("12.0", Ok(12)),
            ("1,200", Ok(1200)),
            ("+3", Ok(3)),
            ("", Err(CellProblem::Empty)),
            ("-3", Err(CellProblem::Negative)),
            ("1.5", Err(CellProblem::NotAWholeNumber)),
            ("ten", Err(CellProblem::NotAWholeNumber)),
            ("1,20", Err(CellProblem::NotAWholeNumber)),
            ("4294967296", Err(CellProblem::TooLarge)),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_quantity(input), expected, "parse_quantity({input:?})");
        }
        assert_eq!(parse_quantity("4294967295"), Ok(u32::MAX));
        assert_eq!(parse_quantity("$5"), Err(CellProblem::NotAWholeNumber), "no currency on quantities");
    }

    #[test]
    fn signed_quantities() {
        let cases: [(&str, Result<i64, CellProblem>); 5] = [
            ("-2", Ok(-2)),
            ("3", Ok(3)),
            ("-1,000", Ok(-1000)),
            ("- 2", Err(CellProblem::NotAWholeNumber)),
            ("99999999999999999999", Err(CellProblem::TooLarge)),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_signed_quantity(input), expected, "parse_signed_quantity({input:?})");
        }
    }

    #[test]
    fn prices() {
        let cases: [(&str, Result<i64, CellProblem>); 17] = [
            ("129.99", Ok(12_999)),
            ("129.9", Ok(12_990)),
            ("129", Ok(12_900)),
            ("129.", Ok(12_900)),
            (".5", Ok(50)),
            ("0.05", Ok(5)),
            ("$129.99", Ok(12_999)),
            ("€1,299.00", Ok(129_900)),
            ("129.990", Ok(12_999)),
            ("-5", Ok(-500)),
            ("$-5.25", Ok(-525)),
            ("-$5.25", Ok(-525)),
            ("129.999", Err(CellProblem::NotAPrice)),
            ("1.299,00", Err(CellProblem::NotAPrice)),
            ("12 99", Err(CellProblem::NotAPrice)),
            ("free", Err(CellProblem::NotAPrice)),
            ("999999999999999999", Err(CellProblem::TooLarge)),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_cents(input), expected, "parse_cents({input:?})");
        }
    }

    #[test]
    fn prices_are_shown_with_two_decimals() {
        let cases = [(12_999, "129.99"), (12_900, "129.00"), (5, "0.05"), (0, "0.00"), (-50, "-0.50"), (-525, "-5.25")];
        for (cents, expected) in cases {
            assert_eq!(format_cents(cents), expected);
            assert_eq!(parse_cents(expected), Ok(cents), "{expected} reads back");
        }
        assert_eq!(format_cents(i64::MIN), "-92233720368547758.08");
    }

    #[test]
    fn timestamps() {
        let at = |h, m, s| Utc.with_ymd_and_hms(2026, 11, 24, h, m, s).unwrap();
        let cases = [
            ("2026-11-24T15:00:00Z", Ok(at(15, 0, 0))),
            ("2026-11-24T10:00:00-05:00", Ok(at(15, 0, 0))),
            ("2026-11-24 15:00:00", Ok(at(15, 0, 0))),
            (" 2026-11-24T15:00:00Z ", Ok(at(15, 0, 0))),
            ("", Err(CellProblem::Empty)),
            ("yesterday", Err(CellProblem::NotATimestamp)),
            ("2026-11-24", Err(CellProblem::NotATimestamp)),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_timestamp(input), expected, "parse_timestamp({input:?})");
        }
        assert_eq!(format_timestamp(at(15, 0, 0)), "2026-11-24T15:00:00Z");
        let precise = at(15, 0, 0) + chrono::Duration::milliseconds(250);
        assert_eq!(format_timestamp(precise), "2026-11-24T15:00:00.250Z");
        assert_eq!(parse_timestamp(&format_timestamp(precise)), Ok(precise));
    }

    #[test]
    fn column_letters() {
        let cases = [(0, "A"), (11, "L"), (25, "Z"), (26, "AA"), (27, "AB"), (701, "ZZ"), (702, "AAA")];
        for (index, expected) in cases {
            assert_eq!(column_letter(index), expected, "column {index}");
        }
    }

    #[test]
    fn header_names_ignore_case_spaces_and_underscores() {
        for name in ["QtyOnHand", "qtyonhand", "Qty On Hand", "qty_on_hand", " QTY-ON-HAND "] {
            assert_eq!(header_key(name), "qtyonhand", "{name:?}");
        }
        assert_ne!(header_key("Qty"), header_key("QtyOnHand"));
    }

    const NAMES: &[&str] = &["SKU", "Name", "Qty"];

    fn rows(text: &[&[&str]]) -> Vec<Vec<String>> {
        text.iter().map(|row| row.iter().map(|cell| (*cell).to_owned()).collect()).collect()
    }

    #[test]
    fn a_header_maps_known_columns_in_any_order_and_warns_about_the_rest() {
        let input = rows(&[&[], &["", ""], &["qty", "Brand", "sku", "", "Name"], &["3", "Nike", "A", "", "Dunk"]]);
        let mut warnings = Vec::new();
        let table = Table::read(&input, "Test", NAMES, &["SKU"], &mut warnings).unwrap().unwrap();
        assert_eq!(table.positions, [Some(2), Some(4), Some(0)]);
        assert_eq!(
            warnings,
            [ImportWarning::UnknownColumn { sheet: "Test", column: "B".into(), name: "Brand".into() }],
            "an empty header over empty cells is no news"
        );
        let data = table.data_rows(&mut warnings);
        assert_eq!(data.len(), 1);
        assert_eq!(data[0].0, 4, "row numbers count the blank rows above the header");
    }

    #[test]
    fn header_problems_are_all_reported() {
        let cases: [(&[&[&str]], Vec<ImportError>); 3] = [
            (&[&["Name", "Qty"]], vec![ImportError::MissingColumns { columns: vec!["SKU"] }]),
            (&[&["Notes"]], vec![ImportError::MissingColumns { columns: vec!["SKU", "Qty"] }]),
            (
                &[&["SKU", "Qty", "sku"]],
                vec![ImportError::DuplicateColumn { column: "SKU", first: "A".into(), second: "C".into() }],
            ),
        ];
        for (input, expected) in cases {
            let input = rows(input);
            let result = Table::read(&input, "Test", NAMES, &["SKU", "Qty"], &mut Vec::new());
            assert_eq!(result.err(), Some(expected), "{input:?}");
        }
        assert!(Table::read(&[], "Test", NAMES, &["SKU"], &mut Vec::new()).unwrap().is_none());
        assert!(Table::read(&rows(&[&[" "]]), "Test", NAMES, &["SKU"], &mut Vec::new()).unwrap().is_none());
    }

    #[test]
    fn values_under_an_empty_header_and_cells_past_the_header_are_warned_about() {
        let input = rows(&[&["SKU", "", "Qty"], &["A", "x", "1", "", "extra"], &["B", "", "2", ""]]);
        let mut warnings = Vec::new();
        let table = Table::read(&input, "Test", NAMES, &["SKU"], &mut warnings).unwrap().unwrap();
        let data = table.data_rows(&mut warnings);
        assert_eq!(data.len(), 2);
        assert_eq!(
            warnings,
            [
                ImportWarning::UnknownColumn { sheet: "Test", column: "B".into(), name: String::new() },
                ImportWarning::ExtraCells { row: 2, cells: 5, header: 3 },
            ]
        );
    }

    #[test]
    fn messages_name_the_row_the_column_and_the_value() {
        let cases = [
            (
                ImportError::Cell {
                    row: 5,
                    column: "QtyOnHand",
                    value: "ten".into(),
                    problem: CellProblem::NotAWholeNumber,
                },
                "row 5, column QtyOnHand: \"ten\" is not a whole number",
            ),
            (
                ImportError::Cell { row: 2, column: "SKU", value: String::new(), problem: CellProblem::Empty },
                "row 2, column SKU: required but empty",
            ),
            (ImportError::MissingColumns { columns: vec!["SKU", "Name"] }, "missing required columns: SKU, Name"),
            (ImportError::MissingColumns { columns: vec!["SKU"] }, "missing required column: SKU"),
        ];
        for (error, expected) in cases {
            assert_eq!(error.to_string(), expected);
        }
        let all = ImportErrors { errors: vec![ImportError::Empty, ImportError::SemicolonSeparated] };
        assert_eq!(all.to_string().lines().count(), 2, "one problem per line");
    }
}
