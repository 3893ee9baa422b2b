//! The Overview tab: ids, endpoints and properties of the selected node; an account's sign-in.

use eframe::egui::{self, RichText};

use super::super::command::Command;
use super::super::dialogs::Confirm;
use super::super::tree::{self, Kind, Load};
use super::super::widgets::{copy_button, report_ui, section};
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
        egui::Grid::new("overview")
            .num_columns(3)
            .striped(true)
            .spacing([12.0, 6.0])
            .show(ui, |ui| {
                if !attached {
                    row(ui, "Id", &n.id, true);
                }
                if let Some(d) = &n.display_name {
                    row(ui, "Display name", d, false);
                }
                if node.kind == Kind::Subscription {
                    row(ui, "Subscription id", &n.name, true);
                }
                if let Some(l) = &n.location {
                    row(ui, "Location", l, false);
                }
                let endpoint = cx
                    .tree
                    .up_to(key, Kind::Namespace)
                    .and_then(|ns| ns.arm.as_ref())
                    .and_then(|ns| ns.service_bus_endpoint.clone());
                if let Some(e) = &endpoint {
                    row(ui, "Service Bus endpoint", e, true);
                }
                if node.kind == Kind::HybridConnection
                    && let Some(e) = &endpoint
                    && let Ok(ep) = crate::relay::client::Endpoint::new(e, &n.name)
                {
                    row(
                        ui,
                        "Listener URL",
                        &without_id(&ep.ws_url("listen", "", &[])),
                        true,
                    );
                    row(
                        ui,
                        "Sender URL",
                        &without_id(&ep.ws_url("connect", "", &[])),
                        true,
                    );
                    row(ui, "HTTP URL", &ep.https_url(""), true);
                }
                entity_properties(ui, n, node.kind);
                if node.kind == Kind::HybridConnection && !attached {
                    let meta_label = ui.label("User metadata");
                    let mut save = None;
                    match &mut self.metadata_edit {
                        Some(text) => {
                            ui.add(
                                egui::TextEdit::multiline(text)
                                    .char_limit(crate::gui::widgets::limits::METADATA)
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
                            ui.label(n.user_metadata.as_deref().unwrap_or("(none)"));
                            if ui.small_button("Edit").clicked() {
                                self.metadata_edit =
                                    Some(n.user_metadata.clone().unwrap_or_default());
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
                    ui.end_row();
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
                ui.horizontal(|ui| {
                    ui.label("Ready file (for the CLI and the Azure SDKs):");
                    let p = e.ready_path.display().to_string();
                    ui.monospace(&p);
                    copy_button(ui, &p, "ready file path");
                });
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

/// One row of the overview grid: name, value (monospace, wrapped), and a copy button.
fn row(ui: &mut egui::Ui, name: &str, value: &str, copy: bool) {
    ui.label(name);
    ui.add(egui::Label::new(RichText::new(value).monospace()).wrap());
    if copy {
        copy_button(ui, value, name);
    } else {
        ui.label("");
    }
    ui.end_row();
}

/// The rows of a hybrid connection's or WCF relay's own properties.
fn entity_properties(ui: &mut egui::Ui, n: &crate::arm::tree::Node, kind: Kind) {
    if let Some(c) = n.listener_count {
        row(ui, "Listeners", &c.to_string(), false);
    }
    if let Some(r) = n.requires_client_authorization {
        row(
            ui,
            "Requires client authorization",
            if r { "yes" } else { "no (anyone may send)" },
            false,
        );
    }
    if let Some(t) = &n.relay_type {
        row(ui, "Relay type", t, false);
    }
    if let Some(t) = n.requires_transport_security {
        row(
            ui,
            "Requires transport security",
            if t { "yes" } else { "no" },
            false,
        );
    }
    if kind == Kind::WcfRelay {
        row(
            ui,
            "User metadata",
            n.user_metadata.as_deref().unwrap_or("(none)"),
            false,
        );
    }
}
