//! The dialogue's seams: another classifier or strategy plugs in behind its
//! ports, and a classifier that fails is "not understood", never a crash.

use std::sync::Arc;

use async_trait::async_trait;
use frontdesk_calendar::{BookingService, MemoryBookingStore};
use frontdesk_core::ManualClock;
use frontdesk_routing::{
    CallContext, CallState, CallerInput, ClassifyError, Dialogue, Flows, Intent, IntentClassifier, IntentStrategy,
    Next, Outcome, Reply, Understood,
};

use crate::support::{demo_profile, monday_morning, phone};

fn dialogue() -> Dialogue {
    let clock = Arc::new(ManualClock::new(monday_morning()));
    Dialogue::new(Arc::new(BookingService::new(Arc::new(MemoryBookingStore::new()), clock)))
}

fn said(words: &str) -> CallerInput {
    CallerInput { speech: Some(words.to_owned()), digits: None }
}

/// A classifier that hears every caller as asking for a person.
struct AlwaysAPerson;

#[async_trait]
impl IntentClassifier for AlwaysAPerson {
    async fn classify(&self, _text: &str) -> Result<Vec<(Intent, f32)>, ClassifyError> {
        Ok(vec![(Intent::Human, 0.99)])
    }
}

/// A classifier whose model never answers in time.
struct TimesOut;

#[async_trait]
impl IntentClassifier for TimesOut {
    async fn classify(&self, _text: &str) -> Result<Vec<(Intent, f32)>, ClassifyError> {
        Err(ClassifyError::Timeout)
    }
}

#[tokio::test]
async fn another_intent_classifier_plugs_in_behind_the_port() {
    let profile = demo_profile("fresh-cuts");
    let caller = phone("+15555551234");
    let dialogue = dialogue().with_classifier(Arc::new(AlwaysAPerson));
    let context = CallContext {
        profile: &profile,
        caller: Some(&caller),
        now: monday_morning(),
        policy: Default::default(),
        spent: Default::default(),
    };
    let reply = dialogue.respond(&context, &mut CallState::default(), said("what are your hours")).await;
    assert_eq!(reply.next, Next::Transfer { to: profile.owner_phone().clone() });
}

#[tokio::test]
async fn a_failing_classifier_is_not_understood_and_the_caller_is_asked_again() {
    let profile = demo_profile("fresh-cuts");
    let dialogue = dialogue().with_classifier(Arc::new(TimesOut));
    let context = CallContext {
        profile: &profile,
        caller: None,
        now: monday_morning(),
        policy: Default::default(),
        spent: Default::default(),
    };
    let mut state = CallState::default();
    let reply = dialogue.respond(&context, &mut state, said("what are your hours")).await;
    assert_eq!(reply.next, Next::Listen);
    assert!(reply.say.contains("didn't quite get that"), "{}", reply.say);
    // A second failure hands the caller to a person, as any misunderstanding does.
    let reply = dialogue.respond(&context, &mut state, said("your hours please")).await;
    assert_eq!(reply.next, Next::Transfer { to: profile.owner_phone().clone() });
}

/// Answers every general question from a (pretend) knowledge base.
struct KnowledgeBase;

#[async_trait]
impl IntentStrategy for KnowledgeBase {
    async fn start(
        &self,
        flows: &Flows<'_>,
        _context: &CallContext<'_>,
        _state: &mut CallState,
        heard: &Understood,
    ) -> Reply {
        flows.answered(format!("From our knowledge base about {:?}: yes.", heard.redacted))
    }
}

#[tokio::test]
async fn an_intent_strategy_plugs_in_through_the_flows() {
    let profile = demo_profile("fresh-cuts");
    let dialogue = dialogue().with_strategy(Intent::Question, Arc::new(KnowledgeBase));
    let context = CallContext {
        profile: &profile,
        caller: None,
        now: monday_morning(),
        policy: Default::default(),
        spent: Default::default(),
    };
    let mut state = CallState::default();
    let reply = dialogue.respond(&context, &mut state, said("do you sell hair gel")).await;
    assert!(reply.say.starts_with("From our knowledge base"), "{}", reply.say);
    assert_eq!(reply.outcome, Some(Outcome::Answered));
    // The built-in strategies still serve the other intents.
    let reply = dialogue.respond(&context, &mut state, said("what are your hours on saturday")).await;
    assert!(reply.say.contains("from 9 AM to 4 PM"), "{}", reply.say);
}
