use async_trait::async_trait;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use frontdesk_core::{E164, StoreError, TenantId};

use crate::profile::TenantProfile;

/// Whether a tenant's numbers are answered. Disabling keeps every row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TenantStatus {
    Active,
    Disabled,
}

impl TenantStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TenantStatus::Active => "active",
            TenantStatus::Disabled => "disabled",
        }
    }

    pub fn parse(raw: &str) -> Option<TenantStatus> {
        match raw {
            "active" => Some(TenantStatus::Active),
            "disabled" => Some(TenantStatus::Disabled),
            _ => None,
        }
    }
}

/// What a tenant is for. A sandbox takes test traffic (`adminctl loadtest`,
/// `simulate`): it is never billed, its texts are recorded but never handed
/// to a provider, and it can be purged with every row it has. Only the
/// operator creates one; nothing turns a live tenant into a sandbox or back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TenantKind {
    Live,
    Sandbox,
}

impl TenantKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TenantKind::Live => "live",
            TenantKind::Sandbox => "sandbox",
        }
    }

    pub fn parse(raw: &str) -> Option<TenantKind> {
        match raw {
            "live" => Some(TenantKind::Live),
            "sandbox" => Some(TenantKind::Sandbox),
            _ => None,
        }
    }
}

/// A stored tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantRecord {
    pub profile: TenantProfile,
    pub status: TenantStatus,
    pub kind: TenantKind,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A stored tenant as the operator's lists show it: who it is and how it
/// stands, without its whole profile (a page lists a thousand tenants, and
/// parsing each profile cost more than the rest of such a page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantSummary {
    pub slug: TenantId,
    pub name: String,
    pub timezone: Tz,
    /// How many phone numbers the tenant owns.
    pub phone_numbers: usize,
    pub status: TenantStatus,
    pub kind: TenantKind,
}

impl From<&TenantRecord> for TenantSummary {
    fn from(record: &TenantRecord) -> TenantSummary {
        TenantSummary {
            slug: record.profile.slug().clone(),
            name: record.profile.name().to_owned(),
            timezone: record.profile.timezone(),
            phone_numbers: record.profile.phone_numbers().len(),
            status: record.status,
            kind: record.kind,
        }
    }
}

impl TenantSummary {
    /// Rebuilds a summary from the columns every store adapter keeps (the
    /// status and kind words) and what it reads out of the stored profile
    /// document: its name, time zone and how many numbers it lists, `None`
    /// when the document lacks one. A value that is missing or no longer
    /// parses is `Corrupt`, as in [`TenantRecord::from_stored`].
    pub fn from_stored(
        tenant_id: &str,
        name: Option<&str>,
        timezone: Option<&str>,
        phone_numbers: Option<i64>,
        status: &str,
        kind: &str,
    ) -> Result<TenantSummary, StoreError> {
        let corrupt = |reason: String| StoreError::corrupt(tenant_id, reason);
        let slug = TenantId::parse(tenant_id).map_err(|e| corrupt(e.to_string()))?;
        let name = name.map(str::trim).filter(|name| !name.is_empty());
        let name = name.ok_or_else(|| corrupt("profile has no name".to_owned()))?.to_owned();
        let timezone = timezone.ok_or_else(|| corrupt("profile has no time zone".to_owned()))?;
        let timezone = timezone.parse::<Tz>().map_err(|_| corrupt(format!("unknown time zone {timezone:?}")))?;
        let phone_numbers = phone_numbers.unwrap_or(0);
        let phone_numbers =
            usize::try_from(phone_numbers).map_err(|_| corrupt(format!("{phone_numbers} phone numbers")))?;
        let status = TenantStatus::parse(status).ok_or_else(|| corrupt(format!("unknown status {status:?}")))?;
        let kind = TenantKind::parse(kind).ok_or_else(|| corrupt(format!("unknown kind {kind:?}")))?;
        Ok(TenantSummary { slug, name, timezone, phone_numbers, status, kind })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    Created,
    Replaced,
}

/// What `purge_sandbox` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurgeOutcome {
    /// The sandbox and every row kept for it are gone.
    Purged,
    /// The tenant is live: nothing was deleted (live tenants are disabled,
    /// never purged).
    Live,
}

/// Why `put_tenant` wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum PutTenantError {
    /// Some of the profile's numbers already belong to another tenant. The
    /// other tenant is deliberately not named: a tenant-scoped caller must not
    /// learn who else is on the platform.
    #[error("phone number(s) already assigned to another tenant: {}", join(.0))]
    PhoneNumbersTaken(Vec<E164>),
    /// `create_sandbox` only creates: a tenant with this id exists.
    #[error("tenant {0} already exists")]
    Exists(TenantId),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn join(numbers: &[E164]) -> String {
    numbers.iter().map(E164::as_str).collect::<Vec<_>>().join(", ")
}

/// Persistence of tenant profiles. Tenant-owned rows are keyed by the tenant
/// id; no method reads or writes another tenant's rows than the one named.
#[async_trait]
pub trait TenantStore: Send + Sync {
    /// Creates the tenant, or replaces its profile (keeping its status and
    /// `created_at`). The tenant then owns exactly the profile's numbers.
    ///
    /// MUST return `PhoneNumbersTaken` (listing every such number) and change
    /// nothing when a number belongs to another tenant, also under races.
    async fn put_tenant(&self, profile: &TenantProfile) -> Result<PutOutcome, PutTenantError>;

    /// `Ok(None)` when the tenant does not exist.
    async fn get_tenant(&self, tenant: &TenantId) -> Result<Option<TenantRecord>, StoreError>;

    /// Every tenant, active or not, ordered by slug. Operator use only.
    async fn list_tenants(&self) -> Result<Vec<TenantRecord>, StoreError>;

    /// What [`list_tenants`](TenantStore::list_tenants) returns, summarised:
    /// the same tenants in the same order. Stores read it without parsing
    /// every profile; this default summarises the full records.
    async fn tenant_summaries(&self) -> Result<Vec<TenantSummary>, StoreError> {
        Ok(self.list_tenants().await?.iter().map(TenantSummary::from).collect())
    }

    /// MUST return `NotFound` for an unknown tenant.
    async fn set_tenant_status(&self, tenant: &TenantId, status: TenantStatus) -> Result<TenantRecord, StoreError>;

    /// The tenant that owns `number`, active or disabled; callers decide what
    /// a disabled owner means.
    async fn tenant_by_number(&self, number: &E164) -> Result<Option<TenantRecord>, StoreError>;

    /// Which of `numbers` belong to a tenant other than `tenant`.
    async fn numbers_owned_elsewhere(&self, tenant: &TenantId, numbers: &[E164]) -> Result<Vec<E164>, StoreError>;

    /// Creates a sandbox tenant (active, kind `Sandbox`) owning the
    /// profile's numbers. MUST return `Exists` when the id is taken and
    /// `PhoneNumbersTaken` when a number is, changing nothing.
    async fn create_sandbox(&self, profile: &TenantProfile) -> Result<(), PutTenantError>;

    /// Deletes a sandbox tenant and, in one transaction, every row any part
    /// of the platform keeps for it (bookings, calls, texts, usage, plan and
    /// flags, invoices, jobs); the audit log is kept. A live tenant is
    /// refused (`Live`) with nothing deleted; `NotFound` for an unknown one.
    async fn purge_sandbox(&self, tenant: &TenantId) -> Result<PurgeOutcome, StoreError>;
}

impl TenantRecord {
    /// Rebuilds a record from the columns every store adapter keeps: the
    /// canonical profile document as JSON text, the status and kind words. A
    /// row that no longer parses is `Corrupt`, never silently skipped.
    pub fn from_stored(
        tenant_id: &str,
        profile_json: &str,
        status: &str,
        kind: &str,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    ) -> Result<TenantRecord, StoreError> {
        let corrupt = |reason: String| StoreError::corrupt(tenant_id, reason);
        let document =
            crate::ProfileDocument::from_json(profile_json.as_bytes()).map_err(|e| corrupt(e.to_string()))?;
        let profile = TenantProfile::parse(&document).map_err(|e| corrupt(e.to_string()))?;
        if profile.slug().as_str() != tenant_id {
            return Err(corrupt(format!("profile names tenant {:?}", profile.slug().as_str())));
        }
        let status = TenantStatus::parse(status).ok_or_else(|| corrupt(format!("unknown status {status:?}")))?;
        let kind = TenantKind::parse(kind).ok_or_else(|| corrupt(format!("unknown kind {kind:?}")))?;
        Ok(TenantRecord { profile, status, kind, created_at, updated_at })
    }
}

/// Decodes phone numbers read back from a store; a malformed one is `Corrupt`.
pub fn stored_numbers(raw: Vec<String>) -> Result<Vec<E164>, StoreError> {
    raw.iter()
        .map(|number| E164::parse(number).map_err(|e| StoreError::corrupt("(phone number index)", e.to_string())))
        .collect()
}

impl TenantProfile {
    /// The canonical document as JSON text, the form store adapters keep.
    pub fn to_stored_json(&self) -> String {
        self.to_document().to_json().to_string()
    }
}
