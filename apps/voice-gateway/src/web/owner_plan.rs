//! `/app/plan`: the shop's plan, this month's use against what it includes,
//! and its bills (drafts while the month runs, then final).

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use frontdesk_billing::{AnsweringMode, BillingPeriod, PlanTerms};
use frontdesk_core::{Currency, Money};

use super::owner::{shop_of, unavailable};
use super::{OwnerSession, page};
use crate::app::AppState;

struct InvoiceRow {
    period: String,
    total: String,
    status: &'static str,
    lines: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "owner_plan.html")]
struct PlanPage {
    shop: String,
    page: &'static str,
    plan: String,
    price: String,
    period: String,
    minutes: i64,
    included_minutes: i64,
    texts: i64,
    included_texts: i64,
    ai_used: String,
    ai_budget: String,
    answering: &'static str,
    invoices: Vec<InvoiceRow>,
}

fn money(minor: i64, currency: Currency) -> String {
    Money::from_minor(minor, currency).to_string()
}

fn dollars(micros: i64) -> String {
    format!("${:.2}", micros as f64 / 1e6)
}

pub(crate) async fn plan(State(state): State<AppState>, owner: OwnerSession) -> Response {
    let Some(shop) = shop_of(&state, &owner).await else { return unavailable() };
    let profile = &shop.profile;
    let now = state.clock.now();
    let period = BillingPeriod::containing(now, profile.timezone());
    let (report, mode, invoices) = match (
        state.metering.report(&owner.tenant, period).await,
        state.metering.answering(&owner.tenant, profile.timezone(), now).await,
        state.billing.list_invoices(&owner.tenant).await,
    ) {
        (Ok(report), Ok(mode), Ok(invoices)) => (report, mode, invoices),
        _ => return unavailable(),
    };
    let terms = PlanTerms::standard(report.plan);
    let currency = terms.currency();
    let invoices = invoices
        .iter()
        .rev()
        .map(|stored| {
            let currency = Currency::parse(&stored.invoice.currency).unwrap_or(currency);
            InvoiceRow {
                period: stored.period.to_string(),
                total: money(stored.invoice.total, currency),
                status: stored.status.as_str(),
                lines: stored
                    .invoice
                    .lines
                    .iter()
                    .map(|line| (line.description.clone(), line.quantity.to_string(), money(line.amount, currency)))
                    .collect(),
            }
        })
        .collect();
    let page_ = PlanPage {
        shop: profile.name().to_owned(),
        page: "plan",
        plan: report.plan.as_str().to_owned(),
        price: money(terms.monthly_price(), currency),
        period: period.to_string(),
        minutes: report.totals.call_minutes,
        included_minutes: report.included_minutes,
        texts: report.totals.sms_segments,
        included_texts: report.included_sms,
        ai_used: dollars(report.ai_cap.used),
        ai_budget: dollars(report.ai_cap.cap),
        answering: match mode {
            AnsweringMode::Normal => "The receptionist is answering your calls.",
            AnsweringMode::Suspended(_) => {
                "The receptionist is paused: calls are forwarded to your phone. Contact us to resume."
            }
        },
        invoices,
    };
    page(page_.render())
}
