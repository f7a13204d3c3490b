//! `insert_event`, `patch_event`, `delete_event`: the exact requests, and
//! which answers count as done.

use frontdesk_calendar::{CalendarError, CalendarEvent, ExternalCalendar};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

use crate::support::*;

const EVENT_ID: &str = "0c4k8p9v2m1a3b5d7f9h0j2l4n6p8r0t";

fn haircut() -> CalendarEvent {
    CalendarEvent {
        event_id: EVENT_ID.to_owned(),
        summary: "Haircut – Jane".to_owned(),
        description: "Booked by phone. Confirmation QX7P.".to_owned(),
        start: monday_at(14, 0),
        end: monday_at(14, 30),
        time_zone: "America/New_York".to_owned(),
        booking_id: "bk_123".to_owned(),
        tenant_id: "fresh-cuts".to_owned(),
    }
}

fn events_path() -> String {
    format!("/calendars/{CALENDAR_IN_PATH}/events")
}

fn event_path() -> String {
    format!("/calendars/{CALENDAR_IN_PATH}/events/{EVENT_ID}")
}

/// The event resource Google answers with.
fn event_resource() -> Value {
    json!({
        "kind": "calendar#event",
        "etag": "\"3425061833642000\"",
        "id": EVENT_ID,
        "status": "confirmed",
        "htmlLink": "https://www.google.com/calendar/event?eid=MGM0azhwOXYybTFhM2I1ZDdmOWgwajJsNG42cDhyMHQ",
        "created": "2026-03-08T12:00:00.000Z",
        "updated": "2026-03-08T12:00:00.821Z",
        "summary": "Haircut – Jane",
        "description": "Booked by phone. Confirmation QX7P.",
        "creator": { "email": FIXTURE_CLIENT_EMAIL },
        "organizer": { "email": CALENDAR_ID, "self": true },
        "start": { "dateTime": "2026-03-09T10:00:00-04:00", "timeZone": "America/New_York" },
        "end": { "dateTime": "2026-03-09T10:30:00-04:00", "timeZone": "America/New_York" },
        "iCalUID": format!("{EVENT_ID}@google.com"),
        "sequence": 0,
        "extendedProperties": { "private": { "booking_id": "bk_123", "tenant_id": "fresh-cuts" } },
        "reminders": { "useDefault": true },
        "eventType": "default"
    })
}

#[tokio::test]
async fn insert_posts_the_event_with_its_id_in_the_tenants_zone() {
    let fake = Fake::new().await;
    fake.grant_token_once("ya29.token-1").await;
    Mock::given(method("POST"))
        .and(path(events_path()))
        .and(query_param("sendUpdates", "none"))
        .and(bearer("ya29.token-1"))
        .and(body_json(json!({
            "id": EVENT_ID,
            "summary": "Haircut – Jane",
            "description": "Booked by phone. Confirmation QX7P.",
            "start": { "dateTime": "2026-03-09T10:00:00-04:00", "timeZone": "America/New_York" },
            "end": { "dateTime": "2026-03-09T10:30:00-04:00", "timeZone": "America/New_York" },
            "extendedProperties": { "private": { "booking_id": "bk_123", "tenant_id": "fresh-cuts" } }
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(event_resource()))
        .expect(1)
        .mount(&fake.server)
        .await;

    fake.calendar
        .insert_event(&tenant("fresh-cuts"), CALENDAR_ID, &haircut())
        .await
        .unwrap_or_else(|e| panic!("insert: {e}"));

    let inserts: Vec<_> =
        fake.requests().await.into_iter().filter(|request| request.url.path() == events_path()).collect();
    assert_eq!(inserts.len(), 1);
    assert_eq!(inserts[0].url.query(), Some("sendUpdates=none"), "no other query parameters");
}

#[tokio::test]
async fn insert_of_an_existing_event_id_counts_as_done() {
    let fake = Fake::new().await;
    fake.grant_token_once("ya29.token-1").await;
    Mock::given(method("POST"))
        .and(path(events_path()))
        .respond_with(ResponseTemplate::new(409).set_body_json(google_error(
            409,
            "global",
            "duplicate",
            "The requested identifier already exists.",
        )))
        .expect(1)
        .mount(&fake.server)
        .await;

    let result = fake.calendar.insert_event(&tenant("fresh-cuts"), CALENDAR_ID, &haircut()).await;

    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn insert_with_an_unknown_time_zone_is_rejected_before_calling_google() {
    let fake = Fake::new().await;
    let event = CalendarEvent { time_zone: "America/Gotham".to_owned(), ..haircut() };

    let result = fake.calendar.insert_event(&tenant("fresh-cuts"), CALENDAR_ID, &event).await;

    assert!(matches!(&result, Err(CalendarError::Rejected(text)) if text.contains("America/Gotham")), "{result:?}");
    assert!(fake.requests().await.is_empty());
}

#[tokio::test]
async fn patch_sends_the_new_time_and_text() {
    let fake = Fake::new().await;
    fake.grant_token_once("ya29.token-1").await;
    let moved = CalendarEvent {
        start: monday_at(19, 0),
        end: monday_at(19, 45),
        summary: "Haircut and beard – Jane".to_owned(),
        ..haircut()
    };
    Mock::given(method("PATCH"))
        .and(path(event_path()))
        .and(query_param("sendUpdates", "none"))
        .and(bearer("ya29.token-1"))
        .and(body_json(json!({
            "summary": "Haircut and beard – Jane",
            "description": "Booked by phone. Confirmation QX7P.",
            "start": { "dateTime": "2026-03-09T15:00:00-04:00", "timeZone": "America/New_York" },
            "end": { "dateTime": "2026-03-09T15:45:00-04:00", "timeZone": "America/New_York" }
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(event_resource()))
        .expect(1)
        .mount(&fake.server)
        .await;

    fake.calendar
        .patch_event(&tenant("fresh-cuts"), CALENDAR_ID, &moved)
        .await
        .unwrap_or_else(|e| panic!("patch: {e}"));
}

#[tokio::test]
async fn patch_of_a_missing_event_is_not_found() {
    let fake = Fake::new().await;
    fake.grant_token_once("ya29.token-1").await;
    Mock::given(method("PATCH"))
        .and(path(event_path()))
        .respond_with(ResponseTemplate::new(404).set_body_json(google_error(404, "global", "notFound", "Not Found")))
        .expect(1)
        .mount(&fake.server)
        .await;

    let result = fake.calendar.patch_event(&tenant("fresh-cuts"), CALENDAR_ID, &haircut()).await;

    assert!(matches!(&result, Err(CalendarError::NotFound(text)) if text.contains(EVENT_ID)), "{result:?}");
}

#[tokio::test]
async fn delete_sends_delete_and_counts_gone_events_as_done() {
    let answers = [
        ResponseTemplate::new(204),
        ResponseTemplate::new(410).set_body_json(google_error(410, "global", "deleted", "Resource has been deleted")),
        ResponseTemplate::new(404).set_body_json(google_error(404, "global", "notFound", "Not Found")),
    ];
    for answer in answers {
        let fake = Fake::new().await;
        fake.grant_token_once("ya29.token-1").await;
        Mock::given(method("DELETE"))
            .and(path(event_path()))
            .and(query_param("sendUpdates", "none"))
            .and(bearer("ya29.token-1"))
            .respond_with(answer)
            .expect(1)
            .mount(&fake.server)
            .await;

        let result = fake.calendar.delete_event(&tenant("fresh-cuts"), CALENDAR_ID, EVENT_ID).await;

        assert!(result.is_ok(), "{result:?}");
        let deletes: Vec<_> =
            fake.requests().await.into_iter().filter(|request| request.method.as_str() == "DELETE").collect();
        assert_eq!(deletes.len(), 1);
        assert!(deletes[0].body.is_empty(), "DELETE carries no body");
    }
}
