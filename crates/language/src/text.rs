//! Clean-up of raw speech-recognition text, and the number words every
//! extractor needs.

/// Sounds that carry no meaning. "uh" before "huh" and "hmm" after "mm" are
/// kept, because "uh huh" and "mm hmm" mean yes.
const FILLERS: &[&str] =
    &["uh", "uhh", "uhm", "um", "umm", "uhmm", "er", "erm", "err", "ah", "ahh", "hmm", "hmmm", "hm"];

/// Words after which "like" is a verb ("I'd like", "would you like"), not a filler.
const LIKE_AS_VERB_AFTER: &[&str] = &[
    "i",
    "id",
    "we",
    "wed",
    "you",
    "youd",
    "they",
    "theyd",
    "would",
    "do",
    "dont",
    "does",
    "doesnt",
    "did",
    "didnt",
    "really",
    "also",
    "just",
    "he",
    "she",
    "hed",
    "shed",
    "something",
    "anything",
    "looks",
    "look",
    "sounds",
    "seems",
    "feel",
    "feels",
    "more",
    "much",
    "not",
];

const CONTRACTIONS: &[(&str, &[&str])] = &[
    ("wanna", &["want", "to"]),
    ("gonna", &["going", "to"]),
    ("gotta", &["got", "to"]),
    ("lemme", &["let", "me"]),
    ("gimme", &["give", "me"]),
    ("kinda", &["kind", "of"]),
    ("mmhmm", &["mm", "hmm"]),
    ("mhm", &["mm", "hmm"]),
    ("uhhuh", &["uh", "huh"]),
];

/// Lowercases, turns punctuation into spaces, collapses whitespace and strips
/// fillers ("uh", "um", filler "like").
///
/// A few characters survive because they carry meaning:
/// - apostrophes inside a word are dropped so contractions stay one word
///   ("I'm" → "im", "o'clock" → "oclock", "kid's" → "kids");
/// - `:`, `/` and `.` between two digits are kept ("2:30", "12/24");
/// - "a.m." and "p.m." become "am" and "pm", split from a number ("2pm" → "2 pm");
/// - `&` becomes "and";
/// - "wanna", "gonna", "gotta", "lemme" are expanded ("want to", ...).
pub fn normalize(text: &str) -> String {
    words(text).join(" ")
}

/// [`normalize`] as a list of words.
pub(crate) fn words(text: &str) -> Vec<String> {
    let tokens = tokens_before_filler_removal(text);
    strip_fillers(tokens)
}

fn tokens_before_filler_removal(text: &str) -> Vec<String> {
    let cleaned = clean_characters(text);
    let mut tokens: Vec<String> = Vec::new();
    for raw in cleaned.split_whitespace() {
        push_splitting_suffixes(&mut tokens, raw);
    }
    let tokens = merge_split_words(tokens);
    expand_contractions(tokens)
}

fn clean_characters(text: &str) -> String {
    let chars: Vec<char> = text.chars().flat_map(char::to_lowercase).collect();
    let mut out = String::with_capacity(text.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        let prev = if i == 0 { None } else { chars.get(i - 1).copied() };
        let next = chars.get(i + 1).copied();
        if c.is_alphanumeric() {
            out.push(c);
            continue;
        }
        let between_letters = prev.is_some_and(char::is_alphanumeric) && next.is_some_and(char::is_alphanumeric);
        let between_digits = prev.is_some_and(|p| p.is_ascii_digit()) && next.is_some_and(|n| n.is_ascii_digit());
        match c {
            '\'' | '\u{2019}' | '\u{2018}' | '`' | '\u{02bc}' if between_letters => {}
            ':' | '/' | '.' if between_digits => out.push(c),
            '&' => out.push_str(" and "),
            _ => out.push(' '),
        }
    }
    out
}

/// Splits "2pm", "2:30am", "3ish" and "2p" (from "2p.m.") into number and suffix.
fn push_splitting_suffixes(tokens: &mut Vec<String>, raw: &str) {
    let digits_end = raw.find(|c: char| !(c.is_ascii_digit() || c == ':' || c == '.')).unwrap_or(raw.len());
    if digits_end > 0 && digits_end < raw.len() && raw.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        let (number, suffix) = raw.split_at(digits_end);
        if matches!(suffix, "am" | "pm" | "a" | "p" | "ish") {
            tokens.push(number.to_owned());
            tokens.push(suffix.to_owned());
            return;
        }
    }
    tokens.push(raw.to_owned());
}

fn merge_split_words(tokens: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let current = tokens[i].as_str();
        let next = tokens.get(i + 1).map(String::as_str);
        let after_number = out.last().is_some_and(|previous| is_number_token(previous));
        match (current, next) {
            ("a" | "p", Some("m")) if after_number => {
                out.push(format!("{current}m"));
                i += 2;
            }
            ("o", Some("clock")) => {
                out.push("oclock".to_owned());
                i += 2;
            }
            _ => {
                out.push(current.to_owned());
                i += 1;
            }
        }
    }
    out
}

fn expand_contractions(tokens: Vec<String>) -> Vec<String> {
    let mut out = Vec::with_capacity(tokens.len());
    for token in tokens {
        match CONTRACTIONS.iter().find(|(short, _)| *short == token) {
            Some((_, long)) => out.extend(long.iter().map(|word| (*word).to_owned())),
            None => out.push(token),
        }
    }
    out
}

fn strip_fillers(tokens: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(tokens.len());
    for (i, token) in tokens.iter().enumerate() {
        let previous = if i == 0 { None } else { tokens.get(i - 1).map(String::as_str) };
        let next = tokens.get(i + 1).map(String::as_str);
        let is_filler = match token.as_str() {
            "uh" => next != Some("huh"),
            "hmm" => previous != Some("mm"),
            "like" => {
                let verb = previous.is_some_and(|p| LIKE_AS_VERB_AFTER.contains(&p)) || next == Some("to");
                !verb
            }
            other => FILLERS.contains(&other),
        };
        if !is_filler {
            out.push(token.clone());
        }
    }
    out
}

/// A token that is a number, as digits or as a word.
pub(crate) fn is_number_token(token: &str) -> bool {
    is_digits(token)
        || cardinal_word(token).is_some()
        || token.contains(':') && token.chars().any(|c| c.is_ascii_digit())
}

pub(crate) fn is_digits(token: &str) -> bool {
    !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit())
}

/// zero..nineteen and the tens.
pub(crate) fn cardinal_word(word: &str) -> Option<u32> {
    let value = match word {
        "zero" => 0,
        "one" => 1,
        "two" => 2,
        "three" => 3,
        "four" => 4,
        "five" => 5,
        "six" => 6,
        "seven" => 7,
        "eight" => 8,
        "nine" => 9,
        "ten" => 10,
        "eleven" => 11,
        "twelve" => 12,
        "thirteen" => 13,
        "fourteen" => 14,
        "fifteen" => 15,
        "sixteen" => 16,
        "seventeen" => 17,
        "eighteen" => 18,
        "nineteen" => 19,
        "twenty" => 20,
        "thirty" => 30,
        "forty" | "fourty" => 40,
        "fifty" => 50,
        "sixty" => 60,
        "seventy" => 70,
        "eighty" => 80,
        "ninety" => 90,
        _ => return None,
    };
    Some(value)
}

/// first..nineteenth, twentieth, thirtieth.
fn ordinal_word(word: &str) -> Option<u32> {
    let value = match word {
        "first" => 1,
        "second" => 2,
        "third" => 3,
        "fourth" => 4,
        "fifth" => 5,
        "sixth" => 6,
        "seventh" => 7,
        "eighth" => 8,
        "ninth" => 9,
        "tenth" => 10,
        "eleventh" => 11,
        "twelfth" => 12,
        "thirteenth" => 13,
        "fourteenth" => 14,
        "fifteenth" => 15,
        "sixteenth" => 16,
        "seventeenth" => 17,
        "eighteenth" => 18,
        "nineteenth" => 19,
        "twentieth" => 20,
        "thirtieth" => 30,
        _ => return None,
    };
    Some(value)
}

fn is_tens(value: u32) -> bool {
    value >= 20 && value.is_multiple_of(10)
}

/// A cardinal number at `tokens[i]`: digits ("14"), a word ("fourteen") or
/// tens and a unit ("twenty four"). Returns the value and how many tokens it used.
pub(crate) fn parse_cardinal(tokens: &[String], i: usize) -> Option<(u32, usize)> {
    let token = tokens.get(i)?;
    if is_digits(token) {
        return if token.len() <= 4 { token.parse().ok().map(|value| (value, 1)) } else { None };
    }
    let value = cardinal_word(token)?;
    if is_tens(value)
        && let Some(unit) = tokens.get(i + 1).and_then(|next| cardinal_word(next))
        && (1..=9).contains(&unit)
    {
        return Some((value + unit, 2));
    }
    Some((value, 1))
}

/// An ordinal at `tokens[i]`: "3rd", "14th", "third", "twenty first".
pub(crate) fn parse_ordinal(tokens: &[String], i: usize) -> Option<(u32, usize)> {
    let token = tokens.get(i)?;
    for suffix in ["st", "nd", "rd", "th"] {
        if let Some(number) = token.strip_suffix(suffix)
            && is_digits(number)
            && number.len() <= 2
        {
            return number.parse().ok().map(|value| (value, 1));
        }
    }
    if let Some(value) = ordinal_word(token) {
        return Some((value, 1));
    }
    let tens = cardinal_word(token)?;
    if is_tens(tens)
        && let Some(unit) = tokens.get(i + 1).and_then(|next| ordinal_word(next))
        && (1..=9).contains(&unit)
    {
        return Some((tens + unit, 2));
    }
    None
}

/// Whether `a` and `b` are exactly one edit apart: one letter changed,
/// added or dropped, or two neighbours swapped ([`edit_distance`] of 1,
/// without its table).
pub(crate) fn one_edit_apart(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = if a.is_ascii() && b.is_ascii() {
        return one_edit_apart_in(a.as_bytes(), b.as_bytes());
    } else {
        (a.chars().collect(), b.chars().collect())
    };
    one_edit_apart_in(&a, &b)
}

fn one_edit_apart_in<T: PartialEq>(a: &[T], b: &[T]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let Some(first) = short.iter().zip(long).position(|(x, y)| x != y) else {
        // One is the other with a letter more at its end (or they are equal).
        return long.len() == short.len() + 1;
    };
    match long.len() - short.len() {
        0 => {
            short[first + 1..] == long[first + 1..]
                || (first + 1 < short.len()
                    && short[first] == long[first + 1]
                    && short[first + 1] == long[first]
                    && short[first + 2..] == long[first + 2..])
        }
        1 => short[first..] == long[first + 1..],
        _ => false,
    }
}

/// Levenshtein distance with adjacent transpositions counted as one edit.
#[cfg(test)]
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut table = vec![0usize; (a.len() + 1) * width];
    for (i, row) in table.chunks_mut(width).enumerate() {
        row[0] = i;
    }
    for (j, cell) in table.iter_mut().take(width).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (table[(i - 1) * width + j] + 1)
                .min(table[i * width + j - 1] + 1)
                .min(table[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(table[(i - 2) * width + j - 2] + 1);
            }
            table[i * width + j] = best;
        }
    }
    table[a.len() * width + b.len()]
}

/// Whether `tokens` contains `phrase` (space-separated words) as consecutive words.
pub(crate) fn contains_phrase(tokens: &[String], phrase: &str) -> bool {
    find_phrase(tokens, phrase, 0).is_some()
}

/// The first position at or after `from` where `phrase` starts.
pub(crate) fn find_phrase(tokens: &[String], phrase: &str, from: usize) -> Option<usize> {
    let wanted: Vec<&str> = phrase.split_whitespace().collect();
    if wanted.is_empty() || tokens.len() < wanted.len() {
        return None;
    }
    (from..=tokens.len() - wanted.len())
        .find(|&start| wanted.iter().enumerate().all(|(k, word)| tokens[start + k] == *word))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: &str) {
        assert_eq!(normalize(input), expected, "input: {input:?}");
    }

    #[test]
    fn normalizes() {
        check("  Hello,   WORLD!! ", "hello world");
        check("I'm here", "im here");
        check("2:30 p.m.", "2:30 pm");
        check("2pm", "2 pm");
        check("uh huh", "uh huh");
        check("like, tomorrow", "tomorrow");
    }

    fn check_distance(a: &str, b: &str, expected: usize) {
        assert_eq!(edit_distance(a, b), expected, "{a} / {b}");
    }

    #[test]
    fn edit_distances() {
        check_distance("trim", "trimm", 1);
        check_distance("whitening", "whitenning", 1);
        check_distance("fade", "faed", 1);
        check_distance("", "abc", 3);
        check_distance("shave", "shave", 0);
        check_distance("kitten", "sitting", 3);
    }

    #[test]
    fn one_edit_apart_is_an_edit_distance_of_one() {
        let words = [
            "",
            "a",
            "ab",
            "ba",
            "abc",
            "acb",
            "bac",
            "abd",
            "abcd",
            "abdc",
            "trim",
            "trimm",
            "tirm",
            "fade",
            "faed",
            "fad",
            "afde",
            "whitening",
            "whitenning",
            "whitneing",
            "shave",
            "share",
            "shaves",
            "café",
            "cafe",
            "cafés",
            "éa",
            "aé",
            "naïve",
            "naive",
            "kitten",
            "sitting",
        ];
        for a in words {
            for b in words {
                assert_eq!(one_edit_apart(a, b), edit_distance(a, b) == 1, "{a:?} / {b:?}");
            }
        }
    }
}
