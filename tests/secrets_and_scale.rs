//! No secret leaks into files or logs; big trees come back whole through paging.

mod common;

use std::sync::Arc;

use common::*;
use relay_explorer::arm::tree::{Include, Scope};
use relay_explorer::arm::{ArmClient, DEFAULT_CONCURRENCY};
use relay_explorer::auth::{self, DeviceCodeCredential, SecretKind, SignIn, Vault};
use relay_explorer::cloud::Cloud;

#[test]
fn no_secret_key_or_token_reaches_a_file_or_a_log() {
    let emu = TestEmulator::start();
    let mut logs = String::new();
    // A client secret, with everything logged.
    let mut ls = emu.cli(&["ls", "--rules"]);
    emu.with_secret(&mut ls, "orders-backend");
    ls.env("RUST_LOG", "trace");
    let out = run(&mut ls);
    assert!(out.status.success(), "{}", stderr(&out));
    logs.push_str(&stderr(&out));
    // A device-code sign-in (its access token is the command's output, on stdout only).
    let carol = emu.principal("Carol Chen");
    let mut token = emu.cli(&[
        "token",
        "--scope",
        "https://management.azure.com/.default",
        "--auth",
        "device-code",
    ]);
    token
        .env("RUST_LOG", "trace")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = token.spawn().unwrap();
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("enter the code") {
        line.clear();
        assert!(std::io::BufRead::read_line(&mut err, &mut line).unwrap() > 0);
        logs.push_str(&line);
    }
    // Keep reading the child's log while it signs in: at trace level it writes more than a pipe
    // holds, and a child blocked on a full pipe never exits.
    let drained = std::thread::spawn(move || {
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
        rest
    });
    let words: Vec<&str> = line.split_whitespace().collect();
    let url = words[words.iter().position(|w| *w == "open").unwrap() + 1].to_string();
    let code = words[words.iter().position(|w| *w == "code").unwrap() + 1].to_string();
    emu.block_on(async {
        emu.http()
            .post(&url)
            .form(&[
                ("user_code", code.as_str()),
                ("username", carol.username.as_deref().unwrap()),
                ("password", carol.password.as_deref().unwrap()),
            ])
            .send()
            .await
            .unwrap()
    });
    let out = child.wait_with_output().unwrap();
    logs.push_str(&drained.join().unwrap());
    assert!(out.status.success(), "{logs}");
    let access_token = stdout(&out).trim().to_string();
    // A SAS key.
    let sas_key = "U2FzS2V5VGhhdE11c3ROZXZlckxlYWs9PUFCQ0RFRkc=";
    let mut sas = emu.cli(&["sas", "--entity", "orders", "--ttl", "5m"]);
    sas.env(
        "AZURE_RELAY_CONNECTION_STRING",
        format!("Endpoint=sb://localhost:1/;SharedAccessKeyName=sender;SharedAccessKey={sas_key}"),
    )
    .env("RUST_LOG", "trace");
    let out = run(&mut sas);
    assert!(out.status.success(), "{}", stderr(&out));
    logs.push_str(&stderr(&out));

    // The refresh token is in the OS keyring…
    let vault = Vault::open();
    let account = DeviceCodeCredential::account_key(
        &emu.ready.authority_host,
        &emu.ready.tenant_id,
        auth::AZURE_CLI_CLIENT_ID,
    );
    let refresh_token = vault
        .get(&account, SecretKind::RefreshToken)
        .unwrap()
        .expect("the sign-in is remembered in the keyring");
    vault.delete(&account, SecretKind::RefreshToken).unwrap();

    // …and none of these is in any file the run wrote — the CLI's home, config, data, state and
    // cache folders, the emulator's state folder, the ready file — except where it is meant to be:
    // the emulator's own world (its demo principals' secrets and passwords) and its ready file
    // (which hands them to tests and scripts). Tokens and SAS keys are meant to be nowhere.
    let emulator_own = ["emulator-state/world.json", "ready.json"];
    let secrets = [
        (
            "client secret",
            emu.principal("orders-backend")
                .client_secret
                .clone()
                .unwrap(),
            &emulator_own[..],
        ),
        (
            "user password",
            carol.password.clone().unwrap(),
            &emulator_own[..],
        ),
        ("refresh token", refresh_token, &[][..]),
        ("access token", access_token, &[][..]),
        ("SAS key", sas_key.to_string(), &[][..]),
    ];
    assert!(
        logs.contains("DEBUG") || logs.contains("debug"),
        "trace logging was on: {logs}"
    );
    let scanned = emu.dir.path();
    for (what, secret, allowed) in &secrets {
        assert!(secret.len() > 10, "{what}");
        let holding = files_holding(scanned, secret);
        let stray: Vec<&String> = holding
            .iter()
            .filter(|f| !allowed.contains(&f.as_str()))
            .collect();
        assert!(stray.is_empty(), "the {what} was written to {stray:?}");
        assert!(
            !logs.contains(secret.as_str()),
            "the {what} appeared in the logs"
        );
    }
    // The scan sees what it should: the emulator's demo secret where it belongs, and a secret
    // written on purpose into a cache folder.
    let demo_secret = &secrets[0].1;
    assert!(
        files_holding(scanned, demo_secret).contains(&"emulator-state/world.json".to_string()),
        "the scan did not look in the emulator's state folder"
    );
    let planted = emu.home().join(".cache/relay-explorer/planted.txt");
    std::fs::create_dir_all(planted.parent().unwrap()).unwrap();
    std::fs::write(&planted, format!("token={}", secrets[3].1)).unwrap();
    assert_eq!(
        files_holding(scanned, &secrets[3].1),
        vec!["home/.cache/relay-explorer/planted.txt".to_string()],
        "a planted secret is found"
    );
}

#[test]
fn a_hundred_namespaces_of_fifty_hybrid_connections_come_back_whole_through_small_pages() {
    let dir = tempfile::tempdir().unwrap();
    let world = dir.path().join("bulk-world.json");
    std::fs::write(
        &world,
        relay_explorer::emulator::seed::bulk_demo_world(100, 50),
    )
    .unwrap();
    let emu = TestEmulator::start_with(|o| {
        o.world_file = Some(world.clone());
        o.page_size = 7;
    });
    let (cloud, ready) = Cloud::from_ready_file(&emu.ready_file).unwrap();
    let nodes = emu.block_on(async {
        let http = auth::http_client(&cloud).unwrap();
        let sign_in = SignIn::client_secret(
            cloud.clone(),
            &ready.tenant_id,
            &emu.ready.admin.client_id,
            &emu.ready.admin.client_secret,
        );
        let credential =
            auth::credential(&sign_in, &http, Arc::new(Vault::in_memory("test")), None).unwrap();
        let client = ArmClient::new(&cloud, &http, credential, DEFAULT_CONCURRENCY);
        client
            .tree(
                &Scope::ResourceGroup {
                    subscription: ready.subscription_id.clone(),
                    group: "rg-bulk".into(),
                },
                Include::default(),
            )
            .await
            .unwrap()
    });
    let namespaces = nodes
        .iter()
        .filter(|n| n.type_name == "Microsoft.Relay/Namespaces")
        .count();
    let hcs: Vec<_> = nodes
        .iter()
        .filter(|n| n.type_name == "Microsoft.Relay/Namespaces/HybridConnections")
        .collect();
    assert_eq!(namespaces, 100);
    assert_eq!(hcs.len(), 5000);
    let mut ids: Vec<&str> = hcs.iter().map(|n| n.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 5000, "no duplicates");
    assert_eq!(
        hcs.iter()
            .filter(|n| n.requires_client_authorization == Some(false))
            .count(),
        100 * 17
    );
}
