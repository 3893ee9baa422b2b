//! Resources of the providers the emulator serves: route by provider and type, GET/PUT/PATCH/
//! DELETE, POST actions (listKeys, regenerateKeys), lists of children and by type, name checks.

use super::*;

pub(super) fn resource_route(
    shared: &Arc<Shared>,
    req: &Request,
    sub: &str,
    rg: &str,
    tail: &[&str],
) -> Response {
    let (provider, rest) = tail.split_first().expect("tail is not empty");
    if resources::api_versions(provider).is_empty() {
        return arm_error(
            StatusCode::NOT_FOUND,
            "InvalidResourceNamespace",
            &format!("The resource namespace '{provider}' is invalid."),
        );
    }
    if rest.len() % 2 == 0 && !rest.is_empty() {
        return match ResourceId::from_parts(sub, rg, tail) {
            Some(id) => resource(shared, req, &id),
            None => invalid_type(req, provider, rest),
        };
    }
    // Odd: a collection (`…/{type}`), or an action on a resource (`…/{name}/{action}`).
    let types: Vec<&str> = rest.iter().step_by(2).copied().collect();
    if let Some(kind) = resources::kind_for(provider, &types) {
        return list_children(shared, req, sub, rg, kind, &rest[..rest.len() - 1]);
    }
    let (action, resource_parts) = tail.split_last().expect("tail is not empty");
    match ResourceId::from_parts(sub, rg, resource_parts) {
        Some(id) if id.kind.actions.iter().any(|a| eq(a, action)) => {
            if req.method != Method::POST {
                return method_not_allowed(req);
            }
            let canonical_action = id
                .kind
                .actions
                .iter()
                .find(|a| eq(a, action))
                .copied()
                .unwrap_or_default();
            resource_action(shared, req, &id, canonical_action)
        }
        _ => invalid_type(req, provider, rest),
    }
}

pub(super) fn invalid_type(req: &Request, provider: &str, rest: &[&str]) -> Response {
    let types: Vec<&str> = rest.iter().step_by(2).copied().collect();
    arm_error(
        StatusCode::NOT_FOUND,
        "InvalidResourceType",
        &format!(
            "The resource type '{}' could not be found in the namespace '{provider}' for api version '{}'.",
            types.join("/"),
            req.api_version
        ),
    )
}

pub(super) fn not_found(id: &ResourceId) -> Response {
    arm_error(
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
        &format!(
            "The Resource '{}/{}' under resource group '{}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
            id.kind.provider,
            id.kind
                .segments
                .iter()
                .zip(&id.names)
                .map(|(t, n)| format!("{t}/{n}"))
                .collect::<Vec<_>>()
                .join("/"),
            id.resource_group
        ),
    )
}

pub(super) fn resource(shared: &Arc<Shared>, req: &Request, id: &ResourceId) -> Response {
    let scope = id.canonical(&id.resource_group);
    let verb = match req.method {
        Method::GET | Method::HEAD => "read",
        Method::PUT | Method::PATCH => "write",
        Method::DELETE => "delete",
        _ => return method_not_allowed(req),
    };
    let mut world = shared.world.lock();
    if let Err(r) = authorize(
        &world,
        &req.caller,
        &scope,
        &format!("{}/{verb}", id.kind.action_type),
    ) {
        return r;
    }
    let Some(rg_name) = world
        .resource(&id.resource_group_id())
        .map(|r| r.name.clone())
    else {
        return rg_not_found(&id.resource_group);
    };
    let canonical = id.canonical(&rg_name);
    let existing = world.resource(&canonical).cloned();
    match req.method {
        Method::GET | Method::HEAD => match existing {
            Some(r) => Json(render::resource(shared, &world, &r, &req.api_version)).into_response(),
            None => not_found(id),
        },
        Method::DELETE => {
            if existing.is_none() {
                return StatusCode::NO_CONTENT.into_response();
            }
            let removed = remove_tree(&mut world, &canonical);
            drop(world);
            removed.stop(shared);
            shared.mark_dirty();
            StatusCode::OK.into_response()
        }
        _ => {
            if req.method == Method::PATCH && existing.is_none() {
                return not_found(id);
            }
            if let Some(parent) = id.parent()
                && world.resource(&parent.canonical(&rg_name)).is_none()
            {
                return arm_error(
                    StatusCode::NOT_FOUND,
                    "ParentResourceNotFound",
                    &format!(
                        "Can not perform requested operation on nested resource. Parent resource '{}' not found.",
                        parent.names.join("/")
                    ),
                );
            }
            let body = match req.json_body() {
                Ok(b) => b,
                Err(r) => return r,
            };
            let is_namespace = id.kind.segments == ["namespaces"];
            if is_namespace && existing.is_none() {
                let taken = world
                    .resources
                    .values()
                    .any(|r| r.type_name == "Microsoft.Relay/Namespaces" && eq(&r.name, id.name()));
                if taken {
                    return arm_error(
                        StatusCode::CONFLICT,
                        "Conflict",
                        &format!(
                            "The namespace name '{}' is already in use. Namespace names are unique across Azure: pick another.",
                            id.name()
                        ),
                    );
                }
            }
            let endpoint = if is_namespace {
                match shared.relay.ensure(shared, &canonical, None) {
                    Ok(e) => Some(e),
                    Err(e) => {
                        return arm_error(
                            StatusCode::INTERNAL_SERVER_ERROR,
                            "InternalServerError",
                            &format!("{e:#}"),
                        );
                    }
                }
            } else {
                None
            };
            let mut built = match resources::build(
                id,
                canonical.clone(),
                &body,
                existing.as_ref(),
                endpoint.as_deref(),
                Some(&req.caller.object_id),
            ) {
                Ok(r) => r,
                Err(e) => {
                    if is_namespace && existing.is_none() {
                        shared.relay.remove(&canonical);
                    }
                    return arm_error(StatusCode::BAD_REQUEST, "BadRequest", &e.to_string());
                }
            };
            if id.kind.type_name == "Microsoft.ManagedIdentity/userAssignedIdentities" {
                render::attach_identity(&mut world, &mut built, existing.as_ref());
            }
            let rendered = render::resource(shared, &world, &built, &req.api_version);
            world.resources.insert(World::key(&canonical), built);
            if is_namespace
                && existing.is_none()
                && let Err(e) = crate::emulator::seed::add_default_rule(&mut world, &canonical)
            {
                return arm_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalServerError",
                    &format!("{e:#}"),
                );
            }
            drop(world);
            shared.mark_dirty();
            // Children must answer 200 even when new (the SDKs accept nothing else); tracked
            // resources answer 201 when created, but a Relay namespace 200, as Azure's Relay
            // provider answered in the Azure SDK team's recordings.
            let status = if existing.is_none() && id.kind.tracked && !is_namespace {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            (status, Json(rendered)).into_response()
        }
    }
}

pub(super) fn resource_action(
    shared: &Arc<Shared>,
    req: &Request,
    id: &ResourceId,
    action: &str,
) -> Response {
    let scope = id.canonical(&id.resource_group);
    let mut world = shared.world.lock();
    if let Err(r) = authorize(
        &world,
        &req.caller,
        &scope,
        &format!("{}/{action}/action", id.kind.action_type),
    ) {
        return r;
    }
    let Some(rg_name) = world
        .resource(&id.resource_group_id())
        .map(|r| r.name.clone())
    else {
        return rg_not_found(&id.resource_group);
    };
    let key = World::key(&id.canonical(&rg_name));
    let Some(rule) = world.resources.get(&key).cloned() else {
        return not_found(id);
    };
    if action == "regenerateKeys" {
        let body = match req.json_body() {
            Ok(b) => b,
            Err(r) => return r,
        };
        let explicit = body["key"]
            .as_str()
            .filter(|k| !k.is_empty())
            .map(str::to_string);
        if let Some(k) = &explicit
            && (k.len() < 16 || k.len() > 256)
        {
            return arm_error(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "The key must be 16 to 256 characters long.",
            );
        }
        let new_key = explicit.unwrap_or_else(resources::new_sas_key);
        let Some(stored) = world.resources.get_mut(&key) else {
            return not_found(id);
        };
        let Some(keys) = stored.keys.as_mut() else {
            return not_found(id);
        };
        match body["keyType"].as_str() {
            Some(t) if eq(t, "PrimaryKey") => keys.primary = new_key,
            Some(t) if eq(t, "SecondaryKey") => keys.secondary = new_key,
            other => {
                return arm_error(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    &format!(
                        "The keyType {} is not valid: use 'PrimaryKey' or 'SecondaryKey'.",
                        other
                            .map(|o| format!("'{o}'"))
                            .unwrap_or_else(|| "(missing)".into())
                    ),
                );
            }
        }
        let stored = stored.clone();
        let rendered = render::access_keys(&world, id, &stored);
        drop(world);
        shared.mark_dirty();
        return Json(rendered).into_response();
    }
    Json(render::access_keys(&world, id, &rule)).into_response()
}

/// `…/{parent}/{type}`: the children of one parent (or the resources of a type in a group).
pub(super) fn list_children(
    shared: &Shared,
    req: &Request,
    sub: &str,
    rg: &str,
    kind: &'static Kind,
    parent_parts: &[&str],
) -> Response {
    if req.method != Method::GET {
        return method_not_allowed(req);
    }
    let world = shared.world.lock();
    let Some(rg_name) = world.resource(&rg_id(sub, rg)).map(|r| r.name.clone()) else {
        let action = format!("{}/read", kind.action_type);
        if let Err(r) = authorize(&world, &req.caller, &rg_id(sub, rg), &action) {
            return r;
        }
        return rg_not_found(rg);
    };
    let mut parent_scope = rg_id(sub, &rg_name);
    if !parent_parts.is_empty() {
        let mut parts = vec![kind.provider];
        parts.extend(parent_parts);
        let Some(parent) = ResourceId::from_parts(sub, &rg_name, &parts) else {
            return not_a_route(req);
        };
        parent_scope = parent.canonical(&rg_name);
        if world.resource(&parent_scope).is_none() {
            if let Err(r) = authorize(
                &world,
                &req.caller,
                &parent_scope,
                &format!("{}/read", kind.action_type),
            ) {
                return r;
            }
            return not_found(&parent);
        }
    }
    list_filtered(shared, req, &world, kind, &parent_scope)
}

pub(super) fn list_filtered(
    shared: &Shared,
    req: &Request,
    world: &World,
    kind: &Kind,
    list_scope: &str,
) -> Response {
    let action = format!("{}/read", kind.action_type);
    // Resources are keyed by their lower-cased id, so everything below a scope is one range.
    let prefix = format!("{}/", World::key(list_scope));
    let items: Vec<&Resource> = world
        .resources
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .map(|(_, r)| r)
        .filter(|r| r.type_name == kind.type_name)
        .collect();
    // Read at the list's scope reaches every item below it, unless a deny assignment could
    // take reads away; only then is each item checked on its own.
    let whole_scope = authorize(world, &req.caller, list_scope, &action).is_ok()
        && world
            .deny_assignments
            .iter()
            .all(|d| d.permissions.iter().all(|p| p.actions.is_empty()));
    let visible: Vec<Value> = items
        .into_iter()
        .filter(|r| whole_scope || authorize(world, &req.caller, &r.id, &action).is_ok())
        .map(|r| render::resource(shared, world, r, &req.api_version))
        .collect();
    // ARM filters a list by what the caller may read; it refuses only a caller that holds
    // nothing at or below the list's scope.
    if visible.is_empty()
        && !world.has_any_access_at_or_below(&req.caller.object_id, list_scope)
        && let Err(r) = authorize(world, &req.caller, list_scope, &action)
    {
        return r;
    }
    paged(shared, req, visible)
}

pub(super) fn list_by_subscription(
    shared: &Shared,
    req: &Request,
    sub: &str,
    provider: &str,
    types: &[&str],
) -> Response {
    if req.method != Method::GET {
        return method_not_allowed(req);
    }
    let Some(kind) = KINDS.iter().find(|k| {
        eq(k.provider, provider)
            && k.segments.len() == 1
            && types.len() == 1
            && eq(k.segments[0], types[0])
    }) else {
        let joined = types.join("/");
        return invalid_type(req, provider, &[joined.as_str()]);
    };
    let world = shared.world.lock();
    list_filtered(shared, req, &world, kind, &format!("/subscriptions/{sub}"))
}

pub(super) fn check_name_availability(shared: &Shared, req: &Request, sub: &str) -> Response {
    if req.method != Method::POST {
        return method_not_allowed(req);
    }
    let world = shared.world.lock();
    let scope = format!("/subscriptions/{sub}");
    if let Err(r) = authorize(
        &world,
        &req.caller,
        &scope,
        "Microsoft.Relay/checkNameAvailability/action",
    ) {
        return r;
    }
    let body = match req.json_body() {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(name) = body["name"].as_str() else {
        return arm_error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "The 'name' property is required.",
        );
    };
    let probe = ResourceId::parse(&format!(
        "/subscriptions/{sub}/resourceGroups/x/providers/Microsoft.Relay/namespaces/{name}"
    ));
    let valid = probe.as_ref().is_some_and(|id| {
        resources::build(
            id,
            String::new(),
            &json!({"location": "x"}),
            None,
            Some(""),
            None,
        )
        .is_ok()
    });
    let taken = world
        .resources
        .values()
        .any(|r| r.type_name == "Microsoft.Relay/Namespaces" && eq(&r.name, name));
    let (available, reason, message) = if !valid {
        (
            false,
            "InvalidName",
            "The specified name is not valid: use 6 to 50 letters, digits and hyphens, starting with a letter.",
        )
    } else if taken {
        (false, "NameInUse", "The specified name is not available.")
    } else {
        (true, "None", "")
    };
    Json(json!({"nameAvailable": available, "reason": reason, "message": message})).into_response()
}
