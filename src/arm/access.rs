//! The facts access needs, fetched from Resource Manager: the entity and its SAS rules, the role
//! assignments and deny assignments that reach it, and the role definitions.

use futures::future::try_join_all;
use serde_json::Value;

use super::{AUTHORIZATION_API, ArmClient, ArmError, RELAY_API};
use crate::access::explain::{Entity, SasRule};
use crate::access::{
    DenyAssignment, Permission, PrincipalType, RoleAssignment, RoleDefinition, RoleType,
};

#[derive(Debug, Clone)]
pub struct AccessFacts {
    pub entity: Entity,
    pub definitions: Vec<RoleDefinition>,
    pub assignments: Vec<RoleAssignment>,
    pub deny_assignments: Vec<DenyAssignment>,
    /// Management-group scopes that reach the entity (as ARM listed them).
    pub management_groups: Vec<String>,
}

fn guid_of(id: &str) -> String {
    id.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(id)
        .to_ascii_lowercase()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn permissions(v: &Value) -> Vec<Permission> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|p| Permission {
                    actions: strings(&p["actions"]),
                    not_actions: strings(&p["notActions"]),
                    data_actions: strings(&p["dataActions"]),
                    not_data_actions: strings(&p["notDataActions"]),
                })
                .collect()
        })
        .unwrap_or_default()
}

pub fn role_assignment(v: &Value) -> RoleAssignment {
    let p = &v["properties"];
    RoleAssignment {
        name: v["name"].as_str().unwrap_or_default().to_string(),
        scope: p["scope"].as_str().unwrap_or_default().to_string(),
        role_definition_id: guid_of(p["roleDefinitionId"].as_str().unwrap_or_default()),
        principal_id: p["principalId"].as_str().unwrap_or_default().to_string(),
        principal_type: p["principalType"]
            .as_str()
            .and_then(PrincipalType::parse)
            .unwrap_or(PrincipalType::User),
        description: p["description"].as_str().map(str::to_string),
        condition: p["condition"].as_str().map(str::to_string),
        condition_version: p["conditionVersion"].as_str().map(str::to_string),
        created_on: p["createdOn"].as_str().map(str::to_string),
        updated_on: p["updatedOn"].as_str().map(str::to_string),
        created_by: p["createdBy"].as_str().map(str::to_string),
    }
}

fn role_definition(v: &Value) -> RoleDefinition {
    let p = &v["properties"];
    RoleDefinition {
        id: guid_of(v["name"].as_str().unwrap_or_default()),
        role_name: p["roleName"].as_str().unwrap_or_default().to_string(),
        description: p["description"].as_str().unwrap_or_default().to_string(),
        role_type: if p["type"] == "CustomRole" {
            RoleType::CustomRole
        } else {
            RoleType::BuiltInRole
        },
        permissions: permissions(&p["permissions"]),
        assignable_scopes: strings(&p["assignableScopes"]),
        created_at_scope: None,
        created_on: p["createdOn"].as_str().map(str::to_string),
        updated_on: p["updatedOn"].as_str().map(str::to_string),
    }
}

fn deny_assignment(v: &Value) -> DenyAssignment {
    let p = &v["properties"];
    let principals = |x: &Value| -> Vec<crate::access::DenyPrincipal> {
        serde_json::from_value(x.clone()).unwrap_or_default()
    };
    DenyAssignment {
        name: v["name"].as_str().unwrap_or_default().to_string(),
        deny_assignment_name: p["denyAssignmentName"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        description: p["description"].as_str().unwrap_or_default().to_string(),
        scope: p["scope"].as_str().unwrap_or_default().to_string(),
        permissions: permissions(&p["permissions"]),
        do_not_apply_to_child_scopes: p["doNotApplyToChildScopes"].as_bool().unwrap_or(false),
        principals: principals(&p["principals"]),
        exclude_principals: principals(&p["excludePrincipals"]),
        is_system_protected: p["isSystemProtected"].as_bool().unwrap_or(false),
    }
}

/// The RBAC type of an ARM resource type (`Microsoft.Relay/Namespaces/HybridConnections` →
/// `Microsoft.Relay/namespaces/hybridConnections`).
pub fn action_type(arm_type: &str) -> String {
    match arm_type.to_ascii_lowercase().as_str() {
        "microsoft.relay/namespaces/hybridconnections" => {
            "Microsoft.Relay/namespaces/hybridConnections".into()
        }
        "microsoft.relay/wcfrelays" | "microsoft.relay/namespaces/wcfrelays" => {
            "Microsoft.Relay/namespaces/wcfRelays".into()
        }
        "microsoft.relay/namespaces" => "Microsoft.Relay/namespaces".into(),
        "microsoft.signalrservice/signalr" => "Microsoft.SignalRService/SignalR".into(),
        _ => arm_type.to_string(),
    }
}

impl ArmClient {
    pub async fn access_facts(&self, entity_id: &str) -> Result<AccessFacts, ArmError> {
        let entity_id = entity_id.trim_end_matches('/');
        let is_relay = entity_id
            .to_ascii_lowercase()
            .contains("/providers/microsoft.relay/");
        let api = if is_relay { RELAY_API } else { "2024-03-01" };
        let subscription = entity_id.split('/').nth(2).unwrap_or_default().to_string();
        let (resource, assignments, denies, definitions) = tokio::try_join!(
            self.get(entity_id, api),
            self.list(format!("{entity_id}/providers/Microsoft.Authorization/roleAssignments"), AUTHORIZATION_API),
            self.list(format!("{entity_id}/providers/Microsoft.Authorization/denyAssignments"), AUTHORIZATION_API),
            self.list(format!("/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions"), AUTHORIZATION_API),
        )?;
        let mut rule_parents = Vec::new();
        if is_relay {
            rule_parents.push(entity_id.to_string());
            let parts: Vec<&str> = entity_id.split('/').collect();
            if parts.len() > 9 {
                rule_parents.push(parts[..9].join("/"));
            }
        }
        let rules = try_join_all(
            rule_parents
                .iter()
                .map(|p| self.list(format!("{p}/authorizationRules"), RELAY_API)),
        )
        .await?;
        let sas_rules = rule_parents
            .iter()
            .zip(rules)
            .flat_map(|(scope, list)| {
                list.into_iter().map(move |r| SasRule {
                    name: r["name"].as_str().unwrap_or_default().to_string(),
                    id: r["id"].as_str().unwrap_or_default().to_string(),
                    scope: scope.clone(),
                    rights: strings(&r["properties"]["rights"]),
                })
            })
            .collect();
        let assignments: Vec<RoleAssignment> = assignments.iter().map(role_assignment).collect();
        let deny_assignments: Vec<DenyAssignment> = denies.iter().map(deny_assignment).collect();
        let mut management_groups: Vec<String> = assignments
            .iter()
            .map(|a| a.scope.clone())
            .chain(deny_assignments.iter().map(|d| d.scope.clone()))
            .filter(|s| {
                s.to_ascii_lowercase()
                    .starts_with("/providers/microsoft.management/managementgroups/")
            })
            .collect();
        management_groups.sort();
        management_groups.dedup();
        Ok(AccessFacts {
            entity: Entity {
                id: resource["id"].as_str().unwrap_or(entity_id).to_string(),
                action_type: action_type(resource["type"].as_str().unwrap_or_default()),
                requires_client_authorization:
                    resource["properties"]["requiresClientAuthorization"].as_bool(),
                sas_rules,
            },
            definitions: definitions.iter().map(role_definition).collect(),
            assignments,
            deny_assignments,
            management_groups,
        })
    }
}
