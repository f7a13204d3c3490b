//! A local fake of Google (token endpoint and Sheets v4) on wiremock, the
//! test-only service-account key from `fixtures/google/`, and small helpers.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use chrono::{TimeZone, Utc};
use frontdesk_core::{Clock, ManualClock};
use frontdesk_inventory::Sheet;
use frontdesk_sheets::{Backoff, GoogleSheets, GoogleSheetsConfig, ServiceAccountKey};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reqwest::Url;
use serde::Deserialize;
use serde_json::{Value, json};
use wiremock::matchers::{HeaderExactMatcher, header, method, path};
use wiremock::{Mock, MockBuilder, MockServer, Request, ResponseTemplate};

pub const SPREADSHEET_ID: &str = "1FrontdeskTestOnly-Spreadsheet_Id";
pub const TOKEN_PATH: &str = "/token";
pub const SCOPE: &str = "https://www.googleapis.com/auth/spreadsheets";
pub const FIXTURE_CLIENT_EMAIL: &str = "frontdesk-test-only@frontdesk-test-only.iam.gserviceaccount.com";

fn read_fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/google").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// The test-only key file with its `token_uri` pointed at the fake.
pub fn key_for(server: &MockServer) -> ServiceAccountKey {
    let mut json: Value = serde_json::from_str(&read_fixture("test-service-account.json"))
        .unwrap_or_else(|e| panic!("fixture JSON: {e}"));
    json["token_uri"] = json!(format!("{}{TOKEN_PATH}", server.uri()));
    ServiceAccountKey::from_json(&json.to_string()).unwrap_or_else(|e| panic!("fixture key: {e}"))
}

/// Retries after a millisecond, so tests of backoff take no time.
pub fn quick_backoff(max_retries: u32) -> Backoff {
    Backoff {
        first_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(2),
        max_jitter: Duration::from_millis(1),
        max_retries,
    }
}

pub struct Fake {
    pub server: MockServer,
    pub sheets: GoogleSheets,
}

impl Fake {
    /// An adapter for `SPREADSHEET_ID` on the fake, retrying up to 3 times.
    pub async fn new() -> Fake {
        Fake::with_config(|config| config).await
    }

    pub async fn with_config(adjust: impl FnOnce(GoogleSheetsConfig) -> GoogleSheetsConfig) -> Fake {
        let server = MockServer::start().await;
        let config = GoogleSheetsConfig {
            api_base: server.uri(),
            backoff: quick_backoff(3),
            ..GoogleSheetsConfig::new(SPREADSHEET_ID, key_for(&server))
        };
        let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2026, 3, 9, 8, 0, 0).single().unwrap_or_else(|| panic!("bad test time")),
        ));
        let sheets = GoogleSheets::new(adjust(config), clock).unwrap_or_else(|e| panic!("adapter: {e}"));
        Fake { server, sheets }
    }

    /// The token endpoint hands out `access_token` to every request.
    pub async fn grant_token(&self, access_token: &str) {
        token_request().respond_with(token_reply(access_token)).mount(&self.server).await;
    }

    /// The spreadsheet has these worksheets: (title, sheetId, rowCount, columnCount).
    pub async fn has_worksheets(&self, worksheets: &[(&str, i64, usize, usize)]) {
        Mock::given(method("GET"))
            .and(path(format!("/{SPREADSHEET_ID}")))
            .respond_with(worksheets_reply(worksheets))
            .mount(&self.server)
            .await;
    }

    /// Every request the fake received, in order.
    pub async fn requests(&self) -> Vec<Request> {
        self.server.received_requests().await.unwrap_or_default()
    }

    /// The Sheets requests (not the token's), in order, as `METHOD /path`.
    pub async fn api_calls(&self) -> Vec<String> {
        self.requests()
            .await
            .iter()
            .filter(|request| request.url.path() != TOKEN_PATH)
            .map(|request| format!("{} {}", request.method, request.url.path()))
            .collect()
    }

    /// The JSON bodies sent to `values:{verb}` (or `:{verb}` for the spreadsheet), in order.
    pub async fn bodies_sent_to(&self, suffix: &str) -> Vec<Value> {
        let wanted = format!("/{SPREADSHEET_ID}{suffix}");
        self.requests().await.iter().filter(|request| request.url.path() == wanted).map(body_json).collect()
    }
}

/// `POST {id}/values:{verb}` (or GET for batchGet).
pub fn values_call(http_method: &str, verb: &str) -> MockBuilder {
    Mock::given(method(http_method)).and(path(values_path(verb)))
}

pub fn values_path(verb: &str) -> String {
    format!("/{SPREADSHEET_ID}/values:{verb}")
}

pub fn spreadsheet_batch_update_path() -> String {
    format!("/{SPREADSHEET_ID}:batchUpdate")
}

pub fn token_request() -> MockBuilder {
    Mock::given(method("POST")).and(path(TOKEN_PATH))
}

pub fn token_reply(access_token: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "access_token": access_token,
        "expires_in": 3599,
        "token_type": "Bearer"
    }))
}

pub fn bearer(access_token: &str) -> HeaderExactMatcher {
    header("authorization", format!("Bearer {access_token}").as_str())
}

pub fn worksheets_reply(worksheets: &[(&str, i64, usize, usize)]) -> ResponseTemplate {
    let sheets: Vec<Value> = worksheets
        .iter()
        .map(|(title, sheet_id, rows, columns)| {
            json!({ "properties": {
                "sheetId": sheet_id,
                "title": title,
                "gridProperties": { "rowCount": rows, "columnCount": columns }
            }})
        })
        .collect();
    ResponseTemplate::new(200).set_body_json(json!({ "sheets": sheets }))
}

/// Google's error body for Sheets v4 (google.rpc.Status).
pub fn google_error(code: u16, status: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(code).set_body_json(json!({
        "error": { "code": code, "message": message, "status": status }
    }))
}

/// A successful `values:batchUpdate` or `values:batchClear` (the adapter
/// reads only the status).
pub fn ok_json() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({ "spreadsheetId": SPREADSHEET_ID }))
}

pub fn sheet(name: &str, rows: &[&[&str]]) -> Sheet {
    Sheet {
        name: name.to_owned(),
        rows: rows.iter().map(|row| row.iter().map(|c| (*c).to_owned()).collect()).collect(),
    }
}

pub fn body_json(request: &Request) -> Value {
    serde_json::from_slice(&request.body).unwrap_or_else(|e| panic!("body of {} is not JSON: {e}", request.url))
}

#[derive(Debug, Deserialize)]
pub struct AssertionClaims {
    pub iss: String,
    pub scope: String,
    pub aud: String,
}

/// The claims of a token request's assertion, its signature checked with the
/// fixture's public key.
pub fn verified_claims(request: &Request, audience: &str) -> AssertionClaims {
    let body = String::from_utf8(request.body.clone()).unwrap_or_else(|e| panic!("form body: {e}"));
    let fields: HashMap<String, String> = Url::parse(&format!("http://form.invalid/?{body}"))
        .unwrap_or_else(|e| panic!("form body {body:?}: {e}"))
        .query_pairs()
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    let assertion = fields.get("assertion").unwrap_or_else(|| panic!("no assertion in {fields:?}"));
    let pem = read_fixture("test-public-key.pem");
    let der = base64::engine::general_purpose::STANDARD
        .decode(pem.lines().filter(|line| !line.starts_with("-----")).collect::<String>())
        .unwrap_or_else(|e| panic!("public key fixture: {e}"));
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[audience]);
    validation.validate_exp = false;
    jsonwebtoken::decode::<AssertionClaims>(assertion, &DecodingKey::from_rsa_der(&der), &validation)
        .unwrap_or_else(|e| panic!("assertion does not verify with the fixture public key: {e}"))
        .claims
}
