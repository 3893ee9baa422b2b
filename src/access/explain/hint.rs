//! What a person can do about a refusal, as a value: the permission that was missing (and the
//! least privileged built-in role that grants it, at the narrowest scope), or another known cause
//! (a managed identity named by the wrong id, a certificate from an untrusted CA). The CLI prints
//! a hint; the window draws it, and can act on it.

use std::fmt;

use super::{Explanation, Grant};
use crate::access::{ActionKind, builtin};

/// A permission a principal lacked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingPermission {
    pub action: String,
    pub kind: ActionKind,
    /// Where it was needed, when the refusal says.
    pub scope: Option<String>,
}

impl MissingPermission {
    /// The least privileged built-in role that grants the action.
    pub fn role(&self) -> Option<crate::access::RoleDefinition> {
        builtin::least_privileged_role(&self.action, self.kind)
    }
}

/// A hint: what to do about a refusal or failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hint {
    MissingPermission(MissingPermission),
    /// A managed identity was named by an id it does not have (a client id given as an object
    /// id, or the other way round).
    ManagedIdentityId,
    /// The server's certificate is from a CA this machine does not trust.
    UntrustedCertificate,
}

impl Hint {
    /// Reads the refusal sentences Azure's services send, once, where they enter the crate (the
    /// ARM client, the relay client, a credential): ARM's `AuthorizationFailed` ("does not have
    /// authorization to perform action 'A' over scope 'S'"), the relay's missing data action
    /// ("data action 'A' ... on 'S'"), a managed identity that was not found, an untrusted
    /// certificate.
    pub fn from_service_message(message: &str) -> Option<Self> {
        let quoted_after = |marker: &str| -> Option<String> {
            let start = message.find(marker)? + marker.len();
            let end = message[start..].find('\'')?;
            Some(message[start..start + end].to_string())
        };
        if message.contains("No ManagedIdentity found")
            || message.contains("Identity not found")
            || message.contains("identity has not been assigned to this resource")
        {
            return Some(Hint::ManagedIdentityId);
        }
        if message.contains("UnknownIssuer") {
            return Some(Hint::UntrustedCertificate);
        }
        let (action, kind) = if let Some(a) = quoted_after("data action '") {
            (a, ActionKind::DataAction)
        } else if let Some(a) = quoted_after("perform action '") {
            (a, ActionKind::Action)
        } else {
            return None;
        };
        let scope = quoted_after("over scope '").or_else(|| quoted_after("' on '"));
        Some(Hint::MissingPermission(MissingPermission {
            action,
            kind,
            scope,
        }))
    }
}

impl fmt::Display for Hint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Hint::MissingPermission(m) => {
                let at = m
                    .scope
                    .as_ref()
                    .map(|s| format!(" on {s}"))
                    .unwrap_or_default();
                match m.role() {
                    Some(r) => write!(
                        f,
                        "Hint: '{}' is granted by the built-in role '{}'; assign it{at} (the narrowest scope that works).",
                        m.action, r.role_name
                    ),
                    None => write!(
                        f,
                        "Hint: no built-in role grants '{}'; a custom role is needed{at}.",
                        m.action
                    ),
                }
            }
            Hint::ManagedIdentityId => f.write_str(
                "Hint: --client-id takes the identity's client (application) id; for its object (principal) id use --managed-identity-object-id, for its resource id --managed-identity-resource-id.",
            ),
            Hint::UntrustedCertificate => f.write_str(
                "Hint: the server's certificate is not from a CA this machine trusts, nor from the CA its cloud names; for the local emulator pass --emulator READY_FILE of that very emulator (its ca_cert signs the emulator's certificate; in the app, add the account under Local emulator).",
            ),
        }
    }
}

/// For a refusal that no role comes near: the least privileged built-in role that would grant
/// the action, at the narrowest scope.
pub fn refusal_hint(verdict: &Explanation, entity_id: &str) -> Option<Hint> {
    if verdict.allowed
        || verdict
            .grants
            .iter()
            .any(|g| matches!(g, Grant::Role { .. }))
    {
        return None;
    }
    let kind = if verdict.data_action {
        ActionKind::DataAction
    } else {
        ActionKind::Action
    };
    Some(Hint::MissingPermission(MissingPermission {
        action: verdict.action.clone(),
        kind,
        scope: Some(entity_id.to_string()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn azures_refusals_become_hints_naming_the_role() {
        let arm = "The client 'x' with object id 'y' does not have authorization to perform action 'Microsoft.Relay/namespaces/read' over scope '/subscriptions/s' or the scope is invalid.";
        let Some(Hint::MissingPermission(m)) = Hint::from_service_message(arm) else {
            panic!("no hint")
        };
        assert_eq!(m.kind, ActionKind::Action);
        assert_eq!(m.scope.as_deref(), Some("/subscriptions/s"));
        assert!(
            Hint::from_service_message(arm)
                .unwrap()
                .to_string()
                .contains("Reader")
        );
        let relay = "Unauthorized access. The principal lacks the data action 'Microsoft.Relay/namespaces/messages/send/action' on 'orders'.";
        let hint = Hint::from_service_message(relay).unwrap();
        assert!(hint.to_string().contains("Azure Relay Sender"), "{hint}");
        assert_eq!(
            Hint::from_service_message("invalid peer certificate: UnknownIssuer"),
            Some(Hint::UntrustedCertificate)
        );
        assert_eq!(Hint::from_service_message("the connection was reset"), None);
    }
}
