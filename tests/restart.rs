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

/// The ready file's admin, signed in to ARM with its client secret: (ARM base URL, token, HTTP).
async fn admin(ready: &serde_json::Value) -> (String, String, reqwest::Client) {
    let pem = std::fs::read(ready["ca_cert"].as_str().unwrap()).unwrap();
    let http = reqwest::Client::builder()
        .tls_certs_merge(reqwest::Certificate::from_pem_bundle(&pem).unwrap())
        .build()
        .unwrap();
    let token: serde_json::Value = http
        .post(format!(
            "{}/{}/oauth2/v2.0/token",
            ready["authority_host"].as_str().unwrap(),
            ready["tenant_id"].as_str().unwrap()
        ))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", ready["admin"]["client_id"].as_str().unwrap()),
            (
                "client_secret",
                ready["admin"]["client_secret"].as_str().unwrap(),
            ),
            ("scope", "https://management.azure.com/.default"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        ready["resource_manager"]
            .as_str()
            .unwrap()
            .trim_end_matches('/')
            .to_string(),
        token["access_token"].as_str().unwrap().to_string(),
        http,
    )
}

#[test]
fn an_acknowledged_change_survives_a_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let (mut first, ready) = start(&state);
    let sub = ready["subscription_id"].as_str().unwrap().to_string();
    let ns = format!(
        "/subscriptions/{sub}/resourceGroups/rg-relay/providers/Microsoft.Relay/namespaces/northwind-relay"
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (arm, token, http) = runtime.block_on(admin(&ready));
    let api = "api-version=2024-01-01";
    // A security change, then kill -9 the moment it is acknowledged.
    let rule = format!("{ns}/hybridConnections/orders/authorizationRules/listen-only");
    let rotated: serde_json::Value = runtime.block_on(async {
        let r = http
            .post(format!("{arm}{rule}/regenerateKeys?{api}"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"keyType": "PrimaryKey"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    });
    first.kill();
    let (mut second, ready) = start(&state);
    let (arm, token, http) = runtime.block_on(admin(&ready));
    let keys: serde_json::Value = runtime.block_on(async {
        http.post(format!("{arm}{rule}/listKeys?{api}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    assert_eq!(
        keys["primaryKey"], rotated["primaryKey"],
        "the rotated-out key came back after a crash"
    );
    // A burst of creations, killed in the middle: every one that was answered is there.
    let acknowledged = runtime.block_on(async {
        let acked = std::sync::Arc::new(parking_lot::Mutex::new(Vec::<String>::new()));
        let tasks: Vec<_> = (0..8)
            .map(|worker| {
                let (arm, token, http, ns, acked) = (
                    arm.clone(),
                    token.clone(),
                    http.clone(),
                    ns.clone(),
                    acked.clone(),
                );
                tokio::spawn(async move {
                    for i in 0..200 {
                        let name = format!("crash-{worker}-{i}");
                        let sent = http
                            .put(format!("{arm}{ns}/hybridConnections/{name}?{api}"))
                            .bearer_auth(&token)
                            .json(&serde_json::json!({"properties": {}}))
                            .send()
                            .await;
                        match sent {
                            Ok(r) if r.status().is_success() => acked.lock().push(name),
                            _ => return,
                        }
                    }
                })
            })
            .collect();
        // Kill once some have been answered, while others are in flight.
        while acked.lock().len() < 40 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        second.kill();
        for t in tasks {
            let _ = t.await;
        }
        acked.lock().clone()
    });
    assert!(acknowledged.len() >= 40);
    let (_third, ready) = start(&state);
    let (arm, token, http) = runtime.block_on(admin(&ready));
    let listed: Vec<String> = runtime.block_on(async {
        let mut names = Vec::new();
        let mut url = format!("{arm}{ns}/hybridConnections?{api}");
        loop {
            let page: serde_json::Value = http
                .get(&url)
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            for v in page["value"].as_array().unwrap() {
                names.push(v["name"].as_str().unwrap().to_string());
            }
            match page["nextLink"].as_str() {
                Some(next) => url = next.to_string(),
                None => break names,
            }
        }
    });
    let lost: Vec<&String> = acknowledged
        .iter()
        .filter(|n| !listed.contains(n))
        .collect();
    println!(
        "{} creations acknowledged before kill -9, {} lost",
        acknowledged.len(),
        lost.len()
    );
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
}
