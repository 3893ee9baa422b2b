//! Sign in and browse, as a user of the CLI would: every credential kind against the emulator.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

#[test]
fn ls_json_lists_the_tree_with_entity_details() {
    let emu = TestEmulator::start();
    let mut cmd = emu.cli(&["ls", "--json"]);
    emu.with_secret(&mut cmd, "relay-explorer-bootstrap-admin");
    let out = run(&mut cmd);
    assert!(out.status.success(), "{}", stderr(&out));
    let nodes: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    let orders = nodes
        .iter()
        .find(|n| n["name"] == "orders")
        .expect("orders is listed");
    // As Azure spells it (the Azure SDK team's recordings).
    assert_eq!(
        orders["type"],
        "Microsoft.Relay/namespaces/hybridconnections"
    );
    assert_eq!(orders["requires_client_authorization"], true);
    assert_eq!(orders["listener_count"], 0);
    assert!(
        orders["id"]
            .as_str()
            .unwrap()
            .ends_with("/namespaces/northwind-relay/HybridConnections/orders")
    );
    let public = nodes.iter().find(|n| n["name"] == "public-feed").unwrap();
    assert_eq!(public["requires_client_authorization"], false);
    for n in &nodes {
        assert!(
            n["id"].is_string() && n["type"].is_string() && n["name"].is_string(),
            "{n}"
        );
    }
    assert!(
        nodes
            .iter()
            .any(|n| n["type"] == "Microsoft.Relay/namespaces/wcfrelays")
    );
    assert_eq!(nodes[0]["type"], "Microsoft.Resources/subscriptions");
}

#[test]
fn ls_of_a_namespace_with_rules_and_role_assignments() {
    let emu = TestEmulator::start();
    let ns = format!(
        "/subscriptions/{}/resourceGroups/rg-relay/providers/Microsoft.Relay/namespaces/northwind-relay",
        emu.ready.subscription_id
    );
    let mut cmd = emu.cli(&["ls", &ns, "--rules", "--role-assignments"]);
    emu.with_secret(&mut cmd, "relay-explorer-bootstrap-admin");
    let out = run(&mut cmd);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("northwind-relay (namespace)"), "{text}");
    assert!(text.contains("listen-only (SAS rule)  [Listen]"), "{text}");
    assert!(text.contains("(role assignment)"), "{text}");
    // Principals are named through Graph.
    assert!(
        text.contains("Group Order Senders → Azure Relay Sender"),
        "{text}"
    );
    assert!(text.contains("inherited from /subscriptions/"), "{text}");
    assert!(!text.contains("northwind-relay-test"), "{text}");
}

#[test]
fn managed_identity_system_and_user_assigned() {
    let emu = TestEmulator::start();
    let decode = |extra: &[&str]| {
        let mut args = vec![
            "token",
            "--scope",
            "https://management.azure.com/.default",
            "--decode",
            "--auth",
            "managed-identity",
        ];
        args.extend(extra);
        let mut cmd = emu.cli(&args);
        cmd.env("IDENTITY_ENDPOINT", &emu.ready.managed_identity.endpoint)
            .env("IDENTITY_HEADER", &emu.ready.managed_identity.header);
        let out = run(&mut cmd);
        assert!(out.status.success(), "{}", stderr(&out));
        serde_json::from_str::<Value>(&stdout(&out)).unwrap()
    };
    assert_eq!(
        decode(&[])["oid"],
        emu.ready.managed_identity.object_id.as_str()
    );
    let uami = emu.principal("id-orders-sender");
    assert_eq!(
        decode(&["--client-id", uami.client_id.as_deref().unwrap()])["oid"],
        uami.object_id.as_str()
    );
    assert_eq!(
        decode(&["--managed-identity-object-id", &uami.object_id])["oid"],
        uami.object_id.as_str()
    );
}

fn device_code_run(emu: &TestEmulator, user: &str, expect_prompt: bool) -> (String, String) {
    let mut cmd = emu.cli(&[
        "token",
        "--scope",
        "https://management.azure.com/.default",
        "--decode",
        "--auth",
        "device-code",
    ]);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    if expect_prompt {
        let mut line = String::new();
        let started = Instant::now();
        while !line.contains("enter the code") {
            line.clear();
            assert!(
                err.read_line(&mut line).unwrap() > 0,
                "the CLI ended without a prompt: {seen}"
            );
            seen.push_str(&line);
            assert!(started.elapsed() < Duration::from_secs(30));
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let url = words[words.iter().position(|w| *w == "open").unwrap() + 1];
        let code = words[words.iter().position(|w| *w == "code").unwrap() + 1];
        let p = emu.principal(user);
        let status = emu.block_on(async {
            emu.http()
                .post(url)
                .form(&[
                    ("user_code", code),
                    ("username", p.username.as_deref().unwrap()),
                    ("password", p.password.as_deref().unwrap()),
                ])
                .send()
                .await
                .unwrap()
                .status()
        });
        assert_eq!(status, 200);
    }
    let out = child.wait_with_output().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
    seen.push_str(&rest);
    assert!(out.status.success(), "{seen}");
    (stdout(&out), seen)
}

#[test]
fn device_code_sign_in_then_a_second_start_refreshes_without_signing_in() {
    let emu = TestEmulator::start();
    let (first, _) = device_code_run(&emu, "Alice Ahmed", true);
    let claims: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(claims["upn"], "alice@northwind.example");
    let (second, stderr_text) = device_code_run(&emu, "Alice Ahmed", false);
    assert!(!stderr_text.contains("To sign in"), "{stderr_text}");
    assert_eq!(
        serde_json::from_str::<Value>(&second).unwrap()["oid"],
        claims["oid"]
    );
}

#[test]
fn a_revoked_sign_in_is_a_one_line_error_and_is_forgotten() {
    let emu = TestEmulator::start();
    device_code_run(&emu, "Bob Bauer", true);
    let vault = relay_explorer::auth::Vault::open();
    let account = relay_explorer::auth::DeviceCodeCredential::account_key(
        &emu.ready.authority_host,
        &emu.ready.tenant_id,
        relay_explorer::auth::AZURE_CLI_CLIENT_ID,
    );
    let kept = || {
        vault
            .get(&account, relay_explorer::auth::SecretKind::RefreshToken)
            .unwrap()
    };
    assert!(kept().is_some(), "the sign-in is kept in the keyring");
    // The tenant forgets every refresh token (as when an admin revokes sessions).
    {
        let shared = emu_shared(&emu);
        let mut world = shared.world.lock();
        assert!(!world.refresh_tokens.is_empty(), "the sign-in has a grant");
        world.refresh_tokens.clear();
    }
    let mut cmd = emu.cli(&[
        "token",
        "--scope",
        "https://management.azure.com/.default",
        "--auth",
        "device-code",
    ]);
    let out = run(&mut cmd);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("run the command again to sign in"), "{err}");
    assert_eq!(kept(), None, "the revoked sign-in was forgotten");
}

fn emu_shared(emu: &TestEmulator) -> std::sync::Arc<relay_explorer::emulator::Shared> {
    emu.shared()
}

#[test]
fn bad_input_gets_one_line_errors() {
    let emu = TestEmulator::start();
    let one_line = |mut cmd: std::process::Command, needle: &str| {
        let out = run(&mut cmd);
        assert!(!out.status.success(), "should fail: {needle}");
        let err = stderr(&out);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{err}");
        assert!(stdout(&out).is_empty());
    };
    let mut unknown = emu.cli(&[
        "ls",
        "--subscription",
        "00000000-0000-0000-0000-000000000000",
    ]);
    emu.with_secret(&mut unknown, "relay-explorer-bootstrap-admin");
    one_line(unknown, "could not be found");
    let mut forbidden = emu.cli(&["ls"]);
    emu.with_secret(&mut forbidden, "reporting-no-role");
    forbidden
        .arg("--subscription")
        .arg(&emu.ready.subscription_id);
    one_line(
        forbidden,
        "does not have authorization to perform action 'Microsoft.Resources/subscriptions/read'",
    );
    let mut forbidden_again = emu.cli(&["ls", "--subscription", &emu.ready.subscription_id]);
    emu.with_secret(&mut forbidden_again, "reporting-no-role");
    one_line(
        forbidden_again,
        "is granted by the built-in role 'Reader'; assign it on /subscriptions/",
    );
    let mut revoked = emu.cli(&["ls"]);
    emu.with_secret(&mut revoked, "orders-backend");
    revoked.env("AZURE_CLIENT_SECRET", "an-old-secret");
    one_line(revoked, "AADSTS7000215");
    let mut bad_scope = emu.cli(&[
        "ls",
        "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/s",
    ]);
    emu.with_secret(&mut bad_scope, "relay-explorer-bootstrap-admin");
    one_line(bad_scope, "is not a scope to list");
    let mut cs = emu.cli(&[
        "sas",
        "--connection-string",
        "Endpoint=sb://x/;SharedAccessKeyName=k",
    ]);
    cs.arg("--entity").arg("e");
    one_line(cs, "SharedAccessKeyName is given without SharedAccessKey");
}

#[test]
fn entities_rules_and_keys_are_managed_through_the_client() {
    use relay_explorer::arm::relay::KeyKind;
    use relay_explorer::arm::{ArmClient, DEFAULT_CONCURRENCY};
    use relay_explorer::auth::{self, SignIn, Vault};
    use relay_explorer::cloud::Cloud;
    let emu = TestEmulator::start();
    let (cloud, ready) = Cloud::from_ready_file(&emu.ready_file).unwrap();
    emu.block_on(async {
        let http = auth::http_client(&cloud).unwrap();
        let sign_in = SignIn::client_secret(cloud.clone(), &ready.tenant_id, &emu.ready.admin.client_id, &emu.ready.admin.client_secret);
        let credential = auth::credential(&sign_in, &http, std::sync::Arc::new(Vault::in_memory("test")), None).unwrap();
        let arm = ArmClient::new(&cloud, &http, credential, DEFAULT_CONCURRENCY);
        let ns = format!("/subscriptions/{}/resourceGroups/rg-relay-test/providers/Microsoft.Relay/namespaces/northwind-relay-test", ready.subscription_id);
        let hc = arm.put_hybrid_connection(&ns, "made-by-client", false, Some("hello")).await.unwrap();
        assert_eq!(hc.requires_client_authorization, Some(false));
        assert_eq!(hc.user_metadata.as_deref(), Some("hello"));
        let wcf = arm.put_wcf_relay(&ns, "wcf-made", "Http", true).await.unwrap();
        assert_eq!(wcf.relay_type.as_deref(), Some("Http"));
        let rule = arm.put_rule(&hc.id, "sender", &["Send"]).await.unwrap();
        assert_eq!(rule.rights, Some(vec!["Send".to_string()]));
        let keys = arm.list_keys(&rule.id).await.unwrap();
        assert!(keys.primary_connection_string.ends_with(";EntityPath=made-by-client"));
        assert!(!format!("{keys:?}").contains(&keys.primary_key));
        let rotated = arm.regenerate_key(&rule.id, KeyKind::Secondary).await.unwrap();
        assert_eq!(rotated.primary_key, keys.primary_key);
        assert_ne!(rotated.secondary_key, keys.secondary_key);
        let bad = arm.put_rule(&hc.id, "bad", &["Manage"]).await.unwrap_err();
        assert_eq!(bad.status(), Some(400));
        arm.delete(&hc.id).await.unwrap();
        arm.delete(&wcf.id).await.unwrap();
        let err = arm.list_keys(&rule.id).await.unwrap_err();
        assert_eq!(err.status(), Some(404));
        let definitions = arm.role_definitions(&format!("/subscriptions/{}", ready.subscription_id)).await.unwrap();
        assert!(definitions.iter().any(|d| d["properties"]["roleName"] == "Azure Relay Listener"));
        let denies = arm.deny_assignments(&format!("/subscriptions/{}", ready.subscription_id)).await.unwrap();
        assert_eq!(denies.len(), 1);
        let identities = arm.user_assigned_identities(&ready.subscription_id).await.unwrap();
        assert_eq!(identities[0]["name"], "id-orders-sender");
        let signalr = arm.signalr_resources(&ready.subscription_id).await.unwrap();
        assert_eq!(signalr[0]["identity"]["type"], "SystemAssigned");
    });
}

/// `send` and `listen` with a device-code sign-in kept from an earlier run say whose it is
/// (the keyring may hold another person's sign-in than the user thinks).
#[test]
fn send_and_listen_say_which_kept_sign_in_they_use() {
    let emu = TestEmulator::start();
    device_code_run(&emu, "Alice Ahmed", true);
    let namespace = emu.namespace_host("northwind-relay");
    let said = "as Alice Ahmed (alice@northwind.example), a device-code sign-in kept in";
    let mut cmd = emu.cli(&[
        "send",
        "--namespace",
        &namespace,
        "--entity",
        "no-such-entity",
        "--message",
        "hi",
        "--auth",
        "device-code",
    ]);
    let out = run(&mut cmd);
    let err = stderr(&out);
    assert!(err.contains(said), "send: {err}");
    assert!(!err.contains("To sign in"), "send: {err}");
    // A listener runs until stopped: its first line says it, then it is stopped.
    let mut cmd = emu.cli(&[
        "listen",
        "--namespace",
        &namespace,
        "--entity",
        "orders",
        "--auth",
        "device-code",
    ]);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = Kill(cmd.spawn().unwrap());
    let mut err = BufReader::new(child.0.stderr.take().unwrap());
    let (mut line, started) = (String::new(), Instant::now());
    while !line.contains(said) {
        line.clear();
        assert!(
            err.read_line(&mut line).unwrap() > 0,
            "listen ended: {line}"
        );
        assert!(!line.contains("To sign in"), "listen: {line}");
        assert!(started.elapsed() < Duration::from_secs(30));
    }
}
