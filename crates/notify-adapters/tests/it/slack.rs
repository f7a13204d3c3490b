use std::time::Duration;

use frontdesk_notify::{Channel, Notifier, NotifyError, WebhookUrl};
use frontdesk_notify_adapters::SlackWebhooks;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::cap_alert;

fn hook(server: &MockServer) -> Channel {
    let url = format!("{}/services/T000/B000/XXXX", server.uri());
    Channel::Slack(WebhookUrl::parse(&url).unwrap_or_else(|e| panic!("{e}")))
}

fn slack() -> SlackWebhooks {
    SlackWebhooks::new(Duration::from_secs(2)).unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn a_notification_is_posted_as_slack_text_and_ok_is_delivered() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/services/T000/B000/XXXX"))
        .and(header("content-type", "application/json"))
        .and(body_json(serde_json::json!({
            "text": "*Frontdesk: Fresh Cuts reached its minute cap*\nFresh Cuts has used all 500 included minutes for 2026-12 (500 used) &amp; calls go to &lt;the owner&gt;.\n<https://frontdesk.example/ops/shops|Open in Frontdesk>"
        })))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .expect(1)
        .mount(&server)
        .await;
    let delivered = slack().deliver(None, &cap_alert(), &hook(&server)).await;
    assert_eq!(delivered.map(|d| d.receipt).ok().as_deref(), Some("ok"));
}

#[tokio::test]
async fn slacks_answers_are_classified_for_retrying() {
    let cases: [(u16, &str, Option<&str>, &str); 6] = [
        (404, "no_service", None, "rejected"),
        (403, "invalid_token", None, "rejected"),
        (410, "channel_is_archived", None, "rejected"),
        (400, "invalid_payload", None, "rejected"),
        (429, "rate_limited", Some("30"), "rate limited 30"),
        (503, "", None, "unavailable"),
    ];
    for (status, answer, retry_after, expected) in cases {
        let server = MockServer::start().await;
        let mut response = ResponseTemplate::new(status).set_body_string(answer);
        if let Some(seconds) = retry_after {
            response = response.insert_header("retry-after", seconds);
        }
        Mock::given(method("POST")).respond_with(response).mount(&server).await;
        let found = match slack().deliver(None, &cap_alert(), &hook(&server)).await {
            Err(NotifyError::Rejected(why)) => {
                assert!(why.contains(answer), "{why}");
                "rejected".to_owned()
            }
            Err(NotifyError::RateLimited { retry_after }) => {
                format!("rate limited {}", retry_after.map(|d| d.as_secs()).unwrap_or_default())
            }
            Err(NotifyError::Unavailable(_)) => "unavailable".to_owned(),
            other => format!("{other:?}"),
        };
        assert_eq!(found, expected, "{status} {answer}");
    }
}

#[tokio::test]
async fn a_webhook_that_does_not_answer_is_an_outage_and_the_error_hides_the_url() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let slow = SlackWebhooks::new(Duration::from_millis(200)).unwrap_or_else(|e| panic!("{e}"));
    let error = slow.deliver(None, &cap_alert(), &hook(&server)).await.err();
    assert!(matches!(&error, Some(NotifyError::Unavailable(_))), "{error:?}");
    assert!(!format!("{error:?}").contains("XXXX"), "the webhook URL is a secret: {error:?}");
}
