//! Membership and the tenant as Graph answers them: `checkMemberGroups`, `getMemberObjects` /
//! `getMemberGroups` (transitive, as Graph's are), `servicePrincipals(appId='…')` and
//! `/organization`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use serde_json::{Value, json};

use super::super::world::World;
use super::{directory_object, graph_error, not_found};

/// The client id in a `servicePrincipals(appId='…')` segment.
pub(super) fn app_id_key(segment: &str) -> Option<String> {
    let inner = segment
        .strip_prefix("servicePrincipals(appId=")?
        .strip_suffix(')')?;
    let id = inner.strip_prefix('\'')?.strip_suffix('\'')?;
    Some(id.replace("''", "'"))
}

/// The object id of the service principal (app or managed identity) with this client id.
pub(super) fn sp_by_app_id(world: &World, app_id: &str) -> Option<String> {
    world
        .applications
        .iter()
        .find(|a| a.client_id.eq_ignore_ascii_case(app_id))
        .map(|a| a.object_id.clone())
        .or_else(|| {
            world
                .managed_identities
                .iter()
                .find(|m| m.client_id.eq_ignore_ascii_case(app_id))
                .map(|m| m.object_id.clone())
        })
}

/// `POST …/{id}/checkMemberGroups` (`{"groupIds": […]}`: those it is a member of, through
/// nesting) and `…/getMemberObjects` / `…/getMemberGroups` (every group it is in).
pub(super) fn membership(world: &World, id: &str, action: &str, body: &[u8]) -> Response {
    let id = world
        .user_by_name(id)
        .map(|u| u.object_id.clone())
        .unwrap_or_else(|| id.to_string());
    if directory_object(world, &id).is_none() {
        return not_found(&id);
    }
    let request: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(_) => {
            return graph_error(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "The request body is not valid JSON.",
            );
        }
    };
    let groups = world.transitive_groups(&id);
    let value: Vec<String> = if action == "checkMemberGroups" {
        let Some(asked) = request["groupIds"].as_array() else {
            return graph_error(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "The 'groupIds' property is required.",
            );
        };
        if asked.len() > 20 {
            return graph_error(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "At most 20 groupIds may be checked at once.",
            );
        }
        asked
            .iter()
            .filter_map(Value::as_str)
            .filter(|g| groups.iter().any(|m| m.eq_ignore_ascii_case(g)))
            .map(str::to_string)
            .collect()
    } else {
        groups
    };
    Json(json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(Edm.String)",
        "value": value,
    }))
    .into_response()
}

/// `GET /organization`: the tenant.
pub(super) fn organization(world: &World) -> Response {
    let t = &world.tenant;
    Json(json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#organization",
        "value": [{
            "id": t.id,
            "displayName": t.display_name,
            "tenantType": "AAD",
            "countryLetterCode": "US",
            "verifiedDomains": [{
                "name": t.default_domain,
                "type": "Managed",
                "capabilities": "Email, OfficeCommunicationsOnline",
                "isDefault": true,
                "isInitial": true,
            }],
        }],
    }))
    .into_response()
}
