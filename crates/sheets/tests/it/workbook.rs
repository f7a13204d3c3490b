//! `LocalWorkbook`: round trips of tricky cells, the file format, atomic
//! replacement, and missing directories and files.

use std::fs;
use std::path::Path;

use frontdesk_inventory::{Sheet, SheetSink, SinkError, WriteReport};
use frontdesk_sheets::LocalWorkbook;

use crate::support::sheet;

fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"))
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("listing {}: {e}", dir.display()))
        .map(|entry| entry.map(|entry| entry.file_name().to_string_lossy().into_owned()).unwrap_or_default())
        .collect();
    names.sort();
    names
}

fn read_text(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

#[tokio::test]
async fn tricky_cells_survive_a_round_trip() {
    let dir = temp_dir();
    let workbook = LocalWorkbook::new(dir.path());
    let inventory = sheet(
        "Inventory",
        &[
            &["ItemID", "SKU", "Name", "Barcode", "RetailPrice", "Location"],
            &[
                "0adfd74a-153e",
                "AJ1-10",
                "Air Jordan 1 \"Chicago\", Hi",
                "0012345678905",
                "129.99",
                "Back room\nshelf 3",
            ],
            &["", "", "", "", "", ""],
            &["x", "Crème brûlée 日本 👟", "  spaces kept  ", "\ttab", "=SUM(A1:A2)", "crlf\r\ninside"],
            &[""],
            &[],
            &["ragged", "row"],
            &["\u{feff}starts with a BOM", "\"", "\"\"", ",", "lone\rcr"],
        ],
    );
    let config = sheet("Config", &[&["Setting", "Value", "Description"], &["LowStockThreshold", "5", "At or below"]]);

    let report = workbook.write(&[inventory.clone(), config.clone()]).await;

    assert_eq!(report.unwrap_or_else(|e| panic!("write: {e}")), WriteReport { write_requests: 2, rows_written: 10 });
    let read = workbook.read(&["Inventory", "Config"]).await.unwrap_or_else(|e| panic!("read: {e}"));
    assert_eq!(read, [inventory, config]);
}

#[tokio::test]
async fn files_are_rfc_4180_with_crlf_and_files_from_elsewhere_read_too() {
    let dir = temp_dir();
    let workbook = LocalWorkbook::new(dir.path());

    workbook
        .write(&[sheet("RestockList", &[&["SKU", "Name"], &["AJ1-10", "Tee, \"Big\" / M"], &["é", ""]])])
        .await
        .unwrap_or_else(|e| panic!("write: {e}"));

    assert_eq!(read_text(&dir.path().join("RestockList.csv")), "SKU,Name\r\nAJ1-10,\"Tee, \"\"Big\"\" / M\"\r\né,\r\n");

    // As Excel (BOM, CRLF) and a Unix tool (LF, no final newline) write them.
    fs::write(dir.path().join("SalesLog.csv"), "\u{feff}SaleId,Qty\r\ns-1,2\r\n").unwrap_or_else(|e| panic!("{e}"));
    fs::write(dir.path().join("Config.csv"), "Setting,Value\nLowStockThreshold,\"3\"")
        .unwrap_or_else(|e| panic!("{e}"));
    let read = workbook.read(&["SalesLog", "Config"]).await.unwrap_or_else(|e| panic!("read: {e}"));
    assert_eq!(
        read,
        [
            sheet("SalesLog", &[&["SaleId", "Qty"], &["s-1", "2"]]),
            sheet("Config", &[&["Setting", "Value"], &["LowStockThreshold", "3"]])
        ]
    );
}

#[tokio::test]
async fn a_missing_directory_or_file_reads_as_empty_and_writing_creates_the_directory() {
    let dir = temp_dir();
    let workbook_dir = dir.path().join("data").join("workbook");
    let workbook = LocalWorkbook::new(&workbook_dir);

    let before = workbook.read(&["Inventory", "Config"]).await.unwrap_or_else(|e| panic!("read: {e}"));
    assert_eq!(before, [sheet("Inventory", &[]), sheet("Config", &[])]);
    assert!(!workbook_dir.exists(), "reading creates nothing");

    workbook.write(&[sheet("Inventory", &[&["SKU"]])]).await.unwrap_or_else(|e| panic!("write: {e}"));

    assert_eq!(files_in(&workbook_dir), ["Inventory.csv"]);
    let after = workbook.read(&["Inventory", "Config"]).await.unwrap_or_else(|e| panic!("read: {e}"));
    assert_eq!(after, [sheet("Inventory", &[&["SKU"]]), sheet("Config", &[])]);
}

#[tokio::test]
async fn replacing_a_file_leaves_no_temporary_files_and_no_old_rows() {
    let dir = temp_dir();
    let workbook = LocalWorkbook::new(dir.path());
    let long: Vec<Vec<String>> = (0..500).map(|n| vec![format!("SKU-{n}"), "x".repeat(40)]).collect();
    workbook.write(&[Sheet { name: "Inventory".to_owned(), rows: long }]).await.unwrap_or_else(|e| panic!("{e}"));

    workbook.write(&[sheet("Inventory", &[&["SKU"], &["only"]])]).await.unwrap_or_else(|e| panic!("{e}"));

    assert_eq!(files_in(dir.path()), ["Inventory.csv"]);
    assert_eq!(read_text(&dir.path().join("Inventory.csv")), "SKU\r\nonly\r\n");
}

#[tokio::test]
async fn a_failed_write_leaves_every_old_file_as_it_was() {
    let dir = temp_dir();
    let workbook = LocalWorkbook::new(dir.path());
    workbook.write(&[sheet("Inventory", &[&["SKU"], &["old"]])]).await.unwrap_or_else(|e| panic!("{e}"));
    // A worksheet file that cannot be replaced (works even as root, unlike a
    // read-only directory): a directory where RestockList.csv should be.
    fs::create_dir(dir.path().join("RestockList.csv")).unwrap_or_else(|e| panic!("{e}"));
    fs::write(dir.path().join("RestockList.csv").join("keep"), "x").unwrap_or_else(|e| panic!("{e}"));

    let result = workbook.write(&[sheet("Inventory", &[&["SKU"], &["new"]]), sheet("RestockList", &[&["SKU"]])]).await;

    let error = result.err().unwrap_or_else(|| panic!("the write must fail"));
    assert!(matches!(&error, SinkError::Io(text) if text.contains("RestockList.csv")), "{error:?}");
    assert_eq!(
        read_text(&dir.path().join("Inventory.csv")),
        "SKU\r\nold\r\n",
        "Inventory was written first, yet is unchanged"
    );
    assert_eq!(files_in(dir.path()), ["Inventory.csv", "RestockList.csv"], "no temporary file is left");
}

#[tokio::test]
async fn problems_are_io_errors_that_say_which_file() {
    let dir = temp_dir();
    let file = dir.path().join("not-a-directory");
    fs::write(&file, "x").unwrap_or_else(|e| panic!("{e}"));
    let error = LocalWorkbook::new(&file).write(&[sheet("Inventory", &[])]).await.err();
    assert!(matches!(&error, Some(SinkError::Io(text)) if text.contains("not-a-directory")), "{error:?}");

    fs::write(dir.path().join("Inventory.csv"), "SKU\n\"AJ1-10\"x\n").unwrap_or_else(|e| panic!("{e}"));
    let error = LocalWorkbook::new(dir.path()).read(&["Inventory"]).await.err();
    assert!(matches!(&error, Some(SinkError::Io(text)) if text.contains("Inventory.csv line 2")), "{error:?}");

    fs::write(dir.path().join("Config.csv"), b"Setting\n\xff\xfe\n").unwrap_or_else(|e| panic!("{e}"));
    let error = LocalWorkbook::new(dir.path()).read(&["Config"]).await.err();
    assert!(matches!(&error, Some(SinkError::Io(text)) if text.contains("Config.csv is not UTF-8")), "{error:?}");
}

#[tokio::test]
async fn names_that_are_not_plain_file_names_are_refused_before_anything_is_written() {
    let dir = temp_dir();
    let workbook = LocalWorkbook::new(dir.path().join("workbook"));
    for name in ["", "../Inventory", "a/b", "a\\b", ".hidden", "tab\there"] {
        let result = workbook.write(&[sheet("Inventory", &[&["SKU"]]), sheet(name, &[])]).await;
        assert!(matches!(&result, Err(SinkError::Io(_))), "{name:?}: {result:?}");
        let read = workbook.read(&[name]).await;
        assert!(matches!(&read, Err(SinkError::Io(_))), "{name:?}: {read:?}");
    }
    let twice = workbook.write(&[sheet("Inventory", &[]), sheet("Inventory", &[])]).await;
    assert!(matches!(&twice, Err(SinkError::Io(_))), "{twice:?}");
    assert!(!dir.path().join("workbook").exists(), "nothing was written");
}

#[test]
fn the_local_workbook_holds_exactly_its_text_trailing_empty_cells_aside() {
    use frontdesk_inventory::SheetSink;
    let workbook = LocalWorkbook::new("unused");
    let row = |cells: &[&str]| cells.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>();
    assert!(workbook.already_holds(&[row(&["SKU", "Qty"])], &[row(&["SKU", "Qty", "", ""])]));
    assert!(!workbook.already_holds(&[row(&["A-1", "129"])], &[row(&["A-1", "129.00"])]), "a CSV keeps the text");
    assert!(!workbook.already_holds(&[row(&["A-1", "", "x"])], &[row(&["A-1", "x"])]), "an empty cell inside counts");
}
