//! `POST /chat/completions`: the request as the API takes it, the reply
//! (text, refusal, tool calls, usage), and the streamed reply assembled from
//! its deltas, text handed on as it arrives.
//!
//! Tool-call deltas are joined by `index`: only the first carries the id and
//! the name, later ones an `arguments` fragment. A stream is complete only
//! with `data: [DONE]` after a finish reason (`[DONE]` without one is an
//! answer cut short); the usage comes in the last chunk, whose `choices` is
//! empty (`null` or missing from some compatible servers). A server that
//! answers a streamed request with `application/json` is read whole.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;
use tokio::time::Instant;

use crate::client::{ErrorReply, Failure, OpenAi, OpenAiError};
use crate::sse::SseParser;

/// One request. Options left `None` (or empty) are not sent, so the
/// provider's defaults apply and compatible servers see nothing unknown.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ChatRequest {
    /// `None`: the configured chat model.
    #[serde(skip)]
    pub model: Option<String>,
    pub messages: Vec<ChatMessage>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<Tool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
    /// `Some(false)`: at most one tool call per reply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parallel_tool_calls: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_format: Option<ResponseFormat>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Reasoning tokens count against it on GPT-5.x models.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_completion_tokens: Option<u32>,
    /// GPT-5.x and o-series models only; others refuse the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_effort: Option<ReasoningEffort>,
}

impl ChatRequest {
    pub fn new(messages: Vec<ChatMessage>) -> ChatRequest {
        ChatRequest { messages, ..ChatRequest::default() }
    }
}

/// One message of the conversation, by role.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "role", rename_all = "lowercase")]
pub enum ChatMessage {
    System {
        content: String,
    },
    /// What GPT-5.x and o-series models take instead of `system`.
    Developer {
        content: String,
    },
    User {
        content: String,
    },
    /// An earlier reply, sent back as it came (with its tool calls, which
    /// the `Tool` messages after it answer).
    Assistant {
        #[serde(skip_serializing_if = "Option::is_none")]
        content: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        refusal: Option<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        tool_calls: Vec<ToolCall>,
    },
    /// The result of the tool call `tool_call_id`.
    Tool {
        tool_call_id: String,
        content: String,
    },
}

impl ChatMessage {
    pub fn system(content: impl Into<String>) -> ChatMessage {
        ChatMessage::System { content: content.into() }
    }

    pub fn developer(content: impl Into<String>) -> ChatMessage {
        ChatMessage::Developer { content: content.into() }
    }

    pub fn user(content: impl Into<String>) -> ChatMessage {
        ChatMessage::User { content: content.into() }
    }

    pub fn assistant(content: impl Into<String>) -> ChatMessage {
        ChatMessage::Assistant { content: Some(content.into()), refusal: None, tool_calls: Vec::new() }
    }

    pub fn tool(tool_call_id: impl Into<String>, content: impl Into<String>) -> ChatMessage {
        ChatMessage::Tool { tool_call_id: tool_call_id.into(), content: content.into() }
    }
}

/// A function the model may call. Sent as
/// `{"type":"function","function":{"name","description","parameters","strict"}}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Tool {
    pub name: String,
    pub description: Option<String>,
    /// A JSON Schema for the arguments. With `strict`, every property must
    /// be `required` and `additionalProperties` false (optional ones take
    /// `"type": ["string", "null"]`).
    pub parameters: Value,
    pub strict: Option<bool>,
}

impl Tool {
    /// A strict function tool: the arguments the model writes match the
    /// schema (where the server supports it).
    pub fn function(name: impl Into<String>, description: impl Into<String>, parameters: Value) -> Tool {
        Tool { name: name.into(), description: Some(description.into()), parameters, strict: Some(true) }
    }
}

impl Serialize for Tool {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Function<'a> {
            name: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            description: Option<&'a str>,
            parameters: &'a Value,
            #[serde(skip_serializing_if = "Option::is_none")]
            strict: Option<bool>,
        }
        #[derive(Serialize)]
        struct Wire<'a> {
            #[serde(rename = "type")]
            kind: &'static str,
            function: Function<'a>,
        }
        let function = Function {
            name: &self.name,
            description: self.description.as_deref(),
            parameters: &self.parameters,
            strict: self.strict,
        };
        Wire { kind: "function", function }.serialize(serializer)
    }
}

/// Whether and which tool the model must call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolChoice {
    Auto,
    None,
    /// At least one tool call.
    Required,
    /// This function, by name.
    Function(String),
}

impl Serialize for ToolChoice {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ToolChoice::Auto => serializer.serialize_str("auto"),
            ToolChoice::None => serializer.serialize_str("none"),
            ToolChoice::Required => serializer.serialize_str("required"),
            ToolChoice::Function(name) => {
                serde_json::json!({"type": "function", "function": {"name": name}}).serialize(serializer)
            }
        }
    }
}

/// The shape of the reply's text.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResponseFormat {
    Text,
    /// Any JSON object (the prompt must mention JSON).
    JsonObject,
    /// JSON matching a schema.
    JsonSchema {
        json_schema: JsonSchemaFormat,
    },
}

impl ResponseFormat {
    /// A strict named schema.
    pub fn json_schema(name: impl Into<String>, schema: Value) -> ResponseFormat {
        ResponseFormat::JsonSchema {
            json_schema: JsonSchemaFormat { name: name.into(), description: None, schema, strict: Some(true) },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JsonSchemaFormat {
    /// `a-z`, `A-Z`, `0-9`, `_` and `-`, at most 64.
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub schema: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReasoningEffort {
    None,
    Minimal,
    Low,
    Medium,
    High,
}

/// A call the model asked for. Sent back inside the assistant message as
/// `{"id","type":"function","function":{"name","arguments"}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCall {
    /// What the `Tool` message answering it names (`call_…`).
    pub id: String,
    pub name: String,
    /// JSON as the model wrote it: it may be invalid, or not match the
    /// schema (see [`ToolCall::parse_arguments`]).
    pub arguments: String,
}

impl ToolCall {
    /// The arguments as `T`; `Invalid` when the model wrote something else.
    pub fn parse_arguments<T: DeserializeOwned>(&self) -> Result<T, OpenAiError> {
        serde_json::from_str(&self.arguments)
            .map_err(|e| OpenAiError::Invalid(format!("the arguments of a call to {}: {e}", self.name)))
    }
}

impl Serialize for ToolCall {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serde_json::json!({
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments},
        })
        .serialize(serializer)
    }
}

/// Why the model stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FinishReason {
    Stop,
    /// `max_completion_tokens` or the context ran out: the text is cut.
    Length,
    ToolCalls,
    ContentFilter,
    /// A value of a compatible server, as it came.
    Other(String),
}

impl FinishReason {
    fn parse(reason: &str) -> FinishReason {
        match reason {
            "stop" => FinishReason::Stop,
            "length" => FinishReason::Length,
            "tool_calls" | "function_call" => FinishReason::ToolCalls,
            "content_filter" => FinishReason::ContentFilter,
            other => FinishReason::Other(other.to_owned()),
        }
    }
}

/// Tokens to meter. `cached_prompt_tokens` are counted in `prompt_tokens`
/// too (billed cheaper).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChatUsage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
    pub cached_prompt_tokens: Option<u64>,
}

/// The model's reply (the first choice).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatCompletion {
    /// `chatcmpl-…` (empty if the server gave none).
    pub id: String,
    /// The model that answered, as the provider names it.
    pub model: String,
    /// `None` when the model only called tools or refused.
    pub text: Option<String>,
    /// Why the model would not answer, in its words (structured outputs
    /// and safety): nothing else in the reply is to be used then.
    pub refusal: Option<String>,
    pub tool_calls: Vec<ToolCall>,
    /// `None` only from a compatible server that does not say.
    pub finish_reason: Option<FinishReason>,
    /// `None` only from a compatible server that does not count.
    pub usage: Option<ChatUsage>,
}

impl ChatCompletion {
    /// The reply as the assistant message to send back next (before the
    /// `Tool` messages answering its calls).
    pub fn assistant_message(&self) -> ChatMessage {
        ChatMessage::Assistant {
            content: self.text.clone(),
            refusal: self.refusal.clone(),
            tool_calls: self.tool_calls.clone(),
        }
    }
}

/// The body as sent: the request plus the model and the streaming options.
#[derive(Serialize)]
struct WireRequest<'a> {
    model: &'a str,
    #[serde(flatten)]
    request: &'a ChatRequest,
    stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_options: Option<StreamOptions>,
}

#[derive(Serialize)]
struct StreamOptions {
    include_usage: bool,
}

#[derive(Debug, Deserialize)]
struct CompletionReply {
    #[serde(default)]
    id: String,
    #[serde(default)]
    model: String,
    choices: Vec<ReplyChoice>,
    usage: Option<UsageReply>,
}

#[derive(Debug, Deserialize)]
struct ReplyChoice {
    message: ReplyMessage,
    finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ReplyMessage {
    content: Option<String>,
    refusal: Option<String>,
    tool_calls: Option<Vec<ReplyToolCall>>,
}

#[derive(Debug, Deserialize)]
struct ReplyToolCall {
    id: String,
    function: ReplyFunction,
}

#[derive(Debug, Deserialize)]
struct ReplyFunction {
    name: String,
    /// A string from OpenAI; an object from some compatible servers.
    arguments: Value,
}

#[derive(Debug, Clone, Copy, Deserialize)]
struct UsageReply {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
    #[serde(default)]
    total_tokens: u64,
    prompt_tokens_details: Option<PromptTokensDetails>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
struct PromptTokensDetails {
    cached_tokens: Option<u64>,
}

impl From<UsageReply> for ChatUsage {
    fn from(usage: UsageReply) -> ChatUsage {
        ChatUsage {
            prompt_tokens: usage.prompt_tokens,
            completion_tokens: usage.completion_tokens,
            total_tokens: usage.total_tokens,
            cached_prompt_tokens: usage.prompt_tokens_details.and_then(|details| details.cached_tokens),
        }
    }
}

fn arguments_text(arguments: Value) -> String {
    match arguments {
        Value::String(text) => text,
        other => other.to_string(),
    }
}

impl CompletionReply {
    fn into_completion(self) -> Result<ChatCompletion, OpenAiError> {
        let Some(choice) = self.choices.into_iter().next() else {
            return Err(OpenAiError::Invalid("a chat completion without choices".to_owned()));
        };
        let tool_calls = choice
            .message
            .tool_calls
            .unwrap_or_default()
            .into_iter()
            .map(|call| ToolCall {
                id: call.id,
                name: call.function.name,
                arguments: arguments_text(call.function.arguments),
            })
            .collect();
        Ok(ChatCompletion {
            id: self.id,
            model: self.model,
            text: choice.message.content,
            refusal: choice.message.refusal,
            tool_calls,
            finish_reason: choice.finish_reason.as_deref().map(FinishReason::parse),
            usage: self.usage.map(ChatUsage::from),
        })
    }
}

impl OpenAi {
    /// One reply, whole. `deadline` bounds everything, retries included.
    #[tracing::instrument(skip_all, fields(model = request.model.as_deref().unwrap_or(&self.chat_model)))]
    pub async fn chat(&self, request: &ChatRequest, deadline: Instant) -> Result<ChatCompletion, OpenAiError> {
        let body = self.wire(request, false);
        let text = self
            .within(Some(deadline), async {
                let mut retry = 0;
                loop {
                    let failure = match self.send("chat/completions", &body).await {
                        Ok(response) => match response.text().await {
                            Ok(text) => return Ok(text),
                            Err(error) => self.transport_failure(&error),
                        },
                        Err(failure) => failure,
                    };
                    self.wait_to_retry(failure, &mut retry, Some(deadline)).await?;
                }
            })
            .await?;
        let reply: CompletionReply = serde_json::from_str(&text)
            .map_err(|e| OpenAiError::Invalid(format!("a chat completion that does not parse: {e}")))?;
        reply.into_completion()
    }

    /// One reply, streamed: each piece of text goes to `on_text` as it
    /// arrives (so speech can start early), and the whole reply, tool calls
    /// assembled, comes back at the end. `deadline` bounds everything, the
    /// body included. A failure is retried only while no text has been
    /// handed on; after that it is returned.
    #[tracing::instrument(skip_all, fields(model = request.model.as_deref().unwrap_or(&self.chat_model)))]
    pub async fn chat_stream(
        &self,
        request: &ChatRequest,
        deadline: Instant,
        mut on_text: impl FnMut(&str),
    ) -> Result<ChatCompletion, OpenAiError> {
        let body = self.wire(request, true);
        let mut handed_on = false;
        self.within(Some(deadline), async {
            let mut retry = 0;
            loop {
                let failure = match self.send("chat/completions", &body).await {
                    Err(failure) => failure,
                    Ok(response) => {
                        let mut hand_on = |text: &str| {
                            handed_on = true;
                            on_text(text);
                        };
                        match self.read_stream(response, &mut hand_on).await {
                            Ok(completion) => return Ok(completion),
                            // Once the caller has text, another attempt
                            // would say it again, differently.
                            Err(error) => Failure { retry: error.may_pass() && !handed_on, ..Failure::fatal(error) },
                        }
                    }
                };
                self.wait_to_retry(failure, &mut retry, Some(deadline)).await?;
            }
        })
        .await
    }

    /// The events of a 2xx stream, until `[DONE]`. A compatible server
    /// that ignores `stream: true` and says so by answering
    /// `application/json` is read as the whole reply it is (its text handed
    /// on in one piece).
    async fn read_stream(
        &self,
        mut response: reqwest::Response,
        on_text: &mut impl FnMut(&str),
    ) -> Result<ChatCompletion, OpenAiError> {
        if is_whole_json(&response) {
            let text = response.text().await.map_err(|e| self.transport_failure(&e).error)?;
            let reply: CompletionReply = serde_json::from_str(&text)
                .map_err(|e| OpenAiError::Invalid(format!("a chat completion that does not parse: {e}")))?;
            let completion = reply.into_completion()?;
            if let Some(text) = completion.text.as_deref().filter(|text| !text.is_empty()) {
                on_text(text);
            }
            return Ok(completion);
        }
        let mut reader = StreamReader::default();
        while let Some(bytes) = response.chunk().await.map_err(|e| self.transport_failure(&e).error)? {
            if let Some(completion) = reader.feed(self, &bytes, on_text)? {
                return Ok(completion);
            }
        }
        reader.end()
    }

    fn wire<'a>(&'a self, request: &'a ChatRequest, stream: bool) -> WireRequest<'a> {
        WireRequest {
            model: request.model.as_deref().unwrap_or(&self.chat_model),
            request,
            stream,
            stream_options: stream.then_some(StreamOptions { include_usage: true }),
        }
    }
}

/// Whether a 2xx reply to a streamed request came whole, as JSON, rather
/// than as events (anything but `application/json`, or no content type at
/// all, is read as events).
fn is_whole_json(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|kind| kind.trim().eq_ignore_ascii_case("application/json"))
}

#[derive(Debug, Deserialize)]
struct Chunk {
    id: Option<String>,
    model: Option<String>,
    /// `null` or missing from some compatible servers.
    choices: Option<Vec<ChunkChoice>>,
    usage: Option<UsageReply>,
}

#[derive(Debug, Deserialize)]
struct ChunkChoice {
    #[serde(default)]
    index: u32,
    delta: Option<Delta>,
    finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Delta {
    content: Option<String>,
    refusal: Option<String>,
    tool_calls: Option<Vec<ToolCallDelta>>,
}

#[derive(Debug, Deserialize)]
struct ToolCallDelta {
    /// Missing from some compatible servers, which send each call whole.
    index: Option<usize>,
    id: Option<String>,
    function: Option<FunctionDelta>,
}

#[derive(Debug, Deserialize)]
struct FunctionDelta {
    name: Option<String>,
    arguments: Option<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Progress {
    More,
    Done,
}

#[derive(Debug, Default)]
struct PartialCall {
    index: usize,
    id: String,
    name: String,
    arguments: String,
}

/// The bytes of a streamed reply, as they come, to the reply.
#[derive(Debug, Default)]
struct StreamReader {
    parser: SseParser,
    assembly: StreamAssembly,
}

impl StreamReader {
    /// The reply, once these bytes have brought `[DONE]`.
    fn feed(
        &mut self,
        client: &OpenAi,
        bytes: &[u8],
        on_text: &mut impl FnMut(&str),
    ) -> Result<Option<ChatCompletion>, OpenAiError> {
        for event in self.parser.feed(bytes) {
            if self.assembly.accept(client, &event.data, on_text)? == Progress::Done {
                return self.assembly.finish().map(Some);
            }
        }
        Ok(None)
    }

    /// The body ended before `[DONE]` had been fed: the reply only if an
    /// unterminated last event is that `[DONE]`. Anything else was cut short
    /// (and a cut chunk is not JSON to complain about).
    fn end(&mut self) -> Result<ChatCompletion, OpenAiError> {
        if self.parser.finish().is_some_and(|event| event.data.trim() == "[DONE]") {
            return self.assembly.finish();
        }
        Err(OpenAiError::Unavailable("the stream ended before data: [DONE]".to_owned()))
    }
}

/// A streamed reply so far.
#[derive(Debug, Default)]
struct StreamAssembly {
    id: String,
    model: String,
    text: Option<String>,
    refusal: Option<String>,
    calls: Vec<PartialCall>,
    finish_reason: Option<String>,
    usage: Option<UsageReply>,
}

impl StreamAssembly {
    /// Takes one event's data: a chunk, an error object or `[DONE]`.
    fn accept(&mut self, client: &OpenAi, data: &str, on_text: &mut impl FnMut(&str)) -> Result<Progress, OpenAiError> {
        if data.trim() == "[DONE]" {
            return Ok(Progress::Done);
        }
        let value: Value = serde_json::from_str(data)
            .map_err(|e| OpenAiError::Invalid(format!("a stream chunk that is not JSON: {e}")))?;
        if value.get("error").is_some_and(|error| !error.is_null()) {
            let reply: ErrorReply = serde_json::from_value(value).unwrap_or_default();
            return Err(client.stream_error(reply.error.unwrap_or_default()));
        }
        let chunk: Chunk = serde_json::from_value(value)
            .map_err(|e| OpenAiError::Invalid(format!("a stream chunk that does not parse: {e}")))?;
        if let Some(id) = chunk.id.filter(|id| !id.is_empty()) {
            self.id = id;
        }
        if let Some(model) = chunk.model.filter(|model| !model.is_empty()) {
            self.model = model;
        }
        if let Some(usage) = chunk.usage {
            self.usage = Some(usage);
        }
        for choice in chunk.choices.unwrap_or_default().into_iter().filter(|choice| choice.index == 0) {
            if let Some(reason) = choice.finish_reason {
                self.finish_reason = Some(reason);
            }
            let Some(delta) = choice.delta else { continue };
            if let Some(text) = delta.content.filter(|text| !text.is_empty()) {
                on_text(&text);
                self.text.get_or_insert_with(String::new).push_str(&text);
            }
            if let Some(refusal) = delta.refusal.filter(|refusal| !refusal.is_empty()) {
                self.refusal.get_or_insert_with(String::new).push_str(&refusal);
            }
            for call in delta.tool_calls.unwrap_or_default() {
                self.accept_call(call);
            }
        }
        Ok(Progress::More)
    }

    fn accept_call(&mut self, delta: ToolCallDelta) {
        let index = match delta.index {
            Some(index) => index,
            // Without an index, a new id starts a new call.
            None => match (&delta.id, self.calls.last()) {
                (Some(id), Some(last)) if *id == last.id => last.index,
                (None, Some(last)) => last.index,
                _ => self.calls.iter().map(|call| call.index + 1).max().unwrap_or(0),
            },
        };
        let position = match self.calls.iter().position(|call| call.index == index) {
            Some(position) => position,
            None => {
                self.calls.push(PartialCall { index, ..PartialCall::default() });
                self.calls.len() - 1
            }
        };
        let call = &mut self.calls[position];
        if let Some(id) = delta.id.filter(|id| !id.is_empty())
            && call.id.is_empty()
        {
            call.id = id;
        }
        let Some(function) = delta.function else { return };
        if let Some(name) = function.name.filter(|name| !name.is_empty())
            && call.name.is_empty()
        {
            call.name = name;
        }
        match function.arguments {
            Some(Value::String(fragment)) => call.arguments.push_str(&fragment),
            Some(Value::Null) | None => {}
            Some(whole) => call.arguments.push_str(&whole.to_string()),
        }
    }

    /// The reply, once `[DONE]` has come.
    fn finish(&mut self) -> Result<ChatCompletion, OpenAiError> {
        let mut calls = std::mem::take(&mut self.calls);
        calls.sort_by_key(|call| call.index);
        let mut tool_calls = Vec::with_capacity(calls.len());
        for call in calls {
            if call.id.is_empty() || call.name.is_empty() {
                return Err(OpenAiError::Invalid(format!(
                    "streamed tool call {} came without an id or a name",
                    call.index
                )));
            }
            tool_calls.push(ToolCall { id: call.id, name: call.name, arguments: call.arguments });
        }
        // `[DONE]` closes the stream, a finish reason the answer: a server
        // (or a proxy) that stopped the answer short sends the one without
        // the other, and what came may be half a tool call's arguments.
        let Some(finish_reason) = self.finish_reason.take() else {
            return Err(OpenAiError::Unavailable("the stream ended without a finish reason".to_owned()));
        };
        Ok(ChatCompletion {
            id: std::mem::take(&mut self.id),
            model: std::mem::take(&mut self.model),
            text: self.text.take(),
            refusal: self.refusal.take(),
            tool_calls,
            finish_reason: Some(FinishReason::parse(&finish_reason)),
            usage: self.usage.take().map(ChatUsage::from),
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::OpenAiConfig;

    #[track_caller]
    fn check(value: impl Serialize, expected: Value) {
        assert_eq!(serde_json::to_value(value).unwrap_or_default(), expected);
    }

    #[test]
    fn request_parts_serialize_as_the_api_takes_them() {
        check(ToolChoice::Auto, json!("auto"));
        check(ToolChoice::None, json!("none"));
        check(ToolChoice::Required, json!("required"));
        check(ToolChoice::Function("book".into()), json!({"type": "function", "function": {"name": "book"}}));
        check(ResponseFormat::Text, json!({"type": "text"}));
        check(ResponseFormat::JsonObject, json!({"type": "json_object"}));
        check(
            ResponseFormat::json_schema("reply", json!({"type": "object"})),
            json!({"type": "json_schema", "json_schema": {"name": "reply", "schema": {"type": "object"}, "strict": true}}),
        );
        check(ReasoningEffort::None, json!("none"));
        check(ChatMessage::system("s"), json!({"role": "system", "content": "s"}));
        check(ChatMessage::developer("d"), json!({"role": "developer", "content": "d"}));
        check(ChatMessage::user("u"), json!({"role": "user", "content": "u"}));
        check(ChatMessage::assistant("a"), json!({"role": "assistant", "content": "a"}));
        check(
            ChatMessage::Assistant {
                content: None,
                refusal: None,
                tool_calls: vec![ToolCall { id: "call_1".into(), name: "book".into(), arguments: "{}".into() }],
            },
            json!({"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "book", "arguments": "{}"}}]}),
        );
        check(ChatMessage::tool("call_1", "ok"), json!({"role": "tool", "tool_call_id": "call_1", "content": "ok"}));
        check(
            Tool { description: None, strict: None, ..Tool::function("hangup", "", json!({"type": "object"})) },
            json!({"type": "function", "function": {"name": "hangup", "parameters": {"type": "object"}}}),
        );
        check(
            ChatRequest::new(vec![ChatMessage::user("hi")]),
            json!({"messages": [{"role": "user", "content": "hi"}]}),
        );
    }

    fn client() -> OpenAi {
        OpenAi::new(OpenAiConfig::new("sk-unit")).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The stream fed in `pieces`: the text deltas handed on, and the reply.
    fn assemble<'a>(
        client: &OpenAi,
        pieces: impl IntoIterator<Item = &'a [u8]>,
    ) -> (Vec<String>, Result<ChatCompletion, OpenAiError>) {
        let mut reader = StreamReader::default();
        let mut deltas = Vec::new();
        let mut on_text = |text: &str| deltas.push(text.to_owned());
        for piece in pieces {
            match reader.feed(client, piece, &mut on_text) {
                Ok(None) => {}
                Ok(Some(reply)) => return (deltas, Ok(reply)),
                Err(error) => return (deltas, Err(error)),
            }
        }
        (deltas, reader.end())
    }

    #[test]
    fn the_reference_streams_cut_at_every_byte_give_the_same_reply() {
        let client = client();
        for (name, stream) in [
            ("text", include_str!("../tests/fixtures/chat-stream-text.sse")),
            ("tool calls", include_str!("../tests/fixtures/chat-stream-tool-calls.sse")),
        ] {
            let (deltas, whole) = assemble(&client, [stream.as_bytes()]);
            let whole = whole.unwrap_or_else(|e| panic!("{name}: {e}"));
            let crlf = stream.replace('\n', "\r\n");
            for stream in [stream, crlf.as_str()] {
                let bytes = stream.as_bytes();
                for cut in 0..=bytes.len() {
                    let (cut_deltas, reply) = assemble(&client, [&bytes[..cut], &bytes[cut..]]);
                    assert_eq!(reply.as_ref(), Ok(&whole), "{name}: cut at {cut}");
                    assert_eq!(cut_deltas, deltas, "{name}: cut at {cut}");
                }
                let (byte_deltas, reply) = assemble(&client, bytes.chunks(1));
                assert_eq!((byte_deltas, reply), (deltas.clone(), Ok(whole.clone())), "{name}: byte by byte");
            }
        }
    }

    #[test]
    fn the_reference_streams_assemble_into_text_and_tool_calls() {
        let client = client();
        let (deltas, reply) = assemble(&client, [include_str!("../tests/fixtures/chat-stream-text.sse").as_bytes()]);
        assert_eq!(deltas, ["Yes,", " we're open", " until 6 pm today.", " Ça vous convient ?", " 💈"]);
        let reply = reply.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(reply.text.as_deref(), Some("Yes, we're open until 6 pm today. Ça vous convient ? 💈"));
        assert_eq!(reply.finish_reason, Some(FinishReason::Stop));
        let usage =
            ChatUsage { prompt_tokens: 812, completion_tokens: 14, total_tokens: 826, cached_prompt_tokens: Some(768) };
        assert_eq!(reply.usage, Some(usage));

        let (deltas, reply) =
            assemble(&client, [include_str!("../tests/fixtures/chat-stream-tool-calls.sse").as_bytes()]);
        assert_eq!(deltas, Vec::<String>::new());
        let reply = reply.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(reply.text, None);
        assert_eq!(
            reply.tool_calls,
            [
                ToolCall {
                    id: "call_aVb1Qw7nTz".into(),
                    name: "check_availability".into(),
                    arguments: r#"{"service": "fade", "date": "2026-12-09", "time": null}"#.into()
                },
                ToolCall {
                    id: "call_Xy2Lm9Pq4r".into(),
                    name: "answer_from_knowledge".into(),
                    arguments: r#"{"question": "Is there parking near the café?"}"#.into()
                },
            ]
        );
    }

    #[test]
    fn compatible_servers_odd_chunks_still_assemble() {
        // vLLM: `choices: null` on the usage chunk; a server sending each
        // tool call whole, without an index, and its arguments as an object.
        let stream = concat!(
            "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n\n",
            "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"id\":\"a\",\"function\":{\"name\":\"one\",\"arguments\":{\"x\":1}}}]}}]}\n\n",
            "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"id\":\"b\",\"function\":{\"name\":\"two\",\"arguments\":\"{}\"}}]}}]}\n\n",
            "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n",
            "data: {\"choices\":null,\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}}\n\n",
            "data: [DONE]\n",
        );
        let (_, reply) = assemble(&client(), [stream.as_bytes()]);
        let reply = reply.unwrap_or_else(|e| panic!("{e}"));
        let calls: Vec<(&str, &str, &str)> =
            reply.tool_calls.iter().map(|c| (c.id.as_str(), c.name.as_str(), c.arguments.as_str())).collect();
        assert_eq!(calls, [("a", "one", r#"{"x":1}"#), ("b", "two", "{}")]);
        let usage = ChatUsage { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7, cached_prompt_tokens: None };
        assert_eq!((reply.finish_reason, reply.usage), (Some(FinishReason::ToolCalls), Some(usage)));
    }

    #[test]
    fn a_tool_call_without_its_name_is_not_guessed_at() {
        let stream = "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{}\"}}]}}]}\n\ndata: [DONE]\n\n";
        let (_, reply) = assemble(&client(), [stream.as_bytes()]);
        assert!(matches!(reply, Err(OpenAiError::Invalid(_))), "{reply:?}");
    }

    #[test]
    fn done_without_a_finish_reason_is_a_reply_cut_short() {
        // The tool calls' stream with its finish chunk taken out: every
        // argument arrived, but nothing says the answer was over.
        let stream = include_str!("../tests/fixtures/chat-stream-tool-calls.sse");
        let unfinished: String = stream
            .split_inclusive("\n\n")
            .filter(|event| !event.contains("\"finish_reason\":\"tool_calls\""))
            .collect();
        assert_ne!(unfinished, stream);
        let (_, reply) = assemble(&client(), [unfinished.as_bytes()]);
        assert!(matches!(&reply, Err(OpenAiError::Unavailable(m)) if m.contains("finish reason")), "{reply:?}");
    }

    #[test]
    fn the_calls_are_send_so_a_port_can_wrap_them() {
        fn is_send<T: Send>(_: &T) {}
        let client = client();
        let request = ChatRequest::new(vec![ChatMessage::user("hi")]);
        let deadline = Instant::now();
        is_send(&client.chat(&request, deadline));
        is_send(&client.chat_stream(&request, deadline, |_| {}));
    }
}
