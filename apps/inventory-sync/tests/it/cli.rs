//! The `inventory-sync` binary as an owner runs it: its output, its files,
//! its exit codes.

use std::path::Path;
use std::process::Output;

fn run(dir: &Path, args: &[&str]) -> Output {
    run_with(dir, args, &[])
}

/// Runs the binary in `dir` with only `PATH` and `env` set.
fn run_with(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_inventory-sync"))
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_demo_syncs_into_the_local_workbook_and_again_changes_nothing() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let first = run(dir.path(), &["sync", "--demo"]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let said = text(&first.stdout);
    assert!(said.contains("fetched 140 products"), "{said}");
    assert!(said.contains("the changes written in 4 requests (data/workbook)"), "{said}");
    let workbook = dir.path().join("data/workbook");
    for sheet in ["Inventory", "RestockList", "Config", "SalesLog"] {
        assert!(workbook.join(format!("{sheet}.csv")).exists(), "{sheet}.csv");
    }
    let inventory = std::fs::read_to_string(workbook.join("Inventory.csv")).unwrap_or_default();
    assert_eq!(inventory.lines().count(), 141, "a header and 140 variants");
    assert!(inventory.contains("Wall A-1") && inventory.contains("Rack B-"), "the demo shop's shelf locations");

    let second = run(dir.path(), &["sync", "--demo"]);
    assert_eq!(second.status.code(), Some(0), "{}", text(&second.stderr));
    assert!(text(&second.stdout).contains("fetched 0 products"), "{}", text(&second.stdout));
    assert!(
        text(&second.stdout).contains("0 added, 0 changed, 0 removed; 0 sale lines applied"),
        "{}",
        text(&second.stdout)
    );
    assert_eq!(std::fs::read_to_string(workbook.join("Inventory.csv")).unwrap_or_default(), inventory);
}

#[test]
fn without_credentials_the_sync_says_what_to_set() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let output = run(dir.path(), &["sync"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("FRONTDESK_LIGHTSPEED_DOMAIN_PREFIX"), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("sync --demo"));
    assert!(!dir.path().join("data").exists(), "nothing written");
    let sheet = run(dir.path(), &["--spreadsheet", "abc", "sync", "--demo"]);
    assert_eq!(sheet.status.code(), Some(2));
    assert!(text(&sheet.stderr).contains("FRONTDESK_GOOGLE_SERVICE_ACCOUNT_FILE"), "{}", text(&sheet.stderr));
}

#[test]
fn csv_export_and_import_round_trip_and_an_invalid_file_changes_nothing() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(run(dir.path(), &["sync", "--demo"]).status.code(), Some(0));
    let exported = run(dir.path(), &["export-csv", "out.csv"]);
    assert_eq!(exported.status.code(), Some(0), "{}", text(&exported.stderr));
    let csv = std::fs::read_to_string(dir.path().join("out.csv")).unwrap_or_default();
    assert_eq!(csv.lines().count(), 141);

    let other = run(dir.path(), &["--workbook", "copy", "import-csv", "out.csv"]);
    assert_eq!(other.status.code(), Some(0), "{}", text(&other.stderr));
    assert!(text(&other.stdout).contains("imported 140 rows"), "{}", text(&other.stdout));
    let again = run(dir.path(), &["--workbook", "copy", "export-csv", "-"]);
    assert_eq!(text(&again.stdout), csv, "export → import → export gives the same file");

    let before = std::fs::read_to_string(dir.path().join("copy/Inventory.csv")).unwrap_or_default();
    let bad = "SKU,Name,Price\nX-1,Tee,abc\n";
    std::fs::write(dir.path().join("bad.csv"), bad).unwrap_or_else(|e| panic!("{e}"));
    let refused = run(dir.path(), &["--workbook", "copy", "import-csv", "bad.csv"]);
    assert_eq!(refused.status.code(), Some(2));
    let why = text(&refused.stderr);
    assert!(why.contains("nothing was imported") && why.contains("QtyOnHand"), "{why}");
    assert_eq!(std::fs::read_to_string(dir.path().join("copy/Inventory.csv")).unwrap_or_default(), before);

    std::fs::write(dir.path().join("empty.csv"), "").unwrap_or_else(|e| panic!("{e}"));
    let empty = run(dir.path(), &["--workbook", "copy", "import-csv", "empty.csv"]);
    assert_eq!(empty.status.code(), Some(2), "{}", text(&empty.stderr));
    let missing = run(dir.path(), &["--workbook", "copy", "import-csv", "nope.csv"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("cannot read nope.csv"));
}

#[test]
fn serve_refuses_an_interval_it_cannot_read_and_an_address_it_cannot_use() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for (every, says) in [("15", "like 15m, 1h or 1h30m"), ("0m", "more than zero"), ("soon", "is not a duration")] {
        let output = run(dir.path(), &["serve", "--demo", "--every", every]);
        assert_eq!(output.status.code(), Some(2), "{every}");
        assert!(text(&output.stderr).contains(says), "{every}: {}", text(&output.stderr));
    }
    let output = run(dir.path(), &["serve", "--demo", "--addr", "localhost"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("--addr"), "{}", text(&output.stderr));
    // Outside the demo the page shows a shop's stock and its value: it needs an access token.
    let output = run(dir.path(), &["serve"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("FRONTDESK_INVENTORY_ACCESS_TOKEN is required"), "{}", text(&output.stderr));
    assert!(!dir.path().join("data").exists(), "nothing synced");
}

#[test]
fn cursors_live_in_the_store_and_belong_to_one_workbook() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let first = run(dir.path(), &["sync", "--demo"]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    assert!(dir.path().join("data/frontdesk.db").exists(), "the embedded store under data/");
    let second = run(dir.path(), &["sync", "--demo"]);
    assert!(text(&second.stdout).contains("the workbook was already up to date"), "{}", text(&second.stdout));

    let other = run(dir.path(), &["--workbook", "elsewhere", "sync", "--demo"]);
    assert_eq!(other.status.code(), Some(0), "{}", text(&other.stderr));
    assert!(
        text(&other.stdout).contains("fetched 140 products"),
        "a new workbook starts over: {}",
        text(&other.stdout)
    );
    let rows = std::fs::read_to_string(dir.path().join("elsewhere/Inventory.csv")).unwrap_or_default();
    assert_eq!(rows.lines().count(), 141, "and gets every row");
}

#[test]
fn settings_come_from_frontdesk_toml_and_the_environment_wins() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.path().join("frontdesk.toml"), "workbook_dir = \"from-file\"\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let synced = run(dir.path(), &["sync", "--demo"]);
    assert_eq!(synced.status.code(), Some(0), "{}", text(&synced.stderr));
    assert!(dir.path().join("from-file/Inventory.csv").exists(), "the file's workbook_dir");
    let env = run_with(dir.path(), &["export-csv", "-"], &[("FRONTDESK_WORKBOOK_DIR", "from-env")]);
    assert_eq!(env.status.code(), Some(0), "{}", text(&env.stderr));
    assert_eq!(text(&env.stdout).lines().count(), 1, "the environment's empty workbook: only the header");

    let bad = run_with(dir.path(), &["sync", "--demo"], &[("FRONTDESK_DATABASE_URL", "mysql://db/frontdesk")]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("FRONTDESK_DATABASE_URL"), "{}", text(&bad.stderr));
    let typo = run_with(dir.path(), &["serve", "--demo"], &[("FRONTDESK_SYNC_EVERY", "soon")]);
    assert_eq!(typo.status.code(), Some(2));
    assert!(text(&typo.stderr).contains("FRONTDESK_SYNC_EVERY"), "{}", text(&typo.stderr));
}

const OAUTH: [(&str, &str); 3] = [
    ("FRONTDESK_LIGHTSPEED_DOMAIN_PREFIX", "sneakerden"),
    ("FRONTDESK_LIGHTSPEED_CLIENT_ID", "frontdesk-inventory-sync"),
    ("FRONTDESK_LIGHTSPEED_CLIENT_SECRET", "cs_5ecret"),
];

#[test]
fn connect_prints_the_page_to_approve_and_says_what_is_missing() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let personal = run_with(
        dir.path(),
        &["connect"],
        &[("FRONTDESK_LIGHTSPEED_DOMAIN_PREFIX", "sneakerden"), ("FRONTDESK_LIGHTSPEED_TOKEN", "lsxs_pt_x")],
    );
    assert_eq!(personal.status.code(), Some(2));
    assert!(text(&personal.stderr).contains("needs no connecting"), "{}", text(&personal.stderr));
    let no_redirect = run_with(dir.path(), &["connect"], &OAUTH);
    assert_eq!(no_redirect.status.code(), Some(2));
    assert!(text(&no_redirect.stderr).contains("--redirect-uri"), "{}", text(&no_redirect.stderr));

    let page = run_with(dir.path(), &["connect", "--redirect-uri", "https://example.com/cb"], &OAUTH);
    assert_eq!(page.status.code(), Some(0), "{}", text(&page.stderr));
    let said = text(&page.stdout);
    assert!(
        said.contains("https://secure.retail.lightspeed.app/connect?response_type=code&client_id=frontdesk-inventory-sync&redirect_uri=https%3A%2F%2Fexample.com%2Fcb&state="),
        "{said}"
    );
    assert!(!dir.path().join("data").exists(), "printing the page opens no store");
}

/// A token endpoint that trades `code-1` for `rt-1`, then rotates
/// `rt-n` into `rt-(n+1)`; and the demo till behind the access tokens.
async fn oauth_fakes() -> (wiremock::MockServer, String) {
    use wiremock::matchers::{body_string_contains, method, path};
    use wiremock::{Mock, ResponseTemplate};
    let tokens = wiremock::MockServer::start().await;
    let grant = |access: &str, refresh: &str| {
        ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": access, "token_type": "Bearer", "expires_in": 86_400, "refresh_token": refresh
        }))
    };
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("grant_type=authorization_code"))
        .and(body_string_contains("code=code-1"))
        .respond_with(grant("at-1", "rt-1"))
        .mount(&tokens)
        .await;
    for n in 1..4 {
        Mock::given(method("POST"))
            .and(path("/token"))
            .and(body_string_contains(format!("refresh_token=rt-{n}").as_str()))
            .respond_with(grant(&format!("at-{}", n + 1), &format!("rt-{}", n + 1)))
            .mount(&tokens)
            .await;
    }
    let till = crate::sync::serve_fake(inventory_sync::demo::DemoCatalog::generate(
        inventory_sync::demo::DEMO_SEED,
        inventory_sync::demo::demo_now(),
    ))
    .await;
    (tokens, till)
}

fn refresh_tokens_sent(requests: &[wiremock::Request]) -> Vec<String> {
    requests
        .iter()
        .filter_map(|request| {
            url::form_urlencoded::parse(&request.body)
                .find(|(key, _)| key == "refresh_token")
                .map(|(_, v)| v.into_owned())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connected_shop_syncs_with_the_rotating_refresh_token_kept_in_the_store() {
    let (tokens, till) = oauth_fakes().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let token_url = format!("{}/token", tokens.uri());
    let mut env: Vec<(&str, &str)> = OAUTH.to_vec();
    env.extend([
        ("FRONTDESK_LIGHTSPEED_TOKEN_URL", token_url.as_str()),
        ("FRONTDESK_LIGHTSPEED_BASE_URL", till.as_str()),
        ("FRONTDESK_LIGHTSPEED_REDIRECT_URI", "https://example.com/cb"),
    ]);
    let path = dir.path().to_path_buf();
    let env_owned: Vec<(String, String)> = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    let cli = move |args: &'static [&'static str]| {
        let path = path.clone();
        let env = env_owned.clone();
        tokio::task::spawn_blocking(move || {
            let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            run_with(&path, args, &env)
        })
    };

    let unconnected = cli(&["sync"]).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(unconnected.status.code(), Some(1));
    assert!(text(&unconnected.stderr).contains("connect the shop first"), "{}", text(&unconnected.stderr));

    let connected = cli(&["connect", "--code", "code-1"]).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(connected.status.code(), Some(0), "{}", text(&connected.stderr));
    assert!(text(&connected.stdout).contains("stored in the sqlite store"), "{}", text(&connected.stdout));

    for expected in ["fetched 140 products", "fetched 0 products"] {
        let synced = cli(&["sync"]).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(synced.status.code(), Some(0), "{}", text(&synced.stderr));
        assert!(text(&synced.stdout).contains(expected), "{}", text(&synced.stdout));
    }
    let requests = tokens.received_requests().await.unwrap_or_default();
    assert_eq!(
        refresh_tokens_sent(&requests),
        ["rt-1", "rt-2"],
        "each run refreshes with the token the previous one stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_token_from_the_settings_seeds_an_empty_store_once() {
    let (tokens, till) = oauth_fakes().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let token_url = format!("{}/token", tokens.uri());
    let mut env: Vec<(String, String)> = OAUTH.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    env.extend([
        ("FRONTDESK_LIGHTSPEED_TOKEN_URL".to_owned(), token_url),
        ("FRONTDESK_LIGHTSPEED_BASE_URL".to_owned(), till),
        ("FRONTDESK_LIGHTSPEED_REFRESH_TOKEN".to_owned(), "rt-1".to_owned()),
    ]);
    for _ in 0..2 {
        let path = dir.path().to_path_buf();
        let env = env.clone();
        let synced = tokio::task::spawn_blocking(move || {
            let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            run_with(&path, &["sync"], &env)
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(synced.status.code(), Some(0), "{}", text(&synced.stderr));
    }
    let requests = tokens.received_requests().await.unwrap_or_default();
    assert_eq!(refresh_tokens_sent(&requests), ["rt-1", "rt-2"], "the second run uses the stored, rotated token");
}
