//! The text form of `TenantFlagSettings` kept in a shared cache.
//!
//! `v1;plan=pro;allow_ai_booking=0;enable_rag=1`: a version, the plan, then
//! one `name=0|1` entry per override in flag-name order. Processes of
//! different releases share the cache during a rolling deploy, so a flag name
//! this build does not know is skipped rather than refused: a newer process
//! may know more flags. Anything else that does not parse is an error, and the
//! caller should treat the entry as unusable and go to the store.

use std::collections::BTreeMap;

use frontdesk_core::{Plan, UnknownPlan};

use crate::flag::{Flag, TenantFlagSettings};

const VERSION: &str = "v1";

/// Why a cached text could not be read back as `TenantFlagSettings`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The text starts with something other than `v1`: written by a release
    /// with another format, or not ours at all.
    #[error("unsupported flag settings version {0:?}: expected \"v1\"")]
    UnsupportedVersion(String),
    /// No `plan=` entry: settings cannot be evaluated without one.
    #[error("flag settings have no plan entry")]
    MissingPlan,
    /// A plan this build does not know.
    #[error(transparent)]
    UnknownPlan(#[from] UnknownPlan),
    /// An entry that is not `name=0` or `name=1` (or `plan=<plan>`).
    #[error("malformed flag settings entry {0:?}: expected name=0 or name=1")]
    MalformedEntry(String),
    /// The same plan or flag appears twice: the writer had a bug.
    #[error("flag settings entry {0:?} appears more than once")]
    DuplicateEntry(String),
}

impl TenantFlagSettings {
    /// The compact, versioned text form, for a cache shared between
    /// processes. `decode` reads it back.
    pub fn encode(&self) -> String {
        let mut text = format!("{VERSION};plan={}", self.plan.as_str());
        for (flag, enabled) in &self.overrides {
            text.push(';');
            text.push_str(flag.as_str());
            text.push_str(if *enabled { "=1" } else { "=0" });
        }
        text
    }

    /// Reads the text `encode` wrote. Overrides of flags this build does not
    /// know are ignored; any malformed entry is an error.
    pub fn decode(text: &str) -> Result<TenantFlagSettings, DecodeError> {
        let mut entries = text.split(';');
        let version = entries.next().unwrap_or_default();
        if version != VERSION {
            return Err(DecodeError::UnsupportedVersion(version.to_owned()));
        }
        let mut plan = None;
        let mut overrides = BTreeMap::new();
        let mut seen_unknown: Vec<&str> = Vec::new();
        for entry in entries {
            let Some((name, value)) = entry.split_once('=') else {
                return Err(DecodeError::MalformedEntry(entry.to_owned()));
            };
            if name == "plan" {
                if plan.is_some() {
                    return Err(DecodeError::DuplicateEntry(name.to_owned()));
                }
                plan = Some(Plan::parse(value)?);
                continue;
            }
            let enabled = match value {
                "1" => true,
                "0" => false,
                _ => return Err(DecodeError::MalformedEntry(entry.to_owned())),
            };
            match Flag::parse(name) {
                Ok(flag) => {
                    if overrides.insert(flag, enabled).is_some() {
                        return Err(DecodeError::DuplicateEntry(name.to_owned()));
                    }
                }
                // A newer process knows this flag; we cannot act on it.
                Err(_) if !name.is_empty() => {
                    if seen_unknown.contains(&name) {
                        return Err(DecodeError::DuplicateEntry(name.to_owned()));
                    }
                    seen_unknown.push(name);
                }
                Err(_) => return Err(DecodeError::MalformedEntry(entry.to_owned())),
            }
        }
        let plan = plan.ok_or(DecodeError::MissingPlan)?;
        Ok(TenantFlagSettings { plan, overrides })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(plan: Plan, overrides: &[(Flag, bool)]) -> TenantFlagSettings {
        TenantFlagSettings { plan, overrides: overrides.iter().copied().collect() }
    }

    #[test]
    fn encodes_the_plan_then_overrides_in_flag_order() {
        let cases = [
            (settings(Plan::Starter, &[]), "v1;plan=starter"),
            (
                settings(Plan::Pro, &[(Flag::EnableRag, true), (Flag::AllowAiBooking, false)]),
                "v1;plan=pro;allow_ai_booking=0;enable_rag=1",
            ),
            (settings(Plan::Enterprise, &[(Flag::EnableSms, true)]), "v1;plan=enterprise;enable_sms=1"),
        ];
        for (settings, expected) in cases {
            assert_eq!(settings.encode(), expected);
            assert_eq!(TenantFlagSettings::decode(expected), Ok(settings));
        }
    }

    #[test]
    fn every_plan_and_every_override_round_trips() {
        for plan in Plan::ALL {
            for enabled in [true, false] {
                let all: Vec<(Flag, bool)> = Flag::ALL.iter().map(|flag| (*flag, enabled)).collect();
                let original = settings(plan, &all);
                assert_eq!(TenantFlagSettings::decode(&original.encode()), Ok(original));
            }
        }
    }

    #[test]
    fn flags_from_a_newer_release_are_ignored() {
        let decoded = TenantFlagSettings::decode("v1;plan=core;enable_rag=0;enable_teleportation=1;enable_sms=1");
        assert_eq!(decoded, Ok(settings(Plan::Core, &[(Flag::EnableRag, false), (Flag::EnableSms, true)])));
    }

    #[test]
    fn malformed_text_is_refused() {
        let malformed = |text: &str| DecodeError::MalformedEntry(text.to_owned());
        let cases = [
            ("", DecodeError::UnsupportedVersion(String::new())),
            ("v2;plan=pro", DecodeError::UnsupportedVersion("v2".to_owned())),
            ("plan=pro", DecodeError::UnsupportedVersion("plan=pro".to_owned())),
            ("v1", DecodeError::MissingPlan),
            ("v1;enable_rag=1", DecodeError::MissingPlan),
            ("v1;plan=gold", DecodeError::UnknownPlan(UnknownPlan("gold".to_owned()))),
            ("v1;plan=pro;plan=core", DecodeError::DuplicateEntry("plan".to_owned())),
            ("v1;plan=pro;enable_rag=1;enable_rag=0", DecodeError::DuplicateEntry("enable_rag".to_owned())),
            ("v1;plan=pro;enable_magic=1;enable_magic=1", DecodeError::DuplicateEntry("enable_magic".to_owned())),
            ("v1;plan=pro;", malformed("")),
            ("v1;plan=pro;enable_rag", malformed("enable_rag")),
            ("v1;plan=pro;enable_rag=yes", malformed("enable_rag=yes")),
            ("v1;plan=pro;enable_rag=", malformed("enable_rag=")),
            ("v1;plan=pro;enable_magic=2", malformed("enable_magic=2")),
            ("v1;plan=pro;=1", malformed("=1")),
            ("v1;plan=pro;;enable_rag=1", malformed("")),
        ];
        for (text, expected) in cases {
            assert_eq!(TenantFlagSettings::decode(text), Err(expected), "{text:?}");
        }
    }
}
