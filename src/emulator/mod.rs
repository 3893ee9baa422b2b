//! A local emulator of the Azure services Relay Explorer talks to: Entra ID (v2.0 endpoints),
//! managed identity, Azure Resource Manager and Microsoft Graph, over TLS, faithful enough that
//! the official Azure SDKs accept it unchanged.
//!
//! Layout:
//! - [`world`]: the directory, subscriptions, resources and RBAC assignments;
//! - [`seed`]: the world file (`assets/demo-world.json`) turned into a world;
//! - [`tls`], [`tokens`]: the CA and leaf certificate; JWT signing and validation;
//! - [`entra`], [`msi`], [`arm`], [`graph`], [`relay`]: one axum router per service;
//! - [`state`]: the state folder and atomic writes.

// Handlers return a ready HTTP response as their error: it is the natural currency here.
#![allow(clippy::result_large_err)]

pub mod arm;
pub mod entra;
pub mod graph;
pub mod hub;
pub mod msi;
pub mod odata;
pub mod ready;
pub mod relay;
pub mod resources;
pub mod seed;
pub mod state;
pub mod tls;
pub mod tokens;
pub mod world;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};
use axum_server::Handle;
use axum_server::tls_rustls::RustlsConfig;
use parking_lot::Mutex;
use tokio::sync::Notify;

pub use ready::ReadyInfo;
use world::World;

/// How to run an emulator.
#[derive(Debug, Clone)]
pub struct Options {
    /// The address every endpoint binds (loopback unless the user insists).
    pub bind: IpAddr,
    /// The first of four consecutive ports (login, ARM, Graph, managed identity); 0 picks free
    /// ports.
    pub port: u16,
    pub state_dir: PathBuf,
    /// A world file to seed a new state folder from; `None` uses the built-in demo world.
    pub world_file: Option<PathBuf>,
    /// Items per page of ARM list responses.
    pub page_size: usize,
    /// Lifetime of issued access tokens, in seconds.
    pub token_lifetime: i64,
    /// The device-code polling interval the emulator asks clients to keep, in seconds.
    pub device_code_interval: u64,
    /// How long a device code lives, in seconds.
    pub device_code_lifetime: i64,
    /// How long a token is honoured past its expiry, in seconds: a SAS token when it is presented,
    /// a listener's control channel that does not renew its token.
    pub token_grace_secs: i64,
    /// How long a connection may take to send a request's headers before it is closed (a
    /// client that sends half a request must not hold a connection forever).
    pub header_read_timeout: Duration,
}

impl Options {
    pub fn new(state_dir: PathBuf) -> Self {
        Self {
            bind: IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
            port: 0,
            state_dir,
            world_file: None,
            page_size: DEFAULT_PAGE_SIZE,
            token_lifetime: 3599,
            device_code_interval: 5,
            device_code_lifetime: 900,
            token_grace_secs: 300,
            header_read_timeout: Duration::from_secs(30),
        }
    }
}

/// ARM's usual page size for resource lists.
pub const DEFAULT_PAGE_SIZE: usize = 100;

/// Where each service listens, as URLs clients use.
#[derive(Debug, Clone)]
pub struct Endpoints {
    /// `https://host:port` of the login service (the "authority host").
    pub authority: String,
    pub resource_manager: String,
    pub graph: String,
    /// `http://host:port` of the managed-identity endpoint (plain HTTP on loopback, as on Azure).
    pub managed_identity: String,
    /// The host name namespaces' endpoints use.
    pub host: String,
}

/// A device code waiting for its user.
#[derive(Debug, Clone)]
pub struct DeviceCode {
    pub user_code: String,
    pub client_id: String,
    pub scope: String,
    pub expires_at: i64,
    pub interval: u64,
    pub last_poll: Option<std::time::Instant>,
    pub state: DeviceCodeState,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceCodeState {
    Pending,
    Approved { user_object_id: String },
    Declined,
}

/// What every handler shares.
pub struct Shared {
    pub world: Mutex<World>,
    pub tokens: tokens::TokenService,
    pub endpoints: Endpoints,
    pub options: Options,
    /// Device codes by their `device_code`.
    pub device_codes: Mutex<HashMap<String, DeviceCode>>,
    /// The secret `X-IDENTITY-HEADER` value of the managed-identity endpoint.
    pub identity_header: String,
    /// Live listener counts by lower-cased entity id (kept by the relay).
    pub listener_counts: Mutex<HashMap<String, usize>>,
    pub relay: relay::RelayEndpoints,
    /// The Hybrid Connections data plane's live state.
    pub hub: hub::Hub,
    /// Changes made to the world (a generation, bumped by each one) and the last generation
    /// written to the state folder: a change is acknowledged only once it is written.
    changes: AtomicU64,
    saved: tokio::sync::watch::Sender<u64>,
    /// One writer at a time (the background task, `durable`'s callers, shutdown).
    writing: Mutex<()>,
    dirty_signal: Notify,
}

impl Shared {
    /// The audience of a token for `resource`: a resource Azure knows, as it was asked for; the
    /// emulator's own Graph and Resource Manager URLs stand for Azure's (the Azure CLI asks for
    /// `microsoftGraphResourceId` of /metadata/endpoints, the Node ARM clients for
    /// `${endpoint}/.default`); Graph's application id for Graph. None: not a resource here.
    pub fn audience_of(&self, resource: &str) -> Option<String> {
        let bare = resource.trim_end_matches('/');
        let same = |url: &str| bare.eq_ignore_ascii_case(url.trim_end_matches('/'));
        if entra::KNOWN_RESOURCES.iter().any(|k| same(k)) {
            Some(resource.to_string())
        } else if same("00000003-0000-0000-c000-000000000000") || same(&self.endpoints.graph) {
            Some("https://graph.microsoft.com".to_string())
        } else if same(&self.endpoints.resource_manager) {
            Some("https://management.azure.com".to_string())
        } else {
            None
        }
    }

    /// Notes that the world changed (call it after the change, with the world unlocked); the
    /// background writer picks it up at once. Answer the request only after [`Shared::durable`].
    pub fn mark_dirty(&self) {
        self.changes.fetch_add(1, Ordering::SeqCst);
        self.dirty_signal.notify_one();
    }

    /// Returns once every change marked so far is in the state folder (group commit: requests
    /// that change the world concurrently share one write). A crash after a change was answered
    /// therefore never loses it.
    /// False when the state folder could not be written in time (the change is then not to be
    /// acknowledged).
    pub async fn durable(&self) -> bool {
        let wanted = self.changes.load(Ordering::SeqCst);
        let mut saved = self.saved.subscribe();
        if *saved.borrow() >= wanted {
            return true;
        }
        self.dirty_signal.notify_one();
        let written = saved.wait_for(|g| *g >= wanted);
        matches!(
            tokio::time::timeout(Duration::from_secs(30), written).await,
            Ok(Ok(_))
        )
    }

    /// Writes the world now if it changed since the last write.
    pub fn flush(&self) -> Result<()> {
        let _one_writer = self.writing.lock();
        let (generation, json) = {
            let world = self.world.lock();
            // Read under the world's lock: every change counted here is in this snapshot.
            let generation = self.changes.load(Ordering::SeqCst);
            if generation == *self.saved.borrow() {
                return Ok(());
            }
            (generation, serde_json::to_vec_pretty(&*world)?)
        };
        state::write_private(&self.options.state_dir.join(state::WORLD_FILE), &json)?;
        self.saved.send_replace(generation);
        Ok(())
    }

    pub fn tenant_id(&self) -> String {
        self.world.lock().tenant.id.clone()
    }

    pub fn set_listener_count(&self, entity_key: &str, count: usize) {
        self.listener_counts
            .lock()
            .insert(entity_key.to_string(), count);
    }

    pub fn listener_count(&self, entity_id: &str) -> usize {
        self.listener_counts
            .lock()
            .get(&World::key(entity_id))
            .copied()
            .unwrap_or(0)
    }
}

/// A running emulator. Dropping it does not stop it; call [`RunningEmulator::shutdown`].
pub struct RunningEmulator {
    pub shared: Arc<Shared>,
    pub ready: ReadyInfo,
    handles: Vec<Handle<SocketAddr>>,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl RunningEmulator {
    /// Stops every endpoint and writes the world.
    pub async fn shutdown(self) -> Result<()> {
        self.stop().await
    }

    /// [`RunningEmulator::shutdown`] through a shared reference (the app may still hold other
    /// references). Returns once the endpoints' tasks have ended, so their ports are free.
    pub async fn stop(&self) -> Result<()> {
        for h in &self.handles {
            h.graceful_shutdown(Some(Duration::from_secs(2)));
        }
        self.shared.relay.shutdown();
        let tasks = std::mem::take(&mut *self.tasks.lock());
        for t in &tasks {
            t.abort();
        }
        for t in tasks {
            let _ = tokio::time::timeout(Duration::from_secs(3), t).await;
        }
        self.shared.flush()
    }
}

/// A TLS server on a bound listener. `TCP_NODELAY` is set: small HTTP/2 and WebSocket frames
/// must not wait for Nagle's algorithm (it cost ~20 ms a request before).
pub(crate) fn tls_server(
    listener: TcpListener,
    tls: RustlsConfig,
    header_read_timeout: Duration,
) -> std::io::Result<
    axum_server::Server<
        SocketAddr,
        axum_server::tls_rustls::RustlsAcceptor<axum_server::accept::NoDelayAcceptor>,
    >,
> {
    let acceptor = axum_server::tls_rustls::RustlsAcceptor::new(tls)
        .acceptor(axum_server::accept::NoDelayAcceptor::new());
    let mut server = axum_server::from_tcp(listener)?.acceptor(acceptor);
    server
        .http_builder()
        .http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    Ok(server)
}

/// The same TLS identity offering HTTP/1.1 alone: a namespace speaks HTTP/1.1, as the relay does
/// (HTTP/2 has no reason phrase, and the relay's HTTP is 1.1).
fn http1_only(tls: &RustlsConfig) -> RustlsConfig {
    let mut config = (*tls.get_inner()).clone();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    RustlsConfig::from_config(Arc::new(config))
}

fn bind(addr: IpAddr, port: u16) -> Result<TcpListener> {
    let listener = TcpListener::bind((addr, port)).with_context(|| {
        format!("cannot listen on {addr}:{port}; is another emulator running? Pick other ports with --port, or 0 for free ones")
    })?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

/// The host name the endpoints advertise for `addr`: `localhost` for the loopback address it
/// names (and for "every address", which includes it), else the address itself, so that a client
/// given the ready file reaches the address the emulator listens on (`127.0.0.2` is loopback, but
/// `localhost` is not it).
fn host_for(addr: IpAddr) -> String {
    match addr {
        IpAddr::V4(a) if a == std::net::Ipv4Addr::LOCALHOST || a.is_unspecified() => {
            "localhost".to_string()
        }
        IpAddr::V6(a) if a == std::net::Ipv6Addr::LOCALHOST || a.is_unspecified() => {
            "localhost".to_string()
        }
        IpAddr::V6(a) => format!("[{a}]"),
        IpAddr::V4(a) => a.to_string(),
    }
}

/// Loads (or seeds) the world, binds every endpoint and starts serving.
pub async fn start(options: Options) -> Result<RunningEmulator> {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    std::fs::create_dir_all(&options.state_dir).with_context(|| {
        format!(
            "cannot create the state folder {}; pass a writable --state-dir",
            options.state_dir.display()
        )
    })?;
    let world = seed::load_or_seed(&options.state_dir, options.world_file.as_deref())?;

    let identity = tls::server_identity(&options.state_dir, options.bind)?;
    let tls = RustlsConfig::from_pem(
        identity.cert_chain_pem.clone().into_bytes(),
        identity.key_pem.clone().into_bytes(),
    )
    .await
    .context("loading the emulator's TLS certificate")?;

    let next = |i: u16| {
        if options.port == 0 {
            0
        } else {
            options.port + i
        }
    };
    let login = bind(options.bind, next(0))?;
    let arm = bind(options.bind, next(1))?;
    let graph = bind(options.bind, next(2))?;
    let msi = bind(options.bind, next(3))?;
    let host = host_for(options.bind);
    let port_of = |l: &TcpListener| l.local_addr().map(|a| a.port());
    let endpoints = Endpoints {
        authority: format!("https://{host}:{}", port_of(&login)?),
        resource_manager: format!("https://{host}:{}", port_of(&arm)?),
        graph: format!("https://{host}:{}", port_of(&graph)?),
        managed_identity: format!("http://{host}:{}", port_of(&msi)?),
        host: host.clone(),
    };
    let tokens = tokens::TokenService::load_or_create(&options.state_dir, &endpoints.authority)?;

    let shared = Arc::new(Shared {
        world: Mutex::new(world),
        tokens,
        endpoints: endpoints.clone(),
        identity_header: resources::new_client_secret(),
        device_codes: Mutex::new(HashMap::new()),
        listener_counts: Mutex::new(HashMap::new()),
        relay: relay::RelayEndpoints::new(options.bind, host, http1_only(&tls)),
        hub: hub::Hub::default(),
        options: options.clone(),
        changes: AtomicU64::new(1),
        saved: tokio::sync::watch::channel(0).0,
        writing: Mutex::new(()),
        dirty_signal: Notify::new(),
    });
    relay::bind_all_namespaces(&shared)?;
    shared.flush()?;

    let mut handles = Vec::new();
    let mut tasks = Vec::new();
    for (listener, router, secure) in [
        (login, entra::router(shared.clone()), true),
        (arm, arm::router(shared.clone()), true),
        (graph, graph::router(shared.clone()), true),
        (msi, msi::router(shared.clone()), false),
    ] {
        let handle = Handle::new();
        let service = router.into_make_service();
        let task = if secure {
            let server = tls_server(listener, tls.clone(), shared.options.header_read_timeout)?
                .handle(handle.clone());
            tokio::spawn(async move {
                if let Err(e) = server.serve(service).await {
                    tracing::error!("an emulator endpoint stopped: {e}");
                }
            })
        } else {
            let server = axum_server::from_tcp(listener)?
                .acceptor(axum_server::accept::NoDelayAcceptor::new())
                .handle(handle.clone());
            tokio::spawn(async move {
                if let Err(e) = server.serve(service).await {
                    tracing::error!("an emulator endpoint stopped: {e}");
                }
            })
        };
        handles.push(handle);
        tasks.push(task);
    }
    for h in &handles {
        h.listening().await;
    }

    // Write the world as soon as it changes; changes made while a write runs share the next.
    let persist = shared.clone();
    tasks.push(tokio::spawn(async move {
        loop {
            persist.dirty_signal.notified().await;
            let writer = persist.clone();
            match tokio::task::spawn_blocking(move || writer.flush()).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::error!("could not save the emulator's state: {e:#}"),
                Err(e) => tracing::error!("the state writer failed: {e}"),
            }
        }
    }));

    let ready = ReadyInfo::new(&shared, &identity.ca_cert_path);
    Ok(RunningEmulator {
        shared,
        ready,
        handles,
        tasks: Mutex::new(tasks),
    })
}
