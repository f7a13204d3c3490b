//! `/ops?period=today|7d|30d|month`: the platform's figures for a period
//! (UTC days), each with its formula, each chart beside a table of the same
//! numbers.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use frontdesk_insights::{
    Amount, BarChart, Chart, CostTarget, Datum, Margin, MrrMovements, OperatorOverview, PeriodChoice, UsageKind,
};
use serde::Deserialize;

use super::facts::{Coverage, Reads, platform};
use super::{Header, micro_dollars, ops_notice, percent, unavailable};
use crate::app::AppState;
use crate::web::{OperatorSession, page};

/// One figure: its value, what qualifies it, and how it is computed.
pub(super) struct Figure {
    label: &'static str,
    value: String,
    detail: String,
    formula: &'static str,
}

/// A chart and its numbers.
pub(super) struct ChartBlock {
    title: String,
    svg: String,
    label_heading: &'static str,
    value_heading: &'static str,
    rows: Vec<(String, String)>,
}

impl ChartBlock {
    pub(super) fn of(chart: &dyn Chart, label_heading: &'static str, value_heading: &'static str) -> ChartBlock {
        ChartBlock {
            title: chart.title().to_owned(),
            svg: chart.svg().into_string(),
            label_heading,
            value_heading,
            rows: chart.rows().into_iter().map(|row| (row.label, row.value)).collect(),
        }
    }
}

/// A shop's margin row.
struct MarginRow {
    shop: String,
    revenue: String,
    cost: String,
    margin: String,
}

#[derive(Template)]
#[template(path = "ops_overview.html")]
struct OverviewPage {
    header: Header,
    period: &'static str,
    choices: Vec<(&'static str, &'static str)>,
    range: String,
    figures: Vec<Figure>,
    movements: Vec<(&'static str, String, u64)>,
    margins: Vec<MarginRow>,
    /// Which shops the margins table lists, when not all.
    margins_note: Option<String>,
    charts: Vec<ChartBlock>,
    coverage: Vec<String>,
}

#[derive(Deserialize)]
pub(super) struct PeriodQuery {
    period: Option<String>,
}

/// Shops a chart or table of the overview lists at most: the overview is
/// for what stands out (the busiest, the least profitable); every shop is on
/// the Shops page. A thousand bars make no chart a person can read, and
/// drawing them made most of the page's size and time.
const LISTED_SHOPS: usize = 20;

const CHOICES: [(&str, &str); 4] =
    [("today", "Today"), ("7d", "Last 7 days"), ("30d", "Last 30 days"), ("month", "This month")];

pub(super) async fn overview(
    State(state): State<AppState>,
    operator: OperatorSession,
    Query(query): Query<PeriodQuery>,
) -> Response {
    let raw = query.period.as_deref().filter(|raw| !raw.is_empty()).unwrap_or("month");
    let (Some(choice), Some(period)) =
        (PeriodChoice::parse(raw), CHOICES.iter().map(|(name, _)| *name).find(|name| *name == raw))
    else {
        return ops_notice(
            StatusCode::BAD_REQUEST,
            "No such period",
            "The period must be today, 7d (the last 7 days), 30d (the last 30 days) or month (this month).",
        );
    };
    let now = state.clock.now();
    let window = match choice.resolve(now, chrono_tz::UTC) {
        Ok(periods) => periods.current.window,
        Err(error) => return unavailable(&anyhow::Error::new(error)),
    };
    let platform = match platform(&state, &window, now, Reads::ALL).await {
        Ok(platform) => platform,
        Err(error) => return unavailable(&error),
    };
    let overview = platform.facts.overview(&window, CostTarget::DEFAULT);
    let names: HashMap<&str, &str> =
        platform.shops.iter().map(|shop| (shop.slug().as_str(), shop.tenant.name.as_str())).collect();
    let name_of = |slug: &str| names.get(slug).map_or_else(|| slug.to_owned(), |name| (*name).to_owned());
    let margins = lowest_margins(&overview);
    let margins_note = margins_note(&overview, margins.len());
    let margins = margins
        .into_iter()
        .map(|margin| MarginRow {
            shop: margin.shop.as_deref().map(name_of).unwrap_or_default(),
            revenue: margin.revenue.to_string(),
            cost: micro_dollars(margin.cost_micros as f64),
            margin: percent(margin.margin),
        })
        .collect();
    let range = format!(
        "{} to {} (UTC days)",
        window.start().format("%a %-d %b %Y"),
        (window.end() - chrono::Duration::days(1)).format("%a %-d %b %Y")
    );
    let page_data = OverviewPage {
        header: Header::new(&operator, "overview"),
        period,
        choices: CHOICES.to_vec(),
        range,
        figures: figures(&overview),
        movements: movements(&overview.movements.value),
        margins,
        margins_note,
        charts: charts(&overview, &platform.facts, &name_of),
        coverage: coverage(&platform.coverage),
    };
    page(page_data.render())
}

/// Margins in the order that needs the operator's eye: costs without
/// revenue first, then the lowest margin.
fn by_worst_margin(a: &&Margin, b: &&Margin) -> std::cmp::Ordering {
    let rank = |margin: &Margin| margin.margin.unwrap_or(f64::NEG_INFINITY);
    rank(a).total_cmp(&rank(b)).then_with(|| a.shop.cmp(&b.shop))
}

/// The shops with revenue or cost in the period, the least profitable
/// first, at most [`LISTED_SHOPS`].
fn lowest_margins(overview: &OperatorOverview) -> Vec<&Margin> {
    let mut margins: Vec<&Margin> = overview
        .gross_margin
        .value
        .shops
        .iter()
        .filter(|margin| margin.revenue.minor() > 0 || margin.cost_micros > 0)
        .collect();
    margins.sort_by(by_worst_margin);
    margins.truncate(LISTED_SHOPS);
    margins
}

fn margins_note(overview: &OperatorOverview, listed: usize) -> Option<String> {
    let with_figures = overview
        .gross_margin
        .value
        .shops
        .iter()
        .filter(|margin| margin.revenue.minor() > 0 || margin.cost_micros > 0)
        .count();
    (with_figures > listed).then(|| format!("The {listed} lowest of {with_figures} shops"))
}

fn figures(overview: &OperatorOverview) -> Vec<Figure> {
    let movements = &overview.movements.value;
    let minutes = &overview.minutes_per_shop.value;
    let margin = &overview.gross_margin.value.overall;
    let cost = &overview.cost_per_call.value;
    let target = micro_dollars(cost.target_micros as f64);
    let against = |within: Option<bool>| match within {
        Some(true) => format!("within the {target} target"),
        Some(false) => format!("above the {target} target"),
        None => format!("no ended calls; the target is {target}"),
    };
    let one_decimal = |value: Option<f64>| value.map_or_else(|| "—".to_owned(), |value| format!("{value:.1}"));
    vec![
        Figure {
            label: "MRR",
            value: overview.mrr.value.to_string(),
            detail: format!("{} at the start of the period", movements.mrr_at_start),
            formula: overview.mrr.formula,
        },
        Figure {
            label: "Net new MRR",
            value: signed(&movements.net_new),
            detail: "the movements below".to_owned(),
            formula: overview.movements.formula,
        },
        Figure {
            label: "Gross MRR churn",
            value: percent(overview.gross_mrr_churn.value),
            detail: match overview.gross_mrr_churn.value {
                Some(_) => format!("{} lost", Amount::from_minor(lost(movements), movements.net_new.currency())),
                None => "no MRR at the start of the period".to_owned(),
            },
            formula: overview.gross_mrr_churn.formula,
        },
        Figure {
            label: "Net MRR churn",
            value: percent(overview.net_mrr_churn.value),
            detail: match overview.net_mrr_churn.value {
                Some(rate) if rate < 0.0 => "negative: expansion and reactivation outgrew what was lost".to_owned(),
                Some(_) => "what was lost, less expansion and reactivation".to_owned(),
                None => "no MRR at the start of the period".to_owned(),
            },
            formula: overview.net_mrr_churn.formula,
        },
        Figure {
            label: "ARPA",
            value: overview.arpa.value.map_or_else(|| "—".to_owned(), |arpa| arpa.to_string()),
            detail: "a month, per active shop".to_owned(),
            formula: overview.arpa.formula,
        },
        Figure {
            label: "Active shops",
            value: overview.active_shops.value.to_string(),
            detail: "enabled, paying, not suspended".to_owned(),
            formula: overview.active_shops.formula,
        },
        Figure {
            label: "Minutes per shop",
            value: one_decimal(minutes.mean),
            detail: format!("median {}, {} minutes in all", one_decimal(minutes.median), minutes.total),
            formula: overview.minutes_per_shop.formula,
        },
        Figure {
            label: "Gross margin",
            value: percent(margin.margin),
            detail: format!("{} revenue, {} cost", margin.revenue, micro_dollars(margin.cost_micros as f64)),
            formula: overview.gross_margin.formula,
        },
        Figure {
            label: "Cost per call (mean)",
            value: cost.mean_micros.map_or_else(|| "—".to_owned(), micro_dollars),
            detail: format!("{}; {} calls", against(cost.mean_within_target), cost.calls),
            formula: overview.cost_per_call.formula,
        },
        Figure {
            label: "Cost per call (p95)",
            value: cost.p95_micros.map_or_else(|| "—".to_owned(), |p95| micro_dollars(p95 as f64)),
            detail: format!("{}; {} calls cost more", against(cost.p95_within_target), cost.over_target),
            formula: overview.cost_per_call.formula,
        },
    ]
}

fn lost(movements: &MrrMovements) -> i64 {
    movements.churn.amount.minor().saturating_add(movements.contraction.amount.minor())
}

/// `+12.00 USD`, `-49.00 USD`.
fn signed(amount: &Amount) -> String {
    if amount.minor() > 0 { format!("+{amount}") } else { amount.to_string() }
}

/// The movements' table: kind, amount with its sign, how many changes.
fn movements(movements: &MrrMovements) -> Vec<(&'static str, String, u64)> {
    let plus = |amount: &Amount| if amount.minor() == 0 { amount.to_string() } else { format!("+{amount}") };
    let minus = |amount: &Amount| if amount.minor() == 0 { amount.to_string() } else { format!("-{amount}") };
    vec![
        ("New", plus(&movements.new.amount), movements.new.changes),
        ("Expansion", plus(&movements.expansion.amount), movements.expansion.changes),
        ("Reactivation", plus(&movements.reactivation.amount), movements.reactivation.changes),
        ("Contraction", minus(&movements.contraction.amount), movements.contraction.changes),
        ("Churn", minus(&movements.churn.amount), movements.churn.changes),
    ]
}

fn charts(
    overview: &OperatorOverview,
    facts: &frontdesk_insights::OperatorFacts,
    name_of: &dyn Fn(&str) -> String,
) -> Vec<ChartBlock> {
    let movements = &overview.movements.value;
    let movement_chart = BarChart {
        title: "MRR movements in the period".to_owned(),
        bars: vec![
            Datum::amount("New", movements.new.amount),
            Datum::amount("Expansion", movements.expansion.amount),
            Datum::amount("Reactivation", movements.reactivation.amount),
            Datum::amount("Contraction (lost)", movements.contraction.amount),
            Datum::amount("Churn (lost)", movements.churn.amount),
        ],
    };
    let window = overview.window;
    let mut minutes: Vec<(i64, &str)> = facts
        .shops()
        .iter()
        .filter(|shop| shop.active())
        .map(|shop| {
            let minutes = shop
                .usage
                .iter()
                .filter(|record| record.kind == UsageKind::CallMinutes && window.contains(record.occurred_at))
                .fold(0_i64, |total, record| total.saturating_add(record.quantity));
            (minutes, shop.shop.as_str())
        })
        .collect();
    minutes.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    let active = minutes.len();
    minutes.truncate(LISTED_SHOPS);
    let minutes_chart = BarChart {
        title: if active > minutes.len() {
            format!("Billable minutes: the {} busiest of {active} active shops", minutes.len())
        } else {
            "Billable minutes by active shop".to_owned()
        },
        bars: minutes
            .into_iter()
            .map(|(minutes, shop)| Datum::new(name_of(shop), minutes as f64, minutes.to_string()))
            .collect(),
    };
    let mut margins: Vec<&Margin> =
        overview.gross_margin.value.shops.iter().filter(|margin| margin.revenue.minor() > 0).collect();
    margins.sort_by(by_worst_margin);
    let with_revenue = margins.len();
    margins.truncate(LISTED_SHOPS);
    let margin_chart = BarChart {
        title: if with_revenue > margins.len() {
            format!("Gross margin: the {} lowest of {with_revenue} shops (negative drawn as none)", margins.len())
        } else {
            "Gross margin by shop (negative drawn as none)".to_owned()
        },
        bars: margins
            .into_iter()
            .map(|margin| {
                let shop = margin.shop.as_deref().map(name_of).unwrap_or_default();
                Datum::new(shop, margin.margin.unwrap_or(0.0) * 100.0, percent(margin.margin))
            })
            .collect(),
    };
    let cost = &overview.cost_per_call.value;
    let mut cost_bars = Vec::new();
    if let Some(mean) = cost.mean_micros {
        cost_bars.push(Datum::new("Mean", mean, micro_dollars(mean)));
    }
    if let Some(p95) = cost.p95_micros {
        cost_bars.push(Datum::new("p95", p95 as f64, micro_dollars(p95 as f64)));
    }
    cost_bars.push(Datum::new("Target", cost.target_micros as f64, micro_dollars(cost.target_micros as f64)));
    let cost_chart = BarChart { title: "Cost per call against the target".to_owned(), bars: cost_bars };
    vec![
        ChartBlock::of(&movement_chart, "Movement", "Amount"),
        ChartBlock::of(&minutes_chart, "Shop", "Minutes"),
        ChartBlock::of(&margin_chart, "Shop", "Gross margin"),
        ChartBlock::of(&cost_chart, "Figure", "Cost"),
    ]
}

/// What the figures cover and what they cannot yet, in words.
fn coverage(coverage: &Coverage) -> Vec<String> {
    let mut notes = vec![
        format!(
            "Costs are estimates from the rate card (FRONTDESK_RATE_CARD): each ended call's voice minutes, model use and outbound legs (a transfer's ring to the owner, a call back's legs), each shop's number rent, and every text the shops sent ({} SMS segments this period). Payment fees are not counted yet, so margins are somewhat higher than they will be.",
            coverage.text_segments
        ),
        format!(
            "Cost per call and minutes come from the calls of the period that have ended ({}), each costed from its voice minutes, its own model use and the outbound legs placed for it. Texts count in the margins but not per call: a text's usage record names its message, not the call it followed. Model use outside calls (reindexing a shop's knowledge) is not counted.",
            coverage.calls_costed
        ),
        "Revenue is each billing month's invoice (plan days and overage so far; no setup fee, no tax) spread evenly over the days it bills and counted up to now.".to_owned(),
        "MRR movements come from the plan history and, for enabling, disabling, suspending and resuming, from the audit log of the period. A shop that was already out when the period started is taken to have left just before it.".to_owned(),
    ];
    if coverage.calls_in_progress > 0 {
        notes.push(format!("Calls still in progress, not counted yet: {}.", coverage.calls_in_progress));
    }
    if coverage.undated_cancellations > 0 {
        notes.push(format!(
            "Shops whose subscription was cancelled at the payment provider: {}. When is not recorded, so they count as out for the whole period and their churn is not shown as a movement.",
            coverage.undated_cancellations
        ));
    }
    if coverage.audit_truncated {
        notes.push("The period's audit log was longer than could be read at once: some status changes may be missing from the movements.".to_owned());
    }
    notes
}
