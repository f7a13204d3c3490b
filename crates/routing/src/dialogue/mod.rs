//! The rule-based receptionist: one turn at a time, from what the caller said
//! to what we say and do next. State lives in [`CallState`], serialised into
//! the call record, so any gateway process can serve any turn.
//!
//! Booking flow: take every detail the caller gives, ask only for what is
//! missing, never propose a closed or taken time (offer the two nearest
//! instead), hold the slot while reading it back, and book only after an
//! explicit yes.

mod assist;
mod booking;
mod change;
mod information;
mod speech;
mod strategy;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};
use frontdesk_billing::TokenCount;
use frontdesk_calendar::{BookingId, BookingService, HoldId};
use frontdesk_core::E164;
use frontdesk_rag::{QuestionVectors, Retriever, SourceKind, Verdict};
use frontdesk_tenant::TenantProfile;
use serde::{Deserialize, Serialize};

use crate::calls::{NearestPassage, Outcome};
use crate::spend::{ModelSpend, ModelUse};
use crate::understand::{Intent, IntentClassifier, RuleBasedClassifier, Understood, understand};

pub(crate) use assist::{Action, Ran, parse, shop_facts, tool_specs};
pub use assist::{MAX_MODEL_TOKENS, MAX_MODEL_TURNS, MAX_STEPS, MODEL_DEADLINE};
pub use information::hours_sentence;
pub use speech::{spoken_clock, spoken_date, spoken_slot, spoken_when};
pub use strategy::{
    BookingStrategy, Change, ChangeStrategy, EscalationStrategy, Flows, InformationStrategy, IntentStrategy,
};

use speech::digits_as_words;

/// Below this the top intent is a guess: ask instead.
const MIN_CONFIDENCE: f32 = 0.35;
/// Top two intents this close: ask which one.
const MIN_MARGIN: f32 = 0.1;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stage {
    #[default]
    Menu,
    Booking,
    /// A slot is held and read back once the caller gives a name.
    AskName,
    ChooseOption,
    ConfirmBooking,
    CancelFind,
    CancelConfirm,
    RescheduleWhen,
    RescheduleConfirm,
    OfferHelp,
    Ended,
}

/// What the caller asked for so far.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    pub service: Option<String>,
    pub date: Option<NaiveDate>,
    pub time: Option<NaiveTime>,
    pub window: Option<(NaiveTime, NaiveTime)>,
    pub staff: Option<String>,
    pub name: Option<String>,
    /// The held slot being read back.
    #[serde(with = "as_text")]
    pub hold: Option<HoldId>,
    pub slot_start: Option<DateTime<Utc>>,
    pub slot_staff: Option<String>,
    /// Alternatives offered (start, staff).
    pub options: Vec<(DateTime<Utc>, Option<String>)>,
    /// The booking being cancelled or moved.
    #[serde(with = "as_text")]
    pub booking: Option<BookingId>,
    /// Looking for a booking to move rather than to cancel.
    pub rescheduling: bool,
    /// The last time of day the caller asked for, kept for "same time".
    #[serde(default)]
    pub asked_time: Option<NaiveTime>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CallState {
    pub stage: Stage,
    pub draft: Draft,
    pub silences: u32,
    pub misunderstandings: u32,
    pub last_prompt: String,
    pub asked_for_name: bool,
    /// How many digits the caller's last turn ended on (see
    /// `frontdesk_language::redact_turn`); never the digits themselves.
    #[serde(default)]
    pub trailing_digits: usize,
    /// The last answer was about opening hours ("what about Saturday?" follows up).
    #[serde(default)]
    pub answered_hours: bool,
    /// The shop's AI budget was spent when the call started: no paid model
    /// is called for the rest of the call.
    #[serde(default)]
    pub ai_budget_spent: bool,
    /// The two passages a "do you mean X or Y?" offered, until the caller
    /// picks one (or says something else).
    #[serde(default)]
    pub clarifying: Vec<KnowledgeChoice>,
    /// The language model's turns on this call so far, and their tokens
    /// (capped per call: `assist::MAX_MODEL_TURNS`, `MAX_MODEL_TOKENS`).
    #[serde(default)]
    pub model_turns: u32,
    #[serde(default)]
    pub model_tokens: u64,
    /// The last exchanges of the call (card numbers removed), which the
    /// model sees; kept only while a model may serve the call.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recent: Vec<Exchange>,
    /// This turn's closest passage when the knowledge did not answer (kept
    /// only for the turn: recorded with the question).
    #[serde(skip)]
    pub nearest_miss: Option<NearestPassage>,
    /// The call was handed to a person with a warm transfer: only their
    /// acceptance (a press of 1) means they took it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub warm_transfer: bool,
    /// The receptionist never answered: AI answering was suspended when the
    /// call started and it was forwarded to the owner. Its minutes are
    /// costed but never billed to the shop (`CallMinutes::ForwardedToOwner`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub forwarded_to_owner: bool,
    /// A realtime voice model served (part of) the call: its turn latencies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realtime: Option<crate::realtime::RealtimeLatency>,
}

/// One exchange of a call: what the caller said, what they heard back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exchange {
    pub caller: String,
    pub receptionist: String,
}

/// One of the passages a clarifying question offered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnowledgeChoice {
    /// The source id kept in the transcript (`doc:parking`, `faq:2`).
    pub source: String,
    /// As offered ("parking", "kids and teens").
    pub title: String,
    /// What is said when it is picked; `None` for the profile's structured
    /// facts (prices, hours…), which are only spoken from the profile.
    pub answer: Option<String>,
}

/// Ids kept in the state as their text (the state is our own JSON).
mod as_text {
    use std::fmt::Display;
    use std::str::FromStr;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer, T: Display>(value: &Option<T>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(id) => serializer.collect_str(id),
            None => serializer.serialize_none(),
        }
    }

    /// An id that no longer parses is dropped (the flow asks again).
    pub fn deserialize<'de, D: Deserializer<'de>, T: FromStr>(deserializer: D) -> Result<Option<T>, D::Error> {
        let raw: Option<String> = Option::deserialize(deserializer)?;
        Ok(raw.and_then(|r| r.parse().ok()))
    }
}

impl CallState {
    /// The caller is in the middle of booking, moving or cancelling: hanging
    /// up now loses a booking.
    pub fn is_mid_booking(&self) -> bool {
        matches!(
            self.stage,
            Stage::Booking
                | Stage::AskName
                | Stage::ChooseOption
                | Stage::ConfirmBooking
                | Stage::CancelFind
                | Stage::CancelConfirm
                | Stage::RescheduleWhen
                | Stage::RescheduleConfirm
        )
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }

    /// A state that no longer parses starts over rather than failing the call.
    pub fn from_json(raw: &str) -> CallState {
        serde_json::from_str(raw).unwrap_or_default()
    }
}

/// What happens after we speak.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Listen for the caller's answer.
    Listen,
    /// Connect the caller to the owner.
    Transfer {
        to: E164,
    },
    /// Ring a person with a whispered summary first: only their press of 1
    /// connects the caller; no answer, a decline or their voicemail leaves
    /// the caller with us (a message and a callback).
    WarmTransfer {
        to: E164,
    },
    /// Record a message.
    Voicemail,
    Hangup,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub say: String,
    pub next: Next,
    pub outcome: Option<Outcome>,
    pub booking_id: Option<BookingId>,
    /// A question we could not answer, for the owner.
    pub unanswered: Option<String>,
    /// The caller's words as they may be stored (card numbers removed).
    pub heard: Option<String>,
    /// The question this reply asks, when `say` adds more around it (an
    /// apology, an answer): what is asked again if the caller needs it.
    pub prompt: Option<String>,
    /// The knowledge `say` answers from (source ids), kept in the transcript.
    pub cited: Vec<String>,
    /// With `unanswered`: the passage that came closest.
    pub nearest: Option<NearestPassage>,
}

impl Reply {
    fn listen(say: impl Into<String>) -> Reply {
        Reply {
            say: say.into(),
            next: Next::Listen,
            outcome: None,
            booking_id: None,
            unanswered: None,
            heard: None,
            prompt: None,
            cited: Vec::new(),
            nearest: None,
        }
    }

    /// `say` first, then `prompt`; `prompt` alone is asked again later.
    pub(crate) fn asking(say: &str, prompt: String) -> Reply {
        let mut reply = Reply::listen(format!("{say} {prompt}"));
        reply.prompt = Some(prompt);
        reply
    }

    fn with_outcome(mut self, outcome: Outcome) -> Reply {
        self.outcome = Some(outcome);
        self
    }
}

/// What the caller sent this turn.
#[derive(Debug, Clone, Default)]
pub struct CallerInput {
    pub speech: Option<String>,
    pub digits: Option<String>,
}

/// The call as the dialogue sees it.
pub struct CallContext<'a> {
    pub profile: &'a TenantProfile,
    pub caller: Option<&'a E164>,
    pub now: DateTime<Utc>,
    /// What the shop's plan and flags allow on this call.
    pub policy: CallPolicy,
    /// The paid model calls this turn made, metered after it.
    pub spent: ModelSpend,
}

/// What the receptionist may do on a call, from the tenant's feature flags.
/// The default allows everything (the dialogue's full behaviour).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallPolicy {
    /// Book, move and cancel appointments; off, take a message instead.
    pub ai_booking: bool,
    /// Transfer to a person when asked or unsure; off, take a message.
    pub human_fallback: bool,
    /// Answer outside business hours; off, straight to voicemail then.
    pub after_hours_answering: bool,
    /// Answer questions from the shop's knowledge (its documents and
    /// profile, through the retriever); off, from the profile's FAQs and
    /// templates only.
    pub knowledge: bool,
    /// Call paid models (embedding a question, a language model); off once
    /// the shop's AI budget is spent: rules and offline retrieval only.
    pub paid_ai: bool,
    /// A language model serves the turns the rules cannot (when one is
    /// configured and `paid_ai` allows it).
    pub llm_dialogue: bool,
    /// A realtime voice model may answer the call (Pro's
    /// `enable_realtime_voice`, when one is configured and `paid_ai`
    /// allows it). Off by default: the turn-by-turn path serves everyone.
    pub realtime_voice: bool,
}

impl Default for CallPolicy {
    fn default() -> CallPolicy {
        CallPolicy {
            ai_booking: true,
            human_fallback: true,
            after_hours_answering: true,
            knowledge: true,
            paid_ai: true,
            llm_dialogue: true,
            realtime_voice: false,
        }
    }
}

impl CallContext<'_> {
    fn local_now(&self) -> chrono::NaiveDateTime {
        self.now.with_timezone(&self.profile.timezone()).naive_local()
    }

    /// Whether the shop is open right now.
    pub fn is_open(&self) -> bool {
        shop_is_open(self.profile, self.now)
    }

    fn at(&self, date: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
        self.profile.timezone().from_local_datetime(&date.and_time(time)).earliest().map(|t| t.with_timezone(&Utc))
    }
}

/// Whether `profile`'s shop is open at `at` (its hours that weekday, not a
/// closure day): a call outside is an after-hours call.
pub fn shop_is_open(profile: &TenantProfile, at: DateTime<Utc>) -> bool {
    let local = at.with_timezone(&profile.timezone());
    if profile.is_closure(local.date_naive()) {
        return false;
    }
    let minute = (local.time().num_seconds_from_midnight() / 60) as u16;
    profile
        .hours()
        .on(local.weekday())
        .iter()
        .any(|r| r.start().minutes_since_midnight() <= minute && minute < r.end().minutes_since_midnight())
}

pub struct Dialogue {
    bookings: Arc<BookingService>,
    classifier: Arc<dyn IntentClassifier>,
    strategies: HashMap<Intent, Arc<dyn IntentStrategy>>,
    /// The shop's knowledge, when answers may come from it.
    knowledge: Option<Arc<Retriever>>,
    /// The language model for turns the rules cannot serve (`assist.rs`).
    model: Option<Arc<dyn frontdesk_llm::LanguageModel>>,
}

impl Dialogue {
    /// With the rule-based classifier.
    pub fn new(bookings: Arc<BookingService>) -> Dialogue {
        let information: Arc<dyn IntentStrategy> = Arc::new(InformationStrategy);
        let strategies: HashMap<Intent, Arc<dyn IntentStrategy>> = [
            (Intent::Book, Arc::new(BookingStrategy) as Arc<dyn IntentStrategy>),
            (Intent::Cancel, Arc::new(ChangeStrategy(Change::Cancel))),
            (Intent::Reschedule, Arc::new(ChangeStrategy(Change::Reschedule))),
            (Intent::AskHours, information.clone()),
            (Intent::AskPrices, information.clone()),
            (Intent::AskServices, information.clone()),
            (Intent::AskLocation, information.clone()),
            (Intent::Question, information),
            (Intent::Human, Arc::new(EscalationStrategy)),
        ]
        .into_iter()
        .collect();
        Dialogue { bookings, classifier: Arc::new(RuleBasedClassifier), strategies, knowledge: None, model: None }
    }

    /// Questions the profile's FAQs and templates do not answer are asked
    /// of the shop's knowledge (when the call's policy allows it).
    pub fn with_knowledge(mut self, retriever: Arc<Retriever>) -> Dialogue {
        self.knowledge = Some(retriever);
        self
    }

    /// The answer from the shop's knowledge: its passage, read as it is
    /// (Answer), or which of two it means (Clarify). `None` when the policy
    /// or the setup leaves knowledge out, when nothing answers, or when the
    /// best passage is a price, hours, a date or the address (those are
    /// only ever spoken from the profile's own data), or when the knowledge
    /// cannot be read (the caller then hears the honest "I don't know").
    /// Whether this call's questions go to the shop's knowledge.
    pub(super) fn knows(&self, context: &CallContext<'_>) -> bool {
        self.knowledge.is_some() && context.policy.knowledge
    }

    pub(super) async fn knowledge_reply(
        &self,
        context: &CallContext<'_>,
        state: &mut CallState,
        question: &str,
    ) -> Option<Reply> {
        let retriever = self.knowledge.as_ref().filter(|_| context.policy.knowledge)?;
        let vectors = if context.policy.paid_ai { QuestionVectors::Use } else { QuestionVectors::Skip };
        let asked = match retriever.ask_with(context.profile, question, vectors).await {
            Ok(asked) => asked,
            Err(error) => {
                tracing::error!(%error, "the shop's knowledge could not be read; answering without it");
                return None;
            }
        };
        if let Some(spent) = &asked.spent {
            context.spent.record(ModelUse {
                purpose: "embed-question",
                model: spent.model.clone(),
                tokens: TokenCount::input(spent.tokens),
            });
        }
        let first = asked.sources.first()?;
        if asked.verdict == Verdict::NotFound {
            state.nearest_miss = Some(NearestPassage { source: first.source.id(), coverage: first.coverage });
            return None;
        }
        if first.source.kind.is_structured() {
            return None;
        }
        match asked.verdict {
            Verdict::Answer => {
                let answer = spoken_passage(context, first)?;
                tracing::info!(source = %first.source.id(), confidence = asked.confidence, "answered from the shop's knowledge");
                let mut reply = Reply::listen(format!("{answer} Anything else?")).with_outcome(Outcome::Answered);
                reply.cited = vec![first.source.id()];
                Some(reply)
            }
            Verdict::Clarify => {
                let second = asked.sources.get(1)?;
                let choice = |cited: &frontdesk_rag::Cited| KnowledgeChoice {
                    source: cited.source.id(),
                    title: cited.source.title.to_lowercase(),
                    answer: spoken_passage(context, cited),
                };
                state.clarifying = vec![choice(first), choice(second)];
                Some(Reply::listen(format!(
                    "Do you mean {} or {}?",
                    state.clarifying[0].title, state.clarifying[1].title
                )))
            }
            Verdict::NotFound => None,
        }
    }

    /// The caller's pick after "do you mean X or Y?": the passage named
    /// ("the parking one"), by position ("the first", "the other one"), or
    /// both. `None` when they said something else (the turn goes on as any
    /// other) or picked a fact only the profile speaks.
    fn clarified(&self, state: &mut CallState, heard: &Understood) -> Option<Reply> {
        let choices = std::mem::take(&mut state.clarifying);
        if choices.len() != 2 {
            return None;
        }
        let words = frontdesk_rag::terms(&heard.redacted);
        let said = |word: &str| words.iter().any(|w| w == word);
        let picked: Vec<&KnowledgeChoice> = if said("both") {
            choices.iter().collect()
        } else if said("first") || said("former") {
            vec![&choices[0]]
        } else if said("second") || said("latter") || said("other") || said("last") {
            vec![&choices[1]]
        } else {
            let overlap = |choice: &KnowledgeChoice| {
                frontdesk_rag::terms(&choice.title).iter().filter(|term| words.contains(term)).count()
            };
            match (overlap(&choices[0]), overlap(&choices[1])) {
                (a, b) if a > b => vec![&choices[0]],
                (a, b) if b > a => vec![&choices[1]],
                _ => return None,
            }
        };
        let answers: Option<Vec<&str>> = picked.iter().map(|choice| choice.answer.as_deref()).collect();
        let mut reply = Reply::listen(format!("{} Anything else?", answers?.join(" "))).with_outcome(Outcome::Answered);
        reply.cited = picked.iter().map(|choice| choice.source.clone()).collect();
        Some(reply)
    }

    /// Serve `intent` with `strategy` (adding an intent, or replacing how one is served).
    pub fn with_strategy(mut self, intent: Intent, strategy: Arc<dyn IntentStrategy>) -> Dialogue {
        self.strategies.insert(intent, strategy);
        self
    }

    /// With another classifier behind the `IntentClassifier` port.
    pub fn with_classifier(mut self, classifier: Arc<dyn IntentClassifier>) -> Dialogue {
        self.classifier = classifier;
        self
    }

    /// What the caller hears first.
    pub fn greeting(&self, context: &CallContext<'_>, state: &mut CallState) -> Reply {
        let profile = context.profile;
        if !context.is_open() && !context.policy.after_hours_answering {
            state.stage = Stage::Ended;
            return Reply {
                say: format!(
                    "Thanks for calling {}. We're closed right now. Please leave your name, number and message after the tone, and we'll call you back.",
                    profile.name()
                ),
                ..voicemail(context)
            };
        }
        let say = if context.is_open() {
            profile
                .greeting()
                .map(str::to_owned)
                .unwrap_or_else(|| format!("Thanks for calling {}! How can I help you today?", profile.name()))
        } else {
            format!(
                "Thanks for calling {}. We're closed right now, but I can book an appointment for you or take a message. How can I help?",
                profile.name()
            )
        };
        state.last_prompt = say.clone();
        Reply::listen(say)
    }

    /// One turn.
    pub async fn respond(&self, context: &CallContext<'_>, state: &mut CallState, input: CallerInput) -> Reply {
        let text =
            input.speech.clone().filter(|s| !s.trim().is_empty()).or_else(|| input.digits.clone().map(digits_as_words));
        let Some(text) = text else { return self.silence(context, state) };
        state.silences = 0;
        state.nearest_miss = None;
        let heard = understand(
            self.classifier.as_ref(),
            &text,
            context.profile,
            context.local_now(),
            state.asked_for_name,
            state.trailing_digits,
        )
        .await;
        state.trailing_digits = heard.trailing_digits;
        let mut reply = self.turn(context, state, &heard).await;
        if reply.next == Next::Listen {
            state.last_prompt = reply.prompt.clone().unwrap_or_else(|| reply.say.clone());
        } else {
            state.stage = Stage::Ended;
        }
        if heard.had_card_number {
            reply.say = format!(
                "For your security, please don't share card numbers over the phone; we never need them to book. {}",
                reply.say
            );
        }
        reply.heard = Some(heard.redacted.clone());
        if self.model_serves(context) {
            remember(state, &heard.redacted, &reply.say);
        }
        reply
    }

    pub(super) fn silence(&self, context: &CallContext<'_>, state: &mut CallState) -> Reply {
        state.silences += 1;
        if state.silences >= 2 {
            state.stage = Stage::Ended;
            let mut reply = goodbye(context, "I didn't hear anything, so I'll hang up now.");
            reply.outcome = Some(Outcome::Abandoned);
            return reply;
        }
        let prompt =
            if state.last_prompt.is_empty() { "How can I help you?".to_owned() } else { state.last_prompt.clone() };
        Reply::asking("Sorry, I didn't catch that.", prompt)
    }

    pub(super) async fn turn(&self, context: &CallContext<'_>, state: &mut CallState, heard: &Understood) -> Reply {
        let intent = heard.intent.map(|(intent, _)| intent);
        // These work from any stage.
        match intent {
            Some(Intent::Human) if !matches!(state.stage, Stage::ConfirmBooking | Stage::CancelConfirm) => {
                return self.human(context, state).await;
            }
            Some(Intent::Goodbye)
                if heard.yes_no.is_none()
                    || !matches!(
                        state.stage,
                        Stage::ConfirmBooking | Stage::CancelConfirm | Stage::RescheduleConfirm | Stage::ChooseOption
                    ) =>
            {
                self.release_hold(context, state).await;
                let thanks = if heard.thanked { "You're welcome!" } else { "" };
                return goodbye(context, thanks).with_outcome(Outcome::Answered);
            }
            Some(Intent::Repeat) => return Reply::listen(state.last_prompt.clone()),
            _ => {}
        }
        if !state.clarifying.is_empty()
            && let Some(reply) = self.clarified(state, heard)
        {
            state.misunderstandings = 0;
            return reply;
        }
        if state.is_mid_booking()
            && let Some(answer) = self.question_in_passing(context, state, heard)
        {
            return answer;
        }
        if !matches!(state.stage, Stage::Menu | Stage::OfferHelp | Stage::Ended) {
            state.answered_hours = false;
        }
        // In the middle of booking or moving (never at a confirmation), a
        // turn the rules move nothing forward with goes to the model.
        let before =
            (matches!(state.stage, Stage::Booking | Stage::AskName | Stage::ChooseOption | Stage::RescheduleWhen)
                && self.model_serves(context))
            .then(|| state.clone());
        let reply = match state.stage {
            Stage::Menu | Stage::OfferHelp | Stage::Ended => self.menu(context, state, heard).await,
            Stage::Booking => self.booking(context, state, heard).await,
            Stage::AskName => self.take_name(context, state, heard).await,
            Stage::ChooseOption => self.choose_option(context, state, heard).await,
            Stage::ConfirmBooking => self.confirm_booking(context, state, heard).await,
            Stage::CancelFind => self.find_booking(context, state, heard, Change::Cancel).await,
            Stage::CancelConfirm => self.confirm_cancel(context, state, heard).await,
            Stage::RescheduleWhen => self.reschedule_when(context, state, heard).await,
            Stage::RescheduleConfirm => self.confirm_reschedule(context, state, heard).await,
        };
        match before {
            // The rules moved nothing forward (at most the same slot held
            // again): the model may, from where the rules left the call.
            Some(before) if before.stage == state.stage && same_request(&before.draft, &state.draft) => {
                self.ask_model(context, state, heard).await.unwrap_or(reply)
            }
            _ => reply,
        }
    }

    /// The model's reply to a turn the rules could not serve, from the
    /// state `before` the rules' attempt (which did nothing but answer);
    /// without one, the rules' `reply` and state stand.
    async fn model_instead(
        &self,
        context: &CallContext<'_>,
        state: &mut CallState,
        heard: &Understood,
        before: CallState,
        reply: Reply,
    ) -> Reply {
        let rules = std::mem::replace(state, before);
        if let Some(reply) = self.ask_model(context, state, heard).await {
            return reply;
        }
        let (turns, tokens) = (state.model_turns, state.model_tokens);
        *state = rules;
        (state.model_turns, state.model_tokens) = (turns, tokens);
        reply
    }

    pub(super) async fn menu(&self, context: &CallContext<'_>, state: &mut CallState, heard: &Understood) -> Reply {
        if state.stage == Stage::OfferHelp {
            match heard.yes_no {
                Some(true) => return self.human(context, state).await,
                Some(false) => return Reply::listen("No problem. Is there anything else I can help with?"),
                None => {}
            }
        }
        let answered_hours = std::mem::take(&mut state.answered_hours);
        let (intent, confidence) = heard.intent.unwrap_or((Intent::Question, 0.0));
        let clear = confidence >= MIN_CONFIDENCE
            && heard
                .runner_up
                .is_none_or(|(second, score)| confidence - score >= MIN_MARGIN || subsumes(intent, second));
        let details = heard.time.is_some() || heard.window.is_some() || heard.name.is_some();
        let intent = if answered_hours
            && heard.date.is_some()
            && heard.service.is_none()
            && !details
            && !clear_change(intent, clear)
        {
            // "What about Saturday?" right after the hours: the hours that day.
            Intent::AskHours
        } else if !clear
            && heard.service.is_some()
            && !information::asks_for_unlisted_service(context.profile, &heard.redacted)
        {
            // A service named ("Haircut.", "a skin fade on Friday") is a
            // booking request in all but name.
            Intent::Book
        } else if !clear {
            // The shop's knowledge (FAQs and documents), or without it the
            // FAQ matcher, may still know the answer.
            if self.knows(context) {
                if let Some(reply) = self.knowledge_reply(context, state, &heard.redacted).await {
                    state.misunderstandings = 0;
                    return reply;
                }
            } else if let Some(answer) = information::faq_answer(context.profile, heard) {
                state.misunderstandings = 0;
                return Reply::listen(format!("{answer} Anything else?")).with_outcome(Outcome::Answered);
            }
            // What the rules cannot place, the model may (through tools
            // that lead back into the rules' own flows).
            if let Some(reply) = self.ask_model(context, state, heard).await {
                state.misunderstandings = 0;
                return reply;
            }
            return self.misunderstood(context, state).await;
        } else {
            intent
        };
        state.misunderstandings = 0;
        if !context.policy.ai_booking && matches!(intent, Intent::Book | Intent::Cancel | Intent::Reschedule) {
            return self.take_message_instead_of_booking(context, state).await;
        }
        match self.strategies.get(&intent).cloned() {
            Some(strategy) => {
                let before = self.model_serves(context).then(|| state.clone());
                // A strategy reads the intent from what was heard; make sure it
                // sees the one chosen here (a service and a time mean Book).
                let mut chosen = heard.clone();
                chosen.intent = Some((intent, confidence));
                state.answered_hours = intent == Intent::AskHours;
                let reply = strategy.start(&Flows { dialogue: self }, context, state, &chosen).await;
                match before {
                    // Nothing answers it: perhaps a request the rules did not
                    // recognise ("what have I got booked?", "I'm running late").
                    Some(before) if reply.unanswered.is_some() => {
                        self.model_instead(context, state, heard, before, reply).await
                    }
                    _ => reply,
                }
            }
            None => {
                let reply = Reply::listen(
                    "How can I help you? You can book, move or cancel an appointment, or ask me a question.",
                );
                // Small talk, a bare "no", a greeting with the request buried
                // in it: the model may find the request.
                match self.model_serves(context).then(|| state.clone()) {
                    Some(before) => self.model_instead(context, state, heard, before, reply).await,
                    None => reply,
                }
            }
        }
    }

    /// A question asked in the middle of booking, moving or cancelling
    /// ("what are your hours on Friday?", "how much is it?"): answered from
    /// the profile, then the pending question is asked again. `None` when
    /// the words carry the booking forward instead, or the profile has no
    /// answer.
    fn question_in_passing(&self, context: &CallContext<'_>, state: &CallState, heard: &Understood) -> Option<Reply> {
        let (intent, confidence) = heard.intent?;
        let question = matches!(
            intent,
            Intent::AskHours | Intent::AskPrices | Intent::AskServices | Intent::AskLocation | Intent::Question
        );
        let details = heard.time.is_some()
            || heard.window.is_some()
            || heard.name.is_some()
            || heard.yes_no.is_some()
            || heard.code.is_some()
            || heard.same_time
            || (heard.date.is_some() && intent != Intent::AskHours);
        if !question || confidence < MIN_CONFIDENCE || details {
            return None;
        }
        let mut asked = heard.clone();
        if asked.service.is_none() && intent == Intent::AskPrices {
            // "How much is it?": the service being booked.
            asked.service = state.draft.service.clone();
        }
        let answer = strategy::answer_from_profile(context, &asked, true)?;
        let pending =
            if state.last_prompt.is_empty() { "How can I help you?".to_owned() } else { state.last_prompt.clone() };
        Some(Reply::asking(&answer, pending))
    }

    /// "I don't know that": offers a person or a message and records the question.
    pub fn unknown(&self, state: &mut CallState, question: &str) -> Reply {
        state.stage = Stage::OfferHelp;
        let mut reply = Reply::listen(
            "I'm sorry, I don't know that. I can connect you with someone or take a message for the shop. Would you like that?",
        );
        reply.unanswered = Some(question.to_owned());
        reply.nearest = state.nearest_miss.take();
        reply
    }

    pub(super) async fn misunderstood(&self, context: &CallContext<'_>, state: &mut CallState) -> Reply {
        state.misunderstandings += 1;
        if state.misunderstandings >= 2 {
            return self.human(context, state).await;
        }
        Reply::listen(
            "Sorry, I didn't quite get that. Would you like to book, move or cancel an appointment, or do you have a question?",
        )
    }

    /// Bookings are off for this shop (`allow_ai_booking`): a message for the
    /// shop instead.
    pub(super) async fn take_message_instead_of_booking(
        &self,
        context: &CallContext<'_>,
        state: &mut CallState,
    ) -> Reply {
        self.release_hold(context, state).await;
        state.stage = Stage::Ended;
        Reply {
            say: format!(
                "I can't make or change appointments over the phone, but {} will call you back. Please leave your name, number and what you'd like after the tone.",
                context.profile.name()
            ),
            ..voicemail(context)
        }
    }

    /// A person: the owner while the shop is open (when the shop's plan has
    /// the human fallback), else a message.
    pub async fn human(&self, context: &CallContext<'_>, state: &mut CallState) -> Reply {
        self.release_hold(context, state).await;
        state.stage = Stage::Ended;
        if context.is_open() && context.policy.human_fallback {
            state.warm_transfer = true;
            Reply {
                say: "Of course. Let me connect you with someone at the shop.".to_owned(),
                next: Next::WarmTransfer { to: context.profile.owner_phone().clone() },
                outcome: Some(Outcome::Transferred),
                booking_id: None,
                unanswered: None,
                heard: None,
                prompt: None,
                cited: Vec::new(),
                nearest: None,
            }
        } else {
            voicemail(context)
        }
    }

    pub(super) async fn release_hold(&self, context: &CallContext<'_>, state: &mut CallState) {
        if let Some(hold) = state.draft.hold.take()
            && let Err(error) = self.bookings.release_hold(context.profile, hold).await
        {
            // The hold expires by itself within minutes; the slot is only
            // blocked until then.
            tracing::warn!(%error, %hold, "could not release a held slot; it will expire");
        }
    }
}

impl Reply {
    fn prefixed(mut self, prefix: &str) -> Reply {
        self.say = format!("{prefix} {}", self.say);
        self
    }
}

/// The same request before and after a turn: the same details, and the
/// same slot (held again under another id, or the barber already holding
/// it named, counts as the same).
fn same_request(before: &Draft, after: &Draft) -> bool {
    let plain = |draft: &Draft| Draft {
        hold: None,
        staff: draft.staff.clone().filter(|staff| Some(staff) != draft.slot_staff.as_ref()),
        ..draft.clone()
    };
    plain(before) == plain(after)
}

/// Keeps the exchange for the model (the last few, each cut short).
fn remember(state: &mut CallState, caller: &str, receptionist: &str) {
    const LONGEST: usize = 300;
    let cut = |text: &str| match text.char_indices().nth(LONGEST) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    };
    if state.recent.len() >= assist::RECENT_EXCHANGES {
        state.recent.remove(0);
    }
    state.recent.push(Exchange { caller: cut(caller), receptionist: cut(receptionist) });
}

pub(crate) fn goodbye(context: &CallContext<'_>, first: &str) -> Reply {
    Reply {
        say: format!("{first} Thank you for calling {}. Goodbye!", context.profile.name()).trim_start().to_owned(),
        next: Next::Hangup,
        outcome: None,
        booking_id: None,
        unanswered: None,
        heard: None,
        prompt: None,
        cited: Vec::new(),
        nearest: None,
    }
}

pub(crate) fn voicemail(context: &CallContext<'_>) -> Reply {
    Reply {
        say: format!(
            "Nobody at {} can come to the phone right now. Please leave your name, number and message after the tone, and we'll call you back.",
            context.profile.name()
        ),
        next: Next::Voicemail,
        outcome: Some(Outcome::MessageTaken),
        booking_id: None,
        unanswered: None,
        heard: None,
        prompt: None,
        cited: Vec::new(),
        nearest: None,
    }
}

pub(crate) fn date_start(context: &CallContext<'_>, date: NaiveDate) -> DateTime<Utc> {
    context.at(date, NaiveTime::from_hms_opt(12, 0, 0).unwrap_or(NaiveTime::MIN)).unwrap_or(context.now)
}

/// A clearly stated wish to book, move or cancel, or a person: never read as
/// a follow-up question about the hours.
fn clear_change(intent: Intent, clear: bool) -> bool {
    clear && matches!(intent, Intent::Cancel | Intent::Reschedule | Intent::Human)
}

/// Whether a caller meaning `top` naturally also sounds like `second`:
/// cancelling or moving an appointment mentions the appointment; a goodbye
/// comes with thanks; a price question names services.
pub(crate) fn subsumes(top: Intent, second: Intent) -> bool {
    matches!(
        (top, second),
        (Intent::Cancel | Intent::Reschedule, Intent::Book)
            | (Intent::Goodbye, Intent::Yes | Intent::No)
            | (Intent::AskPrices, Intent::AskServices | Intent::Book)
            | (Intent::AskServices, Intent::AskPrices)
    )
}

/// What is said for a cited passage: an FAQ is the owner's own answer, read
/// as written; a document, its snippet; a structured fact, nothing (only the
/// profile's own data speaks prices, hours, dates and the address).
fn spoken_passage(context: &CallContext<'_>, cited: &frontdesk_rag::Cited) -> Option<String> {
    if cited.source.kind.is_structured() {
        return None;
    }
    let faq = (cited.source.kind == SourceKind::Faq)
        .then(|| cited.source.key.parse::<usize>().ok())
        .flatten()
        .and_then(|index| context.profile.faqs().get(index))
        .map(|faq| faq.answer.clone());
    faq.or_else(|| Some(cited.snippet.clone()).filter(|snippet| !snippet.is_empty()))
}
