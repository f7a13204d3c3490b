//! Configuration: defaults → optional `frontdesk.toml` → `FRONTDESK_*`
//! environment variables, then checked into a typed [`Settings`]. One
//! struct for every process, since they share one environment file.
//!
//! Every problem is reported at once, naming the environment variable to set.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// The file read from the working directory unless `FRONTDESK_CONFIG_FILE`
/// names another one.
pub const DEFAULT_CONFIG_FILE: &str = "frontdesk.toml";

/// The embedded store: a SQLite file under `data/`.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/frontdesk.db";

/// Checked settings for Frontdesk's processes.
#[derive(Debug)]
pub struct Settings {
    pub http_addr: SocketAddr,
    pub database: DatabaseUrl,
    /// `FRONTDESK_DATABASE_MAX_CONNECTIONS`: this process's pool size;
    /// `None` is the backend's default.
    pub database_max_connections: Option<u32>,
    pub redis_url: Option<SecretString>,
    pub public_base_url: url::Url,
    pub twilio_auth_token: SecretString,
    pub admin_jwt_secret: SecretString,
    pub demo: bool,
    pub log_format: LogFormat,
    pub request_timeout: Duration,
    pub body_limit_bytes: usize,
    /// Whether `voice-gateway` also runs the job worker in its own process
    /// (`FRONTDESK_RUN_WORKER`; default: yes on SQLite, no on PostgreSQL,
    /// where `worker` processes do it).
    pub run_worker: bool,
    pub worker_concurrency: usize,
    /// Threads of the process's async runtime (`FRONTDESK_RUNTIME_THREADS`;
    /// default: one on SQLite, whose writes all go through one connection,
    /// so a second thread mostly waits for it; one per core on PostgreSQL).
    pub runtime_threads: usize,
    pub worker_lease_secs: u32,
    pub worker_poll_ms: u64,
    pub worker_shutdown_grace_secs: u64,
    /// How long a slot read back to a caller stays held for them.
    pub hold_minutes: u32,
    /// How long a call may talk with the realtime voice model before it
    /// goes on without it, with the offer of a person
    /// (`FRONTDESK_REALTIME_CALL_CAP_MINUTES`; default
    /// [`frontdesk_routing::REALTIME_CALL_CAP`], 8 minutes).
    pub realtime_call_cap: Duration,
    /// The bearer token a scraper presents to read the gateway's
    /// `/metrics` (`FRONTDESK_METRICS_TOKEN`); without it nothing is served
    /// there.
    pub metrics_token: Option<SecretString>,
    /// Twilio account for sending texts; without it texts go to the embedded outbox.
    pub twilio_account_sid: Option<String>,
    /// Override of `https://api.twilio.com` (tests, proxies).
    pub twilio_api_base_url: Option<String>,
    /// Override of `https://numbers.twilio.com` (porting).
    pub twilio_numbers_base_url: Option<String>,
    /// Override of `https://messaging.twilio.com` (texting registration).
    pub twilio_messaging_base_url: Option<String>,
    /// Override of `https://trusthub.twilio.com` (the bundles behind a brand).
    pub twilio_trusthub_base_url: Option<String>,
    /// Where a bought number sends a call when the gateway does not answer
    /// (`FRONTDESK_VOICE_FALLBACK_URL`): off the gateway's host, `{owner}`
    /// replaced by the owner's phone; without it numbers are not bought.
    pub voice_fallback_url: Option<String>,
    /// Google Calendar: the platform's service-account key file.
    pub google_service_account_file: Option<PathBuf>,
    /// Google Calendar: a directory of per-tenant key files, `<slug>.json`.
    pub google_tenant_keys_dir: Option<PathBuf>,
    /// Google Calendar API base URL (tests point it at a fake).
    pub google_calendar_base_url: Option<String>,
    /// The signing secret (`whsec_…`) of Stripe's webhook endpoint. Required:
    /// a gateway never accepts unsigned billing events.
    pub stripe_webhook_secret: SecretString,
    /// Stripe's API: customers, subscriptions and meter events are created by
    /// jobs only when the secret key is set.
    pub stripe: Option<StripeSettings>,
    /// OpenAI (or a compatible server) for the shop's knowledge: embeddings
    /// of passages and questions, only when the API key is set.
    pub openai: Option<OpenAiSettings>,
    /// What things cost us: the default rates with `FRONTDESK_RATE_CARD`
    /// applied, and the standard token prices with `FRONTDESK_AI_PRICES`
    /// applied (every configured model has a price). Each usage record is
    /// costed from it.
    pub rate_card: frontdesk_billing::RateCard,
    /// How long a tenant may stay past due before AI answering is suspended.
    pub payment_grace: Duration,
    /// The operators' alert channels and the SMTP server (`FRONTDESK_OPS_*`,
    /// `FRONTDESK_SMTP_*`).
    pub notifications: crate::notify::NotificationSettings,
    /// Things worth a warning once logging is up (dev defaults filled in).
    pub warnings: Vec<String>,
    /// The configuration file read, if any (for the startup log).
    pub config_file: Option<PathBuf>,
}

/// OpenAI, or any OpenAI-compatible server by base URL
/// (`FRONTDESK_OPENAI_API_KEY`, `…_BASE_URL`, `…_EMBEDDING_MODEL`,
/// `…_EMBEDDING_DIMENSIONS`, `…_CHAT_MODEL`, `…_REALTIME_URL`,
/// `…_REALTIME_MODEL`, `…_TRANSCRIBE_MODEL`).
#[derive(Debug, Clone)]
pub struct OpenAiSettings {
    pub api_key: SecretString,
    /// Default: OpenAI's (`https://api.openai.com/v1`).
    pub base_url: Option<String>,
    /// Default: `text-embedding-3-small`.
    pub embed_model: Option<String>,
    /// Default: 512 for OpenAI's `-3-` models.
    pub embed_dims: Option<usize>,
    /// The language model's name (default: the adapter's).
    pub chat_model: Option<String>,
    /// The Realtime API's WebSocket URL; default: derived from the base
    /// URL (`https`→`wss`, `…/realtime`).
    pub realtime_url: Option<String>,
    /// The voice model's name (default: the adapter's).
    pub realtime_model: Option<String>,
    /// The model that transcribes messages left (default:
    /// `gpt-4o-mini-transcribe`).
    pub transcribe_model: Option<String>,
}

/// Stripe's API, when billing through Stripe is switched on
/// (`FRONTDESK_STRIPE_SECRET_KEY`).
#[derive(Debug, Clone)]
pub struct StripeSettings {
    pub secret_key: SecretString,
    /// Override of `https://api.stripe.com` (tests).
    pub api_base_url: Option<String>,
    /// Each plan's flat monthly price (`FRONTDESK_STRIPE_PRICE_STARTER`, …).
    pub plan_prices: Vec<(frontdesk_core::Plan, String)>,
    /// Metered prices added to every subscription (`FRONTDESK_STRIPE_METERED_PRICES`, comma-separated).
    pub metered_prices: Vec<String>,
    /// Billing Meter event names for minutes, SMS segments and LLM tokens.
    pub meter_minutes: String,
    pub meter_sms: String,
    pub meter_tokens: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl LogFormat {
    /// `text` or `json`; the error names `FRONTDESK_LOG_FORMAT`.
    pub fn parse(raw: &str) -> Result<LogFormat, String> {
        match raw {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(format!("FRONTDESK_LOG_FORMAT: {other:?} is not one of \"text\", \"json\"")),
        }
    }
}

/// Which store backend, chosen by the URL's scheme.
#[derive(Clone)]
pub enum DatabaseUrl {
    Sqlite(String),
    Postgres(SecretString),
}

impl DatabaseUrl {
    pub fn backend_name(&self) -> &'static str {
        match self {
            DatabaseUrl::Sqlite(_) => "sqlite",
            DatabaseUrl::Postgres(_) => "postgres",
        }
    }

    /// Chooses the backend by scheme; the error names `FRONTDESK_DATABASE_URL`.
    pub fn parse(raw: &str) -> Result<DatabaseUrl, String> {
        if raw.starts_with("sqlite:") {
            Ok(DatabaseUrl::Sqlite(raw.to_owned()))
        } else if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            Ok(DatabaseUrl::Postgres(SecretString::from(raw.to_owned())))
        } else {
            let scheme = raw.split_once(':').map(|(scheme, _)| scheme).unwrap_or(raw);
            Err(format!(
                "FRONTDESK_DATABASE_URL: unsupported database {scheme:?}; accepted are sqlite:<path> \
                 (embedded, e.g. sqlite://data/frontdesk.db) and postgres://user@host:5432/db \
                 (or postgresql://)"
            ))
        }
    }
}

/// Shows the URL with any password masked.
impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(url) => write!(f, "Sqlite({url:?})"),
            DatabaseUrl::Postgres(url) => write!(f, "Postgres({:?})", redact_password(url.expose_secret())),
        }
    }
}

fn redact_password(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        Ok(url) => url.to_string(),
        Err(_) => "(unparseable URL)".to_owned(),
    }
}

/// What the sources say, before checking.
#[derive(Deserialize)]
struct RawSettings {
    http_addr: String,
    database_url: String,
    database_max_connections: Option<u32>,
    redis_url: Option<SecretString>,
    public_base_url: Option<String>,
    twilio_auth_token: Option<SecretString>,
    admin_jwt_secret: Option<SecretString>,
    demo: bool,
    log_format: String,
    request_timeout_secs: u64,
    body_limit_bytes: usize,
    run_worker: Option<bool>,
    worker_concurrency: usize,
    runtime_threads: Option<usize>,
    worker_lease_secs: u32,
    worker_poll_ms: u64,
    worker_shutdown_grace_secs: u64,
    hold_minutes: u32,
    realtime_call_cap_minutes: Option<u32>,
    metrics_token: Option<SecretString>,
    twilio_account_sid: Option<String>,
    twilio_api_base_url: Option<String>,
    twilio_numbers_base_url: Option<String>,
    twilio_messaging_base_url: Option<String>,
    twilio_trusthub_base_url: Option<String>,
    voice_fallback_url: Option<String>,
    google_service_account_file: Option<PathBuf>,
    google_tenant_keys_dir: Option<PathBuf>,
    google_calendar_base_url: Option<String>,
    stripe_webhook_secret: Option<SecretString>,
    stripe_secret_key: Option<SecretString>,
    openai_api_key: Option<SecretString>,
    openai_base_url: Option<String>,
    openai_embedding_model: Option<String>,
    openai_embedding_dimensions: Option<usize>,
    openai_chat_model: Option<String>,
    openai_realtime_url: Option<String>,
    openai_realtime_model: Option<String>,
    openai_transcribe_model: Option<String>,
    ai_prices: Option<String>,
    rate_card: Option<String>,
    stripe_api_base_url: Option<String>,
    stripe_price_starter: Option<String>,
    stripe_price_core: Option<String>,
    stripe_price_pro: Option<String>,
    stripe_price_enterprise: Option<String>,
    stripe_metered_prices: Option<String>,
    stripe_meter_minutes: String,
    stripe_meter_sms: String,
    stripe_meter_tokens: String,
    payment_grace_days: u32,
}

/// Why settings could not be loaded: every problem, one per line.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration:\n  - {}", .0.join("\n  - "))]
pub struct SettingsError(pub Vec<String>);

const DEMO_ADMIN_SECRET: &str = "frontdesk-demo-admin-secret-never-use-in-production";
const DEMO_TWILIO_TOKEN: &str = "frontdesk-demo-twilio-auth-token";
const DEMO_STRIPE_WEBHOOK_SECRET: &str = "whsec_frontdesk_demo_only";
const MIN_ADMIN_SECRET_BYTES: usize = 32;
const MIN_METRICS_TOKEN_BYTES: usize = 16;

/// Where settings come from, lowest precedence first: each process's
/// defaults, an optional TOML file, then `FRONTDESK_*` environment
/// variables. Every binary in `apps/` reads the same sources into its own
/// settings type, so one environment file configures them all.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    file: Option<(PathBuf, bool)>,
    env: HashMap<String, String>,
    /// The directory of the `frontdesk.toml` found above the working
    /// directory: relative SQLite paths are anchored there.
    anchor: Option<PathBuf>,
}

/// Every `FRONTDESK_*` variable some Frontdesk process reads (they share one
/// environment file), for warning about a misspelled one.
const KNOWN_VARIABLES: &[&str] = &[
    "FRONTDESK_CONFIG_FILE",
    "FRONTDESK_HTTP_ADDR",
    "FRONTDESK_DATABASE_URL",
    "FRONTDESK_DATABASE_MAX_CONNECTIONS",
    "FRONTDESK_REDIS_URL",
    "FRONTDESK_PUBLIC_BASE_URL",
    "FRONTDESK_TWILIO_AUTH_TOKEN",
    "FRONTDESK_ADMIN_JWT_SECRET",
    "FRONTDESK_DEMO",
    "FRONTDESK_LOG_FORMAT",
    "FRONTDESK_REQUEST_TIMEOUT_SECS",
    "FRONTDESK_BODY_LIMIT_BYTES",
    "FRONTDESK_RUN_WORKER",
    "FRONTDESK_WORKER_CONCURRENCY",
    "FRONTDESK_RUNTIME_THREADS",
    "FRONTDESK_WORKER_LEASE_SECS",
    "FRONTDESK_WORKER_POLL_MS",
    "FRONTDESK_WORKER_SHUTDOWN_GRACE_SECS",
    "FRONTDESK_HOLD_MINUTES",
    "FRONTDESK_REALTIME_CALL_CAP_MINUTES",
    "FRONTDESK_METRICS_TOKEN",
    "FRONTDESK_TWILIO_ACCOUNT_SID",
    "FRONTDESK_TWILIO_API_BASE_URL",
    "FRONTDESK_TWILIO_NUMBERS_BASE_URL",
    "FRONTDESK_TWILIO_MESSAGING_BASE_URL",
    "FRONTDESK_TWILIO_TRUSTHUB_BASE_URL",
    "FRONTDESK_VOICE_FALLBACK_URL",
    "FRONTDESK_GOOGLE_SERVICE_ACCOUNT_FILE",
    "FRONTDESK_GOOGLE_TENANT_KEYS_DIR",
    "FRONTDESK_GOOGLE_CALENDAR_BASE_URL",
    "FRONTDESK_STRIPE_WEBHOOK_SECRET",
    "FRONTDESK_STRIPE_SECRET_KEY",
    "FRONTDESK_OPENAI_API_KEY",
    "FRONTDESK_OPENAI_BASE_URL",
    "FRONTDESK_OPENAI_EMBEDDING_MODEL",
    "FRONTDESK_OPENAI_EMBEDDING_DIMENSIONS",
    "FRONTDESK_OPENAI_CHAT_MODEL",
    "FRONTDESK_OPENAI_REALTIME_URL",
    "FRONTDESK_OPENAI_REALTIME_MODEL",
    "FRONTDESK_OPENAI_TRANSCRIBE_MODEL",
    "FRONTDESK_AI_PRICES",
    "FRONTDESK_RATE_CARD",
    "FRONTDESK_STRIPE_API_BASE_URL",
    "FRONTDESK_STRIPE_PRICE_STARTER",
    "FRONTDESK_STRIPE_PRICE_CORE",
    "FRONTDESK_STRIPE_PRICE_PRO",
    "FRONTDESK_STRIPE_PRICE_ENTERPRISE",
    "FRONTDESK_STRIPE_METERED_PRICES",
    "FRONTDESK_STRIPE_METER_MINUTES",
    "FRONTDESK_STRIPE_METER_SMS",
    "FRONTDESK_STRIPE_METER_TOKENS",
    "FRONTDESK_PAYMENT_GRACE_DAYS",
    "FRONTDESK_OPS_SLACK_WEBHOOK_URL",
    "FRONTDESK_OPS_EMAIL",
    "FRONTDESK_SMTP_HOST",
    "FRONTDESK_SMTP_PORT",
    "FRONTDESK_SMTP_SECURITY",
    "FRONTDESK_SMTP_USERNAME",
    "FRONTDESK_SMTP_PASSWORD",
    "FRONTDESK_SMTP_FROM",
    "FRONTDESK_WORKBOOK_DIR",
    "FRONTDESK_SHEETS_SPREADSHEET_ID",
    "FRONTDESK_SHEETS_BASE_URL",
    "FRONTDESK_LIGHTSPEED_DOMAIN_PREFIX",
    "FRONTDESK_LIGHTSPEED_BASE_URL",
    "FRONTDESK_LIGHTSPEED_TOKEN",
    "FRONTDESK_LIGHTSPEED_CLIENT_ID",
    "FRONTDESK_LIGHTSPEED_CLIENT_SECRET",
    "FRONTDESK_LIGHTSPEED_TOKEN_URL",
    "FRONTDESK_LIGHTSPEED_REDIRECT_URI",
    "FRONTDESK_LIGHTSPEED_REFRESH_TOKEN",
    "FRONTDESK_LIGHTSPEED_OUTLET_ID",
    "FRONTDESK_INVENTORY_ADDR",
    "FRONTDESK_SYNC_EVERY",
    "FRONTDESK_SYNC_TOKEN",
    "FRONTDESK_INVENTORY_PAGE_REFRESH_SECS",
    "FRONTDESK_INVENTORY_ACCESS_TOKEN",
    "FRONTDESK_SHOP_NAME",
    "FRONTDESK_SHOP_TIMEZONE",
    "FRONTDESK_ADMIN_URL",
    "FRONTDESK_SIMULATE_GATEWAY",
    "FRONTDESK_BENCH_BEFORE_BIN",
    "FRONTDESK_ADMIN_ACTOR",
    "FRONTDESK_TEST_POSTGRES_URL",
    "FRONTDESK_TEST_REDIS_URL",
    "FRONTDESK_SCENARIOS",
];

/// `frontdesk.toml` in `dir` or the nearest directory above it.
fn find_config_upwards(dir: &Path) -> Option<PathBuf> {
    dir.ancestors().map(|d| d.join(DEFAULT_CONFIG_FILE)).find(|candidate| candidate.is_file())
}

/// Edits to turn `a` into `b` (for "did you mean").
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

impl Sources {
    /// The process environment and `frontdesk.toml` in the working directory
    /// (optional), or the file `FRONTDESK_CONFIG_FILE` names (required).
    ///
    /// Started from a subdirectory of the checkout, the nearest
    /// `frontdesk.toml` above it is used, and a relative SQLite path in it
    /// means the same file as from the checkout's root (not a second,
    /// empty database in the subdirectory).
    pub fn from_process() -> Sources {
        let env: HashMap<String, String> = std::env::vars().filter(|(k, _)| k.starts_with("FRONTDESK_")).collect();
        let working_directory = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        Sources::found_from(&working_directory, env)
    }

    /// As [`Sources::from_process`], for a process started in `dir` with `env`.
    pub fn found_from(dir: &Path, env: HashMap<String, String>) -> Sources {
        let (file, anchor) = match env.get("FRONTDESK_CONFIG_FILE") {
            Some(path) => ((PathBuf::from(path), true), None),
            None => match find_config_upwards(dir) {
                Some(found) => {
                    let anchor = found.parent().map(Path::to_path_buf);
                    ((found, true), anchor)
                }
                None => ((PathBuf::from(DEFAULT_CONFIG_FILE), false), None),
            },
        };
        Sources { file: Some(file), env, anchor }
    }

    /// The configuration file in use, if it exists.
    pub fn config_file(&self) -> Option<&Path> {
        self.file.as_ref().map(|(path, _)| path.as_path()).filter(|path| path.is_file())
    }

    /// A warning for each `FRONTDESK_*` variable no Frontdesk process reads,
    /// with the known one it is closest to.
    pub fn unknown_variables(&self) -> Vec<String> {
        let mut unknown: Vec<&String> =
            self.env.keys().filter(|key| !KNOWN_VARIABLES.contains(&key.as_str())).collect();
        unknown.sort();
        unknown
            .into_iter()
            .map(|key| {
                let closest = KNOWN_VARIABLES.iter().min_by_key(|known| edit_distance(key, known));
                match closest.filter(|known| edit_distance(key, known) <= 3) {
                    Some(known) => format!("{key} is not a Frontdesk setting; did you mean {known}?"),
                    None => format!("{key} is not a Frontdesk setting; it is ignored"),
                }
            })
            .collect()
    }

    /// A relative `sqlite:` URL anchored at the directory of the
    /// configuration file found above the working directory.
    pub fn anchored_database_url(&self, url: &str) -> String {
        let Some(anchor) = &self.anchor else { return url.to_owned() };
        let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"));
        match path {
            Some(path) if !path.starts_with('/') && !path.starts_with(':') && !path.is_empty() => {
                format!("sqlite://{}", anchor.join(path).display())
            }
            _ => url.to_owned(),
        }
    }

    /// Explicit sources (tests, embedding): `file` with whether it must
    /// exist, and the variables.
    pub fn new(file: Option<(&Path, bool)>, env: HashMap<String, String>) -> Sources {
        Sources { file: file.map(|(path, required)| (path.to_path_buf(), required)), env, anchor: None }
    }

    /// `defaults`, then the file, then the variables (`FRONTDESK_HTTP_ADDR`
    /// sets `http_addr`), deserialized into `T`. A value of the wrong type
    /// is reported with the variable to fix.
    pub fn layered<T: DeserializeOwned>(&self, defaults: &[(&str, &str)]) -> Result<T, SettingsError> {
        let mut builder = config::Config::builder();
        for (key, value) in defaults {
            builder = builder.set_default(*key, *value).map_err(|e| SettingsError(vec![e.to_string()]))?;
        }
        if let Some((path, required)) = &self.file {
            builder = builder
                .add_source(config::File::from(path.as_path()).format(config::FileFormat::Toml).required(*required));
        }
        let env: HashMap<String, String> = self
            .env
            .iter()
            .filter(|(key, _)| *key != "FRONTDESK_CONFIG_FILE")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        builder = builder.add_source(
            config::Environment::with_prefix("FRONTDESK").prefix_separator("_").separator("__").source(Some(env)),
        );
        builder
            .build()
            .and_then(config::Config::try_deserialize)
            .map_err(|e| SettingsError(vec![describe_config_error(&e)]))
    }
}

impl Settings {
    /// Reads the process environment and `frontdesk.toml` (or the file named by
    /// `FRONTDESK_CONFIG_FILE`).
    pub fn load() -> Result<Settings, SettingsError> {
        Settings::read(&Sources::from_process())
    }

    /// The same, from explicit sources (for tests and embedding).
    pub fn from_sources(file: Option<(&Path, bool)>, env: HashMap<String, String>) -> Result<Settings, SettingsError> {
        Settings::read(&Sources::new(file, env))
    }

    pub fn read(sources: &Sources) -> Result<Settings, SettingsError> {
        let defaults = [
            ("http_addr", "127.0.0.1:8080"),
            ("database_url", DEFAULT_DATABASE_URL),
            ("demo", "false"),
            ("log_format", "text"),
            ("request_timeout_secs", "10"),
            ("body_limit_bytes", "65536"),
            ("worker_concurrency", "8"),
            ("worker_lease_secs", "60"),
            ("worker_poll_ms", "500"),
            ("worker_shutdown_grace_secs", "20"),
            ("hold_minutes", "5"),
            ("stripe_meter_minutes", "frontdesk_call_minutes"),
            ("stripe_meter_sms", "frontdesk_sms_segments"),
            ("stripe_meter_tokens", "frontdesk_llm_tokens"),
            ("payment_grace_days", "7"),
        ];
        let mut raw: RawSettings = sources.layered(&defaults)?;
        raw.database_url = sources.anchored_database_url(raw.database_url.trim());
        // Every problem at once, the notifications' with the rest.
        let mut settings = match (Settings::check(raw), crate::notify::NotificationSettings::read(sources)) {
            (Ok(mut settings), Ok((notifications, warnings))) => {
                settings.notifications = notifications;
                settings.warnings.extend(warnings);
                settings
            }
            (Err(SettingsError(mut problems)), Err(SettingsError(more))) => {
                problems.extend(more);
                return Err(SettingsError(problems));
            }
            (Err(error), _) | (_, Err(error)) => return Err(error),
        };
        settings.warnings.extend(sources.unknown_variables());
        settings.config_file = sources.config_file().map(Path::to_path_buf);
        Ok(settings)
    }

    /// Where the database is, for the startup log (never a password).
    pub fn database_location(&self) -> String {
        match &self.database {
            DatabaseUrl::Sqlite(url) => url.clone(),
            DatabaseUrl::Postgres(secret) => match url::Url::parse(secret.expose_secret()) {
                Ok(url) => {
                    format!("postgres://{}:{}{}", url.host_str().unwrap_or("?"), url.port().unwrap_or(5432), url.path())
                }
                Err(_) => "postgres://(unreadable URL)".to_owned(),
            },
        }
    }

    fn check(raw: RawSettings) -> Result<Settings, SettingsError> {
        let mut problems = Vec::new();
        let mut warnings = Vec::new();

        let http_addr = raw
            .http_addr
            .parse::<SocketAddr>()
            .map_err(|_| format!("FRONTDESK_HTTP_ADDR: {:?} is not an address like 127.0.0.1:8080", raw.http_addr));
        let database = DatabaseUrl::parse(raw.database_url.trim());
        let log_format = LogFormat::parse(&raw.log_format);
        if let Err(problem) = check_max_connections(raw.database_max_connections) {
            problems.push(problem);
        }
        if let Some(redis) = &raw.redis_url {
            let url = redis.expose_secret();
            if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
                problems.push("FRONTDESK_REDIS_URL: must start with redis:// or rediss://".to_owned());
            }
        }
        if raw.request_timeout_secs == 0 {
            problems.push("FRONTDESK_REQUEST_TIMEOUT_SECS: must be at least 1".to_owned());
        }
        if raw.worker_concurrency == 0 || raw.worker_concurrency > 256 {
            problems.push("FRONTDESK_WORKER_CONCURRENCY: must be between 1 and 256".to_owned());
        }
        if raw.runtime_threads.is_some_and(|threads| !(1..=256).contains(&threads)) {
            problems.push("FRONTDESK_RUNTIME_THREADS: must be between 1 and 256".to_owned());
        }
        if raw.worker_lease_secs < 2 {
            problems.push("FRONTDESK_WORKER_LEASE_SECS: must be at least 2".to_owned());
        }
        if !(1..=60).contains(&raw.hold_minutes) {
            problems.push("FRONTDESK_HOLD_MINUTES: must be between 1 and 60".to_owned());
        }
        let realtime_call_cap = realtime_call_cap(raw.realtime_call_cap_minutes).unwrap_or_else(|problem| {
            problems.push(problem);
            frontdesk_routing::REALTIME_CALL_CAP
        });
        // Trimmed as the presented token is (a secret file's trailing newline).
        let metrics_token = raw
            .metrics_token
            .map(|token| SecretString::from(token.expose_secret().trim().to_owned()))
            .filter(|token| !token.expose_secret().is_empty());
        if metrics_token.as_ref().is_some_and(|token| token.expose_secret().len() < MIN_METRICS_TOKEN_BYTES) {
            problems.push(format!(
                "FRONTDESK_METRICS_TOKEN: must be at least {MIN_METRICS_TOKEN_BYTES} characters; `openssl rand -hex 16` makes one (or unset it: no /metrics)"
            ));
        }
        if raw.worker_poll_ms == 0 {
            problems.push("FRONTDESK_WORKER_POLL_MS: must be at least 1".to_owned());
        }
        if raw.body_limit_bytes < 1024 {
            problems.push("FRONTDESK_BODY_LIMIT_BYTES: must be at least 1024".to_owned());
        }

        let mut required = |value: Option<SecretString>, variable: &str, demo_default: &str| -> Option<SecretString> {
            match value.filter(|v| !v.expose_secret().trim().is_empty()) {
                Some(value) => Some(value),
                None if raw.demo => {
                    warnings.push(format!("{variable} is not set; using a demo-only default (FRONTDESK_DEMO=true)"));
                    Some(SecretString::from(demo_default.to_owned()))
                }
                None => {
                    problems.push(format!("{variable} is required (or set FRONTDESK_DEMO=true for a local demo)"));
                    None
                }
            }
        };
        let admin_jwt_secret = required(raw.admin_jwt_secret, "FRONTDESK_ADMIN_JWT_SECRET", DEMO_ADMIN_SECRET);
        let twilio_auth_token = required(raw.twilio_auth_token, "FRONTDESK_TWILIO_AUTH_TOKEN", DEMO_TWILIO_TOKEN);
        let stripe_webhook_secret =
            required(raw.stripe_webhook_secret, "FRONTDESK_STRIPE_WEBHOOK_SECRET", DEMO_STRIPE_WEBHOOK_SECRET);
        let stripe = raw.stripe_secret_key.filter(|key| !key.expose_secret().trim().is_empty()).map(|secret_key| {
            let plan_prices = [
                (frontdesk_core::Plan::Starter, raw.stripe_price_starter),
                (frontdesk_core::Plan::Core, raw.stripe_price_core),
                (frontdesk_core::Plan::Pro, raw.stripe_price_pro),
                (frontdesk_core::Plan::Enterprise, raw.stripe_price_enterprise),
            ]
            .into_iter()
            .filter_map(|(plan, price)| Some((plan, price.filter(|p| !p.trim().is_empty())?)))
            .collect::<Vec<_>>();
            if plan_prices.len() < frontdesk_core::Plan::ALL.len() {
                warnings.push(
                    "FRONTDESK_STRIPE_PRICE_<PLAN> is not set for every plan; tenants on those plans get no Stripe subscription"
                        .to_owned(),
                );
            }
            StripeSettings {
                secret_key,
                api_base_url: raw.stripe_api_base_url,
                plan_prices,
                metered_prices: raw
                    .stripe_metered_prices
                    .unwrap_or_default()
                    .split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned)
                    .collect(),
                meter_minutes: raw.stripe_meter_minutes,
                meter_sms: raw.stripe_meter_sms,
                meter_tokens: raw.stripe_meter_tokens,
            }
        });
        if raw.payment_grace_days > 90 {
            problems.push("FRONTDESK_PAYMENT_GRACE_DAYS: must be between 0 and 90".to_owned());
        }
        if let Some(secret) = &admin_jwt_secret
            && secret.expose_secret().len() < MIN_ADMIN_SECRET_BYTES
        {
            // A secret someone set is checked in demo mode too: a weak one is
            // as forgeable on a laptop that is reachable as anywhere else.
            problems.push(format!(
                "FRONTDESK_ADMIN_JWT_SECRET: must be at least {MIN_ADMIN_SECRET_BYTES} bytes for HS256; `openssl rand -hex 32` makes one (or unset it in demo mode for the demo default)"
            ));
        }

        let public_base_url = match (&raw.public_base_url, &http_addr) {
            (Some(raw_url), _) => parse_public_base_url(raw_url).map_err(|e| problems.push(e)).ok(),
            (None, Ok(addr)) if raw.demo => {
                warnings
                    .push(format!("FRONTDESK_PUBLIC_BASE_URL is not set; using http://{addr} (FRONTDESK_DEMO=true)"));
                parse_public_base_url(&format!("http://{addr}")).ok()
            }
            (None, _) if raw.demo => None,
            (None, _) => {
                problems.push(
                    "FRONTDESK_PUBLIC_BASE_URL is required: the externally visible URL Twilio calls, e.g. https://frontdesk.example.com"
                        .to_owned(),
                );
                None
            }
        };

        let voice_fallback_url = raw.voice_fallback_url.filter(|u| !u.trim().is_empty());
        if let Some(public) = &public_base_url
            && let Err(problem) =
                frontdesk_provisioning::NumberWebhooks::new(public.as_str(), voice_fallback_url.as_deref())
        {
            problems.push(format!("FRONTDESK_VOICE_FALLBACK_URL: {problem}"));
        }
        let ai_prices = frontdesk_billing::PriceTable::standard()
            .with_overrides(raw.ai_prices.as_deref().unwrap_or_default())
            .unwrap_or_else(|error| {
                problems.push(format!("FRONTDESK_AI_PRICES: {error}"));
                frontdesk_billing::PriceTable::standard()
            });
        let rate_card = frontdesk_billing::RateCard::standard()
            .with_overrides(raw.rate_card.as_deref().unwrap_or_default())
            .unwrap_or_else(|error| {
                problems.push(format!(
                    "FRONTDESK_RATE_CARD: {error} (comma-separated `rate=dollars`, e.g. `voice_minute=0.0085,sms_segment=0.0083,number_month=1.15,transfer_minute=0.014`)"
                ));
                frontdesk_billing::RateCard::standard()
            });
        let openai =
            raw.openai_api_key.filter(|key| !key.expose_secret().trim().is_empty()).map(|api_key| OpenAiSettings {
                api_key,
                base_url: raw.openai_base_url.filter(|u| !u.trim().is_empty()),
                embed_model: raw.openai_embedding_model.filter(|m| !m.trim().is_empty()),
                embed_dims: raw.openai_embedding_dimensions,
                chat_model: raw.openai_chat_model.filter(|m| !m.trim().is_empty()),
                realtime_url: raw.openai_realtime_url.filter(|u| !u.trim().is_empty()),
                realtime_model: raw.openai_realtime_model.filter(|m| !m.trim().is_empty()),
                transcribe_model: raw.openai_transcribe_model.filter(|m| !m.trim().is_empty()),
            });
        if let Some(openai) = &openai {
            // Spend is never unmetered: a model without a price stops the start.
            let models = [
                (
                    "FRONTDESK_OPENAI_EMBEDDING_MODEL",
                    openai.embed_model.as_deref(),
                    frontdesk_openai::DEFAULT_EMBED_MODEL,
                ),
                ("FRONTDESK_OPENAI_CHAT_MODEL", openai.chat_model.as_deref(), frontdesk_openai::DEFAULT_CHAT_MODEL),
                (
                    "FRONTDESK_OPENAI_REALTIME_MODEL",
                    openai.realtime_model.as_deref(),
                    frontdesk_openai::DEFAULT_REALTIME_MODEL,
                ),
                (
                    "FRONTDESK_OPENAI_TRANSCRIBE_MODEL",
                    openai.transcribe_model.as_deref(),
                    frontdesk_openai::DEFAULT_TRANSCRIBE_MODEL,
                ),
            ];
            for (variable, model, default) in models {
                let model = model.unwrap_or(default);
                if ai_prices.price(model).is_none() {
                    problems.push(format!(
                        "{variable}: no price for {model:?}; add it to FRONTDESK_AI_PRICES as `{model}=<dollars per million input tokens>[/<cached>/<output>]`"
                    ));
                }
            }
            if let Some(url) = &openai.realtime_url {
                let model = openai.realtime_model.as_deref().unwrap_or(frontdesk_openai::DEFAULT_REALTIME_MODEL);
                if let Err(error) = frontdesk_openai::realtime_url(frontdesk_openai::DEFAULT_BASE_URL, Some(url), model)
                {
                    problems.push(format!(
                        "FRONTDESK_OPENAI_REALTIME_URL: {error} (e.g. `wss://api.openai.com/v1/realtime`)"
                    ));
                }
            }
        }

        let http_addr = http_addr.map_err(|e| problems.push(e)).ok();
        let database = database.map_err(|e| problems.push(e)).ok();
        let log_format = log_format.map_err(|e| problems.push(e)).ok();
        match (
            http_addr,
            database,
            log_format,
            public_base_url,
            admin_jwt_secret,
            twilio_auth_token,
            stripe_webhook_secret,
        ) {
            (
                Some(http_addr),
                Some(database),
                Some(log_format),
                Some(public_base_url),
                Some(admin),
                Some(twilio),
                Some(stripe_webhook_secret),
            ) if problems.is_empty() => {
                let run_worker = raw.run_worker.unwrap_or(matches!(database, DatabaseUrl::Sqlite(_)));
                let runtime_threads = raw.runtime_threads.unwrap_or_else(|| match database {
                    DatabaseUrl::Sqlite(_) => 1,
                    DatabaseUrl::Postgres(_) => std::thread::available_parallelism().map_or(1, usize::from),
                });
                Ok(Settings {
                    http_addr,
                    database,
                    database_max_connections: raw.database_max_connections,
                    redis_url: raw.redis_url,
                    public_base_url,
                    twilio_auth_token: twilio,
                    admin_jwt_secret: admin,
                    demo: raw.demo,
                    log_format,
                    request_timeout: Duration::from_secs(raw.request_timeout_secs),
                    body_limit_bytes: raw.body_limit_bytes,
                    run_worker,
                    worker_concurrency: raw.worker_concurrency,
                    runtime_threads,
                    worker_lease_secs: raw.worker_lease_secs,
                    worker_poll_ms: raw.worker_poll_ms,
                    worker_shutdown_grace_secs: raw.worker_shutdown_grace_secs,
                    hold_minutes: raw.hold_minutes,
                    realtime_call_cap,
                    metrics_token,
                    twilio_account_sid: raw.twilio_account_sid.filter(|s| !s.trim().is_empty()),
                    twilio_api_base_url: raw.twilio_api_base_url,
                    twilio_numbers_base_url: raw.twilio_numbers_base_url.filter(|u| !u.trim().is_empty()),
                    twilio_messaging_base_url: raw.twilio_messaging_base_url.filter(|u| !u.trim().is_empty()),
                    twilio_trusthub_base_url: raw.twilio_trusthub_base_url.filter(|u| !u.trim().is_empty()),
                    voice_fallback_url,
                    google_service_account_file: raw.google_service_account_file,
                    google_tenant_keys_dir: raw.google_tenant_keys_dir,
                    google_calendar_base_url: raw.google_calendar_base_url,
                    stripe_webhook_secret,
                    stripe,
                    openai,
                    rate_card: rate_card.with_token_prices(ai_prices),
                    payment_grace: Duration::from_secs(u64::from(raw.payment_grace_days) * 86_400),
                    notifications: crate::notify::NotificationSettings::default(),
                    warnings,
                    config_file: None,
                })
            }
            _ => Err(SettingsError(problems)),
        }
    }
}

/// The longest call with the realtime voice model a setting may allow, in
/// minutes: past an hour, a call's AI cost is better capped by its budget.
const MAX_REALTIME_CALL_CAP_MINUTES: u32 = 60;

/// `FRONTDESK_REALTIME_CALL_CAP_MINUTES`: 1 to 60 minutes, by default
/// [`frontdesk_routing::REALTIME_CALL_CAP`].
fn realtime_call_cap(minutes: Option<u32>) -> Result<Duration, String> {
    match minutes {
        None => Ok(frontdesk_routing::REALTIME_CALL_CAP),
        Some(minutes @ 1..=MAX_REALTIME_CALL_CAP_MINUTES) => Ok(Duration::from_secs(u64::from(minutes) * 60)),
        Some(minutes) => Err(format!(
            "FRONTDESK_REALTIME_CALL_CAP_MINUTES: {minutes} is not between 1 and {MAX_REALTIME_CALL_CAP_MINUTES} \
             (the minutes a call may talk with the realtime voice model before it is offered a person; default {})",
            frontdesk_routing::REALTIME_CALL_CAP.as_secs() / 60
        )),
    }
}

/// A pool size, when one is set, is 1 to 1000.
pub fn check_max_connections(max: Option<u32>) -> Result<(), String> {
    match max {
        Some(0) | Some(1001..) => Err("FRONTDESK_DATABASE_MAX_CONNECTIONS: must be between 1 and 1000".to_owned()),
        _ => Ok(()),
    }
}

fn parse_public_base_url(raw: &str) -> Result<url::Url, String> {
    let problem = |why: &str| format!("FRONTDESK_PUBLIC_BASE_URL: {raw:?} {why}");
    let url = url::Url::parse(raw.trim()).map_err(|e| problem(&format!("is not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(problem("must start with https:// (or http:// for local use)"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(problem("has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(problem("must not have a query or fragment"));
    }
    Ok(url)
}

/// `config` names keys, not variables; say which variable to fix.
fn describe_config_error(error: &config::ConfigError) -> String {
    let text = error.to_string();
    // "invalid type: …, expected a boolean for key `demo` in the environment"
    let key = text.split_once("key `").and_then(|(_, rest)| rest.split_once('`')).map(|(key, _)| key);
    match key {
        Some(key) if !key.is_empty() => format!("FRONTDESK_{}: {text}", key.replace('.', "__").to_uppercase()),
        _ => text,
    }
}
