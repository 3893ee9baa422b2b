//! Microsoft.Resources' own routes over every provider: the providers (`az provider show/list`,
//! the SDKs' `providers.get`) and the resources of a subscription or a group (`az resource list`,
//! `resources.list` with `$filter=resourceType eq '…'`), paged as ARM pages.

use super::*;

/// `GET /subscriptions/{s}/providers`: every provider the emulator serves, registered.
pub(super) fn list_providers(shared: &Shared, req: &Request, sub: &str) -> Response {
    if req.method != Method::GET {
        return method_not_allowed(req);
    }
    let mut namespaces: Vec<&str> = KINDS.iter().map(|k| k.provider).collect();
    namespaces.sort_unstable();
    namespaces.dedup();
    let items = namespaces
        .into_iter()
        .map(|ns| render::provider_value(sub, ns))
        .collect();
    paged(shared, req, items)
}

/// The resource type a `$filter` keeps, if it names one (`resourceType eq '…'`).
fn type_filter(req: &Request) -> Result<Option<String>, Response> {
    let Some(filter) = req.query.get("$filter") else {
        return Ok(None);
    };
    let value = filter
        .trim()
        .strip_prefix("resourceType")
        .map(str::trim_start)
        .and_then(|r| r.strip_prefix("eq"))
        .map(str::trim)
        .and_then(|r| r.strip_prefix('\'')?.strip_suffix('\''));
    match value {
        Some(v) => Ok(Some(v.to_string())),
        None => Err(arm_error(
            StatusCode::BAD_REQUEST,
            "InvalidFilterInQueryString",
            &format!(
                "Invalid $filter '{}' specified in the query string: this emulator takes resourceType eq '{{type}}'.",
                filter.chars().take(80).collect::<String>()
            ),
        )),
    }
}

/// `GET /subscriptions/{s}/resources` and `…/resourceGroups/{rg}/resources`: the top-level
/// resources there that the caller may read, in the generic shape (no properties).
pub(super) fn list_resources(
    shared: &Shared,
    req: &Request,
    sub: &str,
    rg: Option<&str>,
) -> Response {
    if req.method != Method::GET {
        return method_not_allowed(req);
    }
    let wanted = match type_filter(req) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let world = shared.world.lock();
    let scope = match rg {
        Some(rg) => {
            let id = rg_id(sub, rg);
            if world.resource(&id).is_none() {
                return rg_not_found(rg);
            }
            id
        }
        None => format!("/subscriptions/{sub}"),
    };
    let prefix = format!("{}/", World::key(&scope));
    let items: Vec<Value> = world
        .resources
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .map(|(_, r)| r)
        .filter_map(|r| {
            let kind = KINDS
                .iter()
                .find(|k| k.segments.len() == 1 && eq(k.type_name, &r.type_name))?;
            // Top level only: `…/providers/{ns}/{type}/{name}`.
            let after = r.id.to_ascii_lowercase().split("/providers/").count();
            (after == 2).then_some((kind, r))
        })
        .filter(|(_, r)| wanted.as_deref().is_none_or(|w| eq(w, &r.type_name)))
        .filter(|(kind, r)| {
            authorize(
                &world,
                &req.caller,
                &r.id,
                &format!("{}/read", kind.action_type),
            )
            .is_ok()
        })
        .map(|(_, r)| {
            let mut v = json!({
                "id": r.id,
                "name": r.name,
                "type": r.type_name,
            });
            if let Some(l) = &r.location {
                v["location"] = json!(l);
            }
            if let Some(t) = &r.tags {
                v["tags"] = t.clone();
            }
            if let Some(i) = &r.identity {
                v["identity"] = i.clone();
            }
            v
        })
        .collect();
    // Filtered by what the caller may read; refused only when it holds nothing there.
    if items.is_empty() && !world.has_any_access_at_or_below(&req.caller.object_id, &scope) {
        let action = if rg.is_some() {
            "Microsoft.Resources/subscriptions/resourceGroups/resources/read"
        } else {
            "Microsoft.Resources/subscriptions/resources/read"
        };
        return forbidden(&req.caller, action, &scope);
    }
    paged(shared, req, items)
}
