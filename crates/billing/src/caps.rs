//! The cost cap, decided without IO: when to alert the owner, and when AI
//! answering stops (calls are forwarded to the owner instead).
//!
//! - The cap is a number of call minutes per billing period: the operator's
//!   `minute_cap` on the [`BillingAccount`] when set, else the plan's included
//!   minutes.
//! - Soft (alert) when `used × 100 ≥ cap × 80`; hard (suspend) when
//!   `used × 100 ≥ cap × 100`, i.e. `used ≥ cap`. Integer math, in `i128` so it
//!   cannot overflow.
//! - A cap of 0 is hard from the first call, before any minute is used: it is
//!   how an operator switches AI answering off. A negative cap counts as 0.
//! - Answering is suspended when the hard cap is reached, or when the account
//!   has been past due for longer than the grace period
//!   ([`DEFAULT_PAST_DUE_GRACE`], 7 days, unless told otherwise). Past due wins
//!   when both hold: it does not end with the period, and raising the cap would
//!   not lift it.

use chrono::{DateTime, Duration, Utc};

use crate::model::{BillingAccount, CapLevel};
use crate::terms::PlanTerms;

/// How long an account may stay past due before AI answering stops.
pub const DEFAULT_PAST_DUE_GRACE: Duration = Duration::days(7);

/// A tenant's caps and their thresholds: call minutes, and model spend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapPolicy {
    minute_cap: i64,
    ai_cap_micros: i64,
}

impl CapPolicy {
    /// Alert at this share of the cap.
    pub const SOFT_PERCENT: i64 = 80;
    /// Suspend at this share of the cap.
    pub const HARD_PERCENT: i64 = 100;

    /// The operator's minute cap when set, else the plan's included minutes;
    /// the plan's AI budget.
    pub fn for_account(account: &BillingAccount, terms: &PlanTerms) -> CapPolicy {
        CapPolicy {
            minute_cap: account.minute_cap.unwrap_or(terms.included_minutes()),
            ai_cap_micros: terms.included_ai_micros(),
        }
    }

    pub fn minute_cap(&self) -> i64 {
        self.minute_cap
    }

    /// Model spend allowed in a period, in US micro-dollars. Reaching it
    /// stops paid models, never the answering.
    pub fn ai_cap_micros(&self) -> i64 {
        self.ai_cap_micros
    }

    /// Where `used_minutes` stand against this cap.
    pub fn evaluate(&self, used_minutes: i64) -> CapStatus {
        evaluate_cap(used_minutes, self.minute_cap)
    }
}

/// Minutes used against a cap, and the highest level reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapStatus {
    /// `None` below the soft threshold.
    pub level: Option<CapLevel>,
    pub used: i64,
    pub cap: i64,
}

/// Whether AI answering is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AnsweringMode {
    Normal,
    /// Calls are forwarded to the owner instead of answered by the AI.
    Suspended(SuspensionReason),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SuspensionReason {
    /// The period's hard minute cap is reached.
    CapReached,
    /// Past due for longer than the grace period.
    PastDue,
    /// The payment provider's subscription was cancelled (Stripe status
    /// `canceled`): nobody pays for the answering any more.
    SubscriptionEnded,
}

/// Where `used` (minutes, or micro-dollars of model spend) stands against
/// `cap` (see the module documentation).
pub fn evaluate_cap(used_units: i64, cap: i64) -> CapStatus {
    let used = i128::from(used_units) * 100;
    let cap_at = |percent: i64| i128::from(cap.max(0)) * i128::from(percent);
    let level = if used >= cap_at(CapPolicy::HARD_PERCENT) {
        Some(CapLevel::Hard)
    } else if used >= cap_at(CapPolicy::SOFT_PERCENT) {
        Some(CapLevel::Soft)
    } else {
        None
    };
    CapStatus { level, used: used_units, cap }
}

/// Whether the AI answers calls for `account` at `now`, given the period's
/// cap status and how long a past-due account is tolerated.
pub fn answering_mode(
    account: &BillingAccount,
    cap_status: CapStatus,
    now: DateTime<Utc>,
    grace: Duration,
) -> AnsweringMode {
    let past_due_too_long = account.past_due_since.is_some_and(|since| now - since > grace);
    if account.subscription_ended() {
        AnsweringMode::Suspended(SuspensionReason::SubscriptionEnded)
    } else if past_due_too_long {
        AnsweringMode::Suspended(SuspensionReason::PastDue)
    } else if cap_status.level == Some(CapLevel::Hard) {
        AnsweringMode::Suspended(SuspensionReason::CapReached)
    } else {
        AnsweringMode::Normal
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use frontdesk_core::Plan;

    use super::*;

    #[test]
    fn levels_at_80_and_100_percent() {
        use CapLevel::{Hard, Soft};
        let cases = [
            (0, 500, None),
            (399, 500, None),
            (400, 500, Some(Soft)),
            (499, 500, Some(Soft)),
            (500, 500, Some(Hard)),
            (501, 500, Some(Hard)),
            // 80 % of 7 is 5.6: 5 minutes is below it, 6 above.
            (5, 7, None),
            (6, 7, Some(Soft)),
            (7, 7, Some(Hard)),
            // A cap of 0 is hard at once; a negative one counts as 0.
            (0, 0, Some(Hard)),
            (0, -10, Some(Hard)),
            // No overflow at the extremes.
            (i64::MAX, i64::MAX, Some(Hard)),
            (i64::MAX - 1, i64::MAX, Some(Soft)),
            (i64::MAX, 1, Some(Hard)),
        ];
        for (used, cap, level) in cases {
            assert_eq!(evaluate_cap(used, cap), CapStatus { level, used, cap }, "{used} of {cap}");
        }
    }

    #[test]
    fn the_operator_cap_replaces_the_included_minutes() {
        let core = PlanTerms::standard(Plan::Core);
        let cases = [(None, 500), (Some(200), 200), (Some(0), 0), (Some(10_000), 10_000)];
        for (minute_cap, expected) in cases {
            let account = BillingAccount { minute_cap, ..BillingAccount::default() };
            let policy = CapPolicy::for_account(&account, &core);
            assert_eq!(policy.minute_cap(), expected, "{minute_cap:?}");
        }
        // The operator's cap is what gets evaluated: 450 minutes is soft on Core's 500, hard on 200.
        let capped = BillingAccount { minute_cap: Some(200), ..BillingAccount::default() };
        assert_eq!(CapPolicy::for_account(&capped, &core).evaluate(450).level, Some(CapLevel::Hard));
        assert_eq!(CapPolicy::for_account(&BillingAccount::default(), &core).evaluate(450).level, Some(CapLevel::Soft));
    }

    #[test]
    fn answering_stops_at_the_hard_cap_or_after_the_grace_period() {
        use AnsweringMode::{Normal, Suspended};
        use SuspensionReason::{CapReached, PastDue, SubscriptionEnded};
        let now = Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).single().unwrap_or_else(|| panic!("a valid instant"));
        let past_due =
            |since: Duration| BillingAccount { past_due_since: Some(now - since), ..BillingAccount::default() };
        let status =
            |word: &str| BillingAccount { subscription_status: Some(word.to_owned()), ..BillingAccount::default() };
        let in_good_standing = BillingAccount::default();
        let below = evaluate_cap(100, 500);
        let soft = evaluate_cap(450, 500);
        let hard = evaluate_cap(500, 500);
        let week = DEFAULT_PAST_DUE_GRACE;
        let cases = [
            ("in good standing, below the cap", &in_good_standing, below, week, Normal),
            ("the soft cap only alerts", &in_good_standing, soft, week, Normal),
            ("the hard cap suspends", &in_good_standing, hard, week, Suspended(CapReached)),
            ("past due within the grace period", &past_due(Duration::days(3)), below, week, Normal),
            ("past due for exactly the grace period", &past_due(Duration::days(7)), below, week, Normal),
            (
                "past due one second longer than the grace period",
                &past_due(Duration::days(7) + Duration::seconds(1)),
                below,
                week,
                Suspended(PastDue),
            ),
            (
                "past due too long and over the cap: past due wins",
                &past_due(Duration::days(30)),
                hard,
                week,
                Suspended(PastDue),
            ),
            ("past due within grace but over the cap", &past_due(Duration::days(1)), hard, week, Suspended(CapReached)),
            (
                "a shorter grace period given",
                &past_due(Duration::days(3)),
                below,
                Duration::days(2),
                Suspended(PastDue),
            ),
            ("no grace at all", &past_due(Duration::seconds(1)), below, Duration::zero(), Suspended(PastDue)),
            ("subscription cancelled", &status("canceled"), below, week, Suspended(SubscriptionEnded)),
            ("cancelled and over the cap", &status("canceled"), hard, week, Suspended(SubscriptionEnded)),
            ("a new subscription not paid yet", &status("incomplete"), below, week, Normal),
            ("an active subscription", &status("active"), below, week, Normal),
            ("Stripe's own past_due: the grace period decides", &status("past_due"), below, week, Normal),
        ];
        for (name, account, cap_status, grace, expected) in cases {
            assert_eq!(answering_mode(account, cap_status, now, grace), expected, "{name}");
        }
    }
}
