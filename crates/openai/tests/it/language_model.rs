//! The domain's `LanguageModel` port over Chat Completions: what goes on
//! the wire for a conversation with tools, and what comes back as domain
//! types (tool calls, usage; a refusal or a spent quota as `Refused`).

use std::time::Duration;

use frontdesk_llm::{LanguageModel, ModelError, ModelRequest, ModelTurn, ModelUsage, ToolCall, ToolSpec};
use frontdesk_openai::{OpenAi, OpenAiConfig};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn model(server: &MockServer, chat_model: &str) -> OpenAi {
    let config = OpenAiConfig {
        base_url: format!("{}/v1", server.uri()),
        chat_model: chat_model.to_owned(),
        ..OpenAiConfig::new("sk-test-not-a-real-key")
    };
    OpenAi::new(config).unwrap_or_else(|e| panic!("{e}"))
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

/// OpenAI's reply to a tool call, with usage.
fn tool_call_reply() -> Value {
    json!({
        "id": "chatcmpl-abc123", "object": "chat.completion", "created": 1_765_000_000,
        "model": "gpt-5.6-luna-2026-11-20",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": null, "refusal": null,
            "tool_calls": [{"id": "call_2", "type": "function",
                "function": {"name": "transfer_to_human", "arguments": "{\"reason\":\"wants the owner\"}"}}]}}],
        "usage": {"prompt_tokens": 812, "completion_tokens": 23, "total_tokens": 835,
            "prompt_tokens_details": {"cached_tokens": 768}}
    })
}

#[tokio::test]
async fn a_conversation_with_tools_goes_on_the_wire_and_its_tool_call_and_tokens_come_back() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(tool_call_reply()))
        .expect(1)
        .mount(&server)
        .await;
    let luna = model(&server, "gpt-5.6-luna");
    assert_eq!(LanguageModel::model_id(&luna), "gpt-5.6-luna");
    let reply = luna.respond(&request()).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(reply.text, None);
    assert_eq!(
        reply.tool_calls,
        [ToolCall {
            id: "call_2".to_owned(),
            name: "transfer_to_human".to_owned(),
            arguments: r#"{"reason":"wants the owner"}"#.to_owned()
        }]
    );
    assert_eq!(reply.usage, ModelUsage { input_tokens: 812, cached_input_tokens: 768, output_tokens: 23 });

    let sent: Value = server.received_requests().await.unwrap_or_default()[0].body_json().unwrap_or_default();
    assert_eq!(sent["model"], "gpt-5.6-luna");
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
async fn an_older_model_is_not_sent_reasoning_and_refusals_and_spent_quota_are_refused() {
    let server = MockServer::start().await;
    let refusal = json!({
        "id": "chatcmpl-r", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
        "choices": [{"index": 0, "finish_reason": "stop",
            "message": {"role": "assistant", "content": null, "refusal": "I can't help with that."}}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
    });
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(refusal))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(429).set_body_json(json!({"error": {
            "message": "You exceeded your current quota.", "type": "insufficient_quota",
            "param": null, "code": "insufficient_quota"}})))
        .mount(&server)
        .await;
    let mini = model(&server, "gpt-4o-mini");
    let refused = mini.respond(&request()).await;
    assert_eq!(refused, Err(ModelError::Refused("I can't help with that.".to_owned())));
    let sent: Value = server.received_requests().await.unwrap_or_default()[0].body_json().unwrap_or_default();
    assert!(sent.get("reasoning_effort").is_none(), "{sent}");
    let quota = mini.respond(&request()).await;
    assert!(matches!(&quota, Err(ModelError::Refused(m)) if m.contains("quota")), "{quota:?}");
}

#[tokio::test]
async fn a_slow_model_is_given_up_at_the_requests_deadline() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(tool_call_reply()).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let luna = model(&server, "gpt-5.6-luna");
    let started = std::time::Instant::now();
    let late = luna.respond(&ModelRequest { deadline: Duration::from_millis(200), ..request() }).await;
    assert!(matches!(late, Err(ModelError::Unavailable(_))), "{late:?}");
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
}
