//! Accounts: what is remembered about each sign-in (never a secret: client secrets, connection
//! strings and refresh tokens go to the vault), the file it is kept in, and how an account
//! becomes a [`Session`] with a credential and clients.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use azure_core::credentials::TokenCredential;
use serde::{Deserialize, Serialize};

use crate::arm::graph::GraphClient;
use crate::arm::{ArmClient, DEFAULT_CONCURRENCY};
use crate::auth::{
    self, AuthMethod, DeviceCodeCredential, DeviceCodePrompt, ManagedIdentityChoice, SecretKind,
    SignIn, Vault,
};
use crate::cloud::Cloud;
use crate::relay::protocol::ConnectionString;

/// Where an account signs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CloudConfig {
    /// `AzureCloud`, `AzureChinaCloud` or `AzureUSGovernment`.
    Azure { name: String },
    /// The emulator the app runs in-process.
    Embedded,
    /// An emulator started elsewhere, by its ready file.
    ReadyFile { path: PathBuf },
    /// Any other cloud, by its endpoints.
    Custom {
        name: String,
        authority_host: String,
        resource_manager: String,
        graph: String,
        #[serde(default)]
        ca_cert: Option<PathBuf>,
    },
}

impl CloudConfig {
    pub fn label(&self) -> String {
        match self {
            CloudConfig::Azure { name } => match name.as_str() {
                "AzureChinaCloud" => "Azure China".into(),
                "AzureUSGovernment" => "Azure US Government".into(),
                _ => "Azure".into(),
            },
            CloudConfig::Embedded => "local emulator".into(),
            CloudConfig::ReadyFile { path } => format!("emulator {}", path.display()),
            CloudConfig::Custom { name, .. } => name.clone(),
        }
    }
}

/// Which managed identity an account uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "by", content = "id", rename_all = "snake_case")]
pub enum IdentityConfig {
    #[default]
    SystemAssigned,
    ClientId(String),
    ObjectId(String),
    ResourceId(String),
}

/// One account as remembered between runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountConfig {
    pub id: String,
    pub label: String,
    pub cloud: CloudConfig,
    pub method: AuthMethod,
    #[serde(default)]
    pub tenant_id: Option<String>,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub managed_identity: IdentityConfig,
    /// Signs in as the embedded emulator's bootstrap admin (its secret is read from the
    /// emulator each run, never stored).
    #[serde(default)]
    pub emulator_admin: bool,
    /// Subscriptions unticked in the accounts panel.
    #[serde(default)]
    pub hidden_subscriptions: Vec<String>,
}

impl AccountConfig {
    pub fn new(label: String, cloud: CloudConfig, method: AuthMethod) -> Self {
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            label,
            cloud,
            method,
            tenant_id: None,
            client_id: None,
            managed_identity: IdentityConfig::default(),
            emulator_admin: false,
            hidden_subscriptions: Vec::new(),
        }
    }

    /// The demo account of the embedded emulator.
    pub fn demo(ready: &crate::cloud::ReadyInfo) -> Self {
        let mut a = Self::new(
            "Northwind demo (local emulator)".into(),
            CloudConfig::Embedded,
            AuthMethod::ClientSecret,
        );
        a.tenant_id = Some(ready.tenant_id.clone());
        a.client_id = Some(ready.admin.client_id.clone());
        a.emulator_admin = true;
        a
    }

    /// The vault entry of this account's own secret (client secret or connection string).
    pub fn vault_key(&self) -> String {
        format!("account|{}", self.id)
    }

    pub fn method_label(&self) -> &'static str {
        method_label(self.method)
    }

    /// The credential options of the CLI that sign in the same way (for "copy as command").
    pub fn cli_options(&self, emulator_ready: Option<&Path>) -> String {
        let mut parts = Vec::new();
        match self.method {
            AuthMethod::ConnectionString => {
                parts.push("--connection-string \"$AZURE_RELAY_CONNECTION_STRING\"".to_string())
            }
            m => parts.push(format!("--auth {}", method_arg(m))),
        }
        if let Some(t) = &self.tenant_id {
            parts.push(format!("--tenant {t}"));
        }
        if let Some(c) = &self.client_id {
            parts.push(format!("--client-id {c}"));
        }
        match &self.cloud {
            CloudConfig::Azure { name } if name != "AzureCloud" => {
                parts.push(format!("--cloud {name}"))
            }
            CloudConfig::Embedded => {
                if let Some(p) = emulator_ready {
                    parts.push(format!("--emulator {}", p.display()));
                }
            }
            CloudConfig::ReadyFile { path } => parts.push(format!("--emulator {}", path.display())),
            _ => {}
        }
        parts.join(" ")
    }
}

pub fn method_label(m: AuthMethod) -> &'static str {
    match m {
        AuthMethod::DeviceCode => "device code",
        AuthMethod::ClientSecret => "client secret",
        AuthMethod::ManagedIdentity => "managed identity",
        AuthMethod::AzureCli => "Azure CLI",
        AuthMethod::ConnectionString => "connection string",
    }
}

fn method_arg(m: AuthMethod) -> &'static str {
    match m {
        AuthMethod::DeviceCode => "device-code",
        AuthMethod::ClientSecret => "client-secret",
        AuthMethod::ManagedIdentity => "managed-identity",
        AuthMethod::AzureCli => "azure-cli",
        AuthMethod::ConnectionString => "connection-string",
    }
}

/// The accounts file (`accounts.json` in the config folder): a list of [`AccountConfig`].
pub struct AccountsFile {
    path: PathBuf,
}

impl AccountsFile {
    pub fn new(config_dir: &Path) -> Self {
        Self {
            path: config_dir.join("accounts.json"),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `None` when there is no file yet (a first start).
    pub fn load(&self) -> Result<Option<Vec<AccountConfig>>> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => serde_json::from_str(&text).map(Some).with_context(|| {
                format!(
                    "{} is not a list of accounts; fix or delete it",
                    self.path.display()
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", self.path.display())),
        }
    }

    pub fn save(&self, accounts: &[AccountConfig]) -> Result<()> {
        let json = serde_json::to_vec_pretty(accounts)?;
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        crate::files::write_private(&self.path, &json)
    }
}

/// A signed-in account: its cloud, HTTP client, credential and clients.
pub struct Session {
    pub account: AccountConfig,
    pub cloud: Cloud,
    /// For requests sent through a hybrid connection (HTTP/1.1, as the relay speaks); the
    /// credential and the ARM and Graph clients have the cloud's own.
    pub relay_http: reqwest::Client,
    pub credential: Option<Arc<dyn TokenCredential>>,
    /// Kept to cancel a pending device-code sign-in, or to sign out.
    pub device_code: Option<Arc<DeviceCodeCredential>>,
    pub arm: Option<ArmClient>,
    pub graph: Option<GraphClient>,
    pub connection_string: Option<ConnectionString>,
    /// The ready file of the emulator this account talks to, for "copy as command".
    pub emulator_ready: Option<PathBuf>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("account", &self.account.label)
            .field("cloud", &self.cloud.name)
            .finish_non_exhaustive()
    }
}

/// What an account needs from the running app to become a session.
pub struct SessionInputs {
    pub vault: Arc<Vault>,
    /// The embedded emulator's ready information, when it runs.
    pub embedded: Option<(crate::cloud::ReadyInfo, PathBuf)>,
    /// Shows a device code to the user.
    pub prompt: Option<auth::PromptFn>,
}

fn cloud_of(account: &AccountConfig, inputs: &SessionInputs) -> Result<(Cloud, Option<PathBuf>)> {
    Ok(match &account.cloud {
        CloudConfig::Azure { name } => (Cloud::by_name(name)?, None),
        CloudConfig::Embedded => {
            let Some((ready, path)) = &inputs.embedded else {
                bail!(
                    "the local emulator is not running (see the activity log for why it did not start)"
                )
            };
            (Cloud::from_ready(ready), Some(path.clone()))
        }
        CloudConfig::ReadyFile { path } => (Cloud::from_ready_file(path)?.0, Some(path.clone())),
        CloudConfig::Custom {
            name,
            authority_host,
            resource_manager,
            graph,
            ca_cert,
        } => {
            let mut c = Cloud::azure_public();
            c.name = name.clone();
            c.authority_host = authority_host.trim_end_matches('/').to_string();
            c.resource_manager = resource_manager.trim_end_matches('/').to_string();
            c.graph = graph.trim_end_matches('/').to_string();
            c.ca_cert = ca_cert.clone();
            (c, None)
        }
    })
}

/// Builds the session of an account. Nothing here waits on the network: tokens are fetched when
/// the first request needs one.
pub fn session(account: &AccountConfig, inputs: &SessionInputs) -> Result<Session> {
    let (cloud, emulator_ready) = cloud_of(account, inputs)?;
    let http = auth::http_client(&cloud)?;
    let relay_http = crate::relay::client::sender_http_client(&cloud)?;
    let mut account = account.clone();
    if account.tenant_id.is_none() {
        account.tenant_id = match (&account.cloud, &inputs.embedded) {
            (CloudConfig::Embedded, Some((r, _))) => Some(r.tenant_id.clone()),
            (CloudConfig::ReadyFile { path }, _) => {
                Cloud::from_ready_file(path).ok().map(|(_, r)| r.tenant_id)
            }
            _ => None,
        };
    }
    let account = &account;
    let mut s = Session {
        account: account.clone(),
        cloud: cloud.clone(),
        relay_http,
        credential: None,
        device_code: None,
        arm: None,
        graph: None,
        connection_string: None,
        emulator_ready,
    };
    if account.method == AuthMethod::ConnectionString {
        let text = inputs
            .vault
            .get(&account.vault_key(), SecretKind::SasKey)?
            .context("the connection string of this account is not in the keyring any more: remove the account and attach it again")?;
        s.connection_string = Some(ConnectionString::parse(&text)?);
        return Ok(s);
    }
    let secret = match (account.method, account.emulator_admin) {
        (AuthMethod::ClientSecret, true) => Some(
            inputs
                .embedded
                .as_ref()
                .map(|(r, _)| r.admin.client_secret.clone())
                .context("the local emulator is not running")?,
        ),
        (AuthMethod::ClientSecret, false) => Some(
            inputs
                .vault
                .get(&account.vault_key(), SecretKind::ClientSecret)?
                .context("the client secret of this account is not in the keyring any more: remove the account and add it again")?,
        ),
        _ => None,
    };
    let credential: Arc<dyn TokenCredential> = if account.method == AuthMethod::DeviceCode {
        let tenant = account
            .tenant_id
            .clone()
            .unwrap_or_else(|| "organizations".into());
        let device = Arc::new(DeviceCodeCredential::new(
            http.clone(),
            &cloud.authority_host,
            &tenant,
            account
                .client_id
                .as_deref()
                .unwrap_or(auth::AZURE_CLI_CLIENT_ID),
            inputs.vault.clone(),
            inputs.prompt.clone(),
        ));
        s.device_code = Some(device.clone());
        device
    } else {
        let sign_in = SignIn {
            cloud: cloud.clone(),
            method: account.method,
            tenant_id: account.tenant_id.clone(),
            client_id: account.client_id.clone(),
            client_secret: secret,
            managed_identity: match &account.managed_identity {
                IdentityConfig::SystemAssigned => ManagedIdentityChoice::SystemAssigned,
                IdentityConfig::ClientId(c) => ManagedIdentityChoice::ClientId(c.clone()),
                IdentityConfig::ObjectId(c) => ManagedIdentityChoice::ObjectId(c.clone()),
                IdentityConfig::ResourceId(c) => ManagedIdentityChoice::ResourceId(c.clone()),
            },
        };
        auth::credential(&sign_in, &http, inputs.vault.clone(), None)?
    };
    s.arm = Some(ArmClient::new(
        &cloud,
        &http,
        credential.clone(),
        DEFAULT_CONCURRENCY,
    ));
    s.graph = Some(GraphClient::new(&cloud, &http, credential.clone()));
    s.credential = Some(credential);
    Ok(s)
}

/// Shown while a device-code sign-in waits for the user.
#[derive(Debug, Clone)]
pub struct PendingDeviceCode {
    pub account_id: String,
    pub prompt: DeviceCodePrompt,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_round_trip_without_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let file = AccountsFile::new(dir.path());
        assert!(file.load().unwrap().is_none(), "no file is a first start");
        let mut a = AccountConfig::new(
            "ci app".into(),
            CloudConfig::Azure {
                name: "AzureCloud".into(),
            },
            AuthMethod::ClientSecret,
        );
        a.client_id = Some("00000000-0000-0000-0000-000000000001".into());
        file.save(std::slice::from_ref(&a)).unwrap();
        let back = file.load().unwrap().unwrap();
        assert_eq!(back, vec![a]);
        let text = std::fs::read_to_string(file.path()).unwrap();
        assert!(!text.contains("secret\":"), "{text}");
        std::fs::write(file.path(), "{oops").unwrap();
        let err = format!("{:#}", file.load().unwrap_err());
        assert!(
            err.contains("accounts.json") && err.contains("fix or delete"),
            "{err}"
        );
    }

    #[test]
    fn cli_options_sign_in_the_same_way() {
        let mut a = AccountConfig::new(
            "x".into(),
            CloudConfig::Azure {
                name: "AzureChinaCloud".into(),
            },
            AuthMethod::DeviceCode,
        );
        a.tenant_id = Some("contoso.onmicrosoft.com".into());
        assert_eq!(
            a.cli_options(None),
            "--auth device-code --tenant contoso.onmicrosoft.com --cloud AzureChinaCloud"
        );
    }
}
