//! Service-account tokens: the signed assertion, caching, refresh, and 401s.

use chrono::TimeDelta;
use frontdesk_calendar::{CalendarError, ExternalCalendar};
use frontdesk_core::Clock;
use jsonwebtoken::Algorithm;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::support::*;

fn free_busy() -> wiremock::MockBuilder {
    Mock::given(method("POST")).and(path("/freeBusy"))
}

#[tokio::test]
async fn token_request_is_a_jwt_bearer_grant_signed_with_the_service_account_key() {
    let fake = Fake::new().await;
    fake.grant_token_once("ya29.token-1").await;
    free_busy().and(bearer("ya29.token-1")).respond_with(free_all_day()).expect(1).mount(&fake.server).await;

    fake.calendar
        .busy(&tenant("fresh-cuts"), CALENDAR_ID, monday_at(14, 0), monday_at(22, 0))
        .await
        .unwrap_or_else(|e| panic!("busy: {e}"));

    let token_requests = fake.token_requests().await;
    assert_eq!(token_requests.len(), 1);
    let request = &token_requests[0];
    assert_eq!(request.method.as_str(), "POST");
    let mut field_names: Vec<String> = form_fields(request).into_keys().collect();
    field_names.sort();
    assert_eq!(field_names, ["assertion", "grant_type"]);
    assert_eq!(form_fields(request)["grant_type"], "urn:ietf:params:oauth:grant-type:jwt-bearer");

    let (header, claims) = verified_assertion(request, &token_uri(&fake.server));
    assert_eq!(header.alg, Algorithm::RS256);
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    assert_eq!(header.kid.as_deref(), Some(FIXTURE_KEY_ID));
    assert_eq!(claims.iss, FIXTURE_CLIENT_EMAIL);
    assert_eq!(claims.scope, SCOPE);
    assert_eq!(claims.aud, token_uri(&fake.server));
    assert_eq!(claims.iat, fake.clock.now().timestamp());
    assert!(claims.exp > claims.iat && claims.exp - claims.iat <= 3600, "iat {} exp {}", claims.iat, claims.exp);
    assert_eq!(claims.sub, None, "no domain-wide delegation, so no sub");
}

#[tokio::test]
async fn access_token_is_cached_and_refreshed_five_minutes_before_it_expires() {
    let fake = Fake::new().await;
    fake.grant_token_once("ya29.token-1").await;
    fake.grant_token_once("ya29.token-2").await;
    free_busy().and(bearer("ya29.token-1")).respond_with(free_all_day()).expect(3).mount(&fake.server).await;
    free_busy().and(bearer("ya29.token-2")).respond_with(free_all_day()).expect(1).mount(&fake.server).await;
    let fresh_cuts = tenant("fresh-cuts");
    let busy = || fake.calendar.busy(&fresh_cuts, CALENDAR_ID, monday_at(14, 0), monday_at(22, 0));

    busy().await.unwrap_or_else(|e| panic!("first call: {e}"));
    busy().await.unwrap_or_else(|e| panic!("second call: {e}"));
    assert_eq!(fake.token_requests().await.len(), 1, "the second call reuses the token");

    // The token lasts 3599 s; it is still used until 300 s before that.
    fake.clock.advance(TimeDelta::seconds(3598 - 300));
    busy().await.unwrap_or_else(|e| panic!("third call: {e}"));
    assert_eq!(fake.token_requests().await.len(), 1, "still fresh enough");

    fake.clock.advance(TimeDelta::seconds(1));
    busy().await.unwrap_or_else(|e| panic!("fourth call: {e}"));
    let token_requests = fake.token_requests().await;
    assert_eq!(token_requests.len(), 2, "refreshed before expiry");
    let (_, claims) = verified_assertion(&token_requests[1], &token_uri(&fake.server));
    assert_eq!(claims.iat, fake.clock.now().timestamp(), "the new assertion is issued now");
}

#[tokio::test]
async fn unauthorized_reply_drops_the_token_and_retries_once_with_a_new_one() {
    let fake = Fake::new().await;
    fake.grant_token_once("ya29.revoked").await;
    fake.grant_token_once("ya29.fresh").await;
    let invalid_credentials = ResponseTemplate::new(401).set_body_json(google_error(
        401,
        "global",
        "authError",
        "Request had invalid authentication credentials.",
    ));
    free_busy().and(bearer("ya29.revoked")).respond_with(invalid_credentials).expect(1).mount(&fake.server).await;
    free_busy().and(bearer("ya29.fresh")).respond_with(free_all_day()).expect(1).mount(&fake.server).await;

    let busy = fake.calendar.busy(&tenant("fresh-cuts"), CALENDAR_ID, monday_at(14, 0), monday_at(22, 0)).await;

    assert_eq!(busy.unwrap_or_else(|e| panic!("busy: {e}")), []);
    assert_eq!(fake.token_requests().await.len(), 2);
}

#[tokio::test]
async fn unauthorized_reply_to_a_fresh_token_is_an_auth_error() {
    let fake = Fake::new().await;
    fake.grant_token_once("ya29.token-1").await;
    fake.grant_token_once("ya29.token-2").await;
    let invalid_credentials = ResponseTemplate::new(401).set_body_json(google_error(
        401,
        "global",
        "authError",
        "Request had invalid authentication credentials.",
    ));
    free_busy().respond_with(invalid_credentials).expect(2).mount(&fake.server).await;

    let error = fake
        .calendar
        .busy(&tenant("fresh-cuts"), CALENDAR_ID, monday_at(14, 0), monday_at(22, 0))
        .await
        .err()
        .unwrap_or_else(|| panic!("a persistent 401 must fail"));

    assert!(matches!(error, CalendarError::Auth(_)), "{error:?}");
    assert!(error.to_string().contains("Request had invalid authentication credentials."), "{error}");
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn refused_grants_are_auth_errors() {
    for (error_code, description) in [
        ("invalid_grant", "Invalid JWT Signature."),
        ("unauthorized_client", "Client is unauthorized to retrieve access tokens using this method."),
    ] {
        let fake = Fake::new().await;
        token_request()
            .respond_with(
                ResponseTemplate::new(400)
                    .set_body_json(json!({ "error": error_code, "error_description": description })),
            )
            .expect(1)
            .mount(&fake.server)
            .await;

        let error = fake
            .calendar
            .busy(&tenant("fresh-cuts"), CALENDAR_ID, monday_at(14, 0), monday_at(22, 0))
            .await
            .err()
            .unwrap_or_else(|| panic!("{error_code} must fail"));

        assert!(matches!(error, CalendarError::Auth(_)), "{error_code}: {error:?}");
        assert!(error.to_string().contains(error_code) && error.to_string().contains(description), "{error}");
        assert!(!error.is_retryable());
        assert_eq!(fake.requests().await.len(), 1, "{error_code}: the calendar is not called without a token");
    }
}

#[tokio::test]
async fn token_endpoint_outage_is_retryable() {
    let fake = Fake::new().await;
    token_request()
        .respond_with(ResponseTemplate::new(503).set_body_string("upstream connect error"))
        .mount(&fake.server)
        .await;

    let error = fake
        .calendar
        .busy(&tenant("fresh-cuts"), CALENDAR_ID, monday_at(14, 0), monday_at(22, 0))
        .await
        .err()
        .unwrap_or_else(|| panic!("a 503 from the token endpoint must fail"));

    assert!(matches!(error, CalendarError::Unavailable(_)), "{error:?}");
    assert!(error.is_retryable());
}
