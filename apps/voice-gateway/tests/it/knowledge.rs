//! The shop's knowledge through the admin API: documents written, read,
//! listed and deleted by the shop's own token, every change audited, bad
//! input refused field by field, and `ask` answering as a caller would be
//! answered, with the source, or honestly not at all.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Reply, TestApp, details, error_code};

/// The fields a 422 names.
fn fields(reply: &Reply) -> Vec<String> {
    details(reply).iter().map(|d| d.split(':').next().unwrap_or_default().to_owned()).collect()
}

fn accessibility() -> Value {
    json!({
        "title": "Getting in and getting comfortable",
        "format": "markdown",
        "text": "# Getting in\n\n## Wheelchairs and walkers\n\nThe front steps have no ramp. Wheelchair users come in through the side door on North 4th Street, which has a ramp and a doorbell.\n\n## Hearing\n\nOur barbers can write things down on a pad.",
    })
}

#[tokio::test]
async fn a_shop_manages_its_documents_with_its_own_token_and_every_change_is_audited() {
    let app = TestApp::new().await;
    let own = app.token("tenant:fresh-cuts");
    let path = "/admin/tenants/fresh-cuts/knowledge/accessibility";
    let created = app.call(Method::PUT, path, Some(&own), Some(&accessibility())).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!((created.body["outcome"].as_str(), created.body["chunks"].as_u64()), (Some("created"), Some(2)));
    let again = app.call(Method::PUT, path, Some(&own), Some(&accessibility())).await;
    assert_eq!((again.status, again.body["outcome"].as_str()), (StatusCode::OK, Some("unchanged")));

    let listed = app.call(Method::GET, "/admin/tenants/fresh-cuts/knowledge", Some(&own), None).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    assert_eq!(listed.body["documents"][0]["id"], "accessibility");
    assert!(listed.body["version"].as_i64().unwrap_or(0) > 0, "{}", listed.body);
    let read = app.call(Method::GET, path, Some(&own), None).await;
    assert!(read.body["text"].as_str().unwrap_or_default().contains("side door"), "{}", read.body);

    // Another shop's token reaches none of it.
    let other = app.token("tenant:bright-smile");
    for (method, body) in [(Method::GET, None), (Method::PUT, Some(accessibility())), (Method::DELETE, None)] {
        let reply = app.call(method.clone(), path, Some(&other), body.as_ref()).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{method}");
    }
    let ask = json!({"question": "is there a ramp"});
    let reply = app.call(Method::POST, "/admin/tenants/fresh-cuts/knowledge/ask", Some(&other), Some(&ask)).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let missing = app.admin(Method::PUT, "/admin/tenants/no-such-shop/knowledge/a", Some(&accessibility())).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.body);

    let deleted = app.call(Method::DELETE, path, Some(&own), None).await;
    assert_eq!((deleted.status, &deleted.body["deleted"]), (StatusCode::OK, &json!("accessibility")));
    let gone = app.call(Method::DELETE, path, Some(&own), None).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let audit = app.admin(Method::GET, "/admin/audit?tenant=fresh-cuts", None).await;
    let entries: Vec<(String, String)> = audit.body["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["action"].as_str().is_some_and(|a| a.starts_with("knowledge.")))
        .map(|e| {
            (e["action"].as_str().unwrap_or_default().to_owned(), e["actor"].as_str().unwrap_or_default().to_owned())
        })
        .collect();
    assert_eq!(entries.len(), 2, "one put (the unchanged one is not a change) and one delete: {}", audit.body);
    assert!(entries.iter().all(|(_, actor)| actor.contains("tenant:fresh-cuts")), "{entries:?}");
}

#[tokio::test]
async fn ask_answers_as_a_caller_would_be_answered_with_the_source_or_not_at_all() {
    let app = TestApp::new().await;
    let put = app.admin(Method::PUT, "/admin/tenants/fresh-cuts/knowledge/accessibility", Some(&accessibility())).await;
    assert_eq!(put.status, StatusCode::CREATED, "{}", put.body);
    let ask = |question: &str| json!({"question": question});
    let path = "/admin/tenants/fresh-cuts/knowledge/ask";

    let answered = app.admin(Method::POST, path, Some(&ask("my dad is in a wheelchair, is there a ramp"))).await;
    assert_eq!(answered.status, StatusCode::OK, "{}", answered.body);
    assert_eq!(answered.body["outcome"], "answer", "{}", answered.body);
    assert!(answered.body["answer"].as_str().unwrap_or_default().contains("side door on North 4th Street"));
    assert_eq!(answered.body["sources"][0]["source"], "doc:accessibility");
    assert_eq!(answered.body["sources"][0]["doc_id"], "accessibility");
    assert!(answered.body["confidence"].as_f64().unwrap_or(0.0) > 0.5, "{}", answered.body);

    // The profile's own facts are knowledge too.
    let parking = app.admin(Method::POST, path, Some(&ask("is there parking"))).await;
    assert_eq!(
        (parking.body["outcome"].as_str(), parking.body["sources"][0]["kind"].as_str()),
        (Some("answer"), Some("faq"))
    );

    let declined = app.admin(Method::POST, path, Some(&ask("do you sell gift cards"))).await;
    assert_eq!((declined.body["outcome"].as_str(), &declined.body["answer"]), (Some("not_found"), &Value::Null));

    for bad in [json!({"question": "  "}), json!({"question": "x".repeat(501)})] {
        let reply = app.admin(Method::POST, path, Some(&bad)).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.body);
        assert_eq!(fields(&reply), ["question"]);
    }
    let unknown = app.admin(Method::POST, "/admin/tenants/no-such-shop/knowledge/ask", Some(&ask("hi"))).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_documents_are_refused_field_by_field_and_card_numbers_never_kept() {
    let app = TestApp::new().await;
    let path = "/admin/tenants/fresh-cuts/knowledge/";
    let cases = [
        ("payments", json!({"title": "", "format": "docx", "text": " "}), vec!["title", "format", "text"]),
        ("payments", json!({"title": "Scan", "format": "pdf", "text": "%PDF-1.7"}), vec!["format"]),
        ("payments", json!({"title": "Big", "format": "text", "text": "x".repeat(1024 * 1024 + 1)}), vec!["text"]),
        ("payments", json!({"title": "Nul", "format": "text", "text": "a\u{0}b"}), vec!["text"]),
    ];
    for (id, body, fields_expected) in cases {
        let reply = app.admin(Method::PUT, &format!("{path}{id}"), Some(&body)).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.body);
        assert_eq!(fields(&reply), fields_expected, "{}", reply.body);
    }
    let pdf = app
        .admin(Method::PUT, &format!("{path}scan"), Some(&json!({"title": "S", "format": "pdf", "text": "x"})))
        .await;
    assert!(pdf.body.to_string().contains("PDF is not accepted"), "says why: {}", pdf.body);
    let bad_id = app.admin(Method::PUT, &format!("{path}Bad%20Id"), Some(&accessibility())).await;
    assert_eq!((bad_id.status, fields(&bad_id)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["id".to_owned()]));
    let read_bad = app.admin(Method::GET, &format!("{path}Bad%20Id"), None).await;
    assert_eq!((read_bad.status, error_code(&read_bad)), (StatusCode::BAD_REQUEST, "invalid_document_id"));
    let reserved = app.admin(Method::PUT, &format!("{path}ask"), Some(&accessibility())).await;
    assert_eq!((reserved.status, error_code(&reserved)), (StatusCode::BAD_REQUEST, "invalid_document_id"));
    let unknown_field = app
        .admin(Method::PUT, &format!("{path}a"), Some(&json!({"title": "A", "format": "text", "text": "b", "x": 1})))
        .await;
    assert_eq!(unknown_field.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", unknown_field.body);

    let card = json!({"title": "Payments", "format": "text", "text": "Our test card 4111 1111 1111 1111 is not for customers."});
    let put = app.admin(Method::PUT, &format!("{path}payments"), Some(&card)).await;
    assert_eq!(put.status, StatusCode::CREATED, "{}", put.body);
    let read = app.admin(Method::GET, &format!("{path}payments"), None).await;
    let text = read.body["text"].as_str().unwrap_or_default();
    assert!(!text.contains("4111") && text.contains("[card number removed]"), "{text}");
    let audit = app.admin(Method::GET, "/admin/audit?tenant=fresh-cuts", None).await;
    // Only the card's digit runs: the entry's random id may hold "4111" by chance.
    let audit = audit.body.to_string();
    assert!(!audit.contains("4111 1111") && !audit.contains("41111111"), "{audit}");
}

/// One call's first question: the greeting, then `question`; the TwiML answered.
pub(crate) async fn ask_on_a_call(app: &TestApp, call_sid: &str, question: &str) -> String {
    let call = [("CallSid", call_sid), ("From", "+15555551234"), ("To", "+15555550100")];
    let (status, greeting) = app.twilio("/twilio/voice", &call).await;
    assert_eq!(status, StatusCode::OK, "{greeting}");
    let turn = [("CallSid", call_sid), ("From", "+15555551234"), ("To", "+15555550100"), ("SpeechResult", question)];
    let (status, twiml) = app.twilio("/twilio/gather?turn=1", &turn).await;
    assert_eq!(status, StatusCode::OK, "{twiml}");
    twiml
}

#[tokio::test]
async fn a_caller_hears_the_shops_document_and_enable_rag_gates_it() {
    let app = TestApp::new().await;
    let put = app.admin(Method::PUT, "/admin/tenants/fresh-cuts/knowledge/accessibility", Some(&accessibility())).await;
    assert_eq!(put.status, StatusCode::CREATED, "{}", put.body);
    let question = "my dad is in a wheelchair is there a ramp";

    // The demo shop is on Pro, which includes enable_rag.
    let twiml = ask_on_a_call(&app, "CA-rag-1", question).await;
    assert!(twiml.contains("side door on North 4th Street, which has a ramp"), "{twiml}");
    assert!(twiml.contains("Anything else?") && twiml.contains("<Gather"), "the call goes on: {twiml}");
    let call = app.admin(Method::GET, "/admin/tenants/fresh-cuts/calls/CA-rag-1", None).await;
    assert_eq!(call.body["outcome"], "answered", "{}", call.body);
    let cited: Vec<&Value> =
        call.body["turns"].as_array().into_iter().flatten().filter_map(|t| t.get("sources")).collect();
    assert_eq!(cited, [&json!(["doc:accessibility"])], "the answer's source is in the transcript: {}", call.body);

    // What the knowledge does not say is declined honestly and lands in the inbox.
    let twiml = ask_on_a_call(&app, "CA-rag-2", "do you sell gift cards").await;
    assert!(twiml.contains("I don't know that"), "{twiml}");

    // With enable_rag off the document is not consulted: the question is
    // not understood (the rule-based receptionist knows no ramps).
    let off =
        app.admin(Method::PUT, "/admin/tenants/fresh-cuts/flags/enable_rag", Some(&json!({"enabled": false}))).await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.body);
    let twiml = ask_on_a_call(&app, "CA-rag-3", question).await;
    assert!(!twiml.contains("North 4th Street") && twiml.contains("didn't quite get that"), "{twiml}");
    let questions = app.admin(Method::GET, "/admin/tenants/fresh-cuts/questions", None).await;
    let asked = questions.body.to_string();
    assert!(asked.contains("gift cards"), "the declined question is in the inbox: {asked}");
}

#[tokio::test]
async fn answering_a_declined_question_makes_the_next_caller_hear_the_answer() {
    let app = TestApp::new().await;
    let twiml = ask_on_a_call(&app, "CA-gift-1", "do you sell gift cards").await;
    assert!(twiml.contains("I don't know that"), "{twiml}");
    let listed = app.admin(Method::GET, "/admin/tenants/fresh-cuts/questions", None).await;
    let question = listed.body["questions"][0].clone();
    assert_eq!(
        (question["question"].as_str(), &question["answered_at"]),
        (Some("do you sell gift cards"), &Value::Null)
    );
    // With the passage that came closest, for the owner to look at first.
    let nearest = &question["nearest"];
    let coverage = nearest["coverage"].as_f64().unwrap_or(-1.0);
    assert!(nearest["source"].as_str().is_some_and(|s| s.contains(':')) && (0.0..1.0).contains(&coverage), "{nearest}");
    let id = question["id"].as_i64().unwrap_or_else(|| panic!("a question id: {}", listed.body));
    let path = format!("/admin/tenants/fresh-cuts/questions/{id}/answer");

    // Another shop cannot answer it; nonsense is refused.
    let other = app.token("tenant:bright-smile");
    let answer = json!({"answer": "Yes, gift cards for any amount are sold at the counter and never expire."});
    assert_eq!(app.call(Method::POST, &path, Some(&other), Some(&answer)).await.status, StatusCode::FORBIDDEN);
    let empty = app.admin(Method::POST, &path, Some(&json!({"answer": " "}))).await;
    assert_eq!((empty.status, fields(&empty)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["answer".to_owned()]));
    let unknown = app.admin(Method::POST, "/admin/tenants/fresh-cuts/questions/999999/answer", Some(&answer)).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let not_a_number = app.admin(Method::POST, "/admin/tenants/fresh-cuts/questions/x/answer", Some(&answer)).await;
    assert_eq!(not_a_number.status, StatusCode::BAD_REQUEST);

    // The shop answers it with its own token.
    let own = app.token("tenant:fresh-cuts");
    let answered = app.call(Method::POST, &path, Some(&own), Some(&answer)).await;
    assert_eq!(answered.status, StatusCode::OK, "{}", answered.body);
    assert_eq!(answered.body["document"]["id"], format!("answer-{id}"));
    assert!(answered.body["question"]["answered_at"].is_string(), "{}", answered.body);
    let listed = app.admin(Method::GET, "/admin/tenants/fresh-cuts/questions", None).await;
    assert!(listed.body["questions"][0]["answered_at"].is_string(), "closed, still listed: {}", listed.body);

    // The next caller who asks hears it, in the owner's words.
    let twiml = ask_on_a_call(&app, "CA-gift-2", "do you have gift cards").await;
    assert!(twiml.contains("gift cards for any amount are sold at the counter"), "{twiml}");
    let audit = app.admin(Method::GET, "/admin/audit?tenant=fresh-cuts", None).await;
    assert!(audit.body.to_string().contains("question.answer"), "{}", audit.body);
}
