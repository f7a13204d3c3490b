//! The domain's `LanguageModel` port over streamed Chat Completions
//! (`stream: true`, `stream_options.include_usage`): the instructions as
//! the developer message, the conversation as user, assistant and tool
//! messages, the tools strict, one tool call at a time, no reasoning (a
//! phone turn cannot wait for it).
//!
//! The reply is assembled from its deltas (text, tool calls joined by
//! index, the usage chunk) and handed to the domain whole. The request's
//! deadline bounds everything: the retries, the wait for the first byte, a
//! stall between chunks. Failures map as [`OpenAiError`]s do: a 429 for a
//! rate limit, 5xx, a cut stream, `[DONE]` without a finish reason or the
//! deadline is `Unavailable`; a spent quota, another 4xx or a refusal is
//! `Refused`; a reply that does not parse is `Invalid`. A server that
//! streams no usage (one ignoring `stream_options`) has its tokens
//! estimated from the characters sent and received, with a warning, so
//! the call's token budget and cost still count them; one that ignores
//! `stream: true` and answers `application/json` is read whole.

use async_trait::async_trait;
use frontdesk_llm::{LanguageModel, ModelError, ModelReply, ModelRequest, ModelTurn, ModelUsage};

use crate::chat::{ChatCompletion, ChatMessage, ChatRequest, ReasoningEffort, Tool, ToolCall};
use crate::client::{OpenAi, OpenAiError};

impl From<OpenAiError> for ModelError {
    fn from(error: OpenAiError) -> ModelError {
        match error {
            OpenAiError::RateLimited(message) | OpenAiError::Unavailable(message) => ModelError::Unavailable(message),
            OpenAiError::Quota(message) | OpenAiError::Refused(message) => ModelError::Refused(message),
            OpenAiError::Invalid(message) => ModelError::Invalid(message),
        }
    }
}

/// The request on the wire.
pub(crate) fn chat_request(request: &ModelRequest, reasoning: bool) -> ChatRequest {
    let mut messages = vec![ChatMessage::developer(request.instructions.clone())];
    for turn in &request.turns {
        messages.push(match turn {
            ModelTurn::Caller(text) => ChatMessage::user(text.clone()),
            ModelTurn::Receptionist(text) => ChatMessage::assistant(text.clone()),
            ModelTurn::ToolCalls(calls) => ChatMessage::Assistant {
                content: None,
                refusal: None,
                tool_calls: calls
                    .iter()
                    .map(|call| ToolCall {
                        id: call.id.clone(),
                        name: call.name.clone(),
                        arguments: call.arguments.clone(),
                    })
                    .collect(),
            },
            ModelTurn::ToolResult { call_id, content } => ChatMessage::tool(call_id.clone(), content.clone()),
        });
    }
    let mut chat = ChatRequest::new(messages);
    chat.tools = request
        .tools
        .iter()
        .map(|tool| Tool::function(tool.name.clone(), tool.description.clone(), tool.parameters.clone()))
        .collect();
    if !chat.tools.is_empty() {
        chat.parallel_tool_calls = Some(false);
    }
    chat.max_completion_tokens = Some(request.max_output_tokens);
    if reasoning {
        chat.reasoning_effort = Some(ReasoningEffort::None);
    }
    chat
}

/// GPT-5.x models reason unless told not to; older ones refuse the field.
fn takes_reasoning_effort(model: &str) -> bool {
    model.starts_with("gpt-5") || model.starts_with('o')
}

/// About four characters of English a token, rounded up.
fn tokens_in(characters: usize) -> u64 {
    characters.div_ceil(4) as u64
}

/// The tokens of a reply whose server streamed no usage (one that ignores
/// `stream_options`), estimated rather than counted as none, so the call's
/// token budget and cost still see them: a quarter of the characters sent
/// (instructions, conversation, the tools' schemas) and received (text,
/// tool names and arguments), none of them cached.
fn estimated_usage(request: &ModelRequest, reply: &ChatCompletion) -> ModelUsage {
    let call_characters = |name: &str, arguments: &str| name.chars().count() + arguments.chars().count();
    let turns: usize = request
        .turns
        .iter()
        .map(|turn| match turn {
            ModelTurn::Caller(text) | ModelTurn::Receptionist(text) => text.chars().count(),
            ModelTurn::ToolCalls(calls) => calls.iter().map(|call| call_characters(&call.name, &call.arguments)).sum(),
            ModelTurn::ToolResult { call_id, content } => call_id.chars().count() + content.chars().count(),
        })
        .sum();
    let tools: usize = request
        .tools
        .iter()
        .map(|tool| tool.name.chars().count() + tool.description.chars().count() + tool.parameters.to_string().len())
        .sum();
    let said = reply.text.as_deref().map_or(0, |text| text.chars().count());
    let called: usize = reply.tool_calls.iter().map(|call| call_characters(&call.name, &call.arguments)).sum();
    ModelUsage {
        input_tokens: tokens_in(request.instructions.chars().count() + turns + tools),
        cached_input_tokens: 0,
        output_tokens: tokens_in(said + called),
    }
}

#[async_trait]
impl LanguageModel for OpenAi {
    // The language model's name; `OpenAi::model_id` is the embedder's.
    #[allow(clippy::misnamed_getters)]
    fn model_id(&self) -> &str {
        &self.chat_model
    }

    async fn respond(&self, request: &ModelRequest) -> Result<ModelReply, ModelError> {
        let deadline = tokio::time::Instant::now() + request.deadline;
        let chat = chat_request(request, takes_reasoning_effort(&self.chat_model));
        // The domain decides on the whole reply (its text is never spoken
        // as it comes), so the pieces are not handed anywhere.
        let reply = self.chat_stream(&chat, deadline, |_| {}).await?;
        if let Some(refusal) = reply.refusal {
            return Err(ModelError::Refused(refusal));
        }
        let usage = match reply.usage {
            Some(usage) => ModelUsage {
                input_tokens: usage.prompt_tokens,
                cached_input_tokens: usage.cached_prompt_tokens.unwrap_or(0),
                output_tokens: usage.completion_tokens,
            },
            None => {
                let estimate = estimated_usage(request, &reply);
                tracing::warn!(
                    model = %self.chat_model,
                    input_tokens = estimate.input_tokens,
                    output_tokens = estimate.output_tokens,
                    "the model server sent no usage; its tokens are estimated from the characters sent and received"
                );
                estimate
            }
        };
        let tool_calls = reply
            .tool_calls
            .into_iter()
            .map(|call| frontdesk_llm::ToolCall { id: call.id, name: call.name, arguments: call.arguments })
            .collect();
        Ok(ModelReply { text: reply.text.filter(|text| !text.trim().is_empty()), tool_calls, usage })
    }
}
