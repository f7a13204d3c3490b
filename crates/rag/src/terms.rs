//! The words a question and a passage are compared by.

/// Words that say nothing about what is asked (fillers, pronouns, people
/// the caller mentions in passing).
const STOP_WORDS: &str = "a about after all also am an and any anything are as at be been before but by can could did do does \
     doing for from get got guys had has have hello hey hi how i id if im in into is it its ive just know \
     let like me might my need of ok okay on or our out please so some tell than thanks that the their \
     them then there these they this those to too up us very wanna want wanted was way we well were what \
     whats when where which who why will with wondering would yeah yes you youd your youre yours should \
     going go there's theres one kind sort really gonna gotta able actually still only her his him she he \
     hes shes theyll ill supposed super much many done bunch someone somebody something anyone anybody \
     ever again now right here thing stuff lot lots guy gal folks mom dad mother father wife husband \
     grandma grandpa grandmother grandfather aunt uncle cousin niece nephew brother sister friend \
     boyfriend girlfriend partner mine myself yourself isnt arent cant wont dont doesnt didnt thats \
     alright maybe probably basically literally totally pretty quite even nearby around";

fn is_stop_word(word: &str) -> bool {
    static SET: std::sync::LazyLock<std::collections::HashSet<&'static str>> =
        std::sync::LazyLock::new(|| STOP_WORDS.split_whitespace().collect());
    SET.contains(word)
}

/// Words with one meaning for a shop's questions, mapped to one of them.
const SAME_MEANING: &[(&str, &str)] = &[
    ("children", "child"),
    ("kid", "child"),
    ("kiddo", "child"),
    ("son", "child"),
    ("daughter", "child"),
    ("toddler", "child"),
    ("cost", "price"),
    ("charge", "price"),
    ("pricing", "price"),
    ("fee", "price"),
    ("pay", "payment"),
    ("paying", "payment"),
    ("take", "accept"),
    ("car", "park"),
    ("parking", "park"),
    ("wheelchair", "accessible"),
    ("accessibility", "accessible"),
    ("wheelchairs", "accessible"),
    ("appt", "appointment"),
    ("cancel", "cancellation"),
    ("doc", "dentist"),
    ("buy", "sell"),
    ("bought", "sell"),
    ("purchase", "sell"),
    ("bleach", "whiten"),
    ("bleaching", "whiten"),
    ("whitening", "whiten"),
    ("swollen", "swell"),
    ("swelling", "swell"),
    ("doctor", "dentist"),
];

/// The terms of `text`: normalised as speech is ([`frontdesk_language::normalize`]),
/// stop words dropped, stemmed ("payments" → "payment", "parking" → "park"),
/// synonyms merged. Numbers are kept.
pub fn terms(text: &str) -> Vec<String> {
    frontdesk_language::normalize(text)
        .split(' ')
        .filter(|word| !word.is_empty() && !is_stop_word(word))
        .map(stem)
        .filter(|word| !word.is_empty() && !is_stop_word(word))
        .collect()
}

/// Words whose ending is not a plural or a verb form.
const KEEP_WHOLE: &[&str] = &[
    "during",
    "hundred",
    "something",
    "anything",
    "nothing",
    "everything",
    "morning",
    "evening",
    "ceiling",
    "bus",
    "gas",
    "yes",
    "always",
    "series",
    "news",
    "glasses",
    "braces",
    "dentures",
    "aligners",
];

/// Plural and verb endings off, then synonyms merged.
fn stem(word: &str) -> String {
    if let Some((_, to)) = SAME_MEANING.iter().find(|(from, _)| *from == word) {
        return (*to).to_owned();
    }
    if KEEP_WHOLE.contains(&word) {
        return word.to_owned();
    }
    let mut word = word.to_owned();
    let long = |word: &str, suffix: &str| word.len() > suffix.len() + 2 && word.ends_with(suffix);
    if long(&word, "ies") {
        word.truncate(word.len() - 3);
        word.push('y');
    } else if long(&word, "ing") || (long(&word, "ed") && !word.ends_with("eed")) {
        word.truncate(word.len() - if word.ends_with("ing") { 3 } else { 2 });
        // "running" → "run", "getting" → "get"; "filling" keeps its l.
        if let [.., a, b] = word.as_bytes()
            && a == b
            && !matches!(a, b'l' | b's' | b'z' | b'a' | b'e' | b'i' | b'o' | b'u')
        {
            word.pop();
        }
    } else if long(&word, "es") && ["s", "x", "z", "ch", "sh"].iter().any(|end| word[..word.len() - 2].ends_with(end)) {
        word.truncate(word.len() - 2);
    } else if long(&word, "s") && !word.ends_with("ss") && !word.ends_with("us") {
        word.truncate(word.len() - 1);
    }
    match SAME_MEANING.iter().find(|(from, _)| *from == word) {
        Some((_, to)) => (*to).to_owned(),
        None => word,
    }
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
        let cases: [(&str, &[&str]); 5] = [
            ("Um, do you guys take Apple Pay?", &["accept", "apple", "payment"]),
            ("is there parking for my car", &["park", "park"]),
            ("What are your cancellation fees", &["cancellation", "price"]),
            ("my kids' haircuts", &["child", "haircut"]),
            ("Do you accept Delta Dental plans", &["accept", "delta", "dental", "plan"]),
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
