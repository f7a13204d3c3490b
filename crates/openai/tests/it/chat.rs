//! Chat Completions on the wire: the request body exactly as OpenAI takes
//! it, replies with text, tool calls and refusals, streams assembled from
//! their deltas, and every failure classified (retried only when it may
//! pass and no text has been handed on yet).

use std::time::Duration;

use frontdesk_openai::{
    ChatCompletion, ChatMessage, ChatRequest, ChatUsage, FinishReason, OpenAi, OpenAiConfig, OpenAiError,
    ReasoningEffort, ResponseFormat, Tool, ToolCall, ToolChoice,
};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "sk-test-not-a-real-key";
pub(crate) const TEXT_STREAM: &str = include_str!("../fixtures/chat-stream-text.sse");
pub(crate) const TOOL_CALLS_STREAM: &str = include_str!("../fixtures/chat-stream-tool-calls.sse");

fn client(server: &MockServer) -> OpenAi {
    let config = OpenAiConfig {
        base_url: format!("{}/v1", server.uri()),
        timeout: Duration::from_secs(5),
        ..OpenAiConfig::new(KEY)
    };
    OpenAi::new(config).unwrap_or_else(|e| panic!("{e}"))
}

fn soon() -> Instant {
    Instant::now() + Duration::from_secs(10)
}

fn error(status: u16, kind: &str, code: Option<&str>, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("x-request-id", "req_7f3c2a")
        .set_body_json(json!({"error": {"message": message, "type": kind, "param": null, "code": code}}))
}

/// A 200 whose body is `body`, as `text/event-stream`.
pub(crate) fn stream(body: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.as_bytes().to_vec(), "text/event-stream")
}

fn check_availability() -> Tool {
    Tool::function(
        "check_availability",
        "Free slots for a service, at most three.",
        json!({
            "type": "object",
            "properties": {
                "service": {"type": "string"},
                "date": {"type": ["string", "null"], "description": "YYYY-MM-DD"},
                "time": {"type": ["string", "null"], "description": "HH:MM"}
            },
            "required": ["service", "date", "time"],
            "additionalProperties": false
        }),
    )
}

fn booking_request() -> ChatRequest {
    ChatRequest {
        tools: vec![check_availability()],
        tool_choice: Some(ToolChoice::Auto),
        parallel_tool_calls: Some(false),
        max_completion_tokens: Some(200),
        reasoning_effort: Some(ReasoningEffort::None),
        ..ChatRequest::new(vec![
            ChatMessage::developer("You answer the phone for Fade & Co, a barber. Two sentences at most."),
            ChatMessage::user("Can I get a fade on Tuesday the 9th at 3pm?"),
        ])
    }
}

/// OpenAI's reply calling `check_availability` (the shape of protocols.md §8).
fn tool_call_reply() -> Value {
    json!({
        "id": "chatcmpl-CdQx1a2b3c4d5e6f7g8h9i0j",
        "object": "chat.completion",
        "created": 1765016100,
        "model": "gpt-5.6-luna-2026-11-20",
        "choices": [{
            "index": 0,
            "message": {
                "role": "assistant",
                "content": null,
                "tool_calls": [{
                    "id": "call_aVb1Qw7nTz",
                    "type": "function",
                    "function": {"name": "check_availability", "arguments": "{\"service\":\"fade\",\"date\":\"2026-12-09\",\"time\":\"15:00\"}"}
                }],
                "refusal": null,
                "annotations": []
            },
            "logprobs": null,
            "finish_reason": "tool_calls"
        }],
        "usage": {
            "prompt_tokens": 812, "completion_tokens": 23, "total_tokens": 835,
            "prompt_tokens_details": {"cached_tokens": 768, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}
        },
        "service_tier": "default",
        "system_fingerprint": null
    })
}

fn text_reply(content: Value, refusal: Value, finish_reason: &str) -> Value {
    json!({
        "id": "chatcmpl-CdQx9z8y7x6w5v4u3t2s1r0q",
        "object": "chat.completion",
        "created": 1765016160,
        "model": "gpt-5.6-luna-2026-11-20",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content, "refusal": refusal, "annotations": []},
            "logprobs": null,
            "finish_reason": finish_reason
        }],
        "usage": {"prompt_tokens": 930, "completion_tokens": 18, "total_tokens": 948, "prompt_tokens_details": {"cached_tokens": 0}}
    })
}

async fn sent_bodies(server: &MockServer) -> Vec<Value> {
    let requests = server.received_requests().await.unwrap_or_default();
    requests.iter().map(|r| serde_json::from_slice(&r.body).unwrap_or_default()).collect()
}

#[derive(Debug, PartialEq, Deserialize)]
struct Availability {
    service: String,
    date: Option<String>,
    time: Option<String>,
}

#[tokio::test]
async fn the_request_is_openais_and_a_tool_call_reply_is_parsed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(header("content-type", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(tool_call_reply()))
        .expect(1)
        .mount(&server)
        .await;
    let reply = client(&server).chat(&booking_request(), soon()).await.unwrap_or_else(|e| panic!("{e}"));

    assert_eq!(
        sent_bodies(&server).await,
        [json!({
            "model": "gpt-5.6-luna",
            "messages": [
                {"role": "developer", "content": "You answer the phone for Fade & Co, a barber. Two sentences at most."},
                {"role": "user", "content": "Can I get a fade on Tuesday the 9th at 3pm?"}
            ],
            "tools": [{
                "type": "function",
                "function": {
                    "name": "check_availability",
                    "description": "Free slots for a service, at most three.",
                    "parameters": {
                        "type": "object",
                        "properties": {
                            "service": {"type": "string"},
                            "date": {"type": ["string", "null"], "description": "YYYY-MM-DD"},
                            "time": {"type": ["string", "null"], "description": "HH:MM"}
                        },
                        "required": ["service", "date", "time"],
                        "additionalProperties": false
                    },
                    "strict": true
                }
            }],
            "tool_choice": "auto",
            "parallel_tool_calls": false,
            "max_completion_tokens": 200,
            "reasoning_effort": "none",
            "stream": false
        })]
    );
    assert_eq!(
        reply,
        ChatCompletion {
            id: "chatcmpl-CdQx1a2b3c4d5e6f7g8h9i0j".into(),
            model: "gpt-5.6-luna-2026-11-20".into(),
            text: None,
            refusal: None,
            tool_calls: vec![ToolCall {
                id: "call_aVb1Qw7nTz".into(),
                name: "check_availability".into(),
                arguments: r#"{"service":"fade","date":"2026-12-09","time":"15:00"}"#.into(),
            }],
            finish_reason: Some(FinishReason::ToolCalls),
            usage: Some(ChatUsage {
                prompt_tokens: 812,
                completion_tokens: 23,
                total_tokens: 835,
                cached_prompt_tokens: Some(768)
            }),
        }
    );
    let arguments: Availability = reply.tool_calls[0].parse_arguments().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        arguments,
        Availability { service: "fade".into(), date: Some("2026-12-09".into()), time: Some("15:00".into()) }
    );
    // The model's JSON is checked, never trusted.
    let garbled = ToolCall { arguments: r#"{"service": "fade""#.into(), ..reply.tool_calls[0].clone() };
    let invalid = garbled.parse_arguments::<Availability>();
    assert!(matches!(&invalid, Err(OpenAiError::Invalid(m)) if m.contains("check_availability")), "{invalid:?}");
}

#[tokio::test]
async fn the_follow_up_sends_the_calls_and_their_results_back_and_asks_for_json() {
    let server = MockServer::start().await;
    // A compatible server under another path, the model named by the request.
    let answer = json!({"say": "Tuesday at 3 pm is free. Shall I book it?", "slot": "2026-12-09T15:00"});
    Mock::given(method("POST"))
        .and(path("/api/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(text_reply(
            json!(answer.to_string()),
            Value::Null,
            "stop",
        )))
        .expect(1)
        .mount(&server)
        .await;
    let config = OpenAiConfig { base_url: format!("{}/api/v1/", server.uri()), ..OpenAiConfig::new(KEY) };
    let openai = OpenAi::new(config).unwrap_or_else(|e| panic!("{e}"));
    let first = ChatCompletion {
        id: "chatcmpl-CdQx1a2b3c4d5e6f7g8h9i0j".into(),
        model: "gpt-5.6-luna-2026-11-20".into(),
        text: None,
        refusal: None,
        tool_calls: vec![ToolCall {
            id: "call_aVb1Qw7nTz".into(),
            name: "check_availability".into(),
            arguments: r#"{"service":"fade","date":"2026-12-09","time":"15:00"}"#.into(),
        }],
        finish_reason: Some(FinishReason::ToolCalls),
        usage: None,
    };
    let schema = json!({
        "type": "object",
        "properties": {"say": {"type": "string"}, "slot": {"type": ["string", "null"]}},
        "required": ["say", "slot"],
        "additionalProperties": false
    });
    let mut request = booking_request();
    request.model = Some("llama3.1:8b".into());
    request.messages.push(first.assistant_message());
    request.messages.push(ChatMessage::tool("call_aVb1Qw7nTz", r#"{"slots":["2026-12-09T15:00"]}"#));
    request.tool_choice = Some(ToolChoice::Function("check_availability".into()));
    request.response_format = Some(ResponseFormat::json_schema("phone_reply", schema.clone()));
    request.temperature = Some(0.2);
    let reply = openai.chat(&request, soon()).await.unwrap_or_else(|e| panic!("{e}"));

    let body = &sent_bodies(&server).await[0];
    assert_eq!(body["model"], "llama3.1:8b");
    assert_eq!(
        body["messages"].as_array().map(|m| m[2..].to_vec()),
        Some(vec![
            json!({"role": "assistant", "tool_calls": [{"id": "call_aVb1Qw7nTz", "type": "function", "function": {"name": "check_availability", "arguments": "{\"service\":\"fade\",\"date\":\"2026-12-09\",\"time\":\"15:00\"}"}}]}),
            json!({"role": "tool", "tool_call_id": "call_aVb1Qw7nTz", "content": "{\"slots\":[\"2026-12-09T15:00\"]}"}),
        ])
    );
    assert_eq!(body["tool_choice"], json!({"type": "function", "function": {"name": "check_availability"}}));
    assert_eq!(
        body["response_format"],
        json!({"type": "json_schema", "json_schema": {"name": "phone_reply", "schema": schema, "strict": true}})
    );
    assert_eq!(body["temperature"], json!(0.2));
    assert_eq!(reply.finish_reason, Some(FinishReason::Stop));
    assert_eq!(reply.text.as_deref().map(serde_json::from_str::<Value>).and_then(Result::ok), Some(answer));
    assert_eq!(reply.usage.and_then(|usage| usage.cached_prompt_tokens), Some(0));
}

#[tokio::test]
async fn a_refusal_is_surfaced_not_taken_for_an_answer() {
    let server = MockServer::start().await;
    let refusal = "I'm sorry, but I can't help with that request.";
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(text_reply(Value::Null, json!(refusal), "stop")))
        .mount(&server)
        .await;
    let reply = client(&server).chat(&booking_request(), soon()).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((reply.text.as_deref(), reply.refusal.as_deref()), (None, Some(refusal)));
    assert!(reply.tool_calls.is_empty());
}

#[tokio::test]
async fn a_streamed_reply_hands_each_piece_of_text_on_and_counts_the_tokens() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(stream(TEXT_STREAM))
        .expect(1)
        .mount(&server)
        .await;
    let request = ChatRequest::new(vec![ChatMessage::user("Are you open today?")]);
    let mut pieces = Vec::new();
    let reply = client(&server)
        .chat_stream(&request, soon(), |text| pieces.push(text.to_owned()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    assert_eq!(
        sent_bodies(&server).await,
        [json!({
            "model": "gpt-5.6-luna",
            "messages": [{"role": "user", "content": "Are you open today?"}],
            "stream": true,
            "stream_options": {"include_usage": true}
        })]
    );
    assert_eq!(pieces, ["Yes,", " we're open", " until 6 pm today.", " Ça vous convient ?", " 💈"]);
    assert_eq!(reply.text, Some(pieces.concat()));
    assert_eq!(
        (reply.id.as_str(), reply.model.as_str()),
        ("chatcmpl-CdQx7Rk2mYbE9vTnW3aLsP0u", "gpt-5.6-luna-2026-11-20")
    );
    assert_eq!(reply.finish_reason, Some(FinishReason::Stop));
    assert_eq!(
        reply.usage,
        Some(ChatUsage {
            prompt_tokens: 812,
            completion_tokens: 14,
            total_tokens: 826,
            cached_prompt_tokens: Some(768)
        })
    );
}

#[tokio::test]
async fn a_streamed_reply_assembles_two_parallel_tool_calls_from_their_fragments() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(stream(TOOL_CALLS_STREAM)).expect(1).mount(&server).await;
    let request = ChatRequest { parallel_tool_calls: Some(true), ..booking_request() };
    let mut pieces = Vec::new();
    let reply = client(&server)
        .chat_stream(&request, soon(), |text| pieces.push(text.to_owned()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(pieces.is_empty(), "{pieces:?}");
    assert_eq!(reply.text, None);
    assert_eq!(reply.finish_reason, Some(FinishReason::ToolCalls));
    let calls: Vec<(&str, &str, Value)> = reply
        .tool_calls
        .iter()
        .map(|call| (call.id.as_str(), call.name.as_str(), call.parse_arguments().unwrap_or_default()))
        .collect();
    assert_eq!(
        calls,
        [
            ("call_aVb1Qw7nTz", "check_availability", json!({"service": "fade", "date": "2026-12-09", "time": null})),
            ("call_Xy2Lm9Pq4r", "answer_from_knowledge", json!({"question": "Is there parking near the café?"})),
        ]
    );
    assert_eq!(reply.usage.map(|usage| (usage.total_tokens, usage.cached_prompt_tokens)), Some((1085, Some(896))));
}

/// The first events of [`TEXT_STREAM`] (the role chunk, a keep-alive
/// comment and the first text), and the rest.
pub(crate) fn text_stream_after_its_first_text() -> (String, String) {
    let events: Vec<&str> = TEXT_STREAM.split_inclusive("\n\n").collect();
    (events[..3].concat(), events[3..].concat())
}

/// A one-request HTTP server that sends `first` of a stream at once, then
/// holds `rest` back until `release` fires (for good while its sender is
/// kept and nothing is sent on it). Returns its base URL.
pub(crate) async fn held_stream_server(
    first: String,
    rest: String,
    release: tokio::sync::oneshot::Receiver<()>,
) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
    let address = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(async move {
        let Ok((mut socket, _)) = listener.accept().await else { return };
        let mut request = Vec::new();
        let mut buffer = [0_u8; 4096];
        // Headers, then as many body bytes as Content-Length says.
        loop {
            let Ok(read) = socket.read(&mut buffer).await else { return };
            if read == 0 {
                return;
            }
            request.extend_from_slice(&buffer[..read]);
            let text = String::from_utf8_lossy(&request).to_lowercase();
            if let Some(end) = text.find("\r\n\r\n") {
                let length = text
                    .lines()
                    .find_map(|line| line.strip_prefix("content-length:"))
                    .and_then(|value| value.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                if request.len() >= end + 4 + length {
                    break;
                }
            }
        }
        let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";
        let _ = socket.write_all(format!("{head}{first}").as_bytes()).await;
        let _ = socket.flush().await;
        let _ = release.await;
        let _ = socket.write_all(rest.as_bytes()).await;
        let _ = socket.shutdown().await;
    });
    format!("http://{address}/v1")
}

#[tokio::test]
async fn text_is_handed_on_before_the_rest_of_the_stream_has_come() {
    let (release, released) = tokio::sync::oneshot::channel();
    let (first, rest) = text_stream_after_its_first_text();
    let base_url = held_stream_server(first, rest, released).await;
    let openai = OpenAi::new(OpenAiConfig { base_url, ..OpenAiConfig::new(KEY) }).unwrap_or_else(|e| panic!("{e}"));
    let mut release = Some(release);
    let mut pieces = Vec::new();
    let request = ChatRequest::new(vec![ChatMessage::user("Are you open today?")]);
    // The server sends the rest only once the first piece is in our hands:
    // a client that waited for the whole body would wait out the deadline.
    let reply = openai
        .chat_stream(&request, Instant::now() + Duration::from_secs(5), |text| {
            pieces.push(text.to_owned());
            if let Some(release) = release.take() {
                let _ = release.send(());
            }
        })
        .await;
    assert_eq!(reply.map(|reply| reply.text), Ok(Some(pieces.concat())));
    assert_eq!(pieces.len(), 5);
}

#[tokio::test]
async fn a_rate_limit_is_waited_out_as_asked_and_retried() {
    for streamed in [false, true] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(
                error(429, "requests", Some("rate_limit_exceeded"), "Rate limit reached for gpt-5.6-luna on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in 1s.")
                    .insert_header("retry-after-ms", "1000"),
            )
            .up_to_n_times(1)
            .expect(1)
            .mount(&server)
            .await;
        let reply =
            if streamed { stream(TEXT_STREAM) } else { ResponseTemplate::new(200).set_body_json(tool_call_reply()) };
        Mock::given(method("POST")).respond_with(reply).expect(1).mount(&server).await;
        let openai = client(&server);
        let started = Instant::now();
        let reply = if streamed {
            openai.chat_stream(&booking_request(), soon(), |_| {}).await
        } else {
            openai.chat(&booking_request(), soon()).await
        };
        let waited = started.elapsed();
        assert!(reply.is_ok(), "{reply:?}");
        // A second as asked, not the backoff's half a second at most.
        assert!(waited >= Duration::from_secs(1), "{waited:?}");
    }
}

#[tokio::test]
async fn no_quota_is_never_retried() {
    for streamed in [false, true] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(error(
                429,
                "insufficient_quota",
                Some("insufficient_quota"),
                "You exceeded your current quota, please check your plan and billing details.",
            ))
            .expect(1)
            .mount(&server)
            .await;
        let openai = client(&server);
        let reply = if streamed {
            openai.chat_stream(&booking_request(), soon(), |_| {}).await
        } else {
            openai.chat(&booking_request(), soon()).await
        };
        assert!(matches!(&reply, Err(OpenAiError::Quota(m)) if m.contains("current quota")), "{reply:?}");
    }
}

#[tokio::test]
async fn a_server_error_is_retried_then_given_up_as_unavailable() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(error(
            500,
            "server_error",
            None,
            "The server had an error while processing your request. Sorry about that!",
        ))
        .expect(3)
        .mount(&server)
        .await;
    let reply = client(&server).chat(&booking_request(), soon()).await;
    assert!(
        matches!(&reply, Err(OpenAiError::Unavailable(m)) if m.contains("Sorry about that") && m.contains("HTTP 500")),
        "{reply:?}"
    );
}

#[tokio::test]
async fn a_bad_request_is_not_retried_and_says_what_is_wrong() {
    let message = "Invalid schema for function 'check_availability': In context=(), 'required' is required to be supplied and to be an array including every key in properties. Missing 'time'.";
    let cases = [
        (400, "invalid_request_error", Some("invalid_function_parameters"), message),
        (401, "invalid_request_error", Some("invalid_api_key"), "Incorrect API key provided: sk-test-***-key."),
        (
            403,
            "invalid_request_error",
            Some("unsupported_country_region_territory"),
            "Country, region, or territory not supported",
        ),
        (
            404,
            "invalid_request_error",
            Some("model_not_found"),
            "The model `gpt-9` does not exist or you do not have access to it.",
        ),
    ];
    for (status, kind, code, message) in cases {
        let server = MockServer::start().await;
        Mock::given(method("POST")).respond_with(error(status, kind, code, message)).expect(2).mount(&server).await;
        let openai = client(&server);
        let whole = openai.chat(&booking_request(), soon()).await;
        let streamed = openai.chat_stream(&booking_request(), soon(), |_| {}).await;
        for reply in [whole, streamed] {
            assert!(
                matches!(&reply, Err(OpenAiError::Refused(m)) if m.contains(message) && m.contains(&format!("HTTP {status}"))),
                "{status}: {reply:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_stream_that_ends_without_done_is_an_error() {
    let server = MockServer::start().await;
    let cut = TEXT_STREAM.replace("data: [DONE]\n\n", "");
    Mock::given(method("POST")).respond_with(stream(&cut)).expect(1).mount(&server).await;
    let mut pieces = Vec::new();
    let reply = client(&server).chat_stream(&booking_request(), soon(), |text| pieces.push(text.to_owned())).await;
    assert!(matches!(&reply, Err(OpenAiError::Unavailable(m)) if m.contains("[DONE]")), "{reply:?}");
    // The caller already has the text: not asked again (one request).
    assert_eq!(pieces.len(), 5);
}

#[tokio::test]
async fn a_stream_cut_before_any_text_is_handed_on_is_retried() {
    let server = MockServer::start().await;
    let half = &TOOL_CALLS_STREAM[..TOOL_CALLS_STREAM.len() / 2];
    Mock::given(method("POST")).respond_with(stream(half)).up_to_n_times(1).expect(1).mount(&server).await;
    Mock::given(method("POST")).respond_with(stream(TOOL_CALLS_STREAM)).expect(1).mount(&server).await;
    let reply = client(&server).chat_stream(&booking_request(), soon(), |_| {}).await;
    let names: Vec<String> =
        reply.map(|r| r.tool_calls.into_iter().map(|call| call.name).collect()).unwrap_or_default();
    assert_eq!(names, ["check_availability", "answer_from_knowledge"]);
}

#[tokio::test]
async fn an_error_object_mid_stream_is_an_error() {
    let server = MockServer::start().await;
    // The role chunk, a keep-alive comment, the first text, then the error.
    let through_first_text = TEXT_STREAM.split_inclusive("\n\n").take(3).collect::<String>();
    let body = format!(
        "{through_first_text}data: {}\n\n",
        json!({"error": {"message": "The server had an error while processing your request. Sorry about that!", "type": "server_error", "param": null, "code": null}})
    );
    Mock::given(method("POST")).respond_with(stream(&body)).expect(1).mount(&server).await;
    let mut pieces = Vec::new();
    let reply = client(&server).chat_stream(&booking_request(), soon(), |text| pieces.push(text.to_owned())).await;
    assert!(matches!(&reply, Err(OpenAiError::Unavailable(m)) if m.contains("Sorry about that")), "{reply:?}");
    assert_eq!(pieces, ["Yes,"]);

    // Before any text, a passing error is tried again; a refusal is not.
    let server = MockServer::start().await;
    let rate_limited =
        json!({"error": {"message": "Rate limit reached", "type": "tokens", "code": "rate_limit_exceeded"}});
    Mock::given(method("POST"))
        .respond_with(stream(&format!("data: {rate_limited}\n\n")))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST")).respond_with(stream(TEXT_STREAM)).expect(1).mount(&server).await;
    let reply = client(&server).chat_stream(&booking_request(), soon(), |_| {}).await;
    assert_eq!(reply.map(|reply| reply.finish_reason), Ok(Some(FinishReason::Stop)));

    let server = MockServer::start().await;
    let too_long = json!({"error": {"message": "This model's maximum context length is 128000 tokens.", "type": "invalid_request_error", "code": "context_length_exceeded"}});
    Mock::given(method("POST")).respond_with(stream(&format!("data: {too_long}\n\n"))).expect(1).mount(&server).await;
    let reply = client(&server).chat_stream(&booking_request(), soon(), |_| {}).await;
    assert!(matches!(&reply, Err(OpenAiError::Refused(m)) if m.contains("maximum context length")), "{reply:?}");
}

#[tokio::test]
async fn the_deadline_bounds_the_whole_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(stream(TEXT_STREAM).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let openai = client(&server);
    for streamed in [false, true] {
        let started = Instant::now();
        let deadline = started + Duration::from_millis(300);
        let reply = if streamed {
            openai.chat_stream(&booking_request(), deadline, |_| {}).await
        } else {
            openai.chat(&booking_request(), deadline).await
        };
        assert!(matches!(&reply, Err(OpenAiError::Unavailable(m)) if m.contains("deadline")), "{reply:?}");
        assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
    }

    // A wait the provider asks for that would pass the deadline is not waited.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            error(429, "tokens", Some("rate_limit_exceeded"), "Rate limit reached").insert_header("retry-after", "5"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let started = Instant::now();
    let reply = client(&server).chat(&booking_request(), started + Duration::from_secs(2)).await;
    assert!(matches!(reply, Err(OpenAiError::RateLimited(_))), "{reply:?}");
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
}

#[tokio::test]
async fn the_key_never_shows_in_debug_output_or_errors() {
    let config = OpenAiConfig::new(KEY);
    let debug = format!("{config:?}");
    assert!(!debug.contains(KEY) && debug.contains("gpt-5.6-luna"), "{debug}");

    // A careless compatible server echoes the whole key back.
    let server = MockServer::start().await;
    let echo = format!(
        "Incorrect API key provided: {KEY}. You can find your API key at https://platform.openai.com/account/api-keys."
    );
    Mock::given(method("POST"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(error(401, "invalid_request_error", Some("invalid_api_key"), &echo))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    let mid_stream =
        json!({"error": {"message": format!("bad key {KEY}"), "type": "authentication_error", "code": null}});
    Mock::given(method("POST")).respond_with(stream(&format!("data: {mid_stream}\n\n"))).expect(1).mount(&server).await;
    let openai = client(&server);
    let debug = format!("{openai:?}");
    assert!(!debug.contains(KEY), "{debug}");
    let whole = openai.chat(&booking_request(), soon()).await;
    let streamed = openai.chat_stream(&booking_request(), soon(), |_| {}).await;
    for reply in [whole, streamed] {
        let Err(error) = reply else { panic!("an error expected: {reply:?}") };
        for shown in [error.to_string(), format!("{error:?}")] {
            assert!(!shown.contains(KEY) && shown.contains("[redacted]"), "{shown}");
        }
    }
}
