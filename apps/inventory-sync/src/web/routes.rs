//! The router and its handlers (the inventory page's own is in `page`),
//! the sync token check, and `WebError`: every handler's failure turned
//! into a response, and logged, in one place.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use frontdesk_inventory::{ImportErrors, InventoryRow, SheetSink, SinkError, export_csv, export_sheet_csv};
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

use super::connect::{self, LightspeedConnect};
use super::page::{inventory_page, message_page};
use super::syncer::{SyncOutcome, Syncer, Trigger};
use super::view::{View, ViewParams, Workbook, read_workbook, shown};

/// How the page is served.
pub struct WebConfig {
    /// `FRONTDESK_SYNC_TOKEN`: without it, `POST /sync` is refused and the
    /// page has no "Sync now" button.
    pub sync_token: Option<SecretString>,
    /// Demo mode: the token is a published dev-only value, so the form
    /// comes with it filled in.
    pub prefill_token: bool,
    /// How long one read of the workbook serves page views (a sync always
    /// ends it); zero reads on every view.
    pub page_refresh: Duration,
    /// Who may see the page and its export. `None`: anyone who can reach it
    /// (demo mode on this machine only).
    pub access_token: Option<SecretString>,
    /// `FRONTDESK_SHOP_NAME`: the page's heading and title.
    pub shop_name: Option<String>,
    /// `FRONTDESK_SHOP_TIMEZONE`: the zone the page's times are shown in.
    pub zone: chrono_tz::Tz,
    /// OAuth is configured: the page can connect the till
    /// (`/lightspeed/connect`). `None`: those routes say how to turn it on.
    pub lightspeed: Option<LightspeedConnect>,
}

/// The cookie that carries the page's access token once its link was opened.
const ACCESS_COOKIE: &str = "inventory_access";

pub(super) struct App {
    pub(super) syncer: Arc<Syncer>,
    sink: Arc<dyn SheetSink>,
    pub(super) sync_token: Option<SecretString>,
    pub(super) prefill_token: bool,
    pub(super) shop_name: Option<String>,
    pub(super) zone: chrono_tz::Tz,
    pub(super) lightspeed: Option<LightspeedConnect>,
    page_refresh: Duration,
    last_read: tokio::sync::Mutex<Option<LastRead>>,
}

/// The workbook as last read for the page.
struct LastRead {
    at: tokio::time::Instant,
    /// `Syncer::finished_syncs` when it was read.
    syncs: u64,
    workbook: Arc<Workbook>,
}

impl App {
    /// The workbook for a page view: the last read while it is fresh,
    /// else a new one (which concurrent views then share).
    pub(super) async fn workbook(&self) -> Result<Arc<Workbook>, WebError> {
        let mut last_read = self.last_read.lock().await;
        let syncs = self.syncer.finished_syncs();
        if let Some(read) = last_read.as_ref()
            && read.syncs == syncs
            && read.at.elapsed() < self.page_refresh
        {
            return Ok(Arc::clone(&read.workbook));
        }
        let workbook = Arc::new(read_workbook(self.sink.as_ref()).await?);
        *last_read = Some(LastRead { at: tokio::time::Instant::now(), syncs, workbook: Arc::clone(&workbook) });
        Ok(workbook)
    }
}

const STYLESHEET: &str = include_str!("../../assets/app.css");

const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The page's routes (see the module documentation).
pub fn router(syncer: Arc<Syncer>, sink: Arc<dyn SheetSink>, config: WebConfig) -> Router {
    let app = Arc::new(App {
        syncer,
        sink,
        sync_token: config.sync_token,
        prefill_token: config.prefill_token,
        shop_name: config.shop_name,
        zone: config.zone,
        lightspeed: config.lightspeed,
        page_refresh: config.page_refresh,
        last_read: tokio::sync::Mutex::new(None),
    });
    let access = Arc::new(config.access_token);
    let guarded = Router::new()
        .route("/", get(inventory_page))
        .route("/export.csv", get(export))
        .route("/restock.csv", get(restock_export))
        .route("/sync", post(sync_now))
        .route("/lightspeed/connect", get(connect::start))
        .route("/lightspeed/callback", get(connect::callback))
        .route_layer(axum::middleware::from_fn_with_state(access, require_access));
    Router::new()
        .merge(guarded)
        .route("/health", get(health))
        .route("/assets/app.css", get(stylesheet))
        .fallback(not_found)
        .layer(axum::middleware::map_response(security_headers))
        .with_state(app)
}

/// The page and its export need the access token: from the `access=` query
/// of the link the shop was given (then kept in an HttpOnly cookie, and the
/// link's token dropped from the address bar), or from that cookie.
async fn require_access(
    State(access): State<Arc<Option<SecretString>>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let Some(expected) = access.as_ref() else { return next.run(request).await };
    let from_cookie = request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .any(|(name, value)| name == ACCESS_COOKIE && token_matches(expected, value));
    if from_cookie {
        return next.run(request).await;
    }
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(request.uri().query().unwrap_or("").as_bytes()).into_owned().collect();
    let from_link = query.iter().any(|(name, value)| name == "access" && token_matches(expected, value));
    if from_link && request.method() == axum::http::Method::GET {
        let rest: Vec<(String, String)> = query.into_iter().filter(|(name, _)| name != "access").collect();
        let mut location = request.uri().path().to_owned();
        if !rest.is_empty() {
            location.push('?');
            location.push_str(&url::form_urlencoded::Serializer::new(String::new()).extend_pairs(rest).finish());
        }
        let cookie = format!("{ACCESS_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax", expected.expose_secret());
        let mut response = Redirect::to(&location).into_response();
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().insert(header::SET_COOKIE, value);
        }
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return response;
    }
    tracing::warn!(path = request.uri().path(), "refused the inventory page without its access token");
    (
        StatusCode::UNAUTHORIZED,
        [(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"))],
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Inventory</title></head><body>\
         <h1>This page needs its access link</h1><p>Open the link with the access token that came with the \
         inventory page (ask whoever set it up), or ask for a new one.</p></body></html>",
    )
        .into_response()
}

async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    response
}

/// Everything a handler can fail with; turned into a response, and
/// logged, in one place (`into_response`).
#[derive(Debug, thiserror::Error)]
pub(super) enum WebError {
    #[error("the workbook cannot be read: {0}")]
    Workbook(#[from] SinkError),
    #[error("the Inventory worksheet cannot be read:\n{0}")]
    Worksheet(ImportErrors),
    #[error("sync from the web page is off")]
    SyncDisabled,
    #[error("the sync token is missing or wrong")]
    WrongToken,
    #[error("no such page")]
    NotFound,
    #[error("connecting Lightspeed from the page is off (no OAuth client configured)")]
    LightspeedOff,
    #[error("a Lightspeed callback without the state this page gave it")]
    ConnectUnchecked,
    #[error("a Lightspeed callback without a code")]
    ConnectNoCode,
    #[error("a Lightspeed callback for the shop {given:?}, not {configured:?}")]
    ConnectOtherShop { given: String, configured: String },
    #[error("Lightspeed refused the code: {0}")]
    ConnectRefused(String),
    #[error("Lightspeed could not be reached to connect: {0}")]
    ConnectUnavailable(String),
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, title, message) = match &self {
            WebError::Workbook(error) => {
                tracing::error!(%error, "the page cannot read the workbook");
                (StatusCode::BAD_GATEWAY, "The workbook cannot be read", self.to_string())
            }
            WebError::Worksheet(errors) => {
                tracing::error!(%errors, "the page cannot read the Inventory worksheet");
                (StatusCode::INTERNAL_SERVER_ERROR, "The Inventory worksheet cannot be read", self.to_string())
            }
            WebError::SyncDisabled => {
                tracing::warn!("POST /sync refused: no FRONTDESK_SYNC_TOKEN is configured");
                (
                    StatusCode::FORBIDDEN,
                    "Sync from the web page is off",
                    "Nothing was synced. To turn on the Sync now button, start `inventory-sync serve` with \
                     FRONTDESK_SYNC_TOKEN set to a secret of your choice, then give that token in the form \
                     (or as `Authorization: Bearer <token>`). The scheduled syncs run either way."
                        .to_owned(),
                )
            }
            WebError::WrongToken => {
                tracing::warn!("POST /sync refused: the sync token is missing or wrong");
                (
                    StatusCode::FORBIDDEN,
                    "Missing or wrong sync token",
                    "Nothing was synced: the sync token is missing or wrong. It is the value of \
                     FRONTDESK_SYNC_TOKEN the server was started with."
                        .to_owned(),
                )
            }
            WebError::NotFound => (StatusCode::NOT_FOUND, "Not found", "There is no such page here.".to_owned()),
            WebError::LightspeedOff => (
                StatusCode::NOT_FOUND,
                "Connecting Lightspeed is off",
                "This page connects the Lightspeed till with OAuth when FRONTDESK_LIGHTSPEED_CLIENT_ID, \
                 FRONTDESK_LIGHTSPEED_CLIENT_SECRET and FRONTDESK_LIGHTSPEED_REDIRECT_URI (this page's \
                 /lightspeed/callback, as registered with the OAuth application) are set. A personal token \
                 (FRONTDESK_LIGHTSPEED_TOKEN) needs no connecting."
                    .to_owned(),
            ),
            WebError::ConnectUnchecked => {
                tracing::warn!("refused a Lightspeed callback whose state does not match this browser's");
                (
                    StatusCode::BAD_REQUEST,
                    "The connection could not be checked",
                    "Nothing was stored: this answer from Lightspeed does not carry the check this page gave \
                     this browser when it sent you there (it may be old, from another browser, or not from \
                     Lightspeed). Start again with Connect Lightspeed, in this browser, within 10 minutes."
                        .to_owned(),
                )
            }
            WebError::ConnectNoCode => {
                tracing::warn!("refused a Lightspeed callback without a code");
                (
                    StatusCode::BAD_REQUEST,
                    "The connection is incomplete",
                    "Nothing was stored: Lightspeed's answer has no code to connect with. Start again with \
                     Connect Lightspeed."
                        .to_owned(),
                )
            }
            WebError::ConnectOtherShop { given, configured } => {
                tracing::warn!(given, configured, "refused a Lightspeed callback for another shop");
                let message = if configured.is_empty() {
                    "Nothing was stored: Lightspeed's answer does not say which shop was connected.".to_owned()
                } else {
                    format!(
                        "Nothing was stored: Lightspeed connected the shop {given:?}, but this page is for \
                         {configured:?} (FRONTDESK_LIGHTSPEED_DOMAIN_PREFIX). Log in to Lightspeed as {configured:?} \
                         and start again with Connect Lightspeed."
                    )
                };
                (StatusCode::BAD_REQUEST, "That is another shop", message)
            }
            WebError::ConnectRefused(error) => {
                tracing::warn!(%error, "Lightspeed refused the authorization code");
                (
                    StatusCode::BAD_REQUEST,
                    "Lightspeed refused the connection",
                    format!(
                        "Nothing was stored: {error}. A code works once and only for a few minutes; start again \
                         with Connect Lightspeed."
                    ),
                )
            }
            WebError::ConnectUnavailable(error) => {
                tracing::error!(%error, "connecting Lightspeed failed");
                (
                    StatusCode::BAD_GATEWAY,
                    "Lightspeed could not be reached",
                    format!("Nothing was stored: {error}. Try Connect Lightspeed again in a moment."),
                )
            }
        };
        message_page(status, title, &message)
    }
}

/// The first value of the cookie `name`, if the request has it.
pub(super) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(cookie, _)| *cookie == name)
        .map(|(_, value)| value)
}

async fn not_found() -> WebError {
    WebError::NotFound
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8")),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600")),
        ],
        STYLESHEET,
    )
        .into_response()
}

async fn health(State(app): State<Arc<App>>) -> Response {
    let status = app.syncer.status();
    axum::Json(serde_json::json!({
        "status": "ok",
        "last_sync": status.last_sync.map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        "last_error": status.last_error,
    }))
    .into_response()
}

async fn export(State(app): State<Arc<App>>, Query(params): Query<ViewParams>) -> Result<Response, WebError> {
    let workbook = app.workbook().await?;
    let view = View::from_params(&params);
    // One Inventory row per matching size, models in the page's order.
    let rows: Vec<InventoryRow> =
        shown(&workbook, &view).iter().flat_map(|item| item.matching_rows(&workbook.rows)).cloned().collect();
    Ok(csv_download("attachment; filename=\"inventory.csv\"", export_csv(&rows)))
}

/// A CSV file to download, never cached (it holds the shop's stock).
fn csv_download(disposition: &'static str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
            (header::CONTENT_DISPOSITION, HeaderValue::from_static(disposition)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body,
    )
        .into_response()
}

/// `GET /restock.csv`: the whole restock list the last sync wrote.
async fn restock_export(State(app): State<Arc<App>>) -> Result<Response, WebError> {
    let workbook = app.workbook().await?;
    let header = ["SKU", "Name", "Size", "QtyOnHand", "SuggestedQty", "Location"].map(str::to_owned).to_vec();
    let records: Vec<Vec<String>> = std::iter::once(header)
        .chain(workbook.restock.iter().map(|line| {
            [&line.sku, &line.name, &line.size, &line.on_hand, &line.suggested, &line.location]
                .map(|cell| cell.to_owned())
                .to_vec()
        }))
        .collect();
    Ok(csv_download("attachment; filename=\"restock.csv\"", export_sheet_csv(&records)))
}

// ---------------------------------------------------------------------------
// POST /sync

/// `POST /sync`: checks the token, runs one sync (or finds one running)
/// and sends the browser back to the page it came from.
async fn sync_now(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Result<Response, WebError> {
    let Some(expected) = &app.sync_token else {
        return Err(WebError::SyncDisabled);
    };
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim_start().starts_with("application/x-www-form-urlencoded"));
    let form: HashMap<String, String> =
        if is_form { url::form_urlencoded::parse(&body).into_owned().collect() } else { HashMap::new() };
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    let given = bearer.or(form.get("token").map(String::as_str)).unwrap_or_default();
    if !token_matches(expected, given) {
        return Err(WebError::WrongToken);
    }
    let outcome = app.syncer.run(Trigger::Button).await;
    let view = View::from_params(&ViewParams {
        q: form.get("q").cloned(),
        kind: form.get("kind").cloned(),
        stock: form.get("stock").cloned(),
        sort: form.get("sort").cloned(),
        dir: form.get("dir").cloned(),
        sync: None,
        page: None,
        lightspeed: None,
    });
    let said = match outcome {
        SyncOutcome::Synced(_) => "done",
        SyncOutcome::Failed(_) => "failed",
        SyncOutcome::AlreadyRunning => "busy",
    };
    let query = view.query_string();
    let location = if query.is_empty() { format!("/?sync={said}") } else { format!("/?{query}&sync={said}") };
    Ok(Redirect::to(&location).into_response())
}

/// Constant time in the token's contents (its length may show).
fn token_matches(expected: &SecretString, given: &str) -> bool {
    let expected = expected.expose_secret().as_bytes();
    !given.is_empty() && bool::from(expected.ct_eq(given.as_bytes()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn tokens_must_match_exactly() {
        let token = SecretString::from("s3cret".to_owned());
        assert!(token_matches(&token, "s3cret"));
        for wrong in ["", "s3cre", "s3cret!", "S3CRET"] {
            assert!(!token_matches(&token, wrong), "{wrong:?}");
        }
    }
}
