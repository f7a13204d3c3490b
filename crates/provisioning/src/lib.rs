//! A shop's phone numbers and its right to text: buying a number (safely:
//! never twice), assigning one the account holds, releasing one (a typed
//! confirmation), bringing the shop's own number over (a port-in, kept
//! current by the provider's events) and registering the shop to text
//! (A2P 10DLC: brand and campaign; until the campaign is verified its texts
//! wait in the outbox, [`RegistrationGate`]). [`ProvisioningRefresh`] asks
//! the provider hourly about what has no reliable event.
//!
//! Ports: [`NumberProvider`], [`PortingProvider`], [`RegistrationProvider`]
//! (the provider's APIs; Twilio's adapter is wired in `frontdesk-runtime`,
//! so `frontdesk-twilio` stays below the domain) and [`ProvisioningStore`]
//! (the records, in both stores). [`Provisioning`] holds the use cases.
//!
//! Knows nothing of Twilio's wire formats, HTTP or SQL.

mod gate;
pub mod ids;
mod memory;
pub mod numbers;
pub mod porting;
mod refresh;
pub mod registration;
mod service;
mod store;

pub use gate::RegistrationGate;
pub use ids::{BrandSid, BundleSid, CampaignSid, MessagingServiceSid, NumberSid, PortInSid, SidError};
pub use memory::MemoryProvisioningStore;
pub use numbers::{
    AvailableNumber, Capabilities, NumberProvider, NumberSearch, NumberSetup, OwnedNumber, ProviderError, number_label,
};
pub use porting::{
    PortAddress, PortIn, PortInApplication, PortInStatus, Portability, PortedNumberStatus, PortingEvent,
    PortingProvider, StartedPortIn, forwarding_instructions,
};
pub use refresh::{ProvisioningRefresh, REFRESH_PROVISIONING};
pub use registration::{
    BUNDLE_APPROVED, BrandApplication, BrandStatus, BundleKind, CampaignApplication, CampaignStatus, Clearance,
    RegistrationProvider, RegistrationState, TextingRegistration,
};
pub use service::{
    BrandDetails, NumberOutcome, NumberWebhooks, PORT_EVENTS_PATH, PortEventOutcome, Providers, Provisioning,
    ProvisioningError, ProvisioningStatus, WAITING_FOR_REGISTRATION, texting_clearance, unknown_word, waiting_texts,
};
pub use store::{NumberOrder, NumberState, ProvisioningStore};
