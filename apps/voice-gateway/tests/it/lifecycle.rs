//! Graceful shutdown and request timeouts, with a raw TCP client that sends
//! its request body slowly so the request is provably in flight.

use std::collections::HashMap;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use voice_gateway::{Application, RunningGateway, Settings};

use crate::support::{SECRET, shop_json, token_at};

async fn start(timeout_secs: u64) -> (RunningGateway, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let env: HashMap<String, String> = [
        ("FRONTDESK_HTTP_ADDR", "127.0.0.1:0".to_owned()),
        ("FRONTDESK_DATABASE_URL", format!("sqlite://{}", dir.path().join("f.db").display())),
        ("FRONTDESK_ADMIN_JWT_SECRET", SECRET.to_owned()),
        ("FRONTDESK_TWILIO_AUTH_TOKEN", "token".to_owned()),
        ("FRONTDESK_STRIPE_WEBHOOK_SECRET", "whsec_test".to_owned()),
        ("FRONTDESK_PUBLIC_BASE_URL", "https://frontdesk.example.com".to_owned()),
        ("FRONTDESK_REQUEST_TIMEOUT_SECS", timeout_secs.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let settings = Settings::from_sources(None, env).unwrap_or_else(|e| panic!("{e}"));
    let application = Application::build(&settings).await.unwrap_or_else(|e| panic!("{e:#}"));
    (application.spawn().unwrap_or_else(|e| panic!("{e}")), dir)
}

/// Sends the head of a PUT now; the caller sends the body later.
async fn begin_put(addr: std::net::SocketAddr, body_len: usize) -> TcpStream {
    let token = token_at("admin", chrono::Utc::now(), 60);
    let mut stream = TcpStream::connect(addr).await.unwrap_or_else(|e| panic!("{e}"));
    let head = format!(
        "PUT /admin/tenants/slow-shop HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {body_len}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap_or_else(|e| panic!("{e}"));
    stream
}

async fn read_response(stream: &mut TcpStream) -> String {
    let mut response = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response)).await;
    String::from_utf8_lossy(&response).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_in_flight_requests_finish() {
    let (mut gateway, _dir) = start(10).await;
    let addr = gateway.addr;
    let body = shop_json("slow-shop", &[]).to_string();
    let mut stream = begin_put(addr, body.len()).await;
    // Half the body is on the wire when shutdown begins.
    let (first, rest) = body.as_bytes().split_at(body.len() / 2);
    stream.write_all(first).await.unwrap_or_else(|e| panic!("{e}"));
    tokio::time::sleep(Duration::from_millis(100)).await;
    gateway.begin_shutdown();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!gateway.is_finished(), "the server waits for the in-flight request");

    stream.write_all(rest).await.unwrap_or_else(|e| panic!("{e}"));
    let response = read_response(&mut stream).await;
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    let finished = tokio::time::timeout(Duration::from_secs(5), gateway.shutdown()).await;
    assert!(matches!(finished, Ok(Ok(()))), "then it stops: {finished:?}");
    assert!(TcpStream::connect(addr).await.is_err(), "and accepts nothing new");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_that_take_too_long_get_408() {
    let (gateway, _dir) = start(1).await;
    let mut stream = begin_put(gateway.addr, 100).await;
    // Never send the body: the request times out after one second.
    let response = read_response(&mut stream).await;
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    assert!(response.contains("\"code\":\"timeout\""), "{response}");
}
