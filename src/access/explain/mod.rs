//! Relay access, explained: for a principal and an entity, may it Listen, Send or Manage (or do
//! any action), and through what — role assignments (at which scope, through which group, by
//! which pattern), SAS rules, anonymity — or what blocks it. Pure: the caller fetches the facts.

use serde::Serialize;

use super::{ActionKind, Snapshot, Subject, Target, builtin, evaluate};

pub const LISTEN: &str = "Microsoft.Relay/namespaces/messages/listen/action";
pub const SEND: &str = "Microsoft.Relay/namespaces/messages/send/action";

/// What is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ask {
    Listen,
    Send,
    Manage,
    /// Any ARM action or data action.
    Action(String),
}

impl Ask {
    pub fn parse(text: &str) -> Self {
        match text.to_ascii_lowercase().as_str() {
            "listen" => Ask::Listen,
            "send" => Ask::Send,
            "manage" => Ask::Manage,
            _ => Ask::Action(text.to_string()),
        }
    }

    /// The RBAC action and whether it is a data action, for an entity of `entity_type`
    /// (e.g. `Microsoft.Relay/namespaces/hybridConnections`).
    pub fn rbac(&self, entity_type: &str) -> (String, ActionKind) {
        match self {
            Ask::Listen => (LISTEN.into(), ActionKind::DataAction),
            Ask::Send => (SEND.into(), ActionKind::DataAction),
            Ask::Manage => (format!("{entity_type}/write"), ActionKind::Action),
            Ask::Action(a) => {
                // A data action is one that a built-in role names among its DataActions (broad
                // patterns such as `Microsoft.Relay/*` say nothing about which actions are data).
                let data = builtin::all()
                    .iter()
                    .flat_map(|r| r.permissions.iter())
                    .flat_map(|p| p.data_actions.iter())
                    .filter(|d| !(d.ends_with("/*") && d.split('/').count() < 4))
                    .any(|d| super::action_matches(d, a));
                (
                    a.clone(),
                    if data {
                        ActionKind::DataAction
                    } else {
                        ActionKind::Action
                    },
                )
            }
        }
    }

    fn sas_right(&self) -> Option<&'static str> {
        match self {
            Ask::Listen => Some("Listen"),
            Ask::Send => Some("Send"),
            Ask::Manage => Some("Manage"),
            Ask::Action(a) if a.eq_ignore_ascii_case(LISTEN) => Some("Listen"),
            Ask::Action(a) if a.eq_ignore_ascii_case(SEND) => Some("Send"),
            Ask::Action(_) => None,
        }
    }
}

/// A SAS rule that applies to the entity (its own, or its namespace's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SasRule {
    pub name: String,
    /// The rule's ARM id; its scope is the entity or the namespace.
    pub id: String,
    pub scope: String,
    pub rights: Vec<String>,
}

/// The entity and its Relay-specific facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entity {
    pub id: String,
    /// `Microsoft.Relay/namespaces/hybridConnections` and the like (for RBAC actions).
    pub action_type: String,
    /// `false` lets anyone send.
    pub requires_client_authorization: Option<bool>,
    pub sas_rules: Vec<SasRule>,
}

/// One way the action is granted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Grant {
    Role {
        role_name: String,
        role_definition_id: String,
        assignment_id: String,
        scope: String,
        /// How the scope reaches the entity: entity, namespace, resource group, subscription,
        /// management group, root.
        scope_level: String,
        via_group: Option<String>,
        /// From the principal's own group to `via_group`, when the membership is nested.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        group_chain: Vec<String>,
        matched: String,
        /// An ABAC condition, shown but not evaluated.
        #[serde(skip_serializing_if = "Option::is_none")]
        condition: Option<String>,
        /// Made less than the service's propagation time ago (Relay 5 min, SignalR 30 min): the
        /// service may not honour it yet.
        may_be_propagating: bool,
    },
    Sas {
        rule: String,
        scope: String,
        rights: Vec<String>,
    },
    Anonymous,
}

/// One thing that takes the action away (a deny assignment, or a role's NotActions).
pub use super::Block as Blocker;

/// The verdict with its proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// Through Azure RBAC (not conditional, not denied), or anonymously.
    pub allowed: bool,
    pub action: String,
    pub data_action: bool,
    pub grants: Vec<Grant>,
    pub blocked_by: Vec<Blocker>,
}

/// Where a scope sits relative to the entity.
pub fn scope_level(scope: &str, entity_id: &str) -> &'static str {
    let s = scope.trim_end_matches('/').to_ascii_lowercase();
    let e = entity_id.trim_end_matches('/').to_ascii_lowercase();
    let parts = s.split('/').filter(|p| !p.is_empty()).count();
    if s.is_empty() {
        "root"
    } else if s.starts_with("/providers/microsoft.management/managementgroups/") {
        "management group"
    } else if s == e {
        "entity"
    } else {
        match parts {
            2 => "subscription",
            4 => "resource group",
            8 => "namespace",
            _ => "resource",
        }
    }
}

/// Explains `ask` for `subject` on `entity`.
pub fn explain(
    snapshot: &Snapshot<'_>,
    subject: &Subject<'_>,
    management_groups: &[String],
    entity: &Entity,
    ask: &Ask,
) -> Explanation {
    let (action, kind) = ask.rbac(&entity.action_type);
    let target = Target {
        scope: &entity.id,
        management_groups,
    };
    let verdict = evaluate(snapshot, subject, &target, &action, kind);
    let mut grants: Vec<Grant> = verdict
        .grants
        .iter()
        .map(|g| Grant::Role {
            role_name: g.role_name.clone(),
            role_definition_id: g.role_definition_id.clone(),
            assignment_id: g.assignment_id.clone(),
            scope: g.scope.clone(),
            scope_level: scope_level(&g.scope, &entity.id).to_string(),
            via_group: g.via_group.clone(),
            group_chain: Vec::new(),
            matched: g.matched.clone(),
            condition: g.condition.clone(),
            may_be_propagating: propagating(
                g.created_on.as_deref(),
                &entity.action_type,
                chrono::Utc::now(),
            ),
        })
        .collect();
    grants.extend(sas_grants(entity, ask));
    let anonymous = anonymous_allowed(entity, ask);
    if anonymous {
        grants.push(Grant::Anonymous);
    }
    let blocked_by = verdict.blocked_by.clone();
    Explanation {
        allowed: verdict.allowed || anonymous,
        action,
        data_action: kind == ActionKind::DataAction,
        grants,
        blocked_by,
    }
}

/// The documented propagation time of role assignments for a service.
pub fn propagation_minutes(action_type: &str) -> i64 {
    if action_type
        .to_ascii_lowercase()
        .starts_with("microsoft.signalrservice")
    {
        30
    } else {
        5
    }
}

/// Was an assignment made within the service's propagation time before `now`?
pub fn propagating(
    created_on: Option<&str>,
    action_type: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    created_on
        .and_then(|c| chrono::DateTime::parse_from_rfc3339(c).ok())
        .is_some_and(|c| {
            now.signed_duration_since(c)
                < chrono::Duration::minutes(propagation_minutes(action_type))
        })
}

fn sas_grants(entity: &Entity, ask: &Ask) -> Vec<Grant> {
    let Some(right) = ask.sas_right() else {
        return Vec::new();
    };
    entity
        .sas_rules
        .iter()
        .filter(|r| {
            r.rights
                .iter()
                .any(|x| x.eq_ignore_ascii_case(right) || x.eq_ignore_ascii_case("Manage"))
        })
        .map(|r| Grant::Sas {
            rule: r.name.clone(),
            scope: r.scope.clone(),
            rights: r.rights.clone(),
        })
        .collect()
}

fn anonymous_allowed(entity: &Entity, ask: &Ask) -> bool {
    entity.requires_client_authorization == Some(false) && ask.sas_right() == Some("Send")
}

mod describe;
mod hint;
mod who;

pub use describe::{describe_block, describe_grant};
pub use hint::{Hint, MissingPermission, refusal_hint};
pub use who::{Cell, Principal, WhoRow, who_can};

#[cfg(test)]
mod tests;
