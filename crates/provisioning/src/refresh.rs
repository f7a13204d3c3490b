//! The job that asks the provider, on a schedule, where texting
//! registrations stand (brands and campaigns have no events of their own).

use std::sync::Arc;

use async_trait::async_trait;
use frontdesk_jobs::{HandlerError, JobContext, JobHandler, JobKind};

use crate::service::Provisioning;

/// Its kind.
pub const REFRESH_REGISTRATIONS: &str = "provisioning.refresh_registrations";

/// The `provisioning.refresh_registrations` job handler.
pub struct RegistrationRefresh {
    pub provisioning: Arc<Provisioning>,
}

#[async_trait]
impl JobHandler for RegistrationRefresh {
    fn kind(&self) -> JobKind {
        JobKind::parse(REFRESH_REGISTRATIONS).unwrap_or_else(|_| unreachable!("a valid kind"))
    }

    async fn run(&self, _context: &JobContext) -> Result<(), HandlerError> {
        let asked = self
            .provisioning
            .refresh_all_registrations()
            .await
            .map_err(|error| HandlerError::Retry(error.to_string()))?;
        tracing::info!(asked, "texting registrations refreshed");
        Ok(())
    }
}
