//! Microsoft Graph, for names: who a principal id is (in batches of up to 1,000), the groups a
//! principal belongs to through nesting, and the signed-in user.

use std::sync::Arc;

use azure_core::credentials::TokenCredential;
use azure_core::http::Method;
use futures::future::try_join_all;
use serde::Serialize;
use serde_json::{Value, json};

use super::{ArmClient, ArmError};
use crate::cloud::Cloud;

/// A directory object, as the explorer shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    pub id: String,
    pub display_name: String,
    /// `user`, `group`, `servicePrincipal` or `managedIdentity`.
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<String>,
}

impl Principal {
    fn from_graph(v: &Value) -> Self {
        let s = |k: &str| v[k].as_str().map(str::to_string);
        let kind = match v["@odata.type"].as_str().unwrap_or_default() {
            "#microsoft.graph.user" => "user",
            "#microsoft.graph.group" => "group",
            "#microsoft.graph.servicePrincipal"
                if v["servicePrincipalType"] == "ManagedIdentity" =>
            {
                "managedIdentity"
            }
            "#microsoft.graph.servicePrincipal" => "servicePrincipal",
            _ => "directoryObject",
        };
        Self {
            id: s("id").unwrap_or_default(),
            display_name: s("displayName").unwrap_or_default(),
            kind: kind.to_string(),
            app_id: s("appId"),
            user_principal_name: s("userPrincipalName"),
        }
    }
}

/// The principals of a list of `kind` (`user`, `group`, `servicePrincipal`): a list of one kind
/// may leave out each item's `@odata.type`.
fn of_kind(kind: &str, items: Vec<Value>) -> Vec<Principal> {
    items
        .into_iter()
        .map(|mut v| {
            if v["@odata.type"].is_null() {
                v["@odata.type"] = json!(format!("#microsoft.graph.{kind}"));
            }
            Principal::from_graph(&v)
        })
        .collect()
}

#[derive(Debug, Clone)]
pub struct GraphClient(ArmClient);

const BATCH: usize = 1000;

impl GraphClient {
    pub fn new(
        cloud: &Cloud,
        http: &reqwest::Client,
        credential: Arc<dyn TokenCredential>,
    ) -> Self {
        Self(ArmClient::for_endpoint(
            &cloud.graph,
            &cloud.graph_scope,
            cloud,
            http,
            credential,
            super::DEFAULT_CONCURRENCY,
        ))
    }

    /// The principals behind `ids` (unknown ids are left out, as Graph does).
    /// Fills in `principal_name` of role-assignment nodes.
    pub async fn name_principals(&self, nodes: &mut [super::tree::Node]) -> Result<(), ArmError> {
        let ids: Vec<String> = nodes
            .iter()
            .filter_map(|n| n.principal_id.clone())
            .collect();
        if ids.is_empty() {
            return Ok(());
        }
        let found = self.principals(&ids).await?;
        for n in nodes.iter_mut() {
            if let Some(p) = n
                .principal_id
                .as_ref()
                .and_then(|id| found.iter().find(|f| f.id.eq_ignore_ascii_case(id)))
            {
                n.principal_name = Some(p.display_name.clone());
            }
        }
        Ok(())
    }

    pub async fn principals(&self, ids: &[String]) -> Result<Vec<Principal>, ArmError> {
        let mut unique: Vec<String> = ids.iter().map(|i| i.to_ascii_lowercase()).collect();
        unique.sort();
        unique.dedup();
        let pages = try_join_all(unique.chunks(BATCH).map(|chunk| {
            let body = json!({"ids": chunk});
            async move {
                self.0
                    .send(
                        Method::Post,
                        "/v1.0/directoryObjects/getByIds",
                        "",
                        Some(&body),
                    )
                    .await
            }
        }))
        .await?;
        Ok(pages
            .iter()
            .flat_map(|p| p["value"].as_array().cloned().unwrap_or_default())
            .map(|v| Principal::from_graph(&v))
            .collect())
    }

    /// Every group the principal belongs to, directly or through nested groups.
    pub async fn transitive_groups(&self, id: &str) -> Result<Vec<Principal>, ArmError> {
        let list = self
            .0
            .list(
                format!("/v1.0/directoryObjects/{id}/transitiveMemberOf/microsoft.graph.group"),
                "",
            )
            .await?;
        Ok(list.iter().map(Principal::from_graph).collect())
    }

    /// A user by object id or user principal name.
    pub async fn user(&self, id_or_upn: &str) -> Result<Principal, ArmError> {
        let mut v = self.0.get(format!("/v1.0/users/{id_or_upn}"), "").await?;
        v["@odata.type"] = json!("#microsoft.graph.user");
        Ok(Principal::from_graph(&v))
    }

    /// The service principal (app or managed identity) with this client id, if any.
    pub async fn by_app_id(&self, app_id: &str) -> Result<Option<Principal>, ArmError> {
        let filter: String =
            url::form_urlencoded::byte_serialize(format!("appId eq '{app_id}'").as_bytes())
                .collect();
        let list = self
            .0
            .list(format!("/v1.0/servicePrincipals?$filter={filter}"), "")
            .await?;
        Ok(list.first().map(|v| {
            let mut v = v.clone();
            v["@odata.type"] = json!("#microsoft.graph.servicePrincipal");
            Principal::from_graph(&v)
        }))
    }

    /// The users, groups and service principals whose display name is `name` (Graph compares
    /// it exactly, ignoring case).
    pub async fn by_display_name(&self, name: &str) -> Result<Vec<Principal>, ArmError> {
        // An OData string literal doubles its quotes.
        let filter: String = url::form_urlencoded::byte_serialize(
            format!("displayName eq '{}'", name.replace('\'', "''")).as_bytes(),
        )
        .collect();
        let list = |kind: &'static str| {
            let url = format!("/v1.0/{kind}s?$filter={filter}");
            async move {
                let items = self.0.list(url, "").await?;
                Ok::<_, ArmError>(of_kind(kind, items))
            }
        };
        let (users, groups, sps) =
            tokio::try_join!(list("user"), list("group"), list("servicePrincipal"))?;
        Ok(users.into_iter().chain(groups).chain(sps).collect())
    }

    /// The groups `id` is a direct member of.
    pub async fn member_of(&self, id: &str) -> Result<Vec<Principal>, ArmError> {
        let list = self
            .0
            .list(
                format!("/v1.0/directoryObjects/{id}/memberOf/microsoft.graph.group"),
                "",
            )
            .await?;
        Ok(list.iter().map(Principal::from_graph).collect())
    }

    /// The membership path from `principal` to `group`: the groups in between, the principal's
    /// own group first and `group` last (empty when it is not a member).
    pub async fn group_chain(&self, principal: &str, group: &str) -> Result<Vec<String>, ArmError> {
        let mut parents: std::collections::HashMap<String, Option<String>> =
            std::collections::HashMap::new();
        let mut frontier = vec![principal.to_ascii_lowercase()];
        parents.insert(principal.to_ascii_lowercase(), None);
        while !frontier.is_empty() {
            let mut next = Vec::new();
            for member in &frontier {
                for g in self.member_of(member).await? {
                    let gid = g.id.to_ascii_lowercase();
                    if parents.contains_key(&gid) {
                        continue;
                    }
                    parents.insert(gid.clone(), Some(member.clone()));
                    if gid.eq_ignore_ascii_case(group) {
                        let mut chain = vec![gid.clone()];
                        let mut at = gid;
                        while let Some(Some(p)) = parents.get(&at) {
                            if p.eq_ignore_ascii_case(principal) {
                                break;
                            }
                            chain.push(p.clone());
                            at = p.clone();
                        }
                        chain.reverse();
                        return Ok(chain);
                    }
                    next.push(gid);
                }
            }
            frontier = next;
        }
        Ok(Vec::new())
    }

    /// Principals as a person starts typing them, for a picker: at most `top` of each kind
    /// (users by display name or user principal name, groups and service principals by display
    /// name, all as Graph compares: ignoring case), or the one whose object or client id it is.
    pub async fn search(&self, text: &str, top: usize) -> Result<Vec<Principal>, ArmError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Vec::new());
        }
        if uuid::Uuid::parse_str(text).is_ok() {
            let ids = [text.to_string()];
            let (by_id, by_app) = tokio::try_join!(self.principals(&ids), self.by_app_id(text))?;
            let mut found = by_id;
            found.extend(by_app.filter(|a| !found.iter().any(|f| f.id == a.id)));
            return Ok(found);
        }
        let literal = text.replace('\'', "''");
        let page = |kind: &'static str, filter: String| {
            let filter: String = url::form_urlencoded::byte_serialize(filter.as_bytes()).collect();
            let url = format!("/v1.0/{kind}s?$filter={filter}&$top={top}");
            async move {
                let page = self.0.get(url, "").await?;
                let items = page["value"].as_array().cloned().unwrap_or_default();
                Ok::<_, ArmError>(of_kind(kind, items))
            }
        };
        let name = format!("startswith(displayName,'{literal}')");
        let (users, groups, sps) = tokio::try_join!(
            page(
                "user",
                format!("{name} or startswith(userPrincipalName,'{literal}')")
            ),
            page("group", name.clone()),
            page("servicePrincipal", name.clone()),
        )?;
        Ok(users.into_iter().chain(groups).chain(sps).collect())
    }

    /// The signed-in user (a delegated token only).
    pub async fn me(&self) -> Result<Principal, ArmError> {
        let mut v = self.0.get("/v1.0/me", "").await?;
        v["@odata.type"] = json!("#microsoft.graph.user");
        Ok(Principal::from_graph(&v))
    }
}
