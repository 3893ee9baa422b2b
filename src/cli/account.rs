//! The credential options every command shares, and what they make.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Args;

use crate::auth::{self, AuthMethod, DeviceCodePrompt, ManagedIdentityChoice, SignIn, Vault};
use crate::cloud::{Cloud, ReadyInfo};

#[derive(Debug, Args, Clone)]
pub struct CredentialArgs {
    /// How to sign in.
    #[arg(long, value_enum, default_value = "device-code", global = true)]
    pub auth: AuthMethod,
    /// The Entra tenant (id or domain).
    #[arg(long, env = "AZURE_TENANT_ID", value_name = "ID", global = true)]
    pub tenant: Option<String>,
    /// The app registration's client id (client secret), the user-assigned managed identity's
    /// client id, or the public client used for device code [default: the Azure CLI's].
    #[arg(long, env = "AZURE_CLIENT_ID", value_name = "ID", global = true)]
    pub client_id: Option<String>,
    /// A user-assigned managed identity by its object (principal) id.
    #[arg(
        long,
        value_name = "ID",
        global = true,
        conflicts_with = "managed_identity_resource_id"
    )]
    pub managed_identity_object_id: Option<String>,
    /// A user-assigned managed identity by its ARM resource id.
    #[arg(long, value_name = "ARM_ID", global = true)]
    pub managed_identity_resource_id: Option<String>,
    /// The cloud: AzureCloud, AzureChinaCloud or AzureUSGovernment.
    #[arg(long, value_name = "NAME", default_value = "AzureCloud", global = true)]
    pub cloud: String,
    /// A Relay connection string (Endpoint=sb://…;SharedAccessKeyName=…;SharedAccessKey=…[;EntityPath=…]).
    #[arg(
        long,
        value_name = "CS",
        env = "AZURE_RELAY_CONNECTION_STRING",
        hide_env_values = true,
        global = true
    )]
    pub connection_string: Option<String>,
    /// Use the endpoints, tenant and CA of a local emulator (its --ready-file).
    #[arg(long, value_name = "READY_FILE", global = true)]
    pub emulator: Option<PathBuf>,
}

/// A signed-in context: the cloud, the HTTP client and the credential.
pub struct Session {
    pub cloud: Cloud,
    pub http: reqwest::Client,
    pub credential: Arc<dyn azure_core::credentials::TokenCredential>,
    pub ready: Option<ReadyInfo>,
    /// Where sign-ins and secrets are kept ("the kernel keyutils keyring").
    pub kept_in: String,
}

fn print_prompt(p: &DeviceCodePrompt) {
    let minutes = (p.expires_at - chrono::Utc::now().timestamp()).max(0) / 60;
    eprintln!(
        "To sign in, open {} and enter the code {} (it expires in {minutes} minutes).",
        p.verification_uri, p.user_code
    );
}

impl CredentialArgs {
    pub fn cloud(&self) -> Result<(Cloud, Option<ReadyInfo>)> {
        match &self.emulator {
            Some(path) => {
                let (cloud, ready) = Cloud::from_ready_file(path)?;
                Ok((cloud, Some(ready)))
            }
            None => Ok((Cloud::by_name(&self.cloud)?, None)),
        }
    }

    pub fn session(&self) -> Result<Session> {
        let (cloud, ready) = self.cloud()?;
        let http = auth::http_client(&cloud)?;
        let vault = Arc::new(Vault::open());
        if let Some(w) = vault.warning()
            && self.auth == AuthMethod::DeviceCode
        {
            eprintln!("warning: {w}");
        }
        let managed_identity = match (
            &self.managed_identity_object_id,
            &self.managed_identity_resource_id,
        ) {
            (Some(o), _) => ManagedIdentityChoice::ObjectId(o.clone()),
            (_, Some(r)) => ManagedIdentityChoice::ResourceId(r.clone()),
            _ => match (&self.client_id, self.auth) {
                (Some(c), AuthMethod::ManagedIdentity) => {
                    ManagedIdentityChoice::ClientId(c.clone())
                }
                _ => ManagedIdentityChoice::SystemAssigned,
            },
        };
        let sign_in = SignIn {
            cloud: cloud.clone(),
            method: self.auth,
            tenant_id: self
                .tenant
                .clone()
                .or_else(|| ready.as_ref().map(|r| r.tenant_id.clone())),
            client_id: self.client_id.clone(),
            client_secret: std::env::var("AZURE_CLIENT_SECRET")
                .ok()
                .filter(|s| !s.is_empty()),
            managed_identity,
        };
        let kept_in = vault.where_kept();
        let prompt: auth::PromptFn = Arc::new(print_prompt);
        let credential =
            auth::credential(&sign_in, &http, vault, Some(prompt)).context("cannot sign in")?;
        Ok(Session {
            cloud,
            http,
            credential,
            ready,
            kept_in,
        })
    }
}
