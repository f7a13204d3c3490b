//! Connecting a shop: the connect page's URL, the authorization-code grant,
//! and refresh tokens kept in the platform's store.

use std::sync::Arc;

use frontdesk_core::{Clock, ManualClock};
use frontdesk_inventory::{CredentialStore, InventorySource, MemoryStateStore, SourceError, SyncKey};
use frontdesk_lightspeed::{
    LightspeedSource, OAuthConfig, OAuthTokens, RefreshTokenStore, StoredRefreshToken, TokenStoreError, connect_url,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use wiremock::matchers::{body_string_contains, header as header_is, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::*;

const REDIRECT_URI: &str = "https://frontdesk.example.com/lightspeed/callback";

fn key() -> SyncKey {
    SyncKey::parse("lightspeed:sneakerden|workbook:data/workbook").unwrap_or_else(|e| panic!("{e}"))
}

struct Connected {
    server: Arc<MockServer>,
    store: Arc<MemoryStateStore>,
    tokens: Arc<OAuthTokens>,
    source: LightspeedSource,
}

async fn oauth_with_stored_tokens() -> Connected {
    let server = Arc::new(MockServer::start().await);
    let clock = Arc::new(ManualClock::new(monday_afternoon()));
    let store = Arc::new(MemoryStateStore::new());
    let refresh_tokens = Arc::new(StoredRefreshToken::new(store.clone(), key(), clock.clone()));
    let oauth = OAuthConfig::with_token_url(
        format!("{}{TOKEN_PATH}", server.uri()),
        "frontdesk-inventory-sync",
        SecretString::from("cs_5ecret_for_tests"),
    );
    let tokens = Arc::new(OAuthTokens::new(oauth, refresh_tokens, clock.clone()).unwrap_or_else(|e| panic!("{e}")));
    let source =
        LightspeedSource::new(test_config(&server), tokens.clone(), clock).unwrap_or_else(|e| panic!("adapter: {e}"));
    Connected { server, store, tokens, source }
}

async fn stored(store: &MemoryStateStore) -> Option<String> {
    store.load_credential(&key()).await.unwrap_or_else(|e| panic!("{e}")).map(|t| t.expose_secret().to_owned())
}

#[test]
fn the_connect_url_carries_the_client_redirect_and_state_encoded() {
    let url = connect_url("frontdesk-inventory-sync", REDIRECT_URI, "s7&x=1");
    assert_eq!(
        url,
        "https://secure.retail.lightspeed.app/connect?response_type=code&client_id=frontdesk-inventory-sync\
         &redirect_uri=https%3A%2F%2Ffrontdesk.example.com%2Flightspeed%2Fcallback&state=s7%26x%3D1"
    );
}

#[tokio::test]
async fn connecting_trades_the_code_stores_the_refresh_token_and_uses_the_access_token() {
    let shop = oauth_with_stored_tokens().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .and(body_string_contains("grant_type=authorization_code"))
        .respond_with(token_reply("at-first", "rt-first", 86_400))
        .expect(1)
        .mount(&shop.server)
        .await;
    list("/outlets", 0)
        .and(header_is("authorization", "Bearer at-first"))
        .respond_with(json_reply(EMPTY_PAGE))
        .expect(1)
        .mount(&shop.server)
        .await;

    shop.tokens
        .connect(&SecretString::from("code-from-callback"), REDIRECT_URI)
        .await
        .unwrap_or_else(|e| panic!("connect: {e}"));
    assert_eq!(stored(&shop.store).await.as_deref(), Some("rt-first"));
    shop.source.outlets().await.unwrap_or_else(|e| panic!("outlets: {e}"));

    let requests = shop.server.received_requests().await.unwrap_or_default();
    let token_requests: Vec<_> = requests.iter().filter(|r| r.url.path() == TOKEN_PATH).collect();
    assert_eq!(token_requests.len(), 1, "the access token from the code is used, not refreshed at once");
    assert_eq!(
        form_fields(token_requests[0]),
        [
            ("grant_type".to_owned(), "authorization_code".to_owned()),
            ("client_id".to_owned(), "frontdesk-inventory-sync".to_owned()),
            ("client_secret".to_owned(), "cs_5ecret_for_tests".to_owned()),
            ("code".to_owned(), "code-from-callback".to_owned()),
            ("redirect_uri".to_owned(), REDIRECT_URI.to_owned()),
        ]
    );
}

#[tokio::test]
async fn a_refused_code_is_a_credentials_error_and_stores_nothing() {
    let shop = oauth_with_stored_tokens().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({"error": "invalid_grant", "error_description": "The authorization code has expired"}),
        ))
        .mount(&shop.server)
        .await;
    let error = shop.tokens.connect(&SecretString::from("stale-code"), REDIRECT_URI).await;
    assert!(matches!(&error, Err(SourceError::Credentials(text)) if text.contains("has expired")), "{error:?}");
    assert_eq!(stored(&shop.store).await, None);
}

#[tokio::test]
async fn a_code_reply_without_a_refresh_token_is_refused() {
    let shop = oauth_with_stored_tokens().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"access_token": "at-only", "expires_in": 86_400})),
        )
        .mount(&shop.server)
        .await;
    let error = shop.tokens.connect(&SecretString::from("code"), REDIRECT_URI).await;
    assert!(matches!(&error, Err(SourceError::Invalid(text)) if text.contains("refresh_token")), "{error:?}");
    assert_eq!(stored(&shop.store).await, None);
}

#[tokio::test]
async fn refreshes_rotate_the_token_kept_in_the_store() {
    let shop = oauth_with_stored_tokens().await;
    shop.store
        .save_credential(&key(), &SecretString::from("rt-1"), monday_afternoon())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .and(body_string_contains("refresh_token=rt-1"))
        .respond_with(token_reply("at-1", "rt-2", 86_400))
        .expect(1)
        .mount(&shop.server)
        .await;
    list("/outlets", 0).respond_with(json_reply(EMPTY_PAGE)).mount(&shop.server).await;
    shop.source.outlets().await.unwrap_or_else(|e| panic!("outlets: {e}"));
    assert_eq!(stored(&shop.store).await.as_deref(), Some("rt-2"));
}

#[tokio::test]
async fn a_connection_without_a_stored_token_says_to_connect_first() {
    let store = Arc::new(MemoryStateStore::new());
    let clock = Arc::new(ManualClock::new(monday_afternoon()));
    let tokens = StoredRefreshToken::new(store.clone(), key(), clock.clone());
    let error = tokens.load().await;
    assert!(
        matches!(&error, Err(TokenStoreError::Missing(text)) if text.contains("connect the shop first")),
        "{error:?}"
    );
    let other = SyncKey::parse("lightspeed:another-shop").unwrap_or_else(|e| panic!("{e}"));
    store.save_credential(&other, &SecretString::from("rt-other"), clock.now()).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(tokens.load().await, Err(TokenStoreError::Missing(_))), "another connection's token is not ours");
}
