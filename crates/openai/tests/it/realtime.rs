//! The domain's `RealtimeVoice` port over OpenAI's Realtime API (GA),
//! against a scripted WebSocket server on 127.0.0.1: what goes on the wire
//! (the upgrade's key and URL, `session.update`, audio, tool results,
//! truncation) and what comes back as the port's events; how opening fails.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use frontdesk_llm::{
    AudioFormat, ItemId, ModelUsage, RealtimeError, RealtimeEvent, RealtimeEvents, RealtimeSession, RealtimeUsage,
    RealtimeVoice, ResponseStatus, SessionConfig, ToolCall, ToolSpec, TranscriptionUsage, TurnDetection,
};
use frontdesk_openai::{OpenAiRealtime, RealtimeConfig, RealtimeSetupError, realtime_url};
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;

const KEY: &str = "sk-test-not-a-real-key";
/// Long enough never to pass on a loaded machine; only a failing test waits it.
const PATIENCE: Duration = Duration::from_secs(10);
/// μ-law of PCM16 [0, 1, -1, 100, -100, 1000, -1000, 8031, -8031, 32767,
/// -32768] (protocols.md §3), then every byte value once.
fn mulaw() -> Vec<u8> {
    let mut audio = vec![0xff, 0xff, 0x7e, 0xf2, 0x72, 0xce, 0x4e, 0xa0, 0x20, 0x80, 0x00];
    audio.extend(0..=255u8);
    audio
}

type ServerSocket = WebSocketStream<TcpStream>;

/// What the client's upgrade request carried.
#[derive(Debug, Default, Clone)]
struct Upgrade {
    path_and_query: String,
    authorization: Option<String>,
}

async fn listen() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("bind: {e}"));
    let address = listener.local_addr().unwrap_or_else(|e| panic!("address: {e}"));
    (listener, format!("http://{address}/v1"))
}

/// Accepts one upgrade, answered with `refuse` (status, body) if given.
// The callback's error type is tungstenite's.
#[allow(clippy::result_large_err)]
async fn accept(listener: &TcpListener, refuse: Option<(StatusCode, &str)>) -> (Option<ServerSocket>, Upgrade) {
    let (stream, _) = listener.accept().await.unwrap_or_else(|e| panic!("accept: {e}"));
    let seen = Arc::new(Mutex::new(Upgrade::default()));
    let record = seen.clone();
    let refusal = refuse.map(|(status, body)| (status, body.to_owned()));
    let callback = move |request: &Request, response: Response| -> Result<Response, ErrorResponse> {
        let upgrade = Upgrade {
            path_and_query: request.uri().path_and_query().map(ToString::to_string).unwrap_or_default(),
            authorization: request.headers().get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned),
        };
        *record.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = upgrade;
        match refusal {
            Some((status, body)) => {
                let mut refused = ErrorResponse::new(Some(body));
                *refused.status_mut() = status;
                Err(refused)
            }
            None => Ok(response),
        }
    };
    let socket = tokio_tungstenite::accept_hdr_async(stream, callback).await.ok();
    let upgrade = seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
    (socket, upgrade)
}

fn fake_voice(base_url: &str) -> OpenAiRealtime {
    let config = RealtimeConfig {
        base_url: base_url.to_owned(),
        connect_timeout: Duration::from_secs(2),
        setup_timeout: Duration::from_millis(300),
        ..RealtimeConfig::new(KEY)
    };
    OpenAiRealtime::new(config).unwrap_or_else(|e| panic!("{e}"))
}

fn transfer_tool() -> ToolSpec {
    ToolSpec {
        name: "transfer_to_human".to_owned(),
        description: "Hand the caller to a person at the shop.".to_owned(),
        parameters: json!({
            "type": "object",
            "properties": {"reason": {"type": "string"}},
            "required": ["reason"],
            "additionalProperties": false
        }),
    }
}

fn session_config() -> SessionConfig {
    SessionConfig {
        instructions: "You answer the phone for Fresh Cuts.".to_owned(),
        tools: vec![transfer_tool()],
        audio_format: AudioFormat::Mulaw8k,
        voice: "marin".to_owned(),
        input_transcription_model: Some("gpt-4o-mini-transcribe".to_owned()),
        turn_detection: TurnDetection::ServerVad {
            silence: Duration::from_millis(500),
            idle_timeout: Some(Duration::from_secs(8)),
        },
        max_output_tokens: Some(300),
    }
}

/// The next JSON text frame the server gets.
async fn received(socket: &mut ServerSocket) -> Value {
    loop {
        let message = tokio::time::timeout(PATIENCE, socket.next()).await.unwrap_or_else(|_| panic!("no frame"));
        match message {
            Some(Ok(Message::Text(text))) => {
                return serde_json::from_str(text.as_str()).unwrap_or_else(|e| panic!("{e}: {text}"));
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}

async fn say(socket: &mut ServerSocket, event: Value) {
    socket.send(Message::text(event.to_string())).await.unwrap_or_else(|e| panic!("server send: {e}"));
}

async fn next_event(events: &mut RealtimeEvents) -> RealtimeEvent {
    tokio::time::timeout(PATIENCE, events.next())
        .await
        .unwrap_or_else(|_| panic!("no event"))
        .unwrap_or_else(|| panic!("the events ended"))
}

/// Opens a session against the fake, which checks the upgrade and the
/// configuration and confirms it: the session and the server's socket.
async fn opened(config: SessionConfig) -> (RealtimeSession, ServerSocket, Value) {
    let (listener, base_url) = listen().await;
    let voice = fake_voice(&base_url);
    let opening = tokio::spawn(async move { voice.open(config).await });
    let (socket, upgrade) = accept(&listener, None).await;
    let mut socket = socket.unwrap_or_else(|| panic!("the upgrade failed"));
    assert_eq!(upgrade.path_and_query, "/v1/realtime?model=gpt-realtime-2.1-mini");
    assert_eq!(upgrade.authorization.as_deref(), Some(format!("Bearer {KEY}").as_str()));
    let update = received(&mut socket).await;
    say(&mut socket, json!({"type": "session.created", "event_id": "event_1", "session": {"type": "realtime"}})).await;
    say(&mut socket, json!({"type": "session.updated", "event_id": "event_2", "session": update["session"].clone()}))
        .await;
    let session = opening.await.unwrap_or_else(|e| panic!("{e}")).unwrap_or_else(|e| panic!("{e}"));
    (session, socket, update)
}

#[tokio::test]
async fn a_session_is_configured_then_a_whole_exchange_goes_both_ways() {
    let (session, mut server, update) = opened(session_config()).await;
    assert_eq!(
        update,
        json!({"type": "session.update", "session": {
            "type": "realtime",
            "model": "gpt-realtime-2.1-mini",
            "output_modalities": ["audio"],
            "instructions": "You answer the phone for Fresh Cuts.",
            "audio": {
                "input": {
                    "format": {"type": "audio/pcmu"},
                    "transcription": {"model": "gpt-4o-mini-transcribe"},
                    "turn_detection": {"type": "server_vad", "silence_duration_ms": 500, "create_response": true,
                        "interrupt_response": true, "idle_timeout_ms": 8000}
                },
                "output": {"format": {"type": "audio/pcmu"}, "voice": "marin"}
            },
            "tools": [{"type": "function", "name": "transfer_to_human",
                "description": "Hand the caller to a person at the shop.",
                "parameters": {"type": "object", "properties": {"reason": {"type": "string"}},
                    "required": ["reason"], "additionalProperties": false}}],
            "max_output_tokens": 300
        }})
    );
    let RealtimeSession { sender, mut events } = session;

    // The caller's audio goes in as it came, from another task.
    let audio_sender = sender.clone();
    let sending = tokio::spawn(async move { audio_sender.send_audio(&mulaw()).await });
    let append = received(&mut server).await;
    assert_eq!(append["type"], "input_audio_buffer.append");
    let sent = BASE64.decode(append["audio"].as_str().unwrap_or_default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sent, mulaw());
    assert_eq!(sending.await.unwrap_or_else(|e| panic!("{e}")), Ok(()));

    say(
        &mut server,
        json!({"type": "input_audio_buffer.speech_started", "event_id": "event_3",
        "audio_start_ms": 1_240, "item_id": "item_caller_1"}),
    )
    .await;
    say(
        &mut server,
        json!({"type": "input_audio_buffer.speech_stopped", "event_id": "event_4",
        "audio_end_ms": 3_080, "item_id": "item_caller_1"}),
    )
    .await;
    say(
        &mut server,
        json!({"type": "input_audio_buffer.committed", "event_id": "event_5",
        "previous_item_id": null, "item_id": "item_caller_1"}),
    )
    .await;
    say(
        &mut server,
        json!({"type": "conversation.item.input_audio_transcription.completed", "event_id": "event_6",
        "item_id": "item_caller_1", "content_index": 0, "transcript": "Can I talk to Marco?",
        "usage": {"type": "duration", "seconds": 2}}),
    )
    .await;
    say(
        &mut server,
        json!({"type": "response.created", "event_id": "event_6b", "response": {
        "object": "realtime.response", "id": "resp_1", "status": "in_progress", "status_details": null,
        "output": [], "usage": null}}),
    )
    .await;
    let model_audio = mulaw();
    let (first, second) = model_audio.split_at(100);
    for piece in [first, second] {
        say(
            &mut server,
            json!({"type": "response.output_audio.delta", "event_id": "event_7",
            "response_id": "resp_1", "item_id": "item_reply_1", "output_index": 0, "content_index": 0,
            "delta": BASE64.encode(piece)}),
        )
        .await;
    }
    say(
        &mut server,
        json!({"type": "response.output_audio_transcript.done", "event_id": "event_8",
        "response_id": "resp_1", "item_id": "item_reply_1", "output_index": 0, "content_index": 0,
        "transcript": "Let me get Marco for you."}),
    )
    .await;
    let call = json!({"id": "item_call_1", "object": "realtime.item", "type": "function_call", "status": "completed",
        "call_id": "call_7", "name": "transfer_to_human", "arguments": "{\"reason\":\"asked for Marco\"}"});
    say(
        &mut server,
        json!({"type": "response.function_call_arguments.done", "event_id": "event_9",
        "response_id": "resp_1", "item_id": "item_call_1", "output_index": 1, "call_id": "call_7",
        "arguments": "{\"reason\":\"asked for Marco\"}"}),
    )
    .await;
    say(
        &mut server,
        json!({"type": "response.output_item.done", "event_id": "event_10", "response_id": "resp_1",
        "output_index": 1, "item": call}),
    )
    .await;
    say(
        &mut server,
        json!({"type": "response.done", "event_id": "event_11", "response": {
        "object": "realtime.response", "id": "resp_1", "status": "completed", "status_details": null,
        "output": [call],
        "usage": {"total_tokens": 1_000, "input_tokens": 700, "output_tokens": 300,
            "input_token_details": {"text_tokens": 500, "audio_tokens": 200, "image_tokens": 0, "cached_tokens": 448,
                "cached_tokens_details": {"text_tokens": 384, "audio_tokens": 64, "image_tokens": 0}},
            "output_token_details": {"text_tokens": 60, "audio_tokens": 240}}}}),
    )
    .await;

    let caller = ItemId::new("item_caller_1");
    let reply = ItemId::new("item_reply_1");
    assert_eq!(
        next_event(&mut events).await,
        RealtimeEvent::SpeechStarted { audio_start_ms: 1_240, item_id: caller.clone() }
    );
    assert_eq!(
        next_event(&mut events).await,
        RealtimeEvent::SpeechStopped { audio_end_ms: 3_080, item_id: caller.clone() }
    );
    assert_eq!(
        next_event(&mut events).await,
        RealtimeEvent::CallerTranscript {
            item_id: caller,
            text: "Can I talk to Marco?".to_owned(),
            usage: TranscriptionUsage::AudioSeconds(2.0),
        }
    );
    assert_eq!(next_event(&mut events).await, RealtimeEvent::ResponseStarted, "response.created");
    let mut heard = Vec::new();
    for _ in 0..2 {
        match next_event(&mut events).await {
            RealtimeEvent::AudioOut { item_id, audio } => {
                assert_eq!(item_id, reply);
                heard.extend(audio);
            }
            other => panic!("expected audio, got {other:?}"),
        }
    }
    assert_eq!(heard, model_audio, "the model's μ-law comes out byte for byte");
    assert_eq!(
        next_event(&mut events).await,
        RealtimeEvent::ReceptionistTranscript { item_id: reply, text: "Let me get Marco for you.".to_owned() }
    );
    let tool_call = ToolCall {
        id: "call_7".to_owned(),
        name: "transfer_to_human".to_owned(),
        arguments: r#"{"reason":"asked for Marco"}"#.to_owned(),
    };
    assert_eq!(next_event(&mut events).await, RealtimeEvent::ToolCall(tool_call), "reported once, with its name");
    assert_eq!(
        next_event(&mut events).await,
        RealtimeEvent::ResponseDone {
            status: ResponseStatus::Completed,
            usage: RealtimeUsage {
                text: ModelUsage { input_tokens: 500, cached_input_tokens: 384, output_tokens: 60 },
                audio: ModelUsage { input_tokens: 200, cached_input_tokens: 64, output_tokens: 240 },
            },
        },
        "the function call in response.done is not a second tool call"
    );

    // The tool's result goes back, and an answer is asked for.
    sender
        .tool_result("call_7", &json!({"transferred": false, "reason": "Marco is out"}))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let output = received(&mut server).await;
    assert_eq!(
        output,
        json!({"type": "conversation.item.create", "item": {"type": "function_call_output", "call_id": "call_7",
            "output": "{\"reason\":\"Marco is out\",\"transferred\":false}"}})
    );
    assert_eq!(received(&mut server).await, json!({"type": "response.create"}));

    say(
        &mut server,
        json!({"type": "error", "event_id": "event_12", "error": {"type": "invalid_request_error",
        "code": "conversation_already_has_active_response", "message": "Conversation already has an active response",
        "param": null, "event_id": "client_event_3"}}),
    )
    .await;
    assert_eq!(
        next_event(&mut events).await,
        RealtimeEvent::Error {
            code: Some("conversation_already_has_active_response".to_owned()),
            message: "Conversation already has an active response".to_owned(),
        }
    );

    // The server hangs up: `Closed` is the last event, and nothing more goes out.
    server.close(None).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(next_event(&mut events).await, RealtimeEvent::Closed { .. }));
    assert_eq!(events.next().await, None);
    assert_eq!(sender.send_audio(&mulaw()).await, Err(RealtimeError::Closed));
    assert_eq!(sender.close().await, Ok(()), "closing a closed session is no error");
}

#[tokio::test]
async fn truncation_manual_turns_and_a_filler_go_on_the_wire_as_the_api_takes_them() {
    let config = SessionConfig { turn_detection: TurnDetection::Manual, tools: Vec::new(), ..session_config() };
    let (session, mut server, update) = opened(config).await;
    assert_eq!(update["session"]["audio"]["input"]["turn_detection"], Value::Null);
    assert_eq!(update["session"]["tools"], json!([]));
    let sender = session.sender;

    sender
        .truncate(&ItemId::new("item_reply_1"), 0, Duration::from_millis(1_460))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        received(&mut server).await,
        json!({"type": "conversation.item.truncate", "item_id": "item_reply_1", "content_index": 0,
            "audio_end_ms": 1_460})
    );
    sender.commit_input().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(received(&mut server).await, json!({"type": "input_audio_buffer.commit"}));
    sender.clear_input().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(received(&mut server).await, json!({"type": "input_audio_buffer.clear"}));
    sender.respond(Some("Say you are checking the calendar.")).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        received(&mut server).await,
        json!({"type": "response.create", "response": {"instructions": "Say you are checking the calendar."}})
    );
    sender.respond(None).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(received(&mut server).await, json!({"type": "response.create"}));

    // Closing sends a close frame; the server's answer ends the events.
    sender.close().await.unwrap_or_else(|e| panic!("{e}"));
    let closing = tokio::time::timeout(PATIENCE, server.next()).await.unwrap_or_else(|_| panic!("no close frame"));
    assert!(matches!(closing, Some(Ok(Message::Close(_)))), "{closing:?}");
    let mut events = session.events;
    // The server answers the close frame as it reads on.
    let drained = tokio::spawn(async move { while server.next().await.is_some() {} });
    assert!(matches!(next_event(&mut events).await, RealtimeEvent::Closed { .. }));
    drained.await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sender.commit_input().await, Err(RealtimeError::Closed));
}

#[tokio::test]
async fn what_does_not_parse_is_an_error_event_and_the_session_goes_on() {
    let (session, mut server, _) = opened(session_config()).await;
    let mut events = session.events;
    server.send(Message::text("{not json")).await.unwrap_or_else(|e| panic!("{e}"));
    say(
        &mut server,
        json!({"type": "response.output_audio.delta", "response_id": "resp_1", "item_id": "item_1",
        "output_index": 0, "content_index": 0, "delta": "***not base64***"}),
    )
    .await;
    say(&mut server, json!({"type": "input_audio_buffer.speech_started", "item_id": "item_2"})).await;
    say(&mut server, json!({"type": "rate_limits.updated", "rate_limits": []})).await;
    say(&mut server, json!({"type": "response.output_item.done", "item": {"type": "message", "id": "item_3"}})).await;
    server.send(Message::binary(vec![1, 2, 3])).await.unwrap_or_else(|e| panic!("{e}"));
    say(&mut server, json!({"type": "input_audio_buffer.speech_stopped", "audio_end_ms": 900, "item_id": "item_2"}))
        .await;

    for expected_in_message in ["does not parse", "not base64", "does not parse"] {
        match next_event(&mut events).await {
            RealtimeEvent::Error { code, message } => {
                assert_eq!(code.as_deref(), Some("unreadable_event"));
                assert!(message.contains(expected_in_message), "{message}");
            }
            other => panic!("expected an error event, got {other:?}"),
        }
    }
    // Unknown event types, other output items and binary frames are skipped.
    assert_eq!(
        next_event(&mut events).await,
        RealtimeEvent::SpeechStopped { audio_end_ms: 900, item_id: ItemId::new("item_2") }
    );
    // The connection dropped without a close frame: `Closed` all the same.
    drop(server);
    assert!(matches!(next_event(&mut events).await, RealtimeEvent::Closed { .. }));
}

#[tokio::test]
async fn a_refused_key_on_the_upgrade_is_unauthorized_and_another_refusal_is_refused() {
    let cases = [
        (
            StatusCode::UNAUTHORIZED,
            r#"{"error":{"message":"Incorrect API key provided.","type":"invalid_request_error","code":"invalid_api_key"}}"#,
            RealtimeError::Unauthorized("Incorrect API key provided. (HTTP 401)".to_owned()),
        ),
        (
            StatusCode::NOT_FOUND,
            r#"{"error":{"message":"Model not found.","type":"invalid_request_error","code":"model_not_found"}}"#,
            RealtimeError::Refused("Model not found. (HTTP 404)".to_owned()),
        ),
        (StatusCode::SERVICE_UNAVAILABLE, "busy", RealtimeError::Unavailable("busy (HTTP 503)".to_owned())),
    ];
    for (status, body, expected) in cases {
        let (listener, base_url) = listen().await;
        let voice = fake_voice(&base_url);
        let opening = tokio::spawn(async move { voice.open(session_config()).await });
        let (socket, upgrade) = accept(&listener, Some((status, body))).await;
        assert!(socket.is_none());
        assert_eq!(upgrade.authorization.as_deref(), Some(format!("Bearer {KEY}").as_str()));
        let opened = opening.await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(opened.err(), Some(expected), "HTTP {status}");
    }
}

#[tokio::test]
async fn a_refused_connection_is_unavailable() {
    let (listener, base_url) = listen().await;
    drop(listener);
    let opened = fake_voice(&base_url).open(session_config()).await;
    assert!(matches!(opened, Err(RealtimeError::Unavailable(_))), "{:?}", opened.err());
}

#[tokio::test]
async fn an_upgrade_never_answered_times_out() {
    let (listener, base_url) = listen().await;
    let config = RealtimeConfig { base_url, connect_timeout: Duration::from_millis(300), ..RealtimeConfig::new(KEY) };
    let voice = OpenAiRealtime::new(config).unwrap_or_else(|e| panic!("{e}"));
    let opening = tokio::spawn(async move { voice.open(session_config()).await });
    // The connection is accepted and held, never upgraded.
    let (_held, _) = listener.accept().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(opening.await.unwrap_or_else(|e| panic!("{e}")).err(), Some(RealtimeError::Timeout));
}

#[tokio::test]
async fn a_configuration_never_confirmed_times_out_and_one_refused_is_refused() {
    // Never confirmed (session.created alone does not do).
    let (listener, base_url) = listen().await;
    let voice = fake_voice(&base_url);
    let opening = tokio::spawn(async move { voice.open(session_config()).await });
    let (socket, _) = accept(&listener, None).await;
    let mut socket = socket.unwrap_or_else(|| panic!("the upgrade failed"));
    assert_eq!(received(&mut socket).await["type"], "session.update");
    say(&mut socket, json!({"type": "session.created", "session": {"type": "realtime"}})).await;
    assert_eq!(opening.await.unwrap_or_else(|e| panic!("{e}")).err(), Some(RealtimeError::Timeout));

    // Answered with an error.
    let (listener, base_url) = listen().await;
    let voice = fake_voice(&base_url);
    let opening = tokio::spawn(async move { voice.open(session_config()).await });
    let (socket, _) = accept(&listener, None).await;
    let mut socket = socket.unwrap_or_else(|| panic!("the upgrade failed"));
    assert_eq!(received(&mut socket).await["type"], "session.update");
    say(&mut socket, json!({"type": "error", "error": {"type": "invalid_request_error", "code": "invalid_value",
        "message": "Invalid value: 'robot'. Supported values are: 'alloy', 'marin'.", "param": "session.audio.output.voice"}}))
    .await;
    assert_eq!(
        opening.await.unwrap_or_else(|e| panic!("{e}")).err(),
        Some(RealtimeError::Refused(
            "Invalid value: 'robot'. Supported values are: 'alloy', 'marin'. (invalid_value)".to_owned()
        ))
    );

    // Closed before confirming.
    let (listener, base_url) = listen().await;
    let voice = fake_voice(&base_url);
    let opening = tokio::spawn(async move { voice.open(session_config()).await });
    let (socket, _) = accept(&listener, None).await;
    let mut socket = socket.unwrap_or_else(|| panic!("the upgrade failed"));
    assert_eq!(received(&mut socket).await["type"], "session.update");
    socket.close(None).await.unwrap_or_else(|e| panic!("{e}"));
    let opened = opening.await.unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(opened, Err(RealtimeError::Unavailable(_))), "{:?}", opened.err());
}

#[test]
fn the_realtime_url_derives_from_the_base_url_unless_one_is_configured() {
    fn check(base_url: &str, explicit: Option<&str>, expected: Result<&str, ()>) {
        let url = realtime_url(base_url, explicit, "gpt-realtime-2.1-mini");
        assert_eq!(url.as_ref().map(|url| url.as_str()).map_err(|_| ()), expected, "{base_url} {explicit:?}");
    }
    let model = "model=gpt-realtime-2.1-mini";
    check("https://api.openai.com/v1", None, Ok(&format!("wss://api.openai.com/v1/realtime?{model}")));
    check("https://api.openai.com/v1/", None, Ok(&format!("wss://api.openai.com/v1/realtime?{model}")));
    check("http://127.0.0.1:8080/v1", None, Ok(&format!("ws://127.0.0.1:8080/v1/realtime?{model}")));
    check("http://localhost:11434", None, Ok(&format!("ws://localhost:11434/realtime?{model}")));
    check(
        "https://shop.openai.azure.com/openai/v1",
        None,
        Ok(&format!("wss://shop.openai.azure.com/openai/v1/realtime?{model}")),
    );
    check("https://api.openai.com/v1", Some("wss://proxy.example/rt"), Ok(&format!("wss://proxy.example/rt?{model}")));
    check(
        "https://api.openai.com/v1",
        Some("wss://proxy.example/rt?model=gpt-realtime-2"),
        Ok("wss://proxy.example/rt?model=gpt-realtime-2"),
    );
    check("not a url", None, Err(()));
    check("ftp://api.openai.com/v1", None, Err(()));
    check("https://api.openai.com/v1", Some("mailto:ops@example.com"), Err(()));
    // A model name is escaped in the query.
    let url = realtime_url("https://api.openai.com/v1", None, "my model&x=1").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(url.as_str(), "wss://api.openai.com/v1/realtime?model=my+model%26x%3D1");
}

#[test]
fn the_adapter_refuses_an_empty_key_or_model_and_never_shows_its_key() {
    assert!(matches!(OpenAiRealtime::new(RealtimeConfig::new("  ")), Err(RealtimeSetupError::Key)));
    let no_model = RealtimeConfig { model: " ".to_owned(), ..RealtimeConfig::new(KEY) };
    assert!(matches!(OpenAiRealtime::new(no_model), Err(RealtimeSetupError::Model)));
    let bad_url = RealtimeConfig { realtime_url: Some("nowhere".to_owned()), ..RealtimeConfig::new(KEY) };
    assert!(matches!(OpenAiRealtime::new(bad_url), Err(RealtimeSetupError::Url(_))));
    // OpenAI's own URL: TLS with the platform's verifier, built offline.
    let voice = OpenAiRealtime::new(RealtimeConfig::new(KEY)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(voice.url().as_str(), "wss://api.openai.com/v1/realtime?model=gpt-realtime-2.1-mini");
    assert_eq!(voice.model_id(), "gpt-realtime-2.1-mini");
    assert!(!format!("{voice:?}").contains(KEY));
}
