//! The rule-based receptionist: one turn at a time, from what the caller said
//! to what we say and do next. State lives in [`CallState`], serialised into
//! the call record, so any gateway process can serve any turn.
//!
//! Booking flow: take every detail the caller gives, ask only for what is
//! missing, never propose a closed or taken time (offer the two nearest
//! instead), hold the slot while reading it back, and book only after an
//! explicit yes.

use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use frontdesk_calendar::{
    Booking, BookingError, BookingId, BookingRequest, BookingService, BookingSource, Customer, HoldId, Slot,
};
use frontdesk_core::E164;
use frontdesk_tenant::TenantProfile;
use serde::{Deserialize, Serialize};

use crate::calls::Outcome;
use crate::understand::{Intent, IntentClassifier, RuleBasedClassifier, Understood, understand};

/// Below this the top intent is a guess: ask instead.
const MIN_CONFIDENCE: f32 = 0.35;
/// Top two intents this close: ask which one.
const MIN_MARGIN: f32 = 0.1;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stage {
    #[default]
    Menu,
    Booking,
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
    /// The held slot being read back (a `HoldId`).
    pub hold: Option<String>,
    pub slot_start: Option<DateTime<Utc>>,
    pub slot_staff: Option<String>,
    /// Alternatives offered (start, staff).
    pub options: Vec<(DateTime<Utc>, Option<String>)>,
    /// The booking being cancelled or moved (a `BookingId`).
    pub booking: Option<String>,
    /// Looking for a booking to move rather than to cancel.
    pub rescheduling: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CallState {
    pub stage: Stage,
    pub draft: Draft,
    pub silences: u32,
    pub misunderstandings: u32,
    pub last_prompt: String,
    pub asked_for_name: bool,
}

impl CallState {
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
    /// Record a message.
    Voicemail,
    Hangup,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub say: String,
    pub next: Next,
    pub outcome: Option<Outcome>,
    pub booking_id: Option<String>,
    /// A question we could not answer, for the owner.
    pub unanswered: Option<String>,
    /// The caller's words as they may be stored (card numbers removed).
    pub heard: Option<String>,
}

impl Reply {
    fn listen(say: impl Into<String>) -> Reply {
        Reply { say: say.into(), next: Next::Listen, outcome: None, booking_id: None, unanswered: None, heard: None }
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
}

impl Default for CallPolicy {
    fn default() -> CallPolicy {
        CallPolicy { ai_booking: true, human_fallback: true, after_hours_answering: true }
    }
}

impl CallContext<'_> {
    fn local_now(&self) -> chrono::NaiveDateTime {
        self.now.with_timezone(&self.profile.timezone()).naive_local()
    }

    /// Whether the shop is open right now.
    pub fn is_open(&self) -> bool {
        let local = self.now.with_timezone(&self.profile.timezone());
        if self.profile.is_closure(local.date_naive()) {
            return false;
        }
        let minute = (local.time().num_seconds_from_midnight() / 60) as u16;
        self.profile
            .hours()
            .on(local.weekday())
            .iter()
            .any(|r| r.start().minutes_since_midnight() <= minute && minute < r.end().minutes_since_midnight())
    }

    fn at(&self, date: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
        self.profile.timezone().from_local_datetime(&date.and_time(time)).earliest().map(|t| t.with_timezone(&Utc))
    }
}

use chrono::Timelike;

/// How one intent is served when a caller raises it: the booking flow, the
/// information answers, a hand-off to a person. New intents (or other ways of
/// serving one) plug in with [`Dialogue::with_strategy`].
#[async_trait::async_trait]
pub trait IntentStrategy: Send + Sync {
    /// The first reply to a caller who just asked for this; may move the call
    /// into one of the dialogue's stages for the turns that follow.
    async fn start(
        &self,
        dialogue: &Dialogue,
        context: &CallContext<'_>,
        state: &mut CallState,
        heard: &Understood,
    ) -> Reply;
}

/// Book: collect what is missing, hold, read back, confirm.
pub struct BookingStrategy;
/// Cancel or move: find the caller's booking, confirm, apply the policy.
pub struct ChangeStrategy {
    pub reschedule: bool,
}
/// Hours, prices, services, location and FAQs, from the profile only.
pub struct InformationStrategy;
/// A person: the owner while open, else a message.
pub struct EscalationStrategy;

#[async_trait::async_trait]
impl IntentStrategy for BookingStrategy {
    async fn start(
        &self,
        dialogue: &Dialogue,
        context: &CallContext<'_>,
        state: &mut CallState,
        heard: &Understood,
    ) -> Reply {
        state.stage = Stage::Booking;
        state.draft = Draft::default();
        dialogue.booking(context, state, heard).await
    }
}

#[async_trait::async_trait]
impl IntentStrategy for ChangeStrategy {
    async fn start(
        &self,
        dialogue: &Dialogue,
        context: &CallContext<'_>,
        state: &mut CallState,
        heard: &Understood,
    ) -> Reply {
        state.draft = Draft::default();
        dialogue.find_booking(context, state, heard, self.reschedule).await
    }
}

#[async_trait::async_trait]
impl IntentStrategy for InformationStrategy {
    async fn start(
        &self,
        dialogue: &Dialogue,
        context: &CallContext<'_>,
        state: &mut CallState,
        heard: &Understood,
    ) -> Reply {
        let profile = context.profile;
        match heard.intent.map(|(intent, _)| intent) {
            Some(Intent::AskHours) => Reply::listen(format!("{} Anything else?", hours_sentence(profile, heard.date)))
                .with_outcome(Outcome::Answered),
            Some(Intent::AskPrices | Intent::AskServices) => {
                Reply::listen(format!("{} Would you like to book?", prices_sentence(profile, heard.service.as_deref())))
                    .with_outcome(Outcome::Answered)
            }
            Some(Intent::AskLocation) => match profile.address() {
                Some(address) => {
                    Reply::listen(format!("We're at {address} Anything else?")).with_outcome(Outcome::Answered)
                }
                None => dialogue.unknown(state, &heard.redacted),
            },
            _ => match faq_answer(profile, &heard.redacted) {
                Some(answer) => Reply::listen(format!("{answer} Anything else?")).with_outcome(Outcome::Answered),
                None => dialogue.unknown(state, &heard.redacted),
            },
        }
    }
}

#[async_trait::async_trait]
impl IntentStrategy for EscalationStrategy {
    async fn start(
        &self,
        dialogue: &Dialogue,
        context: &CallContext<'_>,
        state: &mut CallState,
        _heard: &Understood,
    ) -> Reply {
        dialogue.human(context, state).await
    }
}

pub struct Dialogue {
    bookings: Arc<BookingService>,
    classifier: Arc<dyn IntentClassifier>,
    strategies: std::collections::HashMap<Intent, Arc<dyn IntentStrategy>>,
}

impl Dialogue {
    /// With the rule-based classifier.
    pub fn new(bookings: Arc<BookingService>) -> Dialogue {
        let information: Arc<dyn IntentStrategy> = Arc::new(InformationStrategy);
        let strategies: std::collections::HashMap<Intent, Arc<dyn IntentStrategy>> = [
            (Intent::Book, Arc::new(BookingStrategy) as Arc<dyn IntentStrategy>),
            (Intent::Cancel, Arc::new(ChangeStrategy { reschedule: false })),
            (Intent::Reschedule, Arc::new(ChangeStrategy { reschedule: true })),
            (Intent::AskHours, information.clone()),
            (Intent::AskPrices, information.clone()),
            (Intent::AskServices, information.clone()),
            (Intent::AskLocation, information.clone()),
            (Intent::Question, information),
            (Intent::Human, Arc::new(EscalationStrategy)),
        ]
        .into_iter()
        .collect();
        Dialogue { bookings, classifier: Arc::new(RuleBasedClassifier), strategies }
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
        let heard =
            understand(self.classifier.as_ref(), &text, context.profile, context.local_now(), state.asked_for_name)
                .await;
        let mut reply = self.turn(context, state, &heard).await;
        if heard.had_card_number {
            reply.say = format!(
                "For your security, please don't share card numbers over the phone; we never need them to book. {}",
                reply.say
            );
        }
        reply.heard = Some(heard.redacted.clone());
        if reply.next == Next::Listen {
            state.last_prompt = reply.say.clone();
        } else {
            state.stage = Stage::Ended;
        }
        reply
    }

    fn silence(&self, context: &CallContext<'_>, state: &mut CallState) -> Reply {
        state.silences += 1;
        if state.silences >= 2 {
            state.stage = Stage::Ended;
            let mut reply = goodbye(context, "I didn't hear anything, so I'll hang up now.");
            reply.outcome = Some(Outcome::Abandoned);
            return reply;
        }
        let prompt =
            if state.last_prompt.is_empty() { "How can I help you?".to_owned() } else { state.last_prompt.clone() };
        Reply::listen(format!("Sorry, I didn't catch that. {prompt}"))
    }

    async fn turn(&self, context: &CallContext<'_>, state: &mut CallState, heard: &Understood) -> Reply {
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
                return goodbye(context, "You're welcome!").with_outcome(Outcome::Answered);
            }
            Some(Intent::Repeat) => return Reply::listen(state.last_prompt.clone()),
            _ => {}
        }
        match state.stage {
            Stage::Menu | Stage::OfferHelp | Stage::Ended => self.menu(context, state, heard).await,
            Stage::Booking => self.booking(context, state, heard).await,
            Stage::ChooseOption => self.choose_option(context, state, heard).await,
            Stage::ConfirmBooking => self.confirm_booking(context, state, heard).await,
            Stage::CancelFind => self.find_booking(context, state, heard, false).await,
            Stage::CancelConfirm => self.confirm_cancel(context, state, heard).await,
            Stage::RescheduleWhen => self.reschedule_when(context, state, heard).await,
            Stage::RescheduleConfirm => self.confirm_reschedule(context, state, heard).await,
        }
    }

    async fn menu(&self, context: &CallContext<'_>, state: &mut CallState, heard: &Understood) -> Reply {
        if state.stage == Stage::OfferHelp {
            match heard.yes_no {
                Some(true) => return self.human(context, state).await,
                Some(false) => return Reply::listen("No problem. Is there anything else I can help with?"),
                None => {}
            }
        }
        let Some((intent, confidence)) = heard.intent else { return self.misunderstood(context, state).await };
        let clear = confidence >= MIN_CONFIDENCE
            && heard
                .runner_up
                .is_none_or(|(second, score)| confidence - score >= MIN_MARGIN || subsumes(intent, second));
        // A service or a time mentioned is a booking request in all but name.
        let intent = if !clear && (heard.service.is_some() && (heard.date.is_some() || heard.time.is_some())) {
            Intent::Book
        } else if !clear {
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
                // A strategy reads the intent from what was heard; make sure it
                // sees the one chosen here (a service and a time mean Book).
                let mut heard = heard.clone();
                heard.intent = Some((intent, confidence));
                strategy.start(self, context, state, &heard).await
            }
            None => {
                Reply::listen("How can I help you? You can book, move or cancel an appointment, or ask me a question.")
            }
        }
    }

    /// "I don't know that": offers a person or a message and records the question.
    pub fn unknown(&self, state: &mut CallState, question: &str) -> Reply {
        state.stage = Stage::OfferHelp;
        let mut reply = Reply::listen(
            "I'm sorry, I don't know that. I can connect you with someone or take a message for the shop. Would you like that?",
        );
        reply.unanswered = Some(question.to_owned());
        reply
    }

    async fn misunderstood(&self, context: &CallContext<'_>, state: &mut CallState) -> Reply {
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
    async fn take_message_instead_of_booking(&self, context: &CallContext<'_>, state: &mut CallState) -> Reply {
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
            Reply {
                say: "Of course. Let me connect you with someone at the shop.".to_owned(),
                next: Next::Transfer { to: context.profile.owner_phone().clone() },
                outcome: Some(Outcome::Transferred),
                booking_id: None,
                unanswered: None,
                heard: None,
            }
        } else {
            voicemail(context)
        }
    }

    async fn release_hold(&self, context: &CallContext<'_>, state: &mut CallState) {
        if let Some(hold) = state.draft.hold.take().and_then(|h| h.parse::<HoldId>().ok()) {
            let _ = self.bookings.release_hold(context.profile, hold).await;
        }
    }

    // ---- booking --------------------------------------------------------------

    fn absorb(&self, state: &mut CallState, heard: &Understood) {
        let draft = &mut state.draft;
        if let Some(service) = &heard.service {
            draft.service = Some(service.clone());
        }
        if let Some(date) = heard.date {
            draft.date = Some(date);
        }
        if let Some(time) = heard.time {
            draft.time = Some(time);
            draft.window = None;
        }
        if let Some(window) = heard.window {
            draft.window = Some(window);
        }
        if heard.staff.is_some() {
            draft.staff = heard.staff.clone();
        }
        if let Some(name) = &heard.name {
            draft.name = Some(name.clone());
        } else if state.asked_for_name && heard.intent.is_none_or(|(i, _)| !matches!(i, Intent::No)) {
            // A bare answer to "what's your name?" that rules could not read.
            let words = heard.redacted.split_whitespace().count();
            if (1..=3).contains(&words) && heard.service.is_none() && heard.date.is_none() && heard.time.is_none() {
                draft.name = Some(title_case(&heard.redacted));
            }
        }
    }

    /// The booking flow from what is known so far.
    pub async fn booking(&self, context: &CallContext<'_>, state: &mut CallState, heard: &Understood) -> Reply {
        self.absorb(state, heard);
        state.asked_for_name = false;
        let profile = context.profile;
        let Some(service) = state.draft.service.clone() else {
            return Reply::listen(format!("Sure. Which service would you like? {}", services_sentence(profile)));
        };
        let Some(date) = state.draft.date else {
            return Reply::listen(format!("What day would you like to come in for your {}?", service.to_lowercase()));
        };
        let start = match (state.draft.time, state.draft.window) {
            (Some(time), _) => match context.at(date, time) {
                Some(start) => start,
                None => {
                    return Reply::listen(
                        "That time doesn't exist that day because the clocks change. What other time works?",
                    );
                }
            },
            (None, Some(window)) => {
                match self.first_in_window(context, &service, date, window, state.draft.staff.as_deref()).await {
                    Some(slot) => {
                        state.draft.options = vec![(slot.start, slot.staff.clone())];
                        state.stage = Stage::ChooseOption;
                        return Reply::listen(format!(
                            "The first opening then is {}. Does that work?",
                            spoken_slot(profile, slot.start, slot.staff.as_deref())
                        ));
                    }
                    None => {
                        state.draft.window = None;
                        return self.offer_alternatives(context, state, &service, date_start(context, date)).await;
                    }
                }
            }
            (None, None) => {
                return Reply::listen(format!("What time on {} works for you?", spoken_date(date)));
            }
        };
        self.try_hold(context, state, &service, start).await
    }

    async fn first_in_window(
        &self,
        context: &CallContext<'_>,
        service: &str,
        date: NaiveDate,
        (from, to): (NaiveTime, NaiveTime),
        staff: Option<&str>,
    ) -> Option<Slot> {
        let slots = self.bookings.availability(context.profile, service, staff, date, 1).await.ok()?;
        let tz = context.profile.timezone();
        slots.into_iter().find(|s| {
            let local = s.start.with_timezone(&tz).time();
            local >= from && (to == NaiveTime::MIN || local < to)
        })
    }

    async fn try_hold(
        &self,
        context: &CallContext<'_>,
        state: &mut CallState,
        service: &str,
        start: DateTime<Utc>,
    ) -> Reply {
        let profile = context.profile;
        self.release_hold(context, state).await;
        match self.bookings.hold(profile, service, start, state.draft.staff.as_deref()).await {
            Ok(hold) => {
                state.draft.hold = Some(hold.id.to_string());
                state.draft.slot_start = Some(hold.start);
                state.draft.slot_staff = hold.staff.clone();
                self.read_back(context, state)
            }
            Err(BookingError::Conflict { alternatives }) => {
                state.draft.time = None;
                state.draft.options = alternatives.iter().map(|s| (s.start, s.staff.clone())).collect();
                if alternatives.is_empty() {
                    return Reply::listen(format!(
                        "Sorry, {} is taken and I have nothing close to it. What other day works?",
                        spoken_slot(profile, start, None)
                    ));
                }
                state.stage = Stage::ChooseOption;
                Reply::listen(format!(
                    "Sorry, {} is already taken. I can do {}. Which would you like?",
                    spoken_slot(profile, start, None),
                    or_list(alternatives.iter().map(|s| spoken_slot(profile, s.start, None)).collect())
                ))
            }
            Err(error) => self.rule_problem(context, state, service, start, error).await,
        }
    }

    /// A time the rules refuse: say why, and offer what is possible.
    async fn rule_problem(
        &self,
        context: &CallContext<'_>,
        state: &mut CallState,
        service: &str,
        start: DateTime<Utc>,
        error: BookingError,
    ) -> Reply {
        let profile = context.profile;
        let date = start.with_timezone(&profile.timezone()).date_naive();
        match error {
            BookingError::Closed { .. } => {
                // Keep the time: "Saturday then, same time" should work.
                state.draft.date = None;
                Reply::listen(format!("Sorry, we're closed on {}. What other day works for you?", spoken_date(date)))
            }
            BookingError::OutsideHours => {
                let hours = day_hours(profile, date);
                if hours.is_empty() {
                    state.draft.date = None;
                    return Reply::listen(format!(
                        "Sorry, we're closed on {}s. What other day works?",
                        weekday_name(date.weekday())
                    ));
                }
                state.draft.time = None;
                self.offer_alternatives(context, state, service, start).await.prefixed(&format!(
                    "Sorry, that's outside our hours; on {} we're open {}.",
                    spoken_date(date),
                    hours
                ))
            }
            BookingError::TooShortNotice { minutes } => {
                state.draft.time = None;
                self.offer_alternatives(context, state, service, start)
                    .await
                    .prefixed(&format!("Sorry, we need at least {} notice for bookings.", spoken_duration(minutes)))
            }
            BookingError::TooFarAhead { days } => {
                state.draft.date = None;
                state.draft.time = None;
                Reply::listen(format!("Sorry, we only take bookings up to {days} days ahead. What earlier day works?"))
            }
            BookingError::InThePast => {
                state.draft.date = None;
                state.draft.time = None;
                Reply::listen("That time has already passed. What day would you like?")
            }
            BookingError::UnknownService(_) => {
                state.draft.service = None;
                Reply::listen(format!("Sorry, I don't know that service. {}", services_sentence(profile)))
            }
            BookingError::UnknownStaff(_) | BookingError::StaffDoesNotPerform { .. } => {
                state.draft.staff = None;
                Reply::listen(format!(
                    "Sorry, that person doesn't do a {}. Shall I book anyone who's free?",
                    service.to_lowercase()
                ))
            }
            other => {
                tracing::error!(error = %other, "booking failed during a call");
                self.human(context, state).await
            }
        }
    }

    async fn offer_alternatives(
        &self,
        context: &CallContext<'_>,
        state: &mut CallState,
        service: &str,
        near: DateTime<Utc>,
    ) -> Reply {
        let profile = context.profile;
        let day = near.with_timezone(&profile.timezone()).date_naive();
        let slots = self
            .bookings
            .availability(profile, service, state.draft.staff.as_deref(), day, 7)
            .await
            .unwrap_or_default();
        let mut sorted: Vec<Slot> = slots;
        sorted.sort_by_key(|s| (s.start - near).num_seconds().abs());
        let mut options: Vec<Slot> = sorted.into_iter().take(2).collect();
        options.sort_by_key(|s| s.start);
        if options.is_empty() {
            state.stage = Stage::Booking;
            return Reply::listen("I don't have anything open around then. What other day works?");
        }
        state.stage = Stage::ChooseOption;
        state.draft.options = options.iter().map(|s| (s.start, s.staff.clone())).collect();
        Reply::listen(format!(
            "I can do {}. Which would you like?",
            or_list(options.iter().map(|s| spoken_slot(profile, s.start, None)).collect())
        ))
    }

    async fn choose_option(&self, context: &CallContext<'_>, state: &mut CallState, heard: &Understood) -> Reply {
        let options = state.draft.options.clone();
        let tz = context.profile.timezone();
        let ordinal = ordinal_choice(&heard.redacted);
        let by_time =
            heard.time.and_then(|time| options.iter().position(|(start, _)| start.with_timezone(&tz).time() == time));
        let chosen = match (ordinal, by_time, heard.yes_no) {
            (Some(index), _, _) if index < options.len() => Some(index),
            (_, Some(index), _) => Some(index),
            (_, _, Some(true)) if options.len() == 1 => Some(0),
            _ => None,
        };
        let service = state.draft.service.clone().unwrap_or_default();
        match chosen {
            Some(index) => {
                let (start, staff) = options[index].clone();
                if state.draft.staff.is_none() {
                    state.draft.staff = staff;
                }
                state.stage = Stage::Booking;
                let reply = self.try_hold(context, state, &service, start).await;
                if state.draft.hold.is_none() {
                    state.draft.staff = None;
                }
                reply
            }
            None if heard.yes_no == Some(false)
                || heard.date.is_some()
                || heard.time.is_some()
                || heard.window.is_some() =>
            {
                state.stage = Stage::Booking;
                state.draft.options.clear();
                if heard.date.is_none() && heard.time.is_none() && heard.window.is_none() {
                    state.draft.time = None;
                    return Reply::listen("No problem. What day and time would suit you better?");
                }
                self.booking(context, state, heard).await
            }
            None => Reply::listen(format!(
                "Sorry, which one? {}",
                or_list(options.iter().map(|(s, _)| spoken_slot(context.profile, *s, None)).collect())
            )),
        }
    }

    fn read_back(&self, context: &CallContext<'_>, state: &mut CallState) -> Reply {
        let draft = &state.draft;
        let (Some(start), Some(service)) = (draft.slot_start, draft.service.as_deref()) else {
            return Reply::listen("What day and time would you like?");
        };
        if draft.name.is_none() {
            state.stage = Stage::Booking;
            state.asked_for_name = true;
            return Reply::listen(format!(
                "{} is available. Can I have your name, please?",
                capitalise(&spoken_slot(context.profile, start, draft.slot_staff.as_deref()))
            ));
        }
        let name = draft.name.clone().unwrap_or_default();
        state.stage = Stage::ConfirmBooking;
        Reply::listen(format!(
            "Just to confirm: a {} {}, for {}. Shall I book it?",
            service.to_lowercase(),
            spoken_slot(context.profile, start, draft.slot_staff.as_deref()),
            name
        ))
    }

    async fn confirm_booking(&self, context: &CallContext<'_>, state: &mut CallState, heard: &Understood) -> Reply {
        match heard.yes_no {
            Some(true) => self.book(context, state).await,
            Some(false) => {
                self.release_hold(context, state).await;
                state.stage = Stage::Booking;
                state.draft.time = None;
                state.draft.slot_start = None;
                Reply::listen("No problem. What would you like to change: the day, the time or the service?")
            }
            None if heard.date.is_some() || heard.time.is_some() || heard.service.is_some() => {
                self.release_hold(context, state).await;
                state.draft.slot_start = None;
                state.stage = Stage::Booking;
                self.booking(context, state, heard).await
            }
            None => Reply::listen(format!("Sorry, was that a yes? {}", state.last_prompt)),
        }
    }

    async fn book(&self, context: &CallContext<'_>, state: &mut CallState) -> Reply {
        let draft = state.draft.clone();
        let (Some(start), Some(service), Some(name)) = (draft.slot_start, draft.service.clone(), draft.name.clone())
        else {
            state.stage = Stage::Booking;
            return Reply::listen("Let's start again. What would you like to book?");
        };
        let Some(phone) = context.caller.cloned() else {
            return self.human(context, state).await;
        };
        let request = BookingRequest {
            service,
            start,
            staff: draft.slot_staff.clone(),
            customer: Customer { name, phone },
            source: BookingSource::Phone,
            idempotency_key: draft.hold.as_ref().map(|h| format!("hold-{h}")),
            hold: draft.hold.as_deref().and_then(|h| h.parse::<HoldId>().ok()),
            notify_customer: true,
        };
        match self.bookings.book(context.profile, request).await {
            Ok(booking) => {
                state.stage = Stage::Menu;
                state.draft = Draft::default();
                let mut reply = Reply::listen(format!(
                    "You're all set. Your confirmation code is {}. I'll text it to you as well. Is there anything else I can help with?",
                    booking.code.spelled()
                ));
                reply.outcome = Some(Outcome::Booked);
                reply.booking_id = Some(booking.id.to_string());
                reply
            }
            Err(BookingError::HoldExpired) => {
                state.draft.hold = None;
                let service = draft.service.unwrap_or_default();
                self.try_hold(context, state, &service, start).await.prefixed("Sorry, that took a moment too long.")
            }
            Err(error) => {
                let service = draft.service.unwrap_or_default();
                self.rule_problem(context, state, &service, start, error).await
            }
        }
    }

    // ---- cancel and reschedule ---------------------------------------------------

    /// Finds the caller's booking (by code or caller ID) to cancel or move.
    pub async fn find_booking(
        &self,
        context: &CallContext<'_>,
        state: &mut CallState,
        heard: &Understood,
        reschedule: bool,
    ) -> Reply {
        let profile = context.profile;
        let store = self.bookings.store();
        let mut found: Vec<Booking> = Vec::new();
        if let Some(code) = heard.code.as_deref().and_then(frontdesk_calendar::ConfirmationCode::parse)
            && let Ok(Some(booking)) = store.booking_by_code(profile.slug(), &code).await
            && booking.status == frontdesk_calendar::BookingStatus::Confirmed
            && booking.start > context.now
        {
            found.push(booking);
        }
        if found.is_empty()
            && let Some(phone) = context.caller
        {
            found = store.upcoming_for_phone(profile.slug(), phone, context.now).await.unwrap_or_default();
        }
        let want_reschedule = reschedule || state.draft.rescheduling;
        if found.is_empty() {
            if state.stage == Stage::CancelFind {
                state.stage = Stage::Menu;
                return Reply::listen(
                    "I still can't find that booking. I can connect you with the shop if you like. Anything else?",
                );
            }
            state.stage = Stage::CancelFind;
            state.draft.rescheduling = reschedule;
            return Reply::listen(
                "I couldn't find an upcoming appointment for this number. What's your confirmation code?",
            );
        }
        // Several: pick by what the caller mentioned, else the soonest.
        let booking = found
            .iter()
            .find(|b| heard.service.as_deref() == Some(b.service.as_str()))
            .or_else(|| {
                found.iter().find(|b| Some(b.start.with_timezone(&profile.timezone()).date_naive()) == heard.date)
            })
            .unwrap_or(&found[0])
            .clone();
        state.draft.booking = Some(booking.id.to_string());
        state.draft.service = Some(booking.service.clone());
        let which = format!(
            "your {} {}",
            booking.service.to_lowercase(),
            spoken_slot(profile, booking.start, booking.staff.as_deref())
        );
        let others =
            if found.len() > 1 { format!("You have {} upcoming appointments. ", found.len()) } else { String::new() };
        if want_reschedule {
            state.stage = Stage::RescheduleWhen;
            state.draft.options.clear();
            if heard.date.is_some() || heard.time.is_some() {
                return self
                    .reschedule_when(context, state, heard)
                    .await
                    .prefixed(&format!("{others}I found {which}."));
            }
            return Reply::listen(format!("{others}I found {which}. When would you like to move it to?"));
        }
        state.stage = Stage::CancelConfirm;
        Reply::listen(format!("{others}I found {which}. Would you like me to cancel it?"))
    }

    async fn confirm_cancel(&self, context: &CallContext<'_>, state: &mut CallState, heard: &Understood) -> Reply {
        let Some(id) = state.draft.booking.as_deref().and_then(|b| b.parse::<BookingId>().ok()) else {
            state.stage = Stage::Menu;
            return Reply::listen("How can I help you?");
        };
        match heard.yes_no {
            Some(true) => match self.bookings.cancel_and_notify(context.profile, id, false, true).await {
                Ok(booking) => {
                    state.stage = Stage::Menu;
                    state.draft = Draft::default();
                    let mut reply = Reply::listen(
                        "Done, your appointment is cancelled, and I'll text you a confirmation. Anything else?",
                    )
                    .with_outcome(Outcome::Cancelled);
                    reply.booking_id = Some(booking.id.to_string());
                    reply
                }
                Err(BookingError::TooLateToCancel { hours }) => {
                    state.stage = Stage::OfferHelp;
                    Reply::listen(format!(
                        "Sorry, cancellations need {hours} hours' notice, so I can't cancel this one myself. Would you like me to connect you with the shop?"
                    ))
                }
                Err(error) => {
                    tracing::error!(%error, "cancelling during a call failed");
                    self.human(context, state).await
                }
            },
            Some(false) => {
                state.stage = Stage::Menu;
                state.draft = Draft::default();
                Reply::listen("Okay, I'll leave it as it is. Anything else?")
            }
            None => Reply::listen(format!("Sorry, should I cancel it? {}", "Please say yes or no.")),
        }
    }

    async fn reschedule_when(&self, context: &CallContext<'_>, state: &mut CallState, heard: &Understood) -> Reply {
        self.absorb(state, heard);
        let profile = context.profile;
        let (Some(date), Some(time)) = (state.draft.date, state.draft.time) else {
            return Reply::listen(match state.draft.date {
                Some(date) => format!("What time on {}?", spoken_date(date)),
                None => "What day and time would you like instead?".to_owned(),
            });
        };
        let Some(start) = context.at(date, time) else {
            return Reply::listen("That time doesn't exist that day because the clocks change. What other time works?");
        };
        let service = state.draft.service.clone().unwrap_or_default();
        match self.bookings.availability(profile, &service, state.draft.staff.as_deref(), date, 1).await {
            Ok(slots) if slots.iter().any(|s| s.start == start) => {
                state.draft.slot_start = Some(start);
                state.stage = Stage::RescheduleConfirm;
                Reply::listen(format!("Move it to {}? Shall I do that?", spoken_when(profile, start)))
            }
            _ => {
                state.draft.time = None;
                let mut reply = self.offer_alternatives(context, state, &service, start).await;
                state.stage = Stage::RescheduleWhen;
                reply.say = format!("Sorry, {} isn't available. {}", spoken_slot(profile, start, None), reply.say);
                reply
            }
        }
    }

    async fn confirm_reschedule(&self, context: &CallContext<'_>, state: &mut CallState, heard: &Understood) -> Reply {
        let (Some(id), Some(start)) =
            (state.draft.booking.as_deref().and_then(|b| b.parse::<BookingId>().ok()), state.draft.slot_start)
        else {
            state.stage = Stage::Menu;
            return Reply::listen("How can I help you?");
        };
        match heard.yes_no {
            Some(true) => match self.bookings.reschedule_and_notify(context.profile, id, start, None, true).await {
                Ok(booking) => {
                    state.stage = Stage::Menu;
                    state.draft = Draft::default();
                    let mut reply = Reply::listen(format!(
                        "Done. You're now booked {}. Your code stays {}. Anything else?",
                        spoken_slot(context.profile, booking.start, booking.staff.as_deref()),
                        booking.code.spelled()
                    ))
                    .with_outcome(Outcome::Rescheduled);
                    reply.booking_id = Some(booking.id.to_string());
                    reply
                }
                Err(BookingError::Conflict { .. }) => {
                    state.stage = Stage::RescheduleWhen;
                    state.draft.time = None;
                    Reply::listen("Sorry, that time was just taken. What other time works?")
                }
                Err(error) => {
                    tracing::error!(%error, "rescheduling during a call failed");
                    self.human(context, state).await
                }
            },
            Some(false) => {
                state.stage = Stage::RescheduleWhen;
                state.draft.time = None;
                Reply::listen("Okay. What day and time would you like instead?")
            }
            None => Reply::listen("Sorry, should I move it? Please say yes or no."),
        }
    }
}

impl Reply {
    fn prefixed(mut self, prefix: &str) -> Reply {
        self.say = format!("{prefix} {}", self.say);
        self
    }
}

fn goodbye(context: &CallContext<'_>, first: &str) -> Reply {
    Reply {
        say: format!("{first} Thank you for calling {}. Goodbye!", context.profile.name()),
        next: Next::Hangup,
        outcome: None,
        booking_id: None,
        unanswered: None,
        heard: None,
    }
}

fn voicemail(context: &CallContext<'_>) -> Reply {
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
    }
}

fn date_start(context: &CallContext<'_>, date: NaiveDate) -> DateTime<Utc> {
    context.at(date, NaiveTime::from_hms_opt(12, 0, 0).unwrap_or(NaiveTime::MIN)).unwrap_or(context.now)
}

fn digits_as_words(digits: String) -> String {
    match digits.as_str() {
        "1" => "I'd like to book an appointment".to_owned(),
        "2" => "I need to cancel my appointment".to_owned(),
        "0" => "I want to talk to a person".to_owned(),
        other => other.chars().map(String::from).collect::<Vec<_>>().join(" "),
    }
}

fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

/// "Friday, November 27".
pub fn spoken_date(date: NaiveDate) -> String {
    date.format("%A, %B %-d").to_string()
}

/// "2 PM", "2:30 PM", "noon".
pub fn spoken_clock(time: NaiveTime) -> String {
    match (time.hour(), time.minute()) {
        (12, 0) => "noon".to_owned(),
        (hour, minute) => {
            let (h12, meridiem) = match hour {
                0 => (12, "AM"),
                1..=11 => (hour, "AM"),
                12 => (12, "PM"),
                _ => (hour - 12, "PM"),
            };
            if minute == 0 { format!("{h12} {meridiem}") } else { format!("{h12}:{minute:02} {meridiem}") }
        }
    }
}

/// "Friday, November 27 at 2 PM".
pub fn spoken_when(profile: &TenantProfile, start: DateTime<Utc>) -> String {
    let local = start.with_timezone(&profile.timezone());
    format!("{} at {}", spoken_date(local.date_naive()), spoken_clock(local.time()))
}

/// "on Friday, November 27 at 2 PM with Marco".
pub fn spoken_slot(profile: &TenantProfile, start: DateTime<Utc>, staff: Option<&str>) -> String {
    let local = start.with_timezone(&profile.timezone());
    let with = staff.map(|s| format!(" with {s}")).unwrap_or_default();
    format!("on {} at {}{with}", spoken_date(local.date_naive()), spoken_clock(local.time()))
}

fn spoken_duration(minutes: u32) -> String {
    match minutes {
        m if m % 60 == 0 && m >= 120 => format!("{} hours'", m / 60),
        60 => "an hour's".to_owned(),
        m => format!("{m} minutes'"),
    }
}

fn or_list(items: Vec<String>) -> String {
    match items.len() {
        0 => String::new(),
        1 => items[0].clone(),
        _ => format!("{} or {}", items[..items.len() - 1].join(", "), items[items.len() - 1]),
    }
}

fn and_list(items: Vec<String>) -> String {
    match items.len() {
        0 => String::new(),
        1 => items[0].clone(),
        _ => format!("{} and {}", items[..items.len() - 1].join(", "), items[items.len() - 1]),
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

fn title_case(text: &str) -> String {
    text.split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'' && c != '-'))
        .filter(|w| !w.is_empty())
        .map(|w| capitalise(&w.to_lowercase()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether a caller meaning `top` naturally also sounds like `second`:
/// cancelling or moving an appointment mentions the appointment; a goodbye
/// comes with thanks; a price question names services.
fn subsumes(top: Intent, second: Intent) -> bool {
    matches!(
        (top, second),
        (Intent::Cancel | Intent::Reschedule, Intent::Book)
            | (Intent::Goodbye, Intent::Yes | Intent::No)
            | (Intent::AskPrices, Intent::AskServices | Intent::Book)
            | (Intent::AskServices, Intent::AskPrices)
    )
}

/// "the first one", "the second", "the earlier one", "the later one".
fn ordinal_choice(text: &str) -> Option<usize> {
    let text = text.to_lowercase();
    if ["first", "earlier", "earliest", "former", "1st"].iter().any(|w| text.contains(w)) {
        Some(0)
    } else if ["second", "later", "latter", "last", "2nd"].iter().any(|w| text.contains(w)) {
        Some(1)
    } else {
        None
    }
}

fn day_hours(profile: &TenantProfile, date: NaiveDate) -> String {
    let ranges = profile.hours().on(date.weekday());
    and_list(
        ranges
            .iter()
            .map(|r| {
                let start = NaiveTime::from_hms_opt(u32::from(r.start().hour()), u32::from(r.start().minute()), 0);
                let end = NaiveTime::from_hms_opt(u32::from(r.end().hour() % 24), u32::from(r.end().minute()), 0);
                match (start, end) {
                    (Some(s), Some(e)) => format!("from {} to {}", spoken_clock(s), spoken_clock(e)),
                    _ => r.to_string(),
                }
            })
            .collect(),
    )
}

/// "We're open Monday to Friday from 9 AM to 6 PM, Saturday from 9 AM to 4 PM, and closed on Sunday."
pub fn hours_sentence(profile: &TenantProfile, on: Option<NaiveDate>) -> String {
    if let Some(date) = on {
        if profile.is_closure(date) {
            return format!("We're closed on {}.", spoken_date(date));
        }
        let hours = day_hours(profile, date);
        return if hours.is_empty() {
            format!("We're closed on {}s.", weekday_name(date.weekday()))
        } else {
            format!("On {} we're open {hours}.", spoken_date(date))
        };
    }
    let days = [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun];
    // Group consecutive days with the same hours.
    let mut groups: Vec<(Weekday, Weekday, String)> = Vec::new();
    for day in days {
        let reference = NaiveDate::from_isoywd_opt(2026, 10, day).unwrap_or_default();
        let hours = day_hours(profile, reference);
        match groups.last_mut() {
            Some((_, last, text)) if *text == hours => *last = day,
            _ => groups.push((day, day, hours)),
        }
    }
    let parts: Vec<String> = groups
        .into_iter()
        .map(|(first, last, hours)| {
            let days = if first == last {
                weekday_name(first).to_owned()
            } else {
                format!("{} to {}", weekday_name(first), weekday_name(last))
            };
            if hours.is_empty() { format!("closed on {days}") } else { format!("{days} {hours}") }
        })
        .collect();
    format!("We're open {}.", and_list(parts))
}

fn money(profile: &TenantProfile, cents: i64) -> String {
    let symbol = match profile.currency().code() {
        "USD" => "$",
        "GBP" => "£",
        "EUR" => "€",
        _ => "",
    };
    if cents % 100 == 0 {
        format!("{symbol}{}", cents / 100)
    } else {
        format!("{symbol}{}.{:02}", cents / 100, cents % 100)
    }
}

fn prices_sentence(profile: &TenantProfile, service: Option<&str>) -> String {
    if let Some(service) = service.and_then(|s| profile.service_by_phrase(s)) {
        return format!(
            "A {} is {} and takes about {} minutes.",
            service.name().to_lowercase(),
            money(profile, service.price().minor()),
            service.duration_minutes()
        );
    }
    let items: Vec<String> = profile
        .services()
        .iter()
        .take(5)
        .map(|s| format!("a {} is {}", s.name().to_lowercase(), money(profile, s.price().minor())))
        .collect();
    capitalise(&format!("{}.", and_list(items)))
}

fn services_sentence(profile: &TenantProfile) -> String {
    let names: Vec<String> = profile.services().iter().take(6).map(|s| s.name().to_lowercase()).collect();
    format!("We offer {}.", and_list(names))
}

/// The FAQ whose question shares the most meaningful words with the caller's.
fn faq_answer(profile: &TenantProfile, question: &str) -> Option<String> {
    const STOP: [&str; 24] = [
        "do", "you", "your", "the", "a", "an", "is", "are", "i", "can", "what", "which", "there", "to", "of", "for",
        "in", "on", "we", "my", "me", "it", "how", "does",
    ];
    let words = |text: &str| -> Vec<String> {
        frontdesk_tenant::normalize_phrase(text)
            .split(' ')
            .filter(|w| w.len() > 2 && !STOP.contains(w))
            .map(|w| w.trim_end_matches('s').to_owned())
            .collect()
    };
    let asked = words(question);
    profile
        .faqs()
        .iter()
        .map(|faq| (words(&faq.question).iter().filter(|w| asked.contains(w)).count(), faq))
        .filter(|(score, _)| *score >= 1)
        .max_by_key(|(score, _)| *score)
        .map(|(_, faq)| faq.answer.clone())
}
