//! Texts a customer sends to a shop's number. Whole-message words, any case
//! and punctuation:
//! - **C, Y, YES, CONFIRM, OK** confirm the sender's next appointment at
//!   this shop (YES also opts back in, as the carriers read it);
//! - **X** cancels it outside the shop's cancellation notice, and inside it
//!   says to call and lets the owner know;
//! - **R** offers three free times, each held for 15 minutes, and **1**,
//!   **2** or **3** moves the appointment there;
//! - **HELP, INFO** say who is texting and how to reach the shop;
//! - **STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT** opt
//!   out (the carriers' and the FCC's words) and withdraw pending reminders;
//!   CANCEL never cancels an appointment, and the owner hears when a
//!   customer with one sent it; **START, UNSTOP** opt back in;
//! - anything else gets a short pointer to C, R and X (or to calling).
//!
//! Every reply is a text the shop sends: metered once per inbound message.
//! The edge passes the text in and sends back what this returns; nothing
//! here knows Twilio.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use frontdesk_billing::Metering;
use frontdesk_calendar::{Booking, BookingError, BookingId, BookingService, ChangedBy, Hold, HoldId, Notice, Notify};
use frontdesk_core::E164;
use frontdesk_flags::{Flag, FlagService};
use frontdesk_jobs::JobQueue;
use frontdesk_messaging::{MessageLog, TextOffer};
use frontdesk_tenant::TenantProfile;
use serde::{Deserialize, Serialize};

use crate::reminders::when_from;
use crate::texts::owner_notice_job;

/// Words that opt a number out of texts (the carriers' list and the FCC's
/// revocation words; Twilio's default opt-out set).
const OPT_OUT: [&str; 8] = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"];
/// Words that opt it back in.
const OPT_IN: [&str; 2] = ["START", "UNSTOP"];
/// Words that confirm the next appointment.
const CONFIRM: [&str; 5] = ["C", "Y", "YES", "CONFIRM", "OK"];
const HELP: [&str; 2] = ["HELP", "INFO"];
/// How long the times an R reply offers are held.
pub const OFFER_HOLD: Duration = Duration::minutes(15);
/// How many times an R reply offers.
const OFFERED: usize = 3;

/// A text that arrived at a shop's number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundText<'a> {
    pub from: &'a E164,
    pub body: &'a str,
    /// The provider's id of the text (the reply is metered once per id).
    pub message_id: Option<&'a str>,
    /// Whether the shop may text yet (its texting registration is approved,
    /// or its numbers need none: see `frontdesk-provisioning`). When not,
    /// an opt-out or opt-in is still recorded, and nothing else is done or
    /// sent: a reply is a text like any other.
    pub cleared_to_text: bool,
}

/// What an R reply offered: the booking to move, and each time with its
/// hold (ids as their text: the payload is our own JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct MoveOffer {
    booking: String,
    options: Vec<OfferedTime>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct OfferedTime {
    hold: String,
    start: DateTime<Utc>,
    staff: Option<String>,
}

/// What the customer's words ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Word {
    OptOut { cancel: bool },
    OptIn,
    Confirm { yes: bool },
    Cancel,
    Reschedule,
    Pick(usize),
    Help,
    Other,
}

impl Word {
    /// The whole message as a reply word: letters and digits only, any case
    /// ("Yes!", "c.", "opt out" are words; "stop texting me" is not).
    fn of(body: &str) -> Word {
        let word: String = body.chars().filter(|c| c.is_alphanumeric()).collect::<String>().to_uppercase();
        let word = word.as_str();
        if OPT_OUT.contains(&word) {
            Word::OptOut { cancel: word == "CANCEL" }
        } else if OPT_IN.contains(&word) {
            Word::OptIn
        } else if CONFIRM.contains(&word) {
            Word::Confirm { yes: word == "YES" }
        } else if HELP.contains(&word) {
            Word::Help
        } else {
            match word {
                "X" => Word::Cancel,
                "R" => Word::Reschedule,
                "1" | "2" | "3" => Word::Pick(usize::from(word.as_bytes()[0] - b'0')),
                _ => Word::Other,
            }
        }
    }
}

/// Answers texts to a shop's number.
pub struct InboundTexts {
    log: Arc<dyn MessageLog>,
    flags: Arc<FlagService>,
    metering: Arc<Metering>,
    bookings: Arc<BookingService>,
    /// Where the owner's notices are queued.
    jobs: Arc<dyn JobQueue>,
}

impl InboundTexts {
    pub fn new(
        log: Arc<dyn MessageLog>,
        flags: Arc<FlagService>,
        metering: Arc<Metering>,
        bookings: Arc<BookingService>,
        jobs: Arc<dyn JobQueue>,
    ) -> InboundTexts {
        InboundTexts { log, flags, metering, bookings, jobs }
    }

    /// The reply to send, if any. An opt-out gets none (the carrier
    /// confirms it); a shop whose plan has texts off answers only opt-ins; a
    /// shop not cleared to text yet answers nothing.
    /// A store that fails is logged and the customer still gets a reply.
    #[tracing::instrument(skip_all, fields(tenant_id = %profile.slug()))]
    pub async fn reply(&self, profile: &TenantProfile, text: InboundText<'_>, now: DateTime<Utc>) -> Option<String> {
        let word = Word::of(text.body);
        let reply = match word {
            Word::OptOut { cancel } => {
                self.opt_out(profile, text.from, cancel, text.message_id, now).await;
                return None;
            }
            Word::OptIn => {
                self.set_opt_out(profile, text.from, false, now).await;
                if !text.cleared_to_text {
                    return None;
                }
                opted_in(profile)
            }
            _ if !text.cleared_to_text => {
                tracing::info!("a text to a shop not cleared to text yet: no reply");
                return None;
            }
            _ if self.texts_off(profile).await => return None,
            Word::Help => format!(
                "{}: appointment texts. For help call us at {}. Reply STOP to opt out.",
                profile.name(),
                shop_number(profile)
            ),
            Word::Confirm { yes } => {
                if yes {
                    // The carriers read YES as an opt-in too.
                    self.set_opt_out(profile, text.from, false, now).await;
                }
                match self.next_booking(profile, text.from).await {
                    Some(booking) => self.confirm(profile, &booking, now).await,
                    None if yes => opted_in(profile),
                    None => no_booking(profile),
                }
            }
            Word::Cancel => match self.next_booking(profile, text.from).await {
                Some(booking) => self.cancel(profile, &booking, text.message_id, now).await,
                None => no_booking(profile),
            },
            Word::Reschedule => match self.next_booking(profile, text.from).await {
                Some(booking) => self.offer_times(profile, &booking, text.from, now).await,
                None => no_booking(profile),
            },
            Word::Pick(choice) => match self.take_offer(profile, text.from, now).await {
                Some(offer) => self.pick(profile, text.from, offer, choice, now).await,
                None => self.pointer(profile, text.from, now).await,
            },
            Word::Other => self.pointer(profile, text.from, now).await,
        };
        // The reply is a text we send: metered once per inbound message.
        if let Some(id) = text.message_id
            && let Err(error) = self.metering.record_sms(profile.slug(), &format!("reply-{id}"), &reply, now).await
        {
            tracing::error!(%error, "could not meter an SMS reply");
        }
        Some(reply)
    }

    async fn set_opt_out(&self, profile: &TenantProfile, from: &E164, opted_out: bool, now: DateTime<Utc>) {
        if let Err(error) = self.log.set_opt_out(profile.slug(), from, opted_out, now).await {
            tracing::error!(%error, opted_out, "could not record an opt-out or opt-in");
        }
    }

    /// Records the opt-out and withdraws the reminders of the sender's
    /// upcoming appointments, which stay booked. A CANCEL from a customer
    /// with one is told to the owner: they may have meant the appointment.
    async fn opt_out(
        &self,
        profile: &TenantProfile,
        from: &E164,
        said_cancel: bool,
        message_id: Option<&str>,
        now: DateTime<Utc>,
    ) {
        self.set_opt_out(profile, from, true, now).await;
        let upcoming = self.upcoming(profile, from).await;
        for booking in &upcoming {
            self.bookings.withdraw_reminders(profile, booking.id).await;
        }
        if said_cancel && let Some(booking) = upcoming.first() {
            let body = format!(
                "Frontdesk: {} ({}) texted CANCEL, which stops texts to them. Their {} {} is still booked; call them if they meant to cancel it.",
                booking.customer.name,
                from,
                booking.service.to_lowercase(),
                when_from(profile, booking.start, now),
            );
            self.notify_owner(
                profile,
                &format!("cancel-word:{}", message_id.unwrap_or(&booking.id.to_string())),
                &body,
            )
            .await;
        }
    }

    async fn confirm(&self, profile: &TenantProfile, booking: &Booking, now: DateTime<Utc>) -> String {
        match self.bookings.store().record_confirmation(profile.slug(), booking.id, now).await {
            Ok(_) => format!(
                "{}: thanks, your {} {} is confirmed. See you then!",
                profile.name(),
                booking.service.to_lowercase(),
                when_from(profile, booking.start, now)
            ),
            Err(error) => {
                tracing::error!(%error, booking_id = %booking.id, "could not record a confirmation");
                call_us(profile)
            }
        }
    }

    async fn cancel(
        &self,
        profile: &TenantProfile,
        booking: &Booking,
        message_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> String {
        let what = format!("{} {}", booking.service.to_lowercase(), when_from(profile, booking.start, now));
        // The reply says it: no separate cancellation text.
        match self.bookings.cancel_by(profile, booking.id, Notice::Enforce, Notify::Nobody, ChangedBy::Text).await {
            Ok(_) => format!(
                "{}: your {what} is cancelled. To book again, call us at {}.",
                profile.name(),
                shop_number(profile)
            ),
            Err(BookingError::TooLateToCancel { hours }) => {
                let body = format!(
                    "Frontdesk: {} ({}) asked by text to cancel their {what}, inside your {hours}-hour notice. It is still booked; you may want to call them.",
                    booking.customer.name, booking.customer.phone
                );
                self.notify_owner(
                    profile,
                    &format!("late-cancel:{}", message_id.unwrap_or(&booking.id.to_string())),
                    &body,
                )
                .await;
                format!(
                    "{}: cancellations need {hours} hours' notice, so we couldn't cancel your {what} by text. Please call us at {}.",
                    profile.name(),
                    shop_number(profile)
                )
            }
            Err(error) => {
                tracing::error!(%error, booking_id = %booking.id, "cancelling by text failed");
                call_us(profile)
            }
        }
    }

    /// Holds the next three free times for the booking's service (not its
    /// own) and offers them by number. A previous offer's holds are let go.
    async fn offer_times(&self, profile: &TenantProfile, booking: &Booking, from: &E164, now: DateTime<Utc>) -> String {
        if let Some(previous) = self.take_offer(profile, from, now).await {
            self.release(profile, &previous).await;
        }
        // Consecutive slots often share a staff member, whom one hold blocks
        // for the next ones: look further than three.
        let slots = match self.bookings.next_slots(profile, &booking.service, None, OFFERED * 8).await {
            Ok(slots) => slots,
            Err(error) => {
                tracing::error!(%error, "could not find times to offer by text");
                return call_us(profile);
            }
        };
        let mut options = Vec::new();
        let mut held: Vec<Hold> = Vec::new();
        for slot in slots.into_iter().filter(|s| s.start != booking.start) {
            if options.len() == OFFERED {
                break;
            }
            if held.iter().any(|h| h.staff == slot.staff && slot.start < h.occupied_until && h.start < slot.end) {
                continue; // this staff member is held for an earlier option
            }
            match self.bookings.hold_for(profile, &booking.service, slot.start, slot.staff.as_deref(), OFFER_HOLD).await
            {
                Ok(hold) => {
                    options.push(OfferedTime {
                        hold: hold.id.to_string(),
                        start: hold.start,
                        staff: hold.staff.clone(),
                    });
                    held.push(hold);
                }
                Err(error) => tracing::info!(%error, "a time to offer was taken meanwhile"),
            }
        }
        if options.is_empty() {
            return format!(
                "{}: sorry, we have no free times to offer by text right now. Please call us at {}.",
                profile.name(),
                shop_number(profile)
            );
        }
        let listed: Vec<String> = options
            .iter()
            .enumerate()
            .map(|(i, option)| format!("{} for {}", i + 1, when_from(profile, option.start, now)))
            .collect();
        let offer = MoveOffer { booking: booking.id.to_string(), options };
        let kept = self.keep_offer(profile, from, &offer, now).await;
        if let Err(error) = kept {
            tracing::error!(%error, "could not keep a text offer");
            self.release(profile, &offer).await;
            return call_us(profile);
        }
        format!(
            "{}: to move your {}, reply {}. Held for 15 minutes.",
            profile.name(),
            booking.service.to_lowercase(),
            listed.join(", ")
        )
    }

    /// Moves the booking to the time the customer picked.
    async fn pick(
        &self,
        profile: &TenantProfile,
        from: &E164,
        offer: MoveOffer,
        choice: usize,
        now: DateTime<Utc>,
    ) -> String {
        let Some(picked) = offer.options.get(choice - 1).cloned() else {
            let count = offer.options.len();
            if let Err(error) = self.keep_offer(profile, from, &offer, now).await {
                tracing::error!(%error, "could not keep a text offer");
            }
            return format!("{}: please reply a number from 1 to {count}.", profile.name());
        };
        // Let every hold go, the picked one too: the move takes its time
        // in one step (or finds it taken and changes nothing).
        self.release(profile, &offer).await;
        let Ok(booking) = offer.booking.parse::<BookingId>() else {
            tracing::error!(booking = %offer.booking, "a text offer names no booking");
            return call_us(profile);
        };
        match self
            .bookings
            .reschedule_by(profile, booking, picked.start, picked.staff.as_deref(), Notify::Nobody, ChangedBy::Text)
            .await
        {
            Ok(moved) => format!(
                "{}: done, your {} is moved to {}. Your code stays {}.",
                profile.name(),
                moved.service.to_lowercase(),
                when_from(profile, moved.start, now),
                moved.code
            ),
            Err(BookingError::Conflict { .. }) => {
                format!("{}: sorry, that time was just taken. Reply R for new times.", profile.name())
            }
            Err(error) => {
                tracing::error!(%error, booking_id = %offer.booking, "moving a booking by text failed");
                call_us(profile)
            }
        }
    }

    /// The open offer to `from`, if one is still held; an expired one is
    /// let go (its holds lapsed on their own).
    async fn take_offer(&self, profile: &TenantProfile, from: &E164, now: DateTime<Utc>) -> Option<MoveOffer> {
        let offer = match self.log.take_offer(profile.slug(), from).await {
            Ok(offer) => offer?,
            Err(error) => {
                tracing::error!(%error, "could not read a text offer");
                return None;
            }
        };
        let parsed: Option<MoveOffer> = serde_json::from_str(&offer.payload)
            .inspect_err(|error| tracing::error!(%error, "a stored text offer does not decode"))
            .ok();
        if offer.expires_at <= now {
            if let Some(expired) = &parsed {
                self.release(profile, expired).await;
            }
            return None;
        }
        parsed
    }

    /// Keeps `offer` open for the next 15 minutes.
    async fn keep_offer(
        &self,
        profile: &TenantProfile,
        from: &E164,
        offer: &MoveOffer,
        now: DateTime<Utc>,
    ) -> Result<(), String> {
        let payload = serde_json::to_string(offer).map_err(|e| e.to_string())?;
        let offer =
            TextOffer { tenant: profile.slug().clone(), phone: from.clone(), payload, expires_at: now + OFFER_HOLD };
        self.log.put_offer(&offer).await.map_err(|e| e.to_string())
    }

    async fn release(&self, profile: &TenantProfile, offer: &MoveOffer) {
        for hold in offer.options.iter().filter_map(|option| option.hold.parse::<HoldId>().ok()) {
            if let Err(error) = self.bookings.release_hold(profile, hold).await {
                tracing::warn!(%error, "could not let an offered time go (it lapses on its own)");
            }
        }
    }

    /// Anything else: what the words do, for a customer with an
    /// appointment; how to reach the shop for anyone.
    async fn pointer(&self, profile: &TenantProfile, from: &E164, now: DateTime<Utc>) -> String {
        match self.next_booking(profile, from).await {
            Some(booking) => format!(
                "{}: reply C to confirm your {} {}, R to reschedule or X to cancel. Or call us at {}.",
                profile.name(),
                booking.service.to_lowercase(),
                when_from(profile, booking.start, now),
                shop_number(profile)
            ),
            None => format!(
                "{}: thanks for your message. To book, change or cancel an appointment, call us at {}. Reply STOP to opt out.",
                profile.name(),
                shop_number(profile)
            ),
        }
    }

    /// The sender's upcoming appointments at this shop, soonest first (by
    /// their own number only: a text reaches no one else's booking).
    async fn upcoming(&self, profile: &TenantProfile, from: &E164) -> Vec<Booking> {
        self.bookings.callers_upcoming(profile, None, Some(from)).await.unwrap_or_else(|error| {
            tracing::error!(%error, "could not look up the sender's bookings");
            Vec::new()
        })
    }

    async fn next_booking(&self, profile: &TenantProfile, from: &E164) -> Option<Booking> {
        self.upcoming(profile, from).await.into_iter().next()
    }

    async fn notify_owner(&self, profile: &TenantProfile, key: &str, body: &str) {
        let Some(job) = owner_notice_job(profile, key, body) else { return };
        if let Err(error) = self.jobs.enqueue(job).await {
            tracing::error!(%error, "could not queue the owner's notice");
        }
    }

    /// Whether the shop's plan turns texts off (flags that cannot be read answer texts).
    async fn texts_off(&self, profile: &TenantProfile) -> bool {
        match self.flags.effective(profile.slug()).await {
            Ok(flags) => flags.is_some_and(|flags| !flags.enabled(Flag::EnableSms)),
            Err(error) => {
                tracing::error!(%error, "could not read the tenant's flags; answering the text");
                false
            }
        }
    }
}

fn shop_number(profile: &TenantProfile) -> String {
    profile.phone_numbers().first().map(E164::to_string).unwrap_or_default()
}

fn opted_in(profile: &TenantProfile) -> String {
    format!("{}: you'll get texts from us again. Reply STOP to opt out.", profile.name())
}

fn no_booking(profile: &TenantProfile) -> String {
    format!(
        "{}: we couldn't find an upcoming appointment for this number. To book or change one, call us at {}.",
        profile.name(),
        shop_number(profile)
    )
}

fn call_us(profile: &TenantProfile) -> String {
    format!(
        "{}: sorry, we couldn't do that by text just now. Please call us at {}.",
        profile.name(),
        shop_number(profile)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_messages_are_words_in_any_case_and_punctuation() {
        let cases = [
            ("STOP", Word::OptOut { cancel: false }),
            (" stop ", Word::OptOut { cancel: false }),
            ("Opt out", Word::OptOut { cancel: false }),
            ("revoke", Word::OptOut { cancel: false }),
            ("Cancel", Word::OptOut { cancel: true }),
            ("unstop", Word::OptIn),
            ("Yes!", Word::Confirm { yes: true }),
            ("c.", Word::Confirm { yes: false }),
            ("ok", Word::Confirm { yes: false }),
            ("x", Word::Cancel),
            ("R", Word::Reschedule),
            ("2", Word::Pick(2)),
            ("info", Word::Help),
            ("4", Word::Other),
            ("stop texting me", Word::Other),
            ("can I come at 3 instead", Word::Other),
        ];
        for (body, expected) in cases {
            assert_eq!(Word::of(body), expected, "{body:?}");
        }
    }
}
