//! `cargo bench -p voice-gateway --bench booking` (or `just bench-booking`):
//! availability on a busy tenant, and many concurrent commits for one slot,
//! on SQLite and (with `FRONTDESK_TEST_POSTGRES_URL`) PostgreSQL. Prints a
//! table and rewrites the booking section of docs/benchmarks.md.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use frontdesk_calendar::{BookingError, BookingRequest, BookingService, BookingSource, Customer};
use frontdesk_core::{Clock, E164, ManualClock};
use frontdesk_runtime::{Backend, DatabaseUrl, open_backend};
use frontdesk_tenant::{ProfileDocument, TenantProfile};
use secrecy::SecretString;

const STAFF: usize = 5;
const SERVICES: usize = 10;
const BOOKINGS: usize = 2_000;
const RACERS: usize = 50;

fn busy_shop() -> TenantProfile {
    let mut toml = String::from(
        r#"slug = "busy-shop"
name = "Busy Shop"
timezone = "America/New_York"
owner_phone = "+15555550999"
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
max_days_ahead = 60
"#,
    );
    for service in 0..SERVICES {
        toml.push_str(&format!(
            "[[services]]\nname = \"Service {service}\"\nduration_minutes = {}\nprice_cents = 3000\n",
            30 + 15 * (service % 3)
        ));
    }
    for staff in 0..STAFF {
        toml.push_str(&format!("[[staff]]\nname = \"Staff {staff}\"\n"));
    }
    let document = ProfileDocument::from_toml(&toml).unwrap_or_else(|e| panic!("{e}"));
    TenantProfile::parse(&document).unwrap_or_else(|e| panic!("{e}"))
}

fn customer(n: usize) -> Customer {
    Customer {
        name: format!("Customer {n}"),
        phone: E164::parse(&format!("+1555{:07}", n)).unwrap_or_else(|e| panic!("{e}")),
    }
}

struct Row {
    backend: &'static str,
    next_20_ms: f64,
    full_day_ms: f64,
    race_ms: f64,
    winners: usize,
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

async fn run(name: &'static str, backend: Backend) -> Row {
    let profile = busy_shop();
    backend.tenants.put_tenant(&profile).await.unwrap_or_else(|e| panic!("{e}"));
    let start = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).single().unwrap_or_default();
    let clock = Arc::new(ManualClock::new(start));
    let service = Arc::new(BookingService::new(backend.bookings.clone(), clock.clone() as Arc<dyn Clock>));

    // Fill 60 days with 2,000 bookings, about 34 a day, spread over the day,
    // the staff and the services.
    let mut made = 0;
    let today = start.with_timezone(&profile.timezone()).date_naive();
    for day in 0..60_usize {
        // A short day (Sunday) hands what it could not hold to the next.
        let quota = (BOOKINGS * (day + 1)) / 60 - made;
        let date = today + Duration::days(day as i64 + 1);
        let slots = service.availability(&profile, "Service 0", None, date, 1).await.unwrap_or_default();
        let (mut booked_today, mut index) = (0, 0);
        while booked_today < quota && index < slots.len() * 8 {
            let slot = &slots[(index * 7) % slots.len()];
            index += 1;
            let request = BookingRequest {
                service: format!("Service {}", made % SERVICES),
                start: slot.start,
                staff: None,
                customer: customer(made),
                source: BookingSource::Admin,
                idempotency_key: None,
                hold: None,
                notify_customer: false,
            };
            if service.book(&profile, request).await.is_ok() {
                made += 1;
                booked_today += 1;
            }
        }
    }
    assert_eq!(made, BOOKINGS, "could not place the bookings (placed {made})");

    let next_20: Vec<f64> = futures_free_loop(10, || async {
        let began = Instant::now();
        let slots = service.next_slots(&profile, "Service 1", None, 20).await.unwrap_or_default();
        assert_eq!(slots.len(), 20);
        began.elapsed().as_secs_f64() * 1e3
    })
    .await;
    let busy_day = today + Duration::days(10); // a day with its share of bookings
    let full_day: Vec<f64> = futures_free_loop(10, || async {
        let began = Instant::now();
        let slots = service.availability(&profile, "Service 2", None, busy_day, 1).await.unwrap_or_default();
        std::hint::black_box(slots);
        began.elapsed().as_secs_f64() * 1e3
    })
    .await;

    // 50 callers try to book the same free slot with the same staff member at once.
    let free = service.next_slots(&profile, "Service 0", Some("Staff 0"), 1).await.unwrap_or_default();
    let target = free.into_iter().next().unwrap_or_else(|| panic!("no free slot for the race"));
    let began = Instant::now();
    let mut racers = Vec::new();
    for n in 0..RACERS {
        let service = service.clone();
        let profile = profile.clone();
        let start = target.start;
        racers.push(tokio::spawn(async move {
            let request = BookingRequest {
                service: "Service 0".to_owned(),
                start,
                staff: Some("Staff 0".to_owned()),
                customer: customer(100_000 + n),
                source: BookingSource::Phone,
                idempotency_key: None,
                hold: None,
                notify_customer: false,
            };
            service.book(&profile, request).await
        }));
    }
    let mut winners = 0;
    for racer in racers {
        match racer.await.unwrap_or_else(|e| panic!("{e}")) {
            Ok(_) => winners += 1,
            Err(BookingError::Conflict { .. }) => {}
            Err(other) => panic!("unexpected: {other}"),
        }
    }
    let race_ms = began.elapsed().as_secs_f64() * 1e3;
    assert_eq!(winners, 1, "exactly one commit may win");
    Row { backend: name, next_20_ms: median(next_20), full_day_ms: median(full_day), race_ms, winners }
}

async fn futures_free_loop<F, Fut>(times: usize, mut f: F) -> Vec<f64>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = f64>,
{
    let mut samples = Vec::with_capacity(times);
    for _ in 0..times {
        samples.push(f().await);
    }
    samples
}

fn render(rows: &[Row]) -> String {
    let mut out = format!(
        "Measured {} on this machine ({} cores), release build, `cargo bench -p voice-gateway --bench booking`.\n\
         A tenant with {STAFF} staff, {SERVICES} services and {BOOKINGS} bookings over 60 days. Times are medians of 10 \
         runs through `BookingService` (store reads plus the availability computation). The race is {RACERS} tasks \
         committing the same slot with the same staff member at once.\n\n",
        Utc::now().format("%Y-%m-%d"),
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
    );
    out.push_str("| backend | next 20 free slots | one full day | 50 concurrent commits, one slot | winners |\n");
    out.push_str("|---|---:|---:|---:|---:|\n");
    for row in rows {
        out.push_str(&format!(
            "| {} | {:.2} ms | {:.2} ms | {:.1} ms | {} |\n",
            row.backend, row.next_20_ms, row.full_day_ms, row.race_ms, row.winners
        ));
    }
    out
}

fn write_report(section: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/benchmarks.md");
    let (begin, end) = ("<!-- bench:booking:begin -->", "<!-- bench:booking:end -->");
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    let replacement = format!("{begin}\n{section}{end}");
    let updated = match (current.find(begin), current.find(end)) {
        (Some(start), Some(stop)) if stop > start => {
            format!("{}{replacement}{}", &current[..start], &current[stop + end.len()..])
        }
        _ => format!("{current}\n## Booking\n\n{replacement}\n"),
    };
    match std::fs::write(&path, updated) {
        Ok(()) => println!("wrote {}", path.display()),
        Err(error) => eprintln!("could not write {}: {error}", path.display()),
    }
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let clock: Arc<dyn Clock> = Arc::new(frontdesk_core::SystemClock);
    let sqlite_url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let mut rows = vec![
        run(
            "SQLite",
            open_backend(&DatabaseUrl::Sqlite(sqlite_url), None, clock.clone())
                .await
                .unwrap_or_else(|e| panic!("{e:#}")),
        )
        .await,
    ];
    match std::env::var("FRONTDESK_TEST_POSTGRES_URL") {
        Ok(server) => {
            let name = format!("frontdesk_test_bench_{}", uuid::Uuid::new_v4().simple());
            let url = frontdesk_store_postgres::PostgresStore::create_database(&server, &name)
                .await
                .unwrap_or_else(|e| panic!("{e:#}"));
            let backend = open_backend(&DatabaseUrl::Postgres(SecretString::from(url)), None, clock)
                .await
                .unwrap_or_else(|e| panic!("{e:#}"));
            rows.push(run("PostgreSQL", backend).await);
        }
        Err(_) => println!("skipping PostgreSQL: FRONTDESK_TEST_POSTGRES_URL is not set"),
    }
    let section = render(&rows);
    println!("\n{section}");
    write_report(&section);
}
