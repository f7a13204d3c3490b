//! The `inventory-sync` binary as an owner runs it: its output, its files,
//! its exit codes.

use std::path::Path;
use std::process::Output;

fn run(dir: &Path, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_inventory-sync"))
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_demo_syncs_into_the_local_workbook_and_again_changes_nothing() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let first = run(dir.path(), &["sync", "--demo"]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let said = text(&first.stdout);
    assert!(said.contains("fetched 140 products"), "{said}");
    assert!(said.contains("to data/workbook"), "{said}");
    let workbook = dir.path().join("data/workbook");
    for sheet in ["Inventory", "RestockList", "Config", "SalesLog"] {
        assert!(workbook.join(format!("{sheet}.csv")).exists(), "{sheet}.csv");
    }
    let inventory = std::fs::read_to_string(workbook.join("Inventory.csv")).unwrap_or_default();
    assert_eq!(inventory.lines().count(), 141, "a header and 140 variants");
    assert!(inventory.contains("Wall A-1") && inventory.contains("Rack B-"), "the demo shop's shelf locations");

    let second = run(dir.path(), &["sync", "--demo"]);
    assert_eq!(second.status.code(), Some(0), "{}", text(&second.stderr));
    assert!(text(&second.stdout).contains("fetched 0 products"), "{}", text(&second.stdout));
    assert!(
        text(&second.stdout).contains("0 added, 0 changed, 0 removed; 0 sale lines applied"),
        "{}",
        text(&second.stdout)
    );
    assert_eq!(std::fs::read_to_string(workbook.join("Inventory.csv")).unwrap_or_default(), inventory);
}

#[test]
fn without_credentials_the_sync_says_what_to_set() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let output = run(dir.path(), &["sync"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("FRONTDESK_LIGHTSPEED_DOMAIN_PREFIX"), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("sync --demo"));
    assert!(!dir.path().join("data").exists(), "nothing written");
    let sheet = run(dir.path(), &["--spreadsheet", "abc", "sync", "--demo"]);
    assert_eq!(sheet.status.code(), Some(2));
    assert!(text(&sheet.stderr).contains("FRONTDESK_GOOGLE_SERVICE_ACCOUNT_FILE"), "{}", text(&sheet.stderr));
}

#[test]
fn csv_export_and_import_round_trip_and_an_invalid_file_changes_nothing() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(run(dir.path(), &["sync", "--demo"]).status.code(), Some(0));
    let exported = run(dir.path(), &["export-csv", "out.csv"]);
    assert_eq!(exported.status.code(), Some(0), "{}", text(&exported.stderr));
    let csv = std::fs::read_to_string(dir.path().join("out.csv")).unwrap_or_default();
    assert_eq!(csv.lines().count(), 141);

    let other = run(dir.path(), &["--workbook", "copy", "import-csv", "out.csv"]);
    assert_eq!(other.status.code(), Some(0), "{}", text(&other.stderr));
    assert!(text(&other.stdout).contains("imported 140 rows"), "{}", text(&other.stdout));
    let again = run(dir.path(), &["--workbook", "copy", "export-csv", "-"]);
    assert_eq!(text(&again.stdout), csv, "export → import → export gives the same file");

    let before = std::fs::read_to_string(dir.path().join("copy/Inventory.csv")).unwrap_or_default();
    let bad = "SKU,Name,Price\nX-1,Tee,abc\n";
    std::fs::write(dir.path().join("bad.csv"), bad).unwrap_or_else(|e| panic!("{e}"));
    let refused = run(dir.path(), &["--workbook", "copy", "import-csv", "bad.csv"]);
    assert_eq!(refused.status.code(), Some(2));
    let why = text(&refused.stderr);
    assert!(why.contains("nothing was imported") && why.contains("QtyOnHand"), "{why}");
    assert_eq!(std::fs::read_to_string(dir.path().join("copy/Inventory.csv")).unwrap_or_default(), before);

    std::fs::write(dir.path().join("empty.csv"), "").unwrap_or_else(|e| panic!("{e}"));
    let empty = run(dir.path(), &["--workbook", "copy", "import-csv", "empty.csv"]);
    assert_eq!(empty.status.code(), Some(2), "{}", text(&empty.stderr));
    let missing = run(dir.path(), &["--workbook", "copy", "import-csv", "nope.csv"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("cannot read nope.csv"));
}

#[test]
fn serve_refuses_an_interval_it_cannot_read_and_an_address_it_cannot_use() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for (every, says) in [("15", "like 15m, 1h or 1h30m"), ("0m", "more than zero"), ("soon", "is not a duration")] {
        let output = run(dir.path(), &["serve", "--demo", "--every", every]);
        assert_eq!(output.status.code(), Some(2), "{every}");
        assert!(text(&output.stderr).contains(says), "{every}: {}", text(&output.stderr));
    }
    let output = run(dir.path(), &["serve", "--demo", "--addr", "localhost"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("--addr"), "{}", text(&output.stderr));
    assert!(!dir.path().join("data").exists(), "nothing synced");
}
