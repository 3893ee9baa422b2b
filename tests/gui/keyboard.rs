//! The keyboard: Tab visits what a user can reach in the order the window reads — the top bar,
//! then the explorer, then the details, then the activity log; within a region from the top
//! down, and on a line from left to right.

use eframe::egui;
use egui_kittest::kittest::{NodeT as _, Queryable as _};

use super::rig::*;

/// Where a widget is: 0 top bar, 1 explorer, 2 details, 3 activity log.
fn region(r: egui::Rect, top_bottom: f32, central_left: f32, activity_top: f32) -> usize {
    let c = r.center();
    if c.y < top_bottom {
        0
    } else if c.y > activity_top {
        3
    } else if c.x < central_left {
        1
    } else {
        2
    }
}

fn rect_of(rig: &Rig, label: &str) -> egui::Rect {
    let node = rig.harness.get_by_label(label);
    let raw = node.accesskit_node().locate().0.0;
    // SAFETY: not a memory-safety matter: an AccessKit node id is its egui id's value.
    let id = unsafe { egui::Id::from_high_entropy_bits(raw) };
    rig.harness.ctx.read_response(id).expect("drawn").rect
}

#[test]
fn tab_moves_through_the_window_in_the_order_it_reads() {
    let mut rig = first_start();
    rig.wait_label("rg-relay");
    rig.browse_to_orders();
    for _ in 0..6 {
        rig.harness.step();
    }
    let top_bottom = rect_of(&rig, "Search").max.y + 6.0;
    let central_left = rect_of(&rig, "Overview").min.x - 6.0;
    let activity_top = rig
        .harness
        .query_all_by_label_contains("Activity")
        .find(|n| n.accesskit_node().role() == egui::accesskit::Role::Button)
        .map(|n| {
            let raw = n.accesskit_node().locate().0.0;
            let id = unsafe { egui::Id::from_high_entropy_bits(raw) };
            rig.harness.ctx.read_response(id).unwrap().rect.min.y - 6.0
        })
        .expect("the activity log's header");
    let ctx = rig.harness.ctx.clone();
    let mut visited: Vec<(egui::Id, egui::Rect, String)> = Vec::new();
    for _ in 0..150 {
        rig.harness.key_press(egui::Key::Tab);
        rig.harness.step();
        let Some(id) = ctx.memory(|m| m.focused()) else {
            continue;
        };
        if visited.first().is_some_and(|(first, ..)| *first == id) {
            break; // round once
        }
        if visited.last().is_some_and(|(last, ..)| *last == id) {
            continue;
        }
        let Some(r) = ctx.read_response(id) else {
            continue;
        };
        let Some(node) = rig
            .harness
            .query_all_by(|n| n.locate().0.0 == id.value())
            .next()
        else {
            continue;
        };
        let node = node.accesskit_node();
        // A panel's resize handle sits on the border between two regions.
        if node.role() == egui::accesskit::Role::Splitter {
            continue;
        }
        let name = node.label().or(node.value()).unwrap_or_default();
        visited.push((id, r.rect, name));
    }
    assert!(visited.len() > 10, "Tab reached {} widgets", visited.len());
    let mut wrong = Vec::new();
    for pair in visited.windows(2) {
        let ((_, a, an), (_, b, bn)) = (&pair[0], &pair[1]);
        let (ra, rb) = (
            region(*a, top_bottom, central_left, activity_top),
            region(*b, top_bottom, central_left, activity_top),
        );
        let same_line = a.max.y > b.center().y && b.max.y > a.center().y;
        let fine = if ra != rb {
            rb > ra
        } else if same_line {
            b.min.x > a.min.x
        } else {
            b.min.y > a.min.y
        };
        if !fine {
            wrong.push(format!(
                "'{an}' ({ra}: {:.0},{:.0}) then '{bn}' ({rb}: {:.0},{:.0})",
                a.min.x, a.min.y, b.min.x, b.min.y
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "Tab goes against the reading order (0 top bar, 1 explorer, 2 details, 3 activity):\n{}",
        wrong.join("\n")
    );
}
