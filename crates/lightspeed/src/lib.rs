//! Lightspeed Retail X-Series (formerly Vend) behind Frontdesk's
//! [`InventorySource`] port: outlets, products with their variants, stock per
//! outlet and sales, read from the 2.0 API as change feeds.
//!
//! This crate knows Lightspeed's JSON, its version-cursor pagination, its
//! rate limit and its OAuth refresh, and nothing else: not worksheets, stock
//! reconciliation or where cursors are kept (that is `frontdesk-inventory`
//! and the `inventory-sync` app), not how settings are loaded (the app builds
//! a [`LightspeedConfig`]). No Lightspeed type leaves it; callers see the
//! inventory domain's types and [`SourceError`].
//!
//! One [`LightspeedSource`] talks to one retailer, one request at a time:
//! Lightspeed's rate limit is per retailer, so parallel requests would only
//! spend the budget faster. Every list is read whole: each feed follows
//! every page and returns nothing if any page fails.

mod auth;
mod config;
mod http;
mod wire;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use frontdesk_core::Clock;
use frontdesk_inventory::{Changes, Cursor, InventorySource, Outlet, Product, Sale, SourceError, StockLevel};
use reqwest::{StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Mutex;
use tokio::time::Instant;

pub use auth::{
    AccessTokenProvider, AuthSetupError, OAuthConfig, OAuthTokens, PersonalToken, RefreshTokenStore,
    StoredRefreshToken, TokenStoreError, connect_url,
};
pub use config::{
    BASE_URL_ENV, DEFAULT_BACKOFF_BASE, DEFAULT_MAX_RETRIES, DEFAULT_MAX_RETRY_AFTER, DEFAULT_PAGE_SIZE,
    DEFAULT_RATE_LIMIT_WINDOW, DEFAULT_TIMEOUT, InvalidDomainPrefix, LightspeedConfig, TOKEN_ENV, default_base_url,
    default_token_url,
};

use http::{Attempt, RetryPolicy, budget_pause, classify, network_error, rate_budget, retry_after};
use wire::{Page, Versioned, WireInventory, WireOutlet, WireProduct, WireSale};

/// The largest `page_size` sent; Lightspeed's harvested spec allows up to 5000.
const MAX_PAGE_SIZE: u32 = 5000;

/// Why the adapter could not be built (a startup error).
#[derive(Debug, thiserror::Error)]
pub enum LightspeedSetupError {
    #[error("the Lightspeed base_url {0:?} is not an http(s) URL")]
    BaseUrl(String),
    #[error("the Lightspeed page_size {0} is out of range: use 1 to {MAX_PAGE_SIZE}")]
    PageSize(u32),
    #[error("the Lightspeed outlet filter is blank: leave it unset for all outlets")]
    OutletId,
    #[error("could not build the HTTP client for Lightspeed: {0}")]
    HttpClient(#[source] reqwest::Error),
}

/// One retailer's Lightspeed X-Series API. Cheap to share as
/// `Arc<dyn InventorySource>`.
///
/// Requests go out one at a time. After each answer the rate-limit headers
/// (`X-RateLimit-Limit`, `X-RateLimit-Remaining`) set the pause before the
/// next request: none while more than a tenth of the window's budget is
/// left, then the rest spread over the window (see [`LightspeedConfig::rate_limit_window`]).
/// A 429 parks every request of this retailer until its `Retry-After`.
pub struct LightspeedSource {
    http: reqwest::Client,
    base_url: String,
    page_size: String,
    outlet_id: Option<String>,
    retry: RetryPolicy,
    rate_limit_window: Duration,
    tokens: Arc<dyn AccessTokenProvider>,
    clock: Arc<dyn Clock>,
    gate: Mutex<Gate>,
    requests_sent: AtomicU64,
}

/// The one-request-at-a-time lock and what it knows about the budget.
#[derive(Debug, Default)]
struct Gate {
    /// When the last request was sent.
    last_sent: Option<Instant>,
    /// The pause to leave after `last_sent`, from the rate-limit headers.
    pause: Duration,
    /// Lightspeed's `Retry-After`: nothing is sent before then.
    parked_until: Option<Instant>,
}

impl LightspeedSource {
    /// `clock` is used for token expiry and to turn `Retry-After` dates into waits.
    pub fn new(
        config: LightspeedConfig,
        tokens: Arc<dyn AccessTokenProvider>,
        clock: Arc<dyn Clock>,
    ) -> Result<LightspeedSource, LightspeedSetupError> {
        let base_url = config.base_url.trim_end_matches('/');
        let base_url_is_http = Url::parse(base_url).is_ok_and(|url| matches!(url.scheme(), "http" | "https"));
        if !base_url_is_http {
            return Err(LightspeedSetupError::BaseUrl(config.base_url));
        }
        if config.page_size == 0 || config.page_size > MAX_PAGE_SIZE {
            return Err(LightspeedSetupError::PageSize(config.page_size));
        }
        let outlet_id = match config.outlet_id {
            Some(outlet_id) if outlet_id.trim().is_empty() => return Err(LightspeedSetupError::OutletId),
            Some(outlet_id) => Some(outlet_id.trim().to_owned()),
            None => None,
        };
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .user_agent(config.user_agent)
            .build()
            .map_err(LightspeedSetupError::HttpClient)?;
        Ok(LightspeedSource {
            http,
            base_url: base_url.to_owned(),
            page_size: config.page_size.to_string(),
            outlet_id,
            retry: RetryPolicy {
                max_retries: config.max_retries,
                backoff_base: config.backoff_base,
                max_retry_after: config.max_retry_after,
            },
            rate_limit_window: config.rate_limit_window,
            tokens,
            clock,
            gate: Mutex::new(Gate::default()),
            requests_sent: AtomicU64::new(0),
        })
    }

    /// API requests sent so far (every attempt, retries included; token
    /// requests not counted). For logs and benchmarks.
    pub fn requests_sent(&self) -> u64 {
        self.requests_sent.load(Ordering::Relaxed)
    }

    /// Every item of `path` with a version above `after`, page by page:
    /// `after` is the previous page's `version.max`, until a page is empty.
    /// `keep` converts an item, or drops it (`None`: another outlet).
    async fn changes<W: Versioned, T>(
        &self,
        path: &str,
        after: Cursor,
        include_deleted: bool,
        mut keep: impl FnMut(W) -> Result<Option<T>, SourceError>,
    ) -> Result<Changes<T>, SourceError> {
        let mut items = Vec::new();
        let mut cursor = after;
        let mut pages = 0_u32;
        loop {
            let what = format!("GET {path} after {}", cursor.0);
            let after_text = cursor.0.to_string();
            let mut query = vec![("after", after_text.as_str()), ("page_size", self.page_size.as_str())];
            if include_deleted {
                query.push(("deleted", "true"));
            }
            let body = self.get(path, &query, &what).await?;
            let page: Page<W> = serde_json::from_str(&body)
                .map_err(|error| SourceError::Invalid(format!("{what}: not a Lightspeed list page: {error}")))?;
            pages += 1;
            if page.data.is_empty() {
                break;
            }
            let items_max = page.data.iter().map(Versioned::version).max();
            let page_max = page.version.and_then(|version| version.max).or(items_max).unwrap_or(cursor.0);
            // A cursor that does not move would ask for the same page forever.
            if page_max <= cursor.0 {
                return Err(SourceError::Invalid(format!(
                    "{what}: the page's version.max {page_max} does not advance past {}",
                    cursor.0
                )));
            }
            tracing::debug!(path, after = cursor.0, items = page.data.len(), version_max = page_max, "page read");
            for wire in page.data {
                if let Some(item) = keep(wire)? {
                    items.push(item);
                }
            }
            cursor = Cursor(page_max);
        }
        tracing::debug!(path, pages, items = items.len(), cursor = cursor.0, "feed read");
        Ok(Changes { items, cursor })
    }

    /// One GET, retried as the policy allows; the body of the first success.
    ///
    /// A 401 drops the access token and tries once more with a fresh one
    /// (not counted as a retry); a second 401 is `Credentials`.
    async fn get(&self, path: &str, query: &[(&str, &str)], what: &str) -> Result<String, SourceError> {
        let url = format!("{}{path}", self.base_url);
        let mut retries_done = 0;
        let mut token_refreshed = false;
        loop {
            let attempt = match self.tokens.access_token().await {
                Err(error) => token_failure(error),
                Ok(access_token) => match self.get_once(&url, query, what, &access_token).await {
                    Ok(body) => return Ok(body),
                    Err(Attempt::Unauthorized(error)) if !token_refreshed => {
                        if self.tokens.token_rejected(&access_token).await {
                            tracing::debug!(
                                request = what,
                                "Lightspeed answered 401; retrying once with a fresh token"
                            );
                            token_refreshed = true;
                            continue;
                        }
                        Attempt::Unauthorized(error)
                    }
                    Err(attempt) => attempt,
                },
            };
            let wait = self.retry.wait_before_retry(attempt, retries_done, fastrand::f64())?;
            retries_done += 1;
            tracing::warn!(
                request = what,
                retry = retries_done,
                wait_ms = wait.as_millis(),
                "Lightspeed request failed; retrying"
            );
            tokio::time::sleep(wait).await;
        }
    }

    /// One attempt: a turn at the gate, the request, the whole body.
    async fn get_once(
        &self,
        url: &str,
        query: &[(&str, &str)],
        what: &str,
        access_token: &SecretString,
    ) -> Result<String, Attempt> {
        let mut gate = self.gate.lock().await;
        let now = Instant::now();
        let ready_at = [gate.parked_until, gate.last_sent.map(|sent| sent + gate.pause)]
            .into_iter()
            .flatten()
            .fold(now, Instant::max);
        if ready_at > now {
            tracing::debug!(wait_ms = (ready_at - now).as_millis(), "pacing Lightspeed requests");
            tokio::time::sleep_until(ready_at).await;
        }
        gate.last_sent = Some(Instant::now());
        self.requests_sent.fetch_add(1, Ordering::Relaxed);
        let sent = self
            .http
            .get(url)
            .query(query)
            .bearer_auth(access_token.expose_secret())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await;
        let response = sent.map_err(|error| Attempt::Unavailable(network_error(what, error)))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.text().await;
        gate.pause = match rate_budget(&headers) {
            Some((limit, remaining)) => budget_pause(limit, remaining, self.rate_limit_window),
            None => Duration::ZERO,
        };
        let wait = retry_after(&headers, self.clock.now());
        if status == StatusCode::TOO_MANY_REQUESTS
            && let Some(wait) = wait.filter(|wait| *wait <= self.retry.max_retry_after)
        {
            // Parks this retailer's other calls too, not only our retry. The
            // window is over at that moment, so no pacing on top of it.
            gate.parked_until = Some(Instant::now() + wait);
            gate.pause = Duration::ZERO;
        }
        drop(gate);
        let body = body.map_err(|error| Attempt::Unavailable(network_error(what, error)))?;
        if status.is_success() {
            return Ok(body);
        }
        Err(classify(what, status, wait, &body))
    }
}

/// A token that could not be had, as far as retrying is concerned.
fn token_failure(error: SourceError) -> Attempt {
    match error {
        SourceError::RateLimited { retry_after } => Attempt::RateLimited { retry_after },
        SourceError::Unavailable(_) => Attempt::Unavailable(error),
        SourceError::Credentials(_) | SourceError::Invalid(_) => Attempt::Fatal(error),
    }
}

impl fmt::Debug for LightspeedSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LightspeedSource")
            .field("base_url", &self.base_url)
            .field("page_size", &self.page_size)
            .field("outlet_id", &self.outlet_id)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl InventorySource for LightspeedSource {
    /// Every outlet that is not deleted (the outlet filter does not apply:
    /// the app uses this list to check the configured outlet exists).
    #[tracing::instrument(skip(self), fields(base_url = %self.base_url))]
    async fn outlets(&self) -> Result<Vec<Outlet>, SourceError> {
        let changes =
            self.changes("/outlets", Cursor::START, false, |outlet: WireOutlet| Ok(outlet.into_outlet())).await?;
        Ok(changes.items)
    }

    /// Products and variants changed after `after`, deleted ones included.
    #[tracing::instrument(skip(self, after), fields(base_url = %self.base_url, after = after.0))]
    async fn products(&self, after: Cursor) -> Result<Changes<Product>, SourceError> {
        self.changes("/products", after, true, |product: WireProduct| product.into_product().map(Some)).await
    }

    /// Stock records changed after `after`, of the configured outlet only
    /// when there is one.
    #[tracing::instrument(skip(self, after), fields(base_url = %self.base_url, after = after.0))]
    async fn inventory(&self, after: Cursor) -> Result<Changes<StockLevel>, SourceError> {
        self.changes("/inventory", after, true, |record: WireInventory| {
            if !self.wanted_outlet(record.outlet_id()) {
                return Ok(None);
            }
            record.into_stock_level().map(Some)
        })
        .await
    }

    /// Sales changed after `after` (a void or a completed layby bumps a
    /// sale's version, so it comes again), of the configured outlet only
    /// when there is one.
    #[tracing::instrument(skip(self, after), fields(base_url = %self.base_url, after = after.0))]
    async fn sales(&self, after: Cursor) -> Result<Changes<Sale>, SourceError> {
        self.changes("/sales", after, true, |sale: WireSale| {
            if !self.wanted_outlet(sale.outlet_id()) {
                return Ok(None);
            }
            sale.into_sale().map(Some)
        })
        .await
    }
}

impl LightspeedSource {
    fn wanted_outlet(&self, outlet_id: &str) -> bool {
        self.outlet_id.as_deref().is_none_or(|wanted| wanted == outlet_id)
    }
}
