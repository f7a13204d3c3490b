//! Marking attendance through `BookingService` on the in-memory store: the
//! time rules, corrections, and the per-shop summary.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::America::New_York;
use frontdesk_calendar::{
    Attendance, Booking, BookingError, BookingId, BookingService, BookingStatus, BookingStore, EffectiveStatus,
    MemoryBookingStore, Notice, Notify, effective_status,
};
use frontdesk_core::{Clock, ManualClock};
use frontdesk_tenant::TenantProfile;

use crate::{fixture, local};

struct Shop {
    profile: TenantProfile,
    clock: Arc<ManualClock>,
    store: Arc<MemoryBookingStore>,
    service: BookingService,
}

/// Fresh Cuts on Monday 2026-11-23 at noon, with no bookings yet.
fn shop() -> Shop {
    let clock = Arc::new(ManualClock::new(local(New_York, "2026-11-23 12:00")));
    let store = Arc::new(MemoryBookingStore::new());
    let service = BookingService::new(store.clone(), clock.clone());
    Shop { profile: fixture("fresh-cuts.toml"), clock, store, service }
}

impl Shop {
    /// A haircut (30 minutes) at `at`, local time.
    async fn book(&self, at: &str) -> Booking {
        let request = crate::janes_haircut(at, false);
        self.service.book(&self.profile, request).await.unwrap_or_else(|e| panic!("{at}: {e}"))
    }

    async fn mark(&self, id: BookingId, attendance: Attendance) -> Result<Booking, BookingError> {
        self.service.mark_attendance(&self.profile, id, attendance).await
    }

    /// Marks `id` as another shop would.
    async fn mark_for(&self, other: &TenantProfile, id: BookingId) -> Result<Booking, BookingError> {
        self.service.mark_attendance(other, id, Attendance::Completed).await
    }

    fn clock_now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}

#[tokio::test]
async fn a_booking_is_marked_from_its_start_and_can_be_corrected() {
    let shop = shop();
    let booking = shop.book("2026-11-27 14:00").await;

    let early = shop.mark(booking.id, Attendance::Completed).await;
    assert!(matches!(early, Err(BookingError::NotStarted)), "{early:?}");
    shop.clock.set(local(New_York, "2026-11-27 13:59"));
    assert!(matches!(shop.mark(booking.id, Attendance::NoShow).await, Err(BookingError::NotStarted)));
    assert_eq!(shop.store.booking(shop.profile.slug(), booking.id).await.ok().flatten().as_ref(), Some(&booking));

    // From its start on: a no-show at 14:10 (nobody came), corrected the next day.
    shop.clock.set(local(New_York, "2026-11-27 14:00"));
    let at_start = shop.mark(booking.id, Attendance::NoShow).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (at_start.status, at_start.attendance(), at_start.attendance_marked_at),
        (BookingStatus::NoShow, Some(Attendance::NoShow), Some(local(New_York, "2026-11-27 14:00")))
    );
    shop.clock.set(local(New_York, "2026-11-28 09:00"));
    let corrected = shop.mark(booking.id, Attendance::Completed).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (corrected.status, corrected.attendance_marked_at, corrected.updated_at),
        (BookingStatus::Completed, Some(shop.clock_now()), shop.clock_now())
    );
    assert_eq!((corrected.start, corrected.end, corrected.code.clone()), (booking.start, booking.end, booking.code));
    let back = shop.mark(booking.id, Attendance::NoShow).await.map(|b| b.status);
    assert_eq!(back.ok(), Some(BookingStatus::NoShow), "and back again");
    let read = shop.store.booking(shop.profile.slug(), booking.id).await.ok().flatten().map(|b| b.status);
    assert_eq!(read, Some(BookingStatus::NoShow));

    // The time stays taken: a marked booking is not a cancelled one.
    let blocks =
        shop.store.blocks(shop.profile.slug(), booking.start, booking.end, shop.clock_now()).await.unwrap_or_default();
    assert_eq!(blocks.len(), 1);
    // A marked booking is no longer upcoming and cannot be cancelled or moved.
    let cancel = shop.service.cancel(&shop.profile, booking.id, Notice::Waive, Notify::Nobody).await;
    assert!(matches!(cancel, Err(BookingError::NotConfirmed(BookingStatus::NoShow))), "{cancel:?}");
}

#[tokio::test]
async fn cancelled_unknown_and_other_shops_bookings_cannot_be_marked() {
    let shop = shop();
    let booking = shop.book("2026-11-24 11:00").await;
    assert!(shop.service.cancel(&shop.profile, booking.id, Notice::Waive, Notify::Nobody).await.is_ok());
    shop.clock.set(local(New_York, "2026-11-24 12:00"));
    let cancelled = shop.mark(booking.id, Attendance::Completed).await;
    assert!(matches!(cancelled, Err(BookingError::Cancelled(id)) if id == booking.id), "{cancelled:?}");
    // The store refuses too, whoever asks it directly.
    let direct =
        shop.store.mark_attendance(shop.profile.slug(), booking.id, Attendance::NoShow, shop.clock_now()).await;
    assert!(matches!(direct, Err(BookingError::Cancelled(_))), "{direct:?}");

    let unknown = BookingId::new();
    assert!(
        matches!(shop.mark(unknown, Attendance::Completed).await, Err(BookingError::NotFound(id)) if id == unknown)
    );

    let other = fixture("bright-smile.toml");
    let theirs = shop.mark_for(&other, booking.id).await;
    assert!(matches!(theirs, Err(BookingError::NotFound(_))), "{theirs:?}");
}

#[tokio::test]
async fn unmarked_bookings_count_as_completed_a_day_after_their_end_in_the_summary() {
    let shop = shop();
    let came = shop.book("2026-11-24 10:00").await;
    let missed = shop.book("2026-11-24 11:00").await;
    let unmarked = shop.book("2026-11-24 12:00").await;
    let confirmed = shop.book("2026-11-24 13:00").await;
    let cancelled = shop.book("2026-11-24 14:00").await;
    let later = shop.book("2026-11-26 10:00").await;
    let slug = shop.profile.slug();
    let now = shop.clock_now();
    assert!(shop.store.record_confirmation(slug, confirmed.id, now).await.is_ok());
    assert!(shop.store.record_confirmation(slug, missed.id, now).await.is_ok());
    assert!(shop.service.cancel(&shop.profile, cancelled.id, Notice::Waive, Notify::Nobody).await.is_ok());

    shop.clock.set(local(New_York, "2026-11-24 13:15"));
    assert!(shop.mark(came.id, Attendance::Completed).await.is_ok());
    assert!(shop.mark(missed.id, Attendance::NoShow).await.is_ok());
    let window = (local(New_York, "2026-11-24 00:00"), local(New_York, "2026-11-27 00:00"));
    let summary = shop.service.attendance_summary(&shop.profile, window.0, window.1).await;
    let summary = summary.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (summary.completed, summary.no_show, summary.unmarked, summary.scheduled),
        (1, 1, 1, 2),
        "12:00 ended and is unmarked; 13:00 and Thursday are ahead: {summary:?}"
    );
    assert_eq!((summary.confirmed.rate(), summary.unconfirmed.rate()), (Some(1.0), Some(0.0)));

    // A day after their end, the unmarked ones count as completed.
    shop.clock.set(local(New_York, "2026-11-25 13:30"));
    let unmarked_now = shop.store.booking(slug, unmarked.id).await.ok().flatten();
    let unmarked_now = unmarked_now.unwrap_or_else(|| panic!("gone"));
    assert_eq!(effective_status(&unmarked_now, shop.clock_now()), EffectiveStatus::Completed);
    let summary = shop.service.attendance_summary(&shop.profile, window.0, window.1).await;
    let summary = summary.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((summary.completed, summary.no_show, summary.unmarked, summary.scheduled), (3, 1, 0, 1));
    assert_eq!((summary.confirmed.completed, summary.confirmed.no_show), (1, 1), "13:00 was confirmed");
    assert_eq!((summary.unconfirmed.completed, summary.unconfirmed.no_show), (2, 0));
    assert_eq!(summary.overall().rate(), Some(0.25));
    assert_eq!(later.status, BookingStatus::Confirmed);
}

#[tokio::test]
async fn a_confirmation_is_kept_from_the_first_reply() {
    let shop = shop();
    let booking = shop.book("2026-11-25 10:00").await;
    let slug = shop.profile.slug();
    assert_eq!(booking.confirmed_at, None);
    let first = shop.store.record_confirmation(slug, booking.id, shop.clock_now()).await;
    assert_eq!(first.ok().and_then(|b| b.confirmed_at), Some(shop.clock_now()));
    let confirmed_at = shop.clock_now();
    shop.clock.advance(Duration::hours(1));
    let again = shop.store.record_confirmation(slug, booking.id, shop.clock_now()).await;
    assert_eq!(again.ok().and_then(|b| b.confirmed_at), Some(confirmed_at));
    assert!(matches!(
        shop.store.record_confirmation(slug, BookingId::new(), shop.clock_now()).await,
        Err(BookingError::NotFound(_))
    ));
}
