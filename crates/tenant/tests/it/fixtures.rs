use chrono::{NaiveDate, Weekday};
use frontdesk_tenant::{ProfileDocument, TenantProfile};

use crate::read_fixture;

fn load(name: &str) -> TenantProfile {
    let document = ProfileDocument::from_toml(&read_fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    TenantProfile::parse(&document).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn fresh_cuts_is_a_barbershop_with_two_barbers() {
    let shop = load("fresh-cuts.toml");
    assert_eq!(shop.slug().as_str(), "fresh-cuts");
    assert_eq!(shop.timezone().name(), "America/New_York");
    assert_eq!(shop.phone_numbers().iter().map(|n| n.as_str()).collect::<Vec<_>>(), ["+15555550100"]);
    assert_eq!(shop.staff().len(), 2);
    assert!(shop.services().len() >= 5);
    for day in [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri] {
        assert_eq!(shop.hours().on(day).iter().map(ToString::to_string).collect::<Vec<_>>(), ["09:00-18:00"]);
    }
    assert_eq!(shop.hours().on(Weekday::Sat).iter().map(ToString::to_string).collect::<Vec<_>>(), ["09:00-16:00"]);
    assert!(shop.hours().on(Weekday::Sun).is_empty());
    assert!(shop.is_closure(NaiveDate::from_ymd_opt(2026, 12, 25).unwrap_or_default()));

    let fade = shop.service_by_phrase("Bald-Fade").map(|s| s.name());
    assert_eq!(fade, Some("Skin fade"));
    let shave = shop.service_by_phrase("shave");
    let performers: Vec<&str> = shave.map(|s| shop.staff_for(s).iter().map(|m| m.name()).collect()).unwrap_or_default();
    assert_eq!(performers, ["Marco"]);
}

#[test]
fn bright_smile_is_a_clinic_with_a_lunch_break_in_another_zone() {
    let clinic = load("bright-smile.toml");
    assert_eq!(clinic.timezone().name(), "America/Los_Angeles");
    assert_eq!(
        clinic.hours().on(Weekday::Mon).iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["08:00-12:00", "13:00-17:00"]
    );
    assert!(clinic.services().iter().all(|s| s.duration_minutes() == 60));
}

#[test]
fn canonical_documents_round_trip() {
    for name in ["fresh-cuts.toml", "bright-smile.toml"] {
        let profile = load(name);
        let document = profile.to_document();
        let json = serde_json::to_vec(&document).unwrap_or_default();
        let reparsed = ProfileDocument::from_json(&json)
            .map_err(|e| e.to_string())
            .and_then(|d| TenantProfile::parse(&d).map_err(|e| e.to_string()));
        assert_eq!(reparsed.as_ref(), Ok(&profile), "{name}");
        assert_eq!(reparsed.map(|p| p.to_document()), Ok(document), "{name}: canonical form is stable");
    }
}
