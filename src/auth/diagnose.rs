//! Which credential a DefaultAzureCredential-style chain would pick on this machine, in order,
//! and why — including the classic trap: environment variables silently win over a managed
//! identity.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub credential: String,
    /// `selected`, `available` (would be tried after the selected one), or `unavailable`.
    pub status: String,
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnosis {
    pub selected: Option<String>,
    pub steps: Vec<Step>,
    pub warnings: Vec<String>,
}

/// What the machine offers, gathered by the caller (so the reasoning stays testable).
#[derive(Debug, Clone, Default)]
pub struct Machine {
    pub env: Vec<(String, String)>,
    /// Whether an IMDS endpoint answered (None: not probed).
    pub imds_reachable: Option<bool>,
    /// Whether the Azure CLI is installed and has a profile with an account.
    pub azure_cli_signed_in: Option<bool>,
}

impl Machine {
    fn var(&self, name: &str) -> Option<&str> {
        self.env
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
}

pub fn diagnose(m: &Machine) -> Diagnosis {
    let mut steps = Vec::new();
    let mut warnings = Vec::new();
    let set = |names: &[&str]| {
        names
            .iter()
            .filter(|n| m.var(n).is_some())
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
    };

    // 1. Environment (client secret or certificate).
    let env_vars = set(&[
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_CLIENT_CERTIFICATE_PATH",
    ]);
    let env_ok = m.var("AZURE_TENANT_ID").is_some()
        && m.var("AZURE_CLIENT_ID").is_some()
        && (m.var("AZURE_CLIENT_SECRET").is_some()
            || m.var("AZURE_CLIENT_CERTIFICATE_PATH").is_some());
    steps.push(Step {
        credential: "EnvironmentCredential".into(),
        status: if env_ok { "available" } else { "unavailable" }.into(),
        why: if env_ok {
            format!("{} are set", env_vars.join(", "))
        } else if env_vars.is_empty() {
            "no AZURE_TENANT_ID / AZURE_CLIENT_ID / AZURE_CLIENT_SECRET".into()
        } else {
            format!("only {} set: it needs AZURE_TENANT_ID, AZURE_CLIENT_ID and a secret or certificate", env_vars.join(", "))
        },
    });
    // 2. Workload identity.
    let wi = m.var("AZURE_FEDERATED_TOKEN_FILE").is_some()
        && m.var("AZURE_CLIENT_ID").is_some()
        && m.var("AZURE_TENANT_ID").is_some();
    steps.push(Step {
        credential: "WorkloadIdentityCredential".into(),
        status: if wi { "available" } else { "unavailable" }.into(),
        why: if wi {
            "AZURE_FEDERATED_TOKEN_FILE, AZURE_CLIENT_ID and AZURE_TENANT_ID are set".into()
        } else {
            "no AZURE_FEDERATED_TOKEN_FILE".into()
        },
    });
    // 3. Managed identity.
    let app_service = m.var("IDENTITY_ENDPOINT").is_some() && m.var("IDENTITY_HEADER").is_some();
    let mi = app_service || m.imds_reachable == Some(true);
    steps.push(Step {
        credential: "ManagedIdentityCredential".into(),
        status: if mi { "available" } else { "unavailable" }.into(),
        why: if app_service {
            format!(
                "IDENTITY_ENDPOINT ({}) and IDENTITY_HEADER are set (App Service style)",
                m.var("IDENTITY_ENDPOINT").unwrap_or_default()
            )
        } else {
            match m.imds_reachable {
                Some(true) => "the instance metadata service (IMDS) answered".into(),
                Some(false) => "no IDENTITY_ENDPOINT, and IMDS did not answer".into(),
                None => {
                    "no IDENTITY_ENDPOINT; IMDS was not probed (pass --probe-imds on an Azure VM)"
                        .into()
                }
            }
        },
    });
    // 4. Azure CLI.
    let cli = m.azure_cli_signed_in == Some(true);
    steps.push(Step {
        credential: "AzureCliCredential".into(),
        status: if cli { "available" } else { "unavailable" }.into(),
        why: match m.azure_cli_signed_in {
            Some(true) => "the Azure CLI has a signed-in account".into(),
            Some(false) => "the Azure CLI is not signed in (run az login)".into(),
            None => "the Azure CLI is not installed".into(),
        },
    });
    let selected = steps.iter().position(|s| s.status == "available");
    if let Some(i) = selected {
        steps[i].status = "selected".into();
    }
    if env_ok && mi {
        warnings.push("AZURE_* environment variables are set AND a managed identity is available: the environment credential wins silently, so this process acts as the app registration, not as the managed identity. Unset AZURE_CLIENT_SECRET (or use ManagedIdentityCredential directly) to use the identity.".into());
    }
    if !env_ok && m.var("AZURE_CLIENT_ID").is_some() && mi {
        warnings.push(format!("AZURE_CLIENT_ID={} will select a user-assigned managed identity by its client id; give the identity's client id here, not its object (principal) id", m.var("AZURE_CLIENT_ID").unwrap_or_default()));
    }
    Diagnosis {
        selected: selected.map(|i| steps[i].credential.clone()),
        steps,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine(vars: &[(&str, &str)], imds: Option<bool>, cli: Option<bool>) -> Machine {
        Machine {
            env: vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            imds_reachable: imds,
            azure_cli_signed_in: cli,
        }
    }

    #[test]
    fn environment_variables_silently_win_over_a_managed_identity() {
        let d = diagnose(&machine(
            &[
                ("AZURE_TENANT_ID", "t"),
                ("AZURE_CLIENT_ID", "c"),
                ("AZURE_CLIENT_SECRET", "s"),
                ("IDENTITY_ENDPOINT", "http://localhost:1/msi/token"),
                ("IDENTITY_HEADER", "h"),
            ],
            None,
            None,
        ));
        assert_eq!(d.selected.as_deref(), Some("EnvironmentCredential"));
        assert_eq!(d.steps[2].status, "available");
        assert!(d.warnings[0].contains("wins silently"));
    }

    #[test]
    fn a_managed_identity_is_picked_when_nothing_comes_before_it() {
        let d = diagnose(&machine(
            &[
                ("IDENTITY_ENDPOINT", "http://localhost:1/msi/token"),
                ("IDENTITY_HEADER", "h"),
                ("AZURE_CLIENT_ID", "c"),
            ],
            None,
            Some(true),
        ));
        assert_eq!(d.selected.as_deref(), Some("ManagedIdentityCredential"));
        assert_eq!(d.steps[3].status, "available");
        assert!(d.warnings[0].contains("client id"));
        assert!(d.steps[0].why.contains("only AZURE_CLIENT_ID set"));
    }

    #[test]
    fn nothing_available_says_so_step_by_step() {
        let d = diagnose(&machine(&[], Some(false), None));
        assert_eq!(d.selected, None);
        assert!(d.steps.iter().all(|s| s.status == "unavailable"));
        assert!(d.steps[2].why.contains("IMDS did not answer"));
    }
}
