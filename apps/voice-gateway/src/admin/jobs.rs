//! `/admin/jobs`: queue depth, job inspection, retrying dead jobs, and the
//! diagnostic ping jobs. Operator only.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, SecondsFormat, Utc};
use frontdesk_jobs::{Job, JobId, JobKind, JobState, NewJob, PING};
use serde::Deserialize;
use serde_json::{Value, json};

use super::Admin;
use crate::app::AppState;
use crate::error::ApiError;

/// At most this many pings per request.
const MAX_PINGS: u32 = 100_000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/jobs", get(list_jobs))
        .route("/admin/jobs/ping", post(enqueue_pings))
        .route("/admin/jobs/{id}", get(get_job))
        .route("/admin/jobs/{id}/retry", post(retry_job))
}

fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn job_json(job: &Job) -> Value {
    json!({
        "id": job.id.to_string(),
        "kind": job.kind.as_str(),
        "state": job.state.as_str(),
        "tenant": job.tenant.as_ref().map(|t| t.as_str()),
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "run_at": time(job.run_at),
        "unique_key": job.unique_key,
        "last_error": job.last_error,
        "locked_by": job.locked_by,
        "locked_until": job.locked_until.map(time),
        "created_at": time(job.created_at),
        "updated_at": time(job.updated_at),
        "finished_at": job.finished_at.map(time),
        "payload": job.payload,
    })
}

#[derive(Deserialize)]
struct ListQuery {
    state: Option<String>,
    limit: Option<u32>,
}

async fn list_jobs(
    State(state): State<AppState>,
    admin: Admin,
    Query(query): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    admin.require_operator()?;
    let filter = match query.state.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(JobState::parse(raw).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_state",
                format!("state must be one of queued, running, failed, succeeded, dead, cancelled; got {raw:?}"),
            )
        })?),
    };
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let counts = state.job_admin.job_counts().await?;
    let jobs = state.job_admin.list_jobs(filter, limit).await?;
    let counts_json: serde_json::Map<String, Value> =
        JobState::ALL.iter().map(|s| (s.as_str().to_owned(), Value::from(counts.get(*s)))).collect();
    Ok(Json(
        json!({"counts": counts_json, "depth": counts.depth(), "jobs": jobs.iter().map(job_json).collect::<Vec<_>>()}),
    ))
}

fn parse_id(raw: &str) -> Result<JobId, ApiError> {
    raw.parse().map_err(|_| ApiError::bad_request("invalid_job_id", format!("{raw:?} is not a job id (a UUID)")))
}

async fn get_job(State(state): State<AppState>, admin: Admin, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    admin.require_operator()?;
    let id = parse_id(&id)?;
    match state.job_admin.job(id).await? {
        Some(job) => Ok(Json(job_json(&job))),
        None => Err(ApiError::not_found(format!("job {id} does not exist"))),
    }
}

async fn retry_job(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    admin.require_operator()?;
    let id = parse_id(&id)?;
    let before = state.job_admin.job(id).await?.map(|job| job_json(&job));
    let job = state.job_admin.retry_job(id, state.clock.now()).await?;
    tracing::info!(job_id = %id, by = %admin.0.subject, "dead job put back in the queue");
    let after = job_json(&job);
    admin.audit(&state, job.tenant.as_ref(), "job.retry", &id.to_string(), before, Some(after.clone())).await;
    Ok(Json(after))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PingRequest {
    count: u32,
    #[serde(default)]
    delay_ms: u64,
}

/// Enqueues `count` no-op jobs in one transaction; each records its
/// completion. For smoke-testing a deployment and for benchmarks.
async fn enqueue_pings(
    State(state): State<AppState>,
    admin: Admin,
    body: Result<Json<PingRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    admin.require_operator()?;
    let Json(request) = body.map_err(|e| ApiError::new(e.status(), "bad_request", e.body_text()))?;
    if request.count == 0 || request.count > MAX_PINGS {
        return Err(ApiError::bad_request("invalid_count", format!("count must be between 1 and {MAX_PINGS}")));
    }
    let kind = JobKind::parse(PING).map_err(ApiError::internal)?;
    let mut tx = state.jobs.begin().await?;
    let mut ids = Vec::with_capacity(request.count as usize);
    for _ in 0..request.count {
        let job = NewJob::new(kind.clone(), json!({"delay_ms": request.delay_ms}));
        ids.push(tx.enqueue(job).await?.job_id().to_string());
    }
    tx.commit().await?;
    tracing::info!(count = request.count, by = %admin.0.subject, "enqueued ping jobs");
    Ok((StatusCode::ACCEPTED, Json(json!({"enqueued": ids.len(), "job_ids": ids}))))
}
