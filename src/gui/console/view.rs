//! A console as the user sees it: the command line (state, identity, mode, start and stop) and
//! the controls of its kind; the plot and transcript (`transcript_view.rs`) and the detail pane
//! (`detail.rs`) below them.

use eframe::egui::{self, Color32, RichText};

use super::super::activity::ActivityLog;
use super::super::backend::{Backend, Event};
use super::super::transcript::{Direction, Entry, EventKind};
use super::super::widgets::{fixed_width, limit_notice, limits, report_ui};
use super::detail::detail_ui;
use super::transcript_view::{plot_ui, transcript_ui};
use super::{
    AuthChoice, Console, ConsoleCommand, Frame, LinkState, Pending, RESPONSE_DEADLINE, ReplyKind,
    SavedRequest,
};

/// What a console may read and change of the app while it draws.
pub struct ConsoleCx<'a> {
    /// The SAS rules of the console's entity, when fetched.
    pub rules: Option<&'a [crate::arm::tree::Node]>,
    pub rules_failed: bool,
    pub backend: &'a Backend,
    pub activity: &'a mut ActivityLog,
    /// Saved HTTP requests (persisted with the window's settings).
    pub saved_requests: &'a mut Vec<SavedRequest>,
}

/// What a console's drawing asked for, done once it has drawn.
#[derive(Default)]
struct Asked {
    start: bool,
    sent: bool,
    stopped: bool,
    export: Option<(String, String)>,
    send_file: bool,
    save_request: Option<SavedRequest>,
    load_request: Option<SavedRequest>,
}

impl Console {
    /// Draws the console: its command line, plot, detail pane and transcript.
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &mut ConsoleCx<'_>) {
        let mut asked = Asked::default();
        self.command_line_ui(ui, cx, &mut asked);
        if let Some(e) = &self.error {
            report_ui(ui, e);
        }
        if self.listen {
            self.listen_controls_ui(ui);
        } else if self.websocket {
            self.websocket_controls_ui(ui, &mut asked);
        } else {
            self.http_controls_ui(ui, &cx.saved_requests.clone(), &mut asked);
        }
        let c = &mut *self;
        plot_ui(ui, c);
        // The detail pane takes at most half of what there is, so the transcript keeps room.
        let room = ui.available_width();
        egui::Panel::right(("console-detail", c.id))
            .resizable(true)
            .default_size((room * 0.4).clamp(180.0, 380.0))
            .max_size((room * 0.5).max(180.0))
            .show(ui, |ui| detail_ui(ui, c));
        transcript_ui(ui, c);
        self.run_asked(asked, cx);
    }

    /// What the user asked for beyond the console itself: an activity to log, an export, a file
    /// to send, a request to save or load.
    fn run_asked(&mut self, asked: Asked, cx: &mut ConsoleCx<'_>) {
        if let Some(s) = asked.load_request {
            let c = &mut *self;
            c.method = s.method;
            c.path = s.path;
            c.headers = s.headers;
            c.body = s.body;
            c.save_name = s.name;
        }
        if let Some(s) = asked.save_request {
            cx.saved_requests.retain(|x| x.name != s.name);
            cx.saved_requests.push(s);
        }
        if asked.start {
            self.start(cx.backend, cx.activity);
        }
        if asked.stopped {
            self.stopped_by_hand(cx.activity);
        }
        if asked.sent {
            self.sent(cx.activity);
        }
        if let Some((name, text)) = asked.export {
            let a = cx.activity.start(format!("Export {name}"), None);
            cx.backend.spawn(a, async move {
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
        if asked.send_file
            && let Some(link) = &self.link
        {
            let commands = link.commands.clone();
            let a = cx.activity.start("Send a file", None);
            cx.backend.spawn(a, async move {
                let Some(file) = rfd::AsyncFileDialog::new().pick_file().await else {
                    return Event::Saved(Err("cancelled".into()));
                };
                let bytes = file.read().await;
                let n = bytes.len();
                commands
                    .send(ConsoleCommand::Frame {
                        conn: None,
                        frame: Frame::Binary(bytes),
                    })
                    .ok();
                Event::Saved(Ok(format!("sent {} ({n} bytes)", file.file_name())))
            });
        }
    }

    /// The first line: state, identity, mode, start/stop, rates, clear, export.
    fn command_line_ui(&mut self, ui: &mut egui::Ui, cx: &ConsoleCx<'_>, asked: &mut Asked) {
        let rules = cx.rules;
        let rules_failed = cx.rules_failed;
        let c = &mut *self;
        ui.horizontal_wrapped(|ui| {
            let (state, color) = match &c.state {
                LinkState::Starting => ("connecting…".to_string(), Color32::from_rgb(200, 150, 40)),
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
            super::super::widgets::dot(ui, color, c.state == LinkState::Online);
            ui.label(RichText::new(state).color(color).strong());
            ui.strong(format!(
                "{} {}",
                if c.listen { "Listen on" } else { "Send to" },
                c.entity_name
            ));
            let as_label = ui.label("as");
            let live = c.is_live();
            ui.add_enabled_ui(!live, |ui| {
                // A fixed width: the buttons after it stay put whatever identity is picked.
                fixed_width(ui, 200.0, |ui| {
                    egui::ComboBox::from_id_salt(("auth", c.id))
                        .width(200.0)
                        .truncate()
                        .selected_text(
                            c.auth
                                .as_ref()
                                .map_or("(choose)".to_string(), AuthChoice::label),
                        )
                        .show_ui(ui, |ui| {
                            if let Some(rules) = &rules {
                                for r in *rules {
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
                });
                if !c.listen {
                    let why = "Stop (or disconnect) to switch between WebSocket and HTTP";
                    ui.selectable_value(&mut c.websocket, true, "WebSocket")
                        .on_disabled_hover_text(why);
                    ui.selectable_value(&mut c.websocket, false, "HTTP")
                        .on_disabled_hover_text(why);
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
                    asked.stopped = true;
                }
            } else if ui
                .add_enabled(c.auth.is_some(), egui::Button::new(start))
                .clicked()
            {
                asked.start = true;
            }
            ui.separator();
            let now = chrono::Utc::now().timestamp();
            let (rin, rout) = c.rates.current(now);
            ui.label(format!(
                "{rin}/s in · {rout}/s out · {} events",
                c.transcript.total()
            ));
            c.transcript_buttons_ui(ui, asked);
        });
    }

    /// Export, Clear, Copy as command.
    fn transcript_buttons_ui(&mut self, ui: &mut egui::Ui, asked: &mut Asked) {
        if ui
            .button("Export")
            .on_hover_text("Save the transcript as JSON lines")
            .clicked()
        {
            asked.export = Some((
                format!(
                    "{}-{}.jsonl",
                    self.entity_name,
                    if self.listen { "listen" } else { "send" }
                ),
                self.transcript.to_json_lines(),
            ));
        }
        if ui
            .button("Clear")
            .on_hover_text("Clear the transcript, the counters and the rates")
            .clicked()
        {
            self.clear();
        }
        if ui
            .button("Copy as command")
            .on_hover_text("The same test from a terminal")
            .clicked()
        {
            ui.ctx().copy_text(self.command());
        }
    }

    /// A listener's controls: accepting, replying, and what waits for the user.
    pub(super) fn listen_controls_ui(&mut self, ui: &mut egui::Ui) {
        let c = &mut *self;
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
                            .char_limit(limits::STATUS)
                            .desired_width(40.0),
                    )
                    .labelled_by(l.id)
                    .changed();
                let l = ui.label("body");
                changed |= ui
                    .add(
                        egui::TextEdit::singleline(&mut c.canned_body)
                            .char_limit(limits::BODY)
                            .desired_width(160.0),
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
        let mut dismissed = None;
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
                    ui.add(egui::TextEdit::singleline(&mut c.reject_status).char_limit(limits::STATUS).desired_width(40.0))
                        .labelled_by(l.id);
                    let l = ui.label("reason");
                    ui.add(egui::TextEdit::singleline(&mut c.reject_reason).char_limit(limits::NAME).desired_width(140.0))
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
                    id,
                    method,
                    target,
                    deadline,
                } => {
                    let left = deadline.saturating_duration_since(std::time::Instant::now());
                    let expired = left.is_zero();
                    if expired {
                        ui.colored_label(
                            ui.visuals().error_fg_color,
                            format!(
                                "{method} {target} expired: the relay's {} s deadline passed and the sender got an error",
                                RESPONSE_DEADLINE.as_secs()
                            ),
                        );
                        if ui.button("Dismiss").clicked() {
                            dismissed = Some(id.clone());
                        }
                        return;
                    }
                    // The countdown moves by itself.
                    ui.ctx()
                        .request_repaint_after(left.min(std::time::Duration::from_secs(1)));
                    ui.colored_label(
                        Color32::from_rgb(200, 150, 40),
                        format!(
                            "{method} {target} waits for a reply: {} s left",
                            left.as_secs_f32().ceil() as u64
                        ),
                    );
                    let l = ui.label("reply status");
                    ui.add(egui::TextEdit::singleline(&mut c.reply_status).char_limit(limits::STATUS).desired_width(40.0))
                        .labelled_by(l.id);
                    let l = ui.label("reply body");
                    ui.add(egui::TextEdit::singleline(&mut c.reply_text).char_limit(limits::BODY).desired_width(200.0))
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
        if let Some(id) = dismissed {
            c.pending.retain(|p| p.id() != id);
        }
    }

    /// A WebSocket sender's controls: the message, send as text or bytes, send a file.
    fn websocket_controls_ui(&mut self, ui: &mut egui::Ui, asked: &mut Asked) {
        let c = &mut *self;
        ui.horizontal_wrapped(|ui| {
            let l = ui.label("Message");
            let field = (ui.available_width() - 80.0).clamp(120.0, 320.0);
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut c.message)
                        .char_limit(limits::BODY)
                        .desired_width(field),
                )
                .labelled_by(l.id);
            limit_notice(ui, &c.message, limits::BODY);
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
                    frame: Frame::Text(c.message.clone()),
                });
                asked.sent = true;
            }
            if ui
                .add_enabled(online, egui::Button::new("Send as binary"))
                .on_hover_text("The message's UTF-8 bytes in a binary frame")
                .clicked()
                && let Some(l) = &c.link
            {
                l.send(ConsoleCommand::Frame {
                    conn: None,
                    frame: Frame::Binary(c.message.clone().into_bytes()),
                });
                asked.sent = true;
            }
            if ui
                .add_enabled(online, egui::Button::new("Send a file…"))
                .clicked()
            {
                asked.send_file = true;
            }
            if !online {
                let l = ui.label("path suffix");
                ui.add(
                    egui::TextEdit::singleline(&mut c.ws_suffix)
                        .char_limit(limits::SECRET)
                        .hint_text("/optional/suffix")
                        .desired_width(120.0),
                )
                .labelled_by(l.id);
            }
        });
    }

    /// An HTTP sender's controls: method, path, headers, body; saved requests.
    fn http_controls_ui(&mut self, ui: &mut egui::Ui, saved: &[SavedRequest], asked: &mut Asked) {
        let c = &mut *self;
        ui.horizontal_wrapped(|ui| {
            let method_label = ui.label("method");
            egui::ComboBox::from_id_salt(("method", c.id))
                .width(80.0)
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
                    .char_limit(limits::SECRET)
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
                asked.sent = true;
            }
            let saved_label = ui.label("saved");
            egui::ComboBox::from_id_salt(("saved", c.id))
                .selected_text("load…")
                .show_ui(ui, |ui| {
                    for s in saved {
                        if ui.selectable_label(false, &s.name).clicked() {
                            asked.load_request = Some(s.clone());
                        }
                    }
                    if saved.is_empty() {
                        ui.weak("none yet");
                    }
                })
                .response
                .labelled_by(saved_label.id);
            let l = ui.label("name");
            ui.add(
                egui::TextEdit::singleline(&mut c.save_name)
                    .char_limit(limits::NAME)
                    .desired_width(90.0),
            )
            .labelled_by(l.id);
            if ui
                .add_enabled(!c.save_name.trim().is_empty(), egui::Button::new("Save"))
                .clicked()
            {
                asked.save_request = Some(SavedRequest {
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
                        .char_limit(limits::HEADERS)
                        .desired_rows(3)
                        .desired_width(f32::INFINITY),
                )
                .labelled_by(l.id);
            let l = cols[1].label("Body");
            cols[1]
                .add(
                    egui::TextEdit::multiline(&mut c.body)
                        .char_limit(limits::BODY)
                        .desired_rows(3)
                        .desired_width(f32::INFINITY),
                )
                .labelled_by(l.id);
            limit_notice(&mut cols[1], &c.body, limits::BODY);
        });
    }
}
