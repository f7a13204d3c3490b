//! The local workbook's cell codec: RFC 4180 CSV in UTF-8. Private to this
//! crate because it is a storage detail of `LocalWorkbook`, not the CSV
//! import and export an owner uses.
//!
//! Written with `\r\n` after every record (RFC 4180's line break, which
//! Excel, LibreOffice and Numbers all read), no byte-order mark. Read with
//! `\r\n`, `\n` or a lone `\r`, with or without a BOM. A cell is quoted when
//! it holds `,` `"` `\r` `\n`, starts or ends with a space or tab, or starts
//! with a BOM; quotes inside are doubled.
//!
//! Every row survives a round trip exactly, ragged rows included: a row with
//! no cells is an empty line, and a row of one empty cell is `""`, so the two
//! stay distinct.

use std::fmt;

pub(crate) const RECORD_END: &str = "\r\n";
const BOM: char = '\u{feff}';

pub(crate) fn encode(rows: &[Vec<String>]) -> String {
    let mut text = String::with_capacity(rows.iter().flatten().map(|cell| cell.len() + 1).sum::<usize>());
    for row in rows {
        match row.as_slice() {
            // Otherwise indistinguishable from a row with no cells.
            [only] if only.is_empty() => text.push_str("\"\""),
            cells => {
                for (index, cell) in cells.iter().enumerate() {
                    if index > 0 {
                        text.push(',');
                    }
                    push_cell(&mut text, cell);
                }
            }
        }
        text.push_str(RECORD_END);
    }
    text
}

fn push_cell(text: &mut String, cell: &str) {
    let needs_quotes =
        cell.contains([',', '"', '\r', '\n']) || cell.starts_with([' ', '\t', BOM]) || cell.ends_with([' ', '\t']);
    if !needs_quotes {
        text.push_str(cell);
        return;
    }
    text.push('"');
    text.push_str(&cell.replace('"', "\"\""));
    text.push('"');
}

/// Malformed CSV, with the 1-based line where it was noticed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CsvError {
    pub line: usize,
    pub problem: &'static str,
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.problem)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the first character of a cell.
    CellStart,
    Unquoted,
    Quoted,
    /// A `"` inside a quoted cell: the closing quote, or the first of a pair.
    QuoteInQuoted,
}

pub(crate) fn decode(text: &str) -> Result<Vec<Vec<String>>, CsvError> {
    let text = text.strip_prefix(BOM).unwrap_or(text);
    let mut rows = Vec::new();
    let mut row: Vec<String> = Vec::new();
    let mut cell = String::new();
    // False until the record has a cell, so an empty line is a row of no cells.
    let mut record_started = false;
    let mut state = State::CellStart;
    let mut line = 1;
    let mut quote_opened_on = 1;
    let mut chars = text.chars().peekable();

    while let Some(c) = chars.next() {
        let is_line_break = c == '\n' || c == '\r';
        let crlf = c == '\r' && chars.next_if_eq(&'\n').is_some();
        if is_line_break && state == State::Quoted {
            // Kept as written inside the cell: `\r\n` stays `\r\n`.
            cell.push(c);
            if crlf {
                cell.push('\n');
            }
            line += 1;
            continue;
        }
        match (state, c) {
            (State::Quoted, '"') => state = State::QuoteInQuoted,
            (State::Quoted, c) => cell.push(c),
            (State::QuoteInQuoted, '"') => {
                cell.push('"');
                state = State::Quoted;
            }
            (State::CellStart, '"') => {
                record_started = true;
                quote_opened_on = line;
                state = State::Quoted;
            }
            (_, ',') => {
                row.push(std::mem::take(&mut cell));
                record_started = true;
                state = State::CellStart;
            }
            (_, _) if is_line_break => {
                if record_started {
                    row.push(std::mem::take(&mut cell));
                }
                rows.push(std::mem::take(&mut row));
                record_started = false;
                state = State::CellStart;
                line += 1;
            }
            (State::QuoteInQuoted, _) => {
                return Err(CsvError {
                    line,
                    problem: "text after the closing quote of a cell (quotes inside a quoted cell are doubled: \"\")",
                });
            }
            // A stray quote inside an unquoted cell (`12" vinyl`) is kept as text.
            (State::CellStart | State::Unquoted, c) => {
                record_started = true;
                cell.push(c);
                state = State::Unquoted;
            }
        }
    }
    match state {
        State::Quoted => Err(CsvError { line: quote_opened_on, problem: "a quoted cell is never closed" }),
        _ if record_started => {
            row.push(cell);
            rows.push(row);
            Ok(rows)
        }
        _ => Ok(rows),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(rows: &[&[&str]]) -> Vec<Vec<String>> {
        rows.iter().map(|row| row.iter().map(|cell| (*cell).to_owned()).collect()).collect()
    }

    #[test]
    fn encodes_rfc_4180_with_crlf() {
        let check = |input: &[&[&str]], expected: &str| assert_eq!(encode(&rows(input)), expected, "{input:?}");
        check(&[], "");
        check(&[&["SKU", "Name"], &["AJ1-10", "Air Jordan 1"]], "SKU,Name\r\nAJ1-10,Air Jordan 1\r\n");
        check(&[&["a,b", "say \"hi\"", "two\nlines"]], "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n");
        check(&[&["", ""], &[""], &[]], ",\r\n\"\"\r\n\r\n");
        check(
            &[&[" padded", "tab\t", "12\" vinyl", "Café 日本"]],
            "\" padded\",\"tab\t\",\"12\"\" vinyl\",Café 日本\r\n",
        );
        check(&[&["\u{feff}x"]], "\"\u{feff}x\"\r\n");
    }

    #[test]
    fn decodes_any_line_ending_a_bom_and_stray_quotes() {
        let check = |input: &str, expected: &[&[&str]]| {
            assert_eq!(decode(input), Ok(rows(expected)), "{input:?}");
        };
        check("", &[]);
        check("a,b\nc,d\n", &[&["a", "b"], &["c", "d"]]);
        check("a,b\r\nc,d", &[&["a", "b"], &["c", "d"]]);
        check("a\rb\r", &[&["a"], &["b"]]);
        check("\u{feff}SKU,Qty\r\n", &[&["SKU", "Qty"]]);
        check("\"x\r\ny\",\"z\nw\"\n", &[&["x\r\ny", "z\nw"]]);
        check("a,\n,\n\"\"\n\n", &[&["a", ""], &["", ""], &[""], &[]]);
        check("12\" vinyl,\"\"\"quoted\"\"\"", &[&["12\" vinyl", "\"quoted\""]]);
        check("last,row,without,newline", &[&["last", "row", "without", "newline"]]);
    }

    #[test]
    fn malformed_csv_names_the_line() {
        let check = |input: &str, line: usize, problem: &str| {
            let error = decode(input).err().unwrap_or_else(|| panic!("{input:?} must be refused"));
            assert_eq!(error.line, line, "{input:?}: {error}");
            assert!(error.problem.contains(problem), "{input:?}: {error}");
        };
        check("a,b\n\"ab\"c,d\n", 2, "after the closing quote");
        check("a\n\"b\nc\n", 2, "never closed");
    }

    #[test]
    fn every_row_round_trips() {
        let tricky = rows(&[
            &["SKU", "Name", "Note"],
            &["007", "Nike Dunk Low \"Panda\"", "comma, inside"],
            &["", "", ""],
            &[""],
            &[],
            &["multi\nline", "crlf\r\ninside", "lone\rcr"],
            &["  spaces  ", "\ttab", "日本語 é ü 👟"],
            &["=SUM(A1:A2)", "\u{feff}bom", "\"", "ragged"],
        ]);
        assert_eq!(decode(&encode(&tricky)), Ok(tricky));
    }
}
