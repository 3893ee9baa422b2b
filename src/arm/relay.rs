//! Changing Relay resources and reading what access needs: entities and SAS rules (create,
//! update, delete), keys (list, regenerate), role definitions, role assignments (create,
//! delete), deny assignments, managed
//! identities and SignalR resources.

use azure_core::http::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use super::tree::Node;
use super::{AUTHORIZATION_API, ArmClient, ArmError, RELAY_API};

/// A SAS rule's keys. `Debug` never shows them.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AccessKeys {
    pub key_name: Option<String>,
    pub primary_key: String,
    pub secondary_key: String,
    pub primary_connection_string: String,
    pub secondary_connection_string: String,
}

impl std::fmt::Debug for AccessKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKeys")
            .field("key_name", &self.key_name)
            .finish_non_exhaustive()
    }
}

/// Which key of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Primary,
    Secondary,
}

fn keys(v: Value) -> Result<AccessKeys, ArmError> {
    serde_json::from_value(v).map_err(|e| ArmError::Service {
        status: 200,
        code: "UnexpectedResponse".into(),
        message: format!("the keys response could not be read: {e}"),
    })
}

impl ArmClient {
    /// Creates or updates a hybrid connection.
    pub async fn put_hybrid_connection(
        &self,
        namespace_id: &str,
        name: &str,
        requires_client_authorization: bool,
        user_metadata: Option<&str>,
    ) -> Result<Node, ArmError> {
        let mut properties = json!({"requiresClientAuthorization": requires_client_authorization});
        if let Some(m) = user_metadata {
            properties["userMetadata"] = json!(m);
        }
        let body = json!({"properties": properties});
        let v = self
            .send(
                Method::Put,
                &format!("{namespace_id}/hybridConnections/{name}"),
                RELAY_API,
                Some(&body),
            )
            .await?;
        Ok(Node::from_value(&v))
    }

    /// Creates or updates a WCF relay (`NetTcp` or `Http`).
    pub async fn put_wcf_relay(
        &self,
        namespace_id: &str,
        name: &str,
        relay_type: &str,
        requires_client_authorization: bool,
    ) -> Result<Node, ArmError> {
        let body = json!({"properties": {"relayType": relay_type, "requiresClientAuthorization": requires_client_authorization}});
        let v = self
            .send(
                Method::Put,
                &format!("{namespace_id}/wcfRelays/{name}"),
                RELAY_API,
                Some(&body),
            )
            .await?;
        Ok(Node::from_value(&v))
    }

    /// Creates or updates a SAS rule on a namespace or an entity.
    pub async fn put_rule(
        &self,
        parent_id: &str,
        name: &str,
        rights: &[&str],
    ) -> Result<Node, ArmError> {
        let body = json!({"properties": {"rights": rights}});
        let v = self
            .send(
                Method::Put,
                &format!("{parent_id}/authorizationRules/{name}"),
                RELAY_API,
                Some(&body),
            )
            .await?;
        Ok(Node::from_value(&v))
    }

    /// Deletes a namespace, entity or rule (a missing one is not an error).
    pub async fn delete(&self, id: &str) -> Result<(), ArmError> {
        self.send(Method::Delete, id, RELAY_API, None)
            .await
            .map(|_| ())
    }

    pub async fn list_keys(&self, rule_id: &str) -> Result<AccessKeys, ArmError> {
        keys(
            self.send(
                Method::Post,
                &format!("{rule_id}/listKeys"),
                RELAY_API,
                None,
            )
            .await?,
        )
    }

    pub async fn regenerate_key(
        &self,
        rule_id: &str,
        which: KeyKind,
    ) -> Result<AccessKeys, ArmError> {
        let key_type = match which {
            KeyKind::Primary => "PrimaryKey",
            KeyKind::Secondary => "SecondaryKey",
        };
        keys(
            self.send(
                Method::Post,
                &format!("{rule_id}/regenerateKeys"),
                RELAY_API,
                Some(&json!({"keyType": key_type})),
            )
            .await?,
        )
    }

    /// Role definitions (built-in and custom) usable at `scope`, as ARM returns them.
    pub async fn role_definitions(&self, scope: &str) -> Result<Vec<Value>, ArmError> {
        self.list(
            format!(
                "{}/providers/Microsoft.Authorization/roleDefinitions",
                scope.trim_end_matches('/')
            ),
            AUTHORIZATION_API,
        )
        .await
    }

    /// Assigns the role `role_guid` (a role definition's name) to `principal_id` at `scope`, as
    /// `az role assignment create` does: a PUT of a new assignment named by a fresh GUID, the role
    /// definition named under the scope's subscription. `principal_type` is Graph's kind
    /// (`User`, `Group`, `ServicePrincipal`), which spares Azure a directory lookup.
    pub async fn create_role_assignment(
        &self,
        scope: &str,
        role_guid: &str,
        principal_id: &str,
        principal_type: &str,
    ) -> Result<Node, ArmError> {
        let scope = scope.trim_end_matches('/');
        let subscription = scope
            .split('/')
            .nth(2)
            .map(|s| format!("/subscriptions/{s}"))
            .unwrap_or_default();
        let body = json!({"properties": {
            "roleDefinitionId": format!("{subscription}/providers/Microsoft.Authorization/roleDefinitions/{role_guid}"),
            "principalId": principal_id,
            "principalType": principal_type,
        }});
        let v = self
            .send(
                Method::Put,
                &format!(
                    "{scope}/providers/Microsoft.Authorization/roleAssignments/{}",
                    uuid::Uuid::new_v4()
                ),
                AUTHORIZATION_API,
                Some(&body),
            )
            .await?;
        Ok(Node::from_value(&v))
    }

    /// Deletes a role assignment by its id.
    pub async fn delete_role_assignment(&self, id: &str) -> Result<(), ArmError> {
        self.send(Method::Delete, id, AUTHORIZATION_API, None)
            .await
            .map(|_| ())
    }

    /// Deny assignments that reach `scope` or lie below it.
    pub async fn deny_assignments(&self, scope: &str) -> Result<Vec<Value>, ArmError> {
        self.list(
            format!(
                "{}/providers/Microsoft.Authorization/denyAssignments",
                scope.trim_end_matches('/')
            ),
            AUTHORIZATION_API,
        )
        .await
    }

    /// User-assigned managed identities of a subscription.
    pub async fn user_assigned_identities(
        &self,
        subscription: &str,
    ) -> Result<Vec<Value>, ArmError> {
        self.list(format!("/subscriptions/{subscription}/providers/Microsoft.ManagedIdentity/userAssignedIdentities"), "2024-11-30").await
    }

    /// The Relay namespaces of a subscription, as ARM returns them (with their `identity`
    /// blocks).
    pub async fn namespaces(&self, subscription: &str) -> Result<Vec<Value>, ArmError> {
        self.list(
            format!("/subscriptions/{subscription}/providers/Microsoft.Relay/namespaces"),
            RELAY_API,
        )
        .await
    }

    /// SignalR resources of a subscription, with their `identity` blocks.
    pub async fn signalr_resources(&self, subscription: &str) -> Result<Vec<Value>, ArmError> {
        self.list(
            format!("/subscriptions/{subscription}/providers/Microsoft.SignalRService/signalR"),
            "2024-03-01",
        )
        .await
    }
}
