//! How each intent is served when a caller raises it.

use super::information::{faq_answer, hours_sentence, prices_sentence};
use super::{CallContext, CallState, Dialogue, Draft, Reply, Stage};
use crate::calls::Outcome;
use crate::understand::{Intent, Understood};

/// How one intent is served when a caller raises it: the booking flow, the
/// information answers, a hand-off to a person. New intents (or other ways of
/// serving one) plug in with [`Dialogue::with_strategy`](super::Dialogue::with_strategy).
#[async_trait::async_trait]
pub trait IntentStrategy: Send + Sync {
    /// The first reply to a caller who just asked for this; may move the call
    /// into one of the receptionist's flows for the turns that follow.
    async fn start(
        &self,
        flows: &Flows<'_>,
        context: &CallContext<'_>,
        state: &mut CallState,
        heard: &Understood,
    ) -> Reply;
}

/// What a strategy may ask of the receptionist: the flows it can hand the
/// call to, and the answers every strategy gives the same way.
pub struct Flows<'a> {
    pub(super) dialogue: &'a Dialogue,
}

/// Which change to an existing booking the caller wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Cancel,
    Reschedule,
}

impl Flows<'_> {
    /// Starts booking from what the caller said so far.
    pub async fn book(&self, context: &CallContext<'_>, state: &mut CallState, heard: &Understood) -> Reply {
        state.stage = Stage::Booking;
        state.draft = Draft::default();
        self.dialogue.booking(context, state, heard).await
    }

    /// Finds the caller's own booking to cancel or move.
    pub async fn change_booking(
        &self,
        context: &CallContext<'_>,
        state: &mut CallState,
        heard: &Understood,
        change: Change,
    ) -> Reply {
        state.draft = Draft::default();
        self.dialogue.find_booking(context, state, heard, change).await
    }

    /// A question answered; the caller is asked whether there is anything else.
    pub fn answered(&self, say: impl Into<String>) -> Reply {
        Reply::listen(say).with_outcome(Outcome::Answered)
    }

    /// "I don't know that": offers a person or a message and records the
    /// question for the owner.
    pub fn dont_know(&self, state: &mut CallState, question: &str) -> Reply {
        self.dialogue.unknown(state, question)
    }

    /// A person: the owner while open (when the plan allows), else a message.
    pub async fn person(&self, context: &CallContext<'_>, state: &mut CallState) -> Reply {
        self.dialogue.human(context, state).await
    }
}

/// Book: collect what is missing, hold, read back, confirm.
pub struct BookingStrategy;
/// Cancel or move: find the caller's booking, confirm, apply the policy.
pub struct ChangeStrategy(pub Change);
/// Hours, prices, services, location and FAQs from the profile (a shop's
/// own FAQ wins over the generic answers), then the shop's knowledge.
pub struct InformationStrategy;
/// A person: the owner while open, else a message.
pub struct EscalationStrategy;

#[async_trait::async_trait]
impl IntentStrategy for BookingStrategy {
    async fn start(
        &self,
        flows: &Flows<'_>,
        context: &CallContext<'_>,
        state: &mut CallState,
        heard: &Understood,
    ) -> Reply {
        flows.book(context, state, heard).await
    }
}

#[async_trait::async_trait]
impl IntentStrategy for ChangeStrategy {
    async fn start(
        &self,
        flows: &Flows<'_>,
        context: &CallContext<'_>,
        state: &mut CallState,
        heard: &Understood,
    ) -> Reply {
        flows.change_booking(context, state, heard, self.0).await
    }
}

#[async_trait::async_trait]
impl IntentStrategy for InformationStrategy {
    async fn start(
        &self,
        flows: &Flows<'_>,
        context: &CallContext<'_>,
        state: &mut CallState,
        heard: &Understood,
    ) -> Reply {
        if !flows.dialogue.knows(context) {
            return match information_answer(context, heard, true) {
                Some(say) => flows.answered(say),
                None => flows.dont_know(state, &heard.redacted),
            };
        }
        // Hours, prices, services and the address: the shop's FAQ or the
        // profile's templates, as without knowledge. Any other question: the
        // retriever decides (FAQs included, with its honest "not found").
        let intent = heard.intent.map(|(intent, _)| intent);
        let templated =
            matches!(intent, Some(Intent::AskHours | Intent::AskPrices | Intent::AskServices | Intent::AskLocation));
        if templated && let Some(say) = information_answer(context, heard, true) {
            return flows.answered(say);
        }
        if let Some(reply) = flows.dialogue.knowledge_reply(context, state, &heard.redacted).await {
            return reply;
        }
        match information_answer(context, heard, false) {
            Some(say) => flows.answered(say),
            None => flows.dont_know(state, &heard.redacted),
        }
    }
}

/// The answer to an information question from the profile alone, with the
/// question that follows it, or `None` when the profile does not cover it.
pub(crate) fn information_answer(context: &CallContext<'_>, heard: &Understood, faq: bool) -> Option<String> {
    let answer = answer_from_profile(context, heard, faq)?;
    let follow_up = match heard.intent.map(|(intent, _)| intent) {
        Some(Intent::AskPrices | Intent::AskServices) if faq_answer(context.profile, heard).is_none() => {
            "Would you like to book?"
        }
        _ => "Anything else?",
    };
    Some(format!("{answer} {follow_up}"))
}

/// The bare answer (no follow-up question) from the profile: the shop's own
/// FAQ when one answers it (and `faq` asks for the FAQ matcher), else the
/// hours, prices, services or address.
pub(crate) fn answer_from_profile(context: &CallContext<'_>, heard: &Understood, faq: bool) -> Option<String> {
    let profile = context.profile;
    if faq && let Some(answer) = faq_answer(profile, heard) {
        return Some(answer);
    }
    match heard.intent.map(|(intent, _)| intent) {
        Some(Intent::AskHours) => Some(hours_sentence(profile, heard.date)),
        Some(Intent::AskPrices | Intent::AskServices) => prices_sentence(profile, heard),
        // "How long does a haircut take?", "do you do kids cuts?": what the
        // profile says of the service named (an unlisted one gets nothing).
        Some(Intent::Question) if heard.service.is_some() => prices_sentence(profile, heard),
        Some(Intent::AskLocation) => profile.address().map(|address| format!("We're at {address}")),
        _ => None,
    }
}

#[async_trait::async_trait]
impl IntentStrategy for EscalationStrategy {
    async fn start(
        &self,
        flows: &Flows<'_>,
        context: &CallContext<'_>,
        state: &mut CallState,
        _heard: &Understood,
    ) -> Reply {
        flows.person(context, state).await
    }
}
