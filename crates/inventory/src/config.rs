//! The Config worksheet: settings the owner edits in the sheet itself
//! (`Setting, Value, Description`). The owner's rows are read, never
//! rewritten: a sync only appends the settings that are missing, with their
//! defaults, so the owner can see and change them.
//!
//! Reading: the Setting is in column A and the Value in column B; setting
//! names match ignoring case, spaces and underscores; a header row (its
//! first cell `Setting`), blank rows and rows whose Setting starts with `#`
//! are skipped. An invalid or empty value, a setting given twice (the first
//! counts) and an unknown setting are warnings, and the default applies.

use std::fmt;

use crate::table::{header_key, is_blank, parse_quantity};

/// The worksheet's name in the owner's workbook.
pub const CONFIG_SHEET: &str = "Config";

/// The Config worksheet's columns.
pub const CONFIG_HEADER: [&str; 3] = ["Setting", "Value", "Description"];

/// The settings the sync uses, as read from the Config worksheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// `LowStockThreshold`: low on stock at or below this quantity.
    pub low_stock_threshold: u32,
    /// `RestockLookbackDays`: recent sales are the sales of this many days.
    pub restock_lookback_days: u32,
    /// `RestockCoverWeeks`: a reorder should last this many weeks.
    pub restock_cover_weeks: u32,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            low_stock_threshold: SETTINGS[0].default,
            restock_lookback_days: SETTINGS[1].default,
            restock_cover_weeks: SETTINGS[2].default,
        }
    }
}

struct Setting {
    name: &'static str,
    default: u32,
    min: u32,
    max: u32,
    description: &'static str,
}

const SETTINGS: [Setting; 3] = [
    Setting {
        name: "LowStockThreshold",
        default: 5,
        min: 0,
        max: 100_000,
        description: "An item is low on stock, and on the RestockList, when its quantity on hand is at or below this.",
    },
    Setting {
        name: "RestockLookbackDays",
        default: 30,
        min: 1,
        max: 365,
        description: "SuggestedQty on the RestockList is based on the units sold in this many past days.",
    },
    Setting {
        name: "RestockCoverWeeks",
        default: 4,
        min: 1,
        max: 52,
        description: "SuggestedQty aims to cover this many weeks of sales at the recent pace.",
    },
];

fn set(config: &mut Config, setting: usize, value: u32) {
    match setting {
        0 => config.low_stock_threshold = value,
        1 => config.restock_lookback_days = value,
        _ => config.restock_cover_weeks = value,
    }
}

/// A Config row that was not used as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigWarning {
    pub row: usize,
    /// The Setting cell as written.
    pub setting: String,
    pub value: String,
    pub problem: ConfigProblem,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigProblem {
    /// Not a whole number in `min..=max`: the default applies.
    Invalid { min: u32, max: u32, default: u32 },
    /// Already set on `first_row`, which counts.
    Duplicate { first_row: usize },
    /// Not a setting the sync knows.
    Unknown,
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ConfigWarning { row, setting, value, problem } = self;
        let setting = setting.trim();
        match problem {
            ConfigProblem::Invalid { default, .. } if value.trim().is_empty() => {
                write!(f, "Config row {row}: {setting} has no value; using the default {default}")
            }
            ConfigProblem::Invalid { min, max, default } => write!(
                f,
                "Config row {row}: {setting} {value:?} is not a whole number from {min} to {max}; using the default {default}"
            ),
            ConfigProblem::Duplicate { first_row } => {
                write!(f, "Config row {row}: {setting} is already set on row {first_row}; row {row} is ignored")
            }
            ConfigProblem::Unknown => {
                let known: Vec<&str> = SETTINGS.iter().map(|s| s.name).collect();
                write!(f, "Config row {row}: {setting:?} is not a setting ({}); ignored", known.join(", "))
            }
        }
    }
}

/// What a Config row is.
enum Line {
    Skip,
    Known(usize),
    Unknown,
}

fn classify(row: &[String]) -> Line {
    let name = row.first().map_or("", |cell| cell.trim());
    let key = header_key(name);
    if is_blank(row) || key.is_empty() || name.starts_with('#') || key == "setting" {
        return Line::Skip;
    }
    match SETTINGS.iter().position(|setting| header_key(setting.name) == key) {
        Some(index) => Line::Known(index),
        None => Line::Unknown,
    }
}

/// The settings in the Config worksheet's rows, defaults for the rest, and
/// what could not be used.
pub fn read_config(rows: &[Vec<String>]) -> (Config, Vec<ConfigWarning>) {
    let mut config = Config::default();
    let mut warnings = Vec::new();
    let mut first_row_of = [None; SETTINGS.len()];
    for (index, cells) in rows.iter().enumerate() {
        let row = index + 1;
        let cell = |column: usize| cells.get(column).cloned().unwrap_or_default();
        let warn = |problem| ConfigWarning { row, setting: cell(0), value: cell(1), problem };
        match classify(cells) {
            Line::Skip => {}
            Line::Unknown => warnings.push(warn(ConfigProblem::Unknown)),
            Line::Known(setting) => {
                if let Some(first_row) = first_row_of[setting] {
                    warnings.push(warn(ConfigProblem::Duplicate { first_row }));
                    continue;
                }
                first_row_of[setting] = Some(row);
                let Setting { min, max, default, .. } = SETTINGS[setting];
                match parse_quantity(&cell(1)) {
                    Ok(value) if (min..=max).contains(&value) => set(&mut config, setting, value),
                    _ => warnings.push(warn(ConfigProblem::Invalid { min, max, default })),
                }
            }
        }
    }
    (config, warnings)
}

/// The Config worksheet to write: every existing row exactly as it is (the
/// owner's values, unknown settings, notes, blank rows), then a row with
/// the default for each known setting that has no row yet. An empty sheet
/// gets the header first.
pub fn merge_config(existing: &[Vec<String>]) -> Vec<Vec<String>> {
    let mut rows = existing.to_vec();
    if existing.iter().all(|row| is_blank(row)) {
        rows.push(CONFIG_HEADER.iter().map(|name| (*name).to_owned()).collect());
    }
    let present: Vec<usize> = existing
        .iter()
        .filter_map(|row| match classify(row) {
            Line::Known(setting) => Some(setting),
            _ => None,
        })
        .collect();
    for (index, setting) in SETTINGS.iter().enumerate() {
        if !present.contains(&index) {
            rows.push(vec![setting.name.to_owned(), setting.default.to_string(), setting.description.to_owned()]);
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet(rows: &[&[&str]]) -> Vec<Vec<String>> {
        rows.iter().map(|row| row.iter().map(|cell| (*cell).to_owned()).collect()).collect()
    }

    fn config(threshold: u32, lookback: u32, cover: u32) -> Config {
        Config { low_stock_threshold: threshold, restock_lookback_days: lookback, restock_cover_weeks: cover }
    }

    #[test]
    fn defaults() {
        assert_eq!(Config::default(), config(5, 30, 4));
        assert_eq!(read_config(&[]), (config(5, 30, 4), vec![]));
    }

    #[test]
    fn the_owners_values_are_read() {
        let cases: [(&[&[&str]], Config); 6] = [
            (&[&["Setting", "Value", "Description"], &["LowStockThreshold", "3", "…"]], config(3, 30, 4)),
            (&[&["LowStockThreshold", "0"]], config(0, 30, 4)),
            (&[&["low stock threshold", " 8 "], &["restock_lookback_days", "14"]], config(8, 14, 4)),
            (&[&["RESTOCKCOVERWEEKS", "6", ""], &[], &["# LowStockThreshold", "1"]], config(5, 30, 6)),
            (&[&["LowStockThreshold", "100000"]], config(100_000, 30, 4)),
            (&[&["", "9"], &["Notes", "call the rep on Mondays"]], config(5, 30, 4)),
        ];
        for (rows, expected) in cases {
            assert_eq!(read_config(&sheet(rows)).0, expected, "{rows:?}");
        }
    }

    #[test]
    fn invalid_values_warn_and_fall_back_to_the_default() {
        let rows = sheet(&[
            &["Setting", "Value"],
            &["LowStockThreshold", "five"],
            &["RestockLookbackDays", "0"],
            &["RestockCoverWeeks"],
            &["LowStockThreshold", "2"],
            &["LowStokThreshold", "2"],
        ]);
        let (read, warnings) = read_config(&rows);
        assert_eq!(read, config(5, 30, 4), "the first LowStockThreshold counts, and it is invalid");
        let warning = |row: usize, setting: &str, value: &str, problem| ConfigWarning {
            row,
            setting: setting.into(),
            value: value.into(),
            problem,
        };
        assert_eq!(
            warnings,
            [
                warning(2, "LowStockThreshold", "five", ConfigProblem::Invalid { min: 0, max: 100_000, default: 5 }),
                warning(3, "RestockLookbackDays", "0", ConfigProblem::Invalid { min: 1, max: 365, default: 30 }),
                warning(4, "RestockCoverWeeks", "", ConfigProblem::Invalid { min: 1, max: 52, default: 4 }),
                warning(5, "LowStockThreshold", "2", ConfigProblem::Duplicate { first_row: 2 }),
                warning(6, "LowStokThreshold", "2", ConfigProblem::Unknown),
            ]
        );
        let messages: Vec<String> = warnings.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            [
                "Config row 2: LowStockThreshold \"five\" is not a whole number from 0 to 100000; using the default 5",
                "Config row 3: RestockLookbackDays \"0\" is not a whole number from 1 to 365; using the default 30",
                "Config row 4: RestockCoverWeeks has no value; using the default 4",
                "Config row 5: LowStockThreshold is already set on row 2; row 5 is ignored",
                "Config row 6: \"LowStokThreshold\" is not a setting (LowStockThreshold, RestockLookbackDays, \
                 RestockCoverWeeks); ignored",
            ]
        );
    }

    #[test]
    fn an_empty_sheet_gets_the_header_and_every_default() {
        for existing in [sheet(&[]), sheet(&[&[""]])] {
            let merged = merge_config(&existing);
            assert_eq!(merged[..existing.len()], existing[..]);
            let added: Vec<&[String]> = merged[existing.len()..].iter().map(Vec::as_slice).collect();
            assert_eq!(added.len(), 4);
            assert_eq!(added[0], CONFIG_HEADER);
            assert_eq!(added[1][..2], ["LowStockThreshold", "5"]);
            assert_eq!(added[2][..2], ["RestockLookbackDays", "30"]);
            assert_eq!(added[3][..2], ["RestockCoverWeeks", "4"]);
            assert!(added[1..].iter().all(|row| row.len() == 3 && !row[2].is_empty()), "each with a description");
            assert_eq!(read_config(&merged), (Config::default(), vec![]));
        }
    }

    #[test]
    fn merging_keeps_every_existing_row_and_appends_only_what_is_missing() {
        let cases: [(&[&[&str]], &[&str]); 4] = [
            (
                &[&["Setting", "Value", "Description"], &["LowStockThreshold", "2", "my own words"]],
                &["RestockLookbackDays", "RestockCoverWeeks"],
            ),
            (
                &[
                    &["Setting", "Value"],
                    &["low_stock_threshold", "oops"],
                    &["# a note"],
                    &["Supplier", "Nike EU", "x", "extra"],
                    &[],
                    &["RestockCoverWeeks", "8"],
                ],
                &["RestockLookbackDays"],
            ),
            (
                &[
                    &["LowStockThreshold", "1"],
                    &["RestockLookbackDays", "7"],
                    &["RestockCoverWeeks", "2"],
                    &["LowStockThreshold", "9"],
                ],
                &[],
            ),
            (&[&["No header here", "1"]], &["LowStockThreshold", "RestockLookbackDays", "RestockCoverWeeks"]),
        ];
        for (existing, appended) in cases {
            let existing = sheet(existing);
            let merged = merge_config(&existing);
            assert_eq!(merged[..existing.len()], existing[..], "the owner's rows are untouched");
            let names: Vec<&str> = merged[existing.len()..].iter().map(|row| row[0].as_str()).collect();
            assert_eq!(names, appended, "{existing:?}");
            assert_eq!(merge_config(&merged), merged, "merging again changes nothing");
        }
    }
}
