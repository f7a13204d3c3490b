//! `inventory-sync`: keeps the owner's workbook true to the Lightspeed till.
//!
//! Exit codes: 0 success; 1 the sync failed (the till or the workbook
//! refused, nothing half-written); 2 bad usage or bad input (a CSV that does
//! not validate, a missing setting).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use frontdesk_core::{Clock, SystemClock};
use frontdesk_inventory::{
    CONFIG_SHEET, INVENTORY_SHEET, InventorySource, RESTOCK_SHEET, SALES_LOG_SHEET, Sheet, SheetSink, SyncKey,
    SyncOptions, SyncReport, SyncStores, export_csv, import_csv, inventory_sheet_rows, read_config, read_inventory,
    read_sales_log, restock_list, restock_sheet_rows, sort_rows, sync_once,
};
use frontdesk_lightspeed::{
    LightspeedConfig, LightspeedSource, OAuthConfig, OAuthTokens, PersonalToken, StoredRefreshToken, connect_url,
};
use frontdesk_runtime::telemetry::init_telemetry;
use frontdesk_runtime::{Backend, open_backend, shutdown_signal};
use frontdesk_sheets::{GoogleSheets, GoogleSheetsConfig, LocalWorkbook, ServiceAccountKey};
use inventory_sync::demo::{DemoCatalog, fake_lightspeed};
use inventory_sync::settings::{InventorySettings, LightspeedSettings};
use inventory_sync::web::{LightspeedConnect, Syncer, WebConfig, format_every, parse_every, router, sync_every};
use secrecy::SecretString;

#[derive(Debug, Parser)]
#[command(
    name = "inventory-sync",
    version,
    about = "Mirror a Lightspeed X-Series till into the owner's workbook",
    after_help = "Settings come from frontdesk.toml (or FRONTDESK_CONFIG_FILE) and FRONTDESK_* variables; \
                  flags override them (README.md, Inventory sync)."
)]
struct Cli {
    #[command(flatten)]
    target: Target,
    #[command(subcommand)]
    command: Command,
}

/// Where the workbook is: a local directory of CSV files, or a Google Sheet.
#[derive(Debug, clap::Args)]
struct Target {
    /// The local workbook directory, one CSV file per worksheet
    /// [setting: FRONTDESK_WORKBOOK_DIR, default data/workbook].
    #[arg(long, global = true)]
    workbook: Option<PathBuf>,
    /// Write this Google Sheet instead of the local workbook
    /// [setting: FRONTDESK_SHEETS_SPREADSHEET_ID].
    #[arg(long, global = true)]
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
        /// Where the page listens [setting: FRONTDESK_INVENTORY_ADDR, default 127.0.0.1:8090].
        #[arg(long)]
        addr: Option<SocketAddr>,
        /// How often to sync: 15m, 1h, 1h30m, 1d (units s, m, h, d)
        /// [setting: FRONTDESK_SYNC_EVERY, default 1h].
        #[arg(long, value_parser = parse_every)]
        every: Option<Duration>,
    },
    /// Replace the Inventory worksheet with a CSV file's rows; nothing changes if the file is invalid.
    ImportCsv { file: PathBuf },
    /// Write the Inventory worksheet to a CSV file (`-` for standard output).
    ExportCsv { file: PathBuf },
    /// Connect the shop's till with OAuth: without `--code`, print the page
    /// where the owner approves; with it, store the refresh token.
    Connect {
        /// The `code` Lightspeed sent to the redirect URI.
        #[arg(long)]
        code: Option<String>,
        /// The redirect URI registered with the OAuth application
        /// [setting: FRONTDESK_LIGHTSPEED_REDIRECT_URI].
        #[arg(long)]
        redirect_uri: Option<String>,
    },
}

/// Where a sync reads from.
#[derive(Debug, clap::Args)]
struct SyncArgs {
    /// Use the built-in demo shop (a fake Lightspeed API), no credentials needed.
    #[arg(long)]
    demo: bool,
    /// Count only this outlet's stock and sales, default all outlets
    /// [setting: FRONTDESK_LIGHTSPEED_OUTLET_ID].
    #[arg(long)]
    outlet: Option<String>,
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
    let cli = Cli::parse();
    let settings = match InventorySettings::load() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("inventory-sync: {error}");
            return ExitCode::from(2);
        }
    };
    init_telemetry(settings.log_format);
    match run(cli, settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("inventory-sync: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

/// The settings with the command line's flags applied.
fn apply_flags(mut settings: InventorySettings, cli: &Cli) -> InventorySettings {
    if let Some(workbook) = &cli.target.workbook {
        settings.workbook_dir.clone_from(workbook);
    }
    if let Some(spreadsheet) = &cli.target.spreadsheet {
        settings.spreadsheet_id = Some(spreadsheet.clone());
    }
    let (sync, addr, every) = match &cli.command {
        Command::Sync(sync) => (Some(sync), None, None),
        Command::Serve { sync, addr, every } => (Some(sync), *addr, *every),
        _ => (None, None, None),
    };
    if let Some(outlet) = sync.and_then(|sync| sync.outlet.clone()) {
        settings.lightspeed.outlet_id = Some(outlet);
    }
    settings.addr = addr.unwrap_or(settings.addr);
    settings.every = every.unwrap_or(settings.every);
    if let Command::Connect { redirect_uri: Some(uri), .. } = &cli.command {
        settings.lightspeed.redirect_uri = Some(uri.clone());
    }
    settings
}

async fn run(cli: Cli, settings: InventorySettings) -> Result<(), Failure> {
    let settings = apply_flags(settings, &cli);
    let sink = sink(&settings)?;
    match cli.command {
        Command::Sync(args) => {
            let till = Till::plan(&settings, args.demo)?;
            let stores = Stores::open(&settings).await?;
            let (source, _demo_server) = till.source(sink.as_ref(), &stores, None).await?;
            let options =
                SyncOptions { key: sync_key(&till, &settings)?, outlet: settings.lightspeed.outlet_id.clone() };
            let report = sync_once(source.as_ref(), sink.as_ref(), &stores.sync(), &options, chrono::Utc::now())
                .await
                .map_err(failed)?;
            print_report(&report, &settings);
            Ok(())
        }
        Command::Serve { sync, .. } => serve(Arc::from(sink), &settings, sync.demo).await,
        Command::ImportCsv { file } => import(sink.as_ref(), &file).await,
        Command::ExportCsv { file } => export(sink.as_ref(), &file).await,
        Command::Connect { code, .. } => connect(&settings, code).await,
    }
}

/// The web page, and a sync at startup and every `every`, until Ctrl-C or
/// SIGTERM; a sync still running then is allowed to finish.
async fn serve(sink: Arc<dyn SheetSink>, settings: &InventorySettings, demo: bool) -> Result<(), Failure> {
    let access_token = match &settings.access_token {
        Some(token) => Some(token.clone()),
        None if demo => {
            eprintln!(
                "note: FRONTDESK_INVENTORY_ACCESS_TOKEN is not set; `serve --demo` shows the page to anyone who can reach it"
            );
            None
        }
        None => {
            return Err(usage(
                "FRONTDESK_INVENTORY_ACCESS_TOKEN is required to serve the page (it shows the stock and its value); \
                 `openssl rand -hex 32` makes one, and the page opens with http://HOST/?access=TOKEN"
                    .to_owned(),
            ));
        }
    };
    let till = Till::plan(settings, demo)?;
    let addr = settings.addr;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| usage(format!("cannot listen on {addr} (--addr, FRONTDESK_INVENTORY_ADDR): {e}")))?;
    let stores = Stores::open(settings).await?;
    // One set of OAuth tokens for the syncs and for connecting from the page.
    let oauth_tokens = match &till.auth {
        TillAuth::OAuth(oauth) => Some(till.oauth_tokens(oauth.clone(), &stores)?),
        TillAuth::Demo | TillAuth::Personal(_) => None,
    };
    let (source, _demo_server) = till.source(sink.as_ref(), &stores, oauth_tokens.clone()).await?;
    let lightspeed = match (&till.auth, oauth_tokens, &settings.lightspeed.redirect_uri) {
        (TillAuth::OAuth(oauth), Some(tokens), Some(redirect_uri)) => Some(LightspeedConnect {
            tokens,
            client_id: oauth.client_id.clone(),
            redirect_uri: redirect_uri.clone(),
            domain_prefix: settings.lightspeed.domain_prefix.clone(),
        }),
        (TillAuth::OAuth(_), _, None) => {
            eprintln!(
                "note: FRONTDESK_LIGHTSPEED_REDIRECT_URI is not set, so the page cannot connect the till \
                 (set it to this page's /lightspeed/callback, as registered with the OAuth application)"
            );
            None
        }
        _ => None,
    };
    let prefill_token = demo && settings.sync_token.is_none();
    let sync_token = match &settings.sync_token {
        Some(token) => Some(token.clone()),
        None if demo => {
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
    let options = SyncOptions { key: sync_key(&till, settings)?, outlet: settings.lightspeed.outlet_id.clone() };
    let syncer = Syncer::new(Arc::from(source), Arc::clone(&sink), stores.sync(), options, Arc::new(SystemClock)).await;
    let listening = listener.local_addr().unwrap_or(addr);
    let schedule = tokio::spawn(sync_every(Arc::clone(&syncer), settings.every));
    println!("inventory page on http://{listening}/ (syncing now, then every {})", format_every(settings.every));
    let config = WebConfig {
        sync_token,
        prefill_token,
        page_refresh: settings.page_refresh,
        access_token,
        shop_name: settings.shop_name.clone(),
        zone: settings.shop_timezone,
        lightspeed,
    };
    let app = router(Arc::clone(&syncer), sink, config);
    let served = axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await;
    schedule.abort();
    syncer.wait_idle().await;
    served.map_err(|e| failed(format!("the web server stopped: {e}")))
}

/// `connect`: the page to send the owner to, or the code traded for the
/// first refresh token (stored in the platform's store).
async fn connect(settings: &InventorySettings, code: Option<String>) -> Result<(), Failure> {
    let till = Till::plan(settings, false)?;
    let TillAuth::OAuth(oauth) = &till.auth else {
        return Err(usage(
            "connect is for OAuth: set FRONTDESK_LIGHTSPEED_CLIENT_ID and FRONTDESK_LIGHTSPEED_CLIENT_SECRET \
             (a personal token, FRONTDESK_LIGHTSPEED_TOKEN, needs no connecting)",
        ));
    };
    let redirect_uri = settings.lightspeed.redirect_uri.as_deref().ok_or_else(|| {
        usage("--redirect-uri (or FRONTDESK_LIGHTSPEED_REDIRECT_URI) is required: the redirect URI registered with the OAuth application")
    })?;
    let Some(code) = code.filter(|code| !code.trim().is_empty()) else {
        let state = format!("{:016x}", fastrand::u64(..));
        println!(
            "1. Open this page and approve the connection:\n   {}",
            connect_url(&oauth.client_id, redirect_uri, &state)
        );
        println!("2. Lightspeed then opens {redirect_uri}?code=…&domain_prefix=…&state={state}");
        println!("   (check that state is {state}), then run:\n   inventory-sync connect --code <code>");
        return Ok(());
    };
    let stores = Stores::open(settings).await?;
    let tokens = till.oauth_tokens(oauth.clone(), &stores)?;
    tokens.connect(&SecretString::from(code.trim().to_owned()), redirect_uri).await.map_err(failed)?;
    println!("connected {}: the refresh token is stored in the {} store", till.name, stores.backend.name);
    Ok(())
}

/// The platform's store, and the clock it was opened with.
struct Stores {
    backend: Backend,
    clock: Arc<dyn Clock>,
}

impl Stores {
    async fn open(settings: &InventorySettings) -> Result<Stores, Failure> {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let backend = open_backend(&settings.database, settings.database_max_connections, clock.clone())
            .await
            .map_err(|e| failed(format!("the store (FRONTDESK_DATABASE_URL): {e:#}")))?;
        Ok(Stores { backend, clock })
    }

    fn sync(&self) -> SyncStores {
        SyncStores { state: self.backend.sync_state.clone(), levels: self.backend.stock_levels.clone() }
    }
}

/// Which till a sync reads, checked before anything is opened or written.
struct Till {
    /// `demo`, or `lightspeed:<domain prefix or base URL>`.
    name: String,
    config: Option<LightspeedConfig>,
    auth: TillAuth,
    /// `FRONTDESK_LIGHTSPEED_REFRESH_TOKEN`, stored when the store has none.
    seed: Option<SecretString>,
}

enum TillAuth {
    Demo,
    Personal(SecretString),
    OAuth(OAuthConfig),
}

impl Till {
    /// The real till from `FRONTDESK_LIGHTSPEED_*`, or the demo shop.
    fn plan(settings: &InventorySettings, demo: bool) -> Result<Till, Failure> {
        if demo {
            return Ok(Till { name: "demo".to_owned(), config: None, auth: TillAuth::Demo, seed: None });
        }
        let LightspeedSettings { domain_prefix, base_url, token, client_id, client_secret, token_url, .. } =
            &settings.lightspeed;
        let (mut config, name) = match (base_url, domain_prefix) {
            (Some(base), _) => (LightspeedConfig::with_base_url(base.clone()), base.clone()),
            (None, Some(prefix)) => (
                LightspeedConfig::for_domain_prefix(prefix)
                    .map_err(|e| usage(format!("FRONTDESK_LIGHTSPEED_DOMAIN_PREFIX: {e}")))?,
                prefix.clone(),
            ),
            (None, None) => {
                return Err(usage(
                    "set FRONTDESK_LIGHTSPEED_DOMAIN_PREFIX (or FRONTDESK_LIGHTSPEED_BASE_URL) and FRONTDESK_LIGHTSPEED_TOKEN, or try `sync --demo`",
                ));
            }
        };
        config.user_agent = format!("frontdesk-inventory-sync/{}", env!("CARGO_PKG_VERSION"));
        let auth = match (token, client_id) {
            (Some(token), _) => TillAuth::Personal(token.clone()),
            (None, Some(client_id)) => {
                let secret = client_secret.clone().ok_or_else(|| {
                    usage("FRONTDESK_LIGHTSPEED_CLIENT_SECRET is required with FRONTDESK_LIGHTSPEED_CLIENT_ID")
                })?;
                TillAuth::OAuth(match (token_url, domain_prefix) {
                    (Some(url), _) => OAuthConfig::with_token_url(url.clone(), client_id.clone(), secret),
                    (None, Some(prefix)) => OAuthConfig::for_domain_prefix(prefix, client_id.clone(), secret)
                        .map_err(|e| usage(format!("FRONTDESK_LIGHTSPEED_DOMAIN_PREFIX: {e}")))?,
                    (None, None) => {
                        return Err(usage(
                            "OAuth needs FRONTDESK_LIGHTSPEED_DOMAIN_PREFIX or FRONTDESK_LIGHTSPEED_TOKEN_URL",
                        ));
                    }
                })
            }
            (None, None) => {
                return Err(usage(format!(
                    "{} (a personal token) or FRONTDESK_LIGHTSPEED_CLIENT_ID (OAuth) is required, or try `sync --demo`",
                    frontdesk_lightspeed::TOKEN_ENV
                )));
            }
        };
        Ok(Till {
            name: format!("lightspeed:{name}"),
            config: Some(config),
            auth,
            seed: settings.lightspeed.refresh_token.clone(),
        })
    }

    /// The key the till's refresh token is stored under.
    fn credential_key(&self) -> Result<SyncKey, Failure> {
        SyncKey::parse(&self.name).map_err(|e| usage(format!("the till's name {:?}: {e}", self.name)))
    }

    /// OAuth tokens whose refresh token lives in the store. A refresh token
    /// from the settings seeds an empty store once; after that the stored
    /// one (rotated on every refresh) is the only valid one.
    fn oauth_tokens(&self, oauth: OAuthConfig, stores: &Stores) -> Result<Arc<OAuthTokens>, Failure> {
        let refresh_tokens =
            StoredRefreshToken::new(stores.backend.credentials.clone(), self.credential_key()?, stores.clock.clone());
        OAuthTokens::new(oauth, Arc::new(refresh_tokens), stores.clock.clone())
            .map(Arc::new)
            .map_err(|e| usage(format!("Lightspeed OAuth: {e}")))
    }

    async fn seed_refresh_token(&self, stores: &Stores) -> Result<(), Failure> {
        let Some(seed) = &self.seed else { return Ok(()) };
        let key = self.credential_key()?;
        let stored = stores.backend.credentials.load_credential(&key).await.map_err(failed)?;
        if stored.is_none() {
            stores.backend.credentials.save_credential(&key, seed, stores.clock.now()).await.map_err(failed)?;
            tracing::info!(till = %self.name, "stored the refresh token from FRONTDESK_LIGHTSPEED_REFRESH_TOKEN");
        }
        Ok(())
    }

    /// The till to read. With OAuth, `oauth_tokens` when the caller shares
    /// them (the page connects the till with the same ones), else new ones.
    async fn source(
        &self,
        sink: &dyn SheetSink,
        stores: &Stores,
        oauth_tokens: Option<Arc<OAuthTokens>>,
    ) -> Result<(Box<dyn InventorySource>, Option<tokio::task::JoinHandle<()>>), Failure> {
        let (config, tokens): (_, Arc<dyn frontdesk_lightspeed::AccessTokenProvider>) = match (&self.auth, &self.config)
        {
            (TillAuth::Demo, _) | (_, None) => return demo_source(sink).await,
            (TillAuth::Personal(token), Some(config)) => (
                config.clone(),
                Arc::new(
                    PersonalToken::new(token.clone())
                        .map_err(|e| usage(format!("{}: {e}", frontdesk_lightspeed::TOKEN_ENV)))?,
                ),
            ),
            (TillAuth::OAuth(oauth), Some(config)) => {
                self.seed_refresh_token(stores).await?;
                let tokens = match oauth_tokens {
                    Some(tokens) => tokens,
                    None => self.oauth_tokens(oauth.clone(), stores)?,
                };
                (config.clone(), tokens)
            }
        };
        let source = LightspeedSource::new(config, tokens, stores.clock.clone())
            .map_err(|e| usage(format!("Lightspeed: {e}")))?;
        Ok((Box::new(source), None))
    }
}
fn sink(settings: &InventorySettings) -> Result<Box<dyn SheetSink>, Failure> {
    let Some(spreadsheet) = &settings.spreadsheet_id else {
        return Ok(Box::new(LocalWorkbook::new(&settings.workbook_dir)));
    };
    let key_file = settings.google_service_account_file.as_ref().ok_or_else(|| {
        usage("FRONTDESK_GOOGLE_SERVICE_ACCOUNT_FILE is required with --spreadsheet (the service account's JSON key)")
    })?;
    let key = ServiceAccountKey::from_file(key_file)
        .map_err(|e| usage(format!("FRONTDESK_GOOGLE_SERVICE_ACCOUNT_FILE: {e}")))?;
    let mut config = GoogleSheetsConfig::new(spreadsheet.clone(), key);
    if let Some(base) = &settings.sheets_base_url {
        config.api_base = base.trim_end_matches('/').to_owned();
    }
    let sheets = GoogleSheets::new(config, Arc::new(SystemClock)).map_err(|e| usage(format!("--spreadsheet: {e}")))?;
    Ok(Box::new(sheets))
}

/// The connection's key: the till (and outlet) and the workbook. A sync
/// pointed at another workbook starts from the beginning.
fn sync_key(till: &Till, settings: &InventorySettings) -> Result<SyncKey, Failure> {
    let outlet = settings.lightspeed.outlet_id.as_deref().map(|id| format!("@{id}")).unwrap_or_default();
    let target = match &settings.spreadsheet_id {
        Some(id) => format!("sheets:{id}"),
        None => {
            let dir = std::path::absolute(&settings.workbook_dir).unwrap_or_else(|_| settings.workbook_dir.clone());
            format!("workbook:{}", dir.display())
        }
    };
    let key = format!("{}{outlet}|{target}", till.name);
    SyncKey::parse(&key).map_err(|e| usage(format!("the sync's key {key:?}: {e}")))
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

fn print_report(report: &SyncReport, settings: &InventorySettings) {
    let written_to = match &settings.spreadsheet_id {
        Some(id) => format!("Google Sheet {id}"),
        None => settings.workbook_dir.display().to_string(),
    };
    println!("{} ({written_to})", report.summary());
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

async fn import(sink: &dyn SheetSink, file: &Path) -> Result<(), Failure> {
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

async fn export(sink: &dyn SheetSink, file: &Path) -> Result<(), Failure> {
    let sheets = sink.read(&[INVENTORY_SHEET]).await.map_err(failed)?;
    let inventory =
        read_inventory(&sheets[0].rows).map_err(|e| failed(format!("the Inventory worksheet cannot be read:\n{e}")))?;
    let text = export_csv(&inventory.rows);
    if file.as_os_str() == "-" {
        print!("{text}");
        return Ok(());
    }
    let dir = file.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
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
