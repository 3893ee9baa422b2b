//! The facts access needs, fetched from Resource Manager: the entity and its SAS rules, the role
//! assignments and deny assignments that reach it, and the role definitions.

use futures::future::try_join_all;
use serde_json::Value;

use super::{AUTHORIZATION_API, ArmClient, ArmError, RELAY_API};
use crate::access::explain::{Entity, SasRule};
use crate::access::{
    DenyAssignment, Permission, PrincipalType, RoleAssignment, RoleDefinition, RoleType,
};

/// Azure RBAC's facts at a scope.
#[derive(Debug, Clone)]
pub struct Rbac {
    pub definitions: Vec<RoleDefinition>,
    pub assignments: Vec<RoleAssignment>,
    pub deny_assignments: Vec<DenyAssignment>,
    pub management_groups: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct AccessFacts {
    pub entity: Entity,
    pub definitions: Vec<RoleDefinition>,
    pub assignments: Vec<RoleAssignment>,
    pub deny_assignments: Vec<DenyAssignment>,
    /// Management-group scopes that reach the entity (as ARM listed them).
    pub management_groups: Vec<String>,
}

impl AccessFacts {
    /// What the evaluator reads.
    pub fn snapshot(&self) -> crate::access::Snapshot<'_> {
        crate::access::Snapshot {
            definitions: &self.definitions,
            assignments: &self.assignments,
            deny_assignments: &self.deny_assignments,
        }
    }
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
    /// The role definitions of the scope's subscription, and the role and deny assignments
    /// at, above and below the scope, with the management groups they name.
    pub async fn rbac_at(&self, scope: &str) -> Result<Rbac, ArmError> {
        let subscription = scope.split('/').nth(2).unwrap_or_default().to_string();
        let (assignments, denies, definitions) = tokio::try_join!(
            self.list(format!("{scope}/providers/Microsoft.Authorization/roleAssignments"), AUTHORIZATION_API),
            self.list(format!("{scope}/providers/Microsoft.Authorization/denyAssignments"), AUTHORIZATION_API),
            self.list(format!("/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions"), AUTHORIZATION_API),
        )?;
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
        Ok(Rbac {
            definitions: definitions.iter().map(role_definition).collect(),
            assignments,
            deny_assignments,
            management_groups,
        })
    }

    pub async fn access_facts(&self, entity_id: &str) -> Result<AccessFacts, ArmError> {
        let entity_id = entity_id.trim_end_matches('/');
        let is_relay = entity_id
            .to_ascii_lowercase()
            .contains("/providers/microsoft.relay/");
        let api = if is_relay { RELAY_API } else { "2024-03-01" };
        let (resource, rbac) = tokio::try_join!(self.get(entity_id, api), self.rbac_at(entity_id))?;
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
        Ok(AccessFacts {
            entity: Entity {
                id: resource["id"].as_str().unwrap_or(entity_id).to_string(),
                action_type: action_type(resource["type"].as_str().unwrap_or_default()),
                requires_client_authorization:
                    resource["properties"]["requiresClientAuthorization"].as_bool(),
                sas_rules,
            },
            definitions: rbac.definitions,
            assignments: rbac.assignments,
            deny_assignments: rbac.deny_assignments,
            management_groups: rbac.management_groups,
        })
    }
}

/// A principal's verdict on one entity, with what a reader needs to show it: the object id that
/// was checked (a client id is resolved to it), the warning about that, and display names of the
/// principal and of the groups in its proof.
#[derive(Debug, Clone)]
pub struct Checked {
    pub verdict: crate::access::explain::Explanation,
    pub object_id: String,
    pub warning: Option<String>,
    /// Display names by lower-cased object id.
    pub names: std::collections::HashMap<String, String>,
    /// The principal as the directory knows it (kind, client id), when it could be read.
    pub principal: Option<super::graph::Principal>,
    pub entity_id: String,
}

impl Checked {
    /// The display name of an object id, or the id itself.
    pub fn short_name(&self, id: &str) -> String {
        self.names
            .get(&id.to_ascii_lowercase())
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }

    /// `Name (id)` for an object id, or the id alone.
    pub fn name(&self, id: &str) -> String {
        match self.names.get(&id.to_ascii_lowercase()) {
            Some(n) => format!("{n} ({id})"),
            None => id.to_string(),
        }
    }
}

/// A Resource Manager error with what to do next ("Sign in again."); its hint is the error's.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{error} {advice}")]
pub struct Actionable {
    pub error: ArmError,
    pub advice: &'static str,
}

/// An error a person can act on, from a refusal or failure of Resource Manager.
pub fn actionable(e: &ArmError) -> anyhow::Error {
    let advice = match e {
        ArmError::Service { status: 403, .. } => {
            "Ask an owner of the scope for a role that grants it."
        }
        ArmError::Service { status: 401, .. } => "Sign in again.",
        ArmError::Service { code, .. } if code == "SubscriptionNotFound" => {
            "Check the id, or run `relay-explorer ls` to see the subscriptions you can reach."
        }
        other => return anyhow::Error::new(other.clone()),
    };
    anyhow::Error::new(Actionable {
        error: e.clone(),
        advice,
    })
}

/// An object id for what the user typed (an object id, a user principal name or a client id),
/// with a warning when it was a client id.
pub async fn resolve_principal(
    graph: &super::graph::GraphClient,
    who: &str,
) -> anyhow::Result<(String, Option<String>)> {
    use anyhow::{anyhow, bail};
    let who = who.trim();
    if who.contains('@') {
        let user = graph
            .user(who)
            .await
            .map_err(|e| anyhow!("no user '{who}' in the directory: {e}"))?;
        return Ok((user.id, None));
    }
    if uuid::Uuid::parse_str(who).is_err() {
        // A display name, as the tables show it: exactly one principal must have it.
        let found = graph
            .by_display_name(who)
            .await
            .map_err(|e| anyhow!("cannot look up the display name '{who}': {e}"))?;
        return match found.as_slice() {
            [one] => Ok((one.id.clone(), None)),
            [] => bail!(
                "no user, group or service principal is named '{who}': give its display name exactly, its object id, its client id or a user principal name (name@domain)"
            ),
            many => bail!(
                "{} principals are named '{who}'; give the object id of the one you mean:\n{}",
                many.len(),
                many.iter()
                    .map(|p| format!("  {} ({}) {}", p.display_name, p.kind, p.id))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        };
    }
    if !graph
        .principals(&[who.to_string()])
        .await
        .map_err(|e| anyhow!("cannot look up '{who}': {e}"))?
        .is_empty()
    {
        return Ok((who.to_ascii_lowercase(), None));
    }
    match graph.by_app_id(who).await.ok().flatten() {
        Some(sp) => Ok((
            sp.id.clone(),
            Some(format!(
                "'{who}' is the client (application) id of {} ({}); role assignments name its object id {}, used here",
                sp.display_name, sp.kind, sp.id
            )),
        )),
        None => bail!("no principal with object id or client id '{who}' in the directory"),
    }
}

/// Who may Listen, Send or Manage on an entity: every principal with an assignment that reaches
/// it, its SAS rules, and anyone.
pub async fn who_can(
    arm: &ArmClient,
    graph: &super::graph::GraphClient,
    entity_id: &str,
) -> anyhow::Result<Vec<crate::access::explain::WhoRow>> {
    use crate::access::explain::{self, Principal};
    let facts = arm
        .access_facts(entity_id)
        .await
        .map_err(|e| actionable(&e))?;
    let snapshot = facts.snapshot();
    let mut ids: Vec<String> = facts
        .assignments
        .iter()
        .map(|a| a.principal_id.to_ascii_lowercase())
        .collect();
    ids.sort();
    ids.dedup();
    let found = graph.principals(&ids).await.unwrap_or_default();
    let groups = futures::future::join_all(ids.iter().map(|id| graph.transitive_groups(id))).await;
    let principals: Vec<Principal> = ids
        .iter()
        .zip(groups)
        .map(|(id, groups)| {
            let p = found.iter().find(|f| f.id.eq_ignore_ascii_case(id));
            Principal {
                id: id.clone(),
                kind: p.map_or_else(|| "unknown".into(), |p| p.kind.clone()),
                display_name: p.map(|p| p.display_name.clone()),
                groups: groups
                    .map(|g| g.into_iter().map(|x| x.id).collect())
                    .unwrap_or_default(),
            }
        })
        .collect();
    Ok(explain::who_can(
        &snapshot,
        &principals,
        &facts.management_groups,
        &facts.entity,
    ))
}

/// May `who` do `action` (listen, send, manage or any action) on the entity, and why.
pub async fn check(
    arm: &ArmClient,
    graph: &super::graph::GraphClient,
    entity_id: &str,
    who: &str,
    action: &str,
) -> anyhow::Result<Checked> {
    use crate::access::explain::{self, Ask, Grant};
    let facts = arm
        .access_facts(entity_id)
        .await
        .map_err(|e| actionable(&e))?;
    let snapshot = facts.snapshot();
    let (object_id, warning) = resolve_principal(graph, who).await?;
    let groups: Vec<String> = graph
        .transitive_groups(&object_id)
        .await
        .map(|g| g.into_iter().map(|x| x.id).collect())
        .unwrap_or_default();
    let mut verdict = explain::explain(
        &snapshot,
        &crate::access::Subject {
            principal_id: &object_id,
            groups: &groups,
        },
        &facts.management_groups,
        &facts.entity,
        &Ask::parse(action),
    );
    for g in verdict.grants.iter_mut() {
        if let Grant::Role {
            via_group: Some(group),
            group_chain,
            ..
        } = g
        {
            *group_chain = graph
                .group_chain(&object_id, group)
                .await
                .unwrap_or_default();
        }
    }
    let mut ids: Vec<String> = vec![object_id.clone()];
    for g in &verdict.grants {
        if let Grant::Role {
            group_chain,
            via_group,
            ..
        } = g
        {
            ids.extend(group_chain.iter().cloned());
            ids.extend(via_group.iter().cloned());
        }
    }
    let found = graph.principals(&ids).await.unwrap_or_default();
    let principal = found
        .iter()
        .find(|p| p.id.eq_ignore_ascii_case(&object_id))
        .cloned();
    Ok(Checked {
        names: found
            .into_iter()
            .map(|p| (p.id.to_ascii_lowercase(), p.display_name))
            .collect(),
        verdict,
        object_id,
        warning,
        principal,
        entity_id: facts.entity.id,
    })
}
