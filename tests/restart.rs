//! A listener keeps serving across an emulator restart (a separate process, killed and started
//! again on the same state folder).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use relay_explorer::cloud::Cloud;
use relay_explorer::relay::client::{Endpoint, TokenSource, tls_connector};
use relay_explorer::relay::listener::{self, ListenerEvent};

/// An emulator process, killed when dropped (so a failing assert leaks no process).
struct Emulator(Child);

impl Emulator {
    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.kill();
    }
}

fn start(state: &Path) -> (Emulator, serde_json::Value) {
    let ready = state.join("ready.json");
    let _ = std::fs::remove_file(&ready);
    let mut child = Emulator(
        Command::new(env!("CARGO_BIN_EXE_relay-explorer"))
            .args(["emulator", "--state-dir"])
            .arg(state)
            .arg("--ready-file")
            .arg(&ready)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let started = Instant::now();
    while !ready.exists() {
        if started.elapsed() >= Duration::from_secs(30) {
            child.kill();
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the emulator did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(50));
    (
        child,
        serde_json::from_slice(&std::fs::read(&ready).unwrap()).unwrap(),
    )
}

#[test]
fn a_listener_is_back_online_soon_after_the_service_returns() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let (mut first, _) = start(&state);
    let (cloud, _) = Cloud::from_ready_file(&state.join("ready.json")).unwrap();
    let world: serde_json::Value =
        serde_json::from_slice(&std::fs::read(state.join("world.json")).unwrap()).unwrap();
    let ns = world["resources"]
        .as_object()
        .unwrap()
        .values()
        .find(|r| r["name"] == "northwind-relay" && r["type"] == "Microsoft.Relay/Namespaces")
        .unwrap();
    let endpoint = ns["properties"]["serviceBusEndpoint"]
        .as_str()
        .unwrap()
        .trim_start_matches("https://")
        .trim_end_matches('/')
        .to_string();
    let rule = world["resources"]
        .as_object()
        .unwrap()
        .values()
        .find(|r| {
            r["id"]
                .as_str()
                .unwrap()
                .ends_with("HybridConnections/orders/AuthorizationRules/listen-only")
        })
        .unwrap();
    let token = TokenSource::Sas {
        key_name: "listen-only".into(),
        key: rule["keys"]["primary"].as_str().unwrap().into(),
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let (_handle, mut events) = listener::spawn(
            Endpoint::new(&endpoint, "orders").unwrap(),
            token,
            tls_connector(Some(&cloud)).unwrap(),
        );
        assert!(matches!(events.recv().await, Some(ListenerEvent::Online)));
        first.kill();
        // The listener notices and starts reconnecting.
        match tokio::time::timeout(Duration::from_secs(10), events.recv()).await {
            Ok(Some(ListenerEvent::Reconnecting { .. })) => {}
            other => panic!("{other:?}"),
        }
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let (mut second, _) = tokio::task::spawn_blocking({
            let state = state.clone();
            move || start(&state)
        })
        .await
        .unwrap();
        let returned = Instant::now();
        let online = loop {
            match tokio::time::timeout(Duration::from_secs(40), events.recv()).await {
                Ok(Some(ListenerEvent::Online)) => break returned.elapsed(),
                Ok(Some(ListenerEvent::Reconnecting { .. })) => continue,
                other => panic!("{other:?}"),
            }
        };
        println!(
            "back online {:.2} s after the service returned",
            online.as_secs_f64()
        );
        assert!(
            online <= Duration::from_secs(2),
            "back online only after {online:?}"
        );
        second.kill();
    });
}
