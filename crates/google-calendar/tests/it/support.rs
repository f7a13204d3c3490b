//! A local fake of Google (token endpoint and Calendar API) on wiremock,
//! the test-only service-account key from `fixtures/google/`, and a manual
//! clock.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use base64::Engine as _;
use chrono::{DateTime, TimeZone, Utc};
use frontdesk_core::{Clock, ManualClock, TenantId};
use frontdesk_google_calendar::{GoogleCalendar, GoogleCalendarConfig, ServiceAccountKey};
use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation};
use reqwest::Url;
use serde::Deserialize;
use serde_json::{Value, json};
use wiremock::matchers::{HeaderExactMatcher, body_string_contains, header, method, path};
use wiremock::{Match, Mock, MockBuilder, MockServer, Request, ResponseTemplate};

pub const TOKEN_PATH: &str = "/token";
pub const CALENDAR_ID: &str = "shop@group.calendar.google.com";
/// `CALENDAR_ID` as it must appear in a URL path.
pub const CALENDAR_IN_PATH: &str = "shop%40group.calendar.google.com";
pub const FIXTURE_CLIENT_EMAIL: &str = "frontdesk-test-only@frontdesk-test-only.iam.gserviceaccount.com";
pub const FIXTURE_KEY_ID: &str = "0123456789abcdef0123456789abcdef01234567";
pub const SCOPE: &str = "https://www.googleapis.com/auth/calendar";

pub fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/google").join(name)
}

pub fn read_fixture(name: &str) -> String {
    let path = fixture_path(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// The test-only key file as JSON, to edit before parsing.
pub fn fixture_key_json() -> Value {
    serde_json::from_str(&read_fixture("test-service-account.json")).unwrap_or_else(|e| panic!("fixture JSON: {e}"))
}

/// The test-only key, as `client_email`, with tokens from the fake.
pub fn key_for(server: &MockServer, client_email: &str) -> ServiceAccountKey {
    let mut json = fixture_key_json();
    json["client_email"] = json!(client_email);
    json["token_uri"] = json!(token_uri(server));
    ServiceAccountKey::from_json(&json.to_string()).unwrap_or_else(|e| panic!("fixture key: {e}"))
}

pub fn token_uri(server: &MockServer) -> String {
    format!("{}{TOKEN_PATH}", server.uri())
}

pub fn tenant(slug: &str) -> TenantId {
    TenantId::parse(slug).unwrap_or_else(|e| panic!("tenant {slug}: {e}"))
}

/// Monday 2026-03-09 14:00 UTC (10:00 in New York, daylight time).
pub fn monday_at(hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 9, hour, minute, 0)
        .single()
        .unwrap_or_else(|| panic!("bad test time {hour}:{minute}"))
}

pub struct Fake {
    pub server: MockServer,
    pub clock: Arc<ManualClock>,
    pub calendar: GoogleCalendar,
}

impl Fake {
    /// An adapter with only the platform key (the fixture).
    pub async fn new() -> Fake {
        Fake::with_config(|server| GoogleCalendarConfig {
            platform_key: Some(key_for(server, FIXTURE_CLIENT_EMAIL)),
            ..GoogleCalendarConfig::default()
        })
        .await
    }

    /// An adapter whose `api_base` is the fake; the rest is up to `config`.
    pub async fn with_config(config: impl FnOnce(&MockServer) -> GoogleCalendarConfig) -> Fake {
        let server = MockServer::start().await;
        let config = GoogleCalendarConfig { api_base: server.uri(), ..config(&server) };
        let clock = Arc::new(ManualClock::new(monday_at(8, 0)));
        let dyn_clock: Arc<dyn Clock> = clock.clone();
        let calendar = GoogleCalendar::new(config, dyn_clock).unwrap_or_else(|e| panic!("adapter: {e}"));
        Fake { server, clock, calendar }
    }

    /// The token endpoint hands out `access_token` once, and must be asked once.
    pub async fn grant_token_once(&self, access_token: &str) {
        token_request().respond_with(token_reply(access_token)).up_to_n_times(1).expect(1).mount(&self.server).await;
    }

    /// The requests the fake received, in order.
    pub async fn requests(&self) -> Vec<Request> {
        self.server.received_requests().await.unwrap_or_default()
    }

    pub async fn token_requests(&self) -> Vec<Request> {
        self.requests().await.into_iter().filter(|request| request.url.path() == TOKEN_PATH).collect()
    }
}

/// A well-formed token request: a form POST with the JWT-bearer grant.
pub fn token_request() -> MockBuilder {
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string_contains("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"))
}

/// Google's reply to a good assertion.
pub fn token_reply(access_token: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "access_token": access_token,
        "expires_in": 3599,
        "token_type": "Bearer"
    }))
}

/// `Authorization: Bearer <token>`.
pub fn bearer(access_token: &str) -> HeaderExactMatcher {
    header("authorization", format!("Bearer {access_token}").as_str())
}

/// Google's error body.
pub fn google_error(code: u16, domain: &str, reason: &str, message: &str) -> Value {
    json!({
        "error": {
            "errors": [{ "domain": domain, "reason": reason, "message": message }],
            "code": code,
            "message": message
        }
    })
}

/// A freeBusy reply with no busy times for `CALENDAR_ID`.
pub fn free_all_day() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "kind": "calendar#freeBusy",
        "timeMin": "2026-03-09T14:00:00.000Z",
        "timeMax": "2026-03-09T22:00:00.000Z",
        "calendars": { CALENDAR_ID: { "busy": [] } }
    }))
}

/// The fields of a token request's form body.
pub fn form_fields(request: &Request) -> HashMap<String, String> {
    let body = String::from_utf8(request.body.clone()).unwrap_or_else(|e| panic!("form body is not UTF-8: {e}"));
    let url = Url::parse(&format!("http://form.invalid/?{body}")).unwrap_or_else(|e| panic!("form body {body:?}: {e}"));
    url.query_pairs().map(|(name, value)| (name.into_owned(), value.into_owned())).collect()
}

#[derive(Debug, Deserialize)]
pub struct AssertionClaims {
    pub iss: String,
    pub scope: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    pub sub: Option<String>,
}

/// The assertion in a token request, its signature checked with the
/// fixture's public key and its audience with `audience`.
pub fn verified_assertion(request: &Request, audience: &str) -> (Header, AssertionClaims) {
    let fields = form_fields(request);
    let assertion = fields.get("assertion").unwrap_or_else(|| panic!("no assertion in {fields:?}"));
    let header = jsonwebtoken::decode_header(assertion).unwrap_or_else(|e| panic!("assertion header: {e}"));
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "iss", "aud"]);
    // The manual clock is not the wall clock; expiry is checked against iat by the tests.
    validation.validate_exp = false;
    let claims = jsonwebtoken::decode::<AssertionClaims>(assertion, &public_key(), &validation)
        .unwrap_or_else(|e| panic!("assertion does not verify with the fixture public key: {e}"))
        .claims;
    (header, claims)
}

fn public_key() -> DecodingKey {
    let pem = read_fixture("test-public-key.pem");
    let body: String = pem.lines().filter(|line| !line.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap_or_else(|e| panic!("public key fixture is not base64: {e}"));
    // SubjectPublicKeyInfo DER; aws-lc accepts it as well as PKCS#1.
    DecodingKey::from_rsa_der(&der)
}

/// Matches token requests whose assertion is issued by `client_email`.
pub struct IssuedBy(pub &'static str);

impl Match for IssuedBy {
    fn matches(&self, request: &Request) -> bool {
        let fields = form_fields(request);
        let Some(assertion) = fields.get("assertion") else { return false };
        jsonwebtoken::dangerous::insecure_decode_claims::<AssertionClaims>(assertion)
            .is_ok_and(|claims| claims.iss == self.0)
    }
}
