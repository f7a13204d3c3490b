//! `adminctl set-plan | set-flag | show-flags | set-cap | usage | invoice | audit`

use clap::Subcommand;
use serde_json::{Value, json};

use crate::client::{AdminClient, Failure, encode};
use crate::output;

#[derive(Debug, Subcommand)]
pub enum InvoiceCommand {
    /// The invoice as it stands for a period (kept as its draft).
    Preview {
        slug: String,
        /// YYYY-MM; default: this month in the shop's time zone.
        #[arg(long)]
        period: Option<String>,
    },
    /// Stored invoices, newest first.
    List { slug: String },
    /// Finalize a finished period's invoice (operator only).
    Finalize { slug: String, period: String },
}

/// `on`/`off`/`default` (removes the override), as the API's `true`/`false`/`null`.
pub fn parse_flag_value(raw: &str) -> Result<Value, Failure> {
    match raw.to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" | "1" => Ok(json!(true)),
        "off" | "false" | "no" | "0" => Ok(json!(false)),
        "default" | "inherit" | "unset" | "null" => Ok(Value::Null),
        _ => Err(Failure::Usage(format!("error: {raw:?} is not on, off or default"))),
    }
}

pub async fn set_plan(client: &AdminClient, slug: &str, plan: &str, json_output: bool) -> Result<(), Failure> {
    let (_, body) = client.put(&format!("/admin/tenants/{}/plan", encode(slug)), &json!({"plan": plan})).await?;
    if json_output {
        output::print_json(&body);
    } else {
        println!("tenant {slug} is on plan {}", body["plan"].as_str().unwrap_or(plan));
        output::print_flags(&body);
    }
    Ok(())
}

pub async fn set_flag(
    client: &AdminClient,
    slug: &str,
    flag: &str,
    value: &str,
    json_output: bool,
) -> Result<(), Failure> {
    let enabled = parse_flag_value(value)?;
    let path = format!("/admin/tenants/{}/flags/{}", encode(slug), encode(flag));
    let (_, body) = client.put(&path, &json!({"enabled": enabled})).await?;
    if json_output {
        output::print_json(&body)
    } else {
        output::print_flags(&body)
    }
    Ok(())
}

pub async fn show_flags(client: &AdminClient, slug: &str, json_output: bool) -> Result<(), Failure> {
    let body = client.get(&format!("/admin/tenants/{}/flags", encode(slug))).await?;
    if json_output {
        output::print_json(&body)
    } else {
        println!("tenant {slug}, plan {}", body["plan"].as_str().unwrap_or("?"));
        output::print_flags(&body)
    }
    Ok(())
}

pub async fn set_cap(client: &AdminClient, slug: &str, minutes: &str, json_output: bool) -> Result<(), Failure> {
    let minutes = match minutes {
        "default" | "plan" | "null" => Value::Null,
        raw => json!(raw.parse::<i64>().map_err(|_| Failure::Usage(format!(
            "error: {raw:?} is not a number of minutes (or \"default\" for the plan's included minutes)"
        )))?),
    };
    let (_, body) = client.put(&format!("/admin/tenants/{}/cap", encode(slug)), &json!({"minutes": minutes})).await?;
    if json_output {
        output::print_json(&body)
    } else {
        output::print_usage(&body)
    }
    Ok(())
}

pub async fn usage(client: &AdminClient, slug: &str, period: Option<&str>, json_output: bool) -> Result<(), Failure> {
    let mut path = format!("/admin/tenants/{}/usage", encode(slug));
    if let Some(period) = period {
        path.push_str(&format!("?period={}", encode(period)));
    }
    let body = client.get(&path).await?;
    if json_output {
        output::print_json(&body)
    } else {
        output::print_usage(&body)
    }
    Ok(())
}

pub async fn invoice(command: InvoiceCommand, client: &AdminClient, json_output: bool) -> Result<(), Failure> {
    let body = match &command {
        InvoiceCommand::Preview { slug, period } => {
            let mut path = format!("/admin/tenants/{}/invoices/preview", encode(slug));
            if let Some(period) = period {
                path.push_str(&format!("?period={}", encode(period)));
            }
            client.get(&path).await?
        }
        InvoiceCommand::List { slug } => client.get(&format!("/admin/tenants/{}/invoices", encode(slug))).await?,
        InvoiceCommand::Finalize { slug, period } => {
            let path = format!("/admin/tenants/{}/invoices/{}/finalize", encode(slug), encode(period));
            client.post(&path, None).await?
        }
    };
    if json_output {
        output::print_json(&body)
    } else if let InvoiceCommand::List { .. } = command {
        for invoice in body["invoices"].as_array().into_iter().flatten() {
            output::print_invoice(invoice);
        }
    } else {
        output::print_invoice(&body)
    }
    Ok(())
}

pub async fn audit(
    client: &AdminClient,
    tenant: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
    limit: u32,
    json_output: bool,
) -> Result<(), Failure> {
    let mut path = format!("/admin/audit?limit={limit}&order=newest");
    for (name, value) in [("tenant", tenant), ("from", from), ("to", to)] {
        if let Some(value) = value {
            path.push_str(&format!("&{name}={}", encode(value)));
        }
    }
    let body = client.get(&path).await?;
    if json_output {
        output::print_json(&body)
    } else {
        output::print_audit(&body)
    }
    Ok(())
}
