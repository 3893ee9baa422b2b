//! A console's rates plot and its transcript: a virtual list of events, filtered by kind.

use eframe::egui::{self, RichText};

use super::super::transcript::{Direction, EventKind};
use super::{Console, Shown, time_of};

pub(super) fn plot_ui(ui: &mut egui::Ui, c: &Console) {
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

pub(super) fn transcript_ui(ui: &mut egui::Ui, c: &mut Console) {
    // Nothing runs under the detail pane beside it: the filters wrap, the rows are cut (each
    // event is whole in the detail pane).
    ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
    ui.horizontal_wrapped(|ui| {
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
    let key = (c.transcript.pushed(), c.transcript.dropped(), c.shown);
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
