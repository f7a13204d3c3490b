//! The `CallStore` contract.

use chrono::{DateTime, Duration, Utc};
use frontdesk_core::{Clock, E164};
use frontdesk_routing::calls::CallBrief;
use frontdesk_routing::{
    CallError, CallSid, CallStatus, IncomingCall, NearestPassage, Outcome, SavedTurn, Speaker, Turn, TurnKey,
    TurnNumber, TurnUpdate,
};

use crate::{Stores, phone, tenant, with_tenants};

fn sid(raw: &str) -> CallSid {
    CallSid::parse(raw).unwrap_or_else(|e| panic!("{e}"))
}

fn turn_key(n: u16) -> TurnKey {
    TurnKey::Caller(TurnNumber::parse(&n.to_string()).unwrap_or_else(|e| panic!("{e}")))
}

fn shop_number() -> E164 {
    phone("+15555550100")
}

fn incoming(call_sid: CallSid, caller: Option<E164>, called: E164) -> IncomingCall {
    IncomingCall { call_sid, caller, called }
}

fn update(reply: &str) -> TurnUpdate {
    TurnUpdate {
        state: "{}".to_owned(),
        turns: Vec::new(),
        outcome: None,
        booking_id: None,
        recording_url: None,
        question: None,
        nearest: None,
        reply: reply.to_owned(),
    }
}

fn turn(stores: &Stores, speaker: Speaker, text: &str) -> Turn {
    Turn::said(stores.clock.now(), speaker, text)
}

pub async fn opening_a_call_twice_returns_the_same_record(stores: Stores) {
    with_tenants(&stores, &["shop-a"]).await;
    let shop = tenant("shop-a");
    let caller = phone("+15555551234");
    let first = stores
        .calls
        .open_call(&shop, &incoming(sid("CA1"), Some(caller.clone()), shop_number()), "{}", stores.clock.now())
        .await;
    let first = first.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((first.status, first.caller.as_ref(), first.turns.len()), (CallStatus::InProgress, Some(&caller), 0));
    assert_eq!((first.call_sid.as_str(), &first.called), ("CA1", &shop_number()));
    stores.clock.advance(Duration::seconds(3));
    let again = stores
        .calls
        .open_call(&shop, &incoming(sid("CA1"), Some(caller.clone()), shop_number()), "{\"x\":1}", stores.clock.now())
        .await;
    assert_eq!(again.ok(), Some(first.clone()), "a repeated first webhook changes nothing");
    assert_eq!(stores.calls.call(&shop, &sid("CA1")).await.ok().flatten(), Some(first));
    assert!(matches!(stores.calls.call(&shop, &sid("CA-unknown")).await, Ok(None)));
}

pub async fn a_call_opens_greeted_in_one_write_once(stores: Stores) {
    with_tenants(&stores, &["shop-a", "shop-b"]).await;
    let (shop, other) = (tenant("shop-a"), tenant("shop-b"));
    let caller = phone("+15555551234");
    let greeting = TurnUpdate {
        state: "{\"stage\":\"greeted\"}".to_owned(),
        turns: vec![turn(&stores, Speaker::Agent, "Thanks for calling, how can I help?")],
        outcome: Some(Outcome::Answered),
        question: Some("do you validate parking".to_owned()),
        nearest: Some(NearestPassage { source: "parking".to_owned(), coverage: 0.5 }),
        ..update("<Response>hello</Response>")
    };
    let now = stores.clock.now();
    let opened = stores
        .calls
        .open_call_greeted(&shop, &incoming(sid("CA9"), Some(caller.clone()), shop_number()), &greeting, now)
        .await;
    assert!(matches!(opened, Ok(SavedTurn::Saved)), "{opened:?}");
    let call = stores.calls.call(&shop, &sid("CA9")).await.ok().flatten().unwrap_or_else(|| panic!("the call"));
    assert_eq!((call.status, call.caller.as_ref(), call.started_at), (CallStatus::InProgress, Some(&caller), now));
    assert_eq!(
        (call.state.as_str(), call.outcome, call.turns.len()),
        ("{\"stage\":\"greeted\"}", Some(Outcome::Answered), 1)
    );
    assert_eq!(call.turns[0].text, "Thanks for calling, how can I help?");
    let found = stores.calls.call_for_turn(&shop, &sid("CA9"), &TurnKey::Greeting).await.ok().flatten();
    assert_eq!(found.and_then(|f| f.answered).as_deref(), Some("<Response>hello</Response>"));
    let asked = stores.calls.questions(&shop).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(asked.iter().map(|q| q.question.as_str()).collect::<Vec<_>>(), ["do you validate parking"]);

    // The provider repeats the first webhook: the first greeting, nothing changed.
    stores.clock.advance(Duration::seconds(2));
    let again = TurnUpdate {
        state: "{\"x\":1}".to_owned(),
        reply: "<Response>again</Response>".to_owned(),
        ..greeting.clone()
    };
    let repeated = stores
        .calls
        .open_call_greeted(
            &shop,
            &incoming(sid("CA9"), Some(caller.clone()), shop_number()),
            &again,
            stores.clock.now(),
        )
        .await;
    assert!(
        matches!(&repeated, Ok(SavedTurn::AlreadyAnswered(r)) if r == "<Response>hello</Response>"),
        "{repeated:?}"
    );
    assert_eq!(stores.calls.call(&shop, &sid("CA9")).await.ok().flatten(), Some(call));
    assert_eq!(stores.calls.questions(&shop).await.map(|q| q.len()).ok(), Some(1), "the question once");

    // Another tenant's call sid: not found, nothing written for either shop.
    let stolen = stores
        .calls
        .open_call_greeted(&other, &incoming(sid("CA9"), None, shop_number()), &again, stores.clock.now())
        .await;
    assert!(matches!(stolen, Err(CallError::NotFound(_))), "{stolen:?}");
    assert!(matches!(stores.calls.call(&other, &sid("CA9")).await, Ok(None)));
    assert_eq!(stores.calls.questions(&other).await.map(|q| q.len()).ok(), Some(0));

    // A call opened without its greeting (an older gateway) is greeted once.
    let plain =
        stores.calls.open_call(&shop, &incoming(sid("CA10"), None, shop_number()), "{}", stores.clock.now()).await;
    assert!(plain.is_ok(), "{plain:?}");
    let greeted = stores
        .calls
        .open_call_greeted(&shop, &incoming(sid("CA10"), None, shop_number()), &greeting, stores.clock.now())
        .await;
    assert!(matches!(greeted, Ok(SavedTurn::Saved)), "{greeted:?}");
    let call = stores.calls.call(&shop, &sid("CA10")).await.ok().flatten().unwrap_or_else(|| panic!("the call"));
    assert_eq!((call.state.as_str(), call.turns.len()), ("{\"stage\":\"greeted\"}", 1));

    // Concurrent first webhooks: exactly one greeting saved.
    let mut racers = Vec::new();
    for n in 0..6 {
        let calls = stores.calls.clone();
        let greeting = TurnUpdate { reply: format!("<Response>{n}</Response>"), question: None, ..greeting.clone() };
        racers.push(tokio::spawn(async move {
            calls
                .open_call_greeted(&tenant("shop-a"), &incoming(sid("CA11"), None, shop_number()), &greeting, now)
                .await
        }));
    }
    let mut saved = 0;
    for racer in racers {
        match racer.await.unwrap_or_else(|e| panic!("{e}")) {
            Ok(SavedTurn::Saved) => saved += 1,
            Ok(SavedTurn::AlreadyAnswered(_)) => {}
            Err(error) => panic!("{error}"),
        }
    }
    assert_eq!(saved, 1);
    let call = stores.calls.call(&shop, &sid("CA11")).await.ok().flatten().unwrap_or_else(|| panic!("the call"));
    assert_eq!(call.turns.len(), 1, "one greeting in the transcript");
}

pub async fn a_repeated_turn_gets_its_first_reply_and_changes_nothing(stores: Stores) {
    with_tenants(&stores, &["shop-a"]).await;
    let shop = tenant("shop-a");
    let ca2 = sid("CA2");
    assert!(
        stores
            .calls
            .open_call(&shop, &incoming(ca2.clone(), None, shop_number()), "{}", stores.clock.now())
            .await
            .is_ok()
    );
    let update = TurnUpdate {
        state: "{\"stage\":\"booking\"}".to_owned(),
        turns: vec![
            turn(&stores, Speaker::Caller, "a fade tomorrow at 2"),
            turn(&stores, Speaker::Agent, "Who is it for?"),
        ],
        outcome: None,
        booking_id: None,
        recording_url: None,
        question: None,
        nearest: None,
        reply: "<Response>first</Response>".to_owned(),
    };
    let now = stores.clock.now();
    assert!(matches!(stores.calls.save_turn(&shop, &ca2, &turn_key(1), &update, now).await, Ok(SavedTurn::Saved)));
    let retry = TurnUpdate { reply: "<Response>second</Response>".to_owned(), ..update.clone() };
    let replayed = stores.calls.save_turn(&shop, &ca2, &turn_key(1), &retry, now).await;
    assert!(
        matches!(&replayed, Ok(SavedTurn::AlreadyAnswered(r)) if r == "<Response>first</Response>"),
        "{replayed:?}"
    );
    let call = stores.calls.call(&shop, &ca2).await.ok().flatten().unwrap_or_else(|| panic!("call"));
    assert_eq!(call.turns.len(), 2, "the retry added no turns");
    assert_eq!(call.state, "{\"stage\":\"booking\"}");
    let found = stores.calls.call_for_turn(&shop, &ca2, &turn_key(1)).await.ok().flatten();
    assert_eq!(found.as_ref().and_then(|f| f.answered.as_deref()), Some("<Response>first</Response>"));
    assert_eq!(found.map(|f| f.call), Some(call), "the call comes with the answer, in one read");
    let unanswered = stores.calls.call_for_turn(&shop, &ca2, &turn_key(2)).await.ok().flatten();
    assert_eq!(unanswered.map(|f| f.answered), Some(None));

    // Concurrent deliveries of one turn: exactly one is saved.
    let mut racers = Vec::new();
    for n in 0..6 {
        let calls = stores.calls.clone();
        let update =
            TurnUpdate { reply: format!("<Response>{n}</Response>"), outcome: Some(Outcome::Booked), ..update.clone() };
        racers.push(tokio::spawn(async move {
            calls.save_turn(&tenant("shop-a"), &sid("CA2"), &turn_key(2), &update, now).await
        }));
    }
    let mut saved = 0;
    for racer in racers {
        if matches!(racer.await.unwrap_or_else(|e| panic!("{e}")), Ok(SavedTurn::Saved)) {
            saved += 1;
        }
    }
    assert_eq!(saved, 1);
    let call = stores.calls.call(&shop, &ca2).await.ok().flatten().unwrap_or_else(|| panic!("call"));
    assert_eq!((call.turns.len(), call.outcome), (4, Some(Outcome::Booked)));
}

pub async fn status_callbacks_apply_in_sequence_order(stores: Stores) {
    with_tenants(&stores, &["shop-a"]).await;
    let shop = tenant("shop-a");
    let ca3 = sid("CA3");
    assert!(
        stores
            .calls
            .open_call(&shop, &incoming(ca3.clone(), None, shop_number()), "{}", stores.clock.now())
            .await
            .is_ok()
    );
    let ringing =
        stores.calls.record_status(&shop, &ca3, CallStatus::Ringing, 1, None, Outcome::Abandoned, stores.clock.now());
    assert!(ringing.await.is_ok());
    let call = stores.calls.call(&shop, &ca3).await.ok().flatten().unwrap_or_else(|| panic!("call"));
    assert_eq!((call.status, call.outcome, call.ended_at), (CallStatus::Ringing, None, None), "not final yet");
    stores.clock.advance(Duration::seconds(95));
    let now = stores.clock.now();
    let completed = |sequence: u32, at| {
        stores.calls.record_status(&shop, &ca3, CallStatus::Completed, sequence, Some(94), Outcome::Abandoned, at)
    };
    assert!(completed(3, now).await.is_ok());
    // Late and repeated callbacks change nothing.
    let late = stores.calls.record_status(
        &shop,
        &ca3,
        CallStatus::Ringing,
        2,
        None,
        Outcome::Booked,
        now + Duration::seconds(5),
    );
    assert!(late.await.is_ok());
    assert!(completed(3, now + Duration::seconds(9)).await.is_ok());
    let call = stores.calls.call(&shop, &ca3).await.ok().flatten().unwrap_or_else(|| panic!("call"));
    assert_eq!(call.status, CallStatus::Completed);
    assert_eq!(call.ended_at, Some(now));
    assert_eq!(call.duration_secs, Some(94));
    assert_eq!(call.outcome, Some(Outcome::Abandoned), "the outcome the session decided for the end");

    // A late callback changes no status, but a longer duration it reports is
    // kept (a call costs the longest duration reported); a shorter one is not.
    let longer = stores.calls.record_status(&shop, &ca3, CallStatus::Completed, 2, Some(180), Outcome::Booked, now);
    assert!(longer.await.is_ok());
    let shorter = stores.calls.record_status(&shop, &ca3, CallStatus::Completed, 5, Some(10), Outcome::Booked, now);
    assert!(shorter.await.is_ok());
    let call = stores.calls.call(&shop, &ca3).await.ok().flatten().unwrap_or_else(|| panic!("call"));
    assert_eq!(call.duration_secs, Some(180));
    assert_eq!((call.status, call.ended_at), (CallStatus::Completed, Some(now)));
}

pub async fn calls_and_questions_stay_with_their_tenant(stores: Stores) {
    with_tenants(&stores, &["shop-a", "shop-b"]).await;
    let (a, b) = (tenant("shop-a"), tenant("shop-b"));
    let start = stores.clock.now();
    let (a1, a2, b1) = (sid("CA-A1"), sid("CA-A2"), sid("CA-B1"));
    assert!(stores.calls.open_call(&a, &incoming(a1.clone(), None, shop_number()), "{}", start).await.is_ok());
    stores.clock.advance(Duration::minutes(1));
    assert!(
        stores.calls.open_call(&a, &incoming(a2.clone(), None, shop_number()), "{}", stores.clock.now()).await.is_ok()
    );
    assert!(
        stores
            .calls
            .open_call(&b, &incoming(b1.clone(), None, phone("+15555550200")), "{}", stores.clock.now())
            .await
            .is_ok()
    );

    let listed = stores.calls.list_calls(&a, start, start + Duration::hours(1)).await.unwrap_or_default();
    assert_eq!(
        listed.iter().map(|c| c.call_sid.as_str()).collect::<Vec<_>>(),
        ["CA-A2", "CA-A1"],
        "newest first, own calls only"
    );
    assert!(matches!(stores.calls.call(&b, &a1).await, Ok(None)), "B cannot read A's call");
    assert!(matches!(stores.calls.call_for_turn(&b, &a1, &turn_key(1)).await, Ok(None)));
    // B cannot write A's call either.
    let trespass = TurnUpdate {
        outcome: Some(Outcome::Booked),
        question: Some("a question B should not leave".to_owned()),
        ..update("x")
    };
    let foreign = stores.calls.save_turn(&b, &a1, &turn_key(1), &trespass, stores.clock.now()).await;
    assert!(matches!(foreign, Err(CallError::NotFound(_))), "{foreign:?}");
    let foreign_status =
        stores.calls.record_status(&b, &a1, CallStatus::Completed, 9, Some(1), Outcome::Booked, stores.clock.now());
    assert!(foreign_status.await.is_ok());
    assert_eq!(stores.calls.call(&a, &a1).await.ok().flatten().map(|c| c.status), Some(CallStatus::InProgress));

    let asked = TurnUpdate { question: Some("do you do perms?".to_owned()), ..update("y") };
    assert!(stores.calls.save_turn(&a, &a1, &turn_key(1), &asked, stores.clock.now()).await.is_ok());
    assert_eq!(stores.calls.questions(&a).await.unwrap_or_default().len(), 1);
    assert!(stores.calls.questions(&b).await.unwrap_or_default().is_empty());
}

pub async fn a_question_is_recorded_with_its_turn_exactly_once(stores: Stores) {
    with_tenants(&stores, &["shop-a"]).await;
    let shop = tenant("shop-a");
    let call = sid("CA-Q");
    assert!(
        stores
            .calls
            .open_call(&shop, &incoming(call.clone(), None, shop_number()), "{}", stores.clock.now())
            .await
            .is_ok()
    );
    let now = stores.clock.now();
    let nearest = NearestPassage { source: "doc:products".to_owned(), coverage: 0.375 };
    let asked = |n: u32| TurnUpdate {
        question: Some("do you sell hair gel".to_owned()),
        nearest: Some(nearest.clone()),
        turns: vec![turn(&stores, Speaker::Caller, "do you sell hair gel")],
        ..update(&format!("answer {n}"))
    };
    // The provider delivers the turn three times, twice at once.
    assert!(matches!(stores.calls.save_turn(&shop, &call, &turn_key(1), &asked(1), now).await, Ok(SavedTurn::Saved)));
    let (key, second, third) = (turn_key(1), asked(2), asked(3));
    let (second, third) = tokio::join!(
        stores.calls.save_turn(&shop, &call, &key, &second, now),
        stores.calls.save_turn(&shop, &call, &key, &third, now)
    );
    for repeat in [second, third] {
        assert!(matches!(&repeat, Ok(SavedTurn::AlreadyAnswered(first)) if first == "answer 1"), "{repeat:?}");
    }
    let questions = stores.calls.questions(&shop).await.unwrap_or_default();
    let listed: Vec<(DateTime<Utc>, &str, bool)> =
        questions.iter().map(|q| (q.asked_at, q.question.as_str(), q.answered_at.is_some())).collect();
    assert_eq!(listed, vec![(now, "do you sell hair gel", false)], "recorded once, with the turn's time, open");
    assert_eq!(questions[0].nearest.as_ref(), Some(&nearest), "with the passage that came closest");
    // A turn for a call that does not exist records nothing.
    let missing = stores.calls.save_turn(&shop, &sid("CA-none"), &turn_key(1), &asked(4), now).await;
    assert!(matches!(missing, Err(CallError::NotFound(_))), "{missing:?}");
    assert_eq!(stores.calls.questions(&shop).await.unwrap_or_default().len(), 1);
}

/// A question is closed once by its own tenant, keeps its place in the
/// list, and is unknown to any other tenant.
pub async fn a_question_is_closed_once_by_its_own_tenant(stores: Stores) {
    with_tenants(&stores, &["shop-a", "shop-b"]).await;
    let (a, b) = (tenant("shop-a"), tenant("shop-b"));
    let asked_at = stores.clock.now();
    for (shop, call, question) in
        [(&a, "CA-QA1", "do you sell gift cards"), (&a, "CA-QA2", "is there wifi"), (&b, "CA-QB1", "do you do braids")]
    {
        let opened = stores.calls.open_call(shop, &incoming(sid(call), None, shop_number()), "{}", asked_at).await;
        assert!(opened.is_ok(), "{opened:?}");
        let update = TurnUpdate { question: Some(question.to_owned()), ..update("I don't know that.") };
        assert!(stores.calls.save_turn(shop, &sid(call), &turn_key(1), &update, asked_at).await.is_ok());
        stores.clock.advance(Duration::seconds(1));
    }
    let listed = stores.calls.questions(&a).await.unwrap_or_default();
    assert_eq!(
        listed.iter().map(|q| q.question.as_str()).collect::<Vec<_>>(),
        ["is there wifi", "do you sell gift cards"]
    );
    let gift = listed[1].clone();
    let theirs = stores.calls.questions(&b).await.unwrap_or_default();
    assert_ne!(theirs[0].id, gift.id, "ids are unique across tenants");

    // B cannot close A's question, nor can anyone close one that does not exist.
    let closed_by_b = stores.calls.close_question(&b, gift.id, stores.clock.now()).await;
    assert!(matches!(closed_by_b, Ok(None)), "{closed_by_b:?}");
    assert!(matches!(stores.calls.close_question(&a, gift.id + 1000, stores.clock.now()).await, Ok(None)));

    let answered_at = stores.clock.now();
    let closed = stores.calls.close_question(&a, gift.id, answered_at).await.ok().flatten();
    let closed = closed.unwrap_or_else(|| panic!("A closes its own question"));
    assert_eq!(
        (closed.id, closed.question.as_str(), closed.answered_at),
        (gift.id, "do you sell gift cards", Some(answered_at))
    );
    stores.clock.advance(Duration::minutes(5));
    let again = stores.calls.close_question(&a, gift.id, stores.clock.now()).await.ok().flatten();
    assert_eq!(again.and_then(|q| q.answered_at), Some(answered_at), "closed once: the first time stays");
    let listed = stores.calls.questions(&a).await.unwrap_or_default();
    let states: Vec<(&str, bool)> = listed.iter().map(|q| (q.question.as_str(), q.answered_at.is_some())).collect();
    assert_eq!(states, [("is there wifi", false), ("do you sell gift cards", true)], "it keeps its place");
    assert!(stores.calls.questions(&b).await.unwrap_or_default().iter().all(|q| q.answered_at.is_none()));
}

/// A summary is the call without its transcript and state: for one tenant
/// in a window (its own calls only, newest first), and for every tenant at
/// once; both agree with the whole records.
pub async fn call_summaries_agree_with_the_records_per_tenant_and_for_all(stores: Stores) {
    with_tenants(&stores, &["shop-a", "shop-b"]).await;
    let (a, b) = (tenant("shop-a"), tenant("shop-b"));
    let start = stores.clock.now();
    let caller = phone("+15555551234");
    let opened = [
        (&a, "CA-A1", Some(caller.clone()), shop_number(), start),
        (&b, "CA-B1", None, phone("+15555550200"), start + Duration::minutes(1)),
        (&a, "CA-A2", None, shop_number(), start + Duration::minutes(2)),
        (&a, "CA-A-late", None, shop_number(), start + Duration::hours(2)),
    ];
    for (shop, call, caller, called, at) in opened {
        let opened = stores.calls.open_call(shop, &incoming(sid(call), caller, called), "{}", at).await;
        assert!(opened.is_ok(), "{opened:?}");
    }
    let said = TurnUpdate {
        turns: vec![turn(&stores, Speaker::Caller, "book me in")],
        outcome: Some(Outcome::Booked),
        ..update("a")
    };
    let saved = stores.calls.save_turn(&a, &sid("CA-A1"), &turn_key(1), &said, start + Duration::seconds(5)).await;
    assert!(saved.is_ok(), "{saved:?}");
    let ended = stores
        .calls
        .record_status(
            &a,
            &sid("CA-A1"),
            CallStatus::Completed,
            1,
            Some(65),
            Outcome::Booked,
            start + Duration::minutes(1),
        )
        .await;
    assert!(ended.is_ok(), "{ended:?}");

    let window = (start, start + Duration::hours(1));
    let records = stores.calls.list_calls(&a, window.0, window.1).await.unwrap_or_else(|e| panic!("{e}"));
    let summaries = stores.calls.call_summaries(&a, window.0, window.1).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(summaries, records.iter().map(frontdesk_routing::CallSummary::from).collect::<Vec<_>>());
    assert_eq!(summaries.iter().map(|c| c.call_sid.as_str()).collect::<Vec<_>>(), ["CA-A2", "CA-A1"]);
    let first = &summaries[1];
    assert_eq!(
        (first.caller.as_ref(), first.status, first.duration_secs, first.outcome),
        (Some(&caller), CallStatus::Completed, Some(65), Some(Outcome::Booked))
    );
    assert_eq!(first.ended_at, Some(start + Duration::minutes(1)));

    let every = stores.calls.call_summaries_of_all_tenants(window.0, window.1).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        every.iter().map(|c| (c.tenant.as_str(), c.call_sid.as_str())).collect::<Vec<_>>(),
        [("shop-a", "CA-A2"), ("shop-b", "CA-B1"), ("shop-a", "CA-A1")],
        "every tenant's calls of the window, newest first"
    );
    assert_eq!(every[2], summaries[1]);
    let none = stores.calls.call_summaries_of_all_tenants(window.1, window.1 + Duration::minutes(30)).await;
    assert_eq!(none.map(|calls| calls.len()).ok(), Some(0));

    // The briefs are the summaries, in brief.
    let brief =
        |calls: &[frontdesk_routing::CallSummary]| -> Vec<CallBrief> { calls.iter().map(CallBrief::from).collect() };
    let briefs = stores.calls.call_briefs(&a, window.0, window.1).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(briefs, brief(&summaries));
    let every_brief =
        stores.calls.call_briefs_of_all_tenants(window.0, window.1).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(every_brief, brief(&every));
    let none = stores.calls.call_briefs_of_all_tenants(window.1, window.1 + Duration::minutes(30)).await;
    assert_eq!(none.map(|calls| calls.len()).ok(), Some(0));
}

pub async fn a_callback_is_opened_once_per_call_completed_and_closed_by_its_own_tenant(stores: Stores) {
    use frontdesk_routing::{Callback, CallbackStatus};
    with_tenants(&stores, &["shop-a", "shop-b"]).await;
    let (a, b) = (tenant("shop-a"), tenant("shop-b"));
    let caller = phone("+15555551234");
    for (shop, call) in [(&a, "CA-cb1"), (&a, "CA-cb2"), (&b, "CA-cb3")] {
        let opened = stores
            .calls
            .open_call(shop, &incoming(sid(call), Some(caller.clone()), shop_number()), "{}", stores.clock.now())
            .await;
        assert!(opened.is_ok(), "{opened:?}");
    }
    let callback = |shop: &frontdesk_core::TenantId, call: &str, reason: &str| Callback {
        call_sid: sid(call),
        tenant: shop.clone(),
        caller: Some(caller.clone()),
        name: Some("Jane".to_owned()),
        reason: reason.to_owned(),
        recording_url: None,
        transcript: None,
        status: CallbackStatus::Open,
        created_at: stores.clock.now(),
        done_at: None,
    };
    assert!(matches!(stores.callbacks.open_callback(&callback(&a, "CA-cb1", "wants to move")).await, Ok(true)));
    assert!(
        matches!(stores.callbacks.open_callback(&callback(&a, "CA-cb1", "again")).await, Ok(false)),
        "one per call: a repeated webhook opens nothing"
    );
    let foreign = stores.callbacks.open_callback(&callback(&a, "CA-cb3", "not ours")).await;
    assert!(matches!(foreign, Err(CallError::NotFound(_))), "another tenant's call: {foreign:?}");
    stores.clock.advance(Duration::minutes(1));
    assert!(matches!(stores.callbacks.open_callback(&callback(&a, "CA-cb2", "asked for someone")).await, Ok(true)));
    assert!(matches!(stores.callbacks.open_callback(&callback(&b, "CA-cb3", "shop b's")).await, Ok(true)));

    assert!(matches!(stores.callbacks.attach_recording(&a, &sid("CA-cb1"), "https://rec/RE1").await, Ok(true)));
    assert!(matches!(stores.callbacks.attach_transcript(&a, &sid("CA-cb1"), "Please call me back").await, Ok(true)));
    assert!(matches!(stores.callbacks.attach_recording(&b, &sid("CA-cb1"), "https://rec/x").await, Ok(false)));
    assert!(matches!(stores.callbacks.attach_transcript(&a, &sid("CA-nope"), "x").await, Ok(false)));
    let read = stores.callbacks.callback(&a, &sid("CA-cb1")).await.unwrap_or_else(|e| panic!("{e}"));
    let read = read.unwrap_or_else(|| panic!("the callback reads back"));
    assert_eq!(read.reason, "wants to move", "the first one is kept");
    assert_eq!(read.recording_url.as_deref(), Some("https://rec/RE1"));
    assert_eq!(read.transcript.as_deref(), Some("Please call me back"));
    assert_eq!((read.caller.as_ref(), read.name.as_deref()), (Some(&caller), Some("Jane")));
    assert!(matches!(stores.callbacks.callback(&b, &sid("CA-cb1")).await, Ok(None)), "never another tenant's");

    let open = stores.callbacks.callbacks(&a, Some(CallbackStatus::Open)).await.unwrap_or_else(|e| panic!("{e}"));
    let calls: Vec<&str> = open.iter().map(|c| c.call_sid.as_str()).collect();
    assert_eq!(calls, ["CA-cb1", "CA-cb2"], "oldest first, own tenant only");
    let done_at = stores.clock.now();
    assert!(matches!(stores.callbacks.close_callback(&a, &sid("CA-cb1"), done_at).await, Ok(true)));
    stores.clock.advance(Duration::minutes(5));
    assert!(matches!(stores.callbacks.close_callback(&a, &sid("CA-cb1"), stores.clock.now()).await, Ok(true)));
    assert!(matches!(stores.callbacks.close_callback(&b, &sid("CA-cb2"), stores.clock.now()).await, Ok(false)));
    let done = stores.callbacks.callbacks(&a, Some(CallbackStatus::Done)).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(done.len(), 1);
    assert_eq!((done[0].status, done[0].done_at), (CallbackStatus::Done, Some(done_at)), "closed once");
    let all = stores.callbacks.callbacks(&a, None).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(all.len(), 2);
}
