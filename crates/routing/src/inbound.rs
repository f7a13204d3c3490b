//! Texts a caller sends to a shop's number: opt-outs and opt-ins (the
//! carrier words), and a helpful pointer for anything else. The edge passes
//! the text in and sends back what this returns; nothing here knows Twilio.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use frontdesk_billing::Metering;
use frontdesk_core::E164;
use frontdesk_flags::{Flag, FlagService};
use frontdesk_messaging::MessageLog;
use frontdesk_tenant::TenantProfile;

/// Words that opt a number out of texts (the carriers' list).
const OPT_OUT: [&str; 6] = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"];
/// Words that opt it back in.
const OPT_IN: [&str; 3] = ["START", "UNSTOP", "YES"];

/// A text that arrived at a shop's number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundText<'a> {
    pub from: &'a E164,
    pub body: &'a str,
    /// The provider's id of the text (the reply is metered once per id).
    pub message_id: Option<&'a str>,
}

/// Answers texts to a shop's number.
pub struct InboundTexts {
    log: Arc<dyn MessageLog>,
    flags: Arc<FlagService>,
    metering: Arc<Metering>,
}

impl InboundTexts {
    pub fn new(log: Arc<dyn MessageLog>, flags: Arc<FlagService>, metering: Arc<Metering>) -> InboundTexts {
        InboundTexts { log, flags, metering }
    }

    /// The reply to send, if any. An opt-out gets none (the carrier confirms
    /// it); a shop whose plan has texts off answers only opt-ins. A store
    /// that fails is logged and the caller still gets the reply.
    #[tracing::instrument(skip_all, fields(tenant_id = %profile.slug()))]
    pub async fn reply(&self, profile: &TenantProfile, text: InboundText<'_>, now: DateTime<Utc>) -> Option<String> {
        let tenant = profile.slug();
        let word = text.body.trim().to_uppercase();
        let reply = if OPT_OUT.contains(&word.as_str()) {
            if let Err(error) = self.log.set_opt_out(tenant, text.from, true, now).await {
                tracing::error!(%error, "could not record an opt-out");
            }
            return None;
        } else if OPT_IN.contains(&word.as_str()) {
            if let Err(error) = self.log.set_opt_out(tenant, text.from, false, now).await {
                tracing::error!(%error, "could not record an opt-in");
            }
            format!("{}: you'll get texts from us again. Reply STOP to opt out.", profile.name())
        } else if self.texts_off(profile).await {
            return None;
        } else {
            let number = profile.phone_numbers().first().map(E164::to_string).unwrap_or_default();
            format!(
                "{}: thanks for your message. To book, change or cancel an appointment, call us at {number}. Reply STOP to opt out.",
                profile.name()
            )
        };
        // The reply is a text we send: metered once per inbound message.
        if let Some(id) = text.message_id
            && let Err(error) = self.metering.record_sms(tenant, &format!("reply-{id}"), &reply, now).await
        {
            tracing::error!(%error, "could not meter an SMS reply");
        }
        Some(reply)
    }

    /// Whether the shop's plan turns texts off (flags that cannot be read answer texts).
    async fn texts_off(&self, profile: &TenantProfile) -> bool {
        match self.flags.effective(profile.slug()).await {
            Ok(flags) => flags.is_some_and(|flags| !flags.enabled(Flag::EnableSms)),
            Err(error) => {
                tracing::error!(%error, "could not read the tenant's flags; answering the text");
                false
            }
        }
    }
}
