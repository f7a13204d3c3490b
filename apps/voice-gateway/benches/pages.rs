//! `cargo bench -p voice-gateway --bench pages` (or `just bench-pages`): the
//! owner's and operator's web pages over a busy platform, rendered in
//! process through the real router (tower's `oneshot`, as the integration
//! tests do), signed in as a browser is.
//!
//! The data is written straight through the store ports (no webhooks): one
//! shop with 10,000 calls over the last 60 days (transcripts, outcomes,
//! metered minutes and model tokens, unanswered questions) and 5,000
//! bookings over the 60 days before and after today (completed, no-shows,
//! cancelled), and 1,000 more shops with plans and some calls this month
//! for the operator's pages. Each page is then rendered N times one after
//! another; the bench prints p50/p95/p99 latency and the process's CPU time
//! per render (user + system, every thread, from `/proc/self/stat`). On
//! SQLite, and on PostgreSQL too when `FRONTDESK_TEST_POSTGRES_URL` is set
//! (in a database of its own, dropped at the end; `VACUUM ANALYZE` once
//! after seeding, as autovacuum would).
//! Figures are printed, copied into docs/benchmarks.md by hand; never
//! asserted.
//!
//! `FRONTDESK_BENCH_RENDERS` (default 100) renders per page, fewer when a
//! page has used up `FRONTDESK_BENCH_PAGE_SECONDS` (default 20) after at
//! least 10; `FRONTDESK_BENCH_ONLY` renders only the pages whose path holds
//! it; `FRONTDESK_BENCH_BACKENDS` (default `sqlite,postgres`) picks the
//! stores; `RUST_LOG` turns the gateway's log on.

use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use frontdesk_audit::NewAuditEntry;
use frontdesk_auth::{Scope, TokenSecret};
use frontdesk_billing::{BillingPeriod, NewUsage, UsageKind};
use frontdesk_calendar::{
    Attendance, BookingId, BookingService, BookingSource, ConfirmationCode, Customer, NewBooking,
};
use frontdesk_core::{Clock, E164, ManualClock, Plan, TenantId};
use frontdesk_routing::{
    CallSid, CallState, CallStatus, IncomingCall, Outcome, Speaker, Turn, TurnKey, TurnNumber, TurnUpdate,
};
use frontdesk_runtime::{Backend, Billing, DatabaseUrl, open_backend};
use frontdesk_tenant::{ProfileDocument, TenantProfile};
use secrecy::SecretString;
use tokio::task::JoinSet;
use tower::ServiceExt;
use voice_gateway::{AppState, HttpLimits, router};

const CALLS: usize = 10_000;
const BOOKINGS: usize = 5_000;
const SHOPS: usize = 1_000;
/// Calls each of the other shops had this month.
const CALLS_PER_SHOP: usize = 6;
const CALL_DAYS: i64 = 60;
const BOOKING_DAYS_BACK: i64 = 60;
const BOOKING_DAYS_AHEAD: i64 = 60;
const STAFF: usize = 5;
const SERVICES: usize = 10;
/// Writes in flight at once while seeding.
const SEED_CONCURRENCY: usize = 16;

const BUSY: &str = "busy-shop";
const SECRET: &[u8] = b"bench-admin-secret-that-is-long-enough-for-hs256";
const OPERATOR_EMAIL: &str = "ops@frontdesk.example";
const OPERATOR_PASSWORD: &str = "bench operator password";

/// Thursday 2026-12-10 20:00 UTC, 15:00 in New York.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 10, 20, 0, 0).single().unwrap_or_else(|| panic!("bad time"))
}

fn zone() -> Tz {
    chrono_tz::America::New_York
}

fn tenant(slug: &str) -> TenantId {
    TenantId::parse(slug).unwrap_or_else(|e| panic!("{e}"))
}

fn phone(n: usize) -> E164 {
    E164::parse(&format!("+1555{:07}", n % 10_000_000)).unwrap_or_else(|e| panic!("{e}"))
}

fn local(date: NaiveDate, minutes: u32) -> DateTime<Utc> {
    let time = NaiveTime::from_hms_opt(minutes / 60, minutes % 60, 0).unwrap_or_else(|| panic!("bad minute {minutes}"));
    date.and_time(time).and_local_timezone(zone()).earliest().unwrap_or_else(|| panic!("no {date} {time}")).to_utc()
}

fn busy_shop() -> TenantProfile {
    let mut toml = format!(
        r#"slug = "{BUSY}"
name = "Busy Shop"
timezone = "America/New_York"
currency = "USD"
phone_numbers = ["+15555550900"]
owner_phone = "+15555550999"
greeting = "Thanks for calling Busy Shop! How can I help?"
[hours]
mon = ["08:00-20:00"]
tue = ["08:00-20:00"]
wed = ["08:00-20:00"]
thu = ["08:00-20:00"]
fri = ["08:00-20:00"]
sat = ["08:00-20:00"]
sun = ["10:00-16:00"]
[booking]
min_notice_minutes = 0
buffer_minutes = 5
slot_interval_minutes = 15
max_days_ahead = {BOOKING_DAYS_AHEAD}
cancellation_notice_hours = 4
"#
    );
    for service in 0..SERVICES {
        toml.push_str(&format!(
            "[[services]]\nname = \"Service {service}\"\nduration_minutes = {}\nprice_cents = {}\n",
            30 + 15 * (service % 3),
            3000 + 500 * service
        ));
    }
    for staff in 0..STAFF {
        toml.push_str(&format!("[[staff]]\nname = \"Staff {staff}\"\n"));
    }
    for faq in 0..5 {
        toml.push_str(&format!("[[faqs]]\nquestion = \"Question {faq}?\"\nanswer = \"Answer {faq}.\"\n"));
    }
    parse_profile(&toml)
}

fn small_shop(n: usize) -> TenantProfile {
    let zones = ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"];
    let toml = format!(
        r#"slug = "shop-{n:04}"
name = "Shop {n:04}"
timezone = "{}"
currency = "USD"
phone_numbers = ["+1556{:07}"]
owner_phone = "+1557{:07}"
[hours]
mon = ["09:00-17:00"]
tue = ["09:00-17:00"]
wed = ["09:00-17:00"]
thu = ["09:00-17:00"]
fri = ["09:00-17:00"]
[[services]]
name = "Cut"
duration_minutes = 30
price_cents = 2500
"#,
        zones[n % zones.len()],
        n,
        n
    );
    parse_profile(&toml)
}

fn parse_profile(toml: &str) -> TenantProfile {
    let document = ProfileDocument::from_toml(toml).unwrap_or_else(|e| panic!("{e}"));
    TenantProfile::parse(&document).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `make(i)` for every `i` in `0..count`, `SEED_CONCURRENCY` at a time.
async fn in_parallel<F, Fut>(count: usize, make: F)
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let mut set = JoinSet::new();
    for i in 0..count {
        if set.len() >= SEED_CONCURRENCY
            && let Some(done) = set.join_next().await
        {
            done.unwrap_or_else(|e| panic!("{e}"));
        }
        set.spawn(make(i));
    }
    while let Some(done) = set.join_next().await {
        done.unwrap_or_else(|e| panic!("{e}"));
    }
}

struct Seeded {
    /// A booked call's id, for `/app/calls/{sid}`.
    sample_call: String,
    /// A name to search bookings by.
    sample_customer: String,
}

/// The busy shop's bookings: about 42 a day over the 120 days around today,
/// each staff member's day in 75-minute slots from 08:00, so none overlap.
/// Returns the ids of those the receptionist made (for the calls to name).
async fn seed_bookings(backend: &Backend, profile: &TenantProfile) -> Vec<BookingId> {
    let today = now().with_timezone(&zone()).date_naive();
    let first = today - Duration::days(BOOKING_DAYS_BACK);
    let per_day = BOOKINGS.div_ceil((BOOKING_DAYS_BACK + BOOKING_DAYS_AHEAD) as usize);
    let services: Vec<(String, i64)> =
        profile.services().iter().map(|s| (s.name().to_owned(), i64::from(s.duration_minutes()))).collect();
    let services = Arc::new(services);
    let made = Arc::new(std::sync::Mutex::new(Vec::new()));
    let started = Instant::now();
    in_parallel(BOOKINGS, |i| {
        let store = backend.bookings.clone();
        let services = services.clone();
        let made = made.clone();
        async move {
            let tenant = tenant(BUSY);
            let (day, slot) = (i / per_day, i % per_day);
            let (staff, position) = (slot % STAFF, slot / STAFF);
            let date = first + Duration::days(day as i64);
            let start = local(date, 8 * 60 + 75 * position as u32);
            let (service, minutes) = &services[i % services.len()];
            let end = start + Duration::minutes(*minutes);
            let phone_made = i % 2 == 0;
            let booking = NewBooking {
                id: BookingId::new(),
                code: ConfirmationCode::generate(),
                service: service.clone(),
                staff: Some(format!("Staff {staff}")),
                start,
                end,
                occupied_until: end + Duration::minutes(5),
                customer: Customer { name: format!("Customer {}", i % 2_000), phone: phone(i % 2_000) },
                source: if phone_made { BookingSource::Phone } else { BookingSource::Admin },
                idempotency_key: None,
                hold: None,
            };
            let created = (start - Duration::days(3 + (i % 10) as i64)).min(now() - Duration::hours(1));
            let booked = store.commit_booking(&tenant, &booking, Vec::new(), created).await;
            let booked = booked.unwrap_or_else(|e| panic!("booking {i}: {e}"));
            // Past ones: mostly completed, some no-shows, some cancelled,
            // some left unmarked; a tenth of the future ones cancelled.
            let after = |minutes: i64| start + Duration::minutes(minutes);
            if start < now() {
                let changed = match i % 10 {
                    0 => Some(store.cancel_booking(&tenant, booked.id, Vec::new(), start - Duration::hours(2)).await),
                    1 => Some(store.mark_attendance(&tenant, booked.id, Attendance::NoShow, after(60)).await),
                    2 => None,
                    _ => Some(store.mark_attendance(&tenant, booked.id, Attendance::Completed, after(60)).await),
                };
                if let Some(changed) = changed {
                    changed.unwrap_or_else(|e| panic!("booking {i}: {e}"));
                }
            } else if i % 10 == 0 {
                store
                    .cancel_booking(&tenant, booked.id, Vec::new(), now() - Duration::hours(1))
                    .await
                    .unwrap_or_else(|e| panic!("booking {i}: {e}"));
            }
            if phone_made && start < now() {
                made.lock().unwrap_or_else(|e| panic!("{e}")).push(booked.id);
            }
        }
    })
    .await;
    println!("  {BOOKINGS} bookings in {:.1} s", started.elapsed().as_secs_f64());
    made.lock().unwrap_or_else(|e| panic!("{e}")).clone()
}

/// What call `i` of a shop was: its outcome and whether a model was asked.
fn outcome_of(i: usize) -> Outcome {
    match i % 20 {
        0..=4 => Outcome::Booked,
        5..=11 => Outcome::Answered,
        12 | 13 => Outcome::Transferred,
        14 => Outcome::MessageTaken,
        15..=17 => Outcome::Abandoned,
        _ => Outcome::AbandonedBooking,
    }
}

struct CallPlan {
    tenant: TenantId,
    sid: CallSid,
    caller: Option<E164>,
    called: E164,
    started_at: DateTime<Utc>,
    /// `None`: still in progress.
    seconds: Option<u32>,
    outcome: Outcome,
    booking: Option<BookingId>,
    question: Option<String>,
    model_tokens: Option<(i64, i64)>,
    zone: Tz,
}

/// One call through the call store, and its usage through the usage store,
/// as the call path leaves them.
async fn write_call(backend: &Backend, call: CallPlan) {
    let incoming = IncomingCall { call_sid: call.sid.clone(), caller: call.caller.clone(), called: call.called };
    let state = CallState::default().to_json();
    backend
        .calls
        .open_call(&call.tenant, &incoming, &state, call.started_at)
        .await
        .unwrap_or_else(|e| panic!("open {}: {e}", call.sid.as_str()));
    let at = |seconds: i64| call.started_at + Duration::seconds(seconds);
    let mut turns = vec![
        Turn::said(at(0), Speaker::Agent, "Thanks for calling! How can I help?"),
        Turn::said(at(6), Speaker::Caller, "Hi, I'd like to book a haircut on Friday afternoon if you have anything."),
        Turn::said(at(9), Speaker::Agent, "I have Friday at 2:30 PM or 3:45 PM with Staff 1. Which would you like?"),
        Turn::said(at(15), Speaker::Caller, "2:30 works, my name is Sam Jones."),
        Turn::said(at(18), Speaker::Agent, "You're booked for Friday at 2:30 PM. Anything else?"),
    ];
    if call.question.is_some() {
        turns.push(Turn::said(at(24), Speaker::Caller, "Do you have parking near the shop?"));
        let mut answer = Turn::said(at(27), Speaker::Agent, "I'm not sure, I'll ask the owner to call you back.");
        answer.sources = vec!["faq:2".to_owned()];
        turns.push(answer);
    }
    let update = TurnUpdate {
        state: state.clone(),
        turns,
        outcome: None,
        booking_id: call.booking,
        recording_url: None,
        question: call.question.clone(),
        nearest: None,
        reply: "<Response/>".to_owned(),
    };
    let first = TurnKey::Caller(TurnNumber::parse("1").unwrap_or_else(|e| panic!("{e}")));
    backend
        .calls
        .save_turn(&call.tenant, &call.sid, &first, &update, at(15))
        .await
        .unwrap_or_else(|e| panic!("turn {}: {e}", call.sid.as_str()));
    let Some(seconds) = call.seconds else { return };
    let ended = at(i64::from(seconds));
    backend
        .calls
        .record_status(&call.tenant, &call.sid, CallStatus::Completed, 1, Some(seconds), call.outcome, ended)
        .await
        .unwrap_or_else(|e| panic!("status {}: {e}", call.sid.as_str()));
    let period = BillingPeriod::containing(ended, call.zone);
    let minutes = frontdesk_billing::billable_minutes(i64::from(seconds)).unwrap_or(1);
    let usage = NewUsage {
        id: uuid::Uuid::new_v4().to_string(),
        tenant: call.tenant.clone(),
        kind: UsageKind::CallMinutes,
        quantity: minutes,
        key: format!("call:{}", call.sid.as_str()),
        period,
        occurred_at: ended,
        cost_micros: 0,
    };
    backend.usage.record_usage(&usage, &[]).await.unwrap_or_else(|e| panic!("usage: {e}"));
    if let Some((tokens, cost_micros)) = call.model_tokens {
        let usage = NewUsage {
            id: uuid::Uuid::new_v4().to_string(),
            kind: UsageKind::LlmTokens,
            quantity: tokens,
            key: format!("llm:chat:{}:1:0", call.sid.as_str()),
            occurred_at: at(10),
            period: BillingPeriod::containing(at(10), call.zone),
            cost_micros,
            ..usage
        };
        backend.usage.record_usage(&usage, &[]).await.unwrap_or_else(|e| panic!("usage: {e}"));
    }
}

/// The busy shop's 10,000 calls: about 167 a day over the last 60 days,
/// from 07:00 to 22:00 (so some after hours), the last few still going.
async fn seed_busy_calls(backend: &Backend, phone_bookings: &[BookingId]) -> String {
    let today = now().with_timezone(&zone()).date_naive();
    let per_day = CALLS.div_ceil(CALL_DAYS as usize);
    let bookings = Arc::new(phone_bookings.to_vec());
    let started = Instant::now();
    in_parallel(CALLS, |i| {
        let backend = backend.clone();
        let bookings = bookings.clone();
        async move {
            let date = today - Duration::days(CALL_DAYS - 1) + Duration::days((i / per_day) as i64);
            let mut started_at = local(date, 7 * 60 + ((i * 131) % (15 * 60)) as u32);
            if started_at >= now() - Duration::minutes(30) {
                started_at -= Duration::days(1);
            }
            let live = i >= CALLS - 4;
            if live {
                started_at = now() - Duration::minutes(2 + i as i64 % 7);
            }
            let outcome = outcome_of(i);
            let call = CallPlan {
                tenant: tenant(BUSY),
                sid: CallSid::parse(&format!("CAbusy{i:06}")).unwrap_or_else(|e| panic!("{e}")),
                caller: (i % 10 != 3).then(|| phone(i % 2_000)),
                called: phone(900),
                started_at,
                seconds: (!live).then_some(30 + ((i * 53) % 400) as u32),
                outcome,
                booking: (outcome == Outcome::Booked && !bookings.is_empty()).then(|| bookings[i % bookings.len()]),
                question: (i % 33 == 0).then(|| format!("Do you have parking near the shop? ({i})")),
                model_tokens: (i % 10 < 3).then_some((1_500 + (i % 700) as i64, 300 + (i % 400) as i64)),
                zone: zone(),
            };
            write_call(&backend, call).await;
        }
    })
    .await;
    println!("  {CALLS} calls of {BUSY} in {:.1} s", started.elapsed().as_secs_f64());
    // A third of the questions were answered since.
    let questions = backend.calls.questions(&tenant(BUSY)).await.unwrap_or_else(|e| panic!("{e}"));
    for question in questions.iter().step_by(3) {
        backend
            .calls
            .close_question(&tenant(BUSY), question.id, now() - Duration::days(1))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    "CAbusy000100".to_owned()
}

/// 1,000 more shops: each on a plan (some changed plan this month), a few
/// calls this month, a tenth of them with model use; 20 suspended by an
/// operator; an audit entry for each.
async fn seed_shops(backend: &Backend, billing: &Billing) {
    let started = Instant::now();
    let plans = [Plan::Starter, Plan::Core, Plan::Pro, Plan::Enterprise];
    let flags = billing.flags.clone();
    in_parallel(SHOPS, |n| {
        let backend = backend.clone();
        let flags = flags.clone();
        async move {
            let profile = small_shop(n);
            let tenant = profile.slug().clone();
            backend.tenants.put_tenant(&profile).await.unwrap_or_else(|e| panic!("{e}"));
            let joined = now() - Duration::days(40 + (n % 300) as i64);
            let plan = plans[n % plans.len()];
            flags.set_plan(&tenant, plan, joined, &[]).await.unwrap_or_else(|e| panic!("{e}"));
            if n % 10 == 0 {
                let upgraded = plans[(n / 10 + 1) % plans.len()];
                flags
                    .set_plan(&tenant, upgraded, now() - Duration::days(3), &[])
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
            }
            let audit = NewAuditEntry::new(
                uuid::Uuid::new_v4().to_string(),
                joined,
                "bench",
                Some(&tenant),
                "tenant.put",
                tenant.as_str(),
                None,
                Some(serde_json::json!({"name": profile.name()})),
            );
            backend.audit.append(&audit).await.unwrap_or_else(|e| panic!("{e}"));
            if n % 50 == 7 {
                backend.billing.set_minute_cap(&tenant, Some(0)).await.unwrap_or_else(|e| panic!("{e}"));
                let audit = NewAuditEntry::new(
                    uuid::Uuid::new_v4().to_string(),
                    now() - Duration::days(2),
                    "ops@frontdesk.example (operator page)",
                    Some(&tenant),
                    "shop.suspend",
                    tenant.as_str(),
                    Some(serde_json::json!({"minutes": null})),
                    Some(serde_json::json!({"minutes": 0})),
                );
                backend.audit.append(&audit).await.unwrap_or_else(|e| panic!("{e}"));
            }
            let shop_zone = profile.timezone();
            for c in 0..CALLS_PER_SHOP {
                let i = n * CALLS_PER_SHOP + c;
                let call = CallPlan {
                    tenant: tenant.clone(),
                    sid: CallSid::parse(&format!("CAshop{i:07}")).unwrap_or_else(|e| panic!("{e}")),
                    caller: Some(phone(5_000 + i)),
                    called: profile.phone_numbers()[0].clone(),
                    // Spread over the month so far (December 1 to 10).
                    started_at: now() - Duration::minutes(30 + ((i * 997) % (9 * 24 * 60)) as i64),
                    seconds: Some(20 + ((i * 71) % 500) as u32),
                    outcome: outcome_of(i),
                    booking: None,
                    question: None,
                    model_tokens: i.is_multiple_of(10).then_some((2_000, 450)),
                    zone: shop_zone,
                };
                write_call(&backend, call).await;
            }
        }
    })
    .await;
    println!("  {SHOPS} shops in {:.1} s", started.elapsed().as_secs_f64());
}

async fn seed(backend: &Backend, billing: &Billing) -> Seeded {
    let profile = busy_shop();
    backend.tenants.put_tenant(&profile).await.unwrap_or_else(|e| panic!("{e}"));
    billing
        .flags
        .set_plan(&tenant(BUSY), Plan::Pro, now() - Duration::days(200), &[])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let phone_bookings = seed_bookings(backend, &profile).await;
    let sample_call = seed_busy_calls(backend, &phone_bookings).await;
    seed_shops(backend, billing).await;
    Seeded { sample_call, sample_customer: "Customer 1234".to_owned() }
}

/// A browser's request with the session cookie; same-origin form posts.
fn request(method: Method, path: &str, cookie: Option<&str>, form: Option<&[(&str, &str)]>) -> Request<Body> {
    let mut request = Request::builder().method(method).uri(path).header("sec-fetch-site", "same-origin");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    let body = match form {
        Some(form) => {
            request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            Body::from(url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form.iter()).finish())
        }
        None => Body::empty(),
    };
    request.body(body).unwrap_or_else(|e| panic!("{e}"))
}

async fn send(app: &Router, request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let response = app.clone().oneshot(request).await.unwrap_or_else(|e| match e {});
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap_or_default();
    (status, headers, bytes.to_vec())
}

fn session_cookie(headers: &axum::http::HeaderMap) -> String {
    let set = headers.get(header::SET_COOKIE).and_then(|v| v.to_str().ok()).unwrap_or_else(|| panic!("no cookie"));
    set.split(';').next().unwrap_or_default().to_owned()
}

async fn admin(app: &Router, path: &str, body: Option<serde_json::Value>) -> serde_json::Value {
    let secret = TokenSecret::new(SECRET);
    let token = secret.mint("bench", &Scope::Admin, Duration::seconds(60), now()).unwrap_or_else(|e| panic!("{e}"));
    let mut request =
        Request::builder().method(Method::POST).uri(path).header(header::AUTHORIZATION, format!("Bearer {token}"));
    let body = match body {
        Some(json) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(json.to_string())
        }
        None => Body::empty(),
    };
    let (status, _, bytes) = send(app, request.body(body).unwrap_or_else(|e| panic!("{e}"))).await;
    assert!(status.is_success(), "{path}: {status} {}", String::from_utf8_lossy(&bytes));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{e}"))
}

/// The owner's session: a sign-in link from the operator API, its button pressed.
async fn owner_cookie(app: &Router) -> String {
    let link = admin(app, &format!("/admin/tenants/{BUSY}/owner-login-link"), None).await;
    let url = link["link"].as_str().unwrap_or_default();
    let token = url.split("token=").nth(1).unwrap_or_else(|| panic!("no token in {url}"));
    let (status, headers, _) =
        send(app, request(Method::POST, "/app/login/link", None, Some(&[("token", token)]))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    session_cookie(&headers)
}

async fn operator_cookie(app: &Router) -> String {
    let body = serde_json::json!({"email": OPERATOR_EMAIL, "password": OPERATOR_PASSWORD});
    admin(app, "/admin/operators", Some(body)).await;
    let form = [("email", OPERATOR_EMAIL), ("password", OPERATOR_PASSWORD)];
    let (status, headers, _) = send(app, request(Method::POST, "/ops/login", None, Some(&form))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    session_cookie(&headers)
}

fn process_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The command name is in parentheses and may hold spaces: count fields after it.
    let after_name = stat.rfind(')').map_or("", |at| &stat[at + 1..]);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime, in USER_HZ ticks (100 a second).
    let ticks: u64 = fields.get(11).and_then(|f| f.parse().ok()).unwrap_or(0)
        + fields.get(12).and_then(|f| f.parse().ok()).unwrap_or(0);
    ticks as f64 / 100.0
}

struct Measured {
    page: String,
    renders: usize,
    p50: f64,
    p95: f64,
    p99: f64,
    max: f64,
    cpu_ms: f64,
    kib: f64,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

async fn measure(app: &Router, cookie: &str, path: &str) -> Measured {
    let renders = env_number("FRONTDESK_BENCH_RENDERS", 100) as usize;
    let budget = StdDuration::from_secs(env_number("FRONTDESK_BENCH_PAGE_SECONDS", 20));
    let mut size = 0;
    for _ in 0..2 {
        let (status, _, body) = send(app, request(Method::GET, path, Some(cookie), None)).await;
        let html = String::from_utf8_lossy(&body);
        assert_eq!(status, StatusCode::OK, "{path}: {html}");
        assert!(!html.contains("unavailable right now") && !html.contains("could not read"), "{path}: {html}");
        size = body.len();
    }
    let mut samples = Vec::with_capacity(renders);
    let cpu_before = process_cpu_seconds();
    let began = Instant::now();
    while samples.len() < renders && (samples.len() < 10 || began.elapsed() < budget) {
        let one = Instant::now();
        let (status, _, body) = send(app, request(Method::GET, path, Some(cookie), None)).await;
        samples.push(one.elapsed().as_secs_f64() * 1e3);
        assert_eq!(status, StatusCode::OK, "{path}");
        std::hint::black_box(body);
    }
    let cpu_ms = (process_cpu_seconds() - cpu_before) * 1e3 / samples.len() as f64;
    samples.sort_by(f64::total_cmp);
    Measured {
        page: path.to_owned(),
        renders: samples.len(),
        p50: percentile(&samples, 50.0),
        p95: percentile(&samples, 95.0),
        p99: percentile(&samples, 99.0),
        max: samples.last().copied().unwrap_or_default(),
        cpu_ms,
        kib: size as f64 / 1024.0,
    }
}

/// What autovacuum does to a live PostgreSQL database after a bulk load
/// (statistics, visibility map, dead row versions gone). The test server
/// runs with autovacuum off, so the bench does it once after seeding.
async fn vacuum(url: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap_or_else(|e| panic!("{e}"));
    sqlx::query("VACUUM ANALYZE").execute(&mut conn).await.unwrap_or_else(|e| panic!("{e}"));
}

/// The bench's own database, once measured (its connections may still be
/// closing).
async fn drop_database(server: &str, name: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(server).await.unwrap_or_else(|e| panic!("{e}"));
    let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    sqlx::query(sqlx::AssertSqlSafe(drop)).execute(&mut conn).await.unwrap_or_else(|e| panic!("{e}"));
}

async fn run(name: &str, backend: Backend, postgres_url: Option<&str>) -> Vec<Measured> {
    println!("{name}: seeding");
    let clock = Arc::new(ManualClock::new(now()));
    let cache = Arc::new(frontdesk_flags::LocalFlagCache::new(clock.clone()));
    let billing = Billing::new(
        &backend,
        cache,
        None,
        StdDuration::from_secs(7 * 86_400),
        frontdesk_billing::PriceTable::standard(),
    );
    let seeded = seed(&backend, &billing).await;
    if let Some(url) = postgres_url {
        vacuum(url).await;
    }
    let bookings = Arc::new(BookingService::new(backend.bookings.clone(), clock.clone() as Arc<dyn Clock>));
    let webhook = frontdesk_stripe::WebhookVerifier::new("whsec_bench").unwrap_or_else(|e| panic!("{e}"));
    let state = AppState::new(&backend, &billing, bookings, clock, TokenSecret::new(SECRET), webhook, None);
    let limits = HttpLimits { request_timeout: StdDuration::from_secs(120), body_limit_bytes: 64 * 1024 };
    let app = router(state, limits);
    let owner = owner_cookie(&app).await;
    let operator = operator_cookie(&app).await;

    let owner_pages = [
        "/app".to_owned(),
        "/app/insights?period=today".to_owned(),
        "/app/insights?period=7d".to_owned(),
        "/app/insights?period=30d".to_owned(),
        "/app/insights?period=month".to_owned(),
        "/app/calls?days=1".to_owned(),
        "/app/calls?days=7".to_owned(),
        "/app/calls?days=30".to_owned(),
        format!("/app/calls/{}", seeded.sample_call),
        "/app/bookings".to_owned(),
        format!("/app/bookings?q={}", seeded.sample_customer.replace(' ', "+")),
        "/app/questions".to_owned(),
        "/app/settings".to_owned(),
        "/app/plan".to_owned(),
    ];
    let operator_pages =
        ["/ops", "/ops?period=today", "/ops?period=30d", "/ops/shops", "/ops/calls", "/ops/alerts", "/ops/audit"];
    let only = std::env::var("FRONTDESK_BENCH_ONLY").unwrap_or_default();
    let mut measured = Vec::new();
    for (cookie, path) in owner_pages
        .iter()
        .map(|path| (&owner, path.as_str()))
        .chain(operator_pages.iter().map(|path| (&operator, *path)))
        .filter(|(_, path)| only.is_empty() || path.contains(only.as_str()))
    {
        let row = measure(&app, cookie, path).await;
        println!(
            "  {:<28} {:>4} renders  p50 {:>8.2} ms  p95 {:>8.2} ms  p99 {:>8.2} ms  CPU {:>8.2} ms  {:>6.0} KiB",
            row.page, row.renders, row.p50, row.p95, row.p99, row.cpu_ms, row.kib
        );
        measured.push(row);
    }
    measured
}

fn table(name: &str, rows: &[Measured]) -> String {
    let mut out = format!("\n**{name}**\n\n| page | renders | p50 | p95 | p99 | max | CPU per render | size |\n");
    out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for row in rows {
        let p99 = if row.p99 < 50.0 { format!("{:.2} ms", row.p99) } else { format!("**{:.2} ms**", row.p99) };
        out.push_str(&format!(
            "| `{}` | {} | {:.2} ms | {:.2} ms | {p99} | {:.2} ms | {:.2} ms | {:.0} KiB |\n",
            row.page, row.renders, row.p50, row.p95, row.max, row.cpu_ms, row.kib
        ));
    }
    out
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap_or_else(|e| panic!("runtime: {e}"));
    // The gateway's own log (a page that fails says why) only when asked:
    // logging every request would be measured too.
    if std::env::var_os("RUST_LOG").is_some() {
        frontdesk_runtime::telemetry::init_telemetry(frontdesk_runtime::LogFormat::Text);
    }
    let backends = std::env::var("FRONTDESK_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".to_owned());
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(now()));
        let mut report = String::new();
        if backends.contains("sqlite") {
            let sqlite_url = format!("sqlite://{}", dir.path().join("pages.db").display());
            let backend = open_backend(&DatabaseUrl::Sqlite(sqlite_url), None, clock.clone())
                .await
                .unwrap_or_else(|e| panic!("{e:#}"));
            report.push_str(&table("SQLite", &run("SQLite", backend, None).await));
        }
        match std::env::var("FRONTDESK_TEST_POSTGRES_URL").ok().filter(|_| backends.contains("postgres")) {
            Some(server) => {
                let name = format!("frontdesk_test_pages_{}", uuid::Uuid::new_v4().simple());
                let url = frontdesk_store_postgres::PostgresStore::create_database(&server, &name)
                    .await
                    .unwrap_or_else(|e| panic!("{e:#}"));
                let backend = open_backend(&DatabaseUrl::Postgres(SecretString::from(url.clone())), None, clock)
                    .await
                    .unwrap_or_else(|e| panic!("{e:#}"));
                report.push_str(&table("PostgreSQL", &run("PostgreSQL", backend, Some(&url)).await));
                drop_database(&server, &name).await;
            }
            None => println!("skipping PostgreSQL: FRONTDESK_TEST_POSTGRES_URL is not set (or not asked for)"),
        }
        println!(
            "\nMeasured {} on this machine ({} cores), `cargo bench -p voice-gateway --bench pages`: one shop with \
             {CALLS} calls over {CALL_DAYS} days and {BOOKINGS} bookings, and {SHOPS} more shops with \
             {CALLS_PER_SHOP} calls each this month. Bold: p99 at or above 50 ms.\n{report}",
            Utc::now().format("%Y-%m-%d"),
            std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        );
    });
}
