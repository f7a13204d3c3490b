//! What the owner is told about a booking the customer made, cancelled or
//! moved with the receptionist (by phone or text): an owner's notification
//! job, enqueued with the change. The owner is never told about a change
//! the shop made itself (admin API, owner's pages).

use chrono::{DateTime, Utc};
use frontdesk_jobs::NewJob;
use frontdesk_notify::{OwnerEvent, owner_notification_job};
use frontdesk_tenant::TenantProfile;

use crate::model::{Booking, NewBooking};

/// Who made a change to a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangedBy {
    /// The customer, on a call with the receptionist.
    Call,
    /// The customer, by a text reply.
    Text,
    /// The shop (an operator or the owner): the owner is not told.
    Shop,
}

impl ChangedBy {
    fn how(self) -> &'static str {
        match self {
            ChangedBy::Call => "by phone",
            ChangedBy::Text => "by text",
            ChangedBy::Shop => "by the shop",
        }
    }
}

/// Where the owner sees the shop's bookings.
const BOOKINGS_PAGE: &str = "/app/bookings";

fn when(profile: &TenantProfile, at: DateTime<Utc>) -> String {
    at.with_timezone(&profile.timezone()).format("%a, %b %-d at %-I:%M %p").to_string()
}

fn with(staff: Option<&str>) -> String {
    staff.map(|s| format!(" with {s}")).unwrap_or_default()
}

/// A booking made by phone.
pub(crate) fn booked(profile: &TenantProfile, booking: &NewBooking) -> Option<NewJob> {
    let body = format!(
        "{shop}: {name} ({phone}) booked a {service}{staff} for {at} by phone. Code {code}.",
        shop = profile.name(),
        name = booking.customer.name,
        phone = booking.customer.phone,
        service = booking.service,
        staff = with(booking.staff.as_deref()),
        at = when(profile, booking.start),
        code = booking.code,
    );
    owner_notification_job(profile, OwnerEvent::BookingMade, &booking.id.to_string(), &body, Some(BOOKINGS_PAGE))
}

/// A booking the customer cancelled.
pub(crate) fn cancelled(profile: &TenantProfile, booking: &Booking, by: ChangedBy) -> Option<NewJob> {
    if by == ChangedBy::Shop {
        return None;
    }
    let body = format!(
        "{shop}: {name} ({phone}) cancelled their {service}{staff} on {at} {how}. The time is free again.",
        shop = profile.name(),
        name = booking.customer.name,
        phone = booking.customer.phone,
        service = booking.service,
        staff = with(booking.staff.as_deref()),
        at = when(profile, booking.start),
        how = by.how(),
    );
    owner_notification_job(profile, OwnerEvent::BookingCancelled, &booking.id.to_string(), &body, Some(BOOKINGS_PAGE))
}

/// A booking the customer moved (`old` to `new`, a new booking).
pub(crate) fn rescheduled(profile: &TenantProfile, old: &Booking, new: &NewBooking, by: ChangedBy) -> Option<NewJob> {
    if by == ChangedBy::Shop {
        return None;
    }
    let body = format!(
        "{shop}: {name} ({phone}) moved their {service} from {from} to {to}{staff} {how}.",
        shop = profile.name(),
        name = old.customer.name,
        phone = old.customer.phone,
        service = old.service,
        from = when(profile, old.start),
        to = when(profile, new.start),
        staff = with(new.staff.as_deref()),
        how = by.how(),
    );
    owner_notification_job(profile, OwnerEvent::BookingRescheduled, &new.id.to_string(), &body, Some(BOOKINGS_PAGE))
}
