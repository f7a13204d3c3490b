//! What a plan costs and includes.
//!
//! Every amount is an `i64` in minor units (cents) of the terms' currency;
//! every allowance is a whole number of units (call minutes, SMS segments).
//!
//! The standard catalog, in USD, inside the price bands of the product sheet:
//!
//! | Plan       | Monthly | Setup   | Included minutes | Included SMS segments | Extra minute | Extra SMS segment |
//! |------------|---------|---------|------------------|-----------------------|--------------|-------------------|
//! | Starter    | $49     | none    | 100              | 100                   | 8¢           | 3¢                |
//! | Core       | $149    | $99     | 500              | 500                   | 6¢           | 2¢                |
//! | Pro        | $399    | $249    | 1,500            | 1,500                 | 5¢           | 2¢                |
//! | Enterprise | $900    | $750    | 5,000            | 5,000                 | 4¢           | 1¢                |
//!
//! Each plan also includes a monthly **AI budget**: model spend (embeddings,
//! language model, realtime voice) in US micro-dollars at the price table's
//! prices. Reaching it does not stop the receptionist; it stops paid models
//! until the next period (rules and offline retrieval answer meanwhile).
//!
//! | Plan       | AI budget |
//! |------------|-----------|
//! | Starter    | $1        |
//! | Core       | $5        |
//! | Pro        | $40       |
//! | Enterprise | $150      |
//!
//! The text path costs at most about half a cent a call (ai-layer.md §5): a
//! Core shop's 500 minutes are some 250 calls, about $1.25, so $5 leaves room
//! for reindexing and a busy month while a runaway loop stops within dollars.
//! Pro adds realtime voice at about 2.5¢ a minute: 1,500 minutes is $37.50.
//!
//! Why these numbers: a minute costs us about 1¢ of telephony plus a share
//! of a few cents of LLM per call, an SMS segment under 1¢, so overage keeps a
//! margin at every tier and gets cheaper as the tier rises. Starter is
//! self-serve, hence no setup fee; the higher tiers pay for a person setting up
//! routing, knowledge and integrations.
//!
//! An operator catalog can replace the standard one: build its terms with
//! [`PlanTerms::new`], which refuses negative amounts.

use frontdesk_core::{Currency, Plan};

/// The price and allowances of one plan, validated: nothing is negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PlanTerms {
    plan: Plan,
    currency: Currency,
    monthly_price: i64,
    setup_fee: i64,
    included_minutes: i64,
    included_sms: i64,
    overage_per_minute: i64,
    overage_per_sms: i64,
    included_ai_micros: i64,
}

/// The fields of [`PlanTerms`] before validation, for an operator's own
/// catalog. Amounts in minor units of `currency`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawPlanTerms {
    pub plan: Plan,
    pub currency: Currency,
    pub monthly_price: i64,
    pub setup_fee: i64,
    pub included_minutes: i64,
    /// SMS segments, not messages.
    pub included_sms: i64,
    pub overage_per_minute: i64,
    /// Per SMS segment.
    pub overage_per_sms: i64,
    /// Model spend included in a month, in US micro-dollars.
    pub included_ai_micros: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanTermsError {
    #[error("{field} of the {plan} plan must not be negative, got {value}")]
    Negative { plan: Plan, field: &'static str, value: i64 },
}

impl PlanTerms {
    /// Validates operator-supplied terms: every amount and allowance must be
    /// zero or more.
    pub fn new(raw: RawPlanTerms) -> Result<PlanTerms, PlanTermsError> {
        let fields = [
            ("monthly price", raw.monthly_price),
            ("setup fee", raw.setup_fee),
            ("included minutes", raw.included_minutes),
            ("included SMS", raw.included_sms),
            ("overage per minute", raw.overage_per_minute),
            ("overage per SMS", raw.overage_per_sms),
            ("AI budget", raw.included_ai_micros),
        ];
        if let Some((field, value)) = fields.into_iter().find(|(_, value)| *value < 0) {
            return Err(PlanTermsError::Negative { plan: raw.plan, field, value });
        }
        Ok(PlanTerms {
            plan: raw.plan,
            currency: raw.currency,
            monthly_price: raw.monthly_price,
            setup_fee: raw.setup_fee,
            included_minutes: raw.included_minutes,
            included_sms: raw.included_sms,
            overage_per_minute: raw.overage_per_minute,
            overage_per_sms: raw.overage_per_sms,
            included_ai_micros: raw.included_ai_micros,
        })
    }

    /// The built-in USD catalog (see the module documentation).
    pub fn standard(plan: Plan) -> PlanTerms {
        let (monthly_price, setup_fee, included, overage_per_minute, overage_per_sms, ai_dollars) = match plan {
            Plan::Starter => (4_900, 0, 100, 8, 3, 1),
            Plan::Core => (14_900, 9_900, 500, 6, 2, 5),
            Plan::Pro => (39_900, 24_900, 1_500, 5, 2, 40),
            Plan::Enterprise => (90_000, 75_000, 5_000, 4, 1, 150),
        };
        PlanTerms {
            plan,
            currency: Currency::USD,
            monthly_price,
            setup_fee,
            included_minutes: included,
            included_sms: included,
            overage_per_minute,
            overage_per_sms,
            included_ai_micros: ai_dollars * 1_000_000,
        }
    }

    pub fn plan(&self) -> Plan {
        self.plan
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The fee for a whole month, in minor units.
    pub fn monthly_price(&self) -> i64 {
        self.monthly_price
    }

    /// Charged once, on the first invoice, in minor units.
    pub fn setup_fee(&self) -> i64 {
        self.setup_fee
    }

    /// Call minutes included in a whole month.
    pub fn included_minutes(&self) -> i64 {
        self.included_minutes
    }

    /// SMS segments included in a whole month.
    pub fn included_sms(&self) -> i64 {
        self.included_sms
    }

    /// Price of each call minute over the allowance, in minor units.
    pub fn overage_per_minute(&self) -> i64 {
        self.overage_per_minute
    }

    /// Price of each SMS segment over the allowance, in minor units.
    pub fn overage_per_sms(&self) -> i64 {
        self.overage_per_sms
    }

    /// Model spend included in a whole month, in US micro-dollars: the AI
    /// cap unless the operator sets one.
    pub fn included_ai_micros(&self) -> i64 {
        self.included_ai_micros
    }
}

/// Start an operator's terms from existing ones:
/// `RawPlanTerms { monthly_price: 12_900, ..PlanTerms::standard(Plan::Core).into() }`.
impl From<PlanTerms> for RawPlanTerms {
    fn from(terms: PlanTerms) -> RawPlanTerms {
        RawPlanTerms {
            plan: terms.plan,
            currency: terms.currency,
            monthly_price: terms.monthly_price,
            setup_fee: terms.setup_fee,
            included_minutes: terms.included_minutes,
            included_sms: terms.included_sms,
            overage_per_minute: terms.overage_per_minute,
            overage_per_sms: terms.overage_per_sms,
            included_ai_micros: terms.included_ai_micros,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_prices_sit_inside_the_product_price_bands() {
        // Bands from the product sheet, in cents; Enterprise has no upper bound.
        let bands = [
            (Plan::Starter, 2_900, 15_000),
            (Plan::Core, 9_900, 35_000),
            (Plan::Pro, 29_900, 70_000),
            (Plan::Enterprise, 75_000, i64::MAX),
        ];
        for (plan, low, high) in bands {
            let terms = PlanTerms::standard(plan);
            assert_eq!(terms.plan(), plan);
            assert_eq!(terms.currency(), Currency::USD);
            assert!((low..=high).contains(&terms.monthly_price()), "{plan}: {}", terms.monthly_price());
        }
    }

    #[test]
    fn higher_tiers_include_more_and_never_charge_more_per_unit() {
        for pair in Plan::ALL.windows(2) {
            let (lower, higher) = (PlanTerms::standard(pair[0]), PlanTerms::standard(pair[1]));
            assert!(higher.included_minutes() > lower.included_minutes(), "{:?}", pair);
            assert!(higher.included_sms() > lower.included_sms(), "{:?}", pair);
            assert!(higher.overage_per_minute() <= lower.overage_per_minute(), "{:?}", pair);
            assert!(higher.overage_per_sms() <= lower.overage_per_sms(), "{:?}", pair);
            assert!(higher.included_ai_micros() > lower.included_ai_micros(), "{:?}", pair);
        }
    }

    #[test]
    fn the_standard_catalog_passes_the_operator_validation() {
        for plan in Plan::ALL {
            let standard = PlanTerms::standard(plan);
            assert_eq!(PlanTerms::new(standard.into()), Ok(standard));
        }
    }

    #[test]
    fn custom_terms_refuse_any_negative_amount() {
        let base = RawPlanTerms::from(PlanTerms::standard(Plan::Core));
        type Edit = fn(&mut RawPlanTerms);
        let cases: [(Edit, &str); 7] = [
            (|raw| raw.monthly_price = -1, "monthly price"),
            (|raw| raw.setup_fee = -1, "setup fee"),
            (|raw| raw.included_minutes = -1, "included minutes"),
            (|raw| raw.included_sms = -1, "included SMS"),
            (|raw| raw.overage_per_minute = -1, "overage per minute"),
            (|raw| raw.overage_per_sms = -1, "overage per SMS"),
            (|raw| raw.included_ai_micros = -1, "AI budget"),
        ];
        for (edit, field) in cases {
            let mut raw = base;
            edit(&mut raw);
            assert_eq!(PlanTerms::new(raw), Err(PlanTermsError::Negative { plan: Plan::Core, field, value: -1 }));
        }
    }

    #[test]
    fn custom_terms_keep_what_they_were_given() {
        let eur = Currency::EUR;
        let raw = RawPlanTerms {
            plan: Plan::Pro,
            currency: eur,
            monthly_price: 0,
            setup_fee: 0,
            included_minutes: 0,
            included_sms: 0,
            overage_per_minute: 7,
            overage_per_sms: 0,
            included_ai_micros: 3,
        };
        let terms = PlanTerms::new(raw);
        assert_eq!(terms.map(RawPlanTerms::from), Ok(raw));
    }
}
