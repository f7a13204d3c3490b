//! Every bad input gets its own precise message at its own field path, and a
//! document with many problems reports all of them at once.

use frontdesk_tenant::{ProfileDocument, TenantProfile};
use serde_json::{Value, json};

use crate::read_fixture;

fn fresh_cuts_json() -> Value {
    let document = ProfileDocument::from_toml(&read_fixture("fresh-cuts.toml")).unwrap_or_default();
    document.to_json()
}

/// Applies `edit` to the fresh-cuts document and returns the problems as
/// `field: message` lines (empty when valid).
fn problems_after(edit: impl FnOnce(&mut Value)) -> Vec<String> {
    let mut value = fresh_cuts_json();
    edit(&mut value);
    let document = match ProfileDocument::from_json(&serde_json::to_vec(&value).unwrap_or_default()) {
        Ok(document) => document,
        Err(error) => return vec![error.to_string()],
    };
    match TenantProfile::parse(&document) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.problems().iter().map(ToString::to_string).collect(),
    }
}

fn check(edit: impl FnOnce(&mut Value), expected: &[&str]) {
    assert_eq!(problems_after(edit), expected);
}

#[test]
fn the_fixture_itself_is_valid() {
    check(|_| {}, &[]);
}

#[test]
fn unknown_timezone() {
    check(
        |v| v["timezone"] = json!("Mars/Olympus_Mons"),
        &["timezone: unknown time zone \"Mars/Olympus_Mons\"; use an IANA name such as \"America/New_York\""],
    );
}

#[test]
fn malformed_overlapping_and_backwards_ranges() {
    check(
        |v| v["hours"]["mon"] = json!(["09:00-12:00", "11:00-13:00", "9-5", "18:00-17:00", "12:00-13:00"]),
        &[
            "hours.mon[1]: overlaps 09:00-12:00",
            "hours.mon[2]: expected a range like \"09:00-12:00\" (24-hour HH:MM-HH:MM), got \"9-5\"",
            "hours.mon[3]: ends at 17:00, which is not after its start 18:00",
        ],
    );
}

#[test]
fn staff_hours_are_validated_with_their_own_path() {
    check(
        |v| v["staff"][1]["hours"]["sat"] = json!(["10:00-14:00", "13:00-15:00"]),
        &["staff[1].hours.sat[1]: overlaps 10:00-14:00"],
    );
}

#[test]
fn service_naming_unknown_staff() {
    check(|v| v["services"][5]["staff"] = json!(["Bob"]), &["services[5].staff[0]: unknown staff member \"Bob\""]);
}

#[test]
fn staff_naming_unknown_service() {
    check(
        |v| v["staff"][1]["services"] = json!(["Haircut", "Perm"]),
        &["staff[1].services[1]: unknown service \"Perm\""],
    );
}

#[test]
fn service_restricted_to_someone_who_does_not_perform_it() {
    check(
        |v| v["services"][5]["staff"] = json!(["Dee"]),
        &["services[5].staff[0]: \"Dee\" does not perform this service (add it to staff[1].services)"],
    );
}

#[test]
fn duplicate_service_names_and_aliases() {
    check(
        |v| {
            v["services"][1]["name"] = json!("haircut!");
            v["services"][2]["aliases"] = json!(["Trim", "buzz", "buzz"]);
        },
        &[
            "services[1].name: \"haircut!\" duplicates services[0] (\"Haircut\")",
            "services[2].aliases[0]: \"Trim\" is already used by services[0] (\"Haircut\")",
            "services[2].aliases[2]: \"buzz\" repeats this service's name or another of its aliases",
            // Renaming services[1] breaks the reference to its old name.
            "staff[1].services[1]: unknown service \"Skin fade\"",
        ],
    );
}

#[test]
fn a_service_nobody_performs() {
    check(
        |v| {
            v["staff"][0]["services"] = json!(["Haircut", "Hot towel shave"]);
            v["staff"][1]["services"] = json!(["Haircut", "fade", "Buzz cut", "Beard trim", "Haircut and beard"]);
        },
        &["services[6]: no staff member performs \"Kids cut\""],
    );
}

#[test]
fn negative_durations_and_prices() {
    check(
        |v| {
            v["services"][0]["duration_minutes"] = json!(-30);
            v["services"][1]["price_cents"] = json!(-1);
            v["services"][2]["duration_minutes"] = json!(0);
        },
        &[
            "services[0].duration_minutes: must be positive, got -30",
            "services[1].price_cents: must not be negative, got -1",
            "services[2].duration_minutes: must be positive, got 0",
        ],
    );
}

#[test]
fn bad_phone_numbers_slug_and_dates() {
    check(
        |v| {
            v["slug"] = json!("Fresh Cuts");
            v["phone_numbers"] = json!(["+15555550100", "555-0100", "+1 555 555 0100"]);
            v["owner_phone"] = json!("call me");
            v["closures"] = json!(["2026-02-30"]);
        },
        &[
            "slug: tenant id \"Fresh Cuts\" may contain only lowercase letters, digits and dashes, must start with a letter or digit and must not end with a dash or contain \"--\"",
            "phone_numbers[1]: phone number \"555-0100\" has no country code; write it as +<country code><number>, e.g. +15555550100",
            "phone_numbers[2]: +15555550100 is listed twice",
            "owner_phone: phone number \"call me\" contains 'c'; only digits, spaces, dashes, dots and parentheses are allowed",
            "closures[0]: expected a date like \"2026-12-25\", got \"2026-02-30\"",
        ],
    );
}

#[test]
fn missing_required_fields_and_bad_booking_rules() {
    check(
        |v| {
            let object = v.as_object_mut().map(|o| {
                o.remove("name");
                o.remove("timezone");
            });
            assert!(object.is_some());
            v["booking"]["slot_interval_minutes"] = json!(0);
            v["booking"]["buffer_minutes"] = json!(-5);
            v["faqs"][0]["answer"] = json!("   ");
        },
        &[
            "name: is required",
            "timezone: is required",
            "booking.buffer_minutes: must be between 0 and 1440, got -5",
            "booking.slot_interval_minutes: must be between 1 and 1440, got 0",
            "faqs[0].answer: must not be blank",
        ],
    );
}

#[test]
fn wrong_types_and_unknown_fields_report_their_path() {
    check(
        |v| v["services"][3]["price_cents"] = json!("twenty"),
        &["services[3].price_cents: invalid type: string \"twenty\", expected i64"],
    );
    let unknown = problems_after(|v| v["staff"][0]["nickname"] = json!("M"));
    assert_eq!(unknown.len(), 1);
    assert!(unknown[0].starts_with("staff[0].nickname: unknown field `nickname`"), "{unknown:?}");
}

#[test]
fn control_characters_are_refused_where_people_type_text() {
    check(
        |v| {
            v["name"] = json!("Fresh\u{0}Cuts");
            v["greeting"] = json!("Hi!\u{7}");
            v["address"] = json!("214 Bedford Avenue\nBrooklyn");
            v["faqs"][0]["answer"] = json!("Yes\u{0}");
            v["staff"][1]["name"] = json!("De\u{1b}e");
            v["services"][0]["aliases"][0] = json!("cut\u{0}");
        },
        &[
            "name: contains a control character (U+0000)",
            "greeting: contains a control character (U+0007)",
            "services[0].aliases[0]: contains a control character (U+0000)",
            "staff[1].name: contains a control character (U+001B)",
            "faqs[0].answer: contains a control character (U+0000)",
        ],
    );
}

#[test]
fn every_free_text_field_has_a_length_limit() {
    let long = "x".repeat(2001);
    check(
        |v| {
            v["greeting"] = json!(long);
            v["services"][0]["aliases"][0] = json!("y".repeat(201));
        },
        &[
            "greeting: is too long (2001 characters; at most 2000)",
            "services[0].aliases[0]: is too long (201 characters; at most 200)",
        ],
    );
}

#[test]
fn reminder_hours_are_checked_and_kept_latest_first() {
    check(
        |v| v["reminders"] = json!({"hours_before": [0, 24, 24, 200]}),
        &[
            "reminders.hours_before[0]: must be between 1 and 168 hours, got 0",
            "reminders.hours_before[2]: 24 is listed twice",
            "reminders.hours_before[3]: must be between 1 and 168 hours, got 200",
            "reminders.hours_before: at most 3 reminders, got 4",
        ],
    );
    let parse = |reminders: Value| {
        let mut value = fresh_cuts_json();
        value["reminders"] = reminders;
        let document = ProfileDocument::from_json(&serde_json::to_vec(&value).unwrap_or_default());
        let profile = TenantProfile::parse(&document.unwrap_or_default());
        profile.map(|p| p.reminders().hours_before().to_vec()).unwrap_or_default()
    };
    assert_eq!(parse(json!({})), [24, 2], "the default: a day before and two hours before");
    assert_eq!(parse(json!({"hours_before": [2, 48]})), [48, 2]);
    assert_eq!(parse(json!({"hours_before": []})), Vec::<u32>::new(), "none at all");
}

#[test]
fn notification_preferences_are_checked_with_their_paths() {
    check(
        |v| {
            v["notifications"] = json!({
                "slack_webhook_url": "http://hooks.slack.com/services/T0/B0/x",
                "email": "owner at shop",
                "events": ["booking_made", "booking_made", "daily_digest", "everything"],
            })
        },
        &[
            "notifications.slack_webhook_url: must be an https:// URL such as \"https://hooks.slack.com/services/…\"",
            "notifications.email: \"owner at shop\" is not an e-mail address such as \"owner@shop.example\"",
            "notifications.events[1]: \"booking_made\" is listed twice",
            "notifications.events[2]: the digest is chosen with `digest = true`, not as an event",
            "notifications.events[3]: unknown event \"everything\"; known are booking_made, booking_cancelled, booking_rescheduled, voicemail, callback_created, message_taken, customer_text",
        ],
    );
    check(
        |v| v["notifications"] = json!({"slack_webhook_url": "[redacted]"}),
        &[
            "notifications.slack_webhook_url: is the redaction marker, not a URL; send the real URL or leave the field out",
        ],
    );
    let unknown = problems_after(|v| v["notifications"] = json!({"pager": true}));
    assert!(unknown[0].starts_with("notifications.pager: unknown field `pager`"), "{unknown:?}");
}

#[test]
fn notification_preferences_default_to_every_event_by_text_and_round_trip() {
    use frontdesk_tenant::OwnerEvent;
    let parse = |notifications: Value| {
        let mut value = fresh_cuts_json();
        value["notifications"] = notifications;
        let document = ProfileDocument::from_json(&serde_json::to_vec(&value).unwrap_or_default());
        TenantProfile::parse(&document.unwrap_or_default()).unwrap_or_else(|e| panic!("{e}"))
    };
    let plain = parse(json!({}));
    let defaults = plain.notifications();
    assert!(defaults.sms() && !defaults.digest() && defaults.slack_webhook_url().is_none());
    assert!(OwnerEvent::ALL.into_iter().all(|event| defaults.wants(event)), "every event unless chosen");

    let chosen = parse(json!({
        "sms": false,
        "slack_webhook_url": "https://hooks.slack.com/services/T0/B0/secret",
        "email": "owner@shop.example",
        "events": ["voicemail", "booking_made"],
        "digest": true,
    }));
    let preferences = chosen.notifications();
    assert!(!preferences.sms() && preferences.digest());
    assert_eq!(preferences.email().map(|e| e.as_str()), Some("owner@shop.example"));
    assert!(preferences.wants(OwnerEvent::Voicemail) && !preferences.wants(OwnerEvent::BookingCancelled));
    assert_eq!(TenantProfile::parse(&chosen.to_document()).as_ref(), Ok(&chosen), "the canonical document round-trips");

    let shown = chosen.to_document().redacted();
    assert_eq!(shown.notifications.slack_webhook_url.as_deref(), Some("[redacted]"), "the webhook is a secret");
    assert!(!shown.to_json().to_string().contains("secret"));
    assert!(!format!("{chosen:?}").contains("secret"), "Debug never shows the webhook");
}
