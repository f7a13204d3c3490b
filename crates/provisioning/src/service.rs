//! The use cases: getting a shop a number (bought, assigned, or ported in),
//! giving one back, and registering the shop to text.
//!
//! Buying is not idempotent at the provider, so the chosen number is written
//! down (a [`NumberOrder`] in state `Chosen`) before the purchase request,
//! and every attempt, the first included, asks the provider whether the
//! account already holds it: a purchase retried after a timeout buys once.
//! Attaching the number to the shop's profile is a separate step, repeated
//! safely.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use frontdesk_core::{Clock, E164, StoreError, TenantId};
use frontdesk_jobs::{JobAdmin, JobState};
use frontdesk_messaging::MessageRecord;
use frontdesk_tenant::{PutTenantError, TenantKind, TenantProfile, TenantRecord, TenantStore};

use crate::ids::BundleSid;
use crate::numbers::{NumberProvider, NumberSearch, NumberSetup, OwnedNumber, ProviderError, number_label};
use crate::porting::{PortIn, PortInApplication, PortInStatus, PortedNumberStatus, PortingEvent, PortingProvider};
use crate::registration::{
    BUNDLE_APPROVED, BrandApplication, BrandStatus, BundleKind, CampaignApplication, Clearance, RegistrationProvider,
    TextingRegistration,
};
use crate::store::{NumberOrder, NumberState, ProvisioningStore};

/// The reason every waiting text carries begins with this.
pub const WAITING_FOR_REGISTRATION: &str = "waiting for texting registration";

/// Why a provisioning step did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ProvisioningError {
    /// No provider (or no fallback URL) is configured for this.
    #[error("{0}")]
    NotConfigured(String),
    #[error("tenant {0} does not exist")]
    UnknownTenant(TenantId),
    #[error("{0} is a sandbox: it takes test traffic on a fictional number and gets no real one")]
    Sandbox(TenantId),
    /// Another tenant has the number (in its profile, or labelled at the provider).
    #[error("{0} belongs to another tenant")]
    NumberTaken(E164),
    /// The account does not hold the number.
    #[error("the provider account does not hold {0}")]
    NotOwned(E164),
    #[error("{number} cannot be ported: {reason}")]
    NotPortable { number: E164, reason: String },
    /// The request itself is wrong (a missing field, a confirmation that
    /// does not match); nothing changed.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ProvisioningError {
    /// Trying the same again later may succeed (and is safe).
    pub fn is_retryable(&self) -> bool {
        match self {
            ProvisioningError::Provider(error) => error.is_retryable(),
            ProvisioningError::Store(StoreError::Unexpected(_)) => true,
            _ => false,
        }
    }
}

/// Where numbers send calls, texts and reports: the gateway, and a
/// fallback off the gateway's host for when it does not answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberWebhooks {
    public_base_url: String,
    fallback_template: Option<String>,
}

/// A gateway on `http://localhost` with no fallback (numbers are not bought).
impl Default for NumberWebhooks {
    fn default() -> NumberWebhooks {
        NumberWebhooks { public_base_url: "http://localhost".to_owned(), fallback_template: None }
    }
}

impl NumberWebhooks {
    /// `public_base_url` is the gateway's (`https://frontdesk.example.com`);
    /// `fallback_template` a URL on another host, where `{owner}` becomes
    /// the owner's phone (URL-encoded) and `{slug}` the tenant (e.g. a
    /// TwiML Bin that dials the owner: `https://handler.twilio.com/twiml/EH…?Owner={owner}`).
    /// Refused when the fallback is on the gateway's host, since it is
    /// requested exactly when the gateway fails.
    pub fn new(public_base_url: &str, fallback_template: Option<&str>) -> Result<NumberWebhooks, String> {
        let public_base_url = public_base_url.trim().trim_end_matches('/').to_owned();
        let gateway_host = host_of(&public_base_url).ok_or_else(|| format!("{public_base_url:?} has no host"))?;
        let fallback_template = fallback_template.map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned);
        if let Some(template) = &fallback_template {
            if !(template.starts_with("https://") || template.starts_with("http://")) {
                return Err(format!("the voice fallback URL {template:?} must be an http(s) URL"));
            }
            let fallback_host = host_of(template).ok_or_else(|| format!("{template:?} has no host"))?;
            if fallback_host == gateway_host {
                return Err(format!(
                    "the voice fallback URL {template:?} is on the gateway's own host ({gateway_host}); it is requested \
                     exactly when the gateway fails, so it must live elsewhere (e.g. a TwiML Bin that dials the owner)"
                ));
            }
        }
        Ok(NumberWebhooks { public_base_url, fallback_template })
    }

    pub fn public_base_url(&self) -> &str {
        &self.public_base_url
    }

    /// The gateway URL of a path (`/twilio/sms`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.public_base_url)
    }

    /// How a number of this shop is set up.
    pub fn setup_for(&self, profile: &TenantProfile) -> Result<NumberSetup, ProvisioningError> {
        let template = self.fallback_template.as_deref().ok_or_else(|| {
            ProvisioningError::NotConfigured(
                "no voice fallback URL is configured (FRONTDESK_VOICE_FALLBACK_URL): a number's fallback must live off \
                 the gateway's host, e.g. a TwiML Bin that dials the owner"
                    .to_owned(),
            )
        })?;
        let fallback = template
            .replace("{owner}", &query_encode(profile.owner_phone().as_str()))
            .replace("{slug}", profile.slug().as_str());
        Ok(NumberSetup {
            label: number_label(profile.slug()),
            voice_url: self.url("/twilio/voice"),
            sms_url: self.url("/twilio/sms"),
            status_callback: self.url("/twilio/status"),
            voice_fallback_url: fallback,
        })
    }
}

/// The host of an absolute URL, lower case, without user info or port.
fn host_of(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?,
        None => host_port.split(':').next()?,
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

fn query_encode(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The provider's APIs, each optional (no account configured: the use case
/// says so).
#[derive(Clone, Default)]
pub struct Providers {
    pub numbers: Option<Arc<dyn NumberProvider>>,
    pub porting: Option<Arc<dyn PortingProvider>>,
    pub registration: Option<Arc<dyn RegistrationProvider>>,
}

/// The provisioning use cases.
pub struct Provisioning {
    store: Arc<dyn ProvisioningStore>,
    tenants: Arc<dyn TenantStore>,
    providers: Providers,
    webhooks: NumberWebhooks,
    clock: Arc<dyn Clock>,
    /// To put texts back in the queue that gave up waiting for registration.
    jobs: Option<Arc<dyn JobAdmin>>,
    /// Purchase attempts in one call (each asks the provider first).
    purchase_attempts: u32,
    /// Between two attempts.
    retry_pause: Duration,
}

/// What a buy, an assignment or a release did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberOutcome {
    pub order: NumberOrder,
    /// The provider's description of the number (`None` after a release).
    pub owned: Option<OwnedNumber>,
    /// Purchase requests this call sent (0: the account held it already).
    pub purchases_sent: u32,
}

/// What a porting event did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortEventOutcome {
    /// No port-in of ours has this id (another system's, or deleted).
    Unknown,
    /// Applied; the record as it now stands.
    Applied(PortIn),
    /// Older news than the record has (a final status stays): nothing changed.
    Stale(PortIn),
}

/// Everything a tenant's provisioning stands at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisioningStatus {
    pub numbers: Vec<NumberOrder>,
    pub port_ins: Vec<PortIn>,
    pub registration: Option<TextingRegistration>,
    /// Whether the shop's texts go out now, and if not why.
    pub texting: Clearance,
}

/// What the operator gives to register a brand (the trust bundles are made
/// in the provider's console or API first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrandDetails {
    pub customer_profile: BundleSid,
    pub a2p_profile: BundleSid,
    /// `STANDARD` (default) or `SOLE_PROPRIETOR`.
    pub brand_type: Option<String>,
    pub mock: bool,
}

impl Provisioning {
    pub fn new(
        store: Arc<dyn ProvisioningStore>,
        tenants: Arc<dyn TenantStore>,
        providers: Providers,
        webhooks: NumberWebhooks,
        clock: Arc<dyn Clock>,
    ) -> Provisioning {
        Provisioning {
            store,
            tenants,
            providers,
            webhooks,
            clock,
            jobs: None,
            purchase_attempts: 3,
            retry_pause: Duration::from_millis(500),
        }
    }

    /// Texts that gave up waiting for registration are put back in the
    /// queue when the campaign is verified.
    pub fn with_jobs(mut self, jobs: Arc<dyn JobAdmin>) -> Provisioning {
        self.jobs = Some(jobs);
        self
    }

    /// `attempts` purchase attempts per call (at least 1), `pause` apart.
    pub fn with_retries(mut self, attempts: u32, pause: Duration) -> Provisioning {
        self.purchase_attempts = attempts.max(1);
        self.retry_pause = pause;
        self
    }

    pub fn webhooks(&self) -> &NumberWebhooks {
        &self.webhooks
    }

    /// Whether a number provider is configured.
    pub fn sells_numbers(&self) -> bool {
        self.providers.numbers.is_some()
    }

    fn numbers(&self) -> Result<&Arc<dyn NumberProvider>, ProvisioningError> {
        self.providers.numbers.as_ref().ok_or_else(|| {
            ProvisioningError::NotConfigured(
                "no phone number provider is configured (set FRONTDESK_TWILIO_ACCOUNT_SID)".to_owned(),
            )
        })
    }

    fn porting(&self) -> Result<&Arc<dyn PortingProvider>, ProvisioningError> {
        self.providers.porting.as_ref().ok_or_else(|| {
            ProvisioningError::NotConfigured(
                "no porting provider is configured (set FRONTDESK_TWILIO_ACCOUNT_SID)".to_owned(),
            )
        })
    }

    fn registrar(&self) -> Result<&Arc<dyn RegistrationProvider>, ProvisioningError> {
        self.providers.registration.as_ref().ok_or_else(|| {
            ProvisioningError::NotConfigured(
                "no texting registration provider is configured (set FRONTDESK_TWILIO_ACCOUNT_SID)".to_owned(),
            )
        })
    }

    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The tenant, if it exists and may have real numbers.
    async fn live_tenant(&self, tenant: &TenantId) -> Result<TenantRecord, ProvisioningError> {
        let record =
            self.tenants.get_tenant(tenant).await?.ok_or_else(|| ProvisioningError::UnknownTenant(tenant.clone()))?;
        if record.kind == TenantKind::Sandbox {
            return Err(ProvisioningError::Sandbox(tenant.clone()));
        }
        Ok(record)
    }

    /// Refuses a number another tenant's profile holds.
    async fn free_for(&self, tenant: &TenantId, number: &E164) -> Result<(), ProvisioningError> {
        let taken = self.tenants.numbers_owned_elsewhere(tenant, std::slice::from_ref(number)).await?;
        if taken.is_empty() { Ok(()) } else { Err(ProvisioningError::NumberTaken(number.clone())) }
    }

    /// Local numbers for sale.
    #[tracing::instrument(skip_all)]
    pub async fn search(
        &self,
        search: &NumberSearch,
    ) -> Result<Vec<crate::numbers::AvailableNumber>, ProvisioningError> {
        Ok(self.numbers()?.search(search).await?)
    }

    /// Buys `number` for `tenant` and attaches it to its profile. Safe to
    /// call again after any failure: it never buys a number twice, and
    /// finishes whatever step was left (a number the account already
    /// holds, unlabelled or labelled for this tenant, is set up and
    /// attached without a purchase).
    #[tracing::instrument(skip_all, fields(tenant_id = %tenant, number = %number))]
    pub async fn buy(&self, tenant: &TenantId, number: &E164) -> Result<NumberOutcome, ProvisioningError> {
        let numbers = self.numbers()?;
        let record = self.live_tenant(tenant).await?;
        self.free_for(tenant, number).await?;
        let setup = self.webhooks.setup_for(&record.profile)?;
        let now = self.now();
        let mut order = match self.store.number_order(tenant, number).await? {
            Some(order) if matches!(order.state, NumberState::Bought | NumberState::Attached) => {
                let owned = numbers.find_owned(number).await?;
                let order = self.attach(order).await?;
                return Ok(NumberOutcome { order, owned, purchases_sent: 0 });
            }
            Some(order) => order,
            None => NumberOrder {
                tenant: tenant.clone(),
                number: number.clone(),
                state: NumberState::Chosen,
                sid: None,
                attempts: 0,
                last_error: None,
                created_at: now,
                updated_at: now,
            },
        };
        // Written before the purchase request: a crash or a timeout after
        // it leaves the choice on record, and the retry asks first.
        order.state = NumberState::Chosen;
        order.updated_at = now;
        self.store.put_number_order(&order).await?;
        let attempts_before = order.attempts;
        let owned = self.purchase(numbers.as_ref(), &mut order, &setup).await?;
        order.state = NumberState::Bought;
        order.sid = Some(owned.sid.clone());
        order.last_error = None;
        order.updated_at = self.now();
        self.store.put_number_order(&order).await?;
        tracing::info!(sid = %owned.sid, "number held for the tenant");
        let purchases_sent = order.attempts - attempts_before;
        let order = self.attach(order).await?;
        Ok(NumberOutcome { order, owned: Some(owned), purchases_sent })
    }

    /// The purchase, attempt by attempt; each attempt first asks whether
    /// the account holds the number already.
    async fn purchase(
        &self,
        numbers: &dyn NumberProvider,
        order: &mut NumberOrder,
        setup: &NumberSetup,
    ) -> Result<OwnedNumber, ProvisioningError> {
        let mut last_error: Option<ProviderError> = None;
        for attempt in 0..self.purchase_attempts {
            if attempt > 0 && !self.retry_pause.is_zero() {
                tokio::time::sleep(self.retry_pause).await;
            }
            match numbers.find_owned(&order.number).await {
                Ok(Some(owned)) => return self.adopt(numbers, order, owned, setup).await,
                Ok(None) => {}
                Err(error) if error.is_retryable() => {
                    self.note_error(order, &error).await?;
                    last_error = Some(error);
                    continue;
                }
                Err(error) => {
                    self.note_error(order, &error).await?;
                    return Err(error.into());
                }
            }
            order.attempts += 1;
            order.updated_at = self.now();
            self.store.put_number_order(order).await?;
            match numbers.buy(&order.number, setup).await {
                Ok(owned) => return Ok(owned),
                Err(error) if error.is_retryable() => {
                    tracing::warn!(%error, attempt = order.attempts, "purchase failed; the next attempt checks first");
                    self.note_error(order, &error).await?;
                    last_error = Some(error);
                }
                Err(error) => {
                    self.note_error(order, &error).await?;
                    return Err(error.into());
                }
            }
        }
        Err(last_error
            .map(ProvisioningError::from)
            .unwrap_or_else(|| ProvisioningError::Invalid("no purchase attempt was made".to_owned())))
    }

    /// A number the account already holds becomes this tenant's: refused
    /// when labelled for another tenant, set up (label and URLs) unless it
    /// already is.
    async fn adopt(
        &self,
        numbers: &dyn NumberProvider,
        order: &NumberOrder,
        owned: OwnedNumber,
        setup: &NumberSetup,
    ) -> Result<OwnedNumber, ProvisioningError> {
        if owned.labelled_for_anyone() && !owned.labelled_for(&order.tenant) {
            return Err(ProvisioningError::NumberTaken(order.number.clone()));
        }
        if is_set_up(&owned, setup) {
            return Ok(owned);
        }
        Ok(numbers.configure(&owned.sid, setup).await?)
    }

    async fn note_error(&self, order: &mut NumberOrder, error: &ProviderError) -> Result<(), ProvisioningError> {
        order.last_error = Some(error.to_string());
        order.updated_at = self.now();
        self.store.put_number_order(order).await?;
        Ok(())
    }

    /// Puts the number in the tenant's profile (if it is not there) and
    /// marks the order attached; adds it to the tenant's sender pool once
    /// its texting registration has one.
    async fn attach(&self, mut order: NumberOrder) -> Result<NumberOrder, ProvisioningError> {
        let record = self
            .tenants
            .get_tenant(&order.tenant)
            .await?
            .ok_or_else(|| ProvisioningError::UnknownTenant(order.tenant.clone()))?;
        if !record.profile.phone_numbers().contains(&order.number) {
            let mut document = record.profile.to_document();
            document.phone_numbers.push(order.number.to_string());
            let profile = TenantProfile::parse(&document)
                .map_err(|errors| ProvisioningError::Invalid(format!("the profile with the new number: {errors}")))?;
            match self.tenants.put_tenant(&profile).await {
                Ok(_) => {}
                Err(PutTenantError::PhoneNumbersTaken(_)) => {
                    return Err(ProvisioningError::NumberTaken(order.number.clone()));
                }
                Err(PutTenantError::Exists(tenant)) => return Err(ProvisioningError::UnknownTenant(tenant)),
                Err(PutTenantError::Store(error)) => return Err(error.into()),
            }
        }
        if order.state != NumberState::Attached {
            order.state = NumberState::Attached;
            order.updated_at = self.now();
            self.store.put_number_order(&order).await?;
        }
        if let (Some(sid), Some(registrar), Some(registration)) =
            (&order.sid, &self.providers.registration, self.store.registration(&order.tenant).await?)
            && let Some(service) = &registration.messaging_service
            && let Err(error) = registrar.add_sender(service, sid).await
        {
            tracing::warn!(%error, tenant_id = %order.tenant, "could not add the number to the sender pool; refresh the registration");
        }
        Ok(order)
    }

    /// Gives `tenant` a number the account already holds (bought in the
    /// provider's console, say): set up and attached, never bought.
    #[tracing::instrument(skip_all, fields(tenant_id = %tenant, number = %number))]
    pub async fn assign(&self, tenant: &TenantId, number: &E164) -> Result<NumberOutcome, ProvisioningError> {
        let numbers = self.numbers()?;
        let record = self.live_tenant(tenant).await?;
        self.free_for(tenant, number).await?;
        let setup = self.webhooks.setup_for(&record.profile)?;
        let owned = numbers.find_owned(number).await?.ok_or_else(|| ProvisioningError::NotOwned(number.clone()))?;
        let now = self.now();
        let mut order = self.store.number_order(tenant, number).await?.unwrap_or(NumberOrder {
            tenant: tenant.clone(),
            number: number.clone(),
            state: NumberState::Chosen,
            sid: None,
            attempts: 0,
            last_error: None,
            created_at: now,
            updated_at: now,
        });
        let owned = self.adopt(numbers.as_ref(), &order, owned, &setup).await?;
        if order.state != NumberState::Attached {
            order.state = NumberState::Bought;
        }
        order.sid = Some(owned.sid.clone());
        order.last_error = None;
        order.updated_at = now;
        self.store.put_number_order(&order).await?;
        let order = self.attach(order).await?;
        Ok(NumberOutcome { order, owned: Some(owned), purchases_sent: 0 })
    }

    /// A number for `tenant` matching `search`: a number chosen earlier
    /// whose purchase did not finish is finished first, then a number the
    /// account holds labelled for the tenant (an orphan) is adopted, and
    /// only then a new one is bought (the next result when one was sold
    /// meanwhile).
    #[tracing::instrument(skip_all, fields(tenant_id = %tenant))]
    pub async fn buy_matching(
        &self,
        tenant: &TenantId,
        search: &NumberSearch,
    ) -> Result<NumberOutcome, ProvisioningError> {
        let numbers = self.numbers()?;
        self.live_tenant(tenant).await?;
        let orders = self.store.number_orders(tenant).await?;
        if let Some(unfinished) = orders.iter().find(|o| matches!(o.state, NumberState::Chosen | NumberState::Bought)) {
            tracing::info!(number = %unfinished.number, "finishing the purchase chosen earlier");
            return self.buy(tenant, &unfinished.number).await;
        }
        let settled: Vec<&E164> = orders
            .iter()
            .filter(|o| matches!(o.state, NumberState::Attached | NumberState::Released))
            .map(|o| &o.number)
            .collect();
        if let Some(orphan) = numbers.owned_for(tenant).await?.into_iter().find(|n| !settled.contains(&&n.number)) {
            tracing::warn!(number = %orphan.number, "adopting a number labelled for this tenant with no record");
            return self.assign(tenant, &orphan.number).await;
        }
        let found = numbers.search(search).await?;
        let candidates: Vec<_> = found.iter().filter(|n| n.capabilities.voice && n.capabilities.sms).take(3).collect();
        if candidates.is_empty() {
            return Err(ProvisioningError::Invalid(format!(
                "no local numbers with voice and SMS for sale{}{}",
                search.area_code.as_deref().map(|a| format!(" in area code {a}")).unwrap_or_default(),
                search.contains.as_deref().map(|c| format!(" containing {c}")).unwrap_or_default(),
            )));
        }
        let mut last = None;
        for candidate in candidates {
            match self.buy(tenant, &candidate.number).await {
                Err(ProvisioningError::Provider(ProviderError::NumberUnavailable(why))) => {
                    tracing::info!(number = %candidate.number, %why, "sold meanwhile; trying the next");
                    self.forget_unbought(tenant, &candidate.number).await?;
                    last = Some(ProvisioningError::Provider(ProviderError::NumberUnavailable(why)));
                }
                outcome => return outcome,
            }
        }
        Err(last.unwrap_or_else(|| ProvisioningError::Invalid("no number could be bought".to_owned())))
    }

    /// A chosen number that was sold to someone else is not ours to finish.
    async fn forget_unbought(&self, tenant: &TenantId, number: &E164) -> Result<(), ProvisioningError> {
        if let Some(mut order) = self.store.number_order(tenant, number).await?
            && order.state == NumberState::Chosen
        {
            order.state = NumberState::Released;
            order.updated_at = self.now();
            self.store.put_number_order(&order).await?;
        }
        Ok(())
    }

    /// Gives `number` back: out of the tenant's profile first (calls stop
    /// reaching the shop through it), out of its sender pool, then released
    /// at the provider. `confirmation` must be the number again, typed.
    #[tracing::instrument(skip_all, fields(tenant_id = %tenant, number = %number))]
    pub async fn release(
        &self,
        tenant: &TenantId,
        number: &E164,
        confirmation: &str,
    ) -> Result<NumberOutcome, ProvisioningError> {
        if E164::parse(confirmation).ok().as_ref() != Some(number) {
            return Err(ProvisioningError::Invalid(format!(
                "releasing a number cannot be undone: confirm by typing the number ({number})"
            )));
        }
        let numbers = self.numbers()?;
        let record = self.live_tenant(tenant).await?;
        let order = self.store.number_order(tenant, number).await?;
        let owned = numbers.find_owned(number).await?;
        if let Some(owned) = &owned
            && owned.labelled_for_anyone()
            && !owned.labelled_for(tenant)
        {
            return Err(ProvisioningError::NumberTaken(number.clone()));
        }
        let in_profile = record.profile.phone_numbers().contains(number);
        if order.is_none() && owned.is_none() && !in_profile {
            return Err(ProvisioningError::NotOwned(number.clone()));
        }
        if in_profile {
            let mut document = record.profile.to_document();
            document.phone_numbers.retain(|n| E164::parse(n).ok().as_ref() != Some(number));
            let profile = TenantProfile::parse(&document)
                .map_err(|errors| ProvisioningError::Invalid(format!("the profile without the number: {errors}")))?;
            self.tenants.put_tenant(&profile).await.map_err(|error| match error {
                PutTenantError::Store(error) => ProvisioningError::Store(error),
                other => ProvisioningError::Invalid(other.to_string()),
            })?;
        }
        if let Some(owned) = &owned {
            if let (Some(registrar), Some(registration)) =
                (&self.providers.registration, self.store.registration(tenant).await?)
                && let Some(service) = &registration.messaging_service
            {
                registrar.remove_sender(service, &owned.sid).await?;
            }
            numbers.release(&owned.sid).await?;
        }
        let now = self.now();
        let order = NumberOrder {
            state: NumberState::Released,
            sid: owned.as_ref().map(|o| o.sid.clone()).or_else(|| order.as_ref().and_then(|o| o.sid.clone())),
            last_error: None,
            updated_at: now,
            ..order.unwrap_or(NumberOrder {
                tenant: tenant.clone(),
                number: number.clone(),
                state: NumberState::Released,
                sid: None,
                attempts: 0,
                last_error: None,
                created_at: now,
                updated_at: now,
            })
        };
        self.store.put_number_order(&order).await?;
        tracing::info!("number released");
        Ok(NumberOutcome { order, owned: None, purchases_sent: 0 })
    }

    /// Files the port-in of the shop's existing number. `forwarding_to` is
    /// the bought number the shop forwards its line to meanwhile.
    #[tracing::instrument(skip_all, fields(tenant_id = %tenant, number = %application.number))]
    pub async fn start_port_in(
        &self,
        tenant: &TenantId,
        application: &PortInApplication,
        forwarding_to: Option<E164>,
    ) -> Result<PortIn, ProvisioningError> {
        let porting = self.porting()?;
        self.live_tenant(tenant).await?;
        let number = &application.number;
        self.free_for(tenant, number).await?;
        let problems = application.problems();
        if !problems.is_empty() {
            return Err(ProvisioningError::Invalid(problems.join("; ")));
        }
        if let Some(open) =
            self.store.port_ins(tenant).await?.into_iter().find(|p| &p.number == number && !p.status.is_final())
        {
            return Ok(open);
        }
        let portability = porting.portability(number).await?;
        if !portability.portable {
            return Err(ProvisioningError::NotPortable {
                number: number.clone(),
                reason: portability.not_portable_reason.unwrap_or_else(|| "the provider gives no reason".to_owned()),
            });
        }
        if portability.pin_and_account_number_required
            && (application.account_number.is_none() || application.pin.is_none())
        {
            return Err(ProvisioningError::Invalid(format!(
                "the carrier of {number} wants the account number and PIN: add account_number and pin"
            )));
        }
        let mut detail = None;
        if let Err(error) = porting.subscribe_port_events(&self.webhooks.url(PORT_EVENTS_PATH)).await {
            tracing::warn!(%error, "could not subscribe to porting events; statuses update only on request");
            detail = Some(format!("porting events are not subscribed: {error}"));
        }
        let started = porting.start_port_in(application).await?;
        let now = self.now();
        let record = PortIn {
            tenant: tenant.clone(),
            sid: started.sid,
            number: number.clone(),
            status: started.status,
            number_status: None,
            signature_url: started.signature_url,
            detail,
            forwarding_to,
            created_at: now,
            updated_at: now,
        };
        self.store.put_port_in(&record).await?;
        tracing::info!(port_in = %record.sid, status = record.status.as_str(), "port-in filed");
        Ok(record)
    }

    /// Applies one porting event to the port-in it names. A completed port
    /// sets the number up and attaches it to the shop (if that fails, the
    /// record says so and the event can be replayed).
    #[tracing::instrument(skip_all, fields(port_in = %event.request, status = %event.status))]
    pub async fn apply_port_event(&self, event: &PortingEvent) -> Result<PortEventOutcome, ProvisioningError> {
        let Some(mut record) = self.store.port_in_by_sid(&event.request).await? else {
            tracing::info!("porting event for a request we do not know");
            return Ok(PortEventOutcome::Unknown);
        };
        match &event.number {
            None => {
                let status = PortInStatus::parse(&event.status)
                    .ok_or_else(|| ProvisioningError::Invalid(format!("unknown port-in status {:?}", event.status)))?;
                if record.status.is_final() && status != record.status {
                    return Ok(PortEventOutcome::Stale(record));
                }
                record.status = status;
            }
            Some(number) if *number != record.number => return Ok(PortEventOutcome::Stale(record)),
            Some(_) => {
                let status = PortedNumberStatus::parse(&event.status)
                    .ok_or_else(|| ProvisioningError::Invalid(format!("unknown number status {:?}", event.status)))?;
                if record.status.is_final() && status != PortedNumberStatus::Completed {
                    return Ok(PortEventOutcome::Stale(record));
                }
                record.number_status = Some(status);
                // One number per request: the number's end is the request's.
                match status {
                    PortedNumberStatus::Completed => record.status = PortInStatus::Completed,
                    PortedNumberStatus::Canceled => record.status = PortInStatus::Canceled,
                    PortedNumberStatus::Rejected => record.status = PortInStatus::ActionRequired,
                    _ => {}
                }
            }
        }
        if let Some(reason) = event.reason.as_ref().filter(|r| !r.trim().is_empty()) {
            record.detail = Some(reason.clone());
        }
        record.updated_at = self.now();
        self.store.put_port_in(&record).await?;
        if record.status == PortInStatus::Completed {
            self.finish_port(&mut record).await?;
        }
        Ok(PortEventOutcome::Applied(record))
    }

    /// Asks the provider where the tenant's open port-ins stand (or every
    /// tenant's, with `None`) and applies what it says as events: the
    /// same path as the porting webhook, for when an event was lost or
    /// refused. One request's failure is logged and the rest go on; the
    /// records as they now stand are returned.
    #[tracing::instrument(skip_all)]
    pub async fn refresh_port_ins(&self, tenant: Option<&TenantId>) -> Result<Vec<PortIn>, ProvisioningError> {
        let porting = self.porting()?;
        let open = match tenant {
            Some(tenant) => self.store.port_ins(tenant).await?.into_iter().filter(|p| !p.status.is_final()).collect(),
            None => self.store.open_port_ins().await?,
        };
        let mut refreshed = Vec::with_capacity(open.len());
        for port_in in open {
            match porting.port_in_events(&port_in.sid).await {
                Ok(events) => {
                    for event in events.iter().filter(|e| e.request == port_in.sid) {
                        if let Err(error) = self.apply_port_event(event).await {
                            tracing::warn!(%error, port_in = %port_in.sid, "a port-in's state could not be applied");
                        }
                    }
                }
                Err(error) => tracing::warn!(%error, port_in = %port_in.sid, "could not ask about a port-in"),
            }
            if let Some(record) = self.store.port_in_by_sid(&port_in.sid).await? {
                refreshed.push(record);
            }
        }
        Ok(refreshed)
    }

    /// The ported number is the account's now: set it up and attach it.
    async fn finish_port(&self, record: &mut PortIn) -> Result<(), ProvisioningError> {
        let detail = match self.assign(&record.tenant, &record.number).await {
            Ok(_) => format!("ported: {} now reaches the shop", record.number),
            Err(ProvisioningError::NotOwned(_)) => {
                "ported, but the account does not list the number yet; the next event or a refresh attaches it"
                    .to_owned()
            }
            Err(error) => {
                tracing::error!(%error, "the port completed but the number could not be set up");
                format!("ported, but setting the number up failed: {error}")
            }
        };
        record.detail = Some(detail);
        record.updated_at = self.now();
        self.store.put_port_in(record).await?;
        Ok(())
    }

    /// Starts (or continues) the shop's texting registration: its sender
    /// pool with its numbers, then its brand; the campaign follows once the
    /// brand is approved ([`Provisioning::refresh_registration`]).
    #[tracing::instrument(skip_all, fields(tenant_id = %tenant))]
    pub async fn start_registration(
        &self,
        tenant: &TenantId,
        brand: &BrandDetails,
    ) -> Result<TextingRegistration, ProvisioningError> {
        let registrar = self.registrar()?;
        self.live_tenant(tenant).await?;
        let now = self.now();
        let mut registration =
            self.store.registration(tenant).await?.unwrap_or_else(|| TextingRegistration::new(tenant.clone(), now));
        self.store.put_registration(&registration).await?;
        let service = match &registration.messaging_service {
            Some(service) => service.clone(),
            None => {
                let service = registrar
                    .create_messaging_service(
                        tenant,
                        &self.webhooks.url("/twilio/sms"),
                        &self.webhooks.url("/twilio/status"),
                    )
                    .await?;
                registration.messaging_service = Some(service.clone());
                registration.updated_at = self.now();
                self.store.put_registration(&registration).await?;
                service
            }
        };
        for order in self.store.number_orders(tenant).await? {
            if let (Some(sid), NumberState::Bought | NumberState::Attached) = (&order.sid, order.state) {
                registrar.add_sender(&service, sid).await?;
            }
        }
        let resubmit = matches!(registration.brand_status, Some(BrandStatus::Failed | BrandStatus::Deleted));
        if registration.brand.is_none() || resubmit {
            for (kind, bundle, what) in [
                (BundleKind::CustomerProfile, &brand.customer_profile, "customer profile"),
                (BundleKind::A2pProfile, &brand.a2p_profile, "A2P trust product"),
            ] {
                let status = registrar.bundle_status(kind, bundle).await?;
                if status != BUNDLE_APPROVED {
                    registration.detail = Some(format!("the {what} {bundle} is {status}"));
                    registration.updated_at = self.now();
                    self.store.put_registration(&registration).await?;
                    return Err(ProvisioningError::Invalid(format!(
                        "the {what} {bundle} is {status}: a brand can be registered once it is {BUNDLE_APPROVED}"
                    )));
                }
            }
            let application = BrandApplication {
                tenant: tenant.clone(),
                customer_profile: brand.customer_profile.clone(),
                a2p_profile: brand.a2p_profile.clone(),
                brand_type: brand.brand_type.clone().unwrap_or_else(|| "STANDARD".to_owned()),
                mock: brand.mock,
            };
            let state = registrar.register_brand(&application).await?;
            registration.brand = Some(state.sid);
            registration.brand_status = Some(state.status);
            registration.detail = state.reason;
            registration.campaign = None;
            registration.campaign_status = None;
            registration.updated_at = self.now();
            self.store.put_registration(&registration).await?;
        }
        self.refresh_registration(tenant).await
    }

    /// Asks the provider where the brand and campaign stand, submits the
    /// campaign once the brand is approved, and when the campaign is
    /// verified puts back in the queue the texts that stopped waiting.
    #[tracing::instrument(skip_all, fields(tenant_id = %tenant))]
    pub async fn refresh_registration(&self, tenant: &TenantId) -> Result<TextingRegistration, ProvisioningError> {
        let registrar = self.registrar()?;
        let mut registration = self.store.registration(tenant).await?.ok_or_else(|| {
            ProvisioningError::Invalid(format!("{tenant} has no texting registration; start one first"))
        })?;
        let was_cleared = registration.clearance() == Clearance::Cleared;
        if let Some(brand) = &registration.brand
            && registration.campaign.is_none()
        {
            let state = registrar.brand(brand).await?;
            registration.brand_status = Some(state.status);
            registration.detail = state.reason;
        }
        if registration.brand_status == Some(BrandStatus::Approved)
            && registration.campaign.is_none()
            && let (Some(brand), Some(service)) = (&registration.brand, &registration.messaging_service)
        {
            let record = self.live_tenant(tenant).await?;
            let application = CampaignApplication::appointments(&record.profile, brand.clone());
            let state = registrar.register_campaign(service, &application).await?;
            registration.campaign = Some(state.sid);
            registration.campaign_status = Some(state.status);
            registration.detail = state.reason;
        } else if let (Some(campaign), Some(service)) = (&registration.campaign, &registration.messaging_service) {
            let state = registrar.campaign(service, campaign).await?;
            registration.campaign_status = Some(state.status);
            registration.detail = state.reason;
        }
        registration.updated_at = self.now();
        self.store.put_registration(&registration).await?;
        if !was_cleared && registration.clearance() == Clearance::Cleared {
            tracing::info!("texting campaign verified: waiting texts go out");
            self.release_waiting_texts(tenant).await;
        }
        Ok(registration)
    }

    /// Refreshes every registration not settled yet; returns how many were
    /// asked about. One tenant's failure is logged and the rest go on.
    pub async fn refresh_all_registrations(&self) -> Result<usize, ProvisioningError> {
        let mut asked = 0;
        for registration in self.store.registrations().await? {
            if registration.is_settled() {
                continue;
            }
            asked += 1;
            if let Err(error) = self.refresh_registration(&registration.tenant).await {
                tracing::warn!(%error, tenant_id = %registration.tenant, "could not refresh a texting registration");
            }
        }
        Ok(asked)
    }

    /// Texts whose jobs gave up while waiting for registration go back in
    /// the queue (texts still waiting retry on their own).
    async fn release_waiting_texts(&self, tenant: &TenantId) {
        let Some(jobs) = &self.jobs else { return };
        let dead = match jobs.list_jobs(Some(JobState::Dead), 1000).await {
            Ok(dead) => dead,
            Err(error) => return tracing::warn!(%error, "could not list the texts that gave up waiting"),
        };
        for job in dead.into_iter().filter(|job| {
            job.tenant.as_ref() == Some(tenant)
                && job.last_error.as_deref().is_some_and(|e| e.starts_with(WAITING_FOR_REGISTRATION))
        }) {
            if let Err(error) = jobs.retry_job(job.id, self.now()).await {
                tracing::warn!(%error, job_id = %job.id, "could not put a waiting text back in the queue");
            }
        }
    }

    /// Whether texts from `from` (one of the tenant's numbers) may go out:
    /// once its registration's campaign is verified; a shop without a
    /// registration texts as before unless `from` is a number Frontdesk
    /// got for it (those are the numbers the carriers filter).
    pub async fn texting_clearance(&self, tenant: &TenantId, from: Option<&E164>) -> Result<Clearance, StoreError> {
        texting_clearance(self.store.as_ref(), tenant, from).await
    }

    /// Every tenant's texting registration, ordered by tenant, in one read:
    /// the operator's shops page shows whose texts wait.
    pub async fn registrations(&self) -> Result<Vec<TextingRegistration>, StoreError> {
        self.store.registrations().await
    }

    /// Everything the tenant's provisioning stands at.
    pub async fn status(&self, tenant: &TenantId) -> Result<ProvisioningStatus, ProvisioningError> {
        let numbers = self.store.number_orders(tenant).await?;
        let port_ins = self.store.port_ins(tenant).await?;
        let registration = self.store.registration(tenant).await?;
        let texting = texting_clearance(self.store.as_ref(), tenant, None).await?;
        Ok(ProvisioningStatus { numbers, port_ins, registration, texting })
    }
}

/// Where the provider's porting events are sent (a signed gateway route).
pub const PORT_EVENTS_PATH: &str = "/twilio/porting";

fn is_set_up(owned: &OwnedNumber, setup: &NumberSetup) -> bool {
    owned.label == setup.label
        && owned.voice_url.as_deref() == Some(setup.voice_url.as_str())
        && owned.sms_url.as_deref() == Some(setup.sms_url.as_str())
        && owned.status_callback.as_deref() == Some(setup.status_callback.as_str())
        && owned.voice_fallback_url.as_deref() == Some(setup.voice_fallback_url.as_str())
}

/// See [`Provisioning::texting_clearance`].
pub async fn texting_clearance(
    store: &dyn ProvisioningStore,
    tenant: &TenantId,
    from: Option<&E164>,
) -> Result<Clearance, StoreError> {
    if let Some(registration) = store.registration(tenant).await? {
        return Ok(registration.clearance());
    }
    let provisioned =
        store.number_orders(tenant).await?.into_iter().any(|o| {
            matches!(o.state, NumberState::Bought | NumberState::Attached) && from.is_none_or(|f| *f == o.number)
        });
    Ok(if provisioned {
        Clearance::Waiting(format!("{WAITING_FOR_REGISTRATION}: its texting registration has not been submitted"))
    } else {
        Clearance::Cleared
    })
}

/// The shop's texts that wait for its registration (queued, with the reason).
pub fn waiting_texts(messages: &[MessageRecord]) -> impl Iterator<Item = &MessageRecord> {
    messages
        .iter()
        .filter(|m| m.status == "queued" && m.error.as_deref().is_some_and(|e| e.starts_with(WAITING_FOR_REGISTRATION)))
}

/// A brand or campaign state word from the provider that is not one we know.
pub fn unknown_word(what: &str, raw: &str) -> ProviderError {
    ProviderError::Unexpected(anyhow::anyhow!("the provider sent an unknown {what} {raw:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fallback_must_live_off_the_gateways_host() {
        let cases = [
            ("https://frontdesk.example.com", Some("https://handler.twilio.com/twiml/EH1?Owner={owner}"), Ok(())),
            ("https://frontdesk.example.com", None, Ok(())),
            ("https://frontdesk.example.com", Some("https://FRONTDESK.example.com:8443/fallback"), Err("own host")),
            ("https://frontdesk.example.com/", Some("https://user@frontdesk.example.com/x"), Err("own host")),
            ("https://frontdesk.example.com", Some("ftp://elsewhere.example.com/x"), Err("http(s)")),
        ];
        for (public, fallback, expected) in cases {
            match (NumberWebhooks::new(public, fallback), expected) {
                (Ok(_), Ok(())) => {}
                (Err(problem), Err(fragment)) => assert!(problem.contains(fragment), "{problem}"),
                (got, _) => panic!("{public} / {fallback:?}: {got:?}"),
            }
        }
    }

    #[test]
    fn hosts_are_read_without_user_port_or_path() {
        assert_eq!(host_of("https://a.example.com:8443/x?y#z").as_deref(), Some("a.example.com"));
        assert_eq!(host_of("https://u:p@A.Example.com/").as_deref(), Some("a.example.com"));
        assert_eq!(host_of("http://[::1]:8080/").as_deref(), Some("::1"));
        assert_eq!(host_of("https:///nohost"), None);
        assert_eq!(host_of("nourl"), None);
    }
}
