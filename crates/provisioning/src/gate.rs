//! The check before a text goes out: a shop whose texting registration is
//! not approved yet does not text; its texts wait, with the reason.

use std::sync::Arc;

use async_trait::async_trait;
use frontdesk_messaging::{Messaging, MessagingError, OutboundSms, SentSms};

use crate::registration::Clearance;
use crate::service::texting_clearance;
use crate::store::ProvisioningStore;

/// Wraps the provider's [`Messaging`]: a text from a shop not cleared to
/// text is refused with [`MessagingError::NotCleared`] (nothing is sent;
/// the sender keeps it queued and tries again), anything else is passed on.
pub struct RegistrationGate {
    inner: Arc<dyn Messaging>,
    store: Arc<dyn ProvisioningStore>,
}

impl RegistrationGate {
    pub fn new(inner: Arc<dyn Messaging>, store: Arc<dyn ProvisioningStore>) -> RegistrationGate {
        RegistrationGate { inner, store }
    }
}

#[async_trait]
impl Messaging for RegistrationGate {
    async fn send_sms(&self, sms: &OutboundSms) -> Result<SentSms, MessagingError> {
        match texting_clearance(self.store.as_ref(), &sms.tenant, Some(&sms.from)).await {
            Ok(Clearance::Cleared) => self.inner.send_sms(sms).await,
            Ok(Clearance::Waiting(why)) => Err(MessagingError::NotCleared(why)),
            Err(error) => {
                Err(MessagingError::Unavailable(format!("cannot read the shop's texting registration: {error}")))
            }
        }
    }
}
