//! A console's detail pane: the selected event's headers and body (text, hex or pretty JSON),
//! and replying by hand or closing its connection.

use eframe::egui::{self, RichText};

use super::super::widgets::copy_button;
use super::{BodyView, Console, ConsoleCommand, Frame, hex, time_of};

pub(super) fn detail_ui(ui: &mut egui::Ui, c: &mut Console) {
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
            ui.add(
                egui::TextEdit::singleline(&mut c.reply_text)
                    .char_limit(crate::gui::widgets::limits::BODY)
                    .desired_width(200.0),
            )
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
