//! `/app/insights`: the shop's figures for a period against the one before,
//! computed by `frontdesk-insights` from the shop's own records.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use frontdesk_insights::{
    Amount, AmountChange, Chart, CountChange, Fraction, PeriodChoice, RateChange, calls_sparkline, heat_map_chart,
    outcome_mix_chart, owner::definitions, top_services_chart,
};
use serde::Deserialize;

use super::owner::{shop_of, unavailable};
use super::{OwnerSession, page};
use crate::app::AppState;

pub(crate) struct Figure {
    label: &'static str,
    value: String,
    change: String,
    detail: String,
}

pub(crate) struct ChartBlock {
    title: String,
    svg: String,
    label_heading: &'static str,
    value_heading: &'static str,
    rows: Vec<(String, String)>,
}

impl ChartBlock {
    fn of(chart: &dyn Chart, label_heading: &'static str, value_heading: &'static str) -> ChartBlock {
        ChartBlock {
            title: chart.title().to_owned(),
            svg: chart.svg().into_string(),
            label_heading,
            value_heading,
            rows: chart.rows().into_iter().map(|row| (row.label, row.value)).collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "owner_insights.html")]
struct InsightsPage {
    shop: String,
    page: &'static str,
    period: String,
    choices: Vec<(&'static str, &'static str)>,
    range: String,
    previous_range: String,
    figures: Vec<Figure>,
    roi: String,
    minutes: String,
    charts: Vec<ChartBlock>,
    definitions: Vec<(&'static str, &'static str)>,
}

#[derive(Deserialize)]
pub(crate) struct PeriodQuery {
    period: Option<String>,
}

fn count_change(change: &CountChange) -> String {
    match change.relative {
        Some(relative) => format!("{:+} ({:+.0} %) from the period before", change.difference, relative * 100.0),
        None => format!("{:+} from the period before", change.difference),
    }
}

fn amount_change(change: &AmountChange) -> String {
    match change.relative {
        Some(relative) => format!("{} ({:+.0} %) from the period before", signed(&change.difference), relative * 100.0),
        None => format!("{} from the period before", signed(&change.difference)),
    }
}

fn signed(amount: &Amount) -> String {
    if amount.minor() >= 0 { format!("+{amount}") } else { amount.to_string() }
}

fn rate(fraction: &Fraction) -> String {
    match fraction.percent() {
        Some(percent) => format!("{percent:.0} %"),
        None => "–".to_owned(),
    }
}

fn rate_change(change: &RateChange) -> String {
    match change.points {
        Some(points) => format!("{points:+.0} points from the period before"),
        None => "nothing to compare with".to_owned(),
    }
}

pub(crate) async fn insights(
    State(state): State<AppState>,
    owner: OwnerSession,
    Query(query): Query<PeriodQuery>,
) -> Response {
    let choice = query.period.as_deref().and_then(PeriodChoice::parse).unwrap_or(PeriodChoice::Last7Days);
    let Some(shop) = shop_of(&state, &owner).await else { return unavailable() };
    let profile = &shop.profile;
    let now = state.clock.now();
    let periods = match choice.resolve(now, profile.timezone()) {
        Ok(periods) => periods,
        Err(error) => {
            tracing::error!(%error, "could not work out a shop's periods");
            return unavailable();
        }
    };
    let facts = match super::owner_facts::owner_facts(&state, profile, &periods, now).await {
        Ok(facts) => facts,
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "could not gather a shop's figures");
            return unavailable();
        }
    };
    let figures = match facts.insights(choice, now) {
        Ok(figures) => figures,
        Err(error) => {
            tracing::error!(%error, "could not work out a shop's figures");
            return unavailable();
        }
    };
    let days = |range: &frontdesk_insights::DayRange| {
        let (first, last) = (range.first_day(), range.last_day());
        if first == last {
            frontdesk_routing::spoken_date(last)
        } else {
            format!("{} to {}", frontdesk_routing::spoken_date(first), frontdesk_routing::spoken_date(last))
        }
    };
    let cards = vec![
        Figure {
            label: "Calls answered",
            value: figures.calls.current.to_string(),
            change: count_change(&figures.calls.change),
            detail: format!("{} after hours", figures.after_hours_calls.current),
        },
        Figure {
            label: "Booked by the receptionist",
            value: figures.bookings_made.current.to_string(),
            change: count_change(&figures.bookings_made.change),
            detail: String::new(),
        },
        Figure {
            label: "Conversion",
            value: rate(&figures.conversion.current),
            change: rate_change(&figures.conversion.change),
            detail: format!("{} calls booked", figures.conversion.current),
        },
        Figure {
            label: "Revenue booked",
            value: figures.revenue_booked.current.to_string(),
            change: amount_change(&figures.revenue_booked.change),
            detail: String::new(),
        },
        Figure {
            label: "Revenue recovered",
            value: figures.revenue_recovered.current.to_string(),
            change: amount_change(&figures.revenue_recovered.change),
            detail: format!(
                "{} more on the books ({} bookings)",
                figures.recovered.on_the_books, figures.recovered.on_the_books_bookings
            ),
        },
        Figure {
            label: "No-show rate",
            value: rate(&figures.no_show_rate.current),
            change: rate_change(&figures.no_show_rate.change),
            detail: format!("{} no-shows; {} not marked yet", figures.no_show_rate.current, figures.unmarked),
        },
        Figure {
            label: "Cancellation rate",
            value: rate(&figures.cancellation_rate.current),
            change: rate_change(&figures.cancellation_rate.change),
            detail: format!("{} late", figures.late_cancellations),
        },
    ];
    let minutes = &figures.minutes;
    let page_ = InsightsPage {
        shop: profile.name().to_owned(),
        page: "insights",
        period: choice.name().unwrap_or("7d").to_owned(),
        choices: vec![("today", "Today"), ("7d", "7 days"), ("30d", "30 days"), ("month", "This month")],
        range: days(&figures.periods.current.days),
        previous_range: days(&figures.periods.previous.days),
        figures: cards,
        roi: figures.roi.line(),
        minutes: format!(
            "{} of {} included call minutes used this month; about {} by the month's end.",
            minutes.used, minutes.included, minutes.projected
        ),
        charts: vec![
            ChartBlock::of(&calls_sparkline(&figures.calls_by_day), "Day", "Calls"),
            ChartBlock::of(&outcome_mix_chart(&figures.outcomes, &figures.previous_outcomes), "Outcome", "Calls"),
            ChartBlock::of(&top_services_chart(&figures.top_services), "Service", "Booked"),
            ChartBlock::of(&heat_map_chart(&figures.heat_map), "Weekday and hour", "Calls"),
        ],
        definitions: vec![
            ("Calls answered", definitions::CALLS_ANSWERED),
            ("Booked by the receptionist", definitions::BOOKINGS_MADE),
            ("Conversion", definitions::CONVERSION),
            ("Revenue booked", definitions::REVENUE_BOOKED),
            ("Revenue recovered", definitions::REVENUE_RECOVERED),
            ("No-show rate", definitions::NO_SHOW_RATE),
            ("Cancellation rate", definitions::CANCELLATION_RATE),
            ("Minutes", definitions::MINUTES),
            ("Plan and bookings", definitions::ROI),
        ],
    };
    page(page_.render())
}
