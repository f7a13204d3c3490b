//! A fake realtime session (scripted events in, everything the bridge
//! sends recorded in order) and a fake Twilio side (two channels).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use frontdesk_llm::{ItemId, RealtimeError, RealtimeEvent, RealtimeEvents, RealtimeSender, RealtimeSession, ToolCall};
use frontdesk_voice_bridge::{
    Bridge, BridgeOptions, BridgeOutcome, MediaFormat, MediaFrame, StreamStart, ToolRunner, Track, TwilioCommand,
    TwilioMessage,
};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// What the bridge sent the model.
#[derive(Debug, Clone, PartialEq)]
pub enum Sent {
    Audio(Vec<u8>),
    Truncate { item_id: ItemId, content_index: u32, audio_end: Duration },
    ToolResult { call_id: String, output: Value },
    Respond(Option<String>),
    CommitInput,
    ClearInput,
    Close,
}

/// Records every call; fails them all with `Closed` once closed.
pub struct FakeSender {
    sent: mpsc::UnboundedSender<Sent>,
    closed: Mutex<bool>,
}

impl FakeSender {
    /// From now on every send fails with `Closed` (the connection dropped).
    pub fn fail(&self) {
        *self.closed.lock().unwrap_or_else(|e| e.into_inner()) = true;
    }

    fn record(&self, sent: Sent) -> Result<(), RealtimeError> {
        if *self.closed.lock().unwrap_or_else(|e| e.into_inner()) {
            return Err(RealtimeError::Closed);
        }
        let _ = self.sent.send(sent);
        Ok(())
    }
}

#[async_trait]
impl RealtimeSender for FakeSender {
    async fn send_audio(&self, audio: &[u8]) -> Result<(), RealtimeError> {
        self.record(Sent::Audio(audio.to_vec()))
    }

    async fn commit_input(&self) -> Result<(), RealtimeError> {
        self.record(Sent::CommitInput)
    }

    async fn clear_input(&self) -> Result<(), RealtimeError> {
        self.record(Sent::ClearInput)
    }

    async fn truncate(&self, item_id: &ItemId, content_index: u32, audio_end: Duration) -> Result<(), RealtimeError> {
        self.record(Sent::Truncate { item_id: item_id.clone(), content_index, audio_end })
    }

    async fn tool_result(&self, call_id: &str, output: &Value) -> Result<(), RealtimeError> {
        self.record(Sent::ToolResult { call_id: call_id.to_owned(), output: output.clone() })
    }

    async fn respond(&self, instructions: Option<&str>) -> Result<(), RealtimeError> {
        self.record(Sent::Respond(instructions.map(str::to_owned)))
    }

    async fn close(&self) -> Result<(), RealtimeError> {
        let _ = self.sent.send(Sent::Close);
        *self.closed.lock().unwrap_or_else(|e| e.into_inner()) = true;
        Ok(())
    }
}

/// A session whose events the test scripts, and what was sent to it.
pub fn fake_session() -> (RealtimeSession, Arc<FakeSender>, mpsc::Sender<RealtimeEvent>, mpsc::UnboundedReceiver<Sent>)
{
    let (events_in, events) = RealtimeEvents::channel(64);
    let (sent, sent_out) = mpsc::unbounded_channel();
    let sender = Arc::new(FakeSender { sent, closed: Mutex::new(false) });
    (RealtimeSession { sender: sender.clone(), events }, sender, events_in, sent_out)
}

/// Answers every tool call with its name and arguments, and records it
/// (and what the caller was heard saying); `hand_over` hands the call over.
#[derive(Default)]
pub struct EchoTools {
    pub calls: Mutex<Vec<ToolCall>>,
    pub heard: Mutex<Vec<String>>,
    pub started: Mutex<Vec<ItemId>>,
    handed_off: std::sync::atomic::AtomicBool,
}

#[async_trait]
impl ToolRunner for EchoTools {
    async fn speech_started(&self, item_id: &ItemId) {
        self.started.lock().unwrap_or_else(|e| e.into_inner()).push(item_id.clone());
    }

    async fn heard(&self, _item_id: &ItemId, text: &str) {
        self.heard.lock().unwrap_or_else(|e| e.into_inner()).push(text.to_owned());
    }

    fn handed_off(&self) -> bool {
        self.handed_off.load(std::sync::atomic::Ordering::SeqCst)
    }

    async fn run(&self, call: &ToolCall) -> Value {
        if call.name == "hand_over" {
            self.handed_off.store(true, std::sync::atomic::Ordering::SeqCst);
        }
        self.calls.lock().unwrap_or_else(|e| e.into_inner()).push(call.clone());
        let arguments: Value = serde_json::from_str(&call.arguments).unwrap_or(Value::Null);
        json!({"tool": call.name, "arguments": arguments, "slots": ["10:00", "10:30"]})
    }
}

/// One call through a bridge: the test plays Twilio and the model.
pub struct Call {
    pub stream_sid: String,
    pub session: Arc<FakeSender>,
    pub model: mpsc::Sender<RealtimeEvent>,
    pub sent: mpsc::UnboundedReceiver<Sent>,
    pub twilio: mpsc::Sender<TwilioMessage>,
    pub to_twilio: mpsc::Receiver<TwilioCommand>,
    pub tools: Arc<EchoTools>,
    pub bridge: JoinHandle<BridgeOutcome>,
}

pub fn start_message(call_sid: &str, stream_sid: &str) -> TwilioMessage {
    TwilioMessage::Start(StreamStart {
        stream_sid: stream_sid.to_owned(),
        call_sid: call_sid.to_owned(),
        account_sid: "AC123".to_owned(),
        tracks: vec!["inbound".to_owned()],
        media_format: MediaFormat { encoding: "audio/x-mulaw".to_owned(), sample_rate: 8000, channels: 1 },
        custom_parameters: BTreeMap::from([("tenant".to_owned(), "t1".to_owned())]),
    })
}

pub fn caller_frame(chunk: u64, audio: Vec<u8>) -> TwilioMessage {
    TwilioMessage::Media(MediaFrame { track: Track::Inbound, chunk, timestamp_ms: chunk * 20, audio })
}

pub fn audio_out(item: &str, audio: Vec<u8>) -> RealtimeEvent {
    RealtimeEvent::AudioOut { item_id: ItemId::new(item), audio }
}

impl Call {
    /// A bridge for `call_sid`, started (`connected` and `start` sent).
    pub async fn started(call_sid: &str, stream_sid: &str) -> Call {
        let call = Call::open(BridgeOptions { expected_call_sid: Some(call_sid.to_owned()) }, stream_sid);
        call.twilio_sends(TwilioMessage::Connected { protocol: "Call".to_owned(), version: "1.0.0".to_owned() }).await;
        call.twilio_sends(start_message(call_sid, stream_sid)).await;
        call
    }

    /// A bridge nothing was sent to yet.
    pub fn open(options: BridgeOptions, stream_sid: &str) -> Call {
        let (session, fake, model, sent) = fake_session();
        let (twilio, from_twilio) = mpsc::channel(64);
        let (commands, to_twilio) = mpsc::channel(64);
        let tools = Arc::new(EchoTools::default());
        let bridge = Bridge::new(session, tools.clone()).with_options(options);
        let bridge = tokio::spawn(bridge.run(from_twilio, commands));
        Call { stream_sid: stream_sid.to_owned(), session: fake, model, sent, twilio, to_twilio, tools, bridge }
    }

    pub async fn twilio_sends(&self, message: TwilioMessage) {
        self.twilio.send(message).await.unwrap_or_else(|_| panic!("the bridge stopped reading Twilio"));
    }

    pub async fn model_sends(&self, event: RealtimeEvent) {
        self.model.send(event).await.unwrap_or_else(|_| panic!("the bridge stopped reading the model"));
    }

    /// The next thing the bridge sent the model.
    pub async fn model_got(&mut self) -> Sent {
        tokio::time::timeout(Duration::from_secs(5), self.sent.recv())
            .await
            .unwrap_or_else(|_| panic!("the model got nothing"))
            .unwrap_or_else(|| panic!("the session is gone"))
    }

    /// The next frame the bridge sent Twilio.
    pub async fn twilio_got(&mut self) -> TwilioCommand {
        tokio::time::timeout(Duration::from_secs(5), self.to_twilio.recv())
            .await
            .unwrap_or_else(|_| panic!("Twilio got nothing"))
            .unwrap_or_else(|| panic!("the bridge closed Twilio's side"))
    }

    /// A caller frame relayed: everything Twilio sent before it is handled.
    pub async fn caller_says(&mut self, chunk: u64, audio: Vec<u8>) {
        self.twilio_sends(caller_frame(chunk, audio.clone())).await;
        assert_eq!(self.model_got().await, Sent::Audio(audio));
    }

    pub async fn finish(self) -> BridgeOutcome {
        let Call { bridge, twilio, model, .. } = self;
        drop((twilio, model));
        tokio::time::timeout(Duration::from_secs(5), bridge)
            .await
            .unwrap_or_else(|_| panic!("the bridge did not end"))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Waits for the bridge to end by itself (Twilio's and the model's sides
    /// still open).
    pub async fn ended(&mut self) -> BridgeOutcome {
        tokio::time::timeout(Duration::from_secs(5), &mut self.bridge)
            .await
            .unwrap_or_else(|_| panic!("the bridge did not end"))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    pub fn media(&self, audio: Vec<u8>) -> TwilioCommand {
        TwilioCommand::Media { stream_sid: self.stream_sid.clone(), audio }
    }

    pub fn mark(&self, name: &str) -> TwilioCommand {
        TwilioCommand::Mark { stream_sid: self.stream_sid.clone(), name: name.to_owned() }
    }
}
