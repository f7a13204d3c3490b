//! The jobs admin API, and the in-process worker doing real work.

use std::collections::HashMap;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use frontdesk_jobs::{JobLeases, JobState};
use serde_json::json;
use voice_gateway::{Application, Settings};

use crate::support::{SECRET, TestApp, error_code, token_at};

#[tokio::test]
async fn pings_are_enqueued_listed_and_retried() {
    let app = TestApp::new().await;
    let reply = app.admin(Method::POST, "/admin/jobs/ping", Some(&json!({"count": 3}))).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.body);
    assert_eq!(reply.body["enqueued"], 3);
    let ids: Vec<String> = reply.body["job_ids"]
        .as_array()
        .map(|ids| ids.iter().filter_map(|i| i.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    assert_eq!(ids.len(), 3);

    let listed = app.admin(Method::GET, "/admin/jobs?state=queued", None).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.body["counts"]["queued"], 3);
    assert_eq!(listed.body["depth"], 3);
    assert_eq!(listed.body["jobs"].as_array().map(Vec::len), Some(3));
    assert_eq!(listed.body["jobs"][0]["kind"], "diagnostics.ping");

    // Kill one through the worker port, then retry it through the API.
    let kinds = [frontdesk_jobs::JobKind::parse("diagnostics.ping").unwrap_or_else(|e| panic!("{e}"))];
    let worker = frontdesk_jobs::WorkerId::new("test");
    let now = frontdesk_core::Clock::now(app.clock.as_ref());
    let lease = app.store.claim(&worker, &kinds, 1, chrono::Duration::seconds(30), now).await;
    let lease = lease.ok().and_then(|mut l| l.pop()).unwrap_or_else(|| panic!("claim"));
    let state = app.store.fail(&lease, "provider said no", None, now).await;
    assert!(matches!(state, Ok(JobState::Dead)));
    let dead_id = lease.job.id.to_string();

    let dead = app.admin(Method::GET, "/admin/jobs?state=dead", None).await;
    assert_eq!(dead.body["jobs"][0]["id"], dead_id.as_str());
    assert_eq!(dead.body["jobs"][0]["last_error"], "provider said no");

    let retried = app.admin(Method::POST, &format!("/admin/jobs/{dead_id}/retry"), None).await;
    assert_eq!(retried.status, StatusCode::OK, "{}", retried.body);
    assert_eq!((retried.body["state"].as_str(), retried.body["attempts"].as_u64()), (Some("queued"), Some(0)));
    let again = app.admin(Method::POST, &format!("/admin/jobs/{dead_id}/retry"), None).await;
    assert_eq!((again.status, error_code(&again)), (StatusCode::CONFLICT, "conflict"));

    let one = app.admin(Method::GET, &format!("/admin/jobs/{}", ids[1]), None).await;
    assert_eq!(one.body["state"], "queued");
}

#[tokio::test]
async fn bad_job_requests_get_clear_errors() {
    let app = TestApp::new().await;
    let cases = [
        (Method::GET, "/admin/jobs?state=exploded", None, StatusCode::BAD_REQUEST, "invalid_state"),
        (Method::GET, "/admin/jobs/not-a-uuid", None, StatusCode::BAD_REQUEST, "invalid_job_id"),
        (Method::GET, "/admin/jobs/0192f0c0-0000-7000-8000-000000000000", None, StatusCode::NOT_FOUND, "not_found"),
        (Method::POST, "/admin/jobs/ping", Some(json!({"count": 0})), StatusCode::BAD_REQUEST, "invalid_count"),
        (Method::POST, "/admin/jobs/ping", Some(json!({"cnt": 5})), StatusCode::UNPROCESSABLE_ENTITY, "bad_request"),
    ];
    for (method, path, body, status, code) in cases {
        let reply = app.admin(method.clone(), path, body.as_ref()).await;
        assert_eq!((reply.status, error_code(&reply)), (status, code), "{method} {path}: {}", reply.body);
    }
    let tenant = token_at("tenant:fresh-cuts", crate::support::start_time(), 60);
    let reply = app.call(Method::GET, "/admin/jobs", Some(&tenant), None).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "jobs are the operator's");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sqlite_the_gateway_runs_the_worker_itself() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let env: HashMap<String, String> = [
        ("FRONTDESK_HTTP_ADDR", "127.0.0.1:0".to_owned()),
        ("FRONTDESK_DATABASE_URL", format!("sqlite://{}", dir.path().join("f.db").display())),
        ("FRONTDESK_ADMIN_JWT_SECRET", SECRET.to_owned()),
        ("FRONTDESK_TWILIO_AUTH_TOKEN", "token".to_owned()),
        ("FRONTDESK_STRIPE_WEBHOOK_SECRET", "whsec_test".to_owned()),
        ("FRONTDESK_PUBLIC_BASE_URL", "https://frontdesk.example.com".to_owned()),
        ("FRONTDESK_WORKER_POLL_MS", "20".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let settings = Settings::from_sources(None, env).unwrap_or_else(|e| panic!("{e}"));
    assert!(settings.run_worker);
    let gateway = Application::build(&settings).await.unwrap_or_else(|e| panic!("{e:#}")).spawn();
    let gateway = gateway.unwrap_or_else(|e| panic!("{e}"));
    let client = reqwest::Client::new();
    let token = token_at("admin", chrono::Utc::now(), 60);
    let enqueued = client
        .post(format!("{}/admin/jobs/ping", gateway.base_url()))
        .bearer_auth(&token)
        .json(&json!({"count": 25}))
        .send()
        .await
        .map(|r| r.status().as_u16());
    assert!(matches!(enqueued, Ok(202)), "{enqueued:?}");

    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let body: serde_json::Value = client
            .get(format!("{}/admin/jobs", gateway.base_url()))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .json()
            .await
            .unwrap_or_default();
        if body["counts"]["succeeded"] == 25 {
            assert_eq!(body["depth"], 0);
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "pings did not complete: {}", body["counts"]);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let stopped = tokio::time::timeout(Duration::from_secs(10), gateway.shutdown()).await;
    assert!(matches!(stopped, Ok(Ok(()))), "{stopped:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booking_texts_the_customer_through_the_outbox() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let env: HashMap<String, String> = [
        ("FRONTDESK_HTTP_ADDR", "127.0.0.1:0".to_owned()),
        ("FRONTDESK_DATABASE_URL", format!("sqlite://{}", dir.path().join("f.db").display())),
        ("FRONTDESK_ADMIN_JWT_SECRET", SECRET.to_owned()),
        ("FRONTDESK_DEMO", "true".to_owned()),
        ("FRONTDESK_WORKER_POLL_MS", "20".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let settings = Settings::from_sources(None, env).unwrap_or_else(|e| panic!("{e}"));
    let gateway = Application::build(&settings).await.unwrap_or_else(|e| panic!("{e:#}")).spawn();
    let gateway = gateway.unwrap_or_else(|e| panic!("{e}"));
    let client = reqwest::Client::new();
    let token = token_at("admin", chrono::Utc::now(), 120);
    let start = (chrono::Utc::now() + chrono::Duration::days(3)).format("%Y-%m-%d").to_string();
    let slots: serde_json::Value = client
        .get(format!("{}/admin/tenants/fresh-cuts/availability?service=fade&date={start}&days=5", gateway.base_url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_default();
    let first = slots["slots"][0]["start"].as_str().unwrap_or_else(|| panic!("no slots: {slots}")).to_owned();
    let booking: serde_json::Value = client
        .post(format!("{}/admin/tenants/fresh-cuts/bookings", gateway.base_url()))
        .bearer_auth(&token)
        .json(&json!({"service": "fade", "start": first, "customer_name": "Jane", "customer_phone": "+15555551234"}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_default();
    let code = booking["code"].as_str().unwrap_or_else(|| panic!("no booking: {booking}")).to_owned();

    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let messages: serde_json::Value = client
            .get(format!("{}/admin/tenants/fresh-cuts/messages", gateway.base_url()))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .json()
            .await
            .unwrap_or_default();
        let message = &messages["messages"][0];
        if message["status"] == "sent" {
            let body = message["body"].as_str().unwrap_or_default();
            assert!(body.starts_with("Fresh Cuts Barbershop: your Skin fade is booked for "), "{body}");
            assert!(body.ends_with(&format!("Confirmation code {code}.")), "{body}");
            assert_eq!(
                (message["to"].as_str(), message["from"].as_str()),
                (Some("+15555551234"), Some("+15555550100"))
            );
            assert_eq!(message["booking_id"], booking["id"]);
            assert!(message["provider_id"].as_str().is_some_and(|p| p.starts_with("outbox-")));
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "no text sent: {messages}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(gateway.shutdown().await.is_ok());
}
