//! The inventory sync's `SyncStateStore`, `CredentialStore` and
//! `StockLevelStore` contract: what a sync leaves for the next run of its
//! connection, the rotating credential it resumes with, and the till's stock
//! per product and outlet as last read.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use frontdesk_core::Clock;
use frontdesk_inventory::{Cursor, StateStoreError, StockLevel, SyncKey, SyncState};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Barrier;

use crate::Stores;

fn key(raw: &str) -> SyncKey {
    SyncKey::parse(raw).unwrap_or_else(|e| panic!("{raw:?}: {e}"))
}

fn state(products: i64, inventory: i64, sales: i64, last_sync: Option<DateTime<Utc>>) -> SyncState {
    SyncState {
        products: Cursor(products),
        inventory: Cursor(inventory),
        sales: Cursor(sales),
        last_sync,
        sales_since: None,
    }
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

pub async fn since_when_sales_are_counted_is_kept_to_the_millisecond_and_replaced(stores: Stores) {
    let connection = key("lightspeed:myshop|workbook:/srv/data/workbook");
    let never = load(&stores, &connection).await;
    assert_eq!(never.sales_since, None, "a connection never synced counts nothing yet");

    let since = stores.clock.now() - Duration::days(30) + Duration::milliseconds(987);
    let counted = SyncState {
        sales_since: Some(since + Duration::nanoseconds(654_321)),
        ..state(1, 2, 3, Some(stores.clock.now()))
    };
    save(&stores, &connection, counted).await;
    let loaded = load(&stores, &connection).await;
    assert_eq!(loaded.sales_since, Some(since), "sub-millisecond digits are dropped, never rounded up");
    assert_eq!(loaded, SyncState { sales_since: Some(since), ..counted }, "the other fields as saved");

    let unknown = state(4, 5, 6, Some(stores.clock.now()));
    save(&stores, &connection, unknown).await;
    assert_eq!(load(&stores, &connection).await, unknown, "a save without it forgets it (the domain keeps it)");
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

fn level(product: &str, outlet: &str, on_hand: i64, version: i64) -> StockLevel {
    StockLevel { product_id: product.to_owned(), outlet_id: outlet.to_owned(), on_hand, deleted: false, version }
}

fn deleted(level: StockLevel) -> StockLevel {
    StockLevel { deleted: true, ..level }
}

async fn record(stores: &Stores, key: &SyncKey, levels: &[StockLevel]) {
    let recorded = stores.stock_levels.record_stock_levels(key, levels).await;
    recorded.unwrap_or_else(|e| panic!("recording {} stock levels of {key}: {e}", levels.len()));
}

/// The kept levels of `products`, sorted by product and outlet: the port
/// promises no order.
async fn levels_of(stores: &Stores, key: &SyncKey, products: &[&str]) -> Vec<StockLevel> {
    let read = stores.stock_levels.stock_levels(key, products).await;
    let mut levels = read.unwrap_or_else(|e| panic!("reading the stock levels of {key}: {e}"));
    levels.sort_by(|a, b| (&a.product_id, &a.outlet_id).cmp(&(&b.product_id, &b.outlet_id)));
    levels
}

fn sorted(mut levels: Vec<StockLevel>) -> Vec<StockLevel> {
    levels.sort_by(|a, b| (&a.product_id, &a.outlet_id).cmp(&(&b.product_id, &b.outlet_id)));
    levels
}

pub async fn stock_levels_of_unknown_products_are_empty(stores: Stores) {
    let connection = key("lightspeed:myshop|workbook:/srv/data/workbook");
    assert_eq!(levels_of(&stores, &connection, &["p1"]).await, [], "nothing recorded yet");

    record(&stores, &connection, &[level("p1", "o1", 5, 1), level("p10", "o1", 6, 1)]).await;
    assert_eq!(levels_of(&stores, &connection, &["p2", "p", "p1 ", "P1"]).await, [], "ids match exactly");
    assert_eq!(levels_of(&stores, &connection, &[]).await, [], "no products, no levels");
    record(&stores, &connection, &[]).await;
    assert_eq!(
        levels_of(&stores, &connection, &["p1"]).await,
        [level("p1", "o1", 5, 1)],
        "an empty record changes nothing"
    );
}

pub async fn recorded_stock_levels_read_back_for_the_requested_products(stores: Stores) {
    let connection = key("lightspeed:myshop|workbook:/srv/data/workbook");
    // Ids are the till's: opaque, and bound, never spliced into SQL.
    let odd = "p'3 %_\\ é👟";
    let recorded = [
        level("p1", "o1", 5, 100),
        level("p2", "o1", 1, 101),
        level("p1", "o2", 0, 102),
        level(odd, "o'1", 9, 103),
        level("p1", "o3", 12, 104),
        level("p2", "o2", 2, 105),
    ];
    record(&stores, &connection, &recorded).await;

    let p1 = vec![level("p1", "o1", 5, 100), level("p1", "o2", 0, 102), level("p1", "o3", 12, 104)];
    assert_eq!(levels_of(&stores, &connection, &["p1"]).await, p1, "every outlet of the product");
    assert_eq!(
        levels_of(&stores, &connection, &[odd, "p1", "unknown"]).await,
        sorted([p1.clone(), vec![level(odd, "o'1", 9, 103)]].concat()),
        "only the requested products"
    );
    assert_eq!(
        levels_of(&stores, &connection, &["p2", "p1", "p2", "p1"]).await,
        sorted([p1, vec![level("p2", "o1", 1, 101), level("p2", "o2", 2, 105)]].concat()),
        "a product asked for twice is read once"
    );
}

pub async fn a_newer_or_equal_version_replaces_a_level_and_an_older_one_is_ignored(stores: Stores) {
    let connection = key("lightspeed:myshop|workbook:/srv/data/workbook");
    let other_outlet = level("p1", "o2", 7, 10);
    record(&stores, &connection, &[level("p1", "o1", 5, 10), other_outlet.clone()]).await;

    record(&stores, &connection, &[level("p1", "o1", 4, 11)]).await;
    let newer = vec![level("p1", "o1", 4, 11), other_outlet.clone()];
    assert_eq!(levels_of(&stores, &connection, &["p1"]).await, newer, "a newer version replaces the level");

    record(&stores, &connection, &[level("p1", "o1", 99, 10)]).await;
    assert_eq!(levels_of(&stores, &connection, &["p1"]).await, newer, "an older version is ignored");

    record(&stores, &connection, &[deleted(level("p1", "o1", 3, 11))]).await;
    let equal = vec![deleted(level("p1", "o1", 3, 11)), other_outlet];
    assert_eq!(levels_of(&stores, &connection, &["p1"]).await, equal, "an equal version replaces every field");

    // One call mixing both: each level is judged on its own.
    record(&stores, &connection, &[level("p1", "o1", 50, 2), level("p1", "o2", 8, 12), level("p1", "o3", 1, 1)]).await;
    let mixed = vec![deleted(level("p1", "o1", 3, 11)), level("p1", "o2", 8, 12), level("p1", "o3", 1, 1)];
    assert_eq!(levels_of(&stores, &connection, &["p1"]).await, mixed);

    record(&stores, &connection, &mixed).await;
    assert_eq!(levels_of(&stores, &connection, &["p1"]).await, mixed, "recording again changes nothing");
}

pub async fn of_one_level_recorded_twice_in_one_call_the_highest_version_wins(stores: Stores) {
    let connection = key("lightspeed:myshop|workbook:/srv/data/workbook");
    record(&stores, &connection, &[level("kept", "o1", 60, 6)]).await;
    record(
        &stores,
        &connection,
        &[
            level("middle", "o1", 1, 3),
            level("first", "o1", 1, 9),
            level("middle", "o1", 2, 7),
            level("tie", "o1", 10, 4),
            level("first", "o1", 2, 2),
            level("middle", "o1", 3, 5),
            level("kept", "o1", 50, 5),
            level("tie", "o1", 11, 4),
            level("kept", "o1", 70, 7),
            level("kept", "o1", 40, 4),
        ],
    )
    .await;
    let expected = vec![
        level("first", "o1", 1, 9),
        level("kept", "o1", 70, 7),
        level("middle", "o1", 2, 7),
        level("tie", "o1", 11, 4),
    ];
    let read = levels_of(&stores, &connection, &["middle", "first", "tie", "kept"]).await;
    assert_eq!(read, expected, "the highest version, and of equal versions the later");
}

pub async fn stock_levels_of_different_keys_are_independent(stores: Stores) {
    // One key a prefix of the other, so a lookup by prefix would mix them up.
    let shop = key("lightspeed:myshop");
    let shop_and_workbook = key("lightspeed:myshop|workbook:/srv/data/workbook");
    record(&stores, &shop_and_workbook, &[level("p1", "o1", 5, 10), level("p1", "o2", 6, 10)]).await;
    assert_eq!(levels_of(&stores, &shop, &["p1"]).await, [], "another key's levels are not read");

    // A lower version than the other key's is still this key's first.
    record(&stores, &shop, &[level("p1", "o1", 1, 3)]).await;
    assert_eq!(levels_of(&stores, &shop, &["p1"]).await, [level("p1", "o1", 1, 3)]);
    record(&stores, &shop, &[level("p1", "o2", 2, 30)]).await;
    assert_eq!(
        levels_of(&stores, &shop_and_workbook, &["p1"]).await,
        [level("p1", "o1", 5, 10), level("p1", "o2", 6, 10)],
        "recording for the other key changed nothing"
    );
    assert_eq!(levels_of(&stores, &shop, &["p1"]).await, [level("p1", "o1", 1, 3), level("p1", "o2", 2, 30)]);
}

pub async fn deleted_levels_and_negative_stock_round_trip(stores: Stores) {
    let connection = key("lightspeed:myshop|workbook:/srv/data/workbook");
    let extremes = vec![
        // A till sells what it does not have: stock goes negative.
        level("p1", "o1", -3, 1),
        deleted(level("p1", "o2", 0, 2)),
        deleted(level("p1", "o3", -7, 3)),
        level("p1", "o4", i64::MIN, i64::MAX),
        // 2^53 + 1 is the first integer a double cannot hold.
        level("p1", "o5", i64::MAX, (1 << 53) + 1),
    ];
    record(&stores, &connection, &extremes).await;
    assert_eq!(levels_of(&stores, &connection, &["p1"]).await, extremes);

    record(&stores, &connection, &[level("p1", "o2", 4, 5)]).await;
    let restored = levels_of(&stores, &connection, &["p1"]).await;
    assert_eq!(restored.get(1), Some(&level("p1", "o2", 4, 5)), "a newer level undeletes");
}

pub async fn a_large_batch_of_stock_levels_round_trips(stores: Stores) {
    // A first sync records every level at once and reads thousands of
    // products back: more than any one statement takes on some backends.
    let connection = key("lightspeed:bigshop|workbook:/srv/data/workbook");
    let products: Vec<String> = (0..5_000).map(|n| format!("product-{n:05}")).collect();
    let product_ids: Vec<&str> = products.iter().map(String::as_str).collect();
    let outlets = ["o1", "o2", "o3", "o4", "o5"];
    // Outlet by outlet, as a stock feed pages, not sorted by product.
    let first: Vec<StockLevel> = (0_i64..)
        .zip(outlets.iter().flat_map(|outlet| products.iter().map(move |product| (product, *outlet))))
        .map(|(n, (product, outlet))| level(product, outlet, n % 97 - 10, 1_000 + n))
        .collect();
    record(&stores, &connection, &first).await;
    let read = levels_of(&stores, &connection, &product_ids).await;
    assert_eq!(read.len(), 25_000);
    assert_eq!(read, sorted(first.clone()));

    // Again, every other level newer and the rest older.
    let second: Vec<StockLevel> = first
        .iter()
        .enumerate()
        .map(|(n, old)| {
            let change = if n % 2 == 0 { 1 } else { -1 };
            StockLevel { on_hand: old.on_hand + 1_000, version: old.version + change, ..old.clone() }
        })
        .collect();
    record(&stores, &connection, &second).await;
    let expected: Vec<StockLevel> =
        first.into_iter().zip(second).map(|(old, new)| if new.version > old.version { new } else { old }).collect();
    assert_eq!(levels_of(&stores, &connection, &product_ids).await, sorted(expected), "each level judged on its own");
    let some: Vec<&str> = product_ids.iter().copied().step_by(7).collect();
    assert_eq!(levels_of(&stores, &connection, &some).await.len(), some.len() * outlets.len());

    // More ids than SQLite binds in one statement (32766), most unknown,
    // and every product asked for twice, far apart.
    let unknown: Vec<String> = (0..35_000).map(|n| format!("gone-{n}")).collect();
    let many: Vec<&str> = product_ids
        .iter()
        .copied()
        .chain(unknown.iter().map(String::as_str))
        .chain(product_ids.iter().copied())
        .collect();
    assert_eq!(levels_of(&stores, &connection, &many).await.len(), 25_000, "each level once");
}

pub async fn concurrent_records_of_one_key_keep_the_newest_levels(stores: Stores) {
    let connection = key("lightspeed:myshop|workbook:/srv/data/workbook");
    let racers = 4_i64;
    let products: Vec<String> = (0..500).map(|n| format!("p{n}")).collect();
    let outlets = ["o1", "o2", "o3", "o4"];
    let slots: Vec<(&str, &str)> =
        products.iter().flat_map(|product| outlets.iter().map(move |outlet| (product.as_str(), *outlet))).collect();
    // Every racer writes every level with a version no other racer uses
    // for it, and which racer has the newest differs from level to level.
    let batch = |racer: i64| -> Vec<StockLevel> {
        let mut levels: Vec<StockLevel> = (0_i64..)
            .zip(&slots)
            .map(|(n, (product, outlet))| level(product, outlet, racer * 1_000_000 + n, 10 + (n + racer) % racers))
            .collect();
        if racer % 2 == 1 {
            levels.reverse();
        }
        levels
    };
    let start = Arc::new(Barrier::new(usize::try_from(racers).unwrap_or_default()));
    let mut tasks = Vec::new();
    for racer in 0..racers {
        let (port, connection, start, levels) =
            (stores.stock_levels.clone(), connection.clone(), start.clone(), batch(racer));
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            port.record_stock_levels(&connection, &levels).await
        }));
    }
    for task in tasks {
        task.await.unwrap_or_else(|e| panic!("{e}")).unwrap_or_else(|e| panic!("a racing record failed: {e}"));
    }
    let expected: Vec<StockLevel> = (0_i64..)
        .zip(&slots)
        .map(|(n, (product, outlet))| {
            let newest = (0..racers).max_by_key(|racer| (n + racer) % racers).unwrap_or_default();
            level(product, outlet, newest * 1_000_000 + n, 10 + (n + newest) % racers)
        })
        .collect();
    let product_ids: Vec<&str> = products.iter().map(String::as_str).collect();
    assert_eq!(levels_of(&stores, &connection, &product_ids).await, sorted(expected));
}
