//! Fetching a recording's audio: the `.mp3` of the webhook's `RecordingUrl`
//! with the account's credentials, only from Twilio's own API host.

use frontdesk_twilio::RecordingFetchError;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{ACCOUNT_SID, basic_auth, twilio, twilio_error};

const RECORDING_SID: &str = "RE0123456789abcdef0123456789abcdef";
const MP3: &[u8] = b"ID3\x04\x00\x00\x00\x00\x00\x00\xff\xfbframes";

fn recording_path() -> String {
    format!("/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{RECORDING_SID}")
}

/// The `RecordingUrl` Twilio's webhook names, on `server`.
fn recording_url(server: &MockServer) -> String {
    format!("{}{}", server.uri(), recording_path())
}

#[tokio::test]
async fn the_mp3_is_fetched_with_the_accounts_credentials() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{}.mp3", recording_path())))
        .and(header("authorization", basic_auth().as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_raw(MP3.to_vec(), "audio/mpeg"))
        .expect(2)
        .mount(&server)
        .await;
    let media = twilio(&server).fetch_recording(&recording_url(&server), 1024).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(media.bytes, MP3);
    assert_eq!(media.content_type.as_deref(), Some("audio/mpeg"));
    // A URL that already names a format (or carries a query) still gets the MP3.
    let named = format!("{}.wav?Download=true", recording_url(&server));
    let media = twilio(&server).fetch_recording(&named, 1024).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(media.bytes, MP3);
}

#[tokio::test]
async fn only_a_recording_on_twilios_api_host_is_fetched() {
    let server = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    // Nothing may reach either server: a request would carry the credentials.
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(200)).expect(0).mount(&server).await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(200)).expect(0).mount(&elsewhere).await;
    let host = server.uri().trim_start_matches("http://").to_owned();
    let refused = [
        format!("https://attacker.example{}", recording_path()),
        format!("{}{}", elsewhere.uri(), recording_path()),
        format!("https://{host}{}", recording_path()),
        format!("http://user:pw@{host}{}", recording_path()),
        format!("{}/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/CA1", server.uri()),
        format!("{}/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{RECORDING_SID}/Transcriptions", server.uri()),
        format!("{}/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/..%2F..%2FMessages", server.uri()),
        format!("{}/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/", server.uri()),
        "not a url".to_owned(),
    ];
    for url in refused {
        match twilio(&server).fetch_recording(&url, 1024).await {
            Err(RecordingFetchError::ForeignUrl(text)) => assert!(!text.contains("pw@"), "{text}"),
            other => panic!("{url}: expected ForeignUrl, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_redirect_to_storage_is_followed_once_without_the_credentials() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{}.mp3", recording_path())))
        .and(header("authorization", basic_auth().as_str()))
        .respond_with(ResponseTemplate::new(302).insert_header("location", "/storage/signed-recording.mp3"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/storage/signed-recording.mp3"))
        .respond_with(|request: &wiremock::Request| {
            if request.headers.contains_key("authorization") {
                ResponseTemplate::new(400).set_body_string("credentials leaked to storage")
            } else {
                ResponseTemplate::new(200).set_body_raw(MP3.to_vec(), "audio/mpeg")
            }
        })
        .expect(1)
        .mount(&server)
        .await;
    let media = twilio(&server).fetch_recording(&recording_url(&server), 1024).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(media.bytes, MP3);
}

/// What a case's error must be.
type Expected = fn(&RecordingFetchError) -> bool;

#[tokio::test]
async fn missing_limited_down_refused_and_oversized_recordings_are_told_apart() {
    let cases: Vec<(ResponseTemplate, Expected)> = vec![
        (twilio_error(404, 20404, "The requested resource was not found"), |e| {
            matches!(e, RecordingFetchError::NotFound(_))
        }),
        (
            twilio_error(429, 20429, "Too Many Requests").insert_header("Retry-After", "3"),
            |e| matches!(e, RecordingFetchError::RateLimited { retry_after: Some(wait) } if wait.as_secs() == 3),
        ),
        (ResponseTemplate::new(503).set_body_string("<html>unavailable</html>"), |e| {
            matches!(e, RecordingFetchError::Unavailable(_))
        }),
        (
            twilio_error(401, 20003, "Authenticate"),
            |e| matches!(e, RecordingFetchError::Rejected(text) if text.contains("20003")),
        ),
        (ResponseTemplate::new(200).set_body_raw(vec![0_u8; 2048], "audio/mpeg"), |e| {
            matches!(e, RecordingFetchError::TooLarge(1024))
        }),
    ];
    for (response, expected) in cases {
        let server = MockServer::start().await;
        Mock::given(method("GET")).respond_with(response).expect(1).mount(&server).await;
        match twilio(&server).fetch_recording(&recording_url(&server), 1024).await {
            Err(error) => assert!(expected(&error), "{error:?}"),
            Ok(media) => panic!("expected an error, got {media:?}"),
        }
    }
}
