//! OpenAI's wire, and any OpenAI-compatible server's (Ollama, vLLM,
//! llama.cpp by base URL): embeddings for a shop's knowledge, behind the
//! domain's [`Embedder`](frontdesk_rag::Embedder) port, and Chat
//! Completions (tools, JSON output, streaming with tool-call deltas).
//! Nothing of the domain is decided here: no prompt, no tool's meaning.
//!
//! Requests carry a Bearer key and a deadline. A 408, 409, 429 for a rate
//! limit (never for `insufficient_quota`) or 5xx is retried a bounded number
//! of times, after `retry-after-ms`, `retry-after` or a jittered backoff, and
//! an `x-should-retry` header has the last word; a streamed reply only until
//! its first text has been handed on. A reply that does not add up is an
//! error, never a guess.

mod chat;
mod client;
mod embeddings;
mod language_model;
mod realtime;
pub mod sse;
mod transcription;

pub use chat::{
    ChatCompletion, ChatMessage, ChatRequest, ChatUsage, FinishReason, JsonSchemaFormat, ReasoningEffort,
    ResponseFormat, Tool, ToolCall, ToolChoice,
};
pub use client::{
    DEFAULT_BASE_URL, DEFAULT_CHAT_MODEL, DEFAULT_EMBED_DIMS, DEFAULT_EMBED_MODEL, MAX_INPUTS_PER_REQUEST, OpenAi,
    OpenAiConfig, OpenAiError, SetupError,
};
pub use realtime::{DEFAULT_REALTIME_MODEL, OpenAiRealtime, RealtimeConfig, RealtimeSetupError, realtime_url};
pub use transcription::{DEFAULT_TRANSCRIBE_DEADLINE, DEFAULT_TRANSCRIBE_MODEL, OpenAiTranscriber};
