//! The Entities tab of a namespace: create, list (a virtual table) and delete its entities.

use eframe::egui::{self};

use super::super::command::Command;
use super::super::dialogs::Confirm;
use super::super::widgets::error_text;
use super::{Cx, DetailsPanel, NewEntity, valid_entity_name};

impl DetailsPanel {
    pub(crate) fn entities_ui(&mut self, cx: &mut Cx<'_>, ui: &mut egui::Ui, key: &str) {
        let children: Vec<String> = cx
            .tree
            .get(key)
            .map(|n| n.children.clone())
            .unwrap_or_default();
        ui.horizontal(|ui| {
            if ui.button("+ Hybrid connection").clicked() {
                self.new_entity = Some(NewEntity {
                    requires_client_authorization: true,
                    ..Default::default()
                });
            }
            if ui.button("+ WCF relay").clicked() {
                self.new_entity = Some(NewEntity {
                    wcf: true,
                    requires_client_authorization: true,
                    ..Default::default()
                });
            }
        });
        self.new_entity_ui(cx, ui, key);
        ui.add_space(6.0);
        if children.is_empty() {
            ui.weak("No hybrid connections or WCF relays yet.");
            return;
        }
        // A virtual table: a namespace may hold thousands of entities.
        use egui_extras::{Column as C, TableBuilder};
        let (tree, actions) = (&cx.tree, &mut *cx.commands);
        TableBuilder::new(ui)
            .id_salt("entities")
            .striped(true)
            .max_scroll_height(420.0)
            .column(C::initial(240.0).at_least(80.0))
            .column(C::initial(140.0))
            .column(C::initial(80.0))
            .column(C::remainder())
            .header(20.0, |mut h| {
                for title in ["Name", "Kind", "Listeners", ""] {
                    h.col(|ui| {
                        ui.strong(title);
                    });
                }
            })
            .body(|body| {
                body.rows(22.0, children.len(), |mut row| {
                    let Some(c) = tree.get(&children[row.index()]) else {
                        return;
                    };
                    row.col(|ui| {
                        if ui.link(&c.label).clicked() {
                            actions.push(Command::Select(c.key.clone()));
                        }
                    });
                    row.col(|ui| {
                        ui.label(c.kind.noun());
                    });
                    row.col(|ui| {
                        ui.label(
                            c.arm
                                .as_ref()
                                .and_then(|n| n.listener_count)
                                .map(|n| n.to_string())
                                .unwrap_or_default(),
                        );
                    });
                    row.col(|ui| {
                        if let Some(id) = c.arm.as_ref().map(|n| n.id.as_str())
                            && ui
                                .small_button("Delete")
                                .on_hover_text(format!("Delete {}", c.label))
                                .clicked()
                        {
                            actions.push(Command::Confirm(Confirm::delete(id, key)));
                        }
                    });
                });
            });
    }

    /// The form of a new hybrid connection or WCF relay.
    fn new_entity_ui(&mut self, cx: &mut Cx<'_>, ui: &mut egui::Ui, key: &str) {
        if let Some(mut form) = self.new_entity.take() {
            let mut keep = true;
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.strong(if form.wcf {
                    "New WCF relay"
                } else {
                    "New hybrid connection"
                });
                ui.horizontal(|ui| {
                    let l = ui.label("Name");
                    ui.add(
                        egui::TextEdit::singleline(&mut form.name)
                            .char_limit(crate::gui::widgets::limits::NAME),
                    )
                    .labelled_by(l.id);
                });
                ui.checkbox(
                    &mut form.requires_client_authorization,
                    "Requires client authorization (cannot be changed later)",
                );
                if !form.wcf {
                    ui.horizontal(|ui| {
                        let l = ui.label("User metadata");
                        ui.add(
                            egui::TextEdit::singleline(&mut form.user_metadata)
                                .char_limit(crate::gui::widgets::limits::METADATA),
                        )
                        .labelled_by(l.id);
                    });
                }
                let valid = valid_entity_name(&form.name);
                if let Err(why) = &valid
                    && !form.name.is_empty()
                {
                    error_text(ui, why);
                }
                ui.horizontal(|ui| {
                    if ui
                        .add_enabled(valid.is_ok(), egui::Button::new("Create"))
                        .clicked()
                        && let Some((arm, ns)) = cx.arm_of(key)
                    {
                        let f = form.clone();
                        let label = format!("Create {}", f.name);
                        self.change(
                            cx,
                            key,
                            label,
                            Some(format!(
                                "az relay hyco create -g RG --namespace-name {} -n {}",
                                ns.rsplit('/').next().unwrap_or_default(),
                                f.name
                            )),
                            format!("Created {}", f.name),
                            async move {
                                if f.wcf {
                                    arm.put_wcf_relay(
                                        &ns,
                                        &f.name,
                                        "NetTcp",
                                        f.requires_client_authorization,
                                    )
                                    .await
                                    .map(|_| ())
                                } else {
                                    let meta = (!f.user_metadata.is_empty())
                                        .then_some(f.user_metadata.as_str());
                                    arm.put_hybrid_connection(
                                        &ns,
                                        &f.name,
                                        f.requires_client_authorization,
                                        meta,
                                    )
                                    .await
                                    .map(|_| ())
                                }
                            },
                        );
                        keep = false;
                    }
                    if ui.button("Cancel").clicked() {
                        keep = false;
                    }
                });
            });
            if keep {
                self.new_entity = Some(form);
            }
        }
    }
}
