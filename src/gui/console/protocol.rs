//! How the window and a console's actor talk: the commands the console view sends (accept,
//! reject, respond, a frame, an HTTP request), the events the actor answers with, and the link
//! that stops the actor when the console is closed. No wire library here: a frame is text or
//! bytes; only the actor (`actor.rs`) builds WebSocket messages.

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio::sync::mpsc;

use super::super::transcript::Entry;
use crate::relay::client::{Endpoint, TokenSource};
use crate::report::Report;

/// How long the relay waits for a listener's response to an HTTP request before it answers the
/// sender with an error itself (`shared/spec/hybrid-connections.md` §6: 60 s).
pub const RESPONSE_DEADLINE: Duration = Duration::from_secs(60);

/// A listener's or sender's state, as shown in its console.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkState {
    Starting,
    Online,
    Reconnecting { at: Instant, reason: String },
    Offline { reason: Report },
}

/// Something waiting for the user: a WebSocket sender to accept or reject, an HTTP request to
/// answer.
#[derive(Debug, Clone)]
pub enum Pending {
    Connection {
        id: String,
        remote: String,
    },
    Request {
        id: String,
        method: String,
        target: String,
        /// When the relay stops waiting for the reply ([`RESPONSE_DEADLINE`] after it came).
        deadline: Instant,
    },
}

impl Pending {
    pub fn id(&self) -> &str {
        match self {
            Pending::Connection { id, .. } | Pending::Request { id, .. } => id,
        }
    }
}

pub enum ConsoleEvent {
    State(LinkState),
    Entry(Entry),
    Pending(Pending),
    Resolved(String),
    /// A WebSocket connection opened (listener: accepted; sender: connected) or closed.
    Open(String),
    Closed(String),
}

/// How a listener answers by itself.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ReplyMode {
    /// Each WebSocket message is sent back; each HTTP request gets 200 and its body.
    Echo,
    /// Each HTTP request gets this status and body (WebSocket messages are not answered).
    Canned { status: u16, body: String },
    /// Nothing is answered by itself: reply by hand.
    Manual,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenPolicy {
    pub auto_accept: bool,
    pub reply: ReplyMode,
}

pub enum ConsoleCommand {
    Accept(String),
    Reject {
        id: String,
        status: u16,
        reason: String,
    },
    Respond {
        id: String,
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// A WebSocket frame; `conn` picks a listener-side connection (the sender has one).
    Frame {
        conn: Option<String>,
        frame: Frame,
    },
    Close(Option<String>),
    Http {
        method: String,
        path: String,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
}

/// The UI's end of a running console.
pub struct ConsoleLink {
    pub commands: mpsc::UnboundedSender<ConsoleCommand>,
    pub policy: Arc<Mutex<ListenPolicy>>,
    pub(super) stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl ConsoleLink {
    pub fn send(&self, c: ConsoleCommand) {
        // A console whose task ended has said so already (Offline); nothing to add.
        self.commands.send(c).ok();
    }
}

impl Drop for ConsoleLink {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            s.send(()).ok();
        }
    }
}

/// Where a console connects, and as whom.
#[derive(Clone)]
pub struct ConsoleTarget {
    pub endpoint: Endpoint,
    pub token: TokenSource,
    pub connector: tokio_tungstenite::Connector,
    pub http: reqwest::Client,
}

/// One WebSocket message's payload, as a person typed or picked it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Text(String),
    Binary(Vec<u8>),
}
