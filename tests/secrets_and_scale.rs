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

/// A child process killed when dropped (a failed assertion never leaves it running).
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// What in `log` looks like a bearer credential: a JWT (`eyJ….eyJ….`), a SAS token's signature.
fn credentials_in(log: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (i, _) in log.match_indices("eyJ") {
        let jwt: String = log[i..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .collect();
        if jwt.matches('.').count() >= 2 && jwt.len() > 40 {
            found.push(format!("a JWT: {}…", &jwt[..20]));
        }
    }
    for needle in ["sig=", "sig%3D", "SharedAccessSignature sr"] {
        if let Some(i) = log.find(needle) {
            found.push(format!(
                "a SAS signature: …{}…",
                &log[i.saturating_sub(20)..i + 4]
            ));
        }
    }
    found
}

#[test]
fn a_trace_log_of_listen_and_send_holds_no_token() {
    // At RUST_LOG=trace a WebSocket library logs its handshake (the token in the URL or the
    // ServiceBusAuthorization header) and every frame (a renewed token): those are filtered.
    let rig = common::rig::Rig::new();
    rig.assign(
        &rig.emu.principal("orders-backend").object_id,
        &rig.namespace,
        relay_explorer::access::builtin::RELAY_OWNER,
    );
    let sas = rig.keys("namespaces/northwind-relay/authorizationrules/rootmanagesharedaccesskey");
    let host = sas.namespace_host();
    let relay_explorer::relay::protocol::connection_string::Credential::Key { name, key } =
        &sas.credential
    else {
        panic!("a key rule")
    };
    let connection_string = format!(
        "Endpoint={};SharedAccessKeyName={name};SharedAccessKey={key};EntityPath=orders",
        sas.endpoint
    );
    let mut logs = String::new();
    for by_sas in [false, true] {
        let credential = |cmd: &mut std::process::Command| {
            if by_sas {
                cmd.arg("--connection-string").arg(&connection_string);
            } else {
                cmd.args(["--namespace", &host, "--entity", "orders"]);
                rig.emu.with_secret(cmd, "orders-backend");
            }
            cmd.env("RUST_LOG", "trace");
        };
        let mut listen = rig.emu.cli(&["listen", "--echo"]);
        credential(&mut listen);
        listen
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = Killed(listen.spawn().unwrap());
        let mut err = child.0.stderr.take().unwrap();
        let drained = std::thread::spawn(move || {
            let mut all = String::new();
            let _ = std::io::Read::read_to_string(&mut err, &mut all);
            all
        });
        let mut out = std::io::BufReader::new(child.0.stdout.take().unwrap());
        let mut line = String::new();
        while !line.contains("online") {
            line.clear();
            if std::io::BufRead::read_line(&mut out, &mut line).unwrap() == 0 {
                drop(child);
                let log = drained.join().unwrap();
                panic!(
                    "the listener did not come online: {}",
                    &log[log.len().saturating_sub(2000)..]
                );
            }
        }
        let mut send = rig.emu.cli(&["send", "--message", "hello"]);
        credential(&mut send);
        let sent = run(&mut send);
        assert!(sent.status.success(), "{}", stderr(&sent));
        assert_eq!(stdout(&sent).trim(), "hello");
        logs.push_str(&stderr(&sent));
        drop(child);
        logs.push_str(&drained.join().unwrap());
    }
    assert!(logs.contains("TRACE"), "trace logging was on");
    assert!(logs.contains("tungstenite"), "the WebSocket library logged");
    let found = credentials_in(&logs);
    assert!(found.is_empty(), "credentials in the trace logs: {found:?}");
    // The scan finds what it looks for.
    assert_eq!(
        credentials_in(
            "Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXZhbHVl"
        )
        .len(),
        1
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
        .filter(|n| {
            n.type_name
                .eq_ignore_ascii_case("Microsoft.Relay/Namespaces/HybridConnections")
        })
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
