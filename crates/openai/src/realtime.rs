//! OpenAI's Realtime API (GA) over a WebSocket, behind the domain's
//! [`RealtimeVoice`] port: μ-law 8 kHz both ways (`audio/pcmu`), so a
//! Twilio Media Streams payload goes in as it came and the model's audio
//! goes back the same way, never transcoded.
//!
//! Opening connects (within a deadline), sends `session.update` and waits
//! for `session.updated` (within another): a session is never handed out
//! half-configured. A task then reads the server's events into the port's
//! [`RealtimeEvent`]s: a tool call is reported once, from
//! `response.output_item.done` (the GA `response.function_call_arguments.done`
//! carries no tool name, and `response.done` repeats the item); an event of
//! an unknown type is skipped; one that does not parse is an `Error` event,
//! never a panic; the connection's end is `Closed`, always last.
//!
//! The URL derives from the API's base URL (`https`→`wss`, `http`→`ws`,
//! `/realtime` appended to its path, `?model=`) unless one is configured.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use frontdesk_llm::{
    AudioFormat, ItemId, ModelUsage, RealtimeError, RealtimeEvent, RealtimeEvents, RealtimeSender, RealtimeSession,
    RealtimeUsage, RealtimeVoice, ResponseStatus, SessionConfig, ToolCall, TurnDetection,
};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt as _, StreamExt as _};
use reqwest::Url;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::{Mutex, mpsc};
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::header::AUTHORIZATION;
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

use crate::client::DEFAULT_BASE_URL;

/// The default voice model: the cheapest that speaks `audio/pcmu`.
pub const DEFAULT_REALTIME_MODEL: &str = "gpt-realtime-2.1-mini";
/// Events read from the socket but not yet by the bridge, at most: past
/// that, reading the socket waits for the bridge.
const EVENT_CAPACITY: usize = 256;

/// Where the Realtime API is, who we are to it, and how long opening may
/// take.
#[derive(Debug, Clone)]
pub struct RealtimeConfig {
    pub api_key: SecretString,
    /// The API's base URL (`…/v1`), the realtime URL derives from it.
    pub base_url: String,
    /// Used instead of the derived URL when set (`?model=` is added unless
    /// it names one).
    pub realtime_url: Option<String>,
    pub model: String,
    /// Connecting, TLS and the WebSocket upgrade.
    pub connect_timeout: Duration,
    /// From `session.update` sent to `session.updated` received.
    pub setup_timeout: Duration,
}

impl RealtimeConfig {
    pub fn new(api_key: impl Into<SecretString>) -> RealtimeConfig {
        RealtimeConfig {
            api_key: api_key.into(),
            base_url: DEFAULT_BASE_URL.to_owned(),
            realtime_url: None,
            model: DEFAULT_REALTIME_MODEL.to_owned(),
            connect_timeout: Duration::from_secs(5),
            setup_timeout: Duration::from_secs(5),
        }
    }
}

/// Why the adapter could not be built (a startup error, never a secret).
#[derive(Debug, thiserror::Error)]
pub enum RealtimeSetupError {
    #[error("the OpenAI realtime URL cannot be made from {0:?}: not an http(s) or ws(s) URL")]
    Url(String),
    #[error("the OpenAI API key is empty or not a valid header value")]
    Key,
    #[error("the OpenAI realtime model is empty")]
    Model,
    #[error("could not set up TLS for the OpenAI realtime API: {0}")]
    Tls(String),
}

/// The WebSocket URL of the Realtime API: `explicit` when given, else
/// derived from `base_url` (`https`→`wss`, `http`→`ws`, `/realtime`
/// appended to its path); `?model=` added unless the URL names a model.
pub fn realtime_url(base_url: &str, explicit: Option<&str>, model: &str) -> Result<Url, RealtimeSetupError> {
    let source = explicit.unwrap_or(base_url).trim();
    let mut url = Url::parse(source).map_err(|_| RealtimeSetupError::Url(source.to_owned()))?;
    let scheme = match url.scheme() {
        "https" | "wss" => "wss",
        "http" | "ws" => "ws",
        _ => return Err(RealtimeSetupError::Url(source.to_owned())),
    };
    if url.host_str().is_none() || url.set_scheme(scheme).is_err() {
        return Err(RealtimeSetupError::Url(source.to_owned()));
    }
    if explicit.is_none() {
        let path = format!("{}/realtime", url.path().trim_end_matches('/'));
        url.set_path(&path);
    }
    if !url.query_pairs().any(|(name, _)| name == "model") {
        url.query_pairs_mut().append_pair("model", model);
    }
    Ok(url)
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;
type SocketWriter = SplitSink<Socket, Message>;
type SocketReader = SplitStream<Socket>;

/// The Realtime API client. `Debug` never shows the key.
pub struct OpenAiRealtime {
    url: Url,
    authorization: HeaderValue,
    model: String,
    connect_timeout: Duration,
    setup_timeout: Duration,
    /// For `wss` URLs: aws-lc-rs and the platform's verifier, as reqwest
    /// (given explicitly, so no process-wide crypto provider is needed).
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl std::fmt::Debug for OpenAiRealtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiRealtime")
            .field("url", &self.url.as_str())
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

impl OpenAiRealtime {
    pub fn new(config: RealtimeConfig) -> Result<OpenAiRealtime, RealtimeSetupError> {
        let model = config.model.trim().to_owned();
        if model.is_empty() {
            return Err(RealtimeSetupError::Model);
        }
        let url = realtime_url(&config.base_url, config.realtime_url.as_deref(), &model)?;
        let key = config.api_key.expose_secret().trim();
        if key.is_empty() {
            return Err(RealtimeSetupError::Key);
        }
        let mut authorization = HeaderValue::from_str(&format!("Bearer {key}")).map_err(|_| RealtimeSetupError::Key)?;
        authorization.set_sensitive(true);
        let tls = if url.scheme() == "wss" { Some(tls_config()?) } else { None };
        Ok(OpenAiRealtime {
            url,
            authorization,
            model,
            connect_timeout: config.connect_timeout,
            setup_timeout: config.setup_timeout,
            tls,
        })
    }

    /// The URL sessions connect to (it holds nothing secret).
    pub fn url(&self) -> &Url {
        &self.url
    }

    async fn connect(&self) -> Result<Socket, RealtimeError> {
        let mut request = self
            .url
            .as_str()
            .into_client_request()
            .map_err(|error| RealtimeError::Unavailable(format!("bad realtime URL: {error}")))?;
        request.headers_mut().insert(AUTHORIZATION, self.authorization.clone());
        let connector = match &self.tls {
            Some(tls) => Connector::Rustls(tls.clone()),
            None => Connector::Plain,
        };
        let connecting = tokio_tungstenite::connect_async_tls_with_config(request, None, true, Some(connector));
        match tokio::time::timeout(self.connect_timeout, connecting).await {
            Err(_) => Err(RealtimeError::Timeout),
            Ok(Err(error)) => Err(upgrade_error(error)),
            Ok(Ok((socket, _))) => Ok(socket),
        }
    }
}

fn tls_config() -> Result<Arc<rustls::ClientConfig>, RealtimeSetupError> {
    use rustls_platform_verifier::BuilderVerifierExt as _;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| RealtimeSetupError::Tls(error.to_string()))?
        .with_platform_verifier()
        .map_err(|error| RealtimeSetupError::Tls(error.to_string()))?
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// A failed connection or upgrade, classified: the key (401, 403), busy or
/// unreachable (429, 408, 5xx, no connection), or refused (another status).
fn upgrade_error(error: tungstenite::Error) -> RealtimeError {
    let tungstenite::Error::Http(response) = error else {
        return RealtimeError::Unavailable(format!("could not connect: {error}"));
    };
    let status = response.status();
    let body = response.body().as_deref().map(String::from_utf8_lossy).unwrap_or_default();
    let message = serde_json::from_str::<ErrorReply>(&body)
        .ok()
        .and_then(|reply| reply.error.and_then(|error| error.message))
        .unwrap_or_else(|| body.chars().take(200).collect());
    let described = format!("{message} (HTTP {})", status.as_u16());
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => RealtimeError::Unauthorized(described),
        StatusCode::TOO_MANY_REQUESTS | StatusCode::REQUEST_TIMEOUT => RealtimeError::Unavailable(described),
        status if status.is_server_error() => RealtimeError::Unavailable(described),
        _ => RealtimeError::Refused(described),
    }
}

/// The `session.update` that configures a session (GA shape).
pub(crate) fn session_update(model: &str, config: &SessionConfig) -> Value {
    let format = match config.audio_format {
        AudioFormat::Mulaw8k => json!({"type": "audio/pcmu"}),
    };
    let turn_detection = match config.turn_detection {
        TurnDetection::ServerVad { silence, idle_timeout } => {
            let mut vad = json!({
                "type": "server_vad",
                "silence_duration_ms": millis(silence),
                "create_response": true,
                "interrupt_response": true,
            });
            if let Some(idle) = idle_timeout {
                vad["idle_timeout_ms"] = millis(idle).into();
            }
            vad
        }
        TurnDetection::Manual => Value::Null,
    };
    let mut input = json!({"format": format, "turn_detection": turn_detection});
    if let Some(transcription) = &config.input_transcription_model {
        input["transcription"] = json!({"model": transcription});
    }
    let tools: Vec<Value> = config
        .tools
        .iter()
        .map(|tool| {
            json!({"type": "function", "name": tool.name, "description": tool.description, "parameters": tool.parameters})
        })
        .collect();
    let mut session = json!({
        "type": "realtime",
        "model": model,
        "output_modalities": ["audio"],
        "instructions": config.instructions,
        "audio": {"input": input, "output": {"format": format, "voice": config.voice}},
        "tools": tools,
    });
    if let Some(max) = config.max_output_tokens {
        session["max_output_tokens"] = max.into();
    }
    json!({"type": "session.update", "session": session})
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[async_trait]
impl RealtimeVoice for OpenAiRealtime {
    fn model_id(&self) -> &str {
        &self.model
    }

    #[tracing::instrument(skip_all, fields(model = %self.model))]
    async fn open(&self, config: SessionConfig) -> Result<RealtimeSession, RealtimeError> {
        let (mut writer, mut reader) = self.connect().await?.split();
        let update = Message::text(session_update(&self.model, &config).to_string());
        writer
            .send(update)
            .await
            .map_err(|error| RealtimeError::Unavailable(format!("the connection failed: {error}")))?;
        tokio::time::timeout(self.setup_timeout, session_updated(&mut reader))
            .await
            .map_err(|_| RealtimeError::Timeout)??;
        let (sink, events) = RealtimeEvents::channel(EVENT_CAPACITY);
        tokio::spawn(read_events(reader, sink));
        tracing::debug!("realtime session open");
        Ok(RealtimeSession { sender: Arc::new(OpenAiRealtimeSender { writer: Mutex::new(writer) }), events })
    }
}

/// Reads until the server confirms the configuration, or says why not.
async fn session_updated(reader: &mut SocketReader) -> Result<(), RealtimeError> {
    while let Some(message) = reader.next().await {
        let text = match message {
            Ok(Message::Text(text)) => text,
            Ok(Message::Close(frame)) => return Err(RealtimeError::Unavailable(closed_reason(frame.as_ref()))),
            Ok(_) => continue,
            Err(error) => return Err(RealtimeError::Unavailable(format!("the connection failed: {error}"))),
        };
        match serde_json::from_str::<ServerEvent>(text.as_str()) {
            Ok(ServerEvent::SessionUpdated {}) => return Ok(()),
            Ok(ServerEvent::Error { error }) => {
                let (code, message) = error.code_and_message();
                let described = format!("{message} ({})", code.as_deref().unwrap_or("error"));
                let unauthorized =
                    code.as_deref().is_some_and(|code| code.contains("api_key") || code.contains("authentication"));
                return Err(if unauthorized {
                    RealtimeError::Unauthorized(described)
                } else {
                    RealtimeError::Refused(described)
                });
            }
            Ok(_) => {}
            Err(error) => tracing::debug!(%error, "an unreadable realtime event while opening, skipped"),
        }
    }
    Err(RealtimeError::Unavailable("the connection ended before the session was configured".to_owned()))
}

/// The server's events into the port's, until the connection ends (then
/// `Closed`) or nobody reads them any more (then the socket's read half is
/// dropped).
async fn read_events(mut reader: SocketReader, sink: mpsc::Sender<RealtimeEvent>) {
    let reason = loop {
        let message = tokio::select! {
            message = reader.next() => message,
            () = sink.closed() => return,
        };
        let event = match message {
            None => break "the connection ended".to_owned(),
            Some(Err(error)) => break format!("the connection failed: {error}"),
            Some(Ok(Message::Close(frame))) => break closed_reason(frame.as_ref()),
            Some(Ok(Message::Text(text))) => server_event(text.as_str()),
            Some(Ok(Message::Binary(_))) => {
                tracing::debug!("a binary realtime frame, skipped");
                None
            }
            Some(Ok(_)) => None,
        };
        if let Some(event) = event
            && sink.send(event).await.is_err()
        {
            return;
        }
    };
    tracing::debug!(%reason, "realtime session closed");
    // Nobody may be listening any more: nothing to do about it.
    let _ = sink.send(RealtimeEvent::Closed { reason }).await;
}

fn closed_reason(frame: Option<&CloseFrame>) -> String {
    match frame {
        Some(frame) if frame.reason.is_empty() => format!("closed by the server ({})", u16::from(frame.code)),
        Some(frame) => format!("closed by the server ({}: {})", u16::from(frame.code), frame.reason.as_str()),
        None => "closed by the server".to_owned(),
    }
}

/// One server event as the port's event; `None` for what the domain does
/// not need. What does not parse is an `Error` event.
pub(crate) fn server_event(text: &str) -> Option<RealtimeEvent> {
    let unreadable = |what: String| RealtimeEvent::Error { code: Some("unreadable_event".to_owned()), message: what };
    let event = match serde_json::from_str::<ServerEvent>(text) {
        Ok(event) => event,
        Err(error) => return Some(unreadable(format!("a realtime event that does not parse: {error}"))),
    };
    Some(match event {
        ServerEvent::SpeechStarted { audio_start_ms, item_id } => {
            RealtimeEvent::SpeechStarted { audio_start_ms, item_id: ItemId::new(item_id) }
        }
        ServerEvent::SpeechStopped { audio_end_ms, item_id } => {
            RealtimeEvent::SpeechStopped { audio_end_ms, item_id: ItemId::new(item_id) }
        }
        ServerEvent::InputTranscript { item_id, transcript, usage } => RealtimeEvent::CallerTranscript {
            item_id: ItemId::new(item_id),
            text: transcript,
            usage: crate::transcription::usage_of(usage),
        },
        ServerEvent::AudioDelta { item_id, delta } => match BASE64.decode(delta) {
            Ok(audio) => RealtimeEvent::AudioOut { item_id: ItemId::new(item_id), audio },
            Err(error) => return Some(unreadable(format!("audio that is not base64: {error}"))),
        },
        ServerEvent::OutputTranscript { item_id, transcript } => {
            RealtimeEvent::ReceptionistTranscript { item_id: ItemId::new(item_id), text: transcript }
        }
        ServerEvent::OutputItemDone { item: OutputItem::FunctionCall { call_id, name, arguments } } => {
            RealtimeEvent::ToolCall(ToolCall { id: call_id, name, arguments })
        }
        ServerEvent::OutputItemDone { item: OutputItem::Other } => return None,
        ServerEvent::ResponseCreated {} => RealtimeEvent::ResponseStarted,
        ServerEvent::ResponseDone { response } => {
            let status = match response.status.as_deref() {
                Some("completed") => ResponseStatus::Completed,
                Some("cancelled") => ResponseStatus::Cancelled,
                Some("failed") => ResponseStatus::Failed,
                _ => ResponseStatus::Incomplete,
            };
            RealtimeEvent::ResponseDone { status, usage: response.usage.map(Usage::split).unwrap_or_default() }
        }
        ServerEvent::Error { error } => {
            let (code, message) = error.code_and_message();
            RealtimeEvent::Error { code, message }
        }
        ServerEvent::SessionCreated {} | ServerEvent::SessionUpdated {} => return None,
        ServerEvent::Other => {
            let kind = serde_json::from_str::<EventType>(text).map(|event| event.kind).unwrap_or_default();
            tracing::debug!(kind, "a realtime event not needed, skipped");
            return None;
        }
    })
}

/// The server events the port needs (GA names); the rest are `Other`.
#[derive(Debug, Deserialize)]
#[serde(tag = "type")]
enum ServerEvent {
    #[serde(rename = "session.created")]
    SessionCreated {},
    #[serde(rename = "session.updated")]
    SessionUpdated {},
    #[serde(rename = "input_audio_buffer.speech_started")]
    SpeechStarted { audio_start_ms: u64, item_id: String },
    #[serde(rename = "input_audio_buffer.speech_stopped")]
    SpeechStopped { audio_end_ms: u64, item_id: String },
    #[serde(rename = "conversation.item.input_audio_transcription.completed")]
    InputTranscript {
        item_id: String,
        transcript: String,
        /// Tokens or seconds, as `/audio/transcriptions` reports them.
        #[serde(default)]
        usage: Option<serde_json::Value>,
    },
    #[serde(rename = "response.output_audio.delta")]
    AudioDelta { item_id: String, delta: String },
    #[serde(rename = "response.output_audio_transcript.done")]
    OutputTranscript { item_id: String, transcript: String },
    #[serde(rename = "response.output_item.done")]
    OutputItemDone { item: OutputItem },
    #[serde(rename = "response.created")]
    ResponseCreated {},
    #[serde(rename = "response.done")]
    ResponseDone { response: ResponseBody },
    #[serde(rename = "error")]
    Error { error: ErrorBody },
    #[serde(other)]
    Other,
}

#[derive(Debug, Deserialize)]
struct EventType {
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type")]
enum OutputItem {
    #[serde(rename = "function_call")]
    FunctionCall { call_id: String, name: String, arguments: String },
    #[serde(other)]
    Other,
}

#[derive(Debug, Deserialize)]
struct ResponseBody {
    status: Option<String>,
    usage: Option<Usage>,
}

/// `response.done`'s usage; cached tokens are part of the input tokens.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Usage {
    input_tokens: u64,
    output_tokens: u64,
    input_token_details: Option<InputDetails>,
    output_token_details: Option<TokenSplit>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct InputDetails {
    text_tokens: u64,
    audio_tokens: u64,
    cached_tokens: u64,
    cached_tokens_details: Option<TokenSplit>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TokenSplit {
    text_tokens: u64,
    audio_tokens: u64,
}

impl Usage {
    /// Audio and text apart. Tokens the provider did not split count as
    /// audio, the dearer of the two, so a call is never under-metered;
    /// cached tokens not split count as text first (the instructions and
    /// tools are what gets cached).
    fn split(self) -> RealtimeUsage {
        let input = self.input_token_details.as_ref().map_or(
            TokenSplit { text_tokens: 0, audio_tokens: self.input_tokens },
            |details| TokenSplit { text_tokens: details.text_tokens, audio_tokens: details.audio_tokens },
        );
        let cached = match self.input_token_details {
            Some(InputDetails { cached_tokens_details: Some(split), .. }) => split,
            Some(InputDetails { cached_tokens, .. }) => {
                let text = cached_tokens.min(input.text_tokens);
                TokenSplit { text_tokens: text, audio_tokens: cached_tokens - text }
            }
            None => TokenSplit::default(),
        };
        let output =
            self.output_token_details.unwrap_or(TokenSplit { text_tokens: 0, audio_tokens: self.output_tokens });
        RealtimeUsage {
            text: ModelUsage {
                input_tokens: input.text_tokens,
                cached_input_tokens: cached.text_tokens,
                output_tokens: output.text_tokens,
            },
            audio: ModelUsage {
                input_tokens: input.audio_tokens,
                cached_input_tokens: cached.audio_tokens,
                output_tokens: output.audio_tokens,
            },
        }
    }
}

/// `{"error": {...}}` of a refused upgrade.
#[derive(Debug, Deserialize)]
struct ErrorReply {
    error: Option<ErrorBody>,
}

/// An error: `{"type", "code", "message", "param", "event_id"}`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ErrorBody {
    #[serde(rename = "type")]
    kind: Option<String>,
    code: Option<Value>,
    message: Option<String>,
}

impl ErrorBody {
    /// `code`, else `type`; and the message.
    fn code_and_message(self) -> (Option<String>, String) {
        let code = self.code.as_ref().and_then(Value::as_str).map(str::to_owned).or(self.kind);
        (code, self.message.unwrap_or_else(|| "the voice model reported an error".to_owned()))
    }
}

/// The writing half of a session; its task-safe handle.
struct OpenAiRealtimeSender {
    writer: Mutex<SocketWriter>,
}

impl OpenAiRealtimeSender {
    async fn send_event(&self, event: Value) -> Result<(), RealtimeError> {
        let mut writer = self.writer.lock().await;
        writer.send(Message::text(event.to_string())).await.map_err(|error| {
            tracing::debug!(%error, "a realtime event could not be sent");
            RealtimeError::Closed
        })
    }
}

#[async_trait]
impl RealtimeSender for OpenAiRealtimeSender {
    async fn send_audio(&self, audio: &[u8]) -> Result<(), RealtimeError> {
        self.send_event(json!({"type": "input_audio_buffer.append", "audio": BASE64.encode(audio)})).await
    }

    async fn commit_input(&self) -> Result<(), RealtimeError> {
        self.send_event(json!({"type": "input_audio_buffer.commit"})).await
    }

    async fn clear_input(&self) -> Result<(), RealtimeError> {
        self.send_event(json!({"type": "input_audio_buffer.clear"})).await
    }

    async fn truncate(&self, item_id: &ItemId, content_index: u32, audio_end: Duration) -> Result<(), RealtimeError> {
        self.send_event(json!({
            "type": "conversation.item.truncate",
            "item_id": item_id.as_str(),
            "content_index": content_index,
            "audio_end_ms": millis(audio_end),
        }))
        .await
    }

    async fn tool_result(&self, call_id: &str, output: &Value) -> Result<(), RealtimeError> {
        self.send_event(json!({
            "type": "conversation.item.create",
            "item": {"type": "function_call_output", "call_id": call_id, "output": output.to_string()},
        }))
        .await?;
        self.send_event(json!({"type": "response.create"})).await
    }

    async fn respond(&self, instructions: Option<&str>) -> Result<(), RealtimeError> {
        match instructions {
            Some(instructions) => {
                self.send_event(json!({"type": "response.create", "response": {"instructions": instructions}})).await
            }
            None => self.send_event(json!({"type": "response.create"})).await,
        }
    }

    async fn close(&self) -> Result<(), RealtimeError> {
        let mut writer = self.writer.lock().await;
        let frame = CloseFrame { code: CloseCode::Normal, reason: "".into() };
        // Already closed, by either side, is closed as asked.
        if let Err(error) = writer.send(Message::Close(Some(frame))).await {
            tracing::debug!(%error, "the realtime close frame could not be sent");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use frontdesk_llm::TranscriptionUsage;
    use serde_json::json;

    use super::*;

    fn caller_transcript_usage(usage: serde_json::Value) -> Option<TranscriptionUsage> {
        let event = json!({"type": "conversation.item.input_audio_transcription.completed", "event_id": "event_1",
            "item_id": "item_1", "content_index": 0, "transcript": "Hello.", "usage": usage});
        match server_event(&event.to_string()) {
            Some(RealtimeEvent::CallerTranscript { usage, .. }) => Some(usage),
            _ => None,
        }
    }

    #[test]
    fn a_caller_transcript_carries_what_transcribing_it_cost_in_tokens_or_seconds() {
        let tokens = json!({"type": "tokens", "input_tokens": 30, "output_tokens": 6, "total_tokens": 36,
            "input_token_details": {"audio_tokens": 28, "text_tokens": 2}});
        assert_eq!(
            caller_transcript_usage(tokens),
            Some(TranscriptionUsage::Tokens(ModelUsage { input_tokens: 30, cached_input_tokens: 0, output_tokens: 6 }))
        );
        assert_eq!(
            caller_transcript_usage(json!({"type": "duration", "seconds": 1.5})),
            Some(TranscriptionUsage::AudioSeconds(1.5))
        );
        assert_eq!(caller_transcript_usage(json!(null)), Some(TranscriptionUsage::Unreported));
        assert_eq!(caller_transcript_usage(json!({"type": "minutes"})), Some(TranscriptionUsage::Unreported));
    }
}
