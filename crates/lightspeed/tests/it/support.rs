//! A local fake of one retailer's Lightspeed (wiremock) serving the 2.0 API
//! under `/api/2.0` and the token endpoint under `/api/1.0/token`, fixtures
//! in Lightspeed's own shapes, and a manual clock.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use frontdesk_core::ManualClock;
use frontdesk_lightspeed::{
    AccessTokenProvider, LightspeedConfig, LightspeedSource, OAuthConfig, OAuthTokens, PersonalToken,
    RefreshTokenStore, TokenStoreError,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockBuilder, MockServer, Request, ResponseTemplate};

pub const API: &str = "/api/2.0";
pub const TOKEN_PATH: &str = "/api/1.0/token";
pub const PERSONAL_TOKEN: &str = "lsxs_pt_7Qm2d9KfX4";
pub const PAGE_SIZE: u32 = 1000;
pub const MAX_RETRIES: u32 = 3;

pub const MAIN_STREET: &str = "b8ca3a65-0183-11e4-fbb5-2816d2677218";
pub const WAREHOUSE: &str = "06bf537b-c783-11e6-f6b9-53a81bd6b215";
pub const AJ1_10: &str = "0a6f6e36-8b54-11ee-f3a6-3c1b2d7a9b01";
pub const AJ1_10_5: &str = "0a6f6e36-8b54-11ee-f3a6-3c1b2d7a9b02";
pub const HOODIE_L: &str = "7d3c0b9e-1f4a-11ef-e8c4-659494e33155";
pub const YEEZY_9: &str = "4e1a9c77-0c22-11ee-f3a6-3c1b2d7a9c10";
pub const CREASE_GUARDS: &str = "b8ca3a65-0183-11e4-fbb5-9776c611d865";

pub const PRODUCTS_PAGE_1: &str = include_str!("fixtures/products_page_1.json");
pub const PRODUCTS_PAGE_2: &str = include_str!("fixtures/products_page_2.json");
pub const EMPTY_PAGE: &str = include_str!("fixtures/empty_page.json");
pub const OUTLETS: &str = include_str!("fixtures/outlets.json");
pub const INVENTORY: &str = include_str!("fixtures/inventory.json");
pub const SALES: &str = include_str!("fixtures/sales.json");

/// Monday 2026-03-09 15:00 UTC.
pub fn monday_afternoon() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 9, 15, 0, 0).single().unwrap_or_else(|| panic!("bad test time"))
}

/// Test-sized knobs: quick backoff, a short timeout, everything else default.
pub fn test_config(server: &MockServer) -> LightspeedConfig {
    LightspeedConfig {
        page_size: PAGE_SIZE,
        max_retries: MAX_RETRIES,
        backoff_base: Duration::from_millis(10),
        timeout: Duration::from_secs(5),
        ..LightspeedConfig::with_base_url(format!("{}{API}", server.uri()))
    }
}

pub struct Fake {
    pub server: Arc<MockServer>,
    pub clock: Arc<ManualClock>,
    pub source: LightspeedSource,
}

impl Fake {
    /// Authenticated with a personal token.
    pub async fn new() -> Fake {
        Fake::with_config(|config| config).await
    }

    pub async fn with_config(config: impl FnOnce(LightspeedConfig) -> LightspeedConfig) -> Fake {
        let server = Arc::new(MockServer::start().await);
        let clock = Arc::new(ManualClock::new(monday_afternoon()));
        let tokens: Arc<dyn AccessTokenProvider> = Arc::new(
            PersonalToken::new(SecretString::from(PERSONAL_TOKEN)).unwrap_or_else(|e| panic!("personal token: {e}")),
        );
        let source = LightspeedSource::new(config(test_config(&server)), tokens, clock.clone())
            .unwrap_or_else(|e| panic!("adapter: {e}"));
        Fake { server, clock, source }
    }

    /// Authenticated with OAuth, refresh tokens kept in `store`.
    pub async fn with_oauth(store: impl FnOnce(Arc<MockServer>) -> Arc<dyn RefreshTokenStore>) -> Fake {
        let server = Arc::new(MockServer::start().await);
        let clock = Arc::new(ManualClock::new(monday_afternoon()));
        let oauth = OAuthConfig::with_token_url(
            format!("{}{TOKEN_PATH}", server.uri()),
            "frontdesk-inventory-sync",
            SecretString::from("cs_5ecret_for_tests"),
        );
        let tokens: Arc<dyn AccessTokenProvider> = Arc::new(
            OAuthTokens::new(oauth, store(server.clone()), clock.clone()).unwrap_or_else(|e| panic!("oauth: {e}")),
        );
        let source = LightspeedSource::new(test_config(&server), tokens, clock.clone())
            .unwrap_or_else(|e| panic!("adapter: {e}"));
        Fake { server, clock, source }
    }

    /// The requests the fake received, in order.
    pub async fn requests(&self) -> Vec<Request> {
        self.server.received_requests().await.unwrap_or_default()
    }

    /// The API requests (token requests left out), as `path?after`.
    pub async fn api_requests(&self) -> Vec<String> {
        self.requests()
            .await
            .iter()
            .filter(|request| request.url.path().starts_with(API))
            .map(|request| {
                let after = query(request, "after").unwrap_or_default();
                format!("{}?after={after}", request.url.path().trim_start_matches(API))
            })
            .collect()
    }

    pub async fn token_requests(&self) -> Vec<Request> {
        self.requests().await.into_iter().filter(|request| request.url.path() == TOKEN_PATH).collect()
    }

    /// Serves `body` to `GET {resource}?after={after}`, exactly once.
    pub async fn serve_page(&self, resource: &str, after: i64, body: &str) {
        list(resource, after).respond_with(json_reply(body)).expect(1).mount(&self.server).await;
    }
}

/// `GET /api/2.0{resource}` with `after`.
pub fn list(resource: &str, after: i64) -> MockBuilder {
    Mock::given(method("GET")).and(path(format!("{API}{resource}"))).and(query_param("after", after.to_string()))
}

pub fn json_reply(body: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.as_bytes().to_vec(), "application/json")
}

/// Lightspeed's 429 body.
pub fn too_many_requests() -> ResponseTemplate {
    ResponseTemplate::new(429)
        .set_body_json(json!({"error": "Too Many Requests", "message": "Rate limiting enforced"}))
        .insert_header("X-RateLimit-Limit", "350")
        .insert_header("X-RateLimit-Remaining", "0")
}

/// An RFC 1123 date, as Lightspeed sends in `Retry-After`.
pub fn http_date(moment: DateTime<Utc>) -> String {
    moment.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

pub fn query(request: &Request, name: &str) -> Option<String> {
    request.url.query_pairs().find(|(key, _)| key == name).map(|(_, value)| value.into_owned())
}

pub fn header(request: &Request, name: &str) -> Option<String> {
    request.headers.get(name).and_then(|value| value.to_str().ok()).map(str::to_owned)
}

/// The fields of a form body.
pub fn form_fields(request: &Request) -> Vec<(String, String)> {
    url::form_urlencoded::parse(&request.body).map(|(key, value)| (key.into_owned(), value.into_owned())).collect()
}

/// Lightspeed's reply to a refresh.
pub fn token_reply(access_token: &str, refresh_token: &str, expires_in: i64) -> ResponseTemplate {
    let expires = monday_afternoon().timestamp() + expires_in;
    ResponseTemplate::new(200).set_body_json(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires": expires,
        "expires_in": expires_in,
        "refresh_token": refresh_token,
        "domain_prefix": "sneakerden"
    }))
}

/// A page built from items in Lightspeed's shape: `version.min/max` from
/// the items' versions.
pub fn page_of(items: &[Value]) -> String {
    let versions: Vec<i64> = items.iter().filter_map(|item| item["version"].as_i64()).collect();
    json!({
        "data": items,
        "version": {"min": versions.iter().min(), "max": versions.iter().max()}
    })
    .to_string()
}

/// What a [`RecordingStore`] saw: each saved token, and how many requests
/// the fake had received when it was saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    pub refresh_token: String,
    pub requests_before: usize,
}

/// An in-memory refresh-token store that records when each save happened
/// relative to the requests the fake received; `fail_saves` makes every
/// save fail.
pub struct RecordingStore {
    server: Arc<MockServer>,
    current: Mutex<Option<String>>,
    pub saved: Mutex<Vec<Saved>>,
    fail_saves: bool,
}

impl RecordingStore {
    pub fn new(server: Arc<MockServer>, initial: &str) -> Arc<RecordingStore> {
        Arc::new(RecordingStore {
            server,
            current: Mutex::new(Some(initial.to_owned())),
            saved: Mutex::new(Vec::new()),
            fail_saves: false,
        })
    }

    pub fn failing(server: Arc<MockServer>, initial: &str) -> Arc<RecordingStore> {
        Arc::new(RecordingStore {
            server,
            current: Mutex::new(Some(initial.to_owned())),
            saved: Mutex::new(Vec::new()),
            fail_saves: true,
        })
    }

    pub fn current(&self) -> Option<String> {
        self.current.lock().unwrap_or_else(|e| panic!("{e}")).clone()
    }

    pub fn saved(&self) -> Vec<Saved> {
        self.saved.lock().unwrap_or_else(|e| panic!("{e}")).clone()
    }
}

#[async_trait]
impl RefreshTokenStore for RecordingStore {
    async fn load(&self) -> Result<SecretString, TokenStoreError> {
        self.current()
            .map(SecretString::from)
            .ok_or_else(|| TokenStoreError::Missing("the test store is empty".to_owned()))
    }

    async fn save(&self, refresh_token: &SecretString) -> Result<(), TokenStoreError> {
        let requests_before = self.server.received_requests().await.unwrap_or_default().len();
        if self.fail_saves {
            return Err(TokenStoreError::Io("disk full (test)".to_owned()));
        }
        let token = refresh_token.expose_secret().to_owned();
        *self.current.lock().unwrap_or_else(|e| panic!("{e}")) = Some(token.clone());
        self.saved.lock().unwrap_or_else(|e| panic!("{e}")).push(Saved { refresh_token: token, requests_before });
        Ok(())
    }
}
