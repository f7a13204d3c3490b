//! A slow tool gets the caller one filler before its result; a fast one,
//! or one called while the model is answering, gets none. Time is paused:
//! the tools' runs take tokio time.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use frontdesk_llm::{RealtimeEvent, RealtimeUsage, ResponseStatus, ToolCall};
use frontdesk_voice_bridge::{Bridge, BridgeOutcome, FILLER_AFTER, FILLER_INSTRUCTIONS, ToolRunner, TwilioMessage};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::support::{Sent, fake_session, start_message};

/// Answers every call after `delay` of (tokio) time.
struct SlowTools {
    delay: Duration,
}

#[async_trait]
impl ToolRunner for SlowTools {
    async fn run(&self, call: &ToolCall) -> Value {
        tokio::time::sleep(self.delay).await;
        json!({"tool": call.name, "slots": ["10:00"]})
    }
}

struct FillerCall {
    model: mpsc::Sender<RealtimeEvent>,
    sent: mpsc::UnboundedReceiver<Sent>,
    _twilio: mpsc::Sender<TwilioMessage>,
    _to_twilio: mpsc::Receiver<frontdesk_voice_bridge::TwilioCommand>,
    bridge: JoinHandle<BridgeOutcome>,
}

impl FillerCall {
    async fn started(tool_delay: Duration) -> FillerCall {
        let (session, _fake, model, sent) = fake_session();
        let (twilio, from_twilio) = mpsc::channel(64);
        let (commands, to_twilio) = mpsc::channel(64);
        let bridge = Bridge::new(session, Arc::new(SlowTools { delay: tool_delay }));
        let bridge = tokio::spawn(bridge.run(from_twilio, commands));
        twilio.send(start_message("CA1", "MZ1")).await.unwrap_or_else(|_| panic!("the bridge stopped"));
        FillerCall { model, sent, _twilio: twilio, _to_twilio: to_twilio, bridge }
    }

    async fn model_sends(&self, event: RealtimeEvent) {
        self.model.send(event).await.unwrap_or_else(|_| panic!("the bridge stopped reading the model"));
    }

    async fn model_got(&mut self) -> Sent {
        tokio::time::timeout(Duration::from_secs(30), self.sent.recv())
            .await
            .unwrap_or_else(|_| panic!("the model got nothing"))
            .unwrap_or_else(|| panic!("the session is gone"))
    }

    /// Ends the bridge and gives everything else the model got.
    async fn finish(mut self) -> Vec<Sent> {
        drop(self.model);
        drop(self._twilio);
        let _ = self.bridge.await;
        let mut rest = Vec::new();
        while let Ok(sent) = self.sent.try_recv() {
            rest.push(sent);
        }
        rest
    }
}

fn tool_call(id: &str) -> RealtimeEvent {
    RealtimeEvent::ToolCall(ToolCall {
        id: id.to_owned(),
        name: "check_availability".to_owned(),
        arguments: "{}".to_owned(),
    })
}

fn done() -> RealtimeEvent {
    RealtimeEvent::ResponseDone { status: ResponseStatus::Completed, usage: RealtimeUsage::default() }
}

fn is_respond(sent: &Sent) -> bool {
    matches!(sent, Sent::Respond(_))
}

#[tokio::test(start_paused = true)]
async fn a_slow_tool_gets_exactly_one_filler_before_its_result() {
    let mut call = FillerCall::started(Duration::from_secs(4)).await;
    call.model_sends(RealtimeEvent::ResponseStarted).await;
    call.model_sends(tool_call("call_1")).await;
    let called = Instant::now();
    call.model_sends(done()).await;
    assert_eq!(call.model_got().await, Sent::Respond(Some(FILLER_INSTRUCTIONS.to_owned())));
    assert_eq!(called.elapsed(), FILLER_AFTER, "the filler is asked for once the tool has run 700 ms");
    // The filler's answer is spoken and ends before the result is ready.
    call.model_sends(RealtimeEvent::ResponseStarted).await;
    call.model_sends(done()).await;
    let result = call.model_got().await;
    assert_eq!(
        result,
        Sent::ToolResult {
            call_id: "call_1".to_owned(),
            output: json!({"tool": "check_availability", "slots": ["10:00"]})
        }
    );
    assert_eq!(called.elapsed(), Duration::from_secs(4), "the result goes as soon as the tool returns");
    let rest = call.finish().await;
    assert!(!rest.iter().any(is_respond), "one filler only: {rest:?}");
}

#[tokio::test(start_paused = true)]
async fn a_result_waits_for_a_filler_still_being_spoken() {
    let mut call = FillerCall::started(Duration::from_secs(1)).await;
    call.model_sends(tool_call("call_1")).await;
    let called = Instant::now();
    assert_eq!(call.model_got().await, Sent::Respond(Some(FILLER_INSTRUCTIONS.to_owned())));
    call.model_sends(RealtimeEvent::ResponseStarted).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(call.sent.try_recv().is_err(), "no result while the filler is spoken");
    call.model_sends(done()).await;
    assert!(matches!(call.model_got().await, Sent::ToolResult { .. }));
    assert_eq!(called.elapsed(), FILLER_AFTER + Duration::from_secs(2), "the result went when the filler ended");
    assert!(!call.finish().await.iter().any(is_respond));
}

#[tokio::test(start_paused = true)]
async fn a_fast_tool_gets_no_filler() {
    let mut call = FillerCall::started(Duration::from_millis(300)).await;
    call.model_sends(tool_call("call_1")).await;
    assert!(matches!(call.model_got().await, Sent::ToolResult { .. }), "the result, no filler first");
    tokio::time::sleep(Duration::from_secs(5)).await;
    let rest = call.finish().await;
    assert!(!rest.iter().any(is_respond), "{rest:?}");
}

#[tokio::test(start_paused = true)]
async fn no_filler_while_the_model_is_answering() {
    let mut call = FillerCall::started(Duration::from_secs(2)).await;
    call.model_sends(RealtimeEvent::ResponseStarted).await;
    call.model_sends(tool_call("call_1")).await;
    // The answer goes on past the filler's moment.
    assert!(matches!(call.model_got().await, Sent::ToolResult { .. }), "the result, no filler first");
    call.model_sends(done()).await;
    let rest = call.finish().await;
    assert!(!rest.iter().any(is_respond), "{rest:?}");
}
