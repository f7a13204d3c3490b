//! Stripe at Frontdesk's edge: checking that a webhook came from Stripe
//! ([`WebhookVerifier`]) and reading its event ([`StripeEvent`]), and
//! calling Stripe's REST API ([`StripeClient`]) behind the
//! [`PaymentProvider`](frontdesk_billing::PaymentProvider) port: customers,
//! subscriptions, and usage as Billing Meter events.
//!
//! Hand-written on reqwest rather than built on `async-stripe`: its 1.0 is a
//! release candidate and adds about 142 s to a debug build, for an API
//! surface of which we use three form POSTs and the webhook check. What we
//! need of Stripe's protocol (form bodies with bracketed keys, idempotency
//! keys, stripe-python's retry rules, the signature scheme) fits in this
//! crate and is tested against a local fake.
//!
//! This crate knows Stripe's wire formats and nothing of the product: not
//! tenants' settings or stores, not what an event means for an account
//! (that is `frontdesk-billing`), not HTTP servers (the gateway hands over
//! the raw body and the `Stripe-Signature` header). Prices and meters come
//! from a [`StripeCatalog`] the app's composition root builds from
//! configuration. The secret key and webhook secret are held as secrets and
//! never printed.

mod catalog;
mod client;
mod error;
mod event;
mod objects;
mod provider;
pub mod webhook;

pub use catalog::StripeCatalog;
pub use client::{
    API_VERSION, DEFAULT_BACKOFF_BASE, DEFAULT_BASE_URL, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, StripeClient,
    StripeConfig, StripeSetupError,
};
pub use error::{ApiError, StripeError};
pub use event::{EventParseError, StripeEvent};
pub use objects::{Customer, MeterEvent, MeterEventReceipt, NewMeterEvent, Subscription, SubscriptionItem};
pub use provider::meter_event_idempotency_key;
pub use webhook::{WebhookError, WebhookSecretError, WebhookVerifier};
