//! Demo mode: the tenants in `fixtures/tenants/`, compiled in so the binary
//! works from any directory.

use chrono::{DateTime, Utc};
use frontdesk_core::{Plan, TenantId};
use frontdesk_runtime::Billing;
use frontdesk_tenant::{ProfileDocument, TenantProfile, TenantStore};

pub const DEMO_TENANTS: [(&str, &str); 2] = [
    ("fresh-cuts.toml", include_str!("../../../fixtures/tenants/fresh-cuts.toml")),
    ("bright-smile.toml", include_str!("../../../fixtures/tenants/bright-smile.toml")),
];

/// Creates each demo tenant that does not exist yet; never overwrites one
/// (an operator may have edited it).
pub async fn seed_demo_tenants(tenants: &dyn TenantStore) -> anyhow::Result<()> {
    for (file, text) in DEMO_TENANTS {
        let document = ProfileDocument::from_toml(text).map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
        let profile = TenantProfile::parse(&document).map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
        if tenants.get_tenant(profile.slug()).await?.is_some() {
            continue;
        }
        tenants.put_tenant(&profile).await?;
        tracing::info!(tenant_id = %profile.slug(), "created demo tenant");
    }
    Ok(())
}

/// The demo shops show the whole product: they are on Pro (24/7 answering,
/// the human fallback). Only a tenant never given a plan is moved, so an
/// operator's own choice survives a restart.
pub async fn put_demo_tenants_on_their_plans(billing: &Billing, now: DateTime<Utc>) -> anyhow::Result<()> {
    for (file, _) in DEMO_TENANTS {
        let tenant = TenantId::parse(file.trim_end_matches(".toml"))?;
        if billing.ports.billing.plan_changes(&tenant).await?.is_empty() {
            billing.flags.set_plan(&tenant, Plan::Pro, now, &[]).await?;
        }
    }
    Ok(())
}
