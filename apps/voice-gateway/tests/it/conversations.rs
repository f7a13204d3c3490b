//! Plays every `fixtures/conversations/*.yaml` call against the in-process
//! gateway, as Twilio would: signed form posts, following each `<Gather>`'s
//! action, with the clock frozen at the scenario's `now`; on SQLite, and on
//! PostgreSQL when `FRONTDESK_TEST_POSTGRES_URL` is set.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use chrono::{DateTime, Duration, Utc};
use frontdesk_calendar::BookingService;
use frontdesk_conversations::{AfterTheCall, CallerTurn, Heard, Line, NextStep, Scenario, book_setup, play};
use frontdesk_core::{E164, ManualClock, TenantId};
use frontdesk_routing::{CallSid, CallStore, Dialogue};
use frontdesk_runtime::Backend;
use frontdesk_store_sqlite::SqliteStore;
use frontdesk_tenant::{TenantProfile, TenantStore};
use tower::ServiceExt;
use voice_gateway::{HttpLimits, TwilioSettings, demo, router};

use crate::support::{PUBLIC_URL as BASE_URL, TWILIO_TOKEN as AUTH_TOKEN};

pub(crate) struct Harness {
    pub(crate) router: Router,
    pub(crate) backend: Backend,
    /// The language model behind the dialogue, scripted turn by turn.
    model: Arc<frontdesk_llm::ScriptedModel>,
    billing: frontdesk_runtime::Billing,
    _dir: Option<tempfile::TempDir>,
}

/// The gateway on a fresh SQLite database.
async fn harness(now: DateTime<Utc>) -> (Harness, Arc<SqliteStore>) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let clock = Arc::new(ManualClock::new(now));
    let url = format!("sqlite://{}", dir.path().join("calls.db").display());
    let store = Arc::new(SqliteStore::open(&url, clock.clone()).await.unwrap_or_else(|e| panic!("{e:#}")));
    let mut harness = harness_on(Backend::from_store("sqlite", store.clone()), clock).await;
    harness._dir = Some(dir);
    (harness, store)
}

/// The gateway on a fresh PostgreSQL database.
async fn postgres_harness(server: &str, now: DateTime<Utc>) -> Harness {
    let model = Arc::new(frontdesk_llm::ScriptedModel::default());
    postgres_harness_with(server, now, model.clone(), model).await
}

/// The gateway on a fresh PostgreSQL database, its dialogue asking `model`.
pub(crate) async fn postgres_harness_with_model(
    server: &str,
    now: DateTime<Utc>,
    model: Arc<dyn frontdesk_llm::LanguageModel>,
) -> Harness {
    postgres_harness_with(server, now, Arc::new(frontdesk_llm::ScriptedModel::default()), model).await
}

async fn postgres_harness_with(
    server: &str,
    now: DateTime<Utc>,
    scripted: Arc<frontdesk_llm::ScriptedModel>,
    model: Arc<dyn frontdesk_llm::LanguageModel>,
) -> Harness {
    let name = format!("frontdesk_test_{}", uuid::Uuid::new_v4().simple());
    let url = frontdesk_store_postgres::PostgresStore::create_database(server, &name)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    let clock = Arc::new(ManualClock::new(now));
    let store = frontdesk_store_postgres::PostgresStore::connect_sized(&url, clock.clone(), 4)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    harness_with(Backend::from_store("postgres", Arc::new(store)), clock, scripted, model).await
}

pub(crate) async fn harness_on(backend: Backend, clock: Arc<ManualClock>) -> Harness {
    let model = Arc::new(frontdesk_llm::ScriptedModel::default());
    harness_with(backend, clock, model.clone(), model).await
}

/// The gateway over `backend`; `scripted` is what a [`WebhookLine`]
/// scripts, `model` what the dialogue asks (the same, or another model).
async fn harness_with(
    backend: Backend,
    clock: Arc<ManualClock>,
    scripted: Arc<frontdesk_llm::ScriptedModel>,
    model: Arc<dyn frontdesk_llm::LanguageModel>,
) -> Harness {
    demo::seed_demo_tenants(backend.tenants.as_ref()).await.unwrap_or_else(|e| panic!("{e:#}"));
    let bookings = Arc::new(BookingService::new(backend.bookings.clone(), clock.clone()));
    // As in production: questions the rules cannot answer are asked of the
    // shop's knowledge (here its profile alone).
    let retriever = Arc::new(frontdesk_rag::Retriever::new(backend.knowledge.clone()));
    // And what the rules cannot place goes to the model.
    let twilio = TwilioSettings {
        public_base_url: BASE_URL.to_owned(),
        validator: Arc::new(frontdesk_twilio::RequestValidator::new(AUTH_TOKEN)),
        dialogue: Arc::new(Dialogue::new(bookings.clone()).with_knowledge(retriever.clone()).with_model(model)),
        check_durations: false,
        transcribe_messages: false,
    };
    let (mut state, billing) = crate::support::gateway_state_on(backend.clone(), clock, bookings, Some(twilio)).await;
    state.retriever = retriever;
    let limits = HttpLimits { request_timeout: std::time::Duration::from_secs(10), body_limit_bytes: 64 * 1024 };
    Harness { router: router(state, limits), backend, model: scripted, billing, _dir: None }
}

/// A signed Twilio form post; returns the TwiML.
pub(crate) async fn post(router: &Router, path: &str, params: &[(String, String)]) -> String {
    let (status, twiml) = crate::support::twilio_post(router, path, params).await;
    assert_eq!(status, 200, "{path}: {twiml}");
    twiml
}

/// Everything inside `<Say>` elements, unescaped.
pub(crate) fn spoken(twiml: &str) -> String {
    let mut out = Vec::new();
    let mut rest = twiml;
    while let Some(start) = rest.find("<Say") {
        let after = &rest[start..];
        let Some(open_end) = after.find('>') else { break };
        let Some(close) = after.find("</Say>") else { break };
        out.push(after[open_end + 1..close].replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"));
        rest = &after[close..];
    }
    out.join(" ")
}

fn gather_action(twiml: &str) -> Option<String> {
    let gather = &twiml[twiml.find("<Gather")?..];
    let action = &gather[gather.find("action=\"")? + 8..];
    Some(action[..action.find('"')?].replace("&amp;", "&"))
}

fn next_step(twiml: &str) -> NextStep {
    if twiml.contains("<Gather") {
        NextStep::Listen
    } else if twiml.contains("<Dial") {
        NextStep::Transfer
    } else if twiml.contains("<Record") {
        NextStep::Voicemail
    } else {
        NextStep::Hangup
    }
}

/// A call through the gateway's webhooks, as Twilio places it.
struct WebhookLine {
    router: Router,
    backend: Backend,
    tenant: TenantId,
    call_sid: String,
    base: Vec<(String, String)>,
    now: DateTime<Utc>,
    twiml: String,
    last: Option<(String, Vec<(String, String)>)>,
    model: Arc<frontdesk_llm::ScriptedModel>,
}

impl WebhookLine {
    async fn post(&mut self, path: String, params: Vec<(String, String)>) -> Heard {
        self.twiml = post(&self.router, &path, &params).await;
        self.last = Some((path, params));
        Heard { said: spoken(&self.twiml), next: next_step(&self.twiml) }
    }
}

#[async_trait::async_trait]
impl Line for WebhookLine {
    async fn dial(&mut self) -> Heard {
        self.twiml = post(&self.router, "/twilio/voice", &self.base).await;
        Heard { said: spoken(&self.twiml), next: next_step(&self.twiml) }
    }

    async fn say(&mut self, turn: &CallerTurn) -> Heard {
        self.model.answer_next(turn.llm.iter().flat_map(|script| script.replies()));
        let path = gather_action(&self.twiml).unwrap_or_else(|| panic!("the call is not listening: {}", self.twiml));
        let mut params = self.base.clone();
        params.push(("SpeechResult".to_owned(), turn.speech().to_owned()));
        if turn.caller.is_some() {
            params.push(("Confidence".to_owned(), "0.92".to_owned()));
        }
        if let Some(digits) = &turn.digits {
            params.push(("Digits".to_owned(), digits.clone()));
        }
        self.post(path, params).await
    }

    async fn repeat_last(&mut self) -> Heard {
        let (path, params) = self.last.clone().unwrap_or_else(|| panic!("nothing to repeat"));
        self.post(path, params).await
    }

    async fn after(&mut self) -> AfterTheCall {
        let sid = CallSid::parse(&self.call_sid).unwrap_or_else(|e| panic!("{e}"));
        let call =
            self.backend.calls.call(&self.tenant, &sid).await.ok().flatten().unwrap_or_else(|| panic!("no call"));
        let bookings = self
            .backend
            .bookings
            .list_bookings(&self.tenant, self.now - Duration::days(1), self.now + Duration::days(120), None)
            .await
            .unwrap_or_default();
        let jobs = self.backend.job_admin.list_jobs(None, 1000).await.unwrap_or_default();
        AfterTheCall {
            outcome: call.outcome.map(|o| o.as_str().to_owned()),
            bookings,
            texts: jobs.iter().filter(|j| j.kind.as_str() == frontdesk_calendar::NOTIFY_CUSTOMER).count(),
            questions: self.backend.calls.questions(&self.tenant).await.unwrap_or_default().len(),
            transcript: call.turns.iter().map(|t| t.text.clone()).collect::<Vec<_>>().join("\n"),
            model_turns: self.model.requests().len(),
        }
    }
}

/// Sets up the scenario's world on `h` and plays it through the webhooks.
async fn play_through_webhooks(name: &str, scenario: &Scenario, h: &Harness) {
    let now = scenario.now();
    let tenant = TenantId::parse(&scenario.tenant).unwrap_or_else(|e| panic!("{name}: {e}"));
    let profile: TenantProfile = h
        .backend
        .tenants
        .get_tenant(&tenant)
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("{name}: no tenant"))
        .profile;
    if let Some(plan) = &scenario.plan {
        let plan = frontdesk_core::Plan::parse(plan).unwrap_or_else(|e| panic!("{name}: {e}"));
        h.billing.flags.set_plan(&tenant, plan, now, &[]).await.unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    for (flag, enabled) in &scenario.flags {
        let flag = frontdesk_flags::Flag::parse(flag).unwrap_or_else(|e| panic!("{name}: {e}"));
        h.billing.flags.set_flag(&tenant, flag, Some(*enabled), now).await.unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    if let Some(cap) = scenario.minute_cap {
        h.billing.metering.set_minute_cap(&tenant, Some(cap)).await.unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    if let Some(minutes) = scenario.used_minutes {
        let earlier = now - Duration::minutes(minutes + 5);
        h.billing
            .metering
            .record_call(&tenant, "CA-earlier-calls", minutes * 60, earlier.max(now - Duration::hours(1)))
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let setup = book_setup(h.backend.bookings.as_ref(), &profile, scenario).await;
    let call_sid = format!("CA{}", uuid::Uuid::new_v4().simple());
    let base = vec![
        ("CallSid".to_owned(), call_sid.clone()),
        ("AccountSid".to_owned(), "AC00000000000000000000000000000000".to_owned()),
        ("From".to_owned(), scenario.caller.clone().unwrap_or_else(|| "Anonymous".to_owned())),
        ("To".to_owned(), profile.phone_numbers()[0].to_string()),
        ("CallStatus".to_owned(), "in-progress".to_owned()),
        ("Direction".to_owned(), "inbound".to_owned()),
    ];
    let mut line = WebhookLine {
        router: h.router.clone(),
        backend: h.backend.clone(),
        tenant,
        call_sid,
        base,
        now,
        twiml: String::new(),
        last: None,
        model: h.model.clone(),
    };
    play(name, scenario, &profile, &setup, &mut line).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_conversation_scenario_plays_through_the_webhooks_on_sqlite() {
    frontdesk_conversations::play_every_scenario(|name, scenario| async move {
        let (h, _store) = harness(scenario.now()).await;
        play_through_webhooks(&name, &scenario, &h).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_conversation_scenario_plays_through_the_webhooks_on_postgres() {
    let Ok(server) = std::env::var("FRONTDESK_TEST_POSTGRES_URL") else {
        eprintln!("skipped: FRONTDESK_TEST_POSTGRES_URL is not set");
        return;
    };
    frontdesk_conversations::play_every_scenario(move |name, scenario| {
        let server = server.clone();
        async move {
            let h = postgres_harness(&server, scenario.now()).await;
            play_through_webhooks(&name, &scenario, &h).await;
        }
    })
    .await;
}

// ---- the webhooks themselves ------------------------------------------------------

pub(crate) fn call_params(call_sid: &str, to: &str) -> Vec<(String, String)> {
    vec![
        ("CallSid".to_owned(), call_sid.to_owned()),
        ("From".to_owned(), "+15555551234".to_owned()),
        ("To".to_owned(), to.to_owned()),
        ("CallStatus".to_owned(), "ringing".to_owned()),
    ]
}

async fn raw_post(
    router: &Router,
    path: &str,
    params: &[(String, String)],
    signature: Option<String>,
) -> (u16, String) {
    let body: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(params.iter()).finish();
    let mut request = Request::post(path).header("content-type", "application/x-www-form-urlencoded");
    if let Some(signature) = signature {
        request = request.header("x-twilio-signature", signature);
    }
    let response = router.clone().oneshot(request.body(Body::from(body)).unwrap_or_else(|e| panic!("{e}"))).await;
    let response = response.unwrap_or_else(|e| match e {});
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap_or_default();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

fn sid(raw: &str) -> CallSid {
    CallSid::parse(raw).unwrap_or_else(|e| panic!("{e}"))
}

pub(crate) fn monday_morning() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-23T10:00:00-05:00").map(|t| t.with_timezone(&Utc)).unwrap_or_default()
}

#[tokio::test]
async fn unsigned_or_forged_webhooks_get_403_and_change_nothing() {
    let (h, store) = harness(monday_morning()).await;
    let tenant = TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}"));
    let params = call_params("CA-forged", "+15555550100");
    let validator = frontdesk_twilio::RequestValidator::new(AUTH_TOKEN);
    let cases = [
        ("missing", None),
        (
            "wrong token",
            Some(
                frontdesk_twilio::RequestValidator::new("other")
                    .compute_signature(&format!("{BASE_URL}/twilio/voice"), &params),
            ),
        ),
        // Signed over what the Host header would say instead of the public URL.
        ("host header url", Some(validator.compute_signature("http://localhost/twilio/voice", &params))),
        ("other path", Some(validator.compute_signature(&format!("{BASE_URL}/twilio/sms"), &params))),
    ];
    for (name, signature) in cases {
        let missing = signature.is_none();
        let (status, body) = raw_post(&h.router, "/twilio/voice", &params, signature).await;
        assert_eq!(status, 403, "{name}");
        let error: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        let code = if missing { "missing_signature" } else { "invalid_signature" };
        assert_eq!(error["error"]["code"], code, "{name}: {body}");
        if !missing {
            let message = error["error"]["message"].as_str().unwrap_or_default();
            assert!(message.contains("FRONTDESK_PUBLIC_BASE_URL"), "the fix is named: {body}");
        }
    }
    assert!(matches!(store.call(&tenant, &sid("CA-forged")).await, Ok(None)), "no call was recorded");
    let good = validator.compute_signature(&format!("{BASE_URL}/twilio/voice"), &params);
    let (status, twiml) = raw_post(&h.router, "/twilio/voice", &params, Some(good)).await;
    assert_eq!(status, 200);
    assert!(twiml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Gather"), "{twiml}");
    assert!(twiml.contains("action=\"/twilio/gather?turn=1\""), "relative action URLs: {twiml}");
}

#[tokio::test]
async fn unknown_and_disabled_numbers_get_a_polite_goodbye() {
    let (h, store) = harness(monday_morning()).await;
    let twiml = post(&h.router, "/twilio/voice", &call_params("CA-unknown", "+15555550999")).await;
    assert_eq!(
        twiml,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Say>Sorry, this number is not in service. Goodbye.</Say><Hangup /></Response>"
    );
    let tenant = TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}"));
    assert!(store.set_tenant_status(&tenant, frontdesk_tenant::TenantStatus::Disabled).await.is_ok());
    let twiml = post(&h.router, "/twilio/voice", &call_params("CA-disabled", "+15555550100")).await;
    assert!(twiml.contains("not in service") && twiml.contains("<Hangup />"), "{twiml}");
}

#[tokio::test]
async fn status_callbacks_record_the_end_of_the_call_in_order() {
    let (h, store) = harness(monday_morning()).await;
    let tenant = TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}"));
    let _ = post(&h.router, "/twilio/voice", &call_params("CA-status", "+15555550100")).await;
    let status = |sequence: &str, call_status: &str, duration: Option<&str>| {
        let mut params = call_params("CA-status", "+15555550100");
        params.retain(|(k, _)| k != "CallStatus");
        params.push(("CallStatus".to_owned(), call_status.to_owned()));
        params.push(("SequenceNumber".to_owned(), sequence.to_owned()));
        if let Some(d) = duration {
            params.push(("CallDuration".to_owned(), d.to_owned()));
        }
        params
    };
    let url = format!("{BASE_URL}/twilio/status");
    for params in
        [status("3", "completed", Some("62")), status("1", "ringing", None), status("3", "completed", Some("62"))]
    {
        let signature = frontdesk_twilio::RequestValidator::new(AUTH_TOKEN).compute_signature(&url, &params);
        let (code, _) = raw_post(&h.router, "/twilio/status", &params, Some(signature)).await;
        assert_eq!(code, 204);
    }
    let call = store.call(&tenant, &sid("CA-status")).await.ok().flatten().unwrap_or_else(|| panic!("call"));
    assert_eq!((call.status.as_str(), call.duration_secs), ("completed", Some(62)));
    assert_eq!(call.outcome.map(|o| o.as_str()), Some("abandoned"), "hung up without an outcome");
}

#[tokio::test]
async fn a_call_costs_the_longest_duration_reported_for_it() {
    let (h, _store) = harness(monday_morning()).await;
    let tenant = TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}"));
    let _ = post(&h.router, "/twilio/voice", &call_params("CA-billed", "+15555550100")).await;
    let completed = |sequence: &str, seconds: &str| {
        let mut params = call_params("CA-billed", "+15555550100");
        params.retain(|(k, _)| k != "CallStatus");
        params.push(("CallStatus".to_owned(), "completed".to_owned()));
        params.push(("SequenceNumber".to_owned(), sequence.to_owned()));
        params.push(("CallDuration".to_owned(), seconds.to_owned()));
        params
    };
    // A short first report (with a high sequence), the real one, a repeat and a shorter one.
    for (sequence, seconds) in [("99", "1"), ("3", "125"), ("3", "125"), ("4", "30")] {
        let (status, _) = crate::support::twilio_post(&h.router, "/twilio/status", &completed(sequence, seconds)).await;
        assert_eq!(status, 204);
    }
    let period = frontdesk_billing::BillingPeriod::containing(monday_morning(), chrono_tz::America::New_York);
    let report = h.billing.metering.report(&tenant, period).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.totals.call_minutes, 3, "125 seconds are 3 minutes, counted once");
}

#[tokio::test]
async fn a_transfer_nobody_answers_becomes_a_voicemail_on_the_call_record() {
    let (h, store) = harness(monday_morning()).await;
    let tenant = TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}"));
    let mut params = call_params("CA-transfer", "+15555550100");
    let _ = post(&h.router, "/twilio/voice", &params).await;
    params.push(("SpeechResult".to_owned(), "let me speak to a human".to_owned()));
    let twiml = post(&h.router, "/twilio/gather?turn=1", &params).await;
    assert!(
        twiml.contains("<Dial action=\"/twilio/dial-done\" answerOnBridge=\"true\" callerId=\"+15555550100\" timeout=\"20\"><Number url=\"/twilio/whisper\">+15555550199</Number></Dial>"),
        "{twiml}"
    );
    let mut dial = call_params("CA-transfer", "+15555550100");
    dial.push(("DialCallStatus".to_owned(), "no-answer".to_owned()));
    dial.push(("DialCallSid".to_owned(), "CA-leg".to_owned()));
    let twiml = post(&h.router, "/twilio/dial-done", &dial).await;
    assert!(twiml.contains("<Record action=\"/twilio/recording\""), "{twiml}");
    let mut recording = call_params("CA-transfer", "+15555550100");
    recording.push(("RecordingUrl".to_owned(), "https://api.twilio.com/recordings/RE1".to_owned()));
    recording.push(("RecordingSid".to_owned(), "RE1".to_owned()));
    let twiml = post(&h.router, "/twilio/recording", &recording).await;
    assert!(twiml.contains("<Hangup />"), "{twiml}");
    let call = store.call(&tenant, &sid("CA-transfer")).await.ok().flatten().unwrap_or_else(|| panic!("call"));
    assert_eq!(call.recording_url.as_deref(), Some("https://api.twilio.com/recordings/RE1"));
    assert_eq!(call.outcome.map(|o| o.as_str()), Some("message_taken"));
}

#[tokio::test]
async fn texts_handle_stop_and_start_and_answer_anything_else() {
    let (h, store) = harness(monday_morning()).await;
    let tenant = TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}"));
    let caller = E164::parse("+15555551234").unwrap_or_else(|e| panic!("{e}"));
    let text = |body: &str| {
        vec![
            ("MessageSid".to_owned(), "SM1".to_owned()),
            ("From".to_owned(), caller.to_string()),
            ("To".to_owned(), "+15555550100".to_owned()),
            ("Body".to_owned(), body.to_owned()),
        ]
    };
    use frontdesk_messaging::MessageLog;
    let reply = post(&h.router, "/twilio/sms", &text(" stop ")).await;
    assert_eq!(reply, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response />");
    assert!(matches!(store.is_opted_out(&tenant, &caller).await, Ok(true)));
    let reply = post(&h.router, "/twilio/sms", &text("START")).await;
    assert!(reply.contains("<Message>Fresh Cuts Barbershop: you'll get texts from us again."), "{reply}");
    assert!(matches!(store.is_opted_out(&tenant, &caller).await, Ok(false)));
    let reply = post(&h.router, "/twilio/sms", &text("can I come at 3?")).await;
    assert!(reply.contains("call us at +15555550100"), "{reply}");
}

#[tokio::test]
async fn a_tenant_with_its_own_twilio_account_is_checked_with_its_own_token() {
    let (h, store) = harness(monday_morning()).await;
    let tenant = TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}"));
    let record = store.get_tenant(&tenant).await.ok().flatten().unwrap_or_else(|| panic!("tenant"));
    let mut document = record.profile.to_document();
    document.twilio_auth_token = Some("fresh-cuts-own-token".to_owned());
    let profile = frontdesk_tenant::TenantProfile::parse(&document).unwrap_or_else(|e| panic!("{e}"));
    assert!(store.put_tenant(&profile).await.is_ok());
    assert!(!format!("{profile:?}").contains("fresh-cuts-own-token"), "Debug never shows the token");

    let params = call_params("CA-own-token", "+15555550100");
    let url = format!("{BASE_URL}/twilio/voice");
    let platform = frontdesk_twilio::RequestValidator::new(AUTH_TOKEN).compute_signature(&url, &params);
    let (status, _) = raw_post(&h.router, "/twilio/voice", &params, Some(platform)).await;
    assert_eq!(status, 403, "the platform token no longer speaks for this tenant");
    let own = frontdesk_twilio::RequestValidator::new("fresh-cuts-own-token").compute_signature(&url, &params);
    let (status, twiml) = raw_post(&h.router, "/twilio/voice", &params, Some(own)).await;
    assert_eq!(status, 200, "{twiml}");

    // Other tenants still use the platform token.
    let clinic = call_params("CA-clinic", "+15555550200");
    let twiml = post(&h.router, "/twilio/voice", &clinic).await;
    assert!(twiml.contains("Bright Smile"), "{twiml}");
}
