use std::collections::HashMap;

use frontdesk_runtime::{DatabaseUrl, LogFormat, Settings, Sources};

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn load(pairs: &[(&str, &str)]) -> Result<Settings, Vec<String>> {
    Settings::from_sources(None, env(pairs)).map_err(|e| e.0)
}

const PRODUCTION: [(&str, &str); 4] = [
    ("FRONTDESK_ADMIN_JWT_SECRET", "a-production-secret-of-32-bytes-or-more"),
    ("FRONTDESK_TWILIO_AUTH_TOKEN", "twilio-token-value"),
    ("FRONTDESK_PUBLIC_BASE_URL", "https://frontdesk.example.com"),
    ("FRONTDESK_STRIPE_WEBHOOK_SECRET", "whsec_production_signing_secret"),
];

#[test]
fn demo_mode_needs_nothing_and_says_what_it_filled_in() {
    let settings = load(&[("FRONTDESK_DEMO", "true")]).unwrap_or_else(|e| panic!("{e:?}"));
    assert!(settings.demo);
    assert_eq!(settings.http_addr.to_string(), "127.0.0.1:8080");
    assert!(matches!(&settings.database, DatabaseUrl::Sqlite(url) if url == "sqlite://data/frontdesk.db"));
    assert_eq!(settings.public_base_url.as_str(), "http://127.0.0.1:8080/");
    assert_eq!(settings.warnings.len(), 4, "{:?}", settings.warnings);
    assert!(settings.redis_url.is_none());
    assert!(settings.stripe.is_none(), "no Stripe API without a secret key");
}

#[test]
fn outside_demo_mode_missing_secrets_are_named() {
    let problems = load(&[]).err().unwrap_or_default();
    assert_eq!(problems.len(), 4, "{problems:?}");
    for variable in [
        "FRONTDESK_ADMIN_JWT_SECRET",
        "FRONTDESK_TWILIO_AUTH_TOKEN",
        "FRONTDESK_PUBLIC_BASE_URL",
        "FRONTDESK_STRIPE_WEBHOOK_SECRET",
    ] {
        assert!(problems.iter().any(|p| p.starts_with(variable)), "{variable} not named in {problems:?}");
    }
    let empty = load(&[("FRONTDESK_ADMIN_JWT_SECRET", " "), PRODUCTION[1], PRODUCTION[2], PRODUCTION[3]])
        .err()
        .unwrap_or_default();
    assert!(empty.iter().any(|p| p.starts_with("FRONTDESK_ADMIN_JWT_SECRET is required")), "{empty:?}");
}

#[test]
fn production_settings_parse() {
    let mut pairs = PRODUCTION.to_vec();
    pairs.extend([
        ("FRONTDESK_HTTP_ADDR", "0.0.0.0:9000"),
        ("FRONTDESK_DATABASE_URL", "postgres://frontdesk:hunter2secret@db.internal:5432/frontdesk"),
        ("FRONTDESK_REDIS_URL", "redis://cache.internal:6379"),
        ("FRONTDESK_LOG_FORMAT", "json"),
        ("FRONTDESK_TEST_POSTGRES_URL", "ignored by the gateway"),
    ]);
    let settings = load(&pairs).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(settings.http_addr.to_string(), "0.0.0.0:9000");
    assert_eq!(settings.database.backend_name(), "postgres");
    assert_eq!(settings.log_format, LogFormat::Json);
    assert!(settings.warnings.is_empty());

    let debug = format!("{settings:?}");
    for secret in ["hunter2secret", "a-production-secret", "twilio-token-value", "cache.internal", "whsec_production"] {
        assert!(!debug.contains(secret), "{secret} leaked into Debug: {debug}");
    }
    assert!(debug.contains("db.internal"), "the database host is still shown: {debug}");
}

#[test]
fn unsupported_databases_list_what_is_accepted_without_echoing_credentials() {
    let mut pairs = PRODUCTION.to_vec();
    pairs.push(("FRONTDESK_DATABASE_URL", "mysql://root:topsecret@localhost/frontdesk"));
    let problems = load(&pairs).err().unwrap_or_default();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].starts_with("FRONTDESK_DATABASE_URL: unsupported database \"mysql\""), "{problems:?}");
    assert!(problems[0].contains("sqlite:") && problems[0].contains("postgres://"));
    assert!(!problems[0].contains("topsecret"));
}

#[test]
fn every_bad_value_is_reported_at_once() {
    let problems = load(&[
        ("FRONTDESK_HTTP_ADDR", "localhost"),
        ("FRONTDESK_LOG_FORMAT", "xml"),
        ("FRONTDESK_PUBLIC_BASE_URL", "ftp://frontdesk.example.com"),
        ("FRONTDESK_ADMIN_JWT_SECRET", "short"),
        ("FRONTDESK_TWILIO_AUTH_TOKEN", "t"),
        ("FRONTDESK_REDIS_URL", "memcached://x"),
    ])
    .err()
    .unwrap_or_default();
    for prefix in [
        "FRONTDESK_HTTP_ADDR:",
        "FRONTDESK_LOG_FORMAT:",
        "FRONTDESK_PUBLIC_BASE_URL:",
        "FRONTDESK_ADMIN_JWT_SECRET: must be at least 32 bytes",
        "FRONTDESK_REDIS_URL:",
    ] {
        assert!(problems.iter().any(|p| p.starts_with(prefix)), "{prefix} missing from {problems:?}");
    }
}

#[test]
fn the_file_is_overridden_by_the_environment() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("frontdesk.toml");
    let written = std::fs::write(&file, "demo = true\nhttp_addr = \"127.0.0.1:7000\"\nlog_format = \"json\"\n");
    assert!(written.is_ok());
    let settings = Settings::from_sources(Some((&file, true)), env(&[("FRONTDESK_HTTP_ADDR", "127.0.0.1:7001")]))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(settings.http_addr.to_string(), "127.0.0.1:7001");
    assert_eq!(settings.log_format, LogFormat::Json, "the file still applies where the environment is silent");
    assert!(settings.demo);

    let missing = Settings::from_sources(Some((&dir.path().join("absent.toml"), true)), env(&[]));
    assert!(missing.is_err(), "a named config file must exist");
    let optional =
        Settings::from_sources(Some((&dir.path().join("absent.toml"), false)), env(&[("FRONTDESK_DEMO", "true")]));
    assert!(optional.is_ok(), "the default file is optional");

    let bad_demo = Settings::from_sources(None, env(&[("FRONTDESK_DEMO", "maybe")]));
    assert!(matches!(&bad_demo, Err(e) if e.0[0].starts_with("FRONTDESK_DEMO")), "{bad_demo:?}");
}

#[test]
fn the_runtime_has_one_thread_on_sqlite_and_one_per_core_on_postgresql_unless_told() {
    let sqlite = load(&[("FRONTDESK_DEMO", "true")]).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(sqlite.runtime_threads, 1, "SQLite's writes all go through one connection");
    let mut pairs = PRODUCTION.to_vec();
    pairs.push(("FRONTDESK_DATABASE_URL", "postgres://frontdesk@db.internal/frontdesk"));
    let postgres = load(&pairs).unwrap_or_else(|e| panic!("{e:?}"));
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    assert_eq!(postgres.runtime_threads, cores);
    pairs.push(("FRONTDESK_RUNTIME_THREADS", "3"));
    assert_eq!(load(&pairs).map(|s| s.runtime_threads).ok(), Some(3));
    let told = load(&[("FRONTDESK_DEMO", "true"), ("FRONTDESK_RUNTIME_THREADS", "2")]).map(|s| s.runtime_threads);
    assert_eq!(told.ok(), Some(2));
    for bad in ["0", "257", "many"] {
        let problems =
            load(&[("FRONTDESK_DEMO", "true"), ("FRONTDESK_RUNTIME_THREADS", bad)]).err().unwrap_or_default();
        assert!(problems.iter().any(|p| p.starts_with("FRONTDESK_RUNTIME_THREADS")), "{bad}: {problems:?}");
    }
}

#[test]
fn the_in_process_worker_defaults_to_sqlite_only() {
    let sqlite = load(&[("FRONTDESK_DEMO", "true")]).unwrap_or_else(|e| panic!("{e:?}"));
    assert!(sqlite.run_worker);
    let mut pairs = PRODUCTION.to_vec();
    pairs.push(("FRONTDESK_DATABASE_URL", "postgres://frontdesk@db.internal/frontdesk"));
    let postgres = load(&pairs).unwrap_or_else(|e| panic!("{e:?}"));
    assert!(!postgres.run_worker, "on PostgreSQL, worker processes do the work");
    pairs.push(("FRONTDESK_RUN_WORKER", "true"));
    assert!(load(&pairs).map(|s| s.run_worker).unwrap_or(false), "unless asked");
    let off = load(&[("FRONTDESK_DEMO", "true"), ("FRONTDESK_RUN_WORKER", "false")]).map(|s| s.run_worker);
    assert_eq!(off.ok(), Some(false));
    let bad = load(&[("FRONTDESK_DEMO", "true"), ("FRONTDESK_WORKER_CONCURRENCY", "0")]).err().unwrap_or_default();
    assert!(bad.iter().any(|p| p.starts_with("FRONTDESK_WORKER_CONCURRENCY")), "{bad:?}");
}

#[test]
fn stripe_is_switched_on_by_its_secret_key() {
    let mut pairs = PRODUCTION.to_vec();
    pairs.extend([
        ("FRONTDESK_STRIPE_SECRET_KEY", "sk_test_123"),
        ("FRONTDESK_STRIPE_PRICE_STARTER", "price_starter"),
        ("FRONTDESK_STRIPE_PRICE_CORE", "price_core"),
        ("FRONTDESK_STRIPE_PRICE_PRO", "price_pro"),
        ("FRONTDESK_STRIPE_PRICE_ENTERPRISE", "price_enterprise"),
        ("FRONTDESK_STRIPE_METERED_PRICES", "price_minutes, price_sms"),
        ("FRONTDESK_PAYMENT_GRACE_DAYS", "3"),
    ]);
    let settings = load(&pairs).unwrap_or_else(|e| panic!("{e:?}"));
    let stripe = settings.stripe.as_ref().unwrap_or_else(|| panic!("Stripe is configured"));
    assert_eq!(stripe.plan_prices.len(), 4);
    assert_eq!(stripe.metered_prices, ["price_minutes", "price_sms"]);
    assert_eq!(stripe.meter_minutes, "frontdesk_call_minutes");
    assert_eq!(settings.payment_grace, std::time::Duration::from_secs(3 * 86_400));
    assert!(settings.warnings.is_empty(), "{:?}", settings.warnings);
    assert!(!format!("{settings:?}").contains("sk_test_123"), "the key never shows in Debug");

    let mut partial = PRODUCTION.to_vec();
    partial.push(("FRONTDESK_STRIPE_SECRET_KEY", "sk_test_123"));
    let settings = load(&partial).unwrap_or_else(|e| panic!("{e:?}"));
    assert!(settings.warnings.iter().any(|w| w.contains("FRONTDESK_STRIPE_PRICE_")), "{:?}", settings.warnings);

    let mut bad = PRODUCTION.to_vec();
    bad.push(("FRONTDESK_PAYMENT_GRACE_DAYS", "365"));
    let problems = load(&bad).err().unwrap_or_default();
    assert!(problems.iter().any(|p| p.starts_with("FRONTDESK_PAYMENT_GRACE_DAYS")), "{problems:?}");
}

#[test]
fn openai_models_are_named_and_every_configured_one_must_have_a_price() {
    let mut pairs = PRODUCTION.to_vec();
    pairs.extend([
        ("FRONTDESK_OPENAI_API_KEY", "sk-test-openai"),
        ("FRONTDESK_OPENAI_EMBEDDING_MODEL", "nomic-embed-text"),
        ("FRONTDESK_OPENAI_EMBEDDING_DIMENSIONS", "768"),
        ("FRONTDESK_OPENAI_CHAT_MODEL", "gpt-4.1-mini"),
    ]);
    let problems = load(&pairs).err().unwrap_or_default();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with("FRONTDESK_OPENAI_EMBEDDING_MODEL: no price for \"nomic-embed-text\"")
            && problems[0].contains("FRONTDESK_AI_PRICES"),
        "{problems:?}"
    );

    pairs.push(("FRONTDESK_AI_PRICES", "nomic-embed-text=0.01, gpt-4.1-mini=0.5/0.1/2"));
    let settings = load(&pairs).unwrap_or_else(|e| panic!("{e:?}"));
    let openai = settings.openai.as_ref().unwrap_or_else(|| panic!("OpenAI is configured"));
    assert_eq!(openai.embed_model.as_deref(), Some("nomic-embed-text"));
    assert_eq!(openai.embed_dims, Some(768));
    assert_eq!(openai.chat_model.as_deref(), Some("gpt-4.1-mini"));
    let chat = settings.rate_card.token_prices().price("gpt-4.1-mini").map(|p| (p.input, p.cached_input, p.output));
    assert_eq!(chat, Some((500_000, 100_000, 2_000_000)), "the override replaces the standard price");
    assert!(settings.warnings.is_empty(), "the names are known: {:?}", settings.warnings);
    assert!(!format!("{settings:?}").contains("sk-test-openai"), "the key never shows in Debug");

    let mut bad = PRODUCTION.to_vec();
    bad.push(("FRONTDESK_AI_PRICES", "gpt-5.6-luna=cheap"));
    let problems = load(&bad).err().unwrap_or_default();
    assert!(problems.iter().any(|p| p.starts_with("FRONTDESK_AI_PRICES: the price \"cheap\"")), "{problems:?}");
    // The voice model: derived URL unless one is set; priced like the rest.
    assert_eq!(openai.realtime_url, None);
    assert_eq!(openai.realtime_model, None);
    let mut voice = pairs.clone();
    voice.extend([
        ("FRONTDESK_OPENAI_REALTIME_URL", "wss://proxy.example/v1/realtime"),
        ("FRONTDESK_OPENAI_REALTIME_MODEL", "gpt-realtime-2"),
    ]);
    let settings = load(&voice).unwrap_or_else(|e| panic!("{e:?}"));
    let openai = settings.openai.as_ref().unwrap_or_else(|| panic!("OpenAI is configured"));
    assert_eq!(openai.realtime_url.as_deref(), Some("wss://proxy.example/v1/realtime"));
    assert_eq!(openai.realtime_model.as_deref(), Some("gpt-realtime-2"));
    assert!(settings.warnings.is_empty(), "the names are known: {:?}", settings.warnings);
    let mut voice = pairs.clone();
    voice.extend([
        ("FRONTDESK_OPENAI_REALTIME_URL", "api.openai.com/v1/realtime"),
        ("FRONTDESK_OPENAI_REALTIME_MODEL", "gpt-live-1"),
    ]);
    let problems = load(&voice).err().unwrap_or_default();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].starts_with("FRONTDESK_OPENAI_REALTIME_MODEL: no price for \"gpt-live-1\""), "{problems:?}");
    assert!(problems[1].starts_with("FRONTDESK_OPENAI_REALTIME_URL: "), "{problems:?}");

    // Without a key nothing needs a price: the defaults are priced anyway.
    let offline = load(&PRODUCTION).unwrap_or_else(|e| panic!("{e:?}"));
    assert!(offline.openai.is_none());
}

#[test]
fn the_rate_card_has_defaults_and_is_configurable_and_checked() {
    let rates = |card: &frontdesk_billing::RateCard| {
        [
            card.voice_minute_micros(),
            card.transfer_minute_micros(),
            card.sms_segment_micros(),
            card.number_month_micros(),
        ]
    };
    let defaults = load(&PRODUCTION).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(rates(&defaults.rate_card), [8_500, 14_000, 8_300, 1_150_000]);

    let mut pairs = PRODUCTION.to_vec();
    pairs.push(("FRONTDESK_RATE_CARD", "voice_minute=0.013, number_month=1"));
    pairs.push(("FRONTDESK_AI_PRICES", "local-embed=0"));
    let settings = load(&pairs).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(rates(&settings.rate_card), [13_000, 14_000, 8_300, 1_000_000]);
    let local = settings.rate_card.token_prices().price("local-embed");
    assert_eq!(local, Some(frontdesk_billing::TokenPrice::flat(0)), "the card carries the token prices");
    assert!(settings.warnings.is_empty(), "the name is known: {:?}", settings.warnings);

    let cases = [
        ("voice=0.01", "FRONTDESK_RATE_CARD: unknown rate \"voice\"; the rates are voice_minute, transfer_minute"),
        ("sms_segment=cheap", "FRONTDESK_RATE_CARD: the rate sms_segment=\"cheap\" is not a non-negative number"),
        ("number_month", "FRONTDESK_RATE_CARD: \"number_month\" is not `rate=dollars`"),
    ];
    for (spec, problem) in cases {
        let mut bad = PRODUCTION.to_vec();
        bad.push(("FRONTDESK_RATE_CARD", spec));
        let problems = load(&bad).err().unwrap_or_default();
        assert!(problems.iter().any(|p| p.starts_with(problem) && p.contains("e.g. `voice_minute=")), "{problems:?}");
    }
}

#[test]
fn the_pool_size_is_optional_and_checked() {
    let default = load(&[("FRONTDESK_DEMO", "true")]).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(default.database_max_connections, None, "the backend's default");
    let set = load(&[("FRONTDESK_DEMO", "true"), ("FRONTDESK_DATABASE_MAX_CONNECTIONS", "40")]);
    assert_eq!(set.map(|s| s.database_max_connections).ok(), Some(Some(40)));
    for bad in ["0", "1001"] {
        let problems =
            load(&[("FRONTDESK_DEMO", "true"), ("FRONTDESK_DATABASE_MAX_CONNECTIONS", bad)]).err().unwrap_or_default();
        assert!(problems.iter().any(|p| p.starts_with("FRONTDESK_DATABASE_MAX_CONNECTIONS")), "{bad}: {problems:?}");
    }
    let typed =
        load(&[("FRONTDESK_DEMO", "true"), ("FRONTDESK_DATABASE_MAX_CONNECTIONS", "many")]).err().unwrap_or_default();
    assert!(typed.iter().any(|p| p.starts_with("FRONTDESK_DATABASE_MAX_CONNECTIONS")), "{typed:?}");
}

#[test]
fn the_metrics_token_is_optional_never_shown_and_not_too_short() {
    use secrecy::ExposeSecret;
    let token = |value: &str| load(&[("FRONTDESK_DEMO", "true"), ("FRONTDESK_METRICS_TOKEN", value)]);
    assert!(load(&[("FRONTDESK_DEMO", "true")]).is_ok_and(|settings| settings.metrics_token.is_none()));
    assert!(token(" ").is_ok_and(|settings| settings.metrics_token.is_none()), "blank is unset");
    let set = token("0123456789abcdef-scrape").unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        set.metrics_token.as_ref().map(|t| t.expose_secret().to_owned()).as_deref(),
        Some("0123456789abcdef-scrape")
    );
    assert!(!format!("{set:?}").contains("0123456789abcdef"), "the token never prints");
    // From a secret file with its newline: kept as the scraper will send it.
    let filed = token("0123456789abcdef-scrape\n").unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(filed.metrics_token.map(|t| t.expose_secret().to_owned()).as_deref(), Some("0123456789abcdef-scrape"));
    assert!(token("  short         \n").is_err(), "its length is counted trimmed");
    let problems = token("short").err().unwrap_or_default();
    assert_eq!(
        problems,
        vec![
            "FRONTDESK_METRICS_TOKEN: must be at least 16 characters; `openssl rand -hex 16` makes one (or unset it: no /metrics)"
                .to_owned()
        ]
    );
}

#[test]
fn the_realtime_call_cap_defaults_to_eight_minutes_and_is_checked() {
    let cap = |minutes: &str| load(&[("FRONTDESK_DEMO", "true"), ("FRONTDESK_REALTIME_CALL_CAP_MINUTES", minutes)]);
    let default = load(&[("FRONTDESK_DEMO", "true")]).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(default.realtime_call_cap, frontdesk_routing::REALTIME_CALL_CAP);
    assert_eq!(default.realtime_call_cap, std::time::Duration::from_secs(8 * 60));
    for (minutes, seconds) in [("1", 60), ("3", 180), ("60", 3_600)] {
        let settings = cap(minutes).unwrap_or_else(|e| panic!("{minutes}: {e:?}"));
        assert_eq!(settings.realtime_call_cap, std::time::Duration::from_secs(seconds), "{minutes}");
    }
    for bad in ["0", "61"] {
        let problems = cap(bad).err().unwrap_or_default();
        let expected = format!(
            "FRONTDESK_REALTIME_CALL_CAP_MINUTES: {bad} is not between 1 and 60 (the minutes a call may talk with the \
             realtime voice model before it is offered a person; default 8)"
        );
        assert_eq!(problems, vec![expected], "{bad}");
    }
    for not_minutes in ["eight", "2.5", "-1"] {
        let problems = cap(not_minutes).err().unwrap_or_default();
        assert!(
            problems.len() == 1 && problems[0].starts_with("FRONTDESK_REALTIME_CALL_CAP_MINUTES: "),
            "{not_minutes}: {problems:?}"
        );
    }
    assert!(cap("5").is_ok_and(|settings| settings.warnings.iter().all(|w| !w.contains("REALTIME_CALL_CAP"))));
}

#[test]
fn started_from_a_subdirectory_the_checkout_s_config_and_database_are_used() {
    let root = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let config = root.path().join("frontdesk.toml");
    assert!(std::fs::write(&config, "demo = true\ndatabase_url = \"sqlite://data/frontdesk.db\"\n").is_ok());
    let deep = root.path().join("apps").join("voice-gateway");
    assert!(std::fs::create_dir_all(&deep).is_ok());
    let sources = Sources::found_from(&deep, HashMap::new());
    let settings = Settings::read(&sources).unwrap_or_else(|e| panic!("{e}"));
    assert!(settings.demo, "the checkout's frontdesk.toml was read");
    assert_eq!(settings.config_file.as_deref(), Some(config.as_path()));
    assert_eq!(settings.database_location(), format!("sqlite://{}", root.path().join("data/frontdesk.db").display()));
    // An absolute path, or one given by FRONTDESK_DATABASE_URL, is left as it is.
    let absolute = env(&[("FRONTDESK_DATABASE_URL", "sqlite:///var/lib/frontdesk/fd.db")]);
    let settings = Settings::read(&Sources::found_from(&deep, absolute)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(settings.database_location(), "sqlite:///var/lib/frontdesk/fd.db");
}

#[test]
fn misspelled_variables_are_warned_about_with_a_suggestion() {
    let nowhere = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let sources = Sources::found_from(
        nowhere.path(),
        env(&[("FRONTDESK_DEMO", "true"), ("FRONTDESK_DATABSE_URL", "sqlite://x.db"), ("FRONTDESK_NOPE_AT_ALL", "1")]),
    );
    let settings = Settings::read(&sources).unwrap_or_else(|e| panic!("{e}"));
    assert!(settings.config_file.is_none());
    let warnings = settings.warnings.join("\n");
    assert!(
        warnings.contains("FRONTDESK_DATABSE_URL is not a Frontdesk setting; did you mean FRONTDESK_DATABASE_URL?"),
        "{warnings}"
    );
    assert!(warnings.contains("FRONTDESK_NOPE_AT_ALL is not a Frontdesk setting; it is ignored"), "{warnings}");
    assert!(!warnings.contains("FRONTDESK_DEMO is not"), "{warnings}");
    // A Postgres URL is logged without its password.
    let postgres = Sources::found_from(
        nowhere.path(),
        env(&[
            ("FRONTDESK_DEMO", "true"),
            ("FRONTDESK_DATABASE_URL", "postgres://fd:hunter2@db.internal:6432/frontdesk"),
        ]),
    );
    let settings = Settings::read(&postgres).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(settings.database_location(), "postgres://db.internal:6432/frontdesk");
}

#[test]
fn a_weak_admin_secret_is_refused_in_demo_mode_too_and_the_fix_is_named() {
    let problems =
        load(&[("FRONTDESK_DEMO", "true"), ("FRONTDESK_ADMIN_JWT_SECRET", "test")]).err().unwrap_or_default();
    assert!(
        problems.iter().any(|p| p.starts_with("FRONTDESK_ADMIN_JWT_SECRET: must be at least 32 bytes")
            && p.contains("openssl rand -hex 32")),
        "{problems:?}"
    );
    // Unset, demo mode fills in its own default (with a warning).
    assert!(load(&[("FRONTDESK_DEMO", "true")]).is_ok());
}
