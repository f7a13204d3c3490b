//! `adminctl knowledge …`: a shop's documents, and trying a question.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use serde_json::{Value, json};

use crate::client::{AdminClient, Failure, encode};

#[derive(Debug, Subcommand)]
pub enum KnowledgeCommand {
    /// Add or replace a document from a file (.md, .html or .txt).
    Put {
        slug: String,
        file: PathBuf,
        /// Its title (default: its first heading or line).
        #[arg(long)]
        title: Option<String>,
        /// Its id (default: the file name without extension).
        #[arg(long)]
        id: Option<String>,
    },
    /// The shop's documents, with their passages.
    List { slug: String },
    /// Remove a document.
    Delete { slug: String, id: String },
    /// What a caller asking this would hear, with the sources and scores.
    Ask { slug: String, question: String },
}

/// The format the API expects, from a file's extension.
fn format_of(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("md" | "markdown") => "markdown",
        Some("html" | "htm") => "html",
        Some("pdf") => "pdf",
        _ => "text",
    }
}

/// The first heading or non-empty line, without Markdown or HTML marks.
fn title_of(text: &str, fallback: &str) -> String {
    if let Some(start) = text.find("<h1") {
        let after = &text[start..];
        if let (Some(open), Some(close)) = (after.find('>'), after.find("</h1>"))
            && open < close
        {
            return after[open + 1..close].trim().to_owned();
        }
    }
    text.lines()
        .map(|line| line.trim().trim_start_matches('#').trim())
        .find(|line| !line.is_empty() && !line.starts_with('<'))
        .map_or_else(|| fallback.to_owned(), str::to_owned)
}

pub async fn run(command: KnowledgeCommand, client: &AdminClient, json_output: bool) -> Result<(), Failure> {
    match command {
        KnowledgeCommand::Put { slug, file, title, id } => {
            let bytes = std::fs::read(&file)
                .map_err(|e| Failure::Usage(format!("error: cannot read {}: {e}", file.display())))?;
            let text = String::from_utf8(bytes)
                .map_err(|_| Failure::Usage(format!("error: {} is not UTF-8 text", file.display())))?;
            let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("document").to_owned();
            let id = id.unwrap_or_else(|| stem.to_lowercase().replace(' ', "-"));
            let title = title.unwrap_or_else(|| title_of(&text, &stem));
            let body = json!({"title": title, "format": format_of(&file), "text": text});
            let (_, reply) = client.put(&format!("/admin/tenants/{slug}/knowledge/{}", encode(&id)), &body).await?;
            if json_output {
                println!("{reply:#}");
            } else {
                println!(
                    "{} {id}: {} passage(s), {} bytes",
                    reply["outcome"].as_str().unwrap_or("written"),
                    reply["chunks"],
                    reply["bytes"]
                );
            }
            Ok(())
        }
        KnowledgeCommand::List { slug } => {
            let listed = client.get(&format!("/admin/tenants/{slug}/knowledge")).await?;
            if json_output {
                println!("{listed:#}");
                return Ok(());
            }
            let documents = listed["documents"].as_array().cloned().unwrap_or_default();
            for document in &documents {
                println!(
                    "{}  {}  {}  {} passage(s)  updated {}",
                    document["id"].as_str().unwrap_or("-"),
                    document["format"].as_str().unwrap_or("-"),
                    document["title"].as_str().unwrap_or("-"),
                    document["chunks"],
                    document["updated_at"].as_str().unwrap_or("-"),
                );
            }
            println!("{} document(s), knowledge version {}", documents.len(), listed["version"]);
            Ok(())
        }
        KnowledgeCommand::Delete { slug, id } => {
            client.delete(&format!("/admin/tenants/{slug}/knowledge/{}", encode(&id))).await?;
            println!("deleted {id}");
            Ok(())
        }
        KnowledgeCommand::Ask { slug, question } => {
            let asked = client
                .post(&format!("/admin/tenants/{slug}/knowledge/ask"), Some(&json!({"question": question})))
                .await?;
            if json_output {
                println!("{asked:#}");
            } else {
                print_asked(&asked);
            }
            Ok(())
        }
    }
}

fn print_asked(asked: &Value) {
    let outcome = asked["outcome"].as_str().unwrap_or("-");
    println!("outcome: {outcome} (confidence {:.2})", asked["confidence"].as_f64().unwrap_or(0.0));
    if let Some(answer) = asked["answer"].as_str() {
        println!("answer: {answer}");
    }
    for source in asked["sources"].as_array().into_iter().flatten() {
        println!(
            "  {:.2}  {}  {}: {}",
            source["score"].as_f64().unwrap_or(0.0),
            source["source"].as_str().unwrap_or("-"),
            source["title"].as_str().unwrap_or("-"),
            source["snippet"].as_str().unwrap_or("-"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_says_its_format_and_title() {
        assert_eq!(format_of(Path::new("a/payments.md")), "markdown");
        assert_eq!(format_of(Path::new("care.HTML")), "html");
        assert_eq!(format_of(Path::new("notes")), "text");
        assert_eq!(title_of("\n# Paying at Fresh Cuts\n\nCards.", "x"), "Paying at Fresh Cuts");
        assert_eq!(title_of("<style>h1{}</style><h1> Aftercare </h1>", "x"), "Aftercare");
        assert_eq!(title_of("", "fallback"), "fallback");
    }
}
