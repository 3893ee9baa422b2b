//! The Hybrid Connections data plane, service side (`shared/spec/hybrid-connections.md`):
//! listener control channels (`sb-hc-action=listen`), WebSocket senders (`connect`) joined to a
//! listener through `accept` + rendezvous (or rejected), and HTTP senders delivered as `request`
//! messages (inline up to 64 kB, by rendezvous above) with `response`s back. Authorised by SAS
//! rule rights, by Entra tokens with Azure RBAC data actions, or anonymously where the entity
//! allows it.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};
use parking_lot::Mutex;
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};

use super::Shared;
use super::world::World;
use crate::access::ActionKind;
use crate::relay::protocol::SasToken;
use crate::relay::protocol::control::{self, ControlMessage, Headers, RemoteEndpoint};
use crate::relay::protocol::ws::{WS_READ_BUFFER, write_batches};

/// Largest body carried on the control channel.
pub const INLINE_LIMIT: usize = 64 * 1024;
/// How long a sender waits for the listener's rendezvous.
const RENDEZVOUS_TIMEOUT: Duration = Duration::from_secs(30);
/// How long an HTTP sender waits for the listener's response.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(60);
pub const MAX_LISTENERS: usize = 25;
pub const LISTEN_ACTION: &str = "Microsoft.Relay/namespaces/messages/listen/action";
pub const SEND_ACTION: &str = "Microsoft.Relay/namespaces/messages/send/action";

/// A response from a listener.
#[derive(Debug)]
struct HttpReply {
    status: u16,
    description: Option<String>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// What a waiting WebSocket sender gets.
enum Rendezvous {
    Accepted {
        socket: Box<WebSocket>,
        protocol: Option<String>,
    },
    Rejected {
        status: u16,
        description: String,
    },
}

struct ListenerHandle {
    id: String,
    /// Batches of messages written back to back (a request and its body are never split).
    tx: mpsc::UnboundedSender<Vec<Message>>,
}

/// A request waiting for its listener to open the rendezvous.
struct PendingHttp {
    /// The request to send on the rendezvous; `None` when only the response goes there.
    request: Option<control::Request>,
    body: Vec<u8>,
    reply: oneshot::Sender<HttpReply>,
}

#[derive(Default)]
pub struct Hub {
    listeners: Mutex<HashMap<String, Vec<ListenerHandle>>>,
    accepts: Mutex<HashMap<String, oneshot::Sender<Rendezvous>>>,
    replies: Mutex<HashMap<String, oneshot::Sender<HttpReply>>>,
    rendezvous_requests: Mutex<HashMap<String, PendingHttp>>,
}

impl Hub {
    pub fn listener_count(&self, entity_key: &str) -> usize {
        self.listeners.lock().get(entity_key).map_or(0, Vec::len)
    }

    fn pick(&self, entity_key: &str) -> Option<mpsc::UnboundedSender<Vec<Message>>> {
        let listeners = self.listeners.lock();
        let list = listeners.get(entity_key)?;
        if list.is_empty() {
            return None;
        }
        // Load balancing needs no secret randomness (and no system call per request).
        Some(list[fastrand::usize(..list.len())].tx.clone())
    }

    /// Drops every listener of an entity (it was deleted): close 1001.
    pub fn entity_deleted(&self, entity_key: &str) {
        if let Some(list) = self.listeners.lock().remove(entity_key) {
            for l in list {
                let _ = l.tx.send(vec![Message::Close(Some(CloseFrame {
                    code: 1001,
                    reason: "Endpoint was deleted".into(),
                }))]);
            }
        }
    }
}

#[derive(Clone)]
pub struct NamespaceState {
    pub shared: Arc<Shared>,
    pub namespace_id: String,
}

pub fn router(shared: Arc<Shared>, namespace_id: String) -> Router {
    Router::new().fallback(handle).with_state(NamespaceState {
        shared,
        namespace_id,
    })
}

fn relay_error(status: StatusCode, message: &str) -> Response {
    let tracking = uuid::Uuid::new_v4();
    let text = format!(
        "{message} TrackingId:{tracking}, Timestamp:{}",
        chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S")
    );
    let mut r = (status, text).into_response();
    r.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    query
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

const HYBRID_CONNECTION: &str = "Microsoft.Relay/Namespaces/HybridConnections";

/// What the relay needs of a hybrid connection (a copy, so the world's lock is not held).
#[derive(Clone, Debug)]
struct Entity {
    /// The ARM id, as stored.
    id: String,
    /// `World::key` of the id.
    key: String,
    name: String,
    /// False only where the entity lets anonymous senders in.
    requires_client_authorization: bool,
}

/// The hybrid connection a path names (longest matching name), and the rest of the path.
/// Names may hold `/`, so each prefix of the path that ends at a `/` is looked up, longest
/// first: a few map lookups, whatever the number of entities.
fn resolve(world: &World, namespace_id: &str, path: &str) -> Option<(Entity, String)> {
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
struct Checked {
    entity: Entity,
    suffix: String,
    verdict: Result<Option<i64>, (StatusCode, String)>,
    base: String,
}

/// `None` when the path names no hybrid connection. `http`: the token may also come from the
/// `Authorization` header.
fn check(
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
enum Right {
    Listen,
    Send,
}

/// Checks the token for a right on an entity, as the service does.
fn authorize(
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
    if token.len() > 22 && token[..22].eq_ignore_ascii_case("SharedAccessSignature ") {
        let sas = SasToken::parse(token)
            .map_err(|e| (StatusCode::UNAUTHORIZED, format!("Unauthorized: {e}.")))?;
        let now = chrono::Utc::now().timestamp();
        if sas.is_expired_at(now - 300) {
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

fn token_of(headers: &HeaderMap, query: &[(String, String)], http: bool) -> Option<String> {
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

fn host_of(headers: &HeaderMap) -> String {
    headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .map(|h| {
            h.rsplit_once(':')
                .map_or(h, |(host, _)| host)
                .trim_matches(['[', ']'])
                .to_string()
        })
        .unwrap_or_else(|| "localhost".into())
}

async fn handle(State(st): State<NamespaceState>, request: Request<Body>) -> Response {
    let (mut parts, body) = request.into_parts();
    let remote = ConnectInfo::<SocketAddr>::from_request_parts(&mut parts, &())
        .await
        .ok()
        .map(|c| c.0);
    let path = parts.uri.path().to_string();
    let query = query_pairs(parts.uri.query());
    if let Some(rest) = path.strip_prefix("/$hc/") {
        let upgrade = WebSocketUpgrade::from_request_parts(&mut parts, &()).await;
        let Ok(upgrade) = upgrade else {
            return relay_error(
                StatusCode::BAD_REQUEST,
                "This endpoint is only for web-socket requests.",
            );
        };
        let upgrade = upgrade.read_buffer_size(WS_READ_BUFFER);
        let action = param(&query, "sb-hc-action")
            .unwrap_or("connect")
            .to_string();
        return match action.as_str() {
            "listen" => listen(st, rest, &parts.headers, &query, upgrade),
            "connect" => connect(st, rest, parts.headers.clone(), query, remote, upgrade).await,
            "accept" => accept(st, &query, &parts.headers, upgrade),
            "request" => request_rendezvous(st, &query, upgrade),
            other => relay_error(
                StatusCode::BAD_REQUEST,
                &format!("Unknown sb-hc-action '{other}'."),
            ),
        };
    }
    http_request(st, parts, body, remote).await
}

fn listen(
    st: NamespaceState,
    path: &str,
    headers: &HeaderMap,
    query: &[(String, String)],
    upgrade: WebSocketUpgrade,
) -> Response {
    let Some(Checked {
        entity, verdict, ..
    }) = check(&st, path, headers, query, false, Right::Listen)
    else {
        return relay_error(
            StatusCode::NOT_FOUND,
            &format!("Endpoint does not exist: no hybrid connection '{path}'."),
        );
    };
    let expires_at = match verdict {
        Ok(e) => e,
        Err((status, message)) => return relay_error(status, &message),
    };
    if st.shared.hub.listener_count(&entity.key) >= MAX_LISTENERS {
        return relay_error(
            StatusCode::FORBIDDEN,
            &format!(
                "QuotaExceeded: hybrid connection '{}' already has {MAX_LISTENERS} listeners.",
                entity.name
            ),
        );
    }
    let listener_id = param(query, "sb-hc-id")
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    upgrade.on_upgrade(move |socket| control_channel(st, entity, listener_id, socket, expires_at))
}

async fn control_channel(
    st: NamespaceState,
    entity: Entity,
    id: String,
    socket: WebSocket,
    mut expires_at: Option<i64>,
) {
    let key = entity.key.clone();
    let (tx, rx) = mpsc::unbounded_channel::<Vec<Message>>();
    st.shared
        .hub
        .listeners
        .lock()
        .entry(key.clone())
        .or_default()
        .push(ListenerHandle {
            id: id.clone(),
            tx: tx.clone(),
        });
    st.shared
        .set_listener_count(&key, st.shared.hub.listener_count(&key));
    let (sink, mut stream) = socket.split();
    let writer = tokio::spawn(write_batches(sink, rx, |m: &Message| {
        matches!(m, Message::Close(_))
    }));
    let close = |reason: &str| {
        let _ = tx.send(vec![Message::Close(Some(CloseFrame {
            code: 1008,
            reason: reason.to_string().into(),
        }))]);
    };
    let grace = st.shared.options.token_grace_secs;
    // A response JSON may be followed by its body as the next binary message.
    let mut awaiting_body: Option<(String, HttpReply)> = None;
    loop {
        // The channel lives as long as its token (plus grace) unless renewed.
        let wait = expires_at
            .map(|e| {
                Duration::from_secs(
                    u64::try_from(e + grace - chrono::Utc::now().timestamp()).unwrap_or(0),
                )
            })
            .unwrap_or(Duration::from_secs(24 * 3600));
        let message = tokio::select! {
            m = stream.next() => m,
            _ = tokio::time::sleep(wait) => {
                close("The token has expired: renew it with renewToken before it does");
                break;
            }
        };
        let Some(Ok(message)) = message else { break };
        match message {
            Message::Text(text) => match ControlMessage::parse(&text) {
                Some(ControlMessage::Response(r)) => {
                    let request_id = r.request_id.clone();
                    let has_body = r.body;
                    let reply = reply_from(r);
                    if has_body {
                        awaiting_body = Some((request_id, reply));
                    } else if let Some(tx) = st.shared.hub.replies.lock().remove(&request_id) {
                        let _ = tx.send(reply);
                    }
                }
                Some(ControlMessage::RenewToken(t)) => {
                    match authorize_any_host(&st, &entity, Some(t.token.as_str())) {
                        Some(expiry) => expires_at = expiry,
                        None => {
                            // An invalid renewed token ends the channel: 1008, policy violation.
                            close("The renewed token is not valid");
                            break;
                        }
                    }
                }
                _ => {}
            },
            Message::Binary(bytes) => {
                if let Some((request_id, mut reply)) = awaiting_body.take() {
                    reply.body = bytes.to_vec();
                    if let Some(tx) = st.shared.hub.replies.lock().remove(&request_id) {
                        let _ = tx.send(reply);
                    }
                }
                // A stray empty binary message (hyco-https after body:false) is ignored.
            }
            Message::Close(_) => break,
            _ => {}
        }
    }
    if let Some(list) = st.shared.hub.listeners.lock().get_mut(&key) {
        list.retain(|l| l.id != id);
    }
    st.shared
        .set_listener_count(&key, st.shared.hub.listener_count(&key));
    drop(tx);
    let mut writer = writer;
    if tokio::time::timeout(Duration::from_secs(2), &mut writer)
        .await
        .is_err()
    {
        // Senders still hold the channel; end it so they see the listener is gone.
        writer.abort();
    }
}

/// A renewed token is checked against any host name (the control channel has no Host header
/// for it); returns its expiry when it is acceptable.
fn authorize_any_host(
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

fn reply_from(r: control::Response) -> HttpReply {
    HttpReply {
        status: r.status_code,
        description: r.status_description,
        headers: r.response_headers,
        body: Vec::new(),
    }
}

/// The namespace's `wss://` base address, without a trailing slash.
fn endpoint_base(world: &World, namespace_id: &str) -> String {
    let endpoint = world
        .resource(namespace_id)
        .and_then(|n| {
            n.properties["serviceBusEndpoint"]
                .as_str()
                .map(str::to_string)
        })
        .unwrap_or_default();
    endpoint
        .replacen("https://", "wss://", 1)
        .trim_end_matches('/')
        .to_string()
}

/// The headers to pass on, repeated names joined with ", " as HTTP allows.
fn relayed_headers(headers: &HeaderMap, drop: &[&str]) -> Headers {
    let mut out: Headers = Vec::new();
    for (name, value) in headers {
        let lower = name.as_str().to_ascii_lowercase();
        if drop.contains(&lower.as_str()) {
            continue;
        }
        let v = value.to_str().unwrap_or_default();
        let key = canonical_header(name.as_str());
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some((_, existing)) => {
                existing.push_str(", ");
                existing.push_str(v);
            }
            None => out.push((key, v.to_string())),
        }
    }
    out
}

/// `sec-websocket-key` → `Sec-WebSocket-Key`, `content-type` → `Content-Type`.
fn canonical_header(name: &str) -> String {
    name.split('-')
        .map(|part| match part.to_ascii_lowercase().as_str() {
            "websocket" => "WebSocket".to_string(),
            p => {
                let mut c = p.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

fn remote_endpoint(remote: Option<SocketAddr>) -> RemoteEndpoint {
    match remote {
        Some(a) => RemoteEndpoint {
            address: a.ip().to_string(),
            port: a.port(),
        },
        None => RemoteEndpoint {
            address: "127.0.0.1".into(),
            port: 0,
        },
    }
}

async fn connect(
    st: NamespaceState,
    path: &str,
    headers: HeaderMap,
    query: Vec<(String, String)>,
    remote: Option<SocketAddr>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let Some(Checked {
        entity,
        suffix,
        verdict,
        base,
    }) = check(&st, path, &headers, &query, false, Right::Send)
    else {
        return relay_error(
            StatusCode::NOT_FOUND,
            &format!("Endpoint does not exist: no hybrid connection '{path}'."),
        );
    };
    if let Err((status, message)) = verdict {
        return relay_error(status, &message);
    }
    let Some(listener) = st.shared.hub.pick(&entity.key) else {
        return relay_error(
            StatusCode::NOT_FOUND,
            &format!(
                "Endpoint does not exist: no listener is connected to hybrid connection '{}'.",
                entity.name
            ),
        );
    };
    let id = param(&query, "sb-hc-id")
        .map(str::to_string)
        .unwrap_or_else(|| format!("{}_G0", uuid::Uuid::new_v4()));
    let app_query: Vec<String> = query
        .iter()
        .filter(|(k, _)| !k.starts_with("sb-hc-"))
        .map(|(k, v)| {
            format!(
                "{}={}",
                url::form_urlencoded::byte_serialize(k.as_bytes()).collect::<String>(),
                url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()
            )
        })
        .collect();
    let mut address = format!("{base}/$hc/{}{suffix}?", entity.name);
    for q in &app_query {
        address.push_str(q);
        address.push('&');
    }
    address.push_str(&format!("sb-hc-action=accept&sb-hc-id={id}"));
    let mut connect_headers = relayed_headers(&headers, &["servicebusauthorization"]);
    if !connect_headers
        .iter()
        .any(|(k, _)| k == "Sec-WebSocket-Version")
    {
        connect_headers.push(("Sec-WebSocket-Version".into(), "13".into()));
    }
    let (tx, rx) = oneshot::channel();
    st.shared.hub.accepts.lock().insert(id.clone(), tx);
    let accept = ControlMessage::Accept(control::Accept {
        address,
        id: id.clone(),
        connect_headers,
        remote_endpoint: Some(remote_endpoint(remote)),
    });
    if listener
        .send(vec![Message::Text(accept.to_text().into())])
        .is_err()
    {
        st.shared.hub.accepts.lock().remove(&id);
        return relay_error(
            StatusCode::NOT_FOUND,
            &format!(
                "Endpoint does not exist: the listener of '{}' went away.",
                entity.name
            ),
        );
    }
    let outcome = tokio::time::timeout(RENDEZVOUS_TIMEOUT, rx).await;
    st.shared.hub.accepts.lock().remove(&id);
    match outcome {
        Ok(Ok(Rendezvous::Accepted {
            socket: listener_socket,
            protocol,
        })) => {
            let upgrade = match protocol {
                Some(p) => upgrade.protocols([p]),
                None => upgrade,
            };
            upgrade.on_upgrade(move |sender_socket| pipe(sender_socket, *listener_socket))
        }
        Ok(Ok(Rendezvous::Rejected {
            status,
            description,
        })) => relay_error(
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            &description,
        ),
        _ => relay_error(
            StatusCode::GATEWAY_TIMEOUT,
            &format!(
                "The listener of '{}' did not accept the connection in time.",
                entity.name
            ),
        ),
    }
}

fn accept(
    st: NamespaceState,
    query: &[(String, String)],
    headers: &HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let Some(id) = param(query, "sb-hc-id") else {
        return relay_error(
            StatusCode::BAD_REQUEST,
            "The accept address has no sb-hc-id.",
        );
    };
    let Some(waiting) = st.shared.hub.accepts.lock().remove(id) else {
        return relay_error(
            StatusCode::FORBIDDEN,
            "The rendezvous address is not valid or has expired.",
        );
    };
    let status = param(query, "sb-hc-statusCode").or_else(|| param(query, "statusCode"));
    if let Some(status) = status {
        let description = param(query, "sb-hc-statusDescription")
            .or_else(|| param(query, "statusDescription"))
            .unwrap_or("Rejected by the listener")
            .to_string();
        let _ = waiting.send(Rendezvous::Rejected {
            status: status.parse().unwrap_or(400),
            description,
        });
        return (StatusCode::GONE, "Rejected").into_response();
    }
    let protocol = headers
        .get("sec-websocket-protocol")
        .and_then(|v| v.to_str().ok())
        .and_then(|p| p.split(',').next())
        .map(|p| p.trim().to_string());
    let upgrade = match &protocol {
        Some(p) => upgrade.protocols([p.clone()]),
        None => upgrade,
    };
    upgrade.on_upgrade(move |socket| async move {
        let _ = waiting.send(Rendezvous::Accepted {
            socket: Box::new(socket),
            protocol,
        });
    })
}

/// Relays messages both ways; a Close from one side is passed on, and the other direction keeps
/// flowing until that side closes too (half-close).
async fn pipe(a: WebSocket, b: WebSocket) {
    let (a_tx, a_rx) = a.split();
    let (b_tx, b_rx) = b.split();
    let forward = |mut from: futures::stream::SplitStream<WebSocket>,
                   mut to: futures::stream::SplitSink<WebSocket, Message>| async move {
        while let Some(Ok(m)) = from.next().await {
            let closing = matches!(m, Message::Close(_));
            if to.send(m).await.is_err() || closing {
                break;
            }
        }
    };
    tokio::join!(forward(a_rx, b_tx), forward(b_rx, a_tx));
}

fn request_rendezvous(
    st: NamespaceState,
    query: &[(String, String)],
    upgrade: WebSocketUpgrade,
) -> Response {
    let Some(id) = param(query, "sb-hc-id") else {
        return relay_error(
            StatusCode::BAD_REQUEST,
            "The request address has no sb-hc-id.",
        );
    };
    let pending = st.shared.hub.rendezvous_requests.lock().remove(id);
    let pending = match pending {
        Some(p) => p,
        // The request went inline and the listener answers a large response by rendezvous.
        None => match st.shared.hub.replies.lock().remove(id) {
            Some(reply) => PendingHttp {
                request: None,
                body: Vec::new(),
                reply,
            },
            None => {
                return relay_error(
                    StatusCode::FORBIDDEN,
                    "The rendezvous address is not valid or has expired.",
                );
            }
        },
    };
    upgrade.on_upgrade(move |socket| async move {
        let (mut tx, mut rx) = socket.split();
        if let Some(request) = pending.request {
            let has_body = request.body == Some(true);
            if tx
                .send(Message::Text(
                    ControlMessage::Request(request).to_text().into(),
                ))
                .await
                .is_err()
            {
                return;
            }
            if has_body && tx.send(Message::Binary(pending.body.into())).await.is_err() {
                return;
            }
        }
        let mut reply: Option<HttpReply> = None;
        while let Some(Ok(m)) = rx.next().await {
            match m {
                Message::Text(text) => {
                    let Some(ControlMessage::Response(r)) = ControlMessage::parse(&text) else {
                        continue;
                    };
                    let has_body = r.body;
                    let parsed = reply_from(r);
                    if has_body {
                        reply = Some(parsed);
                    } else {
                        let _ = pending.reply.send(parsed);
                        break;
                    }
                }
                // Fragments arrive as one message; an empty final frame ends the body.
                Message::Binary(bytes) => {
                    if let Some(mut r) = reply.take() {
                        r.body.extend_from_slice(&bytes);
                        let _ = pending.reply.send(r);
                        break;
                    }
                }
                Message::Close(_) => break,
                _ => {}
            }
        }
        let _ = tx.send(Message::Close(None)).await;
    })
}

const HOP_BY_HOP: &[&str] = &[
    "connection",
    "content-length",
    "host",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "close",
    "servicebusauthorization",
    "keep-alive",
    "proxy-connection",
];

async fn http_request(
    st: NamespaceState,
    parts: axum::http::request::Parts,
    body: Body,
    remote: Option<SocketAddr>,
) -> Response {
    let query = query_pairs(parts.uri.query());
    let path = parts.uri.path().to_string();
    let Some(Checked {
        entity,
        verdict,
        base,
        ..
    }) = check(&st, &path, &parts.headers, &query, true, Right::Send)
    else {
        return relay_error(
            StatusCode::NOT_FOUND,
            &format!("Endpoint does not exist: no hybrid connection at '{path}'."),
        );
    };
    if parts.method == Method::CONNECT {
        return relay_error(StatusCode::METHOD_NOT_ALLOWED, "CONNECT is not relayed.");
    }
    let used_authorization = parts.headers.get("servicebusauthorization").is_none()
        && param(&query, "sb-hc-token").is_none();
    if let Err((status, message)) = verdict {
        return relay_error(status, &message);
    }
    let Some(listener) = st.shared.hub.pick(&entity.key) else {
        return relay_error(
            StatusCode::BAD_GATEWAY,
            &format!(
                "No listener is connected to hybrid connection '{}'.",
                entity.name
            ),
        );
    };
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024 * 1024).await else {
        return relay_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The request body is larger than 64 MiB.",
        );
    };
    let id = format!("{}_G0", uuid::Uuid::new_v4());
    // The request target, without sb-hc-* parameters.
    let kept: Vec<&str> = parts
        .uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !(p.is_empty() || p.starts_with("sb-hc-") && p.contains('=')))
        .collect();
    let target = if kept.is_empty() {
        path.clone()
    } else {
        format!("{path}?{}", kept.join("&"))
    };
    let mut drop: Vec<&str> = HOP_BY_HOP.to_vec();
    if used_authorization && entity.requires_client_authorization {
        drop.push("authorization");
    }
    let address = format!(
        "{base}/$hc/{}?sb-hc-action=request&sb-hc-id={id}",
        entity.name
    );
    // As the service does: a body flag only when there are body bytes.
    let has_body = !bytes.is_empty();
    let request = control::Request {
        address: address.clone(),
        id: id.clone(),
        request_target: Some(target),
        method: Some(parts.method.as_str().to_string()),
        remote_endpoint: Some(remote_endpoint(remote)),
        request_headers: relayed_headers(&parts.headers, &drop),
        body: Some(has_body),
    };
    let (tx, rx) = oneshot::channel();
    if bytes.len() <= INLINE_LIMIT {
        st.shared.hub.replies.lock().insert(id.clone(), tx);
        let mut batch = vec![Message::Text(
            ControlMessage::Request(request).to_text().into(),
        )];
        if has_body {
            batch.push(Message::Binary(bytes.clone()));
        }
        if listener.send(batch).is_err() {
            st.shared.hub.replies.lock().remove(&id);
            return relay_error(StatusCode::BAD_GATEWAY, "The listener went away.");
        }
    } else {
        st.shared.hub.rendezvous_requests.lock().insert(
            id.clone(),
            PendingHttp {
                request: Some(request),
                body: bytes.to_vec(),
                reply: tx,
            },
        );
        let only = ControlMessage::Request(control::Request {
            address,
            id: id.clone(),
            ..Default::default()
        });
        if listener
            .send(vec![Message::Text(only.to_text().into())])
            .is_err()
        {
            st.shared.hub.rendezvous_requests.lock().remove(&id);
            return relay_error(StatusCode::BAD_GATEWAY, "The listener went away.");
        }
    }
    // Wait for the reply, but not for a listener that has gone away meanwhile.
    let gone = listener.closed();
    let outcome = tokio::select! {
        o = tokio::time::timeout(RESPONSE_TIMEOUT, rx) => Some(o),
        _ = gone => None,
    };
    st.shared.hub.replies.lock().remove(&id);
    st.shared.hub.rendezvous_requests.lock().remove(&id);
    let Some(outcome) = outcome else {
        return relay_error(
            StatusCode::BAD_GATEWAY,
            "The listener went away before it answered.",
        );
    };
    let Ok(Ok(reply)) = outcome else {
        let mut r = (StatusCode::GATEWAY_TIMEOUT, axum::Json(json!({"error": {"code": "GatewayTimeout", "message": "The request was routed to the listener but the listener did not respond in the required time."}}))).into_response();
        r.headers_mut()
            .insert("content-type", HeaderValue::from_static("application/json"));
        return r;
    };
    let mut response = Response::builder()
        .status(StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    for (k, v) in &reply.headers {
        if !HOP_BY_HOP.contains(&k.to_ascii_lowercase().as_str()) {
            response = response.header(k, v);
        }
    }
    let host = st.shared.endpoints.host.clone();
    response = response.header("via", format!("1.1 {host}"));
    let _ = reply.description;
    response
        .body(Body::from(Bytes::from(reply.body)))
        .unwrap_or_else(|_| {
            relay_error(
                StatusCode::BAD_GATEWAY,
                "The listener sent an invalid response.",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The demo world with hybrid connections `a` and `a/b` (names may hold `/`).
    fn world_with_nested_names() -> (World, String) {
        let dir = tempfile::tempdir().unwrap();
        let mut world = super::super::seed::load_or_seed(dir.path(), None).unwrap();
        let template = world
            .resources
            .values()
            .find(|r| r.type_name == HYBRID_CONNECTION)
            .unwrap()
            .clone();
        let namespace_id = template.id[..template
            .id
            .to_ascii_lowercase()
            .find("/hybridconnections/")
            .unwrap()]
            .to_string();
        for name in ["a", "a/b"] {
            let mut r = template.clone();
            r.id = format!("{namespace_id}/hybridConnections/{name}");
            r.name = name.to_string();
            world.resources.insert(World::key(&r.id), r);
        }
        (world, namespace_id)
    }

    #[test]
    fn a_path_names_its_longest_hybrid_connection() {
        let (world, ns) = world_with_nested_names();
        let found = |path: &str| resolve(&world, &ns, path).map(|(e, rest)| (e.name, rest));
        assert_eq!(found("/a"), Some(("a".into(), String::new())));
        assert_eq!(found("/a/b"), Some(("a/b".into(), String::new())));
        assert_eq!(found("/a/b/c/d"), Some(("a/b".into(), "/c/d".into())));
        assert_eq!(found("/a/bc"), Some(("a".into(), "/bc".into())));
        // Names match without regard to case; the suffix keeps the caller's spelling.
        assert_eq!(found("/A/B/Path"), Some(("a/b".into(), "/Path".into())));
        // Percent-encoded paths are decoded first.
        assert_eq!(found("/a%2Fb"), Some(("a/b".into(), String::new())));
        assert_eq!(found("/ab"), None);
        assert_eq!(found("/"), None);
        // An authorization rule under an entity is not an entity.
        assert_eq!(
            found("/a/authorizationRules/RootManageSharedAccessKey").map(|f| f.0),
            Some("a".into())
        );
    }
}
