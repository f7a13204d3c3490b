//! The owners' and operators' pages in a real browser: Debian's headless
//! Chromium, driven through chromedriver (WebDriver) as a person would, with
//! clicks and typing.
//!
//! The gateway is the whole router served over TCP on `127.0.0.1` as
//! `Application` serves it (with each client's address), over a temporary
//! SQLite database with the demo shops. Its public URL is
//! `http://127.0.0.1:PORT`, so the browser's form posts come from the origin
//! the cross-site check trusts and the session cookie is `fd_session`
//! (not `Secure`). Its clock is frozen at the harness's Tuesday morning, so
//! Today has appointments and one can be marked a no-show whatever the wall
//! clock says; tokens are minted and Twilio's webhooks signed against that
//! clock and URL.
//!
//! Each test starts its own gateway, chromedriver (`--port=0`: it picks a
//! free port and says which) and one Chromium session, so tests run in
//! parallel. Without `/usr/bin/chromium` or a `chromedriver` on the PATH
//! they say so and pass: `.ci/run` installs both. `screenshots` (ignored;
//! `just screenshots`) rewrites the PNGs under `docs/screenshots/`.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use frontdesk_auth::{Scope, TokenSecret};
use frontdesk_billing::PlanTerms;
use frontdesk_core::{Clock, ManualClock, Plan};
use frontdesk_store_sqlite::SqliteStore;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use voice_gateway::{HttpLimits, demo, router};

use crate::support::{SECRET, TWILIO_TOKEN, gateway_state, start_time};

const CHROMIUM: &str = "/usr/bin/chromium";

/// How long a page may take to show what a click or a key asked for.
const PATIENCE: Duration = Duration::from_secs(20);

const FRESH_CUTS_NUMBER: &str = "+15555550100";
const FRESH_CUTS_OWNER: &str = "+15555550199";
const BRIGHT_SMILE_NUMBER: &str = "+15555550200";
const OPERATOR: &str = "ops@frontdesk.example";
const PASSWORD: &str = "correct horse battery staple";

/// A desktop window, and a phone's (an iPhone 14's CSS pixels).
const DESKTOP: (u32, u32) = (1280, 860);
const PHONE: (u32, u32) = (390, 844);

/// chromedriver on a port of its own, killed when dropped.
struct Chromedriver {
    _process: Child,
    url: String,
}

fn chromedriver_path() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join("chromedriver")).find(|candidate| candidate.is_file())
}

impl Chromedriver {
    /// `None` (having said why) when Chromium or chromedriver is not installed.
    async fn start() -> Option<Chromedriver> {
        let driver = chromedriver_path();
        let Some(driver) = driver.filter(|_| Path::new(CHROMIUM).is_file()) else {
            println!("skipped: chromium/chromedriver not installed (apt-get install chromium chromium-driver)");
            return None;
        };
        let mut process = Command::new(&driver)
            .arg("--port=0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e}", driver.display()));
        // It prints "ChromeDriver was started successfully on port 40425."
        // once it listens.
        let stdout = process.stdout.take().unwrap_or_else(|| panic!("chromedriver's stdout is piped"));
        let mut lines = BufReader::new(stdout).lines();
        let port = loop {
            let line = tokio::time::timeout(PATIENCE, lines.next_line())
                .await
                .unwrap_or_else(|_| panic!("chromedriver did not start within {PATIENCE:?}"))
                .unwrap_or_else(|e| panic!("chromedriver's output: {e}"))
                .unwrap_or_else(|| panic!("chromedriver exited before it listened"));
            if let Some(rest) = line.split("started successfully on port ").nth(1) {
                break rest.trim_end_matches('.').trim().to_owned();
            }
        };
        // Keep draining its output so it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Some(Chromedriver { _process: process, url: format!("http://127.0.0.1:{port}") })
    }

    /// A new headless Chromium session, its window desktop-sized, one CSS
    /// pixel to a screen pixel (so screenshots are 1x on any machine).
    async fn session(&self) -> Client {
        let options = json!({
            "binary": CHROMIUM,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--hide-scrollbars", "--force-device-scale-factor=1",
                format!("--window-size={},{}", DESKTOP.0, DESKTOP.1),
            ],
        });
        let capabilities = serde_json::Map::from_iter([("goog:chromeOptions".to_owned(), options)]);
        ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("a Chromium session through {}: {e}", self.url))
    }
}

/// The gateway on a local port, its clock frozen, the demo shops seeded.
struct Gateway {
    base_url: String,
    clock: Arc<ManualClock>,
    tokens: TokenSecret,
    twilio: frontdesk_twilio::RequestValidator,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Gateway {
    async fn start() -> Gateway {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        let base_url = format!("http://{addr}");
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let clock = Arc::new(ManualClock::new(start_time()));
        let url = format!("sqlite://{}", dir.path().join("frontdesk.db").display());
        let store = Arc::new(SqliteStore::open(&url, clock.clone()).await.unwrap_or_else(|e| panic!("{e:#}")));
        demo::seed_demo_tenants(store.as_ref()).await.unwrap_or_else(|e| panic!("{e:#}"));
        let bookings = Arc::new(frontdesk_calendar::BookingService::new(store.clone(), clock.clone()));
        let retriever = Arc::new(frontdesk_rag::Retriever::new(store.clone()));
        let twilio = voice_gateway::TwilioSettings {
            // The public URL: what Twilio signs, what forms' Origin must be,
            // and whether the session cookie is `Secure`.
            public_base_url: base_url.clone(),
            validator: Arc::new(frontdesk_twilio::RequestValidator::new(TWILIO_TOKEN)),
            dialogue: Arc::new(frontdesk_routing::Dialogue::new(bookings.clone()).with_knowledge(retriever.clone())),
            check_durations: false,
            transcribe_messages: false,
        };
        let (mut state, _billing) = gateway_state(store, clock.clone(), bookings, Some(twilio)).await;
        state.retriever = retriever;
        let limits = HttpLimits { request_timeout: Duration::from_secs(10), body_limit_bytes: 64 * 1024 };
        let service = router(state, limits).into_make_service_with_connect_info::<SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, service).await });
        Gateway {
            base_url,
            clock,
            tokens: TokenSecret::new(SECRET.as_bytes()),
            twilio: frontdesk_twilio::RequestValidator::new(TWILIO_TOKEN),
            http: reqwest::Client::new(),
            _dir: dir,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The shop's local date today (both demo shops' zones agree on it at
    /// the harness's start time).
    fn today(&self) -> chrono::NaiveDate {
        self.now().with_timezone(&chrono_tz::America::New_York).date_naive()
    }

    /// An operator token, minted now by the gateway's clock.
    fn admin_token(&self) -> String {
        let scope = Scope::parse("admin").unwrap_or_else(|e| panic!("{e}"));
        self.tokens.mint("browser-test", &scope, TimeDelta::minutes(5), self.now()).unwrap_or_else(|e| panic!("{e}"))
    }

    /// An admin API call as an operator; the status and the JSON body.
    async fn admin(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> (u16, Value) {
        let mut request = self.http.request(method, self.url(path)).bearer_auth(self.admin_token());
        if let Some(body) = body {
            request = request.json(body);
        }
        let reply = request.send().await.unwrap_or_else(|e| panic!("{path}: {e}"));
        let status = reply.status().as_u16();
        (status, reply.json().await.unwrap_or(Value::Null))
    }

    /// Twilio's webhook at `path`, signed over the public URL as Twilio
    /// signs it; the TwiML.
    async fn twilio(&self, path: &str, params: &[(&str, &str)]) -> String {
        let params: Vec<(String, String)> = params.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let url = self.url(path);
        let signature = self.twilio.compute_signature(&url, &params);
        let body: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(params.iter()).finish();
        let reply = self
            .http
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-twilio-signature", signature)
            .body(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        let status = reply.status();
        let twiml = reply.text().await.unwrap_or_default();
        assert!(status.is_success(), "{path}: {status} {twiml}");
        twiml
    }

    /// A call from `from` to `to` in which the caller says each of `said`
    /// in turn, then hangs up after `seconds`; the last TwiML.
    async fn phone_call(&self, sid: &str, from: &str, to: &str, said: &[&str], seconds: u32) -> String {
        let call = [("CallSid", sid), ("From", from), ("To", to)];
        let mut twiml = self.twilio("/twilio/voice", &call).await;
        for (turn, words) in said.iter().enumerate() {
            let mut params = call.to_vec();
            params.push(("SpeechResult", words));
            twiml = self.twilio(&format!("/twilio/gather?turn={}", turn + 1), &params).await;
        }
        let seconds = seconds.to_string();
        let done = [
            ("CallSid", sid),
            ("To", to),
            ("CallStatus", "completed"),
            ("CallDuration", seconds.as_str()),
            ("SequenceNumber", "9"),
        ];
        self.twilio("/twilio/status", &done).await;
        twiml
    }

    /// An appointment made through the admin API at `time` today (New
    /// York); its id.
    async fn book_today(&self, time: &str, service: &str, staff: &str, customer: &str) -> String {
        let body = json!({
            "service": service, "start": format!("{}T{time}:00-05:00", self.today()), "staff": staff,
            "customer_name": customer, "customer_phone": "+15555554444",
        });
        let (status, reply) =
            self.admin(reqwest::Method::POST, "/admin/tenants/fresh-cuts/bookings", Some(&body)).await;
        assert_eq!(status, 201, "{reply}");
        reply["id"].as_str().unwrap_or_else(|| panic!("no id: {reply}")).to_owned()
    }

    async fn set_plan(&self, slug: &str, plan: Plan) {
        let body = json!({"plan": plan.as_str()});
        let (status, reply) =
            self.admin(reqwest::Method::PUT, &format!("/admin/tenants/{slug}/plan"), Some(&body)).await;
        assert_eq!(status, 200, "{reply}");
    }

    async fn add_operator(&self) {
        let body = json!({"email": OPERATOR, "password": PASSWORD});
        let (status, reply) = self.admin(reqwest::Method::POST, "/admin/operators", Some(&body)).await;
        assert_eq!(status, 201, "{reply}");
    }

    /// The code in the last sign-in text to the shop's owner (texts go
    /// nowhere here: the shop's message log keeps it whole).
    async fn texted_code(&self, slug: &str) -> String {
        let (_, reply) = self.admin(reqwest::Method::GET, &format!("/admin/tenants/{slug}/messages"), None).await;
        let text = reply["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|message| message["body"].as_str())
            .find(|body| body.contains("sign in"))
            .unwrap_or_else(|| panic!("no sign-in text for {slug}: {reply}"))
            .to_owned();
        let at = text.find("the code ").unwrap_or_else(|| panic!("no code in {text}")) + "the code ".len();
        text[at..at + 6].to_owned()
    }

    /// A sign-in link for the shop's owner, as `adminctl owner login-link` gets one.
    async fn owner_link(&self, slug: &str) -> String {
        let path = format!("/admin/tenants/{slug}/owner-login-link");
        let (status, reply) = self.admin(reqwest::Method::POST, &path, None).await;
        assert_eq!(status, 200, "{reply}");
        let link = reply["link"].as_str().unwrap_or_else(|| panic!("no link: {reply}")).to_owned();
        assert!(link.starts_with(&self.url("/app/login/link?token=")), "{link}");
        link
    }
}

/// Runs `test` in one Chromium session against a fresh gateway; the session
/// is closed afterwards even when the test fails.
async fn in_browser<Test, Run>(test: Test)
where
    Test: FnOnce(Client, Gateway) -> Run,
    Run: Future<Output = ()> + Send + 'static,
{
    let Some(driver) = Chromedriver::start().await else { return };
    let gateway = Gateway::start().await;
    let client = driver.session().await;
    let outcome = tokio::spawn(test(client.clone(), gateway)).await;
    // Ends the session, which quits Chromium, before chromedriver is killed.
    let _ = client.close().await;
    drop(driver);
    if let Err(error) = outcome {
        match error.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(error) => panic!("{error}"),
        }
    }
}

async fn open(client: &Client, gateway: &Gateway, path: &str) {
    client.goto(&gateway.url(path)).await.unwrap_or_else(|e| panic!("{path}: {e}"));
}

async fn find(client: &Client, css: &str) -> Element {
    client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"))
}

/// Waits for the page the last click asked for: the element `css` matches
/// only there.
async fn arrived(client: &Client, css: &str) -> Element {
    client.wait().at_most(PATIENCE).for_element(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"))
}

async fn text(element: &Element) -> String {
    element.text().await.unwrap_or_else(|e| panic!("{e}"))
}

async fn text_of(client: &Client, css: &str) -> String {
    text(&find(client, css).await).await
}

async fn value_of(client: &Client, css: &str) -> String {
    find(client, css).await.prop("value").await.unwrap_or_else(|e| panic!("{css}: {e}")).unwrap_or_default()
}

/// Replaces what the field `css` holds with `typed`, key by key.
async fn type_into(client: &Client, css: &str, typed: &str) {
    let field = find(client, css).await;
    field.clear().await.unwrap_or_else(|e| panic!("{css}: {e}"));
    field.send_keys(typed).await.unwrap_or_else(|e| panic!("{css}: {e}"));
}

async fn click(client: &Client, css: &str) {
    find(client, css).await.click().await.unwrap_or_else(|e| panic!("{css}: {e}"));
}

/// The path and query the browser shows.
async fn location(client: &Client) -> String {
    let url = client.current_url().await.unwrap_or_else(|e| panic!("{e}"));
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    }
}

/// The figure card labelled `label` (Insights or the ops overview): its
/// big value and the notes under it.
async fn figure(client: &Client, label: &str) -> (String, String) {
    let script = "const card = [...document.querySelectorAll('.card.figure')]
            .find(card => card.querySelector('.note').innerText.trim() === arguments[0]);
        return card ? [card.querySelector('.big').innerText.trim(),
            [...card.querySelectorAll('.note')].slice(1).map(note => note.innerText.trim()).join(' | ')] : null;";
    let found = client.execute(script, vec![json!(label)]).await.unwrap_or_else(|e| panic!("{e}"));
    let Some(pair) = found.as_array() else { panic!("no {label} figure on {}", location(client).await) };
    (pair[0].as_str().unwrap_or_default().to_owned(), pair[1].as_str().unwrap_or_default().to_owned())
}

/// Signs in as the owner of `slug` the way they would: types the owner
/// phone, reads the texted code, types it; lands on Today.
async fn sign_in_by_code(client: &Client, gateway: &Gateway, phone: &str, slug: &str) {
    open(client, gateway, "/app/login").await;
    type_into(client, "form[action='/app/login'] input[name=phone]", phone).await;
    click(client, "form[action='/app/login'] button[type=submit]").await;
    arrived(client, "form[action='/app/login/code'] input[name=code]").await;
    assert_eq!(value_of(client, "form[action='/app/login/code'] input[name=phone]").await, phone, "kept for the code");
    let code = gateway.texted_code(slug).await;
    type_into(client, "form[action='/app/login/code'] input[name=code]", &code).await;
    click(client, "form[action='/app/login/code'] button[type=submit]").await;
    arrived(client, "nav a[aria-current=page][href='/app']").await;
}

/// Signs in as the owner of `slug` through a sign-in link and its button.
async fn sign_in_by_link(client: &Client, gateway: &Gateway, slug: &str) {
    client.goto(&gateway.owner_link(slug).await).await.unwrap_or_else(|e| panic!("{e}"));
    click(client, "form[action='/app/login/link'] button[type=submit]").await;
    arrived(client, "nav a[aria-current=page][href='/app']").await;
}

/// Signs in at /ops/login with the e-mail and password typed; lands on the overview.
async fn sign_in_as_operator(client: &Client, gateway: &Gateway) {
    open(client, gateway, "/ops/login").await;
    type_into(client, "input[name=email]", OPERATOR).await;
    type_into(client, "input[name=password]", PASSWORD).await;
    click(client, "form[action='/ops/login'] button[type=submit]").await;
    arrived(client, "nav a[aria-current=page][href='/ops']").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_signs_in_with_the_texted_code_and_is_kept_to_their_own_shop() {
    in_browser(|client, gateway| async move {
        gateway.book_today("16:00", "Haircut", "Marco", "Walk In Wanda").await;
        let theirs = "CA0000000000000000000000000browser1";
        gateway.phone_call(theirs, "+15555553333", BRIGHT_SMILE_NUMBER, &[], 40).await;

        open(&client, &gateway, "/app").await;
        assert_eq!(location(&client).await, "/app/login", "signed out: to the sign-in page");
        sign_in_by_code(&client, &gateway, FRESH_CUTS_OWNER, "fresh-cuts").await;
        assert_eq!(location(&client).await, "/app");
        assert!(text_of(&client, "main h1").await.starts_with("Today, "));
        let schedule = text_of(&client, "main").await;
        assert!(schedule.contains("Walk In Wanda") && schedule.contains("Marco"), "{schedule}");
        assert_eq!(text_of(&client, "header strong").await, "Fresh Cuts Barbershop");
        let cookies = client.get_all_cookies().await.unwrap_or_else(|e| panic!("{e}"));
        let session = cookies.iter().find(|cookie| cookie.name() == "fd_session");
        let session = session.unwrap_or_else(|| panic!("no fd_session cookie on plain http: {cookies:?}"));
        assert_eq!((session.http_only(), session.secure()), (Some(true), Some(false)), "{session:?}");

        // Another shop's call, by its URL: not found, as if it did not exist.
        open(&client, &gateway, &format!("/app/calls/{theirs}")).await;
        assert_eq!(text_of(&client, "main h1").await, "No such call");
        assert!(text_of(&client, "main").await.contains("not one of your shop's"));
        assert!(!text_of(&client, "body").await.contains("Bright Smile"));

        // The operator pages send an owner to the operator sign-in.
        for path in ["/ops", "/ops/shops", "/ops/audit"] {
            open(&client, &gateway, path).await;
            assert_eq!(location(&client).await, "/ops/login", "{path}");
            assert_eq!(text_of(&client, "main h1").await, "Operator sign-in");
        }
        // And their own pages still open.
        open(&client, &gateway, "/app/calls").await;
        arrived(&client, "nav a[aria-current=page][href='/app/calls']").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_types_an_invalid_range_for_monday_sees_the_error_beside_it_then_saves_a_valid_one() {
    in_browser(|client, gateway| async move {
        sign_in_by_link(&client, &gateway, "fresh-cuts").await;
        open(&client, &gateway, "/app/settings").await;
        assert_eq!(value_of(&client, "#hours-mon").await, "09:00-18:00");
        let save = "form[action='/app/settings'] button[type=submit]";

        type_into(&client, "#hours-mon", "18:00-09:00").await;
        click(&client, save).await;
        let error = arrived(&client, "#hours-mon-error").await;
        assert!(!text(&error).await.is_empty());
        let beside = "const field = document.getElementById('hours-mon');
            return [field.nextElementSibling.id, field.getAttribute('aria-invalid'),
                field.getAttribute('aria-describedby'), document.querySelectorAll('[id$=-error]').length];";
        let beside = client.execute(beside, vec![]).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(beside, json!(["hours-mon-error", "true", "hours-mon-error", 1]), "beside Monday, only there");
        assert_eq!(value_of(&client, "#hours-mon").await, "18:00-09:00", "what was typed stays");
        assert!(text_of(&client, "p.error[role=alert]").await.starts_with("Nothing was saved"));

        type_into(&client, "#hours-mon", "10:00-14:00, 15:00-19:00").await;
        click(&client, save).await;
        let saved = arrived(&client, "p.ok[role=status]").await;
        assert!(text(&saved).await.starts_with("Saved."));
        assert_eq!(location(&client).await, "/app/settings?saved=1");
        assert_eq!(value_of(&client, "#hours-mon").await, "10:00-14:00, 15:00-19:00", "the page shows what was saved");
        assert!(client.find(Locator::Css("#hours-mon-error")).await.is_err());
        let (_, profile) = gateway.admin(reqwest::Method::GET, "/admin/tenants/fresh-cuts", None).await;
        assert_eq!(profile["profile"]["hours"]["mon"], json!(["10:00-14:00", "15:00-19:00"]), "{profile}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_answers_a_callers_question_and_knowledge_ask_then_returns_it() {
    in_browser(|client, gateway| async move {
        let question = "do you sell gift cards for christmas";
        let sid = "CA0000000000000000000000000browser3";
        let twiml = gateway.phone_call(sid, "+15555551234", FRESH_CUTS_NUMBER, &[question], 30).await;
        assert!(twiml.contains("I don't know that") || twiml.contains("don&apos;t know"), "{twiml}");
        let ask = json!({"question": "can I buy a gift card"});
        let path = "/admin/tenants/fresh-cuts/knowledge/ask";
        let (_, before) = gateway.admin(reqwest::Method::POST, path, Some(&ask)).await;
        assert_eq!(before["outcome"], "not_found", "{before}");

        sign_in_by_link(&client, &gateway, "fresh-cuts").await;
        click(&client, "nav a[href='/app/questions']").await;
        arrived(&client, "nav a[aria-current=page][href='/app/questions']").await;
        let card = "[...document.querySelectorAll('section.card')]
            .find(card => card.innerText.includes(arguments[0]))";
        let form = client
            .execute(&format!("return {card}.querySelector('form').getAttribute('action');"), vec![json!(question)])
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let action = form.as_str().unwrap_or_else(|| panic!("no form for the question: {form}")).to_owned();
        let answer = "Yes, gift cards of any amount are sold at the counter and can be used for every service.";
        type_into(&client, &format!("form[action='{action}'] textarea[name=answer]"), answer).await;
        click(&client, &format!("form[action='{action}'] button[type=submit]")).await;
        arrived(&client, "p.ok[role=status]").await;
        assert_eq!(location(&client).await, "/app/questions?done=1");
        assert!(!text_of(&client, "main").await.contains(question), "answered questions leave the list");

        let (status, reply) = gateway.admin(reqwest::Method::POST, path, Some(&ask)).await;
        assert_eq!(status, 200, "{reply}");
        assert_eq!(reply["outcome"], "answer", "{reply}");
        assert!(reply["answer"].as_str().unwrap_or_default().contains("gift cards of any amount"), "{reply}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_sees_the_mrr_of_the_plans_and_suspends_a_shop_whose_next_call_goes_to_the_owner() {
    in_browser(|client, gateway| async move {
        // The demo shops came on Pro at the start; an hour later one moves
        // down and one up.
        gateway.clock.advance(TimeDelta::hours(1));
        let plans = [("fresh-cuts", Plan::Core), ("bright-smile", Plan::Enterprise)];
        for (slug, plan) in plans {
            gateway.set_plan(slug, plan).await;
        }
        let cents: i64 = plans.iter().map(|(_, plan)| PlanTerms::standard(*plan).monthly_price()).sum();
        let mrr = format!("{}.{:02} USD", cents / 100, cents % 100);
        gateway.add_operator().await;

        sign_in_as_operator(&client, &gateway).await;
        assert_eq!(location(&client).await, "/ops");
        assert_eq!(figure(&client, "MRR").await.0, mrr, "the sum of the plans set above");
        assert_eq!(figure(&client, "Active shops").await.0, "2");

        click(&client, "nav a[href='/ops/shops']").await;
        arrived(&client, "nav a[aria-current=page][href='/ops/shops']").await;
        let answered = call_fresh_cuts(&gateway, "CA0000000000000000000000000browser4").await;
        assert!(answered.contains("<Gather"), "answered by the receptionist before: {answered}");
        click(&client, "form[action='/ops/shops/fresh-cuts/suspend'] button[type=submit]").await;
        arrived(&client, "form[action='/ops/shops/fresh-cuts/resume']").await;
        assert_eq!(location(&client).await, "/ops/shops");
        assert!(text_of(&client, "#shop-fresh-cuts").await.contains("Suspended"));
        assert!(client.find(Locator::Css("form[action='/ops/shops/bright-smile/resume']")).await.is_err());

        let forwarded = call_fresh_cuts(&gateway, "CA0000000000000000000000000browser5").await;
        assert!(forwarded.contains("<Dial"), "{forwarded}");
        assert!(forwarded.contains(&format!("<Number>{FRESH_CUTS_OWNER}</Number>")), "to the owner: {forwarded}");
        assert!(!forwarded.contains("<Gather"), "{forwarded}");
    })
    .await;
}

async fn call_fresh_cuts(gateway: &Gateway, sid: &str) -> String {
    gateway.twilio("/twilio/voice", &[("CallSid", sid), ("From", "+15555551234"), ("To", FRESH_CUTS_NUMBER)]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_marks_a_no_show_on_today_and_insights_shows_the_no_show_rate_change() {
    in_browser(|client, gateway| async move {
        gateway.book_today("12:00", "Haircut", "Marco", "Early Bird").await;
        gateway.book_today("13:00", "Haircut", "Marco", "Late Comer").await;
        // 2 PM in New York: both appointments are over, neither marked.
        gateway.clock.advance(TimeDelta::hours(4));
        sign_in_by_link(&client, &gateway, "fresh-cuts").await;
        open(&client, &gateway, "/app/insights?period=today").await;
        let (rate_before, detail_before) = figure(&client, "No-show rate").await;
        assert!(detail_before.contains("0 of 0 no-shows; 2 not marked yet"), "{rate_before}: {detail_before}");

        click(&client, "nav a[href='/app']").await;
        arrived(&client, "nav a[aria-current=page][href='/app']").await;
        assert_eq!(attendance_shown(&client, "Late Comer").await, "Not marked yet");
        mark_attendance(&client, "Early Bird", "completed").await;
        arrived(&client, "main tbody .status.completed").await;
        mark_attendance(&client, "Late Comer", "no_show").await;
        arrived(&client, "main tbody .status.no_show").await;
        assert_eq!(location(&client).await, "/app", "back on Today");
        assert_eq!(attendance_shown(&client, "Early Bird").await, "Completed");
        assert_eq!(attendance_shown(&client, "Late Comer").await, "No-show");

        click(&client, "nav a[href='/app/insights']").await;
        arrived(&client, "nav a[aria-current=page][href='/app/insights']").await;
        click(&client, "nav.periods a[href='/app/insights?period=today']").await;
        arrived(&client, "nav.periods a[aria-current=page][href='/app/insights?period=today']").await;
        let (rate, detail) = figure(&client, "No-show rate").await;
        assert_ne!(rate, rate_before, "{detail}");
        assert_eq!(rate, "50 %", "{detail}");
        assert!(detail.contains("1 of 2 no-shows; 0 not marked yet"), "{detail}");
    })
    .await;
}

/// The script expression for Today's row of `customer`'s appointment.
fn today_row(customer: &str) -> String {
    format!("[...document.querySelectorAll('main tbody tr')].find(row => row.innerText.includes({customer:?}))")
}

/// The status Today shows for `customer`'s appointment.
async fn attendance_shown(client: &Client, customer: &str) -> String {
    let script = format!("return {}.querySelector('.status').innerText.trim();", today_row(customer));
    let shown = client.execute(&script, vec![]).await.unwrap_or_else(|e| panic!("{e}"));
    shown.as_str().unwrap_or_default().to_owned()
}

/// Taps the `status` button (`completed` or `no_show`) on `customer`'s row.
async fn mark_attendance(client: &Client, customer: &str, status: &str) {
    let script = format!(
        "return {}.querySelector('input[name=status][value={status}]').form.getAttribute('action');",
        today_row(customer)
    );
    let action = client.execute(&script, vec![]).await.unwrap_or_else(|e| panic!("{e}"));
    let action = action.as_str().unwrap_or_else(|| panic!("no {status} button for {customer}: {action}"));
    click(client, &format!("form[action='{action}']:has(input[value={status}]) button[type=submit]")).await;
}

/// A morning at Fresh Cuts: appointments today (two of them over by the
/// end), calls that booked, asked what the shop does not say and asked
/// about parking, one call at Bright Smile, and Bright Smile on Core.
/// Leaves the clock at 1:15 PM in New York, one of the two appointments
/// already over marked completed.
async fn seed_a_busy_morning(gateway: &Gateway) {
    let mut appointments = Vec::new();
    for (time, service, staff, customer) in [
        ("11:15", "Haircut", "Marco", "Ana Lima"),
        ("11:30", "Skin fade", "Dee", "Sam Okafor"),
        ("14:00", "Beard trim", "Marco", "Joe Park"),
        ("16:30", "Haircut", "Dee", "Rita Moreno"),
    ] {
        appointments.push(gateway.book_today(time, service, staff, customer).await);
    }
    let calls: [(&str, &str, &[&str], u32); 5] = [
        ("+15555553301", FRESH_CUTS_NUMBER, &["a haircut tomorrow at 10 am", "Dana Scully", "yes"], 74),
        ("+15555553302", FRESH_CUTS_NUMBER, &["is there parking"], 38),
        ("+15555553303", FRESH_CUTS_NUMBER, &["a skin fade tomorrow at 2 pm", "Fox Mulder", "yes"], 91),
        ("+15555553304", FRESH_CUTS_NUMBER, &["do you sell gift cards"], 45),
        ("+15555553305", BRIGHT_SMILE_NUMBER, &[], 20),
    ];
    for (index, (from, to, said, seconds)) in calls.into_iter().enumerate() {
        gateway.clock.advance(TimeDelta::minutes(17));
        let sid = format!("CA00000000000000000000000seeded{index:04}");
        gateway.phone_call(&sid, from, to, said, seconds).await;
    }
    gateway.set_plan("bright-smile", Plan::Core).await;
    gateway.clock.set(start_time() + TimeDelta::minutes(3 * 60 + 15));
    // Ana came; Sam is still to be marked.
    let path = format!("/admin/tenants/fresh-cuts/bookings/{}/attendance", appointments[0]);
    let (status, reply) = gateway.admin(reqwest::Method::POST, &path, Some(&json!({"status": "completed"}))).await;
    assert_eq!(status, 200, "{reply}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_phone_no_owner_page_and_no_operator_page_scrolls_sideways() {
    in_browser(|client, gateway| async move {
        seed_a_busy_morning(&gateway).await;
        gateway.add_operator().await;
        sign_in_by_link(&client, &gateway, "fresh-cuts").await;
        client.set_window_size(PHONE.0, PHONE.1).await.unwrap_or_else(|e| panic!("{e}"));
        // The page must not scroll sideways, and no control may sit outside
        // the screen (inside a table that scrolls on its own, say).
        let fits = "return {width: window.innerWidth, page: document.documentElement.scrollWidth,
            title: document.title,
            controls: Math.max(0, ...[...document.querySelectorAll('button, input, select, textarea, a')]
                .filter(e => e.offsetParent !== null).map(e => Math.ceil(e.getBoundingClientRect().right)))};";
        let call = "/app/calls/CA00000000000000000000000seeded0000";
        let owner_pages = [
            "/app",
            "/app/insights",
            "/app/calls",
            call,
            "/app/bookings",
            "/app/questions",
            "/app/settings",
            "/app/plan",
        ];
        let mut checked = Vec::new();
        for path in owner_pages {
            open(&client, &gateway, path).await;
            checked.push((path, client.execute(fits, vec![]).await.unwrap_or_else(|e| panic!("{e}"))));
        }
        sign_in_as_operator(&client, &gateway).await;
        for path in ["/ops", "/ops/shops", "/ops/alerts", "/ops/calls", "/ops/audit"] {
            open(&client, &gateway, path).await;
            checked.push((path, client.execute(fits, vec![]).await.unwrap_or_else(|e| panic!("{e}"))));
        }
        let mut wide = Vec::new();
        for (path, shown) in &checked {
            assert_eq!(shown["width"], PHONE.0, "{path}: {shown}");
            let title = shown["title"].as_str().unwrap_or_default();
            assert!(!title.starts_with("Sign in") && !title.starts_with("No such"), "{path} opened: {shown}");
            if shown["page"].as_u64().unwrap_or(u64::MAX) > u64::from(PHONE.0)
                || shown["controls"].as_u64().unwrap_or(u64::MAX) > u64::from(PHONE.0)
            {
                wide.push(format!("{path}: {shown}"));
            }
        }
        assert!(wide.is_empty(), "these scroll sideways, or hide a control, at {} px: {wide:#?}", PHONE.0);
    })
    .await;
}

/// Rewrites `docs/screenshots/*.png`: the owner's Today, Insights, Calls and
/// Settings and the operator's overview and shops, at a desktop's and a
/// phone's width, over `seed_a_busy_morning`. Run by `just screenshots`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "writes docs/screenshots/; run with `just screenshots`"]
async fn screenshots() {
    in_browser(|client, gateway| async move {
        let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
        std::fs::create_dir_all(&out).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
        seed_a_busy_morning(&gateway).await;
        gateway.add_operator().await;
        let owner_pages = [
            ("owner-today", "/app"),
            ("owner-insights", "/app/insights"),
            ("owner-calls", "/app/calls"),
            ("owner-settings", "/app/settings"),
        ];
        let ops_pages = [("ops-overview", "/ops"), ("ops-shops", "/ops/shops")];
        sign_in_by_link(&client, &gateway, "fresh-cuts").await;
        shoot(&client, &gateway, &out, &owner_pages).await;
        sign_in_as_operator(&client, &gateway).await;
        shoot(&client, &gateway, &out, &ops_pages).await;
        println!("screenshots written to {}", out.display());
    })
    .await;
}

/// Each page at the desktop's size, then at the phone's: `NAME-desktop.png`
/// and `NAME-phone.png`, the top of the page as it first shows.
async fn shoot(client: &Client, gateway: &Gateway, out: &Path, pages: &[(&str, &str)]) {
    for (size, (width, height)) in [("desktop", DESKTOP), ("phone", PHONE)] {
        client.set_window_size(width, height).await.unwrap_or_else(|e| panic!("{e}"));
        for (name, path) in pages {
            open(client, gateway, path).await;
            let png = client.screenshot().await.unwrap_or_else(|e| panic!("{path}: {e}"));
            let file = out.join(format!("{name}-{size}.png"));
            std::fs::write(&file, png).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        }
    }
}
