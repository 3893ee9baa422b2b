//! Deny assignments (read-only, as in Azure: they are made by managed applications, deployment
//! stacks and Blueprints) and the caller's own permissions at a scope.

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use serde_json::{Value, json};

use super::super::{Request, arm_error, authorize, eq, paged};
use crate::access::{self, DenyAssignment};
use crate::emulator::Shared;

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

pub(super) fn list_denies(shared: &Shared, req: &Request, scope: &str) -> Response {
    if req.method != Method::GET {
        return super::super::method_not_allowed(req);
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

pub(super) fn deny(shared: &Shared, req: &Request, scope: &str, id: &str) -> Response {
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
pub(super) fn permissions(shared: &Shared, req: &Request, scope: &str) -> Response {
    if req.method != Method::GET {
        return super::super::method_not_allowed(req);
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
