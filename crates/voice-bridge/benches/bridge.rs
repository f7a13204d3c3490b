//! The bridge's own cost, with fakes on both sides (a fake Twilio Media
//! Stream and a fake realtime model, both in this process). Five parts:
//!
//! 1. **Streaming**: `STREAMS` concurrent calls (100), each sending a 20 ms
//!    caller frame and receiving a 20 ms answer frame every 20 ms of real
//!    time for `SECONDS` seconds (20). Prints the latency the bridge adds
//!    per frame (each way: handed to it → handed on by it), how late the
//!    latest frame arrived after its due time (the start of the call plus
//!    20 ms per frame before it), the frames that never arrived, and the
//!    process CPU time per minute of call (utime + stime from
//!    /proc/self/stat), fakes included.
//! 2. **The fakes alone**: the same calls through a bare relay (a task per
//!    call that forwards each frame and nothing else) instead of the bridge:
//!    what the fakes and the channels cost, so the bridge's own share is the
//!    difference. Both run `ROUNDS` times (3), alternating; medians.
//! 3. **Memory per call**: a fresh child process per count (100 and 500
//!    calls, bridge and bare relay) reads its resident set size (`VmRSS` of
//!    /proc/self/status) before opening the calls and after 2 s of all of
//!    them streaming, and divides the growth by the calls.
//! 4. **Turns**: `STREAMS` calls of `TURNS` caller turns (5). The caller
//!    speaks for 1 s and is silent for 2 s; the fake model says
//!    `SpeechStopped` after 500 ms of silence and answers 300 ms later with
//!    1 s of audio. The turn latency is the bridge's own measurement
//!    (`BridgeOutcome::latencies`: `SpeechStopped` → first answer frame
//!    sent to Twilio).
//! 5. **The Media Streams JSON** the gateway parses and writes around the
//!    bridge: CPU per minute of call, apart (the fakes hand the bridge
//!    parsed messages).
//!
//! The fake Twilio's own lateness (its 20 ms timer firing late) is printed
//! beside the frames' lateness: on a busy machine the process itself
//! stalls, and that is not the bridge's doing.
//!
//! `cargo bench -p frontdesk-voice-bridge --bench bridge` (`just
//! bench-realtime`; env `STREAMS`, `SECONDS`, `TURNS`, `ROUNDS` override the
//! defaults). Results in docs/benchmarks.md, "Realtime voice".

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use frontdesk_llm::{
    ItemId, ModelUsage, RealtimeError, RealtimeEvent, RealtimeEvents, RealtimeSender, RealtimeSession, RealtimeUsage,
    ResponseStatus, ToolCall, TranscriptionUsage,
};
use frontdesk_voice_bridge::{
    Bridge, Latencies, MediaFormat, MediaFrame, StreamStart, ToolRunner, Track, TwilioCommand, TwilioMessage,
};
use serde_json::Value;
use tokio::sync::{Notify, mpsc};
use tokio::time::Instant;

const FRAME: Duration = Duration::from_millis(20);
const FRAME_BYTES: usize = 160;
/// μ-law: 0x00 is a loud sample, 0xff silence.
const SPEECH: u8 = 0x00;
const SILENCE: u8 = 0xff;
/// The fake model's turn detection: this much silence ends the caller's turn.
const VAD_SILENCE_FRAMES: u32 = 25;
/// The fake model thinks this long after `SpeechStopped` before it answers.
const MODEL_ANSWER_DELAY: Duration = Duration::from_millis(300);
/// Each answer: 1 s of audio, in 20 ms pieces sent at once.
const ANSWER_FRAMES: u32 = 50;
/// A caller turn: 1 s of speech, then 2 s of silence (the answer fits in it).
const SPEECH_FRAMES: u64 = 50;
const TURN_FRAMES: u64 = 150;
/// Memory is read after all the calls have streamed this long.
const MEMORY_SETTLE: Duration = Duration::from_secs(2);
const MEMORY_CHILD_CALLS: &str = "FRONTDESK_BENCH_MEMORY_CALLS";
const MEMORY_CHILD_RELAY: &str = "FRONTDESK_BENCH_MEMORY_RELAY";

/// What relays the call between the fake Twilio and the fake model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Relay {
    Bridge,
    /// Forwards each frame, nothing else: the fakes' own cost.
    Bare,
}

impl Relay {
    fn name(self) -> &'static str {
        match self {
            Relay::Bridge => "bridge",
            Relay::Bare => "bare",
        }
    }
}

/// The fake model's input side for streaming: counts (and, when asked,
/// timestamps) each caller frame it receives.
struct FakeModelInput {
    arrived_at: Option<mpsc::UnboundedSender<Instant>>,
    arrived: AtomicU64,
    expected: u64,
    all_arrived: Arc<Notify>,
}

#[async_trait]
impl RealtimeSender for FakeModelInput {
    async fn send_audio(&self, _: &[u8]) -> Result<(), RealtimeError> {
        if let Some(arrived_at) = &self.arrived_at {
            let _ = arrived_at.send(Instant::now());
        }
        if self.arrived.fetch_add(1, Ordering::Relaxed) + 1 == self.expected {
            self.all_arrived.notify_one();
        }
        Ok(())
    }
    async fn commit_input(&self) -> Result<(), RealtimeError> {
        Ok(())
    }
    async fn clear_input(&self) -> Result<(), RealtimeError> {
        Ok(())
    }
    async fn truncate(&self, _: &ItemId, _: u32, _: Duration) -> Result<(), RealtimeError> {
        Ok(())
    }
    async fn tool_result(&self, _: &str, _: &Value) -> Result<(), RealtimeError> {
        Ok(())
    }
    async fn respond(&self, _: Option<&str>) -> Result<(), RealtimeError> {
        Ok(())
    }
    async fn close(&self) -> Result<(), RealtimeError> {
        Ok(())
    }
}

struct NoTools;

#[async_trait]
impl ToolRunner for NoTools {
    async fn run(&self, _: &ToolCall) -> Value {
        Value::Null
    }
}

/// CPU seconds this process has used (user + system).
fn process_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at ") ".
    let after = stat.rsplit_once(") ").map(|(_, rest)| rest).unwrap_or_default();
    let fields: Vec<&str> = after.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 here.
    let ticks: f64 = [11, 12].iter().filter_map(|&i| fields.get(i)?.parse::<f64>().ok()).sum();
    ticks / 100.0
}

/// This process's resident set size in KiB (`VmRSS`).
fn resident_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn stream_start(index: usize) -> TwilioMessage {
    TwilioMessage::Start(StreamStart {
        stream_sid: format!("MZ{index}"),
        call_sid: format!("CA{index}"),
        account_sid: "AC1".to_owned(),
        tracks: vec!["inbound".to_owned()],
        media_format: MediaFormat { encoding: "audio/x-mulaw".to_owned(), sample_rate: 8000, channels: 1 },
        custom_parameters: Default::default(),
    })
}

fn caller_frame(chunk: u64, sample: u8) -> TwilioMessage {
    TwilioMessage::Media(MediaFrame {
        track: Track::Inbound,
        chunk,
        timestamp_ms: chunk * FRAME.as_millis() as u64,
        audio: vec![sample; FRAME_BYTES],
    })
}

/// A relay with no logic: caller frames to the model, answer audio to
/// Twilio, until the stream stops.
async fn bare_relay(
    mut session: RealtimeSession,
    mut from_twilio: mpsc::Receiver<TwilioMessage>,
    to_twilio: mpsc::Sender<TwilioCommand>,
    stream_sid: String,
) {
    loop {
        tokio::select! {
            message = from_twilio.recv() => match message {
                None | Some(TwilioMessage::Stop { .. }) => break,
                Some(TwilioMessage::Media(frame)) => {
                    if session.sender.send_audio(&frame.audio).await.is_err() {
                        break;
                    }
                }
                Some(_) => {}
            },
            event = session.events.next() => match event {
                None => break,
                Some(RealtimeEvent::AudioOut { audio, .. }) => {
                    let media = TwilioCommand::Media { stream_sid: stream_sid.clone(), audio };
                    if to_twilio.send(media).await.is_err() {
                        break;
                    }
                }
                Some(_) => {}
            },
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Streaming {
    frames: u64,
    relay: Relay,
    /// Timestamp every frame (off for memory, where the timestamps would
    /// count as the call's memory).
    record: bool,
}

#[derive(Default)]
struct StreamFigures {
    caller_to_model: Vec<Duration>,
    model_to_twilio: Vec<Duration>,
    /// How long after its due time each frame arrived, each way.
    caller_lag: Vec<Duration>,
    answer_lag: Vec<Duration>,
    /// How late the fake Twilio itself sent each caller frame (the process
    /// not scheduled on time, not the bridge).
    send_lag: Vec<Duration>,
    caller_dropped: u64,
    answers_dropped: u64,
}

/// One streaming call: a caller frame and an answer frame every 20 ms.
async fn streaming_call(index: usize, setup: Streaming) -> StreamFigures {
    let (model, events) = RealtimeEvents::channel(64);
    let caller_frames_in = Arc::new(Notify::new());
    let (arrived_tx, mut arrived_rx) = mpsc::unbounded_channel();
    let input = Arc::new(FakeModelInput {
        arrived_at: setup.record.then_some(arrived_tx),
        arrived: AtomicU64::new(0),
        expected: setup.frames,
        all_arrived: caller_frames_in.clone(),
    });
    let session = RealtimeSession { sender: input.clone(), events };
    let (twilio, from_twilio) = mpsc::channel(64);
    let (to_twilio, mut twilio_out) = mpsc::channel(64);
    let relay = match setup.relay {
        Relay::Bridge => tokio::spawn(async move {
            Bridge::new(session, Arc::new(NoTools)).run(from_twilio, to_twilio).await;
        }),
        Relay::Bare => tokio::spawn(bare_relay(session, from_twilio, to_twilio, format!("MZ{index}"))),
    };
    let _ = twilio.send(stream_start(index)).await;
    // Twilio's reader: how many answer frames came out, and when.
    let answers_out = Arc::new(Notify::new());
    let reader = tokio::spawn({
        let answers_out = answers_out.clone();
        async move {
            let mut media_at = Vec::new();
            let mut media = 0;
            while let Some(command) = twilio_out.recv().await {
                if let TwilioCommand::Media { .. } = command {
                    if setup.record {
                        media_at.push(Instant::now());
                    }
                    media += 1;
                    if media == setup.frames {
                        answers_out.notify_one();
                    }
                }
            }
            (media, media_at)
        }
    });
    let mut ticks = tokio::time::interval(FRAME);
    let mut caller_sent = Vec::with_capacity(if setup.record { setup.frames as usize } else { 0 });
    let mut model_sent = Vec::with_capacity(caller_sent.capacity());
    let mut started = None;
    for chunk in 0..setup.frames {
        let tick = ticks.tick().await;
        started.get_or_insert(tick);
        if setup.record {
            caller_sent.push(Instant::now());
        }
        let _ = twilio.send(caller_frame(chunk, SILENCE)).await;
        if setup.record {
            model_sent.push(Instant::now());
        }
        let _ = model
            .send(RealtimeEvent::AudioOut { item_id: ItemId::new("item_a"), audio: vec![SILENCE; FRAME_BYTES] })
            .await;
    }
    // Every frame through before the stop (a stop drops answer audio still
    // queued); what has not arrived within 2 s counts as dropped.
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        caller_frames_in.notified().await;
        answers_out.notified().await;
    })
    .await;
    let _ = twilio.send(TwilioMessage::Stop { call_sid: format!("CA{index}") }).await;
    let _ = relay.await;
    let (media, media_at) = reader.await.unwrap_or_default();
    let mut reached_model = Vec::new();
    while let Ok(at) = arrived_rx.try_recv() {
        reached_model.push(at);
    }
    let started = started.unwrap_or_else(Instant::now);
    let lags = |arrivals: &[Instant]| {
        arrivals
            .iter()
            .enumerate()
            .map(|(frame, at)| at.saturating_duration_since(started + FRAME * frame as u32))
            .collect()
    };
    StreamFigures {
        caller_to_model: caller_sent.iter().zip(&reached_model).map(|(sent, got)| *got - *sent).collect(),
        model_to_twilio: model_sent.iter().zip(&media_at).map(|(sent, got)| *got - *sent).collect(),
        caller_lag: lags(&reached_model),
        send_lag: lags(&caller_sent),
        answer_lag: lags(&media_at),
        caller_dropped: setup.frames.saturating_sub(input.arrived.load(Ordering::Relaxed)),
        answers_dropped: setup.frames.saturating_sub(media),
    }
}

/// The fake model's input side for turns: hands each caller frame (speech
/// or silence) to the model's task.
struct TurnModelInput {
    heard: mpsc::UnboundedSender<bool>,
}

#[async_trait]
impl RealtimeSender for TurnModelInput {
    async fn send_audio(&self, audio: &[u8]) -> Result<(), RealtimeError> {
        self.heard.send(audio.first() == Some(&SPEECH)).map_err(|_| RealtimeError::Closed)
    }
    async fn commit_input(&self) -> Result<(), RealtimeError> {
        Ok(())
    }
    async fn clear_input(&self) -> Result<(), RealtimeError> {
        Ok(())
    }
    async fn truncate(&self, _: &ItemId, _: u32, _: Duration) -> Result<(), RealtimeError> {
        Ok(())
    }
    async fn tool_result(&self, _: &str, _: &Value) -> Result<(), RealtimeError> {
        Ok(())
    }
    async fn respond(&self, _: Option<&str>) -> Result<(), RealtimeError> {
        Ok(())
    }
    async fn close(&self) -> Result<(), RealtimeError> {
        Ok(())
    }
}

/// The fake model: server-side turn detection on the caller's frames, and
/// an answer `MODEL_ANSWER_DELAY` after each `SpeechStopped`. Returns how
/// long it actually waited each turn (timer granularity included).
async fn turn_model(mut heard: mpsc::UnboundedReceiver<bool>, events: mpsc::Sender<RealtimeEvent>) -> Vec<Duration> {
    let mut waits = Vec::new();
    let mut speaking = false;
    let mut silent_frames = 0;
    let mut frames: u64 = 0;
    let mut turn = 0;
    while let Some(speech) = heard.recv().await {
        frames += 1;
        let audio_ms = frames * FRAME.as_millis() as u64;
        if speech {
            silent_frames = 0;
            if !speaking {
                speaking = true;
                turn += 1;
                let started = RealtimeEvent::SpeechStarted { audio_start_ms: audio_ms, item_id: caller_item(turn) };
                if events.send(started).await.is_err() {
                    break;
                }
            }
            continue;
        }
        if !speaking {
            continue;
        }
        silent_frames += 1;
        if silent_frames < VAD_SILENCE_FRAMES {
            continue;
        }
        speaking = false;
        if events
            .send(RealtimeEvent::SpeechStopped { audio_end_ms: audio_ms, item_id: caller_item(turn) })
            .await
            .is_err()
        {
            break;
        }
        let stopped = Instant::now();
        tokio::time::sleep(MODEL_ANSWER_DELAY).await;
        waits.push(stopped.elapsed());
        let answer = ItemId::new(format!("item_answer_{turn}"));
        let mut answer_events = vec![RealtimeEvent::CallerTranscript {
            item_id: caller_item(turn),
            text: "I'd like a haircut on Tuesday at ten".to_owned(),
            usage: TranscriptionUsage::Tokens(ModelUsage {
                input_tokens: 40,
                cached_input_tokens: 0,
                output_tokens: 9,
            }),
        }];
        answer_events.extend(
            (0..ANSWER_FRAMES)
                .map(|_| RealtimeEvent::AudioOut { item_id: answer.clone(), audio: vec![SILENCE; FRAME_BYTES] }),
        );
        answer_events.push(RealtimeEvent::ReceptionistTranscript {
            item_id: answer,
            text: "Tuesday at ten is free. Shall I book it?".to_owned(),
        });
        answer_events.push(RealtimeEvent::ResponseDone {
            status: ResponseStatus::Completed,
            usage: RealtimeUsage {
                text: ModelUsage { input_tokens: 900, cached_input_tokens: 800, output_tokens: 12 },
                audio: ModelUsage { input_tokens: 60, cached_input_tokens: 0, output_tokens: 250 },
            },
        });
        for event in answer_events {
            if events.send(event).await.is_err() {
                return waits;
            }
        }
    }
    waits
}

fn caller_item(turn: u32) -> ItemId {
    ItemId::new(format!("item_caller_{turn}"))
}

struct TurnFigures {
    latencies: Vec<Duration>,
    model_waits: Vec<Duration>,
    responses: u32,
    interruptions: u32,
}

/// One call of `turns` caller turns through the bridge.
async fn turn_call(index: usize, turns: u64) -> TurnFigures {
    let (model_events, events) = RealtimeEvents::channel(64);
    let (heard_tx, heard_rx) = mpsc::unbounded_channel();
    let model = tokio::spawn(turn_model(heard_rx, model_events));
    let session = RealtimeSession { sender: Arc::new(TurnModelInput { heard: heard_tx }), events };
    let (twilio, from_twilio) = mpsc::channel(64);
    let (to_twilio, mut twilio_out) = mpsc::channel(64);
    let bridge = tokio::spawn(Bridge::new(session, Arc::new(NoTools)).run(from_twilio, to_twilio));
    let _ = twilio.send(stream_start(index)).await;
    // Twilio's side: every mark acknowledged as it arrives (playback counted
    // as instant), through a queue so the reader never waits on the bridge.
    let (marks_tx, mut marks_rx) = mpsc::unbounded_channel();
    let reader = tokio::spawn(async move {
        while let Some(command) = twilio_out.recv().await {
            if let TwilioCommand::Mark { name, .. } = command {
                let _ = marks_tx.send(name);
            }
        }
    });
    let acknowledger = tokio::spawn({
        let twilio = twilio.clone();
        async move {
            while let Some(name) = marks_rx.recv().await {
                if twilio.send(TwilioMessage::Mark { name }).await.is_err() {
                    break;
                }
            }
        }
    });
    let mut ticks = tokio::time::interval(FRAME);
    for chunk in 0..turns * TURN_FRAMES {
        ticks.tick().await;
        let sample = if chunk % TURN_FRAMES < SPEECH_FRAMES { SPEECH } else { SILENCE };
        let _ = twilio.send(caller_frame(chunk, sample)).await;
    }
    let _ = twilio.send(TwilioMessage::Stop { call_sid: format!("CA{index}") }).await;
    let outcome = bridge.await.ok();
    let _ = reader.await;
    let _ = acknowledger.await;
    let model_waits = model.await.unwrap_or_default();
    TurnFigures {
        latencies: outcome.as_ref().map(|o| o.latencies.turns.clone()).unwrap_or_default(),
        model_waits,
        responses: outcome.as_ref().map_or(0, |o| o.responses),
        interruptions: outcome.as_ref().map_or(0, |o| o.interruptions),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(duration: Duration) -> String {
    format!("{:.3} ms", duration.as_secs_f64() * 1000.0)
}

/// p50, p99 and max of frame latencies, printed; returns (p99, max).
fn report(name: &str, mut latencies: Vec<Duration>) -> (Duration, Duration) {
    latencies.sort_unstable();
    let (p50, p99, max) =
        (percentile(&latencies, 50.0), percentile(&latencies, 99.0), latencies.last().copied().unwrap_or_default());
    println!("{name}: {} frames, p50 {}, p99 {}, max {}", latencies.len(), ms(p50), ms(p99), ms(max));
    (p99, max)
}

fn runtime() -> tokio::runtime::Runtime {
    match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => panic!("no runtime: {error}"),
    }
}

struct StreamRun {
    calls: Vec<StreamFigures>,
    cpu_seconds: f64,
    call_minutes: f64,
}

fn run_streaming(runtime: &tokio::runtime::Runtime, streams: usize, seconds: u64, relay: Relay) -> StreamRun {
    let setup = Streaming { frames: seconds * 1000 / FRAME.as_millis() as u64, relay, record: true };
    let cpu_before = process_cpu_seconds();
    let calls = runtime.block_on(async {
        let tasks: Vec<_> = (0..streams).map(|index| tokio::spawn(streaming_call(index, setup))).collect();
        let mut calls = Vec::new();
        for task in tasks {
            if let Ok(call) = task.await {
                calls.push(call);
            }
        }
        calls
    });
    StreamRun {
        calls,
        cpu_seconds: process_cpu_seconds() - cpu_before,
        call_minutes: (streams as f64 * seconds as f64) / 60.0,
    }
}

/// In a child process: opens `calls` streaming calls, and prints the
/// resident set before and after 2 s of all of them streaming.
fn memory_child(calls: usize, relay: Relay) {
    let runtime = runtime();
    // Anything done once per process (timers, tracing's call sites) first.
    runtime.block_on(streaming_call(usize::MAX, Streaming { frames: 10, relay, record: false }));
    let before = resident_kib();
    let during = runtime.block_on(async {
        let setup = Streaming { frames: 200, relay, record: false };
        let tasks: Vec<_> = (0..calls).map(|index| tokio::spawn(streaming_call(index, setup))).collect();
        tokio::time::sleep(MEMORY_SETTLE).await;
        let during = resident_kib();
        for task in tasks {
            let _ = task.await;
        }
        during
    });
    println!("memory {before} {during}");
}

/// Runs this bench again as a child for one memory reading: (KiB before, KiB
/// with the calls open).
fn measure_memory(calls: usize, relay: Relay) -> Option<(u64, u64)> {
    let exe = std::env::current_exe().ok()?;
    let output = std::process::Command::new(exe)
        .env(MEMORY_CHILD_CALLS, calls.to_string())
        .env(MEMORY_CHILD_RELAY, relay.name())
        .output()
        .ok()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().find_map(|line| line.strip_prefix("memory "))?;
    let (before, during) = line.split_once(' ')?;
    Some((before.parse().ok()?, during.parse().ok()?))
}

/// CPU per minute of call of the Media Streams codec the gateway runs around
/// the bridge (not in the streaming figures, whose fakes hand it parsed
/// messages): each 20 ms, one caller `media` frame parsed, one answer
/// `media` and its `mark` written. Returns CPU seconds per call-minute.
fn wire_codec_cpu_per_call_minute(minutes: u64) -> f64 {
    use base64::Engine;
    let payload = base64::engine::general_purpose::STANDARD.encode([SILENCE; FRAME_BYTES]);
    let inbound = serde_json::json!({
        "event": "media",
        "sequenceNumber": "4",
        "media": { "track": "inbound", "chunk": "3", "timestamp": "60", "payload": payload },
        "streamSid": "MZ18ad3ab5a668481ce02b83e7395059f0",
    })
    .to_string();
    let answer = TwilioCommand::Media {
        stream_sid: "MZ18ad3ab5a668481ce02b83e7395059f0".to_owned(),
        audio: vec![SILENCE; FRAME_BYTES],
    };
    let frames_per_minute = 60_000 / FRAME.as_millis() as u64;
    let cpu_before = process_cpu_seconds();
    let mut bytes = 0;
    for frame in 0..minutes * frames_per_minute {
        if let Ok(TwilioMessage::Media(media)) = TwilioMessage::parse(std::hint::black_box(&inbound)) {
            bytes += media.audio.len();
        }
        bytes += std::hint::black_box(&answer).to_json().len();
        let mark = TwilioCommand::Mark {
            stream_sid: "MZ18ad3ab5a668481ce02b83e7395059f0".to_owned(),
            name: format!("item_a:{}", (frame % 50 + 1) * 20),
        };
        bytes += mark.to_json().len();
    }
    std::hint::black_box(bytes);
    (process_cpu_seconds() - cpu_before) / minutes as f64
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    if let Some(calls) = std::env::var(MEMORY_CHILD_CALLS).ok().and_then(|v| v.parse().ok()) {
        let relay =
            if std::env::var(MEMORY_CHILD_RELAY).as_deref() == Ok("bare") { Relay::Bare } else { Relay::Bridge };
        memory_child(calls, relay);
        return;
    }
    let streams: usize = env_or("STREAMS", 100);
    let seconds: u64 = env_or("SECONDS", 20);
    let turns: u64 = env_or("TURNS", 5);
    println!("2 tokio worker threads; fake Twilio and fake model in this process; release build");

    // 3. Memory first, each reading in a fresh child process.
    println!("\n## Memory per call (VmRSS growth with the calls open and streaming, / calls)");
    let mut memory_rows = Vec::new();
    for calls in [100, 500] {
        for relay in [Relay::Bridge, Relay::Bare] {
            match measure_memory(calls, relay) {
                Some((before, during)) => {
                    let per_call = during.saturating_sub(before) as f64 / calls as f64;
                    println!(
                        "{calls} calls, {}: {before} KiB → {during} KiB, {per_call:.1} KiB per call",
                        relay.name()
                    );
                    memory_rows.push((calls, relay, per_call));
                }
                None => println!("{calls} calls, {}: the child process gave no reading", relay.name()),
            }
        }
    }

    let runtime = runtime();

    // 1. Streaming through the bridge.
    println!("\n## Streaming: {streams} concurrent calls × {seconds} s of 20 ms frames both ways");
    let bridged = run_streaming(&runtime, streams, seconds, Relay::Bridge);
    let (caller_p99, caller_max) = report(
        "caller → model (added by the bridge)",
        bridged.calls.iter().flat_map(|c| c.caller_to_model.clone()).collect(),
    );
    let (answer_p99, answer_max) = report(
        "model → Twilio (added by the bridge)",
        bridged.calls.iter().flat_map(|c| c.model_to_twilio.clone()).collect(),
    );
    let (_, caller_lag) = report(
        "caller frame reached the model after its due time",
        bridged.calls.iter().flat_map(|c| c.caller_lag.clone()).collect(),
    );
    let (_, answer_lag) = report(
        "answer frame reached Twilio after its due time",
        bridged.calls.iter().flat_map(|c| c.answer_lag.clone()).collect(),
    );
    let (send_lag_p99, send_lag_max) = report(
        "caller frame sent by the fake Twilio after its due time (the machine, not the bridge)",
        bridged.calls.iter().flat_map(|c| c.send_lag.clone()).collect(),
    );
    let caller_dropped: u64 = bridged.calls.iter().map(|c| c.caller_dropped).sum();
    let answers_dropped: u64 = bridged.calls.iter().map(|c| c.answers_dropped).sum();
    let frames_each_way = streams as u64 * seconds * 1000 / FRAME.as_millis() as u64;
    println!(
        "latest frame after its due time: caller {}, answer {}; frames dropped: caller {caller_dropped}/{frames_each_way}, answer {answers_dropped}/{frames_each_way}",
        ms(caller_lag),
        ms(answer_lag)
    );
    let bridged_cpu = bridged.cpu_seconds / bridged.call_minutes;
    println!(
        "CPU: {:.2} s for {:.1} call-minutes = {bridged_cpu:.4} CPU-s per minute of call (fakes included)",
        bridged.cpu_seconds, bridged.call_minutes
    );

    // 2. The fakes alone.
    println!("\n## The fakes alone: the same calls through a bare relay");
    let bare = run_streaming(&runtime, streams, seconds, Relay::Bare);
    let bare_cpu = bare.cpu_seconds / bare.call_minutes;
    let bare_dropped: u64 = bare.calls.iter().map(|c| c.caller_dropped + c.answers_dropped).sum();
    println!(
        "CPU: {:.2} s for {:.1} call-minutes = {bare_cpu:.4} CPU-s per minute of call ({bare_dropped} frames dropped); the bridge's own share ≈ {:.4} CPU-s per minute of call",
        bare.cpu_seconds,
        bare.call_minutes,
        bridged_cpu - bare_cpu
    );
    // More rounds, alternating which goes first: the difference is small
    // beside the run-to-run spread of CPU time on a shared machine.
    let rounds: usize = env_or("ROUNDS", 3);
    let mut bridged_cpus = vec![bridged_cpu];
    let mut bare_cpus = vec![bare_cpu];
    for round in 2..=rounds {
        let order = if round % 2 == 0 { [Relay::Bare, Relay::Bridge] } else { [Relay::Bridge, Relay::Bare] };
        for relay in order {
            let run = run_streaming(&runtime, streams, seconds, relay);
            let cpu = run.cpu_seconds / run.call_minutes;
            println!("round {round}, {}: {cpu:.4} CPU-s per minute of call", relay.name());
            match relay {
                Relay::Bridge => bridged_cpus.push(cpu),
                Relay::Bare => bare_cpus.push(cpu),
            }
        }
    }
    let median = |values: &[f64]| {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        sorted.get(sorted.len() / 2).copied().unwrap_or_default()
    };
    let rounds_ms = |values: &[f64]| values.iter().map(|v| format!("{:.1}", v * 1000.0)).collect::<Vec<_>>().join(", ");
    let (bridged_cpu, bare_cpu) = (median(&bridged_cpus), median(&bare_cpus));
    println!(
        "CPU per minute of call, medians of {} rounds: bridge and fakes {:.1} ms ({}), fakes and a bare relay {:.1} ms ({})",
        bridged_cpus.len(),
        bridged_cpu * 1000.0,
        rounds_ms(&bridged_cpus),
        bare_cpu * 1000.0,
        rounds_ms(&bare_cpus)
    );

    // 4. Turns.
    println!(
        "\n## Turns: {streams} concurrent calls × {turns} turns, the fake model answering {} ms after SpeechStopped",
        MODEL_ANSWER_DELAY.as_millis()
    );
    let cpu_before = process_cpu_seconds();
    let turn_calls = runtime.block_on(async {
        let tasks: Vec<_> = (0..streams).map(|index| tokio::spawn(turn_call(index, turns))).collect();
        let mut calls = Vec::new();
        for task in tasks {
            if let Ok(call) = task.await {
                calls.push(call);
            }
        }
        calls
    });
    let turn_cpu = process_cpu_seconds() - cpu_before;
    let turn_call_minutes = streams as f64 * (turns * TURN_FRAMES) as f64 * FRAME.as_secs_f64() / 60.0;
    let all_turns = Latencies { turns: turn_calls.iter().flat_map(|c| c.latencies.clone()).collect() };
    let waits = Latencies { turns: turn_calls.iter().flat_map(|c| c.model_waits.clone()).collect() };
    let worst_call_p95 =
        turn_calls.iter().filter_map(|c| Latencies { turns: c.latencies.clone() }.p95()).max().unwrap_or_default();
    let responses: u32 = turn_calls.iter().map(|c| c.responses).sum();
    let interruptions: u32 = turn_calls.iter().map(|c| c.interruptions).sum();
    let p = |latencies: &Latencies, p: u32| ms(latencies.percentile(p).unwrap_or_default());
    println!(
        "speech stopped → first audio to Twilio (BridgeOutcome::latencies), {} turns: p50 {}, p95 {}, p99 {}, max {}; worst call's p95 {}",
        all_turns.turns.len(),
        p(&all_turns, 50),
        p(&all_turns, 95),
        p(&all_turns, 99),
        p(&all_turns, 100),
        ms(worst_call_p95)
    );
    println!(
        "the fake model's own wait (asked {} ms): p50 {}, p95 {}, max {}",
        MODEL_ANSWER_DELAY.as_millis(),
        p(&waits, 50),
        p(&waits, 95),
        p(&waits, 100)
    );
    println!(
        "answers done: {responses}/{}; barge-ins: {interruptions}; CPU {turn_cpu:.2} s for {turn_call_minutes:.1} call-minutes = {:.4} CPU-s per minute of call",
        streams as u64 * turns,
        turn_cpu / turn_call_minutes
    );

    // 5. The wire codec around the bridge.
    let codec_cpu = wire_codec_cpu_per_call_minute(200);
    println!(
        "\n## Media Streams JSON (in the gateway, around the bridge): {:.1} ms CPU per minute of call (parse a caller frame, write an answer frame and its mark, every 20 ms; 200 call-minutes)",
        codec_cpu * 1000.0
    );

    println!("\n## Summary (markdown)\n");
    println!("| figure | measured | target |");
    println!("|---|---:|---|");
    println!(
        "| added latency per frame, caller → model, p99 / max | {} / {} | p99 < 2 ms |",
        ms(caller_p99),
        ms(caller_max)
    );
    println!(
        "| added latency per frame, model → Twilio, p99 / max | {} / {} | p99 < 2 ms |",
        ms(answer_p99),
        ms(answer_max)
    );
    println!(
        "| {streams} calls: latest frame after its due time, caller / answer | {} / {} | not behind real time |",
        ms(caller_lag),
        ms(answer_lag)
    );
    println!(
        "| {streams} calls: fake Twilio's own lateness sending, p99 / max | {} / {} | - |",
        ms(send_lag_p99),
        ms(send_lag_max)
    );
    println!(
        "| {streams} calls: frames dropped, caller / answer | {caller_dropped} / {answers_dropped} of {frames_each_way} | 0 |"
    );
    for (calls, relay, per_call) in &memory_rows {
        let what = if *relay == Relay::Bridge { "bridged calls" } else { "fakes, bare relay" };
        println!("| memory per call, {calls} {what} (VmRSS growth / calls) | {per_call:.1} KiB | < 256 KB |");
    }
    println!(
        "| CPU per minute of call, bridge and fakes (median; rounds) | {:.1} ms ({}) | - |",
        bridged_cpu * 1000.0,
        rounds_ms(&bridged_cpus)
    );
    println!(
        "| CPU per minute of call, fakes and a bare relay (median; rounds) | {:.1} ms ({}) | - |",
        bare_cpu * 1000.0,
        rounds_ms(&bare_cpus)
    );
    println!(
        "| CPU per minute of call, the bridge's share (difference) | {:.1} ms | - |",
        (bridged_cpu - bare_cpu) * 1000.0
    );
    println!(
        "| CPU per minute of call, Media Streams JSON in the gateway (not above) | {:.1} ms | - |",
        codec_cpu * 1000.0
    );
    println!(
        "| speech stopped → first audio back, p50 / p95 ({} turns) | {} / {} | p50 < 400 ms |",
        all_turns.turns.len(),
        p(&all_turns, 50),
        p(&all_turns, 95)
    );
}
