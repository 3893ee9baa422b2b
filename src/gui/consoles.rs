//! Listen and Send consoles: one tab each, several at once. A console owns a link to its
//! background actor, a bounded transcript, per-second rates for the plot, and what waits for
//! the user (a sender to accept, a request to answer).

use std::sync::Arc;

use anyhow::Context as _;
use eframe::egui::{self, Color32, RichText};
use serde::{Deserialize, Serialize};
use tokio_tungstenite::tungstenite::Message;

use super::accounts::Session;
use super::app::App;
use super::backend::{
    Backend, ConsoleCommand, ConsoleEvent, ConsoleLink, ConsoleTarget, Event, LinkState,
    ListenPolicy, Pending, ReplyMode,
};
use super::fetch::Fetch;
use super::transcript::{Direction, Entry, EventKind, Rates, Transcript};
use super::tree::TreeNode;
use super::widgets::{copy_button, report_ui};
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
            shown: Shown::All,
            filtered: ((0, 0, Shown::All), Vec::new()),
        }
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

    pub fn on_event(&mut self, e: ConsoleEvent) {
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

    /// Starts the listener or sender; returns the activity to log (label, command).
    pub fn start(&mut self, backend: &Backend) -> (String, Option<String>) {
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
                message: Message::Text(text.to_string().into()),
            });
        }
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
        let target = match (&self.auth, session) {
            (Some(AuthChoice::Sas { .. } | AuthChoice::ConnectionString), _) => format!(
                "--connection-string \"$AZURE_RELAY_CONNECTION_STRING\" --entity {}",
                self.entity_name
            ),
            (Some(AuthChoice::Anonymous), s) => format!(
                "--anonymous --namespace {} --entity {}{}",
                self.host(),
                self.entity_name,
                s.and_then(|s| s.emulator_ready.as_ref())
                    .map(|p| format!(" --emulator {}", p.display()))
                    .unwrap_or_default()
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

impl App {
    /// Picks a sensible identity for consoles that have none yet: the first SAS rule with the
    /// right (once the rules are loaded), else the signed-in Entra identity.
    pub(super) fn default_console_auth(&mut self) {
        for c in self.consoles.iter_mut().filter(|c| c.auth.is_none()) {
            let Some(rules) = self.details.rules.get(&c.entity_key).and_then(Fetch::value) else {
                continue;
            };
            let need = if c.listen { "Listen" } else { "Send" };
            c.auth = rules
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
                    c.session
                        .as_ref()
                        .and_then(|s| s.credential.as_ref())
                        .map(|_| AuthChoice::Entra)
                });
        }
    }

    pub(super) fn console_ui(&mut self, ui: &mut egui::Ui, id: u64) {
        let Some(index) = self.consoles.iter().position(|c| c.id == id) else {
            ui.label("This console was closed.");
            return;
        };
        let rules: Option<Vec<crate::arm::tree::Node>> = self
            .details
            .rules
            .get(&self.consoles[index].entity_key)
            .and_then(Fetch::value)
            .cloned();
        let rules_failed = matches!(
            self.details.rules.get(&self.consoles[index].entity_key),
            Some(Fetch::Failed(..))
        );
        let backend = self.backend.clone();
        let mut activity: Option<(String, Option<String>)> = None;
        let mut export: Option<(String, String)> = None;
        let mut send_file = false;
        let mut save_request: Option<SavedRequest> = None;
        let mut load_request: Option<SavedRequest> = None;
        let saved = self.persisted.saved_requests.clone();
        {
            let c = &mut self.consoles[index];
            ui.horizontal_wrapped(|ui| {
                let (state, color) = match &c.state {
                    LinkState::Starting => {
                        ("connecting…".to_string(), Color32::from_rgb(200, 150, 40))
                    }
                    LinkState::Online => ("online".to_string(), Color32::from_rgb(60, 170, 90)),
                    LinkState::Reconnecting { at, .. } => (
                        format!(
                            "reconnecting in {} s",
                            at.saturating_duration_since(std::time::Instant::now())
                                .as_secs()
                        ),
                        Color32::from_rgb(200, 150, 40),
                    ),
                    LinkState::Offline { .. } => {
                        ("offline".to_string(), ui.visuals().weak_text_color())
                    }
                };
                super::widgets::dot(ui, color, c.state == LinkState::Online);
                ui.label(RichText::new(state).color(color).strong());
                ui.strong(format!(
                    "{} {}",
                    if c.listen { "Listen on" } else { "Send to" },
                    c.entity_name
                ));
                let as_label = ui.label("as");
                let live = c.is_live();
                ui.add_enabled_ui(!live, |ui| {
                    egui::ComboBox::from_id_salt(("auth", c.id))
                        .selected_text(
                            c.auth
                                .as_ref()
                                .map_or("(choose)".to_string(), AuthChoice::label),
                        )
                        .show_ui(ui, |ui| {
                            if let Some(rules) = &rules {
                                for r in rules {
                                    let choice = AuthChoice::Sas {
                                        rule_id: r.id.clone(),
                                        name: r.name.clone(),
                                    };
                                    let label = format!(
                                        "SAS rule {} ({})",
                                        r.name,
                                        r.rights.clone().unwrap_or_default().join(", ")
                                    );
                                    ui.selectable_value(&mut c.auth, Some(choice), label);
                                }
                            }
                            if c.session.as_ref().is_some_and(|s| s.credential.is_some()) {
                                ui.selectable_value(
                                    &mut c.auth,
                                    Some(AuthChoice::Entra),
                                    AuthChoice::Entra.label(),
                                );
                            }
                            if c.session
                                .as_ref()
                                .is_some_and(|s| s.connection_string.is_some())
                            {
                                ui.selectable_value(
                                    &mut c.auth,
                                    Some(AuthChoice::ConnectionString),
                                    AuthChoice::ConnectionString.label(),
                                );
                            }
                            if !c.listen {
                                ui.selectable_value(
                                    &mut c.auth,
                                    Some(AuthChoice::Anonymous),
                                    AuthChoice::Anonymous.label(),
                                );
                            }
                        })
                        .response
                        .labelled_by(as_label.id);
                    if !c.listen {
                        ui.selectable_value(&mut c.websocket, true, "WebSocket");
                        ui.selectable_value(&mut c.websocket, false, "HTTP");
                    }
                });
                if rules.is_none()
                    && !rules_failed
                    && c.session.as_ref().is_some_and(|s| s.arm.is_some())
                {
                    ui.spinner();
                }
                let start = if c.listen {
                    "Start"
                } else if c.websocket {
                    "Connect"
                } else {
                    "Open"
                };
                if live {
                    if ui.button("Stop").clicked() {
                        c.link = None;
                        c.state = LinkState::Offline {
                            reason: "stopped".into(),
                        };
                        c.push(Entry::new(Direction::Info, EventKind::State, "stopped"));
                    }
                } else if ui
                    .add_enabled(c.auth.is_some(), egui::Button::new(start))
                    .clicked()
                {
                    activity = Some(c.start(&backend));
                }
                ui.separator();
                let now = chrono::Utc::now().timestamp();
                let (rin, rout) = c.rates.current(now);
                ui.label(format!(
                    "{rin}/s in · {rout}/s out · {} events",
                    c.transcript.total()
                ));
                if ui
                    .button("Export")
                    .on_hover_text("Save the transcript as JSON lines")
                    .clicked()
                {
                    export = Some((
                        format!(
                            "{}-{}.jsonl",
                            c.entity_name,
                            if c.listen { "listen" } else { "send" }
                        ),
                        c.transcript.to_json_lines(),
                    ));
                }
                if ui.button("Clear").clicked() {
                    c.transcript.clear();
                    c.selected = None;
                }
                if ui
                    .button("Copy as command")
                    .on_hover_text("The same test from a terminal")
                    .clicked()
                {
                    ui.ctx().copy_text(c.command());
                }
            });
            if let Some(e) = &c.error {
                report_ui(ui, e);
            }
            if c.listen {
                ui.horizontal_wrapped(|ui| {
                    let mut changed = ui
                        .checkbox(&mut c.auto_accept, "Accept connections automatically")
                        .changed();
                    ui.label("Reply:");
                    changed |= ui
                        .selectable_value(&mut c.reply, ReplyKind::Echo, "Echo")
                        .changed();
                    changed |= ui
                        .selectable_value(&mut c.reply, ReplyKind::Canned, "Canned")
                        .changed();
                    changed |= ui
                        .selectable_value(&mut c.reply, ReplyKind::Manual, "By hand")
                        .changed();
                    if c.reply == ReplyKind::Canned {
                        let l = ui.label("status");
                        changed |= ui
                            .add(
                                egui::TextEdit::singleline(&mut c.canned_status)
                                    .desired_width(40.0),
                            )
                            .labelled_by(l.id)
                            .changed();
                        let l = ui.label("body");
                        changed |= ui
                            .add(
                                egui::TextEdit::singleline(&mut c.canned_body).desired_width(160.0),
                            )
                            .labelled_by(l.id)
                            .changed();
                    }
                    if changed && let Some(link) = &c.link {
                        *link.policy.lock() = c.policy();
                    }
                });
                // What waits for the user.
                let pending = c.pending.clone();
                for p in &pending {
                    ui.horizontal(|ui| match p {
                        Pending::Connection { id, remote } => {
                            ui.colored_label(
                                Color32::from_rgb(200, 150, 40),
                                format!("A sender from {remote} waits to be accepted"),
                            );
                            if ui.button("Accept").clicked()
                                && let Some(l) = &c.link
                            {
                                l.send(ConsoleCommand::Accept(id.clone()));
                            }
                            let l = ui.label("status");
                            ui.add(
                                egui::TextEdit::singleline(&mut c.reject_status)
                                    .desired_width(40.0),
                            )
                            .labelled_by(l.id);
                            let l = ui.label("reason");
                            ui.add(
                                egui::TextEdit::singleline(&mut c.reject_reason)
                                    .desired_width(140.0),
                            )
                            .labelled_by(l.id);
                            if ui.button("Reject").clicked()
                                && let Some(l) = &c.link
                            {
                                l.send(ConsoleCommand::Reject {
                                    id: id.clone(),
                                    status: c.reject_status.trim().parse().unwrap_or(403),
                                    reason: c.reject_reason.clone(),
                                });
                            }
                        }
                        Pending::Request {
                            id, method, target, ..
                        } => {
                            ui.colored_label(
                                Color32::from_rgb(200, 150, 40),
                                format!("{method} {target} waits for a reply (60 s)"),
                            );
                            let l = ui.label("reply status");
                            ui.add(
                                egui::TextEdit::singleline(&mut c.reply_status).desired_width(40.0),
                            )
                            .labelled_by(l.id);
                            let l = ui.label("reply body");
                            ui.add(
                                egui::TextEdit::singleline(&mut c.reply_text).desired_width(200.0),
                            )
                            .labelled_by(l.id);
                            if ui.button("Respond").clicked()
                                && let Some(l) = &c.link
                            {
                                l.send(ConsoleCommand::Respond {
                                    id: id.clone(),
                                    status: c.reply_status.trim().parse().unwrap_or(200),
                                    headers: vec![("Content-Type".into(), "text/plain".into())],
                                    body: c.reply_text.clone().into_bytes(),
                                });
                            }
                        }
                    });
                }
            } else if c.websocket {
                ui.horizontal(|ui| {
                    let l = ui.label("Message");
                    let r = ui
                        .add(egui::TextEdit::singleline(&mut c.message).desired_width(320.0))
                        .labelled_by(l.id);
                    let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                    let online = c.is_online();
                    if (ui
                        .add_enabled(online, egui::Button::new("Send text"))
                        .clicked()
                        || (enter && online))
                        && let Some(l) = &c.link
                    {
                        l.send(ConsoleCommand::Frame {
                            conn: None,
                            message: Message::Text(c.message.clone().into()),
                        });
                    }
                    if ui
                        .add_enabled(online, egui::Button::new("Send as binary"))
                        .on_hover_text("The message's UTF-8 bytes in a binary frame")
                        .clicked()
                        && let Some(l) = &c.link
                    {
                        l.send(ConsoleCommand::Frame {
                            conn: None,
                            message: Message::Binary(c.message.clone().into_bytes().into()),
                        });
                    }
                    if ui
                        .add_enabled(online, egui::Button::new("Send a file…"))
                        .clicked()
                    {
                        send_file = true;
                    }
                    if !online {
                        let l = ui.label("path suffix");
                        ui.add(
                            egui::TextEdit::singleline(&mut c.ws_suffix)
                                .hint_text("/optional/suffix")
                                .desired_width(120.0),
                        )
                        .labelled_by(l.id);
                    }
                });
            } else {
                ui.horizontal(|ui| {
                    let method_label = ui.label("method");
                    egui::ComboBox::from_id_salt(("method", c.id))
                        .selected_text(c.method.clone())
                        .show_ui(ui, |ui| {
                            for m in ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] {
                                ui.selectable_value(&mut c.method, m.to_string(), m);
                            }
                        })
                        .response
                        .labelled_by(method_label.id);
                    ui.monospace(format!("/{}", c.entity_name));
                    let l = ui.label("path");
                    ui.add(
                        egui::TextEdit::singleline(&mut c.path)
                            .hint_text("/api?x=1")
                            .desired_width(200.0),
                    )
                    .labelled_by(l.id);
                    if ui
                        .add_enabled(c.is_online(), egui::Button::new("Send request"))
                        .clicked()
                        && let Some(l) = &c.link
                    {
                        l.send(ConsoleCommand::Http {
                            method: c.method.clone(),
                            path: c.path.clone(),
                            headers: c.headers(),
                            body: c.body.clone().into_bytes(),
                        });
                    }
                    let saved_label = ui.label("saved");
                    egui::ComboBox::from_id_salt(("saved", c.id))
                        .selected_text("load…")
                        .show_ui(ui, |ui| {
                            for s in &saved {
                                if ui.selectable_label(false, &s.name).clicked() {
                                    load_request = Some(s.clone());
                                }
                            }
                            if saved.is_empty() {
                                ui.weak("none yet");
                            }
                        })
                        .response
                        .labelled_by(saved_label.id);
                    let l = ui.label("name");
                    ui.add(egui::TextEdit::singleline(&mut c.save_name).desired_width(90.0))
                        .labelled_by(l.id);
                    if ui
                        .add_enabled(!c.save_name.trim().is_empty(), egui::Button::new("Save"))
                        .clicked()
                    {
                        save_request = Some(SavedRequest {
                            name: c.save_name.trim().to_string(),
                            method: c.method.clone(),
                            path: c.path.clone(),
                            headers: c.headers.clone(),
                            body: c.body.clone(),
                        });
                    }
                });
                ui.columns(2, |cols| {
                    let l = cols[0].label("Headers (one per line, Name: value)");
                    cols[0]
                        .add(
                            egui::TextEdit::multiline(&mut c.headers)
                                .desired_rows(3)
                                .desired_width(f32::INFINITY),
                        )
                        .labelled_by(l.id);
                    let l = cols[1].label("Body");
                    cols[1]
                        .add(
                            egui::TextEdit::multiline(&mut c.body)
                                .desired_rows(3)
                                .desired_width(f32::INFINITY),
                        )
                        .labelled_by(l.id);
                });
            }
            plot_ui(ui, c);
            egui::Panel::right(("console-detail", c.id))
                .resizable(true)
                .default_size(380.0)
                .show(ui, |ui| detail_ui(ui, c));
            transcript_ui(ui, c);
        }
        if let Some(s) = load_request {
            let c = &mut self.consoles[index];
            c.method = s.method;
            c.path = s.path;
            c.headers = s.headers;
            c.body = s.body;
            c.save_name = s.name;
        }
        if let Some(s) = save_request {
            self.persisted.saved_requests.retain(|x| x.name != s.name);
            self.persisted.saved_requests.push(s);
        }
        if let Some((label, command)) = activity {
            let a = self.activity.start(label, command);
            self.activity.finish(a, Ok(()), std::time::Duration::ZERO);
        }
        if let Some((name, text)) = export {
            let a = self.activity.start(format!("Export {name}"), None);
            self.backend.spawn(a, async move {
                let Some(file) = rfd::AsyncFileDialog::new()
                    .set_file_name(&name)
                    .add_filter("JSON lines", &["jsonl"])
                    .save_file()
                    .await
                else {
                    return Event::Saved(Err("cancelled".into()));
                };
                let path = file.path().to_path_buf();
                Event::Saved(
                    tokio::fs::write(&path, text)
                        .await
                        .map(|_| path.display().to_string())
                        .map_err(|e| format!("could not write {}: {e}", path.display()).into()),
                )
            });
        }
        if send_file && let Some(link) = &self.consoles[index].link {
            let commands = link.commands.clone();
            let a = self.activity.start("Send a file", None);
            self.backend.spawn(a, async move {
                let Some(file) = rfd::AsyncFileDialog::new().pick_file().await else {
                    return Event::Saved(Err("cancelled".into()));
                };
                let bytes = file.read().await;
                let n = bytes.len();
                commands
                    .send(ConsoleCommand::Frame {
                        conn: None,
                        message: Message::Binary(bytes.into()),
                    })
                    .ok();
                Event::Saved(Ok(format!("sent {} ({n} bytes)", file.file_name())))
            });
        }
    }
}

fn plot_ui(ui: &mut egui::Ui, c: &Console) {
    use egui_plot::{Legend, Line, Plot, PlotPoints};
    let now = chrono::Utc::now().timestamp();
    let seconds: Vec<_> = c.rates.seconds().copied().collect();
    let pts = |f: &dyn Fn(&super::transcript::Second) -> Option<f64>| -> PlotPoints<'static> {
        seconds
            .iter()
            .filter_map(|s| f(s).map(|y| [(s.at - now) as f64, y]))
            .collect::<Vec<_>>()
            .into()
    };
    let inbound = pts(&|s| Some(f64::from(s.messages_in)));
    let outbound = pts(&|s| Some(f64::from(s.messages_out)));
    let latency =
        pts(&|s| (s.latency_count > 0).then(|| s.latency_sum_ms / f64::from(s.latency_count)));
    Plot::new(("rates", c.id))
        .height(90.0)
        .legend(Legend::default())
        .include_x(-60.0)
        .include_x(0.0)
        .include_y(0.0)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .show(ui, |p| {
            p.line(Line::new("in /s", inbound));
            p.line(Line::new("out /s", outbound));
            p.line(Line::new("latency ms", latency));
        });
}

fn transcript_ui(ui: &mut egui::Ui, c: &mut Console) {
    ui.horizontal(|ui| {
        ui.checkbox(&mut c.follow, "Follow");
        ui.label("Show:");
        for (f, label) in [
            (Shown::All, "All events"),
            (Shown::WebSocket, "WebSocket only"),
            (Shown::Http, "HTTP only"),
        ] {
            ui.selectable_value(&mut c.shown, f, label);
        }
        if c.transcript.dropped() > 0 {
            ui.weak(format!(
                "{} older events dropped (memory stays bounded; export keeps what is shown)",
                c.transcript.dropped()
            ));
        }
    });
    let row_h = 18.0;
    let mut clicked = None;
    // A filtered view is an index list, rebuilt only when events arrive or the filter changes.
    let key = (c.transcript.total(), c.transcript.dropped(), c.shown);
    if c.shown != Shown::All && c.filtered.0 != key {
        let shown = c.shown;
        let rows = c
            .transcript
            .iter()
            .enumerate()
            .filter(|(_, e)| shown.shows(e.kind))
            .map(|(i, _)| i)
            .collect();
        c.filtered = (key, rows);
    }
    let count = if c.shown == Shown::All {
        c.transcript.len()
    } else {
        c.filtered.1.len()
    };
    egui::ScrollArea::vertical()
        .id_salt(("transcript", c.id))
        .auto_shrink([false, false])
        .stick_to_bottom(c.follow)
        .show_rows(ui, row_h, count, |ui, range| {
            for i in range {
                let index = if c.shown == Shown::All {
                    Some(i)
                } else {
                    c.filtered.1.get(i).copied()
                };
                let Some(e) = index.and_then(|i| c.transcript.get(i)) else {
                    continue;
                };
                let arrow = match e.direction {
                    Direction::In => "<-",
                    Direction::Out => "->",
                    Direction::Info => "--",
                };
                let latency = e
                    .latency_ms
                    .map(|l| format!("  {l:.1} ms"))
                    .unwrap_or_default();
                let text = format!(
                    "{} {arrow} {:<10} {}{latency}",
                    time_of(e.at_ms),
                    format!("{:?}", e.kind).to_lowercase(),
                    e.summary
                );
                let color = match e.kind {
                    EventKind::Error => Some(ui.visuals().error_fg_color),
                    EventKind::State => Some(ui.visuals().weak_text_color()),
                    _ => None,
                };
                let mut rt = RichText::new(text).monospace();
                if let Some(col) = color {
                    rt = rt.color(col);
                }
                if ui.selectable_label(c.selected == Some(e.seq), rt).clicked() {
                    clicked = Some(e.seq);
                }
            }
        });
    if let Some(s) = clicked {
        c.selected = Some(s);
        c.follow = false;
    }
}

fn detail_ui(ui: &mut egui::Ui, c: &mut Console) {
    let Some(e) = c.selected.and_then(|s| c.transcript.by_seq(s)).cloned() else {
        ui.weak("Select an event to see its headers and body.");
        if c.listen && !c.open_connections.is_empty() {
            ui.label(format!("{} connection(s) open", c.open_connections.len()));
        }
        return;
    };
    ui.strong(&e.summary);
    ui.weak(format!(
        "{} · {} bytes{}",
        time_of(e.at_ms),
        e.size,
        e.conn
            .as_ref()
            .map(|c| format!(" · {c}"))
            .unwrap_or_default()
    ));
    if !e.headers.is_empty() {
        ui.collapsing(format!("Headers ({})", e.headers.len()), |ui| {
            egui::Grid::new("headers").num_columns(2).show(ui, |ui| {
                for (k, v) in &e.headers {
                    ui.monospace(k);
                    ui.monospace(v);
                    ui.end_row();
                }
            });
        });
    }
    if !e.body.is_empty() {
        ui.horizontal(|ui| {
            ui.selectable_value(&mut c.body_view, BodyView::Text, "Text");
            ui.selectable_value(&mut c.body_view, BodyView::Hex, "Hex");
            ui.selectable_value(&mut c.body_view, BodyView::Json, "JSON");
            let text = e.text().map(str::to_string).unwrap_or_else(|| hex(&e.body));
            copy_button(ui, &text, "body");
        });
        let shown = match c.body_view {
            BodyView::Text => e
                .text()
                .map(str::to_string)
                .unwrap_or_else(|| "(not UTF-8: see Hex)".into()),
            BodyView::Hex => hex(&e.body),
            BodyView::Json => serde_json::from_slice::<serde_json::Value>(&e.body)
                .ok()
                .and_then(|v| serde_json::to_string_pretty(&v).ok())
                .unwrap_or_else(|| "(not JSON)".into()),
        };
        egui::ScrollArea::vertical()
            .id_salt("body")
            .max_height(260.0)
            .show(ui, |ui| {
                ui.add(egui::Label::new(RichText::new(shown).monospace()).wrap());
            });
        if e.size > e.body.len() {
            ui.weak(format!("(first {} of {} bytes)", e.body.len(), e.size));
        }
    }
    // Reply by hand on an open listener-side WebSocket connection.
    if c.listen
        && let Some(conn) = &e.conn
        && c.open_connections.contains(conn)
    {
        ui.separator();
        ui.horizontal(|ui| {
            let l = ui.label("Reply");
            ui.add(egui::TextEdit::singleline(&mut c.reply_text).desired_width(200.0))
                .labelled_by(l.id);
            if ui.button("Send reply").clicked()
                && let Some(link) = &c.link
            {
                link.send(ConsoleCommand::Frame {
                    conn: Some(conn.clone()),
                    message: Message::Text(c.reply_text.clone().into()),
                });
            }
            if ui.button("Close connection").clicked()
                && let Some(link) = &c.link
            {
                link.send(ConsoleCommand::Close(Some(conn.clone())));
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gui::tree::{Kind, Load};

    fn console(listen: bool) -> Console {
        let node = TreeNode {
            key: "k".into(),
            parent: None,
            children: Vec::new(),
            label: "orders".into(),
            kind: Kind::HybridConnection,
            account: "a".into(),
            arm: None,
            load: Load::Leaf,
        };
        Console::new(
            1,
            listen,
            &node,
            "https://contoso.servicebus.windows.net/".into(),
            None,
        )
    }

    #[test]
    fn copy_as_command_does_the_same_from_a_terminal() {
        let mut listen = console(true);
        listen.auth = Some(AuthChoice::Sas {
            rule_id: "r".into(),
            name: "listen-only".into(),
        });
        assert_eq!(
            listen.command(),
            "relay-explorer listen --connection-string \"$AZURE_RELAY_CONNECTION_STRING\" --entity orders --echo"
        );
        listen.reply = ReplyKind::Canned;
        listen.canned_body = "it's ok".into();
        assert!(
            listen
                .command()
                .ends_with("--respond-status 200 --respond-body 'it'\\''s ok'"),
            "{}",
            listen.command()
        );
        let mut send = console(false);
        send.auth = Some(AuthChoice::Anonymous);
        send.websocket = false;
        send.method = "PUT".into();
        send.path = "/v1?x=1".into();
        send.headers = "Content-Type: application/json".into();
        send.body = "{}".into();
        assert_eq!(
            send.command(),
            "curl -X PUT 'https://contoso.servicebus.windows.net/orders/v1?x=1' -H \"ServiceBusAuthorization: $TOKEN\" -H 'Content-Type: application/json' --data-binary '{}'"
        );
    }

    #[test]
    fn the_http_view_shows_requests_and_responses_with_state_changes() {
        let shown: Vec<EventKind> = [
            EventKind::State,
            EventKind::Connection,
            EventKind::Text,
            EventKind::Request,
            EventKind::Response,
            EventKind::Error,
        ]
        .into_iter()
        .filter(|k| Shown::Http.shows(*k))
        .collect();
        assert_eq!(
            shown,
            vec![
                EventKind::State,
                EventKind::Request,
                EventKind::Response,
                EventKind::Error
            ]
        );
        assert!(Shown::WebSocket.shows(EventKind::Binary));
        assert!(!Shown::WebSocket.shows(EventKind::Request));
    }

    #[test]
    fn hex_shows_offsets_bytes_and_text() {
        assert_eq!(
            hex(b"hi\n"),
            "00000000  68 69 0a                                         hi.\n"
        );
    }
}
