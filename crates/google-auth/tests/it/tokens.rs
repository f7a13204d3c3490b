//! The assertion sent for a scope, caching and expiry, `forget`, and how the
//! token endpoint's answers are classified.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use base64::Engine as _;
use chrono::{TimeDelta, TimeZone, Utc};
use frontdesk_core::ManualClock;
use frontdesk_google_auth::{ServiceAccountKey, TokenError, TokenSource};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reqwest::Url;
use serde::Deserialize;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const SPREADSHEETS_SCOPE: &str = "https://www.googleapis.com/auth/spreadsheets";

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/google").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// The fixture key, with tokens from the fake.
fn key_for(server: &MockServer) -> ServiceAccountKey {
    let mut json: Value =
        serde_json::from_str(&fixture("test-service-account.json")).unwrap_or_else(|e| panic!("fixture JSON: {e}"));
    json["token_uri"] = json!(format!("{}/token", server.uri()));
    ServiceAccountKey::from_json(&json.to_string()).unwrap_or_else(|e| panic!("fixture key: {e}"))
}

fn clock() -> ManualClock {
    ManualClock::new(Utc.with_ymd_and_hms(2026, 3, 9, 8, 0, 0).single().unwrap_or_else(|| panic!("bad test time")))
}

fn token_endpoint() -> wiremock::MockBuilder {
    Mock::given(method("POST")).and(path("/token"))
}

fn granted(access_token: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({ "access_token": access_token, "expires_in": 3599 }))
}

#[derive(Debug, Deserialize)]
struct Claims {
    iss: String,
    scope: String,
    aud: String,
    iat: i64,
    exp: i64,
}

fn verified_claims(request: &Request, audience: &str) -> Claims {
    let body = String::from_utf8(request.body.clone()).unwrap_or_else(|e| panic!("form body: {e}"));
    let fields: HashMap<String, String> = Url::parse(&format!("http://form.invalid/?{body}"))
        .unwrap_or_else(|e| panic!("form body {body:?}: {e}"))
        .query_pairs()
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    assert_eq!(fields.get("grant_type").map(String::as_str), Some("urn:ietf:params:oauth:grant-type:jwt-bearer"));
    let assertion = fields.get("assertion").unwrap_or_else(|| panic!("no assertion in {fields:?}"));
    let pem = fixture("test-public-key.pem");
    let der = base64::engine::general_purpose::STANDARD
        .decode(pem.lines().filter(|line| !line.starts_with("-----")).collect::<String>())
        .unwrap_or_else(|e| panic!("public key fixture: {e}"));
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[audience]);
    validation.validate_exp = false;
    jsonwebtoken::decode::<Claims>(assertion, &DecodingKey::from_rsa_der(&der), &validation)
        .unwrap_or_else(|e| panic!("assertion does not verify with the fixture public key: {e}"))
        .claims
}

#[tokio::test]
async fn the_assertion_asks_for_the_given_scope_at_the_keys_token_uri() {
    let server = MockServer::start().await;
    token_endpoint().respond_with(granted("ya29.sheets")).expect(1).mount(&server).await;
    let key = key_for(&server);
    let tokens = TokenSource::new(key.clone(), SPREADSHEETS_SCOPE);
    let clock = clock();

    let token = tokens.access_token(&reqwest::Client::new(), &clock).await;

    assert_eq!(token.unwrap_or_else(|e| panic!("token: {e}")), "ya29.sheets");
    assert_eq!(tokens.scope(), SPREADSHEETS_SCOPE);
    let requests = server.received_requests().await.unwrap_or_default();
    let claims = verified_claims(&requests[0], key.token_uri());
    assert_eq!(claims.scope, SPREADSHEETS_SCOPE);
    assert_eq!(claims.iss, key.client_email());
    assert_eq!(claims.aud, format!("{}/token", server.uri()));
    assert_eq!(claims.exp - claims.iat, 3600);
}

#[tokio::test]
async fn tokens_are_cached_until_five_minutes_before_expiry_and_forget_drops_only_the_rejected_one() {
    let server = MockServer::start().await;
    token_endpoint().respond_with(granted("ya29.first")).up_to_n_times(1).mount(&server).await;
    token_endpoint().respond_with(granted("ya29.second")).up_to_n_times(1).mount(&server).await;
    token_endpoint().respond_with(granted("ya29.third")).mount(&server).await;
    let tokens = TokenSource::new(key_for(&server), SPREADSHEETS_SCOPE);
    let http = reqwest::Client::new();
    let clock = clock();
    let token = async || tokens.access_token(&http, &clock).await.unwrap_or_else(|e| panic!("token: {e}"));

    assert_eq!(token().await, "ya29.first");
    clock.advance(TimeDelta::seconds(3599 - 300 - 1));
    assert_eq!(token().await, "ya29.first", "still fresh enough");
    clock.advance(TimeDelta::seconds(1));
    assert_eq!(token().await, "ya29.second", "refreshed before expiry");

    tokens.forget("ya29.first").await;
    assert_eq!(token().await, "ya29.second", "forgetting an older token keeps the newer one");
    tokens.forget("ya29.second").await;
    assert_eq!(token().await, "ya29.third");
}

#[tokio::test]
async fn the_token_endpoints_answers_are_classified() {
    let check = async |answer: ResponseTemplate, expected: &str| {
        let server = MockServer::start().await;
        token_endpoint().respond_with(answer).mount(&server).await;
        let tokens = TokenSource::new(key_for(&server), SPREADSHEETS_SCOPE);
        let error = tokens
            .access_token(&reqwest::Client::new(), &clock())
            .await
            .err()
            .unwrap_or_else(|| panic!("{expected}: the token request should fail"));
        let shown = format!("{error:?}");
        assert!(shown.starts_with(expected), "expected {expected}, got {shown}");
        error
    };

    let refused = check(
        ResponseTemplate::new(400)
            .set_body_json(json!({ "error": "invalid_grant", "error_description": "Invalid JWT Signature." })),
        "Refused",
    )
    .await;
    assert!(refused.to_string().contains("invalid_grant (Invalid JWT Signature.)"), "{refused}");
    check(ResponseTemplate::new(503).set_body_string("upstream connect error"), "Unavailable").await;
    check(ResponseTemplate::new(200).set_body_string("<html>captive portal</html>"), "Invalid").await;
    let limited = check(ResponseTemplate::new(429).insert_header("Retry-After", "7"), "RateLimited").await;
    assert!(
        matches!(limited, TokenError::RateLimited { retry_after: Some(wait) } if wait == Duration::from_secs(7)),
        "{limited:?}"
    );
}
