use chrono::Duration;
use chrono_tz::America::{Los_Angeles, New_York};
use frontdesk_calendar::{Availability, Block, BookingError};

use crate::{date, describe, fixture, local};

fn block(staff: Option<&str>, from: &str, to: &str) -> Block {
    Block { staff: staff.map(str::to_owned), start: local(New_York, from), until: local(New_York, to) }
}

#[test]
fn a_friday_at_fresh_cuts() {
    let shop = fixture("fresh-cuts.toml");
    let now = local(New_York, "2026-11-23 12:00");
    let haircut = shop.service_by_phrase("haircut").unwrap_or_else(|| panic!("service"));
    let availability = Availability::new(&shop, haircut, None, now, &[]).unwrap_or_else(|e| panic!("{e}"));
    let friday = availability.day(date("2026-11-27"));
    let described = describe(New_York, &friday);
    assert_eq!(described.first().map(String::as_str), Some("09:00 Marco"), "Dee starts at 10:00");
    assert_eq!(described.last().map(String::as_str), Some("17:30 Marco"), "a 30-minute cut ends by 18:00");
    assert_eq!(friday.len(), 35, "every 15 minutes from 09:00 to 17:30");
    assert!(friday.iter().all(|s| s.end - s.start == Duration::minutes(30)));
}

#[test]
fn bookings_with_their_buffer_block_one_barber_and_the_other_takes_over() {
    let shop = fixture("fresh-cuts.toml");
    let now = local(New_York, "2026-11-23 12:00");
    let haircut = shop.service_by_phrase("cut").unwrap_or_else(|| panic!("service"));
    let blocks = [block(Some("Marco"), "2026-11-27 09:00", "2026-11-27 10:05")];
    let availability = Availability::new(&shop, haircut, None, now, &blocks).unwrap_or_else(|e| panic!("{e}"));
    let described = describe(New_York, &availability.day(date("2026-11-27")));
    assert_eq!(&described[..3], ["10:00 Dee", "10:15 Marco", "10:30 Marco"]);

    // Only Marco does shaves: while he is busy, no shave.
    let shave = shop.service_by_phrase("shave").unwrap_or_else(|| panic!("service"));
    let all_day = [block(Some("Marco"), "2026-11-27 09:00", "2026-11-27 18:00")];
    let availability = Availability::new(&shop, shave, None, now, &all_day).unwrap_or_else(|e| panic!("{e}"));
    assert!(availability.day(date("2026-11-27")).is_empty());

    // Shop-wide external busy time blocks everyone.
    let closed_for_event = [block(None, "2026-11-27 09:00", "2026-11-27 17:00")];
    let availability =
        Availability::new(&shop, haircut, None, now, &closed_for_event).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(describe(New_York, &availability.day(date("2026-11-27")))[0], "17:00 Marco");
}

#[test]
fn rules_say_why_a_time_cannot_be_booked() {
    let shop = fixture("fresh-cuts.toml");
    let now = local(New_York, "2026-11-27 09:30");
    let fade = shop.service_by_phrase("fade").unwrap_or_else(|| panic!("service"));
    let availability = Availability::new(&shop, fade, None, now, &[]).unwrap_or_else(|e| panic!("{e}"));

    let first_today = availability.day(date("2026-11-27"));
    assert_eq!(describe(New_York, &first_today)[0], "10:30 Marco", "60 minutes' notice");
    assert!(availability.day(date("2026-11-29")).is_empty(), "closed on Sundays");
    assert!(availability.day(date("2026-12-25")).is_empty(), "closed on Christmas");
    assert!(availability.day(date("2026-12-28")).is_empty(), "more than 30 days ahead");

    let check = |at: &str| availability.check(local(New_York, at)).map(|s| s.staff).map_err(|e| e.to_string());
    assert_eq!(check("2026-11-27 11:00"), Ok(Some("Marco".to_owned())));
    assert_eq!(check("2026-11-27 11:07"), Ok(Some("Marco".to_owned())), "admins may book off the grid");
    assert_eq!(check("2026-11-27 09:00"), Err("that time is in the past".to_owned()));
    assert_eq!(check("2026-11-27 10:00"), Err("bookings need at least 60 minutes' notice".to_owned()));
    assert_eq!(check("2026-11-29 12:00"), Err("that time is outside opening hours".to_owned()));
    assert_eq!(check("2026-11-27 17:30"), Err("that time is outside opening hours".to_owned()), "45 min ends 18:15");
    assert_eq!(check("2026-12-25 12:00"), Err("the shop is closed on 2026-12-25".to_owned()));
    assert_eq!(check("2027-01-15 12:00"), Err("bookings can be made at most 30 days ahead".to_owned()));
}

#[test]
fn a_taken_time_comes_with_the_nearest_alternatives() {
    let shop = fixture("fresh-cuts.toml");
    let now = local(New_York, "2026-11-23 12:00");
    let haircut = shop.service_by_phrase("haircut").unwrap_or_else(|| panic!("service"));
    let blocks = [
        block(Some("Marco"), "2026-11-27 13:00", "2026-11-27 15:05"),
        block(Some("Dee"), "2026-11-27 13:00", "2026-11-27 15:05"),
    ];
    let availability = Availability::new(&shop, haircut, None, now, &blocks).unwrap_or_else(|e| panic!("{e}"));
    match availability.check(local(New_York, "2026-11-27 14:00")) {
        Err(BookingError::Conflict { alternatives }) => {
            assert_eq!(describe(New_York, &alternatives), ["12:15 Marco", "15:15 Marco"], "one before, one after");
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    // A fully booked day falls through to the following days.
    let full = [
        block(Some("Marco"), "2026-11-28 09:00", "2026-11-28 16:00"),
        block(Some("Dee"), "2026-11-28 09:00", "2026-11-28 16:00"),
    ];
    let availability = Availability::new(&shop, haircut, None, now, &full).unwrap_or_else(|e| panic!("{e}"));
    let alternatives = availability.alternatives(local(New_York, "2026-11-28 11:00"), 2);
    let when: Vec<String> =
        alternatives.iter().map(|s| s.start.with_timezone(&New_York).format("%a %H:%M").to_string()).collect();
    assert_eq!(when, ["Mon 09:00", "Mon 09:15"], "Saturday is full and Sunday closed");
}

#[test]
fn a_requested_barber_is_honoured_or_refused_clearly() {
    let shop = fixture("fresh-cuts.toml");
    let now = local(New_York, "2026-11-23 12:00");
    let haircut = shop.service_by_phrase("haircut").unwrap_or_else(|| panic!("service"));
    let with_dee = Availability::new(&shop, haircut, Some("dee"), now, &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(describe(New_York, &with_dee.day(date("2026-11-27")))[0], "10:00 Dee");
    let shave = shop.service_by_phrase("shave").unwrap_or_else(|| panic!("service"));
    assert!(matches!(
        Availability::new(&shop, shave, Some("Dee"), now, &[]),
        Err(BookingError::StaffDoesNotPerform { .. })
    ));
    assert!(matches!(Availability::new(&shop, haircut, Some("Bob"), now, &[]), Err(BookingError::UnknownStaff(_))));
}

#[test]
fn the_clinic_s_lunch_break_is_respected() {
    let clinic = fixture("bright-smile.toml");
    let now = local(Los_Angeles, "2026-11-23 08:00");
    let whitening = clinic.service_by_phrase("whitening").unwrap_or_else(|| panic!("service"));
    let availability = Availability::new(&clinic, whitening, None, now, &[]).unwrap_or_else(|e| panic!("{e}"));
    let starts: Vec<String> =
        describe(Los_Angeles, &availability.day(date("2026-11-24"))).into_iter().map(|s| s[..5].to_owned()).collect();
    assert_eq!(
        starts,
        [
            "08:00", "08:30", "09:00", "09:30", "10:00", "10:30", "11:00", "13:00", "13:30", "14:00", "14:30", "15:00",
            "15:30", "16:00"
        ],
        "no 60-minute visit crosses 12:00-13:00 or ends after 17:00"
    );
    assert!(availability.day(date("2026-11-26")).is_empty(), "Thanksgiving closure");
}

#[test]
fn the_next_twenty_slots_span_days() {
    let shop = fixture("fresh-cuts.toml");
    let now = local(New_York, "2026-11-27 17:00");
    let haircut = shop.service_by_phrase("haircut").unwrap_or_else(|| panic!("service"));
    let availability = Availability::new(&shop, haircut, None, now, &[]).unwrap_or_else(|e| panic!("{e}"));
    let slots = availability.slots(date("2026-11-27"), 30, 20);
    assert_eq!(slots.len(), 20);
    assert!(slots.windows(2).all(|w| w[0].start < w[1].start));
    assert_eq!(slots[0].start, local(New_York, "2026-11-28 09:00"), "Friday has no time with 60 min notice left");
}
