//! Acting on a verdict: a refusal's hint opens *Add role assignment* filled in, the assignment is
//! made through ARM and the verdict checked again; the role-assignments tab adds and deletes.

use eframe::egui;
use egui_kittest::kittest::{NodeT as _, Queryable as _};

use super::rig::*;

#[test]
fn a_refusal_assigns_the_role_it_names_and_the_check_turns_to_allowed_then_back() {
    let mut rig = first_start();
    rig.wait_label("rg-relay");
    rig.browse_to_orders();
    rig.click("Access");
    rig.type_into("Principal", "Dave Diaz");
    rig.harness.get_by_value("send").click();
    rig.harness.step();
    rig.click("listen");
    rig.click("Check");
    rig.wait_label("NOT ALLOWED");
    // The hint's button opens the dialog with the least privileged role at the narrowest scope.
    rig.click("Assign Azure Relay Listener…");
    rig.wait_label("Add role assignment");
    assert!(rig.harness.query_by_value("Azure Relay Listener").is_some());
    assert!(
        rig.harness
            .query_by_value("hybrid connection orders")
            .is_some()
    );
    rig.click("Assign");
    rig.wait_label("ALLOWED");
    rig.wait_label_contains("Assign Azure Relay Listener to");
    // The activity copies the Azure CLI command that does the same.
    if rig.harness.query_by_label("> Activity").is_some() {
        rig.click("> Activity");
    }
    rig.harness
        .query_all_by_label_contains("Copy command of Assign Azure Relay Listener")
        .next()
        .expect("the activity has a command")
        .click();
    rig.harness.step();
    let command = rig.copied();
    assert!(
        command.starts_with("az role assignment create --assignee-object-id ")
            && command.contains("--role 'Azure Relay Listener'")
            && command
                .to_lowercase()
                .ends_with("/hybridconnections/orders'"),
        "{command}"
    );
    // The role-assignments tab lists it; deleting it (confirmed) takes the access away again.
    rig.click("Role assignments");
    let delete = "Delete the role assignment Azure Relay Listener of Dave Diaz at";
    rig.wait_label_contains(delete);
    rig.harness
        .query_all_by_label_contains(delete)
        .next()
        .unwrap()
        .click();
    rig.harness.step();
    rig.click("Delete the assignment");
    rig.wait_for("the assignment to go", |h| {
        h.query_all_by_label_contains(delete).next().is_none()
    });
    rig.click("Access");
    rig.wait_label("NOT ALLOWED");
}

#[test]
fn the_role_assignments_tab_adds_an_assignment_for_a_principal_by_name() {
    let mut rig = first_start();
    rig.wait_label("rg-relay");
    rig.browse_to_orders();
    rig.click("Role assignments");
    rig.click("+ Add role assignment");
    rig.wait_label("Add role assignment");
    rig.type_into("Principal", "Erin Evans");
    rig.harness
        .get_by_role_and_label(egui::accesskit::Role::ComboBox, "Role")
        .click();
    rig.harness.step();
    rig.harness.step();
    rig.harness
        .get_all_by_label("Azure Relay Sender")
        .find(|n| n.accesskit_node().role() != egui::accesskit::Role::Label)
        .expect("the role in the list")
        .click();
    rig.harness.step();
    rig.click("Assign");
    rig.wait_label_contains(
        "Delete the role assignment Azure Relay Sender of Erin Evans at orders",
    );
}
