//! frontdesk-calendar integration tests.

mod attendance;
mod availability;
mod dst;
mod owner_notices;
mod reminders;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use frontdesk_tenant::{ProfileDocument, TenantProfile};

pub fn fixture(name: &str) -> TenantProfile {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/tenants").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    profile_from_toml(&text)
}

pub fn profile_from_toml(text: &str) -> TenantProfile {
    let document = ProfileDocument::from_toml(text).unwrap_or_else(|e| panic!("{e}"));
    TenantProfile::parse(&document).unwrap_or_else(|e| panic!("{e}"))
}

/// `local(tz, "2026-11-27 09:00")` in UTC.
pub fn local(tz: Tz, at: &str) -> DateTime<Utc> {
    let naive = chrono::NaiveDateTime::parse_from_str(at, "%Y-%m-%d %H:%M").unwrap_or_else(|e| panic!("{at}: {e}"));
    tz.from_local_datetime(&naive).earliest().unwrap_or_else(|| panic!("{at} does not exist")).with_timezone(&Utc)
}

pub fn date(raw: &str) -> NaiveDate {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").unwrap_or_else(|e| panic!("{e}"))
}

/// Slots as `HH:MM staff` in the zone, for readable assertions.
pub fn describe(tz: Tz, slots: &[frontdesk_calendar::Slot]) -> Vec<String> {
    slots
        .iter()
        .map(|s| format!("{} {}", s.start.with_timezone(&tz).format("%H:%M"), s.staff.as_deref().unwrap_or("-")))
        .collect()
}

/// Jane Doe's haircut at `at` (local time in New York), booked by phone.
pub fn janes_haircut(at: &str, notify_customer: bool) -> frontdesk_calendar::BookingRequest {
    frontdesk_calendar::BookingRequest {
        service: "haircut".to_owned(),
        start: local(chrono_tz::America::New_York, at),
        staff: None,
        customer: frontdesk_calendar::Customer {
            name: "Jane Doe".to_owned(),
            phone: frontdesk_core::E164::parse("+15555551234").unwrap_or_else(|e| panic!("{e}")),
        },
        source: frontdesk_calendar::BookingSource::Phone,
        idempotency_key: None,
        hold: None,
        notify_customer,
    }
}
