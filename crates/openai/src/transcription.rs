//! `POST /audio/transcriptions` (multipart: the audio file, the model,
//! `response_format=json`, a language hint), behind the domain's
//! [`Transcriber`] port. The reply's `text` is the transcript; its `usage`
//! is tokens (`gpt-4o-*-transcribe`) or seconds of audio (`whisper-1`).
//! A reply without text is an error, never an empty transcript.

use std::time::Duration;

use async_trait::async_trait;
use frontdesk_llm::{
    AudioClip, LanguageHint, ModelUsage, Transcriber, Transcript, TranscriptionError, TranscriptionUsage,
};
use reqwest::multipart::{Form, Part};
use serde::Deserialize;
use tokio::time::Instant;

use crate::client::{OpenAi, OpenAiError};

/// The cheapest of OpenAI's transcription models that is billed by tokens
/// (audio in, text out), so what it cost is known from its reply.
pub const DEFAULT_TRANSCRIBE_MODEL: &str = "gpt-4o-mini-transcribe";
/// A transcription not back by then (retries included) is given up:
/// nobody waits on the line, but a job should not hang either.
pub const DEFAULT_TRANSCRIBE_DEADLINE: Duration = Duration::from_secs(120);

impl From<OpenAiError> for TranscriptionError {
    fn from(error: OpenAiError) -> TranscriptionError {
        match error {
            OpenAiError::RateLimited(message) => TranscriptionError::RateLimited(message),
            OpenAiError::Unavailable(message) => TranscriptionError::Unavailable(message),
            OpenAiError::Quota(message) | OpenAiError::Refused(message) => TranscriptionError::Refused(message),
            OpenAiError::Invalid(message) => TranscriptionError::Invalid(message),
        }
    }
}

/// The reply to `response_format=json`.
#[derive(Debug, Deserialize)]
struct TranscriptionReply {
    text: Option<String>,
    #[serde(default)]
    usage: Option<serde_json::Value>,
}

/// `usage`, by its `type`.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum UsageReply {
    Tokens {
        #[serde(default)]
        input_tokens: u64,
        #[serde(default)]
        output_tokens: u64,
    },
    Duration {
        seconds: f64,
    },
}

/// What the provider counted; a shape this client does not know counts as
/// unreported rather than failing a transcript already paid for. The
/// realtime API's caller transcripts carry the same `usage`.
pub(crate) fn usage_of(raw: Option<serde_json::Value>) -> TranscriptionUsage {
    let Some(raw) = raw else { return TranscriptionUsage::Unreported };
    match serde_json::from_value::<UsageReply>(raw) {
        Ok(UsageReply::Tokens { input_tokens, output_tokens }) => {
            TranscriptionUsage::Tokens(ModelUsage { input_tokens, cached_input_tokens: 0, output_tokens })
        }
        Ok(UsageReply::Duration { seconds }) if seconds.is_finite() && seconds >= 0.0 => {
            TranscriptionUsage::AudioSeconds(seconds)
        }
        Ok(UsageReply::Duration { .. }) | Err(_) => {
            tracing::warn!("a transcription's usage is in a shape this client does not know");
            TranscriptionUsage::Unreported
        }
    }
}

impl OpenAi {
    /// Transcribes `audio` with `model`, retrying what may pass while
    /// `deadline` allows.
    pub async fn transcription(
        &self,
        model: &str,
        audio: &AudioClip,
        language: Option<&LanguageHint>,
        deadline: Instant,
    ) -> Result<Transcript, OpenAiError> {
        let form = || -> Result<Form, OpenAiError> {
            let file = Part::bytes(audio.bytes().to_vec())
                .file_name(audio.file_name())
                .mime_str(audio.format().mime_type())
                .map_err(|e| OpenAiError::Refused(format!("the audio's media type: {e}")))?;
            let form = Form::new().part("file", file).text("model", model.to_owned()).text("response_format", "json");
            Ok(match language {
                Some(language) => form.text("language", language.as_str().to_owned()),
                None => form,
            })
        };
        let mut retry = 0;
        let text = loop {
            // A form is consumed by its request: each attempt builds its own.
            let form = form()?;
            let failure = match self.send_with("audio/transcriptions", |request| request.multipart(form)).await {
                Ok(response) => match response.text().await {
                    Ok(text) => break text,
                    Err(error) => self.transport_failure(&error),
                },
                Err(failure) => failure,
            };
            self.wait_to_retry(failure, &mut retry, Some(deadline)).await?;
        };
        let reply: TranscriptionReply =
            serde_json::from_str(&text).map_err(|e| OpenAiError::Invalid(format!("transcription: {e}")))?;
        let text = reply.text.ok_or_else(|| OpenAiError::Invalid("a transcription without text".to_owned()))?;
        Ok(Transcript { text: text.trim().to_owned(), usage: usage_of(reply.usage) })
    }
}

/// The [`Transcriber`] port over OpenAI's (or a compatible server's) audio
/// transcriptions, with one model and a deadline for each transcription.
#[derive(Debug)]
pub struct OpenAiTranscriber {
    openai: OpenAi,
    model: String,
    deadline: Duration,
}

impl OpenAiTranscriber {
    /// `model` for every transcription, [`DEFAULT_TRANSCRIBE_DEADLINE`].
    pub fn new(openai: OpenAi, model: impl Into<String>) -> OpenAiTranscriber {
        OpenAiTranscriber { openai, model: model.into(), deadline: DEFAULT_TRANSCRIBE_DEADLINE }
    }

    /// Gives a transcription (its retries included) up after `deadline`.
    pub fn with_deadline(mut self, deadline: Duration) -> OpenAiTranscriber {
        self.deadline = deadline;
        self
    }
}

#[async_trait]
impl Transcriber for OpenAiTranscriber {
    fn model_id(&self) -> &str {
        &self.model
    }

    #[tracing::instrument(skip_all, fields(model = %self.model, bytes = audio.bytes().len()))]
    async fn transcribe(
        &self,
        audio: &AudioClip,
        language: Option<&LanguageHint>,
    ) -> Result<Transcript, TranscriptionError> {
        let deadline = Instant::now() + self.deadline;
        let work = self.openai.transcription(&self.model, audio, language, deadline);
        match tokio::time::timeout_at(deadline, work).await {
            Ok(transcript) => Ok(transcript?),
            Err(_) => Err(TranscriptionError::Timeout),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn usage_is_tokens_or_seconds_and_anything_else_is_unreported() {
        let tokens = json!({"type": "tokens", "input_tokens": 14, "input_token_details": {"text_tokens": 0, "audio_tokens": 14}, "output_tokens": 45, "total_tokens": 59});
        assert_eq!(
            usage_of(Some(tokens)),
            TranscriptionUsage::Tokens(ModelUsage { input_tokens: 14, cached_input_tokens: 0, output_tokens: 45 })
        );
        assert_eq!(usage_of(Some(json!({"type": "duration", "seconds": 9.5}))), TranscriptionUsage::AudioSeconds(9.5));
        assert_eq!(usage_of(Some(json!({"type": "duration", "seconds": -1}))), TranscriptionUsage::Unreported);
        assert_eq!(usage_of(Some(json!({"type": "minutes", "value": 1}))), TranscriptionUsage::Unreported);
        assert_eq!(usage_of(None), TranscriptionUsage::Unreported);
    }
}
