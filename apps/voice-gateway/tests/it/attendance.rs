//! Marking bookings completed or no-show, and a shop's no-show rates,
//! through the admin API (fresh-cuts, from Tuesday 2026-11-24 10:00 in New
//! York).

use axum::http::{Method, StatusCode};
use chrono::{TimeZone, Utc};
use frontdesk_calendar::{BookingId, BookingStore};
use frontdesk_core::{Clock, TenantId};
use serde_json::{Value, json};

use crate::support::{TestApp, details, error_code};

async fn book(app: &TestApp, start: &str) -> Value {
    let body =
        json!({"service": "skin fade", "start": start, "customer_name": "Jane Doe", "customer_phone": "+15555551234"});
    let reply = app.admin(Method::POST, "/admin/tenants/fresh-cuts/bookings", Some(&body)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{start}: {}", reply.body);
    reply.body
}

fn id(booking: &Value) -> String {
    booking["id"].as_str().unwrap_or_else(|| panic!("no id in {booking}")).to_owned()
}

async fn mark(app: &TestApp, booking: &Value, status: &str) -> crate::support::Reply {
    let path = format!("/admin/tenants/fresh-cuts/bookings/{}/attendance", id(booking));
    app.admin(Method::POST, &path, Some(&json!({"status": status}))).await
}

/// 2026-11-`day` at `hour:minute` in New York.
fn set_clock(app: &TestApp, day: u32, hour: u32, minute: u32) {
    let at = chrono_tz::America::New_York.with_ymd_and_hms(2026, 11, day, hour, minute, 0).single();
    app.clock.set(at.map(|at| at.with_timezone(&Utc)).unwrap_or_else(|| panic!("no such time")));
}

/// The customer confirms, as a reply to a reminder will.
async fn customer_confirms(app: &TestApp, booking: &Value) {
    let booking_id: BookingId = id(booking).parse().unwrap_or_else(|e| panic!("{e}"));
    let tenant = TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}"));
    let confirmed = app.store.record_confirmation(&tenant, booking_id, app.clock.now()).await;
    assert!(confirmed.is_ok(), "{confirmed:?}");
}

#[tokio::test]
async fn a_started_booking_is_marked_and_corrected_and_the_json_says_so() {
    let app = TestApp::new().await;
    let booking = book(&app, "2026-11-24T12:00").await;
    assert_eq!(
        (&booking["confirmed_at"], &booking["attendance"], &booking["attendance_marked_at"]),
        (&Value::Null, &Value::Null, &Value::Null),
        "{booking}"
    );

    let early = mark(&app, &booking, "completed").await;
    assert_eq!((early.status, error_code(&early)), (StatusCode::UNPROCESSABLE_ENTITY, "not_started"), "{}", early.body);
    assert!(
        early.body["error"]["message"].as_str().is_some_and(|m| m.contains("has not started yet")),
        "{}",
        early.body
    );

    set_clock(&app, 24, 12, 10);
    let no_show = mark(&app, &booking, "no_show").await;
    assert_eq!(no_show.status, StatusCode::OK, "{}", no_show.body);
    assert_eq!(
        (no_show.body["status"].as_str(), no_show.body["attendance"].as_str()),
        (Some("no_show"), Some("no_show"))
    );
    assert_eq!(no_show.body["attendance_marked_at"], "2026-11-24T17:10:00Z");
    assert_eq!((&no_show.body["id"], &no_show.body["start"]), (&booking["id"], &booking["start"]));

    // The owner got it wrong: she came after all. By code works as well as by id.
    set_clock(&app, 24, 13, 0);
    let code = booking["code"].as_str().unwrap_or_default();
    let path = format!("/admin/tenants/fresh-cuts/bookings/{code}/attendance");
    let completed = app.admin(Method::POST, &path, Some(&json!({"status": "completed"}))).await;
    assert_eq!(completed.status, StatusCode::OK, "{}", completed.body);
    assert_eq!(
        (completed.body["attendance"].as_str(), completed.body["attendance_marked_at"].as_str()),
        (Some("completed"), Some("2026-11-24T18:00:00Z"))
    );
    let read = app.admin(Method::GET, &format!("/admin/tenants/fresh-cuts/bookings/{}", id(&booking)), None).await;
    assert_eq!(read.body, completed.body);

    // A customer's confirmation shows in the JSON.
    let other = book(&app, "2026-11-25T10:00").await;
    customer_confirms(&app, &other).await;
    let read = app.admin(Method::GET, &format!("/admin/tenants/fresh-cuts/bookings/{}", id(&other)), None).await;
    assert_eq!(
        (read.body["confirmed_at"].as_str(), &read.body["attendance"]),
        (Some("2026-11-24T18:00:00Z"), &Value::Null)
    );

    // Each mark is in the audit log, with the booking before and after.
    let log = app.admin(Method::GET, "/admin/audit?tenant=fresh-cuts", None).await;
    let marks: Vec<&Value> = log.body["entries"]
        .as_array()
        .map(|entries| entries.iter().filter(|e| e["action"] == "booking.attendance").collect())
        .unwrap_or_default();
    assert_eq!(marks.len(), 2, "{}", log.body);
    assert_eq!(
        (marks[0]["target"].as_str(), marks[0]["before"]["attendance"].clone()),
        (Some(id(&booking).as_str()), Value::Null)
    );
    assert_eq!(
        (marks[1]["before"]["attendance"].as_str(), marks[1]["after"]["attendance"].as_str()),
        (Some("no_show"), Some("completed"))
    );
}

#[tokio::test]
async fn bad_statuses_cancelled_unknown_and_other_shops_bookings_are_refused() {
    let app = TestApp::new().await;
    let booking = book(&app, "2026-11-24T12:00").await;
    let cancelled = book(&app, "2026-11-24T14:00").await;
    let path = format!("/admin/tenants/fresh-cuts/bookings/{}/cancel", id(&cancelled));
    let cancel = app.admin(Method::POST, &path, Some(&json!({"override_policy": true}))).await;
    assert_eq!(cancel.status, StatusCode::OK, "{}", cancel.body);
    set_clock(&app, 24, 15, 0);

    for bad in ["no-show", "cancelled", "", "COMPLETED"] {
        let reply = mark(&app, &booking, bad).await;
        assert_eq!((reply.status, error_code(&reply)), (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"));
        assert_eq!(details(&reply), [format!("status: must be \"completed\" or \"no_show\", got {bad:?}")]);
    }
    let path = format!("/admin/tenants/fresh-cuts/bookings/{}/attendance", id(&booking));
    let missing = app.admin(Method::POST, &path, Some(&json!({}))).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", missing.body);
    let extra = app.admin(Method::POST, &path, Some(&json!({"status": "completed", "note": "late"}))).await;
    assert_eq!(extra.status, StatusCode::UNPROCESSABLE_ENTITY, "unknown fields are refused: {}", extra.body);

    let refused = mark(&app, &cancelled, "no_show").await;
    assert_eq!(
        (refused.status, error_code(&refused)),
        (StatusCode::UNPROCESSABLE_ENTITY, "cancelled"),
        "{}",
        refused.body
    );
    assert!(refused.body["error"]["message"].as_str().is_some_and(|m| m.contains("was cancelled")), "{}", refused.body);

    let unknown = format!("/admin/tenants/fresh-cuts/bookings/{}/attendance", BookingId::new());
    let reply = app.admin(Method::POST, &unknown, Some(&json!({"status": "completed"}))).await;
    assert_eq!((reply.status, error_code(&reply)), (StatusCode::NOT_FOUND, "not_found"));
    // Another shop's booking is not found at this one's address.
    let elsewhere = format!("/admin/tenants/bright-smile/bookings/{}/attendance", id(&booking));
    let reply = app.admin(Method::POST, &elsewhere, Some(&json!({"status": "completed"}))).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);

    // A shop's own token may mark its own bookings, never another shop's.
    let theirs = app.token("tenant:bright-smile");
    let reply = app.call(Method::POST, &path, Some(&theirs), Some(&json!({"status": "completed"}))).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let reply = app.call(Method::GET, "/admin/tenants/fresh-cuts/attendance", Some(&theirs), None).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let own = app.token("tenant:fresh-cuts");
    let reply = app.call(Method::POST, &path, Some(&own), Some(&json!({"status": "completed"}))).await;
    assert_eq!(
        (reply.status, reply.body["attendance"].as_str()),
        (StatusCode::OK, Some("completed")),
        "{}",
        reply.body
    );
    let reply = app.call(Method::POST, &path, None, Some(&json!({"status": "completed"}))).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_no_show_rate_splits_confirmed_from_unconfirmed_and_counts_old_unmarked_ones_as_completed() {
    let app = TestApp::new().await;
    let confirmed_missed = book(&app, "2026-11-24T11:00").await;
    let unmarked = book(&app, "2026-11-24T12:00").await;
    let cancelled = book(&app, "2026-11-24T13:00").await;
    let tomorrow = book(&app, "2026-11-25T10:00").await;
    customer_confirms(&app, &confirmed_missed).await;
    let path = format!("/admin/tenants/fresh-cuts/bookings/{}/cancel", id(&cancelled));
    assert_eq!(app.admin(Method::POST, &path, Some(&json!({"override_policy": true}))).await.status, StatusCode::OK);

    set_clock(&app, 24, 14, 0);
    assert_eq!(mark(&app, &confirmed_missed, "no_show").await.status, StatusCode::OK);
    let window =
        app.admin(Method::GET, "/admin/tenants/fresh-cuts/attendance?from=2026-11-24&to=2026-11-26", None).await;
    assert_eq!(window.status, StatusCode::OK, "{}", window.body);
    let mut expected = json!({
        "from": "2026-11-24T00:00:00-05:00",
        "to": "2026-11-26T00:00:00-05:00",
        "completed": 0,
        "no_show": 1,
        "unmarked": 1,
        "scheduled": 1,
        "no_show_rate": 1.0,
        "confirmed": {"completed": 0, "no_show": 1, "no_show_rate": 1.0},
        "unconfirmed": {"completed": 0, "no_show": 0, "no_show_rate": null},
    });
    expected["definition"] = window.body["definition"].clone();
    assert_eq!(window.body, expected);
    assert!(window.body["definition"].as_str().is_some_and(|d| d.contains("24 hours after its end")));

    // A day later the unmarked 12:00 counts as completed, and tomorrow's 10:00 has ended unmarked.
    // The default window runs from 30 days before today until now.
    set_clock(&app, 25, 13, 0);
    let default = app.admin(Method::GET, "/admin/tenants/fresh-cuts/attendance", None).await;
    assert_eq!(default.status, StatusCode::OK, "{}", default.body);
    assert_eq!(
        (&default.body["from"], &default.body["to"]),
        (&json!("2026-10-26T00:00:00-04:00"), &json!("2026-11-25T13:00:00-05:00"))
    );
    let counts: Vec<&Value> =
        ["completed", "no_show", "unmarked", "scheduled", "no_show_rate"].iter().map(|k| &default.body[*k]).collect();
    assert_eq!(counts, [&json!(1), &json!(1), &json!(1), &json!(0), &json!(0.5)], "{}", default.body);
    assert_eq!(default.body["unconfirmed"], json!({"completed": 1, "no_show": 0, "no_show_rate": 0.0}));
    let unmarked_json =
        app.admin(Method::GET, &format!("/admin/tenants/fresh-cuts/bookings/{}", id(&unmarked)), None).await;
    assert_eq!(
        (unmarked_json.body["status"].as_str(), &unmarked_json.body["attendance"]),
        (Some("confirmed"), &Value::Null),
        "the stored booking stays unmarked; only the figures count it as completed"
    );
    assert_eq!(tomorrow["status"], "confirmed");

    let bad = app.admin(Method::GET, "/admin/tenants/fresh-cuts/attendance?from=yesterday", None).await;
    assert_eq!((bad.status, details(&bad).len()), (StatusCode::UNPROCESSABLE_ENTITY, 1), "{}", bad.body);
    let backwards =
        app.admin(Method::GET, "/admin/tenants/fresh-cuts/attendance?from=2026-11-25&to=2026-11-24", None).await;
    assert_eq!(details(&backwards), ["to: must be after from"]);
}
