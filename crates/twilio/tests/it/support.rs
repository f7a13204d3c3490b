//! A local fake of Twilio's REST API (wiremock) and the client pointed at it.

use std::time::Duration;

use base64::Engine as _;
use frontdesk_core::{E164, TenantId};
use frontdesk_messaging::OutboundSms;
use frontdesk_twilio::{TwilioRest, TwilioRestConfig};
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{MockBuilder, MockServer, ResponseTemplate};

pub const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
pub const AUTH_TOKEN: &str = "test-auth-token-not-real";
pub const CALL_SID: &str = "CAfedcba9876543210fedcba9876543210";
pub const MESSAGES_PATH: &str = "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json";
pub const CALL_PATH: &str =
    "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Calls/CAfedcba9876543210fedcba9876543210.json";

pub fn config(server: &MockServer) -> TwilioRestConfig {
    TwilioRestConfig {
        base_url: server.uri(),
        timeout: Duration::from_secs(5),
        ..TwilioRestConfig::new(ACCOUNT_SID, AUTH_TOKEN)
    }
}

pub fn twilio(server: &MockServer) -> TwilioRest {
    TwilioRest::new(config(server)).expect("test config is valid")
}

/// `Basic base64(AccountSid:AuthToken)`, computed independently of reqwest.
pub fn basic_auth() -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT_SID}:{AUTH_TOKEN}")))
}

/// A form POST to `request_path` with our credentials.
pub fn form_post(request_path: &str) -> MockBuilder {
    wiremock::Mock::given(method("POST"))
        .and(path(request_path))
        .and(header("authorization", basic_auth().as_str()))
        .and(header("content-type", "application/x-www-form-urlencoded"))
}

pub fn sms(body: &str) -> OutboundSms {
    OutboundSms {
        tenant: TenantId::parse("fresh-cuts").expect("valid tenant"),
        to: E164::parse("+15551234567").expect("valid number"),
        from: E164::parse("+15557654321").expect("valid number"),
        body: body.to_owned(),
    }
}

/// Twilio's error body.
pub fn twilio_error(status: u16, code: u64, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "code": code,
        "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status,
    }))
}
