//! Who may do what on the data plane: the entity a path names (its longest `/`-prefix), the
//! token (SAS in a header or query, or an Entra JWT), and the verdict: SAS rule rights, Azure
//! RBAC data actions, or anonymity where the entity allows it.

use super::*;

pub(super) const HYBRID_CONNECTION: &str = "Microsoft.Relay/Namespaces/HybridConnections";

/// What the relay needs of a hybrid connection (a copy, so the world's lock is not held).
#[derive(Clone, Debug)]
pub(super) struct Entity {
    /// The ARM id, as stored.
    pub(super) id: String,
    /// `World::key` of the id.
    pub(super) key: String,
    pub(super) name: String,
    /// False only where the entity lets anonymous senders in.
    pub(super) requires_client_authorization: bool,
}

/// The hybrid connection a path names (longest matching name), and the rest of the path.
/// Names may hold `/`, so each prefix of the path that ends at a `/` is looked up, longest
/// first: a few map lookups, whatever the number of entities.
pub(super) fn resolve(world: &World, namespace_id: &str, path: &str) -> Option<(Entity, String)> {
    let path = path.trim_start_matches('/');
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    let prefix = format!("{}/hybridconnections/", World::key(namespace_id));
    let mut longest_first = std::iter::once(decoded.len())
        .chain(decoded.rmatch_indices('/').map(|(i, _)| i))
        .filter(|&i| i > 0);
    longest_first.find_map(|end| {
        let key = format!("{prefix}{}", decoded[..end].to_ascii_lowercase());
        let r = world
            .resources
            .get(&key)
            .filter(|r| r.type_name == HYBRID_CONNECTION)?;
        Some((
            Entity {
                id: r.id.clone(),
                key,
                name: r.name.clone(),
                requires_client_authorization: r.properties["requiresClientAuthorization"] != false,
            },
            decoded[end..].to_string(),
        ))
    })
}

/// The hybrid connection a request names, under one look at the world: the rest of its path,
/// the verdict on its token, and the namespace's `wss://` base address.
pub(super) struct Checked {
    pub(super) entity: Entity,
    pub(super) suffix: String,
    pub(super) verdict: Result<Option<i64>, (StatusCode, String)>,
    pub(super) base: String,
}

/// `None` when the path names no hybrid connection. `http`: the token may also come from the
/// `Authorization` header.
pub(super) fn check(
    st: &NamespaceState,
    path: &str,
    headers: &HeaderMap,
    query: &[(String, String)],
    http: bool,
    right: Right,
) -> Option<Checked> {
    let world = st.shared.world.lock();
    let (entity, suffix) = resolve(&world, &st.namespace_id, path)?;
    let token = token_of(headers, query, http);
    let verdict = authorize(
        &world,
        st,
        &entity,
        &host_of(headers),
        token.as_deref(),
        right,
    );
    Some(Checked {
        base: endpoint_base(&world, &st.namespace_id),
        entity,
        suffix,
        verdict,
    })
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Right {
    Listen,
    Send,
}

/// Checks the token for a right on an entity, as the service does.
pub(super) fn authorize(
    world: &World,
    st: &NamespaceState,
    entity: &Entity,
    host: &str,
    token: Option<&str>,
    right: Right,
) -> Result<Option<i64>, (StatusCode, String)> {
    let Some(token) = token.map(str::trim).filter(|t| !t.is_empty()) else {
        if right == Right::Send && !entity.requires_client_authorization {
            return Ok(None);
        }
        return Err((
            StatusCode::UNAUTHORIZED,
            format!(
                "Unauthorized: the request to '{}' carries no token (send one in the ServiceBusAuthorization header or the sb-hc-token query parameter).",
                entity.name
            ),
        ));
    };
    if token
        .get(..22)
        .is_some_and(|p| p.eq_ignore_ascii_case("SharedAccessSignature "))
    {
        let sas = SasToken::parse(token)
            .map_err(|e| (StatusCode::UNAUTHORIZED, format!("Unauthorized: {e}.")))?;
        let now = chrono::Utc::now().timestamp();
        if sas.is_expired_at(now - st.shared.options.token_grace_secs) {
            return Err((
                StatusCode::UNAUTHORIZED,
                format!(
                    "ExpiredToken: the token has expired (its se is {}).",
                    sas.expiry
                ),
            ));
        }
        if !sas.covers(host, &format!("/{}", entity.name)) {
            return Err((
                StatusCode::UNAUTHORIZED,
                format!(
                    "InvalidAudience: the token's resource '{}' does not cover '{}'.",
                    sas.resource, entity.name
                ),
            ));
        }
        let key_name = sas.key_name.to_ascii_lowercase();
        let rule = [
            format!("{}/authorizationrules/{key_name}", entity.key),
            format!(
                "{}/authorizationrules/{key_name}",
                World::key(&st.namespace_id)
            ),
        ]
        .iter()
        .find_map(|k| world.resources.get(k));
        let Some(rule) = rule else {
            return Err((
                StatusCode::UNAUTHORIZED,
                format!(
                    "Unauthorized: there is no SAS rule '{}' on '{}' or its namespace.",
                    sas.key_name, entity.name
                ),
            ));
        };
        let signed = rule
            .keys
            .as_ref()
            .is_some_and(|keys| sas.signed_with(&keys.primary) || sas.signed_with(&keys.secondary));
        if !signed {
            return Err((
                StatusCode::UNAUTHORIZED,
                "Unauthorized: the token has an invalid signature (a wrong or regenerated key)."
                    .into(),
            ));
        }
        let wanted = match right {
            Right::Listen => "listen",
            Right::Send => "send",
        };
        let granted = rule.properties["rights"].as_array().is_some_and(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .any(|r| r.eq_ignore_ascii_case(wanted) || r.eq_ignore_ascii_case("manage"))
        });
        if granted {
            return Ok(Some(sas.expiry));
        }
        let name = if right == Right::Listen {
            "Listen"
        } else {
            "Send"
        };
        return Err((
            StatusCode::FORBIDDEN,
            format!(
                "Forbidden: the SAS rule '{}' has no {name} right.",
                sas.key_name
            ),
        ));
    }
    let jwt = token.strip_prefix("Bearer ").unwrap_or(token);
    let caller = st
        .shared
        .tokens
        .validate(
            jwt,
            &["https://relay.azure.net", "https://relay.chinacloudapi.cn"],
            &world.tenant.id,
        )
        .map_err(|e| (StatusCode::UNAUTHORIZED, format!("Unauthorized: {e}.")))?;
    let action = if right == Right::Listen {
        LISTEN_ACTION
    } else {
        SEND_ACTION
    };
    let verdict = world.check(
        &caller.object_id,
        &entity.id,
        action,
        ActionKind::DataAction,
    );
    if verdict.allowed {
        Ok(Some(caller.expires_at))
    } else if verdict.denied_by_assignment() {
        Err((
            StatusCode::FORBIDDEN,
            format!(
                "Forbidden: a deny assignment blocks '{action}' for principal '{}' on '{}'.",
                caller.object_id, entity.id
            ),
        ))
    } else {
        Err((
            StatusCode::FORBIDDEN,
            format!(
                "Forbidden: principal '{}' lacks the data action '{action}' on '{}'.",
                caller.object_id, entity.id
            ),
        ))
    }
}

pub(super) fn token_of(
    headers: &HeaderMap,
    query: &[(String, String)],
    http: bool,
) -> Option<String> {
    headers
        .get("servicebusauthorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| param(query, "sb-hc-token").map(str::to_string))
        .or_else(|| {
            if http {
                headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            } else {
                None
            }
        })
}

/// A renewed token is checked against any host name (the control channel has no Host header
/// for it); returns its expiry when it is acceptable.
pub(super) fn authorize_any_host(
    st: &NamespaceState,
    entity: &Entity,
    token: Option<&str>,
) -> Option<Option<i64>> {
    let host = token
        .and_then(|t| SasToken::parse(t).ok())
        .and_then(|s| {
            url::Url::parse(&s.resource)
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
        })
        .unwrap_or_else(|| "localhost".into());
    let world = st.shared.world.lock();
    authorize(&world, st, entity, &host, token, Right::Listen).ok()
}
