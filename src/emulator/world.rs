//! The emulator's world: the directory (tenant, users, groups, apps, managed identities), the
//! subscriptions and ARM resources, and the RBAC assignments. Seeded from a world file in
//! `assets/`, changed through the ARM API, kept in the state folder.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::access::{self, DenyAssignment, RoleAssignment, RoleDefinition};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tenant {
    pub id: String,
    pub display_name: String,
    pub default_domain: String,
    #[serde(default = "default_country")]
    pub country_code: String,
}

fn default_country() -> String {
    "US".into()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    pub object_id: String,
    pub display_name: String,
    pub user_principal_name: String,
    pub password: String,
    #[serde(default)]
    pub given_name: Option<String>,
    #[serde(default)]
    pub surname: Option<String>,
    #[serde(default)]
    pub job_title: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Group {
    pub object_id: String,
    pub display_name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Object ids of users, service principals or groups.
    #[serde(default)]
    pub members: Vec<String>,
}

/// An app registration with its service principal in the tenant.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Application {
    pub display_name: String,
    /// The application (client) id.
    pub client_id: String,
    /// The service principal's object id: what role assignments name.
    pub object_id: String,
    /// Client secrets; empty for public clients. An empty string in the world file means
    /// "generate one at first start".
    #[serde(default)]
    pub client_secrets: Vec<String>,
    /// A public client (device code sign-in), such as the Azure CLI.
    #[serde(default)]
    pub public_client: bool,
}

/// A managed identity: a service principal with `servicePrincipalType: ManagedIdentity`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ManagedIdentity {
    pub display_name: String,
    pub client_id: String,
    /// The principal (object) id: what role assignments name.
    pub object_id: String,
    /// The user-assigned identity's own ARM id, or the id of the resource a system-assigned
    /// identity belongs to.
    pub resource_id: String,
    pub user_assigned: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ManagementGroup {
    pub name: String,
    pub display_name: String,
    #[serde(default)]
    pub subscriptions: Vec<String>,
}

impl ManagementGroup {
    pub fn scope(&self) -> String {
        format!(
            "/providers/Microsoft.Management/managementGroups/{}",
            self.name
        )
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Subscription {
    pub subscription_id: String,
    pub display_name: String,
    #[serde(default = "enabled")]
    pub state: String,
}

fn enabled() -> String {
    "Enabled".into()
}

/// SAS keys of an authorization rule.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SasKeys {
    pub primary: String,
    pub secondary: String,
}

/// Any ARM resource below a subscription (resource groups included), stored generically; the
/// ARM handlers know each type's rules.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Resource {
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub type_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<Value>,
    #[serde(default)]
    pub properties: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<SasKeys>,
    #[serde(default)]
    pub created_at: String,
    #[serde(default)]
    pub updated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
}

/// A refresh token the emulator issued, stored by its SHA-256 (never the token itself).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefreshGrant {
    pub user_object_id: String,
    pub client_id: String,
    pub expires_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct World {
    pub tenant: Tenant,
    #[serde(default)]
    pub users: Vec<User>,
    #[serde(default)]
    pub groups: Vec<Group>,
    #[serde(default)]
    pub applications: Vec<Application>,
    #[serde(default)]
    pub managed_identities: Vec<ManagedIdentity>,
    #[serde(default)]
    pub management_groups: Vec<ManagementGroup>,
    #[serde(default)]
    pub subscriptions: Vec<Subscription>,
    /// Keyed by the lower-cased ARM id.
    #[serde(default)]
    pub resources: BTreeMap<String, Resource>,
    #[serde(default)]
    pub custom_roles: Vec<RoleDefinition>,
    #[serde(default)]
    pub role_assignments: Vec<RoleAssignment>,
    #[serde(default)]
    pub deny_assignments: Vec<DenyAssignment>,
    /// The bootstrap admin app (Owner on every subscription).
    pub admin_client_id: String,
    /// The resource whose managed identities the managed-identity endpoint serves.
    pub identity_host: String,
    #[serde(default)]
    pub refresh_tokens: BTreeMap<String, RefreshGrant>,
}

/// Who a principal is, as the directory knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKind {
    User,
    Group,
    ServicePrincipal,
    ManagedIdentity,
}

impl World {
    pub fn key(id: &str) -> String {
        id.trim_end_matches('/').to_ascii_lowercase()
    }

    pub fn resource(&self, id: &str) -> Option<&Resource> {
        self.resources.get(&Self::key(id))
    }

    pub fn user_by_name(&self, upn: &str) -> Option<&User> {
        self.users
            .iter()
            .find(|u| u.user_principal_name.eq_ignore_ascii_case(upn))
    }

    pub fn user(&self, oid: &str) -> Option<&User> {
        self.users
            .iter()
            .find(|u| u.object_id.eq_ignore_ascii_case(oid))
    }

    pub fn application(&self, client_id: &str) -> Option<&Application> {
        self.applications
            .iter()
            .find(|a| a.client_id.eq_ignore_ascii_case(client_id))
    }

    pub fn principal_kind(&self, oid: &str) -> Option<PrincipalKind> {
        if self.user(oid).is_some() {
            Some(PrincipalKind::User)
        } else if self
            .groups
            .iter()
            .any(|g| g.object_id.eq_ignore_ascii_case(oid))
        {
            Some(PrincipalKind::Group)
        } else if self
            .applications
            .iter()
            .any(|a| a.object_id.eq_ignore_ascii_case(oid))
        {
            Some(PrincipalKind::ServicePrincipal)
        } else if self
            .managed_identities
            .iter()
            .any(|m| m.object_id.eq_ignore_ascii_case(oid))
        {
            Some(PrincipalKind::ManagedIdentity)
        } else {
            None
        }
    }

    /// Every group the principal belongs to, directly or through nested groups.
    pub fn transitive_groups(&self, oid: &str) -> Vec<String> {
        let mut found: Vec<String> = Vec::new();
        let mut frontier = vec![oid.to_ascii_lowercase()];
        while let Some(member) = frontier.pop() {
            for g in &self.groups {
                let gid = g.object_id.to_ascii_lowercase();
                if !found.contains(&gid)
                    && g.members.iter().any(|m| m.eq_ignore_ascii_case(&member))
                {
                    found.push(gid.clone());
                    frontier.push(gid);
                }
            }
        }
        found
    }

    /// Built-in and custom role definitions.
    pub fn role_definitions(&self) -> Vec<RoleDefinition> {
        let mut all = access::builtin::roles();
        all.extend(self.custom_roles.iter().cloned());
        all
    }

    /// The management groups above a scope's subscription.
    pub fn management_group_scopes(&self, scope: &str) -> Vec<String> {
        let Some(sub) = subscription_of(scope) else {
            return Vec::new();
        };
        self.management_groups
            .iter()
            .filter(|mg| mg.subscriptions.iter().any(|s| s.eq_ignore_ascii_case(sub)))
            .map(|mg| mg.scope())
            .collect()
    }

    pub fn subscription(&self, id: &str) -> Option<&Subscription> {
        self.subscriptions
            .iter()
            .find(|s| s.subscription_id.eq_ignore_ascii_case(id))
    }

    /// Evaluates an action for a principal on a scope.
    pub fn check(
        &self,
        principal_id: &str,
        scope: &str,
        action: &str,
        kind: access::ActionKind,
    ) -> access::Verdict {
        let groups = self.transitive_groups(principal_id);
        // Built-ins are made once; a copy is needed only when custom roles join them.
        let with_custom;
        let definitions: &[RoleDefinition] = if self.custom_roles.is_empty() {
            access::builtin::all()
        } else {
            with_custom = self.role_definitions();
            &with_custom
        };
        let mgs = self.management_group_scopes(scope);
        access::evaluate(
            &access::Snapshot {
                definitions,
                assignments: &self.role_assignments,
                deny_assignments: &self.deny_assignments,
            },
            &access::Subject {
                principal_id,
                groups: &groups,
            },
            &access::Target {
                scope,
                management_groups: &mgs,
            },
            action,
            kind,
        )
    }

    /// Does the principal hold any role assignment that reaches this scope or lies below it?
    /// (What makes a subscription appear in a principal's subscription list.)
    pub fn has_any_access_at_or_below(&self, principal_id: &str, scope: &str) -> bool {
        let groups = self.transitive_groups(principal_id);
        let mgs = self.management_group_scopes(scope);
        let target = access::Target {
            scope,
            management_groups: &mgs,
        };
        self.role_assignments.iter().any(|a| {
            (a.principal_id.eq_ignore_ascii_case(principal_id)
                || groups
                    .iter()
                    .any(|g| g.eq_ignore_ascii_case(&a.principal_id)))
                && (access::scope_applies(&a.scope, &target)
                    || access::is_same_or_below(&a.scope, scope))
        })
    }
}

/// The subscription id in an ARM id or scope, if any.
pub fn subscription_of(scope: &str) -> Option<&str> {
    let mut parts = scope.split('/').filter(|s| !s.is_empty());
    match (parts.next(), parts.next()) {
        (Some(s), Some(id)) if s.eq_ignore_ascii_case("subscriptions") => Some(id),
        _ => None,
    }
}
