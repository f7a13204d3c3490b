//! Dates, times and time windows, relative to the caller's local "now".

use chrono::{Datelike, Days, Months, NaiveDate, NaiveDateTime, NaiveTime, Weekday};

use crate::text::{cardinal_word, is_digits, parse_cardinal, parse_ordinal, words};

/// The day or days the caller means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateSpec {
    On(NaiveDate),
    /// Any day from `first` to `last`, both included ("this week", "next month").
    Between {
        first: NaiveDate,
        last: NaiveDate,
    },
}

impl DateSpec {
    /// The earliest day meant.
    pub fn first(&self) -> NaiveDate {
        match *self {
            DateSpec::On(date) | DateSpec::Between { first: date, .. } => date,
        }
    }

    pub fn contains(&self, date: NaiveDate) -> bool {
        match *self {
            DateSpec::On(day) => day == date,
            DateSpec::Between { first, last } => first <= date && date <= last,
        }
    }
}

/// A clock time the caller said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeSpec {
    /// The time is certain: "2pm", "14:00", "noon", "7 in the morning".
    At(NaiveTime),
    /// A bare hour with no am/pm: "at 2", "two thirty". `hour` is 1..=12.
    Ambiguous { hour: u32, minute: u32 },
}

impl TimeSpec {
    /// The time meant when a business is asked: a bare 1 to 7 is afternoon
    /// or evening (13:00-19:00), 8 to 11 is morning and 12 is noon, so "2"
    /// means 2 PM and "9" means 9 AM.
    pub fn resolve_business_hours(&self) -> NaiveTime {
        match *self {
            TimeSpec::At(time) => time,
            TimeSpec::Ambiguous { hour, minute } => {
                let hour24 = match hour {
                    1..=7 => hour + 12,
                    12 => 12,
                    other => other,
                };
                NaiveTime::from_hms_opt(hour24, minute, 0).unwrap_or(NaiveTime::MIN)
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartOfDay {
    Morning,
    Afternoon,
    Evening,
}

/// Everything said about when: any field may be missing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct When {
    pub date: Option<DateSpec>,
    pub time: Option<TimeSpec>,
    /// The time was hedged: "around 3", "3ish", "at lunch".
    pub approximate: bool,
    pub part_of_day: Option<PartOfDay>,
    /// "after 5", "from 3 on", the start of "between 2 and 4".
    pub after: Option<NaiveTime>,
    /// "before noon", "by 4", the end of "between 2 and 4".
    pub before: Option<NaiveTime>,
}

impl When {
    pub fn is_empty(&self) -> bool {
        *self == When::default()
    }
}

/// Finds the date, time, part of day and time window in `text`, resolving
/// relative words against `now` (the business's local time; the system clock
/// is never read).
///
/// Rules:
/// - A weekday ("Friday", "this Friday", "on Friday") is the next such day,
///   today included. "next Friday" is the Friday of next calendar week, weeks
///   starting on Monday: said on a Monday it is eleven days away, said on a
///   Saturday it is six. "Friday next week" means the same.
/// - "the 14th" is the next 14th, today included; "March 3rd" without a year
///   is the next March 3rd, today included; "12/24" is month/day (US).
/// - "this week" is today to Sunday, "next week" Monday to Sunday of next
///   week, "this weekend" the coming Saturday and Sunday.
/// - A bare hour ("at 2", "two thirty") keeps its meridiem unknown
///   ([`TimeSpec::Ambiguous`]) unless am/pm or a part of day ("tomorrow
///   morning at 10", "8 tonight") settles it.
/// - A bare number only counts as a time with a cue: "at", "around", "after",
///   "before", am/pm, "o'clock", minutes, a neighbouring day word, or a very
///   short answer ("2", "3 works"). Runs of digits such as phone and card
///   numbers, and counts such as "3 people", are never times.
/// - When several dates or times are said, a specific day beats a range and
///   the last one wins, because callers correct themselves ("Tuesday, no,
///   Wednesday").
pub fn extract_when(text: &str, now: NaiveDateTime) -> When {
    let tokens = words(text);
    let today = now.date();
    let mut used = vec![false; tokens.len()];
    let dates = find_dates(&tokens, today, &mut used);
    let part_of_day = find_part_of_day(&tokens);
    let date_used = used.clone();
    mark_numbers_that_are_not_times(&tokens, &mut used);
    let events = find_times(&tokens, &mut used, &date_used);

    let mut when = When { date: choose_date(&dates), part_of_day, ..When::default() };
    for event in &events {
        match event.role {
            Role::At { approximate } => {
                when.time = Some(resolve_with_part_of_day(event.reading.spec(), part_of_day));
                when.approximate = approximate;
            }
            Role::After | Role::RangeStart => when.after = Some(event.reading.spec().resolve_business_hours()),
            Role::Before | Role::RangeEnd => when.before = Some(event.reading.spec().resolve_business_hours()),
        }
    }
    when
}

fn resolve_with_part_of_day(spec: TimeSpec, part_of_day: Option<PartOfDay>) -> TimeSpec {
    let TimeSpec::Ambiguous { hour, minute } = spec else {
        return spec;
    };
    let hour24 = match (part_of_day, hour) {
        (Some(PartOfDay::Morning), 1..=11) => hour,
        (Some(PartOfDay::Afternoon), 12) => 12,
        (Some(PartOfDay::Afternoon), 1..=7) => hour + 12,
        (Some(PartOfDay::Evening), 1..=11) => hour + 12,
        _ => return spec,
    };
    NaiveTime::from_hms_opt(hour24, minute, 0).map_or(spec, TimeSpec::At)
}

// ---------------------------------------------------------------- dates

enum DateMention {
    Day(NaiveDate),
    /// A weekday said without "next"; it may move into a range said alongside
    /// ("Tuesday next week").
    MovableWeekday(Weekday, NaiveDate),
    Range(NaiveDate, NaiveDate),
}

fn choose_date(mentions: &[DateMention]) -> Option<DateSpec> {
    let range = mentions.iter().rev().find_map(|mention| match mention {
        DateMention::Range(first, last) => Some((*first, *last)),
        _ => None,
    });
    let day = mentions.iter().rev().find_map(|mention| match mention {
        DateMention::Day(date) => Some(*date),
        DateMention::MovableWeekday(weekday, date) => {
            let moved = range.filter(|(first, last)| !(first <= date && date <= last)).and_then(|(first, last)| {
                first.iter_days().take_while(|day| *day <= last).find(|day| day.weekday() == *weekday)
            });
            Some(moved.unwrap_or(*date))
        }
        DateMention::Range(..) => None,
    });
    match (day, range) {
        (Some(date), _) => Some(DateSpec::On(date)),
        (None, Some((first, last))) => Some(DateSpec::Between { first, last }),
        (None, None) => None,
    }
}

fn find_dates(tokens: &[String], today: NaiveDate, used: &mut [bool]) -> Vec<DateMention> {
    let mut mentions = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        match date_at(tokens, i, today) {
            Some((mention, length)) => {
                for flag in &mut used[i..i + length] {
                    *flag = true;
                }
                if let Some(mention) = mention {
                    mentions.push(mention);
                }
                i += length;
            }
            None => i += 1,
        }
    }
    mentions
}

fn word(tokens: &[String], i: usize) -> &str {
    tokens.get(i).map_or("", String::as_str)
}

/// A date expression starting at `tokens[i]`: the mention (None for words
/// that are about dates but give none, such as "last Friday") and its length.
fn date_at(tokens: &[String], i: usize, today: NaiveDate) -> Option<(Option<DateMention>, usize)> {
    let w = |k: usize| word(tokens, i + k);
    let monday = monday_of(today)?;
    let next_monday = add_days(monday, 7)?;

    // Fixed phrases first, longest first.
    if w(0) == "the" && w(1) == "day" && w(2) == "after" && w(3) == "tomorrow" {
        return Some((Some(DateMention::Day(add_days(today, 2)?)), 4));
    }
    if w(0) == "day" && w(1) == "after" && w(2) == "tomorrow" {
        return Some((Some(DateMention::Day(add_days(today, 2)?)), 3));
    }
    if w(0) == "a" && w(1) == "week" && w(2) == "from" {
        let extra = match w(3) {
            "today" | "now" => 0,
            "tomorrow" => 1,
            _ => return None,
        };
        return Some((Some(DateMention::Day(add_days(today, 7 + extra)?)), 4));
    }
    match w(0) {
        "today" | "tonight" => return Some((Some(DateMention::Day(today)), 1)),
        "tomorrow" | "tomorrows" | "tmrw" => return Some((Some(DateMention::Day(add_days(today, 1)?)), 1)),
        _ => {}
    }
    if w(0) == "this" && matches!(w(1), "morning" | "afternoon" | "evening") {
        return Some((Some(DateMention::Day(today)), 1));
    }
    if let Some(found) = holiday(tokens, i, today) {
        return Some(found);
    }
    if let Some(found) = relative_period(tokens, i, today, monday, next_monday) {
        return Some(found);
    }
    if let Some(found) = in_some_days(tokens, i, today) {
        return Some(found);
    }
    if let Some(found) = weekday_phrase(tokens, i, today, next_monday) {
        return Some(found);
    }
    if let Some(found) = month_then_day(tokens, i, today) {
        return Some(found);
    }
    if let Some(found) = day_then_month(tokens, i, today) {
        return Some(found);
    }
    if let Some(found) = day_of_month_alone(tokens, i, today) {
        return Some(found);
    }
    if let Some(found) = slash_date(tokens, i, today) {
        return Some(found);
    }
    if w(0) == "in"
        && let Some(month) = month_number(w(1))
    {
        return Some((whole_month(today, month).map(|(first, last)| DateMention::Range(first, last)), 2));
    }
    None
}

/// The next (or today's) public holiday a caller names by name: "Christmas",
/// "Christmas Eve", "New Year's Day", "New Year's Eve", "Thanksgiving",
/// "Independence Day", "the Fourth of July", "Halloween", "Valentine's Day".
fn holiday(tokens: &[String], i: usize, today: NaiveDate) -> Option<(Option<DateMention>, usize)> {
    let w = |k: usize| word(tokens, i + k);
    let next = |month: u32, day: u32| resolve_month_day(today, month, day, None);
    // "day" after a holiday's name belongs to it.
    let with_day = |length: usize| if w(length) == "day" { length + 1 } else { length };
    let (date, length) = match w(0) {
        "christmas" | "xmas" if w(1) == "eve" => (next(12, 24), 2),
        "christmas" | "xmas" => (next(12, 25), with_day(1)),
        "new" if w(1).starts_with("year") => {
            let length = if w(2) == "s" { 3 } else { 2 };
            match w(length) {
                "eve" => (next(12, 31), length + 1),
                "day" => (next(1, 1), length + 1),
                _ => (next(1, 1), length),
            }
        }
        "thanksgiving" => (thanksgiving_from(today), with_day(1)),
        "independence" if w(1) == "day" => (next(7, 4), 2),
        "fourth" if w(1) == "of" && w(2) == "july" => (next(7, 4), 3),
        "halloween" => (next(10, 31), 1),
        "valentines" => (next(2, 14), with_day(1)),
        "valentine" if w(1) == "s" => (next(2, 14), with_day(2)),
        _ => return None,
    };
    Some((date.map(DateMention::Day), length))
}

/// The fourth Thursday of November, this year's unless it has passed.
fn thanksgiving_from(today: NaiveDate) -> Option<NaiveDate> {
    let in_year = |year: i32| NaiveDate::from_weekday_of_month_opt(year, 11, Weekday::Thu, 4);
    in_year(today.year()).filter(|date| *date >= today).or_else(|| in_year(today.year() + 1))
}

/// "this week", "next week", "this weekend", "next month", ...
fn relative_period(
    tokens: &[String],
    i: usize,
    today: NaiveDate,
    monday: NaiveDate,
    next_monday: NaiveDate,
) -> Option<(Option<DateMention>, usize)> {
    let w = |k: usize| word(tokens, i + k);
    let (which, length) = match (w(0), w(1), w(2), w(3)) {
        ("rest" | "end", "of", "the" | "this", "week") => (if w(0) == "rest" { "this week" } else { "end of week" }, 4),
        ("early", "next", "week", _) => ("early next week", 3),
        ("this" | "the", "week", _, _) => ("this week", 2),
        ("next", "week", _, _) => ("next week", 2),
        ("this" | "the", "weekend", _, _) | ("weekend", _, _, _) => {
            ("this weekend", if w(0) == "weekend" { 1 } else { 2 })
        }
        ("next", "weekend", _, _) => ("next weekend", 2),
        ("this", "month", _, _) => ("this month", 2),
        ("next", "month", _, _) => ("next month", 2),
        _ => return None,
    };
    let sunday = add_days(monday, 6)?;
    let range = match which {
        "this week" => (today, sunday),
        "end of week" => (today.max(add_days(monday, 4)?), sunday),
        "early next week" => (next_monday, add_days(next_monday, 2)?),
        "next week" => (next_monday, add_days(next_monday, 6)?),
        "this weekend" => (today.max(add_days(monday, 5)?), sunday),
        "next weekend" => (add_days(next_monday, 5)?, add_days(next_monday, 6)?),
        "this month" => (today, last_of_month(today)?),
        _ => {
            let first = NaiveDate::from_ymd_opt(today.year(), today.month(), 1)?.checked_add_months(Months::new(1))?;
            (first, last_of_month(first)?)
        }
    };
    Some((Some(DateMention::Range(range.0, range.1)), length))
}

/// "in 3 days", "in a week", "in two weeks".
fn in_some_days(tokens: &[String], i: usize, today: NaiveDate) -> Option<(Option<DateMention>, usize)> {
    if word(tokens, i) != "in" {
        return None;
    }
    let (count, count_length) = match word(tokens, i + 1) {
        "a" | "an" | "one" => (1, 1),
        _ => parse_cardinal(tokens, i + 1)?,
    };
    let unit_days = match word(tokens, i + 1 + count_length) {
        "day" | "days" => 1,
        "week" | "weeks" => 7,
        _ => return None,
    };
    let date = add_days(today, u64::from(count) * unit_days)?;
    Some((Some(DateMention::Day(date)), 2 + count_length))
}

fn weekday_phrase(
    tokens: &[String],
    i: usize,
    today: NaiveDate,
    next_monday: NaiveDate,
) -> Option<(Option<DateMention>, usize)> {
    let w = |k: usize| word(tokens, i + k);
    let (prefix, prefix_length) = match (w(0), w(1)) {
        ("this", "coming") => ("this", 2),
        ("this" | "coming", _) => ("this", 1),
        ("next", _) => ("next", 1),
        ("last" | "past", _) => ("last", 1),
        _ => ("", 0),
    };
    let weekday = weekday_named(w(prefix_length))?;
    let mut length = prefix_length + 1;
    let mention = match prefix {
        "last" => None,
        "next" => {
            let mut date = add_days(next_monday, u64::from(weekday.num_days_from_monday()))?;
            if w(length) == "after" && w(length + 1) == "next" {
                date = add_days(date, 7)?;
                length += 2;
            }
            Some(DateMention::Day(date))
        }
        _ if w(length) == "after" && w(length + 1) == "next" => {
            length += 2;
            Some(DateMention::Day(add_days(next_monday, u64::from(weekday.num_days_from_monday()) + 7)?))
        }
        _ if w(length) == "next" && w(length + 1) == "week" => {
            length += 2;
            Some(DateMention::Day(add_days(next_monday, u64::from(weekday.num_days_from_monday()))?))
        }
        _ => {
            let ahead = (weekday.num_days_from_monday() + 7 - today.weekday().num_days_from_monday()) % 7;
            Some(DateMention::MovableWeekday(weekday, add_days(today, u64::from(ahead))?))
        }
    };
    // "Monday through Wednesday": every day from the first to the second.
    if let Some(first) = mention.as_ref().map(mention_day)
        && matches!(w(length), "through" | "thru" | "to" | "till" | "until")
        && let Some(last_weekday) = weekday_named(w(length + 1))
    {
        let ahead = (last_weekday.num_days_from_monday() + 7 - first.weekday().num_days_from_monday()) % 7;
        let last = add_days(first, u64::from(ahead))?;
        return Some((Some(DateMention::Range(first, last)), length + 2));
    }
    Some((mention, length))
}

fn mention_day(mention: &DateMention) -> NaiveDate {
    match *mention {
        DateMention::Day(date) | DateMention::MovableWeekday(_, date) | DateMention::Range(date, _) => date,
    }
}

/// "March 3rd", "march the third", "December 24", "may 5 2027".
fn month_then_day(tokens: &[String], i: usize, today: NaiveDate) -> Option<(Option<DateMention>, usize)> {
    let month = month_number(word(tokens, i))?;
    let mut position = i + 1;
    if word(tokens, position) == "the" {
        position += 1;
    }
    let (day, day_length) = day_number(tokens, position)?;
    position += day_length;
    if NOT_A_TIME_AFTER.contains(&word(tokens, position)) {
        return None;
    }
    let (year, year_length) = year_at(tokens, position);
    position += year_length;
    let date = resolve_month_day(today, month, day, year)?;
    Some((Some(DateMention::Day(date)), position - i))
}

/// "3rd of March", "the third of march", "24 december".
fn day_then_month(tokens: &[String], i: usize, today: NaiveDate) -> Option<(Option<DateMention>, usize)> {
    let mut position = i;
    if word(tokens, position) == "the" {
        position += 1;
    }
    let (day, day_length) = day_number(tokens, position)?;
    position += day_length;
    if word(tokens, position) == "of" {
        position += 1;
    }
    // "the 19th of this month", "the 2nd of next month".
    let relative_month = match (word(tokens, position), word(tokens, position + 1)) {
        ("this", "month") => Some(today),
        ("next", "month") => {
            NaiveDate::from_ymd_opt(today.year(), today.month(), 1)?.checked_add_months(Months::new(1))
        }
        _ => None,
    };
    if let Some(month_start) = relative_month {
        let date = NaiveDate::from_ymd_opt(month_start.year(), month_start.month(), day)?;
        return Some((Some(DateMention::Day(date)), position + 2 - i));
    }
    let month = month_number(word(tokens, position))?;
    position += 1;
    let (year, year_length) = year_at(tokens, position);
    position += year_length;
    let date = resolve_month_day(today, month, day, year)?;
    Some((Some(DateMention::Day(date)), position - i))
}

/// "the 14th", "the fourteenth", "14th": the next such day of a month.
fn day_of_month_alone(tokens: &[String], i: usize, today: NaiveDate) -> Option<(Option<DateMention>, usize)> {
    let has_the = word(tokens, i) == "the";
    let position = if has_the { i + 1 } else { i };
    let (day, length) = parse_ordinal(tokens, position)?;
    let numeric = word(tokens, position).starts_with(|c: char| c.is_ascii_digit());
    if !(has_the || numeric) || !(1..=31).contains(&day) {
        return None;
    }
    const NOT_A_DAY_BEFORE: &[&str] = &[
        "available",
        "one",
        "time",
        "thing",
        "opening",
        "slot",
        "appointment",
        "option",
        "person",
        "floor",
        "of",
        "street",
        "avenue",
        "ave",
        "st",
        "visit",
        "choice",
        "week",
        "half",
    ];
    if NOT_A_DAY_BEFORE.contains(&word(tokens, position + length)) {
        return None;
    }
    let mut month_start = NaiveDate::from_ymd_opt(today.year(), today.month(), 1)?;
    for _ in 0..13 {
        if let Some(date) = NaiveDate::from_ymd_opt(month_start.year(), month_start.month(), day)
            && date >= today
        {
            return Some((Some(DateMention::Day(date)), position + length - i));
        }
        month_start = month_start.checked_add_months(Months::new(1))?;
    }
    None
}

/// "12/24", "12/24/2026", "12/24/26": month first, as in the US.
fn slash_date(tokens: &[String], i: usize, today: NaiveDate) -> Option<(Option<DateMention>, usize)> {
    let token = tokens.get(i)?;
    let parts: Vec<&str> = token.split('/').collect();
    if parts.len() < 2 || parts.len() > 3 || !parts.iter().all(|part| is_digits(part) && part.len() <= 4) {
        return None;
    }
    let month: u32 = parts[0].parse().ok()?;
    let day: u32 = parts[1].parse().ok()?;
    let year = match parts.get(2) {
        Some(year) if year.len() == 2 => Some(2000 + year.parse::<i32>().ok()?),
        Some(year) if year.len() == 4 => Some(year.parse::<i32>().ok()?),
        Some(_) => return None,
        None => None,
    };
    let date = resolve_month_day(today, month, day, year)?;
    Some((Some(DateMention::Day(date)), 1))
}

fn day_number(tokens: &[String], i: usize) -> Option<(u32, usize)> {
    let (day, length) = parse_ordinal(tokens, i).or_else(|| parse_cardinal(tokens, i))?;
    (1..=31).contains(&day).then_some((day, length))
}

fn year_at(tokens: &[String], i: usize) -> (Option<i32>, usize) {
    let token = word(tokens, i);
    match token.parse::<i32>() {
        Ok(year) if token.len() == 4 && (2000..=2100).contains(&year) => (Some(year), 1),
        _ => (None, 0),
    }
}

fn resolve_month_day(today: NaiveDate, month: u32, day: u32, year: Option<i32>) -> Option<NaiveDate> {
    if let Some(year) = year {
        return NaiveDate::from_ymd_opt(year, month, day);
    }
    // Feb 29 may be up to eight years away; anything else is this year or next.
    (today.year()..today.year() + 9)
        .filter_map(|year| NaiveDate::from_ymd_opt(year, month, day))
        .find(|date| *date >= today)
}

fn whole_month(today: NaiveDate, month: u32) -> Option<(NaiveDate, NaiveDate)> {
    let year = if month < today.month() { today.year() + 1 } else { today.year() };
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    Some((first.max(today), last_of_month(first)?))
}

fn monday_of(date: NaiveDate) -> Option<NaiveDate> {
    date.checked_sub_days(Days::new(u64::from(date.weekday().num_days_from_monday())))
}

fn add_days(date: NaiveDate, days: u64) -> Option<NaiveDate> {
    date.checked_add_days(Days::new(days))
}

fn last_of_month(date: NaiveDate) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(date.year(), date.month(), 1)?.checked_add_months(Months::new(1))?.pred_opt()
}

fn weekday_named(word: &str) -> Option<Weekday> {
    let weekday = match word {
        "monday" | "mondays" => Weekday::Mon,
        "tuesday" | "tuesdays" | "tues" => Weekday::Tue,
        "wednesday" | "wednesdays" | "weds" => Weekday::Wed,
        "thursday" | "thursdays" | "thurs" | "thur" => Weekday::Thu,
        "friday" | "fridays" => Weekday::Fri,
        "saturday" | "saturdays" => Weekday::Sat,
        "sunday" | "sundays" => Weekday::Sun,
        _ => return None,
    };
    Some(weekday)
}

fn month_number(word: &str) -> Option<u32> {
    let month = match word {
        "january" | "jan" => 1,
        "february" | "feb" => 2,
        "march" | "mar" => 3,
        "april" | "apr" => 4,
        "may" => 5,
        "june" | "jun" => 6,
        "july" | "jul" => 7,
        "august" | "aug" => 8,
        "september" | "sept" | "sep" => 9,
        "october" | "oct" => 10,
        "november" | "nov" => 11,
        "december" | "dec" => 12,
        _ => return None,
    };
    Some(month)
}

// ---------------------------------------------------------------- parts of day

fn find_part_of_day(tokens: &[String]) -> Option<PartOfDay> {
    let mut found = None;
    for (i, token) in tokens.iter().enumerate() {
        let previous = if i == 0 { "" } else { word(tokens, i - 1) };
        // Greetings, and "last night", say nothing about the appointment.
        if matches!(previous, "good" | "last") {
            continue;
        }
        let part = match token.as_str() {
            "morning" | "mornings" => Some(PartOfDay::Morning),
            "afternoon" | "afternoons" => Some(PartOfDay::Afternoon),
            "evening" | "evenings" | "tonight" | "night" | "nights" => Some(PartOfDay::Evening),
            "thing" if previous == "first" => Some(PartOfDay::Morning),
            "am" if previous == "the" => Some(PartOfDay::Morning),
            "pm" if previous == "the" => Some(PartOfDay::Afternoon),
            _ => None,
        };
        if part.is_some() {
            found = part;
        }
    }
    found
}

// ---------------------------------------------------------------- times

/// Nouns that show the number before them counts something.
const NOT_A_TIME_AFTER: &[&str] = &[
    "people",
    "persons",
    "person",
    "of",
    "kids",
    "children",
    "guys",
    "us",
    "minutes",
    "minute",
    "mins",
    "min",
    "hours",
    "hour",
    "hrs",
    "days",
    "day",
    "weeks",
    "week",
    "months",
    "month",
    "years",
    "year",
    "dollars",
    "dollar",
    "bucks",
    "cents",
    "percent",
    "times",
    "chairs",
    "seats",
    "more",
    "haircuts",
    "cuts",
    "appointments",
    "services",
    "old",
    "boys",
    "girls",
    "sons",
    "daughters",
    "teeth",
    "cavities",
    "fillings",
    "th",
    "st",
    "nd",
    "rd",
];

/// Words after which a number is not a time.
const NOT_A_TIME_BEFORE: &[&str] = &[
    "number",
    "phone",
    "card",
    "code",
    "zip",
    "suite",
    "room",
    "unit",
    "apartment",
    "apt",
    "extension",
    "ext",
    "plus",
    "minus",
    "times",
    "floor",
    "pin",
    "cvv",
    "account",
    "confirmation",
];

/// Phone numbers, card numbers and the like: long runs of digits or digit words.
fn mark_numbers_that_are_not_times(tokens: &[String], used: &mut [bool]) {
    let mut i = 0;
    while i < tokens.len() {
        let digits = |t: &String| is_digits(t);
        let spoken_digit = |t: &String| cardinal_word(t).is_some_and(|value| value < 10) || t == "oh";
        let run_end = if digits(&tokens[i]) {
            (i..tokens.len()).find(|&k| !digits(&tokens[k])).unwrap_or(tokens.len())
        } else if spoken_digit(&tokens[i]) {
            (i..tokens.len())
                .find(|&k| !(spoken_digit(&tokens[k]) || cardinal_word(&tokens[k]).is_some()))
                .unwrap_or(tokens.len())
        } else {
            i + 1
        };
        let run = &tokens[i..run_end];
        let digit_count: usize = run.iter().filter(|t| is_digits(t)).map(|t| t.len()).sum();
        let after_label = (i.saturating_sub(2)..i).any(|k| NOT_A_TIME_BEFORE.contains(&tokens[k].as_str()));
        let long = digit_count > 4 || run.len() >= 4 || (run.len() == 3 && is_digits(&tokens[i]));
        if (long || after_label) && run.iter().any(|t| digits(t) || cardinal_word(t).is_some() || t == "oh") {
            for flag in &mut used[i..run_end] {
                *flag = true;
            }
        }
        i = run_end.max(i + 1);
    }
}

#[derive(Debug, Clone, Copy)]
enum Meridiem {
    Am,
    Pm,
}

#[derive(Debug, Clone, Copy)]
struct ClockReading {
    hour: u32,
    minute: u32,
    meridiem: Option<Meridiem>,
}

impl ClockReading {
    fn spec(&self) -> TimeSpec {
        let at = |hour: u32| NaiveTime::from_hms_opt(hour, self.minute, 0).map(TimeSpec::At);
        let exact = match self.meridiem {
            Some(Meridiem::Am) => at(self.hour % 12),
            Some(Meridiem::Pm) => at(self.hour % 12 + 12),
            None if self.hour == 0 || self.hour >= 13 => at(self.hour),
            None => None,
        };
        exact.unwrap_or(TimeSpec::Ambiguous { hour: self.hour, minute: self.minute })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    At { approximate: bool },
    After,
    Before,
    RangeStart,
    RangeEnd,
}

#[derive(Debug, Clone, Copy)]
struct Event {
    role: Role,
    reading: ClockReading,
    end: usize,
}

fn find_times(tokens: &[String], used: &mut [bool], date_used: &[bool]) -> Vec<Event> {
    let mut events: Vec<Event> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if used[i] {
            i += 1;
            continue;
        }
        if let Some(event) = landmark(tokens, i) {
            events.push(event);
            i = event.end;
            continue;
        }
        let previous = if i == 0 { "" } else { word(tokens, i - 1) };
        let allow_minutes_to = !matches!(previous, "from" | "between");
        let Some((reading, end, explicit)) = read_clock(tokens, used, i, allow_minutes_to) else {
            i += 1;
            continue;
        };
        if NOT_A_TIME_BEFORE.contains(&previous) {
            i = end;
            continue;
        }
        let (mut role, has_cue) = role_from_prefix(tokens, i, &events);
        let starts_range = matches!(word(tokens, end), "to" | "till" | "til" | "until" | "through" | "thru")
            && read_clock(tokens, used, end + 1, false).is_some();
        let near_date = [i.checked_sub(1), Some(end)]
            .into_iter()
            .flatten()
            .any(|k| date_used.get(k).copied().unwrap_or(false) || is_day_word(word(tokens, k)));
        let answer_cue = matches!(word(tokens, end), "works" | "work" | "is" | "would" | "sounds" | "should" | "ish");
        let accepted = explicit || has_cue || starts_range || near_date || answer_cue || tokens.len() <= 3;
        if !accepted {
            i = end;
            continue;
        }
        if starts_range && matches!(role, Role::At { .. }) {
            role = Role::RangeStart;
        }
        if let Role::RangeEnd = role
            && let Some(last) = events.last_mut()
            && matches!(last.role, Role::At { .. })
        {
            last.role = Role::RangeStart;
        }
        let hedged = word(tokens, end) == "ish" || (word(tokens, end) == "or" && word(tokens, end + 1) == "so");
        if let Role::At { approximate } = &mut role {
            *approximate |= hedged;
        }
        for flag in &mut used[i..end] {
            *flag = true;
        }
        events.push(Event { role, reading, end });
        i = end;
    }
    events
}

fn is_day_word(word: &str) -> bool {
    matches!(word, "today" | "tomorrow" | "tonight" | "morning" | "afternoon" | "evening" | "night")
        || weekday_named(word).is_some()
}

/// "after lunch", "at lunchtime", "after work", "after school".
fn landmark(tokens: &[String], i: usize) -> Option<Event> {
    let previous = if i == 0 { "" } else { word(tokens, i - 1) };
    let reading = |hour: u32| ClockReading { hour, minute: 0, meridiem: Some(Meridiem::Pm) };
    let (role, reading) = match (previous, word(tokens, i)) {
        ("after", "lunch" | "lunchtime") => (Role::After, reading(13)),
        ("before", "lunch" | "lunchtime") => (Role::Before, reading(12)),
        (_, "lunchtime") | ("at" | "around" | "over" | "during" | "by" | "for", "lunch") => {
            (Role::At { approximate: true }, reading(12))
        }
        ("after", "work") => (Role::After, reading(17)),
        ("after", "school") => (Role::After, reading(15)),
        _ => return None,
    };
    Some(Event { role, reading, end: i + 1 })
}

/// The role a clock reading at `tokens[i]` plays, from the words before it,
/// and whether those words are a cue that the number is a time.
fn role_from_prefix(tokens: &[String], i: usize, events: &[Event]) -> (Role, bool) {
    let before = |k: usize| if i >= k { word(tokens, i - k) } else { "" };
    let plain = Role::At { approximate: false };
    match before(1) {
        "at" => (plain, true),
        "about" if matches!(before(2), "how" | "what") => (plain, true),
        "around" | "about" | "approximately" | "roughly" | "like" | "approx" => (Role::At { approximate: true }, true),
        "say" | "maybe" | "try" | "do" | "how" | "sorry" | "actually" | "wait" | "rather" | "no" => (plain, true),
        "it" if before(2) == "make" => (plain, true),
        "after" | "past" if before(2) == "not" => (Role::Before, true),
        "after" | "past" => (Role::After, true),
        "before" if before(2) == "not" => (Role::After, true),
        "before" | "by" | "till" | "til" | "until" => {
            let continues_range = events.last().is_some_and(|last| last.end + 1 == i);
            if continues_range && before(1) != "before" && before(1) != "by" {
                (Role::RangeEnd, true)
            } else {
                (Role::Before, true)
            }
        }
        "than" => match (before(2), before(3)) {
            ("later", "no") => (Role::Before, true),
            ("later", _) => (Role::After, true),
            ("earlier" | "sooner", _) => (Role::Before, true),
            _ => (plain, false),
        },
        "between" | "from" => (Role::RangeStart, true),
        "and" | "to" | "through" | "thru" | "or" => {
            let continues_range = events.last().is_some_and(|last| last.end + 1 == i);
            match events.last() {
                Some(last) if continues_range && matches!(last.role, Role::RangeStart) => (Role::RangeEnd, true),
                Some(last) if continues_range && before(1) == "to" && matches!(last.role, Role::At { .. }) => {
                    (Role::RangeEnd, true)
                }
                Some(last) if continues_range && before(1) == "or" => (last.role, true),
                _ => (plain, false),
            }
        }
        _ => (plain, false),
    }
}

/// A clock time starting at `tokens[i]`: the reading, the index after it and
/// whether it is self-evidently a time (has minutes, am/pm, "o'clock", ...).
fn read_clock(
    tokens: &[String],
    used: &[bool],
    i: usize,
    allow_minutes_to: bool,
) -> Option<(ClockReading, usize, bool)> {
    if used.get(i).copied().unwrap_or(true) {
        return None;
    }
    let w = |k: usize| word(tokens, k);
    let free = |k: usize| !used.get(k).copied().unwrap_or(true);
    let token = w(i);

    match token {
        "noon" | "midday" => {
            return Some((ClockReading { hour: 12, minute: 0, meridiem: Some(Meridiem::Pm) }, i + 1, true));
        }
        "midnight" => return Some((ClockReading { hour: 0, minute: 0, meridiem: None }, i + 1, true)),
        _ => {}
    }

    // "half past two", "quarter to four", "ten past three".
    let minutes_word = match token {
        "half" => Some((30, 1)),
        "quarter" => Some((15, 1)),
        _ if cardinal_word(token).is_some() => {
            parse_cardinal(tokens, i).filter(|(value, _)| matches!(value, 5 | 10 | 20 | 25))
        }
        _ if is_digits(token) => parse_cardinal(tokens, i).filter(|(value, _)| matches!(value, 5 | 10 | 20 | 25)),
        _ => None,
    };
    if let Some((minutes, length)) = minutes_word {
        let mut position = i + length;
        if matches!(w(position), "minutes" | "mins") {
            position += 1;
        }
        let relation = w(position);
        let spoken = !is_digits(token);
        let direction = match relation {
            "past" => Some(1i32),
            "after" if token == "quarter" || token == "half" => Some(1),
            "to" | "of" | "till" | "til" if token != "half" && allow_minutes_to && spoken => Some(-1),
            _ => None,
        };
        if let Some(direction) = direction
            && free(position + 1)
            && let Some((hour, hour_length)) = hour_at(tokens, position + 1)
            && (1..=12).contains(&hour)
        {
            let (hour, minute) =
                if direction > 0 { (hour, minutes) } else { (if hour == 1 { 12 } else { hour - 1 }, 60 - minutes) };
            let mut end = position + 1 + hour_length;
            let meridiem = meridiem_at(tokens, &mut end);
            return Some((ClockReading { hour, minute, meridiem }, end, true));
        }
    }

    // "2:30", "14:00", "2.30".
    if let Some((hour_text, minute_text)) = token.split_once([':', '.']) {
        if !(is_digits(hour_text) && is_digits(minute_text) && minute_text.len() == 2 && hour_text.len() <= 2) {
            return None;
        }
        let hour: u32 = hour_text.parse().ok()?;
        let minute: u32 = minute_text.parse().ok()?;
        let mut end = i + 1;
        let meridiem = meridiem_at(tokens, &mut end);
        return valid(ClockReading { hour, minute, meridiem }, end, true, tokens);
    }

    // "230", "1430": how recognisers sometimes write "two thirty".
    if is_digits(token) && (token.len() == 3 || token.len() == 4) {
        let value: u32 = token.parse().ok()?;
        let (hour, minute) = (value / 100, value % 100);
        if minute >= 60 || hour > 23 || (token.len() == 4 && token.starts_with('0') && hour == 0) {
            return None;
        }
        let mut end = i + 1;
        let meridiem = meridiem_at(tokens, &mut end);
        return valid(ClockReading { hour, minute, meridiem }, end, meridiem.is_some(), tokens);
    }

    // An hour, then maybe minutes, "o'clock", am/pm.
    let (hour, hour_length) = hour_at(tokens, i)?;
    let mut end = i + hour_length;
    let mut explicit = false;
    let mut minute = 0;
    if free(end)
        && let Some((value, length)) = minutes_at(tokens, end)
    {
        minute = value;
        end += length;
        explicit = true;
    } else if w(end) == "hundred" {
        end += 1;
        explicit = true;
    }
    if w(end) == "oclock" {
        end += 1;
        explicit = true;
    }
    let meridiem = meridiem_at(tokens, &mut end);
    explicit |= meridiem.is_some();
    if w(end) == "noon" && hour == 12 {
        return Some((ClockReading { hour: 12, minute, meridiem: Some(Meridiem::Pm) }, end + 1, true));
    }
    if hour == 0 && !explicit {
        return None;
    }
    valid(ClockReading { hour, minute, meridiem }, end, explicit, tokens)
}

fn valid(reading: ClockReading, end: usize, explicit: bool, tokens: &[String]) -> Option<(ClockReading, usize, bool)> {
    if NOT_A_TIME_AFTER.contains(&word(tokens, end)) && reading.meridiem.is_none() {
        return None;
    }
    let hour_ok = match reading.meridiem {
        Some(_) => (1..=12).contains(&reading.hour),
        None => reading.hour <= 23,
    };
    (hour_ok && reading.minute < 60).then_some((reading, end, explicit))
}

/// An hour as digits (0-23) or a word (one-twelve, or up to twenty three
/// before "hundred").
fn hour_at(tokens: &[String], i: usize) -> Option<(u32, usize)> {
    let token = word(tokens, i);
    if is_digits(token) {
        return if token.len() <= 2 {
            token.parse().ok().filter(|hour| *hour <= 23).map(|hour| (hour, 1))
        } else {
            None
        };
    }
    let (value, length) = parse_cardinal(tokens, i)?;
    if value <= 12 && length == 1 {
        return Some((value, 1));
    }
    (value <= 23 && word(tokens, i + length) == "hundred").then_some((value, length))
}

/// Minutes after an hour: "30" (two digits), "thirty", "forty five", "oh five".
fn minutes_at(tokens: &[String], i: usize) -> Option<(u32, usize)> {
    let token = word(tokens, i);
    if is_digits(token) {
        return if token.len() == 2 { token.parse().ok().filter(|minute| *minute < 60).map(|m| (m, 1)) } else { None };
    }
    if matches!(token, "oh" | "o" | "zero") {
        let unit = cardinal_word(word(tokens, i + 1)).filter(|value| (1..=9).contains(value));
        let unit = unit.or_else(|| {
            let next = word(tokens, i + 1);
            (is_digits(next) && next.len() == 1).then(|| next.parse().ok()).flatten()
        });
        return unit.map(|unit| (unit, 2));
    }
    cardinal_word(token)?;
    let (value, length) = parse_cardinal(tokens, i)?;
    (10..60).contains(&value).then_some((value, length))
}

/// am/pm, or a part of day right after the time ("7 in the morning"), moving
/// `end` past the am/pm words.
fn meridiem_at(tokens: &[String], end: &mut usize) -> Option<Meridiem> {
    let w = |k: usize| word(tokens, *end + k);
    match w(0) {
        "am" => {
            *end += 1;
            Some(Meridiem::Am)
        }
        "pm" => {
            *end += 1;
            Some(Meridiem::Pm)
        }
        "in" if w(1) == "the" && w(2) == "morning" => Some(Meridiem::Am),
        "in" if w(1) == "the" && matches!(w(2), "afternoon" | "evening") => Some(Meridiem::Pm),
        "at" if w(1) == "night" => Some(Meridiem::Pm),
        "tonight" => Some(Meridiem::Pm),
        "this" if matches!(w(1), "afternoon" | "evening") => Some(Meridiem::Pm),
        "this" if w(1) == "morning" => Some(Meridiem::Am),
        _ => None,
    }
}
