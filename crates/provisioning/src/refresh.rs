//! The job that asks the provider, on a schedule, where texting
//! registrations and open port-ins stand (brands and campaigns have no
//! events of their own, and a porting event may have been lost or refused).

use std::sync::Arc;

use async_trait::async_trait;
use frontdesk_jobs::{HandlerError, JobContext, JobHandler, JobKind};

use crate::service::Provisioning;

/// Its kind.
pub const REFRESH_PROVISIONING: &str = "provisioning.refresh";

/// The `provisioning.refresh` job handler.
pub struct ProvisioningRefresh {
    pub provisioning: Arc<Provisioning>,
}

#[async_trait]
impl JobHandler for ProvisioningRefresh {
    fn kind(&self) -> JobKind {
        JobKind::parse(REFRESH_PROVISIONING).unwrap_or_else(|_| unreachable!("a valid kind"))
    }

    async fn run(&self, _context: &JobContext) -> Result<(), HandlerError> {
        let retry = |error: crate::ProvisioningError| HandlerError::Retry(error.to_string());
        let registrations = self.provisioning.refresh_all_registrations().await.map_err(retry)?;
        let port_ins = self.provisioning.refresh_port_ins(None).await.map_err(retry)?.len();
        tracing::info!(registrations, port_ins, "texting registrations and port-ins refreshed");
        Ok(())
    }
}
