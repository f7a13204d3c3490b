//! Texting registration (A2P 10DLC in the US): a shop texts customers from
//! a local number only once its brand is approved and its campaign (what
//! it texts, and how people opt in and out) is verified. Until then its
//! texts wait in the outbox, with the reason shown.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_core::{E164, StoreError, TenantId, stored_tenant};
use frontdesk_tenant::TenantProfile;

use crate::ids::{BrandSid, BundleSid, CampaignSid, MessagingServiceSid, NumberSid};
use crate::numbers::ProviderError;

/// Where a brand registration stands (`PENDING`, `IN_REVIEW`, `APPROVED`,
/// `FAILED`, and the deletion steps).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BrandStatus {
    Pending,
    InReview,
    Approved,
    Failed,
    /// Being deleted, or deleted: no campaign can run on it.
    Deleted,
}

impl BrandStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BrandStatus::Pending => "pending",
            BrandStatus::InReview => "in_review",
            BrandStatus::Approved => "approved",
            BrandStatus::Failed => "failed",
            BrandStatus::Deleted => "deleted",
        }
    }

    /// The provider's word in any case (`APPROVED`, `in_review`,
    /// `DELETION_PENDING`).
    pub fn parse(raw: &str) -> Option<BrandStatus> {
        Some(match raw.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "pending" => BrandStatus::Pending,
            "in_review" => BrandStatus::InReview,
            "approved" => BrandStatus::Approved,
            "failed" => BrandStatus::Failed,
            "deleted" | "deletion_pending" | "deletion_failed" => BrandStatus::Deleted,
            _ => return None,
        })
    }
}

/// Where a campaign stands (`IN_PROGRESS`, `VERIFIED`, `FAILED`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CampaignStatus {
    InProgress,
    Verified,
    Failed,
}

impl CampaignStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignStatus::InProgress => "in_progress",
            CampaignStatus::Verified => "verified",
            CampaignStatus::Failed => "failed",
        }
    }

    /// The provider's word in any case; `PENDING` is in progress.
    pub fn parse(raw: &str) -> Option<CampaignStatus> {
        Some(match raw.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "in_progress" | "pending" => CampaignStatus::InProgress,
            "verified" => CampaignStatus::Verified,
            "failed" => CampaignStatus::Failed,
            _ => return None,
        })
    }
}

/// A shop's texting registration: the sender pool its numbers text from,
/// its brand and its campaign, each with its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextingRegistration {
    pub tenant: TenantId,
    pub messaging_service: Option<MessagingServiceSid>,
    pub brand: Option<BrandSid>,
    pub brand_status: Option<BrandStatus>,
    pub campaign: Option<CampaignSid>,
    pub campaign_status: Option<CampaignStatus>,
    /// Why it failed, or the last provider problem.
    pub detail: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Whether a shop's texts may go out now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Clearance {
    Cleared,
    /// Texts wait, for this reason (shown to the owner and the operator).
    Waiting(String),
}

impl TextingRegistration {
    /// A registration that has just begun.
    pub fn new(tenant: TenantId, now: DateTime<Utc>) -> TextingRegistration {
        TextingRegistration {
            tenant,
            messaging_service: None,
            brand: None,
            brand_status: None,
            campaign: None,
            campaign_status: None,
            detail: None,
            created_at: now,
            updated_at: now,
        }
    }

    /// Texts go out once the campaign is verified; until then, why not.
    pub fn clearance(&self) -> Clearance {
        let why = match (self.brand_status, self.campaign_status) {
            (_, Some(CampaignStatus::Verified)) => return Clearance::Cleared,
            (_, Some(CampaignStatus::Failed)) => "its texting campaign was refused; fix and resubmit it".to_owned(),
            (_, Some(CampaignStatus::InProgress)) => {
                "its texting campaign is under review by the carriers (usually a few days)".to_owned()
            }
            (Some(BrandStatus::Failed), None) => "its texting brand was refused; fix and resubmit it".to_owned(),
            (Some(BrandStatus::Deleted), None) => "its texting brand was deleted".to_owned(),
            (Some(BrandStatus::Approved), None) => {
                "its brand is approved; its campaign is not submitted yet".to_owned()
            }
            (Some(BrandStatus::Pending | BrandStatus::InReview), None) => {
                "its texting brand is under review".to_owned()
            }
            (None, None) => "its texting registration has not been submitted".to_owned(),
        };
        let why = match &self.detail {
            Some(detail) if matches!(self.campaign_status, Some(CampaignStatus::Failed)) => format!("{why} ({detail})"),
            Some(detail) if matches!(self.brand_status, Some(BrandStatus::Failed)) => format!("{why} ({detail})"),
            _ => why,
        };
        Clearance::Waiting(format!("waiting for texting registration: {why}"))
    }

    /// Nothing more happens without a person (approved, or refused).
    pub fn is_settled(&self) -> bool {
        matches!(self.campaign_status, Some(CampaignStatus::Verified | CampaignStatus::Failed))
            || matches!(self.brand_status, Some(BrandStatus::Failed | BrandStatus::Deleted))
    }

    /// Rebuilds a record from the columns both store adapters keep.
    #[allow(clippy::too_many_arguments)]
    pub fn from_stored(
        tenant: &str,
        messaging_service: Option<&str>,
        brand: Option<&str>,
        brand_status: Option<&str>,
        campaign: Option<&str>,
        campaign_status: Option<&str>,
        detail: Option<String>,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    ) -> Result<TextingRegistration, StoreError> {
        let corrupt = |what: String| StoreError::corrupt(tenant, format!("texting registration: {what}"));
        Ok(TextingRegistration {
            tenant: stored_tenant(tenant)?,
            messaging_service: messaging_service
                .map(|raw| MessagingServiceSid::parse(raw).map_err(|e| corrupt(e.to_string())))
                .transpose()?,
            brand: brand.map(|raw| BrandSid::parse(raw).map_err(|e| corrupt(e.to_string()))).transpose()?,
            brand_status: brand_status
                .map(|raw| BrandStatus::parse(raw).ok_or_else(|| corrupt(format!("unknown brand status {raw:?}"))))
                .transpose()?,
            campaign: campaign.map(|raw| CampaignSid::parse(raw).map_err(|e| corrupt(e.to_string()))).transpose()?,
            campaign_status: campaign_status
                .map(|raw| {
                    CampaignStatus::parse(raw).ok_or_else(|| corrupt(format!("unknown campaign status {raw:?}")))
                })
                .transpose()?,
            detail,
            created_at,
            updated_at,
        })
    }
}

/// The brand: the business behind the texts, vetted through the provider's
/// trust bundles (made in its console or API beforehand).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrandApplication {
    pub tenant: TenantId,
    /// The business's customer profile (secondary customer profile).
    pub customer_profile: BundleSid,
    /// Its A2P trust product.
    pub a2p_profile: BundleSid,
    /// `STANDARD` or `SOLE_PROPRIETOR`.
    pub brand_type: String,
    /// A test registration the carriers never see (sandbox accounts).
    pub mock: bool,
}

/// The campaign: what the shop texts and how people opt in and out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignApplication {
    pub brand: BrandSid,
    pub description: String,
    pub message_flow: String,
    /// Two to five examples of what is sent.
    pub samples: Vec<String>,
    /// The carriers' use case (`ACCOUNT_NOTIFICATION`, `CUSTOMER_CARE`, …).
    pub use_case: String,
    pub has_embedded_links: bool,
    pub has_embedded_phone: bool,
    pub opt_in_keywords: Vec<String>,
    pub opt_out_keywords: Vec<String>,
    pub help_keywords: Vec<String>,
    pub opt_out_message: String,
    pub help_message: String,
}

impl CampaignApplication {
    /// The campaign of a shop that texts appointment confirmations,
    /// reminders and the replies to C, R, X, HELP and STOP, in its own words.
    pub fn appointments(profile: &TenantProfile, brand: BrandSid) -> CampaignApplication {
        let shop = profile.name();
        let number = profile.phone_numbers().first().map(E164::to_string).unwrap_or_default();
        let service = profile.services().first().map(|s| s.name().to_lowercase()).unwrap_or_else(|| "visit".to_owned());
        CampaignApplication {
            brand,
            description: format!(
                "{shop} texts customers who booked an appointment by phone: the booking confirmation with its code, \
                 reminders 24 and 2 hours before, and the answers to their replies (confirm, reschedule, cancel, help, stop)."
            ),
            message_flow: format!(
                "Customers call {shop} at {number} to book. The receptionist tells them a confirmation text will be sent to \
                 the number they call from, and they agree before the booking is made. Every text says how to stop (reply STOP)."
            ),
            samples: vec![
                format!(
                    "{shop}: your {service} is booked for Fri, Dec 4 at 2:00 PM. Confirmation code 4821. Reply STOP to opt out."
                ),
                format!(
                    "{shop}: reminder of your {service} tomorrow at 2:00 PM. Reply C to confirm, R to reschedule, X to cancel. STOP to opt out."
                ),
            ],
            use_case: "ACCOUNT_NOTIFICATION".to_owned(),
            has_embedded_links: false,
            has_embedded_phone: true,
            opt_in_keywords: vec!["START".to_owned(), "UNSTOP".to_owned()],
            opt_out_keywords: ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"]
                .map(str::to_owned)
                .to_vec(),
            help_keywords: vec!["HELP".to_owned(), "INFO".to_owned()],
            opt_out_message: format!("{shop}: you will get no more texts from us. Reply START to get them again."),
            help_message: format!("{shop}: appointment texts. Call us at {number}. Reply STOP to opt out."),
        }
    }
}

/// What the provider says about a brand or a campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationState<Sid, Status> {
    pub sid: Sid,
    pub status: Status,
    /// A failure reason, when the provider gives one.
    pub reason: Option<String>,
}

/// Which trust bundle of a brand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BundleKind {
    /// The business's customer profile.
    CustomerProfile,
    /// Its A2P trust product.
    A2pProfile,
}

/// The provider's word for an approved trust bundle.
pub const BUNDLE_APPROVED: &str = "twilio-approved";

/// The provider's texting registration API.
///
/// Errors follow [`crate::NumberProvider`]'s contract.
#[async_trait]
pub trait RegistrationProvider: Send + Sync {
    /// A sender pool for `tenant`'s numbers, whose inbound texts and
    /// delivery reports reach the gateway.
    async fn create_messaging_service(
        &self,
        tenant: &TenantId,
        inbound_url: &str,
        status_callback: &str,
    ) -> Result<MessagingServiceSid, ProviderError>;

    /// Adds a number to the pool; a number already in it MUST be `Ok`.
    async fn add_sender(&self, service: &MessagingServiceSid, number: &NumberSid) -> Result<(), ProviderError>;

    /// Takes a number out of the pool; one not in it MUST be `Ok`.
    async fn remove_sender(&self, service: &MessagingServiceSid, number: &NumberSid) -> Result<(), ProviderError>;

    /// The provider's status word of a trust bundle ([`BUNDLE_APPROVED`]
    /// once a brand can be registered on it).
    async fn bundle_status(&self, kind: BundleKind, bundle: &BundleSid) -> Result<String, ProviderError>;

    async fn register_brand(
        &self,
        application: &BrandApplication,
    ) -> Result<RegistrationState<BrandSid, BrandStatus>, ProviderError>;

    async fn brand(&self, brand: &BrandSid) -> Result<RegistrationState<BrandSid, BrandStatus>, ProviderError>;

    async fn register_campaign(
        &self,
        service: &MessagingServiceSid,
        application: &CampaignApplication,
    ) -> Result<RegistrationState<CampaignSid, CampaignStatus>, ProviderError>;

    async fn campaign(
        &self,
        service: &MessagingServiceSid,
        campaign: &CampaignSid,
    ) -> Result<RegistrationState<CampaignSid, CampaignStatus>, ProviderError>;
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn registration(brand: Option<BrandStatus>, campaign: Option<CampaignStatus>) -> TextingRegistration {
        let at = Utc.with_ymd_and_hms(2026, 12, 14, 10, 0, 0).single().unwrap_or_default();
        let tenant = TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}"));
        TextingRegistration { brand_status: brand, campaign_status: campaign, ..TextingRegistration::new(tenant, at) }
    }

    #[test]
    fn only_a_verified_campaign_clears_texts_and_every_wait_says_why() {
        let cases = [
            (None, None, Some("has not been submitted")),
            (Some(BrandStatus::Pending), None, Some("brand is under review")),
            (Some(BrandStatus::Approved), None, Some("campaign is not submitted")),
            (Some(BrandStatus::Failed), None, Some("brand was refused")),
            (Some(BrandStatus::Approved), Some(CampaignStatus::InProgress), Some("campaign is under review")),
            (Some(BrandStatus::Approved), Some(CampaignStatus::Failed), Some("campaign was refused")),
            (Some(BrandStatus::Approved), Some(CampaignStatus::Verified), None),
        ];
        for (brand, campaign, expected) in cases {
            match (registration(brand, campaign).clearance(), expected) {
                (Clearance::Cleared, None) => {}
                (Clearance::Waiting(why), Some(fragment)) => {
                    assert!(why.starts_with("waiting for texting registration: "), "{why}");
                    assert!(why.contains(fragment), "{brand:?}/{campaign:?}: {why}");
                }
                (clearance, _) => panic!("{brand:?}/{campaign:?}: {clearance:?}"),
            }
        }
    }

    #[test]
    fn provider_words_parse_in_any_case() {
        assert_eq!(BrandStatus::parse("APPROVED"), Some(BrandStatus::Approved));
        assert_eq!(BrandStatus::parse("IN_REVIEW"), Some(BrandStatus::InReview));
        assert_eq!(BrandStatus::parse("DELETION_PENDING"), Some(BrandStatus::Deleted));
        assert_eq!(CampaignStatus::parse("VERIFIED"), Some(CampaignStatus::Verified));
        assert_eq!(CampaignStatus::parse("IN_PROGRESS"), Some(CampaignStatus::InProgress));
        assert_eq!(CampaignStatus::parse("approved"), None);
    }
}
