//! Credentials → tokens. A person signs in with a device code; an app registration with a
//! client secret; a workload with its managed identity; a developer reuses the Azure CLI's
//! sign-in (these three through `azure_identity`); and a SAS connection string needs no Entra
//! at all (`relay::protocol`). Secrets live in the [`vault::Vault`].

pub mod device_code;
pub mod diagnose;
pub mod jwt;
pub mod vault;

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::credentials::{Secret, TokenCredential};
use azure_core::http::{ClientOptions, Transport};
use azure_identity::{
    AzureCliCredential, ClientSecretCredential, ClientSecretCredentialOptions,
    ManagedIdentityCredential, ManagedIdentityCredentialOptions, UserAssignedId,
};

use crate::cloud::Cloud;
pub use device_code::{DeviceCodeCredential, DeviceCodePrompt, PromptFn, SignInError};
pub use vault::{SecretKind, Vault};

/// A token could not be had for a scope: the credential's own words (Entra's AADSTS sentence,
/// the managed-identity endpoint's answer), each cause once.
#[derive(Debug, Clone, thiserror::Error)]
#[error("could not get a token for {scope}: {message}")]
pub struct TokenError {
    pub scope: String,
    pub message: String,
}

impl TokenError {
    pub fn new(scope: &str, e: &(dyn std::error::Error + 'static)) -> Self {
        Self {
            scope: scope.to_string(),
            message: crate::error_chain::error_chain(e),
        }
    }

    /// What a person can do about it (read once from the credential's words).
    pub fn hint(&self) -> Option<crate::access::explain::Hint> {
        crate::access::explain::Hint::from_service_message(&self.message)
    }
}

/// The public client Azure tools use for device-code sign-in (the Azure CLI's).
pub const AZURE_CLI_CLIENT_ID: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

/// How an account signs in.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum AuthMethod {
    DeviceCode,
    ClientSecret,
    ManagedIdentity,
    AzureCli,
    ConnectionString,
}

/// Which managed identity to use when a machine has several.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManagedIdentityChoice {
    SystemAssigned,
    ClientId(String),
    ObjectId(String),
    ResourceId(String),
}

/// Everything needed to make a credential, without its secrets' values in `Debug`.
#[derive(Clone)]
pub struct SignIn {
    pub cloud: Cloud,
    pub method: AuthMethod,
    pub tenant_id: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub managed_identity: ManagedIdentityChoice,
}

impl SignIn {
    /// An app registration signing in with a client secret.
    pub fn client_secret(cloud: Cloud, tenant_id: &str, client_id: &str, secret: &str) -> Self {
        Self {
            cloud,
            method: AuthMethod::ClientSecret,
            tenant_id: Some(tenant_id.to_string()),
            client_id: Some(client_id.to_string()),
            client_secret: Some(secret.to_string()),
            managed_identity: ManagedIdentityChoice::SystemAssigned,
        }
    }
}

impl std::fmt::Debug for SignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignIn")
            .field("cloud", &self.cloud.name)
            .field("method", &self.method)
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "***"))
            .field("managed_identity", &self.managed_identity)
            .finish()
    }
}

pub use crate::cloud::tls::{http_client, http_client_builder};

/// `azure_identity` client options for a cloud: its authority and our HTTP client.
pub fn client_options(cloud: &Cloud, http: &reqwest::Client) -> ClientOptions {
    let configuration = match cloud.name.as_str() {
        "AzureCloud" => CloudConfiguration::AzurePublic,
        "AzureChinaCloud" => CloudConfiguration::AzureChina,
        "AzureUSGovernment" => CloudConfiguration::AzureGovernment,
        _ => {
            let mut custom = CustomConfiguration::default();
            custom.authority_host = cloud.authority_host.clone();
            CloudConfiguration::Custom(custom)
        }
    };
    ClientOptions {
        transport: Some(Transport::new(Arc::new(http.clone()))),
        cloud: Some(Arc::new(configuration)),
        ..Default::default()
    }
}

/// How a sign-in retries: a few quick tries, then the cause. azure_core's default (8 tries over
/// about 80 s) kept a person waiting 81 s for "connection refused" from a stopped endpoint.
fn sign_in_retry() -> azure_core::http::RetryOptions {
    azure_core::http::RetryOptions::exponential(azure_core::http::ExponentialRetryOptions {
        initial_delay: time::Duration::milliseconds(200),
        max_retries: 2,
        max_total_elapsed: time::Duration::seconds(5),
        max_delay: time::Duration::seconds(2),
    })
}

/// Makes the credential a sign-in asks for. `prompt` shows a device code to the user.
pub fn credential(
    sign_in: &SignIn,
    http: &reqwest::Client,
    vault: Arc<Vault>,
    prompt: Option<PromptFn>,
) -> Result<Arc<dyn TokenCredential>> {
    let options = ClientOptions {
        retry: sign_in_retry(),
        ..client_options(&sign_in.cloud, http)
    };
    let tenant = || {
        sign_in
            .tenant_id
            .clone()
            .context("no tenant: set AZURE_TENANT_ID or pass --tenant (or --emulator READY_FILE)")
    };
    Ok(match sign_in.method {
        AuthMethod::ClientSecret => {
            let client_id = sign_in
                .client_id
                .clone()
                .context("no client id: set AZURE_CLIENT_ID or pass --client-id")?;
            let secret = sign_in
                .client_secret
                .clone()
                .context("no client secret: set AZURE_CLIENT_SECRET (it is never taken from the command line)")?;
            ClientSecretCredential::new(
                &tenant()?,
                client_id,
                Secret::new(secret),
                Some(ClientSecretCredentialOptions {
                    client_options: options,
                }),
            )
            .context("could not set up the client-secret credential")?
        }
        AuthMethod::ManagedIdentity => {
            let user_assigned_id = match &sign_in.managed_identity {
                ManagedIdentityChoice::SystemAssigned => {
                    sign_in.client_id.clone().map(UserAssignedId::ClientId)
                }
                ManagedIdentityChoice::ClientId(id) => Some(UserAssignedId::ClientId(id.clone())),
                ManagedIdentityChoice::ObjectId(id) => Some(UserAssignedId::ObjectId(id.clone())),
                ManagedIdentityChoice::ResourceId(id) => {
                    Some(UserAssignedId::ResourceId(id.clone()))
                }
            };
            ManagedIdentityCredential::new(Some(ManagedIdentityCredentialOptions {
                user_assigned_id,
                client_options: options,
            }))
            .context("could not set up the managed-identity credential")?
        }
        AuthMethod::AzureCli => {
            AzureCliCredential::new(None).context("could not set up the Azure CLI credential")?
        }
        AuthMethod::DeviceCode => Arc::new(DeviceCodeCredential::new(
            http.clone(),
            &sign_in.cloud.authority_host,
            &tenant()?,
            sign_in.client_id.as_deref().unwrap_or(AZURE_CLI_CLIENT_ID),
            vault,
            prompt,
        )),
        AuthMethod::ConnectionString => {
            bail!(
                "a connection string signs Relay requests with SAS; it gives no Entra token (use --auth device-code, client-secret, managed-identity or azure-cli)"
            )
        }
    })
}
