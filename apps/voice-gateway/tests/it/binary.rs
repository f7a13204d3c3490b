//! The real executable, started as an operator would start it, driven over
//! HTTP with tokens minted here (not by the gateway's own code): on SQLite
//! always, on PostgreSQL when `FRONTDESK_TEST_POSTGRES_URL` is set.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::{Value, json};

use crate::support::{SECRET, shop_json, token_at};

struct Gateway {
    child: Child,
    base: String,
}

impl Gateway {
    /// Starts `voice-gateway` in `dir` with exactly `env` (plus PATH/HOME),
    /// and waits until `/healthz` answers.
    async fn start(dir: &Path, env: &[(&str, String)]) -> Gateway {
        Gateway::start_logging_to(dir, env, Stdio::null()).await
    }

    async fn start_logging_to(dir: &Path, env: &[(&str, String)], stderr: Stdio) -> Gateway {
        let port = free_port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_voice-gateway"));
        command
            .current_dir(dir)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", std::env::var("HOME").unwrap_or_default())
            .env("FRONTDESK_HTTP_ADDR", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(stderr);
        for (key, value) in env {
            command.env(key, value);
        }
        let child = command.spawn().unwrap_or_else(|e| panic!("spawning voice-gateway: {e}"));
        let gateway = Gateway { child, base: format!("http://127.0.0.1:{port}") };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if reqwest::get(format!("{}/healthz", gateway.base)).await.is_ok() {
                return gateway;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("voice-gateway did not answer /healthz within 30 s");
    }

    /// SIGTERM, then the exit status.
    async fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(matches!(sent, Ok(s) if s.success()), "kill -TERM {pid}");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            assert!(Instant::now() < deadline, "voice-gateway ignored SIGTERM");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or_else(|e| panic!("{e}"))
}

async fn call(method: reqwest::Method, url: &str, token: Option<&str>, body: Option<&Value>) -> (u16, Value) {
    let client = reqwest::Client::new();
    let mut request = client.request(method, url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.unwrap_or_else(|e| panic!("{url}: {e}"));
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn production_env(database_url: String) -> Vec<(&'static str, String)> {
    vec![
        ("FRONTDESK_DATABASE_URL", database_url),
        ("FRONTDESK_ADMIN_JWT_SECRET", SECRET.to_owned()),
        ("FRONTDESK_TWILIO_AUTH_TOKEN", "twilio-test-token".to_owned()),
        ("FRONTDESK_STRIPE_WEBHOOK_SECRET", "whsec_test".to_owned()),
        ("FRONTDESK_PUBLIC_BASE_URL", "https://frontdesk.example.com".to_owned()),
    ]
}

/// The admin API over real HTTP: the same checks on either backend.
async fn drive_admin_api(base: &str) {
    let admin = token_at("admin", Utc::now(), 60);
    let (status, body) = call(reqwest::Method::GET, &format!("{base}/readyz"), None, None).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ready")), "{body}");

    let (status, _) = call(reqwest::Method::GET, &format!("{base}/admin/tenants"), None, None).await;
    assert_eq!(status, 401);
    let expired = token_at("admin", Utc::now() - chrono::Duration::hours(1), 60);
    let (status, _) = call(reqwest::Method::GET, &format!("{base}/admin/tenants"), Some(&expired), None).await;
    assert_eq!(status, 401);

    let url = format!("{base}/admin/tenants/corner-salon");
    let document = shop_json("corner-salon", &["+44 20 7946 0958"]);
    let (status, body) = call(reqwest::Method::PUT, &url, Some(&admin), Some(&document)).await;
    assert_eq!(status, 201, "{body}");
    let (status, _) = call(reqwest::Method::PUT, &url, Some(&admin), Some(&document)).await;
    assert_eq!(status, 200);

    let mut bad = document.clone();
    bad["hours"] = json!({"mon": ["09:00-12:00", "10:00-11:00"]});
    let (status, body) = call(reqwest::Method::PUT, &url, Some(&admin), Some(&bad)).await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["details"][0]["field"], "hours.mon[1]");

    let own = token_at("tenant:corner-salon", Utc::now(), 60);
    let (status, body) = call(reqwest::Method::GET, &url, Some(&own), None).await;
    assert_eq!((status, body["profile"]["phone_numbers"].clone()), (200, json!(["+442079460958"])));
    let (status, _) = call(reqwest::Method::GET, &format!("{base}/admin/tenants"), Some(&own), None).await;
    assert_eq!(status, 403);

    let (status, body) = call(reqwest::Method::DELETE, &url, Some(&admin), None).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("disabled")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_the_admin_api_on_sqlite_and_keeps_data_across_restarts() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let env = production_env("sqlite://data/frontdesk.db".to_owned());

    let gateway = Gateway::start(dir.path(), &env).await;
    drive_admin_api(&gateway.base).await;
    let status = gateway.terminate().await;
    assert!(status.success(), "SIGTERM is a clean shutdown: {status:?}");
    assert!(dir.path().join("data/frontdesk.db").exists(), "the database file is under data/");

    let gateway = Gateway::start(dir.path(), &env).await;
    let admin = token_at("admin", Utc::now(), 60);
    let (status, body) =
        call(reqwest::Method::GET, &format!("{}/admin/tenants/corner-salon", gateway.base), Some(&admin), None).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("disabled")), "a restart loses nothing");
    let (_, list) = call(reqwest::Method::GET, &format!("{}/admin/tenants", gateway.base), Some(&admin), None).await;
    assert_eq!(list["tenants"].as_array().map(Vec::len), Some(1), "no demo tenants outside demo mode");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_the_admin_api_on_postgres() {
    let Ok(url) = std::env::var("FRONTDESK_TEST_POSTGRES_URL") else {
        eprintln!("skipped: FRONTDESK_TEST_POSTGRES_URL is not set");
        return;
    };
    let name = format!("frontdesk_test_{}", uuid::Uuid::new_v4().simple());
    let database_url =
        frontdesk_store_postgres::PostgresStore::create_database(&url, &name).await.unwrap_or_else(|e| panic!("{e:#}"));

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let gateway = Gateway::start(dir.path(), &production_env(database_url)).await;
    drive_admin_api(&gateway.base).await;
    assert!(gateway.terminate().await.success());
    assert!(!dir.path().join("data").exists(), "PostgreSQL mode writes no SQLite file");
}

#[test]
fn startup_errors_name_what_to_fix_and_exit_non_zero() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let run = |env: &[(&str, &str)]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_voice-gateway"));
        command.current_dir(dir.path()).env_clear().env("PATH", std::env::var("PATH").unwrap_or_default());
        for (key, value) in env {
            command.env(key, value);
        }
        let output = command.output().unwrap_or_else(|e| panic!("{e}"));
        (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
    };

    let (code, stderr) = run(&[]);
    assert_eq!(code, Some(2), "{stderr}");
    for variable in [
        "FRONTDESK_ADMIN_JWT_SECRET",
        "FRONTDESK_TWILIO_AUTH_TOKEN",
        "FRONTDESK_PUBLIC_BASE_URL",
        "FRONTDESK_STRIPE_WEBHOOK_SECRET",
    ] {
        assert!(stderr.contains(variable), "{variable} not named: {stderr}");
    }

    let (code, stderr) = run(&[("FRONTDESK_DEMO", "true"), ("FRONTDESK_DATABASE_URL", "mongodb://localhost")]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("unsupported database \"mongodb\""), "{stderr}");

    let (code, stderr) =
        run(&[("FRONTDESK_DEMO", "true"), ("FRONTDESK_DATABASE_URL", "postgres://nobody@127.0.0.1:1/x")]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("cannot connect to PostgreSQL"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_carry_request_and_tenant_ids_and_no_secrets() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let log_path = dir.path().join("gateway.log");
    let log = std::fs::File::create(&log_path).unwrap_or_else(|e| panic!("{e}"));
    let mut env = production_env("sqlite://data/frontdesk.db".to_owned());
    env.extend([("FRONTDESK_LOG_FORMAT", "json".to_owned()), ("RUST_LOG", "info".to_owned())]);
    let gateway = Gateway::start_logging_to(dir.path(), &env, Stdio::from(log)).await;

    let token = token_at("admin", Utc::now(), 60);
    let response = reqwest::Client::new()
        .put(format!("{}/admin/tenants/corner-salon", gateway.base))
        .bearer_auth(&token)
        .header("x-request-id", "req-json-log-1")
        .json(&shop_json("corner-salon", &[]))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status().as_u16(), 201);
    assert!(gateway.terminate().await.success());

    let text = std::fs::read_to_string(&log_path).unwrap_or_default();
    let lines: Vec<Value> =
        text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
    let finished = lines
        .iter()
        .find(|l| l["span"]["request_id"] == "req-json-log-1" && l["message"] == "finished processing request")
        .unwrap_or_else(|| panic!("no JSON line for the request in:\n{text}"));
    assert_eq!(finished["span"]["tenant_id"], "corner-salon");
    assert_eq!(finished["span"]["admin_sub"], "tester");
    assert_eq!(finished["status"], 201);
    for secret in [SECRET, token.as_str(), "twilio-test-token"] {
        assert!(!text.contains(secret), "a secret leaked into the log");
    }
}
