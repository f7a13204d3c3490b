//! Plans, flags, metering, caps, the Stripe webhook, invoices and the audit
//! log, through the HTTP surface.

use axum::http::{Method, StatusCode};
use chrono::Duration;
use frontdesk_billing::BillingStore;
use frontdesk_core::{Clock, TenantId};
use serde_json::{Value, json};

use crate::support::{STRIPE_SECRET, TestApp, error_code, shop_json, stripe_event, stripe_signature};

const SHOP_NUMBER: &str = "+15555550100";
const OWNER: &str = "+15555550199";

fn flag<'a>(body: &'a Value, name: &str) -> &'a Value {
    body["flags"]
        .as_array()
        .and_then(|flags| flags.iter().find(|f| f["flag"] == name))
        .unwrap_or_else(|| panic!("no flag {name} in {body}"))
}

#[tokio::test]
async fn plans_and_overrides_set_the_effective_flags_with_their_source() {
    let app = TestApp::new().await;
    let shown = app.admin(Method::GET, "/admin/tenants/fresh-cuts/flags", None).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
    assert_eq!(shown.body["plan"], "pro", "demo tenants are on pro");
    assert_eq!(flag(&shown.body, "after_hours_answering")["enabled"], true);

    let core = app.admin(Method::PUT, "/admin/tenants/fresh-cuts/plan", Some(&json!({"plan": "core"}))).await;
    assert_eq!(core.status, StatusCode::OK, "{}", core.body);
    assert_eq!(
        flag(&core.body, "after_hours_answering"),
        &json!({"flag": "after_hours_answering", "enabled": false, "source": "plan"})
    );
    assert_eq!(flag(&core.body, "enable_rag"), &json!({"flag": "enable_rag", "enabled": true, "source": "plan"}));
    assert_eq!(
        flag(&core.body, "allow_ai_booking"),
        &json!({"flag": "allow_ai_booking", "enabled": true, "source": "default"})
    );

    let path = "/admin/tenants/fresh-cuts/flags/after_hours_answering";
    let on = app.admin(Method::PUT, path, Some(&json!({"enabled": true}))).await;
    assert_eq!(
        flag(&on.body, "after_hours_answering"),
        &json!({"flag": "after_hours_answering", "enabled": true, "source": "override"})
    );
    // The next read (served from the cache) sees the change at once.
    let shown = app.admin(Method::GET, "/admin/tenants/fresh-cuts/flags", None).await;
    assert_eq!(flag(&shown.body, "after_hours_answering")["source"], "override");

    let removed = app.admin(Method::PUT, path, Some(&json!({"enabled": null}))).await;
    assert_eq!(flag(&removed.body, "after_hours_answering")["source"], "plan");
    assert_eq!(flag(&removed.body, "after_hours_answering")["enabled"], false);
}

#[tokio::test]
async fn flag_and_plan_requests_are_checked() {
    let app = TestApp::new().await;
    let cases: [(&str, Value, StatusCode, &str); 9] = [
        ("/admin/tenants/fresh-cuts/cap", json!({}), StatusCode::BAD_REQUEST, "bad_json"),
        ("/admin/tenants/fresh-cuts/cap", json!({"minutes": -5}), StatusCode::BAD_REQUEST, "invalid_cap"),
        ("/admin/tenants/fresh-cuts/cap", json!({"minutes": "lots"}), StatusCode::BAD_REQUEST, "bad_json"),
        ("/admin/tenants/fresh-cuts/plan", json!({"plan": "gold"}), StatusCode::BAD_REQUEST, "invalid_plan"),
        ("/admin/tenants/fresh-cuts/plan", json!({"tier": "core"}), StatusCode::BAD_REQUEST, "bad_json"),
        ("/admin/tenants/fresh-cuts/flags/enable_magic", json!({"enabled": true}), StatusCode::NOT_FOUND, "not_found"),
        ("/admin/tenants/fresh-cuts/flags/enable_rag", json!({}), StatusCode::BAD_REQUEST, "bad_json"),
        ("/admin/tenants/fresh-cuts/flags/enable_rag", json!({"enabled": "yes"}), StatusCode::BAD_REQUEST, "bad_json"),
        ("/admin/tenants/nobody-here/plan", json!({"plan": "core"}), StatusCode::NOT_FOUND, "not_found"),
    ];
    for (path, body, status, code) in cases {
        let reply = app.admin(Method::PUT, path, Some(&body)).await;
        assert_eq!(reply.status, status, "{path} {body}: {}", reply.body);
        assert_eq!(error_code(&reply), code, "{path} {body}");
    }
    // A shop's own token may read its flags but not change its plan.
    let own = app.token("tenant:fresh-cuts");
    let read = app.call(Method::GET, "/admin/tenants/fresh-cuts/flags", Some(&own), None).await;
    assert_eq!(read.status, StatusCode::OK);
    let write =
        app.call(Method::PUT, "/admin/tenants/fresh-cuts/plan", Some(&own), Some(&json!({"plan": "enterprise"}))).await;
    assert_eq!(write.status, StatusCode::FORBIDDEN);
    let flags = app.admin(Method::GET, "/admin/tenants/fresh-cuts/flags", None).await;
    assert_eq!(flags.body["plan"], "pro", "nothing changed");
}

async fn start_call(app: &TestApp, call_sid: &str) -> String {
    let (status, twiml) =
        app.twilio("/twilio/voice", &[("CallSid", call_sid), ("From", "+15555551234"), ("To", SHOP_NUMBER)]).await;
    assert_eq!(status, StatusCode::OK, "{twiml}");
    twiml
}

async fn finish_call(app: &TestApp, call_sid: &str, seconds: &str) {
    let params = [
        ("CallSid", call_sid),
        ("To", SHOP_NUMBER),
        ("CallStatus", "completed"),
        ("CallDuration", seconds),
        ("SequenceNumber", "3"),
    ];
    let (status, body) = app.twilio("/twilio/status", &params).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
}

async fn usage(app: &TestApp) -> Value {
    let reply = app.admin(Method::GET, "/admin/tenants/fresh-cuts/usage", None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body
}

#[tokio::test]
async fn a_finished_call_is_metered_once_in_started_minutes() {
    let app = TestApp::new().await;
    start_call(&app, "CA-meter-1").await;
    finish_call(&app, "CA-meter-1", "61").await;
    assert_eq!(usage(&app).await["usage"]["call_minutes"], 2, "61 s bills as 2 minutes");
    // Twilio repeats the callback: counted once.
    finish_call(&app, "CA-meter-1", "61").await;
    finish_call(&app, "CA-meter-1", "61").await;
    assert_eq!(usage(&app).await["usage"]["call_minutes"], 2);
    start_call(&app, "CA-meter-2").await;
    finish_call(&app, "CA-meter-2", "60").await;
    let body = usage(&app).await;
    assert_eq!(body["usage"]["call_minutes"], 3);
    assert_eq!(body["period"], "2026-11");
    assert_eq!(body["answering"], "ai");
    // Another period has nothing.
    let october = app.admin(Method::GET, "/admin/tenants/fresh-cuts/usage?period=2026-10", None).await;
    assert_eq!(october.body["usage"]["call_minutes"], 0);
    let bad = app.admin(Method::GET, "/admin/tenants/fresh-cuts/usage?period=2026-13", None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&bad), "invalid_period");
}

#[tokio::test]
async fn the_usage_shows_what_calls_and_texts_are_estimated_to_cost_by_the_rate_card() {
    let app = TestApp::new().await;
    let nothing = usage(&app).await;
    assert_eq!(nothing["usage"]["estimated_cost_micros"], 0, "{nothing}");
    start_call(&app, "CA-cost-1").await;
    finish_call(&app, "CA-cost-1", "61").await;
    let text = [("MessageSid", "SM-cost-1"), ("From", "+15555551234"), ("To", SHOP_NUMBER), ("Body", "open today?")];
    let (status, twiml) = app.twilio("/twilio/sms", &text).await;
    assert!(status == StatusCode::OK && twiml.contains("<Message>"), "{twiml}");

    let body = usage(&app).await;
    let usage = &body["usage"];
    let segments = usage["sms_segments"].as_i64().unwrap_or_default();
    assert!(segments >= 1, "the reply is metered: {body}");
    let by_kind = &usage["estimated_cost_micros_by_kind"];
    assert_eq!(by_kind["call_minutes"], 2 * 8_500, "2 started minutes at $0.0085: {body}");
    assert_eq!(by_kind["sms_segments"], segments * 8_300, "each segment at $0.0083: {body}");
    assert_eq!(by_kind["llm_tokens"], usage["ai_cost_micros"], "{body}");
    let tokens = usage["ai_cost_micros"].as_i64().unwrap_or(-1);
    assert_eq!(usage["estimated_cost_micros"], 2 * 8_500 + segments * 8_300 + tokens, "every kind: {body}");
    let october = app.admin(Method::GET, "/admin/tenants/fresh-cuts/usage?period=2026-10", None).await;
    assert_eq!(october.body["usage"]["estimated_cost_micros"], 0, "{}", october.body);
}

#[tokio::test]
async fn the_hard_cap_forwards_calls_to_the_owner_until_the_operator_raises_it() {
    let app = TestApp::new().await;
    let capped = app.admin(Method::PUT, "/admin/tenants/fresh-cuts/cap", Some(&json!({"minutes": 5}))).await;
    assert_eq!(capped.status, StatusCode::OK, "{}", capped.body);
    start_call(&app, "CA-cap-1").await;
    finish_call(&app, "CA-cap-1", "240").await; // 4 of 5 minutes: 80 %
    let soft = usage(&app).await;
    assert_eq!(soft["cap"]["level"], "soft");
    assert_eq!(soft["answering"], "ai");
    assert!(start_call(&app, "CA-cap-2").await.contains("<Gather"), "still answered by the receptionist");
    finish_call(&app, "CA-cap-2", "30").await; // 5 of 5: the hard cap
    let hard = usage(&app).await;
    assert_eq!(hard["cap"]["level"], "hard");
    assert_eq!(hard["answering"], "forward_to_owner");
    assert_eq!(hard["suspension_reason"], "cap_reached");
    let levels: Vec<&str> =
        hard["decisions"].as_array().into_iter().flatten().filter_map(|d| d["level"].as_str()).collect();
    assert_eq!(levels, ["soft", "hard"], "both decisions recorded: {hard}");
    let jobs = app.admin(Method::GET, "/admin/jobs?limit=100", None).await;
    let alerts =
        jobs.body["jobs"].as_array().into_iter().flatten().filter(|j| j["kind"] == "billing.cap_alert").count();
    assert_eq!(alerts, 2, "one owner alert per decision: {}", jobs.body);

    let forwarded = start_call(&app, "CA-cap-3").await;
    assert!(forwarded.contains(&format!("<Number>{OWNER}</Number>")), "forwarded to the owner: {forwarded}");
    assert!(!forwarded.contains("<Gather"), "{forwarded}");
    let call = app.admin(Method::GET, "/admin/tenants/fresh-cuts/calls/CA-cap-3", None).await;
    assert_eq!(call.body["outcome"], "transferred", "{}", call.body);

    // More minutes keep the decisions as they are (each recorded once).
    finish_call(&app, "CA-cap-3", "120").await;
    assert_eq!(usage(&app).await["decisions"].as_array().map(Vec::len), Some(2));

    let raised = app.admin(Method::PUT, "/admin/tenants/fresh-cuts/cap", Some(&json!({"minutes": 1000}))).await;
    assert_eq!(raised.body["answering"], "ai", "{}", raised.body);
    assert!(start_call(&app, "CA-cap-4").await.contains("<Gather"), "AI answering is back");
}

#[tokio::test]
async fn a_new_month_lifts_the_cap() {
    let app = TestApp::new().await;
    app.admin(Method::PUT, "/admin/tenants/fresh-cuts/cap", Some(&json!({"minutes": 1}))).await;
    start_call(&app, "CA-month-1").await;
    finish_call(&app, "CA-month-1", "60").await;
    assert!(start_call(&app, "CA-month-2").await.contains(OWNER));
    // 1 December, 09:00 in New York.
    app.clock.set(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 12, 1, 14, 0, 0).single().unwrap_or_default());
    assert!(start_call(&app, "CA-month-3").await.contains("<Gather"), "December starts from zero");
}

#[tokio::test]
async fn stripe_webhooks_are_verified_and_each_event_applied_once() {
    let app = TestApp::new().await;
    let tenant = TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}"));
    app.store.set_stripe_ids(&tenant, "cus_fresh", Some("sub_fresh")).await.unwrap_or_else(|e| panic!("{e}"));
    let now = app.clock.now().timestamp();
    let failed = stripe_event(
        "evt_1",
        "invoice.payment_failed",
        json!({"id": "in_1", "object": "invoice", "customer": "cus_fresh"}),
    );

    // Refused, and nothing changes: no signature, wrong secret, tampered body, stale.
    let tampered = failed.replace("in_1", "in_2");
    let refused = [
        (failed.clone(), None),
        (failed.clone(), Some(stripe_signature(&failed, now, "whsec_someone_else"))),
        (tampered, Some(stripe_signature(&failed, now, STRIPE_SECRET))),
        (failed.clone(), Some(stripe_signature(&failed, now - 301, STRIPE_SECRET))),
        (failed.clone(), Some("garbage".to_owned())),
    ];
    for (body, signature) in refused {
        let reply = app.stripe(&body, signature.as_deref()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{signature:?}: {}", reply.body);
        assert_eq!(error_code(&reply), "invalid_signature");
    }
    assert_eq!(app.store.billing_account(&tenant).await.ok().and_then(|a| a.past_due_since), None);

    // Several v1 signatures (a secret being rolled): one valid is enough.
    let valid = stripe_signature(&failed, now, STRIPE_SECRET);
    let rolled =
        format!("{},v1={}", stripe_signature(&failed, now, "whsec_old"), valid.split("v1=").nth(1).unwrap_or(""));
    let first = app.stripe(&failed, Some(&rolled)).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.body["duplicate"], false);
    let since = app.store.billing_account(&tenant).await.ok().and_then(|a| a.past_due_since);
    assert_eq!(since, Some(app.clock.now()));

    // Stripe resends: acknowledged, applied once.
    app.clock.advance(Duration::hours(1));
    let again = app.stripe(&failed, Some(&stripe_signature(&failed, app.clock.now().timestamp(), STRIPE_SECRET))).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["duplicate"], true);
    assert_eq!(app.store.billing_account(&tenant).await.ok().and_then(|a| a.past_due_since), since);

    // Within the grace period calls are answered; after it, forwarded.
    assert!(start_call(&app, "CA-due-1").await.contains("<Gather"));
    app.clock.advance(Duration::days(8));
    let forwarded = start_call(&app, "CA-due-2").await;
    assert!(forwarded.contains(OWNER), "{forwarded}");
    assert_eq!(usage(&app).await["suspension_reason"], "past_due");

    let paid =
        stripe_event("evt_2", "invoice.paid", json!({"id": "in_1", "object": "invoice", "customer": "cus_fresh"}));
    let reply = app.stripe(&paid, Some(&stripe_signature(&paid, app.clock.now().timestamp(), STRIPE_SECRET))).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(start_call(&app, "CA-due-3").await.contains("<Gather"), "paid: AI answering is back");

    let cancelled = stripe_event(
        "evt_3",
        "customer.subscription.deleted",
        json!({"id": "sub_fresh", "object": "subscription", "customer": "cus_fresh", "status": "canceled"}),
    );
    let reply =
        app.stripe(&cancelled, Some(&stripe_signature(&cancelled, app.clock.now().timestamp(), STRIPE_SECRET))).await;
    assert_eq!(reply.status, StatusCode::OK);
    let account = app.store.billing_account(&tenant).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(account.subscription_status.as_deref(), Some("canceled"));
    // Nobody pays any more: calls go straight to the owner.
    let after_cancel = start_call(&app, "CA-due-4").await;
    assert!(after_cancel.contains(OWNER) && !after_cancel.contains("<Gather"), "{after_cancel}");
    assert_eq!(usage(&app).await["suspension_reason"], "subscription_ended");
    // A new subscription brings answering back.
    let renewed = stripe_event(
        "evt_5",
        "customer.subscription.created",
        json!({"id": "sub_new", "object": "subscription", "customer": "cus_fresh", "status": "active"}),
    );
    let reply =
        app.stripe(&renewed, Some(&stripe_signature(&renewed, app.clock.now().timestamp(), STRIPE_SECRET))).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(start_call(&app, "CA-due-5").await.contains("<Gather"), "subscribed again: AI answering is back");

    // An event for a customer we do not know is acknowledged and changes nothing.
    let stranger = stripe_event(
        "evt_4",
        "invoice.payment_failed",
        json!({"id": "in_9", "object": "invoice", "customer": "cus_unknown"}),
    );
    let reply =
        app.stripe(&stranger, Some(&stripe_signature(&stranger, app.clock.now().timestamp(), STRIPE_SECRET))).await;
    assert_eq!(reply.status, StatusCode::OK);
    // Not JSON, correctly signed: 400.
    let reply =
        app.stripe("not json", Some(&stripe_signature("not json", app.clock.now().timestamp(), STRIPE_SECRET))).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn invoices_are_previewed_as_drafts_and_listed() {
    let app = TestApp::new().await;
    start_call(&app, "CA-inv-1").await;
    finish_call(&app, "CA-inv-1", "125").await;
    let preview = app.admin(Method::GET, "/admin/tenants/fresh-cuts/invoices/preview", None).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert_eq!(preview.body["status"], "draft");
    assert_eq!(preview.body["period"], "2026-11");
    let lines = preview.body["lines"].as_array().cloned().unwrap_or_default();
    assert!(!lines.is_empty(), "{}", preview.body);
    let sum: i64 = lines.iter().filter_map(|l| l["amount"].as_i64()).sum();
    assert_eq!(preview.body["total"].as_i64(), Some(sum), "the total is the sum of the lines");
    let listed = app.admin(Method::GET, "/admin/tenants/fresh-cuts/invoices", None).await;
    assert_eq!(listed.body["invoices"][0]["period"], "2026-11");
    // The running month cannot be finalized yet.
    let early = app.admin(Method::POST, "/admin/tenants/fresh-cuts/invoices/2026-11/finalize", None).await;
    assert_eq!(early.status, StatusCode::CONFLICT);
    app.clock.advance(Duration::days(10));
    let finalized = app.admin(Method::POST, "/admin/tenants/fresh-cuts/invoices/2026-11/finalize", None).await;
    assert_eq!(finalized.status, StatusCode::OK, "{}", finalized.body);
    assert_eq!(finalized.body["status"], "finalized");
    assert_eq!(finalized.body["total"], preview.body["total"]);
    // A finalized invoice no longer changes.
    let again = app.admin(Method::GET, "/admin/tenants/fresh-cuts/invoices/preview?period=2026-11", None).await;
    assert_eq!(again.body["status"], "finalized");
}

#[tokio::test]
async fn admin_changes_are_audited_with_who_what_and_no_secrets() {
    let app = TestApp::new().await;
    let mut shop = shop_json("audited-shop", &["+442071838750"]);
    shop["twilio_auth_token"] = json!("super-secret-tenant-token");
    let created = app.admin(Method::PUT, "/admin/tenants/audited-shop", Some(&shop)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    app.admin(Method::PUT, "/admin/tenants/audited-shop/plan", Some(&json!({"plan": "core"}))).await;
    app.admin(Method::PUT, "/admin/tenants/audited-shop/flags/enable_sms", Some(&json!({"enabled": false}))).await;
    app.admin(Method::PUT, "/admin/tenants/audited-shop/cap", Some(&json!({"minutes": 50}))).await;
    app.admin(Method::GET, "/admin/tenants/audited-shop/flags", None).await; // a read: not audited

    let log = app.admin(Method::GET, "/admin/audit?tenant=audited-shop", None).await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.body);
    let entries = log.body["entries"].as_array().cloned().unwrap_or_default();
    let actions: Vec<&str> = entries.iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions, ["tenant.put", "plan.set", "flag.set", "cap.set"], "{}", log.body);
    assert!(entries.iter().all(|e| e["actor"] == "tester (admin)"), "{}", log.body);
    assert_eq!(entries[1]["before"], json!({"plan": "starter"}));
    assert_eq!(entries[1]["after"], json!({"plan": "core"}));
    assert_eq!(entries[2]["target"], "enable_sms");
    assert_eq!(entries[2]["after"], json!({"override": false}));
    assert!(!log.body.to_string().contains("super-secret-tenant-token"), "no secrets in the audit log");

    // A change made with the shop's own token says so.
    let shop_token = app.token("tenant:audited-shop");
    let mut profile = created.body["profile"].clone();
    profile["greeting"] = json!("Hello from the shop itself");
    let changed = app.call(Method::PUT, "/admin/tenants/audited-shop", Some(&shop_token), Some(&profile)).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    let latest =
        app.admin(Method::GET, "/admin/audit?tenant=audited-shop&order=newest&limit=1&from=2026-11-24", None).await;
    assert_eq!(latest.body["entries"][0]["actor"], "tester (tenant:audited-shop)", "{}", latest.body);
    assert_eq!(latest.body["entries"][0]["action"], "tenant.put");

    // Time filters: `to` is exclusive.
    let before_any = app.admin(Method::GET, "/admin/audit?tenant=audited-shop&to=2026-11-24T15:00:00Z", None).await;
    assert_eq!(before_any.body["entries"].as_array().map(Vec::len), Some(0));
    let bad = app.admin(Method::GET, "/admin/audit?from=yesterday", None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    // Another shop's token cannot read this shop's audit log, nor the whole log.
    let other = app.token("tenant:fresh-cuts");
    let denied = app.call(Method::GET, "/admin/audit?tenant=audited-shop", Some(&other), None).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let denied = app.call(Method::GET, "/admin/audit", Some(&other), None).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn large_stripe_events_fit_through_the_webhook() {
    let app = TestApp::new().await;
    // An invoice with many lines is bigger than an admin request may be.
    let lines: Vec<Value> = (0..3000).map(|i| json!({"id": format!("il_{i:05}"), "amount": 100})).collect();
    let body =
        stripe_event("evt_big", "invoice.paid", json!({"id": "in_big", "object": "invoice", "lines": {"data": lines}}));
    assert!(body.len() > 64 * 1024, "{} bytes", body.len());
    let reply = app.stripe(&body, Some(&stripe_signature(&body, app.clock.now().timestamp(), STRIPE_SECRET))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

#[tokio::test]
async fn replies_to_texts_are_metered_once_and_switched_off_by_enable_sms() {
    let app = TestApp::new().await;
    let text =
        [("MessageSid", "SM-in-1"), ("From", "+15555551234"), ("To", SHOP_NUMBER), ("Body", "hi, are you open?")];
    for _ in 0..2 {
        let (status, twiml) = app.twilio("/twilio/sms", &text).await;
        assert_eq!(status, StatusCode::OK);
        assert!(twiml.contains("<Message>"), "{twiml}");
    }
    assert_eq!(usage(&app).await["usage"]["sms_segments"], 1, "Twilio's retry of one text is one reply");

    app.admin(Method::PUT, "/admin/tenants/fresh-cuts/flags/enable_sms", Some(&json!({"enabled": false}))).await;
    let (_, twiml) = app
        .twilio(
            "/twilio/sms",
            &[("MessageSid", "SM-in-2"), ("From", "+15555551234"), ("To", SHOP_NUMBER), ("Body", "hello")],
        )
        .await;
    assert!(!twiml.contains("<Message>"), "no reply with texts off: {twiml}");
    assert_eq!(usage(&app).await["usage"]["sms_segments"], 1);
}

#[tokio::test]
async fn calls_forwarded_while_answering_is_suspended_cost_us_but_are_never_billed_to_the_shop() {
    let app = TestApp::new().await;
    // A cap of 5 minutes, used up by an answered call: the next is forwarded.
    let capped = app.admin(Method::PUT, "/admin/tenants/fresh-cuts/cap", Some(&json!({"minutes": 5}))).await;
    assert_eq!(capped.status, StatusCode::OK, "{}", capped.body);
    start_call(&app, "CA-fw-answered").await;
    finish_call(&app, "CA-fw-answered", "300").await;
    let forwarded = start_call(&app, "CA-fw-capped").await;
    assert!(forwarded.contains(&format!("<Number>{OWNER}</Number>")), "forwarded to the owner: {forwarded}");
    finish_call(&app, "CA-fw-capped", "125").await;
    finish_call(&app, "CA-fw-capped", "125").await; // Twilio's retry counts once
    let body = usage(&app).await;
    assert_eq!(body["usage"]["call_minutes"], 5, "the shop's minutes stay where they were: {body}");
    assert_eq!(body["usage"]["forwarded_minutes"], 3, "{body}");
    assert_eq!(body["cap"]["used"], 5, "the cap does not move: {body}");
    let by_kind = &body["usage"]["estimated_cost_micros_by_kind"];
    assert_eq!(by_kind["call_minutes"], 5 * 8_500, "{body}");
    assert_eq!(by_kind["forwarded_minutes"], 3 * 8_500, "what the forwarded call cost us: {body}");
    let cost = body["usage"]["estimated_cost_micros"].as_i64().unwrap_or_default();
    assert!(cost >= 8 * 8_500, "the period's cost includes the forwarded minutes: {body}");

    // Suspended by the operator (a cap of 0): a forwarded call three days
    // long, far past the plan's included minutes, bills nothing.
    let suspended = app.admin(Method::POST, "/admin/tenants/fresh-cuts/suspend", None).await;
    assert_eq!(suspended.status, StatusCode::OK, "{}", suspended.body);
    let forwarded = start_call(&app, "CA-fw-suspended").await;
    assert!(forwarded.contains(&format!("<Number>{OWNER}</Number>")), "{forwarded}");
    finish_call(&app, "CA-fw-suspended", "259200").await;
    let body = usage(&app).await;
    assert_eq!(body["usage"]["call_minutes"], 5, "{body}");
    assert_eq!(body["usage"]["forwarded_minutes"], 3 + 4_320, "{body}");
    let preview = app.admin(Method::GET, "/admin/tenants/fresh-cuts/invoices/preview", None).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    let lines = preview.body["lines"].as_array().cloned().unwrap_or_default();
    assert!(!lines.is_empty(), "{}", preview.body);
    assert!(
        lines.iter().all(|line| !line["description"].as_str().unwrap_or_default().contains("Call minutes")),
        "no overage for minutes the receptionist never answered: {}",
        preview.body
    );
}
