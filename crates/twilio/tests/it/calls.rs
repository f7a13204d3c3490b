//! Replacing a live call's TwiML.

use std::time::Duration;

use frontdesk_twilio::twiml::VoiceResponse;
use frontdesk_twilio::{CallFetchError, CallUpdateError};
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

/// Twilio's Call resource as the API returns it for a finished inbound call
/// (a real reply's shape: durations are strings, times RFC 2822).
fn call_resource(status: &str, duration: serde_json::Value) -> serde_json::Value {
    json!({
        "account_sid": crate::support::ACCOUNT_SID,
        "annotation": null,
        "answered_by": null,
        "api_version": "2010-04-01",
        "caller_name": null,
        "date_created": "Sun, 06 Dec 2026 15:00:00 +0000",
        "date_updated": "Sun, 06 Dec 2026 15:10:05 +0000",
        "direction": "inbound",
        "duration": duration,
        "end_time": "Sun, 06 Dec 2026 15:10:05 +0000",
        "forwarded_from": "+15555550100",
        "from": "+15555551234",
        "from_formatted": "(555) 555-1234",
        "group_sid": null,
        "parent_call_sid": null,
        "phone_number_sid": "PN0123456789abcdef0123456789abcdef",
        "price": "-0.00850",
        "price_unit": "USD",
        "sid": CALL_SID,
        "start_time": "Sun, 06 Dec 2026 15:00:02 +0000",
        "status": status,
        "subresource_uris": {},
        "to": "+15555550100",
        "to_formatted": "(555) 555-0100",
        "trunk_sid": null,
        "uri": format!("/2010-04-01/Accounts/{}/Calls/{CALL_SID}.json", crate::support::ACCOUNT_SID),
        "queue_time": "0"
    })
}

fn get_call() -> wiremock::MockBuilder {
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .and(wiremock::matchers::path(CALL_PATH))
        .and(wiremock::matchers::header("authorization", crate::support::basic_auth().as_str()))
}

#[tokio::test]
async fn a_finished_call_reads_back_with_its_duration() {
    let server = MockServer::start().await;
    let reply = ResponseTemplate::new(200).set_body_json(call_resource("completed", json!("602")));
    get_call().respond_with(reply).expect(1).mount(&server).await;
    let call = twilio(&server).fetch_call(CALL_SID).await.expect("read");
    let call = call.expect("the call exists");
    assert_eq!((call.status.as_str(), call.duration_secs), ("completed", Some(602)));
}

#[tokio::test]
async fn a_call_in_progress_has_no_duration_and_an_unknown_one_is_none() {
    let server = MockServer::start().await;
    let reply = ResponseTemplate::new(200).set_body_json(call_resource("in-progress", json!(null)));
    get_call().respond_with(reply).expect(1).mount(&server).await;
    let call = twilio(&server).fetch_call(CALL_SID).await.expect("read").expect("exists");
    assert_eq!((call.status.as_str(), call.duration_secs), ("in-progress", None));

    let server = MockServer::start().await;
    let missing = twilio_error(404, 20404, "The requested resource /Calls/CA….json was not found");
    get_call().respond_with(missing).expect(1).mount(&server).await;
    assert!(matches!(twilio(&server).fetch_call(CALL_SID).await, Ok(None)));
}

#[tokio::test]
async fn reading_a_call_classifies_failures() {
    let server = MockServer::start().await;
    let busy = twilio_error(429, 20429, "Too Many Requests").insert_header("Retry-After", "3");
    get_call().respond_with(busy).expect(1).mount(&server).await;
    let error = twilio(&server).fetch_call(CALL_SID).await;
    assert!(
        matches!(error, Err(CallFetchError::RateLimited { retry_after: Some(d) }) if d == Duration::from_secs(3)),
        "{error:?}"
    );

    let server = MockServer::start().await;
    get_call().respond_with(ResponseTemplate::new(503).set_body_string("upstream down")).mount(&server).await;
    assert!(matches!(twilio(&server).fetch_call(CALL_SID).await, Err(CallFetchError::Unavailable(_))));

    let server = MockServer::start().await;
    let refused = twilio_error(401, 20003, "Authenticate");
    get_call().respond_with(refused).mount(&server).await;
    let error = twilio(&server).fetch_call(CALL_SID).await;
    assert!(matches!(&error, Err(CallFetchError::Rejected(text)) if text.contains("20003")), "{error:?}");

    let server = MockServer::start().await;
    let garbled = ResponseTemplate::new(200).set_body_json(call_resource("completed", json!("ten minutes")));
    get_call().respond_with(garbled).mount(&server).await;
    assert!(matches!(twilio(&server).fetch_call(CALL_SID).await, Err(CallFetchError::Unexpected(_))));

    // A SID that could change the URL's path is refused before any request.
    assert!(matches!(twilio(&server).fetch_call("CA../../Messages").await, Err(CallFetchError::Rejected(_))));
}

#[tokio::test]
async fn a_call_back_is_placed_with_to_from_the_url_twilio_asks_and_a_status_callback_when_it_ends() {
    use wiremock::matchers::{body_string_contains, method, path};
    let server = MockServer::start().await;
    wiremock::Mock::given(method("POST"))
        .and(path(format!("/2010-04-01/Accounts/{}/Calls.json", crate::support::ACCOUNT_SID)))
        .and(body_string_contains("To=%2B15555550199"))
        .and(body_string_contains("From=%2B15555550100"))
        .and(body_string_contains("Url=https%3A%2F%2Ffrontdesk.example.com%2Ftwilio%2Fcallback-bridge%3Fcall%3DCA1"))
        .and(body_string_contains("&Method=POST"))
        // The leg's end, with its duration: what it costs.
        .and(body_string_contains(
            "StatusCallback=https%3A%2F%2Ffrontdesk.example.com%2Ftwilio%2Fcallback-status%3Fcall%3DCA1",
        ))
        .and(body_string_contains("StatusCallbackEvent=completed"))
        .and(body_string_contains("StatusCallbackMethod=POST"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "sid": "CA0123456789abcdef0123456789abcdef",
            "status": "queued",
            "direction": "outbound-api",
            "to": "+15555550199",
            "from": "+15555550100",
        })))
        .expect(1)
        .mount(&server)
        .await;
    let placed = twilio(&server)
        .create_call(
            "+15555550100",
            "+15555550199",
            "https://frontdesk.example.com/twilio/callback-bridge?call=CA1",
            "https://frontdesk.example.com/twilio/callback-status?call=CA1",
        )
        .await;
    assert_eq!(placed.ok().as_deref(), Some("CA0123456789abcdef0123456789abcdef"));
}

#[tokio::test]
async fn a_call_back_twilio_refuses_or_cannot_place_says_why() {
    use frontdesk_twilio::CallCreateError;
    use wiremock::matchers::{method, path};
    let cases: [(u16, u64, &str); 3] = [
        (400, 21210, "The source phone number provided, +15555550100, is not yet verified for your account."),
        (429, 20429, "Too Many Requests"),
        (503, 20500, "Service Unavailable"),
    ];
    for (status, code, message) in cases {
        let server = MockServer::start().await;
        wiremock::Mock::given(method("POST"))
            .and(path(format!("/2010-04-01/Accounts/{}/Calls.json", crate::support::ACCOUNT_SID)))
            .respond_with(twilio_error(status, code, message))
            .mount(&server)
            .await;
        let error = twilio(&server)
            .create_call("+15555550100", "+15555550199", "https://x.example/y", "https://x.example/z")
            .await;
        match (status, error) {
            (400, Err(CallCreateError::Rejected(text))) => assert!(text.contains("21210"), "{text}"),
            (429, Err(CallCreateError::RateLimited { .. })) => {}
            (503, Err(CallCreateError::Unavailable(text))) => assert!(text.contains("20500"), "{text}"),
            (status, other) => panic!("{status}: {other:?}"),
        }
    }
}
