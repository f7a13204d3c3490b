use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_core::{E164, TenantId};
use frontdesk_jobs::NewJob;

use crate::BookingError;
use crate::model::{
    Attendance, Block, Booking, BookingBrief, BookingId, BookingStatus, ConfirmationCode, Hold, HoldId, NewBooking,
};

/// A hold to place: `[start, occupied_until)` blocked for others until
/// `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHold {
    pub id: HoldId,
    pub service: String,
    pub staff: Option<String>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub occupied_until: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl NewHold {
    /// The hold as placed for `tenant`.
    pub fn placed(&self, tenant: &TenantId) -> Hold {
        Hold {
            id: self.id,
            tenant: tenant.clone(),
            service: self.service.clone(),
            staff: self.staff.clone(),
            start: self.start,
            end: self.end,
            occupied_until: self.occupied_until,
            expires_at: self.expires_at,
        }
    }
}

/// Persistence of holds and bookings. The store, not the caller, guarantees
/// that no two blocks (bookings with their buffer, unexpired holds) of one
/// staff member overlap: the database enforces it, also between processes.
#[async_trait]
pub trait BookingStore: Send + Sync {
    /// Bookings (with buffer) and holds unexpired at `now` overlapping `[from, to)`.
    async fn blocks(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Block>, BookingError>;

    /// MUST return `Conflict` (with no alternatives; the service adds them)
    /// when the time overlaps another block of the same staff member.
    async fn place_hold(&self, tenant: &TenantId, hold: &NewHold, now: DateTime<Utc>) -> Result<Hold, BookingError>;

    async fn release_hold(&self, tenant: &TenantId, hold: HoldId) -> Result<(), BookingError>;

    /// Writes a confirmed booking and enqueues `jobs` in the same
    /// transaction. With an idempotency key already used by this tenant, MUST
    /// return that booking and change nothing (also for concurrent retries).
    /// MUST return `Conflict` when the time is taken, `HoldExpired` when
    /// `booking.hold` names no unexpired hold of this tenant.
    async fn commit_booking(
        &self,
        tenant: &TenantId,
        booking: &NewBooking,
        jobs: Vec<NewJob>,
        now: DateTime<Utc>,
    ) -> Result<Booking, BookingError>;

    /// Cancels a confirmed booking (freeing its time) and enqueues `jobs`.
    /// MUST return `NotFound` or `NotConfirmed`.
    async fn cancel_booking(
        &self,
        tenant: &TenantId,
        id: BookingId,
        jobs: Vec<NewJob>,
        now: DateTime<Utc>,
    ) -> Result<Booking, BookingError>;

    /// Atomically takes the new time and frees the old: the old booking
    /// becomes `cancelled` with `rescheduled_to`, the new one links back with
    /// `rescheduled_from`. On `Conflict` nothing changes.
    async fn reschedule_booking(
        &self,
        tenant: &TenantId,
        id: BookingId,
        replacement: &NewBooking,
        jobs: Vec<NewJob>,
        now: DateTime<Utc>,
    ) -> Result<Booking, BookingError>;

    /// Records whether the customer came: the status becomes `attendance`'s
    /// (from confirmed, or from the other attendance, to correct a mistake),
    /// `attendance_marked_at` becomes `now`, and the booking keeps its time.
    /// Whether the booking has started is the service's rule, not the
    /// store's. MUST return `NotFound` for an unknown id or another tenant's
    /// booking, and `Cancelled` (changing nothing) for a cancelled one, also
    /// when it is cancelled concurrently.
    async fn mark_attendance(
        &self,
        tenant: &TenantId,
        id: BookingId,
        attendance: Attendance,
        now: DateTime<Utc>,
    ) -> Result<Booking, BookingError>;

    /// Records that the customer confirmed they are coming: sets
    /// `confirmed_at` to `now` the first time and keeps it afterwards.
    /// MUST return `NotFound`, or `NotConfirmed` for a booking that is no
    /// longer confirmed (cancelled, or already marked).
    async fn record_confirmation(
        &self,
        tenant: &TenantId,
        id: BookingId,
        now: DateTime<Utc>,
    ) -> Result<Booking, BookingError>;

    async fn booking(&self, tenant: &TenantId, id: BookingId) -> Result<Option<Booking>, BookingError>;

    async fn booking_by_code(
        &self,
        tenant: &TenantId,
        code: &ConfirmationCode,
    ) -> Result<Option<Booking>, BookingError>;

    /// Confirmed bookings of `phone` starting at or after `from`, soonest first.
    async fn upcoming_for_phone(
        &self,
        tenant: &TenantId,
        phone: &E164,
        from: DateTime<Utc>,
    ) -> Result<Vec<Booking>, BookingError>;

    /// Bookings starting in `[from, to)`, optionally of one status, by start.
    async fn list_bookings(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        status: Option<BookingStatus>,
    ) -> Result<Vec<Booking>, BookingError>;

    /// Every booking starting in `[from, to)` in brief, by start: what the
    /// figures need and nothing of the customer. Stores answer it with a
    /// lean read; this default reads whole bookings.
    async fn booking_briefs(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<BookingBrief>, BookingError> {
        let bookings = self.list_bookings(tenant, from, to, None).await?;
        Ok(bookings.iter().map(BookingBrief::from).collect())
    }
}
