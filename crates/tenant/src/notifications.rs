//! What a shop's owner hears about, and where (`[notifications]`): the
//! owner's choice, kept with the rest of the shop's data. Sending is
//! `frontdesk-notify`'s.

use std::collections::BTreeSet;
use std::fmt;

use crate::document::{NotificationsDocument, REDACTED};
use crate::problems::Problems;

/// Something the receptionist did for the shop, or that needs the owner,
/// that the owner may choose to hear about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OwnerEvent {
    /// A booking made by phone.
    BookingMade,
    /// A booking the customer cancelled by phone or text.
    BookingCancelled,
    /// A booking the customer moved by phone or text.
    BookingRescheduled,
    /// A caller left a voicemail (after hours, or nobody took the call).
    Voicemail,
    /// A caller is waiting to be called back.
    CallbackCreated,
    /// A caller left a message for the owner.
    MessageTaken,
    /// A customer's text the owner should act on (a cancellation inside the
    /// notice, an opt-out that keeps the appointment).
    CustomerText,
}

impl OwnerEvent {
    pub const ALL: [OwnerEvent; 7] = [
        OwnerEvent::BookingMade,
        OwnerEvent::BookingCancelled,
        OwnerEvent::BookingRescheduled,
        OwnerEvent::Voicemail,
        OwnerEvent::CallbackCreated,
        OwnerEvent::MessageTaken,
        OwnerEvent::CustomerText,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OwnerEvent::BookingMade => "booking_made",
            OwnerEvent::BookingCancelled => "booking_cancelled",
            OwnerEvent::BookingRescheduled => "booking_rescheduled",
            OwnerEvent::Voicemail => "voicemail",
            OwnerEvent::CallbackCreated => "callback_created",
            OwnerEvent::MessageTaken => "message_taken",
            OwnerEvent::CustomerText => "customer_text",
        }
    }

    pub fn parse(raw: &str) -> Option<OwnerEvent> {
        OwnerEvent::ALL.into_iter().find(|event| event.as_str() == raw)
    }
}

impl fmt::Display for OwnerEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A Slack incoming-webhook URL: whoever has it may post to the channel, so
/// `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookUrl(String);

impl WebhookUrl {
    /// `https://host/...` (or `http://` to this machine, for a local
    /// fake), without spaces.
    pub fn parse(raw: &str) -> Result<WebhookUrl, String> {
        let raw = raw.trim();
        let rest = match (raw.strip_prefix("https://"), raw.strip_prefix("http://")) {
            (Some(rest), _) => rest,
            (None, Some(rest)) if is_local(rest) => rest,
            _ => return Err("must be an https:// URL such as \"https://hooks.slack.com/services/…\"".to_owned()),
        };
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if host.is_empty() || raw.chars().any(|c| c.is_whitespace() || c.is_control()) || raw.len() > 2_000 {
            return Err("is not a URL such as \"https://hooks.slack.com/services/…\"".to_owned());
        }
        Ok(WebhookUrl(raw.to_owned()))
    }

    /// The URL itself, for the one adapter that posts to it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

fn is_local(rest: &str) -> bool {
    ["127.0.0.1", "localhost", "[::1]"]
        .iter()
        .any(|host| rest.strip_prefix(host).is_some_and(|after| after.is_empty() || after.starts_with([':', '/'])))
}

impl fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookUrl([redacted])")
    }
}

/// An e-mail address as far as we check it (`local@domain`, no spaces);
/// the mail adapter parses it again by the RFC.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<EmailAddress, String> {
        let raw = raw.trim();
        let problem = || format!("{raw:?} is not an e-mail address such as \"owner@shop.example\"");
        let (local, domain) = raw.split_once('@').ok_or_else(problem)?;
        let plain = |part: &str| {
            !part.is_empty()
                && part.chars().all(|c| !c.is_whitespace() && !c.is_control() && !"<>()[],;:\"@\\".contains(c))
        };
        let domain_ok = plain(domain) && !domain.starts_with('.') && !domain.ends_with('.');
        if !plain(local) || !domain_ok || raw.len() > 254 {
            return Err(problem());
        }
        Ok(EmailAddress(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How the owner hears about what happened: by text to the owner's phone
/// (on unless switched off), in a Slack channel, by e-mail; about which
/// events (every one unless the shop says otherwise); each as it happens,
/// or in one digest a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationPreferences {
    sms: bool,
    slack_webhook_url: Option<WebhookUrl>,
    email: Option<EmailAddress>,
    events: BTreeSet<OwnerEvent>,
    digest: bool,
}

impl Default for NotificationPreferences {
    fn default() -> NotificationPreferences {
        NotificationPreferences {
            sms: true,
            slack_webhook_url: None,
            email: None,
            events: OwnerEvent::ALL.into_iter().collect(),
            digest: false,
        }
    }
}

impl NotificationPreferences {
    /// Texts to the owner's phone.
    pub fn sms(&self) -> bool {
        self.sms
    }
    pub fn slack_webhook_url(&self) -> Option<&WebhookUrl> {
        self.slack_webhook_url.as_ref()
    }
    pub fn email(&self) -> Option<&EmailAddress> {
        self.email.as_ref()
    }
    pub fn events(&self) -> &BTreeSet<OwnerEvent> {
        &self.events
    }
    /// Whether the owner hears about `event` at all.
    pub fn wants(&self, event: OwnerEvent) -> bool {
        self.events.contains(&event)
    }
    /// One summary a day instead of each event as it happens.
    pub fn digest(&self) -> bool {
        self.digest
    }

    pub(crate) fn parse(document: &NotificationsDocument, p: &mut Problems) -> NotificationPreferences {
        let defaults = NotificationPreferences::default();
        let slack_webhook_url = match document.slack_webhook_url.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(REDACTED) => {
                p.add(
                    "notifications.slack_webhook_url",
                    "is the redaction marker, not a URL; send the real URL or leave the field out",
                );
                None
            }
            Some(raw) => p.check("notifications.slack_webhook_url", WebhookUrl::parse(raw)),
        };
        let email = match document.email.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => p.check("notifications.email", EmailAddress::parse(raw)),
        };
        let events = match &document.events {
            None => defaults.events,
            Some(raw) => {
                let mut events = BTreeSet::new();
                for (index, name) in raw.iter().enumerate() {
                    let field = format!("notifications.events[{index}]");
                    match OwnerEvent::parse(name.trim()) {
                        Some(event) if !events.insert(event) => p.add(field, format!("{name:?} is listed twice")),
                        Some(_) => {}
                        None if name.trim() == "daily_digest" => {
                            p.add(field, "the digest is chosen with `digest = true`, not as an event")
                        }
                        None => p.add(
                            field,
                            format!(
                                "unknown event {name:?}; known are {}",
                                OwnerEvent::ALL.map(OwnerEvent::as_str).join(", ")
                            ),
                        ),
                    }
                }
                events
            }
        };
        NotificationPreferences {
            sms: document.sms.unwrap_or(defaults.sms),
            slack_webhook_url,
            email,
            events,
            digest: document.digest.unwrap_or(defaults.digest),
        }
    }

    pub(crate) fn to_document(&self) -> NotificationsDocument {
        NotificationsDocument {
            sms: Some(self.sms),
            slack_webhook_url: self.slack_webhook_url.as_ref().map(|url| url.0.clone()),
            email: self.email.as_ref().map(|email| email.0.clone()),
            events: Some(self.events.iter().map(|event| event.as_str().to_owned()).collect()),
            digest: Some(self.digest),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_urls_are_https_or_local() {
        let cases = [
            ("https://hooks.slack.com/services/T0/B0/x", true),
            ("http://127.0.0.1:4040/hook", true),
            ("http://localhost/hook", true),
            ("http://hooks.slack.com/services/T0/B0/x", false),
            ("http://localhost.evil.example/hook", false),
            ("https://", false),
            ("https://hooks.slack.com/a b", false),
            ("hooks.slack.com/services", false),
        ];
        for (raw, ok) in cases {
            assert_eq!(WebhookUrl::parse(raw).is_ok(), ok, "{raw}");
        }
        let url = WebhookUrl::parse("https://hooks.slack.com/services/T0/B0/secret").unwrap_or_else(|e| panic!("{e}"));
        assert!(!format!("{url:?}").contains("secret"));
    }

    #[test]
    fn email_addresses_are_checked_roughly() {
        let cases = [
            ("owner@shop.example", true),
            (" owner+alerts@shop.example ", true),
            ("owner", false),
            ("@shop.example", false),
            ("owner@", false),
            ("own er@shop.example", false),
            ("a@b@c", false),
            ("owner@.example", false),
        ];
        for (raw, ok) in cases {
            assert_eq!(EmailAddress::parse(raw).is_ok(), ok, "{raw}");
        }
    }
}
