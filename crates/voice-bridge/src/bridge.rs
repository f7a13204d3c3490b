//! The bridge between one call's Media Stream and one realtime model
//! session: the caller's audio to the model, the model's audio to the
//! caller, barge-in, tool calls, transcripts, latency and usage.
//!
//! Transport-agnostic: the gateway turns the WebSocket into two channels
//! of [`TwilioMessage`]s in and [`TwilioCommand`]s out. Each bridge owns its
//! session and channels, so two calls share nothing.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use frontdesk_llm::ToolCall;
use frontdesk_llm::{
    ItemId, ModelUsage, RealtimeError, RealtimeEvent, RealtimeSession, RealtimeUsage, TranscriptionUsage,
};
use serde_json::Value;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::media::{MULAW_BYTES_PER_MS, StreamStart, Track, TwilioCommand, TwilioMessage};

/// A tool still running this long after the model called it gets the
/// caller a filler ([`FILLER_INSTRUCTIONS`]), so they never sit in silence.
pub const FILLER_AFTER: Duration = Duration::from_millis(700);

/// What the model is asked to say while a slow tool runs.
pub const FILLER_INSTRUCTIONS: &str =
    "Say only this, briefly and warmly: \"One moment while I check that.\" Say nothing else, call no tool.";

/// After a filler, how long a tool's result waits for the filler's answer
/// to end (a second answer is refused while one is active).
const FILLER_WAIT: Duration = Duration::from_secs(3);

/// Runs the model's tool calls for one call (the gateway implements it over
/// the text path's tools and invariants).
#[async_trait]
pub trait ToolRunner: Send + Sync {
    /// The result to hand back to the model, as JSON. A refused or failed
    /// call is a result too (`{"error": …}`): the model must hear why.
    async fn run(&self, call: &ToolCall) -> Value;

    /// The caller started speaking; their words will be item `item_id`
    /// (told before any tool call the model makes after it, so a runner
    /// knows which words were begun before a read-back it gave).
    async fn speech_started(&self, _item_id: &ItemId) {}

    /// The caller said `text` in item `item_id` (one transcribed utterance,
    /// card numbers removed), before any tool call the model makes after
    /// it: what a runner checks a spoken yes against.
    async fn heard(&self, _item_id: &ItemId, _text: &str) {}

    /// A tool call handed the call over (to a person, a message, a
    /// goodbye): the bridge ends ([`EndReason::HandedOff`]) without handing
    /// its result to the model.
    fn handed_off(&self) -> bool {
        false
    }
}

/// Who spoke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Speaker {
    Caller,
    Receptionist,
}

/// One transcribed turn, card numbers already removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranscriptTurn {
    pub speaker: Speaker,
    pub item_id: ItemId,
    pub text: String,
    /// The caller spoke over this answer: they heard only its beginning.
    pub cut_short: bool,
}

/// Why the bridge stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndReason {
    /// Twilio said `stop`: the call hung up or the stream ended.
    StreamStopped,
    /// Twilio's socket closed without a `stop`.
    StreamLost,
    /// The model's session ended (`Closed`, or its events stopped).
    ModelClosed { reason: String },
    /// Sending to the model failed.
    ModelFailed(RealtimeError),
    /// The stream's `start` was missing, named another call, or carried
    /// audio the bridge cannot relay untranscoded.
    Refused(String),
    /// The call's time with the model reached its cap ([`Bridge::with_ai_cap`]):
    /// the call goes on without the model.
    CapReached,
    /// A tool handed the call over ([`ToolRunner::handed_off`]): the call
    /// goes on without the model.
    HandedOff,
}

impl EndReason {
    /// The model's side failed (it would not open, closed or broke mid-call):
    /// the caller is still there and owed an apology.
    pub fn is_model_failure(&self) -> bool {
        matches!(self, EndReason::ModelClosed { .. } | EndReason::ModelFailed(_))
    }
}

/// The caller's turn latencies (speech stopped → first answer audio sent
/// to Twilio).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Latencies {
    pub turns: Vec<Duration>,
}

impl Latencies {
    /// The nearest-rank percentile (`0 < p ≤ 100`); `None` without turns.
    pub fn percentile(&self, p: u32) -> Option<Duration> {
        if self.turns.is_empty() {
            return None;
        }
        let mut sorted = self.turns.clone();
        sorted.sort_unstable();
        let rank = (u64::from(p.clamp(1, 100)) * sorted.len() as u64).div_ceil(100) as usize;
        sorted.get(rank.saturating_sub(1)).copied()
    }

    pub fn p50(&self) -> Option<Duration> {
        self.percentile(50)
    }

    pub fn p95(&self) -> Option<Duration> {
        self.percentile(95)
    }
}

/// What happened on the call, once the bridge has ended.
#[derive(Debug, Clone, PartialEq)]
pub struct BridgeOutcome {
    /// The stream's `start` (absent if the stream never started).
    pub start: Option<StreamStart>,
    pub transcript: Vec<TranscriptTurn>,
    pub latencies: Latencies,
    /// All answers' tokens, audio and text apart.
    pub usage: RealtimeUsage,
    /// Each answer's tokens, in the order they were done (what is metered,
    /// one record an answer).
    pub usages: Vec<RealtimeUsage>,
    /// What transcribing the caller's words cost, all transcripts together
    /// and apart from the answers (the transcription model has its own
    /// price): the transcripts billed by tokens…
    pub transcription_tokens: ModelUsage,
    /// …and those billed by the second of audio.
    pub transcription_seconds: f64,
    pub responses: u32,
    /// Barge-ins: answers the caller spoke over.
    pub interruptions: u32,
    /// Errors the model reported without ending the session.
    pub model_errors: Vec<String>,
    pub ended: EndReason,
}

/// How a bridge is set up for its call.
#[derive(Debug, Clone, Default)]
pub struct BridgeOptions {
    /// The call the stream must be for (from the stream token); `None`
    /// accepts any.
    pub expected_call_sid: Option<String>,
}

/// One call's bridge. [`Bridge::run`] consumes it.
pub struct Bridge {
    session: RealtimeSession,
    tools: Arc<dyn ToolRunner>,
    options: BridgeOptions,
    greeting: Option<String>,
    ai_cap: Option<Duration>,
}

/// Where the model's current answer stands, for barge-in.
#[derive(Debug)]
struct Speaking {
    item_id: ItemId,
    /// Audio bytes sent to Twilio for this item.
    sent_bytes: u64,
    /// The offset (ms) of the last mark Twilio acknowledged: what the caller
    /// has heard.
    heard_ms: u64,
}

impl Speaking {
    fn sent_ms(&self) -> u64 {
        self.sent_bytes / MULAW_BYTES_PER_MS
    }
}

/// A mark's name: `<item_id>:<audio end in ms>`.
pub fn mark_name(item_id: &ItemId, end_ms: u64) -> String {
    format!("{item_id}:{end_ms}")
}

/// The item and offset a mark's name encodes.
pub fn parse_mark_name(name: &str) -> Option<(ItemId, u64)> {
    let (item, ms) = name.rsplit_once(':')?;
    Some((ItemId::new(item), ms.parse().ok()?))
}

struct Run {
    stream_sid: String,
    to_twilio: mpsc::Sender<TwilioCommand>,
    speaking: Option<Speaking>,
    /// Items cut short: their late audio and marks are dropped.
    interrupted: HashSet<ItemId>,
    /// When the caller last stopped speaking, until the answer's first audio.
    turn_ended_at: Option<Instant>,
    outcome: BridgeOutcome,
}

/// The Twilio side went away (its channel closed).
struct TwilioGone;

impl Run {
    async fn send(&self, command: TwilioCommand) -> Result<(), TwilioGone> {
        self.to_twilio.send(command).await.map_err(|_| TwilioGone)
    }

    /// A piece of the model's answer: to Twilio, then a mark at its end.
    async fn audio_out(&mut self, item_id: ItemId, audio: Vec<u8>) -> Result<(), TwilioGone> {
        if self.interrupted.contains(&item_id) || audio.is_empty() {
            return Ok(());
        }
        let speaking = match &mut self.speaking {
            Some(speaking) if speaking.item_id == item_id => speaking,
            _ => self.speaking.insert(Speaking { item_id: item_id.clone(), sent_bytes: 0, heard_ms: 0 }),
        };
        speaking.sent_bytes += audio.len() as u64;
        let name = mark_name(&item_id, speaking.sent_ms());
        let stream_sid = self.stream_sid.clone();
        self.send(TwilioCommand::Media { stream_sid: stream_sid.clone(), audio }).await?;
        if let Some(ended_at) = self.turn_ended_at.take() {
            self.outcome.latencies.turns.push(ended_at.elapsed());
        }
        self.send(TwilioCommand::Mark { stream_sid, name }).await
    }

    fn mark_played(&mut self, name: &str) {
        let Some((item_id, ms)) = parse_mark_name(name) else {
            tracing::debug!(name, "a mark the bridge did not send");
            return;
        };
        if let Some(speaking) = &mut self.speaking
            && speaking.item_id == item_id
        {
            speaking.heard_ms = speaking.heard_ms.max(ms);
        }
    }

    /// The caller speaks: if the model's audio is still playing, stop it and
    /// tell the model where the caller stopped hearing it.
    async fn caller_started(&mut self, session: &RealtimeSession) -> Result<(), Stop> {
        self.turn_ended_at = None;
        let Some(speaking) = self.speaking.take() else { return Ok(()) };
        if speaking.heard_ms >= speaking.sent_ms() {
            return Ok(());
        }
        self.send(TwilioCommand::Clear { stream_sid: self.stream_sid.clone() }).await.map_err(|_| Stop::TwilioGone)?;
        self.outcome.interruptions += 1;
        self.interrupted.insert(speaking.item_id.clone());
        session
            .sender
            .truncate(&speaking.item_id, 0, Duration::from_millis(speaking.heard_ms))
            .await
            .map_err(Stop::Model)
    }
}

enum Stop {
    TwilioGone,
    Model(RealtimeError),
}

impl Bridge {
    pub fn new(session: RealtimeSession, tools: Arc<dyn ToolRunner>) -> Bridge {
        Bridge { session, tools, options: BridgeOptions::default(), greeting: None, ai_cap: None }
    }

    /// Once the stream has started, the model is asked for a first answer
    /// with these instructions (the greeting), before the caller says anything.
    pub fn with_greeting(mut self, instructions: impl Into<String>) -> Bridge {
        self.greeting = Some(instructions.into());
        self
    }

    /// The call's time with the model, from the stream's start: when it is
    /// up the bridge ends ([`EndReason::CapReached`]) and the call goes on
    /// without the model.
    pub fn with_ai_cap(mut self, cap: Duration) -> Bridge {
        self.ai_cap = Some(cap);
        self
    }

    pub fn with_options(mut self, options: BridgeOptions) -> Bridge {
        self.options = options;
        self
    }

    /// Relays until the stream stops, the model's session ends or either
    /// side fails; closes the model's session on the way out.
    #[tracing::instrument(skip_all, fields(call_sid = tracing::field::Empty, stream_sid = tracing::field::Empty))]
    pub async fn run(
        self,
        mut from_twilio: mpsc::Receiver<TwilioMessage>,
        to_twilio: mpsc::Sender<TwilioCommand>,
    ) -> BridgeOutcome {
        let Bridge { mut session, tools, options, greeting, ai_cap } = self;
        let mut outcome = BridgeOutcome {
            start: None,
            transcript: Vec::new(),
            latencies: Latencies::default(),
            usage: RealtimeUsage::default(),
            usages: Vec::new(),
            transcription_tokens: ModelUsage::default(),
            transcription_seconds: 0.0,
            responses: 0,
            interruptions: 0,
            model_errors: Vec::new(),
            ended: EndReason::StreamLost,
        };
        let start = match wait_for_start(&mut from_twilio).await {
            Ok(start) => start,
            Err(ended) => {
                outcome.ended = ended;
                let _ = session.sender.close().await;
                return outcome;
            }
        };
        let span = tracing::Span::current();
        span.record("call_sid", start.call_sid.as_str());
        span.record("stream_sid", start.stream_sid.as_str());
        let refusal = if !start.media_format.is_mulaw_8k_mono() {
            Some(format!("the stream's audio is {:?}, not μ-law 8 kHz mono", start.media_format))
        } else {
            options
                .expected_call_sid
                .as_ref()
                .filter(|expected| **expected != start.call_sid)
                .map(|expected| format!("the stream is for call {}, its token for call {expected}", start.call_sid))
        };
        outcome.start = Some(start.clone());
        if let Some(refusal) = refusal {
            tracing::warn!(%refusal, "refused a media stream");
            outcome.ended = EndReason::Refused(refusal);
            let _ = session.sender.close().await;
            return outcome;
        }
        let mut run = Run {
            stream_sid: start.stream_sid,
            to_twilio,
            speaking: None,
            interrupted: HashSet::new(),
            turn_ended_at: None,
            outcome,
        };
        // Whether the model is answering (`ResponseStarted` to `ResponseDone`):
        // a filler is asked for only when it is not.
        let answering = Arc::new(watch::Sender::new(false));
        // Each tool run ends with whether it handed the call over.
        let mut tool_runs: JoinSet<Result<bool, RealtimeError>> = JoinSet::new();
        // Far enough away to never fire when there is no cap.
        let cap_at = Instant::now() + ai_cap.unwrap_or(Duration::from_secs(365 * 86_400));
        let greeted = match &greeting {
            Some(instructions) => session.sender.respond(Some(instructions)).await,
            None => Ok(()),
        };
        let ended = match greeted {
            Err(error) => EndReason::ModelFailed(error),
            Ok(()) => loop {
                tokio::select! {
                    () = tokio::time::sleep_until(cap_at) => break EndReason::CapReached,
                    message = from_twilio.recv() => match message {
                        None => break EndReason::StreamLost,
                        Some(TwilioMessage::Stop { .. }) => break EndReason::StreamStopped,
                        Some(TwilioMessage::Media(frame)) if frame.track == Track::Inbound => {
                            if let Err(error) = session.sender.send_audio(&frame.audio).await {
                                break EndReason::ModelFailed(error);
                            }
                        }
                        Some(TwilioMessage::Mark { name }) => run.mark_played(&name),
                        Some(TwilioMessage::Dtmf { digit }) => tracing::debug!(%digit, "a key pressed during a realtime call"),
                        Some(TwilioMessage::Media(_) | TwilioMessage::Connected { .. } | TwilioMessage::Start(_)) => {}
                    },
                    event = session.events.next() => {
                        let Some(event) = event else {
                            break EndReason::ModelClosed { reason: "the model's events ended".to_owned() };
                        };
                        match event {
                            RealtimeEvent::AudioOut { item_id, audio } => {
                                if run.audio_out(item_id, audio).await.is_err() {
                                    break EndReason::StreamLost;
                                }
                            }
                            RealtimeEvent::SpeechStarted { item_id, .. } => {
                                tools.speech_started(&item_id).await;
                                match run.caller_started(&session).await {
                                    Ok(()) => {}
                                    Err(Stop::TwilioGone) => break EndReason::StreamLost,
                                    Err(Stop::Model(error)) => break EndReason::ModelFailed(error),
                                }
                            }
                            RealtimeEvent::SpeechStopped { .. } => run.turn_ended_at = Some(Instant::now()),
                            RealtimeEvent::CallerTranscript { item_id, text, usage } => {
                                match usage {
                                    TranscriptionUsage::Tokens(tokens) => {
                                        add_tokens(&mut run.outcome.transcription_tokens, &tokens);
                                    }
                                    TranscriptionUsage::AudioSeconds(seconds) => {
                                        run.outcome.transcription_seconds += seconds;
                                    }
                                    TranscriptionUsage::Unreported => {}
                                }
                                let text = frontdesk_language::redact_card_numbers(&text);
                                tools.heard(&item_id, &text).await;
                                run.outcome.transcript.push(TranscriptTurn {
                                    speaker: Speaker::Caller,
                                    item_id,
                                    text,
                                    cut_short: false,
                                });
                            }
                            RealtimeEvent::ReceptionistTranscript { item_id, text } => {
                                let cut_short = run.interrupted.contains(&item_id);
                                run.outcome.transcript.push(TranscriptTurn {
                                    speaker: Speaker::Receptionist,
                                    item_id,
                                    text: frontdesk_language::redact_card_numbers(&text),
                                    cut_short,
                                });
                            }
                            RealtimeEvent::ToolCall(call) => {
                                let tools = tools.clone();
                                let sender = session.sender.clone();
                                let answering = answering.clone();
                                tool_runs.spawn(async move {
                                    let result = run_with_filler(tools.as_ref(), &call, sender.as_ref(), &answering).await?;
                                    if tools.handed_off() {
                                        return Ok(true);
                                    }
                                    sender.tool_result(&call.id, &result).await.map(|()| false)
                                });
                            }
                            RealtimeEvent::ResponseStarted => {
                                answering.send_replace(true);
                            }
                            RealtimeEvent::ResponseDone { usage, .. } => {
                                answering.send_replace(false);
                                run.outcome.responses += 1;
                                add_usage(&mut run.outcome.usage, &usage);
                                run.outcome.usages.push(usage);
                            }
                            RealtimeEvent::Error { code, message } => {
                                tracing::warn!(code = code.as_deref().unwrap_or("-"), %message, "the voice model reported an error");
                                run.outcome.model_errors.push(match code {
                                    Some(code) => format!("{code}: {message}"),
                                    None => message,
                                });
                            }
                            RealtimeEvent::Closed { reason } => break EndReason::ModelClosed { reason },
                        }
                    },
                    Some(done) = tool_runs.join_next(), if !tool_runs.is_empty() => match done {
                        Ok(Ok(false)) => {}
                        Ok(Ok(true)) => break EndReason::HandedOff,
                        Ok(Err(error)) => break EndReason::ModelFailed(error),
                        Err(error) => tracing::error!(%error, "a tool call's task failed"),
                    },
                }
            },
        };
        tool_runs.abort_all();
        if !matches!(ended, EndReason::ModelClosed { .. }) {
            let _ = session.sender.close().await;
        }
        let mut outcome = run.outcome;
        outcome.ended = ended;
        // The gateway logs the call's figures (its metric event); this is
        // the bridge's own detail.
        tracing::debug!(
            ended = ?outcome.ended,
            turns = outcome.latencies.turns.len(),
            p50_ms = outcome.latencies.p50().map(|d| d.as_millis() as u64),
            p95_ms = outcome.latencies.p95().map(|d| d.as_millis() as u64),
            interruptions = outcome.interruptions,
            "realtime bridge ended"
        );
        outcome
    }
}

/// Runs a tool call; if it is still running after [`FILLER_AFTER`] and the
/// model is not answering, asks the model for one filler, and then holds the
/// result until that filler's answer has ended (at most [`FILLER_WAIT`]).
async fn run_with_filler(
    tools: &dyn ToolRunner,
    call: &ToolCall,
    sender: &dyn frontdesk_llm::RealtimeSender,
    answering: &watch::Sender<bool>,
) -> Result<Value, RealtimeError> {
    let running = tools.run(call);
    tokio::pin!(running);
    tokio::select! {
        result = &mut running => return Ok(result),
        () = tokio::time::sleep(FILLER_AFTER) => {}
    }
    // Checked and claimed at once: two slow tools never both ask.
    let claimed = answering.send_if_modified(|active| !std::mem::replace(active, true));
    if !claimed {
        return Ok(running.await);
    }
    tracing::debug!(tool = %call.name, "a slow tool: the caller hears a filler");
    // The tool is never dropped half-way for a filler that could not be
    // asked for: a dead socket shows again when its result is sent.
    if let Err(error) = sender.respond(Some(FILLER_INSTRUCTIONS)).await {
        tracing::warn!(tool = %call.name, %error, "could not ask for a filler; the tool runs on");
        return Ok(running.await);
    }
    let result = running.await;
    let mut answered = answering.subscribe();
    if tokio::time::timeout(FILLER_WAIT, answered.wait_for(|active| !active)).await.is_err() {
        tracing::debug!(tool = %call.name, "the filler's answer did not end in time; the result goes anyway");
    }
    Ok(result)
}

fn add_usage(total: &mut RealtimeUsage, usage: &RealtimeUsage) {
    add_tokens(&mut total.text, &usage.text);
    add_tokens(&mut total.audio, &usage.audio);
}

fn add_tokens(sum: &mut ModelUsage, part: &ModelUsage) {
    sum.input_tokens += part.input_tokens;
    sum.cached_input_tokens += part.cached_input_tokens;
    sum.output_tokens += part.output_tokens;
}

/// Skips `connected` to the `start`; anything else first is a refusal.
async fn wait_for_start(from_twilio: &mut mpsc::Receiver<TwilioMessage>) -> Result<StreamStart, EndReason> {
    loop {
        match from_twilio.recv().await {
            None => return Err(EndReason::StreamLost),
            Some(TwilioMessage::Connected { .. }) => {}
            Some(TwilioMessage::Start(start)) => return Ok(start),
            Some(TwilioMessage::Stop { .. }) => return Err(EndReason::StreamStopped),
            Some(other) => return Err(EndReason::Refused(format!("the stream sent {other:?} before its start"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mark_names_carry_the_item_and_the_offset() {
        let name = mark_name(&ItemId::new("item_A:1"), 1280);
        assert_eq!(name, "item_A:1:1280");
        assert_eq!(parse_mark_name(&name), Some((ItemId::new("item_A:1"), 1280)));
        assert_eq!(parse_mark_name("utt-7"), None);
        assert_eq!(parse_mark_name("item:x"), None);
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let ms = |list: &[u64]| Latencies { turns: list.iter().map(|&m| Duration::from_millis(m)).collect() };
        let check = |list: &[u64], p50: Option<u64>, p95: Option<u64>| {
            let latencies = ms(list);
            assert_eq!(latencies.p50(), p50.map(Duration::from_millis), "{list:?}");
            assert_eq!(latencies.p95(), p95.map(Duration::from_millis), "{list:?}");
        };
        check(&[], None, None);
        check(&[300], Some(300), Some(300));
        check(&[400, 100, 300, 200], Some(200), Some(400));
        check(&(1..=20).collect::<Vec<_>>(), Some(10), Some(19));
    }
}
