//! The bridge's own cost, with fakes on both sides: 100 concurrent calls,
//! each sending a 20 ms caller frame and receiving a 20 ms answer frame
//! every 20 ms of real time for `SECONDS` seconds. Prints the latency the
//! bridge adds per frame (each way: handed to it → handed on by it), whether
//! any call fell behind real time, and the process CPU time per minute of
//! call (utime + stime from /proc/self/stat).
//!
//! `cargo bench -p frontdesk-voice-bridge --bench bridge` (env `STREAMS`,
//! `SECONDS` override the defaults).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use frontdesk_llm::{ItemId, RealtimeError, RealtimeEvent, RealtimeEvents, RealtimeSender, RealtimeSession, ToolCall};
use frontdesk_voice_bridge::{
    Bridge, MediaFormat, MediaFrame, StreamStart, ToolRunner, Track, TwilioCommand, TwilioMessage,
};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::time::Instant;

const FRAME: Duration = Duration::from_millis(20);
const FRAME_BYTES: usize = 160;

/// Records when each caller frame reached the model.
struct TimedSender {
    received: mpsc::UnboundedSender<Instant>,
}

#[async_trait]
impl RealtimeSender for TimedSender {
    async fn send_audio(&self, _: &[u8]) -> Result<(), RealtimeError> {
        let _ = self.received.send(Instant::now());
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

struct CallFigures {
    caller_to_model: Vec<Duration>,
    model_to_twilio: Vec<Duration>,
    /// The last frame of the call went through this long after it was due.
    finished_late_by: Duration,
}

async fn one_call(index: usize, seconds: u64) -> CallFigures {
    let (model, events) = RealtimeEvents::channel(64);
    let (received_tx, mut received) = mpsc::unbounded_channel();
    let session = RealtimeSession { sender: Arc::new(TimedSender { received: received_tx }), events };
    let (twilio, from_twilio) = mpsc::channel(64);
    let (to_twilio, mut twilio_out) = mpsc::channel(64);
    let bridge = tokio::spawn(Bridge::new(session, Arc::new(NoTools)).run(from_twilio, to_twilio));
    let stream_sid = format!("MZ{index}");
    let _ = twilio
        .send(TwilioMessage::Start(StreamStart {
            stream_sid: stream_sid.clone(),
            call_sid: format!("CA{index}"),
            account_sid: "AC1".to_owned(),
            tracks: vec!["inbound".to_owned()],
            media_format: MediaFormat { encoding: "audio/x-mulaw".to_owned(), sample_rate: 8000, channels: 1 },
            custom_parameters: Default::default(),
        }))
        .await;
    // Twilio's reader: when each answer frame came out.
    let reader = tokio::spawn(async move {
        let mut media_at = Vec::new();
        while let Some(command) = twilio_out.recv().await {
            if let TwilioCommand::Media { .. } = command {
                media_at.push(Instant::now());
            }
        }
        media_at
    });
    let frames = seconds * 1000 / FRAME.as_millis() as u64;
    let mut ticks = tokio::time::interval(FRAME);
    let started = Instant::now();
    let mut caller_sent = Vec::with_capacity(frames as usize);
    let mut model_sent = Vec::with_capacity(frames as usize);
    for chunk in 0..frames {
        ticks.tick().await;
        caller_sent.push(Instant::now());
        let frame =
            MediaFrame { track: Track::Inbound, chunk, timestamp_ms: chunk * 20, audio: vec![0x7f; FRAME_BYTES] };
        let _ = twilio.send(TwilioMessage::Media(frame)).await;
        model_sent.push(Instant::now());
        let _ = model
            .send(RealtimeEvent::AudioOut { item_id: ItemId::new("item_a"), audio: vec![0xff; FRAME_BYTES] })
            .await;
    }
    let _ = twilio.send(TwilioMessage::Stop { call_sid: format!("CA{index}") }).await;
    let _ = bridge.await;
    let media_at = reader.await.unwrap_or_default();
    let mut reached_model = Vec::new();
    while let Ok(at) = received.try_recv() {
        reached_model.push(at);
    }
    let last = reached_model.last().copied().into_iter().chain(media_at.last().copied()).max().unwrap_or(started);
    let due = started + FRAME * (frames as u32).saturating_sub(1);
    CallFigures {
        caller_to_model: caller_sent.iter().zip(&reached_model).map(|(sent, got)| *got - *sent).collect(),
        model_to_twilio: model_sent.iter().zip(&media_at).map(|(sent, got)| *got - *sent).collect(),
        finished_late_by: last.saturating_duration_since(due),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn report(name: &str, mut latencies: Vec<Duration>) {
    latencies.sort_unstable();
    println!(
        "{name}: {} frames, p50 {:?}, p99 {:?}, max {:?}",
        latencies.len(),
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
        latencies.last().copied().unwrap_or_default()
    );
}

fn main() {
    let streams: usize = std::env::var("STREAMS").ok().and_then(|v| v.parse().ok()).unwrap_or(100);
    let seconds: u64 = std::env::var("SECONDS").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => panic!("no runtime: {error}"),
    };
    let cpu_before = process_cpu_seconds();
    let wall = std::time::Instant::now();
    let calls = runtime.block_on(async {
        let tasks: Vec<_> = (0..streams).map(|index| tokio::spawn(one_call(index, seconds))).collect();
        let mut calls = Vec::new();
        for task in tasks {
            if let Ok(call) = task.await {
                calls.push(call);
            }
        }
        calls
    });
    let cpu = process_cpu_seconds() - cpu_before;
    let call_minutes = (streams as f64 * seconds as f64) / 60.0;
    println!(
        "{streams} concurrent calls x {seconds} s of 20 ms frames both ways, 2 worker threads, wall {:?}",
        wall.elapsed()
    );
    report("caller -> model (added by the bridge)", calls.iter().flat_map(|c| c.caller_to_model.clone()).collect());
    // Answer frames still queued when a call stops are dropped, not relayed.
    report("model -> Twilio (added by the bridge)", calls.iter().flat_map(|c| c.model_to_twilio.clone()).collect());
    let latest = calls.iter().map(|c| c.finished_late_by).max().unwrap_or_default();
    println!("latest last frame after it was due: {latest:?} (behind real time if it grows with the call's length)");
    println!(
        "CPU: {cpu:.2} s for {call_minutes:.1} call-minutes = {:.3} CPU-s per minute of call (fake model and Twilio included)",
        cpu / call_minutes
    );
}
