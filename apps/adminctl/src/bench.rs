//! `adminctl bench-calls`: the phone path's cost, measured from outside.
//!
//! Starts release gateways (this build's, and optionally an older one to
//! compare with in the same run), each on a fresh SQLite database and, when
//! a PostgreSQL server is given, a fresh PostgreSQL database; drives them with
//! `loadtest` (complete signed booking calls); and reports, per gateway and
//! store:
//! - gateway CPU per webhook request at saturation (100 calls in flight,
//!   back to back): process CPU seconds from /proc divided by requests, which
//!   holds on a shared, noisy machine where wall time does not;
//! - latency at 100 concurrent paced calls (callers pause about a second
//!   between turns), p50 and p99.
//!
//! Runs alternate between the gateways so drift in the machine's load hits
//! both alike. The table is printed and, with `--write-docs`, replaces the
//! calls section of docs/benchmarks.md.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use frontdesk_auth::TokenSecret;

use crate::client::{AdminClient, Failure};
use crate::loadtest::{CallScript, LoadOptions, LoadReport, measure};

const ADMIN_SECRET: &str = "bench-calls-admin-secret-long-enough-for-hs256";
const TWILIO_TOKEN: &str = "bench-calls-twilio-token";
const PUBLIC_URL: &str = "https://frontdesk.example.com";
/// The tenant and service every benchmark call books (a demo tenant on Pro).
pub const TENANT: &str = "fresh-cuts";
pub const SERVICE: &str = "haircut";

pub struct BenchOptions {
    /// This build's gateway binary.
    pub gateway: PathBuf,
    /// An older gateway binary to compare with, labelled "before".
    pub before: Option<PathBuf>,
    /// A PostgreSQL server URL (databases are created and dropped on it).
    pub postgres: Option<String>,
    /// Calls per saturation run (each call is 4 webhook requests).
    pub calls: usize,
    /// Rounds: each gateway is measured this many times, alternating.
    pub rounds: usize,
    /// Rewrite the calls section of this file.
    pub write_docs: Option<PathBuf>,
}

/// The gateway binary next to this adminctl (both come from the same
/// `cargo build --release`), unless one is named.
pub fn gateway_binary(named: Option<PathBuf>) -> Result<PathBuf, Failure> {
    match named {
        Some(path) => Ok(path),
        None => std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|dir| dir.join("voice-gateway")))
            .filter(|path| path.exists())
            .ok_or_else(|| {
                Failure::Usage(
                    "error: no voice-gateway next to adminctl; build it (cargo build --release -p voice-gateway) or pass --gateway-bin".into(),
                )
            }),
    }
}

/// One gateway process on its own database (a fresh SQLite file, or a fresh
/// PostgreSQL database dropped again by [`Gateway::stop`]), in demo mode
/// without the in-process worker.
pub struct Gateway {
    child: Child,
    base: String,
    dir: tempfile::TempDir,
    postgres_database: Option<(String, String)>,
}

impl Gateway {
    /// Starts `binary` and waits until it is ready. `extra_env` is added to
    /// the benchmark's environment (e.g. where the language model is).
    pub async fn start(
        binary: &Path,
        postgres: Option<&str>,
        extra_env: &[(&str, String)],
    ) -> Result<Gateway, Failure> {
        let dir = tempfile::tempdir().map_err(|e| Failure::Usage(format!("error: temporary directory: {e}")))?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map_err(|e| Failure::Usage(format!("error: no free port: {e}")))?
            .port();
        let (database_url, postgres_database) = match postgres {
            Some(server) => {
                let name = format!("frontdesk_bench_{}", std::process::id() as u64 * 1000 + u64::from(port % 1000));
                psql(server, &format!("CREATE DATABASE {name}"))?;
                let url = database_url_for(server, &name);
                (url, Some((server.to_owned(), name)))
            }
            None => (format!("sqlite://{}", dir.path().join("bench.db").display()), None),
        };
        let child = Command::new(binary)
            .current_dir(dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("FRONTDESK_DEMO", "true")
            .env("FRONTDESK_RUN_WORKER", "false")
            .env("FRONTDESK_HTTP_ADDR", format!("127.0.0.1:{port}"))
            .env("FRONTDESK_DATABASE_URL", &database_url)
            .env("FRONTDESK_ADMIN_JWT_SECRET", ADMIN_SECRET)
            .env("FRONTDESK_TWILIO_AUTH_TOKEN", TWILIO_TOKEN)
            .env("FRONTDESK_PUBLIC_BASE_URL", PUBLIC_URL)
            .env("FRONTDESK_STRIPE_WEBHOOK_SECRET", "whsec_bench")
            .env("RUST_LOG", "warn")
            .envs(extra_env.iter().map(|(name, value)| (*name, value.as_str())))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| Failure::Usage(format!("error: starting {}: {e}", binary.display())))?;
        let gateway = Gateway { child, base: format!("http://127.0.0.1:{port}"), dir, postgres_database };
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if reqwest::get(format!("{}/readyz", gateway.base)).await.is_ok_and(|r| r.status().is_success()) {
                return Ok(gateway);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(Failure::Usage(format!("error: {} did not become ready within 60 s", binary.display())))
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// An admin API client for this gateway.
    pub fn admin(&self) -> Result<AdminClient, Failure> {
        AdminClient::new(&self.base, TokenSecret::new(ADMIN_SECRET.as_bytes()))
    }

    /// `loadtest` options for `calls` calls of `script` against this
    /// gateway, 100 at once, the gateway's CPU measured.
    pub fn load_options(&self, calls: usize, think: Duration, script: CallScript) -> LoadOptions {
        LoadOptions {
            calls,
            concurrency: 100,
            tenant: TENANT.to_owned(),
            service: SERVICE.to_owned(),
            gateway: self.base.clone(),
            public_url: Some(PUBLIC_URL.to_owned()),
            auth_token: TWILIO_TOKEN.to_owned(),
            gateway_pid: Some(self.pid()),
            think,
            script,
        }
    }

    /// Kills the process and drops its PostgreSQL database.
    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some((server, name)) = &self.postgres_database
            && let Err(error) = psql(server, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        {
            eprintln!("could not drop {name}: {error:?}");
        }
        let _ = &self.dir;
    }
}

/// `postgres://user@host:port/db` with the database replaced.
fn database_url_for(server: &str, name: &str) -> String {
    match server.rfind('/') {
        Some(slash) if slash > "postgres://".len() => format!("{}/{name}", &server[..slash]),
        _ => format!("{server}/{name}"),
    }
}

fn psql(server: &str, statement: &str) -> Result<(), Failure> {
    let status = Command::new("psql")
        .args([server, "-qc", statement])
        .stdout(Stdio::null())
        .status()
        .map_err(|e| Failure::Usage(format!("error: running psql: {e}")))?;
    if status.success() { Ok(()) } else { Err(Failure::Usage(format!("error: psql failed: {statement}"))) }
}

/// One gateway's figures on one store.
#[derive(Debug, Clone)]
struct Row {
    gateway: String,
    store: &'static str,
    saturated: LoadReport,
    paced: LoadReport,
}

async fn load(gateway: &Gateway, calls: usize, think: Duration) -> Result<LoadReport, Failure> {
    let report = measure(&gateway.admin()?, &gateway.load_options(calls, think, CallScript::Booking)).await?;
    report.all_succeeded()?;
    Ok(report)
}

async fn one_row(label: &str, binary: &Path, store: &'static str, options: &BenchOptions) -> Result<Row, Failure> {
    let postgres = if store == "PostgreSQL" { options.postgres.as_deref() } else { None };
    let gateway = Gateway::start(binary, postgres, &[]).await?;
    // Warm up: connections, caches, the allocator.
    let warm = load(&gateway, 20, Duration::ZERO).await;
    let result = match warm {
        Ok(_) => match load(&gateway, options.calls, Duration::ZERO).await {
            Ok(saturated) => load(&gateway, 100, Duration::from_millis(1000)).await.map(|paced| Row {
                gateway: label.to_owned(),
                store,
                saturated,
                paced,
            }),
            Err(error) => Err(error),
        },
        Err(error) => Err(error),
    };
    gateway.stop();
    result
}

pub async fn run(options: BenchOptions) -> Result<(), Failure> {
    let mut gateways: Vec<(String, PathBuf)> = Vec::new();
    if let Some(before) = &options.before {
        gateways.push(("before".to_owned(), before.clone()));
    }
    gateways.push(("after".to_owned(), options.gateway.clone()));
    let mut stores = vec!["SQLite"];
    if options.postgres.is_some() {
        stores.push("PostgreSQL");
    }
    let mut rows: Vec<Row> = Vec::new();
    for round in 0..options.rounds.max(1) {
        for store in &stores {
            for (label, binary) in &gateways {
                println!("round {} · {label} · {store} …", round + 1);
                let row = one_row(label, binary, store, &options).await?;
                println!(
                    "  saturated: {:.3} ms CPU per request, {:.0} requests/s · paced: p50 {:.2} ms, p99 {:.2} ms",
                    row.saturated.cpu_ms_per_turn().unwrap_or(f64::NAN),
                    row.saturated.turns_per_second(),
                    row.paced.p50_ms,
                    row.paced.p99_ms
                );
                rows.push(row);
            }
        }
    }
    let table = render(&rows, &options);
    println!("\n{table}");
    if let Some(path) = &options.write_docs {
        write_section(path, "calls", "Phone calls: CPU per request", &table)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// Median of the values (the rounds of one measurement); NaN for none.
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

fn render(rows: &[Row], options: &BenchOptions) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "`just bench-calls` ({} rounds; saturation: {} calls = {} requests, 100 in flight; paced: 100 calls at once, callers pausing about 1 s). CPU is the gateway process's user + system time from /proc per webhook request; medians of the rounds.\n\n",
        options.rounds.max(1),
        options.calls,
        options.calls * 4
    ));
    out.push_str("| gateway | store | CPU per request (saturated) | requests/s (saturated) | p50 paced | p99 paced | peak RSS |\n");
    out.push_str("|---|---|---:|---:|---:|---:|---:|\n");
    let mut keys: Vec<(String, &'static str)> = Vec::new();
    for row in rows {
        if !keys.iter().any(|(g, s)| *g == row.gateway && *s == row.store) {
            keys.push((row.gateway.clone(), row.store));
        }
    }
    keys.sort_by_key(|(gateway, store)| (*store, gateway != "before"));
    for (gateway, store) in keys {
        let mine: Vec<&Row> = rows.iter().filter(|r| r.gateway == gateway && r.store == store).collect();
        let cpu = median(mine.iter().filter_map(|r| r.saturated.cpu_ms_per_turn()).collect());
        let throughput = median(mine.iter().map(|r| r.saturated.turns_per_second()).collect());
        let p50 = median(mine.iter().map(|r| r.paced.p50_ms).collect());
        let p99 = median(mine.iter().map(|r| r.paced.p99_ms).collect());
        let rss =
            median(mine.iter().filter_map(|r| r.paced.gateway_peak_rss_kib.map(|kib| kib as f64 / 1024.0)).collect());
        out.push_str(&format!(
            "| {gateway} | {store} | {cpu:.3} ms | {throughput:.0} | {p50:.2} ms | {p99:.2} ms | {rss:.1} MiB |\n"
        ));
    }
    out
}

/// Replaces the text between `<!-- bench:{marker}:begin -->` and its end
/// marker in the Markdown file at `path` with `section`, or appends it under
/// `## {heading}` when the markers are not there yet.
pub fn write_section(path: &Path, marker: &str, heading: &str, section: &str) -> Result<(), Failure> {
    let current = std::fs::read_to_string(path).unwrap_or_default();
    std::fs::write(path, with_section(&current, marker, heading, section))
        .map_err(|e| Failure::Usage(format!("error: writing {}: {e}", path.display())))
}

/// `document` with its `marker` section replaced (see [`write_section`]).
fn with_section(document: &str, marker: &str, heading: &str, section: &str) -> String {
    let (begin, end) = (format!("<!-- bench:{marker}:begin -->"), format!("<!-- bench:{marker}:end -->"));
    let replacement = format!("{begin}\n{section}{end}");
    match (document.find(&begin), document.find(&end)) {
        (Some(start), Some(stop)) if stop > start => {
            format!("{}{replacement}{}", &document[..start], &document[stop + end.len()..])
        }
        _ => format!("{document}\n## {heading}\n\n{replacement}\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::with_section;

    fn check(document: &str, expected: &str) {
        assert_eq!(with_section(document, "model", "Language model turns", "new figures\n"), expected);
    }

    #[test]
    fn a_section_is_replaced_between_its_markers_and_appended_when_missing() {
        check(
            "# Benchmarks\n\nbefore\n<!-- bench:model:begin -->\nold figures\n<!-- bench:model:end -->\nafter\n",
            "# Benchmarks\n\nbefore\n<!-- bench:model:begin -->\nnew figures\n<!-- bench:model:end -->\nafter\n",
        );
        check(
            "# Benchmarks\n<!-- bench:calls:begin -->\ncalls\n<!-- bench:calls:end -->\n",
            "# Benchmarks\n<!-- bench:calls:begin -->\ncalls\n<!-- bench:calls:end -->\n\n## Language model turns\n\n<!-- bench:model:begin -->\nnew figures\n<!-- bench:model:end -->\n",
        );
        // An end marker before the begin marker is no section: appended.
        check(
            "<!-- bench:model:end -->\n<!-- bench:model:begin -->\n",
            "<!-- bench:model:end -->\n<!-- bench:model:begin -->\n\n## Language model turns\n\n<!-- bench:model:begin -->\nnew figures\n<!-- bench:model:end -->\n",
        );
    }
}
