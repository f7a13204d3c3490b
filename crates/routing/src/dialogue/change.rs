//! Cancelling and moving a booking the caller already has.

use frontdesk_calendar::{Booking, BookingError, ChangedBy, Notice, Notify};

use super::speech::{spoken_date, spoken_slot, spoken_when};
use super::{CallContext, CallState, Change, Dialogue, Draft, Reply, Stage};
use crate::calls::Outcome;
use crate::understand::Understood;

impl Dialogue {
    /// Finds the caller's booking (by code or caller ID) to cancel or move.
    pub async fn find_booking(
        &self,
        context: &CallContext<'_>,
        state: &mut CallState,
        heard: &Understood,
        change: Change,
    ) -> Reply {
        let reschedule = change == Change::Reschedule;
        let profile = context.profile;
        let code = heard.code.as_deref().and_then(frontdesk_calendar::ConfirmationCode::parse);
        let found: Vec<Booking> =
            self.bookings.callers_upcoming(profile, code.as_ref(), context.caller).await.unwrap_or_else(|error| {
                tracing::error!(%error, "could not look up the caller's bookings");
                Vec::new()
            });
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
        state.draft.booking = Some(booking.id);
        // "Same time" when moving it means the booking's own time.
        state.draft.asked_time = Some(booking.start.with_timezone(&profile.timezone()).time());
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

    pub(super) async fn confirm_cancel(
        &self,
        context: &CallContext<'_>,
        state: &mut CallState,
        heard: &Understood,
    ) -> Reply {
        let Some(id) = state.draft.booking else {
            state.stage = Stage::Menu;
            return Reply::listen("How can I help you?");
        };
        match heard.yes_no {
            Some(true) => match self
                .bookings
                .cancel_by(context.profile, id, Notice::Enforce, Notify::Customer, ChangedBy::Call)
                .await
            {
                Ok(booking) => {
                    state.stage = Stage::Menu;
                    state.draft = Draft::default();
                    let mut reply = Reply::listen(
                        "Done, your appointment is cancelled, and I'll text you a confirmation. Anything else?",
                    )
                    .with_outcome(Outcome::Cancelled);
                    reply.booking_id = Some(booking.id);
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

    pub(super) async fn reschedule_when(
        &self,
        context: &CallContext<'_>,
        state: &mut CallState,
        heard: &Understood,
    ) -> Reply {
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

    pub(super) async fn confirm_reschedule(
        &self,
        context: &CallContext<'_>,
        state: &mut CallState,
        heard: &Understood,
    ) -> Reply {
        let (Some(id), Some(start)) = (state.draft.booking, state.draft.slot_start) else {
            state.stage = Stage::Menu;
            return Reply::listen("How can I help you?");
        };
        match heard.yes_no {
            Some(true) => match self
                .bookings
                .reschedule_by(context.profile, id, start, None, Notify::Customer, ChangedBy::Call)
                .await
            {
                Ok(booking) => {
                    state.stage = Stage::Menu;
                    state.draft = Draft::default();
                    let mut reply = Reply::listen(format!(
                        "Done. You're now booked {}. Your code stays {}. Anything else?",
                        spoken_slot(context.profile, booking.start, booking.staff.as_deref()),
                        booking.code.spelled()
                    ))
                    .with_outcome(Outcome::Rescheduled);
                    reply.booking_id = Some(booking.id);
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
