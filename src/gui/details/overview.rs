//! The Overview tab: ids, endpoints and properties of the selected node; an account's sign-in.

use eframe::egui::{self, RichText};

use super::super::command::Command;
use super::super::dialogs::Confirm;
use super::super::tree::{self, Kind, Load};
use super::super::widgets::{ValueRows, copy_button, report_ui, section};
use super::{Cx, DetailsPanel, without_id};

impl DetailsPanel {
    pub(crate) fn overview_ui(
        &mut self,
        cx: &mut Cx<'_>,
        ui: &mut egui::Ui,
        key: &str,
        node: &tree::TreeNode,
    ) {
        if node.kind == Kind::Account {
            self.account_overview_ui(cx, ui, node);
            return;
        }
        if let Load::Failed(e) = &node.load {
            report_ui(ui, e);
        }
        let Some(n) = &node.arm else {
            ui.label("A tenant of this account. Expand it to see its subscriptions.");
            return;
        };
        let attached = key.starts_with("cs:");
        let rows = &mut ValueRows::new(ui);
        ui.scope(|ui| {
            if !attached {
                row(ui, rows, "Id", &n.id, true);
            }
            if let Some(d) = &n.display_name {
                row(ui, rows, "Display name", d, false);
            }
            if node.kind == Kind::Subscription {
                row(ui, rows, "Subscription id", &n.name, true);
            }
            if let Some(l) = &n.location {
                row(ui, rows, "Location", l, false);
            }
            let endpoint = cx
                .tree
                .up_to(key, Kind::Namespace)
                .and_then(|ns| ns.arm.as_ref())
                .and_then(|ns| ns.service_bus_endpoint.clone());
            if let Some(e) = &endpoint {
                row(ui, rows, "Service Bus endpoint", e, true);
            }
            if node.kind == Kind::HybridConnection
                && let Some(e) = &endpoint
                && let Ok(ep) = crate::relay::client::Endpoint::new(e, &n.name)
            {
                row(
                    ui,
                    rows,
                    "Listener URL",
                    &without_id(&ep.ws_url("listen", "", &[])),
                    true,
                );
                row(
                    ui,
                    rows,
                    "Sender URL",
                    &without_id(&ep.ws_url("connect", "", &[])),
                    true,
                );
                row(ui, rows, "HTTP URL", &ep.https_url(""), true);
            }
            entity_properties(ui, rows, n, node.kind);
            if node.kind == Kind::HybridConnection && !attached {
                let mut save = None;
                match &mut self.metadata_edit {
                    Some(text) => {
                        let meta_label = ui.label("User metadata");
                        ui.add(
                            egui::TextEdit::multiline(text)
                                .char_limit(crate::gui::widgets::limits::METADATA)
                                .desired_width(f32::INFINITY)
                                .desired_rows(2),
                        )
                        .labelled_by(meta_label.id);
                        let mut cancel = false;
                        ui.horizontal(|ui| {
                            if ui.button("Save").clicked() {
                                save = Some(text.clone());
                            }
                            if ui.button("Cancel").clicked() {
                                cancel = true;
                            }
                        });
                        if cancel {
                            self.metadata_edit = None;
                        }
                    }
                    None => {
                        let mut edit = false;
                        let shown = n.user_metadata.as_deref().unwrap_or("(none)");
                        rows.row(ui, "User metadata", shown, |ui| {
                            edit = ui.small_button("Edit").clicked();
                        });
                        if edit {
                            self.metadata_edit = Some(n.user_metadata.clone().unwrap_or_default());
                        }
                    }
                }
                if let Some(text) = save {
                    self.metadata_edit = None;
                    if let Some((arm, id)) = cx.arm_of(key) {
                        let ns = id
                            .rsplit_once("/hybridConnections/")
                            .or_else(|| id.rsplit_once("/hybridconnections/"))
                            .map(|(a, b)| (a.to_string(), b.to_string()));
                        let rca = n.requires_client_authorization.unwrap_or(true);
                        if let Some((ns, name)) = ns {
                            self.change(
                                cx,
                                key,
                                format!("Update {name}"),
                                None,
                                format!("Saved the user metadata of {name}"),
                                async move {
                                    arm.put_hybrid_connection(&ns, &name, rca, Some(&text))
                                        .await
                                        .map(|_| ())
                                },
                            );
                        }
                    }
                }
            }
        });
        if attached && node.kind == Kind::Namespace {
            self.attach_ui(cx, ui, node);
        }
    }

    /// A namespace attached by connection string: add one of its entities by name.
    fn attach_ui(&mut self, cx: &mut Cx<'_>, ui: &mut egui::Ui, node: &tree::TreeNode) {
        ui.add_space(8.0);
        ui.label("This namespace was attached with a connection string. Add a hybrid connection by name to listen or send on it:");
        ui.horizontal(|ui| {
            let l = ui.label("Hybrid connection");
            ui.add(
                egui::TextEdit::singleline(&mut self.attach_input)
                    .char_limit(crate::gui::widgets::limits::NAME)
                    .hint_text("orders"),
            )
            .labelled_by(l.id);
            if ui.button("Add").clicked() && !self.attach_input.trim().is_empty() {
                let name = self.attach_input.trim().to_string();
                self.attach_input.clear();
                cx.commands.push(Command::AttachEntity {
                    account: node.account.clone(),
                    entity: name,
                });
            }
        });
    }

    pub(crate) fn account_overview_ui(
        &mut self,
        cx: &mut Cx<'_>,
        ui: &mut egui::Ui,
        node: &tree::TreeNode,
    ) {
        let Some(account) = cx.accounts.iter().find(|a| a.id == node.account).cloned() else {
            return;
        };
        ui.label(format!(
            "Signed in with {} to {}.",
            account.method_label(),
            account.cloud.label()
        ));
        if let Some(dir) = cx.directories.get(&account.id) {
            ui.label(format!(
                "{} tenant(s), {} subscription(s){}",
                dir.tenants.len(),
                dir.subscriptions.len(),
                dir.who
                    .as_ref()
                    .map(|w| format!(", as {w}"))
                    .unwrap_or_default()
            ));
        }
        if let Some(e) = cx.account_errors.get(&account.id) {
            report_ui(ui, e);
            if ui.button("Sign in again").clicked() {
                cx.commands.push(Command::SignIn(account.id.clone()));
            }
        }
        if account.cloud == super::super::accounts::CloudConfig::Embedded {
            ui.add_space(8.0);
            section(ui, "The local emulator");
            ui.label("This is the built-in emulator of Entra ID, Resource Manager, Graph and the Relay data plane, with the demo company Northwind Traders. Expand it to browse; pick a hybrid connection and Listen and Send in two tabs; open Access to see who may do what and why.");
            if let Some(e) = &cx.embedded {
                let p = e.ready_path.display().to_string();
                ValueRows::new(ui).row(ui, "Ready file", RichText::new(&p).monospace(), |ui| {
                    copy_button(ui, &p, "ready file path");
                });
                ui.weak("The ready file tells the CLI and the Azure SDKs where the emulator is.");
            }
            if ui.button("+ Add an Azure account").clicked() {
                cx.commands.push(Command::AddAccount);
            }
        }
        ui.add_space(8.0);
        if ui.button("Remove account").clicked() {
            cx.commands.push(Command::Confirm(Confirm::remove_account(
                &account.id,
                &account.label,
            )));
        }
    }
}

/// One row of the overview: name, value (monospace, one line), and a copy button.
fn row(ui: &mut egui::Ui, rows: &mut ValueRows, name: &str, value: &str, copy: bool) {
    rows.row(ui, name, RichText::new(value).monospace(), |ui| {
        if copy {
            copy_button(ui, value, name);
        }
    });
}

/// The rows of a hybrid connection's or WCF relay's own properties.
fn entity_properties(
    ui: &mut egui::Ui,
    rows: &mut ValueRows,
    n: &crate::arm::tree::Node,
    kind: Kind,
) {
    if let Some(c) = n.listener_count {
        row(ui, rows, "Listeners", &c.to_string(), false);
    }
    if let Some(r) = n.requires_client_authorization {
        row(
            ui,
            rows,
            "Requires client authorization",
            if r { "yes" } else { "no (anyone may send)" },
            false,
        );
    }
    if let Some(t) = &n.relay_type {
        row(ui, rows, "Relay type", t, false);
    }
    if let Some(t) = n.requires_transport_security {
        row(
            ui,
            rows,
            "Requires transport security",
            if t { "yes" } else { "no" },
            false,
        );
    }
    if kind == Kind::WcfRelay {
        row(
            ui,
            rows,
            "User metadata",
            n.user_metadata.as_deref().unwrap_or("(none)"),
            false,
        );
    }
}
