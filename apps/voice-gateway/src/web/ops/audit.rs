//! `/ops/audit?tenant=&from=&to=&limit=&before=`: the audit log, newest
//! first, filtered by shop and by UTC days (`to` included), `limit` entries
//! a page; "older" pages continue `before` the oldest entry shown.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Duration, NaiveDate, SecondsFormat, Utc};
use frontdesk_audit::{AuditEntry, AuditQuery};
use frontdesk_core::TenantId;
use serde::Deserialize;
use serde_json::Value;

use super::{Header, unavailable};
use crate::app::AppState;
use crate::web::{OperatorSession, page};

const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 1_000;
/// Before and after are cut to this many characters in the table.
const VALUE_CHARS: usize = 300;

#[derive(Deserialize)]
pub(super) struct AuditParams {
    #[serde(default)]
    tenant: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    limit: String,
    #[serde(default)]
    before: String,
}

struct Row {
    at: String,
    actor: String,
    tenant: String,
    action: String,
    target: String,
    before: String,
    after: String,
}

#[derive(Template)]
#[template(path = "ops_audit.html")]
struct AuditPage {
    header: Header,
    shops: Vec<(String, String)>,
    tenant: String,
    from: String,
    to: String,
    limit: u32,
    errors: Vec<String>,
    rows: Vec<Row>,
    /// Links to the same filters with more entries, and to older ones.
    more: Option<String>,
    older: Option<String>,
}

/// The filters, checked; each problem in words.
struct Filters {
    tenant: Option<TenantId>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    before: Option<DateTime<Utc>>,
    limit: u32,
}

fn filters(params: &AuditParams) -> Result<Filters, Vec<String>> {
    let mut errors = Vec::new();
    let day = |name: &str, raw: &str, errors: &mut Vec<String>| -> Option<NaiveDate> {
        let raw = raw.trim();
        if raw.is_empty() {
            return None;
        }
        NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .map_err(|_| errors.push(format!("{name}: {raw:?} is not a date such as 2026-11-24.")))
            .ok()
    };
    let tenant = match params.tenant.trim() {
        "" => None,
        raw => TenantId::parse(raw).map_err(|_| errors.push(format!("Shop: {raw:?} is not a shop's name."))).ok(),
    };
    let from = day("From", &params.from, &mut errors).map(|day| day.and_time(chrono::NaiveTime::MIN).and_utc());
    let to = day("To", &params.to, &mut errors)
        .map(|day| day.and_time(chrono::NaiveTime::MIN).and_utc() + Duration::days(1));
    let before = match params.before.trim() {
        "" => None,
        raw => DateTime::parse_from_rfc3339(raw)
            .map(|at| at.with_timezone(&Utc))
            .map_err(|_| errors.push(format!("Before: {raw:?} is not a time such as 2026-11-24T09:00:00Z.")))
            .ok(),
    };
    let limit = match params.limit.trim() {
        "" => DEFAULT_LIMIT,
        raw => match raw.parse::<u32>() {
            Ok(limit) if (1..=MAX_LIMIT).contains(&limit) => limit,
            _ => {
                errors.push(format!("Entries a page: {raw:?} is not a number from 1 to {MAX_LIMIT}."));
                DEFAULT_LIMIT
            }
        },
    };
    if let (Some(from), Some(to)) = (from, to)
        && from >= to
    {
        errors.push("From must not be after To.".to_owned());
    }
    if errors.is_empty() { Ok(Filters { tenant, from, to, before, limit }) } else { Err(errors) }
}

pub(super) async fn audit_log(
    State(state): State<AppState>,
    operator: OperatorSession,
    Query(params): Query<AuditParams>,
) -> Response {
    let mut shops: Vec<(String, String)> = match state.tenants.tenant_summaries().await {
        Ok(tenants) => tenants.into_iter().map(|tenant| (tenant.slug.to_string(), tenant.name)).collect(),
        Err(error) => return unavailable(&anyhow::Error::new(error)),
    };
    shops.sort();
    let mut audit_page = AuditPage {
        header: Header::new(&operator, "audit"),
        shops,
        tenant: params.tenant.trim().to_owned(),
        from: params.from.trim().to_owned(),
        to: params.to.trim().to_owned(),
        limit: DEFAULT_LIMIT,
        errors: Vec::new(),
        rows: Vec::new(),
        more: None,
        older: None,
    };
    let filters = match filters(&params) {
        Ok(filters) => filters,
        Err(errors) => {
            audit_page.errors = errors;
            let mut response = page(audit_page.render());
            *response.status_mut() = StatusCode::BAD_REQUEST;
            return response;
        }
    };
    audit_page.limit = filters.limit;
    let to = match (filters.to, filters.before) {
        (Some(to), Some(before)) => Some(to.min(before)),
        (to, before) => to.or(before),
    };
    let query =
        AuditQuery { tenant: filters.tenant.clone(), from: filters.from, to, limit: filters.limit, newest_first: true };
    let entries = match state.audit.audit_entries(&query).await {
        Ok(entries) => entries,
        Err(error) => return unavailable(&anyhow::Error::new(error)),
    };
    if entries.len() == filters.limit as usize {
        let link = |limit: u32, before: &str| {
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            for (name, value) in [("tenant", &audit_page.tenant), ("from", &audit_page.from), ("to", &audit_page.to)] {
                if !value.is_empty() {
                    query.append_pair(name, value);
                }
            }
            query.append_pair("limit", &limit.to_string());
            if !before.is_empty() {
                query.append_pair("before", before);
            }
            format!("/ops/audit?{}", query.finish())
        };
        let current_before = params.before.trim();
        if filters.limit < MAX_LIMIT {
            audit_page.more = Some(link((filters.limit + DEFAULT_LIMIT).min(MAX_LIMIT), current_before));
        }
        if let Some(oldest) = entries.last() {
            audit_page.older = Some(link(filters.limit, &oldest.at.to_rfc3339_opts(SecondsFormat::AutoSi, true)));
        }
    }
    audit_page.rows = entries.iter().map(row).collect();
    page(audit_page.render())
}

fn row(entry: &AuditEntry) -> Row {
    Row {
        at: entry.at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        actor: entry.actor.clone(),
        tenant: entry.tenant.as_ref().map(TenantId::to_string).unwrap_or_default(),
        action: entry.action.clone(),
        target: entry.target.clone(),
        before: shown(entry.before.as_ref()),
        after: shown(entry.after.as_ref()),
    }
}

/// Compact JSON, cut short when long.
fn shown(value: Option<&Value>) -> String {
    let Some(value) = value else { return String::new() };
    let text = value.to_string();
    if text.chars().count() > VALUE_CHARS {
        format!("{}…", text.chars().take(VALUE_CHARS).collect::<String>())
    } else {
        text
    }
}
