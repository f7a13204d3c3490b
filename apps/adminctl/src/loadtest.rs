//! `adminctl loadtest`: many complete, signed booking calls at once against
//! a running gateway. Each call books its own free slot (fetched first
//! through the admin API), so every dialogue runs to the end: greeting,
//! the request, the read-back, "yes", the confirmation, goodbye.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::Semaphore;

use crate::client::{AdminClient, Failure, encode};

pub struct LoadOptions {
    pub calls: usize,
    pub concurrency: usize,
    pub tenant: String,
    pub service: String,
    pub gateway: String,
    pub public_url: Option<String>,
    pub auth_token: String,
    pub gateway_pid: Option<u32>,
    /// Pause between a reply and the caller's next line (a caller speaking); not counted as latency.
    pub think: std::time::Duration,
}

#[derive(Default)]
struct CallResult {
    turn_micros: Vec<u64>,
    errors: Vec<String>,
    booked: bool,
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)] as f64 / 1000.0
}

/// What one load run measured.
#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    pub calls: usize,
    pub booked: usize,
    pub errors: Vec<String>,
    /// Webhook requests answered.
    pub turns: usize,
    pub seconds: f64,
    /// Per-request latency, milliseconds.
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// The gateway's CPU time (user + system, all threads) during the run,
    /// from /proc, when its pid is known.
    pub gateway_cpu_seconds: Option<f64>,
    pub gateway_peak_rss_kib: Option<u64>,
}

impl LoadReport {
    pub fn turns_per_second(&self) -> f64 {
        self.turns as f64 / self.seconds.max(f64::EPSILON)
    }

    /// Gateway CPU milliseconds per webhook request.
    pub fn cpu_ms_per_turn(&self) -> Option<f64> {
        self.gateway_cpu_seconds.map(|cpu| cpu * 1000.0 / self.turns.max(1) as f64)
    }
}

/// A process's CPU time so far (user + system, every thread), from
/// `/proc/PID/stat`, in seconds. Linux reports it in USER_HZ ticks, which the
/// kernel fixes at 100 per second for user space.
pub fn process_cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces: count fields after it.
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 and 15 of the whole line (utime, stime) are 12 and 13 here.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// Peak resident memory of a process, from /proc (Linux).
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

pub async fn run(client: &AdminClient, options: LoadOptions) -> Result<(), Failure> {
    let report = measure(client, &options).await?;
    println!(
        "calls: {} ({} concurrent), booked: {}, errors: {}",
        report.calls,
        options.concurrency,
        report.booked,
        report.errors.len()
    );
    println!(
        "turns: {} in {:.2} s = {:.0} turns/s; per turn p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        report.turns,
        report.seconds,
        report.turns_per_second(),
        report.p50_ms,
        report.p95_ms,
        report.p99_ms,
        report.max_ms,
    );
    if let Some(pid) = options.gateway_pid {
        match (report.gateway_cpu_seconds, report.cpu_ms_per_turn()) {
            (Some(cpu), Some(per_turn)) => {
                println!("gateway CPU: {cpu:.2} s (user + system) = {per_turn:.3} ms per turn")
            }
            _ => println!("gateway CPU: unavailable for pid {pid}"),
        }
        match report.gateway_peak_rss_kib {
            Some(kib) => println!("gateway peak memory (VmHWM): {:.1} MiB", kib as f64 / 1024.0),
            None => println!("gateway peak memory: unavailable for pid {pid}"),
        }
    }
    for error in report.errors.iter().take(5) {
        eprintln!("  {error}");
    }
    if report.errors.is_empty() && report.booked == report.calls {
        Ok(())
    } else {
        Err(Failure::Refused(format!("error: {} call(s) did not complete their booking", report.calls - report.booked)))
    }
}

/// Runs the calls and measures them (prints nothing).
pub async fn measure(client: &AdminClient, options: &LoadOptions) -> Result<LoadReport, Failure> {
    // Free slots to book, one per call, spread over the coming weeks.
    let tenant = client.get(&format!("/admin/tenants/{}", options.tenant)).await?;
    let number = tenant["profile"]["phone_numbers"][0]
        .as_str()
        .ok_or_else(|| Failure::Usage(format!("error: tenant {} has no phone number", options.tenant)))?
        .to_owned();
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).format("%Y-%m-%d").to_string();
    let path = format!(
        "/admin/tenants/{}/availability?service={}&date={tomorrow}&days=60",
        options.tenant,
        encode(&options.service)
    );
    let slots = client.get(&path).await?;
    // Far enough apart (duration plus buffer) that one staff member could take them all.
    let profile = &tenant["profile"];
    let wanted = options.service.to_lowercase();
    let minutes = profile["services"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| {
            s["name"].as_str().is_some_and(|n| n.to_lowercase() == wanted)
                || s["aliases"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|a| a.as_str().is_some_and(|a| a.to_lowercase() == wanted))
        })
        .and_then(|s| s["duration_minutes"].as_i64())
        .unwrap_or(60)
        + profile["booking"]["buffer_minutes"].as_i64().unwrap_or(0);
    let spacing = chrono::Duration::minutes(minutes);
    let mut starts: Vec<String> = Vec::new();
    let mut last: Option<chrono::DateTime<chrono::FixedOffset>> = None;
    for slot in slots["slots"].as_array().into_iter().flatten() {
        let Some(start) = slot["start"].as_str().and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok()) else {
            continue;
        };
        if last.is_none_or(|l| start >= l + spacing) {
            starts.push(start.to_rfc3339());
            last = Some(start);
        }
    }
    if starts.len() < options.calls {
        return Err(Failure::Usage(format!(
            "error: only {} free slots for {} in the next 60 days; ask for fewer --calls",
            starts.len(),
            options.service
        )));
    }
    let public_url =
        options.public_url.clone().unwrap_or_else(|| options.gateway.clone()).trim_end_matches('/').to_owned();
    let gateway = options.gateway.trim_end_matches('/').to_owned();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(options.concurrency)
        .build()
        .map_err(|e| Failure::Usage(format!("error: {e}")))?;
    let validator = Arc::new(frontdesk_twilio::RequestValidator::new(&options.auth_token));
    let gate = Arc::new(Semaphore::new(options.concurrency));
    let cpu_before = options.gateway_pid.and_then(process_cpu_seconds);
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(options.calls);
    for (index, start) in starts.into_iter().take(options.calls).enumerate() {
        let (http, validator, gate) = (http.clone(), validator.clone(), gate.clone());
        let (gateway, public_url, number, service) =
            (gateway.clone(), public_url.clone(), number.clone(), options.service.clone());
        let think = options.think;
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await;
            one_call(&http, &validator, &gateway, &public_url, &number, &service, &start, index, think).await
        }));
    }
    let mut latencies: Vec<u64> = Vec::new();
    let mut errors: Vec<String> = Vec::new();
    let mut booked = 0;
    for task in tasks {
        match task.await {
            Ok(result) => {
                latencies.extend(result.turn_micros);
                errors.extend(result.errors);
                booked += usize::from(result.booked);
            }
            Err(error) => errors.push(format!("task failed: {error}")),
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let cpu_after = options.gateway_pid.and_then(process_cpu_seconds);
    latencies.sort_unstable();
    Ok(LoadReport {
        calls: options.calls,
        booked,
        errors,
        turns: latencies.len(),
        seconds,
        p50_ms: percentile(&latencies, 0.50),
        p95_ms: percentile(&latencies, 0.95),
        p99_ms: percentile(&latencies, 0.99),
        max_ms: percentile(&latencies, 1.0),
        gateway_cpu_seconds: cpu_before.zip(cpu_after).map(|(before, after)| after - before),
        gateway_peak_rss_kib: options.gateway_pid.and_then(peak_rss_kib),
    })
}

#[allow(clippy::too_many_arguments)]
async fn one_call(
    http: &reqwest::Client,
    validator: &frontdesk_twilio::RequestValidator,
    gateway: &str,
    public_url: &str,
    to: &str,
    service: &str,
    start: &str,
    index: usize,
    think: std::time::Duration,
) -> CallResult {
    let mut result = CallResult::default();
    let call_sid = format!("CAload{index:06}{:020}", chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0));
    let from = format!("+1555{:07}", 1_000_000 + index);
    let base = vec![("CallSid".to_owned(), call_sid), ("From".to_owned(), from), ("To".to_owned(), to.to_owned())];
    // "2026-12-03T14:30:00-05:00" → "December 3 at 14:30", which the dialogue understands.
    let when = chrono::DateTime::parse_from_rfc3339(start)
        .map(|t| t.format("%B %-d at %H:%M").to_string())
        .unwrap_or_default();
    let lines = [
        None,
        Some(format!("I'd like to book a {service} on {when}, my name is Load Tester {index}")),
        Some("yes please".to_owned()),
        Some("no that's all thanks bye".to_owned()),
    ];
    let mut path = "/twilio/voice".to_owned();
    // Callers start spread over one pause and speak for 50-150 % of it, so
    // turns arrive as from independent people rather than in lockstep.
    let jitter = |turn: usize| {
        let spread = ((index * 7919 + turn * 104_729) % 1000) as f64 / 1000.0;
        think.mul_f64(0.5 + spread)
    };
    if !think.is_zero() {
        tokio::time::sleep(think.mul_f64((index % 100) as f64 / 100.0)).await;
    }
    for (turn, line) in lines.into_iter().enumerate() {
        if turn > 0 && !think.is_zero() {
            tokio::time::sleep(jitter(turn)).await;
        }
        let mut params = base.clone();
        if let Some(line) = &line {
            params.push(("SpeechResult".to_owned(), line.clone()));
        }
        let signature = validator.compute_signature(&format!("{public_url}{path}"), &params);
        let began = Instant::now();
        let response =
            http.post(format!("{gateway}{path}")).header("x-twilio-signature", signature).form(&params).send().await;
        let body = match response {
            Ok(r) if r.status().is_success() => r.text().await.unwrap_or_default(),
            Ok(r) => {
                result.errors.push(format!("{path}: HTTP {}", r.status()));
                return result;
            }
            Err(e) => {
                result.errors.push(format!("{path}: {e}"));
                return result;
            }
        };
        result.turn_micros.push(began.elapsed().as_micros() as u64);
        if body.contains("confirmation code") {
            result.booked = true;
        }
        match crate::simulate::gather_action(&body) {
            Some(action) => path = action,
            None => break,
        }
    }
    if !result.booked {
        result.errors.push(format!("call {index} did not book {start}"));
    }
    result
}
