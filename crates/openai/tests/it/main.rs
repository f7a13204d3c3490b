//! `frontdesk-openai` from the outside: the client against local fakes
//! speaking OpenAI's shapes (wiremock, and a raw socket where the timing of
//! a stream matters). Nothing here reaches the internet or needs a key.

mod chat;
mod embeddings;
mod eval;
mod language_model;
mod realtime;
mod transcription;
