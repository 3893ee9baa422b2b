//! The *Add role assignment* dialog: a role, a principal and a scope, prefilled from a refusal's
//! hint (the least privileged role, the narrowest scope) or from the role-assignments tab, and the
//! `az role assignment create` command that does the same from a terminal.

use eframe::egui;

use super::picker::{PrincipalSearch, Source, principal_field};
use super::tree::{Kind, Tree};
use crate::access::builtin;

/// The form, as the user fills it.
#[derive(Debug, Clone)]
pub struct NewAssignment {
    /// The tree node it was opened from (its account's clients; what to check again after).
    pub key: String,
    /// An object id, a display name, a user principal name or a client id.
    pub principal: String,
    /// (GUID, name) of the roles to pick from, least privileged first.
    pub roles: Vec<(String, String)>,
    pub role: usize,
    /// (what it is, ARM id) from the narrowest scope up.
    pub scopes: Vec<(String, String)>,
    pub scope: usize,
}

impl NewAssignment {
    /// A form for the node `key`: the roles that fit its kind (Relay or SignalR), its scopes from
    /// itself up to its subscription; `role` (a GUID) picked when given, else the first.
    pub fn new(tree: &Tree, key: &str, principal: &str, role: Option<&str>) -> Option<Self> {
        let node = tree.get(key)?;
        let signalr = node.kind == Kind::SignalR;
        let roles: Vec<(String, String)> = builtin::assignable_in_order()
            .into_iter()
            .filter(|r| {
                let (relay, sr) = (
                    r.role_name.contains("Relay"),
                    r.role_name.contains("SignalR"),
                );
                (!relay && !sr) || (signalr && sr) || (!signalr && relay)
            })
            .map(|r| (r.id, r.role_name))
            .collect();
        let mut scopes = Vec::new();
        for kind in [
            node.kind,
            Kind::Namespace,
            Kind::ResourceGroup,
            Kind::Subscription,
        ] {
            if let Some(n) = tree.up_to(key, kind)
                && let Some(id) = n.arm.as_ref().map(|a| a.id.clone())
                && !scopes
                    .iter()
                    .any(|(_, s): &(String, String)| s.eq_ignore_ascii_case(&id))
            {
                scopes.push((format!("{} {}", n.kind.noun(), n.label), id));
            }
        }
        if scopes.is_empty() {
            return None;
        }
        let role = role
            .and_then(|g| roles.iter().position(|(id, _)| id.eq_ignore_ascii_case(g)))
            .unwrap_or(0);
        Some(Self {
            key: key.to_string(),
            principal: principal.to_string(),
            roles,
            role,
            scopes,
            scope: 0,
        })
    }

    pub fn role_name(&self) -> &str {
        self.roles.get(self.role).map_or("", |(_, n)| n)
    }

    pub fn role_guid(&self) -> &str {
        self.roles.get(self.role).map_or("", |(g, _)| g)
    }

    pub fn scope_id(&self) -> &str {
        self.scopes.get(self.scope).map_or("", |(_, s)| s)
    }

    pub fn scope_label(&self) -> &str {
        self.scopes.get(self.scope).map_or("", |(l, _)| l)
    }

    /// The Azure CLI command that makes the same assignment.
    pub fn az_command(&self) -> String {
        let who = self.principal.trim();
        let assignee = if uuid::Uuid::parse_str(who).is_ok() {
            format!("--assignee-object-id {who}")
        } else {
            format!("--assignee '{}'", who.replace('\'', "'\\''"))
        };
        format!(
            "az role assignment create {assignee} --role '{}' --scope '{}'",
            self.role_name(),
            self.scope_id()
        )
    }
}

/// What the user did with the dialog this frame.
pub enum Outcome {
    Open,
    Cancel,
    Create,
}

/// Draws the dialog (a modal) over the window.
pub fn dialog_ui(
    ctx: &egui::Context,
    form: &mut NewAssignment,
    search: &mut PrincipalSearch,
    source: Source<'_>,
) -> Outcome {
    let mut outcome = Outcome::Open;
    egui::Modal::new(egui::Id::unique("add-role-assignment")).show(ctx, |ui| {
        ui.set_width(ui.available_width().min(520.0));
        ui.heading("Add role assignment");
        ui.label("Azure evaluates role assignments at the scope and everything below it; the narrowest scope that works is the safest.");
        egui::Grid::new("grant")
            .num_columns(2)
            .spacing([10.0, 6.0])
            .show(ui, |ui| {
                let l = ui.label("Role");
                egui::ComboBox::from_id_salt("grant-role")
                    .width(280.0)
                    .truncate()
                    .selected_text(form.role_name().to_string())
                    .show_ui(ui, |ui| {
                        for (i, (_, name)) in form.roles.iter().enumerate() {
                            ui.selectable_value(&mut form.role, i, name);
                        }
                    })
                    .response
                    .labelled_by(l.id);
                ui.end_row();
                let l = ui.label("Principal");
                let (r, picked) = principal_field(ui, search, source, &mut form.principal, 280.0);
                r.labelled_by(l.id);
                if let Some(p) = picked {
                    form.principal = p.id;
                }
                ui.end_row();
                let l = ui.label("Scope");
                egui::ComboBox::from_id_salt("grant-scope")
                    .width(280.0)
                    .truncate()
                    .selected_text(form.scope_label().to_string())
                    .show_ui(ui, |ui| {
                        for (i, (label, _)) in form.scopes.iter().enumerate() {
                            ui.selectable_value(&mut form.scope, i, label);
                        }
                    })
                    .response
                    .labelled_by(l.id);
                ui.end_row();
            });
        ui.add(
            egui::Label::new(egui::RichText::new(form.scope_id()).monospace().weak()).truncate(),
        );
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            let ready = !form.principal.trim().is_empty();
            if ui
                .add_enabled(ready, egui::Button::new("Assign"))
                .on_disabled_hover_text("Name the principal to assign the role to")
                .clicked()
            {
                outcome = Outcome::Create;
            }
            if ui.button("Cancel").clicked() {
                outcome = Outcome::Cancel;
            }
        });
    });
    if ctx.input(|i| i.key_pressed(egui::Key::Escape)) {
        outcome = Outcome::Cancel;
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(principal: &str) -> NewAssignment {
        NewAssignment {
            key: String::new(),
            principal: principal.into(),
            roles: vec![(
                builtin::RELAY_LISTENER.into(),
                "Azure Relay Listener".into(),
            )],
            role: 0,
            scopes: vec![(
                "hybrid connection orders".into(),
                "/subscriptions/s/x/orders".into(),
            )],
            scope: 0,
        }
    }

    #[test]
    fn the_command_names_an_object_id_as_one_and_quotes_a_name_for_the_shell() {
        assert_eq!(
            form("1d6e0f6a-7b7c-4a1e-9a31-00000000d004").az_command(),
            "az role assignment create --assignee-object-id 1d6e0f6a-7b7c-4a1e-9a31-00000000d004 --role 'Azure Relay Listener' --scope '/subscriptions/s/x/orders'"
        );
        assert!(
            form("Dan O'Brien")
                .az_command()
                .starts_with("az role assignment create --assignee 'Dan O'\\''Brien' --role")
        );
    }
}
