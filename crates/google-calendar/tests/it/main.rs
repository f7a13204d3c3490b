//! The Google Calendar adapter against a local fake of Google (wiremock):
//! the exact requests it sends and how it reads every kind of answer.
//! Nothing here reaches the internet, and time moves only on a manual clock.

mod credentials;
mod errors;
mod events;
mod free_busy;
mod support;
mod tenants;
mod tokens;
