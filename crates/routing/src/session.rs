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

use crate::allowance::{Admission, CallAllowance, CallMinutes};
use crate::callbacks::{Callback, CallbackStatus, CallbackStore};
use crate::calls::{CallError, CallRecord, CallStore, IncomingCall, Outcome, SavedTurn, Speaker, Turn, TurnUpdate};
use crate::dialogue::{CallContext, CallState, CallerInput, Dialogue, Next, Reply, Stage};
use crate::ids::{CallSid, CallStatus, TurnKey, TurnNumber};
use crate::reconcile::duration_check_job;
use crate::spend::{ModelSpend, ModelUse};
use crate::voicemail::transcription_job;

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
            Next::WarmTransfer { to } => ("warm-transfer", Some(to.as_str())),
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
            "warm-transfer" => Next::WarmTransfer { to: E164::parse(value["to"].as_str()?).ok()? },
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

/// A call that started: the greeting on the turn-by-turn path, and, when
/// the call may be answered by a realtime voice model, what it is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartedCall {
    pub answer: Answer,
    pub realtime: Option<crate::realtime::RealtimeStart>,
}

/// How a transfer to a person ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferEnded {
    /// The transferred leg, when the provider names it.
    pub leg: Option<CallSid>,
    /// The provider bridged the legs (someone, or something such as a
    /// voicemail box, picked up). After a warm transfer only the person's
    /// acceptance counts, not this.
    pub bridged: bool,
    /// How long the dialled leg lasted, when the provider says
    /// (`DialCallDuration`): what the leg costs us.
    pub leg_duration_secs: Option<u32>,
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
    pub(crate) calls: Arc<dyn CallStore>,
    pub(crate) dialogue: Arc<Dialogue>,
    pub(crate) allowance: Arc<dyn CallAllowance>,
    duration_checks: Option<DurationChecks>,
    callbacks: Option<Callbacks>,
    /// Messages are transcribed by a [`crate::VoicemailTranscription`] job
    /// rather than by the telephony provider.
    transcribe_messages: bool,
}

/// Where callbacks are kept, and how the owner hears of a message.
pub(crate) struct Callbacks {
    pub(crate) store: Arc<dyn CallbackStore>,
    pub(crate) jobs: Arc<dyn JobQueue>,
    /// Where the owner opens the callbacks (in the text about a message).
    pub(crate) link: String,
}

/// How long the owner's text about a message waits for its transcription.
pub const TRANSCRIPTION_WAIT: Duration = Duration::minutes(3);

/// How long after a call with a callback ended the owner's "didn't leave a
/// message" notice waits for a recording that may still be on its way (the
/// provider's recording and status webhooks arrive in either order).
pub const NO_MESSAGE_WAIT: Duration = Duration::minutes(2);

/// Where and when a finished call's duration is checked against the
/// provider's own record.
struct DurationChecks {
    jobs: Arc<dyn JobQueue>,
    delay: Duration,
}

impl CallSession {
    pub fn new(calls: Arc<dyn CallStore>, dialogue: Arc<Dialogue>, allowance: Arc<dyn CallAllowance>) -> CallSession {
        CallSession { calls, dialogue, allowance, duration_checks: None, callbacks: None, transcribe_messages: false }
    }

    /// Keep a callback for every caller who wanted a person and did not
    /// get one, and text the owner about each message left (with what it
    /// says once transcribed; `link` is where they see the callbacks).
    pub fn with_callbacks(
        mut self,
        store: Arc<dyn CallbackStore>,
        jobs: Arc<dyn JobQueue>,
        link: String,
    ) -> CallSession {
        self.callbacks = Some(Callbacks { store, jobs, link });
        self
    }

    /// With a transcriber of our own: a message left is transcribed by a
    /// [`crate::VoicemailTranscription`] job (queued with the recording),
    /// not by the telephony provider (so it is not paid for twice). Only
    /// with callbacks, and only for shops on the platform's telephony
    /// account (whose recordings we can read).
    pub fn transcribing_messages(mut self) -> CallSession {
        self.transcribe_messages = true;
        self
    }

    /// Whether `profile`'s messages are transcribed by our own job: when
    /// `false`, the provider is asked to transcribe them (and its
    /// transcription arrives at [`CallSession::transcribed`]).
    pub fn transcribes_messages(&self, profile: &TenantProfile) -> bool {
        // A shop with its own provider account keeps its recordings there,
        // out of reach of the platform's credentials.
        self.transcribe_messages && self.callbacks.is_some() && profile.twilio_auth_token().is_none()
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
    pub async fn start(&self, profile: &TenantProfile, call: IncomingCall, now: DateTime<Utc>) -> Answer {
        self.start_call(profile, call, now).await.answer
    }

    /// A call starts: the greeting, and whether a realtime voice model may
    /// answer the call instead of the turn-by-turn path (see
    /// [`crate::realtime`]).
    #[tracing::instrument(skip_all, fields(tenant_id = %profile.slug(), call_sid = %call.call_sid))]
    pub async fn start_call(&self, profile: &TenantProfile, call: IncomingCall, now: DateTime<Utc>) -> StartedCall {
        let tenant = profile.slug();
        let mut realtime = None;
        // A repeated first webhook opens nothing new and answers with the
        // greeting given the first time.
        let mut state = CallState::default();
        let reply = match self.allowance.admission(profile, now).await {
            Admission::ForwardToOwner(reason) => {
                tracing::warn!(?reason, "AI answering suspended for this tenant; forwarding the call to the owner");
                state.stage = Stage::Ended;
                // Kept with the call from its first record: its minutes are
                // never billed to the shop (see `CallMinutes`).
                state.forwarded_to_owner = true;
                forward_to_owner(profile)
            }
            Admission::Answer(policy) => {
                state.ai_budget_spent = !policy.paid_ai;
                let context =
                    CallContext { profile, caller: call.caller.as_ref(), now, policy, spent: ModelSpend::default() };
                let greeting = self.dialogue.greeting(&context, &mut state);
                realtime = crate::realtime::realtime_start(&context, &greeting);
                greeting
            }
        };
        let answer = Answer::new(&reply, TurnNumber::FIRST);
        let greeting = TurnUpdate {
            state: state.to_json(),
            turns: vec![Turn::said(now, Speaker::Agent, reply.say.clone())],
            outcome: reply.outcome,
            booking_id: None,
            recording_url: None,
            question: None,
            nearest: None,
            reply: answer.encode(),
        };
        // The call's record and its greeting in one write.
        match self.calls.open_call_greeted(tenant, &call, &greeting, now).await {
            Ok(SavedTurn::Saved) => StartedCall { answer, realtime },
            Ok(SavedTurn::AlreadyAnswered(first)) => {
                StartedCall { answer: Answer::replayed(&first, TurnNumber::FIRST), realtime }
            }
            Err(error) => {
                tracing::error!(%error, "could not record the call");
                // Without its record the call cannot go on after a stream.
                StartedCall { answer, realtime: None }
            }
        }
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
    pub(crate) async fn meter_models(
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

    /// The whisper the person a warm transfer rings hears before the caller
    /// is connected: who is calling and why, and to press 1.
    #[tracing::instrument(skip_all, fields(tenant_id = %profile.slug(), call_sid = %call_sid))]
    pub async fn whisper(&self, profile: &TenantProfile, call_sid: &CallSid) -> Result<String, CallError> {
        let call = self.existing_call(profile, call_sid).await?;
        let summary = CallSummaryLine::of(profile, &call);
        Ok(format!("Frontdesk call for {}. {} Press 1 to take the call.", profile.name(), summary.sentence()))
    }

    /// The person a warm transfer rang pressed 1 on `leg`: the caller is
    /// connected, and the call was transferred.
    #[tracing::instrument(skip_all, fields(tenant_id = %profile.slug(), call_sid = %call_sid))]
    pub async fn transfer_accepted(
        &self,
        profile: &TenantProfile,
        call_sid: &CallSid,
        leg: CallSid,
        now: DateTime<Utc>,
    ) -> Result<(), CallError> {
        let call = self.existing_call(profile, call_sid).await?;
        let answer = Answer::hang_up("");
        let update = TurnUpdate {
            state: call.state,
            turns: vec![Turn::said(now, Speaker::Agent, "(connected to the shop)")],
            outcome: Some(Outcome::Transferred),
            booking_id: None,
            recording_url: None,
            question: None,
            nearest: None,
            reply: answer.encode(),
        };
        self.answer_once(profile, call_sid, &TurnKey::Accepted(leg), update, answer, TurnNumber::FIRST, now).await;
        Ok(())
    }

    /// One of a call back's legs (`leg`, `seconds` long: the customer's,
    /// dialled once the owner takes it, or the owner's, which Calls.json
    /// placed) ended: it costs us the outbound rate, attributed to the call the
    /// callback is for (`call_sid`), never billed to the shop (a call back
    /// is the owner's call). Once per leg.
    #[tracing::instrument(skip_all, fields(tenant_id = %profile.slug(), call_sid = %call_sid))]
    pub async fn call_back_leg_ended(
        &self,
        profile: &TenantProfile,
        call_sid: &CallSid,
        leg: &CallSid,
        seconds: u32,
        now: DateTime<Utc>,
    ) -> Result<(), CallError> {
        self.allowance.meter_outbound_leg(profile.slug(), call_sid, leg, seconds, now).await
    }

    /// A transfer to a person ended: done if they took the call (after a
    /// warm transfer: pressed 1 on that leg; otherwise: the legs were
    /// bridged), else the caller leaves a message and is owed a callback.
    #[tracing::instrument(skip_all, fields(tenant_id = %profile.slug(), call_sid = %call_sid))]
    pub async fn transfer_ended(
        &self,
        profile: &TenantProfile,
        call_sid: &CallSid,
        ended: TransferEnded,
        now: DateTime<Utc>,
    ) -> Result<Answer, CallError> {
        let call = self.existing_call(profile, call_sid).await?;
        if let (Some(leg), Some(seconds)) = (&ended.leg, ended.leg_duration_secs) {
            // The dialled leg costs us the outbound rate; never billed to the
            // shop. Once per leg (a repeated webhook counts once).
            if let Err(error) = self.allowance.meter_outbound_leg(profile.slug(), call_sid, leg, seconds, now).await {
                tracing::error!(%error, %leg, "could not meter a transfer's leg");
            }
        }
        let warm = CallState::from_json(&call.state).warm_transfer;
        let taken = if warm {
            match &ended.leg {
                Some(leg) => self
                    .calls
                    .call_for_turn(profile.slug(), call_sid, &TurnKey::Accepted(leg.clone()))
                    .await?
                    .is_some_and(|found| found.answered.is_some()),
                None => false,
            }
        } else {
            ended.bridged
        };
        if taken {
            return Ok(Answer::hang_up(""));
        }
        self.open_callback(profile, &call, now).await;
        let answer = Answer {
            say: format!(
                "Sorry, nobody could come to the phone. Please leave your name, number and message for {} after the tone, and we'll call you back.",
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

    /// The caller left a voicemail (`recording` names it; `url` is where it
    /// is): it joins the call's callback (opened now if the call has none),
    /// and the owner is texted about it once its transcription arrives or
    /// [`TRANSCRIPTION_WAIT`] has passed. When we transcribe messages
    /// ourselves, the transcription job is queued here (once per recording).
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
            state: call.state.clone(),
            turns: vec![Turn::said(now, Speaker::Caller, "(left a voicemail)")],
            outcome: Some(Outcome::MessageTaken),
            booking_id: None,
            recording_url: url.clone(),
            question: None,
            nearest: None,
            reply: answer.encode(),
        };
        let key = TurnKey::Recording(recording.clone());
        let answer = self.answer_once(profile, call_sid, &key, update, answer, TurnNumber::FIRST, now).await;
        if let Some(callbacks) = &self.callbacks {
            self.open_callback(profile, &call, now).await;
            if let Some(url) = &url
                && let Err(error) = callbacks.store.attach_recording(profile.slug(), call_sid, url).await
            {
                tracing::error!(%error, "could not attach the recording to the callback");
            }
            let notice = voicemail_notice(profile, &call, None, &callbacks.link, now);
            callbacks.queue_notice(profile, call_sid, &notice, Some(now + TRANSCRIPTION_WAIT)).await;
            // The message's notice covers the callback: the "no message"
            // one, if the call's end queued it already, is withdrawn.
            callbacks.withdraw_no_message_notice(profile, call_sid).await;
            if self.transcribes_messages(profile)
                && let (Some(recording), Some(url)) = (&recording, &url)
            {
                // Not in the recording's transaction (the stores keep turns
                // and callbacks apart from jobs): queued once by its key. If
                // it is lost, the plain notice above still goes out.
                let job = transcription_job(profile.slug(), call_sid, recording, url);
                if let Err(error) = callbacks.jobs.enqueue(job).await {
                    tracing::error!(%error, "could not queue the message's transcription");
                }
            }
        }
        Ok(answer)
    }

    /// The provider transcribed the caller's message (`None`: it could not):
    /// the text joins the callback (card numbers removed), and the owner is
    /// texted the gist now instead of the plain notice.
    #[tracing::instrument(skip_all, fields(tenant_id = %profile.slug(), call_sid = %call_sid))]
    pub async fn transcribed(
        &self,
        profile: &TenantProfile,
        call_sid: &CallSid,
        text: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), CallError> {
        let Some(callbacks) = &self.callbacks else { return Ok(()) };
        callbacks.transcribed(self.calls.as_ref(), profile, call_sid, text, now).await
    }

    /// Opens the call's callback (once), with who called and why.
    async fn open_callback(&self, profile: &TenantProfile, call: &CallRecord, now: DateTime<Utc>) {
        let Some(callbacks) = &self.callbacks else { return };
        let summary = CallSummaryLine::of(profile, call);
        let callback = Callback {
            call_sid: call.call_sid.clone(),
            tenant: profile.slug().clone(),
            caller: call.caller.clone(),
            name: summary.name.clone(),
            reason: summary.reason,
            recording_url: None,
            transcript: None,
            status: CallbackStatus::Open,
            created_at: now,
            done_at: None,
        };
        if let Err(error) = callbacks.store.open_callback(&callback).await {
            tracing::error!(%error, "could not open a callback");
        }
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
        let state = CallState::from_json(&call.state);
        let mid_booking = state.is_mid_booking();
        let ended_outcome = Outcome::on_hang_up(call.outcome, mid_booking);
        self.calls
            .record_status(tenant, call_sid, report.status, report.sequence, report.duration_secs, ended_outcome, now)
            .await?;
        // The provider bills the finished call by its duration; a repeated
        // callback is counted once (the usage key is the call). A later,
        // longer report is not ignored: the largest duration reported is
        // what the call costs (a forged short first report cannot
        // under-bill it). A call forwarded to the owner because answering
        // was suspended is costed, never billed to the shop.
        if report.status == CallStatus::Completed
            && let Some(seconds) = report.duration_secs
        {
            let minutes = minutes_of(&state);
            let allowance = self.allowance.as_ref();
            meter_reported_duration(allowance, tenant, call_sid, minutes, call.duration_secs, seconds, now).await?;
            if let Some(callbacks) = &self.callbacks {
                callbacks.notice_if_no_message(profile, &call, now).await?;
            }
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

    pub(crate) async fn existing_call(
        &self,
        profile: &TenantProfile,
        call_sid: &CallSid,
    ) -> Result<CallRecord, CallError> {
        self.calls.call(profile.slug(), call_sid).await?.ok_or_else(|| CallError::NotFound(call_sid.to_string()))
    }

    /// Saves a turn once per webhook and answers with what was answered the
    /// first time: a webhook repeated while the first is still being served
    /// gets the first answer, never a second booking.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn answer_once(
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

impl Callbacks {
    /// The message of `call_sid` was transcribed (`None`: it could not be):
    /// the text joins the callback (card numbers removed), and the owner is
    /// texted the gist now instead of the plain notice waiting for it; if
    /// that went out already, the gist follows it. Without a text, the plain
    /// notice goes out now (once). Repeating it sends nothing twice.
    pub(crate) async fn transcribed(
        &self,
        calls: &dyn CallStore,
        profile: &TenantProfile,
        call_sid: &CallSid,
        text: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), CallError> {
        let call =
            calls.call(profile.slug(), call_sid).await?.ok_or_else(|| CallError::NotFound(call_sid.to_string()))?;
        let text = text.map(frontdesk_language::redact_card_numbers).filter(|t| !t.trim().is_empty());
        if let Some(text) = &text {
            self.store.attach_transcript(profile.slug(), call_sid, text).await?;
        }
        // The waiting job's key, as the notice job makes it.
        let waiting = voicemail_job(profile, &notice_key(call_sid), "").and_then(|job| job.unique_key);
        let withdrawn = match waiting {
            Some(key) => self.jobs.cancel_by_key(&key).await.map_err(|e| CallError::Unexpected(e.into()))?,
            None => false,
        };
        if withdrawn || text.is_some() {
            let notice = voicemail_notice(profile, &call, text.as_deref(), &self.link, now);
            // The gist now, under its own key; without one, the plain notice now.
            let at = if text.is_some() { None } else { Some(now) };
            self.queue_notice(profile, call_sid, &notice, at).await;
        }
        Ok(())
    }

    /// The call ended: if it left a callback but no message, the owner is
    /// told now (after [`NO_MESSAGE_WAIT`], in case the recording is still
    /// on its way): who called, when, that they left no message, and the
    /// callbacks' link. Once per callback (the job's key is the call), and
    /// never when a message was left (its own notice covers the callback).
    /// An error means the provider should retry.
    async fn notice_if_no_message(
        &self,
        profile: &TenantProfile,
        call: &CallRecord,
        now: DateTime<Utc>,
    ) -> Result<(), CallError> {
        let Some(callback) = self.store.callback(profile.slug(), &call.call_sid).await? else { return Ok(()) };
        if callback.status == CallbackStatus::Done || callback.recording_url.is_some() || call.recording_url.is_some() {
            return Ok(());
        }
        let body = no_message_notice(profile, call, &callback, &self.link, now);
        // `None`: the owner chose not to hear about callbacks.
        let Some(job) = no_message_job(profile, &call.call_sid, &body) else { return Ok(()) };
        self.jobs.enqueue(job.run_at(now + NO_MESSAGE_WAIT)).await.map_err(|e| CallError::Unexpected(e.into()))?;
        Ok(())
    }

    /// A message arrived: the "no message" notice, if queued, is withdrawn.
    async fn withdraw_no_message_notice(&self, profile: &TenantProfile, call_sid: &CallSid) {
        let Some(key) = no_message_job(profile, call_sid, "").and_then(|job| job.unique_key) else { return };
        if let Err(error) = self.jobs.cancel_by_key(&key).await {
            tracing::error!(%error, "could not withdraw the owner's \"no message\" notice");
        }
    }

    /// Queues the owner's text about a message, to go out `at` (the plain
    /// notice: later, waiting for the transcription, or now when there will
    /// be none) or, with `None`, now with what the message says. The plain
    /// notice and the gist have a key each: a gist that follows a plain
    /// notice is never taken for it.
    async fn queue_notice(&self, profile: &TenantProfile, call_sid: &CallSid, body: &str, at: Option<DateTime<Utc>>) {
        let key = match at {
            Some(_) => notice_key(call_sid),
            None => format!("{}:transcribed", notice_key(call_sid)),
        };
        // `None`: the owner chose not to hear about messages.
        let Some(mut job) = voicemail_job(profile, &key, body) else { return };
        if let Some(at) = at {
            job = job.run_at(at);
        }
        if let Err(error) = self.jobs.enqueue(job).await {
            tracing::error!(%error, "could not queue the owner's text about a message");
        }
    }
}

/// Meters a finished call the provider reported as `reported` seconds long,
/// `metered` being what was metered before (`None`: nothing yet), as
/// `minutes` says. The largest duration reported is what the call costs.
pub(crate) async fn meter_reported_duration(
    allowance: &dyn CallAllowance,
    tenant: &TenantId,
    call_sid: &CallSid,
    minutes: CallMinutes,
    metered: Option<u32>,
    reported: u32,
    now: DateTime<Utc>,
) -> Result<(), CallError> {
    match metered {
        None => allowance.meter_call(tenant, call_sid, reported, minutes, now).await,
        Some(metered) => {
            let extra = billed_minutes(reported).saturating_sub(billed_minutes(metered));
            if extra > 0 {
                allowance.meter_call_extension(tenant, call_sid, reported, extra, minutes, now).await?;
            }
            Ok(())
        }
    }
}

/// Whose minutes the call's are: forwarded to the owner unanswered (never
/// billed to the shop) or answered by the receptionist.
pub(crate) fn minutes_of(state: &CallState) -> CallMinutes {
    if state.forwarded_to_owner { CallMinutes::ForwardedToOwner } else { CallMinutes::Answered }
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

/// The owner's notification of a message left (on the channels they chose).
fn voicemail_job(profile: &TenantProfile, key: &str, body: &str) -> Option<frontdesk_jobs::NewJob> {
    frontdesk_notify::owner_notification_job(
        profile,
        frontdesk_notify::OwnerEvent::Voicemail,
        key,
        body,
        Some("/app/callbacks"),
    )
}

/// The owner's notification of a callback whose caller left no message (on
/// the channels they chose, or in their digest), keyed by the call.
fn no_message_job(profile: &TenantProfile, call_sid: &CallSid, body: &str) -> Option<frontdesk_jobs::NewJob> {
    frontdesk_notify::owner_notification_job(
        profile,
        frontdesk_notify::OwnerEvent::CallbackCreated,
        &format!("callback:{call_sid}"),
        body,
        Some("/app/callbacks"),
    )
}

/// "Frontdesk: Jane (+1555…) called Fresh Cuts today at 3:05 PM and didn't
/// leave a message (wants to book a haircut). Call back: LINK"
fn no_message_notice(
    profile: &TenantProfile,
    call: &CallRecord,
    callback: &Callback,
    link: &str,
    now: DateTime<Utc>,
) -> String {
    let who = caller_words(callback.name.as_deref(), call.caller.as_ref());
    let at = crate::reminders::when_from(profile, call.started_at, now);
    format!(
        "Frontdesk: {who} called {} {at} and didn't leave a message ({}). Call back: {link}",
        profile.name(),
        callback.reason
    )
}

/// "Jane (+15555551234)", "+15555551234", "a caller with a withheld number".
fn caller_words(name: Option<&str>, number: Option<&E164>) -> String {
    match (name, number) {
        (Some(name), Some(number)) => format!("{name} ({number})"),
        (Some(name), None) => format!("{name} (number withheld)"),
        (None, Some(number)) => number.to_string(),
        (None, None) => "a caller with a withheld number".to_owned(),
    }
}

/// The key of the owner's text about a call's message.
fn notice_key(call_sid: &CallSid) -> String {
    format!("voicemail:{call_sid}")
}

/// The owner's text about a message: who, when, what it says (or that it
/// could not be transcribed), and where the callbacks are.
fn voicemail_notice(
    profile: &TenantProfile,
    call: &CallRecord,
    transcript: Option<&str>,
    link: &str,
    now: DateTime<Utc>,
) -> String {
    let summary = CallSummaryLine::of(profile, call);
    let who = caller_words(summary.name.as_deref(), call.caller.as_ref());
    let at = crate::reminders::when_from(profile, call.started_at, now);
    let said = match transcript {
        Some(text) => format!(": \"{}\"", shortened(text, 240)),
        None => format!(" ({}).", summary.reason),
    };
    format!("Frontdesk: voicemail for {} from {who}, {at}{said} Call back: {link}", profile.name())
}

/// `text` cut to at most `max` characters at a word, with an ellipsis.
fn shortened(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{cut}…")
}

/// Who called and what they wanted, from the call's state and transcript:
/// what a whisper, a callback and the owner's text say.
struct CallSummaryLine {
    name: Option<String>,
    /// "wants to book a skin fade on Friday at 3 PM", "asked: ...".
    reason: String,
}

impl CallSummaryLine {
    fn of(profile: &TenantProfile, call: &CallRecord) -> CallSummaryLine {
        let state = CallState::from_json(&call.state);
        let draft = &state.draft;
        let name = draft.name.clone().filter(|n| !n.trim().is_empty());
        let service = draft.service.as_deref().map(str::to_lowercase);
        let when = match (draft.slot_start, draft.date) {
            (Some(start), _) => Some(crate::dialogue::spoken_when(profile, start)),
            (None, Some(date)) => Some(crate::dialogue::spoken_date(date)),
            (None, None) => None,
        };
        let on = when.map(|w| format!(" {w}")).unwrap_or_default();
        let reason = match (draft.booking.is_some(), draft.rescheduling, service) {
            (true, true, Some(service)) => format!("wants to move their {service}{on}"),
            (true, false, Some(service)) => format!("wants to cancel their {service}"),
            (false, _, Some(service)) => format!("wants to book a {service}{on}"),
            _ => match call.turns.iter().rev().find(|t| t.speaker == Speaker::Caller && !t.text.starts_with('(')) {
                Some(turn) => format!("said: \"{}\"", shortened(&turn.text, 120)),
                None => "asked for someone at the shop".to_owned(),
            },
        };
        CallSummaryLine { name, reason }
    }

    /// "Jane wants to move their haircut Friday at 3 PM."
    fn sentence(&self) -> String {
        let who = self.name.as_deref().unwrap_or("A caller");
        format!("{who} {}.", self.reason)
    }
}
