//! Where test traffic goes. `loadtest` and `simulate` call a sandbox (a
//! copy of a shop that is never billed, whose texts are never sent) made
//! for the run and purged after it, unless told to call a live shop with
//! `--live`. `adminctl sandbox` makes, lists and purges sandboxes by hand.

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use crate::client::{AdminClient, Failure};

/// The flags `loadtest` and `simulate` share to choose whom they call.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// Call this tenant. A live shop also needs --live; a sandbox is used
    /// as it is and kept.
    #[arg(long)]
    pub tenant: Option<String>,
    /// Say that calling a live shop is meant: its bookings, texts and minutes
    /// are real and billed.
    #[arg(long)]
    pub live: bool,
    /// The shop the run's sandbox copies (profile, plan and flag overrides);
    /// default: the demo barbershop on Pro.
    #[arg(long, conflicts_with_all = ["tenant", "live"])]
    pub copy_of: Option<String>,
    /// Keep the run's sandbox afterwards (purge it with `adminctl sandbox purge`).
    #[arg(long, conflicts_with_all = ["tenant", "live"])]
    pub keep_sandbox: bool,
}

/// The tenant a run calls.
#[derive(Debug)]
pub struct Target {
    pub slug: String,
    /// The number to call (the tenant's first).
    pub number: String,
    /// The tenant as the admin API shows it.
    pub tenant: Value,
    /// Made for this run: purged by `finish` unless kept.
    made_here: bool,
    keep: bool,
}

impl Target {
    /// The sandbox made for this run, or the tenant named (refused when it
    /// is live and `--live` was not given).
    pub async fn choose(client: &AdminClient, args: &TargetArgs) -> Result<Target, Failure> {
        let Some(slug) = &args.tenant else {
            if args.live {
                return Err(Failure::Usage("error: --live needs --tenant: name the live shop to call".into()));
            }
            let body = args.copy_of.as_ref().map(|shop| json!({"copy_of": shop}));
            let tenant = client.post("/admin/sandboxes", Some(&body.unwrap_or_else(|| json!({})))).await?;
            let target = Target::from_tenant(tenant, true, args.keep_sandbox)?;
            let copied = args.copy_of.as_deref().unwrap_or("the demo barbershop");
            eprintln!(
                "calling sandbox {} (a copy of {copied}) on {}: never billed, texts not sent{}",
                target.slug,
                target.number,
                if args.keep_sandbox { "; kept afterwards" } else { "; purged when the run ends" }
            );
            return Ok(target);
        };
        let tenant = client.get(&format!("/admin/tenants/{slug}")).await?;
        let target = Target::from_tenant(tenant, false, true)?;
        if !target.is_sandbox() && !args.live {
            return Err(Failure::Usage(format!(
                "error: {slug} is a live shop: its bookings, texts and minutes would be real and billed.\n\
                 Add --live to mean it, or leave out --tenant to call a sandbox copy (--copy-of {slug})."
            )));
        }
        Ok(target)
    }

    fn from_tenant(tenant: Value, made_here: bool, keep: bool) -> Result<Target, Failure> {
        let slug = tenant["slug"].as_str().unwrap_or_default().to_owned();
        let number = tenant["profile"]["phone_numbers"][0]
            .as_str()
            .ok_or_else(|| Failure::Usage(format!("error: tenant {slug} has no phone number to call")))?
            .to_owned();
        Ok(Target { slug, number, tenant, made_here, keep })
    }

    pub fn is_sandbox(&self) -> bool {
        self.tenant["kind"] == "sandbox"
    }

    /// Purges the sandbox made for this run (whatever the run's result),
    /// then returns the run's result.
    pub async fn finish<T>(self, client: &AdminClient, result: Result<T, Failure>) -> Result<T, Failure> {
        if !self.made_here {
            return result;
        }
        if self.keep {
            eprintln!("sandbox {} kept; purge it with: adminctl sandbox purge {}", self.slug, self.slug);
            return result;
        }
        match client.delete(&format!("/admin/sandboxes/{}", self.slug)).await {
            Ok(_) => eprintln!("sandbox {} purged", self.slug),
            Err(error) => {
                eprintln!(
                    "warning: could not purge sandbox {}: {}; purge it with: adminctl sandbox purge {}",
                    self.slug,
                    error.message(),
                    self.slug
                );
                // The run's own failure comes first; a clean run still fails.
                return result.and(Err(error));
            }
        }
        result
    }
}

/// The owner of `number`, from the operator's tenant list.
pub async fn owner_of(client: &AdminClient, number: &str) -> Result<Option<Value>, Failure> {
    let tenants = client.get("/admin/tenants").await?;
    let owns = |tenant: &&Value| {
        tenant["profile"]["phone_numbers"].as_array().is_some_and(|numbers| numbers.iter().any(|n| n == number))
    };
    Ok(tenants["tenants"].as_array().and_then(|all| all.iter().find(owns)).cloned())
}

/// `adminctl sandbox …`
#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Make a sandbox copy of a shop; prints its id and number.
    Create {
        /// The shop to copy (default: the demo barbershop).
        #[arg(long)]
        copy_of: Option<String>,
        /// Its plan, instead of the copied shop's.
        #[arg(long)]
        plan: Option<String>,
    },
    /// Every sandbox, with its number.
    List,
    /// Delete sandboxes and every row kept for them (the audit log stays).
    Purge {
        /// The sandboxes to purge.
        #[arg(required_unless_present = "all")]
        slugs: Vec<String>,
        /// Every sandbox.
        #[arg(long, conflicts_with = "slugs")]
        all: bool,
    },
}

pub async fn run(command: SandboxCommand, client: &AdminClient, json_output: bool) -> Result<(), Failure> {
    match command {
        SandboxCommand::Create { copy_of, plan } => {
            let mut body = serde_json::Map::new();
            if let Some(shop) = copy_of {
                body.insert("copy_of".into(), Value::from(shop));
            }
            if let Some(plan) = plan {
                body.insert("plan".into(), Value::from(plan));
            }
            let tenant = client.post("/admin/sandboxes", Some(&Value::Object(body))).await?;
            if json_output {
                println!("{tenant:#}");
            } else {
                let number = tenant["profile"]["phone_numbers"][0].as_str().unwrap_or("-");
                println!("created sandbox {} on {number}", tenant["slug"].as_str().unwrap_or("-"));
            }
            Ok(())
        }
        SandboxCommand::List => {
            let listed = client.get("/admin/sandboxes").await?;
            if json_output {
                println!("{listed:#}");
                return Ok(());
            }
            let sandboxes = listed["sandboxes"].as_array().cloned().unwrap_or_default();
            for sandbox in &sandboxes {
                println!(
                    "{}  {}  {}  created {}",
                    sandbox["slug"].as_str().unwrap_or("-"),
                    sandbox["profile"]["phone_numbers"][0].as_str().unwrap_or("-"),
                    sandbox["profile"]["name"].as_str().unwrap_or("-"),
                    sandbox["created_at"].as_str().unwrap_or("-"),
                );
            }
            println!("{} sandbox(es)", sandboxes.len());
            Ok(())
        }
        SandboxCommand::Purge { slugs, all } => {
            let slugs = if all {
                let listed = client.get("/admin/sandboxes").await?;
                listed["sandboxes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|s| s["slug"].as_str().map(str::to_owned))
                    .collect()
            } else {
                slugs
            };
            for slug in &slugs {
                client.delete(&format!("/admin/sandboxes/{slug}")).await?;
                println!("purged sandbox {slug}");
            }
            if slugs.is_empty() {
                println!("no sandboxes to purge");
            }
            Ok(())
        }
    }
}
