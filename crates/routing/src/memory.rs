//! `MemoryCallStore`: the [`CallStore`] port in memory, for tests and
//! embedders. It keeps the port's promises: a turn is applied once (its
//! question with it), a repeated turn gets its first answer, a tenant sees
//! only its own calls, and status callbacks apply in sequence order.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_core::TenantId;

use crate::callbacks::{Callback, CallbackStatus, CallbackStore};
use crate::calls::{
    AskedQuestion, CallError, CallRecord, CallStore, CallSummary, CallTurn, IncomingCall, Outcome, SavedTurn,
    TurnUpdate,
};
use crate::ids::{CallSid, CallStatus, TurnKey};

struct StoredCall {
    record: CallRecord,
    last_sequence: Option<u32>,
    replies: HashMap<String, String>,
}

#[derive(Default)]
struct State {
    calls: HashMap<CallSid, StoredCall>,
    /// (tenant, asked question)
    questions: Vec<(TenantId, AskedQuestion)>,
    saves: usize,
    callbacks: Vec<Callback>,
}

#[derive(Default)]
pub struct MemoryCallStore {
    state: Mutex<State>,
}

impl MemoryCallStore {
    pub fn new() -> MemoryCallStore {
        MemoryCallStore::default()
    }

    /// How many turns were applied (repeats not counted).
    pub fn saved_turns(&self) -> usize {
        self.lock().saves
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl State {
    fn of_tenant(&mut self, tenant: &TenantId, call_sid: &CallSid) -> Option<&mut StoredCall> {
        self.calls.get_mut(call_sid).filter(|call| call.record.tenant == *tenant)
    }
}

#[async_trait]
impl CallStore for MemoryCallStore {
    async fn open_call(
        &self,
        tenant: &TenantId,
        incoming: &IncomingCall,
        initial_state: &str,
        now: DateTime<Utc>,
    ) -> Result<CallRecord, CallError> {
        let call_sid = &incoming.call_sid;
        let mut state = self.lock();
        let call = state.calls.entry(call_sid.clone()).or_insert_with(|| StoredCall {
            record: CallRecord {
                call_sid: call_sid.clone(),
                tenant: tenant.clone(),
                caller: incoming.caller.clone(),
                called: incoming.called.clone(),
                status: CallStatus::InProgress,
                started_at: now,
                ended_at: None,
                duration_secs: None,
                outcome: None,
                booking_id: None,
                recording_url: None,
                state: initial_state.to_owned(),
                turns: Vec::new(),
            },
            last_sequence: None,
            replies: HashMap::new(),
        });
        if call.record.tenant != *tenant {
            return Err(CallError::NotFound(call_sid.to_string()));
        }
        Ok(call.record.clone())
    }

    async fn call(&self, tenant: &TenantId, call_sid: &CallSid) -> Result<Option<CallRecord>, CallError> {
        Ok(self.lock().of_tenant(tenant, call_sid).map(|call| call.record.clone()))
    }

    async fn call_for_turn(
        &self,
        tenant: &TenantId,
        call_sid: &CallSid,
        turn: &TurnKey,
    ) -> Result<Option<CallTurn>, CallError> {
        Ok(self
            .lock()
            .of_tenant(tenant, call_sid)
            .map(|call| CallTurn { call: call.record.clone(), answered: call.replies.get(&turn.as_key()).cloned() }))
    }

    async fn save_turn(
        &self,
        tenant: &TenantId,
        call_sid: &CallSid,
        turn: &TurnKey,
        update: &TurnUpdate,
        now: DateTime<Utc>,
    ) -> Result<SavedTurn, CallError> {
        let mut state = self.lock();
        let call = state.of_tenant(tenant, call_sid).ok_or_else(|| CallError::NotFound(call_sid.to_string()))?;
        let key = turn.as_key();
        if let Some(first) = call.replies.get(&key) {
            return Ok(SavedTurn::AlreadyAnswered(first.clone()));
        }
        call.replies.insert(key, update.reply.clone());
        let record = &mut call.record;
        record.state = update.state.clone();
        record.turns.extend(update.turns.iter().cloned());
        record.outcome = update.outcome.or(record.outcome);
        record.booking_id = update.booking_id.or(record.booking_id);
        record.recording_url = update.recording_url.clone().or(record.recording_url.take());
        if let Some(question) = &update.question {
            let id = state.questions.len() as i64 + 1;
            let asked = AskedQuestion {
                id,
                asked_at: now,
                question: question.clone(),
                answered_at: None,
                nearest: update.nearest.clone(),
            };
            state.questions.push((tenant.clone(), asked));
        }
        state.saves += 1;
        Ok(SavedTurn::Saved)
    }

    async fn record_status(
        &self,
        tenant: &TenantId,
        call_sid: &CallSid,
        status: CallStatus,
        sequence: u32,
        duration_secs: Option<u32>,
        ended_outcome: Outcome,
        now: DateTime<Utc>,
    ) -> Result<(), CallError> {
        let mut state = self.lock();
        let Some(call) = state.of_tenant(tenant, call_sid) else { return Ok(()) };
        // The largest duration reported is kept whatever the order.
        call.record.duration_secs = call.record.duration_secs.max(duration_secs);
        if call.last_sequence.is_some_and(|last| sequence <= last) {
            return Ok(());
        }
        call.last_sequence = Some(sequence);
        let record = &mut call.record;
        record.status = status;
        if status.is_final() {
            record.ended_at = record.ended_at.or(Some(now));
            record.outcome = Some(ended_outcome);
        }
        Ok(())
    }

    async fn list_calls(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CallRecord>, CallError> {
        let state = self.lock();
        let mut calls: Vec<CallRecord> = state
            .calls
            .values()
            .map(|call| &call.record)
            .filter(|call| call.tenant == *tenant && call.started_at >= from && call.started_at < to)
            .cloned()
            .collect();
        calls.sort_by_key(|call| std::cmp::Reverse(call.started_at));
        Ok(calls)
    }

    async fn call_summaries_of_all_tenants(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CallSummary>, CallError> {
        let state = self.lock();
        let mut calls: Vec<CallSummary> = state
            .calls
            .values()
            .map(|call| &call.record)
            .filter(|call| call.started_at >= from && call.started_at < to)
            .map(CallSummary::from)
            .collect();
        calls.sort_by_key(|call| std::cmp::Reverse(call.started_at));
        Ok(calls)
    }

    async fn transfer_ends(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<crate::CallTransfer>, CallError> {
        let state = self.lock();
        Ok(state
            .calls
            .values()
            .filter(|call| {
                call.record.tenant == *tenant && call.record.started_at >= from && call.record.started_at < to
            })
            .filter(|call| {
                call.record
                    .outcome
                    .is_some_and(|outcome| crate::transfers::OUTCOMES_AFTER_A_TRANSFER.contains(&outcome))
            })
            .filter_map(|call| {
                let end = crate::TransferEnd::from_reply_keys(call.replies.keys().map(String::as_str))?;
                Some(crate::CallTransfer { call_sid: call.record.call_sid.clone(), end })
            })
            .collect())
    }

    async fn questions(&self, tenant: &TenantId) -> Result<Vec<AskedQuestion>, CallError> {
        let state = self.lock();
        let mut questions: Vec<AskedQuestion> =
            state.questions.iter().filter(|(t, _)| t == tenant).map(|(_, q)| q.clone()).collect();
        questions.sort_by_key(|q| (std::cmp::Reverse(q.asked_at), std::cmp::Reverse(q.id)));
        Ok(questions)
    }

    async fn close_question(
        &self,
        tenant: &TenantId,
        id: i64,
        at: DateTime<Utc>,
    ) -> Result<Option<AskedQuestion>, CallError> {
        let mut state = self.lock();
        let found = state.questions.iter_mut().find(|(t, q)| t == tenant && q.id == id);
        Ok(found.map(|(_, question)| {
            question.answered_at = question.answered_at.or(Some(at));
            question.clone()
        }))
    }
}

#[async_trait]
impl CallbackStore for MemoryCallStore {
    async fn open_callback(&self, callback: &Callback) -> Result<bool, CallError> {
        let mut state = self.lock();
        let owned = state.calls.get(&callback.call_sid).is_some_and(|c| c.record.tenant == callback.tenant);
        if !owned {
            return Err(CallError::NotFound(callback.call_sid.to_string()));
        }
        if state.callbacks.iter().any(|c| c.call_sid == callback.call_sid) {
            return Ok(false);
        }
        state.callbacks.push(callback.clone());
        Ok(true)
    }

    async fn attach_recording(&self, tenant: &TenantId, call: &CallSid, url: &str) -> Result<bool, CallError> {
        Ok(self.with_callback(tenant, call, |c| c.recording_url = Some(url.to_owned())))
    }

    async fn attach_transcript(&self, tenant: &TenantId, call: &CallSid, text: &str) -> Result<bool, CallError> {
        Ok(self.with_callback(tenant, call, |c| c.transcript = Some(text.to_owned())))
    }

    async fn callback(&self, tenant: &TenantId, call: &CallSid) -> Result<Option<Callback>, CallError> {
        Ok(self.lock().callbacks.iter().find(|c| c.tenant == *tenant && c.call_sid == *call).cloned())
    }

    async fn callbacks(&self, tenant: &TenantId, status: Option<CallbackStatus>) -> Result<Vec<Callback>, CallError> {
        let mut found: Vec<Callback> = self
            .lock()
            .callbacks
            .iter()
            .filter(|c| c.tenant == *tenant && status.is_none_or(|s| c.status == s))
            .cloned()
            .collect();
        found.sort_by(|a, b| (a.created_at, &a.call_sid).cmp(&(b.created_at, &b.call_sid)));
        Ok(found)
    }

    async fn close_callback(&self, tenant: &TenantId, call: &CallSid, now: DateTime<Utc>) -> Result<bool, CallError> {
        Ok(self.with_callback(tenant, call, |c| {
            c.status = CallbackStatus::Done;
            c.done_at = c.done_at.or(Some(now));
        }))
    }
}

impl MemoryCallStore {
    fn with_callback(&self, tenant: &TenantId, call: &CallSid, change: impl FnOnce(&mut Callback)) -> bool {
        let mut state = self.lock();
        match state.callbacks.iter_mut().find(|c| c.tenant == *tenant && c.call_sid == *call) {
            Some(callback) => {
                change(callback);
                true
            }
            None => false,
        }
    }
}
