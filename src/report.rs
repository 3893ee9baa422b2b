//! An error as a person reads it: the message, and the hint a typed error carries (a missing
//! permission and the role that grants it, a managed identity named by the wrong id, an untrusted
//! certificate). The CLI prints it; the window keeps it as a value and draws the hint apart. No
//! hint is found by reading an error's text here: each comes from the typed error that knows it.

use std::fmt;

use crate::access::explain::Hint;
use crate::arm::ArmError;
use crate::arm::access::Actionable;
use crate::auth::TokenError;
use crate::relay::RelayError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The error and its causes (`{:#}`).
    pub message: String,
    pub hint: Option<Hint>,
    not_found: bool,
}

impl Report {
    /// A report for an error with no hint (a message the app itself wrote).
    pub fn message(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hint: None,
            not_found: false,
        }
    }

    /// The report of an error: its message, and the hint of the first typed error in its chain.
    pub fn of(e: &anyhow::Error) -> Self {
        let hint = e.chain().find_map(hint_of);
        let not_found = e.chain().any(|c| {
            let arm = c
                .downcast_ref::<ArmError>()
                .or_else(|| c.downcast_ref::<Actionable>().map(|a| &a.error));
            match arm {
                Some(a) => {
                    a.status() == Some(404) || a.code().is_some_and(|c| c.ends_with("NotFound"))
                }
                None => c
                    .downcast_ref::<RelayError>()
                    .is_some_and(RelayError::is_not_found),
            }
        });
        Self {
            message: format!("{e:#}"),
            hint,
            not_found,
        }
    }

    /// The thing asked for is not there (ARM's 404 / `…NotFound`, the relay's 404).
    pub fn is_not_found(&self) -> bool {
        self.not_found
    }

    /// The report of a management error.
    pub fn arm(e: &ArmError) -> Self {
        Self::of(&crate::arm::access::actionable(e))
    }
}

fn hint_of(cause: &(dyn std::error::Error + 'static)) -> Option<Hint> {
    if let Some(e) = cause.downcast_ref::<ArmError>() {
        return e.hint();
    }
    if let Some(e) = cause.downcast_ref::<Actionable>() {
        return e.error.hint();
    }
    if let Some(e) = cause.downcast_ref::<RelayError>() {
        return e.hint();
    }
    if let Some(e) = cause.downcast_ref::<TokenError>() {
        return e.hint();
    }
    None
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(h) = &self.hint {
            write!(f, " {h}")?;
        }
        Ok(())
    }
}

impl From<anyhow::Error> for Report {
    fn from(e: anyhow::Error) -> Self {
        Self::of(&e)
    }
}

impl From<String> for Report {
    fn from(message: String) -> Self {
        Self::message(message)
    }
}

impl From<&str> for Report {
    fn from(message: &str) -> Self {
        Self::message(message)
    }
}

impl From<&ArmError> for Report {
    fn from(e: &ArmError) -> Self {
        Self::arm(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_deep_in_a_chain_keeps_its_hint() {
        let refused = ArmError::Service {
            status: 403,
            code: "AuthorizationFailed".into(),
            message: "The client 'c' with object id 'o' does not have authorization to perform action 'Microsoft.Relay/namespaces/read' over scope '/subscriptions/s' or the scope is invalid.".into(),
        };
        let e = crate::arm::access::actionable(&refused).context("loading the tree");
        let r = Report::of(&e);
        assert!(matches!(r.hint, Some(Hint::MissingPermission(_))));
        assert!(r.to_string().starts_with("loading the tree: The client"));
        assert!(r.to_string().contains("Ask an owner"));
        assert!(r.to_string().ends_with("(the narrowest scope that works)."));
        // The same words in an error the crate wrote itself carry no hint.
        let plain = anyhow::anyhow!("{}", refused);
        assert_eq!(Report::of(&plain).hint, None);
    }
}
