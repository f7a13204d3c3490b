//! One integration-test binary for frontdesk-language. The tables are the
//! spec: each row is something a caller might say and what we must make of it.

mod cards;
mod codes;
mod intents;
mod names;
mod normalize;
mod robustness;
mod services;
mod when;
mod yes_no;
