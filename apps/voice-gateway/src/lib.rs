//! `voice-gateway`: Frontdesk's HTTP front door.
//!
//! Serves health checks, the admin API, Twilio's and Stripe's webhooks and
//! the owners' and operators' web pages, and on SQLite runs the job worker
//! in-process. This crate is a composition root: it reads settings, picks
//! adapters, and hands handlers nothing but ports.

pub mod admin;
pub mod app;
pub mod demo;
pub mod error;
pub mod health;
pub mod metrics;
pub mod porting;
pub mod realtime;
pub mod stripe;
pub mod twilio;
pub mod web;

pub use app::{AppState, Application, HttpLimits, RunningGateway, router};
pub use frontdesk_runtime::{Settings, shutdown_signal, telemetry};
pub use twilio::{FILLER_AFTER, TwilioSettings};
