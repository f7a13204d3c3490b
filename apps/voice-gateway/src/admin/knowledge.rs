//! `/admin/tenants/{slug}/knowledge`: the documents a shop's owner adds, and
//! `ask`, which answers a question exactly as a caller would be answered.
//! The shop's own token may manage its knowledge; every change is audited.

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, SecondsFormat, Utc};
use frontdesk_core::TenantId;
use frontdesk_rag::{
    Asked, Document, DocumentId, DocumentWrite, MAX_DOCUMENT_BYTES, StoredDocument, Verdict, document_chunks,
};
use frontdesk_tenant::FieldProblem;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Admin, json_body, reindex_jobs};
use crate::app::AppState;
use crate::error::ApiError;

/// A question to try is at most this long.
const MAX_QUESTION_CHARS: usize = 500;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/tenants/{slug}/knowledge", get(list_documents))
        .route(
            "/admin/tenants/{slug}/knowledge/{doc_id}",
            get(get_document)
                .put(put_document)
                .delete(delete_document)
                // A document may be up to 1 MB of text, escaped in JSON.
                .layer(DefaultBodyLimit::max(MAX_DOCUMENT_BYTES * 2 + 4096)),
        )
        .route("/admin/tenants/{slug}/knowledge/ask", post(ask).get(reserved_id).put(reserved_id).delete(reserved_id))
        .route("/admin/tenants/{slug}/questions/{id}/answer", post(answer_question))
}

/// `ask` names the question route, so no document can have that id.
async fn reserved_id() -> ApiError {
    ApiError::bad_request(
        "invalid_document_id",
        "\"ask\" is reserved for POST …/knowledge/ask (trying a question); give the document another id",
    )
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DocumentBody {
    title: String,
    format: String,
    text: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswerBody {
    answer: String,
}

/// An owner's answer is at most this long (a few spoken sentences).
const MAX_ANSWER_CHARS: usize = 2_000;
/// A question becomes its document's title, cut to a title's length.
const MAX_TITLE_CHARS: usize = 200;

/// `POST /admin/tenants/{slug}/questions/{id}/answer` `{"answer"}`: the
/// answer joins the shop's knowledge (document `answer-{id}`, titled by the
/// question) and the question is closed, so the next caller who asks hears it.
async fn answer_question(
    State(state): State<AppState>,
    admin: Admin,
    Path((slug, id)): Path<(String, String)>,
    body: Result<Json<AnswerBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let tenant = existing_tenant(&state, &admin, &slug).await?;
    let id: i64 =
        id.parse().map_err(|_| ApiError::bad_request("invalid_question_id", format!("{id:?} is not a question id")))?;
    let answer = json_body(body)?.answer;
    let (closed, summary) =
        answer_into_knowledge(&state, &tenant, id, &answer).await.map_err(|refused| match refused {
            AnswerRefused::Invalid(problems) => ApiError::validation(&problems),
            AnswerRefused::NoQuestion => ApiError::not_found(format!("tenant {tenant} has no question {id}")),
            AnswerRefused::Failed(error) => error,
        })?;
    tracing::info!(tenant_id = %tenant, question_id = id, by = %admin.0.subject, "question answered into the knowledge");
    admin.audit(&state, Some(&tenant), "question.answer", &format!("questions/{id}"), None, summary.clone()).await;
    Ok(Json(json!({"question": super::calls::question_json(&closed), "document": summary})))
}

/// The answer to question `id` joins `tenant`'s knowledge (document
/// `answer-{id}`, titled by the question) and the question is closed: the
/// one use case behind the admin API and the owner's page. Returns the
/// closed question and the document's summary.
pub(crate) async fn answer_into_knowledge(
    state: &AppState,
    tenant: &TenantId,
    id: i64,
    answer: &str,
) -> Result<(frontdesk_routing::AskedQuestion, Option<Value>), AnswerRefused> {
    let answer = answer.trim();
    let bad = answer.is_empty()
        || answer.chars().count() > MAX_ANSWER_CHARS
        || answer.chars().any(|c| c.is_control() && c != '\n' && c != '\r');
    if bad {
        return Err(AnswerRefused::Invalid(vec![FieldProblem {
            field: "answer".to_owned(),
            message: format!("must be 1 to {MAX_ANSWER_CHARS} characters without control characters"),
        }]));
    }
    let answer = answer.replace("\r\n", "\n");
    let failed = |error: ApiError| AnswerRefused::Failed(error);
    let questions = state.calls.questions(tenant).await.map_err(|e| failed(e.into()))?;
    let question = questions.iter().find(|q| q.id == id).ok_or(AnswerRefused::NoQuestion)?;
    // The caller's words as a title, capitalised and cut to size.
    let asked: String = question.question.trim().chars().take(MAX_TITLE_CHARS).collect();
    let mut letters = asked.chars();
    let title: String = letters.next().map(|first| first.to_uppercase().chain(letters).collect()).unwrap_or_default();
    let document = Document::parse(&format!("answer-{id}"), &title, "text", &format!("{title}\n\n{answer}")).map_err(
        |problems| {
            AnswerRefused::Invalid(
                problems
                    .iter()
                    .map(|problem| FieldProblem { field: "answer".to_owned(), message: problem.to_string() })
                    .collect(),
            )
        },
    )?;
    let now = state.clock.now();
    // The knowledge first: a question is never closed without its answer.
    state
        .knowledge
        .put_document(tenant, &document, &reindex_jobs(state, tenant), now)
        .await
        .map_err(|e| failed(e.into()))?;
    let closed = state.calls.close_question(tenant, id, now).await.map_err(|e| failed(e.into()))?;
    let closed = closed.ok_or(AnswerRefused::NoQuestion)?;
    let summary =
        state.knowledge.document(tenant, &document.id).await.map_err(|e| failed(e.into()))?.as_ref().map(summary);
    Ok((closed, summary))
}

/// Why an answer did not join the knowledge.
pub(crate) enum AnswerRefused {
    /// The answer itself (empty, too long…).
    Invalid(Vec<FieldProblem>),
    NoQuestion,
    /// The store failed.
    Failed(ApiError),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AskBody {
    question: String,
}

fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A document's summary: what the owner sees in a list.
fn summary(stored: &StoredDocument) -> Value {
    let document = &stored.document;
    json!({
        "id": document.id.as_str(),
        "title": document.title,
        "format": document.format.as_str(),
        "bytes": document.text.len(),
        "chunks": document_chunks(document).len(),
        "hash": stored.hash.to_string(),
        "updated_at": time(stored.updated_at),
    })
}

fn document_id(raw: &str) -> Result<DocumentId, ApiError> {
    DocumentId::parse(raw).map_err(|e| ApiError::bad_request("invalid_document_id", e.to_string()))
}

/// Tenant B's token gets 403 for tenant A; an unknown tenant is 404.
async fn existing_tenant(state: &AppState, admin: &Admin, slug: &str) -> Result<TenantId, ApiError> {
    let tenant = admin.tenant(slug)?;
    match state.tenants.get_tenant(&tenant).await? {
        Some(_) => Ok(tenant),
        None => Err(ApiError::not_found(format!("tenant {tenant} does not exist"))),
    }
}

async fn list_documents(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let tenant = existing_tenant(&state, &admin, &slug).await?;
    let documents = state.knowledge.list_documents(&tenant).await?;
    let version = state.knowledge.knowledge_version(&tenant).await?;
    Ok(Json(json!({"version": version, "documents": documents.iter().map(summary).collect::<Vec<_>>()})))
}

async fn get_document(
    State(state): State<AppState>,
    admin: Admin,
    Path((slug, doc_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let tenant = existing_tenant(&state, &admin, &slug).await?;
    let id = document_id(&doc_id)?;
    let stored = state.knowledge.document(&tenant, &id).await?;
    let stored = stored.ok_or_else(|| ApiError::not_found(format!("tenant {tenant} has no document {id}")))?;
    let mut body = summary(&stored);
    body["text"] = Value::from(stored.document.text.clone());
    Ok(Json(body))
}

/// `PUT`: creates (201) or replaces (200) the document; 422 lists every
/// field problem (empty text, unknown format, over 1 MB, …).
async fn put_document(
    State(state): State<AppState>,
    admin: Admin,
    Path((slug, doc_id)): Path<(String, String)>,
    body: Result<Json<DocumentBody>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let tenant = existing_tenant(&state, &admin, &slug).await?;
    let body = json_body(body)?;
    let document = Document::parse(&doc_id, &body.title, &body.format, &body.text).map_err(|problems| {
        let problems: Vec<FieldProblem> = problems
            .iter()
            .map(|problem| FieldProblem { field: problem.field().to_owned(), message: problem.to_string() })
            .collect();
        ApiError::validation(&problems)
    })?;
    let before = state.knowledge.document(&tenant, &document.id).await?;
    let now = state.clock.now();
    let outcome = state.knowledge.put_document(&tenant, &document, &reindex_jobs(&state, &tenant), now).await?;
    let stored = state.knowledge.document(&tenant, &document.id).await?.ok_or_else(|| {
        ApiError::internal(anyhow::anyhow!("document {} of {tenant} vanished right after it was written", document.id))
    })?;
    let mut reply = summary(&stored);
    reply["outcome"] = Value::from(match outcome {
        DocumentWrite::Created => "created",
        DocumentWrite::Replaced => "replaced",
        DocumentWrite::Unchanged => "unchanged",
    });
    if outcome != DocumentWrite::Unchanged {
        tracing::info!(tenant_id = %tenant, doc_id = %document.id, by = %admin.0.subject, "knowledge document written");
        let target = format!("knowledge/{}", document.id);
        admin
            .audit(
                &state,
                Some(&tenant),
                "knowledge.put",
                &target,
                before.as_ref().map(summary),
                Some(summary(&stored)),
            )
            .await;
    }
    let status = if outcome == DocumentWrite::Created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(reply)))
}

async fn delete_document(
    State(state): State<AppState>,
    admin: Admin,
    Path((slug, doc_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let tenant = existing_tenant(&state, &admin, &slug).await?;
    let id = document_id(&doc_id)?;
    let before = state.knowledge.document(&tenant, &id).await?;
    let now = state.clock.now();
    if !state.knowledge.delete_document(&tenant, &id, &reindex_jobs(&state, &tenant), now).await? {
        return Err(ApiError::not_found(format!("tenant {tenant} has no document {id}")));
    }
    tracing::info!(tenant_id = %tenant, doc_id = %id, by = %admin.0.subject, "knowledge document deleted");
    admin
        .audit(
            &state,
            Some(&tenant),
            "knowledge.delete",
            &format!("knowledge/{id}"),
            before.as_ref().map(summary),
            None,
        )
        .await;
    Ok(Json(json!({"deleted": id.as_str()})))
}

/// `POST …/knowledge/ask`: what a caller asking this would get.
async fn ask(
    State(state): State<AppState>,
    admin: Admin,
    Path(slug): Path<String>,
    body: Result<Json<AskBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let tenant = admin.tenant(&slug)?;
    let question = json_body(body)?.question;
    let question = question.trim();
    if question.is_empty() || question.chars().count() > MAX_QUESTION_CHARS {
        return Err(ApiError::validation(&[FieldProblem {
            field: "question".to_owned(),
            message: format!("must be 1 to {MAX_QUESTION_CHARS} characters"),
        }]));
    }
    let record = state.tenants.get_tenant(&tenant).await?;
    let record = record.ok_or_else(|| ApiError::not_found(format!("tenant {tenant} does not exist")))?;
    let asked = state.retriever.ask(&record.profile, question).await?;
    Ok(Json(asked_json(&asked)))
}

fn asked_json(asked: &Asked) -> Value {
    let outcome = match asked.verdict {
        Verdict::Answer => "answer",
        Verdict::Clarify => "clarify",
        Verdict::NotFound => "not_found",
    };
    json!({
        "outcome": outcome,
        "answer": asked.answer,
        "confidence": asked.confidence,
        "sources": asked.sources.iter().map(|cited| json!({
            "source": cited.source.id(),
            "kind": cited.source.kind.as_str(),
            "doc_id": (cited.source.kind == frontdesk_rag::SourceKind::Document).then_some(cited.source.key.as_str()),
            "title": cited.source.title,
            "headings": cited.headings,
            "snippet": cited.snippet,
            "score": cited.score,
        })).collect::<Vec<_>>(),
    })
}
