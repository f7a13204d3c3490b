//! Connecting the till with OAuth from the page: `/lightspeed/connect` and
//! `/lightspeed/callback`, driven in process, with Lightspeed's token
//! endpoint faked by wiremock and the refresh token kept in memory.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use frontdesk_core::ManualClock;
use frontdesk_inventory::{CredentialStore, MemoryStateStore, SyncKey, SyncStores};
use frontdesk_lightspeed::{OAuthConfig, OAuthTokens, StoredRefreshToken};
use frontdesk_sheets::LocalWorkbook;
use inventory_sync::web::{LightspeedConnect, Syncer, WebConfig, router};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use tower::ServiceExt;
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::sync::{now, options, source};

const CLIENT_ID: &str = "frontdesk-inventory-sync";
const REDIRECT_URI: &str = "https://kicks.example.com/lightspeed/callback";
const SHOP: &str = "kicksandco";
const ACCESS: &str = "view-token-0123";
const TOKEN_PATH: &str = "/api/1.0/token";

fn credential_key() -> SyncKey {
    SyncKey::parse(&format!("lightspeed:{SHOP}")).unwrap_or_else(|e| panic!("{e}"))
}

struct Shop {
    _dir: tempfile::TempDir,
    router: Router,
    store: Arc<MemoryStateStore>,
}

impl Shop {
    /// The refresh token stored for the till, if any.
    async fn refresh_token(&self) -> Option<String> {
        let stored = self.store.load_credential(&credential_key()).await.unwrap_or_else(|e| panic!("{e}"));
        stored.map(|token| token.expose_secret().to_owned())
    }
}

/// The page, guarded by the access token, connecting the till through the
/// token endpoint of `lightspeed` (none: OAuth not configured).
async fn shop(lightspeed: Option<&MockServer>) -> Shop {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let workbook = Arc::new(LocalWorkbook::new(dir.path().join("workbook")));
    let store = Arc::new(MemoryStateStore::new());
    let clock = Arc::new(ManualClock::new(now()));
    let connect = lightspeed.map(|server| {
        let oauth = OAuthConfig::with_token_url(
            format!("{}{TOKEN_PATH}", server.uri()),
            CLIENT_ID,
            SecretString::from("cs_5ecret_for_tests"),
        );
        let refresh_tokens = StoredRefreshToken::new(store.clone(), credential_key(), clock.clone());
        let tokens = OAuthTokens::new(oauth, Arc::new(refresh_tokens), clock.clone()).unwrap_or_else(|e| panic!("{e}"));
        LightspeedConnect {
            tokens: Arc::new(tokens),
            client_id: CLIENT_ID.to_owned(),
            redirect_uri: REDIRECT_URI.to_owned(),
            domain_prefix: Some(SHOP.to_owned()),
        }
    });
    // Nothing listens on port 9: no sync runs in these tests.
    let till = Arc::new(source("http://127.0.0.1:9/api/2.0"));
    let syncer = Syncer::new(till, workbook.clone(), SyncStores::of(store.clone()), options(), clock).await;
    let config = WebConfig {
        sync_token: None,
        prefill_token: false,
        page_refresh: Duration::from_secs(60),
        access_token: Some(SecretString::from(ACCESS.to_owned())),
        shop_name: None,
        zone: chrono_tz::UTC,
        lightspeed: connect,
    };
    Shop { router: router(syncer, workbook, config), store, _dir: dir }
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Reply {
    fn header(&self, name: header::HeaderName) -> &str {
        self.headers.get(name).and_then(|value| value.to_str().ok()).unwrap_or_default()
    }
}

/// `GET uri` from a browser holding the page's access cookie and `cookies`.
async fn get(router: &Router, uri: &str, cookies: &str) -> Reply {
    let cookie = format!("inventory_access={ACCESS}; {cookies}");
    let request = Request::get(uri).header(header::COOKIE, cookie).body(Body::empty());
    let response =
        router.clone().oneshot(request.unwrap_or_else(|e| panic!("{e}"))).await.unwrap_or_else(|e| match e {});
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap_or_else(|e| panic!("{e}"));
    Reply { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
}

/// Lightspeed's answer to the authorization code `code`, as documented.
fn token_endpoint(code: &str) -> Mock {
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .and(body_string_contains("grant_type=authorization_code"))
        .and(body_string_contains(format!("code={code}")))
        .and(body_string_contains(format!("client_id={CLIENT_ID}")))
        .and(body_string_contains("redirect_uri=https%3A%2F%2Fkicks.example.com%2Flightspeed%2Fcallback"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "at_first",
            "token_type": "Bearer",
            "expires": 1_795_000_000,
            "expires_in": 86_400,
            "refresh_token": "rt_first",
            "domain_prefix": SHOP,
        })))
}

/// `GET /lightspeed/connect`: where it sends the browser, and the state it
/// keeps in the cookie it sets.
async fn start_connecting(shop: &Shop) -> (url::Url, String) {
    let reply = get(&shop.router, "/lightspeed/connect", "").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let location = url::Url::parse(reply.header(header::LOCATION)).unwrap_or_else(|e| panic!("{e}"));
    let cookie = reply.header(header::SET_COOKIE).to_owned();
    let state = cookie
        .strip_prefix("lightspeed_state=")
        .and_then(|rest| rest.split(';').next())
        .unwrap_or_else(|| panic!("no state cookie: {cookie:?}"))
        .to_owned();
    for attribute in ["HttpOnly", "SameSite=Lax", "Max-Age=600", "Path=/lightspeed", "Secure"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie:?}");
    }
    (location, state)
}

#[tokio::test]
async fn connecting_from_the_page_trades_the_code_and_stores_the_refresh_token() {
    let lightspeed = MockServer::start().await;
    token_endpoint("code-from-lightspeed").expect(1).mount(&lightspeed).await;
    let shop = shop(Some(&lightspeed)).await;
    assert!(get(&shop.router, "/", "").await.body.contains("href=\"/lightspeed/connect\">Connect Lightspeed</a>"));

    let (location, state) = start_connecting(&shop).await;
    assert_eq!(location.host_str(), Some("secure.retail.lightspeed.app"));
    assert_eq!(location.path(), "/connect");
    let query: Vec<(String, String)> = location.query_pairs().into_owned().collect();
    let expected = [("response_type", "code"), ("client_id", CLIENT_ID), ("redirect_uri", REDIRECT_URI)];
    for (name, value) in expected.iter().copied().chain([("state", state.as_str())]) {
        assert!(query.contains(&(name.to_owned(), value.to_owned())), "{name}={value} in {location}");
    }
    assert!(state.len() >= 32, "a long random state: {state}");
    let (_, another) = start_connecting(&shop).await;
    assert_ne!(state, another, "a new state for every connection");

    let callback = format!("/lightspeed/callback?code=code-from-lightspeed&domain_prefix={SHOP}&state={state}");
    let reply = get(&shop.router, &callback, &format!("lightspeed_state={state}")).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    assert_eq!(reply.header(header::LOCATION), "/?lightspeed=connected");
    assert!(reply.header(header::SET_COOKIE).starts_with("lightspeed_state=; "), "the state is used up");
    assert_eq!(shop.refresh_token().await.as_deref(), Some("rt_first"), "the refresh token is stored");

    let page = get(&shop.router, "/?lightspeed=connected", "").await;
    assert!(
        page.body.contains("<p class=\"notice notice-ok\" role=\"status\">Connected to Lightspeed"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn a_callback_that_fails_its_checks_never_reaches_the_token_endpoint() {
    let lightspeed = MockServer::start().await;
    token_endpoint("stolen-code").expect(0).mount(&lightspeed).await;
    let shop = shop(Some(&lightspeed)).await;
    let (_, state) = start_connecting(&shop).await;
    let ours = format!("lightspeed_state={state}");
    let cases = [
        (
            "another browser: no state cookie",
            format!("code=stolen-code&domain_prefix={SHOP}&state={state}"),
            String::new(),
            "could not be checked",
        ),
        (
            "a forged state",
            format!("code=stolen-code&domain_prefix={SHOP}&state=0123456789abcdef"),
            ours.clone(),
            "could not be checked",
        ),
        ("no state", format!("code=stolen-code&domain_prefix={SHOP}"), ours.clone(), "could not be checked"),
        (
            "empty state and cookie",
            format!("code=stolen-code&domain_prefix={SHOP}&state="),
            "lightspeed_state=".to_owned(),
            "could not be checked",
        ),
        (
            "another shop",
            format!("code=stolen-code&domain_prefix=othershop&state={state}"),
            ours.clone(),
            "this page is for &quot;kicksandco&quot;",
        ),
        ("no shop", format!("code=stolen-code&state={state}"), ours.clone(), "another shop"),
        ("no code", format!("domain_prefix={SHOP}&state={state}"), ours.clone(), "no code"),
    ];
    for (case, query, cookies, says) in cases {
        let reply = get(&shop.router, &format!("/lightspeed/callback?{query}"), &cookies).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{case}: {}", reply.body);
        assert!(reply.body.contains("Nothing was stored"), "{case}: {}", reply.body);
        assert!(reply.body.contains(says), "{case}: {says:?} in {}", reply.body);
        assert!(!reply.body.contains("stolen-code"), "{case}: the code is not echoed");
    }
    assert_eq!(shop.refresh_token().await, None, "nothing stored");
    // MockServer verifies `.expect(0)` when dropped.
}

#[tokio::test]
async fn a_declined_connection_says_so_plainly_and_trades_nothing() {
    let lightspeed = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(500)).expect(0).mount(&lightspeed).await;
    let shop = shop(Some(&lightspeed)).await;
    let (_, state) = start_connecting(&shop).await;
    let declined = format!("/lightspeed/callback?error=access_denied&state={state}");
    let reply = get(&shop.router, &declined, &format!("lightspeed_state={state}")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.body.contains("<h1>Lightspeed was not connected</h1>"), "{}", reply.body);
    assert!(reply.body.contains("The connection was not approved at Lightspeed, so nothing changed"), "{}", reply.body);
    assert_eq!(shop.refresh_token().await, None);
}

#[tokio::test]
async fn a_code_lightspeed_refuses_is_said_plainly_and_stores_nothing() {
    let lightspeed = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(json!({"error": "invalid_grant", "message": "Code expired"})),
        )
        .expect(1)
        .mount(&lightspeed)
        .await;
    let shop = shop(Some(&lightspeed)).await;
    let (_, state) = start_connecting(&shop).await;
    let callback = format!("/lightspeed/callback?code=stale&domain_prefix={SHOP}&state={state}");
    let reply = get(&shop.router, &callback, &format!("lightspeed_state={state}")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert!(reply.body.contains("Lightspeed refused the connection"), "{}", reply.body);
    assert!(reply.body.contains("start again"), "{}", reply.body);
    assert_eq!(shop.refresh_token().await, None);
}

#[tokio::test]
async fn the_connect_routes_need_the_pages_access_and_oauth() {
    let lightspeed = MockServer::start().await;
    let connected = shop(Some(&lightspeed)).await;
    for path in ["/lightspeed/connect", "/lightspeed/callback?code=x&domain_prefix=kicksandco&state=y"] {
        let request = Request::get(path).body(Body::empty()).unwrap_or_else(|e| panic!("{e}"));
        let reply = connected.router.clone().oneshot(request).await.unwrap_or_else(|e| match e {});
        assert_eq!(reply.status(), StatusCode::UNAUTHORIZED, "{path}: behind the page's access link");
    }

    let personal_token = shop(None).await;
    assert!(!get(&personal_token.router, "/", "").await.body.contains("/lightspeed/connect"), "no link");
    for path in ["/lightspeed/connect", "/lightspeed/callback?code=x&domain_prefix=kicksandco&state=y"] {
        let reply = get(&personal_token.router, path, "").await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert!(reply.body.contains("Connecting Lightspeed is off"), "{path}: {}", reply.body);
        assert!(reply.body.contains("FRONTDESK_LIGHTSPEED_CLIENT_ID"), "says how to turn it on: {}", reply.body);
    }
}
