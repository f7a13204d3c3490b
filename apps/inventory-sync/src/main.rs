//! `inventory-sync`: keeps the owner's workbook true to the Lightspeed till.
//!
//! Exit codes: 0 success; 1 the sync failed (the till or the workbook
//! refused, nothing half-written); 2 bad usage or bad input (a CSV that does
//! not validate, a missing setting).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use frontdesk_core::SystemClock;
use frontdesk_inventory::{
    CONFIG_SHEET, INVENTORY_SHEET, InventorySource, RESTOCK_SHEET, SALES_LOG_SHEET, Sheet, SheetSink, export_csv,
    import_csv, inventory_sheet_rows, read_config, read_inventory, read_sales_log, restock_list, restock_sheet_rows,
    sort_rows,
};
use frontdesk_lightspeed::{
    FileRefreshTokenStore, LightspeedConfig, LightspeedSource, OAuthConfig, OAuthTokens, PersonalToken,
};
use frontdesk_sheets::{GoogleSheets, GoogleSheetsConfig, LocalWorkbook, ServiceAccountKey};
use inventory_sync::demo::{DemoCatalog, fake_lightspeed};
use inventory_sync::state::StateFile;
use inventory_sync::sync::{SyncOptions, SyncReport, sync_once};
use inventory_sync::web::{Syncer, WebConfig, format_every, parse_every, router, sync_every};
use secrecy::SecretString;

#[derive(Debug, Parser)]
#[command(name = "inventory-sync", version, about = "Mirror a Lightspeed X-Series till into the owner's workbook")]
struct Cli {
    #[command(flatten)]
    target: Target,
    #[command(subcommand)]
    command: Command,
}

/// Where the workbook is: a local directory of CSV files, or a Google Sheet.
#[derive(Debug, clap::Args)]
struct Target {
    /// The local workbook directory (one CSV file per worksheet).
    #[arg(long, global = true, env = "FRONTDESK_WORKBOOK_DIR", default_value = "data/workbook")]
    workbook: PathBuf,
    /// Write this Google Sheet instead of the local workbook.
    #[arg(long, global = true, env = "FRONTDESK_SHEETS_SPREADSHEET_ID")]
    spreadsheet: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Read what changed in the till and write the workbook.
    Sync(SyncArgs),
    /// Serve the web inventory page, syncing at startup and then every `--every`.
    Serve {
        #[command(flatten)]
        sync: SyncArgs,
        /// Where the page listens.
        #[arg(long, env = "FRONTDESK_INVENTORY_ADDR", default_value = "127.0.0.1:8090")]
        addr: SocketAddr,
        /// How often to sync: 15m, 1h, 1h30m, 1d (units s, m, h, d).
        #[arg(long, env = "FRONTDESK_SYNC_EVERY", default_value = "1h", value_parser = parse_every)]
        every: Duration,
    },
    /// Replace the Inventory worksheet with a CSV file's rows; nothing changes if the file is invalid.
    ImportCsv { file: PathBuf },
    /// Write the Inventory worksheet to a CSV file (`-` for standard output).
    ExportCsv { file: PathBuf },
}

/// Where a sync reads from and keeps its cursors.
#[derive(Debug, clap::Args)]
struct SyncArgs {
    /// Use the built-in demo shop (a fake Lightspeed API), no credentials needed.
    #[arg(long)]
    demo: bool,
    /// Count only this outlet's stock and sales (default: all outlets).
    #[arg(long, env = "FRONTDESK_LIGHTSPEED_OUTLET_ID")]
    outlet: Option<String>,
    /// Where the change-feed cursors are kept.
    #[arg(long, env = "FRONTDESK_INVENTORY_STATE_FILE")]
    state: Option<PathBuf>,
}

impl SyncArgs {
    fn state_file(&self) -> StateFile {
        let default_state =
            if self.demo { "data/inventory-sync/demo-state.json" } else { "data/inventory-sync/state.json" };
        StateFile::new(self.state.clone().unwrap_or_else(|| PathBuf::from(default_state)))
    }
}

/// The token `serve --demo` accepts when `FRONTDESK_SYNC_TOKEN` is not set.
/// Published here, so it protects nothing: demo use only.
const DEMO_SYNC_TOKEN: &str = "frontdesk-demo-sync-token";

/// A problem and its exit code.
struct Failure {
    code: u8,
    message: String,
}

fn usage(message: impl Into<String>) -> Failure {
    Failure { code: 2, message: message.into() }
}

fn failed(message: impl std::fmt::Display) -> Failure {
    Failure { code: 1, message: message.to_string() }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn,inventory_sync=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("inventory-sync: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let sink = sink(&cli.target)?;
    match cli.command {
        Command::Sync(args) => {
            let (source, _demo_server) =
                if args.demo { demo_source(sink.as_ref()).await? } else { (lightspeed_source()?, None) };
            let state = args.state_file();
            let options = SyncOptions { outlet: args.outlet };
            let report = sync_once(source.as_ref(), sink.as_ref(), &state, &options, chrono::Utc::now())
                .await
                .map_err(failed)?;
            print_report(&report, &cli.target);
            Ok(())
        }
        Command::Serve { sync, addr, every } => serve(Arc::from(sink), sync, addr, every).await,
        Command::ImportCsv { file } => import(sink.as_ref(), &file).await,
        Command::ExportCsv { file } => export(sink.as_ref(), &file).await,
    }
}

/// The web page, and a sync at startup and every `every`, until Ctrl-C or
/// SIGTERM; a sync still running then is allowed to finish.
async fn serve(sink: Arc<dyn SheetSink>, args: SyncArgs, addr: SocketAddr, every: Duration) -> Result<(), Failure> {
    let (source, _demo_server) =
        if args.demo { demo_source(sink.as_ref()).await? } else { (lightspeed_source()?, None) };
    let configured_token = env("FRONTDESK_SYNC_TOKEN");
    let prefill_token = args.demo && configured_token.is_none();
    let sync_token = match configured_token {
        Some(token) => Some(SecretString::from(token)),
        None if args.demo => {
            eprintln!(
                "warning: FRONTDESK_SYNC_TOKEN is not set; `serve --demo` accepts the dev-only token \"{DEMO_SYNC_TOKEN}\" \
                 (filled into the page's form). Never use it outside a demo."
            );
            Some(SecretString::from(DEMO_SYNC_TOKEN.to_owned()))
        }
        None => {
            eprintln!(
                "note: FRONTDESK_SYNC_TOKEN is not set, so the page has no Sync now button (scheduled syncs run)"
            );
            None
        }
    };
    let state = args.state_file();
    let options = SyncOptions { outlet: args.outlet };
    let syncer = Syncer::new(Arc::from(source), Arc::clone(&sink), state, options, Arc::new(SystemClock));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| usage(format!("cannot listen on {addr} (--addr, FRONTDESK_INVENTORY_ADDR): {e}")))?;
    let listening = listener.local_addr().unwrap_or(addr);
    let schedule = tokio::spawn(sync_every(Arc::clone(&syncer), every));
    println!("inventory page on http://{listening}/ (syncing now, then every {})", format_every(every));
    let app = router(Arc::clone(&syncer), sink, WebConfig { sync_token, prefill_token });
    let served = axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await;
    schedule.abort();
    syncer.wait_idle().await;
    served.map_err(|e| failed(format!("the web server stopped: {e}")))
}

async fn shutdown_signal() {
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
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}

fn sink(target: &Target) -> Result<Box<dyn SheetSink>, Failure> {
    let Some(spreadsheet) = &target.spreadsheet else {
        return Ok(Box::new(LocalWorkbook::new(&target.workbook)));
    };
    let key_file = std::env::var_os("FRONTDESK_GOOGLE_SERVICE_ACCOUNT_FILE").ok_or_else(|| {
        usage("FRONTDESK_GOOGLE_SERVICE_ACCOUNT_FILE is required with --spreadsheet (the service account's JSON key)")
    })?;
    let key = ServiceAccountKey::from_file(&key_file)
        .map_err(|e| usage(format!("FRONTDESK_GOOGLE_SERVICE_ACCOUNT_FILE: {e}")))?;
    let mut config = GoogleSheetsConfig::new(spreadsheet.clone(), key);
    if let Ok(base) = std::env::var("FRONTDESK_SHEETS_BASE_URL") {
        config.api_base = base.trim_end_matches('/').to_owned();
    }
    let sheets = GoogleSheets::new(config, Arc::new(SystemClock)).map_err(|e| usage(format!("--spreadsheet: {e}")))?;
    Ok(Box::new(sheets))
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The real till, from `FRONTDESK_LIGHTSPEED_*`.
fn lightspeed_source() -> Result<Box<dyn InventorySource>, Failure> {
    let prefix = env("FRONTDESK_LIGHTSPEED_DOMAIN_PREFIX");
    let mut config = match (env(frontdesk_lightspeed::BASE_URL_ENV), &prefix) {
        (Some(base), _) => LightspeedConfig::with_base_url(base),
        (None, Some(prefix)) => LightspeedConfig::for_domain_prefix(prefix)
            .map_err(|e| usage(format!("FRONTDESK_LIGHTSPEED_DOMAIN_PREFIX: {e}")))?,
        (None, None) => {
            return Err(usage(
                "set FRONTDESK_LIGHTSPEED_DOMAIN_PREFIX (or FRONTDESK_LIGHTSPEED_BASE_URL) and FRONTDESK_LIGHTSPEED_TOKEN, or try `sync --demo`",
            ));
        }
    };
    config.user_agent = format!("frontdesk-inventory-sync/{}", env!("CARGO_PKG_VERSION"));
    let clock = Arc::new(SystemClock);
    let tokens: Arc<dyn frontdesk_lightspeed::AccessTokenProvider> =
        match (env(frontdesk_lightspeed::TOKEN_ENV), env("FRONTDESK_LIGHTSPEED_CLIENT_ID")) {
            (Some(token), _) => Arc::new(
                PersonalToken::new(SecretString::from(token))
                    .map_err(|e| usage(format!("{}: {e}", frontdesk_lightspeed::TOKEN_ENV)))?,
            ),
            (None, Some(client_id)) => {
                let secret = env("FRONTDESK_LIGHTSPEED_CLIENT_SECRET").ok_or_else(|| {
                    usage("FRONTDESK_LIGHTSPEED_CLIENT_SECRET is required with FRONTDESK_LIGHTSPEED_CLIENT_ID")
                })?;
                let store = env("FRONTDESK_LIGHTSPEED_REFRESH_TOKEN_FILE")
                    .unwrap_or_else(|| "data/inventory-sync/lightspeed-refresh-token".to_owned());
                let oauth = match (env("FRONTDESK_LIGHTSPEED_TOKEN_URL"), &prefix) {
                    (Some(url), _) => OAuthConfig::with_token_url(url, client_id, SecretString::from(secret)),
                    (None, Some(prefix)) => {
                        OAuthConfig::for_domain_prefix(prefix, client_id, SecretString::from(secret))
                            .map_err(|e| usage(format!("FRONTDESK_LIGHTSPEED_DOMAIN_PREFIX: {e}")))?
                    }
                    (None, None) => {
                        return Err(usage(
                            "OAuth needs FRONTDESK_LIGHTSPEED_DOMAIN_PREFIX or FRONTDESK_LIGHTSPEED_TOKEN_URL",
                        ));
                    }
                };
                Arc::new(
                    OAuthTokens::new(oauth, Arc::new(FileRefreshTokenStore::new(store)), clock.clone())
                        .map_err(|e| usage(format!("Lightspeed OAuth: {e}")))?,
                )
            }
            (None, None) => {
                return Err(usage(format!(
                    "{} (a personal token) or FRONTDESK_LIGHTSPEED_CLIENT_ID (OAuth) is required, or try `sync --demo`",
                    frontdesk_lightspeed::TOKEN_ENV
                )));
            }
        };
    let source = LightspeedSource::new(config, tokens, clock).map_err(|e| usage(format!("Lightspeed: {e}")))?;
    Ok(Box::new(source))
}

/// The demo shop: the fake Lightspeed API on a local port, for this run.
/// A workbook with no Inventory yet first gets the shop's shelf locations
/// (the column the owner keeps), which every sync then leaves alone.
async fn demo_source(
    sink: &dyn SheetSink,
) -> Result<(Box<dyn InventorySource>, Option<tokio::task::JoinHandle<()>>), Failure> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(failed)?;
    let addr = listener.local_addr().map_err(failed)?;
    let catalog = DemoCatalog::generate(inventory_sync::demo::DEMO_SEED, inventory_sync::demo::demo_now());
    let existing = sink.read(&[INVENTORY_SHEET]).await.map_err(failed)?;
    if existing.iter().all(|sheet| sheet.rows.is_empty()) {
        let shelves = Sheet { name: INVENTORY_SHEET.to_owned(), rows: catalog.shelf_rows() };
        sink.write(&[shelves]).await.map_err(failed)?;
    }
    let server = tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, fake_lightspeed(catalog)).await {
            tracing::error!(%error, "the demo Lightspeed API stopped");
        }
    });
    let mut config = LightspeedConfig::with_base_url(format!("http://{addr}/api/2.0"));
    config.user_agent = "frontdesk-inventory-sync-demo".to_owned();
    let token = PersonalToken::new(SecretString::from("demo".to_owned())).map_err(|e| failed(e.to_string()))?;
    let source = LightspeedSource::new(config, Arc::new(token), Arc::new(SystemClock)).map_err(failed)?;
    Ok((Box::new(source), Some(server)))
}

fn print_report(report: &SyncReport, target: &Target) {
    let written_to = match &target.spreadsheet {
        Some(id) => format!("Google Sheet {id}"),
        None => target.workbook.display().to_string(),
    };
    println!("{} to {written_to}", report.summary());
    for unknown in &report.sales.unknown {
        println!("warning: {unknown}");
    }
    for clamp in &report.sales.clamped {
        println!("warning: {clamp}");
    }
    for problem in &report.merge.problems {
        println!("warning: {problem}");
    }
    for warning in &report.config_warnings {
        println!("warning: Config: {warning}");
    }
}

async fn import(sink: &dyn SheetSink, file: &PathBuf) -> Result<(), Failure> {
    let text = std::fs::read_to_string(file).map_err(|e| usage(format!("cannot read {}: {e}", file.display())))?;
    let imported = import_csv(&text)
        .map_err(|errors| usage(format!("{} is not valid, nothing was imported:\n{errors}", file.display())))?;
    for warning in &imported.warnings {
        eprintln!("warning: {warning}");
    }
    let mut rows = imported.rows;
    sort_rows(&mut rows);
    let sheets = sink.read(&[CONFIG_SHEET, SALES_LOG_SHEET]).await.map_err(failed)?;
    let (config, _) = read_config(&sheets[0].rows);
    let log =
        read_sales_log(&sheets[1].rows).map_err(|e| failed(format!("the SalesLog worksheet cannot be read:\n{e}")))?;
    let restock = restock_list(&rows, &log, &config, chrono::Utc::now());
    sink.write(&[
        Sheet { name: INVENTORY_SHEET.to_owned(), rows: inventory_sheet_rows(&rows) },
        Sheet { name: RESTOCK_SHEET.to_owned(), rows: restock_sheet_rows(&restock) },
    ])
    .await
    .map_err(failed)?;
    println!("imported {} rows from {}", rows.len(), file.display());
    Ok(())
}

async fn export(sink: &dyn SheetSink, file: &PathBuf) -> Result<(), Failure> {
    let sheets = sink.read(&[INVENTORY_SHEET]).await.map_err(failed)?;
    let inventory =
        read_inventory(&sheets[0].rows).map_err(|e| failed(format!("the Inventory worksheet cannot be read:\n{e}")))?;
    let text = export_csv(&inventory.rows);
    if file.as_os_str() == "-" {
        print!("{text}");
        return Ok(());
    }
    let dir = file.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        let mut temp = tempfile::NamedTempFile::new_in(dir)?;
        temp.write_all(text.as_bytes())?;
        temp.as_file().sync_all()?;
        temp.persist(file).map_err(|e| e.error)?;
        Ok(())
    };
    write().map_err(|e| usage(format!("cannot write {}: {e}", file.display())))?;
    eprintln!("exported {} rows to {}", inventory.rows.len(), file.display());
    Ok(())
}
