//! A Hybrid Connections listener: the control channel, WebSocket senders (accept or reject each
//! one), HTTP requests (inline or by rendezvous, answered inline up to 64 KiB or by rendezvous),
//! token renewal before expiry, and reconnection with the official backoff (0, 1, 2, 5, 10, 30 s;
//! a 404 ends it). State changes and arrivals are events on a channel.

use std::time::Duration;

use anyhow::{Context, Result};
use futures::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio_tungstenite::Connector;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::client::{Endpoint, TokenSource, ws_connect};
use super::error::{RelayError, upgrade_error};
use super::protocol::control::{self, ControlMessage, Headers};

pub use super::client::Socket;

/// The official reconnect delays.
pub const BACKOFF_SECS: [u64; 6] = [0, 1, 2, 5, 10, 30];
const INLINE_LIMIT: usize = 64 * 1024;

#[derive(Debug)]
pub enum ListenerEvent {
    Online,
    Reconnecting {
        after: Duration,
        reason: String,
    },
    /// The listener stopped for good: why, and the service's refusal when that was it.
    Offline {
        reason: String,
        error: Option<RelayError>,
    },
    Connection(IncomingConnection),
    Request(IncomingRequest),
}

/// A WebSocket sender waiting to be accepted.
pub struct IncomingConnection {
    pub id: String,
    pub headers: Headers,
    pub remote: String,
    address: String,
    connector: Connector,
}

impl std::fmt::Debug for IncomingConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IncomingConnection")
            .field("id", &self.id)
            .field("remote", &self.remote)
            .finish_non_exhaustive()
    }
}

impl IncomingConnection {
    /// Accepts: the returned socket talks to the sender.
    pub async fn accept(self) -> Result<Socket> {
        let mut request = self.address.as_str().into_client_request()?;
        if let Some(p) = self
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("Sec-WebSocket-Protocol"))
            .and_then(|(_, p)| p.split(',').next())
        {
            request
                .headers_mut()
                .insert("Sec-WebSocket-Protocol", p.trim().parse()?);
        }
        let socket = ws_connect(request, self.connector)
            .await
            .map_err(|e| upgrade_error(e, "accepting the connection"))?;
        Ok(socket)
    }

    /// Rejects with a status and reason that the sender sees.
    pub async fn reject(self, status: u16, reason: &str) -> Result<()> {
        let url = format!(
            "{}&sb-hc-statusCode={status}&sb-hc-statusDescription={}",
            self.address,
            url::form_urlencoded::byte_serialize(reason.as_bytes()).collect::<String>()
        );
        match ws_connect(url.as_str(), self.connector).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(r)) if r.status().as_u16() == 410 => {
                Ok(())
            }
            Ok(_) => Ok(()),
            Err(e) => Err(upgrade_error(e, "rejecting the connection").into()),
        }
    }
}

enum Reply {
    Control(mpsc::UnboundedSender<Vec<Message>>),
    Rendezvous(Box<Socket>),
}

/// An HTTP request; answer it with [`IncomingRequest::respond`] within 60 s.
pub struct IncomingRequest {
    pub id: String,
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    address: String,
    connector: Connector,
    reply: Reply,
}

impl std::fmt::Debug for IncomingRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IncomingRequest")
            .field("id", &self.id)
            .field("method", &self.method)
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl IncomingRequest {
    pub async fn respond(
        self,
        status: u16,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<()> {
        let response = ControlMessage::Response(control::Response {
            request_id: self.id,
            status_code: status,
            status_description: axum::http::StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .map(str::to_string),
            response_headers: headers.to_vec(),
            body: true,
        });
        let messages = vec![
            Message::Text(response.to_text().into()),
            Message::Binary(body.to_vec().into()),
        ];
        match self.reply {
            Reply::Control(tx) if body.len() <= INLINE_LIMIT => tx.send(messages).map_err(|_| {
                anyhow::anyhow!("the control channel closed before the response was sent")
            }),
            Reply::Control(_) => {
                let mut socket = ws_connect(self.address.as_str(), self.connector)
                    .await
                    .map_err(|e| upgrade_error(e, "the response rendezvous"))?;
                // A response too large for the control channel goes over its own rendezvous.
                for m in messages {
                    socket.send(m).await?;
                }
                let _ = socket.close(None).await;
                Ok(())
            }
            Reply::Rendezvous(mut socket) => {
                for m in messages {
                    socket.send(m).await?;
                }
                let _ = SinkExt::close(&mut *socket).await;
                Ok(())
            }
        }
    }
}

/// Stops the listener when dropped or when [`ListenerHandle::stop`] is called.
pub struct ListenerHandle {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl ListenerHandle {
    pub fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// How often an idle control channel is pinged. Azure's load balancers drop connections idle
/// for about 4 minutes; the .NET listener keeps alive every 3.5 minutes, and so do we.
pub const KEEP_ALIVE: Duration = Duration::from_secs(210);
/// How long opening a control channel may take (the .NET listener's operation timeout).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(60);

/// Starts listening; events arrive on the returned channel.
pub fn spawn(
    endpoint: Endpoint,
    token: TokenSource,
    connector: Connector,
) -> (ListenerHandle, mpsc::Receiver<ListenerEvent>) {
    spawn_with_keep_alive(endpoint, token, connector, KEEP_ALIVE)
}

/// [`spawn`], pinging the control channel after `keep_alive` without traffic. A channel that
/// stays silent for another `keep_alive` after a ping is taken for dead, and the listener
/// reconnects.
pub fn spawn_with_keep_alive(
    endpoint: Endpoint,
    token: TokenSource,
    connector: Connector,
    keep_alive: Duration,
) -> (ListenerHandle, mpsc::Receiver<ListenerEvent>) {
    let (events, rx) = mpsc::channel(1024);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        tokio::select! {
            (reason, error) = run(endpoint, token, connector, keep_alive, events.clone()) => {
                let _ = events.send(ListenerEvent::Offline { reason, error }).await;
            }
            _ = stop_rx => {
                let offline = ListenerEvent::Offline { reason: "stopped".into(), error: None };
                let _ = events.send(offline).await;
            }
        }
    });
    (
        ListenerHandle {
            stop: Some(stop_tx),
        },
        rx,
    )
}

async fn connect_control(
    endpoint: &Endpoint,
    token: &TokenSource,
    connector: &Connector,
) -> Result<(Socket, Option<i64>), RelayError> {
    let what = || format!("listening on '{}'", endpoint.entity);
    let issued = token
        .token(endpoint)
        .await
        .map_err(|e| match e.downcast() {
            Ok(relay) => relay,
            Err(other) => RelayError::Token(format!("{other:#}")),
        })?;
    let mut request = endpoint
        .ws_url("listen", "", &[])
        .into_client_request()
        .map_err(|e| RelayError::Failed {
            what: what(),
            why: e.to_string(),
        })?;
    let mut expiry = None;
    if let Some((t, exp)) = issued {
        request.headers_mut().insert(
            "ServiceBusAuthorization",
            t.parse().map_err(|_| {
                RelayError::Token("the token is not a valid header value".to_string())
            })?,
        );
        expiry = exp;
    }
    let connecting = tokio::time::timeout(CONNECT_TIMEOUT, ws_connect(request, connector.clone()));
    let Ok(connected) = connecting.await else {
        return Err(RelayError::TimedOut {
            what: what(),
            secs: CONNECT_TIMEOUT.as_secs(),
        });
    };
    match connected {
        Ok(socket) => Ok((socket, expiry)),
        Err(e) => Err(upgrade_error(e, &what())),
    }
}

/// Runs until the listener stops for good; returns why.
async fn run(
    endpoint: Endpoint,
    token: TokenSource,
    connector: Connector,
    keep_alive: Duration,
    events: mpsc::Sender<ListenerEvent>,
) -> (String, Option<RelayError>) {
    let mut attempt = 0usize;
    let mut ever_online = false;
    loop {
        match connect_control(&endpoint, &token, &connector).await {
            Ok((socket, expiry)) => {
                ever_online = true;
                attempt = 0;
                if events.send(ListenerEvent::Online).await.is_err() {
                    return ("nobody is listening for events".into(), None);
                }
                let why = serve(
                    socket, expiry, &endpoint, &token, &connector, keep_alive, &events,
                )
                .await;
                if why.starts_with("1001") {
                    let reason = format!("hybrid connection '{}' was deleted", endpoint.entity);
                    return (reason, None);
                }
                let after = Duration::from_secs(BACKOFF_SECS[attempt.min(BACKOFF_SECS.len() - 1)]);
                attempt += 1;
                let _ = events
                    .send(ListenerEvent::Reconnecting { after, reason: why })
                    .await;
                tokio::time::sleep(after).await;
            }
            Err(e) => {
                // A first failure is the caller's to see (as .NET's OpenAsync); a 404 always ends it.
                if !ever_online || e.is_not_found() {
                    return (e.to_string(), Some(e));
                }
                let why = e.to_string();
                let after = Duration::from_secs(BACKOFF_SECS[attempt.min(BACKOFF_SECS.len() - 1)]);
                attempt += 1;
                let _ = events
                    .send(ListenerEvent::Reconnecting { after, reason: why })
                    .await;
                tokio::time::sleep(after).await;
            }
        }
    }
}

/// When to renew a token that expires at `expiry`: five minutes before, or halfway for short ones.
fn renew_at(expiry: i64, now: i64) -> i64 {
    let left = expiry - now;
    if left > 600 {
        expiry - 300
    } else {
        now + left / 2
    }
}

async fn serve<S>(
    socket: tokio_tungstenite::WebSocketStream<S>,
    mut expiry: Option<i64>,
    endpoint: &Endpoint,
    token: &TokenSource,
    connector: &Connector,
    keep_alive: Duration,
    events: &mpsc::Sender<ListenerEvent>,
) -> String
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sink, mut stream) = socket.split();
    let (tx, rx) = mpsc::unbounded_channel::<Vec<Message>>();
    let writer = tokio::spawn(super::write_batches(sink, rx, |m: &Message| {
        matches!(m, Message::Close(_))
    }));
    let mut pending_inline: Option<IncomingRequest> = None;
    // When to renew, fixed per token: traffic on the channel must not push it back.
    let renewal = |expiry: Option<i64>| {
        let now = chrono::Utc::now().timestamp();
        let wait = expiry.map_or(3600, |e| {
            u64::try_from(renew_at(e, now) - now).unwrap_or(0).max(1)
        });
        tokio::time::Instant::now() + Duration::from_secs(wait)
    };
    // Both timers are made once and reset only when they fire: a message costs a clock read.
    let renew = tokio::time::sleep_until(renewal(expiry));
    tokio::pin!(renew);
    // Idle channels are pinged; one that then stays silent is dead (a dropped NAT or load
    // balancer mapping closes nothing), so the listener reconnects instead of waiting forever.
    let idle = tokio::time::sleep(keep_alive);
    tokio::pin!(idle);
    let mut last_heard = tokio::time::Instant::now();
    let mut pinged = false;
    let reason = loop {
        let message = tokio::select! {
            m = stream.next() => {
                last_heard = tokio::time::Instant::now();
                pinged = false;
                m
            }
            () = &mut idle => {
                if pinged {
                    // Nothing at all since the ping, for a whole interval.
                    break format!("the relay did not answer a keep-alive ping in {keep_alive:?}");
                }
                let due = last_heard + keep_alive;
                if due > tokio::time::Instant::now() {
                    idle.as_mut().reset(due);
                    continue;
                }
                pinged = true;
                idle.as_mut().reset(tokio::time::Instant::now() + keep_alive);
                if tx.send(vec![Message::Ping(Default::default())]).is_err() {
                    break "the connection failed".into();
                }
                continue;
            }
            () = &mut renew, if expiry.is_some() => {
                match token.token(endpoint).await {
                    Ok(Some((t, exp))) => {
                        expiry = exp;
                        let renew = ControlMessage::RenewToken(control::RenewToken { token: t });
                        let _ = tx.send(vec![Message::Text(renew.to_text().into())]);
                    }
                    Ok(None) => expiry = None,
                    Err(e) => tracing::warn!("could not renew the listener's token: {e:#}"),
                }
                renew.as_mut().reset(renewal(expiry));
                continue;
            }
        };
        match message {
            None => break "the connection ended".to_string(),
            Some(Err(e)) => break format!("the connection failed: {e}"),
            Some(Ok(Message::Close(frame))) => {
                break frame
                    .map(|f| format!("{} {}", u16::from(f.code), f.reason))
                    .unwrap_or_else(|| "closed".into());
            }
            Some(Ok(Message::Binary(bytes))) => {
                if let Some(mut r) = pending_inline.take() {
                    r.body = bytes.to_vec();
                    if events.send(ListenerEvent::Request(r)).await.is_err() {
                        break "nobody is listening for events".into();
                    }
                }
            }
            Some(Ok(Message::Text(text))) => match ControlMessage::parse(&text) {
                Some(ControlMessage::Accept(a)) => {
                    let remote = a
                        .remote_endpoint
                        .map(|r| format!("{}:{}", r.address, r.port))
                        .unwrap_or_else(|| "?".into());
                    let c = IncomingConnection {
                        id: a.id,
                        headers: a.connect_headers,
                        remote,
                        address: a.address,
                        connector: connector.clone(),
                    };
                    if events.send(ListenerEvent::Connection(c)).await.is_err() {
                        break "nobody is listening for events".into();
                    }
                }
                Some(ControlMessage::Request(r)) if r.method.is_none() => {
                    // Rendezvous-only: fetch the request over its own socket.
                    let (connector, events) = (connector.clone(), events.clone());
                    tokio::spawn(async move {
                        match rendezvous_request(&r.address, connector).await {
                            Ok(req) => {
                                let _ = events.send(ListenerEvent::Request(req)).await;
                            }
                            Err(e) => tracing::warn!("a request rendezvous failed: {e:#}"),
                        }
                    });
                }
                Some(ControlMessage::Request(r)) => {
                    let has_body = r.body == Some(true);
                    let req = request_from(r, connector.clone(), Reply::Control(tx.clone()));
                    if has_body {
                        pending_inline = Some(req);
                    } else if events.send(ListenerEvent::Request(req)).await.is_err() {
                        break "nobody is listening for events".into();
                    }
                }
                // What a listener sends, or what it does not know, is ignored.
                _ => {}
            },
            Some(Ok(_)) => {}
        }
    };
    writer.abort();
    reason
}

fn request_from(r: control::Request, connector: Connector, reply: Reply) -> IncomingRequest {
    IncomingRequest {
        id: r.id,
        method: r.method.unwrap_or_else(|| "GET".into()),
        target: r.request_target.unwrap_or_else(|| "/".into()),
        headers: r.request_headers,
        body: Vec::new(),
        address: r.address,
        connector,
        reply,
    }
}

async fn rendezvous_request(address: &str, connector: Connector) -> Result<IncomingRequest> {
    let mut socket = ws_connect(address, connector.clone())
        .await
        .map_err(|e| upgrade_error(e, "the request rendezvous"))?;
    let first = socket
        .next()
        .await
        .context("the rendezvous closed before the request")??;
    let Some(ControlMessage::Request(r)) = ControlMessage::parse(first.to_text()?) else {
        anyhow::bail!("the rendezvous did not start with a request");
    };
    let has_body = r.body == Some(true);
    let mut body = Vec::new();
    if has_body {
        let m = socket
            .next()
            .await
            .context("the rendezvous closed before the request body")??;
        body = m.into_data().to_vec();
    }
    let mut req = request_from(
        control::Request {
            address: address.to_string(),
            ..r
        },
        connector,
        Reply::Control(mpsc::unbounded_channel().0),
    );
    req.body = body;
    req.reply = Reply::Rendezvous(Box::new(socket));
    Ok(req)
}

/// Opens a WebSocket to a hybrid connection as a sender.
pub async fn connect(
    endpoint: &Endpoint,
    token: &TokenSource,
    connector: Connector,
    suffix: &str,
    query: &[(String, String)],
    headers: &[(String, String)],
) -> Result<Socket> {
    let mut request = endpoint
        .ws_url("connect", suffix, query)
        .into_client_request()?;
    for (k, v) in headers {
        request.headers_mut().insert(
            axum::http::HeaderName::from_bytes(k.as_bytes())?,
            v.parse()?,
        );
    }
    if let Some((t, _)) = token.token(endpoint).await? {
        request
            .headers_mut()
            .insert("ServiceBusAuthorization", t.parse()?);
    }
    ws_connect(request, connector)
        .await
        .map_err(|e| upgrade_error(e, &format!("connecting to '{}'", endpoint.entity)).into())
}

/// Sends an HTTP request to a hybrid connection.
pub async fn http_request(
    endpoint: &Endpoint,
    token: &TokenSource,
    http: &reqwest::Client,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: Vec<u8>,
) -> Result<reqwest::Response> {
    let method = reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes())
        .with_context(|| format!("'{method}' is not an HTTP method"))?;
    let mut request = http.request(method, endpoint.https_url(path)).body(body);
    for (k, v) in headers {
        request = request.header(k, v);
    }
    if let Some((t, _)) = token.token(endpoint).await? {
        request = request.header("ServiceBusAuthorization", t);
    }
    request
        .send()
        .await
        .with_context(|| format!("sending to '{}'", endpoint.entity))
}

#[cfg(test)]
mod tests;
