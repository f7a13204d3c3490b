//! Twilio's webhooks: `/twilio/voice` (a call starts), `/twilio/gather`
//! (each turn), `/twilio/dial-done`, `/twilio/recording`, `/twilio/status`
//! and `/twilio/sms`.
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
use chrono::{DateTime, Utc};
use frontdesk_billing::{AnsweringMode, SuspensionReason};
use frontdesk_core::{E164, TenantId};
use frontdesk_flags::{EffectiveFlags, Flag};
use frontdesk_routing::{
    CallPolicy, CallRecord, CallState, CallerInput, Dialogue, Next, Outcome, Reply, SavedTurn, Speaker, Turn,
    TurnUpdate,
};
use frontdesk_tenant::{TenantProfile, TenantStatus};
use frontdesk_twilio::twiml::{
    Dial, Gather, GatherInput, Message, MessagingResponse, Method, Number, Record, Say, SpeechTimeout, VoiceResponse,
};

use crate::app::AppState;

/// What the webhooks need besides the shared state.
#[derive(Clone)]
pub struct TwilioSettings {
    /// `https://frontdesk.example.com`, no trailing slash.
    pub public_base_url: String,
    pub validator: Arc<frontdesk_twilio::RequestValidator>,
    pub dialogue: Arc<Dialogue>,
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/twilio/voice", post(voice))
        .route("/twilio/gather", post(gather))
        .route("/twilio/dial-done", post(dial_done))
        .route("/twilio/recording", post(recording))
        .route("/twilio/status", post(status))
        .route("/twilio/sms", post(sms))
}

/// A Twilio webhook whose signature checked out, with the shop it is for.
///
/// As an extractor it answers 404 when Twilio is not configured and 403 when
/// the signature is missing or wrong, before any handler runs.
struct Webhook {
    params: Vec<(String, String)>,
    query: Vec<(String, String)>,
    /// The active tenant owning the called number (`To`), if any.
    tenant: Option<TenantProfile>,
    twilio: TwilioSettings,
}

impl Webhook {
    fn get(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    fn query(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

fn xml(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}

/// Why a webhook was refused (403, nothing changes).
struct Forbidden(&'static str);

impl IntoResponse for Forbidden {
    fn into_response(self) -> Response {
        tracing::warn!(reason = self.0, "rejected a Twilio webhook");
        (StatusCode::FORBIDDEN, [(header::CONTENT_TYPE, "text/plain")], format!("forbidden: {}", self.0))
            .into_response()
    }
}

impl FromRequest<AppState> for Webhook {
    type Rejection = Response;

    /// Checks the signature over the public URL and the form body, with the
    /// called tenant's own Twilio token when it has one, else the platform's.
    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let Some(twilio) = state.twilio.clone() else { return Err(StatusCode::NOT_FOUND.into_response()) };
        let (mut parts, body) = request.into_parts();
        let Ok(OriginalUri(uri)) = OriginalUri::from_request_parts(&mut parts, state).await;
        let headers = parts.headers.clone();
        let body =
            Bytes::from_request(Request::from_parts(parts, body), state).await.map_err(IntoResponse::into_response)?;
        let params: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
        let called = params.iter().find(|(k, _)| k == "To").and_then(|(_, v)| E164::parse(v).ok());
        let record = match called {
            Some(number) => state.tenants.tenant_by_number(&number).await.unwrap_or_else(|error| {
                tracing::error!(%error, "could not look up the called number");
                None
            }),
            None => None,
        };
        let own_token = record.as_ref().and_then(|r| r.profile.twilio_auth_token().map(str::to_owned));
        let validator = match own_token {
            Some(token) => Arc::new(frontdesk_twilio::RequestValidator::new(&token)),
            None => twilio.validator.clone(),
        };
        verify(&validator, &twilio.public_base_url, &uri, &headers, &params).map_err(IntoResponse::into_response)?;
        let query = url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()).into_owned().collect();
        let tenant = record.filter(|r| r.status == TenantStatus::Active).map(|r| r.profile);
        if let Some(profile) = &tenant {
            tracing::Span::current().record("tenant_id", profile.slug().as_str());
        }
        Ok(Webhook { params, query, tenant, twilio })
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
    let signature = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
        .ok_or(Forbidden("missing X-Twilio-Signature"))?;
    let path_and_query = uri.path_and_query().map(|p| p.as_str()).unwrap_or(uri.path());
    let url = format!("{public_base_url}{path_and_query}");
    if !validator.validate(&url, params, signature) {
        return Err(Forbidden("invalid X-Twilio-Signature"));
    }
    Ok(())
}

fn not_in_service() -> Response {
    xml(VoiceResponse::new().say(Say::new("Sorry, this number is not in service. Goodbye.")).hangup().to_xml())
}

/// The TwiML for a dialogue reply; `next_turn` is where the caller's answer goes.
fn render(profile: &TenantProfile, reply: &Reply, next_turn: u32) -> String {
    let say = Say::new(&reply.say).voice("Polly.Joanna").language(profile.locale());
    match &reply.next {
        Next::Listen => {
            let hints: Vec<String> = profile.services().iter().map(|s| s.name().to_lowercase()).take(10).collect();
            VoiceResponse::new()
                .gather(
                    Gather::new()
                        .input(GatherInput::SpeechDtmf)
                        .action(format!("/twilio/gather?turn={next_turn}"))
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
        Next::Transfer { to } => {
            let caller_id = profile.phone_numbers().first().map(E164::to_string).unwrap_or_default();
            VoiceResponse::new()
                .say(say)
                .dial(
                    Dial::new()
                        .action("/twilio/dial-done")
                        .caller_id(caller_id)
                        .timeout(20)
                        .answer_on_bridge(true)
                        .number(Number::new(to.as_str())),
                )
                .to_xml()
        }
        Next::Voicemail => voicemail_twiml(say),
        Next::Hangup => VoiceResponse::new().say(say).hangup().to_xml(),
    }
}

fn voicemail_twiml(say: Say) -> String {
    VoiceResponse::new()
        .say(say)
        .record(Record::new().action("/twilio/recording").max_length(120).play_beep(true).timeout(5))
        .say(Say::new("I didn't get a message. Goodbye."))
        .hangup()
        .to_xml()
}

/// The tenant's flags, or `None` when they cannot be read (logged): the
/// caller is then served with everything allowed, never dead air.
async fn flags_of(state: &AppState, tenant: &TenantId) -> Option<EffectiveFlags> {
    state.flags.effective(tenant).await.unwrap_or_else(|error| {
        tracing::error!(%error, "could not read the tenant's flags; serving the caller with everything allowed");
        None
    })
}

/// What the tenant's flags allow on this call.
async fn call_policy(state: &AppState, tenant: &TenantId) -> CallPolicy {
    match flags_of(state, tenant).await {
        Some(flags) => CallPolicy {
            ai_booking: flags.enabled(Flag::AllowAiBooking),
            human_fallback: flags.enabled(Flag::EnableHumanFallback),
            after_hours_answering: flags.enabled(Flag::AfterHoursAnswering),
        },
        None => CallPolicy::default(),
    }
}

/// Whether AI answering is suspended for the tenant (minute cap reached, or
/// payment past due beyond the grace period). An error answers normally.
async fn suspended(state: &AppState, profile: &TenantProfile, now: DateTime<Utc>) -> Option<SuspensionReason> {
    match state.metering.answering(profile.slug(), profile.timezone(), now).await {
        Ok(AnsweringMode::Suspended(reason)) => Some(reason),
        Ok(AnsweringMode::Normal) => None,
        Err(error) => {
            tracing::error!(%error, "could not check the tenant's caps; answering normally");
            None
        }
    }
}

/// AI answering is suspended: the caller goes straight to the owner (and to
/// voicemail if the owner does not pick up). Never dead air.
fn forward_to_owner(profile: &TenantProfile) -> Reply {
    Reply {
        say: format!("Thanks for calling {}. Please hold while I connect you.", profile.name()),
        next: Next::Transfer { to: profile.owner_phone().clone() },
        outcome: Some(Outcome::Transferred),
        booking_id: None,
        unanswered: None,
        heard: None,
    }
}

async fn voice(State(state): State<AppState>, webhook: Webhook) -> Response {
    let (Some(call_sid), Some(profile)) = (webhook.get("CallSid").map(str::to_owned), webhook.tenant.clone()) else {
        return not_in_service();
    };
    let tenant = profile.slug().clone();
    if let Ok(Some(reply)) = state.calls.answered_turn(&tenant, &call_sid, "turn-0").await {
        return xml(reply);
    }
    let caller = webhook.get("From").and_then(|f| E164::parse(f).ok());
    let now = state.clock.now();
    let called = webhook.get("To").unwrap_or_default().to_owned();
    let mut call_state = CallState::default();
    let reply = match suspended(&state, &profile, now).await {
        Some(reason) => {
            tracing::warn!(?reason, "AI answering suspended for this tenant; forwarding the call to the owner");
            call_state.stage = frontdesk_routing::Stage::Ended;
            forward_to_owner(&profile)
        }
        None => {
            let policy = call_policy(&state, &tenant).await;
            let context = frontdesk_routing::CallContext { profile: &profile, caller: caller.as_ref(), now, policy };
            webhook.twilio.dialogue.greeting(&context, &mut call_state)
        }
    };
    let twiml = render(&profile, &reply, 1);
    if let Err(error) =
        state.calls.open_call(&tenant, &call_sid, caller.as_ref(), &called, &call_state.to_json(), now).await
    {
        tracing::error!(%error, "could not record the call");
        return xml(twiml);
    }
    let update = TurnUpdate {
        state: call_state.to_json(),
        turns: vec![Turn { at: now, speaker: Speaker::Agent, text: reply.say.clone() }],
        outcome: reply.outcome,
        booking_id: None,
        recording_url: None,
        reply: twiml,
    };
    answer_once(&state, &tenant, &call_sid, "turn-0", update, now).await
}

/// The call this webhook belongs to, and its tenant's profile.
async fn call_for(state: &AppState, webhook: &Webhook) -> Option<(TenantProfile, CallRecord)> {
    let profile = webhook.tenant.clone()?;
    let call_sid = webhook.get("CallSid")?;
    let call = state.calls.call(profile.slug(), call_sid).await.unwrap_or_else(|error| {
        tracing::error!(%error, "could not load the call");
        None
    })?;
    Some((profile, call))
}

async fn gather(State(state): State<AppState>, webhook: Webhook) -> Response {
    let Some((profile, call)) = call_for(&state, &webhook).await else { return not_in_service() };
    let turn: u32 = webhook.query("turn").and_then(|t| t.parse().ok()).unwrap_or(1);
    let turn_key = format!("turn-{turn}");
    if let Ok(Some(reply)) = state.calls.answered_turn(profile.slug(), &call.call_sid, &turn_key).await {
        return xml(reply); // Twilio retried this turn
    }
    let now = state.clock.now();
    let mut call_state = CallState::from_json(&call.state);
    let input = CallerInput {
        speech: webhook.get("SpeechResult").map(str::to_owned),
        digits: webhook.get("Digits").map(str::to_owned).filter(|d| !d.is_empty()),
    };
    let policy = call_policy(&state, profile.slug()).await;
    let context = frontdesk_routing::CallContext { profile: &profile, caller: call.caller.as_ref(), now, policy };
    let reply = webhook.twilio.dialogue.respond(&context, &mut call_state, input.clone()).await;
    let twiml = render(&profile, &reply, turn + 1);
    let mut turns = Vec::new();
    if let Some(heard) = reply.heard.clone().filter(|h| !h.is_empty()) {
        turns.push(Turn { at: now, speaker: Speaker::Caller, text: heard });
    }
    turns.push(Turn { at: now, speaker: Speaker::Agent, text: reply.say.clone() });
    if let Some(question) = &reply.unanswered
        && let Err(error) = state.calls.record_question(profile.slug(), &call.call_sid, question, now).await
    {
        tracing::warn!(%error, "could not record the caller's question");
    }
    // A goodbye after a booking keeps the call's outcome "booked".
    let outcome = match (reply.outcome, call.outcome) {
        (Some(Outcome::Answered), Some(_)) => None,
        (outcome, _) => outcome,
    };
    let update = TurnUpdate {
        state: call_state.to_json(),
        turns,
        outcome,
        booking_id: reply.booking_id.clone(),
        recording_url: None,
        reply: twiml,
    };
    answer_once(&state, profile.slug(), &call.call_sid, &turn_key, update, now).await
}

/// The owner did not pick up: take a message instead.
async fn dial_done(State(state): State<AppState>, webhook: Webhook) -> Response {
    let Some((profile, call)) = call_for(&state, &webhook).await else { return not_in_service() };
    if webhook.get("DialCallStatus") == Some("completed") {
        return xml(VoiceResponse::new().hangup().to_xml());
    }
    let say = Say::new(format!(
        "Sorry, nobody could come to the phone. Please leave your name, number and message for {} after the tone.",
        profile.name()
    ));
    let twiml = voicemail_twiml(say);
    let update = TurnUpdate {
        state: call.state.clone(),
        turns: Vec::new(),
        outcome: Some(Outcome::MessageTaken),
        booking_id: None,
        recording_url: None,
        reply: twiml,
    };
    let key = format!("dial-{}", webhook.get("DialCallSid").unwrap_or("none"));
    answer_once(&state, profile.slug(), &call.call_sid, &key, update, state.clock.now()).await
}

async fn recording(State(state): State<AppState>, webhook: Webhook) -> Response {
    let Some((profile, call)) = call_for(&state, &webhook).await else { return not_in_service() };
    let twiml = VoiceResponse::new().say(Say::new("Thank you, we'll get back to you soon. Goodbye.")).hangup().to_xml();
    let update = TurnUpdate {
        state: call.state.clone(),
        turns: vec![Turn { at: state.clock.now(), speaker: Speaker::Caller, text: "(left a voicemail)".to_owned() }],
        outcome: Some(Outcome::MessageTaken),
        booking_id: None,
        recording_url: webhook.get("RecordingUrl").map(str::to_owned),
        reply: twiml,
    };
    let key = format!("recording-{}", webhook.get("RecordingSid").unwrap_or("none"));
    answer_once(&state, profile.slug(), &call.call_sid, &key, update, state.clock.now()).await
}

/// Saves a turn once per webhook and answers with the TwiML given the first
/// time: Twilio repeats a webhook it believes failed, and the caller must hear
/// the same thing, not a second booking.
async fn answer_once(
    state: &AppState,
    tenant: &TenantId,
    call_sid: &str,
    key: &str,
    update: TurnUpdate,
    now: DateTime<Utc>,
) -> Response {
    match state.calls.save_turn(tenant, call_sid, key, &update, now).await {
        Ok(SavedTurn::AlreadyAnswered(first)) => xml(first),
        Ok(SavedTurn::Saved) => xml(update.reply),
        Err(error) => {
            tracing::error!(%error, key, "could not save a turn");
            xml(update.reply)
        }
    }
}

/// Call status callbacks: out of order and repeated, ordered by SequenceNumber.
async fn status(State(state): State<AppState>, webhook: Webhook) -> Response {
    let Some((profile, call)) = call_for(&state, &webhook).await else { return StatusCode::NO_CONTENT.into_response() };
    let sequence = webhook.get("SequenceNumber").and_then(|s| s.parse().ok()).unwrap_or(0);
    let duration = webhook.get("CallDuration").and_then(|d| d.parse().ok());
    let status = webhook.get("CallStatus").unwrap_or("unknown");
    if let Err(error) =
        state.calls.record_status(profile.slug(), &call.call_sid, status, sequence, duration, state.clock.now()).await
    {
        tracing::error!(%error, "could not record a call status");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    // Twilio bills the finished call by its duration; a repeated callback is
    // counted once (the usage key is the CallSid).
    if status == "completed"
        && let Some(seconds) = duration
        && let Err(error) =
            state.metering.record_call(profile.slug(), &call.call_sid, i64::from(seconds), state.clock.now()).await
    {
        tracing::error!(%error, "could not meter a finished call");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response(); // Twilio retries
    }
    StatusCode::NO_CONTENT.into_response()
}

/// Inbound texts: STOP/START opt-outs, and a helpful reply to anything else.
async fn sms(State(state): State<AppState>, webhook: Webhook) -> Response {
    let Some(profile) = webhook.tenant.clone() else {
        return xml(MessagingResponse::new().to_xml());
    };
    let Some(from) = webhook.get("From").and_then(|f| E164::parse(f).ok()) else {
        return xml(MessagingResponse::new().to_xml());
    };
    let word = webhook.get("Body").unwrap_or("").trim().to_uppercase();
    let now = state.clock.now();
    let reply = match word.as_str() {
        "STOP" | "STOPALL" | "UNSUBSCRIBE" | "CANCEL" | "END" | "QUIT" => {
            if let Err(error) = state.messages.set_opt_out(profile.slug(), &from, true, now).await {
                tracing::error!(%error, "could not record an opt-out");
            }
            // Twilio itself confirms STOP; an empty reply avoids a second text.
            return xml(MessagingResponse::new().to_xml());
        }
        "START" | "UNSTOP" | "YES" => {
            if let Err(error) = state.messages.set_opt_out(profile.slug(), &from, false, now).await {
                tracing::error!(%error, "could not record an opt-in");
            }
            format!("{}: you'll get texts from us again. Reply STOP to opt out.", profile.name())
        }
        _ if flags_of(&state, profile.slug()).await.is_some_and(|flags| !flags.enabled(Flag::EnableSms)) => {
            return xml(MessagingResponse::new().to_xml());
        }
        _ => {
            let number = profile.phone_numbers().first().map(E164::to_string).unwrap_or_default();
            format!(
                "{}: thanks for your message. To book, change or cancel an appointment, call us at {number}. Reply STOP to opt out.",
                profile.name()
            )
        }
    };
    // The reply is a text we send: metered once per inbound message.
    if let Some(message_sid) = webhook.get("MessageSid")
        && let Err(error) =
            state.metering.record_sms(profile.slug(), &format!("reply-{message_sid}"), &reply, now).await
    {
        tracing::error!(%error, "could not meter an SMS reply");
    }
    xml(MessagingResponse::new().message(Message::new(reply)).to_xml())
}
