//! Azure Resource Manager: tenants, subscriptions, resource groups, the resource providers the
//! explorer uses (Relay, managed identity, SignalR, the demo VM) and `Microsoft.Authorization`.
//!
//! Every call is authenticated (a v1.0 token for ARM's audience, from the emulated tenant) and
//! authorised with Azure RBAC by [`crate::access`] before anything is looked up, as ARM does:
//! a refusal is `403 AuthorizationFailed` naming the action and the scope.

mod authz;
mod render;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Json, Response};
use serde_json::{Value, json};

use super::Shared;
use super::resources::{
    self, KINDS, Kind, RESOURCE_GROUP_ACTION_TYPE, RESOURCE_GROUP_TYPE, ResourceId,
};
use super::tokens::{Caller, TokenError};
use super::world::{Resource, World};
use crate::access::ActionKind;

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

/// The ARM audiences a token may carry.
pub const ARM_AUDIENCES: &[&str] = &[
    "https://management.azure.com",
    "https://management.core.windows.net",
    "797f4846-ba00-4fd7-ba43-dac1f8f63013",
];

/// The bearer token of an `Authorization` header.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get("authorization")?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// An ARM error body: `{"error": {"code", "message"}}`.
pub fn arm_error(status: StatusCode, code: &str, message: &str) -> Response {
    let mut response = (
        status,
        Json(json!({"error": {"code": code, "message": message}})),
    )
        .into_response();
    let id = uuid::Uuid::new_v4().to_string();
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-ms-request-id", v.clone());
        response
            .headers_mut()
            .insert("x-ms-correlation-request-id", v);
    }
    response
}

/// One request, parsed.
pub(crate) struct Request {
    pub method: Method,
    /// Decoded path segments.
    pub segments: Vec<String>,
    pub path: String,
    pub query: HashMap<String, String>,
    pub api_version: String,
    pub body: Bytes,
    pub caller: Caller,
}

impl Request {
    pub fn json_body(&self) -> Result<Value, Response> {
        if self.body.is_empty() {
            return Ok(json!({}));
        }
        serde_json::from_slice(&self.body).map_err(|e| {
            arm_error(
                StatusCode::BAD_REQUEST,
                "InvalidRequestContent",
                &format!("The request content was invalid and could not be deserialized: '{e}'."),
            )
        })
    }
}

fn unauthorized(error: &TokenError, authority: &str, tenant: &str) -> Response {
    let (code, message) = match error {
        TokenError::Missing => (
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.".to_string(),
        ),
        TokenError::Expired { expired_at } => (
            "ExpiredAuthenticationToken",
            format!(
                "The access token expiry UTC time '{expired_at}' is earlier than current UTC time '{}'.",
                chrono::Utc::now().format("%m/%d/%Y %H:%M:%S")
            ),
        ),
        TokenError::WrongAudience(aud) => (
            "InvalidAuthenticationToken",
            format!(
                "The access token has been obtained for wrong audience or resource '{aud}'. It should exactly match with one of the allowed audiences 'https://management.core.windows.net/','https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'."
            ),
        ),
        TokenError::WrongIssuer(iss) => (
            "InvalidAuthenticationTokenTenant",
            format!(
                "The access token is from the wrong issuer '{iss}'. It must match the tenant '{authority}/{tenant}/' associated with this subscription. Please use the authority (URL) '{authority}/{tenant}' to get the token."
            ),
        ),
        TokenError::Invalid(why) => (
            "InvalidAuthenticationToken",
            format!("The received access token is not valid: {why}."),
        ),
    };
    let mut response = arm_error(StatusCode::UNAUTHORIZED, code, &message);
    let challenge = format!(
        "Bearer authorization_uri=\"{authority}/{tenant}\", error=\"invalid_token\", error_description=\"{}\"",
        message.replace('"', "'")
    );
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        response.headers_mut().insert("www-authenticate", v);
    }
    response
}

/// 403 as ARM words it.
pub(crate) fn forbidden(caller: &Caller, action: &str, scope: &str) -> Response {
    arm_error(
        StatusCode::FORBIDDEN,
        "AuthorizationFailed",
        &format!(
            "The client '{}' with object id '{}' does not have authorization to perform action '{action}' over scope '{scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.",
            caller.display_id(),
            caller.object_id
        ),
    )
}

/// Checks an action for the caller on a scope.
pub(crate) fn authorize(
    world: &World,
    caller: &Caller,
    scope: &str,
    action: &str,
) -> Result<(), Response> {
    if world
        .check(&caller.object_id, scope, action, ActionKind::Action)
        .allowed
    {
        Ok(())
    } else {
        Err(forbidden(caller, action, scope))
    }
}

fn eq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let segments: Vec<String> = uri
        .path()
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let query: HashMap<String, String> = uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default();

    if segments.len() == 2 && eq(&segments[0], "metadata") && eq(&segments[1], "endpoints") {
        return render::cloud_metadata(&shared);
    }
    let Some(api_version) = query.get("api-version").cloned() else {
        return arm_error(
            StatusCode::BAD_REQUEST,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        );
    };
    let tenant = shared.tenant_id();
    let caller =
        match shared
            .tokens
            .validate(bearer(&headers).unwrap_or_default(), ARM_AUDIENCES, &tenant)
        {
            Ok(c) => c,
            Err(e) => return unauthorized(&e, &shared.endpoints.authority, &tenant),
        };
    if let Err(r) = check_api_version(&segments, &api_version) {
        return r;
    }
    let request = Request {
        method,
        path: uri.path().to_string(),
        segments,
        query,
        api_version,
        body,
        caller,
    };
    route(&shared, &request)
}

/// The provider a path belongs to: the last `providers/{namespace}`, or Microsoft.Resources.
fn provider_of(segments: &[String]) -> String {
    segments
        .windows(2)
        .rev()
        .find(|w| eq(&w[0], "providers"))
        .map(|w| w[1].clone())
        .unwrap_or_else(|| "Microsoft.Resources".to_string())
}

fn check_api_version(segments: &[String], version: &str) -> Result<(), Response> {
    let provider = provider_of(segments);
    let supported = resources::api_versions(&provider);
    if supported.is_empty() || supported.iter().any(|v| eq(v, version)) {
        return Ok(());
    }
    let list = supported.join(", ");
    if eq(&provider, "Microsoft.Resources") || eq(&provider, "Microsoft.Authorization") {
        Err(arm_error(
            StatusCode::BAD_REQUEST,
            "InvalidApiVersionParameter",
            &format!(
                "The api-version '{version}' is invalid. The supported versions are '{list}'."
            ),
        ))
    } else {
        Err(arm_error(
            StatusCode::BAD_REQUEST,
            "NoRegisteredProviderFound",
            &format!(
                "No registered resource provider found for API version '{version}' in namespace '{provider}'. The supported api-versions are '{list}'."
            ),
        ))
    }
}

fn route(shared: &Arc<Shared>, req: &Request) -> Response {
    let s: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    // `{scope}/providers/Microsoft.Authorization/…`
    if let Some(i) = s
        .windows(2)
        .rposition(|w| eq(w[0], "providers") && eq(w[1], "Microsoft.Authorization"))
    {
        let scope = if i == 0 {
            "/".to_string()
        } else {
            format!("/{}", s[..i].join("/"))
        };
        return authz::handle(shared, req, &scope, &s[i + 2..]);
    }
    match s.as_slice() {
        ["tenants"] => render::tenants(shared, req),
        ["providers", rp, "operations"] if eq(rp, "Microsoft.Relay") => render::relay_operations(),
        ["subscriptions"] => render::subscriptions(shared, req),
        ["subscriptions", sub, rest @ ..] => {
            let known = shared.world.lock().subscription(sub).is_some();
            if !known {
                return arm_error(
                    StatusCode::NOT_FOUND,
                    "SubscriptionNotFound",
                    &format!("The subscription '{sub}' could not be found."),
                );
            }
            subscription_route(shared, req, sub, rest)
        }
        _ => not_a_route(req),
    }
}

fn not_a_route(req: &Request) -> Response {
    arm_error(
        StatusCode::NOT_FOUND,
        "InvalidResourceType",
        &format!(
            "The resource path '{}' is not served by Azure Resource Manager (method {}).",
            req.path, req.method
        ),
    )
}

fn subscription_route(shared: &Arc<Shared>, req: &Request, sub: &str, rest: &[&str]) -> Response {
    match rest {
        [] => render::subscription(shared, req, sub),
        ["locations"] => render::locations(shared, req, sub),
        [rgs] if eq(rgs, "resourceGroups") => list_resource_groups(shared, req, sub),
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

fn rg_not_found(rg: &str) -> Response {
    arm_error(
        StatusCode::NOT_FOUND,
        "ResourceGroupNotFound",
        &format!("Resource group '{rg}' could not be found."),
    )
}

fn rg_id(sub: &str, rg: &str) -> String {
    format!("/subscriptions/{sub}/resourceGroups/{rg}")
}

fn list_resource_groups(shared: &Shared, req: &Request, sub: &str) -> Response {
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
        && let Err(r) = authorize(&world, &req.caller, &sub_scope, &action)
    {
        return r;
    }
    paged(shared, req, visible)
}

fn resource_group(shared: &Arc<Shared>, req: &Request, sub: &str, rg: &str) -> Response {
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
struct Removed {
    namespaces: Vec<String>,
    entities: Vec<String>,
}

impl Removed {
    fn stop(self, shared: &Shared) {
        for ns in self.namespaces {
            shared.relay.remove(&ns);
        }
        for e in self.entities {
            shared.hub.entity_deleted(&World::key(&e));
        }
    }
}

/// Removes a resource, everything below it and the role assignments made there.
fn remove_tree(world: &mut World, id: &str) -> Removed {
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

fn method_not_allowed(req: &Request) -> Response {
    arm_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowed",
        &format!(
            "The method '{}' is not allowed on '{}'.",
            req.method, req.path
        ),
    )
}

fn resource_route(
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

fn invalid_type(req: &Request, provider: &str, rest: &[&str]) -> Response {
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

fn not_found(id: &ResourceId) -> Response {
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

fn resource(shared: &Arc<Shared>, req: &Request, id: &ResourceId) -> Response {
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
                && let Err(e) = super::seed::add_default_rule(&mut world, &canonical)
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
            // resources answer 201 when created.
            let status = if existing.is_none() && id.kind.tracked {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            (status, Json(rendered)).into_response()
        }
    }
}

fn resource_action(shared: &Arc<Shared>, req: &Request, id: &ResourceId, action: &str) -> Response {
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
fn list_children(
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

fn list_filtered(
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
    if visible.is_empty()
        && let Err(r) = authorize(world, &req.caller, list_scope, &action)
    {
        return r;
    }
    paged(shared, req, visible)
}

fn list_by_subscription(
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

fn check_name_availability(shared: &Shared, req: &Request, sub: &str) -> Response {
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
