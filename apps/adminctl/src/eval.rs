//! `adminctl eval`: the conversation fixtures played against a real
//! OpenAI-compatible language model. The caller's lines come from each
//! fixture and the model decides whatever the rules ask it (the fixtures'
//! scripted `llm:` steps are ignored); each call runs on the call session
//! over in-memory stores (`frontdesk_routing::scenarios::MemoryLine`), so
//! nothing but the model is real and nothing is written anywhere.
//!
//! Prints how many fixtures still pass, and what the model cost them: calls,
//! tokens and dollars per phone call, and the latency a model turn adds.
//! Needs a model and a key, so CI never runs it against a real one.

use std::any::Any;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use frontdesk_billing::{PriceTable, TokenCount, TokenPrice};
use frontdesk_conversations::{Scenario, book_setup, play, scenario_files_in};
use frontdesk_llm::{LanguageModel, ModelError, ModelReply, ModelRequest, ModelUsage};
use frontdesk_routing::scenarios::{MemoryLine, demo_profile_in};
use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::client::Failure;
use crate::output;

/// `adminctl eval --scenarios DIR [--model M] [--base-url U] …`
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// The conversation fixtures to play (every `*.yaml` in the directory).
    #[arg(long, default_value = "fixtures/conversations")]
    scenarios: PathBuf,
    /// Where the demo shops the fixtures name are described (`SLUG.toml`).
    #[arg(long, default_value = "fixtures/tenants")]
    tenants: PathBuf,
    /// The chat model [default: FRONTDESK_OPENAI_CHAT_MODEL, else gpt-5.6-luna].
    #[arg(long, env = "FRONTDESK_OPENAI_CHAT_MODEL")]
    model: Option<String>,
    /// Any OpenAI-compatible API, ending in its version
    /// [default: FRONTDESK_OPENAI_BASE_URL, else https://api.openai.com/v1].
    #[arg(long, env = "FRONTDESK_OPENAI_BASE_URL")]
    base_url: Option<String>,
    /// Only the fixtures whose file names start so (`75-,76-`).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Fixtures played at once.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Exit 1 when fewer fixtures than this share pass (0 to 1; 0 never fails).
    #[arg(long, default_value_t = 0.0)]
    min_pass_rate: f64,
}

pub async fn run(args: EvalArgs, json_output: bool) -> Result<(), Failure> {
    let evaluation = Evaluation::from_args(args)?;
    let results = {
        // A failing fixture is a panic in its task (the player asserts);
        // its message is reported below, not printed as a crash.
        let _quiet = QuietPanics::install();
        play_all(&evaluation).await
    };
    let report = Report::new(&evaluation, results);
    if json_output {
        output::print_json(&report.to_json());
    } else {
        report.print();
    }
    if report.pass_rate() < evaluation.min_pass_rate {
        // Exit 1, as for anything else that ran and said no.
        return Err(Failure::Refused(format!(
            "error: {:.1}% of the fixtures passed, below --min-pass-rate {:.1}%",
            report.pass_rate() * 100.0,
            evaluation.min_pass_rate * 100.0
        )));
    }
    Ok(())
}

/// What to play, against what, at what price: every usage problem found
/// before a model is asked anything.
struct Evaluation {
    files: Vec<PathBuf>,
    tenants: PathBuf,
    model: Arc<dyn LanguageModel>,
    model_name: String,
    base_url: String,
    price: TokenPrice,
    concurrency: usize,
    min_pass_rate: f64,
}

impl Evaluation {
    fn from_args(args: EvalArgs) -> Result<Evaluation, Failure> {
        let api_key =
            std::env::var("FRONTDESK_OPENAI_API_KEY").ok().filter(|key| !key.trim().is_empty()).ok_or_else(|| {
                Failure::Usage(
                    "error: FRONTDESK_OPENAI_API_KEY is not set; eval asks a real model with it \
                     (for a local server such as Ollama or llama.cpp, any value works)"
                        .into(),
                )
            })?;
        if args.concurrency == 0 {
            return Err(Failure::Usage("error: --concurrency must be at least 1".into()));
        }
        if !(0.0..=1.0).contains(&args.min_pass_rate) {
            return Err(Failure::Usage("error: --min-pass-rate is a share between 0 and 1 (0.9 for 90%)".into()));
        }
        let model_name = args.model.unwrap_or_else(|| frontdesk_openai::DEFAULT_CHAT_MODEL.to_owned());
        let base_url = args.base_url.unwrap_or_else(|| frontdesk_openai::DEFAULT_BASE_URL.to_owned());
        let prices = PriceTable::standard()
            .with_overrides(&std::env::var("FRONTDESK_AI_PRICES").unwrap_or_default())
            .map_err(|e| Failure::Usage(format!("error: FRONTDESK_AI_PRICES: {e}")))?;
        let price = prices.price(&model_name).ok_or_else(|| {
            Failure::Usage(format!(
                "error: no price for the model {model_name:?}; add one with \
                 FRONTDESK_AI_PRICES=\"{model_name}=INPUT/CACHED/OUTPUT\" (US dollars per million tokens; 0 for a local model)"
            ))
        })?;
        let files = fixtures(&args.scenarios, &args.only)?;
        if !args.tenants.is_dir() {
            return Err(Failure::Usage(format!(
                "error: --tenants {}: not a directory of shop profiles (fixtures/tenants)",
                args.tenants.display()
            )));
        }
        // As the gateway configures it: a phone turn's deadline, no retry.
        let config = frontdesk_openai::OpenAiConfig {
            base_url: base_url.clone(),
            chat_model: model_name.clone(),
            timeout: frontdesk_routing::dialogue::MODEL_DEADLINE,
            retries: 0,
            ..frontdesk_openai::OpenAiConfig::new(api_key)
        };
        let model = frontdesk_openai::OpenAi::new(config).map_err(|e| Failure::Usage(format!("error: {e}")))?;
        Ok(Evaluation {
            files,
            tenants: args.tenants,
            model: Arc::new(model),
            model_name,
            base_url,
            price,
            concurrency: args.concurrency,
            min_pass_rate: args.min_pass_rate,
        })
    }
}

/// The fixtures of `dir` whose names start with one of `only` (all without it).
fn fixtures(dir: &Path, only: &[String]) -> Result<Vec<PathBuf>, Failure> {
    let files =
        scenario_files_in(dir).map_err(|e| Failure::Usage(format!("error: --scenarios {}: {e}", dir.display())))?;
    let only: Vec<&str> = only.iter().map(|p| p.trim()).filter(|p| !p.is_empty()).collect();
    let chosen: Vec<PathBuf> = files
        .into_iter()
        .filter(|file| only.is_empty() || only.iter().any(|prefix| file_name(file).starts_with(prefix)))
        .collect();
    if chosen.is_empty() {
        let which = if only.is_empty() { String::new() } else { format!(" matching --only {}", only.join(",")) };
        return Err(Failure::Usage(format!("error: no fixture (*.yaml) in {}{which}", dir.display())));
    }
    Ok(chosen)
}

fn file_name(path: &Path) -> String {
    path.file_name().and_then(|name| name.to_str()).unwrap_or("?").to_owned()
}

/// How one model call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CallEnd {
    Answered,
    /// Not answered by the deadline: the caller heard the rules instead.
    TimedOut,
    /// Any other error (refused, unavailable, an unusable reply).
    Failed,
}

/// One model call, as the measuring model saw it.
#[derive(Debug, Clone, Copy)]
struct ModelCall {
    latency: Duration,
    usage: ModelUsage,
    end: CallEnd,
}

/// The real model behind a fixture's line, recording every call it passes
/// on: how long it took, the tokens it used, how it ended. It outlives the
/// fixture's task, so a fixture that fails still reports what it cost.
struct MeasuredModel {
    model: Arc<dyn LanguageModel>,
    calls: Mutex<Vec<ModelCall>>,
    /// The fixture's caller turns, once it is read.
    caller_turns: AtomicUsize,
}

impl MeasuredModel {
    fn calls(&self) -> Vec<ModelCall> {
        self.calls.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

#[async_trait]
impl LanguageModel for MeasuredModel {
    fn model_id(&self) -> &str {
        self.model.model_id()
    }

    async fn respond(&self, request: &ModelRequest) -> Result<ModelReply, ModelError> {
        let started = Instant::now();
        let answered = self.model.respond(request).await;
        let latency = started.elapsed();
        let (usage, end) = match &answered {
            Ok(reply) => (reply.usage, CallEnd::Answered),
            // The adapter reports a passed deadline as unavailable.
            Err(ModelError::Timeout) => (ModelUsage::default(), CallEnd::TimedOut),
            Err(_) if latency >= request.deadline => (ModelUsage::default(), CallEnd::TimedOut),
            Err(_) => (ModelUsage::default(), CallEnd::Failed),
        };
        self.calls.lock().unwrap_or_else(PoisonError::into_inner).push(ModelCall { latency, usage, end });
        answered
    }
}

/// One fixture played.
struct FixtureResult {
    name: String,
    /// The first line of why it failed; `None`: it passed.
    failure: Option<String>,
    caller_turns: usize,
    calls: Vec<ModelCall>,
}

/// Plays every fixture, at most `evaluation.concurrency` at once, each in its own
/// task so that one failing (a panicking assertion) fails only itself.
async fn play_all(evaluation: &Evaluation) -> Vec<FixtureResult> {
    let mut waiting = evaluation.files.iter();
    let mut running = JoinSet::new();
    let mut playing: HashMap<tokio::task::Id, (String, Arc<MeasuredModel>)> = HashMap::new();
    let mut results = Vec::new();
    loop {
        while running.len() < evaluation.concurrency {
            let Some(file) = waiting.next() else { break };
            let measured = Arc::new(MeasuredModel {
                model: evaluation.model.clone(),
                calls: Mutex::default(),
                caller_turns: AtomicUsize::new(0),
            });
            let task = running.spawn(play_one(file.clone(), evaluation.tenants.clone(), measured.clone()));
            playing.insert(task.id(), (file_name(file), measured));
        }
        let Some(joined) = running.join_next_with_id().await else { break };
        let (id, failure) = match joined {
            Ok((id, ())) => (id, None),
            Err(error) => (error.id(), Some(failure_reason(error))),
        };
        let Some((name, measured)) = playing.remove(&id) else { continue };
        let failure = failure.map(|reason| first_line(&name, &reason));
        let caller_turns = measured.caller_turns.load(Ordering::Relaxed);
        results.push(FixtureResult { name, failure, caller_turns, calls: measured.calls() });
    }
    results.sort_by(|a, b| a.name.cmp(&b.name));
    results
}

/// One fixture on a line whose model is `model`; panics (in its own task)
/// at the first expectation the call does not meet.
async fn play_one(file: PathBuf, tenants: PathBuf, model: Arc<MeasuredModel>) {
    let name = file_name(&file);
    let scenario = Scenario::load(&file);
    let turns = scenario.turns.iter().filter(|turn| !turn.repeat_last_request).count();
    model.caller_turns.store(turns, Ordering::Relaxed);
    let profile = demo_profile_in(&tenants, &scenario.tenant).unwrap_or_else(|e| panic!("{e:#}"));
    let mut line = MemoryLine::with_model(profile.clone(), &scenario, model).await;
    let setup = book_setup(line.bookings.as_ref(), &profile, &scenario).await;
    play(&name, &scenario, &profile, &setup, &mut line).await;
}

/// A task's panic message (what the failed assertion said).
fn failure_reason(error: tokio::task::JoinError) -> String {
    if !error.is_panic() {
        return "the fixture's task was cancelled".to_owned();
    }
    let payload: Box<dyn Any + Send> = error.into_panic();
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => payload.downcast_ref::<&str>().map_or("a panic without a message", |m| m).to_owned(),
    }
}

/// The first line of a failure, without the fixture's name the player puts first.
fn first_line(name: &str, reason: &str) -> String {
    let line = reason.lines().next().unwrap_or("").trim();
    line.strip_prefix(name).and_then(|rest| rest.strip_prefix(": ")).unwrap_or(line).to_owned()
}

/// While it lives, panics print nothing (the failing fixtures' assertions
/// are reported in the summary); the previous hook is back afterwards.
struct QuietPanics {
    previous: Option<PanicHook>,
}

/// What `std::panic::take_hook` hands back.
type PanicHook = Box<dyn Fn(&std::panic::PanicHookInfo<'_>) + Send + Sync + 'static>;

impl QuietPanics {
    fn install() -> QuietPanics {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        QuietPanics { previous: Some(previous) }
    }
}

impl Drop for QuietPanics {
    fn drop(&mut self) {
        // Setting a hook while this thread panics would abort.
        if let Some(previous) = self.previous.take()
            && !std::thread::panicking()
        {
            std::panic::set_hook(previous);
        }
    }
}

/// What the run measured.
struct Report {
    model: String,
    base_url: String,
    fixtures: Vec<FixtureReport>,
    /// Every model call's latency, sorted.
    latencies: Vec<Duration>,
    errors: usize,
    timeouts: usize,
}

struct FixtureReport {
    name: String,
    failure: Option<String>,
    caller_turns: usize,
    model_calls: usize,
    tokens: TokenCount,
    cost_micros: i64,
}

impl Report {
    fn new(evaluation: &Evaluation, results: Vec<FixtureResult>) -> Report {
        let mut latencies: Vec<Duration> = results.iter().flat_map(|r| r.calls.iter().map(|c| c.latency)).collect();
        latencies.sort();
        let ends = || results.iter().flat_map(|r| r.calls.iter().map(|c| c.end));
        let errors = ends().filter(|end| *end != CallEnd::Answered).count();
        let timeouts = ends().filter(|end| *end == CallEnd::TimedOut).count();
        let fixtures = results
            .iter()
            .map(|result| {
                let counts = result.calls.iter().map(|call| {
                    TokenCount::text(call.usage.input_tokens, call.usage.cached_input_tokens, call.usage.output_tokens)
                });
                // Each call priced on its own, rounded up, as the meter does.
                let cost_micros = counts.clone().map(|count| count.cost_micros(evaluation.price)).sum();
                let tokens = counts.fold(TokenCount::default(), |sum, count| sum + count);
                FixtureReport {
                    name: result.name.clone(),
                    failure: result.failure.clone(),
                    caller_turns: result.caller_turns,
                    model_calls: result.calls.len(),
                    tokens,
                    cost_micros,
                }
            })
            .collect();
        Report {
            model: evaluation.model_name.clone(),
            base_url: evaluation.base_url.clone(),
            fixtures,
            latencies,
            errors,
            timeouts,
        }
    }

    fn passed(&self) -> usize {
        self.fixtures.iter().filter(|f| f.failure.is_none()).count()
    }

    fn pass_rate(&self) -> f64 {
        ratio(self.passed() as f64, self.fixtures.len())
    }

    /// The mean over the fixtures (each one phone call) of `value`.
    fn per_call(&self, value: impl Fn(&FixtureReport) -> f64) -> f64 {
        ratio(self.fixtures.iter().map(value).sum(), self.fixtures.len())
    }

    fn model_calls(&self) -> usize {
        self.fixtures.iter().map(|f| f.model_calls).sum()
    }

    fn caller_turns(&self) -> usize {
        self.fixtures.iter().map(|f| f.caller_turns).sum()
    }

    fn max_cost_micros(&self) -> i64 {
        self.fixtures.iter().map(|f| f.cost_micros).max().unwrap_or(0)
    }

    /// The nearest-rank percentile of the model calls' latencies.
    fn latency(&self, percentile: f64) -> Option<Duration> {
        let rank = (percentile * self.latencies.len() as f64).ceil() as usize;
        self.latencies.get(rank.saturating_sub(1)).copied()
    }

    fn to_json(&self) -> Value {
        let millis = |latency: Option<Duration>| latency.map(|l| l.as_millis() as u64);
        json!({
            "model": self.model,
            "base_url": self.base_url,
            "fixtures": self.fixtures.len(),
            "passed": self.passed(),
            "pass_rate": self.pass_rate(),
            "failed": self.fixtures.iter().filter_map(|f| f.failure.as_ref().map(|reason| json!({
                "fixture": f.name, "reason": reason,
            }))).collect::<Vec<_>>(),
            "caller_turns": self.caller_turns(),
            "model_calls": self.model_calls(),
            "per_call": {
                "model_calls": self.per_call(|f| f.model_calls as f64),
                "input_tokens": self.per_call(|f| f.tokens.input as f64),
                "cached_input_tokens": self.per_call(|f| f.tokens.cached_input as f64),
                "output_tokens": self.per_call(|f| f.tokens.output as f64),
                "cost_micros": self.per_call(|f| f.cost_micros as f64),
                "max_cost_micros": self.max_cost_micros(),
                "cost_usd": self.per_call(|f| f.cost_micros as f64) / 1e6,
                "max_cost_usd": self.max_cost_micros() as f64 / 1e6,
            },
            "model_latency_ms": {"p50": millis(self.latency(0.50)), "p95": millis(self.latency(0.95))},
            "model_errors": self.errors,
            "model_timeouts": self.timeouts,
            "calls": self.fixtures.iter().map(|f| json!({
                "fixture": f.name,
                "passed": f.failure.is_none(),
                "failure": f.failure,
                "caller_turns": f.caller_turns,
                "model_calls": f.model_calls,
                "input_tokens": f.tokens.input,
                "cached_input_tokens": f.tokens.cached_input,
                "output_tokens": f.tokens.output,
                "cost_micros": f.cost_micros,
            })).collect::<Vec<_>>(),
        })
    }

    fn print(&self) {
        println!("model {} at {}", self.model, self.base_url);
        println!("fixtures passed: {}/{} ({:.1}%)", self.passed(), self.fixtures.len(), self.pass_rate() * 100.0);
        let failed: Vec<&FixtureReport> = self.fixtures.iter().filter(|f| f.failure.is_some()).collect();
        if !failed.is_empty() {
            println!("failed:");
            for fixture in failed {
                println!("  {}: {}", fixture.name, fixture.failure.as_deref().unwrap_or(""));
            }
        }
        println!(
            "model calls per call: {:.2} ({} over {} caller turns: {:.1}%)",
            self.per_call(|f| f.model_calls as f64),
            self.model_calls(),
            self.caller_turns(),
            ratio(self.model_calls() as f64, self.caller_turns()) * 100.0
        );
        println!(
            "tokens per call: {:.1} input ({:.1} cached), {:.1} output",
            self.per_call(|f| f.tokens.input as f64),
            self.per_call(|f| f.tokens.cached_input as f64),
            self.per_call(|f| f.tokens.output as f64)
        );
        println!(
            "cost per call: ${:.6} mean, ${:.6} max",
            self.per_call(|f| f.cost_micros as f64) / 1e6,
            self.max_cost_micros() as f64 / 1e6
        );
        match (self.latency(0.50), self.latency(0.95)) {
            (Some(p50), Some(p95)) => {
                println!("model turn latency: p50 {} ms, p95 {} ms", p50.as_millis(), p95.as_millis())
            }
            _ => println!("model turn latency: no model calls"),
        }
        println!("model errors: {} (timeouts: {})", self.errors, self.timeouts);
    }
}

/// `part / whole`, 0 for nothing.
fn ratio(part: f64, whole: usize) -> f64 {
    if whole == 0 { 0.0 } else { part / whole as f64 }
}
