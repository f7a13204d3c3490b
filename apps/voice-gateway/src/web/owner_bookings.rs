//! `/app/bookings`: the shop's upcoming appointments, a few days at a time
//! (from today, or from a day the owner picks), or found by name, phone or
//! code among all of them; cancelled or moved with the same rules and texts
//! as by phone (the owner may cancel inside the notice window: it is their
//! shop).

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Days, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use frontdesk_calendar::{Booking, BookingId, BookingStatus, Notice, Notify};
use serde::Deserialize;

use super::owner::{shop_of, unavailable};
use super::{OwnerSession, page};
use crate::app::AppState;

/// The days a page reads at most: the page shows whole days of them until
/// it holds [`PAGE_BOOKINGS`], and links to the rest. A busy shop has
/// thousands of appointments ahead; every one of them with its two forms
/// made a page of megabytes that no phone could use.
const WINDOW_DAYS: u64 = 14;
/// Appointments a page fills up to (with whole days: a day is never split).
const PAGE_BOOKINGS: usize = 40;
/// Matches a search shows at most.
const SEARCH_BOOKINGS: usize = 50;

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

/// A link to the days after those shown.
struct Later {
    href: String,
    label: String,
}

#[derive(Template)]
#[template(path = "owner_bookings.html")]
struct BookingsPage {
    shop: String,
    page: &'static str,
    query: String,
    /// A search, not the list of days.
    searching: bool,
    done: Option<String>,
    error: Option<String>,
    rows: Vec<BookingRow>,
    /// What the list holds, in words, when it holds something…
    showing: String,
    /// …and when it holds nothing.
    empty: String,
    /// The first day shown (`YYYY-MM-DD`), and the days that can be picked.
    from: String,
    first_day: String,
    last_day: String,
    later: Option<Later>,
}

#[derive(Deserialize)]
pub(crate) struct BookingsQuery {
    #[serde(default)]
    q: String,
    /// The first local day to show (`YYYY-MM-DD`); today when absent.
    #[serde(default)]
    from: String,
    done: Option<String>,
    error: Option<String>,
}

/// The instant `day` starts in `zone` (an hour on when the clocks skip
/// midnight).
fn start_of(day: NaiveDate, zone: Tz) -> DateTime<Utc> {
    let midnight = day.and_time(NaiveTime::MIN);
    midnight
        .and_local_timezone(zone)
        .earliest()
        .or_else(|| (midnight + Duration::hours(1)).and_local_timezone(zone).earliest())
        .map_or_else(|| midnight.and_utc(), |at| at.to_utc())
}

fn spoken_day(day: NaiveDate) -> String {
    day.format("%a %-d %b").to_string()
}

fn row(booking: &Booking, zone: Tz) -> BookingRow {
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
    // What can be booked: from just before now (an appointment under way)
    // to the furthest day ahead.
    let (earliest, latest) =
        (now - Duration::hours(2), now + Duration::days(i64::from(profile.booking().max_days_ahead) + 1));
    let today = now.with_timezone(&zone).date_naive();
    let last_day = latest.with_timezone(&zone).date_naive();
    let needle = query.q.trim().to_lowercase();
    let first = NaiveDate::parse_from_str(query.from.trim(), "%Y-%m-%d").ok().unwrap_or(today).clamp(today, last_day);
    // A search looks through every upcoming appointment; the list reads a
    // window of days.
    let (from, to) = if needle.is_empty() {
        let end = first.checked_add_days(Days::new(WINDOW_DAYS)).unwrap_or(last_day);
        (start_of(first, zone).max(earliest), start_of(end, zone).min(latest))
    } else {
        (earliest, latest)
    };
    let found = match state.bookings.store().list_bookings(&owner.tenant, from, to, None).await {
        Ok(found) => found,
        Err(error) => {
            tracing::error!(%error, "could not list a shop's bookings");
            return unavailable();
        }
    };
    let confirmed = found.iter().filter(|booking| booking.status == BookingStatus::Confirmed);
    let (rows, showing, empty, later) = if needle.is_empty() {
        // Whole days, until the page is full.
        let mut shown: Vec<&Booking> = Vec::new();
        let mut next_day = None;
        for booking in confirmed {
            let day = booking.start.with_timezone(&zone).date_naive();
            let last_shown = shown.last().map(|last| last.start.with_timezone(&zone).date_naive());
            if shown.len() >= PAGE_BOOKINGS && last_shown != Some(day) {
                next_day = Some(day);
                break;
            }
            shown.push(booking);
        }
        let window_end = to.with_timezone(&zone).date_naive();
        // Past the window's days, the next page starts where it ended.
        let next_day = next_day.or_else(|| (to < latest).then_some(window_end));
        let through = match next_day {
            Some(next) => next.pred_opt().unwrap_or(first).max(first),
            None => last_day,
        };
        let days = if first == through {
            format!("on {}", spoken_day(first))
        } else {
            format!("from {} to {}", spoken_day(first), spoken_day(through))
        };
        let later = next_day.map(|next| Later {
            href: format!("/app/bookings?from={}", next.format("%Y-%m-%d")),
            label: format!("Show more, from {}", spoken_day(next)),
        });
        let rows = shown.into_iter().map(|booking| row(booking, zone)).collect::<Vec<_>>();
        (rows, format!("Upcoming appointments {days}."), format!("No appointments {days}."), later)
    } else {
        let digits: String = needle.chars().filter(char::is_ascii_digit).collect();
        let matches: Vec<&Booking> = confirmed
            .filter(|booking| {
                booking.customer.name.to_lowercase().contains(&needle)
                    || booking.code.to_string().to_lowercase() == needle
                    || (digits.len() >= 4 && booking.customer.phone.as_str().contains(&digits))
            })
            .collect();
        let showing = match matches.len() {
            1 => "One upcoming appointment matches.".to_owned(),
            count if count <= SEARCH_BOOKINGS => format!("{count} upcoming appointments match."),
            count => format!(
                "{count} upcoming appointments match; the first {SEARCH_BOOKINGS} are shown (add more of the name or number)."
            ),
        };
        let empty = format!("No upcoming appointments match \"{}\".", query.q.trim());
        let rows = matches.into_iter().take(SEARCH_BOOKINGS).map(|booking| row(booking, zone)).collect();
        (rows, showing, empty, None)
    };
    let page_ = BookingsPage {
        shop: profile.name().to_owned(),
        page: "bookings",
        searching: !needle.is_empty(),
        query: query.q,
        done: query.done.map(|done| match done.as_str() {
            "cancelled" => "Cancelled. The customer gets a text.".to_owned(),
            "moved" => "Moved. The customer gets a text with the new time.".to_owned(),
            _ => "Done.".to_owned(),
        }),
        error: query.error,
        rows,
        showing,
        empty,
        from: first.format("%Y-%m-%d").to_string(),
        first_day: today.format("%Y-%m-%d").to_string(),
        last_day: last_day.format("%Y-%m-%d").to_string(),
        later,
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
