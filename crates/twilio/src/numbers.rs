//! Phone numbers on Twilio's 2010 API: searching `AvailablePhoneNumbers`,
//! buying, finding, updating and releasing `IncomingPhoneNumbers`. Form
//! bodies, Basic auth, lists paged by `next_page_uri`.

use std::collections::HashMap;
use std::time::Duration;

use reqwest::StatusCode;
use serde::Deserialize;

use crate::rest::{Failure, Reply, TwilioRest, is_sid};

/// Twilio's "PhoneNumber is not available" (someone bought it first).
const NUMBER_NOT_AVAILABLE_CODE: u64 = 21422;
/// "The requested resource was not found".
const NOT_FOUND_CODE: u64 = 20404;
/// Pages of owned numbers read at most (50 each).
const MAX_PAGES: usize = 20;

/// Why a provisioning request to Twilio failed, classified for retrying.
#[derive(Debug, thiserror::Error)]
pub enum ProvisioningApiError {
    /// 404 / 20404.
    #[error("not found at Twilio: {0}")]
    NotFound(String),
    /// 21422: the number is no longer for sale.
    #[error("the number is no longer available: {0}")]
    NumberUnavailable(String),
    /// 429 (20429).
    #[error("rate limited by Twilio")]
    RateLimited { retry_after: Option<Duration> },
    /// 5xx, timeouts, connection failures: the request may have taken effect.
    #[error("Twilio is unavailable: {0}")]
    Unavailable(String),
    /// Any other refusal: final.
    #[error("Twilio refused: {0}")]
    Rejected(String),
    /// A reply that cannot be read (the request may have taken effect).
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// A non-success reply as a [`ProvisioningApiError`].
pub(crate) fn classify(reply: &Reply) -> ProvisioningApiError {
    match reply.failure() {
        Failure::RateLimited { retry_after } => ProvisioningApiError::RateLimited { retry_after },
        Failure::Unavailable(text) => ProvisioningApiError::Unavailable(text),
        Failure::Refused { code: Some(NUMBER_NOT_AVAILABLE_CODE), text, .. } => {
            ProvisioningApiError::NumberUnavailable(text)
        }
        Failure::Refused { status, code, text } if status == StatusCode::NOT_FOUND || code == Some(NOT_FOUND_CODE) => {
            ProvisioningApiError::NotFound(text)
        }
        Failure::Refused { text, .. } => ProvisioningApiError::Rejected(text),
        Failure::Unexpected(text) => ProvisioningApiError::Unexpected(anyhow::anyhow!(text)),
    }
}

/// Reads a success reply's JSON; unreadable is `Unexpected` (the request
/// may have taken effect).
pub(crate) fn read_json<T: serde::de::DeserializeOwned>(reply: &Reply, what: &str) -> Result<T, ProvisioningApiError> {
    serde_json::from_str(&reply.body).map_err(|error| {
        ProvisioningApiError::Unexpected(anyhow::anyhow!(
            "Twilio answered HTTP {} to {what} but the reply is unreadable: {error}",
            reply.status.as_u16()
        ))
    })
}

/// What a number can do. Twilio's API description keys capabilities
/// `voice`, `sms`, `mms`, `fax`; real replies write `SMS` and `MMS`, so
/// they are read in any case.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NumberCapabilities {
    pub voice: bool,
    pub sms: bool,
    pub mms: bool,
    pub fax: bool,
}

impl<'de> Deserialize<'de> for NumberCapabilities {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<NumberCapabilities, D::Error> {
        let raw: Option<HashMap<String, serde_json::Value>> = Option::deserialize(deserializer)?;
        let mut capabilities = NumberCapabilities::default();
        for (key, value) in raw.unwrap_or_default() {
            let on = match value {
                serde_json::Value::Bool(on) => on,
                serde_json::Value::String(text) => text.eq_ignore_ascii_case("true"),
                _ => false,
            };
            match key.to_ascii_lowercase().as_str() {
                "voice" => capabilities.voice = on,
                "sms" => capabilities.sms = on,
                "mms" => capabilities.mms = on,
                "fax" => capabilities.fax = on,
                _ => {}
            }
        }
        Ok(capabilities)
    }
}

/// One entry of `available_phone_numbers`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AvailablePhoneNumber {
    pub phone_number: String,
    #[serde(default)]
    pub friendly_name: String,
    pub locality: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub iso_country: Option<String>,
    /// `none`, `any`, `local` or `foreign`.
    pub address_requirements: Option<String>,
    #[serde(default)]
    pub capabilities: NumberCapabilities,
}

/// An `IncomingPhoneNumber` (only what we use).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct IncomingPhoneNumber {
    pub sid: String,
    pub phone_number: String,
    #[serde(default)]
    pub friendly_name: String,
    pub voice_url: Option<String>,
    pub sms_url: Option<String>,
    pub status_callback: Option<String>,
    pub voice_fallback_url: Option<String>,
    #[serde(default)]
    pub capabilities: NumberCapabilities,
    pub status: Option<String>,
}

/// A search of local numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocalNumberSearch<'a> {
    pub area_code: Option<&'a str>,
    pub contains: Option<&'a str>,
    pub page_size: u32,
}

/// How a number is set up: the fields of a purchase or an update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberConfig<'a> {
    pub friendly_name: &'a str,
    pub voice_url: &'a str,
    pub sms_url: &'a str,
    pub status_callback: &'a str,
    /// Fetched with GET (a static TwiML file or a TwiML Bin).
    pub voice_fallback_url: &'a str,
}

impl NumberConfig<'_> {
    fn form(&self) -> Vec<(&str, &str)> {
        vec![
            ("FriendlyName", self.friendly_name),
            ("VoiceUrl", self.voice_url),
            ("VoiceMethod", "POST"),
            ("VoiceFallbackUrl", self.voice_fallback_url),
            ("VoiceFallbackMethod", "GET"),
            ("StatusCallback", self.status_callback),
            ("StatusCallbackMethod", "POST"),
            ("SmsUrl", self.sms_url),
            ("SmsMethod", "POST"),
        ]
    }
}

#[derive(Deserialize)]
struct AvailableList {
    #[serde(default)]
    available_phone_numbers: Vec<AvailablePhoneNumber>,
}

#[derive(Deserialize)]
struct IncomingList {
    #[serde(default)]
    incoming_phone_numbers: Vec<IncomingPhoneNumber>,
    next_page_uri: Option<String>,
}

impl TwilioRest {
    /// `GET …/AvailablePhoneNumbers/US/Local.json` with `AreaCode`,
    /// `Contains`, voice and SMS required, `PageSize`.
    #[tracing::instrument(skip_all)]
    pub async fn search_local_numbers(
        &self,
        search: &LocalNumberSearch<'_>,
    ) -> Result<Vec<AvailablePhoneNumber>, ProvisioningApiError> {
        let url = format!("{}/AvailablePhoneNumbers/US/Local.json", self.account_url);
        let page_size = search.page_size.clamp(1, 50).to_string();
        let mut query: Vec<(&str, &str)> =
            vec![("SmsEnabled", "true"), ("VoiceEnabled", "true"), ("PageSize", page_size.as_str())];
        if let Some(area_code) = search.area_code {
            query.push(("AreaCode", area_code));
        }
        if let Some(contains) = search.contains {
            query.push(("Contains", contains));
        }
        let reply = self.send(self.http.get(&url).query(&query)).await.map_err(ProvisioningApiError::Unavailable)?;
        if !reply.status.is_success() {
            // A country or area without numbers is a 404 on some accounts: nothing found.
            if reply.status == StatusCode::NOT_FOUND {
                return Ok(Vec::new());
            }
            return Err(classify(&reply));
        }
        Ok(read_json::<AvailableList>(&reply, "the number search")?.available_phone_numbers)
    }

    /// `POST …/IncomingPhoneNumbers.json` with `PhoneNumber` and the
    /// configuration: buys the number. Not idempotent; check
    /// [`TwilioRest::find_incoming_number`] before retrying.
    #[tracing::instrument(skip_all)]
    pub async fn buy_number(
        &self,
        phone_number: &str,
        config: &NumberConfig<'_>,
    ) -> Result<IncomingPhoneNumber, ProvisioningApiError> {
        let url = format!("{}/IncomingPhoneNumbers.json", self.account_url);
        let mut form = vec![("PhoneNumber", phone_number)];
        form.extend(config.form());
        let reply = self.post_form(&url, &form).await.map_err(ProvisioningApiError::Unavailable)?;
        if !reply.status.is_success() {
            return Err(classify(&reply));
        }
        read_json(&reply, "the purchase")
    }

    /// `GET …/IncomingPhoneNumbers.json?PhoneNumber=`: the account's own
    /// number, if it holds it.
    #[tracing::instrument(skip_all)]
    pub async fn find_incoming_number(
        &self,
        phone_number: &str,
    ) -> Result<Option<IncomingPhoneNumber>, ProvisioningApiError> {
        let found = self.incoming_numbers(&[("PhoneNumber", phone_number)]).await?;
        Ok(found.into_iter().find(|n| n.phone_number == phone_number))
    }

    /// `GET …/IncomingPhoneNumbers.json?FriendlyName=`, every page.
    #[tracing::instrument(skip_all)]
    pub async fn incoming_numbers_named(
        &self,
        friendly_name: &str,
    ) -> Result<Vec<IncomingPhoneNumber>, ProvisioningApiError> {
        let found = self.incoming_numbers(&[("FriendlyName", friendly_name), ("PageSize", "50")]).await?;
        Ok(found.into_iter().filter(|n| n.friendly_name == friendly_name).collect())
    }

    /// Every page of a list of owned numbers.
    async fn incoming_numbers(&self, query: &[(&str, &str)]) -> Result<Vec<IncomingPhoneNumber>, ProvisioningApiError> {
        let mut request = self.http.get(format!("{}/IncomingPhoneNumbers.json", self.account_url)).query(query);
        let mut numbers = Vec::new();
        for _ in 0..MAX_PAGES {
            let reply = self.send(request).await.map_err(ProvisioningApiError::Unavailable)?;
            if !reply.status.is_success() {
                return Err(classify(&reply));
            }
            let page: IncomingList = read_json(&reply, "the list of numbers")?;
            numbers.extend(page.incoming_phone_numbers);
            match page.next_page_uri.filter(|uri| !uri.is_empty()) {
                // Relative to the API's host, query included.
                Some(next) => request = self.http.get(format!("{}{next}", self.api_base)),
                None => return Ok(numbers),
            }
        }
        Err(ProvisioningApiError::Unexpected(anyhow::anyhow!("more than {MAX_PAGES} pages of numbers")))
    }

    /// `POST …/IncomingPhoneNumbers/{PN}.json` with the configuration.
    #[tracing::instrument(skip_all, fields(number_sid = %sid))]
    pub async fn update_number(
        &self,
        sid: &str,
        config: &NumberConfig<'_>,
    ) -> Result<IncomingPhoneNumber, ProvisioningApiError> {
        if !is_sid(sid) {
            return Err(ProvisioningApiError::Rejected(format!("{sid:?} is not a Twilio number SID")));
        }
        let url = format!("{}/IncomingPhoneNumbers/{sid}.json", self.account_url);
        let reply = self.post_form(&url, &config.form()).await.map_err(ProvisioningApiError::Unavailable)?;
        if !reply.status.is_success() {
            return Err(classify(&reply));
        }
        read_json(&reply, "the number update")
    }

    /// `DELETE …/IncomingPhoneNumbers/{PN}.json` (204). A number the
    /// account no longer holds (404) is released already: `Ok`.
    #[tracing::instrument(skip_all, fields(number_sid = %sid))]
    pub async fn release_number(&self, sid: &str) -> Result<(), ProvisioningApiError> {
        if !is_sid(sid) {
            return Err(ProvisioningApiError::Rejected(format!("{sid:?} is not a Twilio number SID")));
        }
        let url = format!("{}/IncomingPhoneNumbers/{sid}.json", self.account_url);
        let reply = self.send(self.http.delete(&url)).await.map_err(ProvisioningApiError::Unavailable)?;
        if reply.status.is_success() {
            return Ok(());
        }
        match classify(&reply) {
            ProvisioningApiError::NotFound(_) => Ok(()),
            error => Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_are_read_in_any_case() {
        let cases = [
            (r#"{"voice": true, "SMS": true, "MMS": false, "fax": false}"#, (true, true, false)),
            (r#"{"voice": true, "sms": true, "mms": true}"#, (true, true, true)),
            (r#"{"Voice": "true", "Sms": "false"}"#, (true, false, false)),
            ("null", (false, false, false)),
            ("{}", (false, false, false)),
        ];
        for (json, (voice, sms, mms)) in cases {
            let parsed: NumberCapabilities = serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"));
            assert_eq!((parsed.voice, parsed.sms, parsed.mms), (voice, sms, mms), "{json}");
        }
    }
}
