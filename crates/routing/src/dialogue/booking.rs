//! Booking: collect what is missing, hold, read back, book on a yes.

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc};
use frontdesk_calendar::{BookingError, BookingRequest, BookingSource, Customer, Slot};

use super::information::{day_hours, services_sentence};
use super::speech::{
    or_list, spoken_date, spoken_duration, spoken_slot, spoken_when, title_case, weekday_name, with_article,
};
use super::{CallContext, CallState, Dialogue, Draft, Reply, Stage, date_start};
use crate::calls::Outcome;
use crate::understand::{Intent, Understood};

impl Dialogue {
    /// Takes every booking detail the caller gave this turn.
    pub(super) fn absorb(&self, state: &mut CallState, heard: &Understood) {
        let draft = &mut state.draft;
        if let Some(service) = &heard.service {
            draft.service = Some(service.clone());
        }
        if let Some(date) = heard.date {
            draft.date = Some(date);
        }
        if let Some(time) = heard.time {
            draft.time = Some(time);
            draft.asked_time = Some(time);
            draft.window = None;
        } else if heard.same_time && draft.time.is_none() && heard.window.is_none() {
            draft.time = draft.asked_time;
        }
        if let Some(window) = heard.window {
            draft.window = Some(window);
        }
        if heard.staff.is_some() {
            draft.staff = heard.staff.clone();
        }
        self.absorb_name(state, heard);
    }

    /// The caller's name, when they gave one. A bare answer to "what's your
    /// name?" that rules could not read is taken as it is, unless it is a
    /// yes or no, a greeting or a filler: those are never names.
    fn absorb_name(&self, state: &mut CallState, heard: &Understood) {
        if let Some(name) = &heard.name {
            state.draft.name = Some(name.clone());
            return;
        }
        if !state.asked_for_name || heard.yes_no.is_some() || heard.intent.is_some_and(|(i, _)| i == Intent::No) {
            return;
        }
        let words: Vec<String> =
            frontdesk_language::normalize(&heard.redacted).split_whitespace().map(str::to_owned).collect();
        let not_a_name = words.iter().any(|w| NOT_A_NAME.contains(&w.as_str()));
        if (1..=3).contains(&words.len())
            && !not_a_name
            && heard.service.is_none()
            && heard.date.is_none()
            && heard.time.is_none()
        {
            state.draft.name = Some(title_case(&heard.redacted));
        }
    }

    /// A slot is held and the caller was asked their name: the name completes
    /// the booking they already agreed to; another day, time, service or
    /// person starts the search again.
    pub(super) async fn take_name(
        &self,
        context: &CallContext<'_>,
        state: &mut CallState,
        heard: &Understood,
    ) -> Reply {
        let changed = heard.date.is_some()
            || heard.time.is_some()
            || heard.window.is_some()
            || heard.service.is_some()
            || heard.staff.is_some()
            || heard.same_time;
        if changed {
            self.release_hold(context, state).await;
            state.draft.slot_start = None;
            state.stage = Stage::Booking;
            return self.booking(context, state, heard).await;
        }
        if heard.yes_no == Some(false) && heard.name.is_none() {
            self.release_hold(context, state).await;
            state.draft.slot_start = None;
            state.draft.time = None;
            state.stage = Stage::Booking;
            return Reply::listen("No problem. What day and time would suit you better?");
        }
        self.absorb_name(state, heard);
        if state.draft.name.is_none() {
            state.asked_for_name = true;
            return Reply::listen("Sorry, what name should I put the booking under?");
        }
        state.asked_for_name = false;
        self.read_back(context, state)
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

    pub(super) async fn first_in_window(
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

    pub(super) async fn try_hold(
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
                state.draft.hold = Some(hold.id);
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
    pub(super) async fn rule_problem(
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

    pub(super) async fn offer_alternatives(
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

    pub(super) async fn choose_option(
        &self,
        context: &CallContext<'_>,
        state: &mut CallState,
        heard: &Understood,
    ) -> Reply {
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

    pub(super) fn read_back(&self, context: &CallContext<'_>, state: &mut CallState) -> Reply {
        let draft = &state.draft;
        let (Some(start), Some(_)) = (draft.slot_start, draft.service.as_deref()) else {
            return Reply::listen("What day and time would you like?");
        };
        if draft.name.is_none() {
            state.stage = Stage::AskName;
            state.asked_for_name = true;
            let with = draft.slot_staff.as_deref().map(|staff| format!(" with {staff}")).unwrap_or_default();
            return Reply::listen(format!(
                "{}{with} is available. Can I have your name, please?",
                spoken_when(context.profile, start)
            ));
        }
        state.stage = Stage::ConfirmBooking;
        Reply::listen(read_back_question(context, draft).unwrap_or_default())
    }

    pub(super) async fn confirm_booking(
        &self,
        context: &CallContext<'_>,
        state: &mut CallState,
        heard: &Understood,
    ) -> Reply {
        match (heard.yes_no, changes_the_slot(context, &state.draft, heard)) {
            // "No, make it 3 PM", "Friday instead", "with Dee": the corrected read-back.
            (_, true) => {
                self.release_hold(context, state).await;
                state.draft.slot_start = None;
                state.stage = Stage::Booking;
                self.booking(context, state, heard).await
            }
            (Some(true), false) => self.book(context, state).await,
            (Some(false), false) => {
                self.release_hold(context, state).await;
                state.stage = Stage::Booking;
                state.draft.time = None;
                state.draft.slot_start = None;
                Reply::listen("No problem. What would you like to change: the day, the time or the service?")
            }
            (None, false) => match read_back_question(context, &state.draft) {
                Some(question) => Reply::asking("Sorry, I didn't catch a yes or a no.", question),
                None => Reply::listen("Sorry, should I book it? Please say yes or no."),
            },
        }
    }

    pub(super) async fn book(&self, context: &CallContext<'_>, state: &mut CallState) -> Reply {
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
            hold: draft.hold,
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
                reply.booking_id = Some(booking.id);
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
}

/// "the first one", "the second", "the earlier one", "the later one".
pub(crate) fn ordinal_choice(text: &str) -> Option<usize> {
    let text = text.to_lowercase();
    if ["first", "earlier", "earliest", "former", "1st"].iter().any(|w| text.contains(w)) {
        Some(0)
    } else if ["second", "later", "latter", "last", "2nd"].iter().any(|w| text.contains(w)) {
        Some(1)
    } else {
        None
    }
}

/// Whether the caller asks for another day, time, service or person than the
/// slot being read back (repeating the same details changes nothing).
fn changes_the_slot(context: &CallContext<'_>, draft: &Draft, heard: &Understood) -> bool {
    let local = draft.slot_start.map(|start| start.with_timezone(&context.profile.timezone()));
    let other = |said: Option<String>, now: Option<&str>| said.is_some_and(|s| Some(s.as_str()) != now);
    heard.date.is_some_and(|date| Some(date) != local.map(|l| l.date_naive()))
        || heard.time.is_some_and(|time| Some(time) != local.map(|l| l.time()))
        || heard.window.is_some()
        || other(heard.service.clone(), draft.service.as_deref())
        || other(heard.staff.clone(), draft.slot_staff.as_deref())
}

/// Words a caller says that are never a name.
const NOT_A_NAME: [&str; 24] = [
    "yes", "yeah", "yep", "yup", "no", "nope", "nah", "ok", "okay", "sure", "hello", "hi", "hey", "um", "uh", "umm",
    "hmm", "er", "what", "sorry", "pardon", "huh", "thanks", "please",
];

/// "Just to confirm: a haircut on Friday … for Jo. Shall I book it?"
pub(super) fn read_back_question(context: &CallContext<'_>, draft: &Draft) -> Option<String> {
    let (start, service, name) = (draft.slot_start?, draft.service.as_deref()?, draft.name.as_deref()?);
    Some(format!(
        "Just to confirm: {} {}, for {}. Shall I book it?",
        with_article(&service.to_lowercase()),
        spoken_slot(context.profile, start, draft.slot_staff.as_deref()),
        name
    ))
}
