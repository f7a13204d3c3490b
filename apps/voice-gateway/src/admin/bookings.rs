//! `/admin/tenants/{slug}/availability`, `/admin/tenants/{slug}/bookings`
//! and `/admin/tenants/{slug}/attendance`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, SecondsFormat, TimeZone, Utc};
use chrono_tz::Tz;
use frontdesk_calendar::{
    Attendance, AttendanceSummary, Booking, BookingId, BookingRequest, BookingSource, BookingStatus, ConfirmationCode,
    Customer, NO_SHOW_RATE_DEFINITION, NoShowRate, Notice, Notify, Slot,
};
use frontdesk_core::E164;
use frontdesk_tenant::TenantProfile;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Admin, json_body};
use crate::app::AppState;
use crate::error::ApiError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/tenants/{slug}/availability", get(availability))
        .route("/admin/tenants/{slug}/bookings", get(list_bookings).post(create_booking))
        .route("/admin/tenants/{slug}/bookings/{id}", get(get_booking))
        .route("/admin/tenants/{slug}/bookings/{id}/cancel", post(cancel_booking))
        .route("/admin/tenants/{slug}/bookings/{id}/reschedule", post(reschedule_booking))
        .route("/admin/tenants/{slug}/bookings/{id}/attendance", post(mark_attendance))
        .route("/admin/tenants/{slug}/attendance", get(attendance_summary))
}

fn local_time(tz: Tz, at: DateTime<Utc>) -> String {
    at.with_timezone(&tz).to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub fn slot_json(tz: Tz, slot: &Slot) -> Value {
    json!({"start": local_time(tz, slot.start), "end": local_time(tz, slot.end), "staff": slot.staff})
}

pub fn booking_json(tz: Tz, booking: &Booking) -> Value {
    json!({
        "id": booking.id.to_string(),
        "code": booking.code.as_str(),
        "service": booking.service,
        "staff": booking.staff,
        "start": local_time(tz, booking.start),
        "end": local_time(tz, booking.end),
        "customer_name": booking.customer.name,
        "customer_phone": booking.customer.phone.as_str(),
        "status": booking.status.as_str(),
        "source": booking.source.as_str(),
        "rescheduled_from": booking.rescheduled_from.map(|id| id.to_string()),
        "rescheduled_to": booking.rescheduled_to.map(|id| id.to_string()),
        "confirmed_at": booking.confirmed_at.map(|at| at.to_rfc3339_opts(SecondsFormat::Secs, true)),
        "attendance": booking.attendance().map(Attendance::as_str),
        "attendance_marked_at": booking.attendance_marked_at.map(|at| at.to_rfc3339_opts(SecondsFormat::Secs, true)),
        "created_at": booking.created_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        "updated_at": booking.updated_at.to_rfc3339_opts(SecondsFormat::Secs, true),
    })
}

async fn profile(state: &AppState, admin: &Admin, slug: &str) -> Result<TenantProfile, ApiError> {
    let tenant = admin.tenant(slug)?;
    let record = state.tenants.get_tenant(&tenant).await?;
    record.map(|r| r.profile).ok_or_else(|| ApiError::not_found(format!("tenant {tenant} does not exist")))
}

fn unprocessable(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::validation(&[frontdesk_tenant::FieldProblem { field: field.to_owned(), message: message.into() }])
}

fn parse_date(field: &str, raw: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| unprocessable(field, format!("expected a date like 2026-11-27, got {raw:?}")))
}

/// RFC 3339 with an offset, or a local `YYYY-MM-DDTHH:MM[:SS]` in the
/// tenant's zone (the earlier one if the clock repeats it).
pub fn parse_start(tz: Tz, field: &str, raw: &str) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Ok(at.with_timezone(&Utc));
    }
    let naive = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M"))
        .map_err(|_| {
            unprocessable(
                field,
                format!("expected a time like 2026-11-27T14:00 or 2026-11-27T14:00:00-05:00, got {raw:?}"),
            )
        })?;
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => Ok(at.with_timezone(&Utc)),
        LocalResult::None => Err(unprocessable(field, format!("{raw} does not exist in {tz} (the clocks skip it)"))),
    }
}

/// A window's end from a query: a date (local midnight, so `to` excludes
/// that day) or an RFC 3339 time; `default` when absent or empty.
fn bound(tz: Tz, field: &str, raw: Option<&str>, default: DateTime<Utc>) -> Result<DateTime<Utc>, ApiError> {
    match raw {
        None | Some("") => Ok(default),
        Some(raw) if raw.len() == 10 => Ok(local_midnight(tz, parse_date(field, raw)?)),
        Some(raw) => parse_start(tz, field, raw),
    }
}

fn local_midnight(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    date.and_hms_opt(0, 0, 0)
        .and_then(|d| tz.from_local_datetime(&d).earliest())
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_default()
}

#[derive(Deserialize)]
struct AvailabilityQuery {
    service: String,
    date: String,
    days: Option<u32>,
    staff: Option<String>,
}

async fn availability(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
    Query(query): Query<AvailabilityQuery>,
) -> Result<Json<Value>, ApiError> {
    let profile = profile(&state, &admin, &slug).await?;
    let date = parse_date("date", &query.date)?;
    let days = query.days.unwrap_or(1).clamp(1, 366);
    let slots = state.bookings.availability(&profile, &query.service, query.staff.as_deref(), date, days).await?;
    let tz = profile.timezone();
    Ok(Json(json!({"slots": slots.iter().map(|s| slot_json(tz, s)).collect::<Vec<_>>()})))
}

#[derive(Deserialize)]
struct ListQuery {
    from: Option<String>,
    to: Option<String>,
    status: Option<String>,
    /// Only this caller's upcoming confirmed bookings (from `from`, default now).
    phone: Option<String>,
}

async fn list_bookings(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let profile = profile(&state, &admin, &slug).await?;
    let tz = profile.timezone();
    let bound = |field: &str, raw: &Option<String>, default: DateTime<Utc>| bound(tz, field, raw.as_deref(), default);
    if let Some(raw) = query.phone.as_deref().filter(|p| !p.is_empty()) {
        let phone = E164::parse(raw).map_err(|e| unprocessable("phone", e.to_string()))?;
        let from = bound("from", &query.from, state.clock.now())?;
        let bookings = state.bookings.store().upcoming_for_phone(profile.slug(), &phone, from).await?;
        return Ok(Json(json!({"bookings": bookings.iter().map(|b| booking_json(tz, b)).collect::<Vec<_>>()})));
    }
    let today = local_midnight(tz, state.clock.now().with_timezone(&tz).date_naive());
    let from = bound("from", &query.from, today)?;
    let to = bound("to", &query.to, from + Duration::days(31))?;
    let status = match query.status.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(BookingStatus::parse(raw).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_status",
                format!("status must be confirmed, cancelled, completed or no_show; got {raw:?}"),
            )
        })?),
    };
    let bookings = state.bookings.store().list_bookings(profile.slug(), from, to, status).await?;
    Ok(Json(json!({"bookings": bookings.iter().map(|b| booking_json(tz, b)).collect::<Vec<_>>()})))
}

/// A booking by id, or by its confirmation code (the current booking of a
/// rescheduled chain).
async fn find_booking(state: &AppState, profile: &TenantProfile, id_or_code: &str) -> Result<Booking, ApiError> {
    let store = state.bookings.store();
    let booking = match (id_or_code.parse::<BookingId>(), ConfirmationCode::parse(id_or_code)) {
        (Ok(booking_id), _) => store.booking(profile.slug(), booking_id).await?,
        (_, Some(code)) => store.booking_by_code(profile.slug(), &code).await?,
        _ => {
            return Err(ApiError::bad_request(
                "invalid_booking_id",
                format!("{id_or_code:?} is neither a booking id nor a confirmation code"),
            ));
        }
    };
    booking.ok_or_else(|| ApiError::not_found(format!("no booking {id_or_code:?}")))
}

async fn get_booking(
    State(state): State<AppState>,
    admin: Admin,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let profile = profile(&state, &admin, &slug).await?;
    let booking = find_booking(&state, &profile, &id).await?;
    Ok(Json(booking_json(profile.timezone(), &booking)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBooking {
    service: String,
    start: String,
    staff: Option<String>,
    customer_name: String,
    customer_phone: String,
    idempotency_key: Option<String>,
}

async fn create_booking(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
    body: Result<Json<CreateBooking>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let request = json_body(body)?;
    let profile = profile(&state, &admin, &slug).await?;
    let tz = profile.timezone();
    let start = parse_start(tz, "start", &request.start)?;
    let phone = E164::parse(&request.customer_phone).map_err(|e| unprocessable("customer_phone", e.to_string()))?;
    let idempotency_key = request
        .idempotency_key
        .as_deref()
        .map(|key| {
            frontdesk_core::TextRule::NAME.check(key).map_err(|problem| unprocessable("idempotency_key", problem))
        })
        .transpose()?;
    let requested_at = state.clock.now();
    let booking = state
        .bookings
        .book(
            &profile,
            BookingRequest {
                service: request.service,
                start,
                staff: request.staff,
                customer: Customer { name: request.customer_name, phone },
                source: BookingSource::Admin,
                idempotency_key,
                hold: None,
                notify_customer: true,
            },
        )
        .await?;
    // A replayed idempotency key returns the booking made earlier.
    let status = if booking.created_at < requested_at { StatusCode::OK } else { StatusCode::CREATED };
    tracing::info!(tenant_id = %profile.slug(), booking_id = %booking.id, by = %admin.0.subject, "booking made by admin");
    let after = booking_json(tz, &booking);
    if status == StatusCode::CREATED {
        admin
            .audit(&state, Some(profile.slug()), "booking.create", &booking.id.to_string(), None, Some(after.clone()))
            .await;
    }
    Ok((status, Json(after)))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CancelBooking {
    #[serde(default)]
    override_policy: bool,
}

async fn cancel_booking(
    State(state): State<AppState>,
    admin: Admin,
    Path((slug, id)): Path<(String, String)>,
    body: Option<Json<CancelBooking>>,
) -> Result<Json<Value>, ApiError> {
    let profile = profile(&state, &admin, &slug).await?;
    let before = find_booking(&state, &profile, &id).await?;
    let id = before.id;
    let override_policy = body.map(|Json(b)| b.override_policy).unwrap_or(false);
    let notice = if override_policy { Notice::Waive } else { Notice::Enforce };
    let booking = state.bookings.cancel(&profile, id, notice, Notify::Nobody).await?;
    tracing::info!(tenant_id = %profile.slug(), booking_id = %id, override_policy, by = %admin.0.subject, "booking cancelled by admin");
    let after = booking_json(profile.timezone(), &booking);
    let before = booking_json(profile.timezone(), &before);
    admin
        .audit(&state, Some(profile.slug()), "booking.cancel", &id.to_string(), Some(before), Some(after.clone()))
        .await;
    Ok(Json(after))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RescheduleBooking {
    start: String,
    staff: Option<String>,
}

async fn reschedule_booking(
    State(state): State<AppState>,
    admin: Admin,
    Path((slug, id)): Path<(String, String)>,
    body: Result<Json<RescheduleBooking>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let request = json_body(body)?;
    let profile = profile(&state, &admin, &slug).await?;
    let before = find_booking(&state, &profile, &id).await?;
    let id = before.id;
    let start = parse_start(profile.timezone(), "start", &request.start)?;
    let booking = state.bookings.reschedule(&profile, id, start, request.staff.as_deref(), Notify::Nobody).await?;
    tracing::info!(tenant_id = %profile.slug(), from = %id, to = %booking.id, by = %admin.0.subject, "booking rescheduled by admin");
    let after = booking_json(profile.timezone(), &booking);
    let before = booking_json(profile.timezone(), &before);
    admin
        .audit(&state, Some(profile.slug()), "booking.reschedule", &id.to_string(), Some(before), Some(after.clone()))
        .await;
    Ok(Json(after))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MarkAttendance {
    status: String,
}

/// Marks whether the customer came: `{"status": "completed" | "no_show"}`.
async fn mark_attendance(
    State(state): State<AppState>,
    admin: Admin,
    Path((slug, id)): Path<(String, String)>,
    body: Result<Json<MarkAttendance>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let request = json_body(body)?;
    let profile = profile(&state, &admin, &slug).await?;
    let attendance = Attendance::parse(&request.status).ok_or_else(|| {
        unprocessable("status", format!("must be \"completed\" or \"no_show\", got {:?}", request.status))
    })?;
    let before = find_booking(&state, &profile, &id).await?;
    let id = before.id;
    let booking = state.bookings.mark_attendance(&profile, id, attendance).await?;
    tracing::info!(tenant_id = %profile.slug(), booking_id = %id, %attendance, by = %admin.0.subject, "attendance marked by admin");
    let after = booking_json(profile.timezone(), &booking);
    let before = booking_json(profile.timezone(), &before);
    admin
        .audit(&state, Some(profile.slug()), "booking.attendance", &id.to_string(), Some(before), Some(after.clone()))
        .await;
    Ok(Json(after))
}

#[derive(Deserialize)]
struct AttendanceQuery {
    from: Option<String>,
    to: Option<String>,
}

fn no_show_rate_json(counts: NoShowRate) -> Value {
    json!({"completed": counts.completed, "no_show": counts.no_show, "no_show_rate": counts.rate()})
}

pub fn attendance_json(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>, summary: &AttendanceSummary) -> Value {
    let overall = summary.overall();
    json!({
        "from": local_time(tz, from),
        "to": local_time(tz, to),
        "completed": summary.completed,
        "no_show": summary.no_show,
        "unmarked": summary.unmarked,
        "scheduled": summary.scheduled,
        "no_show_rate": overall.rate(),
        "confirmed": no_show_rate_json(summary.confirmed),
        "unconfirmed": no_show_rate_json(summary.unconfirmed),
        "definition": NO_SHOW_RATE_DEFINITION,
    })
}

/// How the bookings that started in `[from, to)` went (default: the 30
/// days before today, and today until now).
async fn attendance_summary(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
    Query(query): Query<AttendanceQuery>,
) -> Result<Json<Value>, ApiError> {
    let profile = profile(&state, &admin, &slug).await?;
    let tz = profile.timezone();
    let now = state.clock.now();
    let month_ago = local_midnight(tz, now.with_timezone(&tz).date_naive() - Duration::days(30));
    let from = bound(tz, "from", query.from.as_deref(), month_ago)?;
    let to = bound(tz, "to", query.to.as_deref(), now)?;
    if to <= from {
        return Err(unprocessable("to", "must be after from"));
    }
    let summary = state.bookings.attendance_summary(&profile, from, to).await?;
    Ok(Json(attendance_json(tz, from, to, &summary)))
}
