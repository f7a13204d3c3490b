//! `adminctl calls`, `call`, `messages` and `questions`: what happened on
//! the phone, without curl and jq.

use serde_json::Value;

use crate::client::{AdminClient, Failure, encode};
use crate::output;

/// Calls of a tenant, newest first (`from`/`to`: a date in the shop's zone, `to` included, or RFC 3339).
pub async fn list(
    client: &AdminClient,
    slug: &str,
    from: Option<&str>,
    to: Option<&str>,
    json_output: bool,
) -> Result<(), Failure> {
    let mut query = Vec::new();
    for (key, value) in [("from", from), ("to", to)] {
        if let Some(value) = value {
            query.push(format!("{key}={}", encode(value)));
        }
    }
    let body = client.get(&format!("/admin/tenants/{slug}/calls?{}", query.join("&"))).await?;
    if json_output {
        output::print_json(&body);
    } else {
        output::print_calls(&body["calls"]);
    }
    Ok(())
}

/// One call with its transcript.
pub async fn show(client: &AdminClient, slug: &str, call_sid: &str, json_output: bool) -> Result<(), Failure> {
    let body = client.get(&format!("/admin/tenants/{slug}/calls/{}", encode(call_sid))).await?;
    if json_output {
        output::print_json(&body);
    } else {
        output::print_call(&body);
    }
    Ok(())
}

/// Texts of a tenant, newest first.
pub async fn messages(client: &AdminClient, slug: &str, json_output: bool) -> Result<(), Failure> {
    let body = client.get(&format!("/admin/tenants/{slug}/messages")).await?;
    if json_output {
        output::print_json(&body);
    } else {
        output::print_messages(&body["messages"]);
    }
    Ok(())
}

/// Questions the receptionist could not answer, newest first.
pub async fn questions(client: &AdminClient, slug: &str, json_output: bool) -> Result<(), Failure> {
    let body: Value = client.get(&format!("/admin/tenants/{slug}/questions")).await?;
    if json_output {
        output::print_json(&body);
    } else {
        output::print_questions(&body["questions"]);
    }
    Ok(())
}

#[derive(Debug, clap::Subcommand)]
pub enum QuestionsCommand {
    /// Answer a question: the answer joins the shop's knowledge, the question is closed.
    Answer { slug: String, id: i64, answer: String },
}

/// `questions answer SLUG ID "answer"`.
pub async fn answer_question(
    client: &AdminClient,
    command: QuestionsCommand,
    json_output: bool,
) -> Result<(), Failure> {
    let QuestionsCommand::Answer { slug, id, answer } = command;
    let body = serde_json::json!({"answer": answer});
    let reply = client.post(&format!("/admin/tenants/{slug}/questions/{id}/answer"), Some(&body)).await?;
    if json_output {
        output::print_json(&reply);
    } else {
        println!(
            "answered question {id} ({}); callers now hear it from document {}",
            reply["question"]["question"].as_str().unwrap_or("-"),
            reply["document"]["id"].as_str().unwrap_or("-")
        );
    }
    Ok(())
}

#[derive(Debug, clap::Subcommand)]
pub enum CallbacksCommand {
    /// Mark a callback done (the caller was called back).
    Done { slug: String, call_sid: String },
}

/// Callers owed a call back, the longest waiting first (`--all` lists done ones too).
pub async fn callbacks(client: &AdminClient, slug: &str, all: bool, json_output: bool) -> Result<(), Failure> {
    let status = if all { "all" } else { "open" };
    let body: Value = client.get(&format!("/admin/tenants/{slug}/callbacks?status={status}")).await?;
    if json_output {
        output::print_json(&body);
    } else {
        output::print_callbacks(&body["callbacks"]);
    }
    Ok(())
}

/// `callbacks done SLUG CALL_SID`.
pub async fn callback_done(client: &AdminClient, command: CallbacksCommand, json_output: bool) -> Result<(), Failure> {
    let CallbacksCommand::Done { slug, call_sid } = command;
    let reply = client.post(&format!("/admin/tenants/{slug}/callbacks/{call_sid}/done"), None).await?;
    if json_output {
        output::print_json(&reply);
    } else {
        println!("callback for call {call_sid} marked done at {}", reply["done_at"].as_str().unwrap_or("-"));
    }
    Ok(())
}
