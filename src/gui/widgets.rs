//! Small widgets every view uses: copy buttons, masked secrets, error text, section headings.

use eframe::egui::{self, RichText};

/// A small "copy" button; its hover text names what it copies (and gives it an accessible name).
pub fn copy_button(ui: &mut egui::Ui, text: &str, what: &str) -> egui::Response {
    let label = format!("Copy {what}");
    let r = ui.small_button("copy").on_hover_text(&label);
    r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &label));
    if r.clicked() {
        ui.ctx().copy_text(text.to_string());
    }
    r
}

/// A small button drawn with a short mark, named for screen readers and tooltips.
pub fn icon_button(ui: &mut egui::Ui, mark: &str, name: &str) -> egui::Response {
    let r = ui.small_button(mark).on_hover_text(name);
    r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, name));
    r
}

/// A secret as dots until revealed (its length shown, never its value).
pub fn masked(secret: &str, reveal: bool) -> String {
    if reveal {
        secret.to_string()
    } else {
        "•".repeat(secret.chars().count().clamp(8, 24))
    }
}

/// A small round status dot (filled: something is live), painted so it needs no font glyph.
pub fn dot(ui: &mut egui::Ui, color: egui::Color32, filled: bool) -> egui::Response {
    let (rect, r) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
    let c = rect.center();
    if filled {
        ui.painter().circle_filled(c, 4.5, color);
    } else {
        ui.painter()
            .circle_stroke(c, 4.0, egui::Stroke::new(1.5, color));
    }
    r
}

/// Text from the library (made for terminals) with the few symbols the UI font lacks spelled out.
pub fn plain(text: &str) -> String {
    text.replace('✓', "yes:")
        .replace('✗', "no:")
        .replace('·', "-")
        .replace(" ⊂ ", " in ")
        .replace('→', "->")
}

pub fn error_text(ui: &mut egui::Ui, text: &str) {
    ui.add(egui::Label::new(RichText::new(text).color(ui.visuals().error_fg_color)).wrap());
}

/// A failure: what went wrong, and below it the hint of what to do, when there is one.
pub fn report_ui(ui: &mut egui::Ui, report: &crate::report::Report) {
    error_text(ui, &report.message);
    if let Some(h) = &report.hint {
        ui.add(egui::Label::new(RichText::new(h.to_string()).italics()).wrap());
    }
}

/// Rows of a name and a value that fit any width: the row's buttons sit at the right edge, where
/// no value pushes them away; the value takes one line of what is left, cut with an ellipsis and
/// whole on hover; every other row is shaded.
pub struct ValueRows {
    name_width: f32,
    n: usize,
}

impl ValueRows {
    pub fn new(ui: &egui::Ui) -> Self {
        Self {
            name_width: (ui.available_width() * 0.3).clamp(110.0, 210.0),
            n: 0,
        }
    }

    /// A row: `name`, `value` as shown (a masked secret stays masked on hover too), and after
    /// it the `buttons` (left to right, at the right edge).
    pub fn row(
        &mut self,
        ui: &mut egui::Ui,
        name: &str,
        value: impl Into<RichText>,
        buttons: impl FnOnce(&mut egui::Ui),
    ) -> egui::Response {
        let value: RichText = value.into();
        let stripe = ui.painter().add(egui::Shape::Noop);
        let shade = self.n % 2 == 1;
        self.n += 1;
        let row = ui.horizontal(|ui| {
            let h = ui.spacing().interact_size.y;
            ui.allocate_ui_with_layout(
                egui::vec2(self.name_width, h),
                egui::Layout::left_to_right(egui::Align::Center),
                |ui| {
                    ui.set_min_width(self.name_width);
                    ui.add(egui::Label::new(name).truncate());
                },
            );
            let mut shown = None;
            at_right_end(
                ui,
                name,
                |ui, room| {
                    ui.allocate_ui_with_layout(
                        egui::vec2(room, h),
                        egui::Layout::left_to_right(egui::Align::Center),
                        |ui| {
                            ui.set_min_width(room);
                            shown = Some(ui.add(egui::Label::new(value).truncate()));
                        },
                    );
                },
                buttons,
            );
            shown.expect("the value is drawn")
        });
        if shade {
            let rect = row.response.rect.expand2(egui::vec2(2.0, 1.0));
            ui.painter().set(
                stripe,
                egui::Shape::rect_filled(rect, 2.0, ui.visuals().faint_bg_color),
            );
        }
        row.inner
    }
}

/// The widgets `right` at the right end of a horizontal line, made left to right — so Tab visits
/// them in the order they read (a right-to-left layout makes them, and Tab visits them,
/// backwards) — after `left`, which is given the width left for it. Their width is the one they
/// took on the last frame (a change redraws the frame before it is shown). In a wrapping line
/// they go to the next line when they do not fit.
pub fn at_right_end<R>(
    ui: &mut egui::Ui,
    id_salt: impl std::hash::Hash + std::fmt::Debug,
    left: impl FnOnce(&mut egui::Ui, f32),
    right: impl FnOnce(&mut egui::Ui) -> R,
) -> R {
    let id = ui.scope_id().with(("right-end", id_salt));
    let last: f32 = ui.data(|d| d.get_temp(id)).unwrap_or(0.0);
    let gap = ui.spacing().item_spacing.x;
    // In a wrapping line, what does not fit goes to the next line, at its right end.
    if ui.layout().main_wrap && ui.available_width() < last + gap {
        ui.end_row();
    }
    let room = (ui.available_width() - last - gap).max(0.0);
    let start = ui.cursor().min.x;
    left(ui, room);
    let used = ui.cursor().min.x - start;
    if used < room {
        ui.add_space(room - used);
    }
    let r = ui.horizontal(right);
    let w = r.response.rect.width();
    if (w - last).abs() > 0.5 {
        ui.data_mut(|d| d.insert_temp(id, w));
        ui.ctx()
            .request_discard("a line's right end changed its width");
    }
    r.inner
}

/// Lays out `add` in exactly `width` (a dropdown whose label changes, cut to fit with
/// `.truncate()`): what follows it stays put.
pub fn fixed_width<R>(ui: &mut egui::Ui, width: f32, add: impl FnOnce(&mut egui::Ui) -> R) -> R {
    let h = ui.spacing().interact_size.y;
    ui.allocate_ui_with_layout(
        egui::vec2(width, h),
        egui::Layout::left_to_right(egui::Align::Center),
        |ui| {
            ui.set_min_width(width);
            ui.set_max_width(width);
            add(ui)
        },
    )
    .inner
}

pub fn section(ui: &mut egui::Ui, title: &str) {
    ui.label(RichText::new(title).strong().size(15.0));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_secrets_show_no_character_of_the_key() {
        let key = "s3cr3tKeyValue+/=";
        let m = masked(key, false);
        assert!(!key.chars().any(|c| m.contains(c)));
        assert_eq!(masked(key, true), key);
    }
}

/// The most a user may type (or paste) into a kind of field, in characters: enough for any real
/// value, small enough that a stray 1 MB paste never reaches a parser, an error message or a
/// repaint. Larger content goes through a file picker ("Send a file…").
pub mod limits {
    /// Names of entities, rules and requests (Azure's longest, a hybrid connection's, is 260).
    pub const NAME: usize = 260;
    /// A connection string, a client secret, an id or URL, a path.
    pub const SECRET: usize = 4096;
    /// A search or filter.
    pub const SEARCH: usize = 256;
    /// `userMetadata` (Azure keeps at most 1,024 characters).
    pub const METADATA: usize = 1024;
    /// A status code.
    pub const STATUS: usize = 3;
    /// A message or a body: what goes on the control channel inline (64 KiB).
    pub const BODY: usize = 64 * 1024;
    /// Request headers (the relay's header metadata limit, 32 kB).
    pub const HEADERS: usize = 32 * 1024;
}

/// After a field limited to `limit` characters: says so once the text has reached it (a paste
/// beyond it was cut at the limit).
pub fn limit_notice(ui: &mut egui::Ui, text: &str, limit: usize) {
    if text.chars().count() >= limit {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            format!("cut at {limit} characters, the most this field takes"),
        );
    }
}
