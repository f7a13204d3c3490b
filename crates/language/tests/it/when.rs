use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use frontdesk_language::{DateSpec, PartOfDay, TimeSpec, When, extract_when};

/// Wednesday 11 March 2026, 10:30. This week runs Monday 9 to Sunday 15;
/// next week Monday 16 to Sunday 22.
fn now() -> NaiveDateTime {
    date(2026, 3, 11).and_hms_opt(10, 30, 0).unwrap_or_default()
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default()
}

fn clock(hour: u32, minute: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or_default()
}

/// A day in 2026.
fn on(month: u32, day: u32) -> Option<DateSpec> {
    Some(DateSpec::On(date(2026, month, day)))
}

fn on_year(year: i32, month: u32, day: u32) -> Option<DateSpec> {
    Some(DateSpec::On(date(year, month, day)))
}

fn between(first: (u32, u32), last: (u32, u32)) -> Option<DateSpec> {
    Some(DateSpec::Between { first: date(2026, first.0, first.1), last: date(2026, last.0, last.1) })
}

fn at(hour: u32, minute: u32) -> Option<TimeSpec> {
    Some(TimeSpec::At(clock(hour, minute)))
}

/// A bare hour, meridiem unknown.
fn bare(hour: u32, minute: u32) -> Option<TimeSpec> {
    Some(TimeSpec::Ambiguous { hour, minute })
}

fn time(hour: u32, minute: u32) -> Option<NaiveTime> {
    Some(clock(hour, minute))
}

fn none() -> When {
    When::default()
}

fn check(input: &str, expected: When) {
    assert_eq!(extract_when(input, now()), expected, "input: {input:?}");
}

#[test]
fn relative_days() {
    check("today", When { date: on(3, 11), ..none() });
    check("tonight", When { date: on(3, 11), part_of_day: Some(PartOfDay::Evening), ..none() });
    check("tomorrow", When { date: on(3, 12), ..none() });
    check("Tomorrow?", When { date: on(3, 12), ..none() });
    check("day after tomorrow", When { date: on(3, 13), ..none() });
    check("the day after tomorrow", When { date: on(3, 13), ..none() });
    check("in 3 days", When { date: on(3, 14), ..none() });
    check("in a week", When { date: on(3, 18), ..none() });
    check("in two weeks", When { date: on(3, 25), ..none() });
    check("a week from tomorrow", When { date: on(3, 19), ..none() });
    check("this morning", When { date: on(3, 11), part_of_day: Some(PartOfDay::Morning), ..none() });
}

#[test]
fn weekdays() {
    check("friday", When { date: on(3, 13), ..none() });
    check("on Friday", When { date: on(3, 13), ..none() });
    check("this saturday", When { date: on(3, 14), ..none() });
    check("this coming saturday", When { date: on(3, 14), ..none() });
    check("wednesday", When { date: on(3, 11), ..none() });
    check("monday", When { date: on(3, 16), ..none() });
    check("tuesday", When { date: on(3, 17), ..none() });
    check("next friday", When { date: on(3, 20), ..none() });
    check("next monday", When { date: on(3, 16), ..none() });
    check("next wednesday", When { date: on(3, 18), ..none() });
    check("next tuesday", When { date: on(3, 17), ..none() });
    check("friday next week", When { date: on(3, 20), ..none() });
    check("next week on thursday", When { date: on(3, 19), ..none() });
    check("thursday after next", When { date: on(3, 26), ..none() });
    check("tuesday no wait wednesday", When { date: on(3, 11), ..none() });
    check("last friday", none());
}

#[test]
fn next_weekday_counts_calendar_weeks_from_monday() {
    // Said on a Saturday, "next Friday" is six days away, not thirteen.
    let saturday = date(2026, 3, 14).and_hms_opt(9, 0, 0).unwrap_or_default();
    assert_eq!(extract_when("next friday", saturday).date, on(3, 20));
    assert_eq!(extract_when("friday", saturday).date, on(3, 20));
    // Said on a Sunday, "this week" is just today.
    let sunday = date(2026, 3, 15).and_hms_opt(9, 0, 0).unwrap_or_default();
    assert_eq!(extract_when("this week", sunday).date, between((3, 15), (3, 15)));
    assert_eq!(extract_when("this weekend", sunday).date, between((3, 15), (3, 15)));
}

#[test]
fn calendar_dates() {
    check("March 13th", When { date: on(3, 13), ..none() });
    check("march 3rd", When { date: on_year(2027, 3, 3), ..none() });
    check("3rd of march", When { date: on_year(2027, 3, 3), ..none() });
    check("the 14th of march", When { date: on(3, 14), ..none() });
    check("march the fourteenth", When { date: on(3, 14), ..none() });
    check("the 14th", When { date: on(3, 14), ..none() });
    check("the 11th", When { date: on(3, 11), ..none() });
    check("the 10th", When { date: on(4, 10), ..none() });
    check("the 31st", When { date: on(3, 31), ..none() });
    check("on the thirty first", When { date: on(3, 31), ..none() });
    check("friday the 13th", When { date: on(3, 13), ..none() });
    check("December 24", When { date: on(12, 24), ..none() });
    check("december twenty fourth", When { date: on(12, 24), ..none() });
    check("24 december", When { date: on(12, 24), ..none() });
    check("12/24", When { date: on(12, 24), ..none() });
    check("4/2", When { date: on(4, 2), ..none() });
    check("12/24/2027", When { date: on_year(2027, 12, 24), ..none() });
    check("march 20 2027", When { date: on_year(2027, 3, 20), ..none() });
    check("may 5th", When { date: on(5, 5), ..none() });
    check("Dec 24th", When { date: on(12, 24), ..none() });
    check("April second", When { date: on(4, 2), ..none() });
    check("the second of april", When { date: on(4, 2), ..none() });
    check("the 19th of this month", When { date: on(3, 19), ..none() });
    check("the 2nd of next month", When { date: on(4, 2), ..none() });
    check("thursday the 19th", When { date: on(3, 19), ..none() });
    check("the first available", none());
    check("may I come in", none());
}

#[test]
fn ranges_of_days() {
    check("this week", When { date: between((3, 11), (3, 15)), ..none() });
    check("sometime this week", When { date: between((3, 11), (3, 15)), ..none() });
    check("next week", When { date: between((3, 16), (3, 22)), ..none() });
    check("early next week", When { date: between((3, 16), (3, 18)), ..none() });
    check("this weekend", When { date: between((3, 14), (3, 15)), ..none() });
    check("next weekend", When { date: between((3, 21), (3, 22)), ..none() });
    check("next month", When { date: between((4, 1), (4, 30)), ..none() });
    check("in april", When { date: between((4, 1), (4, 30)), ..none() });
    check("sometime this month", When { date: between((3, 11), (3, 31)), ..none() });
    check("I'm available Monday through Wednesday", When { date: between((3, 16), (3, 18)), ..none() });
    check("friday to monday", When { date: between((3, 13), (3, 16)), ..none() });
    check("any day next week after 4", When { date: between((3, 16), (3, 22)), after: time(16, 0), ..none() });
}

#[test]
fn clock_times() {
    check("2", When { time: bare(2, 0), ..none() });
    check("at 2", When { time: bare(2, 0), ..none() });
    check("2pm", When { time: at(14, 0), ..none() });
    check("2 p.m.", When { time: at(14, 0), ..none() });
    check("2 PM", When { time: at(14, 0), ..none() });
    check("2:30", When { time: bare(2, 30), ..none() });
    check("two thirty", When { time: bare(2, 30), ..none() });
    check("at 230", When { time: bare(2, 30), ..none() });
    check("at 1430", When { time: at(14, 30), ..none() });
    check("14:00", When { time: at(14, 0), ..none() });
    check("two oh five", When { time: bare(2, 5), ..none() });
    check("eleven forty five", When { time: bare(11, 45), ..none() });
    check("at 3 15", When { time: bare(3, 15), ..none() });
    check("9am", When { time: at(9, 0), ..none() });
    check("9 a.m.", When { time: at(9, 0), ..none() });
    check("10:45 am", When { time: at(10, 45), ..none() });
    check("12 am", When { time: at(0, 0), ..none() });
    check("12:30 pm", When { time: at(12, 30), ..none() });
    check("1 o'clock", When { time: bare(1, 0), ..none() });
    check("one o clock", When { time: bare(1, 0), ..none() });
    check("noon", When { time: at(12, 0), ..none() });
    check("midday", When { time: at(12, 0), ..none() });
    check("12 noon", When { time: at(12, 0), ..none() });
    check("midnight", When { time: at(0, 0), ..none() });
    check("at fourteen hundred", When { time: at(14, 0), ..none() });
}

#[test]
fn spoken_clock_phrases() {
    check("half past two", When { time: bare(2, 30), ..none() });
    check("quarter past three", When { time: bare(3, 15), ..none() });
    check("quarter after 3", When { time: bare(3, 15), ..none() });
    check("quarter to four", When { time: bare(3, 45), ..none() });
    check("quarter of four", When { time: bare(3, 45), ..none() });
    check("ten to five", When { time: bare(4, 50), ..none() });
    check("twenty past ten", When { time: bare(10, 20), ..none() });
    check("quarter to one", When { time: bare(12, 45), ..none() });
    check("half past 2 pm", When { time: at(14, 30), ..none() });
}

#[test]
fn parts_of_day() {
    check("in the morning", When { part_of_day: Some(PartOfDay::Morning), ..none() });
    check("afternoon", When { part_of_day: Some(PartOfDay::Afternoon), ..none() });
    check("in the evening", When { part_of_day: Some(PartOfDay::Evening), ..none() });
    check("first thing", When { part_of_day: Some(PartOfDay::Morning), ..none() });
    check("tomorrow evening", When { date: on(3, 12), part_of_day: Some(PartOfDay::Evening), ..none() });
    check("good morning I'd like to book", none());
    check("7 in the morning", When { time: at(7, 0), part_of_day: Some(PartOfDay::Morning), ..none() });
    check("2 in the afternoon", When { time: at(14, 0), part_of_day: Some(PartOfDay::Afternoon), ..none() });
    check("tonight at 8", When { date: on(3, 11), time: at(20, 0), part_of_day: Some(PartOfDay::Evening), ..none() });
    check(
        "tomorrow morning at 10",
        When { date: on(3, 12), time: at(10, 0), part_of_day: Some(PartOfDay::Morning), ..none() },
    );
    check(
        "friday afternoon around 3",
        When { date: on(3, 13), time: at(15, 0), approximate: true, part_of_day: Some(PartOfDay::Afternoon), ..none() },
    );
}

#[test]
fn windows() {
    check("after 5", When { after: time(17, 0), ..none() });
    check("anytime after 5", When { after: time(17, 0), ..none() });
    check("after 10 am", When { after: time(10, 0), ..none() });
    check("before noon", When { before: time(12, 0), ..none() });
    check("after noon", When { after: time(12, 0), ..none() });
    check("before 10", When { before: time(10, 0), ..none() });
    check("anytime after lunch", When { after: time(13, 0), ..none() });
    check("after work on friday", When { date: on(3, 13), after: time(17, 0), ..none() });
    check("between 2 and 4", When { after: time(14, 0), before: time(16, 0), ..none() });
    check("between 11 and 1", When { after: time(11, 0), before: time(13, 0), ..none() });
    check("from 10 to 2", When { after: time(10, 0), before: time(14, 0), ..none() });
    check("anywhere from 9 till 11 am", When { after: time(9, 0), before: time(11, 0), ..none() });
    check("no later than 4", When { before: time(16, 0), ..none() });
    check("later than 3", When { after: time(15, 0), ..none() });
    check("from 3 on", When { after: time(15, 0), ..none() });
    check("by 4", When { before: time(16, 0), ..none() });
    check("sometime this week after 5", When { date: between((3, 11), (3, 15)), after: time(17, 0), ..none() });
}

#[test]
fn approximate_times() {
    check("around 3", When { time: bare(3, 0), approximate: true, ..none() });
    check("3ish", When { time: bare(3, 0), approximate: true, ..none() });
    check("about 4 30", When { time: bare(4, 30), approximate: true, ..none() });
    check("at lunchtime", When { time: at(12, 0), approximate: true, ..none() });
    check("3 or so", When { time: bare(3, 0), approximate: true, ..none() });
    check("how about 4", When { time: bare(4, 0), ..none() });
}

#[test]
fn date_and_time_together() {
    check("tomorrow at 2:30", When { date: on(3, 12), time: bare(2, 30), ..none() });
    check("friday at 3 pm", When { date: on(3, 13), time: at(15, 0), ..none() });
    check("can I come in saturday around 11", When { date: on(3, 14), time: bare(11, 0), approximate: true, ..none() });
    check("march 3rd at 2", When { date: on_year(2027, 3, 3), time: bare(2, 0), ..none() });
    check("the 14th at 10 30", When { date: on(3, 14), time: bare(10, 30), ..none() });
    check("12/24 at 9am", When { date: on(12, 24), time: at(9, 0), ..none() });
    check("friday 2", When { date: on(3, 13), time: bare(2, 0), ..none() });
    check("2 tomorrow", When { date: on(3, 12), time: bare(2, 0), ..none() });
    check(
        "uh yeah I'd like a skin fade tomorrow at like two thirty if you have it",
        When { date: on(3, 12), time: bare(2, 30), ..none() },
    );
    check("next tuesday at quarter past 9", When { date: on(3, 17), time: bare(9, 15), ..none() });
    check("at 2 no sorry 3", When { time: bare(3, 0), ..none() });
    check("3 works", When { time: bare(3, 0), ..none() });
    check("can you do 10:30 on the 2nd", When { date: on(4, 2), time: bare(10, 30), ..none() });
    check("this Friday at 4:45 p.m.", When { date: on(3, 13), time: at(16, 45), ..none() });
    check("3 o'clock on Sunday", When { date: on(3, 15), time: bare(3, 0), ..none() });
    check("sunday at three pm", When { date: on(3, 15), time: at(15, 0), ..none() });
    check("7:30 tonight", When { date: on(3, 11), time: at(19, 30), part_of_day: Some(PartOfDay::Evening), ..none() });
    check("first thing monday", When { date: on(3, 16), part_of_day: Some(PartOfDay::Morning), ..none() });
    check("2 people at 3", When { time: bare(3, 0), ..none() });
}

#[test]
fn numbers_that_are_not_times() {
    check("my number is 555 555 0100", none());
    check("call me back at 555-555-0100", none());
    check("it's 5555550100", none());
    check("it's for 3 people", none());
    check("I have 2 kids", none());
    check("we need 2 haircuts", none());
    check("my card is 4111 1111 1111 1111", none());
    check("suite 300", none());
    check("I'm 25 years old", none());
    check("I want to book a haircut", none());
    check("I'll be there in 10 minutes", none());
    check("tomorrow for 2 people", When { date: on(3, 12), ..none() });
    check("four one one one one one one one one one one one one one one one", none());
    check("my confirmation code is K 7 M 3 Q X", none());
    check("it costs 35 dollars", none());
    check("I need 2 appointments", none());
    check("my son is 7", none());
    check("1 2 3", none());
    check("do you have 2 chairs free at 3", When { time: bare(3, 0), ..none() });
    check("I have a question about my bill from last month", none());
}

fn check_resolve(spec: TimeSpec, expected: (u32, u32)) {
    assert_eq!(spec.resolve_business_hours(), clock(expected.0, expected.1), "spec: {spec:?}");
}

#[test]
fn bare_hours_resolve_to_business_hours() {
    check_resolve(TimeSpec::Ambiguous { hour: 1, minute: 0 }, (13, 0));
    check_resolve(TimeSpec::Ambiguous { hour: 2, minute: 0 }, (14, 0));
    check_resolve(TimeSpec::Ambiguous { hour: 2, minute: 30 }, (14, 30));
    check_resolve(TimeSpec::Ambiguous { hour: 7, minute: 0 }, (19, 0));
    check_resolve(TimeSpec::Ambiguous { hour: 8, minute: 0 }, (8, 0));
    check_resolve(TimeSpec::Ambiguous { hour: 11, minute: 45 }, (11, 45));
    check_resolve(TimeSpec::Ambiguous { hour: 12, minute: 0 }, (12, 0));
    check_resolve(TimeSpec::Ambiguous { hour: 12, minute: 30 }, (12, 30));
    check_resolve(TimeSpec::At(clock(9, 0)), (9, 0));
    check_resolve(TimeSpec::At(clock(21, 15)), (21, 15));
}

#[test]
fn date_spec_helpers() {
    let week = DateSpec::Between { first: date(2026, 3, 11), last: date(2026, 3, 15) };
    assert_eq!(week.first(), date(2026, 3, 11));
    assert!(week.contains(date(2026, 3, 15)));
    assert!(!week.contains(date(2026, 3, 16)));
    assert!(DateSpec::On(date(2026, 3, 12)).contains(date(2026, 3, 12)));
    assert!(none().is_empty());
}

#[test]
fn holidays_by_name() {
    check("are you open on christmas", When { date: on(12, 25), ..none() });
    check("Christmas Day", When { date: on(12, 25), ..none() });
    check("xmas", When { date: on(12, 25), ..none() });
    check("christmas eve", When { date: on(12, 24), ..none() });
    check("new year's eve", When { date: on(12, 31), ..none() });
    check("New Year's Day", When { date: on_year(2027, 1, 1), ..none() });
    check("new years", When { date: on_year(2027, 1, 1), ..none() });
    check("thanksgiving", When { date: on(11, 26), ..none() });
    check("the fourth of july", When { date: on(7, 4), ..none() });
    check("independence day", When { date: on(7, 4), ..none() });
    check("halloween", When { date: on(10, 31), ..none() });
    check("valentine's day", When { date: on_year(2027, 2, 14), ..none() });
    check("open christmas at 10", When { date: on(12, 25), time: bare(10, 0), ..none() });
}
