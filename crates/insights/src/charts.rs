//! Charts as inline SVG strings: horizontal bars, stacked bars, a
//! sparkline and the weekday × hour heat map.
//!
//! Every chart is a plain function of its data: no script, no external font
//! or stylesheet, no `style` attribute (a strict Content-Security-Policy
//! allows presentation attributes only), text in `currentColor` so it follows
//! the page's colours. Each is `role="img"` with a `<title>` and an
//! `aria-label`, has no width or height of its own (its `viewBox` lets it
//! scale to the column it is put in, phone or desktop), and has
//! [`Chart::rows`], the same numbers for a `<table>` beside it. Every piece of
//! text is escaped.

use std::fmt::{self, Write};

use serde::Serialize;

use crate::facts::CallOutcome;
use crate::figures::Amount;
use crate::owner::{DayCount, HeatMap, OutcomeMix, ServiceFigure, WEEKDAYS};

/// An SVG document to put inline in a page, as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Svg(String);

impl Svg {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Svg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One row of a chart's table: what it is and its value as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableRow {
    pub label: String,
    pub value: String,
}

impl TableRow {
    fn new(label: impl Into<String>, value: impl Into<String>) -> TableRow {
        TableRow { label: label.into(), value: value.into() }
    }
}

/// A chart: its picture and its table.
pub trait Chart {
    /// What the chart shows; its `<title>`, and the table's caption.
    fn title(&self) -> &str;

    fn svg(&self) -> Svg;

    /// The chart's numbers, one row each, in the chart's order.
    fn rows(&self) -> Vec<TableRow>;
}

/// One value with its label, and the value as the page shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Datum {
    pub label: String,
    /// Drawn to scale; negative or not finite is drawn as zero.
    pub value: f64,
    pub shown: String,
}

impl Datum {
    pub fn new(label: impl Into<String>, value: f64, shown: impl Into<String>) -> Datum {
        Datum { label: label.into(), value, shown: shown.into() }
    }

    pub fn count(label: impl Into<String>, count: u64) -> Datum {
        Datum::new(label, count as f64, count.to_string())
    }

    pub fn amount(label: impl Into<String>, amount: Amount) -> Datum {
        Datum::new(label, amount.minor() as f64, amount.to_string())
    }
}

/// Horizontal bars, one per datum, longest for the largest value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BarChart {
    pub title: String,
    pub bars: Vec<Datum>,
}

/// One bar of a [`StackedBarChart`]: a value per series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stack {
    pub label: String,
    pub values: Vec<u64>,
}

/// Horizontal bars split into series (the outcome mix: one bar per period,
/// one series per outcome), all drawn to one scale, with a legend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StackedBarChart {
    pub title: String,
    pub series: Vec<String>,
    pub stacks: Vec<Stack>,
}

/// A small line of values in order (a figure day by day), lowest at the
/// bottom, highest at the top.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sparkline {
    pub title: String,
    pub points: Vec<Datum>,
}

/// Calls by weekday and hour, darker for more.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeatMapChart {
    pub title: String,
    pub map: HeatMap,
}

/// The series' colours, in order; they repeat after eight.
pub const PALETTE: [&str; 8] = ["#2563eb", "#16a34a", "#f59e0b", "#9333ea", "#0891b2", "#db2777", "#64748b", "#dc2626"];

const WIDTH: f64 = 320.0;
const LABEL_END: f64 = 108.0;
const BAR_START: f64 = 112.0;
const BAR_SPAN: f64 = 120.0;
const ROW: f64 = 22.0;
const BAR_HEIGHT: f64 = 14.0;
const TOP: f64 = 6.0;
const LABEL_CHARS: usize = 18;

impl Chart for BarChart {
    fn title(&self) -> &str {
        &self.title
    }

    fn svg(&self) -> Svg {
        let height = TOP * 2.0 + ROW * self.bars.len().max(1) as f64;
        let mut svg = open_svg(&self.title, WIDTH, height);
        if self.bars.is_empty() {
            no_data(&mut svg, WIDTH, height);
            return close_svg(svg);
        }
        let max = self.bars.iter().map(|bar| drawable(bar.value)).fold(0.0, f64::max);
        for (index, bar) in self.bars.iter().enumerate() {
            let top = TOP + ROW * index as f64;
            let width = scaled(bar.value, max, BAR_SPAN);
            let tooltip = format!("{}: {}", bar.label, bar.shown);
            row_label(&mut svg, &bar.label, top);
            let _ = write!(
                svg,
                r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>"#,
                number(BAR_START),
                number(top + (ROW - BAR_HEIGHT) / 2.0),
                number(width),
                number(BAR_HEIGHT),
                PALETTE[0],
                escape(&tooltip)
            );
            row_value(&mut svg, &bar.shown, BAR_START + width + 4.0, top);
        }
        close_svg(svg)
    }

    fn rows(&self) -> Vec<TableRow> {
        self.bars.iter().map(|bar| TableRow::new(bar.label.clone(), bar.shown.clone())).collect()
    }
}

const LEGEND_ROW: f64 = 16.0;
const LEGEND_COLUMNS: usize = 2;

impl Chart for StackedBarChart {
    fn title(&self) -> &str {
        &self.title
    }

    fn svg(&self) -> Svg {
        let legend_rows = self.series.len().div_ceil(LEGEND_COLUMNS);
        let bars_height = ROW * self.stacks.len().max(1) as f64;
        let height = TOP * 2.0 + bars_height + LEGEND_ROW * legend_rows as f64;
        let mut svg = open_svg(&self.title, WIDTH, height);
        let total = |stack: &Stack| stack.values.iter().sum::<u64>();
        let max = self.stacks.iter().map(total).max().unwrap_or(0) as f64;
        if self.stacks.is_empty() || max == 0.0 {
            no_data(&mut svg, WIDTH, TOP * 2.0 + bars_height);
        } else {
            for (index, stack) in self.stacks.iter().enumerate() {
                let top = TOP + ROW * index as f64;
                row_label(&mut svg, &stack.label, top);
                let mut x = BAR_START;
                for (series, value) in stack.values.iter().enumerate() {
                    if *value == 0 {
                        continue;
                    }
                    let width = scaled(*value as f64, max, BAR_SPAN);
                    let name = self.series.get(series).map_or("", String::as_str);
                    let tooltip = format!("{}, {name}: {value}", stack.label);
                    let _ = write!(
                        svg,
                        r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>"#,
                        number(x),
                        number(top + (ROW - BAR_HEIGHT) / 2.0),
                        number(width),
                        number(BAR_HEIGHT),
                        colour(series),
                        escape(&tooltip)
                    );
                    x += width;
                }
                row_value(&mut svg, &total(stack).to_string(), x + 4.0, top);
            }
        }
        let legend_top = TOP + bars_height;
        for (series, name) in self.series.iter().enumerate() {
            let column = (series % LEGEND_COLUMNS) as f64;
            let row = (series / LEGEND_COLUMNS) as f64;
            let (x, y) = (8.0 + column * WIDTH / 2.0, legend_top + row * LEGEND_ROW + 4.0);
            let _ = write!(
                svg,
                r#"<rect x="{}" y="{}" width="10" height="10" fill="{}"/><text x="{}" y="{}" fill="currentColor">{}</text>"#,
                number(x),
                number(y),
                colour(series),
                number(x + 14.0),
                number(y + 9.0),
                escape(&shorten(name, 24))
            );
        }
        close_svg(svg)
    }

    fn rows(&self) -> Vec<TableRow> {
        let mut rows = Vec::new();
        for stack in &self.stacks {
            for (series, value) in stack.values.iter().enumerate() {
                let name = self.series.get(series).map_or("", String::as_str);
                rows.push(TableRow::new(format!("{}, {name}", stack.label), value.to_string()));
            }
        }
        rows
    }
}

const SPARK_WIDTH: f64 = 100.0;
const SPARK_HEIGHT: f64 = 24.0;
const SPARK_MARGIN: f64 = 2.0;

impl Chart for Sparkline {
    fn title(&self) -> &str {
        &self.title
    }

    fn svg(&self) -> Svg {
        let mut svg = open_svg(&self.title, SPARK_WIDTH, SPARK_HEIGHT);
        let values: Vec<f64> =
            self.points.iter().map(|point| if point.value.is_finite() { point.value } else { 0.0 }).collect();
        let (low, high) = values
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(low, high), value| (low.min(*value), high.max(*value)));
        let span = high - low;
        let inner = SPARK_HEIGHT - SPARK_MARGIN * 2.0;
        let y = |value: f64| {
            if span > 0.0 { SPARK_MARGIN + inner - (value - low) / span * inner } else { SPARK_HEIGHT / 2.0 }
        };
        let x = |index: usize| {
            if values.len() > 1 {
                SPARK_MARGIN + index as f64 * (SPARK_WIDTH - SPARK_MARGIN * 2.0) / (values.len() - 1) as f64
            } else {
                SPARK_WIDTH / 2.0
            }
        };
        if values.len() > 1 {
            let points: Vec<String> = values
                .iter()
                .enumerate()
                .map(|(index, value)| format!("{},{}", number(x(index)), number(y(*value))))
                .collect();
            let _ = write!(
                svg,
                r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="1.5" stroke-linejoin="round" stroke-linecap="round"/>"#,
                points.join(" "),
                PALETTE[0]
            );
        }
        if let (Some(last), Some(point)) = (values.last(), self.points.last()) {
            let tooltip = format!("{}: {}", point.label, point.shown);
            let _ = write!(
                svg,
                r#"<circle cx="{}" cy="{}" r="2" fill="{}"><title>{}</title></circle>"#,
                number(x(values.len() - 1)),
                number(y(*last)),
                PALETTE[0],
                escape(&tooltip)
            );
        }
        close_svg(svg)
    }

    fn rows(&self) -> Vec<TableRow> {
        self.points.iter().map(|point| TableRow::new(point.label.clone(), point.shown.clone())).collect()
    }
}

const CELL: f64 = 12.0;
const CELL_STEP: f64 = 13.0;
const GRID_LEFT: f64 = 30.0;
const GRID_TOP: f64 = 14.0;

impl Chart for HeatMapChart {
    fn title(&self) -> &str {
        &self.title
    }

    fn svg(&self) -> Svg {
        let width = GRID_LEFT + CELL_STEP * 24.0;
        let height = GRID_TOP + CELL_STEP * 7.0;
        let mut svg = open_svg(&self.title, width, height);
        for hour in [0_u32, 6, 12, 18] {
            let _ = write!(
                svg,
                r#"<text x="{}" y="10" fill="currentColor">{hour:02}</text>"#,
                number(GRID_LEFT + CELL_STEP * f64::from(hour))
            );
        }
        let max = self.map.max() as f64;
        for (weekday, name) in WEEKDAYS.iter().enumerate() {
            let top = GRID_TOP + CELL_STEP * weekday as f64;
            let _ = write!(
                svg,
                r#"<text x="{}" y="{}" text-anchor="end" fill="currentColor">{name}</text>"#,
                number(GRID_LEFT - 4.0),
                number(top + 10.0)
            );
            for hour in 0..24 {
                let count = self.map.count(weekday, hour);
                let (fill, opacity) = if count == 0 {
                    ("#94a3b8", 0.15)
                } else {
                    (PALETTE[0], 0.2 + 0.8 * scaled(count as f64, max, 1.0))
                };
                let tooltip =
                    format!("{}: {count} {}", hour_label(name, hour), if count == 1 { "call" } else { "calls" });
                let _ = write!(
                    svg,
                    r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{fill}" fill-opacity="{:.2}"><title>{}</title></rect>"#,
                    number(GRID_LEFT + CELL_STEP * hour as f64),
                    number(top),
                    number(CELL),
                    number(CELL),
                    opacity,
                    escape(&tooltip)
                );
            }
        }
        close_svg(svg)
    }

    /// The hours that had calls (the others had none), Monday first.
    fn rows(&self) -> Vec<TableRow> {
        let mut rows = Vec::new();
        for (weekday, name) in WEEKDAYS.iter().enumerate() {
            for hour in 0..24 {
                let count = self.map.count(weekday, hour);
                if count > 0 {
                    rows.push(TableRow::new(hour_label(name, hour), count.to_string()));
                }
            }
        }
        rows
    }
}

/// The outcome mix of a period beside the previous one.
pub fn outcome_mix_chart(current: &OutcomeMix, previous: &OutcomeMix) -> StackedBarChart {
    let values = |mix: &OutcomeMix| CallOutcome::ALL.iter().map(|outcome| mix.count(*outcome)).collect();
    StackedBarChart {
        title: "How calls ended".to_owned(),
        series: CallOutcome::ALL.iter().map(|outcome| outcome.label().to_owned()).collect(),
        stacks: vec![
            Stack { label: "This period".to_owned(), values: values(current) },
            Stack { label: "Previous period".to_owned(), values: values(previous) },
        ],
    }
}

/// The services of a period by the value they booked.
pub fn top_services_chart(services: &[ServiceFigure]) -> BarChart {
    BarChart {
        title: "Top services by value booked".to_owned(),
        bars: services.iter().map(|figure| Datum::amount(figure.service.clone(), figure.value)).collect(),
    }
}

/// The calls of a period day by day.
pub fn calls_sparkline(days: &[DayCount]) -> Sparkline {
    Sparkline {
        title: "Calls a day".to_owned(),
        points: days.iter().map(|day| Datum::count(day.day.format("%a %-d %b").to_string(), day.calls)).collect(),
    }
}

/// The calls of a period by weekday and hour.
pub fn heat_map_chart(map: &HeatMap) -> HeatMapChart {
    HeatMapChart { title: "Calls by weekday and hour".to_owned(), map: *map }
}

/// Text made safe inside SVG (XML) content and attribute values: markup
/// characters as entities, characters XML cannot hold left out.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            '\t' | '\n' | '\r' => escaped.push(' '),
            c if c.is_control() || matches!(c, '\u{FFFE}' | '\u{FFFF}') => {}
            c => escaped.push(c),
        }
    }
    escaped
}

fn open_svg(title: &str, width: f64, height: f64) -> String {
    let title = escape(title);
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" role="img" aria-label="{title}" font-family="system-ui, sans-serif" font-size="11"><title>{title}</title>"#,
        number(width),
        number(height)
    )
}

fn close_svg(mut svg: String) -> Svg {
    svg.push_str("</svg>");
    Svg(svg)
}

fn no_data(svg: &mut String, width: f64, height: f64) {
    let _ = write!(
        svg,
        r#"<text x="{}" y="{}" text-anchor="middle" fill="currentColor">No data</text>"#,
        number(width / 2.0),
        number(height / 2.0 + 4.0)
    );
}

fn row_label(svg: &mut String, label: &str, top: f64) {
    let _ = write!(
        svg,
        r#"<text x="{}" y="{}" text-anchor="end" fill="currentColor">{}</text>"#,
        number(LABEL_END),
        number(top + ROW / 2.0 + 4.0),
        escape(&shorten(label, LABEL_CHARS))
    );
}

fn row_value(svg: &mut String, shown: &str, x: f64, top: f64) {
    let _ = write!(
        svg,
        r#"<text x="{}" y="{}" fill="currentColor">{}</text>"#,
        number(x),
        number(top + ROW / 2.0 + 4.0),
        escape(shown)
    );
}

/// "Mon 09:00–10:00".
fn hour_label(weekday: &str, hour: usize) -> String {
    format!("{weekday} {hour:02}:00–{:02}:00", (hour + 1) % 24)
}

fn colour(series: usize) -> &'static str {
    PALETTE[series % PALETTE.len()]
}

/// A value as drawn: negative or not finite counts as zero.
fn drawable(value: f64) -> f64 {
    if value.is_finite() && value > 0.0 { value } else { 0.0 }
}

/// `value` as a share of `span` where `max` fills it.
fn scaled(value: f64, max: f64, span: f64) -> f64 {
    if max > 0.0 { drawable(value).min(max) / max * span } else { 0.0 }
}

/// A coordinate with at most one decimal, without a trailing ".0". In
/// whole tenths (integer formatting: a chart of a thousand bars formats
/// thousands of these, and exact float formatting is the slow path).
fn number(value: f64) -> String {
    let tenths = (value * 10.0).round();
    if !tenths.is_finite() || tenths.abs() >= 1e15 {
        let rounded = tenths / 10.0;
        return if rounded.fract() == 0.0 { format!("{rounded:.0}") } else { format!("{rounded:.1}") };
    }
    let tenths = tenths as i64;
    let (sign, whole, tenth) = (if tenths < 0 { "-" } else { "" }, tenths.abs() / 10, tenths.abs() % 10);
    match (whole, tenth) {
        (0, 0) => "0".to_owned(),
        (_, 0) => format!("{sign}{whole}"),
        _ => format!("{sign}{whole}.{tenth}"),
    }
}

/// At most `limit` characters, the last an ellipsis when cut.
fn shorten(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(limit.saturating_sub(1)).collect();
    short.push('…');
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short_and_stable() {
        let cases = [
            (0.0, "0"),
            (112.0, "112"),
            (12.34, "12.3"),
            (12.35, "12.4"),
            (-0.04, "0"),
            (1.0 / 3.0, "0.3"),
            (-0.3, "-0.3"),
            (-12.96, "-13"),
            (-12.94, "-12.9"),
            (1_234_567.05, "1234567.1"),
            (f64::INFINITY, "inf"),
        ];
        for (value, expected) in cases {
            assert_eq!(number(value), expected, "{value}");
        }
    }

    #[test]
    fn long_labels_are_shortened_with_an_ellipsis() {
        let cases =
            [("Haircut", 18, "Haircut"), ("Beard trim and hot towel shave", 18, "Beard trim and ho…"), ("", 3, "")];
        for (text, limit, expected) in cases {
            assert_eq!(shorten(text, limit), expected);
        }
    }
}
