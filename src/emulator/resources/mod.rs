//! The ARM resource types the emulator knows, their ids, and what a new resource of each type
//! looks like (the defaults and read-only properties Azure fills in).

mod build;

pub use build::build;

use base64::Engine;

/// One resource type below a provider.
#[derive(Debug)]
pub struct Kind {
    pub provider: &'static str,
    /// Type segments after the provider, as they appear in canonical ids.
    pub segments: &'static [&'static str],
    /// The `type` Azure returns.
    pub type_name: &'static str,
    /// The type as RBAC actions name it (`{provider}/{…}/read`).
    pub action_type: &'static str,
    /// POST actions on a resource of this type.
    pub actions: &'static [&'static str],
    pub tracked: bool,
}

const RULE_ACTIONS: &[&str] = &["listKeys", "regenerateKeys"];

pub const KINDS: &[Kind] = &[
    Kind {
        provider: "Microsoft.Relay",
        segments: &["namespaces"],
        type_name: "Microsoft.Relay/Namespaces",
        action_type: "Microsoft.Relay/namespaces",
        actions: &[],
        tracked: true,
    },
    Kind {
        provider: "Microsoft.Relay",
        segments: &["namespaces", "AuthorizationRules"],
        type_name: "Microsoft.Relay/Namespaces/AuthorizationRules",
        action_type: "Microsoft.Relay/namespaces/authorizationRules",
        actions: RULE_ACTIONS,
        tracked: false,
    },
    Kind {
        provider: "Microsoft.Relay",
        segments: &["namespaces", "HybridConnections"],
        type_name: "Microsoft.Relay/Namespaces/HybridConnections",
        action_type: "Microsoft.Relay/namespaces/hybridConnections",
        actions: &[],
        tracked: false,
    },
    Kind {
        provider: "Microsoft.Relay",
        segments: &["namespaces", "HybridConnections", "AuthorizationRules"],
        type_name: "Microsoft.Relay/Namespaces/HybridConnections/AuthorizationRules",
        action_type: "Microsoft.Relay/namespaces/hybridConnections/authorizationRules",
        actions: RULE_ACTIONS,
        tracked: false,
    },
    Kind {
        provider: "Microsoft.Relay",
        segments: &["namespaces", "WcfRelays"],
        type_name: "Microsoft.Relay/WcfRelays",
        action_type: "Microsoft.Relay/namespaces/wcfRelays",
        actions: &[],
        tracked: false,
    },
    Kind {
        provider: "Microsoft.Relay",
        segments: &["namespaces", "WcfRelays", "AuthorizationRules"],
        type_name: "Microsoft.Relay/Namespaces/WcfRelays/AuthorizationRules",
        action_type: "Microsoft.Relay/namespaces/wcfRelays/authorizationRules",
        actions: RULE_ACTIONS,
        tracked: false,
    },
    Kind {
        provider: "Microsoft.ManagedIdentity",
        segments: &["userAssignedIdentities"],
        type_name: "Microsoft.ManagedIdentity/userAssignedIdentities",
        action_type: "Microsoft.ManagedIdentity/userAssignedIdentities",
        actions: &[],
        tracked: true,
    },
    Kind {
        provider: "Microsoft.SignalRService",
        segments: &["SignalR"],
        type_name: "Microsoft.SignalRService/SignalR",
        action_type: "Microsoft.SignalRService/SignalR",
        actions: &[],
        tracked: true,
    },
    Kind {
        provider: "Microsoft.Compute",
        segments: &["virtualMachines"],
        type_name: "Microsoft.Compute/virtualMachines",
        action_type: "Microsoft.Compute/virtualMachines",
        actions: &[],
        tracked: true,
    },
];

pub const RESOURCE_GROUP_TYPE: &str = "Microsoft.Resources/resourceGroups";
pub const RESOURCE_GROUP_ACTION_TYPE: &str = "Microsoft.Resources/subscriptions/resourceGroups";

/// The api-versions each provider accepts (what real clients send, old and new).
pub fn api_versions(provider: &str) -> &'static [&'static str] {
    match provider.to_ascii_lowercase().as_str() {
        "microsoft.relay" => &[
            "2016-07-01",
            "2017-04-01",
            "2018-01-01-preview",
            "2021-11-01",
            "2024-01-01",
            "2026-01-01",
            "2026-07-01-preview",
        ],
        "microsoft.managedidentity" => &[
            "2015-08-31-preview",
            "2018-11-30",
            "2021-09-30-preview",
            "2022-01-31-preview",
            "2023-01-31",
            "2023-07-31-preview",
            "2024-11-30",
            "2025-01-31-preview",
            "2025-05-31-preview",
            "2026-05-31",
        ],
        "microsoft.signalrservice" => &[
            "2018-10-01",
            "2020-05-01",
            "2021-10-01",
            "2022-02-01",
            "2023-02-01",
            "2023-08-01-preview",
            "2024-03-01",
            "2024-10-01-preview",
            "2025-01-01-preview",
        ],
        "microsoft.compute" => &[
            "2021-03-01",
            "2022-03-01",
            "2022-08-01",
            "2023-03-01",
            "2023-07-01",
            "2023-09-01",
            "2024-03-01",
            "2024-07-01",
            "2024-11-01",
            "2025-04-01",
        ],
        "microsoft.authorization" => &[
            "2015-06-01",
            "2015-07-01",
            "2017-05-01",
            "2018-01-01-preview",
            "2018-07-01",
            "2018-09-01-preview",
            "2020-04-01-preview",
            "2020-08-01-preview",
            "2020-10-01-preview",
            "2021-04-01-preview",
            "2022-04-01",
            "2022-05-01-preview",
        ],
        "microsoft.resources" => &[
            "2014-04-01",
            "2015-01-01",
            "2016-06-01",
            "2018-05-01",
            "2019-05-01",
            "2019-06-01",
            "2019-10-01",
            "2019-11-01",
            "2020-01-01",
            "2020-06-01",
            "2020-10-01",
            "2021-01-01",
            "2021-04-01",
            "2022-01-01",
            "2022-09-01",
            "2022-12-01",
            "2023-07-01",
            "2024-03-01",
            "2024-07-01",
            "2024-11-01",
            "2025-01-01",
            "2025-03-01",
            "2025-04-01",
        ],
        _ => &[],
    }
}

/// A parsed ARM id below a resource group: `…/providers/{provider}/{t1}/{n1}/…`.
#[derive(Debug, Clone)]
pub struct ResourceId {
    pub subscription: String,
    pub resource_group: String,
    pub kind: &'static Kind,
    pub names: Vec<String>,
}

impl ResourceId {
    /// Parses the part after `providers/`: `[provider, t1, n1, t2, n2, …]`.
    pub fn from_parts(subscription: &str, resource_group: &str, parts: &[&str]) -> Option<Self> {
        let (provider, rest) = parts.split_first()?;
        if rest.is_empty() || rest.len() % 2 != 0 {
            return None;
        }
        let types: Vec<&str> = rest.iter().step_by(2).copied().collect();
        let kind = kind_for(provider, &types)?;
        Some(Self {
            subscription: subscription.to_string(),
            resource_group: resource_group.to_string(),
            kind,
            names: rest
                .iter()
                .skip(1)
                .step_by(2)
                .map(|s| s.to_string())
                .collect(),
        })
    }

    pub fn parse(id: &str) -> Option<Self> {
        let parts: Vec<&str> = id.split('/').filter(|s| !s.is_empty()).collect();
        if parts.len() < 6
            || !parts[0].eq_ignore_ascii_case("subscriptions")
            || !parts[2].eq_ignore_ascii_case("resourceGroups")
            || !parts[4].eq_ignore_ascii_case("providers")
        {
            return None;
        }
        Self::from_parts(parts[1], parts[3], &parts[5..])
    }

    pub fn resource_group_id(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}",
            self.subscription, self.resource_group
        )
    }

    /// The canonical id, with the resource group named as `rg_name`.
    pub fn canonical(&self, rg_name: &str) -> String {
        let mut id = format!(
            "/subscriptions/{}/resourceGroups/{}/providers/{}",
            self.subscription, rg_name, self.kind.provider
        );
        for (segment, name) in self.kind.segments.iter().zip(&self.names) {
            id.push('/');
            id.push_str(segment);
            id.push('/');
            id.push_str(name);
        }
        id
    }

    pub fn name(&self) -> &str {
        self.names.last().map(String::as_str).unwrap_or_default()
    }

    /// The id of the parent resource (for child types).
    pub fn parent(&self) -> Option<ResourceId> {
        if self.names.len() < 2 {
            return None;
        }
        let segments = &self.kind.segments[..self.kind.segments.len() - 1];
        let kind = KINDS
            .iter()
            .find(|k| k.provider == self.kind.provider && k.segments == segments)?;
        Some(ResourceId {
            subscription: self.subscription.clone(),
            resource_group: self.resource_group.clone(),
            kind,
            names: self.names[..self.names.len() - 1].to_vec(),
        })
    }
}

/// The kind for a provider and a list of type segments, case-insensitively.
pub fn kind_for(provider: &str, types: &[&str]) -> Option<&'static Kind> {
    KINDS.iter().find(|k| {
        k.provider.eq_ignore_ascii_case(provider)
            && k.segments.len() == types.len()
            && k.segments
                .iter()
                .zip(types)
                .all(|(a, b)| a.eq_ignore_ascii_case(b))
    })
}

/// Is `id` inside subscription `sub`?
pub fn subscription_matches(id: &str, sub: &str) -> bool {
    super::world::subscription_of(id).is_some_and(|s| s.eq_ignore_ascii_case(sub))
}

/// A fresh SAS key: 256 random bits, base64, as Azure makes them.
pub fn new_sas_key() -> String {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).expect("the system random generator failed");
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A fresh client secret in the shape Entra makes them (40 characters).
pub fn new_client_secret() -> String {
    let mut bytes = [0u8; 30];
    aws_lc_rs::rand::fill(&mut bytes).expect("the system random generator failed");
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(bytes)
        .replace(['-', '_'], "~")
}

pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_parse_case_insensitively_and_print_canonically() {
        let id = ResourceId::parse("/subscriptions/S/resourcegroups/rg/providers/microsoft.relay/NAMESPACES/ns1/hybridconnections/hc1").unwrap();
        assert_eq!(
            id.kind.type_name,
            "Microsoft.Relay/Namespaces/HybridConnections"
        );
        assert_eq!(
            id.canonical("RG"),
            "/subscriptions/S/resourceGroups/RG/providers/Microsoft.Relay/namespaces/ns1/HybridConnections/hc1"
        );
        assert_eq!(
            id.parent().unwrap().canonical("RG"),
            "/subscriptions/S/resourceGroups/RG/providers/Microsoft.Relay/namespaces/ns1"
        );
        assert!(ResourceId::parse("/subscriptions/S/resourceGroups/rg/providers/Microsoft.Relay/namespaces/ns1/queues/q").is_none());
    }

    #[test]
    fn dot_names_and_long_metadata_are_refused_as_azure_does() {
        let hc = |name: &str| {
            ResourceId::parse(&format!(
                "/subscriptions/S/resourceGroups/rg/providers/Microsoft.Relay/namespaces/ns1/hybridConnections/{name}"
            ))
            .unwrap()
        };
        for name in [".", ".."] {
            let e = build(&hc(name), "x".into(), &json!({}), None, None, None).unwrap_err();
            assert!(e.to_string().contains(&format!("'{name}'")), "{e}");
        }
        assert!(build(&hc("a.b"), "x".into(), &json!({}), None, None, None).is_ok());
        let metadata = |n: usize| json!({"properties": {"userMetadata": "m".repeat(n)}});
        assert!(build(&hc("a"), "x".into(), &metadata(1024), None, None, None).is_ok());
        let e = build(&hc("a"), "x".into(), &metadata(2_000_000), None, None, None).unwrap_err();
        assert!(e.to_string().contains("at most 1024"), "{e}");
        let wcf = ResourceId::parse(
            "/subscriptions/S/resourceGroups/rg/providers/Microsoft.Relay/namespaces/ns1/wcfRelays/w",
        )
        .unwrap();
        assert!(build(&wcf, "x".into(), &metadata(1025), None, None, None).is_err());
    }

    #[test]
    fn rules_need_valid_rights() {
        let id = ResourceId::parse("/subscriptions/S/resourceGroups/rg/providers/Microsoft.Relay/namespaces/ns1/authorizationRules/r").unwrap();
        let ok = build(
            &id,
            "x".into(),
            &json!({"properties": {"rights": ["listen", "Send"]}}),
            None,
            None,
            None,
        )
        .unwrap();
        assert_eq!(ok.properties["rights"], json!(["Listen", "Send"]));
        assert!(ok.keys.is_some());
        for bad in [
            json!({}),
            json!({"properties": {"rights": []}}),
            json!({"properties": {"rights": ["Read"]}}),
            json!({"properties": {"rights": ["Manage"]}}),
            json!({"properties": {"rights": "Send"}}),
        ] {
            assert!(
                build(&id, "x".into(), &bad, None, None, None).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn namespace_names_follow_azure_rules() {
        for (name, ok) in [
            ("northwind-relay", true),
            ("abc", false),
            ("1abcdef", false),
            ("abcdef-", false),
            ("abc_def!", false),
        ] {
            let id = ResourceId::parse(&format!(
                "/subscriptions/S/resourceGroups/rg/providers/Microsoft.Relay/namespaces/{name}"
            ))
            .unwrap();
            let r = build(
                &id,
                "x".into(),
                &json!({"location": "westeurope"}),
                None,
                Some("https://localhost:1/"),
                None,
            );
            assert_eq!(r.is_ok(), ok, "{name}");
        }
    }
}
