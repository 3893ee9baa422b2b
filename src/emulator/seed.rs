//! The world file: a readable description of a fictional company's tenant and Azure estate,
//! turned into a [`World`] the first time a state folder is used. Resources go through the same
//! code as ARM PUTs, so the seeded world and a world built by clients look alike.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use serde_json::Value;

use super::resources::{self, ResourceId};
use super::state;
use super::world::*;
use crate::access::{DenyAssignment, PrincipalType, RoleAssignment, RoleDefinition};

/// The built-in demo world (`assets/demo-world.json`).
pub const DEMO_WORLD: &str = include_str!("../../assets/demo-world.json");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Seed {
    tenant: Tenant,
    #[serde(default)]
    users: Vec<User>,
    #[serde(default)]
    groups: Vec<Group>,
    #[serde(default)]
    applications: Vec<Application>,
    #[serde(default)]
    managed_identities: Vec<ManagedIdentity>,
    #[serde(default)]
    management_groups: Vec<ManagementGroup>,
    subscriptions: Vec<Subscription>,
    #[serde(default)]
    resources: Vec<SeedResource>,
    #[serde(default)]
    custom_roles: Vec<RoleDefinition>,
    #[serde(default)]
    role_assignments: Vec<SeedAssignment>,
    #[serde(default)]
    deny_assignments: Vec<DenyAssignment>,
    admin_client_id: String,
    identity_host: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedResource {
    id: String,
    #[serde(default)]
    location: Option<String>,
    #[serde(default)]
    tags: Option<Value>,
    #[serde(default)]
    sku: Option<Value>,
    #[serde(default)]
    identity: Option<Value>,
    #[serde(default)]
    properties: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedAssignment {
    name: String,
    scope: String,
    /// A role name ("Azure Relay Listener") or a role definition GUID.
    role: String,
    principal_id: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    condition: Option<String>,
    /// An age for the assignment, to show propagation warnings (e.g. "2m").
    #[serde(default)]
    created_minutes_ago: Option<i64>,
}

/// The demo world plus a resource group `rg-bulk` holding `namespaces` Relay namespaces of
/// `per_namespace` hybrid connections each (every third one accepting anonymous senders): a
/// world file for scale tests and benchmarks.
pub fn bulk_demo_world(namespaces: usize, per_namespace: usize) -> String {
    let mut world: Value = serde_json::from_str(DEMO_WORLD).expect("the demo world is valid JSON");
    let sub = world["subscriptions"][0]["subscription_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let rg = format!("/subscriptions/{sub}/resourceGroups/rg-bulk");
    if let Some(resources) = world["resources"].as_array_mut() {
        resources.push(serde_json::json!({"id": rg, "location": "westeurope"}));
        for n in 0..namespaces {
            let ns = format!("{rg}/providers/Microsoft.Relay/namespaces/bulk-namespace-{n:03}");
            resources.push(serde_json::json!({"id": ns, "location": "westeurope"}));
            for h in 0..per_namespace {
                resources.push(serde_json::json!({
                    "id": format!("{ns}/hybridConnections/hc-{h:02}"),
                    "properties": {"requiresClientAuthorization": h % 3 != 0},
                }));
            }
        }
    }
    world.to_string()
}

/// Loads the world of a state folder, or seeds it from `world_file` (or the demo world).
pub fn load_or_seed(state_dir: &Path, world_file: Option<&Path>) -> Result<World> {
    let path = state_dir.join(state::WORLD_FILE);
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading the emulator state {}", path.display()))?;
        return state_from_text(&text).with_context(|| {
            format!(
                "the emulator state {} is damaged; it was left as it is: move it away to start from the world file again",
                path.display()
            )
        });
    }
    let (text, name) = match world_file {
        Some(f) => (
            std::fs::read_to_string(f)
                .with_context(|| format!("reading the world file {}", f.display()))?,
            f.display().to_string(),
        ),
        None => (
            DEMO_WORLD.to_string(),
            "the built-in demo world".to_string(),
        ),
    };
    from_text(&text).with_context(|| format!("{name} is not a valid world file"))
}

/// The world as the state folder keeps it. Every top-level key the emulator writes must be there
/// and no other: a renamed or missing key is damage to report, never a part of the world to
/// silently start empty (and then overwrite).
fn state_from_text(text: &str) -> Result<World> {
    let value: Value = serde_json::from_str(text)?;
    let Some(found) = value.as_object() else {
        anyhow::bail!("it is not a JSON object");
    };
    // Missing keys with a default deserialise fine: the keys this world is written with are the
    // ones that must be there.
    let world: World = serde_json::from_value(value.clone())?;
    let written = serde_json::to_value(&world)?;
    let expected: Vec<&String> = written
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    let unknown: Vec<&String> = found.keys().filter(|k| !expected.contains(k)).collect();
    let missing: Vec<&String> = expected
        .iter()
        .copied()
        .filter(|k| !found.contains_key(*k))
        .collect();
    if !unknown.is_empty() || !missing.is_empty() {
        let list = |keys: &[&String]| {
            keys.iter()
                .map(|k| format!("'{k}'"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut problems = Vec::new();
        if !unknown.is_empty() {
            problems.push(format!("unknown key(s) {}", list(&unknown)));
        }
        if !missing.is_empty() {
            problems.push(format!("missing key(s) {}", list(&missing)));
        }
        anyhow::bail!("{}", problems.join(" and "));
    }
    Ok(world)
}

/// Builds a world from a world file's text.
pub fn from_text(text: &str) -> Result<World> {
    let seed: Seed = serde_json::from_str(text)?;
    let mut world = World {
        tenant: seed.tenant,
        users: seed.users,
        groups: seed.groups,
        applications: seed.applications,
        managed_identities: seed.managed_identities,
        management_groups: seed.management_groups,
        subscriptions: seed.subscriptions,
        resources: Default::default(),
        custom_roles: seed.custom_roles,
        role_assignments: Vec::new(),
        deny_assignments: seed.deny_assignments,
        admin_client_id: seed.admin_client_id,
        identity_host: seed.identity_host,
        refresh_tokens: Default::default(),
    };
    for app in &mut world.applications {
        for secret in &mut app.client_secrets {
            if secret.is_empty() {
                *secret = resources::new_client_secret();
            }
        }
    }
    if world.application(&world.admin_client_id).is_none() {
        bail!(
            "admin_client_id '{}' names no application",
            world.admin_client_id
        );
    }
    for r in seed.resources {
        add_resource(&mut world, r)?;
    }
    let definitions = world.role_definitions();
    let now = chrono::Utc::now();
    for a in seed.role_assignments {
        let role = definitions
            .iter()
            .find(|d| {
                d.role_name.eq_ignore_ascii_case(&a.role) || d.id.eq_ignore_ascii_case(&a.role)
            })
            .with_context(|| format!("role assignment {}: no role '{}'", a.name, a.role))?;
        let principal_type = match world.principal_kind(&a.principal_id) {
            Some(PrincipalKind::User) => PrincipalType::User,
            Some(PrincipalKind::Group) => PrincipalType::Group,
            Some(PrincipalKind::ServicePrincipal | PrincipalKind::ManagedIdentity) => {
                PrincipalType::ServicePrincipal
            }
            None => bail!(
                "role assignment {}: no principal '{}'",
                a.name,
                a.principal_id
            ),
        };
        let created =
            now - chrono::Duration::minutes(a.created_minutes_ago.unwrap_or(60 * 24 * 30));
        let created = created.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        world.role_assignments.push(RoleAssignment {
            name: a.name,
            scope: a.scope,
            role_definition_id: role.id.clone(),
            principal_id: a.principal_id,
            principal_type,
            description: a.description,
            condition_version: a.condition.as_ref().map(|_| "2.0".to_string()),
            condition: a.condition,
            created_on: Some(created.clone()),
            updated_on: Some(created),
            created_by: Some(world.admin_client_id.clone()),
        });
    }
    Ok(world)
}

fn add_resource(world: &mut World, r: SeedResource) -> Result<()> {
    let parts: Vec<&str> = r.id.split('/').filter(|s| !s.is_empty()).collect();
    let mut body = serde_json::json!({});
    if let Some(l) = r.location {
        body["location"] = Value::String(l);
    }
    for (k, v) in [
        ("tags", r.tags),
        ("sku", r.sku),
        ("identity", r.identity),
        ("properties", r.properties),
    ] {
        if let Some(v) = v {
            body[k] = v;
        }
    }
    // A resource group.
    if parts.len() == 4
        && parts[0].eq_ignore_ascii_case("subscriptions")
        && parts[2].eq_ignore_ascii_case("resourceGroups")
    {
        let id = format!("/subscriptions/{}/resourceGroups/{}", parts[1], parts[3]);
        let now = resources::now_rfc3339();
        world.resources.insert(
            World::key(&id),
            Resource {
                id,
                name: parts[3].to_string(),
                type_name: resources::RESOURCE_GROUP_TYPE.to_string(),
                location: body["location"].as_str().map(str::to_string),
                tags: body.get("tags").cloned(),
                sku: None,
                identity: None,
                properties: serde_json::json!({"provisioningState": "Succeeded"}),
                keys: None,
                created_at: now.clone(),
                updated_at: now,
                created_by: None,
            },
        );
        return Ok(());
    }
    let id = ResourceId::parse(&r.id)
        .with_context(|| format!("'{}' is not an id of a known resource type", r.id))?;
    let rg = world
        .resource(&id.resource_group_id())
        .with_context(|| {
            format!(
                "'{}': its resource group is not in the world file (list it first)",
                r.id
            )
        })?
        .name
        .clone();
    let canonical = id.canonical(&rg);
    let resource = resources::build(&id, canonical.clone(), &body, None, Some(""), None)
        .with_context(|| format!("resource '{}'", r.id))?;
    world.resources.insert(World::key(&canonical), resource);
    if id.kind.segments == ["namespaces"] {
        add_default_rule(world, &canonical)?;
    }
    Ok(())
}

/// Every namespace has `RootManageSharedAccessKey` (Listen, Manage, Send) from its creation.
pub fn add_default_rule(world: &mut World, namespace_id: &str) -> Result<()> {
    let rule_id = format!("{namespace_id}/AuthorizationRules/RootManageSharedAccessKey");
    let parsed = ResourceId::parse(&rule_id).context("namespace id")?;
    let rule = resources::build(
        &parsed,
        rule_id.clone(),
        &serde_json::json!({"properties": {"rights": ["Listen", "Manage", "Send"]}}),
        None,
        None,
        None,
    )?;
    world.resources.insert(World::key(&rule_id), rule);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_damaged_state_file_is_reported_by_key_and_left_as_it_is() {
        for (from, to) in [
            ("resources", "resourcez"),
            ("deny_assignments", "deny_assignmentz"),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let world = from_text(DEMO_WORLD).unwrap();
            let path = dir.path().join(state::WORLD_FILE);
            let text = serde_json::to_string(&world)
                .unwrap()
                .replace(&format!("\"{from}\":"), &format!("\"{to}\":"));
            std::fs::write(&path, &text).unwrap();
            let e = format!("{:#}", load_or_seed(dir.path(), None).unwrap_err());
            assert!(e.contains(&path.display().to_string()), "{e}");
            assert!(e.contains(&format!("unknown key(s) '{to}'")), "{e}");
            assert!(e.contains(&format!("missing key(s) '{from}'")), "{e}");
            assert_eq!(
                std::fs::read_to_string(&path).unwrap(),
                text,
                "the file was changed"
            );
        }
        // An intact state loads.
        let dir = tempfile::tempdir().unwrap();
        let world = from_text(DEMO_WORLD).unwrap();
        std::fs::write(
            dir.path().join(state::WORLD_FILE),
            serde_json::to_string(&world).unwrap(),
        )
        .unwrap();
        assert!(load_or_seed(dir.path(), None).is_ok());
    }
    use crate::access::ActionKind;

    #[test]
    fn the_demo_world_holds_every_way_access_is_granted() {
        let w = from_text(DEMO_WORLD).unwrap();
        let ns = w
            .resources
            .values()
            .filter(|r| r.type_name == "Microsoft.Relay/Namespaces")
            .count();
        assert_eq!(ns, 2);
        assert!(
            w.resources
                .values()
                .any(|r| r.name == "RootManageSharedAccessKey")
        );
        assert!(
            w.resources
                .values()
                .any(|r| r.type_name == "Microsoft.Relay/WcfRelays")
        );
        assert!(
            w.resources
                .values()
                .any(|r| r.type_name == "Microsoft.SignalRService/SignalR")
        );
        assert!(
            w.resources
                .values()
                .any(|r| r.properties["requiresClientAuthorization"] == false)
        );
        // a group nested in another
        assert!(w.groups.iter().any(|g| {
            g.members
                .iter()
                .any(|m| w.groups.iter().any(|h| &h.object_id == m))
        }));
        assert!(!w.custom_roles.is_empty());
        assert!(!w.deny_assignments.is_empty());
        // an app with no role at all
        assert!(w.applications.iter().any(|a| {
            !a.public_client
                && !w
                    .role_assignments
                    .iter()
                    .any(|r| r.principal_id == a.object_id)
        }));
        // secrets were generated
        assert!(
            w.applications
                .iter()
                .filter(|a| !a.public_client)
                .all(|a| a.client_secrets.iter().all(|s| s.len() >= 30))
        );
        // the admin is Owner of the subscription
        let sub = format!("/subscriptions/{}", w.subscriptions[0].subscription_id);
        let admin = w.application(&w.admin_client_id).unwrap().object_id.clone();
        assert!(
            w.check(
                &admin,
                &sub,
                "Microsoft.Authorization/roleAssignments/write",
                ActionKind::Action
            )
            .allowed
        );
    }
}
