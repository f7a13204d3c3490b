//! The `WebAuthStore` contract: owners' sign-in challenges (found only while
//! unspent and unexpired, spent once), sessions (idle and absolute expiry,
//! sign-out of one and of all) and operators' password hashes.

use chrono::{DateTime, Duration, Utc};
use frontdesk_auth::web::{
    LOGIN_LIFETIME, LoginChallenge, OperatorEmail, Principal, SESSION_IDLE, SESSION_LIFETIME, TokenDigest,
    WebAuthStoreError, WebSession,
};
use frontdesk_core::Clock;

use crate::{Stores, tenant, with_tenants};

fn ok<T>(result: Result<T, WebAuthStoreError>) -> T {
    result.unwrap_or_else(|e| panic!("{e}"))
}

/// A challenge of `slug`'s sent at `at`, its link and code digests made
/// from `name`.
fn challenge(slug: &str, name: &str, at: DateTime<Utc>) -> LoginChallenge {
    LoginChallenge {
        id: uuid::Uuid::now_v7(),
        tenant: tenant(slug),
        link: TokenDigest::of(&format!("link {name}")),
        code: TokenDigest::of(&format!("{slug}:{name}")),
        created_at: at,
        expires_at: at + LOGIN_LIFETIME,
        attempts: 0,
        spent_at: None,
    }
}

/// A session of `principal`'s opened at `at`, its token digest made from `name`.
fn session(principal: &Principal, name: &str, at: DateTime<Utc>) -> WebSession {
    WebSession {
        token: TokenDigest::of(&format!("session {name}")),
        principal: principal.clone(),
        created_at: at,
        last_seen_at: at,
        expires_at: at + SESSION_LIFETIME,
    }
}

fn operator(raw: &str) -> OperatorEmail {
    OperatorEmail::parse(raw).unwrap_or_else(|e| panic!("{e}"))
}

fn minutes(n: i64) -> Duration {
    Duration::minutes(n)
}

pub async fn a_challenge_is_found_by_its_link_only_while_unspent_and_unexpired(stores: Stores) {
    with_tenants(&stores, &["shop-a"]).await;
    let t0 = stores.clock.now();
    let sent = challenge("shop-a", "one", t0);
    ok(stores.web_auth.put_login_challenge(&sent).await);

    assert_eq!(ok(stores.web_auth.login_challenge_by_link(&sent.link, t0).await), Some(sent.clone()));
    let last_moment = sent.expires_at - Duration::seconds(1);
    assert_eq!(ok(stores.web_auth.login_challenge_by_link(&sent.link, last_moment).await), Some(sent.clone()));
    assert_eq!(ok(stores.web_auth.login_challenge_by_link(&sent.link, sent.expires_at).await), None, "expired");
    assert_eq!(ok(stores.web_auth.login_challenge_by_link(&sent.code, t0).await), None, "a code is not a link");
    let unknown = TokenDigest::of("link never sent");
    assert_eq!(ok(stores.web_auth.login_challenge_by_link(&unknown, t0).await), None);

    assert!(ok(stores.web_auth.spend_login_challenge(sent.id, t0 + minutes(1)).await));
    assert_eq!(ok(stores.web_auth.login_challenge_by_link(&sent.link, t0 + minutes(2)).await), None, "spent");
}

pub async fn the_latest_challenge_is_the_newest_live_one_of_its_own_tenant(stores: Stores) {
    with_tenants(&stores, &["shop-a", "shop-b", "shop-c"]).await;
    let t0 = stores.clock.now();
    let first = challenge("shop-a", "first", t0);
    let second = challenge("shop-a", "second", t0 + minutes(2));
    let third = challenge("shop-a", "third", t0 + minutes(4));
    let of_b = challenge("shop-b", "b", t0 + minutes(5));
    // Written out of order: "latest" is by when it was sent.
    for sent in [&third, &first, &of_b, &second] {
        ok(stores.web_auth.put_login_challenge(sent).await);
    }
    let latest = |slug: &'static str, at: DateTime<Utc>| {
        let store = stores.web_auth.clone();
        async move { ok(store.latest_login_challenge(&tenant(slug), at).await).map(|c| c.id) }
    };

    assert_eq!(latest("shop-a", t0 + minutes(5)).await, Some(third.id));
    assert_eq!(latest("shop-b", t0 + minutes(5)).await, Some(of_b.id));
    assert_eq!(latest("shop-c", t0 + minutes(5)).await, None, "never another shop's");

    // A spent one is skipped for the one before it.
    assert!(ok(stores.web_auth.spend_login_challenge(third.id, t0 + minutes(6)).await));
    assert_eq!(latest("shop-a", t0 + minutes(6)).await, Some(second.id));
    // So is an expired one: the second outlives the first by two minutes.
    assert!(ok(stores.web_auth.spend_login_challenge(second.id, t0 + minutes(7)).await));
    assert_eq!(latest("shop-a", t0 + minutes(14)).await, Some(first.id));
    assert_eq!(latest("shop-a", first.expires_at).await, None);
    assert_eq!(latest("shop-b", t0 + minutes(14)).await, Some(of_b.id), "shop-b's is untouched");
}

pub async fn challenges_are_counted_per_tenant_since_a_time(stores: Stores) {
    with_tenants(&stores, &["shop-a", "shop-b"]).await;
    let t0 = stores.clock.now();
    let sent: Vec<LoginChallenge> =
        [0, 5, 10].iter().map(|m| challenge("shop-a", &format!("at {m}"), t0 + minutes(*m))).collect();
    for challenge in &sent {
        ok(stores.web_auth.put_login_challenge(challenge).await);
    }
    ok(stores.web_auth.put_login_challenge(&challenge("shop-b", "b", t0 + minutes(10))).await);
    let count = |slug: &'static str, since: DateTime<Utc>| {
        let store = stores.web_auth.clone();
        async move { ok(store.login_challenges_since(&tenant(slug), since).await) }
    };

    assert_eq!(count("shop-a", t0 - minutes(15)).await, 3);
    assert_eq!(count("shop-a", t0).await, 3, "one sent at `since` counts");
    assert_eq!(count("shop-a", t0 + minutes(1)).await, 2);
    assert_eq!(count("shop-a", t0 + minutes(11)).await, 0);
    assert_eq!(count("shop-b", t0).await, 1);
    // What was sent counts, spent or expired.
    assert!(ok(stores.web_auth.spend_login_challenge(sent[2].id, t0 + minutes(11)).await));
    assert_eq!(count("shop-a", t0).await, 3);
}

pub async fn a_challenge_is_spent_exactly_once_even_by_concurrent_attempts(stores: Stores) {
    with_tenants(&stores, &["shop-a"]).await;
    let t0 = stores.clock.now();
    for round in 0..5 {
        let sent = challenge("shop-a", &format!("round {round}"), t0);
        ok(stores.web_auth.put_login_challenge(&sent).await);
        let (one, other) = tokio::join!(
            stores.web_auth.spend_login_challenge(sent.id, t0 + minutes(1)),
            stores.web_auth.spend_login_challenge(sent.id, t0 + minutes(1)),
        );
        let won = [ok(one), ok(other)];
        assert_eq!(won.iter().filter(|w| **w).count(), 1, "round {round}: {won:?}");
        assert!(!ok(stores.web_auth.spend_login_challenge(sent.id, t0 + minutes(2)).await), "and never again");
    }
    assert!(!ok(stores.web_auth.spend_login_challenge(uuid::Uuid::now_v7(), t0).await), "unknown");
}

pub async fn wrong_codes_are_counted_and_the_maximum_spends_the_challenge(stores: Stores) {
    with_tenants(&stores, &["shop-a"]).await;
    let t0 = stores.clock.now();
    let sent = challenge("shop-a", "one", t0);
    ok(stores.web_auth.put_login_challenge(&sent).await);

    assert_eq!(ok(stores.web_auth.record_wrong_code(sent.id, 4, t0 + minutes(1)).await), 1);
    // Two at once both count.
    let (a, b) = tokio::join!(
        stores.web_auth.record_wrong_code(sent.id, 4, t0 + minutes(2)),
        stores.web_auth.record_wrong_code(sent.id, 4, t0 + minutes(2)),
    );
    let mut counts = [ok(a), ok(b)];
    counts.sort_unstable();
    assert_eq!(counts, [2, 3]);
    let read = ok(stores.web_auth.latest_login_challenge(&sent.tenant, t0 + minutes(3)).await);
    assert_eq!(read, Some(LoginChallenge { attempts: 3, ..sent.clone() }), "still live, three wrong codes");

    assert_eq!(ok(stores.web_auth.record_wrong_code(sent.id, 4, t0 + minutes(3)).await), 4);
    assert_eq!(ok(stores.web_auth.latest_login_challenge(&sent.tenant, t0 + minutes(3)).await), None, "spent");
    assert_eq!(ok(stores.web_auth.login_challenge_by_link(&sent.link, t0 + minutes(3)).await), None);
    assert!(!ok(stores.web_auth.spend_login_challenge(sent.id, t0 + minutes(3)).await), "the right code is too late");
    // Unknown challenges have had no attempts.
    assert_eq!(ok(stores.web_auth.record_wrong_code(uuid::Uuid::now_v7(), 4, t0).await), 0);
}

pub async fn touching_a_session_returns_it_and_moves_last_seen(stores: Stores) {
    let t0 = stores.clock.now();
    let owner = Principal::Owner(tenant("shop-a"));
    let opened = session(&owner, "one", t0);
    ok(stores.web_auth.create_session(&opened).await);

    let touched = ok(stores.web_auth.touch_session(&opened.token, t0 + minutes(60), SESSION_IDLE).await);
    assert_eq!(touched, Some(WebSession { last_seen_at: t0 + minutes(60), ..opened.clone() }));
    // Idle is counted from the last touch, not from signing in.
    let later = t0 + SESSION_IDLE + minutes(30);
    let touched = ok(stores.web_auth.touch_session(&opened.token, later, SESSION_IDLE).await);
    assert_eq!(touched, Some(WebSession { last_seen_at: later, ..opened.clone() }));
    let unknown = TokenDigest::of("session never opened");
    assert_eq!(ok(stores.web_auth.touch_session(&unknown, t0, SESSION_IDLE).await), None);
}

pub async fn an_idle_or_too_old_session_is_over(stores: Stores) {
    let t0 = stores.clock.now();
    let owner = Principal::Owner(tenant("shop-a"));
    let idle = minutes(30);
    let almost = session(&owner, "almost idle", t0);
    let idled = session(&owner, "idle", t0);
    let old = WebSession { expires_at: t0 + minutes(60), ..session(&owner, "old", t0) };
    for opened in [&almost, &idled, &old] {
        ok(stores.web_auth.create_session(opened).await);
    }
    let touch = |token: TokenDigest, at: DateTime<Utc>| {
        let store = stores.web_auth.clone();
        async move { ok(store.touch_session(&token, at, idle).await).map(|s| s.last_seen_at) }
    };

    assert_eq!(
        touch(almost.token.clone(), t0 + idle - Duration::seconds(1)).await,
        Some(t0 + idle - Duration::seconds(1))
    );
    assert_eq!(touch(idled.token.clone(), t0 + idle).await, None, "idle for exactly `idle`");
    assert_eq!(touch(idled.token.clone(), t0 + idle + minutes(1)).await, None, "and it stays over");

    // Used every 20 minutes, yet over when its time is up.
    assert_eq!(touch(old.token.clone(), t0 + minutes(20)).await, Some(t0 + minutes(20)));
    assert_eq!(touch(old.token.clone(), t0 + minutes(40)).await, Some(t0 + minutes(40)));
    assert_eq!(touch(old.token.clone(), t0 + minutes(59)).await, Some(t0 + minutes(59)));
    assert_eq!(touch(old.token.clone(), t0 + minutes(60)).await, None, "past its expiry");
}

pub async fn ending_a_session_ends_only_that_one(stores: Stores) {
    let t0 = stores.clock.now();
    let owner = Principal::Owner(tenant("shop-a"));
    let phone = session(&owner, "phone", t0);
    let laptop = session(&owner, "laptop", t0);
    ok(stores.web_auth.create_session(&phone).await);
    ok(stores.web_auth.create_session(&laptop).await);

    ok(stores.web_auth.end_session(&phone.token).await);
    assert_eq!(ok(stores.web_auth.touch_session(&phone.token, t0 + minutes(1), SESSION_IDLE).await), None);
    let still = ok(stores.web_auth.touch_session(&laptop.token, t0 + minutes(1), SESSION_IDLE).await);
    assert_eq!(still.map(|s| s.token), Some(laptop.token));
    ok(stores.web_auth.end_session(&phone.token).await);
    ok(stores.web_auth.end_session(&TokenDigest::of("session never opened")).await);
}

pub async fn ending_every_session_of_a_principal_leaves_everyone_elses(stores: Stores) {
    let t0 = stores.clock.now();
    let owner_a = Principal::Owner(tenant("shop-a"));
    let owner_b = Principal::Owner(tenant("shop-b"));
    let ops = Principal::Operator(operator("ops@frontdesk.example"));
    let sessions = [
        session(&owner_a, "a phone", t0),
        session(&owner_a, "a laptop", t0),
        session(&owner_b, "b phone", t0),
        session(&ops, "ops laptop", t0),
    ];
    for opened in &sessions {
        ok(stores.web_auth.create_session(opened).await);
    }

    assert_eq!(ok(stores.web_auth.end_sessions_of(&owner_a).await), 2);
    let live = |opened: &WebSession| {
        let (store, token) = (stores.web_auth.clone(), opened.token.clone());
        async move { ok(store.touch_session(&token, t0 + minutes(1), SESSION_IDLE).await).is_some() }
    };
    let mut alive = Vec::new();
    for opened in &sessions {
        alive.push(live(opened).await);
    }
    assert_eq!(alive, [false, false, true, true]);
    assert_eq!(ok(stores.web_auth.end_sessions_of(&owner_a).await), 0, "nothing left");
    assert_eq!(ok(stores.web_auth.end_sessions_of(&ops).await), 1);
    assert!(live(&sessions[2]).await, "shop-b's owner is still signed in");
}

pub async fn operators_are_added_replaced_and_read(stores: Stores) {
    let t0 = stores.clock.now();
    let ops = operator("Ops@Frontdesk.example");
    let first = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$0123456789abcdefghijklmnopqrstuvwxyzABCDE";
    let second = "$argon2id$v=19$m=19456,t=2,p=1$b3RoZXJzYWx0c2FsdA$ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponml";

    assert_eq!(ok(stores.web_auth.operator_password_hash(&ops).await), None);
    ok(stores.web_auth.put_operator(&ops, first, t0).await);
    assert_eq!(ok(stores.web_auth.operator_password_hash(&ops).await).as_deref(), Some(first));
    ok(stores.web_auth.put_operator(&ops, second, t0 + minutes(1)).await);
    assert_eq!(ok(stores.web_auth.operator_password_hash(&ops).await).as_deref(), Some(second), "replaced");
    let same = operator("ops@frontdesk.example");
    assert_eq!(ok(stores.web_auth.operator_password_hash(&same).await).as_deref(), Some(second), "one address");
    let other = operator("someone@frontdesk.example");
    assert_eq!(ok(stores.web_auth.operator_password_hash(&other).await), None);
}

pub async fn digests_and_principals_round_trip_exactly(stores: Stores) {
    with_tenants(&stores, &["fresh-cuts-2"]).await;
    let t0 = stores.clock.now();
    let principals = [
        Principal::Owner(tenant("fresh-cuts-2")),
        Principal::Operator(operator("first.last+ops@sub.frontdesk.example")),
        Principal::Operator(operator("o'brien@frontdesk.example")),
    ];
    for (n, principal) in principals.iter().enumerate() {
        let opened = session(principal, &format!("{n}"), t0);
        ok(stores.web_auth.create_session(&opened).await);
        let read = ok(stores.web_auth.touch_session(&opened.token, t0, SESSION_IDLE).await);
        assert_eq!(read, Some(opened.clone()), "{principal:?}");
        assert_eq!(ok(stores.web_auth.end_sessions_of(principal).await), 1, "found by {principal:?}");
    }

    let sent = LoginChallenge { attempts: 2, ..challenge("fresh-cuts-2", "exact", t0) };
    ok(stores.web_auth.put_login_challenge(&sent).await);
    let read = ok(stores.web_auth.login_challenge_by_link(&sent.link, t0).await);
    assert_eq!(read.as_ref(), Some(&sent));
    assert!(read.is_some_and(|c| c.code.matches(&TokenDigest::of("fresh-cuts-2:exact"))));
}
