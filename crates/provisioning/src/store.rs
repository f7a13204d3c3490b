//! What provisioning keeps: a record per number a tenant is given (written
//! before it is bought), per port-in request, and the texting registration.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_core::{E164, StoreError, TenantId, stored_tenant};

use crate::ids::{NumberSid, PortInSid};
use crate::porting::PortIn;
use crate::registration::TextingRegistration;

/// How far getting one number for a tenant has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NumberState {
    /// Chosen and written down; the purchase may or may not have happened
    /// (a retry asks the provider first).
    Chosen,
    /// The account holds it, set up for the tenant.
    Bought,
    /// In the tenant's profile: calls to it reach the shop.
    Attached,
    /// Given back to the provider.
    Released,
}

impl NumberState {
    pub fn as_str(self) -> &'static str {
        match self {
            NumberState::Chosen => "chosen",
            NumberState::Bought => "bought",
            NumberState::Attached => "attached",
            NumberState::Released => "released",
        }
    }

    pub fn parse(raw: &str) -> Option<NumberState> {
        Some(match raw {
            "chosen" => NumberState::Chosen,
            "bought" => NumberState::Bought,
            "attached" => NumberState::Attached,
            "released" => NumberState::Released,
            _ => return None,
        })
    }
}

/// One number a tenant is getting, has, or gave back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberOrder {
    pub tenant: TenantId,
    pub number: E164,
    pub state: NumberState,
    /// The provider's id, once the account holds it.
    pub sid: Option<NumberSid>,
    /// Purchase requests sent (a retry that found the number owned sends none).
    pub attempts: u32,
    /// The last provider problem, kept until the next step succeeds.
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl NumberOrder {
    /// Rebuilds a record from the columns both store adapters keep.
    #[allow(clippy::too_many_arguments)]
    pub fn from_stored(
        tenant: &str,
        number: &str,
        state: &str,
        sid: Option<&str>,
        attempts: i64,
        last_error: Option<String>,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    ) -> Result<NumberOrder, StoreError> {
        let corrupt = |what: String| StoreError::corrupt(tenant, format!("number {number}: {what}"));
        Ok(NumberOrder {
            tenant: stored_tenant(tenant)?,
            number: E164::parse(number).map_err(|e| corrupt(e.to_string()))?,
            state: NumberState::parse(state).ok_or_else(|| corrupt(format!("unknown state {state:?}")))?,
            sid: sid.map(|raw| NumberSid::parse(raw).map_err(|e| corrupt(e.to_string()))).transpose()?,
            attempts: u32::try_from(attempts).map_err(|_| corrupt(format!("attempts {attempts}")))?,
            last_error,
            created_at,
            updated_at,
        })
    }
}

/// Where provisioning's records live.
///
/// Errors, for every method: a stored row that no longer decodes MUST be
/// `StoreError::Corrupt`; a failure of the store itself MUST be
/// `StoreError::Unexpected`. Reads about an unknown tenant find nothing.
#[async_trait]
pub trait ProvisioningStore: Send + Sync {
    /// Writes the order of `order.tenant` for `order.number`, replacing
    /// the earlier one (all but `created_at`). MUST return
    /// `StoreError::NotFound` if the tenant does not exist.
    async fn put_number_order(&self, order: &NumberOrder) -> Result<(), StoreError>;

    /// The tenant's order for `number`, if any.
    async fn number_order(&self, tenant: &TenantId, number: &E164) -> Result<Option<NumberOrder>, StoreError>;

    /// Every order of the tenant, oldest first.
    async fn number_orders(&self, tenant: &TenantId) -> Result<Vec<NumberOrder>, StoreError>;

    /// Writes a port-in record, replacing the one with its id (all but
    /// `created_at`). MUST return `StoreError::NotFound` if the tenant does
    /// not exist, and refuse (`Unexpected`) an id another tenant's record has.
    async fn put_port_in(&self, port_in: &PortIn) -> Result<(), StoreError>;

    /// The port-in with this id, whichever tenant's: the provider's events
    /// name only the request.
    async fn port_in_by_sid(&self, sid: &PortInSid) -> Result<Option<PortIn>, StoreError>;

    /// Every port-in of the tenant, oldest first.
    async fn port_ins(&self, tenant: &TenantId) -> Result<Vec<PortIn>, StoreError>;

    /// Every tenant's port-ins not finished yet (not completed, canceled or
    /// expired), oldest first: the refresh asks the provider about them.
    async fn open_port_ins(&self) -> Result<Vec<PortIn>, StoreError>;

    /// Writes the tenant's registration, replacing it (all but
    /// `created_at`). MUST return `StoreError::NotFound` if the tenant does
    /// not exist.
    async fn put_registration(&self, registration: &TextingRegistration) -> Result<(), StoreError>;

    /// The tenant's registration, if it began one.
    async fn registration(&self, tenant: &TenantId) -> Result<Option<TextingRegistration>, StoreError>;

    /// Every tenant's registration, ordered by tenant: the refresh asks the
    /// provider about those not settled.
    async fn registrations(&self) -> Result<Vec<TextingRegistration>, StoreError>;
}
