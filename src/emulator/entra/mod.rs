//! Microsoft Entra ID's v2.0 endpoints: OpenID configuration, JWKS, device authorization (with
//! its verification page), and the token endpoint's `client_credentials`, device-code and
//! `refresh_token` grants. Errors carry Entra's shape and AADSTS numbers.

mod device;

use device::*;

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Json, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use base64::Engine;
use serde_json::json;

use super::tokens::Principal;
use super::world::{RefreshGrant, World};
use super::{DeviceCode, DeviceCodeState, Shared};

/// Resources the emulated tenant issues tokens for (an audience is the resource as requested).
pub const KNOWN_RESOURCES: &[&str] = &[
    "https://management.azure.com",
    "https://management.core.windows.net",
    "https://graph.microsoft.com",
    "https://relay.azure.net",
    "https://signalr.azure.com",
];
const RESERVED_SCOPES: &[&str] = &["openid", "profile", "offline_access", "email"];
const REFRESH_TOKEN_LIFETIME_SECS: i64 = 90 * 24 * 3600;

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(openid_configuration),
        )
        .route(
            "/{tenant}/.well-known/openid-configuration",
            get(openid_configuration),
        )
        .route("/{tenant}/discovery/v2.0/keys", get(keys))
        .route("/{tenant}/discovery/keys", get(keys))
        .route("/{tenant}/oauth2/v2.0/devicecode", post(device_code))
        .route("/{tenant}/oauth2/v2.0/token", post(token))
        .route(
            "/devicelogin",
            get(device_login_page).post(device_login_submit),
        )
        .fallback(|| async {
            aad_error(
                StatusCode::NOT_FOUND,
                "invalid_request",
                900561,
                "The endpoint only accepts the Entra ID v2.0 requests this emulator serves.",
            )
        })
        .with_state(shared)
}

/// An Entra-shaped OAuth error.
pub fn aad_error(status: StatusCode, error: &str, code: u32, description: &str) -> Response {
    let trace = uuid::Uuid::new_v4();
    let correlation = uuid::Uuid::new_v4();
    let now = chrono::Utc::now();
    (
        status,
        Json(json!({
            "error": error,
            "error_description": format!(
                "AADSTS{code}: {description}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {}",
                now.format("%Y-%m-%d %H:%M:%SZ")
            ),
            "error_codes": [code],
            "timestamp": now.format("%Y-%m-%d %H:%M:%SZ").to_string(),
            "trace_id": trace,
            "correlation_id": correlation,
            "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
        })),
    )
        .into_response()
}

/// The tenant id a path segment names (the id, the default domain, `organizations` or `common`).
fn resolve_tenant(shared: &Shared, segment: &str) -> Result<String, Response> {
    let world = shared.world.lock();
    let t = &world.tenant;
    if segment.eq_ignore_ascii_case(&t.id)
        || segment.eq_ignore_ascii_case(&t.default_domain)
        || segment.eq_ignore_ascii_case("organizations")
        || segment.eq_ignore_ascii_case("common")
    {
        Ok(t.id.clone())
    } else {
        Err(aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90002,
            &format!(
                "Tenant '{segment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
            ),
        ))
    }
}

async fn openid_configuration(
    State(shared): State<Arc<Shared>>,
    Path(tenant): Path<String>,
) -> Response {
    let tid = match resolve_tenant(&shared, &tenant) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let a = &shared.endpoints.authority;
    Json(json!({
        "token_endpoint": format!("{a}/{tid}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{a}/{tid}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": shared.tokens.issuer_v2(&tid),
        "request_uri_parameter_supported": false,
        "userinfo_endpoint": format!("{}/oidc/userinfo", shared.endpoints.graph),
        "authorization_endpoint": format!("{a}/{tid}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{a}/{tid}/oauth2/v2.0/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{a}/{tid}/oauth2/v2.0/logout"),
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"],
        "tenant_region_scope": "EU",
        "cloud_instance_name": "relay-explorer.emulator",
        "cloud_graph_host_name": shared.endpoints.graph.trim_start_matches("https://"),
        "msgraph_host": shared.endpoints.graph.trim_start_matches("https://"),
        "rbac_url": shared.endpoints.resource_manager,
    }))
    .into_response()
}

async fn keys(State(shared): State<Arc<Shared>>, Path(tenant): Path<String>) -> Response {
    match resolve_tenant(&shared, &tenant) {
        Ok(tid) => Json(shared.tokens.jwks(&tid)).into_response(),
        Err(r) => r,
    }
}

/// The resource a scope string asks for, and the scope to echo back.
pub(super) fn resource_of(shared: &Shared, scope: &str) -> Result<(String, String), Response> {
    let wanted: Vec<&str> = scope
        .split_whitespace()
        .filter(|s| !RESERVED_SCOPES.iter().any(|r| r.eq_ignore_ascii_case(s)))
        .collect();
    let invalid = |msg: String| aad_error(StatusCode::BAD_REQUEST, "invalid_scope", 70011, &msg);
    let [one] = wanted.as_slice() else {
        return Err(invalid(format!(
            "The provided value for the input parameter 'scope' is not valid. The scope '{scope}' must name exactly one resource, such as https://management.azure.com/.default."
        )));
    };
    let resource = match one.strip_suffix("/.default") {
        Some(r) => r.to_string(),
        None => match one.rfind('/') {
            Some(i) if i > "https://".len() => one[..i].to_string(),
            _ => {
                return Err(invalid(format!(
                    "The provided value for the input parameter 'scope' is not valid. The scope {one} is not valid."
                )));
            }
        },
    };
    let Some(resource) = shared.audience_of(&resource) else {
        return Err(aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_resource",
            500011,
            &format!(
                "The resource principal named {resource} was not found in the tenant named Northwind Traders. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant."
            ),
        ));
    };
    Ok((resource, one.to_string()))
}

fn random_code(len: usize, alphabet: &[u8]) -> String {
    let mut bytes = vec![0u8; len];
    aws_lc_rs::rand::fill(&mut bytes).expect("the system random generator failed");
    bytes
        .iter()
        .map(|b| alphabet[*b as usize % alphabet.len()] as char)
        .collect()
}

async fn device_code(
    State(shared): State<Arc<Shared>>,
    Path(tenant): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Err(r) = resolve_tenant(&shared, &tenant) {
        return r;
    }
    let Some(client_id) = form.get("client_id") else {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'client_id'.",
        );
    };
    let public = {
        let world = shared.world.lock();
        world.application(client_id).map(|a| a.public_client)
    };
    match public {
        None => return unknown_client(client_id),
        Some(false) => {
            return aad_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'. (The application is not a public client: device-code sign-in needs a public client such as the Azure CLI.)",
            );
        }
        Some(true) => {}
    }
    let scope = form.get("scope").cloned().unwrap_or_default();
    if let Err(r) = resource_of(&shared, &scope) {
        return r;
    }
    let device_code = random_code(
        96,
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
    );
    let user_code = random_code(9, b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789");
    let opts = &shared.options;
    let uri = format!("{}/devicelogin", shared.endpoints.authority);
    shared.device_codes.lock().insert(
        device_code.clone(),
        DeviceCode {
            user_code: user_code.clone(),
            client_id: client_id.clone(),
            scope,
            expires_at: chrono::Utc::now().timestamp() + opts.device_code_lifetime,
            interval: opts.device_code_interval,
            last_poll: None,
            state: DeviceCodeState::Pending,
        },
    );
    Json(json!({
        "user_code": user_code,
        "device_code": device_code,
        "verification_uri": uri,
        "expires_in": opts.device_code_lifetime,
        "interval": opts.device_code_interval,
        "message": format!("To sign in, use a web browser to open the page {uri} and enter the code {user_code} to authenticate."),
    }))
    .into_response()
}

fn unknown_client(client_id: &str) -> Response {
    aad_error(
        StatusCode::BAD_REQUEST,
        "unauthorized_client",
        700016,
        &format!(
            "Application with identifier '{client_id}' was not found in the directory 'Northwind Traders'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."
        ),
    )
}

/// HTTP Basic client authentication (`client_secret_basic`).
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get("authorization")?.to_str().ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let dec = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    Some((dec(id), dec(secret)))
}

async fn token(
    State(shared): State<Arc<Shared>>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    Form(mut form): Form<HashMap<String, String>>,
) -> Response {
    let tid = match resolve_tenant(&shared, &tenant) {
        Ok(t) => t,
        Err(r) => return r,
    };
    if let Some((id, secret)) = basic_credentials(&headers) {
        form.entry("client_id".into()).or_insert(id);
        form.entry("client_secret".into()).or_insert(secret);
    }
    let response = match form.get("grant_type").map(String::as_str) {
        Some("client_credentials") => client_credentials(&shared, &tid, &form),
        Some("urn:ietf:params:oauth:grant-type:device_code") | Some("device_code") => {
            device_code_grant(&shared, &tid, &form)
        }
        Some("refresh_token") => refresh_token_grant(&shared, &tid, &form),
        Some(other) => aad_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            &format!("The app requested an unsupported grant type '{other}'."),
        ),
        None => aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'grant_type'.",
        ),
    };
    // A refresh token handed out is in the state folder first (a restart must honour it).
    if form
        .get("grant_type")
        .is_some_and(|g| g != "client_credentials")
        && !shared.durable().await
    {
        return aad_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "temporarily_unavailable",
            50000,
            "The sign-in could not be saved in the emulator's state folder.",
        );
    }
    response
}

fn client_credentials(shared: &Shared, tid: &str, form: &HashMap<String, String>) -> Response {
    let Some(client_id) = form.get("client_id") else {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'client_id'.",
        );
    };
    let (resource, scope) =
        match resource_of(shared, form.get("scope").map(String::as_str).unwrap_or("")) {
            Ok(r) => r,
            Err(r) => return r,
        };
    if !scope.ends_with("/.default") {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            1002012,
            &format!(
                "The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
            ),
        );
    }
    let principal = {
        let world = shared.world.lock();
        let Some(app) = world.application(client_id) else {
            return unknown_client(client_id);
        };
        let Some(secret) = form.get("client_secret") else {
            return aad_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
            );
        };
        if app.public_client
            || !app
                .client_secrets
                .iter()
                .any(|s| constant_time_eq(s, secret))
        {
            return aad_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                7000215,
                &format!(
                    "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."
                ),
            );
        }
        Principal::App {
            object_id: app.object_id.clone(),
            client_id: app.client_id.clone(),
            name: app.display_name.clone(),
            managed_identity_resource: None,
        }
    };
    issue(shared, tid, &principal, &resource, &scope, false, false)
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn issue(
    shared: &Shared,
    tid: &str,
    principal: &Principal,
    resource: &str,
    scope: &str,
    refresh: bool,
    id_token: bool,
) -> Response {
    let lifetime = shared.options.token_lifetime;
    let (access_token, _) = match shared
        .tokens
        .access_token(tid, principal, resource, lifetime)
    {
        Ok(t) => t,
        Err(e) => {
            return aad_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                90100,
                &format!("The token could not be signed: {e}"),
            );
        }
    };
    let mut body = json!({
        "token_type": "Bearer",
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": access_token,
    });
    // Entra names the granted scope for a user's token; an app's (client credentials) has none,
    // as the identity team's recordings show.
    if matches!(principal, Principal::User { .. }) {
        body["scope"] = json!(scope);
    }
    if let Principal::User {
        object_id,
        client_id,
        ..
    } = principal
    {
        if refresh {
            let token = random_code(
                120,
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.",
            );
            shared.world.lock().refresh_tokens.insert(
                refresh_key(&token),
                RefreshGrant {
                    user_object_id: object_id.clone(),
                    client_id: client_id.clone(),
                    expires_at: chrono::Utc::now().timestamp() + REFRESH_TOKEN_LIFETIME_SECS,
                },
            );
            shared.mark_dirty();
            body["refresh_token"] = json!(token);
        }
        if id_token && let Ok(t) = shared.tokens.id_token(tid, principal) {
            body["id_token"] = json!(t);
        }
        let info = json!({"uid": object_id, "utid": tid}).to_string();
        body["client_info"] = json!(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(info));
    }
    Json(body).into_response()
}

/// Refresh tokens are stored by their SHA-256, never as such.
fn refresh_key(token: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

fn user_principal(world: &World, oid: &str, client_id: &str) -> Option<Principal> {
    let user = world.user(oid)?;
    Some(Principal::User {
        object_id: user.object_id.clone(),
        upn: user.user_principal_name.clone(),
        name: user.display_name.clone(),
        client_id: client_id.to_string(),
    })
}

fn asks(form: &HashMap<String, String>, reserved: &str) -> bool {
    form.get("scope").is_some_and(|s| {
        s.split_whitespace()
            .any(|x| x.eq_ignore_ascii_case(reserved))
    })
}

fn refresh_token_grant(shared: &Shared, tid: &str, form: &HashMap<String, String>) -> Response {
    let Some(token) = form.get("refresh_token") else {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'refresh_token'.",
        );
    };
    let (resource, scope) =
        match resource_of(shared, form.get("scope").map(String::as_str).unwrap_or("")) {
            Ok(r) => r,
            Err(r) => return r,
        };
    let principal = {
        let world = shared.world.lock();
        let Some(grant) = world.refresh_tokens.get(&refresh_key(token)) else {
            return aad_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                9002313,
                "Invalid request. Request is malformed or invalid: the refresh token is unknown or was revoked. Sign in again.",
            );
        };
        if grant.expires_at < chrono::Utc::now().timestamp() {
            return aad_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                700082,
                "The refresh token has expired due to inactivity. Sign in again.",
            );
        }
        if form
            .get("client_id")
            .is_some_and(|c| !c.eq_ignore_ascii_case(&grant.client_id))
        {
            return aad_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                70000,
                "Provided grant is invalid: the refresh token was issued to a different client id.",
            );
        }
        match user_principal(&world, &grant.user_object_id, &grant.client_id) {
            Some(p) => p,
            None => {
                return aad_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    50034,
                    "The user account does not exist in the directory.",
                );
            }
        }
    };
    issue(
        shared,
        tid,
        &principal,
        &resource,
        &scope,
        true,
        asks(form, "openid"),
    )
}
