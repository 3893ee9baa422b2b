//! `relay-explorer ls`: the tree under a scope.

use anyhow::{Result, anyhow};
use clap::Args;

use super::account::CredentialArgs;
use crate::arm::graph::GraphClient;
use crate::arm::tree::{Include, Node, Scope};
use crate::arm::{ArmClient, ArmError, DEFAULT_CONCURRENCY};

#[derive(Debug, Args)]
pub struct LsArgs {
    /// Where to start: a subscription, resource group, namespace or entity id [default: every
    /// subscription the credential sees].
    #[arg(value_name = "ARM_ID")]
    pub scope: Option<String>,
    /// Only this subscription.
    #[arg(long, value_name = "ID", conflicts_with = "scope")]
    pub subscription: Option<String>,
    /// Print one JSON array.
    #[arg(long)]
    pub json: bool,
    /// Include SAS authorization rules (namespace and entity level).
    #[arg(long)]
    pub rules: bool,
    /// Include the role assignments that reach the scope or lie below it.
    #[arg(long)]
    pub role_assignments: bool,
    #[command(flatten)]
    pub credentials: CredentialArgs,
}

/// One line of advice for a failed management call.
pub fn explain(e: &ArmError) -> anyhow::Error {
    crate::arm::access::actionable(e)
}

fn short_type(n: &Node) -> &'static str {
    let t = n.type_name.to_ascii_lowercase();
    if t.ends_with("/subscriptions") {
        "subscription"
    } else if t.ends_with("/resourcegroups") {
        "resource group"
    } else if t.ends_with("/namespaces") {
        "namespace"
    } else if t.ends_with("/hybridconnections") {
        "hybrid connection"
    } else if t.ends_with("/wcfrelays") {
        "WCF relay"
    } else if t.ends_with("/authorizationrules") {
        "SAS rule"
    } else if t.ends_with("/roleassignments") {
        "role assignment"
    } else {
        "resource"
    }
}

fn line(n: &Node, base: usize) -> String {
    let indent = "  ".repeat(n.depth().saturating_sub(base));
    let mut extra = Vec::new();
    if let Some(d) = &n.display_name {
        extra.push(d.clone());
    }
    if let Some(c) = n.listener_count {
        extra.push(format!("{c} listener{}", if c == 1 { "" } else { "s" }));
    }
    if n.requires_client_authorization == Some(false) {
        extra.push("anonymous senders allowed".into());
    }
    if let Some(r) = &n.rights {
        extra.push(r.join(", "));
    }
    if let (Some(p), Some(t)) = (&n.principal_id, &n.principal_type) {
        let who = n.principal_name.as_deref().unwrap_or(p);
        let role = n.role_name.clone().unwrap_or_else(|| {
            n.role_definition_id
                .as_deref()
                .unwrap_or("")
                .rsplit('/')
                .next()
                .unwrap_or("")
                .to_string()
        });
        extra.push(format!("{t} {who} → {role}"));
        if let Some(from) = &n.inherited_from {
            extra.push(format!("inherited from {from}"));
        }
    }
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!("  [{}]", extra.join("; "))
    };
    format!("{indent}{} ({}){extra}", n.name, short_type(n))
}

/// Fills in principal names from Graph; without Graph access the ids stay (with a warning).
async fn name_principals(session: &super::account::Session, nodes: &mut [Node]) {
    let graph = GraphClient::new(&session.cloud, &session.http, session.credential.clone());
    if let Err(e) = graph.name_principals(nodes).await {
        eprintln!("warning: principal names are not shown: {e}");
    }
}

pub fn run(args: LsArgs) -> Result<()> {
    let scope_text = match (&args.scope, &args.subscription) {
        (Some(s), _) => s.clone(),
        (None, Some(sub)) => format!("/subscriptions/{sub}"),
        (None, None) => String::new(),
    };
    let scope = Scope::parse(&scope_text).map_err(|e| anyhow!(e))?;
    let include = Include {
        rules: args.rules,
        role_assignments: args.role_assignments,
    };
    let runtime = tokio::runtime::Runtime::new()?;
    let nodes = runtime.block_on(async {
        let session = args.credentials.session()?;
        let client = ArmClient::new(
            &session.cloud,
            &session.http,
            session.credential.clone(),
            DEFAULT_CONCURRENCY,
        );
        let mut nodes = client
            .tree(&scope, include)
            .await
            .map_err(|e| explain(&e))?;
        if args.role_assignments {
            name_principals(&session, &mut nodes).await;
        }
        Ok::<_, anyhow::Error>(nodes)
    })?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&nodes)?);
    } else if nodes.is_empty() {
        println!("(nothing here: the credential sees no subscription, or the scope is empty)");
    } else {
        let base = nodes.iter().map(Node::depth).min().unwrap_or(0);
        for n in &nodes {
            println!("{}", line(n, base));
        }
    }
    Ok(())
}
