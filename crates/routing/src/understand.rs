//! The one place the dialogue asks `frontdesk-language` what a caller said.
//! Keeping it narrow lets another understanding (an LLM behind a port) slot
//! in later without touching the dialogue.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use frontdesk_tenant::TenantProfile;

use async_trait::async_trait;
pub use frontdesk_language::Intent;

/// Why a classifier could not say what the caller wants. The dialogue treats
/// any of these as "not understood" (and logs it): the caller is asked again.
#[derive(Debug, thiserror::Error)]
pub enum ClassifyError {
    /// No answer in time (a model behind a network).
    #[error("the classifier did not answer in time")]
    Timeout,
    /// The classifier's service is down or refused the request.
    #[error("the classifier is unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// The `IntentClassifier` port: what a caller wants, with confidences, best
/// first. The rule-based [`RuleBasedClassifier`] is the default; an LLM
/// classifier can take its place without the dialogue changing.
#[async_trait]
pub trait IntentClassifier: Send + Sync {
    /// Scores in `0..=1`, best first; empty when nothing matched. MUST
    /// return `Timeout` or `Unavailable` rather than wait without bound.
    async fn classify(&self, text: &str) -> Result<Vec<(Intent, f32)>, ClassifyError>;
}

/// Keyword rules from `frontdesk-language`: free, instant, no network.
pub struct RuleBasedClassifier;

#[async_trait]
impl IntentClassifier for RuleBasedClassifier {
    async fn classify(&self, text: &str) -> Result<Vec<(Intent, f32)>, ClassifyError> {
        Ok(frontdesk_language::classify(text).into_iter().map(|s| (s.intent, s.confidence)).collect())
    }
}

/// What one utterance says, as far as rules can tell.
#[derive(Debug, Clone, Default)]
pub struct Understood {
    /// Best intent and its confidence, and the runner-up.
    pub intent: Option<(Intent, f32)>,
    pub runner_up: Option<(Intent, f32)>,
    /// Canonical service name.
    pub service: Option<String>,
    pub date: Option<NaiveDate>,
    /// A concrete time (a bare "2" already read as business hours).
    pub time: Option<NaiveTime>,
    /// "in the morning" / "after 5": the earliest acceptable time, and the latest.
    pub window: Option<(NaiveTime, NaiveTime)>,
    pub name: Option<String>,
    pub yes_no: Option<bool>,
    pub code: Option<String>,
    pub staff: Option<String>,
    pub had_card_number: bool,
    /// The utterance with card numbers removed (what may be stored).
    pub redacted: String,
    /// "same time": the time asked for before still stands.
    pub same_time: bool,
    /// The caller said thank you.
    pub thanked: bool,
    /// How many digits the utterance ended on (a card number may go on in
    /// the next turn); only the count, never the digits.
    pub trailing_digits: usize,
}

pub async fn understand(
    classifier: &dyn IntentClassifier,
    text: &str,
    profile: &TenantProfile,
    now_local: NaiveDateTime,
    asked_for_name: bool,
    digits_before: usize,
) -> Understood {
    // Card numbers are gone before anything else sees the text, also one
    // the caller began in the previous turn.
    let frontdesk_language::TurnRedaction { text: redacted, had_card_number, trailing_digits } =
        frontdesk_language::redact_turn(text, digits_before);
    let scores = classifier.classify(&redacted).await.unwrap_or_else(|error| {
        tracing::warn!(%error, "could not classify what the caller said; treating it as not understood");
        Vec::new()
    });
    let intent = scores.first().copied();
    let runner_up = scores.get(1).copied();

    let service = service_named(profile, &redacted);

    let when = frontdesk_language::extract_when(&redacted, now_local);
    let date = when.date.as_ref().map(frontdesk_language::DateSpec::first);
    let time = when.time.as_ref().map(|t| t.resolve_business_hours());
    // A window is `(from, until)`; `until == 00:00` means open-ended.
    let window = match (when.part_of_day, when.after, when.before) {
        (_, Some(after), before) => Some((after, before.unwrap_or(NaiveTime::MIN))),
        (Some(part), _, _) => Some(part_of_day(part)),
        (None, None, Some(before)) => Some((NaiveTime::MIN, before)),
        _ => None,
    };
    let normalized = frontdesk_language::normalize(&redacted);
    let staff = profile
        .staff()
        .iter()
        .find(|m| {
            let first = frontdesk_tenant::normalize_phrase(m.name());
            normalized.split(' ').any(|w| first.split(' ').any(|n| n.len() > 2 && n == w))
        })
        .map(|m| m.name().to_owned());

    Understood {
        intent,
        runner_up,
        service,
        date,
        time,
        window,
        name: frontdesk_language::extract_name(&redacted, asked_for_name),
        yes_no: frontdesk_language::yes_no(&redacted),
        code: frontdesk_language::extract_code(&redacted),
        staff,
        had_card_number,
        same_time: normalized.contains("same time"),
        thanked: normalized.split(' ').any(|w| matches!(w, "thanks" | "thank" | "cheers" | "appreciate" | "ta")),
        redacted,
        trailing_digits,
    }
}

fn part_of_day(part: frontdesk_language::PartOfDay) -> (NaiveTime, NaiveTime) {
    let at = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap_or(NaiveTime::MIN);
    match part {
        frontdesk_language::PartOfDay::Morning => (at(0), at(12)),
        frontdesk_language::PartOfDay::Afternoon => (at(12), at(17)),
        frontdesk_language::PartOfDay::Evening => (at(17), NaiveTime::MIN),
    }
}

/// The shop's service `text` names (by name or alias, misheard words
/// tolerated), as its canonical name.
pub(crate) fn service_named(profile: &TenantProfile, text: &str) -> Option<String> {
    let catalog: Vec<frontdesk_language::ServiceNames> = profile
        .services()
        .iter()
        .map(|s| frontdesk_language::ServiceNames { name: s.name().to_owned(), aliases: s.aliases().to_vec() })
        .collect();
    frontdesk_language::match_service(text, &catalog).map(|m| catalog[m.index].name.clone())
}
