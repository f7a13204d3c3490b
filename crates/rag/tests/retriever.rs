//! The `Retriever` service over a knowledge store: answers from the shop's
//! documents with their source, declines what they don't say, and rebuilds
//! its index only when the knowledge or the profile changed.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use frontdesk_core::TenantId;
use frontdesk_rag::{Document, KnowledgeStore, MemoryKnowledgeStore, Retriever, SourceKind, Verdict};
use frontdesk_tenant::{ProfileDocument, TenantProfile};

fn profile(address: &str) -> TenantProfile {
    let path = format!("{}/../../fixtures/tenants/fresh-cuts.toml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut document = ProfileDocument::from_toml(&text).unwrap_or_else(|e| panic!("{e}"));
    document.address = Some(address.to_owned());
    TenantProfile::parse(&document).unwrap_or_else(|e| panic!("{e}"))
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-06T15:00:00Z").map(|t| t.with_timezone(&Utc)).unwrap_or_default()
}

fn accessibility() -> Document {
    let text = "# Getting in\n\n## Wheelchairs and walkers\n\nThe front steps have no ramp. Wheelchair users come in \
                through the side door on North 4th Street, which has a ramp and a doorbell. One of our chairs \
                lowers all the way down.\n\n## Hearing\n\nOur barbers can write things down on a pad.";
    Document::parse("accessibility", "Getting in and getting comfortable", "markdown", text)
        .unwrap_or_else(|e| panic!("{e:?}"))
}

#[tokio::test]
async fn a_question_is_answered_from_the_document_that_says_it_with_its_source() {
    let store = Arc::new(MemoryKnowledgeStore::default());
    let shop = profile("214 Bedford Avenue, Brooklyn");
    let tenant = shop.slug().clone();
    assert!(store.put_document(&tenant, &accessibility(), &[], now()).await.is_ok());
    let retriever = Retriever::new(store.clone());

    let asked = retriever.ask(&shop, "is there a ramp for a wheelchair").await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(asked.verdict, Verdict::Answer, "{asked:?}");
    let source = &asked.sources[0];
    assert_eq!((source.source.kind, source.source.key.as_str()), (SourceKind::Document, "accessibility"));
    assert_eq!(source.headings, ["Getting in", "Wheelchairs and walkers"]);
    let answer = asked.answer.unwrap_or_default();
    assert!(answer.contains("side door on North 4th Street, which has a ramp"), "{answer}");
    assert!(!answer.contains("Hearing") && !answer.contains("pad"), "only what answers: {answer}");
    assert!(asked.confidence > 0.9, "{}", asked.confidence);

    // The profile's own facts answer too.
    let parking = retriever.ask(&shop, "is there parking").await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((parking.verdict, parking.sources[0].source.kind), (Verdict::Answer, SourceKind::Faq));

    // What the shop never said is not answered, whatever the card number.
    for question in ["do you sell gift cards", "can i pay with card 4111 1111 1111 1111 over the phone for a tattoo"] {
        let asked = retriever.ask(&shop, question).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((asked.verdict, asked.answer), (Verdict::NotFound, None), "{question}");
    }
}

#[tokio::test]
async fn the_index_is_rebuilt_only_when_the_knowledge_or_the_profile_changes() {
    let store = Arc::new(MemoryKnowledgeStore::default());
    let shop = profile("214 Bedford Avenue, Brooklyn");
    let tenant: TenantId = shop.slug().clone();
    let retriever = Retriever::new(store.clone());
    for _ in 0..5 {
        assert!(retriever.ask(&shop, "is there a ramp").await.is_ok());
    }
    assert_eq!(store.listings(), 1, "built once, then cached");
    let before = retriever.ask(&shop, "is there a ramp for a wheelchair").await.map(|a| a.verdict).ok();
    assert_eq!(before, Some(Verdict::NotFound), "nothing says so yet");

    assert!(store.put_document(&tenant, &accessibility(), &[], now()).await.is_ok());
    let after = retriever.ask(&shop, "is there a ramp for a wheelchair").await.map(|a| a.verdict).ok();
    assert_eq!(after, Some(Verdict::Answer), "a new document is seen at once");
    assert_eq!(store.listings(), 2);

    let renamed = profile("12 North 4th Street, Brooklyn");
    assert!(retriever.ask(&renamed, "is there a ramp").await.is_ok());
    assert_eq!(store.listings(), 3, "a changed profile (here its address) rebuilds");
    assert!(retriever.ask(&renamed, "is there a ramp").await.is_ok());
    assert_eq!(store.listings(), 3);
}

/// The offline embedder, counting what it is asked to embed; it can be
/// made to fail.
struct Counting {
    inner: frontdesk_rag::HashingEmbedder,
    texts: std::sync::atomic::AtomicUsize,
    down: std::sync::atomic::AtomicBool,
}

#[async_trait::async_trait]
impl frontdesk_rag::Embedder for Counting {
    fn model_id(&self) -> &str {
        self.inner.model_id()
    }
    fn dims(&self) -> usize {
        self.inner.dims()
    }
    async fn embed(&self, texts: &[String]) -> Result<frontdesk_rag::Embedded, frontdesk_rag::EmbedError> {
        if self.down.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(frontdesk_rag::EmbedError::Unavailable("the provider is down".into()));
        }
        self.texts.fetch_add(texts.len(), std::sync::atomic::Ordering::SeqCst);
        let mut embedded = self.inner.embed(texts).await?;
        embedded.tokens = 5 * texts.len() as u64;
        Ok(embedded)
    }
}

#[tokio::test]
async fn a_reindex_embeds_only_new_and_changed_passages_and_questions_then_rank_by_meaning_too() {
    use std::sync::atomic::Ordering;
    let store = Arc::new(MemoryKnowledgeStore::default());
    let shop = profile("214 Bedford Avenue, Brooklyn");
    let tenant = shop.slug().clone();
    assert!(store.put_document(&tenant, &accessibility(), &[], now()).await.is_ok());
    let embedder = Arc::new(Counting {
        inner: frontdesk_rag::HashingEmbedder::default(),
        texts: Default::default(),
        down: Default::default(),
    });
    let retriever = Retriever::new(store.clone()).with_embedder(embedder.clone());
    let before = retriever.index(&shop).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(before.vector_model(), None, "no vectors before a reindex");

    let first = retriever.reindex(&shop, embedder.as_ref()).await.unwrap_or_else(|e| panic!("{e}"));
    let passages = before.chunks().len();
    assert_eq!((first.embedded, first.kept, first.tokens), (passages, 0, 5 * passages as u64));
    let after = retriever.index(&shop).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        after.vector_model(),
        Some(frontdesk_rag::Embedder::model_id(embedder.as_ref())),
        "rebuilt with vectors"
    );
    let asked = retriever.ask(&shop, "is there a ramp for a wheelchair").await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(asked.verdict, Verdict::Answer, "{asked:?}");

    let again = retriever.reindex(&shop, embedder.as_ref()).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((again.embedded, again.kept), (0, passages), "nothing changed: nothing embedded");

    // One section edited: only its passage is embedded again.
    let text = accessibility().text.replace("write things down on a pad", "write things down on a tablet");
    let edited = Document::parse("accessibility", "Getting in and getting comfortable", "markdown", &text)
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert!(store.put_document(&tenant, &edited, &[], now()).await.is_ok());
    let embedded_so_far = embedder.texts.load(Ordering::SeqCst);
    let third = retriever.reindex(&shop, embedder.as_ref()).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((third.embedded, third.kept), (1, passages - 1));
    assert_eq!(embedder.texts.load(Ordering::SeqCst) - embedded_so_far, 1);
    let model = frontdesk_rag::Embedder::model_id(embedder.as_ref()).to_owned();
    let stored = store.chunk_vectors(&tenant, &model).await.unwrap_or_default();
    assert_eq!(stored.len(), passages, "the old passage's vector is gone");

    // The provider down: the reindex fails and says so, questions still get answers.
    embedder.down.store(true, Ordering::SeqCst);
    assert!(
        store
            .delete_document(
                &tenant,
                &frontdesk_rag::DocumentId::parse("accessibility").unwrap_or_else(|e| panic!("{e}")),
                &[],
                now()
            )
            .await
            .is_ok()
    );
    assert!(store.put_document(&tenant, &accessibility(), &[], now()).await.is_ok());
    assert!(matches!(retriever.reindex(&shop, embedder.as_ref()).await, Err(frontdesk_rag::ReindexError::Embed(_))));
    let asked = retriever.ask(&shop, "is there a ramp for a wheelchair").await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(asked.verdict, Verdict::Answer, "the words alone still answer: {asked:?}");
}
