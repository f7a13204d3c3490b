//! The adapters against local fakes: Slack's webhook (wiremock, Slack's
//! real request and answers) and a scripted SMTP server on a local port.
//! Nothing leaves the machine.

mod slack;
mod smtp;

use frontdesk_notify::{Notification, NotificationEvent, OperatorEvent};

pub fn cap_alert() -> Notification {
    Notification {
        id: "0192f0c4-0000-7000-8000-000000000001".to_owned(),
        event: NotificationEvent::Operator(OperatorEvent::CapReached),
        subject: "Frontdesk: Fresh Cuts reached its minute cap".to_owned(),
        body: "Fresh Cuts has used all 500 included minutes for 2026-12 (500 used) & calls go to <the owner>."
            .to_owned(),
        link: Some("https://frontdesk.example/ops/shops".to_owned()),
    }
}
