//! Clouds: where an account signs in and what it talks to. Azure's public and sovereign clouds
//! are presets; anything else (the local emulator included) is a custom cloud, read for example
//! from an emulator's ready file. No code path special-cases the emulator.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub mod ready;
pub mod tls;

pub use ready::ReadyInfo;

/// What can go wrong in choosing a cloud or trusting its servers.
#[derive(Debug, thiserror::Error)]
pub enum CloudError {
    #[error(
        "unknown cloud '{0}': use AzureCloud, AzureChinaCloud or AzureUSGovernment, or --emulator READY_FILE for a local emulator"
    )]
    UnknownCloud(String),
    #[error(
        "cannot read the emulator ready file {path}: {why}; start the emulator with --ready-file {path}"
    )]
    ReadyFileMissing { path: String, why: String },
    #[error("{path} is not an emulator ready file: {why}")]
    ReadyFileInvalid { path: String, why: String },
    #[error("cannot read the CA certificate {path} of cloud '{cloud}': {why}")]
    CaUnreadable {
        path: String,
        cloud: String,
        why: String,
    },
    #[error("{path} is not a PEM certificate{why}")]
    CaInvalid { path: String, why: String },
}

/// The endpoints of one cloud.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cloud {
    /// A short name: `AzureCloud`, `AzureChinaCloud`, `AzureUSGovernment`, or the custom name.
    pub name: String,
    /// `https://login.microsoftonline.com` or the custom login host.
    pub authority_host: String,
    pub resource_manager: String,
    pub graph: String,
    /// The DNS suffix of Relay namespaces (`servicebus.windows.net`).
    pub relay_suffix: String,
    /// The token scope for Resource Manager.
    pub arm_scope: String,
    pub graph_scope: String,
    /// The token scope for the Relay data plane.
    pub relay_scope: String,
    /// A CA certificate (PEM) to trust in addition to the system's, for private clouds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<PathBuf>,
}

impl Cloud {
    pub fn azure_public() -> Self {
        Self {
            name: "AzureCloud".into(),
            authority_host: "https://login.microsoftonline.com".into(),
            resource_manager: "https://management.azure.com".into(),
            graph: "https://graph.microsoft.com".into(),
            relay_suffix: "servicebus.windows.net".into(),
            arm_scope: "https://management.azure.com/.default".into(),
            graph_scope: "https://graph.microsoft.com/.default".into(),
            relay_scope: "https://relay.azure.net/.default".into(),
            ca_cert: None,
        }
    }

    pub fn azure_china() -> Self {
        Self {
            name: "AzureChinaCloud".into(),
            authority_host: "https://login.chinacloudapi.cn".into(),
            resource_manager: "https://management.chinacloudapi.cn".into(),
            graph: "https://microsoftgraph.chinacloudapi.cn".into(),
            relay_suffix: "servicebus.chinacloudapi.cn".into(),
            arm_scope: "https://management.chinacloudapi.cn/.default".into(),
            graph_scope: "https://microsoftgraph.chinacloudapi.cn/.default".into(),
            relay_scope: "https://relay.chinacloudapi.cn/.default".into(),
            ca_cert: None,
        }
    }

    pub fn azure_us_government() -> Self {
        Self {
            name: "AzureUSGovernment".into(),
            authority_host: "https://login.microsoftonline.us".into(),
            resource_manager: "https://management.usgovcloudapi.net".into(),
            graph: "https://graph.microsoft.us".into(),
            relay_suffix: "servicebus.usgovcloudapi.net".into(),
            arm_scope: "https://management.usgovcloudapi.net/.default".into(),
            graph_scope: "https://graph.microsoft.us/.default".into(),
            relay_scope: "https://relay.azure.net/.default".into(),
            ca_cert: None,
        }
    }

    /// A preset by name (case-insensitive; `azure`, `china`, `usgov` are accepted too).
    pub fn by_name(name: &str) -> Result<Self, CloudError> {
        match name.to_ascii_lowercase().as_str() {
            "azurecloud" | "azure" | "public" => Ok(Self::azure_public()),
            "azurechinacloud" | "china" => Ok(Self::azure_china()),
            "azureusgovernment" | "usgov" | "usgovernment" => Ok(Self::azure_us_government()),
            _ => Err(CloudError::UnknownCloud(name.to_string())),
        }
    }

    /// A custom cloud from an emulator's ready file: its endpoints and its CA.
    pub fn from_ready_file(path: &Path) -> Result<(Self, ReadyInfo), CloudError> {
        let text = std::fs::read_to_string(path).map_err(|e| CloudError::ReadyFileMissing {
            path: path.display().to_string(),
            why: e.to_string(),
        })?;
        let ready: ReadyInfo =
            serde_json::from_str(&text).map_err(|e| CloudError::ReadyFileInvalid {
                path: path.display().to_string(),
                why: e.to_string(),
            })?;
        Ok((Self::from_ready(&ready), ready))
    }

    /// The custom cloud an emulator's ready information describes.
    pub fn from_ready(ready: &ReadyInfo) -> Self {
        Self {
            name: "RelayExplorerEmulator".into(),
            authority_host: ready.authority_host.clone(),
            resource_manager: ready.resource_manager.clone(),
            graph: ready.graph.clone(),
            relay_suffix: "localhost".into(),
            arm_scope: "https://management.azure.com/.default".into(),
            graph_scope: "https://graph.microsoft.com/.default".into(),
            relay_scope: "https://relay.azure.net/.default".into(),
            ca_cert: Some(PathBuf::from(&ready.ca_cert)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_by_name() {
        assert_eq!(Cloud::by_name("AzureCloud").unwrap(), Cloud::azure_public());
        assert_eq!(
            Cloud::by_name("china").unwrap().relay_scope,
            "https://relay.chinacloudapi.cn/.default"
        );
        assert_eq!(
            Cloud::by_name("usgov").unwrap().authority_host,
            "https://login.microsoftonline.us"
        );
        let err = Cloud::by_name("mars").unwrap_err().to_string();
        assert!(err.contains("unknown cloud 'mars'"));
    }

    #[test]
    fn a_missing_ready_file_says_how_to_make_one() {
        let err = Cloud::from_ready_file(Path::new("/nonexistent/ready.json")).unwrap_err();
        assert!(format!("{err:#}").contains("--ready-file"));
    }
}
