//! The billing services the apps compose: `Metering` (usage in, caps
//! decided), `Invoicing` (drafts and finalized invoices), `Plans` (plan
//! changes and the provider jobs they cause), and the job handlers that talk
//! to the payment provider.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use frontdesk_core::{IdGenerator, Plan, StoreError, TenantId};
use frontdesk_flags::{FlagService, FlagStore};
use frontdesk_jobs::{HandlerError, JobContext, JobHandler, JobKind, NewJob};
use frontdesk_tenant::{TenantKind, TenantStore};
use serde_json::json;

use crate::caps::{AnsweringMode, CapPolicy, CapStatus, DEFAULT_PAST_DUE_GRACE, answering_mode, evaluate_cap};
use crate::invoice::{InvoiceError, compute_invoice, plan_segments};
use crate::metering::{MeteringError, call_usage, forwarded_call_usage, outbound_leg_usage, sms_usage, token_usage};
use crate::model::{
    BillingAccount, CallModelUsage, CapDecision, CapLevel, CapMetric, NewUsage, PlanChange, StoredInvoice, UsageKind,
    UsageTotals,
};
use crate::period::BillingPeriod;
use crate::ports::{BillingStore, PaymentProvider, ProviderError, UsageStore};
use crate::prices::{PriceTable, RateCard, TokenCount};
use crate::terms::PlanTerms;

/// Job kinds of this crate.
pub const REPORT_USAGE: &str = "billing.report_usage";
pub const SETUP_CUSTOMER: &str = "billing.setup_customer";
pub const CAP_ALERT: &str = "billing.cap_alert";
pub const CLOSE_PERIOD: &str = "billing.close_period";

fn kind(name: &str) -> JobKind {
    JobKind::parse(name).unwrap_or_else(|_| unreachable!("{name} is a valid job kind"))
}

/// The stores metering and invoicing read and write.
#[derive(Clone)]
pub struct BillingPorts {
    pub tenants: Arc<dyn TenantStore>,
    pub flags: Arc<dyn FlagStore>,
    pub usage: Arc<dyn UsageStore>,
    pub billing: Arc<dyn BillingStore>,
}

impl BillingPorts {
    /// The tenant's time zone, `None` for a sandbox: a sandbox is never
    /// billed (no usage, no provider reports, no cap alerts, no invoices).
    async fn billed_zone(&self, tenant: &TenantId) -> Result<Option<Tz>, StoreError> {
        let record = self.tenants.get_tenant(tenant).await?.ok_or_else(|| StoreError::NotFound(tenant.clone()))?;
        Ok((record.kind == TenantKind::Live).then(|| record.profile.timezone()))
    }

    async fn plan(&self, tenant: &TenantId) -> Result<Plan, StoreError> {
        let settings = self.flags.flag_settings(tenant).await?.ok_or_else(|| StoreError::NotFound(tenant.clone()))?;
        Ok(settings.plan)
    }
}

/// Where a tenant stands in a period: usage, the minute cap and what the
/// call path must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageReport {
    pub period: BillingPeriod,
    pub plan: Plan,
    pub totals: UsageTotals,
    pub included_minutes: i64,
    pub included_sms: i64,
    /// Call minutes against the minute cap.
    pub cap: CapStatus,
    /// Model spend (micro-dollars) against the AI budget.
    pub ai_cap: CapStatus,
    pub decisions: Vec<CapDecision>,
}

/// One tenant as the operator's pages read every tenant at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantStanding {
    pub report: UsageReport,
    pub account: BillingAccount,
    /// Every plan it was put on, oldest first.
    pub plan_changes: Vec<PlanChange>,
    /// What a call starting at the time asked about gets.
    pub answering: AnsweringMode,
}

/// What the call path needs to know about a tenant's caps at a call's start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub answering: AnsweringMode,
    /// Whether paid models may be used (the AI budget is not spent).
    pub paid_ai: bool,
}

/// Why usage could not be recorded.
#[derive(Debug, thiserror::Error)]
pub enum MeterError {
    #[error(transparent)]
    Invalid(#[from] MeteringError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Usage in, cap decisions out. Every record is counted once per key.
pub struct Metering {
    ports: BillingPorts,
    ids: Arc<dyn IdGenerator>,
    /// Whether usage is reported to the payment provider (by jobs).
    report_to_provider: bool,
    payment_grace: Duration,
    rates: RateCard,
}

impl Metering {
    /// With the standard rate card ([`Metering::with_rate_card`] replaces
    /// it, [`Metering::with_prices`] its token prices).
    pub fn new(
        ports: BillingPorts,
        ids: Arc<dyn IdGenerator>,
        report_to_provider: bool,
        payment_grace: Duration,
    ) -> Metering {
        Metering { ports, ids, report_to_provider, payment_grace, rates: RateCard::standard() }
    }

    /// Usage is costed at `rates`.
    pub fn with_rate_card(mut self, rates: RateCard) -> Metering {
        self.rates = rates;
        self
    }

    /// Model tokens are costed at `prices` (the rest of the card is kept).
    pub fn with_prices(mut self, prices: PriceTable) -> Metering {
        self.rates = self.rates.with_token_prices(prices);
        self
    }

    pub fn prices(&self) -> &PriceTable {
        self.rates.token_prices()
    }

    pub fn rate_card(&self) -> &RateCard {
        &self.rates
    }

    /// A finished call of `duration_seconds` (Twilio's `CallDuration`),
    /// costed at the card's voice rate per billable minute. `Ok(false)` when
    /// this call was already counted.
    ///
    /// Only the inbound leg is costed: a transfer's outbound leg
    /// ([`RateCard::transfer_cost_micros`]) is not known here (see there).
    pub async fn record_call(
        &self,
        tenant: &TenantId,
        call_sid: &str,
        duration_seconds: i64,
        at: DateTime<Utc>,
    ) -> Result<bool, MeterError> {
        let Some(zone) = self.ports.billed_zone(tenant).await? else { return Ok(false) };
        let id = self.ids.new_id().to_string();
        let usage = call_usage(id, tenant, call_sid, duration_seconds, &self.rates, at, zone)?;
        self.record(usage).await
    }

    /// A finished call of `duration_seconds` that the receptionist never
    /// answered: AI answering was suspended and the call was forwarded to
    /// the owner. The shop is not billed for its minutes (they never count
    /// toward its included minutes, its caps or its invoice, and are never
    /// reported to the payment provider), but what they cost us is recorded
    /// at the card's voice rate ([`UsageKind::ForwardedMinutes`]). Keyed by
    /// the call as [`Metering::record_call`] is: `Ok(false)` when already
    /// counted.
    pub async fn record_forwarded_call(
        &self,
        tenant: &TenantId,
        call_sid: &str,
        duration_seconds: i64,
        at: DateTime<Utc>,
    ) -> Result<bool, MeterError> {
        let Some(zone) = self.ports.billed_zone(tenant).await? else { return Ok(false) };
        let id = self.ids.new_id().to_string();
        let usage = forwarded_call_usage(id, tenant, call_sid, duration_seconds, &self.rates, at, zone)?;
        self.record(usage).await
    }

    /// An outbound leg `leg_sid` we placed for call `parent_call` (a
    /// transfer's dialled owner, a call back's dialled customer) lasted
    /// `duration_seconds`: costed at the card's outbound rate
    /// ([`UsageKind::OutboundMinutes`]), never billed to the shop nor
    /// counted toward its caps. `Ok(false)` when this leg was already counted.
    pub async fn record_outbound_leg(
        &self,
        tenant: &TenantId,
        parent_call: &str,
        leg_sid: &str,
        duration_seconds: i64,
        at: DateTime<Utc>,
    ) -> Result<bool, MeterError> {
        let Some(zone) = self.ports.billed_zone(tenant).await? else { return Ok(false) };
        let id = self.ids.new_id().to_string();
        let usage = outbound_leg_usage(id, tenant, parent_call, leg_sid, duration_seconds, &self.rates, at, zone)?;
        self.record(usage).await
    }

    /// A text we sent (`key` names it: the job or provider message id),
    /// costed at the card's rate per segment.
    pub async fn record_sms(
        &self,
        tenant: &TenantId,
        key: &str,
        body: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, MeterError> {
        let Some(zone) = self.ports.billed_zone(tenant).await? else { return Ok(false) };
        let usage = sms_usage(self.ids.new_id().to_string(), tenant, key, body, &self.rates, at, zone)?;
        self.record(usage).await
    }

    /// Tokens of `model` spent for the tenant (embeddings, language model),
    /// costed at the price table's price. `key` names the model call, so a
    /// retried job or turn counts once. A model missing from the table
    /// (startup refuses configured ones) is recorded at no cost and logged.
    pub async fn record_tokens(
        &self,
        tenant: &TenantId,
        key: &str,
        model: &str,
        tokens: TokenCount,
        at: DateTime<Utc>,
    ) -> Result<bool, MeterError> {
        let Some(zone) = self.ports.billed_zone(tenant).await? else { return Ok(false) };
        let price = self.rates.token_prices().price(model);
        if price.is_none() && tokens.total() > 0 {
            tracing::error!(tenant_id = %tenant, model, "no price for this model: its tokens are recorded at no cost");
        }
        let usage = token_usage(self.ids.new_id().to_string(), tenant, key, tokens, price, at, zone)?;
        self.record(usage).await
    }

    async fn record(&self, usage: NewUsage) -> Result<bool, MeterError> {
        if usage.quantity <= 0 {
            return Ok(false);
        }
        let mut jobs = Vec::new();
        // What only costs us is never reported: the shop pays for none of it.
        if self.report_to_provider
            && usage.kind.billed_to_shop()
            && let Some(customer) = self.ports.billing.billing_account(&usage.tenant).await?.stripe_customer_id
        {
            jobs.push(
                NewJob::new(
                    kind(REPORT_USAGE),
                    json!({
                        "usage_id": usage.id,
                        "kind": usage.kind.as_str(),
                        "quantity": usage.quantity,
                        "customer_id": customer,
                        "at": usage.occurred_at.timestamp(),
                    }),
                )
                .for_tenant(usage.tenant.clone())
                .unique_key(format!("{REPORT_USAGE}:{}", usage.id)),
            );
        }
        let recorded = self.ports.usage.record_usage(&usage, &jobs).await?;
        if recorded {
            match usage.kind {
                UsageKind::CallMinutes => {
                    self.decide_caps(&usage.tenant, usage.period, usage.occurred_at, CapMetric::Minutes).await?;
                }
                UsageKind::LlmTokens if usage.cost_micros > 0 => {
                    self.decide_caps(&usage.tenant, usage.period, usage.occurred_at, CapMetric::AiSpend).await?;
                }
                // Forwarded minutes and outbound legs never count toward the caps.
                UsageKind::LlmTokens
                | UsageKind::SmsSegments
                | UsageKind::ForwardedMinutes
                | UsageKind::OutboundMinutes => {}
            }
        }
        Ok(recorded)
    }

    /// Records the soft (80 %) and hard (100 %) decisions the usage of
    /// `metric` has reached, each once, with the owner's alert.
    async fn decide_caps(
        &self,
        tenant: &TenantId,
        period: BillingPeriod,
        at: DateTime<Utc>,
        metric: CapMetric,
    ) -> Result<(), StoreError> {
        let report = self.report(tenant, period).await?;
        let status = match metric {
            CapMetric::Minutes => report.cap,
            CapMetric::AiSpend => report.ai_cap,
        };
        // A minute cap of 0 is the operator suspending the shop, not the
        // shop using up its minutes: nothing to decide or tell the owner.
        if metric == CapMetric::Minutes && status.cap == 0 {
            return Ok(());
        }
        let reached = match status.level {
            None => return Ok(()),
            Some(CapLevel::Soft) => vec![CapLevel::Soft],
            Some(CapLevel::Hard) => vec![CapLevel::Soft, CapLevel::Hard],
        };
        for level in reached {
            let decision = CapDecision {
                tenant: tenant.clone(),
                period,
                metric,
                level,
                used: status.used,
                cap: status.cap,
                decided_at: at,
            };
            let alert = NewJob::new(
                kind(CAP_ALERT),
                json!({
                    "period": period.to_string(),
                    "metric": metric.as_str(),
                    "level": level.as_str(),
                    "used": decision.used,
                    "cap": decision.cap,
                }),
            )
            .for_tenant(tenant.clone())
            .unique_key(match metric {
                // The minute alerts' keys are as they always were.
                CapMetric::Minutes => format!("{CAP_ALERT}:{tenant}:{period}:{}:{}", level.as_str(), decision.cap),
                CapMetric::AiSpend => {
                    format!("{CAP_ALERT}:{tenant}:{period}:{}:{}:{}", metric.as_str(), level.as_str(), decision.cap)
                }
            });
            // The owner's text, and the operators' alert.
            let jobs = [alert, crate::alerts::cap_alert_for_operators(&decision)];
            if self.ports.billing.record_cap_decision(&decision, &jobs).await? {
                let (used, cap, metric) = (decision.used, decision.cap, metric.as_str());
                match (level, decision.metric) {
                    (CapLevel::Soft, _) => tracing::warn!(
                        tenant_id = %tenant, %period, metric, used, cap, "tenant reached 80% of a cap; owner alerted"
                    ),
                    (CapLevel::Hard, CapMetric::Minutes) => tracing::warn!(
                        tenant_id = %tenant, %period, metric, used, cap,
                        "tenant reached its minute cap; AI answering suspended, calls forwarded to the owner"
                    ),
                    (CapLevel::Hard, CapMetric::AiSpend) => tracing::warn!(
                        tenant_id = %tenant, %period, metric, used, cap,
                        "tenant spent its AI budget; paid models stop until the period ends or the budget is raised"
                    ),
                }
            }
        }
        Ok(())
    }

    /// The period's usage against the tenant's caps.
    async fn cap_status(
        &self,
        tenant: &TenantId,
        period: BillingPeriod,
        account: &BillingAccount,
    ) -> Result<CapsNow, StoreError> {
        let plan = self.ports.plan(tenant).await?;
        self.cap_status_on(tenant, plan, period, account).await
    }

    async fn cap_status_on(
        &self,
        tenant: &TenantId,
        plan: Plan,
        period: BillingPeriod,
        account: &BillingAccount,
    ) -> Result<CapsNow, StoreError> {
        let terms = PlanTerms::standard(plan);
        let totals = self.ports.usage.usage_totals(tenant, period).await?;
        let policy = CapPolicy::for_account(account, &terms);
        Ok(CapsNow {
            plan,
            terms,
            totals,
            minutes: evaluate_cap(totals.call_minutes, policy.minute_cap()),
            ai_spend: evaluate_cap(totals.ai_cost_micros, policy.ai_cap_micros()),
        })
    }

    /// Usage, caps and decisions of `period`.
    pub async fn report(&self, tenant: &TenantId, period: BillingPeriod) -> Result<UsageReport, StoreError> {
        let account = self.ports.billing.billing_account(tenant).await?;
        let caps = self.cap_status(tenant, period, &account).await?;
        let decisions = self.ports.billing.cap_decisions(tenant, period).await?;
        Ok(UsageReport {
            period,
            plan: caps.plan,
            totals: caps.totals,
            included_minutes: caps.terms.included_minutes(),
            included_sms: caps.terms.included_sms(),
            cap: caps.minutes,
            ai_cap: caps.ai_spend,
            decisions,
        })
    }

    /// What the call path must do for a call starting `now` at a shop in
    /// `zone`: answer with AI, or forward to the owner (cap reached, or past
    /// due beyond the grace period). Three reads; no writes.
    pub async fn answering(
        &self,
        tenant: &TenantId,
        zone: Tz,
        now: DateTime<Utc>,
    ) -> Result<AnsweringMode, StoreError> {
        let plan = self.ports.plan(tenant).await?;
        self.answering_on(tenant, plan, zone, now).await
    }

    /// [`Metering::answering`] for a caller that already knows the tenant's
    /// plan (the call path reads it from the flag cache): two reads.
    pub async fn answering_on(
        &self,
        tenant: &TenantId,
        plan: Plan,
        zone: Tz,
        now: DateTime<Utc>,
    ) -> Result<AnsweringMode, StoreError> {
        Ok(self.standing_on(tenant, plan, zone, now).await?.answering)
    }

    /// The answering mode, and whether paid models may be used (the AI
    /// budget is not spent), from the same two reads.
    pub async fn standing_on(
        &self,
        tenant: &TenantId,
        plan: Plan,
        zone: Tz,
        now: DateTime<Utc>,
    ) -> Result<Standing, StoreError> {
        let period = BillingPeriod::containing(now, zone);
        let account = self.ports.billing.billing_account(tenant).await?;
        let caps = self.cap_status_on(tenant, plan, period, &account).await?;
        let grace = chrono::Duration::from_std(self.payment_grace).unwrap_or(DEFAULT_PAST_DUE_GRACE);
        Ok(Standing {
            answering: answering_mode(&account, caps.minutes, now, grace),
            paid_ai: caps.ai_spend.level != Some(CapLevel::Hard),
        })
    }

    /// [`Metering::standing_on`] reading the plan too (jobs, which have no
    /// flag cache at hand): three reads.
    pub async fn standing(&self, tenant: &TenantId, zone: Tz, now: DateTime<Utc>) -> Result<Standing, StoreError> {
        let plan = self.ports.plan(tenant).await?;
        self.standing_on(tenant, plan, zone, now).await
    }

    /// What one call's model use and outbound legs cost so far, and whether
    /// it was forwarded (a sandbox's is never metered).
    pub async fn call_model_usage(
        &self,
        tenant: &TenantId,
        call_sid: &str,
        started_at: DateTime<Utc>,
    ) -> Result<CallModelUsage, StoreError> {
        self.ports.usage.call_model_usage(tenant, call_sid, started_at).await
    }

    /// [`Metering::call_model_usage`] of many calls (of any tenants) at
    /// once, since the earliest of their starts: one read.
    pub async fn calls_model_usage(
        &self,
        calls: &[(TenantId, String)],
        since: DateTime<Utc>,
    ) -> Result<HashMap<(TenantId, String), CallModelUsage>, StoreError> {
        self.ports.usage.calls_model_usage(calls, since).await
    }

    /// What every tenant's usage of `kind` recorded in `[from, to)` came
    /// to, by tenant (tenants without any are left out): one read.
    pub async fn usage_of_kind_of_all_tenants(
        &self,
        kind: crate::model::UsageKind,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<HashMap<TenantId, crate::model::UsageSum>, StoreError> {
        self.ports.usage.usage_of_kind_of_all_tenants(kind, from, to).await
    }

    /// Every tenant's usage totals of `period` (tenants without usage are
    /// left out): one read.
    pub async fn totals_of_all_tenants(
        &self,
        period: BillingPeriod,
    ) -> Result<HashMap<TenantId, UsageTotals>, StoreError> {
        self.ports.usage.usage_totals_of_all_tenants(period).await
    }

    /// Every tenant's [`Metering::report`] of `period`, with its account,
    /// plan history and [`Metering::answering`] for a call starting `now`
    /// (when `period` is the tenant's month containing `now`), in four
    /// reads whatever the number of tenants: the operator's pages. The plan
    /// is the history's last (the flag store's, which `set_plan` writes
    /// with it).
    pub async fn standings_of_all_tenants(
        &self,
        period: BillingPeriod,
        now: DateTime<Utc>,
    ) -> Result<HashMap<TenantId, TenantStanding>, StoreError> {
        let billing = self.ports.billing.billing_of_all_tenants(period).await?;
        let mut totals = self.ports.usage.usage_totals_of_all_tenants(period).await?;
        let grace = chrono::Duration::from_std(self.payment_grace).unwrap_or(DEFAULT_PAST_DUE_GRACE);
        Ok(billing
            .into_iter()
            .map(|tenant| {
                let plan = tenant.plan_changes.last().map_or(Plan::DEFAULT, |change| change.plan);
                let terms = PlanTerms::standard(plan);
                let totals = totals.remove(&tenant.tenant).unwrap_or_default();
                let policy = CapPolicy::for_account(&tenant.account, &terms);
                let report = UsageReport {
                    period,
                    plan,
                    totals,
                    included_minutes: terms.included_minutes(),
                    included_sms: terms.included_sms(),
                    cap: evaluate_cap(totals.call_minutes, policy.minute_cap()),
                    ai_cap: evaluate_cap(totals.ai_cost_micros, policy.ai_cap_micros()),
                    decisions: tenant.decisions,
                };
                let answering = answering_mode(&tenant.account, report.cap, now, grace);
                let standing =
                    TenantStanding { report, account: tenant.account, plan_changes: tenant.plan_changes, answering };
                (tenant.tenant, standing)
            })
            .collect())
    }

    /// The operator's minute cap (replacing the plan's included minutes).
    /// Raising it above the usage lifts a hard cap at once.
    pub async fn set_minute_cap(&self, tenant: &TenantId, minutes: Option<i64>) -> Result<Option<i64>, StoreError> {
        self.ports.billing.set_minute_cap(tenant, minutes).await
    }
}

/// A period's usage against both caps.
struct CapsNow {
    plan: Plan,
    terms: PlanTerms,
    totals: UsageTotals,
    minutes: CapStatus,
    ai_spend: CapStatus,
}

/// Invoices: drafts computed from the plan history and the usage, finalized
/// once the period is over.
pub struct Invoicing {
    ports: BillingPorts,
}

impl Invoicing {
    pub fn new(ports: BillingPorts) -> Invoicing {
        Invoicing { ports }
    }

    /// Computes the period's invoice and stores it as the draft (a finalized
    /// invoice is returned unchanged).
    pub async fn preview(
        &self,
        tenant: &TenantId,
        period: BillingPeriod,
        now: DateTime<Utc>,
    ) -> Result<StoredInvoice, InvoicingError> {
        let zone = self.ports.billed_zone(tenant).await?.ok_or_else(|| InvoicingError::Sandbox(tenant.clone()))?;
        let changes = self.ports.billing.plan_changes(tenant).await?;
        let segments = plan_segments(&changes, zone, period, PlanTerms::standard);
        let first_period = changes.first().map(|change| BillingPeriod::containing(change.at, zone));
        let setup_fee_due = first_period == Some(period);
        let usage = self.ports.usage.usage_totals(tenant, period).await?;
        let invoice = compute_invoice(period, &segments, usage, setup_fee_due).map_err(|error| match error {
            InvoiceError::NoBilledDays => InvoicingError::NothingToBill(period),
            other => InvoicingError::Compute(other),
        })?;
        Ok(self.ports.billing.put_draft_invoice(tenant, period, &invoice, now).await?)
    }

    /// Recomputes and finalizes the period's invoice; refused while the
    /// period is still running.
    pub async fn finalize(
        &self,
        tenant: &TenantId,
        period: BillingPeriod,
        now: DateTime<Utc>,
    ) -> Result<StoredInvoice, InvoicingError> {
        let zone = self.ports.billed_zone(tenant).await?.ok_or_else(|| InvoicingError::Sandbox(tenant.clone()))?;
        if now < period.end(zone) {
            return Err(InvoicingError::PeriodOpen(period));
        }
        self.preview(tenant, period, now).await?;
        Ok(self.ports.billing.finalize_invoice(tenant, period, now).await?)
    }

    pub async fn list(&self, tenant: &TenantId) -> Result<Vec<StoredInvoice>, StoreError> {
        if self.ports.tenants.get_tenant(tenant).await?.is_none() {
            return Err(StoreError::NotFound(tenant.clone()));
        }
        self.ports.billing.list_invoices(tenant).await
    }
}

/// Plan changes. A tenant's plan and the job that brings its subscription
/// at the payment provider in line with it commit together: a change is
/// never saved without its job, nor a job enqueued for a change that failed.
pub struct Plans {
    flags: Arc<FlagService>,
    /// A sandbox is never set up at the provider.
    tenants: Arc<dyn TenantStore>,
    /// Whether tenants are set up at the payment provider (by jobs).
    set_up_at_provider: bool,
}

impl Plans {
    /// Plan changes through `flags` (so every process sees them at once);
    /// `set_up_at_provider` when a payment provider is configured.
    pub fn new(flags: Arc<FlagService>, tenants: Arc<dyn TenantStore>, set_up_at_provider: bool) -> Plans {
        Plans { flags, tenants, set_up_at_provider }
    }

    /// Whether plan changes set tenants up at a payment provider (a job
    /// creates the customer and the subscription).
    pub fn sets_up_at_provider(&self) -> bool {
        self.set_up_at_provider
    }

    /// Puts the tenant on `plan` from `at` on and, with a payment provider,
    /// enqueues its `CustomerSetup` job in the same transaction. Returns the
    /// previous plan; `NotFound` (and no job) for an unknown tenant.
    #[tracing::instrument(skip_all, fields(tenant_id = %tenant, plan = %plan))]
    pub async fn change_plan(&self, tenant: &TenantId, plan: Plan, at: DateTime<Utc>) -> Result<Plan, StoreError> {
        let jobs = self.jobs_for_change(tenant, plan, at).await?;
        self.flags.set_plan(tenant, plan, at, &jobs).await
    }

    async fn jobs_for_change(
        &self,
        tenant: &TenantId,
        plan: Plan,
        at: DateTime<Utc>,
    ) -> Result<Vec<NewJob>, StoreError> {
        if !self.set_up_at_provider {
            return Ok(Vec::new());
        }
        let record = self.tenants.get_tenant(tenant).await?.ok_or_else(|| StoreError::NotFound(tenant.clone()))?;
        Ok(if record.kind == TenantKind::Live { vec![CustomerSetup::job(tenant, plan, at)] } else { Vec::new() })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum InvoicingError {
    #[error("period {0} is not over yet; it can be previewed, not finalized")]
    PeriodOpen(BillingPeriod),
    /// The tenant was on no plan on any day of the period (it started later).
    #[error("nothing to bill for {0}: the tenant was on no plan that month")]
    NothingToBill(BillingPeriod),
    #[error("invoice cannot be computed: {0}")]
    Compute(InvoiceError),
    /// Sandbox tenants take test traffic and are never billed.
    #[error("{0} is a sandbox: it is never billed")]
    Sandbox(TenantId),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn retry(error: impl std::fmt::Display) -> HandlerError {
    HandlerError::Retry(error.to_string())
}

fn provider_error(error: ProviderError) -> HandlerError {
    match error {
        ProviderError::Retryable { message, retry_after } => HandlerError::retry_after(message, retry_after),
        ProviderError::Permanent(message) => HandlerError::Permanent(message),
    }
}

/// `billing.report_usage`: one usage record to the provider's meter, with
/// our record id as the identifier (a retry counts once).
pub struct UsageReporter {
    pub provider: Arc<dyn PaymentProvider>,
}

#[async_trait]
impl JobHandler for UsageReporter {
    fn kind(&self) -> JobKind {
        kind(REPORT_USAGE)
    }

    async fn run(&self, context: &JobContext) -> Result<(), HandlerError> {
        let payload = &context.job.payload;
        let field = |name: &str| payload[name].as_str().map(str::to_owned);
        let bad = |what: &str| HandlerError::Permanent(format!("usage report job without {what}"));
        let usage_id = field("usage_id").ok_or_else(|| bad("usage_id"))?;
        let customer = field("customer_id").ok_or_else(|| bad("customer_id"))?;
        let usage_kind = field("kind").and_then(|k| UsageKind::parse(&k)).ok_or_else(|| bad("a known kind"))?;
        let quantity = payload["quantity"].as_i64().ok_or_else(|| bad("quantity"))?;
        let at = payload["at"].as_i64().and_then(|s| DateTime::from_timestamp(s, 0)).ok_or_else(|| bad("at"))?;
        self.provider.report_usage(&customer, usage_kind, quantity, &usage_id, at).await.map_err(provider_error)
    }
}

/// `billing.setup_customer`: the tenant's customer and subscription at the
/// provider, created once (idempotency keys make a retry safe).
pub struct CustomerSetup {
    pub ports: BillingPorts,
    pub provider: Arc<dyn PaymentProvider>,
}

impl CustomerSetup {
    /// The job that brings `tenant`'s customer and subscription at the
    /// provider in line with its plan, for the plan change to `plan` at
    /// `at` (each change gets its own job; the same change enqueued twice,
    /// one). The job reads the plan in force when it runs.
    pub fn job(tenant: &TenantId, plan: frontdesk_core::Plan, at: DateTime<Utc>) -> NewJob {
        NewJob::new(kind(SETUP_CUSTOMER), json!({"plan": plan.as_str()}))
            .for_tenant(tenant.clone())
            .unique_key(format!("{SETUP_CUSTOMER}:{tenant}:{}:{}", plan.as_str(), at.timestamp_millis()))
    }
}

#[async_trait]
impl JobHandler for CustomerSetup {
    fn kind(&self) -> JobKind {
        kind(SETUP_CUSTOMER)
    }

    async fn run(&self, context: &JobContext) -> Result<(), HandlerError> {
        let tenant =
            context.job.tenant.clone().ok_or_else(|| HandlerError::Permanent("setup job without a tenant".into()))?;
        let record = self.ports.tenants.get_tenant(&tenant).await.map_err(retry)?;
        let record = record.ok_or_else(|| HandlerError::Permanent(format!("tenant {tenant} is gone")))?;
        let account = self.ports.billing.billing_account(&tenant).await.map_err(retry)?;
        let customer = match account.stripe_customer_id.clone() {
            Some(customer) => customer,
            None => {
                let customer = self
                    .provider
                    .create_customer(&tenant, record.profile.name(), &format!("customer-{tenant}"))
                    .await
                    .map_err(provider_error)?;
                self.ports.billing.set_stripe_ids(&tenant, &customer, None).await.map_err(retry)?;
                customer
            }
        };
        let plan = self.ports.plan(&tenant).await.map_err(retry)?;
        match (&account.stripe_subscription_id, account.subscription_ended()) {
            // The plan may have changed since the subscription was made. The
            // key is this job's: a retry replays it, a later change is new.
            (Some(subscription), false) => {
                let key = format!("plan-{subscription}-{}-job-{}", plan.as_str(), context.job.id);
                self.provider.change_plan(subscription, plan, &key).await.map_err(provider_error)?;
            }
            // None yet, or a cancelled one: a new subscription, under its own
            // idempotency key (the cancelled one's would replay its reply).
            (previous, _) => {
                let key = match previous {
                    Some(cancelled) => format!("subscription-{tenant}-{customer}-after-{cancelled}"),
                    None => format!("subscription-{tenant}-{customer}"),
                };
                let subscription =
                    self.provider.create_subscription(&tenant, &customer, plan, &key).await.map_err(provider_error)?;
                self.ports.billing.set_stripe_ids(&tenant, &customer, Some(&subscription.id)).await.map_err(retry)?;
            }
        }
        Ok(())
    }
}

/// `billing.close_period` (daily): finalizes every tenant's invoice for the
/// period that ended most recently in its own time zone. Finalizing twice
/// changes nothing, so a missed or repeated run is harmless.
pub struct PeriodClose {
    pub ports: BillingPorts,
}

impl PeriodClose {
    pub const KIND: &'static str = CLOSE_PERIOD;
}

#[async_trait]
impl JobHandler for PeriodClose {
    fn kind(&self) -> JobKind {
        kind(CLOSE_PERIOD)
    }

    async fn run(&self, context: &JobContext) -> Result<(), HandlerError> {
        let now = context.clock.now();
        let invoicing = Invoicing::new(self.ports.clone());
        let tenants = self.ports.tenants.list_tenants().await.map_err(retry)?;
        let mut failures = Vec::new();
        for record in tenants.iter().filter(|record| record.kind == TenantKind::Live) {
            let tenant = record.profile.slug();
            let period = BillingPeriod::containing(now, record.profile.timezone()).previous();
            match invoicing.finalize(tenant, period, now).await {
                Err(InvoicingError::NothingToBill(_)) => {
                    tracing::debug!(tenant_id = %tenant, %period, "nothing to bill: the tenant started later")
                }
                Ok(invoice) => {
                    tracing::info!(tenant_id = %tenant, %period, total = invoice.invoice.total, "invoice finalized")
                }
                Err(error) => {
                    tracing::error!(tenant_id = %tenant, %period, %error, "could not finalize an invoice");
                    failures.push(format!("{tenant}: {error}"));
                }
            }
        }
        if failures.is_empty() { Ok(()) } else { Err(HandlerError::Retry(failures.join("; "))) }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use frontdesk_core::ManualClock;
    use frontdesk_flags::{LocalFlagCache, MemoryFlagStore};
    use frontdesk_tenant::{HoursDocument, MemoryTenantStore, ProfileDocument, ServiceDocument, TenantProfile};

    use super::*;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, 15, 0, 0).single().unwrap_or_default()
    }

    fn fresh_cuts() -> TenantId {
        TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}"))
    }

    fn sandbox() -> TenantId {
        TenantId::parse("sandbox-1a2b3c4d").unwrap_or_else(|e| panic!("{e}"))
    }

    fn shop(slug: &TenantId, number: &str) -> TenantProfile {
        let document = ProfileDocument {
            slug: Some(slug.to_string()),
            name: Some("Fresh Cuts".to_owned()),
            timezone: Some("America/New_York".to_owned()),
            phone_numbers: vec![number.to_owned()],
            owner_phone: Some("+15555559999".to_owned()),
            hours: HoursDocument { mon: vec!["09:00-17:00".to_owned()], ..HoursDocument::default() },
            services: vec![ServiceDocument {
                name: Some("Haircut".to_owned()),
                duration_minutes: Some(30),
                price_cents: Some(3500),
                ..ServiceDocument::default()
            }],
            ..ProfileDocument::default()
        };
        TenantProfile::parse(&document).unwrap_or_else(|e| panic!("{e}"))
    }

    /// fresh-cuts (live) and a sandbox copy, both on Starter.
    async fn stores() -> (Arc<MemoryTenantStore>, Arc<MemoryFlagStore>) {
        let tenants = Arc::new(MemoryTenantStore::default());
        let put = tenants.put_tenant(&shop(&fresh_cuts(), "+15555550100")).await;
        assert!(put.is_ok(), "{put:?}");
        let created = tenants.create_sandbox(&shop(&sandbox(), "+12025550101")).await;
        assert!(created.is_ok(), "{created:?}");
        let flags = Arc::new(MemoryFlagStore::default());
        flags.add(&fresh_cuts(), Plan::Starter).await;
        flags.add(&sandbox(), Plan::Starter).await;
        (tenants, flags)
    }

    async fn plans(set_up_at_provider: bool) -> (Plans, Arc<MemoryFlagStore>) {
        let (tenants, store) = stores().await;
        let cache = Arc::new(LocalFlagCache::new(Arc::new(ManualClock::new(at()))));
        let flags = Arc::new(FlagService::new(store.clone(), cache));
        (Plans::new(flags, tenants, set_up_at_provider), store)
    }

    mockall::mock! {
        Usage {}
        #[async_trait]
        impl UsageStore for Usage {
            async fn record_usage(&self, usage: &NewUsage, jobs: &[NewJob]) -> Result<bool, StoreError>;
            async fn usage_totals(&self, tenant: &TenantId, period: BillingPeriod) -> Result<UsageTotals, StoreError>;
            async fn call_model_usage(
                &self,
                tenant: &TenantId,
                call_sid: &str,
                since: DateTime<Utc>,
            ) -> Result<CallModelUsage, StoreError>;
            async fn usage_totals_of_all_tenants(
                &self,
                period: BillingPeriod,
            ) -> Result<HashMap<TenantId, UsageTotals>, StoreError>;
            async fn daily_costs_of_all_tenants(
                &self,
                since: DateTime<Utc>,
            ) -> Result<Vec<crate::model::DailyCost>, StoreError>;
            async fn usage_of_kind_of_all_tenants(
                &self,
                kind: crate::model::UsageKind,
                from: DateTime<Utc>,
                to: DateTime<Utc>,
            ) -> Result<HashMap<TenantId, crate::model::UsageSum>, StoreError>;
        }
    }

    /// A billing store with empty accounts and no cap decisions that refuses
    /// everything else: a test sees an error wherever metering or invoicing
    /// reads past them or writes.
    struct EmptyAccounts {
        /// The provider's customer every account has (`None`: none yet).
        customer: Option<&'static str>,
    }

    fn refused<T>() -> Result<T, StoreError> {
        Err(StoreError::Unexpected(anyhow::anyhow!("the test did not expect the billing store to be used")))
    }

    #[async_trait]
    impl BillingStore for EmptyAccounts {
        async fn billing_account(&self, _: &TenantId) -> Result<BillingAccount, StoreError> {
            Ok(BillingAccount { stripe_customer_id: self.customer.map(str::to_owned), ..BillingAccount::default() })
        }
        async fn set_stripe_ids(&self, _: &TenantId, _: &str, _: Option<&str>) -> Result<(), StoreError> {
            refused()
        }
        async fn set_minute_cap(&self, _: &TenantId, _: Option<i64>) -> Result<Option<i64>, StoreError> {
            refused()
        }
        async fn tenant_by_stripe_customer(&self, _: &str) -> Result<Option<TenantId>, StoreError> {
            refused()
        }
        async fn apply_provider_event(
            &self,
            _: &str,
            _: &str,
            _: Option<(&TenantId, &crate::model::AccountChange)>,
            _: DateTime<Utc>,
            _: &[NewJob],
        ) -> Result<bool, StoreError> {
            refused()
        }
        async fn plan_changes(&self, _: &TenantId) -> Result<Vec<crate::model::PlanChange>, StoreError> {
            refused()
        }
        async fn billing_of_all_tenants(&self, _: BillingPeriod) -> Result<Vec<crate::TenantBilling>, StoreError> {
            refused()
        }
        async fn record_cap_decision(&self, _: &CapDecision, _: &[NewJob]) -> Result<bool, StoreError> {
            refused()
        }
        async fn cap_decisions(&self, _: &TenantId, _: BillingPeriod) -> Result<Vec<CapDecision>, StoreError> {
            Ok(Vec::new())
        }
        async fn put_draft_invoice(
            &self,
            _: &TenantId,
            _: BillingPeriod,
            _: &crate::model::Invoice,
            _: DateTime<Utc>,
        ) -> Result<StoredInvoice, StoreError> {
            refused()
        }
        async fn finalize_invoice(
            &self,
            _: &TenantId,
            _: BillingPeriod,
            _: DateTime<Utc>,
        ) -> Result<StoredInvoice, StoreError> {
            refused()
        }
        async fn list_invoices(&self, _: &TenantId) -> Result<Vec<StoredInvoice>, StoreError> {
            refused()
        }
    }

    /// Metering with a provider to report to, over `usage` and empty
    /// accounts.
    async fn metering(usage: MockUsage) -> Metering {
        metering_of(usage, None).await
    }

    /// Metering with a provider to report to, over `usage` and accounts
    /// that all have the provider's `customer`.
    async fn metering_of(usage: MockUsage, customer: Option<&'static str>) -> Metering {
        let (tenants, flags) = stores().await;
        let billing = Arc::new(EmptyAccounts { customer });
        let ports = BillingPorts { tenants, flags, usage: Arc::new(usage), billing };
        Metering::new(ports, Arc::new(frontdesk_core::UuidV7Ids), true, Duration::from_secs(3 * 86_400))
    }

    #[tokio::test]
    async fn a_forwarded_call_is_costed_but_never_reported_nor_counted_toward_the_cap() {
        let recorded = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut usage = MockUsage::new();
        let seen = recorded.clone();
        usage.expect_record_usage().times(2).returning(move |usage, jobs| {
            let reported: Vec<String> = jobs.iter().map(|job| job.kind.as_str().to_owned()).collect();
            let fact = (usage.kind, usage.key.clone(), usage.quantity, usage.cost_micros, reported);
            seen.lock().unwrap_or_else(|e| panic!("{e}")).push(fact);
            Ok(true)
        });
        // An answered call's minutes take a cap decision (reading the
        // totals); a forwarded call's never do.
        usage.expect_usage_totals().times(1).returning(|_, _| Ok(UsageTotals::default()));
        let metering = metering_of(usage, Some("cus_1")).await;
        assert!(matches!(metering.record_forwarded_call(&fresh_cuts(), "CA1", 125, at()).await, Ok(true)));
        assert!(matches!(metering.record_call(&fresh_cuts(), "CA2", 60, at()).await, Ok(true)));
        let recorded = recorded.lock().unwrap_or_else(|e| panic!("{e}")).clone();
        assert_eq!(
            recorded,
            [
                // 3 started minutes at the voice rate, $0.0085: costed, not reported.
                (UsageKind::ForwardedMinutes, "call:CA1".to_owned(), 3, 25_500, Vec::new()),
                (UsageKind::CallMinutes, "call:CA2".to_owned(), 1, 8_500, vec![REPORT_USAGE.to_owned()]),
            ]
        );
    }

    #[tokio::test]
    async fn a_sandbox_meters_nothing_reports_nothing_and_is_never_invoiced() {
        let mut usage = MockUsage::new();
        usage.expect_record_usage().never();
        usage.expect_usage_totals().never();
        let metering = metering(usage).await;
        assert!(matches!(metering.record_call(&sandbox(), "CA1", 600, at()).await, Ok(false)));
        assert!(matches!(metering.record_sms(&sandbox(), "SM1", "See you Friday", at()).await, Ok(false)));
        assert!(matches!(
            metering.record_tokens(&sandbox(), "resp-1", "gpt-5.6-luna", TokenCount::input(1200), at()).await,
            Ok(false)
        ));

        let invoicing = Invoicing::new(metering.ports.clone());
        let november = BillingPeriod::parse("2026-11").unwrap_or_else(|e| panic!("{e}"));
        let preview = invoicing.preview(&sandbox(), november, at()).await;
        assert!(matches!(preview, Err(InvoicingError::Sandbox(ref t)) if *t == sandbox()), "{preview:?}");
        let later = at() + chrono::Duration::days(40);
        assert!(matches!(invoicing.finalize(&sandbox(), november, later).await, Err(InvoicingError::Sandbox(_))));
    }

    #[tokio::test]
    async fn a_live_shop_is_metered() {
        let mut usage = MockUsage::new();
        usage.expect_record_usage().times(1).returning(|usage, _| Ok(usage.tenant == fresh_cuts()));
        // A text takes no cap decision; the account is read for its
        // provider customer (none yet: nothing to report).
        let metering = metering(usage).await;
        assert!(matches!(metering.record_sms(&fresh_cuts(), "SM1", "See you Friday", at()).await, Ok(true)));
    }

    #[tokio::test]
    async fn a_call_and_a_text_record_their_estimated_cost() {
        let recorded = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut usage = MockUsage::new();
        let seen = recorded.clone();
        usage.expect_record_usage().times(3).returning(move |usage, _| {
            seen.lock().unwrap_or_else(|e| panic!("{e}")).push((usage.key.clone(), usage.quantity, usage.cost_micros));
            Ok(true)
        });
        // The call's minutes take a cap decision: well under the cap.
        usage.expect_usage_totals().returning(|_, _| Ok(UsageTotals { call_minutes: 3, ..UsageTotals::default() }));
        let rates = RateCard::standard()
            .with_overrides("voice_minute=0.01,sms_segment=0.0079")
            .unwrap_or_else(|e| panic!("{e}"));
        let metering = metering(usage).await.with_rate_card(rates);
        assert!(matches!(metering.record_call(&fresh_cuts(), "CA1", 125, at()).await, Ok(true)));
        assert!(matches!(metering.record_sms(&fresh_cuts(), "SM1", &"a".repeat(161), at()).await, Ok(true)));
        // Token prices replaced afterwards leave the telephone rates alone.
        let metering = metering.with_prices(PriceTable::standard());
        assert!(matches!(metering.record_sms(&fresh_cuts(), "SM2", "See you Friday", at()).await, Ok(true)));
        let recorded = recorded.lock().unwrap_or_else(|e| panic!("{e}")).clone();
        assert_eq!(
            recorded,
            [
                // 3 started minutes at $0.01; 2 and 1 segments at $0.0079.
                ("call:CA1".to_owned(), 3, 30_000),
                ("sms:SM1".to_owned(), 2, 15_800),
                ("sms:SM2".to_owned(), 1, 7_900),
            ]
        );
    }

    #[tokio::test]
    async fn a_sandbox_is_never_set_up_at_the_provider() {
        let (plans, store) = plans(true).await;
        assert!(matches!(plans.change_plan(&sandbox(), Plan::Pro, at()).await, Ok(Plan::Starter)));
        assert_eq!(store.enqueued_jobs().await, []);
        let settings = store.flag_settings(&sandbox()).await.ok().flatten().map(|s| s.plan);
        assert_eq!(settings, Some(Plan::Pro), "the sandbox is on the plan it was put on");
    }

    fn kinds_and_keys(jobs: &[NewJob]) -> Vec<(String, Option<String>)> {
        jobs.iter().map(|job| (job.kind.as_str().to_owned(), job.unique_key.clone())).collect()
    }

    #[tokio::test]
    async fn with_a_provider_a_plan_change_enqueues_its_customer_setup() {
        let (plans, store) = plans(true).await;
        assert!(matches!(plans.change_plan(&fresh_cuts(), Plan::Pro, at()).await, Ok(Plan::Starter)));
        let expected = CustomerSetup::job(&fresh_cuts(), Plan::Pro, at());
        let enqueued = store.enqueued_jobs().await;
        assert_eq!(kinds_and_keys(&enqueued), kinds_and_keys(&[expected]));
        assert_eq!(enqueued[0].tenant.as_ref(), Some(&fresh_cuts()));
    }

    #[tokio::test]
    async fn without_a_provider_a_plan_change_enqueues_nothing() {
        let (plans, store) = plans(false).await;
        assert!(matches!(plans.change_plan(&fresh_cuts(), Plan::Pro, at()).await, Ok(Plan::Starter)));
        assert_eq!(store.enqueued_jobs().await, []);
    }

    #[tokio::test]
    async fn a_plan_change_of_an_unknown_tenant_is_not_found_and_enqueues_nothing() {
        let (plans, store) = plans(true).await;
        let ghost = TenantId::parse("ghost").unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(plans.change_plan(&ghost, Plan::Pro, at()).await, Err(StoreError::NotFound(t)) if t == ghost));
        assert_eq!(store.enqueued_jobs().await, []);
    }
}
