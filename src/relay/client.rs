//! Hybrid Connections, client side: where an entity is, how requests are authorised (SAS or an
//! Entra credential, switchable per connection), and TLS that trusts the cloud's CA.

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use azure_core::credentials::TokenCredential;
use tokio_tungstenite::Connector;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::protocol::connection_string::Credential;
use super::protocol::{ConnectionString, sas};
use crate::cloud::Cloud;

/// A hybrid connection: its namespace's host and port, and its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    pub entity: String,
}

impl Endpoint {
    /// `host[:port]` (port 443 when absent) and an entity name.
    pub fn new(namespace: &str, entity: &str) -> Result<Self> {
        let namespace = namespace
            .trim()
            .trim_start_matches("sb://")
            .trim_start_matches("https://")
            .trim_end_matches('/');
        let (host, port) = match namespace.rsplit_once(':') {
            Some((h, p)) => (
                h.to_string(),
                p.parse::<u16>()
                    .with_context(|| format!("'{p}' in --namespace '{namespace}' is not a port"))?,
            ),
            None => (namespace.to_string(), 443),
        };
        if host.is_empty() {
            bail!("--namespace is empty: give HOST[:PORT], e.g. contoso.servicebus.windows.net");
        }
        let entity = entity.trim_matches('/');
        if entity.is_empty() {
            bail!(
                "no hybrid connection: give --entity NAME (or a connection string with EntityPath)"
            );
        }
        Ok(Self {
            host,
            port,
            entity: entity.to_string(),
        })
    }

    pub fn from_connection_string(cs: &ConnectionString, entity: Option<&str>) -> Result<Self> {
        let entity = match (entity, cs.entity_path.as_deref()) {
            (Some(e), Some(p)) if !e.eq_ignore_ascii_case(p) => {
                bail!(
                    "--entity '{e}' differs from the connection string's EntityPath '{p}': drop one of them"
                )
            }
            (Some(e), _) => e,
            (None, Some(p)) => p,
            (None, None) => bail!("the connection string has no EntityPath: add --entity NAME"),
        };
        Self::new(&cs.namespace_host(), entity)
    }

    fn authority(&self) -> String {
        if self.port == 443 {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The WebSocket address for an action (`listen`, `connect`), with extra query pairs.
    pub fn ws_url(&self, action: &str, suffix: &str, query: &[(String, String)]) -> String {
        let mut url = format!("wss://{}/$hc/{}{}?", self.authority(), self.entity, suffix);
        for (k, v) in query {
            url.push_str(&format!("{}={}&", enc(k), enc(v)));
        }
        url.push_str(&format!(
            "sb-hc-action={action}&sb-hc-id={}",
            uuid::Uuid::new_v4()
        ));
        url
    }

    /// The HTTPS address of the entity plus `path` (which may carry a query).
    pub fn https_url(&self, path: &str) -> String {
        let path = if path.is_empty() || path.starts_with('/') || path.starts_with('?') {
            path.to_string()
        } else {
            format!("/{path}")
        };
        format!("https://{}/{}{}", self.authority(), self.entity, path)
    }

    /// What a SAS token for this entity signs (as the .NET SDK forms it: http, no port).
    pub fn sas_resource(&self) -> String {
        format!("http://{}/{}", self.host, self.entity)
    }
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// How requests are authorised.
#[derive(Clone)]
pub enum TokenSource {
    /// A SAS rule's key: tokens are minted as needed.
    Sas { key_name: String, key: String },
    /// A ready-made SAS token (never renewed).
    Fixed(String),
    /// An Entra credential (Azure Relay Listener / Sender roles).
    Entra {
        credential: Arc<dyn TokenCredential>,
        scope: String,
    },
    /// No token (an entity that accepts anonymous senders).
    Anonymous,
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenSource::Sas { key_name, .. } => write!(f, "Sas({key_name})"),
            TokenSource::Fixed(_) => write!(f, "Fixed(***)"),
            TokenSource::Entra { scope, .. } => write!(f, "Entra({scope})"),
            TokenSource::Anonymous => write!(f, "Anonymous"),
        }
    }
}

/// Lifetime of minted SAS tokens.
pub const SAS_LIFETIME_SECS: i64 = 3600;

impl TokenSource {
    pub fn from_connection_string(cs: &ConnectionString) -> Result<Self> {
        Ok(match &cs.credential {
            Credential::Key { name, key } => TokenSource::Sas {
                key_name: name.clone(),
                key: key.clone(),
            },
            Credential::Signature(s) => TokenSource::Fixed(s.clone()),
            Credential::ManagedIdentity => bail!(
                "Authentication=Managed Identity in a connection string: use --auth managed-identity with --namespace and --entity instead"
            ),
        })
    }

    /// A token for the endpoint, and when it expires (Unix seconds; `None` when it never does).
    pub async fn token(&self, endpoint: &Endpoint) -> Result<Option<(String, Option<i64>)>> {
        Ok(match self {
            TokenSource::Sas { key_name, key } => {
                let expiry = chrono::Utc::now().timestamp() + SAS_LIFETIME_SECS;
                Some((
                    sas::mint(&endpoint.sas_resource(), key_name, key, expiry),
                    Some(expiry),
                ))
            }
            TokenSource::Fixed(t) => {
                let expiry = super::protocol::SasToken::parse(t).ok().map(|s| s.expiry);
                Some((t.clone(), expiry))
            }
            TokenSource::Entra { credential, scope } => {
                let t = credential
                    .get_token(&[scope.as_str()], None)
                    .await
                    .map_err(|e| RelayError::Token(crate::error_chain::error_chain(&e)))?;
                Some((
                    t.token.secret().to_string(),
                    Some(t.expires_on.unix_timestamp()),
                ))
            }
            TokenSource::Anonymous => None,
        })
    }
}

pub use super::protocol::ws::{WS_READ_BUFFER, ws_config};

/// A WebSocket to the relay (a control channel, a sender, a rendezvous).
pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens a WebSocket (TLS through `connector`, Nagle off, [`ws_config`]).
pub async fn ws_connect<R>(
    request: R,
    connector: Connector,
) -> std::result::Result<Socket, tokio_tungstenite::tungstenite::Error>
where
    R: IntoClientRequest + Unpin,
{
    let (socket, _) = tokio_tungstenite::connect_async_tls_with_config(
        request,
        Some(ws_config()),
        true,
        Some(connector),
    )
    .await?;
    Ok(socket)
}

/// The HTTPS client for requests sent through a hybrid connection: the cloud's (its CA,
/// timeouts), HTTP/1.1 only. HTTP/1.1 is what the relay's front end is documented to speak and
/// what the official senders (Node's `https`) use; concurrent requests then go over a pool of
/// connections, which costs less per request than HTTP/2 streams (`cargo bench --bench
/// relay_echo`: ~14,000 against ~10,000 requests/s through the emulator).
pub fn sender_http_client(cloud: &Cloud) -> Result<reqwest::Client> {
    crate::cloud::tls::http_client_builder(cloud)?
        .http1_only()
        .build()
        .context("could not set up HTTPS")
}

/// TLS for WebSockets: the system's roots plus the cloud's CA ([`crate::cloud::tls`]).
pub fn tls_connector(cloud: Option<&Cloud>) -> Result<Connector> {
    Ok(Connector::Rustls(crate::cloud::tls::rustls_config(cloud)?))
}

pub use super::error::{RelayError, upgrade_error};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_from_names_and_connection_strings() {
        let e = Endpoint::new("contoso.servicebus.windows.net", "orders").unwrap();
        assert_eq!(e.port, 443);
        assert!(e.ws_url("listen", "", &[]).starts_with(
            "wss://contoso.servicebus.windows.net/$hc/orders?sb-hc-action=listen&sb-hc-id="
        ));
        assert_eq!(
            e.https_url("/a?b=1"),
            "https://contoso.servicebus.windows.net/orders/a?b=1"
        );
        let local = Endpoint::new("localhost:9443", "echo").unwrap();
        assert!(
            local
                .ws_url("connect", "/x", &[("q".into(), "a b".into())])
                .starts_with("wss://localhost:9443/$hc/echo/x?q=a+b&sb-hc-action=connect")
        );
        assert_eq!(local.sas_resource(), "http://localhost/echo");
        let cs = ConnectionString::parse(
            "Endpoint=sb://localhost:9443/;SharedAccessKeyName=k;SharedAccessKey=v;EntityPath=echo",
        )
        .unwrap();
        assert_eq!(Endpoint::from_connection_string(&cs, None).unwrap(), local);
        assert!(Endpoint::from_connection_string(&cs, Some("other")).is_err());
        assert!(Endpoint::new("localhost:x", "e").is_err());
        assert!(Endpoint::new("localhost", "").is_err());
    }
}
