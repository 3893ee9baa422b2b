//! Microsoft Graph v1.0, the part Relay Explorer needs: `/me`, users, groups and service
//! principals by id, `directoryObjects/getByIds`, `transitiveMemberOf`, and service principals
//! by `appId` (to resolve a managed identity's client id to its object id).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Json, Response};
use serde_json::{Value, json};

use super::Shared;
use super::tokens::Caller;
use super::world::World;

mod lists;
mod members;

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

const GRAPH_AUDIENCES: &[&str] = &[
    "https://graph.microsoft.com",
    "00000003-0000-0000-c000-000000000000",
];

pub(super) fn graph_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(
            json!({"error": {"code": code, "message": message, "innerError": {
                "date": chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string(),
                "request-id": uuid::Uuid::new_v4(),
                "client-request-id": uuid::Uuid::new_v4(),
            }}}),
        ),
    )
        .into_response()
}

pub(super) fn not_found(id: &str) -> Response {
    graph_error(
        StatusCode::NOT_FOUND,
        "Request_ResourceNotFound",
        &format!(
            "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
        ),
    )
}

fn authenticate(shared: &Shared, headers: &HeaderMap) -> Result<Caller, Response> {
    let token = super::arm::bearer(headers).unwrap_or_default();
    shared
        .tokens
        .validate(token, GRAPH_AUDIENCES, &shared.tenant_id())
        .map_err(|e| {
            graph_error(
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationToken",
                &format!("Access token validation failure: {e}."),
            )
        })
}

/// A directory object as Graph shows it.
pub fn directory_object(world: &World, id: &str) -> Option<Value> {
    if let Some(u) = world.user(id) {
        return Some(json!({
            "@odata.type": "#microsoft.graph.user",
            "id": u.object_id,
            "displayName": u.display_name,
            "userPrincipalName": u.user_principal_name,
            "mail": u.user_principal_name,
            "givenName": u.given_name,
            "surname": u.surname,
            "jobTitle": u.job_title,
            "businessPhones": [],
            "mobilePhone": null,
            "officeLocation": null,
            "preferredLanguage": "en-US",
        }));
    }
    if let Some(g) = world
        .groups
        .iter()
        .find(|g| g.object_id.eq_ignore_ascii_case(id))
    {
        return Some(json!({
            "@odata.type": "#microsoft.graph.group",
            "id": g.object_id,
            "displayName": g.display_name,
            "description": g.description,
            "securityEnabled": true,
            "mailEnabled": false,
            "groupTypes": [],
        }));
    }
    let tenant = &world.tenant.id;
    if let Some(a) = world
        .applications
        .iter()
        .find(|a| a.object_id.eq_ignore_ascii_case(id))
    {
        return Some(json!({
            "@odata.type": "#microsoft.graph.servicePrincipal",
            "id": a.object_id,
            "appId": a.client_id,
            "displayName": a.display_name,
            "appDisplayName": a.display_name,
            "servicePrincipalType": "Application",
            "servicePrincipalNames": [a.client_id],
            "alternativeNames": [],
            "appOwnerOrganizationId": tenant,
            "accountEnabled": true,
            "tags": [],
        }));
    }
    if let Some(m) = world
        .managed_identities
        .iter()
        .find(|m| m.object_id.eq_ignore_ascii_case(id))
    {
        return Some(json!({
            "@odata.type": "#microsoft.graph.servicePrincipal",
            "id": m.object_id,
            "appId": m.client_id,
            "displayName": m.display_name,
            "servicePrincipalType": "ManagedIdentity",
            "servicePrincipalNames": [m.client_id, format!("https://identity.azure.net/{}", m.object_id)],
            "alternativeNames": [format!("isExplicit={}", if m.user_assigned { "True" } else { "False" }), m.resource_id],
            "appOwnerOrganizationId": null,
            "accountEnabled": true,
            "tags": [],
        }));
    }
    None
}

fn collection(context: &str, items: Vec<Value>) -> Response {
    Json(json!({
        "@odata.context": format!("https://graph.microsoft.com/v1.0/$metadata#{context}"),
        "value": items,
    }))
    .into_response()
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let caller = match authenticate(&shared, &headers) {
        Ok(c) => c,
        Err(r) => return r,
    };
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
    let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
    let Some((&"v1.0", rest)) = seg.split_first() else {
        return graph_error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "Invalid version: use /v1.0.",
        );
    };
    let world = shared.world.lock();

    let resolved = match aliases(&world, &caller, rest) {
        Ok(r) => r,
        Err(response) => return response,
    };
    let rest: Vec<&str> = resolved.iter().map(String::as_str).collect();

    match (method.clone(), rest.as_slice()) {
        (Method::POST, ["directoryObjects", "getByIds"]) => get_by_ids(&world, &body),
        (Method::GET, [kind @ ("users" | "groups" | "servicePrincipals")]) => {
            lists::list_principals(&shared, &world, kind, &query, &headers)
        }
        (Method::GET, [kind @ ("users" | "groups" | "servicePrincipals"), "$count"]) => {
            lists::count(&world, kind, &headers)
        }
        (Method::GET, ["organization"]) => members::organization(&world),
        (
            Method::POST,
            [
                "users" | "groups" | "servicePrincipals" | "directoryObjects",
                id,
                action @ ("checkMemberGroups" | "getMemberObjects" | "getMemberGroups"),
            ],
        ) => members::membership(&world, id, action, &body),
        (
            Method::GET,
            [
                kind @ ("users" | "groups" | "servicePrincipals" | "directoryObjects"),
                id,
            ],
        ) => {
            let id = if *kind == "users" {
                world
                    .user_by_name(id)
                    .map(|u| u.object_id.clone())
                    .unwrap_or_else(|| id.to_string())
            } else {
                id.to_string()
            };
            match directory_object(&world, &id) {
                Some(o) if type_fits(kind, &o) => {
                    let mut o = o;
                    o["@odata.context"] = json!(format!(
                        "https://graph.microsoft.com/v1.0/$metadata#{kind}/$entity"
                    ));
                    Json(lists::selected(o, &query)).into_response()
                }
                _ => not_found(&id),
            }
        }
        (
            Method::GET,
            [
                kind @ ("users" | "groups" | "servicePrincipals" | "directoryObjects"),
                id,
                rel,
                cast @ ..,
            ],
        ) if (*rel == "transitiveMemberOf" || *rel == "memberOf")
            && (cast.is_empty() || cast == ["microsoft.graph.group"]) =>
        {
            let id = if *kind == "users" {
                world
                    .user_by_name(id)
                    .map(|u| u.object_id.clone())
                    .unwrap_or_else(|| id.to_string())
            } else {
                id.to_string()
            };
            if directory_object(&world, &id).is_none() {
                return not_found(&id);
            }
            let groups: Vec<String> = if *rel == "memberOf" {
                world
                    .groups
                    .iter()
                    .filter(|g| g.members.iter().any(|m| m.eq_ignore_ascii_case(&id)))
                    .map(|g| g.object_id.clone())
                    .collect()
            } else {
                world.transitive_groups(&id)
            };
            let items = groups
                .iter()
                .filter_map(|g| directory_object(&world, g))
                .collect();
            collection("directoryObjects", items)
        }
        (Method::GET, ["groups", id, rel @ ("members" | "transitiveMembers")]) => {
            group_members(&world, id, rel)
        }
        _ => graph_error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            &format!(
                "Resource not found for the segment '{}' (method {method}).",
                rest.join("/")
            ),
        ),
    }
}

/// The path with Graph's aliases resolved: `/me` (the signed-in user; delegated tokens only) and
/// `servicePrincipals(appId='…')` (what `az ad sp show --id` sends: the one with that client id).
fn aliases(world: &World, caller: &Caller, rest: &[&str]) -> Result<Vec<String>, Response> {
    let mut path: Vec<String> = rest.iter().map(|s| s.to_string()).collect();
    if rest.first() == Some(&"me") {
        if !caller.is_user {
            return Err(graph_error(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "/me request is only valid with delegated authentication flow.",
            ));
        }
        path.splice(0..1, ["users".to_string(), caller.object_id.clone()]);
    } else if let Some(app_id) = rest.first().and_then(|s| members::app_id_key(s)) {
        let Some(id) = members::sp_by_app_id(world, &app_id) else {
            return Err(not_found(&app_id));
        };
        path.splice(0..1, ["servicePrincipals".to_string(), id]);
    }
    Ok(path)
}

/// `POST /directoryObjects/getByIds`: up to 1,000 objects by id, of the types asked for.
fn get_by_ids(world: &World, body: &[u8]) -> Response {
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return graph_error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "The request body is not valid JSON: expected {\"ids\": [...], \"types\": [...]}.",
        );
    };
    let Some(ids) = request["ids"].as_array() else {
        return graph_error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "The 'ids' property is required.",
        );
    };
    if ids.len() > 1000 {
        return graph_error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "At most 1000 ids may be requested at once.",
        );
    }
    let types: Vec<String> = request["types"]
        .as_array()
        .map(|t| {
            t.iter()
                .filter_map(|x| x.as_str())
                .map(|s| s.to_ascii_lowercase())
                .collect()
        })
        .unwrap_or_default();
    let items = ids
        .iter()
        .filter_map(|id| id.as_str())
        .filter_map(|id| directory_object(world, id))
        .filter(|o| {
            types.is_empty()
                || types.iter().any(|t| {
                    o["@odata.type"]
                        .as_str()
                        .unwrap_or_default()
                        .to_ascii_lowercase()
                        == format!("#microsoft.graph.{t}")
                })
        })
        .collect();
    collection("directoryObjects", items)
}

/// `GET /groups/{id}/members` or `/transitiveMembers`.
fn group_members(world: &World, id: &str, rel: &str) -> Response {
    let Some(group) = world
        .groups
        .iter()
        .find(|g| g.object_id.eq_ignore_ascii_case(id))
    else {
        return not_found(id);
    };
    let mut ids: Vec<String> = group.members.clone();
    if rel == "transitiveMembers" {
        let mut i = 0;
        while i < ids.len() {
            if let Some(g) = world
                .groups
                .iter()
                .find(|g| g.object_id.eq_ignore_ascii_case(&ids[i]))
            {
                for m in &g.members {
                    if !ids.iter().any(|x| x.eq_ignore_ascii_case(m)) {
                        ids.push(m.clone());
                    }
                }
            }
            i += 1;
        }
    }
    let items = ids
        .iter()
        .filter_map(|m| directory_object(world, m))
        .collect();
    collection("directoryObjects", items)
}

fn type_fits(kind: &str, object: &Value) -> bool {
    let t = object["@odata.type"].as_str().unwrap_or_default();
    match kind {
        "users" => t == "#microsoft.graph.user",
        "groups" => t == "#microsoft.graph.group",
        "servicePrincipals" => t == "#microsoft.graph.servicePrincipal",
        _ => true,
    }
}
