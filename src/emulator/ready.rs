//! The ready file's contents, made from the running emulator (the format itself lives in
//! [`crate::cloud::ready`], below both the emulator and its clients).

use std::path::Path;

pub use crate::cloud::ready::{AdminInfo, ManagedIdentityInfo, PrincipalInfo, ReadyInfo};

use super::Shared;

/// What this emulator writes into its ready file (an inherent constructor kept beside the
/// emulator, which alone knows a `Shared`).
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
}
