//! `adminctl eval` against a fake OpenAI server (wiremock) that plays the
//! fixtures' own scripted `llm:` steps over the wire: real fixtures, the
//! real adapter, and what the run prints.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use tokio::process::Command;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub(crate) struct Run {
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// adminctl with only `env` set.
pub(crate) async fn adminctl(env: &[(&str, &str)], args: &[&str]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_adminctl"));
    command.env_clear().envs(env.iter().copied()).args(args);
    let output = command.output().await.unwrap_or_else(|e| panic!("{e}"));
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn fixtures_dir(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures").join(kind)
}

/// Two fixtures the rules serve alone, one that needs the model (an
/// indirect booking), and one the fake answers wrongly (with the booking's
/// step instead of its own), so that it fails.
const FIXTURES: [&str; 4] = [
    "15-ask-hours-then-goodbye.yaml",
    "17-ask-a-price.yaml",
    "75-model-indirect-booking.yaml",
    "79-model-question-not-in-the-shops-facts.yaml",
];

fn fixture(name: &str) -> Value {
    let text = std::fs::read_to_string(fixtures_dir("conversations").join(name)).unwrap_or_else(|e| panic!("{e}"));
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A temporary scenarios directory with copies of [`FIXTURES`].
fn scenarios() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for name in FIXTURES {
        std::fs::copy(fixtures_dir("conversations").join(name), dir.path().join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    dir
}

/// The turns the caller speaks in a fixture (a repeated request is not one).
fn caller_turns(fixture: &Value) -> usize {
    fixture["turns"].as_array().into_iter().flatten().filter(|turn| turn["repeat_last_request"] != true).count()
}

/// A model on the wire that answers what a fixture's `llm:` steps say for
/// the caller's latest words (the first step, then the next after each
/// answer of the model that request carries), each with 812 prompt tokens
/// (768 of them cached) and 23 completion tokens; anything unscripted is a
/// 503, as a scripted model without a reply is unavailable.
struct FixtureModel {
    /// A caller's line, and the steps scripted for it.
    steps: HashMap<String, Vec<Value>>,
    answered: Arc<AtomicUsize>,
}

impl FixtureModel {
    fn reply(step: &Value) -> Option<Value> {
        if step["fails"] == true {
            return None;
        }
        let tool_calls: Vec<Value> = step["tool"]
            .as_str()
            .map(|tool| {
                let arguments = serde_json::to_string(&step["arguments"]).unwrap_or_default();
                json!({"id": format!("call_{tool}"), "type": "function",
                    "function": {"name": tool, "arguments": arguments}})
            })
            .into_iter()
            .collect();
        let mut message = json!({"role": "assistant", "content": step["says"], "refusal": null});
        if !tool_calls.is_empty() {
            message["tool_calls"] = json!(tool_calls);
        }
        Some(json!({
            "id": "chatcmpl-eval", "object": "chat.completion", "created": 1_765_000_000, "model": "eval-model",
            "choices": [{"index": 0, "message": message,
                "finish_reason": if tool_calls.is_empty() { "stop" } else { "tool_calls" }}],
            "usage": {"prompt_tokens": 812, "completion_tokens": 23, "total_tokens": 835,
                "prompt_tokens_details": {"cached_tokens": 768}}
        }))
    }
}

impl Respond for FixtureModel {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = request.body_json().unwrap_or_default();
        let messages = body["messages"].as_array().cloned().unwrap_or_default();
        let latest = messages.iter().rposition(|message| message["role"] == "user").unwrap_or(messages.len());
        let said = messages.get(latest).and_then(|message| message["content"].as_str()).unwrap_or_default();
        let step_index = messages.iter().skip(latest).filter(|message| message["role"] == "assistant").count();
        let steps = self.steps.iter().find(|(caller, _)| !said.is_empty() && said.contains(caller.as_str()));
        match steps.and_then(|(_, steps)| steps.get(step_index)).and_then(FixtureModel::reply) {
            Some(reply) => {
                self.answered.fetch_add(1, Ordering::Relaxed);
                ResponseTemplate::new(200).set_body_json(reply)
            }
            None => ResponseTemplate::new(503).set_body_json(json!({"error": {"message": "not scripted"}})),
        }
    }
}

/// A turn's `llm:`: one step or several.
fn script(llm: &Value) -> Vec<Value> {
    match llm {
        Value::Array(steps) => steps.clone(),
        step => vec![step.clone()],
    }
}

/// The fake server, and how many requests it answered.
async fn fake_openai() -> (MockServer, Arc<AtomicUsize>) {
    let mut steps = HashMap::new();
    for name in FIXTURES {
        for turn in fixture(name)["turns"].as_array().into_iter().flatten() {
            if let (Some(caller), Some(llm)) = (turn["caller"].as_str(), turn.get("llm")) {
                steps.insert(caller.to_owned(), script(llm));
            }
        }
    }
    // 79's question gets 75's booking step: a wrong answer.
    let booking = script(&fixture(FIXTURES[2])["turns"][0]["llm"]);
    let question = fixture(FIXTURES[3])["turns"][0]["caller"].as_str().unwrap_or_default().to_owned();
    steps.insert(question, booking);
    let answered = Arc::new(AtomicUsize::new(0));
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", "Bearer sk-eval-test"))
        .respond_with(FixtureModel { steps, answered: answered.clone() })
        .mount(&server)
        .await;
    (server, answered)
}

/// $1 per million input tokens, $0.50 cached, $2 output: an answer of the
/// fake costs 44 × 1 + 768 × 0.5 + 23 × 2 = 474 micro-dollars.
const PRICES: &str = "eval-model=1/0.5/2";
const ANSWER_MICROS: u64 = 474;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eval_plays_the_fixtures_against_the_model_and_reports_pass_rate_calls_tokens_and_cost() {
    let (server, answered) = fake_openai().await;
    let scenarios = scenarios();
    let base_url = format!("{}/v1", server.uri());
    let env = [("FRONTDESK_OPENAI_API_KEY", "sk-eval-test"), ("FRONTDESK_AI_PRICES", PRICES)];
    let scenarios_arg = scenarios.path().to_str().unwrap_or_default();
    let tenants = fixtures_dir("tenants");
    let tenants_arg = tenants.to_str().unwrap_or_default();
    let args = [
        "eval",
        "--scenarios",
        scenarios_arg,
        "--tenants",
        tenants_arg,
        "--model",
        "eval-model",
        "--base-url",
        &base_url,
    ];

    let run = adminctl(&env, &[&args[..], &["--json"]].concat()).await;
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout));
    assert_eq!((report["model"].as_str(), report["base_url"].as_str()), (Some("eval-model"), Some(&*base_url)));
    assert_eq!((report["fixtures"].as_u64(), report["passed"].as_u64()), (Some(4), Some(3)));
    assert_eq!(report["pass_rate"], 0.75);
    let failed = report["failed"].as_array().cloned().unwrap_or_default();
    assert_eq!(failed.len(), 1, "{report:#}");
    assert_eq!(failed[0]["fixture"], FIXTURES[3]);
    let reason = failed[0]["reason"].as_str().unwrap_or_default();
    assert!(reason.starts_with("turn 0 (") && reason.contains("\"I don't know that\" not in"), "{reason}");

    // Every request the fake received is a model call; every one it
    // answered used its tokens; the rest are errors.
    let requests = server.received_requests().await.unwrap_or_default();
    let (calls, answers) = (requests.len() as u64, answered.load(Ordering::Relaxed) as u64);
    assert!(answers >= 2, "75 and 79 each asked the model: {report:#}");
    let turns: u64 = FIXTURES.iter().map(|name| caller_turns(&fixture(name)) as u64).sum();
    assert_eq!((report["model_calls"].as_u64(), report["caller_turns"].as_u64()), (Some(calls), Some(turns)));
    let per_call = &report["per_call"];
    assert_eq!(per_call["model_calls"].as_f64(), Some(calls as f64 / 4.0));
    assert_eq!(per_call["input_tokens"].as_f64(), Some((answers * 812) as f64 / 4.0));
    assert_eq!(per_call["cached_input_tokens"].as_f64(), Some((answers * 768) as f64 / 4.0));
    assert_eq!(per_call["output_tokens"].as_f64(), Some((answers * 23) as f64 / 4.0));
    assert_eq!(per_call["cost_micros"].as_f64(), Some((answers * ANSWER_MICROS) as f64 / 4.0));
    assert_eq!((report["model_errors"].as_u64(), report["model_timeouts"].as_u64()), (Some(calls - answers), Some(0)));
    let by_fixture: Vec<(&str, bool, u64, u64)> = report["calls"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            let name = c["fixture"].as_str().unwrap_or_default();
            let cost = c["cost_micros"].as_u64().unwrap_or(1);
            (name, c["passed"] == true, c["model_calls"].as_u64().unwrap_or(0), cost)
        })
        .collect();
    assert_eq!(by_fixture.len(), 4, "{report:#}");
    for (index, (name, passed, model_calls, cost)) in by_fixture.iter().enumerate() {
        assert_eq!((*name, *passed), (FIXTURES[index], index != 3));
        assert_eq!(*model_calls == 0, index < 2, "{name}: only 75 and 79 need the model: {report:#}");
        assert_eq!(cost % ANSWER_MICROS, 0, "{name}: whole answers of the fake: {report:#}");
    }
    let max_cost = by_fixture.iter().map(|f| f.3).max().unwrap_or(0);
    assert_eq!(per_call["max_cost_micros"].as_u64(), Some(max_cost));
    assert!(max_cost >= ANSWER_MICROS);
    assert_eq!(per_call["max_cost_usd"].as_f64(), Some(max_cost as f64 / 1e6));
    let p50 = report["model_latency_ms"]["p50"].as_u64().unwrap_or(u64::MAX);
    let p95 = report["model_latency_ms"]["p95"].as_u64().unwrap_or(u64::MAX);
    assert!(p50 <= p95 && p95 < 3_000, "{report:#}");
    // What went on the wire: the configured model, with the shop's instructions and tools.
    let sent: Value = requests[0].body_json().unwrap_or_default();
    assert_eq!(sent["model"], "eval-model");
    assert!(sent["tools"].as_array().is_some_and(|tools| !tools.is_empty()), "{sent}");

    let table = adminctl(&env, &args).await;
    assert_eq!(table.code, Some(0), "{}", table.stderr);
    let rate = |part: u64, whole: u64| part as f64 / whole as f64;
    for expected in [
        format!("model eval-model at {base_url}"),
        "fixtures passed: 3/4 (75.0%)".to_owned(),
        format!("  {}: turn 0 (", FIXTURES[3]),
        format!(
            "model calls per call: {:.2} ({calls} over {turns} caller turns: {:.1}%)",
            rate(calls, 4),
            rate(calls, turns) * 100.0
        ),
        format!(
            "tokens per call: {:.1} input ({:.1} cached), {:.1} output",
            rate(answers * 812, 4),
            rate(answers * 768, 4),
            rate(answers * 23, 4)
        ),
        format!(
            "cost per call: ${:.6} mean, ${:.6} max",
            rate(answers * ANSWER_MICROS, 4) / 1e6,
            max_cost as f64 / 1e6
        ),
        "model turn latency: p50 ".to_owned(),
        format!("model errors: {} (timeouts: 0)", calls - answers),
    ] {
        assert!(table.stdout.contains(&expected), "{expected:?} not in:\n{}", table.stdout);
    }
    assert!(
        !table.stderr.contains("panicked"),
        "failing fixtures are reported, not printed as crashes: {}",
        table.stderr
    );

    let only = adminctl(&env, &[&args[..], &["--only", "15-,17-", "--min-pass-rate", "1"]].concat()).await;
    assert_eq!(only.code, Some(0), "{}", only.stderr);
    assert!(only.stdout.contains("fixtures passed: 2/2 (100.0%)"), "{}", only.stdout);
    assert!(only.stdout.contains("model turn latency: no model calls"), "{}", only.stdout);
    let strict = adminctl(&env, &[&args[..], &["--min-pass-rate", "0.8"]].concat()).await;
    assert_eq!(strict.code, Some(1), "{}", strict.stderr);
    assert!(strict.stderr.contains("75.0% of the fixtures passed, below --min-pass-rate 80.0%"), "{}", strict.stderr);
}

/// Environment variables for a run.
type Env<'a> = Vec<(&'a str, &'a str)>;

#[tokio::test]
async fn eval_without_a_key_an_unpriced_model_or_fixtures_is_a_usage_error() {
    let scenarios = scenarios();
    let scenarios_arg = scenarios.path().to_str().unwrap_or_default();
    let tenants = fixtures_dir("tenants");
    let tenants_arg = tenants.to_str().unwrap_or_default();
    let key = ("FRONTDESK_OPENAI_API_KEY", "anything");
    // (environment, arguments, what stderr says)
    let cases: Vec<(Env, Vec<&str>, &str)> = vec![
        (vec![], vec!["eval"], "FRONTDESK_OPENAI_API_KEY is not set"),
        (vec![], vec!["eval"], "any value works"),
        (vec![("FRONTDESK_OPENAI_API_KEY", " ")], vec!["eval"], "FRONTDESK_OPENAI_API_KEY is not set"),
        (
            vec![key],
            vec!["eval", "--model", "my-local-model"],
            "FRONTDESK_AI_PRICES=\"my-local-model=INPUT/CACHED/OUTPUT\"",
        ),
        (vec![key, ("FRONTDESK_AI_PRICES", "oops")], vec!["eval"], "FRONTDESK_AI_PRICES: \"oops\""),
        (vec![key], vec!["eval", "--scenarios", "/nonexistent/fixtures"], "--scenarios /nonexistent/fixtures"),
        (vec![key], vec!["eval", "--scenarios", scenarios_arg, "--only", "99-"], "matching --only 99-"),
        (vec![key], vec!["eval", "--scenarios", scenarios_arg, "--tenants", "/nonexistent"], "--tenants /nonexistent"),
        (vec![key], vec!["eval", "--min-pass-rate", "90"], "between 0 and 1"),
        (
            vec![key],
            vec!["eval", "--scenarios", scenarios_arg, "--tenants", tenants_arg, "--base-url", "ftp://x"],
            "not an http(s) URL",
        ),
    ];
    for (env, args, expected) in cases {
        let run = adminctl(&env, &args).await;
        assert_eq!(run.code, Some(2), "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(expected), "{args:?}: {expected:?} not in {}", run.stderr);
    }
}
