//! The SAS rules tab: rules of an entity and its namespace, keys masked until revealed, copy,
//! regenerate, add and delete.

use eframe::egui::{self, RichText};

use super::super::command::Command;
use super::super::dialogs::Confirm;
use super::super::fetch::Fetch;
use super::super::tree::{self, Kind};
use super::super::widgets::{ValueRows, copy_button, masked, report_ui};
use super::{Cx, DetailsPanel, NewRule, valid_entity_name};

impl DetailsPanel {
    pub(crate) fn rules_ui(
        &mut self,
        cx: &mut Cx<'_>,
        ui: &mut egui::Ui,
        key: &str,
        node: &tree::TreeNode,
    ) {
        self.request_rules(cx, key);
        let fetch = self.rules.get(key).cloned();
        if let Some(Fetch::Failed(e, _)) = &fetch {
            report_ui(ui, e);
        }
        if matches!(fetch, Some(Fetch::Pending(None)) | None) {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Loading SAS rules…");
            });
            return;
        }
        let rules = fetch.and_then(|f| f.value().cloned()).unwrap_or_default();
        ui.horizontal_wrapped(|ui| {
            if ui.button("+ Add rule").clicked() {
                self.new_rule = Some(NewRule::default());
            }
            ui.label(
                "A SAS rule's key signs tokens for Listen, Send or Manage (which implies both).",
            );
        });
        self.new_rule_ui(cx, ui, key, node);
        if rules.is_empty() {
            ui.weak("No SAS rules here: only Entra identities can reach it.");
            return;
        }
        let entity_id = node.arm.as_ref().map(|n| n.id.clone()).unwrap_or_default();
        for r in &rules {
            let rk = tree::arm_key(&r.id);
            let at_namespace =
                !crate::access::is_same_or_below(&r.id, &entity_id) || node.kind == Kind::Namespace;
            egui::Frame::group(ui.style()).show(ui, |ui| {
                // The button next to the name: a long list of rights never pushes it away.
                ui.horizontal(|ui| {
                    ui.strong(&r.name);
                    if ui
                        .small_button("Delete")
                        .on_hover_text(format!("Delete rule {}", r.name))
                        .clicked()
                    {
                        cx.commands
                            .push(Command::Confirm(Confirm::delete(&r.id, key)));
                    }
                    let mut rights = r.rights.clone().unwrap_or_default().join(", ");
                    if at_namespace && node.kind != Kind::Namespace {
                        rights.push_str(" · namespace rule");
                    }
                    ui.add(egui::Label::new(rights).truncate());
                });
                match self.keys.get(&rk).cloned() {
                    None => {
                        if ui.button(format!("Show keys of {}", r.name)).clicked() {
                            self.request_keys(cx, &r.id, key);
                        }
                    }
                    Some(Fetch::Pending(_) | Fetch::Stale(_)) => {
                        ui.spinner();
                    }
                    Some(Fetch::Failed(e, _)) => report_ui(ui, &e),
                    Some(Fetch::Ready(k)) => {
                        let shown = self.revealed.contains(&rk);
                        let rows = &mut ValueRows::new(ui);
                        for (label, value, secondary) in [
                            ("Primary key", &k.primary_key, Some(false)),
                            ("Secondary key", &k.secondary_key, Some(true)),
                            (
                                "Primary connection string",
                                &k.primary_connection_string,
                                None,
                            ),
                            (
                                "Secondary connection string",
                                &k.secondary_connection_string,
                                None,
                            ),
                        ] {
                            let shown_value = RichText::new(masked(value, shown)).monospace();
                            rows.row(ui, label, shown_value, |ui| {
                                copy_button(ui, value, &format!("{label} of {}", r.name));
                                if let Some(s) = secondary
                                    && ui
                                        .small_button("Regenerate")
                                        .on_hover_text(format!(
                                            "Regenerate the {label} of {}",
                                            r.name
                                        ))
                                        .clicked()
                                {
                                    cx.commands.push(Command::Confirm(Confirm::regenerate(
                                        &r.id, key, s, &r.name,
                                    )));
                                }
                            });
                        }
                        let text = if shown { "Hide keys" } else { "Reveal keys" };
                        if ui.button(format!("{text} of {}", r.name)).clicked() {
                            if shown {
                                self.revealed.remove(&rk);
                            } else {
                                self.revealed.insert(rk.clone());
                            }
                        }
                    }
                }
            });
        }
    }

    /// The form of a new SAS rule (shown after *Add rule*).
    fn new_rule_ui(
        &mut self,
        cx: &mut Cx<'_>,
        ui: &mut egui::Ui,
        key: &str,
        node: &tree::TreeNode,
    ) {
        if let Some(mut form) = self.new_rule.take() {
            let mut keep = true;
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.strong(format!("New SAS rule on {}", node.label));
                ui.horizontal(|ui| {
                    let l = ui.label("Rule name");
                    ui.add(
                        egui::TextEdit::singleline(&mut form.name)
                            .char_limit(crate::gui::widgets::limits::NAME),
                    )
                    .labelled_by(l.id);
                });
                ui.horizontal(|ui| {
                    ui.checkbox(&mut form.listen, "Listen");
                    ui.checkbox(&mut form.send, "Send");
                    if ui.checkbox(&mut form.manage, "Manage").changed() && form.manage {
                        form.listen = true;
                        form.send = true;
                    }
                });
                let ok = valid_entity_name(&form.name).is_ok() && (form.listen || form.send);
                ui.horizontal(|ui| {
                    if ui
                        .add_enabled(ok, egui::Button::new("Create rule"))
                        .clicked()
                        && let Some((arm, parent)) = cx.arm_of(key)
                    {
                        let f = form.clone();
                        self.change(
                            cx,
                            key,
                            format!("Create rule {}", f.name),
                            None,
                            format!("Created rule {}", f.name),
                            async move {
                                let mut rights = Vec::new();
                                if f.listen {
                                    rights.push("Listen");
                                }
                                if f.send {
                                    rights.push("Send");
                                }
                                if f.manage {
                                    rights.push("Manage");
                                }
                                arm.put_rule(&parent, &f.name, &rights).await.map(|_| ())
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
                self.new_rule = Some(form);
            }
        }
    }
}
