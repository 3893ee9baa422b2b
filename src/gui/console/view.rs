//! A console as the user sees it: the command line (state, identity, mode, controls), the rates
//! plot, the transcript (a virtual list) and the detail pane of the selected event.

use eframe::egui::{self, Color32, RichText};

use super::super::activity::ActivityLog;
use super::super::backend::{Backend, Event};
use super::super::transcript::{Direction, Entry, EventKind};
use super::super::widgets::{copy_button, report_ui};
use super::{
    AuthChoice, BodyView, Console, ConsoleCommand, Frame, LinkState, Pending, ReplyKind,
    SavedRequest, Shown, hex, time_of,
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

impl Console {
    /// Draws the console: its command line, plot, detail pane and transcript.
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &mut ConsoleCx<'_>) {
        let rules: Option<Vec<crate::arm::tree::Node>> = cx.rules.map(<[_]>::to_vec);
        let rules_failed = cx.rules_failed;
        let backend = cx.backend.clone();
        let mut activity: Option<(String, Option<String>)> = None;
        let mut export: Option<(String, String)> = None;
        let mut send_file = false;
        let mut save_request: Option<SavedRequest> = None;
        let mut load_request: Option<SavedRequest> = None;
        let saved = cx.saved_requests.clone();
        {
            let c = &mut *self;
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
                            frame: Frame::Text(c.message.clone()),
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
                            frame: Frame::Binary(c.message.clone().into_bytes()),
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
            let c = &mut *self;
            c.method = s.method;
            c.path = s.path;
            c.headers = s.headers;
            c.body = s.body;
            c.save_name = s.name;
        }
        if let Some(s) = save_request {
            cx.saved_requests.retain(|x| x.name != s.name);
            cx.saved_requests.push(s);
        }
        if let Some((label, command)) = activity {
            let a = cx.activity.start(label, command);
            cx.activity.finish(a, Ok(()), std::time::Duration::ZERO);
        }
        if let Some((name, text)) = export {
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
        if send_file && let Some(link) = &self.link {
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
}

fn plot_ui(ui: &mut egui::Ui, c: &Console) {
    use egui_plot::{Legend, Line, Plot, PlotPoints};
    let now = chrono::Utc::now().timestamp();
    let seconds: Vec<_> = c.rates.seconds().copied().collect();
    let pts =
        |f: &dyn Fn(&super::super::transcript::Second) -> Option<f64>| -> PlotPoints<'static> {
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
                    frame: Frame::Text(c.reply_text.clone()),
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
