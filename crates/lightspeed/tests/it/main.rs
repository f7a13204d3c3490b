//! The Lightspeed adapter against a local fake of Lightspeed (wiremock): the
//! requests it sends, how it follows pages, how it reads Lightspeed's JSON
//! and every kind of failure. Nothing here reaches the internet.

mod connect;
mod errors;
mod mapping;
mod pagination;
mod support;
mod tokens;
