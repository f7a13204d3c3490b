//! A turn the rules cannot place goes to the language model through
//! OpenAI's wire (a local fake): the model's tool call leads into the rules'
//! booking flow, and its tokens are metered with their cost.

use axum::http::{Method, StatusCode};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::TestApp;

const SID: &str = "CA00000000000000000000000000model1";

#[tokio::test]
async fn a_turn_the_rules_cannot_place_is_routed_by_the_model_and_its_tokens_are_metered() {
    let server = MockServer::start().await;
    let reply = json!({
        "id": "chatcmpl-m1", "object": "chat.completion", "created": 1_765_000_000, "model": "gpt-5.6-luna",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant", "content": null,
            "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "check_availability",
                "arguments": "{\"service\":\"kids cut\",\"date\":\"2026-11-27\",\"after\":\"15:00\",\"before\":null}"}}]}}],
        "usage": {"prompt_tokens": 812, "completion_tokens": 23, "total_tokens": 835,
            "prompt_tokens_details": {"cached_tokens": 768}}
    });
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(reply))
        .expect(1)
        .mount(&server)
        .await;
    let settings = crate::support::settings_with(&[
        ("FRONTDESK_OPENAI_API_KEY", "sk-test".to_owned()),
        ("FRONTDESK_OPENAI_BASE_URL", format!("{}/v1", server.uri())),
    ]);
    let model = frontdesk_runtime::build_language_model(&settings).unwrap_or_else(|e| panic!("{e:#}"));
    let app = TestApp::with_model(model.unwrap_or_else(|| panic!("a model with an API key"))).await;

    let call = [("CallSid", SID), ("From", "+15555551234"), ("To", "+15555550100")];
    let (status, _) = app.twilio("/twilio/voice", &call).await;
    assert_eq!(status, StatusCode::OK);
    let said = "my little guy is starting school friday and his hair is a mess, anything after three";
    let turn = [("CallSid", SID), ("From", "+15555551234"), ("To", "+15555550100"), ("SpeechResult", said)];
    let (status, twiml) = app.twilio("/twilio/gather?turn=1", &turn).await;
    assert_eq!(status, StatusCode::OK, "{twiml}");
    assert!(twiml.contains("Friday") && twiml.contains("<Gather"), "the rules' own offer: {twiml}");

    let sent = server.received_requests().await.unwrap_or_default();
    let body: serde_json::Value = sent[0].body_json().unwrap_or_default();
    assert_eq!(body["messages"].as_array().and_then(|m| m.last()).map(|m| m["content"].clone()), Some(json!(said)));

    // 44 fresh and 768 cached input tokens and 23 out at gpt-5.6-luna's
    // $0.20 / $0.02 / $1.20 per million: 8.8 + 15.36 + 27.6 micro-dollars.
    let usage = app.admin(Method::GET, "/admin/tenants/fresh-cuts/usage", None).await;
    assert_eq!(usage.body["usage"]["llm_tokens"], 835, "{}", usage.body);
    assert_eq!(usage.body["usage"]["ai_cost_micros"], 52, "{}", usage.body);
    // And on the call's own record.
    let call = app.admin(Method::GET, &format!("/admin/tenants/fresh-cuts/calls/{SID}"), None).await;
    assert_eq!(call.body["ai_cost"], json!({"tokens": 835, "cost_micros": 52}), "{}", call.body);
}

/// A model that thinks for a while before it answers.
struct Slow {
    model: frontdesk_llm::ScriptedModel,
    delay: std::time::Duration,
}

#[async_trait::async_trait]
impl frontdesk_llm::LanguageModel for Slow {
    fn model_id(&self) -> &str {
        "scripted"
    }

    async fn respond(
        &self,
        request: &frontdesk_llm::ModelRequest,
    ) -> Result<frontdesk_llm::ModelReply, frontdesk_llm::ModelError> {
        tokio::time::sleep(self.delay).await;
        self.model.respond(request).await
    }
}

#[tokio::test]
async fn a_slow_model_turn_is_bridged_by_a_filler_phrase_and_its_continuation_returns_the_answer() {
    const SLOW: &str = "CA00000000000000000000000000model2";
    let arguments = json!({"service": "kids cut", "date": "2026-11-27", "after": "15:00", "before": null});
    let model = Slow {
        model: frontdesk_llm::ScriptedModel::new([frontdesk_llm::ScriptedModel::calls(
            "check_availability",
            arguments,
        )]),
        delay: voice_gateway::FILLER_AFTER + std::time::Duration::from_millis(500),
    };
    let app = TestApp::with_model(std::sync::Arc::new(model)).await;
    let call = [("CallSid", SLOW), ("From", "+15555551234"), ("To", "+15555550100")];
    app.twilio("/twilio/voice", &call).await;
    let said = "my little guy is starting school friday and his hair is a mess, anything after three";
    let turn = [("CallSid", SLOW), ("From", "+15555551234"), ("To", "+15555550100"), ("SpeechResult", said)];
    let (status, filler) = app.twilio("/twilio/gather?turn=1", &turn).await;
    assert_eq!(status, StatusCode::OK, "{filler}");
    assert!(filler.contains("One moment.") && !filler.contains("<Gather"), "a filler, not silence: {filler}");
    assert!(filler.contains("<Redirect method=\"POST\">/twilio/continue?turn=1&amp;attempt=1</Redirect>"), "{filler}");

    let (status, answer) = app.twilio("/twilio/continue?turn=1&attempt=1", &call).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert!(answer.contains("Friday") && answer.contains("/twilio/gather?turn=2"), "the model's turn: {answer}");
    // Twilio retries: the same answer, and the turn was taken once.
    let (_, again) = app.twilio("/twilio/continue?turn=1&attempt=1", &call).await;
    assert_eq!(again, answer);
    let (_, retried) = app.twilio("/twilio/gather?turn=1", &turn).await;
    assert_eq!(retried, answer, "a retried turn gets the answer it got");

    // A turn that never finishes (the process working on it stopped): after
    // the last wait the caller is asked again, for the same turn.
    let (status, lost) = app.twilio("/twilio/continue?turn=2&attempt=2", &call).await;
    assert_eq!(status, StatusCode::OK, "{lost}");
    assert!(lost.contains("Could you say that again?") && lost.contains("/twilio/gather?turn=2"), "{lost}");
}

#[tokio::test]
async fn on_postgres_a_model_turn_over_openais_wire_leads_to_a_booking_only_after_the_callers_yes() {
    let Ok(server) = std::env::var("FRONTDESK_TEST_POSTGRES_URL") else {
        eprintln!("skipped: FRONTDESK_TEST_POSTGRES_URL is not set");
        return;
    };
    const CALL: &str = "CA00000000000000000000000000model3";
    let openai = MockServer::start().await;
    let reply = json!({
        "id": "chatcmpl-m3", "object": "chat.completion", "created": 1_765_000_000, "model": "gpt-5.6-luna",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant", "content": null,
            "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "check_availability",
                "arguments": "{\"service\":\"kids cut\",\"date\":\"2026-11-27\",\"after\":\"15:00\",\"before\":null}"}}]}}],
        "usage": {"prompt_tokens": 812, "completion_tokens": 23, "total_tokens": 835}
    });
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(reply))
        .expect(1)
        .mount(&openai)
        .await;
    let settings = crate::support::settings_with(&[
        ("FRONTDESK_OPENAI_API_KEY", "sk-test".to_owned()),
        ("FRONTDESK_OPENAI_BASE_URL", format!("{}/v1", openai.uri())),
    ]);
    let model = frontdesk_runtime::build_language_model(&settings).unwrap_or_else(|e| panic!("{e:#}"));
    let model = model.unwrap_or_else(|| panic!("a model with an API key"));
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-23T10:00:00-05:00")
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_default();
    let h = crate::conversations::postgres_harness_with_model(&server, now, model).await;
    let call: Vec<(String, String)> = [("CallSid", CALL), ("From", "+15555551234"), ("To", "+15555550100")]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let said = |words: &str| {
        let mut params = call.clone();
        params.push(("SpeechResult".to_owned(), words.to_owned()));
        params
    };
    crate::conversations::post(&h.router, "/twilio/voice", &call).await;
    let offer = crate::conversations::post(
        &h.router,
        "/twilio/gather?turn=1",
        &said("my little guy is starting school friday and his hair is a mess, anything after three"),
    )
    .await;
    assert!(offer.contains("Friday, November 27 at 3 PM"), "the rules' own offer: {offer}");
    crate::conversations::post(&h.router, "/twilio/gather?turn=2", &said("yes please")).await;
    let read_back = crate::conversations::post(&h.router, "/twilio/gather?turn=3", &said("Tommy Baker")).await;
    assert!(read_back.contains("Shall I book it?"), "{read_back}");
    let tenant = frontdesk_core::TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}"));
    let range = (now, now + chrono::Duration::days(30));
    let before = h.backend.bookings.list_bookings(&tenant, range.0, range.1, None).await.unwrap_or_default();
    assert!(before.is_empty(), "nothing is booked before the caller's yes");
    let booked = crate::conversations::post(&h.router, "/twilio/gather?turn=4", &said("yes")).await;
    assert!(booked.contains("You're all set"), "{booked}");
    let after = h.backend.bookings.list_bookings(&tenant, range.0, range.1, None).await.unwrap_or_default();
    assert_eq!(after.len(), 1);
    assert_eq!((after[0].service.as_str(), after[0].customer.name.as_str()), ("Kids cut", "Tommy Baker"));
}
