//! The inventory sync's `SyncStateStore` and `CredentialStore` contract:
//! what a sync leaves for the next run of its connection, and the rotating
//! credential it resumes with.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use frontdesk_core::Clock;
use frontdesk_inventory::{Cursor, StateStoreError, SyncKey, SyncState};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Barrier;

use crate::Stores;

fn key(raw: &str) -> SyncKey {
    SyncKey::parse(raw).unwrap_or_else(|e| panic!("{raw:?}: {e}"))
}

fn state(products: i64, inventory: i64, sales: i64, last_sync: Option<DateTime<Utc>>) -> SyncState {
    SyncState { products: Cursor(products), inventory: Cursor(inventory), sales: Cursor(sales), last_sync }
}

async fn load(stores: &Stores, key: &SyncKey) -> SyncState {
    stores.sync_state.load_sync_state(key).await.unwrap_or_else(|e| panic!("loading {key}: {e}"))
}

async fn save(stores: &Stores, key: &SyncKey, state: SyncState) {
    stores.sync_state.save_sync_state(key, &state).await.unwrap_or_else(|e| panic!("saving {key}: {e}"));
}

/// The stored credential, exposed so tests can compare it.
async fn credential(stores: &Stores, key: &SyncKey) -> Option<String> {
    let stored = stores.credentials.load_credential(key).await.unwrap_or_else(|e| panic!("loading {key}: {e}"));
    stored.map(|secret| secret.expose_secret().to_owned())
}

async fn save_credential(stores: &Stores, key: &SyncKey, value: &str) {
    let at = stores.clock.now();
    let saved = stores.credentials.save_credential(key, &SecretString::from(value), at).await;
    saved.unwrap_or_else(|e| panic!("saving the credential of {key}: {e}"));
}

pub async fn a_key_never_synced_loads_the_start(stores: Stores) {
    let never = key("lightspeed:myshop|workbook:/srv/data/workbook");
    assert_eq!(load(&stores, &never).await, SyncState::default());
    assert_eq!(load(&stores, &never).await, state(0, 0, 0, None), "loading creates nothing to resume from");
}

pub async fn a_saved_state_reads_back_and_a_new_save_replaces_it(stores: Stores) {
    let connection = key("lightspeed:myshop|workbook:/srv/data/workbook");
    let first = state(17, 42, 9, Some(stores.clock.now() + Duration::milliseconds(123)));
    save(&stores, &connection, first).await;
    assert_eq!(load(&stores, &connection).await, first);

    let second = state(18, 40, 11, None);
    save(&stores, &connection, second).await;
    assert_eq!(load(&stores, &connection).await, second, "every field is replaced, last_sync too");

    let third = state(0, 0, 0, Some(stores.clock.now() + Duration::days(400) + Duration::milliseconds(1)));
    save(&stores, &connection, third).await;
    assert_eq!(load(&stores, &connection).await, third, "cursors can go back to the start (a full resync)");
}

pub async fn last_sync_is_kept_to_the_millisecond(stores: Stores) {
    let connection = key("demo|workbook:data");
    let to_the_millisecond = stores.clock.now() + Duration::milliseconds(987);
    let finer = to_the_millisecond + Duration::nanoseconds(654_321);
    save(&stores, &connection, state(1, 2, 3, Some(finer))).await;
    assert_eq!(
        load(&stores, &connection).await.last_sync,
        Some(to_the_millisecond),
        "sub-millisecond digits are dropped, never rounded up"
    );
}

pub async fn sync_states_of_different_keys_are_independent(stores: Stores) {
    // One key a prefix of the other, so a lookup by prefix would mix them up.
    let shop = key("lightspeed:myshop");
    let shop_and_workbook = key("lightspeed:myshop|workbook:/srv/data/workbook");
    let workbook_state = state(50, 60, 70, Some(stores.clock.now()));
    save(&stores, &shop_and_workbook, workbook_state).await;
    assert_eq!(load(&stores, &shop).await, SyncState::default());

    let shop_state = state(5, 6, 7, None);
    save(&stores, &shop, shop_state).await;
    assert_eq!(load(&stores, &shop_and_workbook).await, workbook_state, "saving the other key changed nothing");
    assert_eq!(load(&stores, &shop).await, shop_state);
    assert_eq!(credential(&stores, &shop).await, None, "a sync state is not a credential");
}

pub async fn negative_cursors_are_refused_and_the_saved_state_kept(stores: Stores) {
    let connection = key("demo|workbook:data");
    let saved = state(5, 6, 7, Some(stores.clock.now()));
    save(&stores, &connection, saved).await;
    for negative in [state(-1, 6, 7, None), state(5, -1, 7, None), state(5, 6, i64::MIN, None)] {
        let refused = stores.sync_state.save_sync_state(&connection, &negative).await;
        assert!(matches!(refused, Err(StateStoreError::Invalid { .. })), "{negative:?}: {refused:?}");
        assert_eq!(load(&stores, &connection).await, saved, "the refused save changed nothing");
    }
    let never = key("never-saved");
    assert!(stores.sync_state.save_sync_state(&never, &state(-1, 0, 0, None)).await.is_err());
    assert_eq!(load(&stores, &never).await, SyncState::default(), "and created nothing");
}

pub async fn large_cursors_round_trip(stores: Stores) {
    let connection = key("demo|workbook:data");
    // 2^53 + 1 is the first integer a double cannot hold.
    let large = state(i64::MAX, i64::MAX - 1, (1 << 53) + 1, Some(stores.clock.now()));
    save(&stores, &connection, large).await;
    assert_eq!(load(&stores, &connection).await, large);
}

pub async fn keys_with_unicode_and_separators_round_trip(stores: Stores) {
    let longest = "é".repeat(SyncKey::MAX_CHARS);
    let raws = [
        "lightspeed:café|workbook:/srv/データ/stock 2026.xlsx",
        "lightspeed:cafe|workbook:/srv/データ/stock 2026.xlsx",
        "a|b:c",
        "a:b|c",
        "a|b|c:d:e 👟",
        longest.as_str(),
    ];
    let keys: Vec<SyncKey> = raws.iter().map(|raw| key(raw)).collect();
    let now = stores.clock.now();
    for (n, key) in (0_i64..).zip(&keys) {
        save(&stores, key, state(n, n + 100, n + 200, Some(now + Duration::seconds(n)))).await;
        save_credential(&stores, key, &format!("refresh-{n}-ключ")).await;
    }
    for (n, key) in (0_i64..).zip(&keys) {
        assert_eq!(load(&stores, key).await, state(n, n + 100, n + 200, Some(now + Duration::seconds(n))), "{key}");
        assert_eq!(credential(&stores, key).await, Some(format!("refresh-{n}-ключ")), "{key}");
    }
}

pub async fn a_missing_credential_is_none(stores: Stores) {
    let connection = key("lightspeed:myshop|workbook:/srv/data/workbook");
    assert_eq!(credential(&stores, &connection).await, None);
    save(&stores, &connection, state(1, 2, 3, None)).await;
    assert_eq!(credential(&stores, &connection).await, None, "a sync state is not a credential");
}

pub async fn a_credential_reads_back_and_rotation_replaces_it(stores: Stores) {
    let connection = key("lightspeed:myshop|workbook:/srv/data/workbook");
    save_credential(&stores, &connection, "refresh-token-1").await;
    assert_eq!(credential(&stores, &connection).await.as_deref(), Some("refresh-token-1"));

    stores.clock.advance(Duration::minutes(20));
    save_credential(&stores, &connection, "refresh-token-2").await;
    let rotated = credential(&stores, &connection).await;
    assert_eq!(rotated.as_deref(), Some("refresh-token-2"), "the old token is gone");

    // Tokens are opaque: long, and whatever characters the provider chose.
    let long = format!("{}=+/ \"'%_é", "x".repeat(4096));
    save_credential(&stores, &connection, &long).await;
    assert_eq!(credential(&stores, &connection).await, Some(long));
    assert_eq!(load(&stores, &connection).await, SyncState::default(), "a credential is not a sync state");
}

pub async fn credentials_of_different_keys_are_independent(stores: Stores) {
    let shop = key("lightspeed:myshop");
    let shop_and_workbook = key("lightspeed:myshop|workbook:/srv/data/workbook");
    save_credential(&stores, &shop_and_workbook, "workbook-token-1").await;
    assert_eq!(credential(&stores, &shop).await, None);

    save_credential(&stores, &shop, "shop-token-1").await;
    save_credential(&stores, &shop, "shop-token-2").await;
    assert_eq!(
        credential(&stores, &shop_and_workbook).await.as_deref(),
        Some("workbook-token-1"),
        "rotating the other key"
    );
    assert_eq!(credential(&stores, &shop).await.as_deref(), Some("shop-token-2"));
}

pub async fn concurrent_saves_of_one_key_leave_one_whole_write(stores: Stores) {
    let connection = key("lightspeed:myshop|workbook:/srv/data/workbook");
    let now = stores.clock.now();
    // Rounds of racers released together. Every field differs between
    // racers, so a state pieced together from two writes shows.
    for round in 0..10_i64 {
        let written: Vec<SyncState> = (1..=8)
            .map(|racer| {
                let n = round * 100 + racer;
                state(n, 10_000 + n, 20_000 + n, Some(now + Duration::seconds(n)))
            })
            .collect();
        let tokens: Vec<String> = (1..=8).map(|racer| format!("refresh-{round}-{racer}")).collect();
        let start = Arc::new(Barrier::new(written.len()));
        let mut racers = Vec::new();
        for (racer_state, token) in written.iter().copied().zip(tokens.iter().cloned()) {
            let (sync_state, credentials) = (stores.sync_state.clone(), stores.credentials.clone());
            let (connection, start) = (connection.clone(), start.clone());
            racers.push(tokio::spawn(async move {
                start.wait().await;
                sync_state.save_sync_state(&connection, &racer_state).await?;
                credentials.save_credential(&connection, &SecretString::from(token), now).await
            }));
        }
        for racer in racers {
            racer.await.unwrap_or_else(|e| panic!("{e}")).unwrap_or_else(|e| panic!("a racing save failed: {e}"));
        }
        let left = load(&stores, &connection).await;
        assert!(written.contains(&left), "round {round}: {left:?} is not one of the written states");
        let token = credential(&stores, &connection).await;
        assert!(token.as_ref().is_some_and(|t| tokens.contains(t)), "round {round}: {token:?} was not written");
    }
}
