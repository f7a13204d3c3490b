//! The job ports' contract: `JobQueue`, `JobLeases`, `JobAdmin`,
//! `JobEffects`, `JobSchedules`.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use frontdesk_core::Clock;
use frontdesk_jobs::{EnqueueOutcome, Job, JobError, JobId, JobKind, JobState, Lease, NewJob, WorkerId};
use serde_json::json;

use crate::Stores;

fn kind(raw: &str) -> JobKind {
    JobKind::parse(raw).unwrap_or_else(|e| panic!("{e}"))
}

fn ping() -> NewJob {
    NewJob::new(kind("diagnostics.ping"), json!({"n": 1}))
}

fn worker(name: &str) -> WorkerId {
    WorkerId::new(name)
}

const LEASE: i64 = 30;

async fn enqueue(stores: &Stores, job: NewJob) -> JobId {
    match stores.jobs.enqueue(job).await {
        Ok(outcome) => outcome.job_id(),
        Err(error) => panic!("enqueue: {error}"),
    }
}

async fn claim_at(stores: &Stores, name: &str, limit: u32, now: DateTime<Utc>) -> Vec<Lease> {
    let kinds = [kind("diagnostics.ping"), kind("sms.send")];
    stores
        .leases
        .claim(&worker(name), &kinds, limit, Duration::seconds(LEASE), now)
        .await
        .unwrap_or_else(|e| panic!("claim: {e}"))
}

async fn claim(stores: &Stores, name: &str, limit: u32) -> Vec<Lease> {
    claim_at(stores, name, limit, stores.clock.now()).await
}

async fn job(stores: &Stores, id: JobId) -> Job {
    match stores.job_admin.job(id).await {
        Ok(Some(job)) => job,
        other => panic!("job {id}: {other:?}"),
    }
}

async fn count_jobs(stores: &Stores) -> u64 {
    let counts = stores.job_admin.job_counts().await.unwrap_or_else(|e| panic!("{e}"));
    JobState::ALL.iter().map(|s| counts.get(*s)).sum()
}

pub async fn enqueue_claim_complete(stores: Stores) {
    let tenant = frontdesk_core::TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}"));
    let id = enqueue(&stores, ping().for_tenant(tenant.clone())).await;
    let queued = job(&stores, id).await;
    assert_eq!(queued.state, JobState::Queued);
    assert_eq!(queued.attempts, 0);
    assert_eq!(queued.run_at, stores.clock.now());
    assert_eq!(queued.tenant, Some(tenant));
    assert_eq!(queued.payload, json!({"n": 1}));

    let leases = claim(&stores, "w1", 10).await;
    assert_eq!(leases.len(), 1);
    let lease = &leases[0];
    assert_eq!((lease.job.id, lease.job.state, lease.attempt()), (id, JobState::Running, 1));
    assert_eq!(lease.job.locked_by.as_deref(), Some("w1"));
    assert_eq!(lease.job.locked_until, Some(stores.clock.now() + Duration::seconds(LEASE)));
    assert!(claim(&stores, "w2", 10).await.is_empty(), "a leased job is not handed out twice");

    stores.clock.advance(Duration::seconds(3));
    assert!(stores.leases.complete(lease, stores.clock.now()).await.is_ok());
    let done = job(&stores, id).await;
    assert_eq!(done.state, JobState::Succeeded);
    assert_eq!(done.finished_at, Some(stores.clock.now()));
    assert_eq!(done.locked_by, None);
    assert!(claim(&stores, "w1", 10).await.is_empty());
}

pub async fn a_rolled_back_transaction_leaves_no_job(stores: Stores) {
    let mut rolled_back = stores.jobs.begin().await.unwrap_or_else(|e| panic!("{e}"));
    let id = rolled_back.enqueue(ping()).await.map(EnqueueOutcome::job_id).unwrap_or_else(|e| panic!("{e}"));
    assert!(rolled_back.rollback().await.is_ok());
    assert!(matches!(stores.job_admin.job(id).await, Ok(None)));

    let mut dropped = stores.jobs.begin().await.unwrap_or_else(|e| panic!("{e}"));
    assert!(dropped.enqueue(ping()).await.is_ok());
    drop(dropped);
    assert_eq!(count_jobs(&stores).await, 0, "a dropped transaction rolls back");

    let mut committed = stores.jobs.begin().await.unwrap_or_else(|e| panic!("{e}"));
    let first = committed.enqueue(ping()).await.map(EnqueueOutcome::job_id).unwrap_or_else(|e| panic!("{e}"));
    let second = committed.enqueue(ping()).await.map(EnqueueOutcome::job_id).unwrap_or_else(|e| panic!("{e}"));
    assert!(committed.commit().await.is_ok());
    assert_eq!(job(&stores, first).await.state, JobState::Queued);
    assert_eq!(job(&stores, second).await.state, JobState::Queued);
}

pub async fn a_unique_key_enqueued_twice_yields_one_job(stores: Stores) {
    let first = stores.jobs.enqueue(ping().unique_key("sms:confirm:b1")).await;
    let second = stores.jobs.enqueue(ping().unique_key("sms:confirm:b1")).await;
    let (Ok(EnqueueOutcome::Enqueued(id)), Ok(EnqueueOutcome::AlreadyQueued(again))) = (&first, &second) else {
        panic!("{first:?} {second:?}");
    };
    assert_eq!(id, again);
    assert_eq!(count_jobs(&stores).await, 1);

    // Inside a transaction too.
    let mut tx = stores.jobs.begin().await.unwrap_or_else(|e| panic!("{e}"));
    let inside = tx.enqueue(ping().unique_key("sms:confirm:b1")).await;
    assert!(matches!(inside, Ok(EnqueueOutcome::AlreadyQueued(existing)) if existing == *id), "{inside:?}");
    assert!(tx.commit().await.is_ok());

    // A finished job still holds its key; a cancelled one frees it.
    let lease = claim(&stores, "w1", 1).await.pop().unwrap_or_else(|| panic!("claim"));
    assert!(stores.leases.complete(&lease, stores.clock.now()).await.is_ok());
    assert!(matches!(
        stores.jobs.enqueue(ping().unique_key("sms:confirm:b1")).await,
        Ok(EnqueueOutcome::AlreadyQueued(_))
    ));
    let reminder = enqueue(&stores, ping().unique_key("reminder:b1")).await;
    assert!(stores.jobs.cancel(reminder).await.is_ok());
    assert!(matches!(stores.jobs.enqueue(ping().unique_key("reminder:b1")).await, Ok(EnqueueOutcome::Enqueued(_))));
}

pub async fn scheduled_jobs_do_not_run_early(stores: Stores) {
    let start = stores.clock.now();
    let id = enqueue(&stores, ping().run_at(start + Duration::hours(24))).await;
    assert!(claim(&stores, "w1", 10).await.is_empty());
    assert!(claim_at(&stores, "w1", 10, start + Duration::hours(24) - Duration::milliseconds(1)).await.is_empty());
    let due = claim_at(&stores, "w1", 10, start + Duration::hours(24)).await;
    assert_eq!(due.iter().map(|l| l.job.id).collect::<Vec<_>>(), [id]);
}

pub async fn a_cancelled_job_never_runs(stores: Stores) {
    let later =
        enqueue(&stores, ping().run_at(stores.clock.now() + Duration::hours(1)).unique_key("reminder:b7")).await;
    let now = enqueue(&stores, ping()).await;
    assert!(stores.jobs.cancel(later).await.is_ok());
    assert!(matches!(stores.jobs.cancel_by_key("reminder:b7").await, Ok(false)), "already cancelled");

    let leases = claim_at(&stores, "w1", 10, stores.clock.now() + Duration::days(2)).await;
    assert_eq!(leases.iter().map(|l| l.job.id).collect::<Vec<_>>(), [now]);
    assert_eq!(job(&stores, later).await.state, JobState::Cancelled);

    let running = stores.jobs.cancel(now).await;
    assert!(matches!(running, Err(JobError::InvalidState { state: JobState::Running, .. })), "{running:?}");
    assert!(matches!(stores.jobs.cancel(JobId::new()).await, Err(JobError::NotFound(_))));

    let keyed = enqueue(&stores, ping().unique_key("reminder:b8")).await;
    assert!(matches!(stores.jobs.cancel_by_key("reminder:b8").await, Ok(true)));
    assert_eq!(job(&stores, keyed).await.state, JobState::Cancelled);
    assert!(matches!(stores.jobs.cancel_by_key("no-such-key").await, Ok(false)));
}

pub async fn failures_back_off_and_end_in_the_dead_letter(stores: Stores) {
    let id = enqueue(&stores, ping().max_attempts(3)).await;
    for attempt in 1..=3_u32 {
        let leases = claim(&stores, "w1", 10).await;
        assert_eq!(leases.len(), 1, "attempt {attempt} is due");
        let lease = &leases[0];
        assert_eq!(lease.attempt(), attempt);
        let retry_at = stores.clock.now() + Duration::seconds(10 * i64::from(attempt));
        let state = stores.leases.fail(lease, &format!("timeout #{attempt}"), Some(retry_at), stores.clock.now()).await;
        let expected = if attempt < 3 { JobState::Failed } else { JobState::Dead };
        assert!(matches!(state, Ok(s) if s == expected), "attempt {attempt}: {state:?}");
        if attempt < 3 {
            assert!(claim(&stores, "w1", 10).await.is_empty(), "the retry waits for its backoff");
            assert_eq!(job(&stores, id).await.run_at, retry_at);
            stores.clock.set(retry_at);
        }
    }
    let dead = job(&stores, id).await;
    assert_eq!(dead.state, JobState::Dead);
    assert_eq!(dead.last_error.as_deref(), Some("timeout #3"));
    assert_eq!(dead.attempts, 3);
    assert!(claim_at(&stores, "w1", 10, stores.clock.now() + Duration::days(1)).await.is_empty());
    assert_eq!(stores.job_admin.job_counts().await.map(|c| c.dead).ok(), Some(1));

    // A permanent failure skips the remaining attempts.
    let doomed = enqueue(&stores, ping().max_attempts(5)).await;
    let lease = claim(&stores, "w1", 1).await.pop().unwrap_or_else(|| panic!("claim"));
    assert!(matches!(stores.leases.fail(&lease, "invalid number", None, stores.clock.now()).await, Ok(JobState::Dead)));
    assert_eq!(job(&stores, doomed).await.attempts, 1);

    // An operator puts a dead job back.
    let retried = stores.job_admin.retry_job(id, stores.clock.now()).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((retried.state, retried.attempts), (JobState::Queued, 0));
    assert_eq!(claim(&stores, "w1", 10).await.len(), 1);
    let not_dead = stores.job_admin.retry_job(id, stores.clock.now()).await;
    assert!(matches!(not_dead, Err(JobError::InvalidState { state: JobState::Running, .. })), "{not_dead:?}");
}

pub async fn an_expired_lease_is_claimed_again_and_fences_the_old_worker(stores: Stores) {
    let id = enqueue(&stores, ping()).await;
    let old = claim(&stores, "w1", 1).await.pop().unwrap_or_else(|| panic!("claim"));
    stores.clock.advance(Duration::seconds(LEASE - 1));
    assert!(claim(&stores, "w2", 1).await.is_empty(), "the lease still holds");
    stores.clock.advance(Duration::seconds(1));
    let new = claim(&stores, "w2", 1).await.pop().unwrap_or_else(|| panic!("reclaim after expiry"));
    assert_eq!((new.job.id, new.attempt()), (id, 2));

    let now = stores.clock.now();
    assert!(matches!(stores.leases.complete(&old, now).await, Err(JobError::LeaseLost(_))));
    assert!(matches!(stores.leases.heartbeat(&old, now + Duration::minutes(1)).await, Err(JobError::LeaseLost(_))));
    assert!(matches!(stores.leases.fail(&old, "late", None, now).await, Err(JobError::LeaseLost(_))));
    assert!(matches!(stores.leases.release(&old, now).await, Err(JobError::LeaseLost(_))));
    assert!(stores.leases.complete(&new, now).await.is_ok());
    assert_eq!(job(&stores, id).await.state, JobState::Succeeded);
}

pub async fn an_expired_last_attempt_goes_to_the_dead_letter(stores: Stores) {
    let id = enqueue(&stores, ping().max_attempts(1)).await;
    assert_eq!(claim(&stores, "w1", 1).await.len(), 1);
    stores.clock.advance(Duration::seconds(LEASE + 1));
    assert!(claim(&stores, "w2", 1).await.is_empty());
    let dead = job(&stores, id).await;
    assert_eq!(dead.state, JobState::Dead);
    assert!(dead.last_error.as_deref().is_some_and(|e| e.contains("lease expired")), "{:?}", dead.last_error);
}

pub async fn heartbeats_keep_a_lease(stores: Stores) {
    enqueue(&stores, ping()).await;
    let lease = claim(&stores, "w1", 1).await.pop().unwrap_or_else(|| panic!("claim"));
    stores.clock.advance(Duration::seconds(LEASE - 5));
    assert!(stores.leases.heartbeat(&lease, stores.clock.now() + Duration::seconds(LEASE)).await.is_ok());
    stores.clock.advance(Duration::seconds(LEASE - 5));
    assert!(claim(&stores, "w2", 1).await.is_empty(), "the heartbeat extended the lease");
    assert!(stores.leases.complete(&lease, stores.clock.now()).await.is_ok());
}

pub async fn release_gives_the_job_back_without_spending_an_attempt(stores: Stores) {
    let id = enqueue(&stores, ping().max_attempts(1)).await;
    let lease = claim(&stores, "w1", 1).await.pop().unwrap_or_else(|| panic!("claim"));
    assert!(stores.leases.release(&lease, stores.clock.now()).await.is_ok());
    let released = job(&stores, id).await;
    assert_eq!((released.state, released.attempts, released.locked_by.clone()), (JobState::Queued, 0, None));
    let again = claim(&stores, "w2", 1).await.pop().unwrap_or_else(|| panic!("claim again"));
    assert_eq!(again.attempt(), 1, "its one allowed attempt is still available");
}

pub async fn concurrent_claims_never_share_a_job(stores: Stores) {
    let mut expected = BTreeSet::new();
    for _ in 0..60 {
        expected.insert(enqueue(&stores, ping()).await);
    }
    let mut tasks = Vec::new();
    for index in 0..4 {
        let leases = stores.leases.clone();
        let now = stores.clock.now();
        tasks.push(tokio::spawn(async move {
            let me = WorkerId::new(format!("w{index}"));
            let mut mine = Vec::new();
            loop {
                let got = leases
                    .claim(&me, &[kind("diagnostics.ping")], 4, Duration::seconds(LEASE), now)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                if got.is_empty() {
                    return mine;
                }
                mine.extend(got.into_iter().map(|l| l.job.id));
            }
        }));
    }
    let mut claimed = Vec::new();
    for task in tasks {
        claimed.extend(task.await.unwrap_or_else(|e| panic!("{e}")));
    }
    let unique: BTreeSet<JobId> = claimed.iter().copied().collect();
    assert_eq!(claimed.len(), unique.len(), "no job was claimed twice");
    assert_eq!(unique, expected, "every job was claimed");
}

pub async fn claims_take_only_requested_kinds_oldest_first(stores: Stores) {
    let start = stores.clock.now();
    let newer = enqueue(&stores, ping().run_at(start - Duration::seconds(1))).await;
    let older = enqueue(&stores, ping().run_at(start - Duration::seconds(5))).await;
    let other = enqueue(&stores, NewJob::new(kind("calendar.sync"), json!({}))).await;
    let leases = claim(&stores, "w1", 1).await;
    assert_eq!(leases.iter().map(|l| l.job.id).collect::<Vec<_>>(), [older]);
    let leases = claim(&stores, "w1", 10).await;
    assert_eq!(leases.iter().map(|l| l.job.id).collect::<Vec<_>>(), [newer]);
    assert_eq!(job(&stores, other).await.state, JobState::Queued, "no worker asked for calendar.sync");
}

pub async fn effects_are_recorded_once(stores: Stores) {
    let id = enqueue(&stores, ping()).await;
    let now = stores.clock.now();
    assert!(matches!(stores.effects.effect(id, "sms.sent").await, Ok(None)));
    assert!(matches!(stores.effects.record_effect(id, "sms.sent", "SM123", now).await, Ok(true)));
    assert!(matches!(stores.effects.record_effect(id, "sms.sent", "SM999", now).await, Ok(false)));
    assert_eq!(stores.effects.effect(id, "sms.sent").await.ok().flatten().as_deref(), Some("SM123"));
    assert!(matches!(stores.effects.effect(JobId::new(), "sms.sent").await, Ok(None)));
}

pub async fn each_schedule_occurrence_is_enqueued_once(stores: Stores) {
    let first = stores.clock.now() + Duration::minutes(10);
    assert!(stores.schedules.register_schedule("nightly", "0 3 * * * | usage.report", first).await.is_ok());
    // Re-registering the same definition (another worker starting) keeps the occurrence.
    let later = first + Duration::hours(1);
    assert!(stores.schedules.register_schedule("nightly", "0 3 * * * | usage.report", later).await.is_ok());
    assert!(matches!(stores.schedules.due_schedules(stores.clock.now()).await, Ok(due) if due.is_empty()));

    stores.clock.set(first);
    let due = stores.schedules.due_schedules(stores.clock.now()).await.unwrap_or_default();
    assert_eq!(due.iter().map(|d| (d.name.as_str(), d.next_run_at)).collect::<Vec<_>>(), [("nightly", first)]);

    let next = first + Duration::days(1);
    let make_job = || ping().unique_key(format!("cron:nightly:{}", first.timestamp()));
    let (a, b) = (stores.schedules.clone(), stores.schedules.clone());
    let (job_a, job_b) = (make_job(), make_job());
    let racers = (
        tokio::spawn(async move { a.advance_schedule("nightly", first, next, job_a).await }),
        tokio::spawn(async move { b.advance_schedule("nightly", first, next, job_b).await }),
    );
    let outcomes = [racers.0.await, racers.1.await].map(|r| match r {
        Ok(Ok(won)) => won,
        other => panic!("{other:?}"),
    });
    assert_eq!(outcomes.iter().filter(|won| **won).count(), 1, "exactly one worker enqueues the occurrence");
    assert_eq!(count_jobs(&stores).await, 1);
    assert!(matches!(stores.schedules.due_schedules(stores.clock.now()).await, Ok(due) if due.is_empty()));

    // A changed definition resets the next occurrence.
    assert!(stores.schedules.register_schedule("nightly", "0 4 * * * | usage.report", later).await.is_ok());
    stores.clock.set(later);
    let due = stores.schedules.due_schedules(stores.clock.now()).await.unwrap_or_default();
    assert_eq!(due.iter().map(|d| d.next_run_at).collect::<Vec<_>>(), [later]);
}

pub async fn listing_and_counting(stores: Stores) {
    let a = enqueue(&stores, ping()).await;
    stores.clock.advance(Duration::seconds(1));
    let b = enqueue(&stores, ping()).await;
    stores.clock.advance(Duration::seconds(1));
    let c = enqueue(&stores, ping().run_at(stores.clock.now() + Duration::hours(1))).await;
    assert!(stores.jobs.cancel(c).await.is_ok());
    let listed = stores.job_admin.list_jobs(None, 10).await.unwrap_or_default();
    assert_eq!(listed.iter().map(|j| j.id).collect::<Vec<_>>(), [c, b, a], "most recently updated first");
    let queued = stores.job_admin.list_jobs(Some(JobState::Queued), 1).await.unwrap_or_default();
    assert_eq!(queued.iter().map(|j| j.id).collect::<Vec<_>>(), [b]);
    let counts = stores.job_admin.job_counts().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((counts.queued, counts.cancelled, counts.depth()), (2, 1, 2));
}
