//! The ready file: what a script or CI job needs to drive the emulator, written once every
//! endpoint accepts connections. Its keys are a contract (see the README).

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::Shared;

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
    pub fn new(shared: &Shared, ca_cert: &Path) -> Self {
        let world = shared.world.lock();
        let e = &shared.endpoints;
        let system_mi = world
            .managed_identities
            .iter()
            .find(|m| !m.user_assigned && m.resource_id.eq_ignore_ascii_case(&world.identity_host));
        let admin = world.application(&world.admin_client_id);
        let mut principals = Vec::new();
        for u in &world.users {
            principals.push(PrincipalInfo {
                kind: "user".into(),
                display_name: u.display_name.clone(),
                object_id: u.object_id.clone(),
                client_id: None,
                username: Some(u.user_principal_name.clone()),
                password: Some(u.password.clone()),
                client_secret: None,
                members: None,
                resource_id: None,
            });
        }
        for a in &world.applications {
            principals.push(PrincipalInfo {
                kind: "servicePrincipal".into(),
                display_name: a.display_name.clone(),
                object_id: a.object_id.clone(),
                client_id: Some(a.client_id.clone()),
                username: None,
                password: None,
                client_secret: a.client_secrets.first().cloned(),
                members: None,
                resource_id: None,
            });
        }
        for g in &world.groups {
            principals.push(PrincipalInfo {
                kind: "group".into(),
                display_name: g.display_name.clone(),
                object_id: g.object_id.clone(),
                client_id: None,
                username: None,
                password: None,
                client_secret: None,
                members: Some(g.members.clone()),
                resource_id: None,
            });
        }
        for m in &world.managed_identities {
            principals.push(PrincipalInfo {
                kind: "managedIdentity".into(),
                display_name: m.display_name.clone(),
                object_id: m.object_id.clone(),
                client_id: Some(m.client_id.clone()),
                username: None,
                password: None,
                client_secret: None,
                members: None,
                resource_id: Some(m.resource_id.clone()),
            });
        }
        Self {
            tenant_id: world.tenant.id.clone(),
            subscription_id: world
                .subscriptions
                .first()
                .map(|s| s.subscription_id.clone())
                .unwrap_or_default(),
            authority_host: e.authority.clone(),
            resource_manager: e.resource_manager.clone(),
            graph: e.graph.clone(),
            ca_cert: ca_cert.display().to_string(),
            managed_identity: ManagedIdentityInfo {
                endpoint: format!("{}/msi/token", e.managed_identity),
                header: shared.identity_header.clone(),
                object_id: system_mi.map(|m| m.object_id.clone()).unwrap_or_default(),
                client_id: system_mi.map(|m| m.client_id.clone()).unwrap_or_default(),
            },
            admin: AdminInfo {
                client_id: world.admin_client_id.clone(),
                client_secret: admin
                    .and_then(|a| a.client_secrets.first().cloned())
                    .unwrap_or_default(),
                object_id: admin.map(|a| a.object_id.clone()).unwrap_or_default(),
            },
            principals,
            imds_endpoint: format!("{}/metadata/identity/oauth2/token", e.managed_identity),
            state_dir: shared.options.state_dir.display().to_string(),
        }
    }

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
