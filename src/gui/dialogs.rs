//! Dialogs: add an account (cloud, then method), the device code, confirmations, and the
//! accounts panel (accounts → tenants → subscriptions with checkboxes).

use std::path::PathBuf;

use eframe::egui::{self, RichText};

use super::accounts::{AccountConfig, CloudConfig, IdentityConfig, method_label};
use super::app::App;
use super::command::Command;
use super::widgets::{copy_button, error_text};
use crate::auth::AuthMethod;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloudPick {
    Azure,
    China,
    UsGovernment,
    Custom,
    Embedded,
    ReadyFile,
}

impl CloudPick {
    fn label(self) -> &'static str {
        match self {
            CloudPick::Azure => "Azure",
            CloudPick::China => "Azure China",
            CloudPick::UsGovernment => "Azure US Government",
            CloudPick::Custom => "Custom cloud",
            CloudPick::Embedded => "Local emulator (built in)",
            CloudPick::ReadyFile => "Emulator by its ready file",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityPick {
    System,
    ClientId,
    ObjectId,
    ResourceId,
}

/// The "Add account" dialog. No `Debug`: it holds a secret while it is open.
#[derive(Clone)]
pub struct AddAccount {
    pub cloud: CloudPick,
    pub method: AuthMethod,
    pub tenant: String,
    pub client_id: String,
    pub secret: String,
    pub identity: IdentityPick,
    pub identity_id: String,
    pub connection_string: String,
    pub ready_file: String,
    pub authority: String,
    pub resource_manager: String,
    pub graph: String,
    pub ca_cert: String,
    pub label: String,
    pub error: Option<String>,
    pub busy: bool,
}

impl Default for AddAccount {
    fn default() -> Self {
        Self {
            cloud: CloudPick::Azure,
            method: AuthMethod::DeviceCode,
            tenant: String::new(),
            client_id: String::new(),
            secret: String::new(),
            identity: IdentityPick::System,
            identity_id: String::new(),
            connection_string: String::new(),
            ready_file: String::new(),
            authority: String::new(),
            resource_manager: String::new(),
            graph: String::new(),
            ca_cert: String::new(),
            label: String::new(),
            error: None,
            busy: false,
        }
    }
}

impl AddAccount {
    /// The account and its secret, or what is missing.
    pub fn build(&self) -> Result<(AccountConfig, Option<String>), String> {
        let cloud = match self.cloud {
            CloudPick::Azure => CloudConfig::Azure {
                name: "AzureCloud".into(),
            },
            CloudPick::China => CloudConfig::Azure {
                name: "AzureChinaCloud".into(),
            },
            CloudPick::UsGovernment => CloudConfig::Azure {
                name: "AzureUSGovernment".into(),
            },
            CloudPick::Embedded => CloudConfig::Embedded,
            CloudPick::ReadyFile => {
                if self.ready_file.trim().is_empty() {
                    return Err("give the emulator's ready file (its --ready-file path)".into());
                }
                CloudConfig::ReadyFile {
                    path: PathBuf::from(self.ready_file.trim()),
                }
            }
            CloudPick::Custom => {
                for (name, v) in [
                    ("login (authority) host", &self.authority),
                    ("Resource Manager", &self.resource_manager),
                    ("Graph", &self.graph),
                ] {
                    if !v.trim().starts_with("https://") {
                        return Err(format!("the {name} endpoint must be an https:// address"));
                    }
                }
                CloudConfig::Custom {
                    name: "Custom".into(),
                    authority_host: self.authority.trim().into(),
                    resource_manager: self.resource_manager.trim().into(),
                    graph: self.graph.trim().into(),
                    ca_cert: (!self.ca_cert.trim().is_empty())
                        .then(|| PathBuf::from(self.ca_cert.trim())),
                }
            }
        };
        let opt = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
        let mut secret = None;
        let mut label = self.label.trim().to_string();
        let mut a = AccountConfig::new(String::new(), cloud.clone(), self.method);
        a.tenant_id = opt(&self.tenant);
        a.client_id = opt(&self.client_id);
        match self.method {
            AuthMethod::ClientSecret => {
                if a.tenant_id.is_none() && !matches!(cloud, CloudConfig::Embedded) {
                    return Err("give the tenant (its id or domain)".into());
                }
                if a.client_id.is_none() {
                    return Err("give the app registration's client (application) id".into());
                }
                if self.secret.is_empty() {
                    return Err("give the client secret (it is kept in the OS keyring)".into());
                }
                secret = Some(self.secret.clone());
                if label.is_empty() {
                    label = format!("App {}", a.client_id.clone().unwrap_or_default());
                }
            }
            AuthMethod::DeviceCode => {
                if label.is_empty() {
                    label = format!("Signed-in user ({})", cloud.label());
                }
            }
            AuthMethod::ManagedIdentity => {
                let id = self.identity_id.trim().to_string();
                if self.identity != IdentityPick::System && id.is_empty() {
                    return Err("give the user-assigned identity's id".into());
                }
                a.managed_identity = match self.identity {
                    IdentityPick::System => IdentityConfig::SystemAssigned,
                    IdentityPick::ClientId => IdentityConfig::ClientId(id),
                    IdentityPick::ObjectId => IdentityConfig::ObjectId(id),
                    IdentityPick::ResourceId => IdentityConfig::ResourceId(id),
                };
                if label.is_empty() {
                    label = "Managed identity".into();
                }
            }
            AuthMethod::AzureCli => {
                if label.is_empty() {
                    label = "Azure CLI sign-in".into();
                }
            }
            AuthMethod::ConnectionString => {
                let cs =
                    crate::relay::protocol::ConnectionString::parse(self.connection_string.trim())
                        .map_err(|e| format!("the connection string is not valid: {e}"))?;
                if label.is_empty() {
                    label = match &cs.entity_path {
                        Some(e) => format!("{} / {e} (connection string)", cs.namespace_host()),
                        None => format!("{} (connection string)", cs.namespace_host()),
                    };
                }
                secret = Some(self.connection_string.trim().to_string());
            }
        }
        if matches!(cloud, CloudConfig::Embedded) && a.tenant_id.is_none() {
            a.tenant_id = None; // filled from the running emulator when signing in
        }
        a.label = label;
        Ok((a, secret))
    }
}

/// What a confirmation does when confirmed.
#[derive(Debug, Clone)]
pub enum ConfirmAction {
    RemoveAccount(String),
    Regenerate {
        rule_id: String,
        key: String,
        secondary: bool,
    },
    Delete {
        id: String,
        key: String,
    },
}

#[derive(Debug, Clone)]
pub struct Confirm {
    pub title: String,
    pub text: String,
    pub button: String,
    pub action: ConfirmAction,
}

impl Confirm {
    pub fn remove_account(id: &str, label: &str) -> Self {
        Self {
            title: "Remove account".into(),
            text: format!(
                "Remove '{label}'? Its saved sign-in and secrets are deleted from the keyring."
            ),
            button: "Remove".into(),
            action: ConfirmAction::RemoveAccount(id.to_string()),
        }
    }

    pub fn regenerate(rule_id: &str, key: &str, secondary: bool, name: &str) -> Self {
        let which = if secondary { "secondary" } else { "primary" };
        Self {
            title: "Regenerate key".into(),
            text: format!(
                "Regenerate the {which} key of '{name}'? Every client that uses it stops working until it gets the new one."
            ),
            button: format!("Regenerate {which} key"),
            action: ConfirmAction::Regenerate {
                rule_id: rule_id.to_string(),
                key: key.to_string(),
                secondary,
            },
        }
    }

    pub fn delete(id: &str, key: &str) -> Self {
        let name = id.rsplit('/').next().unwrap_or(id);
        Self {
            title: "Delete".into(),
            text: format!("Delete '{name}'? This cannot be undone."),
            button: format!("Delete {name}"),
            action: ConfirmAction::Delete {
                id: id.to_string(),
                key: key.to_string(),
            },
        }
    }
}

impl App {
    pub(super) fn dialogs_ui(&mut self, ctx: &egui::Context) {
        self.device_code_ui(ctx);
        self.add_account_ui(ctx);
        self.confirm_ui(ctx);
        self.accounts_window_ui(ctx);
    }

    fn device_code_ui(&mut self, ctx: &egui::Context) {
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
        if cancel {
            if let Some(s) = self.sessions.get(&pending.account_id)
                && let Some(d) = &s.device_code
            {
                d.cancel();
            }
            self.device_code = None;
        }
    }

    fn add_account_ui(&mut self, ctx: &egui::Context) {
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
                            ui.add(egui::TextEdit::singleline(value).hint_text(hint).desired_width(300.0)).labelled_by(l.id);
                        });
                    }
                }
                CloudPick::ReadyFile => {
                    ui.horizontal(|ui| {
                        let l = ui.label("Ready file");
                        ui.add(egui::TextEdit::singleline(&mut d.ready_file).hint_text("emulator.json").desired_width(300.0)).labelled_by(l.id);
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
                    ui.add(egui::TextEdit::singleline(value).hint_text(hint).password(password).desired_width(300.0)).labelled_by(l.id);
                });
            };
            match d.method {
                AuthMethod::DeviceCode => {
                    ui.weak("A person: you get a code to enter in a browser. The sign-in is kept in the OS keyring.");
                    field(ui, "Tenant (optional)", &mut d.tenant, "contoso.onmicrosoft.com or its id", false);
                    field(ui, "Client id (optional)", &mut d.client_id, "default: the Azure CLI's", false);
                }
                AuthMethod::ClientSecret => {
                    ui.weak("An app registration. The secret goes to the OS keyring, never to a file.");
                    field(ui, "Tenant", &mut d.tenant, "id or domain", false);
                    field(ui, "Client id", &mut d.client_id, "the app's client (application) id", false);
                    field(ui, "Client secret", &mut d.secret, "", true);
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
                    ui.weak("Attach one namespace or entity with a SAS connection string (kept in the OS keyring). No Entra sign-in.");
                    field(ui, "Connection string", &mut d.connection_string, "Endpoint=sb://…;SharedAccessKeyName=…;SharedAccessKey=…", true);
                }
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

    fn confirm_ui(&mut self, ctx: &egui::Context) {
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
        match done {
            Some(true) => {
                self.confirm = None;
                let mut cx = super::app::details_cx!(self);
                self.details.run_confirmed(&mut cx, c.action);
            }
            Some(false) => self.confirm = None,
            None => {}
        }
    }

    fn accounts_window_ui(&mut self, ctx: &egui::Context) {
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
                        super::widgets::report_ui(ui, e);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_connection_string_is_refused_with_the_part_that_is_wrong() {
        let d = AddAccount {
            method: AuthMethod::ConnectionString,
            connection_string: "Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=a"
                .into(),
            ..Default::default()
        };
        let e = d.build().unwrap_err();
        assert!(e.contains("SharedAccessKey"), "{e}");
    }

    #[test]
    fn a_client_secret_account_needs_its_three_parts() {
        let mut d = AddAccount {
            method: AuthMethod::ClientSecret,
            ..Default::default()
        };
        assert!(d.build().unwrap_err().contains("tenant"));
        d.tenant = "t".into();
        assert!(d.build().unwrap_err().contains("client"));
        d.client_id = "c".into();
        assert!(d.build().unwrap_err().contains("secret"));
        d.secret = "s".into();
        let (a, secret) = d.build().unwrap();
        assert_eq!(secret.as_deref(), Some("s"));
        assert_eq!(a.client_id.as_deref(), Some("c"));
    }
}
