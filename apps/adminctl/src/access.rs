//! `adminctl operator add EMAIL` (the password read from standard input)
//! and `adminctl owner login-link SLUG` (a shop owner's sign-in link, for
//! local use when texts go nowhere).

use std::io::BufRead;

use clap::Subcommand;
use serde_json::json;

use crate::client::{AdminClient, Failure, encode};
use crate::output;

#[derive(Debug, Subcommand)]
pub enum OperatorCommand {
    /// Add an operator who signs in at /ops/login, or set a new password
    /// for one. The password (at least 12 characters) is read from standard
    /// input, never from the command line.
    Add { email: String },
}

#[derive(Debug, Subcommand)]
pub enum OwnerCommand {
    /// Print a sign-in link and code for the shop's owner (15 minutes,
    /// once), instead of texting them.
    LoginLink { slug: String },
}

/// The first line of `input`, without its line end.
fn read_password(input: &mut dyn BufRead) -> Result<String, Failure> {
    let mut line = String::new();
    input.read_line(&mut line).map_err(|e| Failure::Usage(format!("error: cannot read the password: {e}")))?;
    let password = line.trim_end_matches(['\n', '\r']).to_owned();
    if password.is_empty() {
        return Err(Failure::Usage(
            "error: no password on standard input (e.g. `adminctl operator add EMAIL < password.txt`)".into(),
        ));
    }
    Ok(password)
}

pub async fn operator(client: &AdminClient, command: OperatorCommand, json_output: bool) -> Result<(), Failure> {
    match command {
        OperatorCommand::Add { email } => {
            if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
                eprintln!("password (at least 12 characters), then Enter:");
            }
            let password = read_password(&mut std::io::stdin().lock())?;
            let body = client.post("/admin/operators", Some(&json!({"email": email, "password": password}))).await?;
            if json_output {
                output::print_json(&body);
            } else {
                println!("operator {} can sign in at /ops/login", body["email"].as_str().unwrap_or(&email));
            }
            Ok(())
        }
    }
}

pub async fn owner(client: &AdminClient, command: OwnerCommand, json_output: bool) -> Result<(), Failure> {
    match command {
        OwnerCommand::LoginLink { slug } => {
            let body = client.post(&format!("/admin/tenants/{}/owner-login-link", encode(&slug)), None).await?;
            if json_output {
                output::print_json(&body);
            } else {
                println!("{}", body["link"].as_str().unwrap_or_default());
                println!(
                    "or the code {} at /app/login/code (until {})",
                    body["code"].as_str().unwrap_or_default(),
                    body["expires_at"].as_str().unwrap_or_default()
                );
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_the_first_line_of_standard_input() {
        let mut input = std::io::Cursor::new("correct horse battery\r\nsecond line\n");
        assert_eq!(read_password(&mut input).ok().as_deref(), Some("correct horse battery"));
        let mut empty = std::io::Cursor::new("");
        assert!(matches!(read_password(&mut empty), Err(Failure::Usage(_))));
    }
}
