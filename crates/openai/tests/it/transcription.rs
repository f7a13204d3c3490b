//! Audio transcriptions against a local fake speaking OpenAI's shapes: the
//! multipart upload (the file's bytes, the model, `response_format=json`,
//! the language hint), the transcript and what it cost, and every failure
//! mapped to what the port promises.

use std::time::Duration;

use frontdesk_llm::{
    AudioClip, ClipFormat, LanguageHint, ModelUsage, Transcriber, Transcript, TranscriptionError, TranscriptionUsage,
};
use frontdesk_openai::{DEFAULT_TRANSCRIBE_MODEL, OpenAi, OpenAiConfig, OpenAiTranscriber};
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "sk-test-not-a-real-key";
/// An MP3's first bytes, a NUL and a byte that is not UTF-8: the upload
/// must carry them as they are.
const AUDIO: &[u8] = b"ID3\x04\x00\x00\x00\x00\x00\x00\xff\xfbfake-mp3-frames\x00\xfe";

fn transcriber(server: &MockServer, model: &str) -> OpenAiTranscriber {
    let config = OpenAiConfig {
        base_url: format!("{}/v1", server.uri()),
        timeout: Duration::from_secs(5),
        retries: 1,
        ..OpenAiConfig::new(KEY)
    };
    OpenAiTranscriber::new(OpenAi::new(config).unwrap_or_else(|e| panic!("{e}")), model)
}

fn clip() -> AudioClip {
    AudioClip::new(AUDIO.to_vec(), ClipFormat::Mp3).unwrap_or_else(|e| panic!("{e}"))
}

fn english() -> LanguageHint {
    LanguageHint::from_locale("en-US").unwrap_or_else(|| panic!("a language"))
}

fn error(status: u16, code: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_json(json!({"error": {"message": message, "type": "requests", "param": null, "code": code}}))
}

async fn transcribed(server: &MockServer) -> Result<Transcript, TranscriptionError> {
    transcriber(server, DEFAULT_TRANSCRIBE_MODEL).transcribe(&clip(), Some(&english())).await
}

/// The parts of a multipart body: each one's headers (as text) and content.
fn parts(body: &[u8], boundary: &str) -> Vec<(String, Vec<u8>)> {
    let delimiter = format!("--{boundary}");
    let mut found = Vec::new();
    let mut rest = body;
    while let Some(start) = find(rest, delimiter.as_bytes()) {
        rest = &rest[start + delimiter.len()..];
        if rest.starts_with(b"--") {
            break;
        }
        let Some(end) = find(rest, delimiter.as_bytes()) else { break };
        let part = rest[..end].strip_prefix(b"\r\n").unwrap_or(&rest[..end]);
        let part = part.strip_suffix(b"\r\n").unwrap_or(part);
        let split = find(part, b"\r\n\r\n").unwrap_or_else(|| panic!("a part without headers"));
        found.push((String::from_utf8_lossy(&part[..split]).into_owned(), part[split + 4..].to_vec()));
    }
    found
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

#[tokio::test]
async fn the_audio_goes_up_as_a_multipart_file_with_the_model_and_json_format() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/audio/transcriptions"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "text": " Hi, it's Jane. Please call me back about Friday. ",
            "usage": {"type": "tokens", "input_tokens": 212, "input_token_details": {"text_tokens": 0, "audio_tokens": 212}, "output_tokens": 14, "total_tokens": 226}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let transcript = transcribed(&server).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(transcript.text, "Hi, it's Jane. Please call me back about Friday.");
    assert_eq!(
        transcript.usage,
        TranscriptionUsage::Tokens(ModelUsage { input_tokens: 212, cached_input_tokens: 0, output_tokens: 14 })
    );

    let requests = server.received_requests().await.unwrap_or_default();
    let content_type = requests[0].headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap_or_else(|| panic!("a multipart upload: {content_type}"));
    let parts = parts(&requests[0].body, boundary);
    let named = |name: &str| {
        parts
            .iter()
            .find(|(headers, _)| headers.contains(&format!("name=\"{name}\"")))
            .unwrap_or_else(|| panic!("no {name} part in {parts:?}"))
    };
    let (file_headers, file) = named("file");
    assert!(file_headers.contains("filename=\"message.mp3\""), "{file_headers}");
    assert!(file_headers.to_ascii_lowercase().contains("content-type: audio/mpeg"), "{file_headers}");
    assert_eq!(file.as_slice(), AUDIO, "the file's bytes, untouched");
    assert_eq!(named("model").1, b"gpt-4o-mini-transcribe");
    assert_eq!(named("response_format").1, b"json");
    assert_eq!(named("language").1, b"en");
    assert_eq!(parts.len(), 4, "nothing else is sent: {parts:?}");
}

#[tokio::test]
async fn whisper_is_billed_by_the_second_and_a_compatible_server_may_say_nothing() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/audio/transcriptions"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"text": "Call me back.", "usage": {"type": "duration", "seconds": 9}})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/audio/transcriptions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"text": "Call me back."})))
        .mount(&server)
        .await;
    let whisper = transcriber(&server, "whisper-1");
    assert_eq!(whisper.model_id(), "whisper-1");
    let billed = whisper.transcribe(&clip(), None).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(billed.usage, TranscriptionUsage::AudioSeconds(9.0));
    let unreported = whisper.transcribe(&clip(), None).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((unreported.text.as_str(), unreported.usage), ("Call me back.", TranscriptionUsage::Unreported));
    let requests = server.received_requests().await.unwrap_or_default();
    let body = String::from_utf8_lossy(&requests[0].body).into_owned();
    assert!(body.contains("whisper-1") && !body.contains("name=\"language\""), "no hint, none sent: {body}");
}

#[tokio::test]
async fn a_rate_limit_is_waited_out_and_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(error(429, "rate_limit_exceeded", "Rate limit reached").insert_header("retry-after-ms", "20"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"text": "Call me back."})))
        .expect(1)
        .mount(&server)
        .await;
    let transcript = transcribed(&server).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(transcript.text, "Call me back.");
}

#[tokio::test]
async fn failures_map_to_what_the_port_promises() {
    // Still rate limited after the retry: later.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(error(429, "rate_limit_exceeded", "Rate limit reached").insert_header("retry-after-ms", "10"))
        .expect(2)
        .mount(&server)
        .await;
    let limited = transcribed(&server).await;
    assert!(matches!(&limited, Err(TranscriptionError::RateLimited(m)) if m.contains("429")), "{limited:?}");
    assert!(limited.as_ref().is_err_and(TranscriptionError::is_transient));

    // An outage: retried once, then unavailable.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_body_string("internal error"))
        .expect(2)
        .mount(&server)
        .await;
    let down = transcribed(&server).await;
    assert!(matches!(&down, Err(TranscriptionError::Unavailable(m)) if m.contains("500")), "{down:?}");

    // A bad key: refused at once, the key never echoed.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(error(401, "invalid_api_key", &format!("Incorrect API key provided: {KEY}")))
        .expect(1)
        .mount(&server)
        .await;
    let refused = transcribed(&server).await;
    assert!(matches!(&refused, Err(TranscriptionError::Refused(m)) if !m.contains(KEY)), "{refused:?}");
    assert!(!refused.as_ref().is_err_and(TranscriptionError::is_transient));

    // No quota left: no retry helps.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(error(429, "insufficient_quota", "You exceeded your current quota"))
        .expect(1)
        .mount(&server)
        .await;
    assert!(matches!(transcribed(&server).await, Err(TranscriptionError::Refused(_))));

    // A reply without text is not an empty message.
    for bad in [json!({"usage": {"type": "duration", "seconds": 3}}), json!({"text": 7}), json!("nope")] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(bad.clone()))
            .mount(&server)
            .await;
        let invalid = transcribed(&server).await;
        assert!(matches!(invalid, Err(TranscriptionError::Invalid(_))), "{bad}: {invalid:?}");
    }
}

#[tokio::test]
async fn a_transcription_past_its_deadline_is_a_timeout() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"text": "too late"})).set_delay(Duration::from_secs(3)),
        )
        .mount(&server)
        .await;
    let impatient = transcriber(&server, DEFAULT_TRANSCRIBE_MODEL).with_deadline(Duration::from_millis(300));
    let started = std::time::Instant::now();
    let late = impatient.transcribe(&clip(), None).await;
    assert_eq!(late, Err(TranscriptionError::Timeout));
    assert!(started.elapsed() < Duration::from_secs(2), "given up at the deadline: {:?}", started.elapsed());
}
