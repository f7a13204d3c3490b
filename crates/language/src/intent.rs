//! What the caller wants, scored by keyword and phrase rules.

use crate::text::words;
use crate::yes_no::yes_no;

/// What a caller's utterance is trying to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Intent {
    Book,
    Cancel,
    Reschedule,
    AskHours,
    AskPrices,
    AskServices,
    AskLocation,
    /// Any other question ("do you take insurance").
    Question,
    /// Wants to talk to a person.
    Human,
    /// Did not hear or understand ("say that again", "pardon").
    Repeat,
    Yes,
    No,
    Goodbye,
}

/// One candidate intent and how sure the rules are, in `0.0..=1.0`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IntentScore {
    pub intent: Intent,
    pub confidence: f32,
}

/// Patterns are words separated by spaces; `a|b` accepts either word and `..`
/// skips up to three words ("move .. appointment" matches "move my 3 pm
/// appointment").
const PATTERNS: &[(Intent, &str, f32)] = &[
    // Book
    (Intent::Book, "book", 0.75),
    (Intent::Book, "make|schedule|set|get|need|want|grab|like|book .. appointment|appt", 0.8),
    (Intent::Book, "appointment|appt", 0.35),
    (Intent::Book, "schedule", 0.6),
    (Intent::Book, "reserve|reservation", 0.7),
    (Intent::Book, "come in|by", 0.4),
    (Intent::Book, "id|i|we .. like|want|need a|an|some", 0.5),
    (Intent::Book, "like|want|need to get|come|book|see|schedule", 0.45),
    (Intent::Book, "can|could|may i|we get|have|grab|do|come", 0.45),
    (Intent::Book, "looking to|for get|a|an", 0.45),
    (Intent::Book, "available|availability|openings|opening|slot|slots|spot|spots", 0.55),
    (Intent::Book, "do you have .. time|room|space|anything|something|spots|openings", 0.55),
    (Intent::Book, "fit|squeeze|get me in", 0.8),
    (Intent::Book, "anything|something|time|times|spot|spots|slot|slots open|free|available|left", 0.75),
    (Intent::Book, "how|what about", 0.4),
    (Intent::Book, "am|pm|oclock|noon|morning|afternoon|evening|weekend", 0.25),
    (Intent::Book, "hurts|hurting|pain|ache|toothache|emergency|urgent|broke|broken|chipped", 0.45),
    (Intent::Book, "haircut|cut|trim|fade|shave|buzz|beard|cleaning|checkup|whitening|filling", 0.25),
    (Intent::Book, "today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday", 0.2),
    // Cancel
    (Intent::Cancel, "cancel|cancelling|canceling|cancelled|canceled", 0.9),
    (Intent::Cancel, "cancellation", 0.5),
    (Intent::Cancel, "cant|cannot make it", 0.8),
    (Intent::Cancel, "wont be able to make|come", 0.75),
    (Intent::Cancel, "not going to make it", 0.75),
    (Intent::Cancel, "not be able to make|come", 0.7),
    (Intent::Cancel, "cant|cannot come", 0.6),
    (Intent::Cancel, "call off", 0.7),
    (Intent::Cancel, "remove|delete|drop .. appointment|booking|reservation", 0.7),
    (Intent::Cancel, "dont need .. appointment|booking|it", 0.6),
    (Intent::Cancel, "no longer need|want|make", 0.6),
    (Intent::Cancel, "something came up", 0.45),
    // Reschedule
    (Intent::Reschedule, "reschedule|rescheduling|rebook|rebooking|rescheduled", 0.95),
    (
        Intent::Reschedule,
        "move|change|switch|push|shift|bump .. appointment|booking|appt|reservation|time|date|day",
        0.8,
    ),
    (Intent::Reschedule, "move|push|bump|shift it", 0.7),
    // "move my haircut to Friday": the booking named by its service.
    (Intent::Reschedule, "move|push|bump|shift my", 0.85),
    (Intent::Reschedule, "push .. back", 0.6),
    (Intent::Reschedule, "different|another|other|new time|day|date|slot", 0.55),
    (Intent::Reschedule, "earlier|later time|slot|appointment", 0.45),
    (Intent::Reschedule, "instead", 0.35),
    (Intent::Reschedule, "something came up", 0.4),
    // AskHours
    (Intent::AskHours, "hours", 0.8),
    (Intent::AskHours, "what time .. open|close|closing|opening|opens|closes", 0.9),
    (Intent::AskHours, "when .. open|close|closing|opening|opens|closes", 0.9),
    (Intent::AskHours, "are|is .. open", 0.8),
    (Intent::AskHours, "you guys open", 0.85),
    (Intent::AskHours, "open|opened|opens", 0.55),
    (Intent::AskHours, "close|closed|closing|closes", 0.55),
    (Intent::AskHours, "how late|early", 0.8),
    (Intent::AskHours, "until|till what time", 0.8),
    // AskPrices
    (Intent::AskPrices, "how much", 0.9),
    (Intent::AskPrices, "price|prices|pricing|priced", 0.9),
    (Intent::AskPrices, "cost|costs|costing", 0.85),
    (Intent::AskPrices, "charge|charges", 0.75),
    (Intent::AskPrices, "expensive|cheap|affordable", 0.6),
    (Intent::AskPrices, "fee|fees|rate|rates", 0.55),
    (Intent::AskPrices, "discount|discounts|coupon|deal|deals|specials", 0.5),
    (Intent::AskPrices, "dollars|bucks", 0.3),
    // AskServices
    (Intent::AskServices, "what .. services", 0.9),
    (Intent::AskServices, "services", 0.7),
    (Intent::AskServices, "what .. do you offer|provide|do", 0.85),
    (Intent::AskServices, "offer|offering|provide", 0.55),
    (Intent::AskServices, "menu", 0.6),
    (Intent::AskServices, "what kind|kinds|type|types|sort|sorts of", 0.6),
    (Intent::AskServices, "do you do|cut|offer|provide|handle", 0.55),
    (Intent::AskServices, "can you do", 0.4),
    // AskLocation
    (Intent::AskLocation, "where .. you|located|office|shop|clinic|place|store|salon|building", 0.9),
    (Intent::AskLocation, "where", 0.5),
    (Intent::AskLocation, "located|location|locations", 0.85),
    (Intent::AskLocation, "address", 0.85),
    (Intent::AskLocation, "directions", 0.85),
    (Intent::AskLocation, "parking", 0.8),
    (Intent::AskLocation, "park", 0.6),
    (Intent::AskLocation, "get there|here", 0.6),
    (Intent::AskLocation, "how do|can i get", 0.5),
    (Intent::AskLocation, "which|what|cross street", 0.8),
    (Intent::AskLocation, "near|nearest|nearby|far", 0.4),
    (Intent::AskLocation, "close to", 0.4),
    (Intent::AskLocation, "train|subway|bus|station|garage", 0.45),
    (Intent::AskLocation, "find you", 0.7),
    // Question: things we can only answer from the tenant's FAQ.
    (Intent::Question, "insurance|insured", 0.85),
    (Intent::Question, "walk ins|in", 0.75),
    (Intent::Question, "walkin|walkins", 0.75),
    (Intent::Question, "accept|take .. card|cards|cash|credit|debit|apple|google|venmo|payment|payments|checks", 0.8),
    (Intent::Question, "pay|payment", 0.5),
    (Intent::Question, "how long", 0.7),
    (Intent::Question, "running|be late", 0.7),
    (Intent::Question, "cancellation policy|fee", 0.9),
    (Intent::Question, "gift card|cards|certificate", 0.75),
    (Intent::Question, "question|questions", 0.6),
    (Intent::Question, "do you see|treat|take", 0.45),
    (Intent::Question, "is it ok|okay|possible to", 0.5),
    (Intent::Question, "robot|bot|machine|computer|ai", 0.4),
    // Human
    (Intent::Human, "real|actual|live person|human|agent|somebody|someone", 0.95),
    (Intent::Human, "human", 0.9),
    (Intent::Human, "operator|representative|receptionist", 0.9),
    (
        Intent::Human,
        "talk|speak .. someone|somebody|person|people|staff|barber|dentist|doctor|hygienist|manager|owner",
        0.85,
    ),
    (Intent::Human, "manager|owner|agent", 0.6),
    (Intent::Human, "talk|speak to|with", 0.45),
    (Intent::Human, "transfer|connect .. me", 0.8),
    (Intent::Human, "put me through", 0.8),
    (Intent::Human, "robot|bot|machine|computer", 0.5),
    (Intent::Human, "voicemail|message", 0.5),
    (Intent::Human, "call me back", 0.5),
    // Repeat
    (Intent::Repeat, "say that|it again", 0.95),
    (Intent::Repeat, "say again", 0.9),
    (Intent::Repeat, "repeat|repeating", 0.9),
    (Intent::Repeat, "pardon", 0.9),
    (Intent::Repeat, "come again", 0.9),
    (Intent::Repeat, "what did you say", 0.9),
    (Intent::Repeat, "what was that", 0.8),
    (Intent::Repeat, "didnt|couldnt|cant|not catch|hear", 0.9),
    (Intent::Repeat, "didnt|not get that", 0.8),
    (Intent::Repeat, "one more time", 0.75),
    (Intent::Repeat, "sorry what", 0.85),
    (Intent::Repeat, "excuse me", 0.6),
    (Intent::Repeat, "slower|slow down", 0.6),
    (Intent::Repeat, "cutting|breaking out|up", 0.6),
    (Intent::Repeat, "huh", 0.7),
    (Intent::Repeat, "are you|anyone|anybody still|there", 0.7),
    (Intent::Repeat, "again", 0.35),
    // Goodbye
    (Intent::Goodbye, "bye|goodbye|byebye|bye-bye", 0.9),
    (Intent::Goodbye, "good bye", 0.9),
    (Intent::Goodbye, "good night", 0.8),
    (Intent::Goodbye, "have a good|great|nice|lovely day|one|night|weekend|evening", 0.8),
    (Intent::Goodbye, "see you|ya", 0.55),
    (Intent::Goodbye, "talk to you later", 0.85),
    (Intent::Goodbye, "take care", 0.8),
    (Intent::Goodbye, "thats all|everything", 0.75),
    (Intent::Goodbye, "nothing else", 0.8),
    (Intent::Goodbye, "thats it", 0.45),
    (Intent::Goodbye, "all set|good", 0.45),
    (Intent::Goodbye, "hang up", 0.6),
    (Intent::Goodbye, "thanks|thank|cheers", 0.35),
];

/// Words that make the following intent phrase negative ("I don't want to cancel").
const NEGATORS: &[&str] = &["dont", "not", "never", "doesnt", "didnt", "wont", "shouldnt"];

/// Words that open a question.
const QUESTION_OPENERS: &[&str] = &[
    "what", "whats", "when", "whens", "where", "wheres", "who", "whos", "why", "how", "hows", "which", "do", "does",
    "did", "can", "could", "is", "are", "will", "would", "should", "may", "have", "has", "any",
];

/// The specific intents; a generic [`Intent::Question`] only scores what they leave.
const SPECIFIC: &[Intent] = &[
    Intent::Book,
    Intent::Cancel,
    Intent::Reschedule,
    Intent::AskHours,
    Intent::AskPrices,
    Intent::AskServices,
    Intent::AskLocation,
    Intent::Human,
    Intent::Repeat,
];

const ALL: &[Intent] = &[
    Intent::Book,
    Intent::Cancel,
    Intent::Reschedule,
    Intent::AskHours,
    Intent::AskPrices,
    Intent::AskServices,
    Intent::AskLocation,
    Intent::Question,
    Intent::Human,
    Intent::Repeat,
    Intent::Yes,
    Intent::No,
    Intent::Goodbye,
];

const MAX_CONFIDENCE: f32 = 0.98;

/// Scores every intent the text gives evidence for, best first.
///
/// Confidences are in `0.0..=1.0`; intents with no evidence are left out, so
/// empty or meaningless text gives an empty list. Evidence for one intent is
/// combined as independent clues (`1 - Π(1 - w)`), so two weak clues beat one,
/// and genuinely ambiguous text ("cancel and rebook") gives close scores at the
/// top: callers should ask a clarifying question when the top two are close.
pub fn classify(text: &str) -> Vec<IntentScore> {
    let tokens = words(text);
    if tokens.is_empty() {
        return Vec::new();
    }
    let mut evidence: Vec<(Intent, f32)> = Vec::new();
    for (intent, parts, weight) in COMPILED.iter() {
        if let Some(negated) = find(&tokens, parts) {
            evidence.push((*intent, if negated { weight * 0.25 } else { *weight }));
        }
    }
    if tokens.len() == 1 && tokens[0] == "what" {
        evidence.push((Intent::Repeat, 0.75));
    }
    // A yes or no is the whole point of a short answer, and a side remark in
    // a request ("transfer me please").
    let strongest_request = strongest(&evidence, SPECIFIC);
    let mut answer_weight = if tokens.len() <= 4 { 0.9 } else { 0.55 } * (1.0 - 0.5 * strongest_request);
    // "is 10 am ok?" asks rather than answers.
    if looks_like_question(&tokens) {
        answer_weight *= 0.6;
    }
    match yes_no(text) {
        Some(true) => evidence.push((Intent::Yes, answer_weight)),
        Some(false) => evidence.push((Intent::No, answer_weight)),
        None => {}
    }

    let mut scores: Vec<IntentScore> = ALL
        .iter()
        .map(|&intent| {
            let miss = evidence.iter().filter(|(i, _)| *i == intent).fold(1.0f32, |miss, (_, w)| miss * (1.0 - w));
            IntentScore { intent, confidence: (1.0 - miss).min(MAX_CONFIDENCE) }
        })
        .collect();

    let strongest_specific =
        scores.iter().filter(|s| SPECIFIC.contains(&s.intent)).map(|s| s.confidence).fold(0.0f32, f32::max);
    if looks_like_question(&tokens) {
        let generic = 0.55 * (1.0 - strongest_specific);
        if let Some(question) = scores.iter_mut().find(|s| s.intent == Intent::Question) {
            question.confidence = 1.0 - (1.0 - question.confidence) * (1.0 - generic);
        }
    }

    scores.retain(|s| s.confidence > 0.0);
    scores.sort_by(|a, b| b.confidence.total_cmp(&a.confidence).then(a.intent.cmp(&b.intent)));
    scores
}

/// The highest single piece of evidence for any of `intents`.
fn strongest(evidence: &[(Intent, f32)], intents: &[Intent]) -> f32 {
    evidence.iter().filter(|(intent, _)| intents.contains(intent)).map(|(_, weight)| *weight).fold(0.0, f32::max)
}

fn looks_like_question(tokens: &[String]) -> bool {
    // "how about 3" proposes rather than asks.
    let proposal = matches!(tokens.get(1).map(String::as_str), Some("about"));
    let opener = !proposal && tokens.first().is_some_and(|first| QUESTION_OPENERS.contains(&first.as_str()));
    let asks = ["wondering", "wonder", "curious", "tell me", "know if", "know whether"]
        .iter()
        .any(|cue| crate::text::contains_phrase(tokens, cue));
    opener || asks
}

/// [`PATTERNS`] compiled once.
static COMPILED: std::sync::LazyLock<Vec<(Intent, Vec<Part<'static>>, f32)>> = std::sync::LazyLock::new(|| {
    PATTERNS.iter().map(|(intent, pattern, weight)| (*intent, compile(pattern), *weight)).collect()
});

enum Part<'a> {
    Word(Vec<&'a str>),
    Gap,
}

fn compile(pattern: &str) -> Vec<Part<'_>> {
    pattern
        .split_whitespace()
        .map(|word| if word == ".." { Part::Gap } else { Part::Word(word.split('|').collect()) })
        .collect()
}

/// `Some(negated)` when the pattern occurs; negated when every occurrence
/// follows a negator within three words.
fn find(tokens: &[String], parts: &[Part<'_>]) -> Option<bool> {
    let mut found = None;
    for start in 0..tokens.len() {
        if !matches_at(tokens, parts, start) {
            continue;
        }
        // "uh huh" is agreement, not "huh?".
        if start > 0 && tokens[start] == "huh" && tokens[start - 1] == "uh" {
            continue;
        }
        let negated = tokens[start.saturating_sub(3)..start].iter().any(|t| NEGATORS.contains(&t.as_str()));
        if !negated {
            return Some(false);
        }
        found = Some(true);
    }
    found
}

fn matches_at(tokens: &[String], parts: &[Part<'_>], position: usize) -> bool {
    let Some((first, rest)) = parts.split_first() else {
        return true;
    };
    match first {
        Part::Word(alternatives) => {
            tokens.get(position).is_some_and(|token| alternatives.contains(&token.as_str()))
                && matches_at(tokens, rest, position + 1)
        }
        Part::Gap => (0..=3).any(|skip| position + skip <= tokens.len() && matches_at(tokens, rest, position + skip)),
    }
}
