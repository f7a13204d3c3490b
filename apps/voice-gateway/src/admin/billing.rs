//! Plans, feature flags, caps, usage and invoices:
//! `/admin/tenants/{slug}/{plan,flags,cap,usage,invoices}`.

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post, put};
use chrono::SecondsFormat;
use frontdesk_billing::{AnsweringMode, BillingPeriod, InvoicingError, StoredInvoice, SuspensionReason, UsageReport};
use frontdesk_core::{Plan, TenantId};
use frontdesk_flags::{EffectiveFlags, Flag};
use serde::Deserialize;
use serde_json::{Value, json};

use super::Admin;
use crate::app::AppState;
use crate::error::ApiError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/tenants/{slug}/plan", put(set_plan))
        .route("/admin/tenants/{slug}/flags", get(show_flags))
        .route("/admin/tenants/{slug}/flags/{flag}", put(set_flag))
        .route("/admin/tenants/{slug}/cap", put(set_cap))
        .route("/admin/tenants/{slug}/usage", get(usage))
        .route("/admin/tenants/{slug}/invoices", get(list_invoices))
        .route("/admin/tenants/{slug}/invoices/preview", get(preview_invoice))
        .route("/admin/tenants/{slug}/invoices/{period}/finalize", post(finalize_invoice))
}

/// A JSON body, with a 400 naming what is wrong instead of axum's plain text.
fn body<T: serde::de::DeserializeOwned>(raw: &[u8], example: &str) -> Result<T, ApiError> {
    serde_json::from_slice(raw).map_err(|e| ApiError::bad_request("bad_json", format!("{e}; expected {example}")))
}

/// The one field of a body like `{"enabled": true}`, where `null` means
/// "remove" and a missing field is an error (never a silent removal).
fn nullable_field<T: serde::de::DeserializeOwned>(
    raw: &[u8],
    name: &str,
    example: &str,
) -> Result<Option<T>, ApiError> {
    let mut request: serde_json::Map<String, Value> = body(raw, example)?;
    let value = request
        .remove(name)
        .ok_or_else(|| ApiError::bad_request("bad_json", format!("missing {name:?}: send {example}")))?;
    serde_json::from_value(value)
        .map_err(|e| ApiError::bad_request("bad_json", format!("{name}: {e}; expected {example}")))
}

fn flags_json(tenant: &TenantId, flags: &EffectiveFlags) -> Value {
    json!({
        "tenant": tenant.as_str(),
        "plan": flags.plan().as_str(),
        "flags": flags.values().iter().map(|value| json!({
            "flag": value.flag.as_str(),
            "enabled": value.enabled,
            "source": value.source.as_str(),
        })).collect::<Vec<_>>(),
    })
}

async fn effective(state: &AppState, tenant: &TenantId) -> Result<EffectiveFlags, ApiError> {
    state.flags.effective(tenant).await?.ok_or_else(|| ApiError::not_found(format!("tenant {tenant} does not exist")))
}

#[derive(Deserialize)]
struct PlanBody {
    plan: String,
}

/// `PUT /admin/tenants/{slug}/plan` `{"plan": "core"}` (operator only).
async fn set_plan(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
    raw: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let tenant = admin.tenant(&slug)?;
    admin.require_operator()?;
    let request: PlanBody = body(&raw, r#"{"plan": "core"}"#)?;
    let plan = Plan::parse(&request.plan).map_err(|e| ApiError::bad_request("invalid_plan", e.to_string()))?;
    let now = state.clock.now();
    let previous = state.plans.change_plan(&tenant, plan, now).await?;
    admin
        .audit(
            &state,
            Some(&tenant),
            "plan.set",
            "plan",
            Some(json!({"plan": previous.as_str()})),
            Some(json!({"plan": plan.as_str()})),
        )
        .await;
    tracing::info!(tenant_id = %tenant, plan = plan.as_str(), previous = previous.as_str(), by = %admin.0.subject, "plan changed");
    Ok(Json(flags_json(&tenant, &effective(&state, &tenant).await?)))
}

/// `GET /admin/tenants/{slug}/flags`: each flag's value and where it comes from.
async fn show_flags(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let tenant = admin.tenant(&slug)?;
    Ok(Json(flags_json(&tenant, &effective(&state, &tenant).await?)))
}

/// `PUT /admin/tenants/{slug}/flags/{flag}` `{"enabled": true}` or
/// `{"enabled": null}` (operator only). Visible to every gateway at once.
async fn set_flag(
    State(state): State<AppState>,
    admin: Admin,
    Path((slug, flag)): Path<(String, String)>,
    raw: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let tenant = admin.tenant(&slug)?;
    admin.require_operator()?;
    let flag = Flag::parse(&flag).map_err(|e| ApiError::not_found(e.to_string()))?;
    let enabled: Option<bool> = nullable_field(&raw, "enabled", r#"{"enabled": true|false} or {"enabled": null}"#)?;
    let previous = state.flags.set_flag(&tenant, flag, enabled, state.clock.now()).await?;
    admin
        .audit(
            &state,
            Some(&tenant),
            "flag.set",
            flag.as_str(),
            Some(json!({"override": previous})),
            Some(json!({"override": enabled})),
        )
        .await;
    tracing::info!(tenant_id = %tenant, flag = flag.as_str(), enabled = ?enabled, by = %admin.0.subject, "flag override changed");
    Ok(Json(flags_json(&tenant, &effective(&state, &tenant).await?)))
}

/// `PUT /admin/tenants/{slug}/cap` `{"minutes": 2000}` or `{"minutes": null}`
/// (operator only): the minute cap that replaces the plan's included minutes.
async fn set_cap(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
    raw: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let tenant = admin.tenant(&slug)?;
    admin.require_operator()?;
    let minutes: Option<i64> = nullable_field(&raw, "minutes", r#"{"minutes": 2000} or {"minutes": null}"#)?;
    if let Some(minutes) = minutes
        && !(0..=10_000_000).contains(&minutes)
    {
        return Err(ApiError::bad_request("invalid_cap", "minutes must be between 0 and 10000000, or null"));
    }
    let previous = state.metering.set_minute_cap(&tenant, minutes).await?;
    admin
        .audit(
            &state,
            Some(&tenant),
            "cap.set",
            "minutes",
            Some(json!({"minutes": previous})),
            Some(json!({"minutes": minutes})),
        )
        .await;
    tracing::info!(tenant_id = %tenant, minutes = ?minutes, by = %admin.0.subject, "minute cap changed");
    let now = state.clock.now();
    let zone = zone(&state, &tenant).await?;
    let report = state.metering.report(&tenant, BillingPeriod::containing(now, zone)).await?;
    let mode = state.metering.answering(&tenant, zone, now).await?;
    Ok(Json(usage_json(&tenant, &report, mode)))
}

#[derive(Deserialize)]
struct PeriodQuery {
    period: Option<String>,
}

async fn zone(state: &AppState, tenant: &TenantId) -> Result<chrono_tz::Tz, ApiError> {
    let record = state
        .tenants
        .get_tenant(tenant)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("tenant {tenant} does not exist")))?;
    Ok(record.profile.timezone())
}

async fn current_period(state: &AppState, tenant: &TenantId) -> Result<BillingPeriod, ApiError> {
    Ok(BillingPeriod::containing(state.clock.now(), zone(state, tenant).await?))
}

async fn period_param(state: &AppState, tenant: &TenantId, raw: Option<&str>) -> Result<BillingPeriod, ApiError> {
    match raw.filter(|p| !p.is_empty()) {
        Some(raw) => BillingPeriod::parse(raw).map_err(|e| ApiError::bad_request("invalid_period", e.to_string())),
        None => current_period(state, tenant).await,
    }
}

fn usage_json(tenant: &TenantId, report: &UsageReport, mode: AnsweringMode) -> Value {
    let (answering, reason) = match mode {
        AnsweringMode::Normal => ("ai", None),
        AnsweringMode::Suspended(SuspensionReason::CapReached) => ("forward_to_owner", Some("cap_reached")),
        AnsweringMode::Suspended(SuspensionReason::PastDue) => ("forward_to_owner", Some("past_due")),
        AnsweringMode::Suspended(SuspensionReason::SubscriptionEnded) => {
            ("forward_to_owner", Some("subscription_ended"))
        }
    };
    json!({
        "tenant": tenant.as_str(),
        "period": report.period.to_string(),
        "plan": report.plan.as_str(),
        "usage": {
            "call_minutes": report.totals.call_minutes,
            "sms_segments": report.totals.sms_segments,
            "llm_tokens": report.totals.llm_tokens,
            // Minutes of calls forwarded to the owner while answering was
            // suspended: they cost us, the shop is never billed for them.
            "forwarded_minutes": report.totals.forwarded_minutes,
            // Outbound legs we placed (transfers, call backs): not billed.
            "outbound_minutes": report.totals.outbound_minutes,
            "ai_cost_micros": report.totals.ai_cost_micros,
            // What the period cost us by the rate card, estimated when each
            // record was made (records from before minutes and texts were
            // costed count 0 for them).
            "estimated_cost_micros": report.totals.total_cost_micros(),
            "estimated_cost_micros_by_kind": {
                "call_minutes": report.totals.call_cost_micros,
                "sms_segments": report.totals.sms_cost_micros,
                "llm_tokens": report.totals.ai_cost_micros,
                "forwarded_minutes": report.totals.forwarded_cost_micros,
                "outbound_minutes": report.totals.outbound_cost_micros,
            },
        },
        "included": {"call_minutes": report.included_minutes, "sms_segments": report.included_sms},
        "cap": {
            "minutes": report.cap.cap,
            "used": report.cap.used,
            "level": report.cap.level.map(|level| level.as_str()),
        },
        "ai_budget": {
            "micros": report.ai_cap.cap,
            "used_micros": report.ai_cap.used,
            "level": report.ai_cap.level.map(|level| level.as_str()),
            "paid_models": report.ai_cap.level != Some(frontdesk_billing::CapLevel::Hard),
        },
        "answering": answering,
        "suspension_reason": reason,
        "decisions": report.decisions.iter().map(|d| json!({
            "metric": d.metric.as_str(),
            "level": d.level.as_str(),
            "used": d.used,
            "cap": d.cap,
            "decided_at": d.decided_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        })).collect::<Vec<_>>(),
    })
}

/// `GET /admin/tenants/{slug}/usage?period=YYYY-MM` (default: this month in
/// the shop's time zone).
async fn usage(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
    Query(query): Query<PeriodQuery>,
) -> Result<Json<Value>, ApiError> {
    let tenant = admin.tenant(&slug)?;
    let period = period_param(&state, &tenant, query.period.as_deref()).await?;
    let report = state.metering.report(&tenant, period).await?;
    let mode = state.metering.answering(&tenant, zone(&state, &tenant).await?, state.clock.now()).await?;
    Ok(Json(usage_json(&tenant, &report, mode)))
}

pub fn invoice_json(stored: &StoredInvoice) -> Value {
    json!({
        "tenant": stored.tenant.as_str(),
        "period": stored.period.to_string(),
        "status": stored.status.as_str(),
        "currency": stored.invoice.currency,
        "total": stored.invoice.total,
        "lines": stored.invoice.lines,
        "updated_at": stored.updated_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        "finalized_at": stored.finalized_at.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)),
    })
}

impl From<InvoicingError> for ApiError {
    fn from(error: InvoicingError) -> ApiError {
        match error {
            InvoicingError::PeriodOpen(_) => {
                ApiError::new(axum::http::StatusCode::CONFLICT, "period_open", error.to_string())
            }
            InvoicingError::NothingToBill(_) => {
                ApiError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, "nothing_to_bill", error.to_string())
            }
            InvoicingError::Compute(_) => {
                ApiError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, "invoice_error", error.to_string())
            }
            InvoicingError::Sandbox(_) => {
                ApiError::new(axum::http::StatusCode::CONFLICT, "sandbox_not_billed", error.to_string())
            }
            InvoicingError::Store(error) => error.into(),
        }
    }
}

/// `GET /admin/tenants/{slug}/invoices`: stored invoices, newest first.
async fn list_invoices(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let tenant = admin.tenant(&slug)?;
    let invoices = state.invoicing.list(&tenant).await?;
    Ok(Json(json!({"invoices": invoices.iter().map(invoice_json).collect::<Vec<_>>()})))
}

/// `GET /admin/tenants/{slug}/invoices/preview?period=YYYY-MM`: the invoice
/// as it stands, kept as the period's draft.
async fn preview_invoice(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
    Query(query): Query<PeriodQuery>,
) -> Result<Json<Value>, ApiError> {
    let tenant = admin.tenant(&slug)?;
    let period = period_param(&state, &tenant, query.period.as_deref()).await?;
    let invoice = state.invoicing.preview(&tenant, period, state.clock.now()).await?;
    Ok(Json(invoice_json(&invoice)))
}

/// `POST /admin/tenants/{slug}/invoices/{period}/finalize` (operator only;
/// only once the period is over).
async fn finalize_invoice(
    State(state): State<AppState>,
    admin: Admin,
    Path((slug, period)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let tenant = admin.tenant(&slug)?;
    admin.require_operator()?;
    let period = BillingPeriod::parse(&period).map_err(|e| ApiError::bad_request("invalid_period", e.to_string()))?;
    let invoice = state.invoicing.finalize(&tenant, period, state.clock.now()).await?;
    admin
        .audit(
            &state,
            Some(&tenant),
            "invoice.finalize",
            &period.to_string(),
            None,
            Some(json!({"total": invoice.invoice.total})),
        )
        .await;
    Ok(Json(invoice_json(&invoice)))
}
