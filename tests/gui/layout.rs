//! Layouts that fit: the main views at 1280×800 and at the smallest window (800×500), checked
//! through AccessKit and egui's own widget rectangles: every interactive element a user can see
//! is whole (not cut by its panel or pushed out of the window) and lies over no other one.

use eframe::egui;
use eframe::egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use relay_explorer::gui::App;

use super::rig::*;

/// An interactive element as the window shows it.
struct Seen {
    what: String,
    text: String,
    /// The whole widget.
    rect: egui::Rect,
    /// What of it is visible (clipped by its panel or scroll area).
    visible: egui::Rect,
}

/// The elements of the last frame that a user could reach (not under a modal): the interactive
/// ones, and with `labels` the text too.
fn elements(h: &Harness<'static, App>, labels: bool) -> Vec<Seen> {
    let ctx = &h.ctx;
    let mut out = Vec::new();
    let wanted = move |role| egui::accessibility::is_input(role) || (labels && role == Role::Label);
    for node in h.query_all_by(move |n| wanted(n.role())) {
        let ak = node.accesskit_node();
        let raw = ak.locate().0.0;
        if raw == 0 {
            continue;
        }
        // SAFETY: not a memory-safety matter (egui's doc says so); an AccessKit node id is the
        // value of the egui id that made it (`Id::accesskit_id`).
        let id = unsafe { egui::Id::from_high_entropy_bits(raw) };
        let Some(r) = ctx.read_response(id) else {
            continue;
        };
        if r.rect.width() < 1.0 {
            continue; // an empty cell
        }
        if !ctx.memory(|m| m.allows_interaction(r.layer_id)) {
            continue;
        }
        let to_global = ctx.layer_transform_to_global(r.layer_id);
        let g = |rect: egui::Rect| to_global.map_or(rect, |t| t * rect);
        let text = ak.label().or_else(|| ak.value()).unwrap_or_default();
        out.push(Seen {
            what: format!(
                "{:?} '{}'",
                ak.role(),
                text.chars().take(60).collect::<String>()
            ),
            text,
            rect: g(r.rect),
            visible: g(r.interact_rect),
        });
    }
    out
}

/// What is wrong with the layout of the last frame, in words.
fn problems(h: &Harness<'static, App>, view: &str) -> Vec<String> {
    let screen = h.ctx.content_rect();
    let mut found = Vec::new();
    const SLACK: f32 = 1.0;
    for s in &elements(h, true) {
        // An id, a URL or a key (one long word) broken over lines is one squeezed to a sliver.
        let word = !s.text.contains(char::is_whitespace) && s.text.chars().count() > 12;
        if word && s.rect.height() > 26.0 {
            found.push(format!(
                "{view}: {} is squeezed onto {:.0} px of width and {:.0} px of height",
                s.what,
                s.rect.width(),
                s.rect.height()
            ));
        }
        let shown = s.visible.is_positive();
        let in_rows = s.rect.min.y >= screen.min.y - SLACK && s.rect.max.y <= screen.max.y + SLACK;
        if shown {
            // Cut sideways: part of it hidden by its panel or the window's edge. (Cut at the top
            // or bottom is a row half scrolled into view, which a scroll bar reaches.)
            if s.rect.min.x < s.visible.min.x - SLACK || s.rect.max.x > s.visible.max.x + SLACK {
                found.push(format!(
                    "{view}: {} is cut: {:.0}..{:.0} of {:.0}..{:.0} shows",
                    s.what, s.visible.min.x, s.visible.max.x, s.rect.min.x, s.rect.max.x
                ));
            }
        } else if in_rows && (s.rect.max.x > screen.max.x || s.rect.min.x < screen.min.x) {
            found.push(format!(
                "{view}: {} is pushed out of the window (x {:.0}..{:.0}, window {:.0})",
                s.what, s.rect.min.x, s.rect.max.x, screen.max.x
            ));
        }
    }
    // A button drawn over text hides it (and the text hides the button's edge).
    let all = elements(h, true);
    let (texts, inputs): (Vec<&Seen>, Vec<&Seen>) = all
        .iter()
        .filter(|s| s.visible.is_positive() && !s.what.starts_with("Splitter"))
        .partition(|s| s.what.starts_with("Label"));
    for t in &texts {
        for i in &inputs {
            let both = t.visible.intersect(i.visible);
            if both.is_positive() && both.area() > 4.0 && !i.visible.contains_rect(t.visible) {
                found.push(format!(
                    "{view}: {} lies over {} ({:.0}×{:.0} px)",
                    i.what,
                    t.what,
                    both.width(),
                    both.height()
                ));
            }
        }
    }
    // Two panels' resize handles meet at a corner: not something a user clicks by mistake.
    let seen = elements(h, false);
    let shown: Vec<&Seen> = seen
        .iter()
        .filter(|s| s.visible.is_positive() && !s.what.starts_with("Splitter"))
        .collect();
    for (i, a) in shown.iter().enumerate() {
        for b in &shown[i + 1..] {
            let both = a.visible.intersect(b.visible);
            let nested = a.visible.contains_rect(b.visible) || b.visible.contains_rect(a.visible);
            if both.is_positive() && both.area() > 4.0 && !nested {
                found.push(format!(
                    "{view}: {} overlaps {} ({:.0}×{:.0} px)",
                    a.what,
                    b.what,
                    both.width(),
                    both.height()
                ));
            }
        }
    }
    found
}

/// Steps a few frames (layouts settle over two) and records the view's problems.
fn look(rig: &mut Rig, view: &str, all: &mut Vec<String>) {
    for _ in 0..6 {
        rig.harness.step();
    }
    all.extend(problems(&rig.harness, view));
}

/// Selects the tree node `label` (as a click on it in the tree does).
fn select(rig: &mut Rig, label: &str) {
    assert!(
        rig.harness.state_mut().select_by_label(label),
        "no node {label}"
    );
    for _ in 0..4 {
        rig.harness.step();
    }
}

/// The main views, one after the other, at one window size.
fn walk(size: [f32; 2]) -> Vec<String> {
    let mut rig = first_start();
    rig.harness.set_size(egui::vec2(size[0], size[1]));
    let at = |v: &str| format!("{}×{} {v}", size[0], size[1]);
    let mut all = Vec::new();
    rig.wait_label("rg-relay");
    look(&mut rig, &at("first start"), &mut all);
    rig.browse_to_orders();
    look(&mut rig, &at("hybrid connection overview"), &mut all);
    rig.click("SAS rules");
    rig.click("Show keys of sender");
    rig.click("Reveal keys of sender");
    rig.wait_label_contains("SharedAccessKeyName=sender");
    look(&mut rig, &at("SAS rules with a key shown"), &mut all);
    rig.click("Role assignments");
    rig.wait_label_contains("Azure Relay");
    look(&mut rig, &at("role assignments"), &mut all);
    rig.click("+ Add role assignment");
    rig.wait_label("Add role assignment");
    look(&mut rig, &at("add role assignment"), &mut all);
    rig.harness.key_press(egui::Key::Escape);
    rig.click("Access");
    rig.wait_label("orders-backend");
    look(&mut rig, &at("access"), &mut all);
    select(&mut rig, "northwind-relay");
    look(&mut rig, &at("namespace overview"), &mut all);
    select(&mut rig, "rg-relay");
    look(&mut rig, &at("resource group overview"), &mut all);
    select(&mut rig, "Northwind Dev");
    look(&mut rig, &at("subscription overview"), &mut all);
    rig.click("Identities");
    rig.wait_label("vm-orders-worker (system-assigned)");
    look(&mut rig, &at("identities"), &mut all);
    rig.click("+ Add account");
    look(&mut rig, &at("add account"), &mut all);
    rig.harness.key_press(egui::Key::Escape);
    look(&mut rig, &at("after the dialog"), &mut all);
    all
}

/// The consoles, live, with traffic and a message picked, at one window size.
fn walk_consoles(size: [f32; 2]) -> Vec<String> {
    let mut rig = first_start();
    rig.harness.set_size(egui::vec2(size[0], size[1]));
    let at = |v: &str| format!("{}×{} {v}", size[0], size[1]);
    let mut all = Vec::new();
    rig.listen_on_orders("Echo", true);
    look(&mut rig, &at("listen console"), &mut all);
    rig.open_send();
    rig.click("Connect");
    rig.wait_label("online");
    rig.click("Send text");
    rig.wait_label_contains("<- text");
    look(&mut rig, &at("send console"), &mut all);
    rig.harness
        .get_all_by_label_contains("<- text")
        .next()
        .unwrap()
        .click();
    look(&mut rig, &at("send console, a message picked"), &mut all);
    rig.click("HTTP");
    look(&mut rig, &at("send console, HTTP"), &mut all);
    rig.click("Listen orders (live)");
    look(&mut rig, &at("listen console with traffic"), &mut all);
    all
}

#[test]
fn the_main_views_fit_a_1280_by_800_window() {
    let mut found = walk([1280.0, 800.0]);
    found.extend(walk_consoles([1280.0, 800.0]));
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_main_views_fit_the_smallest_window() {
    let mut found = walk([800.0, 500.0]);
    found.extend(walk_consoles([800.0, 500.0]));
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn toasts_cover_neither_the_top_bar_nor_anything_to_click_nor_a_dialog() {
    for size in [[1280.0, 800.0], [800.0, 500.0]] {
        let mut rig = first_start();
        rig.harness.set_size(egui::vec2(size[0], size[1]));
        rig.start_a_refused_listener();
        rig.wait_for("a toast", |h| h.state().toast_rect().is_some());
        for _ in 0..4 {
            rig.harness.step();
        }
        let toast = rig.harness.state().toast_rect().expect("a toast");
        for s in elements(&rig.harness, false) {
            assert!(
                !s.visible.intersects(toast),
                "at {size:?} the toast {toast:?} covers {} at {:?}",
                s.what,
                s.visible
            );
        }
        // A dialog holds toasts back (their time stops), and they come back when it closes.
        rig.click("+ Add account");
        rig.wait_label("Add account");
        assert_eq!(rig.harness.state().toast_rect(), None, "at {size:?}");
        rig.harness.key_press(egui::Key::Escape);
        rig.wait_for("the toast again", |h| h.state().toast_rect().is_some());
    }
}

#[test]
fn buttons_stay_put_when_a_dropdown_changes_its_label() {
    let mut rig = first_start();
    rig.wait_label("rg-relay");
    rig.browse_to_orders();
    rig.click("Listen");
    rig.wait_for("an identity to be picked", |h| {
        h.query_by_value("SAS rule listen-only").is_some()
    });
    let before = rig.harness.get_by_label("Start").rect();
    rig.harness.get_by_value("SAS rule listen-only").click();
    rig.harness.step();
    rig.click("SAS rule RootManageSharedAccessKey (Listen, Manage, Send)");
    rig.wait_for("the other identity", |h| {
        h.query_by_value("SAS rule RootManageSharedAccessKey")
            .is_some()
    });
    for _ in 0..4 {
        rig.harness.step();
    }
    let after = rig.harness.get_by_label("Start").rect();
    assert_eq!(
        before.min, after.min,
        "Start moved when the identity changed"
    );
}

#[test]
fn the_explorer_keeps_its_width_across_window_resizes() {
    let mut rig = first_start();
    rig.wait_label("rg-relay");
    rig.browse_to_orders();
    let tree_right = |rig: &mut Rig| {
        for _ in 0..6 {
            rig.harness.step();
        }
        rig.harness
            .query_all_by_role(Role::Splitter)
            .map(|n| n.rect())
            .find(|r| r.height() > r.width())
            .expect("the explorer's resize handle")
            .min
            .x
    };
    let wide = tree_right(&mut rig);
    for size in [[800.0, 500.0], [1280.0, 800.0], [1024.0, 700.0]] {
        rig.harness.set_size(egui::vec2(size[0], size[1]));
        assert_eq!(tree_right(&mut rig), wide, "at {size:?}");
    }
}
