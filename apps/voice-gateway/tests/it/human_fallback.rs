//! The human fallback through the gateway (fresh-cuts, on Pro, open on
//! Tuesday 2026-11-24 at 10:00 in New York): a warm transfer whispers who
//! is calling to the owner and only their press of 1 connects; anything
//! else (no answer, a decline, their voicemail picking up) leaves the
//! caller with us: a message, a callback with the recording and its
//! transcription, and a text to the owner.

use axum::http::{Method, StatusCode};
use frontdesk_routing::{CallSid, CallbackStatus, CallbackStore, NOTIFY_OWNER};
use serde_json::{Value, json};

use crate::support::TestApp;

const SHOP: &str = "+15555550100";
const OWNER: &str = "+15555550199";
const CALLER: &str = "+15555551234";
pub(crate) const CALL: &str = "CA-warm";
pub(crate) const LEG: &str = "CA-owner-leg";

fn fresh_cuts() -> frontdesk_core::TenantId {
    frontdesk_core::TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}"))
}

/// A webhook of the caller's call.
pub(crate) async fn caller_leg(app: &TestApp, path: &str, extra: &[(&str, &str)]) -> String {
    let mut params = vec![("CallSid", CALL), ("From", CALLER), ("To", SHOP), ("CallStatus", "in-progress")];
    params.extend_from_slice(extra);
    let (status, twiml) = app.twilio(path, &params).await;
    assert_eq!(status, StatusCode::OK, "{path}: {twiml}");
    twiml
}

/// A webhook of the leg ringing the owner: from the shop's number.
async fn owner_leg(app: &TestApp, path: &str, extra: &[(&str, &str)]) -> String {
    let mut params = vec![
        ("CallSid", LEG),
        ("ParentCallSid", CALL),
        ("From", SHOP),
        ("To", OWNER),
        ("Direction", "outbound-dial"),
        ("CallStatus", "in-progress"),
    ];
    params.extend_from_slice(extra);
    let (status, twiml) = app.twilio(path, &params).await;
    assert_eq!(status, StatusCode::OK, "{path}: {twiml}");
    twiml
}

/// A caller who gave their name while booking asks for a person.
pub(crate) async fn asks_for_a_person(app: &TestApp) {
    caller_leg(app, "/twilio/voice", &[]).await;
    caller_leg(app, "/twilio/gather?turn=1", &[("SpeechResult", "I'd like a skin fade on Friday at 3 pm")]).await;
    let twiml =
        caller_leg(app, "/twilio/gather?turn=2", &[("SpeechResult", "actually can I talk to a real person")]).await;
    assert!(
        twiml.contains("<Dial action=\"/twilio/dial-done\" answerOnBridge=\"true\" callerId=\"+15555550100\" timeout=\"20\"><Number url=\"/twilio/whisper\">+15555550199</Number></Dial>"),
        "{twiml}"
    );
}

async fn owner_notices(app: &TestApp) -> Vec<(String, String, String)> {
    let listed = app.admin(Method::GET, "/admin/jobs?limit=200", None).await.body;
    listed["jobs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|job| job["kind"] == NOTIFY_OWNER)
        .map(|job| {
            (
                job["payload"]["body"].as_str().unwrap_or_default().to_owned(),
                job["state"].as_str().unwrap_or_default().to_owned(),
                job["run_at"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

async fn call_json(app: &TestApp) -> Value {
    app.admin(Method::GET, &format!("/admin/tenants/fresh-cuts/calls/{CALL}"), None).await.body
}

#[tokio::test]
async fn the_owner_hears_who_is_calling_and_only_pressing_1_connects() {
    let app = TestApp::new().await;
    asks_for_a_person(&app).await;
    let whisper = owner_leg(&app, "/twilio/whisper", &[]).await;
    assert!(
        whisper.contains(
            "<Gather action=\"/twilio/whisper-accept\" input=\"dtmf\" method=\"POST\" numDigits=\"1\" timeout=\"5\">"
        ),
        "{whisper}"
    );
    assert!(
        whisper.contains("Frontdesk call for Fresh Cuts Barbershop. A caller wants to book a skin fade"),
        "who and why: {whisper}"
    );
    assert!(
        whisper.contains("Press 1 to take the call.</Say></Gather><Hangup />"),
        "no key: the leg hangs up: {whisper}"
    );

    let accepted = owner_leg(&app, "/twilio/whisper-accept", &[("Digits", "1")]).await;
    assert_eq!(accepted, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response />", "an empty answer bridges the legs");
    let done = caller_leg(&app, "/twilio/dial-done", &[("DialCallStatus", "completed"), ("DialCallSid", LEG)]).await;
    assert!(done.contains("<Hangup />") && !done.contains("<Record"), "{done}");
    let call = call_json(&app).await;
    assert_eq!(call["outcome"], "transferred", "{call}");
    let callbacks = app.store.callbacks(&fresh_cuts(), None).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(callbacks.is_empty(), "the owner took it: no callback");
}

#[tokio::test]
async fn the_owners_voicemail_picking_up_never_swallows_the_caller() {
    let app = TestApp::new().await;
    asks_for_a_person(&app).await;
    // The owner's voicemail answers: it presses nothing, so the whisper
    // times out and the leg hangs up; Twilio still reports the dial
    // "completed" because something answered.
    owner_leg(&app, "/twilio/whisper", &[]).await;
    let done = caller_leg(&app, "/twilio/dial-done", &[("DialCallStatus", "completed"), ("DialCallSid", LEG)]).await;
    assert!(
        done.contains("Sorry, nobody could come to the phone. Please leave your name, number and message"),
        "{done}"
    );
    assert!(
        done.contains("<Record action=\"/twilio/recording\" maxLength=\"120\" playBeep=\"true\" timeout=\"5\" transcribe=\"true\" transcribeCallback=\"/twilio/transcription\" />"),
        "{done}"
    );
    let open = app.store.callbacks(&fresh_cuts(), Some(CallbackStatus::Open)).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0].caller.as_ref().map(|c| c.as_str()), Some(CALLER));
    assert!(open[0].reason.starts_with("wants to book a skin fade"), "{:?}", open[0].reason);
}

#[tokio::test]
async fn a_declined_transfer_leaves_a_message_a_callback_and_a_text_with_its_gist() {
    let app = TestApp::new().await;
    asks_for_a_person(&app).await;
    owner_leg(&app, "/twilio/whisper", &[]).await;
    let declined = owner_leg(&app, "/twilio/whisper-accept", &[("Digits", "2")]).await;
    assert!(declined.contains("<Hangup />"), "{declined}");
    caller_leg(&app, "/twilio/dial-done", &[("DialCallStatus", "no-answer"), ("DialCallSid", LEG)]).await;
    let bye = caller_leg(
        &app,
        "/twilio/recording",
        &[("RecordingUrl", "https://api.twilio.com/recordings/RE1"), ("RecordingSid", "RE1")],
    )
    .await;
    assert!(bye.contains("Thank you, we'll get back to you soon.") || bye.contains("Thank you, we&apos;ll"), "{bye}");
    let call = CallSid::parse(CALL).unwrap_or_else(|e| panic!("{e}"));
    let callback = app.store.callback(&fresh_cuts(), &call).await.unwrap_or_else(|e| panic!("{e}"));
    let callback = callback.unwrap_or_else(|| panic!("a callback"));
    assert_eq!(callback.recording_url.as_deref(), Some("https://api.twilio.com/recordings/RE1"));
    // The owner's text waits for the transcription.
    let waiting = owner_notices(&app).await;
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    assert_eq!(waiting[0].1, "queued");
    assert_eq!(
        waiting[0].0,
        "Frontdesk: voicemail for Fresh Cuts Barbershop from +15555551234, today at 10:00 AM (wants to book a skin fade Friday, November 27 at 3 PM). Call back: https://frontdesk.example.com/app/callbacks"
    );

    let (status, _) = app
        .twilio(
            "/twilio/transcription",
            &[
                ("CallSid", CALL),
                ("From", CALLER),
                ("To", SHOP),
                ("RecordingSid", "RE1"),
                ("TranscriptionStatus", "completed"),
                ("TranscriptionText", "Hi it's Jane, please call me back about Friday, my card is 4111 1111 1111 1111"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let callback =
        app.store.callback(&fresh_cuts(), &call).await.ok().flatten().unwrap_or_else(|| panic!("a callback"));
    let transcript = callback.transcript.unwrap_or_default();
    assert!(transcript.starts_with("Hi it's Jane, please call me back about Friday"), "{transcript}");
    assert!(!transcript.contains("4111"), "card digits never kept: {transcript}");
    let notices = owner_notices(&app).await;
    let states: Vec<&str> = notices.iter().map(|(_, state, _)| state.as_str()).collect();
    assert_eq!(states.len(), 2, "{notices:?}");
    assert!(states.contains(&"cancelled"), "the plain notice is withdrawn: {notices:?}");
    let gist =
        notices.iter().find(|(_, state, _)| state == "queued").map(|(body, _, _)| body.clone()).unwrap_or_default();
    assert!(gist.starts_with("Frontdesk: voicemail for Fresh Cuts Barbershop from +15555551234, today at 10:00 AM: \"Hi it's Jane, please call me back about Friday"), "{gist}");
    assert!(gist.ends_with("Call back: https://frontdesk.example.com/app/callbacks"), "{gist}");
    assert!(!gist.contains("4111"), "{gist}");
}

/// The caller's call ended after `seconds` (Twilio's status callback).
async fn caller_hangs_up(app: &TestApp, seconds: &str) {
    let params = [
        ("CallSid", CALL),
        ("From", CALLER),
        ("To", SHOP),
        ("CallStatus", "completed"),
        ("CallDuration", seconds),
        ("SequenceNumber", "3"),
    ];
    let (status, body) = app.twilio("/twilio/status", &params).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
}

/// The owner did not take the transfer: the caller is asked for a message.
async fn transfer_not_taken(app: &TestApp) {
    asks_for_a_person(app).await;
    owner_leg(app, "/twilio/whisper", &[]).await;
    let done = caller_leg(app, "/twilio/dial-done", &[("DialCallStatus", "no-answer"), ("DialCallSid", LEG)]).await;
    assert!(done.contains("<Record"), "{done}");
}

async fn leaves_the_message(app: &TestApp) {
    caller_leg(
        app,
        "/twilio/recording",
        &[("RecordingUrl", "https://api.twilio.com/recordings/RE1"), ("RecordingSid", "RE1")],
    )
    .await;
}

#[tokio::test]
async fn a_caller_who_hangs_up_without_a_message_is_told_to_the_owner_once() {
    let app = TestApp::new().await;
    transfer_not_taken(&app).await;
    caller_hangs_up(&app, "95").await;
    caller_hangs_up(&app, "95").await; // Twilio's retry
    let notices = owner_notices(&app).await;
    assert_eq!(notices.len(), 1, "one notice for the callback: {notices:?}");
    assert_eq!(
        notices[0].0,
        "Frontdesk: +15555551234 called Fresh Cuts Barbershop today at 10:00 AM and didn't leave a message (wants to book a skin fade Friday, November 27 at 3 PM). Call back: https://frontdesk.example.com/app/callbacks"
    );
    assert_eq!(notices[0].1, "queued");
    let waits = (frontdesk_core::Clock::now(app.clock.as_ref()) + frontdesk_routing::NO_MESSAGE_WAIT).to_rfc3339();
    assert!(notices[0].2.starts_with(&waits[..16]), "it waits for a late recording: {notices:?} vs {waits}");
}

#[tokio::test]
async fn a_message_after_the_call_ended_withdraws_the_no_message_notice() {
    let app = TestApp::new().await;
    transfer_not_taken(&app).await;
    // The status callback comes first, the recording's webhook after it.
    caller_hangs_up(&app, "95").await;
    leaves_the_message(&app).await;
    let notices = owner_notices(&app).await;
    let live: Vec<&String> =
        notices.iter().filter(|(_, state, _)| state != "cancelled").map(|(body, _, _)| body).collect();
    assert_eq!(live.len(), 1, "one notice for the callback: {notices:?}");
    assert!(live[0].starts_with("Frontdesk: voicemail for Fresh Cuts Barbershop"), "{live:?}");
    assert!(
        notices.iter().any(|(body, state, _)| state == "cancelled" && body.contains("didn't leave a message")),
        "{notices:?}"
    );
}

#[tokio::test]
async fn a_message_before_the_call_ended_sends_only_the_voicemail_notice() {
    let app = TestApp::new().await;
    transfer_not_taken(&app).await;
    leaves_the_message(&app).await;
    caller_hangs_up(&app, "95").await;
    let notices = owner_notices(&app).await;
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(notices[0].0.starts_with("Frontdesk: voicemail for Fresh Cuts Barbershop"), "{notices:?}");
}

#[tokio::test]
async fn a_warm_transfers_owner_leg_is_costed_once_and_never_billed() {
    let app = TestApp::new().await;
    asks_for_a_person(&app).await;
    owner_leg(&app, "/twilio/whisper", &[]).await;
    owner_leg(&app, "/twilio/whisper-accept", &[("Digits", "1")]).await;
    let done = [("DialCallStatus", "completed"), ("DialCallSid", LEG), ("DialCallDuration", "61")];
    caller_leg(&app, "/twilio/dial-done", &done).await;
    caller_leg(&app, "/twilio/dial-done", &done).await; // a repeated webhook
    caller_hangs_up(&app, "130").await;
    let usage = app.admin(Method::GET, "/admin/tenants/fresh-cuts/usage", None).await.body;
    // The caller's own 130 s bill as 3 minutes; the owner's leg (61 s, 2
    // minutes) costs us the outbound rate, once, and bills nothing.
    assert_eq!(usage["usage"]["call_minutes"], 3, "{usage}");
    assert_eq!(usage["usage"]["outbound_minutes"], 2, "{usage}");
    let by_kind = &usage["usage"]["estimated_cost_micros_by_kind"];
    assert_eq!(by_kind["outbound_minutes"], 2 * 14_000, "{usage}");
    assert_eq!(by_kind["call_minutes"], 3 * 8_500, "{usage}");
    // The call's record shows the leg as its cost, besides its AI.
    let call = app.admin(Method::GET, &format!("/admin/tenants/fresh-cuts/calls/{CALL}"), None).await.body;
    assert_eq!(call["legs_cost"], json!({"minutes": 2, "cost_micros": 28_000}), "{call}");
    assert_eq!(call["forwarded"], json!(false), "{call}");
}

#[tokio::test]
async fn a_whisper_for_a_call_we_do_not_know_declines_it() {
    let app = TestApp::new().await;
    let mut params = vec![("CallSid", LEG), ("ParentCallSid", "CA-unknown"), ("From", SHOP), ("To", OWNER)];
    let (status, twiml) = app.twilio("/twilio/whisper", &params).await;
    assert_eq!(status, StatusCode::OK);
    assert!(twiml.contains("<Hangup />") && !twiml.contains("<Gather"), "{twiml}");
    params.push(("Digits", "1"));
    let (status, twiml) = app.twilio("/twilio/whisper-accept", &params).await;
    assert_eq!(status, StatusCode::OK);
    assert!(twiml.contains("<Hangup />"), "{twiml}");
}

#[tokio::test]
async fn callbacks_are_listed_longest_waiting_first_and_marked_done() {
    let app = TestApp::new().await;
    asks_for_a_person(&app).await;
    caller_leg(&app, "/twilio/dial-done", &[("DialCallStatus", "busy"), ("DialCallSid", LEG)]).await;
    app.clock.advance(chrono::Duration::minutes(12));
    let listed = app.admin(Method::GET, "/admin/tenants/fresh-cuts/callbacks", None).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    let callbacks = listed.body["callbacks"].as_array().cloned().unwrap_or_default();
    assert_eq!(callbacks.len(), 1, "{}", listed.body);
    assert_eq!(callbacks[0]["call_sid"], CALL);
    assert_eq!(callbacks[0]["caller"], CALLER);
    assert_eq!(callbacks[0]["status"], "open");
    assert_eq!(callbacks[0]["waiting_minutes"], 12);

    let done = app.admin(Method::POST, &format!("/admin/tenants/fresh-cuts/callbacks/{CALL}/done"), None).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(done.body["status"], "done");
    let open = app.admin(Method::GET, "/admin/tenants/fresh-cuts/callbacks?status=open", None).await;
    assert_eq!(open.body["callbacks"].as_array().map(Vec::len), Some(0), "{}", open.body);
    let all = app.admin(Method::GET, "/admin/tenants/fresh-cuts/callbacks?status=all", None).await;
    assert_eq!(all.body["callbacks"].as_array().map(Vec::len), Some(1));
    let bad = app.admin(Method::GET, "/admin/tenants/fresh-cuts/callbacks?status=maybe", None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    let missing = app.admin(Method::POST, "/admin/tenants/fresh-cuts/callbacks/CA-none/done", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let other = app.admin(Method::GET, "/admin/tenants/bright-smile/callbacks?status=all", None).await;
    assert_eq!(other.body["callbacks"].as_array().map(Vec::len), Some(0), "each shop sees its own");
}

/// Places no call: records what it was asked to place.
#[derive(Default)]
struct PlacedCalls(std::sync::Mutex<Vec<(String, String, String, String)>>);

#[async_trait::async_trait]
impl frontdesk_routing::OutboundCalls for PlacedCalls {
    async fn place_call(
        &self,
        from: &frontdesk_core::E164,
        to: &frontdesk_core::E164,
        url: &str,
        status_url: &str,
    ) -> Result<CallSid, frontdesk_routing::PlaceCallError> {
        let call = (from.to_string(), to.to_string(), url.to_owned(), status_url.to_owned());
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(call);
        CallSid::parse("CA-callback-out").map_err(|e| frontdesk_routing::PlaceCallError::Rejected(e.to_string()))
    }
}

#[tokio::test]
async fn calling_back_rings_the_owner_first_then_the_customer_from_the_shops_number() {
    let placed = std::sync::Arc::new(PlacedCalls::default());
    let app = TestApp::with_calling_back(placed.clone()).await;
    asks_for_a_person(&app).await;
    caller_leg(&app, "/twilio/dial-done", &[("DialCallStatus", "no-answer"), ("DialCallSid", LEG)]).await;

    let path = format!("/admin/tenants/fresh-cuts/callbacks/{CALL}/call");
    let reply = app.admin(Method::POST, &path, None).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.body);
    assert_eq!(reply.body["placed_call_sid"], "CA-callback-out");
    let asked = placed.0.lock().map(|p| p.clone()).unwrap_or_default();
    assert_eq!(
        asked,
        [(
            SHOP.to_owned(),
            OWNER.to_owned(),
            format!("https://frontdesk.example.com/twilio/callback-bridge?call={CALL}"),
            format!("https://frontdesk.example.com/twilio/callback-status?call={CALL}"),
        )],
        "the owner's phone rings first, from the shop's number"
    );

    let owner = |path: String, extra: Vec<(&'static str, &'static str)>| {
        let app = &app;
        async move {
            let mut params = vec![("CallSid", "CA-callback-out"), ("From", SHOP), ("To", OWNER)];
            params.extend(extra);
            let (status, twiml) = app.twilio(&path, &params).await;
            assert_eq!(status, StatusCode::OK, "{twiml}");
            twiml
        }
    };
    let briefing = owner(format!("/twilio/callback-bridge?call={CALL}"), vec![]).await;
    assert!(briefing.contains("Frontdesk call back for Fresh Cuts Barbershop. A caller called today at 10:00 AM and wants to book a skin fade"), "{briefing}");
    assert!(briefing.contains("Press 1 to call them now."), "{briefing}");
    assert!(briefing.contains(&format!("action=\"/twilio/callback-connect?call={CALL}\"")), "{briefing}");

    let declined = owner(format!("/twilio/callback-connect?call={CALL}"), vec![("Digits", "9")]).await;
    assert!(declined.contains("the call back stays open") && !declined.contains("<Dial"), "{declined}");
    let connect = owner(format!("/twilio/callback-connect?call={CALL}"), vec![("Digits", "1")]).await;
    assert!(
        connect.contains(&format!("<Dial action=\"/twilio/callback-done?call={CALL}\" callerId=\"+15555550100\" timeout=\"25\"><Number>+15555551234</Number></Dial>")),
        "the customer sees the shop's number: {connect}"
    );
    let missed = owner(format!("/twilio/callback-done?call={CALL}"), vec![("DialCallStatus", "no-answer")]).await;
    assert!(missed.contains("stays open"), "{missed}");
    let call = CallSid::parse(CALL).unwrap_or_else(|e| panic!("{e}"));
    let open = app.store.callback(&fresh_cuts(), &call).await.ok().flatten().map(|c| c.status);
    assert_eq!(open, Some(CallbackStatus::Open));
    let answered =
        vec![("DialCallStatus", "completed"), ("DialCallSid", "CA-customer-leg"), ("DialCallDuration", "150")];
    owner(format!("/twilio/callback-done?call={CALL}"), answered.clone()).await;
    let done = app.store.callback(&fresh_cuts(), &call).await.ok().flatten().map(|c| c.status);
    assert_eq!(done, Some(CallbackStatus::Done), "done once the customer picked up");
    // The customer's leg (150 s: 3 minutes) costs us the outbound rate,
    // once (a repeated webhook), and is never the shop's plan minutes.
    owner(format!("/twilio/callback-done?call={CALL}"), answered).await;
    let usage = app.admin(Method::GET, "/admin/tenants/fresh-cuts/usage", None).await.body;
    assert_eq!(usage["usage"]["outbound_minutes"], 3, "{usage}");
    assert_eq!(usage["usage"]["estimated_cost_micros_by_kind"]["outbound_minutes"], 3 * 14_000, "{usage}");
    assert_eq!(usage["usage"]["call_minutes"], 0, "{usage}");

    // The owner's leg ended after 200 s (4 minutes): its status callback
    // meters it once, a retried one adds nothing, the shop is billed nothing.
    let ended = [
        ("CallSid", "CA-callback-out"),
        ("From", SHOP),
        ("To", OWNER),
        ("Direction", "outbound-api"),
        ("CallStatus", "completed"),
        ("CallDuration", "200"),
        ("SequenceNumber", "1"),
    ];
    for _ in 0..2 {
        let (status, body) = app.twilio(&format!("/twilio/callback-status?call={CALL}"), &ended).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    }
    let usage = app.admin(Method::GET, "/admin/tenants/fresh-cuts/usage", None).await.body;
    assert_eq!(usage["usage"]["outbound_minutes"], 3 + 4, "{usage}");
    assert_eq!(usage["usage"]["estimated_cost_micros_by_kind"]["outbound_minutes"], 7 * 14_000, "{usage}");
    assert_eq!(usage["usage"]["call_minutes"], 0, "{usage}");
    // Both legs are costs of the call the callback is for.
    let call = app.admin(Method::GET, &format!("/admin/tenants/fresh-cuts/calls/{CALL}"), None).await.body;
    assert_eq!(call["legs_cost"], json!({"minutes": 7, "cost_micros": 7 * 14_000}), "{call}");

    let again = app.admin(Method::POST, &path, None).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
}

#[tokio::test]
async fn calling_back_without_a_telephony_provider_says_what_is_missing() {
    let app = TestApp::new().await;
    let reply = app.admin(Method::POST, &format!("/admin/tenants/fresh-cuts/callbacks/{CALL}/call"), None).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE, "{}", reply.body);
    assert!(reply.body["error"]["message"].as_str().unwrap_or_default().contains("FRONTDESK_TWILIO_ACCOUNT_SID"));
}

const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
const RECORDING: &str = "RE0123456789abcdef0123456789abcdef";
/// The message as Twilio serves it: MP3 bytes (not text).
const MESSAGE_MP3: &[u8] = b"ID3\x04\x00\x00\x00\x00\x00\x00\xff\xfbJane's voicemail frames\x00\xfe";

/// A gateway that transcribes messages itself (as with both
/// `FRONTDESK_OPENAI_API_KEY` and `FRONTDESK_TWILIO_ACCOUNT_SID`), the
/// transcription job's handler as the runtime builds it, and the fakes of
/// Twilio's API and OpenAI's it talks to.
struct Transcribing {
    app: TestApp,
    handler: frontdesk_routing::VoicemailTranscription,
    twilio: wiremock::MockServer,
    openai: wiremock::MockServer,
}

async fn transcribing() -> Transcribing {
    use std::sync::Arc;

    use crate::support::{PUBLIC_URL, TWILIO_TOKEN, booking_service, gateway_state, settings_with};

    let twilio = wiremock::MockServer::start().await;
    let openai = wiremock::MockServer::start().await;
    let settings = settings_with(&[
        ("FRONTDESK_OPENAI_API_KEY", "sk-test-not-a-real-key".to_owned()),
        ("FRONTDESK_OPENAI_BASE_URL", format!("{}/v1", openai.uri())),
        ("FRONTDESK_TWILIO_ACCOUNT_SID", ACCOUNT.to_owned()),
        ("FRONTDESK_TWILIO_AUTH_TOKEN", TWILIO_TOKEN.to_owned()),
        ("FRONTDESK_TWILIO_API_BASE_URL", twilio.uri()),
    ]);
    let transcription = frontdesk_runtime::build_message_transcription(&settings)
        .unwrap_or_else(|e| panic!("{e:#}"))
        .unwrap_or_else(|| panic!("OpenAI and Twilio are both configured"));
    let mut app = TestApp::new().await;
    let bookings = booking_service(&app.store, &app.clock);
    let telephony = voice_gateway::TwilioSettings {
        public_base_url: PUBLIC_URL.to_owned(),
        validator: Arc::new(frontdesk_twilio::RequestValidator::new(TWILIO_TOKEN)),
        dialogue: Arc::new(frontdesk_routing::Dialogue::new(bookings.clone())),
        check_durations: false,
        transcribe_messages: true,
    };
    let (state, billing) = gateway_state(app.store.clone(), app.clock.clone(), bookings, Some(telephony)).await;
    let limits =
        voice_gateway::HttpLimits { request_timeout: std::time::Duration::from_secs(10), body_limit_bytes: 64 * 1024 };
    app.router = voice_gateway::router(state, limits);
    app.billing = billing;
    let handler = frontdesk_routing::VoicemailTranscription {
        tenants: app.store.clone(),
        calls: app.store.clone(),
        callbacks: app.store.clone(),
        jobs: app.store.clone(),
        link: format!("{PUBLIC_URL}/app/callbacks"),
        recordings: transcription.recordings,
        transcriber: transcription.transcriber,
        metering: app.billing.metering.clone(),
    };
    Transcribing { app, handler, twilio, openai }
}

fn recording_path() -> String {
    format!("/2010-04-01/Accounts/{ACCOUNT}/Recordings/{RECORDING}")
}

/// The caller asks for a person, nobody takes it, and they leave a message.
async fn leaves_a_message(setup: &Transcribing) -> String {
    asks_for_a_person(&setup.app).await;
    let record =
        caller_leg(&setup.app, "/twilio/dial-done", &[("DialCallStatus", "no-answer"), ("DialCallSid", LEG)]).await;
    let url = format!("{}{}", setup.twilio.uri(), recording_path());
    caller_leg(&setup.app, "/twilio/recording", &[("RecordingUrl", url.as_str()), ("RecordingSid", RECORDING)]).await;
    record
}

async fn transcription_jobs(app: &TestApp) -> Vec<(Value, String)> {
    let listed = app.admin(Method::GET, "/admin/jobs?limit=200", None).await.body;
    listed["jobs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|job| job["kind"] == frontdesk_routing::TRANSCRIBE_VOICEMAIL)
        .map(|job| (job["payload"].clone(), job["state"].as_str().unwrap_or_default().to_owned()))
        .collect()
}

/// Twilio serves the recording's MP3, to our account's credentials only.
async fn twilio_serves_the_recording(twilio: &wiremock::MockServer) {
    use base64::Engine;
    use wiremock::matchers::{header, method, path};

    let credentials =
        base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT}:{}", crate::support::TWILIO_TOKEN));
    wiremock::Mock::given(method("GET"))
        .and(path(format!("{}.mp3", recording_path())))
        .and(header("authorization", format!("Basic {credentials}").as_str()))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_raw(MESSAGE_MP3.to_vec(), "audio/mpeg"))
        .mount(twilio)
        .await;
}

fn the_message_was_uploaded(request: &wiremock::Request) -> bool {
    request.body.windows(MESSAGE_MP3.len()).any(|window| window == MESSAGE_MP3)
        && String::from_utf8_lossy(&request.body).contains("gpt-4o-mini-transcribe")
}

#[tokio::test]
async fn with_a_transcriber_of_our_own_the_message_is_transcribed_by_a_job_and_its_gist_texted_once() {
    use wiremock::matchers::{header, method, path};

    let setup = transcribing().await;
    let app = &setup.app;
    let record = leaves_a_message(&setup).await;
    assert!(
        record.contains("<Record action=\"/twilio/recording\" maxLength=\"120\" playBeep=\"true\" timeout=\"5\" />"),
        "Twilio is not asked to transcribe (it would be paid twice): {record}"
    );
    assert!(!record.contains("transcribe"), "{record}");
    let jobs = transcription_jobs(app).await;
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(jobs[0].0["recording_sid"], RECORDING);
    assert_eq!(jobs[0].1, "queued");
    let waiting = owner_notices(app).await;
    assert_eq!(waiting.len(), 1, "the plain notice waits for the transcription: {waiting:?}");

    twilio_serves_the_recording(&setup.twilio).await;
    wiremock::Mock::given(method("POST"))
        .and(path("/v1/audio/transcriptions"))
        .and(header("authorization", "Bearer sk-test-not-a-real-key"))
        .and(the_message_was_uploaded)
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "text": "Hi it's Jane, please call me back about Friday, my card is 4111 1111 1111 1111",
            "usage": {"type": "tokens", "input_tokens": 300, "input_token_details": {"text_tokens": 0, "audio_tokens": 300}, "output_tokens": 25, "total_tokens": 325}
        })))
        .expect(1)
        .mount(&setup.openai)
        .await;
    crate::support::run_next(&app.store, &app.clock, &setup.handler).await.unwrap_or_else(|e| panic!("{e}"));

    let call = CallSid::parse(CALL).unwrap_or_else(|e| panic!("{e}"));
    let callback =
        app.store.callback(&fresh_cuts(), &call).await.ok().flatten().unwrap_or_else(|| panic!("a callback"));
    let transcript = callback.transcript.unwrap_or_default();
    assert!(transcript.starts_with("Hi it's Jane, please call me back about Friday"), "{transcript}");
    assert!(!transcript.contains("4111"), "card digits never kept: {transcript}");
    let notices = owner_notices(app).await;
    assert_eq!(notices.len(), 2, "{notices:?}");
    assert!(notices.iter().any(|(_, state, _)| state == "cancelled"), "the plain notice is withdrawn: {notices:?}");
    let queued: Vec<&String> =
        notices.iter().filter(|(_, state, _)| state == "queued").map(|(body, _, _)| body).collect();
    assert_eq!(queued.len(), 1, "{notices:?}");
    assert!(queued[0].starts_with("Frontdesk: voicemail for Fresh Cuts Barbershop from +15555551234, today at 10:00 AM: \"Hi it's Jane, please call me back about Friday"), "{}", queued[0]);
    assert!(!queued[0].contains("4111"), "{}", queued[0]);
    // 300 audio tokens at $3 and 25 text tokens at $5 a million.
    let usage = app.admin(Method::GET, "/admin/tenants/fresh-cuts/usage", None).await;
    assert_eq!(usage.body["usage"]["llm_tokens"], 325, "{}", usage.body);
    assert_eq!(usage.body["usage"]["ai_cost_micros"], 900 + 125, "{}", usage.body);

    // Twilio repeating the recording's webhook queues nothing more.
    let url = format!("{}{}", setup.twilio.uri(), recording_path());
    caller_leg(app, "/twilio/recording", &[("RecordingUrl", url.as_str()), ("RecordingSid", RECORDING)]).await;
    let jobs = transcription_jobs(app).await;
    assert_eq!(jobs.iter().map(|(_, state)| state.as_str()).collect::<Vec<_>>(), ["succeeded"], "{jobs:?}");
    let gists = owner_notices(app).await.into_iter().filter(|(body, _, _)| body.contains("Hi it's Jane")).count();
    assert_eq!(gists, 1, "the gist is texted once");
}

#[tokio::test]
async fn a_transcriber_that_keeps_failing_still_leaves_the_owner_the_plain_notice() {
    let setup = transcribing().await;
    let app = &setup.app;
    leaves_a_message(&setup).await;
    twilio_serves_the_recording(&setup.twilio).await;
    // Busy first (worth another attempt), then a refusal no retry helps.
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(
            wiremock::ResponseTemplate::new(429)
                .insert_header("retry-after-ms", "1")
                .set_body_json(serde_json::json!({"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}})),
        )
        .up_to_n_times(2)
        .expect(2)
        .mount(&setup.openai)
        .await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(401).set_body_json(serde_json::json!({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error", "code": "invalid_api_key"}})))
        .expect(1)
        .mount(&setup.openai)
        .await;

    let first = crate::support::run_next(&app.store, &app.clock, &setup.handler).await;
    assert!(matches!(first, Err(frontdesk_jobs::HandlerError::Retry(_))), "{first:?}");
    let waiting = owner_notices(app).await;
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    assert_eq!(waiting[0].1, "queued", "the plain notice still waits: {waiting:?}");

    // The attempt's lease runs out and the job is tried again.
    app.clock.advance(chrono::Duration::minutes(1));
    let last = crate::support::run_next(&app.store, &app.clock, &setup.handler).await;
    assert!(matches!(last, Err(frontdesk_jobs::HandlerError::Permanent(_))), "{last:?}");
    let call = CallSid::parse(CALL).unwrap_or_else(|e| panic!("{e}"));
    let callback =
        app.store.callback(&fresh_cuts(), &call).await.ok().flatten().unwrap_or_else(|| panic!("a callback"));
    assert_eq!(callback.transcript, None);
    let notices = owner_notices(app).await;
    let queued: Vec<_> = notices.iter().filter(|(_, state, _)| state == "queued").collect();
    assert_eq!(queued.len(), 1, "one text about the message: {notices:?}");
    assert_eq!(
        queued[0].0,
        "Frontdesk: voicemail for Fresh Cuts Barbershop from +15555551234, today at 10:00 AM (wants to book a skin fade Friday, November 27 at 3 PM). Call back: https://frontdesk.example.com/app/callbacks"
    );
    let now = chrono::DateTime::parse_from_rfc3339(&queued[0].2).map(|at| at.to_utc()).ok();
    assert_eq!(
        now,
        Some(frontdesk_core::Clock::now(app.clock.as_ref())),
        "the plain notice goes out now, not after the wait: {notices:?}"
    );
    let usage = app.admin(Method::GET, "/admin/tenants/fresh-cuts/usage", None).await;
    assert_eq!(usage.body["usage"]["llm_tokens"], 0, "nothing transcribed, nothing metered: {}", usage.body);
}
