//! Responses recorded against real Azure by the Azure SDK teams (`../shared/fixtures/
//! azure-recordings`): the explorer's ARM client reads every Relay body among them — namespaces,
//! hybrid connections, WCF relays, rules, keys — without losing a field it shows.

use std::path::PathBuf;

use relay_explorer::arm::relay::AccessKeys;
use relay_explorer::arm::tree::Node;
use serde_json::Value;

fn recordings(folder: &str) -> Vec<(String, Value)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures/azure-recordings")
        .join(folder);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e} (../shared beside the project)", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                serde_json::from_str(&text).unwrap(),
            )
        })
        .collect()
}

/// The recorded 2xx response bodies of a session, with their request URIs.
fn bodies(session: &Value) -> Vec<(String, Value)> {
    session["Entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            let status = e["StatusCode"].as_u64().unwrap_or(0);
            (200..300).contains(&status) && e["ResponseBody"].is_object()
        })
        .map(|e| {
            (
                e["RequestUri"].as_str().unwrap_or_default().to_string(),
                e["ResponseBody"].clone(),
            )
        })
        .collect()
}

#[test]
fn every_recorded_relay_body_is_read_without_losing_what_the_explorer_shows() {
    let mut checked = std::collections::BTreeMap::<String, usize>::new();
    for (file, session) in recordings("relay") {
        for (uri, body) in bodies(&session) {
            if uri.contains("/listKeys") || uri.contains("/regenerateKeys") {
                let keys: AccessKeys = serde_json::from_value(body.clone())
                    .unwrap_or_else(|e| panic!("{file} {uri}: keys: {e}"));
                assert_eq!(keys.primary_key, body["primaryKey"].as_str().unwrap());
                *checked.entry("keys".into()).or_default() += 1;
                continue;
            }
            let items: Vec<Value> = match body["value"].as_array() {
                Some(list) => list.clone(),
                None => vec![body.clone()],
            };
            for item in items {
                let Some(t) = item["type"].as_str() else {
                    continue;
                };
                if !t.to_ascii_lowercase().starts_with("microsoft.relay/") {
                    continue;
                }
                let node = Node::from_value(&item);
                let p = &item["properties"];
                let s = |v: &Value| v.as_str().map(str::to_string);
                let why = format!("{file} {uri}: {item}");
                assert_eq!(node.id, item["id"].as_str().unwrap(), "{why}");
                assert_eq!(node.name, item["name"].as_str().unwrap(), "{why}");
                assert_eq!(node.type_name, t, "{why}");
                assert_eq!(node.location, s(&item["location"]), "{why}");
                let kind = t.rsplit('/').next().unwrap().to_ascii_lowercase();
                match kind.as_str() {
                    "namespaces" => {
                        assert_eq!(
                            node.service_bus_endpoint,
                            s(&p["serviceBusEndpoint"]),
                            "{why}"
                        )
                    }
                    "hybridconnections" | "wcfrelays" => {
                        assert_eq!(
                            node.requires_client_authorization,
                            p["requiresClientAuthorization"].as_bool(),
                            "{why}"
                        );
                        assert_eq!(node.listener_count, p["listenerCount"].as_u64(), "{why}");
                        assert_eq!(node.user_metadata, s(&p["userMetadata"]), "{why}");
                        if kind == "wcfrelays" {
                            assert_eq!(node.relay_type, s(&p["relayType"]), "{why}");
                            assert_eq!(
                                node.requires_transport_security,
                                p["requiresTransportSecurity"].as_bool(),
                                "{why}"
                            );
                        }
                    }
                    "authorizationrules" => {
                        let rights: Vec<String> = p["rights"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|r| r.as_str().unwrap().to_string())
                            .collect();
                        assert_eq!(node.rights.as_ref(), Some(&rights), "{why}");
                    }
                    _ => {}
                }
                *checked.entry(kind).or_default() += 1;
            }
        }
    }
    // Every kind the recordings hold was read (so the checks above ran).
    for kind in [
        "namespaces",
        "hybridconnections",
        "wcfrelays",
        "authorizationrules",
        "keys",
    ] {
        assert!(
            checked.get(kind).copied().unwrap_or(0) > 0,
            "no recorded {kind}: {checked:?}"
        );
    }
}
