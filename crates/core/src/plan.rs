use std::fmt;

/// The tier a tenant pays for. What each tier switches on lives in
/// `frontdesk-flags`; what it costs lives in `frontdesk-billing`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Plan {
    Starter,
    Core,
    Pro,
    Enterprise,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown plan {0:?}: expected one of starter, core, pro, enterprise")]
pub struct UnknownPlan(pub String);

impl Plan {
    pub const ALL: [Plan; 4] = [Plan::Starter, Plan::Core, Plan::Pro, Plan::Enterprise];

    /// The plan a tenant is on until the operator chooses one.
    pub const DEFAULT: Plan = Plan::Starter;

    pub fn as_str(self) -> &'static str {
        match self {
            Plan::Starter => "starter",
            Plan::Core => "core",
            Plan::Pro => "pro",
            Plan::Enterprise => "enterprise",
        }
    }

    /// Accepts the lowercase name, ignoring surrounding space and case.
    pub fn parse(raw: &str) -> Result<Plan, UnknownPlan> {
        let wanted = raw.trim().to_ascii_lowercase();
        Plan::ALL.into_iter().find(|plan| plan.as_str() == wanted).ok_or_else(|| UnknownPlan(raw.to_owned()))
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_its_own_names_and_refuses_others() {
        for plan in Plan::ALL {
            assert_eq!(Plan::parse(plan.as_str()), Ok(plan));
        }
        assert_eq!(Plan::parse(" Pro "), Ok(Plan::Pro));
        assert_eq!(Plan::parse("gold"), Err(UnknownPlan("gold".to_owned())));
        assert_eq!(Plan::parse(""), Err(UnknownPlan(String::new())));
    }
}
