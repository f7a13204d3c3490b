//! Loading service-account keys and building the adapter.

use std::sync::Arc;

use frontdesk_core::{Clock, ManualClock};
use frontdesk_google_calendar::{
    DEFAULT_API_BASE, DEFAULT_TOKEN_URI, GoogleCalendar, GoogleCalendarConfig, GoogleCalendarSetupError,
    ServiceAccountKey, ServiceAccountKeyError,
};
use serde_json::json;

use crate::support::*;

fn parse(json: &serde_json::Value) -> Result<ServiceAccountKey, ServiceAccountKeyError> {
    ServiceAccountKey::from_json(&json.to_string())
}

#[test]
fn loads_googles_key_file_format() {
    let key = ServiceAccountKey::from_file(fixture_path("test-service-account.json"))
        .unwrap_or_else(|e| panic!("fixture key: {e}"));

    assert_eq!(key.client_email(), FIXTURE_CLIENT_EMAIL);
    assert_eq!(key.private_key_id(), FIXTURE_KEY_ID);
    assert_eq!(key.token_uri(), "https://oauth2.googleapis.com/token");
}

#[test]
fn debug_output_never_shows_the_private_key() {
    let key = ServiceAccountKey::from_file(fixture_path("test-service-account.json"))
        .unwrap_or_else(|e| panic!("fixture key: {e}"));
    let private_key = fixture_key_json()["private_key"].as_str().unwrap_or_default().to_owned();
    let some_key_line = private_key.lines().nth(5).unwrap_or_else(|| panic!("fixture private key is too short"));

    for shown in [format!("{key:?}"), format!("{key:#?}")] {
        assert!(shown.contains(FIXTURE_CLIENT_EMAIL), "{shown}");
        assert!(shown.contains("[redacted]"), "{shown}");
        assert!(!shown.contains("PRIVATE KEY") && !shown.contains(some_key_line), "{shown}");
    }
}

#[test]
fn errors_name_the_missing_field() {
    for field in ["client_email", "private_key", "private_key_id"] {
        let mut json = fixture_key_json();
        json.as_object_mut().map(|object| object.remove(field));
        let error = parse(&json).err().unwrap_or_else(|| panic!("a key without {field} must be refused"));
        assert_eq!(error.to_string(), format!("the Google service-account key has no `{field}`"));

        json[field] = json!("");
        let error = parse(&json).err().unwrap_or_else(|| panic!("a key with an empty {field} must be refused"));
        assert_eq!(error.to_string(), format!("the Google service-account key has no `{field}`"));
    }
}

#[test]
fn token_uri_defaults_to_googles() {
    let mut json = fixture_key_json();
    json.as_object_mut().map(|object| object.remove("token_uri"));

    let key = parse(&json).unwrap_or_else(|e| panic!("key without token_uri: {e}"));

    assert_eq!(key.token_uri(), DEFAULT_TOKEN_URI);
}

#[test]
fn refuses_what_is_not_a_service_account_key() {
    let check = |json: serde_json::Value, expected: &str| {
        let error = parse(&json).err().unwrap_or_else(|| panic!("{json} must be refused"));
        assert!(error.to_string().contains(expected), "{error} should mention {expected:?}");
    };
    let mut oauth_client = fixture_key_json();
    oauth_client["type"] = json!("authorized_user");
    check(oauth_client, "type \"authorized_user\"");
    let mut bad_token_uri = fixture_key_json();
    bad_token_uri["token_uri"] = json!("oauth2.googleapis.com/token");
    check(bad_token_uri, "token_uri");
    let mut garbage_key = fixture_key_json();
    garbage_key["private_key"] = json!("-----BEGIN PRIVATE KEY-----\nTm90IGEga2V5\n-----END PRIVATE KEY-----\n");
    check(garbage_key, "`private_key` is unusable");
    let mut no_pem = fixture_key_json();
    no_pem["private_key"] = json!("hunter2");
    check(no_pem, "no -----BEGIN PRIVATE KEY----- line");

    let error = ServiceAccountKey::from_json("{not json").err().unwrap_or_else(|| panic!("not JSON must be refused"));
    assert!(matches!(error, ServiceAccountKeyError::Json(_)), "{error:?}");
}

#[test]
fn unusable_key_errors_do_not_echo_the_key() {
    let mut json = fixture_key_json();
    let private_key = json["private_key"].as_str().unwrap_or_default().to_owned();
    // Corrupt the key's middle so the PEM frame and DER lengths hold but the key does not.
    let mut lines: Vec<String> = private_key.lines().map(str::to_owned).collect();
    lines[10] = "B".repeat(lines[10].len());
    let corrupted = lines.join("\n");
    json["private_key"] = json!(corrupted);

    let error = parse(&json).err().unwrap_or_else(|| panic!("a corrupted key must be refused"));

    let shown = format!("{error} {error:?}");
    assert!(matches!(error, ServiceAccountKeyError::PrivateKey(_)), "{error:?}");
    assert!(!shown.contains(&lines[5]) && !shown.contains(&lines[10]), "{shown}");
}

#[test]
fn accepts_pkcs1_keys_and_escaped_newlines() {
    let mut pkcs1 = fixture_key_json();
    pkcs1["private_key"] = json!(read_fixture("test-private-key-pkcs1.pem"));
    parse(&pkcs1).unwrap_or_else(|e| panic!("PKCS#1 key: {e}"));

    // As when the key file was pasted into an environment variable.
    let mut escaped = fixture_key_json();
    let one_line = escaped["private_key"].as_str().unwrap_or_default().replace('\n', "\\n");
    escaped["private_key"] = json!(one_line);
    parse(&escaped).unwrap_or_else(|e| panic!("key with escaped newlines: {e}"));
}

#[test]
fn a_missing_key_file_names_the_path() {
    let path = fixture_path("no-such-key.json");

    let error = ServiceAccountKey::from_file(&path).err().unwrap_or_else(|| panic!("a missing file must fail"));

    assert!(error.to_string().contains("no-such-key.json"), "{error}");
}

#[test]
fn config_defaults_to_google_with_a_short_timeout() {
    let config = GoogleCalendarConfig::default();

    assert_eq!(config.api_base, DEFAULT_API_BASE);
    assert_eq!(config.api_base, "https://www.googleapis.com/calendar/v3");
    assert!(config.timeout.as_secs() <= 5, "{:?}", config.timeout);
    assert!(config.platform_key.is_none() && config.tenant_keys.is_empty());
}

#[test]
fn refuses_an_api_base_that_is_not_a_url() {
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(monday_at(8, 0)));
    let config = GoogleCalendarConfig {
        api_base: "www.googleapis.com/calendar/v3".to_owned(),
        ..GoogleCalendarConfig::default()
    };

    let result = GoogleCalendar::new(config, clock);

    assert!(matches!(result, Err(GoogleCalendarSetupError::ApiBase(_))), "{result:?}");
}
