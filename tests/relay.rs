//! The Hybrid Connections data plane end to end: our listener and sender through the emulator,
//! with SAS and Entra tokens, and the refusals the service gives.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::rig::Rig;
use futures::{SinkExt, StreamExt};
use relay_explorer::auth::{self};
use relay_explorer::relay::client::{Endpoint, TokenSource, tls_connector};
use relay_explorer::relay::listener::{self, ListenerEvent};
use relay_explorer::relay::protocol::sas;
use tokio_tungstenite::tungstenite::Message;

#[test]
fn websocket_text_and_binary_round_trip_with_sas() {
    let rig = Rig::new();
    rig.emu.block_on(async {
        let _l = rig
            .echo_listener(
                "orders",
                rig.sas("hybridconnections/orders/authorizationrules/listen-only"),
            )
            .await;
        let mut s = listener::connect(
            &rig.endpoint("orders"),
            &rig.sas("hybridconnections/orders/authorizationrules/sender"),
            tls_connector(Some(&rig.cloud)).unwrap(),
            "",
            &[],
            &[],
        )
        .await
        .unwrap();
        s.send(Message::Text("hello".into())).await.unwrap();
        assert_eq!(
            s.next().await.unwrap().unwrap(),
            Message::Text("hello".into())
        );
        let binary: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        s.send(Message::Binary(binary.clone().into()))
            .await
            .unwrap();
        assert_eq!(
            s.next().await.unwrap().unwrap().into_data().to_vec(),
            binary
        );
    });
}

#[test]
fn http_bodies_of_every_size_go_both_ways() {
    let rig = Rig::new();
    rig.emu.block_on(async {
        let _l = rig
            .echo_listener(
                "orders",
                rig.sas("hybridconnections/orders/authorizationrules/listen-only"),
            )
            .await;
        let http = auth::http_client(&rig.cloud).unwrap();
        let sender = rig.sas("hybridconnections/orders/authorizationrules/sender");
        for size in [0usize, 1, 64 * 1024, 1024 * 1024] {
            let body: Vec<u8> = (0..size).map(|i| (i % 253) as u8).collect();
            let r = listener::http_request(
                &rig.endpoint("orders"),
                &sender,
                &http,
                "POST",
                "/api/items?x=1&sb-hc-token=zzz",
                &[],
                body.clone(),
            )
            .await
            .unwrap();
            assert_eq!(r.status(), 200, "size {size}");
            assert_eq!(r.headers()["x-method"], "POST");
            assert_eq!(r.headers()["x-target"], "/orders/api/items?x=1");
            assert!(r.headers().contains_key("via"));
            assert_eq!(r.bytes().await.unwrap().to_vec(), body, "size {size}");
        }
    });
}

#[test]
fn entra_identities_listen_and_send_by_their_roles() {
    let rig = Rig::new();
    rig.emu.block_on(async {
        // orders-backend is Azure Relay Sender on orders; it cannot listen there.
        let refused = listener::spawn(
            rig.endpoint("orders"),
            rig.entra("orders-backend"),
            tls_connector(Some(&rig.cloud)).unwrap(),
        )
        .1
        .recv()
        .await;
        match refused {
            Some(ListenerEvent::Offline { reason, error }) => {
                assert!(
                    reason.contains("403") && reason.contains("messages/listen/action"),
                    "{reason}"
                );
                // The refusal is a value: its status, and the role that would grant it.
                let error = error.expect("a refusal comes with the service's error");
                assert_eq!(error.status(), Some(403));
                let hint = error.hint().expect("a missing data action has a hint");
                assert!(hint.to_string().contains("Azure Relay Listener"), "{hint}");
            }
            other => panic!("{other:?}"),
        }
        let _l = rig
            .echo_listener(
                "orders",
                rig.sas("hybridconnections/orders/authorizationrules/listen-only"),
            )
            .await;
        let connector = tls_connector(Some(&rig.cloud)).unwrap();
        let mut s = listener::connect(
            &rig.endpoint("orders"),
            &rig.entra("orders-backend"),
            connector.clone(),
            "",
            &[],
            &[],
        )
        .await
        .unwrap();
        s.send(Message::Text("from entra".into())).await.unwrap();
        assert_eq!(
            s.next().await.unwrap().unwrap(),
            Message::Text("from entra".into())
        );
        // An app with no role at all is refused, naming the data action…
        let err = listener::connect(
            &rig.endpoint("orders"),
            &rig.entra("reporting-no-role"),
            connector.clone(),
            "",
            &[],
            &[],
        )
        .await
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("403") && err.contains("messages/send/action"),
            "{err}"
        );
        // …and allowed once the role is assigned.
        let orders = format!("{}/HybridConnections/orders", rig.namespace);
        rig.assign(
            &rig.emu.principal("reporting-no-role").object_id,
            &orders,
            "26baccc8-eea7-41f1-98f4-1762cc7f685d",
        );
        listener::connect(
            &rig.endpoint("orders"),
            &rig.entra("reporting-no-role"),
            connector.clone(),
            "",
            &[],
            &[],
        )
        .await
        .unwrap();
        // A deny assignment wins: Sender on the whole namespace, still no sending to inventory.
        let _inv = rig
            .echo_listener(
                "inventory",
                rig.sas("hybridconnections/inventory/authorizationrules/manage"),
            )
            .await;
        rig.assign(
            &rig.emu.principal("orders-backend").object_id,
            &rig.namespace,
            "26baccc8-eea7-41f1-98f4-1762cc7f685d",
        );
        let err = listener::connect(
            &rig.endpoint("inventory"),
            &rig.entra("orders-backend"),
            connector,
            "",
            &[],
            &[],
        )
        .await
        .unwrap_err()
        .to_string();
        assert!(err.contains("deny assignment"), "{err}");
    });
}

/// The Relay SDKs ask for `https://relay.azure.net//.default` (the resource with its slash, then
/// `/.default`): Azure issues a token for it that the relay takes, and so does the emulator.
#[test]
fn the_relay_sdks_double_slash_scope_gets_a_token_the_relay_takes() {
    let rig = Rig::new();
    rig.emu.block_on(async {
        let _l = rig
            .echo_listener(
                "orders",
                rig.sas("hybridconnections/orders/authorizationrules/listen-only"),
            )
            .await;
        let TokenSource::Entra { credential, .. } = rig.entra("orders-backend") else {
            unreachable!()
        };
        let token = TokenSource::Entra {
            credential,
            scope: "https://relay.azure.net//.default".into(),
        };
        let connector = tls_connector(Some(&rig.cloud)).unwrap();
        let mut s = listener::connect(&rig.endpoint("orders"), &token, connector, "", &[], &[])
            .await
            .expect("the token for the double-slash scope is taken");
        s.send(Message::Text("sdk scope".into())).await.unwrap();
        assert_eq!(
            s.next().await.unwrap().unwrap(),
            Message::Text("sdk scope".into())
        );
    });
}

#[test]
fn refusals_say_why() {
    let rig = Rig::new();
    rig.emu.block_on(async {
        let connector = tls_connector(Some(&rig.cloud)).unwrap();
        let connect = |token: TokenSource, entity: &'static str| {
            let (endpoint, connector) = (rig.endpoint(entity), connector.clone());
            async move {
                listener::connect(&endpoint, &token, connector, "", &[], &[])
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
        };
        let sender = rig.sas("hybridconnections/orders/authorizationrules/sender");
        let err = connect(sender.clone(), "orders").await.unwrap_err();
        assert!(
            err.contains("no listener is connected to hybrid connection 'orders'"),
            "{err}"
        );
        let _l = rig
            .echo_listener(
                "orders",
                rig.sas("hybridconnections/orders/authorizationrules/listen-only"),
            )
            .await;
        let _p = rig
            .echo_listener(
                "public-feed",
                rig.sas("namespaces/northwind-relay/authorizationrules/rootmanagesharedaccesskey"),
            )
            .await;
        let wrong_key = TokenSource::Sas {
            key_name: "sender".into(),
            key: "bm90IHRoZSBrZXk=".into(),
        };
        assert!(
            connect(wrong_key, "orders")
                .await
                .unwrap_err()
                .contains("invalid signature")
        );
        let cs = rig.keys("hybridconnections/orders/authorizationrules/sender");
        let relay_explorer::relay::protocol::connection_string::Credential::Key { key, .. } =
            &cs.credential
        else {
            unreachable!()
        };
        let expired = TokenSource::Fixed(sas::mint(
            &rig.endpoint("orders").sas_resource(),
            "sender",
            key,
            chrono::Utc::now().timestamp() - 3600,
        ));
        assert!(
            connect(expired, "orders")
                .await
                .unwrap_err()
                .contains("ExpiredToken")
        );
        let listen_only = rig.sas("hybridconnections/orders/authorizationrules/listen-only");
        assert!(
            connect(listen_only, "orders")
                .await
                .unwrap_err()
                .contains("the SAS rule 'listen-only' has no Send right")
        );
        assert!(
            connect(TokenSource::Anonymous, "orders")
                .await
                .unwrap_err()
                .contains("401")
        );
        connect(TokenSource::Anonymous, "public-feed")
            .await
            .unwrap();
        assert!(
            connect(sender.clone(), "no-such-entity")
                .await
                .unwrap_err()
                .contains("404")
        );
    });
}

#[test]
fn listener_count_is_live_in_resource_manager() {
    let rig = Rig::new();
    let count = |rig: &Rig| {
        rig.emu
            .shared()
            .listener_count(&format!("{}/HybridConnections/orders", rig.namespace))
    };
    assert_eq!(count(&rig), 0);
    rig.emu.block_on(async {
        let l1 = rig
            .echo_listener(
                "orders",
                rig.sas("hybridconnections/orders/authorizationrules/listen-only"),
            )
            .await;
        let _l2 = rig
            .echo_listener(
                "orders",
                rig.sas("hybridconnections/orders/authorizationrules/listen-only"),
            )
            .await;
        assert_eq!(count(&rig), 2);
        l1.stop();
        let start = std::time::Instant::now();
        while count(&rig) != 1 {
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "the stopped listener is still counted"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
}

#[test]
fn a_listener_renews_short_lived_tokens_and_never_drops() {
    // Three token lifetimes end to end (Entra tokens live 6 s, and the emulator closes a channel
    // 2 s after its token expires), under a request every 0.5 s. Hours of renewal under traffic
    // run on tokio's paused clock in `relay::listener`'s unit tests.
    let rig = Rig::with(|o| {
        o.token_lifetime = 6;
        o.token_grace_secs = 2;
    });
    let orders = format!("{}/HybridConnections/orders", rig.namespace);
    rig.assign(
        &rig.emu.principal("orders-backend").object_id,
        &orders,
        "26e0b698-aa6d-4085-9386-aadae190014d",
    );
    rig.emu.block_on(async {
        let (_handle, mut events) = listener::spawn(
            rig.endpoint("orders"),
            rig.entra("orders-backend"),
            tls_connector(Some(&rig.cloud)).unwrap(),
        );
        assert!(matches!(events.recv().await, Some(ListenerEvent::Online)));
        let drops = Arc::new(parking_lot::Mutex::new(Vec::<String>::new()));
        let seen = drops.clone();
        tokio::spawn(async move {
            while let Some(e) = events.recv().await {
                match e {
                    ListenerEvent::Request(r) => r.respond(204, &[], b"").await.unwrap(),
                    other => seen.lock().push(format!("{other:?}")),
                }
            }
        });
        let http = auth::http_client(&rig.cloud).unwrap();
        let sender = rig.sas("hybridconnections/orders/authorizationrules/sender");
        let endpoint = rig.endpoint("orders");
        let end = tokio::time::Instant::now() + Duration::from_secs(20);
        let mut answered = 0;
        while tokio::time::Instant::now() < end {
            let response =
                listener::http_request(&endpoint, &sender, &http, "GET", "/ping", &[], Vec::new())
                    .await
                    .unwrap();
            assert_eq!(response.status(), 204);
            answered += 1;
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        assert!(answered >= 30, "only {answered} requests in 20 s");
        assert!(
            drops.lock().is_empty(),
            "the listener dropped: {:?}",
            drops.lock()
        );
    });
}

#[test]
fn a_listener_whose_token_is_not_renewed_is_closed_with_1008() {
    let rig = Rig::with(|o| o.token_grace_secs = 1);
    let cs = rig.keys("hybridconnections/orders/authorizationrules/listen-only");
    let relay_explorer::relay::protocol::connection_string::Credential::Key { name, key } =
        &cs.credential
    else {
        unreachable!()
    };
    let fixed = TokenSource::Fixed(sas::mint(
        &rig.endpoint("orders").sas_resource(),
        name,
        key,
        chrono::Utc::now().timestamp() + 2,
    ));
    rig.emu.block_on(async {
        let (_handle, mut events) = listener::spawn(
            rig.endpoint("orders"),
            fixed,
            tls_connector(Some(&rig.cloud)).unwrap(),
        );
        assert!(matches!(events.recv().await, Some(ListenerEvent::Online)));
        match tokio::time::timeout(Duration::from_secs(15), events.recv()).await {
            Ok(Some(ListenerEvent::Reconnecting { reason, .. })) => {
                assert!(reason.starts_with("1008"), "{reason}")
            }
            other => panic!("expected a 1008 close: {other:?}"),
        }
    });
}

#[test]
fn a_thousand_concurrent_senders_lose_and_garble_nothing() {
    let rig = Rig::new();
    rig.emu.block_on(async {
        let _l = rig
            .echo_listener(
                "orders",
                rig.sas("hybridconnections/orders/authorizationrules/listen-only"),
            )
            .await;
        let connector = tls_connector(Some(&rig.cloud)).unwrap();
        let sender = rig.sas("hybridconnections/orders/authorizationrules/sender");
        let tasks: Vec<_> = (0..1000)
            .map(|i| {
                let (endpoint, sender, connector) =
                    (rig.endpoint("orders"), sender.clone(), connector.clone());
                tokio::spawn(async move {
                    let mut s =
                        listener::connect(&endpoint, &sender, connector, "", &[], &[]).await?;
                    let text = format!("message {i} {}", "x".repeat(i % 97));
                    s.send(Message::Text(text.clone().into())).await?;
                    let back = s
                        .next()
                        .await
                        .ok_or_else(|| anyhow::anyhow!("no reply"))??;
                    anyhow::ensure!(back == Message::Text(text.into()), "garbled reply for {i}");
                    let _ = s.close(None).await;
                    Ok::<_, anyhow::Error>(())
                })
            })
            .collect();
        let mut failures = Vec::new();
        for t in tasks {
            if let Err(e) = t.await.unwrap() {
                failures.push(e.to_string());
            }
        }
        assert!(
            failures.is_empty(),
            "{} of 1000 failed, e.g. {:?}",
            failures.len(),
            failures.first()
        );
    });
}

#[test]
fn a_listener_can_reject_a_sender_with_its_own_status_and_reason() {
    let rig = Rig::new();
    rig.emu.block_on(async {
        let (_h, mut events) = listener::spawn(
            rig.endpoint("orders"),
            rig.sas("hybridconnections/orders/authorizationrules/listen-only"),
            tls_connector(Some(&rig.cloud)).unwrap(),
        );
        assert!(matches!(events.recv().await, Some(ListenerEvent::Online)));
        tokio::spawn(async move {
            while let Some(e) = events.recv().await {
                if let ListenerEvent::Connection(c) = e {
                    c.reject(418, "Not today, teapot").await.unwrap();
                }
            }
        });
        let err = listener::connect(
            &rig.endpoint("orders"),
            &rig.sas("hybridconnections/orders/authorizationrules/sender"),
            tls_connector(Some(&rig.cloud)).unwrap(),
            "",
            &[],
            &[],
        )
        .await
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("418") && err.contains("Not today, teapot"),
            "{err}"
        );
    });
}

#[test]
fn a_twenty_sixth_listener_is_refused() {
    let rig = Rig::new();
    rig.emu.block_on(async {
        let mut handles = Vec::new();
        for _ in 0..25 {
            let (h, mut events) = listener::spawn(
                rig.endpoint("orders"),
                rig.sas("hybridconnections/orders/authorizationrules/listen-only"),
                tls_connector(Some(&rig.cloud)).unwrap(),
            );
            assert!(matches!(events.recv().await, Some(ListenerEvent::Online)));
            handles.push((h, events));
        }
        let (_h, mut events) = listener::spawn(
            rig.endpoint("orders"),
            rig.sas("hybridconnections/orders/authorizationrules/listen-only"),
            tls_connector(Some(&rig.cloud)).unwrap(),
        );
        match events.recv().await {
            Some(ListenerEvent::Offline { reason, error }) => {
                assert!(
                    reason.contains("403") && reason.contains("25 listeners"),
                    "{reason}"
                );
                assert_eq!(error.and_then(|e| e.status()), Some(403));
            }
            other => panic!("{other:?}"),
        }
    });
}

#[test]
fn concurrent_http_requests_each_get_their_own_answer() {
    // A request and its body are written back to back on the control channel: interleaving two
    // requests' frames would hand one request the other's body, or lose it.
    let rig = Rig::new();
    rig.emu.block_on(async {
        let _l = rig
            .echo_listener(
                "orders",
                rig.sas("hybridconnections/orders/authorizationrules/listen-only"),
            )
            .await;
        let http = auth::http_client(&rig.cloud).unwrap();
        let sender = rig.sas("hybridconnections/orders/authorizationrules/sender");
        let tasks: Vec<_> = (0..300)
            .map(|i| {
                let (endpoint, sender, http) =
                    (rig.endpoint("orders"), sender.clone(), http.clone());
                tokio::spawn(async move {
                    let body = format!("request {i} {}", "y".repeat(i * 7 % 3000)).into_bytes();
                    let r = listener::http_request(
                        &endpoint,
                        &sender,
                        &http,
                        "POST",
                        &format!("/n/{i}"),
                        &[],
                        body.clone(),
                    )
                    .await
                    .unwrap();
                    assert_eq!(r.headers()["x-target"], format!("/orders/n/{i}"));
                    assert_eq!(r.bytes().await.unwrap().to_vec(), body, "request {i}");
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
}

/// A TCP proxy to `target` that can be frozen: bytes stop flowing both ways (nothing is
/// closed), as when a NAT or load balancer forgets a connection. It counts the chunks it carried
/// each way: [0] towards `target`, [1] back.
async fn freezable_proxy(
    target: String,
) -> (
    u16,
    Arc<std::sync::atomic::AtomicBool>,
    Arc<[std::sync::atomic::AtomicU64; 2]>,
) {
    use std::sync::atomic::{AtomicBool, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let frozen = Arc::new(AtomicBool::new(false));
    let carried: Arc<[std::sync::atomic::AtomicU64; 2]> = Arc::default();
    let counts = carried.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let flag = frozen.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = tokio::net::TcpStream::connect(&target).await else {
                continue;
            };
            let (cr, cw) = client.into_split();
            let (sr, sw) = server.into_split();
            for (way, mut from, mut to, frozen) in [
                (
                    0,
                    Box::new(cr) as Box<dyn tokio::io::AsyncRead + Unpin + Send>,
                    Box::new(sw) as Box<dyn tokio::io::AsyncWrite + Unpin + Send>,
                    flag.clone(),
                ),
                (1, Box::new(sr), Box::new(cw), flag.clone()),
            ] {
                let counts = counts.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 16 * 1024];
                    loop {
                        let n = match from.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => n,
                        };
                        while frozen.load(Ordering::SeqCst) {
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                        counts[way].fetch_add(1, Ordering::SeqCst);
                        if to.write_all(&buf[..n]).await.is_err() {
                            return;
                        }
                    }
                });
            }
        }
    });
    (port, frozen, carried)
}

#[test]
fn an_idle_listener_is_kept_alive_and_a_dead_channel_is_replaced() {
    use std::sync::atomic::Ordering;
    let rig = Rig::new();
    let direct = rig.endpoint("orders");
    rig.emu.block_on(async {
        let (port, frozen, carried) = freezable_proxy(format!("127.0.0.1:{}", direct.port)).await;
        let through_proxy = Endpoint::new(&format!("localhost:{port}"), "orders").unwrap();
        let (_handle, mut events) = listener::spawn_with_keep_alive(
            through_proxy,
            rig.sas("hybridconnections/orders/authorizationrules/listen-only"),
            tls_connector(Some(&rig.cloud)).unwrap(),
            Duration::from_millis(500),
        );
        assert!(matches!(events.recv().await, Some(ListenerEvent::Online)));
        // Idle for eight keep-alive intervals: pings are answered, nothing drops.
        let before = [0, 1].map(|w| carried[w].load(Ordering::SeqCst));
        let quiet = tokio::time::timeout(Duration::from_secs(4), events.recv()).await;
        assert!(quiet.is_err(), "an idle listener changed state: {quiet:?}");
        // Nothing else talks on an idle channel: what crossed the proxy were pings and pongs,
        // one each way per interval (a few lost to timing at the edges).
        let [pings, pongs] = [0, 1].map(|w| carried[w].load(Ordering::SeqCst) - before[w]);
        assert!(
            (5..=10).contains(&pings) && (5..=10).contains(&pongs),
            "{pings} pings and {pongs} pongs in eight keep-alive intervals"
        );
        // The path goes dead without a close: the listener notices and reconnects.
        frozen.store(true, Ordering::SeqCst);
        let event = tokio::time::timeout(Duration::from_secs(5), events.recv())
            .await
            .expect("the dead channel was noticed");
        let Some(ListenerEvent::Reconnecting { reason, .. }) = event else {
            panic!("expected reconnecting, got {event:?}");
        };
        assert!(reason.contains("keep-alive"), "{reason}");
        frozen.store(false, Ordering::SeqCst);
        let back = tokio::time::timeout(Duration::from_secs(10), events.recv()).await;
        assert!(
            matches!(back, Ok(Some(ListenerEvent::Online))),
            "not back online: {back:?}"
        );
    });
}
