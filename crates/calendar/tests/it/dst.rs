//! Daylight-saving days: no slot starts in a missing hour, a repeated hour
//! is offered once, and slots stay in order.

use chrono::Duration;
use chrono_tz::Europe::London;
use chrono_tz::Tz;
use frontdesk_calendar::Availability;

use crate::{date, profile_from_toml};

fn round_the_clock(tz: &str) -> frontdesk_tenant::TenantProfile {
    profile_from_toml(&format!(
        r#"
slug = "all-night"
name = "All Night Diner"
timezone = "{tz}"
owner_phone = "+15555550999"
[hours]
mon = ["00:00-24:00"]
tue = ["00:00-24:00"]
wed = ["00:00-24:00"]
thu = ["00:00-24:00"]
fri = ["00:00-24:00"]
sat = ["00:00-24:00"]
sun = ["00:00-24:00"]
[booking]
min_notice_minutes = 0
slot_interval_minutes = 30
max_days_ahead = 365
[[services]]
name = "Table"
duration_minutes = 30
price_cents = 0
"#
    ))
}

fn day(tz: Tz, on: &str) -> Vec<frontdesk_calendar::Slot> {
    let profile = round_the_clock(tz.name());
    let service = profile.services()[0].clone();
    let now = crate::local(tz, "2026-01-01 00:00");
    let availability = Availability::new(&profile, &service, None, now, &[]).unwrap_or_else(|e| panic!("{e}"));
    availability.day(date(on))
}

fn local_starts(tz: Tz, slots: &[frontdesk_calendar::Slot]) -> Vec<String> {
    slots.iter().map(|s| s.start.with_timezone(&tz).format("%H:%M").to_string()).collect()
}

fn assert_ordered_and_real_length(slots: &[frontdesk_calendar::Slot]) {
    assert!(slots.windows(2).all(|w| w[0].start < w[1].start), "strictly ordered");
    assert!(slots.iter().all(|s| s.end - s.start == Duration::minutes(30)), "30 real minutes each");
}

#[test]
fn spring_forward_skips_the_missing_hour() {
    for (tz, on, missing) in
        [(chrono_tz::America::New_York, "2026-03-08", ["02:00", "02:30"]), (London, "2026-03-29", ["01:00", "01:30"])]
    {
        let slots = day(tz, on);
        let starts = local_starts(tz, &slots);
        assert_eq!(slots.len(), 46, "{tz}: a 23-hour day");
        for gone in missing {
            assert!(!starts.contains(&gone.to_owned()), "{tz}: {gone} does not exist on {on}");
        }
        assert_ordered_and_real_length(&slots);
    }
}

#[test]
fn fall_back_offers_the_repeated_hour_once() {
    for (tz, on, repeated) in
        [(chrono_tz::America::New_York, "2026-11-01", ["01:00", "01:30"]), (London, "2026-10-25", ["01:00", "01:30"])]
    {
        let slots = day(tz, on);
        let starts = local_starts(tz, &slots);
        assert_eq!(slots.len(), 48, "{tz}: every wall-clock half hour once");
        for twice in repeated {
            assert_eq!(starts.iter().filter(|s| **s == twice).count(), 1, "{tz}: {twice} offered once");
        }
        assert_ordered_and_real_length(&slots);
    }
}
