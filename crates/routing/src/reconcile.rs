//! A finished call costs what the provider's own record says.
//!
//! Metering trusts the provider's "completed" callback first (it is signed
//! and usually right), and takes the largest duration any callback reports.
//! When the provider's call records can be read ([`CallLedger`]: Twilio's
//! Call resource), a [`CallDurationCheck`] job reads the record a little
//! after the call ended and meters the difference if the record is longer:
//! a callback forged with a shop's own token, or one that went missing,
//! cannot make a call cheaper.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_core::TenantId;
use frontdesk_jobs::{HandlerError, JobContext, JobHandler, JobKind, NewJob};
use serde_json::json;

use crate::allowance::CallAllowance;
use crate::calls::{CallStore, Outcome};
use crate::ids::{CallSid, CallStatus};
use crate::session::{meter_reported_duration, minutes_of};

/// The job kind of [`CallDurationCheck`].
pub const CHECK_CALL_DURATION: &str = "calls.check_duration";

/// What the provider's record says about a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerCall {
    pub status: CallStatus,
    /// Whole seconds, once the call has ended.
    pub duration_secs: Option<u32>,
}

/// Why the provider's record could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// Busy, down or unreachable: try again later.
    #[error("the provider's call records are unavailable: {0}")]
    Unavailable(String),
    /// Refused for good (credentials, a malformed record).
    #[error("the provider refused to show the call: {0}")]
    Refused(String),
}

/// The provider's own records of calls (Twilio's Call resource).
#[async_trait]
pub trait CallLedger: Send + Sync {
    /// `Ok(None)` when the provider has no such call in the account it
    /// reads (a shop with its own provider account, say).
    async fn call(&self, call_sid: &CallSid) -> Result<Option<LedgerCall>, LedgerError>;
}

/// The job that checks `call_sid`'s duration, once per call, not before `at`.
pub fn duration_check_job(tenant: &TenantId, call_sid: &CallSid, at: DateTime<Utc>) -> NewJob {
    let kind = JobKind::parse(CHECK_CALL_DURATION).unwrap_or_else(|_| unreachable!("a valid kind"));
    NewJob::new(kind, json!({"call_sid": call_sid.as_str()}))
        .for_tenant(tenant.clone())
        .run_at(at)
        .unique_key(format!("{CHECK_CALL_DURATION}:{call_sid}"))
}

/// The `calls.check_duration` job handler.
pub struct CallDurationCheck {
    pub calls: Arc<dyn CallStore>,
    pub ledger: Arc<dyn CallLedger>,
    pub allowance: Arc<dyn CallAllowance>,
}

fn retry(error: impl std::fmt::Display) -> HandlerError {
    HandlerError::Retry(error.to_string())
}

#[async_trait]
impl JobHandler for CallDurationCheck {
    fn kind(&self) -> JobKind {
        JobKind::parse(CHECK_CALL_DURATION).unwrap_or_else(|_| unreachable!("a valid kind"))
    }

    async fn run(&self, context: &JobContext) -> Result<(), HandlerError> {
        let job = &context.job;
        let tenant = job.tenant.clone().ok_or_else(|| HandlerError::Permanent("check without a tenant".into()))?;
        let call_sid = job.payload["call_sid"]
            .as_str()
            .and_then(|raw| CallSid::parse(raw).ok())
            .ok_or_else(|| HandlerError::Permanent("check without a call sid".into()))?;
        let Some(call) = self.calls.call(&tenant, &call_sid).await.map_err(retry)? else {
            tracing::info!(tenant_id = %tenant, %call_sid, "the call is gone (its sandbox was purged?): nothing to check");
            return Ok(());
        };
        let record = match self.ledger.call(&call_sid).await {
            Ok(Some(record)) => record,
            Ok(None) => {
                tracing::info!(tenant_id = %tenant, %call_sid, "the provider's account has no record of this call: the callback's duration stands");
                return Ok(());
            }
            Err(LedgerError::Unavailable(error)) => return Err(HandlerError::Retry(error)),
            Err(error @ LedgerError::Refused(_)) => return Err(HandlerError::Permanent(error.to_string())),
        };
        let (CallStatus::Completed, Some(seconds)) = (record.status, record.duration_secs) else {
            if record.status.is_final() {
                return Ok(()); // busy, failed, no answer: nothing was billed
            }
            return Err(HandlerError::Retry(format!("the provider still has the call as {}", record.status)));
        };
        if call.duration_secs.is_some_and(|metered| metered >= seconds) {
            return Ok(());
        }
        tracing::warn!(
            tenant_id = %tenant, %call_sid, reported = ?call.duration_secs, recorded = seconds,
            "the provider's record of the call is longer than its callbacks said: metering the difference"
        );
        // Sequence 0 is no later than any callback already applied: only the
        // duration changes (the largest one is kept).
        let outcome = call.outcome.unwrap_or(Outcome::Abandoned);
        let now = context.clock.now();
        self.calls
            .record_status(&tenant, &call_sid, CallStatus::Completed, 0, Some(seconds), outcome, now)
            .await
            .map_err(retry)?;
        let minutes = minutes_of(&crate::dialogue::CallState::from_json(&call.state));
        meter_reported_duration(self.allowance.as_ref(), &tenant, &call_sid, minutes, call.duration_secs, seconds, now)
            .await
            .map_err(retry)
    }
}
