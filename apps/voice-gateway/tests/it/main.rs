//! voice-gateway integration tests: one binary, several modules.
//! `admin_api` and `health` drive the router in-process with a frozen clock;
//! `binary` starts the real executable and talks to it over HTTP.

mod admin_api;
mod attendance;
mod billing;
mod billing_jobs;
mod binary;
mod bookings;
mod browser;
mod conversations;
mod health;
mod human_fallback;
mod jobs;
mod knowledge;
mod lifecycle;
mod model;
mod notifications;
mod outages;
mod provisioning;
mod realtime;
mod realtime_wire;
mod reminders;
mod shared_flags;
mod support;
mod web;
mod web_ops;
