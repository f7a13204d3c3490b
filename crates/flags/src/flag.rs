use std::collections::BTreeMap;
use std::fmt;

use frontdesk_core::Plan;

/// A switch the call path obeys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Flag {
    /// The receptionist books, moves and cancels appointments itself; off, it
    /// takes a message instead.
    AllowAiBooking,
    /// Questions answered from the shop's own knowledge by retrieval.
    EnableRag,
    /// Reminder texts before appointments.
    EnableReminders,
    /// Live transfer to a person when the machine is unsure or asked; off, the
    /// caller leaves a message instead.
    EnableHumanFallback,
    /// Streaming speech-to-speech calls.
    EnableRealtimeVoice,
    /// The receptionist answers outside business hours; off, callers go
    /// straight to voicemail then.
    AfterHoursAnswering,
    /// Texts to callers (confirmations, replies).
    EnableSms,
    /// A language model serves the turns the rules cannot (through tools the
    /// rules check); needs a configured model.
    EnableLlmDialogue,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown flag {0:?}: expected one of {names}", names = Flag::names())]
pub struct UnknownFlag(pub String);

impl Flag {
    pub const ALL: [Flag; 8] = [
        Flag::AllowAiBooking,
        Flag::EnableRag,
        Flag::EnableReminders,
        Flag::EnableHumanFallback,
        Flag::EnableRealtimeVoice,
        Flag::AfterHoursAnswering,
        Flag::EnableSms,
        Flag::EnableLlmDialogue,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Flag::AllowAiBooking => "allow_ai_booking",
            Flag::EnableRag => "enable_rag",
            Flag::EnableReminders => "enable_reminders",
            Flag::EnableHumanFallback => "enable_human_fallback",
            Flag::EnableRealtimeVoice => "enable_realtime_voice",
            Flag::AfterHoursAnswering => "after_hours_answering",
            Flag::EnableSms => "enable_sms",
            Flag::EnableLlmDialogue => "enable_llm_dialogue",
        }
    }

    pub fn parse(raw: &str) -> Result<Flag, UnknownFlag> {
        Flag::ALL.into_iter().find(|flag| flag.as_str() == raw).ok_or_else(|| UnknownFlag(raw.to_owned()))
    }

    fn names() -> String {
        Flag::ALL.map(Flag::as_str).join(", ")
    }

    /// The value before any plan or override: the basics every shop gets.
    pub fn default_value(self) -> bool {
        matches!(self, Flag::AllowAiBooking | Flag::EnableSms)
    }

    /// What `plan` says about this flag, when it says anything (see the tiers
    /// in the product reference): Core adds knowledge answers, reminders and
    /// the language model,
    /// Pro adds 24/7 answering, the human fallback queue and realtime voice.
    pub fn plan_value(self, plan: Plan) -> Option<bool> {
        let tier = |from: Plan| Some(plan >= from);
        match self {
            Flag::AllowAiBooking | Flag::EnableSms => None,
            Flag::EnableRag | Flag::EnableReminders | Flag::EnableLlmDialogue => tier(Plan::Core),
            Flag::EnableHumanFallback | Flag::EnableRealtimeVoice | Flag::AfterHoursAnswering => tier(Plan::Pro),
        }
    }
}

impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a store keeps about a tenant's flags: its plan and its overrides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantFlagSettings {
    pub plan: Plan,
    pub overrides: BTreeMap<Flag, bool>,
}

impl TenantFlagSettings {
    pub fn on_plan(plan: Plan) -> TenantFlagSettings {
        TenantFlagSettings { plan, overrides: BTreeMap::new() }
    }
}

/// Where a flag's effective value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagSource {
    Default,
    Plan(Plan),
    Override,
}

impl FlagSource {
    pub fn as_str(self) -> &'static str {
        match self {
            FlagSource::Default => "default",
            FlagSource::Plan(_) => "plan",
            FlagSource::Override => "override",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlagValue {
    pub flag: Flag,
    pub enabled: bool,
    pub source: FlagSource,
}

/// Every flag's value for one tenant, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectiveFlags {
    plan: Plan,
    values: Vec<FlagValue>,
}

impl EffectiveFlags {
    /// Defaults, then the plan, then the overrides: the last one that says
    /// something wins.
    pub fn evaluate(settings: &TenantFlagSettings) -> EffectiveFlags {
        let values = Flag::ALL
            .into_iter()
            .map(|flag| {
                let (enabled, source) = match (settings.overrides.get(&flag), flag.plan_value(settings.plan)) {
                    (Some(&enabled), _) => (enabled, FlagSource::Override),
                    (None, Some(enabled)) => (enabled, FlagSource::Plan(settings.plan)),
                    (None, None) => (flag.default_value(), FlagSource::Default),
                };
                FlagValue { flag, enabled, source }
            })
            .collect();
        EffectiveFlags { plan: settings.plan, values }
    }

    pub fn plan(&self) -> Plan {
        self.plan
    }

    pub fn enabled(&self, flag: Flag) -> bool {
        self.values.iter().any(|value| value.flag == flag && value.enabled)
    }

    pub fn values(&self) -> &[FlagValue] {
        &self.values
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn settings(plan: Plan, overrides: &[(Flag, bool)]) -> TenantFlagSettings {
        TenantFlagSettings { plan, overrides: overrides.iter().copied().collect() }
    }

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for flag in Flag::ALL {
            assert_eq!(Flag::parse(flag.as_str()), Ok(flag));
        }
        let error = Flag::parse("enable_magic").unwrap_err();
        assert!(error.to_string().contains("allow_ai_booking, enable_rag"), "{error}");
    }

    #[test]
    fn the_plan_overrides_defaults_and_the_tenant_overrides_the_plan() {
        // (plan, overrides, flag, expected value, expected source)
        let cases = [
            (Plan::Starter, vec![], Flag::AllowAiBooking, true, FlagSource::Default),
            (Plan::Starter, vec![], Flag::EnableRag, false, FlagSource::Plan(Plan::Starter)),
            (Plan::Core, vec![], Flag::EnableRag, true, FlagSource::Plan(Plan::Core)),
            (Plan::Core, vec![], Flag::EnableReminders, true, FlagSource::Plan(Plan::Core)),
            (Plan::Core, vec![], Flag::AfterHoursAnswering, false, FlagSource::Plan(Plan::Core)),
            (Plan::Pro, vec![], Flag::AfterHoursAnswering, true, FlagSource::Plan(Plan::Pro)),
            (Plan::Enterprise, vec![], Flag::EnableHumanFallback, true, FlagSource::Plan(Plan::Enterprise)),
            (
                Plan::Pro,
                vec![(Flag::AfterHoursAnswering, false)],
                Flag::AfterHoursAnswering,
                false,
                FlagSource::Override,
            ),
            (Plan::Starter, vec![(Flag::EnableRag, true)], Flag::EnableRag, true, FlagSource::Override),
            (Plan::Starter, vec![(Flag::AllowAiBooking, false)], Flag::AllowAiBooking, false, FlagSource::Override),
            (Plan::Pro, vec![(Flag::EnableRag, false)], Flag::EnableReminders, true, FlagSource::Plan(Plan::Pro)),
        ];
        for (plan, overrides, flag, enabled, source) in cases {
            let effective = EffectiveFlags::evaluate(&settings(plan, &overrides));
            let value = effective.values().iter().find(|value| value.flag == flag).copied();
            assert_eq!(value, Some(FlagValue { flag, enabled, source }), "{plan} {overrides:?} {flag}");
            assert_eq!(effective.enabled(flag), enabled);
        }
    }

    #[test]
    fn every_flag_has_exactly_one_value() {
        let effective = EffectiveFlags::evaluate(&TenantFlagSettings::on_plan(Plan::Pro));
        let flags: Vec<Flag> = effective.values().iter().map(|value| value.flag).collect();
        assert_eq!(flags, Flag::ALL.to_vec());
    }
}
