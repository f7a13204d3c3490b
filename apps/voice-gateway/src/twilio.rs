//! Twilio's webhooks: `/twilio/voice` (a call starts), `/twilio/gather`
//! (each turn), `/twilio/continue` (a slow turn's answer), `/twilio/dial-done`,
//! `/twilio/recording`, `/twilio/status` and `/twilio/sms`.
//!
//! A turn not answered within [`FILLER_AFTER`] (a language model thinking)
//! is answered with a short filler phrase and a redirect to
//! `/twilio/continue`, which returns the turn's answer once it is saved: the
//! caller never waits in silence for long. The turn goes on meanwhile and
//! is saved once, as any turn, so retries of either request are harmless.
//!
//! A message the caller leaves is transcribed by Twilio (`/twilio/transcription`)
//! or, with a transcriber of our own, by a job `/twilio/recording` queues;
//! never by both.
//!
//! Every request must carry a valid `X-Twilio-Signature` computed over
//! `FRONTDESK_PUBLIC_BASE_URL` + path + query (never the Host header);
//! anything else gets 403 and changes nothing. A repeated turn (Twilio
//! retries) gets the TwiML it got the first time.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, OriginalUri, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use frontdesk_core::E164;
use frontdesk_provisioning::Clearance;
use frontdesk_routing::{
    Answer, CallError, CallSession, CallSid, CallStatus, CallerInput, Dialogue, InboundText, InboundTexts,
    IncomingCall, Next, StatusReport, StreamEnd, TransferEnded, TurnNumber,
};
use frontdesk_tenant::{NumberLookup, TenantDirectory, TenantProfile, TenantRecord, TenantStatus};
use frontdesk_twilio::twiml::{
    Dial, Gather, GatherInput, Message, MessagingResponse, Method, Number, Record, Redirect, Say, SpeechTimeout,
    VoiceResponse,
};

use crate::app::AppState;

/// What the webhooks are given by whoever builds the gateway.
#[derive(Clone)]
pub struct TwilioSettings {
    /// `https://frontdesk.example.com`, no trailing slash.
    pub public_base_url: String,
    pub validator: Arc<frontdesk_twilio::RequestValidator>,
    pub dialogue: Arc<Dialogue>,
    /// Twilio's call records can be read (`FRONTDESK_TWILIO_ACCOUNT_SID`): a
    /// finished call's duration is checked against them by a job.
    pub check_durations: bool,
    /// Messages left are transcribed by our own transcriber (a job queued
    /// with the recording), not by Twilio: `FRONTDESK_OPENAI_API_KEY` and
    /// `FRONTDESK_TWILIO_ACCOUNT_SID` are both set.
    pub transcribe_messages: bool,
}

/// The webhooks wired: the call session serves every call webhook, the
/// directory says which shop a number belongs to.
#[derive(Clone)]
pub struct Telephony {
    pub public_base_url: String,
    pub validator: Arc<frontdesk_twilio::RequestValidator>,
    pub session: Arc<CallSession>,
    pub texts: Arc<InboundTexts>,
    pub directory: Arc<TenantDirectory>,
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/twilio/voice", post(voice))
        .route("/twilio/gather", post(gather))
        .route("/twilio/continue", post(continuation))
        .route("/twilio/dial-done", post(dial_done))
        .route(crate::realtime::STREAM_DONE_PATH, post(stream_done))
        .route("/twilio/whisper", post(whisper))
        .route("/twilio/whisper-accept", post(whisper_accept))
        .route("/twilio/recording", post(recording))
        .route("/twilio/transcription", post(transcription))
        .route("/twilio/callback-bridge", post(callback_bridge))
        .route("/twilio/callback-connect", post(callback_connect))
        .route("/twilio/callback-done", post(callback_done))
        .route("/twilio/callback-status", post(callback_status))
        .route("/twilio/status", post(status))
        .route("/twilio/sms", post(sms))
}

/// The shop a webhook is for, from the called number (`To`).
enum Shop {
    Active(Arc<TenantRecord>),
    /// Nobody owns the number, or its shop is disabled.
    NotInService,
    /// The store could not say; the shop the number last belonged to, if
    /// this process knows it.
    Unavailable(Option<Arc<TenantRecord>>),
}

/// A Twilio webhook whose signature checked out, with the shop it is for.
///
/// As an extractor it answers 404 when Twilio is not configured and 403 when
/// the signature is missing or wrong, before any handler runs.
struct Webhook {
    params: Vec<(String, String)>,
    query: Vec<(String, String)>,
    shop: Shop,
    telephony: Telephony,
}

impl Webhook {
    fn get(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    fn query(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The active shop and the call this webhook is about, or why it is
    /// answered without reaching the call session.
    fn call(&self) -> Result<(&TenantProfile, CallSid), Early> {
        let profile = match &self.shop {
            Shop::Active(record) => &record.profile,
            Shop::NotInService => return Err(Early::NotInService),
            Shop::Unavailable(known) => return Err(Early::Trouble(known.clone())),
        };
        let call_sid =
            CallSid::parse(self.get("CallSid").unwrap_or_default()).map_err(|e| Early::BadRequest(e.to_string()))?;
        Ok((profile, call_sid))
    }

    /// The called shop's record, when it is served.
    fn record(&self) -> Option<Arc<TenantRecord>> {
        match &self.shop {
            Shop::Active(record) => Some(record.clone()),
            _ => None,
        }
    }

    /// An optional id field (`DialCallSid`, `RecordingSid`); a malformed one is ignored.
    fn reference(&self, name: &str) -> Option<CallSid> {
        self.get(name).and_then(|raw| CallSid::parse(raw).ok())
    }
}

/// Webhooks of a leg that rings the owner (a warm transfer, a call back).
const OWNER_LEG_PATHS: [&str; 6] = [
    "/twilio/whisper",
    "/twilio/whisper-accept",
    "/twilio/callback-bridge",
    "/twilio/callback-connect",
    "/twilio/callback-done",
    "/twilio/callback-status",
];

fn xml(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}

/// The API's error shape: `{"error": {"code", "message", "details"}}`.
fn error_json(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({"error": {"code": code, "message": message, "details": []}});
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

/// A signed request whose fields cannot be read: 400, nothing changes.
fn bad_request(reason: &str) -> Response {
    tracing::warn!(reason, "refused a Twilio webhook with a malformed field");
    error_json(StatusCode::BAD_REQUEST, "bad_request", reason)
}

/// Why a webhook was refused (403, nothing changes).
enum Forbidden {
    MissingSignature,
    /// The signature does not match what we compute over this URL.
    InvalidSignature {
        url: String,
    },
}

impl IntoResponse for Forbidden {
    fn into_response(self) -> Response {
        match self {
            Forbidden::MissingSignature => {
                tracing::warn!("rejected a Twilio webhook without X-Twilio-Signature");
                error_json(StatusCode::FORBIDDEN, "missing_signature", "missing X-Twilio-Signature")
            }
            Forbidden::InvalidSignature { url } => {
                tracing::warn!(
                    %url,
                    "rejected a Twilio webhook: its signature does not match this URL; if Twilio sent it, the Twilio auth token or FRONTDESK_PUBLIC_BASE_URL differs from the one Twilio uses"
                );
                error_json(
                    StatusCode::FORBIDDEN,
                    "invalid_signature",
                    "X-Twilio-Signature does not match; check the Twilio auth token and FRONTDESK_PUBLIC_BASE_URL",
                )
            }
        }
    }
}

impl FromRequest<AppState> for Webhook {
    type Rejection = Response;

    /// Checks the signature over the public URL and the form body, with the
    /// called tenant's own Twilio token when it has one, else the platform's.
    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let Some(telephony) = state.twilio.clone() else { return Err(StatusCode::NOT_FOUND.into_response()) };
        let (mut parts, body) = request.into_parts();
        let Ok(OriginalUri(uri)) = OriginalUri::from_request_parts(&mut parts, state).await;
        let headers = parts.headers.clone();
        let body =
            Bytes::from_request(Request::from_parts(parts, body), state).await.map_err(IntoResponse::into_response)?;
        let params: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
        // A warm transfer's leg to the owner is a call *from* the shop's
        // number: its webhooks name the shop in `From`.
        let shop_field = if OWNER_LEG_PATHS.contains(&uri.path()) { "From" } else { "To" };
        let called = params.iter().find(|(k, _)| k == shop_field).and_then(|(_, v)| E164::parse(v).ok());
        let lookup = match &called {
            Some(number) => telephony.directory.by_number(number).await,
            None => NumberLookup::NotFound,
        };
        let (record, shop) = match lookup {
            NumberLookup::Found(record) if record.status == TenantStatus::Active => {
                (Some(record.clone()), Shop::Active(record))
            }
            NumberLookup::Found(record) => (Some(record), Shop::NotInService),
            NumberLookup::NotFound => (None, Shop::NotInService),
            NumberLookup::Unavailable { last_known, error } => {
                tracing::error!(%error, known = last_known.is_some(), "could not look up the called number");
                let active = last_known.clone().filter(|r| r.status == TenantStatus::Active);
                (last_known, Shop::Unavailable(active))
            }
        };
        let own_token = record.as_ref().and_then(|r| r.profile.twilio_auth_token().map(str::to_owned));
        let validator = match own_token {
            Some(token) => Arc::new(frontdesk_twilio::RequestValidator::new(&token)),
            None => telephony.validator.clone(),
        };
        verify(&validator, &telephony.public_base_url, &uri, &headers, &params).map_err(IntoResponse::into_response)?;
        let query = url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()).into_owned().collect();
        if let Shop::Active(record) | Shop::Unavailable(Some(record)) = &shop {
            tracing::Span::current().record("tenant_id", record.profile.slug().as_str());
        }
        Ok(Webhook { params, query, shop, telephony })
    }
}

/// Checks the signature over the public URL and the form parameters.
fn verify(
    validator: &frontdesk_twilio::RequestValidator,
    public_base_url: &str,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    params: &[(String, String)],
) -> Result<(), Forbidden> {
    let signature =
        headers.get("x-twilio-signature").and_then(|v| v.to_str().ok()).ok_or(Forbidden::MissingSignature)?;
    let path_and_query = uri.path_and_query().map(|p| p.as_str()).unwrap_or(uri.path());
    let url = format!("{public_base_url}{path_and_query}");
    if !validator.validate(&url, params, signature) {
        return Err(Forbidden::InvalidSignature { url });
    }
    Ok(())
}

fn not_in_service() -> Response {
    xml(VoiceResponse::new().say(Say::new("Sorry, this number is not in service. Goodbye.")).hangup().to_xml())
}

/// Something failed on our side: the caller hears an apology and reaches the
/// shop's owner when we know the shop, never silence or a provider error.
fn trouble(shop: Option<&TenantProfile>) -> Response {
    match shop {
        Some(profile) => {
            let answer = Answer {
                say: format!(
                    "Sorry, I'm having trouble right now. Let me connect you with someone at {}.",
                    profile.name()
                ),
                next: Next::Transfer { to: profile.owner_phone().clone() },
                listen_turn: TurnNumber::FIRST,
            };
            // A transfer: no message to transcribe.
            xml(render(profile, &answer, Transcription::Provider))
        }
        None => xml(VoiceResponse::new()
            .say(Say::new(
                "Sorry, we're having trouble answering right now. Please call back in a few minutes. Goodbye.",
            ))
            .hangup()
            .to_xml()),
    }
}

/// Why a webhook is answered without reaching the call session.
enum Early {
    /// Nobody (active) owns the called number.
    NotInService,
    /// The store could not say whose number it is.
    Trouble(Option<Arc<TenantRecord>>),
    /// A field is malformed (only a forged or broken request has that).
    BadRequest(String),
}

impl IntoResponse for Early {
    fn into_response(self) -> Response {
        match self {
            Early::NotInService => not_in_service(),
            Early::Trouble(known) => trouble(known.as_ref().map(|record| &record.profile)),
            Early::BadRequest(reason) => bad_request(&reason),
        }
    }
}

/// Who transcribes a message the caller leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transcription {
    /// Twilio, asked in `<Record>`; its transcription arrives at `/twilio/transcription`.
    Provider,
    /// Our own transcriber, by a job the recording's webhook queues.
    Ours,
}

impl Telephony {
    /// Never both: each transcription is paid for.
    fn transcription(&self, profile: &TenantProfile) -> Transcription {
        if self.session.transcribes_messages(profile) { Transcription::Ours } else { Transcription::Provider }
    }
}

/// The TwiML for what the caller hears next.
fn render(profile: &TenantProfile, answer: &Answer, transcription: Transcription) -> String {
    let say = Say::new(&answer.say).voice("Polly.Joanna").language(profile.locale());
    let response = VoiceResponse::new();
    match &answer.next {
        Next::Listen => {
            let hints: Vec<String> = profile.services().iter().map(|s| s.name().to_lowercase()).take(10).collect();
            response
                .gather(
                    Gather::new()
                        .input(GatherInput::SpeechDtmf)
                        .action(format!("/twilio/gather?turn={}", answer.listen_turn))
                        .method(Method::Post)
                        .speech_timeout(SpeechTimeout::Auto)
                        .timeout(6)
                        .action_on_empty_result(true)
                        .language(profile.locale())
                        .hints(hints.join(", "))
                        .say(say),
                )
                .to_xml()
        }
        Next::Transfer { to } | Next::WarmTransfer { to } => {
            let number = match &answer.next {
                // The owner hears who is calling and presses 1 to take it;
                // the caller hears ringing until then (answerOnBridge).
                Next::WarmTransfer { .. } => Number::new(to.as_str()).url("/twilio/whisper"),
                _ => Number::new(to.as_str()),
            };
            let caller_id = profile.phone_numbers().first().map(E164::to_string).unwrap_or_default();
            response
                .say(say)
                .dial(
                    Dial::new()
                        .action("/twilio/dial-done")
                        .caller_id(caller_id)
                        .timeout(20)
                        .answer_on_bridge(true)
                        .number(number),
                )
                .to_xml()
        }
        Next::Voicemail => {
            let record = Record::new().action("/twilio/recording").max_length(120).play_beep(true).timeout(5);
            let record = match transcription {
                Transcription::Provider => record.transcribe(true).transcribe_callback("/twilio/transcription"),
                Transcription::Ours => record,
            };
            response.say(say).record(record).say(Say::new("I didn't get a message. Goodbye.")).hangup().to_xml()
        }
        Next::Hangup if answer.say.is_empty() => response.hangup().to_xml(),
        Next::Hangup => response.say(say).hangup().to_xml(),
    }
}

/// A call webhook's answer, or the apology when the call could not be served.
fn answer_or_trouble(telephony: &Telephony, profile: &TenantProfile, answer: Result<Answer, CallError>) -> Response {
    match answer {
        Ok(answer) => xml(render(profile, &answer, telephony.transcription(profile))),
        Err(error) => {
            tracing::error!(%error, "could not serve a call webhook; handing the caller to the owner");
            trouble(Some(profile))
        }
    }
}

async fn voice(State(state): State<AppState>, webhook: Webhook) -> Response {
    let (profile, call_sid) = match webhook.call() {
        Ok(call) => call,
        Err(early) => return early.into_response(),
    };
    // The shop was found by this number, so it parses.
    let Some(called) = webhook.get("To").and_then(|to| E164::parse(to).ok()) else { return not_in_service() };
    let caller = webhook.get("From").and_then(|from| E164::parse(from).ok());
    let now = state.clock.now();
    let call = IncomingCall { call_sid: call_sid.clone(), caller, called };
    let started = webhook.telephony.session.start_call(profile, call, now).await;
    // An eligible call is answered by the realtime model when its session
    // opens now (while the phone rings); otherwise turn by turn.
    if let (Some(start), Some(streams), Some(record)) = (started.realtime, &state.realtime, webhook.record())
        && streams.open_and_park(record, &call_sid, start).await
    {
        let twiml = crate::realtime::connect_stream_twiml(
            &webhook.telephony.public_base_url,
            &streams.tokens,
            profile.slug(),
            call_sid.as_str(),
            now,
            crate::realtime::STREAM_DONE_PATH,
            &[("tenant", profile.slug().as_str())],
        );
        return xml(twiml);
    }
    xml(render(profile, &started.answer, webhook.telephony.transcription(profile)))
}

/// A call's realtime stream ended (`<Connect action>`): nothing more for a
/// caller who hung up; otherwise the call goes on turn by turn, its state
/// kept (an apology after a model failure, the offer of a person after the
/// call's time with the model). Never silence: a stream whose end nobody
/// recorded is taken for a failure.
async fn stream_done(State(state): State<AppState>, webhook: Webhook) -> Response {
    let (profile, call_sid) = match webhook.call() {
        Ok(call) => call,
        Err(early) => return early.into_response(),
    };
    let hung_up = matches!(webhook.get("CallStatus"), Some("completed" | "busy" | "failed" | "no-answer" | "canceled"));
    let end = if hung_up {
        if let Some(streams) = &state.realtime {
            streams.forget_end(&call_sid);
        }
        StreamEnd::HungUp
    } else {
        let recorded = match &state.realtime {
            Some(streams) => streams.stream_end(&call_sid).await,
            None => None,
        };
        match recorded {
            // Twilio asks for the action only while the call is up: the
            // stream stopped under a caller who is still there.
            Some(StreamEnd::HungUp) | None => StreamEnd::ModelFailed,
            Some(end) => end,
        }
    };
    let answer = webhook.telephony.session.stream_ended(profile, &call_sid, end, state.clock.now()).await;
    answer_or_trouble(&webhook.telephony, profile, answer)
}

async fn gather(State(state): State<AppState>, webhook: Webhook) -> Response {
    let (profile, call_sid) = match webhook.call() {
        Ok(call) => call,
        Err(early) => return early.into_response(),
    };
    let turn = match webhook.query("turn").map(TurnNumber::parse).transpose() {
        Ok(turn) => turn.unwrap_or(TurnNumber::FIRST),
        Err(error) => return bad_request(&error.to_string()),
    };
    let input = CallerInput {
        speech: webhook.get("SpeechResult").map(str::to_owned),
        digits: webhook.get("Digits").map(str::to_owned).filter(|d| !d.is_empty()),
    };
    let Some(record) = webhook.record() else { return trouble(Some(profile)) };
    let session = webhook.telephony.session.clone();
    let now = state.clock.now();
    let sid = call_sid.clone();
    // Detached: a turn that outlasts the filler still finishes and is saved.
    let mut work = tokio::spawn(async move { session.take_turn(&record.profile, &sid, turn, input, now).await });
    match tokio::time::timeout(FILLER_AFTER, &mut work).await {
        Ok(Ok(answer)) => answer_or_trouble(&webhook.telephony, profile, answer),
        Ok(Err(error)) => {
            let error = CallError::Unexpected(anyhow::anyhow!("a turn failed: {error}"));
            answer_or_trouble(&webhook.telephony, profile, Err(error))
        }
        Err(_) => {
            tracing::info!(turn = turn.get(), "a slow turn: a filler phrase while it finishes");
            xml(filler(profile, turn, 1))
        }
    }
}

/// How long a turn may take before the caller hears a filler phrase.
pub const FILLER_AFTER: std::time::Duration = std::time::Duration::from_millis(1500);
/// How long a continuation waits for the turn's answer, each time.
const CONTINUATION_WAIT: std::time::Duration = std::time::Duration::from_secs(4);
/// Continuations before the caller is asked to say it again.
const MAX_CONTINUATIONS: u32 = 2;

/// "One moment." and a redirect to wait for the turn's answer.
fn filler(profile: &TenantProfile, turn: TurnNumber, attempt: u32) -> String {
    let words = if attempt == 1 { "One moment." } else { "Sorry, just a moment more." };
    VoiceResponse::new()
        .say(Say::new(words).voice("Polly.Joanna").language(profile.locale()))
        .redirect(Redirect::new(format!("/twilio/continue?turn={turn}&attempt={attempt}")).method(Method::Post))
        .to_xml()
}

/// A slow turn's answer, once saved; another filler while it is not; and
/// if it never comes (the process that worked on it stopped), the caller
/// is asked to say it again (the same turn, which runs afresh).
async fn continuation(webhook: Webhook) -> Response {
    let (profile, call_sid) = match webhook.call() {
        Ok(call) => call,
        Err(early) => return early.into_response(),
    };
    let parsed = webhook.query("turn").map(TurnNumber::parse).transpose();
    let Ok(Some(turn)) = parsed else { return bad_request("turn: a turn number is required") };
    let attempt = webhook.query("attempt").and_then(|raw| raw.parse::<u32>().ok()).unwrap_or(1);
    let session = &webhook.telephony.session;
    let waited = tokio::time::Instant::now();
    loop {
        match session.answer_of(profile, &call_sid, turn).await {
            Ok(Some(answer)) => return xml(render(profile, &answer, webhook.telephony.transcription(profile))),
            Ok(None) if waited.elapsed() < CONTINUATION_WAIT => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Ok(None) if attempt < MAX_CONTINUATIONS => return xml(filler(profile, turn, attempt + 1)),
            Ok(None) => {
                tracing::warn!(turn = turn.get(), "a slow turn never finished; asking the caller again");
                let again = Answer {
                    say: "Sorry, I lost you for a second. Could you say that again?".to_owned(),
                    next: Next::Listen,
                    listen_turn: turn,
                };
                return xml(render(profile, &again, webhook.telephony.transcription(profile)));
            }
            Err(error) => return answer_or_trouble(&webhook.telephony, profile, Err(error)),
        }
    }
}

/// A transfer to the owner ended: done if they picked up, else a message.
async fn dial_done(State(state): State<AppState>, webhook: Webhook) -> Response {
    let (profile, call_sid) = match webhook.call() {
        Ok(call) => call,
        Err(early) => return early.into_response(),
    };
    let ended = TransferEnded {
        leg: webhook.reference("DialCallSid"),
        bridged: webhook.get("DialCallStatus") == Some("completed"),
        leg_duration_secs: webhook.get("DialCallDuration").and_then(|d| d.parse().ok()),
    };
    let answer = webhook.telephony.session.transfer_ended(profile, &call_sid, ended, state.clock.now()).await;
    answer_or_trouble(&webhook.telephony, profile, answer)
}

/// The owner's leg of a warm transfer answered: they hear who is calling
/// and press 1 to take it. Anything that goes wrong hangs their leg up, so
/// the caller stays with us (a message and a callback), never with a
/// voicemail box.
async fn whisper(webhook: Webhook) -> Response {
    let decline = || xml(VoiceResponse::new().hangup().to_xml());
    let (profile, Some(parent)) = (webhook.call().map(|(profile, _)| profile), webhook.reference("ParentCallSid"))
    else {
        return decline();
    };
    let Ok(profile) = profile else { return decline() };
    match webhook.telephony.session.whisper(profile, &parent).await {
        Ok(words) => xml(VoiceResponse::new()
            .gather(
                Gather::new()
                    .input(GatherInput::Dtmf)
                    .num_digits(1)
                    .timeout(5)
                    .action("/twilio/whisper-accept")
                    .method(Method::Post)
                    .say(Say::new(words).voice("Polly.Joanna").language(profile.locale())),
            )
            .hangup()
            .to_xml()),
        Err(error) => {
            tracing::error!(%error, "could not whisper a transfer; declining it");
            decline()
        }
    }
}

/// The owner pressed a key during the whisper: 1 takes the call (an empty
/// answer, and the legs bridge), anything else declines it.
async fn whisper_accept(State(state): State<AppState>, webhook: Webhook) -> Response {
    let decline = || xml(VoiceResponse::new().hangup().to_xml());
    let Ok((profile, leg)) = webhook.call() else { return decline() };
    let Some(parent) = webhook.reference("ParentCallSid") else { return decline() };
    if webhook.get("Digits") != Some("1") {
        return decline();
    }
    match webhook.telephony.session.transfer_accepted(profile, &parent, leg, state.clock.now()).await {
        Ok(()) => xml(VoiceResponse::new().to_xml()),
        Err(error) => {
            tracing::error!(%error, "could not record that the owner took a call; the caller leaves a message");
            decline()
        }
    }
}

/// Twilio's transcription of a message: it joins the callback, and the
/// owner gets its gist.
async fn transcription(State(state): State<AppState>, webhook: Webhook) -> Response {
    let (profile, call_sid) = match webhook.call() {
        Ok(call) => call,
        Err(early) => return early.into_response(),
    };
    let text = match webhook.get("TranscriptionStatus") {
        Some("completed") => webhook.get("TranscriptionText"),
        _ => None,
    };
    match webhook.telephony.session.transcribed(profile, &call_sid, text, state.clock.now()).await {
        Ok(()) | Err(CallError::NotFound(_)) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => {
            tracing::error!(%error, "could not record a transcription");
            StatusCode::INTERNAL_SERVER_ERROR.into_response() // Twilio retries
        }
    }
}

/// The callback of the call named in the query (`?call=CA…`), and the shop.
fn call_back_of(webhook: &Webhook) -> Option<(&TenantProfile, CallSid)> {
    let profile = match &webhook.shop {
        Shop::Active(record) => &record.profile,
        _ => return None,
    };
    Some((profile, CallSid::parse(webhook.query("call")?).ok()?))
}

fn goodbye(profile: &TenantProfile, words: &str) -> Response {
    xml(VoiceResponse::new().say(Say::new(words).voice("Polly.Joanna").language(profile.locale())).hangup().to_xml())
}

/// A call back reached the owner: who called, why, their message; 1 calls
/// the customer.
async fn callback_bridge(State(state): State<AppState>, webhook: Webhook) -> Response {
    let Some((profile, call)) = call_back_of(&webhook) else { return xml(VoiceResponse::new().hangup().to_xml()) };
    let callback = match state.callbacks.callback(profile.slug(), &call).await {
        Ok(Some(callback)) if callback.status == frontdesk_routing::CallbackStatus::Open => callback,
        Ok(_) => return goodbye(profile, "This call back is already done. Goodbye."),
        Err(error) => {
            tracing::error!(%error, "could not read a callback");
            return goodbye(profile, "Sorry, I can't find that call back right now. Please try again. Goodbye.");
        }
    };
    let briefing = frontdesk_routing::call_back_briefing(profile, &callback, state.clock.now());
    xml(VoiceResponse::new()
        .gather(
            Gather::new()
                .input(GatherInput::Dtmf)
                .num_digits(1)
                .timeout(8)
                .action(format!("/twilio/callback-connect?call={call}"))
                .method(Method::Post)
                .say(Say::new(briefing).voice("Polly.Joanna").language(profile.locale())),
        )
        .say(Say::new("Goodbye.").voice("Polly.Joanna").language(profile.locale()))
        .hangup()
        .to_xml())
}

/// The owner pressed 1: the customer is rung with the shop's number as
/// caller ID.
async fn callback_connect(State(state): State<AppState>, webhook: Webhook) -> Response {
    let Some((profile, call)) = call_back_of(&webhook) else { return xml(VoiceResponse::new().hangup().to_xml()) };
    if webhook.get("Digits") != Some("1") {
        return goodbye(profile, "Okay, the call back stays open. Goodbye.");
    }
    match frontdesk_routing::call_back_target(state.callbacks.as_ref(), profile, &call).await {
        Ok(Some(customer)) => {
            let shop = profile.phone_numbers().first().map(E164::to_string).unwrap_or_default();
            xml(VoiceResponse::new()
                .say(Say::new("Connecting you now.").voice("Polly.Joanna").language(profile.locale()))
                .dial(
                    Dial::new()
                        .action(format!("/twilio/callback-done?call={call}"))
                        .caller_id(shop)
                        .timeout(25)
                        .number(Number::new(customer.as_str())),
                )
                .to_xml())
        }
        Ok(None) => goodbye(profile, "This call back is already done. Goodbye."),
        Err(error) => {
            tracing::error!(%error, "could not read a callback");
            goodbye(profile, "Sorry, I can't reach that call back right now. Please try again. Goodbye.")
        }
    }
}

/// The customer's leg of a call back ended: done if they picked up.
async fn callback_done(State(state): State<AppState>, webhook: Webhook) -> Response {
    let Some((profile, call)) = call_back_of(&webhook) else { return xml(VoiceResponse::new().hangup().to_xml()) };
    if let (Some(leg), Some(seconds)) =
        (webhook.reference("DialCallSid"), webhook.get("DialCallDuration").and_then(|d| d.parse().ok()))
    {
        let session = &webhook.telephony.session;
        if let Err(error) = session.call_back_leg_ended(profile, &call, &leg, seconds, state.clock.now()).await {
            tracing::error!(%error, "could not meter a call back's leg");
        }
    }
    if webhook.get("DialCallStatus") != Some("completed") {
        return goodbye(profile, "They didn't answer. The call back stays open. Goodbye.");
    }
    if let Err(error) = state.callbacks.close_callback(profile.slug(), &call, state.clock.now()).await {
        tracing::error!(%error, "could not mark a callback done");
    }
    xml(VoiceResponse::new().hangup().to_xml())
}

/// The status callback of a call back's own call (the leg that rang the
/// owner first), once it ended, answered or not: its `CallDuration` costs us
/// the outbound rate, attributed to the call the callback is for, never
/// billed to the shop; once per leg (a retried callback counts once).
async fn callback_status(State(state): State<AppState>, webhook: Webhook) -> Response {
    if let Shop::Unavailable(_) = webhook.shop {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response(); // Twilio retries
    }
    let Some((profile, call)) = call_back_of(&webhook) else { return StatusCode::NO_CONTENT.into_response() };
    let leg = match CallSid::parse(webhook.get("CallSid").unwrap_or_default()) {
        Ok(sid) => sid,
        Err(error) => return bad_request(&error.to_string()),
    };
    let Some(seconds) = webhook.get("CallDuration").and_then(|d| d.parse().ok()) else {
        return StatusCode::NO_CONTENT.into_response(); // not the end of the call
    };
    let session = &webhook.telephony.session;
    match session.call_back_leg_ended(profile, &call, &leg, seconds, state.clock.now()).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => {
            tracing::error!(%error, "could not meter a call back's owner leg");
            StatusCode::INTERNAL_SERVER_ERROR.into_response() // Twilio retries
        }
    }
}

async fn recording(State(state): State<AppState>, webhook: Webhook) -> Response {
    let (profile, call_sid) = match webhook.call() {
        Ok(call) => call,
        Err(early) => return early.into_response(),
    };
    let recording = webhook.reference("RecordingSid");
    let url = webhook.get("RecordingUrl").map(str::to_owned);
    let answer = webhook.telephony.session.voicemail_left(profile, &call_sid, recording, url, state.clock.now()).await;
    answer_or_trouble(&webhook.telephony, profile, answer)
}

/// Call status callbacks: out of order and repeated, ordered by SequenceNumber.
async fn status(State(state): State<AppState>, webhook: Webhook) -> Response {
    let Shop::Active(record) = &webhook.shop else {
        // A status for a number we do not serve (or cannot look up now:
        // Twilio retries a 500).
        return match webhook.shop {
            Shop::Unavailable(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
            _ => StatusCode::NO_CONTENT.into_response(),
        };
    };
    let call_sid = match CallSid::parse(webhook.get("CallSid").unwrap_or_default()) {
        Ok(sid) => sid,
        Err(error) => return bad_request(&error.to_string()),
    };
    let status = match CallStatus::parse(webhook.get("CallStatus").unwrap_or_default()) {
        Ok(status) => status,
        Err(error) => {
            tracing::warn!(%error, "ignored a call status callback");
            return StatusCode::NO_CONTENT.into_response();
        }
    };
    let report = StatusReport {
        status,
        sequence: webhook.get("SequenceNumber").and_then(|s| s.parse().ok()).unwrap_or(0),
        duration_secs: webhook.get("CallDuration").and_then(|d| d.parse().ok()),
    };
    match webhook.telephony.session.status(&record.profile, &call_sid, report, state.clock.now()).await {
        Ok(()) | Err(CallError::NotFound(_)) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => {
            tracing::error!(%error, "could not record a call status");
            StatusCode::INTERNAL_SERVER_ERROR.into_response() // Twilio retries
        }
    }
}

/// Inbound texts: STOP/START opt-outs, and a helpful reply to anything else.
async fn sms(State(state): State<AppState>, webhook: Webhook) -> Response {
    let empty = || xml(MessagingResponse::new().to_xml());
    let Shop::Active(record) = &webhook.shop else { return empty() };
    let Some(from) = webhook.get("From").and_then(|f| E164::parse(f).ok()) else { return empty() };
    let to = webhook.get("To").and_then(|t| E164::parse(t).ok());
    // A reply is a text from the shop's number: not before the carriers
    // cleared it (10DLC), as for every other text.
    let cleared_to_text = match state.provisioning.texting_clearance(record.profile.slug(), to.as_ref()).await {
        Ok(Clearance::Cleared) => true,
        Ok(Clearance::Waiting(_)) => false,
        Err(error) => {
            tracing::error!(%error, "could not read the shop's texting registration; no reply");
            false
        }
    };
    let text = InboundText {
        from: &from,
        body: webhook.get("Body").unwrap_or(""),
        message_id: webhook.get("MessageSid"),
        cleared_to_text,
    };
    match webhook.telephony.texts.reply(&record.profile, text, state.clock.now()).await {
        Some(reply) => xml(MessagingResponse::new().message(Message::new(reply)).to_xml()),
        None => empty(),
    }
}
