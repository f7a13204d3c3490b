//! Sheets v4 JSON, as Google spells it, and how a cell's text is sent.
//! Nothing here leaves the crate.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `POST values:batchUpdate` body.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ValuesBatchUpdate<'a> {
    pub value_input_option: &'static str,
    pub data: Vec<ValueRangeBody<'a>>,
    pub include_values_in_response: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ValueRangeBody<'a> {
    pub range: String,
    pub major_dimension: &'static str,
    pub values: &'a [Vec<Cell<'a>>],
}

/// `POST values:batchClear` body.
#[derive(Serialize)]
pub(crate) struct ValuesBatchClear {
    pub ranges: Vec<String>,
}

/// `POST {spreadsheetId}:batchUpdate` body: structural changes.
#[derive(Serialize)]
pub(crate) struct SpreadsheetBatchUpdate {
    pub requests: Vec<StructuralRequest>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum StructuralRequest {
    AddSheet { properties: NewSheetProperties },
    AppendDimension(AppendDimension),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NewSheetProperties {
    pub title: String,
    pub grid_properties: GridSize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GridSize {
    pub row_count: usize,
    pub column_count: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AppendDimension {
    pub sheet_id: i64,
    pub dimension: &'static str,
    pub length: usize,
}

/// `GET values:batchGet` reply; `valueRanges` come in the order asked.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BatchGetReply {
    #[serde(default)]
    pub value_ranges: Vec<ValueRangeReply>,
}

#[derive(Deserialize)]
pub(crate) struct ValueRangeReply {
    /// Missing when the range is empty.
    #[serde(default)]
    pub values: Vec<Vec<Value>>,
}

/// `GET {spreadsheetId}?fields=sheets.properties(…)` reply.
#[derive(Deserialize)]
pub(crate) struct SpreadsheetReply {
    #[serde(default)]
    pub sheets: Vec<SheetReply>,
}

#[derive(Deserialize)]
pub(crate) struct SheetReply {
    pub properties: SheetProperties,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SheetProperties {
    #[serde(default)]
    pub sheet_id: i64,
    pub title: String,
    #[serde(default)]
    pub grid_properties: GridProperties,
}

#[derive(Deserialize, Default, Clone, Copy)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GridProperties {
    #[serde(default)]
    pub row_count: usize,
    #[serde(default)]
    pub column_count: usize,
}

/// A cell as sent with `valueInputOption=RAW`: text is stored exactly as
/// given (never parsed as a formula, date, percentage or number), and plain
/// numbers are sent as JSON numbers so that they are numbers in the sheet.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(untagged)]
pub(crate) enum Cell<'a> {
    Text(&'a str),
    Integer(i64),
    Decimal(f64),
}

/// At most this many digits before the point: quantities and prices, not
/// identifiers. A 12- or 13-digit barcode stays text, so Sheets never shows
/// it in scientific notation or rounds it.
const MAX_INTEGER_DIGITS: usize = 9;
const MAX_FRACTION_DIGITS: usize = 6;

impl<'a> Cell<'a> {
    /// A number for plain decimals (`12`, `-3`, `0.5`, `129.99`); text for
    /// everything else, including leading zeros (`007`), signs (`+5`),
    /// exponents, separators (`1,000`), spaces and `-0`. A decimal loses only
    /// trailing zeros (`12.50` is stored as 12.5 and read back as Sheets
    /// displays it).
    pub(crate) fn from_text(text: &'a str) -> Cell<'a> {
        let unsigned = text.strip_prefix('-').unwrap_or(text);
        let (integer, fraction) = match unsigned.split_once('.') {
            Some((integer, fraction)) => (integer, Some(fraction)),
            None => (unsigned, None),
        };
        let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_digit());
        let plain_integer =
            all_digits(integer) && integer.len() <= MAX_INTEGER_DIGITS && (integer == "0" || !integer.starts_with('0'));
        let plain_fraction =
            fraction.is_none_or(|fraction| all_digits(fraction) && fraction.len() <= MAX_FRACTION_DIGITS);
        let negative_zero = text.starts_with('-') && unsigned.bytes().all(|byte| matches!(byte, b'0' | b'.'));
        if !plain_integer || !plain_fraction || negative_zero {
            return Cell::Text(text);
        }
        match fraction {
            None => text.parse().map_or(Cell::Text(text), Cell::Integer),
            Some(_) => text.parse().map_or(Cell::Text(text), Cell::Decimal),
        }
    }
}

/// Whether Sheets shows `read` for a cell written from `written`: the same
/// text, or for a cell sent as a number the same number (`12.50` is stored
/// as 12.5 and shown as `12.5`, `129.00` as `129`).
pub(crate) fn reads_back_as(written: &str, read: &str) -> bool {
    if written == read {
        return true;
    }
    match Cell::from_text(written) {
        Cell::Text(_) => false,
        Cell::Integer(number) => read.parse::<i64>() == Ok(number),
        Cell::Decimal(number) => read.parse::<f64>().is_ok_and(|shown| shown == number),
    }
}

/// A cell as read back (`FORMATTED_VALUE` gives strings; anything else is
/// turned into the text Sheets would show).
pub(crate) fn cell_text(value: Value) -> String {
    match value {
        Value::String(text) => text,
        Value::Null => String::new(),
        Value::Bool(true) => "TRUE".to_owned(),
        Value::Bool(false) => "FALSE".to_owned(),
        other => other.to_string(),
    }
}

/// `{"error":{"code","message","status","details"}}`
#[derive(Deserialize)]
struct GoogleErrorReply {
    error: GoogleError,
}

#[derive(Deserialize)]
struct GoogleError {
    #[serde(default)]
    message: String,
    #[serde(default)]
    status: String,
}

/// What Google said: `PERMISSION_DENIED: The caller does not have
/// permission`, or the start of a body that is not Google's JSON.
pub(crate) fn complaint(body: &str) -> String {
    match serde_json::from_str::<GoogleErrorReply>(body) {
        Ok(GoogleErrorReply { error }) if error.status.is_empty() => error.message,
        Ok(GoogleErrorReply { error }) => format!("{}: {}", error.status, error.message),
        Err(_) => body.trim().chars().take(200).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_back_as_sheets_shows_them_and_text_exactly() {
        for (written, read) in [("129.00", "129"), ("12.50", "12.5"), ("12", "12"), ("0.5", "0.5"), ("Tee", "Tee")] {
            assert!(reads_back_as(written, read), "{written:?} shown as {read:?}");
        }
        for (written, read) in [("129.00", "129.01"), ("007", "7"), ("12", "12.5"), ("Tee", "tee"), ("5", "")] {
            assert!(!reads_back_as(written, read), "{written:?} is not {read:?}");
        }
    }

    #[test]
    fn plain_numbers_are_numbers_and_everything_else_is_text() {
        let check = |text: &str, expected: Cell<'_>| assert_eq!(Cell::from_text(text), expected, "{text:?}");
        check("12", Cell::Integer(12));
        check("0", Cell::Integer(0));
        check("-3", Cell::Integer(-3));
        check("129.99", Cell::Decimal(129.99));
        check("12.50", Cell::Decimal(12.5));
        check("0.5", Cell::Decimal(0.5));
        check("-0.25", Cell::Decimal(-0.25));
        check("999999999", Cell::Integer(999_999_999));
        for text in [
            "",
            "007",
            "0012345678905",
            "4006381333931",
            "1000000000",
            "+5",
            "-",
            "-0",
            "-0.0",
            "1e5",
            "1,000",
            " 12",
            "12 ",
            "12.",
            ".5",
            "1.2345678",
            "NaN",
            "=SUM(A1:A2)",
            "TRUE",
            "2026-03-09",
            "10%",
            "$12.50",
            "AJ1-10",
        ] {
            check(text, Cell::Text(text));
        }
    }

    #[test]
    fn numbers_serialise_as_json_numbers() {
        let row = [Cell::from_text("12"), Cell::from_text("12.50"), Cell::from_text("007"), Cell::from_text("")];
        assert_eq!(serde_json::to_string(&row).unwrap_or_default(), r#"[12,12.5,"007",""]"#);
    }

    #[test]
    fn read_cells_become_text() {
        let check = |value: Value, expected: &str| assert_eq!(cell_text(value.clone()), expected, "{value}");
        check(Value::from("Air Jordan 1"), "Air Jordan 1");
        check(Value::from(12), "12");
        check(Value::from(true), "TRUE");
        check(Value::Null, "");
    }

    #[test]
    fn complaints_carry_googles_status_and_message() {
        let body =
            r#"{"error":{"code":403,"message":"The caller does not have permission","status":"PERMISSION_DENIED"}}"#;
        assert_eq!(complaint(body), "PERMISSION_DENIED: The caller does not have permission");
        assert_eq!(complaint("<html>Bad Gateway</html>"), "<html>Bad Gateway</html>");
    }
}
