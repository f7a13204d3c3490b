//! `/admin/audit`: who changed what, when. Every admin mutation is recorded
//! through [`Admin::audit`] once it has succeeded.

use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use chrono::{DateTime, SecondsFormat, Utc};
use frontdesk_audit::{AuditEntry, AuditQuery, NewAuditEntry};
use frontdesk_core::TenantId;
use serde::Deserialize;
use serde_json::{Value, json};

use super::Admin;
use crate::app::AppState;
use crate::error::ApiError;

pub fn routes() -> Router<AppState> {
    Router::new().route("/admin/audit", get(list_entries))
}

impl Admin {
    /// Records a mutation this caller made. The change already happened, so a
    /// failure to record it is logged as an error rather than undoing it.
    pub async fn audit(
        &self,
        state: &AppState,
        tenant: Option<&TenantId>,
        action: &str,
        target: &str,
        before: Option<Value>,
        after: Option<Value>,
    ) {
        let entry = NewAuditEntry::new(
            state.ids.new_id().to_string(),
            state.clock.now(),
            // Who, and with what right: a shop's own token is told apart from the operator's.
            &format!("{} ({})", self.0.subject, self.0.scope),
            tenant,
            action,
            target,
            before,
            after,
        );
        if let Err(error) = state.audit.append(&entry).await {
            tracing::error!(%error, action, target, "could not write an audit log entry");
        }
    }
}

#[derive(Deserialize)]
struct AuditParams {
    tenant: Option<String>,
    from: Option<String>,
    to: Option<String>,
    limit: Option<u32>,
    /// `newest` for the latest entries, newest first.
    order: Option<String>,
}

/// An RFC 3339 time, or a plain date (`2026-11-24`: its start, in UTC).
fn instant(name: &str, raw: Option<&str>) -> Result<Option<DateTime<Utc>>, ApiError> {
    raw.filter(|r| !r.is_empty())
        .map(|raw| {
            let day = || {
                chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                    .ok()
                    .and_then(|day| day.and_hms_opt(0, 0, 0))
                    .map(|midnight| midnight.and_utc())
            };
            DateTime::parse_from_rfc3339(raw).map(|t| t.with_timezone(&Utc)).ok().or_else(day).ok_or_else(|| {
                ApiError::bad_request(
                    "invalid_time",
                    format!("{name}: {raw:?} is not a date (2026-11-24, UTC) or an RFC 3339 time such as 2026-11-24T09:00:00Z"),
                )
            })
        })
        .transpose()
}

pub fn entry_json(entry: &AuditEntry) -> Value {
    json!({
        "id": entry.id,
        "at": entry.at.to_rfc3339_opts(SecondsFormat::Millis, true),
        "actor": entry.actor,
        "tenant": entry.tenant.as_ref().map(TenantId::as_str),
        "action": entry.action,
        "target": entry.target,
        "before": entry.before,
        "after": entry.after,
    })
}

/// `GET /admin/audit?tenant=&from=&to=&limit=&order=`: oldest first, or the
/// latest with `order=newest`. A tenant-scoped
/// caller sees its own tenant's entries only.
async fn list_entries(
    State(state): State<AppState>,
    admin: Admin,
    Query(params): Query<AuditParams>,
) -> Result<Json<Value>, ApiError> {
    let tenant = match params.tenant.as_deref().filter(|t| !t.is_empty()) {
        Some(raw) => Some(admin.tenant(raw)?),
        None => {
            admin.require_operator()?;
            None
        }
    };
    let from = instant("from", params.from.as_deref())?;
    let to = instant("to", params.to.as_deref())?;
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        return Err(ApiError::bad_request("invalid_range", "from must not be after to"));
    }
    let limit = params.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_request("invalid_limit", "limit must be between 1 and 1000"));
    }
    let newest_first = match params.order.as_deref() {
        None | Some("") | Some("oldest") => false,
        Some("newest") => true,
        Some(other) => {
            return Err(ApiError::bad_request(
                "invalid_order",
                format!("order must be oldest or newest, got {other:?}"),
            ));
        }
    };
    let entries = state.audit.audit_entries(&AuditQuery { tenant, from, to, limit, newest_first }).await?;
    Ok(Json(json!({"entries": entries.iter().map(entry_json).collect::<Vec<_>>()})))
}
