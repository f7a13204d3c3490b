//! Twilio at Frontdesk's edge: checking that a webhook came from Twilio
//! ([`RequestValidator`]), answering it with TwiML ([`twiml`]), and calling
//! Twilio's REST API ([`TwilioRest`]) to send texts through the
//! [`Messaging`](frontdesk_messaging::Messaging) port, to redirect live calls
//! and place calls back ([`outbound`]), to fetch call recordings' audio
//! ([`recordings`]),
//! and to provision numbers: search, buy, set up and release them
//! ([`numbers`]), port them in ([`porting`]) and register the texts sent
//! from them ([`registration`]). Every Twilio host's base URL is part of
//! [`TwilioRestConfig`], so one local fake serves them all in tests.
//!
//! This crate knows Twilio's wire formats and nothing of the product: not
//! tenants' numbers or settings, not dialogue, bookings or stores, not HTTP
//! servers (the gateway app owns axum and hands over the URL, form fields
//! and header). No Twilio wire type leaves it except the TwiML builders;
//! callers see [`OutboundSms`](frontdesk_messaging::OutboundSms),
//! [`SentSms`](frontdesk_messaging::SentSms) and the error enums.
//! Auth tokens are held as secrets and never printed.

pub mod numbers;
pub mod outbound;
pub mod porting;
pub mod recordings;
pub mod registration;
pub mod rest;
pub mod signature;
pub mod twiml;

pub use numbers::{
    AvailablePhoneNumber, IncomingPhoneNumber, LocalNumberSearch, NumberCapabilities, NumberConfig,
    ProvisioningApiError,
};
pub use outbound::CallCreateError;
pub use porting::{
    LosingCarrierInformation, PortInAddress, PortInCreate, PortInCreated, PortInPhoneNumber, PortInPhoneNumberRecord,
    PortInRequestRecord, PortabilityReply, PortingNotification,
};
pub use recordings::{RecordingFetchError, RecordingMedia};
pub use registration::{
    BrandCreate, BrandRegistration, CampaignCreate, MessagingService, TrustBundle, TrustBundleKind, UsAppToPerson,
    first_error,
};
pub use rest::{CallFetchError, CallResource, CallUpdateError, TwilioRest, TwilioRestConfig, TwilioSetupError};
pub use signature::{RequestValidator, body_sha256_hex};
