//! Role definitions: built-in and custom, listed with their filters; custom roles created,
//! updated and deleted through the shared skeleton.

use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::super::{Request, arm_error, eq, paged};
use super::{Crud, canonical_scope, definition_arm_id};
use crate::access::{self, RoleDefinition, RoleType};
use crate::emulator::Shared;
use crate::emulator::resources;
use crate::emulator::world::World;

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

pub(super) fn list_definitions(shared: &Shared, req: &Request, scope: &str) -> Response {
    if req.method != Method::GET {
        return super::super::method_not_allowed(req);
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

/// Role definitions, by id (a GUID): built-in ones are read-only.
pub(super) struct Definitions;

impl Crud for Definitions {
    type Item = RoleDefinition;
    const ACTION: &'static str = "Microsoft.Authorization/roleDefinitions";
    const READ_NEEDS_ACTION: bool = false;
    const INVALID_ID: &'static str = "InvalidRoleDefinitionId";
    const NOUN: &'static str = "role definition";

    fn find(world: &World, _scope: &str, id: &str) -> Option<RoleDefinition> {
        world.role_definitions().into_iter().find(|d| eq(&d.id, id))
    }

    fn render(_req: &Request, scope: &str, d: &RoleDefinition) -> Option<Value> {
        visible_at(d, scope).then(|| definition_json(scope, d))
    }

    fn not_found(id: &str) -> Response {
        arm_error(
            StatusCode::NOT_FOUND,
            "RoleDefinitionDoesNotExist",
            &format!("The specified role definition with ID '{id}' does not exist."),
        )
    }

    fn remove(
        world: &mut World,
        _req: &Request,
        scope: &str,
        d: &RoleDefinition,
    ) -> Result<Value, Response> {
        if d.role_type == RoleType::BuiltInRole {
            return Err(arm_error(
                StatusCode::BAD_REQUEST,
                "BuiltInRoleCannotBeDeleted",
                "Built-in roles cannot be deleted.",
            ));
        }
        if world
            .role_assignments
            .iter()
            .any(|a| eq(&a.role_definition_id, &d.id))
        {
            return Err(arm_error(
                StatusCode::CONFLICT,
                "RoleDefinitionHasAssignments",
                "There are existing role assignments referencing role (code: RoleDefinitionHasAssignments): remove them first.",
            ));
        }
        world.custom_roles.retain(|c| !eq(&c.id, &d.id));
        Ok(definition_json(scope, d))
    }

    fn put(
        world: &mut World,
        _req: &Request,
        scope: &str,
        id: &str,
        existing: Option<&RoleDefinition>,
        props: &Value,
    ) -> Result<Value, Response> {
        if existing.is_some_and(|d| d.role_type == RoleType::BuiltInRole) {
            return Err(arm_error(
                StatusCode::BAD_REQUEST,
                "BuiltInRoleCannotBeModified",
                "Built-in roles cannot be modified.",
            ));
        }
        let Some(role_name) = props["roleName"].as_str().filter(|n| !n.trim().is_empty()) else {
            return Err(invalid(
                "The role definition must have properties.roleName.",
            ));
        };
        if world
            .role_definitions()
            .iter()
            .any(|d| eq(&d.role_name, role_name) && !eq(&d.id, id))
        {
            return Err(arm_error(
                StatusCode::CONFLICT,
                "RoleDefinitionWithSameNameExists",
                &format!(
                    "A custom role with the same name '{role_name}' already exists in this directory. Use a different name."
                ),
            ));
        }
        let permissions: Vec<access::Permission> =
            serde_json::from_value(props["permissions"].clone())
                .map_err(|e| invalid(&format!("properties.permissions is not valid: {e}.")))?;
        let assignable: Vec<String> = props["assignableScopes"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        if assignable.is_empty() {
            return Err(arm_error(
                StatusCode::BAD_REQUEST,
                "InvalidAssignableScopes",
                "properties.assignableScopes must name at least one scope.",
            ));
        }
        for s in &assignable {
            canonical_scope(world, s)?;
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
                .and_then(|e| e.created_on.clone())
                .or(Some(now.clone())),
            updated_on: Some(now),
        };
        let body = definition_json(scope, &role);
        world.custom_roles.retain(|c| !eq(&c.id, id));
        world.custom_roles.push(role);
        Ok(body)
    }
}

fn invalid(message: &str) -> Response {
    arm_error(StatusCode::BAD_REQUEST, "InvalidRoleDefinition", message)
}
