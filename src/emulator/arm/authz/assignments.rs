//! Role assignments: list with the `$filter` forms Azure accepts; get, create and delete
//! through the shared skeleton, with ARM's checks on what is created.

use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::super::{Request, arm_error, authorize, eq, paged};
use super::{Crud, definition_arm_id, trailing_guid};
use crate::access::{self, PrincipalType, RoleAssignment, RoleType};
use crate::emulator::Shared;
use crate::emulator::resources;
use crate::emulator::world::{PrincipalKind, World};

/// A role assignment as Azure renders it at `api_version`: description, condition and the
/// delegated identity came with 2020-04-01-preview; older versions (the recorded 2018-01-01-preview
/// answers) have no such keys at all, not even as null.
fn assignment_json(a: &RoleAssignment, api_version: &str) -> Value {
    let mut properties = json!({
        "roleDefinitionId": definition_arm_id(&a.scope, &a.role_definition_id),
        "principalId": a.principal_id,
        "principalType": a.principal_type,
        "scope": a.scope,
        "createdOn": a.created_on,
        "updatedOn": a.updated_on,
        "createdBy": a.created_by,
        "updatedBy": a.created_by,
    });
    if api_version.get(..10).unwrap_or(api_version) >= "2020-04-01" {
        properties["condition"] = json!(a.condition);
        properties["conditionVersion"] = json!(a.condition_version);
        properties["description"] = json!(a.description);
        properties["delegatedManagedIdentityResourceId"] = Value::Null;
    }
    json!({
        "id": a.arm_id(),
        "name": a.name,
        "type": "Microsoft.Authorization/roleAssignments",
        "properties": properties,
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

pub(super) fn list_assignments(shared: &Shared, req: &Request, scope: &str) -> Response {
    if req.method != Method::GET {
        return super::super::method_not_allowed(req);
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
        .map(|a| assignment_json(a, &req.api_version))
        .collect();
    drop(world);
    paged(shared, req, items)
}

/// Role assignments, by name (a GUID) at a scope.
pub(super) struct Assignments;

impl Crud for Assignments {
    type Item = RoleAssignment;
    const ACTION: &'static str = "Microsoft.Authorization/roleAssignments";
    const READ_NEEDS_ACTION: bool = true;
    const INVALID_ID: &'static str = "InvalidRoleAssignmentId";
    const NOUN: &'static str = "role assignment";

    fn find(world: &World, scope: &str, name: &str) -> Option<RoleAssignment> {
        world
            .role_assignments
            .iter()
            .find(|a| {
                eq(&a.name, name)
                    && eq(
                        access::model::scope_prefix(&a.scope),
                        access::model::scope_prefix(scope),
                    )
            })
            .cloned()
    }

    fn render(req: &Request, _scope: &str, a: &RoleAssignment) -> Option<Value> {
        Some(assignment_json(a, &req.api_version))
    }

    fn not_found(name: &str) -> Response {
        arm_error(
            StatusCode::NOT_FOUND,
            "RoleAssignmentNotFound",
            &format!("The role assignment '{name}' is not found."),
        )
    }

    fn remove(
        world: &mut World,
        req: &Request,
        _scope: &str,
        a: &RoleAssignment,
    ) -> Result<Value, Response> {
        world
            .role_assignments
            .retain(|x| !(eq(&x.name, &a.name) && eq(&x.scope, &a.scope)));
        Ok(assignment_json(a, &req.api_version))
    }

    fn put(
        world: &mut World,
        req: &Request,
        scope: &str,
        name: &str,
        existing: Option<&RoleAssignment>,
        props: &Value,
    ) -> Result<Value, Response> {
        let (Some(role_id), Some(principal_id)) = (
            props["roleDefinitionId"].as_str(),
            props["principalId"].as_str(),
        ) else {
            return Err(arm_error(
                StatusCode::BAD_REQUEST,
                "InvalidRequestContent",
                "The request must have properties.roleDefinitionId and properties.principalId.",
            ));
        };
        let guid = trailing_guid(role_id);
        let definition = assignable_role(world, scope, guid)?;
        let actual = principal_type(world, principal_id, props["principalType"].as_str())?;
        if let Some(existing) = existing {
            if eq(&existing.principal_id, principal_id) && eq(&existing.role_definition_id, guid) {
                return Err(exists());
            }
            return Err(arm_error(
                StatusCode::BAD_REQUEST,
                "RoleAssignmentUpdateNotPermitted",
                "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
            ));
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
            return Err(exists());
        }
        let now = resources::now_rfc3339();
        let condition = props["condition"].as_str().map(str::to_string);
        let assignment = RoleAssignment {
            name: name.to_ascii_lowercase(),
            scope: scope.to_string(),
            role_definition_id: definition,
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
        let body = assignment_json(&assignment, &req.api_version);
        world.role_assignments.push(assignment);
        Ok(body)
    }
}

fn exists() -> Response {
    arm_error(
        StatusCode::CONFLICT,
        "RoleAssignmentExists",
        "The role assignment already exists.",
    )
}

/// The id of the role `guid`, when it exists and may be assigned at `scope`.
fn assignable_role(world: &World, scope: &str, guid: &str) -> Result<String, Response> {
    let definitions = world.role_definitions();
    let Some(definition) = definitions.iter().find(|d| eq(&d.id, guid)) else {
        return Err(arm_error(
            StatusCode::BAD_REQUEST,
            "RoleDefinitionDoesNotExist",
            &format!("The specified role definition with ID '{guid}' does not exist."),
        ));
    };
    if definition.role_type == RoleType::CustomRole
        && !definition
            .assignable_scopes
            .iter()
            .any(|s| access::is_same_or_below(scope, s))
    {
        return Err(arm_error(
            StatusCode::FORBIDDEN,
            "RoleDefinitionNotAssignableAtScope",
            &format!(
                "The role '{}' cannot be assigned at scope '{scope}': it is not one of its assignable scopes.",
                definition.role_name
            ),
        ));
    }
    Ok(definition.id.clone())
}

/// The principal's type in the directory, checked against the one the caller gave.
fn principal_type(
    world: &World,
    principal_id: &str,
    given: Option<&str>,
) -> Result<PrincipalType, Response> {
    let Some(kind) = world.principal_kind(principal_id) else {
        return Err(arm_error(
            StatusCode::BAD_REQUEST,
            "PrincipalNotFound",
            &format!(
                "Principal {} does not exist in the directory {}. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype",
                principal_id.replace('-', ""),
                world.tenant.id
            ),
        ));
    };
    let actual = match kind {
        PrincipalKind::User => PrincipalType::User,
        PrincipalKind::Group => PrincipalType::Group,
        PrincipalKind::ServicePrincipal | PrincipalKind::ManagedIdentity => {
            PrincipalType::ServicePrincipal
        }
    };
    match given.map(|g| (g, PrincipalType::parse(g))) {
        None => Ok(actual),
        Some((_, Some(t))) if t == actual => Ok(actual),
        Some((given, Some(_))) => Err(arm_error(
            StatusCode::BAD_REQUEST,
            "UnmatchedPrincipalType",
            &format!(
                "The PrincipalId '{principal_id}' has type '{actual:?}', which is different from specified PrincipalType '{given}'."
            ),
        )),
        Some((given, None)) => Err(arm_error(
            StatusCode::BAD_REQUEST,
            "InvalidPrincipalType",
            &format!(
                "The principalType '{given}' is not valid: use User, Group or ServicePrincipal."
            ),
        )),
    }
}
