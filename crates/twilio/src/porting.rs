//! Porting on Twilio's numbers API (public beta): portability, port-in
//! requests (a JSON body, unlike the form bodies elsewhere), the webhook
//! configuration, and the events Twilio sends to it.
//!
//! The events' payload is not specified in the sources we work from (the
//! docs list the event names, not the body); [`PortingNotification::parse`]
//! reads the fields integrations in the wild read, in snake or camel case:
//! `port_in_request_sid`, `port_in_phone_number_sid`, `phone_number`,
//! `status` (or the event name), `rejection_reason`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::numbers::{ProvisioningApiError, classify, read_json};
use crate::rest::TwilioRest;

/// The porting events asked for: every port-in request and number event.
pub const PORT_IN_EVENTS: [&str; 11] = [
    "PortInWaitingForSignature",
    "PortInInProgress",
    "PortInCompleted",
    "PortInActionRequired",
    "PortInCanceled",
    "PortInPhoneNumberWaitingForSignature",
    "PortInPhoneNumberSubmitted",
    "PortInPhoneNumberPending",
    "PortInPhoneNumberCompleted",
    "PortInPhoneNumberRejected",
    "PortInPhoneNumberCanceled",
];

/// `GET /v1/Porting/Portability/PhoneNumber/{E164}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PortabilityReply {
    pub phone_number: Option<String>,
    #[serde(default)]
    pub portable: bool,
    #[serde(default)]
    pub pin_and_account_number_required: bool,
    pub not_portable_reason: Option<String>,
    pub not_portable_reason_code: Option<i64>,
    pub number_type: Option<String>,
}

/// The address on the losing carrier's account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortInAddress {
    pub street: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub country: String,
}

/// `losing_carrier_information` of a port-in request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LosingCarrierInformation {
    pub customer_name: String,
    pub authorized_representative: String,
    pub authorized_representative_email: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<PortInAddress>,
}

/// One number of a port-in request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortInPhoneNumber {
    pub phone_number: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
}

/// The body of `POST /v1/Porting/PortIn` (without `account_sid`, which the
/// client adds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortInCreate {
    pub losing_carrier_information: LosingCarrierInformation,
    pub phone_numbers: Vec<PortInPhoneNumber>,
    /// Document SIDs (`RD…`, a utility bill).
    pub documents: Vec<String>,
    /// `YYYY-MM-DD`.
    pub target_port_in_date: Option<String>,
}

#[derive(Serialize)]
struct PortInBody<'a> {
    account_sid: &'a str,
    documents: &'a [String],
    losing_carrier_information: &'a LosingCarrierInformation,
    phone_numbers: &'a [PortInPhoneNumber],
    #[serde(skip_serializing_if = "Option::is_none")]
    target_port_in_date: Option<&'a str>,
}

/// What Twilio answers to a new port-in request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PortInCreated {
    pub port_in_request_sid: String,
    pub port_in_request_status: Option<String>,
    pub signature_request_url: Option<String>,
}

/// `GET /v1/Porting/PortIn/{KW}` (only what we use).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PortInRequestRecord {
    pub port_in_request_sid: String,
    pub port_in_request_status: Option<String>,
    #[serde(default)]
    pub phone_numbers: Vec<PortInPhoneNumberRecord>,
}

/// One number of a fetched port-in request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PortInPhoneNumberRecord {
    pub phone_number: Option<String>,
    pub port_in_phone_number_status: Option<String>,
    pub rejection_reason: Option<String>,
}

/// A porting event as Twilio posts it (JSON), read leniently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortingNotification {
    pub port_in_request_sid: String,
    pub port_in_phone_number_sid: Option<String>,
    pub phone_number: Option<String>,
    /// The status word, or the event name when no status is given.
    pub status: String,
    pub reason: Option<String>,
}

impl PortingNotification {
    /// Reads an event body; the error says what is missing.
    pub fn parse(body: &[u8]) -> Result<PortingNotification, String> {
        let value: Value = serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
        let field = |snake: &str, camel: &str| -> Option<String> {
            [snake, camel]
                .iter()
                .find_map(|key| value.get(key).and_then(Value::as_str))
                .map(str::trim)
                .filter(|text| !text.is_empty())
                .map(str::to_owned)
        };
        let port_in_request_sid =
            field("port_in_request_sid", "portInRequestSid").ok_or("no port_in_request_sid in the event")?;
        let status = field("status", "status")
            .or_else(|| field("port_in_request_status", "portInRequestStatus"))
            .or_else(|| field("port_in_phone_number_status", "portInPhoneNumberStatus"))
            .or_else(|| field("event_type", "eventType"))
            .ok_or("no status or event type in the event")?;
        Ok(PortingNotification {
            port_in_request_sid,
            port_in_phone_number_sid: field("port_in_phone_number_sid", "portInPhoneNumberSid"),
            phone_number: field("phone_number", "phoneNumber"),
            status,
            reason: field("rejection_reason", "rejectionReason")
                .or_else(|| field("order_cancellation_reason", "orderCancellationReason"))
                .or_else(|| field("not_portable_reason", "notPortableReason")),
        })
    }
}

impl TwilioRest {
    /// Whether Twilio can port `phone_number` in.
    #[tracing::instrument(skip_all)]
    pub async fn portability(&self, phone_number: &str) -> Result<PortabilityReply, ProvisioningApiError> {
        // `+` is literal in a path; anything but digits and `+` could reshape it.
        if !phone_number.bytes().all(|b| b.is_ascii_digit() || b == b'+') {
            return Err(ProvisioningApiError::Rejected(format!("{phone_number:?} is not an E.164 number")));
        }
        let url = format!("{}/v1/Porting/Portability/PhoneNumber/{phone_number}", self.numbers_base);
        let reply = self.send(self.http.get(&url)).await.map_err(ProvisioningApiError::Unavailable)?;
        if !reply.status.is_success() {
            return Err(classify(&reply));
        }
        read_json(&reply, "the portability check")
    }

    /// `POST /v1/Porting/PortIn` (JSON).
    #[tracing::instrument(skip_all)]
    pub async fn create_port_in(&self, request: &PortInCreate) -> Result<PortInCreated, ProvisioningApiError> {
        let url = format!("{}/v1/Porting/PortIn", self.numbers_base);
        let body = PortInBody {
            account_sid: &self.account_sid,
            documents: &request.documents,
            losing_carrier_information: &request.losing_carrier_information,
            phone_numbers: &request.phone_numbers,
            target_port_in_date: request.target_port_in_date.as_deref(),
        };
        let reply = self.send(self.http.post(&url).json(&body)).await.map_err(ProvisioningApiError::Unavailable)?;
        if !reply.status.is_success() {
            return Err(classify(&reply));
        }
        read_json(&reply, "the port-in request")
    }

    /// `GET /v1/Porting/PortIn/{KW}`: where a port-in request and its
    /// numbers stand (what the events say, asked for).
    #[tracing::instrument(skip_all, fields(port_in = %sid))]
    pub async fn port_in(&self, sid: &str) -> Result<PortInRequestRecord, ProvisioningApiError> {
        if !crate::rest::is_sid(sid) {
            return Err(ProvisioningApiError::Rejected(format!("{sid:?} is not a Twilio port-in SID")));
        }
        let url = format!("{}/v1/Porting/PortIn/{sid}", self.numbers_base);
        let reply = self.send(self.http.get(&url)).await.map_err(ProvisioningApiError::Unavailable)?;
        if !reply.status.is_success() {
            return Err(classify(&reply));
        }
        read_json(&reply, "the port-in request")
    }

    /// `POST /v1/Porting/Configuration/Webhook` (JSON): port-in events to `url`.
    #[tracing::instrument(skip_all)]
    pub async fn configure_porting_webhook(&self, url: &str) -> Result<(), ProvisioningApiError> {
        let endpoint = format!("{}/v1/Porting/Configuration/Webhook", self.numbers_base);
        let body = serde_json::json!({"port_in_target_url": url, "notifications_of": PORT_IN_EVENTS});
        let reply =
            self.send(self.http.post(&endpoint).json(&body)).await.map_err(ProvisioningApiError::Unavailable)?;
        if !reply.status.is_success() {
            return Err(classify(&reply));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_read_in_snake_or_camel_case() {
        let snake = br#"{"port_in_request_sid": "KW0123456789abcdef0123456789abcdef", "port_in_phone_number_sid": "PU0123456789abcdef0123456789abcdef", "phone_number": "+17185550123", "status": "Rejected", "rejection_reason": "PIN mismatch", "last_date_updated": "2026-12-15T10:00:00Z"}"#;
        let event = PortingNotification::parse(snake).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(event.port_in_request_sid, "KW0123456789abcdef0123456789abcdef");
        assert_eq!(event.phone_number.as_deref(), Some("+17185550123"));
        assert_eq!(event.status, "Rejected");
        assert_eq!(event.reason.as_deref(), Some("PIN mismatch"));

        let camel = br#"{"portInRequestSid": "KW0123456789abcdef0123456789abcdef", "eventType": "PortInCompleted"}"#;
        let event = PortingNotification::parse(camel).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((event.status.as_str(), event.phone_number), ("PortInCompleted", None));

        for (bad, why) in [
            (&b"not json"[..], "not JSON"),
            (br#"{"status": "Completed"}"#, "port_in_request_sid"),
            (br#"{"port_in_request_sid": "KW1"}"#, "status"),
        ] {
            let error = PortingNotification::parse(bad).err().unwrap_or_default();
            assert!(error.contains(why), "{error}");
        }
    }
}
