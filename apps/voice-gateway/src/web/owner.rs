//! The shop owner's pages: sign-in by texted link or code, then the shop's
//! own pages.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, http::request::Parts};
use chrono::{DateTime, Utc};
use frontdesk_auth::web::{OwnerLogin, SecretToken, SignedIn, WebAuthError};
use frontdesk_core::E164;
use frontdesk_messaging::{MessageRecord, OutboundSms};
use frontdesk_tenant::{TenantRecord, TenantStatus};
use serde::Deserialize;

use super::{OwnerSession, client_address, notice, page};
use crate::app::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/app/login", get(login_page).post(send_code))
        .route("/app/login/code", get(code_page).post(sign_in_with_code))
        .route("/app/login/link", get(link_page).post(sign_in_with_link))
        .route("/app/logout", axum::routing::post(sign_out))
        .route("/app/logout-everywhere", axum::routing::post(sign_out_everywhere))
        .route("/app", get(today))
        .route("/app/bookings/{id}/attendance", axum::routing::post(mark_attendance))
        .route("/app/insights", get(super::owner_insights::insights))
        .route("/app/calls", get(super::owner_calls::calls))
        .route("/app/settings", get(super::owner_settings::settings).post(super::owner_settings::save))
        .route("/app/plan", get(super::owner_plan::plan))
        .route("/app/callbacks", get(super::owner_callbacks::callbacks))
        .route("/app/callbacks/{call}/done", axum::routing::post(super::owner_callbacks::mark_done))
        .route("/app/callbacks/{call}/call", axum::routing::post(super::owner_callbacks::call_back))
        .route("/app/questions", get(super::owner_questions::questions))
        .route("/app/questions/{id}/answer", axum::routing::post(super::owner_questions::answer))
        .route("/app/bookings", get(super::owner_bookings::bookings))
        .route("/app/bookings/{id}/cancel", axum::routing::post(super::owner_bookings::cancel))
        .route("/app/bookings/{id}/reschedule", axum::routing::post(super::owner_bookings::reschedule))
        .route("/app/calls/{sid}", get(super::owner_calls::call))
}

#[derive(Template)]
#[template(path = "owner_login.html")]
struct LoginPage {
    phone: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "owner_code.html")]
struct CodePage {
    phone: String,
    sent: bool,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "owner_link.html")]
struct LinkPage {
    token: String,
}

async fn login_page() -> Response {
    page(LoginPage { phone: String::new(), error: None }.render())
}

#[derive(Deserialize)]
struct PhoneForm {
    #[serde(default)]
    phone: String,
}

/// The client's address, for the attempt limit.
struct Client(Option<std::net::IpAddr>);

impl axum::extract::FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Client, Self::Rejection> {
        Ok(Client(client_address(parts)))
    }
}

fn too_many() -> Response {
    notice(
        StatusCode::TOO_MANY_REQUESTS,
        "Too many attempts",
        "Too many sign-in attempts from here; wait a few minutes and try again.",
    )
}

/// Texts a link and a code to the owner phone of every active shop it
/// belongs to. The reply is the same whether or not it belongs to one.
async fn send_code(State(state): State<AppState>, client: Client, Form(form): Form<PhoneForm>) -> Response {
    let now = state.clock.now();
    if !state.web.limiter.allow(client.0, now) {
        return too_many();
    }
    let Ok(phone) = E164::parse(&form.phone) else {
        let error = Some("That doesn't look like a phone number. Include the area code.".to_owned());
        let mut response = page(LoginPage { phone: form.phone, error }.render());
        *response.status_mut() = StatusCode::BAD_REQUEST;
        return response;
    };
    let shops = match state.tenants.list_tenants().await {
        Ok(shops) => shops,
        Err(error) => {
            tracing::error!(%error, "could not read the shops for a sign-in");
            return notice(
                StatusCode::SERVICE_UNAVAILABLE,
                "Signing in is unavailable",
                "Sorry, signing in is unavailable right now. Try again in a minute.",
            );
        }
    };
    for shop in shops.iter().filter(|shop| shop.status == TenantStatus::Active && *shop.profile.owner_phone() == phone)
    {
        match state.web.logins.start_owner_login(shop.profile.slug(), now).await {
            Ok(login) => text_sign_in(&state, shop, &login, now).await,
            Err(WebAuthError::TooMany) => {
                tracing::warn!(tenant_id = %shop.profile.slug(), "owner sign-in codes asked for too often");
            }
            Err(error) => tracing::error!(%error, tenant_id = %shop.profile.slug(), "could not start an owner sign-in"),
        }
    }
    let query = url::form_urlencoded::Serializer::new(String::new()).append_pair("phone", phone.as_str()).finish();
    Redirect::to(&format!("/app/login/code?sent=1&{query}")).into_response()
}

/// The sign-in text: sent now (not queued: its secret is never stored in a
/// job), recorded in the shop's message log (in full only when texts go
/// nowhere, so a developer can read it) and metered.
async fn text_sign_in(state: &AppState, shop: &TenantRecord, login: &OwnerLogin, now: DateTime<Utc>) {
    let profile = &shop.profile;
    let Some(from) = profile.phone_numbers().first().cloned() else {
        tracing::error!(tenant_id = %profile.slug(), "a shop without a number cannot text its owner a sign-in code");
        return;
    };
    let link = format!("{}/app/login/link?token={}", state.web.public_base_url, login.link.as_str());
    let body = format!(
        "Frontdesk: sign in to {} with this link: {link} or the code {}. Both work once, for 15 minutes. Didn't ask? Ignore this text.",
        profile.name(),
        login.code
    );
    let kept = if state.web.texts_go_nowhere {
        body.clone()
    } else {
        format!("Frontdesk: sign in to {} (link and code not kept).", profile.name())
    };
    let mut record = MessageRecord {
        id: state.ids.new_id().to_string(),
        tenant: profile.slug().clone(),
        to: profile.owner_phone().clone(),
        from: from.clone(),
        body: kept,
        status: "queued".to_owned(),
        provider_id: None,
        booking_id: None,
        error: None,
        created_at: now,
        updated_at: now,
    };
    if let Err(error) = state.messages.upsert_message(&record).await {
        tracing::error!(%error, "could not record a sign-in text");
    }
    let sms =
        OutboundSms { tenant: profile.slug().clone(), to: profile.owner_phone().clone(), from, body: body.clone() };
    match state.web.messaging.send_sms(&sms).await {
        Ok(sent) => {
            record.status = "sent".to_owned();
            record.provider_id = Some(sent.provider_id);
            if let Err(error) = state.metering.record_sms(&record.tenant, &record.id, &body, now).await {
                tracing::error!(%error, "could not meter a sign-in text");
            }
        }
        Err(error) => {
            tracing::error!(%error, tenant_id = %profile.slug(), "could not text a sign-in code");
            record.status = "failed".to_owned();
            record.error = Some(error.to_string());
        }
    }
    record.updated_at = state.clock.now();
    if let Err(error) = state.messages.upsert_message(&record).await {
        tracing::error!(%error, "could not record a sign-in text");
    }
}

#[derive(Deserialize)]
struct CodeQuery {
    #[serde(default)]
    phone: String,
    #[serde(default)]
    sent: Option<String>,
}

async fn code_page(Query(query): Query<CodeQuery>) -> Response {
    page(CodePage { phone: query.phone, sent: query.sent.is_some(), error: None }.render())
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    phone: String,
    #[serde(default)]
    code: String,
}

async fn sign_in_with_code(State(state): State<AppState>, client: Client, Form(form): Form<CodeForm>) -> Response {
    let now = state.clock.now();
    if !state.web.limiter.allow(client.0, now) {
        return too_many();
    }
    let refused = |phone: String| {
        let error = Some("That code is wrong, used or expired. Check the text, or send a new code.".to_owned());
        let mut response = page(CodePage { phone, sent: false, error }.render());
        *response.status_mut() = StatusCode::UNAUTHORIZED;
        response
    };
    let Ok(phone) = E164::parse(&form.phone) else { return refused(form.phone) };
    let shops = state.tenants.list_tenants().await.unwrap_or_else(|error| {
        tracing::error!(%error, "could not read the shops for a sign-in");
        Vec::new()
    });
    for shop in shops.iter().filter(|shop| shop.status == TenantStatus::Active && *shop.profile.owner_phone() == phone)
    {
        if let Ok(signed) = state.web.logins.sign_in_with_code(shop.profile.slug(), &form.code, now).await {
            return signed_in(&state, &signed);
        }
    }
    refused(form.phone)
}

#[derive(Deserialize)]
struct TokenForm {
    #[serde(default)]
    token: String,
}

/// The texted link opens this page; only its button signs in (link
/// scanners open links, they do not press buttons).
async fn link_page(Query(query): Query<TokenForm>) -> Response {
    match SecretToken::parse(&query.token) {
        Some(token) => page(LinkPage { token: token.as_str().to_owned() }.render()),
        None => Redirect::to("/app/login").into_response(),
    }
}

async fn sign_in_with_link(State(state): State<AppState>, client: Client, Form(form): Form<TokenForm>) -> Response {
    let now = state.clock.now();
    if !state.web.limiter.allow(client.0, now) {
        return too_many();
    }
    let signed = match SecretToken::parse(&form.token) {
        Some(token) => state.web.logins.sign_in_with_link(&token, now).await,
        None => Err(WebAuthError::Refused),
    };
    match signed {
        Ok(signed) => signed_in(&state, &signed),
        Err(_) => {
            let error = Some("That link is used or expired. Send yourself a new code.".to_owned());
            let mut response = page(LoginPage { phone: String::new(), error }.render());
            *response.status_mut() = StatusCode::UNAUTHORIZED;
            response
        }
    }
}

fn signed_in(state: &AppState, signed: &SignedIn) -> Response {
    let mut response = Redirect::to("/app").into_response();
    response.headers_mut().insert(header::SET_COOKIE, state.web.session_cookie(Some(&signed.token)));
    response
}

async fn sign_out(State(state): State<AppState>, owner: OwnerSession) -> Response {
    if let Err(error) = state.web.logins.sign_out(&owner.token).await {
        tracing::error!(%error, "could not end a web session");
    }
    let mut response = Redirect::to("/app/login").into_response();
    response.headers_mut().insert(header::SET_COOKIE, state.web.session_cookie(None));
    response
}

async fn sign_out_everywhere(State(state): State<AppState>, owner: OwnerSession) -> Response {
    if let Err(error) = state.web.logins.sign_out_everywhere(&owner.session.principal).await {
        tracing::error!(%error, "could not end a shop's web sessions");
    }
    let mut response = Redirect::to("/app/login").into_response();
    response.headers_mut().insert(header::SET_COOKIE, state.web.session_cookie(None));
    response
}

struct TodayRow {
    id: String,
    time: String,
    service: String,
    customer: String,
    status: &'static str,
    status_label: &'static str,
    /// It has started: the owner can say whether the customer came.
    markable: bool,
    /// Where its reminder texts stand ("Confirmed by text", "Reminder sent
    /// 2:00 PM", "Reminder at 12:00 PM", or a dash).
    reminder: String,
}

struct StaffColumn {
    staff: String,
    rows: Vec<TodayRow>,
}

#[derive(Template)]
#[template(path = "owner_today.html")]
struct TodayPage {
    shop: String,
    page: &'static str,
    day: String,
    columns: Vec<StaffColumn>,
    error: Option<String>,
    /// Why texts to customers wait (carrier registration), when they do.
    texting: Option<String>,
}

#[derive(Deserialize)]
struct TodayQuery {
    error: Option<String>,
}

/// Today's appointments, by staff member.
async fn today(State(state): State<AppState>, owner: OwnerSession, Query(query): Query<TodayQuery>) -> Response {
    let Some(shop) = shop_of(&state, &owner).await else { return unavailable() };
    let profile = &shop.profile;
    let tz = profile.timezone();
    let now = state.clock.now();
    let date = now.with_timezone(&tz).date_naive();
    let start = date.and_hms_opt(0, 0, 0).and_then(|t| t.and_local_timezone(tz).earliest()).map(|t| t.to_utc());
    let end = start.map(|start| start + chrono::Duration::hours(24));
    let (Some(start), Some(end)) = (start, end) else { return unavailable() };
    let bookings = match state.bookings.store().list_bookings(profile.slug(), start, end, None).await {
        Ok(bookings) => bookings,
        Err(error) => {
            tracing::error!(%error, "could not read today's bookings");
            return unavailable();
        }
    };
    // The day's bookings' own texts say which reminders went out.
    let ids: Vec<String> = bookings.iter().map(|booking| booking.id.to_string()).collect();
    let texts = state.messages.messages_of_bookings(profile.slug(), &ids).await.unwrap_or_else(|error| {
        tracing::error!(%error, "could not read the shop's texts for Today");
        Vec::new()
    });
    let reminders_on = state
        .flags
        .effective(profile.slug())
        .await
        .ok()
        .flatten()
        .is_some_and(|flags| flags.enabled(frontdesk_flags::Flag::EnableReminders));
    let texting = match super::texting::texts_waiting(&state, profile.slug()).await {
        Ok(waiting) => waiting.map(|waiting| waiting.sentence(tz)),
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "could not read whether the shop's texts wait");
            None
        }
    };
    let clock_at = |at: chrono::DateTime<chrono::Utc>| frontdesk_routing::spoken_clock(at.with_timezone(&tz).time());
    let mut columns: Vec<StaffColumn> = Vec::new();
    for booking in bookings.iter().filter(|b| b.status != frontdesk_calendar::BookingStatus::Cancelled) {
        let id = booking.id.to_string();
        let sent = texts
            .iter()
            .filter(|m| m.booking_id.as_deref() == Some(id.as_str()) && m.body.contains(": reminder, "))
            .max_by_key(|m| m.created_at);
        let reminder = match (booking.confirmed_at, sent) {
            (Some(at), _) => format!("Confirmed by text {}", clock_at(at)),
            (None, Some(text)) if text.status == "sent" => format!("Reminder sent {}", clock_at(text.created_at)),
            (None, Some(text)) => format!("Reminder not sent: {}", text.error.as_deref().unwrap_or("failed")),
            (None, None) if reminders_on => {
                frontdesk_calendar::reminder_schedule(profile, booking.start, booking.created_at)
                    .into_iter()
                    .find(|due| due.at > now)
                    .map_or_else(|| "—".to_owned(), |due| format!("Reminder at {}", clock_at(due.at)))
            }
            (None, None) => "—".to_owned(),
        };
        let staff = booking.staff.clone().unwrap_or_else(|| "Anyone".to_owned());
        use frontdesk_calendar::EffectiveStatus;
        let (status, status_label) = match frontdesk_calendar::effective_status(booking, now) {
            EffectiveStatus::Completed if booking.attendance().is_none() => ("completed", "Completed (not marked)"),
            EffectiveStatus::Completed => ("completed", "Completed"),
            EffectiveStatus::NoShow => ("no_show", "No-show"),
            EffectiveStatus::Cancelled => ("cancelled", "Cancelled"),
            EffectiveStatus::Unmarked => ("confirmed", "Not marked yet"),
            EffectiveStatus::Scheduled => ("confirmed", "Booked"),
        };
        let row = TodayRow {
            id,
            reminder,
            time: frontdesk_routing::spoken_clock(booking.start.with_timezone(&tz).time()),
            service: booking.service.clone(),
            customer: booking.customer.name.clone(),
            status,
            status_label,
            markable: booking.start <= now,
        };
        match columns.iter_mut().find(|column| column.staff == staff) {
            Some(column) => column.rows.push(row),
            None => columns.push(StaffColumn { staff, rows: vec![row] }),
        }
    }
    page(
        TodayPage {
            shop: profile.name().to_owned(),
            page: "today",
            day: frontdesk_routing::spoken_date(date),
            columns,
            error: query.error,
            texting,
        }
        .render(),
    )
}

#[derive(Deserialize)]
struct AttendanceForm {
    #[serde(default)]
    status: String,
}

/// One tap on Today: the customer came, or did not (the owner may change
/// their mind: a marked booking can be marked the other way).
async fn mark_attendance(
    State(state): State<AppState>,
    owner: OwnerSession,
    axum::extract::Path(id): axum::extract::Path<String>,
    Form(form): Form<AttendanceForm>,
) -> Response {
    let back = |error: &str| {
        let query = url::form_urlencoded::Serializer::new(String::new()).append_pair("error", error).finish();
        Redirect::to(&format!("/app?{query}")).into_response()
    };
    let (Ok(id), Some(attendance)) =
        (id.parse::<frontdesk_calendar::BookingId>(), frontdesk_calendar::Attendance::parse(&form.status))
    else {
        return back("Not marked: no such booking or status.");
    };
    let Some(shop) = shop_of(&state, &owner).await else { return unavailable() };
    match state.bookings.mark_attendance(&shop.profile, id, attendance).await {
        Ok(booking) => {
            let after = serde_json::json!({"status": booking.status.as_str()});
            super::audit_owner(&state, &owner, "booking.attendance", &id.to_string(), None, Some(after)).await;
            Redirect::to("/app").into_response()
        }
        Err(error) => back(&format!("Not marked: {error}.")),
    }
}

/// The signed-in owner's shop (only ever their own).
pub(crate) async fn shop_of(state: &AppState, owner: &OwnerSession) -> Option<TenantRecord> {
    match state.tenants.get_tenant(&owner.tenant).await {
        Ok(shop) => shop,
        Err(error) => {
            tracing::error!(%error, "could not read the owner's shop");
            None
        }
    }
}

pub(crate) fn unavailable() -> Response {
    notice(
        StatusCode::SERVICE_UNAVAILABLE,
        "Unavailable",
        "Sorry, this page is unavailable right now. Try again in a minute.",
    )
}
