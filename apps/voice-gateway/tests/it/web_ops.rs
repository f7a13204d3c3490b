//! The operator's pages in process: signing in with e-mail and password,
//! the overview's MRR from the plans set through the admin API, suspending a
//! shop (its next call goes to the owner) and resuming it, live calls with
//! masked callers, the audit log's filters; signed-out browsers, owner
//! sessions and cross-site posts kept out.

use axum::http::{Method, StatusCode, header};
use chrono::Duration;
use serde_json::json;

use crate::support::{TestApp, browse, browse_from};

const OPERATOR: &str = "ops@frontdesk.example";
const PASSWORD: &str = "correct horse battery staple";
const FRESH_CUTS_NUMBER: &str = "+15555550100";
const FRESH_CUTS_OWNER: &str = "+15555550199";

/// Every page an operator session opens.
const PAGES: [&str; 4] = ["/ops", "/ops/shops", "/ops/calls", "/ops/audit"];

async fn add_operator(app: &TestApp) {
    let added =
        app.admin(Method::POST, "/admin/operators", Some(&json!({"email": OPERATOR, "password": PASSWORD}))).await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
}

pub(crate) async fn operator_cookie(app: &TestApp) -> String {
    add_operator(app).await;
    let signed =
        browse(app, Method::POST, "/ops/login", &[("email", "Ops@Frontdesk.example"), ("password", PASSWORD)], None)
            .await;
    assert_eq!((signed.status, signed.location()), (StatusCode::SEE_OTHER, "/ops"), "{}", signed.html);
    signed.cookie().unwrap_or_else(|| panic!("no session cookie"))
}

async fn set_plan(app: &TestApp, slug: &str, plan: &str) {
    let reply = app.admin(Method::PUT, &format!("/admin/tenants/{slug}/plan"), Some(&json!({"plan": plan}))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

async fn call_fresh_cuts(app: &TestApp, call_sid: &str) -> String {
    let (status, twiml) = app
        .twilio("/twilio/voice", &[("CallSid", call_sid), ("From", "+15555551234"), ("To", FRESH_CUTS_NUMBER)])
        .await;
    assert_eq!(status, StatusCode::OK, "{twiml}");
    twiml
}

/// The text of the figure card labelled `label` on the overview.
fn figure<'a>(html: &'a str, label: &str) -> &'a str {
    let at = html.find(&format!("<div class=\"note\">{label}</div>")).unwrap_or_else(|| panic!("no {label} in {html}"));
    let rest = &html[at..];
    &rest[..rest.find("</details>").unwrap_or(rest.len())]
}

#[tokio::test]
async fn an_operator_signs_in_sees_the_mrr_of_the_plans_and_suspends_a_shop_whose_next_call_goes_to_the_owner() {
    let app = TestApp::new().await;
    app.clock.advance(Duration::hours(1));
    set_plan(&app, "fresh-cuts", "core").await;
    set_plan(&app, "bright-smile", "enterprise").await;
    let cookie = operator_cookie(&app).await;
    assert!(cookie.starts_with("__Host-fd_session="), "{cookie}");

    let overview = browse(&app, Method::GET, "/ops", &[], Some(&cookie)).await;
    assert_eq!(overview.status, StatusCode::OK, "{}", overview.html);
    let csp = overview.headers.get(header::CONTENT_SECURITY_POLICY).and_then(|v| v.to_str().ok()).unwrap_or("");
    assert!(csp.contains("default-src 'none'"), "{csp}");
    // Core ($149) and Enterprise ($900).
    let mrr = figure(&overview.html, "MRR");
    assert!(mrr.contains("1049.00 USD") && mrr.contains("Formula"), "{mrr}");
    assert!(figure(&overview.html, "Active shops").contains(">2<"), "{}", figure(&overview.html, "Active shops"));
    assert!(figure(&overview.html, "ARPA").contains("524.50 USD"));
    // Both shops came on Pro ($399 each) this month and moved: one down, one up.
    assert!(overview.html.contains("<td>Contraction</td><td>-250.00 USD</td><td>1</td>"), "{}", overview.html);
    assert!(overview.html.contains("<td>Expansion</td><td>+501.00 USD</td><td>1</td>"), "{}", overview.html);
    assert!(figure(&overview.html, "Net new MRR").contains("+1049.00 USD"));
    assert!(overview.html.contains("<svg") && overview.html.contains("<table>"), "charts with their tables");
    assert!(overview.html.contains("rate card"), "partial costs are said: {}", overview.html);
    for period in ["today", "7d", "30d", "month"] {
        let other = browse(&app, Method::GET, &format!("/ops?period={period}"), &[], Some(&cookie)).await;
        assert_eq!(other.status, StatusCode::OK, "{period}: {}", other.html);
    }
    let unknown = browse(&app, Method::GET, "/ops?period=decade", &[], Some(&cookie)).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(unknown.html.contains("The period must be"), "{}", unknown.html);

    let shops = browse(&app, Method::GET, "/ops/shops", &[], Some(&cookie)).await;
    assert_eq!(shops.status, StatusCode::OK, "{}", shops.html);
    assert!(shops.html.contains("Fresh Cuts Barbershop") && shops.html.contains("149.00 USD"), "{}", shops.html);
    assert!(shops.html.contains("action=\"/ops/shops/fresh-cuts/suspend\""), "{}", shops.html);
    let answered = call_fresh_cuts(&app, "CA-ops-before").await;
    assert!(answered.contains("<Gather"), "answered by the receptionist first: {answered}");

    let suspended = browse(&app, Method::POST, "/ops/shops/fresh-cuts/suspend", &[], Some(&cookie)).await;
    assert_eq!((suspended.status, suspended.location()), (StatusCode::SEE_OTHER, "/ops/shops"), "{}", suspended.html);
    let forwarded = call_fresh_cuts(&app, "CA-ops-suspended").await;
    assert!(
        forwarded.contains("<Dial") && forwarded.contains(&format!("<Number>{FRESH_CUTS_OWNER}</Number>")),
        "{forwarded}"
    );
    assert!(!forwarded.contains("<Gather"), "{forwarded}");
    let shops = browse(&app, Method::GET, "/ops/shops", &[], Some(&cookie)).await;
    assert!(shops.html.contains("Suspended: calls go to the owner"), "{}", shops.html);
    assert!(shops.html.contains("action=\"/ops/shops/fresh-cuts/resume\""), "{}", shops.html);
    let overview = browse(&app, Method::GET, "/ops", &[], Some(&cookie)).await;
    assert!(figure(&overview.html, "MRR").contains("900.00 USD"), "a suspended shop leaves MRR");
    assert!(overview.html.contains("<td>Churn</td><td>-149.00 USD</td><td>1</td>"), "{}", overview.html);

    let log = app.admin(Method::GET, "/admin/audit?tenant=fresh-cuts&order=newest&limit=1", None).await;
    let entry = &log.body["entries"][0];
    assert_eq!(entry["action"], "shop.suspend", "{}", log.body);
    assert_eq!(entry["actor"], format!("{OPERATOR} (operator page)"));
    assert_eq!((entry["before"]["minutes"].clone(), entry["after"]["minutes"].clone()), (json!(null), json!(0)));

    let resumed = browse(&app, Method::POST, "/ops/shops/fresh-cuts/resume", &[], Some(&cookie)).await;
    assert_eq!((resumed.status, resumed.location()), (StatusCode::SEE_OTHER, "/ops/shops"));
    let answered = call_fresh_cuts(&app, "CA-ops-resumed").await;
    assert!(answered.contains("<Gather"), "answered again: {answered}");
    let usage = app.admin(Method::GET, "/admin/tenants/fresh-cuts/usage", None).await;
    assert_eq!(usage.body["cap"]["minutes"], 500, "the plan's minutes are back: {}", usage.body);
    let overview = browse(&app, Method::GET, "/ops", &[], Some(&cookie)).await;
    assert!(figure(&overview.html, "MRR").contains("1049.00 USD"));
    assert!(overview.html.contains("<td>Reactivation</td><td>+149.00 USD</td><td>1</td>"), "{}", overview.html);
    // The calls end: the one answered (61 s: 2 minutes) and the one
    // forwarded to the owner (125 s: 3 minutes). Both cost us their
    // minutes; only the answered one's are the shop's minutes.
    for (sid, seconds) in [("CA-ops-before", "61"), ("CA-ops-suspended", "125")] {
        let done = [
            ("CallSid", sid),
            ("To", FRESH_CUTS_NUMBER),
            ("CallStatus", "completed"),
            ("CallDuration", seconds),
            ("SequenceNumber", "3"),
        ];
        let (status, body) = app.twilio("/twilio/status", &done).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    }
    let usage = app.admin(Method::GET, "/admin/tenants/fresh-cuts/usage", None).await;
    assert_eq!(usage.body["usage"]["forwarded_minutes"], 3, "{}", usage.body);
    let overview = browse(&app, Method::GET, "/ops?period=today", &[], Some(&cookie)).await;
    let minutes = figure(&overview.html, "Minutes per shop");
    assert!(minutes.contains("2 minutes in all"), "not the forwarded call's: {minutes}");
    // (2 + 3) minutes at $0.0085 over 2 calls.
    let cost = figure(&overview.html, "Cost per call (mean)");
    assert!(cost.contains("$0.0212") || cost.contains("$0.0213"), "the forwarded call is costed once: {cost}");

    let audit = browse(&app, Method::GET, "/ops/audit?tenant=fresh-cuts", &[], Some(&cookie)).await;
    assert_eq!(audit.status, StatusCode::OK, "{}", audit.html);
    let resume_at = audit.html.find("shop.resume").unwrap_or_else(|| panic!("{}", audit.html));
    let suspend_at = audit.html.find("shop.suspend").unwrap_or_else(|| panic!("{}", audit.html));
    assert!(resume_at < suspend_at, "newest first");
    assert!(!audit.html.contains("<td>bright-smile</td>"), "filtered by shop");
}

#[tokio::test]
async fn a_wrong_password_or_unknown_email_is_refused_alike_and_signing_out_ends_the_session() {
    let app = TestApp::new().await;
    add_operator(&app).await;
    let form = browse(&app, Method::GET, "/ops/login", &[], None).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.html.contains("type=\"password\""), "{}", form.html);
    let wrong =
        browse(&app, Method::POST, "/ops/login", &[("email", OPERATOR), ("password", "not the password")], None).await;
    let unknown =
        browse(&app, Method::POST, "/ops/login", &[("email", "who@frontdesk.example"), ("password", PASSWORD)], None)
            .await;
    for refused in [&wrong, &unknown] {
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.html);
        assert!(refused.html.contains("do not match an operator"), "{}", refused.html);
        assert!(refused.cookie().is_none());
    }

    let signed = browse(&app, Method::POST, "/ops/login", &[("email", OPERATOR), ("password", PASSWORD)], None).await;
    let cookie = signed.cookie().unwrap_or_else(|| panic!("no cookie"));
    let other = browse(&app, Method::POST, "/ops/login", &[("email", OPERATOR), ("password", PASSWORD)], None).await;
    let other = other.cookie().unwrap_or_else(|| panic!("no cookie"));
    let out = browse(&app, Method::POST, "/ops/logout", &[], Some(&cookie)).await;
    assert_eq!((out.status, out.location()), (StatusCode::SEE_OTHER, "/ops/login"));
    assert_eq!(browse(&app, Method::GET, "/ops", &[], Some(&cookie)).await.location(), "/ops/login");
    assert_eq!(browse(&app, Method::GET, "/ops", &[], Some(&other)).await.status, StatusCode::OK);
    let everywhere = browse(&app, Method::POST, "/ops/logout-everywhere", &[], Some(&other)).await;
    assert_eq!(everywhere.location(), "/ops/login");
    assert_eq!(browse(&app, Method::GET, "/ops", &[], Some(&other)).await.location(), "/ops/login");
}

#[tokio::test]
async fn signed_out_browsers_and_owner_sessions_are_sent_to_the_operator_sign_in_and_cross_site_posts_are_forbidden() {
    let app = TestApp::new().await;
    let operator = operator_cookie(&app).await;
    let link = app.admin(Method::POST, "/admin/tenants/fresh-cuts/owner-login-link", None).await;
    let url = link.body["link"].as_str().unwrap_or_default().to_owned();
    let token = &url[url.find("token=").unwrap_or_else(|| panic!("{url}")) + "token=".len()..];
    let owner = browse(&app, Method::POST, "/app/login/link", &[("token", token)], None).await;
    assert_eq!(owner.location(), "/app");
    let owner = owner.cookie().unwrap_or_else(|| panic!("no owner cookie"));

    for path in PAGES {
        let signed_out = browse(&app, Method::GET, path, &[], None).await;
        assert_eq!((signed_out.status, signed_out.location()), (StatusCode::SEE_OTHER, "/ops/login"), "{path}");
        let as_owner = browse(&app, Method::GET, path, &[], Some(&owner)).await;
        assert_eq!((as_owner.status, as_owner.location()), (StatusCode::SEE_OTHER, "/ops/login"), "{path}");
    }
    for path in ["/ops/shops/fresh-cuts/suspend", "/ops/shops/fresh-cuts/resume", "/ops/logout-everywhere"] {
        let as_owner = browse(&app, Method::POST, path, &[], Some(&owner)).await;
        assert_eq!(as_owner.location(), "/ops/login", "{path}");
    }
    // The owner's own pages still open for them: only /ops refused them.
    assert_eq!(browse(&app, Method::GET, "/app", &[], Some(&owner)).await.status, StatusCode::OK);

    let forged =
        browse_from(&app, Method::POST, "/ops/shops/fresh-cuts/suspend", &[], Some(&operator), "cross-site").await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "a cross-site form post");
    let forged_login = browse_from(
        &app,
        Method::POST,
        "/ops/login",
        &[("email", OPERATOR), ("password", PASSWORD)],
        None,
        "cross-site",
    )
    .await;
    assert_eq!(forged_login.status, StatusCode::FORBIDDEN);
    let answered = call_fresh_cuts(&app, "CA-ops-not-suspended").await;
    assert!(answered.contains("<Gather"), "nothing was suspended: {answered}");
    let usage = app.admin(Method::GET, "/admin/tenants/fresh-cuts/usage", None).await;
    assert_eq!(usage.body["answering"], "ai");
}

#[tokio::test]
async fn live_calls_show_the_shop_and_the_callers_last_four_digits_only() {
    let app = TestApp::new().await;
    let cookie = operator_cookie(&app).await;
    let empty = browse(&app, Method::GET, "/ops/calls", &[], Some(&cookie)).await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.html);
    assert!(empty.html.contains("<meta http-equiv=\"refresh\" content=\"5\">"), "{}", empty.html);
    assert!(empty.html.contains("No calls in progress"));

    call_fresh_cuts(&app, "CA-ops-live").await;
    app.clock.advance(Duration::seconds(75));
    let live = browse(&app, Method::GET, "/ops/calls", &[], Some(&cookie)).await;
    assert!(live.html.contains("Fresh Cuts Barbershop"), "{}", live.html);
    assert!(live.html.contains("••• 1234"), "{}", live.html);
    assert!(!live.html.contains("5551234"), "never the whole number: {}", live.html);
    assert!(live.html.contains("<td>1:15</td>"), "{}", live.html);
    assert!(live.html.contains("Listening"), "{}", live.html);

    let done = [
        ("CallSid", "CA-ops-live"),
        ("To", FRESH_CUTS_NUMBER),
        ("CallStatus", "completed"),
        ("CallDuration", "75"),
        ("SequenceNumber", "3"),
    ];
    let (status, body) = app.twilio("/twilio/status", &done).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let after = browse(&app, Method::GET, "/ops/calls", &[], Some(&cookie)).await;
    assert!(after.html.contains("No calls in progress"), "{}", after.html);
    // The finished call counts in the overview: 2 minutes at the rate
    // card's $0.0085 a voice minute, no model use.
    let overview = browse(&app, Method::GET, "/ops?period=today", &[], Some(&cookie)).await;
    assert!(figure(&overview.html, "Minutes per shop").contains("2 minutes in all"), "{}", overview.html);
    assert!(figure(&overview.html, "Cost per call (mean)").contains("$0.0170"), "{}", overview.html);
    // An outbound leg placed for it (a transfer's owner leg of 61 s: 2
    // minutes at the card's $0.014) is part of what the call cost, not of
    // the shop's minutes; a repeated webhook counts once.
    let leg = [
        ("CallSid", "CA-ops-live"),
        ("To", FRESH_CUTS_NUMBER),
        ("DialCallSid", "CA-ops-owner-leg"),
        ("DialCallStatus", "completed"),
        ("DialCallDuration", "61"),
    ];
    app.twilio("/twilio/dial-done", &leg).await;
    app.twilio("/twilio/dial-done", &leg).await;
    let overview = browse(&app, Method::GET, "/ops?period=today", &[], Some(&cookie)).await;
    assert!(figure(&overview.html, "Minutes per shop").contains("2 minutes in all"), "{}", overview.html);
    assert!(figure(&overview.html, "Cost per call (mean)").contains("$0.0450"), "{}", overview.html);
}

#[tokio::test]
async fn the_audit_log_filters_by_day_and_pages_by_limit() {
    let app = TestApp::new().await;
    let cookie = operator_cookie(&app).await;
    for plan in ["core", "pro", "core"] {
        app.clock.advance(Duration::minutes(1));
        set_plan(&app, "bright-smile", plan).await;
    }
    let page = browse(&app, Method::GET, "/ops/audit?tenant=bright-smile&limit=2", &[], Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert_eq!(page.html.matches("<td>plan.set</td>").count(), 2, "{}", page.html);
    assert!(page.html.contains("Show more") && page.html.contains("Older entries"), "{}", page.html);
    let older_at = page.html.find("/ops/audit?tenant=bright-smile&#38;limit=2&#38;before=");
    let older = &page.html[older_at.unwrap_or_else(|| panic!("{}", page.html))..];
    let older = older[..older.find('"').unwrap_or(older.len())].replace("&#38;", "&");
    let rest = browse(&app, Method::GET, &older, &[], Some(&cookie)).await;
    assert_eq!(rest.html.matches("<td>plan.set</td>").count(), 1, "the oldest one: {}", rest.html);

    let none = browse(&app, Method::GET, "/ops/audit?from=2026-11-25", &[], Some(&cookie)).await;
    assert!(none.html.contains("No entries"), "{}", none.html);
    let day = browse(&app, Method::GET, "/ops/audit?from=2026-11-24&to=2026-11-24", &[], Some(&cookie)).await;
    assert!(day.html.contains("operator.put"), "{}", day.html);
    let bad = browse(&app, Method::GET, "/ops/audit?from=yesterday&limit=0", &[], Some(&cookie)).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.html.contains("is not a date") && bad.html.contains("from 1 to 1000"), "{}", bad.html);
}

#[tokio::test]
async fn revenue_for_the_margins_is_counted_day_by_day_from_the_first_billed_day() {
    let app = TestApp::new().await;
    let cookie = operator_cookie(&app).await;
    app.clock.advance(Duration::hours(1));
    set_plan(&app, "fresh-cuts", "core").await;
    let shops = browse(&app, Method::GET, "/ops/shops", &[], Some(&cookie)).await;
    let row = |html: &str| {
        let at = html.find("id=\"shop-fresh-cuts\"").unwrap_or_else(|| panic!("{html}"));
        html[at..at + html[at..].find("</tr>").unwrap_or(0)].to_owned()
    };
    assert!(row(&shops.html).contains("0.00 USD revenue"), "its first day is not billed: {}", row(&shops.html));
    // Core bills November's last 6 days in New York ($29.80); by Friday
    // 05:00 UTC (midnight there) two of them have passed.
    let friday = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 27, 5, 0, 0);
    app.clock.set(friday.single().unwrap_or_default());
    // (The earlier session has been idle too long by then.)
    let signed = browse(&app, Method::POST, "/ops/login", &[("email", OPERATOR), ("password", PASSWORD)], None).await;
    let cookie = signed.cookie().unwrap_or_else(|| panic!("{}", signed.html));
    let shops = browse(&app, Method::GET, "/ops/shops", &[], Some(&cookie)).await;
    // Its one number's rent for November 1 to 27 at the rate card's $1.15 a
    // month: 27/30 of it.
    assert!(row(&shops.html).contains("9.93 USD revenue, $1.0350 cost"), "{}", row(&shops.html));
    assert!(row(&shops.html).contains("89.6 %"), "{}", row(&shops.html));
}

#[tokio::test]
async fn texts_the_shop_sent_count_in_its_margin_at_the_rate_cards_sms_rate() {
    let app = TestApp::new().await;
    app.clock.advance(Duration::hours(1));
    set_plan(&app, "fresh-cuts", "core").await;
    let friday = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 27, 5, 0, 0).single().unwrap_or_default();
    app.clock.set(friday);
    let shop = frontdesk_core::TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}"));
    let metering = &app.billing.metering;
    // One segment, then two (161 GSM-7 characters), at the default $0.0083 a segment;
    // and one of October, outside the month.
    let texts = [("job-1", "Fresh Cuts: you're booked".to_owned(), friday), ("job-2", "a".repeat(161), friday)];
    for (key, body, at) in texts {
        assert!(matches!(metering.record_sms(&shop, key, &body, at).await, Ok(true)), "{key}");
    }
    let october = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 10, 20, 15, 0, 0).single().unwrap_or_default();
    assert!(matches!(metering.record_sms(&shop, "job-0", "earlier", october).await, Ok(true)));

    let cookie = operator_cookie(&app).await;
    let shops = browse(&app, Method::GET, "/ops/shops", &[], Some(&cookie)).await;
    let at = shops.html.find("id=\"shop-fresh-cuts\"").unwrap_or_else(|| panic!("{}", shops.html));
    let row = &shops.html[at..at + shops.html[at..].find("</tr>").unwrap_or(0)];
    // The number's rent ($1.0350, as without texts) and 3 segments ($0.0249).
    assert!(row.contains("9.93 USD revenue, $1.0599 cost"), "{row}");
    assert!(row.contains("89.3 %"), "{row}");
    let overview = browse(&app, Method::GET, "/ops?period=month", &[], Some(&cookie)).await;
    assert_eq!(overview.status, StatusCode::OK, "{}", overview.html);
    assert!(overview.html.contains("every text the shops sent (3 SMS segments this period)"), "{}", overview.html);
    assert!(overview.html.contains("Texts count in the margins but not per call"), "{}", overview.html);
    assert!(!overview.html.contains("transfer legs and payment fees are not counted"), "the stale note is gone");
}

#[tokio::test]
async fn the_alerts_page_lists_failing_texts_and_dead_jobs_and_says_when_nothing_needs_a_look() {
    use frontdesk_core::Clock;
    use frontdesk_messaging::{MessageLog, MessageRecord};
    let app = TestApp::new().await;
    let cookie = operator_cookie(&app).await;
    let calm = browse(&app, Method::GET, "/ops/alerts", &[], Some(&cookie)).await;
    assert_eq!(calm.status, StatusCode::OK, "{}", calm.html);
    assert!(calm.html.contains("Nothing needs a look."), "{}", calm.html);

    let now = app.clock.now();
    let phone = |raw: &str| frontdesk_core::E164::parse(raw).unwrap_or_else(|e| panic!("{e}"));
    for (n, status) in ["sent", "failed"].iter().enumerate() {
        let text = MessageRecord {
            id: format!("text-{n}"),
            tenant: frontdesk_core::TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}")),
            to: phone("+15555557777"),
            from: phone("+15555550100"),
            body: "Your haircut is booked".to_owned(),
            status: (*status).to_owned(),
            provider_id: None,
            booking_id: None,
            error: (*status == "failed").then(|| "unregistered number (30034)".to_owned()),
            created_at: now,
            updated_at: now,
        };
        app.store.upsert_message(&text).await.unwrap_or_else(|e| panic!("{e}"));
    }
    let alerts = browse(&app, Method::GET, "/ops/alerts", &[], Some(&cookie)).await;
    assert!(alerts.html.contains("Failing texts") && alerts.html.contains("1 of 2 texts"), "{}", alerts.html);
    assert!(alerts.html.contains("30034"), "the reason is shown: {}", alerts.html);
    assert!(alerts.html.contains("Fresh Cuts Barbershop"));

    // A shop owner never reaches it.
    let owner = browse(&app, Method::GET, "/ops/alerts", &[], None).await;
    assert_eq!(owner.status, StatusCode::SEE_OTHER);
}
