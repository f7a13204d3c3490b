use crate::TenantId;

/// What a store port of any domain (tenants, flags, billing, audit) reports
/// when it cannot do what was asked. Adapters translate their driver's
/// errors into it; a port with a failure of its own wraps it (the tenant
/// store's `PutTenantError` adds the phone numbers another tenant holds).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The tenant the call names does not exist.
    #[error("tenant {0} does not exist")]
    NotFound(TenantId),
    /// A stored row no longer decodes: a bug or a manual edit, never the
    /// caller's fault. `tenant` names the rows (a tenant id, or what keys
    /// them when no tenant does).
    #[error("stored data for tenant {tenant} is corrupt: {reason}")]
    Corrupt { tenant: String, reason: String },
    /// Anything else (the database is down, a query failed): not the
    /// caller's to fix; report it and retry later.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl StoreError {
    /// A stored value of `tenant`'s (a tenant id, or what names the rows
    /// when there is no tenant) that no longer decodes.
    pub fn corrupt(tenant: &str, reason: impl Into<String>) -> StoreError {
        StoreError::Corrupt { tenant: tenant.to_owned(), reason: reason.into() }
    }
}

/// Decodes a tenant id read back from a store; a malformed one is `Corrupt`.
pub fn stored_tenant(raw: &str) -> Result<TenantId, StoreError> {
    TenantId::parse(raw).map_err(|e| StoreError::corrupt(raw, e.to_string()))
}
