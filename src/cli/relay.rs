//! `relay-explorer listen` and `relay-explorer send`: the Hybrid Connections data plane by hand.

use std::io::Write;

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use futures::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

use super::account::CredentialArgs;
use crate::auth::AuthMethod;
use crate::relay::client::{Endpoint, TokenSource, tls_connector};
use crate::relay::listener::{self, ListenerEvent};
use crate::relay::protocol::ConnectionString;

#[derive(Debug, Args)]
pub struct TargetArgs {
    /// The namespace, HOST[:PORT] (with an Entra credential, --auth).
    #[arg(long, value_name = "HOST[:PORT]")]
    pub namespace: Option<String>,
    /// The hybrid connection (when the connection string has no EntityPath, or with --namespace).
    #[arg(long, value_name = "NAME")]
    pub entity: Option<String>,
    #[command(flatten)]
    pub credentials: CredentialArgs,
}

struct Target {
    endpoint: Endpoint,
    token: TokenSource,
    connector: tokio_tungstenite::Connector,
    http: reqwest::Client,
    /// Where an Entra sign-in is kept.
    kept_in: Option<String>,
}

impl Target {
    /// With a device-code sign-in kept from an earlier run, says whose it is (on stderr): the
    /// keyring may hold another person's than the user thinks. The token asked for is the one
    /// the connection presents, so it costs no extra request.
    async fn say_whose(&self, credentials: &CredentialArgs) {
        let (TokenSource::Entra { credential, scope }, Some(kept_in)) =
            (&self.token, &self.kept_in)
        else {
            return;
        };
        if credentials.auth != AuthMethod::DeviceCode {
            return;
        }
        let Ok(token) = credential.get_token(&[scope.as_str()], None).await else {
            return; // the connection reports why
        };
        let Some(claims) = crate::auth::jwt::unverified_claims(token.token.secret()) else {
            return;
        };
        let s = |k: &str| claims[k].as_str().map(str::to_string);
        let name = s("name").unwrap_or_default();
        let login = s("upn")
            .or_else(|| s("preferred_username"))
            .or_else(|| s("unique_name"))
            .unwrap_or_default();
        let who = match (name.is_empty(), login.is_empty()) {
            (false, false) => format!("{name} ({login})"),
            (true, false) => login,
            (false, true) => name,
            (true, true) => s("oid").unwrap_or_else(|| "an unnamed user".into()),
        };
        eprintln!(
            "relay-explorer: as {who}, a device-code sign-in kept in {kept_in} (another person: --tenant or --client-id, or forget it in the keyring)"
        );
    }
}

impl TargetArgs {
    /// The endpoint and the token to present (none when `anonymous`: a sender only).
    fn resolve(&self, anonymous: bool) -> Result<Target> {
        let (cloud, _) = self.credentials.cloud()?;
        let connector = tls_connector(Some(&cloud))?;
        let http = crate::relay::client::sender_http_client(&cloud)?;
        if let Some(cs) = &self.credentials.connection_string {
            let cs = ConnectionString::parse(cs).context("--connection-string is not valid")?;
            let endpoint = Endpoint::from_connection_string(&cs, self.entity.as_deref())?;
            let token = if anonymous {
                TokenSource::Anonymous
            } else {
                TokenSource::from_connection_string(&cs)?
            };
            return Ok(Target {
                endpoint,
                token,
                connector,
                http,
                kept_in: None,
            });
        }
        let (Some(ns), Some(entity)) = (&self.namespace, &self.entity) else {
            bail!(
                "no target: give --connection-string CS (with EntityPath or --entity NAME), or --namespace HOST[:PORT] --entity NAME with --auth"
            );
        };
        let endpoint = Endpoint::new(ns, entity)?;
        let mut kept_in = None;
        let token = if anonymous {
            TokenSource::Anonymous
        } else {
            if self.credentials.auth == AuthMethod::ConnectionString {
                bail!("--auth connection-string needs --connection-string CS");
            }
            let session = self.credentials.session()?;
            kept_in = Some(session.kept_in);
            TokenSource::Entra {
                credential: session.credential,
                scope: session.cloud.relay_scope.clone(),
            }
        };
        Ok(Target {
            endpoint,
            token,
            connector,
            http,
            kept_in,
        })
    }
}

#[derive(Debug, Args)]
pub struct ListenArgs {
    /// Serve HTTP requests (the default also accepts WebSocket senders).
    #[arg(long)]
    pub http: bool,
    /// Send each WebSocket message back; answer each HTTP request with 200 and its body.
    #[arg(long)]
    pub echo: bool,
    /// The status to answer HTTP requests with.
    #[arg(long, value_name = "N", default_value_t = 200, value_parser = clap::value_parser!(u16).range(100..=599))]
    pub respond_status: u16,
    /// The body to answer HTTP requests with.
    #[arg(long, value_name = "TEXT")]
    pub respond_body: Option<String>,
    /// Stop when standard input ends (a script that drives the listener through a pipe closes
    /// it to stop it). Without it the listener runs until Ctrl-C or SIGTERM, whatever its
    /// standard input is (`&` in a script gives it /dev/null).
    #[arg(long)]
    pub stop_on_eof: bool,
    #[command(flatten)]
    pub target: TargetArgs,
}

/// Resolves when the process is asked to stop: Ctrl-C (SIGINT) or SIGTERM.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn say(line: String) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

pub fn listen(args: ListenArgs) -> Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let target = args.target.resolve(false)?;
        target.say_whose(&args.target.credentials).await;
        let entity = target.endpoint.entity.clone();
        let (handle, mut events) = listener::spawn(
            target.endpoint.clone(),
            target.token.clone(),
            target.connector.clone(),
        );
        // With --stop-on-eof, stop when stdin ends; always on Ctrl-C or SIGTERM.
        let (stdin_tx, mut stdin_closed) = tokio::sync::oneshot::channel::<()>();
        // Without the flag the sender is kept (never sent) as long as the loop below runs.
        let _never_sent = if args.stop_on_eof {
            std::thread::spawn(move || {
                let mut sink = [0u8; 4096];
                while std::io::Read::read(&mut std::io::stdin(), &mut sink).is_ok_and(|n| n > 0) {}
                let _ = stdin_tx.send(());
            });
            None
        } else {
            Some(stdin_tx)
        };
        let stop = stop_signal();
        tokio::pin!(stop);
        let echo = args.echo;
        // Stdin that closes before the first connection is settled (stdin from /dev/null, or
        // closed at once) still lets a refusal be told, with its exit status.
        let mut been_online = false;
        let mut stdin_done = false;
        let result = loop {
            let event = tokio::select! {
                e = events.recv() => e,
                _ = &mut stdin_closed, if !stdin_done => {
                    if been_online {
                        break Ok(());
                    }
                    stdin_done = true;
                    continue;
                }
                _ = &mut stop => break Ok(()),
            };
            match event {
                None => break Ok(()),
                Some(ListenerEvent::Online) => {
                    say(format!("online: listening on '{entity}'"));
                    if stdin_done {
                        break Ok(());
                    }
                    been_online = true;
                }
                Some(ListenerEvent::Reconnecting { after, reason }) => {
                    say(format!("reconnecting in {} s: {reason}", after.as_secs()))
                }
                Some(ListenerEvent::Offline { reason, error }) => {
                    break Err(match error {
                        Some(e) => e.into(),
                        None => anyhow!("{reason}"),
                    });
                }
                Some(ListenerEvent::Connection(c)) => {
                    let id = c.id.clone();
                    say(format!("connection {id} from {}", c.remote));
                    tokio::spawn(async move {
                        match c.accept().await {
                            Ok(mut socket) => {
                                say(format!("accepted {id}"));
                                while let Some(Ok(m)) = socket.next().await {
                                    match &m {
                                        Message::Text(t) => say(format!("message {id}: {t}")),
                                        Message::Binary(b) => {
                                            say(format!("binary {id}: {} bytes", b.len()))
                                        }
                                        Message::Close(_) => break,
                                        _ => continue,
                                    }
                                    if echo && socket.send(m).await.is_err() {
                                        break;
                                    }
                                }
                                say(format!("closed {id}"));
                            }
                            Err(e) => say(format!("error {id}: {e:#}")),
                        }
                    });
                }
                Some(ListenerEvent::Request(r)) => {
                    say(format!("request {} {} {}", r.id, r.method, r.target));
                    let (status, body) = if echo {
                        (200, r.body.clone())
                    } else {
                        (
                            args.respond_status,
                            args.respond_body.clone().unwrap_or_default().into_bytes(),
                        )
                    };
                    let content_type = r
                        .headers
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
                        .map(|(_, v)| v.clone());
                    let headers: Vec<(String, String)> = match (echo, content_type) {
                        (true, Some(ct)) => vec![("Content-Type".into(), ct)],
                        _ => vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
                    };
                    tokio::spawn(async move {
                        if let Err(e) = r.respond(status, &headers, &body).await {
                            say(format!("error: could not respond: {e:#}"));
                        }
                    });
                }
            }
        };
        handle.stop();
        result
    })
}

#[derive(Debug, Args)]
pub struct SendArgs {
    /// A WebSocket text message to send (repeatable); each reply is printed on its own line.
    #[arg(long, value_name = "TEXT")]
    pub message: Vec<String>,
    /// A file whose bytes are sent as one WebSocket binary message (repeatable; after the
    /// --message texts). A binary reply is printed as "(N binary bytes)".
    #[arg(long, value_name = "F", conflicts_with = "http")]
    pub message_file: Vec<std::path::PathBuf>,
    /// Send one HTTP request instead.
    #[arg(long)]
    pub http: bool,
    #[arg(long, value_name = "M", default_value = "GET")]
    pub method: String,
    /// A path below the hybrid connection, with an optional query.
    #[arg(long, value_name = "P", default_value = "")]
    pub path: String,
    /// A request header, K:V (repeatable).
    #[arg(long = "header", value_name = "K:V")]
    pub headers: Vec<String>,
    #[arg(long, value_name = "TEXT", conflicts_with = "body_file")]
    pub body: Option<String>,
    #[arg(long, value_name = "F")]
    pub body_file: Option<std::path::PathBuf>,
    /// How long to wait for each reply, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub timeout: u64,
    /// Send without any token (for entities that accept anonymous senders).
    #[arg(long)]
    pub anonymous: bool,
    #[command(flatten)]
    pub target: TargetArgs,
}

pub fn send(args: SendArgs) -> Result<()> {
    let headers: Vec<(String, String)> = args
        .headers
        .iter()
        .map(|h| {
            h.split_once(':')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .ok_or_else(|| anyhow!("--header '{h}' is not K:V"))
        })
        .collect::<Result<_>>()?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let target = args.target.resolve(args.anonymous)?;
        target.say_whose(&args.target.credentials).await;
        if args.http {
            let body = match (&args.body, &args.body_file) {
                (Some(b), _) => b.clone().into_bytes(),
                (None, Some(f)) => std::fs::read(f)
                    .with_context(|| format!("cannot read --body-file {}", f.display()))?,
                (None, None) => Vec::new(),
            };
            let response = listener::http_request(
                &target.endpoint,
                &target.token,
                &target.http,
                &args.method,
                &args.path,
                &headers,
                body,
            )
            .await?;
            let status = response.status();
            let from_listener = response.headers().contains_key("via");
            let bytes = response
                .bytes()
                .await
                .context("reading the response body")?;
            if !from_listener && !status.is_success() {
                let text = String::from_utf8_lossy(&bytes);
                let reason = text.split(" TrackingId:").next().unwrap_or("").trim();
                return Err(crate::relay::RelayError::Refused {
                    what: "the request".into(),
                    status: status.as_u16(),
                    reason: reason.to_string(),
                }
                .into());
            }
            say(format!(
                "HTTP/1.1 {} {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("")
            ));
            let mut out = std::io::stdout().lock();
            out.write_all(&bytes)?;
            if !bytes.ends_with(b"\n") && !bytes.is_empty() {
                out.write_all(b"\n")?;
            }
            return Ok(());
        }
        let mut messages: Vec<Message> = args
            .message
            .iter()
            .map(|m| Message::Text(m.clone().into()))
            .collect();
        for f in &args.message_file {
            let bytes = std::fs::read(f)
                .with_context(|| format!("cannot read --message-file {}", f.display()))?;
            messages.push(Message::Binary(bytes.into()));
        }
        if messages.is_empty() {
            bail!(
                "nothing to send: give --message TEXT or --message-file F (repeatable), or --http"
            );
        }
        let mut socket = listener::connect(
            &target.endpoint,
            &target.token,
            target.connector.clone(),
            "",
            &[],
            &headers,
        )
        .await?;
        for m in messages {
            socket.send(m).await.context("sending a message")?;
            match tokio::time::timeout(std::time::Duration::from_secs(args.timeout), socket.next())
                .await
            {
                Ok(Some(Ok(Message::Text(t)))) => say(t.to_string()),
                Ok(Some(Ok(Message::Binary(b)))) => say(format!("({} binary bytes)", b.len())),
                Ok(Some(Ok(Message::Close(f)))) => bail!(
                    "the listener closed the connection: {}",
                    f.map(|f| f.reason.to_string()).unwrap_or_default()
                ),
                Ok(Some(Ok(_))) => {}
                Ok(Some(Err(e))) => bail!("the connection failed: {e}"),
                Ok(None) => bail!("the connection ended"),
                Err(_) => eprintln!("no reply within {} s", args.timeout),
            }
        }
        let _ = socket.close(None).await;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    fn help(subcommand: &str) -> String {
        super::super::Cli::command()
            .find_subcommand_mut(subcommand)
            .expect("the subcommand")
            .render_long_help()
            .to_string()
    }

    #[test]
    fn only_send_offers_the_sender_options_and_listen_says_how_it_stops() {
        assert!(
            !help("listen").contains("--anonymous"),
            "a listener cannot be anonymous"
        );
        assert!(help("send").contains("--anonymous"));
        assert!(help("listen").contains("--stop-on-eof"));
        assert!(help("listen").contains("SIGTERM"));
    }
}
