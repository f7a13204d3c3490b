//! The caller's name.

/// Phrases after which a name follows and almost anything is a name
/// ("my name is Will").
const CERTAIN_CUES: &[&[&str]] = &[
    &["my", "name", "is"],
    &["my", "names"],
    &["the", "name", "is"],
    &["the", "names"],
    &["name", "is"],
    &["names"],
    &["call", "me"],
    &["under", "the", "name", "of"],
    &["under", "the", "name"],
    &["first", "name", "is"],
    &["full", "name", "is"],
];

/// Phrases that may or may not be followed by a name ("I'm Jane" but "I'm
/// looking for a haircut").
const POSSIBLE_CUES: &[&[&str]] = &[
    &["im"],
    &["i", "am"],
    &["this", "is"],
    &["its"],
    &["it", "is"],
    &["under"],
    &["speaking", "with"],
    &["you", "have"],
    &["thats"],
];

/// Words that start a bare answer without being part of it ("yeah, it's Jane").
const LEAD_INS: &[&str] =
    &["yes", "yeah", "yep", "sure", "ok", "okay", "hi", "hello", "hey", "oh", "well", "so", "its", "it", "is", "sorry"];

/// Words that end a bare answer without being part of it ("Jane Doe please").
const TAIL_OFFS: &[&str] = &["please", "thanks", "thank", "you", "here", "speaking", "calling", "again"];

const TITLES: &[&str] = &["mr", "mrs", "ms", "miss", "dr", "doctor", "mister"];

/// Words that are not names. Deliberately broad: a missed name is re-asked, a
/// wrong one is printed on a booking.
const NOT_NAMES: &[&str] = &[
    "a",
    "an",
    "the",
    "i",
    "im",
    "me",
    "my",
    "mine",
    "you",
    "your",
    "youre",
    "we",
    "us",
    "our",
    "he",
    "she",
    "they",
    "them",
    "it",
    "its",
    "this",
    "that",
    "thats",
    "these",
    "those",
    "there",
    "theres",
    "here",
    "what",
    "who",
    "where",
    "when",
    "why",
    "how",
    "which",
    "is",
    "am",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "do",
    "does",
    "did",
    "dont",
    "didnt",
    "not",
    "no",
    "nope",
    "yes",
    "yeah",
    "yep",
    "ok",
    "okay",
    "sure",
    "just",
    "only",
    "also",
    "so",
    "very",
    "really",
    "quite",
    "still",
    "already",
    "too",
    "well",
    "fine",
    "good",
    "great",
    "bad",
    "sorry",
    "happy",
    "glad",
    "ready",
    "free",
    "available",
    "busy",
    "late",
    "early",
    "new",
    "back",
    "afraid",
    "about",
    "for",
    "from",
    "with",
    "to",
    "at",
    "on",
    "in",
    "of",
    "by",
    "and",
    "or",
    "but",
    "if",
    "then",
    "than",
    "because",
    "please",
    "thanks",
    "thank",
    "hello",
    "hi",
    "hey",
    "bye",
    "goodbye",
    "actually",
    "maybe",
    "probably",
    "definitely",
    "need",
    "want",
    "like",
    "would",
    "could",
    "can",
    "cant",
    "will",
    "wont",
    "should",
    "have",
    "has",
    "had",
    "get",
    "got",
    "book",
    "booked",
    "booking",
    "cancel",
    "appointment",
    "haircut",
    "cut",
    "trim",
    "fade",
    "shave",
    "cleaning",
    "checkup",
    "tomorrow",
    "today",
    "tonight",
    "morning",
    "afternoon",
    "evening",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "correct",
    "right",
    "wrong",
    "done",
    "finished",
    "confused",
    "lost",
    "sick",
    "off",
    "one",
    "two",
    "three",
    "nobody",
    "someone",
    "somebody",
    "everyone",
    "customer",
    "patient",
    "client",
    "returning",
    "regular",
    "existing",
    "none",
    "nothing",
    "all",
    "any",
    "some",
    "anyway",
    "kidding",
    "serious",
    "alright",
    "him",
    "her",
    "his",
    "hers",
    "their",
    "after",
    "before",
    "around",
    "again",
    "gonna",
    "going",
    "wanna",
    "trying",
    "hoping",
    "curious",
    "interested",
    "unsure",
    "calling",
    "name",
    "number",
    "phone",
    "more",
    "less",
    "now",
    "later",
    "soon",
    "open",
    "closed",
    "asking",
    "wondering",
    "thinking",
    "um",
    "uh",
    "hmm",
    "scheduled",
    "supposed",
    "coming",
    "running",
    "certain",
    "positive",
    "pretty",
    "fairly",
    "totally",
    "exactly",
    "perfect",
    "mom",
    "dad",
    "mother",
    "father",
    "wife",
    "husband",
    "son",
    "daughter",
    "kid",
    "kids",
    "friend",
    "boyfriend",
    "girlfriend",
    "partner",
    "brother",
    "sister",
    "first",
    "last",
    "time",
    "year",
    "years",
    "old",
    "looking",
    "hungry",
    "tired",
    "worried",
    "scared",
    "nervous",
    "hurt",
    "hurting",
    "pain",
    "emergency",
    "urgent",
    "yours",
    "mind",
    "together",
    "alone",
    "able",
    "unable",
    "under",
    "over",
    "across",
    "through",
    "into",
    "onto",
    "upon",
    "without",
    "within",
    "between",
    "during",
    "except",
    "since",
    "until",
    "till",
    "near",
    "as",
];

/// The caller's name, properly capitalised, from "my name is Jane Doe", "I'm
/// Jane", "this is Jane Smith", "it's Jane", "name's Bob", or, when the
/// receptionist has just asked for a name, a bare answer ("uh Jane Doe",
/// "Jane please"). Returns `None` for phrases that are clearly not names
/// ("I'm looking for a haircut", "I'm not sure", "yes").
pub fn extract_name(text: &str, asked_for_name: bool) -> Option<String> {
    let tokens = name_tokens(text);
    for start in 0..tokens.len() {
        for (cues, certain) in [(CERTAIN_CUES, true), (POSSIBLE_CUES, false)] {
            for cue in cues {
                let matched =
                    cue.iter().enumerate().all(|(k, word)| tokens.get(start + k).is_some_and(|t| t.key == *word));
                if matched && let Some(name) = name_after(&tokens[start + cue.len()..], certain) {
                    return Some(name);
                }
            }
        }
    }
    if asked_for_name { bare_name(&tokens) } else { None }
}

struct NameToken {
    original: String,
    /// Lowercase without apostrophes, for comparing with word lists.
    key: String,
}

fn name_tokens(text: &str) -> Vec<NameToken> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let inside_word = i > 0
            && chars.get(i - 1).is_some_and(|p| p.is_alphanumeric())
            && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
        if c.is_alphanumeric() || (matches!(c, '\'' | '\u{2019}' | '-') && inside_word) {
            current.push(if c == '\u{2019}' { '\'' } else { c });
        } else if !current.is_empty() {
            tokens.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    tokens
        .into_iter()
        .map(|original| {
            let key: String = original.to_lowercase().chars().filter(|c| *c != '\'').collect();
            NameToken { original, key }
        })
        .filter(|token| !matches!(token.key.as_str(), "uh" | "um" | "umm" | "uhm" | "er" | "erm" | "hmm" | "ah"))
        .collect()
}

fn is_name_word(token: &NameToken) -> bool {
    // "Sarah's mom": a possessive belongs to someone else's name.
    let possessive = token.original.ends_with("'s") || token.original.ends_with("'S");
    let letters = token.original.chars().filter(|c| c.is_alphabetic()).count();
    letters >= 2
        && token.original.chars().all(|c| c.is_alphabetic() || c == '\'' || c == '-')
        && !(token.key.ends_with("ing") && token.key.len() > 5)
        && !NOT_NAMES.contains(&token.key.as_str())
        && !possessive
}

/// Up to three name words at the start of `rest`; a title may lead.
fn name_after(rest: &[NameToken], certain: bool) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    let mut position = 0;
    if let Some(title) = rest.first().filter(|t| TITLES.contains(&t.key.as_str()))
        && rest.get(1).is_some_and(is_name_word)
    {
        parts.push(capitalise(&title.original));
        position = 1;
    }
    let first = rest.get(position)?;
    let acceptable_first = if certain { is_certain_name_word(first) } else { is_name_word(first) };
    if !acceptable_first {
        return None;
    }
    parts.push(capitalise(&first.original));
    position += 1;
    while parts.len() < 3 && rest.get(position).is_some_and(is_name_word) {
        parts.push(capitalise(&rest[position].original));
        position += 1;
    }
    Some(parts.join(" "))
}

/// After "my name is", only words that cannot start a name are refused.
fn is_certain_name_word(token: &NameToken) -> bool {
    const NEVER: &[&str] = &[
        "a", "an", "the", "not", "no", "is", "and", "my", "your", "it", "its", "this", "that", "i", "im", "you", "on",
        "in", "for", "under", "um", "uh",
    ];
    token.original.chars().all(|c| c.is_alphabetic() || c == '\'' || c == '-')
        && token.original.chars().filter(|c| c.is_alphabetic()).count() >= 2
        && !NEVER.contains(&token.key.as_str())
}

fn bare_name(tokens: &[NameToken]) -> Option<String> {
    let mut start = 0;
    while tokens.get(start).is_some_and(|t| LEAD_INS.contains(&t.key.as_str())) {
        start += 1;
    }
    let mut end = tokens.len();
    while end > start && TAIL_OFFS.contains(&tokens[end - 1].key.as_str()) {
        end -= 1;
    }
    end = without_spelling(&tokens[start..end]) + start;
    let answer = &tokens[start..end];
    let words_without_title = answer.iter().filter(|t| !TITLES.contains(&t.key.as_str())).count();
    if answer.is_empty() || words_without_title > 3 {
        return None;
    }
    let name = name_after(answer, false)?;
    // Every word of the answer must have been taken as part of the name.
    (name.split(' ').count() == answer.len()).then_some(name)
}

/// How many tokens remain once a trailing spelling of an earlier word is
/// dropped: "Jane J A N E" keeps one.
fn without_spelling(tokens: &[NameToken]) -> usize {
    let letters = tokens.iter().rev().take_while(|t| t.key.chars().count() == 1).count();
    if letters < 2 {
        return tokens.len();
    }
    let kept = tokens.len() - letters;
    let spelled: String = tokens[kept..].iter().map(|t| t.key.as_str()).collect();
    if tokens[..kept].iter().any(|t| t.key == spelled) { kept } else { tokens.len() }
}

/// "jane" → "Jane", "MARY-JANE" → "Mary-Jane", "o'brien" → "O'Brien",
/// "mcdonald" → "McDonald"; mixed case the recogniser chose ("DeShawn") is kept.
fn capitalise(word: &str) -> String {
    let has_upper = word.chars().any(char::is_uppercase);
    let has_lower = word.chars().any(char::is_lowercase);
    let starts_upper = word.chars().next().is_some_and(char::is_uppercase);
    if has_upper && has_lower && starts_upper && word.chars().skip(1).any(char::is_uppercase) {
        return word.to_owned();
    }
    let lower = word.to_lowercase();
    let mut out = String::with_capacity(lower.len());
    let mut capital_next = true;
    let mut letters_in_part = 0;
    for c in lower.chars() {
        if capital_next && c.is_alphabetic() {
            out.extend(c.to_uppercase());
            capital_next = false;
        } else {
            out.push(c);
        }
        if c == '-' {
            capital_next = true;
            letters_in_part = 0;
        } else if c == '\'' {
            // O'Brien, D'Angelo, but not Jane's.
            capital_next = letters_in_part == 1;
        } else {
            letters_in_part += 1;
        }
        if out == "Mc" && lower.chars().count() > 4 {
            capital_next = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::capitalise;

    fn check(input: &str, expected: &str) {
        assert_eq!(capitalise(input), expected, "input: {input:?}");
    }

    #[test]
    fn capitalises() {
        check("jane", "Jane");
        check("JANE", "Jane");
        check("mary-jane", "Mary-Jane");
        check("o'brien", "O'Brien");
        check("d'angelo", "D'Angelo");
        check("mcdonald", "McDonald");
        check("DeShawn", "DeShawn");
        check("José", "José");
    }
}
