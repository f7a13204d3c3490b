//! `cargo bench -p inventory-sync --bench sync`: a generated catalog of
//! 100,000 variants and 50,000 sale lines, served by the demo's fake of the
//! Lightspeed API and read by the real `LightspeedSource`, synced into the
//! local workbook and into a fake of Google Sheets through the real
//! `GoogleSheets`: a first (full) sync, then a second with nothing new.
//!
//! This process generates the catalog and serves both fakes; each sync runs
//! in a child process of this binary (`--sync-child`), so the peak memory
//! measured (`VmHWM`) is that sync's alone, not the fakes'. Prints a table
//! and rewrites the inventory-sync section of docs/benchmarks.md.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path as UrlPath, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, TimeZone, Utc};
use frontdesk_core::SystemClock;
use frontdesk_inventory::{SheetSink, SyncKey, SyncOptions, SyncStores, sync_once};
use frontdesk_lightspeed::{LightspeedConfig, LightspeedSource, PersonalToken};
use frontdesk_runtime::{DatabaseUrl, open_backend};
use frontdesk_sheets::{Backoff, GoogleSheets, GoogleSheetsConfig, LocalWorkbook, ServiceAccountKey};
use inventory_sync::demo::{DemoCatalog, fake_lightspeed};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

const VARIANTS: usize = 100_000;
const SALE_LINES: usize = 50_000;
const SEED: u64 = 2026;
/// Each scenario (both syncs, from an empty workbook) is run this many times.
const RUNS: usize = 3;
const PAGE_SIZE: u32 = 1000;
const SPREADSHEET_ID: &str = "1FrontdeskBench-Spreadsheet_Id";
/// Runs one sync and prints its figures as one JSON line.
const CHILD_FLAG: &str = "--sync-child";
/// Google's limit on the cells (of every grid, empty or not) of one spreadsheet.
const MAX_CELLS: usize = 10_000_000;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 15, 0, 0).single().unwrap_or_default()
}

// ---------------------------------------------------------------------------
// The fake Google: a token endpoint and the Sheets v4 calls the adapter makes.
// ---------------------------------------------------------------------------

/// Requests the fake answered, by kind, and the bytes of their bodies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
struct SheetsCounts {
    token: u64,
    list: u64,
    batch_get: u64,
    /// `spreadsheets:batchUpdate` (addSheet, appendDimension).
    structural: u64,
    values_update: u64,
    values_clear: u64,
    /// Request bodies of the three writes.
    bytes_written: u64,
    /// Reply bodies of `values:batchGet`.
    bytes_read: u64,
}

impl SheetsCounts {
    fn writes(&self) -> u64 {
        self.structural + self.values_update + self.values_clear
    }

    fn reads(&self) -> u64 {
        self.list + self.batch_get
    }

    fn since(&self, before: &SheetsCounts) -> SheetsCounts {
        SheetsCounts {
            token: self.token - before.token,
            list: self.list - before.list,
            batch_get: self.batch_get - before.batch_get,
            structural: self.structural - before.structural,
            values_update: self.values_update - before.values_update,
            values_clear: self.values_clear - before.values_clear,
            bytes_written: self.bytes_written - before.bytes_written,
            bytes_read: self.bytes_read - before.bytes_read,
        }
    }
}

struct Worksheet {
    sheet_id: i64,
    title: String,
    row_count: usize,
    column_count: usize,
    /// Cells as Sheets shows them (`FORMATTED_VALUE`); "" is empty.
    rows: Vec<Vec<String>>,
}

#[derive(Default)]
struct Spreadsheet {
    worksheets: Vec<Worksheet>,
    next_sheet_id: i64,
    counts: SheetsCounts,
}

impl Spreadsheet {
    fn new() -> Spreadsheet {
        // A new spreadsheet, as Google creates it.
        let sheet1 =
            Worksheet { sheet_id: 0, title: "Sheet1".to_owned(), row_count: 1000, column_count: 26, rows: Vec::new() };
        Spreadsheet { worksheets: vec![sheet1], next_sheet_id: 1_000_001, counts: SheetsCounts::default() }
    }

    fn worksheet(&mut self, title: &str) -> Option<&mut Worksheet> {
        let title = title.to_lowercase();
        self.worksheets.iter_mut().find(|sheet| sheet.title.to_lowercase() == title)
    }

    fn cells(&self) -> usize {
        self.worksheets.iter().map(|sheet| sheet.row_count * sheet.column_count).sum()
    }
}

type Shared = Arc<Mutex<Spreadsheet>>;

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, Spreadsheet> {
    shared.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn google_error(status: StatusCode, message: &str) -> Response {
    let google_status = match status {
        StatusCode::UNAUTHORIZED => "UNAUTHENTICATED",
        StatusCode::NOT_FOUND => "NOT_FOUND",
        _ => "INVALID_ARGUMENT",
    };
    let body = json!({"error": {"code": status.as_u16(), "message": message, "status": google_status}});
    (status, axum::Json(body)).into_response()
}

/// The adapter must send the token the fake handed out.
fn authorised(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|value| value.to_str().ok()) == Some("Bearer ya29.bench")
}

/// A range in A1 notation: `'Name'` or `'Name'!A1:L141`. Rows and columns
/// are 1-based and inclusive; `None` is the whole worksheet.
struct Range {
    sheet: String,
    cells: Option<Cells>,
}

#[derive(Clone, Copy)]
struct Cells {
    first_row: usize,
    first_column: usize,
    last_row: usize,
    last_column: usize,
}

fn parse_range(text: &str) -> Option<Range> {
    let (sheet, rest) = if let Some(quoted) = text.strip_prefix('\'') {
        let mut name = String::new();
        let mut chars = quoted.char_indices().peekable();
        let mut end = None;
        while let Some((index, char)) = chars.next() {
            if char == '\'' {
                if chars.peek().is_some_and(|(_, next)| *next == '\'') {
                    chars.next();
                    name.push('\'');
                } else {
                    end = Some(index + 1);
                    break;
                }
            } else {
                name.push(char);
            }
        }
        (name, &quoted[end?..])
    } else {
        match text.split_once('!') {
            Some((name, _)) => (name.to_owned(), &text[name.len()..]),
            None => (text.to_owned(), ""),
        }
    };
    if rest.is_empty() {
        return Some(Range { sheet, cells: None });
    }
    let (first, last) = rest.strip_prefix('!')?.split_once(':')?;
    let (first_column, first_row) = cell(first)?;
    let (last_column, last_row) = cell(last)?;
    Some(Range { sheet, cells: Some(Cells { first_row, first_column, last_row, last_column }) })
}

/// `L141` → (12, 141).
fn cell(text: &str) -> Option<(usize, usize)> {
    let digits = text.find(|c: char| c.is_ascii_digit())?;
    let (letters, number) = text.split_at(digits);
    if letters.is_empty() || !letters.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let column = letters.bytes().fold(0, |column, letter| column * 26 + usize::from(letter - b'A' + 1));
    Some((column, number.parse().ok()?))
}

/// What Sheets shows for a value written with `RAW`, in its automatic format.
fn shown(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        Value::Bool(true) => "TRUE".to_owned(),
        Value::Bool(false) => "FALSE".to_owned(),
        Value::Number(number) => match (number.as_i64(), number.as_f64()) {
            (Some(integer), _) => integer.to_string(),
            (None, Some(float)) if float.fract() == 0.0 && float.abs() < 1e15 => format!("{float:.0}"),
            (None, Some(float)) => float.to_string(),
            (None, None) => number.to_string(),
        },
        other => other.to_string(),
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'%' if index + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[index + 1..index + 3]).ok();
                match hex.and_then(|hex| u8::from_str_radix(hex, 16).ok()) {
                    Some(byte) => {
                        out.push(byte);
                        index += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            byte => out.push(byte),
        }
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn token(State(shared): State<Shared>) -> Response {
    lock(&shared).counts.token += 1;
    axum::Json(json!({"access_token": "ya29.bench", "expires_in": 3599, "token_type": "Bearer"})).into_response()
}

/// `GET /{id}?fields=…` (the worksheet listing) and `POST /{id}:batchUpdate`.
async fn spreadsheet_get(
    State(shared): State<Shared>,
    UrlPath(target): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    if !authorised(&headers) {
        return google_error(StatusCode::UNAUTHORIZED, "Request had invalid authentication credentials.");
    }
    if target != SPREADSHEET_ID {
        return google_error(StatusCode::NOT_FOUND, "Requested entity was not found.");
    }
    let mut spreadsheet = lock(&shared);
    spreadsheet.counts.list += 1;
    let sheets: Vec<Value> = spreadsheet
        .worksheets
        .iter()
        .map(|sheet| {
            json!({"properties": {
                "sheetId": sheet.sheet_id,
                "title": sheet.title,
                "gridProperties": {"rowCount": sheet.row_count, "columnCount": sheet.column_count},
            }})
        })
        .collect();
    axum::Json(json!({"sheets": sheets})).into_response()
}

#[derive(Deserialize)]
struct StructuralBody {
    requests: Vec<StructuralRequest>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StructuralRequest {
    add_sheet: Option<AddSheet>,
    append_dimension: Option<AppendDimension>,
}

#[derive(Deserialize)]
struct AddSheet {
    properties: NewSheet,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NewSheet {
    title: String,
    grid_properties: Option<GridSize>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GridSize {
    row_count: usize,
    column_count: usize,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AppendDimension {
    sheet_id: i64,
    dimension: String,
    length: usize,
}

async fn spreadsheet_post(
    State(shared): State<Shared>,
    UrlPath(target): UrlPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !authorised(&headers) {
        return google_error(StatusCode::UNAUTHORIZED, "Request had invalid authentication credentials.");
    }
    if target != format!("{SPREADSHEET_ID}:batchUpdate") {
        return google_error(StatusCode::NOT_FOUND, "Requested entity was not found.");
    }
    let mut spreadsheet = lock(&shared);
    spreadsheet.counts.structural += 1;
    spreadsheet.counts.bytes_written += body.len() as u64;
    let parsed: StructuralBody = match serde_json::from_slice(&body) {
        Ok(parsed) => parsed,
        Err(error) => return google_error(StatusCode::BAD_REQUEST, &format!("Invalid JSON payload: {error}")),
    };
    // Google applies all the requests or none: check them on a copy of the grids.
    let mut grids: Vec<(i64, String, usize, usize)> = spreadsheet
        .worksheets
        .iter()
        .map(|sheet| (sheet.sheet_id, sheet.title.clone(), sheet.row_count, sheet.column_count))
        .collect();
    let mut next_sheet_id = spreadsheet.next_sheet_id;
    let mut replies = Vec::new();
    for request in parsed.requests {
        if let Some(AddSheet { properties }) = request.add_sheet {
            if grids.iter().any(|(_, title, _, _)| title.to_lowercase() == properties.title.to_lowercase()) {
                let message = format!(
                    "Invalid requests[0].addSheet: A sheet with the name \"{}\" already exists. Please enter another name.",
                    properties.title
                );
                return google_error(StatusCode::BAD_REQUEST, &message);
            }
            let grid = properties.grid_properties.unwrap_or(GridSize { row_count: 1000, column_count: 26 });
            grids.push((next_sheet_id, properties.title.clone(), grid.row_count, grid.column_count));
            replies.push(json!({"addSheet": {"properties": {
                "sheetId": next_sheet_id, "title": properties.title,
                "gridProperties": {"rowCount": grid.row_count, "columnCount": grid.column_count},
            }}}));
            next_sheet_id += 1;
        } else if let Some(append) = request.append_dimension {
            let Some(grid) = grids.iter_mut().find(|(id, _, _, _)| *id == append.sheet_id) else {
                return google_error(StatusCode::BAD_REQUEST, &format!("No grid with id: {}", append.sheet_id));
            };
            match append.dimension.as_str() {
                "ROWS" => grid.2 += append.length,
                "COLUMNS" => grid.3 += append.length,
                other => return google_error(StatusCode::BAD_REQUEST, &format!("Invalid dimension {other:?}")),
            }
            replies.push(json!({}));
        } else {
            return google_error(
                StatusCode::BAD_REQUEST,
                "Invalid request: the fake knows addSheet and appendDimension",
            );
        }
    }
    let cells: usize = grids.iter().map(|(_, _, rows, columns)| rows * columns).sum();
    if cells > MAX_CELLS {
        let message = format!(
            "Invalid requests: This action would increase the number of cells in the workbook above the limit of {MAX_CELLS} cells."
        );
        return google_error(StatusCode::BAD_REQUEST, &message);
    }
    for (sheet_id, title, row_count, column_count) in grids {
        match spreadsheet.worksheets.iter_mut().find(|sheet| sheet.sheet_id == sheet_id) {
            Some(sheet) => (sheet.row_count, sheet.column_count) = (row_count, column_count),
            None => {
                spreadsheet.worksheets.push(Worksheet { sheet_id, title, row_count, column_count, rows: Vec::new() })
            }
        }
    }
    spreadsheet.next_sheet_id = next_sheet_id;
    axum::Json(json!({"spreadsheetId": SPREADSHEET_ID, "replies": replies})).into_response()
}

/// `GET /{id}/values:batchGet` and `POST /{id}/values:batchUpdate|batchClear`.
async fn values_get(
    State(shared): State<Shared>,
    UrlPath((id, call)): UrlPath<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    if !authorised(&headers) {
        return google_error(StatusCode::UNAUTHORIZED, "Request had invalid authentication credentials.");
    }
    if id != SPREADSHEET_ID || call != "values:batchGet" {
        return google_error(StatusCode::NOT_FOUND, "Requested entity was not found.");
    }
    let query = query.unwrap_or_default();
    let ranges: Vec<String> = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(name, _)| *name == "ranges")
        .map(|(_, value)| percent_decode(value))
        .collect();
    let mut spreadsheet = lock(&shared);
    spreadsheet.counts.batch_get += 1;
    let mut value_ranges = Vec::new();
    for text in &ranges {
        let Some(range) = parse_range(text) else {
            return google_error(StatusCode::BAD_REQUEST, &format!("Unable to parse range: {text}"));
        };
        let Some(sheet) = spreadsheet.worksheet(&range.sheet) else {
            return google_error(StatusCode::BAD_REQUEST, &format!("Unable to parse range: {text}"));
        };
        if range.cells.is_some() {
            return google_error(StatusCode::BAD_REQUEST, "the fake reads whole worksheets only");
        }
        // Google leaves out trailing empty cells and rows.
        let mut values: Vec<Vec<&str>> = sheet
            .rows
            .iter()
            .map(|row| {
                let width = row.iter().rposition(|cell| !cell.is_empty()).map_or(0, |last| last + 1);
                row[..width].iter().map(String::as_str).collect()
            })
            .collect();
        while values.last().is_some_and(Vec::is_empty) {
            values.pop();
        }
        let mut reply = json!({"range": format!("{text}!A1:Z{}", sheet.row_count), "majorDimension": "ROWS"});
        if !values.is_empty() {
            reply["values"] = json!(values);
        }
        value_ranges.push(reply);
    }
    let body = json!({"spreadsheetId": SPREADSHEET_ID, "valueRanges": value_ranges}).to_string();
    spreadsheet.counts.bytes_read += body.len() as u64;
    ([("content-type", "application/json")], body).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ValuesUpdate {
    value_input_option: String,
    data: Vec<ValueRange>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ValueRange {
    range: String,
    major_dimension: Option<String>,
    #[serde(default)]
    values: Vec<Vec<Value>>,
}

#[derive(Deserialize)]
struct ValuesClear {
    ranges: Vec<String>,
}

async fn values_post(
    State(shared): State<Shared>,
    UrlPath((id, call)): UrlPath<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !authorised(&headers) {
        return google_error(StatusCode::UNAUTHORIZED, "Request had invalid authentication credentials.");
    }
    if id != SPREADSHEET_ID {
        return google_error(StatusCode::NOT_FOUND, "Requested entity was not found.");
    }
    let mut spreadsheet = lock(&shared);
    spreadsheet.counts.bytes_written += body.len() as u64;
    match call.as_str() {
        "values:batchUpdate" => {
            spreadsheet.counts.values_update += 1;
            let parsed: ValuesUpdate = match serde_json::from_slice(&body) {
                Ok(parsed) => parsed,
                Err(error) => return google_error(StatusCode::BAD_REQUEST, &format!("Invalid JSON payload: {error}")),
            };
            if parsed.value_input_option != "RAW" {
                return google_error(StatusCode::BAD_REQUEST, "the fake stores RAW values only");
            }
            match update(&mut spreadsheet, &parsed.data) {
                Ok(cells) => axum::Json(json!({
                    "spreadsheetId": SPREADSHEET_ID,
                    "totalUpdatedCells": cells,
                    "responses": parsed.data.iter().map(|entry| json!({"updatedRange": entry.range})).collect::<Vec<_>>(),
                }))
                .into_response(),
                Err(message) => google_error(StatusCode::BAD_REQUEST, &message),
            }
        }
        "values:batchClear" => {
            spreadsheet.counts.values_clear += 1;
            let parsed: ValuesClear = match serde_json::from_slice(&body) {
                Ok(parsed) => parsed,
                Err(error) => return google_error(StatusCode::BAD_REQUEST, &format!("Invalid JSON payload: {error}")),
            };
            match clear(&mut spreadsheet, &parsed.ranges) {
                Ok(()) => {
                    axum::Json(json!({"spreadsheetId": SPREADSHEET_ID, "clearedRanges": parsed.ranges})).into_response()
                }
                Err(message) => google_error(StatusCode::BAD_REQUEST, &message),
            }
        }
        _ => google_error(StatusCode::NOT_FOUND, "Requested entity was not found."),
    }
}

/// A range checked against the worksheet's grid, as Google checks it.
fn grid_range<'a>(spreadsheet: &'a mut Spreadsheet, text: &str) -> Result<(&'a mut Worksheet, Cells), String> {
    let range = parse_range(text).ok_or_else(|| format!("Unable to parse range: {text}"))?;
    let sheet = spreadsheet.worksheet(&range.sheet).ok_or_else(|| format!("Unable to parse range: {text}"))?;
    let whole = Cells { first_row: 1, first_column: 1, last_row: sheet.row_count, last_column: sheet.column_count };
    let cells = range.cells.unwrap_or(whole);
    let Cells { first_row, first_column, last_row, last_column } = cells;
    if first_row == 0 || first_column == 0 || last_row < first_row || last_column < first_column {
        return Err(format!("Unable to parse range: {text}"));
    }
    if last_row > sheet.row_count || last_column > sheet.column_count {
        return Err(format!(
            "Range ({text}) exceeds grid limits. Max rows: {}, max columns: {}",
            sheet.row_count, sheet.column_count
        ));
    }
    Ok((sheet, cells))
}

fn update(spreadsheet: &mut Spreadsheet, data: &[ValueRange]) -> Result<usize, String> {
    // Google checks every range before writing any.
    for entry in data {
        let (_, Cells { first_row, first_column, last_row, last_column }) = grid_range(spreadsheet, &entry.range)?;
        if entry.major_dimension.as_deref().is_some_and(|dimension| dimension != "ROWS") {
            return Err("the fake writes ROWS only".to_owned());
        }
        let widest = entry.values.iter().map(Vec::len).max().unwrap_or(0);
        if entry.values.len() > last_row - first_row + 1 || widest > last_column - first_column + 1 {
            return Err(format!(
                "Requested writing within range [{}], but tried writing {} rows of up to {widest} cells",
                entry.range,
                entry.values.len()
            ));
        }
    }
    let mut cells = 0;
    for entry in data {
        let (sheet, Cells { first_row, first_column, .. }) = grid_range(spreadsheet, &entry.range)?;
        for (offset, values) in entry.values.iter().enumerate() {
            let row_index = first_row - 1 + offset;
            if sheet.rows.len() <= row_index {
                sheet.rows.resize_with(row_index + 1, Vec::new);
            }
            let row = &mut sheet.rows[row_index];
            if row.len() < first_column - 1 + values.len() {
                row.resize(first_column - 1 + values.len(), String::new());
            }
            for (column, value) in values.iter().enumerate() {
                row[first_column - 1 + column] = shown(value);
            }
            cells += values.len();
        }
    }
    Ok(cells)
}

fn clear(spreadsheet: &mut Spreadsheet, ranges: &[String]) -> Result<(), String> {
    for text in ranges {
        grid_range(spreadsheet, text)?;
    }
    for text in ranges {
        let (sheet, Cells { first_row, first_column, last_row, last_column }) = grid_range(spreadsheet, text)?;
        let end = last_row.min(sheet.rows.len());
        for row in sheet.rows.iter_mut().take(end).skip(first_row - 1) {
            for cell in row.iter_mut().take(last_column).skip(first_column - 1) {
                cell.clear();
            }
        }
        while sheet.rows.last().is_some_and(|row| row.iter().all(String::is_empty)) {
            sheet.rows.pop();
        }
    }
    Ok(())
}

fn fake_sheets(shared: Shared) -> Router {
    Router::new()
        .route("/token", post(token))
        .route("/{target}", get(spreadsheet_get).post(spreadsheet_post))
        .route("/{id}/{call}", get(values_get).post(values_post))
        // Google takes bodies far larger than axum's 2 MB default.
        .layer(DefaultBodyLimit::max(256 * 1024 * 1024))
        .with_state(shared)
}

// ---------------------------------------------------------------------------
// One sync, in a child process.
// ---------------------------------------------------------------------------

/// What one sync measured of itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Measured {
    seconds: f64,
    /// Resident memory before the sync (the runtime and the binary).
    start_rss_kib: u64,
    peak_rss_kib: u64,
    lightspeed_requests: u64,
    products_fetched: usize,
    stock_levels_fetched: usize,
    sales_fetched: usize,
    rows_added: usize,
    rows_changed: usize,
    lines_applied: usize,
    unknown_lines: usize,
    inventory_rows: usize,
    restock_rows: usize,
    write_requests: u32,
    rows_written: u64,
    /// Local workbook: the sizes of the files the sync replaced.
    files_bytes_written: u64,
}

/// `VmHWM` or `VmRSS` from /proc/self/status, in KiB.
fn proc_status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Each worksheet file's identity (a replaced file is a new inode) and size.
fn workbook_files(dir: &Path) -> HashMap<PathBuf, (u64, u64)> {
    let Ok(entries) = std::fs::read_dir(dir) else { return HashMap::new() };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let metadata = entry.metadata().ok()?;
            Some((entry.path(), (metadata.ino(), metadata.len())))
        })
        .collect()
}

fn service_account_key(sheets_base: &str) -> ServiceAccountKey {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/google/test-service-account.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let mut json: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("fixture JSON: {e}"));
    json["token_uri"] = json!(format!("{sheets_base}/token"));
    ServiceAccountKey::from_json(&json.to_string()).unwrap_or_else(|e| panic!("fixture key: {e}"))
}

/// `--sync-child local|google LIGHTSPEED_BASE SHEETS_BASE DIR`
fn child(args: &[String]) {
    let [sink, lightspeed_base, sheets_base, dir] = args else {
        panic!("usage: {CHILD_FLAG} local|google LIGHTSPEED_BASE SHEETS_BASE DIR");
    };
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap_or_else(|e| panic!("runtime: {e}"));
    let measured = runtime.block_on(async {
        let dir = PathBuf::from(dir);
        let mut config = LightspeedConfig::with_base_url(lightspeed_base);
        config.page_size = PAGE_SIZE;
        let token = PersonalToken::new(SecretString::from("bench-token".to_owned())).unwrap_or_else(|e| panic!("{e}"));
        let till =
            LightspeedSource::new(config, Arc::new(token), Arc::new(SystemClock)).unwrap_or_else(|e| panic!("{e}"));
        let workbook_dir = dir.join("workbook");
        let sink: Box<dyn SheetSink> = match sink.as_str() {
            "local" => Box::new(LocalWorkbook::new(&workbook_dir)),
            "google" => {
                let config = GoogleSheetsConfig {
                    api_base: sheets_base.clone(),
                    backoff: Backoff { max_retries: 0, ..Backoff::default() },
                    ..GoogleSheetsConfig::new(SPREADSHEET_ID, service_account_key(sheets_base))
                };
                Box::new(GoogleSheets::new(config, Arc::new(SystemClock)).unwrap_or_else(|e| panic!("{e}")))
            }
            other => panic!("unknown sink {other:?}: local or google"),
        };
        // Cursors in the embedded store, as `inventory-sync` keeps them.
        let database = DatabaseUrl::Sqlite(format!("sqlite://{}", dir.join("frontdesk.db").display()));
        let store =
            open_backend(&database, None, Arc::new(SystemClock)).await.unwrap_or_else(|e| panic!("store: {e:#}"));
        let options =
            SyncOptions { key: SyncKey::parse("bench|workbook").unwrap_or_else(|e| panic!("{e}")), outlet: None };
        let files_before = workbook_files(&workbook_dir);
        let start_rss_kib = proc_status_kib("VmRSS");

        let started = Instant::now();
        let report = sync_once(
            &till,
            sink.as_ref(),
            &SyncStores { state: store.sync_state.clone(), levels: store.stock_levels.clone() },
            &options,
            now(),
        )
        .await
        .unwrap_or_else(|e| panic!("sync: {e}"));
        let seconds = started.elapsed().as_secs_f64();
        let peak_rss_kib = proc_status_kib("VmHWM");

        let files_bytes_written = workbook_files(&workbook_dir)
            .iter()
            .filter(|(path, (inode, _))| files_before.get(*path).is_none_or(|(before, _)| before != inode))
            .map(|(_, (_, size))| size)
            .sum();
        Measured {
            seconds,
            start_rss_kib,
            peak_rss_kib,
            lightspeed_requests: till.requests_sent(),
            products_fetched: report.products_fetched,
            stock_levels_fetched: report.stock_levels_fetched,
            sales_fetched: report.sales_fetched,
            rows_added: report.merge.added.len(),
            rows_changed: report.merge.changed.len(),
            lines_applied: report.sales.applied.len(),
            unknown_lines: report.sales.unknown.len(),
            inventory_rows: report.inventory_rows,
            restock_rows: report.restock_rows,
            write_requests: report.write.write_requests,
            rows_written: report.write.rows_written,
            files_bytes_written,
        }
    });
    println!("{}", serde_json::to_string(&measured).unwrap_or_default());
}

// ---------------------------------------------------------------------------
// The benchmark: fakes here, syncs in children, figures into the docs.
// ---------------------------------------------------------------------------

/// One sink and sync, measured `RUNS` times.
struct Row {
    sink: &'static str,
    sync: &'static str,
    runs: Vec<Measured>,
    /// Google only: what the fake saw (the same in every run).
    sheets: Option<SheetsCounts>,
}

impl Row {
    /// Median, fastest and slowest wall time.
    fn seconds(&self) -> (f64, f64, f64) {
        let mut seconds: Vec<f64> = self.runs.iter().map(|run| run.seconds).collect();
        seconds.sort_by(f64::total_cmp);
        (seconds[seconds.len() / 2], seconds[0], seconds[seconds.len() - 1])
    }
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}")
}

async fn run_child(sink: &str, lightspeed_base: &str, sheets_base: &str, dir: &Path) -> Measured {
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("{e}"));
    let output = tokio::process::Command::new(exe)
        .arg(CHILD_FLAG)
        .args([sink, lightspeed_base, sheets_base])
        .arg(dir)
        .output()
        .await
        .unwrap_or_else(|e| panic!("spawning the sync: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        panic!("the {sink} sync failed ({}):\n{}\n{stdout}", output.status, String::from_utf8_lossy(&output.stderr));
    }
    serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("the {sink} sync printed {stdout:?}: {e}"))
}

fn mib(kib: u64) -> String {
    format!("{:.0} MiB", kib as f64 / 1024.0)
}

/// `100000` → `100,000`.
fn thousands(number: impl Into<u64>) -> String {
    let digits = number.into().to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn render(rows: &[Row], catalog_note: &str, spreadsheet_note: &str) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "Measured {} on this machine ({} cores), release build, `cargo bench -p inventory-sync --bench sync`.\n\
         {catalog_note} Lightspeed page size {PAGE_SIZE}, no outlet filter. Each sync is one `sync_once` in its own \
         process, and each scenario (an empty workbook, then both syncs) runs {RUNS} times. Wall time is the sync \
         alone, median (fastest-slowest), fakes included: they run in the parent process on the same cores. Peak RSS \
         is the sync process's `VmHWM`, the highest of the runs; the process starts at about {} before the sync. \
         Sheets writes are the files replaced (local workbook) or the HTTP write requests \
         (`spreadsheets:batchUpdate`, `values:batchUpdate`, `values:batchClear`); bytes written are those files' \
         sizes or the request bodies.\n\n",
        chrono::Utc::now().format("%Y-%m-%d"),
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        mib(rows.iter().flat_map(|row| &row.runs).map(|run| run.start_rss_kib).max().unwrap_or(0)),
    ));
    out.push_str(
        "| sink | sync | wall time | peak RSS | Lightspeed requests | fetched: products / stock / sales | \
         Sheets reads | Sheets writes | bytes written | rows written |\n",
    );
    out.push_str("|---|---|---:|---:|---:|---:|---|---|---:|---:|\n");
    for row in rows {
        let m = &row.runs[0];
        let (median, fastest, slowest) = row.seconds();
        let peak = row.runs.iter().map(|run| run.peak_rss_kib).max().unwrap_or(0);
        let (reads, writes, bytes) = match &row.sheets {
            Some(counts) => (
                format!("{}: {} listing, {} `batchGet`", counts.reads(), counts.list, counts.batch_get),
                format!(
                    "{}: {} structural, {} `values:batchUpdate`, {} `values:batchClear`",
                    counts.writes(),
                    counts.structural,
                    counts.values_update,
                    counts.values_clear
                ),
                counts.bytes_written,
            ),
            None => ("3 files".to_owned(), format!("{} files", m.write_requests), m.files_bytes_written),
        };
        out.push_str(&format!(
            "| {} | {} | {median:.2} s ({fastest:.2}-{slowest:.2}) | {} | {} | {} / {} / {} | {reads} | {writes} | {} | {} |\n",
            row.sink,
            row.sync,
            mib(peak),
            m.lightspeed_requests,
            thousands(m.products_fetched as u64),
            thousands(m.stock_levels_fetched as u64),
            thousands(m.sales_fetched as u64),
            megabytes(bytes),
            thousands(m.rows_written),
        ));
    }
    out.push_str(&format!("\n{spreadsheet_note}\n"));
    out
}

/// Replaces the text between the inventory-sync markers in docs/benchmarks.md.
fn write_report(section: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/benchmarks.md");
    let begin = "<!-- bench:inventory-sync:begin -->";
    let end = "<!-- bench:inventory-sync:end -->";
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    let replacement = format!("{begin}\n{section}{end}");
    let updated = match (current.find(begin), current.find(end)) {
        (Some(start), Some(stop)) if stop > start => {
            format!("{}{replacement}{}", &current[..start], &current[stop + end.len()..])
        }
        _ => format!("{current}\n## Inventory sync\n\n{replacement}\n"),
    };
    if let Err(error) = std::fs::write(&path, updated) {
        eprintln!("could not write {}: {error}", path.display());
    } else {
        println!("wrote {}", path.display());
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list" || a == "--test") {
        return; // `cargo test --benches` probes; nothing to do
    }
    if let Some(position) = args.iter().position(|a| a == CHILD_FLAG) {
        child(&args[position + 1..]);
        return;
    }
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap_or_else(|e| panic!("runtime: {e}"));
    runtime.block_on(benchmark());
}

async fn benchmark() {
    let started = Instant::now();
    let catalog = DemoCatalog::generate_sized(SEED, now(), VARIANTS, SALE_LINES);
    let sales = catalog.sales.len();
    let models: std::collections::HashSet<&str> =
        catalog.products.iter().filter_map(|product| product["variant_parent_id"].as_str()).collect();
    let brands: std::collections::HashSet<&str> =
        catalog.products.iter().filter_map(|product| product["brand"]["name"].as_str()).collect();
    let catalog_note = format!(
        "A generated catalog of {} variants ({} models of up to 8 sizes, {} brands) with stock at one outlet, and {} \
         sales with {} lines over 30 days (about one line in forty a return, one sale in a hundred voided), served by \
         the demo's fake Lightspeed API (`DemoCatalog::generate_sized`, `fake_lightspeed`) and read by the real \
         `LightspeedSource`.",
        thousands(VARIANTS as u64),
        thousands(models.len() as u64),
        brands.len(),
        thousands(sales as u64),
        thousands(SALE_LINES as u64),
    );
    println!(
        "inventory-sync benchmark: generated {VARIANTS} variants and {sales} sales in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let lightspeed_base = format!("{}/api/2.0", serve(fake_lightspeed(catalog)).await);
    let spreadsheet: Shared = Arc::new(Mutex::new(Spreadsheet::new()));
    let sheets_base = serve(fake_sheets(spreadsheet.clone())).await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));

    let mut rows: Vec<Row> = Vec::new();
    for sink in ["local", "google"] {
        let label = if sink == "local" { "local workbook" } else { "Google Sheets (fake)" };
        for run in 0..RUNS {
            let sink_dir = dir.path().join(format!("{sink}-{run}"));
            // A new, empty spreadsheet for each run.
            *lock(&spreadsheet) = Spreadsheet::new();
            for sync in ["first (full)", "second (nothing new)"] {
                println!("inventory-sync benchmark: {sink}, {sync}, run {}", run + 1);
                let before = lock(&spreadsheet).counts;
                let measured = run_child(sink, &lightspeed_base, &sheets_base, &sink_dir).await;
                let seen = lock(&spreadsheet).counts.since(&before);
                let sheets = (sink == "google").then_some(seen);
                if let Some(counts) = &sheets {
                    assert_eq!(
                        counts.writes(),
                        u64::from(measured.write_requests),
                        "the adapter's count of write requests is what the fake saw"
                    );
                }
                println!("{measured:?}");
                match rows.iter_mut().find(|row| row.sink == label && row.sync == sync) {
                    Some(row) => {
                        let first = &row.runs[0];
                        assert_eq!(
                            (first.lightspeed_requests, first.write_requests, first.rows_written),
                            (measured.lightspeed_requests, measured.write_requests, measured.rows_written),
                            "every run does the same work"
                        );
                        assert_eq!(row.sheets, sheets, "every run sends Sheets the same requests");
                        row.runs.push(measured);
                    }
                    None => rows.push(Row { sink: label, sync, runs: vec![measured], sheets }),
                }
            }
        }
    }
    let spreadsheet = lock(&spreadsheet);
    let grid_cells = spreadsheet.cells();
    let grids: Vec<String> = spreadsheet
        .worksheets
        .iter()
        .map(|sheet| format!("{} {} × {}", sheet.title, thousands(sheet.row_count as u64), sheet.column_count))
        .collect();
    drop(spreadsheet);
    let spreadsheet_note = format!(
        "After both syncs the fake spreadsheet's grids (rows × columns) are {}: {} cells, of Google's limit of {} per \
         spreadsheet (every grid cell counts, empty or not).",
        grids.join(", "),
        thousands(grid_cells as u64),
        thousands(MAX_CELLS as u64),
    );
    let section = render(&rows, &catalog_note, &spreadsheet_note);
    println!("\n{section}");
    write_report(&section);
}
