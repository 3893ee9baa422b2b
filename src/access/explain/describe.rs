//! Grants and blockers as sentences a person reads.

use super::Blocker;
use super::Grant;

/// One grant as a sentence (`names` turns an object id into a display name).
pub fn describe_grant(g: &Grant, names: &dyn Fn(&str) -> String) -> String {
    match g {
        Grant::Role {
            role_name,
            scope,
            scope_level,
            via_group,
            group_chain,
            matched,
            condition,
            may_be_propagating,
            ..
        } => {
            let group = match (via_group, group_chain.len()) {
                (Some(v), 0 | 1) => format!(", through group {}", names(v)),
                (Some(_), _) => format!(
                    ", through groups {}",
                    group_chain
                        .iter()
                        .map(|g| names(g))
                        .collect::<Vec<_>>()
                        .join(" ⊂ ")
                ),
                (None, _) => String::new(),
            };
            let cond = if condition.is_some() {
                " (conditional, not evaluated)"
            } else {
                ""
            };
            let young = if *may_be_propagating {
                " — assigned minutes ago: it may still be propagating"
            } else {
                ""
            };
            format!("✓ {role_name} at {scope_level} {scope}{group}: matches {matched}{cond}{young}")
        }
        Grant::Sas {
            rule,
            scope,
            rights,
        } => format!(
            "· SAS rule '{rule}' ({}) at {scope}, for whoever holds its key",
            rights.join(", ")
        ),
        Grant::Anonymous => "✓ anyone: the entity accepts anonymous senders".to_string(),
    }
}

/// One blocker as a sentence.
pub fn describe_block(b: &Blocker, names: &dyn Fn(&str) -> String) -> String {
    match b {
        Blocker::Deny {
            name,
            scope,
            matched,
            ..
        } => format!(
            "✗ deny assignment '{name}' at {scope} matches {matched}: it wins over every grant"
        ),
        Blocker::NotActions {
            role_name,
            via_group,
            excluded_by,
            ..
        } => {
            let group = via_group
                .as_ref()
                .map(|v| format!(" (through group {})", names(v)))
                .unwrap_or_default();
            format!("✗ {role_name}{group} excludes it by {excluded_by}")
        }
    }
}
