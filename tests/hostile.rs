//! Hostile input against the relay: what a hostile or broken client sends must be refused
//! cleanly, never panic a task, never leave a ghost behind (issue 14 §0).

mod common;

use std::time::{Duration, Instant};

use common::rig::Rig;
use futures::{SinkExt, StreamExt};
use relay_explorer::relay::client::{Endpoint, tls_connector, ws_connect};
use relay_explorer::relay::protocol::control::{ControlMessage, RenewToken};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// 21 ASCII bytes, then a 3-byte character across byte 22 (where `SharedAccessSignature ` ends).
const MULTIBYTE_AT_22: &str = "SharedAccessSignatur€ sr=x&sig=y&se=1&skn=z";

fn listeners(rig: &Rig, entity: &str) -> usize {
    rig.emu
        .shared()
        .listener_count(&format!("{}/hybridConnections/{entity}", rig.namespace))
}

/// Waits until `entity` has `n` listeners, or says how many it has after 5 s.
async fn settle(rig: &Rig, entity: &str, n: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(5);
    while listeners(rig, entity) != n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    listeners(rig, entity)
}

/// Opens a WebSocket to `url` presenting `token` in the ServiceBusAuthorization header.
async fn open_ws(
    rig: &Rig,
    url: String,
    token: &str,
) -> Result<relay_explorer::relay::client::Socket, tokio_tungstenite::tungstenite::Error> {
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("ServiceBusAuthorization", token.parse().unwrap());
    ws_connect(request, tls_connector(Some(&rig.cloud)).unwrap()).await
}

/// A raw control channel on `entity` as listener `id`, signed with the listen-only rule.
async fn control_channel(
    rig: &Rig,
    entity: &str,
    id: &str,
) -> relay_explorer::relay::client::Socket {
    let endpoint: Endpoint = rig.endpoint(entity);
    let token = rig.sas(&format!(
        "hybridconnections/{entity}/authorizationrules/listen-only"
    ));
    let (sas, _) = token.token(&endpoint).await.unwrap().unwrap();
    let url = endpoint
        .ws_url("listen", "", &[])
        .replace("sb-hc-id=", &format!("sb-hc-id={id}&unused="));
    open_ws(rig, url, &sas)
        .await
        .expect("the control channel opens")
}

#[test]
fn a_renewed_token_with_a_multibyte_character_is_refused_and_leaves_no_ghost() {
    let rig = Rig::new();
    rig.emu.block_on(async {
        let mut channel = control_channel(&rig, "orders", "ghost-1").await;
        assert_eq!(settle(&rig, "orders", 1).await, 1);
        let renew = ControlMessage::RenewToken(RenewToken {
            token: MULTIBYTE_AT_22.into(),
        });
        channel
            .send(Message::Text(renew.to_text().into()))
            .await
            .unwrap();
        // The service closes the channel with 1008 (policy violation), as for any bad token.
        let closed = tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                match channel.next().await {
                    Some(Ok(Message::Close(f))) => break f.map(|f| u16::from(f.code)),
                    Some(Ok(_)) => continue,
                    _ => break None,
                }
            }
        })
        .await
        .expect("the channel is closed, not left hanging");
        assert_eq!(closed, Some(1008));
        // And the listener is gone from the hybrid connection: no ghost holds a slot.
        assert_eq!(
            settle(&rig, "orders", 0).await,
            0,
            "a ghost listener stayed"
        );
    });
}

#[test]
fn a_listen_token_with_a_multibyte_character_is_a_clean_401() {
    let rig = Rig::new();
    rig.emu.block_on(async {
        let endpoint = rig.endpoint("orders");
        let url = endpoint.ws_url(
            "listen",
            "",
            &[("sb-hc-token".into(), MULTIBYTE_AT_22.into())],
        );
        let refused = ws_connect(url.as_str(), tls_connector(Some(&rig.cloud)).unwrap()).await;
        match refused {
            Err(tokio_tungstenite::tungstenite::Error::Http(r)) => {
                assert_eq!(r.status().as_u16(), 401)
            }
            other => panic!("expected a 401 refusal: {:?}", other.map(|_| ())),
        }
        // The emulator still serves.
        let _l = control_channel(&rig, "orders", "after").await;
        assert_eq!(settle(&rig, "orders", 1).await, 1);
    });
}

#[test]
fn two_listeners_with_the_same_id_are_counted_apart() {
    let rig = Rig::new();
    rig.emu.block_on(async {
        let first = control_channel(&rig, "orders", "same-id").await;
        let _second = control_channel(&rig, "orders", "same-id").await;
        assert_eq!(settle(&rig, "orders", 2).await, 2);
        drop(first);
        // One left: the other is still there, and senders still reach it.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            settle(&rig, "orders", 1).await,
            1,
            "both went when one left"
        );
    });
}

#[test]
fn a_sas_scope_is_not_widened_by_dot_segments() {
    use relay_explorer::relay::protocol::connection_string::Credential;
    use relay_explorer::relay::protocol::sas;
    let rig = Rig::new();
    let root = rig.keys("namespaces/northwind-relay/authorizationrules/rootmanagesharedaccesskey");
    let Credential::Key { name, key } = &root.credential else {
        unreachable!()
    };
    let host = root.namespace_host();
    let host = host.split(':').next().unwrap().to_string();
    rig.emu.block_on(async {
        for sr in [
            format!("http://{host}/orders/.."),
            format!("http://{host}/orders/%2E%2E"),
            format!("http://{host}/orders/../inventory"),
        ] {
            let token = sas::mint(&sr, name, key, chrono::Utc::now().timestamp() + 600);
            let endpoint = rig.endpoint("inventory");
            let url = endpoint.ws_url("listen", "", &[("sb-hc-token".into(), token)]);
            match ws_connect(url.as_str(), tls_connector(Some(&rig.cloud)).unwrap()).await {
                Err(tokio_tungstenite::tungstenite::Error::Http(r)) => {
                    assert_eq!(r.status().as_u16(), 401, "{sr}")
                }
                other => panic!("{sr} was accepted for inventory: {:?}", other.map(|_| ())),
            }
        }
    });
}

/// `relay-explorer ls` signed in as the emulator's admin by client secret, with a home of its own
/// and secrets kept in memory.
fn ls_as_admin(
    ready_file: &std::path::Path,
    admin: &relay_explorer::cloud::ready::AdminInfo,
    home: &std::path::Path,
) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_relay-explorer"));
    cmd.args(["ls", "--auth", "client-secret", "--emulator"])
        .arg(ready_file)
        .env("AZURE_CLIENT_ID", &admin.client_id)
        .env("AZURE_CLIENT_SECRET", &admin.client_secret)
        .env("HOME", home)
        .env("RELAY_EXPLORER_VAULT", "memory");
    cmd
}

/// A Resource Manager token for the emulator's bootstrap admin (Owner of the subscription).
async fn admin_arm_token(rig: &Rig) -> String {
    use relay_explorer::auth::{self, SignIn, Vault};
    let http = auth::http_client(&rig.cloud).unwrap();
    let sign_in = SignIn::client_secret(
        rig.cloud.clone(),
        &rig.emu.ready.tenant_id,
        &rig.emu.ready.admin.client_id,
        &rig.emu.ready.admin.client_secret,
    );
    let credential = auth::credential(
        &sign_in,
        &http,
        std::sync::Arc::new(Vault::in_memory("test")),
        None,
    )
    .unwrap();
    credential
        .get_token(&["https://management.azure.com/.default"], None)
        .await
        .unwrap()
        .token
        .secret()
        .to_string()
}

#[test]
fn arm_refuses_encoded_separators_instead_of_routing_past_rbac() {
    let rig = Rig::new();
    let arm = rig
        .emu
        .ready
        .resource_manager
        .trim_end_matches('/')
        .to_string();
    let sub = rig.emu.ready.subscription_id.clone();
    rig.emu.block_on(async {
        let token = admin_arm_token(&rig).await;
        let http = rig.emu.http();
        let get = |path: String| {
            let (http, token, arm) = (http.clone(), token.clone(), arm.clone());
            async move {
                let r = http
                    .get(format!("{arm}{path}?api-version=2024-01-01"))
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap();
                (r.status().as_u16(), r.text().await.unwrap())
            }
        };
        let ns = format!(
            "/subscriptions/{sub}/resourceGroups/rg-relay/providers/Microsoft.Relay/namespaces"
        );
        // The rule, asked for as itself: found.
        let (status, _) = get(format!(
            "{ns}/northwind-relay/hybridConnections/orders/authorizationRules/listen-only"
        ))
        .await;
        assert_eq!(status, 200);
        // The same path with encoded separators is not another way in: ARM's RBAC would see a
        // namespace where the route finds a rule (or keys). Refused, naming the problem.
        for path in [
            format!("{ns}/northwind-relay%2FhybridConnections%2Forders%2FauthorizationRules%2Flisten-only"),
            format!("{ns}/northwind-relay%2fhybridConnections/orders"),
            format!("/subscriptions/{sub}/resourceGroups/rg-relay%2Fproviders%2FMicrosoft.Relay%2Fnamespaces%2Fnorthwind-relay"),
        ] {
            let (status, body) = get(path.clone()).await;
            assert_eq!(status, 400, "{path}: {body}");
            assert!(body.contains("InvalidRequestUri"), "{path}: {body}");
        }
    });
}

#[test]
fn a_listener_answering_101_is_not_relayed() {
    use relay_explorer::relay::listener::{self, ListenerEvent};
    let rig = Rig::new();
    rig.emu.block_on(async {
        let (_handle, mut events) = listener::spawn(
            rig.endpoint("orders"),
            rig.sas("hybridconnections/orders/authorizationrules/listen-only"),
            tls_connector(Some(&rig.cloud)).unwrap(),
        );
        assert!(matches!(events.recv().await, Some(ListenerEvent::Online)));
        tokio::spawn(async move {
            while let Some(e) = events.recv().await {
                if let ListenerEvent::Request(r) = e {
                    let _ = r.respond(101, &[], b"").await;
                }
            }
        });
        let http = relay_explorer::auth::http_client(&rig.cloud).unwrap();
        let sender = rig.sas("hybridconnections/orders/authorizationrules/sender");
        let response = listener::http_request(
            &rig.endpoint("orders"),
            &sender,
            &http,
            "GET",
            "/upgrade-me",
            &[],
            Vec::new(),
        )
        .await
        .unwrap();
        assert_eq!(response.status().as_u16(), 502);
        let body = response.text().await.unwrap();
        assert!(body.contains("101"), "{body}");
    });
}

#[test]
fn a_sign_in_to_a_stopped_emulator_fails_fast_with_the_cause() {
    // An emulator's ready file and CA, kept after the emulator is gone.
    let kept = tempfile::tempdir().unwrap();
    let (ready, admin) = {
        let rig = Rig::new();
        let mut ready: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&rig.emu.ready_file).unwrap()).unwrap();
        let ca = kept.path().join("ca.pem");
        std::fs::copy(ready["ca_cert"].as_str().unwrap(), &ca).unwrap();
        ready["ca_cert"] = serde_json::json!(ca.display().to_string());
        let file = kept.path().join("ready.json");
        std::fs::write(&file, serde_json::to_vec(&ready).unwrap()).unwrap();
        (file, rig.emu.ready.admin.clone())
    };
    let started = Instant::now();
    let out = ls_as_admin(&ready, &admin, kept.path()).output().unwrap();
    let took = started.elapsed();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("Connection refused"), "{err}");
    // It took 81 s of silent retries before.
    assert!(took < Duration::from_secs(20), "failing took {took:?}");
}

#[test]
fn a_ready_file_naming_the_wrong_ca_fails_fast_and_says_so() {
    let rig = Rig::new();
    let mut ready: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&rig.emu.ready_file).unwrap()).unwrap();
    // A valid CA certificate, but not the one that signed this emulator's certificate.
    let other = rcgen::CertificateParams::new(Vec::<String>::new())
        .unwrap()
        .self_signed(&rcgen::KeyPair::generate().unwrap())
        .unwrap();
    let ca = rig.emu.dir.path().join("other-ca.pem");
    std::fs::write(&ca, other.pem()).unwrap();
    ready["ca_cert"] = serde_json::json!(ca.display().to_string());
    let wrong = rig.emu.dir.path().join("wrong-ready.json");
    std::fs::write(&wrong, serde_json::to_vec(&ready).unwrap()).unwrap();
    let admin = &rig.emu.ready.admin;
    let started = Instant::now();
    let out = ls_as_admin(&wrong, admin, rig.emu.dir.path())
        .output()
        .unwrap();
    let took = started.elapsed();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("UnknownIssuer"), "{err}");
    assert!(
        err.contains("ca_cert signs the emulator's certificate"),
        "{err}"
    );
    assert!(took < Duration::from_secs(20), "failing took {took:?}");
}

#[test]
fn the_emulator_refuses_a_remote_bind_unless_allowed_and_says_what_it_exposes() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_relay-explorer"))
        .args(["emulator", "--bind", "0.0.0.0", "--state-dir"])
        .arg(dir.path().join("state"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("--bind 0.0.0.0 is not a loopback address"),
        "{err}"
    );
    assert!(err.contains("managed-identity endpoint"), "{err}");
    assert!(err.contains("--allow-remote"), "{err}");
    assert!(!dir.path().join("state").exists(), "nothing was started");
}

#[test]
fn the_certificate_and_the_advertised_urls_follow_the_bind_address() {
    // 127.0.0.2 is loopback, but `localhost` is 127.0.0.1: the ready file must name the address
    // the emulator listens on, and its certificate must be valid for it.
    let emu = common::TestEmulator::start_with(|o| o.bind = "127.0.0.2".parse().unwrap());
    for url in [
        &emu.ready.authority_host,
        &emu.ready.resource_manager,
        &emu.ready.graph,
        &emu.ready.managed_identity.endpoint,
    ] {
        assert!(url.contains("//127.0.0.2:"), "{url}");
    }
    let home = tempfile::tempdir().unwrap();
    let out = ls_as_admin(&emu.ready_file, &emu.ready.admin, home.path())
        .arg("--rules")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("orders"), "{stdout}");
}

#[test]
fn a_connection_that_sends_half_a_request_is_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rig = Rig::with(|o| o.header_read_timeout = Duration::from_secs(1));
    let arm = url::Url::parse(&rig.emu.ready.resource_manager).unwrap();
    let port = arm.port().unwrap();
    rig.emu.block_on(async {
        let config = relay_explorer::cloud::tls::rustls_config(Some(&rig.cloud)).unwrap();
        let connector = tokio_rustls::TlsConnector::from(config);
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
        let mut tls = connector.connect(name, tcp).await.unwrap();
        // Headers begun, never finished (a slowloris client).
        tls.write_all(
            b"GET /subscriptions?api-version=2022-12-01 HTTP/1.1\r\nHost: localhost\r\nX-Slow: ",
        )
        .await
        .unwrap();
        tls.flush().await.unwrap();
        let started = Instant::now();
        let mut buf = [0u8; 1024];
        let read = tokio::time::timeout(Duration::from_secs(10), tls.read(&mut buf)).await;
        let took = started.elapsed();
        // The server answers 408 or just closes; either way the connection ends.
        match read {
            Ok(Ok(_)) | Ok(Err(_)) => {}
            Err(_) => panic!("the connection was still open after {took:?}"),
        }
        assert!(took < Duration::from_secs(5), "closed only after {took:?}");
    });
}

#[test]
fn imds_refuses_a_proxied_request() {
    let rig = Rig::new();
    let url = format!(
        "{}?api-version=2018-02-01&resource=https://management.azure.com/",
        rig.emu.ready.imds_endpoint
    );
    rig.emu.block_on(async {
        let http = reqwest::Client::new();
        let direct = http
            .get(&url)
            .header("Metadata", "true")
            .send()
            .await
            .unwrap();
        assert_eq!(direct.status().as_u16(), 200);
        let proxied = http
            .get(&url)
            .header("Metadata", "true")
            .header("X-Forwarded-For", "203.0.113.7")
            .send()
            .await
            .unwrap();
        assert_eq!(proxied.status().as_u16(), 400);
        let body: serde_json::Value = proxied.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request");
        assert!(body.get("access_token").is_none());
    });
}

#[test]
fn a_log_that_is_not_a_terminal_has_no_colour_codes() {
    let rig = Rig::new();
    let dir = tempfile::tempdir().unwrap();
    let admin = &rig.emu.ready.admin;
    let out = ls_as_admin(&rig.emu.ready_file, admin, dir.path())
        .env("RUST_LOG", "debug")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("DEBUG"), "debug logging was on: {err}");
    assert!(
        !err.contains('\u{1b}'),
        "colour codes in a piped log: {err:?}"
    );
    drop(rig);
}

/// A raw sender connection to `entity`, signed with the namespace's manage rule.
async fn raw_sender(rig: &Rig, entity: &str) -> relay_explorer::relay::client::Socket {
    let endpoint: Endpoint = rig.endpoint(entity);
    let token = rig.sas("namespaces/northwind-relay/authorizationrules/rootmanagesharedaccesskey");
    let (sas, _) = token.token(&endpoint).await.unwrap().unwrap();
    open_ws(rig, endpoint.ws_url("connect", "", &[]), &sas)
        .await
        .expect("the sender connects")
}

/// A client frame as bytes (final, masked with a zero key): `opcode`, a header declaring
/// `declared` bytes of payload, then `payload` (which may be shorter: the rest never comes).
fn raw_frame(opcode: u8, declared: u64, payload: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0x80 | opcode];
    match declared {
        0..=125 => bytes.push(0x80 | declared as u8),
        126..=0xffff => {
            bytes.push(0x80 | 126);
            bytes.extend_from_slice(&(declared as u16).to_be_bytes());
        }
        _ => {
            bytes.push(0x80 | 127);
            bytes.extend_from_slice(&declared.to_be_bytes());
        }
    }
    bytes.extend_from_slice(&[0, 0, 0, 0]);
    bytes.extend_from_slice(payload);
    bytes
}

/// Writes `bytes` under the WebSocket and returns the close code the relay answers with (within
/// 10 s).
async fn close_code_after(mut socket: relay_explorer::relay::client::Socket, bytes: &[u8]) -> u16 {
    use tokio::io::AsyncWriteExt;
    socket.get_mut().write_all(bytes).await.unwrap();
    socket.get_mut().flush().await.unwrap();
    let wait = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(m) = socket.next().await {
            match m {
                Ok(Message::Close(Some(c))) => return Some(u16::from(c.code)),
                Ok(Message::Close(None)) | Err(_) => return None,
                Ok(_) => {}
            }
        }
        None
    });
    wait.await
        .expect("a close frame within 10 s")
        .expect("a close frame with a code")
}

#[test]
fn protocol_violations_are_closed_with_the_codes_rfc_6455_names() {
    let rig = Rig::new();
    rig.emu.block_on(async {
        let listener = rig
            .echo_listener(
                "orders",
                rig.sas("namespaces/northwind-relay/authorizationrules/rootmanagesharedaccesskey"),
            )
            .await;
        let invalid_utf8 = raw_frame(0x1, 3, &[b'a', 0xff, 0xfe]);
        let cases = [
            ("invalid UTF-8 text", invalid_utf8.clone(), 1007),
            // Refused on its header: the 20 MB never has to arrive (nor be buffered).
            ("a 20 MB frame", raw_frame(0x2, 20 << 20, &[]), 1009),
            ("a reserved opcode", raw_frame(0x3, 3, &[1, 2, 3]), 1002),
        ];
        for (what, bytes, code) in cases {
            let sender = raw_sender(&rig, "orders").await;
            assert_eq!(
                close_code_after(sender, &bytes).await,
                code,
                "{what} from a sender"
            );
        }
        // The control channel too.
        let channel = control_channel(&rig, "orders", "violator").await;
        assert_eq!(
            close_code_after(channel, &invalid_utf8).await,
            1007,
            "invalid UTF-8 on a control channel"
        );
        // The relay still relays.
        let mut sender = raw_sender(&rig, "orders").await;
        sender.send(Message::text("still here")).await.unwrap();
        let echoed = tokio::time::timeout(Duration::from_secs(10), sender.next()).await;
        assert!(
            matches!(echoed, Ok(Some(Ok(Message::Text(ref t)))) if t.as_str() == "still here"),
            "{echoed:?}"
        );
        listener.stop();
    });
}

/// Opens a control channel on `orders` with `token`; the handshake's error when refused.
async fn listen_with(rig: &Rig, token: &str) -> Result<(), String> {
    let endpoint: Endpoint = rig.endpoint("orders");
    match open_ws(rig, endpoint.ws_url("listen", "", &[]), token).await {
        Ok(mut s) => {
            let _ = s.close(None).await;
            Ok(())
        }
        Err(e) => Err(e.to_string()),
    }
}

#[test]
fn a_sas_token_is_honoured_for_the_grace_after_its_expiry_and_no_longer() {
    // Decision (docs/reliability.md): Azure's services allow five minutes of clock skew on a
    // token's expiry; `--token-grace 0` makes it exact.
    for (grace, accepted) in [(300, true), (0, false)] {
        let rig = Rig::with(|o| o.token_grace_secs = grace);
        let endpoint = rig.endpoint("orders");
        let keys = rig.keys("hybridconnections/orders/authorizationrules/listen-only");
        let relay_explorer::relay::protocol::connection_string::Credential::Key { name, key } =
            keys.credential
        else {
            panic!("a key rule")
        };
        let two_minutes_ago = chrono::Utc::now().timestamp() - 120;
        let token = relay_explorer::relay::protocol::sas::mint(
            &endpoint.sas_resource(),
            &name,
            &key,
            two_minutes_ago,
        );
        let outcome = rig.emu.block_on(listen_with(&rig, &token));
        if accepted {
            assert_eq!(outcome, Ok(()), "grace {grace}");
        } else {
            let e = outcome.expect_err("an expired token is refused without grace");
            assert!(e.contains("401"), "{e}");
        }
    }
}
