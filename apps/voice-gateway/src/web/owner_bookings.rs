//! `/app/bookings`: the shop's upcoming appointments, found by name, phone
//! or code, cancelled or moved with the same rules and texts as by phone
//! (the owner may cancel inside the notice window: it is their shop).

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, NaiveDate, NaiveTime};
use frontdesk_calendar::{BookingId, BookingStatus, Notice, Notify};
use serde::Deserialize;

use super::owner::{shop_of, unavailable};
use super::{OwnerSession, page};
use crate::app::AppState;

struct BookingRow {
    id: String,
    when: String,
    service: String,
    staff: String,
    customer: String,
    phone: String,
    code: String,
    date: String,
    time: String,
}

#[derive(Template)]
#[template(path = "owner_bookings.html")]
struct BookingsPage {
    shop: String,
    page: &'static str,
    query: String,
    done: Option<String>,
    error: Option<String>,
    rows: Vec<BookingRow>,
}

#[derive(Deserialize)]
pub(crate) struct BookingsQuery {
    #[serde(default)]
    q: String,
    done: Option<String>,
    error: Option<String>,
}

pub(crate) async fn bookings(
    State(state): State<AppState>,
    owner: OwnerSession,
    Query(query): Query<BookingsQuery>,
) -> Response {
    let Some(shop) = shop_of(&state, &owner).await else { return unavailable() };
    let profile = &shop.profile;
    let zone = profile.timezone();
    let now = state.clock.now();
    let ahead = Duration::days(i64::from(profile.booking().max_days_ahead) + 1);
    let found =
        match state.bookings.store().list_bookings(&owner.tenant, now - Duration::hours(2), now + ahead, None).await {
            Ok(found) => found,
            Err(error) => {
                tracing::error!(%error, "could not list a shop's bookings");
                return unavailable();
            }
        };
    let needle = query.q.trim().to_lowercase();
    let digits: String = needle.chars().filter(char::is_ascii_digit).collect();
    let rows = found
        .iter()
        .filter(|booking| booking.status == BookingStatus::Confirmed)
        .filter(|booking| {
            needle.is_empty()
                || booking.customer.name.to_lowercase().contains(&needle)
                || booking.code.to_string().to_lowercase() == needle
                || (digits.len() >= 4 && booking.customer.phone.as_str().contains(&digits))
        })
        .map(|booking| {
            let local = booking.start.with_timezone(&zone);
            BookingRow {
                id: booking.id.to_string(),
                when: local.format("%a %-d %b, %-I:%M %p").to_string(),
                service: booking.service.clone(),
                staff: booking.staff.clone().unwrap_or_default(),
                customer: booking.customer.name.clone(),
                phone: booking.customer.phone.as_str().to_owned(),
                code: booking.code.to_string(),
                date: local.format("%Y-%m-%d").to_string(),
                time: local.format("%H:%M").to_string(),
            }
        })
        .collect();
    let page_ = BookingsPage {
        shop: profile.name().to_owned(),
        page: "bookings",
        query: query.q,
        done: query.done.map(|done| match done.as_str() {
            "cancelled" => "Cancelled. The customer gets a text.".to_owned(),
            "moved" => "Moved. The customer gets a text with the new time.".to_owned(),
            _ => "Done.".to_owned(),
        }),
        error: query.error,
        rows,
    };
    page(page_.render())
}

fn back(outcome: Result<&str, String>) -> Response {
    let query = match outcome {
        Ok(done) => url::form_urlencoded::Serializer::new(String::new()).append_pair("done", done).finish(),
        Err(error) => url::form_urlencoded::Serializer::new(String::new()).append_pair("error", &error).finish(),
    };
    Redirect::to(&format!("/app/bookings?{query}")).into_response()
}

pub(crate) async fn cancel(State(state): State<AppState>, owner: OwnerSession, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<BookingId>() else { return back(Err("No such booking.".to_owned())) };
    let Some(shop) = shop_of(&state, &owner).await else { return unavailable() };
    // The booking is looked up in the owner's own shop only.
    match state.bookings.cancel(&shop.profile, id, Notice::Waive, Notify::Customer).await {
        Ok(_) => back(Ok("cancelled")),
        Err(error) => back(Err(format!("Not cancelled: {error}."))),
    }
}

#[derive(Deserialize)]
pub(crate) struct MoveForm {
    #[serde(default)]
    date: String,
    #[serde(default)]
    time: String,
}

pub(crate) async fn reschedule(
    State(state): State<AppState>,
    owner: OwnerSession,
    Path(id): Path<String>,
    Form(form): Form<MoveForm>,
) -> Response {
    let Ok(id) = id.parse::<BookingId>() else { return back(Err("No such booking.".to_owned())) };
    let (Ok(date), Ok(time)) =
        (NaiveDate::parse_from_str(&form.date, "%Y-%m-%d"), NaiveTime::parse_from_str(&form.time, "%H:%M"))
    else {
        return back(Err("Not moved: give a date and a time.".to_owned()));
    };
    let Some(shop) = shop_of(&state, &owner).await else { return unavailable() };
    let profile = &shop.profile;
    let Some(start) = date.and_time(time).and_local_timezone(profile.timezone()).earliest().map(|at| at.to_utc())
    else {
        return back(Err("Not moved: that time does not exist that day (the clocks change).".to_owned()));
    };
    match state.bookings.reschedule(profile, id, start, None, Notify::Customer).await {
        Ok(_) => back(Ok("moved")),
        Err(error) => back(Err(format!("Not moved: {error}."))),
    }
}
