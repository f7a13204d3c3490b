//! The call session's promises about the ports it calls: a repeated turn is
//! answered from the record and touches nothing else, a yes at the read-back
//! commits the held booking exactly once, a question is saved with its turn,
//! a finished call is metered once and gets the outcome it earned.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use frontdesk_billing::TokenCount;
use frontdesk_calendar::{
    Attendance, Block, Booking, BookingError, BookingId, BookingService, BookingStatus, BookingStore, ConfirmationCode,
    Hold, HoldId, MemoryBookingStore, NewBooking, NewHold,
};
use frontdesk_core::{E164, ManualClock, TenantId};
use frontdesk_jobs::NewJob;
use frontdesk_routing::dialogue::Draft;
use frontdesk_routing::scenarios::demo_profile;
use frontdesk_routing::{
    Admission, Answer, AskedQuestion, CallAllowance, CallError, CallMinutes, CallPolicy, CallRecord, CallSession,
    CallSid, CallState, CallStatus, CallStore, CallTurn, CallerInput, Dialogue, IncomingCall, MemoryCallStore, Next,
    Outcome, SavedTurn, Stage, StatusReport, TurnKey, TurnNumber, TurnUpdate,
};
use frontdesk_tenant::TenantProfile;
use mockall::predicate::eq;

use crate::support::{monday_morning, phone};

mockall::mock! {
    pub Calls {}
    #[async_trait]
    impl CallStore for Calls {
        async fn open_call(
            &self,
            tenant: &TenantId,
            call: &IncomingCall,
            initial_state: &str,
            now: DateTime<Utc>,
        ) -> Result<CallRecord, CallError>;
        async fn call(&self, tenant: &TenantId, call_sid: &CallSid) -> Result<Option<CallRecord>, CallError>;
        async fn call_for_turn(
            &self,
            tenant: &TenantId,
            call_sid: &CallSid,
            turn: &TurnKey,
        ) -> Result<Option<CallTurn>, CallError>;
        async fn save_turn(
            &self,
            tenant: &TenantId,
            call_sid: &CallSid,
            turn: &TurnKey,
            update: &TurnUpdate,
            now: DateTime<Utc>,
        ) -> Result<SavedTurn, CallError>;
        async fn record_status(
            &self,
            tenant: &TenantId,
            call_sid: &CallSid,
            status: CallStatus,
            sequence: u32,
            duration_secs: Option<u32>,
            ended_outcome: Outcome,
            now: DateTime<Utc>,
        ) -> Result<(), CallError>;
        async fn list_calls(
            &self,
            tenant: &TenantId,
            from: DateTime<Utc>,
            to: DateTime<Utc>,
        ) -> Result<Vec<CallRecord>, CallError>;
        async fn call_summaries_of_all_tenants(
            &self,
            from: DateTime<Utc>,
            to: DateTime<Utc>,
        ) -> Result<Vec<frontdesk_routing::CallSummary>, CallError>;
        async fn transfer_ends(
            &self,
            tenant: &TenantId,
            from: DateTime<Utc>,
            to: DateTime<Utc>,
        ) -> Result<Vec<frontdesk_routing::CallTransfer>, CallError>;
        async fn questions(&self, tenant: &TenantId) -> Result<Vec<AskedQuestion>, CallError>;
        async fn close_question(
            &self,
            tenant: &TenantId,
            id: i64,
            at: DateTime<Utc>,
        ) -> Result<Option<AskedQuestion>, CallError>;
    }
}

mockall::mock! {
    pub Bookings {}
    #[async_trait]
    impl BookingStore for Bookings {
        async fn blocks(
            &self,
            tenant: &TenantId,
            from: DateTime<Utc>,
            to: DateTime<Utc>,
            now: DateTime<Utc>,
        ) -> Result<Vec<Block>, BookingError>;
        async fn place_hold(&self, tenant: &TenantId, hold: &NewHold, now: DateTime<Utc>) -> Result<Hold, BookingError>;
        async fn release_hold(&self, tenant: &TenantId, hold: HoldId) -> Result<(), BookingError>;
        async fn commit_booking(
            &self,
            tenant: &TenantId,
            booking: &NewBooking,
            jobs: Vec<NewJob>,
            now: DateTime<Utc>,
        ) -> Result<Booking, BookingError>;
        async fn cancel_booking(
            &self,
            tenant: &TenantId,
            id: BookingId,
            jobs: Vec<NewJob>,
            now: DateTime<Utc>,
        ) -> Result<Booking, BookingError>;
        async fn reschedule_booking(
            &self,
            tenant: &TenantId,
            id: BookingId,
            replacement: &NewBooking,
            jobs: Vec<NewJob>,
            now: DateTime<Utc>,
        ) -> Result<Booking, BookingError>;
        async fn mark_attendance(
            &self,
            tenant: &TenantId,
            id: BookingId,
            attendance: Attendance,
            now: DateTime<Utc>,
        ) -> Result<Booking, BookingError>;
        async fn record_confirmation(
            &self,
            tenant: &TenantId,
            id: BookingId,
            now: DateTime<Utc>,
        ) -> Result<Booking, BookingError>;
        async fn booking(&self, tenant: &TenantId, id: BookingId) -> Result<Option<Booking>, BookingError>;
        async fn booking_by_code(
            &self,
            tenant: &TenantId,
            code: &ConfirmationCode,
        ) -> Result<Option<Booking>, BookingError>;
        async fn upcoming_for_phone(
            &self,
            tenant: &TenantId,
            phone: &E164,
            from: DateTime<Utc>,
        ) -> Result<Vec<Booking>, BookingError>;
        async fn list_bookings(
            &self,
            tenant: &TenantId,
            from: DateTime<Utc>,
            to: DateTime<Utc>,
            status: Option<BookingStatus>,
        ) -> Result<Vec<Booking>, BookingError>;
    }
}

mockall::mock! {
    pub Allowance {}
    #[async_trait]
    impl CallAllowance for Allowance {
        async fn admission(&self, profile: &TenantProfile, now: DateTime<Utc>) -> Admission;
        async fn policy(&self, tenant: &TenantId) -> CallPolicy;
        async fn meter_call(
            &self,
            tenant: &TenantId,
            call_sid: &CallSid,
            seconds: u32,
            minutes: CallMinutes,
            now: DateTime<Utc>,
        ) -> Result<(), CallError>;
        async fn meter_outbound_leg(
            &self,
            tenant: &TenantId,
            parent: &CallSid,
            leg: &CallSid,
            seconds: u32,
            now: DateTime<Utc>,
        ) -> Result<(), CallError>;
        async fn meter_tokens(
            &self,
            tenant: &TenantId,
            key: &str,
            model: &str,
            tokens: TokenCount,
            now: DateTime<Utc>,
        ) -> Result<(), CallError>;
        async fn meter_call_extension(
            &self,
            tenant: &TenantId,
            call_sid: &CallSid,
            reported_seconds: u32,
            extra_minutes: u32,
            minutes: CallMinutes,
            now: DateTime<Utc>,
        ) -> Result<(), CallError>;
    }
}

fn sid() -> CallSid {
    CallSid::parse("CA00000000000000000000000000000001").unwrap_or_else(|e| panic!("{e}"))
}

fn allowing_everything() -> MockAllowance {
    let mut allowance = MockAllowance::new();
    allowance.expect_admission().returning(|_, _| Admission::Answer(CallPolicy::default()));
    allowance.expect_policy().returning(|_| CallPolicy::default());
    allowance
}

fn session(
    calls: impl CallStore + 'static,
    bookings: impl BookingStore + 'static,
    allowance: MockAllowance,
) -> CallSession {
    let clock = Arc::new(ManualClock::new(monday_morning()));
    let dialogue = Dialogue::new(Arc::new(BookingService::new(Arc::new(bookings), clock)));
    CallSession::new(Arc::new(calls), Arc::new(dialogue), Arc::new(allowance))
}

/// A call of the barbershop, in `state`, with `outcome` so far.
fn call_record(profile: &TenantProfile, state: &CallState, outcome: Option<Outcome>) -> CallRecord {
    CallRecord {
        call_sid: sid(),
        tenant: profile.slug().clone(),
        caller: Some(phone("+15555551234")),
        called: profile.phone_numbers()[0].clone(),
        status: CallStatus::InProgress,
        started_at: monday_morning(),
        ended_at: None,
        duration_secs: None,
        outcome,
        booking_id: None,
        recording_url: None,
        state: state.to_json(),
        turns: Vec::new(),
    }
}

fn yes() -> CallerInput {
    CallerInput { speech: Some("yes please".to_owned()), digits: None }
}

fn turn(n: u16) -> TurnNumber {
    TurnNumber::parse(&n.to_string()).unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn a_repeated_turn_is_answered_from_the_record_and_touches_nothing_else() {
    let profile = demo_profile("fresh-cuts");
    let first = Answer {
        say: "You're all set. Your confirmation code is K, 7, M.".to_owned(),
        next: Next::Listen,
        listen_turn: turn(3),
    };
    let mut calls = MockCalls::new();
    let record = call_record(&profile, &CallState::default(), Some(Outcome::Booked));
    let answered = first.encode();
    calls
        .expect_call_for_turn()
        .with(eq(profile.slug().clone()), eq(sid()), eq(TurnKey::Caller(turn(2))))
        .times(1)
        .returning(move |_, _, _| Ok(Some(CallTurn { call: record.clone(), answered: Some(answered.clone()) })));
    calls.expect_save_turn().never();
    // No booking port may be called: a MockBookings without expectations
    // panics on any call, so a second commit cannot happen.
    let session = session(calls, MockBookings::new(), MockAllowance::new());
    let replayed = session.take_turn(&profile, &sid(), turn(2), yes(), monday_morning()).await;
    assert_eq!(replayed.ok(), Some(first));
}

#[tokio::test]
async fn a_yes_at_the_read_back_commits_the_held_booking_exactly_once() {
    let profile = demo_profile("fresh-cuts");
    let start = monday_morning() + Duration::days(3);
    let hold = HoldId::new();
    let state = CallState {
        stage: Stage::ConfirmBooking,
        draft: Draft {
            service: Some("Haircut".to_owned()),
            slot_start: Some(start),
            slot_staff: Some("Marco".to_owned()),
            name: Some("Max".to_owned()),
            hold: Some(hold),
            ..Draft::default()
        },
        last_prompt: "Just to confirm: a haircut … Shall I book it?".to_owned(),
        ..CallState::default()
    };
    let mut calls = MockCalls::new();
    let record = call_record(&profile, &state, None);
    calls
        .expect_call_for_turn()
        .times(1)
        .returning(move |_, _, _| Ok(Some(CallTurn { call: record.clone(), answered: None })));
    calls
        .expect_save_turn()
        .withf(|_, _, key, update, _| {
            *key == TurnKey::Caller(turn(4))
                && update.outcome == Some(Outcome::Booked)
                && update.booking_id.is_some()
                && update.question.is_none()
        })
        .times(1)
        .returning(|_, _, _, _, _| Ok(SavedTurn::Saved));
    let mut bookings = MockBookings::new();
    bookings
        .expect_commit_booking()
        .withf(move |_, booking, jobs, _| {
            booking.hold == Some(hold)
                && booking.start == start
                && booking.customer.name == "Max"
                && booking.customer.phone == phone("+15555551234")
                && jobs.iter().any(|j| j.kind.as_str() == frontdesk_calendar::NOTIFY_CUSTOMER)
        })
        .times(1)
        .returning(|tenant, booking, _, now| Ok(booking.confirmed(tenant, now, None)));
    bookings.expect_release_hold().never();
    let session = session(calls, bookings, allowing_everything());
    let answer = session.take_turn(&profile, &sid(), turn(4), yes(), monday_morning()).await;
    let answer = answer.unwrap_or_else(|e| panic!("{e}"));
    assert!(answer.say.contains("confirmation code"), "{}", answer.say);
    assert_eq!(answer.listen_turn, turn(5));
}

#[tokio::test]
async fn a_no_at_the_read_back_releases_the_hold_and_books_nothing() {
    let profile = demo_profile("fresh-cuts");
    let hold = HoldId::new();
    let state = CallState {
        stage: Stage::ConfirmBooking,
        draft: Draft {
            service: Some("Haircut".to_owned()),
            slot_start: Some(monday_morning() + Duration::days(3)),
            name: Some("Max".to_owned()),
            hold: Some(hold),
            ..Draft::default()
        },
        ..CallState::default()
    };
    let mut calls = MockCalls::new();
    let record = call_record(&profile, &state, None);
    calls.expect_call_for_turn().returning(move |_, _, _| Ok(Some(CallTurn { call: record.clone(), answered: None })));
    calls.expect_save_turn().times(1).returning(|_, _, _, _, _| Ok(SavedTurn::Saved));
    let mut bookings = MockBookings::new();
    // Releasing fails: the caller is still served (the hold expires by itself).
    bookings
        .expect_release_hold()
        .with(eq(profile.slug().clone()), eq(hold))
        .times(1)
        .returning(|_, _| Err(BookingError::Unexpected(anyhow::anyhow!("the store is down"))));
    bookings.expect_commit_booking().never();
    let session = session(calls, bookings, allowing_everything());
    let no = CallerInput { speech: Some("no".to_owned()), digits: None };
    let answer = session.take_turn(&profile, &sid(), turn(3), no, monday_morning()).await;
    let answer = answer.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(answer.next, Next::Listen);
    assert!(answer.say.contains("change"), "{}", answer.say);
}

#[tokio::test]
async fn an_unanswered_question_is_saved_with_its_turn() {
    let profile = demo_profile("fresh-cuts");
    let mut calls = MockCalls::new();
    let record = call_record(&profile, &CallState::default(), None);
    calls.expect_call_for_turn().returning(move |_, _, _| Ok(Some(CallTurn { call: record.clone(), answered: None })));
    calls
        .expect_save_turn()
        .withf(|_, _, _, update, _| {
            update.question.as_deref() == Some("do you sell hair gel")
                && update.turns.first().is_some_and(|t| t.text == "do you sell hair gel")
        })
        .times(1)
        .returning(|_, _, _, _, _| Ok(SavedTurn::Saved));
    let session = session(calls, MemoryBookingStore::new(), allowing_everything());
    let question = CallerInput { speech: Some("do you sell hair gel".to_owned()), digits: None };
    let answer = session.take_turn(&profile, &sid(), turn(1), question, monday_morning()).await;
    assert!(answer.is_ok_and(|a| a.say.contains("I don't know that")));
}

#[tokio::test]
async fn a_finished_call_is_metered_once_and_a_ringing_one_not_at_all() {
    let profile = demo_profile("fresh-cuts");
    let calls = Arc::new(MemoryCallStore::new());
    let incoming = IncomingCall { call_sid: sid(), caller: None, called: profile.phone_numbers()[0].clone() };
    assert!(calls.open_call(profile.slug(), &incoming, "{}", monday_morning()).await.is_ok());
    let mut allowance = MockAllowance::new();
    allowance
        .expect_meter_call()
        .with(eq(profile.slug().clone()), eq(sid()), eq(62), eq(CallMinutes::Answered), mockall::predicate::always())
        .times(1)
        .returning(|_, _, _, _, _| Ok(()));
    let clock = Arc::new(ManualClock::new(monday_morning()));
    let dialogue = Dialogue::new(Arc::new(BookingService::new(Arc::new(MemoryBookingStore::new()), clock)));
    let session = CallSession::new(calls.clone(), Arc::new(dialogue), Arc::new(allowance));
    let report = |status, sequence, duration_secs| StatusReport { status, sequence, duration_secs };
    for status in [report(CallStatus::Ringing, 1, None), report(CallStatus::Completed, 3, Some(62))] {
        assert!(session.status(&profile, &sid(), status, monday_morning()).await.is_ok());
    }
    let call = calls.call(profile.slug(), &sid()).await.ok().flatten().unwrap_or_else(|| panic!("call"));
    assert_eq!((call.status, call.outcome), (CallStatus::Completed, Some(Outcome::Abandoned)));
}

#[tokio::test]
async fn a_call_forwarded_while_suspended_is_metered_as_forwarded_minutes_extension_included() {
    let profile = demo_profile("fresh-cuts");
    let calls = Arc::new(MemoryCallStore::new());
    let mut allowance = MockAllowance::new();
    allowance
        .expect_admission()
        .returning(|_, _| Admission::ForwardToOwner(frontdesk_billing::SuspensionReason::CapReached));
    allowance
        .expect_meter_call()
        .with(
            eq(profile.slug().clone()),
            eq(sid()),
            eq(40),
            eq(CallMinutes::ForwardedToOwner),
            mockall::predicate::always(),
        )
        .times(1)
        .returning(|_, _, _, _, _| Ok(()));
    allowance
        .expect_meter_call_extension()
        .with(
            eq(profile.slug().clone()),
            eq(sid()),
            eq(130),
            eq(2),
            eq(CallMinutes::ForwardedToOwner),
            mockall::predicate::always(),
        )
        .times(1)
        .returning(|_, _, _, _, _, _| Ok(()));
    let clock = Arc::new(ManualClock::new(monday_morning()));
    let dialogue = Dialogue::new(Arc::new(BookingService::new(Arc::new(MemoryBookingStore::new()), clock)));
    let session = CallSession::new(calls.clone(), Arc::new(dialogue), Arc::new(allowance));
    let incoming = IncomingCall { call_sid: sid(), caller: None, called: profile.phone_numbers()[0].clone() };
    let answer = session.start(&profile, incoming, monday_morning()).await;
    assert_eq!(answer.next, Next::Transfer { to: profile.owner_phone().clone() });
    let completed =
        |sequence, seconds| StatusReport { status: CallStatus::Completed, sequence, duration_secs: Some(seconds) };
    // Repeated, then longer: forwarded minutes each time, never the shop's.
    for report in [completed(3, 40), completed(3, 40), completed(4, 130)] {
        assert!(session.status(&profile, &sid(), report, monday_morning()).await.is_ok());
    }
}

#[tokio::test]
async fn a_longer_later_report_meters_the_missing_minutes_and_a_shorter_one_nothing() {
    let profile = demo_profile("fresh-cuts");
    let calls = Arc::new(MemoryCallStore::new());
    let incoming = IncomingCall { call_sid: sid(), caller: None, called: profile.phone_numbers()[0].clone() };
    assert!(calls.open_call(profile.slug(), &incoming, "{}", monday_morning()).await.is_ok());
    let mut allowance = MockAllowance::new();
    // A forged first report of 1 second (1 minute) ...
    allowance
        .expect_meter_call()
        .with(eq(profile.slug().clone()), eq(sid()), eq(1), eq(CallMinutes::Answered), mockall::predicate::always())
        .times(1)
        .returning(|_, _, _, _, _| Ok(()));
    // ... then the real 125 seconds (3 minutes): 2 more minutes, once.
    allowance
        .expect_meter_call_extension()
        .with(
            eq(profile.slug().clone()),
            eq(sid()),
            eq(125),
            eq(2),
            eq(CallMinutes::Answered),
            mockall::predicate::always(),
        )
        .times(1)
        .returning(|_, _, _, _, _, _| Ok(()));
    let clock = Arc::new(ManualClock::new(monday_morning()));
    let dialogue = Dialogue::new(Arc::new(BookingService::new(Arc::new(MemoryBookingStore::new()), clock)));
    let session = CallSession::new(calls.clone(), Arc::new(dialogue), Arc::new(allowance));
    let completed =
        |sequence, seconds| StatusReport { status: CallStatus::Completed, sequence, duration_secs: Some(seconds) };
    // The forged report even claims a later sequence number.
    for report in [completed(99, 1), completed(3, 125), completed(3, 125), completed(4, 30)] {
        assert!(session.status(&profile, &sid(), report, monday_morning()).await.is_ok());
    }
    let call = calls.call(profile.slug(), &sid()).await.ok().flatten().unwrap_or_else(|| panic!("call"));
    assert_eq!(call.duration_secs, Some(125), "the longest report is the call's duration");
}

/// Plays a call in memory up to a hang-up and returns the outcome recorded.
async fn outcome_after(turns: &[&str]) -> Option<Outcome> {
    let profile = demo_profile("fresh-cuts");
    let calls = Arc::new(MemoryCallStore::new());
    let clock = Arc::new(ManualClock::new(monday_morning()));
    let dialogue = Dialogue::new(Arc::new(BookingService::new(Arc::new(MemoryBookingStore::new()), clock)));
    let mut allowance = allowing_everything();
    allowance.expect_meter_call().returning(|_, _, _, _, _| Ok(()));
    let session = CallSession::new(calls.clone(), Arc::new(dialogue), Arc::new(allowance));
    let call = IncomingCall {
        call_sid: sid(),
        caller: Some(phone("+15555551234")),
        called: profile.phone_numbers()[0].clone(),
    };
    let mut answer = session.start(&profile, call, monday_morning()).await;
    for words in turns {
        let input = CallerInput { speech: Some((*words).to_owned()), digits: None };
        answer = session
            .take_turn(&profile, &sid(), answer.listen_turn, input, monday_morning())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let hung_up = StatusReport { status: CallStatus::Completed, sequence: 5, duration_secs: Some(40) };
    assert!(session.status(&profile, &sid(), hung_up, monday_morning()).await.is_ok());
    calls.call(profile.slug(), &sid()).await.ok().flatten().and_then(|c| c.outcome)
}

#[tokio::test]
async fn the_outcome_says_what_the_call_achieved() {
    let cases: [(&[&str], Outcome); 5] = [
        (&["what are your hours"], Outcome::Answered),
        (&["what are your hours", "I'd like to book a haircut"], Outcome::AbandonedBooking),
        (&["book a haircut thursday at 1 pm, this is Max"], Outcome::AbandonedBooking),
        (&["book a haircut thursday at 1 pm, this is Max", "yes", "thanks, bye"], Outcome::Booked),
        (&[], Outcome::Abandoned),
    ];
    for (turns, expected) in cases {
        assert_eq!(outcome_after(turns).await, Some(expected), "{turns:?}");
    }
}

/// A provider's embedding model, played by the offline embedder: it counts
/// its calls and one token per word.
struct PaidEmbedder {
    inner: frontdesk_rag::HashingEmbedder,
    calls: std::sync::atomic::AtomicUsize,
}

#[async_trait]
impl frontdesk_rag::Embedder for PaidEmbedder {
    fn model_id(&self) -> &str {
        "text-embedding-3-small@64"
    }

    fn dims(&self) -> usize {
        self.inner.dims()
    }

    async fn embed(&self, texts: &[String]) -> Result<frontdesk_rag::Embedded, frontdesk_rag::EmbedError> {
        self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let tokens = texts.iter().map(|t| t.split_whitespace().count() as u64).sum();
        let vectors = texts.iter().map(|t| self.inner.embed_one(t)).collect();
        Ok(frontdesk_rag::Embedded { vectors, tokens })
    }
}

/// A session whose dialogue answers from the shop's knowledge, its
/// passages embedded by a paid model.
async fn knowing_session(
    profile: &TenantProfile,
    calls: MockCalls,
    allowance: MockAllowance,
) -> (CallSession, Arc<PaidEmbedder>) {
    use frontdesk_rag::{Document, KnowledgeStore, MemoryKnowledgeStore, Retriever};
    let store = Arc::new(MemoryKnowledgeStore::default());
    let document = Document::parse(
        "kids",
        "Kids",
        "text",
        "Children under twelve get a kids cut for half price, and a lollipop after.",
    )
    .unwrap_or_else(|e| panic!("{e:?}"));
    assert!(store.put_document(profile.slug(), &document, &[], monday_morning()).await.is_ok());
    let embedder = Arc::new(PaidEmbedder {
        inner: frontdesk_rag::HashingEmbedder::new(64),
        calls: std::sync::atomic::AtomicUsize::new(0),
    });
    let retriever = Retriever::new(store).with_embedder(embedder.clone());
    assert!(retriever.reindex(profile, embedder.as_ref()).await.is_ok());
    let clock = Arc::new(ManualClock::new(monday_morning()));
    let bookings = BookingService::new(Arc::new(MemoryBookingStore::new()), clock);
    let dialogue = Dialogue::new(Arc::new(bookings)).with_knowledge(Arc::new(retriever));
    (CallSession::new(Arc::new(calls), Arc::new(dialogue), Arc::new(allowance)), embedder)
}

fn question_turn(profile: &TenantProfile, state: &CallState) -> MockCalls {
    let mut calls = MockCalls::new();
    let record = call_record(profile, state, None);
    calls.expect_call_for_turn().returning(move |_, _, _| Ok(Some(CallTurn { call: record.clone(), answered: None })));
    calls.expect_save_turn().times(1).returning(|_, _, _, _, _| Ok(SavedTurn::Saved));
    calls
}

#[tokio::test]
async fn a_question_embedded_by_a_paid_model_is_metered_once_under_its_turn() {
    let profile = demo_profile("fresh-cuts");
    let mut allowance = allowing_everything();
    let key = format!("embed-question:{}:2:0", sid());
    allowance
        .expect_meter_tokens()
        .withf(move |tenant, k, model, tokens, _| {
            tenant.as_str() == "fresh-cuts"
                && k == key
                && model == "text-embedding-3-small@64"
                && *tokens == frontdesk_billing::TokenCount::input(5)
        })
        .times(1)
        .returning(|_, _, _, _, _| Ok(()));
    let calls = question_turn(&profile, &CallState::default());
    let (session, embedder) = knowing_session(&profile, calls, allowance).await;
    let before = embedder.calls.load(std::sync::atomic::Ordering::SeqCst);
    let question = CallerInput { speech: Some("do children get a lollipop".to_owned()), digits: None };
    let answer = session.take_turn(&profile, &sid(), turn(2), question, monday_morning()).await;
    let answer = answer.unwrap_or_else(|e| panic!("{e}"));
    assert!(answer.say.contains("lollipop"), "{}", answer.say);
    assert_eq!(embedder.calls.load(std::sync::atomic::Ordering::SeqCst), before + 1, "the question was embedded");
}

#[tokio::test]
async fn once_the_ai_budget_is_spent_no_question_is_embedded_and_the_words_still_answer() {
    let profile = demo_profile("fresh-cuts");
    let mut allowance = allowing_everything();
    allowance.expect_meter_tokens().never();
    let state = CallState { ai_budget_spent: true, ..CallState::default() };
    let calls = question_turn(&profile, &state);
    let (session, embedder) = knowing_session(&profile, calls, allowance).await;
    let before = embedder.calls.load(std::sync::atomic::Ordering::SeqCst);
    let question = CallerInput { speech: Some("do children get a lollipop".to_owned()), digits: None };
    let answer = session.take_turn(&profile, &sid(), turn(2), question, monday_morning()).await;
    let answer = answer.unwrap_or_else(|e| panic!("{e}"));
    assert!(answer.say.contains("lollipop"), "{}", answer.say);
    assert_eq!(embedder.calls.load(std::sync::atomic::Ordering::SeqCst), before, "no paid call");
}

#[tokio::test]
async fn a_call_starting_after_the_ai_budget_is_spent_remembers_it_for_every_turn() {
    let profile = demo_profile("fresh-cuts");
    let mut allowance = MockAllowance::new();
    allowance
        .expect_admission()
        .returning(|_, _| Admission::Answer(CallPolicy { paid_ai: false, ..CallPolicy::default() }));
    let mut calls = MockCalls::new();
    calls
        .expect_open_call()
        .withf(|_, _, state, _| CallState::from_json(state).ai_budget_spent)
        .times(1)
        .returning(|_, _, _, _| Err(CallError::NotFound("not kept in this test".to_owned())));
    let session = session(calls, MemoryBookingStore::new(), allowance);
    let call = IncomingCall {
        call_sid: sid(),
        caller: Some(phone("+15555551234")),
        called: profile.phone_numbers()[0].clone(),
    };
    let answer = session.start(&profile, call, monday_morning()).await;
    assert_eq!(answer.next, Next::Listen);
}
