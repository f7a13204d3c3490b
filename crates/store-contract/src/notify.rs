//! The `DigestLog` contract: owners' events kept once per key for their
//! daily digest, read back by window, per tenant.

use chrono::Duration;
use frontdesk_core::{Clock, StoreError};
use frontdesk_notify::{DigestEntry, OwnerEvent};
use frontdesk_tenant::PurgeOutcome;

use crate::{Stores, profile, tenant, with_tenants};

fn entry(stores: &Stores, key: &str, event: OwnerEvent, minutes_ago: i64) -> DigestEntry {
    DigestEntry {
        key: key.to_owned(),
        event,
        body: format!("{key}: Jane Doe booked a Haircut for Wed, Dec 9 at 2:00 PM — \"soon\"."),
        link: (event == OwnerEvent::Voicemail).then(|| "/app/calls/CA1".to_owned()),
        at: stores.clock.now() - Duration::minutes(minutes_ago),
    }
}

pub async fn digest_entries_are_kept_once_per_key_and_read_by_window(stores: Stores) {
    with_tenants(&stores, &["shop-a"]).await;
    let shop = tenant("shop-a");
    let first = entry(&stores, "booking_made:b1", OwnerEvent::BookingMade, 90);
    let voicemail = entry(&stores, "voicemail:CA1", OwnerEvent::Voicemail, 30);
    let old = entry(&stores, "booking_cancelled:b0", OwnerEvent::BookingCancelled, 60 * 25);
    for kept in [&first, &voicemail, &old] {
        assert!(matches!(stores.digests.keep_for_digest(&shop, kept).await, Ok(true)));
    }
    let again = DigestEntry { body: "changed".to_owned(), ..first.clone() };
    assert!(matches!(stores.digests.keep_for_digest(&shop, &again).await, Ok(false)), "a key is kept once");

    let now = stores.clock.now();
    let day = stores.digests.digest_entries(&shop, now - Duration::hours(24), now).await;
    assert_eq!(day.ok(), Some(vec![first.clone(), voicemail.clone()]), "oldest first, the first one kept");
    let before = stores.digests.digest_entries(&shop, now - Duration::hours(48), first.at).await;
    assert_eq!(before.ok(), Some(vec![old]), "the end of the window is not in it");
}

pub async fn digest_entries_stay_with_their_tenant_and_an_unknown_tenant_is_not_found(stores: Stores) {
    with_tenants(&stores, &["shop-a", "shop-b"]).await;
    let (a, b) = (tenant("shop-a"), tenant("shop-b"));
    let kept = entry(&stores, "booking_made:b1", OwnerEvent::BookingMade, 5);
    assert!(matches!(stores.digests.keep_for_digest(&a, &kept).await, Ok(true)));
    assert!(matches!(stores.digests.keep_for_digest(&b, &kept).await, Ok(true)), "keys are per tenant");
    let now = stores.clock.now();
    let of_b = stores.digests.digest_entries(&b, now - Duration::hours(1), now).await;
    assert_eq!(of_b.map(|e| e.len()).ok(), Some(1));
    let nobody = tenant("nobody");
    let unknown = stores.digests.keep_for_digest(&nobody, &kept).await;
    assert!(matches!(&unknown, Err(StoreError::NotFound(t)) if *t == nobody), "{unknown:?}");
}

pub async fn purging_a_sandbox_deletes_its_digest_entries(stores: Stores) {
    let sandbox = profile("sandbox-digest", &["+15555550143"]);
    assert!(stores.tenants.create_sandbox(&sandbox).await.is_ok());
    with_tenants(&stores, &["shop-a"]).await;
    let (gone, kept) = (tenant("sandbox-digest"), tenant("shop-a"));
    let kept_entry = entry(&stores, "voicemail:CA1", OwnerEvent::Voicemail, 5);
    for shop in [&gone, &kept] {
        assert!(matches!(stores.digests.keep_for_digest(shop, &kept_entry).await, Ok(true)));
    }
    assert!(matches!(stores.tenants.purge_sandbox(&gone).await, Ok(PurgeOutcome::Purged)));
    let now = stores.clock.now();
    let window = (now - Duration::hours(1), now);
    assert_eq!(stores.digests.digest_entries(&gone, window.0, window.1).await.map(|e| e.len()).ok(), Some(0));
    assert_eq!(stores.digests.digest_entries(&kept, window.0, window.1).await.map(|e| e.len()).ok(), Some(1));
}
