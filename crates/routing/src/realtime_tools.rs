//! The realtime voice model's tools: the text path's tools, run by the
//! text path's rules, for one call answered by a realtime voice model.
//!
//! The model talks; the domain acts. Each tool call is parsed as the text
//! path parses it ([`crate::dialogue`]'s `parse`: strict arguments, a
//! service the shop offers, a date inside the booking window) and run
//! through the rules' own flows on the call's saved [`CallState`], which is
//! saved again after each call: a fallback to the turn-by-turn path goes on
//! with what was held, read back or booked.
//!
//! Held here whatever the model says:
//! - Nothing is booked, cancelled or moved without the rules' read-back and
//!   the caller's own yes. `hold_slot`, `cancel_booking` and
//!   `reschedule_booking` answer with the rules' read-back for the model to
//!   say; `book_held_slot` and `confirm_change` act only on the caller's
//!   transcribed words heard after that read-back ([`RealtimeTools::heard`]),
//!   read by the rules' own yes/no detection, a no winning over a yes. The
//!   model's arguments can never carry the yes.
//! - A caller reaches only the bookings of the number they call from, or of
//!   a confirmation code they spoke (in their transcribed words).
//! - What is said of prices, times and bookings comes in the results
//!   (`say_exactly`), from the profile and the calendar.
//! - A question is answered from the shop's knowledge with its sources, or
//!   recorded as unanswered, as on the text path.
//! - A hand-off (a person, a message, a goodbye) ends the stream: the answer
//!   the call goes on with (`<Dial>`, `<Record>`, a goodbye) is saved as the
//!   stream's end, which `CallSession::stream_ended` replays.
//!
//! Card numbers never reach the record or the log: the caller's words are
//! redacted as they arrive, and so is the one free-text argument.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use frontdesk_core::Clock;
use frontdesk_llm::{ItemId, ToolCall, ToolSpec};
use frontdesk_tenant::TenantProfile;
use serde_json::{Value, json};
use tokio::sync::{Mutex, Notify};

use crate::allowance::CallAllowance;
use crate::calls::{CallStore, Outcome, Speaker, Turn, TurnUpdate};
use crate::dialogue::{Action, CallContext, CallState, Dialogue, Next, Ran, Reply, Stage, parse, tool_specs};
use crate::ids::{CallSid, TurnKey, TurnNumber};
use crate::session::{Answer, CallSession};
use crate::spend::ModelSpend;

/// How long a commit waits for the caller's answer to be transcribed when
/// none has arrived since the read-back (the transcript of the caller's
/// words may come just after the model's tool call).
pub const ANSWER_WAIT: Duration = Duration::from_millis(1500);

/// The caller's last utterances the rules read a tool call's context from
/// (a confirmation code, a name, a service said in passing).
const RECENT_UTTERANCES: usize = 3;

/// The tools a realtime session is offered: the text path's, with
/// `book_held_slot` always there (a session's tools are set once) and
/// `confirm_change` for a cancellation or a move the caller answered.
pub fn realtime_tool_specs() -> Vec<ToolSpec> {
    let mut tools = tool_specs(true);
    for tool in &mut tools {
        if tool.name == "book_held_slot" {
            tool.description = "The caller answered the read-back of the held slot (or gave the name the shop asked \
                for). The shop books it only if the caller's own words said yes; otherwise it says what to ask."
                .to_owned();
        }
    }
    let position = tools.iter().position(|tool| tool.name == "answer_from_knowledge").unwrap_or(tools.len());
    tools.insert(
        position,
        ToolSpec {
            name: "confirm_change".to_owned(),
            description: "The caller answered the read-back of a cancellation or a move of their appointment. The \
                shop changes it only if the caller's own words said yes."
                .to_owned(),
            parameters: json!({"type": "object", "properties": {}, "required": [], "additionalProperties": false}),
        },
    );
    tools
}

/// One realtime call's tools (see the module).
pub struct RealtimeTools {
    calls: Arc<dyn CallStore>,
    dialogue: Arc<Dialogue>,
    allowance: Arc<dyn CallAllowance>,
    clock: Arc<dyn Clock>,
    profile: TenantProfile,
    call_sid: CallSid,
    /// Tool calls run one at a time, each on the state the last one saved.
    running: Mutex<()>,
    caller: std::sync::Mutex<CallerWords>,
    spoke: Notify,
    handed_off: AtomicBool,
}

/// What the caller said, and when they began saying it relative to the
/// read-backs: a transcript often arrives after the tool call that follows
/// the words, so words begun before a read-back never answer it.
#[derive(Debug, Default)]
struct CallerWords {
    /// The items the caller began speaking, in order.
    started: Vec<ItemId>,
    /// Each utterance as it was transcribed (its item, if known), card
    /// numbers removed.
    utterances: Vec<(Option<ItemId>, String)>,
    /// At the last read-back: how many items had begun, and how many
    /// utterances had been transcribed.
    read_back_at: (usize, usize),
}

impl CallerWords {
    /// What the caller said after the last read-back: the items begun
    /// after it; an utterance whose start was never told, by its arrival.
    fn since_read_back(&self) -> Vec<String> {
        let (started_before, heard_before) = self.read_back_at;
        self.utterances
            .iter()
            .enumerate()
            .filter(|(arrived, (item, _))| match item.as_ref().and_then(|item| self.started_at(item)) {
                Some(began) => began >= started_before,
                None => *arrived >= heard_before,
            })
            .map(|(_, (_, text))| text.clone())
            .collect()
    }

    fn started_at(&self, item: &ItemId) -> Option<usize> {
        self.started.iter().position(|started| started == item)
    }

    /// The caller began speaking after the last read-back and their words
    /// are not transcribed yet (or no start is ever told).
    fn awaiting_transcript(&self) -> bool {
        let transcribed = |item: &ItemId| self.utterances.iter().any(|(heard, _)| heard.as_ref() == Some(item));
        let after = &self.started[self.read_back_at.0.min(self.started.len())..];
        self.started.is_empty() || after.iter().any(|item| !transcribed(item))
    }

    fn read_back_given(&mut self) {
        self.read_back_at = (self.started.len(), self.utterances.len());
    }
}

impl CallSession {
    /// The tools of `call_sid`, answered by a realtime voice model.
    pub fn realtime_tools(&self, profile: TenantProfile, call_sid: CallSid, clock: Arc<dyn Clock>) -> RealtimeTools {
        RealtimeTools {
            calls: self.calls.clone(),
            dialogue: self.dialogue.clone(),
            allowance: self.allowance.clone(),
            clock,
            profile,
            call_sid,
            running: Mutex::new(()),
            caller: std::sync::Mutex::new(CallerWords::default()),
            spoke: Notify::new(),
            handed_off: AtomicBool::new(false),
        }
    }
}

/// What a tool call came to.
enum Done {
    /// The rules answered: what to say, and what happens after.
    Reply(Reply),
    /// A result for the model only (an answer, a refusal).
    Back(Value),
}

impl RealtimeTools {
    /// The caller began speaking item `item` (told before the tool calls
    /// that follow it).
    pub fn speech_started(&self, item: &ItemId) {
        let mut words = self.words();
        if words.started_at(item).is_none() {
            words.started.push(item.clone());
        }
    }

    /// The caller said `text` (one transcribed utterance), in `item` when
    /// the provider names it.
    pub fn heard(&self, item: Option<&ItemId>, text: &str) {
        let text = frontdesk_language::redact_card_numbers(text.trim());
        if text.is_empty() {
            return;
        }
        self.words().utterances.push((item.cloned(), text));
        self.spoke.notify_waiters();
    }

    /// A tool call handed the call over: the stream should end, and the
    /// call goes on with the answer saved for the stream's end.
    pub fn handed_off(&self) -> bool {
        self.handed_off.load(Ordering::SeqCst)
    }

    fn words(&self) -> std::sync::MutexGuard<'_, CallerWords> {
        self.caller.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs one tool call; its result for the model (a refusal is
    /// `{"error": …}`). Never panics on what the model sent.
    #[tracing::instrument(skip_all, fields(tenant_id = %self.profile.slug(), call_sid = %self.call_sid, tool = %call.name))]
    pub async fn run(&self, call: &ToolCall) -> Value {
        let _one_at_a_time = self.running.lock().await;
        if self.handed_off() {
            return json!({"error": "the call has been handed over; say nothing more"});
        }
        let tenant = self.profile.slug();
        let record = match self.calls.call(tenant, &self.call_sid).await {
            Ok(Some(record)) => record,
            Ok(None) | Err(_) => {
                tracing::error!("the realtime call's record could not be read; its tool call was refused");
                return json!({"error": "the shop's system cannot do that right now; offer to take a message"});
            }
        };
        let mut state = CallState::from_json(&record.state);
        let mut policy = self.allowance.policy(tenant).await;
        policy.paid_ai &= !state.ai_budget_spent;
        let now = self.clock.now();
        let context = CallContext {
            profile: &self.profile,
            caller: record.caller.as_ref(),
            now,
            policy,
            spent: ModelSpend::default(),
        };
        let done = match call.name.as_str() {
            "book_held_slot" | "confirm_change" => self.commit(&context, &mut state, call).await,
            _ => match parse(&context, call) {
                Ok(action) => self.act(&context, &mut state, action).await,
                Err(problem) => Done::Back(json!({"error": frontdesk_language::redact_card_numbers(&problem)})),
            },
        };
        self.meter(&context, call, now).await;
        let result = match done {
            Done::Back(result) => {
                self.save(&state, None, &TurnKey::Tool(call.id.clone()), record.outcome, now).await;
                result
            }
            Done::Reply(reply) if reply.next != Next::Listen => {
                state.stage = Stage::Ended;
                // What the call goes on with once the stream ends.
                self.save(&state, Some(&reply), &TurnKey::StreamEnded, record.outcome, now).await;
                self.handed_off.store(true, Ordering::SeqCst);
                json!({"handed_over": true})
            }
            Done::Reply(reply) => {
                state.last_prompt = reply.prompt.clone().unwrap_or_else(|| reply.say.clone());
                let waits = awaits_caller(state.stage);
                if waits {
                    // Only what the caller begins saying after this answers it.
                    self.words().read_back_given();
                }
                self.save(&state, Some(&reply), &TurnKey::Tool(call.id.clone()), record.outcome, now).await;
                said(&reply, waits)
            }
        };
        tracing::info!(outcome = %if result.get("error").is_some() { "refused" } else { "done" }, "a realtime tool call");
        result
    }

    /// A tool the text path runs as it is.
    async fn act(&self, context: &CallContext<'_>, state: &mut CallState, action: Action) -> Done {
        let recent = {
            let words = self.words();
            let from = words.utterances.len().saturating_sub(RECENT_UTTERANCES);
            words.utterances[from..].iter().map(|(_, text)| text.as_str()).collect::<Vec<_>>().join(" ")
        };
        let mut heard = self.dialogue.hear(context, state, &recent).await;
        // The caller's words give context (a code, a name); the action is
        // the model's, and no yes is ever taken from it.
        heard.yes_no = None;
        match self.dialogue.run(context, state, &heard, action).await {
            Ran::Reply(reply) => Done::Reply(reply),
            Ran::Back(_, Some(answered)) => Done::Back(json!({
                "say_exactly": answered.say,
                "sources": answered.cited,
            })),
            Ran::Back(result, None) => Done::Back(result),
        }
    }

    /// `book_held_slot` / `confirm_change`: the caller's answer to the
    /// read-back, served by the rules, only from the caller's own words.
    async fn commit(&self, context: &CallContext<'_>, state: &mut CallState, call: &ToolCall) -> Done {
        let no_arguments = call.arguments.trim().is_empty()
            || serde_json::from_str::<serde_json::Map<String, Value>>(&call.arguments).is_ok_and(|map| map.is_empty());
        if !no_arguments {
            return Done::Back(json!({"error": format!("{} takes no arguments", call.name)}));
        }
        let booking = call.name == "book_held_slot";
        let waiting = if booking {
            matches!(state.stage, Stage::AskName | Stage::ConfirmBooking)
        } else {
            matches!(state.stage, Stage::CancelConfirm | Stage::RescheduleConfirm)
        };
        if !waiting {
            if booking && state.draft.hold.is_some() {
                // Held but not yet read back: read it back now.
                return Done::Reply(self.dialogue.read_held_slot_back(context, state));
            }
            let error = if booking {
                "no slot is held: use check_availability or hold_slot first"
            } else {
                "no cancellation or move waits for the caller's answer: use cancel_booking or reschedule_booking first"
            };
            return Done::Back(json!({"error": error}));
        }
        let answers = self.answers_since_read_back().await;
        let read_back = state.last_prompt.clone();
        let unanswered = move || {
            Done::Back(json!({
                "error": "nothing was done: the caller has not said yes to the read-back. Say exactly the read-back \
                          and wait for the caller's own answer.",
                "say_exactly": read_back,
            }))
        };
        if answers.is_empty() {
            return unanswered();
        }
        if state.stage == Stage::AskName {
            // Their name (or a change of mind), as the rules read it.
            let heard = self.dialogue.hear(context, state, &answers.join(" ")).await;
            return match self.dialogue.answer_to_read_back(context, state, &heard).await {
                Some(reply) => Done::Reply(reply),
                None => unanswered(),
            };
        }
        // Each utterance read by the rules: a no stands over any yes.
        let mut yes = None;
        for answer in &answers {
            let heard = self.dialogue.hear(context, state, answer).await;
            match heard.yes_no {
                Some(false) => {
                    yes = Some(heard);
                    break;
                }
                Some(true) if yes.is_none() => yes = Some(heard),
                _ => {}
            }
        }
        let Some(heard) = yes else { return unanswered() };
        match self.dialogue.answer_to_read_back(context, state, &heard).await {
            Some(reply) => Done::Reply(reply),
            None => unanswered(),
        }
    }

    /// What the caller said since the last read-back, waiting a little for
    /// words they began after it whose transcript is still on its way.
    async fn answers_since_read_back(&self) -> Vec<String> {
        let waited = tokio::time::Instant::now();
        loop {
            let spoke = self.spoke.notified();
            let (answers, awaiting) = {
                let words = self.words();
                (words.since_read_back(), words.awaiting_transcript())
            };
            let left = ANSWER_WAIT.saturating_sub(waited.elapsed());
            if !answers.is_empty() || !awaiting || left.is_zero() {
                return answers;
            }
            if tokio::time::timeout(left, spoke).await.is_err() {
                return self.words().since_read_back();
            }
        }
    }

    /// The call's state after a tool call, under its own key (or the
    /// stream's end, for a hand-off): once each.
    async fn save(
        &self,
        state: &CallState,
        reply: Option<&Reply>,
        key: &TurnKey,
        so_far: Option<Outcome>,
        now: chrono::DateTime<chrono::Utc>,
    ) {
        let handing_off = *key == TurnKey::StreamEnded;
        let answer = match reply {
            Some(reply) => Answer { say: reply.say.clone(), next: reply.next.clone(), listen_turn: TurnNumber::FIRST },
            None => Answer { say: String::new(), next: Next::Listen, listen_turn: TurnNumber::FIRST },
        };
        let update = TurnUpdate {
            state: state.to_json(),
            // The stream's transcript is recorded when it ends; a hand-off's
            // words are spoken after it.
            turns: if handing_off { vec![Turn::said(now, Speaker::Agent, answer.say.clone())] } else { Vec::new() },
            outcome: Outcome::after_turn(reply.and_then(|reply| reply.outcome), so_far),
            booking_id: reply.and_then(|reply| reply.booking_id),
            recording_url: None,
            question: reply.and_then(|reply| reply.unanswered.clone()),
            nearest: reply.and_then(|reply| reply.nearest.clone()),
            reply: answer.encode(),
        };
        if let Err(error) = self.calls.save_turn(self.profile.slug(), &self.call_sid, key, &update, now).await {
            tracing::error!(%error, turn = %key, "could not save a realtime tool call's state");
        }
    }

    /// Paid model calls a tool made (a question's embedding), each once.
    async fn meter(&self, context: &CallContext<'_>, call: &ToolCall, now: chrono::DateTime<chrono::Utc>) {
        for (n, used) in context.spent.take().into_iter().enumerate() {
            let key = format!("{}:{}:tool-{}:{n}", used.purpose, self.call_sid, call.id);
            if let Err(error) =
                self.allowance.meter_tokens(self.profile.slug(), &key, &used.model, used.tokens, now).await
            {
                tracing::error!(%error, model = %used.model, "could not meter a model call");
            }
        }
    }
}

/// The stages where the rules wait for the caller's own answer.
fn awaits_caller(stage: Stage) -> bool {
    matches!(stage, Stage::AskName | Stage::ConfirmBooking | Stage::CancelConfirm | Stage::RescheduleConfirm)
}

/// A reply of the rules as a result for the model.
fn said(reply: &Reply, waits: bool) -> Value {
    let mut result = json!({"say_exactly": reply.say});
    if waits {
        result["then"] = json!("wait for the caller's answer, then call book_held_slot or confirm_change");
    }
    if let Some(outcome) = reply.outcome {
        result["outcome"] = json!(outcome.as_str());
    }
    if !reply.cited.is_empty() {
        result["sources"] = json!(reply.cited);
    }
    result
}
