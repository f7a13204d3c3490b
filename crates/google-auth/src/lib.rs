//! Google service-account authentication, shared by Frontdesk's Google
//! adapters (Calendar, Sheets): the JSON key file Google hands out
//! ([`ServiceAccountKey`], checked once at startup), RS256 JWT assertions
//! exchanged at the key's `token_uri`, and access tokens for one OAuth scope
//! cached until shortly before they expire ([`TokenSource`]).
//!
//! Also the one URL encoder both adapters use ([`percent_encode`]).
//!
//! It knows OAuth's service-account flow and nothing else: not which Google
//! API the token is for (the caller passes the scope), not where keys are
//! kept or how settings are loaded, and no adapter's error type (callers
//! translate [`TokenError`]). Time comes from a `Clock`, so expiry is
//! testable without waiting.

mod credentials;
mod encode;
mod token;

pub use credentials::{DEFAULT_TOKEN_URI, ServiceAccountKey, ServiceAccountKeyError};
pub use encode::percent_encode;
pub use token::{TokenError, TokenSource};
