//! The `KnowledgeStore` contract: an owner's documents, per tenant.

use chrono::Duration;
use frontdesk_core::{Clock, StoreError};
use frontdesk_rag::{Document, DocumentId, DocumentWrite, document_hash};

use crate::{Stores, tenant, with_tenants};

fn document(id: &str, text: &str) -> Document {
    Document::parse(id, "Paying at the shop", "markdown", text).unwrap_or_else(|e| panic!("{e:?}"))
}

fn id(raw: &str) -> DocumentId {
    DocumentId::parse(raw).unwrap_or_else(|e| panic!("{e}"))
}

pub async fn documents_are_written_read_listed_and_deleted_and_the_version_follows(stores: Stores) {
    with_tenants(&stores, &["shop-a"]).await;
    let shop = tenant("shop-a");
    let version = |stores: &Stores| {
        let knowledge = stores.knowledge.clone();
        let shop = shop.clone();
        async move { knowledge.knowledge_version(&shop).await.unwrap_or_else(|e| panic!("{e}")) }
    };
    assert_eq!(version(&stores).await, 0, "nothing written yet");
    let payments = document("payments", "# Paying\n\nWe take cards, tips in cash.");
    let at = stores.clock.now();
    let put = stores.knowledge.put_document(&shop, &payments, &[], at).await;
    assert!(matches!(put, Ok(DocumentWrite::Created)), "{put:?}");
    let first = version(&stores).await;
    assert!(first > 0);
    let read = stores.knowledge.document(&shop, &id("payments")).await.ok().flatten();
    let read = read.unwrap_or_else(|| panic!("the document reads back"));
    assert_eq!((&read.document, read.hash, read.updated_at), (&payments, document_hash(&payments), at));

    // The same content again changes nothing, not even the version.
    stores.clock.advance(Duration::minutes(1));
    let again = stores.knowledge.put_document(&shop, &payments, &[], stores.clock.now()).await;
    assert!(matches!(again, Ok(DocumentWrite::Unchanged)), "{again:?}");
    assert_eq!(version(&stores).await, first);
    let unchanged = stores.knowledge.document(&shop, &id("payments")).await.ok().flatten().map(|d| d.updated_at);
    assert_eq!(unchanged, Some(at));

    // New text replaces it and moves the version on.
    let edited = document("payments", "# Paying\n\nWe take cards and Apple Pay; tips in cash.");
    let replaced = stores.knowledge.put_document(&shop, &edited, &[], stores.clock.now()).await;
    assert!(matches!(replaced, Ok(DocumentWrite::Replaced)), "{replaced:?}");
    let second = version(&stores).await;
    assert!(second > first);
    let kids = document("kids", "Children under ten get a lollipop.");
    assert!(stores.knowledge.put_document(&shop, &kids, &[], stores.clock.now()).await.is_ok());
    let listed = stores.knowledge.list_documents(&shop).await.unwrap_or_default();
    let listed: Vec<(&str, &str)> = listed.iter().map(|d| (d.document.id.as_str(), d.document.text.as_str())).collect();
    assert_eq!(listed, [("kids", kids.text.as_str()), ("payments", edited.text.as_str())], "by id");

    let third = version(&stores).await;
    assert!(matches!(stores.knowledge.delete_document(&shop, &id("kids"), &[], stores.clock.now()).await, Ok(true)));
    assert!(version(&stores).await > third);
    assert!(matches!(stores.knowledge.document(&shop, &id("kids")).await, Ok(None)));
    let fourth = version(&stores).await;
    assert!(matches!(stores.knowledge.delete_document(&shop, &id("kids"), &[], stores.clock.now()).await, Ok(false)));
    assert_eq!(version(&stores).await, fourth, "deleting nothing changes nothing");
}

/// Tenant B never reads, lists, replaces or deletes tenant A's documents,
/// even under the same id with the same text.
pub async fn documents_stay_with_their_tenant(stores: Stores) {
    with_tenants(&stores, &["shop-a", "shop-b"]).await;
    let (a, b) = (tenant("shop-a"), tenant("shop-b"));
    let same = document("payments", "# Paying\n\nWe take cards.");
    let now = stores.clock.now();
    assert!(matches!(stores.knowledge.put_document(&a, &same, &[], now).await, Ok(DocumentWrite::Created)));
    assert!(matches!(stores.knowledge.document(&b, &id("payments")).await, Ok(None)));
    assert_eq!(stores.knowledge.list_documents(&b).await.map(|l| l.len()).ok(), Some(0));
    assert_eq!(stores.knowledge.knowledge_version(&b).await.ok(), Some(0));
    // B's own copy is B's: created, not "unchanged" because A has it.
    assert!(matches!(stores.knowledge.put_document(&b, &same, &[], now).await, Ok(DocumentWrite::Created)));
    let version_a = stores.knowledge.knowledge_version(&a).await.unwrap_or_default();
    assert!(matches!(stores.knowledge.delete_document(&b, &id("payments"), &[], stores.clock.now()).await, Ok(true)));
    assert!(matches!(stores.knowledge.document(&a, &id("payments")).await, Ok(Some(_))), "A keeps its own");
    assert_eq!(stores.knowledge.knowledge_version(&a).await.ok(), Some(version_a), "B's changes are not A's");
}

pub async fn a_document_of_an_unknown_tenant_is_not_found(stores: Stores) {
    let ghost = tenant("ghost");
    let written = stores.knowledge.put_document(&ghost, &document("payments", "Cards."), &[], stores.clock.now()).await;
    assert!(matches!(written, Err(StoreError::NotFound(ref t)) if *t == ghost), "{written:?}");
    assert_eq!(stores.knowledge.list_documents(&ghost).await.map(|l| l.len()).ok(), Some(0));
}

/// Passage vectors are kept per tenant and model by content hash; a put
/// drops the model's vectors of passages no longer kept.
pub async fn passage_vectors_are_kept_by_model_and_hash_and_pruned(stores: Stores) {
    with_tenants(&stores, &["shop-a", "shop-b"]).await;
    let (a, b) = (tenant("shop-a"), tenant("shop-b"));
    let hash = |text: &str| frontdesk_rag::ContentHash::of(&[text]);
    let (one, two, three) = (hash("one"), hash("two"), hash("three"));
    let vectors = vec![(one, vec![0.5_f32, -0.25, 1.0]), (two, vec![0.0, 1.0, 0.0])];
    let put = stores.knowledge.put_chunk_vectors(&a, "model-x@3", &vectors, &[one, two]).await;
    assert!(put.is_ok(), "{put:?}");
    let read = stores.knowledge.chunk_vectors(&a, "model-x@3").await.unwrap_or_default();
    assert_eq!((read.get(&one), read.get(&two)), (Some(&vectors[0].1), Some(&vectors[1].1)), "exact round trip");
    assert!(stores.knowledge.chunk_vectors(&a, "model-y@3").await.unwrap_or_default().is_empty(), "per model");
    assert!(stores.knowledge.chunk_vectors(&b, "model-x@3").await.unwrap_or_default().is_empty(), "per tenant");

    // "two" changed into "three": its vector goes, "one" keeps its own.
    let next = vec![(three, vec![1.0_f32, 0.0, 0.0])];
    assert!(stores.knowledge.put_chunk_vectors(&a, "model-x@3", &next, &[one, three]).await.is_ok());
    let read = stores.knowledge.chunk_vectors(&a, "model-x@3").await.unwrap_or_default();
    let mut kept: Vec<_> = read.keys().copied().collect();
    kept.sort_by_key(ToString::to_string);
    let mut expected = vec![one, three];
    expected.sort_by_key(ToString::to_string);
    assert_eq!(kept, expected);

    let ghost = stores.knowledge.put_chunk_vectors(&tenant("ghost"), "model-x@3", &next, &[three]).await;
    assert!(matches!(ghost, Err(StoreError::NotFound(_))), "{ghost:?}");
}

/// A document change and its jobs (the reindex) commit together; an
/// unchanged put or a delete of nothing enqueues nothing.
pub async fn a_document_change_and_its_jobs_commit_together(stores: Stores) {
    with_tenants(&stores, &["shop-a"]).await;
    let shop = tenant("shop-a");
    let reindex = || {
        frontdesk_jobs::NewJob::new(
            frontdesk_jobs::JobKind::parse("knowledge.reindex").unwrap_or_else(|e| panic!("{e}")),
            serde_json::json!({}),
        )
        .for_tenant(shop.clone())
    };
    let jobs = |stores: &Stores| {
        let admin = stores.job_admin.clone();
        async move { admin.list_jobs(None, 100).await.unwrap_or_default().len() }
    };
    let payments = document("payments", "Cards.");
    let now = stores.clock.now();
    assert!(stores.knowledge.put_document(&shop, &payments, &[reindex()], now).await.is_ok());
    assert_eq!(jobs(&stores).await, 1, "the write's job");
    assert!(matches!(
        stores.knowledge.put_document(&shop, &payments, &[reindex()], now).await,
        Ok(DocumentWrite::Unchanged)
    ));
    assert_eq!(jobs(&stores).await, 1, "nothing changed, nothing enqueued");
    assert!(matches!(stores.knowledge.delete_document(&shop, &id("payments"), &[reindex()], now).await, Ok(true)));
    assert_eq!(jobs(&stores).await, 2);
    assert!(matches!(stores.knowledge.delete_document(&shop, &id("payments"), &[reindex()], now).await, Ok(false)));
    assert_eq!(jobs(&stores).await, 2, "nothing deleted, nothing enqueued");
    // A write refused (unknown tenant) enqueues nothing either.
    let ghost = stores.knowledge.put_document(&tenant("ghost"), &payments, &[reindex()], now).await;
    assert!(matches!(ghost, Err(StoreError::NotFound(_))));
    assert_eq!(jobs(&stores).await, 2);
}
