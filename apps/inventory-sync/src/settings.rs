//! `inventory-sync`'s settings, read from the platform's layered sources
//! (defaults, `frontdesk.toml`, `FRONTDESK_*` variables; see
//! `frontdesk_runtime::Sources`), then checked: every problem at once, each
//! naming the variable to set. Command-line flags override them.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use frontdesk_runtime::{DEFAULT_DATABASE_URL, DatabaseUrl, LogFormat, SettingsError, Sources, check_max_connections};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::web::parse_every;

#[derive(Debug)]
pub struct InventorySettings {
    /// Where cursors and the till's refresh token are kept (the platform's store).
    pub database: DatabaseUrl,
    /// `FRONTDESK_DATABASE_MAX_CONNECTIONS`; `None` is the backend's default.
    pub database_max_connections: Option<u32>,
    pub log_format: LogFormat,
    /// The local workbook (`FRONTDESK_WORKBOOK_DIR`).
    pub workbook_dir: PathBuf,
    /// Write this Google Sheet instead (`FRONTDESK_SHEETS_SPREADSHEET_ID`).
    pub spreadsheet_id: Option<String>,
    pub google_service_account_file: Option<PathBuf>,
    /// Override of `https://sheets.googleapis.com` (tests).
    pub sheets_base_url: Option<String>,
    pub lightspeed: LightspeedSettings,
    /// Where `serve` listens.
    pub addr: SocketAddr,
    /// How often `serve` syncs.
    pub every: Duration,
    /// Protects the page's Sync now button; without it there is no button.
    pub sync_token: Option<SecretString>,
    /// `FRONTDESK_INVENTORY_ACCESS_TOKEN`: who may see the page (the stock and
    /// its value). Required to serve outside demo mode; independent of the
    /// sync token.
    pub access_token: Option<SecretString>,
    /// How long the page may show a workbook read before reading it again
    /// (the owner's own edits); a sync always refreshes it.
    pub page_refresh: Duration,
    /// `FRONTDESK_SHOP_NAME`: the inventory page's heading.
    pub shop_name: Option<String>,
    /// `FRONTDESK_SHOP_TIMEZONE` (IANA, default UTC): the zone the page
    /// shows times in.
    pub shop_timezone: chrono_tz::Tz,
}

/// The till, as configured; which of these are required depends on the
/// command (none with `--demo`), so they are checked when used.
#[derive(Debug, Default)]
pub struct LightspeedSettings {
    pub domain_prefix: Option<String>,
    pub base_url: Option<String>,
    /// A personal token.
    pub token: Option<SecretString>,
    /// OAuth: the application's client id and secret.
    pub client_id: Option<String>,
    pub client_secret: Option<SecretString>,
    pub token_url: Option<String>,
    /// OAuth: the redirect URI registered with the application (`connect`).
    pub redirect_uri: Option<String>,
    /// OAuth: a refresh token to start from, stored once when the store has
    /// none (the stored one rotates; this one is then void).
    pub refresh_token: Option<SecretString>,
    /// Count only this outlet.
    pub outlet_id: Option<String>,
}

#[derive(Deserialize)]
struct RawSettings {
    database_url: String,
    database_max_connections: Option<u32>,
    log_format: String,
    workbook_dir: PathBuf,
    sheets_spreadsheet_id: Option<String>,
    google_service_account_file: Option<PathBuf>,
    sheets_base_url: Option<String>,
    lightspeed_domain_prefix: Option<String>,
    lightspeed_base_url: Option<String>,
    lightspeed_token: Option<SecretString>,
    lightspeed_client_id: Option<String>,
    lightspeed_client_secret: Option<SecretString>,
    lightspeed_token_url: Option<String>,
    lightspeed_redirect_uri: Option<String>,
    lightspeed_refresh_token: Option<SecretString>,
    lightspeed_outlet_id: Option<String>,
    inventory_addr: String,
    sync_every: String,
    sync_token: Option<SecretString>,
    inventory_access_token: Option<SecretString>,
    inventory_page_refresh_secs: u64,
    shop_name: Option<String>,
    shop_timezone: String,
}

/// Blank values count as unset (an empty line in an environment file).
fn present(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

fn present_secret(value: Option<SecretString>) -> Option<SecretString> {
    value.filter(|v| !v.expose_secret().trim().is_empty())
}

impl InventorySettings {
    pub fn load() -> Result<InventorySettings, SettingsError> {
        InventorySettings::read(&Sources::from_process())
    }

    pub fn read(sources: &Sources) -> Result<InventorySettings, SettingsError> {
        let raw: RawSettings = sources.layered(&[
            ("database_url", DEFAULT_DATABASE_URL),
            ("log_format", "text"),
            ("workbook_dir", "data/workbook"),
            ("inventory_addr", "127.0.0.1:8090"),
            ("sync_every", "1h"),
            ("inventory_page_refresh_secs", "60"),
            ("shop_timezone", "UTC"),
        ])?;
        let mut problems = Vec::new();
        let database_url = sources.anchored_database_url(raw.database_url.trim());
        let database = DatabaseUrl::parse(&database_url).map_err(|e| problems.push(e)).ok();
        let log_format = LogFormat::parse(&raw.log_format).map_err(|e| problems.push(e)).ok();
        if let Err(problem) = check_max_connections(raw.database_max_connections) {
            problems.push(problem);
        }
        let addr = raw
            .inventory_addr
            .trim()
            .parse::<SocketAddr>()
            .map_err(|_| {
                problems.push(format!(
                    "FRONTDESK_INVENTORY_ADDR: {:?} is not an address like 127.0.0.1:8090",
                    raw.inventory_addr
                ));
            })
            .ok();
        let every = parse_every(&raw.sync_every).map_err(|e| problems.push(format!("FRONTDESK_SYNC_EVERY: {e}"))).ok();
        if raw.inventory_page_refresh_secs > 86_400 {
            problems.push("FRONTDESK_INVENTORY_PAGE_REFRESH_SECS: must be at most 86400 (a day)".to_owned());
        }
        let shop_timezone = raw
            .shop_timezone
            .trim()
            .parse::<chrono_tz::Tz>()
            .map_err(|_| {
                problems.push(format!(
                    "FRONTDESK_SHOP_TIMEZONE: {:?} is not a time zone like America/New_York",
                    raw.shop_timezone
                ));
            })
            .ok();
        if raw.workbook_dir.as_os_str().is_empty() {
            problems.push("FRONTDESK_WORKBOOK_DIR: must not be empty".to_owned());
        }
        match (database, log_format, addr, every, shop_timezone) {
            (Some(database), Some(log_format), Some(addr), Some(every), Some(shop_timezone)) if problems.is_empty() => {
                Ok(InventorySettings {
                    database,
                    database_max_connections: raw.database_max_connections,
                    log_format,
                    workbook_dir: raw.workbook_dir,
                    spreadsheet_id: present(raw.sheets_spreadsheet_id),
                    google_service_account_file: raw.google_service_account_file,
                    sheets_base_url: present(raw.sheets_base_url),
                    lightspeed: LightspeedSettings {
                        domain_prefix: present(raw.lightspeed_domain_prefix),
                        base_url: present(raw.lightspeed_base_url),
                        token: present_secret(raw.lightspeed_token),
                        client_id: present(raw.lightspeed_client_id),
                        client_secret: present_secret(raw.lightspeed_client_secret),
                        token_url: present(raw.lightspeed_token_url),
                        redirect_uri: present(raw.lightspeed_redirect_uri),
                        refresh_token: present_secret(raw.lightspeed_refresh_token),
                        outlet_id: present(raw.lightspeed_outlet_id),
                    },
                    addr,
                    every,
                    sync_token: present_secret(raw.sync_token),
                    access_token: present_secret(raw.inventory_access_token),
                    page_refresh: Duration::from_secs(raw.inventory_page_refresh_secs),
                    shop_name: present(raw.shop_name),
                    shop_timezone,
                })
            }
            _ => Err(SettingsError(problems)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<InventorySettings, Vec<String>> {
        let env: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        InventorySettings::read(&Sources::new(None, env)).map_err(|e| e.0)
    }

    #[test]
    fn defaults_need_nothing_set() {
        let settings = read(&[]).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(settings.database.backend_name(), "sqlite");
        assert_eq!(settings.workbook_dir, PathBuf::from("data/workbook"));
        assert_eq!(settings.addr.to_string(), "127.0.0.1:8090");
        assert_eq!(settings.every, Duration::from_secs(3600));
        assert_eq!(settings.page_refresh, Duration::from_secs(60));
        assert!(settings.spreadsheet_id.is_none() && settings.sync_token.is_none());
        assert_eq!((settings.shop_name, settings.shop_timezone), (None, chrono_tz::UTC));
    }

    #[test]
    fn the_shop_has_a_name_and_a_zone_and_a_wrong_zone_is_named() {
        let settings = read(&[("FRONTDESK_SHOP_NAME", " Kicks Lab "), ("FRONTDESK_SHOP_TIMEZONE", "America/New_York")])
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(settings.shop_name.as_deref(), Some("Kicks Lab"));
        assert_eq!(settings.shop_timezone, chrono_tz::America::New_York);
        let problems = read(&[("FRONTDESK_SHOP_TIMEZONE", "Mars/Olympus")]).err().unwrap_or_default();
        assert!(
            problems.iter().any(|p| p.contains("FRONTDESK_SHOP_TIMEZONE") && p.contains("Mars/Olympus")),
            "{problems:?}"
        );
    }

    #[test]
    fn the_environment_sets_everything_and_blanks_are_unset() {
        let settings = read(&[
            ("FRONTDESK_DATABASE_URL", "postgres://frontdesk@db.internal/frontdesk"),
            ("FRONTDESK_WORKBOOK_DIR", "/srv/workbook"),
            ("FRONTDESK_SHEETS_SPREADSHEET_ID", "1AbC"),
            ("FRONTDESK_LIGHTSPEED_DOMAIN_PREFIX", "sneakerden"),
            ("FRONTDESK_LIGHTSPEED_TOKEN", "lsxs_pt_x"),
            ("FRONTDESK_LIGHTSPEED_OUTLET_ID", " "),
            ("FRONTDESK_INVENTORY_ADDR", "0.0.0.0:9000"),
            ("FRONTDESK_SYNC_EVERY", "15m"),
            ("FRONTDESK_SYNC_TOKEN", "s3cret"),
            ("FRONTDESK_INVENTORY_PAGE_REFRESH_SECS", "5"),
        ])
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(settings.database.backend_name(), "postgres");
        assert_eq!(settings.workbook_dir, PathBuf::from("/srv/workbook"));
        assert_eq!(settings.spreadsheet_id.as_deref(), Some("1AbC"));
        assert_eq!(settings.lightspeed.domain_prefix.as_deref(), Some("sneakerden"));
        assert_eq!(
            settings.lightspeed.token.as_ref().map(|t| t.expose_secret().to_owned()).as_deref(),
            Some("lsxs_pt_x")
        );
        assert_eq!(settings.lightspeed.outlet_id, None, "a blank value is unset");
        assert_eq!(settings.addr.to_string(), "0.0.0.0:9000");
        assert_eq!(settings.every, Duration::from_secs(900));
        assert_eq!(settings.page_refresh, Duration::from_secs(5));
        assert!(settings.sync_token.is_some());
    }

    #[test]
    fn a_config_file_applies_where_the_environment_is_silent() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let file = dir.path().join("frontdesk.toml");
        let written = std::fs::write(&file, "workbook_dir = \"/from/file\"\nsync_every = \"2h\"\n");
        assert!(written.is_ok());
        let env = HashMap::from([("FRONTDESK_SYNC_EVERY".to_owned(), "30m".to_owned())]);
        let settings =
            InventorySettings::read(&Sources::new(Some((&file, true)), env)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(settings.workbook_dir, PathBuf::from("/from/file"));
        assert_eq!(settings.every, Duration::from_secs(1800), "the environment wins over the file");
    }

    #[test]
    fn every_problem_is_reported_with_its_variable() {
        let problems = read(&[
            ("FRONTDESK_DATABASE_URL", "mysql://x"),
            ("FRONTDESK_LOG_FORMAT", "xml"),
            ("FRONTDESK_INVENTORY_ADDR", "localhost"),
            ("FRONTDESK_SYNC_EVERY", "soon"),
            ("FRONTDESK_INVENTORY_PAGE_REFRESH_SECS", "100000"),
        ])
        .err()
        .unwrap_or_default();
        for variable in [
            "FRONTDESK_DATABASE_URL",
            "FRONTDESK_LOG_FORMAT",
            "FRONTDESK_INVENTORY_ADDR",
            "FRONTDESK_SYNC_EVERY",
            "FRONTDESK_INVENTORY_PAGE_REFRESH_SECS",
        ] {
            assert!(problems.iter().any(|p| p.starts_with(variable)), "{variable} missing from {problems:?}");
        }
        let typed = read(&[("FRONTDESK_INVENTORY_PAGE_REFRESH_SECS", "often")]).err().unwrap_or_default();
        assert!(typed.first().is_some_and(|p| p.starts_with("FRONTDESK_INVENTORY_PAGE_REFRESH_SECS")), "{typed:?}");
    }
}
