//! The booking admin API against the fresh-cuts demo tenant, at a frozen
//! Tuesday 2026-11-24 10:00 in New York.

use axum::http::{Method, StatusCode};
use chrono::Duration;
use serde_json::{Value, json};

use crate::support::{TestApp, error_code, token_at};

fn booking_body(start: &str) -> Value {
    json!({"service": "skin fade", "start": start, "customer_name": "Jane Doe", "customer_phone": "+1 555 555 1234"})
}

#[tokio::test]
async fn availability_lists_slots_in_the_shop_s_zone() {
    let app = TestApp::new().await;
    let reply =
        app.admin(Method::GET, "/admin/tenants/fresh-cuts/availability?service=Haircut&date=2026-11-27", None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let slots = reply.body["slots"].as_array().cloned().unwrap_or_default();
    assert_eq!(slots.len(), 35);
    assert_eq!(
        slots[0],
        json!({"start": "2026-11-27T09:00:00-05:00", "end": "2026-11-27T09:30:00-05:00", "staff": "Marco"})
    );

    let days = app
        .admin(
            Method::GET,
            "/admin/tenants/fresh-cuts/availability?service=fade&date=2026-11-28&days=2&staff=dee",
            None,
        )
        .await;
    let slots = days.body["slots"].as_array().cloned().unwrap_or_default();
    assert!(slots.iter().all(|s| s["staff"] == "Dee"));
    assert!(slots.iter().all(|s| s["start"].as_str().is_some_and(|t| t.starts_with("2026-11-28"))), "Sunday is closed");

    let unknown =
        app.admin(Method::GET, "/admin/tenants/fresh-cuts/availability?service=perm&date=2026-11-27", None).await;
    assert_eq!((unknown.status, error_code(&unknown)), (StatusCode::UNPROCESSABLE_ENTITY, "unknown_service"));
    let bad_date =
        app.admin(Method::GET, "/admin/tenants/fresh-cuts/availability?service=fade&date=friday", None).await;
    assert_eq!(bad_date.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn bookings_are_made_listed_and_refused_with_reasons() {
    let app = TestApp::new().await;
    let created =
        app.admin(Method::POST, "/admin/tenants/fresh-cuts/bookings", Some(&booking_body("2026-11-27T14:00"))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let booking = &created.body;
    assert_eq!(booking["start"], "2026-11-27T14:00:00-05:00");
    assert_eq!(booking["end"], "2026-11-27T14:45:00-05:00");
    assert_eq!((booking["service"].as_str(), booking["staff"].as_str()), (Some("Skin fade"), Some("Marco")));
    assert_eq!((booking["status"].as_str(), booking["source"].as_str()), (Some("confirmed"), Some("admin")));
    assert_eq!(booking["customer_phone"], "+15555551234");
    assert_eq!(booking["code"].as_str().map(str::len), Some(6));

    // Marco is taken at 14:00, so the next booking goes to Dee; a third conflicts.
    let second = app
        .admin(Method::POST, "/admin/tenants/fresh-cuts/bookings", Some(&booking_body("2026-11-27T14:00:00-05:00")))
        .await;
    assert_eq!(second.body["staff"], "Dee", "{}", second.body);
    let third =
        app.admin(Method::POST, "/admin/tenants/fresh-cuts/bookings", Some(&booking_body("2026-11-27T14:15"))).await;
    assert_eq!((third.status, error_code(&third)), (StatusCode::CONFLICT, "slot_taken"));
    let alternatives = third.body["error"]["details"].as_array().cloned().unwrap_or_default();
    assert_eq!(alternatives.len(), 2, "{}", third.body);

    let refusals = [
        ("2026-11-29T12:00", "outside_hours"),
        ("2026-11-24T10:30", "too_short_notice"),
        ("2027-02-01T12:00", "too_far_ahead"),
        ("2026-11-20T12:00", "in_the_past"),
    ];
    for (start, code) in refusals {
        let reply = app.admin(Method::POST, "/admin/tenants/fresh-cuts/bookings", Some(&booking_body(start))).await;
        assert_eq!(
            (reply.status, error_code(&reply)),
            (StatusCode::UNPROCESSABLE_ENTITY, code),
            "{start}: {}",
            reply.body
        );
    }
    let mut thanksgiving = booking_body("2026-11-26T10:00");
    thanksgiving["service"] = json!("cleaning");
    let reply = app.admin(Method::POST, "/admin/tenants/bright-smile/bookings", Some(&thanksgiving)).await;
    assert_eq!((reply.status, error_code(&reply)), (StatusCode::UNPROCESSABLE_ENTITY, "closed"), "{}", reply.body);
    let mut unknown = booking_body("2026-11-27T10:00");
    unknown["service"] = json!("perm");
    let reply = app.admin(Method::POST, "/admin/tenants/fresh-cuts/bookings", Some(&unknown)).await;
    assert_eq!(error_code(&reply), "unknown_service");
    let mut bad_phone = booking_body("2026-11-27T10:00");
    bad_phone["customer_phone"] = json!("555-1234");
    let reply = app.admin(Method::POST, "/admin/tenants/fresh-cuts/bookings", Some(&bad_phone)).await;
    assert_eq!(reply.body["error"]["details"][0]["field"], "customer_phone");

    let listed = app
        .admin(Method::GET, "/admin/tenants/fresh-cuts/bookings?from=2026-11-27&to=2026-11-28&status=confirmed", None)
        .await;
    assert_eq!(listed.body["bookings"].as_array().map(Vec::len), Some(2), "{}", listed.body);
    let code = created.body["code"].as_str().unwrap_or_default();
    let by_code =
        app.admin(Method::GET, &format!("/admin/tenants/fresh-cuts/bookings/{}", code.to_lowercase()), None).await;
    assert_eq!(by_code.body["id"], created.body["id"]);
}

#[tokio::test]
async fn an_idempotency_key_makes_retries_safe() {
    let app = TestApp::new().await;
    let mut body = booking_body("2026-11-27T11:00");
    body["idempotency_key"] = json!("crm-sync-4711");
    let first = app.admin(Method::POST, "/admin/tenants/fresh-cuts/bookings", Some(&body)).await;
    assert_eq!(first.status, StatusCode::CREATED);
    app.clock.advance(Duration::seconds(5));
    let token = token_at("admin", crate::support::start_time() + Duration::seconds(5), 60);
    let retry = app.call(Method::POST, "/admin/tenants/fresh-cuts/bookings", Some(&token), Some(&body)).await;
    assert_eq!(retry.status, StatusCode::OK, "a replay is not a new booking: {}", retry.body);
    assert_eq!(retry.body["id"], first.body["id"]);
    let listed = app.call(Method::GET, "/admin/tenants/fresh-cuts/bookings", Some(&token), None).await;
    assert_eq!(listed.body["bookings"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn cancel_applies_the_notice_policy_unless_overridden_and_reschedule_moves() {
    let app = TestApp::new().await;
    // Fresh Cuts wants 4 hours' notice for cancellations.
    let soon =
        app.admin(Method::POST, "/admin/tenants/fresh-cuts/bookings", Some(&booking_body("2026-11-24T12:00"))).await;
    let soon_id = soon.body["id"].as_str().unwrap_or_default().to_owned();
    let refused = app.admin(Method::POST, &format!("/admin/tenants/fresh-cuts/bookings/{soon_id}/cancel"), None).await;
    assert_eq!((refused.status, error_code(&refused)), (StatusCode::UNPROCESSABLE_ENTITY, "too_late_to_cancel"));
    let forced = app
        .admin(
            Method::POST,
            &format!("/admin/tenants/fresh-cuts/bookings/{soon_id}/cancel"),
            Some(&json!({"override_policy": true})),
        )
        .await;
    assert_eq!((forced.status, forced.body["status"].as_str()), (StatusCode::OK, Some("cancelled")), "{}", forced.body);

    let later =
        app.admin(Method::POST, "/admin/tenants/fresh-cuts/bookings", Some(&booking_body("2026-11-27T15:00"))).await;
    let later_id = later.body["id"].as_str().unwrap_or_default().to_owned();
    let moved = app
        .admin(
            Method::POST,
            &format!("/admin/tenants/fresh-cuts/bookings/{later_id}/reschedule"),
            Some(&json!({"start": "2026-11-28T10:00"})),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    assert_eq!(
        (moved.body["start"].as_str(), moved.body["rescheduled_from"].as_str()),
        (Some("2026-11-28T10:00:00-05:00"), Some(later_id.as_str()))
    );
    assert_eq!(moved.body["code"], later.body["code"], "the caller keeps their code");
    let old = app.admin(Method::GET, &format!("/admin/tenants/fresh-cuts/bookings/{later_id}"), None).await;
    assert_eq!(old.body["status"], "cancelled");
    let into_closed = app
        .admin(
            Method::POST,
            &format!("/admin/tenants/fresh-cuts/bookings/{}/reschedule", moved.body["id"].as_str().unwrap_or_default()),
            Some(&json!({"start": "2026-11-29T10:00"})),
        )
        .await;
    assert_eq!(error_code(&into_closed), "outside_hours");

    // By code, and a caller's upcoming bookings by phone.
    let code = moved.body["code"].as_str().unwrap_or_default().to_owned();
    let mine = app.admin(Method::GET, "/admin/tenants/fresh-cuts/bookings?phone=%2B15555551234", None).await;
    let mine: Vec<&str> = mine.body["bookings"]
        .as_array()
        .map(|l| l.iter().filter_map(|b| b["id"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(mine, [moved.body["id"].as_str().unwrap_or_default()], "only the confirmed upcoming one");
    let by_code = app.admin(Method::POST, &format!("/admin/tenants/fresh-cuts/bookings/{code}/cancel"), None).await;
    assert_eq!(
        (by_code.status, by_code.body["id"].clone()),
        (StatusCode::OK, moved.body["id"].clone()),
        "{}",
        by_code.body
    );
    let nonsense = app.admin(Method::POST, "/admin/tenants/fresh-cuts/bookings/nope/cancel", None).await;
    assert_eq!(error_code(&nonsense), "invalid_booking_id");

    let other_shop = token_at("tenant:bright-smile", crate::support::start_time(), 60);
    let reply = app.call(Method::GET, "/admin/tenants/fresh-cuts/bookings", Some(&other_shop), None).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn free_text_is_refused_with_the_field_when_it_could_not_be_stored_alike() {
    let app = TestApp::new().await;
    let path = "/admin/tenants/fresh-cuts/bookings";
    let cases = [
        ("Jane\u{0}Doe", "customer_name: contains a control character (U+0000)"),
        ("Jane\nDoe", "customer_name: contains a control character (U+000A)"),
        ("   ", "customer_name: must not be blank"),
    ];
    for (name, expected) in cases {
        let mut body = booking_body("2026-11-27T14:00");
        body["customer_name"] = json!(name);
        let reply = app.admin(Method::POST, path, Some(&body)).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{name:?}: {}", reply.body);
        assert_eq!(crate::support::details(&reply), [expected], "{name:?}");
    }
    let mut body = booking_body("2026-11-27T14:00");
    body["customer_name"] = json!("J".repeat(60_000));
    let reply = app.admin(Method::POST, path, Some(&body)).await;
    assert_eq!(crate::support::details(&reply), ["customer_name: is too long (60000 characters; at most 100)"]);

    let mut body = booking_body("2026-11-27T14:00");
    body["idempotency_key"] = json!("k".repeat(201));
    let reply = app.admin(Method::POST, path, Some(&body)).await;
    assert_eq!(crate::support::details(&reply), ["idempotency_key: is too long (201 characters; at most 200)"]);

    // A profile with a NUL byte is refused, naming each field, on every store.
    let mut shop = crate::support::shop_json("nul-shop", &[]);
    shop["name"] = json!("Nul\u{0}Shop");
    shop["services"][0]["name"] = json!("Cut\u{0}");
    let reply = app.admin(Method::PUT, "/admin/tenants/nul-shop", Some(&shop)).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.body);
    assert_eq!(
        crate::support::details(&reply),
        ["name: contains a control character (U+0000)", "services[0].name: contains a control character (U+0000)"]
    );
    // Accents, quotes and emoji are text like any other.
    let mut body = booking_body("2026-11-27T15:00");
    body["customer_name"] = json!("Zoë O'Brien-Núñez ✂️");
    let reply = app.admin(Method::POST, path, Some(&body)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(reply.body["customer_name"], "Zoë O'Brien-Núñez ✂️");
}

#[tokio::test]
async fn availability_of_days_already_past_says_so() {
    let app = TestApp::new().await;
    let reply = app
        .admin(Method::GET, "/admin/tenants/fresh-cuts/availability?service=Haircut&date=2026-11-20&days=2", None)
        .await;
    assert_eq!((reply.status, error_code(&reply)), (StatusCode::UNPROCESSABLE_ENTITY, "in_the_past"), "{}", reply.body);
    // A window reaching today is fine (the frozen clock is Tuesday 2026-11-24).
    let reply = app
        .admin(Method::GET, "/admin/tenants/fresh-cuts/availability?service=Haircut&date=2026-11-23&days=2", None)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}
