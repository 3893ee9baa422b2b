//! `relay-explorer access`: who may Listen, Send or Manage on an entity, and exactly why.

use anyhow::{Result, anyhow, bail};
use clap::Args;

use super::account::CredentialArgs;
use super::ls::explain as explain_error;
use crate::access::explain::{self, Ask, Blocker, Explanation, Grant, Principal};
use crate::access::{Snapshot, Subject};
use crate::arm::graph::GraphClient;
use crate::arm::{ArmClient, DEFAULT_CONCURRENCY};

#[derive(Debug, Args)]
pub struct AccessArgs {
    /// The principal: an object id, a user principal name, or a client id (resolved, with a
    /// warning, to its service principal's object id).
    #[arg(long, value_name = "ID_OR_NAME", conflicts_with = "who")]
    pub principal: Option<String>,
    /// The entity (hybrid connection, WCF relay, namespace or SignalR resource) ARM id.
    #[arg(
        long,
        value_name = "ARM_ID",
        required_unless_present = "diagnose_credentials"
    )]
    pub entity: Option<String>,
    /// listen, send, manage, or any ARM action or data action.
    #[arg(long, value_name = "ACTION", default_value = "send")]
    pub action: String,
    /// Every principal, SAS rule and anyone × Listen / Send / Manage.
    #[arg(long)]
    pub who: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Which credential a DefaultAzureCredential-style chain would use on this machine, and why.
    #[arg(long, conflicts_with_all = ["principal", "who"])]
    pub diagnose_credentials: bool,
    /// With --diagnose-credentials: probe the instance metadata service (on an Azure VM).
    #[arg(long, requires = "diagnose_credentials")]
    pub probe_imds: bool,
    #[command(flatten)]
    pub credentials: CredentialArgs,
}

fn describe_grant(g: &Grant, names: &dyn Fn(&str) -> String) -> String {
    match g {
        Grant::Role {
            role_name,
            scope,
            scope_level,
            via_group,
            group_chain,
            matched,
            condition,
            may_be_propagating,
            ..
        } => {
            let group = match (via_group, group_chain.len()) {
                (Some(v), 0 | 1) => format!(", through group {}", names(v)),
                (Some(_), _) => format!(
                    ", through groups {}",
                    group_chain
                        .iter()
                        .map(|g| names(g))
                        .collect::<Vec<_>>()
                        .join(" ⊂ ")
                ),
                (None, _) => String::new(),
            };
            let cond = if condition.is_some() {
                " (conditional, not evaluated)"
            } else {
                ""
            };
            let young = if *may_be_propagating {
                " — assigned minutes ago: it may still be propagating"
            } else {
                ""
            };
            format!("✓ {role_name} at {scope_level} {scope}{group}: matches {matched}{cond}{young}")
        }
        Grant::Sas {
            rule,
            scope,
            rights,
        } => format!(
            "· SAS rule '{rule}' ({}) at {scope}, for whoever holds its key",
            rights.join(", ")
        ),
        Grant::Anonymous => "✓ anyone: the entity accepts anonymous senders".to_string(),
    }
}

fn describe_block(b: &Blocker, names: &dyn Fn(&str) -> String) -> String {
    match b {
        Blocker::Deny {
            name,
            scope,
            matched,
            ..
        } => format!(
            "✗ deny assignment '{name}' at {scope} matches {matched}: it wins over every grant"
        ),
        Blocker::NotActions {
            role_name,
            via_group,
            excluded_by,
            ..
        } => {
            let group = via_group
                .as_ref()
                .map(|v| format!(" (through group {})", names(v)))
                .unwrap_or_default();
            format!("✗ {role_name}{group} excludes it by {excluded_by}")
        }
    }
}

fn diagnose(args: &AccessArgs) -> Result<()> {
    use crate::auth::diagnose::{Machine, diagnose};
    let env: Vec<(String, String)> = std::env::vars()
        .filter(|(k, _)| {
            k.starts_with("AZURE_") || k.starts_with("IDENTITY_") || k.starts_with("MSI_")
        })
        .collect();
    let pod_host = std::env::var("AZURE_POD_IDENTITY_AUTHORITY_HOST")
        .ok()
        .filter(|h| !h.is_empty());
    let imds_reachable = if args.probe_imds || pod_host.is_some() {
        let base = pod_host.unwrap_or_else(|| "http://169.254.169.254".into());
        let url = format!(
            "{}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com",
            base.trim_end_matches('/')
        );
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(1))
            .build()?;
        let runtime = tokio::runtime::Runtime::new()?;
        Some(runtime.block_on(async {
            client
                .get(&url)
                .header("Metadata", "true")
                .send()
                .await
                .is_ok()
        }))
    } else {
        None
    };
    let azure_cli_signed_in = which_az().map(|home| {
        std::fs::read_to_string(home.join("azureProfile.json"))
            .ok()
            .and_then(|t| {
                serde_json::from_str::<serde_json::Value>(t.trim_start_matches('\u{feff}')).ok()
            })
            .is_some_and(|v| v["subscriptions"].as_array().is_some_and(|s| !s.is_empty()))
    });
    let d = diagnose(&Machine {
        env,
        imds_reachable,
        azure_cli_signed_in,
    });
    if args.json {
        println!("{}", serde_json::to_string_pretty(&d)?);
        return Ok(());
    }
    println!("A DefaultAzureCredential-style chain on this machine, in order:");
    for (i, s) in d.steps.iter().enumerate() {
        let mark = match s.status.as_str() {
            "selected" => "→",
            "available" => "·",
            _ => "✗",
        };
        println!(
            "  {mark} {}. {} ({}): {}",
            i + 1,
            s.credential,
            s.status,
            s.why
        );
    }
    match &d.selected {
        Some(c) => println!("It would use {c}."),
        None => println!(
            "No credential is available: sign in with the Azure CLI, set AZURE_* variables, or run on an Azure host with a managed identity."
        ),
    }
    for w in &d.warnings {
        println!("warning: {w}");
    }
    Ok(())
}

/// The Azure CLI's configuration folder, when `az` is installed.
fn which_az() -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).find(|d| d.join("az").is_file())?;
    let home = std::env::var_os("AZURE_CONFIG_DIR")
        .map(std::path::PathBuf::from)
        .or_else(|| directories::BaseDirs::new().map(|b| b.home_dir().join(".azure")))?;
    Some(home)
}

pub fn run(args: AccessArgs) -> Result<()> {
    if args.diagnose_credentials {
        return diagnose(&args);
    }
    let entity = args.entity.clone().unwrap_or_default();
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let session = args.credentials.session()?;
        let arm = ArmClient::new(
            &session.cloud,
            &session.http,
            session.credential.clone(),
            DEFAULT_CONCURRENCY,
        );
        let graph = GraphClient::new(&session.cloud, &session.http, session.credential.clone());
        let facts = arm
            .access_facts(&entity)
            .await
            .map_err(|e| explain_error(&e))?;
        let snapshot = Snapshot {
            definitions: &facts.definitions,
            assignments: &facts.assignments,
            deny_assignments: &facts.deny_assignments,
        };
        if args.who {
            let mut ids: Vec<String> = facts
                .assignments
                .iter()
                .map(|a| a.principal_id.to_ascii_lowercase())
                .collect();
            ids.sort();
            ids.dedup();
            let found = graph.principals(&ids).await.unwrap_or_default();
            let mut principals = Vec::new();
            for id in &ids {
                let p = found.iter().find(|f| f.id.eq_ignore_ascii_case(id));
                let groups = graph
                    .transitive_groups(id)
                    .await
                    .map(|g| g.into_iter().map(|x| x.id).collect())
                    .unwrap_or_default();
                principals.push(Principal {
                    id: id.clone(),
                    kind: p
                        .map(|p| p.kind.clone())
                        .unwrap_or_else(|| "unknown".into()),
                    display_name: p.map(|p| p.display_name.clone()),
                    groups,
                });
            }
            let rows = explain::who_can(
                &snapshot,
                &principals,
                &facts.management_groups,
                &facts.entity,
            );
            if args.json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                let mark = |c: &explain::Cell| if c.allowed { "✓" } else { "✗" };
                println!("{:<40} {:<16} listen send manage", "principal", "kind");
                for r in &rows {
                    let name = r
                        .display_name
                        .clone()
                        .unwrap_or_else(|| r.principal.clone());
                    println!(
                        "{:<40} {:<16} {:^6} {:^4} {:^6}",
                        name,
                        r.kind,
                        mark(&r.listen),
                        mark(&r.send),
                        mark(&r.manage)
                    );
                }
            }
            return Ok(());
        }
        let Some(who) = &args.principal else {
            bail!("give --principal ID_OR_NAME (and --action), or --who for the whole matrix");
        };
        let (object_id, warning) = resolve_principal(&graph, who).await?;
        if let Some(w) = &warning {
            eprintln!("warning: {w}");
        }
        let groups: Vec<String> = graph
            .transitive_groups(&object_id)
            .await
            .map(|g| g.into_iter().map(|x| x.id).collect())
            .unwrap_or_default();
        let ask = Ask::parse(&args.action);
        let mut verdict: Explanation = explain::explain(
            &snapshot,
            &Subject {
                principal_id: &object_id,
                groups: &groups,
            },
            &facts.management_groups,
            &facts.entity,
            &ask,
        );
        for g in verdict.grants.iter_mut() {
            if let Grant::Role {
                via_group: Some(group),
                group_chain,
                ..
            } = g
            {
                *group_chain = graph
                    .group_chain(&object_id, group)
                    .await
                    .unwrap_or_default();
            }
        }
        if args.json {
            println!("{}", serde_json::to_string_pretty(&verdict)?);
            return Ok(());
        }
        let mut ids: Vec<String> = vec![object_id.clone()];
        ids.extend(verdict.grants.iter().flat_map(|g| {
            match g {
                Grant::Role {
                    group_chain,
                    via_group,
                    ..
                } => group_chain
                    .iter()
                    .cloned()
                    .chain(via_group.iter().cloned())
                    .collect::<Vec<_>>(),
                _ => Vec::new(),
            }
        }));
        let found = graph.principals(&ids).await.unwrap_or_default();
        let names = |id: &str| {
            found
                .iter()
                .find(|p| p.id.eq_ignore_ascii_case(id))
                .map(|p| format!("{} ({id})", p.display_name))
                .unwrap_or_else(|| id.to_string())
        };
        let entity_name = facts.entity.id.rsplit('/').next().unwrap_or_default();
        println!(
            "{}: {} may {}{} on '{entity_name}'",
            if verdict.allowed {
                "ALLOWED"
            } else {
                "NOT ALLOWED"
            },
            names(&object_id),
            if verdict.allowed { "" } else { "not " },
            args.action
        );
        if let Some(p) = found.iter().find(|p| p.id.eq_ignore_ascii_case(&object_id))
            && let Some(app_id) = &p.app_id
        {
            println!(
                "  {}: object (principal) id {} · client (application) id {app_id}",
                p.kind, p.id
            );
        }
        println!(
            "  ({} {})",
            if verdict.data_action {
                "data action"
            } else {
                "action"
            },
            verdict.action
        );
        for g in &verdict.grants {
            println!("  {}", describe_grant(g, &names));
        }
        for b in &verdict.blocked_by {
            println!("  {}", describe_block(b, &names));
        }
        if !verdict.allowed
            && !verdict
                .grants
                .iter()
                .any(|g| matches!(g, Grant::Role { .. }))
        {
            let kind = if verdict.data_action {
                crate::access::ActionKind::DataAction
            } else {
                crate::access::ActionKind::Action
            };
            println!(
                "  {}",
                crate::access::builtin::missing_permission_hint(
                    &verdict.action,
                    kind,
                    Some(&facts.entity.id)
                )
            );
        }
        Ok(())
    })
}

/// An object id for what the user typed, with a warning when it was a client id.
async fn resolve_principal(graph: &GraphClient, who: &str) -> Result<(String, Option<String>)> {
    if who.contains('@') {
        let user = graph
            .user(who)
            .await
            .map_err(|e| anyhow!("no user '{who}' in the directory: {e}"))?;
        return Ok((user.id, None));
    }
    if uuid::Uuid::parse_str(who).is_err() {
        bail!("'{who}' is neither an object id (a GUID) nor a user principal name (name@domain)");
    }
    if !graph
        .principals(&[who.to_string()])
        .await
        .map_err(|e| anyhow!("cannot look up '{who}': {e}"))?
        .is_empty()
    {
        return Ok((who.to_ascii_lowercase(), None));
    }
    match graph.by_app_id(who).await.ok().flatten() {
        Some(sp) => Ok((
            sp.id.clone(),
            Some(format!(
                "'{who}' is the client (application) id of {} ({}); role assignments name its object id {}, used here",
                sp.display_name, sp.kind, sp.id
            )),
        )),
        None => bail!("no principal with object id or client id '{who}' in the directory"),
    }
}
