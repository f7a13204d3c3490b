//! Durable background jobs.
//!
//! Nothing slow or fallible runs inside a phone call's request: texts,
//! calendar writes, usage reports and notifications become jobs, executed at
//! least once and never silently dropped.
//!
//! The crate defines the ports a store adapter implements — [`JobQueue`]
//! (enqueue, also inside a [`JobTransaction`] with the domain write that causes
//! the job), [`JobLeases`] (what workers do), [`JobAdmin`] (what operators
//! see), [`JobEffects`] (idempotency records) and [`JobSchedules`] (cron) —
//! plus the engine on top of them: the [`Worker`] loop, the [`RetryPolicy`]
//! and [`CronSchedule`]. It knows nothing of SQL, HTTP or any vendor.

mod model;
mod ping;
mod ports;
mod retry;
mod schedule;
mod worker;

pub use model::{
    EnqueueOutcome, Job, JobCounts, JobError, JobId, JobKind, JobKindError, JobState, Lease, NewJob, StoredJob,
    WorkerId, lease_lost,
};
pub use ping::{PING, PONG, PingHandler};
pub use ports::{DueSchedule, JobAdmin, JobEffects, JobLeases, JobQueue, JobSchedules, JobTransaction};
pub use retry::RetryPolicy;
pub use schedule::{CronSchedule, RecurringJob};
pub use worker::{DeadLetterWatch, HandlerError, JobContext, JobHandler, Worker, WorkerConfig, WorkerReport};
