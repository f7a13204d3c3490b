//! What the tests share beyond `frontdesk_routing::scenarios` (the demo
//! shops' profiles, the in-memory line): numbers, and a call on Monday
//! morning.

use chrono::{DateTime, Utc};
use frontdesk_core::E164;
use frontdesk_tenant::TenantProfile;

pub fn phone(raw: &str) -> E164 {
    E164::parse(raw).unwrap_or_else(|e| panic!("{e}"))
}

/// A call of `profile` on Monday morning, with `policy`.
pub fn call_context<'a>(
    profile: &'a TenantProfile,
    caller: Option<&'a E164>,
    policy: frontdesk_routing::CallPolicy,
) -> frontdesk_routing::CallContext<'a> {
    frontdesk_routing::CallContext { profile, caller, now: monday_morning(), policy, spent: Default::default() }
}

pub fn monday_morning() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-23T10:00:00-05:00").map(|t| t.with_timezone(&Utc)).unwrap_or_default()
}
