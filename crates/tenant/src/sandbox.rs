//! Sandbox tenants: a copy of a shop that takes test traffic.
//!
//! `adminctl loadtest` and `simulate` call a sandbox unless told that a live
//! shop is meant. A sandbox answers like the shop it copies (services, hours,
//! staff, rules, FAQs), but it owns a fictional number, mirrors nothing to an
//! external calendar, is never billed and is purged when the run ends (see
//! [`crate::TenantKind::Sandbox`]).

use frontdesk_core::{E164, TenantId};

use crate::document::ProfileDocument;
use crate::problems::ValidationErrors;
use crate::profile::TenantProfile;

/// Every sandbox's id starts with this.
pub const SANDBOX_PREFIX: &str = "sandbox-";

/// Longest shop name a profile accepts (see `TenantProfile::parse`).
const MAX_NAME_CHARS: usize = 200;
const SANDBOX_SUFFIX: &str = " (sandbox)";

/// A sandbox id from 32 random bits: `sandbox-1a2b3c4d`.
pub fn sandbox_slug(random: u32) -> TenantId {
    TenantId::parse(&format!("{SANDBOX_PREFIX}{random:08x}"))
        .unwrap_or_else(|_| unreachable!("lowercase hex after a fixed prefix is a valid tenant id"))
}

/// A number no one can own: North America keeps 555-0100 to 555-0199 of
/// every area code for fiction. `random` picks the area code (200–999) and
/// the last two digits, 80,000 numbers in all.
pub fn sandbox_number(random: u32) -> E164 {
    let area = 200 + random % 800;
    let line = (random / 800) % 100;
    E164::parse(&format!("+1{area}55501{line:02}"))
        .unwrap_or_else(|_| unreachable!("eleven digits after +1 is a valid number"))
}

/// The sandbox copy of `source`: the same shop under `slug`, answering on
/// `number` only, named "… (sandbox)", with no calendar to mirror bookings to
/// and no Twilio account of its own (test calls are signed with the
/// platform's token).
pub fn sandbox_profile(
    source: &TenantProfile,
    slug: &TenantId,
    number: E164,
) -> Result<TenantProfile, ValidationErrors> {
    let mut document: ProfileDocument = source.to_document();
    document.slug = Some(slug.to_string());
    let name: String = source.name().chars().take(MAX_NAME_CHARS - SANDBOX_SUFFIX.chars().count()).collect();
    document.name = Some(format!("{}{SANDBOX_SUFFIX}", name.trim_end()));
    document.phone_numbers = vec![number.to_string()];
    document.calendar_id = None;
    document.twilio_auth_token = None;
    for member in &mut document.staff {
        member.calendar_id = None;
    }
    TenantProfile::parse(&document)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shop(name: &str) -> TenantProfile {
        let text = format!(
            r#"
slug = "fresh-cuts"
name = "{name}"
timezone = "America/New_York"
phone_numbers = ["+15555550100", "+15555550101"]
owner_phone = "+15555550199"
calendar_id = "shop@example.com"
twilio_auth_token = "0123456789abcdef0123456789abcdef"

[hours]
mon = ["09:00-17:00"]

[[services]]
name = "Haircut"
duration_minutes = 30
price_cents = 3000

[[staff]]
name = "Sam"
calendar_id = "sam@example.com"
"#
        );
        let document = ProfileDocument::from_toml(&text).unwrap_or_else(|e| panic!("{e}"));
        TenantProfile::parse(&document).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_sandbox_answers_like_its_shop_on_a_fictional_number_and_touches_nothing_outside() {
        let slug = sandbox_slug(0x1a2b_3c4d);
        assert_eq!(slug.as_str(), "sandbox-1a2b3c4d");
        let number = sandbox_number(123_456);
        let copy = sandbox_profile(&shop("Fresh Cuts"), &slug, number.clone()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(copy.slug(), &slug);
        assert_eq!(copy.name(), "Fresh Cuts (sandbox)");
        assert_eq!(copy.phone_numbers(), [number]);
        assert_eq!(copy.calendar_id(), None);
        assert_eq!(copy.twilio_auth_token(), None);
        assert!(copy.staff().iter().all(|member| member.calendar_id().is_none()));
        assert_eq!(copy.services().len(), 1);
        assert_eq!(copy.owner_phone().as_str(), "+15555550199");
    }

    #[test]
    fn a_long_name_still_fits() {
        let long = "x".repeat(MAX_NAME_CHARS);
        let copy = sandbox_profile(&shop(&long), &sandbox_slug(1), sandbox_number(1)).unwrap_or_else(|e| panic!("{e}"));
        assert!(copy.name().ends_with(" (sandbox)"));
        assert_eq!(copy.name().chars().count(), MAX_NAME_CHARS);
    }

    #[test]
    fn sandbox_numbers_are_the_fictional_555_01xx_of_some_area_code() {
        for random in [0, 1, 799, 800, 79_999, 80_000, u32::MAX] {
            let number = sandbox_number(random);
            let digits = number.as_str();
            assert_eq!(digits.len(), 12, "{digits}");
            assert!(digits.starts_with("+1"), "{digits}");
            assert_eq!(&digits[5..10], "55501", "{digits}");
            let area: u32 = digits[2..5].parse().unwrap_or(0);
            assert!((200..=999).contains(&area), "{digits}");
        }
        assert_ne!(sandbox_number(0), sandbox_number(800));
    }
}
