use frontdesk_language::{ServiceNames, match_service};

/// The services of fixtures/tenants/fresh-cuts.toml.
fn fresh_cuts() -> Vec<ServiceNames> {
    vec![
        ServiceNames::new("Haircut", ["cut", "regular cut", "trim", "mens cut", "scissor cut"]),
        ServiceNames::new("Skin fade", ["fade", "bald fade", "taper fade", "zero fade"]),
        ServiceNames::new("Buzz cut", ["buzz", "clipper cut", "all over"]),
        ServiceNames::new("Beard trim", ["beard", "beard tidy", "beard shape up", "line up"]),
        ServiceNames::new("Haircut and beard", ["cut and beard", "the works", "full service"]),
        ServiceNames::new("Hot towel shave", ["shave", "straight razor shave", "wet shave"]),
        ServiceNames::new("Kids cut", ["kid's haircut", "children's cut", "boys cut"]),
    ]
}

/// The services of fixtures/tenants/bright-smile.toml.
fn bright_smile() -> Vec<ServiceNames> {
    vec![
        ServiceNames::new(
            "Checkup and cleaning",
            ["cleaning", "checkup", "check up", "teeth cleaning", "hygiene appointment"],
        ),
        ServiceNames::new("Teeth whitening", ["whitening", "bleaching"]),
        ServiceNames::new("Filling", ["cavity", "cavity filling", "tooth filling"]),
        ServiceNames::new("Emergency visit", ["emergency", "toothache", "broken tooth", "urgent"]),
    ]
}

/// Checks the name of the service matched, or that none was.
fn check(services: &[ServiceNames], input: &str, expected: Option<&str>) {
    let found = match_service(input, services);
    let name = found.map(|m| services[m.index].name.as_str());
    assert_eq!(name, expected, "input: {input:?}, match: {found:?}");
    if let Some(found) = found {
        assert!((0.0..=1.0).contains(&found.confidence), "input: {input:?}, match: {found:?}");
    }
}

fn check_confidence(services: &[ServiceNames], input: &str, at_least: f32, at_most: f32) {
    let found = match_service(input, services);
    let confidence = found.map_or(-1.0, |m| m.confidence);
    assert!((at_least..=at_most).contains(&confidence), "input: {input:?}, match: {found:?}");
}

#[test]
fn barbershop() {
    let services = fresh_cuts();
    let check = |input, expected| check(&services, input, expected);
    check("i want a skin fade tomorrow at 2", Some("Skin fade"));
    check("SKIN FADE", Some("Skin fade"));
    check("Skin-fade, please.", Some("Skin fade"));
    check("can I get a haircut", Some("Haircut"));
    check("haircut and beard please", Some("Haircut and beard"));
    check("I'd like a haircut and a beard trim", Some("Haircut and beard"));
    check("cut and beard", Some("Haircut and beard"));
    check("beard trimm", Some("Beard trim"));
    check("just a beard", Some("Beard trim"));
    check("a bald fade", Some("Skin fade"));
    check("fade", Some("Skin fade"));
    check("fades", Some("Skin fade"));
    check("the works", Some("Haircut and beard"));
    check("a hot towel shave", Some("Hot towel shave"));
    check("a hot towl shave", Some("Hot towel shave"));
    check("shave", Some("Hot towel shave"));
    check("straight razor shave", Some("Hot towel shave"));
    check("kids haircut for my son", Some("Kids cut"));
    check("a kid's haircut", Some("Kids cut"));
    check("a kids cut", Some("Kids cut"));
    check("buzz cut", Some("Buzz cut"));
    check("just a buzz", Some("Buzz cut"));
    check("a hair cut", Some("Haircut"));
    check("regular cut", Some("Haircut"));
    check("line up", Some("Beard trim"));
    check("uh a taper fade", Some("Skin fade"));
    check("two haircuts", Some("Haircut"));
    check("no beard just a haircut", Some("Haircut"));
    check("not a fade, just a trim", Some("Haircut"));
}

#[test]
fn dental_clinic() {
    let services = bright_smile();
    let check = |input, expected| check(&services, input, expected);
    check("teeth whitening", Some("Teeth whitening"));
    check("whitenning", Some("Teeth whitening"));
    check("I'd like a cleaning", Some("Checkup and cleaning"));
    check("a check-up", Some("Checkup and cleaning"));
    check("a check up and cleaning", Some("Checkup and cleaning"));
    check("checkup", Some("Checkup and cleaning"));
    check("I have a toothache", Some("Emergency visit"));
    check("I think I have a cavity", Some("Filling"));
    check("a filling", Some("Filling"));
    check("tooth filling", Some("Filling"));
    check("bleaching", Some("Teeth whitening"));
    check("EMERGENCY", Some("Emergency visit"));
    check("I broke a tooth, a broken tooth", Some("Emergency visit"));
}

#[test]
fn unrelated_text_matches_nothing() {
    let barbershop = fresh_cuts();
    let clinic = bright_smile();
    check(&barbershop, "what time do you close", None);
    check(&barbershop, "can you share the address", None);
    check(&barbershop, "hello", None);
    check(&barbershop, "", None);
    check(&barbershop, "I'd like to book for tomorrow", None);
    check(&clinic, "it's not urgent", None);
    check(&clinic, "do you take insurance", None);
    check(&clinic, "a haircut", None);
    check(&[], "haircut", None);
}

#[test]
fn confidence_reflects_how_sure() {
    let services = fresh_cuts();
    check_confidence(&services, "skin fade", 0.9, 1.0);
    check_confidence(&services, "a bald fade", 0.85, 0.95);
    check_confidence(&services, "beard trimm", 0.6, 0.85);
    check_confidence(&services, "cut", 0.7, 0.85);
    let duplicated = vec![ServiceNames::new("Trim", ["tidy"]), ServiceNames::new("Beard tidy", ["tidy"])];
    check(&duplicated, "a tidy", Some("Trim"));
    check_confidence(&duplicated, "a tidy", 0.3, 0.6);
}
