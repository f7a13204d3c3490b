//! `busy`: the freeBusy request and how its reply is read.

use frontdesk_calendar::{BusyInterval, CalendarError, ExternalCalendar};
use serde_json::json;
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::support::*;

#[tokio::test]
async fn busy_asks_free_busy_for_the_calendar_and_returns_its_busy_intervals() {
    let fake = Fake::new().await;
    fake.grant_token_once("ya29.token-1").await;
    Mock::given(method("POST"))
        .and(path("/freeBusy"))
        .and(bearer("ya29.token-1"))
        .and(body_json(json!({
            "timeMin": "2026-03-09T14:00:00Z",
            "timeMax": "2026-03-09T22:00:00Z",
            "timeZone": "UTC",
            "items": [{ "id": CALENDAR_ID }]
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "kind": "calendar#freeBusy",
            "timeMin": "2026-03-09T14:00:00.000Z",
            "timeMax": "2026-03-09T22:00:00.000Z",
            "calendars": {
                CALENDAR_ID: {
                    "busy": [
                        { "start": "2026-03-09T15:00:00Z", "end": "2026-03-09T15:30:00Z" },
                        // Offsets are converted, whatever zone Google answers in.
                        { "start": "2026-03-09T14:00:00-04:00", "end": "2026-03-09T15:15:00-04:00" }
                    ]
                }
            }
        })))
        .expect(1)
        .mount(&fake.server)
        .await;

    let busy = fake
        .calendar
        .busy(&tenant("fresh-cuts"), CALENDAR_ID, monday_at(14, 0), monday_at(22, 0))
        .await
        .unwrap_or_else(|e| panic!("busy: {e}"));

    assert_eq!(
        busy,
        [
            BusyInterval { start: monday_at(15, 0), end: monday_at(15, 30) },
            BusyInterval { start: monday_at(18, 0), end: monday_at(19, 15) },
        ]
    );
    let calendar_requests: Vec<_> =
        fake.requests().await.into_iter().filter(|request| request.url.path() == "/freeBusy").collect();
    assert_eq!(calendar_requests.len(), 1);
    assert_eq!(calendar_requests[0].url.query(), None);
}

#[tokio::test]
async fn a_calendar_google_could_not_read_is_an_error_never_free_time() {
    for (reason, expected) in [("notFound", "NotFound"), ("internalError", "Unavailable"), ("groupTooBig", "Rejected")]
    {
        let fake = Fake::new().await;
        fake.grant_token_once("ya29.token-1").await;
        Mock::given(method("POST"))
            .and(path("/freeBusy"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "kind": "calendar#freeBusy",
                "timeMin": "2026-03-09T14:00:00.000Z",
                "timeMax": "2026-03-09T22:00:00.000Z",
                "calendars": {
                    CALENDAR_ID: { "errors": [{ "domain": "global", "reason": reason }], "busy": [] }
                }
            })))
            .expect(1)
            .mount(&fake.server)
            .await;

        let result = fake.calendar.busy(&tenant("fresh-cuts"), CALENDAR_ID, monday_at(14, 0), monday_at(22, 0)).await;

        let error = result.err().unwrap_or_else(|| panic!("{reason} must be an error, not an empty busy list"));
        assert!(format!("{error:?}").starts_with(expected), "{reason}: {error:?}");
        assert!(error.to_string().contains(reason) && error.to_string().contains(CALENDAR_ID), "{error}");
    }
}

#[tokio::test]
async fn a_reply_that_leaves_the_calendar_out_is_an_error() {
    let fake = Fake::new().await;
    fake.grant_token_once("ya29.token-1").await;
    Mock::given(method("POST"))
        .and(path("/freeBusy"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "kind": "calendar#freeBusy", "calendars": {} })))
        .mount(&fake.server)
        .await;

    let result = fake.calendar.busy(&tenant("fresh-cuts"), CALENDAR_ID, monday_at(14, 0), monday_at(22, 0)).await;

    assert!(matches!(result, Err(CalendarError::Unexpected(_))), "{result:?}");
}

#[tokio::test]
async fn an_empty_range_is_free_without_asking_google() {
    let fake = Fake::new().await;

    let busy = fake.calendar.busy(&tenant("fresh-cuts"), CALENDAR_ID, monday_at(14, 0), monday_at(14, 0)).await;

    assert_eq!(busy.unwrap_or_else(|e| panic!("busy: {e}")), []);
    assert!(fake.requests().await.is_empty());
}
