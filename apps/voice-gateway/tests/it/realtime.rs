//! `/twilio/stream/{token}` over a real WebSocket (tokio-tungstenite)
//! against the gateway on a local port, with a fake realtime voice model:
//! who is let in, and one scripted exchange relayed both ways.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use frontdesk_core::Clock;
use frontdesk_llm::{
    ItemId, RealtimeError, RealtimeEvent, RealtimeEvents, RealtimeSender, RealtimeSession, RealtimeVoice,
    SessionConfig, ToolCall,
};
use frontdesk_voice_bridge::StreamTokens;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::support::{PUBLIC_URL, SECRET, TWILIO_TOKEN, TestApp};
use axum::http::{Method, StatusCode};
use frontdesk_llm::{ModelUsage, RealtimeUsage, ResponseStatus};
use frontdesk_routing::{CallSid, CallStore};

/// What the bridge sent the fake model.
#[derive(Debug, Clone, PartialEq)]
enum Sent {
    Audio(Vec<u8>),
    Truncate(ItemId, Duration),
    ToolResult(String, Value),
    Close,
    Other,
}

struct RecordingSender {
    sent: mpsc::UnboundedSender<Sent>,
}

#[async_trait]
impl RealtimeSender for RecordingSender {
    async fn send_audio(&self, audio: &[u8]) -> Result<(), RealtimeError> {
        self.sent.send(Sent::Audio(audio.to_vec())).map_err(|_| RealtimeError::Closed)
    }
    async fn commit_input(&self) -> Result<(), RealtimeError> {
        self.sent.send(Sent::Other).map_err(|_| RealtimeError::Closed)
    }
    async fn clear_input(&self) -> Result<(), RealtimeError> {
        self.sent.send(Sent::Other).map_err(|_| RealtimeError::Closed)
    }
    async fn truncate(&self, item_id: &ItemId, _: u32, audio_end: Duration) -> Result<(), RealtimeError> {
        self.sent.send(Sent::Truncate(item_id.clone(), audio_end)).map_err(|_| RealtimeError::Closed)
    }
    async fn tool_result(&self, call_id: &str, output: &Value) -> Result<(), RealtimeError> {
        self.sent.send(Sent::ToolResult(call_id.to_owned(), output.clone())).map_err(|_| RealtimeError::Closed)
    }
    async fn respond(&self, _: Option<&str>) -> Result<(), RealtimeError> {
        self.sent.send(Sent::Other).map_err(|_| RealtimeError::Closed)
    }
    async fn close(&self) -> Result<(), RealtimeError> {
        let _ = self.sent.send(Sent::Close);
        Ok(())
    }
}

/// Hands out one prepared session per `open`, and counts the opens.
struct FakeVoice {
    sessions: Mutex<Vec<RealtimeSession>>,
    opened: Mutex<Vec<SessionConfig>>,
    /// How long opening takes.
    delay: Mutex<Duration>,
}

#[async_trait]
impl RealtimeVoice for FakeVoice {
    fn model_id(&self) -> &str {
        "gpt-realtime-2.1-mini"
    }

    async fn open(&self, config: SessionConfig) -> Result<RealtimeSession, RealtimeError> {
        self.opened.lock().unwrap_or_else(|e| e.into_inner()).push(config);
        let delay = *self.delay.lock().unwrap_or_else(|e| e.into_inner());
        tokio::time::sleep(delay).await;
        self.sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop()
            .ok_or(RealtimeError::Unavailable("no session".into()))
    }
}

struct Served {
    app: TestApp,
    voice: Arc<FakeVoice>,
    base: String,
    model: mpsc::Sender<RealtimeEvent>,
    sent: mpsc::UnboundedReceiver<Sent>,
}

/// The gateway on a local port, its voice model holding one scripted session.
async fn serve() -> Served {
    serve_with(None, true).await
}

/// [`serve`] with `cap` of model time a call (the default without);
/// without a session, every open fails.
async fn serve_with(cap: Option<Duration>, with_session: bool) -> Served {
    let (model, events) = RealtimeEvents::channel(16);
    let (sent_tx, sent) = mpsc::unbounded_channel();
    let session = RealtimeSession { sender: Arc::new(RecordingSender { sent: sent_tx }), events };
    let sessions = if with_session { vec![session] } else { Vec::new() };
    let voice = Arc::new(FakeVoice {
        sessions: Mutex::new(sessions),
        opened: Mutex::new(Vec::new()),
        delay: Mutex::new(Duration::ZERO),
    });
    let app = match cap {
        Some(cap) => TestApp::with_realtime_cap(voice.clone(), cap).await,
        None => TestApp::with_realtime(voice.clone()).await,
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let router = app.router.clone();
    tokio::spawn(async move { axum::serve(listener, router.into_make_service()).await });
    Served { app, voice, base: format!("ws://{addr}"), model, sent }
}

fn signature_for(path: &str) -> String {
    let url = format!("{}{path}", PUBLIC_URL.replacen("https://", "wss://", 1));
    frontdesk_twilio::RequestValidator::new(TWILIO_TOKEN).compute_signature(&url, &[])
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(served: &Served, path: &str, signature: Option<&str>) -> Result<Socket, WsError> {
    let mut request = format!("{}{path}", served.base).into_client_request()?;
    if let Some(signature) = signature {
        request.headers_mut().insert("x-twilio-signature", signature.parse().unwrap_or_else(|e| panic!("{e}")));
    }
    tokio_tungstenite::connect_async(request).await.map(|(socket, _)| socket)
}

/// The upgrade was refused with 403 and a JSON error of this code.
fn assert_refused(result: Result<Socket, WsError>, code: &str) {
    match result {
        Err(WsError::Http(response)) => {
            assert_eq!(response.status(), 403);
            let body: Value =
                serde_json::from_slice(response.body().as_deref().unwrap_or_default()).unwrap_or_default();
            assert_eq!(body["error"]["code"], code, "{body}");
        }
        Err(other) => panic!("expected a 403, got {other}"),
        Ok(_) => panic!("the upgrade was accepted"),
    }
}

/// A stream token for `call_sid` of `tenant`, as a gateway process mints it.
fn token_of(served: &Served, call_sid: &str, tenant: &str, minutes_ago: i64) -> String {
    let tenant = frontdesk_core::TenantId::parse(tenant).unwrap_or_else(|e| panic!("{e}"));
    let minted = served.app.clock.now() - chrono::Duration::minutes(minutes_ago);
    StreamTokens::new(SECRET.as_bytes()).mint(call_sid, &tenant, minted)
}

fn token(served: &Served, call_sid: &str, minutes_ago: i64) -> String {
    token_of(served, call_sid, "fresh-cuts", minutes_ago)
}

#[tokio::test]
async fn an_upgrade_without_a_valid_twilio_signature_is_refused() {
    let served = serve().await;
    let path = format!("/twilio/stream/{}", token(&served, "CA1", 0));
    assert_refused(connect(&served, &path, None).await, "missing_signature");
    assert_refused(connect(&served, &path, Some("forged+signature=")).await, "invalid_signature");
    let signed_for_another_path = signature_for(&format!("/twilio/stream/{}", token(&served, "CA2", 0)));
    assert_refused(connect(&served, &path, Some(&signed_for_another_path)).await, "invalid_signature");
    assert!(served.voice.opened.lock().unwrap_or_else(|e| e.into_inner()).is_empty(), "no model session opened");
}

#[tokio::test]
async fn an_upgrade_with_a_bad_or_expired_token_is_refused() {
    let served = serve().await;
    let fresh_cuts = frontdesk_core::TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}"));
    let forged = StreamTokens::new(b"not the gateway's secret").mint("CA1", &fresh_cuts, served.app.clock.now());
    let old_format = "CA1.99999999999.AAAA".to_owned();
    for token in [forged, token(&served, "CA1", 3), old_format, "garbage".to_owned()] {
        let path = format!("/twilio/stream/{token}");
        assert_refused(connect(&served, &path, Some(&signature_for(&path))).await, "invalid_stream_token");
    }
    assert!(served.voice.opened.lock().unwrap_or_else(|e| e.into_inner()).is_empty(), "no model session opened");
}

async fn next_json(socket: &mut Socket) -> Value {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .unwrap_or_else(|_| panic!("nothing from the gateway"))
            .unwrap_or_else(|| panic!("the socket closed"))
            .unwrap_or_else(|e| panic!("{e}"));
        if let Message::Text(text) = frame {
            return serde_json::from_str(text.as_str()).unwrap_or_else(|e| panic!("{e}: {text}"));
        }
    }
}

async fn send_json(socket: &mut Socket, value: Value) {
    socket.send(Message::Text(value.to_string().into())).await.unwrap_or_else(|e| panic!("{e}"));
}

async fn model_got(sent: &mut mpsc::UnboundedReceiver<Sent>) -> Sent {
    tokio::time::timeout(Duration::from_secs(5), sent.recv())
        .await
        .unwrap_or_else(|_| panic!("the model got nothing"))
        .unwrap_or_else(|| panic!("the session is gone"))
}

#[tokio::test]
async fn a_signed_upgrade_with_its_calls_token_relays_the_call_both_ways() {
    let mut served = serve().await;
    let path = stream_path(&voice_webhook(&served, "CA1").await);
    let mut socket = connect(&served, &path, Some(&signature_for(&path))).await.unwrap_or_else(|e| panic!("{e}"));
    send_json(&mut socket, json!({"event": "connected", "protocol": "Call", "version": "1.0.0"})).await;
    send_json(
        &mut socket,
        json!({"event": "start", "sequenceNumber": "1", "streamSid": "MZ1", "start": {
        "accountSid": "AC1", "streamSid": "MZ1", "callSid": "CA1", "tracks": ["inbound"],
        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
        "customParameters": {"tenant": "fresh-cuts"}}}),
    )
    .await;
    assert_eq!(model_got(&mut served.sent).await, Sent::Other, "the greeting is asked for");
    let caller_audio: Vec<u8> = (0..160).map(|i| i as u8).collect();
    send_json(
        &mut socket,
        json!({"event": "media", "sequenceNumber": "2", "streamSid": "MZ1",
        "media": {"track": "inbound", "chunk": "1", "timestamp": "20", "payload": STANDARD.encode(&caller_audio)}}),
    )
    .await;
    assert_eq!(model_got(&mut served.sent).await, Sent::Audio(caller_audio));

    let answer: Vec<u8> = (0..320).map(|i| (i % 251) as u8).collect();
    served.model.send(RealtimeEvent::AudioOut { item_id: ItemId::new("item_a"), audio: answer.clone() }).await.ok();
    assert_eq!(
        next_json(&mut socket).await,
        json!({"event": "media", "streamSid": "MZ1", "media": {"payload": STANDARD.encode(&answer)}})
    );
    assert_eq!(
        next_json(&mut socket).await,
        json!({"event": "mark", "streamSid": "MZ1", "mark": {"name": "item_a:40"}})
    );
    served.model.send(RealtimeEvent::AudioOut { item_id: ItemId::new("item_a"), audio: answer.clone() }).await.ok();
    next_json(&mut socket).await;
    next_json(&mut socket).await;

    // The caller heard the first 40 ms, then speaks over the rest.
    send_json(
        &mut socket,
        json!({"event": "mark", "sequenceNumber": "3", "streamSid": "MZ1", "mark": {"name": "item_a:40"}}),
    )
    .await;
    send_json(
        &mut socket,
        json!({"event": "media", "sequenceNumber": "4", "streamSid": "MZ1",
        "media": {"track": "inbound", "chunk": "2", "timestamp": "40", "payload": STANDARD.encode([1u8; 160])}}),
    )
    .await;
    assert_eq!(model_got(&mut served.sent).await, Sent::Audio(vec![1; 160]));
    served.model.send(RealtimeEvent::SpeechStarted { audio_start_ms: 40, item_id: ItemId::new("c1") }).await.ok();
    assert_eq!(next_json(&mut socket).await, json!({"event": "clear", "streamSid": "MZ1"}));
    assert_eq!(model_got(&mut served.sent).await, Sent::Truncate(ItemId::new("item_a"), Duration::from_millis(40)));

    served
        .model
        .send(RealtimeEvent::ToolCall(ToolCall {
            id: "call_1".into(),
            name: "transfer".into(),
            arguments: "{}".into(),
        }))
        .await
        .ok();
    let Sent::ToolResult(call_id, result) = model_got(&mut served.sent).await else { panic!("no tool result") };
    assert_eq!(call_id, "call_1");
    assert!(result["error"].is_string(), "a tool the shop does not have: {result}");

    send_json(
        &mut socket,
        json!({"event": "stop", "sequenceNumber": "5", "streamSid": "MZ1",
        "stop": {"accountSid": "AC1", "callSid": "CA1"}}),
    )
    .await;
    assert_eq!(model_got(&mut served.sent).await, Sent::Close, "the model's session is closed with the call");
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(frame)) = socket.next().await {
            if let Message::Close(_) = frame {
                return true;
            }
        }
        true
    })
    .await;
    assert_eq!(closed, Ok(true), "the gateway closes the socket once the bridge ends");
    assert_eq!(served.voice.opened.lock().unwrap_or_else(|e| e.into_inner()).len(), 1);
}

#[tokio::test]
async fn a_stream_whose_start_names_another_call_is_dropped() {
    let mut served = serve().await;
    let path = stream_path(&voice_webhook(&served, "CA1").await);
    let mut socket = connect(&served, &path, Some(&signature_for(&path))).await.unwrap_or_else(|e| panic!("{e}"));
    send_json(
        &mut socket,
        json!({"event": "start", "streamSid": "MZ9", "start": {
        "accountSid": "AC1", "streamSid": "MZ9", "callSid": "CA9", "tracks": ["inbound"],
        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}, "customParameters": {}}}),
    )
    .await;
    assert_eq!(model_got(&mut served.sent).await, Sent::Close);
    let next =
        tokio::time::timeout(Duration::from_secs(5), socket.next()).await.unwrap_or_else(|_| panic!("still open"));
    assert!(matches!(next, Some(Ok(Message::Close(_))) | None | Some(Err(_))), "{next:?}");
}

// The voice webhook and the stream's end, over the whole call.

const SHOP: &str = "+15555550100";
const CALLER: &str = "+15555551234";

fn call_params(call_sid: &str) -> Vec<(&str, &str)> {
    vec![("CallSid", call_sid), ("From", CALLER), ("To", SHOP)]
}

async fn voice_webhook(served: &Served, call_sid: &str) -> String {
    let (status, twiml) = served.app.twilio("/twilio/voice", &call_params(call_sid)).await;
    assert_eq!(status, StatusCode::OK, "{twiml}");
    twiml
}

/// The `<Stream>`'s path in a `<Connect>` answer.
fn stream_path(twiml: &str) -> String {
    let start = twiml.find("/twilio/stream/").unwrap_or_else(|| panic!("no stream in {twiml}"));
    let rest = &twiml[start..];
    rest[..rest.find('"').unwrap_or(rest.len())].to_owned()
}

fn opened(served: &Served) -> Vec<SessionConfig> {
    served.voice.opened.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Connects the call's stream (as Twilio does after the webhook) and starts it.
async fn start_stream(served: &Served, twiml: &str, call_sid: &str) -> Socket {
    let path = stream_path(twiml);
    let mut socket = connect(served, &path, Some(&signature_for(&path))).await.unwrap_or_else(|e| panic!("{e}"));
    send_json(&mut socket, json!({"event": "connected", "protocol": "Call", "version": "1.0.0"})).await;
    send_json(
        &mut socket,
        json!({"event": "start", "sequenceNumber": "1", "streamSid": "MZ1", "start": {
        "accountSid": "AC1", "streamSid": "MZ1", "callSid": call_sid, "tracks": ["inbound"],
        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
        "customParameters": {"tenant": "fresh-cuts"}}}),
    )
    .await;
    socket
}

/// Waits for the gateway to close the socket (the stream's end recorded).
/// Once the model's events are through, Twilio's `stop` for `call` (its
/// `sequence`-th message), and the stream closing.
async fn caller_hangs_up(socket: &mut Socket, call: &str, sequence: &str) {
    tokio::time::sleep(Duration::from_millis(100)).await;
    let stop = json!({"event": "stop", "sequenceNumber": sequence, "streamSid": "MZ1",
        "stop": {"accountSid": "AC1", "callSid": call}});
    send_json(socket, stop).await;
    until_closed(socket).await;
}

async fn until_closed(socket: &mut Socket) {
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(frame)) = socket.next().await {
            if let Message::Close(_) = frame {
                break;
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the gateway never closed the stream");
}

async fn stream_done(served: &Served, call_sid: &str, call_status: &str) -> String {
    let mut params = call_params(call_sid);
    params.push(("CallStatus", call_status));
    let (status, twiml) = served.app.twilio("/twilio/stream-done", &params).await;
    assert_eq!(status, StatusCode::OK, "{twiml}");
    twiml
}

async fn call_record(served: &Served, call_sid: &str) -> frontdesk_routing::CallRecord {
    let tenant = frontdesk_core::TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}"));
    let sid = CallSid::parse(call_sid).unwrap_or_else(|e| panic!("{e}"));
    CallStore::call(served.app.store.as_ref(), &tenant, &sid)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("no record of {call_sid}"))
}

#[tokio::test]
async fn a_pro_shops_call_is_answered_by_the_realtime_model_opened_while_it_rings() {
    let served = serve().await;
    let twiml = voice_webhook(&served, "CA100").await;
    assert!(
        twiml.contains(r#"<Connect action="/twilio/stream-done" method="POST"><Stream url="wss://frontdesk.example.com/twilio/stream/"#),
        "{twiml}"
    );
    assert!(!twiml.contains("<Gather"), "{twiml}");
    let configs = opened(&served);
    assert_eq!(configs.len(), 1, "the session is opened by the webhook");
    assert!(configs[0].instructions.contains("Fresh Cuts"), "the shop's own facts: {}", configs[0].instructions);
    assert!(configs[0].instructions.contains("Services:"), "{}", configs[0].instructions);
    // The call is recorded as any call, with its greeting.
    let record = call_record(&served, "CA100").await;
    assert_eq!(record.turns.len(), 1);
}

#[tokio::test]
async fn a_call_not_eligible_for_realtime_is_answered_turn_by_turn() {
    // Starter has no realtime voice.
    let served = serve().await;
    let plan = served.app.admin(Method::PUT, "/admin/tenants/fresh-cuts/plan", Some(&json!({"plan": "starter"}))).await;
    assert_eq!(plan.status, StatusCode::OK, "{}", plan.body);
    let twiml = voice_webhook(&served, "CA101").await;
    assert!(twiml.contains("<Gather") && !twiml.contains("<Connect"), "{twiml}");

    // Pro with the flag switched off.
    let served = serve().await;
    let path = "/admin/tenants/fresh-cuts/flags/enable_realtime_voice";
    let off = served.app.admin(Method::PUT, path, Some(&json!({"enabled": false}))).await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.body);
    let twiml = voice_webhook(&served, "CA102").await;
    assert!(twiml.contains("<Gather") && !twiml.contains("<Connect"), "{twiml}");

    // Pro with its AI budget spent (the hard cap): no paid model, no realtime.
    let served = serve().await;
    let budget = frontdesk_billing::PlanTerms::standard(frontdesk_core::Plan::Pro).included_ai_micros();
    let runaway = frontdesk_billing::TokenCount::input(u64::try_from(budget).unwrap_or_default() * 50);
    let tenant = frontdesk_core::TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}"));
    let metering = &served.app.billing.metering;
    let recorded = metering
        .record_tokens(&tenant, "test:runaway", "text-embedding-3-small", runaway, served.app.clock.now())
        .await;
    assert!(matches!(recorded, Ok(true)), "{recorded:?}");
    let twiml = voice_webhook(&served, "CA103").await;
    assert!(twiml.contains("<Gather") && !twiml.contains("<Connect"), "{twiml}");
    assert!(opened(&served).is_empty(), "no session opened for a call the model does not answer");
    let call = served.app.admin(Method::GET, "/admin/tenants/fresh-cuts/calls/CA103", None).await;
    assert_eq!(call.status, StatusCode::OK, "{}", call.body);
    assert!(call.body.get("realtime").is_none(), "a call answered turn by turn: {}", call.body);
}

#[tokio::test]
async fn a_model_slow_to_open_leaves_the_ringing_call_on_the_gather_greeting() {
    let served = serve_with(None, true).await;
    *served.voice.delay.lock().unwrap_or_else(|e| e.into_inner()) = Duration::from_secs(30);
    let asked = tokio::time::Instant::now();
    let twiml = voice_webhook(&served, "CA104s").await;
    assert!(asked.elapsed() < Duration::from_secs(5), "answered after {:?}", asked.elapsed());
    assert!(twiml.contains("<Gather") && twiml.contains("How can I help"), "{twiml}");
    assert!(!twiml.contains("<Connect"), "{twiml}");
}

#[tokio::test]
async fn a_model_that_will_not_open_leaves_the_call_on_the_gather_greeting() {
    let served = serve_with(None, false).await;
    let twiml = voice_webhook(&served, "CA104").await;
    assert!(twiml.contains("<Gather") && twiml.contains("How can I help"), "{twiml}");
    assert!(!twiml.contains("<Connect"), "{twiml}");
    assert_eq!(opened(&served).len(), 1, "it was tried");
}

#[tokio::test]
async fn a_whole_call_over_the_stream_is_recorded_and_metered_and_a_hang_up_hears_nothing() {
    let mut served = serve().await;
    let twiml = voice_webhook(&served, "CA105").await;
    let mut socket = start_stream(&served, &twiml, "CA105").await;
    // The greeting is asked for as soon as the stream starts.
    assert_eq!(model_got(&mut served.sent).await, Sent::Other);
    let greeting: Vec<u8> = vec![7; 160];
    served.model.send(RealtimeEvent::AudioOut { item_id: ItemId::new("r1"), audio: greeting }).await.ok();
    assert_eq!(next_json(&mut socket).await["event"], "media");
    let usage = |audio_in, audio_out| RealtimeUsage {
        text: ModelUsage { input_tokens: 100, cached_input_tokens: 0, output_tokens: 10 },
        audio: ModelUsage { input_tokens: audio_in, cached_input_tokens: 0, output_tokens: audio_out },
    };
    let events = [
        RealtimeEvent::ReceptionistTranscript { item_id: ItemId::new("r1"), text: "Thanks for calling!".into() },
        RealtimeEvent::ResponseDone { status: ResponseStatus::Completed, usage: usage(0, 200) },
        RealtimeEvent::SpeechStopped { audio_end_ms: 1200, item_id: ItemId::new("c1") },
        RealtimeEvent::CallerTranscript {
            item_id: ItemId::new("c1"),
            text: "my card is 4111 1111 1111 1111, what time do you close".into(),
            usage: frontdesk_llm::TranscriptionUsage::Unreported,
        },
        // The answer's first audio ends the caller's one timed turn.
        RealtimeEvent::AudioOut { item_id: ItemId::new("r2"), audio: vec![9; 160] },
        RealtimeEvent::ReceptionistTranscript { item_id: ItemId::new("r2"), text: "We close at 6 PM.".into() },
        RealtimeEvent::ResponseDone { status: ResponseStatus::Completed, usage: usage(50, 100) },
    ];
    for event in events {
        served.model.send(event).await.ok();
    }
    caller_hangs_up(&mut socket, "CA105", "5").await;

    let twiml = stream_done(&served, "CA105", "completed").await;
    assert!(!twiml.contains("<Say"), "a caller who hung up hears nothing: {twiml}");
    assert!(!twiml.contains("<Gather"), "{twiml}");

    let record = call_record(&served, "CA105").await;
    let said: Vec<String> = record.turns.iter().map(|t| format!("{:?}: {}", t.speaker, t.text)).collect();
    assert_eq!(said.len(), 4, "{said:?}");
    assert_eq!(said[1], "Agent: Thanks for calling!");
    assert!(said[2].starts_with("Caller: ") && !said[2].contains("4111 1111"), "card numbers removed: {said:?}");
    assert_eq!(said[3], "Agent: We close at 6 PM.");

    let usage = served.app.admin(Method::GET, "/admin/tenants/fresh-cuts/usage", None).await;
    assert_eq!(usage.body["usage"]["llm_tokens"], 310 + 260, "both answers metered: {}", usage.body);
    assert!(usage.body["usage"]["ai_cost_micros"].as_i64().unwrap_or_default() > 0, "{}", usage.body);

    // The caller's turn latency on the call record, for the admin and the owner.
    let call = served.app.admin(Method::GET, "/admin/tenants/fresh-cuts/calls/CA105", None).await;
    assert_eq!(call.status, StatusCode::OK, "{}", call.body);
    let realtime = &call.body["realtime"];
    assert_eq!(realtime["turns"], 1, "{}", call.body);
    let (p50, p95) = (realtime["latency_ms"]["p50"].as_u64(), realtime["latency_ms"]["p95"].as_u64());
    let (Some(p50), Some(p95)) = (p50, p95) else { panic!("no p50/p95 latency: {}", call.body) };
    assert!(p50 <= p95 && p95 < 5_000, "{}", call.body);
    let cookie = crate::web::sign_in_by_code(&served.app, crate::web::FRESH_CUTS_OWNER, "fresh-cuts").await;
    let page = crate::support::browse(&served.app, Method::GET, "/app/calls/CA105", &[], Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    let line = format!("Answered by the realtime voice: 1 turn, reply after {p50} ms (p50), {p95} ms (p95)");
    assert!(page.html.contains(&line), "{line} not in {}", page.html);
}

#[tokio::test]
async fn the_callers_transcription_is_metered_once_at_its_own_model_and_counts_in_the_calls_ai_cost() {
    let mut served = serve().await;
    let twiml = voice_webhook(&served, "CA109").await;
    let mut socket = start_stream(&served, &twiml, "CA109").await;
    assert_eq!(model_got(&mut served.sent).await, Sent::Other);
    let transcribed = |input_tokens, output_tokens| {
        frontdesk_llm::TranscriptionUsage::Tokens(ModelUsage { input_tokens, cached_input_tokens: 0, output_tokens })
    };
    let answer = RealtimeUsage {
        text: ModelUsage { input_tokens: 100, cached_input_tokens: 0, output_tokens: 10 },
        audio: ModelUsage { input_tokens: 0, cached_input_tokens: 0, output_tokens: 200 },
    };
    let events = [
        RealtimeEvent::ResponseDone { status: ResponseStatus::Completed, usage: answer },
        RealtimeEvent::CallerTranscript {
            item_id: ItemId::new("c1"),
            text: "what time do you close".into(),
            usage: transcribed(30, 6),
        },
        RealtimeEvent::CallerTranscript {
            item_id: ItemId::new("c2"),
            text: "thanks".into(),
            usage: transcribed(10, 3),
        },
        // Billed by the second: logged, not metered.
        RealtimeEvent::CallerTranscript {
            item_id: ItemId::new("c3"),
            text: "bye".into(),
            usage: frontdesk_llm::TranscriptionUsage::AudioSeconds(1.0),
        },
    ];
    for event in events {
        served.model.send(event).await.ok();
    }
    caller_hangs_up(&mut socket, "CA109", "5").await;
    // Twilio retries the stream's end: nothing is metered twice.
    stream_done(&served, "CA109", "completed").await;
    stream_done(&served, "CA109", "completed").await;

    let answer_tokens = 310;
    let transcription_tokens = 30 + 6 + 10 + 3;
    let call = served.app.admin(Method::GET, "/admin/tenants/fresh-cuts/calls/CA109", None).await;
    assert_eq!(call.status, StatusCode::OK, "{}", call.body);
    assert_eq!(call.body["ai_cost"]["tokens"], answer_tokens + transcription_tokens, "{}", call.body);
    let usage = served.app.admin(Method::GET, "/admin/tenants/fresh-cuts/usage", None).await;
    assert_eq!(usage.body["usage"]["llm_tokens"], answer_tokens + transcription_tokens, "{}", usage.body);

    // At gpt-4o-mini-transcribe's price (3 and 5 micros a token, in and
    // out), on top of the answers' cost.
    let prices = frontdesk_billing::PriceTable::standard();
    let cost = |model: &str, tokens: frontdesk_billing::TokenCount| {
        tokens.cost_micros(prices.price(model).unwrap_or_else(|| panic!("{model} is priced")))
    };
    let transcription = cost("gpt-4o-mini-transcribe", frontdesk_billing::TokenCount::text(40, 0, 9));
    let answer = frontdesk_billing::TokenCount::text(100, 0, 10) + frontdesk_billing::TokenCount::audio(0, 0, 200);
    assert!(transcription > 0);
    assert_eq!(
        call.body["ai_cost"]["cost_micros"],
        transcription + cost("gpt-realtime-2.1-mini", answer),
        "{}",
        call.body
    );
}

#[tokio::test]
async fn a_realtime_calls_audio_and_text_tokens_are_each_costed_at_their_own_price() {
    let mut served = serve().await;
    let twiml = voice_webhook(&served, "CA110").await;
    let mut socket = start_stream(&served, &twiml, "CA110").await;
    assert_eq!(model_got(&mut served.sent).await, Sent::Other);
    let usage = |text: (u64, u64, u64), audio: (u64, u64, u64)| RealtimeUsage {
        text: ModelUsage { input_tokens: text.0, cached_input_tokens: text.1, output_tokens: text.2 },
        audio: ModelUsage { input_tokens: audio.0, cached_input_tokens: audio.1, output_tokens: audio.2 },
    };
    // (input, of which cached, output) tokens of text, then of audio.
    let answers = [usage((100, 0, 10), (0, 0, 200)), usage((400, 300, 20), (150, 100, 300))];
    for answer in answers {
        served.model.send(RealtimeEvent::ResponseDone { status: ResponseStatus::Completed, usage: answer }).await.ok();
    }
    caller_hangs_up(&mut socket, "CA110", "5").await;
    stream_done(&served, "CA110", "completed").await;

    // gpt-realtime-2.1-mini, micro-dollars a token: text 0.6 in, 0.06
    // cached, 2.4 out; audio 10 in, 0.3 cached, 20 out.
    // The greeting: text 100 × 0.6 + 10 × 2.4 = 84; audio 200 × 20 = 4,000.
    // The answer: text 100 × 0.6 + 300 × 0.06 + 20 × 2.4 = 126;
    //             audio 50 × 10 + 100 × 0.3 + 300 × 20 = 6,530.
    // (At one price for every token, audio's, it would be 13,220.)
    let (cost, tokens) = (84 + 4_000 + 126 + 6_530, 310 + 870);
    let call = served.app.admin(Method::GET, "/admin/tenants/fresh-cuts/calls/CA110", None).await;
    assert_eq!(call.status, StatusCode::OK, "{}", call.body);
    assert_eq!(call.body["ai_cost"], json!({"tokens": tokens, "cost_micros": cost}), "{}", call.body);
    let usage = served.app.admin(Method::GET, "/admin/tenants/fresh-cuts/usage", None).await;
    assert_eq!(usage.body["usage"]["llm_tokens"], tokens, "{}", usage.body);
    assert_eq!(usage.body["usage"]["ai_cost_micros"], cost, "{}", usage.body);
    let cookie = crate::web::sign_in_by_code(&served.app, crate::web::FRESH_CUTS_OWNER, "fresh-cuts").await;
    let page = crate::support::browse(&served.app, Method::GET, "/app/calls/CA110", &[], Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(page.html.contains("AI cost: $0.0107"), "the owner sees the same cost: {}", page.html);
}

#[tokio::test]
async fn a_model_dying_mid_call_hands_the_call_to_the_gather_path_with_an_apology() {
    let mut served = serve().await;
    let twiml = voice_webhook(&served, "CA106").await;
    let mut socket = start_stream(&served, &twiml, "CA106").await;
    assert_eq!(model_got(&mut served.sent).await, Sent::Other);
    served.model.send(caller_said("c1", "hi, I need a haircut")).await.ok();
    served.model.send(RealtimeEvent::Closed { reason: "the connection was lost".into() }).await.ok();
    until_closed(&mut socket).await;

    let twiml = stream_done(&served, "CA106", "in-progress").await;
    assert!(twiml.contains("Sorry, let me try that again."), "one apology: {twiml}");
    assert!(twiml.contains(r#"<Gather action="/twilio/gather?turn=1""#), "the call goes on turn by turn: {twiml}");
    // Repeated, the action answers the same.
    assert_eq!(stream_done(&served, "CA106", "in-progress").await, twiml);

    // The call's state is intact: its next turn is served as any.
    let mut turn = call_params("CA106");
    turn.push(("SpeechResult", "what are your hours"));
    let (status, next) = served.app.twilio("/twilio/gather?turn=1", &turn).await;
    assert_eq!(status, StatusCode::OK, "{next}");
    assert!(next.contains("<Gather") || next.contains("<Say"), "{next}");
    let record = call_record(&served, "CA106").await;
    let texts: Vec<&str> = record.turns.iter().map(|t| t.text.as_str()).collect();
    assert!(texts.contains(&"hi, I need a haircut"), "the stream's words are kept: {texts:?}");
    assert!(texts.contains(&"what are your hours"), "{texts:?}");
}

#[tokio::test]
async fn a_stream_that_never_connected_goes_on_turn_by_turn() {
    let served = serve().await;
    voice_webhook(&served, "CA107").await;
    let twiml = stream_done(&served, "CA107", "in-progress").await;
    assert!(twiml.contains("Sorry, let me try that again.") && twiml.contains("<Gather"), "{twiml}");
}

#[tokio::test]
async fn the_per_call_cap_ends_the_stream_with_the_offer_of_a_person() {
    let mut served = serve_with(Some(Duration::from_millis(300)), true).await;
    let twiml = voice_webhook(&served, "CA108").await;
    let mut socket = start_stream(&served, &twiml, "CA108").await;
    assert_eq!(model_got(&mut served.sent).await, Sent::Other);
    until_closed(&mut socket).await;
    assert_eq!(model_got(&mut served.sent).await, Sent::Close, "the model's session is closed at the cap");

    let twiml = stream_done(&served, "CA108", "in-progress").await;
    assert!(twiml.contains("connect you with someone") && twiml.contains("<Gather"), "{twiml}");
    let mut yes = call_params("CA108");
    yes.push(("SpeechResult", "yes please"));
    let (status, next) = served.app.twilio("/twilio/gather?turn=1", &yes).await;
    assert_eq!(status, StatusCode::OK, "{next}");
    assert!(next.contains("<Dial"), "the caller's yes reaches a person: {next}");
}

#[tokio::test]
async fn the_per_call_cap_is_the_gateways_setting() {
    // The cap the bridge honours (above) is the one the settings give.
    let voice: Arc<dyn RealtimeVoice> = Arc::new(FakeVoice {
        sessions: Mutex::new(Vec::new()),
        opened: Mutex::new(Vec::new()),
        delay: Mutex::new(Duration::ZERO),
    });
    let cap_of = |variables: &[(&str, String)]| {
        let settings = crate::support::settings_with(variables);
        voice_gateway::realtime::RealtimeStreams::from_settings(voice.clone(), &settings).call_cap
    };
    assert_eq!(cap_of(&[]), Duration::from_secs(8 * 60), "8 minutes unless set");
    assert_eq!(cap_of(&[("FRONTDESK_REALTIME_CALL_CAP_MINUTES", "2".to_owned())]), Duration::from_secs(120));
}

/// `GET /twilio/stream/…` on a gateway built from `variables`: 404 when it
/// has no realtime streams, 403 (an unsigned upgrade) when it has.
async fn stream_status_of_a_gateway_with(variables: &[(&str, String)]) -> u16 {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut env = vec![
        ("FRONTDESK_HTTP_ADDR", "127.0.0.1:0".to_owned()),
        ("FRONTDESK_DATABASE_URL", format!("sqlite://{}", dir.path().join("f.db").display())),
        ("FRONTDESK_PUBLIC_BASE_URL", PUBLIC_URL.to_owned()),
    ];
    env.extend(variables.iter().cloned());
    let settings = crate::support::settings_with(&env);
    let gateway = voice_gateway::Application::build(&settings).await.unwrap_or_else(|e| panic!("{e:#}")).spawn();
    let gateway = gateway.unwrap_or_else(|e| panic!("{e}"));
    let url = format!("{}/twilio/stream/garbage", gateway.base_url());
    let response = reqwest::get(&url).await.unwrap_or_else(|e| panic!("{e}"));
    response.status().as_u16()
}

#[tokio::test]
async fn the_realtime_model_is_wired_only_when_an_openai_key_is_configured() {
    assert_eq!(stream_status_of_a_gateway_with(&[]).await, 404, "no key: no realtime, nothing changes");
    let with_key = [
        ("FRONTDESK_OPENAI_API_KEY", "sk-test".to_owned()),
        // Never dialled: a session opens only for a call.
        ("FRONTDESK_OPENAI_BASE_URL", "http://127.0.0.1:9/v1".to_owned()),
    ];
    assert_eq!(stream_status_of_a_gateway_with(&with_key).await, 403, "a key: the stream endpoint is served");
    let voice = frontdesk_runtime::build_realtime_voice(&crate::support::settings_with(&with_key))
        .unwrap_or_else(|e| panic!("{e:#}"))
        .unwrap_or_else(|| panic!("a realtime voice with a key"));
    assert_eq!(voice.model_id(), "gpt-realtime-2.1-mini", "FRONTDESK_OPENAI_REALTIME_MODEL's default");
    assert!(frontdesk_runtime::build_realtime_voice(&crate::support::settings_with(&[])).unwrap_or(None).is_none());
}

// A stream upgraded on another process than its webhook's: no session is
// parked for it here.

/// The fake model's next session, in place of the one `served` held.
fn next_session(served: &mut Served) {
    let (model, events) = RealtimeEvents::channel(16);
    let (sent_tx, sent) = mpsc::unbounded_channel();
    let session = RealtimeSession { sender: Arc::new(RecordingSender { sent: sent_tx }), events };
    served.voice.sessions.lock().unwrap_or_else(|e| e.into_inner()).push(session);
    (served.model, served.sent) = (model, sent);
}

#[tokio::test]
async fn a_stream_with_no_session_parked_opens_the_calls_own_with_its_tools_and_is_recorded() {
    // The webhook was served by another process: the call is in the shared
    // store, its session parked over there (here, none opened).
    let mut served = serve_with(None, false).await;
    voice_webhook(&served, "CA120").await;
    next_session(&mut served);
    let path = format!("/twilio/stream/{}", token(&served, "CA120", 0));
    let twiml_with_that_stream = format!(r#"<Stream url="wss://x{path}""#);
    let mut socket = start_stream(&served, &twiml_with_that_stream, "CA120").await;
    assert_eq!(model_got(&mut served.sent).await, Sent::Other, "the greeting is asked for");

    let configs = opened(&served);
    assert_eq!(configs.len(), 2, "{configs:?}");
    assert!(configs[1].instructions.contains("Fresh Cuts"), "the shop's own facts: {}", configs[1].instructions);
    assert!(configs[1].instructions.contains("Services:"), "{}", configs[1].instructions);
    let offered: Vec<&str> = configs[1].tools.iter().map(|tool| tool.name.as_str()).collect();
    assert!(offered.contains(&"hold_slot") && offered.contains(&"book_held_slot"), "{offered:?}");

    served.model.send(caller_said("c1", "a haircut tomorrow around 11 please")).await.ok();
    let window = json!({"service": "Haircut", "date": "2026-11-25", "after": "11:00", "before": null});
    served.model.send(tool_call("call_1", "check_availability", window)).await.ok();
    let offer = tool_result(&mut served.sent, "call_1").await;
    assert!(offer["say_exactly"].as_str().is_some_and(|say| say.contains("11")), "the shop's own tools: {offer}");
    let said = RealtimeEvent::ReceptionistTranscript { item_id: ItemId::new("r1"), text: "I have 11 free.".into() };
    served.model.send(said).await.ok();
    caller_hangs_up(&mut socket, "CA120", "5").await;

    let record = call_record(&served, "CA120").await;
    let said: Vec<&str> = record.turns.iter().map(|turn| turn.text.as_str()).collect();
    assert!(
        said.contains(&"a haircut tomorrow around 11 please") && said.contains(&"I have 11 free."),
        "the transcript is recorded on the call: {said:?}"
    );
}

#[tokio::test]
async fn a_stream_token_naming_another_shop_than_the_calls_is_refused() {
    let served = serve().await;
    let other = crate::support::shop_json("corner-salon", &[]);
    let created = served.app.admin(Method::PUT, "/admin/tenants/corner-salon", Some(&other)).await;
    assert!(created.status.is_success(), "{}", created.body);
    // The session parked for the call is fresh-cuts'.
    voice_webhook(&served, "CA121").await;
    let path = format!("/twilio/stream/{}", token_of(&served, "CA121", "corner-salon", 0));
    assert_refused(connect(&served, &path, Some(&signature_for(&path))).await, "unknown_call");
    // No session parked here: the other shop has no such call.
    let path = format!("/twilio/stream/{}", token_of(&served, "CA122", "corner-salon", 0));
    assert_refused(connect(&served, &path, Some(&signature_for(&path))).await, "unknown_call");
    // Nor does a shop that does not exist.
    let path = format!("/twilio/stream/{}", token_of(&served, "CA121", "no-such-shop", 0));
    assert_refused(connect(&served, &path, Some(&signature_for(&path))).await, "unknown_call");
    assert_eq!(opened(&served).len(), 1, "only the webhook's session was opened");
}

// The model's tools on a realtime call: the text path's rules act, only on
// the caller's own transcribed yes.

fn tool_call(id: &str, name: &str, arguments: Value) -> RealtimeEvent {
    RealtimeEvent::ToolCall(ToolCall { id: id.to_owned(), name: name.to_owned(), arguments: arguments.to_string() })
}

fn caller_said(item: &str, text: &str) -> RealtimeEvent {
    RealtimeEvent::CallerTranscript {
        item_id: ItemId::new(item),
        text: text.to_owned(),
        usage: frontdesk_llm::TranscriptionUsage::Unreported,
    }
}

/// The result the model got for tool call `id` (audio and other sends
/// skipped).
async fn tool_result(sent: &mut mpsc::UnboundedReceiver<Sent>, id: &str) -> Value {
    loop {
        if let Sent::ToolResult(call_id, result) = model_got(sent).await
            && call_id == id
        {
            return result;
        }
    }
}

async fn bookings_and_texts(served: &Served) -> (Vec<frontdesk_calendar::Booking>, usize) {
    use frontdesk_calendar::BookingStore;
    use frontdesk_jobs::JobAdmin;
    let tenant = frontdesk_core::TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}"));
    let now = served.app.clock.now();
    let bookings = served
        .app
        .store
        .list_bookings(&tenant, now - chrono::Duration::days(1), now + chrono::Duration::days(30), None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let jobs = served.app.store.list_jobs(None, 1000).await.unwrap_or_else(|e| panic!("{e}"));
    let texts = jobs.iter().filter(|job| job.kind.as_str() == frontdesk_calendar::NOTIFY_CUSTOMER).count();
    (bookings, texts)
}

const WEDNESDAY_11: &str = r#"{"service": "Haircut", "date": "2026-11-25", "time": "11:00"}"#;

#[tokio::test]
async fn a_realtime_booking_is_read_back_and_committed_once_on_the_callers_spoken_yes() {
    let mut served = serve().await;
    let twiml = voice_webhook(&served, "CA110").await;
    let config = opened(&served).remove(0);
    let offered: Vec<&str> = config.tools.iter().map(|tool| tool.name.as_str()).collect();
    for tool in ["check_availability", "hold_slot", "book_held_slot", "confirm_change", "answer_from_knowledge"] {
        assert!(offered.contains(&tool), "{tool} offered: {offered:?}");
    }
    assert!(config.instructions.contains("say_exactly"), "{}", config.instructions);
    let mut socket = start_stream(&served, &twiml, "CA110").await;
    assert_eq!(model_got(&mut served.sent).await, Sent::Other, "the greeting");

    let started = |item: &str| RealtimeEvent::SpeechStarted { audio_start_ms: 0, item_id: ItemId::new(item) };
    served.model.send(started("c1")).await.ok();
    served.model.send(caller_said("c1", "a haircut tomorrow around 11 please, my name is Sam Lee")).await.ok();
    let window = json!({"service": "Haircut", "date": "2026-11-25", "after": "11:00", "before": null});
    served.model.send(tool_call("call_1", "check_availability", window)).await.ok();
    let offer = tool_result(&mut served.sent, "call_1").await;
    assert!(offer["say_exactly"].as_str().is_some_and(|say| say.contains("11")), "{offer}");
    let held: Value = serde_json::from_str(WEDNESDAY_11).unwrap_or_default();
    served.model.send(tool_call("call_2", "hold_slot", held)).await.ok();
    let read_back = tool_result(&mut served.sent, "call_2").await;
    let read_back = read_back["say_exactly"].as_str().unwrap_or_else(|| panic!("{read_back}")).to_owned();
    assert!(read_back.contains("Sam Lee") && read_back.contains('?'), "the rules' read-back: {read_back}");
    assert!(bookings_and_texts(&served).await.0.is_empty(), "held, not booked");

    served.model.send(started("c2")).await.ok();
    served.model.send(caller_said("c2", "yes please")).await.ok();
    served.model.send(tool_call("call_3", "book_held_slot", json!({}))).await.ok();
    let booked = tool_result(&mut served.sent, "call_3").await;
    assert_eq!(booked["outcome"], "booked", "{booked}");
    assert!(booked["say_exactly"].as_str().is_some_and(|say| say.contains("confirmation code")), "{booked}");
    served
        .model
        .send(RealtimeEvent::ReceptionistTranscript { item_id: ItemId::new("r3"), text: "You're all set.".into() })
        .await
        .ok();
    // A second commit books nothing more.
    served.model.send(tool_call("call_4", "book_held_slot", json!({}))).await.ok();
    assert!(tool_result(&mut served.sent, "call_4").await["error"].is_string());
    caller_hangs_up(&mut socket, "CA110", "9").await;
    stream_done(&served, "CA110", "completed").await;

    let (bookings, texts) = bookings_and_texts(&served).await;
    assert_eq!(bookings.len(), 1, "booked exactly once");
    assert_eq!(bookings[0].customer.name, "Sam Lee");
    assert_eq!(bookings[0].customer.phone.as_str(), CALLER, "booked for the number calling");
    assert_eq!(texts, 1, "the confirmation text is queued");
    let record = call_record(&served, "CA110").await;
    assert_eq!(record.outcome, Some(frontdesk_routing::Outcome::Booked));
    assert_eq!(record.booking_id, Some(bookings[0].id));
    let said: Vec<&str> = record.turns.iter().map(|turn| turn.text.as_str()).collect();
    assert!(said.contains(&"yes please") && said.contains(&"You're all set."), "the transcript is stored: {said:?}");
}

#[tokio::test]
async fn a_model_that_books_without_the_callers_yes_books_nothing_and_the_hold_survives_the_fallback() {
    let mut served = serve().await;
    let twiml = voice_webhook(&served, "CA111").await;
    let mut socket = start_stream(&served, &twiml, "CA111").await;
    assert_eq!(model_got(&mut served.sent).await, Sent::Other);
    served.model.send(caller_said("c1", "book me a haircut tomorrow at 11, the name is Sam Lee")).await.ok();
    let held: Value = serde_json::from_str(WEDNESDAY_11).unwrap_or_default();
    served.model.send(tool_call("call_1", "hold_slot", held)).await.ok();
    let read_back = tool_result(&mut served.sent, "call_1").await;
    assert!(read_back["say_exactly"].is_string(), "{read_back}");
    // The model claims the caller agreed; the caller said nothing since.
    served.model.send(tool_call("call_2", "book_held_slot", json!({}))).await.ok();
    let refused = tool_result(&mut served.sent, "call_2").await;
    assert!(refused["error"].as_str().is_some_and(|error| error.contains("nothing was done")), "{refused}");
    assert!(bookings_and_texts(&served).await.0.is_empty(), "nothing booked without a yes");

    // The model's socket drops: the call goes on turn by turn, the slot
    // still held and its read-back asked again.
    served.model.send(RealtimeEvent::Closed { reason: "the connection was lost".into() }).await.ok();
    until_closed(&mut socket).await;
    let twiml = stream_done(&served, "CA111", "in-progress").await;
    assert!(twiml.contains("Sorry, let me try that again.") && twiml.contains("Sam Lee"), "{twiml}");
    assert!(twiml.contains("<Gather"), "{twiml}");
    let state = frontdesk_routing::CallState::from_json(&call_record(&served, "CA111").await.state);
    assert!(state.draft.hold.is_some(), "the held slot survives the fallback");
    let mut yes = call_params("CA111");
    yes.push(("SpeechResult", "yes"));
    let (status, next) = served.app.twilio("/twilio/gather?turn=1", &yes).await;
    assert_eq!(status, StatusCode::OK, "{next}");
    assert!(next.contains("confirmation code"), "{next}");
    assert_eq!(bookings_and_texts(&served).await.0.len(), 1, "booked once, on the caller's own yes");
}

#[tokio::test]
async fn a_transfer_asked_by_the_model_ends_the_stream_in_the_text_paths_warm_transfer() {
    let mut served = serve().await;
    let twiml = voice_webhook(&served, "CA112").await;
    let mut socket = start_stream(&served, &twiml, "CA112").await;
    assert_eq!(model_got(&mut served.sent).await, Sent::Other);
    served.model.send(caller_said("c1", "can I talk to a real person")).await.ok();
    served.model.send(tool_call("call_1", "transfer_to_human", json!({"reason": "asked for a person"}))).await.ok();
    until_closed(&mut socket).await;
    let twiml = stream_done(&served, "CA112", "in-progress").await;
    assert!(twiml.contains("<Dial") && twiml.contains("connect you"), "{twiml}");
    assert!(!twiml.contains("try that again"), "no apology for a hand-off: {twiml}");
}

// The gateway's metrics (`GET /metrics`, Prometheus's text format).

/// `GET /metrics` with `token` as the bearer; the body as text.
async fn scrape(app: &crate::support::TestApp, token: Option<&str>) -> (StatusCode, axum::http::HeaderMap, String) {
    let reply = app.call(Method::GET, "/metrics", token, None).await;
    let text = match reply.body {
        Value::String(text) => text,
        other => other.to_string(),
    };
    (reply.status, reply.headers, text)
}

/// The lines of `text` whose series is `name`.
fn metric_lines<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    text.lines().filter(|line| line.starts_with(name)).collect()
}

#[tokio::test]
async fn a_realtime_calls_turn_latency_end_and_tokens_are_served_as_metrics() {
    let mut served = serve().await;
    let (status, headers, before) = scrape(&served.app, Some(crate::support::METRICS_TOKEN)).await;
    assert_eq!(status, StatusCode::OK, "{before}");
    assert_eq!(headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
    assert!(before.contains("frontdesk_realtime_turn_latency_seconds_count 0\n"), "{before}");

    let twiml = voice_webhook(&served, "CA111").await;
    let mut socket = start_stream(&served, &twiml, "CA111").await;
    assert_eq!(model_got(&mut served.sent).await, Sent::Other);
    let usage = |audio_in, audio_out| RealtimeUsage {
        text: ModelUsage { input_tokens: 100, cached_input_tokens: 40, output_tokens: 10 },
        audio: ModelUsage { input_tokens: audio_in, cached_input_tokens: 0, output_tokens: audio_out },
    };
    let events = [
        RealtimeEvent::AudioOut { item_id: ItemId::new("r1"), audio: vec![7; 160] },
        RealtimeEvent::ResponseDone { status: ResponseStatus::Completed, usage: usage(0, 200) },
        // One caller turn: speech stopped, then the answer's first audio.
        RealtimeEvent::SpeechStopped { audio_end_ms: 900, item_id: ItemId::new("c1") },
        RealtimeEvent::AudioOut { item_id: ItemId::new("r2"), audio: vec![9; 160] },
        RealtimeEvent::ResponseDone { status: ResponseStatus::Completed, usage: usage(50, 100) },
    ];
    for event in events {
        served.model.send(event).await.ok();
    }
    caller_hangs_up(&mut socket, "CA111", "5").await;
    stream_done(&served, "CA111", "completed").await;

    let (status, _, text) = scrape(&served.app, Some(crate::support::METRICS_TOKEN)).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let latency = metric_lines(&text, "frontdesk_realtime_turn_latency_seconds");
    assert_eq!(latency.len(), 14, "11 buckets, +Inf, sum and count: {text}");
    assert_eq!(
        latency[0], "frontdesk_realtime_turn_latency_seconds_bucket{le=\"0.1\"} 1",
        "a fake model is quick: {text}"
    );
    assert_eq!(latency[11], "frontdesk_realtime_turn_latency_seconds_bucket{le=\"+Inf\"} 1", "{text}");
    assert_eq!(latency[13], "frontdesk_realtime_turn_latency_seconds_count 1", "{text}");
    assert_eq!(
        metric_lines(&text, "frontdesk_realtime_calls_total{"),
        [
            "frontdesk_realtime_calls_total{ended=\"hung_up\"} 1",
            "frontdesk_realtime_calls_total{ended=\"model_failed\"} 0",
            "frontdesk_realtime_calls_total{ended=\"cap_reached\"} 0",
            "frontdesk_realtime_calls_total{ended=\"handed_off\"} 0",
        ],
        "{text}"
    );
    assert_eq!(
        metric_lines(&text, "frontdesk_realtime_tokens_total{"),
        [
            "frontdesk_realtime_tokens_total{kind=\"text\",direction=\"input\"} 200",
            "frontdesk_realtime_tokens_total{kind=\"text\",direction=\"output\"} 20",
            "frontdesk_realtime_tokens_total{kind=\"audio\",direction=\"input\"} 50",
            "frontdesk_realtime_tokens_total{kind=\"audio\",direction=\"output\"} 300",
        ],
        "{text}"
    );
}

#[tokio::test]
async fn metrics_are_served_only_with_their_setting_and_only_for_its_token() {
    // No FRONTDESK_METRICS_TOKEN: nothing there.
    let plain = crate::support::TestApp::new().await;
    let (status, _, text) = scrape(&plain, Some(crate::support::METRICS_TOKEN)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{text}");
    assert!(text.contains("FRONTDESK_METRICS_TOKEN"), "{text}");

    let served = serve().await;
    for token in [None, Some("wrong-token-of-the-same-length!"), Some("")] {
        let (status, headers, text) = scrape(&served.app, token).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{token:?}: {text}");
        assert_eq!(headers["www-authenticate"], "Bearer", "{token:?}");
        assert!(!text.contains("frontdesk_realtime"), "{token:?}: {text}");
    }
    // The admin's token is not the scraper's.
    let admin = served.app.token("admin");
    assert_eq!(scrape(&served.app, Some(&admin)).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_gateway_serves_metrics_when_its_metrics_token_is_set() {
    let metrics_of = |variables: Vec<(&'static str, String)>| async move {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut env = vec![
            ("FRONTDESK_HTTP_ADDR", "127.0.0.1:0".to_owned()),
            ("FRONTDESK_DATABASE_URL", format!("sqlite://{}", dir.path().join("f.db").display())),
            ("FRONTDESK_PUBLIC_BASE_URL", PUBLIC_URL.to_owned()),
        ];
        env.extend(variables);
        let settings = crate::support::settings_with(&env);
        let gateway = voice_gateway::Application::build(&settings).await.unwrap_or_else(|e| panic!("{e:#}")).spawn();
        let gateway = gateway.unwrap_or_else(|e| panic!("{e}"));
        let response = reqwest::Client::new()
            .get(format!("{}/metrics", gateway.base_url()))
            .bearer_auth("a-scrape-token-of-the-operators")
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        (response.status().as_u16(), response.text().await.unwrap_or_default())
    };
    assert_eq!(metrics_of(Vec::new()).await.0, 404, "not set: not served");
    let (status, text) =
        metrics_of(vec![("FRONTDESK_METRICS_TOKEN", "a-scrape-token-of-the-operators".to_owned())]).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("# TYPE frontdesk_realtime_calls_total counter"), "{text}");
}
