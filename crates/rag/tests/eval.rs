//! The knowledge evaluation: both demo shops' profiles and documents
//! (`fixtures/knowledge/`), every labelled question asked, offline (BM25
//! alone, and BM25 fused with the hashing embedder). Prints the figures;
//! asserts that no unanswerable question is answered and that the right
//! source comes first for at least 97 % of the answerable ones (the
//! issue's target is 95 %). `FRONTDESK_EVAL_VERBOSE=1` prints every
//! question with its terms, and the first hits of those that went wrong.
//! The run itself is `frontdesk_rag::eval`, which `frontdesk-openai`'s tests
//! also drive through OpenAI's wire.

use std::path::{Path, PathBuf};

use frontdesk_rag::eval::{EvalSet, evaluate};
use frontdesk_rag::{Embedder, HashingEmbedder, KnowledgeIndex, RetrievalConfig, Verdict, profile_chunks};
use frontdesk_tenant::{ProfileDocument, TenantProfile};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[tokio::test]
async fn the_offline_path_answers_from_the_right_source_and_never_answers_the_unanswerable() {
    let set = EvalSet::load(&fixtures()).unwrap_or_else(|e| panic!("{e}"));
    let embedder = HashingEmbedder::default();
    for (name, embedder) in [("BM25", None), ("BM25 + hashing vectors", Some(&embedder as &dyn Embedder))] {
        let report = evaluate(&set, embedder).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected_config =
            embedder.map_or_else(RetrievalConfig::default, |e| RetrievalConfig::for_model(e.model_id()));
        assert_eq!(report.config, expected_config, "{name}: the thresholds follow the model");
        if std::env::var_os("FRONTDESK_EVAL_VERBOSE").is_some() {
            for outcome in &report.outcomes {
                println!("{outcome}");
            }
        }
        let figures = report.overall();
        println!("{}", figures.summary(name));
        assert!(figures.answerable >= 60 && figures.unanswerable >= 30, "the labelled set is too small: {figures:?}");
        let unanswerable_answered: Vec<String> =
            figures.unanswerable_answered.iter().map(ToString::to_string).collect();
        assert_eq!(unanswerable_answered, Vec::<String>::new(), "{name}: unanswerable questions were answered");
        // The target is 95 %. Both paths reach 107 of 109 (98.2 %);
        // the floor leaves one question of margin and keeps what is reached
        // from slipping.
        assert!(
            figures.right_first_percent() >= 97.0,
            "{name}: the right source came first for only {:.1} %",
            figures.right_first_percent()
        );
        assert_eq!(figures.answered, figures.answered_right, "{name}: an answer came from the wrong source");
    }
}

#[test]
fn the_profile_is_one_chunk_per_fact_with_its_source() {
    let document = ProfileDocument::from_toml(&read(&fixtures().join("tenants/fresh-cuts.toml")))
        .unwrap_or_else(|e| panic!("{e}"));
    let profile = TenantProfile::parse(&document).unwrap_or_else(|e| panic!("{e}"));
    let chunks = profile_chunks(&profile);
    let ids: Vec<String> = chunks.iter().map(|c| c.source.id()).collect();
    let expected_faqs = profile.faqs().len();
    assert_eq!(ids.iter().filter(|id| id.starts_with("faq:")).count(), expected_faqs);
    assert_eq!(ids.iter().filter(|id| id.starts_with("service:")).count(), profile.services().len());
    for single in ["hours:", "closures:", "address:", "booking:", "staff:"] {
        assert_eq!(ids.iter().filter(|id| *id == single).count(), 1, "{single} in {ids:?}");
    }
    let fade = chunks.iter().find(|c| c.source.id() == "service:skin fade").unwrap_or_else(|| panic!("{ids:?}"));
    assert!(
        fade.text.contains("45 minutes") && fade.text.contains("45.00 USD") && fade.text.contains("bald fade"),
        "{}",
        fade.text
    );
    assert_eq!(fade.source.title, "Skin fade", "the service's name, nothing a caller's words could match by chance");
    let hours = chunks.iter().find(|c| c.source.id() == "hours:").map(|c| c.text.as_str()).unwrap_or_default();
    assert!(hours.contains("Monday 09:00-18:00") && hours.contains("Sunday closed"), "{hours}");
    let index = KnowledgeIndex::build(chunks);
    let parking = index.retrieve("is there parking nearby", None, &RetrievalConfig::default());
    let first = parking.hits.first().map(|hit| index.chunks()[hit.chunk].source.id());
    assert_eq!((parking.verdict, first.as_deref()), (Verdict::Answer, Some("faq:2")), "{parking:?}");
    // A price question reaches the service (whose price is spoken from the
    // profile), not the FAQ about how long a fade lasts.
    let price = index.retrieve("how much is a skin fade", None, &RetrievalConfig::default());
    let first = price.hits.first().map(|hit| index.chunks()[hit.chunk].source.id());
    assert_eq!(first.as_deref(), Some("service:skin fade"), "{price:?}");
}
