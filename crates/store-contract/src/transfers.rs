//! The `CallStore::transfer_ends` contract: how calls' transfers to a
//! person ended, read from their replies.

use chrono::Duration;
use frontdesk_core::{Clock, E164};
use frontdesk_routing::{
    CallSid, CallTransfer, IncomingCall, Outcome, SavedTurn, TransferEnd, TurnKey, TurnNumber, TurnUpdate,
};

use crate::{Stores, phone, tenant, with_tenants};

fn sid(raw: &str) -> CallSid {
    CallSid::parse(raw).unwrap_or_else(|e| panic!("{e}"))
}

fn update(outcome: Option<Outcome>) -> TurnUpdate {
    TurnUpdate {
        state: "{}".to_owned(),
        turns: Vec::new(),
        outcome,
        booking_id: None,
        recording_url: None,
        question: None,
        nearest: None,
        reply: "{}".to_owned(),
    }
}

/// Opens `call` for `slug` now, with a reply to each of `keys`; the last
/// leaves the call's outcome at `outcome`.
async fn call_with_replies(stores: &Stores, slug: &str, call: &str, keys: &[TurnKey], outcome: Outcome) {
    let shop = tenant(slug);
    let incoming = IncomingCall { call_sid: sid(call), caller: Some(phone("+15555551234")), called: shop_number() };
    let now = stores.clock.now();
    stores.calls.open_call(&shop, &incoming, "{}", now).await.unwrap_or_else(|e| panic!("{e}"));
    for (n, key) in keys.iter().enumerate() {
        let update = update((n + 1 == keys.len()).then_some(outcome));
        let saved = stores.calls.save_turn(&shop, &sid(call), key, &update, now).await;
        assert!(matches!(saved, Ok(SavedTurn::Saved)), "{call} {key}: {saved:?}");
    }
}

fn shop_number() -> E164 {
    phone("+15555550100")
}

pub async fn transfer_ends_are_read_from_the_replies_of_the_tenants_calls_of_the_period(stores: Stores) {
    with_tenants(&stores, &["shop-a", "shop-b"]).await;
    let first = TurnKey::Caller(TurnNumber::FIRST);
    let accepted = TurnKey::Accepted(sid("CA-leg-1"));
    let not_taken = TurnKey::TransferEnded(Some(sid("CA-leg-2")));
    let (message, transferred) = (Outcome::MessageTaken, Outcome::Transferred);
    // Before the period: not read.
    call_with_replies(&stores, "shop-a", "CA-before", &[first.clone(), not_taken.clone()], message).await;
    stores.clock.advance(Duration::minutes(10));
    let from = stores.clock.now();
    call_with_replies(&stores, "shop-a", "CA-accepted", &[first.clone(), accepted.clone()], transferred).await;
    call_with_replies(&stores, "shop-a", "CA-missed", &[first.clone(), not_taken.clone()], message).await;
    call_with_replies(&stores, "shop-a", "CA-none-leg", &[TurnKey::TransferEnded(None)], message).await;
    call_with_replies(&stores, "shop-a", "CA-plain", &[first.clone(), TurnKey::Recording(None)], message).await;
    // An outcome no transfer leaves: its replies are not looked at.
    call_with_replies(&stores, "shop-a", "CA-booked", &[not_taken.clone(), first.clone()], Outcome::Booked).await;
    // Another shop's transfer nobody took: never this shop's.
    call_with_replies(&stores, "shop-b", "CA-other", &[first.clone(), not_taken.clone()], message).await;
    stores.clock.advance(Duration::minutes(10));
    let to = stores.clock.now();
    call_with_replies(&stores, "shop-a", "CA-after", std::slice::from_ref(&accepted), transferred).await;

    let read = stores.calls.transfer_ends(&tenant("shop-a"), from, to).await;
    let mut ends = read.unwrap_or_else(|e| panic!("{e}"));
    ends.sort_by(|a, b| a.call_sid.as_str().cmp(b.call_sid.as_str()));
    let expected = [
        ("CA-accepted", TransferEnd::Taken),
        ("CA-missed", TransferEnd::NotTaken),
        ("CA-none-leg", TransferEnd::NotTaken),
    ]
    .map(|(call, end)| CallTransfer { call_sid: sid(call), end });
    assert_eq!(ends, expected);

    let other = stores.calls.transfer_ends(&tenant("shop-b"), from, to).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(other, [CallTransfer { call_sid: sid("CA-other"), end: TransferEnd::NotTaken }]);
    let nobody = stores.calls.transfer_ends(&tenant("shop-c"), from, to).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(nobody.is_empty(), "{nobody:?}");
}
