//! A desktop without a Secret Service (a headless box, a container, CI): the app falls back as
//! the CLI does — the kernel keyring where it can be used, else memory — and says where a secret
//! goes before it is given; a connection-string account works either way and its key never
//! reaches a file.

use std::sync::Arc;

use relay_explorer::auth::{SecretKind, Vault};

use super::rig::*;

/// Deletes what the test put in a real keyring, on failure too.
struct Forget(Arc<Vault>, Option<String>);

impl Drop for Forget {
    fn drop(&mut self) {
        if let Some(key) = &self.1 {
            self.0.delete(key, SecretKind::SasKey).ok();
        }
    }
}

#[test]
fn without_a_secret_service_a_connection_string_account_falls_back_and_says_where_it_is_kept() {
    // The kernel keyring where this machine has one; and a machine with no keyring at all.
    attach_with(Arc::new(Vault::fallback()));
    attach_with(Arc::new(Vault::without_keyring()));
}

fn attach_with(vault: Arc<Vault>) {
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut rig = start(dir, runtime, vault.clone());
    let mut forget = Forget(vault.clone(), None);
    rig.wait_label("rg-relay");
    let cs = rig.namespace_connection_string();
    rig.click("+ Add account");
    rig.click("Local emulator (built in)");
    rig.click("connection string");
    // Before the key is given, the dialog says where it will be kept.
    rig.wait_label_contains(&format!("kept in {}", vault.where_kept()));
    match vault.warning() {
        Some(_) => rig.wait_label_contains("Note: no OS keyring is available"),
        None => assert_eq!(vault.backend_name(), "kernel keyutils"),
    }
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
    let accounts = rig.accounts_file_with("connection-string");
    let key = cs.split("SharedAccessKey=").nth(1).unwrap();
    assert!(!accounts.contains(key), "the key is not in accounts.json");
    let file: serde_json::Value = serde_json::from_str(&accounts).unwrap();
    let id = file
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["method"] == "connection-string")
        .and_then(|a| a["id"].as_str())
        .unwrap()
        .to_string();
    forget.1 = Some(format!("account|{id}"));
    assert_eq!(
        vault
            .get(&format!("account|{id}"), SecretKind::SasKey)
            .unwrap()
            .as_deref(),
        Some(cs.as_str()),
        "the key is in {}",
        vault.backend_name()
    );
    if vault.warning().is_none() {
        // The kernel keyring is outside the app: a keyring opened afresh (the next start's)
        // holds the key.
        assert_eq!(
            Vault::fallback()
                .get(&format!("account|{id}"), SecretKind::SasKey)
                .unwrap()
                .as_deref(),
            Some(cs.as_str())
        );
    }
}
