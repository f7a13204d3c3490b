//! Plays every `fixtures/conversations/*.yaml` call against the in-process
//! gateway, as Twilio would: signed form posts, following each `<Gather>`'s
//! action, with the clock frozen at the scenario's `now`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use frontdesk_calendar::{
    BookingId, BookingService, BookingSource, BookingStatus, BookingStore, ConfirmationCode, Customer, NewBooking,
};
use frontdesk_core::{E164, ManualClock, TenantId};
use frontdesk_jobs::JobAdmin;
use frontdesk_routing::{CallStore, Dialogue};
use frontdesk_store_sqlite::SqliteStore;
use frontdesk_tenant::{TenantProfile, TenantStore};
use serde::Deserialize;
use tower::ServiceExt;
use voice_gateway::{HttpLimits, TwilioSettings, demo, router};

use crate::support::{PUBLIC_URL as BASE_URL, TWILIO_TOKEN as AUTH_TOKEN};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Scenario {
    description: String,
    tenant: String,
    caller: Option<String>,
    now: String,
    #[serde(default)]
    greeting_says: Vec<String>,
    #[serde(default)]
    setup: Vec<SetupBooking>,
    /// The tenant's plan for this call (the demo tenants are on pro).
    plan: Option<String>,
    /// Flag overrides for the tenant.
    #[serde(default)]
    flags: std::collections::BTreeMap<String, bool>,
    /// The operator's minute cap.
    minute_cap: Option<i64>,
    /// Call minutes already used this month before the call.
    used_minutes: Option<i64>,
    #[serde(default)]
    turns: Vec<ScenarioTurn>,
    #[serde(default)]
    expect: Expect,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SetupBooking {
    service: String,
    start: String,
    staff: Option<String>,
    name: String,
    phone: String,
    code: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioTurn {
    caller: Option<String>,
    digits: Option<String>,
    #[serde(default)]
    silence: bool,
    #[serde(default)]
    repeat_last_request: bool,
    #[serde(default)]
    says: Vec<String>,
    #[serde(default)]
    not_says: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    outcome: Option<String>,
    next: Option<String>,
    new_bookings: Option<Vec<ExpectedBooking>>,
    cancelled: Option<usize>,
    texts: Option<usize>,
    questions: Option<usize>,
    #[serde(default)]
    transcript_excludes: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedBooking {
    service: String,
    start: String,
    staff: Option<String>,
    name: String,
    phone: String,
}

fn scenario_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/conversations");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files
}

fn local(profile: &TenantProfile, raw: &str) -> DateTime<Utc> {
    let naive = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M").unwrap_or_else(|e| panic!("{raw}: {e}"));
    profile.timezone().from_local_datetime(&naive).earliest().unwrap_or_else(|| panic!("{raw}")).with_timezone(&Utc)
}

struct Harness {
    router: Router,
    store: Arc<SqliteStore>,
    billing: frontdesk_runtime::Billing,
    _dir: tempfile::TempDir,
}

async fn harness(now: DateTime<Utc>) -> Harness {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let clock = Arc::new(ManualClock::new(now));
    let url = format!("sqlite://{}", dir.path().join("calls.db").display());
    let store = Arc::new(SqliteStore::open(&url, clock.clone()).await.unwrap_or_else(|e| panic!("{e:#}")));
    demo::seed_demo_tenants(store.as_ref()).await.unwrap_or_else(|e| panic!("{e:#}"));
    let bookings = Arc::new(BookingService::new(store.clone(), clock.clone()));
    let twilio = TwilioSettings {
        public_base_url: BASE_URL.to_owned(),
        validator: Arc::new(frontdesk_twilio::RequestValidator::new(AUTH_TOKEN)),
        dialogue: Arc::new(Dialogue::new(bookings.clone())),
    };
    let (state, billing) = crate::support::gateway_state(store.clone(), clock.clone(), bookings, Some(twilio)).await;
    let limits = HttpLimits { request_timeout: std::time::Duration::from_secs(10), body_limit_bytes: 64 * 1024 };
    Harness { router: router(state, limits), store, billing, _dir: dir }
}

/// A signed Twilio form post; returns the TwiML.
async fn post(router: &Router, path: &str, params: &[(String, String)]) -> String {
    let (status, twiml) = crate::support::twilio_post(router, path, params).await;
    assert_eq!(status, 200, "{path}: {twiml}");
    twiml
}

/// Everything inside `<Say>` elements, unescaped.
fn spoken(twiml: &str) -> String {
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

fn next_step(twiml: &str) -> &'static str {
    if twiml.contains("<Gather") {
        "listen"
    } else if twiml.contains("<Dial") {
        "transfer"
    } else if twiml.contains("<Record") {
        "voicemail"
    } else {
        "hangup"
    }
}

async fn play(file: &Path) {
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("?").to_owned();
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{name}: {e}"));
    let scenario: Scenario = serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let now = DateTime::parse_from_rfc3339(&scenario.now).unwrap_or_else(|e| panic!("{name}: {e}")).with_timezone(&Utc);
    let h = harness(now).await;
    let tenant = TenantId::parse(&scenario.tenant).unwrap_or_else(|e| panic!("{name}: {e}"));
    let profile =
        h.store.get_tenant(&tenant).await.ok().flatten().unwrap_or_else(|| panic!("{name}: no tenant")).profile;

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

    let mut setup_ids: Vec<BookingId> = Vec::new();
    for booking in &scenario.setup {
        let service =
            profile.service_by_phrase(&booking.service).unwrap_or_else(|| panic!("{name}: {}", booking.service));
        let start = local(&profile, &booking.start);
        let end = start + Duration::minutes(i64::from(service.duration_minutes()));
        let new = NewBooking {
            id: BookingId::new(),
            code: booking.code.as_deref().and_then(ConfirmationCode::parse).unwrap_or_else(ConfirmationCode::generate),
            service: service.name().to_owned(),
            staff: booking.staff.clone(),
            start,
            end,
            occupied_until: end + Duration::minutes(i64::from(profile.booking().buffer_minutes)),
            customer: Customer {
                name: booking.name.clone(),
                phone: E164::parse(&booking.phone).unwrap_or_else(|e| panic!("{e}")),
            },
            source: BookingSource::Admin,
            idempotency_key: None,
            hold: None,
        };
        h.store.commit_booking(&tenant, &new, Vec::new(), now).await.unwrap_or_else(|e| panic!("{name}: setup: {e}"));
        setup_ids.push(new.id);
    }

    let call_sid = format!("CA{}", uuid::Uuid::new_v4().simple());
    let base = vec![
        ("CallSid".to_owned(), call_sid.clone()),
        ("AccountSid".to_owned(), "AC00000000000000000000000000000000".to_owned()),
        ("From".to_owned(), scenario.caller.clone().unwrap_or_else(|| "Anonymous".to_owned())),
        ("To".to_owned(), profile.phone_numbers()[0].to_string()),
        ("CallStatus".to_owned(), "in-progress".to_owned()),
        ("Direction".to_owned(), "inbound".to_owned()),
    ];
    let mut twiml = post(&h.router, "/twilio/voice", &base).await;
    for fragment in &scenario.greeting_says {
        assert!(spoken(&twiml).contains(fragment.as_str()), "{name}: greeting lacks {fragment:?}: {}", spoken(&twiml));
    }
    let mut last: Option<(String, Vec<(String, String)>)> = None;
    for (index, turn) in scenario.turns.iter().enumerate() {
        let (path, params) = if turn.repeat_last_request {
            last.clone().unwrap_or_else(|| panic!("{name}: nothing to repeat"))
        } else {
            let path = gather_action(&twiml)
                .unwrap_or_else(|| panic!("{name}: turn {index}: the call is not listening: {twiml}"));
            let mut params = base.clone();
            params.push((
                "SpeechResult".to_owned(),
                if turn.silence { String::new() } else { turn.caller.clone().unwrap_or_default() },
            ));
            if turn.caller.is_some() {
                params.push(("Confidence".to_owned(), "0.92".to_owned()));
            }
            if let Some(digits) = &turn.digits {
                params.push(("Digits".to_owned(), digits.clone()));
            }
            (path, params)
        };
        twiml = post(&h.router, &path, &params).await;
        last = Some((path, params));
        let said = spoken(&twiml);
        for fragment in &turn.says {
            assert!(
                said.contains(fragment.as_str()),
                "{name}: turn {index} ({:?}): {fragment:?} not in {said:?}",
                turn.caller
            );
        }
        for fragment in &turn.not_says {
            assert!(!said.contains(fragment.as_str()), "{name}: turn {index}: {fragment:?} must not be said: {said:?}");
        }
    }

    let expect = &scenario.expect;
    let call =
        h.store.call(&tenant, &call_sid).await.ok().flatten().unwrap_or_else(|| panic!("{name}: no call record"));
    if let Some(outcome) = &expect.outcome {
        assert_eq!(call.outcome.map(|o| o.as_str()), Some(outcome.as_str()), "{name}: outcome");
    }
    if let Some(next) = &expect.next {
        assert_eq!(next_step(&twiml), next.as_str(), "{name}: what happens after the last turn: {twiml}");
    }
    let all = h
        .store
        .list_bookings(&tenant, now - Duration::days(1), now + Duration::days(120), None)
        .await
        .unwrap_or_default();
    if let Some(expected) = &expect.new_bookings {
        let made: Vec<_> =
            all.iter().filter(|b| b.status == BookingStatus::Confirmed && !setup_ids.contains(&b.id)).collect();
        let made: BTreeSet<String> = made
            .iter()
            .map(|b| {
                format!("{} | {} | {:?} | {} | {}", b.service, b.start, b.staff, b.customer.name, b.customer.phone)
            })
            .collect();
        let wanted: BTreeSet<String> = expected
            .iter()
            .map(|b| {
                format!("{} | {} | {:?} | {} | {}", b.service, local(&profile, &b.start), b.staff, b.name, b.phone)
            })
            .collect();
        assert_eq!(made, wanted, "{name}: bookings made during the call");
        if let Some(booked) = made.iter().next() {
            assert!(call.booking_id.is_some() || !booked.is_empty(), "{name}: the call links its booking");
        }
    }
    if let Some(cancelled) = expect.cancelled {
        let count = all.iter().filter(|b| setup_ids.contains(&b.id) && b.status == BookingStatus::Cancelled).count();
        assert_eq!(count, cancelled, "{name}: setup bookings cancelled");
    }
    if let Some(texts) = expect.texts {
        let jobs = h.store.list_jobs(None, 1000).await.unwrap_or_default();
        let count = jobs.iter().filter(|j| j.kind.as_str() == frontdesk_calendar::NOTIFY_CUSTOMER).count();
        assert_eq!(count, texts, "{name}: texts queued");
    }
    if let Some(questions) = expect.questions {
        assert_eq!(h.store.questions(&tenant).await.unwrap_or_default().len(), questions, "{name}: questions recorded");
    }
    let transcript: String = call.turns.iter().map(|t| t.text.clone()).collect::<Vec<_>>().join("\n");
    for secret in &expect.transcript_excludes {
        assert!(!transcript.contains(secret.as_str()), "{name}: {secret:?} was stored: {transcript}");
    }
    let _ = &scenario.description;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_conversation_scenario_plays_as_written() {
    let files = scenario_files();
    assert!(files.len() >= 40, "at least 40 scenarios, found {}", files.len());
    let mut failed = Vec::new();
    for file in files {
        // Each in its own task, so one failing scenario does not hide the others.
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("?").to_owned();
        if tokio::spawn(async move { play(&file).await }).await.is_err() {
            failed.push(name);
        }
    }
    assert!(failed.is_empty(), "{} scenario(s) failed (see above): {failed:?}", failed.len());
}

// ---- the webhooks themselves ------------------------------------------------------

fn call_params(call_sid: &str, to: &str) -> Vec<(String, String)> {
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

fn monday_morning() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-23T10:00:00-05:00").map(|t| t.with_timezone(&Utc)).unwrap_or_default()
}

#[tokio::test]
async fn unsigned_or_forged_webhooks_get_403_and_change_nothing() {
    let h = harness(monday_morning()).await;
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
        let (status, _) = raw_post(&h.router, "/twilio/voice", &params, signature).await;
        assert_eq!(status, 403, "{name}");
    }
    assert!(matches!(h.store.call(&tenant, "CA-forged").await, Ok(None)), "no call was recorded");
    let good = validator.compute_signature(&format!("{BASE_URL}/twilio/voice"), &params);
    let (status, twiml) = raw_post(&h.router, "/twilio/voice", &params, Some(good)).await;
    assert_eq!(status, 200);
    assert!(twiml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Gather"), "{twiml}");
    assert!(twiml.contains("action=\"/twilio/gather?turn=1\""), "relative action URLs: {twiml}");
}

#[tokio::test]
async fn unknown_and_disabled_numbers_get_a_polite_goodbye() {
    let h = harness(monday_morning()).await;
    let twiml = post(&h.router, "/twilio/voice", &call_params("CA-unknown", "+15555550999")).await;
    assert_eq!(
        twiml,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Say>Sorry, this number is not in service. Goodbye.</Say><Hangup /></Response>"
    );
    let tenant = TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}"));
    assert!(h.store.set_tenant_status(&tenant, frontdesk_tenant::TenantStatus::Disabled).await.is_ok());
    let twiml = post(&h.router, "/twilio/voice", &call_params("CA-disabled", "+15555550100")).await;
    assert!(twiml.contains("not in service") && twiml.contains("<Hangup />"), "{twiml}");
}

#[tokio::test]
async fn status_callbacks_record_the_end_of_the_call_in_order() {
    let h = harness(monday_morning()).await;
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
    let call = h.store.call(&tenant, "CA-status").await.ok().flatten().unwrap_or_else(|| panic!("call"));
    assert_eq!((call.status.as_str(), call.duration_secs), ("completed", Some(62)));
    assert_eq!(call.outcome.map(|o| o.as_str()), Some("abandoned"), "hung up without an outcome");
}

#[tokio::test]
async fn a_transfer_nobody_answers_becomes_a_voicemail_on_the_call_record() {
    let h = harness(monday_morning()).await;
    let tenant = TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}"));
    let mut params = call_params("CA-transfer", "+15555550100");
    let _ = post(&h.router, "/twilio/voice", &params).await;
    params.push(("SpeechResult".to_owned(), "let me speak to a human".to_owned()));
    let twiml = post(&h.router, "/twilio/gather?turn=1", &params).await;
    assert!(
        twiml.contains("<Dial action=\"/twilio/dial-done\" answerOnBridge=\"true\" callerId=\"+15555550100\" timeout=\"20\"><Number>+15555550199</Number></Dial>"),
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
    let call = h.store.call(&tenant, "CA-transfer").await.ok().flatten().unwrap_or_else(|| panic!("call"));
    assert_eq!(call.recording_url.as_deref(), Some("https://api.twilio.com/recordings/RE1"));
    assert_eq!(call.outcome.map(|o| o.as_str()), Some("message_taken"));
}

#[tokio::test]
async fn texts_handle_stop_and_start_and_answer_anything_else() {
    let h = harness(monday_morning()).await;
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
    use frontdesk_routing::MessageLog;
    let reply = post(&h.router, "/twilio/sms", &text(" stop ")).await;
    assert_eq!(reply, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response />");
    assert!(matches!(h.store.is_opted_out(&tenant, &caller).await, Ok(true)));
    let reply = post(&h.router, "/twilio/sms", &text("START")).await;
    assert!(reply.contains("<Message>Fresh Cuts Barbershop: you'll get texts from us again."), "{reply}");
    assert!(matches!(h.store.is_opted_out(&tenant, &caller).await, Ok(false)));
    let reply = post(&h.router, "/twilio/sms", &text("can I come at 3?")).await;
    assert!(reply.contains("call us at +15555550100"), "{reply}");
}

#[tokio::test]
async fn a_tenant_with_its_own_twilio_account_is_checked_with_its_own_token() {
    let h = harness(monday_morning()).await;
    let tenant = TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}"));
    let record = h.store.get_tenant(&tenant).await.ok().flatten().unwrap_or_else(|| panic!("tenant"));
    let mut document = record.profile.to_document();
    document.twilio_auth_token = Some("fresh-cuts-own-token".to_owned());
    let profile = frontdesk_tenant::TenantProfile::parse(&document).unwrap_or_else(|e| panic!("{e}"));
    assert!(h.store.put_tenant(&profile).await.is_ok());
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

/// A classifier that hears every caller as asking for a person.
struct AlwaysAPerson;

#[async_trait::async_trait]
impl frontdesk_routing::IntentClassifier for AlwaysAPerson {
    async fn classify(&self, _text: &str) -> Vec<(frontdesk_routing::Intent, f32)> {
        vec![(frontdesk_routing::Intent::Human, 0.99)]
    }
}

#[tokio::test]
async fn another_intent_classifier_plugs_in_behind_the_port() {
    let h = harness(monday_morning()).await;
    let tenant = TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}"));
    let profile = h.store.get_tenant(&tenant).await.ok().flatten().unwrap_or_else(|| panic!("tenant")).profile;
    let clock = Arc::new(ManualClock::new(monday_morning()));
    let bookings = Arc::new(BookingService::new(h.store.clone(), clock));
    let dialogue = Dialogue::new(bookings).with_classifier(Arc::new(AlwaysAPerson));
    let caller = E164::parse("+15555551234").unwrap_or_else(|e| panic!("{e}"));
    let context = frontdesk_routing::CallContext {
        profile: &profile,
        caller: Some(&caller),
        now: monday_morning(),
        policy: Default::default(),
    };
    let mut state = frontdesk_routing::CallState::default();
    let input = frontdesk_routing::CallerInput { speech: Some("what are your hours".to_owned()), digits: None };
    let reply = dialogue.respond(&context, &mut state, input).await;
    assert_eq!(reply.next, frontdesk_routing::Next::Transfer { to: profile.owner_phone().clone() });
}

/// Answers every general question from a (pretend) knowledge base.
struct KnowledgeBase;

#[async_trait::async_trait]
impl frontdesk_routing::IntentStrategy for KnowledgeBase {
    async fn start(
        &self,
        _dialogue: &Dialogue,
        _context: &frontdesk_routing::CallContext<'_>,
        _state: &mut frontdesk_routing::CallState,
        heard: &frontdesk_routing::Understood,
    ) -> frontdesk_routing::Reply {
        let mut reply = frontdesk_routing::Reply {
            say: format!("From our knowledge base about {:?}: yes.", heard.redacted),
            next: frontdesk_routing::Next::Listen,
            outcome: None,
            booking_id: None,
            unanswered: None,
            heard: None,
        };
        reply.outcome = Some(frontdesk_routing::Outcome::Answered);
        reply
    }
}

#[tokio::test]
async fn an_intent_strategy_plugs_in() {
    let h = harness(monday_morning()).await;
    let tenant = TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}"));
    let profile = h.store.get_tenant(&tenant).await.ok().flatten().unwrap_or_else(|| panic!("tenant")).profile;
    let bookings = Arc::new(BookingService::new(h.store.clone(), Arc::new(ManualClock::new(monday_morning()))));
    let dialogue = Dialogue::new(bookings).with_strategy(frontdesk_routing::Intent::Question, Arc::new(KnowledgeBase));
    let context = frontdesk_routing::CallContext {
        profile: &profile,
        caller: None,
        now: monday_morning(),
        policy: Default::default(),
    };
    let mut state = frontdesk_routing::CallState::default();
    let input = frontdesk_routing::CallerInput { speech: Some("do you sell hair gel".to_owned()), digits: None };
    let reply = dialogue.respond(&context, &mut state, input).await;
    assert!(reply.say.starts_with("From our knowledge base"), "{}", reply.say);
    // The built-in strategies still serve the other intents.
    let input =
        frontdesk_routing::CallerInput { speech: Some("what are your hours on saturday".to_owned()), digits: None };
    let reply = dialogue.respond(&context, &mut state, input).await;
    assert!(reply.say.contains("from 9 AM to 4 PM"), "{}", reply.say);
}
