//! The command line: `relay-explorer emulator …` (and, as they land, `ls`, `token`, `sas`,
//! `listen`, `send`, `access`).

mod access;
mod account;
mod emulator;
mod ls;
mod relay;
mod sas;
mod token;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "relay-explorer",
    version,
    about = "Explore, test and explain Azure Relay (Hybrid Connections and WCF relays) secured with Microsoft Entra ID",
    long_about = None
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the desktop window (the default when no command is given).
    #[cfg(feature = "gui")]
    Gui(crate::gui::GuiArgs),
    /// Run the local Azure emulator (Entra ID, managed identity, Resource Manager, Graph) over TLS.
    Emulator(emulator::EmulatorArgs),
    /// List the tree under a scope: subscriptions, resource groups, namespaces, entities.
    Ls(ls::LsArgs),
    /// Listen on a hybrid connection: print each connection, message and request.
    Listen(relay::ListenArgs),
    /// Send WebSocket messages or an HTTP request to a hybrid connection.
    Send(relay::SendArgs),
    /// Get a token for the chosen credential (or its claims, with --decode).
    Token(token::TokenArgs),
    /// Who may Listen, Send or Manage on an entity, and exactly why.
    Access(access::AccessArgs),
    /// Mint a SAS token from a connection string, or explain one (--decode).
    Sas(sas::SasArgs),
}

/// Runs the command line; returns the process exit code.
pub fn run() -> i32 {
    let cli = Cli::parse();
    init_logging(if matches!(cli.command, Some(Command::Emulator(_))) {
        "info"
    } else {
        "warn"
    });
    let result = match cli.command {
        Some(Command::Emulator(args)) => emulator::run(args),
        Some(Command::Sas(args)) => sas::run(args),
        Some(Command::Ls(args)) => ls::run(args),
        Some(Command::Access(args)) => access::run(args),
        Some(Command::Listen(args)) => relay::listen(args),
        Some(Command::Send(args)) => relay::send(args),
        Some(Command::Token(args)) => token::run(args),
        #[cfg(feature = "gui")]
        Some(Command::Gui(args)) => crate::gui::run(args),
        #[cfg(feature = "gui")]
        None => crate::gui::run(crate::gui::GuiArgs::default()),
        #[cfg(not(feature = "gui"))]
        None => {
            use clap::CommandFactory;
            let _ = Cli::command().print_help();
            println!(
                "\nThis build has no desktop window (built without the `gui` feature): run `relay-explorer emulator` to start the local Azure emulator."
            );
            Ok(())
        }
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {}", crate::report::Report::of(&e));
            1
        }
    }
}

/// Dependencies whose trace-level records carry credentials: tungstenite logs a WebSocket
/// handshake whole (a token in the URL's `sb-hc-token` or the `ServiceBusAuthorization` header)
/// and every frame's payload (a `renewToken`). Their trace records are never written, whatever
/// `RUST_LOG` asks; their debug records and above are.
const SECRET_BEARING_AT_TRACE: &[&str] = &["tungstenite", "tokio_tungstenite"];

/// Whether a record may be logged at all (see [`SECRET_BEARING_AT_TRACE`]).
fn may_log(meta: &tracing::Metadata<'_>) -> bool {
    *meta.level() != tracing::Level::TRACE
        || !SECRET_BEARING_AT_TRACE.iter().any(|t| {
            meta.target()
                .strip_prefix(t)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
        })
}

fn init_logging(default: &str) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::{Layer, filter};
    let env = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // Colour only for a person at a terminal, and never when NO_COLOR is set (no-color.org).
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_filter(env)
        .with_filter(filter::filter_fn(may_log));
    let _ = tracing_subscriber::registry().with(layer).try_init();
}
