//! Decoding a tenant's plan and overrides as a store adapter read them back:
//! the one decoder both store adapters use. A value no port would have
//! written is `StoreError::Corrupt`, never skipped or replaced by a default.

use frontdesk_core::{Plan, StoreError, TenantId};

use crate::flag::{Flag, TenantFlagSettings};

/// The tenant's stored plan word; no plan recorded is `Plan::DEFAULT`.
pub fn stored_plan(tenant: &TenantId, plan: Option<&str>) -> Result<Plan, StoreError> {
    plan.map_or(Ok(Plan::DEFAULT), |raw| {
        Plan::parse(raw).map_err(|e| StoreError::corrupt(tenant.as_str(), e.to_string()))
    })
}

impl TenantFlagSettings {
    /// Rebuilds the settings from the stored plan word (none recorded is
    /// `Plan::DEFAULT`) and the override rows (flag name, enabled).
    pub fn from_stored(
        tenant: &TenantId,
        plan: Option<&str>,
        overrides: impl IntoIterator<Item = (String, bool)>,
    ) -> Result<TenantFlagSettings, StoreError> {
        let overrides = overrides
            .into_iter()
            .map(|(flag, enabled)| {
                Flag::parse(&flag)
                    .map(|flag| (flag, enabled))
                    .map_err(|e| StoreError::corrupt(tenant.as_str(), e.to_string()))
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(TenantFlagSettings { plan: stored_plan(tenant, plan)?, overrides })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::flag::UnknownFlag;

    fn check(plan: Option<&str>, overrides: &[(&str, bool)], expected: Result<TenantFlagSettings, &str>) {
        let tenant = TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}"));
        let rows = overrides.iter().map(|&(flag, enabled)| (flag.to_owned(), enabled));
        let actual = TenantFlagSettings::from_stored(&tenant, plan, rows).map_err(|e| e.to_string());
        assert_eq!(actual, expected.map_err(str::to_owned), "{plan:?} {overrides:?}");
    }

    #[test]
    fn stored_plans_and_overrides_decode_and_unknown_words_are_corrupt() {
        check(None, &[], Ok(TenantFlagSettings::on_plan(Plan::DEFAULT)));
        check(Some("pro"), &[], Ok(TenantFlagSettings::on_plan(Plan::Pro)));
        check(
            Some("core"),
            &[("enable_rag", false), ("allow_ai_booking", true)],
            Ok(TenantFlagSettings {
                plan: Plan::Core,
                overrides: BTreeMap::from([(Flag::EnableRag, false), (Flag::AllowAiBooking, true)]),
            }),
        );
        check(
            Some("gold"),
            &[],
            Err("stored data for tenant fresh-cuts is corrupt: unknown plan \"gold\": \
                 expected one of starter, core, pro, enterprise"),
        );
        let unknown_flag = UnknownFlag("enable_magic".to_owned());
        check(
            Some("pro"),
            &[("enable_magic", true)],
            Err(&format!("stored data for tenant fresh-cuts is corrupt: {unknown_flag}")),
        );
    }
}
