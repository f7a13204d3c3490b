//! Building the client: configuration mistakes are startup errors that say
//! what is wrong without printing the key.

use std::collections::BTreeMap;

use frontdesk_core::Plan;
use frontdesk_stripe::{API_VERSION, DEFAULT_BASE_URL, StripeCatalog, StripeClient, StripeConfig, StripeSetupError};
use secrecy::SecretString;

use crate::support::{SECRET_KEY, catalog};

fn build(config: StripeConfig) -> Result<StripeClient, StripeSetupError> {
    StripeClient::new(config)
}

#[test]
fn defaults_point_at_stripe_with_the_pinned_version() {
    let config = StripeConfig::new(SECRET_KEY, catalog());
    assert_eq!(config.base_url, DEFAULT_BASE_URL);
    assert_eq!(config.api_version, API_VERSION);
    assert_eq!(API_VERSION, "2025-03-31.basil");
    assert!(build(config).is_ok());
}

#[test]
fn debug_never_shows_the_secret_key() {
    let config = StripeConfig::new(SECRET_KEY, catalog());
    let config_text = format!("{config:?}");
    let client_text = format!("{:?}", build(config).expect("valid"));
    for text in [config_text, client_text] {
        assert!(!text.contains(SECRET_KEY) && !text.contains("NotARealKey"), "{text}");
    }
}

#[test]
fn refuses_keys_that_cannot_call_the_api_without_printing_them() {
    let cases = [
        ("", "the Stripe secret key is not usable: it is empty"),
        (
            "pk_test_51Publishable",
            "the Stripe secret key is not usable: it is a publishable key (pk_…); the API needs a secret sk_… or restricted rk_… key",
        ),
        ("whsec_51Webhook", "the Stripe secret key is not usable: it must start with sk_ (secret) or rk_ (restricted)"),
        (
            "sk_test_51Trailing\n",
            "the Stripe secret key is not usable: it contains spaces or other characters a key never has (a trailing newline?)",
        ),
    ];
    for (key, expected) in cases {
        let error = build(StripeConfig::new(SecretString::from(key), catalog())).expect_err("refused");
        assert_eq!(error.to_string(), expected, "{key:?}");
    }
    assert!(build(StripeConfig::new("rk_live_51Restricted", catalog())).is_ok());
}

#[test]
fn refuses_base_urls_that_are_not_http() {
    for base_url in ["", "api.stripe.com", "ftp://api.stripe.com"] {
        let config = StripeConfig { base_url: base_url.into(), ..StripeConfig::new(SECRET_KEY, catalog()) };
        let error = build(config).expect_err("refused");
        assert_eq!(error.to_string(), format!("the Stripe base_url {base_url:?} is not an http(s) URL"));
    }
    let trailing_slash =
        StripeConfig { base_url: "http://127.0.0.1:9/".into(), ..StripeConfig::new(SECRET_KEY, catalog()) };
    assert!(build(trailing_slash).is_ok());
}

#[test]
fn refuses_blank_api_versions() {
    for api_version in ["", " ", "2025-03-31\n"] {
        let config = StripeConfig { api_version: api_version.into(), ..StripeConfig::new(SECRET_KEY, catalog()) };
        assert!(matches!(build(config), Err(StripeSetupError::ApiVersion(_))), "{api_version:?}");
    }
}

#[test]
fn refuses_a_catalog_stripe_would_reject() {
    let bad = StripeCatalog { plan_prices: BTreeMap::from([(Plan::Pro, "Pro monthly".to_owned())]), ..catalog() };
    let error = build(StripeConfig::new(SECRET_KEY, bad)).expect_err("refused");
    assert_eq!(
        error.to_string(),
        "the Stripe catalog is not usable: the price for plan pro (\"Pro monthly\") is not a Stripe id"
    );
}
