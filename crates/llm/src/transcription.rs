//! The `Transcriber` port: a recording's audio in, what was said out, with
//! what the provider counted for it (so it can be metered).
//!
//! Nothing here knows where the audio comes from (a call recording, an
//! upload) or any provider's wire (`crates/openai` implements the port).

use std::fmt;

use async_trait::async_trait;

use crate::ModelUsage;

/// The largest clip a transcriber is handed (OpenAI's upload limit).
pub const MAX_AUDIO_BYTES: usize = 25 * 1024 * 1024;

/// How a clip's bytes are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClipFormat {
    Mp3,
    Wav,
}

impl ClipFormat {
    /// The media type (`audio/mpeg`).
    pub fn mime_type(self) -> &'static str {
        match self {
            ClipFormat::Mp3 => "audio/mpeg",
            ClipFormat::Wav => "audio/wav",
        }
    }

    /// The file name extension, without its dot (`mp3`).
    pub fn extension(self) -> &'static str {
        match self {
            ClipFormat::Mp3 => "mp3",
            ClipFormat::Wav => "wav",
        }
    }

    /// The format a `Content-Type` names (parameters ignored); `None` for
    /// anything else.
    pub fn from_mime_type(raw: &str) -> Option<ClipFormat> {
        let essence = raw.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        match essence.as_str() {
            "audio/mpeg" | "audio/mp3" | "audio/mpeg3" => Some(ClipFormat::Mp3),
            "audio/wav" | "audio/x-wav" | "audio/wave" | "audio/vnd.wave" => Some(ClipFormat::Wav),
            _ => None,
        }
    }
}

/// Why bytes are not a clip a transcriber takes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AudioClipError {
    #[error("the audio is empty")]
    Empty,
    #[error("the audio is {0} bytes, more than the {MAX_AUDIO_BYTES} a transcriber takes")]
    TooLarge(usize),
}

/// Recorded audio: its bytes and how they are encoded. Never empty, never
/// larger than [`MAX_AUDIO_BYTES`]. `Debug` shows its size, not its bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct AudioClip {
    bytes: Vec<u8>,
    format: ClipFormat,
}

impl AudioClip {
    pub fn new(bytes: Vec<u8>, format: ClipFormat) -> Result<AudioClip, AudioClipError> {
        if bytes.is_empty() {
            return Err(AudioClipError::Empty);
        }
        if bytes.len() > MAX_AUDIO_BYTES {
            return Err(AudioClipError::TooLarge(bytes.len()));
        }
        Ok(AudioClip { bytes, format })
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn format(&self) -> ClipFormat {
        self.format
    }

    /// The name it is uploaded under (`message.mp3`): providers tell the
    /// format by the extension.
    pub fn file_name(&self) -> String {
        format!("message.{}", self.format.extension())
    }
}

impl fmt::Debug for AudioClip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AudioClip").field("format", &self.format).field("bytes", &self.bytes.len()).finish()
    }
}

/// The language the speaker most likely used, as an ISO 639-1 code (`en`):
/// a hint that makes a transcription quicker and better, never a demand.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LanguageHint(String);

impl LanguageHint {
    /// The language of a locale (`en-US`, `es_MX`, `fr`); `None` when its
    /// first part is not two or three letters.
    pub fn from_locale(locale: &str) -> Option<LanguageHint> {
        let language = locale.split(['-', '_']).next().unwrap_or_default().trim();
        let valid = (2..=3).contains(&language.len()) && language.bytes().all(|b| b.is_ascii_alphabetic());
        valid.then(|| LanguageHint(language.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What the provider counted for a transcription, as it bills it.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum TranscriptionUsage {
    /// The provider said nothing (an offline or compatible server).
    #[default]
    Unreported,
    /// Billed by tokens (audio in, text out): `gpt-4o-mini-transcribe`.
    Tokens(ModelUsage),
    /// Billed by the audio's length: `whisper-1`.
    AudioSeconds(f64),
}

/// What was said, and what it cost to find out.
#[derive(Debug, Clone, PartialEq)]
pub struct Transcript {
    /// As the provider wrote it (may hold card numbers: redact before
    /// keeping or showing it).
    pub text: String,
    pub usage: TranscriptionUsage,
}

/// Why there is no transcript. `Timeout`, `RateLimited` and `Unavailable`
/// may pass on a later attempt; `Refused` and `Invalid` will not.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TranscriptionError {
    #[error("the transcription did not finish within its deadline")]
    Timeout,
    #[error("the transcriber is rate limited: {0}")]
    RateLimited(String),
    /// Down, overloaded, unreachable.
    #[error("the transcriber is unavailable: {0}")]
    Unavailable(String),
    /// Refused for good: the key, the model, the account's quota, the audio.
    #[error("the transcriber refused: {0}")]
    Refused(String),
    /// An answer that does not add up.
    #[error("the transcriber's answer is unusable: {0}")]
    Invalid(String),
}

impl TranscriptionError {
    /// Whether another attempt later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            TranscriptionError::Timeout | TranscriptionError::RateLimited(_) | TranscriptionError::Unavailable(_)
        )
    }
}

/// Speech to text behind the port (an adapter: OpenAI's audio
/// transcriptions, any compatible server).
#[async_trait]
pub trait Transcriber: Send + Sync {
    /// The model's name as the price table knows it (`gpt-4o-mini-transcribe`).
    fn model_id(&self) -> &str;

    /// What `audio` says. MUST return `Timeout` when the adapter's deadline
    /// passes, `RateLimited` when the provider asks to slow down,
    /// `Unavailable` for outages, `Refused` when no retry can help, and
    /// `Invalid` for a reply that does not read.
    async fn transcribe(
        &self,
        audio: &AudioClip,
        language: Option<&LanguageHint>,
    ) -> Result<Transcript, TranscriptionError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clip_is_never_empty_nor_too_large_and_is_named_by_its_format() {
        assert_eq!(AudioClip::new(Vec::new(), ClipFormat::Mp3), Err(AudioClipError::Empty));
        let too_large = vec![0; MAX_AUDIO_BYTES + 1];
        assert_eq!(AudioClip::new(too_large, ClipFormat::Wav), Err(AudioClipError::TooLarge(MAX_AUDIO_BYTES + 1)));
        let clip = AudioClip::new(vec![1, 2, 3], ClipFormat::Mp3).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((clip.file_name(), clip.format().mime_type()), ("message.mp3".to_owned(), "audio/mpeg"));
        assert_eq!(format!("{clip:?}"), "AudioClip { format: Mp3, bytes: 3 }");
    }

    #[test]
    fn content_types_name_formats() {
        let check =
            |raw: &str, expected: Option<ClipFormat>| assert_eq!(ClipFormat::from_mime_type(raw), expected, "{raw}");
        check("audio/mpeg", Some(ClipFormat::Mp3));
        check("Audio/MPEG; charset=binary", Some(ClipFormat::Mp3));
        check("audio/x-wav", Some(ClipFormat::Wav));
        check("application/json", None);
        check("", None);
    }

    #[test]
    fn a_locale_hints_at_its_language() {
        let check = |locale: &str, expected: Option<&str>| {
            assert_eq!(LanguageHint::from_locale(locale).as_ref().map(LanguageHint::as_str), expected, "{locale}");
        };
        check("en-US", Some("en"));
        check("es_MX", Some("es"));
        check("FR", Some("fr"));
        check("", None);
        check("english", None);
        check("e1-US", None);
    }

    #[test]
    fn only_outages_and_limits_may_pass_later() {
        assert!(TranscriptionError::Timeout.is_transient());
        assert!(TranscriptionError::RateLimited("slow down".into()).is_transient());
        assert!(TranscriptionError::Unavailable("502".into()).is_transient());
        assert!(!TranscriptionError::Refused("bad key".into()).is_transient());
        assert!(!TranscriptionError::Invalid("no text".into()).is_transient());
    }
}
