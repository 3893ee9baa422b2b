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
    #[arg(long, value_name = "ARM_ID")]
    pub entity: String,
    /// listen, send, manage, or any ARM action or data action.
    #[arg(long, value_name = "ACTION", default_value = "send")]
    pub action: String,
    /// Every principal, SAS rule and anyone × Listen / Send / Manage.
    #[arg(long)]
    pub who: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
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
            matched,
            condition,
            ..
        } => {
            let group = via_group
                .as_ref()
                .map(|v| format!(", through group {}", names(v)))
                .unwrap_or_default();
            let cond = if condition.is_some() {
                " (conditional, not evaluated)"
            } else {
                ""
            };
            format!("✓ {role_name} at {scope_level} {scope}{group}: matches {matched}{cond}")
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

pub fn run(args: AccessArgs) -> Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let session = args.credentials.session()?;
        let arm = ArmClient::new(&session.cloud, &session.http, session.credential.clone(), DEFAULT_CONCURRENCY);
        let graph = GraphClient::new(&session.cloud, &session.http, session.credential.clone());
        let facts = arm.access_facts(&args.entity).await.map_err(|e| explain_error(&e))?;
        let snapshot = Snapshot { definitions: &facts.definitions, assignments: &facts.assignments, deny_assignments: &facts.deny_assignments };
        if args.who {
            let mut ids: Vec<String> = facts.assignments.iter().map(|a| a.principal_id.to_ascii_lowercase()).collect();
            ids.sort();
            ids.dedup();
            let found = graph.principals(&ids).await.unwrap_or_default();
            let mut principals = Vec::new();
            for id in &ids {
                let p = found.iter().find(|f| f.id.eq_ignore_ascii_case(id));
                let groups = graph.transitive_groups(id).await.map(|g| g.into_iter().map(|x| x.id).collect()).unwrap_or_default();
                principals.push(Principal { id: id.clone(), kind: p.map(|p| p.kind.clone()).unwrap_or_else(|| "unknown".into()), display_name: p.map(|p| p.display_name.clone()), groups });
            }
            let rows = explain::who_can(&snapshot, &principals, &facts.management_groups, &facts.entity);
            if args.json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                let mark = |c: &explain::Cell| if c.allowed { "✓" } else { "✗" };
                println!("{:<40} {:<16} listen send manage", "principal", "kind");
                for r in &rows {
                    let name = r.display_name.clone().unwrap_or_else(|| r.principal.clone());
                    println!("{:<40} {:<16} {:^6} {:^4} {:^6}", name, r.kind, mark(&r.listen), mark(&r.send), mark(&r.manage));
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
        let groups: Vec<String> = graph.transitive_groups(&object_id).await.map(|g| g.into_iter().map(|x| x.id).collect()).unwrap_or_default();
        let ask = Ask::parse(&args.action);
        let verdict: Explanation = explain::explain(&snapshot, &Subject { principal_id: &object_id, groups: &groups }, &facts.management_groups, &facts.entity, &ask);
        if args.json {
            println!("{}", serde_json::to_string_pretty(&verdict)?);
            return Ok(());
        }
        let mut ids: Vec<String> = vec![object_id.clone()];
        ids.extend(verdict.grants.iter().filter_map(|g| match g {
            Grant::Role { via_group: Some(v), .. } => Some(v.clone()),
            _ => None,
        }));
        let found = graph.principals(&ids).await.unwrap_or_default();
        let names = |id: &str| found.iter().find(|p| p.id.eq_ignore_ascii_case(id)).map(|p| format!("{} ({id})", p.display_name)).unwrap_or_else(|| id.to_string());
        let entity_name = facts.entity.id.rsplit('/').next().unwrap_or_default();
        println!("{}: {} may {}{} on '{entity_name}'", if verdict.allowed { "ALLOWED" } else { "NOT ALLOWED" }, names(&object_id), if verdict.allowed { "" } else { "not " }, args.action);
        println!("  ({} {})", if verdict.data_action { "data action" } else { "action" }, verdict.action);
        for g in &verdict.grants {
            println!("  {}", describe_grant(g, &names));
        }
        for b in &verdict.blocked_by {
            println!("  {}", describe_block(b, &names));
        }
        if !verdict.allowed && !verdict.grants.iter().any(|g| matches!(g, Grant::Role { .. })) {
            let hint = match ask {
                Ask::Listen => "Azure Relay Listener",
                Ask::Send => "Azure Relay Sender",
                _ => "Azure Relay Owner",
            };
            println!("  hint: no role grants it; the smallest built-in role that does is '{hint}', assigned on the entity itself");
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
