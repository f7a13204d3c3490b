//! Sending texts through the `Messaging` port: the exact request, and every
//! class of failure.

use std::net::TcpListener;
use std::time::Duration;

use frontdesk_messaging::{Messaging, MessagingError, SentSms};
use frontdesk_twilio::{TwilioRest, TwilioRestConfig, TwilioSetupError};
use serde_json::json;
use wiremock::matchers::body_string;
use wiremock::{MockServer, ResponseTemplate};

use crate::support::{AUTH_TOKEN, MESSAGES_PATH, config, form_post, sms, twilio, twilio_error};

fn created(sid: &str, status: &str) -> ResponseTemplate {
    ResponseTemplate::new(201).set_body_json(json!({
        "sid": sid,
        "status": status,
        "account_sid": "AC0123456789abcdef0123456789abcdef",
        "to": "+15551234567",
        "from": "+15557654321",
        "body": "ignored",
        "num_segments": "1",
        "error_code": null,
    }))
}

async fn send_expecting_error(server: &MockServer, response: ResponseTemplate) -> MessagingError {
    form_post(MESSAGES_PATH).respond_with(response).expect(1).mount(server).await;
    match twilio(server).send_sms(&sms("Hello")).await {
        Ok(sent) => panic!("expected an error, got {sent:?}"),
        Err(error) => error,
    }
}

#[tokio::test]
async fn sends_to_from_and_body_as_a_form_and_returns_the_sid() {
    let server = MockServer::start().await;
    form_post(MESSAGES_PATH)
        .and(body_string("To=%2B15551234567&From=%2B15557654321&Body=See+you+at+3pm+%26+bring+ID%3D100%25%0AThanks"))
        .respond_with(created("SM0123456789abcdef0123456789abcdef", "queued"))
        .expect(1)
        .mount(&server)
        .await;

    let sent = twilio(&server).send_sms(&sms("See you at 3pm & bring ID=100%\nThanks")).await.expect("sent");

    assert_eq!(sent, SentSms { provider_id: "SM0123456789abcdef0123456789abcdef".into(), status: "queued".into() });
}

#[tokio::test]
async fn adds_the_status_callback_when_configured() {
    let server = MockServer::start().await;
    form_post(MESSAGES_PATH)
        .and(body_string(
            "To=%2B15551234567&From=%2B15557654321&Body=Hi&StatusCallback=https%3A%2F%2Fgw.example%2Ftwilio%2Fsms-status%3Ft%3D1",
        ))
        .respond_with(created("SM1", "accepted"))
        .expect(1)
        .mount(&server)
        .await;
    let config = TwilioRestConfig {
        status_callback: Some("https://gw.example/twilio/sms-status?t=1".into()),
        ..config(&server)
    };

    let sent = TwilioRest::new(config).expect("valid config").send_sms(&sms("Hi")).await.expect("sent");

    assert_eq!(sent.status, "accepted");
}

#[tokio::test]
async fn unreachable_recipients_are_invalid_numbers() {
    for code in [21211, 21614, 21408] {
        let server = MockServer::start().await;
        let message = "The 'To' number +15551234567 is not a valid phone number.";
        match send_expecting_error(&server, twilio_error(400, code, message)).await {
            MessagingError::InvalidNumber(text) => {
                assert!(text.contains(&code.to_string()) && text.contains(message), "{text}");
            }
            other => panic!("code {code}: expected InvalidNumber, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn stop_replies_are_opt_outs() {
    let server = MockServer::start().await;
    let error =
        send_expecting_error(&server, twilio_error(400, 21610, "Attempt to send to unsubscribed recipient")).await;
    assert!(matches!(&error, MessagingError::OptedOut(text) if text.contains("21610")), "{error:?}");
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn too_many_requests_is_rate_limited_with_retry_after() {
    let server = MockServer::start().await;
    let response = twilio_error(429, 20429, "Too Many Requests").insert_header("Retry-After", "7");
    let error = send_expecting_error(&server, response).await;
    assert!(
        matches!(error, MessagingError::RateLimited { retry_after: Some(wait) } if wait == Duration::from_secs(7)),
        "{error:?}"
    );
}

#[tokio::test]
async fn rate_limits_without_retry_after_or_by_code_alone() {
    let server = MockServer::start().await;
    let error = send_expecting_error(&server, ResponseTemplate::new(429)).await;
    assert!(matches!(error, MessagingError::RateLimited { retry_after: None }), "{error:?}");

    let server = MockServer::start().await;
    let error = send_expecting_error(&server, twilio_error(400, 20429, "Too Many Requests")).await;
    assert!(matches!(error, MessagingError::RateLimited { retry_after: None }), "{error:?}");
}

#[tokio::test]
async fn server_errors_are_unavailable() {
    let server = MockServer::start().await;
    let error = send_expecting_error(&server, twilio_error(500, 20500, "Internal Server Error")).await;
    assert!(matches!(&error, MessagingError::Unavailable(text) if text.contains("20500")), "{error:?}");
    assert!(error.is_retryable());

    let server = MockServer::start().await;
    let error =
        send_expecting_error(&server, ResponseTemplate::new(502).set_body_string("<html>Bad Gateway</html>")).await;
    assert!(matches!(&error, MessagingError::Unavailable(text) if text.contains("502")), "{error:?}");
}

#[tokio::test]
async fn other_refusals_are_rejected_with_twilio_code_and_message() {
    let cases = [
        (401, 20003, "Authenticate"),
        (400, 21606, "The From phone number is not a valid, SMS-capable inbound phone number"),
        (400, 21602, "Message body is required."),
    ];
    for (status, code, message) in cases {
        let server = MockServer::start().await;
        match send_expecting_error(&server, twilio_error(status, code, message)).await {
            MessagingError::Rejected(text) => {
                assert!(text.contains(&format!("Twilio error {code}: {message}")), "{text}");
                assert!(text.contains(&format!("HTTP {status}")), "{text}");
            }
            other => panic!("code {code}: expected Rejected, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_slow_twilio_times_out_as_unavailable() {
    let server = MockServer::start().await;
    form_post(MESSAGES_PATH)
        .respond_with(created("SM1", "queued").set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let config = TwilioRestConfig { timeout: Duration::from_millis(200), ..config(&server) };

    let result = TwilioRest::new(config).expect("valid config").send_sms(&sms("Hi")).await;

    assert!(matches!(&result, Err(MessagingError::Unavailable(text)) if text.contains("timed out")), "{result:?}");
}

#[tokio::test]
async fn an_unreachable_twilio_is_unavailable() {
    // A port that was just free on loopback: nothing listens there.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let address = listener.local_addr().expect("local address");
    drop(listener);
    let config = TwilioRestConfig { base_url: format!("http://{address}"), ..TwilioRestConfig::new("AC1", AUTH_TOKEN) };

    let result = TwilioRest::new(config).expect("valid config").send_sms(&sms("Hi")).await;

    assert!(matches!(&result, Err(MessagingError::Unavailable(_))), "{result:?}");
}

#[tokio::test]
async fn an_unreadable_success_is_unexpected() {
    let server = MockServer::start().await;
    let error = send_expecting_error(&server, ResponseTemplate::new(201).set_body_string("not json")).await;
    assert!(matches!(&error, MessagingError::Unexpected(inner) if inner.to_string().contains("accepted")), "{error:?}");
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let server = MockServer::start().await;
    let response = ResponseTemplate::new(307).insert_header("Location", "https://elsewhere.example/");
    let error = send_expecting_error(&server, response).await;
    assert!(matches!(error, MessagingError::Unexpected(_)), "{error:?}");
}

#[test]
fn bad_configuration_fails_at_startup() {
    let bad_sid = TwilioRest::new(TwilioRestConfig::new("AC1/../x", AUTH_TOKEN));
    assert!(matches!(bad_sid, Err(TwilioSetupError::AccountSid(_))), "{bad_sid:?}");
    let bad_base =
        TwilioRest::new(TwilioRestConfig { base_url: "ftp://x".into(), ..TwilioRestConfig::new("AC1", AUTH_TOKEN) });
    assert!(matches!(bad_base, Err(TwilioSetupError::BaseUrl(_))), "{bad_base:?}");
}

#[test]
fn debug_never_shows_the_auth_token() {
    let config = TwilioRestConfig::new("AC1", AUTH_TOKEN);
    assert!(!format!("{config:?}").contains(AUTH_TOKEN), "{config:?}");
    let client = TwilioRest::new(config).expect("valid config");
    assert!(!format!("{client:?}").contains(AUTH_TOKEN), "{client:?}");
}
