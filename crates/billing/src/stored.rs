//! Decoding billing values as a store adapter read them back: the one decoder
//! both store adapters use, each after turning its own time representation
//! into `DateTime<Utc>`. A value no port would have written is
//! `StoreError::Corrupt`, never skipped or replaced by a default.

use chrono::{DateTime, Utc};
use frontdesk_core::{StoreError, TenantId, stored_tenant};
use frontdesk_flags::stored_plan;

use crate::model::{
    BillingAccount, CapDecision, CapLevel, CapMetric, Invoice, InvoiceLine, InvoiceStatus, PlanChange, StoredInvoice,
    TenantBilling, UsageKind, UsageTotals,
};
use crate::period::BillingPeriod;

fn stored_period(tenant: &str, raw: &str) -> Result<BillingPeriod, StoreError> {
    BillingPeriod::parse(raw).map_err(|e| StoreError::corrupt(tenant, e.to_string()))
}

impl StoredInvoice {
    /// Rebuilds an invoice from its columns, in the order adapters select
    /// them: the lines are JSON text, the status its word.
    #[allow(clippy::too_many_arguments)]
    pub fn from_stored(
        tenant_id: &str,
        period: &str,
        status: &str,
        currency: String,
        total: i64,
        lines_json: &str,
        updated_at: DateTime<Utc>,
        finalized_at: Option<DateTime<Utc>>,
    ) -> Result<StoredInvoice, StoreError> {
        let lines: Vec<InvoiceLine> = serde_json::from_str(lines_json)
            .map_err(|e| StoreError::corrupt(tenant_id, format!("invoice {period} has unreadable lines: {e}")))?;
        Ok(StoredInvoice {
            tenant: stored_tenant(tenant_id)?,
            period: stored_period(tenant_id, period)?,
            status: InvoiceStatus::parse(status)
                .ok_or_else(|| StoreError::corrupt(tenant_id, format!("unknown invoice status {status:?}")))?,
            invoice: Invoice { currency, lines, total },
            updated_at,
            finalized_at,
        })
    }
}

impl UsageTotals {
    /// Sums the stored usage of one period, given as (kind word, quantity,
    /// cost in micro-dollars) rows.
    pub fn from_stored(
        tenant: &TenantId,
        rows: impl IntoIterator<Item = (String, i64, i64)>,
    ) -> Result<UsageTotals, StoreError> {
        let mut totals = UsageTotals::default();
        for (kind, quantity, cost_micros) in rows {
            let kind = UsageKind::parse(&kind)
                .ok_or_else(|| StoreError::corrupt(tenant.as_str(), format!("unknown usage kind {kind:?}")))?;
            totals.add(kind, quantity);
            totals.add_cost(kind, cost_micros);
        }
        Ok(totals)
    }
}

impl PlanChange {
    /// One row of the tenant's plan history: the plan word and when.
    pub fn from_stored(tenant: &TenantId, plan: &str, at: DateTime<Utc>) -> Result<PlanChange, StoreError> {
        Ok(PlanChange { plan: stored_plan(tenant, Some(plan))?, at })
    }
}

impl CapDecision {
    /// One recorded cap decision of `tenant` in `period`, from its columns in
    /// the order adapters select them: the metric and level words, cap, used,
    /// when.
    #[allow(clippy::too_many_arguments)]
    pub fn from_stored(
        tenant: &TenantId,
        period: BillingPeriod,
        metric: &str,
        level: &str,
        cap: i64,
        used: i64,
        decided_at: DateTime<Utc>,
    ) -> Result<CapDecision, StoreError> {
        let level = CapLevel::parse(level)
            .ok_or_else(|| StoreError::corrupt(tenant.as_str(), format!("unknown cap level {level:?}")))?;
        let metric = CapMetric::parse(metric)
            .ok_or_else(|| StoreError::corrupt(tenant.as_str(), format!("unknown cap metric {metric:?}")))?;
        Ok(CapDecision { tenant: tenant.clone(), period, metric, level, used, cap, decided_at })
    }
}

/// A cap decision's row as an adapter reads every tenant's: tenant, metric
/// and level words, cap, used, when.
pub type StoredDecision = (String, String, String, i64, i64, DateTime<Utc>);

impl TenantBilling {
    /// Every tenant's billing of `period` from the rows adapters read for
    /// [`crate::BillingStore::billing_of_all_tenants`]: each tenant's
    /// account (in the order to keep), then every tenant's plan changes
    /// (tenant, plan word, when; oldest first) and cap decisions (oldest
    /// first). Rows of a tenant without an account row are left out.
    pub fn from_stored(
        period: BillingPeriod,
        accounts: Vec<(String, BillingAccount)>,
        changes: Vec<(String, String, DateTime<Utc>)>,
        decisions: Vec<StoredDecision>,
    ) -> Result<Vec<TenantBilling>, StoreError> {
        let mut billing: Vec<TenantBilling> = Vec::with_capacity(accounts.len());
        let mut index = std::collections::HashMap::with_capacity(accounts.len());
        for (tenant, account) in accounts {
            index.insert(tenant.clone(), billing.len());
            billing.push(TenantBilling {
                tenant: stored_tenant(&tenant)?,
                account,
                plan_changes: Vec::new(),
                decisions: Vec::new(),
            });
        }
        for (tenant, plan, at) in changes {
            if let Some(entry) = index.get(&tenant).and_then(|&at_index| billing.get_mut(at_index)) {
                let change = PlanChange::from_stored(&entry.tenant, &plan, at)?;
                entry.plan_changes.push(change);
            }
        }
        for (tenant, metric, level, cap, used, decided_at) in decisions {
            if let Some(entry) = index.get(&tenant).and_then(|&at_index| billing.get_mut(at_index)) {
                let decision = CapDecision::from_stored(&entry.tenant, period, &metric, &level, cap, used, decided_at)?;
                entry.decisions.push(decision);
            }
        }
        Ok(billing)
    }
}

#[cfg(test)]
mod tests {
    use frontdesk_core::Plan;

    use super::*;
    use crate::period::BillingPeriodError;

    fn tenant() -> TenantId {
        TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}"))
    }

    fn november() -> BillingPeriod {
        BillingPeriod::parse("2026-11").unwrap_or_else(|e| panic!("{e}"))
    }

    fn corrupt(reason: &str) -> String {
        format!("stored data for tenant fresh-cuts is corrupt: {reason}")
    }

    #[test]
    fn stored_invoices_decode_and_bad_columns_are_corrupt() {
        let check = |period: &str, status: &str, lines_json: &str, expected: Result<StoredInvoice, String>| {
            let actual = StoredInvoice::from_stored(
                "fresh-cuts",
                period,
                status,
                "USD".to_owned(),
                4900,
                lines_json,
                DateTime::UNIX_EPOCH,
                None,
            )
            .map_err(|e| e.to_string());
            assert_eq!(actual, expected, "{period} {status} {lines_json}");
        };
        let line = InvoiceLine { description: "Core plan".to_owned(), quantity: 1, unit_price: 4900, amount: 4900 };
        let lines_json = serde_json::to_string(&[&line]).unwrap_or_else(|e| panic!("{e}"));
        check(
            "2026-11",
            "finalized",
            &lines_json,
            Ok(StoredInvoice {
                tenant: tenant(),
                period: november(),
                status: InvoiceStatus::Finalized,
                invoice: Invoice { currency: "USD".to_owned(), lines: vec![line], total: 4900 },
                updated_at: DateTime::UNIX_EPOCH,
                finalized_at: None,
            }),
        );
        check("2026-11", "void", "[]", Err(corrupt("unknown invoice status \"void\"")));
        let period_error = BillingPeriodError("November".to_owned());
        check("November", "draft", "[]", Err(corrupt(&period_error.to_string())));
        let unreadable = StoredInvoice::from_stored(
            "fresh-cuts",
            "2026-11",
            "draft",
            "USD".to_owned(),
            0,
            r#"{"not": "lines"}"#,
            DateTime::UNIX_EPOCH,
            None,
        );
        assert!(
            matches!(&unreadable, Err(StoreError::Corrupt { tenant, reason })
                if tenant == "fresh-cuts" && reason.starts_with("invoice 2026-11 has unreadable lines: ")),
            "{unreadable:?}"
        );
    }

    #[test]
    fn stored_usage_plan_changes_and_cap_levels_decode_and_unknown_words_are_corrupt() {
        let rows = [
            ("call_minutes".to_owned(), 12, 102_000),
            ("llm_tokens".to_owned(), 900, 18),
            ("llm_tokens".to_owned(), 100, 2),
            ("sms_segments".to_owned(), 3, 24_900),
            ("forwarded_minutes".to_owned(), 2, 17_000),
            ("outbound_minutes".to_owned(), 2, 28_000),
        ];
        let totals = UsageTotals::from_stored(&tenant(), rows).map_err(|e| e.to_string());
        assert_eq!(
            totals,
            Ok(UsageTotals {
                call_minutes: 12,
                sms_segments: 3,
                llm_tokens: 1_000,
                // Only the tokens' cost counts toward the AI budget.
                ai_cost_micros: 20,
                call_cost_micros: 102_000,
                sms_cost_micros: 24_900,
                // Apart from the billed minutes, but in what the period cost.
                forwarded_minutes: 2,
                forwarded_cost_micros: 17_000,
                outbound_minutes: 2,
                outbound_cost_micros: 28_000,
            })
        );
        assert_eq!(totals.map(|totals| totals.total_cost_micros()), Ok(171_920));
        assert_eq!(
            UsageTotals::from_stored(&tenant(), [("carrier_pigeons".to_owned(), 1, 0)]).map_err(|e| e.to_string()),
            Err(corrupt("unknown usage kind \"carrier_pigeons\""))
        );
        assert_eq!(
            PlanChange::from_stored(&tenant(), "pro", DateTime::UNIX_EPOCH).map_err(|e| e.to_string()),
            Ok(PlanChange { plan: Plan::Pro, at: DateTime::UNIX_EPOCH })
        );
        assert!(matches!(
            PlanChange::from_stored(&tenant(), "gold", DateTime::UNIX_EPOCH),
            Err(StoreError::Corrupt { .. })
        ));
        assert_eq!(
            CapDecision::from_stored(&tenant(), november(), "ai_spend", "hard", 100, 101, DateTime::UNIX_EPOCH)
                .map_err(|e| e.to_string()),
            Ok(CapDecision {
                tenant: tenant(),
                period: november(),
                metric: CapMetric::AiSpend,
                level: CapLevel::Hard,
                used: 101,
                cap: 100,
                decided_at: DateTime::UNIX_EPOCH,
            })
        );
        assert_eq!(
            CapDecision::from_stored(&tenant(), november(), "minutes", "medium", 100, 80, DateTime::UNIX_EPOCH)
                .map_err(|e| e.to_string()),
            Err(corrupt("unknown cap level \"medium\""))
        );
        assert_eq!(
            CapDecision::from_stored(&tenant(), november(), "sms", "soft", 100, 80, DateTime::UNIX_EPOCH)
                .map_err(|e| e.to_string()),
            Err(corrupt("unknown cap metric \"sms\""))
        );
    }
}
