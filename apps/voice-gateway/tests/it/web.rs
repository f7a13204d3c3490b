//! The owners' pages in process: signing in by the texted code or link,
//! sessions in a cookie, the cross-site check, and a shop's owner seeing
//! only their own shop.

use axum::http::{Method, StatusCode, header};
use frontdesk_core::Clock;
use serde_json::json;

use crate::support::{Page, TestApp, browse, browse_from};

pub(crate) const FRESH_CUTS_OWNER: &str = "+15555550199";

/// The last sign-in text the shop's owner was sent (the embedded outbox
/// keeps it whole).
async fn last_sign_in_text(app: &TestApp, slug: &str) -> Option<String> {
    let reply = app.admin(Method::GET, &format!("/admin/tenants/{slug}/messages"), None).await;
    reply.body["messages"]
        .as_array()?
        .iter()
        .filter_map(|m| m["body"].as_str())
        .find(|body| body.contains("sign in"))
        .map(str::to_owned)
}

fn code_in(text: &str) -> String {
    let at = text.find("the code ").unwrap_or_else(|| panic!("no code in {text}")) + "the code ".len();
    text[at..at + 6].to_owned()
}

fn link_token_in(text: &str) -> String {
    let at = text.find("token=").unwrap_or_else(|| panic!("no link in {text}")) + "token=".len();
    text[at..at + 64].to_owned()
}

pub(crate) async fn sign_in_by_code(app: &TestApp, phone: &str, slug: &str) -> String {
    let sent = browse(app, Method::POST, "/app/login", &[("phone", phone)], None).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.html);
    let text = last_sign_in_text(app, slug).await.unwrap_or_else(|| panic!("no sign-in text for {slug}"));
    let signed =
        browse(app, Method::POST, "/app/login/code", &[("phone", phone), ("code", &code_in(&text))], None).await;
    assert_eq!((signed.status, signed.location()), (StatusCode::SEE_OTHER, "/app"), "{}", signed.html);
    signed.cookie().unwrap_or_else(|| panic!("no session cookie"))
}

/// The demo gateway, its pages served as from `public_base_url`.
async fn app_served_from(public_base_url: &str) -> TestApp {
    let mut app = TestApp::new().await;
    let bookings = crate::support::booking_service(&app.store, &app.clock);
    let (mut state, billing) =
        crate::support::gateway_state(app.store.clone(), app.clock.clone(), bookings, None).await;
    state.web.public_base_url = public_base_url.to_owned();
    let limits =
        voice_gateway::HttpLimits { request_timeout: std::time::Duration::from_secs(10), body_limit_bytes: 64 * 1024 };
    app.router = voice_gateway::router(state, limits);
    app.billing = billing;
    app
}

#[tokio::test]
async fn the_session_cookie_is_secure_everywhere_but_plain_http_on_the_local_machine() {
    // (public URL, cookie name, Secure)
    let cases = [
        ("https://frontdesk.example.com", "__Host-fd_session", true),
        ("http://frontdesk.example.com", "__Host-fd_session", true),
        ("http://10.0.0.5:8080", "__Host-fd_session", true),
        ("http://localhost.example.com", "__Host-fd_session", true),
        ("https://localhost:8443", "__Host-fd_session", true),
        ("http://localhost:8080", "fd_session", false),
        ("http://LOCALHOST", "fd_session", false),
        ("http://127.0.0.1:3000", "fd_session", false),
        ("http://[::1]:3000", "fd_session", false),
    ];
    for (base_url, name, secure) in cases {
        let app = app_served_from(base_url).await;
        let sent = browse(&app, Method::POST, "/app/login", &[("phone", FRESH_CUTS_OWNER)], None).await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER, "{base_url}: {}", sent.html);
        let text = last_sign_in_text(&app, "fresh-cuts").await.unwrap_or_else(|| panic!("{base_url}: no text"));
        let form = [("phone", FRESH_CUTS_OWNER), ("code", &code_in(&text))];
        let signed = browse(&app, Method::POST, "/app/login/code", &form, None).await;
        assert_eq!(signed.status, StatusCode::SEE_OTHER, "{base_url}: {}", signed.html);
        let set = signed.headers.get(header::SET_COOKIE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        assert!(set.starts_with(&format!("{name}=")), "{base_url}: {set}");
        let attributes: Vec<&str> = set.split(';').map(str::trim).collect();
        assert_eq!(attributes.contains(&"Secure"), secure, "{base_url}: {set}");
        assert!(attributes.contains(&"HttpOnly") && attributes.contains(&"Path=/"), "{base_url}: {set}");
        // A __Host- cookie is always Secure, on path / and without a domain.
        if set.starts_with("__Host-") {
            assert!(secure && !set.contains("Domain="), "{base_url}: {set}");
        }
        // The cookie is the session: it opens the owner's page.
        let cookie = signed.cookie().unwrap_or_default();
        let today = browse(&app, Method::GET, "/app", &[], Some(&cookie)).await;
        assert_eq!(today.status, StatusCode::OK, "{base_url}");
        // The other name is not read.
        let other = if secure { "fd_session" } else { "__Host-fd_session" };
        let value = cookie.split_once('=').map_or("", |(_, value)| value);
        let wrong = browse(&app, Method::GET, "/app", &[], Some(&format!("{other}={value}"))).await;
        assert_eq!((wrong.status, wrong.location()), (StatusCode::SEE_OTHER, "/app/login"), "{base_url}");
    }
}

#[tokio::test]
async fn an_owner_signs_in_with_the_texted_code_and_sees_only_their_own_shop_today() {
    let app = TestApp::new().await;
    // One appointment today at each demo shop.
    let today = app.clock.now().with_timezone(&chrono_tz::America::New_York).date_naive();
    for (slug, service, phone) in
        [("fresh-cuts", "Haircut", "+15555551111"), ("bright-smile", "Filling", "+15555552222")]
    {
        let body = json!({"service": service, "start": format!("{today}T16:00:00-05:00"),
            "customer_name": format!("{slug} customer"), "customer_phone": phone});
        let made = app.admin(Method::POST, &format!("/admin/tenants/{slug}/bookings"), Some(&body)).await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    }

    let first = browse(&app, Method::GET, "/app", &[], None).await;
    assert_eq!(
        (first.status, first.location()),
        (StatusCode::SEE_OTHER, "/app/login"),
        "signed out: to the sign-in page"
    );
    let login = browse(&app, Method::GET, "/app/login", &[], None).await;
    assert_eq!(login.status, StatusCode::OK);
    let csp = login.headers.get(header::CONTENT_SECURITY_POLICY).and_then(|v| v.to_str().ok()).unwrap_or("");
    assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"), "{csp}");

    let cookie = sign_in_by_code(&app, FRESH_CUTS_OWNER, "fresh-cuts").await;
    assert!(cookie.starts_with("__Host-fd_session="), "https: a __Host- cookie: {cookie}");
    let today_page = browse(&app, Method::GET, "/app", &[], Some(&cookie)).await;
    assert_eq!(today_page.status, StatusCode::OK, "{}", today_page.html);
    assert!(today_page.html.contains("Fresh Cuts Barbershop") && today_page.html.contains("fresh-cuts customer"));
    assert!(!today_page.html.contains("bright-smile customer") && !today_page.html.contains("Bright Smile"));
    assert!(today_page.html.contains("4 PM"), "{}", today_page.html);

    // Signing out ends the session; the old cookie leads back to sign-in.
    let out = browse(&app, Method::POST, "/app/logout", &[], Some(&cookie)).await;
    assert_eq!((out.status, out.location()), (StatusCode::SEE_OTHER, "/app/login"));
    let after = browse(&app, Method::GET, "/app", &[], Some(&cookie)).await;
    assert_eq!(after.location(), "/app/login");
}

#[tokio::test]
async fn a_texted_link_signs_in_only_when_its_button_is_pressed_and_only_once() {
    let app = TestApp::new().await;
    browse(&app, Method::POST, "/app/login", &[("phone", FRESH_CUTS_OWNER)], None).await;
    let text = last_sign_in_text(&app, "fresh-cuts").await.unwrap_or_else(|| panic!("no text"));
    assert!(text.contains("https://frontdesk.example.com/app/login/link?token="), "{text}");
    let token = link_token_in(&text);
    // A link scanner opening the link spends nothing.
    for _ in 0..2 {
        let opened = browse(&app, Method::GET, &format!("/app/login/link?token={token}"), &[], None).await;
        assert_eq!(opened.status, StatusCode::OK);
        assert!(opened.html.contains("<button type=\"submit\">Sign in</button>"), "{}", opened.html);
        assert!(opened.cookie().is_none());
    }
    let pressed = browse(&app, Method::POST, "/app/login/link", &[("token", &token)], None).await;
    assert_eq!((pressed.status, pressed.location()), (StatusCode::SEE_OTHER, "/app"));
    assert!(pressed.cookie().is_some());
    let again = browse(&app, Method::POST, "/app/login/link", &[("token", &token)], None).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED, "single use");
    assert!(again.html.contains("used or expired"), "{}", again.html);
}

#[tokio::test]
async fn unknown_numbers_get_the_same_reply_wrong_codes_are_refused_and_cross_site_posts_are_forbidden() {
    let app = TestApp::new().await;
    let unknown = browse(&app, Method::POST, "/app/login", &[("phone", "+15555550000")], None).await;
    let known = browse(&app, Method::POST, "/app/login", &[("phone", FRESH_CUTS_OWNER)], None).await;
    assert_eq!(unknown.status, known.status, "the same reply either way");
    assert!(unknown.location().starts_with("/app/login/code?sent=1"));

    let bad = browse(&app, Method::POST, "/app/login", &[("phone", "not a phone")], None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.html.contains("doesn&#39;t look like a phone number") || bad.html.contains("doesn't look like"),
        "{}",
        bad.html
    );

    let text = last_sign_in_text(&app, "fresh-cuts").await.unwrap_or_else(|| panic!("no text"));
    let wrong = if code_in(&text) == "000000" { "111111" } else { "000000" };
    let refused =
        browse(&app, Method::POST, "/app/login/code", &[("phone", FRESH_CUTS_OWNER), ("code", wrong)], None).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(refused.cookie().is_none());

    let forged = browse_from(
        &app,
        Method::POST,
        "/app/login/code",
        &[("phone", FRESH_CUTS_OWNER), ("code", &code_in(&text))],
        None,
        "cross-site",
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "a cross-site form post");
    let still =
        browse(&app, Method::POST, "/app/login/code", &[("phone", FRESH_CUTS_OWNER), ("code", &code_in(&text))], None)
            .await;
    assert_eq!(still.status, StatusCode::SEE_OTHER, "the forged post spent nothing");
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_session_of_the_shop() {
    let app = TestApp::new().await;
    let phone = sign_in_by_code(&app, FRESH_CUTS_OWNER, "fresh-cuts").await;
    let laptop = sign_in_by_code(&app, FRESH_CUTS_OWNER, "fresh-cuts").await;
    let out = browse(&app, Method::POST, "/app/logout-everywhere", &[], Some(&laptop)).await;
    assert_eq!(out.location(), "/app/login");
    for cookie in [phone, laptop] {
        assert_eq!(browse(&app, Method::GET, "/app", &[], Some(&cookie)).await.location(), "/app/login");
    }
}

#[tokio::test]
async fn operators_are_added_and_owner_links_issued_by_the_operator_api_only() {
    let app = TestApp::new().await;
    let body = json!({"email": "Ops@Frontdesk.example", "password": "correct horse battery"});
    let added = app.admin(Method::POST, "/admin/operators", Some(&body)).await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
    assert_eq!(added.body["email"], "ops@frontdesk.example");
    let short =
        app.admin(Method::POST, "/admin/operators", Some(&json!({"email": "a@b.example", "password": "short"}))).await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST, "{}", short.body);
    assert!(short.body["error"]["message"].as_str().unwrap_or_default().contains("12 characters"), "{}", short.body);
    let shop_token = app.token("tenant:fresh-cuts");
    let refused = app.call(Method::POST, "/admin/operators", Some(&shop_token), Some(&body)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let audit = app.admin(Method::GET, "/admin/audit", None).await;
    assert!(audit.body.to_string().contains("operator.put"), "{}", audit.body);
    assert!(!audit.body.to_string().contains("horse"), "the password is never audited");

    let link = app.admin(Method::POST, "/admin/tenants/fresh-cuts/owner-login-link", None).await;
    assert_eq!(link.status, StatusCode::OK, "{}", link.body);
    let url = link.body["link"].as_str().unwrap_or_default().to_owned();
    assert!(url.starts_with("https://frontdesk.example.com/app/login/link?token="), "{url}");
    let token = link_token_in(&url);
    let signed = browse(&app, Method::POST, "/app/login/link", &[("token", &token)], None).await;
    assert_eq!((signed.status, signed.location()), (StatusCode::SEE_OTHER, "/app"));
    let missing = app.admin(Method::POST, "/admin/tenants/no-such-shop/owner-login-link", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let by_shop = app.call(Method::POST, "/admin/tenants/fresh-cuts/owner-login-link", Some(&shop_token), None).await;
    assert_eq!(by_shop.status, StatusCode::FORBIDDEN, "only an operator issues links");
}

/// A caller books a haircut by phone (the rules alone), as Twilio places it.
async fn phone_booking(app: &TestApp, sid: &str) {
    let call = [("CallSid", sid), ("From", "+15555553333"), ("To", "+15555550100")];
    app.twilio("/twilio/voice", &call).await;
    for (turn, said) in ["a haircut tomorrow at 10 am", "Dana Scully", "yes"].iter().enumerate() {
        let mut params = call.to_vec();
        params.push(("SpeechResult", said));
        let (status, twiml) = app.twilio(&format!("/twilio/gather?turn={}", turn + 1), &params).await;
        assert_eq!(status, StatusCode::OK, "{twiml}");
    }
}

#[tokio::test]
async fn the_insights_and_calls_pages_show_the_owners_own_calls_and_bookings() {
    let app = TestApp::new().await;
    phone_booking(&app, "CA00000000000000000000000000web001").await;
    let cookie = sign_in_by_code(&app, FRESH_CUTS_OWNER, "fresh-cuts").await;

    let insights = browse(&app, Method::GET, "/app/insights?period=7d", &[], Some(&cookie)).await;
    assert_eq!(insights.status, StatusCode::OK, "{}", insights.html);
    let html = &insights.html;
    for expected in
        ["Calls answered", "Booked by the receptionist", "Revenue booked", "<svg", "<table>", "How these are counted"]
    {
        assert!(html.contains(expected), "{expected} missing: {html}");
    }
    assert!(html.contains("$35.00") || html.contains("35.00 USD"), "the haircut's price booked: {html}");
    assert!(!html.contains("style=\""), "no inline styles under the CSP");

    let calls = browse(&app, Method::GET, "/app/calls", &[], Some(&cookie)).await;
    assert_eq!(calls.status, StatusCode::OK);
    assert!(calls.html.contains("+15555553333") && calls.html.contains("Booked"), "{}", calls.html);
    let call = browse(&app, Method::GET, "/app/calls/CA00000000000000000000000000web001", &[], Some(&cookie)).await;
    assert_eq!(call.status, StatusCode::OK);
    assert!(
        call.html.contains("a haircut tomorrow at 10 am") && call.html.contains("You&#39;re all set")
            || call.html.contains("You're all set"),
        "{}",
        call.html
    );

    // Another shop's owner cannot open it: the lookup is by their own shop.
    let dentist = sign_in_by_code(&app, "+15555550299", "bright-smile").await;
    let theirs = browse(&app, Method::GET, "/app/calls/CA00000000000000000000000000web001", &[], Some(&dentist)).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    let list = browse(&app, Method::GET, "/app/calls", &[], Some(&dentist)).await;
    assert!(!list.html.contains("+15555553333"), "{}", list.html);
    let insights = browse(&app, Method::GET, "/app/insights?period=7d", &[], Some(&dentist)).await;
    assert!(!insights.html.contains("Fresh Cuts"), "{}", insights.html);
}

/// The big figure of the insights card labelled `label`.
fn figure<'a>(html: &'a str, label: &str) -> &'a str {
    let card = format!("<div class=\"note\">{label}</div>");
    let at = html.find(&card).unwrap_or_else(|| panic!("no {label} in {html}")) + card.len();
    let value = &html[at..];
    let start = value.find("<div class=\"big\">").map_or(0, |start| start + "<div class=\"big\">".len());
    let end = value[start..].find("</div>").map_or(value.len(), |end| start + end);
    &value[start..end]
}

/// A caller books a haircut at `time` tomorrow by phone, then asks for a
/// person: the owner's phone rings with the whisper.
async fn books_then_asks_for_a_person(app: &TestApp, sid: &str, time: &str) -> Vec<(&'static str, String)> {
    let call =
        vec![("CallSid", sid.to_owned()), ("From", "+15555553333".to_owned()), ("To", "+15555550100".to_owned())];
    let post = |path: String, extra: Vec<(&'static str, String)>| {
        let mut params = call.clone();
        params.extend(extra);
        async move {
            let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let (status, twiml) = app.twilio(&path, &params).await;
            assert_eq!(status, StatusCode::OK, "{path}: {twiml}");
            twiml
        }
    };
    post("/twilio/voice".to_owned(), Vec::new()).await;
    let said = [format!("a haircut tomorrow at {time}"), "Dana Scully".to_owned(), "yes".to_owned()];
    for (turn, said) in said.into_iter().enumerate() {
        post(format!("/twilio/gather?turn={}", turn + 1), vec![("SpeechResult", said)]).await;
    }
    let transfer =
        post("/twilio/gather?turn=4".to_owned(), vec![("SpeechResult", "can I talk to a real person".to_owned())])
            .await;
    assert!(transfer.contains("<Number url=\"/twilio/whisper\">"), "a warm transfer: {transfer}");
    call
}

#[tokio::test]
async fn revenue_recovered_counts_a_booking_on_a_call_whose_transfer_nobody_took() {
    let app = TestApp::new().await;
    // Both calls in open hours; each books a haircut ($35), then asks for the owner.
    let missed = books_then_asks_for_a_person(&app, "CA00000000000000000000000000web101", "10 am").await;
    let taken = books_then_asks_for_a_person(&app, "CA00000000000000000000000000web102", "11 am").await;
    let leg = |call: &[(&'static str, String)], extra: &[(&'static str, &'static str)]| {
        let mut params: Vec<(&str, &str)> = call.iter().map(|(k, v)| (*k, v.as_str())).collect();
        params.extend_from_slice(extra);
        params.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect::<Vec<(String, String)>>()
    };
    // Nobody takes the first: no answer, and the caller leaves a message.
    let done = leg(&missed, &[("DialCallStatus", "no-answer"), ("DialCallSid", "CA-owner-leg-1")]);
    let done: Vec<(&str, &str)> = done.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (_, twiml) = app.twilio("/twilio/dial-done", &done).await;
    assert!(twiml.contains("<Record"), "a message: {twiml}");
    // The owner presses 1 on the second.
    let accept = [
        ("CallSid", "CA-owner-leg-2"),
        ("ParentCallSid", "CA00000000000000000000000000web102"),
        ("From", "+15555550100"),
        ("To", FRESH_CUTS_OWNER),
        ("Direction", "outbound-dial"),
        ("CallStatus", "in-progress"),
        ("Digits", "1"),
    ];
    assert_eq!(app.twilio("/twilio/whisper-accept", &accept).await.0, StatusCode::OK);
    let done = leg(&taken, &[("DialCallStatus", "completed"), ("DialCallSid", "CA-owner-leg-2")]);
    let done: Vec<(&str, &str)> = done.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    app.twilio("/twilio/dial-done", &done).await;

    let cookie = sign_in_by_code(&app, FRESH_CUTS_OWNER, "fresh-cuts").await;
    let before = browse(&app, Method::GET, "/app/insights?period=7d", &[], Some(&cookie)).await;
    assert_eq!(figure(&before.html, "Revenue booked"), "70.00 USD", "{}", before.html);
    assert_eq!(figure(&before.html, "Revenue recovered"), "0.00 USD", "not completed yet");
    assert!(before.html.contains("35.00 USD more on the books (1 bookings)"), "{}", before.html);
    assert!(before.html.contains("nobody took it"), "the page states the rule: {}", before.html);

    // Three days on, both haircuts count as completed: only the missed call's is recovered.
    app.clock.advance(chrono::Duration::days(3));
    let cookie = sign_in_by_code(&app, FRESH_CUTS_OWNER, "fresh-cuts").await;
    let after = browse(&app, Method::GET, "/app/insights?period=7d", &[], Some(&cookie)).await;
    assert_eq!(figure(&after.html, "Revenue booked"), "70.00 USD", "{}", after.html);
    assert_eq!(figure(&after.html, "Revenue recovered"), "35.00 USD", "{}", after.html);
}

#[tokio::test]
async fn an_owner_finds_moves_and_cancels_their_own_bookings_only() {
    let app = TestApp::new().await;
    phone_booking(&app, "CA00000000000000000000000000web002").await;
    let cookie = sign_in_by_code(&app, FRESH_CUTS_OWNER, "fresh-cuts").await;
    let listed = browse(&app, Method::GET, "/app/bookings?q=scully", &[], Some(&cookie)).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert!(listed.html.contains("Dana Scully"), "{}", listed.html);
    let none = browse(&app, Method::GET, "/app/bookings?q=mulder", &[], Some(&cookie)).await;
    assert!(!none.html.contains("Dana Scully"));
    let id_at = listed.html.find("/app/bookings/").unwrap_or_else(|| panic!("no action in {}", listed.html)) + 14;
    let id = listed.html[id_at..].split('/').next().unwrap_or_default().to_owned();

    // Another shop's owner reaches nothing.
    let dentist = sign_in_by_code(&app, "+15555550299", "bright-smile").await;
    let foreign = browse(&app, Method::POST, &format!("/app/bookings/{id}/cancel"), &[], Some(&dentist)).await;
    assert!(foreign.location().contains("error="), "{}", foreign.location());

    // A move to a time the shop is closed is refused, with the reason.
    let today = app.clock.now().with_timezone(&chrono_tz::America::New_York).date_naive();
    let sunday = (1..=7).map(|d| today + chrono::Duration::days(d)).find(|d| d.format("%a").to_string() == "Sun");
    let sunday = sunday.unwrap_or(today).format("%Y-%m-%d").to_string();
    let closed = browse(
        &app,
        Method::POST,
        &format!("/app/bookings/{id}/reschedule"),
        &[("date", &sunday), ("time", "11:00")],
        Some(&cookie),
    )
    .await;
    assert!(closed.location().contains("error=Not+moved"), "{}", closed.location());
    let later = (today + chrono::Duration::days(2)).format("%Y-%m-%d").to_string();
    let moved = browse(
        &app,
        Method::POST,
        &format!("/app/bookings/{id}/reschedule"),
        &[("date", &later), ("time", "15:00")],
        Some(&cookie),
    )
    .await;
    assert_eq!(moved.location(), "/app/bookings?done=moved");
    let after = browse(&app, Method::GET, "/app/bookings?q=scully", &[], Some(&cookie)).await;
    assert!(after.html.contains("3:00 PM"), "{}", after.html);
    let new_at = after.html.find("/app/bookings/").unwrap_or_default() + 14;
    let new_id = after.html[new_at..].split('/').next().unwrap_or_default().to_owned();
    let cancelled = browse(&app, Method::POST, &format!("/app/bookings/{new_id}/cancel"), &[], Some(&cookie)).await;
    assert_eq!(cancelled.location(), "/app/bookings?done=cancelled");
    let gone = browse(&app, Method::GET, "/app/bookings?q=scully", &[], Some(&cookie)).await;
    assert!(!gone.html.contains("Dana Scully"), "{}", gone.html);
}

#[tokio::test]
async fn an_owner_answers_a_callers_question_and_the_knowledge_then_knows_it() {
    let app = TestApp::new().await;
    let question = "do you sell gift cards for christmas";
    let twiml = crate::knowledge::ask_on_a_call(&app, "CA00000000000000000000000000web003", question).await;
    assert!(twiml.contains("don&apos;t know") || twiml.contains("don't know"), "{twiml}");
    let cookie = sign_in_by_code(&app, FRESH_CUTS_OWNER, "fresh-cuts").await;
    let open = browse(&app, Method::GET, "/app/questions", &[], Some(&cookie)).await;
    assert!(open.html.contains(question), "{}", open.html);
    let id_at = open.html.find("/app/questions/").unwrap_or_else(|| panic!("{}", open.html)) + 15;
    let id = open.html[id_at..].split('/').next().unwrap_or_default().to_owned();

    let empty =
        browse(&app, Method::POST, &format!("/app/questions/{id}/answer"), &[("answer", "  ")], Some(&cookie)).await;
    assert!(empty.location().contains("error=Not+saved"), "{}", empty.location());
    let answer = "Yes, gift cards of any amount are sold at the counter and can be used for every service.";
    let saved =
        browse(&app, Method::POST, &format!("/app/questions/{id}/answer"), &[("answer", answer)], Some(&cookie)).await;
    assert_eq!(saved.location(), "/app/questions?done=1");
    let after = browse(&app, Method::GET, "/app/questions", &[], Some(&cookie)).await;
    assert!(!after.html.contains(question), "answered questions leave the list");

    let ask = json!({"question": "can I buy a gift card"});
    let reply = app.admin(Method::POST, "/admin/tenants/fresh-cuts/knowledge/ask", Some(&ask)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(reply.body["answer"].as_str().unwrap_or_default().contains("gift cards of any amount"), "{}", reply.body);
    let audit = app.admin(Method::GET, "/admin/audit", None).await;
    assert!(audit.body.to_string().contains("owner of fresh-cuts (web)"), "{}", audit.body);
}

/// The settings form as the page shows it, with `changes` applied.
fn settings_form(html: &str, changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find("name=\"") {
        let after = &rest[at + 6..];
        let name = after[..after.find('"').unwrap_or(0)].to_owned();
        let tag_end = after.find('>').unwrap_or(after.len());
        let tag = &after[..tag_end];
        let value = if let Some(v) = tag.find("value=\"") {
            let v = &tag[v + 7..];
            v[..v.find('"').unwrap_or(0)].to_owned()
        } else if rest[..at].ends_with("<textarea id=\"") || tag.contains("rows=") {
            let body = &after[tag_end + 1..];
            body[..body.find("</textarea>").unwrap_or(0)].to_owned()
        } else {
            String::new()
        };
        let value = value.replace("&#39;", "'").replace("&quot;", "\"").replace("&amp;", "&").replace("&#x27;", "'");
        let unticked = tag.contains("type=\"checkbox\"") && !tag.contains("checked");
        if name != "q" && !unticked {
            fields.push((name, value));
        }
        rest = &after[tag_end..];
    }
    for (name, value) in changes {
        match fields.iter_mut().find(|(key, _)| key == name) {
            Some(field) => field.1 = (*value).to_owned(),
            None => fields.push(((*name).to_owned(), (*value).to_owned())),
        }
    }
    fields
}

async fn post_settings(app: &TestApp, cookie: &str, fields: &[(String, String)]) -> Page {
    let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    browse(app, Method::POST, "/app/settings", &form, Some(cookie)).await
}

#[tokio::test]
async fn an_owner_edits_the_hours_sees_a_field_error_then_saves_and_the_profile_changes() {
    let app = TestApp::new().await;
    let cookie = sign_in_by_code(&app, FRESH_CUTS_OWNER, "fresh-cuts").await;
    let form = browse(&app, Method::GET, "/app/settings", &[], Some(&cookie)).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.html);
    assert!(form.html.contains("value=\"09:00-18:00\""), "{}", form.html);

    let invalid = settings_form(&form.html, &[("hours_mon", "18:00-09:00")]);
    let refused = post_settings(&app, &cookie, &invalid).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.html);
    assert!(refused.html.contains("id=\"hours-mon-error\""), "the error beside Monday: {}", refused.html);
    assert!(refused.html.contains("value=\"18:00-09:00\""), "what was typed stays: {}", refused.html);
    let profile = app.admin(Method::GET, "/admin/tenants/fresh-cuts", None).await;
    assert_eq!(profile.body["profile"]["hours"]["mon"], json!(["09:00-18:00"]), "nothing saved: {}", profile.body);

    let bad_price = settings_form(&form.html, &[("service_price_0", "thirty")]);
    let refused = post_settings(&app, &cookie, &bad_price).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.html.contains("the price must be an amount"), "{}", refused.html);

    let valid = settings_form(
        &form.html,
        &[
            ("hours_mon", "10:00-14:00, 15:00-19:00"),
            ("service_price_0", "38.50"),
            ("faq_question_4", "Do you sell beard oil?"),
            ("faq_answer_4", "Yes, two kinds, at the counter."),
        ],
    );
    let saved = post_settings(&app, &cookie, &valid).await;
    assert_eq!((saved.status, saved.location()), (StatusCode::SEE_OTHER, "/app/settings?saved=1"), "{}", saved.html);
    let profile = app.admin(Method::GET, "/admin/tenants/fresh-cuts", None).await;
    assert_eq!(profile.body["profile"]["hours"]["mon"], json!(["10:00-14:00", "15:00-19:00"]), "{}", profile.body);
    assert_eq!(profile.body["profile"]["services"][0]["price_cents"], 3850, "{}", profile.body);
    assert!(profile.body["profile"]["faqs"].to_string().contains("beard oil"), "{}", profile.body);
    assert_eq!(profile.body["profile"]["phone_numbers"], json!(["+15555550100"]), "numbers untouched");
    let hours = browse(&app, Method::GET, "/app/settings?saved=1", &[], Some(&cookie)).await;
    assert!(hours.html.contains("Saved.") && hours.html.contains("value=\"10:00-14:00, 15:00-19:00\""));
}

#[tokio::test]
async fn the_plan_page_shows_the_plan_this_months_use_and_the_bills() {
    let app = TestApp::new().await;
    phone_booking(&app, "CA00000000000000000000000000web004").await;
    let cookie = sign_in_by_code(&app, FRESH_CUTS_OWNER, "fresh-cuts").await;
    let plan = browse(&app, Method::GET, "/app/plan", &[], Some(&cookie)).await;
    assert_eq!(plan.status, StatusCode::OK, "{}", plan.html);
    for expected in ["Your plan: pro", "Call minutes", "AI budget", "The receptionist is answering", "No bills yet."] {
        assert!(plan.html.contains(expected), "{expected}: {}", plan.html);
    }
}

#[tokio::test]
async fn an_owner_marks_a_no_show_on_today_and_the_no_show_rate_changes() {
    let app = TestApp::new().await;
    let today = app.clock.now().with_timezone(&chrono_tz::America::New_York).date_naive();
    for (start, name) in [("12:00", "Early Bird"), ("13:00", "Late Comer")] {
        let body = json!({"service": "Haircut", "start": format!("{today}T{start}:00-05:00"),
            "customer_name": name, "customer_phone": "+15555554444"});
        let made = app.admin(Method::POST, "/admin/tenants/fresh-cuts/bookings", Some(&body)).await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    }
    let cookie = sign_in_by_code(&app, FRESH_CUTS_OWNER, "fresh-cuts").await;
    let before = browse(&app, Method::GET, "/app", &[], Some(&cookie)).await;
    assert!(!before.html.contains("value=\"no_show\""), "nothing has started yet: {}", before.html);

    // 2 PM: both appointments are over.
    app.clock.advance(chrono::Duration::hours(4));
    let today_page = browse(&app, Method::GET, "/app", &[], Some(&cookie)).await;
    assert!(today_page.html.contains("Not marked yet"), "{}", today_page.html);
    let forms: Vec<String> = today_page
        .html
        .match_indices("/app/bookings/")
        .map(|(at, _)| today_page.html[at..].split('"').next().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(forms.len(), 4, "two buttons each: {forms:?}");
    let insights = |html: &str| html.contains("1 of 2 no-shows") || html.contains("1 of 2");
    let rate_before = browse(&app, Method::GET, "/app/insights?period=today", &[], Some(&cookie)).await;
    assert!(!insights(&rate_before.html), "{}", rate_before.html);

    let marked = browse(&app, Method::POST, &forms[1], &[("status", "no_show")], Some(&cookie)).await;
    assert_eq!(marked.location(), "/app", "{}", marked.html);
    let completed = browse(&app, Method::POST, &forms[2], &[("status", "completed")], Some(&cookie)).await;
    assert_eq!(completed.location(), "/app");
    let after = browse(&app, Method::GET, "/app", &[], Some(&cookie)).await;
    assert!(after.html.contains("No-show") && after.html.contains(">Completed<"), "{}", after.html);
    let rate = browse(&app, Method::GET, "/app/insights?period=today", &[], Some(&cookie)).await;
    assert!(rate.html.contains("50 %") && rate.html.contains("1 of 2 no-shows"), "{}", rate.html);

    // Another shop's owner cannot mark it.
    let dentist = sign_in_by_code(&app, "+15555550299", "bright-smile").await;
    let foreign = browse(&app, Method::POST, &forms[0], &[("status", "completed")], Some(&dentist)).await;
    assert!(foreign.location().starts_with("/app?error="), "{}", foreign.location());
}

#[tokio::test]
async fn another_shops_owner_reaches_nothing_of_this_shop_by_any_owner_route() {
    let app = TestApp::new().await;
    phone_booking(&app, "CA00000000000000000000000000web005").await;
    crate::knowledge::ask_on_a_call(&app, "CA00000000000000000000000000web006", "do you sell gift cards for christmas")
        .await;
    let owner = sign_in_by_code(&app, FRESH_CUTS_OWNER, "fresh-cuts").await;
    let bookings = browse(&app, Method::GET, "/app/bookings?q=scully", &[], Some(&owner)).await;
    let at = bookings.html.find("/app/bookings/").unwrap_or_else(|| panic!("{}", bookings.html)) + 14;
    let booking = bookings.html[at..].split('/').next().unwrap_or_default().to_owned();
    let questions = browse(&app, Method::GET, "/app/questions", &[], Some(&owner)).await;
    let at = questions.html.find("/app/questions/").unwrap_or_else(|| panic!("{}", questions.html)) + 15;
    let question = questions.html[at..].split('/').next().unwrap_or_default().to_owned();

    let dentist = sign_in_by_code(&app, "+15555550299", "bright-smile").await;
    let later = (app.clock.now().with_timezone(&chrono_tz::America::New_York).date_naive() + chrono::Duration::days(2))
        .format("%Y-%m-%d")
        .to_string();
    let attempts = [
        (format!("/app/bookings/{booking}/reschedule"), vec![("date", later.as_str()), ("time", "15:00")]),
        (format!("/app/bookings/{booking}/cancel"), vec![]),
        (format!("/app/bookings/{booking}/attendance"), vec![("status", "no_show")]),
        (format!("/app/questions/{question}/answer"), vec![("answer", "Gift cards are sold at the counter.")]),
    ];
    for (path, form) in &attempts {
        let reply = browse(&app, Method::POST, path, form, Some(&dentist)).await;
        assert!(reply.location().contains("error="), "{path}: {} {}", reply.status, reply.location());
    }
    // Untouched: the booking is where it was and the question still open.
    let still = browse(&app, Method::GET, "/app/bookings?q=scully", &[], Some(&owner)).await;
    assert!(still.html.contains(&format!("/app/bookings/{booking}/cancel")), "{}", still.html);
    let open = browse(&app, Method::GET, "/app/questions", &[], Some(&owner)).await;
    assert!(open.html.contains("gift cards for christmas"), "{}", open.html);
    // And the pages that list things show the dentist's own shop only.
    for path in [
        "/app",
        "/app/insights",
        "/app/calls",
        "/app/bookings",
        "/app/callbacks",
        "/app/questions",
        "/app/settings",
        "/app/plan",
    ] {
        let page = browse(&app, Method::GET, path, &[], Some(&dentist)).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(!page.html.contains("Fresh Cuts") && !page.html.contains("Scully"), "{path}: {}", page.html);
    }
}

#[tokio::test]
async fn an_owner_edits_staff_who_does_what_and_their_hours() {
    let app = TestApp::new().await;
    let cookie = sign_in_by_code(&app, FRESH_CUTS_OWNER, "fresh-cuts").await;
    let form = browse(&app, Method::GET, "/app/settings", &[], Some(&cookie)).await;
    assert!(form.html.contains("value=\"Dee\""), "{}", form.html);
    // Dee (row 1) stops doing kids cuts and starts at 11 on Tuesdays; Sam joins (row 2).
    let mut fields = settings_form(&form.html, &[("staff_hours_tue_1", "11:00-18:00"), ("staff_name_2", "Sam")]);
    fields.retain(|(key, value)| !(key == "staff_service_1" && value == "Kids cut"));
    let saved = post_settings(&app, &cookie, &fields).await;
    assert_eq!(saved.location(), "/app/settings?saved=1", "{}", saved.html);
    let profile = app.admin(Method::GET, "/admin/tenants/fresh-cuts", None).await;
    let staff = &profile.body["profile"]["staff"];
    assert_eq!(staff[1]["name"], "Dee");
    assert_eq!(staff[1]["hours"]["tue"], json!(["11:00-18:00"]), "{staff}");
    assert!(!staff[1]["services"].to_string().contains("Kids cut"), "{staff}");
    assert!(staff[1]["services"].to_string().contains("Skin fade"), "{staff}");
    assert_eq!(staff[2]["name"], "Sam");
    assert!(staff[2]["services"].is_null() && staff[2]["hours"].is_null(), "all services, the shop's hours: {staff}");
    assert!(staff[0]["services"].is_null(), "Marco still does everything: {staff}");

    // A staff member's impossible hours are refused beside the staff section.
    let bad = settings_form(&form.html, &[("staff_hours_wed_1", "25:00-26:00")]);
    let refused = post_settings(&app, &cookie, &bad).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.html);
    assert!(refused.html.contains("value=\"25:00-26:00\""), "{}", refused.html);
}

#[tokio::test]
async fn the_calls_list_shows_the_200_newest_and_a_link_to_more() {
    use frontdesk_routing::{CallSid, CallStore, IncomingCall};
    let app = TestApp::new().await;
    let shop = frontdesk_core::TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}"));
    let called = frontdesk_core::E164::parse("+15555550100").unwrap_or_else(|e| panic!("{e}"));
    for n in 0..205 {
        let sid = CallSid::parse(&format!("CApage{n:04}")).unwrap_or_else(|e| panic!("{e}"));
        let at = app.clock.now() - chrono::Duration::minutes(10 * (205 - n));
        let call = IncomingCall { call_sid: sid, caller: None, called: called.clone() };
        app.store.open_call(&shop, &call, "{}", at).await.unwrap_or_else(|e| panic!("{e}"));
    }
    let cookie = sign_in_by_code(&app, FRESH_CUTS_OWNER, "fresh-cuts").await;
    let first = browse(&app, Method::GET, "/app/calls?days=7", &[], Some(&cookie)).await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(first.html.contains("The 200 newest of 205 calls"), "{}", first.html);
    assert!(first.html.contains("CApage0204") && !first.html.contains("CApage0004"), "newest first");
    assert!(first.html.contains("shown=400") && first.html.contains("Show 5 more"), "{}", first.html);
    let all = browse(&app, Method::GET, "/app/calls?days=7&shown=400", &[], Some(&cookie)).await;
    assert!(all.html.contains("205 calls in the last 7 days") && all.html.contains("CApage0000"), "{}", all.html);
    assert!(!all.html.contains("Show"), "nothing more to show");
}

#[tokio::test]
async fn an_owner_sees_who_waits_for_a_call_back_and_marks_it_done_and_no_other_shop_can() {
    use crate::human_fallback::{CALL, LEG, asks_for_a_person, caller_leg};
    let app = TestApp::new().await;
    asks_for_a_person(&app).await;
    caller_leg(&app, "/twilio/dial-done", &[("DialCallStatus", "no-answer"), ("DialCallSid", LEG)]).await;
    app.clock.advance(chrono::Duration::minutes(45));
    let owner = sign_in_by_code(&app, FRESH_CUTS_OWNER, "fresh-cuts").await;
    let page = browse(&app, Method::GET, "/app/callbacks", &[], Some(&owner)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("wants to book a skin fade"), "{}", page.html);
    assert!(page.html.contains("<a href=\"tel:+15555551234\">+15555551234</a>"), "{}", page.html);
    assert!(page.html.contains("<span class=\"error\">45 min</span>"), "waiting over 30 minutes shows: {}", page.html);
    assert!(!page.html.contains("Call back</button>"), "no telephony provider here: only Done");

    let dentist = sign_in_by_code(&app, "+15555550299", "bright-smile").await;
    let theirs = browse(&app, Method::GET, "/app/callbacks", &[], Some(&dentist)).await;
    assert!(theirs.html.contains("Nobody is waiting for a call back."), "{}", theirs.html);
    let foreign = browse(&app, Method::POST, &format!("/app/callbacks/{CALL}/done"), &[], Some(&dentist)).await;
    assert!(foreign.location().contains("error="), "{}", foreign.location());

    let done = browse(&app, Method::POST, &format!("/app/callbacks/{CALL}/done"), &[], Some(&owner)).await;
    assert_eq!(done.location(), "/app/callbacks?done=1");
    let after = browse(&app, Method::GET, "/app/callbacks", &[], Some(&owner)).await;
    assert!(after.html.contains("Nobody is waiting for a call back."), "{}", after.html);
}

#[tokio::test]
async fn today_shows_where_each_appointments_reminder_stands() {
    let app = TestApp::new().await;
    // Tuesday 10:00: a haircut at 15:00 gets only its two-hour reminder, at 13:00.
    let body = json!({"service": "haircut", "start": "2026-11-24T15:00", "customer_name": "Jane Doe", "customer_phone": "+15555551234"});
    let made = app.admin(Method::POST, "/admin/tenants/fresh-cuts/bookings", Some(&body)).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let owner = sign_in_by_code(&app, FRESH_CUTS_OWNER, "fresh-cuts").await;
    let today = browse(&app, Method::GET, "/app", &[], Some(&owner)).await;
    assert!(today.html.contains("<td data-label=\"Reminder\">Reminder at 1 PM</td>"), "{}", today.html);

    app.clock.advance(chrono::Duration::hours(3));
    let handler = crate::reminders::reminders_handler(&app);
    crate::support::run_next(&app.store, &app.clock, &handler).await.unwrap_or_else(|e| panic!("{e}"));
    let sent = browse(&app, Method::GET, "/app", &[], Some(&owner)).await;
    assert!(sent.html.contains("<td data-label=\"Reminder\">Reminder sent 1 PM</td>"), "{}", sent.html);

    app.clock.advance(chrono::Duration::minutes(4));
    let reply = crate::reminders::text(&app, "SM-today", "Y").await;
    assert!(reply.contains("is confirmed"), "{reply}");
    let confirmed = browse(&app, Method::GET, "/app", &[], Some(&owner)).await;
    assert!(
        confirmed.html.contains("<td data-label=\"Reminder\">Confirmed by text 1:04 PM</td>"),
        "{}",
        confirmed.html
    );
}

#[tokio::test]
async fn the_bookings_page_shows_a_few_days_at_a_time_and_search_finds_any_upcoming_one() {
    use frontdesk_calendar::{BookingId, BookingSource, BookingStore, ConfirmationCode, Customer, NewBooking};
    let app = TestApp::new().await;
    let shop = frontdesk_core::TenantId::parse("fresh-cuts").unwrap_or_else(|e| panic!("{e}"));
    // Tuesday 24 November, 10:00 in New York: one later today, 45 on
    // Wednesday, 5 on Thursday, one on 15 December; each in its own chair.
    let at = |month: u32, day: u32, hour: u32| {
        chrono::NaiveDate::from_ymd_opt(2026, month, day)
            .and_then(|date| date.and_hms_opt(hour, 0, 0))
            .and_then(|local| local.and_local_timezone(chrono_tz::America::New_York).earliest())
            .map(|local| local.to_utc())
            .unwrap_or_else(|| panic!("no {month}/{day}"))
    };
    let mut seeded = vec![("Today Person".to_owned(), at(11, 24, 14))];
    seeded.extend((0..45).map(|n| (format!("Wednesday {n}"), at(11, 25, 11))));
    seeded.extend((0..5).map(|n| (format!("Thursday {n}"), at(11, 26, 11))));
    seeded.push(("Far Future".to_owned(), at(12, 15, 11)));
    for (chair, (name, start)) in seeded.into_iter().enumerate() {
        let booking = NewBooking {
            id: BookingId::new(),
            code: ConfirmationCode::generate(),
            service: "Haircut".to_owned(),
            staff: Some(format!("Chair {chair}")),
            start,
            end: start + chrono::Duration::minutes(30),
            occupied_until: start + chrono::Duration::minutes(30),
            customer: Customer {
                name,
                phone: frontdesk_core::E164::parse("+15555554444").unwrap_or_else(|e| panic!("{e}")),
            },
            source: BookingSource::Admin,
            idempotency_key: None,
            hold: None,
        };
        app.store.commit_booking(&shop, &booking, Vec::new(), app.clock.now()).await.unwrap_or_else(|e| panic!("{e}"));
    }
    let cookie = sign_in_by_code(&app, FRESH_CUTS_OWNER, "fresh-cuts").await;

    // Whole days until the page holds 40: today and Wednesday, then a link.
    let first = browse(&app, Method::GET, "/app/bookings", &[], Some(&cookie)).await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(first.html.contains("Today Person") && first.html.contains("Wednesday 44"), "{}", first.html);
    assert!(!first.html.contains("Thursday 0") && !first.html.contains("Far Future"), "{}", first.html);
    assert!(first.html.contains("Upcoming appointments from Tue 24 Nov to Wed 25 Nov."), "{}", first.html);
    assert!(first.html.contains("href=\"/app/bookings?from=2026-11-26\""), "{}", first.html);
    assert!(first.html.contains("Show more, from Thu 26 Nov"), "{}", first.html);

    // From Thursday: its five, and the 14 days' window ends before December 15.
    let thursday = browse(&app, Method::GET, "/app/bookings?from=2026-11-26", &[], Some(&cookie)).await;
    assert!(thursday.html.contains("Thursday 4") && !thursday.html.contains("Wednesday 1"), "{}", thursday.html);
    assert!(!thursday.html.contains("Far Future"), "{}", thursday.html);
    assert!(thursday.html.contains("href=\"/app/bookings?from=2026-12-10\""), "{}", thursday.html);
    let later = browse(&app, Method::GET, "/app/bookings?from=2026-12-10", &[], Some(&cookie)).await;
    assert!(later.html.contains("Far Future"), "{}", later.html);

    // A day before today shows from today; a search looks through every upcoming one.
    let past = browse(&app, Method::GET, "/app/bookings?from=2026-11-01", &[], Some(&cookie)).await;
    assert!(past.html.contains("Today Person"), "{}", past.html);
    let found = browse(&app, Method::GET, "/app/bookings?q=far+future", &[], Some(&cookie)).await;
    assert!(found.html.contains("Far Future") && found.html.contains("One upcoming appointment matches."));
    let many = browse(&app, Method::GET, "/app/bookings?q=wednesday", &[], Some(&cookie)).await;
    assert!(many.html.contains("45 upcoming appointments match."), "{}", many.html);
}
