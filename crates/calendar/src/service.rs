//! The booking rules on top of the ports: availability with external busy
//! time, holds, bookings, cancellations and reschedules, and the jobs that
//! mirror bookings into external calendars.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use frontdesk_core::{Clock, TenantId};
use frontdesk_jobs::{HandlerError, JobContext, JobHandler, JobKind, JobQueue, NewJob};
use frontdesk_tenant::{Service, TenantProfile, TenantStore};
use serde_json::json;

use crate::BookingError;
use crate::attendance::AttendanceSummary;
use crate::availability::Availability;
use crate::external::{CalendarError, CalendarEvent, ExternalCalendar};
use crate::model::{
    Attendance, Block, Booking, BookingId, BookingSource, BookingStatus, ConfirmationCode, Customer, Hold, HoldId,
    NewBooking, Slot,
};
use crate::owner_notices::{self, ChangedBy};
use crate::reminders::{ReminderSwitch, reminder_jobs, reminder_keys};
use crate::store::{BookingStore, NewHold};

pub const CALENDAR_INSERT: &str = "calendar.insert";
pub const CALENDAR_PATCH: &str = "calendar.patch";
pub const CALENDAR_DELETE: &str = "calendar.delete";
/// Text the customer about their booking (payload: `booking_id`, `event`:
/// `booked`, `cancelled` or `rescheduled`). Enqueued in the booking's own
/// transaction when the request asks for it.
pub const NOTIFY_CUSTOMER: &str = "sms.booking";

/// How long external busy times are reused before asking again.
const BUSY_CACHE_TTL: Duration = Duration::seconds(60);
/// How long an availability request waits for an external calendar.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(1500);

/// A booking to make.
#[derive(Debug, Clone)]
pub struct BookingRequest {
    /// A service name or alias.
    pub service: String,
    pub start: DateTime<Utc>,
    pub staff: Option<String>,
    pub customer: Customer,
    pub source: BookingSource,
    pub idempotency_key: Option<String>,
    /// Commit this hold (placed while the dialogue read the slot back).
    pub hold: Option<HoldId>,
    /// Text the customer a confirmation (queued with the booking).
    pub notify_customer: bool,
}

struct CachedBusy {
    fetched_at: DateTime<Utc>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    busy: Vec<Block>,
}

/// Whether a cancellation obeys the shop's cancellation notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    Enforce,
    /// An operator or the owner cancels inside the notice window.
    Waive,
}

/// Whether the customer gets a text about a change to their booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notify {
    Customer,
    Nobody,
}

pub struct BookingService {
    store: Arc<dyn BookingStore>,
    external: Option<Arc<dyn ExternalCalendar>>,
    clock: Arc<dyn Clock>,
    hold_ttl: Duration,
    busy_cache: Mutex<HashMap<(TenantId, String), CachedBusy>>,
    reminders: Option<Reminders>,
}

/// Reminder texts: scheduled with each booking when the shop's plan has
/// them, withdrawn from the queue when the booking is cancelled or moved.
struct Reminders {
    switch: Arc<dyn ReminderSwitch>,
    queue: Arc<dyn JobQueue>,
}

impl BookingService {
    pub fn new(store: Arc<dyn BookingStore>, clock: Arc<dyn Clock>) -> BookingService {
        BookingService {
            store,
            external: None,
            clock,
            hold_ttl: Duration::minutes(5),
            busy_cache: Mutex::default(),
            reminders: None,
        }
    }

    /// Respect busy times of, and mirror bookings into, external calendars.
    pub fn with_external_calendar(mut self, calendar: Arc<dyn ExternalCalendar>) -> BookingService {
        self.external = Some(calendar);
        self
    }

    pub fn with_hold_ttl(mut self, ttl: Duration) -> BookingService {
        self.hold_ttl = ttl;
        self
    }

    /// Schedule reminder texts with each booking of a shop `switch` says
    /// has them (jobs committed with the booking), and withdraw them from
    /// `queue` when the booking is cancelled or moved.
    pub fn with_reminders(mut self, switch: Arc<dyn ReminderSwitch>, queue: Arc<dyn JobQueue>) -> BookingService {
        self.reminders = Some(Reminders { switch, queue });
        self
    }

    /// The reminder jobs of a booking made now, if the shop sends them.
    async fn reminder_jobs(&self, profile: &TenantProfile, id: BookingId, start: DateTime<Utc>) -> Vec<NewJob> {
        match &self.reminders {
            Some(reminders) if reminders.switch.reminders_on(profile.slug()).await => {
                reminder_jobs(profile, id, start, self.clock.now())
            }
            _ => Vec::new(),
        }
    }

    /// Withdraws the reminders still waiting for `booking` (after it was
    /// cancelled or moved, or its customer opted out of texts). A queue that
    /// fails is logged: the reminder's job checks the booking before it
    /// sends, so a reminder left behind says nothing.
    pub async fn withdraw_reminders(&self, profile: &TenantProfile, booking: BookingId) {
        let Some(reminders) = &self.reminders else { return };
        for key in reminder_keys(profile, booking) {
            if let Err(error) = reminders.queue.cancel_by_key(&key).await {
                tracing::warn!(tenant_id = %profile.slug(), booking_id = %booking, %error, "could not withdraw a reminder");
            }
        }
    }

    pub fn store(&self) -> &Arc<dyn BookingStore> {
        &self.store
    }

    fn service<'p>(profile: &'p TenantProfile, phrase: &str) -> Result<&'p Service, BookingError> {
        profile.service_by_phrase(phrase).ok_or_else(|| BookingError::UnknownService(phrase.to_owned()))
    }

    /// Every block in `[from, to)`: the store's, plus external busy time when
    /// the tenant has calendars and they answer in time (else logged, and the
    /// built-in view alone is used).
    async fn blocks(
        &self,
        profile: &TenantProfile,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Block>, BookingError> {
        let tenant = profile.slug();
        let now = self.clock.now();
        let mut blocks = self.store.blocks(tenant, from, to, now).await?;
        let Some(external) = &self.external else { return Ok(blocks) };
        let mut calendars: Vec<(Option<String>, String)> = Vec::new();
        if let Some(shop) = profile.calendar_id() {
            calendars.push((None, shop.to_owned()));
        }
        for member in profile.staff() {
            if let Some(id) = member.calendar_id() {
                calendars.push((Some(member.name().to_owned()), id.to_owned()));
            }
        }
        for (staff, calendar_id) in calendars {
            let key = (tenant.clone(), calendar_id.clone());
            let cached = self.busy_cache.lock().unwrap_or_else(|p| p.into_inner()).get(&key).and_then(|c| {
                (now - c.fetched_at < BUSY_CACHE_TTL && c.from <= from && c.to >= to).then(|| c.busy.clone())
            });
            if let Some(busy) = cached {
                blocks.extend(busy);
                continue;
            }
            match tokio::time::timeout(BUSY_TIMEOUT, external.busy(tenant, &calendar_id, from, to)).await {
                Ok(Ok(intervals)) => {
                    let busy: Vec<Block> = intervals
                        .into_iter()
                        .map(|i| Block { staff: staff.clone(), start: i.start, until: i.end })
                        .collect();
                    self.busy_cache
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(key, CachedBusy { fetched_at: now, from, to, busy: busy.clone() });
                    blocks.extend(busy);
                }
                Ok(Err(error)) => {
                    tracing::warn!(tenant_id = %tenant, calendar = %calendar_id, %error, "external calendar failed; using the built-in view");
                }
                Err(_) => {
                    tracing::warn!(tenant_id = %tenant, calendar = %calendar_id, "external calendar too slow; using the built-in view");
                }
            }
        }
        Ok(blocks)
    }

    async fn availability_for<'p>(
        &self,
        profile: &'p TenantProfile,
        service: &'p Service,
        staff: Option<&str>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        ignore: Option<&Booking>,
    ) -> Result<Availability<'p>, BookingError> {
        let mut blocks = self.blocks(profile, from, to).await?;
        if let Some(own) = ignore {
            // A reschedule may move into time its own booking holds now.
            blocks.retain(|b| !(b.staff == own.staff && b.start == own.start));
        }
        Availability::new(profile, service, staff, self.clock.now(), &blocks)
    }

    fn window(profile: &TenantProfile, from: NaiveDate, days: u32) -> (DateTime<Utc>, DateTime<Utc>) {
        let tz = profile.timezone();
        let start = from.and_hms_opt(0, 0, 0).and_then(|d| d.and_local_timezone(tz).earliest());
        let start = start.map(|d| d.with_timezone(&Utc)).unwrap_or_default() - Duration::days(1);
        (start, start + Duration::days(i64::from(days) + 2))
    }

    /// Free slots for a service over `days` local days from `from`.
    pub async fn availability(
        &self,
        profile: &TenantProfile,
        service: &str,
        staff: Option<&str>,
        from: NaiveDate,
        days: u32,
    ) -> Result<Vec<Slot>, BookingError> {
        let service = Self::service(profile, service)?;
        // Days that have all passed have no slots, and saying so beats an empty list.
        let today = self.clock.now().with_timezone(&profile.timezone()).date_naive();
        if from + Duration::days(i64::from(days.max(1)) - 1) < today {
            return Err(BookingError::InThePast);
        }
        let (window_from, window_to) = Self::window(profile, from, days);
        let availability = self.availability_for(profile, service, staff, window_from, window_to, None).await?;
        Ok(availability.slots(from, days, usize::MAX))
    }

    /// The next `limit` free slots from now.
    pub async fn next_slots(
        &self,
        profile: &TenantProfile,
        service: &str,
        staff: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Slot>, BookingError> {
        let service = Self::service(profile, service)?;
        let today = self.clock.now().with_timezone(&profile.timezone()).date_naive();
        let days = profile.booking().max_days_ahead + 1;
        let (window_from, window_to) = Self::window(profile, today, days);
        let availability = self.availability_for(profile, service, staff, window_from, window_to, None).await?;
        Ok(availability.slots(today, days, limit))
    }

    /// Checks `start` against the rules and current blocks.
    async fn check(
        &self,
        profile: &TenantProfile,
        service: &Service,
        staff: Option<&str>,
        start: DateTime<Utc>,
        ignore: Option<&Booking>,
    ) -> Result<Slot, BookingError> {
        let horizon = Duration::days(i64::from(profile.booking().max_days_ahead) + 2);
        let (from, to) = (self.clock.now() - Duration::days(1), start.max(self.clock.now()) + horizon);
        let availability = self.availability_for(profile, service, staff, from, to, ignore).await?;
        availability.check(start)
    }

    fn occupied_until(profile: &TenantProfile, slot: &Slot) -> DateTime<Utc> {
        slot.end + Duration::minutes(i64::from(profile.booking().buffer_minutes))
    }

    /// Holds a slot while the caller hears it read back.
    pub async fn hold(
        &self,
        profile: &TenantProfile,
        service: &str,
        start: DateTime<Utc>,
        staff: Option<&str>,
    ) -> Result<Hold, BookingError> {
        self.hold_for(profile, service, start, staff, self.hold_ttl).await
    }

    /// Holds a slot for `ttl` (a time offered by text waits longer for its
    /// answer than one read back on the phone).
    pub async fn hold_for(
        &self,
        profile: &TenantProfile,
        service: &str,
        start: DateTime<Utc>,
        staff: Option<&str>,
        ttl: Duration,
    ) -> Result<Hold, BookingError> {
        let service = Self::service(profile, service)?;
        let slot = self.check(profile, service, staff, start, None).await?;
        let hold = NewHold {
            id: HoldId::new(),
            service: service.name().to_owned(),
            staff: slot.staff.clone(),
            start: slot.start,
            end: slot.end,
            occupied_until: Self::occupied_until(profile, &slot),
            expires_at: self.clock.now() + ttl,
        };
        self.with_alternatives(
            profile,
            service,
            staff,
            start,
            self.store.place_hold(profile.slug(), &hold, self.clock.now()).await,
        )
        .await
    }

    pub async fn release_hold(&self, profile: &TenantProfile, hold: HoldId) -> Result<(), BookingError> {
        self.store.release_hold(profile.slug(), hold).await
    }

    /// A store conflict (a race the first check did not see) gets the same
    /// alternatives a rule-check conflict would.
    async fn with_alternatives<T>(
        &self,
        profile: &TenantProfile,
        service: &Service,
        staff: Option<&str>,
        start: DateTime<Utc>,
        result: Result<T, BookingError>,
    ) -> Result<T, BookingError> {
        match result {
            Err(BookingError::Conflict { alternatives }) if alternatives.is_empty() => {
                let horizon = Duration::days(i64::from(profile.booking().max_days_ahead) + 2);
                let now = self.clock.now();
                let availability = self
                    .availability_for(profile, service, staff, now - Duration::days(1), start.max(now) + horizon, None)
                    .await?;
                Err(BookingError::Conflict { alternatives: availability.alternatives(start, 2) })
            }
            other => other,
        }
    }

    fn notify_job(profile: &TenantProfile, booking_id: BookingId, event: &str) -> Option<NewJob> {
        let kind = JobKind::parse(NOTIFY_CUSTOMER).ok()?;
        Some(
            NewJob::new(kind, json!({"booking_id": booking_id.to_string(), "event": event}))
                .for_tenant(profile.slug().clone())
                .unique_key(format!("{NOTIFY_CUSTOMER}:{event}:{booking_id}")),
        )
    }

    /// A job mirroring `booking_id` into `calendar_id` as event `event_owner`
    /// (the first booking of a reschedule chain, so the event keeps its id).
    fn calendar_job(
        kind: &str,
        profile: &TenantProfile,
        booking_id: BookingId,
        event_owner: BookingId,
        calendar_id: Option<&str>,
    ) -> Option<NewJob> {
        let calendar_id = calendar_id?;
        let kind = JobKind::parse(kind).ok()?;
        let payload = json!({
            "booking_id": booking_id.to_string(),
            "event_id": event_owner.event_id(),
            "calendar_id": calendar_id,
        });
        Some(
            NewJob::new(kind.clone(), payload)
                .for_tenant(profile.slug().clone())
                .unique_key(format!("{kind}:{booking_id}:{calendar_id}")),
        )
    }

    /// The first booking of the chain `booking` was rescheduled from.
    async fn event_owner(&self, profile: &TenantProfile, booking: &Booking) -> Result<BookingId, BookingError> {
        let mut owner = booking.id;
        let mut from = booking.rescheduled_from;
        for _ in 0..100 {
            let Some(previous) = from else { break };
            owner = previous;
            from = self.store.booking(profile.slug(), previous).await?.and_then(|b| b.rescheduled_from);
        }
        Ok(owner)
    }

    /// The upcoming confirmed bookings a caller may reach: the one whose
    /// confirmation code they spoke, else those made with their own number
    /// (soonest first). A caller never reaches anyone else's booking.
    pub async fn callers_upcoming(
        &self,
        profile: &TenantProfile,
        spoken_code: Option<&ConfirmationCode>,
        caller: Option<&frontdesk_core::E164>,
    ) -> Result<Vec<Booking>, BookingError> {
        let now = self.clock.now();
        if let Some(code) = spoken_code
            && let Some(booking) = self.store.booking_by_code(profile.slug(), code).await?
            && booking.status == BookingStatus::Confirmed
            && booking.start > now
        {
            return Ok(vec![booking]);
        }
        match caller {
            Some(phone) => self.store.upcoming_for_phone(profile.slug(), phone, now).await,
            None => Ok(Vec::new()),
        }
    }

    /// Books `request` (directly, or by committing its hold). A repeated
    /// idempotency key returns the first booking.
    pub async fn book(&self, profile: &TenantProfile, mut request: BookingRequest) -> Result<Booking, BookingError> {
        request.customer.name = frontdesk_core::TextRule::PERSON
            .check(&request.customer.name)
            .map_err(BookingError::InvalidCustomerName)?;
        let service = Self::service(profile, &request.service)?;
        let slot = match request.hold {
            // The hold already passed the checks and blocks the time.
            Some(_) => Slot {
                start: request.start,
                end: request.start + Duration::minutes(i64::from(service.duration_minutes())),
                staff: request.staff.clone(),
            },
            None => match self.check(profile, service, request.staff.as_deref(), request.start, None).await {
                Err(BookingError::Conflict { .. }) if request.idempotency_key.is_some() => {
                    // Maybe it is our own earlier attempt: let the store decide.
                    Slot {
                        start: request.start,
                        end: request.start + Duration::minutes(i64::from(service.duration_minutes())),
                        staff: request.staff.clone(),
                    }
                }
                other => other?,
            },
        };
        let id = BookingId::new();
        let calendar = profile.calendar_for(slot.staff.as_deref());
        let mut jobs: Vec<NewJob> =
            Self::calendar_job(CALENDAR_INSERT, profile, id, id, calendar).into_iter().collect();
        if request.notify_customer {
            jobs.extend(Self::notify_job(profile, id, "booked"));
        }
        jobs.extend(self.reminder_jobs(profile, id, slot.start).await);
        let booking = NewBooking {
            id,
            code: ConfirmationCode::generate(),
            service: service.name().to_owned(),
            staff: slot.staff.clone(),
            start: slot.start,
            end: slot.end,
            occupied_until: Self::occupied_until(profile, &slot),
            customer: request.customer,
            source: request.source,
            idempotency_key: request.idempotency_key,
            hold: request.hold,
        };
        if booking.source == BookingSource::Phone {
            jobs.extend(owner_notices::booked(profile, &booking));
        }
        let result = self.store.commit_booking(profile.slug(), &booking, jobs, self.clock.now()).await;
        let booking = self.with_alternatives(profile, service, request.staff.as_deref(), request.start, result).await?;
        tracing::info!(tenant_id = %profile.slug(), booking_id = %booking.id, code = %booking.code, "booked");
        Ok(booking)
    }

    /// Cancels, applying the tenant's notice rule unless it is waived, and
    /// texting the customer if asked (queued with the cancellation). The
    /// shop's own change: [`BookingService::cancel_by`] with `ChangedBy::Shop`.
    pub async fn cancel(
        &self,
        profile: &TenantProfile,
        id: BookingId,
        notice: Notice,
        notify: Notify,
    ) -> Result<Booking, BookingError> {
        self.cancel_by(profile, id, notice, notify, ChangedBy::Shop).await
    }

    /// [`BookingService::cancel`], saying who cancelled: the owner is told
    /// (with the cancellation) when the customer did, by phone or text.
    pub async fn cancel_by(
        &self,
        profile: &TenantProfile,
        id: BookingId,
        notice: Notice,
        notify: Notify,
        by: ChangedBy,
    ) -> Result<Booking, BookingError> {
        let booking = self.store.booking(profile.slug(), id).await?.ok_or(BookingError::NotFound(id))?;
        if booking.status != BookingStatus::Confirmed {
            return Err(BookingError::NotConfirmed(booking.status));
        }
        let hours = profile.booking().cancellation_notice_hours;
        if notice == Notice::Enforce && booking.start - self.clock.now() < Duration::hours(i64::from(hours)) {
            return Err(BookingError::TooLateToCancel { hours });
        }
        let owner = self.event_owner(profile, &booking).await?;
        let calendar = profile.calendar_for(booking.staff.as_deref());
        let mut jobs: Vec<NewJob> =
            Self::calendar_job(CALENDAR_DELETE, profile, id, owner, calendar).into_iter().collect();
        if notify == Notify::Customer {
            jobs.extend(Self::notify_job(profile, id, "cancelled"));
        }
        jobs.extend(owner_notices::cancelled(profile, &booking, by));
        let cancelled = self.store.cancel_booking(profile.slug(), id, jobs, self.clock.now()).await?;
        self.withdraw_reminders(profile, id).await;
        Ok(cancelled)
    }

    /// Moves a booking to `start` atomically (the new time is taken and the
    /// old freed, or nothing changes), texting the customer if asked (queued
    /// with the move). The shop's own change: [`BookingService::reschedule_by`]
    /// with `ChangedBy::Shop`.
    pub async fn reschedule(
        &self,
        profile: &TenantProfile,
        id: BookingId,
        start: DateTime<Utc>,
        staff: Option<&str>,
        notify: Notify,
    ) -> Result<Booking, BookingError> {
        self.reschedule_by(profile, id, start, staff, notify, ChangedBy::Shop).await
    }

    /// [`BookingService::reschedule`], saying who moved it: the owner is
    /// told (with the move) when the customer did, by phone or text.
    pub async fn reschedule_by(
        &self,
        profile: &TenantProfile,
        id: BookingId,
        start: DateTime<Utc>,
        staff: Option<&str>,
        notify: Notify,
        by: ChangedBy,
    ) -> Result<Booking, BookingError> {
        let old = self.store.booking(profile.slug(), id).await?.ok_or(BookingError::NotFound(id))?;
        if old.status != BookingStatus::Confirmed {
            return Err(BookingError::NotConfirmed(old.status));
        }
        let service = Self::service(profile, &old.service)?;
        let staff = staff.or(old.staff.as_deref());
        let slot = self.check(profile, service, staff, start, Some(&old)).await?;
        let new_id = BookingId::new();
        let owner = self.event_owner(profile, &old).await?;
        let (old_calendar, new_calendar) =
            (profile.calendar_for(old.staff.as_deref()), profile.calendar_for(slot.staff.as_deref()));
        let mut jobs: Vec<NewJob> = Vec::new();
        if old_calendar == new_calendar {
            // Same calendar: move the event in place.
            jobs.extend(Self::calendar_job(CALENDAR_PATCH, profile, new_id, owner, new_calendar));
        } else {
            jobs.extend(Self::calendar_job(CALENDAR_DELETE, profile, id, owner, old_calendar));
            jobs.extend(Self::calendar_job(CALENDAR_INSERT, profile, new_id, owner, new_calendar));
        }
        if notify == Notify::Customer {
            jobs.extend(Self::notify_job(profile, new_id, "rescheduled"));
        }
        jobs.extend(self.reminder_jobs(profile, new_id, slot.start).await);
        let replacement = NewBooking {
            id: new_id,
            code: old.code.clone(),
            service: old.service.clone(),
            staff: slot.staff.clone(),
            start: slot.start,
            end: slot.end,
            occupied_until: Self::occupied_until(profile, &slot),
            customer: old.customer.clone(),
            source: old.source,
            idempotency_key: None,
            hold: None,
        };
        jobs.extend(owner_notices::rescheduled(profile, &old, &replacement, by));
        let result = self.store.reschedule_booking(profile.slug(), id, &replacement, jobs, self.clock.now()).await;
        let moved = self.with_alternatives(profile, service, staff, start, result).await?;
        self.withdraw_reminders(profile, id).await;
        Ok(moved)
    }

    /// Marks whether the customer came. Only a booking that has started
    /// (`start <= now`) can be marked (`NotStarted`), never a cancelled one
    /// (`Cancelled`); a marked one can be marked again the other way, when
    /// the owner corrects a mistake. The booking keeps its time on the
    /// calendar either way.
    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %profile.slug(), booking_id = %id))]
    pub async fn mark_attendance(
        &self,
        profile: &TenantProfile,
        id: BookingId,
        attendance: Attendance,
    ) -> Result<Booking, BookingError> {
        let booking = self.store.booking(profile.slug(), id).await?.ok_or(BookingError::NotFound(id))?;
        if booking.status == BookingStatus::Cancelled {
            return Err(BookingError::Cancelled(id));
        }
        let now = self.clock.now();
        if booking.start > now {
            return Err(BookingError::NotStarted);
        }
        let marked = self.store.mark_attendance(profile.slug(), id, attendance, now).await?;
        tracing::info!(tenant_id = %profile.slug(), booking_id = %id, %attendance, "attendance marked");
        Ok(marked)
    }

    /// How the bookings that started in `[from, to)` went, as they stand
    /// now (see [`AttendanceSummary`] and [`crate::effective_status`]).
    pub async fn attendance_summary(
        &self,
        profile: &TenantProfile,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<AttendanceSummary, BookingError> {
        let bookings = self.store.list_bookings(profile.slug(), from, to, None).await?;
        Ok(AttendanceSummary::of(&bookings, self.clock.now()))
    }
}

/// Mirrors bookings into external calendars: the handler for
/// `calendar.insert`, `calendar.patch` and `calendar.delete` jobs. Google is
/// never called inside a phone call; these jobs retry what is worth retrying.
pub struct CalendarSync {
    pub kind: &'static str,
    pub tenants: Arc<dyn TenantStore>,
    pub bookings: Arc<dyn BookingStore>,
    pub calendar: Arc<dyn ExternalCalendar>,
}

fn handler_error(error: CalendarError) -> HandlerError {
    if error.is_retryable() {
        HandlerError::Retry(error.to_string())
    } else {
        HandlerError::Permanent(error.to_string())
    }
}

#[async_trait]
impl JobHandler for CalendarSync {
    fn kind(&self) -> JobKind {
        JobKind::parse(self.kind).unwrap_or_else(|_| unreachable!("calendar job kinds are valid"))
    }

    async fn run(&self, context: &JobContext) -> Result<(), HandlerError> {
        let job = &context.job;
        let tenant =
            job.tenant.clone().ok_or_else(|| HandlerError::Permanent("calendar job without a tenant".into()))?;
        let calendar_id = job.payload["calendar_id"].as_str().unwrap_or_default();
        let booking_id: BookingId = job.payload["booking_id"]
            .as_str()
            .and_then(|raw| raw.parse().ok())
            .ok_or_else(|| HandlerError::Permanent("calendar job without a booking id".into()))?;
        let event_id = job.payload["event_id"].as_str().map(str::to_owned).unwrap_or_else(|| booking_id.event_id());
        if self.kind == CALENDAR_DELETE {
            self.calendar.delete_event(&tenant, calendar_id, &event_id).await.map_err(handler_error)?;
            return Ok(());
        }
        let unexpected = |e: &dyn std::fmt::Display| HandlerError::Retry(e.to_string());
        let profile = self.tenants.get_tenant(&tenant).await.map_err(|e| unexpected(&e))?;
        let profile = profile.ok_or_else(|| HandlerError::Permanent(format!("tenant {tenant} is gone")))?.profile;
        let booking = self.bookings.booking(&tenant, booking_id).await.map_err(|e| unexpected(&e))?;
        let booking = booking.ok_or_else(|| HandlerError::Permanent(format!("booking {booking_id} is gone")))?;
        let event = CalendarEvent {
            event_id,
            summary: format!("{} – {}", booking.service, booking.customer.name),
            description: format!(
                "Booked by phone through Frontdesk. Code {}. Customer {} ({}).",
                booking.code, booking.customer.name, booking.customer.phone
            ),
            start: booking.start,
            end: booking.end,
            time_zone: profile.timezone().name().to_owned(),
            booking_id: booking_id.to_string(),
            tenant_id: tenant.to_string(),
        };
        let result = if self.kind == CALENDAR_PATCH {
            self.calendar.patch_event(&tenant, calendar_id, &event).await
        } else {
            self.calendar.insert_event(&tenant, calendar_id, &event).await
        };
        result.map_err(handler_error)?;
        context
            .effects
            .record_effect(job.id, self.kind, &event.event_id, context.clock.now())
            .await
            .map_err(|e| HandlerError::Retry(e.to_string()))?;
        Ok(())
    }
}
