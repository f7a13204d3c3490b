//! `adminctl loadtest`: many complete, signed booking calls at once against
//! a running gateway. Each call books its own free slot (fetched first
//! through the admin API), so every dialogue runs to the end: greeting,
//! the request, the read-back, "yes", the confirmation, goodbye. What the
//! callers say is a [`CallScript`]; the benchmarks also use scripts whose
//! request only a language model can place.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::Semaphore;

use crate::client::{AdminClient, Failure, encode};

/// Words the rules cannot place: only the language model turns them into a
/// booking request (as in fixtures/conversations/75-model-indirect-booking.yaml).
pub const INDIRECT_REQUEST: &str = "my little guy is starting school and his hair is a mess, anything after three";

/// What each caller says, turn by turn. Every call opens with the greeting
/// (a request without words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CallScript {
    /// The request names the service, the day, the time and the caller;
    /// "yes please"; goodbye (4 requests).
    #[default]
    Booking,
    /// The request names the service, the day and a time to start after;
    /// "yes please" to the opening offered; the name when asked; "yes
    /// please" to the read-back; goodbye (6 requests): the turns of
    /// [`CallScript::BookingThroughModel`], every one placed by the rules.
    BookingOffered,
    /// [`INDIRECT_REQUEST`], which the language model turns into a check of
    /// the call's slot; then as [`CallScript::BookingOffered`] (6 requests).
    BookingThroughModel,
    /// The greeting and [`INDIRECT_REQUEST`], then the caller hangs up:
    /// nothing is booked (2 requests).
    ModelTurnThenHangUp,
}

impl CallScript {
    /// The caller's words for each request (`None` is the greeting), for a
    /// call that books `start`.
    fn lines(
        self,
        service: &str,
        start: Option<chrono::DateTime<chrono::FixedOffset>>,
        index: usize,
    ) -> Vec<Option<String>> {
        let say = |words: &str| Some(words.to_owned());
        // "2026-12-03T14:30:00-05:00" → "December 3 at 14:30", which the dialogue understands.
        let format = |pattern: &str| start.map(|start| start.format(pattern).to_string()).unwrap_or_default();
        let (name, yes, goodbye) = (say("Load Tester"), say("yes please"), say("no that's all thanks bye"));
        match self {
            CallScript::Booking => vec![
                None,
                Some(format!(
                    "I'd like to book a {service} on {}, my name is Load Tester {index}",
                    format("%B %-d at %H:%M")
                )),
                yes,
                goodbye,
            ],
            CallScript::BookingOffered => vec![
                None,
                Some(format!("I'd like to book a {service} on {}", format("%B %-d after %H:%M"))),
                yes.clone(),
                name,
                yes,
                goodbye,
            ],
            CallScript::BookingThroughModel => vec![None, say(INDIRECT_REQUEST), yes.clone(), name, yes, goodbye],
            CallScript::ModelTurnThenHangUp => vec![None, say(INDIRECT_REQUEST)],
        }
    }

    /// The request (0 is the greeting) that goes to the language model.
    pub fn model_turn(self) -> Option<usize> {
        match self {
            CallScript::BookingThroughModel | CallScript::ModelTurnThenHangUp => Some(1),
            CallScript::Booking | CallScript::BookingOffered => None,
        }
    }

    /// Whether every call ends with a booking.
    pub fn books(self) -> bool {
        self != CallScript::ModelTurnThenHangUp
    }
}

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
    /// What the callers say.
    pub script: CallScript,
}

#[derive(Default)]
struct CallResult {
    /// Each answered turn's latency, in the script's order.
    turn_micros: Vec<u64>,
    /// Webhook requests answered (a slow turn's continuations included).
    requests: usize,
    /// Turns answered with a filler phrase first.
    slow_turns: usize,
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
    /// Latency per caller turn, milliseconds: from the caller's words to the
    /// reply that listens again. That is one webhook request, unless a slow
    /// turn answered with a filler and Twilio followed its redirect until
    /// the answer came (those requests count as one turn).
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Latency of the request the language model served, milliseconds,
    /// when the script has one (it is also in the percentiles above).
    pub model_turn_p50_ms: Option<f64>,
    pub model_turn_p99_ms: Option<f64>,
    /// Calls whose script ends with a booking.
    pub bookings_expected: usize,
    /// Turns so slow that the gateway answered with a filler phrase and a
    /// redirect first.
    pub slow_turns: usize,
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

    /// Gateway CPU milliseconds per call.
    pub fn cpu_ms_per_call(&self) -> Option<f64> {
        self.gateway_cpu_seconds.map(|cpu| cpu * 1000.0 / self.calls.max(1) as f64)
    }

    /// Every call ran its script without an error and booked if it was to.
    pub fn all_succeeded(&self) -> Result<(), Failure> {
        if self.errors.is_empty() && self.booked == self.bookings_expected {
            return Ok(());
        }
        Err(Failure::Refused(format!(
            "error: {} of {} calls booked, {} error(s); first errors: {:?}",
            self.booked,
            self.bookings_expected,
            self.errors.len(),
            self.errors.iter().take(3).collect::<Vec<_>>()
        )))
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
    if report.errors.is_empty() && report.booked == report.bookings_expected {
        Ok(())
    } else {
        Err(Failure::Refused(format!(
            "error: {} call(s) did not complete their booking",
            report.bookings_expected.saturating_sub(report.booked)
        )))
    }
}

/// The number the calls dial and the free slots they book, one per call.
pub struct CallPlan {
    pub number: String,
    /// RFC 3339 starts in the shop's zone, far enough apart that one staff
    /// member could take them all.
    pub starts: Vec<String>,
}

/// Runs the calls and measures them (prints nothing).
pub async fn measure(client: &AdminClient, options: &LoadOptions) -> Result<LoadReport, Failure> {
    let plan = plan_calls(client, &options.tenant, &options.service, options.calls).await?;
    drive(options, plan).await
}

/// The tenant's number and `calls` free slots for `service`, spread over
/// the coming weeks.
pub async fn plan_calls(
    client: &AdminClient,
    tenant_slug: &str,
    service: &str,
    calls: usize,
) -> Result<CallPlan, Failure> {
    let tenant = client.get(&format!("/admin/tenants/{tenant_slug}")).await?;
    let number = tenant["profile"]["phone_numbers"][0]
        .as_str()
        .ok_or_else(|| Failure::Usage(format!("error: tenant {tenant_slug} has no phone number")))?
        .to_owned();
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).format("%Y-%m-%d").to_string();
    let path = format!("/admin/tenants/{tenant_slug}/availability?service={}&date={tomorrow}&days=60", encode(service));
    let slots = client.get(&path).await?;
    // Far enough apart (duration plus buffer) that one staff member could take them all.
    let profile = &tenant["profile"];
    let wanted = service.to_lowercase();
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
    if starts.len() < calls {
        return Err(Failure::Usage(format!(
            "error: only {} free slots for {service} in the next 60 days; ask for fewer --calls",
            starts.len(),
        )));
    }
    starts.truncate(calls);
    Ok(CallPlan { number, starts })
}

/// Runs `options.calls` calls of the script, call `i` booking `plan.starts[i]`
/// (prints nothing).
pub async fn drive(options: &LoadOptions, plan: CallPlan) -> Result<LoadReport, Failure> {
    let CallPlan { number, starts } = plan;
    if starts.len() < options.calls {
        return Err(Failure::Usage(format!("error: {} slots for {} calls", starts.len(), options.calls)));
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
        let (think, script) = (options.think, options.script);
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await;
            let call = Call { to: &number, service: &service, start: &start, index, think, script };
            one_call(&http, &validator, &gateway, &public_url, call).await
        }));
    }
    let mut latencies: Vec<u64> = Vec::new();
    let mut model_latencies: Vec<u64> = Vec::new();
    let mut errors: Vec<String> = Vec::new();
    let mut booked = 0;
    let mut requests = 0;
    let mut slow_turns = 0;
    for task in tasks {
        match task.await {
            Ok(result) => {
                if let Some(turn) = options.script.model_turn()
                    && let Some(micros) = result.turn_micros.get(turn)
                {
                    model_latencies.push(*micros);
                }
                latencies.extend(result.turn_micros);
                requests += result.requests;
                slow_turns += result.slow_turns;
                errors.extend(result.errors);
                booked += usize::from(result.booked);
            }
            Err(error) => errors.push(format!("task failed: {error}")),
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let cpu_after = options.gateway_pid.and_then(process_cpu_seconds);
    latencies.sort_unstable();
    model_latencies.sort_unstable();
    let has_model_turn = options.script.model_turn().is_some();
    Ok(LoadReport {
        calls: options.calls,
        booked,
        errors,
        turns: requests,
        seconds,
        p50_ms: percentile(&latencies, 0.50),
        p95_ms: percentile(&latencies, 0.95),
        p99_ms: percentile(&latencies, 0.99),
        max_ms: percentile(&latencies, 1.0),
        model_turn_p50_ms: has_model_turn.then(|| percentile(&model_latencies, 0.50)),
        model_turn_p99_ms: has_model_turn.then(|| percentile(&model_latencies, 0.99)),
        bookings_expected: if options.script.books() { options.calls } else { 0 },
        slow_turns,
        gateway_cpu_seconds: cpu_before.zip(cpu_after).map(|(before, after)| after - before),
        gateway_peak_rss_kib: options.gateway_pid.and_then(peak_rss_kib),
    })
}

/// One caller: whom they call, what they book and say, how they pace it.
struct Call<'a> {
    to: &'a str,
    service: &'a str,
    start: &'a str,
    index: usize,
    think: std::time::Duration,
    script: CallScript,
}

async fn one_call(
    http: &reqwest::Client,
    validator: &frontdesk_twilio::RequestValidator,
    gateway: &str,
    public_url: &str,
    call: Call<'_>,
) -> CallResult {
    let Call { to, service, start, index, think, script } = call;
    let mut result = CallResult::default();
    let call_sid = format!("CAload{index:06}{:020}", chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0));
    let from = format!("+1555{:07}", 1_000_000 + index);
    let base = vec![("CallSid".to_owned(), call_sid), ("From".to_owned(), from), ("To".to_owned(), to.to_owned())];
    let lines = script.lines(service, chrono::DateTime::parse_from_rfc3339(start).ok(), index);
    let post = async |path: &str, params: &[(String, String)]| -> Result<String, String> {
        let signature = validator.compute_signature(&format!("{public_url}{path}"), params);
        let sent =
            http.post(format!("{gateway}{path}")).header("x-twilio-signature", signature).form(params).send().await;
        match sent {
            Ok(r) if r.status().is_success() => Ok(r.text().await.unwrap_or_default()),
            Ok(r) => Err(format!("{path}: HTTP {}", r.status())),
            Err(e) => Err(format!("{path}: {e}")),
        }
    };
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
        let began = Instant::now();
        let mut body = match post(&path, &params).await {
            Ok(body) => body,
            Err(error) => {
                result.errors.push(error);
                return result;
            }
        };
        result.requests += 1;
        // A slow turn: a filler phrase and a redirect, which Twilio follows
        // (without words) until the answer comes.
        let mut redirects = 0;
        for _ in 0..MAX_REDIRECTS {
            let Some(target) = redirect_target(&body).filter(|_| crate::simulate::gather_action(&body).is_none())
            else {
                break;
            };
            body = match post(&target, &base).await {
                Ok(body) => body,
                Err(error) => {
                    result.errors.push(error);
                    return result;
                }
            };
            result.requests += 1;
            redirects += 1;
        }
        result.slow_turns += usize::from(redirects > 0);
        result.turn_micros.push(began.elapsed().as_micros() as u64);
        if body.contains("confirmation code") {
            result.booked = true;
        }
        match crate::simulate::gather_action(&body) {
            Some(action) => path = action,
            None => break,
        }
    }
    if script.books() && !result.booked {
        result.errors.push(format!("call {index} did not book {start}"));
    }
    result
}

/// Redirects followed in one turn at most (the gateway sends two fillers,
/// then asks again).
const MAX_REDIRECTS: usize = 4;

/// Where a `<Redirect>` sends Twilio, if the TwiML has one.
fn redirect_target(twiml: &str) -> Option<String> {
    let element = &twiml[twiml.find("<Redirect")?..];
    let text = &element[element.find('>')? + 1..];
    let target = &text[..text.find("</Redirect>")?];
    Some(target.trim().replace("&amp;", "&"))
}

#[cfg(test)]
mod tests {
    use super::redirect_target;

    #[test]
    fn a_filler_redirect_is_followed_to_its_target() {
        let filler = r#"<?xml version="1.0" encoding="UTF-8"?><Response><Say voice="Polly.Joanna" language="en-US">One moment.</Say><Redirect method="POST">/twilio/continue?turn=2&amp;attempt=1</Redirect></Response>"#;
        assert_eq!(redirect_target(filler).as_deref(), Some("/twilio/continue?turn=2&attempt=1"));
        let listening =
            r#"<Response><Gather action="/twilio/gather?turn=3"><Say>Anything else?</Say></Gather></Response>"#;
        assert_eq!(redirect_target(listening), None);
    }
}
