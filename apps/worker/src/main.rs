//! `worker`: runs Frontdesk's durable jobs. Start as many as you like against
//! one PostgreSQL database; they share the queue without running a job twice
//! at the same time. SIGTERM stops claiming, lets running jobs finish (up to a
//! grace period) and releases the rest for another worker.

use std::process::ExitCode;
use std::sync::Arc;

use frontdesk_core::{Clock, SystemClock};
use frontdesk_runtime::{
    Settings, WorkerAdapters, build_billing, build_call_ledger, build_embedders, build_external_calendar,
    build_messaging, build_worker, open_backend, shutdown_signal, telemetry,
};

#[tokio::main]
async fn main() -> ExitCode {
    let settings = match Settings::load() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("worker: {error}");
            return ExitCode::from(2);
        }
    };
    telemetry::init_telemetry(settings.log_format);
    for warning in &settings.warnings {
        tracing::warn!("{warning}");
    }
    tracing::info!(
        config = %settings.config_file.as_ref().map_or_else(|| "none (defaults and FRONTDESK_* only)".to_owned(), |f| f.display().to_string()),
        database = %settings.database_location(),
        "configuration read"
    );
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let backend = match open_backend(&settings.database, settings.database_max_connections, clock.clone()).await {
        Ok(backend) => backend,
        Err(error) => {
            tracing::error!("startup failed: {error:#}");
            eprintln!("worker: startup failed: {error:#}");
            return ExitCode::FAILURE;
        }
    };
    let adapters = build_external_calendar(&settings, clock.clone()).and_then(|calendar| {
        let embedder = build_embedders(&settings)?.map(|embedders| embedders.passages);
        Ok((calendar, build_messaging(&settings)?, build_call_ledger(&settings)?, embedder))
    });
    let (calendar, messaging, ledger, embedder) = match adapters {
        Ok(adapters) => adapters,
        Err(error) => {
            eprintln!("worker: startup failed: {error:#}");
            return ExitCode::from(2);
        }
    };
    let billing = match build_billing(&backend, &settings, clock.clone()).await {
        Ok(billing) => billing,
        Err(error) => {
            eprintln!("worker: startup failed: {error:#}");
            return ExitCode::from(2);
        }
    };
    tracing::info!(
        backend = backend.name,
        google_calendar = calendar.is_some(),
        stripe = billing.provider.is_some(),
        "worker starting"
    );
    match build_worker(
        &backend,
        &settings,
        WorkerAdapters { calendar, messaging, ledger, embedder },
        &billing,
        clock,
        "worker",
    )
    .run(shutdown_signal())
    .await
    {
        Ok(_) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("worker: {error}");
            ExitCode::FAILURE
        }
    }
}
