//! `GET /` (what this is, for a person who opens it in a browser),
//! `GET /healthz` (the process is alive) and `GET /readyz` (its dependencies are).

use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Map, Value, json};

use crate::app::AppState;

const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(home)).route("/healthz", get(healthz)).route("/readyz", get(readyz))
}

/// A small page that says what this server is and where to go next.
async fn home(State(state): State<AppState>) -> impl IntoResponse {
    let page = format!(
        r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Frontdesk voice gateway</title>
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5}}code{{background:#f3f3f3;padding:0 .2em}}</style></head>
<body>
<h1>Frontdesk voice gateway</h1>
<p>This server answers shops' phone calls: Twilio sends its webhooks to <code>/twilio/…</code>, Stripe to <code>/stripe/webhook</code>, and operators use the admin API under <code>/admin/…</code> (with a bearer token; <code>adminctl</code> is its command-line client).</p>
<ul>
<li><a href="/healthz">/healthz</a>: the process is alive</li>
<li><a href="/readyz">/readyz</a>: its database answers</li>
</ul>
<p>The README and <code>docs/ARCHITECTURE.md</code> in the source tree explain set-up, configuration and the API.</p>
<p><small>version {version}</small></p>
</body>
</html>
"#,
        version = state.version
    );
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, "default-src 'none'; style-src 'unsafe-inline'"),
        ],
        page,
    )
}

async fn healthz(State(state): State<AppState>) -> Json<Value> {
    Json(json!({"status": "ok", "version": state.version}))
}

async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let mut checks = Map::new();
    let mut ready = true;
    for dependency in state.readiness.iter() {
        let outcome = match tokio::time::timeout(CHECK_TIMEOUT, dependency.check_ready()).await {
            Ok(Ok(())) => "ok".to_owned(),
            Ok(Err(not_ready)) => not_ready.0,
            Err(_) => format!("no answer within {} s", CHECK_TIMEOUT.as_secs()),
        };
        if outcome != "ok" {
            ready = false;
            tracing::warn!(component = dependency.component(), reason = %outcome, "not ready");
        }
        checks.insert(dependency.component().to_owned(), Value::String(outcome));
    }
    let (status, word) = if ready { (StatusCode::OK, "ready") } else { (StatusCode::SERVICE_UNAVAILABLE, "not_ready") };
    (status, Json(json!({"status": word, "version": state.version, "checks": checks})))
}
