//! Twilio Media Streams on the wire: the JSON text frames Twilio sends on a
//! `<Connect><Stream>` WebSocket (`connected`, `start`, `media`, `dtmf`,
//! `mark`, `stop`) and the three it accepts back (`media`, `mark`,
//! `clear`). Audio is μ-law 8 kHz mono both ways, base64 in the JSON and
//! raw bytes here. Twilio writes its counters as strings (`"chunk":"1"`).

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

/// μ-law at 8 kHz: one byte a sample, eight a millisecond.
pub const MULAW_BYTES_PER_MS: u64 = 8;

/// A frame Twilio sent that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaStreamError {
    #[error("not a Media Streams message: {0}")]
    Malformed(String),
    #[error("a media payload is not base64: {0}")]
    BadPayload(String),
    #[error("a counter is not a number: {field} = {value:?}")]
    BadCounter { field: &'static str, value: String },
}

/// Which leg's audio a frame carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Track {
    /// The caller (the only track of a bidirectional stream).
    Inbound,
    Outbound,
}

/// How the stream's audio is encoded (`start.mediaFormat`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaFormat {
    pub encoding: String,
    pub sample_rate: u32,
    pub channels: u32,
}

impl MediaFormat {
    /// μ-law, 8 kHz, mono: what the bridge relays without transcoding.
    pub fn is_mulaw_8k_mono(&self) -> bool {
        self.encoding == "audio/x-mulaw" && self.sample_rate == 8000 && self.channels == 1
    }
}

/// The `start` message: which call and stream this socket carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamStart {
    pub stream_sid: String,
    pub call_sid: String,
    pub account_sid: String,
    pub tracks: Vec<String>,
    pub media_format: MediaFormat,
    /// The `<Parameter>`s of the `<Stream>` verb.
    pub custom_parameters: BTreeMap<String, String>,
}

/// One frame of the caller's audio.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaFrame {
    pub track: Track,
    pub chunk: u64,
    /// Milliseconds since the stream started.
    pub timestamp_ms: u64,
    /// μ-law bytes, decoded from base64.
    pub audio: Vec<u8>,
}

/// What Twilio sends on the socket, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TwilioMessage {
    Connected {
        protocol: String,
        version: String,
    },
    Start(StreamStart),
    Media(MediaFrame),
    Dtmf {
        digit: String,
    },
    /// The audio sent before the mark of this name has played (or was
    /// cleared).
    Mark {
        name: String,
    },
    /// The call hung up or the stream ended.
    Stop {
        call_sid: String,
    },
}

#[derive(Deserialize)]
#[serde(tag = "event", rename_all = "lowercase")]
enum Inbound {
    Connected {
        protocol: String,
        version: String,
    },
    Start {
        start: InboundStart,
    },
    Media {
        media: InboundMedia,
    },
    Dtmf {
        dtmf: InboundDtmf,
    },
    Mark {
        mark: MarkBody,
    },
    Stop {
        #[serde(default)]
        stop: InboundStop,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InboundStart {
    stream_sid: String,
    call_sid: String,
    #[serde(default)]
    account_sid: String,
    #[serde(default)]
    tracks: Vec<String>,
    media_format: MediaFormat,
    #[serde(default)]
    custom_parameters: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct InboundMedia {
    #[serde(default = "inbound")]
    track: String,
    #[serde(default)]
    chunk: Option<String>,
    #[serde(default)]
    timestamp: Option<String>,
    payload: String,
}

fn inbound() -> String {
    "inbound".to_owned()
}

#[derive(Deserialize)]
struct InboundDtmf {
    digit: String,
}

#[derive(Deserialize, Serialize)]
struct MarkBody {
    name: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct InboundStop {
    #[serde(default)]
    call_sid: String,
}

fn counter(field: &'static str, value: Option<String>) -> Result<u64, MediaStreamError> {
    match value {
        None => Ok(0),
        Some(text) => text.parse().map_err(|_| MediaStreamError::BadCounter { field, value: text }),
    }
}

impl TwilioMessage {
    /// Reads one text frame.
    pub fn parse(text: &str) -> Result<TwilioMessage, MediaStreamError> {
        let inbound: Inbound = serde_json::from_str(text).map_err(|e| MediaStreamError::Malformed(e.to_string()))?;
        Ok(match inbound {
            Inbound::Connected { protocol, version } => TwilioMessage::Connected { protocol, version },
            Inbound::Start { start } => TwilioMessage::Start(StreamStart {
                stream_sid: start.stream_sid,
                call_sid: start.call_sid,
                account_sid: start.account_sid,
                tracks: start.tracks,
                media_format: start.media_format,
                custom_parameters: start.custom_parameters,
            }),
            Inbound::Media { media } => {
                let track = match media.track.as_str() {
                    "inbound" | "inbound_track" => Track::Inbound,
                    _ => Track::Outbound,
                };
                let audio = STANDARD
                    .decode(media.payload.as_bytes())
                    .map_err(|e| MediaStreamError::BadPayload(e.to_string()))?;
                TwilioMessage::Media(MediaFrame {
                    track,
                    chunk: counter("chunk", media.chunk)?,
                    timestamp_ms: counter("timestamp", media.timestamp)?,
                    audio,
                })
            }
            Inbound::Dtmf { dtmf } => TwilioMessage::Dtmf { digit: dtmf.digit },
            Inbound::Mark { mark } => TwilioMessage::Mark { name: mark.name },
            Inbound::Stop { stop } => TwilioMessage::Stop { call_sid: stop.call_sid },
        })
    }
}

/// What we send Twilio on a bidirectional stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TwilioCommand {
    /// Audio to play to the caller (μ-law bytes; base64 on the wire).
    Media { stream_sid: String, audio: Vec<u8> },
    /// Asks Twilio to say when the audio queued so far has played.
    Mark { stream_sid: String, name: String },
    /// Drops the audio queued and not yet played (a barge-in).
    Clear { stream_sid: String },
}

#[derive(Serialize)]
#[serde(tag = "event", rename_all = "lowercase")]
enum Outbound<'a> {
    Media {
        #[serde(rename = "streamSid")]
        stream_sid: &'a str,
        media: OutboundMedia,
    },
    Mark {
        #[serde(rename = "streamSid")]
        stream_sid: &'a str,
        mark: MarkBody,
    },
    Clear {
        #[serde(rename = "streamSid")]
        stream_sid: &'a str,
    },
}

#[derive(Serialize)]
struct OutboundMedia {
    payload: String,
}

impl TwilioCommand {
    /// The JSON text frame, as Twilio reads it.
    pub fn to_json(&self) -> String {
        let outbound = match self {
            TwilioCommand::Media { stream_sid, audio } => {
                Outbound::Media { stream_sid, media: OutboundMedia { payload: STANDARD.encode(audio) } }
            }
            TwilioCommand::Mark { stream_sid, name } => {
                Outbound::Mark { stream_sid, mark: MarkBody { name: name.clone() } }
            }
            TwilioCommand::Clear { stream_sid } => Outbound::Clear { stream_sid },
        };
        // Strings and a tagged enum of them always serialise.
        serde_json::to_string(&outbound).unwrap_or_default()
    }
}
