//! `/app/questions`: what callers asked that the receptionist could not
//! answer; the owner's answer joins the shop's knowledge (the same use case
//! as `POST /admin/tenants/{slug}/questions/{id}/answer`).

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::owner::{shop_of, unavailable};
use super::{OwnerSession, audit_owner, page};
use crate::app::AppState;

struct QuestionRow {
    id: i64,
    question: String,
    asked: String,
}

#[derive(Template)]
#[template(path = "owner_questions.html")]
struct QuestionsPage {
    shop: String,
    page: &'static str,
    done: Option<String>,
    error: Option<String>,
    rows: Vec<QuestionRow>,
}

#[derive(Deserialize)]
pub(crate) struct Outcome {
    done: Option<String>,
    error: Option<String>,
}

pub(crate) async fn questions(
    State(state): State<AppState>,
    owner: OwnerSession,
    Query(outcome): Query<Outcome>,
) -> Response {
    let Some(shop) = shop_of(&state, &owner).await else { return unavailable() };
    let zone = shop.profile.timezone();
    let asked = match state.calls.questions(&owner.tenant).await {
        Ok(asked) => asked,
        Err(error) => {
            tracing::error!(%error, "could not list a shop's questions");
            return unavailable();
        }
    };
    let rows = asked
        .iter()
        .filter(|question| question.answered_at.is_none())
        .map(|question| QuestionRow {
            id: question.id,
            question: question.question.clone(),
            asked: question.asked_at.with_timezone(&zone).format("%a %-d %b, %-I:%M %p").to_string(),
        })
        .collect();
    let page_ = QuestionsPage {
        shop: shop.profile.name().to_owned(),
        page: "questions",
        done: outcome.done.map(|_| "Saved. Callers who ask will hear your answer.".to_owned()),
        error: outcome.error,
        rows,
    };
    page(page_.render())
}

#[derive(Deserialize)]
pub(crate) struct AnswerForm {
    #[serde(default)]
    answer: String,
}

pub(crate) async fn answer(
    State(state): State<AppState>,
    owner: OwnerSession,
    Path(id): Path<i64>,
    Form(form): Form<AnswerForm>,
) -> Response {
    let back = |key: &str, value: &str| {
        let query = url::form_urlencoded::Serializer::new(String::new()).append_pair(key, value).finish();
        Redirect::to(&format!("/app/questions?{query}")).into_response()
    };
    match crate::admin::knowledge::answer_into_knowledge(&state, &owner.tenant, id, &form.answer).await {
        Ok((_, summary)) => {
            audit_owner(&state, &owner, "question.answer", &format!("questions/{id}"), None, summary).await;
            back("done", "1")
        }
        Err(crate::admin::knowledge::AnswerRefused::Invalid(problems)) => {
            let why: Vec<String> = problems.iter().map(|problem| format!("the answer {}", problem.message)).collect();
            back("error", &format!("Not saved: {}.", why.join("; ")))
        }
        Err(crate::admin::knowledge::AnswerRefused::NoQuestion) => back("error", "Not saved: no such question."),
        Err(crate::admin::knowledge::AnswerRefused::Failed(error)) => {
            tracing::error!(?error, "could not save an owner's answer");
            back("error", "Not saved: something went wrong on our side. Try again in a minute.")
        }
    }
}
