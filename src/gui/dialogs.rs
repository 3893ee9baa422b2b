//! Dialogs: add an account (cloud, then method), the device code, confirmations, and the
//! accounts panel (accounts → tenants → subscriptions with checkboxes).

use std::path::PathBuf;

use super::accounts::{AccountConfig, CloudConfig, IdentityConfig};
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
    pub fn label(self) -> &'static str {
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
    /// The masked field (secret, connection string) shown as typed.
    pub show_secret: bool,
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
            show_secret: false,
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
                // The endpoint says where it connects: a loopback one is the local emulator.
                let host = cs.endpoint.host_str().unwrap_or_default();
                let local = host.eq_ignore_ascii_case("localhost")
                    || host.to_ascii_lowercase().ends_with(".localhost")
                    || host
                        .trim_matches(['[', ']'])
                        .parse::<std::net::IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback());
                match (&cloud, local) {
                    (CloudConfig::Azure { .. }, true) => a.cloud = CloudConfig::Embedded,
                    (CloudConfig::Embedded, false) => {
                        return Err(format!(
                            "the connection string's endpoint {host} is not the local emulator (its namespaces are on localhost): choose Azure for it"
                        ));
                    }
                    _ => {}
                }
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
    /// A role assignment, by its id; `key` is the node whose tab showed it.
    DeleteAssignment {
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

    /// Deleting a role assignment: `what` says whose role at which scope.
    pub fn delete_assignment(id: &str, key: &str, what: &str) -> Self {
        Self {
            title: "Delete role assignment".into(),
            text: format!(
                "Delete the role assignment {what}? The access it grants ends (Azure may take a few minutes to apply it everywhere)."
            ),
            button: "Delete the assignment".into(),
            action: ConfirmAction::DeleteAssignment {
                id: id.to_string(),
                key: key.to_string(),
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
    fn a_connection_strings_endpoint_decides_where_it_connects() {
        let mut d = AddAccount {
            method: AuthMethod::ConnectionString,
            connection_string:
                "Endpoint=sb://localhost:50123/;SharedAccessKeyName=a;SharedAccessKey=k".into(),
            ..Default::default()
        };
        assert_eq!(d.cloud, CloudPick::Azure, "the default pick");
        let (a, _) = d.build().unwrap();
        assert!(matches!(a.cloud, CloudConfig::Embedded), "{:?}", a.cloud);
        d.connection_string =
            "Endpoint=sb://contoso.servicebus.windows.net/;SharedAccessKeyName=a;SharedAccessKey=k"
                .into();
        let (a, _) = d.build().unwrap();
        assert!(matches!(a.cloud, CloudConfig::Azure { .. }));
        d.cloud = CloudPick::Embedded;
        let e = d.build().unwrap_err();
        assert!(
            e.contains("contoso.servicebus.windows.net") && e.contains("choose Azure"),
            "{e}"
        );
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
