//! `Microsoft.Authorization` at any scope: role assignments (create, get, list with the
//! `$filter` forms Azure accepts, delete), role definitions (built-in and custom), deny
//! assignments (read) and the caller's permissions.

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use serde_json::{Value, json};

use super::{Request, arm_error, authorize, eq, paged};
use crate::access::{
    self, DenyAssignment, PrincipalType, RoleAssignment, RoleDefinition, RoleType,
};
use crate::emulator::Shared;
use crate::emulator::resources::{self, ResourceId};
use crate::emulator::world::{PrincipalKind, World};

pub fn handle(shared: &Arc<Shared>, req: &Request, scope: &str, rest: &[&str]) -> Response {
    let scope = match canonical_scope(&shared.world.lock(), scope) {
        Ok(s) => s,
        Err(r) => return r,
    };
    match rest {
        [kind] if eq(kind, "roleAssignments") => list_assignments(shared, req, &scope),
        [kind, name] if eq(kind, "roleAssignments") => assignment(shared, req, &scope, name),
        [kind] if eq(kind, "roleDefinitions") => list_definitions(shared, req, &scope),
        [kind, id] if eq(kind, "roleDefinitions") => definition(shared, req, &scope, id),
        [kind] if eq(kind, "denyAssignments") => list_denies(shared, req, &scope),
        [kind, id] if eq(kind, "denyAssignments") => deny(shared, req, &scope, id),
        [kind] if eq(kind, "permissions") => permissions(shared, req, &scope),
        _ => arm_error(
            StatusCode::NOT_FOUND,
            "InvalidResourceType",
            &format!(
                "The resource type '{}' could not be found in the namespace 'Microsoft.Authorization' for api version '{}'.",
                rest.join("/"),
                req.api_version
            ),
        ),
    }
}

/// Checks that a scope exists and returns it in canonical casing.
fn canonical_scope(world: &World, scope: &str) -> Result<String, Response> {
    let parts: Vec<&str> = scope.split('/').filter(|s| !s.is_empty()).collect();
    let bad = || {
        arm_error(
            StatusCode::BAD_REQUEST,
            "InvalidScope",
            &format!(
                "The scope '{scope}' is not valid: use '/', a management group, a subscription, a resource group or a resource id."
            ),
        )
    };
    match parts.as_slice() {
        [] => Ok("/".to_string()),
        [p, m, mgs, mg]
            if eq(p, "providers")
                && eq(m, "Microsoft.Management")
                && eq(mgs, "managementGroups") =>
        {
            match world.management_groups.iter().find(|g| eq(&g.name, mg)) {
                Some(g) => Ok(g.scope()),
                None => Err(arm_error(
                    StatusCode::NOT_FOUND,
                    "ManagementGroupNotFound",
                    &format!("The management group '{mg}' could not be found."),
                )),
            }
        }
        [s, sub, rest @ ..] if eq(s, "subscriptions") => {
            let Some(subscription) = world.subscription(sub) else {
                return Err(arm_error(
                    StatusCode::NOT_FOUND,
                    "SubscriptionNotFound",
                    &format!("The subscription '{sub}' could not be found."),
                ));
            };
            let sub = &subscription.subscription_id;
            match rest {
                [] => Ok(format!("/subscriptions/{sub}")),
                [rgs, rg, tail @ ..] if eq(rgs, "resourceGroups") => {
                    let Some(group) =
                        world.resource(&format!("/subscriptions/{sub}/resourceGroups/{rg}"))
                    else {
                        return Err(arm_error(
                            StatusCode::NOT_FOUND,
                            "ResourceGroupNotFound",
                            &format!("Resource group '{rg}' could not be found."),
                        ));
                    };
                    if tail.is_empty() {
                        return Ok(group.id.clone());
                    }
                    let [providers, rest @ ..] = tail else {
                        return Err(bad());
                    };
                    if !eq(providers, "providers") {
                        return Err(bad());
                    }
                    let id = ResourceId::from_parts(sub, &group.name, rest).ok_or_else(bad)?;
                    match world.resource(&id.canonical(&group.name)) {
                        Some(r) => Ok(r.id.clone()),
                        None => Err(arm_error(
                            StatusCode::NOT_FOUND,
                            "ResourceNotFound",
                            &format!(
                                "The Resource '{}' under resource group '{}' was not found.",
                                rest.join("/"),
                                group.name
                            ),
                        )),
                    }
                }
                _ => Err(bad()),
            }
        }
        _ => Err(bad()),
    }
}

/// The role definition id as ARM writes it at a scope: subscription-qualified below a
/// subscription, bare at the root and at management groups.
fn definition_arm_id(scope: &str, guid: &str) -> String {
    match crate::emulator::world::subscription_of(scope) {
        Some(sub) => {
            format!("/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}")
        }
        None => format!("/providers/Microsoft.Authorization/roleDefinitions/{guid}"),
    }
}

fn assignment_json(a: &RoleAssignment) -> Value {
    json!({
        "id": a.arm_id(),
        "name": a.name,
        "type": "Microsoft.Authorization/roleAssignments",
        "properties": {
            "roleDefinitionId": definition_arm_id(&a.scope, &a.role_definition_id),
            "principalId": a.principal_id,
            "principalType": a.principal_type,
            "scope": a.scope,
            "condition": a.condition,
            "conditionVersion": a.condition_version,
            "description": a.description,
            "createdOn": a.created_on,
            "updatedOn": a.updated_on,
            "createdBy": a.created_by,
            "updatedBy": a.created_by,
            "delegatedManagedIdentityResourceId": null,
        },
    })
}

enum AssignmentFilter {
    All,
    AtScope { principal: Option<(String, bool)> },
    Principal { id: String, transitive: bool },
}

/// Parses the `$filter` forms Azure accepts for role assignments.
fn parse_filter(filter: Option<&String>) -> Result<AssignmentFilter, String> {
    let Some(raw) = filter else {
        return Ok(AssignmentFilter::All);
    };
    let f = raw.replace('+', " ");
    let f = f.trim();
    let quoted = |s: &str, prefix: &str, suffix: &str| -> Option<String> {
        let rest = s.strip_prefix(prefix)?.strip_suffix(suffix)?;
        (!rest.is_empty() && !rest.contains('\'')).then(|| rest.to_string())
    };
    let principal = |s: &str| -> Option<(String, bool)> {
        let s = s.trim();
        if let Some(id) = quoted(s, "principalId eq '", "'") {
            return Some((id, false));
        }
        quoted(s, "assignedTo('", "')").map(|id| (id, true))
    };
    if f.eq_ignore_ascii_case("atScope()") {
        return Ok(AssignmentFilter::AtScope { principal: None });
    }
    if let Some((left, right)) = f.split_once(" and ") {
        let (scope_part, other) = if left.trim().eq_ignore_ascii_case("atScope()") {
            (left, right)
        } else {
            (right, left)
        };
        if scope_part.trim().eq_ignore_ascii_case("atScope()")
            && let Some(p) = principal(other)
        {
            return Ok(AssignmentFilter::AtScope { principal: Some(p) });
        }
    } else if let Some((id, transitive)) = principal(f) {
        return Ok(AssignmentFilter::Principal { id, transitive });
    }
    Err(format!(
        "The filter '{raw}' is not supported. Supported filters are either 'atScope()' or 'principalId eq '{{value}}'' or assignedTo('{{value}}')."
    ))
}

fn list_assignments(shared: &Shared, req: &Request, scope: &str) -> Response {
    if req.method != Method::GET {
        return super::method_not_allowed(req);
    }
    let world = shared.world.lock();
    if let Err(r) = authorize(
        &world,
        &req.caller,
        scope,
        "Microsoft.Authorization/roleAssignments/read",
    ) {
        return r;
    }
    let filter = match parse_filter(req.query.get("$filter")) {
        Ok(f) => f,
        Err(message) => return arm_error(StatusCode::BAD_REQUEST, "UnsupportedQuery", &message),
    };
    let mgs = world.management_group_scopes(scope);
    let target = access::Target {
        scope,
        management_groups: &mgs,
    };
    let above = |a: &RoleAssignment| access::scope_applies(&a.scope, &target);
    let below = |a: &RoleAssignment| access::is_same_or_below(&a.scope, scope);
    let for_principal = |a: &RoleAssignment, id: &str, transitive: bool| {
        eq(&a.principal_id, id)
            || (transitive
                && world
                    .transitive_groups(id)
                    .iter()
                    .any(|g| eq(g, &a.principal_id)))
    };
    let items: Vec<Value> = world
        .role_assignments
        .iter()
        .filter(|a| match &filter {
            AssignmentFilter::All => above(a) || below(a),
            AssignmentFilter::AtScope { principal: None } => above(a),
            AssignmentFilter::AtScope {
                principal: Some((id, t)),
            } => above(a) && for_principal(a, id, *t),
            AssignmentFilter::Principal { id, transitive } => {
                (above(a) || below(a)) && for_principal(a, id, *transitive)
            }
        })
        .map(assignment_json)
        .collect();
    drop(world);
    paged(shared, req, items)
}

fn trailing_guid(id: &str) -> &str {
    id.trim_end_matches('/').rsplit('/').next().unwrap_or(id)
}

fn is_guid(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok()
}

fn assignment(shared: &Shared, req: &Request, scope: &str, name: &str) -> Response {
    let mut world = shared.world.lock();
    let found = world.role_assignments.iter().position(|a| {
        eq(&a.name, name)
            && eq(
                access::model::scope_prefix(&a.scope),
                access::model::scope_prefix(scope),
            )
    });
    match req.method {
        Method::GET => {
            if let Err(r) = authorize(
                &world,
                &req.caller,
                scope,
                "Microsoft.Authorization/roleAssignments/read",
            ) {
                return r;
            }
            match found {
                Some(i) => Json(assignment_json(&world.role_assignments[i])).into_response(),
                None => arm_error(
                    StatusCode::NOT_FOUND,
                    "RoleAssignmentNotFound",
                    &format!("The role assignment '{name}' is not found."),
                ),
            }
        }
        Method::DELETE => {
            if let Err(r) = authorize(
                &world,
                &req.caller,
                scope,
                "Microsoft.Authorization/roleAssignments/delete",
            ) {
                return r;
            }
            match found {
                Some(i) => {
                    let removed = world.role_assignments.remove(i);
                    let body = assignment_json(&removed);
                    drop(world);
                    shared.mark_dirty();
                    Json(body).into_response()
                }
                None => StatusCode::NO_CONTENT.into_response(),
            }
        }
        Method::PUT => {
            if let Err(r) = authorize(
                &world,
                &req.caller,
                scope,
                "Microsoft.Authorization/roleAssignments/write",
            ) {
                return r;
            }
            if !is_guid(name) {
                return arm_error(
                    StatusCode::BAD_REQUEST,
                    "InvalidRoleAssignmentId",
                    &format!(
                        "The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID."
                    ),
                );
            }
            let body = match req.json_body() {
                Ok(b) => b,
                Err(r) => return r,
            };
            let props = &body["properties"];
            let (Some(role_id), Some(principal_id)) = (
                props["roleDefinitionId"].as_str(),
                props["principalId"].as_str(),
            ) else {
                return arm_error(
                    StatusCode::BAD_REQUEST,
                    "InvalidRequestContent",
                    "The request must have properties.roleDefinitionId and properties.principalId.",
                );
            };
            let guid = trailing_guid(role_id);
            let definitions = world.role_definitions();
            let Some(definition) = definitions.iter().find(|d| eq(&d.id, guid)) else {
                return arm_error(
                    StatusCode::BAD_REQUEST,
                    "RoleDefinitionDoesNotExist",
                    &format!("The specified role definition with ID '{guid}' does not exist."),
                );
            };
            if definition.role_type == RoleType::CustomRole
                && !definition
                    .assignable_scopes
                    .iter()
                    .any(|s| access::is_same_or_below(scope, s))
            {
                return arm_error(
                    StatusCode::FORBIDDEN,
                    "RoleDefinitionNotAssignableAtScope",
                    &format!(
                        "The role '{}' cannot be assigned at scope '{scope}': it is not one of its assignable scopes.",
                        definition.role_name
                    ),
                );
            }
            let Some(kind) = world.principal_kind(principal_id) else {
                return arm_error(
                    StatusCode::BAD_REQUEST,
                    "PrincipalNotFound",
                    &format!(
                        "Principal {} does not exist in the directory {}. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype",
                        principal_id.replace('-', ""),
                        world.tenant.id
                    ),
                );
            };
            let actual = match kind {
                PrincipalKind::User => PrincipalType::User,
                PrincipalKind::Group => PrincipalType::Group,
                PrincipalKind::ServicePrincipal | PrincipalKind::ManagedIdentity => {
                    PrincipalType::ServicePrincipal
                }
            };
            if let Some(given) = props["principalType"].as_str() {
                match PrincipalType::parse(given) {
                    Some(t) if t == actual => {}
                    Some(_) => {
                        return arm_error(
                            StatusCode::BAD_REQUEST,
                            "UnmatchedPrincipalType",
                            &format!(
                                "The PrincipalId '{principal_id}' has type '{actual:?}', which is different from specified PrincipalType '{given}'."
                            ),
                        );
                    }
                    None => {
                        return arm_error(
                            StatusCode::BAD_REQUEST,
                            "InvalidPrincipalType",
                            &format!(
                                "The principalType '{given}' is not valid: use User, Group or ServicePrincipal."
                            ),
                        );
                    }
                }
            }
            if let Some(i) = found {
                let existing = &world.role_assignments[i];
                if eq(&existing.principal_id, principal_id)
                    && eq(&existing.role_definition_id, guid)
                {
                    return arm_error(
                        StatusCode::CONFLICT,
                        "RoleAssignmentExists",
                        "The role assignment already exists.",
                    );
                }
                return arm_error(
                    StatusCode::BAD_REQUEST,
                    "RoleAssignmentUpdateNotPermitted",
                    "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
                );
            }
            let duplicate = world.role_assignments.iter().any(|a| {
                eq(&a.principal_id, principal_id)
                    && eq(&a.role_definition_id, guid)
                    && eq(
                        access::model::scope_prefix(&a.scope),
                        access::model::scope_prefix(scope),
                    )
            });
            if duplicate {
                return arm_error(
                    StatusCode::CONFLICT,
                    "RoleAssignmentExists",
                    "The role assignment already exists.",
                );
            }
            let now = resources::now_rfc3339();
            let condition = props["condition"].as_str().map(str::to_string);
            let assignment = RoleAssignment {
                name: name.to_ascii_lowercase(),
                scope: scope.to_string(),
                role_definition_id: definition.id.clone(),
                principal_id: principal_id.to_ascii_lowercase(),
                principal_type: actual,
                description: props["description"].as_str().map(str::to_string),
                condition_version: condition.as_ref().map(|_| {
                    props["conditionVersion"]
                        .as_str()
                        .unwrap_or("2.0")
                        .to_string()
                }),
                condition,
                created_on: Some(now.clone()),
                updated_on: Some(now),
                created_by: Some(req.caller.object_id.clone()),
            };
            let body = assignment_json(&assignment);
            world.role_assignments.push(assignment);
            drop(world);
            shared.mark_dirty();
            (StatusCode::CREATED, Json(body)).into_response()
        }
        _ => super::method_not_allowed(req),
    }
}

fn definition_json(scope: &str, d: &RoleDefinition) -> Value {
    let id_scope = d.created_at_scope.as_deref().unwrap_or(scope);
    json!({
        "id": definition_arm_id(if d.role_type == RoleType::BuiltInRole { scope } else { id_scope }, &d.id),
        "name": d.id,
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": d.role_name,
            "type": d.role_type,
            "description": d.description,
            "assignableScopes": d.assignable_scopes,
            "permissions": d.permissions,
            "createdOn": d.created_on,
            "updatedOn": d.updated_on,
            "createdBy": null,
            "updatedBy": null,
        },
    })
}

/// Custom roles are visible where they are assignable (at or below an assignable scope).
fn visible_at(d: &RoleDefinition, scope: &str) -> bool {
    d.role_type == RoleType::BuiltInRole
        || scope == "/"
        || d.assignable_scopes
            .iter()
            .any(|s| access::is_same_or_below(scope, s) || access::is_same_or_below(s, scope))
}

fn list_definitions(shared: &Shared, req: &Request, scope: &str) -> Response {
    if req.method != Method::GET {
        return super::method_not_allowed(req);
    }
    let world = shared.world.lock();
    let filter = req.query.get("$filter").map(|f| f.replace('+', " "));
    let quoted = |prefix: &str| -> Option<String> {
        let f = filter.as_deref()?.trim();
        f.strip_prefix(prefix)?
            .strip_suffix('\'')
            .map(str::to_string)
    };
    let role_name = quoted("roleName eq '");
    let role_type = quoted("type eq '");
    if filter.is_some()
        && role_name.is_none()
        && role_type.is_none()
        && filter.as_deref().map(str::trim) != Some("atScopeAndBelow()")
    {
        return arm_error(
            StatusCode::BAD_REQUEST,
            "UnsupportedQuery",
            &format!(
                "The filter '{}' is not supported. Supported filters are 'roleName eq '{{value}}'', 'type eq 'BuiltInRole'|'CustomRole'' and 'atScopeAndBelow()'.",
                filter.unwrap_or_default()
            ),
        );
    }
    let items = world
        .role_definitions()
        .iter()
        .filter(|d| visible_at(d, scope))
        .filter(|d| role_name.as_deref().is_none_or(|n| eq(&d.role_name, n)))
        .filter(|d| {
            role_type
                .as_deref()
                .is_none_or(|t| eq(&format!("{:?}", d.role_type), t))
        })
        .map(|d| definition_json(scope, d))
        .collect();
    drop(world);
    paged(shared, req, items)
}

fn definition(shared: &Shared, req: &Request, scope: &str, id: &str) -> Response {
    let mut world = shared.world.lock();
    let existing = world.role_definitions().into_iter().find(|d| eq(&d.id, id));
    let not_found = || {
        arm_error(
            StatusCode::NOT_FOUND,
            "RoleDefinitionDoesNotExist",
            &format!("The specified role definition with ID '{id}' does not exist."),
        )
    };
    match req.method {
        Method::GET => match existing {
            Some(d) if visible_at(&d, scope) => Json(definition_json(scope, &d)).into_response(),
            _ => not_found(),
        },
        Method::DELETE => {
            if let Err(r) = authorize(
                &world,
                &req.caller,
                scope,
                "Microsoft.Authorization/roleDefinitions/delete",
            ) {
                return r;
            }
            match existing {
                None => StatusCode::NO_CONTENT.into_response(),
                Some(d) if d.role_type == RoleType::BuiltInRole => arm_error(
                    StatusCode::BAD_REQUEST,
                    "BuiltInRoleCannotBeDeleted",
                    "Built-in roles cannot be deleted.",
                ),
                Some(d) => {
                    if world
                        .role_assignments
                        .iter()
                        .any(|a| eq(&a.role_definition_id, &d.id))
                    {
                        return arm_error(
                            StatusCode::CONFLICT,
                            "RoleDefinitionHasAssignments",
                            "There are existing role assignments referencing role (code: RoleDefinitionHasAssignments): remove them first.",
                        );
                    }
                    world.custom_roles.retain(|c| !eq(&c.id, &d.id));
                    drop(world);
                    shared.mark_dirty();
                    Json(definition_json(scope, &d)).into_response()
                }
            }
        }
        Method::PUT => {
            if let Err(r) = authorize(
                &world,
                &req.caller,
                scope,
                "Microsoft.Authorization/roleDefinitions/write",
            ) {
                return r;
            }
            if !is_guid(id) {
                return arm_error(
                    StatusCode::BAD_REQUEST,
                    "InvalidRoleDefinitionId",
                    &format!(
                        "The role definition ID '{id}' is not valid. The role definition ID must be a GUID."
                    ),
                );
            }
            if existing
                .as_ref()
                .is_some_and(|d| d.role_type == RoleType::BuiltInRole)
            {
                return arm_error(
                    StatusCode::BAD_REQUEST,
                    "BuiltInRoleCannotBeModified",
                    "Built-in roles cannot be modified.",
                );
            }
            let body = match req.json_body() {
                Ok(b) => b,
                Err(r) => return r,
            };
            let props = &body["properties"];
            let Some(role_name) = props["roleName"].as_str().filter(|n| !n.trim().is_empty())
            else {
                return arm_error(
                    StatusCode::BAD_REQUEST,
                    "InvalidRoleDefinition",
                    "The role definition must have properties.roleName.",
                );
            };
            if world
                .role_definitions()
                .iter()
                .any(|d| eq(&d.role_name, role_name) && !eq(&d.id, id))
            {
                return arm_error(
                    StatusCode::CONFLICT,
                    "RoleDefinitionWithSameNameExists",
                    &format!(
                        "A custom role with the same name '{role_name}' already exists in this directory. Use a different name."
                    ),
                );
            }
            let permissions: Vec<access::Permission> =
                match serde_json::from_value(props["permissions"].clone()) {
                    Ok(p) => p,
                    Err(e) => {
                        return arm_error(
                            StatusCode::BAD_REQUEST,
                            "InvalidRoleDefinition",
                            &format!("properties.permissions is not valid: {e}."),
                        );
                    }
                };
            let assignable: Vec<String> = props["assignableScopes"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            if assignable.is_empty() {
                return arm_error(
                    StatusCode::BAD_REQUEST,
                    "InvalidAssignableScopes",
                    "properties.assignableScopes must name at least one scope.",
                );
            }
            for s in &assignable {
                if let Err(r) = canonical_scope(&world, s) {
                    return r;
                }
            }
            let now = resources::now_rfc3339();
            let role = RoleDefinition {
                id: id.to_ascii_lowercase(),
                role_name: role_name.to_string(),
                description: props["description"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                role_type: RoleType::CustomRole,
                permissions,
                assignable_scopes: assignable,
                created_at_scope: Some(scope.to_string()),
                created_on: existing
                    .as_ref()
                    .and_then(|e| e.created_on.clone())
                    .or(Some(now.clone())),
                updated_on: Some(now),
            };
            let body = definition_json(scope, &role);
            world.custom_roles.retain(|c| !eq(&c.id, id));
            world.custom_roles.push(role);
            drop(world);
            shared.mark_dirty();
            (StatusCode::CREATED, Json(body)).into_response()
        }
        _ => super::method_not_allowed(req),
    }
}

fn deny_json(d: &DenyAssignment) -> Value {
    json!({
        "id": d.arm_id(),
        "name": d.name,
        "type": "Microsoft.Authorization/denyAssignments",
        "properties": {
            "denyAssignmentName": d.deny_assignment_name,
            "description": d.description,
            "permissions": d.permissions,
            "scope": d.scope,
            "doNotApplyToChildScopes": d.do_not_apply_to_child_scopes,
            "principals": d.principals,
            "excludePrincipals": d.exclude_principals,
            "isSystemProtected": d.is_system_protected,
        },
    })
}

fn list_denies(shared: &Shared, req: &Request, scope: &str) -> Response {
    if req.method != Method::GET {
        return super::method_not_allowed(req);
    }
    let world = shared.world.lock();
    if let Err(r) = authorize(
        &world,
        &req.caller,
        scope,
        "Microsoft.Authorization/denyAssignments/read",
    ) {
        return r;
    }
    let filter = req.query.get("$filter").map(|f| f.replace('+', " "));
    let quoted = |prefix: &str| -> Option<String> {
        let f = filter.as_deref()?.trim();
        f.strip_prefix(prefix)?
            .strip_suffix('\'')
            .map(str::to_string)
    };
    let at_scope = filter.as_deref().map(str::trim) == Some("atScope()");
    let by_name = quoted("denyAssignmentName eq '");
    let by_principal = quoted("principalId eq '").or_else(|| quoted("gdprExportPrincipalId eq '"));
    if filter.is_some() && !at_scope && by_name.is_none() && by_principal.is_none() {
        return arm_error(
            StatusCode::BAD_REQUEST,
            "UnsupportedQuery",
            &format!(
                "The filter '{}' is not supported. Supported filters are 'atScope()', 'denyAssignmentName eq '{{value}}'' and 'principalId eq '{{value}}''.",
                filter.unwrap_or_default()
            ),
        );
    }
    let mgs = world.management_group_scopes(scope);
    let target = access::Target {
        scope,
        management_groups: &mgs,
    };
    let items = world
        .deny_assignments
        .iter()
        .filter(|d| {
            access::scope_applies(&d.scope, &target)
                || (!at_scope && access::is_same_or_below(&d.scope, scope))
        })
        .filter(|d| {
            by_name
                .as_deref()
                .is_none_or(|n| eq(&d.deny_assignment_name, n))
        })
        .filter(|d| {
            by_principal.as_deref().is_none_or(|p| {
                let groups = world.transitive_groups(p);
                d.principals.iter().any(|x| {
                    x.id == access::EVERYONE || eq(&x.id, p) || groups.iter().any(|g| eq(g, &x.id))
                })
            })
        })
        .map(deny_json)
        .collect();
    drop(world);
    paged(shared, req, items)
}

fn deny(shared: &Shared, req: &Request, scope: &str, id: &str) -> Response {
    if req.method != Method::GET {
        return arm_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "Deny assignments are read-only: Azure creates them (managed applications, deployment stacks, Blueprints).",
        );
    }
    let world = shared.world.lock();
    if let Err(r) = authorize(
        &world,
        &req.caller,
        scope,
        "Microsoft.Authorization/denyAssignments/read",
    ) {
        return r;
    }
    match world.deny_assignments.iter().find(|d| eq(&d.name, id)) {
        Some(d) => Json(deny_json(d)).into_response(),
        None => arm_error(
            StatusCode::NOT_FOUND,
            "DenyAssignmentNotFound",
            &format!("The deny assignment '{id}' is not found."),
        ),
    }
}

/// The caller's own permissions at a scope: one entry per role assignment that reaches it.
fn permissions(shared: &Shared, req: &Request, scope: &str) -> Response {
    if req.method != Method::GET {
        return super::method_not_allowed(req);
    }
    let world = shared.world.lock();
    let groups = world.transitive_groups(&req.caller.object_id);
    let mgs = world.management_group_scopes(scope);
    let target = access::Target {
        scope,
        management_groups: &mgs,
    };
    let definitions = world.role_definitions();
    let items: Vec<Value> = world
        .role_assignments
        .iter()
        .filter(|a| {
            eq(&a.principal_id, &req.caller.object_id)
                || groups.iter().any(|g| eq(g, &a.principal_id))
        })
        .filter(|a| access::scope_applies(&a.scope, &target))
        .filter_map(|a| {
            definitions
                .iter()
                .find(|d| eq(&d.id, &a.role_definition_id))
        })
        .flat_map(|d| {
            d.permissions
                .iter()
                .map(|p| serde_json::to_value(p).unwrap_or_default())
        })
        .collect();
    drop(world);
    paged(shared, req, items)
}
