//! The owner's daily digest: one summary at 19:00 shop time of the events
//! of the 24 hours before, instead of each event as it happens.
//!
//! Events of an owner who chose the digest are kept in the [`DigestLog`]
//! (once per key); an hourly sweep enqueues each such shop's digest of its
//! latest 19:00 once (`notify.digest:{tenant}:{day}`), so a sweep missed
//! while workers were down is made up by the next one; the digest job
//! reads the day's entries and fans out one delivery per channel.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use frontdesk_core::{StoreError, TenantId};
use frontdesk_jobs::{HandlerError, JobContext, JobHandler, JobKind, JobQueue, NewJob};
use frontdesk_tenant::{OwnerEvent, TenantProfile, TenantStatus, TenantStore};
use serde_json::json;

use crate::jobs::{NOTIFY_DELIVER, enqueue_all, kind, owner_channels, retry};
use crate::model::{Audience, NotificationEvent};

/// Enqueue the digests that are due (hourly).
pub const DIGEST_SWEEP: &str = "notify.digest_sweep";
/// Summarise one shop's day (payload: `day`, the digest's local date).
pub const DIGEST: &str = "notify.digest";

/// When the digest goes out, shop time.
pub const DIGEST_HOUR: u32 = 19;
/// At most this many events are listed one by one.
const MOST_LISTED: usize = 40;

/// An owner's event kept for the digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestEntry {
    /// What it is about (unique per tenant): the event's own key.
    pub key: String,
    pub event: OwnerEvent,
    pub body: String,
    pub link: Option<String>,
    /// When it happened.
    pub at: DateTime<Utc>,
}

impl DigestEntry {
    /// The one decoder both stores use: an unknown event is `Corrupt`.
    pub fn from_stored(
        tenant: &TenantId,
        key: String,
        event: &str,
        body: String,
        link: Option<String>,
        at: DateTime<Utc>,
    ) -> Result<DigestEntry, StoreError> {
        let event = OwnerEvent::parse(event).ok_or_else(|| {
            StoreError::corrupt(tenant.as_str(), format!("digest entry {key}: unknown event {event:?}"))
        })?;
        Ok(DigestEntry { key, event, body, link, at })
    }
}

/// Events kept for owners' digests.
#[async_trait]
pub trait DigestLog: Send + Sync {
    /// Keeps `entry` for `tenant`'s digest, once per `entry.key`: `Ok(false)`
    /// (and the first entry kept) when the key was kept before. MUST return
    /// `NotFound` for an unknown tenant.
    async fn keep_for_digest(&self, tenant: &TenantId, entry: &DigestEntry) -> Result<bool, StoreError>;

    /// `tenant`'s entries with `from <= at < to`, oldest first (by `at`, then key).
    async fn digest_entries(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<DigestEntry>, StoreError>;
}

/// [`DigestLog`] in memory, for tests and embedders (any tenant is known).
#[derive(Default)]
pub struct MemoryDigestLog {
    entries: Mutex<HashMap<TenantId, BTreeMap<String, DigestEntry>>>,
}

impl MemoryDigestLog {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TenantId, BTreeMap<String, DigestEntry>>> {
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl DigestLog for MemoryDigestLog {
    async fn keep_for_digest(&self, tenant: &TenantId, entry: &DigestEntry) -> Result<bool, StoreError> {
        let mut entries = self.lock();
        let kept = entries.entry(tenant.clone()).or_default();
        if kept.contains_key(&entry.key) {
            return Ok(false);
        }
        kept.insert(entry.key.clone(), entry.clone());
        Ok(true)
    }

    async fn digest_entries(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<DigestEntry>, StoreError> {
        let entries = self.lock();
        let mut found: Vec<DigestEntry> = entries
            .get(tenant)
            .map(|kept| kept.values().filter(|e| e.at >= from && e.at < to).cloned().collect())
            .unwrap_or_default();
        found.sort_by(|a, b| (a.at, &a.key).cmp(&(b.at, &b.key)));
        Ok(found)
    }
}

/// `hour`:00 on `day` in `zone` (the first such instant; in a gap, the
/// hour after).
fn local_instant(zone: Tz, day: NaiveDate, hour: u32) -> Option<DateTime<Utc>> {
    let time = NaiveTime::from_hms_opt(hour, 0, 0)?;
    let local = day.and_time(time);
    zone.from_local_datetime(&local)
        .earliest()
        .or_else(|| zone.from_local_datetime(&(local + Duration::hours(1))).earliest())
        .map(|at| at.with_timezone(&Utc))
}

/// The digest due at `now` for a shop in `zone`: its local date and the
/// window `[from, to)` it covers, from the 19:00 before the latest one up
/// to the latest 19:00 at or before `now`.
pub fn latest_digest(zone: Tz, now: DateTime<Utc>) -> Option<(NaiveDate, DateTime<Utc>, DateTime<Utc>)> {
    let today = now.with_timezone(&zone).date_naive();
    let day = match local_instant(zone, today, DIGEST_HOUR) {
        Some(at) if at <= now => today,
        _ => today.pred_opt()?,
    };
    let to = local_instant(zone, day, DIGEST_HOUR)?;
    let from = local_instant(zone, day.pred_opt()?, DIGEST_HOUR)?;
    Some((day, from, to))
}

/// The `notify.digest_sweep` handler: enqueues, once each, the latest
/// digest of every enabled shop whose owner chose the digest.
pub struct DigestSweep {
    pub tenants: Arc<dyn TenantStore>,
    pub queue: Arc<dyn JobQueue>,
}

#[async_trait]
impl JobHandler for DigestSweep {
    fn kind(&self) -> JobKind {
        kind(DIGEST_SWEEP)
    }

    async fn run(&self, context: &JobContext) -> Result<(), HandlerError> {
        let now = context.clock.now();
        let tenants = self.tenants.list_tenants().await.map_err(retry)?;
        let mut due = Vec::new();
        for record in tenants {
            let profile = &record.profile;
            if record.status != TenantStatus::Active || !profile.notifications().digest() {
                continue;
            }
            let Some((day, _, _)) = latest_digest(profile.timezone(), now) else { continue };
            let tenant = profile.slug();
            due.push(
                NewJob::new(kind(DIGEST), json!({ "day": day.to_string() }))
                    .for_tenant(tenant.clone())
                    .unique_key(format!("{DIGEST}:{tenant}:{day}")),
            );
        }
        // One shop's digest is one job; an enqueued one (any state) stays.
        for job in due {
            self.queue.enqueue(job).await.map_err(retry)?;
        }
        Ok(())
    }
}

/// The `notify.digest` handler: the day's entries in one notification,
/// one delivery job per channel the owner chose. A day without events
/// sends nothing.
pub struct DailyDigests {
    pub tenants: Arc<dyn TenantStore>,
    pub queue: Arc<dyn JobQueue>,
    pub digests: Arc<dyn DigestLog>,
}

#[async_trait]
impl JobHandler for DailyDigests {
    fn kind(&self) -> JobKind {
        kind(DIGEST)
    }

    async fn run(&self, context: &JobContext) -> Result<(), HandlerError> {
        let job = &context.job;
        let tenant = job.tenant.clone().ok_or_else(|| HandlerError::Permanent("a digest without a tenant".into()))?;
        let day = job.payload["day"].as_str().and_then(|raw| raw.parse::<NaiveDate>().ok());
        let day = day.ok_or_else(|| HandlerError::Permanent("a digest without a day".into()))?;
        let record = self.tenants.get_tenant(&tenant).await.map_err(retry)?;
        let record = record.ok_or_else(|| HandlerError::Permanent(format!("tenant {tenant} is gone")))?;
        let profile = &record.profile;
        let zone = profile.timezone();
        let window =
            local_instant(zone, day, DIGEST_HOUR).zip(day.pred_opt().and_then(|d| local_instant(zone, d, DIGEST_HOUR)));
        let (to, from) = window.ok_or_else(|| HandlerError::Permanent(format!("no 19:00 on {day} in {zone}")))?;
        let entries = self.digests.digest_entries(&tenant, from, to).await.map_err(retry)?;
        if entries.is_empty() {
            tracing::info!(tenant_id = %tenant, %day, "nothing happened for the digest; not sent");
            return Ok(());
        }
        let (subject, body) = digest_text(profile, day, &entries);
        let deliveries = owner_channels(profile).into_iter().map(|channel| {
            let payload = json!({
                "audience": Audience::Owner.as_str(),
                "channel": channel.as_str(),
                "event": NotificationEvent::DailyDigest.as_str(),
                "subject": subject,
                "body": body,
                "link": "/app",
            });
            NewJob::new(kind(NOTIFY_DELIVER), payload)
                .for_tenant(tenant.clone())
                .unique_key(format!("{NOTIFY_DELIVER}:{tenant}:daily_digest:{day}:{channel}"))
        });
        enqueue_all(self.queue.as_ref(), deliveries.collect()).await
    }
}

/// The digest's subject and body: a count of each kind of event, then
/// each event at its local time.
pub fn digest_text(profile: &TenantProfile, day: NaiveDate, entries: &[DigestEntry]) -> (String, String) {
    let shop = profile.name();
    let subject = format!("{shop}: your day, {}", day.format("%a, %b %-d"));
    let mut counts: BTreeMap<OwnerEvent, usize> = BTreeMap::new();
    for entry in entries {
        *counts.entry(entry.event).or_default() += 1;
    }
    let summary: Vec<String> = counts.iter().map(|(event, n)| counted(*event, *n)).collect();
    let mut body = format!("{shop} since yesterday evening: {}.", summary.join(", "));
    for entry in entries.iter().take(MOST_LISTED) {
        let at = entry.at.with_timezone(&profile.timezone()).format("%a %-I:%M %p");
        body.push_str(&format!("\n- {at}: {}", entry.body));
    }
    if entries.len() > MOST_LISTED {
        body.push_str(&format!("\n…and {} more.", entries.len() - MOST_LISTED));
    }
    (subject, body)
}

fn counted(event: OwnerEvent, n: usize) -> String {
    let (one, many) = match event {
        OwnerEvent::BookingMade => ("booking made", "bookings made"),
        OwnerEvent::BookingCancelled => ("booking cancelled", "bookings cancelled"),
        OwnerEvent::BookingRescheduled => ("booking moved", "bookings moved"),
        OwnerEvent::Voicemail => ("voicemail", "voicemails"),
        OwnerEvent::CallbackCreated => ("call back to make", "calls back to make"),
        OwnerEvent::MessageTaken => ("message", "messages"),
        OwnerEvent::CustomerText => ("customer's text", "customers' texts"),
    };
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use chrono_tz::America::New_York;

    use super::*;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).single().unwrap_or_default()
    }

    #[test]
    fn the_latest_digest_is_the_last_seven_pm_shop_time_and_covers_the_day_before_it() {
        let date = |raw: &str| raw.parse::<NaiveDate>().unwrap_or_default();
        // (now, digest day, from, to): New York is UTC-5 in December.
        let cases = [
            (utc(2026, 12, 8, 23, 59), "2026-12-07", utc(2026, 12, 7, 0, 0), utc(2026, 12, 8, 0, 0)),
            (utc(2026, 12, 9, 0, 0), "2026-12-08", utc(2026, 12, 8, 0, 0), utc(2026, 12, 9, 0, 0)),
            (utc(2026, 12, 9, 4, 30), "2026-12-08", utc(2026, 12, 8, 0, 0), utc(2026, 12, 9, 0, 0)),
            // Across the change to summer time the window is 23 hours.
            (utc(2027, 3, 15, 0, 0), "2027-03-14", utc(2027, 3, 14, 0, 0), utc(2027, 3, 14, 23, 0)),
        ];
        for (now, day, from, to) in cases {
            assert_eq!(latest_digest(New_York, now), Some((date(day), from, to)), "{now}");
        }
    }
}
