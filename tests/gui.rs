//! The desktop app driven as a person would, through AccessKit (egui_kittest), against the
//! emulator the app starts in-process on its first start.

#[path = "gui/act.rs"]
mod act;
#[path = "gui/keyboard.rs"]
mod keyboard;
#[path = "gui/keyring.rs"]
mod keyring;
#[path = "gui/layout.rs"]
mod layout;
#[path = "gui/picker.rs"]
mod picker;
#[path = "gui/rig.rs"]
mod rig;

use std::sync::Arc;

use eframe::egui;
use egui_kittest::kittest::Queryable as _;
use relay_explorer::auth::Vault;
use rig::*;
#[test]
fn a_first_start_shows_the_demo_tenant_and_browses_to_a_hybrid_connection() {
    let mut rig = first_start();
    rig.wait_label("Northwind demo (local emulator)");
    rig.wait_label("Northwind Dev");
    rig.wait_label("rg-relay");
    assert!(
        rig.harness.query_by_label("orders").is_none(),
        "namespaces start collapsed"
    );
    rig.browse_to_orders();
    // Overview: the properties of the entity, with copy buttons.
    rig.wait_label("Requires client authorization");
    rig.wait_label("Copy Service Bus endpoint");
    rig.wait_label_contains("Order intake");
    // The accounts file remembers the demo account (and holds no secret).
    let text = rig.accounts_file_with("\"embedded\"");
    assert!(
        !text.contains(&rig.ready().admin.client_secret),
        "no secret in {text}"
    );
}

#[test]
fn keys_stay_masked_until_revealed_and_copy_without_showing() {
    let mut rig = first_start();
    rig.wait_label("rg-relay");
    rig.browse_to_orders();
    rig.click("SAS rules");
    rig.click("Show keys of sender");
    rig.wait_label("Reveal keys of sender");
    let masked_count = rig.harness.query_all_by_label_contains("••••").count();
    assert_eq!(
        masked_count, 4,
        "two keys and two connection strings, masked"
    );
    rig.harness
        .get_by_label("Copy Primary connection string of sender")
        .click();
    rig.harness.step();
    let cs = rig.copied();
    assert!(
        cs.starts_with("Endpoint=sb://localhost:") && cs.contains("SharedAccessKeyName=sender"),
        "the connection string is copied: {cs:?}"
    );
    assert!(
        rig.harness.query_by_label_contains(&cs).is_none(),
        "copying does not reveal it"
    );
    rig.click("Reveal keys of sender");
    rig.wait_label(&cs);
    assert_eq!(rig.harness.query_all_by_label_contains("••••").count(), 0);
    rig.click("Hide keys of sender");
    rig.wait_label("Reveal keys of sender");
    assert!(rig.harness.query_by_label(&cs).is_none());
}

#[test]
fn hello_goes_from_the_send_console_to_the_listen_console_and_echoes_back() {
    let mut rig = first_start();
    rig.listen_on_orders("Echo", true);
    rig.open_send();
    rig.click("Connect");
    rig.wait_label("online");
    rig.wait_label("Message");
    rig.click("Send text");
    // The echo comes back to the sender, with its latency.
    let echo = format!("<- {:<10} hello", "text");
    rig.wait_label_contains(&echo);
    assert_eq!(
        rig.harness.state().console_titles(),
        vec!["Listen orders", "Send orders"]
    );
    // And the listener saw it arrive.
    rig.click("Listen orders (live)");
    rig.wait_label_contains(&echo);
    rig.wait_label_contains("accepted");
    // Showing only HTTP hides the WebSocket traffic; All brings it back.
    rig.click("HTTP only");
    rig.wait_for("the WebSocket rows to hide", |h| {
        h.query_all_by_label_contains("<- text").next().is_none()
    });
    rig.wait_label_contains("online on 'orders'");
    rig.click("All events");
    rig.wait_label_contains(&echo);
}

#[test]
fn access_finds_the_assignment_that_grants_send() {
    let mut rig = first_start();
    rig.wait_label("rg-relay");
    rig.browse_to_orders();
    rig.click("Access");
    // The who-can matrix lists the app with an assignment.
    rig.wait_label("orders-backend");
    let backend = rig.principal("orders-backend");
    rig.type_into(
        "Principal",
        backend.client_id.as_deref().unwrap_or_default(),
    );
    rig.click("Check");
    rig.wait_label("ALLOWED");
    // A client id is resolved to the object id that role assignments name, with a warning.
    rig.wait_label_contains("role assignments name its object id");
    rig.wait_label("Azure Relay Sender");
    rig.wait_label_contains("matches Microsoft.Relay/");
}

#[test]
fn sign_in_with_a_client_secret_adds_an_account() {
    let mut rig = first_start();
    rig.wait_label("Northwind demo (local emulator)");
    let app = rig.principal("orders-backend");
    rig.click("+ Add account");
    rig.click("Local emulator (built in)");
    rig.click("client secret");
    for (field, value) in [
        ("Tenant", rig.ready().tenant_id.clone()),
        ("Client id", app.client_id.clone().unwrap_or_default()),
        (
            "Client secret",
            app.client_secret.clone().unwrap_or_default(),
        ),
        ("Display name (optional)", "orders-backend app".to_string()),
    ] {
        rig.type_into(field, &value);
    }
    rig.click("Sign in");
    rig.wait_label("orders-backend app");
    rig.wait_for("the dialog to close", |h| {
        h.query_by_label("Add account").is_none()
    });
    // A wrong secret is refused with Entra's reason, and no account is added.
    rig.click("+ Add account");
    rig.click("Local emulator (built in)");
    rig.click("client secret");
    for (field, value) in [
        ("Tenant", rig.ready().tenant_id.clone()),
        ("Client id", app.client_id.clone().unwrap_or_default()),
        ("Client secret", "not-the-secret".to_string()),
        ("Display name (optional)", "wrong secret".to_string()),
    ] {
        rig.type_into(field, &value);
    }
    rig.click("Sign in");
    rig.wait_label_contains("AADSTS");
    assert!(rig.harness.query_by_label("wrong secret").is_none());
}

#[test]
fn sign_in_with_a_device_code_shows_the_code_and_finishes_in_the_browser() {
    let mut rig = first_start();
    rig.wait_label("Northwind demo (local emulator)");
    rig.sign_in_alice_by_device_code();
}

#[test]
fn sign_ins_survive_a_restart_without_asking_again() {
    let mut rig = first_start();
    rig.wait_label("Northwind demo (local emulator)");
    rig.sign_in_alice_by_device_code();
    let mut rig = rig.restart();
    rig.wait_label("Northwind demo (local emulator)");
    rig.wait_label_contains("alice@northwind.example");
    assert!(
        rig.harness.state().device_code_prompt().is_none(),
        "the refresh token in the keyring signs Alice in silently"
    );
    assert!(rig.vault.backend_name().contains("memory"));
}

#[test]
fn sign_ins_survive_a_restart_when_the_emulator_gets_other_ports() {
    let mut rig = first_start();
    rig.wait_label("Northwind demo (local emulator)");
    rig.sign_in_alice_by_device_code();
    let login = rig.ready().authority_host.clone();
    let port: u16 = login.rsplit(':').next().unwrap().parse().unwrap();
    rig.harness.state_mut().shut_down();
    // Something else took the login port meanwhile.
    let _taken = std::net::TcpListener::bind(("127.0.0.1", port)).expect("the old port is free");
    let Rig {
        harness,
        _dir,
        _runtime,
        vault,
    } = rig;
    drop(harness);
    let mut rig = start(_dir, _runtime, vault);
    rig.wait_label("Northwind demo (local emulator)");
    rig.wait_for("the emulator on other ports", |h| {
        h.state()
            .embedded_ready()
            .is_some_and(|r| r.authority_host != login)
    });
    rig.wait_label_contains("alice@northwind.example");
    assert!(rig.harness.state().device_code_prompt().is_none());
}

#[test]
fn signalr_resources_show_their_role_assignments_and_access() {
    let mut rig = first_start();
    rig.click("rg-apps");
    rig.harness.key_press(egui::Key::ArrowRight);
    rig.click("northwind-signalr");
    rig.click("Role assignments");
    rig.wait_label("SignalR App Server");
    rig.click("Access");
    rig.wait_label("Manage");
    let backend = rig.principal("orders-backend");
    rig.type_into("Principal", &backend.object_id);
    rig.click("Check");
    rig.wait_label("ALLOWED");
    rig.wait_label_contains("serverConnection/write");
    assert!(rig.harness.query_all_by_label("SignalR App Server").count() >= 1);
}

#[test]
fn an_http_request_is_answered_by_hand() {
    let mut rig = first_start();
    rig.listen_on_orders("By hand", true);
    rig.open_send();
    rig.click("HTTP");
    rig.click("Open");
    rig.wait_label("online");
    rig.type_into("path", "/api/orders?x=1");
    rig.click("Send request");
    // The listener shows the request waiting, and the person answers it.
    rig.click("Listen orders (live)");
    rig.wait_label_contains("POST /orders/api/orders?x=1 waits for a reply");
    rig.type_into("reply body", "made by hand");
    rig.click("Respond");
    let sent = format!("-> {:<10} 200", "response");
    rig.wait_label_contains(&sent);
    rig.click("Send orders (live)");
    let response = format!("<- {:<10} 200 OK", "response");
    rig.wait_label_contains(&response);
}

#[test]
fn a_sender_waits_to_be_accepted_and_is_rejected_by_hand() {
    let mut rig = first_start();
    rig.listen_on_orders("Echo", false);
    rig.open_send();
    rig.click("Connect");
    rig.click("Listen orders (live)");
    rig.wait_label_contains("waits to be accepted");
    rig.click("Reject");
    rig.click("Send orders");
    rig.wait_label("offline");
    rig.wait_label_contains("rejected by hand");
}

#[test]
fn a_hybrid_connection_and_a_rule_are_created_edited_and_deleted() {
    let mut rig = first_start();
    rig.click("rg-relay");
    rig.harness.key_press(egui::Key::ArrowRight);
    rig.click("northwind-relay");
    rig.click("Entities");
    rig.click("+ Hybrid connection");
    rig.type_into("Name", "payments");
    rig.type_into("User metadata", "card payments");
    rig.click("Create");
    // The namespace's tree and entity list reload with it.
    rig.wait_label("payments");
    rig.harness.key_press(egui::Key::ArrowRight);
    rig.wait_for("payments in the tree and the list", |h| {
        h.query_all_by_label("payments").count() == 2
    });
    rig.harness
        .get_all_by_label("payments")
        .next()
        .unwrap()
        .click();
    rig.harness.step();
    rig.wait_label_contains("card payments");
    // A SAS rule on it, with Manage (which brings Listen and Send).
    rig.click("SAS rules");
    rig.click("+ Add rule");
    rig.type_into("Rule name", "payments-admin");
    rig.click("Manage");
    rig.click("Create rule");
    rig.wait_label("payments-admin");
    // (The rights as the rule was made; the namespace rule says "· namespace rule" after its own.)
    rig.wait_label("Listen, Send, Manage");
    // Delete the hybrid connection, after a confirmation.
    rig.click("Overview");
    rig.click("Delete this hybrid connection");
    rig.click("Delete payments");
    rig.wait_for("payments to leave the tree", |h| {
        h.query_by_label("payments").is_none()
    });
}

#[test]
fn identities_show_both_ids_and_what_each_may_do() {
    let mut rig = first_start();
    rig.wait_label("rg-relay");
    rig.click("Identities");
    // The VM's system-assigned identity and the user-assigned one, client and object ids apart.
    rig.wait_label("vm-orders-worker (system-assigned)");
    rig.wait_label("id-orders-sender (user-assigned)");
    // A resource's system-assigned identity with no role assignment yet is listed too.
    rig.wait_label("northwind-signalr (system-assigned)");
    let ready = rig.ready();
    let worker = ready
        .principals
        .iter()
        .find(|p| p.display_name == "vm-orders-worker")
        .cloned()
        .expect("the VM's identity");
    rig.wait_label(&worker.object_id);
    rig.wait_label(worker.client_id.as_deref().unwrap_or_default());
    rig.click("Check what they may do on");
    rig.click("orders");
    rig.wait_for("the verdicts", |h| {
        h.query_all_by_label("listen yes").next().is_some()
            && h.query_all_by_label("manage no").count() >= 2
    });
}

#[test]
fn an_unreadable_accounts_file_is_kept_and_named() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::create_dir_all(dir.path().join("config")).unwrap();
    std::fs::write(dir.path().join("config/accounts.json"), "{ not json").unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let mut rig = start(dir, runtime, Arc::new(Vault::in_memory("GUI tests")));
    rig.wait_label_contains("is not a list of accounts; fix or delete it");
    rig.wait_label_contains("it was kept as");
    let kept = rig._dir.path().join("config/accounts.json.unreadable");
    assert_eq!(std::fs::read_to_string(kept).unwrap(), "{ not json");
    // No account: the window says what to do next.
    rig.wait_label("Nothing selected");
    rig.wait_label_contains("Add an account to browse Azure Relay");
}

#[test]
fn ctrl_k_searches_the_tree_as_you_type() {
    let mut rig = first_start();
    rig.wait_label("rg-relay");
    assert!(rig.harness.query_by_label("public-feed").is_none());
    rig.harness
        .key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::K);
    rig.harness.step();
    rig.harness.step();
    let search = rig
        .harness
        .get_by_role_and_label(egui::accesskit::Role::TextInput, "Search");
    assert!(
        search.is_focused(),
        "Ctrl+K puts the cursor in the search box"
    );
    search.type_text("public");
    rig.wait_label("public-feed");
    // Only what matches, with its ancestors, is left.
    assert!(rig.harness.query_by_label("orders").is_none());
    assert!(rig.harness.query_by_label("rg-apps").is_none());
    rig.click("Clear the search");
}

#[test]
fn a_connection_string_attaches_a_namespace_and_listens_without_entra() {
    let mut rig = first_start();
    rig.wait_label("rg-relay");
    let cs = rig.namespace_connection_string();
    rig.click("+ Add account");
    rig.click("Local emulator (built in)");
    rig.click("connection string");
    rig.type_into("Connection string", &cs);
    rig.click("Sign in");
    let host = cs
        .trim_start_matches("Endpoint=sb://")
        .split('/')
        .next()
        .unwrap()
        .to_string();
    rig.click(&host);
    rig.wait_label_contains("attached with a connection string");
    rig.type_into("Hybrid connection", "inventory");
    rig.click("Add");
    rig.click("inventory");
    rig.click("Listen");
    rig.wait_for("the connection string to sign", |h| {
        h.query_by_value("connection string").is_some()
    });
    rig.click("Start");
    rig.wait_label("online");
    // The accounts file names the namespace, never the key.
    let text = rig.accounts_file_with("connection-string");
    let key = cs
        .split("SharedAccessKey=")
        .nth(1)
        .unwrap()
        .split(';')
        .next()
        .unwrap();
    assert!(!text.contains(key), "no key in {text}");
}

#[test]
fn unticking_a_subscription_in_accounts_hides_it_and_says_so() {
    let mut rig = first_start();
    rig.wait_label("Northwind Dev");
    rig.click("Accounts");
    rig.wait_for("the accounts panel", |h| {
        h.query_all_by_label("Northwind Dev").count() == 2
    });
    rig.harness
        .get_by_role_and_label(egui::accesskit::Role::CheckBox, "Northwind Dev")
        .click();
    rig.wait_for("the subscription to leave the tree", |h| {
        h.query_all_by_label("Northwind Dev").count() == 1
    });
    rig.harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "Accounts")
        .click();
    rig.harness.step();
    rig.click("Northwind Traders");
    rig.wait_label_contains("its subscriptions are unticked in Accounts");
    // Kept across restarts, in the accounts file (written in the background, soon).
    let id = rig.ready().subscription_id.clone();
    rig.accounts_file_with(&id);
}

#[test]
fn a_listener_refused_is_logged_as_failed_with_the_reason() {
    let mut rig = first_start();
    rig.start_a_refused_listener();
    if rig.harness.query_by_label("> Activity").is_some() {
        rig.click("> Activity");
    }
    rig.wait_label("failed");
    let entry = rig
        .harness
        .query_all_by_label_contains("Listen orders (SAS rule sender)")
        .count();
    assert!(entry >= 1, "the activity names the console");
    rig.wait_label_contains("has no Listen right");
    assert_eq!(
        rig.harness.query_all_by_label("failed").count(),
        1,
        "only the refused start failed"
    );
}

#[test]
fn wcf_relays_are_in_the_tree_with_their_details() {
    let mut rig = first_start();
    rig.wait_label("rg-relay");
    rig.browse_to_orders();
    rig.click("legacy-billing");
    rig.wait_label_contains("NetTcp");
    rig.wait_label("Requires client authorization");
    rig.wait_label("Requires transport security");
    rig.wait_label("Listeners");
}

#[test]
fn a_megabyte_pasted_into_a_field_is_cut_with_a_notice_and_the_dialog_still_closes() {
    let mut rig = first_start();
    rig.wait_label("rg-relay");
    rig.click("+ Add account");
    rig.click("connection string");
    let megabyte = format!("Endpoint=sb://x/;{}", "k".repeat(1 << 20));
    rig.type_into("Connection string", &megabyte);
    rig.wait_label_contains("cut at 4096 characters");
    let field = rig
        .harness
        .get_by_role_and_label(egui::accesskit::Role::PasswordInput, "Connection string");
    let kept = field.value().unwrap_or_default().chars().count();
    assert!(kept <= 4096, "the field kept {kept} characters");
    rig.click("Cancel");
    rig.wait_for("the dialog to close", |h| {
        h.query_by_label("Add account").is_none()
    });
}

#[test]
fn escape_closes_dialogs_and_clears_the_search_and_enter_goes_to_the_first_match() {
    let mut rig = first_start();
    rig.wait_label("rg-relay");
    rig.click("+ Add account");
    rig.wait_label("Add account");
    rig.harness.key_press(egui::Key::Escape);
    rig.wait_for("Escape to close the dialog", |h| {
        h.query_by_label("Add account").is_none()
    });
    // The search: the counter counts what it shows; Enter selects the first match.
    for _ in 0..10 {
        rig.harness.step();
    }
    rig.type_into("Search", "inventory");
    rig.wait_label_contains("1 of");
    rig.harness.key_press(egui::Key::Enter);
    rig.wait_label("Listen");
    rig.wait_label_contains("HybridConnections/inventory");
    // Escape in the search box clears it.
    rig.type_into("Search", "x");
    rig.harness.key_press(egui::Key::Escape);
    rig.wait_for("the search to clear", |h| {
        h.query_all_by_label_contains("nodes match")
            .next()
            .is_none()
            && h.query_by_label("rg-apps").is_some()
    });
}

#[test]
fn closing_the_window_with_a_live_console_asks_first() {
    let mut rig = first_start();
    rig.listen_on_orders("Echo", true);
    let close = |rig: &mut Rig| {
        rig.harness
            .input_mut()
            .viewports
            .entry(egui::ViewportId::ROOT)
            .or_default()
            .events
            .push(egui::ViewportEvent::Close);
        rig.harness.step();
    };
    close(&mut rig);
    rig.wait_label("Quit Relay Explorer?");
    rig.wait_label_contains("1 console is still running");
    rig.click("Cancel");
    rig.wait_for("the question to go", |h| {
        h.query_by_label("Quit Relay Explorer?").is_none()
    });
    assert!(
        rig.harness.query_by_label("online").is_some(),
        "the console still runs"
    );
    close(&mut rig);
    rig.click("Quit");
    rig.wait_for("the question to go", |h| {
        h.query_by_label("Quit Relay Explorer?").is_none()
    });
}

#[test]
fn a_principal_is_checked_by_the_display_name_the_tables_show() {
    let mut rig = first_start();
    rig.wait_label("rg-relay");
    rig.browse_to_orders();
    rig.click("Access");
    rig.type_into("Principal", "Carol Chen");
    rig.click("Check");
    rig.wait_label("ALLOWED");
    rig.wait_label_contains("Platform Team");
}

#[test]
fn clicking_a_principal_in_the_tables_checks_it() {
    let mut rig = first_start();
    rig.wait_label("rg-relay");
    rig.browse_to_orders();
    // From the who-can matrix…
    rig.click("Access");
    rig.wait_label("Order Senders");
    rig.click("Order Senders");
    rig.wait_label("ALLOWED");
    let group = "6a2f4c1e-3d5b-4e7a-8c9d-0000000000a1";
    rig.wait_for("the principal in the check box", move |h| {
        h.query_by_role_and_label(egui::accesskit::Role::TextInput, "Principal")
            .is_some_and(|f| f.value().as_deref() == Some(group))
    });
    // …and from the role-assignments table, which opens Access.
    rig.click("Role assignments");
    rig.wait_label("Engineering");
    rig.click("Engineering");
    let engineering = "6a2f4c1e-3d5b-4e7a-8c9d-0000000000a3";
    rig.wait_for("Access to check Engineering", move |h| {
        h.query_by_role_and_label(egui::accesskit::Role::TextInput, "Principal")
            .is_some_and(|f| f.value().as_deref() == Some(engineering))
    });
    rig.wait_label("ALLOWED");
}

#[test]
fn a_no_in_the_who_can_matrix_says_why_on_hover() {
    let mut rig = first_start();
    rig.wait_label("rg-relay");
    rig.browse_to_orders();
    rig.click("Access");
    rig.wait_label("Order Senders");
    // The subscription's Owner manages the entity but has no data action to listen.
    let cells = rig.harness.query_all_by_label("no").count();
    assert!(cells > 0, "the matrix has no cells");
    let mut found = false;
    for i in 0..cells {
        rig.harness.query_all_by_label("no").nth(i).unwrap().hover();
        // Tooltips wait a moment before they show.
        for _ in 0..60 {
            rig.harness.step();
        }
        if rig
            .harness
            .query_all_by_label_contains("manages it but has no data actions, so it cannot listen")
            .next()
            .is_some()
        {
            found = true;
            break;
        }
    }
    assert!(found, "no cell said why a manager cannot listen");
}
