//! `adminctl operator add` (the password from standard input) and
//! `adminctl owner login-link`.

use std::process::Stdio;

use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use crate::{SECRET, adminctl, gateway};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_is_added_with_a_password_from_standard_input_and_an_owner_link_printed() {
    let gw = gateway(true).await;
    let add = |password: &'static str| {
        let url = gw.url.clone();
        async move {
            let mut child = Command::new(env!("CARGO_BIN_EXE_adminctl"))
                .env_clear()
                .env("FRONTDESK_ADMIN_URL", &url)
                .env("FRONTDESK_ADMIN_JWT_SECRET", SECRET)
                .args(["operator", "add", "Ops@Frontdesk.example"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| panic!("{e}"));
            if let Some(mut stdin) = child.stdin.take() {
                stdin.write_all(password.as_bytes()).await.unwrap_or_else(|e| panic!("{e}"));
            }
            child.wait_with_output().await.unwrap_or_else(|e| panic!("{e}"))
        }
    };
    let added = add("correct horse battery\n").await;
    assert_eq!(added.status.code(), Some(0), "{}", String::from_utf8_lossy(&added.stderr));
    assert!(String::from_utf8_lossy(&added.stdout).contains("operator ops@frontdesk.example can sign in"));
    let short = add("short\n").await;
    assert_eq!(short.status.code(), Some(1), "the gateway refuses it");
    assert!(String::from_utf8_lossy(&short.stderr).contains("12 characters"));
    let empty = add("").await;
    assert_eq!(empty.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&empty.stderr).contains("no password on standard input"));

    let link = adminctl(&gw.url, Some(SECRET), &["owner", "login-link", "fresh-cuts"]).await;
    assert_eq!(link.code, Some(0), "{}", link.stderr);
    assert!(link.stdout.starts_with("https://frontdesk.example.com/app/login/link?token="), "{}", link.stdout);
    assert!(link.stdout.contains("or the code "), "{}", link.stdout);
    let missing = adminctl(&gw.url, Some(SECRET), &["owner", "login-link", "no-such-shop"]).await;
    assert_eq!(missing.code, Some(1), "{}", missing.stderr);
}
