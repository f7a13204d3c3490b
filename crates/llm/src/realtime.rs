//! The `RealtimeVoice` port: a spoken conversation streamed both ways with
//! a speech-to-speech model, for the phone bridge.
//!
//! A session is opened with the receptionist's instructions and tools (the
//! same [`ToolSpec`]s the text path offers), a voice and how turns are
//! detected. Audio is μ-law at 8 kHz both ways, exactly as Twilio's Media
//! Streams carry it: nothing is transcoded. The model decides nothing by
//! itself either: its tool calls come out as events, and the domain runs
//! (or refuses) them and sends back a result.
//!
//! An open session is two halves, so the bridge can forward the caller's
//! audio from one task while it reads the model's events in another: a
//! [`RealtimeSender`] (shared, `&self` methods) and the [`RealtimeEvents`]
//! receiver. Nothing of any provider's wire is here (`crates/openai`
//! implements the port over OpenAI's Realtime API).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::{ModelUsage, ToolCall, ToolSpec, TranscriptionUsage};

/// How audio is encoded, in and out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AudioFormat {
    /// G.711 μ-law, 8 kHz, mono, 8 bytes a millisecond (Twilio's Media
    /// Streams, both ways).
    #[default]
    Mulaw8k,
}

/// How the model tells that the caller has finished a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnDetection {
    /// The provider listens for silence: it starts an answer by itself when
    /// the caller stops, and cuts its own answer short when the caller
    /// speaks over it (`SpeechStarted` says so, for a barge-in).
    ServerVad {
        /// Silence that ends the caller's turn.
        silence: Duration,
        /// With nothing heard for this long after the model spoke, the model
        /// speaks again (a prompt to a silent caller); `None`: it waits.
        idle_timeout: Option<Duration>,
    },
    /// No detection: the input is committed with
    /// [`RealtimeSender::commit_input`] and an answer asked with
    /// [`RealtimeSender::respond`].
    Manual,
}

impl Default for TurnDetection {
    fn default() -> TurnDetection {
        TurnDetection::ServerVad { silence: Duration::from_millis(500), idle_timeout: None }
    }
}

/// What a session is opened with.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionConfig {
    /// The receptionist's standing instructions for the whole call.
    pub instructions: String,
    /// The tools the model may call (strict JSON schemas).
    pub tools: Vec<ToolSpec>,
    /// The same both ways.
    pub audio_format: AudioFormat,
    /// The provider's name for the voice (`marin`).
    pub voice: String,
    /// A model that transcribes what the caller says (`CallerTranscript`
    /// events); `None`: no caller transcripts.
    pub input_transcription_model: Option<String>,
    pub turn_detection: TurnDetection,
    /// At most this many tokens an answer; `None`: the provider's limit.
    pub max_output_tokens: Option<u32>,
}

/// A conversation item (the caller's input, a spoken answer, a tool call),
/// as the provider names it: a truncation and a transcript point at one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ItemId(String);

impl ItemId {
    pub fn new(id: impl Into<String>) -> ItemId {
        ItemId(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ItemId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The tokens one answer used, audio and text apart (they are priced
/// apart). Each half's `cached_input_tokens` is part of its `input_tokens`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RealtimeUsage {
    pub text: ModelUsage,
    pub audio: ModelUsage,
}

impl RealtimeUsage {
    /// Audio and text together.
    pub fn total(&self) -> ModelUsage {
        ModelUsage {
            input_tokens: self.text.input_tokens + self.audio.input_tokens,
            cached_input_tokens: self.text.cached_input_tokens + self.audio.cached_input_tokens,
            output_tokens: self.text.output_tokens + self.audio.output_tokens,
        }
    }
}

/// How an answer ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseStatus {
    Completed,
    /// Cut short: the caller spoke over it, or it was cancelled.
    Cancelled,
    /// Stopped early (the token limit, a content filter).
    Incomplete,
    Failed,
}

/// What happens in a session, in the order the provider said it.
#[derive(Debug, Clone, PartialEq)]
pub enum RealtimeEvent {
    /// A piece of the model's spoken answer (μ-law bytes, any length).
    AudioOut { item_id: ItemId, audio: Vec<u8> },
    /// The caller started speaking, `audio_start_ms` into the audio sent;
    /// their words will be item `item_id`. While the model speaks, this is
    /// a barge-in.
    SpeechStarted { audio_start_ms: u64, item_id: ItemId },
    /// The caller stopped speaking, `audio_end_ms` into the audio sent.
    SpeechStopped { audio_end_ms: u64, item_id: ItemId },
    /// What the caller said in item `item_id`, transcribed (only with an
    /// input transcription model), and what the provider counted for
    /// transcribing it (billed at the transcription model's price, apart
    /// from the answers).
    CallerTranscript { item_id: ItemId, text: String, usage: TranscriptionUsage },
    /// What the model said in item `item_id`, all of it (even when the
    /// caller heard only part of it).
    ReceptionistTranscript { item_id: ItemId, text: String },
    /// The model calls a tool; answer with [`RealtimeSender::tool_result`].
    /// Its arguments are JSON text as the model wrote them: parse and check
    /// them, never trust them.
    ToolCall(ToolCall),
    /// The model began an answer (asked for, or started by itself when the
    /// caller stopped): until its `ResponseDone`, asking for another one
    /// is refused.
    ResponseStarted,
    /// An answer ended, with the tokens it used (for metering).
    ResponseDone { status: ResponseStatus, usage: RealtimeUsage },
    /// The provider reported an error; the session may go on.
    Error { code: Option<String>, message: String },
    /// The session is over (closed by either side, or the connection was
    /// lost). Always the last event.
    Closed { reason: String },
}

/// Why a session could not be opened, or a message not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RealtimeError {
    /// The provider could not be reached, or is busy or down (a refused
    /// connection, a 5xx or 429 on the upgrade, the connection lost while
    /// opening): later.
    #[error("the voice model is unavailable: {0}")]
    Unavailable(String),
    /// The key was refused (401, 403): no retry helps.
    #[error("the voice model refused the key: {0}")]
    Unauthorized(String),
    /// The provider refused the session (another 4xx on the upgrade, or an
    /// error answering its configuration): no retry helps.
    #[error("the voice model refused the session: {0}")]
    Refused(String),
    /// Connecting, or the session's configuration, was not answered in time.
    #[error("the voice model did not answer in time")]
    Timeout,
    /// The session is over: nothing more can be sent.
    #[error("the voice session is closed")]
    Closed,
}

/// What the bridge sends to the model. Shared between the task that
/// forwards the caller's audio and the one that answers events; every
/// method fails with `Closed` once the session is over.
#[async_trait]
pub trait RealtimeSender: Send + Sync {
    /// The caller's audio, in the session's format (a Twilio payload,
    /// decoded from base64, as it came).
    async fn send_audio(&self, audio: &[u8]) -> Result<(), RealtimeError>;

    /// Ends the caller's turn (`TurnDetection::Manual` only).
    async fn commit_input(&self) -> Result<(), RealtimeError>;

    /// Drops the caller's audio not yet committed.
    async fn clear_input(&self) -> Result<(), RealtimeError>;

    /// Tells the model that the caller heard only the first `audio_end`
    /// of item `item_id`'s audio (after a barge-in), so it knows what was
    /// said. An `audio_end` past the audio the model sent is an error event.
    async fn truncate(&self, item_id: &ItemId, content_index: u32, audio_end: Duration) -> Result<(), RealtimeError>;

    /// The result of tool call `call_id` (JSON), then asks for an answer.
    async fn tool_result(&self, call_id: &str, output: &Value) -> Result<(), RealtimeError>;

    /// Asks for an answer now; `Some` instructions replace the standing
    /// ones for this answer only (a filler before a slow tool, an apology).
    async fn respond(&self, instructions: Option<&str>) -> Result<(), RealtimeError>;

    /// Ends the session; a `Closed` event follows. Closing a closed
    /// session is not an error.
    async fn close(&self) -> Result<(), RealtimeError>;
}

/// The model's events, in order, until `Closed` (after which `next` gives
/// `None`).
#[derive(Debug)]
pub struct RealtimeEvents {
    receiver: mpsc::Receiver<RealtimeEvent>,
}

impl RealtimeEvents {
    /// A receiver and the sending end an adapter (or a fake) feeds, holding
    /// at most `capacity` events not yet read: a slow reader holds up the
    /// provider's connection, never loses an event.
    pub fn channel(capacity: usize) -> (mpsc::Sender<RealtimeEvent>, RealtimeEvents) {
        let (sender, receiver) = mpsc::channel(capacity.max(1));
        (sender, RealtimeEvents { receiver })
    }

    /// The next event; `None` after `Closed` or once the adapter is gone.
    /// Cancel-safe (for `tokio::select!`): no event is lost.
    pub async fn next(&mut self) -> Option<RealtimeEvent> {
        self.receiver.recv().await
    }
}

/// An open session, in its two halves.
pub struct RealtimeSession {
    pub sender: Arc<dyn RealtimeSender>,
    pub events: RealtimeEvents,
}

impl std::fmt::Debug for RealtimeSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RealtimeSession").finish_non_exhaustive()
    }
}

/// A speech-to-speech model behind the port (an adapter: OpenAI Realtime).
#[async_trait]
pub trait RealtimeVoice: Send + Sync {
    /// The model's name as the price table knows it (`gpt-realtime-2.1-mini`).
    fn model_id(&self) -> &str;

    /// Opens a session, configured as asked, ready for audio. Fails with
    /// `Unavailable` (unreachable, busy), `Unauthorized` (the key),
    /// `Refused` (the configuration) or `Timeout`; never half-open.
    async fn open(&self, config: SessionConfig) -> Result<RealtimeSession, RealtimeError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_totals_add_audio_and_text() {
        let usage = RealtimeUsage {
            text: ModelUsage { input_tokens: 120, cached_input_tokens: 100, output_tokens: 10 },
            audio: ModelUsage { input_tokens: 60, cached_input_tokens: 0, output_tokens: 240 },
        };
        assert_eq!(usage.total(), ModelUsage { input_tokens: 180, cached_input_tokens: 100, output_tokens: 250 });
    }

    #[tokio::test]
    async fn events_arrive_in_order_and_end_after_the_adapter_is_gone() {
        let (sink, mut events) = RealtimeEvents::channel(4);
        let item = ItemId::new("item_1");
        let sent = [
            RealtimeEvent::SpeechStarted { audio_start_ms: 20, item_id: item.clone() },
            RealtimeEvent::Closed { reason: "done".to_owned() },
        ];
        for event in sent.clone() {
            assert!(sink.send(event).await.is_ok());
        }
        drop(sink);
        assert_eq!(events.next().await, Some(sent[0].clone()));
        assert_eq!(events.next().await, Some(sent[1].clone()));
        assert_eq!(events.next().await, None);
    }
}
