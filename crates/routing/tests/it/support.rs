//! A receptionist in memory: the call session over in-memory stores, the
//! demo shops' profiles, and an allowance that plays a scenario's plan,
//! flags and minute cap.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use frontdesk_billing::{SuspensionReason, TokenCount};
use frontdesk_calendar::{BookingService, MemoryBookingStore, NOTIFY_CUSTOMER};
use frontdesk_conversations::{AfterTheCall, CallerTurn, Heard, Line, NextStep, Scenario};
use frontdesk_core::{E164, ManualClock, Plan, TenantId};
use frontdesk_flags::{Flag, FlagService, LocalFlagCache, MemoryFlagStore};
use frontdesk_routing::{
    Admission, Answer, CallAllowance, CallError, CallPolicy, CallSession, CallSid, CallStore, CallerInput, Dialogue,
    IncomingCall, MemoryCallStore, Next, TurnNumber,
};
use frontdesk_tenant::{ProfileDocument, TenantProfile};

/// A demo shop's profile, read from `fixtures/tenants/`.
pub fn demo_profile(slug: &str) -> TenantProfile {
    let path = format!("{}/../../fixtures/tenants/{slug}.toml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let document = ProfileDocument::from_toml(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    TenantProfile::parse(&document).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn phone(raw: &str) -> E164 {
    E164::parse(raw).unwrap_or_else(|e| panic!("{e}"))
}

/// A call of `profile` on Monday morning, with `policy`.
pub fn call_context<'a>(
    profile: &'a TenantProfile,
    caller: Option<&'a E164>,
    policy: frontdesk_routing::CallPolicy,
) -> frontdesk_routing::CallContext<'a> {
    frontdesk_routing::CallContext { profile, caller, now: monday_morning(), policy, spent: Default::default() }
}

pub fn monday_morning() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-23T10:00:00-05:00").map(|t| t.with_timezone(&Utc)).unwrap_or_default()
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

    async fn meter_call(&self, _: &TenantId, _: &CallSid, _: u32, _: DateTime<Utc>) -> Result<(), CallError> {
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
        _: DateTime<Utc>,
    ) -> Result<(), CallError> {
        Ok(())
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
    /// The language model behind the dialogue, scripted turn by turn.
    model: Arc<frontdesk_llm::ScriptedModel>,
}

impl MemoryLine {
    /// A line to `profile`'s receptionist with the scenario's plan, at its `now`.
    pub async fn new(profile: TenantProfile, scenario: &Scenario) -> MemoryLine {
        let now = scenario.now();
        let clock = Arc::new(ManualClock::new(now));
        let bookings = Arc::new(MemoryBookingStore::new());
        let calls = Arc::new(MemoryCallStore::new());
        let allowance = ScenarioAllowance::new(profile.slug(), scenario, clock.clone()).await;
        let model = Arc::new(frontdesk_llm::ScriptedModel::default());
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
            model,
        }
    }

    fn heard(&mut self, answer: Answer) -> Heard {
        self.next_turn = answer.listen_turn;
        let next = match answer.next {
            Next::Listen => NextStep::Listen,
            Next::Transfer { .. } => NextStep::Transfer,
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

#[async_trait]
impl Line for MemoryLine {
    async fn dial(&mut self) -> Heard {
        let called = self.profile.phone_numbers()[0].clone();
        let call = IncomingCall { call_sid: self.call_sid.clone(), caller: self.caller.clone(), called };
        let answer = self.session.start(&self.profile, call, self.now).await;
        self.heard(answer)
    }

    async fn say(&mut self, turn: &CallerTurn) -> Heard {
        self.model.answer_next(turn.llm.as_ref().map(|step| step.reply()));
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
            model_turns: self.model.requests().len(),
        }
    }
}
