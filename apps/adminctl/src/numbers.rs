//! `adminctl numbers | port-in | registration | suspend | resume`: a shop's
//! phone numbers, the port of its own number, its texting registration,
//! and switching its AI answering off and on.

use std::io::{BufRead, Write};

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use crate::client::{AdminClient, Failure, encode};
use crate::output;

#[derive(Debug, Subcommand)]
pub enum NumbersCommand {
    /// Local numbers for sale (voice and SMS).
    Search {
        #[arg(long)]
        area_code: Option<String>,
        /// Digits (or letters) the number must contain.
        #[arg(long)]
        contains: Option<String>,
        #[arg(long, default_value_t = 10)]
        limit: u32,
    },
    /// The numbers a shop was given, with where each purchase stands.
    List { slug: String },
    /// Buy a number for a shop and attach it (safe to run again: it never buys twice).
    Buy {
        slug: String,
        /// This number (set up without a purchase if the account holds it).
        #[arg(long, conflicts_with_all = ["area_code", "contains"])]
        number: Option<String>,
        /// Or the first number for sale in this area code.
        #[arg(long)]
        area_code: Option<String>,
        #[arg(long)]
        contains: Option<String>,
    },
    /// Give a shop a number the account already holds (never buys).
    Assign { slug: String, number: String },
    /// Give a number back to Twilio: out of the shop, then released. Cannot be undone.
    Release {
        slug: String,
        number: String,
        /// The number again; asked for on the terminal when absent.
        #[arg(long)]
        confirm: Option<String>,
    },
}

/// The losing carrier's account, for a port-in.
#[derive(Debug, Clone, Args)]
pub struct PortDetails {
    /// The name on the current carrier's account.
    #[arg(long)]
    pub customer_name: Option<String>,
    /// Who signs the letter of authorization.
    #[arg(long)]
    pub representative: Option<String>,
    /// Where the letter of authorization is sent for signature.
    #[arg(long)]
    pub email: Option<String>,
    /// An uploaded utility bill (RD…), repeatable.
    #[arg(long = "document")]
    pub documents: Vec<String>,
    #[arg(long)]
    pub account_number: Option<String>,
    #[arg(long)]
    pub pin: Option<String>,
}

impl PortDetails {
    pub fn body(&self, number: &str, forward_to: Option<&str>) -> Value {
        json!({
            "number": number,
            "customer_name": self.customer_name.clone().unwrap_or_default(),
            "authorized_representative": self.representative.clone().unwrap_or_default(),
            "authorized_representative_email": self.email.clone().unwrap_or_default(),
            "documents": self.documents,
            "account_number": self.account_number,
            "pin": self.pin,
            "forward_to": forward_to,
        })
    }
}

#[derive(Debug, Subcommand)]
pub enum PortInCommand {
    /// File the port of a shop's own number (meanwhile the line forwards to --forward-to).
    Start {
        slug: String,
        number: String,
        /// The shop's bought number the old line forwards to until the port completes.
        #[arg(long)]
        forward_to: Option<String>,
        #[command(flatten)]
        details: PortDetails,
    },
    /// A shop's port-ins and where each stands.
    List { slug: String },
    /// Ask Twilio now where the shop's open port-ins stand (the worker asks hourly).
    Refresh { slug: String },
}

#[derive(Debug, Subcommand)]
pub enum RegistrationCommand {
    /// Register a shop to text: its sender pool, brand and (once approved) campaign.
    Start {
        slug: String,
        /// The business's TrustHub customer profile (BU…).
        #[arg(long)]
        customer_profile: String,
        /// Its A2P trust product (BU…).
        #[arg(long)]
        a2p_profile: String,
        /// STANDARD or SOLE_PROPRIETOR.
        #[arg(long)]
        brand_type: Option<String>,
        /// A test registration the carriers never see.
        #[arg(long)]
        mock: bool,
    },
    /// Where the brand and campaign stand, and whether texts go out.
    Status { slug: String },
    /// Ask Twilio now (the worker also asks every hour).
    Refresh { slug: String },
}

pub async fn numbers(command: NumbersCommand, client: &AdminClient, json_output: bool) -> Result<(), Failure> {
    match command {
        NumbersCommand::Search { area_code, contains, limit } => {
            let mut query = vec![format!("limit={limit}")];
            if let Some(area) = &area_code {
                query.push(format!("area_code={}", encode(area)));
            }
            if let Some(contains) = &contains {
                query.push(format!("contains={}", encode(contains)));
            }
            let body = client.get(&format!("/admin/numbers/available?{}", query.join("&"))).await?;
            if json_output {
                output::print_json(&body);
                return Ok(());
            }
            let found = body["numbers"].as_array().cloned().unwrap_or_default();
            for number in &found {
                let capabilities = &number["capabilities"];
                println!(
                    "{}  {}, {}  voice {} sms {} mms {}",
                    number["number"].as_str().unwrap_or("-"),
                    number["locality"].as_str().unwrap_or("-"),
                    number["region"].as_str().unwrap_or("-"),
                    yes(&capabilities["voice"]),
                    yes(&capabilities["sms"]),
                    yes(&capabilities["mms"]),
                );
            }
            println!("{} number(s) for sale", found.len());
            Ok(())
        }
        NumbersCommand::List { slug } => {
            let body = client.get(&format!("/admin/tenants/{}/numbers", encode(&slug))).await?;
            if json_output {
                output::print_json(&body);
                return Ok(());
            }
            for order in body["numbers"].as_array().into_iter().flatten() {
                println!("{}", order_line(order));
            }
            Ok(())
        }
        NumbersCommand::Buy { slug, number, area_code, contains } => {
            let request = match (&number, &area_code, &contains) {
                (Some(number), _, _) => json!({"number": number}),
                (None, None, None) => {
                    return Err(Failure::Usage("error: give --number, or --area-code and/or --contains".into()));
                }
                (None, area_code, contains) => json!({"area_code": area_code, "contains": contains}),
            };
            let body = client.post(&format!("/admin/tenants/{}/numbers", encode(&slug)), Some(&request)).await?;
            print_outcome(&body, &format!("{slug} answers on"), json_output);
            Ok(())
        }
        NumbersCommand::Assign { slug, number } => {
            let request = json!({"number": number});
            let body = client.post(&format!("/admin/tenants/{}/numbers/assign", encode(&slug)), Some(&request)).await?;
            print_outcome(&body, &format!("{slug} answers on"), json_output);
            Ok(())
        }
        NumbersCommand::Release { slug, number, confirm } => {
            let confirm = match confirm {
                Some(confirm) => confirm,
                None => {
                    eprint!(
                        "Releasing {number} gives it back to Twilio: calls to it stop reaching {slug}, and it may \
                         never be had again.\nType the number to confirm: "
                    );
                    let _ = std::io::stderr().flush();
                    let mut line = String::new();
                    std::io::stdin()
                        .lock()
                        .read_line(&mut line)
                        .map_err(|e| Failure::Usage(format!("error: cannot read the confirmation: {e}")))?;
                    line.trim().to_owned()
                }
            };
            let path = format!("/admin/tenants/{}/numbers/{}/release", encode(&slug), encode(&number));
            let body = client.post(&path, Some(&json!({"confirm": confirm}))).await?;
            if json_output {
                output::print_json(&body);
            } else {
                println!("released {number} (it no longer reaches {slug})");
            }
            Ok(())
        }
    }
}

fn yes(value: &Value) -> &'static str {
    if value.as_bool() == Some(true) { "yes" } else { "no" }
}

pub fn order_line(order: &Value) -> String {
    let mut line = format!(
        "{}  {}  {}",
        order["number"].as_str().unwrap_or("-"),
        order["state"].as_str().unwrap_or("-"),
        order["sid"].as_str().unwrap_or("-"),
    );
    if let Some(error) = order["last_error"].as_str() {
        line.push_str(&format!("  last problem: {error}"));
    }
    line
}

fn print_outcome(body: &Value, what: &str, json_output: bool) {
    if json_output {
        output::print_json(body);
        return;
    }
    let number = body["order"]["number"].as_str().unwrap_or("-");
    let purchases = body["purchases_sent"].as_u64().unwrap_or(0);
    let how = if purchases == 0 { "already held by the account, set up" } else { "bought" };
    println!("{what} {number} ({how})");
    if let Some(provider) = body["provider"].as_object() {
        println!("  calls → {}", provider.get("voice_url").and_then(Value::as_str).unwrap_or("-"));
        println!("  texts → {}", provider.get("sms_url").and_then(Value::as_str).unwrap_or("-"));
        println!(
            "  if the gateway fails → {}",
            provider.get("voice_fallback_url").and_then(Value::as_str).unwrap_or("-")
        );
    }
}

pub async fn port_in(command: PortInCommand, client: &AdminClient, json_output: bool) -> Result<(), Failure> {
    let refresh = matches!(command, PortInCommand::Refresh { .. });
    match command {
        PortInCommand::Start { slug, number, forward_to, details } => {
            let request = details.body(&number, forward_to.as_deref());
            let body = client.post(&format!("/admin/tenants/{}/port-ins", encode(&slug)), Some(&request)).await?;
            if json_output {
                output::print_json(&body);
                return Ok(());
            }
            println!("{}", port_in_line(&body["port_in"]));
            if let Some(instructions) = body["forwarding_instructions"].as_str() {
                println!("{instructions}");
            }
            Ok(())
        }
        PortInCommand::List { slug } | PortInCommand::Refresh { slug } => {
            let path = format!("/admin/tenants/{}/port-ins", encode(&slug));
            let body =
                if refresh { client.post(&format!("{path}/refresh"), None).await? } else { client.get(&path).await? };
            if json_output {
                output::print_json(&body);
                return Ok(());
            }
            for port_in in body["port_ins"].as_array().into_iter().flatten() {
                println!("{}", port_in_line(port_in));
            }
            Ok(())
        }
    }
}

pub fn port_in_line(port_in: &Value) -> String {
    let mut line = format!(
        "port of {} ({}): {}",
        port_in["number"].as_str().unwrap_or("-"),
        port_in["sid"].as_str().unwrap_or("-"),
        port_in["status_label"].as_str().unwrap_or("-"),
    );
    if let Some(url) = port_in["signature_url"].as_str() {
        line.push_str(&format!("; the owner signs at {url}"));
    }
    if let Some(detail) = port_in["detail"].as_str() {
        line.push_str(&format!("; {detail}"));
    }
    line
}

pub async fn registration(
    command: RegistrationCommand,
    client: &AdminClient,
    json_output: bool,
) -> Result<(), Failure> {
    let body = match command {
        RegistrationCommand::Start { slug, customer_profile, a2p_profile, brand_type, mock } => {
            let request = json!({
                "customer_profile": customer_profile,
                "a2p_profile": a2p_profile,
                "brand_type": brand_type,
                "mock": mock,
            });
            client.post(&format!("/admin/tenants/{}/registration", encode(&slug)), Some(&request)).await?
        }
        RegistrationCommand::Status { slug } => {
            client.get(&format!("/admin/tenants/{}/registration", encode(&slug))).await?
        }
        RegistrationCommand::Refresh { slug } => {
            client.post(&format!("/admin/tenants/{}/registration/refresh", encode(&slug)), None).await?
        }
    };
    if json_output {
        output::print_json(&body);
    } else {
        println!("{}", registration_line(&body["registration"], &body["texting"]));
    }
    Ok(())
}

pub fn registration_line(registration: &Value, texting: &Value) -> String {
    let texts = match texting["cleared"].as_bool() {
        Some(true) => "texts go out".to_owned(),
        _ => format!("texts wait ({})", texting["reason"].as_str().unwrap_or("not registered")),
    };
    if registration.is_null() {
        return format!("texting registration: not started; {texts}");
    }
    format!(
        "texting registration: brand {} {}, campaign {} {}; {texts}",
        registration["brand"].as_str().unwrap_or("-"),
        registration["brand_status"].as_str().unwrap_or("not submitted"),
        registration["campaign"].as_str().unwrap_or("-"),
        registration["campaign_status"].as_str().unwrap_or("not submitted"),
    )
}

/// `adminctl suspend SLUG` / `resume SLUG`.
pub async fn suspend(client: &AdminClient, slug: &str, suspend: bool, json_output: bool) -> Result<(), Failure> {
    let action = if suspend { "suspend" } else { "resume" };
    let body = client.post(&format!("/admin/tenants/{}/{action}", encode(slug)), None).await?;
    if json_output {
        output::print_json(&body);
    } else if suspend {
        println!("suspended {slug}: calls go to the owner's phone, with no AI");
    } else {
        println!(
            "resumed {slug}: calls are answered by the receptionist ({})",
            body["answering"].as_str().unwrap_or("-")
        );
    }
    Ok(())
}
