//! The knowledge evaluation (`frontdesk_rag::eval`) through this adapter.
//! Against a local fake of `POST /v1/embeddings` that serves the hashing
//! embedder's vectors in OpenAI's reply shape, the figures must be those of
//! the in-process hashing run, exactly: the wire, the batches, the order of
//! the items and the unit length all on the path. With a key, and only when
//! run on purpose (`just eval-knowledge`), against the real provider.

use std::path::{Path, PathBuf};
use std::time::Duration;

use frontdesk_openai::{MAX_INPUTS_PER_REQUEST, OpenAi, OpenAiConfig};
use frontdesk_rag::eval::{EvalReport, EvalSet, Figures, MAX_EMBED_INPUTS, QuestionOutcome, evaluate};
use frontdesk_rag::{Embedder, HASHING_MODEL_PREFIX, HashingEmbedder, SourceRef, Verdict};
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const KEY: &str = "sk-test-not-a-real-key";

/// OpenAI's price for `text-embedding-3-small`, in US dollars per million tokens.
const SMALL_DOLLARS_PER_MILLION: f64 = 0.02;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// What the fake bills for a text: its words (any count the test can
/// redo shows that usage is carried through and summed).
fn fake_tokens(text: &str) -> u64 {
    text.split_whitespace().count() as u64
}

/// The fake provider: each input's hashing vector, in OpenAI's reply shape,
/// the items listed last input first (the adapter must put them in order).
fn hashing_reply(request: &Request) -> ResponseTemplate {
    let body: Value = serde_json::from_slice(&request.body).unwrap_or_default();
    let inputs: Vec<&str> =
        body["input"].as_array().map_or_else(Vec::new, |a| a.iter().filter_map(Value::as_str).collect());
    let Some(dims) = body["dimensions"].as_u64() else {
        return ResponseTemplate::new(400)
            .set_body_json(json!({"error": {"message": "dimensions missing", "code": null}}));
    };
    let embedder = HashingEmbedder::new(dims as usize);
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .rev()
        .map(|(index, text)| json!({"object": "embedding", "index": index, "embedding": embedder.embed_one(text)}))
        .collect();
    let tokens: u64 = inputs.iter().map(|text| fake_tokens(text)).sum();
    ResponseTemplate::new(200).set_body_json(json!({
        "object": "list",
        "data": data,
        "model": body["model"],
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }))
}

/// Each question's verdict and first source.
fn verdicts(report: &EvalReport) -> Vec<(Verdict, Option<String>)> {
    report.outcomes.iter().map(|o| (o.verdict, o.first_source().map(SourceRef::id))).collect()
}

#[tokio::test]
async fn the_evaluation_through_openais_wire_has_the_in_process_hashing_figures() {
    let set = EvalSet::load(&fixtures()).unwrap_or_else(|e| panic!("{e}"));
    let hashing = HashingEmbedder::default();
    let in_process = evaluate(&set, Some(&hashing)).await.unwrap_or_else(|e| panic!("{e}"));

    let server = MockServer::start().await;
    let model = HASHING_MODEL_PREFIX.trim_end_matches('@');
    Mock::given(method("POST"))
        .and(path("/v1/embeddings"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(body_partial_json(json!({"model": model, "dimensions": hashing.dims(), "encoding_format": "float"})))
        .respond_with(hashing_reply)
        .mount(&server)
        .await;
    let config = OpenAiConfig {
        base_url: format!("{}/v1", server.uri()),
        timeout: Duration::from_secs(5),
        retries: 0,
        embed_model: model.to_owned(),
        embed_dims: Some(hashing.dims()),
        ..OpenAiConfig::new(KEY)
    };
    let openai = OpenAi::new(config).unwrap_or_else(|e| panic!("{e}"));
    // The same model id, so the same thresholds.
    assert_eq!(Embedder::model_id(&openai), Embedder::model_id(&hashing));
    let over_the_wire = evaluate(&set, Some(&openai)).await.unwrap_or_else(|e| panic!("{e}"));
    println!("{over_the_wire}");

    assert_eq!(over_the_wire.config, in_process.config);
    let (wire, local) = (over_the_wire.overall(), in_process.overall());
    assert!(wire.answerable >= 60 && wire.unanswerable >= 30, "the labelled set is too small: {wire:?}");
    assert_eq!(
        (wire.right_first, wire.answered, wire.answered_right),
        (local.right_first, local.answered, local.answered_right),
        "right first, answered, answered from the right source"
    );
    assert_eq!(wire.unanswerable_answered, [], "no unanswerable question answered");
    assert_eq!(wire.wrong_first, local.wrong_first);
    for (shop, figures) in over_the_wire.shops() {
        assert_eq!(without_tokens(&figures), in_process.shop(&shop), "{shop}");
    }
    assert_eq!(verdicts(&over_the_wire), verdicts(&in_process));
    // The vectors arrived whole and each at its own text: every first
    // hit's cosine is the in-process one.
    let mut compared = 0;
    for (wire, local) in over_the_wire.outcomes.iter().zip(&in_process.outcomes) {
        let semantic = |o: &QuestionOutcome| o.first_hits.first().and_then(|p| p.hit.semantic);
        if let (Some(a), Some(b)) = (semantic(wire), semantic(local)) {
            assert!((a - b).abs() < 1e-5, "{:?}: {a} over the wire, {b} in process", wire.question.question);
            compared += 1;
        } else {
            assert_eq!(semantic(wire), semantic(local), "{:?}", wire.question.question);
        }
    }
    assert!(compared > 100, "only {compared} first hits had a cosine");

    // Each shop's chunks in calls of at most 2,048 texts, then each question alone.
    let requests = server.received_requests().await.unwrap_or_default();
    let sizes: Vec<usize> = requests
        .iter()
        .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap_or_default()["input"].as_array().map_or(0, Vec::len))
        .collect();
    let mut expected: Vec<usize> = set
        .shops()
        .flat_map(|(_, chunks)| chunks.chunks(MAX_EMBED_INPUTS).map(<[_]>::len).collect::<Vec<_>>())
        .collect();
    expected.extend(std::iter::repeat_n(1, set.questions().len()));
    assert_eq!(sizes, expected);
    assert!(sizes.iter().all(|&n| (1..=MAX_INPUTS_PER_REQUEST).contains(&n)), "{sizes:?}");

    // The usage of every reply, summed per shop.
    for (shop, chunks) in set.shops() {
        let questions = set.questions().iter().filter(|q| q.shop == shop).map(|q| fake_tokens(&q.question));
        let expected: u64 = chunks.iter().map(|c| fake_tokens(&c.indexed_text())).chain(questions).sum();
        assert_eq!(over_the_wire.shop(shop).tokens, expected, "{shop}");
    }
    assert!(over_the_wire.overall().tokens > 1_000);
}

/// A shop's figures without the tokens (0 in process, billed over the wire).
fn without_tokens(figures: &Figures) -> Figures {
    Figures { tokens: 0, ..figures.clone() }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.trim().is_empty())
}

/// The evaluation against the real provider (OpenAI, or a compatible server
/// by `FRONTDESK_OPENAI_BASE_URL`): prints BM25 alone and BM25 with the
/// provider's vectors, and what the embedding cost. Never passes without a
/// key: it is only run on purpose.
#[tokio::test]
#[ignore = "calls the real embedding provider (and costs money): `just eval-knowledge` with FRONTDESK_OPENAI_API_KEY set"]
async fn real_embeddings_eval() {
    let Some(key) = env("FRONTDESK_OPENAI_API_KEY") else {
        panic!(
            "real_embeddings_eval runs the knowledge evaluation against the real embedding provider and needs \
             FRONTDESK_OPENAI_API_KEY (optionally FRONTDESK_OPENAI_BASE_URL, FRONTDESK_OPENAI_EMBEDDING_MODEL, \
             FRONTDESK_OPENAI_EMBEDDING_DIMENSIONS); it is not set"
        )
    };
    let mut config = OpenAiConfig { timeout: Duration::from_secs(30), ..OpenAiConfig::new(key) };
    if let Some(base_url) = env("FRONTDESK_OPENAI_BASE_URL") {
        config.base_url = base_url;
    }
    if let Some(model) = env("FRONTDESK_OPENAI_EMBEDDING_MODEL") {
        config.embed_model = model;
    }
    if let Some(dims) = env("FRONTDESK_OPENAI_EMBEDDING_DIMENSIONS") {
        let parsed = dims
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("FRONTDESK_OPENAI_EMBEDDING_DIMENSIONS={dims:?} is not a number of dimensions"));
        config.embed_dims = Some(parsed);
    }
    let model = config.embed_model.clone();
    let openai = OpenAi::new(config).unwrap_or_else(|e| panic!("FRONTDESK_OPENAI_*: {e}"));
    let set = EvalSet::load(&fixtures()).unwrap_or_else(|e| panic!("{e}"));
    let lexical = evaluate(&set, None).await.unwrap_or_else(|e| panic!("{e}"));
    let real = evaluate(&set, Some(&openai)).await.unwrap_or_else(|e| panic!("{}: {e}", Embedder::model_id(&openai)));
    println!("{lexical}\n{real}");
    let tokens = real.overall().tokens;
    if model == "text-embedding-3-small" {
        let dollars = tokens as f64 * SMALL_DOLLARS_PER_MILLION / 1_000_000.0;
        println!("embedding cost: {tokens} tokens at ${SMALL_DOLLARS_PER_MILLION} per million = ${dollars:.6}");
    } else {
        println!(
            "embedding cost: {tokens} tokens of {model} (no price here; text-embedding-3-small is ${SMALL_DOLLARS_PER_MILLION} per million)"
        );
    }
    let unanswerable_answered: Vec<String> =
        real.overall().unanswerable_answered.iter().map(ToString::to_string).collect();
    assert_eq!(
        unanswerable_answered,
        Vec::<String>::new(),
        "{}: unanswerable questions were answered",
        real.model.as_deref().unwrap_or("")
    );
}
