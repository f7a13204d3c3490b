//! `adminctl bench-model`: what a language-model turn costs the gateway, and
//! whether calls waiting on a slow model slow anyone else down.
//!
//! The model is a fake OpenAI-compatible server in this process
//! ([`fake_openai`]); the gateways are release builds started as
//! `bench-calls` starts them, told to use the fake
//! (`FRONTDESK_OPENAI_BASE_URL`), so the gateway's real adapter, prompt,
//! tools and metering run. Two figures, on SQLite and, when a server is
//! given, PostgreSQL:
//! - CPU per model turn: saturation runs (100 calls in flight, no pauses,
//!   the model answering at once) of calls whose request only the model can
//!   place, against calls with the same turns that the rules place; the
//!   gateway's process CPU from /proc per call, each run on a fresh gateway,
//!   the order of the pair alternating between rounds;
//! - isolation: 100 paced calls (callers pausing about a second) alone,
//!   beside callers the model answers at once, and beside as many requests
//!   per second from callers about 100 of whom wait on the model at any
//!   moment (a fixed delay, 1 s by default): if the model is awaited rather
//!   than blocking, the paced calls' p50 and p99 beside the waits are what
//!   they are beside the same requests without them.
//!
//! The table is printed and, with `--write-docs`, replaces the "Language
//! model turns" section of docs/benchmarks.md.

mod fake_openai;

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::bench::{Gateway, SERVICE, TENANT, gateway_binary, median, write_section};
use crate::client::Failure;
use crate::loadtest::{CallPlan, CallScript, INDIRECT_REQUEST, LoadReport, drive, plan_calls};
use fake_openai::{FakeOpenAi, Slot, booking_tool_call};

/// Calls held in flight by every run, as in `bench-calls`.
const CONCURRENCY: usize = 100;
/// Calls of each script before the measured runs (connections, caches).
const WARM_UP_CALLS: usize = 20;
/// Slots between the last a paced call books and the day the waiting calls
/// ask about (about fifteen a day).
const DAYS_APART: usize = 40;
/// How long a paced run lasts at most (its calls start within a second and
/// pause three times for 0.5-1.5 s); the calls waiting on the model are
/// kept coming at least this long.
const PACED_RUN: Duration = Duration::from_secs(7);

/// `adminctl bench-model`.
#[derive(Debug, clap::Args)]
pub struct BenchModelArgs {
    /// The gateway to measure (default: voice-gateway next to this adminctl).
    #[arg(long)]
    gateway_bin: Option<PathBuf>,
    /// A PostgreSQL server URL; without it only SQLite is measured.
    #[arg(long, env = "FRONTDESK_TEST_POSTGRES_URL")]
    postgres: Option<String>,
    /// Calls per saturation run (6 webhook requests each).
    #[arg(long, default_value_t = 150)]
    calls: usize,
    /// Rounds of each measurement (every run on a fresh gateway).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// How long the fake model takes to answer in the isolation runs.
    #[arg(long, default_value_t = 1000)]
    model_delay_ms: u64,
    /// Replace the "Language model turns" section of this Markdown file.
    #[arg(long)]
    write_docs: Option<PathBuf>,
}

/// One round of the CPU measurement: the same turns placed by the rules
/// and by the model, each run on a fresh gateway.
struct CpuRound {
    store: &'static str,
    rules: LoadReport,
    model: LoadReport,
    /// Chat completions the fake model answered during the model run.
    model_requests: u64,
}

impl CpuRound {
    /// Gateway CPU a model turn adds to a call, milliseconds.
    fn added_ms(&self) -> Option<f64> {
        Some(self.model.cpu_ms_per_call()? - self.rules.cpu_ms_per_call()?)
    }
}

/// One round of the isolation measurement, each run on a fresh gateway.
struct IsolationRound {
    store: &'static str,
    /// The paced calls alone.
    alone: LoadReport,
    /// The same beside callers the model answers at once (the control:
    /// their requests, without the waits).
    answered_at_once: Beside,
    /// The same beside callers who wait on the model.
    waiting: Beside,
}

/// Paced calls beside callers who reach the model.
struct Beside {
    paced: LoadReport,
    /// The callers who reach the model (greeting, a pause, the model's
    /// turn, hang up).
    model_callers: LoadReport,
    /// Model requests waiting at once, on average over the paced run.
    mean_waiting: f64,
    /// The callers' numbers.
    callers: ModelCallers,
}

/// How many callers reach the model beside the paced calls.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ModelCallers {
    /// Callers at a time.
    at_once: usize,
    /// Callers in all: enough to last a cycle longer than the paced calls.
    calls: usize,
    /// About how long each one's call lasts (a caller starts within a pause,
    /// greets, pauses once, then the model answers).
    cycle: Duration,
}

impl ModelCallers {
    /// Enough callers that about 100 wait `model_delay` on the model at any
    /// moment, callers pausing like the paced ones; when the model answers
    /// after `answer` instead (less: the control), fewer callers send as
    /// many requests per second.
    fn new(paced: Duration, model_delay: Duration, answer: Duration) -> ModelCallers {
        let cycle = paced.mul_f64(1.5) + answer;
        let per_wait = cycle.as_secs_f64() / model_delay.as_secs_f64().max(0.001);
        let at_once = (CONCURRENCY as f64 * per_wait).ceil() as usize;
        let cycles = (PACED_RUN + cycle).as_secs_f64().div_euclid(cycle.as_secs_f64().max(0.001)) as usize + 1;
        ModelCallers { at_once, calls: at_once * cycles, cycle }
    }
}

pub async fn run(args: BenchModelArgs) -> Result<(), Failure> {
    if args.calls == 0 {
        return Err(Failure::Usage("error: --calls must be at least 1".into()));
    }
    let binary = gateway_binary(args.gateway_bin.clone())?;
    let fake = FakeOpenAi::start().await?;
    let mut stores: Vec<(&'static str, Option<&str>)> = vec![("SQLite", None)];
    if let Some(server) = &args.postgres {
        stores.push(("PostgreSQL", Some(server.as_str())));
    }
    let model_delay = Duration::from_millis(args.model_delay_ms);
    let mut cpu: Vec<CpuRound> = Vec::new();
    let mut isolation: Vec<IsolationRound> = Vec::new();
    for &(store, postgres) in &stores {
        for round in 0..args.rounds.max(1) {
            println!("{store} · CPU round {} …", round + 1);
            let measured = cpu_round(&binary, store, postgres, &fake, args.calls, round % 2 == 1).await?;
            println!(
                "  rules {:.3} ms CPU per call · through the model {:.3} ms · added {:.3} ms per model turn",
                measured.rules.cpu_ms_per_call().unwrap_or(f64::NAN),
                measured.model.cpu_ms_per_call().unwrap_or(f64::NAN),
                measured.added_ms().unwrap_or(f64::NAN),
            );
            cpu.push(measured);
        }
        for round in 0..args.rounds.max(1) {
            println!("{store} · isolation round {} …", round + 1);
            let measured = isolation_round(&binary, store, postgres, &fake, model_delay, round).await?;
            println!(
                "  paced alone p50 {:.2} ms, p99 {:.2} ms · beside callers answered at once p50 {:.2} ms, p99 {:.2} ms · beside {:.0} waiting on the model p50 {:.2} ms, p99 {:.2} ms (their model turn p50 {:.0} ms, p99 {:.0} ms)",
                measured.alone.p50_ms,
                measured.alone.p99_ms,
                measured.answered_at_once.paced.p50_ms,
                measured.answered_at_once.paced.p99_ms,
                measured.waiting.mean_waiting,
                measured.waiting.paced.p50_ms,
                measured.waiting.paced.p99_ms,
                measured.waiting.model_callers.model_turn_p50_ms.unwrap_or(f64::NAN),
                measured.waiting.model_callers.model_turn_p99_ms.unwrap_or(f64::NAN),
            );
            isolation.push(measured);
        }
    }
    let table = render(&cpu, &isolation, &args);
    println!("\n{table}");
    if let Some(path) = &args.write_docs {
        write_section(path, "model", "Language model turns", &table)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// Turns `enable_realtime_voice` off for the bench's shop.
async fn realtime_off(gateway: &Gateway) -> Result<(), Failure> {
    let path = format!("/admin/tenants/{TENANT}/flags/enable_realtime_voice");
    let (status, body) = gateway.admin()?.put(&path, &serde_json::json!({"enabled": false})).await?;
    if status != 200 {
        return Err(Failure::Usage(format!("error: turning realtime voice off for {TENANT}: {status} {body}")));
    }
    Ok(())
}

/// Starts a gateway using the fake model, runs `work` on it, stops it.
async fn with_gateway<T>(
    binary: &Path,
    postgres: Option<&str>,
    fake: &FakeOpenAi,
    work: impl AsyncFnOnce(&Gateway) -> Result<T, Failure>,
) -> Result<T, Failure> {
    let gateway = Gateway::start(binary, postgres, &fake.gateway_env()).await?;
    // The turn-by-turn path's model is measured: the shop (Pro, with a key
    // configured) would otherwise open a realtime voice session per call.
    if let Err(failure) = realtime_off(&gateway).await {
        gateway.stop();
        return Err(failure);
    }
    let result = work(&gateway).await;
    gateway.stop();
    result
}

async fn cpu_round(
    binary: &Path,
    store: &'static str,
    postgres: Option<&str>,
    fake: &FakeOpenAi,
    calls: usize,
    model_first: bool,
) -> Result<CpuRound, Failure> {
    fake.set_delay(Duration::ZERO);
    // Each run on its own gateway: a fresh database has free slots for
    // about 200 haircuts spaced apart, not for both runs.
    let run = async |script: CallScript| {
        with_gateway(binary, postgres, fake, async |gateway: &Gateway| {
            booking_run(gateway, fake, WARM_UP_CALLS, script).await?;
            booking_run(gateway, fake, calls, script).await
        })
        .await
    };
    let ((rules, _), (model, model_requests)) = if model_first {
        let model = run(CallScript::BookingThroughModel).await?;
        (run(CallScript::BookingOffered).await?, model)
    } else {
        let rules = run(CallScript::BookingOffered).await?;
        (rules, run(CallScript::BookingThroughModel).await?)
    };
    Ok(CpuRound { store, rules, model, model_requests })
}

/// `calls` calls of a booking script back to back, 100 in flight; each
/// call's slot goes to the fake model when the model is to book it.
/// Checks that every call booked and that the model was asked exactly once
/// per call that goes through it (and never otherwise); returns the report
/// and how often the model was asked.
async fn booking_run(
    gateway: &Gateway,
    fake: &FakeOpenAi,
    calls: usize,
    script: CallScript,
) -> Result<(LoadReport, u64), Failure> {
    let plan = plan_calls(&gateway.admin()?, TENANT, SERVICE, calls).await?;
    if script.model_turn().is_some() {
        fake.book_in_order(plan.starts.iter().filter_map(|start| Slot::from_start(start)).collect());
    }
    let before = fake.counts();
    let report = drive(&gateway.load_options(calls, Duration::ZERO, script), plan).await?;
    let asked = fake.counts().chat_requests - before.chat_requests;
    let expected = if script.model_turn().is_some() { calls as u64 } else { 0 };
    check_model_requests(fake, asked, expected)?;
    report.all_succeeded()?;
    Ok((report, asked))
}

/// The model was asked `expected` times, offered the booking tool each
/// time, and nothing else of it was asked.
fn check_model_requests(fake: &FakeOpenAi, asked: u64, expected: u64) -> Result<(), Failure> {
    let counts = fake.counts();
    if counts.without_the_tool > 0 {
        let (tool, _) = booking_tool_call(&Slot { date: String::new(), time: None });
        return Err(Failure::Refused(format!(
            "error: the gateway offers the model no tool named {tool} (it offers {:?}); change `booking_tool_call` in apps/adminctl/src/bench_model/fake_openai.rs",
            fake.last_offered_tools()
        )));
    }
    if counts.other_requests > 0 {
        return Err(Failure::Refused(format!(
            "error: the gateway asked the fake model {} request(s) other than chat completions",
            counts.other_requests
        )));
    }
    if asked != expected {
        return Err(Failure::Refused(format!(
            "error: the model was asked {asked} times where {expected} calls needed it (the rules placed the words, or the model's answer was not used)"
        )));
    }
    Ok(())
}

/// The runs of an isolation round.
#[derive(Debug, Clone, Copy)]
enum IsolationRun {
    Alone,
    AnsweredAtOnce,
    Waiting,
}

async fn isolation_round(
    binary: &Path,
    store: &'static str,
    postgres: Option<&str>,
    fake: &FakeOpenAi,
    model_delay: Duration,
    round: usize,
) -> Result<IsolationRound, Failure> {
    let paced = Duration::from_millis(1000);
    let on_a_fresh_gateway =
        async |run: IsolationRun| -> Result<(IsolationRun, Option<LoadReport>, Option<Beside>), Failure> {
            with_gateway(binary, postgres, fake, async |gateway: &Gateway| {
                fake.set_delay(Duration::ZERO);
                let plan = plan_calls(&gateway.admin()?, TENANT, SERVICE, WARM_UP_CALLS).await?;
                let warm_up = gateway.load_options(WARM_UP_CALLS, Duration::ZERO, CallScript::Booking);
                drive(&warm_up, plan).await?.all_succeeded()?;
                match run {
                    IsolationRun::Alone => {
                        let plan = plan_calls(&gateway.admin()?, TENANT, SERVICE, CONCURRENCY).await?;
                        let report =
                            drive(&gateway.load_options(CONCURRENCY, paced, CallScript::Booking), plan).await?;
                        report.all_succeeded()?;
                        Ok((run, Some(report), None))
                    }
                    IsolationRun::AnsweredAtOnce => {
                        let beside = beside_model_callers(gateway, fake, paced, model_delay, Duration::ZERO).await?;
                        Ok((run, None, Some(beside)))
                    }
                    IsolationRun::Waiting => {
                        let beside = beside_model_callers(gateway, fake, paced, model_delay, model_delay).await?;
                        Ok((run, None, Some(beside)))
                    }
                }
            })
            .await
        };
    // The order turns each round, so drift in the machine's load hits each run alike.
    let mut order = [IsolationRun::Alone, IsolationRun::AnsweredAtOnce, IsolationRun::Waiting];
    let runs = order.len();
    order.rotate_left(round % runs);
    let (mut alone, mut answered_at_once, mut waiting) = (None, None, None);
    for run in order {
        match on_a_fresh_gateway(run).await? {
            (IsolationRun::Alone, report, _) => alone = report,
            (IsolationRun::AnsweredAtOnce, _, beside) => answered_at_once = beside,
            (IsolationRun::Waiting, _, beside) => waiting = beside,
        }
    }
    match (alone, answered_at_once, waiting) {
        (Some(alone), Some(answered_at_once), Some(waiting)) => {
            Ok(IsolationRound { store, alone, answered_at_once, waiting })
        }
        _ => Err(Failure::Usage("error: an isolation run gave no report".to_owned())),
    }
}

/// 100 paced booking calls beside callers who reach the model, the model
/// answering after `answer` (see [`ModelCallers`]). Those callers (greeting,
/// a pause, the words only the model places, to which it gives a day
/// without a time, hang up) start a cycle earlier and keep coming until
/// after the paced calls are done.
async fn beside_model_callers(
    gateway: &Gateway,
    fake: &FakeOpenAi,
    paced: Duration,
    model_delay: Duration,
    answer: Duration,
) -> Result<Beside, Failure> {
    let admin = gateway.admin()?;
    let mut booking = plan_calls(&admin, TENANT, SERVICE, CONCURRENCY + DAYS_APART).await?;
    // The model gives the callers a day without a time, days after the
    // paced calls' slots: the rules offer an opening that day (nothing is
    // held until the caller accepts) and the caller hangs up.
    let last = booking.starts.last().cloned().unwrap_or_default();
    let day = Slot::day_of(&last)
        .ok_or_else(|| Failure::Refused(format!("error: the availability API gave {last:?}, not an RFC 3339 start")))?;
    fake.book_always(day);
    fake.set_delay(answer);
    booking.starts.truncate(CONCURRENCY);
    let callers = ModelCallers::new(paced, model_delay, answer);
    let callers_plan = CallPlan { number: booking.number.clone(), starts: vec![last; callers.calls] };
    let mut callers_options = gateway.load_options(callers.calls, paced, CallScript::ModelTurnThenHangUp);
    callers_options.concurrency = callers.at_once;
    let before = fake.counts();
    let paced_done = Cell::new(false);
    let callers_run = drive(&callers_options, callers_plan);
    let paced_run = async {
        // Once the callers are under way.
        tokio::time::sleep(callers.cycle).await;
        let run = async {
            let report = drive(&gateway.load_options(CONCURRENCY, paced, CallScript::Booking), booking).await;
            paced_done.set(true);
            report
        };
        let sample = async {
            let mut samples: Vec<f64> = Vec::new();
            while !paced_done.get() {
                samples.push(fake.in_flight() as f64);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            samples
        };
        tokio::join!(run, sample)
    };
    let (model_callers, (paced, samples)) = tokio::join!(callers_run, paced_run);
    let (model_callers, paced) = (model_callers?, paced?);
    let asked = fake.counts().chat_requests - before.chat_requests;
    check_model_requests(fake, asked, callers.calls as u64)?;
    paced.all_succeeded()?;
    model_callers.all_succeeded()?;
    let mean_waiting = samples.iter().sum::<f64>() / samples.len().max(1) as f64;
    Ok(Beside { paced, model_callers, mean_waiting, callers })
}

fn render(cpu: &[CpuRound], isolation: &[IsolationRound], args: &BenchModelArgs) -> String {
    let rounds = args.rounds.max(1);
    let (tool, example) = booking_tool_call(&Slot { date: "YYYY-MM-DD".to_owned(), time: Some("HH:MM".to_owned()) });
    let mut out = String::new();
    out.push_str(&format!(
        "`just bench-model` (`adminctl bench-model --calls {} --rounds {rounds} --model-delay-ms {}{}`), measured {} on this 2-core machine (the load generator, the fake model and PostgreSQL share its cores with the gateway). \
         The model is a fake OpenAI-compatible server inside adminctl (`POST /v1/chat/completions`, streamed as OpenAI streams it (`chat.completion.chunk` events, the arguments in pieces, the usage chunk), one call of `{tool}` with `{example}`, the call's free slot); \
         the gateway reaches it through its real adapter (`FRONTDESK_OPENAI_BASE_URL`), so its prompt, tools, parsing and metering all run. \
         Every run starts a fresh gateway on a fresh database and warms it up with 20 calls; CPU is the gateway process's user + system time from /proc.\n\n",
        args.calls,
        args.model_delay_ms,
        if args.postgres.is_some() { " --postgres URL" } else { "" },
        chrono::Utc::now().format("%Y-%m-%d"),
    ));
    out.push_str(&format!(
        "**CPU per model turn.** Saturation, {} calls per run, 100 in flight, no pauses, the model answering at once; two scripts with the same six requests: greeting; a request; \"yes please\" to the opening offered; the name when asked (\"Load Tester\"); \"yes please\" to the read-back; goodbye. \
         The rules place \"I'd like to book a haircut on December 3 after 14:30\"; only the model places \"{INDIRECT_REQUEST}\" (the fake answers with the call's slot). \
         The two runs of a round alternate in order; medians of {rounds} rounds.\n\n",
        args.calls
    ));
    out.push_str("| store | request placed by | CPU per call | CPU per request | model requests |\n");
    out.push_str("|---|---|---:|---:|---:|\n");
    for store in stores_in(cpu.iter().map(|round| round.store)) {
        let mine: Vec<&CpuRound> = cpu.iter().filter(|round| round.store == store).collect();
        let calls: usize = mine.iter().map(|round| round.model.calls).sum();
        let asked: u64 = mine.iter().map(|round| round.model_requests).sum();
        for (label, reports, asked) in [
            ("the rules", mine.iter().map(|round| &round.rules).collect::<Vec<_>>(), "0".to_owned()),
            ("the model", mine.iter().map(|round| &round.model).collect(), format!("{asked} for {calls} calls")),
        ] {
            let per_call = median(reports.iter().filter_map(|r| r.cpu_ms_per_call()).collect());
            let per_request = median(reports.iter().filter_map(|r| r.cpu_ms_per_turn()).collect());
            out.push_str(&format!("| {store} | {label} | {per_call:.3} ms | {per_request:.3} ms | {asked} |\n"));
        }
        let added: Vec<f64> = mine.iter().filter_map(|round| round.added_ms()).collect();
        let each: Vec<String> = added.iter().map(|ms| format!("{ms:.3}")).collect();
        out.push_str(&format!(
            "| {store} | **added per model turn** | **{:.3} ms** (rounds: {}) | | |\n",
            median(added.clone()),
            each.join(", ")
        ));
    }
    let waiting = isolation.first().map(|round| round.waiting.callers);
    let at_once = isolation.first().map(|round| round.answered_at_once.callers);
    out.push_str(&format!(
        "\n**Calls waiting on a slow model.** 100 paced booking calls (greeting; \"I'd like to book a haircut on …, my name is …\"; \"yes please\"; goodbye; callers pausing 0.5-1.5 s between turns), each run on its own gateway: \
         alone; beside callers the model answers at once; and beside the same kind of callers, about 100 of whom are waiting {delay} ms on the model at any moment. \
         Those callers each say: greeting; a pause like the paced callers'; \"{INDIRECT_REQUEST}\", to which the model gives only a day, so the rules offer an opening that day (nothing is held before the caller accepts); hang up. \
         {waiting_at_once} of them at a time when they wait (a call lasts about {waiting_cycle} ms), {at_once_at_once} when answered at once (about {at_once_cycle} ms): the same requests per second, so the runs differ by the waits alone. \
         They start a call's length before the paced calls and keep coming until after them. The runs' order turns from round to round. \
         Latency is per webhook request, as Twilio sees it; \"waiting\" is the number of model requests the fake held open, averaged over the paced run; \"gateway CPU busy\" is the gateway's CPU time over the paced run's wall time (100 % is one core), the model callers' requests included; \"fillers\" counts their model turns slower than 1.5 s, which the gateway answers with a filler phrase and a redirect that the bench follows, as Twilio would.\n\n",
        delay = args.model_delay_ms,
        waiting_at_once = waiting.map_or(0, |callers| callers.at_once),
        waiting_cycle = waiting.map_or(0, |callers| callers.cycle.as_millis()),
        at_once_at_once = at_once.map_or(0, |callers| callers.at_once),
        at_once_cycle = at_once.map_or(0, |callers| callers.cycle.as_millis()),
    ));
    out.push_str("| store | round | paced calls alone: p50 / p99 | beside callers answered at once: p50 / p99 | beside callers waiting on the model: p50 / p99 | waiting | their model turn: p50 / p99 | gateway CPU busy: alone / at once / waiting |\n");
    out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for store in stores_in(isolation.iter().map(|round| round.store)) {
        for (index, round) in isolation.iter().filter(|round| round.store == store).enumerate() {
            out.push_str(&format!(
                "| {store} | {} | {:.2} / {:.2} ms | {:.2} / {:.2} ms | {:.2} / {:.2} ms | {:.0} | {:.0} / {:.0} ms, {} fillers | {:.0} % / {:.0} % / {:.0} % |\n",
                index + 1,
                round.alone.p50_ms,
                round.alone.p99_ms,
                round.answered_at_once.paced.p50_ms,
                round.answered_at_once.paced.p99_ms,
                round.waiting.paced.p50_ms,
                round.waiting.paced.p99_ms,
                round.waiting.mean_waiting,
                round.waiting.model_callers.model_turn_p50_ms.unwrap_or(f64::NAN),
                round.waiting.model_callers.model_turn_p99_ms.unwrap_or(f64::NAN),
                round.waiting.model_callers.slow_turns,
                busy_percent(&round.alone),
                busy_percent(&round.answered_at_once.paced),
                busy_percent(&round.waiting.paced),
            ));
        }
    }
    out
}

/// The gateway's CPU time over the run's wall time, in percent of one core
/// (everything it served in that time, the waiting calls included).
fn busy_percent(report: &LoadReport) -> f64 {
    report.gateway_cpu_seconds.map_or(f64::NAN, |cpu| cpu * 100.0 / report.seconds.max(f64::EPSILON))
}

/// The stores in the order first met.
fn stores_in(stores: impl Iterator<Item = &'static str>) -> Vec<&'static str> {
    let mut seen: Vec<&'static str> = Vec::new();
    for store in stores {
        if !seen.contains(&store) {
            seen.push(store);
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::ModelCallers;

    fn check(answer_ms: u64, at_once: usize, calls: usize, cycle_ms: u64) {
        let callers =
            ModelCallers::new(Duration::from_secs(1), Duration::from_secs(1), Duration::from_millis(answer_ms));
        assert_eq!(callers, ModelCallers { at_once, calls, cycle: Duration::from_millis(cycle_ms) });
    }

    #[test]
    fn about_100_callers_wait_at_once_and_the_control_sends_as_many_requests() {
        // 250 callers whose calls last 2.5 s, 1 s of it waiting: 100 waiting,
        // 200 requests a second.
        check(1000, 250, 1000, 2500);
        // Answered at once: 150 callers, calls of 1.5 s, 200 requests a second.
        check(0, 150, 900, 1500);
    }
}
