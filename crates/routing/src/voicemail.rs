//! A message transcribed by our own transcriber (when one is configured),
//! instead of by the telephony provider.
//!
//! The recording's webhook queues a [`VoicemailTranscription`] job (one per
//! recording). It reads the recording's audio ([`CallRecordings`]), has it
//! transcribed ([`Transcriber`]), meters what that cost, and hands the text
//! to the same path as the provider's transcription: card numbers removed,
//! kept on the callback, and the owner texted the gist instead of the plain
//! notice waiting for it. An attempt that fails for a while is retried as
//! jobs are; when the job gives up (a refusal, the shop's AI budget spent,
//! its last attempt) the owner gets the plain notice at once. Either way
//! they hear of the message once, and of its gist at most once.

use std::sync::Arc;

use async_trait::async_trait;
use frontdesk_billing::{Metering, TokenCount};
use frontdesk_core::TenantId;
use frontdesk_jobs::{HandlerError, JobContext, JobHandler, JobKind, JobQueue, NewJob};
use frontdesk_llm::{AudioClip, LanguageHint, Transcriber, TranscriptionUsage};
use frontdesk_tenant::{TenantProfile, TenantStore};
use serde_json::json;

use crate::callbacks::CallbackStore;
use crate::calls::CallStore;
use crate::ids::CallSid;
use crate::session::Callbacks;

/// The job kind of [`VoicemailTranscription`].
pub const TRANSCRIBE_VOICEMAIL: &str = "voicemail.transcribe";

/// Attempts before a transcription is given up (a few minutes of retries:
/// the owner's plain notice goes out after [`crate::TRANSCRIPTION_WAIT`]
/// anyway, and a gist later than that is still worth sending).
const MAX_ATTEMPTS: u32 = 6;

/// Why a recording's audio could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordingError {
    /// The provider has not finished the recording yet: try again shortly.
    #[error("the recording is not ready: {0}")]
    NotReady(String),
    /// Busy, down or unreachable: try again later.
    #[error("the recordings are unavailable: {0}")]
    Unavailable(String),
    /// Refused for good: not the provider's URL, credentials, too large.
    #[error("the recording cannot be read: {0}")]
    Refused(String),
}

/// The telephony provider's call recordings (Twilio's Recording resource).
#[async_trait]
pub trait CallRecordings: Send + Sync {
    /// The audio of the recording at `url` (as the provider's webhook named
    /// it). MUST return `Refused` without any request for a URL that is not
    /// one of the provider's recordings (it comes from a webhook), and
    /// `NotReady` while the provider is still processing it.
    async fn audio(&self, url: &str) -> Result<AudioClip, RecordingError>;
}

/// The job that transcribes the message `recording` (at `url`) left on
/// `call_sid`, once per recording.
pub fn transcription_job(tenant: &TenantId, call_sid: &CallSid, recording: &CallSid, url: &str) -> NewJob {
    let kind = JobKind::parse(TRANSCRIBE_VOICEMAIL).unwrap_or_else(|_| unreachable!("a valid kind"));
    NewJob::new(kind, json!({"call_sid": call_sid.as_str(), "recording_sid": recording.as_str(), "recording_url": url}))
        .for_tenant(tenant.clone())
        .unique_key(usage_key(call_sid, recording))
        .max_attempts(MAX_ATTEMPTS)
}

/// The job's unique key, and its usage record's key: the call's model use
/// counts it (`…:{call_sid}:…`).
fn usage_key(call_sid: &CallSid, recording: &CallSid) -> String {
    format!("{TRANSCRIBE_VOICEMAIL}:{call_sid}:{recording}")
}

/// The `voicemail.transcribe` job handler.
pub struct VoicemailTranscription {
    pub tenants: Arc<dyn TenantStore>,
    pub calls: Arc<dyn CallStore>,
    pub callbacks: Arc<dyn CallbackStore>,
    /// Where the owner's texts about messages are queued.
    pub jobs: Arc<dyn JobQueue>,
    /// Where the owner opens the callbacks (in the text about a message).
    pub link: String,
    pub recordings: Arc<dyn CallRecordings>,
    pub transcriber: Arc<dyn Transcriber>,
    /// Transcription tokens count toward the shop's AI spend.
    pub metering: Arc<Metering>,
}

/// Why no transcript came, and whether a later attempt may bring one.
struct Failure {
    reason: String,
    transient: bool,
}

fn retry(error: impl std::fmt::Display) -> HandlerError {
    HandlerError::Retry(error.to_string())
}

impl VoicemailTranscription {
    fn notices(&self) -> Callbacks {
        Callbacks { store: self.callbacks.clone(), jobs: self.jobs.clone(), link: self.link.clone() }
    }

    /// The message's text, with what the transcription cost metered.
    async fn transcript(
        &self,
        profile: &TenantProfile,
        call_sid: &CallSid,
        recording: &CallSid,
        url: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<String, Failure> {
        let tenant = profile.slug();
        match self.metering.standing(tenant, profile.timezone(), now).await {
            Ok(standing) if !standing.paid_ai => {
                return Err(Failure { reason: "the shop's AI budget is spent".to_owned(), transient: false });
            }
            Ok(_) => {}
            Err(error) => {
                return Err(Failure { reason: format!("reading the shop's AI budget: {error}"), transient: true });
            }
        }
        let audio = self.recordings.audio(url).await.map_err(|error| Failure {
            transient: !matches!(error, RecordingError::Refused(_)),
            reason: error.to_string(),
        })?;
        let language = LanguageHint::from_locale(profile.locale());
        let transcript = self
            .transcriber
            .transcribe(&audio, language.as_ref())
            .await
            .map_err(|error| Failure { transient: error.is_transient(), reason: error.to_string() })?;
        let model = self.transcriber.model_id();
        let key = usage_key(call_sid, recording);
        match transcript.usage {
            TranscriptionUsage::Tokens(usage) => {
                let tokens = TokenCount::text(usage.input_tokens, usage.cached_input_tokens, usage.output_tokens);
                // The transcript is in hand: a metering failure is logged,
                // never a second transcription.
                if let Err(error) = self.metering.record_tokens(tenant, &key, model, tokens, now).await {
                    tracing::error!(%error, tenant_id = %tenant, %call_sid, "could not meter a transcription");
                }
            }
            TranscriptionUsage::AudioSeconds(seconds) => {
                tracing::warn!(tenant_id = %tenant, model, seconds, "a transcription billed by the second is not metered (the price table prices tokens)");
            }
            TranscriptionUsage::Unreported => {}
        }
        Ok(transcript.text)
    }
}

#[async_trait]
impl JobHandler for VoicemailTranscription {
    fn kind(&self) -> JobKind {
        JobKind::parse(TRANSCRIBE_VOICEMAIL).unwrap_or_else(|_| unreachable!("a valid kind"))
    }

    async fn run(&self, context: &JobContext) -> Result<(), HandlerError> {
        let job = &context.job;
        let tenant =
            job.tenant.clone().ok_or_else(|| HandlerError::Permanent("transcription without a tenant".into()))?;
        let field = |name: &str| job.payload[name].as_str().map(str::to_owned);
        let (Some(call_sid), Some(recording), Some(url)) = (
            field("call_sid").and_then(|raw| CallSid::parse(&raw).ok()),
            field("recording_sid").and_then(|raw| CallSid::parse(&raw).ok()),
            field("recording_url"),
        ) else {
            return Err(HandlerError::Permanent("transcription without a call, recording or URL".into()));
        };
        let Some(record) = self.tenants.get_tenant(&tenant).await.map_err(retry)? else {
            tracing::info!(tenant_id = %tenant, %call_sid, "the tenant is gone: no message to transcribe");
            return Ok(());
        };
        let profile = &record.profile;
        let notices = self.notices();
        let now = context.clock.now();
        match self.callbacks.callback(&tenant, &call_sid).await.map_err(retry)? {
            None => {
                tracing::info!(tenant_id = %tenant, %call_sid, "the call has no callback: no message to transcribe");
                return Ok(());
            }
            // An earlier attempt kept the text and stopped short of the
            // owner's text: finish that, without paying for it again.
            Some(callback) if callback.transcript.is_some() => {
                let text = callback.transcript.as_deref();
                return notices.transcribed(self.calls.as_ref(), profile, &call_sid, text, now).await.map_err(retry);
            }
            Some(_) => {}
        }
        match self.transcript(profile, &call_sid, &recording, &url, now).await {
            Ok(text) => {
                notices.transcribed(self.calls.as_ref(), profile, &call_sid, Some(&text), now).await.map_err(retry)
            }
            Err(failure) if failure.transient && job.attempts < job.max_attempts => {
                Err(HandlerError::Retry(failure.reason))
            }
            Err(failure) => {
                // Given up: the owner hears of the message now, without its gist.
                tracing::warn!(tenant_id = %tenant, %call_sid, reason = %failure.reason, "a message could not be transcribed");
                notices.transcribed(self.calls.as_ref(), profile, &call_sid, None, now).await.map_err(retry)?;
                Err(HandlerError::Permanent(failure.reason))
            }
        }
    }
}
