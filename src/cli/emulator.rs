//! `relay-explorer emulator`: runs the local Azure emulator until interrupted.

use std::net::IpAddr;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use crate::emulator::{self, DEFAULT_PAGE_SIZE, state};

#[derive(Debug, Args)]
pub struct EmulatorArgs {
    /// The address to listen on. Anything but loopback is refused unless --allow-remote is given:
    /// it would expose a fake identity provider whose demo passwords are public.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Allow a --bind address beyond loopback (other machines then reach the emulator).
    #[arg(long)]
    pub allow_remote: bool,
    /// First of four consecutive ports: login, Resource Manager, Graph, managed identity.
    /// 0 picks free ports (the ready file tells which).
    #[arg(long, value_name = "PORT", default_value_t = 0)]
    pub port: u16,
    /// Where the CA, the signing key and the world are kept [default: the platform's data dir].
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// A world file to seed a new state folder from [default: the demo world in assets/].
    #[arg(long, value_name = "FILE")]
    pub world: Option<PathBuf>,
    /// Write the endpoints, the CA path and the demo credentials here as JSON once ready.
    #[arg(long, value_name = "PATH")]
    pub ready_file: Option<PathBuf>,
    /// Items per page of Resource Manager list responses.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_PAGE_SIZE as u64, value_parser = clap::value_parser!(u64).range(1..=10000))]
    pub page_size: u64,
    /// Lifetime of issued access tokens, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 3599, value_parser = clap::value_parser!(i64).range(10..=86400))]
    pub token_lifetime: i64,
    /// Device-code polling interval asked of clients, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=60))]
    pub device_code_interval: u64,
    /// How long a device code stays valid, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 900, value_parser = clap::value_parser!(i64).range(5..=3600))]
    pub device_code_lifetime: i64,
    /// How long a token is honoured past its expiry, in seconds: a SAS token's `se` when it is
    /// presented, and a listener that does not renew it. Azure allows five minutes of clock skew;
    /// 0 makes expiry exact.
    #[arg(long, value_name = "SECS", default_value_t = 300, value_parser = clap::value_parser!(i64).range(0..=3600))]
    pub token_grace: i64,
    /// Print the shell lines (`export …`) that point your own code at the emulator whose ready
    /// file this is — the CA for every SDK, the managed-identity endpoint, the tenant,
    /// subscription and endpoints — and exit: `eval "$(relay-explorer emulator --print-env F)"`.
    #[arg(long, value_name = "READY_FILE")]
    pub print_env: Option<PathBuf>,
}

/// A value quoted for a POSIX shell.
fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// The `export` lines for a ready file.
fn print_env(path: &std::path::Path) -> Result<()> {
    let (_, ready) = crate::cloud::Cloud::from_ready_file(path)?;
    let lines = [
        (
            "SSL_CERT_FILE",
            ready.ca_cert.as_str(),
            "the CA: OpenSSL, Go, the Azure CLI's Python",
        ),
        (
            "REQUESTS_CA_BUNDLE",
            ready.ca_cert.as_str(),
            "Python requests (azure-identity, azure-mgmt-*)",
        ),
        (
            "NODE_EXTRA_CA_CERTS",
            ready.ca_cert.as_str(),
            "Node (@azure/*, hyco-ws, hyco-https)",
        ),
        (
            "IDENTITY_ENDPOINT",
            ready.managed_identity.endpoint.as_str(),
            "managed identity: DefaultAzureCredential signs in as the demo VM, no secret",
        ),
        (
            "IDENTITY_HEADER",
            ready.managed_identity.header.as_str(),
            "",
        ),
        (
            "AZURE_AUTHORITY_HOST",
            ready.authority_host.as_str(),
            "for credentials that take it (with instance discovery off)",
        ),
        ("AZURE_TENANT_ID", ready.tenant_id.as_str(), ""),
        ("AZURE_SUBSCRIPTION_ID", ready.subscription_id.as_str(), ""),
        (
            "RELAY_EMULATOR_RESOURCE_MANAGER",
            ready.resource_manager.as_str(),
            "base_url / endpoint of the management clients",
        ),
        ("RELAY_EMULATOR_GRAPH", ready.graph.as_str(), ""),
    ];
    for (name, value, why) in lines {
        if !why.is_empty() {
            println!("# {why}");
        }
        println!("export {name}={}", quoted(value));
    }
    Ok(())
}

pub fn run(args: EmulatorArgs) -> Result<()> {
    if let Some(path) = &args.print_env {
        return print_env(path);
    }
    if !args.bind.is_loopback() {
        const EXPOSED: &str = "the plain-HTTP managed-identity endpoint (anyone who sends `Metadata: true` gets tokens), and sign-ins with the demo world's public passwords and keys";
        if !args.allow_remote {
            anyhow::bail!(
                "--bind {} is not a loopback address: other machines would reach {EXPOSED}. Use 127.0.0.1, or add --allow-remote if that is what you want",
                args.bind
            );
        }
        eprintln!(
            "warning: --bind {} --allow-remote exposes to other machines {EXPOSED}.",
            args.bind
        );
    }
    if let Some(world) = &args.world
        && !world.is_file()
    {
        anyhow::bail!(
            "the world file {} does not exist; pass an existing --world FILE or leave it out for the demo world",
            world.display()
        );
    }
    let state_dir = match args.state_dir {
        Some(d) => d,
        None => state::default_state_dir()?,
    };
    let mut options = emulator::Options::new(state_dir);
    options.bind = args.bind;
    options.port = args.port;
    options.world_file = args.world;
    options.page_size = usize::try_from(args.page_size).unwrap_or(DEFAULT_PAGE_SIZE);
    options.token_lifetime = args.token_lifetime;
    options.device_code_interval = args.device_code_interval;
    options.device_code_lifetime = args.device_code_lifetime;
    options.token_grace_secs = args.token_grace;

    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let running = emulator::start(options).await?;
        if let Some(path) = &args.ready_file {
            let json = serde_json::to_vec_pretty(&running.ready)?;
            state::write_private(path, &json)
                .with_context(|| format!("writing the ready file {}", path.display()))?;
        }
        println!("{}", running.ready.summary());
        if let Some(path) = &args.ready_file {
            println!("Ready file: {}", path.display());
        }
        wait_for_stop().await;
        eprintln!("stopping the emulator…");
        running.shutdown().await
    })
}

async fn wait_for_stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending::<()>().await } } => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
