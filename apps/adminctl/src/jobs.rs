//! `adminctl jobs …`

use std::time::{Duration, Instant};

use clap::Subcommand;
use serde_json::json;

use crate::client::{AdminClient, Failure};
use crate::output;

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Enqueue N no-op jobs whose completion is recorded (a deployment smoke test).
    Ping {
        #[arg(long, default_value_t = 1)]
        count: u32,
        /// Each ping sleeps this long first.
        #[arg(long, default_value_t = 0)]
        delay_ms: u64,
        /// Wait until every ping has run; exit 1 if one died or time ran out.
        #[arg(long)]
        wait: bool,
        /// How long --wait waits, in seconds.
        #[arg(long, default_value_t = 120)]
        timeout: u64,
    },
    /// Queue depth and the most recently updated jobs.
    List {
        /// queued, running, failed, succeeded, dead or cancelled.
        #[arg(long)]
        state: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// Put a dead job back in the queue.
    Retry { id: String },
}

pub async fn run(command: JobsCommand, client: &AdminClient, json_output: bool) -> Result<(), Failure> {
    match command {
        JobsCommand::Ping { count, delay_ms, wait, timeout } => {
            let started = Instant::now();
            let body = client.post("/admin/jobs/ping", Some(&json!({"count": count, "delay_ms": delay_ms}))).await?;
            let ids: Vec<String> = body["job_ids"]
                .as_array()
                .map(|ids| ids.iter().filter_map(|id| id.as_str().map(str::to_owned)).collect())
                .unwrap_or_default();
            if !wait {
                if json_output {
                    output::print_json(&body)
                } else {
                    println!("enqueued {} ping job(s)", ids.len())
                }
                return Ok(());
            }
            wait_for(client, ids, started, Duration::from_secs(timeout), json_output).await
        }
        JobsCommand::List { state, limit } => {
            let mut path = format!("/admin/jobs?limit={limit}");
            if let Some(state) = state {
                path.push_str(&format!("&state={state}"));
            }
            let body = client.get(&path).await?;
            if json_output {
                output::print_json(&body)
            } else {
                output::print_jobs(&body)
            }
            Ok(())
        }
        JobsCommand::Retry { id } => {
            let body = client.post(&format!("/admin/jobs/{id}/retry"), None).await?;
            if json_output {
                output::print_json(&body)
            } else {
                println!("job {id} is queued again")
            }
            Ok(())
        }
    }
}

/// Polls each unfinished job until all are settled.
async fn wait_for(
    client: &AdminClient,
    mut pending: Vec<String>,
    started: Instant,
    timeout: Duration,
    json_output: bool,
) -> Result<(), Failure> {
    let total = pending.len();
    let mut dead: Vec<String> = Vec::new();
    while !pending.is_empty() {
        if started.elapsed() > timeout {
            return Err(Failure::Refused(format!(
                "error: {} of {total} ping job(s) still unfinished after {} s",
                pending.len(),
                timeout.as_secs()
            )));
        }
        let mut still = Vec::new();
        for id in pending {
            let job = client.get(&format!("/admin/jobs/{id}")).await?;
            match job["state"].as_str() {
                Some("succeeded") => {}
                Some("dead" | "cancelled") => dead.push(id),
                _ => still.push(id),
            }
        }
        pending = still;
        if !pending.is_empty() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let succeeded = total - dead.len();
    if json_output {
        output::print_json(&json!({"enqueued": total, "succeeded": succeeded, "dead": dead, "seconds": seconds}));
    } else {
        println!("{succeeded}/{total} ping job(s) succeeded in {seconds:.2} s ({:.0} jobs/s)", total as f64 / seconds);
    }
    if dead.is_empty() {
        Ok(())
    } else {
        Err(Failure::Refused(format!("error: dead ping job(s): {}", dead.join(", "))))
    }
}
