//! `relay-explorer access`: who may Listen, Send or Manage on an entity, and exactly why.

use anyhow::{Result, bail};
use clap::Args;

use super::account::CredentialArgs;
use crate::access::explain;
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

/// `--entity` must be an ARM id: `/subscriptions/…/providers/…`.
fn entity_id(entity: Option<&str>) -> Result<String> {
    let Some(e) = entity.map(str::trim).filter(|e| !e.is_empty()) else {
        anyhow::bail!(
            "give --entity ID: the ARM id of a hybrid connection, WCF relay, namespace or SignalR resource (e.g. from `relay-explorer ls`)"
        );
    };
    let parts: Vec<&str> = e.split('/').collect();
    let well_formed = e.starts_with("/subscriptions/")
        && parts.len() >= 9
        && parts.iter().skip(1).all(|p| !p.is_empty())
        && parts.iter().any(|p| p.eq_ignore_ascii_case("providers"));
    if !well_formed {
        let shown: String = e.chars().take(80).collect();
        anyhow::bail!(
            "--entity '{shown}' is not an ARM resource id: give one like /subscriptions/SUB/resourceGroups/RG/providers/Microsoft.Relay/namespaces/NS/hybridConnections/HC (`relay-explorer ls` lists them)"
        );
    }
    Ok(e.to_string())
}

pub fn run(args: AccessArgs) -> Result<()> {
    if args.diagnose_credentials {
        return diagnose(&args);
    }
    let entity = entity_id(args.entity.as_deref())?;
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
        if args.who {
            let rows = crate::arm::access::who_can(&arm, &graph, &entity).await?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                let table: Vec<(String, String, [bool; 3])> = rows
                    .iter()
                    .map(|r| {
                        (
                            r.display_name
                                .clone()
                                .unwrap_or_else(|| r.principal.clone()),
                            r.kind.to_string(),
                            [r.listen.allowed, r.send.allowed, r.manage.allowed],
                        )
                    })
                    .collect();
                print!("{}", who_table(&table));
            }
            return Ok(());
        }
        let Some(who) = &args.principal else {
            bail!("give --principal ID_OR_NAME (and --action), or --who for the whole matrix");
        };
        let checked = crate::arm::access::check(&arm, &graph, &entity, who, &args.action).await?;
        if let Some(w) = &checked.warning {
            eprintln!("warning: {w}");
        }
        let verdict = &checked.verdict;
        if args.json {
            println!("{}", serde_json::to_string_pretty(verdict)?);
            return Ok(());
        }
        let names = |id: &str| checked.name(id);
        let object_id = &checked.object_id;
        let entity_name = checked.entity_id.rsplit('/').next().unwrap_or_default();
        println!(
            "{}: {} may {}{} on '{entity_name}'",
            if verdict.allowed {
                "ALLOWED"
            } else {
                "NOT ALLOWED"
            },
            names(object_id),
            if verdict.allowed { "" } else { "not " },
            args.action
        );
        if let Some(p) = &checked.principal
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
            println!("  {}", explain::describe_grant(g, &names));
        }
        for b in &verdict.blocked_by {
            println!("  {}", explain::describe_block(b, &names));
        }
        if let Some(hint) = explain::refusal_hint(verdict, &checked.entity_id) {
            println!("  {hint}");
        }
        Ok(())
    })
}

/// The `--who` matrix as text: the name and kind columns as wide as their longest value, so the
/// marks line up whatever the names.
fn who_table(rows: &[(String, String, [bool; 3])]) -> String {
    let width = |header: &str, values: &mut dyn Iterator<Item = &String>| {
        values
            .map(|v| v.chars().count())
            .chain([header.len()])
            .max()
            .unwrap_or(0)
    };
    let name_w = width("principal", &mut rows.iter().map(|r| &r.0));
    let kind_w = width("kind", &mut rows.iter().map(|r| &r.1));
    let mark = |allowed: bool| if allowed { "✓" } else { "✗" };
    let mut out = format!(
        "{:<name_w$}  {:<kind_w$}  listen  send  manage\n",
        "principal", "kind"
    );
    for (name, kind, [listen, send, manage]) in rows {
        out.push_str(&format!(
            "{name:<name_w$}  {kind:<kind_w$}  {:^6}  {:^4}  {:^6}\n",
            mark(*listen),
            mark(*send),
            mark(*manage)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn who_columns_line_up_for_long_names() {
        let long =
            "a service principal with a very long display name indeed, over forty".to_string();
        let table = super::who_table(&[
            (
                long.clone(),
                "ServicePrincipal".into(),
                [true, false, false],
            ),
            ("Bob".into(), "User".into(), [false, true, false]),
        ]);
        let lines: Vec<&str> = table.lines().collect();
        let column = |line: &str, mark: &str| line.find(mark).map(|b| line[..b].chars().count());
        let listen_header = column(lines[0], "listen").unwrap();
        assert_eq!(column(lines[1], "✓"), Some(listen_header + 2), "{table}");
        assert_eq!(column(lines[2], "✗"), Some(listen_header + 2), "{table}");
        assert!(lines[1].starts_with(&long));
    }

    use super::entity_id;

    #[test]
    fn a_bad_entity_is_named_before_any_request() {
        for bad in [
            "garbage",
            "/subscriptions/x",
            "orders",
            "/subscriptions//resourceGroups/rg/providers/a/b/c/d",
        ] {
            let e = entity_id(Some(bad)).unwrap_err().to_string();
            assert!(e.starts_with("--entity '"), "{bad}: {e}");
        }
        assert!(
            entity_id(None)
                .unwrap_err()
                .to_string()
                .contains("give --entity")
        );
        let ok = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Relay/namespaces/ns/hybridConnections/hc";
        assert_eq!(entity_id(Some(ok)).unwrap(), ok);
    }
}
