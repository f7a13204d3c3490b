//! `/twilio/stream/{token}`: a call's Twilio Media Stream (WebSocket),
//! bridged to a realtime voice session.
//!
//! The upgrade is refused (403, nothing opened) unless it carries Twilio's
//! `X-Twilio-Signature`, computed over the `wss://` form of
//! `FRONTDESK_PUBLIC_BASE_URL` + path with no parameters, and the path's
//! token was minted for a call by this gateway less than
//! [`STREAM_TOKEN_LIFETIME`] ago; the stream's `start` must then name that
//! same call. Twilio accepts no query string on a `<Stream>` URL, hence the
//! token in the path.
//!
//! The voice webhook of an eligible call ([`frontdesk_routing::realtime`]
//! decides which) opens the model's session while the phone still rings
//! and parks it here under the call ([`RealtimeStreams::park`]); the
//! upgrade claims it. A session never claimed is closed when its token
//! expires. A stream upgraded on another process than the webhook's (no
//! session parked for it) finds its call under the token's shop, refused
//! unless that shop has it, and is opened with the call's own instructions,
//! greeting and tools. When the stream ends, the call's transcript, tokens and
//! latencies are recorded, and why it ended is kept for the `<Connect
//! action>` (`/twilio/stream-done`), which goes on with the call turn by
//! turn (or not, when the caller hung up).
//!
//! The relaying itself is `frontdesk_voice_bridge::Bridge`'s: this module
//! only turns the socket into its channels.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade, rejection::WebSocketUpgradeRejection};
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use frontdesk_billing::TokenCount;
use frontdesk_core::TenantId;
use frontdesk_llm::{ItemId, RealtimeSession, RealtimeUsage, RealtimeVoice, SessionConfig, ToolCall};
use frontdesk_routing::{
    CallError, CallSid, RealtimeLatency, RealtimeRecord, RealtimeStart, RealtimeTools, StreamEnd, TranscriptionTokens,
};
use frontdesk_tenant::TenantRecord;
use frontdesk_twilio::twiml::{Connect, Method, Stream, VoiceResponse};
use frontdesk_voice_bridge::{
    Bridge, BridgeOptions, BridgeOutcome, EndReason, STREAM_TOKEN_LIFETIME, StreamTicket, StreamTokens, ToolRunner,
    TwilioCommand, TwilioMessage,
};
use secrecy::ExposeSecret;
use tokio::sync::mpsc;

use crate::app::AppState;

/// Frames queued each way between the socket and the bridge: a few hundred
/// milliseconds of audio, so a slow side holds the other up rather than
/// buffering without end.
const FRAMES_QUEUED: usize = 32;

/// Where Twilio goes when a call's stream ends (`<Connect action>`).
pub const STREAM_DONE_PATH: &str = "/twilio/stream-done";

/// How long the `<Connect action>` waits for the stream's end to be
/// recorded (the socket closes just after; the action may come first).
const END_WAIT: Duration = Duration::from_secs(3);

/// How long a stream's recorded end waits for its `<Connect action>`: one
/// that never comes (a hang-up, or the action served by another process)
/// is dropped after this, so the map never grows with the calls.
const END_KEPT: Duration = Duration::from_secs(120);

/// How long the voice webhook waits for the model's session to open while
/// the caller hears it ringing; slower, the call is answered turn by turn
/// (the adapter's own connect and set-up deadlines are 5 s each).
pub const OPEN_WHILE_RINGING: Duration = Duration::from_secs(2);

/// A session opened by the voice webhook, waiting for its stream.
struct Parked {
    session: RealtimeSession,
    shop: Arc<TenantRecord>,
    start: RealtimeStart,
}

/// A call's stream, as the upgrade finds it.
struct Claimed {
    session: RealtimeSession,
    shop: Arc<TenantRecord>,
    greeting: String,
}

/// How the upgrade admitted a call's stream.
enum Admitted {
    /// The voice webhook parked a session for it on this process.
    Parked,
    /// The webhook was served elsewhere: the call's shop, and what the model
    /// is told for it (`None`: the model may no longer answer it).
    Resumed { shop: Arc<TenantRecord>, start: Option<RealtimeStart> },
}

/// What the stream endpoint needs besides the Twilio webhooks' settings.
pub struct RealtimeStreams {
    pub voice: Arc<dyn RealtimeVoice>,
    pub tokens: StreamTokens,
    /// What every call's session is opened with (voice, audio, turn
    /// detection); the instructions and tools are each call's own.
    pub session: SessionConfig,
    /// A call's time with the model (`FRONTDESK_REALTIME_CALL_CAP_MINUTES`;
    /// by default [`frontdesk_routing::REALTIME_CALL_CAP`]).
    pub call_cap: Duration,
    parked: Mutex<HashMap<String, Parked>>,
    ended: Mutex<HashMap<String, (StreamEnd, std::time::Instant)>>,
}

impl RealtimeStreams {
    pub fn new(voice: Arc<dyn RealtimeVoice>, tokens: StreamTokens, session: SessionConfig) -> RealtimeStreams {
        RealtimeStreams {
            voice,
            tokens,
            session,
            call_cap: frontdesk_routing::REALTIME_CALL_CAP,
            parked: Mutex::new(HashMap::new()),
            ended: Mutex::new(HashMap::new()),
        }
    }

    pub fn with_call_cap(mut self, cap: Duration) -> RealtimeStreams {
        self.call_cap = cap;
        self
    }

    /// The streams of a gateway configured by `settings`: stream tokens
    /// signed apart from the admin tokens, the production session, and
    /// the call cap of `FRONTDESK_REALTIME_CALL_CAP_MINUTES`.
    pub fn from_settings(voice: Arc<dyn RealtimeVoice>, settings: &frontdesk_runtime::Settings) -> RealtimeStreams {
        let secret = format!("media-stream:{}", settings.admin_jwt_secret.expose_secret());
        let session = RealtimeStreams::default_session(frontdesk_runtime::realtime_transcription_model(settings));
        RealtimeStreams::new(voice, StreamTokens::new(secret.as_bytes()), session)
            .with_call_cap(settings.realtime_call_cap)
    }

    /// The session settings of production: μ-law both ways, the provider's
    /// voice detection, callers' words transcribed by `transcription_model`.
    pub fn default_session(transcription_model: Option<String>) -> SessionConfig {
        SessionConfig {
            instructions: String::new(),
            tools: Vec::new(),
            audio_format: frontdesk_llm::AudioFormat::Mulaw8k,
            voice: "marin".to_owned(),
            input_transcription_model: transcription_model,
            turn_detection: frontdesk_llm::TurnDetection::default(),
            max_output_tokens: None,
        }
    }

    /// A call's session settings: `start`'s instructions and the text
    /// path's tools over the shared settings.
    fn call_session(&self, start: &RealtimeStart) -> SessionConfig {
        SessionConfig {
            instructions: start.instructions.clone(),
            tools: frontdesk_routing::realtime_tool_specs(),
            ..self.session.clone()
        }
    }

    /// Opens `call_sid`'s session with `start`'s instructions (within
    /// [`OPEN_WHILE_RINGING`]) and parks it
    /// for the call's stream; closed if no stream claims it before its
    /// token expires. `false` when it could not be opened (logged).
    pub async fn open_and_park(
        self: &Arc<Self>,
        shop: Arc<TenantRecord>,
        call_sid: &CallSid,
        start: RealtimeStart,
    ) -> bool {
        // The caller hears it ringing meanwhile: not for long.
        let opening = tokio::time::timeout(OPEN_WHILE_RINGING, self.voice.open(self.call_session(&start)));
        let session = match opening.await {
            Ok(Ok(session)) => session,
            Ok(Err(error)) => {
                tracing::error!(%error, "could not open the voice model's session; answering turn by turn");
                return false;
            }
            Err(_) => {
                tracing::error!("the voice model's session took too long to open; answering turn by turn");
                return false;
            }
        };
        let key = call_sid.as_str().to_owned();
        let replaced = lock(&self.parked).insert(key.clone(), Parked { session, shop, start });
        if let Some(replaced) = replaced {
            // A repeated webhook: the first session is not needed.
            let _ = replaced.session.sender.close().await;
        }
        let streams = Arc::downgrade(self);
        let lifetime = STREAM_TOKEN_LIFETIME.to_std().unwrap_or(Duration::from_secs(120));
        tokio::spawn(async move {
            tokio::time::sleep(lifetime).await;
            let Some(streams) = streams.upgrade() else { return };
            let unclaimed = lock(&streams.parked).remove(&key);
            if let Some(parked) = unclaimed {
                tracing::warn!(call_sid = %key, "a parked voice session was never claimed; closing it");
                let _ = parked.session.sender.close().await;
            }
        });
        true
    }

    fn claim(&self, call_sid: &str) -> Option<Parked> {
        lock(&self.parked).remove(call_sid)
    }

    /// The shop of the session parked for `call_sid`, if one is.
    fn parked_shop(&self, call_sid: &str) -> Option<TenantId> {
        lock(&self.parked).get(call_sid).map(|parked| parked.shop.profile.slug().clone())
    }

    /// Why `call_sid`'s stream ended, once recorded (taken: asked once).
    fn take_end(&self, call_sid: &str) -> Option<StreamEnd> {
        lock(&self.ended).remove(call_sid).map(|(end, _)| end)
    }

    fn record_end(&self, call_sid: &str, end: StreamEnd) {
        let mut ended = lock(&self.ended);
        ended.retain(|_, (_, at)| at.elapsed() < END_KEPT);
        ended.insert(call_sid.to_owned(), (end, std::time::Instant::now()));
    }

    /// Forgets `call_sid`'s recorded end (its caller hung up: nobody asks).
    pub fn forget_end(&self, call_sid: &CallSid) {
        lock(&self.ended).remove(call_sid.as_str());
    }

    /// Why `call_sid`'s stream ended, waiting a little for its bridge to
    /// say; `None` if it never did (the stream never connected).
    pub async fn stream_end(&self, call_sid: &CallSid) -> Option<StreamEnd> {
        let waited = tokio::time::Instant::now();
        loop {
            if let Some(end) = self.take_end(call_sid.as_str()) {
                return Some(end);
            }
            if waited.elapsed() >= END_WAIT {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A realtime call's tools: the domain's [`RealtimeTools`] for the call.
struct CallTools(RealtimeTools);

#[async_trait::async_trait]
impl ToolRunner for CallTools {
    async fn run(&self, call: &ToolCall) -> serde_json::Value {
        self.0.run(call).await
    }

    async fn speech_started(&self, item_id: &ItemId) {
        self.0.speech_started(item_id);
    }

    async fn heard(&self, item_id: &ItemId, text: &str) {
        self.0.heard(Some(item_id), text);
    }

    fn handed_off(&self) -> bool {
        self.0.handed_off()
    }
}

/// How the call sees the way its bridge ended.
pub fn stream_end_of(ended: &EndReason) -> StreamEnd {
    match ended {
        EndReason::StreamStopped | EndReason::StreamLost => StreamEnd::HungUp,
        EndReason::CapReached => StreamEnd::CapReached,
        EndReason::HandedOff => StreamEnd::HandedOff,
        EndReason::ModelClosed { .. } | EndReason::ModelFailed(_) | EndReason::Refused(_) => StreamEnd::ModelFailed,
    }
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/twilio/stream/{token}", get(stream))
}

/// `wss://host/twilio/stream/{token}` for `public_base_url`
/// (`https://host` → `wss://host`, `http://` → `ws://`).
pub fn stream_url(public_base_url: &str, token: &str) -> String {
    format!("{}/twilio/stream/{token}", websocket_base(public_base_url))
}

fn websocket_base(public_base_url: &str) -> String {
    let base = public_base_url.trim_end_matches('/');
    if let Some(rest) = base.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = base.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        base.to_owned()
    }
}

/// The voice webhook's answer for a realtime call: `<Connect>` (asking for
/// `action` when the stream ends, where the call goes on without the model)
/// around a `<Stream>` to this endpoint with a fresh token for the call;
/// `parameters` come back in the stream's `start`.
pub fn connect_stream_twiml(
    public_base_url: &str,
    tokens: &StreamTokens,
    tenant: &TenantId,
    call_sid: &str,
    now: DateTime<Utc>,
    action: &str,
    parameters: &[(&str, &str)],
) -> String {
    let url = stream_url(public_base_url, &tokens.mint(call_sid, tenant, now));
    let stream = parameters.iter().fold(Stream::new(url), |stream, (name, value)| stream.parameter(*name, *value));
    VoiceResponse::new().connect(Connect::new().action(action).method(Method::Post).stream(stream)).to_xml()
}

fn forbidden(code: &str, message: &str) -> Response {
    let body = serde_json::json!({"error": {"code": code, "message": message, "details": []}});
    (StatusCode::FORBIDDEN, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

async fn stream(
    State(state): State<AppState>,
    Path(token): Path<String>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let (Some(telephony), Some(streams)) = (state.twilio.clone(), state.realtime.clone()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some(signature) = headers.get("x-twilio-signature").and_then(|v| v.to_str().ok()) else {
        tracing::warn!("refused a media stream without X-Twilio-Signature");
        return forbidden("missing_signature", "missing X-Twilio-Signature");
    };
    let url = format!("{}{}", websocket_base(&telephony.public_base_url), uri.path());
    if !telephony.validator.validate(&url, &[], signature) {
        tracing::warn!(%url, "refused a media stream: its signature does not match this URL");
        return forbidden(
            "invalid_signature",
            "X-Twilio-Signature does not match; check the Twilio auth token and FRONTDESK_PUBLIC_BASE_URL",
        );
    }
    let ticket = match streams.tokens.verify(&token, state.clock.now()) {
        Ok(ticket) => ticket,
        Err(error) => {
            tracing::warn!(%error, "refused a media stream");
            return forbidden(
                "invalid_stream_token",
                &format!("{error}; a stream token admits its call for {} s", STREAM_TOKEN_LIFETIME.num_seconds()),
            );
        }
    };
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let admitted = match admit(&state, &telephony, &streams, &ticket).await {
        Ok(admitted) => admitted,
        Err(refused) => return refused,
    };
    let call_sid = ticket.call_sid;
    upgrade.on_upgrade(move |socket| relay(socket, state, streams, call_sid, admitted))
}

/// Whether the token's shop has the call: the session parked for it must be
/// that shop's; with none parked here, the shop and the call are loaded and
/// what the model is told for the call is built again.
async fn admit(
    state: &AppState,
    telephony: &crate::twilio::Telephony,
    streams: &RealtimeStreams,
    ticket: &StreamTicket,
) -> Result<Admitted, Response> {
    let not_this_shops = || {
        tracing::warn!(tenant_id = %ticket.tenant, call_sid = %ticket.call_sid, "refused a media stream for a call its shop does not have");
        forbidden("unknown_call", "the stream token's shop has no such call")
    };
    if let Some(shop) = streams.parked_shop(&ticket.call_sid) {
        return if shop == ticket.tenant { Ok(Admitted::Parked) } else { Err(not_this_shops()) };
    }
    let call_sid = CallSid::parse(&ticket.call_sid).map_err(|_| not_this_shops())?;
    let unavailable = |error: &dyn std::fmt::Display| {
        tracing::error!(%error, "could not load a media stream's call");
        (StatusCode::SERVICE_UNAVAILABLE, "the call could not be loaded").into_response()
    };
    let shop = match state.tenants.get_tenant(&ticket.tenant).await {
        Ok(Some(shop)) => Arc::new(shop),
        Ok(None) => return Err(not_this_shops()),
        Err(error) => return Err(unavailable(&error)),
    };
    match telephony.session.realtime_resumed(&shop.profile, &call_sid, state.clock.now()).await {
        Ok(start) => Ok(Admitted::Resumed { shop, start }),
        Err(CallError::NotFound(_)) => Err(not_this_shops()),
        Err(error) => Err(unavailable(&error)),
    }
}

/// The session parked for the call, else (the webhook was served by another
/// process) one opened now with the call's own instructions.
async fn claim_or_open(streams: &RealtimeStreams, call_sid: &str, admitted: Admitted) -> Option<Claimed> {
    if let Some(parked) = streams.claim(call_sid) {
        return Some(Claimed { session: parked.session, shop: parked.shop, greeting: parked.start.greeting });
    }
    let Admitted::Resumed { shop, start } = admitted else {
        tracing::error!("the voice session parked for this call is gone");
        return None;
    };
    let Some(start) = start else {
        tracing::warn!("the voice model may no longer answer this call");
        return None;
    };
    tracing::info!("no voice session parked for this call here; opening one for it now");
    match streams.voice.open(streams.call_session(&start)).await {
        Ok(session) => Some(Claimed { session, shop, greeting: start.greeting }),
        Err(error) => {
            tracing::error!(%error, "could not open the voice model's session");
            None
        }
    }
}

/// Bridges the call's session to the socket until either ends; records
/// what the call said and spent and why it ended; then closes the socket
/// (Twilio goes on to the `<Connect action>`).
#[tracing::instrument(skip(socket, state, streams, admitted))]
async fn relay(
    mut socket: WebSocket,
    state: AppState,
    streams: Arc<RealtimeStreams>,
    call_sid: String,
    admitted: Admitted,
) {
    let Some(claimed) = claim_or_open(&streams, &call_sid, admitted).await else {
        ended(&state, &streams, &call_sid, StreamEnd::ModelFailed);
        let _ = socket.send(Message::Close(None)).await;
        return;
    };
    let (twilio_in, from_twilio) = mpsc::channel(FRAMES_QUEUED);
    let (to_twilio, mut twilio_out) = mpsc::channel::<TwilioCommand>(FRAMES_QUEUED);
    // The call's own tools (admitted: its telephony and sid are known).
    let (Some(telephony), Ok(sid)) = (&state.twilio, CallSid::parse(&call_sid)) else {
        ended(&state, &streams, &call_sid, StreamEnd::ModelFailed);
        let _ = claimed.session.sender.close().await;
        let _ = socket.send(Message::Close(None)).await;
        return;
    };
    let tools =
        Arc::new(CallTools(telephony.session.realtime_tools(claimed.shop.profile.clone(), sid, state.clock.clone())));
    let bridge = Bridge::new(claimed.session, tools)
        .with_options(BridgeOptions { expected_call_sid: Some(call_sid.clone()) })
        .with_ai_cap(streams.call_cap)
        .with_greeting(claimed.greeting.clone());
    let bridge = tokio::spawn(bridge.run(from_twilio, to_twilio));
    let mut twilio_in = Some(twilio_in);
    loop {
        tokio::select! {
            command = twilio_out.recv() => match command {
                Some(command) => {
                    if socket.send(Message::Text(command.to_json().into())).await.is_err() {
                        twilio_in = None;
                    }
                }
                // The bridge has ended.
                None => break,
            },
            frame = socket.recv(), if twilio_in.is_some() => match frame {
                Some(Ok(Message::Text(text))) => match TwilioMessage::parse(text.as_str()) {
                    Ok(message) => {
                        if let Some(sender) = &twilio_in
                            && sender.send(message).await.is_err()
                        {
                            twilio_in = None;
                        }
                    }
                    Err(error) => tracing::warn!(%error, "skipped a media stream frame"),
                },
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => twilio_in = None,
                Some(Ok(_)) => {}
            },
        }
    }
    let end = match bridge.await {
        Ok(outcome) => {
            log_outcome(&outcome, claimed.shop.profile.slug().as_str());
            state.metrics.realtime_outcome(&outcome);
            record(&state, &streams, &claimed.shop, &call_sid, &outcome).await;
            stream_end_of(&outcome.ended)
        }
        Err(error) => {
            tracing::error!(%error, "the media stream's bridge failed");
            StreamEnd::ModelFailed
        }
    };
    // Recorded before the socket closes: the `<Connect action>` follows it.
    ended(&state, &streams, &call_sid, end);
    let _ = socket.send(Message::Close(None)).await;
}

/// `call_sid`'s stream ended as `end`: kept for its `<Connect action>`,
/// and counted in the gateway's metrics.
fn ended(state: &AppState, streams: &RealtimeStreams, call_sid: &str, end: StreamEnd) {
    state.metrics.realtime_call_ended(end);
    streams.record_end(call_sid, end);
}

/// The stream's transcript, tokens and latencies on the call's record.
async fn record(
    state: &AppState,
    streams: &RealtimeStreams,
    shop: &TenantRecord,
    call_sid: &str,
    outcome: &BridgeOutcome,
) {
    let (Some(telephony), Ok(call_sid)) = (&state.twilio, CallSid::parse(call_sid)) else { return };
    let speaker = |speaker| match speaker {
        frontdesk_voice_bridge::Speaker::Caller => frontdesk_routing::Speaker::Caller,
        frontdesk_voice_bridge::Speaker::Receptionist => frontdesk_routing::Speaker::Agent,
    };
    let millis = |d: Option<Duration>| d.map(|d| d.as_millis() as u64);
    let record = RealtimeRecord {
        model: streams.voice.model_id().to_owned(),
        transcript: outcome
            .transcript
            .iter()
            .filter(|turn| !turn.text.trim().is_empty())
            .map(|turn| (speaker(turn.speaker), turn.text.clone()))
            .collect(),
        answers: outcome.usages.iter().map(tokens_of).collect(),
        transcription: transcription_of(streams, outcome),
        latency: RealtimeLatency {
            turns: outcome.latencies.turns.len() as u32,
            p50_ms: millis(outcome.latencies.p50()),
            p95_ms: millis(outcome.latencies.p95()),
        },
    };
    let recorded = telephony.session.realtime_recorded(&shop.profile, &call_sid, record, state.clock.now()).await;
    if let Err(error) = recorded {
        tracing::error!(%error, "could not record the realtime stream on the call");
    }
}

/// What transcribing the caller's words cost, at the session's
/// transcription model; seconds of audio are logged, not metered (the
/// price table prices tokens), as for a voicemail's transcription.
fn transcription_of(streams: &RealtimeStreams, outcome: &BridgeOutcome) -> Option<TranscriptionTokens> {
    let model = streams.session.input_transcription_model.as_deref()?;
    if outcome.transcription_seconds > 0.0 {
        tracing::warn!(
            model,
            seconds = outcome.transcription_seconds,
            "a transcription billed by the second is not metered (the price table prices tokens)"
        );
    }
    let usage = outcome.transcription_tokens;
    let tokens = TokenCount::text(usage.input_tokens, usage.cached_input_tokens, usage.output_tokens);
    (tokens.total() > 0).then(|| TranscriptionTokens { model: model.to_owned(), tokens })
}

/// An answer's tokens as the price table counts them: text and audio
/// apart, each kind at its own price.
fn tokens_of(usage: &RealtimeUsage) -> TokenCount {
    let (text, audio) = (usage.text, usage.audio);
    TokenCount::text(text.input_tokens, text.cached_input_tokens, text.output_tokens)
        + TokenCount::audio(audio.input_tokens, audio.cached_input_tokens, audio.output_tokens)
}

/// One event per realtime call under the target `frontdesk::realtime`, with
/// its `latency_p50_ms`, `latency_p95_ms`, `turns` and `tokens` (the same
/// figures go to `/metrics`, [`crate::metrics`], for all calls together).
/// The span carries the call sid.
fn log_outcome(outcome: &BridgeOutcome, tenant: &str) {
    let tokens: u64 = outcome.usages.iter().map(|usage| tokens_of(usage).total()).sum();
    tracing::info!(
        target: "frontdesk::realtime",
        tenant_id = tenant,
        ended = ?outcome.ended,
        turns = outcome.latencies.turns.len(),
        latency_p50_ms = outcome.latencies.p50().map(|d| d.as_millis() as u64),
        latency_p95_ms = outcome.latencies.p95().map(|d| d.as_millis() as u64),
        responses = outcome.responses,
        tokens,
        "realtime call ended"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_stream_url_is_the_public_url_over_websocket() {
        assert_eq!(stream_url("https://fd.example.com/", "T"), "wss://fd.example.com/twilio/stream/T");
        assert_eq!(stream_url("http://127.0.0.1:8080", "T"), "ws://127.0.0.1:8080/twilio/stream/T");
    }

    #[test]
    fn a_realtime_call_is_answered_with_connect_and_a_tokened_stream() {
        let tokens = StreamTokens::new(b"secret");
        let tenant = TenantId::parse("t1").unwrap_or_else(|e| panic!("{e}"));
        let now = Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).single().unwrap_or_default();
        let twiml = connect_stream_twiml(
            "https://fd.example.com",
            &tokens,
            &tenant,
            "CA123",
            now,
            "/twilio/stream-ended",
            &[("tenant", "t1"), ("caller", "+15551234567")],
        );
        let token = tokens.mint("CA123", &tenant, now);
        assert_eq!(
            twiml,
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><Response><Connect action="/twilio/stream-ended" method="POST"><Stream url="wss://fd.example.com/twilio/stream/{token}"><Parameter name="tenant" value="t1" /><Parameter name="caller" value="+15551234567" /></Stream></Connect></Response>"#
            )
        );
        let ticket = frontdesk_voice_bridge::StreamTicket { call_sid: "CA123".to_owned(), tenant };
        assert_eq!(tokens.verify(&token, now), Ok(ticket));
    }
}
