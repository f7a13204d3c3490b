//! `adminctl onboard FILE.toml`: a shop from its profile to answering its
//! calls, through the admin API. It creates (or updates) the shop, sets its
//! plan (whose job creates the Stripe customer), gets it a number (bought
//! in an area code, a given number bought or assigned, or a port of its own
//! number with a bought number to forward to meanwhile), places a test
//! call that books and cancels, and prints a checklist of what is done and
//! what waits (the port, texting registration). Every step is safe to run
//! again: a re-run finishes what a failed one left.
//!
//! The test call goes to a sandbox copy of the shop (same profile, a
//! fictional number, never billed, texts not sent), so it books nothing in
//! the shop's real calendar and meters nothing; the copy is on Pro (which
//! answers around the clock), so the call books whatever the hour. The
//! checklist shows the real number is attached and set up to reach the
//! gateway.

use std::time::{Duration, Instant};

use clap::Args;
use frontdesk_tenant::{DocumentError, ProfileDocument};
use serde_json::{Value, json};

use crate::client::{AdminClient, Failure, encode};
use crate::numbers::{PortDetails, order_line, port_in_line, registration_line};

#[derive(Debug, Args)]
pub struct OnboardArgs {
    /// The shop's profile (TOML, as in fixtures/tenants/).
    pub file: std::path::PathBuf,
    /// starter, core, pro or enterprise.
    #[arg(long, default_value = "starter")]
    pub plan: String,
    /// Buy the first number for sale in this area code.
    #[arg(long, conflicts_with_all = ["number", "port"])]
    pub area_code: Option<String>,
    /// Buy this number (or set it up, if the account holds it already).
    #[arg(long, conflicts_with = "port")]
    pub number: Option<String>,
    /// Port the shop's own number; a number in its area code is bought to
    /// forward the line to meanwhile.
    #[arg(long)]
    pub port: Option<String>,
    #[command(flatten)]
    pub port_details: PortDetails,
    /// Where the gateway's Twilio webhooks are served (for the test call).
    #[arg(long, env = "FRONTDESK_SIMULATE_GATEWAY")]
    pub gateway: Option<String>,
    /// The gateway's FRONTDESK_PUBLIC_BASE_URL, if not the same as --gateway.
    #[arg(long)]
    pub public_url: Option<String>,
    /// Skip the test call.
    #[arg(long)]
    pub no_test_call: bool,
    /// How long to wait for the Stripe customer the plan's job creates.
    #[arg(long, default_value_t = 20)]
    pub wait_secs: u64,
}

/// One line of the checklist.
struct Step {
    done: bool,
    text: String,
}

impl Step {
    fn done(text: impl Into<String>) -> Step {
        Step { done: true, text: text.into() }
    }

    fn waits(text: impl Into<String>) -> Step {
        Step { done: false, text: text.into() }
    }
}

pub async fn run(args: OnboardArgs, client: &AdminClient, admin_url: &str, json_output: bool) -> Result<(), Failure> {
    let started = Instant::now();
    let text = std::fs::read_to_string(&args.file)
        .map_err(|e| Failure::Usage(format!("error: cannot read {}: {e}", args.file.display())))?;
    let document = ProfileDocument::from_toml(&text).map_err(|error| {
        let detail = match error {
            DocumentError::Syntax(message) => message,
            DocumentError::Shape(problems) => problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"),
        };
        Failure::Usage(format!("error: {}: {detail}", args.file.display()))
    })?;
    let slug = document
        .slug
        .clone()
        .ok_or_else(|| Failure::Usage(format!("error: {}: slug: is required", args.file.display())))?;
    let mut document = document;
    let existing_numbers = document.phone_numbers.clone();
    let mut steps = Vec::new();

    // 1. The shop, from its profile. A re-run keeps the numbers the shop
    //    was given since (the file does not list them).
    let stored = client.get_if_found(&format!("/admin/tenants/{}", encode(&slug))).await?;
    for number in stored.iter().flat_map(|t| t["profile"]["phone_numbers"].as_array().cloned().unwrap_or_default()) {
        if let Some(number) = number.as_str().filter(|n| !document.phone_numbers.iter().any(|m| m == n)) {
            document.phone_numbers.push(number.to_owned());
        }
    }
    let (status, tenant) = client.put(&format!("/admin/tenants/{}", encode(&slug)), &document.to_json()).await?;
    let name = tenant["profile"]["name"].as_str().unwrap_or(&slug).to_owned();
    steps.push(Step::done(format!("shop {slug} ({name}) {}", if status == 201 { "created" } else { "updated" })));
    progress(json_output, &steps);

    // 2. The plan; its job creates the Stripe customer.
    let flags = client.get(&format!("/admin/tenants/{}/flags", encode(&slug))).await?;
    if status != 201 && flags["plan"].as_str() == Some(args.plan.as_str()) {
        steps.push(Step::done(format!("plan: {} (unchanged)", args.plan)));
    } else {
        let body = json!({"plan": args.plan});
        let (_, plan) = client.put(&format!("/admin/tenants/{}/plan", encode(&slug)), &body).await?;
        steps.push(Step::done(format!("plan: {}", plan["plan"].as_str().unwrap_or(&args.plan))));
    }
    progress(json_output, &steps);

    // 3. A number (a re-run keeps the one bought before, not a second).
    let orders = client.get(&format!("/admin/tenants/{}/numbers", encode(&slug))).await?;
    let attached = orders["numbers"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|o| o["state"] == "attached")
        .and_then(|o| o["number"].as_str())
        .map(str::to_owned);
    let number_request = match (&args.area_code, &args.number, &args.port) {
        (Some(area), _, _) => Some(json!({"area_code": area})),
        (_, Some(number), _) => Some(json!({"number": number})),
        (_, _, Some(port)) => Some(json!({"area_code": area_code_of(port)?})),
        (None, None, None) => existing_numbers.first().map(|number| json!({"number": number})),
    };
    let Some(number_request) = number_request else {
        return Err(Failure::Usage(
            "error: the shop needs a number: give --area-code 718, --number +1…, or --port +1… (or list one in the profile's phone_numbers)"
                .into(),
        ));
    };
    let number = match (&attached, args.number.is_none()) {
        (Some(attached), true) => {
            steps.push(Step::done(format!("number {attached} attached already")));
            attached.clone()
        }
        _ => {
            let path = format!("/admin/tenants/{}/numbers", encode(&slug));
            let bought = client.post(&path, Some(&number_request)).await?;
            let number = bought["order"]["number"].as_str().unwrap_or("-").to_owned();
            let how = match bought["purchases_sent"].as_u64().unwrap_or(0) {
                0 => "set up (the account held it)",
                _ => "bought",
            };
            steps.push(Step::done(format!(
                "number {number} {how}: calls → {}, if the gateway fails → {}",
                bought["provider"]["voice_url"].as_str().unwrap_or("-"),
                bought["provider"]["voice_fallback_url"].as_str().unwrap_or("-"),
            )));
            number
        }
    };
    progress(json_output, &steps);

    // 4. The port of the shop's own number, forwarded meanwhile.
    let mut forwarding = None;
    if let Some(port) = &args.port {
        let request = args.port_details.body(port, Some(&number));
        match client.post(&format!("/admin/tenants/{}/port-ins", encode(&slug)), Some(&request)).await {
            Ok(body) => {
                steps.push(Step::waits(port_in_line(&body["port_in"])));
                forwarding = body["forwarding_instructions"].as_str().map(str::to_owned);
            }
            Err(error) => steps.push(Step::waits(format!(
                "port of {port} not filed: {} (fix it and run: adminctl port-in start {slug} {port} --forward-to {number} …)",
                error.message().trim_start_matches("error: ")
            ))),
        }
        progress(json_output, &steps);
    }

    // 5. A test call that books and cancels, on a sandbox copy of the shop.
    if args.no_test_call {
        steps.push(Step::waits("test call: skipped (--no-test-call)"));
    } else {
        match test_call(client, &slug, args.gateway.as_deref().unwrap_or(admin_url), args.public_url.as_deref()).await {
            Ok(done) => steps.push(Step::done(done)),
            Err(problem) => steps.push(Step::waits(format!("test call: {problem}"))),
        }
    }
    progress(json_output, &steps);

    // 6. What the platform says now: the Stripe customer (its job may still
    //    be running), texting registration, answering.
    let deadline = Instant::now() + Duration::from_secs(args.wait_secs);
    let status = loop {
        let status = client.get(&format!("/admin/tenants/{}/provisioning", encode(&slug))).await?;
        if status["stripe_customer"].is_string() || status["payments"] == json!(false) || Instant::now() >= deadline {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    match (status["stripe_customer"].as_str(), status["payments"].as_bool()) {
        (Some(customer), _) => steps.push(Step::done(format!("Stripe customer {customer}"))),
        (None, Some(false)) => steps.push(Step::waits("Stripe customer: no Stripe key is configured on the gateway")),
        (None, _) => steps.push(Step::waits(format!(
            "Stripe customer: its job has not run yet (after {} s); `adminctl jobs list` shows it",
            args.wait_secs
        ))),
    }
    for order in status["numbers"].as_array().into_iter().flatten().filter(|o| o["state"] != "attached") {
        steps.push(Step::waits(format!("number {}", order_line(order))));
    }
    let texting = &status["texting"];
    let registration = registration_line(&status["registration"], texting);
    if texting["cleared"].as_bool() == Some(true) {
        steps.push(Step::done(registration));
    } else {
        steps.push(Step::waits(format!(
            "{registration}; start it with: adminctl registration start {slug} --customer-profile BU… --a2p-profile BU…"
        )));
    }
    let answering = status["answering"].as_str().unwrap_or("-");
    let answered = if answering == "ai" { "the receptionist answers" } else { "calls go to the owner's phone" };
    let numbers = status["phone_numbers"].as_array().map(|n| n.iter().filter_map(Value::as_str).collect::<Vec<_>>());
    steps.push(Step {
        done: answering == "ai",
        text: format!("answering: {answered} on {}", numbers.unwrap_or_default().join(", ")),
    });

    let elapsed = started.elapsed();
    if json_output {
        let checklist: Vec<Value> = steps.iter().map(|s| json!({"done": s.done, "step": s.text})).collect();
        let report = json!({
            "tenant": slug,
            "checklist": checklist,
            "forwarding_instructions": forwarding,
            "seconds": elapsed.as_secs_f64(),
            "status": status,
        });
        crate::output::print_json(&report);
    } else {
        println!("\nonboarding checklist for {slug}:");
        for step in &steps {
            println!("  [{}] {}", if step.done { "done" } else { "waits" }, step.text);
        }
        if let Some(forwarding) = &forwarding {
            println!("\nforwarding meanwhile: {forwarding}");
        }
        println!("\nonboarded in {:.1} s", elapsed.as_secs_f64());
    }
    Ok(())
}

fn progress(json_output: bool, steps: &[Step]) {
    if let (false, Some(step)) = (json_output, steps.last()) {
        eprintln!("… {}", step.text);
    }
}

/// `+17185550123` → `718`.
fn area_code_of(number: &str) -> Result<String, Failure> {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    match digits.strip_prefix('1') {
        Some(rest) if rest.len() == 10 => Ok(rest[..3].to_owned()),
        _ => Err(Failure::Usage(format!("error: --port {number:?} is not a US number (+1 and ten digits)"))),
    }
}

/// Books the shop's first service in a call to a sandbox copy of the shop,
/// cancels it in a second call, and purges the sandbox; says what happened.
async fn test_call(
    client: &AdminClient,
    slug: &str,
    gateway: &str,
    public_url: Option<&str>,
) -> Result<String, String> {
    let auth_token = std::env::var("FRONTDESK_TWILIO_AUTH_TOKEN")
        .ok()
        .filter(|t| !t.is_empty())
        .ok_or("skipped: set FRONTDESK_TWILIO_AUTH_TOKEN (calls are signed as Twilio signs them)")?;
    let sandbox = client
        .post("/admin/sandboxes", Some(&json!({"copy_of": slug, "plan": "pro"})))
        .await
        .map_err(|e| e.message().to_owned())?;
    let sandbox_slug = sandbox["slug"].as_str().unwrap_or_default().to_owned();
    let result = book_and_cancel(client, &sandbox, gateway, public_url, &auth_token).await;
    let purged = client.delete(&format!("/admin/sandboxes/{}", encode(&sandbox_slug))).await;
    let done = result?;
    purged.map_err(|e| format!("{done}, but the sandbox {sandbox_slug} was not purged: {}", e.message()))?;
    Ok(format!("{done} (sandbox copy {sandbox_slug}, purged)"))
}

async fn book_and_cancel(
    client: &AdminClient,
    sandbox: &Value,
    gateway: &str,
    public_url: Option<&str>,
    auth_token: &str,
) -> Result<String, String> {
    let slug = sandbox["slug"].as_str().unwrap_or_default();
    let to = sandbox["profile"]["phone_numbers"][0].as_str().ok_or("the sandbox has no number")?;
    let service = sandbox["profile"]["services"][0]["name"].as_str().ok_or("the profile lists no service")?;
    // Far enough ahead for any notice the shop asks of a booking or a cancellation.
    let from_day = (chrono::Utc::now() + chrono::Duration::days(3)).format("%Y-%m-%d");
    let path =
        format!("/admin/tenants/{}/availability?service={}&date={from_day}&days=30", encode(slug), encode(service));
    let slots = client.get(&path).await.map_err(|e| e.message().to_owned())?;
    let start = slots["slots"][0]["start"]
        .as_str()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .ok_or_else(|| format!("no free {service} in the 30 days from {from_day}"))?;
    let when = start.format("%B %-d at %H:%M").to_string();
    let line = Line::new(gateway, public_url, auth_token, to);
    let booking = line
        .call(&[
            &format!("I'd like to book a {service} on {when}, my name is Onboarding Test"),
            "yes please",
            "no that's all thanks bye",
        ])
        .await?;
    if !booking.iter().any(|reply| reply.contains("confirmation code")) {
        return Err(format!("the call did not book {service} on {when}: it heard {:?}", booking.join(" / ")));
    }
    let cancel = line.call(&["I need to cancel my appointment", "yes", "no that's all thanks bye"]).await?;
    if !cancel.iter().any(|reply| reply.to_lowercase().contains("cancelled")) {
        return Err(format!(
            "the call booked {service} on {when} but did not cancel it: it heard {:?}",
            cancel.join(" / ")
        ));
    }
    Ok(format!("test call booked {service} on {when} and a second call cancelled it"))
}

/// A caller on one number, calling the gateway as Twilio does.
struct Line {
    http: reqwest::Client,
    gateway: String,
    public_url: String,
    validator: frontdesk_twilio::RequestValidator,
    to: String,
    from: String,
}

impl Line {
    fn new(gateway: &str, public_url: Option<&str>, auth_token: &str, to: &str) -> Line {
        let gateway = gateway.trim_end_matches('/').to_owned();
        Line {
            http: reqwest::Client::new(),
            public_url: public_url.unwrap_or(&gateway).trim_end_matches('/').to_owned(),
            gateway,
            validator: frontdesk_twilio::RequestValidator::new(auth_token),
            to: to.to_owned(),
            from: "+15555550177".to_owned(),
        }
    }

    /// One call: the greeting, then each line as the caller's words while
    /// the gateway listens; the spoken replies, one per request.
    async fn call(&self, lines: &[&str]) -> Result<Vec<String>, String> {
        let call_sid = format!("CAonboard{:024x}", chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0));
        let base = vec![
            ("CallSid".to_owned(), call_sid),
            ("AccountSid".to_owned(), "ACsimulator000000000000000000000000".to_owned()),
            ("From".to_owned(), self.from.clone()),
            ("To".to_owned(), self.to.clone()),
            ("Direction".to_owned(), "inbound".to_owned()),
        ];
        let mut heard = Vec::new();
        let mut twiml = self.post("/twilio/voice", &base, &[("CallStatus", "ringing")]).await?;
        heard.push(crate::simulate::spoken(&twiml));
        for line in lines {
            let Some(action) = crate::simulate::gather_action(&twiml) else { break };
            twiml = self.post(&action, &base, &[("CallStatus", "in-progress"), ("SpeechResult", line)]).await?;
            heard.push(crate::simulate::spoken(&twiml));
        }
        let completed = [("CallStatus", "completed"), ("SequenceNumber", "9"), ("CallDuration", "40")];
        self.post("/twilio/status", &base, &completed).await?;
        Ok(heard)
    }

    async fn post(&self, path: &str, base: &[(String, String)], extra: &[(&str, &str)]) -> Result<String, String> {
        let mut params = base.to_vec();
        params.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let signature = self.validator.compute_signature(&format!("{}{path}", self.public_url), &params);
        let response = self
            .http
            .post(format!("{}{path}", self.gateway))
            .header("x-twilio-signature", signature)
            .form(&params)
            .send()
            .await
            .map_err(|e| format!("cannot reach the gateway at {}: {e}", self.gateway))?;
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        if !status.is_success() {
            return Err(format!("the gateway answered {status} to {path}: {body}"));
        }
        Ok(body)
    }
}
