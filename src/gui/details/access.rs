//! The Access tab: the who-can matrix with per-cell proofs, and a verdict for one principal.

use eframe::egui::{self};

use super::super::command::{CheckSlot, Command};
use super::super::fetch::Fetch;
use super::super::grant::NewAssignment;
use super::super::picker::{Source, principal_field};
use super::super::tree::{self, Kind};
use super::super::widgets::{fixed_width, report_ui, section};
use super::verdict::{cell_ui, verdict_ui, why_not};
use super::{Cx, DetailsPanel, SIGNALR_SERVER};

impl DetailsPanel {
    /// Puts `who` (an object id) in *Check a principal* and checks it with the chosen action.
    pub(crate) fn check_principal(&mut self, cx: &mut Cx<'_>, key: &str, who: &str) {
        self.check_input = who.to_string();
        let signalr = cx.tree.get(key).is_some_and(|n| n.kind == Kind::SignalR);
        self.fit_check_action(signalr);
        let action = self.check_action.clone();
        self.request_check(cx, key, who, &action, CheckSlot::Entity(key.to_string()));
    }

    /// The action to check fits the resource: a SignalR resource's data action there, a Relay
    /// one elsewhere (Manage fits both).
    fn fit_check_action(&mut self, signalr: bool) {
        if signalr != (self.check_action == SIGNALR_SERVER) && self.check_action != "manage" {
            self.check_action = if signalr { SIGNALR_SERVER } else { "send" }.into();
        }
    }

    pub(crate) fn access_ui(
        &mut self,
        cx: &mut Cx<'_>,
        ui: &mut egui::Ui,
        key: &str,
        node: &tree::TreeNode,
    ) {
        self.request_who(cx, key, false);
        self.fit_check_action(node.kind == Kind::SignalR);
        section(ui, "Check a principal");
        ui.horizontal_wrapped(|ui| {
            let l = ui.label("Principal");
            let field = (ui.available_width() - 220.0).clamp(160.0, 300.0);
            let source = Source {
                account: &node.account,
                graph: cx.clients_of(key).map(|(_, graph, _)| graph),
                backend: cx.backend,
            };
            let (r, picked) = principal_field(
                ui,
                &mut self.principals,
                source,
                &mut self.check_input,
                field,
            );
            let r = r.labelled_by(l.id);
            if let Some(p) = picked {
                // Its object id: a name may be shared, an id never is.
                self.check_principal(cx, key, &p.id);
            }
            let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            let action_label = ui.label("action");
            fixed_width(ui, 110.0, |ui| {
                egui::ComboBox::from_id_salt("check-action")
                    .width(110.0)
                    .truncate()
                    .selected_text(self.check_action.clone())
                    .show_ui(ui, |ui| {
                        let actions: &[&str] = if node.kind == Kind::SignalR {
                            &[SIGNALR_SERVER, "manage"]
                        } else {
                            &["listen", "send", "manage"]
                        };
                        for a in actions {
                            ui.selectable_value(&mut self.check_action, a.to_string(), *a);
                        }
                    })
                    .response
                    .labelled_by(action_label.id);
            });
            if (ui.button("Check").clicked() || enter) && !self.check_input.trim().is_empty() {
                let (who, action) = (
                    self.check_input.trim().to_string(),
                    self.check_action.clone(),
                );
                self.request_check(cx, key, &who, &action, CheckSlot::Entity(key.to_string()));
            }
        });
        // After a change (an assignment made or deleted) the last check runs again.
        if !self.checked.contains_key(key)
            && let Some((who, action)) = self.last_check.get(key).cloned()
        {
            self.request_check(cx, key, &who, &action, CheckSlot::Entity(key.to_string()));
        }
        match self.checked.get(key).cloned() {
            Some(Fetch::Pending(_)) => {
                ui.spinner();
            }
            Some(Fetch::Failed(e, _)) => report_ui(ui, &e),
            Some(Fetch::Ready(c) | Fetch::Stale(c)) => {
                if let Some(role) = verdict_ui(ui, &c)
                    && let Some(form) = NewAssignment::new(cx.tree, key, &c.object_id, Some(&role))
                {
                    cx.commands.push(Command::AddRoleAssignment(Box::new(form)));
                }
            }
            None => {}
        }
        ui.add_space(10.0);
        ui.horizontal(|ui| {
            section(ui, "Who can reach it");
            if ui
                .small_button("Refresh")
                .on_hover_text("Evaluate again")
                .clicked()
            {
                self.request_who(cx, key, true);
            }
        });
        match self.who.get(key).cloned() {
            None | Some(Fetch::Pending(None)) => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Evaluating role assignments, deny assignments and SAS rules…");
                });
            }
            Some(Fetch::Failed(e, _)) => report_ui(ui, &e),
            Some(f) => {
                let rows = f.value().cloned().unwrap_or_default();
                let mut picked = None;
                // Listen and Send are Relay's data actions; a SignalR resource is reached by
                // its own (check them above), so its matrix shows Manage only.
                let is_signalr = node.kind == Kind::SignalR;
                if is_signalr {
                    ui.weak("SignalR data actions (such as serverConnection/write for the SignalR App Server role) are checked per principal above.");
                }
                let rows: Vec<_> = rows
                    .into_iter()
                    .filter(|r| !is_signalr || (r.kind != "sas" && r.kind != "anonymous"))
                    .collect();
                who_table(ui, &rows, is_signalr, &mut picked);
                if rows.is_empty() {
                    ui.weak("Nobody: no role assignment, SAS rule or anonymous access reaches it.");
                }
                if let Some(who) = picked {
                    self.check_principal(cx, key, &who);
                }
            }
        }
    }
}

/// The who-can matrix: a principal (a link that checks it), its kind, and a cell per action
/// with its proof, or why not, on hover. Its columns share the width there is.
fn who_table(
    ui: &mut egui::Ui,
    rows: &[crate::access::explain::WhoRow],
    is_signalr: bool,
    picked: &mut Option<String>,
) {
    use egui_extras::{Column, TableBuilder};
    let cells = if is_signalr { 1 } else { 3 };
    let w = ui.available_width();
    let (kind, cell) = (100.0, 56.0);
    let gaps = ui.spacing().item_spacing.x * (cells + 2) as f32;
    let principal = (w - kind - cell * cells as f32 - gaps).clamp(80.0, 420.0);
    ui.scope(|ui| {
        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
        let mut t = TableBuilder::new(ui)
            .id_salt(("who", (w / 40.0) as i32))
            .striped(true)
            .resizable(true)
            .vscroll(false)
            .column(Column::initial(principal).at_least(80.0).clip(true))
            .column(Column::initial(kind).at_least(50.0).clip(true));
        for _ in 0..cells {
            t = t.column(Column::exact(cell));
        }
        t.header(20.0, |mut h| {
            let heads: &[&str] = if is_signalr {
                &["Principal", "Kind", "Manage"]
            } else {
                &["Principal", "Kind", "Listen", "Send", "Manage"]
            };
            for name in heads {
                h.col(|ui| {
                    ui.strong(*name);
                });
            }
        })
        .body(|body| {
            body.rows(20.0, rows.len(), |mut row| {
                let r = &rows[row.index()];
                let name = r.display_name.clone().unwrap_or_else(|| r.principal.clone());
                row.col(|ui| {
                    if r.kind != "sas" && r.kind != "anonymous" {
                        // A principal's row checks it above.
                        if ui
                            .link(&name)
                            .on_hover_text(format!("Check {name} ({}) above", r.principal))
                            .clicked()
                        {
                            *picked = Some(r.principal.clone());
                        }
                    } else {
                        ui.label(&name);
                    }
                });
                row.col(|ui| {
                    ui.label(&r.kind);
                });
                let why = |action: &str| match r.kind.as_str() {
                    "sas" => format!(
                        "The rule '{name}' has no {} right.",
                        match action {
                            "listen" => "Listen",
                            "send" => "Send",
                            _ => "Manage",
                        }
                    ),
                    "anonymous" => "Without a token a client may only send, and only where the entity allows anonymous senders.".to_string(),
                    _ => why_not(action, &r.manage),
                };
                if !is_signalr {
                    row.col(|ui| cell_ui(ui, &r.listen, || why("listen")));
                    row.col(|ui| cell_ui(ui, &r.send, || why("send")));
                }
                row.col(|ui| cell_ui(ui, &r.manage, || why("manage")));
            });
        });
    });
}
