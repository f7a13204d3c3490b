//! How dates, times, lists and names are said aloud.

use chrono::{DateTime, NaiveDate, NaiveTime, Timelike, Utc, Weekday};
use frontdesk_tenant::TenantProfile;

pub(crate) fn digits_as_words(digits: String) -> String {
    match digits.as_str() {
        "1" => "I'd like to book an appointment".to_owned(),
        "2" => "I need to cancel my appointment".to_owned(),
        "0" => "I want to talk to a person".to_owned(),
        other => other.chars().map(String::from).collect::<Vec<_>>().join(" "),
    }
}

pub(crate) fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

/// "Friday, November 27".
pub fn spoken_date(date: NaiveDate) -> String {
    date.format("%A, %B %-d").to_string()
}

/// "2 PM", "2:30 PM", "noon".
pub fn spoken_clock(time: NaiveTime) -> String {
    match (time.hour(), time.minute()) {
        (12, 0) => "noon".to_owned(),
        (hour, minute) => {
            let (h12, meridiem) = match hour {
                0 => (12, "AM"),
                1..=11 => (hour, "AM"),
                12 => (12, "PM"),
                _ => (hour - 12, "PM"),
            };
            if minute == 0 { format!("{h12} {meridiem}") } else { format!("{h12}:{minute:02} {meridiem}") }
        }
    }
}

/// "Friday, November 27 at 2 PM".
pub fn spoken_when(profile: &TenantProfile, start: DateTime<Utc>) -> String {
    let local = start.with_timezone(&profile.timezone());
    format!("{} at {}", spoken_date(local.date_naive()), spoken_clock(local.time()))
}

/// "on Friday, November 27 at 2 PM with Marco".
pub fn spoken_slot(profile: &TenantProfile, start: DateTime<Utc>, staff: Option<&str>) -> String {
    let local = start.with_timezone(&profile.timezone());
    let with = staff.map(|s| format!(" with {s}")).unwrap_or_default();
    format!("on {} at {}{with}", spoken_date(local.date_naive()), spoken_clock(local.time()))
}

pub(crate) fn spoken_duration(minutes: u32) -> String {
    match minutes {
        m if m % 60 == 0 && m >= 120 => format!("{} hours'", m / 60),
        60 => "an hour's".to_owned(),
        m => format!("{m} minutes'"),
    }
}

pub(crate) fn or_list(items: Vec<String>) -> String {
    match items.len() {
        0 => String::new(),
        1 => items[0].clone(),
        _ => format!("{} or {}", items[..items.len() - 1].join(", "), items[items.len() - 1]),
    }
}

pub(crate) fn and_list(items: Vec<String>) -> String {
    match items.len() {
        0 => String::new(),
        1 => items[0].clone(),
        _ => format!("{} and {}", items[..items.len() - 1].join(", "), items[items.len() - 1]),
    }
}

pub(crate) fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

pub(crate) fn title_case(text: &str) -> String {
    text.split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'' && c != '-'))
        .filter(|w| !w.is_empty())
        .map(|w| capitalise(&w.to_lowercase()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// "a haircut", "an emergency visit": the article a name takes when spoken.
pub(crate) fn with_article(name: &str) -> String {
    let vowel_sound = name.chars().next().is_some_and(|c| "aeiouAEIOU".contains(c));
    if vowel_sound { format!("an {name}") } else { format!("a {name}") }
}
