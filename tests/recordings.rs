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

mod common;

/// What differs from real Azure on purpose, by the JSON path (or `status`) where it shows, and
/// why. Everything else the recordings hold — status codes, keys, value types, `type` strings —
/// the emulator answers alike.
const ON_PURPOSE: &[(&str, &str)] = &[
    (
        ".systemData: extra",
        "the Relay specs since 2021-11-01 define systemData (who made it, when); the recorded service \
         (December 2022) did not send it yet; clients read it when it is there",
    ),
    (
        ".properties.publicNetworkAccess: extra",
        "a 2021-11-01 namespace property the recorded service left out while unset; the emulator \
         says Enabled, its default",
    ),
    (
        ".properties.privateEndpointConnections: extra",
        "a 2021-11-01 namespace property the recorded service left out while empty; the emulator \
         sends []",
    ),
    (
        ".location: extra (\"eastus2\")",
        "a hybrid connection rule's PUT answer: Azure's own answers differ (its list of the same \
         rules carries the location, its PUT answer does not); the emulator always sends it",
    ),
    (
        "regenerateKeys with a key",
        "the recording sanitised the key the test sent to 'Sanitized' (9 characters), which Azure's \
         16-to-256-character rule refuses; with a real key the emulator answers 200",
    ),
    (
        "networkRuleSets",
        "IP rules (networkRuleSets/default) are not served yet: the explorer does not show them",
    ),
];

/// The JSON type of a value, for comparing shapes.
fn shape(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Where `ours` differs in shape from `theirs`: a key missing, a key extra, a type changed.
fn differences(path: &str, theirs: &Value, ours: &Value, out: &mut Vec<String>) {
    match (theirs, ours) {
        (Value::Object(t), Value::Object(o)) => {
            for (k, tv) in t {
                let p = format!("{path}.{k}");
                match o.get(k) {
                    None => out.push(format!("{p}: missing (Azure: {tv})")),
                    Some(ov) => differences(&p, tv, ov, out),
                }
            }
            for (k, ov) in o {
                if !t.contains_key(k) {
                    out.push(format!("{path}.{k}: extra ({ov})"));
                }
            }
        }
        (Value::Array(t), Value::Array(o)) => {
            if let (Some(tv), Some(ov)) = (t.first(), o.first()) {
                differences(&format!("{path}[]"), tv, ov, out);
            }
        }
        // Azure sends null where nothing is set; a value there is the same field.
        (Value::Null, _) | (_, Value::Null) => {}
        (t, o) if shape(t) != shape(o) => {
            out.push(format!("{path}: {} (Azure: {})", shape(o), shape(t)))
        }
        (Value::String(t), Value::String(o)) if path.ends_with(".type") && t != o => {
            out.push(format!("{path}: '{o}' (Azure: '{t}')"))
        }
        _ => {}
    }
}

#[test]
fn the_emulator_answers_the_recorded_relay_requests_as_azure_did() {
    let emu = common::TestEmulator::start();
    let (_, _, credential) = emu.admin_credential();
    let http = emu.http();
    let token = emu.block_on(async {
        credential
            .get_token(&["https://management.azure.com/.default"], None)
            .await
            .unwrap()
            .token
            .secret()
            .to_string()
    });
    let mut found = Vec::new();
    let mut replayed = 0;
    for (file, session) in recordings("relay") {
        let entries = session["Entries"].as_array().unwrap();
        let recorded_sub = entries[0]["RequestUri"]
            .as_str()
            .unwrap()
            .split("/subscriptions/")
            .nth(1)
            .unwrap()
            .split(['/', '?'])
            .next()
            .unwrap()
            .to_string();
        for (i, e) in entries.iter().enumerate() {
            let uri = e["RequestUri"]
                .as_str()
                .unwrap()
                .replace("https://management.azure.com", &emu.ready.resource_manager)
                .replace(&recorded_sub, &emu.ready.subscription_id)
                .replace("api-version=**", "api-version=2022-09-01");
            let method =
                reqwest::Method::from_bytes(e["RequestMethod"].as_str().unwrap().as_bytes())
                    .unwrap();
            let mut req = http.request(method.clone(), &uri).bearer_auth(&token);
            if !e["RequestBody"].is_null() {
                req = req.json(&e["RequestBody"]);
            } else if method == reqwest::Method::POST {
                req = req.header("content-length", "0");
            }
            let (status, body) = emu.block_on(async {
                let r = req.send().await.unwrap();
                let status = r.status().as_u16();
                let text = r.text().await.unwrap();
                (
                    status,
                    serde_json::from_str::<Value>(&text).unwrap_or(Value::Null),
                )
            });
            replayed += 1;
            let at = format!(
                "{file} #{} {method} {}",
                i + 1,
                uri.split("/providers/")
                    .last()
                    .unwrap_or(&uri)
                    .split('?')
                    .next()
                    .unwrap()
            );
            let recorded = e["StatusCode"].as_u64().unwrap() as u16;
            let mut here = Vec::new();
            if status != recorded {
                here.push(format!("status: {status} (Azure: {recorded})"));
            }
            if recorded < 300 && e["ResponseBody"].is_object() {
                differences("", &e["ResponseBody"], &body, &mut here);
            }
            let keyed = uri.contains("/regenerateKeys") && e["RequestBody"]["key"].is_string();
            for d in here {
                // A list's items differ as the item does.
                let item = d.strip_prefix(".value[]").unwrap_or(&d);
                let listed = ON_PURPOSE.iter().any(|(what, _)| {
                    item.starts_with(what)
                        || (*what == "regenerateKeys with a key" && keyed)
                        || (*what == "networkRuleSets" && uri.contains("/networkRuleSets/"))
                });
                if !listed {
                    found.push(format!("{at}: {d}"));
                }
            }
        }
    }
    assert!(replayed > 100, "replayed {replayed} requests");
    found.sort();
    found.dedup();
    assert!(
        found.is_empty(),
        "{} differences from Azure:\n{}",
        found.len(),
        found.join("\n")
    );
}

/// The token endpoint as the identity team recorded it: a client-credentials token and a wrong
/// secret. The emulator answers the same request (its own tenant, app and secret in place of the
/// sanitised ones) with the same status and the same keys of the same types.
#[test]
fn the_token_endpoint_answers_as_the_recorded_entra_did() {
    let emu = common::TestEmulator::start();
    let http = emu.http();
    let mut found = Vec::new();
    let mut replayed = 0;
    for (file, session) in recordings("identity") {
        for e in session["Entries"].as_array().unwrap() {
            let uri = e["RequestUri"].as_str().unwrap();
            if !uri.ends_with("/oauth2/v2.0/token") {
                continue; // instance discovery: a public-cloud call the SDKs skip here
            }
            let recorded = e["StatusCode"].as_u64().unwrap() as u16;
            let secret = if recorded == 200 {
                emu.ready.admin.client_secret.clone()
            } else {
                "not-the-secret".to_string()
            };
            let url = format!(
                "{}/{}/oauth2/v2.0/token",
                emu.ready.authority_host, emu.ready.tenant_id
            );
            let form = [
                ("client_id", emu.ready.admin.client_id.as_str()),
                ("client_secret", secret.as_str()),
                ("scope", "https://management.azure.com/.default"),
                ("grant_type", "client_credentials"),
                ("client_info", "1"),
            ];
            let (status, body) = emu.block_on(async {
                let r = http.post(&url).form(&form).send().await.unwrap();
                let status = r.status().as_u16();
                (status, r.json::<Value>().await.unwrap_or(Value::Null))
            });
            replayed += 1;
            let mut here = Vec::new();
            if status != recorded {
                here.push(format!("status: {status} (Entra: {recorded})"));
            }
            differences("", &e["ResponseBody"], &body, &mut here);
            found.extend(here.into_iter().map(|d| format!("{file}: {d}")));
        }
    }
    assert!(replayed >= 3, "replayed {replayed} token requests");
    assert!(
        found.is_empty(),
        "differences from Entra:\n{}",
        found.join("\n")
    );
}

/// The authorization team's recording (vcrpy YAML): a role assignment made by id at a resource
/// group, read back, deleted. The emulator answers each request (its own subscription, group,
/// principal and a built-in role in place of the recorded ones) as Azure did.
#[test]
fn role_assignments_are_made_read_and_deleted_as_azure_did() {
    let emu = common::TestEmulator::start();
    let (_, _, credential) = emu.admin_credential();
    let http = emu.http();
    let token = emu.block_on(async {
        credential
            .get_token(&["https://management.azure.com/.default"], None)
            .await
            .unwrap()
            .token
            .secret()
            .to_string()
    });
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures/azure-recordings/authorization");
    let erin = emu.principal("Erin Evans").object_id.clone();
    const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
    let mut found = Vec::new();
    let mut replayed = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let session: Value = serde_norway::from_str(&text).unwrap();
        let recorded_principal = session["interactions"][0]["request"]["body"]
            .as_str()
            .and_then(|b| serde_json::from_str::<Value>(b).ok())
            .and_then(|b| b["properties"]["principalId"].as_str().map(str::to_string))
            .unwrap_or_default();
        let mapped = |s: &str| {
            s.replace("https://management.azure.com", &emu.ready.resource_manager)
                .replace(
                    "00000000-0000-0000-0000-000000000000",
                    &emu.ready.subscription_id,
                )
                .replace("resourcegroups/rgname", "resourcegroups/rg-relay")
                .replace("e078ab98-ef3a-4c9a-aba7-12f5172b45d0", READER)
                .replace(&recorded_principal, &erin)
        };
        for (i, x) in session["interactions"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
        {
            let method =
                reqwest::Method::from_bytes(x["request"]["method"].as_str().unwrap().as_bytes())
                    .unwrap();
            let uri = mapped(x["request"]["uri"].as_str().unwrap());
            let mut req = http.request(method.clone(), &uri).bearer_auth(&token);
            if let Some(body) = x["request"]["body"].as_str() {
                req = req
                    .header("content-type", "application/json")
                    .body(mapped(body));
            }
            let (status, body) = emu.block_on(async {
                let r = req.send().await.unwrap();
                let status = r.status().as_u16();
                (status, r.json::<Value>().await.unwrap_or(Value::Null))
            });
            replayed += 1;
            let recorded = x["response"]["status"]["code"].as_u64().unwrap() as u16;
            let theirs: Value = x["response"]["body"]["string"]
                .as_str()
                .and_then(|b| serde_json::from_str(b).ok())
                .unwrap_or(Value::Null);
            let at = format!("{} #{} {method}", path.display(), i + 1);
            if status != recorded {
                found.push(format!("{at}: status {status} (Azure: {recorded}) {body}"));
            }
            let mut here = Vec::new();
            differences("", &theirs, &body, &mut here);
            found.extend(here.into_iter().map(|d| format!("{at}: {d}")));
        }
    }
    assert!(replayed >= 3, "replayed {replayed}");
    assert!(
        found.is_empty(),
        "differences from Azure:\n{}",
        found.join("\n")
    );
    // The keys the old version lacks are there from 2020-04-01-preview on (the SDKs' default
    // 2022-04-01 reads conditions from them).
    let list = format!(
        "{}/subscriptions/{}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01",
        emu.ready.resource_manager, emu.ready.subscription_id
    );
    let body: Value = emu.block_on(async {
        let r = http.get(&list).bearer_auth(&token).send().await.unwrap();
        r.json().await.unwrap()
    });
    let items = body["value"].as_array().unwrap();
    assert!(!items.is_empty());
    for key in ["condition", "conditionVersion", "description"] {
        assert!(
            items.iter().all(|a| a["properties"].get(key).is_some()),
            "{key} missing at 2022-04-01: {body}"
        );
    }
}
