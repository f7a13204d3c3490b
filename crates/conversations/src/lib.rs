//! Phone calls as data. Each `fixtures/conversations/*.yaml` file is one call
//! (see the README there); [`play`] runs it against any [`Line`] to a
//! receptionist and checks what the caller heard and what the call left
//! behind. `frontdesk-routing` plays them against its call session with
//! in-memory stores, the gateway through signed webhooks on SQLite and
//! PostgreSQL: one set of calls, every way of answering them. `adminctl
//! eval` plays them against a real language model.
//!
//! Test and evaluation support: no server depends on this crate.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use frontdesk_calendar::{
    Booking, BookingId, BookingSource, BookingStatus, BookingStore, ConfirmationCode, Customer, NewBooking,
};
use frontdesk_core::E164;
use frontdesk_tenant::TenantProfile;
use serde::Deserialize;

/// One call, as written in a fixture.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub description: String,
    pub tenant: String,
    pub caller: Option<String>,
    pub now: String,
    #[serde(default)]
    pub greeting_says: Vec<String>,
    #[serde(default)]
    pub setup: Vec<SetupBooking>,
    /// The tenant's plan for this call (the demo tenants are on pro).
    pub plan: Option<String>,
    /// Flag overrides for the tenant.
    #[serde(default)]
    pub flags: BTreeMap<String, bool>,
    /// The operator's minute cap.
    pub minute_cap: Option<i64>,
    /// Call minutes already used this month before the call.
    pub used_minutes: Option<i64>,
    #[serde(default)]
    pub turns: Vec<CallerTurn>,
    #[serde(default)]
    pub expect: Expect,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetupBooking {
    pub service: String,
    pub start: String,
    pub staff: Option<String>,
    pub name: String,
    pub phone: String,
    pub code: Option<String>,
}

/// What the caller does on one turn.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallerTurn {
    pub caller: Option<String>,
    pub digits: Option<String>,
    #[serde(default)]
    pub silence: bool,
    /// The provider delivers the previous request again.
    #[serde(default)]
    pub repeat_last_request: bool,
    #[serde(default)]
    pub says: Vec<String>,
    #[serde(default)]
    pub not_says: Vec<String>,
    /// What the language model answers if it is asked on this turn: one
    /// step, or the steps of a turn that goes back to the model (a tool
    /// result, an answered question, a refused tool). A turn without it:
    /// the model is unavailable, the rules answer.
    pub llm: Option<ModelScript>,
}

/// One scripted model step, or several in order.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ModelScript {
    One(ModelStep),
    Steps(Vec<ModelStep>),
}

impl ModelScript {
    /// The model's replies behind the port, in order.
    pub fn replies(&self) -> Vec<Result<frontdesk_llm::ModelReply, frontdesk_llm::ModelError>> {
        match self {
            ModelScript::One(step) => vec![step.reply()],
            ModelScript::Steps(steps) => steps.iter().map(ModelStep::reply).collect(),
        }
    }

    /// Whether some step calls a tool (the model acts on the turn).
    pub fn calls_a_tool(&self) -> bool {
        match self {
            ModelScript::One(step) => step.tool.is_some(),
            ModelScript::Steps(steps) => steps.iter().any(|step| step.tool.is_some()),
        }
    }
}

/// A scripted language model's answer: one tool call, text alone, or a
/// failure.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelStep {
    pub tool: Option<String>,
    #[serde(default)]
    pub arguments: serde_json::Value,
    pub says: Option<String>,
    #[serde(default)]
    pub fails: bool,
}

impl ModelStep {
    /// As the model's reply behind the port.
    pub fn reply(&self) -> Result<frontdesk_llm::ModelReply, frontdesk_llm::ModelError> {
        if self.fails {
            return Err(frontdesk_llm::ModelError::Timeout);
        }
        let tool_calls = self
            .tool
            .iter()
            .map(|name| frontdesk_llm::ToolCall {
                id: format!("call_{name}"),
                name: name.clone(),
                arguments: self.arguments.to_string(),
            })
            .collect();
        Ok(frontdesk_llm::ModelReply { text: self.says.clone(), tool_calls, usage: Default::default() })
    }
}

impl CallerTurn {
    /// The words spoken this turn (empty for silence or keypad only).
    pub fn speech(&self) -> &str {
        if self.silence { "" } else { self.caller.as_deref().unwrap_or("") }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub outcome: Option<String>,
    pub next: Option<String>,
    pub new_bookings: Option<Vec<ExpectedBooking>>,
    pub cancelled: Option<usize>,
    pub texts: Option<usize>,
    pub questions: Option<usize>,
    #[serde(default)]
    pub transcript_excludes: Vec<String>,
    /// How many turns the language model was asked.
    pub model_turns: Option<usize>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedBooking {
    pub service: String,
    pub start: String,
    pub staff: Option<String>,
    pub name: String,
    pub phone: String,
}

impl Scenario {
    /// Reads and parses one fixture; panics with the file's name on a bad one.
    pub fn load(file: &Path) -> Scenario {
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
    }

    /// The frozen clock of the call.
    pub fn now(&self) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&self.now)
            .unwrap_or_else(|e| panic!("now {:?}: {e}", self.now))
            .with_timezone(&Utc)
    }

    pub fn caller(&self) -> Option<E164> {
        self.caller.as_deref().map(|raw| E164::parse(raw).unwrap_or_else(|e| panic!("caller {raw:?}: {e}")))
    }
}

/// Every fixture of this workspace's `fixtures/conversations`, in
/// file-name order.
pub fn scenario_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/conversations");
    scenario_files_in(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
}

/// Every fixture (`*.yaml`) in `dir`, in file-name order.
pub fn scenario_files_in(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    Ok(files)
}

/// A local time of the shop (`2026-11-27T14:00`) as an instant.
pub fn local(profile: &TenantProfile, raw: &str) -> DateTime<Utc> {
    let naive = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M").unwrap_or_else(|e| panic!("{raw}: {e}"));
    profile.timezone().from_local_datetime(&naive).earliest().unwrap_or_else(|| panic!("{raw}")).with_timezone(&Utc)
}

/// What happens after the receptionist speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    Listen,
    Transfer,
    Voicemail,
    Hangup,
}

impl NextStep {
    pub fn as_str(self) -> &'static str {
        match self {
            NextStep::Listen => "listen",
            NextStep::Transfer => "transfer",
            NextStep::Voicemail => "voicemail",
            NextStep::Hangup => "hangup",
        }
    }
}

/// What the caller heard on one turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heard {
    pub said: String,
    pub next: NextStep,
}

/// What a call left behind.
#[derive(Debug, Clone, Default)]
pub struct AfterTheCall {
    /// The call record's outcome word (`booked`, `answered`, …).
    pub outcome: Option<String>,
    /// Every booking of the tenant around the call's day.
    pub bookings: Vec<Booking>,
    /// Texts queued to the caller about bookings.
    pub texts: usize,
    /// Unanswered questions recorded for the owner.
    pub questions: usize,
    /// The stored transcript, one utterance a line.
    pub transcript: String,
    /// How many times the language model was asked.
    pub model_turns: usize,
}

/// A phone line to a receptionist.
#[async_trait]
pub trait Line: Send {
    /// The call starts: the greeting.
    async fn dial(&mut self) -> Heard;
    /// The caller's turn: speech, keypad digits, or silence.
    async fn say(&mut self, turn: &CallerTurn) -> Heard;
    /// The provider delivers the previous request again.
    async fn repeat_last(&mut self) -> Heard;
    /// What the call left in the shop's records.
    async fn after(&mut self) -> AfterTheCall;
}

/// Writes the scenario's setup bookings through the booking store; returns their ids.
pub async fn book_setup(store: &dyn BookingStore, profile: &TenantProfile, scenario: &Scenario) -> Vec<BookingId> {
    let mut ids = Vec::new();
    for booking in &scenario.setup {
        let service =
            profile.service_by_phrase(&booking.service).unwrap_or_else(|| panic!("no service {}", booking.service));
        let start = local(profile, &booking.start);
        let end = start + Duration::minutes(i64::from(service.duration_minutes()));
        let new = NewBooking {
            id: BookingId::new(),
            code: booking.code.as_deref().and_then(ConfirmationCode::parse).unwrap_or_else(ConfirmationCode::generate),
            service: service.name().to_owned(),
            staff: booking.staff.clone(),
            start,
            end,
            occupied_until: end + Duration::minutes(i64::from(profile.booking().buffer_minutes)),
            customer: Customer {
                name: booking.name.clone(),
                phone: E164::parse(&booking.phone).unwrap_or_else(|e| panic!("{e}")),
            },
            source: BookingSource::Admin,
            idempotency_key: None,
            hold: None,
        };
        store
            .commit_booking(profile.slug(), &new, Vec::new(), scenario.now())
            .await
            .unwrap_or_else(|e| panic!("setup booking: {e}"));
        ids.push(new.id);
    }
    ids
}

/// Plays one scenario on `line` and checks every expectation it states.
/// `setup` are the ids [`book_setup`] returned.
pub async fn play(name: &str, scenario: &Scenario, profile: &TenantProfile, setup: &[BookingId], line: &mut dyn Line) {
    let mut heard = line.dial().await;
    for fragment in &scenario.greeting_says {
        assert!(heard.said.contains(fragment.as_str()), "{name}: greeting lacks {fragment:?}: {}", heard.said);
    }
    for (index, turn) in scenario.turns.iter().enumerate() {
        heard = if turn.repeat_last_request {
            line.repeat_last().await
        } else {
            assert_eq!(heard.next, NextStep::Listen, "{name}: turn {index}: the call is not listening: {heard:?}");
            line.say(turn).await
        };
        for fragment in &turn.says {
            assert!(
                heard.said.contains(fragment.as_str()),
                "{name}: turn {index} ({:?}): {fragment:?} not in {:?}",
                turn.caller,
                heard.said
            );
        }
        for fragment in &turn.not_says {
            assert!(
                !heard.said.contains(fragment.as_str()),
                "{name}: turn {index} ({:?}): {fragment:?} must not be said: {:?}",
                turn.caller,
                heard.said
            );
        }
    }

    let expect = &scenario.expect;
    let after = line.after().await;
    if let Some(outcome) = &expect.outcome {
        assert_eq!(after.outcome.as_deref(), Some(outcome.as_str()), "{name}: outcome");
    }
    if let Some(next) = &expect.next {
        assert_eq!(heard.next.as_str(), next.as_str(), "{name}: what happens after the last turn: {heard:?}");
    }
    if let Some(expected) = &expect.new_bookings {
        let made: BTreeSet<String> = after
            .bookings
            .iter()
            .filter(|b| b.status == BookingStatus::Confirmed && !setup.contains(&b.id))
            .map(|b| {
                format!("{} | {} | {:?} | {} | {}", b.service, b.start, b.staff, b.customer.name, b.customer.phone)
            })
            .collect();
        let wanted: BTreeSet<String> = expected
            .iter()
            .map(|b| format!("{} | {} | {:?} | {} | {}", b.service, local(profile, &b.start), b.staff, b.name, b.phone))
            .collect();
        assert_eq!(made, wanted, "{name}: bookings made during the call");
    }
    if let Some(cancelled) = expect.cancelled {
        let count =
            after.bookings.iter().filter(|b| setup.contains(&b.id) && b.status == BookingStatus::Cancelled).count();
        assert_eq!(count, cancelled, "{name}: setup bookings cancelled");
    }
    if let Some(texts) = expect.texts {
        assert_eq!(after.texts, texts, "{name}: texts queued");
    }
    if let Some(questions) = expect.questions {
        assert_eq!(after.questions, questions, "{name}: questions recorded");
    }
    if let Some(model_turns) = expect.model_turns {
        assert_eq!(after.model_turns, model_turns, "{name}: turns the language model was asked");
    }
    for secret in &expect.transcript_excludes {
        assert!(!after.transcript.contains(secret.as_str()), "{name}: {secret:?} was stored: {}", after.transcript);
    }
}

impl Scenario {
    /// Whether the scripted model acts on some turn (calls a tool) and the
    /// fixture expects it to be asked: a fixture the rules alone fail.
    pub fn needs_the_model(&self) -> bool {
        self.expect.model_turns != Some(0)
            && self.turns.iter().any(|turn| turn.llm.as_ref().is_some_and(ModelScript::calls_a_tool))
    }

    /// Whether the model is scripted on some turn.
    pub fn scripts_the_model(&self) -> bool {
        self.turns.iter().any(|turn| turn.llm.is_some())
    }

    /// The same call on a shop whose plan has no language model.
    pub fn without_the_model(&self) -> Scenario {
        let mut scenario = self.clone();
        scenario.flags.insert("enable_llm_dialogue".to_owned(), false);
        scenario
    }
}

/// Plays the scenario's caller lines on `line` without checking what is
/// said, only that the receptionist stays polite and safe: every turn is
/// answered in words until the call ends, the model is never asked (play
/// it with [`Scenario::without_the_model`]), and a booking made or
/// cancelled was read back to the caller first.
pub async fn play_politely(name: &str, scenario: &Scenario, setup: &[BookingId], line: &mut dyn Line) {
    let mut heard = line.dial().await;
    let mut said = Vec::new();
    for (index, turn) in scenario.turns.iter().enumerate() {
        if heard.next != NextStep::Listen {
            break;
        }
        heard = if turn.repeat_last_request { line.repeat_last().await } else { line.say(turn).await };
        assert!(!heard.said.trim().is_empty(), "{name}: turn {index}: silence on the line");
        said.push(heard.said.clone());
    }
    let after = line.after().await;
    assert_eq!(after.model_turns, 0, "{name}: the model was asked");
    let read_back = |question: &str| said.iter().any(|reply| reply.contains(question));
    let made = after.bookings.iter().any(|b| b.status == BookingStatus::Confirmed && !setup.contains(&b.id));
    assert!(!made || read_back("Shall I book it?"), "{name}: booked without a read-back: {said:?}");
    let cancelled = after.bookings.iter().any(|b| setup.contains(&b.id) && b.status == BookingStatus::Cancelled);
    assert!(
        !cancelled || read_back("cancel it?") || read_back("Shall I do that?"),
        "{name}: cancelled or moved without a read-back: {said:?}"
    );
}

/// Runs `play_one` for every fixture, each in its own task so one failing
/// scenario does not hide the others; fails listing every scenario that failed.
/// `FRONTDESK_SCENARIOS=52-,53-` plays only the files whose names start so.
pub async fn play_every_scenario<F, Fut>(play_one: F)
where
    F: Fn(String, Scenario) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let files = scenario_files();
    assert!(files.len() >= 40, "at least 40 scenarios, found {}", files.len());
    let only: Vec<String> = std::env::var("FRONTDESK_SCENARIOS")
        .map(|raw| raw.split(',').map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default();
    let mut failed = Vec::new();
    for file in files {
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("?").to_owned();
        if !only.is_empty() && !only.iter().any(|prefix| name.starts_with(prefix.as_str())) {
            continue;
        }
        let scenario = Scenario::load(&file);
        if tokio::spawn(play_one(name.clone(), scenario)).await.is_err() {
            failed.push(name);
        }
    }
    assert!(failed.is_empty(), "{} scenario(s) failed (see above): {failed:?}", failed.len());
}
