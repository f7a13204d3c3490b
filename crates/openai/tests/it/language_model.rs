//! The domain's `LanguageModel` port over streamed Chat Completions: what
//! goes on the wire for a conversation with tools, the reply assembled from
//! real event streams (text deltas, tool calls whose arguments come in
//! pieces, the usage chunk), and every failure as the port's error kind.

use std::time::Duration;

use frontdesk_llm::{LanguageModel, ModelError, ModelReply, ModelRequest, ModelTurn, ModelUsage, ToolCall, ToolSpec};
use frontdesk_openai::{OpenAi, OpenAiConfig};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::chat::{TEXT_STREAM, TOOL_CALLS_STREAM, held_stream_server, stream, text_stream_after_its_first_text};

const KEY: &str = "sk-test-not-a-real-key";

fn model_at(base_url: String, chat_model: &str) -> OpenAi {
    let config = OpenAiConfig { base_url, chat_model: chat_model.to_owned(), ..OpenAiConfig::new(KEY) };
    OpenAi::new(config).unwrap_or_else(|e| panic!("{e}"))
}

fn model(server: &MockServer, chat_model: &str) -> OpenAi {
    model_at(format!("{}/v1", server.uri()), chat_model)
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

fn request() -> ModelRequest {
    ModelRequest {
        instructions: "You answer the phone for Fresh Cuts.".to_owned(),
        turns: vec![
            ModelTurn::Receptionist("Thanks for calling Fresh Cuts. How can I help?".to_owned()),
            ModelTurn::Caller("my son needs a trim before school on friday".to_owned()),
            ModelTurn::ToolCalls(vec![ToolCall {
                id: "call_1".to_owned(),
                name: "transfer_to_human".to_owned(),
                arguments: r#"{"reason":"unsure"}"#.to_owned(),
            }]),
            ModelTurn::ToolResult { call_id: "call_1".to_owned(), content: r#"{"error":"not now"}"#.to_owned() },
        ],
        tools: vec![transfer_tool()],
        deadline: Duration::from_secs(3),
        max_output_tokens: 150,
    }
}

/// One `chat.completion.chunk` event, as OpenAI streams it.
fn chunk(choices: Value, usage: Value) -> String {
    let chunk = json!({
        "id": "chatcmpl-m2", "object": "chat.completion.chunk", "created": 1_765_000_000,
        "model": "gpt-5.6-luna-2026-11-20", "system_fingerprint": null,
        "choices": choices, "usage": usage
    });
    format!("data: {chunk}\n\n")
}

/// A delta of the first choice.
fn delta(delta: Value, finish_reason: Value) -> String {
    chunk(json!([{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish_reason}]), Value::Null)
}

/// The usage chunk `stream_options.include_usage` asks for.
fn usage_chunk(prompt: u64, cached: u64, completion: u64) -> String {
    let usage = json!({"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0}});
    chunk(json!([]), usage)
}

/// A stream calling `transfer_to_human`, its arguments in three pieces;
/// with the finish reason or not, with the usage chunk or not.
fn transfer_stream(finish: bool, usage: bool) -> String {
    let mut body = delta(
        json!({"role": "assistant", "content": null, "tool_calls": [{"index": 0, "id": "call_2", "type": "function",
            "function": {"name": "transfer_to_human", "arguments": ""}}]}),
        Value::Null,
    );
    for piece in [r#"{"rea"#, r#"son":"wants "#, r#"the owner"}"#] {
        body += &delta(json!({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}), Value::Null);
    }
    if finish {
        body += &delta(json!({}), json!("tool_calls"));
    }
    if usage {
        body += &usage_chunk(812, 768, 23);
    }
    body + "data: [DONE]\n\n"
}

fn chat_completions() -> wiremock::MockBuilder {
    Mock::given(method("POST")).and(path("/v1/chat/completions"))
}

async fn sent_bodies(server: &MockServer) -> Vec<Value> {
    let requests = server.received_requests().await.unwrap_or_default();
    requests.iter().map(|request| request.body_json().unwrap_or_default()).collect()
}

fn transfer_call() -> ToolCall {
    ToolCall {
        id: "call_2".to_owned(),
        name: "transfer_to_human".to_owned(),
        arguments: r#"{"reason":"wants the owner"}"#.to_owned(),
    }
}

#[tokio::test]
async fn a_conversation_with_tools_is_streamed_and_its_tool_call_and_tokens_come_back() {
    let server = MockServer::start().await;
    chat_completions().respond_with(stream(&transfer_stream(true, true))).expect(1).mount(&server).await;
    let luna = model(&server, "gpt-5.6-luna");
    assert_eq!(LanguageModel::model_id(&luna), "gpt-5.6-luna");
    let reply = luna.respond(&request()).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        reply,
        ModelReply {
            text: None,
            tool_calls: vec![transfer_call()],
            usage: ModelUsage { input_tokens: 812, cached_input_tokens: 768, output_tokens: 23 }
        }
    );

    let sent = &sent_bodies(&server).await[0];
    assert_eq!(sent["model"], "gpt-5.6-luna");
    assert_eq!(sent["stream"], true);
    assert_eq!(sent["stream_options"], json!({"include_usage": true}));
    assert_eq!(sent["messages"][0], json!({"role": "developer", "content": "You answer the phone for Fresh Cuts."}));
    assert_eq!(sent["messages"][1]["role"], "assistant");
    assert_eq!(sent["messages"][2], json!({"role": "user", "content": "my son needs a trim before school on friday"}));
    assert_eq!(sent["messages"][3]["tool_calls"][0]["function"]["name"], "transfer_to_human");
    assert_eq!(
        sent["messages"][4],
        json!({"role": "tool", "tool_call_id": "call_1", "content": "{\"error\":\"not now\"}"})
    );
    assert_eq!(sent["tools"][0]["function"]["strict"], true);
    assert_eq!(sent["parallel_tool_calls"], false);
    assert_eq!(sent["max_completion_tokens"], 150);
    assert_eq!(sent["reasoning_effort"], "none", "a GPT-5.x model is told not to reason");
}

#[tokio::test]
async fn a_streamed_text_reply_is_assembled_from_its_deltas_with_the_usage_chunk() {
    let server = MockServer::start().await;
    chat_completions().respond_with(stream(TEXT_STREAM)).expect(1).mount(&server).await;
    let reply = model(&server, "gpt-5.6-luna").respond(&request()).await;
    assert_eq!(
        reply,
        Ok(ModelReply {
            text: Some("Yes, we're open until 6 pm today. Ça vous convient ? 💈".to_owned()),
            tool_calls: Vec::new(),
            usage: ModelUsage { input_tokens: 812, cached_input_tokens: 768, output_tokens: 14 }
        })
    );
}

#[tokio::test]
async fn two_parallel_tool_calls_come_back_whole_though_their_arguments_came_in_pieces() {
    // The request asks for one call at a time; a server that sends two
    // anyway has both assembled (the domain takes the first).
    let server = MockServer::start().await;
    chat_completions().respond_with(stream(TOOL_CALLS_STREAM)).expect(1).mount(&server).await;
    let reply = model(&server, "gpt-5.6-luna").respond(&request()).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(reply.text, None);
    assert_eq!(
        reply.tool_calls,
        [
            ToolCall {
                id: "call_aVb1Qw7nTz".to_owned(),
                name: "check_availability".to_owned(),
                arguments: r#"{"service": "fade", "date": "2026-12-09", "time": null}"#.to_owned(),
            },
            ToolCall {
                id: "call_Xy2Lm9Pq4r".to_owned(),
                name: "answer_from_knowledge".to_owned(),
                arguments: r#"{"question": "Is there parking near the café?"}"#.to_owned(),
            },
        ]
    );
    assert_eq!(reply.usage, ModelUsage { input_tokens: 1024, cached_input_tokens: 896, output_tokens: 61 });
}

#[tokio::test]
async fn an_older_model_is_not_sent_reasoning_and_refusals_and_spent_quota_are_refused() {
    let server = MockServer::start().await;
    let refusal = delta(json!({"role": "assistant", "content": null, "refusal": ""}), Value::Null)
        + &delta(json!({"refusal": "I can't help "}), Value::Null)
        + &delta(json!({"refusal": "with that."}), Value::Null)
        + &delta(json!({}), json!("stop"))
        + &usage_chunk(10, 0, 5)
        + "data: [DONE]\n\n";
    chat_completions().respond_with(stream(&refusal)).up_to_n_times(1).mount(&server).await;
    chat_completions()
        .respond_with(ResponseTemplate::new(429).set_body_json(json!({"error": {
            "message": "You exceeded your current quota.", "type": "insufficient_quota",
            "param": null, "code": "insufficient_quota"}})))
        .mount(&server)
        .await;
    let mini = model(&server, "gpt-4o-mini");
    let refused = mini.respond(&request()).await;
    assert_eq!(refused, Err(ModelError::Refused("I can't help with that.".to_owned())));
    let sent = &sent_bodies(&server).await[0];
    assert!(sent.get("reasoning_effort").is_none(), "{sent}");
    let quota = mini.respond(&request()).await;
    assert!(matches!(&quota, Err(ModelError::Refused(m)) if m.contains("quota")), "{quota:?}");
    assert_eq!(sent_bodies(&server).await.len(), 2, "a spent quota is not asked again");
}

#[tokio::test]
async fn a_rate_limit_or_a_server_error_before_the_stream_is_retried_then_unavailable() {
    for (status, kind, code, message) in [
        (429, "requests", Some("rate_limit_exceeded"), "Rate limit reached for gpt-5.6-luna on requests per min (RPM)"),
        (500, "server_error", None, "The server had an error while processing your request. Sorry about that!"),
    ] {
        let server = MockServer::start().await;
        chat_completions()
            .respond_with(
                ResponseTemplate::new(status)
                    .insert_header("retry-after-ms", "20")
                    .set_body_json(json!({"error": {"message": message, "type": kind, "param": null, "code": code}})),
            )
            .expect(3)
            .mount(&server)
            .await;
        let reply = model(&server, "gpt-5.6-luna").respond(&request()).await;
        assert!(
            matches!(&reply, Err(ModelError::Unavailable(m)) if m.contains(message) && m.contains(&format!("HTTP {status}"))),
            "{status}: {reply:?}"
        );
    }

    // Once the limit has passed, the retry's stream is the answer.
    let server = MockServer::start().await;
    chat_completions()
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after-ms", "20").set_body_json(
            json!({"error": {"message": "Rate limit reached", "type": "tokens", "code": "rate_limit_exceeded"}}),
        ))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    chat_completions().respond_with(stream(&transfer_stream(true, true))).expect(1).mount(&server).await;
    let reply = model(&server, "gpt-5.6-luna").respond(&request()).await;
    assert_eq!(reply.map(|reply| reply.tool_calls), Ok(vec![transfer_call()]));
}

#[tokio::test]
async fn a_stream_cut_in_the_middle_is_unavailable() {
    let server = MockServer::start().await;
    // The first text, then half of the next chunk, and the connection ends.
    let (first, rest) = text_stream_after_its_first_text();
    let cut = format!("{first}{}", &rest[..rest.len() / 4]);
    chat_completions().respond_with(stream(&cut)).expect(1).mount(&server).await;
    let reply = model(&server, "gpt-5.6-luna").respond(&request()).await;
    assert!(matches!(&reply, Err(ModelError::Unavailable(m)) if m.contains("[DONE]")), "{reply:?}");
}

#[tokio::test]
async fn done_without_a_finish_reason_is_an_answer_cut_short() {
    let server = MockServer::start().await;
    // No text came, so it is asked again (twice), and never finishes.
    chat_completions().respond_with(stream(&transfer_stream(false, true))).expect(3).mount(&server).await;
    let reply = model(&server, "gpt-5.6-luna").respond(&request()).await;
    assert!(matches!(&reply, Err(ModelError::Unavailable(m)) if m.contains("finish reason")), "{reply:?}");
}

#[tokio::test]
async fn a_slow_model_is_given_up_at_the_requests_deadline_before_or_during_the_stream() {
    // Nothing before the deadline.
    let server = MockServer::start().await;
    chat_completions()
        .respond_with(stream(&transfer_stream(true, true)).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let luna = model(&server, "gpt-5.6-luna");
    let started = std::time::Instant::now();
    let late = luna.respond(&ModelRequest { deadline: Duration::from_millis(200), ..request() }).await;
    assert!(matches!(&late, Err(ModelError::Unavailable(m)) if m.contains("deadline")), "{late:?}");
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());

    // The stream starts, then stalls between two chunks: the deadline is
    // the whole reply's, not the first byte's.
    let (_hold, held) = tokio::sync::oneshot::channel();
    let (first, rest) = text_stream_after_its_first_text();
    let stalled = model_at(held_stream_server(first, rest, held).await, "gpt-5.6-luna");
    let started = std::time::Instant::now();
    let late = stalled.respond(&ModelRequest { deadline: Duration::from_millis(300), ..request() }).await;
    assert!(matches!(&late, Err(ModelError::Unavailable(m)) if m.contains("deadline")), "{late:?}");
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(300) && waited < Duration::from_secs(2), "{waited:?}");
}

#[tokio::test]
async fn a_server_that_streams_no_usage_has_its_tokens_estimated() {
    let server = MockServer::start().await;
    chat_completions().respond_with(stream(&transfer_stream(true, false))).expect(1).mount(&server).await;
    let said = "could I talk to the owner";
    let asked = ModelRequest {
        instructions: "You answer the phone.".to_owned(),
        turns: vec![ModelTurn::Caller(said.to_owned())],
        tools: Vec::new(),
        ..request()
    };
    let reply = model(&server, "llama3.1:8b").respond(&asked).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(reply.tool_calls, [transfer_call()]);
    // A quarter of the characters sent and received, rounded up; none cached.
    let call = transfer_call();
    assert_eq!(
        reply.usage,
        ModelUsage {
            input_tokens: ("You answer the phone.".len() + said.len()).div_ceil(4) as u64,
            cached_input_tokens: 0,
            output_tokens: (call.name.len() + call.arguments.len()).div_ceil(4) as u64,
        }
    );
    assert_eq!(reply.usage, ModelUsage { input_tokens: 12, cached_input_tokens: 0, output_tokens: 12 });
}

#[tokio::test]
async fn a_server_that_ignores_stream_and_answers_whole_json_is_read_whole() {
    let server = MockServer::start().await;
    let whole = json!({
        "id": "chatcmpl-abc123", "object": "chat.completion", "created": 1_765_000_000,
        "model": "gpt-5.6-luna-2026-11-20",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": null, "refusal": null,
            "tool_calls": [{"id": "call_2", "type": "function",
                "function": {"name": "transfer_to_human", "arguments": "{\"reason\":\"wants the owner\"}"}}]}}],
        "usage": {"prompt_tokens": 812, "completion_tokens": 23, "total_tokens": 835,
            "prompt_tokens_details": {"cached_tokens": 768}}
    });
    chat_completions().respond_with(ResponseTemplate::new(200).set_body_json(whole)).expect(1).mount(&server).await;
    let reply = model(&server, "gpt-5.6-luna").respond(&request()).await;
    assert_eq!(
        reply,
        Ok(ModelReply {
            text: None,
            tool_calls: vec![transfer_call()],
            usage: ModelUsage { input_tokens: 812, cached_input_tokens: 768, output_tokens: 23 }
        })
    );
    assert_eq!(sent_bodies(&server).await[0]["stream"], true);
}
