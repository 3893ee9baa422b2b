//! The console actors: one task owns a listener (its control channel, accepted connections,
//! HTTP requests waiting for a reply) or a sender socket; it takes [`ConsoleCommand`]s and answers
//! with [`ConsoleEvent`]s through the backend. The only part of the window that knows the wire
//! library.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use futures::{SinkExt, StreamExt};
use parking_lot::Mutex;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use super::super::backend::{Backend, Event};
use super::super::transcript::{Direction, Entry, EventKind};
use super::protocol::{
    ConsoleCommand, ConsoleEvent, ConsoleLink, ConsoleTarget, Frame, LinkState, ListenPolicy,
    Pending, RESPONSE_DEADLINE, ReplyMode,
};
use crate::relay::listener::{self, IncomingConnection, IncomingRequest, ListenerEvent};
use crate::report::Report;

/// The actor's message for a frame the view asked to send.
fn message(frame: Frame) -> Message {
    match frame {
        Frame::Text(t) => Message::Text(t.into()),
        Frame::Binary(b) => Message::Binary(b.into()),
    }
}

impl Backend {
    fn outbox(&self, id: u64) -> Outbox {
        Outbox {
            id,
            backend: self.clone(),
        }
    }

    /// Starts a listener console. `target` is resolved first (a SAS rule's key is fetched then).
    pub fn start_listener<F>(&self, id: u64, target: F, policy: ListenPolicy) -> ConsoleLink
    where
        F: std::future::Future<Output = anyhow::Result<ConsoleTarget>> + Send + 'static,
    {
        let policy = Arc::new(Mutex::new(policy));
        let p = policy.clone();
        self.start_console(id, target, policy, move |target, rx, out| {
            listen_actor(target, p, rx, out)
        })
    }

    /// Starts a sender console: WebSocket when `websocket` (with a path suffix), else HTTP.
    pub fn start_sender<F>(&self, id: u64, target: F, websocket: Option<String>) -> ConsoleLink
    where
        F: std::future::Future<Output = anyhow::Result<ConsoleTarget>> + Send + 'static,
    {
        let policy = Arc::new(Mutex::new(ListenPolicy {
            auto_accept: true,
            reply: ReplyMode::Manual,
        }));
        self.start_console(id, target, policy, move |target, rx, out| {
            send_actor(target, websocket, rx, out)
        })
    }

    /// Resolves the target, then runs the console's actor until it ends or the link is dropped.
    fn start_console<F, A, Fut>(
        &self,
        id: u64,
        target: F,
        policy: Arc<Mutex<ListenPolicy>>,
        actor: A,
    ) -> ConsoleLink
    where
        F: std::future::Future<Output = anyhow::Result<ConsoleTarget>> + Send + 'static,
        A: FnOnce(ConsoleTarget, mpsc::UnboundedReceiver<ConsoleCommand>, Outbox) -> Fut
            + Send
            + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let (commands, rx) = mpsc::unbounded_channel();
        let (stop, stop_rx) = tokio::sync::oneshot::channel();
        let out = self.outbox(id);
        self.runtime().spawn(async move {
            out.send(ConsoleEvent::State(LinkState::Starting));
            let target = match target.await {
                Ok(t) => t,
                Err(e) => {
                    let reason = Report::of(&e);
                    out.entry(Entry::new(
                        Direction::Info,
                        EventKind::Error,
                        reason.to_string(),
                    ));
                    out.send(ConsoleEvent::State(LinkState::Offline { reason }));
                    return;
                }
            };
            tokio::select! {
                _ = actor(target, rx, out.clone()) => {}
                _ = stop_rx => {
                    out.send(ConsoleEvent::State(LinkState::Offline { reason: "stopped".into() }));
                }
            }
        });
        ConsoleLink {
            commands,
            policy,
            stop: Some(stop),
        }
    }
}

#[derive(Clone)]
struct Outbox {
    id: u64,
    backend: Backend,
}

impl Outbox {
    fn send(&self, event: ConsoleEvent) {
        self.backend.emit(Event::Console { id: self.id, event });
    }

    fn entry(&self, e: Entry) {
        self.send(ConsoleEvent::Entry(e));
    }
}

fn frame_entry(direction: Direction, m: &Message, conn: &str) -> Option<Entry> {
    let (kind, bytes): (EventKind, &[u8]) = match m {
        Message::Text(t) => (EventKind::Text, t.as_bytes()),
        Message::Binary(b) => (EventKind::Binary, b),
        _ => return None,
    };
    let summary = match kind {
        EventKind::Text => {
            let t = String::from_utf8_lossy(bytes);
            let mut s: String = t.chars().take(120).collect();
            if t.chars().count() > 120 {
                s.push('…');
            }
            s
        }
        _ => format!("binary, {} bytes", bytes.len()),
    };
    Some(
        Entry::new(direction, kind, summary)
            .with_conn(conn)
            .with_body(bytes),
    )
}

async fn listen_actor(
    target: ConsoleTarget,
    policy: Arc<Mutex<ListenPolicy>>,
    mut commands: mpsc::UnboundedReceiver<ConsoleCommand>,
    out: Outbox,
) {
    let (handle, mut events) = listener::spawn(
        target.endpoint.clone(),
        target.token.clone(),
        target.connector.clone(),
    );
    let mut connections: HashMap<String, IncomingConnection> = HashMap::new();
    // Requests waiting for a reply by hand, with the relay's deadline for it.
    let mut requests: HashMap<String, (IncomingRequest, Instant)> = HashMap::new();
    let writers: Arc<Mutex<HashMap<String, mpsc::UnboundedSender<Message>>>> = Arc::default();
    loop {
        tokio::select! {
            event = events.recv() => {
                let Some(event) = event else { break };
                match event {
                    ListenerEvent::Online => {
                        out.entry(Entry::new(Direction::Info, EventKind::State, format!("online on '{}'", target.endpoint.entity)));
                        out.send(ConsoleEvent::State(LinkState::Online));
                    }
                    ListenerEvent::Reconnecting { after, reason } => {
                        out.entry(Entry::new(Direction::Info, EventKind::State, format!("reconnecting in {} s: {reason}", after.as_secs())));
                        out.send(ConsoleEvent::State(LinkState::Reconnecting { at: Instant::now() + after, reason }));
                    }
                    ListenerEvent::Offline { reason, error } => {
                        let reason = match error {
                            Some(e) => Report::of(&e.into()),
                            None => reason.into(),
                        };
                        out.entry(Entry::new(Direction::Info, EventKind::State, format!("offline: {reason}")));
                        out.send(ConsoleEvent::State(LinkState::Offline { reason }));
                        break;
                    }
                    ListenerEvent::Connection(c) => {
                        out.entry(
                            Entry::new(Direction::In, EventKind::Connection, format!("connection from {}", c.remote))
                                .with_conn(c.id.clone())
                                .with_headers(c.headers.clone()),
                        );
                        if policy.lock().auto_accept {
                            accept(c, policy.clone(), writers.clone(), out.clone());
                        } else {
                            out.send(ConsoleEvent::Pending(Pending::Connection { id: c.id.clone(), remote: c.remote.clone() }));
                            connections.insert(c.id.clone(), c);
                        }
                    }
                    ListenerEvent::Request(r) => {
                        let started = Instant::now();
                        out.entry(
                            Entry::new(Direction::In, EventKind::Request, format!("{} {}", r.method, r.target))
                                .with_conn(r.id.clone())
                                .with_headers(r.headers.clone())
                                .with_body(&r.body),
                        );
                        let reply = policy.lock().reply.clone();
                        match reply {
                            ReplyMode::Echo => {
                                let body = r.body.clone();
                                respond(r, 200, Vec::new(), body, started, out.clone());
                            }
                            ReplyMode::Canned { status, body } => {
                                respond(r, status, Vec::new(), body.into_bytes(), started, out.clone());
                            }
                            ReplyMode::Manual => {
                                let deadline = started + RESPONSE_DEADLINE;
                                requests.retain(|_, (_, d)| *d > started);
                                out.send(ConsoleEvent::Pending(Pending::Request {
                                    id: r.id.clone(),
                                    method: r.method.clone(),
                                    target: r.target.clone(),
                                    deadline,
                                }));
                                requests.insert(r.id.clone(), (r, deadline));
                            }
                        }
                    }
                }
            }
            command = commands.recv() => {
                let Some(command) = command else { break };
                match command {
                    ConsoleCommand::Accept(id) => {
                        if let Some(c) = connections.remove(&id) {
                            out.send(ConsoleEvent::Resolved(id));
                            accept(c, policy.clone(), writers.clone(), out.clone());
                        }
                    }
                    ConsoleCommand::Reject { id, status, reason } => {
                        if let Some(c) = connections.remove(&id) {
                            out.send(ConsoleEvent::Resolved(id.clone()));
                            let out = out.clone();
                            tokio::spawn(async move {
                                let e = match c.reject(status, &reason).await {
                                    Ok(()) => Entry::new(Direction::Out, EventKind::Connection, format!("rejected with {status} {reason}")),
                                    Err(e) => Entry::new(Direction::Info, EventKind::Error, format!("could not reject: {e:#}")),
                                };
                                out.entry(e.with_conn(id));
                            });
                        }
                    }
                    ConsoleCommand::Respond { id, status, headers, body } => {
                        if let Some((r, deadline)) = requests.remove(&id) {
                            out.send(ConsoleEvent::Resolved(id.clone()));
                            if Instant::now() < deadline {
                                respond(r, status, headers, body, Instant::now(), out.clone());
                            } else {
                                out.entry(Entry::new(Direction::Info, EventKind::Error, format!("not sent: the relay's {} s deadline for the response had passed (the sender got an error)", RESPONSE_DEADLINE.as_secs())).with_conn(id));
                            }
                        }
                    }
                    ConsoleCommand::Frame { conn, frame } => {
                        let message = message(frame);
                        let writers = writers.lock();
                        let writer = match &conn {
                            Some(c) => writers.get(c),
                            None => writers.values().next(),
                        };
                        match writer {
                            Some(w) => {
                                if let Some(e) = frame_entry(Direction::Out, &message, conn.as_deref().unwrap_or("")) {
                                    out.entry(e);
                                }
                                w.send(message).ok();
                            }
                            None => out.entry(Entry::new(Direction::Info, EventKind::Error, "that connection is closed")),
                        }
                    }
                    ConsoleCommand::Close(conn) => {
                        let mut writers = writers.lock();
                        if let Some(c) = conn
                            && let Some(w) = writers.remove(&c)
                        {
                            w.send(Message::Close(None)).ok();
                        }
                    }
                    ConsoleCommand::Http { .. } => {}
                }
            }
        }
    }
    handle.stop();
}

fn accept(
    c: IncomingConnection,
    policy: Arc<Mutex<ListenPolicy>>,
    writers: Arc<Mutex<HashMap<String, mpsc::UnboundedSender<Message>>>>,
    out: Outbox,
) {
    let id = c.id.clone();
    tokio::spawn(async move {
        let socket = match c.accept().await {
            Ok(s) => s,
            Err(e) => {
                out.entry(
                    Entry::new(
                        Direction::Info,
                        EventKind::Error,
                        format!("could not accept: {e:#}"),
                    )
                    .with_conn(id),
                );
                return;
            }
        };
        let (tx, mut rx) = mpsc::unbounded_channel::<Message>();
        writers.lock().insert(id.clone(), tx.clone());
        out.entry(
            Entry::new(Direction::Out, EventKind::Connection, "accepted").with_conn(id.clone()),
        );
        out.send(ConsoleEvent::Open(id.clone()));
        let (mut sink, mut stream) = socket.split();
        let writer = tokio::spawn(async move {
            while let Some(m) = rx.recv().await {
                let close = matches!(m, Message::Close(_));
                if sink.send(m).await.is_err() || close {
                    break;
                }
            }
            sink.close().await.ok();
        });
        while let Some(frame) = stream.next().await {
            let Ok(m) = frame else { break };
            if matches!(m, Message::Close(_)) {
                break;
            }
            if let Some(e) = frame_entry(Direction::In, &m, &id) {
                out.entry(e);
                if policy.lock().reply == ReplyMode::Echo {
                    if let Some(e) = frame_entry(Direction::Out, &m, &id) {
                        out.entry(e);
                    }
                    tx.send(m).ok();
                }
            }
        }
        writers.lock().remove(&id);
        drop(tx);
        writer.abort();
        out.entry(
            Entry::new(Direction::Info, EventKind::Connection, "closed").with_conn(id.clone()),
        );
        out.send(ConsoleEvent::Closed(id));
    });
}

fn respond(
    r: IncomingRequest,
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    started: Instant,
    out: Outbox,
) {
    let id = r.id.clone();
    tokio::spawn(async move {
        let e = match r.respond(status, &headers, &body).await {
            Ok(()) => Entry::new(Direction::Out, EventKind::Response, format!("{status}"))
                .with_headers(headers)
                .with_body(&body)
                .with_latency(started.elapsed().as_secs_f64() * 1000.0),
            Err(e) => Entry::new(
                Direction::Info,
                EventKind::Error,
                format!("could not answer: {e:#}"),
            ),
        };
        out.entry(e.with_conn(id));
    });
}

/// An HTTP sender: every request on its own task, its response (or failure) in the transcript.
async fn http_sender(
    target: ConsoleTarget,
    mut commands: mpsc::UnboundedReceiver<ConsoleCommand>,
    out: Outbox,
) {
    out.send(ConsoleEvent::State(LinkState::Online));
    while let Some(c) = commands.recv().await {
        if let ConsoleCommand::Http {
            method,
            path,
            headers,
            body,
        } = c
        {
            let target = target.clone();
            let out = out.clone();
            tokio::spawn(async move {
                out.entry(
                    Entry::new(
                        Direction::Out,
                        EventKind::Request,
                        format!("{method} /{}{path}", target.endpoint.entity),
                    )
                    .with_headers(headers.clone())
                    .with_body(&body),
                );
                let started = Instant::now();
                let result = listener::http_request(
                    &target.endpoint,
                    &target.token,
                    &target.http,
                    &method,
                    &path,
                    &headers,
                    body,
                )
                .await;
                let e = match result {
                    Ok(response) => {
                        let status = response.status();
                        let headers: Vec<(String, String)> = response
                            .headers()
                            .iter()
                            .map(|(k, v)| {
                                (k.to_string(), v.to_str().unwrap_or_default().to_string())
                            })
                            .collect();
                        let body = response.bytes().await.unwrap_or_default();
                        Entry::new(
                            Direction::In,
                            EventKind::Response,
                            format!(
                                "{} {}",
                                status.as_u16(),
                                status.canonical_reason().unwrap_or("")
                            ),
                        )
                        .with_headers(headers)
                        .with_body(&body)
                        .with_latency(started.elapsed().as_secs_f64() * 1000.0)
                    }
                    Err(e) => Entry::new(Direction::Info, EventKind::Error, format!("{e:#}")),
                };
                out.entry(e);
            });
        }
    }
}

async fn send_actor(
    target: ConsoleTarget,
    websocket: Option<String>,
    mut commands: mpsc::UnboundedReceiver<ConsoleCommand>,
    out: Outbox,
) {
    let Some(suffix) = websocket else {
        return http_sender(target, commands, out).await;
    };
    let socket = match listener::connect(
        &target.endpoint,
        &target.token,
        target.connector.clone(),
        &suffix,
        &[],
        &[],
    )
    .await
    {
        Ok(s) => s,
        Err(e) => {
            let reason = Report::of(&e);
            out.entry(Entry::new(
                Direction::Info,
                EventKind::Error,
                reason.to_string(),
            ));
            out.send(ConsoleEvent::State(LinkState::Offline { reason }));
            return;
        }
    };
    out.entry(Entry::new(
        Direction::Info,
        EventKind::State,
        format!("connected to '{}'", target.endpoint.entity),
    ));
    out.send(ConsoleEvent::State(LinkState::Online));
    let (mut sink, mut stream) = socket.split();
    // Sends waiting for their reply, oldest first: a reply's latency is measured from the
    // oldest unanswered send (an echo answers in order).
    let mut unanswered: VecDeque<Instant> = VecDeque::new();
    let reason = loop {
        tokio::select! {
            frame = stream.next() => {
                match frame {
                    Some(Ok(Message::Close(f))) => break f.map_or_else(|| "closed by the listener".to_string(), |f| format!("closed by the listener: {} {}", u16::from(f.code), f.reason)),
                    Some(Ok(m)) => {
                        if let Some(mut e) = frame_entry(Direction::In, &m, "") {
                            if let Some(t) = unanswered.pop_front() {
                                e = e.with_latency(t.elapsed().as_secs_f64() * 1000.0);
                            }
                            out.entry(e);
                        }
                    }
                    Some(Err(e)) => break format!("the connection failed: {e}"),
                    None => break "closed".to_string(),
                }
            }
            command = commands.recv() => {
                match command {
                    Some(ConsoleCommand::Frame { frame, .. }) => {
                        let message = message(frame);
                        if let Some(e) = frame_entry(Direction::Out, &message, "") {
                            out.entry(e);
                        }
                        unanswered.push_back(Instant::now());
                        if unanswered.len() > 10_000 {
                            unanswered.pop_front();
                        }
                        if let Err(e) = sink.send(message).await {
                            break format!("could not send: {e}");
                        }
                    }
                    Some(ConsoleCommand::Close(_)) | None => {
                        sink.close().await.ok();
                        break "closed".to_string();
                    }
                    Some(_) => {}
                }
            }
        }
    };
    out.entry(Entry::new(
        Direction::Info,
        EventKind::State,
        reason.clone(),
    ));
    out.send(ConsoleEvent::State(LinkState::Offline {
        reason: reason.into(),
    }));
}
