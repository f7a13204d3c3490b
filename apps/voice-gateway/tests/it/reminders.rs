//! Reminder texts and the replies to them, through the gateway: bookings
//! made over the admin API schedule their reminders, the `sms.reminder`
//! job sends them as the worker would, and the customer's replies arrive as
//! signed `/twilio/sms` webhooks (fresh-cuts, on Pro, from Tuesday
//! 2026-11-24 10:00 in New York; its cancellation notice is 4 hours).

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use chrono::{TimeZone, Utc};
use frontdesk_calendar::SEND_REMINDER;
use frontdesk_core::{E164, TenantId};
use frontdesk_messaging::MessageLog;
use frontdesk_routing::{FlagReminders, NOTIFY_OWNER, OutboxMessaging, ReminderTexts};
use serde_json::{Value, json};

use crate::support::{TestApp, run_next};

const CUSTOMER: &str = "+15555551234";
const SHOP_NUMBER: &str = "+15555550100";

fn fresh_cuts() -> TenantId {
    TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}"))
}

async fn book(app: &TestApp, start: &str) -> Value {
    let body = json!({"service": "haircut", "start": start, "customer_name": "Jane Doe", "customer_phone": CUSTOMER});
    let reply = app.admin(Method::POST, "/admin/tenants/fresh-cuts/bookings", Some(&body)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{start}: {}", reply.body);
    reply.body
}

async fn booking(app: &TestApp, id: &str) -> Value {
    app.admin(Method::GET, &format!("/admin/tenants/fresh-cuts/bookings/{id}"), None).await.body
}

fn id(booking: &Value) -> String {
    booking["id"].as_str().unwrap_or_else(|| panic!("no id in {booking}")).to_owned()
}

/// The customer texts `body`; the reply the shop sends back ("" for none).
pub(crate) async fn text(app: &TestApp, sid: &str, body: &str) -> String {
    let (status, twiml) = app
        .twilio("/twilio/sms", &[("MessageSid", sid), ("From", CUSTOMER), ("To", SHOP_NUMBER), ("Body", body)])
        .await;
    assert_eq!(status, StatusCode::OK, "{twiml}");
    match (twiml.find("<Message>"), twiml.find("</Message>")) {
        (Some(from), Some(to)) => twiml[from + "<Message>".len()..to].replace("&apos;", "'"),
        _ => String::new(),
    }
}

/// The jobs of `kind`: (unique key, state, run at in New York as "Wed 14:00").
async fn jobs(app: &TestApp, kind: &str) -> Vec<(String, String, String)> {
    let listed = app.admin(Method::GET, "/admin/jobs?limit=200", None).await.body;
    let mut found: Vec<(String, String, String)> = listed["jobs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|job| job["kind"] == kind)
        .map(|job| {
            let run_at = job["run_at"].as_str().and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok());
            let local = run_at.map(|at| at.with_timezone(&chrono_tz::America::New_York).format("%a %H:%M").to_string());
            (
                job["unique_key"].as_str().unwrap_or_default().to_owned(),
                job["state"].as_str().unwrap_or_default().to_owned(),
                local.unwrap_or_default(),
            )
        })
        .collect();
    found.sort();
    found
}

pub(crate) fn reminders_handler(app: &TestApp) -> ReminderTexts {
    ReminderTexts {
        tenants: app.store.clone(),
        bookings: app.store.clone(),
        messages: app.store.clone(),
        messaging: Arc::new(OutboxMessaging),
        switch: Arc::new(FlagReminders::new(app.billing.flags.clone())),
        metering: app.billing.metering.clone(),
    }
}

/// 2026-11-`day` at `hour:minute` in New York.
fn set_clock(app: &TestApp, day: u32, hour: u32, minute: u32) {
    let at = chrono_tz::America::New_York.with_ymd_and_hms(2026, 11, day, hour, minute, 0).single();
    app.clock.set(at.map(|at| at.with_timezone(&Utc)).unwrap_or_else(|| panic!("no such time")));
}

#[tokio::test]
async fn a_booking_is_reminded_a_day_and_two_hours_before_and_c_confirms_it() {
    let app = TestApp::new().await;
    let booked = book(&app, "2026-11-26T14:00").await;
    let key = |hours: u32| format!("reminder:{}:{hours}h", id(&booked));
    assert_eq!(
        jobs(&app, SEND_REMINDER).await,
        [(key(24), "queued".to_owned(), "Wed 14:00".to_owned()), (key(2), "queued".to_owned(), "Thu 12:00".to_owned())]
    );

    set_clock(&app, 25, 14, 0);
    run_next(&app.store, &app.clock, &reminders_handler(&app)).await.unwrap_or_else(|e| panic!("{e}"));
    let sent = app.store.list_messages(&fresh_cuts(), 10).await.unwrap_or_else(|e| panic!("{e}"));
    let reminder = sent.first().unwrap_or_else(|| panic!("no reminder"));
    assert_eq!(reminder.to.as_str(), CUSTOMER);
    assert_eq!(reminder.status, "sent");
    assert_eq!(reminder.booking_id.as_deref(), Some(id(&booked).as_str()));
    assert_eq!(
        reminder.body,
        "Fresh Cuts Barbershop: reminder, haircut tomorrow at 2:00 PM with Marco. Reply C to confirm, R to reschedule, X to cancel. STOP to opt out"
            .replace(" with Marco", &booked["staff"].as_str().map(|s| format!(" with {s}")).unwrap_or_default())
    );
    let usage = app.admin(Method::GET, "/admin/tenants/fresh-cuts/usage", None).await.body;
    assert_eq!(usage["usage"]["sms_segments"], 1, "the reminder is metered: {usage}");

    let reply = text(&app, "SM-c", "C").await;
    assert_eq!(reply, "Fresh Cuts Barbershop: thanks, your haircut tomorrow at 2:00 PM is confirmed. See you then!");
    let confirmed = booking(&app, &id(&booked)).await;
    assert_eq!(confirmed["confirmed_at"], "2026-11-25T19:00:00Z", "{confirmed}");
    assert_eq!(confirmed["status"], "confirmed");
    let usage = app.admin(Method::GET, "/admin/tenants/fresh-cuts/usage", None).await.body;
    assert_eq!(usage["usage"]["sms_segments"], 2, "the reply is metered too: {usage}");
}

#[tokio::test]
async fn x_cancels_outside_the_notice_and_inside_it_says_to_call_and_tells_the_owner() {
    let app = TestApp::new().await;
    let later = book(&app, "2026-11-26T14:00").await;
    let reply = text(&app, "SM-x1", "x").await;
    assert_eq!(
        reply,
        "Fresh Cuts Barbershop: your haircut Thu, Nov 26 at 2:00 PM is cancelled. To book again, call us at +15555550100."
    );
    assert_eq!(booking(&app, &id(&later)).await["status"], "cancelled");
    let withdrawn: Vec<String> = jobs(&app, SEND_REMINDER).await.into_iter().map(|(_, state, _)| state).collect();
    assert_eq!(withdrawn, ["cancelled", "cancelled"], "its reminders are withdrawn");

    // Today at 12:30: two and a half hours away, inside the 4-hour notice.
    let soon = book(&app, "2026-11-24T12:30").await;
    let reply = text(&app, "SM-x2", "X").await;
    assert_eq!(
        reply,
        "Fresh Cuts Barbershop: cancellations need 4 hours' notice, so we couldn't cancel your haircut today at 12:30 PM by text. Please call us at +15555550100."
    );
    assert_eq!(booking(&app, &id(&soon)).await["status"], "confirmed", "still booked");
    // The owner hears of the first (a cancellation by text) and of the
    // refused one.
    let notices: Vec<String> = jobs(&app, NOTIFY_OWNER).await.into_iter().map(|(key, _, _)| key).collect();
    assert_eq!(notices.len(), 2, "{notices:?}");
    assert!(notices.iter().any(|key| key.contains(":booking_cancelled:")), "{notices:?}");
    let listed = app.admin(Method::GET, "/admin/jobs?limit=200", None).await.body;
    let notice = listed["jobs"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|job| {
            job["kind"] == NOTIFY_OWNER && job["unique_key"].as_str().is_some_and(|k| k.contains("late-cancel"))
        })
        .cloned();
    let body = notice.map(|job| job["payload"]["body"].clone()).unwrap_or_default();
    assert_eq!(
        body,
        "Frontdesk: Jane Doe (+15555551234) asked by text to cancel their haircut today at 12:30 PM, inside your 4-hour notice. It is still booked; you may want to call them."
    );
}

#[tokio::test]
async fn r_offers_three_held_times_and_a_digit_moves_the_booking_and_its_reminders() {
    let app = TestApp::new().await;
    let booked = book(&app, "2026-11-26T14:00").await;
    let reply = text(&app, "SM-r", "R").await;
    assert!(reply.starts_with("Fresh Cuts Barbershop: to move your haircut, reply 1 for today at "), "{reply}");
    assert!(reply.ends_with(". Held for 15 minutes."), "{reply}");
    assert!(reply.contains(", 2 for ") && reply.contains(", 3 for "), "{reply}");
    let second = reply.split(", 2 for ").nth(1).and_then(|rest| rest.split(", 3 for ").next()).unwrap_or_default();

    assert!(!second.is_empty(), "{reply}");

    let reply = text(&app, "SM-2", "2").await;
    assert!(
        reply.starts_with(&format!("Fresh Cuts Barbershop: done, your haircut is moved to {second}.")),
        "{reply} / {second}"
    );
    assert!(reply.contains(&format!("Your code stays {}.", booked["code"].as_str().unwrap_or_default())), "{reply}");
    let old = booking(&app, &id(&booked)).await;
    assert_eq!(old["status"], "cancelled");
    let moved = booking(&app, old["rescheduled_to"].as_str().unwrap_or_default()).await;
    assert_eq!(moved["status"], "confirmed");
    let reminders = jobs(&app, SEND_REMINDER).await;
    let old_reminders: Vec<&str> =
        reminders.iter().filter(|(key, _, _)| key.contains(&id(&booked))).map(|(_, state, _)| state.as_str()).collect();
    assert_eq!(old_reminders, ["cancelled", "cancelled"], "{reminders:?}");
    assert!(reminders.iter().all(|(key, state, _)| key.contains(&id(&booked)) || state == "queued"));

    let again = text(&app, "SM-2b", "2").await;
    assert!(
        again.starts_with("Fresh Cuts Barbershop: reply C to confirm your haircut today at"),
        "taken once: {again}"
    );
}

#[tokio::test]
async fn an_offer_expires_after_fifteen_minutes() {
    let app = TestApp::new().await;
    book(&app, "2026-11-26T14:00").await;
    let reply = text(&app, "SM-r", "R").await;
    assert!(reply.contains("reply 1 for"), "{reply}");
    set_clock(&app, 24, 10, 16);
    let reply = text(&app, "SM-1", "1").await;
    assert!(
        reply.starts_with("Fresh Cuts Barbershop: reply C to confirm your haircut Thu, Nov 26 at 2:00 PM"),
        "{reply}"
    );
}

#[tokio::test]
async fn cancel_is_an_opt_out_that_keeps_the_appointment_and_tells_the_owner() {
    let app = TestApp::new().await;
    let booked = book(&app, "2026-11-26T14:00").await;
    assert_eq!(text(&app, "SM-cancel", "CANCEL").await, "", "the carrier confirms an opt-out");
    let caller = E164::parse(CUSTOMER).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(app.store.is_opted_out(&fresh_cuts(), &caller).await, Ok(true)));
    assert_eq!(booking(&app, &id(&booked)).await["status"], "confirmed", "CANCEL never cancels the appointment");
    let states: Vec<String> = jobs(&app, SEND_REMINDER).await.into_iter().map(|(_, state, _)| state).collect();
    assert_eq!(states, ["cancelled", "cancelled"], "no more reminders");
    let listed = app.admin(Method::GET, "/admin/jobs?limit=200", None).await.body;
    let notice = listed["jobs"].as_array().into_iter().flatten().find(|job| job["kind"] == NOTIFY_OWNER).cloned();
    let body = notice.map(|job| job["payload"]["body"].clone()).unwrap_or_default();
    assert_eq!(
        body,
        "Frontdesk: Jane Doe (+15555551234) texted CANCEL, which stops texts to them. Their haircut Thu, Nov 26 at 2:00 PM is still booked; call them if they meant to cancel it."
    );

    // Every other carrier word opts out too, and START undoes it.
    for (n, word) in ["STOP", "stopall", "Unsubscribe", "end", "QUIT", "revoke", "opt out"].iter().enumerate() {
        let back = text(&app, &format!("SM-start-{n}"), "START").await;
        assert!(back.contains("you'll get texts from us again"), "{back}");
        assert_eq!(text(&app, &format!("SM-out-{n}"), word).await, "", "{word}");
        assert!(matches!(app.store.is_opted_out(&fresh_cuts(), &caller).await, Ok(true)), "{word}");
    }
    assert!(text(&app, "SM-unstop", "unstop").await.contains("you'll get texts from us again"));
    assert!(matches!(app.store.is_opted_out(&fresh_cuts(), &caller).await, Ok(false)));
}

#[tokio::test]
async fn help_and_anything_else_point_the_way() {
    let app = TestApp::new().await;
    assert_eq!(
        text(&app, "SM-help", "HELP").await,
        "Fresh Cuts Barbershop: appointment texts. For help call us at +15555550100. Reply STOP to opt out."
    );
    assert!(text(&app, "SM-c0", "C").await.contains("couldn't find an upcoming appointment for this number"));
    assert!(text(&app, "SM-hi", "hi there").await.contains("To book, change or cancel an appointment, call us at"));
    book(&app, "2026-11-26T14:00").await;
    assert_eq!(
        text(&app, "SM-what", "what time was it again?").await,
        "Fresh Cuts Barbershop: reply C to confirm your haircut Thu, Nov 26 at 2:00 PM, R to reschedule or X to cancel. Or call us at +15555550100."
    );
    assert!(text(&app, "SM-3", "3").await.contains("reply C to confirm"), "a digit with no offer open");
    assert!(text(&app, "SM-yes", "Yes!").await.contains("is confirmed"), "YES confirms when there is a booking");
}

#[tokio::test]
async fn a_reminder_is_not_sent_for_a_moved_booking_nor_on_a_plan_without_reminders() {
    let app = TestApp::new().await;
    let booked = book(&app, "2026-11-26T14:00").await;
    // Moved by the operator: the old time's reminders are withdrawn and the
    // new time's scheduled.
    let body = json!({"start": "2026-11-27T11:00"});
    let path = format!("/admin/tenants/fresh-cuts/bookings/{}/reschedule", id(&booked));
    let moved = app.admin(Method::POST, &path, Some(&body)).await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    let reminders = jobs(&app, SEND_REMINDER).await;
    let queued: Vec<&str> =
        reminders.iter().filter(|(_, state, _)| state == "queued").map(|(_, _, at)| at.as_str()).collect();
    assert_eq!(queued, ["Thu 11:00", "Fri 09:00"], "{reminders:?}");

    // Starter has no reminders: a booking there schedules none.
    let plan = app.admin(Method::PUT, "/admin/tenants/bright-smile/plan", Some(&json!({"plan": "starter"}))).await;
    assert_eq!(plan.status, StatusCode::OK, "{}", plan.body);
    let body =
        json!({"service": "cleaning", "start": "2026-11-30T09:00", "customer_name": "Al", "customer_phone": CUSTOMER});
    let reply = app.admin(Method::POST, "/admin/tenants/bright-smile/bookings", Some(&body)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(jobs(&app, SEND_REMINDER).await.len(), 4, "none for bright-smile on Starter");
}
