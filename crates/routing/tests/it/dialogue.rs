//! The dialogue's seams: another classifier or strategy plugs in behind its
//! ports, and a classifier that fails is "not understood", never a crash.

use std::sync::Arc;

use async_trait::async_trait;
use frontdesk_calendar::{BookingService, MemoryBookingStore};
use frontdesk_core::ManualClock;
use frontdesk_routing::scenarios::demo_profile;
use frontdesk_routing::{
    CallContext, CallState, CallerInput, ClassifyError, Dialogue, Flows, Intent, IntentClassifier, IntentStrategy,
    Next, Outcome, Reply, Understood,
};

use crate::support::{call_context, monday_morning, phone};

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
    let context = call_context(&profile, Some(&caller), Default::default());
    let reply = dialogue.respond(&context, &mut CallState::default(), said("what are your hours")).await;
    assert_eq!(reply.next, Next::WarmTransfer { to: profile.owner_phone().clone() });
}

#[tokio::test]
async fn a_failing_classifier_is_not_understood_and_the_caller_is_asked_again() {
    let profile = demo_profile("fresh-cuts");
    let dialogue = dialogue().with_classifier(Arc::new(TimesOut));
    let context = call_context(&profile, None, Default::default());
    let mut state = CallState::default();
    let reply = dialogue.respond(&context, &mut state, said("what are your hours")).await;
    assert_eq!(reply.next, Next::Listen);
    assert!(reply.say.contains("didn't quite get that"), "{}", reply.say);
    // A second failure hands the caller to a person, as any misunderstanding does.
    let reply = dialogue.respond(&context, &mut state, said("your hours please")).await;
    assert_eq!(reply.next, Next::WarmTransfer { to: profile.owner_phone().clone() });
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
    let context = call_context(&profile, None, Default::default());
    let mut state = CallState::default();
    let reply = dialogue.respond(&context, &mut state, said("do you sell hair gel")).await;
    assert!(reply.say.starts_with("From our knowledge base"), "{}", reply.say);
    assert_eq!(reply.outcome, Some(Outcome::Answered));
    // The built-in strategies still serve the other intents.
    let reply = dialogue.respond(&context, &mut state, said("what are your hours on saturday")).await;
    assert!(reply.say.contains("from 9 AM to 4 PM"), "{}", reply.say);
}

/// The barbershop's dialogue with two documents close enough that a
/// question about "lockers" could mean either.
async fn lockers_dialogue(profile: &frontdesk_tenant::TenantProfile) -> Dialogue {
    use frontdesk_rag::{Document, KnowledgeStore, MemoryKnowledgeStore, Retriever};
    let store = Arc::new(MemoryKnowledgeStore::default());
    let documents = [
        ("coats", "Coat lockers", "Coats go in the lockers by the mirror; the key hangs on the hook."),
        ("bags", "Bag lockers", "Bags go in the lockers under the bench; they lock with a code."),
    ];
    for (id, title, text) in documents {
        let document = Document::parse(id, title, "text", text).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(store.put_document(profile.slug(), &document, &[], monday_morning()).await.is_ok());
    }
    dialogue().with_knowledge(Arc::new(Retriever::new(store)))
}

#[tokio::test]
async fn after_do_you_mean_x_or_y_the_callers_pick_is_answered_not_taken_as_a_new_question() {
    let profile = demo_profile("fresh-cuts");
    let dialogue = lockers_dialogue(&profile).await;
    let context = call_context(&profile, None, Default::default());
    let coats = ("Coats go in the lockers by the mirror", "doc:coats");
    let bags = ("Bags go in the lockers under the bench", "doc:bags");
    // The order the two are offered in is the ranking's; picks by position follow it.
    let mut state = CallState::default();
    let asked = dialogue.respond(&context, &mut state, said("do you have lockers")).await;
    let offered = match asked.say.as_str() {
        "Do you mean coat lockers or bag lockers?" => [coats, bags],
        "Do you mean bag lockers or coat lockers?" => [bags, coats],
        other => panic!("not a clarifying question: {other}"),
    };
    let picks = [
        ("the bag one", vec![bags]),
        ("bags please", vec![bags]),
        ("for my coat", vec![coats]),
        ("the first one", vec![offered[0]]),
        ("um the other one", vec![offered[1]]),
        ("both", offered.to_vec()),
    ];
    for (pick, expected) in picks {
        let mut state = CallState::default();
        let asked = dialogue.respond(&context, &mut state, said("do you have lockers")).await;
        assert!(asked.say.starts_with("Do you mean"), "{pick}: {}", asked.say);
        let answered = dialogue.respond(&context, &mut state, said(pick)).await;
        for (says, _) in &expected {
            assert!(answered.say.contains(says), "{pick}: {}", answered.say);
        }
        let cites: Vec<&str> = expected.iter().map(|(_, source)| *source).collect();
        assert_eq!(answered.cited, cites, "{pick}");
        assert_eq!(answered.outcome, Some(Outcome::Answered), "{pick}");
        assert!(state.clarifying.is_empty(), "{pick}: answered once");
    }

    // Something else entirely is served as any turn would be.
    let mut state = CallState::default();
    dialogue.respond(&context, &mut state, said("do you have lockers")).await;
    let hours = dialogue.respond(&context, &mut state, said("what time do you close today")).await;
    assert!(hours.say.contains("open") || hours.say.contains("close"), "{}", hours.say);
    assert!(hours.cited.is_empty() && state.clarifying.is_empty(), "{}", hours.say);
}
