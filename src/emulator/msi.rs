//! The managed-identity endpoint of the emulated VM: App Service style (what `IDENTITY_ENDPOINT`
//! and `IDENTITY_HEADER` point at; api-version 2019-08-01) and IMDS style
//! (`/metadata/identity/oauth2/token` with `Metadata: true`). Plain HTTP on loopback, as on Azure.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use serde_json::json;

use super::Shared;
use super::tokens::Principal;
use super::world::ManagedIdentity;

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/msi/token", get(app_service))
        .route("/metadata/identity/oauth2/token", get(imds))
        .route("/metadata/identity/info", get(info))
        .with_state(shared)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    AppService,
    Imds,
}

fn error(style: Style, status: StatusCode, message: &str) -> Response {
    let body = match style {
        Style::AppService => {
            json!({"statusCode": status.as_u16(), "message": message, "correlationId": uuid::Uuid::new_v4()})
        }
        Style::Imds => {
            json!({"error": if status == StatusCode::BAD_REQUEST { "invalid_request" } else { "unknown_error" }, "error_description": message})
        }
    };
    (status, Json(body)).into_response()
}

/// The identities of the emulated host: its system-assigned identity and the user-assigned
/// identities attached to it.
fn identities_of_host(shared: &Shared) -> Vec<ManagedIdentity> {
    let world = shared.world.lock();
    let host = world.identity_host.clone();
    let attached: Vec<String> = world
        .resource(&host)
        .and_then(|r| r.identity.as_ref())
        .and_then(|i| i.get("userAssignedIdentities"))
        .and_then(|u| u.as_object())
        .map(|m| m.keys().map(|k| k.to_ascii_lowercase()).collect())
        .unwrap_or_default();
    world
        .managed_identities
        .iter()
        .filter(|m| {
            if m.user_assigned {
                attached.contains(&m.resource_id.to_ascii_lowercase())
            } else {
                m.resource_id.eq_ignore_ascii_case(&host)
            }
        })
        .cloned()
        .collect()
}

fn serve(shared: &Shared, style: Style, query: &HashMap<String, String>) -> Response {
    let Some(resource) = query.get("resource").filter(|r| !r.is_empty()) else {
        return error(
            style,
            StatusCode::BAD_REQUEST,
            "Required query parameter 'resource' is missing.",
        );
    };
    let identities = identities_of_host(shared);
    let by = |keys: &[&str]| keys.iter().find_map(|k| query.get(*k)).cloned();
    let chosen = if let Some(id) = by(&["client_id"]) {
        identities
            .iter()
            .find(|m| m.client_id.eq_ignore_ascii_case(&id))
    } else if let Some(id) = by(&["object_id", "principal_id"]) {
        identities
            .iter()
            .find(|m| m.object_id.eq_ignore_ascii_case(&id))
    } else if let Some(id) = by(&["mi_res_id", "msi_res_id"]) {
        identities
            .iter()
            .find(|m| m.user_assigned && m.resource_id.eq_ignore_ascii_case(&id))
    } else {
        identities.iter().find(|m| !m.user_assigned)
    };
    let Some(mi) = chosen else {
        let message = match style {
            Style::AppService => {
                "No ManagedIdentity found for specified ClientId/ResourceId/PrincipalId."
            }
            Style::Imds => "Identity not found",
        };
        return error(style, StatusCode::BAD_REQUEST, message);
    };
    let Some(audience) = shared.audience_of(resource) else {
        return error(
            style,
            StatusCode::BAD_REQUEST,
            &format!(
                "AADSTS500011: The resource principal named {resource} was not found in the tenant."
            ),
        );
    };
    let principal = Principal::App {
        object_id: mi.object_id.clone(),
        client_id: mi.client_id.clone(),
        name: mi.display_name.clone(),
        managed_identity_resource: Some(mi.resource_id.clone()),
    };
    let tid = shared.tenant_id();
    let lifetime = shared.options.token_lifetime;
    let (token, exp) = match shared
        .tokens
        .access_token(&tid, &principal, &audience, lifetime)
    {
        Ok(t) => t,
        Err(e) => {
            return error(
                style,
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("the token could not be signed: {e}"),
            );
        }
    };
    let now = chrono::Utc::now().timestamp();
    let body = match style {
        Style::AppService => json!({
            "access_token": token,
            "expires_on": exp.to_string(),
            "resource": resource,
            "token_type": "Bearer",
            "client_id": mi.client_id,
        }),
        Style::Imds => json!({
            "access_token": token,
            "client_id": mi.client_id,
            "expires_in": lifetime.to_string(),
            "expires_on": exp.to_string(),
            "ext_expires_in": lifetime.to_string(),
            "not_before": now.to_string(),
            "resource": resource,
            "token_type": "Bearer",
        }),
    };
    Json(body).into_response()
}

async fn app_service(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let header = headers
        .get("x-identity-header")
        .and_then(|v| v.to_str().ok());
    if header != Some(shared.identity_header.as_str()) {
        return error(
            Style::AppService,
            StatusCode::UNAUTHORIZED,
            "The X-IDENTITY-HEADER header is missing or does not match IDENTITY_HEADER.",
        );
    }
    match query.get("api-version").map(String::as_str) {
        Some("2019-08-01") | Some("2017-09-01") => serve(&shared, Style::AppService, &query),
        Some(v) => error(
            Style::AppService,
            StatusCode::BAD_REQUEST,
            &format!("The api-version '{v}' is not supported: use 2019-08-01."),
        ),
        None => error(
            Style::AppService,
            StatusCode::BAD_REQUEST,
            "Required query parameter 'api-version' is missing: use 2019-08-01.",
        ),
    }
}

async fn imds(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let metadata = headers.get("metadata").and_then(|v| v.to_str().ok());
    if !metadata.is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        return error(
            Style::Imds,
            StatusCode::BAD_REQUEST,
            "Required metadata header not specified",
        );
    }
    // As IMDS documents it ("Security and authentication"): a request must not carry
    // X-Forwarded-For — IMDS is for the machine itself, never reached through a proxy.
    if headers.contains_key("x-forwarded-for") {
        return error(
            Style::Imds,
            StatusCode::BAD_REQUEST,
            "Requests with an X-Forwarded-For header are refused: the metadata endpoint answers the machine itself, never a request relayed by a proxy",
        );
    }
    if !query.contains_key("api-version") {
        return error(
            Style::Imds,
            StatusCode::BAD_REQUEST,
            "Required query variable 'api-version' is missing",
        );
    }
    serve(&shared, Style::Imds, &query)
}

async fn info(State(shared): State<Arc<Shared>>) -> Response {
    Json(json!({"tenantId": shared.tenant_id()})).into_response()
}
