use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use frontdesk_core::{ManualClock, TenantId};
use frontdesk_jobs::{
    EnqueueOutcome, Job, JobContext, JobEffects, JobError, JobId, JobQueue, JobState, JobTransaction, NewJob, WorkerId,
};
use frontdesk_notify::{Channel, Delivered, Notification, Notifier, NotifyError};
use frontdesk_tenant::{MemoryTenantStore, ProfileDocument, TenantProfile, TenantStore};

pub fn at(raw: &str) -> DateTime<Utc> {
    let naive = chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M").unwrap_or_else(|e| panic!("{raw}: {e}"));
    Utc.from_utc_datetime(&naive)
}

/// Fresh Cuts (New York) with `notifications` as its `[notifications]` TOML.
pub fn shop(notifications: &str) -> TenantProfile {
    let toml = format!(
        "slug = \"fresh-cuts\"\nname = \"Fresh Cuts\"\ntimezone = \"America/New_York\"\nphone_numbers = [\"+15555550100\"]\nowner_phone = \"+15555550199\"\n[hours]\nmon = [\"09:00-17:00\"]\n[[services]]\nname = \"Haircut\"\nduration_minutes = 30\nprice_cents = 3500\n[notifications]\n{notifications}\n"
    );
    let document = ProfileDocument::from_toml(&toml).unwrap_or_else(|e| panic!("{e}"));
    TenantProfile::parse(&document).unwrap_or_else(|e| panic!("{e}"))
}

pub async fn tenants_with(profile: &TenantProfile) -> Arc<MemoryTenantStore> {
    let tenants = Arc::new(MemoryTenantStore::default());
    tenants.put_tenant(profile).await.unwrap_or_else(|e| panic!("{e}"));
    tenants
}

/// A job as a worker would hand it to its handler.
pub fn running(job: &NewJob, created_at: DateTime<Utc>) -> Job {
    Job {
        id: job.id,
        kind: job.kind.clone(),
        payload: job.payload.clone(),
        tenant: job.tenant.clone(),
        state: JobState::Running,
        attempts: 1,
        max_attempts: job.max_attempts,
        run_at: created_at,
        unique_key: job.unique_key.clone(),
        last_error: None,
        locked_by: Some("test".to_owned()),
        locked_until: None,
        created_at,
        updated_at: created_at,
        finished_at: None,
    }
}

pub fn context(job: Job, effects: Arc<MemoryEffects>, clock: Arc<ManualClock>) -> JobContext {
    JobContext { job, worker: WorkerId::new("test"), effects, clock }
}

/// Jobs enqueued, by unique key once (as the stores do).
#[derive(Default)]
pub struct RecordingQueue {
    pub jobs: Mutex<Vec<NewJob>>,
}

impl RecordingQueue {
    pub fn taken(&self) -> Vec<NewJob> {
        std::mem::take(&mut *self.jobs.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn add(&self, job: NewJob) -> EnqueueOutcome {
        let mut jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(existing) = jobs.iter().find(|j| j.unique_key.is_some() && j.unique_key == job.unique_key) {
            return EnqueueOutcome::AlreadyQueued(existing.id);
        }
        let id = job.id;
        jobs.push(job);
        EnqueueOutcome::Enqueued(id)
    }
}

struct RecordingTransaction {
    queue: Arc<RecordingQueue>,
    pending: Vec<NewJob>,
}

#[async_trait]
impl JobTransaction for RecordingTransaction {
    async fn enqueue(&mut self, job: NewJob) -> Result<EnqueueOutcome, JobError> {
        let id = job.id;
        self.pending.push(job);
        Ok(EnqueueOutcome::Enqueued(id))
    }
    async fn commit(self: Box<Self>) -> Result<(), JobError> {
        for job in self.pending {
            self.queue.add(job);
        }
        Ok(())
    }
    async fn rollback(self: Box<Self>) -> Result<(), JobError> {
        Ok(())
    }
}

/// The queue, shared with the transactions it begins.
pub struct SharedQueue(pub Arc<RecordingQueue>);

#[async_trait]
impl JobQueue for SharedQueue {
    async fn enqueue(&self, job: NewJob) -> Result<EnqueueOutcome, JobError> {
        Ok(self.0.add(job))
    }
    async fn begin(&self) -> Result<Box<dyn JobTransaction>, JobError> {
        Ok(Box::new(RecordingTransaction { queue: self.0.clone(), pending: Vec::new() }))
    }
    async fn cancel(&self, id: JobId) -> Result<(), JobError> {
        Err(JobError::NotFound(id))
    }
    async fn cancel_by_key(&self, _unique_key: &str) -> Result<bool, JobError> {
        Ok(false)
    }
}

#[derive(Default)]
pub struct MemoryEffects {
    effects: Mutex<Vec<(JobId, String, String)>>,
}

#[async_trait]
impl JobEffects for MemoryEffects {
    async fn record_effect(
        &self,
        job: JobId,
        effect: &str,
        value: &str,
        _now: DateTime<Utc>,
    ) -> Result<bool, JobError> {
        let mut effects = self.effects.lock().unwrap_or_else(|p| p.into_inner());
        if effects.iter().any(|(j, e, _)| *j == job && e == effect) {
            return Ok(false);
        }
        effects.push((job, effect.to_owned(), value.to_owned()));
        Ok(true)
    }
    async fn effect(&self, job: JobId, effect: &str) -> Result<Option<String>, JobError> {
        let effects = self.effects.lock().unwrap_or_else(|p| p.into_inner());
        Ok(effects.iter().find(|(j, e, _)| *j == job && e == effect).map(|(_, _, v)| v.clone()))
    }
}

/// A notifier that answers from a script (then `ok`) and keeps what it was given.
#[derive(Default)]
pub struct ScriptedNotifier {
    pub answers: Mutex<VecDeque<Result<Delivered, NotifyError>>>,
    pub given: Mutex<Vec<(Option<TenantId>, Notification, Channel)>>,
}

impl ScriptedNotifier {
    pub fn answering(answers: Vec<Result<Delivered, NotifyError>>) -> ScriptedNotifier {
        ScriptedNotifier { answers: Mutex::new(answers.into()), given: Mutex::default() }
    }

    pub fn given(&self) -> Vec<(Option<TenantId>, Notification, Channel)> {
        self.given.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

#[async_trait]
impl Notifier for ScriptedNotifier {
    async fn deliver(
        &self,
        tenant: Option<&TenantId>,
        notification: &Notification,
        channel: &Channel,
    ) -> Result<Delivered, NotifyError> {
        self.given.lock().unwrap_or_else(|p| p.into_inner()).push((
            tenant.cloned(),
            notification.clone(),
            channel.clone(),
        ));
        let next = self.answers.lock().unwrap_or_else(|p| p.into_inner()).pop_front();
        next.unwrap_or_else(|| Ok(Delivered { receipt: "ok".to_owned() }))
    }
}
