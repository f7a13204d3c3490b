//! Notifications in every process: the operators' channels and the SMTP
//! server from the settings, the notifier per kind of channel, and the
//! notification jobs' handlers, schedule and dead-letter watch.

use std::sync::Arc;
use std::time::Duration;

use frontdesk_core::Clock;
use frontdesk_jobs::{CronSchedule, JobKind, RecurringJob, Worker};
use frontdesk_messaging::Messaging;
use frontdesk_notify::{
    ChannelNotifiers, DIGEST_SWEEP, DailyDigests, DeadJobAlerts, Deliveries, DigestSweep, EmailAddress, OPS_SWEEP,
    OperatorAlerts, OperatorChannels, OperatorFacts, OperatorSweep, OwnerNotifications, TextOutcome, WebhookUrl,
};
use frontdesk_notify_adapters::{SlackWebhooks, SmtpConfig, SmtpMailer, SmtpSecurity};
use frontdesk_routing::OwnerTexts;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::backend::Backend;
use crate::billing::Billing;
use crate::settings::{Settings, SettingsError, Sources};

/// How long a Slack webhook may take to answer.
const SLACK_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one SMTP command may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

/// Where notifications go besides owners' own channels: the operators'
/// Slack webhook and address, and the SMTP server every e-mail goes
/// through (owners' too). Without SMTP, no e-mail is sent (an owner's
/// e-mail delivery is dead-lettered, and the operators alerted elsewhere).
#[derive(Debug, Clone, Default)]
pub struct NotificationSettings {
    /// `FRONTDESK_OPS_SLACK_WEBHOOK_URL` (a secret).
    pub ops_slack_webhook_url: Option<WebhookUrl>,
    /// `FRONTDESK_OPS_EMAIL`.
    pub ops_email: Option<EmailAddress>,
    /// `FRONTDESK_SMTP_*`, when `FRONTDESK_SMTP_HOST` is set.
    pub smtp: Option<SmtpConfig>,
}

#[derive(Deserialize)]
struct RawNotificationSettings {
    ops_slack_webhook_url: Option<SecretString>,
    ops_email: Option<String>,
    smtp_host: Option<String>,
    smtp_port: Option<u16>,
    smtp_security: Option<String>,
    smtp_username: Option<String>,
    smtp_password: Option<SecretString>,
    smtp_from: Option<String>,
}

fn given(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

impl NotificationSettings {
    /// Reads and checks them from `sources`; every problem at once, and the
    /// warnings (settings that do nothing alone).
    pub fn read(sources: &Sources) -> Result<(NotificationSettings, Vec<String>), SettingsError> {
        let raw: RawNotificationSettings = sources.layered(&[])?;
        let mut problems = Vec::new();
        let mut warnings = Vec::new();
        let ops_slack_webhook_url =
            raw.ops_slack_webhook_url.filter(|url| !url.expose_secret().trim().is_empty()).and_then(|url| {
                WebhookUrl::parse(url.expose_secret())
                    .map_err(|e| problems.push(format!("FRONTDESK_OPS_SLACK_WEBHOOK_URL: {e}")))
                    .ok()
            });
        let ops_email = given(raw.ops_email).and_then(|raw| {
            EmailAddress::parse(&raw).map_err(|e| problems.push(format!("FRONTDESK_OPS_EMAIL: {e}"))).ok()
        });
        let smtp = match given(raw.smtp_host) {
            None => {
                if ops_email.is_some() {
                    warnings.push(
                        "FRONTDESK_OPS_EMAIL is set but FRONTDESK_SMTP_HOST is not: no e-mail is sent".to_owned(),
                    );
                }
                None
            }
            Some(host) => {
                let security = SmtpSecurity::parse(raw.smtp_security.as_deref().unwrap_or("starttls"))
                    .map_err(|e| problems.push(format!("FRONTDESK_SMTP_SECURITY: {e}")))
                    .ok();
                let from = given(raw.smtp_from);
                if from.is_none() {
                    problems.push(
                        "FRONTDESK_SMTP_FROM is required with FRONTDESK_SMTP_HOST: the sender, e.g. \"Frontdesk <alerts@frontdesk.example>\"".to_owned(),
                    );
                }
                let password = raw.smtp_password.filter(|p| !p.expose_secret().is_empty());
                let credentials = match (given(raw.smtp_username), password) {
                    (Some(user), Some(password)) => Some((user, password)),
                    (None, None) => None,
                    _ => {
                        problems.push("FRONTDESK_SMTP_USERNAME and FRONTDESK_SMTP_PASSWORD go together".to_owned());
                        None
                    }
                };
                if security == Some(SmtpSecurity::Plain) && credentials.is_some() {
                    warnings.push(
                        "FRONTDESK_SMTP_SECURITY=plain sends the SMTP password unencrypted; use it only for a relay on this machine".to_owned(),
                    );
                }
                match (security, from) {
                    (Some(security), Some(from)) => Some(SmtpConfig {
                        host,
                        port: raw.smtp_port.unwrap_or(security.default_port()),
                        security,
                        credentials,
                        from,
                        timeout: SMTP_TIMEOUT,
                    }),
                    _ => None,
                }
            }
        };
        if let Some(config) = &smtp
            && let Err(problem) = SmtpMailer::new(config.clone())
        {
            problems.push(format!("FRONTDESK_SMTP_FROM: {problem}"));
        }
        if problems.is_empty() {
            Ok((NotificationSettings { ops_slack_webhook_url, ops_email, smtp }, warnings))
        } else {
            Err(SettingsError(problems))
        }
    }

    fn operator_channels(&self) -> OperatorChannels {
        OperatorChannels { slack: self.ops_slack_webhook_url.clone(), email: self.ops_email.clone() }
    }
}

/// The notifier of each kind of channel: texts through `messaging` (logged
/// and metered like every text), Slack, and e-mail when SMTP is set.
pub fn build_notifiers(
    backend: &Backend,
    settings: &Settings,
    billing: &Billing,
    messaging: Arc<dyn Messaging>,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<ChannelNotifiers> {
    use anyhow::Context;
    let sms = OwnerTexts {
        tenants: backend.tenants.clone(),
        messages: backend.messages.clone(),
        messaging,
        metering: billing.metering.clone(),
        clock,
    };
    let slack = SlackWebhooks::new(SLACK_TIMEOUT).context("building the Slack webhook client")?;
    let email = match &settings.notifications.smtp {
        Some(config) => Some(Arc::new(SmtpMailer::new(config.clone()).map_err(anyhow::Error::msg)?) as _),
        None => None,
    };
    Ok(ChannelNotifiers { sms: Some(Arc::new(sms)), slack: Some(Arc::new(slack)), email })
}

/// `worker` with the notification jobs' handlers (owners' events, operator
/// alerts, deliveries, digests) and the dead-letter watch that alerts the
/// operators.
pub fn with_notifications(
    worker: Worker,
    backend: &Backend,
    settings: &Settings,
    notifiers: ChannelNotifiers,
    clock: Arc<dyn Clock>,
) -> Worker {
    let operators = settings.notifications.operator_channels();
    worker
        .handler(Arc::new(OwnerNotifications {
            tenants: backend.tenants.clone(),
            queue: backend.jobs.clone(),
            digests: backend.digests.clone(),
        }))
        .handler(Arc::new(OperatorAlerts { queue: backend.jobs.clone(), channels: operators.clone() }))
        .handler(Arc::new(Deliveries {
            tenants: backend.tenants.clone(),
            notifier: Arc::new(notifiers),
            operators,
            public_base_url: Some(settings.public_base_url.as_str().to_owned()),
        }))
        .handler(Arc::new(DigestSweep { tenants: backend.tenants.clone(), queue: backend.jobs.clone() }))
        .handler(Arc::new(DailyDigests {
            tenants: backend.tenants.clone(),
            queue: backend.jobs.clone(),
            digests: backend.digests.clone(),
        }))
        .handler(Arc::new(OperatorSweep {
            facts: Arc::new(StoreFacts { usage: backend.usage.clone(), messages: backend.messages.clone() }),
            queue: backend.jobs.clone(),
        }))
        .watching_dead_letters(Arc::new(DeadJobAlerts { queue: backend.jobs.clone(), clock }))
}

/// The operators' sweep reads the usage and message stores.
struct StoreFacts {
    usage: Arc<dyn frontdesk_billing::UsageStore>,
    messages: Arc<dyn frontdesk_messaging::MessageLog>,
}

#[async_trait::async_trait]
impl OperatorFacts for StoreFacts {
    async fn daily_costs(
        &self,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<(frontdesk_core::TenantId, chrono::NaiveDate, i64)>, frontdesk_core::StoreError> {
        let costs = self.usage.daily_costs_of_all_tenants(since).await?;
        Ok(costs.into_iter().map(|cost| (cost.tenant, cost.day, cost.cost_micros)).collect())
    }

    async fn texts_since(
        &self,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<TextOutcome>, frontdesk_core::StoreError> {
        let texts = self.messages.messages_of_all_tenants_since(since).await?;
        Ok(texts
            .into_iter()
            .map(|text| TextOutcome { failed: text.status == "failed", error: text.error, tenant: text.tenant })
            .collect())
    }
}

/// The hourly sweeps: the owners' digests that are due (at :05), and the
/// operators' alerts about every shop's day so far (at :35).
pub fn recurring_jobs() -> Vec<RecurringJob> {
    [(DIGEST_SWEEP, "5 * * * *"), (OPS_SWEEP, "35 * * * *")]
        .into_iter()
        .map(|(name, cron)| RecurringJob {
            name: name.to_owned(),
            schedule: CronSchedule::parse(cron).unwrap_or_else(|e| unreachable!("a valid schedule: {e}")),
            kind: JobKind::parse(name).unwrap_or_else(|e| unreachable!("a valid kind: {e}")),
            payload: serde_json::json!({}),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let mut env: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        env.insert("FRONTDESK_DEMO".to_owned(), "true".to_owned());
        Settings::from_sources(None, env)
    }

    #[test]
    fn operators_channels_and_smtp_are_read_and_secrets_never_shown() {
        let read = settings(&[
            ("FRONTDESK_OPS_SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T0/B0/very-secret"),
            ("FRONTDESK_OPS_EMAIL", "ops@frontdesk.example"),
            ("FRONTDESK_SMTP_HOST", "smtp.example.com"),
            ("FRONTDESK_SMTP_USERNAME", "alerts"),
            ("FRONTDESK_SMTP_PASSWORD", "hunter2-secret"),
            ("FRONTDESK_SMTP_FROM", "Frontdesk <alerts@frontdesk.example>"),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        let notifications = &read.notifications;
        assert!(notifications.ops_slack_webhook_url.is_some());
        assert_eq!(notifications.ops_email.as_ref().map(EmailAddress::as_str), Some("ops@frontdesk.example"));
        let smtp = notifications.smtp.as_ref().unwrap_or_else(|| panic!("SMTP is set"));
        assert_eq!((smtp.port, smtp.security), (587, SmtpSecurity::StartTls), "STARTTLS on 587 unless said");
        let shown = format!("{read:?}");
        assert!(!shown.contains("very-secret") && !shown.contains("hunter2"), "{shown}");
        assert!(!read.warnings.iter().any(|w| w.contains("not a Frontdesk setting")), "{:?}", read.warnings);
    }

    #[test]
    fn every_problem_is_named_by_its_variable() {
        let problems = match settings(&[
            ("FRONTDESK_OPS_SLACK_WEBHOOK_URL", "http://hooks.slack.com/x"),
            ("FRONTDESK_OPS_EMAIL", "ops"),
            ("FRONTDESK_SMTP_HOST", "smtp.example.com"),
            ("FRONTDESK_SMTP_SECURITY", "ssl"),
            ("FRONTDESK_SMTP_USERNAME", "alerts"),
            ("FRONTDESK_HOLD_MINUTES", "0"),
        ]) {
            Err(SettingsError(problems)) => problems,
            Ok(_) => panic!("accepted"),
        };
        for variable in [
            "FRONTDESK_OPS_SLACK_WEBHOOK_URL",
            "FRONTDESK_OPS_EMAIL",
            "FRONTDESK_SMTP_SECURITY",
            "FRONTDESK_SMTP_FROM",
            "FRONTDESK_SMTP_USERNAME and FRONTDESK_SMTP_PASSWORD",
            "FRONTDESK_HOLD_MINUTES",
        ] {
            assert!(problems.iter().any(|p| p.starts_with(variable)), "{variable} in {problems:?}");
        }
    }

    #[test]
    fn nothing_set_is_no_channel_and_a_plain_local_relay_is_allowed() {
        let none = settings(&[]).unwrap_or_else(|e| panic!("{e}"));
        assert!(none.notifications.smtp.is_none() && none.notifications.ops_slack_webhook_url.is_none());
        let local = settings(&[
            ("FRONTDESK_SMTP_HOST", "127.0.0.1"),
            ("FRONTDESK_SMTP_SECURITY", "plain"),
            ("FRONTDESK_SMTP_FROM", "alerts@frontdesk.example"),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(local.notifications.smtp.map(|s| (s.port, s.security)), Some((25, SmtpSecurity::Plain)));
    }
}
