//! How failed calls are classified for the job runner's retries.

use std::time::Duration;

use frontdesk_calendar::{CalendarError, CalendarEvent, ExternalCalendar};
use frontdesk_google_calendar::GoogleCalendarConfig;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::support::*;

fn event() -> CalendarEvent {
    CalendarEvent {
        event_id: "0c4k8p9v2m1a3b5d7f9h0j2l4n6p8r0t".to_owned(),
        summary: "Haircut – Jane".to_owned(),
        description: String::new(),
        start: monday_at(14, 0),
        end: monday_at(14, 30),
        time_zone: "America/New_York".to_owned(),
        booking_id: "bk_123".to_owned(),
        tenant_id: "fresh-cuts".to_owned(),
    }
}

/// What `insert_event` returns when Google answers the insert with `answer`.
async fn insert_answered_with(answer: ResponseTemplate) -> CalendarError {
    let fake = Fake::new().await;
    fake.grant_token_once("ya29.token-1").await;
    Mock::given(method("POST"))
        .and(path(format!("/calendars/{CALENDAR_IN_PATH}/events")))
        .respond_with(answer)
        .expect(1)
        .mount(&fake.server)
        .await;
    fake.calendar
        .insert_event(&tenant("fresh-cuts"), CALENDAR_ID, &event())
        .await
        .err()
        .unwrap_or_else(|| panic!("the insert should have failed"))
}

#[tokio::test]
async fn too_many_requests_is_rate_limited_and_honours_retry_after() {
    let error = insert_answered_with(
        ResponseTemplate::new(429).insert_header("Retry-After", "30").set_body_json(google_error(
            429,
            "usageLimits",
            "rateLimitExceeded",
            "Rate Limit Exceeded",
        )),
    )
    .await;

    assert!(
        matches!(error, CalendarError::RateLimited { retry_after: Some(wait) } if wait == Duration::from_secs(30)),
        "{error:?}"
    );
    assert!(error.is_retryable());
}

#[tokio::test]
async fn forbidden_for_rate_limits_is_rate_limited() {
    for reason in ["rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"] {
        let error = insert_answered_with(ResponseTemplate::new(403).set_body_json(google_error(
            403,
            "usageLimits",
            reason,
            "Rate Limit Exceeded",
        )))
        .await;

        assert!(matches!(error, CalendarError::RateLimited { retry_after: None }), "{reason}: {error:?}");
        assert!(error.is_retryable());
    }
}

#[tokio::test]
async fn forbidden_for_permissions_is_permission_denied_and_final() {
    let error = insert_answered_with(ResponseTemplate::new(403).set_body_json(google_error(
        403,
        "calendar",
        "requiredAccessLevel",
        "You need to have writer access to this calendar.",
    )))
    .await;

    assert!(matches!(error, CalendarError::PermissionDenied(_)), "{error:?}");
    assert!(error.to_string().contains("You need to have writer access to this calendar."), "{error}");
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn server_errors_are_unavailable_and_retryable() {
    for status in [500, 503] {
        let error = insert_answered_with(ResponseTemplate::new(status).set_body_json(google_error(
            status,
            "global",
            "backendError",
            "Backend Error",
        )))
        .await;

        assert!(matches!(error, CalendarError::Unavailable(_)), "{status}: {error:?}");
        assert!(error.to_string().contains("Backend Error"), "{error}");
        assert!(error.is_retryable());
    }
}

#[tokio::test]
async fn bad_request_is_rejected_and_final() {
    let error = insert_answered_with(ResponseTemplate::new(400).set_body_json(google_error(
        400,
        "global",
        "invalid",
        "Invalid resource id value.",
    )))
    .await;

    assert!(matches!(error, CalendarError::Rejected(_)), "{error:?}");
    assert!(error.to_string().contains("Invalid resource id value."), "{error}");
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn a_calendar_api_that_refuses_connections_is_unavailable() {
    // A port that was free a moment ago: nothing listens there now.
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .unwrap_or_else(|e| panic!("binding a local port: {e}"))
        .port();
    let fake = Fake::new().await;
    fake.grant_token_once("ya29.token-1").await;
    let calendar = frontdesk_google_calendar::GoogleCalendar::new(
        GoogleCalendarConfig {
            api_base: format!("http://127.0.0.1:{closed_port}"),
            platform_key: Some(key_for(&fake.server, FIXTURE_CLIENT_EMAIL)),
            ..GoogleCalendarConfig::default()
        },
        fake.clock.clone(),
    )
    .unwrap_or_else(|e| panic!("adapter: {e}"));

    let result = calendar.busy(&tenant("fresh-cuts"), CALENDAR_ID, monday_at(14, 0), monday_at(22, 0)).await;

    let error = result.err().unwrap_or_else(|| panic!("a refused connection must fail"));
    assert!(matches!(error, CalendarError::Unavailable(_)), "{error:?}");
    assert!(error.is_retryable());
}

#[tokio::test]
async fn a_calendar_api_slower_than_the_timeout_is_unavailable() {
    let fake = Fake::with_config(|server| GoogleCalendarConfig {
        platform_key: Some(key_for(server, FIXTURE_CLIENT_EMAIL)),
        timeout: Duration::from_millis(200),
        ..GoogleCalendarConfig::default()
    })
    .await;
    fake.grant_token_once("ya29.token-1").await;
    Mock::given(method("POST"))
        .and(path("/freeBusy"))
        .respond_with(free_all_day().set_delay(Duration::from_secs(5)))
        .mount(&fake.server)
        .await;

    let result = fake.calendar.busy(&tenant("fresh-cuts"), CALENDAR_ID, monday_at(14, 0), monday_at(22, 0)).await;

    let error = result.err().unwrap_or_else(|| panic!("a slow reply must time out"));
    assert!(matches!(error, CalendarError::Unavailable(_)), "{error:?}");
}
