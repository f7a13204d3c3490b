//! The domain's `LanguageModel` port over Chat Completions: the
//! instructions as the developer message, the conversation as user,
//! assistant and tool messages, the tools strict, one tool call at a time,
//! no reasoning (a phone turn cannot wait for it).

use async_trait::async_trait;
use frontdesk_llm::{LanguageModel, ModelError, ModelReply, ModelRequest, ModelTurn, ModelUsage};

use crate::chat::{ChatMessage, ChatRequest, ReasoningEffort, Tool, ToolCall};
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
        let reply = self.chat(&chat, deadline).await?;
        if let Some(refusal) = reply.refusal {
            return Err(ModelError::Refused(refusal));
        }
        let usage = reply.usage.map_or_else(ModelUsage::default, |usage| ModelUsage {
            input_tokens: usage.prompt_tokens,
            cached_input_tokens: usage.cached_prompt_tokens.unwrap_or(0),
            output_tokens: usage.completion_tokens,
        });
        let tool_calls = reply
            .tool_calls
            .into_iter()
            .map(|call| frontdesk_llm::ToolCall { id: call.id, name: call.name, arguments: call.arguments })
            .collect();
        Ok(ModelReply { text: reply.text.filter(|text| !text.trim().is_empty()), tool_calls, usage })
    }
}
