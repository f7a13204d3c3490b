//! The `MessageLog` contract: the texts a shop sends, and its opt-outs.

use chrono::Duration;
use frontdesk_core::{Clock, StoreError, TenantId};
use frontdesk_messaging::{MessageRecord, TextOffer};

use crate::{Stores, phone, tenant, with_tenants};

/// A queued text of `tenant`'s, written now.
fn queued(stores: &Stores, id: &str, tenant: &TenantId) -> MessageRecord {
    MessageRecord {
        id: id.to_owned(),
        tenant: tenant.clone(),
        to: phone("+15555551234"),
        from: phone("+15555550100"),
        body: "See you Friday".to_owned(),
        status: "queued".to_owned(),
        provider_id: None,
        booking_id: Some("b-1".to_owned()),
        error: None,
        created_at: stores.clock.now(),
        updated_at: stores.clock.now(),
    }
}

pub async fn a_message_is_written_then_updated_and_reads_back(stores: Stores) {
    with_tenants(&stores, &["shop-a"]).await;
    let shop = tenant("shop-a");
    let message = queued(&stores, "msg-1", &shop);
    assert!(stores.messages.upsert_message(&message).await.is_ok());
    assert_eq!(stores.messages.message(&shop, "msg-1").await.ok().flatten(), Some(message.clone()));

    stores.clock.advance(Duration::minutes(1));
    let sent = MessageRecord {
        status: "sent".to_owned(),
        provider_id: Some("SM1".to_owned()),
        updated_at: stores.clock.now(),
        ..message.clone()
    };
    assert!(stores.messages.upsert_message(&sent).await.is_ok());
    assert_eq!(stores.messages.message(&shop, "msg-1").await.ok().flatten(), Some(sent.clone()));

    // A later write changes the outcome of the text, never what was sent.
    let failed = MessageRecord {
        body: "a different text".to_owned(),
        created_at: stores.clock.now(),
        status: "failed".to_owned(),
        error: Some("undeliverable".to_owned()),
        ..sent.clone()
    };
    assert!(stores.messages.upsert_message(&failed).await.is_ok());
    let read = stores.messages.message(&shop, "msg-1").await.ok().flatten();
    assert_eq!(read, Some(MessageRecord { body: sent.body, created_at: sent.created_at, ..failed }));
    assert_eq!(stores.messages.list_messages(&shop, 10).await.map(|l| l.len()).ok(), Some(1), "one record per id");
    assert!(matches!(stores.messages.message(&shop, "msg-2").await, Ok(None)));
}

pub async fn messages_are_listed_newest_first_up_to_the_limit(stores: Stores) {
    with_tenants(&stores, &["shop-a"]).await;
    let shop = tenant("shop-a");
    for id in ["msg-1", "msg-2", "msg-3"] {
        assert!(stores.messages.upsert_message(&queued(&stores, id, &shop)).await.is_ok());
        stores.clock.advance(Duration::minutes(1));
    }
    let listed = stores.messages.list_messages(&shop, 2).await.unwrap_or_default();
    assert_eq!(listed.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), ["msg-3", "msg-2"]);
    assert_eq!(stores.messages.list_messages(&shop, 10).await.map(|l| l.len()).ok(), Some(3));
}

pub async fn opt_outs_are_idempotent_and_undone_by_start(stores: Stores) {
    with_tenants(&stores, &["shop-a"]).await;
    let shop = tenant("shop-a");
    let caller = phone("+15555551234");
    assert!(matches!(stores.messages.is_opted_out(&shop, &caller).await, Ok(false)));
    assert!(stores.messages.set_opt_out(&shop, &caller, false, stores.clock.now()).await.is_ok(), "START alone");
    assert!(stores.messages.set_opt_out(&shop, &caller, true, stores.clock.now()).await.is_ok());
    assert!(stores.messages.set_opt_out(&shop, &caller, true, stores.clock.now()).await.is_ok(), "twice is fine");
    assert!(matches!(stores.messages.is_opted_out(&shop, &caller).await, Ok(true)));
    assert!(matches!(stores.messages.is_opted_out(&shop, &phone("+15555554321")).await, Ok(false)));
    assert!(stores.messages.set_opt_out(&shop, &caller, false, stores.clock.now()).await.is_ok());
    assert!(matches!(stores.messages.is_opted_out(&shop, &caller).await, Ok(false)));
}

pub async fn messages_and_opt_outs_stay_with_their_tenant(stores: Stores) {
    with_tenants(&stores, &["shop-a", "shop-b"]).await;
    let (a, b) = (tenant("shop-a"), tenant("shop-b"));
    assert!(stores.messages.upsert_message(&queued(&stores, "msg-1", &a)).await.is_ok());
    assert!(matches!(stores.messages.message(&b, "msg-1").await, Ok(None)));
    // B writing a message under A's id changes nothing of A's and is refused.
    let hijack = MessageRecord { status: "failed".to_owned(), ..queued(&stores, "msg-1", &b) };
    assert!(stores.messages.upsert_message(&hijack).await.is_err(), "another tenant's id is refused");
    let kept = stores.messages.message(&a, "msg-1").await.ok().flatten().map(|m| m.status);
    assert_eq!(kept.as_deref(), Some("queued"), "A's message is untouched");
    assert_eq!(stores.messages.list_messages(&a, 10).await.map(|l| l.len()).ok(), Some(1));
    assert!(stores.messages.list_messages(&b, 10).await.unwrap_or_default().is_empty());

    let caller = phone("+15555551234");
    assert!(stores.messages.set_opt_out(&a, &caller, true, stores.clock.now()).await.is_ok());
    assert!(matches!(stores.messages.is_opted_out(&a, &caller).await, Ok(true)));
    assert!(matches!(stores.messages.is_opted_out(&b, &caller).await, Ok(false)), "a STOP to A silences only A");
}

pub async fn writes_for_an_unknown_tenant_are_not_found(stores: Stores) {
    let ghost = tenant("no-such-shop");
    let written = stores.messages.upsert_message(&queued(&stores, "msg-1", &ghost)).await;
    assert!(matches!(&written, Err(StoreError::NotFound(t)) if *t == ghost), "{written:?}");
    let caller = phone("+15555551234");
    let stopped = stores.messages.set_opt_out(&ghost, &caller, true, stores.clock.now()).await;
    assert!(matches!(&stopped, Err(StoreError::NotFound(t)) if *t == ghost), "{stopped:?}");
    // Reads find nothing rather than fail.
    assert!(matches!(stores.messages.message(&ghost, "msg-1").await, Ok(None)));
    assert!(stores.messages.list_messages(&ghost, 10).await.is_ok_and(|l| l.is_empty()));
    assert!(matches!(stores.messages.is_opted_out(&ghost, &caller).await, Ok(false)));
}

/// Every tenant's texts since an instant, newest first, in one read.
pub async fn every_tenants_messages_since_an_instant_are_read_at_once(stores: Stores) {
    with_tenants(&stores, &["shop-a", "shop-b"]).await;
    let (a, b) = (tenant("shop-a"), tenant("shop-b"));
    let start = stores.clock.now();
    for (id, shop) in [("old", &a), ("a-1", &a), ("b-1", &b), ("a-2", &a)] {
        let message = queued(&stores, id, shop);
        assert!(stores.messages.upsert_message(&message).await.is_ok(), "{id}");
        stores.clock.advance(Duration::minutes(1));
    }
    let since = start + Duration::minutes(1);
    let every = stores.messages.messages_of_all_tenants_since(since).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        every.iter().map(|m| (m.tenant.as_str(), m.id.as_str())).collect::<Vec<_>>(),
        [("shop-a", "a-2"), ("shop-b", "b-1"), ("shop-a", "a-1")]
    );
    assert_eq!(every.first(), stores.messages.message(&a, "a-2").await.ok().flatten().as_ref());
    let later = stores.messages.messages_of_all_tenants_since(stores.clock.now()).await;
    assert_eq!(later.map(|messages| messages.len()).ok(), Some(0));
}

/// A booking's texts are found by the booking, however many others the
/// shop sent since, and never another shop's.
pub async fn a_bookings_texts_are_read_by_the_booking(stores: Stores) {
    with_tenants(&stores, &["shop-a", "shop-b"]).await;
    let (a, b) = (tenant("shop-a"), tenant("shop-b"));
    let linked = |id: &str, shop: &TenantId, booking: Option<&str>| MessageRecord {
        booking_id: booking.map(str::to_owned),
        ..queued(&stores, id, shop)
    };
    for message in [
        linked("first", &a, Some("b-1")),
        linked("other", &a, Some("b-2")),
        linked("unlinked", &a, None),
        linked("second", &a, Some("b-1")),
        linked("theirs", &b, Some("b-1")),
        linked("third", &a, Some("b-3")),
    ] {
        assert!(stores.messages.upsert_message(&message).await.is_ok(), "{}", message.id);
        stores.clock.advance(Duration::minutes(1));
    }
    let ids = |found: Result<Vec<MessageRecord>, StoreError>| {
        found.unwrap_or_else(|e| panic!("{e}")).into_iter().map(|m| m.id).collect::<Vec<_>>()
    };
    let wanted = ["b-1".to_owned(), "b-3".to_owned(), "b-9".to_owned()];
    assert_eq!(ids(stores.messages.messages_of_bookings(&a, &wanted).await), ["third", "second", "first"]);
    assert_eq!(ids(stores.messages.messages_of_bookings(&b, &wanted).await), ["theirs"]);
    assert!(ids(stores.messages.messages_of_bookings(&a, &[]).await).is_empty());
}

pub async fn a_text_offer_is_kept_replaced_and_taken_once(stores: Stores) {
    with_tenants(&stores, &["shop-a", "shop-b"]).await;
    let (a, b) = (tenant("shop-a"), tenant("shop-b"));
    let caller = phone("+15555551234");
    let now = stores.clock.now();
    let offer = |tenant: &TenantId, payload: &str| TextOffer {
        tenant: tenant.clone(),
        phone: caller.clone(),
        payload: payload.to_owned(),
        expires_at: now + Duration::minutes(15),
    };
    assert!(matches!(stores.messages.take_offer(&a, &caller).await, Ok(None)), "nothing offered yet");
    assert!(stores.messages.put_offer(&offer(&a, "first")).await.is_ok());
    assert!(stores.messages.put_offer(&offer(&a, "second")).await.is_ok(), "a new offer replaces the old");
    assert!(stores.messages.put_offer(&offer(&b, "shop b's")).await.is_ok());
    let taken = stores.messages.take_offer(&a, &caller).await;
    assert!(matches!(&taken, Ok(Some(o)) if *o == offer(&a, "second")), "{taken:?}");
    assert!(matches!(stores.messages.take_offer(&a, &caller).await, Ok(None)), "taken once");
    let other = stores.messages.take_offer(&b, &caller).await;
    assert!(matches!(&other, Ok(Some(o)) if o.payload == "shop b's"), "each shop's own: {other:?}");
    let ghost = stores.messages.put_offer(&offer(&tenant("ghost-shop"), "x")).await;
    assert!(matches!(ghost, Err(StoreError::NotFound(_))), "{ghost:?}");
}
