//! The management plane, as a client: subscriptions, resource groups, Relay namespaces and
//! entities, SAS rules, role assignments; Graph names. Requests go through `azure_core`'s
//! pipeline (bearer token, retries that honour `Retry-After` on 429/503, timeouts); lists follow
//! `nextLink`; a semaphore bounds how many requests are in flight.

pub mod access;
pub mod directory;
pub mod graph;
pub mod reach;
pub mod relay;
pub mod tree;

use std::sync::Arc;

use azure_core::credentials::TokenCredential;
use azure_core::http::policies::Policy;
use azure_core::http::policies::auth::BearerTokenAuthorizationPolicy;
use azure_core::http::{
    ClientOptions, Context, Method, Pipeline, PipelineSendOptions, Request, Url,
};
use serde_json::Value;
use tokio::sync::Semaphore;

use crate::cloud::Cloud;

pub const RELAY_API: &str = "2024-01-01";
pub const RESOURCES_API: &str = "2022-12-01";
pub const AUTHORIZATION_API: &str = "2022-04-01";

/// A failed management call, said in one line.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ArmError {
    #[error("{message}")]
    Service {
        status: u16,
        code: String,
        message: String,
    },
    #[error("could not reach {url}: {why}")]
    Transport { url: String, why: String },
    #[error("could not get a token: {0}")]
    Credential(String),
}

impl ArmError {
    pub fn status(&self) -> Option<u16> {
        match self {
            ArmError::Service { status, .. } => Some(*status),
            _ => None,
        }
    }
    /// What a person can do about it, read once from the service's words (ARM's
    /// `AuthorizationFailed` names the action and scope; a credential or TLS failure its cause).
    pub fn hint(&self) -> Option<crate::access::explain::Hint> {
        use crate::access::explain::Hint;
        match self {
            ArmError::Service { message, .. } => Hint::from_service_message(message),
            ArmError::Transport { why, .. } => Hint::from_service_message(why),
            ArmError::Credential(why) => Hint::from_service_message(why),
        }
    }

    pub fn code(&self) -> Option<&str> {
        match self {
            ArmError::Service { code, .. } => Some(code),
            _ => None,
        }
    }
}

pub use crate::error_chain::error_chain;

#[derive(Clone)]
pub struct ArmClient {
    pipeline: Arc<Pipeline>,
    base: String,
    limit: Arc<Semaphore>,
}

impl std::fmt::Debug for ArmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArmClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// How many management requests may be in flight at once.
pub const DEFAULT_CONCURRENCY: usize = 16;

impl ArmClient {
    pub fn new(
        cloud: &Cloud,
        http: &reqwest::Client,
        credential: Arc<dyn TokenCredential>,
        concurrency: usize,
    ) -> Self {
        Self::for_endpoint(
            &cloud.resource_manager,
            &cloud.arm_scope,
            cloud,
            http,
            credential,
            concurrency,
        )
    }

    /// A client for another endpoint of the same cloud (Graph uses the same machinery).
    pub fn for_endpoint(
        base: &str,
        scope: &str,
        cloud: &Cloud,
        http: &reqwest::Client,
        credential: Arc<dyn TokenCredential>,
        concurrency: usize,
    ) -> Self {
        let options: ClientOptions = crate::auth::client_options(cloud, http);
        let auth: Arc<dyn Policy> = Arc::new(BearerTokenAuthorizationPolicy::new(
            credential,
            [scope.to_string()],
        ));
        let pipeline = Pipeline::new(
            Some("relay-explorer"),
            Some(env!("CARGO_PKG_VERSION")),
            options,
            Vec::new(),
            vec![auth],
            None,
        );
        Self {
            pipeline: Arc::new(pipeline),
            base: base.trim_end_matches('/').to_string(),
            limit: Arc::new(Semaphore::new(concurrency.max(1))),
        }
    }

    fn url(&self, path_or_url: &str, api_version: &str) -> Result<Url, ArmError> {
        let text = if path_or_url.starts_with("https://") || path_or_url.starts_with("http://") {
            path_or_url.to_string()
        } else {
            format!("{}{}", self.base, path_or_url)
        };
        let mut url = Url::parse(&text).map_err(|e| ArmError::Transport {
            url: text.clone(),
            why: e.to_string(),
        })?;
        if api_version.is_empty() {
            return Ok(url); // Graph: no api-version
        }
        // nextLink keeps its own query (skip tokens) but takes our api-version, as the SDKs do.
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| k != "api-version")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        url.query_pairs_mut()
            .clear()
            .extend_pairs(pairs)
            .append_pair("api-version", api_version);
        Ok(url)
    }

    /// Sends one request; a non-2xx answer becomes an [`ArmError::Service`] with ARM's message.
    pub async fn send(
        &self,
        method: Method,
        path_or_url: &str,
        api_version: &str,
        body: Option<&Value>,
    ) -> Result<Value, ArmError> {
        let url = self.url(path_or_url, api_version)?;
        let _permit = self
            .limit
            .acquire()
            .await
            .map_err(|e| ArmError::Transport {
                url: url.to_string(),
                why: e.to_string(),
            })?;
        let mut request = Request::new(url.clone(), method);
        request.insert_header("accept", "application/json");
        if let Some(b) = body {
            request.insert_header("content-type", "application/json");
            request.set_body(serde_json::to_vec(b).unwrap_or_default());
        }
        let options = PipelineSendOptions {
            skip_checks: true,
            ..Default::default()
        };
        let response = self
            .pipeline
            .send(&Context::new(), &mut request, Some(options))
            .await
            .map_err(|e| {
                let why = error_chain(&e);
                if matches!(e.kind(), azure_core::error::ErrorKind::Credential)
                    || why.contains("AADSTS")
                {
                    ArmError::Credential(why)
                } else {
                    ArmError::Transport {
                        url: url.path().to_string(),
                        why,
                    }
                }
            })?;
        let status: u16 = response.status().into();
        let body = response.into_body();
        let bytes: &[u8] = body.as_ref();
        let json: Value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(bytes).unwrap_or(Value::Null)
        };
        if (200..300).contains(&status) {
            return Ok(json);
        }
        let error = if json["error"].is_object() {
            &json["error"]
        } else {
            &json
        };
        Err(ArmError::Service {
            status,
            code: error["code"].as_str().unwrap_or("Unknown").to_string(),
            message: error["message"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| format!("HTTP {status} from {}", url.path())),
        })
    }

    pub async fn get(&self, path: impl AsRef<str>, api_version: &str) -> Result<Value, ArmError> {
        self.send(Method::Get, path.as_ref(), api_version, None)
            .await
    }

    /// Every item of a list, following `nextLink` (Graph: `@odata.nextLink`) to the end.
    pub async fn list(
        &self,
        path: impl AsRef<str>,
        api_version: &str,
    ) -> Result<Vec<Value>, ArmError> {
        let mut items = Vec::new();
        let mut next = Some(path.as_ref().to_string());
        while let Some(url) = next.take() {
            let mut page = self.get(&url, api_version).await?;
            if let Some(Value::Array(values)) = page.get_mut("value").map(Value::take) {
                items.extend(values);
            }
            // ARM's `nextLink`, Graph's `@odata.nextLink`.
            next = page
                .get("nextLink")
                .or_else(|| page.get("@odata.nextLink"))
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string);
        }
        Ok(items)
    }
}
