//! A relay test rig: the emulator, its cloud, the demo namespace, and ways to listen and send
//! with SAS or Entra identities.

use std::sync::Arc;

use futures::{SinkExt, StreamExt};
use relay_explorer::access::{PrincipalType, RoleAssignment};
use relay_explorer::auth::{self, SignIn, Vault};
use relay_explorer::cloud::Cloud;
use relay_explorer::relay::client::{Endpoint, TokenSource, tls_connector};
use relay_explorer::relay::listener::{self, ListenerEvent};
use relay_explorer::relay::protocol::ConnectionString;
use tokio_tungstenite::tungstenite::Message;

use super::TestEmulator;

pub struct Rig {
    pub emu: TestEmulator,
    pub cloud: Cloud,
    pub namespace: String,
}

impl Rig {
    pub fn new() -> Self {
        Self::with(|_| {})
    }

    pub fn with(configure: impl FnOnce(&mut relay_explorer::emulator::Options)) -> Self {
        let emu = TestEmulator::start_with(configure);
        let (cloud, _) = Cloud::from_ready_file(&emu.ready_file).unwrap();
        let namespace = format!(
            "/subscriptions/{}/resourceGroups/rg-relay/providers/Microsoft.Relay/namespaces/northwind-relay",
            emu.ready.subscription_id
        );
        Self {
            emu,
            cloud,
            namespace,
        }
    }

    pub fn keys(&self, rule: &str) -> ConnectionString {
        let shared = self.emu.shared();
        let world = shared.world.lock();
        let r = world
            .resources
            .values()
            .find(|r| {
                r.id.to_ascii_lowercase()
                    .ends_with(&rule.to_ascii_lowercase())
            })
            .expect("the rule");
        let endpoint = world.resource(&self.namespace).unwrap().properties["serviceBusEndpoint"]
            .as_str()
            .unwrap()
            .replace("https://", "sb://");
        let entity =
            r.id.split('/')
                .nth(10)
                .map(|e| format!(";EntityPath={e}"))
                .unwrap_or_default();
        ConnectionString::parse(&format!(
            "Endpoint={endpoint};SharedAccessKeyName={};SharedAccessKey={}{entity}",
            r.name,
            r.keys.as_ref().unwrap().primary
        ))
        .unwrap()
    }

    pub fn endpoint(&self, entity: &str) -> Endpoint {
        let cs =
            self.keys("namespaces/northwind-relay/authorizationrules/rootmanagesharedaccesskey");
        Endpoint::new(&cs.namespace_host(), entity).unwrap()
    }

    pub fn sas(&self, rule: &str) -> TokenSource {
        TokenSource::from_connection_string(&self.keys(rule)).unwrap()
    }

    pub fn entra(&self, app: &str) -> TokenSource {
        let p = self.emu.principal(app);
        let http = auth::http_client(&self.cloud).unwrap();
        let sign_in = SignIn::client_secret(
            self.cloud.clone(),
            &self.emu.ready.tenant_id,
            p.client_id.as_deref().unwrap(),
            p.client_secret.as_deref().unwrap(),
        );
        let credential =
            auth::credential(&sign_in, &http, Arc::new(Vault::in_memory("test")), None).unwrap();
        TokenSource::Entra {
            credential,
            scope: "https://relay.azure.net/.default".into(),
        }
    }

    pub fn assign(&self, principal: &str, scope: &str, role: &str) {
        let shared = self.emu.shared();
        shared.world.lock().role_assignments.push(RoleAssignment {
            name: uuid::Uuid::new_v4().to_string(),
            scope: scope.to_string(),
            role_definition_id: role.to_string(),
            principal_id: principal.to_string(),
            principal_type: PrincipalType::ServicePrincipal,
            description: None,
            condition: None,
            condition_version: None,
            created_on: None,
            updated_on: None,
            created_by: None,
        });
    }

    /// An echoing listener; returns once it is online.
    pub async fn echo_listener(
        &self,
        entity: &str,
        token: TokenSource,
    ) -> listener::ListenerHandle {
        let (handle, mut events) = listener::spawn(
            self.endpoint(entity),
            token,
            tls_connector(Some(&self.cloud)).unwrap(),
        );
        match events.recv().await {
            Some(ListenerEvent::Online) => {}
            other => panic!("the listener did not come online: {other:?}"),
        }
        tokio::spawn(async move {
            while let Some(e) = events.recv().await {
                match e {
                    ListenerEvent::Connection(c) => {
                        tokio::spawn(async move {
                            let mut s = c.accept().await.unwrap();
                            while let Some(Ok(m)) = s.next().await {
                                if matches!(m, Message::Close(_)) {
                                    break;
                                }
                                if s.send(m).await.is_err() {
                                    break;
                                }
                            }
                        });
                    }
                    ListenerEvent::Request(r) => {
                        tokio::spawn(async move {
                            let body = r.body.clone();
                            let headers = vec![
                                ("X-Method".to_string(), r.method.clone()),
                                ("X-Target".to_string(), r.target.clone()),
                            ];
                            r.respond(200, &headers, &body).await.unwrap();
                        });
                    }
                    _ => {}
                }
            }
        });
        handle
    }
}
