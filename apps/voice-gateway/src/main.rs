use std::process::ExitCode;

use voice_gateway::{Application, Settings, shutdown_signal, telemetry};

fn main() -> ExitCode {
    let settings = match Settings::load() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("voice-gateway: {error}");
            return ExitCode::from(2);
        }
    };
    // As many threads as the settings say (one on SQLite: its writes all
    // go through one connection, and a second thread mostly waits for it).
    let runtime =
        match tokio::runtime::Builder::new_multi_thread().worker_threads(settings.runtime_threads).enable_all().build()
        {
            Ok(runtime) => runtime,
            Err(error) => {
                eprintln!("voice-gateway: cannot start the async runtime: {error}");
                return ExitCode::FAILURE;
            }
        };
    runtime.block_on(serve(settings))
}

async fn serve(settings: Settings) -> ExitCode {
    telemetry::init_telemetry(settings.log_format);
    for warning in &settings.warnings {
        tracing::warn!("{warning}");
    }
    tracing::info!(
        config = %settings.config_file.as_ref().map_or_else(|| "none (defaults and FRONTDESK_* only)".to_owned(), |f| f.display().to_string()),
        database = %settings.database_location(),
        runtime_threads = settings.runtime_threads,
        "configuration read"
    );
    let application = match Application::build(&settings).await {
        Ok(application) => application,
        Err(error) => {
            tracing::error!("startup failed: {error:#}");
            eprintln!("voice-gateway: startup failed: {error:#}");
            return ExitCode::FAILURE;
        }
    };
    match application.run_until(shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("voice-gateway: server error: {error}");
            ExitCode::FAILURE
        }
    }
}
