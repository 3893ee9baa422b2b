//! Listen and Send consoles: one tab each, several at once. A console owns a link to its
//! background actor, a bounded transcript, per-second rates for the plot, and what waits for
//! the user (a sender to accept, a request to answer).
//!
//! Layout: this file is the console's model; `view.rs` draws it; `protocol.rs` is what the view
//! and the actor say to each other; `actor.rs` owns the sockets.

mod actor;
mod detail;
mod protocol;
mod transcript_view;
mod view;

pub use protocol::{
    ConsoleCommand, ConsoleEvent, ConsoleLink, ConsoleTarget, Frame, LinkState, ListenPolicy,
    Pending, RESPONSE_DEADLINE, ReplyMode,
};
pub use view::ConsoleCx;

use std::sync::Arc;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use super::accounts::Session;
use super::activity::ActivityLog;
use super::backend::Backend;
use super::transcript::{Entry, EventKind, Rates, Transcript};
use super::tree::TreeNode;
use crate::relay::client::{Endpoint, TokenSource};
use crate::report::Report;

/// How a console's requests are authorised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthChoice {
    Sas { rule_id: String, name: String },
    Entra,
    ConnectionString,
    Anonymous,
}

impl AuthChoice {
    pub fn label(&self) -> String {
        match self {
            AuthChoice::Sas { name, .. } => format!("SAS rule {name}"),
            AuthChoice::Entra => "signed-in identity (Entra)".into(),
            AuthChoice::ConnectionString => "connection string".into(),
            AuthChoice::Anonymous => "anonymous (no token)".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyView {
    Text,
    Hex,
    Json,
}

/// Which events a console's list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    All,
    WebSocket,
    Http,
}

impl Shown {
    fn shows(self, kind: EventKind) -> bool {
        match (self, kind) {
            (Shown::All, _) | (_, EventKind::State | EventKind::Error) => true,
            (Shown::WebSocket, k) => {
                matches!(
                    k,
                    EventKind::Connection | EventKind::Text | EventKind::Binary
                )
            }
            (Shown::Http, k) => matches!(k, EventKind::Request | EventKind::Response),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyKind {
    Echo,
    Canned,
    Manual,
}

/// A saved HTTP request of the Send console (kept between runs; never a token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedRequest {
    pub name: String,
    pub method: String,
    pub path: String,
    pub headers: String,
    pub body: String,
}

/// How a start ends when the console is stopped before it is online.
const STOPPED_EARLY: &str = "stopped before it came online";

/// The activity logged for a console's last Start.
struct Started {
    activity: u64,
    /// When it began, until its outcome is known.
    running_since: Option<std::time::Instant>,
}

pub struct Console {
    pub id: u64,
    pub listen: bool,
    pub entity_key: String,
    pub entity_name: String,
    pub account: String,
    namespace_endpoint: String,
    session: Option<Arc<Session>>,
    pub auth: Option<AuthChoice>,
    link: Option<ConsoleLink>,
    pub state: LinkState,
    pub transcript: Transcript,
    pub rates: Rates,
    pub selected: Option<u64>,
    pub pending: Vec<Pending>,
    pub open_connections: Vec<String>,
    pub auto_accept: bool,
    pub reply: ReplyKind,
    pub canned_status: String,
    pub canned_body: String,
    pub reply_text: String,
    pub reply_status: String,
    pub reject_status: String,
    pub reject_reason: String,
    pub websocket: bool,
    pub message: String,
    pub method: String,
    pub path: String,
    pub headers: String,
    pub body: String,
    pub save_name: String,
    pub ws_suffix: String,
    pub body_view: BodyView,
    pub follow: bool,
    pub error: Option<Report>,
    /// The activity of the last Start: finished by its outcome (online, refused, or stopped
    /// first); its command follows what is sent afterwards.
    started: Option<Started>,
    pub shown: Shown,
    /// The filtered view's rows, for (events pushed, events dropped, filter).
    filtered: ((u64, u64, Shown), Vec<usize>),
}

impl Console {
    pub fn new(
        id: u64,
        listen: bool,
        node: &TreeNode,
        namespace_endpoint: String,
        session: Option<Arc<Session>>,
    ) -> Self {
        let attached = session
            .as_ref()
            .is_some_and(|s| s.connection_string.is_some());
        Self {
            id,
            listen,
            entity_key: node.key.clone(),
            entity_name: node.label.clone(),
            account: node.account.clone(),
            namespace_endpoint,
            session,
            auth: attached.then_some(AuthChoice::ConnectionString),
            link: None,
            state: LinkState::Offline {
                reason: "not started".into(),
            },
            transcript: Transcript::default(),
            rates: Rates::default(),
            selected: None,
            pending: Vec::new(),
            open_connections: Vec::new(),
            auto_accept: true,
            reply: ReplyKind::Echo,
            canned_status: "200".into(),
            canned_body: "ok".into(),
            reply_text: String::new(),
            reply_status: "200".into(),
            reject_status: "403".into(),
            reject_reason: "rejected by hand".into(),
            websocket: true,
            message: "hello".into(),
            method: "POST".into(),
            path: String::new(),
            headers: "Content-Type: text/plain".into(),
            body: "hello".into(),
            save_name: String::new(),
            ws_suffix: String::new(),
            body_view: BodyView::Text,
            follow: true,
            error: None,
            started: None,
            shown: Shown::All,
            filtered: ((0, 0, Shown::All), Vec::new()),
        }
    }

    /// A sensible identity when none is chosen yet: the first SAS rule with the right (once the
    /// rules are loaded), else the signed-in Entra identity.
    pub fn pick_default_auth(&mut self, rules: Option<&[crate::arm::tree::Node]>) {
        if self.auth.is_some() {
            return;
        }
        let Some(rules) = rules else {
            return;
        };
        let need = if self.listen { "Listen" } else { "Send" };
        self.auth = rules
            .iter()
            .find(|r| {
                r.rights
                    .as_ref()
                    .is_some_and(|x| x.iter().any(|x| x == need || x == "Manage"))
            })
            .map(|r| AuthChoice::Sas {
                rule_id: r.id.clone(),
                name: r.name.clone(),
            })
            .or_else(|| {
                self.session
                    .as_ref()
                    .and_then(|s| s.credential.as_ref())
                    .map(|_| AuthChoice::Entra)
            });
    }

    pub fn title(&self) -> String {
        format!(
            "{} {}",
            if self.listen { "Listen" } else { "Send" },
            self.entity_name
        )
    }

    pub fn is_online(&self) -> bool {
        self.state == LinkState::Online
    }

    /// Whether it is running (or trying to).
    pub fn is_live(&self) -> bool {
        !matches!(self.state, LinkState::Offline { .. })
    }

    /// Takes an event of the console's task; a start that just failed is finished in
    /// `activity` and its reason returned (for a toast).
    pub fn on_event(&mut self, e: ConsoleEvent, activity: &mut ActivityLog) -> Option<Report> {
        let outcome = match &e {
            ConsoleEvent::State(LinkState::Online) => Some(Ok(())),
            ConsoleEvent::State(LinkState::Offline { reason }) if reason.message == "stopped" => {
                Some(Err(Report::from(STOPPED_EARLY)))
            }
            ConsoleEvent::State(LinkState::Offline { reason }) => Some(Err(reason.clone())),
            _ => None,
        };
        let failed = outcome.and_then(|o| self.finish_start(activity, o));
        self.on_state_or_entry(e);
        failed
    }

    /// A stop by hand before the console came online finishes its start as not done.
    pub fn stopped_by_hand(&mut self, activity: &mut ActivityLog) {
        self.finish_start(activity, Err(STOPPED_EARLY.into()));
    }

    /// Finishes the running start's activity with `outcome` (once); its failure, if it was one.
    fn finish_start(
        &mut self,
        activity: &mut ActivityLog,
        outcome: Result<(), Report>,
    ) -> Option<Report> {
        let started = self.started.as_mut()?;
        let began = started.running_since.take()?;
        let failed = outcome.as_ref().err().cloned();
        activity.finish(started.activity, outcome, began.elapsed());
        failed
    }

    fn on_state_or_entry(&mut self, e: ConsoleEvent) {
        match e {
            ConsoleEvent::State(s) => {
                if let LinkState::Offline { reason } = &s {
                    if reason.message != "stopped" && reason.message != "closed" {
                        self.error = Some(reason.clone());
                    }
                    self.link = None;
                    self.pending.clear();
                    self.open_connections.clear();
                } else {
                    self.error = None;
                }
                self.state = s;
            }
            ConsoleEvent::Entry(e) => self.push(e),
            ConsoleEvent::Pending(p) => self.pending.push(p),
            ConsoleEvent::Resolved(id) => self.pending.retain(|p| p.id() != id),
            ConsoleEvent::Open(id) => self.open_connections.push(id),
            ConsoleEvent::Closed(id) => self.open_connections.retain(|c| *c != id),
        }
    }

    /// Starts the listener or sender, logged in `activity` as running until it is online or
    /// fails.
    pub fn start(&mut self, backend: &Backend, activity: &mut ActivityLog) {
        let (label, command) = self.start_link(backend);
        self.finish_start(activity, Err("started again".into()));
        self.started = Some(Started {
            activity: activity.start(label, command),
            running_since: Some(std::time::Instant::now()),
        });
    }

    /// After a message is sent: the logged command of the start sends that message.
    pub fn sent(&self, activity: &mut ActivityLog) {
        if let Some(s) = &self.started {
            activity.set_command(s.activity, Some(self.command()));
        }
    }

    /// Starts the listener or sender; returns the activity to log (label, command).
    fn start_link(&mut self, backend: &Backend) -> (String, Option<String>) {
        self.error = None;
        let target = self.target();
        self.link = Some(if self.listen {
            backend.start_listener(self.id, target, self.policy())
        } else {
            backend.start_sender(
                self.id,
                target,
                self.websocket.then(|| self.ws_suffix.clone()),
            )
        });
        self.state = LinkState::Starting;
        (
            format!(
                "{} ({})",
                self.title(),
                self.auth
                    .as_ref()
                    .map(AuthChoice::label)
                    .unwrap_or_default()
            ),
            Some(self.command()),
        )
    }

    /// Sends a text frame (Send console, connected).
    pub fn send_text(&self, text: &str) {
        if let Some(l) = &self.link {
            l.send(ConsoleCommand::Frame {
                conn: None,
                frame: Frame::Text(text.to_string()),
            });
        }
    }

    /// Clears the transcript and the counters and rates shown above it.
    pub fn clear(&mut self) {
        self.transcript.clear();
        self.rates = Rates::default();
        self.selected = None;
    }

    pub fn push(&mut self, e: Entry) {
        self.rates.record(&e);
        self.transcript.push(e);
    }

    fn policy(&self) -> ListenPolicy {
        ListenPolicy {
            auto_accept: self.auto_accept,
            reply: match self.reply {
                ReplyKind::Echo => ReplyMode::Echo,
                ReplyKind::Canned => ReplyMode::Canned {
                    status: self.canned_status.trim().parse().unwrap_or(200),
                    body: self.canned_body.clone(),
                },
                ReplyKind::Manual => ReplyMode::Manual,
            },
        }
    }

    /// Where and as whom to connect; a SAS rule's key is fetched here, in the background.
    fn target(
        &self,
    ) -> impl std::future::Future<Output = anyhow::Result<ConsoleTarget>> + Send + 'static {
        let session = self.session.clone();
        let auth = self.auth.clone();
        let namespace = self.namespace_endpoint.clone();
        let entity = self.entity_name.clone();
        async move {
            let session = session.context("this account is not signed in")?;
            let endpoint = match &session.connection_string {
                Some(cs) => Endpoint::from_connection_string(cs, Some(&entity))?,
                None => Endpoint::new(&namespace, &entity)?,
            };
            let connector = crate::relay::client::tls_connector(Some(&session.cloud))?;
            let token = match auth
                .context("choose how to sign the requests (a SAS rule or your identity)")?
            {
                AuthChoice::Sas { rule_id, name } => {
                    let arm = session
                        .arm
                        .as_ref()
                        .context("this account has no Resource Manager access")?;
                    let keys = arm
                        .list_keys(&rule_id)
                        .await
                        .map_err(|e| crate::arm::access::actionable(&e))?;
                    TokenSource::Sas {
                        key_name: keys.key_name.clone().unwrap_or(name),
                        key: keys.primary_key.clone(),
                    }
                }
                AuthChoice::Entra => TokenSource::Entra {
                    credential: session
                        .credential
                        .clone()
                        .context("this account has no Entra identity")?,
                    scope: session.cloud.relay_scope.clone(),
                },
                AuthChoice::ConnectionString => TokenSource::from_connection_string(
                    session
                        .connection_string
                        .as_ref()
                        .context("this account has no connection string")?,
                )?,
                AuthChoice::Anonymous => TokenSource::Anonymous,
            };
            Ok(ConsoleTarget {
                endpoint,
                token,
                connector,
                http: session.relay_http.clone(),
            })
        }
    }

    fn headers(&self) -> Vec<(String, String)> {
        self.headers
            .lines()
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .filter(|(k, _)| !k.is_empty())
            .collect()
    }

    /// The CLI (or curl) command that does what this console does.
    pub fn command(&self) -> String {
        let session = self.session.as_ref();
        let emulator = session
            .and_then(|s| s.emulator_ready.as_ref())
            .map(|p| format!(" --emulator {}", p.display()))
            .unwrap_or_default();
        let target = match (&self.auth, session) {
            (Some(AuthChoice::Sas { .. } | AuthChoice::ConnectionString), _) => format!(
                "--connection-string \"$AZURE_RELAY_CONNECTION_STRING\" --entity {}{emulator}",
                self.entity_name
            ),
            (Some(AuthChoice::Anonymous), _) => format!(
                "--anonymous --namespace {} --entity {}{emulator}",
                self.host(),
                self.entity_name,
            ),
            (_, Some(s)) => format!(
                "--namespace {} --entity {} {}",
                self.host(),
                self.entity_name,
                s.account.cli_options(s.emulator_ready.as_deref())
            ),
            _ => String::new(),
        };
        if self.listen {
            let reply = match self.reply {
                ReplyKind::Echo => " --echo".to_string(),
                ReplyKind::Canned => format!(
                    " --respond-status {} --respond-body '{}'",
                    self.canned_status,
                    self.canned_body.replace('\'', "'\\''")
                ),
                ReplyKind::Manual => String::new(),
            };
            format!("relay-explorer listen {target}{reply}")
        } else if self.websocket {
            format!(
                "relay-explorer send {target} --message '{}'",
                self.message.replace('\'', "'\\''")
            )
        } else {
            let mut c = format!(
                "curl -X {} 'https://{}/{}{}' -H \"ServiceBusAuthorization: $TOKEN\"",
                self.method,
                self.host(),
                self.entity_name,
                self.path
            );
            for (k, v) in self.headers() {
                c.push_str(&format!(" -H '{k}: {v}'"));
            }
            if !self.body.is_empty() {
                c.push_str(&format!(
                    " --data-binary '{}'",
                    self.body.replace('\'', "'\\''")
                ));
            }
            c
        }
    }

    fn host(&self) -> String {
        self.namespace_endpoint
            .trim_start_matches("https://")
            .trim_start_matches("sb://")
            .trim_end_matches('/')
            .to_string()
    }
}

fn time_of(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| {
            t.with_timezone(&chrono::Local)
                .format("%H:%M:%S%.3f")
                .to_string()
        })
        .unwrap_or_default()
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::new();
    for (i, chunk) in bytes.chunks(16).enumerate() {
        out.push_str(&format!("{:08x}  ", i * 16));
        for b in chunk {
            out.push_str(&format!("{b:02x} "));
        }
        for _ in chunk.len()..16 {
            out.push_str("   ");
        }
        out.push(' ');
        out.extend(chunk.iter().map(|&b| {
            if (0x20..0x7f).contains(&b) {
                b as char
            } else {
                '.'
            }
        }));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests;
