//! Callbacks: a caller who wanted a person and did not get one (the owner
//! did not take the transfer, or the shop was closed and they left a
//! message) is owed a call back. One per call; it carries who called, why,
//! their recording and its transcription when there is one, and whether
//! someone has called them back yet. [`CallbackStore`] is its port.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_core::{E164, TenantId};
use frontdesk_tenant::TenantProfile;

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

/// Why an outbound call could not be placed.
#[derive(Debug, thiserror::Error)]
pub enum PlaceCallError {
    /// The provider could not be reached or is busy: try again later.
    #[error("the telephony provider is unavailable: {0}")]
    Unavailable(String),
    /// The provider refused the call (a bad number, an unverified caller ID).
    #[error("the telephony provider refused the call: {0}")]
    Rejected(String),
}

/// Places outbound calls: the provider rings `to` from `from` and, once
/// answered, asks `url` (on our gateway) what to do; once the call is over
/// (answered or not), it reports how long it lasted to `status_url` (on our
/// gateway too), which meters what the leg cost.
#[async_trait]
pub trait OutboundCalls: Send + Sync {
    async fn place_call(&self, from: &E164, to: &E164, url: &str, status_url: &str) -> Result<CallSid, PlaceCallError>;
}

/// Why a call back could not be started.
#[derive(Debug, thiserror::Error)]
pub enum CallBackError {
    #[error("no callback for call {0}")]
    NotFound(String),
    #[error("the callback for call {0} is done already")]
    Done(String),
    #[error("the caller's number was withheld, so they cannot be called back from here")]
    NoNumber,
    #[error("the shop has no phone number to call from")]
    NoShopNumber,
    #[error(transparent)]
    Place(#[from] PlaceCallError),
    #[error(transparent)]
    Store(#[from] CallError),
}

/// Calling a customer back: the owner's phone rings first (from the shop's
/// number), they hear who called and why and press 1, and then the
/// customer is rung with the shop's number as caller ID. The callback is
/// done once the customer picked up.
pub struct CallingBack {
    store: Arc<dyn CallbackStore>,
    calls: Arc<dyn OutboundCalls>,
    /// The gateway's public URL, which the provider asks what to do.
    public_base_url: String,
}

impl CallingBack {
    pub fn new(store: Arc<dyn CallbackStore>, calls: Arc<dyn OutboundCalls>, public_base_url: String) -> CallingBack {
        CallingBack { store, calls, public_base_url: public_base_url.trim_end_matches('/').to_owned() }
    }

    /// Rings the owner about the callback of `call`; the placed call's id.
    #[tracing::instrument(skip_all, fields(tenant_id = %profile.slug(), call_sid = %call))]
    pub async fn start(&self, profile: &TenantProfile, call: &CallSid) -> Result<CallSid, CallBackError> {
        let callback = open_callback(self.store.as_ref(), profile, call).await?;
        if callback.caller.is_none() {
            return Err(CallBackError::NoNumber);
        }
        let shop = profile.phone_numbers().first().ok_or(CallBackError::NoShopNumber)?;
        let url = format!("{}/twilio/callback-bridge?call={call}", self.public_base_url);
        // The owner's leg costs us the outbound rate: its end says how long.
        let status_url = format!("{}/twilio/callback-status?call={call}", self.public_base_url);
        let placed = self.calls.place_call(shop, profile.owner_phone(), &url, &status_url).await?;
        tracing::info!(placed = %placed, "ringing the owner to call a customer back");
        Ok(placed)
    }
}

async fn open_callback(
    store: &dyn CallbackStore,
    profile: &TenantProfile,
    call: &CallSid,
) -> Result<Callback, CallBackError> {
    let callback =
        store.callback(profile.slug(), call).await?.ok_or_else(|| CallBackError::NotFound(call.to_string()))?;
    if callback.status == CallbackStatus::Done {
        return Err(CallBackError::Done(call.to_string()));
    }
    Ok(callback)
}

/// What the owner hears when the call back rings them: who, why, their
/// message, and to press 1 to be connected.
pub fn call_back_briefing(profile: &TenantProfile, callback: &Callback, now: DateTime<Utc>) -> String {
    let who = callback.name.clone().unwrap_or_else(|| "A caller".to_owned());
    let when = crate::reminders::when_from(profile, callback.created_at, now);
    let message = callback.transcript.as_deref().map(|text| format!(" Their message: {text}")).unwrap_or_default();
    format!(
        "Frontdesk call back for {}. {who} called {when} and {}.{message} Press 1 to call them now.",
        profile.name(),
        callback.reason
    )
}

/// The customer to ring once the owner pressed 1 (`None`: no open callback
/// with a number).
pub async fn call_back_target(
    store: &dyn CallbackStore,
    profile: &TenantProfile,
    call: &CallSid,
) -> Result<Option<E164>, CallError> {
    let callback = store.callback(profile.slug(), call).await?;
    Ok(callback.filter(|c| c.status == CallbackStatus::Open).and_then(|c| c.caller))
}
