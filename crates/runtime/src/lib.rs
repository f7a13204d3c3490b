//! What every Frontdesk process does at startup, in one place: read
//! [`Settings`], install telemetry, open the store the database URL selects
//! ([`Backend`]), build the job [`Worker`](frontdesk_jobs::Worker) with its
//! handlers, and wait for a shutdown signal.
//!
//! This is the composition layer shared by the binaries in `apps/`; domain
//! and adapter crates never depend on it.

mod backend;
mod billing;
mod notify;
mod provisioning;
pub mod settings;
pub mod telemetry;
mod worker;

pub use backend::{Backend, open_backend};
pub use billing::{Billing, build_billing};
pub use notify::{NotificationSettings, build_notifiers};
pub use provisioning::{TwilioProvisioning, build_provisioning};
pub use settings::{
    DEFAULT_DATABASE_URL, DatabaseUrl, LogFormat, OpenAiSettings, Settings, SettingsError, Sources,
    check_max_connections,
};
pub use worker::{
    Embedders, MessageTranscription, WorkerAdapters, build_booking_service, build_call_ledger, build_embedders,
    build_external_calendar, build_language_model, build_message_transcription, build_messaging, build_outbound_calls,
    build_realtime_voice, build_worker, realtime_transcription_model,
};

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested");
}
