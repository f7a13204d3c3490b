use frontdesk_insights::{
    BarChart, Chart, Datum, HeatMap, HeatMapChart, OutcomeMix, Sparkline, Stack, StackedBarChart, TableRow,
    calls_sparkline, heat_map_chart, outcome_mix_chart, top_services_chart,
};

use crate::fixture::{fixture, march};

/// Checks that every tag is closed in order, and returns the names of the
/// elements in document order.
fn elements(svg: &str) -> Vec<String> {
    let mut open: Vec<String> = Vec::new();
    let mut names = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find('<') {
        let end = rest[start..].find('>').map(|end| start + end).expect("a closed tag");
        let tag = &rest[start + 1..end];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(open.pop().as_deref(), Some(name), "closing {name} in {svg}");
        } else {
            let name = tag.split_whitespace().next().unwrap_or_default().trim_end_matches('/').to_owned();
            names.push(name.clone());
            if !tag.ends_with('/') {
                open.push(name);
            }
        }
        rest = &rest[end + 1..];
    }
    assert!(open.is_empty(), "unclosed {open:?} in {svg}");
    names
}

fn count(names: &[String], element: &str) -> usize {
    names.iter().filter(|name| *name == element).count()
}

/// What every chart must be: an image with a title, scaled by its viewBox,
/// with nothing a strict CSP or an offline page would refuse.
fn check_frame(svg: &str, title: &str) {
    assert!(svg.starts_with(r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 "#), "{svg}");
    assert!(svg.contains(r#" role="img""#), "{svg}");
    assert!(svg.contains(&format!("<title>{title}</title>")), "{svg}");
    assert!(svg.ends_with("</svg>"), "{svg}");
    for refused in [
        "style=",
        "<script",
        "href",
        "url(",
        "@import",
        "<foreignObject",
        "NaN",
        "=\"inf",
        "=\"-inf",
        " width=\"-",
        "width=\"100%",
    ] {
        assert!(!svg.contains(refused), "{refused} in {svg}");
    }
    let svg_tag = &svg[..svg.find('>').unwrap_or_default()];
    assert!(!svg_tag.contains(" width=") && !svg_tag.contains(" height="), "sized by its viewBox: {svg_tag}");
}

#[test]
fn a_bar_chart_draws_one_bar_per_value_to_scale() {
    let chart = BarChart {
        title: "Bookings by service".to_owned(),
        bars: vec![Datum::count("Haircut", 4), Datum::count("Colour", 2)],
    };
    let expected = concat!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 56" role="img" aria-label="Bookings by service" font-family="system-ui, sans-serif" font-size="11"><title>Bookings by service</title>"#,
        r#"<text x="108" y="21" text-anchor="end" fill="currentColor">Haircut</text>"#,
        r##"<rect x="112" y="10" width="120" height="14" fill="#2563eb"><title>Haircut: 4</title></rect>"##,
        r#"<text x="236" y="21" fill="currentColor">4</text>"#,
        r#"<text x="108" y="43" text-anchor="end" fill="currentColor">Colour</text>"#,
        r##"<rect x="112" y="32" width="60" height="14" fill="#2563eb"><title>Colour: 2</title></rect>"##,
        r#"<text x="176" y="43" fill="currentColor">2</text>"#,
        "</svg>",
    );
    assert_eq!(chart.svg().as_str(), expected);
    check_frame(chart.svg().as_str(), "Bookings by service");
    assert_eq!(chart.rows(), vec![row("Haircut", "4"), row("Colour", "2")]);
}

fn row(label: &str, value: &str) -> TableRow {
    TableRow { label: label.to_owned(), value: value.to_owned() }
}

#[test]
fn text_is_escaped_everywhere_it_appears() {
    let hostile = r#"<script>alert("x")</script> & 'Tom's'"#;
    let escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;Tom&#39;s&#39;";
    let charts: Vec<Box<dyn Chart>> = vec![
        Box::new(BarChart { title: hostile.to_owned(), bars: vec![Datum::new(hostile, 1.0, hostile)] }),
        Box::new(StackedBarChart {
            title: hostile.to_owned(),
            series: vec![hostile.to_owned()],
            stacks: vec![Stack { label: hostile.to_owned(), values: vec![3] }],
        }),
        Box::new(Sparkline { title: hostile.to_owned(), points: vec![Datum::new(hostile, 1.0, hostile)] }),
        Box::new(HeatMapChart { title: hostile.to_owned(), map: HeatMap::default() }),
    ];
    for chart in charts {
        let svg = chart.svg().into_string();
        assert!(!svg.contains("<script") && !svg.contains("alert(\""), "{svg}");
        assert!(svg.contains(&format!("<title>{escaped}</title>")), "{svg}");
        assert!(svg.contains(&format!(r#"aria-label="{escaped}""#)), "{svg}");
        elements(&svg);
        // The table keeps the raw text: the page's template escapes it.
        assert_eq!(chart.title(), hostile);
    }
    let control = BarChart { title: "a\u{0}b\u{1b}c\nd".to_owned(), bars: Vec::new() };
    assert!(control.svg().as_str().contains("<title>abc d</title>"));
}

#[test]
fn an_empty_or_odd_bar_chart_still_draws() {
    let empty = BarChart { title: "Nothing".to_owned(), bars: Vec::new() };
    let svg = empty.svg().into_string();
    check_frame(&svg, "Nothing");
    assert!(svg.contains(">No data</text>"), "{svg}");
    assert_eq!(count(&elements(&svg), "rect"), 0);
    assert!(empty.rows().is_empty());

    let odd = BarChart {
        title: "Odd".to_owned(),
        bars: vec![
            Datum::new("nan", f64::NAN, "?"),
            Datum::new("negative", -5.0, "-5"),
            Datum::new("infinite", f64::INFINITY, "∞"),
            Datum::count("zero", 0),
        ],
    };
    let svg = odd.svg().into_string();
    check_frame(&svg, "Odd");
    assert_eq!(svg.matches(r#"width="0""#).count(), 4, "{svg}");
}

#[test]
fn long_labels_are_cut_in_the_picture_but_whole_in_the_table() {
    let label = "Full head of highlights with toner";
    let chart = BarChart { title: "Services".to_owned(), bars: vec![Datum::count(label, 1)] };
    assert!(chart.svg().as_str().contains(">Full head of high…</text>"));
    assert!(chart.svg().as_str().contains(&format!("<title>{label}: 1</title>")));
    assert_eq!(chart.rows(), vec![row(label, "1")]);
}

#[test]
fn the_outcome_mix_stacks_this_period_over_the_previous_one() {
    let facts = fixture();
    let current = facts.outcome_mix(&march());
    let previous = OutcomeMix { outcomes: Vec::new(), in_progress: 0 };
    let chart = outcome_mix_chart(&current, &previous);
    let svg = chart.svg().into_string();
    check_frame(&svg, "How calls ended");
    let names = elements(&svg);
    // Eight outcomes with calls in the first bar, none in the second, eight legend keys.
    assert_eq!(count(&names, "rect"), 16, "{svg}");
    assert_eq!(svg.matches(r#"height="10""#).count(), 8, "legend keys: {svg}");
    assert!(svg.contains("<title>This period, Booked: 6</title>"), "{svg}");
    assert!(svg.contains(">Hung up while booking</text>"), "{svg}");
    let rows = chart.rows();
    assert_eq!(rows.len(), 16);
    assert_eq!(rows.first(), Some(&row("This period, Booked", "6")));
    assert_eq!(rows.last(), Some(&row("Previous period, Hung up", "0")));

    let all_empty = outcome_mix_chart(&previous, &previous).svg().into_string();
    assert!(all_empty.contains(">No data</text>"), "{all_empty}");
}

#[test]
fn a_stacked_bar_chart_scales_every_stack_to_the_largest() {
    let chart = StackedBarChart {
        title: "Mix".to_owned(),
        series: vec!["a".to_owned(), "b".to_owned(), "c".to_owned()],
        stacks: vec![
            Stack { label: "one".to_owned(), values: vec![2, 2, 0] },
            Stack { label: "two".to_owned(), values: vec![1, 0, 1] },
        ],
    };
    let expected = concat!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 88" role="img" aria-label="Mix" font-family="system-ui, sans-serif" font-size="11"><title>Mix</title>"#,
        r#"<text x="108" y="21" text-anchor="end" fill="currentColor">one</text>"#,
        r##"<rect x="112" y="10" width="60" height="14" fill="#2563eb"><title>one, a: 2</title></rect>"##,
        r##"<rect x="172" y="10" width="60" height="14" fill="#16a34a"><title>one, b: 2</title></rect>"##,
        r#"<text x="236" y="21" fill="currentColor">4</text>"#,
        r#"<text x="108" y="43" text-anchor="end" fill="currentColor">two</text>"#,
        r##"<rect x="112" y="32" width="30" height="14" fill="#2563eb"><title>two, a: 1</title></rect>"##,
        r##"<rect x="142" y="32" width="30" height="14" fill="#f59e0b"><title>two, c: 1</title></rect>"##,
        r#"<text x="176" y="43" fill="currentColor">2</text>"#,
        r##"<rect x="8" y="54" width="10" height="10" fill="#2563eb"/><text x="22" y="63" fill="currentColor">a</text>"##,
        r##"<rect x="168" y="54" width="10" height="10" fill="#16a34a"/><text x="182" y="63" fill="currentColor">b</text>"##,
        r##"<rect x="8" y="70" width="10" height="10" fill="#f59e0b"/><text x="22" y="79" fill="currentColor">c</text>"##,
        "</svg>",
    );
    assert_eq!(chart.svg().as_str(), expected);
}

#[test]
fn a_sparkline_runs_from_the_lowest_to_the_highest_value() {
    let points = |values: &[f64]| -> Vec<Datum> {
        values
            .iter()
            .enumerate()
            .map(|(day, value)| Datum::new(format!("day {}", day + 1), *value, value.to_string()))
            .collect()
    };
    let chart = Sparkline { title: "Calls a day".to_owned(), points: points(&[1.0, 3.0, 2.0]) };
    let expected = concat!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 24" role="img" aria-label="Calls a day" font-family="system-ui, sans-serif" font-size="11"><title>Calls a day</title>"#,
        r##"<polyline points="2,22 50,2 98,12" fill="none" stroke="#2563eb" stroke-width="1.5" stroke-linejoin="round" stroke-linecap="round"/>"##,
        r##"<circle cx="98" cy="12" r="2" fill="#2563eb"><title>day 3: 2</title></circle>"##,
        "</svg>",
    );
    assert_eq!(chart.svg().as_str(), expected);
    assert_eq!(chart.rows(), vec![row("day 1", "1"), row("day 2", "3"), row("day 3", "2")]);

    // (values, polylines, circles, a fragment)
    let cases: Vec<(Vec<f64>, usize, usize, &str)> = vec![
        (vec![], 0, 0, "<title>Calls a day</title></svg>"),
        (vec![5.0], 0, 1, r#"cx="50" cy="12""#),
        (vec![4.0, 4.0, 4.0], 1, 1, r#"points="2,12 50,12 98,12""#),
        (vec![f64::NAN, 1.0], 1, 1, r#"points="2,22 98,2""#),
    ];
    for (values, polylines, circles, fragment) in cases {
        let svg = Sparkline { title: "Calls a day".to_owned(), points: points(&values) }.svg().into_string();
        check_frame(&svg, "Calls a day");
        let names = elements(&svg);
        assert_eq!((count(&names, "polyline"), count(&names, "circle")), (polylines, circles), "{svg}");
        assert!(svg.contains(fragment), "{fragment} in {svg}");
    }
}

#[test]
fn the_heat_map_has_a_cell_for_every_weekday_hour() {
    let map = fixture().call_heat_map(&march());
    let chart = heat_map_chart(&map);
    let svg = chart.svg().into_string();
    check_frame(&svg, "Calls by weekday and hour");
    let names = elements(&svg);
    assert_eq!(count(&names, "rect"), 7 * 24);
    // A title per cell, and the chart's own.
    assert_eq!(count(&names, "title"), 7 * 24 + 1);
    assert!(svg.contains(r#"viewBox="0 0 342 105""#), "{svg}");
    assert!(svg.contains(r#"fill-opacity="1.00"><title>Mon 10:00–11:00: 2 calls</title>"#), "{svg}");
    assert!(svg.contains(r#"fill-opacity="0.60"><title>Sun 03:00–04:00: 1 call</title>"#), "{svg}");
    assert!(svg.contains(r#"fill-opacity="0.15"><title>Sun 02:00–03:00: 0 calls</title>"#), "{svg}");
    for label in ["Mon", "Sun", ">00<", ">18<"] {
        assert!(svg.contains(label), "{label} in {svg}");
    }
    let rows = chart.rows();
    assert_eq!(rows.len(), 12, "the hours with calls");
    assert_eq!(rows.first(), Some(&row("Mon 10:00–11:00", "2")));
    assert_eq!(rows.last(), Some(&row("Sun 03:00–04:00", "1")));

    let empty = heat_map_chart(&HeatMap::default());
    assert!(empty.rows().is_empty());
    assert!(!empty.svg().as_str().contains("fill-opacity=\"1.00\""));
}

#[test]
fn top_services_are_drawn_by_value() {
    let chart = top_services_chart(&fixture().top_services(&march()));
    let svg = chart.svg().into_string();
    check_frame(&svg, "Top services by value booked");
    assert_eq!(count(&elements(&svg), "rect"), 3);
    assert!(svg.contains("<title>Beard trim: 25.00 USD</title>"), "{svg}");
    assert_eq!(
        chart.rows(),
        vec![row("Haircut", "120.00 USD"), row("Colour", "120.00 USD"), row("Beard trim", "25.00 USD")]
    );
}

#[test]
fn charts_serialise_for_the_json_api() {
    let chart = BarChart { title: "t".to_owned(), bars: vec![Datum::count("a", 1)] };
    let json = serde_json::to_value(chart.svg()).expect("serialises");
    assert!(json.as_str().is_some_and(|svg| svg.starts_with("<svg")));
}

#[test]
fn calls_a_day_make_a_sparkline_with_a_row_per_day() {
    let facts = fixture();
    let days = frontdesk_insights::DayRange::new(crate::fixture::date(2026, 3, 7), crate::fixture::date(2026, 3, 10))
        .expect("three days");
    let period = frontdesk_insights::Period::new(days, crate::fixture::ZONE).expect("a period");
    let chart = calls_sparkline(&facts.calls_by_day(&period));
    check_frame(chart.svg().as_str(), "Calls a day");
    // Saturday 7 (c08), Sunday 8 with its lost hour (c09), Monday 9 (c10).
    assert_eq!(chart.rows(), vec![row("Sat 7 Mar", "1"), row("Sun 8 Mar", "1"), row("Mon 9 Mar", "1")]);
}
