//! The client for the three Stripe calls Frontdesk makes: create a
//! customer, subscribe it, report metered usage as Billing Meter events.
//!
//! Every call is a form POST with an `Idempotency-Key` the caller chooses,
//! sent unchanged on every retry, so a retry never creates a second
//! customer or subscription. Retries follow stripe-python: network errors,
//! 409 and 5xx (and 429) are retried with exponential backoff and jitter,
//! and `Stripe-Should-Retry` overrides the decision either way.

use std::fmt;
use std::time::Duration;

use frontdesk_core::{Plan, TenantId};
use reqwest::Url;
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use url::form_urlencoded;

use crate::catalog::StripeCatalog;
use crate::error::{ApiError, ReplyHeaders, StripeError};
use crate::objects::{Customer, MeterEventReceipt, NewMeterEvent, Subscription};

/// Stripe's production API.
pub const DEFAULT_BASE_URL: &str = "https://api.stripe.com";
/// The API version every request pins (`Stripe-Version`). From this version
/// on, metered prices must reference a Billing Meter.
pub const API_VERSION: &str = "2025-03-31.basil";
/// Limit for each attempt, connecting included. Stripe's SDKs wait up to
/// 80 s; our calls run in background jobs that retry later, so a shorter
/// wait frees the worker sooner.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Retries after the first attempt (stripe-python's `StripeClient` default).
pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// The first retry waits this long; each further one twice as long.
pub const DEFAULT_BACKOFF_BASE: Duration = Duration::from_millis(500);

/// No retry waits longer than this, jitter included.
const BACKOFF_CAP: Duration = Duration::from_secs(5);
/// A longer `Retry-After` is not waited out here: the error goes back to the
/// caller (a job), which can reschedule itself that far ahead.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;
const MAX_METER_IDENTIFIER_LEN: usize = 100;

const CUSTOMERS_PATH: &str = "/v1/customers";
const SUBSCRIPTIONS_PATH: &str = "/v1/subscriptions";
const METER_EVENTS_PATH: &str = "/v1/billing/meter_events";

/// Which account to act as, where Stripe is, and how patiently to retry.
#[derive(Debug, Clone)]
pub struct StripeConfig {
    /// Without a trailing slash; tests point it at a local fake.
    pub base_url: String,
    /// `sk_…` or a restricted `rk_…` key. Never printed.
    pub secret_key: SecretString,
    /// Sent as `Stripe-Version`; [`API_VERSION`] unless there is a reason.
    pub api_version: String,
    /// Limit for each attempt, connecting included.
    pub timeout: Duration,
    /// Retries after the first attempt; 0 sends each request once.
    pub max_retries: u32,
    /// The wait before the first retry; doubled for each further one, capped
    /// at 5 s, with jitter.
    pub backoff_base: Duration,
    pub catalog: StripeCatalog,
}

impl StripeConfig {
    /// Production base URL, [`API_VERSION`], [`DEFAULT_TIMEOUT`],
    /// [`DEFAULT_MAX_RETRIES`] and [`DEFAULT_BACKOFF_BASE`].
    pub fn new(secret_key: impl Into<SecretString>, catalog: StripeCatalog) -> StripeConfig {
        StripeConfig {
            base_url: DEFAULT_BASE_URL.to_owned(),
            secret_key: secret_key.into(),
            api_version: API_VERSION.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            max_retries: DEFAULT_MAX_RETRIES,
            backoff_base: DEFAULT_BACKOFF_BASE,
            catalog,
        }
    }
}

/// Why the client could not be built (a startup error). Never contains the
/// secret key.
#[derive(Debug, thiserror::Error)]
pub enum StripeSetupError {
    #[error("the Stripe base_url {0:?} is not an http(s) URL")]
    BaseUrl(String),
    #[error("the Stripe secret key is not usable: {0}")]
    SecretKey(&'static str),
    #[error("the Stripe api_version {0:?} is not a version like {API_VERSION}")]
    ApiVersion(String),
    #[error("the Stripe catalog is not usable: {}", .0.join("; "))]
    Catalog(Vec<String>),
    #[error("could not build the HTTP client for Stripe: {0}")]
    HttpClient(#[source] reqwest::Error),
}

/// Stripe's REST API for one account. Cheap to share as
/// `Arc<dyn PaymentProvider>`; `Debug` never shows the secret key.
///
/// The inherent methods return Stripe's objects; the
/// [`PaymentProvider`](frontdesk_billing::PaymentProvider) methods of the
/// same names return what the port promises.
pub struct StripeClient {
    http: reqwest::Client,
    base_url: String,
    secret_key: SecretString,
    api_version: HeaderValue,
    retry: RetryPolicy,
    catalog: StripeCatalog,
}

impl StripeClient {
    pub fn new(config: StripeConfig) -> Result<StripeClient, StripeSetupError> {
        let base_url = config.base_url.trim_end_matches('/');
        let base_url_is_http = Url::parse(base_url).is_ok_and(|url| matches!(url.scheme(), "http" | "https"));
        if !base_url_is_http {
            return Err(StripeSetupError::BaseUrl(config.base_url));
        }
        check_secret_key(config.secret_key.expose_secret())?;
        let api_version = HeaderValue::from_str(&config.api_version)
            .ok()
            .filter(|_| !config.api_version.trim().is_empty())
            .ok_or_else(|| StripeSetupError::ApiVersion(config.api_version.clone()))?;
        let problems = config.catalog.problems();
        if !problems.is_empty() {
            return Err(StripeSetupError::Catalog(problems));
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            // Stripe does not redirect API calls; following one would turn a POST into a GET.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("frontdesk-stripe/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(StripeSetupError::HttpClient)?;
        Ok(StripeClient {
            http,
            base_url: base_url.to_owned(),
            secret_key: config.secret_key,
            api_version,
            retry: RetryPolicy { max_retries: config.max_retries, backoff_base: config.backoff_base },
            catalog: config.catalog,
        })
    }

    pub fn catalog(&self) -> &StripeCatalog {
        &self.catalog
    }

    /// `POST /v1/customers` with `name` and `metadata[tenant_id]`.
    #[tracing::instrument(skip_all, fields(tenant_id = %tenant))]
    pub async fn create_customer(
        &self,
        tenant: &TenantId,
        name: &str,
        idempotency_key: &str,
    ) -> Result<Customer, StripeError> {
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("name", name)
            .append_pair("metadata[tenant_id]", tenant.as_str())
            .finish();
        let customer: Customer = self.post(CUSTOMERS_PATH, form, idempotency_key).await?.read()?;
        tracing::debug!(customer_id = %customer.id, "Stripe customer created");
        Ok(customer)
    }

    /// `POST /v1/subscriptions` with `customer`, the plan's flat price as
    /// `items[0][price]`, the catalog's metered prices as `items[1][price]`
    /// and on (no quantity: metered items have none), and
    /// `metadata[tenant_id]`.
    #[tracing::instrument(skip_all, fields(tenant_id = %tenant, customer_id = %customer_id, plan = %plan))]
    pub async fn create_subscription(
        &self,
        tenant: &TenantId,
        customer_id: &str,
        plan: Plan,
        idempotency_key: &str,
    ) -> Result<Subscription, StripeError> {
        let prices = self.catalog.subscription_prices(plan).ok_or_else(|| StripeError::NotSent {
            request: format!("POST {SUBSCRIPTIONS_PATH}"),
            reason: format!("the Stripe catalog has no price for plan {plan}"),
        })?;
        let form = subscription_form(tenant, customer_id, &prices);
        let subscription: Subscription = self.post(SUBSCRIPTIONS_PATH, form, idempotency_key).await?.read()?;
        tracing::debug!(subscription_id = %subscription.id, status = %subscription.status, "Stripe subscription created");
        Ok(subscription)
    }

    /// Moves `subscription_id` to `plan`'s flat price: `GET` the
    /// subscription, then `POST /v1/subscriptions/{id}` replacing the price
    /// of the item that carries one of the catalog's plan prices
    /// (`items[0][id]`, `items[0][price]`), prorated
    /// (`proration_behavior=create_prorations`). Metered items stay. A
    /// subscription already on the plan's price is returned without a
    /// change.
    #[tracing::instrument(skip_all, fields(subscription_id = %subscription_id, plan = %plan))]
    pub async fn change_plan(
        &self,
        subscription_id: &str,
        plan: Plan,
        idempotency_key: &str,
    ) -> Result<Subscription, StripeError> {
        let path = subscription_path(subscription_id)?;
        let price = self.catalog.plan_prices.get(&plan).ok_or_else(|| StripeError::NotSent {
            request: format!("POST {path}"),
            reason: format!("the Stripe catalog has no price for plan {plan}"),
        })?;
        let current: Subscription = self.get(&path).await?.read()?;
        let flat = current.items.iter().find(|item| self.catalog.plan_prices.values().any(|p| *p == item.price_id));
        if flat.is_some_and(|item| item.price_id == *price) {
            tracing::debug!("the Stripe subscription is already on the plan's price");
            return Ok(current);
        }
        let form = plan_change_form(flat.map(|item| item.id.as_str()), price);
        let subscription: Subscription = self.post(&path, form, idempotency_key).await?.read()?;
        tracing::info!(status = %subscription.status, "Stripe subscription moved to the plan's price");
        Ok(subscription)
    }

    /// `POST /v1/billing/meter_events` with `event_name`,
    /// `payload[stripe_customer_id]`, `payload[value]`, `identifier` and
    /// `timestamp`. An event refused because its identifier was already
    /// used is [`MeterEventReceipt::AlreadyRecorded`], not an error.
    #[tracing::instrument(skip_all, fields(customer_id = %event.customer_id, event_name = %event.event_name, identifier = %event.identifier))]
    pub async fn create_meter_event(
        &self,
        event: &NewMeterEvent<'_>,
        idempotency_key: &str,
    ) -> Result<MeterEventReceipt, StripeError> {
        let identifier_len = event.identifier.chars().count();
        if identifier_len == 0 || identifier_len > MAX_METER_IDENTIFIER_LEN {
            return Err(StripeError::NotSent {
                request: format!("POST {METER_EVENTS_PATH}"),
                reason: format!(
                    "a meter event identifier must be 1 to {MAX_METER_IDENTIFIER_LEN} characters, not {identifier_len}"
                ),
            });
        }
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("event_name", event.event_name)
            .append_pair("payload[stripe_customer_id]", event.customer_id)
            .append_pair("payload[value]", &event.value.to_string())
            .append_pair("identifier", event.identifier)
            .append_pair("timestamp", &event.timestamp.timestamp().to_string())
            .finish();
        match self.post(METER_EVENTS_PATH, form, idempotency_key).await {
            Ok(reply) => Ok(MeterEventReceipt::Recorded(reply.read()?)),
            Err(StripeError::Api(error)) if error.is_duplicate_meter_identifier() => {
                tracing::debug!(request_id = ?error.request_id, "meter event identifier already used; usage was reported before");
                Ok(MeterEventReceipt::AlreadyRecorded)
            }
            Err(error) => Err(error),
        }
    }

    /// Sends a form POST, retrying as the policy allows with the same
    /// idempotency key; returns the first success or the last error.
    async fn post(&self, path: &str, form: String, idempotency_key: &str) -> Result<Success, StripeError> {
        let request = format!("POST {path}");
        let idempotency_key = check_idempotency_key(&request, idempotency_key)?;
        let url = format!("{}{path}", self.base_url);
        self.with_retries(|| self.send_once(&request, self.http.post(&url), Some((&form, &idempotency_key)))).await
    }

    /// A GET, retried as the policy allows (reading is always safe to repeat).
    async fn get(&self, path: &str) -> Result<Success, StripeError> {
        let request = format!("GET {path}");
        let url = format!("{}{path}", self.base_url);
        self.with_retries(|| self.send_once(&request, self.http.get(&url), None)).await
    }

    async fn with_retries<F, Fut>(&self, mut attempt: F) -> Result<Success, StripeError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<Success, StripeError>>,
    {
        let mut retries_done = 0;
        loop {
            let error = match attempt().await {
                Ok(success) => return Ok(success),
                Err(error) => error,
            };
            let Some(wait) = self.retry.wait_before_retry(&error, retries_done, fastrand::f64()) else {
                return Err(error);
            };
            retries_done += 1;
            tracing::warn!(%error, retry = retries_done, wait_ms = wait.as_millis(), "Stripe request failed; retrying");
            tokio::time::sleep(wait).await;
        }
    }

    /// One request; a POST carries its form and idempotency key.
    async fn send_once(
        &self,
        request: &str,
        builder: reqwest::RequestBuilder,
        form: Option<(&str, &HeaderValue)>,
    ) -> Result<Success, StripeError> {
        let mut builder =
            builder.bearer_auth(self.secret_key.expose_secret()).header("Stripe-Version", self.api_version.clone());
        if let Some((form, idempotency_key)) = form {
            builder = builder
                .header("Idempotency-Key", idempotency_key.clone())
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(form.to_owned());
        }
        let response = builder.send().await.map_err(|error| network_error(request, error))?;
        let status = response.status();
        let headers = ReplyHeaders::read(response.headers());
        let body = response.text().await.map_err(|error| network_error(request, error))?;
        if status.is_success() {
            return Ok(Success { request: request.to_owned(), status: status.as_u16(), body });
        }
        Err(StripeError::Api(Box::new(ApiError::from_reply(request, status.as_u16(), headers, &body))))
    }
}

impl fmt::Debug for StripeClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StripeClient")
            .field("base_url", &self.base_url)
            .field("api_version", &self.api_version)
            .field("retry", &self.retry)
            .field("catalog", &self.catalog)
            .finish_non_exhaustive()
    }
}

/// A 2xx answer, read whole (Stripe's replies to these calls are small).
struct Success {
    request: String,
    status: u16,
    body: String,
}

impl Success {
    fn read<T: DeserializeOwned>(self) -> Result<T, StripeError> {
        serde_json::from_str(&self.body).map_err(|error| StripeError::Decode {
            request: self.request,
            status: self.status,
            message: error.to_string(),
        })
    }
}

fn plan_change_form(flat_item: Option<&str>, price: &str) -> String {
    let mut form = form_urlencoded::Serializer::new(String::new());
    if let Some(item) = flat_item {
        form.append_pair("items[0][id]", item);
    }
    form.append_pair("items[0][price]", price).append_pair("proration_behavior", "create_prorations");
    form.finish()
}

/// `/v1/subscriptions/{id}`, for ids that are plain Stripe ids.
fn subscription_path(subscription_id: &str) -> Result<String, StripeError> {
    let plain = !subscription_id.is_empty()
        && subscription_id.len() <= 255
        && subscription_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !plain {
        return Err(StripeError::NotSent {
            request: format!("POST {SUBSCRIPTIONS_PATH}/…"),
            reason: format!("{subscription_id:?} is not a Stripe subscription id"),
        });
    }
    Ok(format!("{SUBSCRIPTIONS_PATH}/{subscription_id}"))
}

/// The serializer is not `Send`, so it never lives across an `await`.
fn subscription_form(tenant: &TenantId, customer_id: &str, prices: &[&str]) -> String {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("customer", customer_id);
    for (index, price) in prices.iter().enumerate() {
        form.append_pair(&format!("items[{index}][price]"), price);
    }
    form.append_pair("metadata[tenant_id]", tenant.as_str());
    form.finish()
}

/// When to retry and how long to wait first.
#[derive(Debug, Clone, Copy)]
struct RetryPolicy {
    max_retries: u32,
    backoff_base: Duration,
}

impl RetryPolicy {
    /// The wait before retry number `retries_done + 1`, or `None` when the
    /// error is final, the retries are used up, or Stripe asks for a longer
    /// wait than is reasonable here. `jitter` is uniform in `[0, 1)`.
    ///
    /// As stripe-python: `base·2ⁿ` capped at 5 s, scaled into its upper
    /// half by the jitter, never less than `base`; and never less than a
    /// `Retry-After`.
    fn wait_before_retry(&self, error: &StripeError, retries_done: u32, jitter: f64) -> Option<Duration> {
        if retries_done >= self.max_retries || !error.is_retryable() {
            return None;
        }
        let retry_after = error.retry_after().unwrap_or(Duration::ZERO);
        if retry_after > MAX_RETRY_AFTER {
            return None;
        }
        let exponential = self.backoff_base.saturating_mul(2_u32.saturating_pow(retries_done)).min(BACKOFF_CAP);
        let jittered = exponential.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0));
        Some(jittered.max(self.backoff_base).max(retry_after))
    }
}

/// Keys beyond Stripe's limit or that cannot be sent as a header are the
/// caller's mistake; refuse them before sending anything.
fn check_idempotency_key(request: &str, key: &str) -> Result<HeaderValue, StripeError> {
    let not_sent = |reason: String| StripeError::NotSent { request: request.to_owned(), reason };
    if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY_LEN {
        return Err(not_sent(format!(
            "an idempotency key must be 1 to {MAX_IDEMPOTENCY_KEY_LEN} bytes, not {}",
            key.len()
        )));
    }
    if !key.bytes().all(|byte| byte.is_ascii_graphic()) {
        return Err(not_sent(format!("the idempotency key {key:?} must be printable ASCII without spaces")));
    }
    HeaderValue::from_str(key)
        .map_err(|error| not_sent(format!("the idempotency key {key:?} is not a header value: {error}")))
}

/// Catches the usual mistakes without ever echoing the key.
fn check_secret_key(key: &str) -> Result<(), StripeSetupError> {
    if key.is_empty() {
        return Err(StripeSetupError::SecretKey("it is empty"));
    }
    if key.starts_with("pk_") {
        return Err(StripeSetupError::SecretKey(
            "it is a publishable key (pk_…); the API needs a secret sk_… or restricted rk_… key",
        ));
    }
    if !(key.starts_with("sk_") || key.starts_with("rk_")) {
        return Err(StripeSetupError::SecretKey("it must start with sk_ (secret) or rk_ (restricted)"));
    }
    if !key.bytes().all(|byte| byte.is_ascii_graphic()) {
        return Err(StripeSetupError::SecretKey(
            "it contains spaces or other characters a key never has (a trailing newline?)",
        ));
    }
    Ok(())
}

fn network_error(request: &str, error: reqwest::Error) -> StripeError {
    let what = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    // reqwest's own message is generic; the cause (refused, reset, …) is in the source chain.
    let error = error.without_url();
    let mut message = format!("{what}: {error}");
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        message = format!("{message}: {cause}");
        source = cause.source();
    }
    StripeError::Network { request: request.to_owned(), message }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ReplyHeaders;

    const POLICY: RetryPolicy = RetryPolicy { max_retries: 5, backoff_base: Duration::from_millis(500) };

    fn server_error(retry_after: Option<u64>) -> StripeError {
        let headers = ReplyHeaders { retry_after: retry_after.map(Duration::from_secs), ..ReplyHeaders::default() };
        StripeError::Api(Box::new(ApiError::from_reply("POST /v1/customers", 500, headers, "{}")))
    }

    fn check(retries_done: u32, jitter: f64, retry_after: Option<u64>, expected: Option<Duration>) {
        let actual = POLICY.wait_before_retry(&server_error(retry_after), retries_done, jitter);
        assert_eq!(actual, expected, "retry {retries_done}, jitter {jitter}, Retry-After {retry_after:?}");
    }

    #[test]
    fn backs_off_exponentially_with_jitter_up_to_five_seconds() {
        let millis = |ms: u64| Some(Duration::from_millis(ms));
        check(0, 0.0, None, millis(500)); // 250 ms jittered, raised to the base
        check(0, 0.999, None, millis(500));
        check(1, 0.0, None, millis(500));
        check(1, 1.0, None, millis(1000));
        check(2, 0.5, None, millis(1500));
        check(3, 1.0, None, millis(4000));
        check(4, 1.0, None, millis(5000));
        check(4, 0.0, None, millis(2500));
        check(5, 0.5, None, None); // retries used up
    }

    #[test]
    fn waits_at_least_as_long_as_retry_after_within_reason() {
        check(0, 0.0, Some(3), Some(Duration::from_secs(3)));
        check(4, 1.0, Some(3), Some(Duration::from_secs(5)));
        check(0, 0.0, Some(60), Some(Duration::from_secs(60)));
        check(0, 0.0, Some(61), None);
    }

    #[test]
    fn final_errors_are_not_retried() {
        let not_sent = StripeError::NotSent { request: "POST /v1/customers".into(), reason: "no".into() };
        assert_eq!(POLICY.wait_before_retry(&not_sent, 0, 0.5), None);
        let no_retries = RetryPolicy { max_retries: 0, ..POLICY };
        assert_eq!(no_retries.wait_before_retry(&server_error(None), 0, 0.5), None);
    }

    #[test]
    fn refuses_unusable_idempotency_keys() {
        assert!(check_idempotency_key("POST /v1/customers", "customer:fresh-cuts:0190a3b2").is_ok());
        assert!(check_idempotency_key("POST /v1/customers", &"k".repeat(255)).is_ok());
        for bad in [String::new(), "k".repeat(256), "two words".into(), "tab\t".into(), "é".into()] {
            let error = check_idempotency_key("POST /v1/customers", &bad).expect_err("refused");
            assert!(matches!(error, StripeError::NotSent { .. }), "{bad:?}: {error:?}");
        }
    }

    #[test]
    fn refuses_unusable_secret_keys_without_echoing_them() {
        assert!(check_secret_key("sk_test_51Hx").is_ok());
        assert!(check_secret_key("rk_live_51Hx").is_ok());
        for bad in ["", "pk_test_51Hx", "whsec_51Hx", "sk_test_51Hx\n"] {
            let error = check_secret_key(bad).expect_err("refused");
            let text = error.to_string();
            assert!(bad.is_empty() || !text.contains(bad.trim()), "{text}");
        }
    }
}
