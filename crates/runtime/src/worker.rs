use std::sync::Arc;

use frontdesk_core::Clock;
use frontdesk_jobs::{PingHandler, Worker, WorkerConfig, WorkerId};

use crate::backend::Backend;
use crate::settings::Settings;

/// The job worker with every handler this build knows.
pub fn build_worker(backend: &Backend, settings: &Settings, clock: Arc<dyn Clock>, name: &str) -> Worker {
    let mut config = WorkerConfig::new(WorkerId::generate(name));
    config.concurrency = settings.worker_concurrency;
    config.lease = chrono::Duration::seconds(i64::from(settings.worker_lease_secs));
    config.poll_interval = std::time::Duration::from_millis(settings.worker_poll_ms);
    config.shutdown_grace = std::time::Duration::from_secs(settings.worker_shutdown_grace_secs);
    Worker::new(backend.leases.clone(), backend.effects.clone(), clock, config)
        .reporting_to(backend.job_admin.clone())
        .recurring(backend.schedules.clone(), Vec::new())
        .handler(Arc::new(PingHandler))
}

/// The booking service over the backend's booking store (and, when
/// configured, the external calendar).
pub fn build_booking_service(
    backend: &Backend,
    _settings: &Settings,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<frontdesk_calendar::BookingService> {
    Ok(frontdesk_calendar::BookingService::new(backend.bookings.clone(), clock))
}
