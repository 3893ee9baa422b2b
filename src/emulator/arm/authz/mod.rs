//! `Microsoft.Authorization` at any scope: role assignments (create, get, list with the
//! `$filter` forms Azure accepts, delete), role definitions (built-in and custom), deny
//! assignments (read) and the caller's permissions.
//!
//! Layout: this file routes and holds the one CRUD skeleton (authorise by verb, find, render,
//! validate a GUID name, persist) that role assignments (`assignments.rs`) and role definitions
//! (`definitions.rs`) fill in; `denies.rs` has the read-only deny assignments and permissions.

mod assignments;
mod definitions;
mod denies;

use assignments::{Assignments, list_assignments};
use definitions::{Definitions, list_definitions};
use denies::{deny, list_denies, permissions};

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use serde_json::Value;

use super::{Request, arm_error, authorize, eq};
use crate::emulator::Shared;
use crate::emulator::resources::ResourceId;
use crate::emulator::world::World;

pub fn handle(shared: &Arc<Shared>, req: &Request, scope: &str, rest: &[&str]) -> Response {
    let scope = match canonical_scope(&shared.world.lock(), scope) {
        Ok(s) => s,
        Err(r) => return r,
    };
    match rest {
        [kind] if eq(kind, "roleAssignments") => list_assignments(shared, req, &scope),
        [kind, name] if eq(kind, "roleAssignments") => {
            crud::<Assignments>(shared, req, &scope, name)
        }
        [kind] if eq(kind, "roleDefinitions") => list_definitions(shared, req, &scope),
        [kind, id] if eq(kind, "roleDefinitions") => crud::<Definitions>(shared, req, &scope, id),
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

/// One kind of `Microsoft.Authorization` item that is read, created and deleted by name.
trait Crud {
    type Item: Clone;
    /// `Microsoft.Authorization/roleAssignments`: the verbs `read`, `write`, `delete` follow.
    const ACTION: &'static str;
    /// Whether reading one needs the `read` action (role definitions are readable by anyone
    /// signed in).
    const READ_NEEDS_ACTION: bool;
    /// ARM's code for a name that is not a GUID (`InvalidRoleAssignmentId`).
    const INVALID_ID: &'static str;
    /// A person's name for the kind (`role assignment`).
    const NOUN: &'static str;

    fn find(world: &World, scope: &str, name: &str) -> Option<Self::Item>;
    /// The item as GET answers it at `scope`, or `None` when it is not visible there.
    fn render(req: &Request, scope: &str, item: &Self::Item) -> Option<Value>;
    fn not_found(name: &str) -> Response;
    /// Removes it, or says why it cannot be (built in, still referenced).
    fn remove(
        world: &mut World,
        req: &Request,
        scope: &str,
        item: &Self::Item,
    ) -> Result<Value, Response>;
    /// Validates a PUT's `properties` and stores the item; answers its body.
    fn put(
        world: &mut World,
        req: &Request,
        scope: &str,
        name: &str,
        existing: Option<&Self::Item>,
        properties: &Value,
    ) -> Result<Value, Response>;
}

/// GET, PUT and DELETE of one item, authorised at the scope by verb as ARM does, persisted
/// before it is answered.
fn crud<C: Crud>(shared: &Shared, req: &Request, scope: &str, name: &str) -> Response {
    let verb = match req.method {
        Method::GET => "read",
        Method::PUT => "write",
        Method::DELETE => "delete",
        _ => return super::method_not_allowed(req),
    };
    let mut world = shared.world.lock();
    if (verb != "read" || C::READ_NEEDS_ACTION)
        && let Err(r) = authorize(&world, &req.caller, scope, &format!("{}/{verb}", C::ACTION))
    {
        return r;
    }
    let existing = C::find(&world, scope, name);
    let outcome = match req.method {
        Method::GET => {
            return match existing.as_ref().and_then(|i| C::render(req, scope, i)) {
                Some(body) => Json(body).into_response(),
                None => C::not_found(name),
            };
        }
        Method::DELETE => match &existing {
            None => return StatusCode::NO_CONTENT.into_response(),
            Some(item) => C::remove(&mut world, req, scope, item).map(|b| (StatusCode::OK, b)),
        },
        _ => {
            if !is_guid(name) {
                return arm_error(
                    StatusCode::BAD_REQUEST,
                    C::INVALID_ID,
                    &format!(
                        "The {} ID '{name}' is not valid. The {} ID must be a GUID.",
                        C::NOUN,
                        C::NOUN
                    ),
                );
            }
            let body = match req.json_body() {
                Ok(b) => b,
                Err(r) => return r,
            };
            C::put(
                &mut world,
                req,
                scope,
                name,
                existing.as_ref(),
                &body["properties"],
            )
            .map(|b| (StatusCode::CREATED, b))
        }
    };
    match outcome {
        Ok((status, body)) => {
            drop(world);
            shared.mark_dirty();
            (status, Json(body)).into_response()
        }
        Err(r) => r,
    }
}

fn trailing_guid(id: &str) -> &str {
    id.trim_end_matches('/').rsplit('/').next().unwrap_or(id)
}

/// A GUID as ARM takes it in a name: the hyphenated 8-4-4-4-12 form only (`uuid` would also
/// take braces, `urn:uuid:` and 32 bare digits, which ARM refuses).
fn is_guid(s: &str) -> bool {
    s.len() == 36 && uuid::Uuid::try_parse(s).is_ok()
}

#[cfg(test)]
mod tests {
    use super::is_guid;

    #[test]
    fn role_assignment_names_are_hyphenated_guids_only() {
        assert!(is_guid("0f1e2d3c-4b5a-4968-8776-000000000001"));
        for bad in [
            "{0f1e2d3c-4b5a-4968-8776-000000000001}",
            "urn:uuid:0f1e2d3c-4b5a-4968-8776-000000000001",
            "0f1e2d3c4b5a49688776000000000001",
            "not-a-guid",
        ] {
            assert!(!is_guid(bad), "{bad}");
        }
    }
}
