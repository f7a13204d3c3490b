//! What a shop's plan allows on a call: whether the receptionist answers at
//! all, what it may do, and the minutes a finished call uses.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use frontdesk_billing::{AnsweringMode, MeterError, Metering, Standing, SuspensionReason, TokenCount};
use frontdesk_core::TenantId;
use frontdesk_flags::{EffectiveFlags, Flag, FlagService};
use frontdesk_tenant::TenantProfile;

use crate::calls::CallError;
use crate::dialogue::CallPolicy;
use crate::ids::CallSid;

/// Whether the receptionist answers a call that is starting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Answer, doing what the policy allows.
    Answer(CallPolicy),
    /// AI answering is suspended: the call goes to the owner.
    ForwardToOwner(SuspensionReason),
}

/// Whose minutes a finished call's are: what the shop is billed for, or
/// only what the call cost us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallMinutes {
    /// The receptionist answered the call: its minutes are the shop's plan
    /// minutes (included minutes, caps, overage).
    Answered,
    /// The receptionist never answered: AI answering was suspended and the
    /// call was forwarded to the owner. Its minutes cost us the inbound leg
    /// all the same and are recorded at that cost, but the shop is never
    /// billed for them and they never count toward its included minutes or
    /// caps (a suspended shop does not pay for calls it did not get served,
    /// and a shop over its cap does not sink further over it).
    ForwardedToOwner,
}

/// The `CallAllowance` port: the shop's plan as the call path sees it.
///
/// Reading it never fails a call: an implementation that cannot read the
/// plan MUST log it and answer with everything allowed (a caller never hears
/// dead air because a flag could not be read).
#[async_trait]
pub trait CallAllowance: Send + Sync {
    /// For a call starting `now`.
    async fn admission(&self, profile: &TenantProfile, now: DateTime<Utc>) -> Admission;

    /// What the receptionist may do on a turn of a call already answered.
    async fn policy(&self, tenant: &TenantId) -> CallPolicy;

    /// Meters a finished call of `seconds` as `minutes` says, once per call
    /// (a repeated callback is counted once). An error is returned so the
    /// provider retries.
    async fn meter_call(
        &self,
        tenant: &TenantId,
        call_sid: &CallSid,
        seconds: u32,
        minutes: CallMinutes,
        now: DateTime<Utc>,
    ) -> Result<(), CallError>;

    /// Meters an outbound leg (`leg`, which lasted `seconds`) placed for
    /// call `parent`: a transfer's dialled owner, a call back's dialled
    /// customer. It costs us the provider's outbound rate and is never
    /// billed to the shop (a transfer is part of the parent call's service,
    /// whose own minutes bill; a call back is the owner's call). Once per
    /// leg. An error is for the caller to log.
    async fn meter_outbound_leg(
        &self,
        tenant: &TenantId,
        parent: &CallSid,
        leg: &CallSid,
        seconds: u32,
        now: DateTime<Utc>,
    ) -> Result<(), CallError>;

    /// Meters the tokens of a paid model call made on the call (`key` names
    /// it, so a repeat counts once). An error is for the caller to log: the
    /// turn is answered either way.
    async fn meter_tokens(
        &self,
        tenant: &TenantId,
        key: &str,
        model: &str,
        tokens: TokenCount,
        now: DateTime<Utc>,
    ) -> Result<(), CallError>;

    /// A later report said the call lasted `reported_seconds`, longer than
    /// what was metered: meters the `extra_minutes`, once per reported
    /// duration (the largest duration reported is what a call costs), as
    /// `minutes` says (as the call itself was metered).
    async fn meter_call_extension(
        &self,
        tenant: &TenantId,
        call_sid: &CallSid,
        reported_seconds: u32,
        extra_minutes: u32,
        minutes: CallMinutes,
        now: DateTime<Utc>,
    ) -> Result<(), CallError>;
}

impl CallPolicy {
    /// What the tenant's effective flags allow the receptionist to do.
    pub fn from_flags(flags: &EffectiveFlags) -> CallPolicy {
        CallPolicy {
            ai_booking: flags.enabled(Flag::AllowAiBooking),
            human_fallback: flags.enabled(Flag::EnableHumanFallback),
            after_hours_answering: flags.enabled(Flag::AfterHoursAnswering),
            knowledge: flags.enabled(Flag::EnableRag),
            paid_ai: true,
            llm_dialogue: flags.enabled(Flag::EnableLlmDialogue),
            realtime_voice: flags.enabled(Flag::EnableRealtimeVoice),
        }
    }
}

/// The allowance from the tenant's feature flags and its metered usage.
pub struct PlanAllowance {
    flags: Arc<FlagService>,
    metering: Arc<Metering>,
}

impl PlanAllowance {
    pub fn new(flags: Arc<FlagService>, metering: Arc<Metering>) -> PlanAllowance {
        PlanAllowance { flags, metering }
    }

    /// The tenant's flags, or `None` when there are none or they cannot be
    /// read (logged): the caller is then served with everything allowed.
    async fn flags_of(&self, tenant: &TenantId) -> Option<EffectiveFlags> {
        self.flags.effective(tenant).await.unwrap_or_else(|error| {
            tracing::error!(%error, "could not read the tenant's flags; serving the caller with everything allowed");
            None
        })
    }
}

impl PlanAllowance {
    /// Records a call's minutes under `key`: billed to the shop when the
    /// receptionist answered, only costed when the call was forwarded.
    async fn record_minutes(
        &self,
        tenant: &TenantId,
        key: &str,
        seconds: i64,
        minutes: CallMinutes,
        now: DateTime<Utc>,
    ) -> Result<(), MeterError> {
        match minutes {
            CallMinutes::Answered => self.metering.record_call(tenant, key, seconds, now).await?,
            CallMinutes::ForwardedToOwner => self.metering.record_forwarded_call(tenant, key, seconds, now).await?,
        };
        Ok(())
    }
}

#[async_trait]
impl CallAllowance for PlanAllowance {
    async fn admission(&self, profile: &TenantProfile, now: DateTime<Utc>) -> Admission {
        // The plan comes with the (cached) flags, so the caps cost two reads.
        let flags = self.flags_of(profile.slug()).await;
        let tenant = profile.slug();
        let standing = match &flags {
            Some(flags) => self.metering.standing_on(tenant, flags.plan(), profile.timezone(), now).await,
            None => self.metering.standing(tenant, profile.timezone(), now).await,
        };
        let mut policy = flags.as_ref().map(CallPolicy::from_flags).unwrap_or_default();
        match standing {
            Ok(Standing { answering: AnsweringMode::Suspended(reason), .. }) => {
                return Admission::ForwardToOwner(reason);
            }
            Ok(Standing { answering: AnsweringMode::Normal, paid_ai }) => policy.paid_ai = paid_ai,
            Err(error) => tracing::error!(%error, "could not check the tenant's caps; answering normally"),
        }
        Admission::Answer(policy)
    }

    async fn policy(&self, tenant: &TenantId) -> CallPolicy {
        self.flags_of(tenant).await.as_ref().map(CallPolicy::from_flags).unwrap_or_default()
    }

    async fn meter_call(
        &self,
        tenant: &TenantId,
        call_sid: &CallSid,
        seconds: u32,
        minutes: CallMinutes,
        now: DateTime<Utc>,
    ) -> Result<(), CallError> {
        self.record_minutes(tenant, call_sid.as_str(), i64::from(seconds), minutes, now)
            .await
            .map_err(|error| CallError::Unexpected(anyhow::anyhow!("metering the call: {error}")))
    }

    async fn meter_outbound_leg(
        &self,
        tenant: &TenantId,
        parent: &CallSid,
        leg: &CallSid,
        seconds: u32,
        now: DateTime<Utc>,
    ) -> Result<(), CallError> {
        self.metering
            .record_outbound_leg(tenant, parent.as_str(), leg.as_str(), i64::from(seconds), now)
            .await
            .map(|_| ())
            .map_err(|error| CallError::Unexpected(anyhow::anyhow!("metering an outbound leg: {error}")))
    }

    async fn meter_tokens(
        &self,
        tenant: &TenantId,
        key: &str,
        model: &str,
        tokens: TokenCount,
        now: DateTime<Utc>,
    ) -> Result<(), CallError> {
        self.metering
            .record_tokens(tenant, key, model, tokens, now)
            .await
            .map(|_| ())
            .map_err(|error| CallError::Unexpected(anyhow::anyhow!("metering model tokens: {error}")))
    }

    async fn meter_call_extension(
        &self,
        tenant: &TenantId,
        call_sid: &CallSid,
        reported_seconds: u32,
        extra_minutes: u32,
        minutes: CallMinutes,
        now: DateTime<Utc>,
    ) -> Result<(), CallError> {
        // Its own usage key per reported duration: a repeat counts once.
        let key = format!("{call_sid}:upto{reported_seconds}s");
        self.record_minutes(tenant, &key, i64::from(extra_minutes) * 60, minutes, now)
            .await
            .map_err(|error| CallError::Unexpected(anyhow::anyhow!("metering the call's extension: {error}")))
    }
}
