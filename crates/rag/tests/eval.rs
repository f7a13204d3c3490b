//! The knowledge evaluation: both demo shops' profiles and documents
//! (`fixtures/knowledge/`), every labelled question asked, offline (BM25
//! alone, and BM25 fused with the hashing embedder). Prints the figures;
//! asserts that no unanswerable question is answered and that the right
//! source comes first for at least 97 % of the answerable ones (the
//! issue's target is 95 %). `FRONTDESK_EVAL_VERBOSE=1` prints every
//! question with its terms, and the first hits of those that went wrong.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use frontdesk_rag::{
    Document, HashingEmbedder, KnowledgeIndex, RetrievalConfig, Verdict, document_chunks, profile_chunks,
};
use frontdesk_tenant::{ProfileDocument, TenantProfile};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Questions {
    answerable: Vec<Answerable>,
    unanswerable: Vec<Unanswerable>,
}

#[derive(Debug, Deserialize)]
struct Answerable {
    shop: String,
    q: String,
    source: String,
}

#[derive(Debug, Deserialize)]
struct Unanswerable {
    shop: String,
    q: String,
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A shop's index: its profile's chunks and every document in its folder.
fn shop_index(shop: &str) -> KnowledgeIndex {
    let profile_path = fixtures().join("tenants").join(format!("{shop}.toml"));
    let document = ProfileDocument::from_toml(&read(&profile_path)).unwrap_or_else(|e| panic!("{shop}: {e}"));
    let profile = TenantProfile::parse(&document).unwrap_or_else(|e| panic!("{shop}: {e}"));
    let mut chunks = profile_chunks(&profile);
    let folder = fixtures().join("knowledge").join(shop);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .unwrap_or_else(|e| panic!("{}: {e}", folder.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .collect();
    files.sort();
    for path in files {
        let Some(format) = path.extension().and_then(|e| e.to_str()) else { continue };
        let Some(id) = path.file_stem().and_then(|s| s.to_str()) else { continue };
        let text = read(&path);
        let title = text
            .lines()
            .map(|line| line.trim().trim_start_matches('#').trim())
            .find(|line| !line.is_empty() && !line.starts_with('<'))
            .unwrap_or(id)
            .to_owned();
        let title = html_title(&text).unwrap_or(title);
        let document = Document::parse(id, &title, format, &text)
            .unwrap_or_else(|problems| panic!("{}: {problems:?}", path.display()));
        chunks.extend(document_chunks(&document));
    }
    KnowledgeIndex::build(chunks)
}

fn html_title(text: &str) -> Option<String> {
    let start = text.find("<h1")?;
    let open_end = start + text[start..].find('>')? + 1;
    let close = open_end + text[open_end..].find("</h1>")?;
    Some(text[open_end..close].trim().to_owned())
}

/// The index with a hashing vector per chunk.
fn with_vectors(index: KnowledgeIndex, embedder: &HashingEmbedder) -> KnowledgeIndex {
    let rows = index.chunks().iter().map(|c| embedder.embed_one(&c.indexed_text())).collect();
    index.with_vectors(frontdesk_rag::Embedder::model_id(embedder), rows).unwrap_or_else(|e| panic!("{e}"))
}

#[derive(Debug, Default)]
struct Figures {
    answerable: usize,
    right_first: usize,
    answered: usize,
    answered_right: usize,
    unanswerable: usize,
    unanswerable_answered: Vec<String>,
    wrong_first: Vec<String>,
}

fn evaluate(vectors: bool, config: &RetrievalConfig) -> Figures {
    let questions: Questions = serde_yaml_ng::from_str(&read(&fixtures().join("knowledge/questions.yaml")))
        .unwrap_or_else(|e| panic!("questions.yaml: {e}"));
    let embedder = HashingEmbedder::default();
    let mut indexes: BTreeMap<String, KnowledgeIndex> = BTreeMap::new();
    let mut index_of = |shop: &str| {
        indexes
            .entry(shop.to_owned())
            .or_insert_with(|| {
                let index = shop_index(shop);
                if vectors { with_vectors(index, &embedder) } else { index }
            })
            .clone()
    };
    let mut figures = Figures::default();
    for question in &questions.answerable {
        let index = index_of(&question.shop);
        let vector = vectors.then(|| embedder.embed_one(&question.q));
        let found = index.retrieve(&question.q, vector.as_deref(), config);
        let expected = question.source.split_once('/').map_or(question.source.as_str(), |(_, doc)| doc);
        let first = found.hits.first().map(|hit| &index.chunks()[hit.chunk].source);
        let right = first.is_some_and(|source| source.key == expected);
        if std::env::var_os("FRONTDESK_EVAL_VERBOSE").is_some() {
            let top = found.hits.first();
            println!(
                "A {} cov {:.2} lex {:.2} {:?} {:?} {:?}",
                if right { "ok " } else { "BAD" },
                top.map_or(0.0, |h| h.coverage),
                top.and_then(|h| h.lexical).unwrap_or(0.0),
                found.verdict,
                question.q,
                found.terms
            );
            if !right {
                print_hits(&index, &found);
            }
        }
        figures.answerable += 1;
        figures.right_first += usize::from(right);
        if found.verdict == Verdict::Answer {
            figures.answered += 1;
            figures.answered_right += usize::from(right);
        }
        if !right {
            let got = first.map_or("nothing".to_owned(), |s| s.id());
            figures.wrong_first.push(format!(
                "{}: {:?} → {got} (expected {expected}; {:?})",
                question.shop, question.q, found.verdict
            ));
        }
    }
    for question in &questions.unanswerable {
        let index = index_of(&question.shop);
        let vector = vectors.then(|| embedder.embed_one(&question.q));
        let found = index.retrieve(&question.q, vector.as_deref(), config);
        figures.unanswerable += 1;
        if std::env::var_os("FRONTDESK_EVAL_VERBOSE").is_some() {
            let top = found.hits.first();
            println!(
                "U cov {:.2} lex {:.2} {:?} {:?} {:?}",
                top.map_or(0.0, |h| h.coverage),
                top.and_then(|h| h.lexical).unwrap_or(0.0),
                found.verdict,
                question.q,
                found.terms
            );
        }
        if found.verdict != Verdict::NotFound {
            let got = found.hits.first().map_or("nothing".to_owned(), |hit| index.chunks()[hit.chunk].source.id());
            figures
                .unanswerable_answered
                .push(format!("{}: {:?} → {got} ({:?})", question.shop, question.q, found.verdict));
        }
    }
    figures
}

/// The first hits of a retrieval, for `FRONTDESK_EVAL_VERBOSE`.
fn print_hits(index: &KnowledgeIndex, found: &frontdesk_rag::Retrieval) {
    for hit in found.hits.iter().take(4) {
        let chunk = &index.chunks()[hit.chunk];
        println!(
            "      {:.3} lex {:5.2} sem {:.2} cov {:.2} {} {:?}",
            hit.score,
            hit.lexical.unwrap_or(0.0),
            hit.semantic.unwrap_or(0.0),
            hit.coverage,
            chunk.source.id(),
            chunk.headings
        );
    }
}

fn percent(part: usize, whole: usize) -> f64 {
    100.0 * part as f64 / whole.max(1) as f64
}

fn report(name: &str, figures: &Figures) {
    println!(
        "{name}: right source first {}/{} ({:.1} %), answered {} ({:.1} %, {} of them right), unanswerable answered {}/{}",
        figures.right_first,
        figures.answerable,
        percent(figures.right_first, figures.answerable),
        figures.answered,
        percent(figures.answered, figures.answerable),
        figures.answered_right,
        figures.unanswerable_answered.len(),
        figures.unanswerable,
    );
    for line in &figures.wrong_first {
        println!("  wrong first: {line}");
    }
    for line in &figures.unanswerable_answered {
        println!("  answered but should not be: {line}");
    }
}

#[test]
fn the_offline_path_answers_from_the_right_source_and_never_answers_the_unanswerable() {
    let embedder = HashingEmbedder::default();
    for (name, vectors) in [("BM25", false), ("BM25 + hashing vectors", true)] {
        let config = if vectors {
            RetrievalConfig::for_model(frontdesk_rag::Embedder::model_id(&embedder))
        } else {
            RetrievalConfig::default()
        };
        let figures = evaluate(vectors, &config);
        report(name, &figures);
        assert!(figures.answerable >= 60 && figures.unanswerable >= 30, "the labelled set is too small: {figures:?}");
        assert_eq!(figures.unanswerable_answered, Vec::<String>::new(), "{name}: unanswerable questions were answered");
        // The target is 95 %. Both paths reach 107 of 109 (98.2 %);
        // the floor leaves one question of margin and keeps what is reached
        // from slipping.
        assert!(
            percent(figures.right_first, figures.answerable) >= 97.0,
            "{name}: the right source came first for only {:.1} %",
            percent(figures.right_first, figures.answerable)
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
