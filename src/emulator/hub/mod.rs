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

mod auth;
mod channel;
mod http;
mod rendezvous;

use auth::*;
use channel::*;
use http::*;
use rendezvous::*;

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
/// Largest message or frame a control channel takes. The documented limits are 64 kB of body and
/// 32 kB of headers a message; this leaves room for a lenient listener and still refuses a flood
/// (1009) before it is buffered.
const CONTROL_MESSAGE_LIMIT: usize = 1 << 20;
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
    /// This connection, whatever `sb-hc-id` it chose (two listeners may choose the same one).
    serial: u64,
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
    next_serial: std::sync::atomic::AtomicU64,
}

/// A listener's place on its hybrid connection, given up when dropped — however the control
/// channel's task ends (closed, failed, or panicked).
pub(super) struct Registration {
    shared: Arc<Shared>,
    key: String,
    serial: u64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Some(list) = self.shared.hub.listeners.lock().get_mut(&self.key) {
            list.retain(|l| l.serial != self.serial);
        }
        self.shared
            .set_listener_count(&self.key, self.shared.hub.listener_count(&self.key));
    }
}

impl Hub {
    /// Registers a listener's control channel on an entity until the registration is dropped.
    fn register(
        shared: &Arc<Shared>,
        key: &str,
        tx: mpsc::UnboundedSender<Vec<Message>>,
    ) -> Registration {
        let serial = shared
            .hub
            .next_serial
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        shared
            .hub
            .listeners
            .lock()
            .entry(key.to_string())
            .or_default()
            .push(ListenerHandle { serial, tx });
        shared.set_listener_count(key, shared.hub.listener_count(key));
        Registration {
            shared: shared.clone(),
            key: key.to_string(),
            serial,
        }
    }

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

/// The close frame RFC 6455 (§7.4.1) calls for when what a peer sent breaks the protocol: 1007
/// for a text message that is not UTF-8, 1009 for a message or frame over the limit, 1002 for any
/// other violation. None when the connection only went away.
fn violation_close(error: &axum::Error) -> Option<CloseFrame> {
    use tokio_tungstenite::tungstenite::Error as WsError;
    let error = std::error::Error::source(error)?.downcast_ref::<WsError>()?;
    let (code, reason) = match error {
        WsError::Utf8(_) => (1007, "A text message is not valid UTF-8.".to_string()),
        WsError::Capacity(e) => (1009, format!("Too big: {e}.")),
        WsError::Protocol(e) => (1002, format!("WebSocket protocol violation: {e}.")),
        _ => return None,
    };
    Some(CloseFrame {
        code,
        reason: reason.into(),
    })
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
