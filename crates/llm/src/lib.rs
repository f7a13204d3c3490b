//! The `LanguageModel` port, and a scripted model for tests.
//!
//! The receptionist asks a model only what its rules cannot serve, and a
//! model changes nothing by itself: it answers with text and/or calls to
//! the tools it was offered, which the domain runs (or refuses) under its
//! own rules. This crate holds the shapes of that exchange and nothing of
//! any provider's wire (`crates/openai` implements the port).

mod realtime;
mod transcription;

pub use realtime::{
    AudioFormat, ItemId, RealtimeError, RealtimeEvent, RealtimeEvents, RealtimeSender, RealtimeSession, RealtimeUsage,
    RealtimeVoice, ResponseStatus, SessionConfig, TurnDetection,
};
pub use transcription::{
    AudioClip, AudioClipError, ClipFormat, LanguageHint, MAX_AUDIO_BYTES, Transcriber, Transcript, TranscriptionError,
    TranscriptionUsage,
};

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;

/// A tool the model may call: its name, what it does, and a JSON schema of
/// its arguments (strict: every property required, nothing else allowed).
#[derive(Debug, Clone, PartialEq)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    pub parameters: Value,
}

/// A tool call the model asked for: the provider's id (a result answers
/// it), the tool, and its arguments as the model wrote them (JSON text,
/// parsed and checked by whoever runs the tool; never trusted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    pub arguments: String,
}

/// One message of the conversation the model sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelTurn {
    /// What the caller said (card numbers already removed).
    Caller(String),
    /// What the receptionist said.
    Receptionist(String),
    /// The tool calls the model made on an earlier step of this turn.
    ToolCalls(Vec<ToolCall>),
    /// The result of one of them (JSON text), or its refusal.
    ToolResult { call_id: String, content: String },
}

/// What the model is asked.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelRequest {
    /// The receptionist's standing instructions (the same for every turn
    /// of a shop, so a provider can cache them).
    pub instructions: String,
    pub turns: Vec<ModelTurn>,
    pub tools: Vec<ToolSpec>,
    /// The answer is not waited for longer than this.
    pub deadline: Duration,
    /// At most this many tokens of answer.
    pub max_output_tokens: u32,
}

/// The tokens a model call used, as the provider counted them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ModelUsage {
    pub input_tokens: u64,
    /// Of `input_tokens`, those read from the provider's prompt cache.
    pub cached_input_tokens: u64,
    pub output_tokens: u64,
}

/// What the model answered.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ModelReply {
    /// Free text, if any (never spoken as it is: the domain decides).
    pub text: Option<String>,
    pub tool_calls: Vec<ToolCall>,
    pub usage: ModelUsage,
}

/// Why the model gave no answer. Every one of them means the same to a
/// caller: the rules answer instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    #[error("the model did not answer within its deadline")]
    Timeout,
    /// Busy, down, rate limited: later.
    #[error("the model is unavailable: {0}")]
    Unavailable(String),
    /// Refused for good (bad key, unknown model, the content refused).
    #[error("the model refused: {0}")]
    Refused(String),
    /// An answer that does not add up.
    #[error("the model's answer is unusable: {0}")]
    Invalid(String),
}

/// A language model behind the port (an adapter: OpenAI Chat Completions,
/// any compatible server).
#[async_trait]
pub trait LanguageModel: Send + Sync {
    /// The model's name as the price table knows it (`gpt-5.6-luna`).
    fn model_id(&self) -> &str;

    async fn respond(&self, request: &ModelRequest) -> Result<ModelReply, ModelError>;
}

/// A model that answers from a script, in order, and keeps every request
/// it was sent: the fake behind the port in tests. An exhausted script is
/// `Unavailable`.
#[derive(Debug, Default)]
pub struct ScriptedModel {
    script: Mutex<VecDeque<Result<ModelReply, ModelError>>>,
    requests: Mutex<Vec<ModelRequest>>,
}

impl ScriptedModel {
    pub fn new(script: impl IntoIterator<Item = Result<ModelReply, ModelError>>) -> ScriptedModel {
        ScriptedModel { script: Mutex::new(script.into_iter().collect()), requests: Mutex::default() }
    }

    /// A reply that calls one tool with `arguments` (JSON).
    pub fn calls(name: &str, arguments: Value) -> Result<ModelReply, ModelError> {
        let call = ToolCall { id: format!("call_{name}"), name: name.to_owned(), arguments: arguments.to_string() };
        Ok(ModelReply { text: None, tool_calls: vec![call], usage: ModelUsage::default() })
    }

    /// A reply of text alone.
    pub fn says(text: &str) -> Result<ModelReply, ModelError> {
        Ok(ModelReply { text: Some(text.to_owned()), tool_calls: Vec::new(), usage: ModelUsage::default() })
    }

    /// The next requests (and only they) get `replies`, in order; none
    /// scripted: the model is then unavailable. What was left unused is
    /// dropped.
    pub fn answer_next(&self, replies: impl IntoIterator<Item = Result<ModelReply, ModelError>>) {
        let mut script = self.script.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        script.clear();
        script.extend(replies);
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<ModelRequest> {
        self.requests.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }
}

#[async_trait]
impl LanguageModel for ScriptedModel {
    fn model_id(&self) -> &str {
        "scripted"
    }

    async fn respond(&self, request: &ModelRequest) -> Result<ModelReply, ModelError> {
        self.requests.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(request.clone());
        let next = self.script.lock().unwrap_or_else(std::sync::PoisonError::into_inner).pop_front();
        next.unwrap_or_else(|| Err(ModelError::Unavailable("the script is exhausted".to_owned())))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn request(said: &str) -> ModelRequest {
        ModelRequest {
            instructions: "You are the receptionist.".to_owned(),
            turns: vec![ModelTurn::Caller(said.to_owned())],
            tools: Vec::new(),
            deadline: Duration::from_secs(3),
            max_output_tokens: 200,
        }
    }

    #[tokio::test]
    async fn a_scripted_model_answers_in_order_keeps_what_it_was_asked_and_then_is_unavailable() {
        let model = ScriptedModel::new([
            ScriptedModel::calls("transfer_to_human", json!({"reason": "asked for the owner"})),
            ScriptedModel::says("Happy to help."),
        ]);
        let first = model.respond(&request("can I talk to Marco")).await;
        let call = first.map(|reply| reply.tool_calls).unwrap_or_default();
        assert_eq!(call.len(), 1);
        assert_eq!(
            (call[0].name.as_str(), call[0].arguments.as_str()),
            ("transfer_to_human", r#"{"reason":"asked for the owner"}"#)
        );
        let second = model.respond(&request("hello")).await;
        assert_eq!(second.map(|reply| reply.text), Ok(Some("Happy to help.".to_owned())));
        assert!(matches!(model.respond(&request("and?")).await, Err(ModelError::Unavailable(_))));
        let asked: Vec<ModelTurn> = model.requests().into_iter().flat_map(|r| r.turns).collect();
        assert_eq!(asked[0], ModelTurn::Caller("can I talk to Marco".to_owned()));
        assert_eq!(asked.len(), 3);
    }
}
