use axum::body::Body;
use axum::http::{Method, Request, StatusCode};

use tower::ServiceExt;

use crate::support::TestApp;

#[tokio::test]
async fn healthz_and_readyz_report_the_version() {
    let app = TestApp::new().await;
    let health = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body, serde_json::json!({"status": "ok", "version": "test-version"}));

    let ready = app.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.body["status"], "ready");
    assert_eq!(ready.body["checks"]["database"], "ok");
    assert_eq!(ready.body["version"], "test-version");
}

#[tokio::test]
async fn readyz_is_503_when_a_migration_is_missing() {
    let app = TestApp::new().await;
    let deleted = sqlx::query("DELETE FROM _sqlx_migrations").execute(app.store.pool()).await;
    assert!(deleted.is_ok());
    let ready = app.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ready.body["status"], "not_ready");
    let reason = ready.body["checks"]["database"].as_str().unwrap_or_default();
    assert!(reason.contains("not applied"), "{reason}");
}

#[tokio::test]
async fn readyz_is_503_when_the_database_is_gone() {
    let app = TestApp::new().await;
    app.store.pool().close().await;
    let ready = app.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    // Liveness does not depend on the database.
    assert_eq!(app.call(Method::GET, "/healthz", None, None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn request_ids_are_echoed_or_generated() {
    let app = TestApp::new().await;
    let given = Request::get("/healthz").header("x-request-id", "call-abc-123").body(Body::empty());
    let reply = app.send(given.unwrap_or_else(|e| panic!("{e}"))).await;
    assert_eq!(reply.headers.get("x-request-id").and_then(|v| v.to_str().ok()), Some("call-abc-123"));

    let reply = app.call(Method::GET, "/admin/tenants", None, None).await;
    let generated = reply.headers.get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert_eq!(generated.len(), 36, "a UUID is generated, also on error replies: {generated:?}");
}

#[tokio::test]
async fn the_root_says_what_this_is_and_links_the_health_checks() {
    let app = TestApp::new().await;
    let response =
        app.router.clone().oneshot(Request::get("/").body(Body::empty()).unwrap_or_else(|e| panic!("{e}"))).await;
    let response = response.unwrap_or_else(|e| match e {});
    assert_eq!(response.status(), StatusCode::OK);
    let content_type =
        response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(response.headers().contains_key("content-security-policy"));
    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap_or_default();
    let page = String::from_utf8_lossy(&body);
    assert!(
        page.contains("Frontdesk voice gateway")
            && page.contains(r#"href="/healthz""#)
            && page.contains(r#"href="/readyz""#),
        "{page}"
    );
}

#[tokio::test]
async fn an_unknown_url_is_named_in_the_404() {
    let app = TestApp::new().await;
    let reply = app.admin(Method::GET, "/admin/tenantz/fresh-cuts", None).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.body["error"]["code"], "not_found", "{}", reply.body);
    let message = reply.body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("GET /admin/tenantz/fresh-cuts"), "{message}");
}
