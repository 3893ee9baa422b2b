//! Toasts: short notices stacked at the window's bottom-right corner, over the activity log's
//! free side, never over the top bar; held back (and their time stopped) while a dialog is open,
//! so that none covers a dialog's buttons. Each is a label that screen readers and tests find,
//! and that clicks go through.

use std::time::Duration;

use eframe::egui::{self, Color32, RichText};

/// How long a notice stays unless told otherwise.
const DEFAULT_TIME: Duration = Duration::from_secs(4);
/// The most notices shown at once (the newest).
const MAX_SHOWN: usize = 3;

pub struct Notice {
    text: String,
    mark: &'static str,
    color: Color32,
    left: f32,
}

impl Notice {
    /// How long it stays (`None`: the default).
    pub fn duration(&mut self, d: Option<Duration>) -> &mut Self {
        self.left = d.unwrap_or(DEFAULT_TIME).as_secs_f32();
        self
    }
}

#[derive(Default)]
pub struct Notices {
    list: Vec<Notice>,
    shown: Option<egui::Rect>,
}

impl Notices {
    fn add(&mut self, text: String, mark: &'static str, color: Color32) -> &mut Notice {
        self.list.push(Notice {
            text,
            mark,
            color,
            left: DEFAULT_TIME.as_secs_f32(),
        });
        self.list.last_mut().expect("just pushed")
    }

    pub fn error(&mut self, text: impl Into<String>) -> &mut Notice {
        self.add(text.into(), "!", Color32::from_rgb(220, 80, 60))
    }

    pub fn success(&mut self, text: impl Into<String>) -> &mut Notice {
        self.add(text.into(), "ok", Color32::from_rgb(60, 170, 90))
    }

    /// Where the notices were drawn in the last frame (`None`: none shown).
    pub fn shown_rect(&self) -> Option<egui::Rect> {
        self.shown
    }

    pub fn show(&mut self, ctx: &egui::Context) {
        self.shown = None;
        if self.list.is_empty() || ctx.memory(|m| m.top_modal_layer().is_some()) {
            return;
        }
        let dt = ctx.input(|i| i.stable_dt).min(0.1);
        for n in &mut self.list {
            n.left -= dt;
        }
        self.list.retain(|n| n.left > 0.0);
        if self.list.is_empty() {
            return;
        }
        let screen = ctx.content_rect();
        let width = (screen.width() * 0.45).min(420.0);
        let first = self.list.len().saturating_sub(MAX_SHOWN);
        let shown = egui::Area::new(egui::Id::unique("toasts"))
            .order(egui::Order::Foreground)
            .interactable(false)
            .pivot(egui::Align2::RIGHT_BOTTOM)
            .fixed_pos(screen.right_bottom() - egui::vec2(10.0, 10.0))
            .show(ctx, |ui| {
                ui.set_max_width(width);
                for n in &self.list[first..] {
                    egui::Frame::popup(ui.style()).show(ui, |ui| {
                        ui.set_max_width(width - 16.0);
                        ui.horizontal_top(|ui| {
                            ui.label(RichText::new(n.mark).strong().color(n.color));
                            ui.add(egui::Label::new(&n.text).wrap());
                        });
                    });
                }
            });
        self.shown = Some(shown.response.rect);
        ctx.request_repaint_after(Duration::from_millis(200));
    }
}
