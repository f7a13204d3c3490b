//! [`ProvisioningStore`] in memory, for tests and embedders. It does not
//! check that tenants exist.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use frontdesk_core::{E164, StoreError, TenantId};

use crate::ids::PortInSid;
use crate::porting::PortIn;
use crate::registration::TextingRegistration;
use crate::store::{NumberOrder, ProvisioningStore};

#[derive(Default)]
pub struct MemoryProvisioningStore {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    orders: BTreeMap<(TenantId, E164), NumberOrder>,
    port_ins: BTreeMap<PortInSid, PortIn>,
    registrations: BTreeMap<TenantId, TextingRegistration>,
}

impl MemoryProvisioningStore {
    pub fn new() -> MemoryProvisioningStore {
        MemoryProvisioningStore::default()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl ProvisioningStore for MemoryProvisioningStore {
    async fn put_number_order(&self, order: &NumberOrder) -> Result<(), StoreError> {
        let mut state = self.state();
        let key = (order.tenant.clone(), order.number.clone());
        let created_at = state.orders.get(&key).map_or(order.created_at, |o| o.created_at);
        state.orders.insert(key, NumberOrder { created_at, ..order.clone() });
        Ok(())
    }

    async fn number_order(&self, tenant: &TenantId, number: &E164) -> Result<Option<NumberOrder>, StoreError> {
        Ok(self.state().orders.get(&(tenant.clone(), number.clone())).cloned())
    }

    async fn number_orders(&self, tenant: &TenantId) -> Result<Vec<NumberOrder>, StoreError> {
        let mut orders: Vec<NumberOrder> =
            self.state().orders.values().filter(|o| &o.tenant == tenant).cloned().collect();
        orders.sort_by(|a, b| (a.created_at, &a.number).cmp(&(b.created_at, &b.number)));
        Ok(orders)
    }

    async fn put_port_in(&self, port_in: &PortIn) -> Result<(), StoreError> {
        let mut state = self.state();
        let created_at = match state.port_ins.get(&port_in.sid) {
            Some(existing) if existing.tenant != port_in.tenant => {
                return Err(StoreError::Unexpected(anyhow::anyhow!(
                    "port-in {} belongs to another tenant",
                    port_in.sid
                )));
            }
            Some(existing) => existing.created_at,
            None => port_in.created_at,
        };
        state.port_ins.insert(port_in.sid.clone(), PortIn { created_at, ..port_in.clone() });
        Ok(())
    }

    async fn port_in_by_sid(&self, sid: &PortInSid) -> Result<Option<PortIn>, StoreError> {
        Ok(self.state().port_ins.get(sid).cloned())
    }

    async fn port_ins(&self, tenant: &TenantId) -> Result<Vec<PortIn>, StoreError> {
        let mut port_ins: Vec<PortIn> =
            self.state().port_ins.values().filter(|p| &p.tenant == tenant).cloned().collect();
        port_ins.sort_by(|a, b| (a.created_at, &a.sid).cmp(&(b.created_at, &b.sid)));
        Ok(port_ins)
    }

    async fn open_port_ins(&self) -> Result<Vec<PortIn>, StoreError> {
        let mut port_ins: Vec<PortIn> =
            self.state().port_ins.values().filter(|p| !p.status.is_final()).cloned().collect();
        port_ins.sort_by(|a, b| (a.created_at, &a.sid).cmp(&(b.created_at, &b.sid)));
        Ok(port_ins)
    }

    async fn put_registration(&self, registration: &TextingRegistration) -> Result<(), StoreError> {
        let mut state = self.state();
        let created_at =
            state.registrations.get(&registration.tenant).map_or(registration.created_at, |r| r.created_at);
        state
            .registrations
            .insert(registration.tenant.clone(), TextingRegistration { created_at, ..registration.clone() });
        Ok(())
    }

    async fn registration(&self, tenant: &TenantId) -> Result<Option<TextingRegistration>, StoreError> {
        Ok(self.state().registrations.get(tenant).cloned())
    }

    async fn registrations(&self) -> Result<Vec<TextingRegistration>, StoreError> {
        Ok(self.state().registrations.values().cloned().collect())
    }
}
