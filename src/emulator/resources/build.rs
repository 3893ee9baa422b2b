//! What a new or updated resource looks like: defaults, read-only properties and validation, as
//! Azure answers a PUT (also used when the world file is seeded).

use crate::emulator::world::{Resource, SasKeys};
use anyhow::{Result, bail};
use serde_json::{Value, json};

use super::{ResourceId, new_sas_key, now_rfc3339};

fn validate_rights(rights: &Value) -> Result<Vec<String>> {
    let Some(list) = rights.as_array() else {
        bail!(
            "The 'rights' property is required and must be an array of 'Listen', 'Send' and 'Manage'."
        );
    };
    let mut out: Vec<String> = Vec::new();
    for r in list {
        let canonical = match r.as_str().map(str::to_ascii_lowercase).as_deref() {
            Some("listen") => "Listen",
            Some("send") => "Send",
            Some("manage") => "Manage",
            _ => bail!(
                "The value '{r}' is not a valid right. Valid rights are 'Listen', 'Send' and 'Manage'."
            ),
        };
        if out.iter().any(|o| o == canonical) {
            bail!("The right '{canonical}' is given twice; each right may appear once.");
        }
        out.push(canonical.to_string());
    }
    if out.is_empty() {
        bail!("At least one right ('Listen', 'Send' or 'Manage') is required.");
    }
    if out.iter().any(|r| r == "Manage")
        && !(out.iter().any(|r| r == "Listen") && out.iter().any(|r| r == "Send"))
    {
        bail!("A rule with 'Manage' rights must also have 'Listen' and 'Send'.");
    }
    Ok(out)
}

fn validate_name(id: &ResourceId) -> Result<()> {
    let name = id.name();
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if id.kind.segments == ["namespaces"] {
        if !(6..=50).contains(&name.len())
            || !ok_chars
            || !name.starts_with(|c: char| c.is_ascii_alphabetic())
            || name.ends_with('-')
        {
            bail!(
                "The specified namespace name '{name}' is not valid. It must be 6 to 50 characters long, start with a letter, end with a letter or digit, and contain only letters, digits and hyphens."
            );
        }
    } else if name.is_empty() || name.len() > 260 || !ok_chars || name == "." || name == ".." {
        bail!(
            "The specified name '{name}' is not valid: use 1 to 260 letters, digits, '-', '_' or '.'."
        );
    }
    Ok(())
}

/// Builds a resource from a PUT body (or a world-file entry), keeping what an update must keep.
pub fn build(
    id: &ResourceId,
    canonical_id: String,
    body: &Value,
    existing: Option<&Resource>,
    relay_endpoint: Option<&str>,
    created_by: Option<&str>,
) -> Result<Resource> {
    validate_name(id)?;
    if !body.is_object() {
        bail!("The request body must be a JSON object.");
    }
    let now = now_rfc3339();
    let input_props = body.get("properties").cloned().unwrap_or_else(|| json!({}));
    if !input_props.is_object() {
        bail!("The 'properties' property must be a JSON object.");
    }
    let old_props = existing
        .map(|r| r.properties.clone())
        .unwrap_or_else(|| json!({}));
    let mut props = json!({});
    let kind_path: Vec<&str> = id.kind.segments.to_vec();
    let given = Given {
        input: &input_props,
        old: &old_props,
    };
    let mut keys = existing.and_then(|r| r.keys.clone());
    let mut location = body
        .get("location")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| existing.and_then(|r| r.location.clone()));
    let mut sku = body
        .get("sku")
        .cloned()
        .or_else(|| existing.and_then(|r| r.sku.clone()));
    match kind_path.as_slice() {
        ["namespaces"] => {
            if location.is_none() {
                bail!("The 'location' property is required for a Relay namespace.");
            }
            sku = Some(namespace_sku(sku.as_ref())?);
            namespace_properties(&mut props, &given, id, relay_endpoint, &now);
        }
        ["namespaces", "HybridConnections"] => {
            props["createdAt"] = old_props.get("createdAt").cloned().unwrap_or(json!(now));
            props["updatedAt"] = json!(now);
            props["listenerCount"] = json!(0);
            props["requiresClientAuthorization"] =
                given.boolean("requiresClientAuthorization", true)?;
            if let Some(m) = given.string("userMetadata") {
                props["userMetadata"] = user_metadata(m)?;
            }
            location = None;
        }
        ["namespaces", "WcfRelays"] => {
            wcf_relay_properties(&mut props, &given, &now)?;
            location = None;
        }
        [.., "AuthorizationRules"] => {
            let rights = input_props
                .get("rights")
                .cloned()
                .or_else(|| old_props.get("rights").cloned())
                .unwrap_or(Value::Null);
            props["rights"] = json!(validate_rights(&rights)?);
            if keys.is_none() {
                keys = Some(SasKeys {
                    primary: new_sas_key(),
                    secondary: new_sas_key(),
                });
            }
            location = None;
        }
        _ => {
            // Tracked resources we only store (identities, SignalR, VMs): keep what was given,
            // with Azure's read-only provisioning state.
            if id.kind.tracked && location.is_none() {
                bail!(
                    "The 'location' property is required for a resource of type '{}'.",
                    id.kind.type_name
                );
            }
            props = old_props;
            if let (Some(p), Some(i)) = (props.as_object_mut(), input_props.as_object()) {
                for (k, v) in i {
                    p.insert(k.clone(), v.clone());
                }
            }
            props["provisioningState"] = json!("Succeeded");
        }
    }
    Ok(Resource {
        id: canonical_id,
        name: id.name().to_string(),
        type_name: id.kind.type_name.to_string(),
        location,
        tags: body
            .get("tags")
            .cloned()
            .or_else(|| existing.and_then(|r| r.tags.clone())),
        sku,
        identity: body
            .get("identity")
            .cloned()
            .or_else(|| existing.and_then(|r| r.identity.clone())),
        properties: props,
        keys,
        created_at: existing
            .map(|r| r.created_at.clone())
            .unwrap_or_else(|| now.clone()),
        updated_at: now,
        created_by: existing
            .and_then(|r| r.created_by.clone())
            .or_else(|| created_by.map(str::to_string)),
    })
}

/// A PUT's properties over the stored ones: what was given wins, what was not keeps its value.
struct Given<'a> {
    input: &'a Value,
    old: &'a Value,
}

impl Given<'_> {
    fn string(&self, k: &str) -> Option<Value> {
        self.input.get(k).or_else(|| self.old.get(k)).cloned()
    }

    fn boolean(&self, k: &str, default: bool) -> Result<Value> {
        match self.input.get(k).or_else(|| self.old.get(k)) {
            None | Some(Value::Null) => Ok(json!(default)),
            Some(Value::Bool(b)) => Ok(json!(b)),
            Some(other) => bail!("The property '{k}' must be true or false, not {other}."),
        }
    }
}

/// `userMetadata` is a string of at most 1,024 characters (Azure's limit for Relay entities).
fn user_metadata(m: Value) -> Result<Value> {
    match m.as_str() {
        Some(text) if text.chars().count() <= 1024 => Ok(m),
        Some(text) => bail!(
            "The property 'userMetadata' has {} characters: at most 1024 are allowed.",
            text.chars().count()
        ),
        None if m.is_null() => Ok(m),
        None => bail!("The property 'userMetadata' must be a string."),
    }
}

/// Relay namespaces have one SKU: Standard.
fn namespace_sku(sku: Option<&Value>) -> Result<Value> {
    let tier = sku
        .and_then(|s| s.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("Standard");
    if !tier.eq_ignore_ascii_case("Standard") {
        bail!("The SKU '{tier}' is not supported: Azure Relay namespaces use the 'Standard' SKU.");
    }
    Ok(json!({"name": "Standard", "tier": "Standard"}))
}

/// A namespace's properties as Azure answers them (read-only ones set here).
fn namespace_properties(
    props: &mut Value,
    given: &Given,
    id: &ResourceId,
    relay_endpoint: Option<&str>,
    now: &str,
) {
    props["provisioningState"] = json!("Succeeded");
    props["status"] = json!("Active");
    props["createdAt"] = given.old.get("createdAt").cloned().unwrap_or(json!(now));
    props["updatedAt"] = json!(now);
    props["serviceBusEndpoint"] = json!(relay_endpoint.unwrap_or_default());
    props["metricId"] = json!(format!("{}:{}", id.subscription, id.name()));
    props["privateEndpointConnections"] = json!([]);
    props["publicNetworkAccess"] = given
        .string("publicNetworkAccess")
        .unwrap_or(json!("Enabled"));
    props["minimumTlsVersion"] = given.string("minimumTlsVersion").unwrap_or(json!("1.2"));
}

/// A WCF relay's properties: its relay type (NetTcp or Http) and security flags.
fn wcf_relay_properties(props: &mut Value, given: &Given, now: &str) -> Result<()> {
    props["createdAt"] = given.old.get("createdAt").cloned().unwrap_or(json!(now));
    props["updatedAt"] = json!(now);
    props["listenerCount"] = json!(0);
    props["isDynamic"] = json!(false);
    let relay_type = given.string("relayType").unwrap_or(json!("NetTcp"));
    match relay_type.as_str() {
        Some("NetTcp") | Some("Http") => {}
        _ => bail!("The property 'relayType' must be 'NetTcp' or 'Http', not {relay_type}."),
    }
    props["relayType"] = relay_type;
    props["requiresClientAuthorization"] = given.boolean("requiresClientAuthorization", true)?;
    props["requiresTransportSecurity"] = given.boolean("requiresTransportSecurity", true)?;
    if let Some(m) = given.string("userMetadata") {
        props["userMetadata"] = user_metadata(m)?;
    }
    Ok(())
}
