use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::America::Santiago;
use frontdesk_insights::{DayRange, PeriodChoice, PeriodError, Window};

use crate::fixture::{ZONE, date, ny, utc};

fn days(first: NaiveDate, end: NaiveDate) -> DayRange {
    DayRange::new(first, end).expect("a non-empty range")
}

/// `(first day, end day, start, end)` of a resolved period.
type Resolved = (NaiveDate, NaiveDate, DateTime<Utc>, DateTime<Utc>);

#[test]
fn each_choice_resolves_to_local_days_and_the_period_before() {
    #[rustfmt::skip]
    let cases: Vec<(&str, PeriodChoice, DateTime<Utc>, Resolved, Resolved)> = vec![
        ("today, an ordinary day",
            PeriodChoice::Today, ny(2026, 3, 11, 10, 30),
            (date(2026, 3, 11), date(2026, 3, 12), utc("2026-03-11T04:00:00Z"), utc("2026-03-12T04:00:00Z")),
            (date(2026, 3, 10), date(2026, 3, 11), utc("2026-03-10T04:00:00Z"), utc("2026-03-11T04:00:00Z"))),
        ("today, 22:00 in New York is already tomorrow in UTC",
            PeriodChoice::Today, utc("2026-03-11T02:00:00Z"),
            (date(2026, 3, 10), date(2026, 3, 11), utc("2026-03-10T04:00:00Z"), utc("2026-03-11T04:00:00Z")),
            (date(2026, 3, 9), date(2026, 3, 10), utc("2026-03-09T04:00:00Z"), utc("2026-03-10T04:00:00Z"))),
        ("today, the spring-forward day is 23 hours",
            PeriodChoice::Today, ny(2026, 3, 8, 12, 0),
            (date(2026, 3, 8), date(2026, 3, 9), utc("2026-03-08T05:00:00Z"), utc("2026-03-09T04:00:00Z")),
            (date(2026, 3, 7), date(2026, 3, 8), utc("2026-03-07T05:00:00Z"), utc("2026-03-08T05:00:00Z"))),
        ("today, the fall-back day is 25 hours",
            PeriodChoice::Today, ny(2026, 11, 1, 12, 0),
            (date(2026, 11, 1), date(2026, 11, 2), utc("2026-11-01T04:00:00Z"), utc("2026-11-02T05:00:00Z")),
            (date(2026, 10, 31), date(2026, 11, 1), utc("2026-10-31T04:00:00Z"), utc("2026-11-01T04:00:00Z"))),
        ("last 7 days, today included, across the DST change",
            PeriodChoice::Last7Days, ny(2026, 3, 11, 10, 30),
            (date(2026, 3, 5), date(2026, 3, 12), utc("2026-03-05T05:00:00Z"), utc("2026-03-12T04:00:00Z")),
            (date(2026, 2, 26), date(2026, 3, 5), utc("2026-02-26T05:00:00Z"), utc("2026-03-05T05:00:00Z"))),
        ("last 30 days",
            PeriodChoice::Last30Days, ny(2026, 3, 11, 10, 30),
            (date(2026, 2, 10), date(2026, 3, 12), utc("2026-02-10T05:00:00Z"), utc("2026-03-12T04:00:00Z")),
            (date(2026, 1, 11), date(2026, 2, 10), utc("2026-01-11T05:00:00Z"), utc("2026-02-10T05:00:00Z"))),
        ("this month is compared with the whole previous month",
            PeriodChoice::ThisMonth, ny(2026, 3, 11, 10, 30),
            (date(2026, 3, 1), date(2026, 4, 1), utc("2026-03-01T05:00:00Z"), utc("2026-04-01T04:00:00Z")),
            (date(2026, 2, 1), date(2026, 3, 1), utc("2026-02-01T05:00:00Z"), utc("2026-03-01T05:00:00Z"))),
        ("this month in January: the previous one is last year's December",
            PeriodChoice::ThisMonth, ny(2026, 1, 15, 9, 0),
            (date(2026, 1, 1), date(2026, 2, 1), utc("2026-01-01T05:00:00Z"), utc("2026-02-01T05:00:00Z")),
            (date(2025, 12, 1), date(2026, 1, 1), utc("2025-12-01T05:00:00Z"), utc("2026-01-01T05:00:00Z"))),
        ("custom days: the previous period has as many days",
            PeriodChoice::Custom(days(date(2026, 3, 1), date(2026, 4, 1))), ny(2026, 4, 2, 12, 0),
            (date(2026, 3, 1), date(2026, 4, 1), utc("2026-03-01T05:00:00Z"), utc("2026-04-01T04:00:00Z")),
            (date(2026, 1, 29), date(2026, 3, 1), utc("2026-01-29T05:00:00Z"), utc("2026-03-01T05:00:00Z"))),
    ];
    for (name, choice, now, current, previous) in cases {
        let periods = choice.resolve(now, ZONE).expect(name);
        let resolved = |period: frontdesk_insights::Period| {
            (period.days.first_day(), period.days.end_day(), period.window.start(), period.window.end())
        };
        assert_eq!(resolved(periods.current), current, "{name}: current");
        assert_eq!(resolved(periods.previous), previous, "{name}: previous");
        if choice != PeriodChoice::ThisMonth {
            assert_eq!(periods.current.days.days(), periods.previous.days.days(), "{name}: equal length");
        }
    }
}

#[test]
fn a_day_whose_midnight_does_not_exist_starts_at_its_first_hour() {
    // Chile moves its clocks at midnight: 6 September 2026 starts at 01:00 (-03).
    let periods = PeriodChoice::Today.resolve(utc("2026-09-06T16:00:00Z"), Santiago).expect("today in Santiago");
    assert_eq!(periods.current.days.first_day(), date(2026, 9, 6));
    assert_eq!(periods.current.window.start(), utc("2026-09-06T04:00:00Z"));
    assert_eq!(periods.current.window.end(), utc("2026-09-07T03:00:00Z"));
    assert_eq!(periods.previous.window.end(), periods.current.window.start());
}

#[test]
fn empty_ranges_are_refused() {
    let cases = [(date(2026, 3, 5), date(2026, 3, 5)), (date(2026, 3, 5), date(2026, 3, 4))];
    for (first, end) in cases {
        assert_eq!(DayRange::new(first, end), Err(PeriodError::Empty { from: first, to: end }));
    }
    let instant = utc("2026-03-05T00:00:00Z");
    assert_eq!(Window::new(instant, instant), Err(PeriodError::EmptyWindow { start: instant, end: instant }));
}

#[test]
fn a_range_knows_its_days() {
    let range = days(date(2026, 2, 26), date(2026, 3, 5));
    assert_eq!((range.days(), range.last_day()), (7, date(2026, 3, 4)));
    let json = serde_json::to_value(range).expect("serialises");
    assert_eq!(json, serde_json::json!({"first_day": "2026-02-26", "last_day": "2026-03-04", "days": 7}));
}

#[test]
fn the_calendar_cannot_run_out_before_a_period() {
    let first = NaiveDate::MIN;
    let range = days(first, first.succ_opt().expect("the day after"));
    assert_eq!(range.before(), Err(PeriodError::OutOfRange(first)));
}

#[test]
fn named_choices_read_back_from_their_names() {
    for choice in PeriodChoice::NAMED {
        assert_eq!(choice.name().and_then(PeriodChoice::parse), Some(choice));
    }
    for unknown in ["", "week", "7D", "custom"] {
        assert_eq!(PeriodChoice::parse(unknown), None, "{unknown}");
    }
    assert_eq!(PeriodChoice::Custom(days(date(2026, 3, 1), date(2026, 3, 2))).name(), None);
}
