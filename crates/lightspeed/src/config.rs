//! Where the retailer's till is and how patiently to talk to it.

use std::time::Duration;

/// The environment variable the app reads to override [`LightspeedConfig::base_url`]
/// (tests and demo mode point it at a fake).
pub const BASE_URL_ENV: &str = "FRONTDESK_LIGHTSPEED_BASE_URL";
/// The environment variable the app reads a retailer's personal token from.
pub const TOKEN_ENV: &str = "FRONTDESK_LIGHTSPEED_TOKEN";

/// Items per page. Lightspeed's 2.0 list endpoints accept 1000 (up to 5000
/// on some); fewer, larger pages spend less of the rate budget.
pub const DEFAULT_PAGE_SIZE: u32 = 1000;
/// Retries after the first attempt, for 429, 5xx and network errors.
pub const DEFAULT_MAX_RETRIES: u32 = 4;
/// The first retry waits this long; each further one twice as long (capped
/// at 10 s, with jitter).
pub const DEFAULT_BACKOFF_BASE: Duration = Duration::from_millis(500);
/// Limit for each request, connecting included. A page of 1000 products is
/// a few megabytes, so this is generous.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// A longer `Retry-After` is not waited out here: the sync fails with
/// `SourceError::RateLimited` and the scheduler tries again later.
pub const DEFAULT_MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// Lightspeed's rate limit is a fixed window of five minutes.
pub const DEFAULT_RATE_LIMIT_WINDOW: Duration = Duration::from_secs(300);

/// How to reach one retailer's Lightspeed API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LightspeedConfig {
    /// The 2.0 API root without a trailing slash:
    /// `https://{domain_prefix}.retail.lightspeed.app/api/2.0` unless
    /// overridden (`FRONTDESK_LIGHTSPEED_BASE_URL`).
    pub base_url: String,
    /// Sent on every request; Lightspeed asks integrations to name themselves.
    pub user_agent: String,
    /// `page_size` on every list request.
    pub page_size: u32,
    /// Retries after the first attempt; 0 sends each request once.
    pub max_retries: u32,
    /// Wait before the first retry of a 5xx or network error.
    pub backoff_base: Duration,
    /// Limit for each request, connecting included.
    pub timeout: Duration,
    /// The longest `Retry-After` waited out inside a call.
    pub max_retry_after: Duration,
    /// The length of Lightspeed's rate-limit window, used to pace requests
    /// when `X-RateLimit-Remaining` runs low.
    pub rate_limit_window: Duration,
    /// Only stock and sales of this outlet (its id); `None` for all outlets.
    pub outlet_id: Option<String>,
}

impl LightspeedConfig {
    /// The production API of the store `domain_prefix` (the part before
    /// `.retail.lightspeed.app`), with the default knobs.
    pub fn for_domain_prefix(domain_prefix: &str) -> Result<LightspeedConfig, InvalidDomainPrefix> {
        Ok(LightspeedConfig::with_base_url(default_base_url(domain_prefix)?))
    }

    /// Any API root (a fake, a proxy, the legacy `vendhq.com` host), with the
    /// default knobs.
    pub fn with_base_url(base_url: impl Into<String>) -> LightspeedConfig {
        LightspeedConfig {
            base_url: base_url.into(),
            user_agent: concat!("frontdesk-lightspeed/", env!("CARGO_PKG_VERSION")).to_owned(),
            page_size: DEFAULT_PAGE_SIZE,
            max_retries: DEFAULT_MAX_RETRIES,
            backoff_base: DEFAULT_BACKOFF_BASE,
            timeout: DEFAULT_TIMEOUT,
            max_retry_after: DEFAULT_MAX_RETRY_AFTER,
            rate_limit_window: DEFAULT_RATE_LIMIT_WINDOW,
            outlet_id: None,
        }
    }
}

/// A domain prefix must be a DNS label: it becomes part of the host name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the Lightspeed domain prefix {0:?} is not valid: use the part before .retail.lightspeed.app (letters, digits and '-')"
)]
pub struct InvalidDomainPrefix(pub String);

/// `https://{domain_prefix}.retail.lightspeed.app/api/2.0`.
pub fn default_base_url(domain_prefix: &str) -> Result<String, InvalidDomainPrefix> {
    Ok(format!("https://{}.retail.lightspeed.app/api/2.0", checked_prefix(domain_prefix)?))
}

/// `https://{domain_prefix}.retail.lightspeed.app/api/1.0/token`, where
/// OAuth tokens are refreshed.
pub fn default_token_url(domain_prefix: &str) -> Result<String, InvalidDomainPrefix> {
    Ok(format!("https://{}.retail.lightspeed.app/api/1.0/token", checked_prefix(domain_prefix)?))
}

fn checked_prefix(domain_prefix: &str) -> Result<&str, InvalidDomainPrefix> {
    let is_label = !domain_prefix.is_empty()
        && domain_prefix.len() <= 63
        && domain_prefix.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
        && !domain_prefix.starts_with('-')
        && !domain_prefix.ends_with('-');
    if is_label { Ok(domain_prefix) } else { Err(InvalidDomainPrefix(domain_prefix.to_owned())) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_built_from_the_domain_prefix() {
        assert_eq!(default_base_url("sneakerden").as_deref(), Ok("https://sneakerden.retail.lightspeed.app/api/2.0"));
        assert_eq!(
            default_token_url("sneaker-den").as_deref(),
            Ok("https://sneaker-den.retail.lightspeed.app/api/1.0/token")
        );
        for bad in ["", "-x", "x-", "a.b", "a/b", "shop name", "évé"] {
            assert!(default_base_url(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn for_domain_prefix_keeps_the_default_knobs() {
        let config = LightspeedConfig::for_domain_prefix("sneakerden").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config.page_size, DEFAULT_PAGE_SIZE);
        assert_eq!(config.outlet_id, None);
        assert!(config.user_agent.starts_with("frontdesk-lightspeed/"));
    }
}
