//! `frontdesk-stripe` from the outside: the client against a local fake of
//! Stripe (wiremock), with the exact form bodies and headers Stripe would
//! receive, every class of failure, the retry rules, and the
//! `PaymentProvider` mapping. Nothing here reaches the internet.

mod customers;
mod meter_events;
mod provider;
mod retries;
mod setup;
mod subscriptions;
mod support;
