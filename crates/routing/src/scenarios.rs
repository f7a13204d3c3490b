//! The conversation fixtures (`fixtures/conversations`) played against the
//! call session in memory: the demo shops' profiles, an allowance that plays
//! a scenario's plan, flags and minute cap, and [`MemoryLine`], one call over
//! in-memory stores whose language model is either scripted by the fixture's
//! `llm:` steps (this crate's tests) or a real one (`adminctl eval`).
//!
//! Behind the `scenarios` feature: test and evaluation support that
//! production never enables. Like `frontdesk-conversations`, a line panics
//! on what cannot go on (a turn the session refuses, a call without a
//! record): the player runs each scenario in its own task and reports the
//! panic as that scenario's failure.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Context;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use frontdesk_billing::{SuspensionReason, TokenCount};
use frontdesk_calendar::{BookingService, MemoryBookingStore, NOTIFY_CUSTOMER};
use frontdesk_conversations::{AfterTheCall, CallerTurn, Heard, Line, NextStep, Scenario};
use frontdesk_core::{E164, ManualClock, Plan, TenantId};
use frontdesk_flags::{Flag, FlagService, LocalFlagCache, MemoryFlagStore};
use frontdesk_llm::{LanguageModel, ModelError, ModelReply, ModelRequest, ScriptedModel};
use frontdesk_tenant::{ProfileDocument, TenantProfile};

use crate::{
    Admission, Answer, CallAllowance, CallError, CallMinutes, CallPolicy, CallSession, CallSid, CallStore, CallerInput,
    Dialogue, IncomingCall, MemoryCallStore, Next, TurnNumber,
};

/// This workspace's `fixtures/tenants`, where the demo shops the fixtures
/// name are described.
pub fn workspace_tenants_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/tenants")
}

/// A demo shop's profile, read from `<tenants_dir>/<slug>.toml`.
pub fn demo_profile_in(tenants_dir: &Path, slug: &str) -> anyhow::Result<TenantProfile> {
    let path = tenants_dir.join(format!("{slug}.toml"));
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let document = ProfileDocument::from_toml(&text).with_context(|| path.display().to_string())?;
    TenantProfile::parse(&document).map_err(|problems| anyhow::anyhow!("{}: {problems}", path.display()))
}

/// A demo shop's profile from this workspace's `fixtures/tenants/` (tests:
/// panics if it cannot be read).
pub fn demo_profile(slug: &str) -> TenantProfile {
    demo_profile_in(&workspace_tenants_dir(), slug).unwrap_or_else(|e| panic!("{e:#}"))
}

/// The plan as a scenario states it: flags through the real flag service,
/// and a hard minute cap that forwards calls to the owner once used up.
pub struct ScenarioAllowance {
    flags: FlagService,
    cap_reached: bool,
}

impl ScenarioAllowance {
    pub async fn new(tenant: &TenantId, scenario: &Scenario, clock: Arc<ManualClock>) -> ScenarioAllowance {
        let store = Arc::new(MemoryFlagStore::default());
        let plan = scenario.plan.as_deref().map(|p| Plan::parse(p).unwrap_or_else(|e| panic!("{e}")));
        // The demo shops are on Pro unless the scenario says otherwise.
        store.add(tenant, plan.unwrap_or(Plan::Pro)).await;
        let flags = FlagService::new(store, Arc::new(LocalFlagCache::new(clock)));
        for (flag, enabled) in &scenario.flags {
            let flag = Flag::parse(flag).unwrap_or_else(|e| panic!("{e}"));
            flags.set_flag(tenant, flag, Some(*enabled), scenario.now()).await.unwrap_or_else(|e| panic!("{e}"));
        }
        let cap_reached =
            matches!((scenario.minute_cap, scenario.used_minutes), (Some(cap), Some(used)) if used >= cap);
        ScenarioAllowance { flags, cap_reached }
    }
}

#[async_trait]
impl CallAllowance for ScenarioAllowance {
    async fn admission(&self, profile: &TenantProfile, _now: DateTime<Utc>) -> Admission {
        if self.cap_reached {
            return Admission::ForwardToOwner(SuspensionReason::CapReached);
        }
        Admission::Answer(self.policy(profile.slug()).await)
    }

    async fn policy(&self, tenant: &TenantId) -> CallPolicy {
        match self.flags.effective(tenant).await {
            Ok(Some(flags)) => CallPolicy::from_flags(&flags),
            _ => CallPolicy::default(),
        }
    }

    async fn meter_call(
        &self,
        _: &TenantId,
        _: &CallSid,
        _: u32,
        _: CallMinutes,
        _: DateTime<Utc>,
    ) -> Result<(), CallError> {
        Ok(())
    }

    async fn meter_outbound_leg(
        &self,
        _: &TenantId,
        _: &CallSid,
        _: &CallSid,
        _: u32,
        _: DateTime<Utc>,
    ) -> Result<(), CallError> {
        Ok(())
    }

    async fn meter_tokens(
        &self,
        _: &TenantId,
        _: &str,
        _: &str,
        _: TokenCount,
        _: DateTime<Utc>,
    ) -> Result<(), CallError> {
        Ok(())
    }

    async fn meter_call_extension(
        &self,
        _: &TenantId,
        _: &CallSid,
        _: u32,
        _: u32,
        _: CallMinutes,
        _: DateTime<Utc>,
    ) -> Result<(), CallError> {
        Ok(())
    }
}

/// The model behind a line, counting how often the dialogue asked it (what
/// a fixture's `model_turns` expects, whichever model answers).
struct CountedModel {
    model: Arc<dyn LanguageModel>,
    asked: AtomicUsize,
}

#[async_trait]
impl LanguageModel for CountedModel {
    fn model_id(&self) -> &str {
        self.model.model_id()
    }

    async fn respond(&self, request: &ModelRequest) -> Result<ModelReply, ModelError> {
        self.asked.fetch_add(1, Ordering::Relaxed);
        self.model.respond(request).await
    }
}

/// One call to the call session, in memory.
pub struct MemoryLine {
    pub session: CallSession,
    pub profile: TenantProfile,
    pub calls: Arc<MemoryCallStore>,
    pub bookings: Arc<MemoryBookingStore>,
    pub call_sid: CallSid,
    pub caller: Option<E164>,
    pub now: DateTime<Utc>,
    next_turn: TurnNumber,
    last: Option<(TurnNumber, CallerInput)>,
    /// The fixture's `llm:` steps script this model turn by turn; `None`:
    /// a real model decides and the steps are ignored.
    script: Option<Arc<ScriptedModel>>,
    model: Arc<CountedModel>,
}

impl MemoryLine {
    /// A line to `profile`'s receptionist with the scenario's plan, at its
    /// `now`, whose language model answers what each turn's `llm:` step says
    /// (a turn without one: the model is unavailable).
    pub async fn scripted(profile: TenantProfile, scenario: &Scenario) -> MemoryLine {
        let script = Arc::new(ScriptedModel::default());
        MemoryLine::open(profile, scenario, script.clone(), Some(script)).await
    }

    /// A line like [`MemoryLine::scripted`] on which `model` decides: the
    /// fixture's `llm:` steps are ignored.
    pub async fn with_model(profile: TenantProfile, scenario: &Scenario, model: Arc<dyn LanguageModel>) -> MemoryLine {
        MemoryLine::open(profile, scenario, model, None).await
    }

    async fn open(
        profile: TenantProfile,
        scenario: &Scenario,
        model: Arc<dyn LanguageModel>,
        script: Option<Arc<ScriptedModel>>,
    ) -> MemoryLine {
        let now = scenario.now();
        let clock = Arc::new(ManualClock::new(now));
        let bookings = Arc::new(MemoryBookingStore::new());
        let calls = Arc::new(MemoryCallStore::new());
        let allowance = ScenarioAllowance::new(profile.slug(), scenario, clock.clone()).await;
        let model = Arc::new(CountedModel { model, asked: AtomicUsize::new(0) });
        let dialogue = Dialogue::new(Arc::new(BookingService::new(bookings.clone(), clock))).with_model(model.clone());
        let session = CallSession::new(calls.clone(), Arc::new(dialogue), Arc::new(allowance));
        MemoryLine {
            session,
            profile,
            calls,
            bookings,
            call_sid: CallSid::parse("CA0123456789abcdef0123456789abcdef").unwrap_or_else(|e| panic!("{e}")),
            caller: scenario.caller(),
            now,
            next_turn: TurnNumber::FIRST,
            last: None,
            script,
            model,
        }
    }

    fn heard(&mut self, answer: Answer) -> Heard {
        self.next_turn = answer.listen_turn;
        let next = match answer.next {
            Next::Listen => NextStep::Listen,
            Next::Transfer { .. } | Next::WarmTransfer { .. } => NextStep::Transfer,
            Next::Voicemail => NextStep::Voicemail,
            Next::Hangup => NextStep::Hangup,
        };
        Heard { said: answer.say, next }
    }

    async fn take(&mut self, turn: TurnNumber, input: CallerInput) -> Heard {
        self.last = Some((turn, input.clone()));
        let answer = self
            .session
            .take_turn(&self.profile, &self.call_sid, turn, input, self.now)
            .await
            .unwrap_or_else(|e| panic!("turn {turn}: {e}"));
        self.heard(answer)
    }
}

impl MemoryLine {
    /// What the scripted model was asked on this call, in order (nothing
    /// for a line with another model).
    pub fn model_requests(&self) -> Vec<frontdesk_llm::ModelRequest> {
        self.script.as_ref().map(|script| script.requests()).unwrap_or_default()
    }
}

#[async_trait]
impl Line for MemoryLine {
    async fn dial(&mut self) -> Heard {
        let called = self.profile.phone_numbers()[0].clone();
        let call = IncomingCall { call_sid: self.call_sid.clone(), caller: self.caller.clone(), called };
        let answer = self.session.start(&self.profile, call, self.now).await;
        self.heard(answer)
    }

    async fn say(&mut self, turn: &CallerTurn) -> Heard {
        if let Some(script) = &self.script {
            script.answer_next(turn.llm.iter().flat_map(|script| script.replies()));
        }
        // The provider sends an empty speech result for silence.
        let input = CallerInput {
            speech: Some(turn.speech().to_owned()),
            digits: turn.digits.clone().filter(|d| !d.is_empty()),
        };
        self.take(self.next_turn, input).await
    }

    async fn repeat_last(&mut self) -> Heard {
        let (turn, input) = self.last.clone().unwrap_or_else(|| panic!("nothing to repeat"));
        self.take(turn, input).await
    }

    async fn after(&mut self) -> AfterTheCall {
        use frontdesk_calendar::BookingStore;
        let tenant = self.profile.slug();
        let call = self.calls.call(tenant, &self.call_sid).await.ok().flatten().unwrap_or_else(|| panic!("no call"));
        let bookings = self
            .bookings
            .list_bookings(tenant, self.now - Duration::days(1), self.now + Duration::days(120), None)
            .await
            .unwrap_or_default();
        AfterTheCall {
            outcome: call.outcome.map(|o| o.as_str().to_owned()),
            bookings,
            texts: self.bookings.jobs().iter().filter(|j| j.kind.as_str() == NOTIFY_CUSTOMER).count(),
            questions: self.calls.questions(tenant).await.unwrap_or_default().len(),
            transcript: call.turns.iter().map(|t| t.text.clone()).collect::<Vec<_>>().join("\n"),
            model_turns: self.model.asked.load(Ordering::Relaxed),
        }
    }
}
