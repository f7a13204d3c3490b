//! `GET /healthz` (the process is alive) and `GET /readyz` (its dependencies are).

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Map, Value, json};

use crate::app::AppState;

const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

pub fn routes() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz))
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
