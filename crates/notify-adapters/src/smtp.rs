//! E-mail over SMTP with lettre: STARTTLS (port 587), implicit TLS (465)
//! or, for a relay on this machine or a test server, plain.
//!
//! An SMTP 4xx, a refused connection or a timeout is an outage (retried);
//! a 5xx (no such mailbox, relaying denied) or an address that cannot be
//! written is final.

use std::time::Duration;

use async_trait::async_trait;
use frontdesk_core::TenantId;
use frontdesk_notify::{Channel, Delivered, Notification, Notifier, NotifyError};
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncTransport, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS, which is required.
    StartTls,
    /// TLS from the first byte (SMTPS).
    Tls,
    /// No encryption: only for a relay on this machine or a test server.
    Plain,
}

impl SmtpSecurity {
    /// `starttls`, `tls` or `plain`.
    pub fn parse(raw: &str) -> Result<SmtpSecurity, String> {
        match raw.trim() {
            "starttls" => Ok(SmtpSecurity::StartTls),
            "tls" => Ok(SmtpSecurity::Tls),
            "plain" => Ok(SmtpSecurity::Plain),
            other => Err(format!("{other:?} is not one of \"starttls\", \"tls\", \"plain\"")),
        }
    }

    /// The port a server usually listens on for it.
    pub fn default_port(self) -> u16 {
        match self {
            SmtpSecurity::StartTls => 587,
            SmtpSecurity::Tls => 465,
            SmtpSecurity::Plain => 25,
        }
    }
}

/// Where and how to send e-mail.
#[derive(Debug, Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    /// Both or neither.
    pub credentials: Option<(String, SecretString)>,
    /// The sender, `Frontdesk <alerts@frontdesk.example>`.
    pub from: String,
    /// How long one SMTP command may take.
    pub timeout: Duration,
}

/// Sends notifications as plain-text e-mail.
#[derive(Clone)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    /// Checks the sender and sets up the transport (it connects per message).
    pub fn new(config: SmtpConfig) -> Result<SmtpMailer, String> {
        let from: Mailbox = config.from.parse().map_err(|e| format!("sender {:?}: {e}", config.from))?;
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(config.host.as_str())
            .port(config.port)
            .timeout(Some(config.timeout))
            .hello_name(ClientId::Domain(from.email.domain().to_owned()));
        builder = match config.security {
            SmtpSecurity::Plain => builder.tls(Tls::None),
            SmtpSecurity::StartTls | SmtpSecurity::Tls => {
                let parameters =
                    TlsParameters::new(config.host.clone()).map_err(|e| format!("TLS for {}: {e}", config.host))?;
                builder.tls(match config.security {
                    SmtpSecurity::Tls => Tls::Wrapper(parameters),
                    _ => Tls::Required(parameters),
                })
            }
        };
        if let Some((user, password)) = config.credentials {
            builder = builder.credentials(Credentials::new(user, password.expose_secret().to_owned()));
        }
        Ok(SmtpMailer { transport: builder.build(), from })
    }

    fn message(&self, notification: &Notification, to: Mailbox) -> Result<Message, NotifyError> {
        let mut body = notification.body.clone();
        if let Some(link) = &notification.link {
            body.push_str(&format!("\n\n{link}"));
        }
        body.push_str(
            "\n\n-- \nFrontdesk. Choose what you hear about under [notifications] in your shop's settings.\n",
        );
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(notification.subject.clone())
            // The same for every attempt: a receiving server may drop a repeat.
            .message_id(Some(format!("<{}@{}>", notification.id, self.from.email.domain())))
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| NotifyError::Rejected(format!("the e-mail could not be written: {e}")))
    }
}

#[async_trait]
impl Notifier for SmtpMailer {
    async fn deliver(
        &self,
        tenant: Option<&TenantId>,
        notification: &Notification,
        channel: &Channel,
    ) -> Result<Delivered, NotifyError> {
        let Channel::Email(address) = channel else { return Err(NotifyError::NotConfigured(channel.kind())) };
        tracing::debug!(tenant_id = ?tenant, notification = %notification.id, "sending an e-mail");
        let to: Mailbox = address
            .as_str()
            .parse()
            .map_err(|e| NotifyError::Rejected(format!("{address} cannot receive e-mail: {e}")))?;
        let message = self.message(notification, to)?;
        match self.transport.send(message).await {
            Ok(response) => {
                let receipt = response.message().collect::<Vec<_>>().join(" ");
                Ok(Delivered { receipt: format!("{} {receipt}", response.code()).trim().to_owned() })
            }
            Err(error) if error.is_permanent() => {
                Err(NotifyError::Rejected(format!("the SMTP server refused: {error}")))
            }
            Err(error) => Err(NotifyError::Unavailable(format!("SMTP: {error}"))),
        }
    }
}
