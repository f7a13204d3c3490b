//! OAuth: the refresh request, rotated refresh tokens saved before the new
//! access token is used, refresh before expiry and on a 401.

use std::sync::Arc;

use chrono::TimeDelta;
use frontdesk_inventory::{Cursor, InventorySource, SourceError};
use frontdesk_lightspeed::StoredRefreshToken;
use wiremock::matchers::{body_string_contains, header as header_is, method, path};
use wiremock::{Mock, MockBuilder, ResponseTemplate};

use crate::support::*;

const DAY: i64 = 86_400;

/// A refresh-token grant that sends `refresh_token`.
fn refresh_with(refresh_token: &str) -> MockBuilder {
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .and(header_is("content-type", "application/x-www-form-urlencoded"))
        .and(body_string_contains(format!("refresh_token={refresh_token}").as_str()))
}

fn bearer(access_token: &str) -> wiremock::matchers::HeaderExactMatcher {
    header_is("authorization", format!("Bearer {access_token}").as_str())
}

fn unauthorized() -> ResponseTemplate {
    ResponseTemplate::new(401).set_body_json(serde_json::json!({"error": "Unauthorized", "message": "Token expired"}))
}

#[tokio::test]
async fn the_first_call_refreshes_and_saves_the_rotated_token_before_using_the_new_access_token() {
    let mut store = None;
    let fake = Fake::with_oauth(|server| {
        let recording = RecordingStore::new(server, "rt-1");
        store = Some(recording.clone());
        recording
    })
    .await;
    let store = store.unwrap_or_else(|| panic!("store"));
    refresh_with("rt-1").respond_with(token_reply("at-1", "rt-2", DAY)).expect(1).mount(&fake.server).await;
    list("/outlets", 0).and(bearer("at-1")).respond_with(json_reply(EMPTY_PAGE)).expect(1).mount(&fake.server).await;

    fake.source.outlets().await.unwrap_or_else(|e| panic!("outlets: {e}"));

    let token_requests = fake.token_requests().await;
    assert_eq!(token_requests.len(), 1);
    assert_eq!(
        form_fields(&token_requests[0]),
        [
            ("grant_type".to_owned(), "refresh_token".to_owned()),
            ("client_id".to_owned(), "frontdesk-inventory-sync".to_owned()),
            ("client_secret".to_owned(), "cs_5ecret_for_tests".to_owned()),
            ("refresh_token".to_owned(), "rt-1".to_owned()),
        ]
    );
    // Saved after the token request (1 request received) and before the
    // API request that used the new access token.
    assert_eq!(store.saved(), [Saved { refresh_token: "rt-2".to_owned(), requests_before: 1 }]);
    assert_eq!(store.current().as_deref(), Some("rt-2"));
}

#[tokio::test]
async fn a_401_refreshes_once_and_the_rotated_token_is_saved_before_the_retried_request() {
    let mut store = None;
    let fake = Fake::with_oauth(|server| {
        let recording = RecordingStore::new(server, "rt-1");
        store = Some(recording.clone());
        recording
    })
    .await;
    let store = store.unwrap_or_else(|| panic!("store"));
    refresh_with("rt-1").respond_with(token_reply("at-revoked", "rt-2", DAY)).expect(1).mount(&fake.server).await;
    refresh_with("rt-2").respond_with(token_reply("at-fresh", "rt-3", DAY)).expect(1).mount(&fake.server).await;
    list("/products", 0).and(bearer("at-revoked")).respond_with(unauthorized()).expect(1).mount(&fake.server).await;
    list("/products", 0)
        .and(bearer("at-fresh"))
        .respond_with(json_reply(EMPTY_PAGE))
        .expect(1)
        .mount(&fake.server)
        .await;

    let changes = fake.source.products(Cursor::START).await.unwrap_or_else(|e| panic!("products: {e}"));

    assert_eq!(changes.cursor, Cursor::START);
    let requests = fake.requests().await;
    let sequence: Vec<String> = requests
        .iter()
        .map(|request| match header(request, "authorization") {
            Some(bearer) => format!("GET {}", bearer.trim_start_matches("Bearer ")),
            None => "POST token".to_owned(),
        })
        .collect();
    assert_eq!(sequence, ["POST token", "GET at-revoked", "POST token", "GET at-fresh"]);
    // rt-3 was stored when 3 requests had arrived: after its token request,
    // before the request that used at-fresh.
    assert_eq!(
        store.saved(),
        [
            Saved { refresh_token: "rt-2".to_owned(), requests_before: 1 },
            Saved { refresh_token: "rt-3".to_owned(), requests_before: 3 },
        ]
    );
}

#[tokio::test]
async fn a_second_401_after_a_refresh_is_a_credentials_error() {
    let fake = Fake::with_oauth(|server| RecordingStore::new(server, "rt-1")).await;
    refresh_with("rt-1").respond_with(token_reply("at-1", "rt-2", DAY)).expect(1).mount(&fake.server).await;
    refresh_with("rt-2").respond_with(token_reply("at-2", "rt-3", DAY)).expect(1).mount(&fake.server).await;
    list("/products", 0).respond_with(unauthorized()).expect(2).mount(&fake.server).await;

    let result = fake.source.products(Cursor::START).await;

    assert!(matches!(result, Err(SourceError::Credentials(ref text)) if text.contains("Token expired")), "{result:?}");
}

#[tokio::test]
async fn the_access_token_is_refreshed_shortly_before_it_expires() {
    let fake = Fake::with_oauth(|server| RecordingStore::new(server, "rt-1")).await;
    refresh_with("rt-1").respond_with(token_reply("at-1", "rt-2", DAY)).expect(1).mount(&fake.server).await;
    refresh_with("rt-2").respond_with(token_reply("at-2", "rt-3", DAY)).expect(1).mount(&fake.server).await;
    list("/outlets", 0).and(bearer("at-1")).respond_with(json_reply(EMPTY_PAGE)).expect(2).mount(&fake.server).await;
    list("/outlets", 0).and(bearer("at-2")).respond_with(json_reply(EMPTY_PAGE)).expect(1).mount(&fake.server).await;

    fake.source.outlets().await.unwrap_or_else(|e| panic!("first: {e}"));
    // The token lasts a day and is renewed ten minutes before it ends.
    fake.clock.advance(TimeDelta::seconds(DAY - 601));
    fake.source.outlets().await.unwrap_or_else(|e| panic!("second: {e}"));
    assert_eq!(fake.token_requests().await.len(), 1, "still fresh enough");
    fake.clock.advance(TimeDelta::seconds(1));
    fake.source.outlets().await.unwrap_or_else(|e| panic!("third: {e}"));

    assert_eq!(fake.token_requests().await.len(), 2, "refreshed before expiry");
}

#[tokio::test]
async fn a_refused_refresh_token_is_a_credentials_error_and_the_api_is_not_called() {
    let fake = Fake::with_oauth(|server| RecordingStore::new(server, "rt-used-twice")).await;
    refresh_with("rt-used-twice")
        .respond_with(ResponseTemplate::new(400).set_body_json(
            serde_json::json!({"error": "invalid_grant", "error_description": "The refresh token is invalid."}),
        ))
        .expect(1)
        .mount(&fake.server)
        .await;

    let result = fake.source.products(Cursor::START).await;

    assert!(matches!(result, Err(SourceError::Credentials(ref text)) if text.contains("invalid_grant")), "{result:?}");
    assert_eq!(fake.api_requests().await.len(), 0);
}

#[tokio::test]
async fn without_a_stored_refresh_token_the_call_is_a_credentials_error() {
    let fake = Fake::with_oauth(|_| {
        let empty = Arc::new(frontdesk_inventory::MemoryStateStore::new());
        let key = frontdesk_inventory::SyncKey::parse("lightspeed:sneakerden").unwrap_or_else(|e| panic!("{e}"));
        Arc::new(StoredRefreshToken::new(empty, key, Arc::new(frontdesk_core::ManualClock::new(monday_afternoon()))))
    })
    .await;

    let result = fake.source.products(Cursor::START).await;

    assert!(matches!(result, Err(SourceError::Credentials(_))), "{result:?}");
    assert_eq!(fake.requests().await.len(), 0);
}

#[tokio::test]
async fn when_the_rotated_token_cannot_be_saved_the_new_access_token_is_never_used() {
    let fake = Fake::with_oauth(|server| RecordingStore::failing(server, "rt-1")).await;
    refresh_with("rt-1").respond_with(token_reply("at-1", "rt-2", DAY)).expect(1).mount(&fake.server).await;

    let result = fake.source.products(Cursor::START).await;

    assert!(matches!(result, Err(SourceError::Unavailable(ref text)) if text.contains("disk full")), "{result:?}");
    // The void rt-1 is not sent again; every retry tried to save rt-2 instead.
    assert_eq!(fake.token_requests().await.len(), 1);
    assert_eq!(fake.api_requests().await.len(), 0);
}
