//! A fake OpenAI-compatible Chat Completions server for `bench-model`.
//!
//! `POST /v1/chat/completions` answers every request after a fixed delay
//! with one tool call that books a slot the benchmark handed it. Asked to
//! stream (`"stream": true`, what the gateway's adapter asks for), it sends
//! the server-sent events OpenAI sends: `chat.completion.chunk`s with the
//! role, the tool call's name, its arguments in pieces, the finish reason,
//! then the usage chunk and `[DONE]`; otherwise one `chat.completion`
//! object, one choice whose message holds `tool_calls`,
//! `finish_reason: "tool_calls"`, and `usage`.
//! It counts what it is asked, so the benchmark can check that every model
//! turn it meant to cause reached the model, and how many waited at once.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

use crate::client::Failure;

/// The service the fake model books, as a caller would name it.
const BOOKED_SERVICE: &str = "Haircut";
/// What the reply names when the request names no model.
const DEFAULT_MODEL: &str = "gpt-5.6-luna";

/// The booking tool the model calls and its arguments: the one place to
/// change when the dialogue's booking tool changes (and, if the dialogue it
/// leads into changes, `loadtest::CallScript::BookingThroughModel` with it:
/// today the rules offer the first opening from `after`, the caller says
/// yes, gives the name and says yes to the read-back).
pub fn booking_tool_call(slot: &Slot) -> (&'static str, Value) {
    ("check_availability", json!({"service": BOOKED_SERVICE, "date": slot.date, "after": slot.time, "before": null}))
}

/// What the model resolves the caller's words to, in the shop's zone: a
/// free start, or only its day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    /// YYYY-MM-DD.
    pub date: String,
    /// HH:MM, 24 hours: the time to start from; `None` leaves the whole
    /// day.
    pub time: Option<String>,
}

impl Slot {
    /// From an RFC 3339 start in the shop's offset, as the availability API
    /// gives it.
    pub fn from_start(start: &str) -> Option<Slot> {
        let start = chrono::DateTime::parse_from_rfc3339(start).ok()?;
        Some(Slot { date: start.format("%Y-%m-%d").to_string(), time: Some(start.format("%H:%M").to_string()) })
    }

    /// The day of `start` only.
    pub fn day_of(start: &str) -> Option<Slot> {
        Slot::from_start(start).map(|slot| Slot { time: None, ..slot })
    }
}

/// Which slot each request books.
#[derive(Debug, Default)]
enum Slots {
    /// None handed over: every request fails (HTTP 500).
    #[default]
    Nothing,
    /// Each request takes the next one; none left is a failure.
    InOrder(VecDeque<Slot>),
    /// Every request the same one (a day without a time: nothing is held).
    Always(Slot),
}

#[derive(Debug, Default)]
struct FakeState {
    delay_ms: AtomicU64,
    chat_requests: AtomicU64,
    other_requests: AtomicU64,
    without_the_tool: AtomicU64,
    out_of_slots: AtomicU64,
    in_flight: AtomicU64,
    peak_in_flight: AtomicU64,
    slots: Mutex<Slots>,
    /// The tools the last request offered (for an error that says why).
    offered: Mutex<Vec<String>>,
}

impl FakeState {
    fn slots(&self) -> MutexGuard<'_, Slots> {
        self.slots.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// What the fake has been asked so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FakeCounts {
    /// Chat completion requests, answered or not.
    pub chat_requests: u64,
    /// Requests for anything else (embeddings, another path): none expected.
    pub other_requests: u64,
    /// Chat requests whose tools did not include the booking tool.
    pub without_the_tool: u64,
    /// Chat requests that found no slot to book.
    pub out_of_slots: u64,
    /// The most chat requests waiting for their answer at once.
    pub peak_in_flight: u64,
}

/// The running fake; stopped when dropped.
pub struct FakeOpenAi {
    address: SocketAddr,
    state: Arc<FakeState>,
    server: tokio::task::JoinHandle<()>,
}

impl FakeOpenAi {
    /// Listens on 127.0.0.1 on a free port, answering at once.
    pub async fn start() -> Result<FakeOpenAi, Failure> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| Failure::Usage(format!("error: the fake model cannot listen: {e}")))?;
        let address =
            listener.local_addr().map_err(|e| Failure::Usage(format!("error: the fake model's address: {e}")))?;
        let state = Arc::new(FakeState::default());
        let app = Router::new()
            .route("/v1/chat/completions", post(chat_completions))
            .fallback(anything_else)
            .with_state(state.clone());
        let server = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                eprintln!("the fake model stopped: {error}");
            }
        });
        Ok(FakeOpenAi { address, state, server })
    }

    /// `FRONTDESK_OPENAI_BASE_URL` for it (the API version included).
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.address)
    }

    /// The gateway's environment that makes this its language model.
    pub fn gateway_env(&self) -> Vec<(&'static str, String)> {
        vec![("FRONTDESK_OPENAI_API_KEY", "sk-bench-fake".to_owned()), ("FRONTDESK_OPENAI_BASE_URL", self.base_url())]
    }

    /// How long each answer takes from now on.
    pub fn set_delay(&self, delay: Duration) {
        self.state.delay_ms.store(delay.as_millis() as u64, Ordering::Relaxed);
    }

    /// Requests from now on book these, one each, in order.
    pub fn book_in_order(&self, slots: Vec<Slot>) {
        *self.state.slots() = Slots::InOrder(slots.into());
    }

    /// Requests from now on all name this slot (a day only, or calls that
    /// will never book it: a time would be held by the first).
    pub fn book_always(&self, slot: Slot) {
        *self.state.slots() = Slots::Always(slot);
    }

    /// Chat requests waiting for their answer now.
    pub fn in_flight(&self) -> u64 {
        self.state.in_flight.load(Ordering::Relaxed)
    }

    pub fn counts(&self) -> FakeCounts {
        let count = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        FakeCounts {
            chat_requests: count(&self.state.chat_requests),
            other_requests: count(&self.state.other_requests),
            without_the_tool: count(&self.state.without_the_tool),
            out_of_slots: count(&self.state.out_of_slots),
            peak_in_flight: count(&self.state.peak_in_flight),
        }
    }

    /// The tools the last chat request offered.
    pub fn last_offered_tools(&self) -> Vec<String> {
        self.state.offered.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }
}

impl Drop for FakeOpenAi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Counts a request as waiting until its answer is sent or the gateway
/// gives up on it (the handler is dropped).
struct Waiting<'a>(&'a FakeState);

impl<'a> Waiting<'a> {
    fn begin(state: &'a FakeState) -> Waiting<'a> {
        let now = state.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
        state.peak_in_flight.fetch_max(now, Ordering::Relaxed);
        Waiting(state)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

async fn chat_completions(State(state): State<Arc<FakeState>>, body: Bytes) -> Response {
    let number = state.chat_requests.fetch_add(1, Ordering::Relaxed) + 1;
    let _waiting = Waiting::begin(&state);
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let slot = {
        let mut slots = state.slots();
        match &mut *slots {
            Slots::Nothing => None,
            Slots::InOrder(queue) => queue.pop_front(),
            Slots::Always(slot) => Some(slot.clone()),
        }
    };
    let delay = Duration::from_millis(state.delay_ms.load(Ordering::Relaxed));
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let Some(slot) = slot else {
        state.out_of_slots.fetch_add(1, Ordering::Relaxed);
        return openai_error(StatusCode::INTERNAL_SERVER_ERROR, "the fake model has no slot left to book");
    };
    let (tool, arguments) = booking_tool_call(&slot);
    let offered = offered_tools(&request);
    if !offered.iter().any(|name| name == tool) {
        state.without_the_tool.fetch_add(1, Ordering::Relaxed);
    }
    *state.offered.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = offered;
    let model = request["model"].as_str().unwrap_or(DEFAULT_MODEL);
    // About four bytes of JSON per token; OpenAI caches prompts from 1,024
    // tokens on, in steps of 128.
    let prompt_tokens = (body.len() / 4) as u64;
    let cached_tokens = if prompt_tokens >= 1024 { prompt_tokens / 128 * 128 } else { 0 };
    let reply = completion(number, model, tool, &arguments, prompt_tokens, cached_tokens);
    if request["stream"].as_bool() == Some(true) {
        return ([(header::CONTENT_TYPE, "text/event-stream")], streamed(&reply)).into_response();
    }
    ([(header::CONTENT_TYPE, "application/json")], reply.to_string()).into_response()
}

/// `completion` as OpenAI streams it: the role and the tool call's id and
/// name, its arguments in three pieces, the finish reason, the usage chunk
/// (`stream_options.include_usage`), `[DONE]`.
fn streamed(completion: &Value) -> String {
    let event = |choices: Value, usage: Value| {
        let chunk = json!({
            "id": completion["id"], "object": "chat.completion.chunk", "created": completion["created"],
            "model": completion["model"], "system_fingerprint": null, "choices": choices, "usage": usage,
        });
        format!("data: {chunk}\n\n")
    };
    let delta = |delta: Value, finish: Value| {
        event(json!([{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]), Value::Null)
    };
    let call = &completion["choices"][0]["message"]["tool_calls"][0];
    let arguments = call["function"]["arguments"].as_str().unwrap_or_default();
    let mut body = delta(
        json!({"role": "assistant", "content": null, "tool_calls": [{"index": 0, "id": call["id"], "type": "function",
            "function": {"name": call["function"]["name"], "arguments": ""}}]}),
        Value::Null,
    );
    let third = arguments.len().div_ceil(3).max(1);
    let mut rest = arguments;
    while !rest.is_empty() {
        let mut cut = third.min(rest.len());
        while !rest.is_char_boundary(cut) {
            cut += 1;
        }
        let (piece, after) = rest.split_at(cut);
        body += &delta(json!({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}), Value::Null);
        rest = after;
    }
    body += &delta(json!({}), json!("tool_calls"));
    body += &event(json!([]), completion["usage"].clone());
    body + "data: [DONE]\n\n"
}

/// The names of the function tools a chat request offers.
fn offered_tools(request: &Value) -> Vec<String> {
    request["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|tool| tool["function"]["name"].as_str().map(str::to_owned))
        .collect()
}

/// A whole (non-streamed) chat completion holding one tool call, as OpenAI
/// sends it: the arguments are a string of JSON.
fn completion(
    number: u64,
    model: &str,
    tool: &str,
    arguments: &Value,
    prompt_tokens: u64,
    cached_tokens: u64,
) -> Value {
    let completion_tokens = 24;
    json!({
        "id": format!("chatcmpl-bench{number:08}"),
        "object": "chat.completion",
        "created": chrono::Utc::now().timestamp(),
        "model": model,
        "choices": [{
            "index": 0,
            "message": {
                "role": "assistant",
                "content": null,
                "refusal": null,
                "annotations": [],
                "tool_calls": [{
                    "id": format!("call_bench{number:08}"),
                    "type": "function",
                    "function": {"name": tool, "arguments": arguments.to_string()}
                }]
            },
            "logprobs": null,
            "finish_reason": "tool_calls"
        }],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": cached_tokens, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0
            }
        },
        "service_tier": "default",
        "system_fingerprint": null
    })
}

fn openai_error(status: StatusCode, message: &str) -> Response {
    let body = json!({"error": {"message": message, "type": "server_error", "param": null, "code": null}});
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

async fn anything_else(State(state): State<Arc<FakeState>>) -> Response {
    state.other_requests.fetch_add(1, Ordering::Relaxed);
    openai_error(StatusCode::NOT_FOUND, "the fake model serves POST /v1/chat/completions only")
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use frontdesk_openai::{ChatMessage, ChatRequest, FinishReason, OpenAi, OpenAiConfig, OpenAiError, Tool};
    use serde_json::json;

    use super::{FakeOpenAi, Slot, booking_tool_call, completion};

    #[test]
    fn a_completion_has_openais_shape_with_the_arguments_as_a_string() {
        let start = "2026-12-03T14:30:00-05:00";
        let slot = Slot::from_start(start).unwrap_or_else(|| panic!("a start"));
        assert_eq!(slot, Slot { date: "2026-12-03".to_owned(), time: Some("14:30".to_owned()) });
        let day = Slot::day_of(start).unwrap_or_else(|| panic!("a start"));
        assert_eq!(booking_tool_call(&day).1["after"], serde_json::Value::Null);
        let (tool, arguments) = booking_tool_call(&slot);
        let reply = completion(7, "gpt-5.6-luna", tool, &arguments, 1200, 1152);
        assert_eq!(reply["object"], "chat.completion");
        assert_eq!(reply["choices"][0]["finish_reason"], "tool_calls");
        let call = &reply["choices"][0]["message"]["tool_calls"][0];
        assert_eq!(call["type"], "function");
        assert_eq!(call["id"], "call_bench00000007");
        let text = call["function"]["arguments"].as_str().unwrap_or_else(|| panic!("arguments are a string"));
        let parsed: serde_json::Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(parsed, json!({"service": "Haircut", "date": "2026-12-03", "after": "14:30", "before": null}));
        assert_eq!(reply["usage"]["total_tokens"], 1224);
        assert_eq!(reply["usage"]["prompt_tokens_details"]["cached_tokens"], 1152);
    }

    /// The gateway's own adapter reads the fake's reply: the tool call, its
    /// arguments, the finish reason and the usage it meters.
    #[tokio::test]
    async fn the_openai_adapter_reads_the_tool_call_and_usage() {
        let fake = FakeOpenAi::start().await.unwrap_or_else(|e| panic!("{}", e.message()));
        let slot = Slot { date: "2026-12-03".to_owned(), time: Some("14:30".to_owned()) };
        fake.book_in_order(vec![slot.clone()]);
        let config = OpenAiConfig { base_url: fake.base_url(), retries: 0, ..OpenAiConfig::new("sk-test") };
        let client = OpenAi::new(config).unwrap_or_else(|e| panic!("{e}"));
        let (tool, _) = booking_tool_call(&slot);
        let mut request = ChatRequest::new(vec![ChatMessage::user("my little guy needs a haircut")]);
        request.tools = vec![Tool::function(tool, "Books.", json!({"type": "object"}))];
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);

        let reply = client.chat(&request, deadline).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(reply.finish_reason, Some(FinishReason::ToolCalls));
        assert_eq!(reply.tool_calls.len(), 1);
        assert_eq!(reply.tool_calls[0].name, tool);
        let arguments: serde_json::Value = reply.tool_calls[0].parse_arguments().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(arguments["date"], "2026-12-03");
        let usage = reply.usage.unwrap_or_else(|| panic!("usage"));
        assert!(usage.prompt_tokens > 0);
        assert_eq!(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
        assert_eq!(usage.cached_prompt_tokens, Some(0));

        // Streamed, as the gateway's language model asks: the same call,
        // assembled from its pieces, and the same usage.
        fake.book_in_order(vec![slot.clone()]);
        let streamed = client.chat_stream(&request, deadline, |_| {}).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(streamed.finish_reason, Some(FinishReason::ToolCalls));
        assert_eq!(streamed.tool_calls.len(), 1);
        assert_eq!(streamed.tool_calls[0].name, tool);
        let again: serde_json::Value = streamed.tool_calls[0].parse_arguments().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(again, arguments, "the arguments' pieces join into the whole");
        let streamed_usage = streamed.usage.unwrap_or_else(|| panic!("the usage chunk"));
        assert!(streamed_usage.prompt_tokens > 0 && streamed_usage.completion_tokens == usage.completion_tokens);

        // No slot left: an error the adapter classifies, and counted.
        let second = client.chat(&request, deadline).await;
        assert!(matches!(second, Err(OpenAiError::Unavailable(_))), "{second:?}");
        let counts = fake.counts();
        assert_eq!((counts.chat_requests, counts.out_of_slots, counts.without_the_tool), (3, 1, 0));
        assert_eq!(fake.in_flight(), 0);
    }
}
