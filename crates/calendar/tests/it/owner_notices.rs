//! The owner hears about what the customer did with the receptionist (a
//! booking by phone, a cancellation or a move by phone or text), in the
//! same transaction as the change; never about the shop's own changes.

use std::sync::Arc;

use chrono_tz::America::New_York;
use frontdesk_calendar::{
    Booking, BookingRequest, BookingService, BookingSource, ChangedBy, Customer, MemoryBookingStore, Notice, Notify,
};
use frontdesk_core::{E164, ManualClock};
use frontdesk_notify::NOTIFY_OWNER;
use frontdesk_tenant::TenantProfile;

use crate::{local, profile_from_toml};

fn shop(notifications: &str) -> TenantProfile {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/tenants/fresh-cuts.toml");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{e}"));
    profile_from_toml(&format!("{text}\n[notifications]\n{notifications}\n"))
}

struct Shop {
    profile: TenantProfile,
    store: Arc<MemoryBookingStore>,
    service: BookingService,
}

impl Shop {
    fn new(notifications: &str) -> Shop {
        let clock = Arc::new(ManualClock::new(local(New_York, "2026-11-23 12:00")));
        let store = Arc::new(MemoryBookingStore::new());
        Shop { profile: shop(notifications), store: store.clone(), service: BookingService::new(store, clock) }
    }

    async fn book(&self, at: &str, source: BookingSource) -> Booking {
        let request = BookingRequest {
            service: "haircut".to_owned(),
            start: local(New_York, at),
            staff: None,
            customer: Customer {
                name: "Jane Doe".to_owned(),
                phone: E164::parse("+15555551234").unwrap_or_else(|e| panic!("{e}")),
            },
            source,
            idempotency_key: None,
            hold: None,
            notify_customer: false,
        };
        self.service.book(&self.profile, request).await.unwrap_or_else(|e| panic!("{at}: {e}"))
    }

    /// The owner's notification jobs committed so far: (event, body).
    fn told(&self) -> Vec<(String, String)> {
        self.store
            .jobs()
            .iter()
            .filter(|job| job.kind.as_str() == NOTIFY_OWNER)
            .map(|job| {
                let text = |field: &str| job.payload[field].as_str().unwrap_or_default().to_owned();
                (text("event"), text("body"))
            })
            .collect()
    }
}

#[tokio::test]
async fn a_booking_by_phone_is_told_and_one_by_the_shop_is_not() {
    let shop = Shop::new("");
    let booking = shop.book("2026-11-25 14:00", BookingSource::Phone).await;
    shop.book("2026-11-25 15:00", BookingSource::Admin).await;
    assert_eq!(
        shop.told(),
        [(
            "booking_made".to_owned(),
            format!(
                "Fresh Cuts Barbershop: Jane Doe (+15555551234) booked a Haircut with Marco for Wed, Nov 25 at 2:00 PM by phone. Code {}.",
                booking.code
            )
        )]
    );
}

#[tokio::test]
async fn a_cancellation_or_move_by_the_customer_is_told_and_the_shops_own_are_not() {
    let shop = Shop::new("");
    let first = shop.book("2026-11-25 14:00", BookingSource::Admin).await;
    let moved = shop
        .service
        .reschedule_by(
            &shop.profile,
            first.id,
            local(New_York, "2026-11-26 10:00"),
            None,
            Notify::Nobody,
            ChangedBy::Text,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    shop.service
        .cancel_by(&shop.profile, moved.id, Notice::Enforce, Notify::Customer, ChangedBy::Call)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let second = shop.book("2026-11-27 10:00", BookingSource::Admin).await;
    let again = shop
        .service
        .reschedule(&shop.profile, second.id, local(New_York, "2026-11-27 11:00"), None, Notify::Customer)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    shop.service
        .cancel(&shop.profile, again.id, Notice::Waive, Notify::Customer)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        shop.told(),
        [
            (
                "booking_rescheduled".to_owned(),
                "Fresh Cuts Barbershop: Jane Doe (+15555551234) moved their Haircut from Wed, Nov 25 at 2:00 PM to Thu, Nov 26 at 10:00 AM with Marco by text.".to_owned()
            ),
            (
                "booking_cancelled".to_owned(),
                "Fresh Cuts Barbershop: Jane Doe (+15555551234) cancelled their Haircut with Marco on Thu, Nov 26 at 10:00 AM by phone. The time is free again.".to_owned()
            ),
        ],
        "the shop's own move and cancellation are not told"
    );
}

#[tokio::test]
async fn events_the_owner_did_not_choose_queue_nothing() {
    let shop = Shop::new("events = [\"voicemail\"]");
    shop.book("2026-11-25 14:00", BookingSource::Phone).await;
    assert!(shop.told().is_empty());
}
