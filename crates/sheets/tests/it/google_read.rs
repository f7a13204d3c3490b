//! `GoogleSheets::read`: one batchGet, quoted names, missing values and
//! missing worksheets, retries and refusals.

use frontdesk_inventory::{SheetSink, SinkError};
use serde_json::json;
use wiremock::ResponseTemplate;

use crate::support::*;

#[tokio::test]
async fn read_is_one_batch_get_with_quoted_percent_encoded_ranges() {
    let fake = Fake::new().await;
    fake.grant_token("ya29.sheets").await;
    values_call("GET", "batchGet")
        .and(bearer("ya29.sheets"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "spreadsheetId": SPREADSHEET_ID,
            "valueRanges": [
                { "range": "Inventory!A1:Z1000", "majorDimension": "ROWS",
                  "values": [["SKU", "Name", "QtyOnHand"], ["AJ1-10", "Air Jordan 1 \"Chicago\"", "12"], ["0012"]] },
                { "range": "'Bob''s Sheet'!A1:Z1000", "majorDimension": "ROWS" },
                { "range": "'Q1 Sales'!A1:Z1000", "majorDimension": "ROWS", "values": [["Setting", "Value"]] }
            ]
        })))
        .expect(1)
        .mount(&fake.server)
        .await;

    let sheets = fake.sheets.read(&["Inventory", "Bob's Sheet", "Q1 Sales"]).await;

    let sheets = sheets.unwrap_or_else(|e| panic!("read: {e}"));
    assert_eq!(
        sheets,
        [
            sheet(
                "Inventory",
                &[&["SKU", "Name", "QtyOnHand"], &["AJ1-10", "Air Jordan 1 \"Chicago\"", "12"], &["0012"]]
            ),
            sheet("Bob's Sheet", &[]),
            sheet("Q1 Sales", &[&["Setting", "Value"]]),
        ]
    );
    let requests = fake.requests().await;
    let batch_get = requests
        .iter()
        .find(|request| request.url.path() == values_path("batchGet"))
        .unwrap_or_else(|| panic!("no batchGet"));
    assert_eq!(
        batch_get.url.query(),
        Some(
            "ranges=%27Inventory%27&ranges=%27Bob%27%27s%20Sheet%27&ranges=%27Q1%20Sales%27\
             &majorDimension=ROWS&valueRenderOption=FORMATTED_VALUE"
        )
    );
    // The token came from the key's token_uri, for the spreadsheets scope.
    let token_requests: Vec<_> = requests.iter().filter(|request| request.url.path() == TOKEN_PATH).collect();
    assert_eq!(token_requests.len(), 1);
    let token_uri = format!("{}{TOKEN_PATH}", fake.server.uri());
    let claims = verified_claims(token_requests[0], &token_uri);
    assert_eq!(
        (claims.iss.as_str(), claims.scope.as_str(), claims.aud.as_str()),
        (FIXTURE_CLIENT_EMAIL, SCOPE, token_uri.as_str())
    );
}

#[tokio::test]
async fn missing_worksheets_read_as_empty_and_reading_creates_nothing() {
    let fake = Fake::new().await;
    fake.grant_token("ya29.sheets").await;
    values_call("GET", "batchGet")
        .respond_with(google_error(400, "INVALID_ARGUMENT", "Unable to parse range: 'RestockList'"))
        .up_to_n_times(1)
        .mount(&fake.server)
        .await;
    fake.has_worksheets(&[("Inventory", 0, 1000, 26), ("Notes", 3, 1000, 26)]).await;
    values_call("GET", "batchGet")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "valueRanges": [{ "range": "Inventory!A1:Z1000", "values": [["SKU"], ["AJ1-10"]] }]
        })))
        .mount(&fake.server)
        .await;

    let sheets = fake.sheets.read(&["Inventory", "RestockList", "SalesLog"]).await;

    assert_eq!(
        sheets.unwrap_or_else(|e| panic!("read: {e}")),
        [sheet("Inventory", &[&["SKU"], &["AJ1-10"]]), sheet("RestockList", &[]), sheet("SalesLog", &[])]
    );
    let batch_get = values_path("batchGet");
    assert_eq!(
        fake.api_calls().await,
        [format!("GET {batch_get}"), format!("GET /{SPREADSHEET_ID}"), format!("GET {batch_get}")],
        "no worksheet is added by a read"
    );
    let second = fake.requests().await.into_iter().filter(|request| request.url.path() == batch_get).nth(1);
    assert_eq!(
        second.and_then(|request| request.url.query().map(str::to_owned)).as_deref(),
        Some("ranges=%27Inventory%27&majorDimension=ROWS&valueRenderOption=FORMATTED_VALUE")
    );
}

#[tokio::test]
async fn an_empty_spreadsheet_reads_as_empty_sheets() {
    let fake = Fake::new().await;
    fake.grant_token("ya29.sheets").await;
    values_call("GET", "batchGet")
        .respond_with(google_error(400, "INVALID_ARGUMENT", "Unable to parse range: 'Config'"))
        .expect(1)
        .mount(&fake.server)
        .await;
    fake.has_worksheets(&[("Sheet1", 0, 1000, 26)]).await;

    let sheets = fake.sheets.read(&["Config"]).await;

    assert_eq!(sheets.unwrap_or_else(|e| panic!("read: {e}")), [sheet("Config", &[])]);
}

#[tokio::test]
async fn server_errors_and_rate_limits_are_retried() {
    let fake = Fake::new().await;
    fake.grant_token("ya29.sheets").await;
    values_call("GET", "batchGet")
        .respond_with(google_error(503, "UNAVAILABLE", "The service is currently unavailable."))
        .up_to_n_times(1)
        .mount(&fake.server)
        .await;
    values_call("GET", "batchGet")
        .respond_with(google_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Read requests'"))
        .up_to_n_times(1)
        .mount(&fake.server)
        .await;
    values_call("GET", "batchGet")
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({ "valueRanges": [{ "range": "Config!A1:Z1000" }] })),
        )
        .mount(&fake.server)
        .await;

    let sheets = fake.sheets.read(&["Config"]).await;

    assert_eq!(sheets.unwrap_or_else(|e| panic!("read: {e}")), [sheet("Config", &[])]);
    assert_eq!(fake.api_calls().await.len(), 3);
}

#[tokio::test]
async fn forbidden_is_a_credentials_problem_that_names_the_service_account() {
    let fake = Fake::new().await;
    fake.grant_token("ya29.sheets").await;
    values_call("GET", "batchGet")
        .respond_with(google_error(403, "PERMISSION_DENIED", "The caller does not have permission"))
        .expect(1)
        .mount(&fake.server)
        .await;

    let error = fake.sheets.read(&["Inventory"]).await.err().unwrap_or_else(|| panic!("a 403 must fail"));

    assert!(matches!(error, SinkError::Credentials(_)), "{error:?}");
    let text = error.to_string();
    assert!(text.contains(FIXTURE_CLIENT_EMAIL) && text.contains(SPREADSHEET_ID), "{text}");
    assert!(text.contains("The caller does not have permission"), "{text}");
}

#[tokio::test]
async fn a_refused_token_is_a_credentials_problem_and_sheets_is_not_called() {
    let fake = Fake::new().await;
    token_request()
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({ "error": "invalid_grant", "error_description": "Invalid JWT Signature." })),
        )
        .expect(1)
        .mount(&fake.server)
        .await;

    let error = fake.sheets.read(&["Inventory"]).await.err().unwrap_or_else(|| panic!("a refused grant must fail"));

    assert!(matches!(error, SinkError::Credentials(_)), "{error:?}");
    assert!(error.to_string().contains("invalid_grant"), "{error}");
    assert_eq!(fake.api_calls().await, Vec::<String>::new());
}
