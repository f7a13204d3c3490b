use std::sync::Arc;

use frontdesk_billing::{CustomerSetup, PeriodClose, UsageReporter};
use frontdesk_calendar::{
    BookingService, CALENDAR_DELETE, CALENDAR_INSERT, CALENDAR_PATCH, CalendarSync, ExternalCalendar,
};
use frontdesk_core::TenantId;
use frontdesk_core::{Clock, E164};
use frontdesk_google_calendar::{GoogleCalendar, GoogleCalendarConfig, ServiceAccountKey};
use frontdesk_jobs::{CronSchedule, JobKind, PingHandler, RecurringJob, Worker, WorkerConfig, WorkerId};
use frontdesk_llm::{AudioClip, AudioClipError, ClipFormat, MAX_AUDIO_BYTES, Transcriber};
use frontdesk_messaging::Messaging;
use frontdesk_rag::{Embedder, Retriever};
use frontdesk_routing::{
    BookingTexts, CallDurationCheck, CallLedger, CallRecordings, CallSid, CallStatus, CapAlerts, FlagReminders,
    KnowledgeReindex, LedgerCall, LedgerError, OutboundCalls, OutboxMessaging, OwnerNotices, PlaceCallError,
    PlanAllowance, RecordingError, ReminderTexts, VoicemailTranscription,
};

use crate::backend::Backend;
use crate::billing::Billing;
use crate::settings::Settings;

/// The outside services the worker's handlers use, as the settings select.
pub struct WorkerAdapters {
    /// Google Calendar, when configured (calendar sync jobs).
    pub calendar: Option<Arc<dyn ExternalCalendar>>,
    /// Where texts go.
    pub messaging: Arc<dyn Messaging>,
    /// Twilio's call records, when readable (call duration checks).
    pub ledger: Option<Arc<dyn CallLedger>>,
    /// Embeds shops' passages, when a model is configured (knowledge reindex).
    pub embedder: Option<Arc<dyn Embedder>>,
}

/// The embedders the settings configure: one for passages (reindex jobs,
/// patient) and one for callers' questions (on the call, quick to give up:
/// the words alone still answer).
#[derive(Clone)]
pub struct Embedders {
    pub passages: Arc<dyn Embedder>,
    pub questions: Arc<dyn Embedder>,
}

/// OpenAI (or a compatible server) when `FRONTDESK_OPENAI_API_KEY` is set.
pub fn build_embedders(settings: &Settings) -> anyhow::Result<Option<Embedders>> {
    use anyhow::Context;
    let Some(config) = openai_config(settings) else { return Ok(None) };
    let passages = frontdesk_openai::OpenAi::new(config.clone()).context("FRONTDESK_OPENAI_*")?;
    let questions = frontdesk_openai::OpenAi::new(frontdesk_openai::OpenAiConfig {
        timeout: std::time::Duration::from_millis(1_500),
        retries: 0,
        ..config
    })
    .context("FRONTDESK_OPENAI_*")?;
    Ok(Some(Embedders { passages: Arc::new(passages), questions: Arc::new(questions) }))
}

/// The language model for the turns the rules cannot serve, when
/// `FRONTDESK_OPENAI_API_KEY` is set: quick to give up (a caller is
/// waiting; the rules answer instead), no retry.
pub fn build_language_model(settings: &Settings) -> anyhow::Result<Option<Arc<dyn frontdesk_llm::LanguageModel>>> {
    use anyhow::Context;
    let Some(config) = openai_config(settings) else { return Ok(None) };
    let config =
        frontdesk_openai::OpenAiConfig { timeout: frontdesk_routing::dialogue::MODEL_DEADLINE, retries: 0, ..config };
    let model = frontdesk_openai::OpenAi::new(config).context("FRONTDESK_OPENAI_*")?;
    Ok(Some(Arc::new(model)))
}

/// The realtime voice model (OpenAI Realtime, `FRONTDESK_OPENAI_REALTIME_MODEL`
/// at `FRONTDESK_OPENAI_REALTIME_URL` or the URL derived from the base URL)
/// when `FRONTDESK_OPENAI_API_KEY` is set (the settings have checked that
/// the model has a price); `None` otherwise: no call is answered by it.
pub fn build_realtime_voice(settings: &Settings) -> anyhow::Result<Option<Arc<dyn frontdesk_llm::RealtimeVoice>>> {
    use anyhow::Context;
    let Some(openai) = settings.openai.as_ref() else { return Ok(None) };
    let mut config = frontdesk_openai::RealtimeConfig::new(openai.api_key.clone());
    if let Some(base) = &openai.base_url {
        config.base_url = base.clone();
    }
    config.realtime_url = openai.realtime_url.clone();
    if let Some(model) = &openai.realtime_model {
        config.model = model.clone();
    }
    let voice = frontdesk_openai::OpenAiRealtime::new(config).context("FRONTDESK_OPENAI_REALTIME_*")?;
    Ok(Some(Arc::new(voice)))
}

/// The model that transcribes what callers say on a realtime call (the
/// messages' transcription model), when a realtime voice is configured.
pub fn realtime_transcription_model(settings: &Settings) -> Option<String> {
    let openai = settings.openai.as_ref()?;
    Some(openai.transcribe_model.clone().unwrap_or_else(|| frontdesk_openai::DEFAULT_TRANSCRIBE_MODEL.to_owned()))
}

/// Messages left by callers, transcribed by our own model instead of the
/// telephony provider: what it takes to read a recording and transcribe it.
#[derive(Clone)]
pub struct MessageTranscription {
    pub transcriber: Arc<dyn Transcriber>,
    pub recordings: Arc<dyn CallRecordings>,
}

/// OpenAI's audio transcriptions (`FRONTDESK_OPENAI_TRANSCRIBE_MODEL`, by
/// default `gpt-4o-mini-transcribe`) over recordings read from Twilio's
/// REST API, when both `FRONTDESK_OPENAI_API_KEY` and
/// `FRONTDESK_TWILIO_ACCOUNT_SID` are set; `None` otherwise, and Twilio
/// transcribes messages as before.
pub fn build_message_transcription(settings: &Settings) -> anyhow::Result<Option<MessageTranscription>> {
    use anyhow::Context;
    let (Some(config), Some(rest)) = (openai_config(settings), twilio_rest(settings)?) else { return Ok(None) };
    // No caller waits: a minute for each attempt, and the job retries.
    let config = frontdesk_openai::OpenAiConfig { timeout: std::time::Duration::from_secs(60), retries: 1, ..config };
    let model = settings.openai.as_ref().and_then(|openai| openai.transcribe_model.clone());
    let model = model.unwrap_or_else(|| frontdesk_openai::DEFAULT_TRANSCRIBE_MODEL.to_owned());
    let openai = frontdesk_openai::OpenAi::new(config).context("FRONTDESK_OPENAI_*")?;
    Ok(Some(MessageTranscription {
        transcriber: Arc::new(frontdesk_openai::OpenAiTranscriber::new(openai, model)),
        recordings: Arc::new(TwilioCallRecordings(rest)),
    }))
}

/// Routing's `CallRecordings` over Twilio's recordings: the MP3 of a
/// webhook's `RecordingUrl`, from Twilio's API host only.
struct TwilioCallRecordings(frontdesk_twilio::TwilioRest);

#[async_trait::async_trait]
impl CallRecordings for TwilioCallRecordings {
    async fn audio(&self, url: &str) -> Result<AudioClip, RecordingError> {
        use frontdesk_twilio::RecordingFetchError;
        let media = self.0.fetch_recording(url, MAX_AUDIO_BYTES).await.map_err(|error| match error {
            RecordingFetchError::NotFound(_) => RecordingError::NotReady(error.to_string()),
            RecordingFetchError::RateLimited { .. } | RecordingFetchError::Unavailable(_) => {
                RecordingError::Unavailable(error.to_string())
            }
            RecordingFetchError::ForeignUrl(_)
            | RecordingFetchError::Rejected(_)
            | RecordingFetchError::TooLarge(_) => RecordingError::Refused(error.to_string()),
        })?;
        // The MP3 was asked for; a media type we do not know is taken as that.
        let format = media.content_type.as_deref().and_then(ClipFormat::from_mime_type).unwrap_or(ClipFormat::Mp3);
        AudioClip::new(media.bytes, format).map_err(|error| match error {
            AudioClipError::Empty => RecordingError::NotReady(error.to_string()),
            AudioClipError::TooLarge(_) => RecordingError::Refused(error.to_string()),
        })
    }
}

fn openai_config(settings: &Settings) -> Option<frontdesk_openai::OpenAiConfig> {
    let openai = settings.openai.as_ref()?;
    let mut config = frontdesk_openai::OpenAiConfig::new(openai.api_key.clone());
    if let Some(base) = &openai.base_url {
        config.base_url = base.clone();
    }
    if let Some(model) = &openai.embed_model {
        config.embed_model = model.clone();
    }
    if openai.embed_dims.is_some() {
        config.embed_dims = openai.embed_dims;
    }
    if let Some(model) = &openai.chat_model {
        config.chat_model = model.clone();
    }
    Some(config)
}

/// The job worker with every handler this build knows (calendar sync only
/// when an external calendar is configured).
pub fn build_worker(
    backend: &Backend,
    settings: &Settings,
    adapters: WorkerAdapters,
    billing: &Billing,
    clock: Arc<dyn Clock>,
    name: &str,
) -> Worker {
    let WorkerAdapters { calendar, messaging, ledger, embedder } = adapters;
    // A shop whose texting registration is not approved does not text: its
    // texts wait in the outbox with the reason, and are tried again.
    let messaging: Arc<dyn Messaging> =
        Arc::new(frontdesk_provisioning::RegistrationGate::new(messaging, backend.provisioning.clone()));
    // Registrations and port-ins are asked about on a schedule, with a Twilio account.
    let provisioning = match crate::provisioning::build_provisioning(backend, settings, clock.clone()) {
        Ok(provisioning) => provisioning.sells_numbers().then_some(provisioning),
        Err(error) => {
            tracing::error!(%error, "texting registrations will not be refreshed");
            None
        }
    };
    // Notifications: owners' texts go out like every text (through the gate).
    let notifiers = crate::notify::build_notifiers(backend, settings, billing, messaging.clone(), clock.clone());
    let mut config = WorkerConfig::new(WorkerId::generate(name));
    config.concurrency = settings.worker_concurrency;
    config.lease = chrono::Duration::seconds(i64::from(settings.worker_lease_secs));
    config.poll_interval = std::time::Duration::from_millis(settings.worker_poll_ms);
    config.shutdown_grace = std::time::Duration::from_secs(settings.worker_shutdown_grace_secs);
    let mut worker = Worker::new(backend.leases.clone(), backend.effects.clone(), clock.clone(), config)
        .reporting_to(backend.job_admin.clone())
        .recurring(backend.schedules.clone(), recurring_jobs(provisioning.is_some()))
        .handler(Arc::new(PingHandler))
        .handler(Arc::new(BookingTexts {
            tenants: backend.tenants.clone(),
            bookings: backend.bookings.clone(),
            messages: backend.messages.clone(),
            messaging: messaging.clone(),
            flags: billing.flags.clone(),
            metering: billing.metering.clone(),
        }))
        .handler(Arc::new(ReminderTexts {
            tenants: backend.tenants.clone(),
            bookings: backend.bookings.clone(),
            messages: backend.messages.clone(),
            messaging: messaging.clone(),
            switch: Arc::new(FlagReminders::new(billing.flags.clone())),
            metering: billing.metering.clone(),
        }))
        .handler(Arc::new(OwnerNotices { tenants: backend.tenants.clone(), queue: backend.jobs.clone() }))
        .handler(Arc::new(CapAlerts {
            tenants: backend.tenants.clone(),
            messages: backend.messages.clone(),
            messaging,
            metering: billing.metering.clone(),
        }))
        .handler(Arc::new(PeriodClose { ports: billing.ports.clone() }));
    match notifiers {
        Ok(notifiers) => {
            worker = crate::notify::with_notifications(worker, backend, settings, notifiers, clock.clone());
        }
        Err(error) => tracing::error!(error = format!("{error:#}"), "notifications cannot be delivered"),
    }
    if let Some(provider) = &billing.provider {
        worker = worker
            .handler(Arc::new(UsageReporter { provider: provider.clone() }))
            .handler(Arc::new(CustomerSetup { ports: billing.ports.clone(), provider: provider.clone() }));
    }
    if let Some(ledger) = ledger {
        worker = worker.handler(Arc::new(CallDurationCheck {
            calls: backend.calls.clone(),
            ledger,
            allowance: Arc::new(PlanAllowance::new(billing.flags.clone(), billing.metering.clone())),
        }));
    }
    if let Some(provisioning) = provisioning {
        worker = worker.handler(Arc::new(frontdesk_provisioning::ProvisioningRefresh { provisioning }));
    }
    match build_message_transcription(settings) {
        Ok(Some(MessageTranscription { transcriber, recordings })) => {
            let base = settings.public_base_url.as_str().trim_end_matches('/');
            worker = worker.handler(Arc::new(VoicemailTranscription {
                tenants: backend.tenants.clone(),
                calls: backend.calls.clone(),
                callbacks: backend.callbacks.clone(),
                jobs: backend.jobs.clone(),
                link: format!("{base}/app/callbacks"),
                recordings,
                transcriber,
                metering: billing.metering.clone(),
            }));
        }
        Ok(None) => {}
        Err(error) => tracing::error!(error = format!("{error:#}"), "messages cannot be transcribed"),
    }
    if let Some(embedder) = embedder {
        worker = worker.handler(Arc::new(KnowledgeReindex {
            tenants: backend.tenants.clone(),
            retriever: Arc::new(Retriever::new(backend.knowledge.clone())),
            embedder,
            metering: billing.metering.clone(),
        }));
    }
    if let Some(calendar) = calendar {
        for kind in [CALENDAR_INSERT, CALENDAR_PATCH, CALENDAR_DELETE] {
            worker = worker.handler(Arc::new(CalendarSync {
                kind,
                tenants: backend.tenants.clone(),
                bookings: backend.bookings.clone(),
                calendar: calendar.clone(),
            }));
        }
    }
    worker
}

/// Jobs every deployment runs on a schedule: closing the billing period
/// (finalizing last month's invoices) daily at 06:00 UTC; with a Twilio
/// account, asking where texting registrations and port-ins stand, hourly. A missed or
/// repeated run changes nothing.
fn recurring_jobs(registrations: bool) -> Vec<RecurringJob> {
    let schedule = CronSchedule::parse("0 6 * * *").unwrap_or_else(|e| unreachable!("a valid schedule: {e}"));
    let kind = JobKind::parse(PeriodClose::KIND).unwrap_or_else(|e| unreachable!("a valid kind: {e}"));
    let mut jobs =
        vec![RecurringJob { name: "billing.close_period".to_owned(), schedule, kind, payload: serde_json::json!({}) }];
    if registrations {
        let schedule = CronSchedule::parse("17 * * * *").unwrap_or_else(|e| unreachable!("a valid schedule: {e}"));
        let kind = JobKind::parse(frontdesk_provisioning::REFRESH_PROVISIONING)
            .unwrap_or_else(|e| unreachable!("a valid kind: {e}"));
        let name = frontdesk_provisioning::REFRESH_PROVISIONING.to_owned();
        jobs.push(RecurringJob { name, schedule, kind, payload: serde_json::json!({}) });
    }
    jobs.extend(crate::notify::recurring_jobs());
    jobs
}

/// The external calendar the settings configure: Google Calendar when a
/// platform key file or a directory of per-tenant keys is given, else none
/// (the built-in calendar alone). A key that cannot be used stops startup.
pub fn build_external_calendar(
    settings: &Settings,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<Option<Arc<dyn ExternalCalendar>>> {
    use anyhow::Context;
    if settings.google_service_account_file.is_none() && settings.google_tenant_keys_dir.is_none() {
        return Ok(None);
    }
    let mut config = GoogleCalendarConfig::default();
    if let Some(base) = &settings.google_calendar_base_url {
        config.api_base = base.clone();
    }
    if let Some(path) = &settings.google_service_account_file {
        config.platform_key = Some(
            ServiceAccountKey::from_file(path)
                .with_context(|| format!("FRONTDESK_GOOGLE_SERVICE_ACCOUNT_FILE: {}", path.display()))?,
        );
    }
    if let Some(dir) = &settings.google_tenant_keys_dir {
        let entries =
            std::fs::read_dir(dir).with_context(|| format!("FRONTDESK_GOOGLE_TENANT_KEYS_DIR: {}", dir.display()))?;
        for entry in entries {
            let path = entry.context("FRONTDESK_GOOGLE_TENANT_KEYS_DIR")?.path();
            let Some(stem) = path.extension().filter(|e| *e == "json").and(path.file_stem()).and_then(|s| s.to_str())
            else {
                continue;
            };
            let tenant = TenantId::parse(stem).with_context(|| {
                format!("FRONTDESK_GOOGLE_TENANT_KEYS_DIR: {} is not named <tenant slug>.json", path.display())
            })?;
            let key = ServiceAccountKey::from_file(&path)
                .with_context(|| format!("FRONTDESK_GOOGLE_TENANT_KEYS_DIR: {}", path.display()))?;
            config.tenant_keys.insert(tenant, key);
        }
    }
    let calendar = GoogleCalendar::new(config, clock).context("configuring Google Calendar")?;
    Ok(Some(Arc::new(calendar)))
}

/// Where texts go: Twilio's Messages API when `FRONTDESK_TWILIO_ACCOUNT_SID`
/// is set, else the embedded outbox (recorded, never sent anywhere).
pub fn build_messaging(settings: &Settings) -> anyhow::Result<Arc<dyn Messaging>> {
    Ok(match twilio_rest(settings)? {
        Some(rest) => Arc::new(rest),
        None => Arc::new(OutboxMessaging),
    })
}

/// Twilio's call records, read to check what finished calls cost, when
/// `FRONTDESK_TWILIO_ACCOUNT_SID` is set.
pub fn build_call_ledger(settings: &Settings) -> anyhow::Result<Option<Arc<dyn CallLedger>>> {
    Ok(twilio_rest(settings)?.map(|rest| Arc::new(TwilioCallLedger(rest)) as Arc<dyn CallLedger>))
}

/// Calls placed through Twilio (calling customers back), when
/// `FRONTDESK_TWILIO_ACCOUNT_SID` is set; `None` in the embedded default.
pub fn build_outbound_calls(settings: &Settings) -> anyhow::Result<Option<Arc<dyn OutboundCalls>>> {
    Ok(twilio_rest(settings)?.map(|rest| Arc::new(TwilioOutboundCalls(rest)) as Arc<dyn OutboundCalls>))
}

/// Routing's `OutboundCalls` over Twilio's Calls API (here, so the adapter
/// crate stays below the domain).
struct TwilioOutboundCalls(frontdesk_twilio::TwilioRest);

#[async_trait::async_trait]
impl OutboundCalls for TwilioOutboundCalls {
    async fn place_call(&self, from: &E164, to: &E164, url: &str, status_url: &str) -> Result<CallSid, PlaceCallError> {
        use frontdesk_twilio::CallCreateError;
        let placed = self.0.create_call(from.as_str(), to.as_str(), url, status_url).await;
        let sid = placed.map_err(|error| match error {
            CallCreateError::RateLimited { .. } | CallCreateError::Unavailable(_) => {
                PlaceCallError::Unavailable(error.to_string())
            }
            CallCreateError::Rejected(_) | CallCreateError::Unexpected(_) => {
                PlaceCallError::Rejected(error.to_string())
            }
        })?;
        CallSid::parse(&sid).map_err(|e| PlaceCallError::Rejected(format!("Twilio's new call id does not read: {e}")))
    }
}

/// Twilio's REST client for the platform's account, every host's base URL
/// as the settings say, when `FRONTDESK_TWILIO_ACCOUNT_SID` is set.
pub(crate) fn twilio_rest(settings: &Settings) -> anyhow::Result<Option<frontdesk_twilio::TwilioRest>> {
    use anyhow::Context;
    use secrecy::ExposeSecret;
    let Some(account_sid) = &settings.twilio_account_sid else { return Ok(None) };
    let mut config = frontdesk_twilio::TwilioRestConfig::new(
        account_sid.clone(),
        settings.twilio_auth_token.expose_secret().to_owned(),
    );
    if let Some(base) = &settings.twilio_api_base_url {
        config.base_url = base.trim_end_matches('/').to_owned();
    }
    for (base, field) in [
        (&settings.twilio_numbers_base_url, &mut config.numbers_base_url),
        (&settings.twilio_messaging_base_url, &mut config.messaging_base_url),
        (&settings.twilio_trusthub_base_url, &mut config.trusthub_base_url),
    ] {
        if let Some(base) = base {
            *field = base.trim_end_matches('/').to_owned();
        }
    }
    config.status_callback = None;
    frontdesk_twilio::TwilioRest::new(config).map(Some).context("FRONTDESK_TWILIO_ACCOUNT_SID")
}

/// The routing domain's `CallLedger` over Twilio's Call resource: the
/// adapter crate stays below the domain, so the two meet here.
struct TwilioCallLedger(frontdesk_twilio::TwilioRest);

#[async_trait::async_trait]
impl CallLedger for TwilioCallLedger {
    async fn call(&self, call_sid: &CallSid) -> Result<Option<LedgerCall>, LedgerError> {
        use frontdesk_twilio::CallFetchError;
        let record = match self.0.fetch_call(call_sid.as_str()).await {
            Ok(record) => record,
            Err(error @ (CallFetchError::RateLimited { .. } | CallFetchError::Unavailable(_))) => {
                return Err(LedgerError::Unavailable(error.to_string()));
            }
            Err(error @ (CallFetchError::Rejected(_) | CallFetchError::Unexpected(_))) => {
                return Err(LedgerError::Refused(error.to_string()));
            }
        };
        record
            .map(|record| {
                let status = CallStatus::parse(&record.status).map_err(|e| LedgerError::Refused(e.to_string()))?;
                Ok(LedgerCall { status, duration_secs: record.duration_secs })
            })
            .transpose()
    }
}

/// The booking service over the backend's booking store and, when one is
/// configured, the external calendar.
pub fn build_booking_service(
    backend: &Backend,
    settings: &Settings,
    billing: &Billing,
    calendar: Option<Arc<dyn ExternalCalendar>>,
    clock: Arc<dyn Clock>,
) -> BookingService {
    let service = BookingService::new(backend.bookings.clone(), clock)
        .with_hold_ttl(chrono::Duration::minutes(i64::from(settings.hold_minutes)))
        .with_reminders(Arc::new(FlagReminders::new(billing.flags.clone())), backend.jobs.clone());
    match calendar {
        Some(calendar) => service.with_external_calendar(calendar),
        None => service,
    }
}
