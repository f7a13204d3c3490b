//! A1 notation and URL encoding for the Sheets API.

/// `'Name'`: the whole worksheet. Names are always quoted, which Google
/// accepts for every name and which keeps names such as `A1`, `R1C1` or
/// `My Sheet` from being read as cells or failing to parse; an embedded `'`
/// is doubled.
pub(crate) fn quoted_sheet(name: &str) -> String {
    format!("'{}'", name.replace('\'', "''"))
}

/// `'Name'!A{first_row}:{last_column}{last_row}`, rows and columns 1-based.
pub(crate) fn cell_range(name: &str, first_row: usize, last_column: usize, last_row: usize) -> String {
    format!("{}!A{first_row}:{}{last_row}", quoted_sheet(name), column_letters(last_column))
}

/// 1 → `A`, 26 → `Z`, 27 → `AA`, 702 → `ZZ`, 703 → `AAA`. Column 0 has no
/// letters; callers never ask for it (a written row has at least one cell).
pub(crate) fn column_letters(column: usize) -> String {
    let mut letters = Vec::new();
    let mut rest = column;
    while rest > 0 {
        let digit = (rest - 1) % 26;
        letters.push(b'A' + u8::try_from(digit).unwrap_or(0));
        rest = (rest - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_quoted_with_embedded_quotes_doubled() {
        let check = |name: &str, expected: &str| assert_eq!(quoted_sheet(name), expected, "{name:?}");
        check("Inventory", "'Inventory'");
        check("My Sheet", "'My Sheet'");
        check("Bob's", "'Bob''s'");
        check("''", "''''''");
        check("A1", "'A1'");
        check("Größen", "'Größen'");
    }

    #[test]
    fn columns_are_letters() {
        let check = |column: usize, expected: &str| assert_eq!(column_letters(column), expected, "{column}");
        check(1, "A");
        check(12, "L");
        check(26, "Z");
        check(27, "AA");
        check(52, "AZ");
        check(53, "BA");
        check(702, "ZZ");
        check(703, "AAA");
        check(18_278, "ZZZ");
    }

    #[test]
    fn ranges() {
        assert_eq!(cell_range("Inventory", 1, 12, 141), "'Inventory'!A1:L141");
        assert_eq!(cell_range("Bob's List", 5, 27, 1000), "'Bob''s List'!A5:AA1000");
    }
}
