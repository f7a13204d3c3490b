//! The operator's figures: recurring revenue and how it moved, what shops
//! use, and what serving them costs. The formulas follow Stripe's "Billing
//! metric definitions" and ChartMogul's help articles; each result carries
//! the formula it was computed by.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use frontdesk_core::{Currency, Money};
use serde::Serialize;

use crate::facts::{CallRef, FactsError, UsageKind, UsageRecord, check_usage};
use crate::figures::{Amount, Stated, ratio};
use crate::period::Window;

/// The formulas the operator's pages print beside their figures.
pub mod formulas {
    pub const MRR: &str =
        "MRR = Σ monthly plan price of enabled, paying shops (no setup fees, no overage, no tax, no sandboxes)";
    pub const NET_NEW_MRR: &str = "Net new MRR = New + Expansion + Reactivation − Contraction − Churn";
    pub const GROSS_MRR_CHURN: &str = "Gross MRR churn = (Churn + Contraction) ÷ MRR at the start of the period";
    pub const NET_MRR_CHURN: &str =
        "Net MRR churn = (Churn + Contraction − Expansion − Reactivation) ÷ MRR at the start of the period";
    pub const ARPA: &str = "ARPA = MRR ÷ active shops";
    pub const ACTIVE_SHOPS: &str = "Active shops = shops enabled and paying";
    pub const MINUTES_PER_SHOP: &str =
        "Minutes per shop = billable call minutes of the period ÷ active shops (mean), and their median";
    pub const GROSS_MARGIN: &str = "Gross margin = (revenue − cost) ÷ revenue; revenue = billed in the period without tax and setup fees, cost = Σ estimated cost of the period's usage records";
    pub const COST_PER_CALL: &str = "Cost per call = Σ estimated cost of a call's usage records, over the calls of the period: mean, and p95 by nearest rank (the ⌈0.95 n⌉-th smallest)";
}

/// One shop as the operator's figures see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopAccount {
    /// The shop's slug.
    pub shop: String,
    /// Its plan's monthly price.
    pub monthly_price: Money,
    /// Whether its numbers are answered (not disabled or suspended).
    pub enabled: bool,
    /// A live shop whose subscription has not ended (not a sandbox).
    pub paying: bool,
    /// What it was billed for the period, without tax and setup fees.
    pub revenue: Money,
    /// Its usage records of (at least) the period.
    pub usage: Vec<UsageRecord>,
}

impl ShopAccount {
    /// Whether the shop counts in MRR, ARPA and the per-shop averages.
    pub fn active(&self) -> bool {
        self.enabled && self.paying
    }
}

/// From `at` on, `shop` pays `mrr` a month (zero: it stopped paying). The
/// gateway derives these from plan changes, subscription ends, suspensions
/// and resumptions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MrrChange {
    pub shop: String,
    pub at: DateTime<Utc>,
    pub mrr: Money,
}

/// The most a call should cost us, in millionths of the currency's main
/// unit. Never negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct CostTarget(i64);

impl CostTarget {
    /// $0.08 a call.
    pub const DEFAULT: CostTarget = CostTarget(80_000);

    pub fn from_micros(micros: i64) -> Result<CostTarget, FactsError> {
        if micros < 0 {
            return Err(FactsError::Negative { what: "the cost target", value: micros });
        }
        Ok(CostTarget(micros))
    }

    pub fn micros(&self) -> i64 {
        self.0
    }
}

impl Default for CostTarget {
    fn default() -> CostTarget {
        CostTarget::DEFAULT
    }
}

/// The platform's facts, checked: every amount in one currency and none
/// negative, no shop twice.
#[derive(Debug, Clone)]
pub struct OperatorFacts {
    currency: Currency,
    shops: Vec<ShopAccount>,
    /// Sorted by time, ties in the order given.
    changes: Vec<MrrChange>,
}

/// One kind of MRR movement over a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Movement {
    /// Always zero or more; contraction and churn are subtracted.
    pub amount: Amount,
    /// How many changes made it.
    pub changes: u64,
}

/// How MRR moved over a period, by kind. Each change of a shop's MRR is one
/// movement: from zero to more is new (the shop's first) or reactivation
/// (it paid before); to zero is churn; up is expansion; down is contraction.
/// So `mrr_at_end − mrr_at_start = net_new`, and a shop that churns and comes
/// back in the same period shows both.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MrrMovements {
    pub mrr_at_start: Amount,
    pub mrr_at_end: Amount,
    pub new: Movement,
    pub expansion: Movement,
    pub contraction: Movement,
    pub churn: Movement,
    pub reactivation: Movement,
    pub net_new: Amount,
    /// `None` when MRR at the start was zero.
    pub gross_churn: Option<f64>,
    /// `None` when MRR at the start was zero; negative when expansion beats
    /// what was lost.
    pub net_churn: Option<f64>,
}

/// Billable minutes per active shop.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MinutesPerShop {
    pub shops: u64,
    pub total: i64,
    /// `None` without active shops.
    pub mean: Option<f64>,
    pub median: Option<f64>,
}

/// Revenue against cost, for one shop or all.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Margin {
    /// The shop's slug; `None` for the overall figure.
    pub shop: Option<String>,
    pub revenue: Amount,
    /// In millionths of the currency's main unit.
    pub cost_micros: i64,
    /// `(revenue − cost) ÷ revenue`; `None` without revenue.
    pub margin: Option<f64>,
}

/// Gross margin of every shop and overall.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Margins {
    pub overall: Margin,
    /// In the order the shops were given.
    pub shops: Vec<Margin>,
}

/// What a call cost, against the target.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CostPerCall {
    pub calls: u64,
    pub target_micros: i64,
    /// `None` without calls.
    pub mean_micros: Option<f64>,
    pub p95_micros: Option<i64>,
    pub mean_within_target: Option<bool>,
    pub p95_within_target: Option<bool>,
    /// Calls that cost more than the target.
    pub over_target: u64,
}

/// Everything the operator's overview shows, each with its formula.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OperatorOverview {
    pub window: Window,
    pub mrr: Stated<Amount>,
    pub movements: Stated<MrrMovements>,
    pub gross_mrr_churn: Stated<Option<f64>>,
    pub net_mrr_churn: Stated<Option<f64>>,
    pub arpa: Stated<Option<Amount>>,
    pub active_shops: Stated<u64>,
    pub minutes_per_shop: Stated<MinutesPerShop>,
    pub gross_margin: Stated<Margins>,
    pub cost_per_call: Stated<CostPerCall>,
}

impl OperatorFacts {
    pub fn new(
        currency: Currency,
        shops: Vec<ShopAccount>,
        mut changes: Vec<MrrChange>,
    ) -> Result<OperatorFacts, FactsError> {
        let mut seen = HashSet::new();
        for shop in &shops {
            if !seen.insert(shop.shop.as_str()) {
                return Err(FactsError::DuplicateShop(shop.shop.clone()));
            }
            check_amount(currency, &shop.shop, "the monthly price", shop.monthly_price)?;
            check_amount(currency, &shop.shop, "the revenue", shop.revenue)?;
            check_usage(&shop.usage)?;
        }
        for change in &changes {
            check_amount(currency, &change.shop, "an MRR change", change.mrr)?;
        }
        changes.sort_by_key(|change| change.at);
        Ok(OperatorFacts { currency, shops, changes })
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    pub fn shops(&self) -> &[ShopAccount] {
        &self.shops
    }

    fn active(&self) -> impl Iterator<Item = &ShopAccount> {
        self.shops.iter().filter(|shop| shop.active())
    }

    /// Σ monthly plan price of the enabled, paying shops.
    pub fn mrr(&self) -> Amount {
        Amount::sum(self.currency, self.active().map(|shop| shop.monthly_price))
    }

    /// Shops enabled and paying.
    pub fn active_shops(&self) -> u64 {
        self.active().count() as u64
    }

    /// MRR ÷ active shops, rounded to the nearest minor unit; `None` without
    /// active shops.
    pub fn arpa(&self) -> Option<Amount> {
        let shops = i128::from(self.active_shops());
        if shops == 0 {
            return None;
        }
        let mrr = i128::from(self.mrr().minor());
        let minor = i64::try_from((mrr * 2 + shops) / (shops * 2)).unwrap_or(i64::MAX);
        Some(Amount::from_minor(minor, self.currency))
    }

    /// The MRR the changes add up to just before `instant`.
    pub fn mrr_before(&self, instant: DateTime<Utc>) -> Amount {
        let mut latest: HashMap<&str, i64> = HashMap::new();
        for change in self.changes.iter().take_while(|change| change.at < instant) {
            latest.insert(change.shop.as_str(), change.mrr.minor());
        }
        Amount::sum(self.currency, latest.into_values().map(|minor| Money::from_minor(minor, self.currency)))
    }

    /// How MRR moved in `window`.
    pub fn movements(&self, window: &Window) -> MrrMovements {
        // Each shop's MRR so far, and whether it ever paid.
        let mut shops: HashMap<&str, (i64, bool)> = HashMap::new();
        let mut tally = [(0_i64, 0_u64); MovementKind::COUNT];
        for change in self.changes.iter().take_while(|change| change.at < window.end()) {
            let (mrr, paid_before) = shops.entry(change.shop.as_str()).or_insert((0, false));
            let (before, after, ever_paid) = (*mrr, change.mrr.minor(), *paid_before);
            *mrr = after;
            *paid_before |= after > 0;
            if change.at < window.start() {
                continue;
            }
            let Some((kind, amount)) = MovementKind::of(before, after, ever_paid) else { continue };
            if let Some((total, changes)) = tally.get_mut(kind as usize) {
                *total = total.saturating_add(amount);
                *changes += 1;
            }
        }
        let movement = |kind: MovementKind| {
            let (minor, changes) = tally.get(kind as usize).copied().unwrap_or_default();
            Movement { amount: Amount::from_minor(minor, self.currency), changes }
        };
        let minor = |kind: MovementKind| i128::from(movement(kind).amount.minor());
        let gained = minor(MovementKind::New) + minor(MovementKind::Expansion) + minor(MovementKind::Reactivation);
        let lost = minor(MovementKind::Contraction) + minor(MovementKind::Churn);
        let won_back = minor(MovementKind::Expansion) + minor(MovementKind::Reactivation);
        let mrr_at_start = self.mrr_before(window.start());
        let start = mrr_at_start.minor() as f64;
        MrrMovements {
            mrr_at_start,
            mrr_at_end: self.mrr_before(window.end()),
            new: movement(MovementKind::New),
            expansion: movement(MovementKind::Expansion),
            contraction: movement(MovementKind::Contraction),
            churn: movement(MovementKind::Churn),
            reactivation: movement(MovementKind::Reactivation),
            net_new: Amount::from_minor(saturate(gained - lost), self.currency),
            gross_churn: ratio(lost as f64, start),
            net_churn: ratio((lost - won_back) as f64, start),
        }
    }

    /// Billable call minutes in `window` per active shop.
    pub fn minutes_per_shop(&self, window: &Window) -> MinutesPerShop {
        let mut minutes: Vec<i64> = self
            .active()
            .map(|shop| {
                shop.usage
                    .iter()
                    .filter(|record| record.kind == UsageKind::CallMinutes && window.contains(record.occurred_at))
                    .fold(0_i64, |total, record| total.saturating_add(record.quantity))
            })
            .collect();
        minutes.sort_unstable();
        let total = minutes.iter().fold(0_i64, |total, shop| total.saturating_add(*shop));
        let median = match minutes.len() {
            0 => None,
            count if count % 2 == 1 => minutes.get(count / 2).map(|middle| *middle as f64),
            count => match (minutes.get(count / 2 - 1), minutes.get(count / 2)) {
                (Some(low), Some(high)) => Some((*low as f64 + *high as f64) / 2.0),
                _ => None,
            },
        };
        MinutesPerShop { shops: minutes.len() as u64, total, mean: ratio(total as f64, minutes.len() as f64), median }
    }

    /// Gross margin of every shop and overall, with costs from the usage
    /// records of `window`.
    pub fn margins(&self, window: &Window) -> Margins {
        let margin = |shop: Option<String>, revenue: Amount, cost_micros: i64| {
            let revenue_micros = revenue.micros();
            let margin = ratio((revenue_micros - i128::from(cost_micros)) as f64, revenue_micros as f64);
            Margin { shop, revenue, cost_micros, margin }
        };
        let shops: Vec<Margin> = self
            .shops
            .iter()
            .map(|shop| {
                let cost = shop
                    .usage
                    .iter()
                    .filter(|record| window.contains(record.occurred_at))
                    .fold(0_i64, |total, record| total.saturating_add(record.cost_micros));
                margin(Some(shop.shop.clone()), Amount::new(shop.revenue), cost)
            })
            .collect();
        let revenue = Amount::sum(self.currency, self.shops.iter().map(|shop| shop.revenue));
        let cost = shops.iter().fold(0_i64, |total, shop| total.saturating_add(shop.cost_micros));
        Margins { overall: margin(None, revenue, cost), shops }
    }

    /// What each call whose usage falls in `window` cost, against `target`.
    pub fn cost_per_call(&self, window: &Window, target: CostTarget) -> CostPerCall {
        let of_calls = |shop: &ShopAccount| {
            shop.usage.iter().filter(|record| record.call.is_some() && window.contains(record.occurred_at)).count()
        };
        // Sized up front: a platform's month is tens of thousands of calls,
        // and growing the map step by step hashed every call several times.
        let mut per_call: HashMap<(usize, &CallRef), i64> =
            HashMap::with_capacity(self.shops.iter().map(of_calls).sum());
        for (shop, account) in self.shops.iter().enumerate() {
            for record in account.usage.iter().filter(|record| window.contains(record.occurred_at)) {
                if let Some(call) = &record.call {
                    let cost = per_call.entry((shop, call)).or_default();
                    *cost = cost.saturating_add(record.cost_micros);
                }
            }
        }
        let mut costs: Vec<i64> = per_call.into_values().collect();
        costs.sort_unstable();
        let total = costs.iter().fold(0_i128, |total, cost| total + i128::from(*cost));
        let mean_micros = ratio(total as f64, costs.len() as f64);
        let p95_micros = nearest_rank(&costs, 95);
        CostPerCall {
            calls: costs.len() as u64,
            target_micros: target.micros(),
            mean_micros,
            p95_micros,
            mean_within_target: mean_micros.map(|mean| mean <= target.micros() as f64),
            p95_within_target: p95_micros.map(|p95| p95 <= target.micros()),
            over_target: costs.iter().filter(|cost| **cost > target.micros()).count() as u64,
        }
    }

    /// Every figure of the operator's overview for `window`.
    pub fn overview(&self, window: &Window, target: CostTarget) -> OperatorOverview {
        let movements = self.movements(window);
        OperatorOverview {
            window: *window,
            mrr: Stated::new(self.mrr(), formulas::MRR),
            gross_mrr_churn: Stated::new(movements.gross_churn, formulas::GROSS_MRR_CHURN),
            net_mrr_churn: Stated::new(movements.net_churn, formulas::NET_MRR_CHURN),
            movements: Stated::new(movements, formulas::NET_NEW_MRR),
            arpa: Stated::new(self.arpa(), formulas::ARPA),
            active_shops: Stated::new(self.active_shops(), formulas::ACTIVE_SHOPS),
            minutes_per_shop: Stated::new(self.minutes_per_shop(window), formulas::MINUTES_PER_SHOP),
            gross_margin: Stated::new(self.margins(window), formulas::GROSS_MARGIN),
            cost_per_call: Stated::new(self.cost_per_call(window, target), formulas::COST_PER_CALL),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MovementKind {
    New,
    Expansion,
    Contraction,
    Churn,
    Reactivation,
}

impl MovementKind {
    const COUNT: usize = 5;

    /// The movement a shop's MRR going from `before` to `after` makes, and
    /// its size; `None` when nothing moved.
    fn of(before: i64, after: i64, ever_paid: bool) -> Option<(MovementKind, i64)> {
        match (before, after) {
            (0, 0) => None,
            (0, _) if ever_paid => Some((MovementKind::Reactivation, after)),
            (0, _) => Some((MovementKind::New, after)),
            (_, 0) => Some((MovementKind::Churn, before)),
            _ if after > before => Some((MovementKind::Expansion, after - before)),
            _ if after < before => Some((MovementKind::Contraction, before - after)),
            _ => None,
        }
    }
}

/// The `percentile`-th percentile of sorted `values` by nearest rank: the
/// ⌈percentile × n ÷ 100⌉-th smallest (with fewer than 20 values, the p95 is
/// the largest).
pub fn nearest_rank(sorted: &[i64], percentile: u32) -> Option<i64> {
    let count = sorted.len();
    let percentile = percentile.clamp(1, 100) as usize;
    let rank = count.saturating_mul(percentile).div_ceil(100);
    sorted.get(rank.checked_sub(1)?).copied()
}

fn saturate(value: i128) -> i64 {
    i64::try_from(value).unwrap_or(if value < 0 { i64::MIN } else { i64::MAX })
}

fn check_amount(currency: Currency, shop: &str, what: &'static str, amount: Money) -> Result<(), FactsError> {
    if amount.currency() != currency {
        return Err(FactsError::ShopCurrency {
            shop: shop.to_owned(),
            what,
            expected: currency,
            found: amount.currency(),
        });
    }
    if amount.minor() < 0 {
        return Err(FactsError::Negative { what, value: amount.minor() });
    }
    Ok(())
}
