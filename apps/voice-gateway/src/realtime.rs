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
//! The relaying itself is `frontdesk_voice_bridge::Bridge`'s: this module
//! only turns the socket into its channels.

use std::sync::Arc;

use axum::Router;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade, rejection::WebSocketUpgradeRejection};
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use frontdesk_llm::{RealtimeVoice, SessionConfig};
use frontdesk_twilio::twiml::{Connect, Method, Stream, VoiceResponse};
use frontdesk_voice_bridge::{
    Bridge, BridgeOptions, BridgeOutcome, STREAM_TOKEN_LIFETIME, StreamTokens, ToolRunner, TwilioCommand, TwilioMessage,
};
use tokio::sync::mpsc;

use crate::app::AppState;

/// Frames queued each way between the socket and the bridge: a few hundred
/// milliseconds of audio, so a slow side holds the other up rather than
/// buffering without end.
const FRAMES_QUEUED: usize = 32;

/// What the stream endpoint needs besides the Twilio webhooks' settings.
pub struct RealtimeStreams {
    pub voice: Arc<dyn RealtimeVoice>,
    pub tokens: StreamTokens,
    /// The session each stream opens (until the voice webhook opens it
    /// per call, while the phone rings).
    pub session: SessionConfig,
    pub tools: Arc<dyn ToolRunner>,
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
    call_sid: &str,
    now: DateTime<Utc>,
    action: &str,
    parameters: &[(&str, &str)],
) -> String {
    let url = stream_url(public_base_url, &tokens.mint(call_sid, now));
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
    let call_sid = match streams.tokens.verify(&token, state.clock.now()) {
        Ok(call_sid) => call_sid,
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
    upgrade.on_upgrade(move |socket| relay(socket, streams, call_sid))
}

/// Opens the model's session and bridges it to the socket until either
/// ends; then closes the socket (Twilio goes on to the `<Connect action>`).
#[tracing::instrument(skip(socket, streams))]
async fn relay(mut socket: WebSocket, streams: Arc<RealtimeStreams>, call_sid: String) {
    let session = match streams.voice.open(streams.session.clone()).await {
        Ok(session) => session,
        Err(error) => {
            tracing::error!(%error, "could not open the voice model's session");
            let _ = socket.send(Message::Close(None)).await;
            return;
        }
    };
    let (twilio_in, from_twilio) = mpsc::channel(FRAMES_QUEUED);
    let (to_twilio, mut twilio_out) = mpsc::channel::<TwilioCommand>(FRAMES_QUEUED);
    let bridge =
        Bridge::new(session, streams.tools.clone()).with_options(BridgeOptions { expected_call_sid: Some(call_sid) });
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
    let _ = socket.send(Message::Close(None)).await;
    match bridge.await {
        Ok(outcome) => log_outcome(&outcome),
        Err(error) => tracing::error!(%error, "the media stream's bridge failed"),
    }
}

fn log_outcome(outcome: &BridgeOutcome) {
    tracing::info!(
        ended = ?outcome.ended,
        turns = outcome.latencies.turns.len(),
        p50_ms = outcome.latencies.p50().map(|d| d.as_millis() as u64),
        p95_ms = outcome.latencies.p95().map(|d| d.as_millis() as u64),
        responses = outcome.responses,
        "media stream ended"
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
        let now = Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).single().unwrap_or_default();
        let twiml = connect_stream_twiml(
            "https://fd.example.com",
            &tokens,
            "CA123",
            now,
            "/twilio/stream-ended",
            &[("tenant", "t1"), ("caller", "+15551234567")],
        );
        let token = tokens.mint("CA123", now);
        assert_eq!(
            twiml,
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><Response><Connect action="/twilio/stream-ended" method="POST"><Stream url="wss://fd.example.com/twilio/stream/{token}"><Parameter name="tenant" value="t1" /><Parameter name="caller" value="+15551234567" /></Stream></Connect></Response>"#
            )
        );
        assert_eq!(tokens.verify(&token, now), Ok("CA123".to_owned()));
    }
}
