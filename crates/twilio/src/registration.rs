//! Texting registration on Twilio's messaging API (v1, form bodies):
//! messaging services and their senders, A2P brand registrations and
//! campaigns (`Compliance/Usa2p`).

use serde::Deserialize;

use crate::numbers::{ProvisioningApiError, classify, read_json};
use crate::rest::{TwilioRest, is_sid};

/// "Phone Number or Short Code is already in the Messaging Service".
const ALREADY_A_SENDER_CODE: u64 = 21710;

/// A created messaging service (only what we use).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MessagingService {
    pub sid: String,
}

/// A brand registration (only what we use).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BrandRegistration {
    pub sid: String,
    /// `PENDING`, `IN_REVIEW`, `APPROVED`, `FAILED`, `DELETION_PENDING`, `DELETION_FAILED`.
    pub status: String,
    pub failure_reason: Option<String>,
    #[serde(default)]
    pub errors: Vec<serde_json::Value>,
}

/// A campaign (`Usa2p`), only what we use.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct UsAppToPerson {
    pub sid: String,
    /// `IN_PROGRESS`, `VERIFIED`, `FAILED`.
    pub campaign_status: Option<String>,
    #[serde(default)]
    pub errors: Vec<serde_json::Value>,
}

/// The first description among Twilio's `errors` (`[{"code":…, "description":…}]`).
pub fn first_error(errors: &[serde_json::Value]) -> Option<String> {
    errors.iter().find_map(|error| {
        let description = error.get("description").and_then(serde_json::Value::as_str)?;
        Some(match error.get("code").and_then(serde_json::Value::as_i64) {
            Some(code) => format!("{description} ({code})"),
            None => description.to_owned(),
        })
    })
}

/// The fields of a brand registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrandCreate<'a> {
    pub customer_profile_bundle_sid: &'a str,
    pub a2p_profile_bundle_sid: &'a str,
    /// `STANDARD` or `SOLE_PROPRIETOR`.
    pub brand_type: &'a str,
    pub mock: bool,
}

/// The fields of a campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignCreate<'a> {
    pub brand_registration_sid: &'a str,
    pub description: &'a str,
    pub message_flow: &'a str,
    pub message_samples: &'a [String],
    pub us_app_to_person_usecase: &'a str,
    pub has_embedded_links: bool,
    pub has_embedded_phone: bool,
    pub opt_in_keywords: &'a [String],
    pub opt_out_keywords: &'a [String],
    pub help_keywords: &'a [String],
    pub opt_out_message: &'a str,
    pub help_message: &'a str,
}

fn flag(on: bool) -> &'static str {
    if on { "true" } else { "false" }
}

fn checked(sid: &str, what: &str) -> Result<(), ProvisioningApiError> {
    if is_sid(sid) {
        Ok(())
    } else {
        Err(ProvisioningApiError::Rejected(format!("{sid:?} is not a Twilio {what} SID")))
    }
}

impl TwilioRest {
    /// `POST /v1/Services`: a sender pool whose inbound texts go to
    /// `inbound_url` (numbers keep their own `SmsUrl`).
    #[tracing::instrument(skip_all)]
    pub async fn create_messaging_service(
        &self,
        friendly_name: &str,
        inbound_url: &str,
        status_callback: &str,
    ) -> Result<MessagingService, ProvisioningApiError> {
        let url = format!("{}/v1/Services", self.messaging_base);
        let form = [
            ("FriendlyName", friendly_name),
            ("InboundRequestUrl", inbound_url),
            ("InboundMethod", "POST"),
            ("StatusCallback", status_callback),
            ("UseInboundWebhookOnNumber", "true"),
            ("Usecase", "notifications"),
        ];
        let reply = self.post_form(&url, &form).await.map_err(ProvisioningApiError::Unavailable)?;
        if !reply.status.is_success() {
            return Err(classify(&reply));
        }
        read_json(&reply, "the messaging service")
    }

    /// `POST /v1/Services/{MG}/PhoneNumbers` `PhoneNumberSid`; a number
    /// already in the pool is `Ok`.
    #[tracing::instrument(skip_all, fields(service = %service, number_sid = %number_sid))]
    pub async fn add_service_sender(&self, service: &str, number_sid: &str) -> Result<(), ProvisioningApiError> {
        checked(service, "messaging service")?;
        let url = format!("{}/v1/Services/{service}/PhoneNumbers", self.messaging_base);
        let reply =
            self.post_form(&url, &[("PhoneNumberSid", number_sid)]).await.map_err(ProvisioningApiError::Unavailable)?;
        if reply.status.is_success() || reply.status == reqwest::StatusCode::CONFLICT {
            return Ok(());
        }
        match reply.failure() {
            crate::rest::Failure::Refused { code: Some(ALREADY_A_SENDER_CODE), .. } => Ok(()),
            _ => Err(classify(&reply)),
        }
    }

    /// `DELETE /v1/Services/{MG}/PhoneNumbers/{PN}`; one not in the pool is `Ok`.
    #[tracing::instrument(skip_all, fields(service = %service, number_sid = %number_sid))]
    pub async fn remove_service_sender(&self, service: &str, number_sid: &str) -> Result<(), ProvisioningApiError> {
        checked(service, "messaging service")?;
        checked(number_sid, "number")?;
        let url = format!("{}/v1/Services/{service}/PhoneNumbers/{number_sid}", self.messaging_base);
        let reply = self.send(self.http.delete(&url)).await.map_err(ProvisioningApiError::Unavailable)?;
        if reply.status.is_success() {
            return Ok(());
        }
        match classify(&reply) {
            ProvisioningApiError::NotFound(_) => Ok(()),
            error => Err(error),
        }
    }

    /// `POST /v1/a2p/BrandRegistrations`.
    #[tracing::instrument(skip_all)]
    pub async fn create_brand_registration(
        &self,
        brand: &BrandCreate<'_>,
    ) -> Result<BrandRegistration, ProvisioningApiError> {
        let url = format!("{}/v1/a2p/BrandRegistrations", self.messaging_base);
        let mut form = vec![
            ("CustomerProfileBundleSid", brand.customer_profile_bundle_sid),
            ("A2PProfileBundleSid", brand.a2p_profile_bundle_sid),
            ("BrandType", brand.brand_type),
        ];
        if brand.mock {
            form.push(("Mock", "true"));
        }
        let reply = self.post_form(&url, &form).await.map_err(ProvisioningApiError::Unavailable)?;
        if !reply.status.is_success() {
            return Err(classify(&reply));
        }
        read_json(&reply, "the brand registration")
    }

    /// `GET /v1/a2p/BrandRegistrations/{BN}`.
    #[tracing::instrument(skip_all, fields(brand = %brand))]
    pub async fn brand_registration(&self, brand: &str) -> Result<BrandRegistration, ProvisioningApiError> {
        checked(brand, "brand registration")?;
        let url = format!("{}/v1/a2p/BrandRegistrations/{brand}", self.messaging_base);
        let reply = self.send(self.http.get(&url)).await.map_err(ProvisioningApiError::Unavailable)?;
        if !reply.status.is_success() {
            return Err(classify(&reply));
        }
        read_json(&reply, "the brand registration")
    }

    /// `POST /v1/Services/{MG}/Compliance/Usa2p`: the campaign (list
    /// fields as repeated keys).
    #[tracing::instrument(skip_all, fields(service = %service))]
    pub async fn create_campaign(
        &self,
        service: &str,
        campaign: &CampaignCreate<'_>,
    ) -> Result<UsAppToPerson, ProvisioningApiError> {
        checked(service, "messaging service")?;
        let url = format!("{}/v1/Services/{service}/Compliance/Usa2p", self.messaging_base);
        let mut form = vec![
            ("BrandRegistrationSid", campaign.brand_registration_sid),
            ("Description", campaign.description),
            ("MessageFlow", campaign.message_flow),
            ("UsAppToPersonUsecase", campaign.us_app_to_person_usecase),
            ("HasEmbeddedLinks", flag(campaign.has_embedded_links)),
            ("HasEmbeddedPhone", flag(campaign.has_embedded_phone)),
            ("OptOutMessage", campaign.opt_out_message),
            ("HelpMessage", campaign.help_message),
        ];
        form.extend(campaign.message_samples.iter().map(|s| ("MessageSamples", s.as_str())));
        form.extend(campaign.opt_in_keywords.iter().map(|k| ("OptInKeywords", k.as_str())));
        form.extend(campaign.opt_out_keywords.iter().map(|k| ("OptOutKeywords", k.as_str())));
        form.extend(campaign.help_keywords.iter().map(|k| ("HelpKeywords", k.as_str())));
        let reply = self.post_form(&url, &form).await.map_err(ProvisioningApiError::Unavailable)?;
        if !reply.status.is_success() {
            return Err(classify(&reply));
        }
        read_json(&reply, "the campaign")
    }

    /// `GET /v1/Services/{MG}/Compliance/Usa2p/{QE}`.
    #[tracing::instrument(skip_all, fields(service = %service, campaign = %campaign))]
    pub async fn campaign(&self, service: &str, campaign: &str) -> Result<UsAppToPerson, ProvisioningApiError> {
        checked(service, "messaging service")?;
        checked(campaign, "campaign")?;
        let url = format!("{}/v1/Services/{service}/Compliance/Usa2p/{campaign}", self.messaging_base);
        let reply = self.send(self.http.get(&url)).await.map_err(ProvisioningApiError::Unavailable)?;
        if !reply.status.is_success() {
            return Err(classify(&reply));
        }
        read_json(&reply, "the campaign")
    }
}

/// A TrustHub bundle's state (only what we use).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TrustBundle {
    pub sid: String,
    /// `draft`, `pending-review`, `in-review`, `twilio-rejected`, `twilio-approved`.
    pub status: String,
}

/// Which TrustHub list a bundle is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrustBundleKind {
    /// `/v1/CustomerProfiles`: the business.
    CustomerProfile,
    /// `/v1/TrustProducts`: its A2P messaging profile.
    TrustProduct,
}

impl TwilioRest {
    /// `GET trusthub…/v1/CustomerProfiles/{BU}` or `/v1/TrustProducts/{BU}`.
    #[tracing::instrument(skip_all, fields(bundle = %bundle))]
    pub async fn trust_bundle(&self, kind: TrustBundleKind, bundle: &str) -> Result<TrustBundle, ProvisioningApiError> {
        checked(bundle, "TrustHub bundle")?;
        let list = match kind {
            TrustBundleKind::CustomerProfile => "CustomerProfiles",
            TrustBundleKind::TrustProduct => "TrustProducts",
        };
        let url = format!("{}/v1/{list}/{bundle}", self.trusthub_base);
        let reply = self.send(self.http.get(&url)).await.map_err(ProvisioningApiError::Unavailable)?;
        if !reply.status.is_success() {
            return Err(classify(&reply));
        }
        read_json(&reply, "the TrustHub bundle")
    }
}
