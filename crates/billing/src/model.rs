use chrono::{DateTime, NaiveDate, Utc};
use frontdesk_core::{Plan, TenantId};
use serde::{Deserialize, Serialize};

use crate::period::BillingPeriod;

/// What is metered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UsageKind {
    /// Call minutes, each started minute counted whole (as Twilio bills).
    CallMinutes,
    /// Outbound SMS segments (GSM-7 or UCS-2 rules).
    SmsSegments,
    /// LLM tokens, prompt and completion together.
    LlmTokens,
    /// Minutes of a call the receptionist never answered: AI answering was
    /// suspended (the operator's cap of 0, the minute cap reached, past due,
    /// the subscription ended) and the call was forwarded to the owner.
    /// They cost us the inbound minutes all the same, so they are costed
    /// (gross margin and cost per call stay true), but the shop is not
    /// billed for them: they never count toward the included minutes, the
    /// caps or an invoice's overage, and are never reported to the payment
    /// provider.
    ForwardedMinutes,
    /// Minutes of an outbound leg we place: the owner's phone dialled by a
    /// transfer (warm or plain, or the forward of a suspended shop), the
    /// customer dialled by a call back. Costed at the card's outbound
    /// (`transfer_minute`) rate and attributed to the call they serve
    /// (`leg:{parent call}:{leg}`), but never billed to the shop: a
    /// transfer's leg is part of the service the parent call's own minutes
    /// already bill, and a call back is the owner's own call.
    OutboundMinutes,
}

impl UsageKind {
    pub const ALL: [UsageKind; 5] = [
        UsageKind::CallMinutes,
        UsageKind::SmsSegments,
        UsageKind::LlmTokens,
        UsageKind::ForwardedMinutes,
        UsageKind::OutboundMinutes,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UsageKind::CallMinutes => "call_minutes",
            UsageKind::SmsSegments => "sms_segments",
            UsageKind::LlmTokens => "llm_tokens",
            UsageKind::ForwardedMinutes => "forwarded_minutes",
            UsageKind::OutboundMinutes => "outbound_minutes",
        }
    }

    /// Whether the shop pays for this usage (its plan's allowances, its
    /// overage, the payment provider's meters): `false` for what only costs
    /// us ([`UsageKind::ForwardedMinutes`], [`UsageKind::OutboundMinutes`]).
    pub fn billed_to_shop(self) -> bool {
        match self {
            UsageKind::CallMinutes | UsageKind::SmsSegments | UsageKind::LlmTokens => true,
            UsageKind::ForwardedMinutes | UsageKind::OutboundMinutes => false,
        }
    }

    pub fn parse(raw: &str) -> Option<UsageKind> {
        UsageKind::ALL.into_iter().find(|kind| kind.as_str() == raw)
    }
}

/// One metered fact. `key` names the fact (`call:CA…`, `sms:<job id>`), so a
/// repeated callback or a retried job is counted once; `id` is our usage
/// record id, the identifier Stripe deduplicates meter events by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUsage {
    pub id: String,
    pub tenant: TenantId,
    pub kind: UsageKind,
    pub quantity: i64,
    pub key: String,
    pub period: BillingPeriod,
    pub occurred_at: DateTime<Utc>,
    /// What the fact is estimated to have cost us at the provider, in US
    /// micro-dollars, from the `RateCard`: call minutes at the voice rate,
    /// SMS segments at the SMS rate, model tokens at the model's price (0
    /// for a model without one). Records made before minutes and texts were
    /// costed hold 0 for them and are never re-costed.
    pub cost_micros: i64,
}

/// A tenant's usage in one period, with its estimated cost to us per kind
/// (US micro-dollars, summed from the records' `cost_micros`: an estimate,
/// and low for periods recorded before minutes and texts were costed).
///
/// `call_minutes` are the minutes the receptionist answered, what the plan's
/// included minutes, the caps and the invoice count; the minutes of calls
/// forwarded to the owner while answering was suspended are apart
/// (`forwarded_minutes`), costed but never billed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct UsageTotals {
    pub call_minutes: i64,
    pub sms_segments: i64,
    pub llm_tokens: i64,
    /// What the period's model tokens cost (what the AI budget counts).
    pub ai_cost_micros: i64,
    /// What the period's call minutes cost.
    pub call_cost_micros: i64,
    /// What the period's SMS segments cost.
    pub sms_cost_micros: i64,
    /// Minutes of calls forwarded to the owner unanswered (not billed).
    pub forwarded_minutes: i64,
    /// What those forwarded minutes cost us.
    pub forwarded_cost_micros: i64,
    /// Minutes of the outbound legs we placed (transfers, call backs; not
    /// billed).
    pub outbound_minutes: i64,
    /// What those legs cost us.
    pub outbound_cost_micros: i64,
}

impl UsageTotals {
    pub fn get(&self, kind: UsageKind) -> i64 {
        match kind {
            UsageKind::CallMinutes => self.call_minutes,
            UsageKind::SmsSegments => self.sms_segments,
            UsageKind::LlmTokens => self.llm_tokens,
            UsageKind::ForwardedMinutes => self.forwarded_minutes,
            UsageKind::OutboundMinutes => self.outbound_minutes,
        }
    }

    pub fn add(&mut self, kind: UsageKind, quantity: i64) {
        match kind {
            UsageKind::CallMinutes => self.call_minutes += quantity,
            UsageKind::SmsSegments => self.sms_segments += quantity,
            UsageKind::LlmTokens => self.llm_tokens += quantity,
            UsageKind::ForwardedMinutes => self.forwarded_minutes += quantity,
            UsageKind::OutboundMinutes => self.outbound_minutes += quantity,
        }
    }

    /// The estimated cost of one kind of usage, in US micro-dollars.
    pub fn cost_micros(&self, kind: UsageKind) -> i64 {
        match kind {
            UsageKind::CallMinutes => self.call_cost_micros,
            UsageKind::SmsSegments => self.sms_cost_micros,
            UsageKind::LlmTokens => self.ai_cost_micros,
            UsageKind::ForwardedMinutes => self.forwarded_cost_micros,
            UsageKind::OutboundMinutes => self.outbound_cost_micros,
        }
    }

    /// Adds `micros` to one kind's cost (saturating).
    pub fn add_cost(&mut self, kind: UsageKind, micros: i64) {
        let cost = match kind {
            UsageKind::CallMinutes => &mut self.call_cost_micros,
            UsageKind::SmsSegments => &mut self.sms_cost_micros,
            UsageKind::LlmTokens => &mut self.ai_cost_micros,
            UsageKind::ForwardedMinutes => &mut self.forwarded_cost_micros,
            UsageKind::OutboundMinutes => &mut self.outbound_cost_micros,
        };
        *cost = cost.saturating_add(micros);
    }

    /// The period's estimated cost of every kind, in US micro-dollars.
    pub fn total_cost_micros(&self) -> i64 {
        UsageKind::ALL.into_iter().fold(0_i64, |total, kind| total.saturating_add(self.cost_micros(kind)))
    }
}

/// What a call cost besides its own minutes, as its usage records say: its
/// model use (tokens, and US micro-dollars), the outbound legs placed for it
/// (a transfer's dialled owner, a call back's legs), and whether its minutes
/// were forwarded to the owner rather than answered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CallModelUsage {
    pub tokens: i64,
    pub cost_micros: i64,
    /// Minutes of the [`UsageKind::OutboundMinutes`] records keyed
    /// `leg:{call}:{leg}`.
    pub leg_minutes: i64,
    /// What those legs cost us (never billed to the shop).
    pub leg_cost_micros: i64,
    /// The call's minutes were metered as [`UsageKind::ForwardedMinutes`]
    /// (answering was suspended: the owner took it, the AI did not).
    pub forwarded: bool,
}

impl CallModelUsage {
    /// What the call cost us beyond its own minutes: model use and legs.
    pub fn extra_cost_micros(&self) -> i64 {
        self.cost_micros.saturating_add(self.leg_cost_micros)
    }
}

/// The tenant was put on `plan` at `at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanChange {
    pub plan: Plan,
    pub at: DateTime<Utc>,
}

/// 80 % of the cap (alert) or 100 % (AI answering suspended).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CapLevel {
    Soft,
    Hard,
}

impl CapLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            CapLevel::Soft => "soft",
            CapLevel::Hard => "hard",
        }
    }

    pub fn parse(raw: &str) -> Option<CapLevel> {
        match raw {
            "soft" => Some(CapLevel::Soft),
            "hard" => Some(CapLevel::Hard),
            _ => None,
        }
    }
}

/// What a cap limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CapMetric {
    /// Call minutes: the hard cap suspends AI answering.
    Minutes,
    /// Model spend in US micro-dollars: the hard cap stops paid models (the
    /// receptionist answers with its rules and offline retrieval).
    AiSpend,
}

impl CapMetric {
    pub fn as_str(self) -> &'static str {
        match self {
            CapMetric::Minutes => "minutes",
            CapMetric::AiSpend => "ai_spend",
        }
    }

    pub fn parse(raw: &str) -> Option<CapMetric> {
        [CapMetric::Minutes, CapMetric::AiSpend].into_iter().find(|metric| metric.as_str() == raw)
    }
}

/// A recorded cap decision: at `decided_at`, `used` of `cap` (minutes, or
/// micro-dollars of model spend) had been used in `period`. One per tenant,
/// period, metric, level and cap value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapDecision {
    pub tenant: TenantId,
    pub period: BillingPeriod,
    pub metric: CapMetric,
    pub level: CapLevel,
    pub used: i64,
    pub cap: i64,
    pub decided_at: DateTime<Utc>,
}

/// One tenant's billing records as the operator's pages read them for
/// every tenant at once: its account, its plan history (oldest first) and
/// its cap decisions of one period (oldest first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantBilling {
    pub tenant: TenantId,
    pub account: BillingAccount,
    pub plan_changes: Vec<PlanChange>,
    pub decisions: Vec<CapDecision>,
}

/// A tenant's standing with the payment provider, and the operator's cap.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BillingAccount {
    pub stripe_customer_id: Option<String>,
    pub stripe_subscription_id: Option<String>,
    /// Stripe's subscription status word (`active`, `past_due`, `canceled`, …).
    pub subscription_status: Option<String>,
    /// Set by a failed payment, cleared by a paid invoice.
    pub past_due_since: Option<DateTime<Utc>>,
    /// The operator's minute cap, replacing the plan's included minutes.
    pub minute_cap: Option<i64>,
}

impl BillingAccount {
    /// Whether the provider's subscription was cancelled (Stripe's
    /// `canceled`): nobody pays for the service any more. `incomplete` (a
    /// new subscription's first invoice not paid yet) and `past_due` (the
    /// grace period decides) are not ended.
    pub fn subscription_ended(&self) -> bool {
        self.subscription_status.as_deref() == Some("canceled")
    }
}

/// What one tenant's usage of one kind came to over a time: its quantity and
/// its estimated cost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UsageSum {
    pub quantity: i64,
    pub cost_micros: i64,
}

/// What one tenant's usage of one UTC day cost us: the estimates of the
/// day's usage records, summed (US micro-dollars).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyCost {
    pub tenant: TenantId,
    pub day: NaiveDate,
    pub cost_micros: i64,
}

/// A change to a billing account caused by a provider event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountChange {
    /// Payment failed: past due since `at`, unless already past due.
    PaymentFailed { at: DateTime<Utc> },
    /// An invoice was paid: no longer past due.
    Paid,
    /// The subscription now has this id and status.
    Subscription { id: String, status: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceStatus {
    Draft,
    Finalized,
}

impl InvoiceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceStatus::Draft => "draft",
            InvoiceStatus::Finalized => "finalized",
        }
    }

    pub fn parse(raw: &str) -> Option<InvoiceStatus> {
        match raw {
            "draft" => Some(InvoiceStatus::Draft),
            "finalized" => Some(InvoiceStatus::Finalized),
            _ => None,
        }
    }
}

/// One line of an invoice. Amounts are integer minor units of the invoice's
/// currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceLine {
    pub description: String,
    pub quantity: i64,
    /// Price of one unit, in minor units.
    pub unit_price: i64,
    /// The line's total, in minor units, already rounded.
    pub amount: i64,
}

/// An invoice as computed: lines and their sum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    /// ISO 4217 code.
    pub currency: String,
    pub lines: Vec<InvoiceLine>,
    /// The sum of the lines, in minor units.
    pub total: i64,
}

/// An invoice as kept: a draft is recomputed until it is finalized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredInvoice {
    pub tenant: TenantId,
    pub period: BillingPeriod,
    pub status: InvoiceStatus,
    pub invoice: Invoice,
    pub updated_at: DateTime<Utc>,
    pub finalized_at: Option<DateTime<Utc>>,
}
