//! `frontdesk-twilio` from the outside: every signature vector from
//! Twilio's SDK tests, TwiML compared byte for byte with twilio-python's
//! output, and the REST client against a local fake of Twilio (wiremock).
//! Nothing here reaches the internet.

mod calls;
mod messages;
mod numbers;
mod recordings;
mod signature;
mod support;
mod twiml;
