//! The `CallStore` and `MessageLog` contract.

use chrono::Duration;
use frontdesk_core::{Clock, E164, TenantId};
use frontdesk_routing::{MessageRecord, Outcome, SavedTurn, Speaker, Turn, TurnUpdate};

use crate::{Stores, profile};

fn tenant(slug: &str) -> TenantId {
    TenantId::parse(slug).unwrap_or_else(|e| panic!("{e}"))
}

fn phone(raw: &str) -> E164 {
    E164::parse(raw).unwrap_or_else(|e| panic!("{e}"))
}

async fn with_tenants(stores: &Stores, slugs: &[&str]) {
    for slug in slugs {
        stores.tenants.put_tenant(&profile(slug, &[])).await.unwrap_or_else(|e| panic!("{e}"));
    }
}

fn turn(stores: &Stores, speaker: Speaker, text: &str) -> Turn {
    Turn { at: stores.clock.now(), speaker, text: text.to_owned() }
}

pub async fn opening_a_call_twice_returns_the_same_record(stores: Stores) {
    with_tenants(&stores, &["shop-a"]).await;
    let shop = tenant("shop-a");
    let caller = phone("+15555551234");
    let first = stores.calls.open_call(&shop, "CA1", Some(&caller), "+15555550100", "{}", stores.clock.now()).await;
    let first = first.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((first.status.as_str(), first.caller.as_ref(), first.turns.len()), ("in-progress", Some(&caller), 0));
    stores.clock.advance(Duration::seconds(3));
    let again =
        stores.calls.open_call(&shop, "CA1", Some(&caller), "+15555550100", "{\"x\":1}", stores.clock.now()).await;
    assert_eq!(again.ok(), Some(first.clone()), "a repeated first webhook changes nothing");
    assert_eq!(stores.calls.call(&shop, "CA1").await.ok().flatten(), Some(first));
    assert!(matches!(stores.calls.call(&shop, "CA-unknown").await, Ok(None)));
}

pub async fn a_repeated_turn_gets_its_first_reply_and_changes_nothing(stores: Stores) {
    with_tenants(&stores, &["shop-a"]).await;
    let shop = tenant("shop-a");
    assert!(stores.calls.open_call(&shop, "CA2", None, "+15555550100", "{}", stores.clock.now()).await.is_ok());
    let update = TurnUpdate {
        state: "{\"stage\":\"booking\"}".to_owned(),
        turns: vec![
            turn(&stores, Speaker::Caller, "a fade tomorrow at 2"),
            turn(&stores, Speaker::Agent, "Who is it for?"),
        ],
        outcome: None,
        booking_id: None,
        recording_url: None,
        reply: "<Response>first</Response>".to_owned(),
    };
    let now = stores.clock.now();
    assert!(matches!(stores.calls.save_turn(&shop, "CA2", "turn-1", &update, now).await, Ok(SavedTurn::Saved)));
    let retry = TurnUpdate { reply: "<Response>second</Response>".to_owned(), ..update.clone() };
    let replayed = stores.calls.save_turn(&shop, "CA2", "turn-1", &retry, now).await;
    assert!(
        matches!(&replayed, Ok(SavedTurn::AlreadyAnswered(r)) if r == "<Response>first</Response>"),
        "{replayed:?}"
    );
    let call = stores.calls.call(&shop, "CA2").await.ok().flatten().unwrap_or_else(|| panic!("call"));
    assert_eq!(call.turns.len(), 2, "the retry added no turns");
    assert_eq!(call.state, "{\"stage\":\"booking\"}");
    assert_eq!(
        stores.calls.answered_turn(&shop, "CA2", "turn-1").await.ok().flatten().as_deref(),
        Some("<Response>first</Response>")
    );

    // Concurrent deliveries of one turn: exactly one is saved.
    let mut racers = Vec::new();
    for n in 0..6 {
        let calls = stores.calls.clone();
        let update =
            TurnUpdate { reply: format!("<Response>{n}</Response>"), outcome: Some(Outcome::Booked), ..update.clone() };
        racers
            .push(tokio::spawn(async move { calls.save_turn(&tenant("shop-a"), "CA2", "turn-2", &update, now).await }));
    }
    let mut saved = 0;
    for racer in racers {
        if matches!(racer.await.unwrap_or_else(|e| panic!("{e}")), Ok(SavedTurn::Saved)) {
            saved += 1;
        }
    }
    assert_eq!(saved, 1);
    let call = stores.calls.call(&shop, "CA2").await.ok().flatten().unwrap_or_else(|| panic!("call"));
    assert_eq!((call.turns.len(), call.outcome), (4, Some(Outcome::Booked)));
}

pub async fn status_callbacks_apply_in_sequence_order(stores: Stores) {
    with_tenants(&stores, &["shop-a"]).await;
    let shop = tenant("shop-a");
    assert!(stores.calls.open_call(&shop, "CA3", None, "+15555550100", "{}", stores.clock.now()).await.is_ok());
    stores.clock.advance(Duration::seconds(95));
    let now = stores.clock.now();
    assert!(stores.calls.record_status(&shop, "CA3", "completed", 3, Some(94), now).await.is_ok());
    // Late and repeated callbacks change nothing.
    assert!(stores.calls.record_status(&shop, "CA3", "ringing", 1, None, now + Duration::seconds(5)).await.is_ok());
    assert!(
        stores.calls.record_status(&shop, "CA3", "completed", 3, Some(94), now + Duration::seconds(9)).await.is_ok()
    );
    let call = stores.calls.call(&shop, "CA3").await.ok().flatten().unwrap_or_else(|| panic!("call"));
    assert_eq!(call.status, "completed");
    assert_eq!(call.ended_at, Some(now));
    assert_eq!(call.duration_secs, Some(94));
    assert_eq!(call.outcome, Some(Outcome::Abandoned), "ended without an outcome");
}

pub async fn calls_questions_and_messages_stay_with_their_tenant(stores: Stores) {
    with_tenants(&stores, &["shop-a", "shop-b"]).await;
    let (a, b) = (tenant("shop-a"), tenant("shop-b"));
    let start = stores.clock.now();
    assert!(stores.calls.open_call(&a, "CA-A1", None, "+15555550100", "{}", start).await.is_ok());
    stores.clock.advance(Duration::minutes(1));
    assert!(stores.calls.open_call(&a, "CA-A2", None, "+15555550100", "{}", stores.clock.now()).await.is_ok());
    assert!(stores.calls.open_call(&b, "CA-B1", None, "+15555550200", "{}", stores.clock.now()).await.is_ok());

    let listed = stores.calls.list_calls(&a, start, start + Duration::hours(1)).await.unwrap_or_default();
    assert_eq!(
        listed.iter().map(|c| c.call_sid.as_str()).collect::<Vec<_>>(),
        ["CA-A2", "CA-A1"],
        "newest first, own calls only"
    );
    assert!(matches!(stores.calls.call(&b, "CA-A1").await, Ok(None)), "B cannot read A's call");
    assert!(matches!(stores.calls.answered_turn(&b, "CA-A1", "turn-1").await, Ok(None)));
    // B cannot write A's call either.
    let update = TurnUpdate {
        state: "{}".to_owned(),
        turns: Vec::new(),
        outcome: Some(Outcome::Booked),
        booking_id: None,
        recording_url: None,
        reply: "x".to_owned(),
    };
    let foreign = stores.calls.save_turn(&b, "CA-A1", "turn-1", &update, stores.clock.now()).await;
    assert!(foreign.is_err(), "{foreign:?}");
    assert!(stores.calls.record_status(&b, "CA-A1", "completed", 9, Some(1), stores.clock.now()).await.is_ok());
    assert_eq!(stores.calls.call(&a, "CA-A1").await.ok().flatten().map(|c| c.status), Some("in-progress".to_owned()));

    assert!(stores.calls.record_question(&a, "CA-A1", "do you do perms?", stores.clock.now()).await.is_ok());
    assert_eq!(stores.calls.questions(&a).await.unwrap_or_default().len(), 1);
    assert!(stores.calls.questions(&b).await.unwrap_or_default().is_empty());

    let message = MessageRecord {
        id: "msg-1".to_owned(),
        tenant: a.clone(),
        to: phone("+15555551234"),
        from: phone("+15555550100"),
        body: "See you Friday".to_owned(),
        status: "queued".to_owned(),
        provider_id: None,
        booking_id: Some("b-1".to_owned()),
        error: None,
        created_at: stores.clock.now(),
        updated_at: stores.clock.now(),
    };
    assert!(stores.messages.upsert_message(&message).await.is_ok());
    let sent = MessageRecord { status: "sent".to_owned(), provider_id: Some("SM1".to_owned()), ..message.clone() };
    assert!(stores.messages.upsert_message(&sent).await.is_ok());
    assert_eq!(stores.messages.message(&a, "msg-1").await.ok().flatten(), Some(sent));
    assert!(matches!(stores.messages.message(&b, "msg-1").await, Ok(None)));
    assert_eq!(stores.messages.list_messages(&a, 10).await.map(|l| l.len()).ok(), Some(1));
    assert!(stores.messages.list_messages(&b, 10).await.unwrap_or_default().is_empty());

    let caller = phone("+15555551234");
    assert!(stores.messages.set_opt_out(&a, &caller, true, stores.clock.now()).await.is_ok());
    assert!(stores.messages.set_opt_out(&a, &caller, true, stores.clock.now()).await.is_ok(), "twice is fine");
    assert!(matches!(stores.messages.is_opted_out(&a, &caller).await, Ok(true)));
    assert!(matches!(stores.messages.is_opted_out(&b, &caller).await, Ok(false)));
    assert!(stores.messages.set_opt_out(&a, &caller, false, stores.clock.now()).await.is_ok());
    assert!(matches!(stores.messages.is_opted_out(&a, &caller).await, Ok(false)));
}
