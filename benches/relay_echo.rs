//! Echo throughput and latency through the emulator's relay, 1 KiB messages:
//! (a) our sender + our listener, (b) the official hyco-ws pair, (c) a direct loopback WebSocket
//! echo with no relay (the physical limit); and HTTP requests/s through the relay to our listener
//! and to a hyco-https listener. Prints a table; asserts nothing about time.
//!
//! Run: `cargo bench --bench relay_echo` (the Node peers need `tests/node/node_modules`, made by
//! `scripts/test`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use relay_explorer::cloud::Cloud;
use relay_explorer::emulator::{self, Options};
use relay_explorer::relay::client::{Endpoint, TokenSource, tls_connector, ws_config};
use relay_explorer::relay::listener::{self, ListenerEvent};
use tokio_tungstenite::tungstenite::Message;

const CONNECTIONS: usize = 8;

/// Messages per connection: 500, or `RELAY_ECHO_MESSAGES` (for a longer run under a profiler).
fn messages_each() -> usize {
    std::env::var("RELAY_ECHO_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500)
}

/// HTTP requests in all: 2,000, or `RELAY_ECHO_REQUESTS`.
fn http_requests() -> usize {
    std::env::var("RELAY_ECHO_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
}

/// Whether to run a path: all of them, or those named in `RELAY_ECHO_PATHS` (e.g. `a,c`).
fn wanted(path: &str) -> bool {
    match std::env::var("RELAY_ECHO_PATHS") {
        Ok(list) => list.split(',').any(|p| p.trim() == path),
        Err(_) => true,
    }
}

struct Figures {
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
}

fn summarize(mut latencies: Vec<f64>, elapsed: Duration) -> Figures {
    latencies.sort_by(|a, b| a.total_cmp(b));
    let pick = |q: f64| latencies[((q * latencies.len() as f64) as usize).min(latencies.len() - 1)];
    Figures {
        per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50_ms: pick(0.5),
        p99_ms: pick(0.99),
    }
}

/// Request/reply over `CONNECTIONS` sockets made by `open`.
async fn echo_load<F, Fut, S>(open: F) -> Figures
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = S>,
    S: futures::Sink<Message>
        + futures::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>>
        + Unpin
        + Send
        + 'static,
    <S as futures::Sink<Message>>::Error: std::fmt::Debug,
{
    let payload = "x".repeat(1024);
    let mut sockets = Vec::new();
    for _ in 0..CONNECTIONS {
        sockets.push(open().await);
    }
    let start = Instant::now();
    let tasks: Vec<_> = sockets
        .into_iter()
        .map(|mut s| {
            let payload = payload.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(messages_each());
                for _ in 0..messages_each() {
                    let t0 = Instant::now();
                    s.send(Message::Text(payload.clone().into()))
                        .await
                        .expect("send");
                    let _ = s.next().await.expect("a reply").expect("a message");
                    latencies.push(t0.elapsed().as_secs_f64() * 1000.0);
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("task"));
    }
    summarize(all, start.elapsed())
}

/// A hyco-https echo listener in its own Node process, online when this returns.
struct NodeListener(std::process::Child);

impl NodeListener {
    fn stop(&mut self) {
        drop(self.0.stdin.take());
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn hyco_https_listener(
    node_dir: &std::path::Path,
    ca_cert: &str,
    host: &str,
    key: &str,
) -> NodeListener {
    let mut child = std::process::Command::new("node")
        .current_dir(node_dir)
        .env("NODE_EXTRA_CA_CERTS", ca_cert)
        .arg("hyco_https_listener.js")
        .arg(format!("wss://{host}/$hc/echo?sb-hc-action=listen"))
        .arg("http://localhost/echo")
        .arg("RootManageSharedAccessKey")
        .arg(key)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("node runs");
    let mut line = String::new();
    let mut out = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let _ = std::io::BufRead::read_line(&mut out, &mut line);
    NodeListener(child)
}

/// The figures a Node bench script printed as one JSON line (`rate` names its per-second key);
/// `None`, with what it wrote to stderr, when it printed none.
fn node_figures(out: &std::process::Output, rate: &str) -> Option<Figures> {
    let v = serde_json::from_slice::<serde_json::Value>(&out.stdout).ok();
    if v.is_none() {
        eprintln!("node: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    v.map(|v| Figures {
        per_second: v[rate].as_f64().unwrap_or(0.0),
        p50_ms: v["p50_ms"].as_f64().unwrap_or(0.0),
        p99_ms: v["p99_ms"].as_f64().unwrap_or(0.0),
    })
}

fn row(name: &str, f: &Figures) {
    println!(
        "| {name} | {:.0} | {:.3} | {:.3} |",
        f.per_second, f.p50_ms, f.p99_ms
    );
}

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("a temporary folder");
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let running = runtime
        .block_on(emulator::start(Options::new(dir.path().join("state"))))
        .expect("the emulator");
    let ready_file = dir.path().join("ready.json");
    std::fs::write(
        &ready_file,
        serde_json::to_vec(&running.ready).expect("json"),
    )
    .expect("ready file");
    let (cloud, _) = Cloud::from_ready_file(&ready_file).expect("ready");
    let (host, key) = {
        let world = running.shared.world.lock();
        let ns = world
            .resources
            .values()
            .find(|r| r.name == "northwind-relay-test")
            .expect("namespace");
        let host = ns.properties["serviceBusEndpoint"]
            .as_str()
            .unwrap()
            .trim_start_matches("https://")
            .trim_end_matches('/')
            .to_string();
        let rule = world
            .resources
            .values()
            .find(|r| {
                r.id.ends_with("northwind-relay-test/AuthorizationRules/RootManageSharedAccessKey")
            })
            .expect("rule");
        (host, rule.keys.clone().expect("keys").primary)
    };
    let token = TokenSource::Sas {
        key_name: "RootManageSharedAccessKey".into(),
        key: key.clone(),
    };
    let connector = tls_connector(Some(&cloud)).expect("tls");
    let endpoint = Endpoint::new(&host, "echo").expect("endpoint");

    println!(
        "relay echo, 1 KiB messages, {CONNECTIONS} connections x {} request/reply each (emulator on loopback, 2 cores)",
        messages_each()
    );
    println!("| path | messages/s | p50 ms | p99 ms |");
    println!("|---|---|---|---|");

    // (a) ours
    let ours = wanted("a").then(|| {
        runtime.block_on(async {
            let (handle, mut events) =
                listener::spawn(endpoint.clone(), token.clone(), connector.clone());
            assert!(matches!(events.recv().await, Some(ListenerEvent::Online)));
            tokio::spawn(async move {
                while let Some(ListenerEvent::Connection(c)) = events.recv().await {
                    tokio::spawn(async move {
                        let mut s = c.accept().await.expect("accept");
                        while let Some(Ok(m)) = s.next().await {
                            if matches!(m, Message::Close(_)) || s.send(m).await.is_err() {
                                break;
                            }
                        }
                    });
                }
            });
            let figures = echo_load(|| {
                let (endpoint, token, connector) =
                    (endpoint.clone(), token.clone(), connector.clone());
                async move {
                    listener::connect(&endpoint, &token, connector, "", &[], &[])
                        .await
                        .expect("connect")
                }
            })
            .await;
            handle.stop();
            tokio::time::sleep(Duration::from_millis(200)).await;
            figures
        })
    });
    if let Some(f) = &ours {
        row(
            "(a) relay-explorer sender + listener, through the emulator",
            f,
        );
    }

    // (b) hyco-ws pair
    let node_dir = root.join("tests/node");
    let hyco = if !wanted("b") {
        None
    } else if node_dir.join("node_modules/hyco-ws").exists() {
        let out = std::process::Command::new("node")
            .current_dir(&node_dir)
            .env("NODE_EXTRA_CA_CERTS", &running.ready.ca_cert)
            .arg("bench_hyco_ws.js")
            .arg(format!("wss://{host}/$hc/echo?sb-hc-action=listen"))
            .arg(format!("wss://{host}/$hc/echo?sb-hc-action=connect"))
            .arg("http://localhost/echo")
            .arg("RootManageSharedAccessKey")
            .arg(&key)
            .arg(CONNECTIONS.to_string())
            .arg(messages_each().to_string())
            .output()
            .expect("node runs");
        node_figures(&out, "messages_per_second")
    } else {
        None
    };
    match &hyco {
        Some(f) => row("(b) hyco-ws sender + listener, through the emulator", f),
        None if !wanted("b") => {}
        None => println!("| (b) hyco-ws pair | not run: tests/node/node_modules missing | | |"),
    }

    // (c) direct loopback WebSocket echo (no TLS, no relay)
    let direct = wanted("c").then(|| {
        runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let addr = listener.local_addr().expect("addr");
            tokio::spawn(async move {
                while let Ok((tcp, _)) = listener.accept().await {
                    let _ = tcp.set_nodelay(true);
                    tokio::spawn(async move {
                        let mut ws =
                            tokio_tungstenite::accept_async_with_config(tcp, Some(ws_config()))
                                .await
                                .expect("accept");
                        while let Some(Ok(m)) = ws.next().await {
                            if matches!(m, Message::Close(_)) || ws.send(m).await.is_err() {
                                break;
                            }
                        }
                    });
                }
            });
            echo_load(|| async move {
                let (ws, _) = tokio_tungstenite::connect_async_with_config(
                    format!("ws://{addr}/"),
                    Some(ws_config()),
                    true,
                )
                .await
                .expect("connect");
                ws
            })
            .await
        })
    });
    if let Some(f) = &direct {
        row("(c) direct loopback WebSocket echo (no relay)", f);
    }

    // (c') the same over TLS (the emulator's own certificate): what TLS alone costs.
    let direct_tls = wanted("c'").then(|| {
        runtime.block_on(async {
            let identity = emulator::tls::server_identity(
                &dir.path().join("state"),
                std::net::Ipv4Addr::LOCALHOST.into(),
            )
            .expect("tls identity");
            use rustls_pki_types::pem::PemObject;
            let certs: Vec<_> = rustls_pki_types::CertificateDer::pem_slice_iter(
                identity.cert_chain_pem.as_bytes(),
            )
            .map(|c| c.expect("cert"))
            .collect();
            let key = rustls_pki_types::PrivateKeyDer::from_pem_slice(identity.key_pem.as_bytes())
                .expect("key");
            let config = rustls::ServerConfig::builder()
                .with_no_client_auth()
                .with_single_cert(certs, key)
                .expect("server config");
            let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let port = listener.local_addr().expect("addr").port();
            tokio::spawn(async move {
                while let Ok((tcp, _)) = listener.accept().await {
                    let _ = tcp.set_nodelay(true);
                    let acceptor = acceptor.clone();
                    tokio::spawn(async move {
                        let tls = acceptor.accept(tcp).await.expect("tls");
                        let mut ws =
                            tokio_tungstenite::accept_async_with_config(tls, Some(ws_config()))
                                .await
                                .expect("accept");
                        while let Some(Ok(m)) = ws.next().await {
                            if matches!(m, Message::Close(_)) || ws.send(m).await.is_err() {
                                break;
                            }
                        }
                    });
                }
            });
            let connector = connector.clone();
            echo_load(|| {
                let connector = connector.clone();
                async move {
                    let (ws, _) = tokio_tungstenite::connect_async_tls_with_config(
                        format!("wss://localhost:{port}/"),
                        Some(ws_config()),
                        true,
                        Some(connector),
                    )
                    .await
                    .expect("connect");
                    ws
                }
            })
            .await
        })
    });
    if let Some(f) = &direct_tls {
        row("(c') direct loopback WebSocket echo over TLS (no relay)", f);
    }
    if let (Some(a), Some(b)) = (&ours, &hyco) {
        println!(
            "(a)/(b) throughput = {:.2} (goal >= 3)",
            a.per_second / b.per_second
        );
    }
    if let (Some(a), Some(c)) = (&ours, &direct) {
        println!(
            "(a)/(c) throughput = {:.2} (goal >= 0.5); p99 (a)/(c) = {:.2} (goal <= 2)",
            a.per_second / c.per_second,
            a.p99_ms / c.p99_ms
        );
    }
    if let (Some(a), Some(c)) = (&ours, &direct_tls) {
        println!(
            "(a)/(c') throughput = {:.2}; p99 (a)/(c') = {:.2} (TLS on both)",
            a.per_second / c.per_second,
            a.p99_ms / c.p99_ms
        );
    }
    if !["http", "http-node", "http-hyco"].iter().any(|p| wanted(p)) {
        runtime.block_on(running.shutdown()).expect("shutdown");
        return;
    }

    // HTTP through the relay: to our listener, then to a hyco-https listener.
    let http = relay_explorer::relay::client::sender_http_client(&cloud).expect("http");
    let load = |endpoint: Endpoint, token: TokenSource, http: reqwest::Client| async move {
        let start = Instant::now();
        let latencies = Arc::new(parking_lot::Mutex::new(Vec::new()));
        let tasks: Vec<_> = (0..CONNECTIONS)
            .map(|_| {
                let (endpoint, token, http, latencies) = (
                    endpoint.clone(),
                    token.clone(),
                    http.clone(),
                    latencies.clone(),
                );
                tokio::spawn(async move {
                    for _ in 0..http_requests() / CONNECTIONS {
                        let t0 = Instant::now();
                        let r = listener::http_request(
                            &endpoint,
                            &token,
                            &http,
                            "POST",
                            "/",
                            &[],
                            vec![b'x'; 1024],
                        )
                        .await
                        .expect("request");
                        assert!(r.status().is_success(), "{}", r.status());
                        let _ = r.bytes().await;
                        latencies.lock().push(t0.elapsed().as_secs_f64() * 1000.0);
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("task");
        }
        let all = latencies.lock().clone();
        summarize(all, start.elapsed())
    };
    let http_ours = wanted("http").then(|| {
        runtime.block_on(async {
            let (handle, mut events) =
                listener::spawn(endpoint.clone(), token.clone(), connector.clone());
            assert!(matches!(events.recv().await, Some(ListenerEvent::Online)));
            tokio::spawn(async move {
                while let Some(e) = events.recv().await {
                    if let ListenerEvent::Request(r) = e {
                        tokio::spawn(async move {
                            let body = r.body.clone();
                            let _ = r.respond(200, &[], &body).await;
                        });
                    }
                }
            });
            let figures = load(endpoint.clone(), token.clone(), http.clone()).await;
            handle.stop();
            tokio::time::sleep(Duration::from_millis(200)).await;
            figures
        })
    });
    let http_hyco = if !wanted("http-hyco") {
        None
    } else if node_dir.join("node_modules/hyco-https").exists() {
        let mut listener = hyco_https_listener(&node_dir, &running.ready.ca_cert, &host, &key);
        let figures = runtime.block_on(load(endpoint.clone(), token.clone(), http.clone()));
        listener.stop();
        Some(figures)
    } else {
        None
    };
    let http_node = if !wanted("http-node") {
        None
    } else if node_dir.join("node_modules/hyco-https").exists() {
        // Listener and senders in two processes, so that Node has both cores as we do.
        let mut listener = hyco_https_listener(&node_dir, &running.ready.ca_cert, &host, &key);
        let out = std::process::Command::new("node")
            .current_dir(&node_dir)
            .env("NODE_EXTRA_CA_CERTS", &running.ready.ca_cert)
            .arg("bench_hyco_https.js")
            .arg("-")
            .arg(format!("https://{host}/echo"))
            .arg("http://localhost/echo")
            .arg("RootManageSharedAccessKey")
            .arg(&key)
            .arg(CONNECTIONS.to_string())
            .arg(http_requests().to_string())
            .output()
            .expect("node runs");
        listener.stop();
        node_figures(&out, "requests_per_second")
    } else {
        None
    };
    println!();
    println!(
        "HTTP through the relay, 1 KiB POST bodies echoed, {CONNECTIONS} concurrent senders, {} requests",
        http_requests()
    );
    println!("| sender + listener | requests/s | p50 ms | p99 ms |");
    println!("|---|---|---|---|");
    if let Some(f) = &http_ours {
        row("(a) relay-explorer sender + listener", f);
    }
    match &http_node {
        Some(f) => row(
            "(b) Node https senders + hyco-https listener (the official pair)",
            f,
        ),
        None if !wanted("http-node") => {}
        None => println!("| (b) hyco-https pair | not run: tests/node/node_modules missing | | |"),
    }
    match &http_hyco {
        Some(f) => row("(b') relay-explorer senders + hyco-https listener", f),
        None if !wanted("http-hyco") => {}
        None => {
            println!("| (b') hyco-https listener | not run: tests/node/node_modules missing | | |")
        }
    }
    if let (Some(a), Some(b)) = (&http_ours, &http_node) {
        println!(
            "(a)/(b) requests/s = {:.2} (goal >= 3)",
            a.per_second / b.per_second
        );
    }
    if let (Some(a), Some(b)) = (&http_ours, &http_hyco) {
        println!(
            "(a)/(b') requests/s = {:.2} (the listeners alone, same senders)",
            a.per_second / b.per_second
        );
    }
    runtime.block_on(running.shutdown()).expect("shutdown");
}
