//! The RBAC objects the evaluator reasons about: role definitions, role assignments and deny
//! assignments, in the shape Azure documents them (`Microsoft.Authorization`, api-version
//! 2022-04-01), without the ARM envelope.

use serde::{Deserialize, Serialize};

/// One `permissions` entry of a role definition or deny assignment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Permission {
    pub actions: Vec<String>,
    pub not_actions: Vec<String>,
    pub data_actions: Vec<String>,
    pub not_data_actions: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RoleType {
    BuiltInRole,
    CustomRole,
}

/// A role definition. `id` is the GUID (the ARM `name`); scoped ids are built by the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleDefinition {
    pub id: String,
    pub role_name: String,
    #[serde(default)]
    pub description: String,
    pub role_type: RoleType,
    pub permissions: Vec<Permission>,
    #[serde(default)]
    pub assignable_scopes: Vec<String>,
    /// Where a custom role was created (the scope of its ARM id); built-ins live at the root.
    #[serde(default)]
    pub created_at_scope: Option<String>,
    #[serde(default)]
    pub created_on: Option<String>,
    #[serde(default)]
    pub updated_on: Option<String>,
}

/// `principalType` of a role assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PrincipalType {
    User,
    Group,
    ServicePrincipal,
    ForeignGroup,
    Device,
}

impl PrincipalType {
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "user" => Some(Self::User),
            "group" => Some(Self::Group),
            "serviceprincipal" => Some(Self::ServicePrincipal),
            "foreigngroup" => Some(Self::ForeignGroup),
            "device" => Some(Self::Device),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleAssignment {
    /// The assignment's GUID (its ARM `name`).
    pub name: String,
    /// The scope it was made at, e.g. `/subscriptions/{sub}/resourceGroups/{rg}`.
    pub scope: String,
    /// The role definition's GUID.
    pub role_definition_id: String,
    pub principal_id: String,
    pub principal_type: PrincipalType,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub condition: Option<String>,
    #[serde(default)]
    pub condition_version: Option<String>,
    #[serde(default)]
    pub created_on: Option<String>,
    #[serde(default)]
    pub updated_on: Option<String>,
    #[serde(default)]
    pub created_by: Option<String>,
}

impl RoleAssignment {
    /// The full ARM id: `{scope}/providers/Microsoft.Authorization/roleAssignments/{name}`.
    pub fn arm_id(&self) -> String {
        format!(
            "{}/providers/Microsoft.Authorization/roleAssignments/{}",
            scope_prefix(&self.scope),
            self.name
        )
    }
}

/// A principal named in a deny assignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DenyPrincipal {
    pub id: String,
    #[serde(rename = "type")]
    pub principal_type: String,
    #[serde(default)]
    pub display_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DenyAssignment {
    /// The deny assignment's GUID.
    pub name: String,
    pub deny_assignment_name: String,
    #[serde(default)]
    pub description: String,
    pub scope: String,
    pub permissions: Vec<Permission>,
    #[serde(default)]
    pub do_not_apply_to_child_scopes: bool,
    pub principals: Vec<DenyPrincipal>,
    #[serde(default)]
    pub exclude_principals: Vec<DenyPrincipal>,
    #[serde(default)]
    pub is_system_protected: bool,
}

impl DenyAssignment {
    pub fn arm_id(&self) -> String {
        format!(
            "{}/providers/Microsoft.Authorization/denyAssignments/{}",
            scope_prefix(&self.scope),
            self.name
        )
    }
}

/// The principal id that stands for "everyone" in a deny assignment.
pub const EVERYONE: &str = "00000000-0000-0000-0000-000000000000";

/// `/` is the root scope; every other scope is used as a prefix as it is.
pub fn scope_prefix(scope: &str) -> &str {
    scope.trim_end_matches('/')
}
