//! Subscriptions and resource groups: the subscription-level routes, resource groups (create,
//! read, list, delete with everything in them) and what a removal must also stop.

use super::*;

pub(super) fn subscription_route(
    shared: &Arc<Shared>,
    req: &Request,
    sub: &str,
    rest: &[&str],
) -> Response {
    match rest {
        [] => render::subscription(shared, req, sub),
        ["locations"] => render::locations(shared, req, sub),
        [rgs] if eq(rgs, "resourceGroups") => list_resource_groups(shared, req, sub),
        [providers] if eq(providers, "providers") => {
            super::generic::list_providers(shared, req, sub)
        }
        [resources] if eq(resources, "resources") => {
            super::generic::list_resources(shared, req, sub, None)
        }
        [rgs, rg, resources] if eq(rgs, "resourceGroups") && eq(resources, "resources") => {
            super::generic::list_resources(shared, req, sub, Some(rg))
        }
        [rgs, rg] if eq(rgs, "resourceGroups") => resource_group(shared, req, sub, rg),
        [rgs, rg, providers, tail @ ..]
            if eq(rgs, "resourceGroups") && eq(providers, "providers") && !tail.is_empty() =>
        {
            resource_route(shared, req, sub, rg, tail)
        }
        [providers, rp] if eq(providers, "providers") => {
            render::provider_registration(req, sub, rp)
        }
        [providers, rp, action]
            if eq(providers, "providers")
                && eq(rp, "Microsoft.Relay")
                && eq(action, "checkNameAvailability") =>
        {
            check_name_availability(shared, req, sub)
        }
        [providers, rp, types @ ..] if eq(providers, "providers") && !types.is_empty() => {
            list_by_subscription(shared, req, sub, rp, types)
        }
        _ => not_a_route(req),
    }
}

/// Pages a list as ARM does, with an absolute `nextLink` that keeps the other query parameters.
pub(crate) fn paged(shared: &Shared, req: &Request, items: Vec<Value>) -> Response {
    Json(paged_value(shared, req, items)).into_response()
}

pub(crate) fn paged_value(shared: &Shared, req: &Request, items: Vec<Value>) -> Value {
    let skip: usize = req
        .query
        .get("$skiptoken")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let size = req
        .query
        .get("$top")
        .and_then(|t| t.parse::<usize>().ok())
        .map(|t| t.min(shared.options.page_size))
        .unwrap_or(shared.options.page_size)
        .max(1);
    let end = (skip + size).min(items.len());
    let page: Vec<Value> = items
        .get(skip.min(items.len())..end)
        .map(<[Value]>::to_vec)
        .unwrap_or_default();
    let mut body = json!({ "value": page });
    if end < items.len() {
        let mut url = url::Url::parse(&format!(
            "{}{}",
            shared.endpoints.resource_manager, req.path
        ))
        .expect("the ARM endpoint is a valid URL");
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("api-version", &req.api_version);
            for (k, v) in &req.query {
                if k != "api-version" && k != "$skiptoken" {
                    q.append_pair(k, v);
                }
            }
            q.append_pair("$skiptoken", &end.to_string());
        }
        body["nextLink"] = json!(url.to_string());
    }
    body
}

pub(super) fn rg_not_found(rg: &str) -> Response {
    arm_error(
        StatusCode::NOT_FOUND,
        "ResourceGroupNotFound",
        &format!("Resource group '{rg}' could not be found."),
    )
}

pub(super) fn rg_id(sub: &str, rg: &str) -> String {
    format!("/subscriptions/{sub}/resourceGroups/{rg}")
}

pub(super) fn list_resource_groups(shared: &Shared, req: &Request, sub: &str) -> Response {
    if req.method != Method::GET {
        return method_not_allowed(req);
    }
    let world = shared.world.lock();
    let sub_scope = format!("/subscriptions/{sub}");
    let action = format!("{RESOURCE_GROUP_ACTION_TYPE}/read");
    let visible: Vec<Value> = world
        .resources
        .values()
        .filter(|r| {
            r.type_name == RESOURCE_GROUP_TYPE && resources::subscription_matches(&r.id, sub)
        })
        .filter(|r| authorize(&world, &req.caller, &r.id, &action).is_ok())
        .map(render::resource_group)
        .collect();
    if visible.is_empty()
        && !world.has_any_access_at_or_below(&req.caller.object_id, &sub_scope)
        && let Err(r) = authorize(&world, &req.caller, &sub_scope, &action)
    {
        return r;
    }
    paged(shared, req, visible)
}

pub(super) fn resource_group(shared: &Arc<Shared>, req: &Request, sub: &str, rg: &str) -> Response {
    let id = rg_id(sub, rg);
    let action = |verb: &str| format!("{RESOURCE_GROUP_ACTION_TYPE}/{verb}");
    let mut world = shared.world.lock();
    match req.method {
        Method::GET | Method::HEAD => {
            if let Err(r) = authorize(&world, &req.caller, &id, &action("read")) {
                return r;
            }
            match world.resource(&id) {
                Some(r) if req.method == Method::HEAD => {
                    let _ = r;
                    StatusCode::NO_CONTENT.into_response()
                }
                Some(r) => Json(render::resource_group(r)).into_response(),
                None => rg_not_found(rg),
            }
        }
        Method::PUT | Method::PATCH => {
            if let Err(r) = authorize(&world, &req.caller, &id, &action("write")) {
                return r;
            }
            let body = match req.json_body() {
                Ok(b) => b,
                Err(r) => return r,
            };
            let existing = world.resource(&id).cloned();
            if req.method == Method::PATCH && existing.is_none() {
                return rg_not_found(rg);
            }
            let location = body["location"]
                .as_str()
                .map(str::to_string)
                .or_else(|| existing.as_ref().and_then(|e| e.location.clone()));
            let Some(location) = location else {
                return arm_error(
                    StatusCode::BAD_REQUEST,
                    "LocationRequired",
                    "The location property is required for this definition.",
                );
            };
            if rg.is_empty()
                || rg.len() > 90
                || !rg
                    .chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '(' | ')'))
                || rg.ends_with('.')
            {
                return arm_error(
                    StatusCode::BAD_REQUEST,
                    "InvalidResourceGroup",
                    &format!(
                        "The provided resource group name '{rg}' has these invalid characters or length. Use 1 to 90 letters, digits, '-', '_', '.', '(' or ')', not ending in '.'."
                    ),
                );
            }
            let now = resources::now_rfc3339();
            let name = existing
                .as_ref()
                .map(|e| e.name.clone())
                .unwrap_or_else(|| rg.to_string());
            let canonical = rg_id(sub, &name);
            let resource = Resource {
                id: canonical.clone(),
                name,
                type_name: RESOURCE_GROUP_TYPE.to_string(),
                location: Some(location),
                tags: body
                    .get("tags")
                    .cloned()
                    .or_else(|| existing.as_ref().and_then(|e| e.tags.clone())),
                sku: None,
                identity: None,
                properties: json!({"provisioningState": "Succeeded"}),
                keys: None,
                created_at: existing
                    .as_ref()
                    .map(|e| e.created_at.clone())
                    .unwrap_or_else(|| now.clone()),
                updated_at: now,
                created_by: Some(req.caller.object_id.clone()),
            };
            let rendered = render::resource_group(&resource);
            world.resources.insert(World::key(&canonical), resource);
            drop(world);
            shared.mark_dirty();
            let status = if existing.is_some() {
                StatusCode::OK
            } else {
                StatusCode::CREATED
            };
            (status, Json(rendered)).into_response()
        }
        Method::DELETE => {
            if let Err(r) = authorize(&world, &req.caller, &id, &action("delete")) {
                return r;
            }
            if world.resource(&id).is_none() {
                return rg_not_found(rg);
            }
            let removed = remove_tree(&mut world, &id);
            drop(world);
            removed.stop(shared);
            shared.mark_dirty();
            StatusCode::OK.into_response()
        }
        _ => method_not_allowed(req),
    }
}

/// What a removal must also stop: namespace endpoints and hybrid connection listeners.
#[derive(Default)]
pub(super) struct Removed {
    pub(super) namespaces: Vec<String>,
    pub(super) entities: Vec<String>,
}

impl Removed {
    pub(super) fn stop(self, shared: &Shared) {
        for ns in self.namespaces {
            shared.relay.remove(&ns);
        }
        for e in self.entities {
            shared.hub.entity_deleted(&World::key(&e));
        }
    }
}

/// Removes a resource, everything below it and the role assignments made there.
pub(super) fn remove_tree(world: &mut World, id: &str) -> Removed {
    let key = World::key(id);
    let prefix = format!("{key}/");
    let doomed: Vec<String> = world
        .resources
        .keys()
        .filter(|k| **k == key || k.starts_with(&prefix))
        .cloned()
        .collect();
    let mut removed = Removed::default();
    for k in doomed {
        if let Some(r) = world.resources.remove(&k) {
            if r.type_name == "Microsoft.Relay/Namespaces" {
                removed.namespaces.push(r.id.clone());
            }
            if r.type_name == "Microsoft.Relay/Namespaces/HybridConnections" {
                removed.entities.push(r.id.clone());
            }
            if r.type_name == "Microsoft.ManagedIdentity/userAssignedIdentities" {
                world
                    .managed_identities
                    .retain(|m| !m.resource_id.eq_ignore_ascii_case(&r.id));
            }
        }
    }
    world
        .role_assignments
        .retain(|a| !crate::access::is_same_or_below(&a.scope, id));
    removed
}
