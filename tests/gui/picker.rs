//! Principals as people know them: *Check a principal* and *Add role assignment* suggest the
//! tenant's principals as one types (a Graph search once the typing rests), each with its kind
//! and object id; a pick checks it, or fills the dialog with its object id.

use eframe::egui;
use egui_kittest::kittest::{NodeT as _, Queryable as _};

use super::rig::*;

#[test]
fn check_a_principal_suggests_principals_as_one_types_and_a_pick_checks_it() {
    let mut rig = first_start();
    rig.wait_label("rg-relay");
    rig.browse_to_orders();
    rig.click("Access");
    let carol = rig.principal("Carol Chen");
    rig.type_into("Principal", "car");
    // Her kind and object id are in the list; so is a user found by the start of a UPN.
    rig.wait_label_contains("Carol Chen  ·  user  ·  carol@northwind.example");
    assert!(
        rig.harness
            .query_all_by_label_contains(&carol.object_id)
            .next()
            .is_some(),
        "the suggestion shows the object id"
    );
    rig.harness
        .query_all_by_label_contains("Carol Chen  ·  user")
        .next()
        .unwrap()
        .click();
    rig.harness.step();
    rig.wait_label_contains(&format!("Carol Chen ({}) · data action", carol.object_id));
    assert_eq!(
        rig.harness
            .get_by_role_and_label(egui::accesskit::Role::TextInput, "Principal")
            .value()
            .as_deref(),
        Some(carol.object_id.as_str()),
        "a pick checks the principal by its object id"
    );
    // The list closed with the pick.
    assert!(
        rig.harness
            .query_all_by_label_contains("Carol Chen  ·  user")
            .next()
            .is_none()
    );
}

#[test]
fn a_search_that_finds_nothing_says_so_and_escape_closes_the_list() {
    let mut rig = first_start();
    rig.wait_label("rg-relay");
    rig.browse_to_orders();
    rig.click("Access");
    rig.type_into("Principal", "zz-nobody");
    rig.wait_label_contains("No user, group or service principal starts with this");
    rig.harness.key_press(egui::Key::Escape);
    rig.harness.step();
    rig.harness.step();
    assert!(
        rig.harness
            .query_all_by_label_contains("No user, group or service principal starts with")
            .next()
            .is_none(),
        "Escape closes the list"
    );
}

#[test]
fn add_role_assignment_suggests_principals_and_a_pick_fills_in_the_object_id() {
    let mut rig = first_start();
    rig.wait_label("rg-relay");
    rig.browse_to_orders();
    rig.click("Role assignments");
    rig.click("+ Add role assignment");
    rig.wait_label("Add role assignment");
    let app = rig.principal("orders-backend");
    rig.type_into("Principal", "orders-b");
    rig.wait_label_contains("orders-backend  ·  app");
    rig.harness
        .query_all_by_label_contains("orders-backend  ·  app")
        .next()
        .unwrap()
        .click();
    rig.harness.step();
    rig.harness.step();
    assert_eq!(
        rig.harness
            .get_by_role_and_label(egui::accesskit::Role::TextInput, "Principal")
            .value()
            .as_deref(),
        Some(app.object_id.as_str())
    );
    // The dialog is still open: the pick went to the field, not to the dialog's buttons.
    assert!(rig.harness.query_by_label("Assign").is_some());
}

#[test]
fn view_as_marks_what_a_principal_may_listen_and_send_to_in_the_tree() {
    let mut rig = first_start();
    rig.wait_label("rg-relay");
    rig.browse_to_orders();
    // The explorer's right edge: its resize handle (the one upright splitter).
    let tree_right = |rig: &Rig| {
        rig.harness
            .query_all_by_role(egui::accesskit::Role::Splitter)
            .map(|n| n.rect())
            .find(|r| r.height() > r.width())
            .expect("the explorer's resize handle")
            .min
            .x
    };
    let before = tree_right(&rig);
    rig.click("View as…");
    rig.type_into("View as", "carol");
    rig.wait_label_contains("Carol Chen  ·  user");
    rig.harness
        .query_all_by_label_contains("Carol Chen  ·  user")
        .next()
        .unwrap()
        .click();
    rig.harness.step();
    rig.wait_label_contains("Viewing as Carol Chen");
    for _ in 0..30 {
        rig.harness.step();
    }
    assert_eq!(
        before,
        tree_right(&rig),
        "the explorer keeps its width with View as open"
    );
    // Every entity of the namespace shown is marked, both ways; she may send to orders.
    rig.wait_label("Carol Chen may send on orders");
    let marks: Vec<String> = rig
        .harness
        .query_all_by_label_contains("Carol Chen may")
        .filter_map(|n| n.accesskit_node().label().or(n.accesskit_node().value()))
        .collect();
    assert!(marks.len() >= 4, "{marks:?}");
    assert_eq!(marks.len() % 2, 0, "an L and an S per entity: {marks:?}");
    // As the demo world has it (tests/access.rs proves the marks agree with a check of each).
    for said in [
        "Carol Chen may not send on inventory",
        "Carol Chen may send on public-feed",
    ] {
        assert!(marks.iter().any(|m| m == said), "{said}: {marks:?}");
    }
    // Closing it takes the marks away.
    rig.click("Stop viewing as a principal");
    rig.wait_for("the marks to go", |h| {
        h.query_all_by_label_contains("Carol Chen may")
            .next()
            .is_none()
    });
}
