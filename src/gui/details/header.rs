//! The details pane's frame: the selected node's header (name, kind, live badges, actions),
//! its tabs, and the empty state.

use eframe::egui::{self, Color32, RichText};

use super::super::command::Command;
use super::super::dialogs::Confirm;
use super::super::tree::{self, Kind};
use super::super::widgets::dot;
use super::{Cx, DetailsPanel, Tab};

impl DetailsPanel {
    pub fn details_ui(&mut self, cx: &mut Cx<'_>, ui: &mut egui::Ui) {
        let Some(key) = cx.tree.selected.clone() else {
            self.empty_state_ui(cx, ui);
            return;
        };
        // Everything but the children (a namespace may have thousands), once a frame.
        let Some(node) = cx.tree.get(&key).map(tree::TreeNode::shallow) else {
            self.empty_state_ui(cx, ui);
            return;
        };
        let attached = key.starts_with("cs:");
        // Header: name, kind, live badges; under it the actions, as the portal's command bar
        // (never pushed off by a long name, and Tab reaches them in the order they read).
        ui.horizontal_wrapped(|ui| {
            ui.heading(&node.label);
            ui.weak(format!("({})", node.kind.noun()));
            if let Some(n) = &node.arm {
                if let Some(c) = n.listener_count {
                    let color = if c > 0 {
                        Color32::from_rgb(60, 170, 90)
                    } else {
                        ui.visuals().weak_text_color()
                    };
                    dot(ui, color, c > 0);
                    ui.label(
                        RichText::new(format!("{c} listener{}", if c == 1 { "" } else { "s" }))
                            .color(color),
                    );
                }
                match n.requires_client_authorization {
                    Some(true) => {
                        ui.label("client authorization required");
                    }
                    Some(false) => {
                        ui.colored_label(
                            Color32::from_rgb(200, 150, 40),
                            "anonymous senders allowed",
                        );
                    }
                    None => {}
                }
            }
        });
        let deletable = node.kind.is_entity() && !attached;
        if node.kind == Kind::HybridConnection || deletable {
            ui.horizontal(|ui| {
                if node.kind == Kind::HybridConnection {
                    if ui
                        .button("Listen")
                        .on_hover_text("Open a Listen console on this hybrid connection")
                        .clicked()
                    {
                        cx.commands.push(Command::OpenConsole {
                            entity: key.clone(),
                            listen: true,
                        });
                    }
                    if ui
                        .button("Send")
                        .on_hover_text("Open a Send console on this hybrid connection")
                        .clicked()
                    {
                        cx.commands.push(Command::OpenConsole {
                            entity: key.clone(),
                            listen: false,
                        });
                    }
                }
                if deletable
                    && let Some(id) = node.arm.as_ref().map(|n| n.id.clone())
                    && ui
                        .button(format!("Delete this {}", node.kind.noun()))
                        .clicked()
                {
                    cx.commands
                        .push(Command::Confirm(Confirm::delete(&id, &key)));
                }
            });
        }
        let tabs = Tab::for_kind(node.kind, attached);
        if !tabs.contains(&self.tab) {
            self.tab = Tab::Overview;
        }
        ui.horizontal(|ui| {
            for t in tabs {
                if ui.selectable_label(self.tab == *t, t.label()).clicked() {
                    self.tab = *t;
                }
            }
        });
        ui.separator();
        egui::ScrollArea::vertical()
            .id_salt("details")
            .auto_shrink([false, false])
            .show(ui, |ui| match self.tab {
                Tab::Overview => self.overview_ui(cx, ui, &key, &node),
                Tab::Entities => self.entities_ui(cx, ui, &key),
                Tab::SasRules => self.rules_ui(cx, ui, &key, &node),
                Tab::RoleAssignments => self.assignments_ui(cx, ui, &key),
                Tab::Access => self.access_ui(cx, ui, &key, &node),
            });
    }

    pub(crate) fn empty_state_ui(&mut self, cx: &mut Cx<'_>, ui: &mut egui::Ui) {
        ui.vertical_centered(|ui| {
            ui.add_space(60.0);
            ui.heading("Nothing selected");
            if cx.accounts.is_empty() {
                ui.label("Add an account to browse Azure Relay, or start from the local emulator's demo.");
                if ui.button("+ Add account").clicked() {
                    cx.commands.push(Command::AddAccount);
                }
            } else {
                ui.label("Pick a namespace or a hybrid connection in the tree on the left.");
            }
        });
    }
}
