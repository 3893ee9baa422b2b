//! The emulator's ready file: what a script, a CI job or the app needs to drive an emulator,
//! written once every endpoint accepts connections. Its keys are a contract (see the README).
//! The format sits at the cloud level so the emulator (which writes it) and its clients (which
//! read it, e.g. [`super::Cloud::from_ready_file`]) share one type.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ManagedIdentityInfo {
    pub endpoint: String,
    pub header: String,
    pub object_id: String,
    pub client_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AdminInfo {
    pub client_id: String,
    pub client_secret: String,
    pub object_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PrincipalInfo {
    pub kind: String,
    pub display_name: String,
    pub object_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<String>>,
    /// For managed identities: the ARM id of the identity (user-assigned) or of its host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ReadyInfo {
    pub tenant_id: String,
    pub subscription_id: String,
    pub authority_host: String,
    pub resource_manager: String,
    pub graph: String,
    pub ca_cert: String,
    pub managed_identity: ManagedIdentityInfo,
    pub admin: AdminInfo,
    pub principals: Vec<PrincipalInfo>,
    /// The managed-identity endpoint's IMDS-style token URL.
    pub imds_endpoint: String,
    pub state_dir: String,
}

impl ReadyInfo {
    /// A readable summary for the terminal (no secrets).
    pub fn summary(&self) -> String {
        format!(
            "Relay Explorer emulator is ready.\n\
             \x20 tenant            {}\n\
             \x20 subscription      {}\n\
             \x20 login (authority) {}\n\
             \x20 resource manager  {}\n\
             \x20 graph             {}\n\
             \x20 managed identity  {}\n\
             \x20 CA certificate    {}\n\
             \x20 state             {}\n\
             Secrets (admin client secret, demo passwords) are in the ready file only.",
            self.tenant_id,
            self.subscription_id,
            self.authority_host,
            self.resource_manager,
            self.graph,
            self.managed_identity.endpoint,
            self.ca_cert,
            self.state_dir,
        )
    }
}
