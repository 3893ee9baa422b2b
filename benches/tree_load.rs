//! Loading a tree of 100 namespaces × 50 hybrid connections with its role assignments from the
//! emulator: Relay Explorer's client against a serial walk with the official Python SDKs, in the
//! same run. Prints figures; asserts nothing about time.
//!
//! Run: `cargo bench --bench tree_load` (the Python peer needs `.venv`, made by `scripts/test`).

use std::sync::Arc;
use std::time::Instant;

use relay_explorer::arm::tree::{Include, Scope};
use relay_explorer::arm::{ArmClient, DEFAULT_CONCURRENCY};
use relay_explorer::auth::{self, SignIn, Vault};
use relay_explorer::cloud::Cloud;
use relay_explorer::emulator::{self, Options, seed};

const NAMESPACES: usize = 100;
const PER_NAMESPACE: usize = 50;
const RUNS: usize = 5;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let world = dir.path().join("bulk-world.json");
    std::fs::write(&world, seed::bulk_demo_world(NAMESPACES, PER_NAMESPACE))
        .expect("the world file");
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let mut options = Options::new(dir.path().join("state"));
    options.world_file = Some(world);
    let running = runtime
        .block_on(emulator::start(options))
        .expect("the emulator starts");
    let ready_file = dir.path().join("ready.json");
    std::fs::write(
        &ready_file,
        serde_json::to_vec(&running.ready).expect("json"),
    )
    .expect("ready file");
    let (cloud, ready) = Cloud::from_ready_file(&ready_file).expect("ready file");

    let ours: Vec<f64> = runtime.block_on(async {
        let http = auth::http_client(&cloud).expect("http");
        let sign_in = SignIn::client_secret(
            cloud.clone(),
            &ready.tenant_id,
            &running.ready.admin.client_id,
            &running.ready.admin.client_secret,
        );
        let credential =
            auth::credential(&sign_in, &http, Arc::new(Vault::in_memory("bench")), None)
                .expect("credential");
        credential
            .get_token(&[cloud.arm_scope.as_str()], None)
            .await
            .expect("a token");
        if let Ok(c) = std::env::var("TREE_LOAD_CONCURRENCY") {
            for n in c.split(',').filter_map(|x| x.parse::<usize>().ok()) {
                let client = ArmClient::new(&cloud, &http, credential.clone(), n);
                let scope = Scope::ResourceGroup {
                    subscription: ready.subscription_id.clone(),
                    group: "rg-bulk".into(),
                };
                let start = Instant::now();
                client
                    .tree(
                        &scope,
                        Include {
                            rules: false,
                            role_assignments: true,
                        },
                    )
                    .await
                    .expect("the tree");
                println!("concurrency {n}: {:.3} s", start.elapsed().as_secs_f64());
            }
        }
        let client = ArmClient::new(&cloud, &http, credential, DEFAULT_CONCURRENCY);
        let scope = Scope::ResourceGroup {
            subscription: ready.subscription_id.clone(),
            group: "rg-bulk".into(),
        };
        let mut times = Vec::new();
        for _ in 0..RUNS {
            let start = Instant::now();
            let nodes = client
                .tree(
                    &scope,
                    Include {
                        rules: false,
                        role_assignments: true,
                    },
                )
                .await
                .expect("the tree");
            times.push(start.elapsed().as_secs_f64());
            assert!(nodes.len() > NAMESPACES * PER_NAMESPACE);
        }
        times
    });
    let ours = median(ours);

    let python = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/serial_walk.py");
    let peer = if python.exists() {
        let out = std::process::Command::new(&python)
            .arg(&script)
            .arg(&ready_file)
            .arg("rg-bulk")
            .output()
            .expect("python runs");
        let line = String::from_utf8_lossy(&out.stdout).to_string();
        serde_json::from_str::<serde_json::Value>(line.trim())
            .ok()
            .and_then(|v| v["seconds"].as_f64())
    } else {
        None
    };

    println!(
        "tree load: {NAMESPACES} namespaces x {PER_NAMESPACE} hybrid connections + role assignments (emulator on loopback)"
    );
    println!("| client | seconds (median of {RUNS} for ours, 1 run for the peer) |");
    println!("|---|---|");
    println!("| relay-explorer ArmClient::tree (concurrency {DEFAULT_CONCURRENCY}) | {ours:.3} |");
    match peer {
        Some(p) => {
            println!("| azure-mgmt-relay serial walk (Python) | {p:.3} |");
            println!("ours / peer = {:.3} (goal: <= 0.1)", ours / p);
        }
        None => println!(
            "| azure-mgmt-relay serial walk (Python) | not run: .venv missing (run scripts/test once) |"
        ),
    }
    runtime.block_on(running.shutdown()).expect("shutdown");
}
