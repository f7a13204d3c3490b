//! Test harness: an in-process gateway on a temporary SQLite database, and
//! JWTs built by hand (HMAC-SHA256 over base64url JSON) so the tests do not
//! trust the token code they are testing.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeZone, Utc};
use frontdesk_auth::TokenSecret;
use frontdesk_core::{Clock, ManualClock};
use frontdesk_runtime::{Backend, Billing};
use frontdesk_store_sqlite::SqliteStore;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use tower::ServiceExt;
use voice_gateway::{AppState, HttpLimits, demo, router};

pub const SECRET: &str = "test-admin-secret-that-is-long-enough-for-hs256";

/// Tuesday 2026-11-24 15:00 UTC (10:00 in New York).
/// The settings a gateway reads, in demo mode (nothing else required) with
/// `variables` on top: how adapters are built from configuration in tests.
pub fn settings_with(variables: &[(&str, String)]) -> frontdesk_runtime::Settings {
    let env = std::iter::once(("FRONTDESK_DEMO", "true".to_owned()))
        .chain(variables.iter().cloned())
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
    frontdesk_runtime::Settings::from_sources(None, env).unwrap_or_else(|e| panic!("{e}"))
}

pub fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 15, 0, 0).single().unwrap_or_default()
}

/// A compact JWS signed with HS256 over exactly these header and claims.
pub fn hs256_token(header: &Value, claims: &Value, secret: &[u8]) -> String {
    let signing_input =
        format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).unwrap_or_else(|e| panic!("{e}"));
    mac.update(signing_input.as_bytes());
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

/// A token for `scope`, issued at `iat`, living `seconds`.
pub fn token_at(scope: &str, iat: DateTime<Utc>, seconds: i64) -> String {
    let claims = json!({"sub": "tester", "scope": scope, "iat": iat.timestamp(), "exp": iat.timestamp() + seconds});
    hs256_token(&json!({"alg": "HS256", "typ": "JWT"}), &claims, SECRET.as_bytes())
}

/// The Stripe webhook signing secret of every test gateway.
pub const STRIPE_SECRET: &str = "whsec_test_secret";

/// A gateway's state over `store`, its demo tenants on Pro as in demo mode,
/// flags cached in process, no payment provider.
pub async fn gateway_state(
    store: Arc<SqliteStore>,
    clock: Arc<ManualClock>,
    bookings: Arc<frontdesk_calendar::BookingService>,
    twilio: Option<voice_gateway::twilio::TwilioSettings>,
) -> (AppState, Billing) {
    gateway_state_on(Backend::from_store("sqlite", store), clock, bookings, twilio).await
}

/// [`gateway_state`] over any backend's ports.
pub async fn gateway_state_on(
    backend: Backend,
    clock: Arc<ManualClock>,
    bookings: Arc<frontdesk_calendar::BookingService>,
    twilio: Option<voice_gateway::twilio::TwilioSettings>,
) -> (AppState, Billing) {
    let cache = Arc::new(frontdesk_flags::LocalFlagCache::new(clock.clone()));
    let billing =
        Billing::new(&backend, cache, None, Duration::from_secs(7 * 86_400), frontdesk_billing::PriceTable::standard());
    demo::put_demo_tenants_on_their_plans(&billing, clock.now()).await.unwrap_or_else(|e| panic!("{e:#}"));
    let webhook = frontdesk_stripe::WebhookVerifier::new(STRIPE_SECRET).unwrap_or_else(|e| panic!("{e}"));
    let tokens = TokenSecret::new(SECRET.as_bytes());
    let mut state = AppState::new(&backend, &billing, bookings, clock, tokens, webhook, twilio);
    state.version = "test-version";
    (state, billing)
}

/// The booking service a gateway has: reminders scheduled with each
/// booking when the shop's plan has them, and withdrawn from the queue on a
/// cancel or move. (Its flags are read through a cache of its own: a test
/// that switches `enable_reminders` must not rely on it within 30 s.)
pub fn booking_service(store: &Arc<SqliteStore>, clock: &Arc<ManualClock>) -> Arc<frontdesk_calendar::BookingService> {
    let cache = Arc::new(frontdesk_flags::LocalFlagCache::new(clock.clone()));
    let flags = Arc::new(frontdesk_flags::FlagService::new(store.clone(), cache));
    Arc::new(
        frontdesk_calendar::BookingService::new(store.clone(), clock.clone())
            .with_reminders(Arc::new(frontdesk_routing::FlagReminders::new(flags)), store.clone()),
    )
}

pub const TWILIO_TOKEN: &str = "support-twilio-token";
/// `FRONTDESK_METRICS_TOKEN` of the realtime gateways ([`TestApp::with_realtime`]).
pub const METRICS_TOKEN: &str = "support-metrics-scrape-token";
pub const PUBLIC_URL: &str = "https://frontdesk.example.com";

pub struct TestApp {
    pub router: Router,
    pub clock: Arc<ManualClock>,
    pub store: Arc<SqliteStore>,
    /// The gateway's own flag service, metering and invoicing.
    pub billing: Billing,
    _dir: tempfile::TempDir,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl TestApp {
    /// A gateway with the demo tenants, on its own database.
    pub async fn new() -> TestApp {
        TestApp::with_limits(HttpLimits { request_timeout: Duration::from_secs(10), body_limit_bytes: 64 * 1024 }).await
    }

    pub async fn with_limits(limits: HttpLimits) -> TestApp {
        TestApp::build(limits, false).await
    }

    /// A gateway that schedules the check of each finished call's duration
    /// against Twilio's record (as with `FRONTDESK_TWILIO_ACCOUNT_SID`).
    pub async fn checking_call_durations() -> TestApp {
        let limits = HttpLimits { request_timeout: Duration::from_secs(10), body_limit_bytes: 64 * 1024 };
        TestApp::build(limits, true).await
    }

    /// A gateway with an embedding model for questions (as with
    /// `FRONTDESK_OPENAI_API_KEY`): knowledge changes enqueue reindex jobs.
    pub async fn with_embedder(embedder: Arc<dyn frontdesk_rag::Embedder>) -> TestApp {
        let mut app = TestApp::new().await;
        let bookings = booking_service(&app.store, &app.clock);
        let retriever = Arc::new(frontdesk_rag::Retriever::new(app.store.clone()).with_embedder(embedder));
        let twilio = voice_gateway::TwilioSettings {
            public_base_url: PUBLIC_URL.to_owned(),
            validator: Arc::new(frontdesk_twilio::RequestValidator::new(TWILIO_TOKEN)),
            dialogue: Arc::new(frontdesk_routing::Dialogue::new(bookings.clone()).with_knowledge(retriever.clone())),
            check_durations: false,
            transcribe_messages: false,
        };
        let (mut state, billing) = gateway_state(app.store.clone(), app.clock.clone(), bookings, Some(twilio)).await;
        state.retriever = retriever;
        state.reindex_knowledge = true;
        let limits = HttpLimits { request_timeout: Duration::from_secs(10), body_limit_bytes: 64 * 1024 };
        app.router = router(state, limits);
        app.billing = billing;
        app
    }

    /// A gateway whose dialogue asks `model` what its rules cannot serve
    /// (as with `FRONTDESK_OPENAI_API_KEY`).
    pub async fn with_model(model: Arc<dyn frontdesk_llm::LanguageModel>) -> TestApp {
        let mut app = TestApp::new().await;
        let bookings = booking_service(&app.store, &app.clock);
        let twilio = voice_gateway::TwilioSettings {
            public_base_url: PUBLIC_URL.to_owned(),
            validator: Arc::new(frontdesk_twilio::RequestValidator::new(TWILIO_TOKEN)),
            dialogue: Arc::new(frontdesk_routing::Dialogue::new(bookings.clone()).with_model(model)),
            check_durations: false,
            transcribe_messages: false,
        };
        let (state, billing) = gateway_state(app.store.clone(), app.clock.clone(), bookings, Some(twilio)).await;
        let limits = HttpLimits { request_timeout: Duration::from_secs(10), body_limit_bytes: 64 * 1024 };
        app.router = router(state, limits);
        app.billing = billing;
        app
    }

    /// A gateway that calls customers back through `calls` (as with
    /// `FRONTDESK_TWILIO_ACCOUNT_SID`).
    pub async fn with_calling_back(calls: Arc<dyn frontdesk_routing::OutboundCalls>) -> TestApp {
        let mut app = TestApp::new().await;
        let bookings = booking_service(&app.store, &app.clock);
        let twilio = voice_gateway::TwilioSettings {
            public_base_url: PUBLIC_URL.to_owned(),
            validator: Arc::new(frontdesk_twilio::RequestValidator::new(TWILIO_TOKEN)),
            dialogue: Arc::new(frontdesk_routing::Dialogue::new(bookings.clone())),
            check_durations: false,
            transcribe_messages: false,
        };
        let (mut state, billing) = gateway_state(app.store.clone(), app.clock.clone(), bookings, Some(twilio)).await;
        state.calling_back =
            Some(Arc::new(frontdesk_routing::CallingBack::new(app.store.clone(), calls, PUBLIC_URL.to_owned())));
        let limits = HttpLimits { request_timeout: Duration::from_secs(10), body_limit_bytes: 64 * 1024 };
        app.router = router(state, limits);
        app.billing = billing;
        app
    }

    async fn build(limits: HttpLimits, check_durations: bool) -> TestApp {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let clock = Arc::new(ManualClock::new(start_time()));
        let url = format!("sqlite://{}", dir.path().join("frontdesk.db").display());
        let store = Arc::new(SqliteStore::open(&url, clock.clone()).await.unwrap_or_else(|e| panic!("{e:#}")));
        demo::seed_demo_tenants(store.as_ref()).await.unwrap_or_else(|e| panic!("{e:#}"));
        let bookings = booking_service(&store, &clock);
        let retriever = Arc::new(frontdesk_rag::Retriever::new(store.clone()));
        let twilio = voice_gateway::TwilioSettings {
            public_base_url: PUBLIC_URL.to_owned(),
            validator: Arc::new(frontdesk_twilio::RequestValidator::new(TWILIO_TOKEN)),
            dialogue: Arc::new(frontdesk_routing::Dialogue::new(bookings.clone()).with_knowledge(retriever.clone())),
            check_durations,
            transcribe_messages: false,
        };
        let (mut state, billing) = gateway_state(store.clone(), clock.clone(), bookings, Some(twilio)).await;
        state.retriever = retriever;
        TestApp { router: router(state, limits), clock, store, billing, _dir: dir }
    }

    /// A token issued now (by the test clock).
    pub fn token(&self, scope: &str) -> String {
        token_at(scope, self.clock.now(), 60)
    }

    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(request).await.unwrap_or_else(|e| match e {});
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap_or_default();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Reply { status, headers, body }
    }

    /// A JSON request with an optional bearer token.
    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<&Value>) -> Reply {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let body = match body {
            Some(json) => {
                request = request.header("content-type", "application/json");
                Body::from(json.to_string())
            }
            None => Body::empty(),
        };
        self.send(request.body(body).unwrap_or_else(|e| panic!("{e}"))).await
    }

    /// A Twilio webhook, signed as Twilio signs it; returns the status and body text.
    pub async fn twilio(&self, path: &str, params: &[(&str, &str)]) -> (StatusCode, String) {
        let params: Vec<(String, String)> = params.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        twilio_post(&self.router, path, &params).await
    }

    /// A Stripe webhook with this `Stripe-Signature` header (if any).
    pub async fn stripe(&self, body: &str, signature: Option<&str>) -> Reply {
        let mut request =
            Request::builder().method(Method::POST).uri("/stripe/webhook").header("content-type", "application/json");
        if let Some(signature) = signature {
            request = request.header("stripe-signature", signature);
        }
        self.send(request.body(Body::from(body.to_owned())).unwrap_or_else(|e| panic!("{e}"))).await
    }

    pub async fn admin(&self, method: Method, path: &str, body: Option<&Value>) -> Reply {
        let token = self.token("admin");
        self.call(method, path, Some(&token), body).await
    }
}

/// A form post to `router` signed as Twilio signs it (with `TWILIO_TOKEN`
/// over `PUBLIC_URL` + `path`); returns the status and body text.
pub async fn twilio_post(router: &Router, path: &str, params: &[(String, String)]) -> (StatusCode, String) {
    let signature =
        frontdesk_twilio::RequestValidator::new(TWILIO_TOKEN).compute_signature(&format!("{PUBLIC_URL}{path}"), params);
    let body: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(params.iter()).finish();
    let request = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-twilio-signature", signature)
        .body(Body::from(body))
        .unwrap_or_else(|e| panic!("{e}"));
    let response = router.clone().oneshot(request).await.unwrap_or_else(|e| match e {});
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap_or_default();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// The error code of an error reply, asserting the JSON error shape.
pub fn error_code(reply: &Reply) -> &str {
    let error = &reply.body["error"];
    assert!(error["message"].is_string(), "error replies carry a message: {}", reply.body);
    assert!(error["details"].is_array(), "error replies carry details: {}", reply.body);
    error["code"].as_str().unwrap_or_else(|| panic!("no error code in {}", reply.body))
}

/// `field: message` for each detail of a 422.
pub fn details(reply: &Reply) -> Vec<String> {
    reply.body["error"]["details"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|d| format!("{}: {}", d["field"].as_str().unwrap_or("?"), d["message"].as_str().unwrap_or("?")))
                .collect()
        })
        .unwrap_or_default()
}

/// A small valid profile document as JSON.
pub fn shop_json(slug: &str, numbers: &[&str]) -> Value {
    json!({
        "slug": slug,
        "name": format!("Shop {slug}"),
        "timezone": "Europe/London",
        "phone_numbers": numbers,
        "owner_phone": "+447700900999",
        "hours": {"mon": ["09:00-17:00"], "sat": ["10:00-14:00"]},
        "services": [{"name": "Cut", "aliases": ["trim"], "duration_minutes": 30, "price_cents": 2500}],
    })
}

/// A `Stripe-Signature` header for `body`, as Stripe signs it.
pub fn stripe_signature(body: &str, timestamp: i64, secret: &str) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    mac.update(format!("{timestamp}.{body}").as_bytes());
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("t={timestamp},v1={hex}")
}

/// A Stripe event of `kind` about `object`.
pub fn stripe_event(id: &str, kind: &str, object: Value) -> String {
    json!({"id": id, "object": "event", "type": kind, "created": 1_764_000_000, "data": {"object": object}}).to_string()
}

/// A browser's request to the pages: form posts from `site` (the CSRF check
/// reads `Sec-Fetch-Site`), an optional cookie.
pub async fn browse_from(
    app: &TestApp,
    method: Method,
    path: &str,
    form: &[(&str, &str)],
    cookie: Option<&str>,
    site: &str,
) -> Page {
    let mut request = Request::builder().method(method.clone()).uri(path).header("sec-fetch-site", site);
    if let Some(cookie) = cookie {
        request = request.header(axum::http::header::COOKIE, cookie);
    }
    let body = if method == Method::POST {
        request = request.header(axum::http::header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        Body::from(url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form.iter()).finish())
    } else {
        Body::empty()
    };
    let response = app
        .router
        .clone()
        .oneshot(request.body(body).unwrap_or_else(|e| panic!("{e}")))
        .await
        .unwrap_or_else(|e| match e {});
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap_or_default();
    Page { status, headers, html: String::from_utf8_lossy(&bytes).into_owned() }
}

/// [`browse_from`] the same origin.
pub async fn browse(app: &TestApp, method: Method, path: &str, form: &[(&str, &str)], cookie: Option<&str>) -> Page {
    browse_from(app, method, path, form, cookie, "same-origin").await
}

/// A page as the browser got it.
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub html: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers.get(axum::http::header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// `name=value` of the session cookie this reply sets.
    pub fn cookie(&self) -> Option<String> {
        let set = self.headers.get(axum::http::header::SET_COOKIE)?.to_str().ok()?;
        Some(set.split(';').next()?.to_owned())
    }
}

/// Claims the next job of `handler`'s kind and runs one attempt of it, as
/// the worker would; `Ok` if the handler succeeded.
pub async fn run_next(
    store: &Arc<SqliteStore>,
    clock: &Arc<ManualClock>,
    handler: &dyn frontdesk_jobs::JobHandler,
) -> Result<(), frontdesk_jobs::HandlerError> {
    let worker = frontdesk_jobs::WorkerId::new("test");
    let kinds: [frontdesk_jobs::JobKind; 1] = [handler.kind()];
    let now = clock.now();
    let claimed =
        frontdesk_jobs::JobLeases::claim(store.as_ref(), &worker, &kinds, 1, chrono::Duration::seconds(30), now).await;
    let lease = claimed.unwrap_or_else(|e| panic!("{e}")).pop().unwrap_or_else(|| panic!("no {} job", kinds[0]));
    let context =
        frontdesk_jobs::JobContext { job: lease.job.clone(), worker, effects: store.clone(), clock: clock.clone() };
    let result = handler.run(&context).await;
    if result.is_ok() {
        frontdesk_jobs::JobLeases::complete(store.as_ref(), &lease, clock.now())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    result
}

impl TestApp {
    /// A gateway whose `/twilio/stream/{token}` bridges calls to `voice`,
    /// stream tokens signed with [`SECRET`]; Pro shops' calls are answered
    /// by it. Its `/metrics` are served for [`METRICS_TOKEN`].
    pub async fn with_realtime(voice: Arc<dyn frontdesk_llm::RealtimeVoice>) -> TestApp {
        TestApp::with_realtime_cap(voice, frontdesk_routing::REALTIME_CALL_CAP).await
    }

    /// [`TestApp::with_realtime`] with `cap` of model time per call.
    pub async fn with_realtime_cap(voice: Arc<dyn frontdesk_llm::RealtimeVoice>, cap: Duration) -> TestApp {
        let mut app = TestApp::new().await;
        let bookings = booking_service(&app.store, &app.clock);
        let twilio = voice_gateway::TwilioSettings {
            public_base_url: PUBLIC_URL.to_owned(),
            validator: Arc::new(frontdesk_twilio::RequestValidator::new(TWILIO_TOKEN)),
            dialogue: Arc::new(frontdesk_routing::Dialogue::new(bookings.clone())),
            check_durations: false,
            transcribe_messages: false,
        };
        let (mut state, billing) = gateway_state(app.store.clone(), app.clock.clone(), bookings, Some(twilio)).await;
        let session = frontdesk_llm::SessionConfig {
            instructions: "You are the shop's receptionist.".to_owned(),
            ..voice_gateway::realtime::RealtimeStreams::default_session(Some("gpt-4o-mini-transcribe".to_owned()))
        };
        let streams = voice_gateway::realtime::RealtimeStreams::new(
            voice,
            frontdesk_voice_bridge::StreamTokens::new(SECRET.as_bytes()),
            session,
        );
        state.realtime = Some(Arc::new(streams.with_call_cap(cap)));
        state.metrics_token = Some(voice_gateway::metrics::MetricsToken::new(METRICS_TOKEN));
        let limits = HttpLimits { request_timeout: Duration::from_secs(10), body_limit_bytes: 64 * 1024 };
        app.router = router(state, limits);
        app.billing = billing;
        app
    }
}
