//! `MemoryBookingStore`: the [`BookingStore`] port in memory, for tests and
//! embedders. It keeps the port's promises: no two blocks of one staff member
//! overlap, a hold is committed only while unexpired, an idempotency key
//! answers with its first booking, and jobs are kept with the write that
//! caused them (read them back with [`MemoryBookingStore::jobs`]).

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_core::{E164, TenantId};
use frontdesk_jobs::NewJob;

use crate::BookingError;
use crate::model::{Attendance, Block, Booking, BookingId, BookingStatus, ConfirmationCode, Hold, HoldId, NewBooking};
use crate::store::{BookingStore, NewHold};

/// Time taken on a staff member's calendar.
#[derive(Debug, Clone)]
struct Taken {
    tenant: TenantId,
    staff: Option<String>,
    start: DateTime<Utc>,
    until: DateTime<Utc>,
    what: Occupant,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Occupant {
    Hold { id: HoldId, expires_at: DateTime<Utc> },
    Booking(BookingId),
}

#[derive(Default)]
struct State {
    taken: Vec<Taken>,
    bookings: HashMap<BookingId, Booking>,
    jobs: Vec<NewJob>,
}

impl State {
    fn drop_expired_holds(&mut self, tenant: &TenantId, now: DateTime<Utc>) {
        self.taken.retain(|t| {
            !(t.tenant == *tenant && matches!(t.what, Occupant::Hold { expires_at, .. } if expires_at <= now))
        });
    }

    fn take(&mut self, taken: Taken) -> Result<(), BookingError> {
        let overlaps = self.taken.iter().any(|t| {
            t.tenant == taken.tenant && t.staff == taken.staff && t.start < taken.until && taken.start < t.until
        });
        if overlaps {
            return Err(BookingError::Conflict { alternatives: Vec::new() });
        }
        self.taken.push(taken);
        Ok(())
    }

    fn free(&mut self, tenant: &TenantId, what: Occupant) {
        self.taken.retain(|t| !(t.tenant == *tenant && t.what == what));
    }

    fn of_tenant(&self, tenant: &TenantId, id: BookingId) -> Option<&Booking> {
        self.bookings.get(&id).filter(|b| b.tenant == *tenant)
    }

    fn confirmed(&self, tenant: &TenantId, id: BookingId) -> Result<Booking, BookingError> {
        let booking = self.of_tenant(tenant, id).cloned().ok_or(BookingError::NotFound(id))?;
        if booking.status != BookingStatus::Confirmed {
            return Err(BookingError::NotConfirmed(booking.status));
        }
        Ok(booking)
    }
}

#[derive(Default)]
pub struct MemoryBookingStore {
    state: Mutex<State>,
}

impl MemoryBookingStore {
    pub fn new() -> MemoryBookingStore {
        MemoryBookingStore::default()
    }

    /// Every job enqueued with a booking change, oldest first.
    pub fn jobs(&self) -> Vec<NewJob> {
        self.lock().jobs.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn booked(tenant: &TenantId, booking: &NewBooking) -> Taken {
    Taken {
        tenant: tenant.clone(),
        staff: booking.staff.clone(),
        start: booking.start,
        until: booking.occupied_until,
        what: Occupant::Booking(booking.id),
    }
}

#[async_trait]
impl BookingStore for MemoryBookingStore {
    async fn blocks(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Block>, BookingError> {
        Ok(self
            .lock()
            .taken
            .iter()
            .filter(|t| t.tenant == *tenant && t.start < to && t.until > from)
            .filter(|t| !matches!(t.what, Occupant::Hold { expires_at, .. } if expires_at <= now))
            .map(|t| Block { staff: t.staff.clone(), start: t.start, until: t.until })
            .collect())
    }

    async fn place_hold(&self, tenant: &TenantId, hold: &NewHold, now: DateTime<Utc>) -> Result<Hold, BookingError> {
        let mut state = self.lock();
        state.drop_expired_holds(tenant, now);
        state.take(Taken {
            tenant: tenant.clone(),
            staff: hold.staff.clone(),
            start: hold.start,
            until: hold.occupied_until,
            what: Occupant::Hold { id: hold.id, expires_at: hold.expires_at },
        })?;
        Ok(hold.placed(tenant))
    }

    async fn release_hold(&self, tenant: &TenantId, hold: HoldId) -> Result<(), BookingError> {
        let mut state = self.lock();
        state.taken.retain(|t| !(t.tenant == *tenant && matches!(t.what, Occupant::Hold { id, .. } if id == hold)));
        Ok(())
    }

    async fn commit_booking(
        &self,
        tenant: &TenantId,
        booking: &NewBooking,
        jobs: Vec<NewJob>,
        now: DateTime<Utc>,
    ) -> Result<Booking, BookingError> {
        let mut state = self.lock();
        if let Some(key) = &booking.idempotency_key
            && let Some(first) =
                state.bookings.values().find(|b| b.tenant == *tenant && b.idempotency_key.as_ref() == Some(key))
        {
            return Ok(first.clone());
        }
        state.drop_expired_holds(tenant, now);
        match booking.hold {
            Some(hold) => {
                let held = state.taken.iter_mut().find(|t| {
                    t.tenant == *tenant
                        && matches!(t.what, Occupant::Hold { id, .. } if id == hold)
                        && t.start == booking.start
                        && t.staff == booking.staff
                });
                let Some(held) = held else { return Err(BookingError::HoldExpired) };
                held.what = Occupant::Booking(booking.id);
                held.until = booking.occupied_until;
            }
            None => state.take(booked(tenant, booking))?,
        }
        let confirmed = booking.confirmed(tenant, now, None);
        state.bookings.insert(booking.id, confirmed.clone());
        state.jobs.extend(jobs);
        Ok(confirmed)
    }

    async fn cancel_booking(
        &self,
        tenant: &TenantId,
        id: BookingId,
        jobs: Vec<NewJob>,
        now: DateTime<Utc>,
    ) -> Result<Booking, BookingError> {
        let mut state = self.lock();
        let booking = state.confirmed(tenant, id)?;
        state.free(tenant, Occupant::Booking(id));
        let cancelled = Booking { status: BookingStatus::Cancelled, updated_at: now, ..booking };
        state.bookings.insert(id, cancelled.clone());
        state.jobs.extend(jobs);
        Ok(cancelled)
    }

    async fn reschedule_booking(
        &self,
        tenant: &TenantId,
        id: BookingId,
        replacement: &NewBooking,
        jobs: Vec<NewJob>,
        now: DateTime<Utc>,
    ) -> Result<Booking, BookingError> {
        let mut state = self.lock();
        let old = state.confirmed(tenant, id)?;
        let old_time: Vec<Taken> =
            state.taken.iter().filter(|t| t.tenant == *tenant && t.what == Occupant::Booking(id)).cloned().collect();
        state.free(tenant, Occupant::Booking(id));
        state.drop_expired_holds(tenant, now);
        if let Err(conflict) = state.take(booked(tenant, replacement)) {
            state.taken.extend(old_time); // nothing changes
            return Err(conflict);
        }
        let moved = replacement.confirmed(tenant, now, Some(id));
        state.bookings.insert(
            id,
            Booking { status: BookingStatus::Cancelled, rescheduled_to: Some(replacement.id), updated_at: now, ..old },
        );
        state.bookings.insert(replacement.id, moved.clone());
        state.jobs.extend(jobs);
        Ok(moved)
    }

    async fn mark_attendance(
        &self,
        tenant: &TenantId,
        id: BookingId,
        attendance: Attendance,
        now: DateTime<Utc>,
    ) -> Result<Booking, BookingError> {
        let mut state = self.lock();
        let booking = state.of_tenant(tenant, id).cloned().ok_or(BookingError::NotFound(id))?;
        if booking.status == BookingStatus::Cancelled {
            return Err(BookingError::Cancelled(id));
        }
        let marked =
            Booking { status: attendance.status(), attendance_marked_at: Some(now), updated_at: now, ..booking };
        state.bookings.insert(id, marked.clone());
        Ok(marked)
    }

    async fn record_confirmation(
        &self,
        tenant: &TenantId,
        id: BookingId,
        now: DateTime<Utc>,
    ) -> Result<Booking, BookingError> {
        let mut state = self.lock();
        let booking = state.confirmed(tenant, id)?;
        if booking.confirmed_at.is_some() {
            return Ok(booking);
        }
        let confirmed = Booking { confirmed_at: Some(now), updated_at: now, ..booking };
        state.bookings.insert(id, confirmed.clone());
        Ok(confirmed)
    }

    async fn booking(&self, tenant: &TenantId, id: BookingId) -> Result<Option<Booking>, BookingError> {
        Ok(self.lock().of_tenant(tenant, id).cloned())
    }

    async fn booking_by_code(
        &self,
        tenant: &TenantId,
        code: &ConfirmationCode,
    ) -> Result<Option<Booking>, BookingError> {
        let state = self.lock();
        let mut found: Vec<&Booking> =
            state.bookings.values().filter(|b| b.tenant == *tenant && b.code == *code).collect();
        // The confirmed one first, then the newest (as the SQL stores do).
        found.sort_by_key(|b| (b.status != BookingStatus::Confirmed, std::cmp::Reverse(b.created_at)));
        Ok(found.first().map(|b| (*b).clone()))
    }

    async fn upcoming_for_phone(
        &self,
        tenant: &TenantId,
        phone: &E164,
        from: DateTime<Utc>,
    ) -> Result<Vec<Booking>, BookingError> {
        let state = self.lock();
        let mut found: Vec<Booking> = state
            .bookings
            .values()
            .filter(|b| {
                b.tenant == *tenant
                    && b.customer.phone == *phone
                    && b.status == BookingStatus::Confirmed
                    && b.start >= from
            })
            .cloned()
            .collect();
        found.sort_by_key(|b| b.start);
        Ok(found)
    }

    async fn list_bookings(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        status: Option<BookingStatus>,
    ) -> Result<Vec<Booking>, BookingError> {
        let state = self.lock();
        let mut found: Vec<Booking> = state
            .bookings
            .values()
            .filter(|b| b.tenant == *tenant && b.start >= from && b.start < to)
            .filter(|b| status.is_none_or(|s| b.status == s))
            .cloned()
            .collect();
        found.sort_by_key(|b| (b.start, b.id));
        Ok(found)
    }
}
