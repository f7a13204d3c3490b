//! Callbacks: a caller who wanted a person and did not get one (the owner
//! did not take the transfer, or the shop was closed and they left a
//! message) is owed a call back. One per call; it carries who called, why,
//! their recording and its transcription when there is one, and whether
//! someone has called them back yet. [`CallbackStore`] is its port.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_core::{E164, TenantId};

use crate::calls::CallError;
use crate::ids::CallSid;

/// Whether the caller still waits for their call back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallbackStatus {
    Open,
    Done,
}

impl CallbackStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CallbackStatus::Open => "open",
            CallbackStatus::Done => "done",
        }
    }

    pub fn parse(raw: &str) -> Option<CallbackStatus> {
        match raw {
            "open" => Some(CallbackStatus::Open),
            "done" => Some(CallbackStatus::Done),
            _ => None,
        }
    }
}

/// A call back owed to a caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callback {
    /// The call it comes from (also its id: one callback per call).
    pub call_sid: CallSid,
    pub tenant: TenantId,
    /// Who to call back; `None` when the caller's number was withheld
    /// (their message may say it).
    pub caller: Option<E164>,
    /// The caller's name, when they gave it.
    pub name: Option<String>,
    /// Why they called, from the conversation ("wants to move her 3 PM
    /// skin fade").
    pub reason: String,
    pub recording_url: Option<String>,
    /// What their message says (card numbers removed), once transcribed.
    pub transcript: Option<String>,
    pub status: CallbackStatus,
    pub created_at: DateTime<Utc>,
    pub done_at: Option<DateTime<Utc>>,
}

impl Callback {
    /// Rebuilds a callback from the columns both store adapters keep; a
    /// value that no longer parses is an error naming it.
    #[allow(clippy::too_many_arguments)]
    pub fn from_stored(
        call_sid: &str,
        tenant: &str,
        caller: Option<&str>,
        name: Option<String>,
        reason: String,
        recording_url: Option<String>,
        transcript: Option<String>,
        status: &str,
        created_at: DateTime<Utc>,
        done_at: Option<DateTime<Utc>>,
    ) -> Result<Callback, CallError> {
        let corrupt = |what: &str| CallError::Unexpected(anyhow::anyhow!("callback {call_sid} has a bad {what}"));
        Ok(Callback {
            call_sid: CallSid::parse(call_sid).map_err(|_| corrupt("call id"))?,
            tenant: TenantId::parse(tenant).map_err(|_| corrupt("tenant"))?,
            caller: caller.map(E164::parse).transpose().map_err(|_| corrupt("caller"))?,
            name,
            reason,
            recording_url,
            transcript,
            status: CallbackStatus::parse(status).ok_or_else(|| corrupt("status"))?,
            created_at,
            done_at,
        })
    }
}

/// Persistence of callbacks.
///
/// Every method is scoped to a tenant: another tenant's callback is never
/// found, listed or changed.
#[async_trait]
pub trait CallbackStore: Send + Sync {
    /// Records `callback` unless its call has one already; returns whether
    /// it was new (a repeated webhook creates nothing more). MUST return
    /// `NotFound` when the call is not one of this tenant's.
    async fn open_callback(&self, callback: &Callback) -> Result<bool, CallError>;

    /// Attaches the caller's recording to the call's callback; `false` when
    /// the call has none.
    async fn attach_recording(&self, tenant: &TenantId, call: &CallSid, url: &str) -> Result<bool, CallError>;

    /// Attaches what the recording says; `false` when the call has none.
    async fn attach_transcript(&self, tenant: &TenantId, call: &CallSid, text: &str) -> Result<bool, CallError>;

    async fn callback(&self, tenant: &TenantId, call: &CallSid) -> Result<Option<Callback>, CallError>;

    /// The tenant's callbacks, optionally of one status, oldest first (the
    /// longest waiting at the top).
    async fn callbacks(&self, tenant: &TenantId, status: Option<CallbackStatus>) -> Result<Vec<Callback>, CallError>;

    /// Marks it done at `now` (once: a second call keeps the first time);
    /// `false` when there is no such callback.
    async fn close_callback(&self, tenant: &TenantId, call: &CallSid, now: DateTime<Utc>) -> Result<bool, CallError>;
}
