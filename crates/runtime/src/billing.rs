//! Flags, metering, invoicing and the payment provider, as the settings
//! choose them: Redis as the shared flag cache when `FRONTDESK_REDIS_URL` is
//! set (else an in-process cache), Stripe when `FRONTDESK_STRIPE_SECRET_KEY`
//! is set (else no provider: usage is still metered and invoiced here).

use std::sync::Arc;

use anyhow::Context;
use frontdesk_billing::{BillingPorts, Invoicing, Metering, PaymentProvider, Plans};
use frontdesk_core::{Clock, UuidV7Ids};
use frontdesk_flags::{FlagCache, FlagService, LocalFlagCache};
use secrecy::ExposeSecret;

use crate::backend::Backend;
use crate::settings::Settings;

/// The billing side of a process.
#[derive(Clone)]
pub struct Billing {
    pub flags: Arc<FlagService>,
    pub metering: Arc<Metering>,
    pub invoicing: Arc<Invoicing>,
    /// Plan changes, with the provider's setup job when there is a provider.
    pub plans: Arc<Plans>,
    pub ports: BillingPorts,
    /// Stripe, when configured.
    pub provider: Option<Arc<dyn PaymentProvider>>,
}

/// Builds the flag service (with its cache), metering, invoicing and the
/// payment provider. Redis being down at startup is not an error: flags
/// are then read from the store until it is back.
pub async fn build_billing(backend: &Backend, settings: &Settings, clock: Arc<dyn Clock>) -> anyhow::Result<Billing> {
    let cache: Arc<dyn FlagCache> = match &settings.redis_url {
        Some(url) => Arc::new(
            frontdesk_redis::RedisFlagCache::connect(url.expose_secret(), clock.clone())
                .await
                .context("FRONTDESK_REDIS_URL")?,
        ),
        None => Arc::new(LocalFlagCache::new(clock.clone())),
    };
    let provider = build_payment_provider(settings)?;
    Ok(Billing::new(backend, cache, provider, settings.payment_grace, settings.rate_card.clone()))
}

impl Billing {
    /// The billing side over `backend`'s stores, with this flag cache and
    /// payment provider (tests and embedders choose their own); usage is
    /// costed at `costs`: a `RateCard`, or a `PriceTable` for the model
    /// tokens with the default telephone rates.
    pub fn new(
        backend: &Backend,
        cache: Arc<dyn FlagCache>,
        provider: Option<Arc<dyn PaymentProvider>>,
        payment_grace: std::time::Duration,
        costs: impl Into<frontdesk_billing::RateCard>,
    ) -> Billing {
        let flags = Arc::new(FlagService::new(backend.flags.clone(), cache));
        let ports = BillingPorts {
            tenants: backend.tenants.clone(),
            flags: backend.flags.clone(),
            usage: backend.usage.clone(),
            billing: backend.billing.clone(),
        };
        let metering = Arc::new(
            Metering::new(ports.clone(), Arc::new(UuidV7Ids), provider.is_some(), payment_grace)
                .with_rate_card(costs.into()),
        );
        let invoicing = Arc::new(Invoicing::new(ports.clone()));
        let plans = Arc::new(Plans::new(flags.clone(), backend.tenants.clone(), provider.is_some()));
        Billing { flags, metering, invoicing, plans, ports, provider }
    }
}

fn build_payment_provider(settings: &Settings) -> anyhow::Result<Option<Arc<dyn PaymentProvider>>> {
    let Some(stripe) = &settings.stripe else { return Ok(None) };
    let mut catalog = frontdesk_stripe::StripeCatalog::default();
    for (plan, price) in &stripe.plan_prices {
        catalog.plan_prices.insert(*plan, price.clone());
    }
    catalog.metered_prices = stripe.metered_prices.clone();
    catalog.meter_events.insert(frontdesk_billing::UsageKind::CallMinutes, stripe.meter_minutes.clone());
    catalog.meter_events.insert(frontdesk_billing::UsageKind::SmsSegments, stripe.meter_sms.clone());
    catalog.meter_events.insert(frontdesk_billing::UsageKind::LlmTokens, stripe.meter_tokens.clone());
    let mut config = frontdesk_stripe::StripeConfig::new(stripe.secret_key.clone(), catalog);
    if let Some(base) = &stripe.api_base_url {
        config.base_url = base.trim_end_matches('/').to_owned();
    }
    let client = frontdesk_stripe::StripeClient::new(config).context("FRONTDESK_STRIPE_SECRET_KEY")?;
    Ok(Some(Arc::new(client)))
}
