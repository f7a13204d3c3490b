//! `frontdesk-voice-bridge`: a phone call's audio relayed to a realtime
//! voice model and back, over Twilio Media Streams.
//!
//! [`media`] reads and writes Media Streams' JSON frames; [`Bridge`] runs
//! one call: the caller's frames to the model's [`RealtimeSender`], the
//! model's audio to Twilio each piece followed by a mark, barge-in (`clear`
//! to Twilio, the model's answer truncated where the caller stopped
//! hearing it), tool calls through a [`ToolRunner`], transcripts with card
//! numbers removed, turn latencies and token usage; [`token`] mints and
//! checks the short-lived token that admits one call's stream.
//!
//! It knows no HTTP server, WebSocket library or model provider: the
//! gateway adapts the socket into channels and the session comes through
//! the `RealtimeVoice` port. Nor does it decide what a tool may do.
//!
//! [`RealtimeSender`]: frontdesk_llm::RealtimeSender

pub mod bridge;
pub mod media;
pub mod token;

pub use bridge::{
    Bridge, BridgeOptions, BridgeOutcome, EndReason, FILLER_AFTER, FILLER_INSTRUCTIONS, Latencies, Speaker, ToolRunner,
    TranscriptTurn, mark_name, parse_mark_name,
};
pub use media::{
    MULAW_BYTES_PER_MS, MediaFormat, MediaFrame, MediaStreamError, StreamStart, Track, TwilioCommand, TwilioMessage,
};
pub use token::{STREAM_TOKEN_LIFETIME, StreamTicket, StreamTokenError, StreamTokens};
