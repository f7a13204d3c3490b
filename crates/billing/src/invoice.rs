//! A period's invoice, computed in integer minor units of the plan's currency.
//!
//! [`compute_invoice`] applies these rules:
//!
//! - **Plan fee.** One line per plan segment, in the order given: the monthly
//!   price × the segment's days / the days in the period, rounded half up to
//!   the minor unit. Precisely, with `n = price × days` and `d = days in the
//!   period`, the amount is `n / d` (integer division) plus one when the
//!   remainder `r` is at least half of `d` (`2r ≥ d`). A whole month is the
//!   monthly price exactly. Each line is rounded on its own, so two half months
//!   of a 1.01 plan are 0.51 + 0.51; the total is never rounded again.
//! - **Allowance.** Included minutes (and SMS segments) are prorated the same
//!   way across all segments together: `Σ included × days / d`, computed
//!   exactly and then rounded half up to a whole unit once.
//! - **Overage.** `max(0, used − included) ×` the unit price of the last
//!   segment's terms: usage is priced under the plan in force at the end of the
//!   period, as Stripe prices metered usage on the subscription at invoice time.
//! - **Setup fee.** Only when `setup_fee_due`: the first segment's setup fee
//!   (the plan the tenant started on).
//! - **Lines.** Plan fees, then call minutes over the allowance, then SMS
//!   segments over the allowance, then the setup fee. Plan fee lines are always
//!   present, even at zero; any other line of zero is omitted. Every line has
//!   `amount = quantity × unit_price` (a fee line is one unit at its amount).
//! - **Total.** The exact sum of the lines.
//! - LLM tokens are metered for cost tracking, not invoiced.
//! - All arithmetic is checked: an overflow is [`InvoiceError::Overflow`], never
//!   a wrong number.
//!
//! [`plan_segments`] turns a tenant's plan history into those segments: each
//! local day of the period is billed under the plan in force at the start of
//! that day (local midnight in the tenant's zone), and consecutive days on one
//! plan form one segment. Days before the first plan change are not billed
//! (the tenant did not exist yet), which also makes the day of sign-up free
//! unless it began at midnight. A tenant with no history at all is on
//! [`Plan::DEFAULT`] for the whole period.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use frontdesk_core::{Currency, Plan};

use crate::model::{Invoice, InvoiceLine, PlanChange, UsageKind, UsageTotals};
use crate::period::{BillingPeriod, local_midnight};
use crate::terms::PlanTerms;

/// Consecutive days of a billing period spent under one plan's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanSegment {
    pub terms: PlanTerms,
    pub days: u32,
}

/// Why an invoice could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvoiceError {
    /// No segment: the tenant was on no plan during the period.
    #[error("no day of the period is billed under a plan")]
    NoBilledDays,
    #[error("a segment on the {0} plan has no days")]
    EmptySegment(Plan),
    #[error("the plan segments cover {billed} days but the period has {period_days}")]
    TooManyDays { billed: i64, period_days: i64 },
    #[error("the plan segments mix {0} and {1} prices")]
    CurrencyMismatch(Currency, Currency),
    #[error("{} usage must not be negative, got {quantity}", .kind.as_str())]
    NegativeUsage { kind: UsageKind, quantity: i64 },
    #[error("an invoice amount overflows")]
    Overflow,
}

/// The invoice for `period` (see the module documentation for the rules).
/// `segments` are in date order, oldest first, and cover at most the days of
/// the period.
pub fn compute_invoice(
    period: BillingPeriod,
    segments: &[PlanSegment],
    usage: UsageTotals,
    setup_fee_due: bool,
) -> Result<Invoice, InvoiceError> {
    let (Some(first), Some(last)) = (segments.first(), segments.last()) else {
        return Err(InvoiceError::NoBilledDays);
    };
    let currency = first.terms.currency();
    let period_days = i64::from(period.days());
    let mut billed_days = 0_i64;
    for segment in segments {
        if segment.terms.currency() != currency {
            return Err(InvoiceError::CurrencyMismatch(currency, segment.terms.currency()));
        }
        if segment.days == 0 {
            return Err(InvoiceError::EmptySegment(segment.terms.plan()));
        }
        billed_days = billed_days.checked_add(i64::from(segment.days)).ok_or(InvoiceError::Overflow)?;
    }
    if billed_days > period_days {
        return Err(InvoiceError::TooManyDays { billed: billed_days, period_days });
    }
    for kind in [UsageKind::CallMinutes, UsageKind::SmsSegments] {
        let quantity = usage.get(kind);
        if quantity < 0 {
            return Err(InvoiceError::NegativeUsage { kind, quantity });
        }
    }

    let mut lines = Vec::new();
    for segment in segments {
        let amount = prorate(&[(segment.terms.monthly_price(), segment.days)], period_days)?;
        lines.push(InvoiceLine {
            description: fee_description(segment, period_days),
            quantity: 1,
            unit_price: amount,
            amount,
        });
    }
    let allowance = |included: fn(&PlanTerms) -> i64| {
        let weighted: Vec<(i64, u32)> = segments.iter().map(|s| (included(&s.terms), s.days)).collect();
        prorate(&weighted, period_days)
    };
    let overages = [
        ("Call minutes", usage.call_minutes, allowance(PlanTerms::included_minutes)?, last.terms.overage_per_minute()),
        ("SMS segments", usage.sms_segments, allowance(PlanTerms::included_sms)?, last.terms.overage_per_sms()),
    ];
    for (what, used, included, unit_price) in overages {
        let over = used.saturating_sub(included).max(0);
        let amount = over.checked_mul(unit_price).ok_or(InvoiceError::Overflow)?;
        if amount != 0 {
            lines.push(InvoiceLine {
                description: format!("{what} over the allowance ({used} used, {included} included)"),
                quantity: over,
                unit_price,
                amount,
            });
        }
    }
    let setup_fee = first.terms.setup_fee();
    if setup_fee_due && setup_fee != 0 {
        lines.push(InvoiceLine {
            description: format!("{} plan, one-time setup fee", plan_name(first.terms.plan())),
            quantity: 1,
            unit_price: setup_fee,
            amount: setup_fee,
        });
    }

    let total = lines.iter().try_fold(0_i64, |sum, line| sum.checked_add(line.amount)).ok_or(InvoiceError::Overflow)?;
    Ok(Invoice { currency: currency.code().to_owned(), lines, total })
}

/// The plan segments of `period` for a tenant whose plan changes are
/// `history` (oldest first; of two changes at the same instant the later
/// entry wins), in the tenant's time zone. `terms_for` prices each plan,
/// typically [`PlanTerms::standard`]. See the module documentation for which
/// days count.
pub fn plan_segments(
    history: &[PlanChange],
    zone: Tz,
    period: BillingPeriod,
    terms_for: impl Fn(Plan) -> PlanTerms,
) -> Vec<PlanSegment> {
    // The plan did not change in the period (most periods of most shops):
    // the one in force at its first midnight holds every day.
    let first_midnight = local_midnight(period.first_day(), zone);
    if history.iter().all(|change| change.at <= first_midnight) {
        return plan_in_force(history, first_midnight)
            .map(|plan| vec![PlanSegment { terms: terms_for(plan), days: period.days() }])
            .unwrap_or_default();
    }
    let mut segments: Vec<PlanSegment> = Vec::new();
    let mut previous_day_plan = None;
    for day in period.first_day().iter_days().take(period.days() as usize) {
        let plan = plan_in_force(history, local_midnight(day, zone));
        if let Some(plan) = plan {
            match segments.last_mut() {
                Some(segment) if previous_day_plan == Some(plan) => segment.days += 1,
                _ => segments.push(PlanSegment { terms: terms_for(plan), days: 1 }),
            }
        }
        previous_day_plan = plan;
    }
    segments
}

fn plan_in_force(history: &[PlanChange], instant: DateTime<Utc>) -> Option<Plan> {
    if history.is_empty() {
        return Some(Plan::DEFAULT);
    }
    // `max_by_key` keeps the last of equal keys: the later entry wins a tie.
    history.iter().filter(|change| change.at <= instant).max_by_key(|change| change.at).map(|change| change.plan)
}

/// `Σ amount × days / period_days`, rounded half up. Every amount and day count
/// is non-negative and the days sum to at most `period_days`, so the result is
/// at most the largest amount; the products are taken in `i128` so that they
/// cannot overflow on the way.
fn prorate(weighted: &[(i64, u32)], period_days: i64) -> Result<i64, InvoiceError> {
    let numerator: i128 = weighted.iter().map(|&(amount, days)| i128::from(amount) * i128::from(days)).sum();
    let denominator = i128::from(period_days);
    if denominator <= 0 {
        return Err(InvoiceError::NoBilledDays);
    }
    let (quotient, remainder) = (numerator / denominator, numerator % denominator);
    let rounded = if remainder >= denominator - remainder { quotient + 1 } else { quotient };
    i64::try_from(rounded).map_err(|_| InvoiceError::Overflow)
}

fn fee_description(segment: &PlanSegment, period_days: i64) -> String {
    let plan = plan_name(segment.terms.plan());
    if i64::from(segment.days) == period_days {
        format!("{plan} plan, monthly fee")
    } else {
        format!("{plan} plan, monthly fee for {} of {period_days} days", segment.days)
    }
}

fn plan_name(plan: Plan) -> &'static str {
    match plan {
        Plan::Starter => "Starter",
        Plan::Core => "Core",
        Plan::Pro => "Pro",
        Plan::Enterprise => "Enterprise",
    }
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;
    use crate::terms::RawPlanTerms;

    fn period(raw: &str) -> BillingPeriod {
        BillingPeriod::parse(raw).unwrap_or_else(|error| panic!("{error}"))
    }

    fn standard(plan: Plan, days: u32) -> PlanSegment {
        PlanSegment { terms: PlanTerms::standard(plan), days }
    }

    /// Standard terms of `plan` with some fields replaced.
    fn custom(plan: Plan, days: u32, edit: impl FnOnce(&mut RawPlanTerms)) -> PlanSegment {
        let mut raw = RawPlanTerms::from(PlanTerms::standard(plan));
        edit(&mut raw);
        let terms = PlanTerms::new(raw).unwrap_or_else(|error| panic!("{error}"));
        PlanSegment { terms, days }
    }

    fn usage(call_minutes: i64, sms_segments: i64) -> UsageTotals {
        UsageTotals { call_minutes, sms_segments, ..UsageTotals::default() }
    }

    struct Case {
        name: &'static str,
        period: &'static str,
        segments: Vec<PlanSegment>,
        usage: UsageTotals,
        setup_fee_due: bool,
        /// (description, quantity, unit price, amount)
        lines: &'static [(&'static str, i64, i64, i64)],
        total: i64,
    }

    fn check(case: Case) {
        let invoice = compute_invoice(period(case.period), &case.segments, case.usage, case.setup_fee_due)
            .unwrap_or_else(|error| panic!("{}: {error}", case.name));
        let lines: Vec<(&str, i64, i64, i64)> = invoice
            .lines
            .iter()
            .map(|line| (line.description.as_str(), line.quantity, line.unit_price, line.amount))
            .collect();
        assert_eq!(lines, case.lines, "{}", case.name);
        assert_eq!(invoice.total, case.total, "{}", case.name);
        assert_eq!(invoice.currency, "USD", "{}", case.name);
        // The invariants hold for every case, not only for the ones written down.
        assert_eq!(invoice.total, invoice.lines.iter().map(|line| line.amount).sum::<i64>(), "{}", case.name);
        for line in &invoice.lines {
            assert_eq!(line.amount, line.quantity * line.unit_price, "{}: {}", case.name, line.description);
        }
    }

    #[test]
    fn invoices_by_the_rules() {
        let cases = [
            Case {
                name: "$100 flat + 200 minutes over at 5¢ = $110.00",
                period: "2026-11",
                segments: vec![custom(Plan::Core, 30, |raw| {
                    raw.monthly_price = 10_000;
                    raw.included_minutes = 500;
                    raw.overage_per_minute = 5;
                })],
                usage: usage(700, 0),
                setup_fee_due: false,
                lines: &[
                    ("Core plan, monthly fee", 1, 10_000, 10_000),
                    ("Call minutes over the allowance (700 used, 500 included)", 200, 5, 1_000),
                ],
                total: 11_000,
            },
            Case {
                name: "zero usage: the fee alone",
                period: "2026-11",
                segments: vec![standard(Plan::Core, 30)],
                usage: usage(0, 0),
                setup_fee_due: false,
                lines: &[("Core plan, monthly fee", 1, 14_900, 14_900)],
                total: 14_900,
            },
            Case {
                name: "exactly the allowance: no overage",
                period: "2026-11",
                segments: vec![standard(Plan::Core, 30)],
                usage: usage(500, 500),
                setup_fee_due: false,
                lines: &[("Core plan, monthly fee", 1, 14_900, 14_900)],
                total: 14_900,
            },
            Case {
                name: "one minute over",
                period: "2026-11",
                segments: vec![standard(Plan::Core, 30)],
                usage: usage(501, 500),
                setup_fee_due: false,
                lines: &[
                    ("Core plan, monthly fee", 1, 14_900, 14_900),
                    ("Call minutes over the allowance (501 used, 500 included)", 1, 6, 6),
                ],
                total: 14_906,
            },
            Case {
                name: "minutes forwarded to the owner while suspended are never billed",
                period: "2026-11",
                segments: vec![standard(Plan::Core, 30)],
                usage: UsageTotals { forwarded_minutes: 900, forwarded_cost_micros: 7_650_000, ..usage(501, 0) },
                setup_fee_due: false,
                lines: &[
                    ("Core plan, monthly fee", 1, 14_900, 14_900),
                    ("Call minutes over the allowance (501 used, 500 included)", 1, 6, 6),
                ],
                total: 14_906,
            },
            Case {
                name: "SMS overage",
                period: "2026-11",
                segments: vec![standard(Plan::Core, 30)],
                usage: usage(0, 520),
                setup_fee_due: false,
                lines: &[
                    ("Core plan, monthly fee", 1, 14_900, 14_900),
                    ("SMS segments over the allowance (520 used, 500 included)", 20, 2, 40),
                ],
                total: 14_940,
            },
            Case {
                name: "minutes and SMS over, with the setup fee last",
                period: "2026-11",
                segments: vec![standard(Plan::Core, 30)],
                usage: usage(510, 501),
                setup_fee_due: true,
                lines: &[
                    ("Core plan, monthly fee", 1, 14_900, 14_900),
                    ("Call minutes over the allowance (510 used, 500 included)", 10, 6, 60),
                    ("SMS segments over the allowance (501 used, 500 included)", 1, 2, 2),
                    ("Core plan, one-time setup fee", 1, 9_900, 9_900),
                ],
                total: 24_862,
            },
            Case {
                name: "setup fee when due",
                period: "2026-11",
                segments: vec![standard(Plan::Core, 30)],
                usage: usage(0, 0),
                setup_fee_due: true,
                lines: &[
                    ("Core plan, monthly fee", 1, 14_900, 14_900),
                    ("Core plan, one-time setup fee", 1, 9_900, 9_900),
                ],
                total: 24_800,
            },
            Case {
                name: "setup fee of the first plan after an upgrade",
                period: "2026-11",
                segments: vec![standard(Plan::Core, 15), standard(Plan::Pro, 15)],
                usage: usage(0, 0),
                setup_fee_due: true,
                lines: &[
                    ("Core plan, monthly fee for 15 of 30 days", 1, 7_450, 7_450),
                    ("Pro plan, monthly fee for 15 of 30 days", 1, 19_950, 19_950),
                    ("Core plan, one-time setup fee", 1, 9_900, 9_900),
                ],
                total: 37_300,
            },
            Case {
                name: "30-day month: Core days 1-14, Pro from the 15th; overage at the Pro price",
                period: "2026-11",
                segments: vec![standard(Plan::Core, 14), standard(Plan::Pro, 16)],
                usage: usage(1_100, 0),
                setup_fee_due: false,
                lines: &[
                    // 14_900 × 14 / 30 = 6_953.33
                    ("Core plan, monthly fee for 14 of 30 days", 1, 6_953, 6_953),
                    // 39_900 × 16 / 30 = 21_280
                    ("Pro plan, monthly fee for 16 of 30 days", 1, 21_280, 21_280),
                    // (500 × 14 + 1_500 × 16) / 30 = 1_033.33 included
                    ("Call minutes over the allowance (1100 used, 1033 included)", 67, 5, 335),
                ],
                total: 28_568,
            },
            Case {
                name: "31-day month",
                period: "2026-12",
                segments: vec![standard(Plan::Core, 14), standard(Plan::Pro, 17)],
                usage: usage(0, 0),
                setup_fee_due: false,
                lines: &[
                    // 14_900 × 14 / 31 = 6_729.03
                    ("Core plan, monthly fee for 14 of 31 days", 1, 6_729, 6_729),
                    // 39_900 × 17 / 31 = 21_880.65
                    ("Pro plan, monthly fee for 17 of 31 days", 1, 21_881, 21_881),
                ],
                total: 28_610,
            },
            Case {
                name: "February, 28 days",
                period: "2026-02",
                segments: vec![standard(Plan::Starter, 14), standard(Plan::Core, 14)],
                usage: usage(0, 0),
                setup_fee_due: false,
                lines: &[
                    ("Starter plan, monthly fee for 14 of 28 days", 1, 2_450, 2_450),
                    ("Core plan, monthly fee for 14 of 28 days", 1, 7_450, 7_450),
                ],
                total: 9_900,
            },
            Case {
                name: "leap February, 29 days",
                period: "2028-02",
                segments: vec![standard(Plan::Starter, 14), standard(Plan::Core, 15)],
                usage: usage(0, 0),
                setup_fee_due: false,
                lines: &[
                    // 4_900 × 14 / 29 = 2_365.52
                    ("Starter plan, monthly fee for 14 of 29 days", 1, 2_366, 2_366),
                    // 14_900 × 15 / 29 = 7_706.90
                    ("Core plan, monthly fee for 15 of 29 days", 1, 7_707, 7_707),
                ],
                total: 10_073,
            },
            Case {
                name: "half a cent rounds up",
                period: "2026-11",
                // 101 × 15 / 30 = 50.5
                segments: vec![custom(Plan::Core, 15, |raw| raw.monthly_price = 101)],
                usage: usage(0, 0),
                setup_fee_due: false,
                lines: &[("Core plan, monthly fee for 15 of 30 days", 1, 51, 51)],
                total: 51,
            },
            Case {
                name: "less than half a cent rounds down, more rounds up",
                period: "2026-11",
                // 100 × 1 / 30 = 3.33 and 100 × 2 / 30 = 6.67
                segments: vec![
                    custom(Plan::Core, 1, |raw| raw.monthly_price = 100),
                    custom(Plan::Pro, 2, |raw| raw.monthly_price = 100),
                ],
                usage: usage(0, 0),
                setup_fee_due: false,
                lines: &[
                    ("Core plan, monthly fee for 1 of 30 days", 1, 3, 3),
                    ("Pro plan, monthly fee for 2 of 30 days", 1, 7, 7),
                ],
                total: 10,
            },
            Case {
                name: "each line is rounded on its own: two half months of 1.01 are 1.02",
                period: "2026-11",
                segments: vec![
                    custom(Plan::Core, 15, |raw| raw.monthly_price = 101),
                    custom(Plan::Pro, 15, |raw| raw.monthly_price = 101),
                ],
                usage: usage(0, 0),
                setup_fee_due: false,
                lines: &[
                    ("Core plan, monthly fee for 15 of 30 days", 1, 51, 51),
                    ("Pro plan, monthly fee for 15 of 30 days", 1, 51, 51),
                ],
                total: 102,
            },
            Case {
                name: "a prorated allowance of half a minute rounds up",
                period: "2026-11",
                // 101 × 15 / 30 = 50.5 minutes included, so 52 used is 1 over, not 2.
                segments: vec![custom(Plan::Core, 15, |raw| raw.included_minutes = 101)],
                usage: usage(52, 0),
                setup_fee_due: false,
                lines: &[
                    ("Core plan, monthly fee for 15 of 30 days", 1, 7_450, 7_450),
                    ("Call minutes over the allowance (52 used, 51 included)", 1, 6, 6),
                ],
                total: 7_456,
            },
            Case {
                name: "a tenant who joined mid-month gets a prorated allowance",
                period: "2026-11",
                // 500 × 10 / 30 = 166.67 → 167 minutes, 167 SMS
                segments: vec![standard(Plan::Core, 10)],
                usage: usage(167, 168),
                setup_fee_due: false,
                lines: &[
                    ("Core plan, monthly fee for 10 of 30 days", 1, 4_967, 4_967),
                    ("SMS segments over the allowance (168 used, 167 included)", 1, 2, 2),
                ],
                total: 4_969,
            },
            Case {
                name: "a free plan still shows its fee line",
                period: "2026-11",
                segments: vec![custom(Plan::Core, 30, |raw| raw.monthly_price = 0)],
                usage: usage(0, 0),
                setup_fee_due: false,
                lines: &[("Core plan, monthly fee", 1, 0, 0)],
                total: 0,
            },
            Case {
                name: "no setup fee line for a plan without one, even when due",
                period: "2026-11",
                segments: vec![standard(Plan::Starter, 30)],
                usage: usage(0, 0),
                setup_fee_due: true,
                lines: &[("Starter plan, monthly fee", 1, 4_900, 4_900)],
                total: 4_900,
            },
            Case {
                name: "tokens are not invoiced",
                period: "2026-11",
                segments: vec![standard(Plan::Core, 30)],
                usage: UsageTotals { llm_tokens: 5_000_000, ai_cost_micros: 100_000, ..UsageTotals::default() },
                setup_fee_due: false,
                lines: &[("Core plan, monthly fee", 1, 14_900, 14_900)],
                total: 14_900,
            },
        ];
        for case in cases {
            check(case);
        }
    }

    #[test]
    fn refuses_what_cannot_be_invoiced() {
        let november = period("2026-11");
        let huge = |edit: fn(&mut RawPlanTerms)| custom(Plan::Core, 30, edit);
        let cases = [
            ("no segments", vec![], usage(0, 0), false, InvoiceError::NoBilledDays),
            (
                "a segment of no days",
                vec![standard(Plan::Core, 0)],
                usage(0, 0),
                false,
                InvoiceError::EmptySegment(Plan::Core),
            ),
            (
                "more days than November has",
                vec![standard(Plan::Core, 16), standard(Plan::Pro, 15)],
                usage(0, 0),
                false,
                InvoiceError::TooManyDays { billed: 31, period_days: 30 },
            ),
            (
                "two currencies",
                vec![standard(Plan::Core, 10), custom(Plan::Pro, 10, |raw| raw.currency = Currency::EUR)],
                usage(0, 0),
                false,
                InvoiceError::CurrencyMismatch(Currency::USD, Currency::EUR),
            ),
            (
                "negative minutes",
                vec![standard(Plan::Core, 30)],
                usage(-1, 0),
                false,
                InvoiceError::NegativeUsage { kind: UsageKind::CallMinutes, quantity: -1 },
            ),
            (
                "negative SMS",
                vec![standard(Plan::Core, 30)],
                usage(0, -2),
                false,
                InvoiceError::NegativeUsage { kind: UsageKind::SmsSegments, quantity: -2 },
            ),
            (
                "overage overflows",
                vec![huge(|raw| raw.overage_per_minute = i64::MAX)],
                usage(502, 0),
                false,
                InvoiceError::Overflow,
            ),
            (
                "total overflows",
                vec![huge(|raw| raw.monthly_price = i64::MAX)],
                usage(0, 0),
                true,
                InvoiceError::Overflow,
            ),
        ];
        for (name, segments, usage, setup_fee_due, expected) in cases {
            assert_eq!(compute_invoice(november, &segments, usage, setup_fee_due), Err(expected), "{name}");
        }
    }

    #[test]
    fn a_huge_price_prorates_without_a_false_overflow() {
        // i64::MAX × 15 overflows an i64, but half of i64::MAX does not.
        let segments = [custom(Plan::Core, 15, |raw| raw.monthly_price = i64::MAX)];
        let invoice = compute_invoice(period("2026-11"), &segments, usage(0, 0), false);
        assert_eq!(invoice.map(|invoice| invoice.total), Ok(i64::MAX / 2 + 1));
    }

    fn new_york() -> Tz {
        "America/New_York".parse().unwrap_or_else(|error| panic!("{error}"))
    }

    fn instant(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339).unwrap_or_else(|error| panic!("{rfc3339}: {error}")).with_timezone(&Utc)
    }

    fn change(plan: Plan, at: &str) -> PlanChange {
        PlanChange { plan, at: instant(at) }
    }

    #[test]
    fn plan_history_becomes_day_segments_in_the_tenants_zone() {
        // November 2026 in New York: 30 days, and summer time ends on the 1st.
        let signed_up = change(Plan::Core, "2026-03-10T12:00:00-04:00");
        type Days = Vec<(Plan, u32)>;
        let cases: Vec<(&str, Vec<PlanChange>, Days)> = vec![
            ("no history: the default plan all month", vec![], vec![(Plan::DEFAULT, 30)]),
            ("one plan since long ago", vec![signed_up.clone()], vec![(Plan::Core, 30)]),
            (
                "a change at local midnight on the 1st: no proration",
                vec![signed_up.clone(), change(Plan::Pro, "2026-11-01T00:00:00-04:00")],
                vec![(Plan::Pro, 30)],
            ),
            (
                "a change during the 1st counts from the 2nd",
                vec![signed_up.clone(), change(Plan::Pro, "2026-11-01T09:00:00-05:00")],
                vec![(Plan::Core, 1), (Plan::Pro, 29)],
            ),
            (
                "a change at local midnight on the 15th",
                vec![signed_up.clone(), change(Plan::Pro, "2026-11-15T00:00:00-05:00")],
                vec![(Plan::Core, 14), (Plan::Pro, 16)],
            ),
            (
                "one second after midnight waits for the next day",
                vec![signed_up.clone(), change(Plan::Pro, "2026-11-15T00:00:01-05:00")],
                vec![(Plan::Core, 15), (Plan::Pro, 15)],
            ),
            (
                "the 15th in UTC is still the 14th in New York",
                vec![signed_up.clone(), change(Plan::Pro, "2026-11-15T03:00:00Z")],
                vec![(Plan::Core, 14), (Plan::Pro, 16)],
            ),
            (
                "days before sign-up are not billed, nor the sign-up day itself",
                vec![change(Plan::Core, "2026-11-10T10:00:00-05:00")],
                vec![(Plan::Core, 20)],
            ),
            ("signed up after the period", vec![change(Plan::Core, "2026-12-01T00:00:00-05:00")], vec![]),
            (
                "the last change before a day starts wins; going back to a plan starts a new segment",
                vec![
                    signed_up.clone(),
                    change(Plan::Pro, "2026-11-10T08:00:00-05:00"),
                    change(Plan::Starter, "2026-11-10T09:00:00-05:00"),
                    change(Plan::Core, "2026-11-20T00:00:00-05:00"),
                ],
                vec![(Plan::Core, 10), (Plan::Starter, 9), (Plan::Core, 11)],
            ),
            (
                "every change before the month: the last one's plan all month",
                vec![
                    change(Plan::Starter, "2026-01-05T10:00:00-05:00"),
                    change(Plan::Pro, "2026-11-01T00:00:00-04:00"),
                ],
                vec![(Plan::Pro, 30)],
            ),
            (
                "the same plan again is one segment",
                vec![signed_up.clone(), change(Plan::Core, "2026-11-15T00:00:00-05:00")],
                vec![(Plan::Core, 30)],
            ),
            (
                "two changes at one instant: the later entry wins",
                vec![
                    signed_up.clone(),
                    change(Plan::Pro, "2026-11-15T00:00:00-05:00"),
                    change(Plan::Enterprise, "2026-11-15T00:00:00-05:00"),
                ],
                vec![(Plan::Core, 14), (Plan::Enterprise, 16)],
            ),
        ];
        for (name, history, expected) in cases {
            let segments = plan_segments(&history, new_york(), period("2026-11"), PlanTerms::standard);
            let actual: Vec<(Plan, u32)> = segments.iter().map(|s| (s.terms.plan(), s.days)).collect();
            assert_eq!(actual, expected, "{name}");
        }
    }

    #[test]
    fn segments_use_the_given_terms() {
        let history = [change(Plan::Core, "2026-01-01T00:00:00Z")];
        let discounted = |plan| {
            let raw = RawPlanTerms { monthly_price: 9_900, ..PlanTerms::standard(plan).into() };
            PlanTerms::new(raw).unwrap_or_else(|error| panic!("{error}"))
        };
        let segments = plan_segments(&history, Tz::UTC, period("2026-11"), discounted);
        assert_eq!(segments.iter().map(|s| s.terms.monthly_price()).collect::<Vec<_>>(), [9_900]);
    }

    #[test]
    fn history_to_invoice() {
        let history =
            [change(Plan::Starter, "2026-01-05T10:00:00-05:00"), change(Plan::Pro, "2026-11-01T09:00:00-05:00")];
        let november = period("2026-11");
        let segments = plan_segments(&history, new_york(), november, PlanTerms::standard);
        let invoice = compute_invoice(november, &segments, usage(0, 0), false);
        // Starter for the 1st: 4_900 / 30 = 163.33; Pro for 29 days: 39_900 × 29 / 30 = 38_570.
        assert_eq!(invoice.map(|invoice| invoice.total), Ok(163 + 38_570));
    }
}
