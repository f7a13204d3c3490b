//! `adminctl bookings …`, `adminctl availability …` and `adminctl attendance …`

use clap::Subcommand;
use serde_json::{Value, json};

use crate::client::{AdminClient, Failure, encode};
use crate::output;

#[derive(Debug, Subcommand)]
pub enum BookingsCommand {
    /// Bookings of a tenant (default: the next 31 days).
    List {
        slug: String,
        /// First day (YYYY-MM-DD, the shop's zone) or an RFC 3339 time.
        #[arg(long)]
        from: Option<String>,
        /// End, excluded: YYYY-MM-DD (that day is not listed) or an RFC 3339 time.
        #[arg(long)]
        to: Option<String>,
        /// confirmed, cancelled, completed or no_show.
        #[arg(long)]
        status: Option<String>,
    },
    /// Book an appointment.
    Create {
        slug: String,
        #[arg(long)]
        service: String,
        /// Local time in the shop's zone (2026-11-27T14:00) or RFC 3339.
        #[arg(long)]
        start: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        phone: String,
        #[arg(long)]
        staff: Option<String>,
        /// Makes retrying this command safe.
        #[arg(long)]
        idempotency_key: Option<String>,
    },
    /// Cancel a booking (by id).
    Cancel {
        slug: String,
        id: String,
        /// Cancel even inside the shop's cancellation notice window.
        #[arg(long = "override")]
        override_policy: bool,
    },
    /// Move a booking to another time.
    Reschedule {
        slug: String,
        id: String,
        #[arg(long)]
        start: String,
        #[arg(long)]
        staff: Option<String>,
    },
    /// Mark whether the customer came (from the booking's start on; a mark
    /// can be changed later).
    Attendance {
        slug: String,
        /// The booking's id or confirmation code.
        id: String,
        #[arg(value_parser = ["completed", "no_show"])]
        status: String,
    },
}

pub async fn run(command: BookingsCommand, client: &AdminClient, json_output: bool) -> Result<(), Failure> {
    let (body, summary) = match command {
        BookingsCommand::List { slug, from, to, status } => {
            let mut query = Vec::new();
            for (key, value) in [("from", from), ("to", to), ("status", status)] {
                if let Some(value) = value {
                    query.push(format!("{key}={value}"));
                }
            }
            let body = client.get(&format!("/admin/tenants/{slug}/bookings?{}", query.join("&"))).await?;
            if !json_output {
                output::print_bookings(&body["bookings"]);
                return Ok(());
            }
            (body, String::new())
        }
        BookingsCommand::Create { slug, service, start, name, phone, staff, idempotency_key } => {
            let request = json!({
                "service": service, "start": start, "customer_name": name, "customer_phone": phone,
                "staff": staff, "idempotency_key": idempotency_key,
            });
            let body = client.post(&format!("/admin/tenants/{slug}/bookings"), Some(&request)).await?;
            let summary = describe("booked", &body);
            (body, summary)
        }
        BookingsCommand::Cancel { slug, id, override_policy } => {
            let request = json!({"override_policy": override_policy});
            let body = client.post(&format!("/admin/tenants/{slug}/bookings/{id}/cancel"), Some(&request)).await?;
            let summary = describe("cancelled", &body);
            (body, summary)
        }
        BookingsCommand::Reschedule { slug, id, start, staff } => {
            let request = json!({"start": start, "staff": staff});
            let body = client.post(&format!("/admin/tenants/{slug}/bookings/{id}/reschedule"), Some(&request)).await?;
            let summary = describe("moved to", &body);
            (body, summary)
        }
        BookingsCommand::Attendance { slug, id, status } => {
            let request = json!({"status": status});
            let path = format!("/admin/tenants/{slug}/bookings/{}/attendance", encode(&id));
            let body = client.post(&path, Some(&request)).await?;
            let marked = if body["attendance"] == "no_show" { "no-show" } else { "completed" };
            let summary = describe(&format!("marked {marked}:"), &body);
            (body, summary)
        }
    };
    if json_output {
        output::print_json(&body)
    } else {
        println!("{summary}")
    }
    Ok(())
}

fn describe(verb: &str, booking: &Value) -> String {
    format!(
        "{verb} {} at {} with {} for {} (code {}, id {})",
        booking["service"].as_str().unwrap_or("?"),
        booking["start"].as_str().unwrap_or("?"),
        booking["staff"].as_str().unwrap_or("the shop"),
        booking["customer_name"].as_str().unwrap_or("?"),
        booking["code"].as_str().unwrap_or("?"),
        booking["id"].as_str().unwrap_or("?"),
    )
}

/// `adminctl availability SLUG SERVICE DATE [--days N] [--staff NAME]`
pub async fn availability(
    client: &AdminClient,
    slug: &str,
    service: &str,
    date: &str,
    days: u32,
    staff: Option<&str>,
    json_output: bool,
) -> Result<(), Failure> {
    let mut path = format!("/admin/tenants/{slug}/availability?service={}&date={date}&days={days}", encode(service));
    if let Some(staff) = staff {
        path.push_str(&format!("&staff={}", encode(staff)));
    }
    let body = client.get(&path).await?;
    if json_output {
        output::print_json(&body);
    } else {
        output::print_slots(&body["slots"]);
    }
    Ok(())
}

/// `adminctl attendance SLUG [--from DATE] [--to DATE]`
pub async fn attendance(
    client: &AdminClient,
    slug: &str,
    from: Option<&str>,
    to: Option<&str>,
    json_output: bool,
) -> Result<(), Failure> {
    let mut query = Vec::new();
    for (key, value) in [("from", from), ("to", to)] {
        if let Some(value) = value {
            query.push(format!("{key}={}", encode(value)));
        }
    }
    let body = client.get(&format!("/admin/tenants/{slug}/attendance?{}", query.join("&"))).await?;
    if json_output {
        output::print_json(&body);
    } else {
        output::print_attendance(&body);
    }
    Ok(())
}
