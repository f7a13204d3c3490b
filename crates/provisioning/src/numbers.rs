//! Phone numbers as the provider sells them: the [`NumberProvider`] port,
//! what a search finds, what the account holds, and how a number is set up
//! to reach the gateway.

use std::time::Duration;

use async_trait::async_trait;
use frontdesk_core::{E164, TenantId};

use crate::ids::NumberSid;

/// What a number can do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Capabilities {
    pub voice: bool,
    pub sms: bool,
    pub mms: bool,
}

/// What to look for. The provider returns local numbers of the country the
/// adapter is set up for (the US).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NumberSearch {
    /// Three digits (`718`).
    pub area_code: Option<String>,
    /// Digits (or letters) the number must contain (`555`, `CUTS`).
    pub contains: Option<String>,
    /// How many to return at most (1–50; 0 means the default of 10).
    pub limit: u32,
}

impl NumberSearch {
    pub const DEFAULT_LIMIT: u32 = 10;
    pub const MAX_LIMIT: u32 = 50;

    /// Checks the criteria: an area code is three digits, `contains` is 2 to
    /// 16 letters, digits or `*`, the limit at most 50.
    pub fn parse(area_code: Option<&str>, contains: Option<&str>, limit: Option<u32>) -> Result<NumberSearch, String> {
        let area_code = area_code.map(str::trim).filter(|a| !a.is_empty());
        if let Some(area) = area_code
            && !(area.len() == 3 && area.bytes().all(|b| b.is_ascii_digit()) && !area.starts_with(['0', '1']))
        {
            return Err(format!("area code {area:?} is not three digits (e.g. 718)"));
        }
        let contains = contains.map(str::trim).filter(|c| !c.is_empty());
        if let Some(pattern) = contains
            && !((2..=16).contains(&pattern.len()) && pattern.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'*'))
        {
            return Err(format!("contains {pattern:?} must be 2 to 16 letters, digits or *"));
        }
        let limit = limit.unwrap_or(NumberSearch::DEFAULT_LIMIT);
        if limit == 0 || limit > NumberSearch::MAX_LIMIT {
            return Err(format!("limit must be 1 to {}", NumberSearch::MAX_LIMIT));
        }
        Ok(NumberSearch { area_code: area_code.map(str::to_owned), contains: contains.map(str::to_owned), limit })
    }
}

/// A number a search found, for sale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvailableNumber {
    pub number: E164,
    /// How the provider writes it (`(718) 555-0123`).
    pub friendly_name: String,
    pub locality: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub capabilities: Capabilities,
    /// The provider needs an address on file before it sells this one.
    pub address_required: bool,
}

/// A number the account holds, as the provider describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedNumber {
    pub sid: NumberSid,
    pub number: E164,
    /// Our label (`frontdesk:{slug}`), or whatever someone set.
    pub label: String,
    pub voice_url: Option<String>,
    pub sms_url: Option<String>,
    pub status_callback: Option<String>,
    pub voice_fallback_url: Option<String>,
    pub capabilities: Capabilities,
}

impl OwnedNumber {
    /// Whether the number is labelled as `tenant`'s.
    pub fn labelled_for(&self, tenant: &TenantId) -> bool {
        self.label == number_label(tenant)
    }

    /// Whether it is labelled as any tenant's (`frontdesk:…`).
    pub fn labelled_for_anyone(&self) -> bool {
        self.label.starts_with(LABEL_PREFIX)
    }
}

const LABEL_PREFIX: &str = "frontdesk:";

/// The label a tenant's numbers carry at the provider (`frontdesk:{slug}`):
/// a number bought for a tenant whose record was lost is found by it.
pub fn number_label(tenant: &TenantId) -> String {
    format!("{LABEL_PREFIX}{tenant}")
}

/// How a number reaches us: where the provider sends calls, texts and call
/// reports, and where it sends a call when the gateway does not answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberSetup {
    /// `frontdesk:{slug}`.
    pub label: String,
    pub voice_url: String,
    pub sms_url: String,
    pub status_callback: String,
    /// Requested exactly when the gateway fails, so it is never on the
    /// gateway's host.
    pub voice_fallback_url: String,
}

/// Why the provider did not do what was asked, classified for retrying.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The resource does not exist (at this account).
    #[error("not found at the provider: {0}")]
    NotFound(String),
    /// The number is no longer for sale (someone else bought it): final,
    /// choose another.
    #[error("the number is no longer available: {0}")]
    NumberUnavailable(String),
    /// 429: retry later.
    #[error("rate limited by the provider")]
    RateLimited { retry_after: Option<Duration> },
    /// 5xx, timeouts, connection failures: the request may or may not have
    /// taken effect; retry later (a purchase checks first).
    #[error("the provider is unavailable: {0}")]
    Unavailable(String),
    /// Any other refusal (bad credentials, a missing address, a bad field):
    /// final.
    #[error("the provider refused: {0}")]
    Rejected(String),
    /// A reply that cannot be read: it may have taken effect.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl ProviderError {
    /// Worth another attempt (after checking what the first one did).
    pub fn is_retryable(&self) -> bool {
        matches!(self, ProviderError::RateLimited { .. } | ProviderError::Unavailable(_) | ProviderError::Unexpected(_))
    }
}

/// The numbers of the provider account Frontdesk runs on.
///
/// Error contract, for every method: 429 MUST be `RateLimited`; a transport
/// failure, a timeout or a 5xx MUST be `Unavailable` (the request may have
/// taken effect); a reply that cannot be read MUST be `Unexpected`; other
/// refusals `Rejected`, unless a method says otherwise.
#[async_trait]
pub trait NumberProvider: Send + Sync {
    /// Local numbers for sale that match, with voice and SMS. An empty list
    /// is not an error.
    async fn search(&self, search: &NumberSearch) -> Result<Vec<AvailableNumber>, ProviderError>;

    /// Buys `number` set up as `setup` says. Not idempotent at the
    /// provider: callers check [`NumberProvider::find_owned`] before
    /// retrying. MUST return `NumberUnavailable` when the number is no
    /// longer for sale.
    async fn buy(&self, number: &E164, setup: &NumberSetup) -> Result<OwnedNumber, ProviderError>;

    /// The account's own `number`, if it holds it.
    async fn find_owned(&self, number: &E164) -> Result<Option<OwnedNumber>, ProviderError>;

    /// Every number the account holds labelled for `tenant`
    /// ([`number_label`]): the orphans of a purchase whose record was lost.
    async fn owned_for(&self, tenant: &TenantId) -> Result<Vec<OwnedNumber>, ProviderError>;

    /// Sets a held number up as `setup` says. MUST return `NotFound` when
    /// the account does not hold it.
    async fn configure(&self, sid: &NumberSid, setup: &NumberSetup) -> Result<OwnedNumber, ProviderError>;

    /// Gives the number back. A number the account no longer holds is
    /// released already: MUST be `Ok`.
    async fn release(&self, sid: &NumberSid) -> Result<(), ProviderError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Area code, contains, limit; and the search, or a fragment of the problem.
    type Case<'a> =
        (Option<&'a str>, Option<&'a str>, Option<u32>, Result<(Option<&'a str>, Option<&'a str>, u32), &'a str>);

    #[test]
    fn search_criteria_are_checked() {
        let cases: [Case; 8] = [
            (Some("718"), None, None, Ok((Some("718"), None, 10))),
            (Some(" 718 "), Some("555"), Some(5), Ok((Some("718"), Some("555"), 5))),
            (None, Some("CUTS"), None, Ok((None, Some("CUTS"), 10))),
            (Some(""), Some(""), Some(50), Ok((None, None, 50))),
            (Some("71"), None, None, Err("area code")),
            (Some("118"), None, None, Err("area code")),
            (None, Some("5"), None, Err("contains")),
            (None, None, Some(51), Err("limit")),
        ];
        for (area, contains, limit, expected) in cases {
            let parsed = NumberSearch::parse(area, contains, limit);
            match (parsed, expected) {
                (Ok(search), Ok((area, contains, limit))) => {
                    assert_eq!(
                        (search.area_code.as_deref(), search.contains.as_deref(), search.limit),
                        (area, contains, limit)
                    );
                }
                (Err(problem), Err(fragment)) => assert!(problem.contains(fragment), "{problem}"),
                (parsed, expected) => panic!("{area:?}/{contains:?}/{limit:?}: {parsed:?}, expected {expected:?}"),
            }
        }
    }

    #[test]
    fn labels_name_the_tenant() {
        let tenant = TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(number_label(&tenant), "frontdesk:fresh-cuts");
    }
}
