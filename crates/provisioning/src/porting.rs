//! Bringing a shop's existing number over (a port-in): one request per
//! number, its status kept current by the provider's porting events. The
//! shop forwards its line to a bought number meanwhile, so it answers the
//! same day.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use frontdesk_core::{E164, StoreError, TenantId, stored_tenant};

use crate::ids::PortInSid;
use crate::numbers::ProviderError;

/// Where a port-in request stands (the provider's words: In progress,
/// Completed, Expired, In review, Waiting for Signature, Action Required,
/// Canceled).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PortInStatus {
    /// The letter of authorization was sent to the shop's representative.
    WaitingForSignature,
    /// Submitted to the losing carrier.
    InProgress,
    /// The provider is checking it.
    InReview,
    /// Something must be fixed (a rejected number, a wrong PIN).
    ActionRequired,
    /// Every number ported (or cancelled).
    Completed,
    Canceled,
    /// Not signed in time.
    Expired,
}

impl PortInStatus {
    pub const ALL: [PortInStatus; 7] = [
        PortInStatus::WaitingForSignature,
        PortInStatus::InProgress,
        PortInStatus::InReview,
        PortInStatus::ActionRequired,
        PortInStatus::Completed,
        PortInStatus::Canceled,
        PortInStatus::Expired,
    ];

    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            PortInStatus::WaitingForSignature => "waiting_for_signature",
            PortInStatus::InProgress => "in_progress",
            PortInStatus::InReview => "in_review",
            PortInStatus::ActionRequired => "action_required",
            PortInStatus::Completed => "completed",
            PortInStatus::Canceled => "canceled",
            PortInStatus::Expired => "expired",
        }
    }

    /// What an operator reads.
    pub fn label(self) -> &'static str {
        match self {
            PortInStatus::WaitingForSignature => "waiting for the owner's signature",
            PortInStatus::InProgress => "in progress at the losing carrier",
            PortInStatus::InReview => "in review",
            PortInStatus::ActionRequired => "action required",
            PortInStatus::Completed => "completed",
            PortInStatus::Canceled => "canceled",
            PortInStatus::Expired => "expired",
        }
    }

    /// The provider's word in any of its spellings: `In progress`,
    /// `in_progress`, `IN-PROGRESS`, and the event names (`PortInInProgress`,
    /// `PortInWaitingForSignature`); `cancelled` too.
    pub fn parse(raw: &str) -> Option<PortInStatus> {
        let key = normalize(raw);
        let key = key.strip_prefix("portin").unwrap_or(&key);
        Some(match key {
            "waitingforsignature" => PortInStatus::WaitingForSignature,
            "inprogress" => PortInStatus::InProgress,
            "inreview" => PortInStatus::InReview,
            "actionrequired" => PortInStatus::ActionRequired,
            "completed" => PortInStatus::Completed,
            "canceled" | "cancelled" => PortInStatus::Canceled,
            "expired" => PortInStatus::Expired,
            _ => return None,
        })
    }

    /// Nothing moves it on: a late event about an earlier step changes nothing.
    pub fn is_final(self) -> bool {
        matches!(self, PortInStatus::Completed | PortInStatus::Canceled | PortInStatus::Expired)
    }
}

/// Lower case, letters and digits only.
fn normalize(raw: &str) -> String {
    raw.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

/// Where one number of a port-in stands (the provider's per-number events).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PortedNumberStatus {
    WaitingForSignature,
    /// Sent to the losing carrier.
    Submitted,
    /// Accepted by the losing carrier, a port date set.
    Pending,
    Completed,
    /// Refused by the losing carrier (the reason is in the record's detail).
    Rejected,
    Canceled,
}

impl PortedNumberStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PortedNumberStatus::WaitingForSignature => "waiting_for_signature",
            PortedNumberStatus::Submitted => "submitted",
            PortedNumberStatus::Pending => "pending",
            PortedNumberStatus::Completed => "completed",
            PortedNumberStatus::Rejected => "rejected",
            PortedNumberStatus::Canceled => "canceled",
        }
    }

    /// The provider's word or event name (`PortInPhoneNumberRejected`).
    pub fn parse(raw: &str) -> Option<PortedNumberStatus> {
        let key = normalize(raw);
        let key = key.strip_prefix("portinphonenumber").unwrap_or(&key);
        Some(match key {
            "waitingforsignature" => PortedNumberStatus::WaitingForSignature,
            "submitted" => PortedNumberStatus::Submitted,
            "pending" => PortedNumberStatus::Pending,
            "completed" => PortedNumberStatus::Completed,
            "rejected" => PortedNumberStatus::Rejected,
            "canceled" | "cancelled" => PortedNumberStatus::Canceled,
            _ => return None,
        })
    }
}

/// A port-in request of one of a tenant's numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortIn {
    pub tenant: TenantId,
    pub sid: PortInSid,
    /// The number being brought over.
    pub number: E164,
    pub status: PortInStatus,
    /// The number's own step, from per-number events.
    pub number_status: Option<PortedNumberStatus>,
    /// Where the owner signs the letter of authorization.
    pub signature_url: Option<String>,
    /// Why it needs action (a rejection reason), or what happened last.
    pub detail: Option<String>,
    /// The bought number the shop forwards its line to meanwhile.
    pub forwarding_to: Option<E164>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl PortIn {
    /// Rebuilds a record from the columns both store adapters keep; a value
    /// that no longer parses is `Corrupt`.
    #[allow(clippy::too_many_arguments)]
    pub fn from_stored(
        tenant: &str,
        sid: &str,
        number: &str,
        status: &str,
        number_status: Option<&str>,
        signature_url: Option<String>,
        detail: Option<String>,
        forwarding_to: Option<&str>,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    ) -> Result<PortIn, StoreError> {
        let corrupt = |what: String| StoreError::corrupt(tenant, format!("port-in {sid}: {what}"));
        Ok(PortIn {
            tenant: stored_tenant(tenant)?,
            sid: PortInSid::parse(sid).map_err(|e| corrupt(e.to_string()))?,
            number: E164::parse(number).map_err(|e| corrupt(e.to_string()))?,
            status: PortInStatus::parse(status).ok_or_else(|| corrupt(format!("unknown status {status:?}")))?,
            number_status: number_status
                .map(|raw| PortedNumberStatus::parse(raw).ok_or_else(|| corrupt(format!("unknown status {raw:?}"))))
                .transpose()?,
            signature_url,
            detail,
            forwarding_to: forwarding_to.map(|raw| E164::parse(raw).map_err(|e| corrupt(e.to_string()))).transpose()?,
            created_at,
            updated_at,
        })
    }
}

/// Whether the provider can bring a number over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Portability {
    pub portable: bool,
    /// The losing carrier wants the account number and PIN.
    pub pin_and_account_number_required: bool,
    pub not_portable_reason: Option<String>,
    /// `LOCAL`, `TOLL_FREE`, `MOBILE`, …
    pub number_type: Option<String>,
}

/// The postal address on the losing carrier's account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortAddress {
    pub street: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    /// ISO code (`US`).
    pub country: String,
}

/// What a port-in request needs from the shop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortInApplication {
    pub number: E164,
    /// The name on the losing carrier's account.
    pub customer_name: String,
    /// Who signs the letter of authorization, and where it is sent.
    pub authorized_representative: String,
    pub authorized_representative_email: String,
    /// `Business` or `Individual`.
    pub customer_type: Option<String>,
    pub account_number: Option<String>,
    pub pin: Option<String>,
    pub address: Option<PortAddress>,
    /// Uploaded documents (a recent utility bill), by the provider's id.
    pub documents: Vec<String>,
    pub target_date: Option<NaiveDate>,
}

impl PortInApplication {
    /// Every problem at once (`field: message`).
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.customer_name.trim().is_empty() {
            problems.push("customer_name: the name on the current carrier's account is required".to_owned());
        }
        if self.authorized_representative.trim().is_empty() {
            problems.push("authorized_representative: who signs the letter of authorization is required".to_owned());
        }
        let email = self.authorized_representative_email.trim();
        if !(email.contains('@') && !email.starts_with('@') && !email.ends_with('@')) {
            problems.push(format!("authorized_representative_email: {email:?} is not an e-mail address"));
        }
        if self.documents.is_empty() {
            problems.push(
                "documents: a utility bill of the last 30 days is required (upload it to the provider; give its id)"
                    .to_owned(),
            );
        }
        problems
    }
}

/// What the provider answered to a new port-in request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartedPortIn {
    pub sid: PortInSid,
    pub status: PortInStatus,
    pub signature_url: Option<String>,
}

/// One porting event from the provider, parsed at the edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortingEvent {
    pub request: PortInSid,
    /// The number the event is about; `None` for an event about the whole
    /// request.
    pub number: Option<E164>,
    /// The status or event word as sent (`PortInCompleted`, `In progress`,
    /// `rejected`).
    pub status: String,
    /// A rejection or cancellation reason.
    pub reason: Option<String>,
}

/// The provider's porting API.
///
/// Errors follow [`crate::NumberProvider`]'s contract.
#[async_trait]
pub trait PortingProvider: Send + Sync {
    /// Whether `number` can be brought over.
    async fn portability(&self, number: &E164) -> Result<Portability, ProviderError>;

    /// Files a port-in request for one number.
    async fn start_port_in(&self, application: &PortInApplication) -> Result<StartedPortIn, ProviderError>;

    /// Points the provider's porting events at `url` (idempotent).
    async fn subscribe_port_events(&self, url: &str) -> Result<(), ProviderError>;

    /// Where a port-in request stands, as the events the provider would
    /// send: one about the request, then one per number. MUST return
    /// `NotFound` for a request the account does not have.
    async fn port_in_events(&self, sid: &PortInSid) -> Result<Vec<PortingEvent>, ProviderError>;
}

/// What the owner does so calls reach the shop while the port runs.
pub fn forwarding_instructions(old: &E164, new: &E164) -> String {
    format!(
        "Until the port of {old} completes (usually 1-2 weeks; the owner signs the letter of authorization sent by e-mail first), \
         forward {old} to {new} with the current carrier: on most US lines dial *72 {digits} from the shop's phone \
         (*73 undoes it), or ask the carrier for \"call forwarding when busy or not answered\" to {new}. \
         Calls to {new} are answered by the receptionist from now on.",
        digits = new.as_str().trim_start_matches("+1"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_read_in_every_spelling_the_provider_uses() {
        let cases = [
            ("In progress", Some(PortInStatus::InProgress)),
            ("in_progress", Some(PortInStatus::InProgress)),
            ("PortInInProgress", Some(PortInStatus::InProgress)),
            ("Completed", Some(PortInStatus::Completed)),
            ("PortInCompleted", Some(PortInStatus::Completed)),
            ("Expired", Some(PortInStatus::Expired)),
            ("In review", Some(PortInStatus::InReview)),
            ("Waiting for Signature", Some(PortInStatus::WaitingForSignature)),
            ("PortInWaitingForSignature", Some(PortInStatus::WaitingForSignature)),
            ("Action Required", Some(PortInStatus::ActionRequired)),
            ("PortInActionRequired", Some(PortInStatus::ActionRequired)),
            ("Canceled", Some(PortInStatus::Canceled)),
            ("cancelled", Some(PortInStatus::Canceled)),
            ("ported", None),
            ("", None),
        ];
        for (raw, expected) in cases {
            assert_eq!(PortInStatus::parse(raw), expected, "{raw:?}");
        }
        for status in PortInStatus::ALL {
            assert_eq!(PortInStatus::parse(status.as_str()), Some(status), "stored words read back");
        }
        assert_eq!(PortedNumberStatus::parse("PortInPhoneNumberRejected"), Some(PortedNumberStatus::Rejected));
        assert_eq!(PortedNumberStatus::parse("Pending"), Some(PortedNumberStatus::Pending));
    }

    #[test]
    fn an_application_names_every_missing_field() {
        let application = PortInApplication {
            number: E164::parse("+17185550123").unwrap_or_else(|e| panic!("{e}")),
            customer_name: " ".to_owned(),
            authorized_representative: String::new(),
            authorized_representative_email: "owner-at-example.com".to_owned(),
            customer_type: None,
            account_number: None,
            pin: None,
            address: None,
            documents: Vec::new(),
            target_date: None,
        };
        let problems = application.problems();
        assert_eq!(problems.len(), 4, "{problems:?}");
        for field in ["customer_name", "authorized_representative:", "authorized_representative_email", "documents"] {
            assert!(problems.iter().any(|p| p.starts_with(field)), "{field} in {problems:?}");
        }
    }
}
