//! The embeddings wire against a local fake speaking OpenAI's shapes: the
//! request, the reply in index order, batches, and every failure classified
//! (retried when it may pass, never when it cannot).

use std::time::Duration;

use frontdesk_openai::{OpenAi, OpenAiConfig, OpenAiError, SetupError};
use frontdesk_rag::{EmbedError, Embedder};
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const KEY: &str = "sk-test-not-a-real-key";

fn client(server: &MockServer, dims: Option<usize>) -> OpenAi {
    let config = OpenAiConfig {
        base_url: format!("{}/v1", server.uri()),
        timeout: Duration::from_secs(5),
        retries: 2,
        embed_dims: dims,
        ..OpenAiConfig::new(KEY)
    };
    OpenAi::new(config).unwrap_or_else(|e| panic!("{e}"))
}

/// OpenAI's reply for `inputs`, items given in `order`, each vector `[i+1, 0, 0, …]`.
fn reply(count: usize, dims: usize, order: &[usize]) -> Value {
    let data: Vec<Value> = order
        .iter()
        .take(count)
        .map(|&i| {
            let mut v = vec![0.0_f32; dims];
            v[0] = (i + 1) as f32;
            if dims > 1 {
                v[1] = 1.0;
            }
            json!({"object": "embedding", "index": i, "embedding": v})
        })
        .collect();
    json!({"object": "list", "data": data, "model": "text-embedding-3-small", "usage": {"prompt_tokens": 7 * count, "total_tokens": 7 * count}})
}

fn error(status: u16, code: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_json(json!({"error": {"message": message, "type": "requests", "param": null, "code": code}}))
}

fn texts(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("passage {i}")).collect()
}

#[tokio::test]
async fn the_request_is_openais_and_the_reply_comes_back_in_input_order_at_unit_length() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/embeddings"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(body_partial_json(json!({"model": "text-embedding-3-small", "input": ["passage 0", "passage 1", "passage 2"], "encoding_format": "float", "dimensions": 4})))
        .respond_with(ResponseTemplate::new(200).set_body_json(reply(3, 4, &[2, 0, 1])))
        .expect(1)
        .mount(&server)
        .await;
    let openai = client(&server, Some(4));
    assert_eq!((Embedder::model_id(&openai), openai.dims()), ("text-embedding-3-small@4", 4));
    let embedded = openai.embed(&texts(3)).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(embedded.tokens, 21);
    let firsts: Vec<f32> = embedded.vectors.iter().map(|v| (v[0] * 1000.0).round() / 1000.0).collect();
    // [i+1, 1, 0, 0] scaled to unit length: in input order, not reply order.
    let expected: Vec<f32> = (1..=3)
        .map(|i: i32| {
            let i = i as f32;
            ((i / (i * i + 1.0).sqrt()) * 1000.0).round() / 1000.0
        })
        .collect();
    assert_eq!(firsts, expected);
    for vector in &embedded.vectors {
        let norm: f32 = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "{norm}");
    }
}

#[tokio::test]
async fn more_than_2048_inputs_go_in_several_requests() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/embeddings"))
        .respond_with(|request: &Request| {
            let body: Value = serde_json::from_slice(&request.body).unwrap_or_default();
            let count = body["input"].as_array().map_or(0, Vec::len);
            let order: Vec<usize> = (0..count).collect();
            ResponseTemplate::new(200).set_body_json(reply(count, 2, &order))
        })
        .expect(2)
        .mount(&server)
        .await;
    let embedded = client(&server, Some(2)).embeddings(&texts(2_500)).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(embedded.vectors.len(), 2_500);
    assert_eq!(embedded.tokens, 7 * 2_500);
    let requests = server.received_requests().await.unwrap_or_default();
    let sizes: Vec<usize> = requests
        .iter()
        .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap_or_default()["input"].as_array().map_or(0, Vec::len))
        .collect();
    assert_eq!(sizes, [2_048, 452]);
}

#[tokio::test]
async fn a_rate_limit_is_waited_out_and_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(error(429, "rate_limit_exceeded", "Rate limit reached").insert_header("retry-after-ms", "20"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(reply(1, 2, &[0])))
        .expect(1)
        .mount(&server)
        .await;
    let embedded = client(&server, Some(2)).embeddings(&texts(1)).await;
    assert_eq!(embedded.map(|e| e.vectors.len()).ok(), Some(1));
}

#[tokio::test]
async fn failures_are_classified_and_only_passing_ones_retried() {
    // No quota: one request, no retry.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(error(429, "insufficient_quota", "You exceeded your current quota"))
        .expect(1)
        .mount(&server)
        .await;
    let quota = client(&server, Some(2)).embeddings(&texts(1)).await;
    assert!(matches!(&quota, Err(OpenAiError::Quota(m)) if m.contains("insufficient_quota")), "{quota:?}");

    // A bad key: refused at once.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(error(401, "invalid_api_key", "Incorrect API key provided"))
        .expect(1)
        .mount(&server)
        .await;
    let refused = client(&server, Some(2)).embed(&texts(1)).await;
    assert!(matches!(refused, Err(EmbedError::Refused(_))), "{refused:?}");

    // An outage: retried twice, then Unavailable (two calls: six requests).
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_string("upstream connect error"))
        .expect(6)
        .mount(&server)
        .await;
    let down = client(&server, Some(2)).embeddings(&texts(1)).await;
    assert!(matches!(&down, Err(OpenAiError::Unavailable(m)) if m.contains("503")), "{down:?}");
    assert!(matches!(client(&server, Some(2)).embed(&texts(1)).await, Err(EmbedError::Unavailable(_))));

    // x-should-retry: false has the last word.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).insert_header("x-should-retry", "false"))
        .expect(1)
        .mount(&server)
        .await;
    assert!(matches!(client(&server, Some(2)).embeddings(&texts(1)).await, Err(OpenAiError::Unavailable(_))));

    // A reply that does not add up is never guessed at.
    for bad in [reply(1, 2, &[0]), reply(2, 3, &[0, 1]), json!({"data": "nope"})] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(bad.clone()))
            .mount(&server)
            .await;
        let invalid = client(&server, Some(2)).embeddings(&texts(2)).await;
        assert!(matches!(invalid, Err(OpenAiError::Invalid(_))), "{bad}: {invalid:?}");
    }
}

#[tokio::test]
async fn a_compatible_server_needs_only_its_base_url_and_a_bad_setup_is_refused() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/embeddings"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"data": [{"index": 0, "embedding": [3.0, 4.0]}]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let config =
        OpenAiConfig { base_url: format!("{}/api/v1/", server.uri()), embed_dims: None, ..OpenAiConfig::new(KEY) };
    let local = OpenAi::new(config).unwrap_or_else(|e| panic!("{e}"));
    let embedded = local.embeddings(&texts(1)).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((embedded.vectors, embedded.tokens), (vec![vec![0.6, 0.8]], 0), "no usage reported: 0 tokens");

    assert!(matches!(
        OpenAi::new(OpenAiConfig { base_url: "ftp://x".into(), ..OpenAiConfig::new(KEY) }),
        Err(SetupError::BaseUrl(_))
    ));
    assert!(matches!(OpenAi::new(OpenAiConfig::new(" ")), Err(SetupError::Key)));
    let debug = format!("{local:?}");
    assert!(!debug.contains(KEY), "{debug}");
}
