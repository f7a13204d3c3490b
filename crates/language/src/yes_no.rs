//! Yes or no answers to a question the receptionist asked.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::text::words;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Signal {
    Yes,
    /// Counts as yes only in a short answer ("fine", "great") so that "good
    /// morning, I'd like a cut" is not read as agreement.
    WeakYes,
    No,
    Unsure,
    /// Consumes words that would otherwise count ("right now", "if not").
    Nothing,
}

/// Phrases, longest match first at each position.
const PHRASES: &[(&str, Signal)] = &[
    // Negative words inside phrases that mean yes.
    ("no problem", Signal::Yes),
    ("no worries", Signal::Yes),
    ("no doubt", Signal::Yes),
    ("not a problem", Signal::Yes),
    ("why not", Signal::Yes),
    ("dont mind", Signal::Yes),
    ("i dont mind", Signal::Yes),
    ("i do not mind", Signal::Yes),
    ("i do not know", Signal::Unsure),
    ("i do not think so", Signal::No),
    ("i do not", Signal::No),
    ("do not mind", Signal::Yes),
    ("cant wait", Signal::Yes),
    ("i think so", Signal::Yes),
    ("i guess so", Signal::Yes),
    ("i believe so", Signal::Yes),
    // Uncertainty.
    // "I'm good" turns an offer down politely; "I'm good with that" accepts it.
    ("im good", Signal::No),
    ("im all good", Signal::No),
    ("im all set", Signal::No),
    ("im good with", Signal::Yes),
    ("not sure", Signal::Unsure),
    ("unsure", Signal::Unsure),
    ("dont know", Signal::Unsure),
    ("do not know", Signal::Unsure),
    ("dunno", Signal::Unsure),
    ("dont care", Signal::Unsure),
    ("maybe", Signal::Unsure),
    ("perhaps", Signal::Unsure),
    ("possibly", Signal::Unsure),
    ("not at all", Signal::Unsure),
    ("let me think", Signal::Unsure),
    ("let me check", Signal::Unsure),
    ("hold on", Signal::Unsure),
    ("one second", Signal::Unsure),
    ("one sec", Signal::Unsure),
    ("if not", Signal::Nothing),
    ("right now", Signal::Nothing),
    ("right away", Signal::Nothing),
    ("all right", Signal::Yes),
    ("that works", Signal::Yes),
    ("that would work", Signal::Yes),
    ("that will work", Signal::Yes),
    ("that should work", Signal::Yes),
    ("works for me", Signal::Yes),
    ("works", Signal::WeakYes),
    ("sounds good", Signal::Yes),
    ("sounds great", Signal::Yes),
    ("sounds perfect", Signal::Yes),
    ("sounds fine", Signal::Yes),
    ("sounds right", Signal::Yes),
    ("thats right", Signal::Yes),
    ("that is right", Signal::Yes),
    ("thats correct", Signal::Yes),
    ("thats fine", Signal::Yes),
    ("thats good", Signal::Yes),
    ("thats great", Signal::Yes),
    ("thats perfect", Signal::Yes),
    ("thats me", Signal::Yes),
    ("thats the one", Signal::Yes),
    ("go ahead", Signal::Yes),
    ("go for it", Signal::Yes),
    ("please do", Signal::Yes),
    ("do it", Signal::Yes),
    ("do that", Signal::Yes),
    ("book it", Signal::Yes),
    ("of course", Signal::Yes),
    ("uh huh", Signal::Yes),
    ("mm hmm", Signal::Yes),
    ("i do", Signal::Yes),
    ("yes", Signal::Yes),
    ("yeah", Signal::Yes),
    ("yea", Signal::Yes),
    ("yah", Signal::Yes),
    ("ya", Signal::Yes),
    ("yep", Signal::Yes),
    ("yup", Signal::Yes),
    ("sure", Signal::Yes),
    ("ok", Signal::Yes),
    ("okay", Signal::Yes),
    ("okey", Signal::Yes),
    ("alright", Signal::Yes),
    ("correct", Signal::Yes),
    ("perfect", Signal::Yes),
    ("absolutely", Signal::Yes),
    ("definitely", Signal::Yes),
    ("certainly", Signal::Yes),
    ("exactly", Signal::Yes),
    ("affirmative", Signal::Yes),
    ("yes please", Signal::Yes),
    ("right", Signal::WeakYes),
    ("good", Signal::WeakYes),
    ("great", Signal::WeakYes),
    ("fine", Signal::WeakYes),
    ("cool", Signal::WeakYes),
    ("awesome", Signal::WeakYes),
    ("excellent", Signal::WeakYes),
    ("lovely", Signal::WeakYes),
    ("wonderful", Signal::WeakYes),
    ("nice", Signal::WeakYes),
    ("please", Signal::WeakYes),
    ("true", Signal::WeakYes),
    // Negatives.
    ("i dont think so", Signal::No),
    ("no", Signal::No),
    ("nope", Signal::No),
    ("nah", Signal::No),
    ("naw", Signal::No),
    ("negative", Signal::No),
    ("not", Signal::No),
    ("never", Signal::No),
    ("never mind", Signal::No),
    ("nevermind", Signal::No),
    ("wrong", Signal::No),
    ("incorrect", Signal::No),
    ("dont", Signal::No),
    ("doesnt", Signal::No),
    ("isnt", Signal::No),
    ("wont", Signal::No),
    ("cant", Signal::No),
    ("cannot", Signal::No),
    ("rather not", Signal::No),
];

/// Whether `text` answers a yes/no question with yes (`Some(true)`), no
/// (`Some(false)`) or neither (`None`: unrelated, or unsure like "maybe").
///
/// A negative anywhere wins over a yes ("yes no actually", "yeah no", "no
/// that's not right"), because callers correct themselves mid-sentence.
/// Words such as "good" or "fine" only count in a short answer.
pub fn yes_no(text: &str) -> Option<bool> {
    let tokens = words(text);
    let short = tokens.len() <= 3;
    let mut saw_yes = false;
    let mut saw_unsure = false;
    let mut i = 0;
    while i < tokens.len() {
        let rest = &tokens[i..];
        // The longest phrase starting with this word that the words match.
        let best = phrases_by_first_word().get(rest[0].as_str()).and_then(|candidates| {
            candidates.iter().find(|(words, _)| {
                rest.len() >= words.len() && words.iter().zip(rest).all(|(word, token)| token == word)
            })
        });
        match best {
            Some((words, signal)) => {
                match signal {
                    Signal::No => return Some(false),
                    Signal::Yes => saw_yes = true,
                    Signal::WeakYes => saw_yes |= short,
                    Signal::Unsure => saw_unsure = true,
                    Signal::Nothing => {}
                }
                i += words.len();
            }
            None => i += 1,
        }
    }
    if saw_unsure {
        None
    } else if saw_yes {
        Some(true)
    } else {
        None
    }
}

/// Phrases by their first word: each phrase's words and what it signals.
type PhraseIndex = HashMap<&'static str, Vec<(Vec<&'static str>, Signal)>>;

/// [`PHRASES`] split into words once, by their first word, longest first
/// (every caller turn is read against them: a lookup per word, not a scan).
fn phrases_by_first_word() -> &'static PhraseIndex {
    static INDEX: OnceLock<PhraseIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut index = PhraseIndex::new();
        for (phrase, signal) in PHRASES {
            let words: Vec<&'static str> = phrase.split_whitespace().collect();
            index.entry(words[0]).or_default().push((words, *signal));
        }
        for candidates in index.values_mut() {
            candidates.sort_by_key(|(words, _)| std::cmp::Reverse(words.len()));
        }
        index
    })
}
