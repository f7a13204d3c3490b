//! The words a question and a passage are compared by.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

/// Words that say nothing about what is asked (fillers, pronouns, people
/// the caller mentions in passing, light verbs such as "come"). "Before"
/// and "after" are not among them: "after a filling" is what aftercare is
/// about, "before my appointment" what preparing is.
const STOP_WORDS: &str = "a about all also am an and any anything are as at be been but by can could did do does \
     doing for from get got guys had has have hello hey hi how i id if im in into is it its ive just know \
     let like me might my need of ok okay on or our out please so some tell than thanks that the their \
     them then there these they this those to too up us very wanna want wanted was way we well were what \
     whats when where which who why will with wondering would yeah yes you youd your youre yours should \
     going go there's theres one kind sort really gonna gotta able actually still only her his him she he \
     hes shes theyll ill supposed super much many done bunch someone somebody something anyone anybody \
     ever again now right here thing stuff lot lots guy gal folks mom dad mother father wife husband \
     grandma grandpa grandmother grandfather aunt uncle cousin niece nephew brother sister friend \
     boyfriend girlfriend partner mine myself yourself isnt arent cant wont dont doesnt didnt thats \
     alright maybe probably basically literally totally pretty quite even nearby around \
     come comes coming came not himself herself themselves itself ourselves";

fn is_stop_word(word: &str) -> bool {
    static SET: LazyLock<HashSet<&'static str>> = LazyLock::new(|| STOP_WORDS.split_whitespace().collect());
    SET.contains(word)
}

/// Forms no suffix rule reaches, as the form the stemmer knows: irregular
/// past tenses and plurals ("paid" is "pay", "teeth" is "tooth").
const IRREGULAR: &[(&str, &str)] = &[
    ("paid", "pay"),
    ("said", "say"),
    ("bought", "buy"),
    ("brought", "bring"),
    ("took", "take"),
    ("taken", "take"),
    ("broke", "break"),
    ("broken", "break"),
    ("ate", "eat"),
    ("eaten", "eat"),
    ("fell", "fall"),
    ("fallen", "fall"),
    ("felt", "feel"),
    ("gave", "give"),
    ("given", "give"),
    ("kept", "keep"),
    ("knew", "know"),
    ("lost", "lose"),
    ("made", "make"),
    ("meant", "mean"),
    ("met", "meet"),
    ("ran", "run"),
    ("sent", "send"),
    ("sat", "sit"),
    ("seen", "see"),
    ("sold", "sell"),
    ("spent", "spend"),
    ("stood", "stand"),
    ("taught", "teach"),
    ("thought", "think"),
    ("told", "tell"),
    ("wore", "wear"),
    ("worn", "wear"),
    ("wrote", "write"),
    ("written", "write"),
    ("chose", "choose"),
    ("chosen", "choose"),
    ("began", "begin"),
    ("begun", "begin"),
    ("bitten", "bite"),
    ("held", "hold"),
    ("spoke", "speak"),
    ("spoken", "speak"),
    ("found", "find"),
    ("heard", "hear"),
    ("fed", "feed"),
    ("bled", "bleed"),
    ("slept", "sleep"),
    ("caught", "catch"),
    ("grew", "grow"),
    ("grown", "grow"),
    ("drove", "drive"),
    ("driven", "drive"),
    ("teeth", "tooth"),
    ("feet", "foot"),
    ("men", "man"),
    ("women", "woman"),
    ("children", "child"),
];

/// Words with one meaning for a shop's questions, mapped to one of them.
/// Compared by their stems, so every form of a word maps ("kids", "kid's").
const SAME_MEANING: &[(&str, &str)] = &[
    ("kid", "child"),
    ("kiddo", "child"),
    ("son", "child"),
    ("daughter", "child"),
    ("toddler", "child"),
    ("boy", "child"),
    ("girl", "child"),
    ("cost", "price"),
    ("charge", "price"),
    ("fee", "price"),
    ("pay", "payment"),
    ("take", "accept"),
    ("car", "park"),
    ("wheelchair", "accessible"),
    ("appt", "appointment"),
    ("doc", "dentist"),
    ("doctor", "dentist"),
    ("buy", "sell"),
    ("purchase", "sell"),
    ("bleach", "whiten"),
    ("swollen", "swell"),
    ("shampoo", "wash"),
];

/// Ways of saying one thing in several words, and the word they mean:
/// how old someone is, what something costs, someone on their own, a
/// card's spoken name.
const SAME_MEANING_PHRASES: &[(&str, &str)] = &[
    ("year old", "age"),
    ("years old", "age"),
    ("month old", "age"),
    ("months old", "age"),
    ("how old", "age"),
    ("how much is", "price"),
    ("how much are", "price"),
    ("how much does", "price"),
    ("how much do", "price"),
    ("how much for", "price"),
    ("how much would", "price"),
    ("how much will", "price"),
    ("by myself", "alone"),
    ("by yourself", "alone"),
    ("by himself", "alone"),
    ("by herself", "alone"),
    ("by themselves", "alone"),
    ("on my own", "alone"),
    ("on your own", "alone"),
    ("on his own", "alone"),
    ("on her own", "alone"),
    ("on their own", "alone"),
    ("american express", "amex"),
];

/// The terms of `text`: normalised as speech is ([`frontdesk_language::normalize`]),
/// phrases of one meaning made one word, stop words dropped, stemmed
/// ([`crate::stem`]: "payments" → "payment", "aged" → "age", "parking" →
/// "park"), synonyms merged. Numbers are kept.
pub fn terms(text: &str) -> Vec<String> {
    let normalized = frontdesk_language::normalize(text);
    let words: Vec<&str> = normalized.split(' ').filter(|word| !word.is_empty()).collect();
    let mut terms = Vec::with_capacity(words.len());
    let mut at = 0;
    while at < words.len() {
        if let Some((length, meaning)) = phrase_at(&words[at..]) {
            terms.push(term(meaning));
            at += length;
            continue;
        }
        let word = words[at];
        at += 1;
        if is_stop_word(word) {
            continue;
        }
        let term = term(word);
        if !term.is_empty() && !is_stop_word(&term) {
            terms.push(term);
        }
    }
    terms
}

/// The phrase of [`SAME_MEANING_PHRASES`] `words` start with: its length
/// in words and its meaning.
fn phrase_at(words: &[&str]) -> Option<(usize, &'static str)> {
    type Phrases = HashMap<&'static str, Vec<(Vec<&'static str>, &'static str)>>;
    static BY_FIRST_WORD: LazyLock<Phrases> = LazyLock::new(|| {
        let mut phrases: Phrases = HashMap::new();
        for (phrase, meaning) in SAME_MEANING_PHRASES {
            let mut words = phrase.split(' ');
            let first = words.next().unwrap_or_default();
            phrases.entry(first).or_default().push((words.collect(), meaning));
        }
        phrases
    });
    let (first, rest) = words.split_first()?;
    BY_FIRST_WORD.get(first)?.iter().find_map(|(more, meaning)| {
        let matches = rest.len() >= more.len() && more.iter().zip(rest).all(|(a, b)| a == b);
        matches.then_some((more.len() + 1, *meaning))
    })
}

/// One word's term: its regular form, stemmed, and the stem of the word
/// of the same meaning.
pub(crate) fn term(word: &str) -> String {
    static SAME: LazyLock<HashMap<String, String>> =
        LazyLock::new(|| SAME_MEANING.iter().map(|(from, to)| (stem_of(from), stem_of(to))).collect());
    let stemmed = stem_of(word);
    match SAME.get(&stemmed) {
        Some(same) => same.clone(),
        None => stemmed,
    }
}

fn stem_of(word: &str) -> String {
    let regular = IRREGULAR.iter().find(|(form, _)| *form == word).map_or(word, |(_, regular)| regular);
    crate::stem::stem(regular)
}

/// Levenshtein distance, giving up (returning `limit + 1`) past `limit`.
pub(crate) fn edit_distance(a: &str, b: &str, limit: usize) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > limit {
        return limit + 1;
    }
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        current[0] = i + 1;
        let mut best = current[0];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            current[j + 1] = (previous[j] + cost).min(previous[j + 1] + 1).min(current[j] + 1);
            best = best.min(current[j + 1]);
        }
        if best > limit {
            return limit + 1;
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_become_the_terms_that_matter() {
        let cases: [(&str, &[&str]); 7] = [
            ("Um, do you guys take Apple Pay?", &["accept", "appl", "payment"]),
            ("is there parking for my car", &["park", "park"]),
            ("What are your cancellation fees", &["cancel", "price"]),
            ("my kids' haircuts", &["child", "haircut"]),
            ("Do you accept Delta Dental plans", &["accept", "delta", "dental", "plan"]),
            // One term for every form of a word, irregular ones too.
            ("aged, age; shaved, shave; fillings, filling", &["age", "age", "shave", "shave", "fill", "fill"]),
            ("she paid, my teeth, a tooth, the children", &["payment", "tooth", "tooth", "child"]),
        ];
        for (text, expected) in cases {
            assert_eq!(terms(text), expected.iter().map(|t| (*t).to_owned()).collect::<Vec<_>>(), "{text}");
        }
    }

    #[test]
    fn before_and_after_matter_and_light_words_do_not() {
        let cases: [(&str, &[&str]); 2] = [
            ("can i come in before my appointment, not after", &["befor", "appoint", "after"]),
            ("she came herself", &[]),
        ];
        for (text, expected) in cases {
            assert_eq!(terms(text), expected.iter().map(|t| (*t).to_owned()).collect::<Vec<_>>(), "{text}");
        }
    }

    #[test]
    fn a_callers_everyday_words_are_the_shops_words() {
        let cases: [(&str, &[&str]); 6] = [
            ("my 16 year old wants to go by himself", &["16", "age", "alon"]),
            ("teens aged 13 to 17 may come on their own", &["teen", "age", "13", "17", "may", "alon"]),
            ("how much is a beard trim", &["price", "beard", "trim"]),
            ("do you take american express or amex", &["accept", "amex", "amex"]),
            ("my boy and my little girl", &["child", "littl", "child"]),
            ("a wash or a shampoo", &["wash", "wash"]),
        ];
        for (text, expected) in cases {
            assert_eq!(terms(text), expected.iter().map(|t| (*t).to_owned()).collect::<Vec<_>>(), "{text}");
        }
    }

    #[test]
    fn edit_distance_is_bounded() {
        assert_eq!(edit_distance("cavity", "cavaty", 2), 1);
        assert_eq!(edit_distance("pomade", "pomades", 2), 1);
        assert_eq!(edit_distance("insurance", "insurence", 1), 1);
        assert_eq!(edit_distance("fade", "shave", 1), 2, "past the limit: limit + 1");
        assert_eq!(edit_distance("same", "same", 0), 0);
    }
}
