//! Why a shop's texts to customers wait: its carrier registration (A2P
//! 10DLC) is not approved yet. The owner sees it on Today, the operator on
//! the shops page; the admin API's `…/provisioning` says the same.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use frontdesk_core::TenantId;
use frontdesk_messaging::MessageRecord;
use frontdesk_provisioning::{Clearance, WAITING_FOR_REGISTRATION, waiting_texts};

use crate::app::AppState;

/// How many of a shop's latest texts are looked through for waiting ones.
pub(super) const TEXTS_READ: u32 = 500;

/// A shop whose texts wait for its registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TextsWaiting {
    /// Texts queued until the registration is approved.
    pub waiting: usize,
    /// When the oldest of them was written.
    pub since: Option<DateTime<Utc>>,
    /// Where the registration stands, in words ("its texting campaign is
    /// under review by the carriers (usually a few days)").
    pub status: String,
}

impl TextsWaiting {
    /// From the shop's clearance and its latest texts: `None` when its texts
    /// go out.
    pub fn of(clearance: &Clearance, messages: &[MessageRecord]) -> Option<TextsWaiting> {
        let Clearance::Waiting(reason) = clearance else { return None };
        let status = reason
            .strip_prefix(WAITING_FOR_REGISTRATION)
            .map(|rest| rest.trim_start_matches(':').trim())
            .unwrap_or(reason)
            .to_owned();
        let (waiting, since) =
            waiting_texts(messages).fold((0, None), |(count, since): (usize, Option<DateTime<Utc>>), text| {
                (count + 1, Some(since.map_or(text.created_at, |since| since.min(text.created_at))))
            });
        Some(TextsWaiting { waiting, since, status })
    }

    /// What the banner says, times in `zone`.
    pub fn sentence(&self, zone: Tz) -> String {
        let since = match self.since {
            Some(at) => {
                let local = at.with_timezone(&zone);
                format!(
                    " since {} at {}",
                    frontdesk_routing::spoken_date(local.date_naive()),
                    frontdesk_routing::spoken_clock(local.time())
                )
            }
            None => String::new(),
        };
        format!(
            "Texts to customers are waiting for carrier registration ({} waiting){since}. Status: {}.",
            self.waiting, self.status
        )
    }
}

/// Whether the shop's texts wait for its registration, and how many: one
/// read when they go out, a second (its latest texts) when they wait.
pub(super) async fn texts_waiting(state: &AppState, tenant: &TenantId) -> anyhow::Result<Option<TextsWaiting>> {
    let clearance = state.provisioning.texting_clearance(tenant, None).await?;
    if clearance == Clearance::Cleared {
        return Ok(None);
    }
    let messages = state.messages.list_messages(tenant, TEXTS_READ).await?;
    Ok(TextsWaiting::of(&clearance, &messages))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn text(id: &str, status: &str, error: Option<&str>, minute: u32) -> MessageRecord {
        MessageRecord {
            id: id.to_owned(),
            tenant: TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}")),
            to: frontdesk_core::E164::parse("+15555551234").unwrap_or_else(|e| panic!("{e}")),
            from: frontdesk_core::E164::parse("+15555550100").unwrap_or_else(|e| panic!("{e}")),
            body: "Fresh Cuts: you're booked".to_owned(),
            status: status.to_owned(),
            provider_id: None,
            booking_id: None,
            error: error.map(str::to_owned),
            created_at: Utc.with_ymd_and_hms(2026, 11, 24, 15, minute, 0).single().unwrap_or_default(),
            updated_at: Utc.with_ymd_and_hms(2026, 11, 24, 15, minute, 0).single().unwrap_or_default(),
        }
    }

    #[test]
    fn a_shop_waiting_for_registration_hears_how_many_texts_wait_since_when_and_why() {
        let waiting = "waiting for texting registration: its texting campaign is under review by the carriers";
        let texts = vec![
            text("m1", "queued", Some(waiting), 30),
            text("m2", "sent", None, 10),
            text("m3", "queued", Some(waiting), 5),
            text("m4", "queued", None, 1),
            text("m5", "failed", Some("30007 filtered"), 2),
        ];
        let clearance = Clearance::Waiting(waiting.to_owned());
        let found = TextsWaiting::of(&clearance, &texts).unwrap_or_else(|| panic!("texts wait"));
        assert_eq!(
            (found.waiting, found.since.map(|at| at.to_rfc3339())),
            (2, Some("2026-11-24T15:05:00+00:00".into()))
        );
        assert_eq!(
            found.sentence(chrono_tz::America::New_York),
            "Texts to customers are waiting for carrier registration (2 waiting) since Tuesday, November 24 at 10:05 AM. Status: its texting campaign is under review by the carriers."
        );
        // Nothing written yet: no "since".
        let none = TextsWaiting::of(&clearance, &[]).unwrap_or_else(|| panic!("texts would wait"));
        assert_eq!(
            none.sentence(chrono_tz::America::New_York),
            "Texts to customers are waiting for carrier registration (0 waiting). Status: its texting campaign is under review by the carriers."
        );
        assert_eq!(TextsWaiting::of(&Clearance::Cleared, &texts), None, "texts go out");
    }
}
