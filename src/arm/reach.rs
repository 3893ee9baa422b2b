//! What one principal may reach in a namespace ("view as"): for every hybrid connection and
//! WCF relay, whether it may listen and send, evaluated at once from the namespace's role and
//! deny assignments (which ARM lists at, above and below the namespace) — the same evaluation as
//! a single check, in a handful of requests whatever the number of entities.

use anyhow::Context as _;
use serde::Serialize;

use super::access::{action_type, actionable, resolve_principal};
use super::graph::GraphClient;
use super::{ArmClient, RELAY_API};
use crate::access::explain::{self, Ask, Entity};

/// One entity's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reach {
    pub id: String,
    pub name: String,
    pub listen: bool,
    pub send: bool,
    /// A deny assignment or a role's NotDataActions takes it away (else nothing grants it).
    pub listen_blocked: bool,
    pub send_blocked: bool,
    /// Sending is open to anyone (the entity does not require client authorisation).
    pub anonymous_send: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct NamespaceReach {
    pub namespace: String,
    pub object_id: String,
    pub display_name: Option<String>,
    pub entities: Vec<Reach>,
}

/// Evaluates Listen and Send for `who` on every entity of the namespace `namespace_id`.
pub async fn namespace_reach(
    arm: &ArmClient,
    graph: &GraphClient,
    namespace_id: &str,
    who: &str,
) -> anyhow::Result<NamespaceReach> {
    let namespace_id = namespace_id.trim_end_matches('/');
    let (object_id, _) = resolve_principal(graph, who).await?;
    let (rbac, hcs, wcf, groups, found) = tokio::join!(
        arm.rbac_at(namespace_id),
        arm.list(format!("{namespace_id}/hybridConnections"), RELAY_API),
        arm.list(format!("{namespace_id}/wcfRelays"), RELAY_API),
        graph.transitive_groups(&object_id),
        graph.principals(std::slice::from_ref(&object_id)),
    );
    let rbac = rbac.map_err(|e| actionable(&e))?;
    let mut resources = hcs.map_err(|e| actionable(&e))?;
    // A namespace without WCF relays may not offer the collection.
    resources.extend(wcf.unwrap_or_default());
    let groups: Vec<String> = groups
        .context("reading the principal's groups")?
        .into_iter()
        .map(|g| g.id)
        .collect();
    let snapshot = crate::access::Snapshot {
        definitions: &rbac.definitions,
        assignments: &rbac.assignments,
        deny_assignments: &rbac.deny_assignments,
    };
    let subject = crate::access::Subject {
        principal_id: &object_id,
        groups: &groups,
    };
    let entities = resources
        .iter()
        .map(|r| {
            let entity = Entity {
                id: r["id"].as_str().unwrap_or_default().to_string(),
                action_type: action_type(r["type"].as_str().unwrap_or_default()),
                requires_client_authorization: r["properties"]["requiresClientAuthorization"]
                    .as_bool(),
                // A principal holds no SAS rule: only Azure RBAC (and anonymous sending) counts.
                sas_rules: Vec::new(),
            };
            let may = |ask: Ask| {
                let e =
                    explain::explain(&snapshot, &subject, &rbac.management_groups, &entity, &ask);
                (e.allowed, !e.blocked_by.is_empty())
            };
            let ((listen, listen_blocked), (send, send_blocked)) =
                (may(Ask::Listen), may(Ask::Send));
            Reach {
                name: r["name"].as_str().unwrap_or_default().to_string(),
                listen,
                send,
                listen_blocked,
                send_blocked,
                anonymous_send: entity.requires_client_authorization == Some(false),
                id: entity.id,
            }
        })
        .collect();
    Ok(NamespaceReach {
        namespace: namespace_id.to_string(),
        display_name: found
            .ok()
            .and_then(|f| f.into_iter().next())
            .map(|p| p.display_name),
        object_id,
        entities,
    })
}
