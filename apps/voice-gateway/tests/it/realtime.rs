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
use frontdesk_voice_bridge::{StreamTokens, ToolRunner};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::support::{PUBLIC_URL, SECRET, TWILIO_TOKEN, TestApp};

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
}

#[async_trait]
impl RealtimeVoice for FakeVoice {
    fn model_id(&self) -> &str {
        "gpt-realtime-2.1-mini"
    }

    async fn open(&self, config: SessionConfig) -> Result<RealtimeSession, RealtimeError> {
        self.opened.lock().unwrap_or_else(|e| e.into_inner()).push(config);
        self.sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop()
            .ok_or(RealtimeError::Unavailable("no session".into()))
    }
}

struct Refusing;

#[async_trait]
impl ToolRunner for Refusing {
    async fn run(&self, call: &ToolCall) -> Value {
        json!({"error": format!("{} is not offered", call.name)})
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
    let (model, events) = RealtimeEvents::channel(16);
    let (sent_tx, sent) = mpsc::unbounded_channel();
    let session = RealtimeSession { sender: Arc::new(RecordingSender { sent: sent_tx }), events };
    let voice = Arc::new(FakeVoice { sessions: Mutex::new(vec![session]), opened: Mutex::new(Vec::new()) });
    let app = TestApp::with_realtime(voice.clone(), Arc::new(Refusing)).await;
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

fn token(served: &Served, call_sid: &str, minutes_ago: i64) -> String {
    StreamTokens::new(SECRET.as_bytes()).mint(call_sid, served.app.clock.now() - chrono::Duration::minutes(minutes_ago))
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
    let forged = StreamTokens::new(b"not the gateway's secret").mint("CA1", served.app.clock.now());
    for token in [forged, token(&served, "CA1", 3), "CA1.99999999999.AAAA".to_owned(), "garbage".to_owned()] {
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
    let path = format!("/twilio/stream/{}", token(&served, "CA1", 1));
    let mut socket = connect(&served, &path, Some(&signature_for(&path))).await.unwrap_or_else(|e| panic!("{e}"));
    send_json(&mut socket, json!({"event": "connected", "protocol": "Call", "version": "1.0.0"})).await;
    send_json(
        &mut socket,
        json!({"event": "start", "sequenceNumber": "1", "streamSid": "MZ1", "start": {
        "accountSid": "AC1", "streamSid": "MZ1", "callSid": "CA1", "tracks": ["inbound"],
        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
        "customParameters": {"tenant": "t1"}}}),
    )
    .await;
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
    assert_eq!(
        model_got(&mut served.sent).await,
        Sent::ToolResult("call_1".to_owned(), json!({"error": "transfer is not offered"}))
    );

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
    let path = format!("/twilio/stream/{}", token(&served, "CA1", 0));
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
