use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use chrono::Duration as TimeDelta;
use serde_json::{Value, json};
use voice_gateway::HttpLimits;

use crate::support::{SECRET, TestApp, details, error_code, hs256_token, shop_json, start_time, token_at};

// ---- authentication and scopes ---------------------------------------------

#[tokio::test]
async fn requests_without_a_valid_token_get_401() {
    let app = TestApp::new().await;
    let claims = |scope: &str, iat: i64, exp: i64| json!({"sub": "x", "scope": scope, "iat": iat, "exp": exp});
    let now = start_time().timestamp();
    let header = json!({"alg": "HS256", "typ": "JWT"});
    let good = token_at("admin", start_time(), 60);
    let mut tampered: Vec<String> = good.split('.').map(str::to_owned).collect();
    tampered[1] = hs256_token(&header, &claims("admin", now, now + 600), SECRET.as_bytes())
        .split('.')
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    let unsigned = {
        use base64::Engine;
        let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        format!("{}.{}.", b64(&json!({"alg": "none"})), b64(&claims("admin", now, now + 60)))
    };

    let cases: Vec<(&str, Option<String>)> = vec![
        ("no header", None),
        ("basic auth", Some("Basic YWRtaW46YWRtaW4=".to_owned())),
        ("garbage", Some("Bearer not.a.jwt".to_owned())),
        ("tampered", Some(format!("Bearer {}", tampered.join(".")))),
        (
            "wrong secret",
            Some(format!("Bearer {}", hs256_token(&header, &claims("admin", now, now + 60), b"other-secret"))),
        ),
        ("alg none", Some(format!("Bearer {unsigned}"))),
        (
            "HS384 header",
            Some(format!(
                "Bearer {}",
                hs256_token(&json!({"alg": "HS384"}), &claims("admin", now, now + 60), SECRET.as_bytes())
            )),
        ),
        ("expired", Some(format!("Bearer {}", token_at("admin", start_time() - TimeDelta::minutes(10), 60)))),
        ("lives 16 minutes", Some(format!("Bearer {}", token_at("admin", start_time(), 16 * 60)))),
    ];
    for (name, authorization) in cases {
        let mut request = Request::get("/admin/tenants");
        if let Some(value) = &authorization {
            request = request.header("authorization", value);
        }
        let reply = app.send(request.body(Body::empty()).unwrap_or_else(|e| panic!("{e}"))).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{name}: {}", reply.body);
        assert_eq!(error_code(&reply), "unauthorized", "{name}");
        assert_eq!(reply.headers.get("www-authenticate").and_then(|v| v.to_str().ok()), Some("Bearer"), "{name}");
    }
}

#[tokio::test]
async fn a_token_expires_by_the_gateways_clock() {
    let app = TestApp::new().await;
    let token = app.token("admin");
    assert_eq!(app.call(Method::GET, "/admin/tenants", Some(&token), None).await.status, StatusCode::OK);
    app.clock.advance(TimeDelta::minutes(2));
    let reply = app.call(Method::GET, "/admin/tenants", Some(&token), None).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(reply.body["error"]["message"].as_str().unwrap_or_default().contains("expired"), "{}", reply.body);
}

#[tokio::test]
async fn valid_tokens_with_the_wrong_scope_get_403() {
    let app = TestApp::new().await;
    let fresh = app.token("tenant:fresh-cuts");
    let cases = [
        (Method::GET, "/admin/tenants", None),
        (Method::GET, "/admin/tenants/bright-smile", None),
        (Method::GET, "/admin/tenants/no-such-shop", None),
        (Method::PUT, "/admin/tenants/bright-smile", Some(shop_json("bright-smile", &[]))),
        (Method::PUT, "/admin/tenants/brand-new", Some(shop_json("brand-new", &[]))),
        (Method::DELETE, "/admin/tenants/fresh-cuts", None),
        (Method::POST, "/admin/tenants/fresh-cuts/enable", None),
    ];
    for (method, path, body) in cases {
        let reply = app.call(method.clone(), path, Some(&fresh), body.as_ref()).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{method} {path}: {}", reply.body);
        assert_eq!(error_code(&reply), "forbidden");
    }
    let unknown_scope = token_at("superuser", start_time(), 60);
    let reply = app.call(Method::GET, "/admin/tenants", Some(&unknown_scope), None).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);

    // Nothing was created or changed by the refused calls.
    assert_eq!(app.admin(Method::GET, "/admin/tenants/brand-new", None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.admin(Method::GET, "/admin/tenants/fresh-cuts", None).await.body["status"], "active");
}

#[tokio::test]
async fn a_tenant_token_reads_and_replaces_its_own_profile() {
    let app = TestApp::new().await;
    let fresh = app.token("tenant:fresh-cuts");
    let reply = app.call(Method::GET, "/admin/tenants/fresh-cuts", Some(&fresh), None).await;
    assert_eq!(reply.status, StatusCode::OK);
    let mut profile = reply.body["profile"].clone();
    profile["greeting"] = json!("Fresh Cuts, what can we do for you?");
    let reply = app.call(Method::PUT, "/admin/tenants/fresh-cuts", Some(&fresh), Some(&profile)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["profile"]["greeting"], "Fresh Cuts, what can we do for you?");
}

#[tokio::test]
async fn only_the_operator_changes_what_routes_calls_or_money() {
    let app = TestApp::new().await;
    let fresh = app.token("tenant:fresh-cuts");
    let reply = app.call(Method::GET, "/admin/tenants/fresh-cuts", Some(&fresh), None).await;
    let profile = reply.body["profile"].clone();
    let changes = [
        ("phone_numbers", json!(["+15555550100", "+15555550777"]), "phone_numbers"),
        ("owner_phone", json!("+15555550777"), "owner_phone"),
        ("twilio_auth_token", json!("the-shop-s-own-token"), "twilio_auth_token"),
    ];
    for (field, value, named) in &changes {
        let mut edited = profile.clone();
        edited[*field] = value.clone();
        let reply = app.call(Method::PUT, "/admin/tenants/fresh-cuts", Some(&fresh), Some(&edited)).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{field}: {}", reply.body);
        assert!(reply.body["error"]["message"].as_str().is_some_and(|m| m.contains(named)), "{}", reply.body);
    }
    let unchanged = app.call(Method::GET, "/admin/tenants/fresh-cuts", Some(&fresh), None).await;
    assert_eq!(unchanged.body["profile"], profile, "a refused change changes nothing");
    // The operator may.
    for (field, value, _) in &changes {
        let mut edited = unchanged.body["profile"].clone();
        edited[*field] = value.clone();
        let reply = app.admin(Method::PUT, "/admin/tenants/fresh-cuts", Some(&edited)).await;
        assert_eq!(reply.status, StatusCode::OK, "{field}: {}", reply.body);
    }
}

// ---- PUT, GET, list ----------------------------------------------------------

#[tokio::test]
async fn put_creates_then_replaces() {
    let app = TestApp::new().await;
    let document = shop_json("corner-salon", &["+44 20 7946 0958"]);
    let created = app.admin(Method::PUT, "/admin/tenants/corner-salon", Some(&document)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.headers.get("location").and_then(|v| v.to_str().ok()), Some("/admin/tenants/corner-salon"));
    assert_eq!(created.body["status"], "active");
    assert_eq!(created.body["created_at"], "2026-11-24T15:00:00Z");
    let profile = &created.body["profile"];
    assert_eq!(profile["phone_numbers"], json!(["+442079460958"]), "numbers are normalised");
    assert_eq!(profile["locale"], "en-US", "defaults are written out");
    assert_eq!(profile["booking"]["slot_interval_minutes"], 15);

    app.clock.advance(TimeDelta::minutes(1));
    let mut renamed = document.clone();
    renamed["name"] = json!("Corner Salon & Spa");
    renamed.as_object_mut().map(|o| o.remove("slug"));
    let token = token_at("admin", start_time() + TimeDelta::minutes(1), 60);
    let replaced = app.call(Method::PUT, "/admin/tenants/corner-salon", Some(&token), Some(&renamed)).await;
    assert_eq!(replaced.status, StatusCode::OK, "{}", replaced.body);
    assert_eq!(replaced.body["profile"]["name"], "Corner Salon & Spa");
    assert_eq!(replaced.body["profile"]["slug"], "corner-salon", "the slug comes from the URL when omitted");
    assert_eq!(replaced.body["created_at"], "2026-11-24T15:00:00Z");
    assert_eq!(replaced.body["updated_at"], "2026-11-24T15:01:00Z");

    let fetched = app.call(Method::GET, "/admin/tenants/corner-salon", Some(&token), None).await;
    assert_eq!(fetched.body, replaced.body);
}

#[tokio::test]
async fn list_shows_every_tenant_in_slug_order() {
    let app = TestApp::new().await;
    let reply = app.admin(Method::GET, "/admin/tenants", None).await;
    assert_eq!(reply.status, StatusCode::OK);
    let slugs: Vec<&str> = reply.body["tenants"]
        .as_array()
        .map(|l| l.iter().filter_map(|t| t["slug"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(slugs, ["bright-smile", "fresh-cuts"]);
}

#[tokio::test]
async fn a_rejected_profile_lists_every_problem_and_changes_nothing() {
    let app = TestApp::new().await;
    let before = app.admin(Method::GET, "/admin/tenants/fresh-cuts", None).await.body;
    let mut document = before["profile"].clone();
    document["timezone"] = json!("Atlantis/Central");
    document["hours"]["mon"] = json!(["09:00-12:00", "11:00-14:00"]);
    document["services"][0]["duration_minutes"] = json!(-30);
    document["services"][1]["staff"] = json!(["Nobody"]);
    document["phone_numbers"] = json!(["+15555550100", "+15555550200"]);

    let reply = app.admin(Method::PUT, "/admin/tenants/fresh-cuts", Some(&document)).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_code(&reply), "validation_failed");
    assert_eq!(
        details(&reply),
        [
            "timezone: unknown time zone \"Atlantis/Central\"; use an IANA name such as \"America/New_York\"",
            "hours.mon[1]: overlaps 09:00-12:00",
            "services[0].duration_minutes: must be positive, got -30",
            "services[1].staff[0]: unknown staff member \"Nobody\"",
            "phone_numbers[1]: +15555550200 is already assigned to another tenant",
        ]
    );
    let after = app.admin(Method::GET, "/admin/tenants/fresh-cuts", None).await.body;
    assert_eq!(after, before, "a rejected profile changes nothing");
}

#[tokio::test]
async fn a_new_tenant_cannot_take_another_tenants_number() {
    let app = TestApp::new().await;
    let reply =
        app.admin(Method::PUT, "/admin/tenants/copycat", Some(&shop_json("copycat", &["+1 555 555 0100"]))).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(details(&reply), ["phone_numbers[0]: +15555550100 is already assigned to another tenant"]);
    assert_eq!(app.admin(Method::GET, "/admin/tenants/copycat", None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_body_slug_must_match_the_url() {
    let app = TestApp::new().await;
    let reply = app.admin(Method::PUT, "/admin/tenants/corner-salon", Some(&shop_json("other-salon", &[]))).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(details(&reply), ["slug: \"other-salon\" does not match the tenant in the URL (corner-salon)"]);

    let reply = app.admin(Method::GET, "/admin/tenants/Not_A_Slug", None).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&reply), "invalid_tenant_id");
}

// ---- bad requests --------------------------------------------------------------

#[tokio::test]
async fn malformed_bodies_get_json_errors() {
    let app = TestApp::new().await;
    let token = app.token("admin");
    let raw = |body: &'static str, content_type: &'static str| {
        Request::put("/admin/tenants/corner-salon")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", content_type)
            .body(Body::from(body))
            .unwrap_or_else(|e| panic!("{e}"))
    };

    let reply = app.send(raw("{\"name\": ", "application/json")).await;
    assert_eq!((reply.status, error_code(&reply)), (StatusCode::BAD_REQUEST, "bad_json"));

    let reply = app.send(raw("name = 'x'", "text/plain")).await;
    assert_eq!((reply.status, error_code(&reply)), (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"));

    let reply = app.send(raw("{\"name\": \"x\", \"colour\": \"red\"}", "application/json")).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(details(&reply)[0].starts_with("colour: unknown field `colour`"), "{:?}", details(&reply));

    let reply = app.send(raw("{\"services\": [{\"price_cents\": \"cheap\"}]}", "application/json")).await;
    assert_eq!(details(&reply), ["services[0].price_cents: invalid type: string \"cheap\", expected i64"]);

    assert_eq!(app.admin(Method::GET, "/admin/tenants/corner-salon", None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn oversized_bodies_get_413() {
    let app =
        TestApp::with_limits(HttpLimits { request_timeout: Duration::from_secs(10), body_limit_bytes: 2048 }).await;
    let mut document = shop_json("corner-salon", &[]);
    document["greeting"] = json!("x".repeat(4096));
    let reply = app.admin(Method::PUT, "/admin/tenants/corner-salon", Some(&document)).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(&reply), "payload_too_large");
}

#[tokio::test]
async fn unknown_routes_and_methods_get_json_errors() {
    let app = TestApp::new().await;
    let reply = app.admin(Method::GET, "/admin/nothing-here", None).await;
    assert_eq!((reply.status, error_code(&reply)), (StatusCode::NOT_FOUND, "not_found"));

    let reply = app.admin(Method::GET, "/admin/tenants/no-such-shop", None).await;
    assert_eq!((reply.status, error_code(&reply)), (StatusCode::NOT_FOUND, "not_found"));

    let reply = app.admin(Method::PATCH, "/admin/tenants/fresh-cuts", None).await;
    assert_eq!((reply.status, error_code(&reply)), (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"));
    let allow = reply.headers.get("allow").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(allow.contains("PUT") && allow.contains("DELETE"), "{allow}");
}

// ---- disable / enable ------------------------------------------------------------

#[tokio::test]
async fn delete_disables_and_keeps_the_data() {
    let app = TestApp::new().await;
    let before = app.admin(Method::GET, "/admin/tenants/fresh-cuts", None).await.body;
    app.clock.advance(TimeDelta::seconds(30));

    let reply = app.admin(Method::DELETE, "/admin/tenants/fresh-cuts", None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["status"], "disabled");
    assert_eq!(reply.body["profile"], before["profile"], "the profile is kept");

    // Its number is no longer answered, but still belongs to it.
    let owner = frontdesk_core::E164::parse("+15555550100").map_err(|e| e.to_string());
    let record = match owner {
        Ok(number) => frontdesk_tenant::TenantStore::tenant_by_number(app.store.as_ref(), &number).await.ok().flatten(),
        Err(e) => panic!("{e}"),
    };
    assert_eq!(record.map(|r| r.status), Some(frontdesk_tenant::TenantStatus::Disabled));
    let copycat =
        app.admin(Method::PUT, "/admin/tenants/copycat", Some(&shop_json("copycat", &["+15555550100"]))).await;
    assert_eq!(copycat.status, StatusCode::UNPROCESSABLE_ENTITY, "a disabled tenant keeps its numbers");

    let again = app.admin(Method::DELETE, "/admin/tenants/fresh-cuts", None).await;
    assert_eq!(again.status, StatusCode::OK, "disabling twice is fine");
    let enabled = app.admin(Method::POST, "/admin/tenants/fresh-cuts/enable", None).await;
    assert_eq!(enabled.body["status"], "active");
    assert_eq!(app.admin(Method::DELETE, "/admin/tenants/nobody-here", None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_tenant_s_twilio_token_is_never_shown_and_survives_a_round_trip() {
    let app = TestApp::new().await;
    let mut document = app.admin(Method::GET, "/admin/tenants/fresh-cuts", None).await.body["profile"].clone();
    document["twilio_auth_token"] = json!("tenant-secret-token");
    let written = app.admin(Method::PUT, "/admin/tenants/fresh-cuts", Some(&document)).await;
    assert_eq!(written.status, StatusCode::OK, "{}", written.body);
    assert_eq!(written.body["profile"]["twilio_auth_token"], "[redacted]");
    assert!(!written.body.to_string().contains("tenant-secret-token"));

    // Read, change the greeting, write back: the marker keeps the stored token.
    let mut again = app.admin(Method::GET, "/admin/tenants/fresh-cuts", None).await.body["profile"].clone();
    again["greeting"] = json!("Hello from Fresh Cuts");
    let rewritten = app.admin(Method::PUT, "/admin/tenants/fresh-cuts", Some(&again)).await;
    assert_eq!(rewritten.status, StatusCode::OK, "{}", rewritten.body);
    let tenant = frontdesk_core::TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}"));
    let stored = frontdesk_tenant::TenantStore::get_tenant(app.store.as_ref(), &tenant).await.ok().flatten();
    assert_eq!(
        stored.and_then(|r| r.profile.twilio_auth_token().map(str::to_owned)).as_deref(),
        Some("tenant-secret-token")
    );

    // Creating a tenant with the marker itself is refused.
    let mut marker = shop_json("marker-shop", &[]);
    marker["twilio_auth_token"] = json!("[redacted]");
    let reply = app.admin(Method::PUT, "/admin/tenants/marker-shop", Some(&marker)).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(details(&reply)[0].starts_with("twilio_auth_token: is the redaction marker"), "{:?}", details(&reply));
}

#[tokio::test]
async fn an_owner_s_slack_webhook_is_never_shown_and_survives_a_round_trip() {
    let app = TestApp::new().await;
    let mut document = app.admin(Method::GET, "/admin/tenants/fresh-cuts", None).await.body["profile"].clone();
    document["notifications"] = json!({"slack_webhook_url": "https://hooks.slack.com/services/T0/B0/secret-hook", "email": "owner@shop.example"});
    let written = app.admin(Method::PUT, "/admin/tenants/fresh-cuts", Some(&document)).await;
    assert_eq!(written.status, StatusCode::OK, "{}", written.body);
    assert_eq!(written.body["profile"]["notifications"]["slack_webhook_url"], "[redacted]");
    assert_eq!(written.body["profile"]["notifications"]["email"], "owner@shop.example");
    assert!(!written.body.to_string().contains("secret-hook"));

    // Read, change the digest, write back: the marker keeps the stored webhook.
    let mut again = app.admin(Method::GET, "/admin/tenants/fresh-cuts", None).await.body["profile"].clone();
    again["notifications"]["digest"] = json!(true);
    let rewritten = app.admin(Method::PUT, "/admin/tenants/fresh-cuts", Some(&again)).await;
    assert_eq!(rewritten.status, StatusCode::OK, "{}", rewritten.body);
    let tenant = frontdesk_core::TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}"));
    let stored = frontdesk_tenant::TenantStore::get_tenant(app.store.as_ref(), &tenant).await.ok().flatten();
    let stored = stored.unwrap_or_else(|| panic!("stored"));
    let notifications = stored.profile.notifications();
    assert!(notifications.digest());
    assert_eq!(
        notifications.slack_webhook_url().map(|url| url.expose()),
        Some("https://hooks.slack.com/services/T0/B0/secret-hook")
    );
    let audit = app.admin(Method::GET, "/admin/audit?tenant=fresh-cuts", None).await;
    assert_eq!(audit.status, StatusCode::OK, "{}", audit.body);
    assert!(audit.body.to_string().contains("tenant.put"), "{}", audit.body);
    assert!(!audit.body.to_string().contains("secret-hook"), "the audit log never holds the webhook");
}

#[tokio::test]
async fn every_misshapen_field_of_a_profile_is_reported_at_once() {
    let app = TestApp::new().await;
    let mut shop = shop_json("misshapen", &[]);
    shop["name"] = json!(7);
    shop["colour"] = json!("red");
    shop["services"][0]["duration_minutes"] = json!("thirty");
    let reply = app.admin(Method::PUT, "/admin/tenants/misshapen", Some(&shop)).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.body);
    let fields: Vec<String> = reply.body["error"]["details"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["field"].as_str().map(str::to_owned))
        .collect();
    for field in ["name", "colour", "services[0].duration_minutes"] {
        assert!(fields.iter().any(|f| f == field), "{field} in {fields:?}");
    }
}
