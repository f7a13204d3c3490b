//! `GoogleSheets::write`: the exact batchUpdate body, the clear after it,
//! new worksheets and grids, retries, and what a failure leaves alone.

use frontdesk_inventory::{SheetSink, SinkError, WriteReport};
use frontdesk_sheets::{GoogleSheets, GoogleSheetsConfig, GoogleSheetsSetupError};
use serde_json::{Value, json};
use wiremock::Mock;
use wiremock::matchers::{method, path};

use crate::support::*;

/// Mounts success for the value calls (update and clear).
async fn values_calls_succeed(fake: &Fake) {
    values_call("POST", "batchUpdate").respond_with(ok_json()).mount(&fake.server).await;
    values_call("POST", "batchClear").respond_with(ok_json()).mount(&fake.server).await;
}

fn post(path: &str) -> String {
    format!("POST {path}")
}

fn list_worksheets() -> String {
    format!("GET /{SPREADSHEET_ID}")
}

#[tokio::test]
async fn one_batch_update_with_the_exact_body_then_one_clear_of_the_rows_below() {
    let fake = Fake::new().await;
    fake.grant_token("ya29.sheets").await;
    fake.has_worksheets(&[("Inventory", 0, 1000, 26), ("RestockList", 7, 1000, 26)]).await;
    values_calls_succeed(&fake).await;
    let inventory = sheet(
        "Inventory",
        &[
            &["SKU", "Name", "Barcode", "RetailPrice", "QtyOnHand", "Note"],
            &["AJ1-10", "Air Jordan 1 \"Chicago\"", "0012345678905", "129.99", "12", "=HYPERLINK(\"x\")"],
            // Ragged: padded with "" so the old Note in this row is cleared.
            &["BAPE-M", "A Bathing Ape, Shark Hoodie", "4006381333931", "12.50", "-3"],
        ],
    );

    let report = fake.sheets.write(&[inventory, sheet("RestockList", &[])]).await;

    assert_eq!(report.unwrap_or_else(|e| panic!("write: {e}")), WriteReport { write_requests: 2, rows_written: 3 });
    assert_eq!(
        fake.api_calls().await,
        [list_worksheets(), post(&values_path("batchUpdate")), post(&values_path("batchClear"))],
        "the clear comes after the update"
    );
    let expected_update = json!({
        "valueInputOption": "RAW",
        "data": [{
            "range": "'Inventory'!A1:F3",
            "majorDimension": "ROWS",
            "values": [
                ["SKU", "Name", "Barcode", "RetailPrice", "QtyOnHand", "Note"],
                ["AJ1-10", "Air Jordan 1 \"Chicago\"", "0012345678905", 129.99, 12, "=HYPERLINK(\"x\")"],
                ["BAPE-M", "A Bathing Ape, Shark Hoodie", "4006381333931", 12.5, -3, ""]
            ]
        }],
        "includeValuesInResponse": false
    });
    assert_eq!(fake.bodies_sent_to("/values:batchUpdate").await, [expected_update]);
    assert_eq!(
        fake.bodies_sent_to("/values:batchClear").await,
        [json!({ "ranges": ["'Inventory'!A4:Z1000", "'RestockList'!A1:Z1000"] })]
    );
}

#[tokio::test]
async fn missing_worksheets_are_added_and_small_grids_grown_in_one_request_first() {
    let fake = Fake::new().await;
    fake.grant_token("ya29.sheets").await;
    fake.has_worksheets(&[("Sheet1", 0, 1000, 26), ("Inventory", 42, 2, 3)]).await;
    Mock::given(method("POST"))
        .and(path(spreadsheet_batch_update_path()))
        .respond_with(ok_json())
        .expect(1)
        .mount(&fake.server)
        .await;
    values_calls_succeed(&fake).await;
    let inventory = sheet("Inventory", &[&["SKU", "Name", "Size", "Qty"], &["a", "b", "c", "1"], &["d"], &["e"]]);
    let sales_log = sheet("SalesLog", &[&["SaleId", "LineId", "SKU", "Qty", "SaleDate", "ProcessedAt"]]);

    let report = fake.sheets.write(&[inventory, sheet("RestockList", &[]), sales_log]).await;

    assert_eq!(report.unwrap_or_else(|e| panic!("write: {e}")), WriteReport { write_requests: 2, rows_written: 5 });
    assert_eq!(
        fake.api_calls().await,
        [list_worksheets(), post(&spreadsheet_batch_update_path()), post(&values_path("batchUpdate"))],
        "nothing to clear: Inventory's grid is exactly its rows now, and the others are new"
    );
    let new_sheet = |title: &str, columns: usize| {
        json!({ "addSheet": { "properties": {
            "title": title, "gridProperties": { "rowCount": 1000, "columnCount": columns }
        }}})
    };
    assert_eq!(
        fake.bodies_sent_to(":batchUpdate").await,
        [json!({ "requests": [
            { "appendDimension": { "sheetId": 42, "dimension": "ROWS", "length": 2 } },
            { "appendDimension": { "sheetId": 42, "dimension": "COLUMNS", "length": 1 } },
            new_sheet("RestockList", 1),
            new_sheet("SalesLog", 6),
        ]})]
    );
    let ranges: Vec<Value> = fake.bodies_sent_to("/values:batchUpdate").await[0]["data"]
        .as_array()
        .map(|data| data.iter().map(|entry| entry["range"].clone()).collect())
        .unwrap_or_default();
    assert_eq!(ranges, [json!("'Inventory'!A1:D4"), json!("'SalesLog'!A1:F1")]);
}

#[tokio::test]
async fn the_listing_is_asked_for_with_only_the_fields_the_writer_needs() {
    let fake = Fake::new().await;
    fake.grant_token("ya29.sheets").await;
    fake.has_worksheets(&[("Config", 1, 3, 3)]).await;
    values_calls_succeed(&fake).await;

    fake.sheets
        .write(&[sheet("Config", &[&["Setting", "Value", "Description"]])])
        .await
        .unwrap_or_else(|e| panic!("write: {e}"));

    let listing = fake.requests().await.into_iter().find(|request| request.url.path() == format!("/{SPREADSHEET_ID}"));
    assert_eq!(
        listing.and_then(|request| request.url.query().map(str::to_owned)).as_deref(),
        Some("fields=sheets.properties%28sheetId%2Ctitle%2CgridProperties%28rowCount%2CcolumnCount%29%29")
    );
    assert_eq!(fake.bodies_sent_to("/values:batchClear").await, [json!({ "ranges": ["'Config'!A2:C3"] })]);
}

#[tokio::test]
async fn a_rate_limited_update_is_retried_and_then_cleared() {
    let fake = Fake::new().await;
    fake.grant_token("ya29.sheets").await;
    fake.has_worksheets(&[("Inventory", 0, 1000, 26)]).await;
    values_call("POST", "batchUpdate")
        .respond_with(google_error(
            429,
            "RESOURCE_EXHAUSTED",
            "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per user'",
        ))
        .up_to_n_times(1)
        .mount(&fake.server)
        .await;
    values_calls_succeed(&fake).await;

    let report = fake.sheets.write(&[sheet("Inventory", &[&["SKU"], &["AJ1-10"]])]).await;

    assert_eq!(report.unwrap_or_else(|e| panic!("write: {e}")), WriteReport { write_requests: 3, rows_written: 2 });
    let update = post(&values_path("batchUpdate"));
    assert_eq!(fake.api_calls().await, [list_worksheets(), update.clone(), update, post(&values_path("batchClear"))]);
}

#[tokio::test]
async fn a_lasting_rate_limit_gives_up_after_the_retries_and_clears_nothing() {
    let fake = Fake::with_config(|config| GoogleSheetsConfig { backoff: quick_backoff(2), ..config }).await;
    fake.grant_token("ya29.sheets").await;
    fake.has_worksheets(&[("Inventory", 0, 1000, 26)]).await;
    values_call("POST", "batchUpdate")
        .respond_with(google_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded").insert_header("Retry-After", "0"))
        .expect(3)
        .mount(&fake.server)
        .await;
    values_call("POST", "batchClear").respond_with(ok_json()).expect(0).mount(&fake.server).await;

    let error =
        fake.sheets.write(&[sheet("Inventory", &[&["SKU"]])]).await.err().unwrap_or_else(|| panic!("must fail"));

    assert!(matches!(error, SinkError::RateLimited { .. }), "{error:?}");
}

#[tokio::test]
async fn a_failed_update_sends_no_clear() {
    for (answer, is_expected_error, attempts) in [
        (
            google_error(400, "INVALID_ARGUMENT", "Invalid values[1][0]: struct_value"),
            (|error: &SinkError| matches!(error, SinkError::Io(_))) as fn(&SinkError) -> bool,
            1,
        ),
        (
            google_error(500, "INTERNAL", "Internal error encountered."),
            |error| matches!(error, SinkError::Unavailable(_)),
            4,
        ),
    ] {
        let fake = Fake::new().await;
        fake.grant_token("ya29.sheets").await;
        fake.has_worksheets(&[("Inventory", 0, 1000, 26)]).await;
        values_call("POST", "batchUpdate").respond_with(answer).expect(attempts).mount(&fake.server).await;
        values_call("POST", "batchClear").respond_with(ok_json()).expect(0).mount(&fake.server).await;

        let error =
            fake.sheets.write(&[sheet("Inventory", &[&["SKU"]])]).await.err().unwrap_or_else(|| panic!("must fail"));

        assert!(is_expected_error(&error), "{error:?}");
        assert!(!fake.api_calls().await.contains(&post(&values_path("batchClear"))));
    }
}

#[tokio::test]
async fn an_unauthorized_update_gets_a_fresh_token_once() {
    let fake = Fake::new().await;
    token_request().respond_with(token_reply("ya29.revoked")).up_to_n_times(1).expect(1).mount(&fake.server).await;
    token_request().respond_with(token_reply("ya29.fresh")).expect(1).mount(&fake.server).await;
    fake.has_worksheets(&[("Inventory", 0, 1, 1)]).await;
    values_call("POST", "batchUpdate")
        .and(bearer("ya29.revoked"))
        .respond_with(google_error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials."))
        .expect(1)
        .mount(&fake.server)
        .await;
    values_call("POST", "batchUpdate")
        .and(bearer("ya29.fresh"))
        .respond_with(ok_json())
        .expect(1)
        .mount(&fake.server)
        .await;

    let report = fake.sheets.write(&[sheet("Inventory", &[&["SKU"]])]).await;

    assert_eq!(report.unwrap_or_else(|e| panic!("write: {e}")), WriteReport { write_requests: 2, rows_written: 1 });
}

#[tokio::test]
async fn a_write_larger_than_the_payload_limit_is_split_by_rows_and_cleared_last() {
    let limit = 400;
    let fake = Fake::with_config(|config| GoogleSheetsConfig { max_payload_bytes: limit, ..config }).await;
    fake.grant_token("ya29.sheets").await;
    fake.has_worksheets(&[("Inventory", 0, 1000, 26), ("Config", 1, 1000, 26)]).await;
    values_calls_succeed(&fake).await;
    let skus: Vec<String> = (1..=20).map(|n| format!("SKU-{n:04}")).collect();
    let inventory_rows: Vec<Vec<String>> = skus.iter().map(|sku| vec![sku.clone(), "Tee / M".to_owned()]).collect();
    let inventory = frontdesk_inventory::Sheet { name: "Inventory".to_owned(), rows: inventory_rows.clone() };

    let report = fake.sheets.write(&[inventory, sheet("Config", &[&["Setting", "Value"]])]).await;

    let report = report.unwrap_or_else(|e| panic!("write: {e}"));
    let updates = fake.bodies_sent_to("/values:batchUpdate").await;
    assert!(updates.len() > 1, "{updates:?}");
    assert_eq!(report.write_requests as usize, updates.len() + 1);
    let mut sent_rows: Vec<(String, Value)> = Vec::new();
    for update in &updates {
        assert!(update.to_string().len() <= limit, "{} bytes: {update}", update.to_string().len());
        for entry in update["data"].as_array().into_iter().flatten() {
            for row in entry["values"].as_array().into_iter().flatten() {
                sent_rows.push((
                    entry["range"].as_str().unwrap_or_default().split('!').next().unwrap_or_default().to_owned(),
                    row.clone(),
                ));
            }
        }
    }
    let expected: Vec<(String, Value)> = inventory_rows
        .iter()
        .map(|row| ("'Inventory'".to_owned(), json!(row)))
        .chain([("'Config'".to_owned(), json!(["Setting", "Value"]))])
        .collect();
    assert_eq!(sent_rows, expected, "every row once, in order");
    let first_ranges: Vec<&str> = updates.iter().filter_map(|update| update["data"][0]["range"].as_str()).collect();
    assert!(first_ranges[0].starts_with("'Inventory'!A1:B"), "starts at A1: {first_ranges:?}");
    assert_eq!(fake.api_calls().await.last(), Some(&post(&values_path("batchClear"))));
}

#[tokio::test]
async fn setup_refuses_what_is_not_an_api_base_or_a_spreadsheet_id() {
    let server = wiremock::MockServer::start().await;
    let clock = || -> std::sync::Arc<dyn frontdesk_core::Clock> { std::sync::Arc::new(frontdesk_core::SystemClock) };
    let config = || GoogleSheetsConfig::new(SPREADSHEET_ID, key_for(&server));

    let bad_base =
        GoogleSheets::new(GoogleSheetsConfig { api_base: "sheets.googleapis.com/v4".to_owned(), ..config() }, clock());
    assert!(matches!(bad_base, Err(GoogleSheetsSetupError::ApiBase(_))), "{bad_base:?}");
    for id in ["", "https://docs.google.com/spreadsheets/d/abc/edit", "abc def"] {
        let result = GoogleSheets::new(GoogleSheetsConfig { spreadsheet_id: id.to_owned(), ..config() }, clock());
        assert!(matches!(result, Err(GoogleSheetsSetupError::SpreadsheetId(_))), "{id:?}: {result:?}");
    }
    assert_eq!(config().api_base, "https://sheets.googleapis.com/v4/spreadsheets");
}

#[tokio::test]
async fn rows_read_back_as_sheets_shows_numbers_are_already_held() {
    let fake = Fake::new().await;
    let rows = |price: &str, qty: &str| {
        vec![
            vec!["SKU".to_owned(), "Price".to_owned(), "Qty".to_owned()],
            vec!["A-1".to_owned(), price.to_owned(), qty.to_owned()],
        ]
    };
    // Written as 129.00 and 5, shown by Sheets as 129 and 5.
    assert!(fake.sheets.already_holds(&rows("129", "5"), &rows("129.00", "5")));
    assert!(!fake.sheets.already_holds(&rows("129", "5"), &rows("129.50", "5")), "another price");
    assert!(!fake.sheets.already_holds(&rows("129", "5"), &rows("129.00", "05")), "text stays text");
    assert!(!fake.sheets.already_holds(&rows("129", "5")[..1], &rows("129.00", "5")), "a missing row");
    assert!(fake.api_calls().await.is_empty(), "comparing sends nothing");
}
