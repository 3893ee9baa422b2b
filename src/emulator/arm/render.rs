//! ARM response bodies, in Azure's shapes (see the official examples in `shared/fixtures`).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use serde_json::{Value, json};

use super::{Request, arm_error, paged, paged_value};
use crate::emulator::Shared;
use crate::emulator::resources::{self, ResourceId};
use crate::emulator::world::{ManagedIdentity, Resource, World};

/// `GET /metadata/endpoints`: what `az cloud register --endpoint-resource-manager` and other
/// clients read to discover a cloud.
pub fn cloud_metadata(shared: &Shared) -> Response {
    let e = &shared.endpoints;
    Json(json!({
        "name": "RelayExplorerEmulator",
        "galleryEndpoint": e.resource_manager,
        "graphEndpoint": e.graph,
        "graph": e.graph,
        "graphAudience": "https://graph.microsoft.com",
        "microsoftGraphResourceId": format!("{}/", e.graph),
        "portalEndpoint": e.resource_manager,
        "portal": e.resource_manager,
        "resourceManager": e.resource_manager,
        "authentication": {
            "loginEndpoint": e.authority,
            "audiences": ["https://management.core.windows.net/", "https://management.azure.com/"],
            "tenant": "common",
            "identityProvider": "AAD",
        },
        "suffixes": {
            "relayEndpoint": e.host,
            "keyVaultDns": "vault.azure.net",
            "storage": "core.windows.net",
        },
    }))
    .into_response()
}

pub fn tenants(shared: &Shared, req: &Request) -> Response {
    let world = shared.world.lock();
    let t = &world.tenant;
    let item = json!({
        "id": format!("/tenants/{}", t.id),
        "tenantId": t.id,
        "tenantCategory": "Home",
        "country": "United States",
        "countryCode": t.country_code,
        "displayName": t.display_name,
        "domains": [t.default_domain],
        "defaultDomain": t.default_domain,
        "tenantType": "AAD",
    });
    drop(world);
    paged(shared, req, vec![item])
}

fn subscription_json(world: &World, sub: &crate::emulator::world::Subscription) -> Value {
    json!({
        "id": format!("/subscriptions/{}", sub.subscription_id),
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
        "subscriptionId": sub.subscription_id,
        "tenantId": world.tenant.id,
        "displayName": sub.display_name,
        "state": sub.state,
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": "PayAsYouGo_2014-09-01",
            "spendingLimit": "Off",
        },
    })
}

/// Subscriptions where the caller holds some role assignment at, above or below the
/// subscription (what makes a subscription show up in Azure's list).
pub fn subscriptions(shared: &Shared, req: &Request) -> Response {
    let world = shared.world.lock();
    let items: Vec<Value> = world
        .subscriptions
        .iter()
        .filter(|s| {
            world.has_any_access_at_or_below(
                &req.caller.object_id,
                &format!("/subscriptions/{}", s.subscription_id),
            )
        })
        .map(|s| subscription_json(&world, s))
        .collect();
    drop(world);
    let count = items.len();
    let mut body = paged_value(shared, req, items);
    body["count"] = json!({"type": "Total", "value": count});
    Json(body).into_response()
}

pub fn subscription(shared: &Shared, req: &Request, sub: &str) -> Response {
    let world = shared.world.lock();
    let scope = format!("/subscriptions/{sub}");
    if !world.has_any_access_at_or_below(&req.caller.object_id, &scope) {
        return super::forbidden(
            &req.caller,
            "Microsoft.Resources/subscriptions/read",
            &scope,
        );
    }
    match world.subscription(sub) {
        Some(s) => Json(subscription_json(&world, s)).into_response(),
        None => arm_error(
            StatusCode::NOT_FOUND,
            "SubscriptionNotFound",
            &format!("The subscription '{sub}' could not be found."),
        ),
    }
}

pub fn locations(shared: &Shared, req: &Request, sub: &str) -> Response {
    let items = [
        ("westeurope", "West Europe"),
        ("northeurope", "North Europe"),
        ("eastus", "East US"),
        ("westus2", "West US 2"),
    ]
    .iter()
    .map(|(name, display)| {
        json!({
            "id": format!("/subscriptions/{sub}/locations/{name}"),
            "name": name,
            "displayName": display,
            "regionalDisplayName": format!("(Emulator) {display}"),
            "type": "Region",
        })
    })
    .collect();
    paged(shared, req, items)
}

pub fn provider_registration(req: &Request, sub: &str, rp: &str) -> Response {
    if resources::api_versions(rp).is_empty() {
        return arm_error(
            StatusCode::NOT_FOUND,
            "InvalidResourceNamespace",
            &format!("The resource namespace '{rp}' is invalid."),
        );
    }
    let _ = req;
    Json(provider_value(sub, rp)).into_response()
}

/// A provider as `GET /subscriptions/{s}/providers/{namespace}` shows it, registered.
pub fn provider_value(sub: &str, rp: &str) -> Value {
    let canonical = resources::KINDS
        .iter()
        .find(|k| k.provider.eq_ignore_ascii_case(rp))
        .map(|k| k.provider)
        .unwrap_or(rp);
    json!({
        "id": format!("/subscriptions/{sub}/providers/{canonical}"),
        "namespace": canonical,
        "registrationState": "Registered",
        "registrationPolicy": "RegistrationRequired",
        "resourceTypes": resources::KINDS
            .iter()
            .filter(|k| k.provider == canonical)
            .map(|k| json!({"resourceType": k.segments.join("/"), "apiVersions": resources::api_versions(canonical)}))
            .collect::<Vec<_>>(),
    })
}

pub fn relay_operations() -> Response {
    let op = |name: &str, op: &str, resource: &str, description: &str, data: bool| {
        json!({
            "name": name,
            "isDataAction": data,
            "display": {"provider": "Microsoft Azure Relay", "resource": resource, "operation": op, "description": description},
            "origin": "user,system",
        })
    };
    Json(json!({"value": [
        op("Microsoft.Relay/namespaces/read", "Get Namespace Resource", "Namespace", "Get the list of Namespace Resource Description", false),
        op("Microsoft.Relay/namespaces/write", "Create Or Update Namespace", "Namespace", "Create a Namespace Resource and Update its properties.", false),
        op("Microsoft.Relay/namespaces/Delete", "Delete Namespace", "Namespace", "Delete Namespace Resource", false),
        op("Microsoft.Relay/namespaces/authorizationRules/listkeys/action", "List Namespace Authorization Rule Keys", "AuthorizationRules", "Get the Connection String to Namespace", false),
        op("Microsoft.Relay/namespaces/HybridConnections/read", "Get HybridConnection", "HybridConnections", "Get list of HybridConnection Resource Descriptions", false),
        op("Microsoft.Relay/namespaces/HybridConnections/write", "Create or Update HybridConnection", "HybridConnections", "Create or Update HybridConnection properties.", false),
        op("Microsoft.Relay/namespaces/messages/send/action", "Send messages", "Messages", "Send messages", true),
        op("Microsoft.Relay/namespaces/messages/listen/action", "Receive messages", "Messages", "Receive messages", true),
    ]}))
    .into_response()
}

pub fn resource_group(r: &Resource) -> Value {
    let mut v = json!({
        "id": r.id,
        "name": r.name,
        "type": resources::RESOURCE_GROUP_TYPE,
        "location": r.location,
        "properties": {"provisioningState": "Succeeded"},
    });
    if let Some(tags) = &r.tags {
        v["tags"] = tags.clone();
    }
    v
}

fn created_by_type(world: &World, oid: &str) -> &'static str {
    match world.principal_kind(oid) {
        Some(crate::emulator::world::PrincipalKind::User) => "User",
        Some(crate::emulator::world::PrincipalKind::ManagedIdentity) => "ManagedIdentity",
        _ => "Application",
    }
}

/// A resource as ARM returns it, with live values (listener counts) filled in.
/// The `type` a resource shows, as Azure answers it: Relay's children in lower case (so the
/// Azure SDK team recorded them: `Microsoft.Relay/namespaces/hybridconnections`), the rest as kept.
fn shown_type(type_name: &str) -> &str {
    match type_name {
        "Microsoft.Relay/Namespaces/HybridConnections" => {
            "Microsoft.Relay/namespaces/hybridconnections"
        }
        "Microsoft.Relay/Namespaces/HybridConnections/AuthorizationRules" => {
            "Microsoft.Relay/namespaces/hybridconnections/authorizationrules"
        }
        "Microsoft.Relay/WcfRelays" => "Microsoft.Relay/namespaces/wcfrelays",
        t => t,
    }
}

/// A Relay child's location: its namespace's, in the short form (`eastus2`), as Azure shows it.
fn relay_child_location(world: &World, r: &Resource) -> Option<String> {
    let lower = r.id.to_ascii_lowercase();
    let at = lower.find("/providers/microsoft.relay/namespaces/")?;
    let rest = &r.id[at + "/providers/microsoft.relay/namespaces/".len()..];
    let (name, child) = rest.split_once('/')?;
    if child.is_empty() {
        return None;
    }
    let ns_id = format!(
        "{}{name}",
        &r.id[..at + "/providers/microsoft.relay/namespaces/".len()]
    );
    let location = world.resource(&ns_id)?.location.clone()?;
    Some(location.to_ascii_lowercase().replace(' ', ""))
}

pub fn resource(shared: &Shared, world: &World, r: &Resource, api_version: &str) -> Value {
    let mut v = json!({"id": r.id, "name": r.name, "type": shown_type(&r.type_name)});
    if let Some(l) = r
        .location
        .clone()
        .or_else(|| relay_child_location(world, r))
    {
        v["location"] = json!(l);
    }
    if let Some(t) = &r.tags {
        v["tags"] = t.clone();
    }
    if let Some(s) = &r.sku {
        v["sku"] = s.clone();
    }
    if let Some(i) = &r.identity {
        v["identity"] = i.clone();
    }
    let mut props = r.properties.clone();
    if props.get("listenerCount").is_some() {
        props["listenerCount"] = json!(shared.listener_count(&r.id));
    }
    if r.type_name == "Microsoft.Relay/Namespaces"
        && api_version < "2026-01-01"
        && let Some(p) = props.as_object_mut()
    {
        p.remove("minimumTlsVersion");
    }
    v["properties"] = props;
    if let Some(by) = &r.created_by {
        let kind = created_by_type(world, by);
        v["systemData"] = json!({
            "createdBy": by, "createdByType": kind, "createdAt": r.created_at,
            "lastModifiedBy": by, "lastModifiedByType": kind, "lastModifiedAt": r.updated_at,
        });
    }
    v
}

/// A new user-assigned identity gets a service principal in the directory, as in Azure.
pub fn attach_identity(world: &mut World, built: &mut Resource, existing: Option<&Resource>) {
    let (client_id, object_id) = match existing {
        Some(e) => (
            e.properties["clientId"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            e.properties["principalId"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        ),
        None => (
            uuid::Uuid::new_v4().to_string(),
            uuid::Uuid::new_v4().to_string(),
        ),
    };
    built.properties["tenantId"] = json!(world.tenant.id);
    built.properties["clientId"] = json!(client_id);
    built.properties["principalId"] = json!(object_id);
    if built.properties.get("isolationScope").is_none() {
        built.properties["isolationScope"] = json!("None");
    }
    if !world
        .managed_identities
        .iter()
        .any(|m| m.object_id.eq_ignore_ascii_case(&object_id))
    {
        world.managed_identities.push(ManagedIdentity {
            display_name: built.name.clone(),
            client_id,
            object_id,
            resource_id: built.id.clone(),
            user_assigned: true,
        });
    }
}

/// `listKeys` / `regenerateKeys`: keys and connection strings (entity rules carry `EntityPath`).
pub fn access_keys(world: &World, id: &ResourceId, rule: &Resource) -> Value {
    let namespace_id = format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Relay/namespaces/{}",
        id.subscription, id.resource_group, id.names[0]
    );
    let endpoint = world
        .resource(&namespace_id)
        .and_then(|n| n.properties["serviceBusEndpoint"].as_str())
        .and_then(|e| url::Url::parse(e).ok())
        .map(|u| {
            format!(
                "sb://{}:{}/",
                u.host_str().unwrap_or("localhost"),
                u.port_or_known_default().unwrap_or(443)
            )
        })
        .unwrap_or_default();
    let entity = if id.names.len() == 3 {
        format!(";EntityPath={}", id.names[1])
    } else {
        String::new()
    };
    let keys = rule
        .keys
        .clone()
        .unwrap_or(crate::emulator::world::SasKeys {
            primary: String::new(),
            secondary: String::new(),
        });
    let cs = |key: &str| {
        format!(
            "Endpoint={endpoint};SharedAccessKeyName={};SharedAccessKey={key}{entity}",
            rule.name
        )
    };
    json!({
        "primaryConnectionString": cs(&keys.primary),
        "secondaryConnectionString": cs(&keys.secondary),
        "primaryKey": keys.primary,
        "secondaryKey": keys.secondary,
        "keyName": rule.name,
    })
}
