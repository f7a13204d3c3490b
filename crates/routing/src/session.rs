//! The phone call as a use case: [`CallSession`] serves every webhook of a
//! call (it starts, each caller turn, a transfer ends, a voicemail arrives,
//! the status changes) from domain types, and answers with what the caller
//! hears next. The edge only checks signatures, parses fields and renders.
//!
//! It owns what the shop's plan allows on the call, the dialogue's state, the
//! transcript, the call's outcome, the unanswered question (saved with its
//! turn, once), and the replay of a turn the provider repeats: a repeated
//! webhook gets the answer it got the first time and changes nothing.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use frontdesk_core::{E164, TenantId};
use frontdesk_jobs::JobQueue;
use frontdesk_tenant::TenantProfile;

use crate::allowance::{Admission, CallAllowance};
use crate::calls::{CallError, CallRecord, CallStore, IncomingCall, Outcome, SavedTurn, Speaker, Turn, TurnUpdate};
use crate::dialogue::{CallContext, CallState, CallerInput, Dialogue, Next, Reply, Stage};
use crate::ids::{CallSid, CallStatus, TurnKey, TurnNumber};
use crate::reconcile::duration_check_job;
use crate::spend::{ModelSpend, ModelUse};

/// What the caller hears, and what happens after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// Spoken first; may be empty (nothing to say before hanging up).
    pub say: String,
    pub next: Next,
    /// The turn the caller's next words are (when `next` is `Listen`).
    pub listen_turn: TurnNumber,
}

impl Answer {
    fn new(reply: &Reply, listen_turn: TurnNumber) -> Answer {
        Answer { say: reply.say.clone(), next: reply.next.clone(), listen_turn }
    }

    /// The caller is told goodbye and the line hangs up.
    pub fn hang_up(say: impl Into<String>) -> Answer {
        Answer { say: say.into(), next: Next::Hangup, listen_turn: TurnNumber::FIRST }
    }

    /// The form a store keeps to replay the answer.
    pub fn encode(&self) -> String {
        let (next, to) = match &self.next {
            Next::Listen => ("listen", None),
            Next::Transfer { to } => ("transfer", Some(to.as_str())),
            Next::Voicemail => ("voicemail", None),
            Next::Hangup => ("hangup", None),
        };
        serde_json::json!({"say": self.say, "next": next, "to": to, "turn": self.listen_turn.get()}).to_string()
    }

    pub fn decode(raw: &str) -> Option<Answer> {
        let value: serde_json::Value = serde_json::from_str(raw).ok()?;
        let say = value["say"].as_str()?.to_owned();
        let next = match value["next"].as_str()? {
            "listen" => Next::Listen,
            "transfer" => Next::Transfer { to: E164::parse(value["to"].as_str()?).ok()? },
            "voicemail" => Next::Voicemail,
            "hangup" => Next::Hangup,
            _ => return None,
        };
        let listen_turn = TurnNumber::parse(&value["turn"].as_u64()?.to_string()).ok()?;
        Some(Answer { say, next, listen_turn })
    }

    /// A stored answer that no longer reads (written by an older version):
    /// ask again rather than fail the call.
    fn replayed(raw: &str, turn: TurnNumber) -> Answer {
        Answer::decode(raw).unwrap_or_else(|| {
            tracing::warn!("a repeated turn's stored answer does not read; asking the caller again");
            Answer { say: "Sorry, could you say that again?".to_owned(), next: Next::Listen, listen_turn: turn }
        })
    }
}

/// How a transfer to a person ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferEnded {
    /// The transferred leg, when the provider names it.
    pub leg: Option<CallSid>,
    /// Someone picked up and the conversation happened.
    pub answered: bool,
}

/// A status callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusReport {
    pub status: CallStatus,
    /// The provider's ordering of callbacks (they arrive out of order).
    pub sequence: u32,
    pub duration_secs: Option<u32>,
}

/// Serves the webhooks of a call.
pub struct CallSession {
    calls: Arc<dyn CallStore>,
    dialogue: Arc<Dialogue>,
    allowance: Arc<dyn CallAllowance>,
    duration_checks: Option<DurationChecks>,
}

/// Where and when a finished call's duration is checked against the
/// provider's own record.
struct DurationChecks {
    jobs: Arc<dyn JobQueue>,
    delay: Duration,
}

impl CallSession {
    pub fn new(calls: Arc<dyn CallStore>, dialogue: Arc<Dialogue>, allowance: Arc<dyn CallAllowance>) -> CallSession {
        CallSession { calls, dialogue, allowance, duration_checks: None }
    }

    /// With the provider's call records readable ([`crate::CallLedger`]): a
    /// finished call's duration is checked against them `delay` after its
    /// first "completed" report, by a [`crate::CallDurationCheck`] job.
    pub fn with_duration_checks(mut self, jobs: Arc<dyn JobQueue>, delay: Duration) -> CallSession {
        self.duration_checks = Some(DurationChecks { jobs, delay });
        self
    }

    /// A call starts: greet the caller (or, while AI answering is suspended,
    /// forward them to the owner).
    #[tracing::instrument(skip_all, fields(tenant_id = %profile.slug(), call_sid = %call.call_sid))]
    pub async fn start(&self, profile: &TenantProfile, call: IncomingCall, now: DateTime<Utc>) -> Answer {
        let tenant = profile.slug();
        // A repeated first webhook opens nothing new, and saving its greeting
        // answers with the greeting given the first time.
        let key = TurnKey::Greeting;
        let mut state = CallState::default();
        let reply = match self.allowance.admission(profile, now).await {
            Admission::ForwardToOwner(reason) => {
                tracing::warn!(?reason, "AI answering suspended for this tenant; forwarding the call to the owner");
                state.stage = Stage::Ended;
                forward_to_owner(profile)
            }
            Admission::Answer(policy) => {
                state.ai_budget_spent = !policy.paid_ai;
                let context =
                    CallContext { profile, caller: call.caller.as_ref(), now, policy, spent: ModelSpend::default() };
                self.dialogue.greeting(&context, &mut state)
            }
        };
        let answer = Answer::new(&reply, TurnNumber::FIRST);
        if let Err(error) = self.calls.open_call(tenant, &call, &state.to_json(), now).await {
            tracing::error!(%error, "could not record the call");
            return answer;
        }
        let update = TurnUpdate {
            state: state.to_json(),
            turns: vec![Turn::said(now, Speaker::Agent, reply.say.clone())],
            outcome: reply.outcome,
            booking_id: None,
            recording_url: None,
            question: None,
            nearest: None,
            reply: answer.encode(),
        };
        self.answer_once(profile, &call.call_sid, &key, update, answer, TurnNumber::FIRST, now).await
    }

    /// The caller's `turn`th turn.
    #[tracing::instrument(skip_all, fields(tenant_id = %profile.slug(), call_sid = %call_sid, turn = turn.get()))]
    pub async fn take_turn(
        &self,
        profile: &TenantProfile,
        call_sid: &CallSid,
        turn: TurnNumber,
        input: CallerInput,
        now: DateTime<Utc>,
    ) -> Result<Answer, CallError> {
        let tenant = profile.slug();
        let key = TurnKey::Caller(turn);
        let Some(found) = self.calls.call_for_turn(tenant, call_sid, &key).await? else {
            return Err(CallError::NotFound(call_sid.to_string()));
        };
        if let Some(first) = found.answered {
            return Ok(Answer::replayed(&first, turn.next())); // the provider repeated this turn
        }
        let call = found.call;
        let mut state = CallState::from_json(&call.state);
        let mut policy = self.allowance.policy(tenant).await;
        policy.paid_ai &= !state.ai_budget_spent;
        let context = CallContext { profile, caller: call.caller.as_ref(), now, policy, spent: ModelSpend::default() };
        let reply = self.dialogue.respond(&context, &mut state, input).await;
        let answer = Answer::new(&reply, turn.next());
        let mut turns = Vec::with_capacity(2);
        if let Some(heard) = reply.heard.clone().filter(|h| !h.is_empty()) {
            turns.push(Turn::said(now, Speaker::Caller, heard));
        }
        turns.push(Turn { at: now, speaker: Speaker::Agent, text: reply.say.clone(), sources: reply.cited.clone() });
        let outcome = Outcome::after_turn(reply.outcome, call.outcome);
        let update = TurnUpdate {
            state: state.to_json(),
            turns,
            outcome,
            booking_id: reply.booking_id,
            recording_url: None,
            question: reply.unanswered.clone(),
            nearest: reply.nearest.clone(),
            reply: answer.encode(),
        };
        let answer = self.answer_once(profile, call_sid, &key, update, answer, turn.next(), now).await;
        self.meter_models(tenant, call_sid, turn, context.spent.take(), now).await;
        Ok(answer)
    }

    /// The answer to the caller's `turn` once it has been given (`None`
    /// while it is still being worked out, or if it never was): what a
    /// continuation after a filler phrase waits for.
    pub async fn answer_of(
        &self,
        profile: &TenantProfile,
        call_sid: &CallSid,
        turn: TurnNumber,
    ) -> Result<Option<Answer>, CallError> {
        let found = self.calls.call_for_turn(profile.slug(), call_sid, &TurnKey::Caller(turn)).await?;
        Ok(found.and_then(|found| found.answered).map(|first| Answer::replayed(&first, turn.next())))
    }

    /// Meters the paid model calls of a turn, each under its own key
    /// (`{purpose}:{call}:{turn}:{n}`), so a repeat counts once. A failure
    /// is logged: the caller has been answered.
    async fn meter_models(
        &self,
        tenant: &TenantId,
        call_sid: &CallSid,
        turn: TurnNumber,
        uses: Vec<ModelUse>,
        now: DateTime<Utc>,
    ) {
        for (n, model_use) in uses.into_iter().enumerate() {
            let key = format!("{}:{call_sid}:{}:{n}", model_use.purpose, turn.get());
            if let Err(error) = self.allowance.meter_tokens(tenant, &key, &model_use.model, model_use.tokens, now).await
            {
                tracing::error!(%error, model = %model_use.model, "could not meter a model call");
            }
        }
    }

    /// A transfer to a person ended: done if someone answered, otherwise a
    /// message is taken.
    #[tracing::instrument(skip_all, fields(tenant_id = %profile.slug(), call_sid = %call_sid))]
    pub async fn transfer_ended(
        &self,
        profile: &TenantProfile,
        call_sid: &CallSid,
        ended: TransferEnded,
        now: DateTime<Utc>,
    ) -> Result<Answer, CallError> {
        if ended.answered {
            return Ok(Answer::hang_up(""));
        }
        let call = self.existing_call(profile, call_sid).await?;
        let answer = Answer {
            say: format!(
                "Sorry, nobody could come to the phone. Please leave your name, number and message for {} after the tone.",
                profile.name()
            ),
            next: Next::Voicemail,
            listen_turn: TurnNumber::FIRST,
        };
        let update = TurnUpdate {
            state: call.state,
            turns: Vec::new(),
            outcome: Some(Outcome::MessageTaken),
            booking_id: None,
            recording_url: None,
            question: None,
            nearest: None,
            reply: answer.encode(),
        };
        let key = TurnKey::TransferEnded(ended.leg);
        Ok(self.answer_once(profile, call_sid, &key, update, answer, TurnNumber::FIRST, now).await)
    }

    /// The caller left a voicemail (`recording` names it; `url` is where it is).
    #[tracing::instrument(skip_all, fields(tenant_id = %profile.slug(), call_sid = %call_sid))]
    pub async fn voicemail_left(
        &self,
        profile: &TenantProfile,
        call_sid: &CallSid,
        recording: Option<CallSid>,
        url: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Answer, CallError> {
        let call = self.existing_call(profile, call_sid).await?;
        let answer = Answer::hang_up("Thank you, we'll get back to you soon. Goodbye.");
        let update = TurnUpdate {
            state: call.state,
            turns: vec![Turn::said(now, Speaker::Caller, "(left a voicemail)")],
            outcome: Some(Outcome::MessageTaken),
            booking_id: None,
            recording_url: url,
            question: None,
            nearest: None,
            reply: answer.encode(),
        };
        let key = TurnKey::Recording(recording);
        Ok(self.answer_once(profile, call_sid, &key, update, answer, TurnNumber::FIRST, now).await)
    }

    /// A status callback: recorded in sequence order; a finished call gets its
    /// final outcome and is metered. An error means the provider should retry.
    #[tracing::instrument(skip_all, fields(tenant_id = %profile.slug(), call_sid = %call_sid, status = %report.status))]
    pub async fn status(
        &self,
        profile: &TenantProfile,
        call_sid: &CallSid,
        report: StatusReport,
        now: DateTime<Utc>,
    ) -> Result<(), CallError> {
        let tenant = profile.slug();
        let call = self.existing_call(profile, call_sid).await?;
        let mid_booking = CallState::from_json(&call.state).is_mid_booking();
        let ended_outcome = Outcome::on_hang_up(call.outcome, mid_booking);
        self.calls
            .record_status(tenant, call_sid, report.status, report.sequence, report.duration_secs, ended_outcome, now)
            .await?;
        // The provider bills the finished call by its duration; a repeated
        // callback is counted once (the usage key is the call). A later,
        // longer report is not ignored: the largest duration reported is
        // what the call costs (a forged short first report cannot
        // under-bill it).
        if report.status == CallStatus::Completed
            && let Some(seconds) = report.duration_secs
        {
            meter_reported_duration(self.allowance.as_ref(), tenant, call_sid, call.duration_secs, seconds, now)
                .await?;
            if let Some(checks) = &self.duration_checks
                && call.duration_secs.is_none()
            {
                // The provider's own record is read later: a forged or
                // truncated callback cannot make the call cheaper.
                let job = duration_check_job(tenant, call_sid, now + checks.delay);
                if let Err(error) = checks.jobs.enqueue(job).await {
                    tracing::error!(%error, "could not schedule the check of the call's duration");
                }
            }
        }
        Ok(())
    }

    async fn existing_call(&self, profile: &TenantProfile, call_sid: &CallSid) -> Result<CallRecord, CallError> {
        self.calls.call(profile.slug(), call_sid).await?.ok_or_else(|| CallError::NotFound(call_sid.to_string()))
    }

    /// Saves a turn once per webhook and answers with what was answered the
    /// first time: a webhook repeated while the first is still being served
    /// gets the first answer, never a second booking.
    #[allow(clippy::too_many_arguments)]
    async fn answer_once(
        &self,
        profile: &TenantProfile,
        call_sid: &CallSid,
        key: &TurnKey,
        update: TurnUpdate,
        answer: Answer,
        listen_turn: TurnNumber,
        now: DateTime<Utc>,
    ) -> Answer {
        match self.calls.save_turn(profile.slug(), call_sid, key, &update, now).await {
            Ok(SavedTurn::Saved) => answer,
            Ok(SavedTurn::AlreadyAnswered(first)) => Answer::replayed(&first, listen_turn),
            Err(error) => {
                // The caller still hears the answer; the record misses a turn.
                tracing::error!(%error, turn = %key, "could not save a turn");
                answer
            }
        }
    }
}

/// Meters a finished call the provider reported as `reported` seconds long,
/// `metered` being what was metered before (`None`: nothing yet). The
/// largest duration reported is what the call costs.
pub(crate) async fn meter_reported_duration(
    allowance: &dyn CallAllowance,
    tenant: &TenantId,
    call_sid: &CallSid,
    metered: Option<u32>,
    reported: u32,
    now: DateTime<Utc>,
) -> Result<(), CallError> {
    match metered {
        None => allowance.meter_call(tenant, call_sid, reported, now).await,
        Some(metered) => {
            let extra = billed_minutes(reported).saturating_sub(billed_minutes(metered));
            if extra > 0 {
                allowance.meter_call_extension(tenant, call_sid, reported, extra, now).await?;
            }
            Ok(())
        }
    }
}

/// Every started minute, as the provider bills it.
fn billed_minutes(seconds: u32) -> u32 {
    frontdesk_billing::billable_minutes(i64::from(seconds)).ok().and_then(|m| u32::try_from(m).ok()).unwrap_or(0)
}

/// AI answering is suspended: the caller goes straight to the owner (and to
/// voicemail if the owner does not pick up). Never dead air.
fn forward_to_owner(profile: &TenantProfile) -> Reply {
    Reply {
        say: format!("Thanks for calling {}. Please hold while I connect you.", profile.name()),
        next: Next::Transfer { to: profile.owner_phone().clone() },
        outcome: Some(Outcome::Transferred),
        booking_id: None,
        unanswered: None,
        heard: None,
        prompt: None,
        cited: Vec::new(),
        nearest: None,
    }
}
