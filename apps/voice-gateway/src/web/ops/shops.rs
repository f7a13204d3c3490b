//! `/ops/shops`: every shop with its plan, MRR, minutes, margin, status and
//! open alerts; suspend and resume.
//!
//! Suspending is the operator's switch the billing caps already have: a
//! minute cap of 0 is hard from the first call (`frontdesk_billing::caps`),
//! so AI answering stops and every call is put through to the owner's
//! phone, with no model used. Resuming puts back the cap the shop had
//! before (read from the audit entry that set 0). Both are audited with
//! the operator's e-mail as the actor.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use frontdesk_audit::{AuditQuery, NewAuditEntry};
use frontdesk_billing::{AnsweringMode, CapLevel, SuspensionReason};
use frontdesk_core::{Money, TenantId};
use frontdesk_insights::PeriodChoice;
use frontdesk_provisioning::Clearance;
use frontdesk_tenant::{TenantKind, TenantStatus};
use serde_json::{Value, json};

use super::facts::{CURRENCY, Reads, Shop, platform};
use super::{Header, micro_dollars, ops_notice, percent, unavailable};
use crate::app::AppState;
use crate::web::texting::{TEXTS_READ, TextsWaiting};
use crate::web::{OperatorSession, page};

struct ShopRow {
    slug: String,
    name: String,
    plan: &'static str,
    mrr: String,
    minutes: String,
    margin: String,
    margin_detail: String,
    status: &'static str,
    status_class: &'static str,
    alerts: Vec<String>,
    /// Why its texts to customers wait (carrier registration), when they do.
    texting: Option<String>,
    can_suspend: bool,
    can_resume: bool,
}

#[derive(Template)]
#[template(path = "ops_shops.html")]
struct ShopsPage {
    header: Header,
    month: String,
    rows: Vec<ShopRow>,
}

pub(super) async fn shops(State(state): State<AppState>, operator: OperatorSession) -> Response {
    match shop_rows(&state).await {
        Ok((month, rows)) => page(ShopsPage { header: Header::new(&operator, "shops"), month, rows }.render()),
        Err(error) => unavailable(&error),
    }
}

async fn shop_rows(state: &AppState) -> anyhow::Result<(String, Vec<ShopRow>)> {
    let now = state.clock.now();
    let window = PeriodChoice::ThisMonth.resolve(now, chrono_tz::UTC)?.current.window;
    // The margins need the revenue; nothing here shows how MRR moved.
    let platform = platform(state, &window, now, Reads { revenue: true, movements: false }).await?;
    let margins = platform.facts.margins(&window);
    let mut texting = texts_waiting_by_shop(state).await?;
    let mut rows = Vec::with_capacity(platform.shops.len());
    // The margins are in the order of the shops (one each).
    for ((shop, account), margin) in platform.shops.iter().zip(platform.facts.shops()).zip(&margins.shops) {
        let answering = shop.answering;
        let margin = Some(margin).filter(|margin| margin.shop.as_deref() == Some(account.shop.as_str()));
        let (status, status_class) = status(shop, answering);
        let live = shop.tenant.kind == TenantKind::Live;
        rows.push(ShopRow {
            slug: shop.slug().to_string(),
            name: shop.tenant.name.clone(),
            plan: shop.plan.as_str(),
            mrr: if account.active() { account.monthly_price } else { Money::zero(CURRENCY) }.to_string(),
            minutes: minutes(shop),
            margin: percent(margin.and_then(|margin| margin.margin)),
            margin_detail: margin.map_or_else(String::new, |margin| {
                format!("{} revenue, {} cost", margin.revenue, micro_dollars(margin.cost_micros as f64))
            }),
            status,
            status_class,
            alerts: alerts(shop),
            texting: texting.remove(shop.slug()).map(|waiting| waiting.sentence(shop.tenant.timezone)),
            can_suspend: live && shop.tenant.status == TenantStatus::Active && !shop.suspended(),
            can_resume: shop.suspended(),
        });
    }
    let month = format!("{} (UTC)", window.start().format("%B %Y"));
    Ok((month, rows))
}

/// The shops whose texts wait for their carrier registration: every
/// registration in one read, then the latest texts of those not approved
/// (shops being onboarded, a handful), never one read per shop.
async fn texts_waiting_by_shop(state: &AppState) -> anyhow::Result<HashMap<TenantId, TextsWaiting>> {
    let mut waiting = HashMap::new();
    for registration in state.provisioning.registrations().await? {
        let clearance = registration.clearance();
        if clearance == Clearance::Cleared {
            continue;
        }
        let messages = state.messages.list_messages(&registration.tenant, TEXTS_READ).await?;
        if let Some(texts) = TextsWaiting::of(&clearance, &messages) {
            waiting.insert(registration.tenant, texts);
        }
    }
    Ok(waiting)
}

/// `used / included`, with the operator's cap when it replaces the plan's.
fn minutes(shop: &Shop) -> String {
    let report = &shop.month;
    let mut text = format!("{} / {}", report.totals.call_minutes, report.included_minutes);
    if let Some(cap) = shop.account.minute_cap.filter(|cap| *cap != 0 && *cap != report.included_minutes) {
        text.push_str(&format!(" (cap {cap})"));
    }
    text
}

fn status(shop: &Shop, answering: AnsweringMode) -> (&'static str, &'static str) {
    if shop.tenant.status == TenantStatus::Disabled {
        return ("Disabled: its numbers are not answered", "off");
    }
    match answering {
        AnsweringMode::Suspended(_) if shop.suspended() => ("Suspended: calls go to the owner", "suspended"),
        AnsweringMode::Suspended(SuspensionReason::CapReached) => {
            ("Minute cap reached: calls go to the owner", "alert")
        }
        AnsweringMode::Suspended(SuspensionReason::PastDue) => ("Past due: calls go to the owner", "alert"),
        AnsweringMode::Suspended(SuspensionReason::SubscriptionEnded) => {
            ("Subscription ended: calls go to the owner", "alert")
        }
        AnsweringMode::Normal if shop.tenant.kind == TenantKind::Sandbox => ("Sandbox: test traffic only", "off"),
        AnsweringMode::Normal => ("Answering", "on"),
    }
}

/// What needs the operator's eye this month.
pub(super) fn alerts(shop: &Shop) -> Vec<String> {
    let report = &shop.month;
    let mut alerts = Vec::new();
    if !shop.suspended() {
        match report.cap.level {
            Some(CapLevel::Hard) => {
                alerts.push(format!("Minute cap reached ({} of {})", report.cap.used, report.cap.cap));
            }
            Some(CapLevel::Soft) => {
                alerts.push(format!("80 % of minutes used ({} of {})", report.cap.used, report.cap.cap))
            }
            None => {}
        }
    }
    match report.ai_cap.level {
        Some(CapLevel::Hard) => alerts.push("AI budget spent: paid models paused".to_owned()),
        Some(CapLevel::Soft) => alerts.push(format!(
            "80 % of the AI budget used ({} of {})",
            micro_dollars(report.ai_cap.used as f64),
            micro_dollars(report.ai_cap.cap as f64)
        )),
        None => {}
    }
    if let Some(since) = shop.account.past_due_since {
        alerts.push(format!("Payment past due since {}", since.format("%-d %b %Y")));
    }
    if shop.account.subscription_ended() {
        alerts.push("Subscription cancelled at the payment provider".to_owned());
    }
    alerts
}

/// The shop named in the path, or the page saying there is none.
async fn shop_named(state: &AppState, slug: &str) -> Result<TenantId, Response> {
    let missing = || ops_notice(StatusCode::NOT_FOUND, "No such shop", "There is no shop by that name.");
    let Ok(tenant) = TenantId::parse(slug) else { return Err(missing()) };
    match state.tenants.get_tenant(&tenant).await {
        Ok(Some(_)) => Ok(tenant),
        Ok(None) => Err(missing()),
        Err(error) => Err(unavailable(&anyhow::Error::new(error))),
    }
}

pub(super) async fn suspend(
    State(state): State<AppState>,
    operator: OperatorSession,
    Path(slug): Path<String>,
) -> Response {
    let tenant = match shop_named(&state, &slug).await {
        Ok(tenant) => tenant,
        Err(response) => return response,
    };
    let previous = match state.metering.set_minute_cap(&tenant, Some(0)).await {
        Ok(previous) => previous,
        Err(error) => return unavailable(&anyhow::Error::new(error)),
    };
    if previous != Some(0) {
        tracing::info!(tenant_id = %tenant, by = operator.email.as_str(), "shop suspended: calls go to the owner");
        audit(&state, &operator, &tenant, "shop.suspend", json!({"minutes": previous}), json!({"minutes": 0})).await;
    }
    Redirect::to("/ops/shops").into_response()
}

pub(super) async fn resume(
    State(state): State<AppState>,
    operator: OperatorSession,
    Path(slug): Path<String>,
) -> Response {
    let tenant = match shop_named(&state, &slug).await {
        Ok(tenant) => tenant,
        Err(response) => return response,
    };
    let account = match state.billing.billing_account(&tenant).await {
        Ok(account) => account,
        Err(error) => return unavailable(&anyhow::Error::new(error)),
    };
    if account.minute_cap != Some(0) {
        // Not suspended (resumed meanwhile, in another tab): nothing to do.
        return Redirect::to("/ops/shops").into_response();
    }
    let restored = match cap_before_suspension(&state, &tenant).await {
        Ok(restored) => restored,
        Err(error) => return unavailable(&error),
    };
    if let Err(error) = state.metering.set_minute_cap(&tenant, restored).await {
        return unavailable(&anyhow::Error::new(error));
    }
    tracing::info!(tenant_id = %tenant, by = operator.email.as_str(), "shop resumed: the receptionist answers again");
    audit(&state, &operator, &tenant, "shop.resume", json!({"minutes": 0}), json!({"minutes": restored})).await;
    Redirect::to("/ops/shops").into_response()
}

/// The minute cap the shop had before the latest change that set it to 0
/// (a suspension here, or the admin API's `cap.set`); `None`, the plan's
/// included minutes, when the log does not say.
async fn cap_before_suspension(state: &AppState, tenant: &TenantId) -> anyhow::Result<Option<i64>> {
    let query = AuditQuery { tenant: Some(tenant.clone()), from: None, to: None, limit: 500, newest_first: true };
    let entries = state.audit.audit_entries(&query).await?;
    let minutes = |value: &Option<Value>| value.as_ref().and_then(|value| value.get("minutes")).and_then(Value::as_i64);
    let cap = entries
        .iter()
        .find(|entry| matches!(entry.action.as_str(), "shop.suspend" | "cap.set") && minutes(&entry.after) == Some(0))
        .and_then(|entry| minutes(&entry.before))
        .filter(|cap| *cap > 0);
    Ok(cap)
}

/// Records what an operator did on these pages, as the admin API records
/// its own changes. The change already happened: a failure to record it is
/// logged rather than undone.
async fn audit(
    state: &AppState,
    operator: &OperatorSession,
    tenant: &TenantId,
    action: &str,
    before: Value,
    after: Value,
) {
    let entry = NewAuditEntry::new(
        state.ids.new_id().to_string(),
        state.clock.now(),
        &format!("{} (operator page)", operator.email.as_str()),
        Some(tenant),
        action,
        tenant.as_str(),
        Some(before),
        Some(after),
    );
    if let Err(error) = state.audit.append(&entry).await {
        tracing::error!(%error, action, tenant_id = %tenant, "could not write an audit log entry");
    }
}
