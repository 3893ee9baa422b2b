//! What an account sees, level by level, as the explorer loads it: its tenants and
//! subscriptions (the directory), then one subscription's resource groups, namespaces, entities
//! and SignalR resources. Knows no view: the window and the CLI both call it.

use super::graph::GraphClient;
use super::tree::{Include, Node, Scope};
use super::{ArmClient, ArmError, RESOURCES_API};

/// The tenants and subscriptions an account sees.
#[derive(Debug, Clone)]
pub struct Directory {
    /// (tenant id, display name)
    pub tenants: Vec<(String, String)>,
    /// Subscriptions with the tenant each belongs to.
    pub subscriptions: Vec<(Node, String)>,
    /// Who signed in (user principal name or app name), when Graph could say.
    pub who: Option<String>,
}

/// Tenants and subscriptions of a signed-in account; `me` asks Graph who signed in (a person).
pub async fn directory(arm: &ArmClient, me: Option<&GraphClient>) -> Result<Directory, ArmError> {
    let subs = arm.list("/subscriptions", RESOURCES_API).await?;
    let tenants = arm
        .list("/tenants", RESOURCES_API)
        .await
        .unwrap_or_default();
    let mut tenant_list: Vec<(String, String)> = tenants
        .iter()
        .filter_map(|t| {
            Some((
                t["tenantId"].as_str()?.to_string(),
                t["displayName"].as_str().unwrap_or_default().to_string(),
            ))
        })
        .collect();
    let subscriptions: Vec<(Node, String)> = subs
        .iter()
        .map(|v| {
            let mut n = Node::from_value(v);
            n.type_name = "Microsoft.Resources/subscriptions".into();
            n.name = v["subscriptionId"].as_str().unwrap_or_default().to_string();
            let tenant = v["tenantId"].as_str().unwrap_or_default().to_string();
            (n, tenant)
        })
        .collect();
    for (_, t) in &subscriptions {
        if !t.is_empty() && !tenant_list.iter().any(|(id, _)| id.eq_ignore_ascii_case(t)) {
            tenant_list.push((t.clone(), String::new()));
        }
    }
    let who = match me {
        Some(g) => g
            .me()
            .await
            .ok()
            .map(|p| p.user_principal_name.unwrap_or(p.display_name)),
        None => None,
    };
    Ok(Directory {
        tenants: tenant_list,
        subscriptions,
        who,
    })
}

/// A subscription's resource groups, namespaces and entities, plus its SignalR resources.
pub async fn subscription_tree(arm: &ArmClient, subscription: &str) -> Result<Vec<Node>, ArmError> {
    let scope = Scope::Subscription(subscription.to_string());
    let (tree, signalr) = tokio::join!(
        arm.tree(&scope, Include::default()),
        arm.signalr_resources(subscription)
    );
    let mut nodes = tree?;
    if let Ok(list) = signalr {
        nodes.extend(list.iter().map(Node::from_value));
    }
    Ok(nodes)
}
