//! Media Streams frames, exactly as protocols.md §3 shows them.

use std::collections::BTreeMap;

use frontdesk_voice_bridge::{
    MediaFormat, MediaFrame, MediaStreamError, StreamStart, Track, TwilioCommand, TwilioMessage,
};
use serde_json::{Value, json};

fn check(text: &str, expected: TwilioMessage) {
    assert_eq!(TwilioMessage::parse(text), Ok(expected), "{text}");
}

#[test]
fn twilio_frames_are_read() {
    check(
        r#"{"event":"connected","protocol":"Call","version":"1.0.0"}"#,
        TwilioMessage::Connected { protocol: "Call".to_owned(), version: "1.0.0".to_owned() },
    );
    check(
        r#"{"event":"start","sequenceNumber":"1","start":{"accountSid":"AC123","streamSid":"MZ123","callSid":"CA123","tracks":["inbound"],"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1},"customParameters":{"tenant":"t1"}},"streamSid":"MZ123"}"#,
        TwilioMessage::Start(StreamStart {
            stream_sid: "MZ123".to_owned(),
            call_sid: "CA123".to_owned(),
            account_sid: "AC123".to_owned(),
            tracks: vec!["inbound".to_owned()],
            media_format: MediaFormat { encoding: "audio/x-mulaw".to_owned(), sample_rate: 8000, channels: 1 },
            custom_parameters: BTreeMap::from([("tenant".to_owned(), "t1".to_owned())]),
        }),
    );
    check(
        r#"{"event":"media","sequenceNumber":"3","media":{"track":"inbound","chunk":"1","timestamp":"5","payload":"/35/fQ=="},"streamSid":"MZ123"}"#,
        TwilioMessage::Media(MediaFrame {
            track: Track::Inbound,
            chunk: 1,
            timestamp_ms: 5,
            audio: vec![0xff, 0x7e, 0x7f, 0x7d],
        }),
    );
    check(
        r#"{"event":"dtmf","streamSid":"MZ123","sequenceNumber":"5","dtmf":{"track":"inbound_track","digit":"1"}}"#,
        TwilioMessage::Dtmf { digit: "1".to_owned() },
    );
    check(
        r#"{"event":"mark","sequenceNumber":"4","streamSid":"MZ123","mark":{"name":"utt-7"}}"#,
        TwilioMessage::Mark { name: "utt-7".to_owned() },
    );
    check(
        r#"{"event":"stop","sequenceNumber":"5","stop":{"accountSid":"AC123","callSid":"CA123"},"streamSid":"MZ123"}"#,
        TwilioMessage::Stop { call_sid: "CA123".to_owned() },
    );
}

#[test]
fn a_frame_of_twenty_milliseconds_is_160_bytes() {
    let payload = format!("{}/w==", "/".repeat(212));
    assert_eq!(payload.len(), 216);
    let text = format!(
        r#"{{"event":"media","media":{{"track":"inbound","chunk":"2","timestamp":"25","payload":"{payload}"}},"streamSid":"MZ1"}}"#
    );
    let Ok(TwilioMessage::Media(frame)) = TwilioMessage::parse(&text) else { panic!("not a media frame") };
    assert_eq!(frame.audio.len(), 160);
}

#[test]
fn unreadable_frames_are_told_apart() {
    let bad = |text: &str| TwilioMessage::parse(text).err();
    assert!(matches!(bad("not json"), Some(MediaStreamError::Malformed(_))));
    assert!(matches!(bad(r#"{"event":"closed"}"#), Some(MediaStreamError::Malformed(_))));
    assert!(matches!(
        bad(r#"{"event":"media","media":{"track":"inbound","chunk":"1","timestamp":"5","payload":"%%%"}}"#),
        Some(MediaStreamError::BadPayload(_))
    ));
    assert_eq!(
        bad(r#"{"event":"media","media":{"track":"inbound","chunk":"one","timestamp":"5","payload":""}}"#),
        Some(MediaStreamError::BadCounter { field: "chunk", value: "one".to_owned() })
    );
}

#[test]
fn our_frames_are_written_as_twilio_reads_them() {
    let json = |command: TwilioCommand| serde_json::from_str::<Value>(&command.to_json()).unwrap_or_default();
    assert_eq!(
        json(TwilioCommand::Media { stream_sid: "MZ123".to_owned(), audio: vec![0xff, 0x7e, 0x7f, 0x7d] }),
        json!({"event": "media", "streamSid": "MZ123", "media": {"payload": "/35/fQ=="}})
    );
    assert_eq!(
        json(TwilioCommand::Mark { stream_sid: "MZ123".to_owned(), name: "utt-7".to_owned() }),
        json!({"event": "mark", "streamSid": "MZ123", "mark": {"name": "utt-7"}})
    );
    assert_eq!(
        TwilioCommand::Clear { stream_sid: "MZ123".to_owned() }.to_json(),
        r#"{"event":"clear","streamSid":"MZ123"}"#
    );
}

#[test]
fn only_mulaw_at_8_khz_mono_is_relayed() {
    let format =
        |encoding: &str, rate, channels| MediaFormat { encoding: encoding.to_owned(), sample_rate: rate, channels };
    assert!(format("audio/x-mulaw", 8000, 1).is_mulaw_8k_mono());
    assert!(!format("audio/x-l16", 8000, 1).is_mulaw_8k_mono());
    assert!(!format("audio/x-mulaw", 16000, 1).is_mulaw_8k_mono());
    assert!(!format("audio/x-mulaw", 8000, 2).is_mulaw_8k_mono());
}
