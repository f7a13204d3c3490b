//! Replacing a live call's TwiML.

use std::time::Duration;

use frontdesk_twilio::CallUpdateError;
use frontdesk_twilio::twiml::VoiceResponse;
use serde_json::json;
use wiremock::matchers::body_string;
use wiremock::{MockServer, ResponseTemplate};

use crate::support::{CALL_PATH, CALL_SID, form_post, twilio, twilio_error};

fn hangup() -> String {
    VoiceResponse::new().hangup().to_xml()
}

async fn update_expecting_error(server: &MockServer, response: ResponseTemplate) -> CallUpdateError {
    form_post(CALL_PATH).respond_with(response).expect(1).mount(server).await;
    match twilio(server).update_call(CALL_SID, &hangup()).await {
        Ok(()) => panic!("expected an error"),
        Err(error) => error,
    }
}

#[tokio::test]
async fn posts_the_twiml_as_a_form_field() {
    let server = MockServer::start().await;
    form_post(CALL_PATH)
        .and(body_string(concat!(
            "Twiml=%3C%3Fxml+version%3D%221.0%22+encoding%3D%22UTF-8%22%3F%3E",
            "%3CResponse%3E%3CHangup+%2F%3E%3C%2FResponse%3E",
        )))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"sid": CALL_SID, "status": "in-progress"})))
        .expect(1)
        .mount(&server)
        .await;

    twilio(&server).update_call(CALL_SID, &hangup()).await.expect("updated");
}

#[tokio::test]
async fn a_finished_call_is_call_ended() {
    let cases = [
        (404, 20404, "The requested resource /Calls/CA….json was not found"),
        (400, 21220, "Call is not in-progress. Cannot redirect."),
    ];
    for (status, code, message) in cases {
        let server = MockServer::start().await;
        match update_expecting_error(&server, twilio_error(status, code, message)).await {
            CallUpdateError::CallEnded(text) => assert!(text.contains(&code.to_string()), "{text}"),
            other => panic!("code {code}: expected CallEnded, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn rate_limits_outages_and_refusals_are_classified() {
    let server = MockServer::start().await;
    let response = twilio_error(429, 20429, "Too Many Requests").insert_header("Retry-After", "2");
    let error = update_expecting_error(&server, response).await;
    assert!(
        matches!(error, CallUpdateError::RateLimited { retry_after: Some(wait) } if wait == Duration::from_secs(2)),
        "{error:?}"
    );

    let server = MockServer::start().await;
    let error = update_expecting_error(&server, ResponseTemplate::new(503)).await;
    assert!(matches!(error, CallUpdateError::Unavailable(_)), "{error:?}");

    let server = MockServer::start().await;
    let error = update_expecting_error(&server, twilio_error(400, 12100, "Document parse failure")).await;
    assert!(matches!(&error, CallUpdateError::Rejected(text) if text.contains("12100")), "{error:?}");
}

#[tokio::test]
async fn a_call_sid_that_would_change_the_path_is_refused_before_sending() {
    let server = MockServer::start().await;
    form_post(CALL_PATH).respond_with(ResponseTemplate::new(200)).expect(0).mount(&server).await;

    let result = twilio(&server).update_call("CA1/../../Messages", &hangup()).await;

    assert!(matches!(result, Err(CallUpdateError::Rejected(_))), "{result:?}");
}
