use std::time::Duration;

use async_trait::async_trait;

use crate::model::JobKind;
use crate::worker::{HandlerError, JobContext, JobHandler};

/// The diagnostic job kind: `adminctl jobs ping` enqueues these.
pub const PING: &str = "diagnostics.ping";

/// Does nothing but record that it ran, exactly once per job: an end-to-end
/// check of a deployment's queue and workers, and the benchmark's load.
///
/// Payload (all optional): `delay_ms` (sleep first, to have a job in flight),
/// `fail_attempts` (fail the first N attempts, to exercise retries).
pub struct PingHandler;

/// The effect a ping records: `"pong"` → which worker, which attempt.
pub const PONG: &str = "pong";

#[async_trait]
impl JobHandler for PingHandler {
    fn kind(&self) -> JobKind {
        JobKind::parse(PING).unwrap_or_else(|_| unreachable!("{PING} is a valid kind"))
    }

    async fn run(&self, context: &JobContext) -> Result<(), HandlerError> {
        let job = &context.job;
        let unexpected = |e: crate::JobError| HandlerError::Retry(e.to_string());
        if context.effects.effect(job.id, PONG).await.map_err(unexpected)?.is_some() {
            return Ok(()); // an earlier attempt got this far, then crashed
        }
        let delay_ms = job.payload["delay_ms"].as_u64().unwrap_or(0).min(600_000);
        if delay_ms > 0 {
            tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        }
        let fail_attempts = job.payload["fail_attempts"].as_u64().unwrap_or(0);
        if u64::from(job.attempts) <= fail_attempts {
            return Err(HandlerError::Retry(format!("asked to fail attempt {}", job.attempts)));
        }
        let value = format!("attempt {} by {}", job.attempts, context.worker);
        context.effects.record_effect(job.id, PONG, &value, context.clock.now()).await.map_err(unexpected)?;
        Ok(())
    }
}
