//! Hours, prices, services and FAQs, from the profile only.

use chrono::{Datelike, NaiveDate, NaiveTime, Weekday};
use frontdesk_tenant::TenantProfile;

use super::speech::{and_list, capitalise, spoken_clock, spoken_date, weekday_name, with_article};
use crate::understand::Understood;

pub(crate) fn day_hours(profile: &TenantProfile, date: NaiveDate) -> String {
    let ranges = profile.hours().on(date.weekday());
    and_list(
        ranges
            .iter()
            .map(|r| {
                let start = NaiveTime::from_hms_opt(u32::from(r.start().hour()), u32::from(r.start().minute()), 0);
                let end = NaiveTime::from_hms_opt(u32::from(r.end().hour() % 24), u32::from(r.end().minute()), 0);
                match (start, end) {
                    (Some(s), Some(e)) => format!("from {} to {}", spoken_clock(s), spoken_clock(e)),
                    _ => r.to_string(),
                }
            })
            .collect(),
    )
}

/// "We're open Monday to Friday from 9 AM to 6 PM, Saturday from 9 AM to 4 PM, and closed on Sunday."
pub fn hours_sentence(profile: &TenantProfile, on: Option<NaiveDate>) -> String {
    if let Some(date) = on {
        if profile.is_closure(date) {
            return format!("We're closed on {}.", spoken_date(date));
        }
        let hours = day_hours(profile, date);
        return if hours.is_empty() {
            format!("We're closed on {}s.", weekday_name(date.weekday()))
        } else {
            format!("On {} we're open {hours}.", spoken_date(date))
        };
    }
    let days = [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun];
    // Group consecutive days with the same hours.
    let mut groups: Vec<(Weekday, Weekday, String)> = Vec::new();
    for day in days {
        let reference = NaiveDate::from_isoywd_opt(2026, 10, day).unwrap_or_default();
        let hours = day_hours(profile, reference);
        match groups.last_mut() {
            Some((_, last, text)) if *text == hours => *last = day,
            _ => groups.push((day, day, hours)),
        }
    }
    let parts: Vec<String> = groups
        .into_iter()
        .map(|(first, last, hours)| {
            let days = if first == last {
                weekday_name(first).to_owned()
            } else {
                format!("{} to {}", weekday_name(first), weekday_name(last))
            };
            if hours.is_empty() { format!("closed on {days}") } else { format!("{days} {hours}") }
        })
        .collect();
    format!("We're open {}.", and_list(parts))
}

pub(crate) fn money(profile: &TenantProfile, cents: i64) -> String {
    let symbol = match profile.currency().code() {
        "USD" => "$",
        "GBP" => "£",
        "EUR" => "€",
        _ => "",
    };
    if cents % 100 == 0 {
        format!("{symbol}{}", cents / 100)
    } else {
        format!("{symbol}{}.{:02}", cents / 100, cents % 100)
    }
}

/// Services listed by name before the rest are summed up as "and N more".
const LISTED_SERVICES: usize = 5;

/// The price of the service the caller asked about, or the price list; `None`
/// when the caller asked about something the shop does not list (a "beard
/// coloring" at a shop that only trims beards).
pub(crate) fn prices_sentence(profile: &TenantProfile, heard: &Understood) -> Option<String> {
    if asks_for_unlisted_service(profile, &heard.redacted) {
        return None;
    }
    if let Some(service) = heard.service.as_deref().and_then(|s| profile.service_by_phrase(s)) {
        return Some(format!(
            "{} is {} and takes about {} minutes.",
            capitalise(&with_article(&service.name().to_lowercase())),
            money(profile, service.price().minor()),
            service.duration_minutes()
        ));
    }
    let services = profile.services();
    let mut items: Vec<String> = services
        .iter()
        .take(LISTED_SERVICES)
        .map(|s| format!("{} is {}", with_article(&s.name().to_lowercase()), money(profile, s.price().minor())))
        .collect();
    if services.len() > LISTED_SERVICES {
        items.push(format!("{} more; ask me about any service", more(services.len() - LISTED_SERVICES)));
    }
    Some(capitalise(&format!("{}.", and_list(items))))
}

fn more(count: usize) -> String {
    if count == 1 { "one".to_owned() } else { count.to_string() }
}

/// "We offer haircut, skin fade, … and 2 more." when the list is long.
pub(crate) fn services_sentence(profile: &TenantProfile) -> String {
    let services = profile.services();
    let mut names: Vec<String> = services.iter().take(LISTED_SERVICES).map(|s| s.name().to_lowercase()).collect();
    if services.len() > LISTED_SERVICES {
        names.push(format!("{} more", more(services.len() - LISTED_SERVICES)));
    }
    format!("We offer {}.", and_list(names))
}

/// Kinds of service callers ask salons, barbers and clinics for. When a
/// caller names one the shop does not list, a nearby listed service ("beard"
/// in "beard coloring") is not what they asked about.
const SERVICE_KINDS: [&str; 40] = [
    "color",
    "colour",
    "dye",
    "tint",
    "highlight",
    "balayage",
    "bleach",
    "perm",
    "relaxer",
    "keratin",
    "extension",
    "weave",
    "braid",
    "lock",
    "wax",
    "thread",
    "lash",
    "brow",
    "eyebrow",
    "facial",
    "massage",
    "manicure",
    "pedicure",
    "nail",
    "gel",
    "acrylic",
    "tattoo",
    "piercing",
    "spray",
    "tan",
    "botox",
    "filler",
    "implant",
    "braces",
    "invisalign",
    "veneer",
    "crown",
    "root",
    "xray",
    "x-ray",
];

/// Whether the caller names a kind of service that none of the shop's
/// services (names and aliases) mention.
pub(crate) fn asks_for_unlisted_service(profile: &TenantProfile, said: &str) -> bool {
    let listed: Vec<String> = profile
        .services()
        .iter()
        .flat_map(|s| std::iter::once(s.name().to_owned()).chain(s.aliases().iter().cloned()))
        .flat_map(|phrase| content_words(&phrase))
        .collect();
    content_words(said).iter().any(|word| SERVICE_KINDS.contains(&word.as_str()) && !listed.contains(word))
}

/// Words that carry no meaning when matching a question to an FAQ.
const STOP_WORDS: [&str; 48] = [
    "do", "you", "your", "yours", "the", "a", "an", "is", "are", "i", "can", "could", "what", "which", "there", "to",
    "of", "for", "in", "on", "we", "my", "me", "it", "how", "does", "and", "or", "any", "have", "has", "get", "be",
    "with", "at", "that", "this", "if", "about", "please", "hi", "hello", "hey", "just", "want", "wanted", "know",
    "like",
];

/// Words with the same meaning in a question ("take" cards = "accept" cards).
const SAME_MEANING: [(&str, &str); 7] = [
    ("take", "accept"),
    ("kid", "child"),
    ("children", "child"),
    ("car", "park"),
    ("cost", "price"),
    ("charge", "price"),
    ("card", "payment"),
];

/// A word reduced to a common stem: lower case, plural and verb endings off,
/// synonyms merged ("parking" → "park", "payments" → "payment").
fn stem(word: &str) -> String {
    let mut word = word.to_lowercase();
    let long = |suffix: &str| word.len() > suffix.len() + 2 && word.ends_with(suffix);
    if long("ies") {
        word.truncate(word.len() - 3);
        word.push('y');
    } else if long("ing") {
        word.truncate(word.len() - 3);
    } else if long("ed")
        || (long("es") && ["s", "x", "z", "ch", "sh"].iter().any(|end| word[..word.len() - 2].ends_with(end)))
    {
        word.truncate(word.len() - 2);
    } else if long("s") && !word.ends_with("ss") {
        word.truncate(word.len() - 1);
    }
    match SAME_MEANING.iter().find(|(from, _)| *from == word) {
        Some((_, to)) => (*to).to_owned(),
        None => word,
    }
}

fn content_words(text: &str) -> Vec<String> {
    frontdesk_tenant::normalize_phrase(&text.replace('-', " "))
        .split(' ')
        .filter(|w| w.len() > 1 && !STOP_WORDS.contains(w))
        .map(stem)
        .filter(|w| w.len() > 1)
        .collect()
}

/// The FAQ that answers the caller's question, if one clearly does.
///
/// A word the caller shares with an FAQ's question counts twice, one shared
/// with its answer once; the best FAQ needs two points and must beat the
/// runner-up. It must also be about what was asked: when the caller names a
/// service, the FAQ must mention it ("how much is an emergency visit" is not
/// the FAQ about a first visit), and at least half of the caller's other
/// words must be in it ("how much is a skin fade" is not the FAQ about how
/// long a fade lasts).
pub(crate) fn faq_answer(profile: &TenantProfile, heard: &Understood) -> Option<String> {
    let asked = content_words(&heard.redacted);
    if asked.is_empty() {
        return None;
    }
    let service_words: Vec<String> = heard
        .service
        .as_deref()
        .and_then(|s| profile.service_by_phrase(s))
        .map(|service| {
            std::iter::once(service.name().to_owned())
                .chain(service.aliases().iter().cloned())
                .flat_map(|phrase| content_words(&phrase))
                .collect()
        })
        .unwrap_or_default();
    let (topic, rest): (Vec<&String>, Vec<&String>) = asked.iter().partition(|w| service_words.contains(w));
    let mut scored: Vec<(usize, &str)> = profile
        .faqs()
        .iter()
        .filter_map(|faq| {
            let in_question = content_words(&faq.question);
            let in_answer = content_words(&faq.answer);
            let mentions = |word: &String| in_question.contains(word) || in_answer.contains(word);
            if !topic.iter().all(|w| mentions(w)) || rest.iter().filter(|w| mentions(w)).count() * 2 < rest.len() {
                return None;
            }
            let score = asked
                .iter()
                .map(|word| {
                    if in_question.contains(word) {
                        2
                    } else if in_answer.contains(word) {
                        1
                    } else {
                        0
                    }
                })
                .sum::<usize>();
            (score >= 2).then_some((score, faq.answer.as_str()))
        })
        .collect();
    scored.sort_by_key(|(score, _)| std::cmp::Reverse(*score));
    match scored.as_slice() {
        [] => None,
        [(best, answer), rest @ ..] if rest.first().is_none_or(|(second, _)| second < best) => {
            Some((*answer).to_owned())
        }
        _ => None,
    }
}
