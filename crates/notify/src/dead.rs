//! Operators hear about jobs that went to the dead letter.

use std::sync::Arc;

use async_trait::async_trait;
use frontdesk_core::Clock;
use frontdesk_jobs::{DeadLetterWatch, Job, JobQueue};

use crate::jobs::operator_alert_job;
use crate::model::OperatorEvent;

/// A [`DeadLetterWatch`] that alerts the operators: at most once a day per
/// shop (or the platform) and kind of job, so a channel that keeps failing
/// does not bury them in alerts about its own deliveries.
pub struct DeadJobAlerts {
    pub queue: Arc<dyn JobQueue>,
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl DeadLetterWatch for DeadJobAlerts {
    async fn job_died(&self, job: &Job, error: &str) {
        let day = self.clock.now().date_naive();
        let about = job.tenant.as_ref().map_or_else(|| "the platform".to_owned(), |t| format!("shop {t}"));
        let body = format!(
            "A {kind} job for {about} failed {attempts} times and is in the dead letter: {error}. Job {id}; retry it with `adminctl jobs retry {id}` once the cause is fixed. Other {kind} jobs that die today are not alerted again.",
            kind = job.kind,
            attempts = job.attempts,
            id = job.id,
        );
        let alert = operator_alert_job(
            OperatorEvent::DeadJob,
            job.tenant.as_ref(),
            day,
            Some(job.kind.as_str()),
            &format!("Frontdesk: a {} job is dead", job.kind),
            &body,
            Some("/ops/jobs"),
        );
        if let Err(error) = self.queue.enqueue(alert).await {
            tracing::error!(job_id = %job.id, %error, "could not enqueue the operators' alert about a dead job");
        }
    }
}
