//! `adminctl`: the operator's command line for Frontdesk's admin API.
//!
//! Exit codes: 0 success; 1 the gateway refused (validation errors, 403,
//! 404, …); 2 bad usage or bad local input (unreadable file, malformed TOML,
//! missing secret); 3 the gateway could not be reached.

mod access;
mod bench;
mod bench_model;
mod billing;
mod bookings;
mod calls;
mod client;
mod eval;
mod jobs;
mod knowledge;
mod loadtest;
mod numbers;
mod onboard;
mod output;
mod realtime_probe;
mod sandbox;
mod simulate;

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{Duration, Utc};
use clap::{Parser, Subcommand};
use frontdesk_auth::{Scope, TokenSecret};
use frontdesk_tenant::{DocumentError, ProfileDocument};

use crate::client::{AdminClient, Failure};

#[derive(Debug, Parser)]
#[command(name = "adminctl", version, about = "Operate Frontdesk through its admin API")]
struct Cli {
    /// The gateway's base URL.
    #[arg(long, env = "FRONTDESK_ADMIN_URL", default_value = "http://127.0.0.1:8080", global = true)]
    url: String,
    /// Print the API's JSON instead of tables.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Tenant profiles.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Appointments.
    #[command(subcommand)]
    Bookings(bookings::BookingsCommand),
    /// Free slots for a service on a day (or several).
    Availability {
        slug: String,
        service: String,
        /// YYYY-MM-DD in the shop's zone.
        date: String,
        #[arg(long, default_value_t = 1)]
        days: u32,
        #[arg(long)]
        staff: Option<String>,
    },
    /// A shop's completed bookings and no-shows, and its no-show rate for
    /// customers who confirmed against those who did not (default: the 30
    /// days before today, and today until now).
    Attendance {
        slug: String,
        /// First day (YYYY-MM-DD, the shop's zone) or an RFC 3339 time.
        #[arg(long)]
        from: Option<String>,
        /// End, excluded: YYYY-MM-DD (that day is not counted) or an RFC 3339 time.
        #[arg(long)]
        to: Option<String>,
    },
    /// A tenant's calls, newest first (default: the last 7 days).
    Calls {
        slug: String,
        /// First day (YYYY-MM-DD, the shop's zone) or an RFC 3339 time.
        #[arg(long)]
        from: Option<String>,
        /// Last day, included (YYYY-MM-DD), or an RFC 3339 time (excluded).
        #[arg(long)]
        to: Option<String>,
    },
    /// One call with its transcript.
    Call { slug: String, call_sid: String },
    /// A tenant's texts, newest first.
    Messages { slug: String },
    /// Questions the receptionist could not answer, newest first;
    /// `questions answer SLUG ID "answer"` adds the answer to the shop's knowledge.
    #[command(args_conflicts_with_subcommands = true)]
    Questions {
        #[command(subcommand)]
        command: Option<calls::QuestionsCommand>,
        slug: Option<String>,
    },
    /// Callers owed a call back (a transfer nobody took, a message left),
    /// the longest waiting first; `callbacks done SLUG CALL_SID` marks one done.
    #[command(args_conflicts_with_subcommands = true)]
    Callbacks {
        #[command(subcommand)]
        command: Option<calls::CallbacksCommand>,
        slug: Option<String>,
        /// Done ones too.
        #[arg(long)]
        all: bool,
    },
    /// A shop's knowledge: the documents its answers come from.
    #[command(subcommand)]
    Knowledge(knowledge::KnowledgeCommand),
    /// Background jobs (operator only).
    #[command(subcommand)]
    Jobs(jobs::JobsCommand),
    /// Make a phone call against a running gateway, as Twilio would.
    ///
    /// By default it calls a sandbox copy of a shop, made for the call and
    /// purged after it (see --copy-of); --tenant names a sandbox or, with
    /// --live, a live shop; --to NUMBER calls a number as it is.
    Simulate {
        /// Call this number: a sandbox's, or a live shop's with --live.
        #[arg(long, conflicts_with_all = ["tenant", "copy_of", "keep_sandbox"])]
        to: Option<String>,
        /// The caller's number (caller ID).
        #[arg(long, default_value = "+15555551234")]
        from: String,
        /// Where the gateway listens.
        #[arg(long, env = "FRONTDESK_SIMULATE_GATEWAY", default_value = "http://127.0.0.1:8080")]
        gateway: String,
        /// The gateway's FRONTDESK_PUBLIC_BASE_URL, if not the same as --gateway.
        #[arg(long)]
        public_url: Option<String>,
        /// Play this conversation file instead of reading from the terminal.
        #[arg(long)]
        script: Option<PathBuf>,
        #[command(flatten)]
        target: sandbox::TargetArgs,
    },
    /// Many complete, signed booking calls at once; prints throughput and latency.
    ///
    /// By default the calls go to a sandbox copy of a shop, made for the run
    /// and purged after it; --tenant SLUG --live loads a live shop.
    Loadtest {
        #[arg(long, default_value_t = 100)]
        calls: usize,
        #[arg(long, default_value_t = 20)]
        concurrency: usize,
        #[command(flatten)]
        target: sandbox::TargetArgs,
        #[arg(long, default_value = "haircut")]
        service: String,
        #[arg(long, env = "FRONTDESK_SIMULATE_GATEWAY", default_value = "http://127.0.0.1:8080")]
        gateway: String,
        #[arg(long)]
        public_url: Option<String>,
        /// Report this process's peak memory (the gateway's pid).
        #[arg(long)]
        gateway_pid: Option<u32>,
        /// Milliseconds a caller "speaks" between turns (0 = fire turns back to back).
        #[arg(long, default_value_t = 0)]
        think_ms: u64,
    },
    /// Starts release gateways and measures the phone path: CPU per request
    /// at saturation and latency of 100 paced calls, on SQLite and PostgreSQL.
    BenchCalls {
        /// The gateway to measure (default: voice-gateway next to this adminctl).
        #[arg(long)]
        gateway_bin: Option<PathBuf>,
        /// An older gateway binary to compare with in the same run.
        #[arg(long, env = "FRONTDESK_BENCH_BEFORE_BIN")]
        before_bin: Option<PathBuf>,
        /// A PostgreSQL server URL; without it only SQLite is measured.
        #[arg(long, env = "FRONTDESK_TEST_POSTGRES_URL")]
        postgres: Option<String>,
        /// Calls per saturation run (4 webhook requests each).
        #[arg(long, default_value_t = 250)]
        calls: usize,
        /// Runs per gateway and store, alternating gateways.
        #[arg(long, default_value_t = 2)]
        rounds: usize,
        /// Replace the calls section of this Markdown file with the results.
        #[arg(long)]
        write_docs: Option<PathBuf>,
    },
    /// Plays the conversation fixtures against a real OpenAI-compatible
    /// model (no gateway): pass rate, model calls, tokens and cost per call,
    /// model turn latency. Needs FRONTDESK_OPENAI_API_KEY.
    Eval(eval::EvalArgs),
    /// One session with the real OpenAI Realtime API, as the phone bridge
    /// opens it (no gateway): sends a μ-law recording (--audio) or asks for
    /// --prompt, prints every event and writes the model's audio to --out.
    /// Needs FRONTDESK_OPENAI_API_KEY.
    RealtimeProbe(realtime_probe::ProbeArgs),
    /// Starts release gateways with a fake language model and measures the
    /// gateway CPU a model turn adds, and whether calls waiting on a slow
    /// model slow other calls down, on SQLite and PostgreSQL.
    BenchModel(bench_model::BenchModelArgs),
    /// Put a tenant on a plan: starter, core, pro or enterprise (operator only).
    SetPlan { slug: String, plan: String },
    /// A shop from its profile file to answering calls: the shop, its plan
    /// (and Stripe customer), a number (bought, assigned or ported), a test
    /// call that books and cancels, and a checklist of what waits.
    Onboard(onboard::OnboardArgs),
    /// Phone numbers: search, buy, assign, list, release (operator only).
    #[command(subcommand)]
    Numbers(numbers::NumbersCommand),
    /// Ports of shops' own numbers (operator only).
    #[command(subcommand, name = "port-in")]
    PortIn(numbers::PortInCommand),
    /// Texting registration (A2P 10DLC): brand and campaign (operator only).
    #[command(subcommand)]
    Registration(numbers::RegistrationCommand),
    /// Calls to the shop go to the owner's phone, with no AI.
    Suspend { slug: String },
    /// The receptionist answers the shop's calls again.
    Resume { slug: String },
    /// People who sign in to the operator pages (operator only).
    #[command(subcommand)]
    Operator(access::OperatorCommand),
    /// A shop owner's sign-in (operator only).
    #[command(subcommand)]
    Owner(access::OwnerCommand),
    /// Override one feature flag for a tenant: on, off, or default (remove the override).
    SetFlag { slug: String, flag: String, value: String },
    /// Each flag's effective value for a tenant, and where it comes from.
    ShowFlags { slug: String },
    /// Set a tenant's minute cap (or "default" for its plan's included minutes).
    SetCap { slug: String, minutes: String },
    /// Minutes, SMS segments and tokens used in a billing period, with the cap.
    Usage {
        slug: String,
        /// YYYY-MM; default: this month in the shop's time zone.
        #[arg(long)]
        period: Option<String>,
    },
    /// Invoices.
    #[command(subcommand)]
    Invoice(billing::InvoiceCommand),
    /// Sandboxes: copies of a shop for test calls, never billed (operator only).
    #[command(subcommand)]
    Sandbox(sandbox::SandboxCommand),
    /// The audit log of admin changes, oldest first.
    Audit {
        #[arg(long)]
        tenant: Option<String>,
        /// A date (2026-11-01, UTC) or an RFC 3339 time.
        #[arg(long)]
        from: Option<String>,
        /// A date or an RFC 3339 time, exclusive.
        #[arg(long)]
        to: Option<String>,
        /// The latest this many, newest first.
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Print an admin token for scripts (HS256, signed with FRONTDESK_ADMIN_JWT_SECRET).
    Token {
        /// `admin` or `tenant:<slug>`.
        #[arg(long)]
        scope: String,
        /// Lifetime in seconds (at most 900).
        #[arg(long, default_value_t = 60)]
        ttl: i64,
        /// Who the token speaks for (the `sub` claim).
        #[arg(long, default_value = "adminctl")]
        subject: String,
    },
}

#[derive(Debug, Subcommand)]
enum TenantCommand {
    /// Create or replace a tenant from a profile file (TOML, as in fixtures/tenants/).
    Apply { file: PathBuf },
    /// Show one tenant.
    Show { slug: String },
    /// List every tenant (operator only).
    List,
    /// Disable a tenant: its numbers stop being answered, its data is kept.
    Disable { slug: String },
    /// Enable a disabled tenant again.
    Enable { slug: String },
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("{}", failure.message());
            ExitCode::from(failure.exit_code())
        }
    }
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let secret = || {
        std::env::var("FRONTDESK_ADMIN_JWT_SECRET")
            .ok()
            .filter(|s| !s.is_empty())
            .map(|s| TokenSecret::new(s.as_bytes()))
            .ok_or_else(|| {
                Failure::Usage(
                    "error: FRONTDESK_ADMIN_JWT_SECRET is not set; adminctl signs its requests with it".into(),
                )
            })
    };
    match cli.command {
        Command::Token { scope, ttl, subject } => {
            let scope = Scope::parse(&scope).map_err(|e| Failure::Usage(format!("error: --scope: {e}")))?;
            let token = secret()?
                .mint(&subject, &scope, Duration::seconds(ttl), Utc::now())
                .map_err(|e| Failure::Usage(format!("error: {e}")))?;
            println!("{token}");
            Ok(())
        }
        Command::Simulate { to, from, gateway, public_url, script, target } => {
            let auth_token = std::env::var("FRONTDESK_TWILIO_AUTH_TOKEN").ok().filter(|t| !t.is_empty()).ok_or_else(|| {
                Failure::Usage("error: FRONTDESK_TWILIO_AUTH_TOKEN is not set; the simulator signs like Twilio with the gateway's token".into())
            })?;
            let admin = match secret() {
                Ok(secret) => Some(AdminClient::new(&gateway, secret)?),
                Err(_) => None,
            };
            let mut options = simulate::SimulateOptions {
                to: String::new(),
                from,
                gateway: gateway.clone(),
                public_url,
                auth_token,
                script,
                admin: None,
            };
            match (to, admin) {
                (Some(to), admin) => {
                    if !target.live {
                        number_is_a_sandbox(admin.as_ref(), &to).await?;
                    }
                    options.to = to;
                    options.admin = admin.as_ref();
                    simulate::run(options).await
                }
                (None, Some(admin)) => {
                    let chosen = sandbox::Target::choose(&admin, &target).await?;
                    options.to = chosen.number.clone();
                    options.admin = Some(&admin);
                    let result = simulate::run(options).await;
                    chosen.finish(&admin, result).await
                }
                (None, None) => Err(Failure::Usage(
                    "error: simulate calls a sandbox copy of a shop, made through the admin API: set FRONTDESK_ADMIN_JWT_SECRET\n\
                     (or call a number as it is: --to NUMBER, with --live if it is a live shop's)"
                        .into(),
                )),
            }
        }
        Command::BenchCalls { gateway_bin, before_bin, postgres, calls, rounds, write_docs } => {
            let gateway = match gateway_bin {
                Some(path) => path,
                None => std::env::current_exe()
                    .ok()
                    .and_then(|exe| exe.parent().map(|dir| dir.join("voice-gateway")))
                    .filter(|path| path.exists())
                    .ok_or_else(|| {
                        Failure::Usage(
                            "error: no voice-gateway next to adminctl; build it (cargo build --release -p voice-gateway) or pass --gateway-bin".into(),
                        )
                    })?,
            };
            if calls == 0 {
                return Err(Failure::Usage("error: --calls must be at least 1".into()));
            }
            let options = bench::BenchOptions { gateway, before: before_bin, postgres, calls, rounds, write_docs };
            bench::run(options).await
        }
        Command::BenchModel(args) => bench_model::run(args).await,
        Command::Loadtest { calls, concurrency, target, service, gateway, public_url, gateway_pid, think_ms } => {
            let auth_token =
                std::env::var("FRONTDESK_TWILIO_AUTH_TOKEN").ok().filter(|t| !t.is_empty()).ok_or_else(|| {
                    Failure::Usage(
                        "error: FRONTDESK_TWILIO_AUTH_TOKEN is not set; calls are signed like Twilio's".into(),
                    )
                })?;
            if calls == 0 || concurrency == 0 {
                return Err(Failure::Usage("error: --calls and --concurrency must be at least 1".into()));
            }
            let client = AdminClient::new(&cli.url, secret()?)?;
            let think = std::time::Duration::from_millis(think_ms);
            let chosen = sandbox::Target::choose(&client, &target).await?;
            let options = loadtest::LoadOptions {
                calls,
                concurrency,
                tenant: chosen.slug.clone(),
                service,
                gateway,
                public_url,
                auth_token,
                gateway_pid,
                think,
                script: loadtest::CallScript::Booking,
            };
            let result = loadtest::run(&client, options).await;
            chosen.finish(&client, result).await
        }
        Command::Eval(args) => eval::run(args, cli.json).await,
        Command::RealtimeProbe(args) => realtime_probe::run(args).await,
        Command::Sandbox(command) => {
            let client = AdminClient::new(&cli.url, secret()?)?;
            sandbox::run(command, &client, cli.json).await
        }
        Command::Tenant(command) => {
            let client = AdminClient::new(&cli.url, secret()?)?;
            tenant(command, &client, cli.json).await
        }
        Command::Bookings(command) => {
            let client = AdminClient::new(&cli.url, secret()?)?;
            bookings::run(command, &client, cli.json).await
        }
        Command::Availability { slug, service, date, days, staff } => {
            let client = AdminClient::new(&cli.url, secret()?)?;
            bookings::availability(&client, &slug, &service, &date, days, staff.as_deref(), cli.json).await
        }
        Command::Attendance { slug, from, to } => {
            let client = AdminClient::new(&cli.url, secret()?)?;
            bookings::attendance(&client, &slug, from.as_deref(), to.as_deref(), cli.json).await
        }
        Command::Calls { slug, from, to } => {
            let client = AdminClient::new(&cli.url, secret()?)?;
            calls::list(&client, &slug, from.as_deref(), to.as_deref(), cli.json).await
        }
        Command::Call { slug, call_sid } => {
            calls::show(&AdminClient::new(&cli.url, secret()?)?, &slug, &call_sid, cli.json).await
        }
        Command::Messages { slug } => calls::messages(&AdminClient::new(&cli.url, secret()?)?, &slug, cli.json).await,
        Command::Knowledge(command) => knowledge::run(command, &AdminClient::new(&cli.url, secret()?)?, cli.json).await,
        Command::Questions { command, slug } => {
            let client = AdminClient::new(&cli.url, secret()?)?;
            match (command, slug) {
                (Some(command), _) => calls::answer_question(&client, command, cli.json).await,
                (None, Some(slug)) => calls::questions(&client, &slug, cli.json).await,
                (None, None) => Err(Failure::Usage(
                    "error: name the shop: adminctl questions SLUG, or adminctl questions answer SLUG ID \"answer\""
                        .into(),
                )),
            }
        }
        Command::Callbacks { command, slug, all } => {
            let client = AdminClient::new(&cli.url, secret()?)?;
            match (command, slug) {
                (Some(command), _) => calls::callback_done(&client, command, cli.json).await,
                (None, Some(slug)) => calls::callbacks(&client, &slug, all, cli.json).await,
                (None, None) => Err(Failure::Usage(
                    "error: name the shop: adminctl callbacks SLUG, or adminctl callbacks done SLUG CALL_SID".into(),
                )),
            }
        }
        Command::Jobs(command) => {
            let client = AdminClient::new(&cli.url, secret()?)?;
            jobs::run(command, &client, cli.json).await
        }
        Command::Operator(command) => {
            access::operator(&AdminClient::new(&cli.url, secret()?)?, command, cli.json).await
        }
        Command::Owner(command) => access::owner(&AdminClient::new(&cli.url, secret()?)?, command, cli.json).await,
        Command::Onboard(args) => {
            let client = AdminClient::new(&cli.url, secret()?)?;
            onboard::run(args, &client, &cli.url, cli.json).await
        }
        Command::Numbers(command) => numbers::numbers(command, &AdminClient::new(&cli.url, secret()?)?, cli.json).await,
        Command::PortIn(command) => numbers::port_in(command, &AdminClient::new(&cli.url, secret()?)?, cli.json).await,
        Command::Registration(command) => {
            numbers::registration(command, &AdminClient::new(&cli.url, secret()?)?, cli.json).await
        }
        Command::Suspend { slug } => {
            numbers::suspend(&AdminClient::new(&cli.url, secret()?)?, &slug, true, cli.json).await
        }
        Command::Resume { slug } => {
            numbers::suspend(&AdminClient::new(&cli.url, secret()?)?, &slug, false, cli.json).await
        }
        Command::SetPlan { slug, plan } => {
            billing::set_plan(&AdminClient::new(&cli.url, secret()?)?, &slug, &plan, cli.json).await
        }
        Command::SetFlag { slug, flag, value } => {
            billing::set_flag(&AdminClient::new(&cli.url, secret()?)?, &slug, &flag, &value, cli.json).await
        }
        Command::ShowFlags { slug } => {
            billing::show_flags(&AdminClient::new(&cli.url, secret()?)?, &slug, cli.json).await
        }
        Command::SetCap { slug, minutes } => {
            billing::set_cap(&AdminClient::new(&cli.url, secret()?)?, &slug, &minutes, cli.json).await
        }
        Command::Usage { slug, period } => {
            billing::usage(&AdminClient::new(&cli.url, secret()?)?, &slug, period.as_deref(), cli.json).await
        }
        Command::Invoice(command) => billing::invoice(command, &AdminClient::new(&cli.url, secret()?)?, cli.json).await,
        Command::Audit { tenant, from, to, limit } => {
            let client = AdminClient::new(&cli.url, secret()?)?;
            billing::audit(&client, tenant.as_deref(), from.as_deref(), to.as_deref(), limit, cli.json).await
        }
    }
}

async fn tenant(command: TenantCommand, client: &AdminClient, json: bool) -> Result<(), Failure> {
    match command {
        TenantCommand::Apply { file } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| Failure::Usage(format!("error: cannot read {}: {e}", file.display())))?;
            let document = ProfileDocument::from_toml(&text).map_err(|error| {
                let detail = match error {
                    DocumentError::Syntax(message) => message,
                    DocumentError::Shape(problems) => {
                        problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
                    }
                };
                Failure::Usage(format!("error: {}: {detail}", file.display()))
            })?;
            let slug = document
                .slug
                .clone()
                .ok_or_else(|| Failure::Usage(format!("error: {}: slug: is required", file.display())))?;
            let (status, body) = client.put(&format!("/admin/tenants/{slug}"), &document.to_json()).await?;
            if json {
                output::print_json(&body);
            } else {
                let verb = if status == 201 { "created" } else { "updated" };
                println!("{verb} tenant {slug}");
            }
            Ok(())
        }
        TenantCommand::Show { slug } => {
            let body = client.get(&format!("/admin/tenants/{slug}")).await?;
            if json {
                output::print_json(&body)
            } else {
                output::print_tenant(&body)
            }
            Ok(())
        }
        TenantCommand::List => {
            let body = client.get("/admin/tenants").await?;
            if json {
                output::print_json(&body)
            } else {
                output::print_tenant_list(&body)
            }
            Ok(())
        }
        TenantCommand::Disable { slug } => {
            let body = client.delete(&format!("/admin/tenants/{slug}")).await?;
            if json {
                output::print_json(&body)
            } else {
                println!("disabled tenant {slug}")
            }
            Ok(())
        }
        TenantCommand::Enable { slug } => {
            let body = client.post(&format!("/admin/tenants/{slug}/enable"), None).await?;
            if json {
                output::print_json(&body)
            } else {
                println!("enabled tenant {slug}")
            }
            Ok(())
        }
    }
}

/// `simulate --to NUMBER` without `--live`: only a sandbox's number.
async fn number_is_a_sandbox(admin: Option<&AdminClient>, number: &str) -> Result<(), Failure> {
    let Some(admin) = admin else {
        return Err(Failure::Usage(format!(
            "error: cannot tell whose number {number} is without FRONTDESK_ADMIN_JWT_SECRET; \
             add --live if it is a live shop's (its bookings, texts and minutes are real)"
        )));
    };
    match sandbox::owner_of(admin, number).await? {
        Some(tenant) if tenant["kind"] == "sandbox" => Ok(()),
        Some(tenant) => Err(Failure::Usage(format!(
            "error: {number} is the number of {}, a live shop: its bookings, texts and minutes would be real and billed.\n\
             Add --live to mean it, or leave out --to to call a sandbox copy (--copy-of {}).",
            tenant["slug"].as_str().unwrap_or("a tenant"),
            tenant["slug"].as_str().unwrap_or("SLUG"),
        ))),
        None => Err(Failure::Refused(format!("error: no tenant answers {number}"))),
    }
}
