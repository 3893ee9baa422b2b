//! Azure Resource Manager: tenants, subscriptions, resource groups, the resource providers the
//! explorer uses (Relay, managed identity, SignalR, the demo VM) and `Microsoft.Authorization`.
//!
//! Every call is authenticated (a v1.0 token for ARM's audience, from the emulated tenant) and
//! authorised with Azure RBAC by [`crate::access`] before anything is looked up, as ARM does:
//! a refusal is `403 AuthorizationFailed` naming the action and the scope.
//!
//! Layout: this file authenticates, checks the api-version, routes and pages; `groups.rs` has
//! subscriptions and resource groups, `resource.rs` the providers' resources, `authz/`
//! `Microsoft.Authorization`, `render.rs` response bodies.

mod authz;
mod generic;
mod groups;
mod render;
mod resource;

use groups::*;
use resource::*;

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
    let segments = match path_segments(uri.path()) {
        Ok(s) => s,
        Err(r) => return r,
    };
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
    let response = route(&shared, &request);
    // A change is answered once it is in the state folder: a crash never loses what was
    // acknowledged (a regenerated key, a deleted role assignment).
    if request.method != Method::GET && !shared.durable().await {
        return arm_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            "The change could not be saved in the emulator's state folder; see the emulator's log.",
        );
    }
    response
}

/// The path's segments, each percent-decoded once. A segment that decodes to a separator (`/`,
/// `\\`) is refused: the route and the RBAC check must see one and the same id, and ARM ids
/// have no encoded separators.
fn path_segments(path: &str) -> Result<Vec<String>, Response> {
    let mut segments = Vec::new();
    for raw in path.split('/').filter(|s| !s.is_empty()) {
        let decoded = percent_encoding::percent_decode_str(raw).decode_utf8_lossy();
        if decoded.contains(['/', '\\']) {
            return Err(arm_error(
                StatusCode::BAD_REQUEST,
                "InvalidRequestUri",
                &format!(
                    "The request URI segment '{raw}' holds an encoded path separator: give resource ids with plain '/' separators."
                ),
            ));
        }
        segments.push(decoded.into_owned());
    }
    Ok(segments)
}

/// The provider a path belongs to, and the type it names: the last `providers/{namespace}` with
/// a type after it; else Microsoft.Resources (`…/providers`, `…/providers/{namespace}` and
/// `…/resources` are its own operations).
fn provider_of(segments: &[String]) -> (String, String) {
    segments
        .iter()
        .enumerate()
        .rev()
        .find(|(i, s)| eq(s, "providers") && i + 2 < segments.len())
        .map(|(i, _)| (segments[i + 1].clone(), segments[i + 2].clone()))
        .unwrap_or_else(|| ("Microsoft.Resources".to_string(), String::new()))
}

fn check_api_version(segments: &[String], version: &str) -> Result<(), Response> {
    let (provider, type_name) = provider_of(segments);
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
                "No registered resource provider found for API version '{version}' for type '{type_name}' in namespace '{provider}'. The supported api-versions are '{list}'."
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
