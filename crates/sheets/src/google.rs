//! `GoogleSheets`: the workbook as a Google spreadsheet, through Sheets v4.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use frontdesk_core::Clock;
use frontdesk_google_auth::{ServiceAccountKey, TokenError, TokenSource};
use frontdesk_inventory::{Sheet, SheetSink, SinkError, WriteReport, same_rows};
use reqwest::header::{CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};
use serde::Serialize;

use frontdesk_google_auth::percent_encode;

use crate::a1::{cell_range, quoted_sheet};
use crate::retry::Backoff;
use crate::wire::{
    AppendDimension, BatchGetReply, Cell, GridProperties, GridSize, NewSheetProperties, SpreadsheetBatchUpdate,
    SpreadsheetReply, StructuralRequest, ValueRangeBody, ValuesBatchClear, ValuesBatchUpdate, cell_text, complaint,
    reads_back_as,
};

/// Sheets v4's production endpoint.
pub const DEFAULT_API_BASE: &str = "https://sheets.googleapis.com/v4/spreadsheets";
/// Read and write access to spreadsheets shared with the service account.
pub const SPREADSHEETS_SCOPE: &str = "https://www.googleapis.com/auth/spreadsheets";
/// Google's advice for request bodies.
pub const DEFAULT_MAX_PAYLOAD_BYTES: usize = 2_000_000;
/// Sync runs in the background, and a 2 MB write takes a while.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// A new worksheet's rows, unless it needs more: Google's own default. Its
/// columns are exactly as many as its rows are wide: every cell of every
/// grid counts against Google's 10 million per spreadsheet, empty or not,
/// and the SalesLog grows by a row per sale line (Google's default 26
/// columns would waste three cells in four of it).
const NEW_SHEET_ROWS: usize = 1000;
/// What Google says in a 400 when a range names a worksheet that does not exist.
const UNKNOWN_SHEET: &str = "Unable to parse range";
/// The properties the writer needs: ids for growing grids, sizes for the clear.
const SHEET_PROPERTIES_FIELDS: &str = "sheets.properties(sheetId,title,gridProperties(rowCount,columnCount))";
/// `{"valueInputOption":"RAW","data":[],"includeValuesInResponse":false}`, rounded up.
const BATCH_UPDATE_ENVELOPE_BYTES: usize = 96;
/// `{"range":"","majorDimension":"ROWS","values":[]},` without the range, rounded up.
const DATA_ENTRY_OVERHEAD_BYTES: usize = 64;

/// How to reach one spreadsheet and as whom.
#[derive(Debug, Clone)]
pub struct GoogleSheetsConfig {
    /// The id in the spreadsheet's URL: `…/spreadsheets/d/{id}/edit`.
    pub spreadsheet_id: String,
    /// Base URL of the Sheets API, without a trailing slash
    /// (`FRONTDESK_SHEETS_BASE_URL`); tests point it at a local fake.
    pub api_base: String,
    /// The service account the spreadsheet is shared with (as an editor).
    /// Its `token_uri` is where tokens come from.
    pub key: ServiceAccountKey,
    /// Limit for each HTTP request (token or API), connecting included.
    pub timeout: Duration,
    /// Retries of 429, 5xx and network errors.
    pub backoff: Backoff,
    /// Largest `values:batchUpdate` body; larger writes are split by rows.
    pub max_payload_bytes: usize,
}

impl GoogleSheetsConfig {
    /// Google's endpoint and the defaults for everything else.
    pub fn new(spreadsheet_id: impl Into<String>, key: ServiceAccountKey) -> GoogleSheetsConfig {
        GoogleSheetsConfig {
            spreadsheet_id: spreadsheet_id.into(),
            api_base: DEFAULT_API_BASE.to_owned(),
            key,
            timeout: DEFAULT_TIMEOUT,
            backoff: Backoff::default(),
            max_payload_bytes: DEFAULT_MAX_PAYLOAD_BYTES,
        }
    }
}

/// Why the adapter could not be built (a startup error).
#[derive(Debug, thiserror::Error)]
pub enum GoogleSheetsSetupError {
    #[error("the Google Sheets api_base {0:?} is not an http(s) URL")]
    ApiBase(String),
    #[error(
        "the spreadsheet id {0:?} is not one: use the part of the spreadsheet's URL between /d/ and /edit (letters, digits, - and _)"
    )]
    SpreadsheetId(String),
    #[error("could not build the HTTP client for Google Sheets: {0}")]
    HttpClient(#[source] reqwest::Error),
}

/// The Google Sheets adapter for one spreadsheet.
///
/// `read` is one `values:batchGet` for all the names. A worksheet that does
/// not exist reads as empty (then one more read lists the worksheets and
/// fetches the ones that exist); reading never creates one.
///
/// `write` lists the worksheets (one read), then:
/// 1. if a worksheet is missing or its grid is too small for the new rows,
///    one `spreadsheets:batchUpdate` adds the missing worksheets and grows the
///    small grids (Google refuses values outside the grid), so the first sync
///    works on an empty spreadsheet. Adding is not idempotent: if its reply
///    is lost and the retry finds the worksheet already there, this write
///    fails and the next one, which sees the worksheet, goes through;
/// 2. one `values:batchUpdate` with a data entry per worksheet from `A1`,
///    each row padded with `""` to the worksheet's widest row so that no old
///    cell survives inside the written block. Bodies are kept under
///    `max_payload_bytes` (Google's 2 MB): a larger write is split by rows
///    into several `values:batchUpdate` calls, still batched, never a request
///    per row; each is atomic but the set is not, so a failure part-way
///    leaves the top rows new and the rest old, with nothing cleared;
/// 3. only after every update succeeded, one `values:batchClear` of the rows
///    below each worksheet's new last row (`'Inventory'!A142:Z1000`, bounded
///    by the grid, since Google refuses ranges outside it). Nothing is
///    cleared before the new rows are written, and columns to the right of
///    the written block are left alone.
///
/// Values are sent with `valueInputOption=RAW`: text is stored exactly (a
/// barcode `0012345678905` keeps its zeros, `=…` is never a formula, dates
/// stay the text we wrote), and plain decimals (`12`, `-3`, `129.99`, at most
/// 9 digits before the point) are sent as JSON numbers so they are numbers
/// in the sheet. Values are read as `FORMATTED_VALUE`, as the owner sees them.
///
/// 429 `RESOURCE_EXHAUSTED`, 5xx and network errors are retried with
/// [`Backoff`]; a 401 drops the token and retries once with a fresh one;
/// 403 is `SinkError::Credentials` (the spreadsheet is not shared with the
/// service account). `WriteReport::write_requests` counts every write
/// request sent, retries included (they count against the same quota).
pub struct GoogleSheets {
    http: reqwest::Client,
    api_base: String,
    spreadsheet_id: String,
    tokens: TokenSource,
    backoff: Backoff,
    max_payload_bytes: usize,
    clock: Arc<dyn Clock>,
}

impl GoogleSheets {
    pub fn new(config: GoogleSheetsConfig, clock: Arc<dyn Clock>) -> Result<GoogleSheets, GoogleSheetsSetupError> {
        let api_base = config.api_base.trim_end_matches('/').to_owned();
        let api_base_is_http = Url::parse(&api_base).is_ok_and(|url| matches!(url.scheme(), "http" | "https"));
        if !api_base_is_http {
            return Err(GoogleSheetsSetupError::ApiBase(config.api_base));
        }
        let id = &config.spreadsheet_id;
        if id.is_empty() || !id.bytes().all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_')) {
            return Err(GoogleSheetsSetupError::SpreadsheetId(config.spreadsheet_id));
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .build()
            .map_err(GoogleSheetsSetupError::HttpClient)?;
        Ok(GoogleSheets {
            http,
            api_base,
            spreadsheet_id: config.spreadsheet_id,
            tokens: TokenSource::new(config.key, SPREADSHEETS_SCOPE),
            backoff: config.backoff,
            max_payload_bytes: config.max_payload_bytes,
            clock,
        })
    }

    /// `{api_base}/{spreadsheetId}{suffix}`; `suffix` is already encoded.
    fn url(&self, suffix: &str) -> Result<Url, SinkError> {
        let url = format!("{}/{}{suffix}", self.api_base, percent_encode(&self.spreadsheet_id));
        Url::parse(&url).map_err(|error| SinkError::Io(format!("could not build the URL {url:?}: {error}")))
    }

    /// Sends one request, retrying what Google asks us to retry. Returns the
    /// reply when it is a success or an error that retrying will not change
    /// (the caller classifies it with [`GoogleSheets::failure`]).
    /// `sent` counts every attempt that reached the network.
    async fn call(
        &self,
        what: &str,
        method: Method,
        url: Url,
        body: Option<&[u8]>,
        sent: &mut u32,
    ) -> Result<Reply, SinkError> {
        let mut retries = 0;
        let mut refreshed = false;
        loop {
            let (error, retry_after) = match self.tokens.access_token(&self.http, self.clock.as_ref()).await {
                Err(error) => self.token_failure(error),
                Ok(access_token) => {
                    let mut request = self.http.request(method.clone(), url.clone()).bearer_auth(&access_token);
                    if let Some(body) = body {
                        request = request.header(CONTENT_TYPE, "application/json").body(body.to_vec());
                    }
                    *sent += 1;
                    match self.answer(request).await {
                        Err(error) => (error, None),
                        Ok(reply) if reply.status == StatusCode::UNAUTHORIZED => {
                            self.tokens.forget(&access_token).await;
                            if refreshed {
                                return Err(SinkError::Credentials(format!(
                                    "{what}: Google Sheets refused a fresh token for {}: {}",
                                    self.tokens.key().client_email(),
                                    complaint(&reply.body)
                                )));
                            }
                            tracing::debug!("Google Sheets answered 401; retrying once with a fresh token");
                            refreshed = true;
                            continue;
                        }
                        Ok(reply) if reply.status == StatusCode::TOO_MANY_REQUESTS => {
                            (SinkError::RateLimited { retry_after: reply.retry_after }, reply.retry_after)
                        }
                        Ok(reply) if reply.status.is_server_error() => {
                            let text =
                                format!("{what}: Google Sheets answered {}: {}", reply.status, complaint(&reply.body));
                            (SinkError::Unavailable(text), None)
                        }
                        Ok(reply) => return Ok(reply),
                    }
                }
            };
            let retryable = matches!(error, SinkError::RateLimited { .. } | SinkError::Unavailable(_));
            if !retryable || retries >= self.backoff.max_retries {
                return Err(error);
            }
            let delay =
                retry_after.map_or_else(|| self.backoff.delay(retries), |wait| wait.min(self.backoff.max_delay));
            tracing::debug!(retry = retries + 1, delay_ms = delay.as_millis(), %error, "retrying a Google Sheets request");
            tokio::time::sleep(delay).await;
            retries += 1;
        }
    }

    async fn answer(&self, request: reqwest::RequestBuilder) -> Result<Reply, SinkError> {
        let response = request.send().await.map_err(|error| unavailable(&error))?;
        let status = response.status();
        let retry_after = retry_after_seconds(response.headers());
        let body = response.text().await.map_err(|error| unavailable(&error))?;
        Ok(Reply { status, retry_after, body })
    }

    /// A token that could not be had, and whether to wait before retrying.
    fn token_failure(&self, error: TokenError) -> (SinkError, Option<Duration>) {
        match error {
            TokenError::Refused(text) => (SinkError::Credentials(text), None),
            TokenError::RateLimited { retry_after } => (SinkError::RateLimited { retry_after }, retry_after),
            TokenError::Unavailable(text) | TokenError::Invalid(text) => (SinkError::Unavailable(text), None),
        }
    }

    /// A reply that is not a success and will not become one by retrying.
    fn failure(&self, what: &str, reply: &Reply) -> SinkError {
        let said = complaint(&reply.body);
        match reply.status {
            StatusCode::FORBIDDEN => SinkError::Credentials(format!(
                "{what}: Google Sheets answered 403 ({said}); share spreadsheet {} with {} as an editor",
                self.spreadsheet_id,
                self.tokens.key().client_email()
            )),
            StatusCode::NOT_FOUND => SinkError::Io(format!(
                "{what}: there is no spreadsheet {} (check the spreadsheet id): {said}",
                self.spreadsheet_id
            )),
            status => SinkError::Io(format!("{what}: Google Sheets answered {status}: {said}")),
        }
    }

    fn parse<T: serde::de::DeserializeOwned>(&self, what: &str, reply: &Reply) -> Result<T, SinkError> {
        serde_json::from_str(&reply.body).map_err(|error| {
            SinkError::Unavailable(format!("{what}: Google Sheets' reply is not what we expected: {error}"))
        })
    }

    /// One `values:batchGet` for `names`, whole worksheets, as the owner sees
    /// them. `Ok(None)` when Google cannot parse a range: a worksheet is missing.
    async fn batch_get(&self, names: &[&str]) -> Result<Option<Vec<Vec<Vec<String>>>>, SinkError> {
        let mut query: String =
            names.iter().map(|name| format!("ranges={}&", percent_encode(&quoted_sheet(name)))).collect();
        query.push_str("majorDimension=ROWS&valueRenderOption=FORMATTED_VALUE");
        let url = self.url(&format!("/values:batchGet?{query}"))?;
        let what = "values:batchGet";
        let reply = self.call(what, Method::GET, url, None, &mut 0).await?;
        if reply.status == StatusCode::BAD_REQUEST && reply.body.contains(UNKNOWN_SHEET) {
            return Ok(None);
        }
        if !reply.status.is_success() {
            return Err(self.failure(what, &reply));
        }
        let parsed: BatchGetReply = self.parse(what, &reply)?;
        if parsed.value_ranges.len() != names.len() {
            return Err(SinkError::Unavailable(format!(
                "{what}: asked for {} ranges, Google Sheets answered {}",
                names.len(),
                parsed.value_ranges.len()
            )));
        }
        let sheets = parsed
            .value_ranges
            .into_iter()
            .map(|range| range.values.into_iter().map(|row| row.into_iter().map(cell_text).collect()).collect())
            .collect();
        Ok(Some(sheets))
    }

    /// The spreadsheet's worksheets by lower-cased title (Google refuses two
    /// titles that differ only in case).
    async fn worksheets(&self) -> Result<HashMap<String, Worksheet>, SinkError> {
        let url = self.url(&format!("?fields={}", percent_encode(SHEET_PROPERTIES_FIELDS)))?;
        let what = "listing the worksheets";
        let reply = self.call(what, Method::GET, url, None, &mut 0).await?;
        if !reply.status.is_success() {
            return Err(self.failure(what, &reply));
        }
        let parsed: SpreadsheetReply = self.parse(what, &reply)?;
        Ok(parsed
            .sheets
            .into_iter()
            .map(|sheet| {
                let properties = sheet.properties;
                let worksheet = Worksheet { sheet_id: properties.sheet_id, grid: properties.grid_properties };
                (properties.title.to_lowercase(), worksheet)
            })
            .collect())
    }

    /// Sends a JSON body to `suffix` and fails unless Google accepts it.
    async fn post(&self, what: &str, suffix: &str, body: &impl Serialize, sent: &mut u32) -> Result<(), SinkError> {
        let body = serde_json::to_vec(body).map_err(|error| SinkError::Io(format!("{what}: {error}")))?;
        let reply = self.call(what, Method::POST, self.url(suffix)?, Some(&body), sent).await?;
        if reply.status.is_success() { Ok(()) } else { Err(self.failure(what, &reply)) }
    }
}

impl fmt::Debug for GoogleSheets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GoogleSheets")
            .field("api_base", &self.api_base)
            .field("spreadsheet_id", &self.spreadsheet_id)
            .field("client_email", &self.tokens.key().client_email())
            .finish_non_exhaustive()
    }
}

/// An HTTP answer, read whole.
struct Reply {
    status: StatusCode,
    retry_after: Option<Duration>,
    body: String,
}

#[derive(Clone, Copy)]
struct Worksheet {
    sheet_id: i64,
    grid: GridProperties,
}

/// One worksheet's part of a write: its cells as sent, and where it stands.
struct Plan<'a> {
    name: &'a str,
    rows: Vec<Vec<Cell<'a>>>,
    width: usize,
    /// `None` when the write creates it.
    existing: Option<Worksheet>,
}

/// A `values:batchUpdate` data entry: rows `first..end` (0-based) of a plan.
struct Entry {
    plan: usize,
    first: usize,
    end: usize,
}

#[async_trait]
impl SheetSink for GoogleSheets {
    #[tracing::instrument(skip(self), fields(spreadsheet_id = %self.spreadsheet_id))]
    /// Numbers are sent as numbers, so they read back as Sheets shows them.
    fn already_holds(&self, read: &[Vec<String>], rows: &[Vec<String>]) -> bool {
        same_rows(read, rows, |read, written| reads_back_as(written, read))
    }

    async fn read(&self, names: &[&str]) -> Result<Vec<Sheet>, SinkError> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        if let Some(all) = self.batch_get(names).await? {
            return Ok(names.iter().zip(all).map(|(name, rows)| Sheet { name: (*name).to_owned(), rows }).collect());
        }
        let worksheets = self.worksheets().await?;
        let present: Vec<&str> =
            names.iter().copied().filter(|name| worksheets.contains_key(&name.to_lowercase())).collect();
        if present.len() == names.len() {
            return Err(SinkError::Io(format!(
                "values:batchGet: Google Sheets could not parse the ranges {names:?}, though every worksheet exists"
            )));
        }
        tracing::debug!(missing = names.len() - present.len(), "some worksheets do not exist yet; they read as empty");
        let mut found: HashMap<&str, Vec<Vec<String>>> = HashMap::new();
        if !present.is_empty() {
            let rows = self.batch_get(&present).await?.ok_or_else(|| {
                SinkError::Io(format!("values:batchGet: Google Sheets could not parse the ranges {present:?}"))
            })?;
            found.extend(present.iter().copied().zip(rows));
        }
        Ok(names
            .iter()
            .map(|name| Sheet { name: (*name).to_owned(), rows: found.remove(name).unwrap_or_default() })
            .collect())
    }

    #[tracing::instrument(skip(self, sheets), fields(spreadsheet_id = %self.spreadsheet_id, sheets = sheets.len()))]
    async fn write(&self, sheets: &[Sheet]) -> Result<WriteReport, SinkError> {
        if sheets.is_empty() {
            return Ok(WriteReport::default());
        }
        for (index, sheet) in sheets.iter().enumerate() {
            if sheet.name.is_empty() {
                return Err(SinkError::Io("a worksheet without a name cannot be written".to_owned()));
            }
            if sheets[..index].iter().any(|earlier| earlier.name.to_lowercase() == sheet.name.to_lowercase()) {
                return Err(SinkError::Io(format!("the worksheet {:?} is written twice in one write", sheet.name)));
            }
        }
        let worksheets = self.worksheets().await?;
        let plans: Vec<Plan<'_>> = sheets
            .iter()
            .map(|sheet| {
                let width = sheet.rows.iter().map(Vec::len).max().unwrap_or(0);
                let rows = sheet
                    .rows
                    .iter()
                    .map(|row| {
                        let mut cells: Vec<Cell<'_>> = row.iter().map(|text| Cell::from_text(text)).collect();
                        cells.resize(width, Cell::Text(""));
                        cells
                    })
                    .collect();
                let existing = worksheets.get(&sheet.name.to_lowercase()).copied();
                Plan { name: &sheet.name, rows, width, existing }
            })
            .collect();
        let mut sent = 0;

        let structural = structural_requests(&plans);
        if !structural.is_empty() {
            let body = SpreadsheetBatchUpdate { requests: structural };
            self.post("adding worksheets and growing grids", ":batchUpdate", &body, &mut sent).await?;
        }

        for chunk in split_into_chunks(&plans, self.max_payload_bytes) {
            let data = chunk
                .iter()
                .map(|entry| {
                    let plan = &plans[entry.plan];
                    ValueRangeBody {
                        range: cell_range(plan.name, entry.first + 1, plan.width, entry.end),
                        major_dimension: "ROWS",
                        values: &plan.rows[entry.first..entry.end],
                    }
                })
                .collect();
            let body = ValuesBatchUpdate { value_input_option: "RAW", data, include_values_in_response: false };
            self.post("values:batchUpdate", "/values:batchUpdate", &body, &mut sent).await?;
        }

        // Only now that every row is written: what is left below them.
        let ranges: Vec<String> = plans
            .iter()
            .filter_map(|plan| {
                let grid = plan.existing?.grid;
                let rows = grid.row_count.max(plan.rows.len());
                let columns = grid.column_count.max(plan.width).max(1);
                (rows > plan.rows.len()).then(|| cell_range(plan.name, plan.rows.len() + 1, columns, rows))
            })
            .collect();
        if !ranges.is_empty() {
            self.post("values:batchClear", "/values:batchClear", &ValuesBatchClear { ranges }, &mut sent).await?;
        }

        let rows_written = sheets.iter().map(|sheet| sheet.rows.len() as u64).sum();
        tracing::info!(write_requests = sent, rows = rows_written, "wrote the spreadsheet");
        Ok(WriteReport { write_requests: sent, rows_written })
    }
}

/// `addSheet` for each missing worksheet, `appendDimension` for each grid too
/// small for its new rows, in the order of the sheets.
fn structural_requests(plans: &[Plan<'_>]) -> Vec<StructuralRequest> {
    let mut requests = Vec::new();
    for plan in plans {
        match plan.existing {
            None => requests.push(StructuralRequest::AddSheet {
                properties: NewSheetProperties {
                    title: plan.name.to_owned(),
                    grid_properties: GridSize {
                        row_count: plan.rows.len().max(NEW_SHEET_ROWS),
                        column_count: plan.width.max(1),
                    },
                },
            }),
            Some(Worksheet { sheet_id, grid }) => {
                for (dimension, have, need) in
                    [("ROWS", grid.row_count, plan.rows.len()), ("COLUMNS", grid.column_count, plan.width)]
                {
                    if need > have {
                        requests.push(StructuralRequest::AppendDimension(AppendDimension {
                            sheet_id,
                            dimension,
                            length: need - have,
                        }));
                    }
                }
            }
        }
    }
    requests
}

/// Groups the rows of every plan into `values:batchUpdate` bodies of at most
/// `max_bytes` (estimated from each row's JSON). A single row larger than
/// that still goes alone; Google will judge it.
fn split_into_chunks(plans: &[Plan<'_>], max_bytes: usize) -> Vec<Vec<Entry>> {
    let mut chunks = Vec::new();
    let mut chunk: Vec<Entry> = Vec::new();
    let mut size = BATCH_UPDATE_ENVELOPE_BYTES;
    for (index, plan) in plans.iter().enumerate() {
        let entry_overhead = DATA_ENTRY_OVERHEAD_BYTES + quoted_sheet(plan.name).len() * 2 + 24;
        let mut first = 0;
        for (row_index, row) in plan.rows.iter().enumerate() {
            let row_bytes = serde_json::to_vec(row).map_or(0, |json| json.len()) + 1;
            let open = row_index > first;
            let needed = if open { row_bytes } else { entry_overhead + row_bytes };
            if size + needed > max_bytes && (open || !chunk.is_empty()) {
                if open {
                    chunk.push(Entry { plan: index, first, end: row_index });
                }
                chunks.push(std::mem::take(&mut chunk));
                size = BATCH_UPDATE_ENVELOPE_BYTES + entry_overhead + row_bytes;
                first = row_index;
            } else {
                size += needed;
            }
        }
        if plan.rows.len() > first {
            chunk.push(Entry { plan: index, first, end: plan.rows.len() });
        }
    }
    if !chunk.is_empty() {
        chunks.push(chunk);
    }
    chunks
}

/// A request that never got an HTTP answer: timeouts, refused connections,
/// TLS and DNS failures. The whole source chain is kept, because reqwest's
/// own message ("error sending request") hides the cause.
fn unavailable(error: &reqwest::Error) -> SinkError {
    let mut text = format!("Google Sheets did not answer: {error}");
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    SinkError::Unavailable(text)
}

/// `Retry-After` in seconds (what Google sends, when it sends one).
fn retry_after_seconds(headers: &HeaderMap) -> Option<Duration> {
    let seconds = headers.get(RETRY_AFTER)?.to_str().ok()?.trim().parse::<u64>().ok()?;
    Some(Duration::from_secs(seconds))
}
