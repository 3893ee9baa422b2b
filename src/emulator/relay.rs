//! The Relay namespaces' endpoints. Each namespace gets its own TLS port on the emulator's
//! address, and its `serviceBusEndpoint` names that host and port: a client that uses them
//! reaches that namespace with no DNS or hosts-file change. The port is kept in the world, so a
//! namespace keeps its endpoint across restarts when the port is still free.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use axum_server::Handle;
use axum_server::tls_rustls::RustlsConfig;
use parking_lot::Mutex;

use super::Shared;
use super::world::World;

pub struct RelayEndpoints {
    bind: IpAddr,
    host: String,
    tls: RustlsConfig,
    servers: Mutex<HashMap<String, (u16, Handle<SocketAddr>)>>,
}

impl RelayEndpoints {
    pub fn new(bind: IpAddr, host: String, tls: RustlsConfig) -> Self {
        Self {
            bind,
            host,
            tls,
            servers: Mutex::new(HashMap::new()),
        }
    }

    fn endpoint(&self, port: u16) -> String {
        format!("https://{}:{port}/", self.host)
    }

    /// Serves the namespace `namespace_id`, on `preferred_port` when it is free; returns its
    /// `serviceBusEndpoint`.
    pub fn ensure(
        &self,
        shared: &Arc<Shared>,
        namespace_id: &str,
        preferred_port: Option<u16>,
    ) -> Result<String> {
        let key = World::key(namespace_id);
        if let Some((port, _)) = self.servers.lock().get(&key) {
            return Ok(self.endpoint(*port));
        }
        let listener = preferred_port
            .and_then(|p| std::net::TcpListener::bind((self.bind, p)).ok())
            .map(Ok)
            .unwrap_or_else(|| std::net::TcpListener::bind((self.bind, 0)))
            .context("no free port for a Relay namespace endpoint")?;
        listener.set_nonblocking(true)?;
        let port = listener.local_addr()?.port();
        let handle = Handle::new();
        let server = super::tls_server(
            listener,
            self.tls.clone(),
            shared.options.header_read_timeout,
        )?
        .handle(handle.clone());
        let app = super::hub::router(shared.clone(), namespace_id.to_string())
            .into_make_service_with_connect_info::<SocketAddr>();
        tokio::spawn(async move {
            if let Err(e) = server.serve(app).await {
                tracing::error!("a Relay namespace endpoint stopped: {e}");
            }
        });
        self.servers.lock().insert(key, (port, handle));
        Ok(self.endpoint(port))
    }

    /// Stops serving a deleted namespace.
    pub fn remove(&self, namespace_id: &str) {
        if let Some((_, handle)) = self.servers.lock().remove(&World::key(namespace_id)) {
            handle.graceful_shutdown(Some(Duration::from_secs(1)));
        }
    }

    pub fn shutdown(&self) {
        for (_, (_, handle)) in self.servers.lock().drain() {
            handle.graceful_shutdown(Some(Duration::from_secs(1)));
        }
    }
}

/// The port in a `serviceBusEndpoint` such as `https://localhost:50123/`.
fn port_of(endpoint: &str) -> Option<u16> {
    url::Url::parse(endpoint).ok()?.port()
}

/// Serves every namespace of the world, updating endpoints whose port was taken meanwhile.
pub fn bind_all_namespaces(shared: &Arc<Shared>) -> Result<()> {
    let mut world = shared.world.lock();
    for resource in world.resources.values_mut() {
        if resource.type_name != "Microsoft.Relay/Namespaces" {
            continue;
        }
        let old = resource.properties["serviceBusEndpoint"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let endpoint = shared.relay.ensure(shared, &resource.id, port_of(&old))?;
        if endpoint != old {
            if !old.is_empty() {
                let why = if port_of(&old) == port_of(&endpoint) {
                    "the emulator is bound to another address"
                } else {
                    "its port was taken"
                };
                tracing::warn!(
                    "namespace {} moved from {old} to {endpoint} ({why})",
                    resource.name
                );
            }
            resource.properties["serviceBusEndpoint"] = serde_json::json!(endpoint);
        }
    }
    Ok(())
}
