//! The app's windows over the layout: the device-code prompt, Add account, confirmations and
//! the accounts panel.

use super::*;
use crate::gui::accounts::method_label;
use crate::gui::dialogs::*;
use crate::gui::widgets::{copy_button, error_text, limit_notice, limits};

impl App {
    pub(super) fn dialogs_ui(&mut self, ctx: &egui::Context) {
        self.device_code_ui(ctx);
        self.add_account_ui(ctx);
        self.confirm_ui(ctx);
        self.grant_ui(ctx);
        self.accounts_window_ui(ctx);
        self.quit_ui(ctx);
    }

    pub(super) fn device_code_ui(&mut self, ctx: &egui::Context) {
        let Some(pending) = self.device_code.clone() else {
            return;
        };
        let mut cancel = false;
        egui::Modal::new(egui::Id::unique("device-code")).show(ctx, |ui| {
            ui.set_width(460.0);
            ui.heading("Sign in with a device code");
            ui.label("Open this page in a browser and enter the code:");
            ui.hyperlink(&pending.prompt.verification_uri);
            ui.horizontal(|ui| {
                ui.label(
                    RichText::new(&pending.prompt.user_code)
                        .monospace()
                        .size(30.0)
                        .strong(),
                );
                copy_button(ui, &pending.prompt.user_code, "the code");
            });
            let left = (pending.prompt.expires_at - chrono::Utc::now().timestamp()).max(0);
            ui.label(format!(
                "The code expires in {}:{:02}.",
                left / 60,
                left % 60
            ));
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Waiting for you to sign in…");
            });
            if ui.button("Cancel").clicked() {
                cancel = true;
            }
        });
        cancel |= escape_pressed(ctx);
        if cancel {
            if let Some(s) = self.sessions.get(&pending.account_id)
                && let Some(d) = &s.device_code
            {
                d.cancel();
            }
            self.device_code = None;
        }
    }

    pub(super) fn add_account_ui(&mut self, ctx: &egui::Context) {
        let Some(mut d) = self.add_account.take() else {
            return;
        };
        let mut close = false;
        let mut submit = false;
        egui::Modal::new(egui::Id::unique("add-account")).show(ctx, |ui| {
            ui.set_width(520.0);
            ui.heading("Add account");
            ui.label("1. Where");
            ui.horizontal_wrapped(|ui| {
                for c in [CloudPick::Azure, CloudPick::China, CloudPick::UsGovernment, CloudPick::Custom, CloudPick::Embedded, CloudPick::ReadyFile] {
                    ui.radio_value(&mut d.cloud, c, c.label());
                }
            });
            match d.cloud {
                CloudPick::Custom => {
                    for (label, value, hint) in [
                        ("Login host", &mut d.authority, "https://login.example"),
                        ("Resource Manager", &mut d.resource_manager, "https://management.example"),
                        ("Graph", &mut d.graph, "https://graph.example"),
                        ("CA certificate (optional)", &mut d.ca_cert, "/path/to/ca.pem"),
                    ] {
                        ui.horizontal(|ui| {
                            let l = ui.label(label);
                            ui.add(egui::TextEdit::singleline(value).hint_text(hint).char_limit(limits::SECRET).desired_width(300.0)).labelled_by(l.id);
                            limit_notice(ui, value, limits::SECRET);
                        });
                    }
                }
                CloudPick::ReadyFile => {
                    ui.horizontal(|ui| {
                        let l = ui.label("Ready file");
                        ui.add(egui::TextEdit::singleline(&mut d.ready_file).hint_text("emulator.json").char_limit(limits::SECRET).desired_width(300.0)).labelled_by(l.id);
                        limit_notice(ui, &d.ready_file, limits::SECRET);
                    });
                }
                _ => {}
            }
            ui.add_space(6.0);
            ui.label("2. How");
            ui.horizontal_wrapped(|ui| {
                for m in [AuthMethod::DeviceCode, AuthMethod::ClientSecret, AuthMethod::ManagedIdentity, AuthMethod::AzureCli, AuthMethod::ConnectionString] {
                    ui.radio_value(&mut d.method, m, method_label(m));
                }
            });
            let field = |ui: &mut egui::Ui, label: &str, value: &mut String, hint: &str, password: bool| {
                ui.horizontal(|ui| {
                    let l = ui.label(label);
                    ui.add(egui::TextEdit::singleline(value).hint_text(hint).password(password).char_limit(limits::SECRET).desired_width(300.0)).labelled_by(l.id);
                    limit_notice(ui, value, limits::SECRET);
                });
            };
            let kept = self.options.vault.where_kept();
            match d.method {
                AuthMethod::DeviceCode => {
                    ui.weak(format!("A person: you get a code to enter in a browser. The sign-in is kept in {kept}."));
                    field(ui, "Tenant (optional)", &mut d.tenant, "contoso.onmicrosoft.com or its id", false);
                    field(ui, "Client id (optional)", &mut d.client_id, "default: the Azure CLI's", false);
                }
                AuthMethod::ClientSecret => {
                    ui.weak(format!("An app registration. The secret goes to {kept}, never to a file."));
                    field(ui, "Tenant", &mut d.tenant, "id or domain", false);
                    field(ui, "Client id", &mut d.client_id, "the app's client (application) id", false);
                    field(ui, "Client secret", &mut d.secret, "", !d.show_secret);
                    ui.checkbox(&mut d.show_secret, "Show the secret");
                }
                AuthMethod::ManagedIdentity => {
                    ui.weak("On an Azure VM, App Service or container: the machine's own identity.");
                    ui.horizontal(|ui| {
                        ui.radio_value(&mut d.identity, IdentityPick::System, "system-assigned");
                        ui.radio_value(&mut d.identity, IdentityPick::ClientId, "user-assigned by client id");
                        ui.radio_value(&mut d.identity, IdentityPick::ObjectId, "by object id");
                        ui.radio_value(&mut d.identity, IdentityPick::ResourceId, "by resource id");
                    });
                    if d.identity != IdentityPick::System {
                        field(ui, "Identity id", &mut d.identity_id, "", false);
                    }
                }
                AuthMethod::AzureCli => {
                    ui.weak("Reuses `az login` on this machine.");
                }
                AuthMethod::ConnectionString => {
                    ui.weak(format!("Attach one namespace or entity with a SAS connection string (kept in {kept}). No Entra sign-in."));
                    field(ui, "Connection string", &mut d.connection_string, "Endpoint=sb://…;SharedAccessKeyName=…;SharedAccessKey=…", !d.show_secret);
                    ui.checkbox(&mut d.show_secret, "Show the connection string");
                    ui.weak("Where it connects follows its endpoint: a localhost one is the local emulator.");
                }
            }
            if let (Some(w), AuthMethod::DeviceCode | AuthMethod::ClientSecret | AuthMethod::ConnectionString) = (self.options.vault.warning(), d.method) {
                ui.colored_label(egui::Color32::from_rgb(200, 150, 40), format!("Note: {w}."));
            }
            field(ui, "Display name (optional)", &mut d.label, "", false);
            if let Some(e) = &d.error {
                error_text(ui, e);
            }
            ui.horizontal(|ui| {
                if d.busy {
                    ui.spinner();
                    ui.label("Signing in…");
                } else if ui.button("Sign in").clicked() {
                    submit = true;
                }
                if ui.button("Cancel").clicked() {
                    close = true;
                }
            });
        });
        close |= escape_pressed(ctx);
        if submit {
            match d.build() {
                Ok((account, secret)) => {
                    d.error = None;
                    d.busy = true;
                    self.add_account = Some(d);
                    self.add_account(account, secret);
                    return;
                }
                Err(e) => d.error = Some(e),
            }
        }
        if !close {
            self.add_account = Some(d);
        } else if d.busy {
            // Cancelling a sign-in in flight forgets the new account.
            let pending: Vec<String> = self.new_accounts.iter().cloned().collect();
            for id in pending {
                if let Some(s) = self.sessions.get(&id)
                    && let Some(dc) = &s.device_code
                {
                    dc.cancel();
                }
                self.actions.push(Command::RemoveAccount(id));
            }
        }
    }

    /// Closing the window with live consoles asks first: their listeners and senders stop.
    pub(super) fn quit_ui(&mut self, ctx: &egui::Context) {
        let live = self.consoles.iter().filter(|c| c.is_live()).count();
        if ctx.input(|i| i.viewport().close_requested()) && !self.quit_confirmed && live > 0 {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            self.quit_asked = true;
        }
        if !self.quit_asked {
            return;
        }
        let mut answer = None;
        egui::Modal::new(egui::Id::unique("quit")).show(ctx, |ui| {
            ui.set_width(420.0);
            ui.heading("Quit Relay Explorer?");
            ui.label(format!(
                "{}: {} when the window closes.",
                if live == 1 {
                    "1 console is still running".to_string()
                } else {
                    format!("{live} consoles are still running")
                },
                if live == 1 {
                    "its listener or sender stops"
                } else {
                    "their listeners and senders stop"
                }
            ));
            ui.horizontal(|ui| {
                if ui.button("Quit").clicked() {
                    answer = Some(true);
                }
                if ui.button("Cancel").clicked() {
                    answer = Some(false);
                }
            });
        });
        if escape_pressed(ctx) {
            answer = Some(false);
        }
        match answer {
            Some(true) => {
                self.quit_asked = false;
                self.quit_confirmed = true;
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
            Some(false) => self.quit_asked = false,
            None => {}
        }
    }

    /// The *Add role assignment* dialog: on *Assign*, the assignment is made through ARM (and
    /// the verdict it was opened from is checked again).
    pub(super) fn grant_ui(&mut self, ctx: &egui::Context) {
        let Some(form) = &mut self.grant else {
            return;
        };
        let account = self
            .tree
            .get(&form.key)
            .map(|n| n.account.clone())
            .unwrap_or_default();
        let source = crate::gui::picker::Source {
            graph: self.sessions.get(&account).and_then(|s| s.graph.clone()),
            account: &account,
            backend: &self.backend,
        };
        match crate::gui::grant::dialog_ui(ctx, form, &mut self.details.principals, source) {
            crate::gui::grant::Outcome::Open => {}
            crate::gui::grant::Outcome::Cancel => self.grant = None,
            crate::gui::grant::Outcome::Create => {
                let form = self.grant.take().expect("the dialog is open");
                let mut cx = details_cx!(self);
                self.details.create_assignment(&mut cx, form);
            }
        }
    }

    pub(super) fn confirm_ui(&mut self, ctx: &egui::Context) {
        let Some(c) = self.confirm.clone() else {
            return;
        };
        let mut done = None;
        egui::Modal::new(egui::Id::unique("confirm")).show(ctx, |ui| {
            ui.set_width(420.0);
            ui.heading(&c.title);
            ui.label(&c.text);
            ui.horizontal(|ui| {
                if ui.button(&c.button).clicked() {
                    done = Some(true);
                }
                if ui.button("Cancel").clicked() {
                    done = Some(false);
                }
            });
        });
        if escape_pressed(ctx) {
            done = Some(false);
        }
        match done {
            Some(true) => {
                self.confirm = None;
                let mut cx = details_cx!(self);
                self.details.run_confirmed(&mut cx, c.action);
            }
            Some(false) => self.confirm = None,
            None => {}
        }
    }

    pub(super) fn accounts_window_ui(&mut self, ctx: &egui::Context) {
        if !self.accounts_window {
            return;
        }
        let mut open = true;
        let mut changed: Option<String> = None;
        egui::Window::new("Accounts")
            .open(&mut open)
            .default_width(480.0)
            .show(ctx, |ui| {
                if self.accounts.is_empty() {
                    ui.label("No account yet.");
                }
                let accounts = self.accounts.clone();
                for a in &accounts {
                    ui.horizontal(|ui| {
                        ui.strong(&a.label);
                        ui.weak(format!("{} · {}", a.method_label(), a.cloud.label()));
                        if ui
                            .small_button("Remove")
                            .on_hover_text(format!("Remove {}", a.label))
                            .clicked()
                        {
                            self.confirm = Some(Confirm::remove_account(&a.id, &a.label));
                        }
                    });
                    if let Some(e) = self.account_errors.get(&a.id) {
                        crate::gui::widgets::report_ui(ui, e);
                    }
                    let Some(dir) = self.directories.get(&a.id).cloned() else {
                        continue;
                    };
                    for (tid, tname) in &dir.tenants {
                        ui.indent(("tenant", &a.id, tid), |ui| {
                            ui.label(if tname.is_empty() {
                                format!("Tenant {tid}")
                            } else {
                                format!("{tname} ({tid})")
                            });
                            for (sub, t) in &dir.subscriptions {
                                if !t.eq_ignore_ascii_case(tid) {
                                    continue;
                                }
                                let mut shown = !a
                                    .hidden_subscriptions
                                    .iter()
                                    .any(|h| h.eq_ignore_ascii_case(&sub.name));
                                let name =
                                    sub.display_name.clone().unwrap_or_else(|| sub.name.clone());
                                if ui.checkbox(&mut shown, name).changed()
                                    && let Some(acc) =
                                        self.accounts.iter_mut().find(|x| x.id == a.id)
                                {
                                    acc.hidden_subscriptions
                                        .retain(|h| !h.eq_ignore_ascii_case(&sub.name));
                                    if !shown {
                                        acc.hidden_subscriptions.push(sub.name.clone());
                                    }
                                    changed = Some(a.id.clone());
                                }
                            }
                        });
                    }
                    ui.separator();
                }
                if ui.button("+ Add account").clicked() {
                    self.actions.push(Command::AddAccount);
                }
            });
        if let Some(id) = changed {
            self.actions.push(Command::SignIn(id));
        }
        if !open {
            self.accounts_window = false;
        }
    }
}

/// Escape closes a dialog, as Cancel does.
fn escape_pressed(ctx: &egui::Context) -> bool {
    ctx.input(|i| i.key_pressed(egui::Key::Escape))
}
