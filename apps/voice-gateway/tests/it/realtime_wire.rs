//! A whole realtime call over both wires: a WebSocket client plays Twilio's
//! Media Streams against the gateway on a local port, and the gateway's
//! voice is the real OpenAI Realtime adapter (built from settings, as the
//! binary builds it) talking to a scripted fake of the Realtime API (GA
//! events) on 127.0.0.1.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::http::{Method, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use frontdesk_routing::{CallSid, CallStore, Speaker};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};

use crate::support::{PUBLIC_URL, TWILIO_TOKEN, TestApp};

const KEY: &str = "sk-test-not-a-real-key";
const SHOP: &str = "+15555550100";
const CALLER: &str = "+15555551234";
/// Long enough never to pass on a loaded machine; only a failing test waits it.
const PATIENCE: Duration = Duration::from_secs(10);

/// The fake Realtime API's side of the one session it serves.
struct FakeOpenAi {
    /// `http://127.0.0.1:…/v1`, as `FRONTDESK_OPENAI_BASE_URL`.
    base_url: String,
    /// The upgrade's `Authorization` header.
    authorization: Arc<Mutex<Option<String>>>,
    /// Every JSON event the adapter sent, in order.
    got: mpsc::UnboundedReceiver<Value>,
    /// Events for the fake to send the adapter.
    say: mpsc::UnboundedSender<Value>,
}

/// Accepts one upgrade (refused with 401 unless it carries our key), says
/// `session.created`, answers the `session.update` with `session.updated`,
/// then relays: what the adapter sends to `got`, what `say` gets to it.
async fn fake_openai() -> FakeOpenAi {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("bind: {e}"));
    let address = listener.local_addr().unwrap_or_else(|e| panic!("address: {e}"));
    let authorization = Arc::new(Mutex::new(None));
    let (got_tx, got) = mpsc::unbounded_channel();
    let (say, mut said) = mpsc::unbounded_channel::<Value>();
    let seen = authorization.clone();
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap_or_else(|e| panic!("accept: {e}"));
        // The callback's error type is tungstenite's.
        #[allow(clippy::result_large_err)]
        let callback = move |request: &Request, response: Response| -> Result<Response, ErrorResponse> {
            let header = request.headers().get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
            let allowed = header.as_deref() == Some(format!("Bearer {KEY}").as_str());
            *seen.lock().unwrap_or_else(PoisonError::into_inner) = header;
            if allowed {
                Ok(response)
            } else {
                let mut refused = ErrorResponse::new(Some(r#"{"error": {"code": "invalid_api_key"}}"#.to_owned()));
                *refused.status_mut() = tokio_tungstenite::tungstenite::http::StatusCode::UNAUTHORIZED;
                Err(refused)
            }
        };
        let Ok(mut socket) = tokio_tungstenite::accept_hdr_async(stream, callback).await else { return };
        say_to(&mut socket, json!({"type": "session.created", "event_id": "event_1", "session": {}})).await;
        loop {
            tokio::select! {
                frame = socket.next() => match frame {
                    Some(Ok(Message::Text(text))) => {
                        let event: Value = serde_json::from_str(text.as_str()).unwrap_or_else(|e| panic!("{e}: {text}"));
                        if event["type"] == "session.update" {
                            let updated = json!({"type": "session.updated", "event_id": "event_2",
                                "session": event["session"].clone()});
                            say_to(&mut socket, updated).await;
                        }
                        if got_tx.send(event).is_err() {
                            return;
                        }
                    }
                    Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                    Some(Ok(_)) => {}
                },
                event = said.recv() => match event {
                    Some(event) => say_to(&mut socket, event).await,
                    None => return,
                },
            }
        }
    });
    FakeOpenAi { base_url: format!("http://{address}/v1"), authorization, got, say }
}

async fn say_to(socket: &mut WebSocketStream<TcpStream>, event: Value) {
    socket.send(Message::text(event.to_string())).await.unwrap_or_else(|e| panic!("fake send: {e}"));
}

impl FakeOpenAi {
    fn says(&self, event: Value) {
        self.say.send(event).unwrap_or_else(|e| panic!("the fake is gone: {e}"));
    }

    /// The next event of `kind` the adapter sent (others skipped).
    async fn got(&mut self, kind: &str) -> Value {
        loop {
            let event = tokio::time::timeout(PATIENCE, self.got.recv())
                .await
                .unwrap_or_else(|_| panic!("no {kind} reached the fake"))
                .unwrap_or_else(|| panic!("the fake's socket ended before a {kind}"));
            if event["type"] == kind {
                return event;
            }
        }
    }
}

// Twilio's side (as realtime.rs plays it).

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn call_params(call_sid: &str) -> Vec<(&str, &str)> {
    vec![("CallSid", call_sid), ("From", CALLER), ("To", SHOP)]
}

/// Connects the `<Stream>` of `twiml`, signed as Twilio signs it.
async fn connect_stream(base: &str, twiml: &str) -> Socket {
    let start = twiml.find("/twilio/stream/").unwrap_or_else(|| panic!("no stream in {twiml}"));
    let rest = &twiml[start..];
    let path = &rest[..rest.find('"').unwrap_or(rest.len())];
    let url = format!("{}{path}", PUBLIC_URL.replacen("https://", "wss://", 1));
    let signature = frontdesk_twilio::RequestValidator::new(TWILIO_TOKEN).compute_signature(&url, &[]);
    let mut request = format!("{base}{path}").into_client_request().unwrap_or_else(|e| panic!("{e}"));
    request.headers_mut().insert("x-twilio-signature", signature.parse().unwrap_or_else(|e| panic!("{e}")));
    let (socket, _) = tokio_tungstenite::connect_async(request).await.unwrap_or_else(|e| panic!("{e}"));
    socket
}

async fn send_json(socket: &mut Socket, value: Value) {
    socket.send(Message::Text(value.to_string().into())).await.unwrap_or_else(|e| panic!("{e}"));
}

/// The next message the gateway sends Twilio other than a `clear` (the
/// caller's speech may clear a playback queue that is already empty).
async fn next_to_twilio(socket: &mut Socket) -> Value {
    loop {
        let frame = tokio::time::timeout(PATIENCE, socket.next())
            .await
            .unwrap_or_else(|_| panic!("nothing from the gateway"))
            .unwrap_or_else(|| panic!("the socket closed"))
            .unwrap_or_else(|e| panic!("{e}"));
        if let Message::Text(text) = frame {
            let message: Value = serde_json::from_str(text.as_str()).unwrap_or_else(|e| panic!("{e}: {text}"));
            if message["event"] != "clear" {
                return message;
            }
        }
    }
}

async fn until_closed(socket: &mut Socket) {
    let closed = tokio::time::timeout(PATIENCE, async {
        while let Some(Ok(frame)) = socket.next().await {
            if let Message::Close(_) = frame {
                break;
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the gateway never closed the stream");
}

#[tokio::test]
async fn a_call_relayed_to_the_openai_realtime_adapter_over_the_wire_is_recorded_and_metered() {
    let mut openai = fake_openai().await;
    let settings = crate::support::settings_with(&[
        ("FRONTDESK_OPENAI_API_KEY", KEY.to_owned()),
        ("FRONTDESK_OPENAI_BASE_URL", openai.base_url.clone()),
    ]);
    let voice = frontdesk_runtime::build_realtime_voice(&settings)
        .unwrap_or_else(|e| panic!("{e:#}"))
        .unwrap_or_else(|| panic!("a realtime voice with a key"));
    let app = TestApp::with_realtime(voice).await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
    let base = format!("ws://{}", listener.local_addr().unwrap_or_else(|e| panic!("{e}")));
    let router = app.router.clone();
    tokio::spawn(async move { axum::serve(listener, router.into_make_service()).await });

    // The webhook opens the session while the phone rings.
    let (status, twiml) = app.twilio("/twilio/voice", &call_params("CA130")).await;
    assert_eq!(status, StatusCode::OK, "{twiml}");
    assert!(twiml.contains("<Connect") && !twiml.contains("<Gather"), "answered by the realtime voice: {twiml}");
    let expected_key = format!("Bearer {KEY}");
    let authorization = openai.authorization.lock().unwrap_or_else(PoisonError::into_inner).clone();
    assert_eq!(authorization.as_deref(), Some(expected_key.as_str()));
    let update = openai.got("session.update").await;
    let session = &update["session"];
    let instructions = session["instructions"].as_str().unwrap_or_default();
    assert!(instructions.contains("Fresh Cuts") && instructions.contains("Services:"), "{instructions}");
    let tools: Vec<&str> =
        session["tools"].as_array().into_iter().flatten().filter_map(|t| t["name"].as_str()).collect();
    for tool in ["check_availability", "hold_slot", "book_held_slot", "answer_from_knowledge"] {
        assert!(tools.contains(&tool), "{tool} offered: {tools:?}");
    }
    assert_eq!(session["audio"]["input"]["format"], json!({"type": "audio/pcmu"}), "{session}");

    let mut socket = connect_stream(&base, &twiml).await;
    send_json(&mut socket, json!({"event": "connected", "protocol": "Call", "version": "1.0.0"})).await;
    send_json(
        &mut socket,
        json!({"event": "start", "sequenceNumber": "1", "streamSid": "MZ1", "start": {
        "accountSid": "AC1", "streamSid": "MZ1", "callSid": "CA130", "tracks": ["inbound"],
        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
        "customParameters": {"tenant": "fresh-cuts"}}}),
    )
    .await;
    openai.got("response.create").await;

    // The caller's μ-law reaches the API byte for byte.
    let caller_audio: Vec<u8> = (0..160).map(|i| (255 - i) as u8).collect();
    send_json(
        &mut socket,
        json!({"event": "media", "sequenceNumber": "2", "streamSid": "MZ1",
        "media": {"track": "inbound", "chunk": "1", "timestamp": "20", "payload": STANDARD.encode(&caller_audio)}}),
    )
    .await;
    let append = openai.got("input_audio_buffer.append").await;
    let appended = STANDARD.decode(append["audio"].as_str().unwrap_or_default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(appended, caller_audio);

    openai.says(json!({"type": "input_audio_buffer.speech_started", "event_id": "event_3",
        "audio_start_ms": 0, "item_id": "item_caller_1"}));
    openai.says(json!({"type": "input_audio_buffer.speech_stopped", "event_id": "event_4",
        "audio_end_ms": 1_200, "item_id": "item_caller_1"}));
    openai.says(json!({"type": "conversation.item.input_audio_transcription.completed", "event_id": "event_5",
        "item_id": "item_caller_1", "content_index": 0, "transcript": "what time do you close"}));
    openai.says(json!({"type": "response.created", "event_id": "event_6",
        "response": {"object": "realtime.response", "id": "resp_1", "status": "in_progress"}}));

    // The API's μ-law reaches the caller byte for byte, then a mark.
    let answer: Vec<u8> = (0..320).map(|i| (i % 251) as u8).collect();
    openai.says(json!({"type": "response.output_audio.delta", "event_id": "event_7", "response_id": "resp_1",
        "item_id": "item_reply_1", "output_index": 0, "content_index": 0, "delta": STANDARD.encode(&answer)}));
    assert_eq!(
        next_to_twilio(&mut socket).await,
        json!({"event": "media", "streamSid": "MZ1", "media": {"payload": STANDARD.encode(&answer)}})
    );
    assert_eq!(
        next_to_twilio(&mut socket).await,
        json!({"event": "mark", "streamSid": "MZ1", "mark": {"name": "item_reply_1:40"}})
    );
    send_json(
        &mut socket,
        json!({"event": "mark", "sequenceNumber": "3", "streamSid": "MZ1", "mark": {"name": "item_reply_1:40"}}),
    )
    .await;
    openai.says(json!({"type": "response.output_audio_transcript.done", "event_id": "event_8",
        "response_id": "resp_1", "item_id": "item_reply_1", "output_index": 0, "content_index": 0,
        "transcript": "We close at 6 PM."}));
    openai.says(json!({"type": "response.done", "event_id": "event_9", "response": {
        "object": "realtime.response", "id": "resp_1", "status": "completed", "status_details": null, "output": [],
        "usage": {"total_tokens": 1_000, "input_tokens": 700, "output_tokens": 300,
            "input_token_details": {"text_tokens": 500, "audio_tokens": 200, "image_tokens": 0, "cached_tokens": 0},
            "output_token_details": {"text_tokens": 60, "audio_tokens": 240}}}}));
    // A next answer's audio: the bridge has read every event before it.
    let more = vec![0x7f; 80];
    openai.says(json!({"type": "response.output_audio.delta", "event_id": "event_10", "response_id": "resp_2",
        "item_id": "item_reply_2", "output_index": 0, "content_index": 0, "delta": STANDARD.encode(&more)}));
    assert_eq!(
        next_to_twilio(&mut socket).await,
        json!({"event": "media", "streamSid": "MZ1", "media": {"payload": STANDARD.encode(&more)}})
    );
    assert_eq!(
        next_to_twilio(&mut socket).await,
        json!({"event": "mark", "streamSid": "MZ1", "mark": {"name": "item_reply_2:10"}})
    );

    send_json(
        &mut socket,
        json!({"event": "stop", "sequenceNumber": "4", "streamSid": "MZ1",
        "stop": {"accountSid": "AC1", "callSid": "CA130"}}),
    )
    .await;
    until_closed(&mut socket).await;
    let mut done = call_params("CA130");
    done.push(("CallStatus", "completed"));
    let (status, twiml) = app.twilio("/twilio/stream-done", &done).await;
    assert_eq!(status, StatusCode::OK, "{twiml}");

    let tenant = frontdesk_core::TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}"));
    let sid = CallSid::parse("CA130").unwrap_or_else(|e| panic!("{e}"));
    let record = CallStore::call(app.store.as_ref(), &tenant, &sid)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("no record of CA130"));
    let said: Vec<(Speaker, &str)> = record.turns.iter().map(|turn| (turn.speaker, turn.text.as_str())).collect();
    assert!(said.contains(&(Speaker::Caller, "what time do you close")), "{said:?}");
    assert!(said.contains(&(Speaker::Agent, "We close at 6 PM.")), "{said:?}");
    let call = app.admin(Method::GET, "/admin/tenants/fresh-cuts/calls/CA130", None).await;
    assert_eq!(call.status, StatusCode::OK, "{}", call.body);
    assert_eq!(call.body["ai_cost"]["tokens"], 1_000, "the answer's tokens metered on the call: {}", call.body);
    let usage = app.admin(Method::GET, "/admin/tenants/fresh-cuts/usage", None).await;
    assert_eq!(usage.body["usage"]["llm_tokens"], 1_000, "{}", usage.body);
}
