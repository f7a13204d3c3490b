//! The provisioning domain's provider ports over Twilio's REST client: the
//! adapter crate stays below the domain (it knows Twilio's wire, not
//! `frontdesk-provisioning`), so the two meet here, as `TwilioCallLedger`
//! does for calls.

use std::sync::Arc;

use async_trait::async_trait;
use frontdesk_core::{Clock, E164, TenantId};
use frontdesk_provisioning::{
    AvailableNumber, BrandApplication, BrandSid, BrandStatus, BundleKind, BundleSid, CampaignApplication, CampaignSid,
    CampaignStatus, Capabilities, MessagingServiceSid, NumberProvider, NumberSearch, NumberSetup, NumberSid,
    NumberWebhooks, OwnedNumber, PortInApplication, PortInSid, PortInStatus, Portability, PortingEvent,
    PortingProvider, ProviderError, Providers, Provisioning, RegistrationProvider, RegistrationState, StartedPortIn,
    number_label, unknown_word,
};
use frontdesk_twilio::{ProvisioningApiError, TwilioRest};

use crate::backend::Backend;
use crate::settings::Settings;

/// The provisioning use cases over the backend's store, with Twilio's
/// APIs when `FRONTDESK_TWILIO_ACCOUNT_SID` is set (else every step that
/// needs the provider says so).
pub fn build_provisioning(
    backend: &Backend,
    settings: &Settings,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<Arc<Provisioning>> {
    let webhooks = NumberWebhooks::new(settings.public_base_url.as_str(), settings.voice_fallback_url.as_deref())
        .map_err(|problem| anyhow::anyhow!("FRONTDESK_VOICE_FALLBACK_URL: {problem}"))?;
    let providers = match crate::worker::twilio_rest(settings)? {
        Some(rest) => {
            let twilio = Arc::new(TwilioProvisioning(rest));
            Providers { numbers: Some(twilio.clone()), porting: Some(twilio.clone()), registration: Some(twilio) }
        }
        None => Providers::default(),
    };
    let provisioning =
        Provisioning::new(backend.provisioning.clone(), backend.tenants.clone(), providers, webhooks, clock)
            .with_jobs(backend.job_admin.clone());
    Ok(Arc::new(provisioning))
}

/// Twilio's numbers, porting and messaging APIs as the domain's providers.
pub struct TwilioProvisioning(pub TwilioRest);

fn provider_error(error: ProvisioningApiError) -> ProviderError {
    match error {
        ProvisioningApiError::NotFound(text) => ProviderError::NotFound(text),
        ProvisioningApiError::NumberUnavailable(text) => ProviderError::NumberUnavailable(text),
        ProvisioningApiError::RateLimited { retry_after } => ProviderError::RateLimited { retry_after },
        ProvisioningApiError::Unavailable(text) => ProviderError::Unavailable(text),
        ProvisioningApiError::Rejected(text) => ProviderError::Rejected(text),
        ProvisioningApiError::Unexpected(error) => ProviderError::Unexpected(error),
    }
}

fn capabilities(raw: frontdesk_twilio::NumberCapabilities) -> Capabilities {
    Capabilities { voice: raw.voice, sms: raw.sms, mms: raw.mms }
}

fn unreadable(what: &str, detail: impl std::fmt::Display) -> ProviderError {
    ProviderError::Unexpected(anyhow::anyhow!("Twilio sent {what} we cannot read: {detail}"))
}

fn owned(raw: frontdesk_twilio::IncomingPhoneNumber) -> Result<OwnedNumber, ProviderError> {
    Ok(OwnedNumber {
        sid: NumberSid::parse(&raw.sid).map_err(|e| unreadable("a number SID", e))?,
        number: E164::parse(&raw.phone_number).map_err(|e| unreadable("a phone number", e))?,
        label: raw.friendly_name,
        voice_url: raw.voice_url.filter(|u| !u.is_empty()),
        sms_url: raw.sms_url.filter(|u| !u.is_empty()),
        status_callback: raw.status_callback.filter(|u| !u.is_empty()),
        voice_fallback_url: raw.voice_fallback_url.filter(|u| !u.is_empty()),
        capabilities: capabilities(raw.capabilities),
    })
}

fn config(setup: &NumberSetup) -> frontdesk_twilio::NumberConfig<'_> {
    frontdesk_twilio::NumberConfig {
        friendly_name: &setup.label,
        voice_url: &setup.voice_url,
        sms_url: &setup.sms_url,
        status_callback: &setup.status_callback,
        voice_fallback_url: &setup.voice_fallback_url,
    }
}

#[async_trait]
impl NumberProvider for TwilioProvisioning {
    async fn search(&self, search: &NumberSearch) -> Result<Vec<AvailableNumber>, ProviderError> {
        let query = frontdesk_twilio::LocalNumberSearch {
            area_code: search.area_code.as_deref(),
            contains: search.contains.as_deref(),
            page_size: search.limit,
        };
        let found = self.0.search_local_numbers(&query).await.map_err(provider_error)?;
        Ok(found
            .into_iter()
            .filter_map(|raw| {
                // A number Twilio offers that is not E.164 is skipped, not fatal.
                let number = E164::parse(&raw.phone_number).ok()?;
                Some(AvailableNumber {
                    number,
                    friendly_name: raw.friendly_name,
                    locality: raw.locality,
                    region: raw.region,
                    postal_code: raw.postal_code,
                    capabilities: capabilities(raw.capabilities),
                    address_required: raw.address_requirements.as_deref().is_some_and(|r| r != "none"),
                })
            })
            .collect())
    }

    async fn buy(&self, number: &E164, setup: &NumberSetup) -> Result<OwnedNumber, ProviderError> {
        owned(self.0.buy_number(number.as_str(), &config(setup)).await.map_err(provider_error)?)
    }

    async fn find_owned(&self, number: &E164) -> Result<Option<OwnedNumber>, ProviderError> {
        self.0.find_incoming_number(number.as_str()).await.map_err(provider_error)?.map(owned).transpose()
    }

    async fn owned_for(&self, tenant: &TenantId) -> Result<Vec<OwnedNumber>, ProviderError> {
        let named = self.0.incoming_numbers_named(&number_label(tenant)).await.map_err(provider_error)?;
        named.into_iter().map(owned).collect()
    }

    async fn configure(&self, sid: &NumberSid, setup: &NumberSetup) -> Result<OwnedNumber, ProviderError> {
        owned(self.0.update_number(sid.as_str(), &config(setup)).await.map_err(provider_error)?)
    }

    async fn release(&self, sid: &NumberSid) -> Result<(), ProviderError> {
        self.0.release_number(sid.as_str()).await.map_err(provider_error)
    }
}

#[async_trait]
impl PortingProvider for TwilioProvisioning {
    async fn portability(&self, number: &E164) -> Result<Portability, ProviderError> {
        let reply = self.0.portability(number.as_str()).await.map_err(provider_error)?;
        Ok(Portability {
            portable: reply.portable,
            pin_and_account_number_required: reply.pin_and_account_number_required,
            not_portable_reason: reply.not_portable_reason,
            number_type: reply.number_type,
        })
    }

    async fn start_port_in(&self, application: &PortInApplication) -> Result<StartedPortIn, ProviderError> {
        let request = frontdesk_twilio::PortInCreate {
            losing_carrier_information: frontdesk_twilio::LosingCarrierInformation {
                customer_name: application.customer_name.clone(),
                authorized_representative: application.authorized_representative.clone(),
                authorized_representative_email: application.authorized_representative_email.clone(),
                customer_type: application.customer_type.clone(),
                account_number: application.account_number.clone(),
                address: application.address.as_ref().map(|a| frontdesk_twilio::PortInAddress {
                    street: a.street.clone(),
                    city: a.city.clone(),
                    state: a.state.clone(),
                    zip: a.zip.clone(),
                    country: a.country.clone(),
                }),
            },
            phone_numbers: vec![frontdesk_twilio::PortInPhoneNumber {
                phone_number: application.number.to_string(),
                pin: application.pin.clone(),
            }],
            documents: application.documents.clone(),
            target_port_in_date: application.target_date.map(|d| d.format("%Y-%m-%d").to_string()),
        };
        let created = self.0.create_port_in(&request).await.map_err(provider_error)?;
        let status = match created.port_in_request_status.as_deref() {
            // The letter of authorization goes out for signature first.
            None => PortInStatus::WaitingForSignature,
            Some(raw) => PortInStatus::parse(raw).ok_or_else(|| unknown_word("port-in status", raw))?,
        };
        Ok(StartedPortIn {
            sid: PortInSid::parse(&created.port_in_request_sid).map_err(|e| unreadable("a port-in SID", e))?,
            status,
            signature_url: created.signature_request_url.filter(|u| !u.is_empty()),
        })
    }

    async fn subscribe_port_events(&self, url: &str) -> Result<(), ProviderError> {
        self.0.configure_porting_webhook(url).await.map_err(provider_error)
    }

    async fn port_in_events(&self, sid: &PortInSid) -> Result<Vec<PortingEvent>, ProviderError> {
        let record = self.0.port_in(sid.as_str()).await.map_err(provider_error)?;
        let request = PortInSid::parse(&record.port_in_request_sid).map_err(|e| unreadable("a port-in SID", e))?;
        let mut events = Vec::new();
        if let Some(status) = record.port_in_request_status.filter(|s| !s.is_empty()) {
            events.push(PortingEvent { request: request.clone(), number: None, status, reason: None });
        }
        for entry in record.phone_numbers {
            let (Some(raw), Some(status)) = (entry.phone_number, entry.port_in_phone_number_status) else {
                continue;
            };
            let number = E164::parse(&raw).map_err(|e| unreadable("a ported number", e))?;
            let reason = entry.rejection_reason.filter(|r| !r.is_empty());
            events.push(PortingEvent { request: request.clone(), number: Some(number), status, reason });
        }
        Ok(events)
    }
}

fn brand_state(
    raw: frontdesk_twilio::BrandRegistration,
) -> Result<RegistrationState<BrandSid, BrandStatus>, ProviderError> {
    Ok(RegistrationState {
        sid: BrandSid::parse(&raw.sid).map_err(|e| unreadable("a brand SID", e))?,
        status: BrandStatus::parse(&raw.status).ok_or_else(|| unknown_word("brand status", &raw.status))?,
        reason: raw.failure_reason.filter(|r| !r.is_empty()).or_else(|| frontdesk_twilio::first_error(&raw.errors)),
    })
}

fn campaign_state(
    raw: frontdesk_twilio::UsAppToPerson,
) -> Result<RegistrationState<CampaignSid, CampaignStatus>, ProviderError> {
    let status = raw.campaign_status.as_deref().unwrap_or("IN_PROGRESS");
    Ok(RegistrationState {
        sid: CampaignSid::parse(&raw.sid).map_err(|e| unreadable("a campaign SID", e))?,
        status: CampaignStatus::parse(status).ok_or_else(|| unknown_word("campaign status", status))?,
        reason: frontdesk_twilio::first_error(&raw.errors),
    })
}

#[async_trait]
impl RegistrationProvider for TwilioProvisioning {
    async fn create_messaging_service(
        &self,
        tenant: &TenantId,
        inbound_url: &str,
        status_callback: &str,
    ) -> Result<MessagingServiceSid, ProviderError> {
        let created = self
            .0
            .create_messaging_service(&number_label(tenant), inbound_url, status_callback)
            .await
            .map_err(provider_error)?;
        MessagingServiceSid::parse(&created.sid).map_err(|e| unreadable("a messaging service SID", e))
    }

    async fn add_sender(&self, service: &MessagingServiceSid, number: &NumberSid) -> Result<(), ProviderError> {
        self.0.add_service_sender(service.as_str(), number.as_str()).await.map_err(provider_error)
    }

    async fn remove_sender(&self, service: &MessagingServiceSid, number: &NumberSid) -> Result<(), ProviderError> {
        self.0.remove_service_sender(service.as_str(), number.as_str()).await.map_err(provider_error)
    }

    async fn bundle_status(&self, kind: BundleKind, bundle: &BundleSid) -> Result<String, ProviderError> {
        let kind = match kind {
            BundleKind::CustomerProfile => frontdesk_twilio::TrustBundleKind::CustomerProfile,
            BundleKind::A2pProfile => frontdesk_twilio::TrustBundleKind::TrustProduct,
        };
        Ok(self.0.trust_bundle(kind, bundle.as_str()).await.map_err(provider_error)?.status)
    }

    async fn register_brand(
        &self,
        application: &BrandApplication,
    ) -> Result<RegistrationState<BrandSid, BrandStatus>, ProviderError> {
        let brand = frontdesk_twilio::BrandCreate {
            customer_profile_bundle_sid: application.customer_profile.as_str(),
            a2p_profile_bundle_sid: application.a2p_profile.as_str(),
            brand_type: &application.brand_type,
            mock: application.mock,
        };
        brand_state(self.0.create_brand_registration(&brand).await.map_err(provider_error)?)
    }

    async fn brand(&self, brand: &BrandSid) -> Result<RegistrationState<BrandSid, BrandStatus>, ProviderError> {
        brand_state(self.0.brand_registration(brand.as_str()).await.map_err(provider_error)?)
    }

    async fn register_campaign(
        &self,
        service: &MessagingServiceSid,
        application: &CampaignApplication,
    ) -> Result<RegistrationState<CampaignSid, CampaignStatus>, ProviderError> {
        let campaign = frontdesk_twilio::CampaignCreate {
            brand_registration_sid: application.brand.as_str(),
            description: &application.description,
            message_flow: &application.message_flow,
            message_samples: &application.samples,
            us_app_to_person_usecase: &application.use_case,
            has_embedded_links: application.has_embedded_links,
            has_embedded_phone: application.has_embedded_phone,
            opt_in_keywords: &application.opt_in_keywords,
            opt_out_keywords: &application.opt_out_keywords,
            help_keywords: &application.help_keywords,
            opt_out_message: &application.opt_out_message,
            help_message: &application.help_message,
        };
        campaign_state(self.0.create_campaign(service.as_str(), &campaign).await.map_err(provider_error)?)
    }

    async fn campaign(
        &self,
        service: &MessagingServiceSid,
        campaign: &CampaignSid,
    ) -> Result<RegistrationState<CampaignSid, CampaignStatus>, ProviderError> {
        campaign_state(self.0.campaign(service.as_str(), campaign.as_str()).await.map_err(provider_error)?)
    }
}
