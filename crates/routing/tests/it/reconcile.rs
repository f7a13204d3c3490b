//! A finished call costs what the provider's own record says: the check
//! scheduled by the first "completed" callback meters the difference when
//! the record is longer, and nothing when it agrees.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use frontdesk_calendar::{BookingService, MemoryBookingStore};
use frontdesk_core::{ManualClock, TenantId};
use frontdesk_jobs::{
    EnqueueOutcome, HandlerError, Job, JobContext, JobEffects, JobError, JobHandler, JobId, JobQueue, JobState,
    JobTransaction, NewJob, WorkerId,
};
use frontdesk_routing::scenarios::demo_profile;
use frontdesk_routing::{
    CHECK_CALL_DURATION, CallDurationCheck, CallLedger, CallMinutes, CallSession, CallSid, CallStatus, CallStore,
    Dialogue, IncomingCall, LedgerCall, LedgerError, MemoryCallStore, StatusReport,
};
use mockall::predicate::eq;

use crate::session::MockAllowance;
use crate::support::{monday_morning, phone};

fn sid() -> CallSid {
    CallSid::parse("CA00000000000000000000000000000042").unwrap_or_else(|e| panic!("{e}"))
}

fn fresh_cuts() -> TenantId {
    TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}"))
}

/// The jobs enqueued, kept in order.
#[derive(Default)]
struct Queue(Mutex<Vec<NewJob>>);

impl Queue {
    fn jobs(&self) -> Vec<NewJob> {
        self.0.lock().map(|jobs| jobs.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl JobQueue for Queue {
    async fn enqueue(&self, job: NewJob) -> Result<EnqueueOutcome, JobError> {
        if let Ok(mut jobs) = self.0.lock() {
            jobs.push(job);
        }
        Ok(EnqueueOutcome::Enqueued(JobId::new()))
    }
    async fn begin(&self) -> Result<Box<dyn JobTransaction>, JobError> {
        Err(JobError::Unexpected(anyhow::anyhow!("the call session enqueues without a transaction")))
    }
    async fn cancel(&self, id: JobId) -> Result<(), JobError> {
        Err(JobError::NotFound(id))
    }
    async fn cancel_by_key(&self, _unique_key: &str) -> Result<bool, JobError> {
        Ok(false)
    }
}

/// No effects are recorded by this handler.
struct NoEffects;

#[async_trait]
impl JobEffects for NoEffects {
    async fn record_effect(&self, _: JobId, _: &str, _: &str, _: DateTime<Utc>) -> Result<bool, JobError> {
        Ok(true)
    }
    async fn effect(&self, _: JobId, _: &str) -> Result<Option<String>, JobError> {
        Ok(None)
    }
}

/// The provider's record, as the test sets it.
struct Ledger(Result<Option<LedgerCall>, &'static str>);

#[async_trait]
impl CallLedger for Ledger {
    async fn call(&self, _call_sid: &CallSid) -> Result<Option<LedgerCall>, LedgerError> {
        match &self.0 {
            Ok(record) => Ok(*record),
            Err("refused") => Err(LedgerError::Refused("Twilio error 20003: Authenticate (HTTP 401)".into())),
            Err(other) => Err(LedgerError::Unavailable((*other).to_owned())),
        }
    }
}

fn completed(seconds: u32) -> Result<Option<LedgerCall>, &'static str> {
    Ok(Some(LedgerCall { status: CallStatus::Completed, duration_secs: Some(seconds) }))
}

/// A call of the barbershop that has been answered, in `calls`.
async fn answered_call(calls: &Arc<MemoryCallStore>) {
    let incoming = IncomingCall { call_sid: sid(), caller: Some(phone("+15555551234")), called: phone("+15555550100") };
    let opened = calls.open_call(&fresh_cuts(), &incoming, "{}", monday_morning()).await;
    assert!(opened.is_ok(), "{opened:?}");
}

fn session(calls: Arc<MemoryCallStore>, allowance: MockAllowance, queue: Option<Arc<Queue>>) -> CallSession {
    let clock = Arc::new(ManualClock::new(monday_morning()));
    let dialogue = Dialogue::new(Arc::new(BookingService::new(Arc::new(MemoryBookingStore::default()), clock)));
    let session = CallSession::new(calls, Arc::new(dialogue), Arc::new(allowance));
    match queue {
        Some(queue) => session.with_duration_checks(queue, Duration::minutes(2)),
        None => session,
    }
}

fn completed_report(seconds: u32, sequence: u32) -> StatusReport {
    StatusReport { status: CallStatus::Completed, sequence, duration_secs: Some(seconds) }
}

/// Runs the check as the worker would (attempt 1, now = the job's time).
async fn check(calls: Arc<MemoryCallStore>, ledger: Ledger, allowance: MockAllowance) -> Result<(), HandlerError> {
    let at = monday_morning() + Duration::minutes(12);
    let job = Job {
        id: JobId::new(),
        kind: frontdesk_jobs::JobKind::parse(CHECK_CALL_DURATION).unwrap_or_else(|e| panic!("{e}")),
        payload: serde_json::json!({"call_sid": sid().as_str()}),
        tenant: Some(fresh_cuts()),
        state: JobState::Running,
        attempts: 1,
        max_attempts: 5,
        run_at: at,
        unique_key: None,
        last_error: None,
        locked_by: None,
        locked_until: None,
        created_at: at,
        updated_at: at,
        finished_at: None,
    };
    let context = JobContext {
        job,
        worker: WorkerId::new("test"),
        effects: Arc::new(NoEffects),
        clock: Arc::new(ManualClock::new(at)),
    };
    let handler = CallDurationCheck { calls, ledger: Arc::new(ledger), allowance: Arc::new(allowance) };
    handler.run(&context).await
}

#[tokio::test]
async fn a_short_callback_is_corrected_from_the_providers_record() {
    let calls = Arc::new(MemoryCallStore::new());
    answered_call(&calls).await;
    let queue = Arc::new(Queue::default());
    let mut allowance = MockAllowance::new();
    allowance
        .expect_meter_call()
        .with(eq(fresh_cuts()), eq(sid()), eq(30), eq(CallMinutes::Answered), mockall::predicate::always())
        .times(1)
        .returning(|_, _, _, _, _| Ok(()));
    let profile = demo_profile("fresh-cuts");
    let at = monday_morning() + Duration::minutes(10);
    let session = session(calls.clone(), allowance, Some(queue.clone()));
    assert!(session.status(&profile, &sid(), completed_report(30, 3), at).await.is_ok());
    // A repeat of the callback schedules nothing more.
    assert!(session.status(&profile, &sid(), completed_report(30, 3), at).await.is_ok());
    let jobs = queue.jobs();
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(jobs[0].kind.as_str(), CHECK_CALL_DURATION);
    assert_eq!(jobs[0].tenant, Some(fresh_cuts()));
    assert_eq!(jobs[0].run_at, Some(at + Duration::minutes(2)));
    assert_eq!(jobs[0].unique_key.as_deref(), Some("calls.check_duration:CA00000000000000000000000000000042"));

    // Twilio's record says ten minutes and two seconds: 11 started minutes,
    // 10 more than the 1 metered.
    let mut allowance = MockAllowance::new();
    allowance
        .expect_meter_call_extension()
        .with(eq(fresh_cuts()), eq(sid()), eq(602), eq(10), eq(CallMinutes::Answered), mockall::predicate::always())
        .times(1)
        .returning(|_, _, _, _, _, _| Ok(()));
    allowance.expect_meter_call().never();
    assert!(check(calls.clone(), Ledger(completed(602)), allowance).await.is_ok());
    let call = calls.call(&fresh_cuts(), &sid()).await.ok().flatten();
    let call = call.unwrap_or_else(|| panic!("the call is kept"));
    assert_eq!((call.duration_secs, call.status), (Some(602), CallStatus::Completed));

    // Run again (a retried job), the record and the meter agree: nothing more.
    let mut allowance = MockAllowance::new();
    allowance.expect_meter_call_extension().never();
    allowance.expect_meter_call().never();
    assert!(check(calls, Ledger(completed(602)), allowance).await.is_ok());
}

#[tokio::test]
async fn a_record_that_agrees_or_is_missing_changes_nothing_and_outages_are_retried() {
    let calls = Arc::new(MemoryCallStore::new());
    answered_call(&calls).await;
    let mut allowance = MockAllowance::new();
    allowance.expect_meter_call().times(1).returning(|_, _, _, _, _| Ok(()));
    let profile = demo_profile("fresh-cuts");
    let session = session(calls.clone(), allowance, None);
    assert!(session.status(&profile, &sid(), completed_report(125, 3), monday_morning()).await.is_ok());

    let quiet = || {
        let mut allowance = MockAllowance::new();
        allowance.expect_meter_call().never();
        allowance.expect_meter_call_extension().never();
        allowance
    };
    // Same duration, a shorter one (the largest counts), or no record in
    // the account: nothing to do.
    for ledger in [completed(125), completed(20), Ok(None)] {
        assert!(check(calls.clone(), Ledger(ledger), quiet()).await.is_ok());
    }
    // A call that did not connect was not billed by the provider.
    let busy = Ok(Some(LedgerCall { status: CallStatus::Busy, duration_secs: None }));
    assert!(check(calls.clone(), Ledger(busy), quiet()).await.is_ok());
    // Not over yet at the provider, or the provider is down: later.
    let ongoing = Ok(Some(LedgerCall { status: CallStatus::InProgress, duration_secs: None }));
    assert!(matches!(check(calls.clone(), Ledger(ongoing), quiet()).await, Err(HandlerError::Retry(_))));
    assert!(matches!(check(calls.clone(), Ledger(Err("503")), quiet()).await, Err(HandlerError::Retry(_))));
    // Refused for good (wrong credentials): the dead-letter queue shows it.
    assert!(matches!(check(calls.clone(), Ledger(Err("refused")), quiet()).await, Err(HandlerError::Permanent(_))));
    let call = calls.call(&fresh_cuts(), &sid()).await.ok().flatten().map(|c| c.duration_secs);
    assert_eq!(call, Some(Some(125)));
}

#[tokio::test]
async fn a_call_that_is_gone_is_not_checked() {
    let calls = Arc::new(MemoryCallStore::new());
    let mut allowance = MockAllowance::new();
    allowance.expect_meter_call().never();
    allowance.expect_meter_call_extension().never();
    assert!(check(calls, Ledger(completed(602)), allowance).await.is_ok());
}
