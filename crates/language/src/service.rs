//! Which of a business's services the caller named.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use crate::text::{one_edit_apart, words};

/// A service as callers may say it: its name and other names for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceNames {
    pub name: String,
    pub aliases: Vec<String>,
}

impl ServiceNames {
    pub fn new(name: impl Into<String>, aliases: impl IntoIterator<Item = impl Into<String>>) -> Self {
        ServiceNames { name: name.into(), aliases: aliases.into_iter().map(Into::into).collect() }
    }
}

/// The service named, as an index into the slice given to [`match_service`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ServiceMatch {
    pub index: usize,
    pub confidence: f32,
}

/// Words callers put between the words of a service name ("haircut and a beard").
const SKIPPABLE: &[&str] = &["a", "an", "the", "my", "some", "his", "her"];

/// Finds the service named in `text`, by its name or an alias.
///
/// Matching ignores case and punctuation, finds names inside a longer
/// utterance, tolerates one wrong letter in a word of five or more letters
/// ("whitenning", "beard trimm"), a space too many or too few ("hair cut",
/// "checkup") and an article inside the name ("haircut and a beard"). When
/// several names occur, the longest wins, so "haircut and beard" beats
/// "haircut". A name right after "no"/"not"/"without" is ignored. When two
/// different services match equally well the first is returned with a low
/// confidence.
pub fn match_service(text: &str, services: &[ServiceNames]) -> Option<ServiceMatch> {
    let tokens = words(text);
    let mut candidates: Vec<Candidate> = Vec::new();
    for (index, service) in services.iter().enumerate() {
        let phrases = std::iter::once((service.name.as_str(), true))
            .chain(service.aliases.iter().map(|alias| (alias.as_str(), false)));
        for (phrase, is_name) in phrases {
            let phrase_words = phrase_words(phrase);
            if phrase_words.is_empty() {
                continue;
            }
            for start in 0..tokens.len() {
                if let Some(quality) = match_phrase(&tokens, start, &phrase_words)
                    && !refused(&tokens, start)
                {
                    let letters = phrase_words.iter().map(|word| word.chars().count()).sum();
                    candidates.push(Candidate { index, is_name, letters, words: phrase_words.len(), quality });
                }
            }
        }
    }
    let best = candidates.iter().max_by(|a, b| a.rank().cmp(&b.rank()).then(b.index.cmp(&a.index)))?;
    let mut confidence = best.confidence();
    let rival = candidates.iter().any(|other| other.index != best.index && other.rank() == best.rank());
    if rival {
        confidence *= 0.6;
    }
    Some(ServiceMatch { index: best.index, confidence })
}

thread_local! {
    /// The words of the service names and aliases seen on this thread: a
    /// shop's catalogue is matched on every turn, and its names change
    /// rarely (emptied when it grows past [`PHRASES_KEPT`]).
    static PHRASE_WORDS: RefCell<HashMap<String, Rc<[String]>>> = RefCell::new(HashMap::new());
}

const PHRASES_KEPT: usize = 4096;

/// [`words`] of a service name or alias, remembered.
fn phrase_words(phrase: &str) -> Rc<[String]> {
    PHRASE_WORDS.with(|cache| {
        if let Some(found) = cache.borrow().get(phrase) {
            return Rc::clone(found);
        }
        let found: Rc<[String]> = words(phrase).into();
        let mut cache = cache.borrow_mut();
        if cache.len() >= PHRASES_KEPT {
            cache.clear();
        }
        cache.insert(phrase.to_owned(), Rc::clone(&found));
        found
    })
}

struct Candidate {
    index: usize,
    is_name: bool,
    letters: usize,
    words: usize,
    quality: Quality,
}

impl Candidate {
    /// Longer names first, then fewer typos, then the service's own name over an alias.
    fn rank(&self) -> (usize, std::cmp::Reverse<u32>, bool, std::cmp::Reverse<u32>) {
        (self.letters, std::cmp::Reverse(self.quality.typos), self.is_name, std::cmp::Reverse(self.quality.adjustments))
    }

    fn confidence(&self) -> f32 {
        let base = match (self.is_name, self.words, self.letters) {
            (true, _, _) => 0.95,
            // One short word ("cut", "fade") is a common word as well as a service.
            (false, 1, letters) if letters <= 4 => 0.8,
            (false, _, _) => 0.9,
        };
        let penalty = 0.15 * self.quality.typos as f32 + 0.03 * self.quality.adjustments as f32;
        (base - penalty).max(0.3)
    }
}

#[derive(Clone, Copy)]
struct Quality {
    typos: u32,
    adjustments: u32,
}

/// Matches `phrase` starting at `tokens[start]`.
fn match_phrase(tokens: &[String], start: usize, phrase: &[String]) -> Option<Quality> {
    let mut quality = Quality { typos: 0, adjustments: 0 };
    let mut position = start;
    let mut k = 0;
    while k < phrase.len() {
        if k > 0 {
            while tokens.get(position).is_some_and(|t| SKIPPABLE.contains(&t.as_str()))
                && !SKIPPABLE.contains(&phrase[k].as_str())
            {
                position += 1;
                quality.adjustments += 1;
            }
        }
        let token = tokens.get(position)?;
        if let Some(typos) = word_matches(token, &phrase[k], phrase.len()) {
            quality.typos += typos;
            position += 1;
            k += 1;
            continue;
        }
        // "hair cut" said for "haircut".
        if let Some(next) = tokens.get(position + 1)
            && is_joined(&phrase[k], token, next)
        {
            quality.adjustments += 1;
            position += 2;
            k += 1;
            continue;
        }
        // "checkup" said for "check up".
        if let Some(next_word) = phrase.get(k + 1)
            && is_joined(token, &phrase[k], next_word)
        {
            quality.adjustments += 1;
            position += 1;
            k += 2;
            continue;
        }
        return None;
    }
    Some(quality)
}

/// Whether `whole` is `first` followed by `second`.
fn is_joined(whole: &str, first: &str, second: &str) -> bool {
    whole.len() == first.len() + second.len() && whole.starts_with(first) && whole.ends_with(second)
}

/// `Some(typos)` when the spoken `token` is the phrase's `word`.
fn word_matches(token: &str, word: &str, phrase_words: usize) -> Option<u32> {
    if token == word || is_plural_of(token, word) || is_plural_of(word, token) {
        return Some(0);
    }
    // One typo changes the length by at most one letter (a byte count
    // differs at least as much as a letter count).
    if token.len().abs_diff(word.len()) > 4 {
        return None;
    }
    let token_length = token.chars().count();
    let word_length = word.chars().count();
    let longest = token_length.max(word_length);
    let shortest = token_length.min(word_length);
    // A single-word name needs more letters before a typo is forgiven:
    // "share" must not become "shave".
    let needed = if phrase_words == 1 { 6 } else { 5 };
    if longest >= needed && shortest >= 4 && longest - shortest <= 1 && one_edit_apart(token, word) {
        return Some(1);
    }
    None
}

fn is_plural_of(plural: &str, singular: &str) -> bool {
    plural.strip_suffix('s').is_some_and(|stem| stem == singular)
        || plural.strip_suffix("es").is_some_and(|stem| stem == singular)
}

fn refused(tokens: &[String], start: usize) -> bool {
    let mut before = tokens[..start].iter().rev().map(String::as_str).filter(|t| !SKIPPABLE.contains(t));
    matches!(
        (before.next(), before.next()),
        (Some("no" | "not" | "without"), _) | (Some("want" | "need"), Some("dont")) | (Some("of"), Some("instead"))
    )
}
