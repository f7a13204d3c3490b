//! A realtime call's tools: the text path's rules, whatever the voice model
//! asks. Nothing is booked, cancelled or moved without the read-back and
//! the caller's own transcribed yes; a caller reaches only their own
//! bookings (by number, or a code they spoke); a bad call is an error the
//! model hears; answers cite the shop's knowledge; a hand-off ends the
//! stream with the text path's answer.

use std::sync::Arc;

use chrono::Duration;
use frontdesk_calendar::{
    Booking, BookingRequest, BookingService, BookingSource, BookingStatus, BookingStore, Customer, MemoryBookingStore,
};
use frontdesk_core::{E164, ManualClock};
use frontdesk_llm::ToolCall;
use frontdesk_routing::scenarios::demo_profile;
use frontdesk_routing::{
    Admission, CallPolicy, CallSession, CallSid, CallState, CallStore, Dialogue, IncomingCall, MemoryCallStore, Next,
    Outcome, RealtimeTools, Stage, StreamEnd, realtime_tool_specs,
};
use frontdesk_tenant::TenantProfile;
use serde_json::{Value, json};

use crate::session::MockAllowance;
use crate::support::{monday_morning, phone};

const CALLER: &str = "+15555551234";

struct Call {
    tools: RealtimeTools,
    session: CallSession,
    profile: TenantProfile,
    calls: Arc<MemoryCallStore>,
    store: Arc<MemoryBookingStore>,
    bookings: Arc<BookingService>,
    call_sid: CallSid,
}

fn allowing_everything() -> MockAllowance {
    let mut allowance = MockAllowance::new();
    allowance.expect_admission().returning(|_, _| Admission::Answer(CallPolicy::default()));
    allowance.expect_policy().returning(|_| CallPolicy::default());
    allowance.expect_meter_tokens().returning(|_, _, _, _, _| Ok(()));
    allowance
}

async fn call_with(dialogue: impl FnOnce(Arc<BookingService>) -> Dialogue) -> Call {
    let profile = demo_profile("fresh-cuts");
    let clock = Arc::new(ManualClock::new(monday_morning()));
    let store = Arc::new(MemoryBookingStore::new());
    let bookings = Arc::new(BookingService::new(store.clone(), clock.clone()));
    let calls = Arc::new(MemoryCallStore::new());
    let session =
        CallSession::new(calls.clone(), Arc::new(dialogue(bookings.clone())), Arc::new(allowing_everything()));
    let call_sid = CallSid::parse("CA00000000000000000000000000000042").unwrap_or_else(|e| panic!("{e}"));
    let incoming = IncomingCall {
        call_sid: call_sid.clone(),
        caller: Some(phone(CALLER)),
        called: profile.phone_numbers()[0].clone(),
    };
    session.start_call(&profile, incoming, monday_morning()).await;
    let tools = session.realtime_tools(profile.clone(), call_sid.clone(), clock);
    Call { tools, session, profile, calls, store, bookings, call_sid }
}

async fn call() -> Call {
    call_with(Dialogue::new).await
}

impl Call {
    async fn tool(&self, name: &str, arguments: Value) -> Value {
        self.raw(name, &arguments.to_string()).await
    }

    async fn raw(&self, name: &str, arguments: &str) -> Value {
        let call = ToolCall {
            id: format!("call_{name}_{}", rand_id()),
            name: name.to_owned(),
            arguments: arguments.to_owned(),
        };
        self.tools.run(&call).await
    }

    async fn state(&self) -> CallState {
        let record = self.calls.call(self.profile.slug(), &self.call_sid).await.ok().flatten();
        CallState::from_json(&record.unwrap_or_else(|| panic!("no call")).state)
    }

    async fn all_bookings(&self) -> Vec<Booking> {
        let from = monday_morning() - Duration::days(1);
        let to = monday_morning() + Duration::days(60);
        self.store.list_bookings(self.profile.slug(), from, to, None).await.unwrap_or_else(|e| panic!("{e}"))
    }

    async fn booked_for(&self, phone: &E164, start_in_hours: i64) -> Booking {
        let request = BookingRequest {
            service: "Haircut".to_owned(),
            start: monday_morning() + Duration::days(1) + Duration::hours(start_in_hours),
            staff: None,
            customer: Customer { name: "Priya".to_owned(), phone: phone.clone() },
            source: BookingSource::Phone,
            idempotency_key: None,
            hold: None,
            notify_customer: false,
        };
        self.bookings.book(&self.profile, request).await.unwrap_or_else(|e| panic!("{e}"))
    }
}

fn rand_id() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn say(result: &Value) -> &str {
    result["say_exactly"].as_str().unwrap_or_else(|| panic!("no say_exactly in {result}"))
}

fn error(result: &Value) -> &str {
    result["error"].as_str().unwrap_or_else(|| panic!("not an error: {result}"))
}

const TUESDAY_11: &str = r#"{"service": "Haircut", "date": "2026-11-24", "time": "11:00"}"#;

#[tokio::test]
async fn a_booking_needs_the_read_back_and_the_callers_own_yes_after_it() {
    let call = call().await;
    // A yes before anything was read back answers nothing.
    call.tools.heard(None, "yes, book me in for a haircut");
    let held = call.raw("hold_slot", TUESDAY_11).await;
    assert!(say(&held).contains("name"), "the rules ask for the name first: {held}");
    assert_eq!(call.state().await.stage, Stage::AskName);
    assert!(call.state().await.draft.hold.is_some(), "the slot is held and saved with the call");

    // The model says the caller agreed; the caller said nothing since.
    let refused = call.tool("book_held_slot", json!({})).await;
    assert!(error(&refused).contains("nothing was done"), "{refused}");
    assert!(call.all_bookings().await.is_empty());

    call.tools.heard(None, "My name is Sam Lee");
    let read_back = call.tool("book_held_slot", json!({})).await;
    assert!(say(&read_back).contains("Sam"), "the read-back with the name: {read_back}");
    assert_eq!(call.state().await.stage, Stage::ConfirmBooking);
    let again = call.tool("book_held_slot", json!({})).await;
    assert!(error(&again).contains("has not said yes"), "the name is no yes: {again}");
    assert!(call.all_bookings().await.is_empty());

    call.tools.heard(None, "yes please");
    let booked = call.tool("book_held_slot", json!({})).await;
    assert!(say(&booked).contains("confirmation code"), "{booked}");
    assert_eq!(booked["outcome"], "booked");
    let all = call.all_bookings().await;
    assert_eq!(all.len(), 1, "booked exactly once");
    assert_eq!((all[0].customer.name.as_str(), &all[0].customer.phone), ("Sam Lee", &phone(CALLER)));
    let record = call.calls.call(call.profile.slug(), &call.call_sid).await.ok().flatten();
    assert_eq!(record.and_then(|r| r.outcome), Some(Outcome::Booked));

    // Once booked, nothing is held: another commit books nothing.
    let after = call.tool("book_held_slot", json!({})).await;
    assert!(error(&after).contains("no slot is held"), "{after}");
    assert_eq!(call.all_bookings().await.len(), 1);
}

#[tokio::test]
async fn words_begun_before_the_read_back_never_answer_it_even_when_transcribed_after_it() {
    let call = call().await;
    let item = |id: &str| frontdesk_llm::ItemId::new(id);
    // "…yes, book it": the model holds the slot before the words are transcribed.
    call.tools.speech_started(&item("c1"));
    call.tools.heard(Some(&item("c0")), "I'd like a haircut, my name is Sam Lee");
    let held = call.raw("hold_slot", TUESDAY_11).await;
    assert!(say(&held).contains('?'), "{held}");
    call.tools.heard(Some(&item("c1")), "Tuesday at 11 is fine, yes book it");
    let early = call.tool("book_held_slot", json!({})).await;
    assert!(error(&early).contains("nothing was done"), "{early}");
    assert!(call.all_bookings().await.is_empty());

    // The caller answers the read-back; its transcript arrives while the
    // commit waits for it.
    call.tools.speech_started(&item("c2"));
    let (booked, ()) = tokio::join!(call.tool("book_held_slot", json!({})), async {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        call.tools.heard(Some(&item("c2")), "yes");
    });
    assert_eq!(booked["outcome"], "booked", "{booked}");
    assert_eq!(call.all_bookings().await.len(), 1);
}

#[tokio::test]
async fn a_no_after_the_read_back_releases_the_slot_and_books_nothing() {
    let call = call().await;
    call.tools.heard(None, "I'd like a haircut, my name is Sam Lee");
    let held = call.raw("hold_slot", TUESDAY_11).await;
    assert!(say(&held).contains('?'), "{held}");
    assert_eq!(call.state().await.stage, Stage::ConfirmBooking, "the name was given: straight to the read-back");
    call.tools.heard(None, "no, sorry");
    call.tools.heard(None, "yes");
    let answer = call.tool("book_held_slot", json!({})).await;
    assert!(say(&answer).contains("No problem"), "a no stands over a later yes: {answer}");
    let state = call.state().await;
    assert_eq!((state.stage, state.draft.hold), (Stage::Booking, None), "the hold is released");
    assert!(call.all_bookings().await.is_empty());
}

#[tokio::test]
async fn a_caller_reaches_only_their_own_bookings_or_one_whose_code_they_spoke() {
    let call = call().await;
    let theirs = call.booked_for(&phone("+15555559999"), 1).await;
    let found = call.tool("find_my_bookings", json!({})).await;
    assert!(say(&found).contains("don't see any"), "{found}");
    let cancel = call.tool("cancel_booking", json!({"service": null, "date": null})).await;
    assert!(say(&cancel).contains("couldn't find"), "{cancel}");
    let refused = call.tool("confirm_change", json!({})).await;
    assert!(error(&refused).contains("no cancellation or move"), "{refused}");
    assert_eq!(call.all_bookings().await[0].status, BookingStatus::Confirmed);

    // The caller speaks the code: that booking is theirs to change.
    let code = theirs.code.as_str().chars().map(String::from).collect::<Vec<_>>().join(" ");
    call.tools.heard(None, &format!("my confirmation code is {code}"));
    let cancel = call.tool("cancel_booking", json!({"service": null, "date": null})).await;
    assert!(say(&cancel).contains("cancel it?"), "{cancel}");
    let early = call.tool("confirm_change", json!({})).await;
    assert!(error(&early).contains("nothing was done"), "{early}");
    assert_eq!(call.all_bookings().await[0].status, BookingStatus::Confirmed);
    call.tools.heard(None, "yes, cancel it");
    let done = call.tool("confirm_change", json!({})).await;
    assert_eq!(done["outcome"], "cancelled", "{done}");
    assert_eq!(call.all_bookings().await[0].status, BookingStatus::Cancelled);
}

#[tokio::test]
async fn a_bad_tool_call_is_an_error_for_the_model_never_a_panic() {
    let call = call().await;
    for (name, arguments, expected) in [
        ("hold_slot", r#"{"service": "Haircut", "date": "tomorrow", "time": "11:00"}"#, "not YYYY-MM-DD"),
        ("hold_slot", r#"{"service": "Tattoo", "date": "2026-11-24", "time": "11:00"}"#, "no service"),
        ("hold_slot", r#"{"service": "Haircut", "date": "2026-11-24", "time": null}"#, "needs a time"),
        ("hold_slot", r#"{"service": "Haircut", "date": "2026-11-24", "time": "11:00", "yes": true}"#, "unusable"),
        ("hold_slot", "{not json", "unusable arguments"),
        ("book_held_slot", r#"{"caller_said_yes": true}"#, "takes no arguments"),
        ("delete_everything", "{}", "no tool called"),
    ] {
        let result = call.raw(name, arguments).await;
        assert!(error(&result).contains(expected), "{name} {arguments}: {result}");
    }
    assert!(call.all_bookings().await.is_empty());
    assert_eq!(call.state().await.stage, Stage::Menu);
}

#[tokio::test]
async fn knowledge_answers_cite_their_passage_and_an_unknown_question_is_recorded() {
    use frontdesk_rag::{Document, KnowledgeStore, MemoryKnowledgeStore, Retriever};
    let knowledge = Arc::new(MemoryKnowledgeStore::default());
    let profile = demo_profile("fresh-cuts");
    let text = "Dogs are welcome in the shop as long as they stay on a leash by the door.";
    let document = Document::parse("dogs", "Dogs", "text", text).unwrap_or_else(|e| panic!("{e:?}"));
    assert!(knowledge.put_document(profile.slug(), &document, &[], monday_morning()).await.is_ok());
    let retriever = Arc::new(Retriever::new(knowledge));
    let call = call_with(|bookings| Dialogue::new(bookings).with_knowledge(retriever)).await;
    let answer = call.tool("answer_from_knowledge", json!({"question": "are dogs welcome in the shop?"})).await;
    assert!(say(&answer).contains("leash"), "{answer}");
    assert_eq!(answer["sources"], json!(["doc:dogs"]));

    call.tools.heard(None, "do you sell gift vouchers for weddings?");
    let unknown =
        call.tool("answer_from_knowledge", json!({"question": "do you sell gift vouchers for weddings?"})).await;
    assert!(say(&unknown).contains("don't know"), "{unknown}");
    let questions = call.calls.questions(call.profile.slug()).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(questions.len(), 1, "recorded for the owner");
}

#[tokio::test]
async fn a_hand_off_ends_the_stream_with_the_text_paths_answer_and_keeps_nothing_held() {
    let call = call().await;
    call.tools.heard(None, "I'd like a haircut, my name is Sam Lee");
    call.raw("hold_slot", TUESDAY_11).await;
    assert!(!call.tools.handed_off());
    let result = call.tool("transfer_to_human", json!({"reason": "wants the owner, card 4111 1111 1111 1111"})).await;
    assert_eq!(result, json!({"handed_over": true}));
    assert!(call.tools.handed_off());
    assert_eq!(call.state().await.draft.hold, None, "the held slot is let go");
    let answer = call
        .session
        .stream_ended(&call.profile, &call.call_sid, StreamEnd::HandedOff, monday_morning())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(answer.next, Next::WarmTransfer { .. }), "{answer:?}");
    assert!(answer.say.contains("connect you"), "{}", answer.say);
    let after = call.tool("end_call", json!({})).await;
    assert!(error(&after).contains("handed over"), "{after}");
}

#[test]
fn the_session_offers_the_text_paths_tools_and_the_commits() {
    let names: Vec<String> = realtime_tool_specs().into_iter().map(|tool| tool.name).collect();
    assert_eq!(
        names,
        [
            "check_availability",
            "hold_slot",
            "book_held_slot",
            "find_my_bookings",
            "cancel_booking",
            "reschedule_booking",
            "confirm_change",
            "answer_from_knowledge",
            "transfer_to_human",
            "take_message",
            "end_call"
        ]
    );
}

#[tokio::test]
async fn the_callers_own_booking_is_moved_only_on_their_yes_to_the_new_time() {
    let call = call().await;
    let mine = call.booked_for(&phone(CALLER), 1).await;
    let asked = json!({"service": null, "new_date": "2026-11-25", "new_time": "14:00"});
    let offer = call.tool("reschedule_booking", asked).await;
    assert!(say(&offer).contains("Shall I do that?"), "{offer}");
    assert_eq!(call.state().await.stage, Stage::RescheduleConfirm);
    let refused = call.tool("confirm_change", json!({})).await;
    assert!(error(&refused).contains("nothing was done"), "{refused}");
    assert_eq!(call.all_bookings().await[0].start, mine.start);
    call.tools.heard(None, "yes that works");
    let moved = call.tool("confirm_change", json!({})).await;
    assert_eq!(moved["outcome"], "rescheduled", "{moved}");
    let confirmed: Vec<Booking> =
        call.all_bookings().await.into_iter().filter(|b| b.status == BookingStatus::Confirmed).collect();
    assert_eq!(confirmed.len(), 1, "{confirmed:?}");
    assert_ne!(confirmed[0].start, mine.start, "moved");
    assert_eq!(confirmed[0].customer.phone, phone(CALLER));
}

#[tokio::test]
async fn a_message_or_a_goodbye_ends_the_stream_with_the_text_paths_voicemail_or_hang_up() {
    for (tool, arguments, expected) in [
        ("take_message", json!({"reason": "wants to leave a message"}), Next::Voicemail),
        ("end_call", json!({}), Next::Hangup),
    ] {
        let call = call().await;
        assert_eq!(call.tool(tool, arguments).await, json!({"handed_over": true}));
        assert!(call.tools.handed_off());
        let answer =
            call.session.stream_ended(&call.profile, &call.call_sid, StreamEnd::HandedOff, monday_morning()).await;
        let answer = answer.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(answer.next, expected, "{tool}: {answer:?}");
    }
}
