//! The Inventory as a CSV file the owner imports and exports
//! (`inventory-sync import-csv` / `export-csv`, and the web page's export).
//!
//! RFC 4180, hand-written rather than the `csv` crate: the whole file is
//! already one `&str`, the codec is small and total, and the errors must be
//! ours anyway (line of a syntax error, row and column of a bad cell).
//!
//! Read: UTF-8 with or without a byte-order mark; records end with `\r\n`,
//! `\n` or a lone `\r` (old Excel for Mac); a quoted field may hold commas,
//! quotes (doubled) and line breaks; a `"` inside an unquoted field is kept
//! as a character. Written: a byte-order mark (so Excel reads "Stüssy" as
//! UTF-8), `\r\n` after every record, and a field quoted when it holds
//! `,` `"` `\r` `\n` or starts or ends with a space or tab (which some
//! readers would trim). Whatever `export_csv` writes, `import_csv` reads
//! back to the same rows.

use std::fmt;

use crate::row::{Import, InventoryRow, inventory_sheet_rows, read_inventory};
use crate::table::{ImportError, ImportErrors, ImportWarning, is_blank};

const BOM: char = '\u{feff}';

/// CSV that cannot be split into fields, with the line (of the text file)
/// where the problem starts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct CsvSyntaxError {
    pub line: usize,
    pub problem: CsvProblem,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvProblem {
    /// A field opened with `"` is never closed.
    UnterminatedQuote,
    /// Something other than `,` or a line break after a closing `"`.
    TextAfterClosingQuote,
}

impl fmt::Display for CsvProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CsvProblem::UnterminatedQuote => "a quoted field is never closed (a '\"' is missing)",
            CsvProblem::TextAfterClosingQuote => {
                "text after the closing '\"' of a field (a quote inside a quoted field must be doubled: \"\")"
            }
        })
    }
}

/// Reads an Inventory CSV: the same rules as the worksheet (columns by
/// name in any order; SKU, Name and QtyOnHand required; a repeated SKU
/// skipped with a warning), plus: an empty file is an error, and a file
/// with a header but no rows is read with a warning. When anything is
/// invalid no rows are returned and every problem is listed; a CSV syntax
/// error is reported alone, since nothing after it can be trusted. Row
/// numbers are the rows a spreadsheet shows (the header is row 1), which
/// differ from line numbers when a field holds a line break.
pub fn import_csv(text: &str) -> Result<Import, ImportErrors> {
    let fail = |error: ImportError| ImportErrors { errors: vec![error] };
    let records = parse_csv(text).map_err(|error| fail(error.into()))?;
    let Some(header) = records.iter().find(|record| !is_blank(record)) else {
        return Err(fail(ImportError::Empty));
    };
    if let [only] = header.as_slice()
        && only.contains(';')
    {
        return Err(fail(ImportError::SemicolonSeparated));
    }
    let mut import = read_inventory(&records)?;
    if import.rows.is_empty() {
        import.warnings.push(ImportWarning::NoRows);
    }
    Ok(import)
}

/// The rows as an Inventory CSV, in `INVENTORY_HEADER` column order and in
/// the order given.
pub fn export_csv(rows: &[InventoryRow]) -> String {
    let mut text = String::from(BOM);
    text.push_str(&write_csv(&inventory_sheet_rows(rows)));
    text
}

/// Any sheet's records (its header first) as CSV, with the byte-order mark
/// spreadsheet programs need to read UTF-8.
pub fn export_sheet_csv(records: &[Vec<String>]) -> String {
    let mut text = String::from(BOM);
    text.push_str(&write_csv(records));
    text
}

/// Splits CSV text into records of fields.
pub(crate) fn parse_csv(text: &str) -> Result<Vec<Vec<String>>, CsvSyntaxError> {
    #[derive(PartialEq)]
    enum State {
        FieldStart,
        Unquoted,
        Quoted,
        AfterClosingQuote,
    }
    let text = text.strip_prefix(BOM).unwrap_or(text);
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut state = State::FieldStart;
    let mut line = 1;
    let mut quote_line = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\n' || (c == '\r' && chars.peek() != Some(&'\n')) {
            line += 1;
        }
        match state {
            State::Quoted => match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => state = State::AfterClosingQuote,
                other => field.push(other),
            },
            State::FieldStart | State::Unquoted | State::AfterClosingQuote => match c {
                '"' if state == State::FieldStart => {
                    state = State::Quoted;
                    quote_line = line;
                }
                ',' => {
                    record.push(std::mem::take(&mut field));
                    state = State::FieldStart;
                }
                '\r' | '\n' => {
                    if c == '\r' && chars.peek() == Some(&'\n') {
                        chars.next();
                        line += 1;
                    }
                    record.push(std::mem::take(&mut field));
                    records.push(std::mem::take(&mut record));
                    state = State::FieldStart;
                }
                _ if state == State::AfterClosingQuote => {
                    return Err(CsvSyntaxError { line, problem: CsvProblem::TextAfterClosingQuote });
                }
                other => {
                    field.push(other);
                    state = State::Unquoted;
                }
            },
        }
    }
    match state {
        State::Quoted => return Err(CsvSyntaxError { line: quote_line, problem: CsvProblem::UnterminatedQuote }),
        // The text ended with a line break (or was empty): no record is open.
        State::FieldStart if record.is_empty() => {}
        _ => {
            record.push(field);
            records.push(record);
        }
    }
    Ok(records)
}

/// Records as CSV text, `\r\n` after each.
pub(crate) fn write_csv(records: &[Vec<String>]) -> String {
    let mut text = String::new();
    for record in records {
        match record.as_slice() {
            // An empty line would read back as a blank record.
            [only] if only.is_empty() => text.push_str("\"\""),
            fields => {
                for (index, field) in fields.iter().enumerate() {
                    if index > 0 {
                        text.push(',');
                    }
                    push_field(&mut text, field);
                }
            }
        }
        text.push_str("\r\n");
    }
    text
}

fn push_field(text: &mut String, field: &str) {
    let needs_quotes =
        field.contains([',', '"', '\r', '\n']) || field.starts_with([' ', '\t', BOM]) || field.ends_with([' ', '\t']);
    if needs_quotes {
        text.push('"');
        text.push_str(&field.replace('"', "\"\""));
        text.push('"');
    } else {
        text.push_str(field);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::row::tests::row;
    use crate::row::{INVENTORY_HEADER, Sku};
    use crate::table::CellProblem;

    fn check_parse(text: &str, expected: &[&[&str]]) {
        let records = parse_csv(text).unwrap_or_else(|error| panic!("{text:?}: {error}"));
        assert_eq!(records, expected, "{text:?}");
    }

    #[test]
    fn parsing_follows_rfc_4180_and_what_spreadsheets_write() {
        check_parse("", &[]);
        check_parse("a,b\r\n1,2\r\n", &[&["a", "b"], &["1", "2"]]);
        check_parse("a,b\n1,2", &[&["a", "b"], &["1", "2"]]);
        check_parse("a,b\r1,2\r", &[&["a", "b"], &["1", "2"]]);
        check_parse("\u{feff}SKU,Name\n", &[&["SKU", "Name"]]);
        check_parse("a,,c,\n", &[&["a", "", "c", ""]]);
        check_parse("\"Nike, Inc.\",x", &[&["Nike, Inc.", "x"]]);
        check_parse("\"say \"\"hi\"\"\"", &[&["say \"hi\""]]);
        check_parse("\"two\r\nlines\",x\r\ny", &[&["two\r\nlines", "x"], &["y"]]);
        check_parse("\"\",\"\"", &[&["", ""]]);
        check_parse("12\" vinyl,x", &[&["12\" vinyl", "x"]]);
        check_parse(" a , b ", &[&[" a ", " b "]]);
        check_parse("a\n\nb\n", &[&["a"], &[""], &["b"]]);
        check_parse("Stüssy,ナイキ", &[&["Stüssy", "ナイキ"]]);
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let cases = [
            ("a,b\n\"open,c\n", 2, CsvProblem::UnterminatedQuote),
            ("a\n\"x\ny\nz", 2, CsvProblem::UnterminatedQuote),
            ("a,b\r\n\"quoted\"tail,c\r\n", 2, CsvProblem::TextAfterClosingQuote),
            ("\"two\nlines\" x", 2, CsvProblem::TextAfterClosingQuote),
        ];
        for (text, line, problem) in cases {
            assert_eq!(parse_csv(text), Err(CsvSyntaxError { line, problem }), "{text:?}");
        }
    }

    #[test]
    fn written_records_parse_back_exactly() {
        let records: Vec<Vec<String>> = [
            &["plain", "with, comma", "with \"quote\"", "line\nbreak", "crlf\r\nbreak", "cr\ronly"][..],
            &[" leading", "trailing ", "\ttab", "", "\u{feff}bom", "Stüssy ナイキ"],
            &[""],
            &["", ""],
        ]
        .iter()
        .map(|record| record.iter().map(|field| (*field).to_owned()).collect())
        .collect();
        let text = write_csv(&records);
        assert_eq!(parse_csv(&text).unwrap(), records);
        assert!(text.starts_with("plain,\"with, comma\",\"with \"\"quote\"\"\""), "{text}");
        assert!(text.ends_with("\r\n\"\"\r\n,\r\n"), "{text:?}");
        assert!(
            text.contains("\r\n\" leading\",\"trailing \",\"\ttab\",,"),
            "spaces kept from trimming readers: {text:?}"
        );
    }

    #[test]
    fn export_then_import_gives_the_same_rows() {
        let rows = vec![
            row("DD1391-100-9"),
            InventoryRow {
                name: "Stüssy \"8 Ball\" Tee, washed\r\nblack".into(),
                color: "Schwarz/Weiß".into(),
                size: " M ".into(),
                location: "=A1".into(),
                last_updated: None,
                ..row("ST-8BALL-M")
            },
        ];
        let text = export_csv(&rows);
        assert!(text.starts_with("\u{feff}ItemID,SKU,Name,"), "BOM and header first");
        let import = import_csv(&text).unwrap();
        assert_eq!(import.rows, rows);
        assert_eq!(import.warnings, []);
        assert_eq!(import_csv(&export_csv(&import.rows)).unwrap().rows, rows, "and again");
    }

    #[test]
    fn an_export_of_nothing_is_a_header_that_imports_with_a_warning() {
        let text = export_csv(&[]);
        assert_eq!(text, format!("\u{feff}{}\r\n", INVENTORY_HEADER.join(",")));
        let import = import_csv(&text).unwrap();
        assert_eq!(import.rows, []);
        assert_eq!(import.warnings, [ImportWarning::NoRows]);
    }

    fn errors(text: &str) -> Vec<ImportError> {
        match import_csv(text) {
            Ok(import) => panic!("{text:?} was accepted: {import:?}"),
            Err(errors) => errors.errors,
        }
    }

    fn cell(row: usize, column: &'static str, value: &str, problem: CellProblem) -> ImportError {
        ImportError::Cell { row, column, value: value.into(), problem }
    }

    #[test]
    fn invalid_files_are_rejected_with_every_problem() {
        let cases: [(&str, Vec<ImportError>); 8] = [
            ("", vec![ImportError::Empty]),
            ("\u{feff}", vec![ImportError::Empty]),
            ("\r\n \r\n,,\r\n", vec![ImportError::Empty]),
            ("SKU;Name;QtyOnHand\nA;Dunk;3\n", vec![ImportError::SemicolonSeparated]),
            ("Sku,Title,Qty\nA,Dunk,3\n", vec![ImportError::MissingColumns { columns: vec!["Name", "QtyOnHand"] }]),
            (
                "SKU,Name,QtyOnHand,RetailPrice\nA,Dunk,three,115\nB,Samba,2,cheap\nC,Gazelle,-1,100\n",
                vec![
                    cell(2, "QtyOnHand", "three", CellProblem::NotAWholeNumber),
                    cell(3, "RetailPrice", "cheap", CellProblem::NotAPrice),
                    cell(4, "QtyOnHand", "-1", CellProblem::Negative),
                ],
            ),
            (
                "SKU,Name,QtyOnHand\n\"A\",\"Dunk\nLow\",x\n,Samba,1\n",
                vec![cell(2, "QtyOnHand", "x", CellProblem::NotAWholeNumber), cell(3, "SKU", "", CellProblem::Empty)],
            ),
            (
                "SKU,Name,QtyOnHand\nA,\"Dunk,1\n",
                vec![ImportError::Csv(CsvSyntaxError { line: 2, problem: CsvProblem::UnterminatedQuote })],
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(errors(text), expected, "{text:?}");
        }
    }

    #[test]
    fn import_messages_read_well() {
        let cases = [
            ("", "the file is empty"),
            ("SKU,Name\nA,Dunk\n", "missing required column: QtyOnHand"),
            ("SKU,Name,QtyOnHand\nA,Dunk,lots\n", "row 2, column QtyOnHand: \"lots\" is not a whole number"),
            ("SKU,Name,QtyOnHand\nA,\"Dunk,1\n", "line 2: a quoted field is never closed (a '\"' is missing)"),
        ];
        for (text, expected) in cases {
            assert_eq!(import_csv(text).unwrap_err().to_string(), expected, "{text:?}");
        }
    }

    #[test]
    fn headers_are_case_insensitive_in_any_order_with_warnings_for_the_rest() {
        let text =
            "qtyonhand,BRAND,name,sku,Qty Sold\r\n3,Nike,Dunk,A,1\r\n4,Adidas,Samba,B,0\r\n5,Nike,Dunk again,A,0\r\n";
        let import = import_csv(text).unwrap();
        let got: Vec<(&str, &str, u32, u32)> =
            import.rows.iter().map(|r| (r.sku.as_str(), r.name.as_str(), r.qty_on_hand, r.qty_sold)).collect();
        assert_eq!(got, [("A", "Dunk", 3, 1), ("B", "Samba", 4, 0)]);
        assert_eq!(
            import.warnings,
            [
                ImportWarning::UnknownColumn { sheet: "Inventory", column: "B".into(), name: "BRAND".into() },
                ImportWarning::DuplicateSku { row: 4, first_row: 2, sku: Sku::parse("A").unwrap() },
            ]
        );
    }
}
