//! Access explained end to end: scenarios built in the emulator, the CLI's verdict and proof,
//! and the data plane agreeing.

mod common;

use std::sync::Arc;

use common::*;
use relay_explorer::auth::{self, SignIn, Vault};
use relay_explorer::cloud::Cloud;
use relay_explorer::relay::client::{Endpoint, TokenSource, tls_connector};
use relay_explorer::relay::listener::{self, ListenerEvent};
use serde_json::Value;

fn verdict(emu: &TestEmulator, principal: &str, entity: &str, action: &str) -> (Value, String) {
    let mut cmd = emu.cli(&[
        "access",
        "--principal",
        principal,
        "--entity",
        entity,
        "--action",
        action,
        "--json",
    ]);
    emu.with_secret(&mut cmd, "relay-explorer-bootstrap-admin");
    let out = run(&mut cmd);
    assert!(out.status.success(), "{}", stderr(&out));
    (serde_json::from_str(&stdout(&out)).unwrap(), stderr(&out))
}

/// Can `app` really send to `entity` through the emulator's data plane?
fn really_sends(emu: &TestEmulator, app: &str, entity: &str) -> Result<(), String> {
    let (cloud, _) = Cloud::from_ready_file(&emu.ready_file).unwrap();
    let shared = emu.shared();
    let host = emu.namespace_host("northwind-relay");
    let listen_key = {
        let world = shared.world.lock();
        let root = world
            .resources
            .values()
            .find(|r| {
                r.id.ends_with(
                    "namespaces/northwind-relay/AuthorizationRules/RootManageSharedAccessKey",
                )
            })
            .unwrap();
        root.keys.clone().unwrap().primary
    };
    let p = emu.principal(app);
    emu.block_on(async {
        let connector = tls_connector(Some(&cloud)).unwrap();
        let endpoint = Endpoint::new(&host, entity).unwrap();
        let (handle, mut events) = listener::spawn(
            endpoint.clone(),
            TokenSource::Sas {
                key_name: "RootManageSharedAccessKey".into(),
                key: listen_key,
            },
            connector.clone(),
        );
        assert!(matches!(events.recv().await, Some(ListenerEvent::Online)));
        tokio::spawn(async move {
            while let Some(e) = events.recv().await {
                if let ListenerEvent::Connection(c) = e {
                    let _ = c.accept().await;
                }
            }
        });
        let http = auth::http_client(&cloud).unwrap();
        let sign_in = SignIn::client_secret(
            cloud.clone(),
            &emu.ready.tenant_id,
            p.client_id.as_deref().unwrap(),
            p.client_secret.as_deref().unwrap(),
        );
        let credential =
            auth::credential(&sign_in, &http, Arc::new(Vault::in_memory("test")), None).unwrap();
        let token = TokenSource::Entra {
            credential,
            scope: "https://relay.azure.net/.default".into(),
        };
        let result = listener::connect(&endpoint, &token, connector, "", &[], &[])
            .await
            .map(|_| ())
            .map_err(|e| e.to_string());
        handle.stop();
        result
    })
}

#[test]
fn scenarios_give_the_right_verdict_and_proof_and_the_data_plane_agrees() {
    let emu = TestEmulator::start();
    let ns = format!(
        "/subscriptions/{}/resourceGroups/rg-relay/providers/Microsoft.Relay/namespaces/northwind-relay",
        emu.ready.subscription_id
    );
    let orders = format!("{ns}/hybridConnections/orders");
    let inventory = format!("{ns}/hybridConnections/inventory");
    let app = emu.principal("reporting-no-role").clone();
    let client_id = app.client_id.clone().unwrap();

    // 1. No role at all: refused, with the hint; a client id is resolved with a warning.
    let (v, warning) = verdict(&emu, &client_id, &orders, "send");
    assert!(
        warning.contains("is the client (application) id"),
        "{warning}"
    );
    assert_eq!(v["allowed"], false);
    assert!(
        v["grants"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["kind"] == "sas")
    );
    assert!(
        really_sends(&emu, "reporting-no-role", "orders")
            .unwrap_err()
            .contains("403")
    );

    // 2. Put the app into Platform Team, which is nested in Engineering, Azure Relay Owner on the
    //    resource group: allowed through the nested group, inherited from the resource group.
    let platform = emu.principal("Platform Team").object_id.clone();
    let engineering = emu.principal("Engineering").object_id.clone();
    emu.shared()
        .world
        .lock()
        .groups
        .iter_mut()
        .find(|g| g.object_id == platform)
        .unwrap()
        .members
        .push(app.object_id.clone());
    let (v, _) = verdict(&emu, &app.object_id, &orders, "send");
    assert_eq!(v["allowed"], true, "{v}");
    let role = v["grants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["kind"] == "role")
        .unwrap();
    assert_eq!(role["role_name"], "Azure Relay Owner");
    assert_eq!(role["via_group"], engineering.as_str());
    assert_eq!(
        role["group_chain"],
        serde_json::json!([platform.as_str(), engineering.as_str()])
    );
    assert_eq!(
        role["scope"],
        format!(
            "/subscriptions/{}/resourceGroups/rg-relay",
            emu.ready.subscription_id
        )
    );
    assert_eq!(role["matched"], "Microsoft.Relay/*");
    really_sends(&emu, "reporting-no-role", "orders").unwrap();

    // 3. The deny assignment on inventory wins over the grant, in the verdict and on the wire.
    let (v, _) = verdict(&emu, &app.object_id, &inventory, "send");
    assert_eq!(v["allowed"], false);
    assert_eq!(v["blocked_by"][0]["kind"], "deny");
    assert_eq!(v["blocked_by"][0]["name"], "Freeze inventory sends");
    assert!(
        really_sends(&emu, "reporting-no-role", "inventory")
            .unwrap_err()
            .contains("deny assignment")
    );

    // 4. The custom role's NotDataActions take send away from that role only: another role
    //    that grants it still does (NotActions are not a deny).
    let custom = "5e0d8c2a-7f4b-4c1d-9e6a-2b3c4d5e6f70";
    emu.shared()
        .world
        .lock()
        .role_assignments
        .push(relay_explorer::access::RoleAssignment {
            name: uuid::Uuid::new_v4().to_string(),
            scope: ns.clone(),
            role_definition_id: custom.into(),
            principal_id: app.object_id.clone(),
            principal_type: relay_explorer::access::PrincipalType::ServicePrincipal,
            description: None,
            condition: None,
            condition_version: None,
            created_on: None,
            updated_on: None,
            created_by: None,
        });
    let (v, _) = verdict(&emu, &app.object_id, &orders, "send");
    assert_eq!(v["allowed"], true);
    assert!(
        v["blocked_by"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["kind"] == "not_actions"
                && b["excluded_by"] == "Microsoft.Relay/*/send/action")
    );

    // 5. Out of the group again: only the custom role remains, and it cannot send.
    emu.shared()
        .world
        .lock()
        .groups
        .iter_mut()
        .find(|g| g.object_id == platform)
        .unwrap()
        .members
        .retain(|m| m != &app.object_id);
    let (v, _) = verdict(&emu, &app.object_id, &orders, "send");
    assert_eq!(v["allowed"], false);
    assert!(
        really_sends(&emu, "reporting-no-role", "orders")
            .unwrap_err()
            .contains("403")
    );
    let (v, _) = verdict(&emu, &app.object_id, &orders, "listen");
    assert_eq!(v["allowed"], true);
}

#[test]
fn the_who_can_matrix_lists_principals_sas_rules_and_anyone() {
    let emu = TestEmulator::start();
    let feed = format!(
        "/subscriptions/{}/resourceGroups/rg-relay/providers/Microsoft.Relay/namespaces/northwind-relay/hybridConnections/public-feed",
        emu.ready.subscription_id
    );
    let mut cmd = emu.cli(&["access", "--entity", &feed, "--who", "--json"]);
    emu.with_secret(&mut cmd, "relay-explorer-bootstrap-admin");
    let out = run(&mut cmd);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    let row = |p: &str| {
        rows.iter()
            .find(|r| r["principal"] == p)
            .unwrap_or_else(|| panic!("no row {p}"))
    };
    let senders = emu.principal("Order Senders").object_id.clone();
    assert_eq!(row(&senders)["kind"], "group");
    assert_eq!(row(&senders)["send"]["allowed"], true);
    assert_eq!(row(&senders)["listen"]["allowed"], false);
    assert_eq!(row(&senders)["send"]["grants"][0]["via_group"], Value::Null);
    assert_eq!(row("RootManageSharedAccessKey")["manage"]["allowed"], true);
    assert_eq!(
        row("*")["send"]["allowed"],
        true,
        "public-feed accepts anonymous senders"
    );
    assert_eq!(row("*")["listen"]["allowed"], false);
    let mi = emu.principal("vm-orders-worker").object_id.clone();
    assert!(
        rows.iter().all(|r| r["principal"] != mi.as_str()),
        "an assignment on another entity does not reach this one"
    );
}

#[test]
fn a_just_made_assignment_is_flagged_as_maybe_propagating() {
    let emu = TestEmulator::start();
    let echo = format!(
        "/subscriptions/{}/resourceGroups/rg-relay-test/providers/Microsoft.Relay/namespaces/northwind-relay-test/hybridConnections/echo",
        emu.ready.subscription_id
    );
    // Beside the fresh grant on the entity, an older one reaches it from the namespace.
    {
        let shared = emu.shared();
        let mut world = shared.world.lock();
        let mut older = world
            .role_assignments
            .iter()
            .find(|a| a.scope.ends_with("/echo"))
            .expect("the demo world's fresh assignment on echo")
            .clone();
        older.name = "0f1e2d3c-4b5a-4968-8776-0000000000f1".into();
        older.scope = older.scope[..older.scope.find("/HybridConnections/").unwrap()].into();
        older.created_on = Some("2024-01-01T00:00:00.000000Z".into());
        older.updated_on = older.created_on.clone();
        world.role_assignments.push(older);
    }
    let (v, _) = verdict(&emu, "carol@northwind.example", &echo, "listen");
    assert_eq!(v["allowed"], true);
    let direct = v["grants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["kind"] == "role" && g["scope"].as_str().unwrap().ends_with("/echo"))
        .unwrap();
    assert_eq!(direct["may_be_propagating"], true);
    let older = v["grants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["kind"] == "role" && !g["scope"].as_str().unwrap().ends_with("/echo"))
        .expect("the older grant from the namespace is part of the proof");
    assert_eq!(older["may_be_propagating"], false);
}

#[test]
fn signalr_verdicts_use_the_same_evaluator() {
    let emu = TestEmulator::start();
    let signalr = format!(
        "/subscriptions/{}/resourceGroups/rg-apps/providers/Microsoft.SignalRService/SignalR/northwind-signalr",
        emu.ready.subscription_id
    );
    let backend = emu.principal("orders-backend").object_id.clone();
    let (v, _) = verdict(
        &emu,
        &backend,
        &signalr,
        "Microsoft.SignalRService/SignalR/serverConnection/write",
    );
    assert_eq!(v["allowed"], true, "{v}");
    assert_eq!(v["data_action"], true);
    assert_eq!(v["grants"][0]["role_name"], "SignalR App Server");
    assert_eq!(v["grants"][0]["scope_level"], "entity");
    let (v, _) = verdict(
        &emu,
        &backend,
        &signalr,
        "Microsoft.SignalRService/SignalR/hub/send/action",
    );
    assert_eq!(v["allowed"], false);
}

#[test]
fn a_principal_is_found_by_its_display_name_and_an_ambiguous_one_is_listed() {
    let emu = TestEmulator::start();
    let orders = format!(
        "/subscriptions/{}/resourceGroups/rg-relay/providers/Microsoft.Relay/namespaces/northwind-relay/hybridConnections/orders",
        emu.ready.subscription_id
    );
    let carol = emu.principal("Carol Chen").object_id.clone();
    let access = |who: &str| {
        let mut cmd = emu.cli(&[
            "access",
            "--principal",
            who,
            "--entity",
            &orders,
            "--action",
            "send",
        ]);
        emu.with_secret(&mut cmd, "relay-explorer-bootstrap-admin");
        run(&mut cmd)
    };
    // As the tables show it (Graph compares display names ignoring case): the verdict names
    // the principal as the directory knows it.
    let out = access("carol chen");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with(&format!("ALLOWED: Carol Chen ({carol}) may send")),
        "{}",
        stdout(&out)
    );
    let out = access("Nobody At All");
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("no user, group or service principal is named 'Nobody At All'"),
        "{}",
        stderr(&out)
    );
    // A second principal with the same name: both are listed, and nothing is checked.
    let twin = uuid::Uuid::new_v4().to_string();
    emu.shared()
        .world
        .lock()
        .groups
        .push(relay_explorer::emulator::world::Group {
            object_id: twin.clone(),
            display_name: "Carol Chen".into(),
            description: None,
            members: Vec::new(),
        });
    let out = access("Carol Chen");
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("2 principals are named 'Carol Chen'"), "{err}");
    assert!(err.contains(&carol) && err.contains(&twin), "{err}");
}

/// A principal picker's search: what a person starts typing (a name, a UPN, an object or a
/// client id) finds the principal; lists longer than Graph's page of 100 come back whole.
#[test]
fn principals_are_found_as_people_type_them_and_long_lists_come_back_whole() {
    use relay_explorer::arm::graph::GraphClient;
    let emu = TestEmulator::start();
    {
        let shared = emu.shared();
        let mut world = shared.world.lock();
        for i in 0..130 {
            world.groups.push(relay_explorer::emulator::world::Group {
                object_id: uuid::Uuid::new_v4().to_string(),
                display_name: "On-call".into(),
                description: None,
                members: Vec::new(),
            });
            world.users.push(relay_explorer::emulator::world::User {
                object_id: uuid::Uuid::new_v4().to_string(),
                display_name: format!("Ops Engineer {i:03}"),
                user_principal_name: format!("ops{i:03}@northwind.example"),
                password: "x".into(),
                given_name: None,
                surname: None,
                job_title: None,
            });
        }
    }
    let (cloud, http, credential) = emu.admin_credential();
    let carol = emu.principal("Carol Chen").clone();
    let app = emu
        .ready
        .principals
        .iter()
        .find(|p| p.kind == "servicePrincipal" && p.client_id.is_some())
        .unwrap()
        .clone();
    emu.block_on(async {
        let graph = GraphClient::new(&cloud, &http, credential);
        let names = |found: &[relay_explorer::arm::graph::Principal]| {
            found
                .iter()
                .map(|p| format!("{} ({})", p.display_name, p.kind))
                .collect::<Vec<_>>()
        };
        let found = graph.search("car", 10).await.unwrap();
        assert!(
            names(&found).contains(&"Carol Chen (user)".to_string()),
            "{:?}",
            names(&found)
        );
        let upn = carol.username.clone().unwrap();
        let found = graph.search(&upn[..4].to_uppercase(), 10).await.unwrap();
        assert!(
            found.iter().any(|p| p.id == carol.object_id),
            "{:?}",
            names(&found)
        );
        let found = graph.search(&carol.object_id, 10).await.unwrap();
        assert_eq!(names(&found), ["Carol Chen (user)"]);
        let found = graph
            .search(app.client_id.as_deref().unwrap(), 10)
            .await
            .unwrap();
        assert_eq!(found.len(), 1, "{:?}", names(&found));
        assert_eq!(found[0].id, app.object_id);
        // A page for a picker holds at most what it asked for.
        let found = graph.search("ops", 10).await.unwrap();
        assert_eq!(found.len(), 10, "{:?}", names(&found));
        assert!(graph.search("o'brien", 10).await.unwrap().is_empty());
        // Graph pages at 100: the other 30 come through @odata.nextLink.
        assert_eq!(graph.by_display_name("On-call").await.unwrap().len(), 130);
    });
}

/// "View as": a namespace's entities evaluated at once for one principal agree, entity by
/// entity, with a check of each (every demo principal, Listen and Send).
#[test]
fn a_namespace_viewed_as_a_principal_agrees_with_a_check_of_each_entity() {
    use relay_explorer::arm::graph::GraphClient;
    let emu = TestEmulator::start();
    let (cloud, http, credential) = emu.admin_credential();
    let namespace = format!(
        "/subscriptions/{}/resourceGroups/rg-relay/providers/Microsoft.Relay/namespaces/northwind-relay",
        emu.ready.subscription_id
    );
    let principals: Vec<_> = emu
        .ready
        .principals
        .iter()
        .filter(|p| p.kind != "group")
        .cloned()
        .collect();
    emu.block_on(async {
        let arm = relay_explorer::arm::ArmClient::new(
            &cloud,
            &http,
            credential.clone(),
            relay_explorer::arm::DEFAULT_CONCURRENCY,
        );
        let graph = GraphClient::new(&cloud, &http, credential);
        let (mut allowed, mut refused) = (0, 0);
        for p in &principals {
            let reach =
                relay_explorer::arm::reach::namespace_reach(&arm, &graph, &namespace, &p.object_id)
                    .await
                    .unwrap();
            assert!(reach.entities.len() >= 3, "{:?}", reach.entities);
            for e in &reach.entities {
                for (action, said) in [("listen", e.listen), ("send", e.send)] {
                    let one = relay_explorer::arm::access::check(
                        &arm,
                        &graph,
                        &e.id,
                        &p.object_id,
                        action,
                    )
                    .await
                    .unwrap();
                    assert_eq!(
                        said, one.verdict.allowed,
                        "{} {action} {}: view as says {said}",
                        p.display_name, e.name
                    );
                    if said { allowed += 1 } else { refused += 1 }
                }
            }
        }
        // The demo world has both answers, so the agreement means something.
        assert!(
            allowed > 3 && refused > 3,
            "{allowed} allowed, {refused} refused"
        );
    });
}
