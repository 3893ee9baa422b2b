//! The browse tree: subscriptions → resource groups → Relay namespaces → hybrid connections and
//! WCF relays (→ SAS rules, role assignments when asked), loaded with bounded concurrency.

use futures::future::try_join_all;
use serde::Serialize;
use serde_json::Value;

use super::{AUTHORIZATION_API, ArmClient, ArmError, RELAY_API, RESOURCES_API};

/// One node of the tree, flat (its place is in its `id`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Node {
    pub id: String,
    #[serde(rename = "type")]
    pub type_name: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_bus_endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requires_client_authorization: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listener_count: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relay_type: Option<String>,
    /// A WCF relay's `requiresTransportSecurity`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requires_transport_security: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_metadata: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rights: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_definition_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal_type: Option<String>,
    /// The role's name, when the definitions could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_name: Option<String>,
    /// The principal's display name (from Graph), when it could be resolved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// For a role assignment made above the listed scope: that scope (it is inherited).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inherited_from: Option<String>,
    /// Where the node is shown (role assignments: under the scope they reach).
    #[serde(skip)]
    shown_under: Option<String>,
}

impl Node {
    fn from_arm(v: &Value) -> Self {
        let p = &v["properties"];
        let s = |x: &Value| x.as_str().map(str::to_string);
        Self {
            id: s(&v["id"]).unwrap_or_default(),
            type_name: s(&v["type"]).unwrap_or_default(),
            name: s(&v["name"]).unwrap_or_default(),
            display_name: s(&v["displayName"]),
            location: s(&v["location"]),
            service_bus_endpoint: s(&p["serviceBusEndpoint"]),
            requires_client_authorization: p["requiresClientAuthorization"].as_bool(),
            listener_count: p["listenerCount"].as_u64(),
            relay_type: s(&p["relayType"]),
            requires_transport_security: p["requiresTransportSecurity"].as_bool(),
            user_metadata: s(&p["userMetadata"]),
            rights: p["rights"].as_array().map(|r| {
                r.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            }),
            role_definition_id: s(&p["roleDefinitionId"]),
            principal_id: s(&p["principalId"]),
            principal_type: s(&p["principalType"]),
            principal_name: None,
            role_name: None,
            scope: s(&p["scope"]),
            inherited_from: None,
            shown_under: None,
        }
    }

    /// A node from any ARM resource body.
    pub fn from_value(v: &Value) -> Self {
        Self::from_arm(v)
    }

    fn is_role_assignment(&self) -> bool {
        self.type_name
            .eq_ignore_ascii_case("Microsoft.Authorization/roleAssignments")
    }

    /// The scope a role assignment is shown under.
    fn anchor(&self) -> &str {
        self.shown_under
            .as_deref()
            .or(self.scope.as_deref())
            .unwrap_or("")
    }

    /// How deep the node sits (subscription 0, group 1, namespace 2, entity 3, entity rule 4).
    pub fn depth(&self) -> usize {
        let id = if self.is_role_assignment() {
            self.anchor()
        } else {
            self.id.as_str()
        };
        let parts = id.split('/').filter(|s| !s.is_empty()).count();
        let own = match parts {
            0..=2 => 0,
            3..=7 => 1,
            n => (n - 8) / 2 + 2,
        };
        own + usize::from(self.is_role_assignment())
    }

    /// The key that orders a tree depth-first (parents before children).
    fn order_key(&self) -> Vec<String> {
        let id = if self.is_role_assignment() {
            format!("{}/~roleassignments/{}", self.anchor(), self.name)
        } else {
            self.id.clone()
        };
        id.split('/')
            .filter(|s| !s.is_empty())
            .map(|s| s.to_ascii_lowercase())
            .collect()
    }
}

/// Names an assignment's role (from `names`, GUID → name) and, when it was made above `root`,
/// says where it is inherited from.
fn place(a: &mut Node, names: &[(String, String)], root: &str) {
    let guid = a
        .role_definition_id
        .as_deref()
        .unwrap_or("")
        .rsplit('/')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    a.role_name = names
        .iter()
        .find(|(g, _)| *g == guid)
        .map(|(_, n)| n.clone());
    let scope = a.scope.clone().unwrap_or_default();
    if !crate::access::is_same_or_below(&scope, root) {
        a.inherited_from = Some(scope);
        a.shown_under = Some(root.to_string());
    }
}

/// What to load besides the entities.
#[derive(Debug, Clone, Copy, Default)]
pub struct Include {
    pub rules: bool,
    pub role_assignments: bool,
}

/// A scope the tree can start from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Subscription(String),
    ResourceGroup { subscription: String, group: String },
    Namespace(String),
    Entity(String),
}

impl Scope {
    /// Parses an ARM id, saying what is wrong with one it cannot use.
    pub fn parse(id: &str) -> Result<Self, String> {
        let parts: Vec<&str> = id.split('/').filter(|s| !s.is_empty()).collect();
        let eq = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
        match parts.as_slice() {
            [] => Ok(Scope::All),
            [s, sub] if eq(s, "subscriptions") => Ok(Scope::Subscription(sub.to_string())),
            [s, sub, g, rg] if eq(s, "subscriptions") && eq(g, "resourceGroups") => {
                Ok(Scope::ResourceGroup {
                    subscription: sub.to_string(),
                    group: rg.to_string(),
                })
            }
            [s, _, g, _, p, rp, n, _]
                if eq(s, "subscriptions")
                    && eq(g, "resourceGroups")
                    && eq(p, "providers")
                    && eq(rp, "Microsoft.Relay")
                    && eq(n, "namespaces") =>
            {
                Ok(Scope::Namespace(format!("/{}", parts.join("/"))))
            }
            [s, _, g, _, p, rp, n, _, kind, _]
                if eq(s, "subscriptions")
                    && eq(g, "resourceGroups")
                    && eq(p, "providers")
                    && eq(rp, "Microsoft.Relay")
                    && eq(n, "namespaces")
                    && (eq(kind, "hybridConnections") || eq(kind, "wcfRelays")) =>
            {
                Ok(Scope::Entity(format!("/{}", parts.join("/"))))
            }
            _ => Err(format!(
                "'{id}' is not a scope to list: give a subscription (/subscriptions/ID), a resource group, a Relay namespace or a hybrid connection / WCF relay id"
            )),
        }
    }
}

fn subscription_node(v: &Value) -> Node {
    let mut n = Node::from_arm(v);
    n.type_name = "Microsoft.Resources/subscriptions".into();
    n.name = v["subscriptionId"].as_str().unwrap_or_default().to_string();
    n
}

async fn namespace_children(
    client: &ArmClient,
    namespace_id: &str,
    include: Include,
) -> Result<Vec<Node>, ArmError> {
    let hcs = client.list(format!("{namespace_id}/hybridConnections"), RELAY_API);
    let wcf = client.list(format!("{namespace_id}/wcfRelays"), RELAY_API);
    let rules = async {
        if include.rules {
            client
                .list(format!("{namespace_id}/authorizationRules"), RELAY_API)
                .await
        } else {
            Ok(Vec::new())
        }
    };
    let (hcs, wcf, rules) = tokio::try_join!(hcs, wcf, rules)?;
    let mut nodes: Vec<Node> = hcs
        .iter()
        .chain(&wcf)
        .chain(&rules)
        .map(Node::from_arm)
        .collect();
    if include.rules {
        let entity_ids: Vec<String> = hcs
            .iter()
            .chain(&wcf)
            .filter_map(|e| e["id"].as_str().map(str::to_string))
            .collect();
        let entity_rules = try_join_all(
            entity_ids
                .iter()
                .map(|id| client.list(format!("{id}/authorizationRules"), RELAY_API)),
        )
        .await?;
        nodes.extend(entity_rules.iter().flatten().map(Node::from_arm));
    }
    Ok(nodes)
}

impl ArmClient {
    /// A list the caller may not be allowed to read as a whole: a refusal leaves that branch
    /// empty (and says so) instead of failing the whole tree.
    async fn list_visible(&self, path: String, api: &str) -> Result<Vec<Value>, ArmError> {
        match self.list(&path, api).await {
            Err(ArmError::Service {
                status: 403,
                message,
                ..
            }) => {
                tracing::warn!("skipped a branch the credential may not read: {message}");
                Ok(Vec::new())
            }
            other => other,
        }
    }

    /// Subscriptions the credential can see.
    pub async fn subscriptions(&self) -> Result<Vec<Node>, ArmError> {
        Ok(self
            .list("/subscriptions", RESOURCES_API)
            .await?
            .iter()
            .map(subscription_node)
            .collect())
    }

    async fn subscription_tree(
        &self,
        sub: &str,
        group: Option<&str>,
        include: Include,
    ) -> Result<Vec<Node>, ArmError> {
        let mut nodes = Vec::new();
        match group {
            None => nodes.push(subscription_node(
                &self
                    .get(format!("/subscriptions/{sub}"), RESOURCES_API)
                    .await?,
            )),
            Some(g) => nodes.push(Node::from_arm(
                &self
                    .get(
                        format!("/subscriptions/{sub}/resourceGroups/{g}"),
                        "2021-04-01",
                    )
                    .await?,
            )),
        }
        let (groups, namespaces) = match group {
            None => tokio::try_join!(
                self.list_visible(format!("/subscriptions/{sub}/resourceGroups"), "2021-04-01"),
                self.list_visible(format!("/subscriptions/{sub}/providers/Microsoft.Relay/namespaces"), RELAY_API)
            )?,
            Some(g) => (Vec::new(), self.list(format!("/subscriptions/{sub}/resourceGroups/{g}/providers/Microsoft.Relay/namespaces"), RELAY_API).await?),
        };
        nodes.extend(groups.iter().map(Node::from_arm));
        nodes.extend(namespaces.iter().map(Node::from_arm));
        let children = try_join_all(
            namespaces
                .iter()
                .filter_map(|n| n["id"].as_str())
                .map(|id| namespace_children(self, id, include)),
        )
        .await?;
        nodes.extend(children.into_iter().flatten());
        Ok(nodes)
    }

    /// Role names by definition GUID, as seen from `scope`.
    pub async fn role_names(&self, scope: &str) -> Result<Vec<(String, String)>, ArmError> {
        let list = self
            .list(
                format!(
                    "{}/providers/Microsoft.Authorization/roleDefinitions",
                    scope.trim_end_matches('/')
                ),
                AUTHORIZATION_API,
            )
            .await?;
        Ok(list
            .iter()
            .filter_map(|d| {
                Some((
                    d["name"].as_str()?.to_ascii_lowercase(),
                    d["properties"]["roleName"].as_str()?.to_string(),
                ))
            })
            .collect())
    }

    /// The role assignments that reach `scope` (made at it or above it), with role names, and
    /// where inherited ones come from.
    pub async fn assignments_reaching(&self, scope: &str) -> Result<Vec<Node>, ArmError> {
        let (list, names) = tokio::join!(self.role_assignments(scope), self.role_names(scope));
        let names = names.unwrap_or_default();
        Ok(list?
            .into_iter()
            .filter(|a| crate::access::is_same_or_below(scope, a.scope.as_deref().unwrap_or("")))
            .map(|mut a| {
                place(&mut a, &names, scope);
                a
            })
            .collect())
    }

    /// Role assignments that reach `scope` or lie below it.
    pub async fn role_assignments(&self, scope: &str) -> Result<Vec<Node>, ArmError> {
        let list = self
            .list(
                format!(
                    "{}/providers/Microsoft.Authorization/roleAssignments",
                    scope.trim_end_matches('/')
                ),
                AUTHORIZATION_API,
            )
            .await?;
        Ok(list.iter().map(Node::from_arm).collect())
    }

    /// The tree under `scope`, depth-first.
    pub async fn tree(&self, scope: &Scope, include: Include) -> Result<Vec<Node>, ArmError> {
        let mut nodes = match scope {
            Scope::All => {
                let subs = self.subscriptions().await?;
                let ids: Vec<String> = subs.iter().map(|s| s.name.clone()).collect();
                try_join_all(ids.iter().map(|s| self.subscription_tree(s, None, include)))
                    .await?
                    .into_iter()
                    .flatten()
                    .collect()
            }
            Scope::Subscription(sub) => self.subscription_tree(sub, None, include).await?,
            Scope::ResourceGroup {
                subscription,
                group,
            } => {
                self.subscription_tree(subscription, Some(group), include)
                    .await?
            }
            Scope::Namespace(id) => {
                let mut nodes = vec![Node::from_arm(&self.get(id, RELAY_API).await?)];
                nodes.extend(namespace_children(self, id, include).await?);
                nodes
            }
            Scope::Entity(id) => {
                let mut nodes = vec![Node::from_arm(&self.get(id, RELAY_API).await?)];
                if include.rules {
                    nodes.extend(
                        self.list(format!("{id}/authorizationRules"), RELAY_API)
                            .await?
                            .iter()
                            .map(Node::from_arm),
                    );
                }
                nodes
            }
        };
        if include.role_assignments {
            let scopes: Vec<String> = match scope {
                Scope::All => nodes
                    .iter()
                    .filter(|n| n.depth() == 0)
                    .map(|n| n.id.clone())
                    .collect(),
                Scope::Subscription(s) => vec![format!("/subscriptions/{s}")],
                Scope::ResourceGroup {
                    subscription,
                    group,
                } => vec![format!(
                    "/subscriptions/{subscription}/resourceGroups/{group}"
                )],
                Scope::Namespace(id) | Scope::Entity(id) => vec![id.clone()],
            };
            let lists = try_join_all(scopes.iter().map(|s| self.role_assignments(s))).await?;
            let names = match scopes.first() {
                Some(s) => self.role_names(s).await.unwrap_or_default(),
                None => Vec::new(),
            };
            for (root, list) in scopes.iter().zip(lists) {
                for mut a in list {
                    place(&mut a, &names, root);
                    nodes.push(a);
                }
            }
        }
        nodes.sort_by_cached_key(Node::order_key);
        nodes.dedup_by(|a, b| a.id.eq_ignore_ascii_case(&b.id));
        Ok(nodes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_or_say_why_not() {
        assert_eq!(Scope::parse("").unwrap(), Scope::All);
        assert_eq!(
            Scope::parse("/subscriptions/abc").unwrap(),
            Scope::Subscription("abc".into())
        );
        assert_eq!(
            Scope::parse("/subscriptions/abc/resourcegroups/rg").unwrap(),
            Scope::ResourceGroup {
                subscription: "abc".into(),
                group: "rg".into()
            }
        );
        assert!(matches!(
            Scope::parse(
                "/subscriptions/a/resourceGroups/rg/providers/Microsoft.Relay/namespaces/ns"
            )
            .unwrap(),
            Scope::Namespace(_)
        ));
        assert!(matches!(Scope::parse("/subscriptions/a/resourceGroups/rg/providers/Microsoft.Relay/namespaces/ns/hybridConnections/hc").unwrap(), Scope::Entity(_)));
        assert!(
            Scope::parse(
                "/subscriptions/a/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/x"
            )
            .unwrap_err()
            .contains("is not a scope")
        );
    }

    #[test]
    fn the_tree_orders_parents_before_children() {
        let node =
            |id: &str| Node::from_arm(&serde_json::json!({"id": id, "type": "t", "name": "n"}));
        let mut nodes = [
            node("/subscriptions/s/resourceGroups/rg-relay-test"),
            node(
                "/subscriptions/s/resourceGroups/rg-relay/providers/Microsoft.Relay/namespaces/ns/HybridConnections/a",
            ),
            node("/subscriptions/s/resourceGroups/rg-relay"),
            node(
                "/subscriptions/s/resourceGroups/rg-relay/providers/Microsoft.Relay/namespaces/ns",
            ),
        ];
        nodes.sort_by_cached_key(Node::order_key);
        let depths: Vec<usize> = nodes.iter().map(Node::depth).collect();
        assert_eq!(depths, vec![1, 2, 3, 1]);
        assert_eq!(node("/subscriptions/s").depth(), 0);
        assert!(nodes[3].id.ends_with("rg-relay-test"));
    }
}
