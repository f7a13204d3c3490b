//! The platform's records as `frontdesk-insights`' operator facts: one
//! [`ShopAccount`] per shop and the history of each shop's MRR.
//!
//! Where the figures come from, and what the records cannot say yet (each
//! stated on the pages, see [`Coverage`]):
//!
//! - **MRR and its movements**: the plan history (`BillingStore::plan_changes`,
//!   dated) priced at the standard catalog, with a shop counted while it is
//!   live, enabled, not suspended by an operator and its subscription not
//!   cancelled. Disabling, enabling, suspending and resuming are dated by
//!   the audit log entries of the period (`tenant.status`, `cap.set`,
//!   `shop.suspend`, `shop.resume`, with their before and after). A shop
//!   already out when the period starts is taken to have left just before it
//!   (when is not known); a subscription cancelled at the payment provider
//!   is not dated at all, so such a shop counts as out for the whole period.
//! - **Revenue** (for the margins): each billing month's invoice as the
//!   invoicing computes it (plan days and overage; no setup fee; there is no
//!   tax), spread evenly over the days it bills and counted up to now.
//! - **Cost and minutes**: the calls that started in the period and have
//!   ended: their billable minutes at the rate card's voice rate, and what
//!   their model use and the outbound legs placed for them (a transfer's
//!   owner leg, a call back's legs, at the outbound rate) cost
//!   (`Metering::calls_model_usage`, one read); each live shop's number rent
//!   over the period; every text the shops sent in the period, its SMS
//!   segments at the rate card's SMS rate (`sms_segments` records,
//!   `Metering::usage_of_kind_of_all_tenants`, one read). Texts count in
//!   the margins, not in the cost per call: a text's usage record names its
//!   message, not the call it followed. Model use outside calls (reindexing
//!   knowledge) is not counted. The minutes of a call forwarded to the
//!   owner (its usage is `forwarded_minutes`) are costed but are not the
//!   shop's minutes (minutes per shop).
//!
//! Every shop is read at once, never one read per shop or per call: a
//! thousand shops cost the same handful of reads as ten (every shop's month
//! and account, every shop's calls of the period, their model use, the
//! months' usage the revenue needs).

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};
use frontdesk_audit::{AuditEntry, AuditQuery};
use frontdesk_billing::{
    AnsweringMode, BillingAccount, BillingPeriod, InvoiceError, PlanChange, PlanTerms, TenantStanding,
    UsageKind as BillingUsageKind, UsageReport, UsageSum, UsageTotals, compute_invoice, plan_segments,
};
use frontdesk_core::{Currency, Money, Plan, TenantId};
use frontdesk_insights::{CallRef, MrrChange, OperatorFacts, ShopAccount, UsageKind, UsageRecord, Window};
use frontdesk_routing::calls::CallBrief;
use frontdesk_tenant::{TenantKind, TenantStatus, TenantSummary};
use serde_json::Value;

use crate::app::AppState;

/// What the pages' figures are computed in: the standard catalog's currency.
pub(super) const CURRENCY: Currency = Currency::USD;

/// The audit log is read this many entries at a time, at most this many
/// times, for the period's status changes.
const AUDIT_PAGE: u32 = 1_000;
const AUDIT_PAGES: usize = 20;

/// One shop as the operator's pages show it.
pub(super) struct Shop {
    /// Who it is and how it stands (not its whole profile: nothing here
    /// needs its hours, services or knowledge).
    pub tenant: TenantSummary,
    pub plan: Plan,
    pub account: BillingAccount,
    /// The shop's current billing month (its own time zone).
    pub month: UsageReport,
    /// What a call starting now gets.
    pub answering: AnsweringMode,
}

impl Shop {
    pub fn slug(&self) -> &TenantId {
        &self.tenant.slug
    }

    /// An operator switched its AI answering off (a minute cap of 0): calls
    /// go to the owner's phone.
    pub fn suspended(&self) -> bool {
        self.account.minute_cap == Some(0)
    }
}

/// How much of the period the records could cover.
#[derive(Debug, Default)]
pub(super) struct Coverage {
    /// Ended calls of the period, each costed from its model use.
    pub calls_costed: u64,
    /// Calls of the period still going: neither minutes nor cost yet.
    pub calls_in_progress: u64,
    /// SMS segments the shops sent in the period (costed in the margins).
    pub text_segments: i64,
    /// Shops whose subscription the payment provider reports cancelled (the
    /// date is not known).
    pub undated_cancellations: u64,
    /// The period's audit log was longer than what was read: some status
    /// changes may be missing from the movements.
    pub audit_truncated: bool,
}

/// Every shop, and the facts the figures are computed from.
pub(super) struct Platform {
    /// In the order of [`OperatorFacts::shops`].
    pub shops: Vec<Shop>,
    pub facts: OperatorFacts,
    pub coverage: Coverage,
}

/// What a page reads beyond every shop's month and the calls of the period.
#[derive(Debug, Clone, Copy)]
pub(super) struct Reads {
    /// Each shop's revenue of the period (for the margins): its invoices,
    /// so the usage of the months before the current one.
    pub revenue: bool,
    /// How MRR moved: the period's status changes in the audit log.
    pub movements: bool,
}

impl Reads {
    /// Everything: the overview.
    pub const ALL: Reads = Reads { revenue: true, movements: true };
}

/// The platform's facts for `window`, as the records stand at `now`. What
/// `reads` leaves out is not read: then every shop's revenue is zero, or
/// there are no MRR changes.
pub(super) async fn platform(
    state: &AppState,
    window: &Window,
    now: DateTime<Utc>,
    reads: Reads,
) -> anyhow::Result<Platform> {
    // The calls (the biggest read) on another thread, beside the shops.
    let calls = tokio::spawn({
        let (state, window) = (state.clone(), *window);
        async move { call_usage(&state, &window).await }
    });
    // Every shop's month, in its own zone: the month of every zone now is
    // that of the zones furthest west and east (one month, two around a
    // month's turn), so it is read beside the shops, not after them.
    let (west, east) = (chrono_tz::Etc::GMTPlus12, chrono_tz::Etc::GMTMinus14);
    let current: BTreeSet<BillingPeriod> =
        [west, east].into_iter().map(|zone| BillingPeriod::containing(now, zone)).collect();
    let standings = tokio::spawn({
        let (metering, current) = (state.metering.clone(), current.clone());
        async move {
            let mut standings: HashMap<BillingPeriod, HashMap<TenantId, TenantStanding>> = HashMap::new();
            for period in current {
                standings.insert(period, metering.standings_of_all_tenants(period, now).await?);
            }
            Ok::<_, anyhow::Error>(standings)
        }
    });
    // The months before the current one that the revenue spreads over, in
    // any zone (from the one the period starts in furthest west to the last
    // one starting before its end furthest east): read beside the rest too.
    let mut earlier: BTreeSet<BillingPeriod> = BTreeSet::new();
    if reads.revenue {
        let mut period = BillingPeriod::containing(window.start(), west);
        while period.start(east) < window.end().min(now) {
            if !current.contains(&period) {
                earlier.insert(period);
            }
            period = period.next();
        }
    }
    let totals = tokio::spawn({
        let metering = state.metering.clone();
        async move {
            let mut totals: HashMap<BillingPeriod, HashMap<TenantId, UsageTotals>> = HashMap::new();
            for period in earlier {
                totals.insert(period, metering.totals_of_all_tenants(period).await?);
            }
            Ok::<_, anyhow::Error>(totals)
        }
    });
    // Every shop's texts of the period (none are recorded after now), in one
    // read.
    let texts = tokio::spawn({
        let (metering, window) = (state.metering.clone(), *window);
        async move {
            metering.usage_of_kind_of_all_tenants(BillingUsageKind::SmsSegments, window.start(), window.end()).await
        }
    });
    let records = async { Ok::<_, anyhow::Error>(state.tenants.tenant_summaries().await?) };
    let audit = async {
        if reads.movements { status_changes_since(state, window.start()).await } else { Ok((HashMap::new(), false)) }
    };
    let (records, (audit, audit_truncated)) = tokio::try_join!(records, audit)?;
    let mut standings = standings.await??;
    let totals = totals.await??;
    let (mut usage, calls_costed, calls_in_progress) = calls.await??;
    let mut texts = texts.await??;
    let text_segments = texts.values().fold(0_i64, |total, sum| total.saturating_add(sum.quantity));
    let mut coverage =
        Coverage { audit_truncated, calls_costed, calls_in_progress, text_segments, ..Coverage::default() };
    let mut shops = Vec::with_capacity(records.len());
    let mut accounts = Vec::with_capacity(records.len());
    let mut changes = Vec::new();
    for record in records {
        let tenant = record.slug.clone();
        let period = BillingPeriod::containing(now, record.timezone);
        let standing = standings
            .get_mut(&period)
            .and_then(|standings| standings.remove(&tenant))
            .ok_or_else(|| anyhow::anyhow!("no billing records for {tenant}"))?;
        let history = standing.plan_changes;
        let plan = history.last().map_or(Plan::DEFAULT, |change| change.plan);
        let shop = Shop {
            tenant: record,
            plan,
            account: standing.account,
            month: standing.report,
            answering: standing.answering,
        };
        let live = shop.tenant.kind == TenantKind::Live;
        let paying = live && !shop.account.subscription_ended();
        if live && !paying {
            coverage.undated_cancellations += 1;
        }
        let revenue = if live && reads.revenue { revenue(&shop, &history, &totals, window, now)? } else { 0 };
        let mut usage = usage.remove(&tenant).unwrap_or_default();
        if live {
            usage.push(number_rent(state, &shop, window, now));
        }
        if let Some(sent) = texts.remove(&tenant) {
            usage.push(texts_sent(sent, window));
        }
        if live && reads.movements {
            let activity = activity(&shop, paying, audit.get(&tenant).map_or(&[][..], Vec::as_slice));
            changes.extend(mrr_changes(&tenant, &history, &activity, window.start()));
        }
        accounts.push(ShopAccount {
            shop: tenant.to_string(),
            monthly_price: price(shop.plan),
            enabled: shop.tenant.status == TenantStatus::Active && !shop.suspended(),
            paying,
            revenue: Money::from_minor(revenue, CURRENCY),
            usage,
        });
        shops.push(shop);
    }
    let facts = OperatorFacts::new(CURRENCY, accounts, changes)?;
    Ok(Platform { shops, facts, coverage })
}

fn price(plan: Plan) -> Money {
    let terms = PlanTerms::standard(plan);
    Money::from_minor(terms.monthly_price(), terms.currency())
}

/// What the shop earned in `window` up to `now`, in cents: each billing
/// month's invoice (no setup fee) spread evenly over the days it bills
/// (those from the shop's first plan on).
fn revenue(
    shop: &Shop,
    history: &[PlanChange],
    totals: &HashMap<BillingPeriod, HashMap<TenantId, UsageTotals>>,
    window: &Window,
    now: DateTime<Utc>,
) -> anyhow::Result<i64> {
    let zone = shop.tenant.timezone;
    let (from, to) = (window.start(), window.end().min(now));
    let mut period = BillingPeriod::containing(from, zone);
    let mut earned = 0.0_f64;
    while from < to && period.start(zone) < to {
        let segments = plan_segments(history, zone, period, PlanTerms::standard);
        let billed_days: u32 = segments.iter().map(|segment| segment.days).sum();
        // The billed days are the period's last ones (a DST change moves
        // this by an hour at most).
        let end = period.end(zone);
        let start = end - Duration::days(i64::from(billed_days));
        let overlap = (end.min(to) - start.max(from)).num_seconds().max(0) as f64;
        if billed_days > 0 && overlap > 0.0 {
            let totals = if period == shop.month.period {
                shop.month.totals
            } else {
                totals.get(&period).and_then(|totals| totals.get(shop.slug())).copied().unwrap_or_default()
            };
            let billed = match compute_invoice(period, &segments, totals, false) {
                Ok(invoice) => invoice.total,
                Err(InvoiceError::NoBilledDays) => 0,
                Err(error) => return Err(anyhow::anyhow!("the {period} invoice of {}: {error}", shop.slug())),
            };
            earned += billed as f64 * overlap / (end - start).num_seconds().max(1) as f64;
        }
        period = period.next();
    }
    Ok(earned.round() as i64)
}

/// What every shop's calls of a period cost: by shop, and how many were
/// costed and how many are still going.
type CallUsage = (HashMap<TenantId, Vec<UsageRecord>>, u64, u64);

/// The billable minutes, the model cost and the outbound legs' cost of each
/// call that started in `window` and has ended, by shop: every shop's calls
/// in one read, their model use and legs in another.
async fn call_usage(state: &AppState, window: &Window) -> anyhow::Result<CallUsage> {
    let calls = state.calls.call_briefs_of_all_tenants(window.start(), window.end()).await?;
    let ended: Vec<&CallBrief> = calls.iter().filter(|call| call.ended_at.is_some()).collect();
    let in_progress = (calls.len() - ended.len()) as u64;
    let mut costed = 0;
    let keys: Vec<(TenantId, String)> =
        ended.iter().map(|call| (call.tenant.clone(), call.call_sid.as_str().to_owned())).collect();
    let model = state.metering.calls_model_usage(&keys, window.start()).await?;
    let mut usage: HashMap<TenantId, Vec<UsageRecord>> = HashMap::new();
    for (call, key) in ended.into_iter().zip(keys) {
        let Some(seconds) = call.duration_secs else { continue };
        let sid = CallRef::new(call.call_sid.as_str());
        let minutes = frontdesk_billing::billable_minutes(i64::from(seconds)).unwrap_or(0);
        let model = model.get(&key).copied().unwrap_or_default();
        let records = usage.entry(key.0).or_default();
        // A call that used no model has no model record: it would add nothing.
        if model.tokens > 0 || model.cost_micros > 0 {
            records.push(UsageRecord {
                occurred_at: call.started_at,
                kind: UsageKind::LlmTokens,
                quantity: model.tokens.max(0),
                cost_micros: model.cost_micros.max(0),
                call: Some(sid.clone()),
            });
        }
        // The outbound legs placed for it (a transfer's owner leg, a call
        // back's legs) are part of what it cost us, never billed minutes.
        if model.leg_minutes > 0 || model.leg_cost_micros > 0 {
            records.push(UsageRecord {
                occurred_at: call.started_at,
                kind: UsageKind::Other,
                quantity: model.leg_minutes.max(0),
                cost_micros: model.leg_cost_micros.max(0),
                call: Some(sid.clone()),
            });
        }
        records.push(UsageRecord {
            occurred_at: call.started_at,
            // A call forwarded to the owner (answering suspended) cost us
            // its minutes, but the receptionist never answered it: not the
            // shop's minutes.
            kind: if model.forwarded { UsageKind::Other } else { UsageKind::CallMinutes },
            quantity: minutes,
            // The rate card's estimate, as the call's own usage record has it.
            cost_micros: state.metering.rate_card().call_cost_micros(minutes),
            call: Some(sid),
        });
        costed += 1;
    }
    Ok((usage, costed, in_progress))
}

/// The texts a shop sent in `window`: their segments and what the rate card
/// estimated they cost, as one usage record of no call.
fn texts_sent(sent: UsageSum, window: &Window) -> UsageRecord {
    UsageRecord {
        occurred_at: window.start(),
        kind: UsageKind::SmsSegments,
        quantity: sent.quantity.max(0),
        cost_micros: sent.cost_micros.max(0),
        call: None,
    }
}

/// What the shop's numbers cost over `window` up to `now` (the rate card's
/// monthly rent, prorated by each month's days), as one usage record.
fn number_rent(state: &AppState, shop: &Shop, window: &Window, now: DateTime<Utc>) -> UsageRecord {
    let numbers = u32::try_from(shop.tenant.phone_numbers).unwrap_or(u32::MAX);
    let (from, to) = (window.start().date_naive(), window.end().min(now).date_naive().succ_opt());
    let cost = to.map_or(0, |to| state.metering.rate_card().number_rent_micros_between(numbers, from, to));
    UsageRecord {
        occurred_at: window.start(),
        kind: UsageKind::Other,
        quantity: i64::from(numbers),
        cost_micros: cost,
        call: None,
    }
}

/// The audit log's entries that enable, disable, suspend or resume a shop,
/// from `from` on, by shop, oldest first; and whether there were more than
/// were read.
async fn status_changes_since(
    state: &AppState,
    from: DateTime<Utc>,
) -> anyhow::Result<(HashMap<TenantId, Vec<AuditEntry>>, bool)> {
    let mut by_shop: HashMap<TenantId, Vec<AuditEntry>> = HashMap::new();
    let mut seen = std::collections::HashSet::new();
    let mut since = from;
    for _ in 0..AUDIT_PAGES {
        let query = AuditQuery { tenant: None, from: Some(since), to: None, limit: AUDIT_PAGE, newest_first: false };
        let entries = state.audit.audit_entries(&query).await?;
        let full = entries.len() == AUDIT_PAGE as usize;
        let last = entries.last().map(|entry| entry.at);
        for entry in entries {
            if !seen.insert(entry.id.clone()) || !changes_standing(&entry.action) {
                continue;
            }
            if let Some(tenant) = entry.tenant.clone() {
                by_shop.entry(tenant).or_default().push(entry);
            }
        }
        match last {
            // The next page starts at the last entry's instant (entries
            // sharing it are told apart by id); one instant filling a whole
            // page would never advance.
            Some(at) if full && at > since => since = at,
            Some(_) if full => return Ok((by_shop, true)),
            _ => return Ok((by_shop, false)),
        }
    }
    Ok((by_shop, true))
}

fn changes_standing(action: &str) -> bool {
    matches!(action, "tenant.status" | "cap.set" | "shop.suspend" | "shop.resume")
}

/// Whether a shop counted in MRR when the period started, and each time
/// that changed in the period.
struct Activity {
    at_start: bool,
    changes: Vec<(DateTime<Utc>, bool)>,
}

/// Replays `entries` (the shop's audit entries of the period, oldest first)
/// from the state before the first of them: a shop counts while it pays, is
/// enabled and has a minute cap other than 0.
fn activity(shop: &Shop, paying: bool, entries: &[AuditEntry]) -> Activity {
    let status_of = |value: &Option<Value>| -> Option<bool> {
        Some(value.as_ref()?.get("status")?.as_str()? == TenantStatus::Active.as_str())
    };
    let suspended_of =
        |value: &Option<Value>| -> Option<bool> { Some(value.as_ref()?.get("minutes")?.as_i64() == Some(0)) };
    let is_status = |entry: &&AuditEntry| entry.action == "tenant.status";
    let mut enabled = entries
        .iter()
        .find(is_status)
        .and_then(|entry| status_of(&entry.before))
        .unwrap_or(shop.tenant.status == TenantStatus::Active);
    let mut suspended = entries
        .iter()
        .find(|entry| !is_status(entry))
        .and_then(|entry| suspended_of(&entry.before))
        .unwrap_or_else(|| shop.suspended());
    let at_start = paying && enabled && !suspended;
    let mut changes = Vec::new();
    for entry in entries {
        if entry.action == "tenant.status" {
            enabled = status_of(&entry.after).unwrap_or(enabled);
        } else {
            suspended = suspended_of(&entry.after).unwrap_or(suspended);
        }
        changes.push((entry.at, paying && enabled && !suspended));
    }
    Activity { at_start, changes }
}

enum Event {
    Plan(Plan),
    Counts(bool),
}

/// The shop's MRR over time: its plan's price while it counts, 0 while it
/// does not. Before the period the plan history is taken as it stands (the
/// shop counting throughout); a shop out at the period's start left just
/// before it.
fn mrr_changes(tenant: &TenantId, history: &[PlanChange], activity: &Activity, start: DateTime<Utc>) -> Vec<MrrChange> {
    let change = |at: DateTime<Utc>, mrr: Money| MrrChange { shop: tenant.to_string(), at, mrr };
    let mut changes: Vec<MrrChange> = Vec::new();
    let mut plan = None;
    for earlier in history.iter().filter(|change| change.at < start) {
        plan = Some(earlier.plan);
        changes.push(change(earlier.at, price(earlier.plan)));
    }
    if !activity.at_start && plan.is_some() {
        changes.push(change(start - Duration::nanoseconds(1), Money::zero(CURRENCY)));
    }
    let mut events: Vec<(DateTime<Utc>, Event)> = history
        .iter()
        .filter(|change| change.at >= start)
        .map(|change| (change.at, Event::Plan(change.plan)))
        .chain(activity.changes.iter().map(|(at, counts)| (*at, Event::Counts(*counts))))
        .collect();
    events.sort_by_key(|(at, _)| *at);
    let mut counts = activity.at_start;
    for (at, event) in events {
        match event {
            Event::Plan(new_plan) => plan = Some(new_plan),
            Event::Counts(now_counts) => counts = now_counts,
        }
        let mrr = match plan {
            Some(plan) if counts => price(plan),
            _ => Money::zero(CURRENCY),
        };
        changes.push(change(at, mrr));
    }
    changes
}
