//! The Role assignments tab: every assignment that reaches the node, sortable and filterable.

use eframe::egui::{self};

use super::super::command::Command;
use super::super::dialogs::Confirm;
use super::super::fetch::Fetch;
use super::super::grant::NewAssignment;
use super::super::widgets::{icon_button, report_ui};
use super::{Column, Cx, DetailsPanel, scope_short};
use crate::arm::tree::Node;

impl DetailsPanel {
    pub(crate) fn assignments_ui(&mut self, cx: &mut Cx<'_>, ui: &mut egui::Ui, key: &str) {
        self.request_assignments(cx, key);
        let fetch = self.assignments.get(key).cloned();
        let list = match &fetch {
            Some(Fetch::Failed(e, _)) => {
                report_ui(ui, e);
                return;
            }
            Some(f) => f.value().cloned(),
            None => None,
        };
        let Some(mut list) = list else {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Loading role assignments…");
            });
            return;
        };
        ui.horizontal_wrapped(|ui| {
            let l = ui.label("Filter");
            ui.add(
                egui::TextEdit::singleline(&mut self.assignment_filter)
                    .char_limit(crate::gui::widgets::limits::SEARCH)
                    .hint_text("principal, role or scope"),
            )
            .labelled_by(l.id);
            ui.weak(format!("{} assignment(s)", list.len()));
            if ui.button("+ Add role assignment").clicked()
                && let Some(form) = NewAssignment::new(cx.tree, key, "", None)
            {
                cx.commands.push(Command::AddRoleAssignment(Box::new(form)));
            }
        });
        let f = self.assignment_filter.to_lowercase();
        if !f.is_empty() {
            list.retain(|a| {
                [
                    &a.principal_name,
                    &a.role_name,
                    &a.scope,
                    &a.principal_id,
                    &a.principal_type,
                ]
                .iter()
                .any(|x| x.as_deref().is_some_and(|s| s.to_lowercase().contains(&f)))
            });
        }
        let (col, asc) = self.sort;
        list.sort_by(|a, b| {
            let k = |n: &Node| match col {
                Column::Principal => n
                    .principal_name
                    .clone()
                    .or(n.principal_id.clone())
                    .unwrap_or_default()
                    .to_lowercase(),
                Column::Type => n.principal_type.clone().unwrap_or_default(),
                Column::Role => n.role_name.clone().unwrap_or_default(),
                Column::Scope => n.scope.clone().unwrap_or_default().to_lowercase(),
            };
            let o = k(a).cmp(&k(b));
            if asc { o } else { o.reverse() }
        });
        let (picked, deleted) = self.assignments_table(ui, &list);
        if let Some((id, what)) = deleted {
            cx.commands
                .push(Command::Confirm(Confirm::delete_assignment(
                    &id, key, &what,
                )));
        }
        if let Some(who) = picked {
            self.tab = super::Tab::Access;
            self.check_principal(cx, key, &who);
        }
    }

    /// The table: its columns share the width there is (a new width starts them afresh); text too
    /// long for its column ends in an ellipsis and shows whole on hover. Returns the principal
    /// clicked (to check it) and the assignment asked to be deleted (id, what it grants).
    fn assignments_table(
        &mut self,
        ui: &mut egui::Ui,
        list: &[Node],
    ) -> (Option<String>, Option<(String, String)>) {
        let (col, asc) = self.sort;
        let (mut picked, mut deleted) = (None, None);
        use egui_extras::{Column as C, TableBuilder};
        // The columns share the width there is (a new width starts them afresh); text too long
        // for its column ends in an ellipsis and shows whole on hover.
        let w = ui.available_width();
        let gap = ui.spacing().item_spacing.x;
        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
        TableBuilder::new(ui)
            .id_salt(("assignments", (w / 40.0) as i32))
            .striped(true)
            .resizable(true)
            .column(C::initial(w * 0.3).at_least(80.0).clip(true))
            .column(C::initial(w * 0.15).at_least(50.0).clip(true))
            .column(C::initial(w * 0.25).at_least(70.0).clip(true))
            .column(
                C::initial(w * 0.3 - 24.0 - 6.0 * gap)
                    .at_least(70.0)
                    .clip(true),
            )
            .column(C::exact(24.0))
            .header(22.0, |mut h| {
                for (c, name) in [
                    (Column::Principal, "Principal"),
                    (Column::Type, "Type"),
                    (Column::Role, "Role"),
                    (Column::Scope, "Scope"),
                ] {
                    h.col(|ui| {
                        let arrow = if col == c {
                            if asc { " ^" } else { " v" }
                        } else {
                            ""
                        };
                        if ui
                            .button(format!("{name}{arrow}"))
                            .on_hover_text(format!("Sort by {name}"))
                            .clicked()
                        {
                            self.sort = (c, if col == c { !asc } else { true });
                        }
                    });
                }
                h.col(|_| {});
            })
            .body(|body| {
                body.rows(22.0, list.len(), |mut row| {
                    let a = &list[row.index()];
                    row.col(|ui| {
                        let name = a
                            .principal_name
                            .clone()
                            .or(a.principal_id.clone())
                            .unwrap_or_default();
                        let id = a.principal_id.clone().unwrap_or_default();
                        // A row's principal opens Access and checks it there.
                        if ui
                            .link(&name)
                            .on_hover_text(format!("Check what {name} ({id}) may do here"))
                            .clicked()
                            && !id.is_empty()
                        {
                            picked = Some(id);
                        }
                    });
                    row.col(|ui| {
                        ui.label(a.principal_type.clone().unwrap_or_default());
                    });
                    row.col(|ui| {
                        ui.label(
                            a.role_name.clone().unwrap_or_else(|| {
                                a.role_definition_id.clone().unwrap_or_default()
                            }),
                        );
                    });
                    row.col(|ui| {
                        let scope = a.scope.clone().unwrap_or_default();
                        let short = scope_short(&scope);
                        let text = match &a.inherited_from {
                            Some(_) => format!("{short} (inherited)"),
                            None => short,
                        };
                        ui.label(text).on_hover_text(scope);
                    });
                    row.col(|ui| {
                        let id = a.id.clone();
                        let what = format!(
                            "{} of {} at {}",
                            a.role_name.clone().unwrap_or_default(),
                            a.principal_name
                                .clone()
                                .or(a.principal_id.clone())
                                .unwrap_or_default(),
                            scope_short(a.scope.as_deref().unwrap_or_default())
                        );
                        if icon_button(ui, "x", &format!("Delete the role assignment {what}"))
                            .clicked()
                        {
                            deleted = Some((id, what));
                        }
                    });
                });
            });
        (picked, deleted)
    }
}
